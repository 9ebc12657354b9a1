//! SQL for releases: the facts a release is computed from (read from the roster, attendance and
//! outcomes here; flags, interventions and mastery in `student_state`), and the privacy ledger and
//! outbox of migration `0006_releases.sql`. Functions take a `&Connection`; the caller owns the
//! transaction.

pub mod student_state;

use std::collections::HashMap;

use chrono::NaiveDate;
use lantern_policies::budget::LedgerEntry;
use rusqlite::{params, Connection, OptionalExtension};

use super::StoreError;

/// A student counted by this node: enrolled at the as-of date.
#[derive(Debug, Clone, PartialEq)]
pub struct EnrolledStudent {
    pub pkey: String,
    /// `user_account.grades`, the OneRoster list joined with ','.
    pub grades: String,
}

/// Students with an active student enrollment on `as_of`, on the roster and enabled.
pub fn enrolled_students(c: &Connection, as_of: NaiveDate) -> Result<Vec<EnrolledStudent>, StoreError> {
    let mut st = c.prepare(
        "SELECT DISTINCT e.pkey, u.grades
           FROM enrollment e
           JOIN user_account u ON u.pkey = e.pkey
           JOIN person p ON p.pkey = e.pkey
          WHERE e.role = 'student' AND u.enabled = 1 AND p.off_roster_since IS NULL
            AND (e.begin_date IS NULL OR e.begin_date <= ?1)
            AND (e.end_date IS NULL OR e.end_date >= ?1)
          ORDER BY e.pkey",
    )?;
    let rows = st.query_map([as_of.to_string()], |r| Ok(EnrolledStudent { pkey: r.get(0)?, grades: r.get(1)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every subgroup value: pkey → [(attribute, value)].
pub fn subgroups(c: &Connection) -> Result<HashMap<String, Vec<(String, String)>>, StoreError> {
    let mut st = c.prepare("SELECT pkey, attribute, value FROM subgroup")?;
    let mut out: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        out.entry(r.get(0)?).or_default().push((r.get(1)?, r.get(2)?));
    }
    Ok(out)
}

/// Each student's most recent outcome level (1–4), whatever its date: a *later* outcome is what
/// the rules are judged against, so the latest known one is used.
pub fn latest_outcome_levels(c: &Connection) -> Result<HashMap<String, u8>, StoreError> {
    let mut st = c.prepare(
        "SELECT o.pkey, o.proficiency_level FROM outcome o
          WHERE o.date = (SELECT max(date) FROM outcome x WHERE x.pkey = o.pkey)",
    )?;
    let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u8>(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Per student, one entry per school day with a mark in `(from, to]`, newest first: whether the
/// student attended (present or tardy in any mark that day).
pub fn attendance_days(
    c: &Connection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashMap<String, Vec<bool>>, StoreError> {
    let mut st = c.prepare(
        "SELECT pkey, date, max(status IN ('present', 'tardy')) FROM attendance
          WHERE date > ?1 AND date <= ?2 GROUP BY pkey, date ORDER BY pkey, date DESC",
    )?;
    let mut out: HashMap<String, Vec<bool>> = HashMap::new();
    let mut rows = st.query([from.to_string(), to.to_string()])?;
    while let Some(r) = rows.next()? {
        out.entry(r.get(0)?).or_default().push(r.get::<_, i64>(2)? == 1);
    }
    Ok(out)
}

/// The standards of the item bank, sorted.
pub fn item_bank_standards(c: &Connection) -> Result<Vec<String>, StoreError> {
    let mut st = c.prepare("SELECT DISTINCT standard FROM item_standard ORDER BY standard")?;
    let rows = st.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Every spend the ledger records.
pub fn ledger_entries(c: &Connection) -> Result<Vec<LedgerEntry>, StoreError> {
    let mut st = c.prepare("SELECT period, budget_year, rho FROM privacy_ledger")?;
    let rows = st.query_map([], |r| Ok(LedgerEntry { period: r.get(0)?, budget_year: r.get(1)?, rho: r.get(2)? }))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Whether the ledger has a release for this period label.
pub fn period_released(c: &Connection, period: &str) -> Result<bool, StoreError> {
    Ok(c.query_row("SELECT 1 FROM privacy_ledger WHERE period = ?1 LIMIT 1", [period], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The sequence number the next release gets (1 for the first).
pub fn next_sequence(c: &Connection) -> Result<u64, StoreError> {
    let max: Option<i64> = c.query_row("SELECT max(sequence) FROM outbox", [], |r| r.get(0))?;
    Ok(max.map_or(1, |m| m as u64 + 1))
}

/// A ledger row and its outbox row, to be inserted together.
#[derive(Debug, Clone)]
pub struct NewRelease<'a> {
    pub release_id: &'a str,
    pub sequence: u64,
    pub period: &'a lantern_policies::release_policy::Period,
    pub rho: f64,
    pub policy_hash: &'a str,
    pub table_rhos: &'a [(String, f64)],
    pub cells: usize,
    pub sealed: &'a [u8],
    pub at: &'a str,
}

/// Records the spend and queues the sealed bytes (the caller's transaction makes it one step).
pub fn insert_release(c: &Connection, r: &NewRelease<'_>) -> Result<(), StoreError> {
    let table_rhos = serde_json::to_string(r.table_rhos).map_err(|e| StoreError::Invalid(e.to_string()))?;
    c.execute(
        "INSERT INTO privacy_ledger (release_id, period, period_start, period_end, budget_year, rho, policy_hash,
                                     table_rhos, cells, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            r.release_id,
            r.period.label,
            r.period.start.to_string(),
            r.period.end.to_string(),
            r.period.budget_year,
            r.rho,
            r.policy_hash,
            table_rhos,
            r.cells as i64,
            r.at
        ],
    )?;
    c.execute(
        "INSERT INTO outbox (release_id, sequence, period, sealed, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![r.release_id, r.sequence as i64, r.period.label, r.sealed, r.at],
    )?;
    Ok(())
}

/// A queued release not yet acknowledged.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingRelease {
    pub release_id: String,
    pub sequence: u64,
    pub period: String,
    pub sealed: Vec<u8>,
    pub attempts: u32,
}

/// Unacknowledged releases in sequence order (the aggregator refuses them out of order).
pub fn pending_releases(c: &Connection) -> Result<Vec<PendingRelease>, StoreError> {
    let mut st = c.prepare(
        "SELECT release_id, sequence, period, sealed, attempts FROM outbox
          WHERE acknowledged_at IS NULL ORDER BY sequence",
    )?;
    let rows = st.query_map([], |r| {
        Ok(PendingRelease {
            release_id: r.get(0)?,
            sequence: r.get::<_, i64>(1)? as u64,
            period: r.get(2)?,
            sealed: r.get(3)?,
            attempts: r.get::<_, i64>(4)? as u32,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records a failed delivery attempt.
pub fn record_attempt(c: &Connection, release_id: &str, error: &str, at: &str) -> Result<(), StoreError> {
    c.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?2, last_error = ?3 WHERE release_id = ?1",
        params![release_id, at, error],
    )?;
    Ok(())
}

/// Records the aggregator's acknowledgement.
pub fn record_acknowledged(c: &Connection, release_id: &str, at: &str) -> Result<(), StoreError> {
    c.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?2, last_error = NULL, acknowledged_at = ?2
          WHERE release_id = ?1",
        params![release_id, at],
    )?;
    Ok(())
}

/// Marks every queued release unacknowledged, so the sender delivers them all again (after an
/// aggregator restored from an older backup). Returns how many rows changed.
pub fn mark_all_pending(c: &Connection) -> Result<usize, StoreError> {
    Ok(c.execute("UPDATE outbox SET acknowledged_at = NULL WHERE acknowledged_at IS NOT NULL", [])?)
}

/// One outbox row for reports (no sealed bytes).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OutboxRow {
    pub release_id: String,
    pub sequence: u64,
    pub period: String,
    pub rho: f64,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub acknowledged_at: Option<String>,
}

/// The whole outbox with each release's ρ, in sequence order.
pub fn outbox_rows(c: &Connection) -> Result<Vec<OutboxRow>, StoreError> {
    let mut st = c.prepare(
        "SELECT o.release_id, o.sequence, o.period, l.rho, o.attempts, o.last_error, o.acknowledged_at
           FROM outbox o JOIN privacy_ledger l ON l.release_id = o.release_id ORDER BY o.sequence",
    )?;
    let rows = st.query_map([], |r| {
        Ok(OutboxRow {
            release_id: r.get(0)?,
            sequence: r.get::<_, i64>(1)? as u64,
            period: r.get(2)?,
            rho: r.get(3)?,
            attempts: r.get::<_, i64>(4)? as u32,
            last_error: r.get(5)?,
            acknowledged_at: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}
