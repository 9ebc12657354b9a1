//! Deterministic synthetic school (`lantern synth`): OneRoster 1.2 rosters, an item bank, attendance,
//! xAPI quiz statements and later outcomes, all drawn from one documented latent model (docs/DATA.md).
//!
//! `generate` builds the school in memory (everything except the statements, which are streamed by
//! [`SyntheticSchool::statements`] so 10M of them never sit in memory); `write_school` writes the
//! file layout of docs/DATA.md; [`LiveSimulator`] produces statements of classes in session "now"
//! for the demo. Same parameters, same bytes: every random draw comes from a ChaCha8 stream derived
//! from the seed, one stream per purpose.

mod attendance;
mod calendar;
mod demographics;
mod items;
mod latent;
mod learning;
mod live;
mod model;
mod names;
mod oneroster_csv;
mod output;
mod progress;
mod rng;
mod roster;
mod sections;
mod standards;
mod statement_json;
mod statements;
mod tables_csv;
#[cfg(test)]
mod write_tests;

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Weekday};

pub use live::LiveSimulator;
pub use model::{
    AcademicSession, AttendanceStatus, Course, Demographics, Distractor, Grade, Guardian, GuardianRole, Item, Org,
    OrgType, Outcome, Person, SchoolClass, SessionType, Sex, Standard, StandardLatent, Student, StudentLatent,
    SyntheticSchool, Teacher, ITEMS_BASE, SIS_HOME_PAGE,
};
pub use statements::{StatementStream, SynthStatement};

/// Largest school `write_school` accepts (memory for attendance grows as students × days).
pub const MAX_STUDENTS: usize = 100_000;
/// Longest span `write_school` accepts, in school days.
pub const MAX_DAYS: u32 = 400;
/// Most answered items per student per school day `write_school` accepts.
pub const MAX_ITEMS_PER_DAY: u32 = 120;

/// What to generate. Same parameters → byte-identical output.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthParams {
    /// Number of students (split over grades 06–08).
    pub students: usize,
    /// Number of school days simulated, from `start_date` (weekends and holidays skipped).
    pub days: u32,
    /// Seed of every random draw.
    pub seed: u64,
    /// The school org's sourcedId.
    pub school_id: String,
    /// The school org's name.
    pub school_name: String,
    /// First day of the school year.
    pub start_date: NaiveDate,
    /// Items asked per student per school day (quizzes of up to 6 items in the math lesson).
    pub items_per_day: u32,
    /// Logits by which items under-measure Hispanic/Latino students (0 = no bias; see docs/DATA.md).
    pub bias: f64,
}

impl Default for SynthParams {
    fn default() -> Self {
        SynthParams {
            students: 400,
            days: 60,
            seed: 1,
            school_id: "school-1".to_owned(),
            school_name: "Lincoln Middle School".to_owned(),
            start_date: first_monday_of_september(2026),
            // 30 items × ~93% of student-days present and responding: 2,000 × 180 → ≈ 10M statements.
            items_per_day: 30,
            bias: 0.0,
        }
    }
}

impl SynthParams {
    /// Checks the parameters `write_school` accepts; the error names the field.
    pub fn check(&self) -> Result<(), SynthError> {
        let invalid = |field: &'static str, reason: String| SynthError::InvalidParam { field, reason };
        if self.students == 0 || self.students > MAX_STUDENTS {
            return Err(invalid("students", format!("{} is not in 1..={MAX_STUDENTS}", self.students)));
        }
        if self.days == 0 || self.days > MAX_DAYS {
            return Err(invalid("days", format!("{} is not in 1..={MAX_DAYS}", self.days)));
        }
        if self.items_per_day == 0 || self.items_per_day > MAX_ITEMS_PER_DAY {
            let n = self.items_per_day;
            return Err(invalid("items_per_day", format!("{n} is not in 1..={MAX_ITEMS_PER_DAY}")));
        }
        if !self.bias.is_finite() || !(-5.0..=5.0).contains(&self.bias) {
            return Err(invalid("bias", format!("{} is not a number in -5..=5 logits", self.bias)));
        }
        let id_ok = !self.school_id.is_empty()
            && self.school_id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !id_ok {
            let reason = format!("{:?} must be non-empty ASCII letters, digits, '-', '_' or '.'", self.school_id);
            return Err(invalid("school_id", reason));
        }
        if self.school_name.trim().is_empty() {
            return Err(invalid("school_name", "must not be blank".to_owned()));
        }
        Ok(())
    }
}

/// Counts of what `write_school` wrote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SynthSummary {
    pub students: usize,
    pub teachers: usize,
    pub guardians: usize,
    pub classes: usize,
    pub standards: usize,
    pub items: usize,
    pub school_days: usize,
    pub statements: u64,
    pub attendance_rows: usize,
    pub outcome_rows: usize,
}

/// Why the synthetic school could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    #[error("synth parameter {field}: {reason}")]
    InvalidParam { field: &'static str, reason: String },
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{}: {source}", path.display())]
    Csv { path: PathBuf, source: csv::Error },
}

/// Builds the whole school in memory (statements are streamed by [`SyntheticSchool::statements`]).
/// Never fails; parameters outside [`SynthParams::check`] only cost time and memory.
pub fn generate(params: &SynthParams) -> SyntheticSchool {
    model::build(params)
}

/// Generates the school and writes the layout of docs/DATA.md under `out`; files appear only when
/// all of them were written.
pub fn write_school(params: &SynthParams, out: &Path) -> Result<SynthSummary, SynthError> {
    params.check()?;
    let school = generate(params);
    output::write_all(&school, out)
}

/// The first Monday of September of `year` (the default first day of school).
pub fn first_monday_of_september(year: i32) -> NaiveDate {
    // Every September has a first Monday; MIN only for years chrono cannot represent.
    NaiveDate::from_weekday_of_month_opt(year, 9, Weekday::Mon, 1).unwrap_or(NaiveDate::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_brief() {
        let params = SynthParams::default();
        assert_eq!((params.students, params.days, params.seed), (400, 60, 1));
        assert_eq!(params.start_date, NaiveDate::from_ymd_opt(2026, 9, 7).expect("valid date"));
        assert_eq!(params.school_id, "school-1");
        assert!(params.check().is_ok());
    }

    #[test]
    fn degenerate_parameters_generate_without_panicking() {
        for params in [
            SynthParams { students: 0, ..SynthParams::default() },
            SynthParams { days: 0, ..SynthParams::default() },
            SynthParams { items_per_day: 0, students: 20, ..SynthParams::default() },
            SynthParams { students: 1, days: 1, ..SynthParams::default() },
        ] {
            let school = generate(&params);
            assert_eq!(school.students.len(), params.students);
            let statements = school.statements().count();
            if params.items_per_day == 0 || params.days == 0 || params.students == 0 {
                assert_eq!(statements, 0, "{params:?}");
            }
            let mut live = LiveSimulator::new(&school, 1);
            let now = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
            live.next_statements(now, 10);
        }
    }
}
