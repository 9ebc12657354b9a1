//! Releases on a real store: dry runs spend nothing, a release records its spend and its sealed
//! bytes together, a refused release changes nothing, and (property) the ledger never passes the
//! budget whatever the order of requests.

use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use lantern_policies::envelope;
use lantern_policies::keys;
use lantern_policies::release_policy::ReleasePolicy;
use lantern_policies::PolicySource;
use proptest::prelude::*;

use super::*;
use crate::store::open_temp;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).unwrap()
}

struct Keys {
    _dir: tempfile::TempDir,
    keys: ReleaseKeys,
    identity: age::x25519::Identity,
    public: ed25519_dalek::VerifyingKey,
}

fn keys() -> Keys {
    let dir = tempfile::tempdir().unwrap();
    let f = keys::generate(dir.path()).unwrap();
    Keys {
        keys: ReleaseKeys {
            signing: keys::load_signing_key(&f.node_signing_key).unwrap(),
            recipient: keys::load_age_recipient(&f.aggregator_recipient).unwrap(),
        },
        identity: keys::load_age_identity(&f.aggregator_identity).unwrap(),
        public: keys::load_verifying_key(&f.node_public_key).unwrap(),
        _dir: dir,
    }
}

/// (ledger rows, outbox rows)
fn counts(store: &Store) -> (i64, i64) {
    store
        .read_blocking(|c| {
            let l = c.query_row("SELECT count(*) FROM privacy_ledger", [], |r| r.get(0))?;
            let o = c.query_row("SELECT count(*) FROM outbox", [], |r| r.get(0))?;
            Ok::<_, StoreError>((l, o))
        })
        .unwrap()
}

fn node() -> NodeId {
    "oak-hill".parse().unwrap()
}

#[test]
fn dry_run_reports_and_spends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_temp(dir.path()).unwrap();
    let policies = Policies::defaults().unwrap();
    let period = policies.release.period_containing(day(2026, 10, 15));
    let s = run_release(&store, &policies, &node(), &period, period.end, now(), None).unwrap();
    assert!(s.dry_run && s.release_id.is_none());
    assert!(s.cells > 1000, "{s}");
    assert_eq!(s.tables.iter().map(|t| t.cells).sum::<usize>(), s.cells);
    assert!((s.rho - 0.05).abs() < 1e-6 && s.epsilon > 1.0);
    assert!(s.to_string().contains("would release period 2026-10"), "{s}");
    assert_eq!(counts(&store), (0, 0));
}

#[test]
fn release_records_its_spend_and_sealed_bytes_then_refuses_the_exhausted_period() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_temp(dir.path()).unwrap();
    let policies = Policies::defaults().unwrap();
    let k = keys();
    let period = policies.release.period_containing(day(2026, 10, 15));
    let s = run_release(&store, &policies, &node(), &period, period.end, now(), Some(&k.keys)).unwrap();
    assert_eq!(s.sequence, Some(1));
    assert_eq!(counts(&store), (1, 1));
    let pending = store.read_blocking(sql::pending_releases).unwrap();
    let release = envelope::open(&pending[0].sealed, &k.identity, |_| Some(k.public)).unwrap();
    assert_eq!(release.release_id.to_string(), s.release_id.unwrap());
    assert_eq!((release.sequence, release.period.label.as_str()), (1, "2026-10"));
    assert!(release.conforms_to(&policies.release).is_ok());

    // The month's budget is spent: refused, with the budget message, and nothing changes.
    let err = run_release(&store, &policies, &node(), &period, period.end, now(), Some(&k.keys)).unwrap_err();
    assert!(matches!(err, ReleaseError::Budget(_)), "{err}");
    assert!(err.to_string().starts_with("release refused: release needs ρ=0.05 but period 2026-10 has 0"), "{err}");
    assert_eq!(counts(&store), (1, 1));
    // A dry run of the same period is refused too.
    assert!(run_release(&store, &policies, &node(), &period, period.end, now(), None).is_err());
    // The next month is a new budget, and the next sequence number.
    let next = policies.release.period_containing(day(2026, 11, 1));
    let s = run_release(&store, &policies, &node(), &next, day(2026, 11, 2), now(), Some(&k.keys)).unwrap();
    assert_eq!(s.sequence, Some(2));
}

#[test]
fn resend_queues_acknowledged_releases_again_with_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_temp(dir.path()).unwrap();
    let policies = Policies::defaults().unwrap();
    let k = keys();
    let period = policies.release.period_containing(day(2026, 10, 15));
    run_release(&store, &policies, &node(), &period, period.end, now(), Some(&k.keys)).unwrap();
    let before = store.read_blocking(sql::pending_releases).unwrap();
    let id = before[0].release_id.clone();
    store.write_blocking(move |c| sql::record_acknowledged(c, &id, "t")).unwrap();
    assert!(store.read_blocking(sql::pending_releases).unwrap().is_empty());
    assert!(resend_command(&store).unwrap().starts_with("1 acknowledged release(s) queued again"));
    let again = store.read_blocking(sql::pending_releases).unwrap();
    assert_eq!(again[0].sealed, before[0].sealed);
    assert_eq!(counts(&store), (1, 1), "no new spend");
}

#[test]
fn last_ended_period_is_the_previous_month() {
    let policy = ReleasePolicy::builtin().unwrap();
    assert_eq!(last_ended_period(&policy, day(2026, 11, 2)).label, "2026-10");
    assert_eq!(last_ended_period(&policy, day(2027, 1, 1)).label, "2026-12");
}

/// One small table with a third of the period budget, so a period takes up to three releases.
fn small_policy() -> Policies {
    let text = r#"
kind = "release"
privacy_unit = "student"
period = "month"
delta = 1e-10
min_cell = 5
nodes_per_student = 1
[budget]
period_rho = 0.05
year_rho = 0.6
[domains.grade]
values = ["06", "07", "08"]
fallback = "other"
[subgroups.sex]
values = ["female", "male"]
fallback = "unknown"
[[tables]]
id = "grades"
measure = "count"
dimensions = ["grade", "subgroup"]
contribution_bound = 1
rho = 0.016
"#;
    let release = ReleasePolicy::load(&PolicySource { name: "small.toml".into(), text: text.into() }).unwrap();
    let d = Policies::defaults().unwrap();
    Policies { rules: d.rules, release: Arc::new(release), retention: d.retention }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// Whatever months are asked for, in any order, the ledger's spends never pass the period
    /// budget, and every refused release leaves the ledger and outbox as they were.
    #[test]
    fn the_ledger_never_exceeds_the_budget(months in proptest::collection::vec(1u32..4, 1..9)) {
        let dir = tempfile::tempdir().unwrap();
        let store = open_temp(dir.path()).unwrap();
        let policies = small_policy();
        let k = keys();
        for m in months {
            let period = policies.release.period_containing(day(2026, m, 10));
            let before = counts(&store);
            match run_release(&store, &policies, &node(), &period, period.end, now(), Some(&k.keys)) {
                Ok(_) => prop_assert_eq!(counts(&store).0, before.0 + 1),
                Err(ReleaseError::Budget(_)) => prop_assert_eq!(counts(&store), before),
                Err(e) => return Err(TestCaseError::fail(e.to_string())),
            }
        }
        let ledger = store.read_blocking(sql::ledger_entries).unwrap();
        for m in 1..4 {
            let label = format!("2026-{m:02}");
            let spent: f64 = ledger.iter().filter(|e| e.period == label).map(|e| e.rho).sum();
            prop_assert!(spent <= 0.05 * (1.0 + 1e-12), "{} spent {}", label, spent);
            prop_assert!(ledger.iter().filter(|e| e.period == label).count() <= 3);
        }
        // Sequences are 1..n with no gaps.
        let pending = store.read_blocking(sql::pending_releases).unwrap();
        prop_assert!(pending.iter().enumerate().all(|(i, p)| p.sequence == i as u64 + 1));
    }
}

#[test]
fn counts_the_students_enrolled_on_the_as_of_date_from_an_imported_school() {
    let dir = tempfile::tempdir().unwrap();
    let school = dir.path().join("school");
    let params = crate::synth::SynthParams { students: 30, days: 10, ..Default::default() };
    crate::synth::write_school(&params, &school).unwrap();
    let store = open_temp(dir.path()).unwrap();
    use crate::imports::{run_import, ImportInput};
    let opts = crate::import::ImportOptions::default();
    for (input, path) in [
        (ImportInput::OneRoster, school.join("oneroster")),
        (ImportInput::Items, school.join("items.csv")),
        (ImportInput::Attendance, school.join("attendance.csv")),
        (ImportInput::Outcomes, school.join("outcomes.csv")),
    ] {
        run_import(&store, input, &path, &opts, now()).unwrap();
    }
    let policies = Policies::defaults().unwrap();
    let period = policies.release.period_containing(day(2026, 9, 30));
    let facts = load_facts(&store, &period, day(2026, 9, 30)).unwrap();
    assert_eq!(facts.students.len(), 30);
    assert!(facts.attendance.values().all(|d| !d.is_empty() && d.len() <= 10));
    let (public, _) = records::public_partitions(&policies.release, &policies.rules, &facts.item_bank_standards);
    let recs = records::student_records(&policies.release, &policies.rules, &public, &facts);
    assert!(recs.iter().all(|r| r.attributes.contains_key("grade") && r.attributes.contains_key("attendance_band")));
    assert!(recs.iter().any(|r| r.attributes.contains_key("sex")));
    let s = run_release(&store, &policies, &node(), &period, period.end, now(), None).unwrap();
    assert_eq!(s.students, 30);
}

#[test]
fn the_schedule_releases_the_last_ended_period_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_temp(dir.path()).unwrap();
    let policies = Policies::defaults().unwrap();
    let k = keys();
    let clock = crate::clock::FixedClock::new(now());
    let first = schedule::release_due_period(&store, &policies, &node(), &k.keys, &clock).unwrap().unwrap();
    assert_eq!((first.period.as_str(), first.sequence), ("2026-10", Some(1)));
    assert!(schedule::release_due_period(&store, &policies, &node(), &k.keys, &clock).unwrap().is_none());
    clock.advance(chrono::Duration::days(31));
    let next = schedule::release_due_period(&store, &policies, &node(), &k.keys, &clock).unwrap().unwrap();
    assert_eq!(next.period, "2026-11");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_serve_background_queues_and_keeps_retrying_an_unreachable_aggregator_then_stops() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_temp(dir.path()).unwrap();
    let files = keys::generate(&dir.path().join("keys")).unwrap();
    let mut config = NodeConfig { school_id: "oak-hill".into(), ..NodeConfig::default() };
    config.release = crate::config::ReleaseConfig {
        enabled: true,
        // Nothing listens on port 1: every delivery attempt fails.
        aggregator_url: Some("http://127.0.0.1:1".into()),
        aggregator_recipient_file: Some(files.aggregator_recipient.clone()),
        signing_key_file: Some(files.node_signing_key.clone()),
        check_interval_seconds: 3600,
        retry_max_seconds: 1,
    };
    let policies = Arc::new(Policies::defaults().unwrap());
    let clock = Arc::new(crate::clock::FixedClock::new(now()));
    let bg = ReleaseBackground::start(&config, store.clone(), policies, clock).unwrap().unwrap();
    let mut rows = Vec::new();
    for _ in 0..100 {
        rows = store.read(sql::outbox_rows).await.unwrap();
        if rows.first().is_some_and(|r| r.attempts >= 2) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(rows.len(), 1, "the scheduler queued October's release");
    assert_eq!(rows[0].period, "2026-10");
    assert!(rows[0].attempts >= 2 && rows[0].acknowledged_at.is_none(), "{rows:?}");
    assert!(rows[0].last_error.as_deref().unwrap_or("").starts_with("cannot reach the aggregator"));
    tokio::time::timeout(std::time::Duration::from_secs(5), bg.stop()).await.unwrap();
    // Disabled: nothing starts.
    config.release.enabled = false;
    let none = ReleaseBackground::start(
        &config,
        store,
        Arc::new(Policies::defaults().unwrap()),
        Arc::new(crate::clock::SystemClock),
    );
    assert!(none.unwrap().is_none());
}
