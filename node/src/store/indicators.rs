//! SQL of the indicators (issue 6): the derived tables of migration 0004 — BKT mastery and its weekly
//! history, each student's first answer per item and the item totals, live sessions and the items
//! seen in them, attendance summaries. Reads for the views and the rules are in `reads`; the
//! streaming scan of `rebuild` is in `scan`.

pub mod progress;
pub mod reads;
pub mod scan;
pub mod seed;

use rusqlite::{params, Connection, OptionalExtension};

use super::StoreError;

/// A `mastery` row.
#[derive(Debug, Clone, PartialEq)]
pub struct MasteryRow {
    pub student_key: String,
    pub standard: String,
    pub p_known: f64,
    pub evidence: u32,
    pub correct: u32,
    pub last_at: String,
    pub last_seq: i64,
}

/// A first answer (`item_response`), or a student's answer in a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstAnswer {
    pub at: String,
    pub seq: i64,
    pub correct: bool,
    pub response: Option<String>,
}

/// Every derived table, emptied by `rebuild`.
pub const DERIVED_TABLES: [&str; 9] = [
    "mastery",
    "mastery_week",
    "student_answers",
    "item_response",
    "item_stat",
    "item_choice_count",
    "live_session",
    "session_item",
    "attendance_summary",
];

pub fn clear_derived(c: &Connection) -> Result<(), StoreError> {
    for t in DERIVED_TABLES {
        c.execute(&format!("DELETE FROM {t}"), [])?;
    }
    Ok(())
}

/// The standards an item measures, in item-bank order.
pub fn item_standards(c: &Connection, item_id: &str) -> Result<Vec<String>, StoreError> {
    let mut st =
        c.prepare_cached("SELECT standard FROM item_standard WHERE item_id = ?1 ORDER BY position, standard")?;
    let rows = st.query_map([item_id], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
    Ok(rows)
}

/// Changes whenever an import has been recorded (the item bank may have changed).
pub fn import_generation(c: &Connection) -> Result<i64, StoreError> {
    Ok(c.prepare_cached("SELECT COALESCE(max(id), 0) FROM import_run")?.query_row([], |r| r.get(0))?)
}

/// Every item → its standards (for the rebuild).
pub fn all_item_standards(c: &Connection) -> Result<Vec<(String, String)>, StoreError> {
    let mut st = c.prepare("SELECT item_id, standard FROM item_standard ORDER BY item_id, position, standard")?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

pub fn load_mastery(c: &Connection, student_key: &str, standard: &str) -> Result<Option<MasteryRow>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT p_known, evidence, correct, last_at, last_seq FROM mastery WHERE student_key = ?1 AND standard = ?2",
    )?;
    Ok(st
        .query_row([student_key, standard], |r| {
            Ok(MasteryRow {
                student_key: student_key.to_owned(),
                standard: standard.to_owned(),
                p_known: r.get(0)?,
                evidence: r.get(1)?,
                correct: r.get(2)?,
                last_at: r.get(3)?,
                last_seq: r.get(4)?,
            })
        })
        .optional()?)
}

pub fn save_mastery(c: &Connection, m: &MasteryRow) -> Result<(), StoreError> {
    let mut st = c.prepare_cached(
        "INSERT INTO mastery (student_key, standard, p_known, evidence, correct, last_at, last_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (student_key, standard) DO UPDATE SET p_known = excluded.p_known,
           evidence = excluded.evidence, correct = excluded.correct, last_at = excluded.last_at,
           last_seq = excluded.last_seq",
    )?;
    st.execute(params![m.student_key, m.standard, m.p_known, m.evidence, m.correct, m.last_at, m.last_seq])?;
    Ok(())
}

pub fn save_mastery_week(
    c: &Connection,
    student_key: &str,
    standard: &str,
    week: &str,
    p_known: f64,
    evidence: u32,
) -> Result<(), StoreError> {
    let mut st = c.prepare_cached(
        "INSERT INTO mastery_week (student_key, standard, week, p_known, evidence) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (student_key, standard, week) DO UPDATE SET p_known = excluded.p_known,
           evidence = excluded.evidence",
    )?;
    st.execute(params![student_key, standard, week, p_known, evidence])?;
    Ok(())
}

pub fn delete_mastery_weeks(c: &Connection, student_key: &str, standard: &str) -> Result<(), StoreError> {
    c.prepare_cached("DELETE FROM mastery_week WHERE student_key = ?1 AND standard = ?2")?
        .execute([student_key, standard])?;
    Ok(())
}

/// A student's scored answers on items of one standard among the events up to `up_to_seq`, in
/// event order (time, then seq).
pub fn standard_answers(
    c: &Connection,
    student_key: &str,
    standard: &str,
    up_to_seq: i64,
) -> Result<Vec<(String, i64, bool)>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT e.at, e.seq, e.correct FROM learning_event e
           JOIN item_standard s ON s.item_id = e.item_id
          WHERE e.student_key = ?1 AND s.standard = ?2 AND e.correct IS NOT NULL AND e.seq <= ?3
          ORDER BY e.at, e.seq",
    )?;
    let rows = st
        .query_map(params![student_key, standard, up_to_seq], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)? != 0)))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Adds `answered` scored answers, `correct` of them right, to a student's totals.
pub fn add_student_answers(c: &Connection, student_key: &str, answered: i64, correct: i64) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO student_answers (student_key, answered, correct) VALUES (?1, ?2, ?3)
         ON CONFLICT (student_key) DO UPDATE SET answered = answered + excluded.answered,
           correct = correct + excluded.correct",
    )?
    .execute(params![student_key, answered, correct])?;
    Ok(())
}

/// Stores a first answer unless the student already has one for the item; true when stored.
pub fn insert_item_response(
    c: &Connection,
    item_id: &str,
    student_key: &str,
    a: &FirstAnswer,
) -> Result<bool, StoreError> {
    let n = c
        .prepare_cached(
            "INSERT INTO item_response (item_id, student_key, at, seq, correct, response) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (item_id, student_key) DO NOTHING",
        )?
        .execute(params![item_id, student_key, a.at, a.seq, i64::from(a.correct), a.response])?;
    Ok(n == 1)
}

pub fn first_item_response(
    c: &Connection,
    item_id: &str,
    student_key: &str,
) -> Result<Option<FirstAnswer>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT at, seq, correct, response FROM item_response WHERE item_id = ?1 AND student_key = ?2",
    )?;
    Ok(st
        .query_row([item_id, student_key], |r| {
            Ok(FirstAnswer { at: r.get(0)?, seq: r.get(1)?, correct: r.get::<_, i64>(2)? != 0, response: r.get(3)? })
        })
        .optional()?)
}

pub fn put_item_response(c: &Connection, item_id: &str, student_key: &str, a: &FirstAnswer) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO item_response (item_id, student_key, at, seq, correct, response) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (item_id, student_key) DO UPDATE SET at = excluded.at, seq = excluded.seq,
           correct = excluded.correct, response = excluded.response",
    )?
    .execute(params![item_id, student_key, a.at, a.seq, i64::from(a.correct), a.response])?;
    Ok(())
}

/// Adds to an item's totals; returns them after the change (responders, correct).
pub fn adjust_item_stat(
    c: &Connection,
    item_id: &str,
    responders: i64,
    correct: i64,
) -> Result<(i64, i64), StoreError> {
    let mut st = c.prepare_cached(
        "INSERT INTO item_stat (item_id, responders, correct) VALUES (?1, ?2, ?3)
         ON CONFLICT (item_id) DO UPDATE SET responders = responders + excluded.responders,
           correct = correct + excluded.correct
         RETURNING responders, correct",
    )?;
    Ok(st.query_row(params![item_id, responders, correct], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// Adds `delta` to the count of one chosen answer of an item (rows that reach 0 are removed).
pub fn adjust_choice(c: &Connection, item_id: &str, response: &str, delta: i64) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO item_choice_count (item_id, response, count) VALUES (?1, ?2, ?3)
         ON CONFLICT (item_id, response) DO UPDATE SET count = count + excluded.count",
    )?
    .execute(params![item_id, response, delta])?;
    c.prepare_cached("DELETE FROM item_choice_count WHERE item_id = ?1 AND response = ?2 AND count <= 0")?
        .execute([item_id, response])?;
    Ok(())
}

/// Records that a session saw items between `first_at` and `last_at`. The class is the smallest
/// class id any of the session's events named, and the times are min/max, so arrival order does
/// not matter.
pub fn touch_live_session(
    c: &Connection,
    session_id: &str,
    class_id: Option<&str>,
    first_at: &str,
    last_at: &str,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO live_session (session_id, class_id, started_at, last_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (session_id) DO UPDATE SET
           class_id = CASE WHEN class_id IS NULL THEN excluded.class_id
                           WHEN excluded.class_id IS NULL THEN class_id
                           ELSE min(class_id, excluded.class_id) END,
           started_at = min(started_at, excluded.started_at),
           last_at = max(last_at, excluded.last_at)",
    )?
    .execute(params![session_id, class_id, first_at, last_at])?;
    Ok(())
}

/// Records that a session saw an item, first at `at` (the earliest time wins).
pub fn touch_session_item(c: &Connection, session_id: &str, item_id: &str, at: &str) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO session_item (session_id, item_id, first_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (session_id, item_id) DO UPDATE SET first_at = min(first_at, excluded.first_at)",
    )?
    .execute(params![session_id, item_id, at])?;
    Ok(())
}
