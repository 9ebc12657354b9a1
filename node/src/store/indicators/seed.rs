//! Direct writes of roster rows and learning events, for tests and benchmarks that need data
//! without going through the imports and the xAPI endpoint (which are the production writers).
//! Rows are minimal but satisfy the schema's constraints and foreign keys.

use rusqlite::{params, Connection};

use crate::events::LearningEvent;
use crate::store::StoreError;

/// The data source every seeded statement claims to come from.
pub const SEED_SOURCE_ID: i64 = 1;

/// A student with an identity row and (optionally) an enrollment in `class_id`.
pub fn student(
    c: &Connection,
    pkey: &str,
    given: &str,
    family: &str,
    class_id: Option<&str>,
) -> Result<(), StoreError> {
    person(c, pkey, given, family, "student")?;
    if let Some(class) = class_id {
        enroll(c, pkey, class, "student")?;
    }
    Ok(())
}

/// A person with a roster role (`student`, `teacher`, `guardian`, ...).
pub fn person(c: &Connection, pkey: &str, given: &str, family: &str, role: &str) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO person (pkey, sourced_id, username, given_name, family_name) VALUES (?1, ?1, ?1, ?2, ?3)",
        params![pkey, given, family],
    )?;
    c.execute("INSERT INTO user_account (pkey, enabled, grades) VALUES (?1, 1, '06')", [pkey])?;
    let rkey = format!("r-{pkey}");
    c.execute(
        "INSERT INTO roster_record (kind, sourced_id, rkey, pkey) VALUES ('role', ?1, ?1, ?2)",
        params![rkey, pkey],
    )?;
    c.execute(
        "INSERT INTO person_role (rkey, pkey, role, role_type, org_sourced_id) VALUES (?1, ?2, ?3, 'primary', 'school-1')",
        params![rkey, pkey, role],
    )?;
    Ok(())
}

pub fn enroll(c: &Connection, pkey: &str, class_id: &str, role: &str) -> Result<(), StoreError> {
    let rkey = format!("e-{pkey}-{class_id}");
    c.execute(
        "INSERT INTO roster_record (kind, sourced_id, rkey, pkey) VALUES ('enrollment', ?1, ?1, ?2)",
        params![rkey, pkey],
    )?;
    c.execute(
        "INSERT INTO enrollment (rkey, class_sourced_id, school_sourced_id, pkey, role) VALUES (?1, ?2, 'school-1', ?3, ?4)",
        params![rkey, class_id, pkey, role],
    )?;
    Ok(())
}

pub fn class(c: &Connection, class_id: &str, title: &str, grade: &str) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO class (sourced_id, title, class_type, course_sourced_id, school_sourced_id, grades, subjects,
           subject_codes, periods) VALUES (?1, ?2, 'scheduled', 'course-math', 'school-1', ?3, 'Math', '', '1')",
        params![class_id, title, grade],
    )?;
    Ok(())
}

/// An item measuring `standards`, with choices `(choice, is_correct, misconception)`.
pub fn item(
    c: &Connection,
    item_id: &str,
    standards: &[&str],
    choices: &[(&str, bool, Option<&str>)],
) -> Result<(), StoreError> {
    c.execute("INSERT INTO item (item_id, activity_id, title, max_score) VALUES (?1, ?1, ?1, 1)", [item_id])?;
    for (i, s) in standards.iter().enumerate() {
        c.execute(
            "INSERT INTO item_standard (item_id, standard, position) VALUES (?1, ?2, ?3)",
            params![item_id, s, i as i64],
        )?;
    }
    for (i, (choice, correct, misconception)) in choices.iter().enumerate() {
        c.execute(
            "INSERT INTO item_choice (item_id, choice, misconception, is_correct, position) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![item_id, choice, misconception, i64::from(*correct), i as i64],
        )?;
    }
    Ok(())
}

/// An attendance mark (`class_id` None = the whole day).
pub fn mark(c: &Connection, pkey: &str, date: &str, class_id: Option<&str>, status: &str) -> Result<(), StoreError> {
    c.execute(
        "INSERT INTO attendance (pkey, date, class_sourced_id, status) VALUES (?1, ?2, ?3, ?4)",
        params![pkey, date, class_id, status],
    )?;
    Ok(())
}

fn source(c: &Connection) -> Result<(), StoreError> {
    c.execute(
        "INSERT OR IGNORE INTO data_source (id, name, key, secret_sha256, created_at)
         VALUES (?1, 'seed', 'seed', x'00', '2026-01-01T00:00:00Z')",
        [SEED_SOURCE_ID],
    )?;
    Ok(())
}

/// Stores a learning event with a minimal statement row under its seq (the statement's JSON is a
/// placeholder: seeded events never came over xAPI).
pub fn event(c: &Connection, e: &LearningEvent) -> Result<(), StoreError> {
    source(c)?;
    c.prepare_cached(
        "INSERT INTO statement (seq, id, stored, timestamp, source_id, actor, verb, object, registration, json)
         VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6, ?7, ?8, '{}')",
    )?
    .execute(params![
        e.seq,
        format!("00000000-0000-4000-8000-{:012x}", e.seq),
        e.at,
        SEED_SOURCE_ID,
        e.student_key,
        e.verb,
        e.item_id,
        e.session_id
    ])?;
    crate::store::statements::insert_learning_event(c, e)
}

/// An answer event (verb "answered").
pub fn answer(
    seq: i64,
    student_key: &str,
    at: &str,
    item_id: &str,
    class_and_session: Option<(&str, &str)>,
    correct: bool,
    response: &str,
) -> LearningEvent {
    LearningEvent {
        seq,
        student_key: student_key.to_owned(),
        at: at.to_owned(),
        verb: "answered".to_owned(),
        item_id: Some(item_id.to_owned()),
        class_id: class_and_session.map(|c| c.0.to_owned()),
        session_id: class_and_session.map(|c| c.1.to_owned()),
        quiz_id: None,
        correct: Some(correct),
        response: Some(response.to_owned()),
        score: None,
        duration_s: Some(10.0),
    }
}

/// Opens the database file for a bulk load of learning events outside the writer (benchmarks
/// only, with no server running): foreign keys off, so no statement rows are needed.
pub fn open_for_bulk_load(path: &std::path::Path) -> Result<Connection, StoreError> {
    let c = Connection::open(path)?;
    c.execute_batch("PRAGMA foreign_keys = OFF; PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;")?;
    Ok(c)
}

/// Inserts events into `learning_event` only, in transactions of `batch`; returns how many.
pub fn bulk_events(
    c: &Connection,
    events: &mut dyn Iterator<Item = LearningEvent>,
    batch: usize,
) -> Result<u64, StoreError> {
    let mut n = 0u64;
    loop {
        c.execute_batch("BEGIN")?;
        let mut in_batch = 0;
        for e in (&mut *events).take(batch) {
            crate::store::statements::insert_learning_event(c, &e)?;
            in_batch += 1;
        }
        c.execute_batch("COMMIT")?;
        n += in_batch;
        if in_batch < batch as u64 {
            return Ok(n);
        }
    }
}

/// An in-memory database with every migration applied and foreign keys on: the start of the
/// indicator tests' fixtures.
#[cfg(test)]
pub fn migrated_memory_db() -> Connection {
    let mut c = Connection::open_in_memory().expect("an in-memory database opens");
    c.pragma_update(None, "foreign_keys", "ON").expect("foreign keys turn on");
    crate::store::migrations::migrate_to(&mut c, crate::store::migrations::latest_version())
        .expect("the migrations apply");
    c
}
