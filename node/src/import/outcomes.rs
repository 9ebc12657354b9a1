//! Later outcomes (outcomes.csv): end-of-term or state assessment results, against which alert
//! rules and bias audits are judged. A row replaces the stored result for the same
//! (student, assessment, date).

use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;

use super::csv_file::{required, ColumnSpec, Reported, RowRef};
use super::error::{database, ImportError, Problem, Problems};
use super::one_file::{
    apply_one_file, check_student, read_one_file, upsert_if_changed, OneFileBatch, OneFileFormat, OneFileKind,
};
use super::report::{ImportKind, ImportReport};
use super::{fields, ImportOptions};
use crate::store::roster::{
    self,
    records::{Outcome, ProficiencyLevel},
};

const COLUMNS: [ColumnSpec; 5] = [
    required("student_sourced_id"),
    required("assessment"),
    required("date"),
    required("score"),
    required("proficiency_level"),
];

/// outcomes.csv, read and checked (students are checked when applied).
pub type OutcomeBatch = OneFileBatch<OutcomeRow>;

/// One result of outcomes.csv.
#[derive(Debug)]
pub struct OutcomeRow {
    line: u64,
    student_sourced_id: String,
    outcome: Outcome,
}

/// One result per student, assessment and date.
const FORMAT: OneFileFormat<OutcomeRow, (String, String, NaiveDate)> = OneFileFormat {
    name: "outcomes.csv",
    columns: &COLUMNS,
    parse: read_outcome,
    key: |row| (row.student_sourced_id.clone(), row.outcome.assessment.clone(), row.outcome.date),
    repeated: |row, _, first| {
        let reason = format!("second result for the same student, assessment and date (first on line {first})");
        Problem::row(row.file(), row.line(), reason)
    },
};

/// Reads and checks outcomes.csv (format: docs/DATA.md).
pub fn read_outcomes(path: &Path, opts: &ImportOptions) -> Result<OutcomeBatch, ImportError> {
    read_one_file(path, opts, &FORMAT)
}

fn read_outcome(row: RowRef<'_>, problems: &mut Problems) -> Result<OutcomeRow, Reported> {
    let student = row.required("student_sourced_id", problems);
    let assessment = row.required("assessment", problems);
    let date = row.parse("date", problems, fields::date);
    let score = row.parse("score", problems, fields::number);
    let level = row.parse("proficiency_level", problems, |text| {
        text.parse::<u8>()
            .ok()
            .and_then(ProficiencyLevel::new)
            .ok_or_else(|| format!("invalid proficiency level \"{text}\" (expected an integer 1-4)"))
    });
    Ok(OutcomeRow {
        line: row.line(),
        student_sourced_id: student?.to_owned(),
        outcome: Outcome { assessment: assessment?.to_owned(), date: date?, score: score?, proficiency_level: level? },
    })
}

/// Checks students against the roster, writes the results inside the caller's transaction,
/// and records the report.
pub fn apply_outcomes(
    conn: &Connection,
    batch: &OutcomeBatch,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    let apply_started = Instant::now();
    let students = roster::rostered_students(conn).map_err(database("loading students"))?;
    let mut problems = Problems::default();
    for row in &batch.rows {
        check_student(&students, &batch.file, row.line, &row.student_sourced_id, &mut problems);
    }
    problems.into_result(&batch.source)?;
    let kind = OneFileKind { kind: ImportKind::Outcomes, format: "Lantern outcomes CSV" };
    apply_one_file(conn, batch, kind, apply_started, now, |row| {
        let Some(pkey) = students.get(&row.student_sourced_id) else {
            return Ok(None); // every student was checked above
        };
        let stored = roster::load_outcome(conn, pkey, &row.outcome.assessment, row.outcome.date)
            .map_err(database("reading an outcome"))?;
        let upsert = || roster::upsert_outcome(conn, pkey, &row.outcome).map_err(database("writing an outcome"));
        upsert_if_changed(stored, &row.outcome, upsert).map(Some)
    })
}

#[cfg(test)]
mod tests;
