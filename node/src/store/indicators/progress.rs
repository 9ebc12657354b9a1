//! SQL of `indicator_progress` (migration 0008): the last learning event the indicator engine has
//! applied, and the generation `rebuild` bumps.

use rusqlite::{params, Connection};

use crate::store::StoreError;

/// Where the engine stands: every learning event with `seq <= applied_seq` is in the derived tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub applied_seq: i64,
    pub generation: i64,
}

pub fn load(c: &Connection) -> Result<Progress, StoreError> {
    Ok(c.prepare_cached("SELECT applied_seq, generation FROM indicator_progress WHERE id = 1")?
        .query_row([], |r| Ok(Progress { applied_seq: r.get(0)?, generation: r.get(1)? }))?)
}

/// Records that events up to `seq` are applied (never moves back).
pub fn advance(c: &Connection, seq: i64) -> Result<(), StoreError> {
    c.prepare_cached("UPDATE indicator_progress SET applied_seq = max(applied_seq, ?1) WHERE id = 1")?
        .execute(params![seq])?;
    Ok(())
}

/// After a rebuild: everything stored so far is applied, and a new generation begins.
pub fn rebuilt(c: &Connection) -> Result<Progress, StoreError> {
    c.execute(
        "UPDATE indicator_progress SET generation = generation + 1,
                applied_seq = (SELECT coalesce(max(seq), 0) FROM learning_event) WHERE id = 1",
        [],
    )?;
    load(c)
}

/// Learning events after `after_seq`, oldest first, at most `limit` (the engine's catch-up read).
pub fn events_after(
    c: &Connection,
    after_seq: i64,
    limit: usize,
) -> Result<Vec<crate::events::LearningEvent>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT seq, student_key, at, verb, item_id, class_id, session_id, quiz_id, correct, response, score,
                duration_s
           FROM learning_event WHERE seq > ?1 ORDER BY seq LIMIT ?2",
    )?;
    let rows = st
        .query_map(params![after_seq, limit as i64], |r| {
            Ok(crate::events::LearningEvent {
                seq: r.get(0)?,
                student_key: r.get(1)?,
                at: r.get(2)?,
                verb: r.get(3)?,
                item_id: r.get(4)?,
                class_id: r.get(5)?,
                session_id: r.get(6)?,
                quiz_id: r.get(7)?,
                correct: r.get(8)?,
                response: r.get(9)?,
                score: r.get(10)?,
                duration_s: r.get(11)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
