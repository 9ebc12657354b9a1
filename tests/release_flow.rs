//! Releases end to end: two school nodes with imported synthetic schools seal their releases and
//! deliver them to a real aggregator; the aggregator goes down, releases queue while the nodes
//! keep importing, and after it comes back every release is delivered exactly once.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, TimeZone, Utc};
use lantern_aggregator::config::NodeEntry;
use lantern_aggregator::AggregatorConfig;
use lantern_node::clock::FixedClock;
use lantern_node::commands;
use lantern_node::config::NodeConfig;
use lantern_node::http::RunningNode;
use lantern_node::imports::{run_import, ImportInput};
use lantern_node::release::{self, OutboxSender, ReleaseKeys};
use lantern_node::store::releases::{outbox_rows, pending_releases, OutboxRow};
use lantern_node::store::Store;
use lantern_policies::keys;
use serde_json::Value;

const RETRY_CAP: Duration = Duration::from_millis(200);

struct School {
    node: RunningNode,
    keys: ReleaseKeys,
    dir: std::path::PathBuf,
}

async fn school(root: &std::path::Path, id: &str, seed: u64) -> School {
    let dir = root.join(id);
    let params =
        lantern_node::synth::SynthParams { students: 40, days: 15, seed, school_id: id.into(), ..Default::default() };
    lantern_node::synth::write_school(&params, &dir.join("synth")).unwrap();
    let config = NodeConfig {
        school_id: id.into(),
        data_dir: dir.join("data"),
        listen: "127.0.0.1:0".parse().unwrap(),
        ..NodeConfig::default()
    };
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 10, 1, 8, 0, 0).unwrap()));
    let (node, _) = commands::start(config, clock).await.unwrap();
    let store = node.state.store.clone();
    let synth = dir.join("synth");
    tokio::task::spawn_blocking(move || {
        let opts = lantern_node::import::ImportOptions::default();
        for (input, file) in [
            (ImportInput::OneRoster, "oneroster"),
            (ImportInput::Items, "items.csv"),
            (ImportInput::Attendance, "attendance.csv"),
            (ImportInput::Outcomes, "outcomes.csv"),
        ] {
            run_import(&store, input, &synth.join(file), &opts, Utc::now()).unwrap();
        }
    })
    .await
    .unwrap();
    let files = keys::generate(&dir.join("keys")).unwrap();
    let keys = ReleaseKeys {
        signing: keys::load_signing_key(&files.node_signing_key).unwrap(),
        recipient: keys::load_age_recipient(&files.aggregator_recipient).unwrap(),
    };
    School { node, keys, dir }
}

/// Seals and queues `month`'s release at this school (blocking work on a blocking thread).
async fn release_month(s: &School, month: u32, recipient: &age::x25519::Recipient) -> u64 {
    let store = s.node.state.store.clone();
    let policies = s.node.state.policies.clone();
    let node = release::node_id(&s.node.state.config).unwrap();
    let keys = ReleaseKeys { signing: s.keys.signing.clone(), recipient: recipient.clone() };
    tokio::task::spawn_blocking(move || {
        let day = NaiveDate::from_ymd_opt(2026, month, 15).unwrap();
        let period = policies.release.period_containing(day);
        let now = Utc.with_ymd_and_hms(2026, month, 28, 12, 0, 0).unwrap();
        release::run_release(&store, &policies, &node, &period, period.end, now, Some(&keys)).unwrap()
    })
    .await
    .unwrap()
    .sequence
    .unwrap()
}

async fn outbox(store: &Store) -> Vec<OutboxRow> {
    store.read(outbox_rows).await.unwrap()
}

async fn wait_until_delivered(store: &Store, n: usize) {
    for _ in 0..200 {
        let rows = outbox(store).await;
        if rows.len() == n && rows.iter().all(|r| r.acknowledged_at.is_some()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not delivered: {:?}", outbox(store).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn releases_are_delivered_exactly_once_across_an_aggregator_outage() {
    let root = tempfile::tempdir().unwrap();
    let a = school(root.path(), "oak-hill", 1).await;
    let b = school(root.path(), "elm-street", 2).await;
    // The aggregator's identity comes from the first key set; both nodes encrypt to it.
    let identity_file = a.dir.join("keys").join(keys::AGGREGATOR_IDENTITY_FILE);
    let recipient = keys::load_age_recipient(&a.dir.join("keys").join(keys::AGGREGATOR_RECIPIENT_FILE)).unwrap();
    let agg_config = |listen| AggregatorConfig {
        data_dir: root.path().join("aggregator"),
        listen,
        identity_file: identity_file.clone(),
        nodes: [&a, &b]
            .iter()
            .map(|s| NodeEntry {
                id: s.node.state.config.school_id.clone(),
                name: None,
                public_key: None,
                public_key_file: Some(s.dir.join("keys").join(keys::NODE_PUBLIC_KEY_FILE)),
            })
            .collect(),
        ..Default::default()
    };
    let agg = lantern_aggregator::start(agg_config("127.0.0.1:0".parse().unwrap())).await.unwrap();
    let addr = agg.addr;
    let token = agg.new_analyst_token.clone().unwrap();
    let url = agg.url();

    // Oak Hill releases September and it is delivered.
    assert_eq!(release_month(&a, 9, &recipient).await, 1);
    let first_sealed = a.node.state.store.read(pending_releases).await.unwrap()[0].sealed.clone();
    let sender_a = OutboxSender::start(a.node.state.store.clone(), url.clone(), RETRY_CAP);
    wait_until_delivered(&a.node.state.store, 1).await;

    // The aggregator goes down. Both nodes queue releases; the senders keep retrying.
    agg.stop().await.unwrap();
    assert_eq!(release_month(&b, 9, &recipient).await, 1);
    assert_eq!(release_month(&a, 10, &recipient).await, 2);
    let sender_b = OutboxSender::start(b.node.state.store.clone(), url.clone(), RETRY_CAP);
    sender_a.wake();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let waiting = outbox(&b.node.state.store).await;
    assert!(waiting[0].acknowledged_at.is_none() && waiting[0].attempts >= 2, "{waiting:?}");
    assert!(waiting[0].last_error.as_deref().unwrap_or("").contains("cannot reach the aggregator"));
    // The node keeps ingesting meanwhile.
    let store = a.node.state.store.clone();
    let attendance = a.dir.join("synth").join("attendance.csv");
    tokio::task::spawn_blocking(move || {
        let opts = lantern_node::import::ImportOptions::default();
        run_import(&store, ImportInput::Attendance, &attendance, &opts, Utc::now()).unwrap();
    })
    .await
    .unwrap();

    // Back up on the same address, with the same database: everything queued is delivered.
    let agg = lantern_aggregator::start(agg_config(addr)).await.unwrap();
    assert!(agg.new_analyst_token.is_none());
    wait_until_delivered(&a.node.state.store, 2).await;
    wait_until_delivered(&b.node.state.store, 1).await;

    let client = reqwest::Client::new();
    // A stray resend of an accepted release is acknowledged and not counted again.
    let resend = client.post(format!("{url}/api/v1/releases")).body(first_sealed).send().await.unwrap();
    assert_eq!(resend.status().as_u16(), 200);
    let ledger: Value =
        client.get(format!("{url}/api/v1/ledger")).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
    let rows: Vec<(String, String, u64)> = ledger["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (r["node"].as_str().unwrap().into(), r["period"].as_str().unwrap().into(), r["releases"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("elm-street".into(), "2026-09".into(), 1),
            ("oak-hill".into(), "2026-09".into(), 1),
            ("oak-hill".into(), "2026-10".into(), 1),
        ]
    );
    let health: Value = client.get(format!("{url}/healthz")).send().await.unwrap().json().await.unwrap();
    assert_eq!(health["releases"], 3);

    // September's district estimates combine both schools.
    let trends: Value = client
        .get(format!("{url}/api/v1/trends?table=attendance&period=2026-09"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(trends["periods"][0]["schools"], serde_json::json!(["elm-street", "oak-hill"]));

    sender_a.stop().await;
    sender_b.stop().await;
    agg.stop().await.unwrap();
    a.node.stop().await.unwrap();
    b.node.stop().await.unwrap();
}
