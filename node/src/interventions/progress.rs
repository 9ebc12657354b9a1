//! Progress monitoring: an intervention with its checks read against the aim line — the straight
//! line from the baseline on the start date to the target on the goal date — and when the next
//! check is due.

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use crate::alerts::AlertError;
use crate::store::alerts::interventions::{CheckRow, InterventionRow};

/// A point of the aim line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AimPoint {
    pub date: String,
    pub value: f64,
}

/// One progress check with where the aim line expected the student to be that day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckView {
    pub date: String,
    pub value: f64,
    /// The aim line's value on that date.
    pub expected: f64,
    /// At or beyond the aim line in the goal's direction.
    pub on_track: bool,
    pub note: Option<String>,
    pub account_id: i64,
}

/// An intervention as staff read it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterventionView {
    pub id: i64,
    pub student_key: String,
    pub flag_id: Option<i64>,
    pub kind: String,
    pub tier: u8,
    pub goal_indicator: String,
    pub goal_standard: Option<String>,
    pub baseline: f64,
    pub target: f64,
    pub start_date: String,
    pub goal_date: String,
    pub strategies: Vec<String>,
    pub owner_account_id: i64,
    pub check_every_days: u32,
    /// `active` or `closed`.
    pub state: String,
    pub outcome: Option<String>,
    pub outcome_note: Option<String>,
    pub closed_at: Option<String>,
    /// Baseline on the start date → target on the goal date.
    pub aim_line: [AimPoint; 2],
    pub checks: Vec<CheckView>,
    /// While active: the last check (or the start) plus the check frequency.
    pub next_check_due: Option<String>,
    pub overdue: bool,
    pub created_at: String,
}

fn date(field: &str, s: &str) -> Result<NaiveDate, AlertError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| crate::alerts::corrupt(format!("stored {field} {s:?}: {e}")))
}

/// The aim line's value on `day` (held at the baseline before the start and the target after the
/// goal date).
pub fn aim_value(baseline: f64, target: f64, start: NaiveDate, goal: NaiveDate, day: NaiveDate) -> f64 {
    let span = (goal - start).num_days().max(1) as f64;
    let t = ((day - start).num_days() as f64 / span).clamp(0.0, 1.0);
    baseline + (target - baseline) * t
}

pub(super) fn view(
    row: InterventionRow,
    checks: Vec<CheckRow>,
    today: NaiveDate,
) -> Result<InterventionView, AlertError> {
    let start = date("start_date", &row.start_date)?;
    let goal = date("goal_date", &row.goal_date)?;
    let rising = row.target >= row.baseline;
    let checks = checks
        .into_iter()
        .map(|k| {
            let expected = aim_value(row.baseline, row.target, start, goal, date("check date", &k.date)?);
            let on_track = if rising { k.value >= expected } else { k.value <= expected };
            Ok(CheckView { date: k.date, value: k.value, expected, on_track, note: k.note, account_id: k.account_id })
        })
        .collect::<Result<Vec<_>, AlertError>>()?;
    let (next_check_due, overdue) = if row.state == "active" {
        let last = match checks.last() {
            Some(k) => date("check date", &k.date)?,
            None => start,
        };
        let due = last + Duration::days(i64::from(row.check_every_days));
        (Some(due.format("%Y-%m-%d").to_string()), today > due)
    } else {
        (None, false)
    };
    let strategies: Vec<String> = serde_json::from_str(&row.strategies)
        .map_err(|e| crate::alerts::corrupt(format!("stored strategies of intervention {}: {e}", row.id)))?;
    Ok(InterventionView {
        aim_line: [
            AimPoint { date: row.start_date.clone(), value: row.baseline },
            AimPoint { date: row.goal_date.clone(), value: row.target },
        ],
        id: row.id,
        student_key: row.student_key,
        flag_id: row.flag_id,
        kind: row.kind,
        tier: row.tier,
        goal_indicator: row.goal_indicator,
        goal_standard: row.goal_standard,
        baseline: row.baseline,
        target: row.target,
        start_date: row.start_date,
        goal_date: row.goal_date,
        strategies,
        owner_account_id: row.owner_account_id,
        check_every_days: row.check_every_days,
        state: row.state,
        outcome: row.outcome,
        outcome_note: row.outcome_note,
        closed_at: row.closed_at,
        checks,
        next_check_due,
        overdue,
        created_at: row.created_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn the_aim_line_runs_from_baseline_to_target() {
        let (start, goal) = (d("2026-10-01"), d("2026-11-12"));
        assert_eq!(aim_value(0.4, 0.8, start, goal, start), 0.4);
        assert_eq!(aim_value(0.4, 0.8, start, goal, goal), 0.8);
        assert!((aim_value(0.4, 0.8, start, goal, d("2026-10-22")) - 0.6).abs() < 1e-9);
        assert_eq!(aim_value(0.4, 0.8, start, goal, d("2026-09-01")), 0.4, "held before the start");
        assert_eq!(aim_value(0.4, 0.8, start, goal, d("2027-01-01")), 0.8, "held after the goal date");
        // A falling goal (fewer absences).
        assert!((aim_value(4.0, 0.0, start, goal, d("2026-10-22")) - 2.0).abs() < 1e-9);
    }
}
