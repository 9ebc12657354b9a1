//! SQL behind need-to-know scoping: explicit account links and roster relations (teacher
//! enrollments, guardian links).

use std::collections::BTreeSet;

use rusqlite::{params, Connection, OptionalExtension};

use super::StoreError;

pub fn person_key(c: &Connection, sourced_id: &str) -> Result<Option<String>, StoreError> {
    Ok(c.query_row("SELECT pkey FROM person WHERE sourced_id = ?1", [sourced_id], |r| r.get(0)).optional()?)
}

pub fn class_exists(c: &Connection, sourced_id: &str) -> Result<bool, StoreError> {
    Ok(c.query_row("SELECT EXISTS(SELECT 1 FROM class WHERE sourced_id = ?1)", [sourced_id], |r| r.get(0))?)
}

fn set(c: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<BTreeSet<String>, StoreError> {
    let mut st = c.prepare_cached(sql)?;
    let rows = st.query_map(p, |r| r.get::<_, String>(0))?.collect::<Result<BTreeSet<_>, _>>()?;
    Ok(rows)
}

pub fn linked_students(c: &Connection, account_id: i64) -> Result<BTreeSet<String>, StoreError> {
    set(c, "SELECT target FROM account_link WHERE account_id = ?1 AND kind = 'student'", [account_id])
}

pub fn teacher_classes(
    c: &Connection,
    account_id: i64,
    person_key: Option<&str>,
) -> Result<BTreeSet<String>, StoreError> {
    set(
        c,
        "SELECT target FROM account_link WHERE account_id = ?1 AND kind = 'class'
         UNION SELECT class_sourced_id FROM enrollment WHERE pkey = ?2 AND role = 'teacher'",
        params![account_id, person_key],
    )
}

pub fn students_in_classes(c: &Connection, classes: &BTreeSet<String>) -> Result<BTreeSet<String>, StoreError> {
    let mut out = BTreeSet::new();
    let mut st = c.prepare_cached("SELECT pkey FROM enrollment WHERE class_sourced_id = ?1 AND role = 'student'")?;
    for class in classes {
        for k in st.query_map([class], |r| r.get::<_, String>(0))? {
            out.insert(k?);
        }
    }
    Ok(out)
}

pub fn guardian_students(
    c: &Connection,
    account_id: i64,
    person_key: Option<&str>,
) -> Result<BTreeSet<String>, StoreError> {
    set(
        c,
        "SELECT target FROM account_link WHERE account_id = ?1 AND kind = 'student'
         UNION SELECT student_pkey FROM guardian_link WHERE guardian_pkey = ?2",
        params![account_id, person_key],
    )
}

/// The classes a student is enrolled in.
pub fn classes_of_student(c: &Connection, student_key: &str) -> Result<Vec<String>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT DISTINCT class_sourced_id FROM enrollment WHERE pkey = ?1 AND role = 'student' ORDER BY 1",
    )?;
    let rows = st.query_map([student_key], |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
