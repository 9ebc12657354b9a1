//! Reads of the indicator tables (and the raw tables they summarise) for the rules, the JSON views
//! and the live stream; plus the attendance summary, which is computed from marks in Rust.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};

use crate::indicators::attendance::{AttendanceSummary, DayStatus, Mark};
use crate::store::StoreError;

fn collect<T>(
    c: &Connection,
    sql: &str,
    p: impl rusqlite::Params,
    f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>, StoreError> {
    let mut st = c.prepare_cached(sql)?;
    let rows = st.query_map(p, f)?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// A student's attendance marks in date order (unknown statuses, which the schema forbids, skipped).
pub fn student_marks(c: &Connection, student_key: &str) -> Result<Vec<Mark>, StoreError> {
    let rows: Vec<(String, bool, String)> = collect(
        c,
        "SELECT date, class_sourced_id IS NULL, status FROM attendance WHERE pkey = ?1 ORDER BY date",
        [student_key],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    Ok(rows
        .into_iter()
        .filter_map(|(d, whole_day, s)| {
            Some(Mark {
                date: NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()?,
                whole_day,
                status: DayStatus::parse(&s)?,
            })
        })
        .collect())
}

/// Students with at least one attendance mark.
pub fn students_with_marks(c: &Connection) -> Result<Vec<String>, StoreError> {
    collect(c, "SELECT DISTINCT pkey FROM attendance ORDER BY pkey", [], |r| r.get(0))
}

pub fn save_attendance_summary(c: &Connection, student_key: &str, s: &AttendanceSummary) -> Result<(), StoreError> {
    if s.days_enrolled == 0 {
        c.prepare_cached("DELETE FROM attendance_summary WHERE student_key = ?1")?.execute([student_key])?;
        return Ok(());
    }
    c.prepare_cached(
        "INSERT INTO attendance_summary (student_key, days_enrolled, days_attended, days_absent, days_excused,
           days_tardy, consecutive_absences, last_day) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (student_key) DO UPDATE SET days_enrolled = excluded.days_enrolled,
           days_attended = excluded.days_attended, days_absent = excluded.days_absent,
           days_excused = excluded.days_excused, days_tardy = excluded.days_tardy,
           consecutive_absences = excluded.consecutive_absences, last_day = excluded.last_day",
    )?
    .execute(params![
        student_key,
        s.days_enrolled,
        s.days_attended,
        s.days_absent,
        s.days_excused,
        s.days_tardy,
        s.consecutive_absences,
        s.last_day.map(|d| d.format("%Y-%m-%d").to_string()),
    ])?;
    Ok(())
}

pub fn attendance_summary(c: &Connection, student_key: &str) -> Result<Option<AttendanceSummary>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT days_enrolled, days_attended, days_absent, days_excused, days_tardy, consecutive_absences, last_day
           FROM attendance_summary WHERE student_key = ?1",
    )?;
    Ok(st
        .query_row([student_key], |r| {
            Ok(AttendanceSummary {
                days_enrolled: r.get(0)?,
                days_attended: r.get(1)?,
                days_absent: r.get(2)?,
                days_excused: r.get(3)?,
                days_tardy: r.get(4)?,
                consecutive_absences: r.get(5)?,
                last_day: r.get::<_, Option<String>>(6)?.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok()),
            })
        })
        .optional()?)
}

/// A stored mastery value for display and the rules.
#[derive(Debug, Clone, PartialEq)]
pub struct MasteryValue {
    pub standard: String,
    pub p_known: f64,
    pub evidence: u32,
    pub correct: u32,
}

pub fn student_mastery(c: &Connection, student_key: &str) -> Result<Vec<MasteryValue>, StoreError> {
    collect(
        c,
        "SELECT standard, p_known, evidence, correct FROM mastery WHERE student_key = ?1 ORDER BY standard",
        [student_key],
        |r| Ok(MasteryValue { standard: r.get(0)?, p_known: r.get(1)?, evidence: r.get(2)?, correct: r.get(3)? }),
    )
}

/// Mastery of one standard as it stood at the end of the last week before `week` (Monday date).
pub fn mastery_before_week(
    c: &Connection,
    student_key: &str,
    standard: &str,
    week: &str,
) -> Result<Option<f64>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT p_known FROM mastery_week WHERE student_key = ?1 AND standard = ?2 AND week < ?3
          ORDER BY week DESC LIMIT 1",
    )?;
    Ok(st.query_row([student_key, standard, week], |r| r.get(0)).optional()?)
}

/// Correctness of the student's last `n` scored answers (event order, newest first).
pub fn recent_answers(c: &Connection, student_key: &str, n: u32) -> Result<Vec<bool>, StoreError> {
    collect(
        c,
        "SELECT correct FROM learning_event WHERE student_key = ?1 AND correct IS NOT NULL AND item_id IS NOT NULL
          ORDER BY at DESC, seq DESC LIMIT ?2",
        params![student_key, n],
        |r| Ok(r.get::<_, i64>(0)? != 0),
    )
}

/// (items presented, items answered) to a student in live sessions of the classes they are
/// enrolled in that started in `[from, to)` (RFC 3339 text bounds).
pub fn participation(c: &Connection, student_key: &str, from: &str, to: &str) -> Result<(u32, u32), StoreError> {
    let presented: u32 = c
        .prepare_cached(
            "SELECT count(*) FROM session_item si JOIN live_session s ON s.session_id = si.session_id
          WHERE s.started_at >= ?2 AND s.started_at < ?3
            AND s.class_id IN (SELECT class_sourced_id FROM enrollment WHERE pkey = ?1 AND role = 'student')",
        )?
        .query_row(params![student_key, from, to], |r| r.get(0))?;
    let answered: u32 = c
        .prepare_cached(
            "SELECT count(*) FROM (SELECT DISTINCT e.session_id, e.item_id FROM learning_event e
           JOIN live_session s ON s.session_id = e.session_id
          WHERE e.student_key = ?1 AND e.at >= ?2 AND e.correct IS NOT NULL AND e.item_id IS NOT NULL
            AND s.started_at >= ?2 AND s.started_at < ?3
            AND s.class_id IN (SELECT class_sourced_id FROM enrollment WHERE pkey = ?1 AND role = 'student'))",
        )?
        .query_row(params![student_key, from, to], |r| r.get(0))?;
    Ok((presented, answered))
}

/// The student's classes: (class id, course id, grades joined with ',').
pub fn student_classes(c: &Connection, student_key: &str) -> Result<Vec<(String, String, String)>, StoreError> {
    collect(
        c,
        "SELECT DISTINCT k.sourced_id, k.course_sourced_id, k.grades FROM enrollment e
           JOIN class k ON k.sourced_id = e.class_sourced_id
          WHERE e.pkey = ?1 AND e.role = 'student' ORDER BY k.sourced_id",
        [student_key],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// The student's own grades from the roster (users.csv), joined with ','.
pub fn student_grades(c: &Connection, student_key: &str) -> Result<Option<String>, StoreError> {
    Ok(c.prepare_cached("SELECT grades FROM user_account WHERE pkey = ?1")?
        .query_row([student_key], |r| r.get(0))
        .optional()?)
}

/// One scored answer in a session (from `learning_event`).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionAnswer {
    pub student_key: String,
    pub item_id: String,
    pub at: String,
    pub seq: i64,
    pub correct: bool,
    pub response: Option<String>,
    pub duration_s: Option<f64>,
}

/// Scored answers of a session (optionally of one item), in event order.
pub fn session_answers(
    c: &Connection,
    session_id: &str,
    item_id: Option<&str>,
) -> Result<Vec<SessionAnswer>, StoreError> {
    collect(
        c,
        "SELECT student_key, item_id, at, seq, correct, response, duration_s FROM learning_event
          WHERE session_id = ?1 AND (?2 IS NULL OR item_id = ?2) AND item_id IS NOT NULL AND correct IS NOT NULL
          ORDER BY at, seq",
        params![session_id, item_id],
        |r| {
            Ok(SessionAnswer {
                student_key: r.get(0)?,
                item_id: r.get(1)?,
                at: r.get(2)?,
                seq: r.get(3)?,
                correct: r.get::<_, i64>(4)? != 0,
                response: r.get(5)?,
                duration_s: r.get(6)?,
            })
        },
    )
}

/// A live session: (class id, started_at, last_at).
pub fn session(c: &Connection, session_id: &str) -> Result<Option<(Option<String>, String, String)>, StoreError> {
    Ok(c.prepare_cached("SELECT class_id, started_at, last_at FROM live_session WHERE session_id = ?1")?
        .query_row([session_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

/// Items seen in a session, in the order they were first seen.
pub fn session_items(c: &Connection, session_id: &str) -> Result<Vec<String>, StoreError> {
    collect(c, "SELECT item_id FROM session_item WHERE session_id = ?1 ORDER BY first_at, item_id", [session_id], |r| {
        r.get(0)
    })
}

/// Sessions of a class, newest first: (session id, started_at, last_at).
pub fn class_sessions(c: &Connection, class_id: &str, limit: u32) -> Result<Vec<(String, String, String)>, StoreError> {
    collect(
        c,
        "SELECT session_id, started_at, last_at FROM live_session WHERE class_id = ?1
          ORDER BY started_at DESC LIMIT ?2",
        params![class_id, limit],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )
}

/// The misconception each choice of an item signals.
pub fn item_misconceptions(c: &Connection, item_id: &str) -> Result<BTreeMap<String, Option<String>>, StoreError> {
    Ok(collect(c, "SELECT choice, misconception FROM item_choice WHERE item_id = ?1", [item_id], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?
    .into_iter()
    .collect())
}

/// The correct choice(s) of an item.
pub fn item_keys(c: &Connection, item_id: &str) -> Result<Vec<String>, StoreError> {
    collect(
        c,
        "SELECT choice FROM item_choice WHERE item_id = ?1 AND is_correct = 1 ORDER BY position",
        [item_id],
        |r| r.get(0),
    )
}

/// An item of the bank: (title, standards joined with ' ').
pub fn item_info(c: &Connection, item_id: &str) -> Result<Option<(String, Vec<String>)>, StoreError> {
    let title: Option<String> =
        c.prepare_cached("SELECT title FROM item WHERE item_id = ?1")?.query_row([item_id], |r| r.get(0)).optional()?;
    let Some(title) = title else { return Ok(None) };
    let standards =
        collect(c, "SELECT standard FROM item_standard WHERE item_id = ?1 ORDER BY position", [item_id], |r| r.get(0))?;
    Ok(Some((title, standards)))
}

/// Students enrolled in a class: (pkey, display name). Names come from the identity table only for
/// display to people allowed to see them.
pub fn class_students(c: &Connection, class_id: &str) -> Result<Vec<(String, String)>, StoreError> {
    collect(
        c,
        "SELECT DISTINCT e.pkey, COALESCE(p.preferred_given_name, p.given_name) || ' ' ||
                COALESCE(p.preferred_family_name, p.family_name)
           FROM enrollment e JOIN person p ON p.pkey = e.pkey
          WHERE e.class_sourced_id = ?1 AND e.role = 'student' ORDER BY 2, 1",
        [class_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// A class's title, if the class exists.
pub fn class_title(c: &Connection, class_id: &str) -> Result<Option<String>, StoreError> {
    Ok(c.prepare_cached("SELECT title FROM class WHERE sourced_id = ?1")?
        .query_row([class_id], |r| r.get(0))
        .optional()?)
}

/// Whether a rostered student with this key exists.
pub fn student_exists(c: &Connection, student_key: &str) -> Result<bool, StoreError> {
    Ok(c.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM person_role WHERE pkey = ?1 AND role = 'student')
             OR EXISTS(SELECT 1 FROM enrollment WHERE pkey = ?1 AND role = 'student')",
    )?
    .query_row([student_key], |r| r.get(0))?)
}

pub fn student_name(c: &Connection, student_key: &str) -> Result<Option<String>, StoreError> {
    Ok(c.prepare_cached(
        "SELECT COALESCE(preferred_given_name, given_name) || ' ' || COALESCE(preferred_family_name, family_name)
           FROM person WHERE pkey = ?1",
    )?
    .query_row([student_key], |r| r.get(0))
    .optional()?)
}

/// Mastery rows of every student of a class.
pub fn class_mastery(c: &Connection, class_id: &str) -> Result<Vec<(String, super::reads::MasteryValue)>, StoreError> {
    collect(
        c,
        "SELECT m.student_key, m.standard, m.p_known, m.evidence, m.correct FROM mastery m
          WHERE m.student_key IN (SELECT pkey FROM enrollment WHERE class_sourced_id = ?1 AND role = 'student')
          ORDER BY m.student_key, m.standard",
        [class_id],
        |r| {
            Ok((
                r.get(0)?,
                MasteryValue { standard: r.get(1)?, p_known: r.get(2)?, evidence: r.get(3)?, correct: r.get(4)? },
            ))
        },
    )
}

/// A student's scored answers, newest first (for the student detail view), at most `limit`.
pub fn student_answers(c: &Connection, student_key: &str, limit: u32) -> Result<Vec<SessionAnswer>, StoreError> {
    collect(
        c,
        "SELECT student_key, item_id, at, seq, correct, response, duration_s FROM learning_event
          WHERE student_key = ?1 AND item_id IS NOT NULL AND correct IS NOT NULL ORDER BY at DESC, seq DESC LIMIT ?2",
        params![student_key, limit],
        |r| {
            Ok(SessionAnswer {
                student_key: r.get(0)?,
                item_id: r.get(1)?,
                at: r.get(2)?,
                seq: r.get(3)?,
                correct: r.get::<_, i64>(4)? != 0,
                response: r.get(5)?,
                duration_s: r.get(6)?,
            })
        },
    )
}

/// Totals of an item over every student's first answer: (responders, correct).
pub fn item_stat(c: &Connection, item_id: &str) -> Result<Option<(u32, u32)>, StoreError> {
    Ok(c.prepare_cached("SELECT responders, correct FROM item_stat WHERE item_id = ?1")?
        .query_row([item_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?)
}

pub fn item_choice_counts(c: &Connection, item_id: &str) -> Result<Vec<(String, u32)>, StoreError> {
    collect(
        c,
        "SELECT response, count FROM item_choice_count WHERE item_id = ?1 ORDER BY count DESC, response",
        [item_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
}

/// First answers to an item with each responder's totals: (correct, answered, answered correct).
pub fn item_responders(c: &Connection, item_id: &str) -> Result<Vec<(bool, u32, u32)>, StoreError> {
    collect(
        c,
        "SELECT r.correct, a.answered, a.correct FROM item_response r
           JOIN student_answers a ON a.student_key = r.student_key WHERE r.item_id = ?1",
        [item_id],
        |r| Ok((r.get::<_, i64>(0)? != 0, r.get(1)?, r.get(2)?)),
    )
}

/// Items first-answered by students of a class, with how many of the class answered.
pub fn class_items(c: &Connection, class_id: &str) -> Result<Vec<String>, StoreError> {
    collect(
        c,
        "SELECT DISTINCT r.item_id FROM item_response r
          WHERE r.student_key IN (SELECT pkey FROM enrollment WHERE class_sourced_id = ?1 AND role = 'student')
          ORDER BY r.item_id",
        [class_id],
        |r| r.get(0),
    )
}

/// Stored indicator rows, for comparing the incremental path with the rebuild in tests.
pub fn dump_derived(c: &Connection) -> Result<Vec<String>, StoreError> {
    let mut out = Vec::new();
    for t in super::DERIVED_TABLES {
        let sql = format!("SELECT * FROM {t} ORDER BY 1, 2, 3");
        let mut st = c.prepare(&sql)?;
        let n = st.column_count();
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let mut line = format!("{t}:");
            for i in 0..n {
                line.push_str(&format!(" {:?}", r.get_ref(i)?));
            }
            out.push(line);
        }
    }
    Ok(out)
}
