//! The release payload: what a node tells the aggregator about one period — who sent it, which
//! policy and budget produced it, and the noisy tables. Nothing in it identifies a student: the
//! only statistics are the noisy cells, keyed by public domain labels.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use std::collections::HashSet;

use crate::dp::{CellKey, CellValue, NoisyTables, ReleasedTable};
use crate::policy_file::PolicyHash;
use crate::release_policy::{Domain, Period, ReleasePolicy, SUBGROUP};

/// Version of the payload format; the aggregator refuses others.
pub const RELEASE_FORMAT: u32 = 1;

/// A node's id as the aggregator knows it: 1 to 64 of `A-Z a-z 0-9 . _ -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct NodeId(String);

impl NodeId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for NodeId {
    type Err = String;
    fn from_str(s: &str) -> Result<NodeId, String> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if ok {
            Ok(NodeId(s.to_string()))
        } else {
            Err(format!("node id \"{}\": use 1 to 64 letters, digits, . _ or -", s.escape_debug()))
        }
    }
}

impl TryFrom<String> for NodeId {
    type Error = String;
    fn try_from(s: String) -> Result<NodeId, String> {
        s.parse()
    }
}

impl From<NodeId> for String {
    fn from(id: NodeId) -> String {
        id.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One period's release from one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub format: u32,
    /// Random; the aggregator is idempotent on it (a retried send is the same release).
    pub release_id: Uuid,
    pub node_id: NodeId,
    /// Increases by one with every release of this node; the aggregator refuses replays.
    pub sequence: u64,
    pub period: Period,
    /// Hash of the release policy that produced the tables and budgeted them.
    pub policy_hash: PolicyHash,
    /// zCDP ρ charged to the node's ledger for this release (from OpenDP).
    pub rho_spent: f64,
    pub created_at: DateTime<Utc>,
    pub tables: Vec<ReleasedTable>,
}

impl Release {
    /// Wraps freshly computed tables with a new random release id.
    pub fn new(
        node_id: NodeId,
        sequence: u64,
        period: Period,
        policy: &ReleasePolicy,
        tables: NoisyTables,
        created_at: DateTime<Utc>,
    ) -> Release {
        Release {
            format: RELEASE_FORMAT,
            release_id: Uuid::new_v4(),
            node_id,
            sequence,
            period,
            policy_hash: policy.hash().clone(),
            rho_spent: tables.rho,
            created_at,
            tables: tables.tables,
        }
    }

    /// Number of cells (suppressed ones included).
    pub fn cell_count(&self) -> usize {
        self.tables.iter().flat_map(|t| &t.partitions).map(|p| p.cells.len()).sum()
    }

    /// The aggregator's check that a (signature-verified) release is what `policy` allows: same
    /// policy hash, ρ within the period budget and each table's share, known tables, and in every
    /// partition exactly the public cells (each once, plus "other") with a positive σ.
    pub fn conforms_to(&self, policy: &ReleasePolicy) -> Result<(), String> {
        if &self.policy_hash != policy.hash() {
            return Err(format!("policy hash {} is not the policy in force ({})", self.policy_hash, policy.hash()));
        }
        let within = |rho: f64, limit: f64| rho.is_finite() && rho >= 0.0 && rho <= limit * (1.0 + 1e-9);
        if !within(self.rho_spent, policy.budget().period_rho) {
            return Err(format!(
                "rho_spent {} exceeds the period budget {}",
                self.rho_spent,
                policy.budget().period_rho
            ));
        }
        let mut seen = HashSet::new();
        for t in &self.tables {
            let spec = policy.table(&t.id).ok_or_else(|| format!("table {}: not in the policy", t.id))?;
            if !seen.insert(t.id.as_str()) {
                return Err(format!("table {}: appears twice", t.id));
            }
            if t.dimensions != spec.dimensions || t.per != spec.per || t.measure != spec.measure {
                return Err(format!("table {}: dimensions, per or measure differ from the policy", t.id));
            }
            if !within(t.rho, spec.rho) {
                return Err(format!("table {}: rho {} exceeds its share {}", t.id, t.rho, spec.rho));
            }
            for (i, part) in t.partitions.iter().enumerate() {
                check_partition(policy, t, i).map_err(|e| format!("table {} partition {i}: {e}", t.id))?;
                if part.per.is_some() != spec.per.is_some() {
                    return Err(format!("table {} partition {i}: per item does not match the policy", t.id));
                }
            }
        }
        Ok(())
    }
}

/// Every cell of a partition is a distinct public key, all of them are present, σ is positive,
/// and suppression matches the table.
fn check_partition(policy: &ReleasePolicy, t: &ReleasedTable, i: usize) -> Result<(), String> {
    let part = &t.partitions[i];
    let family = match (&part.subgroup, t.dimensions.iter().any(|d| d == SUBGROUP)) {
        (Some(f), true) => {
            Some(policy.subgroups().iter().find(|s| s.name() == f).ok_or(format!("unknown subgroup family {f}"))?)
        }
        (None, false) => None,
        _ => return Err("subgroup family does not match the table".into()),
    };
    let domains: Vec<&Domain> = t
        .dimensions
        .iter()
        .map(|d| if d == SUBGROUP { family } else { policy.domain(d) })
        .collect::<Option<_>>()
        .ok_or("a dimension has no domain")?;
    let expected: usize = domains.iter().map(|d| d.labels().len()).product::<usize>() + 1;
    let mut keys = HashSet::new();
    for c in &part.cells {
        if let CellKey::Cell(labels) = &c.key {
            let public =
                labels.len() == domains.len() && labels.iter().zip(&domains).all(|(l, d)| d.labels().contains(l));
            if !public {
                return Err(format!("cell key {labels:?} is not in the public domain"));
            }
        }
        if !keys.insert(&c.key) {
            return Err("a cell key appears twice".into());
        }
        if !(c.sigma.is_finite() && c.sigma > 0.0) {
            return Err(format!("sigma {} is not positive", c.sigma));
        }
        if let (None, CellValue::Suppressed) = (t.suppressed_below, c.value) {
            return Err("a cell is suppressed in a table that does not suppress".into());
        }
        if let (Some(min), CellValue::Noisy(v)) = (t.suppressed_below, c.value) {
            if v < i64::from(min) {
                return Err(format!("value {v} is below the suppression threshold {min}"));
            }
        }
    }
    if keys.len() != expected {
        return Err(format!("{} cells, expected {expected}", keys.len()));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn node_ids() {
        assert_eq!("school-042".parse::<NodeId>().unwrap().as_str(), "school-042");
        assert!("".parse::<NodeId>().is_err());
        assert!("a b".parse::<NodeId>().is_err());
        assert!("x".repeat(65).parse::<NodeId>().is_err());
        let err = serde_json::from_str::<NodeId>("\"bad/id\"").unwrap_err();
        assert!(err.to_string().contains("node id \"bad/id\""), "{err}");
    }
}
