//! Turning a parsed release policy file into a [`ReleasePolicy`], collecting every problem with its
//! `file:line:col` instead of stopping at the first.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;

use toml::Spanned;

use super::domain::Domain;
use super::period::{MonthDay, PeriodRule};
use super::raw::{RawDomain, RawPolicy, RawTable};
use super::{Measure, PartitionSource, ReleasePolicy, TableSpec, SUBGROUP};
use crate::budget::BudgetLimits;
use crate::policy_file::{Diagnostic, PolicySource};

/// Largest number of cells one partition of a table may have (a guard against a policy that
/// would make a release of millions of cells).
pub const MAX_CELLS_PER_PARTITION: u64 = 100_000;

/// Largest accepted δ: δ must be far below 1/n for any school population.
pub const MAX_DELTA: f64 = 1e-6;

struct Checker<'a> {
    src: &'a PolicySource,
    problems: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn at(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.problems.push(self.src.diagnostic(Some(span), message));
    }

    /// A lowercase identifier: `[a-z][a-z0-9_]*`, at most 64 characters.
    fn identifier(&mut self, what: &str, s: &Spanned<String>) -> bool {
        let v = s.get_ref();
        let ok = v.len() <= 64
            && v.starts_with(|c: char| c.is_ascii_lowercase())
            && v.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            self.at(s.span(), format!("{what} \"{v}\": use lowercase letters, digits and _ (at most 64, starting with a letter)"));
        }
        ok
    }

    /// A public cell label: non-empty, at most 64 characters, no control characters.
    fn label(&mut self, what: &str, s: &Spanned<String>) -> bool {
        let v = s.get_ref();
        let ok =
            !v.trim().is_empty() && v.chars().count() <= 64 && !v.chars().any(char::is_control);
        if !ok {
            self.at(
                s.span(),
                format!(
                    "{what} \"{}\": labels must be 1 to 64 printable characters",
                    v.escape_debug()
                ),
            );
        }
        ok
    }

    fn positive(&mut self, what: &str, x: &Spanned<f64>) -> bool {
        let ok = x.get_ref().is_finite() && *x.get_ref() > 0.0;
        if !ok {
            self.at(
                x.span(),
                format!(
                    "{what} must be a finite number above 0, found {}",
                    x.get_ref()
                ),
            );
        }
        ok
    }
}

pub(super) fn validate(
    src: &PolicySource,
    raw: RawPolicy,
) -> Result<ReleasePolicy, Vec<Diagnostic>> {
    let mut c = Checker {
        src,
        problems: Vec::new(),
    };

    if raw.kind.get_ref() != "release" {
        c.at(
            raw.kind.span(),
            format!(
                "kind must be \"release\" in a release policy, found \"{}\"",
                raw.kind.get_ref()
            ),
        );
    }
    if raw.privacy_unit.get_ref() != "student" {
        c.at(
            raw.privacy_unit.span(),
            format!(
                "privacy_unit must be \"student\" (one student and all of their records), found \"{}\"",
                raw.privacy_unit.get_ref()
            ),
        );
    }
    let period = period_rule(&mut c, &raw);
    let delta = *raw.delta.get_ref();
    if !(delta > 0.0 && delta <= MAX_DELTA) {
        c.at(
            raw.delta.span(),
            format!("delta must be above 0 and at most {MAX_DELTA:e}, found {delta:e}"),
        );
    }
    let nodes_per_student = raw.nodes_per_student.as_ref().map_or(1, |n| *n.get_ref());
    if let Some(n) = &raw.nodes_per_student {
        if !(1..=2).contains(n.get_ref()) {
            c.at(
                n.span(),
                format!("nodes_per_student must be 1 (counted only where enrolled at period end) or 2, found {}", n.get_ref()),
            );
        }
    }

    let budget = raw.budget.get_ref();
    let period_ok = c.positive("budget.period_rho", &budget.period_rho);
    let year_ok = c.positive("budget.year_rho", &budget.year_rho);
    let (period_rho, year_rho) = (*budget.period_rho.get_ref(), *budget.year_rho.get_ref());
    if let (true, true, Some(rule)) = (period_ok, year_ok, &period) {
        let n = rule.max_periods_per_year();
        if f64::from(n) * period_rho > year_rho * (1.0 + 1e-12) {
            c.at(
                budget.year_rho.span(),
                format!(
                    "budget.year_rho {year_rho} is below {n} {}s × period_rho {period_rho} = {}: every period must be \
                     spendable in full, so raise year_rho or lower period_rho",
                    rule.name(),
                    f64::from(n) * period_rho
                ),
            );
        }
    }

    let domains = domains(&mut c, &raw.domains);
    let subgroups = subgroups(&mut c, &raw.subgroups, &domains);
    // Names declared in the file, valid or not: a table using a broken domain gets no second error.
    let declared: HashSet<&str> = raw.domains.keys().map(|k| k.get_ref().as_str()).collect();
    let families_declared = !raw.subgroups.is_empty();
    let known = Known {
        domains: &domains,
        subgroups: &subgroups,
        declared,
        families_declared,
    };
    let tables = tables(&mut c, &raw.tables, &known);

    let total: f64 = tables.iter().map(|t| t.rho).sum();
    if period_ok && total > period_rho * (1.0 + 1e-12) {
        c.at(
            budget.period_rho.span(),
            format!(
                "the tables' rho shares sum to {total}, more than budget.period_rho {period_rho}"
            ),
        );
    }

    match (c.problems.is_empty(), period) {
        (true, Some(period)) => Ok(ReleasePolicy {
            source_name: src.name.clone(),
            hash: src.hash(),
            description: raw.description.unwrap_or_default(),
            period,
            delta,
            min_cell: *raw.min_cell.get_ref(),
            nodes_per_student,
            budget: BudgetLimits {
                period_rho,
                year_rho,
            },
            domains,
            subgroups,
            tables,
        }),
        _ => Err(c.problems),
    }
}

fn period_rule(c: &mut Checker<'_>, raw: &RawPolicy) -> Option<PeriodRule> {
    let rule = match raw.period.get_ref().as_str() {
        "week" => Some(PeriodRule::Week),
        "month" => Some(PeriodRule::Month),
        "term" => {
            let Some(starts) = &raw.term_starts else {
                c.at(
                    raw.period.span(),
                    "period = \"term\" needs term_starts = [\"MM-DD\", ...]",
                );
                return None;
            };
            let mut parsed = Vec::new();
            for s in starts.get_ref() {
                match MonthDay::parse(s.get_ref()) {
                    Ok(md) => parsed.push(md),
                    Err(e) => c.at(s.span(), e),
                }
            }
            if starts.get_ref().is_empty() {
                c.at(starts.span(), "term_starts must list at least one MM-DD");
            } else if parsed.windows(2).any(|w| w[0] >= w[1]) {
                c.at(
                    starts.span(),
                    "term_starts must be in calendar order with no repeats",
                );
            }
            Some(PeriodRule::Term { starts: parsed })
        }
        other => {
            c.at(
                raw.period.span(),
                format!("unknown period \"{other}\" (expected week, month or term)"),
            );
            None
        }
    };
    if let (Some(starts), false) = (
        &raw.term_starts,
        matches!(rule, Some(PeriodRule::Term { .. })),
    ) {
        c.at(
            starts.span(),
            "term_starts is only used with period = \"term\"",
        );
    }
    rule
}

fn domain(
    c: &mut Checker<'_>,
    name: &Spanned<String>,
    raw: &Spanned<RawDomain>,
    what: &str,
) -> Option<Domain> {
    let r = raw.get_ref();
    let fallback = match &r.fallback {
        Some(f) if c.label(&format!("{what} {} fallback", name.get_ref()), f) => {
            Some(f.get_ref().clone())
        }
        Some(_) => return None,
        None => None,
    };
    match (&r.values, &r.edges) {
        (Some(values), None) => {
            if values.get_ref().is_empty() {
                c.at(
                    values.span(),
                    format!("{what} {}: values must not be empty", name.get_ref()),
                );
                return None;
            }
            let mut seen = HashSet::new();
            let mut ok = true;
            for v in values.get_ref() {
                ok &= c.label(&format!("{what} {} value", name.get_ref()), v);
                if !seen.insert(v.get_ref().as_str()) {
                    c.at(
                        v.span(),
                        format!(
                            "{what} {}: value \"{}\" is listed twice",
                            name.get_ref(),
                            v.get_ref()
                        ),
                    );
                    ok = false;
                }
            }
            if let (Some(f), Some(fs)) = (&fallback, &r.fallback) {
                if seen.contains(f.as_str()) {
                    c.at(
                        fs.span(),
                        format!(
                            "{what} {}: fallback \"{f}\" is also a listed value",
                            name.get_ref()
                        ),
                    );
                    ok = false;
                }
            }
            let values = values
                .get_ref()
                .iter()
                .map(|v| v.get_ref().clone())
                .collect();
            ok.then(|| {
                Domain::values(name.get_ref(), values, fallback)
                    .with_description(r.description.clone())
            })
        }
        (None, Some(edges)) => {
            let e: Vec<f64> = edges.get_ref().iter().map(|e| *e.get_ref()).collect();
            if e.is_empty()
                || e.iter().any(|x| !x.is_finite())
                || e.windows(2).any(|w| w[0] >= w[1])
            {
                c.at(
                    edges.span(),
                    format!(
                        "{what} {}: edges must be finite numbers in strictly increasing order",
                        name.get_ref()
                    ),
                );
                return None;
            }
            if let (Some(f), Some(fs)) = (&fallback, &r.fallback) {
                if Domain::bins(name.get_ref(), e.clone(), None)
                    .labels()
                    .contains(f)
                {
                    c.at(
                        fs.span(),
                        format!(
                            "{what} {}: fallback \"{f}\" is also a bin label",
                            name.get_ref()
                        ),
                    );
                    return None;
                }
            }
            Some(Domain::bins(name.get_ref(), e, fallback).with_description(r.description.clone()))
        }
        (Some(_), Some(_)) => {
            c.at(
                raw.span(),
                format!(
                    "{what} {}: give either values or edges, not both",
                    name.get_ref()
                ),
            );
            None
        }
        (None, None) => {
            c.at(
                raw.span(),
                format!(
                    "{what} {}: needs values = [...] or edges = [...]",
                    name.get_ref()
                ),
            );
            None
        }
    }
}

fn domains(
    c: &mut Checker<'_>,
    raw: &BTreeMap<Spanned<String>, Spanned<RawDomain>>,
) -> BTreeMap<String, Domain> {
    let mut out = BTreeMap::new();
    for (name, d) in raw {
        if !c.identifier("domain", name) {
            continue;
        }
        if name.get_ref() == SUBGROUP {
            c.at(
                name.span(),
                "domain name \"subgroup\" is reserved: declare subgroup families under [subgroups]",
            );
            continue;
        }
        if let Some(d) = domain(c, name, d, "domain") {
            out.insert(name.get_ref().clone(), d);
        }
    }
    out
}

fn subgroups(
    c: &mut Checker<'_>,
    raw: &BTreeMap<Spanned<String>, Spanned<RawDomain>>,
    domains: &BTreeMap<String, Domain>,
) -> Vec<Domain> {
    let mut out = Vec::new();
    for (name, d) in raw {
        if !c.identifier("subgroup family", name) {
            continue;
        }
        if domains.contains_key(name.get_ref()) {
            c.at(
                name.span(),
                format!(
                    "subgroup family \"{}\" has the same name as a domain",
                    name.get_ref()
                ),
            );
            continue;
        }
        if d.get_ref().edges.is_some() {
            c.at(
                d.span(),
                format!("subgroup family {}: list values, not edges", name.get_ref()),
            );
            continue;
        }
        if let Some(d) = domain(c, name, d, "subgroup family") {
            out.push(d);
        }
    }
    out
}

/// The domains a table may refer to.
struct Known<'a> {
    domains: &'a BTreeMap<String, Domain>,
    subgroups: &'a [Domain],
    declared: HashSet<&'a str>,
    families_declared: bool,
}

fn tables(c: &mut Checker<'_>, raw: &[Spanned<RawTable>], known: &Known<'_>) -> Vec<TableSpec> {
    let mut out = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for t in raw {
        let id = &t.get_ref().id;
        if let Some(first) = first_line.get(id.get_ref()) {
            c.at(
                id.span(),
                format!(
                    "duplicate table id \"{}\" (first defined on line {first})",
                    id.get_ref()
                ),
            );
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
            c.at(
                t.measure.span(),
                format!("table {id}: unknown measure \"{other}\" (expected count)"),
            );
            None
        }
    };
    let dims = t.dimensions.get_ref();
    if dims.is_empty() {
        c.at(
            t.dimensions.span(),
            format!("table {id}: dimensions must not be empty"),
        );
    }
    let mut seen = HashSet::new();
    let mut cells: u64 = 1;
    for d in dims {
        let name = d.get_ref();
        if !seen.insert(name.as_str()) {
            c.at(
                d.span(),
                format!("table {id}: dimension \"{name}\" is listed twice"),
            );
        } else if name == SUBGROUP {
            match known
                .subgroups
                .iter()
                .map(|s| s.labels().len() as u64)
                .max()
            {
                Some(n) => cells = cells.saturating_mul(n),
                None if known.families_declared => broken = true,
                None => c.at(
                    d.span(),
                    format!(
                        "table {id}: dimension \"subgroup\" needs at least one [subgroups] family"
                    ),
                ),
            }
        } else if let Some(domain) = known.domains.get(name) {
            cells = cells.saturating_mul(domain.labels().len() as u64);
        } else if known.declared.contains(name.as_str()) {
            broken = true;
        } else {
            c.at(
                d.span(),
                format!(
                    "table {id}: dimension \"{name}\" has no domain (declare [domains.{name}])"
                ),
            );
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
                c.at(
                    p.span(),
                    format!("table {id}: unknown per \"{other}\" (expected rule or standard)"),
                );
                None
            }
        },
    };
    if let Some(m) = &t.max_per {
        if t.per.is_none() {
            c.at(
                m.span(),
                format!("table {id}: max_per needs per = \"rule\" or \"standard\""),
            );
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
