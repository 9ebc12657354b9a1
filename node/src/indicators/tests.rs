//! Tests of the indicator engine over a real (in-memory) database: known answers for the
//! incremental path, incremental == rebuild for any arrival order, attendance and the fact sheet.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use lantern_policies::rules::{BktParams, Indicator, RulesPolicy, StandardCode, StudentFacts, Value};
use proptest::prelude::*;
use rusqlite::Connection;

use super::*;
use crate::events::LearningEvent;
use crate::live::{LiveEvent, LiveHub};
use crate::store::indicators::reads::dump_derived;
use crate::store::indicators::seed;

const BKT: BktParams = BktParams { prior: 0.30, learn: 0.15, slip: 0.10, guess: 0.25 };
const STD_A: &str = "CCSS.MATH.CONTENT.6.RP.A.3";
const STD_B: &str = "CCSS.MATH.CONTENT.6.NS.A.1";

fn db() -> Connection {
    let c = seed::migrated_memory_db();
    seed::class(&c, "c1", "Math 6A", "06").unwrap();
    seed::class(&c, "c2", "Math 6B", "06").unwrap();
    for (k, class) in [("p1", "c1"), ("p2", "c1"), ("p3", "c1"), ("p4", "c2")] {
        seed::student(&c, k, "Given", k, Some(class)).unwrap();
    }
    let choices =
        [("a", true, None), ("b", false, Some("adds instead of multiplying")), ("c", false, Some("sign error"))];
    seed::item(&c, "i1", &[STD_A], &choices).unwrap();
    seed::item(&c, "i2", &[STD_A, STD_B], &choices).unwrap();
    seed::item(&c, "i3", &[STD_B], &choices).unwrap();
    c
}

fn engine() -> Engine {
    Engine::new(BKT, Arc::new(LiveHub::new()))
}

fn feed(c: &Connection, e: &Engine, events: &[LearningEvent]) -> Vec<LiveEvent> {
    for ev in events {
        seed::event(c, ev).unwrap();
    }
    e.apply(c, events).unwrap()
}

fn rules() -> RulesPolicy {
    crate::policies::Policies::defaults().unwrap().rules.as_ref().clone()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn event_dates_are_read_strictly() {
    assert_eq!(date_of("2026-09-07T09:00:00Z").unwrap(), NaiveDate::from_ymd_opt(2026, 9, 7).unwrap());
    assert_eq!(week_of("2026-09-13T23:59:59Z").unwrap(), "2026-09-07", "a Sunday belongs to the week before");
    for bad in ["soon", "2026-9-07T09:00:00Z", "2026-02-30T00:00:00Z", "2026/09/07", "", "2026-09-0"] {
        assert!(date_of(bad).is_err(), "{bad}");
    }
}

#[test]
fn incremental_mastery_matches_hand_computed_bkt() {
    let c = db();
    let e = engine();
    let s = Some(("c1", "sess1"));
    let changes = feed(&c, &e, &[seed::answer(1, "p1", "2026-09-14T09:00:00Z", "i1", s, true, "a")]);
    let m = crate::store::indicators::load_mastery(&c, "p1", STD_A).unwrap().unwrap();
    assert!((m.p_known - 0.665_730_337_078_651_7).abs() < 1e-12, "{}", m.p_known);
    assert_eq!((m.evidence, m.correct), (1, 1));
    assert!(changes.iter().any(|ch| matches!(ch, LiveEvent::MasteryChanged { standard, .. } if standard == STD_A)));
    assert!(changes.iter().any(|ch| matches!(ch, LiveEvent::AnswerReceived { .. })));
    assert!(changes.iter().any(|ch| matches!(ch, LiveEvent::ItemStatsChanged { responders: 1, correct: 1, .. })));
    // An item on two standards updates both.
    feed(&c, &e, &[seed::answer(2, "p1", "2026-09-14T09:01:00Z", "i2", s, false, "b")]);
    let a = crate::store::indicators::load_mastery(&c, "p1", STD_A).unwrap().unwrap();
    let b = crate::store::indicators::load_mastery(&c, "p1", STD_B).unwrap().unwrap();
    assert!((a.p_known - 0.328_353_253_652_058_5).abs() < 1e-12, "{}", a.p_known);
    assert_eq!(a.evidence, 2);
    assert_eq!(b.evidence, 1);
    let p_wrong_from_prior = 0.3 * 0.1 / (0.3 * 0.1 + 0.7 * 0.75);
    assert!((b.p_known - (p_wrong_from_prior + (1.0 - p_wrong_from_prior) * 0.15)).abs() < 1e-12);
}

#[test]
fn an_item_bank_import_is_seen_by_the_next_batch() {
    let c = db();
    let e = engine();
    feed(&c, &e, &[seed::answer(1, "p1", "2026-09-14T09:00:00Z", "i9", None, true, "a")]);
    assert!(crate::store::indicators::load_mastery(&c, "p1", STD_B).unwrap().is_none(), "i9 is not in the bank");
    seed::item(&c, "i9", &[STD_B], &[("a", true, None)]).unwrap();
    c.execute(
        "INSERT INTO import_run (kind, source, started_at, finished_at, report) VALUES ('items', 't', 't', 't', '{}')",
        [],
    )
    .unwrap();
    feed(&c, &e, &[seed::answer(2, "p1", "2026-09-14T09:01:00Z", "i9", None, true, "a")]);
    let m = crate::store::indicators::load_mastery(&c, "p1", STD_B).unwrap().unwrap();
    assert_eq!(m.evidence, 1, "the cached mapping was dropped after the import");
}

#[test]
fn item_statistics_count_first_answers_and_distractors() {
    let c = db();
    let e = engine();
    let s = Some(("c1", "sess1"));
    feed(
        &c,
        &e,
        &[
            seed::answer(1, "p1", "2026-09-14T09:00:00Z", "i1", s, true, "a"),
            seed::answer(2, "p2", "2026-09-14T09:00:01Z", "i1", s, false, "b"),
            seed::answer(3, "p3", "2026-09-14T09:00:02Z", "i1", s, false, "b"),
            // A second try does not count again.
            seed::answer(4, "p2", "2026-09-14T09:00:03Z", "i1", s, true, "a"),
        ],
    );
    let a = views::item_analysis(&c, "i1").unwrap();
    assert_eq!((a.responders, a.correct), (3, 1));
    assert!((a.difficulty.unwrap() - 1.0 / 3.0).abs() < 1e-12);
    let b = a.choices.iter().find(|ch| ch.choice == "b").unwrap();
    assert_eq!((b.count, b.correct, b.misconception.as_deref()), (2, false, Some("adds instead of multiplying")));
    let state = sessions::session_state(&c, "sess1").unwrap().unwrap();
    assert_eq!(state.items.len(), 1);
    assert_eq!(state.items[0].responders, 3);
    assert_eq!(state.items[0].wrong_answers[0].count, 2);
    assert!(state.not_responded.is_empty());
    // A late answer stamped earlier than p1's replaces it as p1's first answer: the totals follow.
    feed(&c, &e, &[seed::answer(5, "p1", "2026-09-14T08:59:00Z", "i1", s, false, "c")]);
    let a = views::item_analysis(&c, "i1").unwrap();
    assert_eq!((a.responders, a.correct), (3, 0));
    assert_eq!(a.choices.iter().find(|ch| ch.choice == "c").unwrap().count, 1);
    assert!(a.choices.iter().all(|ch| ch.choice != "a"), "{:?}", a.choices);
}

#[test]
fn session_state_lists_who_has_not_responded() {
    let c = db();
    let e = engine();
    let s = Some(("c1", "sess1"));
    feed(&c, &e, &[seed::answer(1, "p1", "2026-09-14T09:00:00Z", "i1", s, true, "a")]);
    let state = sessions::session_state(&c, "sess1").unwrap().unwrap();
    assert_eq!(state.not_responded, ["p2", "p3"]);
    assert_eq!(state.items[0].not_responded, ["p2", "p3"]);
    assert_eq!(state.class_id.as_deref(), Some("c1"));
    assert!(sessions::session_state(&c, "nope").unwrap().is_none());
}

#[test]
fn participation_counts_presented_items_of_the_class() {
    let c = db();
    let e = engine();
    let s = Some(("c1", "sess1"));
    feed(
        &c,
        &e,
        &[
            seed::answer(1, "p1", "2026-09-14T09:00:00Z", "i1", s, true, "a"),
            seed::answer(2, "p1", "2026-09-14T09:01:00Z", "i2", s, true, "a"),
            seed::answer(3, "p2", "2026-09-14T09:01:00Z", "i2", s, false, "b"),
            seed::answer(4, "p1", "2026-09-14T09:02:00Z", "i3", s, true, "a"),
        ],
    );
    let now = at("2026-09-15T12:00:00Z");
    let f1 = student_facts(&c, &rules(), "p1", now).unwrap();
    let f2 = student_facts(&c, &rules(), "p2", now).unwrap();
    let f3 = student_facts(&c, &rules(), "p3", now).unwrap();
    assert_eq!(f1.value(Indicator::ParticipationRate), Some(Value::Number(1.0)));
    assert_eq!(f2.value(Indicator::ParticipationRate), Some(Value::Number(1.0 / 3.0)));
    assert_eq!(f3.value(Indicator::ParticipationRate), Some(Value::Number(0.0)), "enrolled, never answered");
    assert_eq!(f1.value(Indicator::ParticipationChange), None, "nothing presented in the 28 days before");
    let f4 = student_facts(&c, &rules(), "p4", now).unwrap();
    assert_eq!(f4.value(Indicator::ParticipationRate), None, "another class's session");
    assert_eq!(f2.value(Indicator::AccuracyRecent), Some(Value::Number(0.0)));
    assert!(f1.in_class("c1") && !f1.in_class("c2"));
}

#[test]
fn facts_fill_every_indicator_with_data() {
    let c = db();
    let e = engine();
    let s = Some(("c1", "sess-old"));
    // Old session (20 days back) and a recent one; answers on a focus standard in both.
    feed(&c, &e, &[seed::answer(1, "p1", "2026-08-25T09:00:00Z", "i1", s, true, "a")]);
    feed(&c, &e, &[seed::answer(2, "p2", "2026-08-25T09:00:00Z", "i3", s, false, "b")]);
    let s2 = Some(("c1", "sess-new"));
    feed(&c, &e, &[seed::answer(3, "p1", "2026-09-14T09:00:00Z", "i1", s2, true, "a")]);
    for (d, st) in [("2026-09-10", "present"), ("2026-09-11", "excused"), ("2026-09-14", "absent")] {
        seed::mark(&c, "p1", d, None, st).unwrap();
    }
    refresh_attendance(&c, &["p1".to_owned()]).unwrap();
    let f = student_facts(&c, &rules(), "p1", at("2026-09-15T12:00:00Z")).unwrap();
    let std = StandardCode::parse(STD_A).unwrap();
    for i in Indicator::ALL {
        let v = match i.level() {
            lantern_policies::rules::Level::PerStandard => f.standard_value(&std, i),
            lantern_policies::rules::Level::PerStudent => f.value(i),
        };
        assert!(v.is_some(), "{i} has no value");
    }
    assert_eq!(f.value(Indicator::Absences14d), Some(Value::Count(2)));
    assert_eq!(f.value(Indicator::ConsecutiveAbsences), Some(Value::Count(2)));
    assert_eq!(f.value(Indicator::ChronicAbsence), Some(Value::Flag(true)));
    assert_eq!(f.value(Indicator::DaysEnrolled), Some(Value::Count(3)));
    assert_eq!(f.value(Indicator::ParticipationChange), Some(Value::Number(1.0 - 0.5)));
    // Trend: focus mastery now vs. the start of the week four weeks ago (the prior then).
    let now_m = crate::store::indicators::load_mastery(&c, "p1", STD_A).unwrap().unwrap().p_known;
    let want = now_m - 0.30; // STD_A only: STD_B is not a focus standard of grade 6 in the default policy
    assert_eq!(f.value(Indicator::MasteryTrend), Some(Value::Number(want)));
}

#[test]
fn attendance_refresh_is_per_student_and_rebuild_agrees() {
    let c = db();
    for d in ["2026-09-07", "2026-09-08", "2026-09-09"] {
        seed::mark(&c, "p1", d, None, "present").unwrap();
    }
    seed::mark(&c, "p2", "2026-09-09", None, "tardy").unwrap();
    refresh_attendance(&c, &["p1".to_owned(), "p2".to_owned()]).unwrap();
    let p1 = crate::store::indicators::reads::attendance_summary(&c, "p1").unwrap().unwrap();
    assert_eq!((p1.days_enrolled, p1.days_attended), (3, 3));
    let before = dump_derived(&c).unwrap();
    rebuild(&c, &BKT.into(), false).unwrap();
    assert_eq!(dump_derived(&c).unwrap(), before);
}

#[test]
fn attendance_import_refreshes_the_students_it_touches() {
    use crate::imports::{run_import, ImportInput};
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::open_temp(dir.path()).unwrap();
    store
        .write_blocking(|c| {
            seed::class(c, "c1", "Math", "06")?;
            seed::student(c, "p1", "A", "B", Some("c1"))?;
            seed::student(c, "p2", "C", "D", Some("c1"))
        })
        .unwrap();
    let summary = |k: &'static str| {
        store.read_blocking(move |c| crate::store::indicators::reads::attendance_summary(c, k)).unwrap()
    };
    let file = dir.path().join("attendance.csv");
    std::fs::write(&file, "student_sourced_id,date,status\np1,2026-09-07,present\np1,2026-09-08,excused\n").unwrap();
    let opts = crate::import::ImportOptions::default();
    run_import(&store, ImportInput::Attendance, &file, &opts, at("2026-09-09T08:00:00Z")).unwrap();
    let s = summary("p1").unwrap();
    assert_eq!((s.days_enrolled, s.days_absent, s.days_excused, s.consecutive_absences), (2, 1, 1, 1));
    assert_eq!(summary("p2"), None);
    // A file the import refuses changes no summary either.
    std::fs::write(&file, "student_sourced_id,date,status\np1,2026-09-09,absent\nghost,2026-09-09,absent\n").unwrap();
    let err = run_import(&store, ImportInput::Attendance, &file, &opts, at("2026-09-10T08:00:00Z")).unwrap_err();
    assert!(err.to_string().contains("unknown student \"ghost\""), "{err}");
    assert_eq!(summary("p1"), Some(s));
    store.shutdown();
}

#[test]
fn bad_event_time_is_refused_and_rolls_back() {
    let c = db();
    let e = engine();
    let ev = seed::answer(1, "p1", "yesterday", "i1", None, true, "a");
    seed::event(&c, &ev).unwrap();
    c.execute_batch("SAVEPOINT t").unwrap();
    let err = e.apply(&c, std::slice::from_ref(&ev)).unwrap_err();
    assert_eq!(err.to_string(), "learning event 1: time \"yesterday\" is not an RFC 3339 date-time");
    c.execute_batch("ROLLBACK TO t").unwrap();
    assert_eq!(c.query_row("SELECT count(*) FROM mastery", [], |r| r.get::<_, i64>(0)).unwrap(), 0);
    let err = rebuild(&c, &BKT.into(), false).unwrap_err();
    assert!(err.to_string().contains("learning event 1"), "{err}");
}

#[test]
fn rebuild_command_recomputes_and_changes_nothing_when_it_fails() {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::config::NodeConfig { data_dir: dir.path().to_path_buf(), ..Default::default() };
    let store = crate::commands::open_store(&config).unwrap();
    store
        .write_blocking(|c| {
            seed::class(c, "c1", "Math", "06")?;
            seed::student(c, "p1", "A", "B", Some("c1"))?;
            seed::item(c, "i1", &[STD_A], &[("a", true, None)])?;
            seed::event(c, &seed::answer(1, "p1", "2026-09-14T09:00:00Z", "i1", Some(("c1", "s1")), true, "a"))
        })
        .unwrap();
    store.shutdown();
    let msg = crate::commands::rebuild(&config, &Default::default()).unwrap();
    assert!(msg.starts_with("rebuilt indicators from 1 events"), "{msg}");
    let dump = |config: &crate::config::NodeConfig| {
        let store = crate::commands::open_store(config).unwrap();
        let d = store.read_blocking(dump_derived).unwrap();
        store.shutdown();
        d
    };
    let before = dump(&config);
    assert!(before.iter().any(|l| l.starts_with("mastery:")), "{before:?}");
    // A stored event with a broken time: the rebuild fails and leaves the tables as they were.
    let store = crate::commands::open_store(&config).unwrap();
    store.write_blocking(|c| seed::event(c, &seed::answer(2, "p1", "soon", "i1", None, false, "a"))).unwrap();
    store.shutdown();
    let err = crate::commands::rebuild(&config, &Default::default()).unwrap_err();
    assert_eq!(err.to_string(), "learning event 2: time \"soon\" is not an RFC 3339 date-time");
    assert_eq!(dump(&config), before);
}

/// One generated answer: (student, item, minute offset, correct, response, session).
type Gen = (usize, usize, u32, bool, usize, usize);

fn events_of(gen: &[Gen]) -> Vec<LearningEvent> {
    let students = ["p1", "p2", "p3"];
    let items = ["i1", "i2", "i3", "i-unbanked"];
    let sessions = [("c1", "s1"), ("c1", "s2")];
    gen.iter()
        .enumerate()
        .map(|(i, (s, item, minute, correct, resp, sess))| {
            let t = format!("2026-09-{:02}T09:{:02}:00Z", 7 + minute / 60, minute % 60);
            seed::answer(
                i as i64 + 1,
                students[*s],
                &t,
                items[*item],
                Some(sessions[*sess]),
                *correct,
                ["a", "b", "c"][*resp],
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever order events arrive in relative to their times, the incremental tables equal a
    /// rebuild from the stored events — which orders each student's timeline by time, then seq.
    /// (Storage assigns seq in arrival order, as ingest does; times are random with many ties.)
    #[test]
    fn incremental_equals_rebuild_for_any_arrival_order(
        // Times on a 20-minute grid over three weeks: many ties (broken by seq) and week changes.
        gen in prop::collection::vec(
            (0usize..3, 0usize..4, (0u32..60).prop_map(|m| m * 20), any::<bool>(), 0usize..3, 0usize..2),
            1..40,
        ),
        shuffle in prop::collection::vec(any::<u32>(), 40),
        batch in 1usize..6,
        // A fresh engine per batch holds nothing in memory: out-of-order answers replay from the
        // stored events; one engine throughout replays from the answers it holds.
        fresh_engine_each_batch in any::<bool>(),
    ) {
        let events = events_of(&gen);
        // Arrival order: a random permutation of the events (each keeps its own seq).
        let mut arrival: Vec<(u32, LearningEvent)> = events.into_iter().zip(shuffle).map(|(e, k)| (k, e)).collect();
        arrival.sort_by_key(|(k, _)| *k);
        let arrival: Vec<LearningEvent> = arrival
            .into_iter()
            .enumerate()
            .map(|(i, (_, e))| LearningEvent { seq: i as i64 + 1, ..e })
            .collect();
        let c = db();
        // One standard has its own parameters: the live path must use them as rebuild does.
        let own = BktParams { prior: 0.6, learn: 0.05, slip: 0.2, guess: 0.1 };
        let model = lantern_policies::rules::BktModel {
            defaults: BKT,
            standards: [(StandardCode::parse(STD_A).unwrap(), own)].into_iter().collect(),
        };
        let fresh = || Engine::new(model.clone(), Arc::new(LiveHub::new()));
        let mut e = fresh();
        for chunk in arrival.chunks(batch) {
            if fresh_engine_each_batch {
                e = fresh();
            }
            feed(&c, &e, chunk);
        }
        let incremental = dump_derived(&c).unwrap();
        rebuild(&c, &model, false).unwrap();
        let rebuilt = dump_derived(&c).unwrap();
        prop_assert_eq!(incremental, rebuilt);
    }
}

/// The engine's thread with a one-batch queue, fed faster than it drains (so it falls behind and
/// re-reads from the database), then stopped with events committed but never handed over (as if
/// the node died between commit and hand-over) and started again: the tables equal a rebuild.
#[test]
fn the_worker_catches_up_and_resumes_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::open_temp(dir.path()).unwrap();
    store
        .write_blocking(|c| -> Result<(), StoreError> {
            seed::class(c, "c1", "Math 6A", "06")?;
            for k in ["p1", "p2", "p3"] {
                seed::student(c, k, "Given", k, Some("c1"))?;
            }
            let choices = [("a", true, None), ("b", false, Some("adds instead of multiplying")), ("c", false, None)];
            seed::item(c, "i1", &[STD_A], &choices)?;
            seed::item(c, "i2", &[STD_A, STD_B], &choices)?;
            seed::item(c, "i3", &[STD_B], &choices)
        })
        .unwrap();
    // 400 answers whose times go back and forth (many out of event order), seq in storage order.
    let gen: Vec<Gen> = (0..400u32)
        .map(|i| {
            ((i % 3) as usize, (i % 4) as usize, (i * 37 % 60) * 20, i % 3 != 1, (i % 3) as usize, (i % 2) as usize)
        })
        .collect();
    let events = events_of(&gen);
    let (handed, unhanded) = events.split_at(340);
    let start = |store: &crate::store::Store| {
        let engine = Arc::new(Engine::new(BKT, Arc::new(LiveHub::new())));
        IndicatorWorker::start_with_queue(store.clone(), engine, Arc::default(), 1)
    };
    let wait_for = |worker: &IndicatorWorker, seq: i64| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while worker.flushed_seq() < seq {
            assert!(std::time::Instant::now() < deadline, "the engine reached {} of {seq}", worker.flushed_seq());
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    };
    let worker = start(&store);
    // Committed first, then handed over as fast as concurrent requests would: most batches find
    // the queue full, and some queue behind ones that did not get in.
    let b = handed.to_vec();
    store.write_blocking(move |c| b.iter().try_for_each(|e| seed::event(c, e))).unwrap();
    for batch in handed.chunks(4) {
        worker.submit(batch.to_vec());
    }
    wait_for(&worker, 340);
    assert!(worker.times_behind() > 0, "the queue overflowed at least once");
    let b = unhanded.to_vec();
    store.write_blocking(move |c| b.iter().try_for_each(|e| seed::event(c, e))).unwrap();
    worker.stop();
    let worker = start(&store);
    wait_for(&worker, 400);
    worker.stop();
    let incremental = store.read_blocking(dump_derived).unwrap();
    store.write_blocking(|c| rebuild(c, &BKT.into(), false)).unwrap();
    assert_eq!(incremental, store.read_blocking(dump_derived).unwrap());
}

/// Ingest stores only valid times, but an event that has none (a database edited by hand) must not
/// stop the engine: it is skipped, the cursor passes it, and the events after it are applied.
#[test]
fn the_worker_skips_an_event_with_an_invalid_time_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = crate::store::open_temp(dir.path()).unwrap();
    store
        .write_blocking(|c| -> Result<(), StoreError> {
            seed::class(c, "c1", "Math 6A", "06")?;
            seed::student(c, "p1", "Given", "p1", Some("c1"))?;
            seed::item(c, "i1", &[STD_A], &[("a", true, None), ("b", false, None)])?;
            seed::item(c, "i2", &[STD_A], &[("a", true, None), ("b", false, None)])
        })
        .unwrap();
    let events = vec![
        seed::answer(1, "p1", "2026-09-07T09:00:00Z", "i1", Some(("c1", "s1")), true, "a"),
        seed::answer(2, "p1", "not a time", "i2", Some(("c1", "s1")), false, "b"),
        seed::answer(3, "p1", "2026-09-07T09:02:00Z", "i2", Some(("c1", "s1")), true, "a"),
    ];
    let b = events.clone();
    store.write_blocking(move |c| b.iter().try_for_each(|e| seed::event(c, e))).unwrap();
    let engine = Arc::new(Engine::new(BKT, Arc::new(LiveHub::new())));
    let worker = IndicatorWorker::start_with_queue(store.clone(), engine, Arc::default(), 4);
    worker.submit(events);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while worker.flushed_seq() < 3 {
        assert!(std::time::Instant::now() < deadline, "the engine stopped at {}", worker.flushed_seq());
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    worker.stop();
    let (responses, answered): (i64, i64) = store
        .read_blocking(|c| -> Result<_, StoreError> {
            Ok(c.query_row(
                "SELECT (SELECT count(*) FROM item_response), (SELECT responders FROM item_stat WHERE item_id = 'i2')",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?)
        })
        .unwrap();
    // i1 from seq 1, i2 from seq 3 (the answer at seq 2 was skipped, not counted as i2's first).
    assert_eq!((responses, answered), (2, 1));
    let correct: i64 = store
        .read_blocking(|c| -> Result<_, StoreError> {
            Ok(c.query_row("SELECT correct FROM item_response WHERE item_id = 'i2'", [], |r| r.get(0))?)
        })
        .unwrap();
    assert_eq!(correct, 1);
}
