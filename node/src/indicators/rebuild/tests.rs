//! Tests of the rebuild with per-standard BKT parameters and of the answers it collects for
//! `--fit-bkt`, and of `lantern node rebuild --fit-bkt[-out]` end to end on a store.

use lantern_policies::rules::{BktModel, BktParams, StandardCode};
use rusqlite::Connection;

use super::*;
use crate::commands::RebuildArgs;
use crate::store::indicators::reads::dump_derived;
use crate::store::indicators::seed;

const BKT: BktParams = BktParams { prior: 0.30, learn: 0.15, slip: 0.10, guess: 0.25 };
const OWN: BktParams = BktParams { prior: 0.60, learn: 0.05, slip: 0.20, guess: 0.10 };
const STD_A: &str = "CCSS.MATH.CONTENT.6.RP.A.3";
const STD_B: &str = "CCSS.MATH.CONTENT.6.NS.A.1";

fn db() -> Connection {
    let c = seed::migrated_memory_db();
    seed::class(&c, "c1", "Math 6A", "06").unwrap();
    for k in ["p1", "p2"] {
        seed::student(&c, k, "Given", k, Some("c1")).unwrap();
    }
    let choices = [("a", true, None), ("b", false, None)];
    seed::item(&c, "i1", &[STD_A], &choices).unwrap();
    seed::item(&c, "i2", &[STD_A, STD_B], &choices).unwrap();
    seed::item(&c, "i3", &[STD_B], &choices).unwrap();
    c
}

fn answer(c: &Connection, seq: i64, student: &str, at: &str, item: &str, correct: bool) {
    seed::event(c, &seed::answer(seq, student, at, item, Some(("c1", "s1")), correct, "a")).unwrap();
}

fn model_with_own_a() -> BktModel {
    let code = StandardCode::parse(STD_A).unwrap();
    BktModel { defaults: BKT, standards: [(code, OWN)].into_iter().collect() }
}

fn p_known(c: &Connection, student: &str, standard: &str) -> f64 {
    crate::store::indicators::load_mastery(c, student, standard).unwrap().unwrap().p_known
}

fn chain(p: &BktParams, answers: &[bool]) -> f64 {
    answers.iter().fold(Mastery::prior(p), |m, a| m.update(p, *a)).p_known
}

#[test]
fn each_standard_uses_its_own_parameters_when_the_policy_gives_them() {
    let c = db();
    answer(&c, 1, "p1", "2026-09-07T09:00:00Z", "i1", true);
    answer(&c, 2, "p1", "2026-09-07T09:01:00Z", "i2", false);
    answer(&c, 3, "p1", "2026-09-07T09:02:00Z", "i3", true);
    rebuild(&c, &model_with_own_a(), false).unwrap();
    assert!((p_known(&c, "p1", STD_A) - chain(&OWN, &[true, false])).abs() < 1e-12);
    assert!((p_known(&c, "p1", STD_B) - chain(&BKT, &[false, true])).abs() < 1e-12);
    // The two parameter sets do give different values here (the test can fail).
    assert!((chain(&OWN, &[true, false]) - chain(&BKT, &[true, false])).abs() > 0.01);
}

#[test]
fn collected_answers_are_each_students_in_event_order() {
    let c = db();
    // p1's answers are stored out of event order (seq 1 is the latest): the rebuild redoes p1 from
    // the timeline, and so must the collected answers.
    answer(&c, 1, "p1", "2026-09-08T09:00:00Z", "i1", false);
    answer(&c, 2, "p1", "2026-09-07T09:00:00Z", "i2", true);
    answer(&c, 3, "p2", "2026-09-07T09:00:00Z", "i1", true);
    answer(&c, 4, "p1", "2026-09-07T10:00:00Z", "i1", true);
    answer(&c, 5, "p2", "2026-09-07T09:30:00Z", "i3", false);
    // An unscored event and an item outside the bank are not answers on any standard.
    seed::event(&c, &LearningEventBuilder::unscored(6, "p2")).unwrap();
    answer(&c, 7, "p2", "2026-09-07T09:40:00Z", "i-unbanked", true);
    let (plain, answers) = rebuild_collecting_answers(&c, &BKT.into(), false).unwrap();
    let dump = dump_derived(&c).unwrap();
    assert_eq!(
        plain,
        RebuildReport {
            millis: plain.millis,
            scan_millis: plain.scan_millis,
            write_millis: plain.write_millis,
            ..rebuild(&c, &BKT.into(), false).unwrap()
        }
    );
    assert_eq!(dump_derived(&c).unwrap(), dump, "collecting changes nothing in the tables");
    let sequences = |std: &str| {
        let mut s: Vec<Vec<bool>> = answers[std].sequences().map(<[bool]>::to_vec).collect();
        s.sort();
        s
    };
    assert_eq!(answers.keys().collect::<Vec<_>>(), vec![STD_B, STD_A]);
    // STD_A: p1 answered i2 (right), i1 (right), then i1 (wrong, the latest); p2 answered i1.
    assert_eq!(sequences(STD_A), vec![vec![true], vec![true, true, false]]);
    // STD_B: p1's i2, p2's i3.
    assert_eq!(sequences(STD_B), vec![vec![false], vec![true]]);
    assert_eq!((answers[STD_A].students(), answers[STD_A].answers()), (2, 4));
}

/// Events that are not scored answers.
struct LearningEventBuilder;

impl LearningEventBuilder {
    fn unscored(seq: i64, student: &str) -> crate::events::LearningEvent {
        let mut e = seed::answer(seq, student, "2026-09-07T09:50:00Z", "i1", Some(("c1", "s1")), true, "a");
        e.correct = None;
        e.verb = "experienced".into();
        e
    }
}

/// A node data directory with `students` students who each answered `per_student` items of STD_A.
fn node_with_answers(students: usize, per_student: usize) -> (tempfile::TempDir, crate::config::NodeConfig) {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::config::NodeConfig { data_dir: dir.path().to_path_buf(), ..Default::default() };
    let store = crate::commands::open_store(&config).unwrap();
    store
        .write_blocking(move |c| {
            seed::class(c, "c1", "Math", "06")?;
            seed::item(c, "i1", &[STD_A], &[("a", true, None), ("b", false, None)])?;
            seed::item(c, "i3", &[STD_B], &[("a", true, None), ("b", false, None)])?;
            let mut seq = 0;
            for s in 0..students {
                let key = format!("p{s}");
                seed::student(c, &key, "G", &key, Some("c1"))?;
                for k in 0..per_student {
                    seq += 1;
                    let at = format!("2026-09-{:02}T09:00:00Z", 7 + k);
                    // Mostly wrong early, mostly right later: learning.
                    let correct = (k * 7 + s * 3) % 10 < 3 + k / 2;
                    seed::event(c, &seed::answer(seq, &key, &at, "i1", None, correct, "a"))?;
                }
            }
            // A standard with one answer: too little evidence.
            seq += 1;
            seed::event(c, &seed::answer(seq, "p0", "2026-09-30T09:00:00Z", "i3", None, true, "a"))
        })
        .unwrap();
    store.shutdown();
    (dir, config)
}

#[test]
fn rebuild_command_fits_and_writes_a_snippet_for_review() {
    let (dir, config) = node_with_answers(25, 12);
    let out = dir.path().join("fitted.toml");
    let args = RebuildArgs { fit_bkt: false, fit_bkt_out: Some(out.clone()) };
    let msg = crate::commands::rebuild(&config, &args).unwrap();
    assert!(msg.starts_with("rebuilt indicators from 301 events"), "{msg}");
    assert!(msg.contains("BKT parameters fitted by EM for 1 of 2 standards from 301 answers"), "{msg}");
    assert!(msg.lines().any(|l| l.starts_with(STD_A) && l.contains("   25        300  ")), "{msg}");
    assert!(msg.lines().any(|l| l.starts_with(STD_B) && l.contains("too little evidence")), "{msg}");
    assert!(msg.contains("wrote 1 [bkt.standards] tables to"), "{msg}");
    let snippet = std::fs::read_to_string(&out).unwrap();
    assert!(snippet.contains(&format!("[bkt.standards.\"{STD_A}\"]")), "{snippet}");
    // It is a valid part of the rules policy; the policy in force (the built-in one) is unchanged.
    let text = format!("{}\n{snippet}", lantern_policies::rules::default_source().text);
    let src = lantern_policies::policy_file::PolicySource { name: "rules.toml".into(), text };
    let fitted = lantern_policies::rules::load(&src).unwrap();
    assert_eq!(fitted.bkt_standards.len(), 1);
    let in_force = crate::policies::Policies::load(&config.policies).unwrap();
    assert!(in_force.rules.bkt_standards.is_empty());
    // Without --fit-bkt nothing is fitted.
    let plain = crate::commands::rebuild(&config, &RebuildArgs::default()).unwrap();
    assert!(!plain.contains("BKT parameters"), "{plain}");
}

#[test]
fn an_unwritable_snippet_path_is_refused_before_anything_changes() {
    let (dir, config) = node_with_answers(2, 3);
    let dump = |config: &crate::config::NodeConfig| {
        let store = crate::commands::open_store(config).unwrap();
        let d = store.read_blocking(dump_derived).unwrap();
        store.shutdown();
        d
    };
    let before = dump(&config);
    let missing = dir.path().join("no-such-dir").join("fitted.toml");
    let err = crate::commands::rebuild(&config, &RebuildArgs { fit_bkt: true, fit_bkt_out: Some(missing.clone()) })
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}: no such directory {}", missing.display(), dir.path().join("no-such-dir").display())
    );
    let is_dir = RebuildArgs { fit_bkt: true, fit_bkt_out: Some(dir.path().to_path_buf()) };
    let err = crate::commands::rebuild(&config, &is_dir).unwrap_err();
    assert!(err.to_string().ends_with("is a directory, not a file"), "{err}");
    // The events were never applied: a rebuild would have written mastery rows.
    assert_eq!(dump(&config), before);
    assert!(!before.iter().any(|l| l.starts_with("mastery:")), "{before:?}");
}
