//! Turning a parsed release policy file into a [`ReleasePolicy`], collecting every problem with its
//! `file:line:col` instead of stopping at the first.

mod domains;
mod tables;

use std::collections::HashSet;
use std::ops::Range;

use toml::Spanned;

use super::period::{MonthDay, PeriodRule};
use super::raw::RawPolicy;
use super::ReleasePolicy;
use crate::budget::BudgetLimits;
use crate::policy_file::{Diagnostic, PolicySource};
use domains::{domains, subgroups};
use tables::{tables, Known};

/// Largest number of cells one partition of a table may have (a guard against a policy that
/// would make a release of millions of cells).
pub const MAX_CELLS_PER_PARTITION: u64 = 100_000;

/// Largest accepted δ: δ must be far below 1/n for any school population.
pub const MAX_DELTA: f64 = 1e-6;

/// Collects diagnostics while validation goes on.
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
            && v.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            self.at(
                s.span(),
                format!("{what} \"{v}\": use lowercase letters, digits and _ (at most 64, starting with a letter)"),
            );
        }
        ok
    }

    /// A public cell label: non-empty, at most 64 characters, no control characters.
    fn label(&mut self, what: &str, s: &Spanned<String>) -> bool {
        let v = s.get_ref();
        let ok = !v.trim().is_empty() && v.chars().count() <= 64 && !v.chars().any(char::is_control);
        if !ok {
            self.at(s.span(), format!("{what} \"{}\": labels must be 1 to 64 printable characters", v.escape_debug()));
        }
        ok
    }

    fn positive(&mut self, what: &str, x: &Spanned<f64>) -> bool {
        let ok = x.get_ref().is_finite() && *x.get_ref() > 0.0;
        if !ok {
            self.at(x.span(), format!("{what} must be a finite number above 0, found {}", x.get_ref()));
        }
        ok
    }
}

pub(super) fn validate(src: &PolicySource, raw: RawPolicy) -> Result<ReleasePolicy, Vec<Diagnostic>> {
    let mut c = Checker { src, problems: Vec::new() };

    if raw.kind.get_ref() != "release" {
        c.at(
            raw.kind.span(),
            format!("kind must be \"release\" in a release policy, found \"{}\"", raw.kind.get_ref()),
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
        c.at(raw.delta.span(), format!("delta must be above 0 and at most {MAX_DELTA:e}, found {delta:e}"));
    }
    let nodes_per_student = raw.nodes_per_student.as_ref().map_or(1, |n| *n.get_ref());
    if let Some(n) = &raw.nodes_per_student {
        if !(1..=2).contains(n.get_ref()) {
            c.at(
                n.span(),
                format!(
                    "nodes_per_student must be 1 (counted only where enrolled at period end) or 2, found {}",
                    n.get_ref()
                ),
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
    let known = Known { domains: &domains, subgroups: &subgroups, declared, families_declared };
    let tables = tables(&mut c, &raw.tables, &known);

    let total: f64 = tables.iter().map(|t| t.rho).sum();
    if period_ok && total > period_rho * (1.0 + 1e-12) {
        c.at(
            budget.period_rho.span(),
            format!("the tables' rho shares sum to {total}, more than budget.period_rho {period_rho}"),
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
            budget: BudgetLimits { period_rho, year_rho },
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
                c.at(raw.period.span(), "period = \"term\" needs term_starts = [\"MM-DD\", ...]");
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
                c.at(starts.span(), "term_starts must be in calendar order with no repeats");
            }
            Some(PeriodRule::Term { starts: parsed })
        }
        other => {
            c.at(raw.period.span(), format!("unknown period \"{other}\" (expected week, month or term)"));
            None
        }
    };
    if let (Some(starts), false) = (&raw.term_starts, matches!(rule, Some(PeriodRule::Term { .. }))) {
        c.at(starts.span(), "term_starts is only used with period = \"term\"");
    }
    rule
}
