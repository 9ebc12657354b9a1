//! The in-memory synthetic school: the roster types and `SyntheticSchool` itself, which `build`
//! assembles from the parameters (the learning-side types live in `learning.rs`).

use std::ops::Range;

use chrono::NaiveDate;

pub use super::learning::{AttendanceStatus, Distractor, Item, Outcome, Standard, StandardLatent, StudentLatent};
use super::progress::QuizPlan;
use super::{attendance, calendar, items, progress, roster, SynthParams};

/// The xAPI account homePage of every actor; classes are `<homePage>/classes/<sourcedId>`.
pub const SIS_HOME_PAGE: &str = "https://sis.lantern.example";
/// Base IRI of item and quiz activity ids.
pub const ITEMS_BASE: &str = "https://items.lantern.example";

/// A middle-school grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grade {
    Six,
    Seven,
    Eight,
}

impl Grade {
    pub const ALL: [Grade; 3] = [Grade::Six, Grade::Seven, Grade::Eight];

    /// The CEDS grade-level code written in OneRoster files (`06`).
    pub fn ceds_code(self) -> &'static str {
        match self {
            Grade::Six => "06",
            Grade::Seven => "07",
            Grade::Eight => "08",
        }
    }

    /// The grade as a number (6).
    pub fn number(self) -> u8 {
        match self {
            Grade::Six => 6,
            Grade::Seven => 7,
            Grade::Eight => 8,
        }
    }
}

/// OneRoster org type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgType {
    District,
    School,
}

impl OrgType {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgType::District => "district",
            OrgType::School => "school",
        }
    }
}

/// A row of orgs.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct Org {
    pub sourced_id: String,
    pub name: String,
    pub org_type: OrgType,
    pub identifier: String,
    pub parent: Option<String>,
}

/// OneRoster academic session type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionType {
    SchoolYear,
    Term,
}

impl SessionType {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionType::SchoolYear => "schoolYear",
            SessionType::Term => "term",
        }
    }
}

/// A row of academicSessions.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct AcademicSession {
    pub sourced_id: String,
    pub title: String,
    pub session_type: SessionType,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub parent: Option<String>,
    /// The year the school year ends in (OneRoster `schoolYear`).
    pub school_year: i32,
}

/// A row of courses.csv: one math course per grade.
#[derive(Debug, Clone, PartialEq)]
pub struct Course {
    pub sourced_id: String,
    pub title: String,
    pub course_code: String,
    pub grade: Grade,
}

/// A row of classes.csv: one section of a grade's math course.
#[derive(Debug, Clone, PartialEq)]
pub struct SchoolClass {
    pub sourced_id: String,
    pub title: String,
    pub class_code: String,
    pub grade: Grade,
    /// Index into [`SyntheticSchool::courses`].
    pub course: usize,
    /// Index into [`SyntheticSchool::teachers`].
    pub teacher: usize,
    /// Bell-schedule period 1–7.
    pub period: u8,
    pub location: String,
    /// Indices into [`SyntheticSchool::students`].
    pub students: Vec<usize>,
}

/// What users.csv holds about anyone.
#[derive(Debug, Clone, PartialEq)]
pub struct Person {
    pub sourced_id: String,
    pub username: String,
    pub given_name: String,
    pub family_name: String,
    pub middle_name: Option<String>,
    pub preferred_given_name: Option<String>,
    /// Local id (student number, staff number).
    pub identifier: String,
    pub email: String,
    pub phone: Option<String>,
    /// State-wide id (students only).
    pub user_master_identifier: Option<String>,
}

/// OneRoster 1.2 demographics `sex` value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Female,
    Male,
    Unspecified,
}

impl Sex {
    pub fn as_str(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Unspecified => "unspecified",
        }
    }
}

/// A row of demographics.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct Demographics {
    pub birth_date: NaiveDate,
    pub sex: Sex,
    pub american_indian_or_alaska_native: bool,
    pub asian: bool,
    pub black_or_african_american: bool,
    pub native_hawaiian_or_other_pacific_islander: bool,
    pub white: bool,
    pub two_or_more_races: bool,
    pub hispanic_or_latino: bool,
    /// ISO 3166-1 alpha-2.
    pub country_of_birth: &'static str,
    pub state_of_birth: Option<&'static str>,
    pub city_of_birth: Option<&'static str>,
}

/// A student: roster data, demographics and the latent traits their data is drawn from.
#[derive(Debug, Clone, PartialEq)]
pub struct Student {
    pub person: Person,
    pub grade: Grade,
    /// Index into [`SyntheticSchool::classes`] (the student's math class).
    pub class: usize,
    /// Indices into [`SyntheticSchool::guardians`].
    pub guardians: Vec<usize>,
    pub demographics: Demographics,
    pub latent: StudentLatent,
}

/// A teacher and the classes they teach.
#[derive(Debug, Clone, PartialEq)]
pub struct Teacher {
    pub person: Person,
    /// Indices into [`SyntheticSchool::classes`].
    pub classes: Vec<usize>,
}

/// roles.csv role of a guardian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardianRole {
    Parent,
    Guardian,
}

impl GuardianRole {
    pub fn as_str(self) -> &'static str {
        match self {
            GuardianRole::Parent => "parent",
            GuardianRole::Guardian => "guardian",
        }
    }
}

/// A parent or guardian and the students they are linked to.
#[derive(Debug, Clone, PartialEq)]
pub struct Guardian {
    pub person: Person,
    pub role: GuardianRole,
    /// Indices into [`SyntheticSchool::students`].
    pub children: Vec<usize>,
}

/// A whole synthetic school in memory.
#[derive(Debug, Clone)]
pub struct SyntheticSchool {
    pub params: SynthParams,
    pub district: Org,
    pub school: Org,
    /// The school year, then its two terms.
    pub sessions: Vec<AcademicSession>,
    pub courses: Vec<Course>,
    pub classes: Vec<SchoolClass>,
    pub students: Vec<Student>,
    pub teachers: Vec<Teacher>,
    pub guardians: Vec<Guardian>,
    /// Grade 6, then 7, then 8, each in teaching order.
    pub standards: Vec<Standard>,
    pub items: Vec<Item>,
    /// The simulated school days, in order.
    pub school_days: Vec<NaiveDate>,
    pub outcomes: Vec<Outcome>,
    /// Student-major: `attendance[student * days + day]`.
    pub(crate) attendance: Vec<AttendanceStatus>,
    pub(crate) plan: QuizPlan,
}

impl SyntheticSchool {
    /// The attendance mark of `student` on the `day`-th school day.
    pub fn attendance(&self, student: usize, day: usize) -> AttendanceStatus {
        self.attendance[student * self.school_days.len() + day]
    }

    /// Indices of the standards of `grade` in [`SyntheticSchool::standards`].
    pub fn grade_standards(&self, grade: Grade) -> Range<usize> {
        let start = self.standards.iter().position(|s| s.grade == grade).unwrap_or(0);
        let len = self.standards.iter().filter(|s| s.grade == grade).count();
        start..start + len
    }

    /// The `dateLastModified` written in every OneRoster row (ISO 8601 UTC).
    pub fn date_last_modified(&self) -> String {
        let day = self.params.start_date - chrono::Days::new(18);
        format!("{}T12:00:00.000Z", day.format("%Y-%m-%d"))
    }
}

/// Assembles the school: calendar, item bank, roster with latent traits, attendance, quiz plan,
/// then practice and outcomes.
pub(crate) fn build(params: &SynthParams) -> SyntheticSchool {
    let calendar = calendar::SchoolCalendar::new(params.start_date, params.days);
    let (standards, items) = items::build_bank(params.seed);
    let roster = roster::build(params, &calendar, &standards);
    let school_days = calendar.simulated_days().to_vec();
    let attendance = attendance::simulate(params.seed, &roster.students, school_days.len());
    let plan = QuizPlan::new(params, &roster.classes, &standards, school_days.len());
    let mut school = SyntheticSchool {
        params: params.clone(),
        district: roster.district,
        school: roster.school,
        sessions: roster.sessions,
        courses: roster.courses,
        classes: roster.classes,
        students: roster.students,
        teachers: roster.teachers,
        guardians: roster.guardians,
        standards,
        items,
        school_days,
        outcomes: Vec::new(),
        attendance,
        plan,
    };
    progress::practise_and_assess(&mut school, &calendar);
    school
}
