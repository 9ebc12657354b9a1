//! The release schedule inside `node serve`: every `check_interval_seconds`, if the last ended
//! period has no release in the ledger yet, build and queue it (counting the students enrolled on
//! the period's last day), then wake the outbox sender. A refused release (budget) is logged and
//! retried at the next check only if the ledger still has room — it never spends twice.

use std::sync::Arc;
use std::time::Duration;

use crate::background::Background;
use lantern_policies::envelope::NodeId;
use tokio::sync::Notify;

use super::{last_ended_period, run_release, ReleaseKeys, ReleaseSummary};
use crate::clock::Clock;
use crate::policies::Policies;
use crate::store::releases as sql;
use crate::store::Store;

/// Checks once: releases the last ended period if it has not been released. Blocking.
pub fn release_due_period(
    store: &Store,
    policies: &Policies,
    node: &NodeId,
    keys: &ReleaseKeys,
    clock: &dyn Clock,
) -> Result<Option<ReleaseSummary>, super::ReleaseError> {
    let now = clock.now();
    let period = last_ended_period(&policies.release, now.date_naive());
    let label = period.label.clone();
    if store.read_blocking(move |c| sql::period_released(c, &label))? {
        return Ok(None);
    }
    run_release(store, policies, node, &period, period.end, now, Some(keys)).map(Some)
}

/// The background scheduler.
pub struct ReleaseScheduler {
    task: Background,
}

impl ReleaseScheduler {
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        store: Store,
        policies: Arc<Policies>,
        node: NodeId,
        keys: ReleaseKeys,
        clock: Arc<dyn Clock>,
        interval: Duration,
        outbox: Arc<Notify>,
    ) -> ReleaseScheduler {
        let task = Background::spawn(|mut stopped| async move {
            loop {
                let (s, p, n, k, c) = (store.clone(), policies.clone(), node.clone(), keys.clone(), clock.clone());
                let result = tokio::task::spawn_blocking(move || release_due_period(&s, &p, &n, &k, c.as_ref())).await;
                match result {
                    Ok(Ok(Some(summary))) => {
                        tracing::info!(period = %summary.period, cells = summary.cells, rho = summary.rho, "release queued");
                        outbox.notify_one();
                    }
                    Ok(Ok(None)) => {}
                    Ok(Err(e)) => tracing::warn!("scheduled release: {e}"),
                    Err(e) => tracing::error!("scheduled release task failed: {e}"),
                }
                tokio::select! {
                    _ = tokio::time::sleep(interval) => {}
                    _ = stopped.changed() => return,
                }
            }
        });
        ReleaseScheduler { task }
    }

    pub async fn stop(self) {
        self.task.stop().await;
    }
}
