//! Tests of the hub: scoping by audience, resume from the ring, and dropping slow subscribers.

use std::collections::BTreeSet;

use super::*;

fn answer(class: &str, student: &str) -> LiveEvent {
    LiveEvent::AnswerReceived {
        class_id: Some(class.to_owned()),
        session_id: "s1".into(),
        item_id: "i1".into(),
        student_key: student.to_owned(),
        correct: true,
        response: Some("a".into()),
        duration_s: None,
    }
}

fn set(xs: &[&str]) -> BTreeSet<String> {
    xs.iter().map(|s| s.to_string()).collect()
}

#[test]
fn teachers_see_only_their_classes_and_students_only_themselves() {
    let hub = LiveHub::new();
    let mut teacher = hub.subscribe(Audience::Classes(set(&["c1"])), None).unwrap();
    let mut student = hub.subscribe(Audience::Students(set(&["p2"])), None).unwrap();
    let mut mtss = hub.subscribe(Audience::School, None).unwrap();
    hub.publish([answer("c1", "p1"), answer("c2", "p2")]);
    let got = |s: &mut Subscription| {
        let mut v = Vec::new();
        while let Ok(p) = s.rx.try_recv() {
            v.push(p.event.student_key().unwrap().to_owned());
        }
        v
    };
    assert_eq!(got(&mut teacher), ["p1"], "a teacher never receives another class's events");
    assert_eq!(got(&mut student), ["p2"]);
    assert_eq!(got(&mut mtss), ["p1", "p2"]);
}

#[test]
fn class_totals_are_not_sent_to_students() {
    let e = LiveEvent::ItemStatsChanged {
        class_id: Some("c1".into()),
        session_id: "s".into(),
        item_id: "i".into(),
        responders: 3,
        correct: 1,
        wrong_answers: vec![],
    };
    assert!(!Audience::Students(set(&["p1"])).sees(&e));
    assert!(Audience::Classes(set(&["c1"])).sees(&e));
    assert!(!Audience::Classes(set(&["c2"])).sees(&e));
}

#[test]
fn narrowing_never_widens() {
    let a = Audience::Classes(set(&["c1"])).narrowed_to_class(Some("c2"));
    assert_eq!(a, Audience::Classes(BTreeSet::new()));
    assert_eq!(Audience::School.narrowed_to_class(Some("c2")), Audience::Classes(set(&["c2"])));
}

#[test]
fn resume_replays_what_was_missed_and_reports_gaps() {
    let hub = LiveHub::new();
    hub.publish((0..5).map(|i| answer("c1", &format!("p{i}"))));
    let s = hub.subscribe(Audience::School, Some(2)).unwrap();
    assert_eq!(s.replay.iter().map(|p| p.id).collect::<Vec<_>>(), [3, 4, 5]);
    assert!(!s.gap);
    // Push the first events out of the ring.
    hub.publish((0..RING_CAPACITY).map(|_| answer("c1", "p")));
    let s = hub.subscribe(Audience::School, Some(2)).unwrap();
    assert!(s.gap, "events 3..5 are gone: the client must reload");
    assert_eq!(s.replay.len(), RING_CAPACITY);
    let s = hub.subscribe(Audience::Classes(set(&["c9"])), Some(2)).unwrap();
    assert!(s.replay.is_empty(), "replay is scoped too");
}

#[test]
fn a_slow_subscriber_is_dropped_without_blocking() {
    let hub = LiveHub::new();
    let slow = hub.subscribe(Audience::School, None).unwrap();
    let started = std::time::Instant::now();
    hub.publish((0..SUBSCRIBER_QUEUE + 10).map(|_| answer("c1", "p")));
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(hub.stats(), (0, 1), "the full subscriber was dropped");
    drop(slow);
    let gone = hub.subscribe(Audience::School, None).unwrap();
    drop(gone.rx);
    hub.publish([answer("c1", "p")]);
    assert_eq!(hub.stats().0, 0, "a closed subscriber is dropped");
}
