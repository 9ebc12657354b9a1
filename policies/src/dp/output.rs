//! The noisy tables a release carries — the only statistics that ever leave a node. Shared by the
//! node (which builds them) and the aggregator (which reads them from the opened envelope).

use serde::{Deserialize, Serialize};

use crate::release_policy::{Measure, PartitionSource};

/// The tables of one release and their combined privacy loss.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoisyTables {
    /// zCDP ρ of the whole release, from the composed OpenDP measurement's privacy map at
    /// d_in = 1 student.
    pub rho: f64,
    pub tables: Vec<ReleasedTable>,
}

impl NoisyTables {
    /// Number of released cells (suppressed ones included).
    pub fn cell_count(&self) -> usize {
        self.tables.iter().flat_map(|t| &t.partitions).map(|p| p.cells.len()).sum()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleasedTable {
    pub id: String,
    pub measure: Measure,
    /// Cell key dimensions in key order (`subgroup` takes the partition's family's values).
    pub dimensions: Vec<String>,
    /// Whether the table has one partition per rule or per standard.
    pub per: Option<PartitionSource>,
    /// Rows per student per partition.
    pub contribution_bound: u32,
    /// L2 sensitivity of the whole table, √(Σ partition sensitivity²): a student in k partitions
    /// moves it by √k. For reports; the ρ comes from OpenDP.
    pub l2_sensitivity: f64,
    /// zCDP ρ of this table (all its partitions composed), from OpenDP.
    pub rho: f64,
    /// The threshold noisy counts were suppressed below, if this table suppresses.
    pub suppressed_below: Option<u32>,
    pub partitions: Vec<ReleasedPartition>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleasedPartition {
    /// The rule id or standard, for per-rule and per-standard tables.
    pub per: Option<String>,
    /// The subgroup family, for tables with a subgroup dimension.
    pub subgroup: Option<String>,
    /// L2 sensitivity of this partition's count vector to one student, from OpenDP's stability map.
    pub l2_sensitivity: f64,
    /// zCDP ρ of this partition, from OpenDP.
    pub rho: f64,
    /// Every cell of the public domain, zeros included, then the "other" cell.
    pub cells: Vec<ReleasedCell>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleasedCell {
    pub key: CellKey,
    pub value: CellValue,
    /// Scale of the discrete Gaussian noise added to this cell (its variance is at most σ²), so
    /// that sums over nodes can carry intervals: Var(Σ) ≤ Σ σᵢ².
    pub sigma: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellKey {
    /// One public label per dimension.
    Cell(Vec<String>),
    /// Students with a value outside a domain that has no fallback.
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellValue {
    /// The noisy count, unclamped (it may be negative): estimate from these, display clamped.
    Noisy(i64),
    /// The noisy count was below the table's `suppressed_below`; no value is sent.
    Suppressed,
}

impl CellValue {
    pub fn noisy(self) -> Option<i64> {
        match self {
            CellValue::Noisy(v) => Some(v),
            CellValue::Suppressed => None,
        }
    }
}
