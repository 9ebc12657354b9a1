//! The live stream over real HTTP: a subscribed client receives an answer as it is committed, a
//! teacher never receives another class's events, and `Last-Event-ID` resumes where it left off.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use std::time::Duration;

use lantern_node::auth::{self, LinkTarget};
use lantern_node::events::LearningEvent;
use lantern_node::store::indicators::seed;
use lantern_node::store::StoreError;

use crate::support::{t0, TestNode};

/// Two classes of two students, an item bank of one item, the teacher account linked to c1.
pub async fn roster(n: &TestNode) {
    n.store
        .write(|c| -> Result<(), StoreError> {
            seed::class(c, "c1", "Math 6A", "06")?;
            seed::class(c, "c2", "Math 6B", "06")?;
            seed::student(c, "p1", "Ada", "Lovelace", Some("c1"))?;
            seed::student(c, "p2", "Alan", "Turing", Some("c1"))?;
            seed::student(c, "p3", "Grace", "Hopper", Some("c2"))?;
            let choices = [("a", true, None), ("b", false, Some("adds the ratios"))];
            seed::item(c, "i1", &["CCSS.MATH.CONTENT.6.RP.A.3"], &choices)?;
            Ok(())
        })
        .await
        .unwrap();
    let s = n.store.clone();
    tokio::task::spawn_blocking(move || {
        auth::link(&s, "teacher", LinkTarget::Class("c1".into()), t0()).unwrap();
        auth::link(&s, "student", LinkTarget::Student("p1".into()), t0()).unwrap();
        auth::link(&s, "guardian", LinkTarget::Student("p2".into()), t0()).unwrap();
    })
    .await
    .unwrap();
}

/// Stores events and runs the node's event sink as ingest does: in the write, then after commit.
pub async fn feed(n: &TestNode, events: Vec<LearningEvent>) {
    let sink = n.node.state.event_sink.clone().expect("the node has an event sink");
    let (s, evs) = (sink.clone(), events.clone());
    let changes = n
        .store
        .write(move |c| {
            for e in &evs {
                seed::event(c, e)?;
            }
            s.in_transaction(c, &evs)
        })
        .await
        .unwrap();
    sink.after_commit(events, changes);
    // The indicator engine applies committed events on its own thread; wait until it has.
    assert!(n.node.state.indicators.settled(Duration::from_secs(5)).await, "the indicator engine caught up");
}

pub fn answer(seq: i64, student: &str, class: &str, correct: bool) -> LearningEvent {
    let at = format!("2026-09-14T09:00:{:02}Z", seq % 60);
    seed::answer(
        seq,
        student,
        &at,
        "i1",
        Some((class, &format!("sess-{class}"))),
        correct,
        if correct { "a" } else { "b" },
    )
}

struct SseReader {
    resp: reqwest::Response,
    buf: String,
}

impl SseReader {
    async fn open(n: &TestNode, user: &str, last_event_id: Option<&str>) -> SseReader {
        let token = n.token(user).await;
        let mut req = n.client.get(n.url("/api/v1/stream")).bearer_auth(token);
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        SseReader { resp, buf: String::new() }
    }

    /// Reads until `needle` appears (or the time runs out); returns everything read so far.
    async fn until(&mut self, needle: &str, wait: Duration) -> String {
        let deadline = tokio::time::Instant::now() + wait;
        while !self.buf.contains(needle) {
            match tokio::time::timeout_at(deadline, self.resp.chunk()).await {
                Ok(Ok(Some(bytes))) => self.buf.push_str(&String::from_utf8_lossy(&bytes)),
                _ => break,
            }
        }
        self.buf.clone()
    }
}

#[tokio::test]
async fn an_answer_reaches_subscribed_clients_within_their_scope() {
    let n = TestNode::start().await;
    roster(&n).await;
    let before = n.count("access_log");
    let mut teacher = SseReader::open(&n, "teacher", None).await;
    assert_eq!(n.count("access_log"), before + 2, "opening a stream logs the students it may show");
    let mut mtss = SseReader::open(&n, "mtss", None).await;
    let mut student = SseReader::open(&n, "student", None).await;
    teacher.until("event: ready", Duration::from_secs(5)).await;

    // An answer in the other class first, then one in the teacher's class.
    feed(&n, vec![answer(1, "p3", "c2", false)]).await;
    feed(&n, vec![answer(2, "p1", "c1", true)]).await;

    let got = teacher.until("\"student_key\":\"p1\"", Duration::from_secs(5)).await;
    assert!(got.contains("event: answer_received"), "{got}");
    assert!(
        got.contains("event: item_stats_changed")
            || teacher.until("item_stats_changed", Duration::from_secs(2)).await.contains("item_stats_changed")
    );
    let got = teacher.until("mastery_changed", Duration::from_secs(5)).await;
    assert!(!got.contains("p3") && !got.contains("\"c2\""), "a teacher never receives another class's events: {got}");

    let all = mtss.until("\"student_key\":\"p1\"", Duration::from_secs(5)).await;
    assert!(all.contains("\"student_key\":\"p3\""), "MTSS sees the school: {all}");

    let own = student.until("\"student_key\":\"p1\"", Duration::from_secs(5)).await;
    assert!(own.contains("answer_received"));
    assert!(!own.contains("p3") && !own.contains("item_stats_changed"), "students see only their own: {own}");
}

#[tokio::test]
async fn last_event_id_resumes_from_the_ring() {
    let n = TestNode::start().await;
    roster(&n).await;
    feed(&n, vec![answer(1, "p1", "c1", true)]).await;
    let first_batch_end = n.node.state.live.next_id() - 1;
    feed(&n, vec![answer(2, "p2", "c1", false)]).await;
    let mut r = SseReader::open(&n, "teacher", Some(&first_batch_end.to_string())).await;
    let got = r.until("\"student_key\":\"p2\"", Duration::from_secs(5)).await;
    assert!(got.contains("event: ready"), "{got}");
    assert!(!got.contains("\"student_key\":\"p1\""), "events up to Last-Event-ID are not sent again: {got}");
    assert!(got.contains(&format!("id: {}", first_batch_end + 1)), "{got}");
}

#[tokio::test]
async fn stream_of_a_class_out_of_scope_is_refused() {
    let n = TestNode::start().await;
    roster(&n).await;
    let token = n.token("teacher").await;
    let r = n.client.get(n.url("/api/v1/stream?class=c2")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(crate::support::error_code(r).await, "out_of_scope");
    let r = n.client.get(n.url("/api/v1/stream?class=nope")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = n.client.get(n.url("/api/v1/stream?bogus=1")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 400);
}
