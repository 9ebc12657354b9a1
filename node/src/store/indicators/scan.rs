//! Streaming reads of `learning_event` for `lantern node rebuild`: rows are handed to a callback as
//! borrowed values, one at a time, so 10M events never sit in memory; and the bulk writes of the
//! rebuilt state.

use rusqlite::{params, Connection};

use crate::store::StoreError;

/// One learning event as the indicators see it, borrowed from the current row.
#[derive(Debug, Clone, Copy)]
pub struct EventRef<'a> {
    pub seq: i64,
    pub student_key: &'a str,
    pub at: &'a str,
    pub item_id: Option<&'a str>,
    pub class_id: Option<&'a str>,
    pub session_id: Option<&'a str>,
    pub correct: Option<bool>,
    pub response: Option<&'a str>,
}

const COLUMNS: &str = "seq, student_key, at, item_id, class_id, session_id, correct, response";

fn each(
    c: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
    mut f: impl FnMut(EventRef<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    let mut st = c.prepare_cached(sql)?;
    let mut rows = st.query(p)?;
    while let Some(r) = rows.next()? {
        let text = |i: usize| -> Result<Option<&str>, StoreError> {
            Ok(r.get_ref(i)?.as_str_or_null().map_err(rusqlite::Error::from)?)
        };
        let e = EventRef {
            seq: r.get(0)?,
            student_key: text(1)?.unwrap_or_default(),
            at: text(2)?.unwrap_or_default(),
            item_id: text(3)?,
            class_id: text(4)?,
            session_id: text(5)?,
            correct: r.get::<_, Option<i64>>(6)?.map(|v| v != 0),
            response: text(7)?,
        };
        f(e)?;
    }
    Ok(())
}

/// Every event in storage order (seq): a sequential scan of the table.
pub fn each_event(c: &Connection, f: impl FnMut(EventRef<'_>) -> Result<(), StoreError>) -> Result<(), StoreError> {
    each(c, &format!("SELECT {COLUMNS} FROM learning_event ORDER BY seq"), [], f)
}

/// One student's events in event order (time, then seq).
pub fn each_student_event(
    c: &Connection,
    student_key: &str,
    f: impl FnMut(EventRef<'_>) -> Result<(), StoreError>,
) -> Result<(), StoreError> {
    each(c, &format!("SELECT {COLUMNS} FROM learning_event WHERE student_key = ?1 ORDER BY at, seq"), [student_key], f)
}

pub fn insert_mastery(
    c: &Connection,
    student_key: &str,
    standard: &str,
    p_known: f64,
    evidence: u32,
    correct: u32,
    last: (&str, i64),
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO mastery (student_key, standard, p_known, evidence, correct, last_at, last_seq)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![student_key, standard, p_known, evidence, correct, last.0, last.1])?;
    Ok(())
}

pub fn insert_mastery_week(
    c: &Connection,
    student_key: &str,
    standard: &str,
    week: &str,
    p_known: f64,
    evidence: u32,
) -> Result<(), StoreError> {
    c.prepare_cached(
        "INSERT INTO mastery_week (student_key, standard, week, p_known, evidence) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![student_key, standard, week, p_known, evidence])?;
    Ok(())
}

pub fn insert_student_answers(
    c: &Connection,
    student_key: &str,
    answered: u32,
    correct: u32,
) -> Result<(), StoreError> {
    c.prepare_cached("INSERT INTO student_answers (student_key, answered, correct) VALUES (?1, ?2, ?3)")?
        .execute(params![student_key, answered, correct])?;
    Ok(())
}

pub fn insert_item_stat(c: &Connection, item_id: &str, responders: u32, correct: u32) -> Result<(), StoreError> {
    c.prepare_cached("INSERT INTO item_stat (item_id, responders, correct) VALUES (?1, ?2, ?3)")?
        .execute(params![item_id, responders, correct])?;
    Ok(())
}

pub fn insert_choice_count(c: &Connection, item_id: &str, response: &str, count: u32) -> Result<(), StoreError> {
    c.prepare_cached("INSERT INTO item_choice_count (item_id, response, count) VALUES (?1, ?2, ?3)")?
        .execute(params![item_id, response, count])?;
    Ok(())
}
