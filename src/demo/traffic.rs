//! The demo's quiz tools: each school's synthetic history is posted to its node's xAPI endpoint at
//! start (so mastery, participation and alerts have data), then a live-class simulator keeps
//! posting what students answer "now" until the demo stops — through the same HTTP route and
//! Basic credentials a real tool uses.

use std::time::Duration;

use anyhow::Context;
use lantern_node::sources::NewCredentials;
use lantern_node::synth::{LiveSimulator, SyntheticSchool};
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

const BATCH: usize = 200;

/// Posts one batch of statements; an error names the status and the node's message.
pub async fn post(
    client: &reqwest::Client,
    node_url: &str,
    cred: &NewCredentials,
    batch: &[Value],
) -> anyhow::Result<()> {
    let r = client
        .post(format!("{node_url}/xapi/statements"))
        .basic_auth(&cred.key, Some(&cred.secret))
        .header("X-Experience-API-Version", "1.0.3")
        .json(batch)
        .send()
        .await
        .context("posting statements")?;
    if !r.status().is_success() {
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        anyhow::bail!("the node refused statements: {status} {body}");
    }
    Ok(())
}

/// Replays the school's history (the synthetic year so far) into the node.
pub async fn replay_history(node_url: &str, cred: &NewCredentials, school: &SyntheticSchool) -> anyhow::Result<u64> {
    let client = reqwest::Client::new();
    let mut batch = Vec::with_capacity(BATCH);
    let mut sent = 0u64;
    for s in school.statements() {
        batch.push(s.to_value());
        if batch.len() == BATCH {
            post(&client, node_url, cred, &batch).await?;
            sent += batch.len() as u64;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        post(&client, node_url, cred, &batch).await?;
        sent += batch.len() as u64;
    }
    Ok(sent)
}

/// Live classes posting answers every couple of seconds until stopped.
pub struct LiveTraffic {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl LiveTraffic {
    pub fn start(node_url: String, cred: NewCredentials, school: &SyntheticSchool, seed: u64) -> LiveTraffic {
        let mut sim = LiveSimulator::new(school, seed);
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let client = reqwest::Client::new();
            loop {
                let batch = sim.next_statements(chrono::Utc::now(), 500);
                if !batch.is_empty() {
                    if let Err(e) = post(&client, &node_url, &cred, &batch).await {
                        tracing::warn!("demo live class: {e:#}");
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                    _ = stopped.changed() => return,
                }
            }
        });
        LiveTraffic { stop, task }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
