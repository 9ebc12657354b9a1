//! Data for the alert tests, written with the store as the importers and ingest would leave it:
//! two classes of grade 6 math, student `stu-1` (class-1, taught by `teacher`, linked to
//! `guardian` and the `student` account) who answered five ratio questions wrong this week and
//! missed three days, and student `stu-2` (class-2, taught by `teacher2`).

use lantern_node::alerts;
use lantern_node::auth::{self, LinkTarget, Role};
use lantern_node::store::test_school::{self, RatioItem, WrongAnswer};
pub use lantern_node::store::test_school::{FOCUS, S1, S2};
use lantern_node::store::StoreError;

use crate::support::{t0, TestNode, PASSWORD};

pub async fn seed(n: &TestNode) {
    let store = n.store.clone();
    let bkt = n.node.state.policies.rules.bkt_model();
    tokio::task::spawn_blocking(move || {
        store
            .write_blocking(move |c| -> Result<(), StoreError> {
                test_school::two_classes(c)?;
                test_school::quiz_source(c)?;
                let ids: Vec<String> = (1..=6).map(|i| format!("q{i}")).collect();
                let iris: Vec<String> = ids.iter().map(|id| format!("https://quiz.example/items/{id}")).collect();
                let titles: Vec<String> = (1..=6).map(|i| format!("Ratio {i}")).collect();
                let items: Vec<RatioItem<'_>> =
                    (0..6).map(|i| RatioItem { item_id: &ids[i], activity_id: &iris[i], title: &titles[i] }).collect();
                test_school::ratio_items(c, &items)?;
                // Five wrong answers on q1..q5 this week, four signalling the same misconception.
                let answered: Vec<(i64, &str, String, String)> = [(1, "B"), (2, "B"), (3, "C"), (4, "B"), (5, "B")]
                    .into_iter()
                    .map(|(seq, response)| {
                        let id = format!("00000000-0000-4000-8000-00000000000{seq}");
                        (seq, response, id, format!("2026-09-1{}T09:00:00.000Z", seq % 4))
                    })
                    .collect();
                let answers: Vec<WrongAnswer<'_>> = answered
                    .iter()
                    .map(|(seq, response, id, at)| WrongAnswer {
                        seq: *seq,
                        statement_id: id,
                        at,
                        item_id: &ids[*seq as usize - 1],
                        response,
                    })
                    .collect();
                test_school::wrong_answers(c, &answers)?;
                test_school::attendance(
                    c,
                    &[
                        ("2026-09-07", "present"),
                        ("2026-09-08", "absent"),
                        ("2026-09-09", "present"),
                        ("2026-09-10", "absent"),
                        ("2026-09-11", "absent"),
                        ("2026-09-14", "present"),
                    ],
                )?;
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
    let table = table.to_string();
    n.store.read_blocking(move |c| test_school::dump(c, &table)).unwrap()
}
