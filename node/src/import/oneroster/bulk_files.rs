//! The OneRoster 1.2 bulk CSV files as Lantern writes them, for both writers (the node's roster
//! export and the synthetic school): each file's header, taken from the column lists the reader
//! checks (so what is written is what is read), the manifest, and the date format.

use chrono::NaiveDate;

use super::demographics::ALL_COLUMNS as DEMOGRAPHICS_COLUMNS;
use super::people::{user_columns, ROLE_COLUMNS};
use super::structure::{CLASS_COLUMNS, COURSE_COLUMNS, ENROLLMENT_COLUMNS, ORG_COLUMNS, SESSION_COLUMNS};
use super::OneRosterVersion;
use crate::import::csv_file::ColumnSpec;

/// A roster data file of a 1.2 bulk export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RosterFile {
    Orgs,
    AcademicSessions,
    Courses,
    Classes,
    Users,
    Roles,
    Enrollments,
    Demographics,
}

impl RosterFile {
    /// The header row, in the 1EdTech CSV binding's column order.
    pub(crate) fn header(self) -> Vec<&'static str> {
        let names = |columns: &[ColumnSpec]| columns.iter().map(|c| c.name).collect();
        match self {
            RosterFile::Orgs => names(&ORG_COLUMNS),
            RosterFile::AcademicSessions => names(&SESSION_COLUMNS),
            RosterFile::Courses => names(&COURSE_COLUMNS),
            RosterFile::Classes => names(&CLASS_COLUMNS),
            RosterFile::Users => names(user_columns(OneRosterVersion::V1_2)),
            RosterFile::Roles => names(&ROLE_COLUMNS),
            RosterFile::Enrollments => names(&ENROLLMENT_COLUMNS),
            RosterFile::Demographics => DEMOGRAPHICS_COLUMNS.to_vec(),
        }
    }
}

/// The manifest's file entries: the roster files are `bulk`, the rest `absent`.
const MANIFEST_FILES: [(&str, &str); 21] = [
    ("file.academicSessions", "bulk"),
    ("file.categories", "absent"),
    ("file.classes", "bulk"),
    ("file.classResources", "absent"),
    ("file.courses", "bulk"),
    ("file.courseResources", "absent"),
    ("file.demographics", "bulk"),
    ("file.enrollments", "bulk"),
    ("file.lineItemLearningObjectiveIds", "absent"),
    ("file.lineItems", "absent"),
    ("file.lineItemScoreScales", "absent"),
    ("file.orgs", "bulk"),
    ("file.resources", "absent"),
    ("file.resultLearningObjectiveIds", "absent"),
    ("file.results", "absent"),
    ("file.resultScoreScales", "absent"),
    ("file.roles", "bulk"),
    ("file.scoreScales", "absent"),
    ("file.userProfiles", "absent"),
    ("file.userResources", "absent"),
    ("file.users", "bulk"),
];

/// The rows of manifest.csv (header first) for a 1.2 bulk export by the named system.
pub(crate) fn manifest_rows<'a>(system_name: &'a str, system_code: &'a str) -> Vec<[&'a str; 2]> {
    let mut rows = vec![["propertyName", "value"], ["manifest.version", "1.0"], ["oneroster.version", "1.2"]];
    rows.extend(MANIFEST_FILES.iter().map(|(file, mode)| [*file, *mode]));
    rows.push(["source.systemName", system_name]);
    rows.push(["source.systemCode", system_code]);
    rows
}

/// A date as the CSV binding writes it (`2026-09-01`).
pub(crate) fn date(value: NaiveDate) -> String {
    value.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn headers_start_with_the_record_columns_and_the_manifest_lists_every_file() {
        for file in [
            RosterFile::Orgs,
            RosterFile::AcademicSessions,
            RosterFile::Courses,
            RosterFile::Classes,
            RosterFile::Users,
            RosterFile::Roles,
            RosterFile::Enrollments,
            RosterFile::Demographics,
        ] {
            assert_eq!(file.header()[..3], ["sourcedId", "status", "dateLastModified"], "{file:?}");
        }
        assert_eq!(RosterFile::Users.header().len(), 23, "1.2 users.csv");
        let rows = manifest_rows("S", "s");
        assert_eq!(rows.len(), 26);
        assert_eq!(rows.iter().filter(|r| r[1] == "bulk").count(), 8);
        assert_eq!(rows[25], ["source.systemCode", "s"]);
        assert_eq!(date(NaiveDate::from_ymd_opt(2026, 9, 1).unwrap()), "2026-09-01");
    }
}
