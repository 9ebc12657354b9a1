//! SQL for interventions and their progress checks.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use crate::store::StoreError;

/// One stored intervention. `strategies` is a JSON list of text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterventionRow {
    pub id: i64,
    pub student_key: String,
    pub flag_id: Option<i64>,
    pub kind: String,
    pub tier: u8,
    pub goal_indicator: String,
    pub goal_standard: Option<String>,
    pub baseline: f64,
    pub target: f64,
    pub start_date: String,
    pub goal_date: String,
    pub strategies: String,
    pub owner_account_id: i64,
    pub check_every_days: u32,
    pub state: String,
    pub outcome: Option<String>,
    pub outcome_note: Option<String>,
    pub closed_at: Option<String>,
    pub created_by: i64,
    pub created_at: String,
}

const COLUMNS: &str = "id, student_key, flag_id, kind, tier, goal_indicator, goal_standard, baseline, target, \
     start_date, goal_date, strategies, owner_account_id, check_every_days, state, outcome, outcome_note, closed_at, \
     created_by, created_at";

fn row(r: &Row<'_>) -> rusqlite::Result<InterventionRow> {
    Ok(InterventionRow {
        id: r.get(0)?,
        student_key: r.get(1)?,
        flag_id: r.get(2)?,
        kind: r.get(3)?,
        tier: r.get(4)?,
        goal_indicator: r.get(5)?,
        goal_standard: r.get(6)?,
        baseline: r.get(7)?,
        target: r.get(8)?,
        start_date: r.get(9)?,
        goal_date: r.get(10)?,
        strategies: r.get(11)?,
        owner_account_id: r.get(12)?,
        check_every_days: r.get(13)?,
        state: r.get(14)?,
        outcome: r.get(15)?,
        outcome_note: r.get(16)?,
        closed_at: r.get(17)?,
        created_by: r.get(18)?,
        created_at: r.get(19)?,
    })
}

/// Inserts an intervention (state `active`; `id`, `state` and outcome fields of `i` are ignored).
pub fn insert(c: &Connection, i: &InterventionRow) -> Result<i64, StoreError> {
    c.prepare_cached(
        "INSERT INTO intervention (student_key, flag_id, kind, tier, goal_indicator, goal_standard, baseline, target,
                                   start_date, goal_date, strategies, owner_account_id, check_every_days, state,
                                   created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 'active', ?14, ?15)",
    )?
    .execute(params![
        i.student_key,
        i.flag_id,
        i.kind,
        i.tier,
        i.goal_indicator,
        i.goal_standard,
        i.baseline,
        i.target,
        i.start_date,
        i.goal_date,
        i.strategies,
        i.owner_account_id,
        i.check_every_days,
        i.created_by,
        i.created_at
    ])?;
    Ok(c.last_insert_rowid())
}

pub fn get(c: &Connection, id: i64) -> Result<Option<InterventionRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM intervention WHERE id = ?1");
    Ok(c.prepare_cached(&sql)?.query_row([id], row).optional()?)
}

/// Interventions, newest first: of one student, or all.
pub fn list(c: &Connection, student_key: Option<&str>) -> Result<Vec<InterventionRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM intervention WHERE ?1 IS NULL OR student_key = ?1 ORDER BY id DESC");
    let mut st = c.prepare_cached(&sql)?;
    let rows = st.query_map([student_key], row)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn close(c: &Connection, id: i64, outcome: &str, note: Option<&str>, now: &str) -> Result<(), StoreError> {
    c.prepare_cached(
        "UPDATE intervention SET state = 'closed', outcome = ?2, outcome_note = ?3, closed_at = ?4 WHERE id = ?1",
    )?
    .execute(params![id, outcome, note, now])?;
    Ok(())
}

/// One progress check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckRow {
    pub date: String,
    pub value: f64,
    pub note: Option<String>,
    pub account_id: i64,
    pub recorded_at: String,
}

pub fn insert_check(c: &Connection, intervention_id: i64, k: &CheckRow) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO progress_check (intervention_id, date, value, note, account_id, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![intervention_id, k.date, k.value, k.note, k.account_id, k.recorded_at])?;
    Ok(())
}

/// An intervention's checks in date order.
pub fn checks(c: &Connection, intervention_id: i64) -> Result<Vec<CheckRow>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT date, value, note, account_id, recorded_at FROM progress_check WHERE intervention_id = ?1
          ORDER BY date, id",
    )?;
    let rows = st
        .query_map([intervention_id], |r| {
            Ok(CheckRow {
                date: r.get(0)?,
                value: r.get(1)?,
                note: r.get(2)?,
                account_id: r.get(3)?,
                recorded_at: r.get(4)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Closed interventions' outcomes with the rule of the flag they answered (if any):
/// (rule id, intervention kind, outcome).
pub fn closed_outcomes(c: &Connection) -> Result<Vec<(Option<String>, String, String)>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT f.rule_id, i.kind, i.outcome FROM intervention i LEFT JOIN flag f ON f.id = i.flag_id
          WHERE i.state = 'closed' ORDER BY i.id",
    )?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
