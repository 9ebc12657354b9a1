//! Validation of the tables of a release policy: ids, measures, dimensions and their domains,
//! per-rule / per-standard partitioning, contribution bounds and ρ shares.

use std::collections::{BTreeMap, HashMap, HashSet};

use toml::Spanned;

use super::{Checker, MAX_CELLS_PER_PARTITION};
use crate::release_policy::domain::Domain;
use crate::release_policy::raw::RawTable;
use crate::release_policy::{Measure, PartitionSource, TableSpec, SUBGROUP};

/// The domains a table may refer to.
pub(super) struct Known<'a> {
    pub domains: &'a BTreeMap<String, Domain>,
    pub subgroups: &'a [Domain],
    pub declared: HashSet<&'a str>,
    pub families_declared: bool,
}

pub(super) fn tables(c: &mut Checker<'_>, raw: &[Spanned<RawTable>], known: &Known<'_>) -> Vec<TableSpec> {
    let mut out = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for t in raw {
        let id = &t.get_ref().id;
        if let Some(first) = first_line.get(id.get_ref()) {
            c.at(id.span(), format!("duplicate table id \"{}\" (first defined on line {first})", id.get_ref()));
            continue;
        }
        first_line.insert(id.get_ref().clone(), c.src.line_col(id.span().start).0);
        if let Some(spec) = table(c, t.get_ref(), known) {
            out.push(spec);
        }
    }
    out
}

fn table(c: &mut Checker<'_>, t: &RawTable, known: &Known<'_>) -> Option<TableSpec> {
    let before = c.problems.len();
    let mut broken = false;
    c.identifier("table id", &t.id);
    let id = t.id.get_ref();
    let measure = match t.measure.get_ref().as_str() {
        "count" => Some(Measure::Count),
        "sum" => {
            c.at(
                t.measure.span(),
                format!(
                    "table {id}: measure \"sum\" is not supported: OpenDP 0.16 has no per-cell bounded sum with \
                     parallel composition (see docs/PRIVACY.md); count students over a bin domain instead"
                ),
            );
            None
        }
        other => {
            c.at(t.measure.span(), format!("table {id}: unknown measure \"{other}\" (expected count)"));
            None
        }
    };
    let dims = t.dimensions.get_ref();
    if dims.is_empty() {
        c.at(t.dimensions.span(), format!("table {id}: dimensions must not be empty"));
    }
    let mut seen = HashSet::new();
    let mut cells: u64 = 1;
    for d in dims {
        let name = d.get_ref();
        if !seen.insert(name.as_str()) {
            c.at(d.span(), format!("table {id}: dimension \"{name}\" is listed twice"));
        } else if name == SUBGROUP {
            match known.subgroups.iter().map(|s| s.labels().len() as u64).max() {
                Some(n) => cells = cells.saturating_mul(n),
                None if known.families_declared => broken = true,
                None => {
                    c.at(d.span(), format!("table {id}: dimension \"subgroup\" needs at least one [subgroups] family"))
                }
            }
        } else if let Some(domain) = known.domains.get(name) {
            cells = cells.saturating_mul(domain.labels().len() as u64);
        } else if known.declared.contains(name.as_str()) {
            broken = true;
        } else {
            c.at(d.span(), format!("table {id}: dimension \"{name}\" has no domain (declare [domains.{name}])"));
        }
    }
    if cells > MAX_CELLS_PER_PARTITION {
        c.at(
            t.dimensions.span(),
            format!("table {id}: {cells} cells per partition is more than the limit of {MAX_CELLS_PER_PARTITION}"),
        );
    }
    let per = match &t.per {
        None => None,
        Some(p) => match p.get_ref().as_str() {
            "rule" => Some(PartitionSource::Rule),
            "standard" => Some(PartitionSource::Standard),
            other => {
                c.at(p.span(), format!("table {id}: unknown per \"{other}\" (expected rule or standard)"));
                None
            }
        },
    };
    if let Some(m) = &t.max_per {
        if t.per.is_none() {
            c.at(m.span(), format!("table {id}: max_per needs per = \"rule\" or \"standard\""));
        } else if *m.get_ref() == 0 {
            c.at(m.span(), format!("table {id}: max_per must be at least 1"));
        }
    }
    if *t.contribution_bound.get_ref() != 1 {
        c.at(
            t.contribution_bound.span(),
            format!(
                "table {id}: contribution_bound must be 1: the node reduces each student to one row per partition \
                 before counting (found {})",
                t.contribution_bound.get_ref()
            ),
        );
    }
    c.positive(&format!("table {id}: rho"), &t.rho);
    if broken || c.problems.len() > before {
        return None;
    }
    Some(TableSpec {
        id: id.clone(),
        description: t.description.clone().unwrap_or_default(),
        measure: measure?,
        dimensions: dims.iter().map(|d| d.get_ref().clone()).collect(),
        per,
        max_per: t.max_per.as_ref().map(|m| *m.get_ref()),
        contribution_bound: 1,
        rho: *t.rho.get_ref(),
        suppress: t.suppress,
    })
}
