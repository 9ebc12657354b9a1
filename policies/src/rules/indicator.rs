//! The indicator vocabulary: every value a rule condition may test, whether it is measured per
//! student or per student × standard, and its type and range. The node's indicator engine computes
//! exactly these; a threshold outside an indicator's range is an "impossible threshold".

use std::fmt;

use serde::{Deserialize, Serialize};

/// School days that fit in 14 calendar days (two school weeks of five days). The bound on every
/// `*_14d` count.
pub const MAX_SCHOOL_DAYS_IN_14_DAYS: u32 = 10;

/// Upper bound on school days in one school year (no calendar has more days than this), the bound
/// on `days_enrolled` and `consecutive_absences`.
pub const MAX_SCHOOL_DAYS_IN_YEAR: u32 = 366;

/// One indicator a rule condition can name. The snake_case name is what policies write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Indicator {
    /// Per standard: BKT posterior probability that the student knows the standard, 0..1.
    Mastery,
    /// Per standard: answers counted towards `mastery`.
    MasteryEvidence,
    /// Per standard: lower end of the uncertainty band around `mastery`, 0..1.
    MasteryLow,
    /// Per standard: upper end of the uncertainty band around `mastery`, 0..1.
    MasteryHigh,
    /// Share of the last N answered items that were correct (N = `accuracy_recent_items`), 0..1.
    AccuracyRecent,
    /// Days present / days enrolled, over the school year so far, 0..1.
    AttendanceRate,
    /// School days absent in the last 14 calendar days, 0..10.
    #[serde(rename = "absences_14d")]
    Absences14d,
    /// School days tardy in the last 14 calendar days, 0..10.
    #[serde(rename = "tardies_14d")]
    Tardies14d,
    /// Current run of school days absent in a row, 0..366.
    ConsecutiveAbsences,
    /// True when the student missed 10% or more of enrolled school days, for any reason.
    ChronicAbsence,
    /// Live-activity items answered / items presented, last 14 calendar days, 0..1.
    ParticipationRate,
    /// `participation_rate` over the last 14 days minus the rate over the 28 days before, -1..1
    /// (-0.2 = a drop of 20 percentage points).
    ParticipationChange,
    /// Change in mean focus-standard mastery over the last `mastery_trend_weeks` weeks, -1..1.
    MasteryTrend,
    /// School days the student has been enrolled this school year, 0..366.
    DaysEnrolled,
}

/// Whether an indicator has one value per student or one per student × standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    PerStudent,
    /// Only usable inside `any(...)`, `all(...)` or `count(...)` over a set of standards.
    PerStandard,
}

/// The type of an indicator's values, which fixes the thresholds a condition may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndicatorType {
    /// A share or probability from 0 to 1.
    Fraction,
    /// A difference of two shares, from -1 to 1.
    Change,
    /// A whole count from 0 up to `max` (unbounded when `None`).
    Count { max: Option<u32> },
    /// True or false.
    Flag,
}

/// A value of one indicator, as the node supplies it and as evidence records it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Flag(bool),
    Count(u32),
    Number(f64),
}

impl Value {
    /// The value as a number for comparisons; `None` for flags and for NaN (no usable value).
    pub fn as_number(self) -> Option<f64> {
        match self {
            Value::Count(n) => Some(f64::from(n)),
            Value::Number(x) if x.is_nan() => None,
            Value::Number(x) => Some(x),
            Value::Flag(_) => None,
        }
    }
}

impl Indicator {
    /// Every indicator, in documentation order.
    pub const ALL: [Indicator; 14] = [
        Indicator::Mastery,
        Indicator::MasteryEvidence,
        Indicator::MasteryLow,
        Indicator::MasteryHigh,
        Indicator::AccuracyRecent,
        Indicator::AttendanceRate,
        Indicator::Absences14d,
        Indicator::Tardies14d,
        Indicator::ConsecutiveAbsences,
        Indicator::ChronicAbsence,
        Indicator::ParticipationRate,
        Indicator::ParticipationChange,
        Indicator::MasteryTrend,
        Indicator::DaysEnrolled,
    ];

    /// The name policies use, e.g. `absences_14d`.
    pub fn name(self) -> &'static str {
        match self {
            Indicator::Mastery => "mastery",
            Indicator::MasteryEvidence => "mastery_evidence",
            Indicator::MasteryLow => "mastery_low",
            Indicator::MasteryHigh => "mastery_high",
            Indicator::AccuracyRecent => "accuracy_recent",
            Indicator::AttendanceRate => "attendance_rate",
            Indicator::Absences14d => "absences_14d",
            Indicator::Tardies14d => "tardies_14d",
            Indicator::ConsecutiveAbsences => "consecutive_absences",
            Indicator::ChronicAbsence => "chronic_absence",
            Indicator::ParticipationRate => "participation_rate",
            Indicator::ParticipationChange => "participation_change",
            Indicator::MasteryTrend => "mastery_trend",
            Indicator::DaysEnrolled => "days_enrolled",
        }
    }

    /// The indicator with this policy name.
    pub fn from_name(name: &str) -> Option<Indicator> {
        Indicator::ALL.into_iter().find(|i| i.name() == name)
    }

    pub fn level(self) -> Level {
        match self {
            Indicator::Mastery | Indicator::MasteryEvidence | Indicator::MasteryLow | Indicator::MasteryHigh => {
                Level::PerStandard
            }
            _ => Level::PerStudent,
        }
    }

    pub fn value_type(self) -> IndicatorType {
        match self {
            Indicator::Mastery
            | Indicator::MasteryLow
            | Indicator::MasteryHigh
            | Indicator::AccuracyRecent
            | Indicator::AttendanceRate
            | Indicator::ParticipationRate => IndicatorType::Fraction,
            Indicator::ParticipationChange | Indicator::MasteryTrend => IndicatorType::Change,
            Indicator::MasteryEvidence => IndicatorType::Count { max: None },
            Indicator::Absences14d | Indicator::Tardies14d => {
                IndicatorType::Count { max: Some(MAX_SCHOOL_DAYS_IN_14_DAYS) }
            }
            Indicator::ConsecutiveAbsences | Indicator::DaysEnrolled => {
                IndicatorType::Count { max: Some(MAX_SCHOOL_DAYS_IN_YEAR) }
            }
            Indicator::ChronicAbsence => IndicatorType::Flag,
        }
    }

    /// Why a bounded count has the bound it has, for error messages.
    pub fn bound_reason(self) -> Option<&'static str> {
        match self {
            Indicator::Absences14d | Indicator::Tardies14d => Some("school days in 14 calendar days"),
            Indicator::ConsecutiveAbsences | Indicator::DaysEnrolled => Some("school days in a year"),
            _ => None,
        }
    }

    /// One line saying what the indicator measures (for `lantern policy` help and the docs).
    pub fn description(self) -> &'static str {
        match self {
            Indicator::Mastery => "BKT posterior that the student knows the standard",
            Indicator::MasteryEvidence => "answers counted towards mastery of the standard",
            Indicator::MasteryLow => "lower end of the mastery uncertainty band",
            Indicator::MasteryHigh => "upper end of the mastery uncertainty band",
            Indicator::AccuracyRecent => "share correct over the last N answered items",
            Indicator::AttendanceRate => "days present / days enrolled this school year",
            Indicator::Absences14d => "school days absent in the last 14 calendar days",
            Indicator::Tardies14d => "school days tardy in the last 14 calendar days",
            Indicator::ConsecutiveAbsences => "current run of school days absent in a row",
            Indicator::ChronicAbsence => "missed 10% or more of enrolled school days",
            Indicator::ParticipationRate => "live items answered / presented, last 14 days",
            Indicator::ParticipationChange => "participation rate, last 14 days minus the 28 days before",
            Indicator::MasteryTrend => "change in mean focus-standard mastery over recent weeks",
            Indicator::DaysEnrolled => "school days enrolled this school year",
        }
    }

    /// Renders a value for a teacher: shares as percentages, changes in percentage points.
    pub fn format_value(self, value: Value) -> String {
        match (self.value_type(), value) {
            (_, Value::Flag(b)) => if b { "yes" } else { "no" }.to_string(),
            (_, Value::Count(n)) => n.to_string(),
            (IndicatorType::Fraction, Value::Number(x)) => format!("{:.0}%", x * 100.0),
            (IndicatorType::Change, Value::Number(x)) => format!("{:+.0} points", x * 100.0),
            (IndicatorType::Count { .. } | IndicatorType::Flag, Value::Number(x)) => format!("{x}"),
        }
    }
}

impl fmt::Display for Indicator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl IndicatorType {
    /// Smallest and largest possible value of a numeric type; `None` for flags.
    pub fn bounds(self) -> Option<(f64, f64)> {
        match self {
            IndicatorType::Fraction => Some((0.0, 1.0)),
            IndicatorType::Change => Some((-1.0, 1.0)),
            IndicatorType::Count { max } => Some((0.0, max.map_or(f64::INFINITY, f64::from))),
            IndicatorType::Flag => None,
        }
    }

    /// How the type reads in a sentence: "a share between 0 and 1", "a count from 0 to 10".
    pub fn describe(self) -> String {
        match self {
            IndicatorType::Fraction => "a share between 0 and 1".to_string(),
            IndicatorType::Change => "a change between -1 and 1".to_string(),
            IndicatorType::Count { max: Some(m) } => format!("a whole count from 0 to {m}"),
            IndicatorType::Count { max: None } => "a whole count (0 or more)".to_string(),
            IndicatorType::Flag => "true or false".to_string(),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for i in Indicator::ALL {
            assert_eq!(Indicator::from_name(i.name()), Some(i));
            let json = serde_json::to_string(&i).unwrap();
            assert_eq!(json, format!("\"{}\"", i.name()));
        }
        let mut names: Vec<_> = Indicator::ALL.iter().map(|i| i.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Indicator::ALL.len());
    }

    #[test]
    fn only_mastery_family_is_per_standard() {
        let per_standard: Vec<_> =
            Indicator::ALL.into_iter().filter(|i| i.level() == Level::PerStandard).map(|i| i.name()).collect();
        assert_eq!(per_standard, ["mastery", "mastery_evidence", "mastery_low", "mastery_high"]);
    }

    #[test]
    fn values_format_for_people() {
        assert_eq!(Indicator::Mastery.format_value(Value::Number(0.624)), "62%");
        assert_eq!(Indicator::ParticipationChange.format_value(Value::Number(-0.25)), "-25 points");
        assert_eq!(Indicator::MasteryTrend.format_value(Value::Number(0.05)), "+5 points");
        assert_eq!(Indicator::Absences14d.format_value(Value::Count(3)), "3");
        assert_eq!(Indicator::ChronicAbsence.format_value(Value::Flag(true)), "yes");
    }

    #[test]
    fn value_serializes_plainly() {
        let v = vec![Value::Flag(true), Value::Count(3), Value::Number(0.5)];
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(json, "[true,3,0.5]");
        assert_eq!(serde_json::from_str::<Vec<Value>>(&json).unwrap(), v);
    }

    #[test]
    fn nan_is_no_value() {
        assert_eq!(Value::Number(f64::NAN).as_number(), None);
        assert_eq!(Value::Count(2).as_number(), Some(2.0));
        assert_eq!(Value::Flag(true).as_number(), None);
    }
}
