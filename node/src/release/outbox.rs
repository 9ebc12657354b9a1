//! Delivering the outbox: a background task that POSTs every unacknowledged sealed release to the
//! aggregator in sequence order, and on failure waits with capped, jittered exponential backoff
//! before trying again. It re-sends the stored bytes (never fresh noise); the aggregator
//! acknowledges a resend of an accepted release id without counting it twice. The node keeps
//! ingesting meanwhile: the outbox lives in the database, and this task only reads it and records
//! attempts. `wake` sends at once (after a release is queued); `stop` ends the task.

use std::sync::Arc;
use std::time::Duration;

use crate::background::Background;
use rand::Rng;
use tokio::sync::Notify;

use crate::store::releases::{self as sql, PendingRelease};
use crate::store::{Store, StoreError};

/// First wait after a failed attempt; doubles per consecutive failure up to the cap.
const FIRST_RETRY: Duration = Duration::from_millis(500);
/// How long one delivery attempt may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The wait before retry number `failures` (1 = after the first failure): `FIRST_RETRY × 2^(n−1)`
/// capped at `cap`, then scaled by a random factor in [0.5, 1] so that many nodes that lost the
/// aggregator at the same moment do not all come back at once.
pub fn backoff(failures: u32, cap: Duration, jitter: f64) -> Duration {
    let exp = FIRST_RETRY.saturating_mul(1u32 << failures.saturating_sub(1).min(20));
    exp.min(cap).mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// How one round of delivery went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Round {
    /// Everything pending was acknowledged (possibly nothing was pending).
    Delivered(usize),
    /// Stopped at a release that was not acknowledged; later ones wait (the aggregator refuses
    /// them out of order).
    Failed { delivered: usize, error: String },
}

/// Sends every pending release once, in order, stopping at the first failure.
pub async fn deliver_pending(
    store: &Store,
    client: &reqwest::Client,
    aggregator_url: &str,
) -> Result<Round, StoreError> {
    let pending: Vec<PendingRelease> = store.read(sql::pending_releases).await?;
    if pending.is_empty() {
        return Ok(Round::Delivered(0));
    }
    // A release is visible as soon as it commits but on disk only after the WAL flush: never send
    // one a power cut could still take back (its budget spend would be forgotten with it).
    store.durable_barrier().await?;
    let url = format!("{}/api/v1/releases", aggregator_url.trim_end_matches('/'));
    let mut delivered = 0;
    for p in pending {
        let result = client
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(p.sealed.clone())
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await;
        let error = match result {
            Ok(resp) if resp.status().is_success() => None,
            Ok(resp) => {
                let status = resp.status().as_u16();
                let body: serde_json::Value = resp.json().await.unwrap_or_default();
                let code = body["error"]["code"].as_str().unwrap_or("unknown").to_string();
                let message = body["error"]["message"].as_str().unwrap_or("").to_string();
                Some(format!("aggregator answered {status} {code}: {message}"))
            }
            Err(e) => Some(format!("cannot reach the aggregator: {e}")),
        };
        let at = chrono::Utc::now().to_rfc3339();
        let id = p.release_id.clone();
        match error {
            None => {
                store.write(move |c| sql::record_acknowledged(c, &id, &at)).await?;
                tracing::info!(sequence = p.sequence, period = %p.period, "release acknowledged by the aggregator");
                delivered += 1;
            }
            Some(error) => {
                let e = error.clone();
                store.write(move |c| sql::record_attempt(c, &id, &e, &at)).await?;
                tracing::warn!(sequence = p.sequence, attempts = p.attempts + 1, "release not delivered: {error}");
                return Ok(Round::Failed { delivered, error });
            }
        }
    }
    Ok(Round::Delivered(delivered))
}

/// The background sender.
pub struct OutboxSender {
    wake: Arc<Notify>,
    task: Background,
}

impl OutboxSender {
    /// Starts delivering to `aggregator_url`; retries wait at most `retry_cap`. With nothing
    /// pending it still looks every `retry_cap` (another process, e.g. `lantern node release`, may
    /// have queued a release).
    pub fn start(store: Store, aggregator_url: String, retry_cap: Duration) -> OutboxSender {
        let wake = Arc::new(Notify::new());
        let w = wake.clone();
        let task = Background::spawn(|mut stopped| async move {
            let client = reqwest::Client::new();
            let mut failures = 0u32;
            loop {
                let wait = match deliver_pending(&store, &client, &aggregator_url).await {
                    Ok(Round::Delivered(_)) => {
                        failures = 0;
                        retry_cap
                    }
                    Ok(Round::Failed { .. }) => {
                        failures = failures.saturating_add(1);
                        backoff(failures, retry_cap, rand::thread_rng().gen::<f64>())
                    }
                    Err(StoreError::Closed) => return,
                    Err(e) => {
                        tracing::error!(error = %e, "outbox: reading the database");
                        failures = failures.saturating_add(1);
                        backoff(failures, retry_cap, rand::thread_rng().gen::<f64>())
                    }
                };
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = w.notified() => { failures = 0; }
                    _ = stopped.changed() => return,
                }
                if *stopped.borrow() {
                    return;
                }
            }
        });
        OutboxSender { wake, task }
    }

    /// Try now (a release was just queued, or an operator asked).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// A handle that wakes the sender, for other tasks.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Ends the task (an attempt in flight is abandoned; its release stays pending).
    pub async fn stop(self) {
        self.task.stop().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_and_jitters() {
        let cap = Duration::from_secs(10);
        assert_eq!(backoff(1, cap, 1.0), Duration::from_millis(500));
        assert_eq!(backoff(2, cap, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(4, cap, 1.0), Duration::from_secs(4));
        assert_eq!(backoff(30, cap, 1.0), cap);
        assert_eq!(backoff(30, cap, 0.0), cap / 2);
        assert_eq!(backoff(0, cap, 1.0), Duration::from_millis(500));
        for j in [0.0, 0.3, 0.99] {
            let d = backoff(6, cap, j);
            assert!(d >= cap / 2 && d <= cap, "{d:?}");
        }
    }
}
