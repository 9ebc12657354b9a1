//! SQL for the item bank, attendance marks and later outcomes, plus the roster lookups their
//! imports need (rostered students, known classes).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};

use super::records::{AttendanceMark, AttendanceStatus, Item, Outcome, ProficiencyLevel};
use super::{conversion_error, date_text};

/// sourcedId → pkey of every person on the roster with a student role.
pub fn rostered_students(conn: &Connection) -> rusqlite::Result<HashMap<String, String>> {
    let mut statement = conn.prepare(
        "SELECT p.sourced_id, p.pkey FROM person p
          WHERE EXISTS (SELECT 1 FROM user_account u WHERE u.pkey = p.pkey)
            AND EXISTS (SELECT 1 FROM person_role r WHERE r.pkey = p.pkey AND r.role = 'student')",
    )?;
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
    rows.collect()
}

/// The sourcedIds of every stored class.
pub fn class_ids(conn: &Connection) -> rusqlite::Result<HashSet<String>> {
    let mut statement = conn.prepare("SELECT sourced_id FROM class")?;
    let rows = statement.query_map([], |row| row.get(0))?;
    rows.collect()
}

/// One item of the bank, if stored.
pub fn load_item(conn: &Connection, item_id: &str) -> rusqlite::Result<Option<Item>> {
    let head: Option<(String, String, f64)> = conn
        .prepare_cached("SELECT activity_id, title, max_score FROM item WHERE item_id = ?1")?
        .query_row([item_id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .optional()?;
    let Some((activity_id, title, max_score)) = head else {
        return Ok(None);
    };
    let mut standards_statement =
        conn.prepare_cached("SELECT standard FROM item_standard WHERE item_id = ?1 ORDER BY position")?;
    let standards =
        standards_statement.query_map([item_id], |row| row.get(0))?.collect::<rusqlite::Result<Vec<String>>>()?;
    let mut choices_statement = conn.prepare_cached(
        "SELECT choice, misconception, is_correct FROM item_choice WHERE item_id = ?1
          ORDER BY position",
    )?;
    let mut correct_choice = String::new();
    let mut distractors = Vec::new();
    let mut rows = choices_statement.query([item_id])?;
    while let Some(row) = rows.next()? {
        let choice: String = row.get(0)?;
        if row.get::<_, bool>(2)? {
            correct_choice = choice;
        } else {
            let misconception: Option<String> = row.get(1)?;
            distractors.push((choice, misconception.unwrap_or_default()));
        }
    }
    Ok(Some(Item { activity_id, title, standards, correct_choice, distractors, max_score }))
}

/// Inserts or replaces one item with its standards and choices.
pub fn upsert_item(conn: &Connection, item_id: &str, item: &Item) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO item (item_id, activity_id, title, max_score) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (item_id) DO UPDATE SET
            activity_id = excluded.activity_id, title = excluded.title,
            max_score = excluded.max_score",
    )?
    .execute(params![item_id, item.activity_id, item.title, item.max_score])?;
    conn.prepare_cached("DELETE FROM item_standard WHERE item_id = ?1")?.execute([item_id])?;
    conn.prepare_cached("DELETE FROM item_choice WHERE item_id = ?1")?.execute([item_id])?;
    let mut insert_standard =
        conn.prepare_cached("INSERT INTO item_standard (item_id, standard, position) VALUES (?1, ?2, ?3)")?;
    for (position, standard) in item.standards.iter().enumerate() {
        insert_standard.execute(params![item_id, standard, position as i64])?;
    }
    let mut insert_choice = conn.prepare_cached(
        "INSERT INTO item_choice (item_id, choice, misconception, is_correct, position)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    insert_choice.execute(params![item_id, item.correct_choice, Option::<String>::None, true, 0])?;
    for (position, (choice, misconception)) in item.distractors.iter().enumerate() {
        insert_choice.execute(params![item_id, choice, misconception, false, position as i64 + 1])?;
    }
    Ok(())
}

/// The stored mark for (student, date, class), if any.
pub fn load_attendance_mark(
    conn: &Connection,
    pkey: &str,
    date: NaiveDate,
    class_sourced_id: Option<&str>,
) -> rusqlite::Result<Option<AttendanceMark>> {
    conn.prepare_cached(
        "SELECT status, minutes FROM attendance
          WHERE pkey = ?1 AND date = ?2 AND COALESCE(class_sourced_id, '') = ?3",
    )?
    .query_row(params![pkey, date_text(date), class_sourced_id.unwrap_or("")], |row| {
        let status_text: String = row.get(0)?;
        let status = AttendanceStatus::from_spelling(&status_text)
            .ok_or_else(|| conversion_error(0, &status_text, "attendance status"))?;
        Ok(AttendanceMark { date, class_sourced_id: class_sourced_id.map(str::to_owned), status, minutes: row.get(1)? })
    })
    .optional()
}

/// Writes a mark, replacing any stored one for the same (student, date, class).
pub fn upsert_attendance(conn: &Connection, pkey: &str, mark: &AttendanceMark) -> rusqlite::Result<()> {
    let date = date_text(mark.date);
    conn.prepare_cached(
        "DELETE FROM attendance
          WHERE pkey = ?1 AND date = ?2 AND COALESCE(class_sourced_id, '') = ?3",
    )?
    .execute(params![pkey, date, mark.class_sourced_id.as_deref().unwrap_or("")])?;
    conn.prepare_cached(
        "INSERT INTO attendance (pkey, date, class_sourced_id, status, minutes)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![pkey, date, mark.class_sourced_id, mark.status.as_str(), mark.minutes])?;
    Ok(())
}

/// The stored outcome for (student, assessment, date), if any.
pub fn load_outcome(
    conn: &Connection,
    pkey: &str,
    assessment: &str,
    date: NaiveDate,
) -> rusqlite::Result<Option<Outcome>> {
    conn.prepare_cached(
        "SELECT score, proficiency_level FROM outcome
          WHERE pkey = ?1 AND assessment = ?2 AND date = ?3",
    )?
    .query_row(params![pkey, assessment, date_text(date)], |row| {
        let level: u8 = row.get(1)?;
        let proficiency_level =
            ProficiencyLevel::new(level).ok_or_else(|| conversion_error(1, &level.to_string(), "proficiency level"))?;
        Ok(Outcome { assessment: assessment.to_owned(), date, score: row.get(0)?, proficiency_level })
    })
    .optional()
}

/// Inserts or replaces one outcome.
pub fn upsert_outcome(conn: &Connection, pkey: &str, outcome: &Outcome) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO outcome (pkey, assessment, date, score, proficiency_level)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (pkey, assessment, date) DO UPDATE SET
            score = excluded.score, proficiency_level = excluded.proficiency_level",
    )?
    .execute(params![
        pkey,
        outcome.assessment,
        date_text(outcome.date),
        outcome.score,
        outcome.proficiency_level.get()
    ])?;
    Ok(())
}
