//! The model settings that live in `rules.toml` beside the rules: indicator window sizes and the
//! attendance bands (BKT parameters are in `bkt.rs`).

use std::ops::Range;

use serde::Serialize;
use toml::Spanned;

use super::report::Report;
use super::schema::{AttendanceBandsRaw, IndicatorSettingsRaw};

/// Window sizes of the indicators whose window is not in their name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IndicatorSettings {
    /// N in `accuracy_recent`: the last N answered items.
    pub accuracy_recent_items: u32,
    /// The weeks `mastery_trend` looks back over.
    pub mastery_trend_weeks: u32,
}

impl Default for IndicatorSettings {
    fn default() -> Self {
        IndicatorSettings { accuracy_recent_items: 10, mastery_trend_weeks: 4 }
    }
}

/// Attendance bands by attendance rate (lower bounds, each below the previous).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AttendanceBands {
    pub satisfactory_from: f64,
    pub at_risk_from: f64,
    /// Below this: severe chronic absence.
    pub moderate_from: f64,
}

impl Default for AttendanceBands {
    /// Common practice: ≥ 95% satisfactory, 90–95% at risk, 80–90% moderate chronic, < 80% severe.
    fn default() -> Self {
        AttendanceBands { satisfactory_from: 0.95, at_risk_from: 0.90, moderate_from: 0.80 }
    }
}

/// The band an attendance rate falls in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttendanceBand {
    Satisfactory,
    AtRisk,
    ModerateChronic,
    SevereChronic,
}

impl AttendanceBand {
    /// Every band, best first (a fixed public domain for released histograms).
    pub const ALL: [AttendanceBand; 4] = [
        AttendanceBand::Satisfactory,
        AttendanceBand::AtRisk,
        AttendanceBand::ModerateChronic,
        AttendanceBand::SevereChronic,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AttendanceBand::Satisfactory => "satisfactory",
            AttendanceBand::AtRisk => "at_risk",
            AttendanceBand::ModerateChronic => "moderate_chronic",
            AttendanceBand::SevereChronic => "severe_chronic",
        }
    }
}

impl AttendanceBands {
    pub fn band(&self, attendance_rate: f64) -> AttendanceBand {
        if attendance_rate >= self.satisfactory_from {
            AttendanceBand::Satisfactory
        } else if attendance_rate >= self.at_risk_from {
            AttendanceBand::AtRisk
        } else if attendance_rate >= self.moderate_from {
            AttendanceBand::ModerateChronic
        } else {
            AttendanceBand::SevereChronic
        }
    }
}

/// A probability in 0..=1, else a diagnostic.
pub(crate) fn probability(report: &mut Report<'_>, value: &Spanned<f64>, key: &str) -> Option<f64> {
    let p = *value.get_ref();
    if (0.0..=1.0).contains(&p) {
        Some(p)
    } else {
        report.at(value.span(), format!("{key} = {p}: expected a probability from 0 to 1"));
        None
    }
}

pub(crate) fn indicator_settings(
    report: &mut Report<'_>,
    raw: Option<&Spanned<IndicatorSettingsRaw>>,
) -> Option<IndicatorSettings> {
    let defaults = IndicatorSettings::default();
    let Some(raw) = raw else { return Some(defaults) };
    let r = raw.get_ref();
    let items = match &r.accuracy_recent_items {
        Some(v) => report.whole_in(v, "indicators.accuracy_recent_items", 1, 100, ""),
        None => Some(defaults.accuracy_recent_items),
    };
    let weeks = match &r.mastery_trend_weeks {
        Some(v) => report.whole_in(v, "indicators.mastery_trend_weeks", 1, 20, ""),
        None => Some(defaults.mastery_trend_weeks),
    };
    Some(IndicatorSettings { accuracy_recent_items: items?, mastery_trend_weeks: weeks? })
}

pub(crate) fn attendance_bands(
    report: &mut Report<'_>,
    raw: Option<&Spanned<AttendanceBandsRaw>>,
) -> Option<AttendanceBands> {
    let defaults = AttendanceBands::default();
    let Some(raw) = raw else { return Some(defaults) };
    let r = raw.get_ref();
    let mut bound = |value: &Option<Spanned<f64>>, key: &str, default: f64| -> Option<(f64, Range<usize>)> {
        match value {
            Some(v) => Some((probability(report, v, &format!("attendance_bands.{key}"))?, v.span())),
            None => Some((default, raw.span())),
        }
    };
    let satisfactory = bound(&r.satisfactory_from, "satisfactory_from", defaults.satisfactory_from);
    let at_risk = bound(&r.at_risk_from, "at_risk_from", defaults.at_risk_from);
    let moderate = bound(&r.moderate_from, "moderate_from", defaults.moderate_from);
    let (satisfactory, at_risk, moderate) = (satisfactory?, at_risk?, moderate?);
    let mut ok = true;
    if at_risk.0 >= satisfactory.0 {
        report.at(
            at_risk.1.clone(),
            format!(
                "attendance_bands.at_risk_from = {}: must be below satisfactory_from ({})",
                at_risk.0, satisfactory.0
            ),
        );
        ok = false;
    }
    if moderate.0 >= at_risk.0 {
        report.at(
            moderate.1,
            format!("attendance_bands.moderate_from = {}: must be below at_risk_from ({})", moderate.0, at_risk.0),
        );
        ok = false;
    }
    ok.then_some(AttendanceBands {
        satisfactory_from: satisfactory.0,
        at_risk_from: at_risk.0,
        moderate_from: moderate.0,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn bands_follow_common_practice() {
        let b = AttendanceBands::default();
        assert_eq!(b.band(1.0), AttendanceBand::Satisfactory);
        assert_eq!(b.band(0.95), AttendanceBand::Satisfactory);
        assert_eq!(b.band(0.94), AttendanceBand::AtRisk);
        assert_eq!(b.band(0.90), AttendanceBand::AtRisk);
        assert_eq!(b.band(0.85), AttendanceBand::ModerateChronic);
        assert_eq!(b.band(0.79), AttendanceBand::SevereChronic);
    }
}
