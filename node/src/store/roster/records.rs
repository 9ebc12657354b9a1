//! Typed rows of the roster, item bank, attendance and outcome tables, as the import layer builds
//! them and the store reads them back. Equality on these types is what "unchanged" means.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};

/// A stored roster record with the `dateLastModified` it came with (if any).
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<T> {
    pub record: T,
    pub date_last_modified: Option<DateTime<Utc>>,
}

/// An organisation (district, school, ...) from orgs.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct Org {
    pub name: String,
    /// OneRoster org type as spelled by the spec (`school`, `district`, ... or `ext:...`).
    pub org_type: String,
    pub identifier: Option<String>,
    pub parent_sourced_id: Option<String>,
}

/// A school year, term, semester or grading period from academicSessions.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct AcademicSession {
    pub title: String,
    /// `gradingPeriod`, `semester`, `schoolYear`, `term` or `ext:...`.
    pub session_type: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub parent_sourced_id: Option<String>,
    pub school_year: i32,
}

/// A course from courses.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct Course {
    pub title: String,
    pub course_code: Option<String>,
    pub school_year_sourced_id: Option<String>,
    pub org_sourced_id: String,
    pub grades: Vec<String>,
    pub subjects: Vec<String>,
    pub subject_codes: Vec<String>,
}

/// A class (section) from classes.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct Class {
    pub title: String,
    pub class_code: Option<String>,
    /// `homeroom`, `scheduled` or `ext:...`.
    pub class_type: String,
    pub course_sourced_id: String,
    pub school_sourced_id: String,
    pub location: Option<String>,
    pub grades: Vec<String>,
    pub subjects: Vec<String>,
    pub subject_codes: Vec<String>,
    pub periods: Vec<String>,
    pub term_sourced_ids: Vec<String>,
}

/// What identifies a person: kept only in the `person` table.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub username: String,
    pub given_name: String,
    pub family_name: String,
    pub middle_name: Option<String>,
    pub preferred_given_name: Option<String>,
    pub preferred_middle_name: Option<String>,
    pub preferred_family_name: Option<String>,
    /// The human-readable SIS identifier (student number).
    pub identifier: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A user from users.csv, reduced to what Lantern keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub identity: Identity,
    pub enabled: bool,
    pub grades: Vec<String>,
    pub primary_org_sourced_id: Option<String>,
    /// sourcedIds of the user's agents (a student's guardians, a guardian's students), in order.
    pub agent_sourced_ids: Vec<String>,
}

/// A user's role at an org (roles.csv in 1.2; the `role` column of users.csv in 1.1).
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub user_sourced_id: String,
    pub role: UserRole,
    pub role_type: RoleType,
    pub org_sourced_id: String,
    pub begin_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
}

/// A user's membership of a class (enrollments.csv).
#[derive(Debug, Clone, PartialEq)]
pub struct Enrollment {
    pub class_sourced_id: String,
    pub school_sourced_id: String,
    pub user_sourced_id: String,
    pub role: EnrollmentRole,
    pub primary: Option<bool>,
    pub begin_date: Option<NaiveDate>,
    pub end_date: Option<NaiveDate>,
}

/// demographics.csv for one user, reduced to the policy's audit subgroups.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Demographics {
    pub birth_year: Option<i32>,
    /// attribute → value, both from the public vocabulary in docs/DATA.md.
    pub subgroups: BTreeMap<String, String>,
}

macro_rules! spelled_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in the order the spec lists them.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as the spec (and the database) spells it.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the exact spelling; `None` for anything else.
            pub fn from_spelling(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The accepted spellings, for error messages.
            pub fn spellings() -> String {
                Self::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

spelled_enum!(
    /// A user's role (OneRoster 1.2 roles.csv, or 1.1 users.csv `role`).
    UserRole {
        Administrator => "administrator",
        Aide => "aide",
        Counselor => "counselor",
        DistrictAdministrator => "districtAdministrator",
        Guardian => "guardian",
        Parent => "parent",
        Principal => "principal",
        Proctor => "proctor",
        Relative => "relative",
        SiteAdministrator => "siteAdministrator",
        Student => "student",
        SystemAdministrator => "systemAdministrator",
        Teacher => "teacher",
    }
);

spelled_enum!(
    /// Whether a role is the user's primary one.
    RoleType {
        Primary => "primary",
        Secondary => "secondary",
    }
);

spelled_enum!(
    /// A user's role in a class (enrollments.csv).
    EnrollmentRole {
        Administrator => "administrator",
        Proctor => "proctor",
        Student => "student",
        Teacher => "teacher",
    }
);

spelled_enum!(
    /// A student's attendance on a day (attendance.csv).
    AttendanceStatus {
        Present => "present",
        Absent => "absent",
        Tardy => "tardy",
        Excused => "excused",
    }
);

/// One item of the bank (items.csv).
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub activity_id: String,
    pub title: String,
    pub standards: Vec<String>,
    pub correct_choice: String,
    /// (choice id, misconception code), in file order.
    pub distractors: Vec<(String, String)>,
    pub max_score: f64,
}

/// One attendance mark; keyed by (student, date, class).
#[derive(Debug, Clone, PartialEq)]
pub struct AttendanceMark {
    pub date: NaiveDate,
    /// `None`: the whole school day.
    pub class_sourced_id: Option<String>,
    pub status: AttendanceStatus,
    pub minutes: Option<u32>,
}

/// Proficiency on a later assessment: 1 below basic, 2 approaching, 3 proficient, 4 advanced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ProficiencyLevel(u8);

impl ProficiencyLevel {
    /// `Some` for 1..=4.
    pub fn new(level: u8) -> Option<Self> {
        (1..=4).contains(&level).then_some(Self(level))
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// A later result (end of term / state test); keyed by (student, assessment, date).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub assessment: String,
    pub date: NaiveDate,
    pub score: f64,
    pub proficiency_level: ProficiencyLevel,
}
