//! The release policy file as written: serde shapes with source spans, turned into a
//! [`super::ReleasePolicy`] by validation. Unknown keys are refused here, with their position.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    pub kind: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub privacy_unit: Spanned<String>,
    pub period: Spanned<String>,
    #[serde(default)]
    pub term_starts: Option<Spanned<Vec<Spanned<String>>>>,
    pub delta: Spanned<f64>,
    pub min_cell: Spanned<u32>,
    #[serde(default)]
    pub nodes_per_student: Option<Spanned<u32>>,
    pub budget: Spanned<RawBudget>,
    #[serde(default)]
    pub domains: BTreeMap<Spanned<String>, Spanned<RawDomain>>,
    #[serde(default)]
    pub subgroups: BTreeMap<Spanned<String>, Spanned<RawDomain>>,
    #[serde(default)]
    pub tables: Vec<Spanned<RawTable>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBudget {
    pub period_rho: Spanned<f64>,
    pub year_rho: Spanned<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDomain {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub values: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub edges: Option<Spanned<Vec<Spanned<f64>>>>,
    #[serde(default)]
    pub fallback: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTable {
    pub id: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    pub measure: Spanned<String>,
    pub dimensions: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub per: Option<Spanned<String>>,
    #[serde(default)]
    pub max_per: Option<Spanned<u32>>,
    pub contribution_bound: Spanned<u32>,
    pub rho: Spanned<f64>,
    #[serde(default = "default_suppress")]
    pub suppress: bool,
}

fn default_suppress() -> bool {
    true
}
