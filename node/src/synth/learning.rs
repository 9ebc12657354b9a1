//! The learning-side types of the synthetic school: standards and items of the bank, each
//! student's latent state, daily attendance marks and later outcomes.

use std::ops::Range;

use chrono::NaiveDate;

use super::model::Grade;

/// A CCSS math standard.
#[derive(Debug, Clone, PartialEq)]
pub struct Standard {
    /// Short code, e.g. `6.RP.A.1`.
    pub code: &'static str,
    pub title: &'static str,
    pub grade: Grade,
    /// Misconceptions its items' distractors point to.
    pub misconceptions: Vec<&'static str>,
    /// Indices into [`SyntheticSchool::items`].
    pub items: Range<usize>,
    /// Latent: mean difficulty of its items, in logits.
    pub difficulty: f64,
}

impl Standard {
    /// The full code written in items.csv: `CCSS.MATH.CONTENT.6.RP.A.1`.
    pub fn ccss_code(&self) -> String {
        format!("CCSS.MATH.CONTENT.{}", self.code)
    }
}

/// A wrong choice of an item and the misconception it signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Distractor {
    pub choice: char,
    pub misconception: &'static str,
}

/// A four-choice item of the bank.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub item_id: String,
    pub activity_id: String,
    pub title: String,
    /// Index into [`SyntheticSchool::standards`].
    pub standard: usize,
    pub correct: char,
    pub distractors: [Distractor; 3],
    /// Latent difficulty in logits.
    pub difficulty: f64,
}

/// Per-student latent traits (docs/DATA.md, "Latent model").
#[derive(Debug, Clone, PartialEq)]
pub struct StudentLatent {
    pub general_ability: f64,
    /// Multiplies the growth from practice.
    pub learning_rate: f64,
    /// Long-run share of school days absent.
    pub absence_propensity: f64,
    /// Share of absences that are excused.
    pub excused_share: f64,
    /// Share of attended days the student is tardy (and misses the first quiz).
    pub tardy_propensity: f64,
    /// Chance of not answering a quiz at all while present.
    pub non_response_propensity: f64,
    /// Multiplies answering times.
    pub pace: f64,
    /// In the subgroup the `bias` parameter makes items under-measure (Hispanic/Latino).
    pub under_measured: bool,
    /// One entry per standard of the student's grade, in teaching order.
    pub standards: Vec<StandardLatent>,
}

/// A student's latent state on one standard.
#[derive(Debug, Clone, PartialEq)]
pub struct StandardLatent {
    /// Index into [`SyntheticSchool::standards`].
    pub standard: usize,
    /// Ability before any practice, in logits.
    pub base_ability: f64,
    /// The misconception this student's wrong answers lean to.
    pub favorite_misconception: &'static str,
    /// Chance a wrong answer picks the favourite misconception when an item offers it.
    pub misconception_strength: f64,
    /// Items practised by the end of the simulated days.
    pub exposures: u32,
}

/// Daily attendance mark (attendance.csv `status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttendanceStatus {
    Present,
    Tardy,
    Absent,
    Excused,
}

impl AttendanceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AttendanceStatus::Present => "present",
            AttendanceStatus::Tardy => "tardy",
            AttendanceStatus::Absent => "absent",
            AttendanceStatus::Excused => "excused",
        }
    }

    /// Missed the day (excused or not), as chronic absence counts it.
    pub fn is_absence(self) -> bool {
        matches!(self, AttendanceStatus::Absent | AttendanceStatus::Excused)
    }
}

/// A row of outcomes.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// Index into [`SyntheticSchool::students`].
    pub student: usize,
    pub assessment: &'static str,
    pub date: NaiveDate,
    /// 0–100, one decimal.
    pub score: f64,
    /// 1 below basic, 2 approaching, 3 proficient, 4 advanced.
    pub proficiency_level: u8,
}
