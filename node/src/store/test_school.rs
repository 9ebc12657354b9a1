//! A tiny school written straight into the tables, as the importers and ingest would leave it, for
//! the alert tests in this crate (`alerts::test_support`) and over HTTP (`node/tests/http`): two
//! grade-6 math classes with a student each, ratio items with misconceptions, wrong answers and
//! attendance. The node itself never calls this.

use rusqlite::{params, Connection};

use super::StoreError;

/// Student 1 (`stu-1`, in `class-1`) and student 2 (`stu-2`, in `class-2`): pseudonymous keys.
pub const S1: &str = "p_s1";
pub const S2: &str = "p_s2";
/// The standard every seeded item assesses.
pub const FOCUS: &str = "CCSS.MATH.CONTENT.6.RP.A.3";

/// Two grade-6 math classes of course `course-m6` at `school-1`: `class-1` with Ada Lovelace
/// ([`S1`]), `class-2` with Bob Babbage ([`S2`]).
pub fn two_classes(c: &Connection) -> Result<(), StoreError> {
    c.execute_batch(
        "INSERT INTO class (sourced_id, title, class_type, course_sourced_id, school_sourced_id, grades, subjects,
                            subject_codes, periods)
         VALUES ('class-1', 'Math 6A', 'scheduled', 'course-m6', 'school-1', '06', 'math', '', '1'),
                ('class-2', 'Math 6B', 'scheduled', 'course-m6', 'school-1', '06', 'math', '', '2');
         INSERT INTO person (pkey, sourced_id, username, given_name, family_name)
         VALUES ('p_s1', 'stu-1', 'ada', 'Ada', 'Lovelace'), ('p_s2', 'stu-2', 'bob', 'Bob', 'Babbage');
         INSERT INTO user_account (pkey, enabled, grades) VALUES ('p_s1', 1, '06'), ('p_s2', 1, '06');
         INSERT INTO roster_record (kind, sourced_id, rkey, pkey)
         VALUES ('enrollment', 'e1', 'r_e1', 'p_s1'), ('enrollment', 'e2', 'r_e2', 'p_s2');
         INSERT INTO enrollment (rkey, class_sourced_id, school_sourced_id, pkey, role)
         VALUES ('r_e1', 'class-1', 'school-1', 'p_s1', 'student'), ('r_e2', 'class-2', 'school-1', 'p_s2', 'student');",
    )?;
    Ok(())
}

/// The data source `quiz` (id 1) that seeded statements come from.
pub fn quiz_source(c: &Connection) -> Result<(), StoreError> {
    c.execute_batch(
        "INSERT INTO data_source (id, name, key, secret_sha256, created_at)
         VALUES (1, 'quiz', 'src_quiz', x'00', '2026-09-01T00:00:00.000Z');",
    )?;
    Ok(())
}

/// One bank item on [`FOCUS`]: choice A is the key, B signals `ratio-as-difference`, C
/// `adds-parts`.
#[derive(Debug, Clone, Copy)]
pub struct RatioItem<'a> {
    pub item_id: &'a str,
    pub activity_id: &'a str,
    pub title: &'a str,
}

pub fn ratio_items(c: &Connection, items: &[RatioItem<'_>]) -> Result<(), StoreError> {
    for item in items {
        c.execute(
            "INSERT INTO item (item_id, activity_id, title, max_score) VALUES (?1, ?2, ?3, 1.0)",
            params![item.item_id, item.activity_id, item.title],
        )?;
        c.execute("INSERT INTO item_standard (item_id, standard, position) VALUES (?1, ?2, 0)", [item.item_id, FOCUS])?;
        let choices = [("A", None, 1), ("B", Some("ratio-as-difference"), 0), ("C", Some("adds-parts"), 0)];
        for (position, (choice, misconception, correct)) in choices.into_iter().enumerate() {
            c.execute(
                "INSERT INTO item_choice (item_id, choice, misconception, is_correct, position)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![item.item_id, choice, misconception, correct, position],
            )?;
        }
    }
    Ok(())
}

/// A wrong answer of student [`S1`] in `class-1`, stored as a statement (from [`quiz_source`]) and
/// its learning event.
#[derive(Debug, Clone, Copy)]
pub struct WrongAnswer<'a> {
    pub seq: i64,
    pub statement_id: &'a str,
    pub at: &'a str,
    pub item_id: &'a str,
    pub response: &'a str,
}

pub fn wrong_answers(c: &Connection, answers: &[WrongAnswer<'_>]) -> Result<(), StoreError> {
    for a in answers {
        c.execute(
            "INSERT INTO statement (seq, id, stored, timestamp, source_id, actor, verb, object, json)
             VALUES (?1, ?2, ?3, ?3, 1, 'mbox:ada', 'answered', ?4, '{}')",
            params![a.seq, a.statement_id, a.at, a.item_id],
        )?;
        c.execute(
            "INSERT INTO learning_event (seq, student_key, at, verb, item_id, class_id, correct, response)
             VALUES (?1, 'p_s1', ?2, 'answered', ?3, 'class-1', 0, ?4)",
            params![a.seq, a.at, a.item_id, a.response],
        )?;
    }
    Ok(())
}

/// Attendance marks of student [`S1`]: (date, status).
pub fn attendance(c: &Connection, marks: &[(&str, &str)]) -> Result<(), StoreError> {
    for (date, status) in marks {
        c.execute("INSERT INTO attendance (pkey, date, status) VALUES ('p_s1', ?1, ?2)", [date, status])?;
    }
    Ok(())
}

/// A table's rows as text, ordered by the first column: what tests compare to show that a refused
/// call changed nothing. `table` is a name the test chose, not input.
pub fn dump(c: &Connection, table: &str) -> Result<Vec<String>, StoreError> {
    let mut st = c.prepare(&format!("SELECT * FROM {table} ORDER BY 1"))?;
    let columns = st.column_count();
    let rows = st
        .query_map([], |r| {
            (0..columns)
                .map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}")))
                .collect::<Result<Vec<_>, _>>()
                .map(|values| values.join("|"))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}
