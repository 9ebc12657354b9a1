//! Keeping flags current without slowing ingest: students whose learning events were committed are
//! marked dirty; a background task re-evaluates them in small write jobs a moment later (seconds,
//! not per statement), publishes `alert_changed` to the live stream, and sweeps every student
//! periodically so expiry and attendance changes are caught without new events.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::background::Background;
use chrono::{DateTime, Utc};
use lantern_policies::rules::RulesPolicy;
use rusqlite::Connection;
use tokio::sync::Notify;

use super::{evaluate_student, expire_due, AlertError, FlagChange};
use crate::clock::Clock;
use crate::live::{LiveEvent, LiveHub};
use crate::store::{alerts::reads, scope, Store};

/// Students evaluated per write job, so the writer is never held for long.
const CHUNK: usize = 50;
/// How long dirty students wait before evaluation (lets a burst of answers settle).
const SETTLE: Duration = Duration::from_millis(500);
/// How often every student is re-evaluated (expiry, attendance imported since).
pub const SWEEP_EVERY: Duration = Duration::from_secs(15 * 60);

/// The set of students to re-evaluate, shared with the event sink.
#[derive(Default)]
pub struct DirtyStudents {
    keys: Mutex<BTreeSet<String>>,
    notify: Notify,
}

impl DirtyStudents {
    pub fn mark<'a>(&self, keys: impl IntoIterator<Item = &'a str>) {
        let mut set = self.keys.lock().unwrap_or_else(|p| p.into_inner());
        let before = set.len();
        set.extend(keys.into_iter().map(str::to_owned));
        if set.len() != before {
            self.notify.notify_one();
        }
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.keys.lock().unwrap_or_else(|p| p.into_inner())).into_iter().collect()
    }
}

/// Evaluates `students` (inside the caller's transaction) and returns the live events to publish.
pub fn evaluate_students(
    c: &Connection,
    rules: &RulesPolicy,
    students: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<LiveEvent>, AlertError> {
    let mut changes = Vec::new();
    for key in students {
        let facts = crate::indicators::student_facts(c, rules, key, now)?;
        changes.extend(evaluate_student(c, rules, key, &facts, now)?);
    }
    live_events(c, changes)
}

/// `evaluate_students` with the facts already read.
fn evaluate_with_facts(
    c: &Connection,
    rules: &RulesPolicy,
    facts: Vec<(lantern_policies::rules::FactSheet, String)>,
    now: DateTime<Utc>,
) -> Result<Vec<LiveEvent>, AlertError> {
    let mut changes = Vec::new();
    for (facts, key) in facts {
        changes.extend(evaluate_student(c, rules, &key, &facts, now)?);
    }
    live_events(c, changes)
}

/// One `alert_changed` per class of the student, so each teacher of the student hears of it.
/// The payload is for staff: students' and guardians' streams never carry alert events.
pub fn live_events(c: &Connection, changes: Vec<FlagChange>) -> Result<Vec<LiveEvent>, AlertError> {
    let mut out = Vec::new();
    for change in changes {
        let (student_key, alert) = match &change {
            FlagChange::Raised { student_key, .. }
            | FlagChange::Updated { student_key, .. }
            | FlagChange::Expired { student_key, .. } => {
                (student_key.clone(), serde_json::to_value(&change).unwrap_or_default())
            }
        };
        let classes = scope::classes_of_student(c, &student_key)?;
        if classes.is_empty() {
            out.push(LiveEvent::AlertChanged {
                class_id: None,
                student_key: student_key.clone(),
                alert: alert.clone(),
            });
        }
        for class in classes {
            out.push(LiveEvent::AlertChanged {
                class_id: Some(class),
                student_key: student_key.clone(),
                alert: alert.clone(),
            });
        }
    }
    Ok(out)
}

/// The background task; stop it with `stop().await`.
pub struct AlertEvaluator {
    task: Background,
}

impl AlertEvaluator {
    pub fn start(
        store: Store,
        rules: Arc<RulesPolicy>,
        clock: Arc<dyn Clock>,
        hub: Arc<LiveHub>,
        dirty: Arc<DirtyStudents>,
        sweep_every: Duration,
    ) -> AlertEvaluator {
        let task = Background::spawn(|mut stopped| async move {
            // The first sweep comes one period after start, not at once: a node that just started
            // has nothing new to say, and tests that prepare data right after start stay deterministic.
            let mut sweep = tokio::time::interval_at(tokio::time::Instant::now() + sweep_every, sweep_every);
            loop {
                let everyone = tokio::select! {
                    _ = dirty.notify.notified() => false,
                    _ = sweep.tick() => true,
                    _ = stopped.changed() => return,
                };
                if !everyone {
                    tokio::time::sleep(SETTLE).await;
                }
                let students = if everyone {
                    match store.read(reads::rostered_students).await {
                        Ok(s) => s,
                        Err(e) => {
                            tracing::warn!("alert sweep: {e}");
                            continue;
                        }
                    }
                } else {
                    dirty.take()
                };
                if everyone {
                    let now = clock.now();
                    match store.write(move |c| expire_due(c, now).and_then(|ch| live_events(c, ch))).await {
                        Ok(events) => hub.publish(events),
                        Err(e) => tracing::warn!("alert expiry: {e}"),
                    }
                }
                for chunk in students.chunks(CHUNK) {
                    let (chunk, rules, now) = (chunk.to_vec(), rules.clone(), clock.now());
                    let chunk_keys = chunk.clone();
                    // The facts are read on a reader; only the flag decisions take writer time.
                    let read_rules = rules.clone();
                    let facts = store
                        .read(move |c| -> Result<Vec<_>, AlertError> {
                            chunk
                                .into_iter()
                                .map(|k| Ok((crate::indicators::student_facts(c, &read_rules, &k, now)?, k)))
                                .collect()
                        })
                        .await;
                    let facts = match facts {
                        Ok(f) => f,
                        Err(e) => {
                            tracing::warn!("alert evaluation: {e}");
                            // Evaluated at the next round rather than at the next sweep.
                            dirty.mark(chunk_keys.iter().map(String::as_str));
                            continue;
                        }
                    };
                    match store.write(move |c| evaluate_with_facts(c, &rules, facts, now)).await {
                        Ok(events) => hub.publish(events),
                        Err(e) => tracing::warn!("alert evaluation: {e}"),
                    }
                    if *stopped.borrow() {
                        return;
                    }
                }
            }
        });
        AlertEvaluator { task }
    }

    pub async fn stop(self) {
        self.task.stop().await;
    }
}
