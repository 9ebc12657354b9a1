//! SQL for accepted next steps.

use rusqlite::{params, Connection};
use serde::Serialize;

use crate::store::StoreError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NextStepRow {
    pub id: i64,
    pub kind: String,
    pub standard: Option<String>,
    pub misconception: Option<String>,
    /// JSON list of item ids.
    pub items: String,
    pub note: Option<String>,
    pub accepted_by: i64,
    pub accepted_at: String,
    /// Whether the teacher changed the suggestion before accepting it.
    pub changed: bool,
}

/// Replaces the student's steps in force with `steps` (the old ones are kept as superseded).
pub fn accept(c: &Connection, student_key: &str, steps: &[NextStepRow], now: &str) -> Result<(), StoreError> {
    c.prepare_cached("UPDATE next_step SET superseded_at = ?2 WHERE student_key = ?1 AND superseded_at IS NULL")?
        .execute(params![student_key, now])?;
    let mut st = c.prepare_cached(
        "INSERT INTO next_step (student_key, kind, standard, misconception, items, note, accepted_by, accepted_at,
                                changed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for s in steps {
        st.execute(params![
            student_key,
            s.kind,
            s.standard,
            s.misconception,
            s.items,
            s.note,
            s.accepted_by,
            s.accepted_at,
            s.changed
        ])?;
    }
    Ok(())
}

/// The steps in force for a student.
pub fn in_force(c: &Connection, student_key: &str) -> Result<Vec<NextStepRow>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT id, kind, standard, misconception, items, note, accepted_by, accepted_at, changed FROM next_step
          WHERE student_key = ?1 AND superseded_at IS NULL ORDER BY id",
    )?;
    let rows = st
        .query_map([student_key], |r| {
            Ok(NextStepRow {
                id: r.get(0)?,
                kind: r.get(1)?,
                standard: r.get(2)?,
                misconception: r.get(3)?,
                items: r.get(4)?,
                note: r.get(5)?,
                accepted_by: r.get(6)?,
                accepted_at: r.get(7)?,
                changed: r.get(8)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
