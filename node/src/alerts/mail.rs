//! Weekly summaries by e-mail, only when `[smtp]` is configured. Each week (named by its send
//! day, `week.rs`) every teacher, MTSS and guardian account with an address on the roster gets
//! its summary (`compose.rs`), sent through the configured server (`transport.rs`). The record
//! in `summary_mail` makes it once per week: a message is claimed before it is sent, marked
//! `sent` after the server accepted it, or `failed` with the error class and retried at the next
//! run up to [`MAX_ATTEMPTS`]. `SummaryMailer` is the `node serve` task; `lantern node summaries
//! send` calls [`send_week`] (or [`preview_week`] for `--dry-run`). Logs carry counts only:
//! never an address, a name or a summary's text.

mod compose;
mod transport;
pub mod week;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::background::Background;
use chrono::{DateTime, Utc};
use lantern_policies::rules::RulesPolicy;

use super::AlertError;
use crate::auth::ts;
use crate::clock::Clock;
use crate::config::NodeConfig;
use crate::store::access_log::{self, NewEntry};
use crate::store::alerts::summary_mail::{self as sql, NotClaimed};
use crate::store::{Store, StoreError};
pub use transport::{Mailer, Outgoing};
pub use week::{MailWeek, Schedule};

/// Failed attempts per message and week before the scheduled task stops retrying it.
pub const MAX_ATTEMPTS: u32 = 10;
/// How long after the send time the scheduled task still sends (a node that was down for days
/// does not send a stale week; `summaries send --week` can).
pub const SEND_WINDOW_HOURS: i64 = 24;
/// How often the scheduled task looks for messages to send or retry.
pub const TICK: Duration = Duration::from_secs(15 * 60);
/// A claim older than this was left by a sender that stopped; another may take it over.
const CLAIM_MINUTES: i64 = 10;

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// `[smtp]` is missing or unusable (one line naming the key).
    #[error("{0}")]
    Config(String),
    /// A bad `--week`.
    #[error("{0}")]
    Week(String),
    #[error(transparent)]
    Alert(#[from] AlertError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a run did (or, for a dry run, would do), in counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailReport {
    pub week: String,
    pub dry_run: bool,
    pub sent: usize,
    pub failed: usize,
    pub already_sent: usize,
    /// Claimed by another sender right now.
    pub in_progress: usize,
    /// Failed [`MAX_ATTEMPTS`] times this week.
    pub gave_up: usize,
    pub without_address: usize,
    pub nothing_to_summarise: usize,
    /// Dry run: one line per message that would be sent (kind, account, subject; no address).
    pub would_send: Vec<String>,
}

impl fmt::Display for MailReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let skipped = format!(
            "skipped {} account(s) without an e-mail address on the roster and {} with nothing to summarise",
            self.without_address, self.nothing_to_summarise
        );
        if self.dry_run {
            for line in &self.would_send {
                writeln!(f, "would send: {line}")?;
            }
            return write!(
                f,
                "week {}: dry run, nothing sent or recorded: {} to send, {} sent before; {skipped}",
                self.week,
                self.would_send.len(),
                self.already_sent
            );
        }
        write!(
            f,
            "week {}: {} sent, {} failed (retried later), {} sent before, {} being sent by another run, {} given up \
             after {MAX_ATTEMPTS} failed attempts; {skipped}",
            self.week, self.sent, self.failed, self.already_sent, self.in_progress, self.gave_up
        )
    }
}

/// `--dry-run`: what would be sent for `week`, read only.
pub async fn preview_week(
    store: &Store,
    rules: Arc<RulesPolicy>,
    school: &str,
    week: MailWeek,
) -> Result<MailReport, MailError> {
    let label = week.to_string();
    let school = school.to_string();
    let report = store
        .read(move |c| -> Result<MailReport, AlertError> {
            let plan = compose::plan(c)?;
            let mut r = MailReport {
                week: label.clone(),
                dry_run: true,
                without_address: plan.without_address,
                nothing_to_summarise: plan.nothing_to_summarise,
                ..MailReport::default()
            };
            for m in &plan.messages {
                match sql::get(c, &label, &m.key)? {
                    Some(row) if row.status == "sent" => r.already_sent += 1,
                    _ => {
                        let text = compose::compose(c, &rules, &school, m, &week)?;
                        r.would_send.push(format!(
                            "{} summary to account {:?}: \"{}\" ({} lines)",
                            m.key.kind,
                            m.username,
                            text.subject,
                            text.body.lines().count()
                        ));
                    }
                }
            }
            Ok(r)
        })
        .await?;
    Ok(report)
}

/// Sends `week`'s summaries not sent yet. `max_attempts`: the scheduled task's bound on retries
/// (`None` for an operator's explicit run, which retries every failed message once more).
pub async fn send_week(
    store: &Store,
    rules: Arc<RulesPolicy>,
    school: &str,
    mailer: &Mailer,
    week: MailWeek,
    now: DateTime<Utc>,
    max_attempts: Option<u32>,
) -> Result<MailReport, MailError> {
    let label = week.to_string();
    let plan = store.read(compose::plan).await?;
    let mut report = MailReport {
        week: label.clone(),
        without_address: plan.without_address,
        nothing_to_summarise: plan.nothing_to_summarise,
        ..MailReport::default()
    };
    // Claim everything at once (one write), so a concurrent run skips what this one sends.
    let (at, stale) = (ts(now), ts(now - chrono::Duration::minutes(CLAIM_MINUTES)));
    let (week_label, messages) = (label.clone(), plan.messages);
    let claims = store
        .write(move |c| -> Result<Vec<_>, StoreError> {
            let mut out = Vec::new();
            for m in messages {
                let claim = sql::claim(c, &week_label, &m.key, &at, &stale, max_attempts)?;
                out.push((m, claim));
            }
            Ok(out)
        })
        .await?;
    for (m, claim) in claims {
        let id = match claim {
            Ok(id) => id,
            Err(NotClaimed::AlreadySent) => {
                report.already_sent += 1;
                continue;
            }
            Err(NotClaimed::InProgress) => {
                report.in_progress += 1;
                continue;
            }
            Err(NotClaimed::GaveUp) => {
                report.gave_up += 1;
                continue;
            }
        };
        let (rules, school_name, planned) = (rules.clone(), school.to_string(), m.clone());
        let composed = store.read(move |c| compose::compose(c, &rules, &school_name, &planned, &week)).await;
        let outcome = match composed {
            Ok(text) => {
                let students = text.students;
                let out = Outgoing { to: m.to.clone(), subject: text.subject, body: text.body };
                mailer.send(out, now).await.map(|()| students)
            }
            Err(e) => {
                // The error may name a pseudonymous key: debug level only.
                tracing::warn!(kind = m.key.kind, "summary e-mail: could not build a summary");
                tracing::debug!(kind = m.key.kind, "summary e-mail: {e}");
                Err("could not build the summary".to_string())
            }
        };
        let at = ts(now);
        match outcome {
            Ok(students) => {
                let entries: Vec<NewEntry> = students
                    .into_iter()
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .map(|s| NewEntry {
                        at: at.clone(),
                        account_id: Some(m.key.account_id),
                        role: Some(m.role.as_str().to_string()),
                        action: "mail_summary".to_string(),
                        subject: Some(s),
                        detail: Some(format!("{} summary e-mail, week {label}", m.key.kind)),
                    })
                    .collect();
                store
                    .write(move |c| -> Result<(), StoreError> {
                        sql::mark_sent(c, id, &at)?;
                        access_log::append(c, &entries)
                    })
                    .await?;
                report.sent += 1;
            }
            Err(error) => {
                store.write(move |c| sql::mark_failed(c, id, &error, &at)).await?;
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

/// The `node serve` task: every [`TICK`], sends (or retries) the latest week while it is less
/// than [`SEND_WINDOW_HOURS`] old.
pub struct SummaryMailer {
    task: Background,
}

impl SummaryMailer {
    /// Starts the task when `[smtp]` is configured; `None` otherwise. Reads the password file
    /// now, so a bad one stops `node serve` at start. Needs a Tokio runtime.
    pub fn start(
        config: &NodeConfig,
        store: Store,
        rules: Arc<RulesPolicy>,
        clock: Arc<dyn Clock>,
    ) -> Result<Option<SummaryMailer>, MailError> {
        let Some(smtp) = &config.smtp else { return Ok(None) };
        let mailer = Mailer::from_config(smtp)?;
        Ok(Some(SummaryMailer::start_with(
            mailer,
            Schedule::of(smtp),
            config.school_name.clone(),
            store,
            rules,
            clock,
            TICK,
        )))
    }

    /// The task with its parts given (tests use a short tick).
    pub fn start_with(
        mailer: Mailer,
        schedule: Schedule,
        school: String,
        store: Store,
        rules: Arc<RulesPolicy>,
        clock: Arc<dyn Clock>,
        tick: Duration,
    ) -> SummaryMailer {
        let task = Background::spawn(|mut stopped| async move {
            loop {
                let now = clock.now();
                let week = MailWeek::latest(schedule, now);
                if now - week.ends_at < chrono::Duration::hours(SEND_WINDOW_HOURS) {
                    let run = send_week(&store, rules.clone(), &school, &mailer, week, now, Some(MAX_ATTEMPTS));
                    let result = tokio::select! {
                        r = run => r,
                        _ = stopped.changed() => return,
                    };
                    match result {
                        Ok(r) if r.failed > 0 => tracing::warn!(
                            week = %r.week, sent = r.sent, failed = r.failed, gave_up = r.gave_up,
                            "weekly summaries: some e-mails failed; retrying at the next check"
                        ),
                        Ok(r) if r.sent > 0 => tracing::info!(
                            week = %r.week, sent = r.sent, without_address = r.without_address,
                            "weekly summaries e-mailed"
                        ),
                        Ok(_) => {}
                        Err(e) => tracing::warn!("weekly summaries: {e}"),
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(tick) => {}
                    _ = stopped.changed() => return,
                }
            }
        });
        SummaryMailer { task }
    }

    pub async fn stop(self) {
        self.task.stop().await;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests;
