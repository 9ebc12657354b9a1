//! The release payload: what a node tells the aggregator about one period — who sent it, which
//! policy and budget produced it, and the noisy tables. Nothing in it identifies a student: the
//! only statistics are the noisy cells, keyed by public domain labels.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::dp::{NoisyTables, ReleasedTable};
use crate::policy_file::PolicyHash;
use crate::release_policy::{Period, ReleasePolicy};

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
}

#[cfg(test)]
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
