//! The node's release side: build the period's `StudentRecord`s from SQL (`records`), check the
//! privacy ledger, run the OpenDP measurement once, sign and encrypt the release, and record the
//! spend and the sealed bytes in one transaction (`run_release`); then deliver the outbox to the
//! aggregator until acknowledged (`outbox`), on a schedule inside `node serve` (`schedule`).
//!
//! Invariants: the ledger never exceeds the period budget or the yearly cap (the check runs
//! inside the writer's transaction that records the spend); a refused release changes nothing;
//! noise is drawn once per ledger entry, and a retry re-sends the same sealed bytes.

pub mod outbox;
pub mod records;
pub mod schedule;

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use ed25519_dalek::SigningKey;
use lantern_policies::budget::{self, BudgetError};
use lantern_policies::dp::{self, plan_release};
use lantern_policies::envelope::{self, EnvelopeError, NodeId, Release};
use lantern_policies::keys;
use lantern_policies::release_policy::{Period, ReleasePolicy, TableSpec};
use serde::Serialize;

use crate::config::NodeConfig;
use crate::policies::Policies;
use crate::store::releases::student_state::{self, AsOf};
use crate::store::releases::{self as sql, NewRelease};
use crate::store::{Store, StoreError};
pub use outbox::OutboxSender;
use records::ReleaseFacts;

/// Attendance further back than this is not part of "this school year" for release attributes.
const ATTENDANCE_WINDOW_DAYS: i64 = 365;

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error(transparent)]
    Store(#[from] StoreError),
    // The causes are printed in the message, not chained as sources, so the CLI's one line does
    // not repeat them.
    #[error("release refused: {0}")]
    Budget(BudgetError),
    #[error("release mechanics: {0}")]
    Mechanics(dp::ReleaseError),
    #[error("sealing the release: {0}")]
    Envelope(EnvelopeError),
    #[error("release keys: {0}")]
    Keys(String),
    #[error("release configuration: {0}")]
    Config(String),
}

impl From<BudgetError> for ReleaseError {
    fn from(e: BudgetError) -> Self {
        ReleaseError::Budget(e)
    }
}

impl From<dp::ReleaseError> for ReleaseError {
    fn from(e: dp::ReleaseError) -> Self {
        ReleaseError::Mechanics(e)
    }
}

impl From<EnvelopeError> for ReleaseError {
    fn from(e: EnvelopeError) -> Self {
        ReleaseError::Envelope(e)
    }
}

/// The node's signing key and the aggregator's recipient.
#[derive(Clone)]
pub struct ReleaseKeys {
    pub signing: SigningKey,
    pub recipient: age::x25519::Recipient,
}

impl fmt::Debug for ReleaseKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReleaseKeys(…)")
    }
}

impl ReleaseKeys {
    /// The files `[release]` names.
    pub fn load(config: &NodeConfig) -> Result<ReleaseKeys, ReleaseError> {
        let r = &config.release;
        let signing_file = r
            .signing_key_file
            .as_ref()
            .ok_or_else(|| ReleaseError::Config("release.signing_key_file is not set".into()))?;
        let recipient_file = r
            .aggregator_recipient_file
            .as_ref()
            .ok_or_else(|| ReleaseError::Config("release.aggregator_recipient_file is not set".into()))?;
        Ok(ReleaseKeys {
            signing: keys::load_signing_key(signing_file).map_err(|e| ReleaseError::Keys(e.to_string()))?,
            recipient: keys::load_age_recipient(recipient_file).map_err(|e| ReleaseError::Keys(e.to_string()))?,
        })
    }
}

/// The node id releases are sent under: the configuration's `school_id`.
pub fn node_id(config: &NodeConfig) -> Result<NodeId, ReleaseError> {
    config.school_id.parse().map_err(|e: String| ReleaseError::Config(format!("school_id: {e}")))
}

/// The last period that has ended on `today` (the one the scheduler releases).
pub fn last_ended_period(policy: &ReleasePolicy, today: NaiveDate) -> Period {
    let current = policy.period_containing(today);
    policy.period_containing(current.start - Duration::days(1))
}

/// One table of a release report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableReport {
    pub id: String,
    pub cells: usize,
    pub rho: f64,
}

/// What a release spent (or, in a dry run, would spend).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReleaseSummary {
    pub dry_run: bool,
    pub period: String,
    pub students: usize,
    pub cells: usize,
    pub rho: f64,
    /// (ε, δ) equivalent of this release's ρ.
    pub epsilon: f64,
    pub delta: f64,
    pub period_rho_left_after: f64,
    pub year_rho_left_after: f64,
    pub tables: Vec<TableReport>,
    pub release_id: Option<String>,
    pub sequence: Option<u64>,
    pub notes: Vec<String>,
}

impl fmt::Display for ReleaseSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.dry_run { "would release" } else { "released" };
        writeln!(
            f,
            "{what} period {}: {} students, {} cells, ρ = {:.6} (ε = {:.3} at δ = {:e})",
            self.period, self.students, self.cells, self.rho, self.epsilon, self.delta
        )?;
        for t in &self.tables {
            writeln!(f, "  table {:<24} {:>6} cells  ρ = {:.6}", t.id, t.cells, t.rho)?;
        }
        write!(
            f,
            "budget left after: period ρ = {:.6}, year ρ = {:.6}",
            self.period_rho_left_after, self.year_rho_left_after
        )?;
        if let (Some(id), Some(seq)) = (&self.release_id, self.sequence) {
            write!(f, "\nqueued release {id} (sequence {seq}) in the outbox")?;
        } else {
            write!(f, "\nnothing was spent or queued (dry run)")?;
        }
        for n in &self.notes {
            write!(f, "\nnote: {n}")?;
        }
        Ok(())
    }
}

/// Cells of one table for the public lists, computed from the policy alone (for dry runs, before
/// any noise is drawn): partitions × (product of domain sizes + the "other" cell).
fn table_cells(policy: &ReleasePolicy, spec: &TableSpec, public: &dp::PublicPartitions) -> usize {
    let items = spec.per.map_or(1, |s| public.items(s).len());
    let families: Vec<usize> =
        if spec.has_subgroup() { policy.subgroups().iter().map(|f| f.labels().len()).collect() } else { vec![1] };
    let fixed: usize = spec
        .dimensions
        .iter()
        .filter(|d| d.as_str() != lantern_policies::release_policy::SUBGROUP)
        .map(|d| policy.domain(d).map_or(1, |x| x.labels().len()))
        .product();
    items * families.iter().map(|f| fixed * f + 1).sum::<usize>()
}

/// Reads everything a release of `period` needs, as of `as_of` (the period's end, or today for a
/// period still running).
pub fn load_facts(store: &Store, period: &Period, as_of: NaiveDate) -> Result<ReleaseFacts, ReleaseError> {
    let at = AsOf::new(period.start, as_of);
    store.read_blocking(|c| {
        Ok::<_, ReleaseError>(ReleaseFacts {
            as_of: Some(as_of),
            students: sql::enrolled_students(c, as_of)?,
            subgroups: sql::subgroups(c)?,
            outcome_levels: sql::latest_outcome_levels(c)?,
            attendance: sql::attendance_days(c, as_of - Duration::days(ATTENDANCE_WINDOW_DAYS), as_of)?,
            flags: student_state::flags_in_period(c, &at)?,
            interventions: student_state::interventions_in_period(c, &at)?,
            mastery: student_state::mastery_as_of(c, &at)?,
            item_bank_standards: sql::item_bank_standards(c)?,
        })
    })
}

/// Builds, checks, computes, seals and queues the release of `period`, counting the students
/// enrolled on `as_of` (the period's end, or today for a period still running). With `keys` =
/// `None` it is a dry run: it reports what would be released and spends nothing. Blocking: call
/// from a CLI thread or `spawn_blocking` (OpenDP measurements are not `Send`).
pub fn run_release(
    store: &Store,
    policies: &Policies,
    node: &NodeId,
    period: &Period,
    as_of: NaiveDate,
    now: DateTime<Utc>,
    keys: Option<&ReleaseKeys>,
) -> Result<ReleaseSummary, ReleaseError> {
    let policy: Arc<ReleasePolicy> = policies.release.clone();
    let facts = load_facts(store, period, as_of)?;
    let (public, notes) = records::public_partitions(&policy, &policies.rules, &facts.item_bank_standards);
    let students = records::student_records(&policy, &policies.rules, &public, &facts);
    let plan = plan_release(&policy, &public)?;
    let rho = plan.rho();
    let limits = policy.budget();
    // Checked here so a refused release draws no noise; checked again in the transaction below.
    let ledger = store.read_blocking(|c| Ok::<_, ReleaseError>(sql::ledger_entries(c)?))?;
    let auth = budget::authorize(&limits, period, &ledger, rho)?;
    let tables: Vec<TableReport> = plan
        .table_rhos()
        .into_iter()
        .filter_map(|(id, rho)| {
            let spec = policy.table(&id)?;
            Some(TableReport { cells: table_cells(&policy, spec, &public), id, rho })
        })
        .collect();
    let mut summary = ReleaseSummary {
        dry_run: keys.is_none(),
        period: period.label.clone(),
        students: students.len(),
        cells: plan.cell_count(),
        rho,
        epsilon: budget::epsilon_at_delta(rho, policy.delta())?,
        delta: policy.delta(),
        period_rho_left_after: auth.period_left_after,
        year_rho_left_after: auth.year_left_after,
        tables,
        release_id: None,
        sequence: None,
        notes,
    };
    let Some(keys) = keys else { return Ok(summary) };

    let table_rhos = plan.table_rhos();
    let noisy = plan.compute(&students)?;
    drop(students);
    let (node, period, keys) = (node.clone(), period.clone(), keys.clone());
    let (release_id, sequence) = store.write_blocking(move |c| {
        let ledger = sql::ledger_entries(c)?;
        budget::authorize(&limits, &period, &ledger, noisy.rho)?;
        let sequence = sql::next_sequence(c)?;
        let release = Release::new(node, sequence, period.clone(), &policy, noisy, now);
        let sealed = envelope::seal(&release, &keys.signing, &keys.recipient)?;
        let release_id = release.release_id.to_string();
        sql::insert_release(
            c,
            &NewRelease {
                release_id: &release_id,
                sequence,
                period: &period,
                rho: release.rho_spent,
                policy_hash: &release.policy_hash.0,
                table_rhos: &table_rhos,
                cells: release.cell_count(),
                sealed: &sealed,
                at: &now.to_rfc3339(),
            },
        )?;
        Ok::<_, ReleaseError>((release_id, sequence))
    })?;
    summary.release_id = Some(release_id);
    summary.sequence = Some(sequence);
    Ok(summary)
}

/// The schedule and the outbox sender of `node serve`, started together and stopped together.
pub struct ReleaseBackground {
    pub outbox: OutboxSender,
    scheduler: schedule::ReleaseScheduler,
}

impl ReleaseBackground {
    /// Starts both when `[release] enabled`; `None` when releases are off. Needs a Tokio runtime.
    pub fn start(
        config: &NodeConfig,
        store: Store,
        policies: Arc<Policies>,
        clock: Arc<dyn crate::clock::Clock>,
    ) -> Result<Option<ReleaseBackground>, ReleaseError> {
        let r = &config.release;
        if !r.enabled {
            return Ok(None);
        }
        let url =
            r.aggregator_url.clone().ok_or_else(|| ReleaseError::Config("release.aggregator_url is not set".into()))?;
        let keys = ReleaseKeys::load(config)?;
        let node = node_id(config)?;
        let outbox = OutboxSender::start(store.clone(), url, std::time::Duration::from_secs(r.retry_max_seconds));
        let scheduler = schedule::ReleaseScheduler::start(
            store,
            policies,
            node,
            keys,
            clock,
            std::time::Duration::from_secs(r.check_interval_seconds),
            outbox.waker(),
        );
        Ok(Some(ReleaseBackground { outbox, scheduler }))
    }

    pub async fn stop(self) {
        self.scheduler.stop().await;
        self.outbox.stop().await;
    }
}

/// `lantern node release --resend`: queue every sealed release again (same bytes). The aggregator
/// acknowledges those it has without counting them twice and accepts the ones it lost.
pub fn resend_command(store: &Store) -> Result<String, ReleaseError> {
    let n = store.write_blocking(|c| Ok::<_, ReleaseError>(sql::mark_all_pending(c)?))?;
    Ok(format!("{n} acknowledged release(s) queued again; a running `node serve` re-sends them (same bytes)"))
}

/// `lantern node release [--dry-run] [--current]`: the last ended period (or, with `current`, the
/// period running today, counting today's enrollment). Prints the summary.
pub fn release_command(
    config: &NodeConfig,
    store: &Store,
    dry_run: bool,
    current: bool,
) -> Result<String, ReleaseError> {
    let policies = Policies::load(&config.policies).map_err(|e| ReleaseError::Config(e.to_string()))?;
    let now = Utc::now();
    let today = now.date_naive();
    let (period, as_of) = if current {
        let p = policies.release.period_containing(today);
        (p, today)
    } else {
        let p = last_ended_period(&policies.release, today);
        let end = p.end;
        (p, end)
    };
    let keys = if dry_run { None } else { Some(ReleaseKeys::load(config)?) };
    let summary = run_release(store, &policies, &node_id(config)?, &period, as_of, now, keys.as_ref())?;
    Ok(summary.to_string())
}

#[cfg(test)]
mod tests;
