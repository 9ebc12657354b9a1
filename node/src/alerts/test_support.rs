//! Fixtures for the alert unit tests: a store with a tiny roster (two classes, two students, a
//! guardian), principals for each role, the default rules policy and facts that raise its tier 2
//! rule.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::{DateTime, Duration, Utc};
use lantern_policies::rules::{self, FactSheet, Grade, Indicator, RulesPolicy, StandardCode, Value};
use lantern_policies::PolicySource;
use rusqlite::Connection;

use crate::auth::{Principal, Role, SessionKind};
use crate::store::{self, Store, StoreError};

pub const S1: &str = "p_s1";
pub const S2: &str = "p_s2";
pub const C1: &str = "class-1";
pub const C2: &str = "class-2";
pub const FOCUS: &str = "CCSS.MATH.CONTENT.6.RP.A.3";

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-10-05T08:00:00Z").unwrap().with_timezone(&Utc)
}

pub fn days(n: i64) -> Duration {
    Duration::days(n)
}

pub struct Fixture {
    pub store: Store,
    _dir: tempfile::TempDir,
}

/// Teacher 1 teaches class-1 (student S1), teacher 5 teaches class-2 (student S2); account 2 is
/// MTSS; guardian 3 is linked to S1; account 4 is student S1.
pub fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = store::open_temp(dir.path()).unwrap();
    store.write_blocking(|c| -> Result<(), StoreError> { seed(c) }).unwrap();
    Fixture { store, _dir: dir }
}

fn seed(c: &Connection) -> Result<(), StoreError> {
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
         VALUES ('r_e1', 'class-1', 'school-1', 'p_s1', 'student'), ('r_e2', 'class-2', 'school-1', 'p_s2', 'student');
         INSERT INTO account (id, username, role, password_hash, person_key, created_at, password_changed_at)
         VALUES (1, 'teacher', 'teacher', 'x', NULL, 't', 't'), (2, 'mtss', 'mtss', 'x', NULL, 't', 't'),
                (3, 'guardian', 'guardian', 'x', NULL, 't', 't'), (4, 'student', 'student', 'x', 'p_s1', 't', 't'),
                (5, 'teacher2', 'teacher', 'x', NULL, 't', 't');
         INSERT INTO account_link (account_id, kind, target, created_at)
         VALUES (1, 'class', 'class-1', 't'), (5, 'class', 'class-2', 't'), (3, 'student', 'p_s1', 't');",
    )?;
    Ok(())
}

pub fn principal(role: Role) -> Principal {
    let (account_id, person_key) = match role {
        Role::Teacher => (1, None),
        Role::Mtss => (2, None),
        Role::Guardian => (3, None),
        Role::Student => (4, Some(S1.to_string())),
        Role::Admin => (6, None),
        Role::PrivacyOfficer => (7, None),
    };
    Principal {
        account_id,
        username: role.as_str().to_string(),
        role,
        person_key,
        session_id: 0,
        csrf_token: String::new(),
        via: SessionKind::Api,
        must_change_password: false,
    }
}

/// The teacher of the other class.
pub fn other_teacher() -> Principal {
    Principal { account_id: 5, username: "teacher2".into(), ..principal(Role::Teacher) }
}

pub fn policy() -> RulesPolicy {
    rules::load(&rules::default_source()).unwrap()
}

pub fn policy_from(text: &str) -> RulesPolicy {
    rules::load(&PolicySource::builtin("rules.toml", text)).unwrap()
}

pub fn focus() -> StandardCode {
    StandardCode::parse(FOCUS).unwrap()
}

/// Facts that raise the default policy's tier 2 rule `reteach-attendance` and nothing else.
pub fn tier2_facts() -> FactSheet {
    let mut f = FactSheet::new().with_mastery(&focus(), 0.42, 5).with(Indicator::Absences14d, Value::Count(3));
    f.grades.insert(Grade::parse("06").unwrap());
    f.classes.insert(C1.to_string());
    f.courses.insert("course-m6".to_string());
    f
}

/// Facts under which no default rule fires.
pub fn calm_facts() -> FactSheet {
    let mut f = FactSheet::new().with_mastery(&focus(), 0.9, 5).with(Indicator::Absences14d, Value::Count(0));
    f.grades.insert(Grade::parse("06").unwrap());
    f
}

/// Row count of a table.
pub fn count(store: &Store, table: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {table}");
    store.read_blocking(move |c| Ok::<i64, StoreError>(c.query_row(&sql, [], |r| r.get(0))?)).unwrap()
}

/// A table's rows as text, to show that a failed call changed nothing.
pub fn dump(store: &Store, table: &str) -> Vec<String> {
    let sql = format!("SELECT * FROM {table} ORDER BY 1");
    store
        .read_blocking(move |c| -> Result<Vec<String>, StoreError> {
            let mut st = c.prepare(&sql)?;
            let n = st.column_count();
            let rows = st
                .query_map([], |r| {
                    (0..n)
                        .map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}")))
                        .collect::<Result<Vec<_>, _>>()
                        .map(|v| v.join("|"))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .unwrap()
}

/// Three bank items on the focus standard (choice B signals "ratio-as-difference", C
/// "adds-parts"), and three wrong answers of S1 the day before `t0` (B, B, C), plus attendance.
pub fn seed_answers(store: &Store) {
    store
        .write_blocking(|c| -> Result<(), StoreError> {
            c.execute_batch(
                "INSERT INTO data_source (id, name, key, secret_sha256, created_at)
                 VALUES (1, 'quiz', 'src_quiz', x'00', '2026-09-01T00:00:00.000Z');",
            )?;
            for i in 1..=4 {
                let item = format!("q{i}");
                c.execute(
                    "INSERT INTO item (item_id, activity_id, title, max_score) VALUES (?1, ?1, ?1, 1.0)",
                    [&item],
                )?;
                c.execute(
                    "INSERT INTO item_standard (item_id, standard, position) VALUES (?1, ?2, 0)",
                    [&item, FOCUS],
                )?;
                for (pos, (choice, mc, ok)) in
                    [("A", None, 1), ("B", Some("ratio-as-difference"), 0), ("C", Some("adds-parts"), 0)]
                        .into_iter()
                        .enumerate()
                {
                    c.execute(
                        "INSERT INTO item_choice (item_id, choice, misconception, is_correct, position)
                         VALUES (?1, ?2, ?3, ?4, ?5)",
                        rusqlite::params![item, choice, mc, ok, pos],
                    )?;
                }
            }
            for (seq, response) in [(1, "B"), (2, "B"), (3, "C")] {
                let at = "2026-10-04T09:00:00.000Z";
                c.execute(
                    "INSERT INTO statement (seq, id, stored, timestamp, source_id, actor, verb, object, json)
                     VALUES (?1, ?2, ?3, ?3, 1, 'mbox:ada', 'answered', ?4, '{}')",
                    rusqlite::params![seq, format!("id-{seq}"), at, format!("q{seq}")],
                )?;
                c.execute(
                    "INSERT INTO learning_event (seq, student_key, at, verb, item_id, class_id, correct, response)
                     VALUES (?1, 'p_s1', ?2, 'answered', ?3, 'class-1', 0, ?4)",
                    rusqlite::params![seq, at, format!("q{seq}"), response],
                )?;
            }
            for (d, s) in [
                ("2026-09-29", "present"),
                ("2026-09-30", "absent"),
                ("2026-10-01", "present"),
                ("2026-10-02", "absent"),
            ] {
                c.execute("INSERT INTO attendance (pkey, date, status) VALUES ('p_s1', ?1, ?2)", [d, s])?;
            }
            Ok(())
        })
        .unwrap();
}
