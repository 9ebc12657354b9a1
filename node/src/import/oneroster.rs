//! OneRoster CSV rosters (1.2, and 1.1 exports): read a directory or .zip into a validated
//! [`OneRosterBatch`], then apply it to the database inside the caller's transaction.
//!
//! Reading checks everything that needs no database (manifest, headers, values, duplicates);
//! applying checks references against the batch and the stored roster, writes, re-checks the
//! stored roster for dangling references, and records the report.

mod apply;
pub(crate) mod bulk_files;
mod demographics;
mod export;
mod manifest;
mod people;
mod plan;
mod references;
mod source;
mod structure;

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::csv_file::{
    optional as csv_optional, read_table, required as csv_required, ColumnSpec, Reported, RowRef, Table,
};
use super::error::{ImportError, Problem, Problems};
use super::fields;
use super::progress::{Progress, Ticker};
use super::report::{DroppedColumn, FileMode, ImportReport};
use super::ImportOptions;
use crate::store::roster::records::{AcademicSession, Class, Course, Demographics, Enrollment, Org, Role, User};
use demographics::DemographicsPolicy;
use manifest::ManifestMode;

pub(crate) use demographics::default_kept_demographics;
pub use export::export_oneroster;
pub use manifest::OneRosterVersion;

/// A OneRoster export read from disk and checked as far as possible without the database.
#[derive(Debug)]
pub struct OneRosterBatch {
    source: String,
    version: OneRosterVersion,
    orgs: FileRows<Org>,
    sessions: FileRows<AcademicSession>,
    courses: FileRows<Course>,
    classes: FileRows<Class>,
    users: FileRows<User>,
    roles: FileRows<Role>,
    /// 1.1: roles come from users.csv (`role` + `orgSourcedIds`), one per org.
    roles_from_users: bool,
    enrollments: FileRows<Enrollment>,
    demographics: FileRows<Demographics>,
    dropped_columns: Vec<DroppedColumn>,
    warnings: Vec<String>,
    read_started: Instant,
    progress: Option<Progress>,
}

impl OneRosterBatch {
    /// The path the batch was read from.
    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn version(&self) -> OneRosterVersion {
        self.version
    }

    /// Data rows read over all files.
    pub fn row_count(&self) -> usize {
        self.orgs.rows.len()
            + self.sessions.rows.len()
            + self.courses.rows.len()
            + self.classes.rows.len()
            + self.users.rows.len()
            + if self.roles_from_users { 0 } else { self.roles.rows.len() }
            + self.enrollments.rows.len()
            + self.demographics.rows.len()
    }
}

/// The rows of one file (or, for 1.1 roles, of one derived table).
#[derive(Debug)]
pub(crate) struct FileRows<T> {
    /// The file problems are reported against, e.g. `users.csv`.
    pub file: &'static str,
    /// The name in the report's per-file counts.
    pub report_name: &'static str,
    /// What a row is, for messages (`user`, `class`, ...).
    pub kind: &'static str,
    /// `None`: absent from this import.
    pub mode: Option<FileMode>,
    pub rows: Vec<Row<T>>,
}

impl<T> FileRows<T> {
    fn absent(file: &'static str, kind: &'static str) -> Self {
        Self { file, report_name: file, kind, mode: None, rows: Vec::new() }
    }
}

/// One data row: its record id, where it is, and what it asks for.
#[derive(Debug)]
pub(crate) struct Row<T> {
    pub sourced_id: String,
    pub line: u64,
    pub date_last_modified: Option<DateTime<Utc>>,
    pub change: Change<T>,
}

#[derive(Debug)]
pub(crate) enum Change<T> {
    /// `status` active (or blank in a bulk file).
    Upsert(T),
    /// `status` tobedeleted.
    Delete,
}

/// The columns every OneRoster data file starts with.
const RECORD_COLUMNS: [ColumnSpec; 3] =
    [csv_required("sourcedId"), csv_optional("status"), csv_optional("dateLastModified")];

/// Reads the rows of one data file: the common columns (sourcedId unique in the file, status,
/// dateLastModified — both required in delta files) and, for active rows, the record `parse`
/// builds. Rows with problems are left out (the problems fail the batch).
pub(crate) fn read_rows<T>(
    table: &Table,
    mode: FileMode,
    (file, kind): (&'static str, &'static str),
    problems: &mut Problems,
    mut parse: impl FnMut(RowRef<'_>, &mut Problems) -> Result<T, Reported>,
) -> FileRows<T> {
    let mut rows = Vec::with_capacity(table.row_count());
    let mut first_lines: HashMap<&str, u64> = HashMap::with_capacity(table.row_count());
    for row in table.rows() {
        let sourced_id = row.parse("sourcedId", problems, fields::identifier);
        if let Ok(id) = &sourced_id {
            if let Some(first) = first_lines.get(row.get("sourcedId")) {
                problems.push(row.problem("sourcedId", format!("duplicate {kind} \"{id}\" (first on line {first})")));
                continue;
            }
            first_lines.insert(row.get("sourcedId"), row.line());
        }
        let delete = match (row.get("status"), mode) {
            ("", FileMode::Delta) => {
                problems.push(row.problem("status", "required in a delta file"));
                Err(Reported)
            }
            ("" | "active", _) => Ok(false),
            ("tobedeleted", _) => Ok(true),
            (other, _) => {
                problems.push(
                    row.problem("status", format!("unknown status \"{other}\" (expected active or tobedeleted)")),
                );
                Err(Reported)
            }
        };
        let date_last_modified = match (row.get("dateLastModified"), mode) {
            ("", FileMode::Delta) => {
                problems.push(row.problem("dateLastModified", "required in a delta file"));
                Err(Reported)
            }
            _ => row.parse_optional("dateLastModified", problems, fields::instant),
        };
        let change = match delete {
            Ok(true) => Ok(Change::Delete),
            Ok(false) => parse(row, problems).map(Change::Upsert),
            Err(reported) => Err(reported),
        };
        if let (Ok(sourced_id), Ok(date_last_modified), Ok(change)) = (sourced_id, date_last_modified, change) {
            rows.push(Row { sourced_id, line: row.line(), date_last_modified, change });
        }
    }
    FileRows { file, report_name: file, kind, mode: Some(mode), rows }
}

/// Reads a OneRoster export (a directory or a .zip) and checks it without the database.
pub fn read_oneroster(path: &Path, opts: &ImportOptions) -> Result<OneRosterBatch, ImportError> {
    let read_started = Instant::now();
    let source_name = path.display().to_string();
    let policy = DemographicsPolicy::from_options(&opts.kept_demographics, opts.keep_birth_year)?;
    let mut files = source::load(path, &source_name)?;
    let manifest = manifest::parse(&files, &source_name)?;
    let mut problems = Problems::default();
    let mut batch = OneRosterBatch {
        source: source_name.clone(),
        version: manifest.version,
        orgs: FileRows::absent("orgs.csv", "org"),
        sessions: FileRows::absent("academicSessions.csv", "academic session"),
        courses: FileRows::absent("courses.csv", "course"),
        classes: FileRows::absent("classes.csv", "class"),
        users: FileRows::absent("users.csv", "user"),
        roles: FileRows::absent("roles.csv", "role"),
        roles_from_users: manifest.version == OneRosterVersion::V1_1,
        enrollments: FileRows::absent("enrollments.csv", "enrollment"),
        demographics: FileRows::absent("demographics.csv", "demographics record"),
        dropped_columns: Vec::new(),
        warnings: manifest.warnings.clone(),
        read_started,
        progress: opts.progress.clone(),
    };

    let used = manifest::used_files(manifest.version);
    let mut ticker = Ticker::start(opts.progress.as_ref(), "reading OneRoster files".into(), used.len());
    for &stem in used {
        ticker.tick();
        let file_name = format!("{stem}.csv");
        let bytes = files.take(&file_name);
        let mode = match (manifest.mode(stem), bytes) {
            (ManifestMode::Absent, None) => continue,
            (ManifestMode::Absent, Some(_)) => {
                batch.warnings.push(format!("{file_name} is present but manifest.csv lists it as absent; ignored"));
                continue;
            }
            (mode, None) => {
                problems.push(Problem::file(
                    &file_name,
                    format!("listed as {} in manifest.csv but missing", mode.as_str()),
                ));
                continue;
            }
            (ManifestMode::Bulk, Some(bytes)) => (FileMode::Bulk, bytes),
            (ManifestMode::Delta, Some(bytes)) => (FileMode::Delta, bytes),
        };
        read_file(&mut batch, stem, mode, &policy, &mut problems);
    }
    for name in files.leftover_csv_names() {
        batch.warnings.push(format!("{name} is not used by Lantern; ignored"));
    }
    problems.into_result(&source_name)?;
    Ok(batch)
}

/// Parses one data file into the batch.
fn read_file(
    batch: &mut OneRosterBatch,
    stem: &str,
    (mode, bytes): (FileMode, Vec<u8>),
    policy: &DemographicsPolicy,
    problems: &mut Problems,
) {
    let version = batch.version;
    let file_name = format!("{stem}.csv");
    let vendor_reason = format!("not a OneRoster {} column (vendor extension); ignored", version);
    let table_for = |columns: &[ColumnSpec], problems: &mut Problems| -> Option<Table> {
        let table = read_table(&file_name, &bytes, columns, &vendor_reason, problems)?;
        if mode == FileMode::Delta {
            for column in ["status", "dateLastModified"] {
                if !table.has_column(column) {
                    problems.push(Problem::at(
                        &file_name,
                        1,
                        "header",
                        format!("missing column \"{column}\" (required in a delta file)"),
                    ));
                    return None;
                }
            }
        }
        Some(table)
    };
    let columns = match stem {
        "orgs" => structure::ORG_COLUMNS.to_vec(),
        "academicSessions" => structure::SESSION_COLUMNS.to_vec(),
        "courses" => structure::COURSE_COLUMNS.to_vec(),
        "classes" => structure::CLASS_COLUMNS.to_vec(),
        "enrollments" => structure::ENROLLMENT_COLUMNS.to_vec(),
        "users" => people::user_columns(version).to_vec(),
        "roles" => people::ROLE_COLUMNS.to_vec(),
        "demographics" => policy.columns(),
        _ => return,
    };
    let Some(table) = table_for(&columns, problems) else {
        return;
    };
    batch.dropped_columns.extend(table.dropped.iter().cloned());
    match stem {
        "orgs" => batch.orgs = structure::read_orgs(&table, mode, problems),
        "academicSessions" => batch.sessions = structure::read_sessions(&table, mode, problems),
        "courses" => batch.courses = structure::read_courses(&table, mode, problems),
        "classes" => batch.classes = structure::read_classes(&table, mode, problems),
        "enrollments" => batch.enrollments = structure::read_enrollments(&table, mode, problems),
        "users" => {
            let (users, derived_roles) = people::read_users(&table, mode, version, problems);
            batch.users = users;
            if let Some(roles) = derived_roles {
                batch.roles = roles;
            }
        }
        "roles" => batch.roles = people::read_roles(&table, mode, problems),
        "demographics" => batch.demographics = policy.read(&table, mode, problems),
        _ => {}
    }
}

/// Applies a batch inside the caller's transaction: referential checks against the batch and the
/// stored roster, writes, a final integrity check, and the stored report. On `Err` the caller
/// must roll back (some rows may have been written).
pub fn apply_oneroster(
    conn: &Connection,
    batch: &OneRosterBatch,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    apply::apply(conn, batch, now)
}

#[cfg(test)]
mod tests;
