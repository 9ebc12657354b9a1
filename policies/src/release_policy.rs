//! The release policy (`kind = "release"`): what a node may release each period — the public cell
//! domains, the tables and their dimensions, each table's share of the period's privacy budget
//! (zCDP ρ), the yearly cap, δ for (ε, δ) reports, and the small-cell suppression threshold.
//!
//! `ReleasePolicy::load` is the only way to get one, so every other module can rely on its
//! invariants: table shares sum to at most the period budget, the yearly cap covers every period
//! of a year, every dimension has a public domain, table ids are unique.

mod domain;
mod period;
mod raw;
mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use domain::{Domain, DomainKind, Placement};
pub use period::{MonthDay, Period, PeriodRule};
pub use validate::{MAX_CELLS_PER_PARTITION, MAX_DELTA};

use crate::budget::BudgetLimits;
use crate::policy_file::{Diagnostic, PolicyHash, PolicySource};

/// The release policy shipped in the binary (`policies/defaults/release.toml`).
pub const DEFAULT_RELEASE_POLICY: &str = include_str!("../defaults/release.toml");

/// The dimension name that stands for "the student's subgroup": a table that lists it is released
/// once per subgroup family (sex, race/ethnicity, …), each family a partition of the students.
pub const SUBGROUP: &str = "subgroup";

/// What a table measures. Only counts of students: see docs/PRIVACY.md for why per-cell bounded
/// sums are left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    Count,
}

/// A table released once per item of a public list supplied at release time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartitionSource {
    /// One partition per alert rule id of the rules policy in force (bias audits).
    Rule,
    /// One partition per standard of the node's item bank (mastery by standard).
    Standard,
}

impl PartitionSource {
    pub fn name(self) -> &'static str {
        match self {
            PartitionSource::Rule => "rule",
            PartitionSource::Standard => "standard",
        }
    }
}

/// One table of the release policy.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    pub id: String,
    pub description: String,
    pub measure: Measure,
    /// Cell key dimensions, in key order: domain names, or [`SUBGROUP`].
    pub dimensions: Vec<String>,
    /// Released once per rule or per standard (each a separate partition, composed).
    pub per: Option<PartitionSource>,
    /// The most rules/standards the table accepts at release time.
    pub max_per: Option<u32>,
    /// Rows per student per partition (always 1: the node reduces before counting).
    pub contribution_bound: u32,
    /// This table's share of the period budget (zCDP ρ), split evenly over its partitions.
    pub rho: f64,
    /// Whether cells whose noisy count is below the policy's `min_cell` are suppressed at the node.
    pub suppress: bool,
}

impl TableSpec {
    /// Whether the table is released once per subgroup family.
    pub fn has_subgroup(&self) -> bool {
        self.dimensions.iter().any(|d| d == SUBGROUP)
    }
}

/// A validated release policy.
#[derive(Debug, Clone)]
pub struct ReleasePolicy {
    source_name: String,
    hash: PolicyHash,
    description: String,
    period: PeriodRule,
    delta: f64,
    min_cell: u32,
    nodes_per_student: u32,
    budget: BudgetLimits,
    domains: BTreeMap<String, Domain>,
    subgroups: Vec<Domain>,
    tables: Vec<TableSpec>,
}

impl ReleasePolicy {
    /// Parses and validates a release policy; every problem comes back as a `file:line:col`
    /// diagnostic.
    pub fn load(src: &PolicySource) -> Result<ReleasePolicy, Vec<Diagnostic>> {
        let raw: raw::RawPolicy = src.parse().map_err(|d| vec![d])?;
        validate::validate(src, raw)
    }

    /// The policy compiled into the binary.
    pub fn builtin() -> Result<ReleasePolicy, Vec<Diagnostic>> {
        ReleasePolicy::load(&PolicySource::builtin("release.toml", DEFAULT_RELEASE_POLICY))
    }

    /// Where the policy was read from (for messages).
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// SHA-256 of the policy text; travels with every release.
    pub fn hash(&self) -> &PolicyHash {
        &self.hash
    }

    pub fn description(&self) -> &str {
        &self.description
    }

    pub fn period_rule(&self) -> &PeriodRule {
        &self.period
    }

    /// The period containing `date`.
    pub fn period_containing(&self, date: chrono::NaiveDate) -> Period {
        self.period.containing(date)
    }

    /// δ for the (ε, δ) equivalents in reports.
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// Noisy counts below this are suppressed in tables with `suppress = true`.
    pub fn min_cell(&self) -> u32 {
        self.min_cell
    }

    /// How many nodes may count the same student in one period: 1 when each student is counted
    /// only by the node where they are enrolled at the period's end. With 2, a student's loss per
    /// period is twice the node's spend.
    pub fn nodes_per_student(&self) -> u32 {
        self.nodes_per_student
    }

    pub fn budget(&self) -> BudgetLimits {
        self.budget
    }

    /// Every named domain (not the subgroup families).
    pub fn domains(&self) -> &BTreeMap<String, Domain> {
        &self.domains
    }

    pub fn domain(&self, name: &str) -> Option<&Domain> {
        self.domains.get(name)
    }

    /// The subgroup families (e.g. race_ethnicity, sex), in release order. The student attribute
    /// holding a family's value has the family's name.
    pub fn subgroups(&self) -> &[Domain] {
        &self.subgroups
    }

    pub fn tables(&self) -> &[TableSpec] {
        &self.tables
    }

    pub fn table(&self, id: &str) -> Option<&TableSpec> {
        self.tables.iter().find(|t| t.id == id)
    }

    /// Whether `name` is a student attribute this policy reads: a domain or a subgroup family.
    pub fn is_attribute(&self, name: &str) -> bool {
        self.domains.contains_key(name) || self.subgroups.iter().any(|s| s.name() == name)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
