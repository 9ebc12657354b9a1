//! `lantern bench aggregate`: a real aggregator on a loopback port with 100 registered nodes is
//! sent 1,000 sealed releases (10 monthly releases per node, several nodes in parallel, each
//! node's in sequence) over HTTP; then the bias audit over all of them is requested. Releases are
//! built before the clock starts: one OpenDP computation, re-wrapped per node and month (a bench
//! shortcut — a real node draws fresh noise per release), each signed and encrypted separately.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use ed25519_dalek::SigningKey;
use lantern_aggregator::config::{NodeEntry, Synchronous};
use lantern_aggregator::AggregatorConfig;
use lantern_policies::dp::{plan_release, PublicPartitions};
use lantern_policies::envelope::{seal, Release};
use lantern_policies::keys;
use lantern_policies::release_policy::ReleasePolicy;
use rand::RngCore;
use serde_json::{json, Value};

/// Parallel senders (each owns a share of the nodes).
const SENDERS: usize = 4;

pub fn run(nodes: usize, months: u32, synchronous: Synchronous) -> anyhow::Result<Value> {
    anyhow::ensure!((1..=12).contains(&months), "--months must be 1 to 12 (one budget year)");
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    rt.block_on(run_async(nodes, months, synchronous))
}

async fn run_async(nodes: usize, months: u32, synchronous: Synchronous) -> anyhow::Result<Value> {
    let dir = tempfile::tempdir().context("creating a scratch directory")?;
    let files = keys::generate(&dir.path().join("keys"))?;
    let recipient = keys::load_age_recipient(&files.aggregator_recipient)?;
    let policy = ReleasePolicy::builtin().map_err(|d| anyhow::anyhow!("{d:?}"))?;
    let public = PublicPartitions {
        rules: (1..=5).map(|i| format!("rule-{i}")).collect(),
        standards: (1..=10).map(|i| format!("CCSS.MATH.6.STD.{i}")).collect(),
    };

    eprintln!("bench aggregate: computing and sealing {} releases", nodes * months as usize);
    let (node_keys, sealed) = {
        let policy = policy.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
            let students = super::release::records(400, &public, 11);
            let tables = plan_release(&policy, &public)?.compute(&students)?;
            let mut node_keys = Vec::new();
            let mut sealed: Vec<Vec<Vec<u8>>> = Vec::new();
            for n in 0..nodes {
                let mut secret = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut secret);
                let signing = SigningKey::from_bytes(&secret);
                let id: lantern_policies::envelope::NodeId =
                    format!("school-{n:03}").parse().map_err(anyhow::Error::msg)?;
                let mut mine = Vec::new();
                for m in 1..=months {
                    let day = NaiveDate::from_ymd_opt(2026, m, 15).context("valid month")?;
                    let r = Release::new(
                        id.clone(),
                        u64::from(m),
                        policy.period_containing(day),
                        &policy,
                        tables.clone(),
                        Utc::now(),
                    );
                    mine.push(seal(&r, &signing, &recipient)?);
                }
                node_keys.push((id, signing.verifying_key()));
                sealed.push(mine);
            }
            Ok((node_keys, sealed))
        })
        .await??
    };
    let config = AggregatorConfig {
        data_dir: dir.path().join("aggregator"),
        listen: "127.0.0.1:0".parse().context("loopback address")?,
        identity_file: files.aggregator_identity.clone(),
        synchronous,
        nodes: node_keys
            .iter()
            .map(|(id, key)| NodeEntry {
                id: id.to_string(),
                name: None,
                public_key: Some(keys::verifying_key_hex(key)),
                public_key_file: None,
            })
            .collect(),
        ..Default::default()
    };
    let agg = lantern_aggregator::start(config).await?;
    let token = agg.new_analyst_token.clone().context("a fresh aggregator creates its analyst token")?;
    let url = agg.url();
    let releases: usize = sealed.iter().map(Vec::len).sum();
    let bytes: usize = sealed.iter().flatten().map(Vec::len).sum();

    eprintln!("bench aggregate: posting {releases} releases ({:.1} MB) to {url}", bytes as f64 / 1e6);
    let client = reqwest::Client::new();
    let sealed = Arc::new(sealed);
    let t = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..SENDERS {
        let (client, sealed, url) = (client.clone(), sealed.clone(), format!("{url}/api/v1/releases"));
        tasks.push(tokio::spawn(async move {
            let mut failed = 0usize;
            for node in (w..sealed.len()).step_by(SENDERS) {
                for body in &sealed[node] {
                    let resp = client.post(&url).body(body.clone()).send().await;
                    if !resp.is_ok_and(|r| r.status().as_u16() == 201) {
                        failed += 1;
                    }
                }
            }
            failed
        }));
    }
    let mut failed = 0;
    for task in tasks {
        failed += task.await.context("a sender task")?;
    }
    let ingest_seconds = t.elapsed().as_secs_f64();
    anyhow::ensure!(failed == 0, "{failed} releases were not accepted");

    eprintln!("bench aggregate: bias audit over all periods");
    let t = Instant::now();
    let audit: Value = client
        .get(format!("{url}/api/v1/audits/bias?period=all"))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let bias_audit_seconds = t.elapsed().as_secs_f64();
    let rules = audit["rules"].as_array().map_or(0, Vec::len);
    let t = Instant::now();
    client
        .get(format!("{url}/api/v1/trends?table=tiers&period=2026-01"))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?;
    let trends_seconds = t.elapsed().as_secs_f64();
    agg.stop().await?;

    Ok(json!({
        "bench": "aggregate",
        "machine": super::machine(),
        "releases": releases,
        "nodes": nodes,
        "synchronous": match synchronous { Synchronous::Full => "full", Synchronous::Normal => "normal" },
        "sealed_mb": super::r3(bytes as f64 / 1e6),
        "ingest_seconds": super::r3(ingest_seconds),
        "releases_per_s": super::r3(releases as f64 / ingest_seconds),
        "bias_audit_seconds": super::r3(bias_audit_seconds),
        "audited_rules": rules,
        "trends_one_period_seconds": super::r3(trends_seconds),
    }))
}
