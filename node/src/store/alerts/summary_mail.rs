//! SQL for the weekly summary e-mails: who may receive one (accounts with the address of their
//! rostered person) and the `summary_mail` record of each week × recipient (migration 0007), with
//! claims so two senders (the `node serve` task and the CLI) never send the same message at once.

use rusqlite::{params, Connection, OptionalExtension};

use crate::store::StoreError;

/// An account that may receive summaries, with its rostered person's address if there is one.
#[derive(Clone, PartialEq, Eq)]
pub struct MailAccount {
    pub account_id: i64,
    pub username: String,
    pub role: String,
    pub person_key: Option<String>,
    pub email: Option<String>,
}

impl std::fmt::Debug for MailAccount {
    // The address is contact data: never in debug output (and so never in a log line).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailAccount")
            .field("account_id", &self.account_id)
            .field("role", &self.role)
            .field("email", &self.email.as_ref().map(|_| "<on file>"))
            .finish_non_exhaustive()
    }
}

/// Enabled teacher, MTSS and guardian accounts, by id.
pub fn mail_accounts(c: &Connection) -> Result<Vec<MailAccount>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT a.id, a.username, a.role, a.person_key, p.email
           FROM account a LEFT JOIN person p ON p.pkey = a.person_key
          WHERE a.disabled = 0 AND a.role IN ('teacher', 'mtss', 'guardian')
          ORDER BY a.id",
    )?;
    let rows = st
        .query_map([], |r| {
            Ok(MailAccount {
                account_id: r.get(0)?,
                username: r.get(1)?,
                role: r.get(2)?,
                person_key: r.get(3)?,
                email: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// One summary e-mail of one week: to whom, which kind, about which child.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MailKey {
    pub account_id: i64,
    /// `teacher`, `mtss` or `family`.
    pub kind: &'static str,
    pub student_key: Option<String>,
}

/// A stored row of `summary_mail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailRow {
    pub id: i64,
    pub status: String,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub updated_at: String,
    pub sent_at: Option<String>,
}

/// The record of one message of one week, if any.
pub fn get(c: &Connection, week: &str, key: &MailKey) -> Result<Option<MailRow>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT id, status, attempts, last_error, updated_at, sent_at FROM summary_mail
          WHERE week = ?1 AND account_id = ?2 AND kind = ?3 AND COALESCE(student_key, '') = COALESCE(?4, '')",
    )?;
    Ok(st
        .query_row(params![week, key.account_id, key.kind, key.student_key], |r| {
            Ok(MailRow {
                id: r.get(0)?,
                status: r.get(1)?,
                attempts: r.get(2)?,
                last_error: r.get(3)?,
                updated_at: r.get(4)?,
                sent_at: r.get(5)?,
            })
        })
        .optional()?)
}

/// Why a message was not claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotClaimed {
    AlreadySent,
    /// Another sender claimed it recently.
    InProgress,
    /// It failed `max_attempts` times this week.
    GaveUp,
}

/// Claims a message for sending (status `sending`, one more attempt) unless it was sent, is
/// claimed by someone else since `stale_before`, or has used up `max_attempts` (`None`: no bound,
/// for an operator's explicit run). Returns the row id. Call inside the writer's transaction.
pub fn claim(
    c: &Connection,
    week: &str,
    key: &MailKey,
    now: &str,
    stale_before: &str,
    max_attempts: Option<u32>,
) -> Result<Result<i64, NotClaimed>, StoreError> {
    match get(c, week, key)? {
        None => {
            c.prepare_cached(
                "INSERT INTO summary_mail (week, account_id, kind, student_key, status, attempts, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'sending', 1, ?5)",
            )?
            .execute(params![week, key.account_id, key.kind, key.student_key, now])?;
            Ok(Ok(c.last_insert_rowid()))
        }
        Some(row) if row.status == "sent" => Ok(Err(NotClaimed::AlreadySent)),
        Some(row) if row.status == "sending" && row.updated_at.as_str() > stale_before => {
            Ok(Err(NotClaimed::InProgress))
        }
        Some(row) if max_attempts.is_some_and(|m| row.attempts >= m) => Ok(Err(NotClaimed::GaveUp)),
        Some(row) => {
            c.prepare_cached(
                "UPDATE summary_mail SET status = 'sending', attempts = attempts + 1, updated_at = ?2 WHERE id = ?1",
            )?
            .execute(params![row.id, now])?;
            Ok(Ok(row.id))
        }
    }
}

/// The server accepted the message.
pub fn mark_sent(c: &Connection, id: i64, now: &str) -> Result<(), StoreError> {
    c.prepare_cached(
        "UPDATE summary_mail SET status = 'sent', sent_at = ?2, updated_at = ?2, last_error = NULL WHERE id = ?1",
    )?
    .execute(params![id, now])?;
    Ok(())
}

/// Sending failed; `error` is the class and code of the failure, never the server's text.
pub fn mark_failed(c: &Connection, id: i64, error: &str, now: &str) -> Result<(), StoreError> {
    c.prepare_cached("UPDATE summary_mail SET status = 'failed', last_error = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(params![id, error, now])?;
    Ok(())
}
