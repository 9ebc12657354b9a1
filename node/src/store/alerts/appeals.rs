//! SQL for appeals of flags and interventions.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppealRow {
    pub id: i64,
    pub student_key: String,
    /// `flag` or `intervention`.
    pub target_kind: String,
    pub target_id: i64,
    pub text: String,
    pub filed_by: i64,
    pub filed_role: String,
    pub filed_at: String,
    /// `open` or `answered`.
    pub state: String,
    /// `upheld` or `changed`, once answered.
    pub decision: Option<String>,
    pub answer: Option<String>,
    pub answered_by: Option<i64>,
    pub answered_at: Option<String>,
}

const COLUMNS: &str =
    "id, student_key, target_kind, target_id, text, filed_by, filed_role, filed_at, state, decision, \
     answer, answered_by, answered_at";

fn row(r: &Row<'_>) -> rusqlite::Result<AppealRow> {
    Ok(AppealRow {
        id: r.get(0)?,
        student_key: r.get(1)?,
        target_kind: r.get(2)?,
        target_id: r.get(3)?,
        text: r.get(4)?,
        filed_by: r.get(5)?,
        filed_role: r.get(6)?,
        filed_at: r.get(7)?,
        state: r.get(8)?,
        decision: r.get(9)?,
        answer: r.get(10)?,
        answered_by: r.get(11)?,
        answered_at: r.get(12)?,
    })
}

pub struct NewAppeal<'a> {
    pub student_key: &'a str,
    pub target_kind: &'a str,
    pub target_id: i64,
    pub text: &'a str,
    pub filed_by: i64,
    pub filed_role: &'a str,
    pub filed_at: &'a str,
}

pub fn insert(c: &Connection, a: &NewAppeal<'_>) -> Result<i64, StoreError> {
    c.prepare_cached(
        "INSERT INTO appeal (student_key, target_kind, target_id, text, filed_by, filed_role, filed_at, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'open')",
    )?
    .execute(params![a.student_key, a.target_kind, a.target_id, a.text, a.filed_by, a.filed_role, a.filed_at])?;
    Ok(c.last_insert_rowid())
}

pub fn get(c: &Connection, id: i64) -> Result<Option<AppealRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM appeal WHERE id = ?1");
    Ok(c.prepare_cached(&sql)?.query_row([id], row).optional()?)
}

/// Whether an open appeal on this target exists.
pub fn open_on(c: &Connection, target_kind: &str, target_id: i64) -> Result<bool, StoreError> {
    Ok(c.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM appeal WHERE target_kind = ?1 AND target_id = ?2 AND state = 'open')",
    )?
    .query_row(params![target_kind, target_id], |r| r.get(0))?)
}

/// Every appeal, newest first.
pub fn list(c: &Connection) -> Result<Vec<AppealRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM appeal ORDER BY id DESC");
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map([], row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn answer(c: &Connection, id: i64, decision: &str, answer: &str, by: i64, at: &str) -> Result<(), StoreError> {
    c.prepare_cached(
        "UPDATE appeal SET state = 'answered', decision = ?2, answer = ?3, answered_by = ?4, answered_at = ?5
          WHERE id = ?1",
    )?
    .execute(params![id, decision, answer, by, at])?;
    Ok(())
}
