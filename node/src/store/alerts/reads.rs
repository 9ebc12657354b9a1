//! Read-only queries over the roster, item bank, attendance, learning events and outcomes that the
//! alert work needs: enrolments and grades, answers and attendance for the interim facts, the
//! misconceptions behind wrong answers, item-bank lookups for next steps, display names, and later
//! outcomes for rule tuning.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::{params, Connection, OptionalExtension};

use crate::store::StoreError;

fn strings(c: &Connection, sql: &str, p: impl rusqlite::Params) -> Result<Vec<String>, StoreError> {
    let mut st = c.prepare_cached(sql)?;
    let rows = st.query_map(p, |r| r.get::<_, String>(0))?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Whether a rostered person has this pseudonymous key.
pub fn person_exists(c: &Connection, key: &str) -> Result<bool, StoreError> {
    Ok(c.prepare_cached("SELECT EXISTS(SELECT 1 FROM person WHERE pkey = ?1)")?.query_row([key], |r| r.get(0))?)
}

/// Every student on the roster (by enrolment or role).
pub fn rostered_students(c: &Connection) -> Result<Vec<String>, StoreError> {
    strings(
        c,
        "SELECT pkey FROM enrollment WHERE role = 'student' UNION SELECT pkey FROM person_role WHERE role = 'student'
          ORDER BY 1",
        [],
    )
}

/// Students enrolled in a class.
pub fn class_students(c: &Connection, class_id: &str) -> Result<Vec<String>, StoreError> {
    strings(
        c,
        "SELECT DISTINCT pkey FROM enrollment WHERE class_sourced_id = ?1 AND role = 'student' ORDER BY pkey",
        [class_id],
    )
}

/// A student's classes with their courses: (class sourcedId, course sourcedId).
pub fn student_classes(c: &Connection, key: &str) -> Result<Vec<(String, String)>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT DISTINCT e.class_sourced_id, k.course_sourced_id FROM enrollment e
           JOIN class k ON k.sourced_id = e.class_sourced_id
          WHERE e.pkey = ?1 AND e.role = 'student' ORDER BY 1",
    )?;
    let rows = st.query_map([key], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The student's grades as OneRoster lists them (comma-joined), if rostered as a user.
pub fn student_grades(c: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(c.prepare_cached("SELECT grades FROM user_account WHERE pkey = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// Whole-day attendance marks up to and including `until` (YYYY-MM-DD), in date order.
pub fn attendance_days(c: &Connection, key: &str, until: &str) -> Result<Vec<(String, String)>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT date, status FROM attendance WHERE pkey = ?1 AND class_sourced_id IS NULL AND date <= ?2 ORDER BY date",
    )?;
    let rows = st.query_map(params![key, until], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// One scored answer on a bank item and a standard it addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoredAnswer {
    pub seq: i64,
    pub item_id: String,
    pub standard: String,
    pub correct: bool,
}

/// A student's scored answers up to `until` (RFC 3339), in time order, one row per standard of
/// the item.
pub fn scored_answers(c: &Connection, key: &str, until: &str) -> Result<Vec<ScoredAnswer>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT le.seq, le.item_id, s.standard, le.correct FROM learning_event le
           JOIN item_standard s ON s.item_id = le.item_id
          WHERE le.student_key = ?1 AND le.correct IS NOT NULL AND le.at <= ?2
          ORDER BY le.at, le.seq, s.position",
    )?;
    let rows = st
        .query_map(params![key, until], |r| {
            Ok(ScoredAnswer { seq: r.get(0)?, item_id: r.get(1)?, standard: r.get(2)?, correct: r.get(3)? })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// How often each misconception was signalled by the students' wrong answers (the chosen
/// distractor's misconception in the item bank), optionally only on items of one standard and
/// only answers at or after `since` (RFC 3339).
pub fn misconception_counts(
    c: &Connection,
    students: &[String],
    standard: Option<&str>,
    since: Option<&str>,
) -> Result<BTreeMap<String, u64>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT ch.misconception, count(*) FROM learning_event le
           JOIN item_choice ch ON ch.item_id = le.item_id AND ch.choice = le.response
          WHERE le.student_key = ?1 AND ch.is_correct = 0 AND ch.misconception IS NOT NULL
            AND (?2 IS NULL OR EXISTS (SELECT 1 FROM item_standard s WHERE s.item_id = le.item_id AND s.standard = ?2))
            AND (?3 IS NULL OR le.at >= ?3)
          GROUP BY ch.misconception",
    )?;
    let mut counts = BTreeMap::new();
    for key in students {
        for row in st.query_map(params![key, standard, since], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))? {
            let (m, n) = row?;
            *counts.entry(m).or_insert(0) += n;
        }
    }
    Ok(counts)
}

/// Up to `limit` bank items on `standard`, those with a distractor signalling `misconception`
/// when given, skipping `exclude`, in item-id order.
pub fn items_for(
    c: &Connection,
    standard: &str,
    misconception: Option<&str>,
    exclude: &BTreeSet<String>,
    limit: usize,
) -> Result<Vec<String>, StoreError> {
    let all = strings(
        c,
        "SELECT s.item_id FROM item_standard s WHERE s.standard = ?1
            AND (?2 IS NULL OR EXISTS (SELECT 1 FROM item_choice ch WHERE ch.item_id = s.item_id
                                                                    AND ch.misconception = ?2))
          ORDER BY s.item_id",
        params![standard, misconception],
    )?;
    Ok(all.into_iter().filter(|i| !exclude.contains(i)).take(limit).collect())
}

/// Items the student has answered.
pub fn answered_items(c: &Connection, key: &str) -> Result<BTreeSet<String>, StoreError> {
    Ok(strings(c, "SELECT DISTINCT item_id FROM learning_event WHERE student_key = ?1 AND item_id IS NOT NULL", [key])?
        .into_iter()
        .collect())
}

/// Whether an item is in the bank.
pub fn item_exists(c: &Connection, item_id: &str) -> Result<bool, StoreError> {
    Ok(c.prepare_cached("SELECT EXISTS(SELECT 1 FROM item WHERE item_id = ?1)")?.query_row([item_id], |r| r.get(0))?)
}

/// Names as shown to staff (preferred given name, else given name, then family name).
pub fn display_names(c: &Connection, keys: &[String]) -> Result<BTreeMap<String, String>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT COALESCE(preferred_given_name, given_name) || ' ' || COALESCE(preferred_family_name, family_name)
           FROM person WHERE pkey = ?1",
    )?;
    let mut out = BTreeMap::new();
    for k in keys {
        if let Some(name) = st.query_row([k], |r| r.get::<_, String>(0)).optional()? {
            out.insert(k.clone(), name);
        }
    }
    Ok(out)
}

/// The student's latest later outcome on or after `from` (YYYY-MM-DD): its proficiency level 1–4.
pub fn outcome_after(c: &Connection, key: &str, from: &str) -> Result<Option<u8>, StoreError> {
    Ok(c.prepare_cached(
        "SELECT proficiency_level FROM outcome WHERE pkey = ?1 AND date >= ?2 ORDER BY date DESC LIMIT 1",
    )?
    .query_row(params![key, from], |r| r.get(0))
    .optional()?)
}

/// An account's role, by id.
pub fn account_role(c: &Connection, account_id: i64) -> Result<Option<String>, StoreError> {
    Ok(c.prepare_cached("SELECT role FROM account WHERE id = ?1 AND disabled = 0")?
        .query_row([account_id], |r| r.get(0))
        .optional()?)
}

/// Scored answers of a student in `[from, to)` (RFC 3339): (answered, correct).
pub fn answers_between(c: &Connection, key: &str, from: &str, to: &str) -> Result<(u64, u64), StoreError> {
    Ok(c.prepare_cached(
        "SELECT count(*), COALESCE(sum(correct), 0) FROM learning_event
          WHERE student_key = ?1 AND correct IS NOT NULL AND at >= ?2 AND at < ?3",
    )?
    .query_row(params![key, from, to], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// Per rule: flags raised, and how many are now dismissed, expired, resolved, or still live.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleFlagCounts {
    pub raised: u64,
    pub dismissed: u64,
    pub expired: u64,
    pub resolved: u64,
    pub live: u64,
    /// Flags a person ever overrode.
    pub overridden: u64,
}

pub fn rule_flag_counts(c: &Connection) -> Result<BTreeMap<String, RuleFlagCounts>, StoreError> {
    let mut out: BTreeMap<String, RuleFlagCounts> = BTreeMap::new();
    let mut st = c.prepare_cached(
        "SELECT rule_id, count(*), sum(state = 'dismissed'), sum(state = 'expired'), sum(state = 'resolved'),
                sum(state IN ('open', 'acknowledged', 'overridden', 'intervention_started'))
           FROM flag GROUP BY rule_id",
    )?;
    for row in st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            RuleFlagCounts {
                raised: r.get(1)?,
                dismissed: r.get(2)?,
                expired: r.get(3)?,
                resolved: r.get(4)?,
                live: r.get(5)?,
                overridden: 0,
            },
        ))
    })? {
        let (rule, counts) = row?;
        out.insert(rule, counts);
    }
    let mut st = c.prepare_cached(
        "SELECT f.rule_id, count(DISTINCT f.id) FROM flag_event e JOIN flag f ON f.id = e.flag_id
          WHERE e.to_state = 'overridden' GROUP BY f.rule_id",
    )?;
    for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))? {
        let (rule, n) = row?;
        out.entry(rule).or_default().overridden = n;
    }
    Ok(out)
}

/// A rating of a flag, with the flag's rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRating {
    pub rule_id: String,
    pub flag_id: i64,
    pub useful: bool,
    pub comment: Option<String>,
}

/// Every rating with its flag's rule, by rule and flag.
pub fn ratings_by_rule(c: &Connection) -> Result<Vec<RuleRating>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT f.rule_id, r.flag_id, r.useful, r.comment FROM flag_rating r JOIN flag f ON f.id = r.flag_id
          ORDER BY f.rule_id, r.flag_id, r.at",
    )?;
    let rows = st
        .query_map([], |r| {
            Ok(RuleRating { rule_id: r.get(0)?, flag_id: r.get(1)?, useful: r.get(2)?, comment: r.get(3)? })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Each student flagged by each rule, with the first time: (rule id, student key, first raised).
pub fn flagged_students(c: &Connection) -> Result<Vec<(String, String, String)>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT rule_id, student_key, min(raised_at) FROM flag GROUP BY rule_id, student_key ORDER BY 1, 2",
    )?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// Flag transitions in `[from, to)`: (flag id, to_state).
pub fn transitions_between(c: &Connection, from: &str, to: &str) -> Result<Vec<(i64, String)>, StoreError> {
    let mut st = c.prepare_cached("SELECT flag_id, to_state FROM flag_event WHERE at >= ?1 AND at < ?2 ORDER BY id")?;
    let rows = st.query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// A class's title, if the class exists.
pub fn class_title(c: &Connection, class_id: &str) -> Result<Option<String>, StoreError> {
    Ok(c.prepare_cached("SELECT title FROM class WHERE sourced_id = ?1")?
        .query_row([class_id], |r| r.get(0))
        .optional()?)
}
