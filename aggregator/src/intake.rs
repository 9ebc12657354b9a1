//! Release intake: the checks every sealed envelope passes before anything is stored — decrypt
//! with the aggregator's identity, verify the registered node's signature, then (under the store
//! lock, so two sends cannot race) idempotency on the release id, the district policy and period
//! rule, the node's sequence, and its per-period budget. A refused release stores nothing.

use std::collections::BTreeMap;

use lantern_policies::budget::{self, BudgetError, LedgerEntry};
use lantern_policies::envelope::{self, EnvelopeError, NodeId, Release};
use lantern_policies::release_policy::ReleasePolicy;
use serde::Serialize;

use crate::config::RegisteredNode;
use crate::store::{self, Db, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("{0}")]
    Envelope(#[from] EnvelopeError),
    #[error("node \"{node}\": sequence {sequence} was already used (last accepted {last}); replays are refused")]
    Replayed { node: String, sequence: u64, last: u64 },
    #[error("node \"{node}\": sequence {sequence} is out of order (expected {expected})")]
    OutOfOrder { node: String, sequence: u64, expected: u64 },
    #[error("release {release_id} was already accepted from node \"{node}\" with sequence {sequence}")]
    IdReused { release_id: String, node: String, sequence: u64 },
    #[error("{0}")]
    PolicyMismatch(String),
    #[error("release does not conform to the district policy: {0}")]
    Nonconforming(String),
    #[error("node \"{node}\": {reason}")]
    OverBudget { node: String, reason: BudgetError },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IntakeError {
    /// A short stable name, for the JSON error code and the rejection metric.
    pub fn code(&self) -> &'static str {
        match self {
            IntakeError::Envelope(e) => match e {
                EnvelopeError::NotAge => "not_an_envelope",
                EnvelopeError::WrongRecipient => "wrong_recipient",
                EnvelopeError::Garbled(_) => "garbled_envelope",
                EnvelopeError::UnknownNode(_) => "unknown_node",
                EnvelopeError::BadSignature(_) => "bad_signature",
                EnvelopeError::UnsupportedFormat(_) => "unsupported_format",
                EnvelopeError::Malformed(_)
                | EnvelopeError::MalformedPayload(_)
                | EnvelopeError::NodeMismatch { .. }
                | EnvelopeError::Seal(_) => "malformed_envelope",
            },
            IntakeError::Replayed { .. } => "replayed_sequence",
            IntakeError::OutOfOrder { .. } => "out_of_order",
            IntakeError::IdReused { .. } => "release_id_reused",
            IntakeError::PolicyMismatch(_) => "policy_mismatch",
            IntakeError::Nonconforming(_) => "nonconforming_release",
            IntakeError::OverBudget { .. } => "over_budget",
            IntakeError::Store(_) => "internal",
        }
    }
}

/// What the intake did with an envelope that passed every check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Acknowledgement {
    pub release_id: String,
    pub node_id: String,
    pub sequence: u64,
    pub period: String,
    /// False when the release had been accepted before (a resend): nothing was counted again.
    pub new: bool,
}

/// Decrypts and verifies a sealed envelope against the registered nodes' keys. CPU only.
pub fn open(
    bytes: &[u8],
    identity: &age::x25519::Identity,
    nodes: &BTreeMap<NodeId, RegisteredNode>,
) -> Result<Release, IntakeError> {
    Ok(envelope::open(bytes, identity, |id| nodes.get(id).map(|n| n.key))?)
}

/// Checks a verified release against what is stored and the district policy, and stores it in
/// one transaction. Call with the store lock held.
pub fn record(
    conn: &mut Db,
    policy: &ReleasePolicy,
    release: &Release,
    received_at: &str,
) -> Result<Acknowledgement, IntakeError> {
    let release_id = release.release_id.to_string();
    let node = release.node_id.as_str();
    let ack = |new| Acknowledgement {
        release_id: release_id.clone(),
        node_id: node.to_string(),
        sequence: release.sequence,
        period: release.period.label.clone(),
        new,
    };
    if let Some(prior) = store::release_by_id(conn, &release_id)? {
        if prior.node_id == node && prior.sequence == release.sequence {
            return Ok(ack(false));
        }
        return Err(IntakeError::IdReused { release_id, node: prior.node_id, sequence: prior.sequence });
    }
    if &release.policy_hash != policy.hash() {
        return Err(IntakeError::PolicyMismatch(format!(
            "release was made under policy {} but the district policy in force is {}",
            release.policy_hash,
            policy.hash()
        )));
    }
    release.conforms_to(policy).map_err(IntakeError::Nonconforming)?;
    if policy.period_containing(release.period.start) != release.period {
        return Err(IntakeError::Nonconforming(format!(
            "period {} ({} to {}) is not a {} period of the policy",
            release.period.label,
            release.period.start,
            release.period.end,
            policy.period_rule().name()
        )));
    }
    let last = store::last_sequence(conn, node)?;
    let expected = last.map_or(1, |l| l + 1);
    if let Some(last) = last.filter(|l| release.sequence <= *l) {
        return Err(IntakeError::Replayed { node: node.to_string(), sequence: release.sequence, last });
    }
    if release.sequence != expected {
        return Err(IntakeError::OutOfOrder { node: node.to_string(), sequence: release.sequence, expected });
    }
    let spends: Vec<LedgerEntry> = store::node_spends(conn, node, release.period.budget_year)?
        .into_iter()
        .map(|(period, rho)| LedgerEntry { period, budget_year: release.period.budget_year, rho })
        .collect();
    budget::authorize(&policy.budget(), &release.period, &spends, release.rho_spent)
        .map_err(|reason| IntakeError::OverBudget { node: node.to_string(), reason })?;
    store::insert_release(conn, release, received_at)?;
    Ok(ack(true))
}
