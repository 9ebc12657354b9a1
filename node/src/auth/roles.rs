//! Roles and capabilities. A role is a set of capabilities, decided here and nowhere else; a route
//! names the capability it needs, and the data it may then read is scoped by `auth::scope`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Who an account is, as DESIGN.md lists the people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Teacher,
    Mtss,
    Student,
    Guardian,
    Admin,
    PrivacyOfficer,
}

impl Role {
    pub const ALL: [Role; 6] =
        [Role::Teacher, Role::Mtss, Role::Student, Role::Guardian, Role::Admin, Role::PrivacyOfficer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Teacher => "teacher",
            Role::Mtss => "mtss",
            Role::Student => "student",
            Role::Guardian => "guardian",
            Role::Admin => "admin",
            Role::PrivacyOfficer => "privacy_officer",
        }
    }

    /// How the role is named on pages.
    pub fn title(self) -> &'static str {
        match self {
            Role::Teacher => "Teacher",
            Role::Mtss => "MTSS coordinator",
            Role::Student => "Student",
            Role::Guardian => "Guardian",
            Role::Admin => "School admin",
            Role::PrivacyOfficer => "Privacy officer",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            format!("unknown role {s:?} (expected one of: {})", Role::ALL.map(|r| r.as_str()).join(", "))
        })
    }
}

/// Something a route lets a person do. Student-level capabilities are further scoped to the
/// students the person may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// See and manage one's own account and sessions.
    OwnAccount,
    /// Read student-level learning data (scoped: own classes, own record, linked children, or the
    /// whole school for MTSS).
    ViewStudents,
    /// Class views: live quiz state, mastery grid, item analysis (scoped to own classes).
    ViewClasses,
    /// The school-wide early-warning list and summaries.
    ViewSchoolwide,
    /// Create accounts, reset passwords, link accounts to students and classes.
    ManageAccounts,
    /// Import rosters, item banks, attendance and outcomes.
    ImportData,
    /// Create and revoke xAPI data source credentials.
    ManageSources,
    /// Read the policies in force.
    ViewPolicies,
    /// Read the access log, retention status, purge history and the privacy-budget ledger.
    ViewPrivacyRecords,
    /// Act on early-warning flags and interventions (scoped to the students one may see).
    ManageAlerts,
    /// Answer appeals of flags and interventions.
    AnswerAppeals,
    /// Contest a flag or an intervention about oneself or a linked child; see supports in plain
    /// language.
    FileAppeal,
}

impl Capability {
    pub const ALL: [Capability; 12] = [
        Capability::OwnAccount,
        Capability::ViewStudents,
        Capability::ViewClasses,
        Capability::ViewSchoolwide,
        Capability::ManageAccounts,
        Capability::ImportData,
        Capability::ManageSources,
        Capability::ViewPolicies,
        Capability::ViewPrivacyRecords,
        Capability::ManageAlerts,
        Capability::AnswerAppeals,
        Capability::FileAppeal,
    ];
}

/// The one place that says which role may do what.
pub fn allows(role: Role, cap: Capability) -> bool {
    use Capability as C;
    match role {
        Role::Teacher => matches!(cap, C::OwnAccount | C::ViewStudents | C::ViewClasses | C::ManageAlerts),
        Role::Mtss => matches!(
            cap,
            C::OwnAccount
                | C::ViewStudents
                | C::ViewClasses
                | C::ViewSchoolwide
                | C::ViewPolicies
                | C::ManageAlerts
                | C::AnswerAppeals
        ),
        Role::Student | Role::Guardian => matches!(cap, C::OwnAccount | C::ViewStudents | C::FileAppeal),
        Role::Admin => {
            matches!(cap, C::OwnAccount | C::ManageAccounts | C::ImportData | C::ManageSources | C::ViewPolicies)
        }
        // Privacy officers see records about data handling, never grades or events.
        Role::PrivacyOfficer => {
            matches!(cap, C::OwnAccount | C::ViewPolicies | C::ViewPrivacyRecords)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_reject_typos() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        let err = "studnet".parse::<Role>().unwrap_err();
        assert!(err.starts_with("unknown role \"studnet\""), "{err}");
    }

    #[test]
    fn need_to_know() {
        assert!(!allows(Role::Admin, Capability::ViewStudents), "admins run the system, they do not read grades");
        assert!(!allows(Role::PrivacyOfficer, Capability::ViewStudents));
        assert!(!allows(Role::Guardian, Capability::ViewClasses));
        assert!(!allows(Role::Teacher, Capability::ViewSchoolwide));
        assert!(allows(Role::Mtss, Capability::ViewSchoolwide));
        for r in Role::ALL {
            assert!(allows(r, Capability::OwnAccount));
        }
    }

    #[test]
    fn alert_capabilities() {
        let who = |cap| Role::ALL.into_iter().filter(|&r| allows(r, cap)).collect::<Vec<_>>();
        assert_eq!(who(Capability::ManageAlerts), [Role::Teacher, Role::Mtss]);
        assert_eq!(who(Capability::AnswerAppeals), [Role::Mtss]);
        assert_eq!(who(Capability::FileAppeal), [Role::Student, Role::Guardian]);
    }
}
