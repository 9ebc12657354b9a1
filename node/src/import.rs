//! Imports into the node (issue 4): OneRoster rosters, the item bank, attendance and later
//! outcomes. Each import is two calls: `read_*` parses and checks the input without the
//! database; `apply_*` runs inside a transaction the caller owns, checks references, writes,
//! and records an [`ImportReport`]. Any problem fails the whole import (all-or-nothing).
//! File formats: docs/DATA.md, "Import".

mod attendance;
mod csv_file;
mod error;
mod fields;
mod items;
mod one_file;
mod oneroster;
mod outcomes;
mod progress;
mod report;
#[cfg(test)]
mod test_support;

use rusqlite::Connection;

use crate::store::roster;

pub use attendance::{apply_attendance, read_attendance, AttendanceBatch, AttendanceRow};
pub use error::{ImportError, Problem, MAX_PROBLEMS};
pub use items::{apply_items, read_items, ItemBatch, ItemRow};
pub use one_file::OneFileBatch;
pub(crate) use oneroster::bulk_files;
pub use oneroster::{apply_oneroster, export_oneroster, read_oneroster, OneRosterBatch, OneRosterVersion};
pub use outcomes::{apply_outcomes, read_outcomes, OutcomeBatch, OutcomeRow};
pub use progress::{Progress, ProgressUpdate};
pub use report::{DroppedColumn, FileCounts, FileMode, ImportKind, ImportReport};

/// How imports treat personal data, and where progress goes.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// demographics.csv columns kept as audit subgroups (the policy names them). Default: `sex`,
    /// the five race flags, `demographicRaceTwoOrMoreRaces`, `hispanicOrLatinoEthnicity`.
    /// May also name `countryOfBirthCode`, `stateOfBirthAbbreviation`,
    /// `publicSchoolResidenceStatus`; `birthDate` and `cityOfBirth` are never kept.
    pub kept_demographics: Vec<String>,
    /// Keep the year of `birthDate` (never the date). Default false.
    pub keep_birth_year: bool,
    /// Progress reporting; the CLI passes [`Progress::terminal_bar`].
    pub progress: Option<Progress>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self { kept_demographics: oneroster::default_kept_demographics(), keep_birth_year: false, progress: None }
    }
}

/// Every recorded import, newest first (for the admin page and route).
pub fn list_imports(conn: &Connection) -> Result<Vec<ImportReport>, ImportError> {
    let rows = roster::list_import_runs(conn).map_err(error::database("listing imports"))?;
    rows.into_iter()
        .map(|row| {
            let mut report: ImportReport =
                serde_json::from_str(&row.report).map_err(|source| ImportError::Database {
                    action: "reading a stored import report",
                    source: rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(source)),
                })?;
            report.id = Some(row.id);
            Ok(report)
        })
        .collect()
}

/// Records a finished import in `import_run` and returns the report with its id.
fn store_report(conn: &Connection, mut report: ImportReport) -> Result<ImportReport, ImportError> {
    let json =
        serde_json::to_string(&report).expect("ImportReport has only string keys and finite numbers, so it serializes");
    let id = roster::insert_import_run(
        conn,
        report.kind.as_str(),
        &report.source,
        report.started_at,
        report.finished_at,
        &json,
    )
    .map_err(error::database("recording the import"))?;
    report.id = Some(id);
    Ok(report)
}
