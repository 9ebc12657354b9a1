//! Fixtures for the alert unit tests: a store with a tiny roster (two classes, two students, a
//! guardian), principals for each role, the default rules policy and facts that raise its tier 2
//! rule.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::{DateTime, Duration, Utc};
use lantern_policies::rules::{self, FactSheet, Grade, Indicator, RulesPolicy, StandardCode, Value};
use lantern_policies::PolicySource;
use rusqlite::Connection;

use crate::auth::{Principal, Role, SessionKind};
use crate::store::test_school::{self, RatioItem, WrongAnswer};
pub use crate::store::test_school::{FOCUS, S1, S2};
use crate::store::{self, Store, StoreError};

pub const C1: &str = "class-1";
pub const C2: &str = "class-2";

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
    test_school::two_classes(c)?;
    c.execute_batch(
        "INSERT INTO account (id, username, role, password_hash, person_key, created_at, password_changed_at)
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
    let table = table.to_string();
    store.read_blocking(move |c| test_school::dump(c, &table)).unwrap()
}

/// Four bank items on the focus standard (choice B signals "ratio-as-difference", C
/// "adds-parts"), and three wrong answers of S1 the day before `t0` (B, B, C), plus attendance.
pub fn seed_answers(store: &Store) {
    store
        .write_blocking(|c| -> Result<(), StoreError> {
            test_school::quiz_source(c)?;
            let ids: Vec<String> = (1..=4).map(|i| format!("q{i}")).collect();
            let items: Vec<RatioItem<'_>> =
                ids.iter().map(|id| RatioItem { item_id: id, activity_id: id, title: id }).collect();
            test_school::ratio_items(c, &items)?;
            let statement_ids: Vec<String> = (1..=3).map(|seq| format!("id-{seq}")).collect();
            let answers: Vec<WrongAnswer<'_>> = [(1, "B"), (2, "B"), (3, "C")]
                .into_iter()
                .map(|(seq, response)| WrongAnswer {
                    seq,
                    statement_id: &statement_ids[seq as usize - 1],
                    at: "2026-10-04T09:00:00.000Z",
                    item_id: &ids[seq as usize - 1],
                    response,
                })
                .collect();
            test_school::wrong_answers(c, &answers)?;
            test_school::attendance(
                c,
                &[
                    ("2026-09-29", "present"),
                    ("2026-09-30", "absent"),
                    ("2026-10-01", "present"),
                    ("2026-10-02", "absent"),
                ],
            )
        })
        .unwrap();
}
