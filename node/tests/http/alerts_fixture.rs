//! Data for the alert tests, written with the store as the importers and ingest would leave it:
//! two classes of grade 6 math, student `stu-1` (class-1, taught by `teacher`, linked to
//! `guardian` and the `student` account) who answered five ratio questions wrong this week and
//! missed three days, and student `stu-2` (class-2, taught by `teacher2`).

use lantern_node::alerts;
use lantern_node::auth::{self, LinkTarget, Role};
use lantern_node::store::StoreError;
use rusqlite::params;

use crate::support::{t0, TestNode, PASSWORD};

pub const S1: &str = "p_s1";
pub const S2: &str = "p_s2";
pub const FOCUS: &str = "CCSS.MATH.CONTENT.6.RP.A.3";

pub async fn seed(n: &TestNode) {
    let store = n.store.clone();
    let bkt = n.node.state.policies.rules.bkt_model();
    tokio::task::spawn_blocking(move || {
        store
            .write_blocking(move |c| -> Result<(), StoreError> {
                c.execute_batch(
                    "INSERT INTO class (sourced_id, title, class_type, course_sourced_id, school_sourced_id, grades,
                                        subjects, subject_codes, periods)
                     VALUES ('class-1', 'Math 6A', 'scheduled', 'course-m6', 'school-1', '06', 'math', '', '1'),
                            ('class-2', 'Math 6B', 'scheduled', 'course-m6', 'school-1', '06', 'math', '', '2');
                     INSERT INTO person (pkey, sourced_id, username, given_name, family_name)
                     VALUES ('p_s1', 'stu-1', 'ada', 'Ada', 'Lovelace'), ('p_s2', 'stu-2', 'bob', 'Bob', 'Babbage');
                     INSERT INTO user_account (pkey, enabled, grades) VALUES ('p_s1', 1, '06'), ('p_s2', 1, '06');
                     INSERT INTO roster_record (kind, sourced_id, rkey, pkey)
                     VALUES ('enrollment', 'e1', 'r_e1', 'p_s1'), ('enrollment', 'e2', 'r_e2', 'p_s2');
                     INSERT INTO enrollment (rkey, class_sourced_id, school_sourced_id, pkey, role)
                     VALUES ('r_e1', 'class-1', 'school-1', 'p_s1', 'student'),
                            ('r_e2', 'class-2', 'school-1', 'p_s2', 'student');
                     INSERT INTO data_source (id, name, key, secret_sha256, created_at)
                     VALUES (1, 'quiz', 'src_quiz', x'00', '2026-09-01T00:00:00.000Z');",
                )?;
                for i in 1..=6 {
                    let item = format!("q{i}");
                    c.execute(
                        "INSERT INTO item (item_id, activity_id, title, max_score) VALUES (?1, ?2, ?3, 1.0)",
                        params![item, format!("https://quiz.example/items/{item}"), format!("Ratio {i}")],
                    )?;
                    c.execute(
                        "INSERT INTO item_standard (item_id, standard, position) VALUES (?1, ?2, 0)",
                        params![item, FOCUS],
                    )?;
                    for (pos, (choice, misconception, correct)) in
                        [("A", None, 1), ("B", Some("ratio-as-difference"), 0), ("C", Some("adds-parts"), 0)]
                            .into_iter()
                            .enumerate()
                    {
                        c.execute(
                            "INSERT INTO item_choice (item_id, choice, misconception, is_correct, position)
                             VALUES (?1, ?2, ?3, ?4, ?5)",
                            params![item, choice, misconception, correct, pos],
                        )?;
                    }
                }
                // Five wrong answers on q1..q5 this week, four signalling the same misconception.
                for (seq, response) in [(1, "B"), (2, "B"), (3, "C"), (4, "B"), (5, "B")] {
                    let at = format!("2026-09-1{}T09:00:00.000Z", seq % 4);
                    c.execute(
                        "INSERT INTO statement (seq, id, stored, timestamp, source_id, actor, verb, object, json)
                         VALUES (?1, ?2, ?3, ?3, 1, 'mbox:ada', 'answered', ?4, '{}')",
                        params![seq, format!("00000000-0000-4000-8000-00000000000{seq}"), at, format!("q{seq}")],
                    )?;
                    c.execute(
                        "INSERT INTO learning_event (seq, student_key, at, verb, item_id, class_id, correct, response)
                         VALUES (?1, 'p_s1', ?2, 'answered', ?3, 'class-1', 0, ?4)",
                        params![seq, at, format!("q{seq}"), response],
                    )?;
                }
                for (day, status) in [
                    ("2026-09-07", "present"),
                    ("2026-09-08", "absent"),
                    ("2026-09-09", "present"),
                    ("2026-09-10", "absent"),
                    ("2026-09-11", "absent"),
                    ("2026-09-14", "present"),
                ] {
                    c.execute("INSERT INTO attendance (pkey, date, status) VALUES ('p_s1', ?1, ?2)", [day, status])?;
                }
                // Events were written straight into the tables: derive the indicators from them.
                lantern_node::indicators::rebuild(c, &bkt, false)?;
                Ok(())
            })
            .unwrap();
        auth::add_user(&store, "teacher2", Role::Teacher, Some(PASSWORD), None, t0()).unwrap();
        auth::link(&store, "teacher", LinkTarget::Class("class-1".into()), t0()).unwrap();
        auth::link(&store, "teacher2", LinkTarget::Class("class-2".into()), t0()).unwrap();
        auth::link(&store, "guardian", LinkTarget::Student("stu-1".into()), t0()).unwrap();
        auth::link(&store, "student", LinkTarget::Student("stu-1".into()), t0()).unwrap();
    })
    .await
    .unwrap();
}

/// Evaluates one student's rules from the stored data at the node's current time, as the lead's
/// wiring will after each event.
pub async fn evaluate(n: &TestNode, student: &'static str) -> Vec<alerts::FlagChange> {
    let (store, policy, now) = (n.store.clone(), n.node.state.policies.rules.clone(), n.node.state.clock.now());
    store
        .write(move |c| {
            // The fixture writes events straight into the tables, so derive the indicators first.
            lantern_node::indicators::rebuild(c, &policy.bkt_model(), false)?;
            let facts = lantern_node::indicators::student_facts(c, &policy, student, now)?;
            alerts::evaluate_student(c, &policy, student, &facts, now)
        })
        .await
        .unwrap()
}

/// A table's rows as text (to show a refused request changed nothing).
pub fn dump(n: &TestNode, table: &str) -> Vec<String> {
    let sql = format!("SELECT * FROM {table} ORDER BY 1");
    n.store
        .read_blocking(move |c| -> Result<Vec<String>, StoreError> {
            let mut st = c.prepare(&sql)?;
            let cols = st.column_count();
            let rows = st
                .query_map([], |r| {
                    (0..cols)
                        .map(|i| r.get::<_, rusqlite::types::Value>(i).map(|v| format!("{v:?}")))
                        .collect::<Result<Vec<_>, _>>()
                        .map(|v| v.join("|"))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .unwrap()
}
