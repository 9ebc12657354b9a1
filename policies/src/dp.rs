//! Differential-privacy release mechanics, all through OpenDP: per-student rows in, noisy count
//! tables out, with the zCDP ρ read from the measurements' own privacy maps. See `plan` for the
//! measurement and docs/PRIVACY.md for the guarantees.
//!
//! Typical use on the node (on a blocking thread — OpenDP measurements are not `Send`):
//! `plan_release` → `budget::authorize(…, plan.rho())` → `plan.compute(&students)` → record the
//! spend and seal the release in one transaction.

mod inputs;
mod layout;
mod output;
mod plan;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod noise_tests;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;

pub use inputs::{PublicPartitions, ReleaseInputs, StudentRecord};
pub use output::{CellKey, CellValue, NoisyTables, ReleasedCell, ReleasedPartition, ReleasedTable};
pub use plan::{plan_release, ReleasePlan};

use crate::release_policy::{PartitionSource, ReleasePolicy};

/// Why a release could not be computed. Messages name positions in the input and attribute
/// names, never student ids or values.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReleaseError {
    #[error("release inputs: {} \"{item}\" {reason}", list.name())]
    BadPartitionItem { list: PartitionSource, item: String, reason: &'static str },
    #[error("release inputs: table {table} allows at most {max} {}s, got {count}", list.name())]
    TooManyPartitions { table: String, list: PartitionSource, count: usize, max: u32 },
    #[error(
        "release inputs: no table has anything to release (per-rule and per-standard tables need rules or standards)"
    )]
    NothingToRelease,
    #[error("student record {index}: repeats an earlier student (one record per student)")]
    DuplicateStudent { index: usize },
    #[error("student record {index}: unknown attribute `{attribute}` (not a domain or subgroup family of the release policy)")]
    UnknownAttribute { index: usize, attribute: String },
    #[error("student record {index}: {} \"{item}\" is not in the release's public {} list", list.name(), list.name())]
    UnknownItem { index: usize, list: PartitionSource, item: String },
    #[error("student record {index}: table {table}{}: no `{attribute}` value, and its domain has no fallback", if partition.is_empty() { String::new() } else { format!(" ({partition})") })]
    MissingValue { index: usize, table: String, partition: String, attribute: String },
    #[error("OpenDP, {context}: {message}")]
    OpenDp { context: String, message: String },
}

/// Plans and computes one release: `plan_release(policy, &inputs.partitions)?.compute(&inputs.students)`.
/// Use the two steps when the ledger must approve the ρ in between.
pub fn compute_release(policy: &ReleasePolicy, inputs: &ReleaseInputs) -> Result<NoisyTables, ReleaseError> {
    plan_release(policy, &inputs.partitions)?.compute(&inputs.students)
}
