//! SQL for accounts, sessions and account links.

use rusqlite::{params, Connection, OptionalExtension};

use super::StoreError;

/// An account row as the auth layer needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRow {
    pub id: i64,
    pub username: String,
    pub role: String,
    pub password_hash: String,
    pub person_key: Option<String>,
    pub must_change_password: bool,
    pub disabled: bool,
}

/// A live session joined with its account.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub session_id: i64,
    pub kind: String,
    pub csrf_token: String,
    pub expires_at: String,
    pub revoked: bool,
    pub account: AccountRow,
}

const ACCOUNT_COLS: &str =
    "a.id, a.username, a.role, a.password_hash, a.person_key, a.must_change_password, a.disabled";

fn account_from(r: &rusqlite::Row<'_>, o: usize) -> rusqlite::Result<AccountRow> {
    Ok(AccountRow {
        id: r.get(o)?,
        username: r.get(o + 1)?,
        role: r.get(o + 2)?,
        password_hash: r.get(o + 3)?,
        person_key: r.get(o + 4)?,
        must_change_password: r.get(o + 5)?,
        disabled: r.get(o + 6)?,
    })
}

pub fn count_accounts(c: &Connection) -> Result<i64, StoreError> {
    Ok(c.query_row("SELECT count(*) FROM account", [], |r| r.get(0))?)
}

pub fn find_account(c: &Connection, username: &str) -> Result<Option<AccountRow>, StoreError> {
    let sql = format!("SELECT {ACCOUNT_COLS} FROM account a WHERE a.username = ?1");
    Ok(c.query_row(&sql, [username], |r| account_from(r, 0)).optional()?)
}

pub fn insert_account(
    c: &Connection,
    username: &str,
    role: &str,
    password_hash: &str,
    person_key: Option<&str>,
    must_change: bool,
    now: &str,
) -> Result<i64, StoreError> {
    c.execute(
        "INSERT INTO account(username, role, password_hash, person_key, must_change_password, created_at, password_changed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        params![username, role, password_hash, person_key, must_change, now],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn set_password(
    c: &Connection,
    account_id: i64,
    hash: &str,
    must_change: bool,
    now: &str,
) -> Result<(), StoreError> {
    c.execute(
        "UPDATE account SET password_hash = ?2, must_change_password = ?3, password_changed_at = ?4 WHERE id = ?1",
        params![account_id, hash, must_change, now],
    )?;
    Ok(())
}

pub fn list_accounts(c: &Connection) -> Result<Vec<AccountRow>, StoreError> {
    let sql = format!("SELECT {ACCOUNT_COLS} FROM account a ORDER BY a.username");
    let mut st = c.prepare(&sql)?;
    let rows = st.query_map([], |r| account_from(r, 0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn set_disabled(c: &Connection, account_id: i64, disabled: bool) -> Result<(), StoreError> {
    c.execute("UPDATE account SET disabled = ?2 WHERE id = ?1", params![account_id, disabled])?;
    Ok(())
}

/// A session to insert.
pub struct NewSessionRow<'a> {
    pub token_hash: &'a [u8],
    pub account_id: i64,
    pub kind: &'a str,
    pub csrf: &'a str,
    pub label: Option<&'a str>,
    pub now: &'a str,
    pub expires: &'a str,
}

pub fn insert_session(c: &Connection, s: &NewSessionRow<'_>) -> Result<i64, StoreError> {
    c.execute(
        "INSERT INTO session(token_hash, account_id, kind, csrf_token, label, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![s.token_hash, s.account_id, s.kind, s.csrf, s.label, s.now, s.expires],
    )?;
    Ok(c.last_insert_rowid())
}

pub fn find_session(c: &Connection, token_hash: &[u8]) -> Result<Option<SessionRow>, StoreError> {
    let sql = format!(
        "SELECT s.id, s.kind, s.csrf_token, s.expires_at, s.revoked_at IS NOT NULL, {ACCOUNT_COLS}
         FROM session s JOIN account a ON a.id = s.account_id WHERE s.token_hash = ?1"
    );
    Ok(c.query_row(&sql, [token_hash], |r| {
        Ok(SessionRow {
            session_id: r.get(0)?,
            kind: r.get(1)?,
            csrf_token: r.get(2)?,
            expires_at: r.get(3)?,
            revoked: r.get(4)?,
            account: account_from(r, 5)?,
        })
    })
    .optional()?)
}

pub fn revoke_session(c: &Connection, session_id: i64, now: &str) -> Result<(), StoreError> {
    c.execute("UPDATE session SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", params![session_id, now])?;
    Ok(())
}

/// Revokes every live session of an account; returns how many.
pub fn revoke_all_sessions(c: &Connection, account_id: i64, now: &str) -> Result<usize, StoreError> {
    Ok(c.execute(
        "UPDATE session SET revoked_at = ?2 WHERE account_id = ?1 AND revoked_at IS NULL",
        params![account_id, now],
    )?)
}

/// A live session as listed to its owner.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionInfo {
    pub id: i64,
    pub kind: String,
    pub label: Option<String>,
    pub created_at: String,
    pub expires_at: String,
}

/// Live sessions of an account.
pub fn list_sessions(c: &Connection, account_id: i64, now: &str) -> Result<Vec<SessionInfo>, StoreError> {
    let mut st = c.prepare(
        "SELECT id, kind, label, created_at, expires_at FROM session
         WHERE account_id = ?1 AND revoked_at IS NULL AND expires_at > ?2 ORDER BY id",
    )?;
    let rows = st
        .query_map(params![account_id, now], |r| {
            Ok(SessionInfo {
                id: r.get(0)?,
                kind: r.get(1)?,
                label: r.get(2)?,
                created_at: r.get(3)?,
                expires_at: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn insert_link(c: &Connection, account_id: i64, kind: &str, target: &str, now: &str) -> Result<bool, StoreError> {
    let n = c.execute(
        "INSERT INTO account_link(account_id, kind, target, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT DO NOTHING",
        params![account_id, kind, target, now],
    )?;
    Ok(n == 1)
}

/// Explicit links of one kind for an account.
pub fn links(c: &Connection, account_id: i64, kind: &str) -> Result<Vec<String>, StoreError> {
    let mut st =
        c.prepare_cached("SELECT target FROM account_link WHERE account_id = ?1 AND kind = ?2 ORDER BY target")?;
    let rows = st.query_map(params![account_id, kind], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
    Ok(rows)
}

/// Revokes one live session if it belongs to the account; returns whether one was revoked.
pub fn revoke_own_session(c: &Connection, account_id: i64, session_id: i64, now: &str) -> Result<bool, StoreError> {
    Ok(c.execute(
        "UPDATE session SET revoked_at = ?3 WHERE id = ?1 AND account_id = ?2 AND revoked_at IS NULL",
        params![session_id, account_id, now],
    )? == 1)
}

/// Revokes every live session of an account except `keep`.
pub fn revoke_other_sessions(c: &Connection, account_id: i64, keep: i64, now: &str) -> Result<usize, StoreError> {
    Ok(c.execute(
        "UPDATE session SET revoked_at = ?2 WHERE account_id = ?1 AND id != ?3 AND revoked_at IS NULL",
        params![account_id, now, keep],
    )?)
}
