//! The privacy-budget check, as pure logic: given what the node's ledger already records for a
//! period and its budget year, allow or refuse a release's ρ; and the (ε, δ) equivalent of a zCDP
//! ρ for reports, computed by OpenDP's `make_zCDP_to_approxDP`.
//!
//! Sums are kept in whole nano-ρ (10⁻⁹): every spend is rounded *up* to a whole unit, so the sum
//! of accepted spends never exceeds the budget, whatever order a database returns them in.

use std::fmt;

use opendp::combinators::make_zCDP_to_approxDP;
use opendp::core::{Function, Measurement, PrivacyMap};
use opendp::domains::{AtomDomain, VectorDomain};
use opendp::measures::ZeroConcentratedDivergence;
use opendp::metrics::SymmetricDistance;
use serde::{Deserialize, Serialize};

use crate::release_policy::Period;

/// Units of ρ per 1.0.
const UNITS: f64 = 1e9;

/// The period budget and the yearly cap, in zCDP ρ.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BudgetLimits {
    pub period_rho: f64,
    pub year_rho: f64,
}

/// One spend recorded in the node's ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LedgerEntry {
    /// The period label, e.g. `2026-10`.
    pub period: String,
    pub budget_year: i32,
    pub rho: f64,
}

/// A release the ledger may record, with what is left afterwards.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Authorization {
    /// The ρ to record (the proposed one).
    pub rho: f64,
    pub period_left_after: f64,
    pub year_left_after: f64,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BudgetError {
    #[error("{}", shortfall("period", period, *need, *left, *budget))]
    PeriodExhausted { period: String, need: f64, left: f64, budget: f64 },
    #[error("{}", shortfall("budget year", &year.to_string(), *need, *left, *budget))]
    YearExhausted { year: i32, need: f64, left: f64, budget: f64 },
    #[error("proposed ρ {0} is not a finite number ≥ 0")]
    InvalidRho(f64),
    #[error("ledger entry for period {period} records ρ {rho}, which is not a finite number ≥ 0")]
    CorruptLedger { period: String, rho: f64 },
    #[error("cannot convert ρ={rho} to (ε, δ={delta}): {reason}")]
    Conversion { rho: f64, delta: f64, reason: String },
}

/// `release needs ρ=0.2 but period 2026-W40 has 0.05 of 0.25 left`, with enough decimals that
/// the two numbers compared never print the same.
fn shortfall(what: &str, which: &str, need: f64, left: f64, budget: f64) -> String {
    let digits = (2..=9).find(|d| format!("{need:.d$}", d = *d) != format!("{left:.d$}", d = *d)).unwrap_or(9);
    format!(
        "release needs ρ={} but {what} {which} has {} of {} left",
        Trimmed(need, digits),
        Trimmed(left, digits),
        Trimmed(budget, digits)
    )
}

/// A number printed with at most `.1` decimals, trailing zeros removed.
struct Trimmed(f64, usize);

impl fmt::Display for Trimmed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = format!("{:.*}", self.1, self.0);
        let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.') } else { &s };
        f.write_str(s)
    }
}

/// A spend in whole units, rounded up.
fn spend_units(rho: f64) -> Option<u128> {
    (rho.is_finite() && rho >= 0.0).then(|| (rho * UNITS).ceil() as u128)
}

/// A limit in whole units, rounded down.
fn limit_units(rho: f64) -> u128 {
    (rho * UNITS).floor().max(0.0) as u128
}

fn from_units(units: u128) -> f64 {
    units as f64 / UNITS
}

/// Allows `proposed_rho` in `period` if the ledger's spends for that period plus the proposal stay
/// within the period budget, and the spends for its budget year plus the proposal stay within the
/// yearly cap. The caller records the spend (in the same transaction as the release) only on `Ok`.
pub fn authorize(
    limits: &BudgetLimits,
    period: &Period,
    ledger: &[LedgerEntry],
    proposed_rho: f64,
) -> Result<Authorization, BudgetError> {
    let need = spend_units(proposed_rho).ok_or(BudgetError::InvalidRho(proposed_rho))?;
    let (mut in_period, mut in_year) = (0u128, 0u128);
    for e in ledger.iter().filter(|e| e.budget_year == period.budget_year) {
        let units =
            spend_units(e.rho).ok_or_else(|| BudgetError::CorruptLedger { period: e.period.clone(), rho: e.rho })?;
        in_year += units;
        if e.period == period.label {
            in_period += units;
        }
    }
    let (period_cap, year_cap) = (limit_units(limits.period_rho), limit_units(limits.year_rho));
    let period_left = period_cap.saturating_sub(in_period);
    let year_left = year_cap.saturating_sub(in_year);
    if need > period_left {
        return Err(BudgetError::PeriodExhausted {
            period: period.label.clone(),
            need: proposed_rho,
            left: from_units(period_left),
            budget: limits.period_rho,
        });
    }
    if need > year_left {
        return Err(BudgetError::YearExhausted {
            year: period.budget_year,
            need: proposed_rho,
            left: from_units(year_left),
            budget: limits.year_rho,
        });
    }
    Ok(Authorization {
        rho: proposed_rho,
        period_left_after: from_units(period_left - need),
        year_left_after: from_units(year_left - need),
    })
}

/// The ε such that a ρ-zCDP guarantee implies (ε, δ)-DP, from OpenDP's `make_zCDP_to_approxDP`
/// (tighter than the classic ε = ρ + 2√(ρ ln(1/δ))).
///
/// OpenDP converts measurements, not numbers, so the ρ is wrapped in a measurement that releases
/// nothing and whose privacy map states the ρ already spent (as read from the release
/// measurements' own maps and summed by the ledger).
pub fn epsilon_at_delta(rho: f64, delta: f64) -> Result<f64, BudgetError> {
    let fail = |reason: String| BudgetError::Conversion { rho, delta, reason };
    if !(rho.is_finite() && rho >= 0.0) {
        return Err(fail("ρ must be a finite number ≥ 0".into()));
    }
    let spent: Measurement<VectorDomain<AtomDomain<u32>>, SymmetricDistance, ZeroConcentratedDivergence, ()> =
        Measurement::new(
            VectorDomain::new(AtomDomain::default()),
            SymmetricDistance,
            ZeroConcentratedDivergence,
            Function::new(|_: &Vec<u32>| ()),
            // Evaluated at d_in = 1 (one student) only.
            PrivacyMap::new(move |_: &u32| rho),
        )
        .map_err(|e| fail(e.to_string()))?;
    let approx = make_zCDP_to_approxDP(spent).map_err(|e| fail(e.to_string()))?;
    let profile = approx.map(&1).map_err(|e| fail(e.to_string()))?;
    profile.epsilon(delta).map_err(|e| fail(e.to_string()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use proptest::prelude::*;

    fn period(label: &str, year: i32) -> Period {
        let day = NaiveDate::from_ymd_opt(year, 1, 1).expect("valid date");
        Period { label: label.into(), start: day, end: day, budget_year: year }
    }

    fn entry(label: &str, year: i32, rho: f64) -> LedgerEntry {
        LedgerEntry { period: label.into(), budget_year: year, rho }
    }

    const LIMITS: BudgetLimits = BudgetLimits { period_rho: 0.25, year_rho: 13.0 };

    #[test]
    fn refuses_past_the_period_budget_with_a_clear_message() {
        let ledger = [entry("2026-W40", 2026, 0.2), entry("2026-W39", 2026, 0.25)];
        let err = authorize(&LIMITS, &period("2026-W40", 2026), &ledger, 0.2).unwrap_err();
        assert_eq!(err.to_string(), "release needs ρ=0.2 but period 2026-W40 has 0.05 of 0.25 left");
        let ok = authorize(&LIMITS, &period("2026-W40", 2026), &ledger, 0.05).unwrap();
        assert!(ok.period_left_after.abs() < 1e-12, "{ok:?}");
    }

    #[test]
    fn refuses_past_the_yearly_cap() {
        let limits = BudgetLimits { period_rho: 0.25, year_rho: 0.5 };
        let ledger = [entry("2026-W01", 2026, 0.25), entry("2026-W02", 2026, 0.2), entry("2025-W52", 2025, 0.25)];
        let err = authorize(&limits, &period("2026-W03", 2026), &ledger, 0.1).unwrap_err();
        assert_eq!(err.to_string(), "release needs ρ=0.1 but budget year 2026 has 0.05 of 0.5 left");
        // Another year's spends do not count.
        assert!(authorize(&limits, &period("2027-W01", 2027), &ledger, 0.25).is_ok());
    }

    #[test]
    fn close_numbers_print_with_enough_digits() {
        let ledger = [entry("2026-10", 2026, 0.0499999)];
        let err =
            authorize(&BudgetLimits { period_rho: 0.1, year_rho: 1.2 }, &period("2026-10", 2026), &ledger, 0.05001)
                .unwrap_err();
        assert_eq!(err.to_string(), "release needs ρ=0.05001 but period 2026-10 has 0.05 of 0.1 left");
    }

    #[test]
    fn spending_exactly_the_budget_is_allowed() {
        let ledger = [entry("2026-10", 2026, 0.01), entry("2026-10", 2026, 0.02), entry("2026-10", 2026, 0.01)];
        let limits = BudgetLimits { period_rho: 0.05, year_rho: 0.6 };
        assert!(authorize(&limits, &period("2026-10", 2026), &ledger, 0.01).is_ok());
        assert!(authorize(&limits, &period("2026-10", 2026), &ledger, 0.010000001).is_err());
    }

    #[test]
    fn bad_numbers_are_refused() {
        let p = period("2026-10", 2026);
        assert!(authorize(&LIMITS, &p, &[], f64::NAN).unwrap_err().to_string().contains("not a finite"));
        assert!(matches!(authorize(&LIMITS, &p, &[], -0.1), Err(BudgetError::InvalidRho(_))));
        let bad = [entry("2026-09", 2026, f64::INFINITY)];
        assert_eq!(
            authorize(&LIMITS, &p, &bad, 0.1).unwrap_err(),
            BudgetError::CorruptLedger { period: "2026-09".into(), rho: f64::INFINITY }
        );
    }

    #[test]
    fn epsilon_matches_opendp_and_is_below_the_classic_bound() {
        // Census 2020 persons file: ρ = 2.56 at δ = 1e-10 is quoted as ε ≈ 17.14.
        let eps = epsilon_at_delta(2.56, 1e-10).unwrap();
        assert!((eps - 17.14).abs() < 0.1, "{eps}");
        for rho in [0.01, 0.05, 0.6, 1.0] {
            let eps = epsilon_at_delta(rho, 1e-10).unwrap();
            let classic = rho + 2.0 * (rho * (1e10f64).ln()).sqrt();
            assert!(eps > 0.0 && eps <= classic, "ρ={rho}: ε={eps} vs classic {classic}");
        }
        assert_eq!(epsilon_at_delta(0.0, 1e-10).unwrap(), 0.0);
        assert!(epsilon_at_delta(0.1, 2.0).unwrap_err().to_string().starts_with("cannot convert ρ=0.1"));
        assert!(epsilon_at_delta(-1.0, 1e-10).is_err());
    }

    proptest! {
        /// Whatever the limits and the order of proposals, the spends the checker accepts never
        /// add up to more than the period budget or the yearly cap.
        #[test]
        fn accepted_spends_never_exceed_the_budget(
            period_rho in 0.001f64..1.0,
            periods_per_year in 1u32..20,
            slack in 0.5f64..1.5,
            proposals in proptest::collection::vec((0usize..6, 0i32..2, 0.0f64..0.5), 0..120),
        ) {
            let limits = BudgetLimits { period_rho, year_rho: period_rho * f64::from(periods_per_year) * slack };
            let mut ledger: Vec<LedgerEntry> = Vec::new();
            for (p, y, rho) in proposals {
                let per = period(&format!("{}-P{p}", 2026 + y), 2026 + y);
                if authorize(&limits, &per, &ledger, rho).is_ok() {
                    ledger.push(LedgerEntry { period: per.label.clone(), budget_year: per.budget_year, rho });
                }
            }
            for y in [2026, 2027] {
                let year: f64 = ledger.iter().filter(|e| e.budget_year == y).map(|e| e.rho).sum();
                prop_assert!(year <= limits.year_rho * (1.0 + 1e-12), "year {y}: {year} > {}", limits.year_rho);
                for p in 0..6 {
                    let label = format!("{y}-P{p}");
                    let spent: f64 = ledger.iter().filter(|e| e.period == label).map(|e| e.rho).sum();
                    prop_assert!(spent <= limits.period_rho * (1.0 + 1e-12), "{label}: {spent} > {}", limits.period_rho);
                }
            }
        }
    }
}
