//! Later outcomes (outcomes.csv): end-of-term or state assessment results, against which alert
//! rules and bias audits are judged. A row replaces the stored result for the same
//! (student, assessment, date).

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;

use super::csv_file::{read_table, required, ColumnSpec, Reported, RowRef};
use super::error::{database, ImportError, Problem, Problems};
use super::progress::{Progress, Ticker};
use super::report::{DroppedColumn, FileCounts, FileMode, ImportKind, ImportReport};
use super::{fields, read_single_file, ImportOptions};
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
#[derive(Debug)]
pub struct OutcomeBatch {
    source: String,
    file: String,
    rows: Vec<OutcomeRow>,
    dropped_columns: Vec<DroppedColumn>,
    read_started: Instant,
    progress: Option<Progress>,
}

impl OutcomeBatch {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

#[derive(Debug)]
struct OutcomeRow {
    line: u64,
    student_sourced_id: String,
    outcome: Outcome,
}

/// Reads and checks outcomes.csv (format: docs/DATA.md).
pub fn read_outcomes(path: &Path, opts: &ImportOptions) -> Result<OutcomeBatch, ImportError> {
    let read_started = Instant::now();
    let source = path.display().to_string();
    let (file, bytes) = read_single_file(path)?;
    let mut problems = Problems::default();
    let extra = "not part of the outcomes.csv format; ignored";
    let Some(table) = read_table(&file, &bytes, &COLUMNS, extra, &mut problems) else {
        return Err(problems.reject(&source));
    };
    let mut ticker = Ticker::start(opts.progress.as_ref(), format!("reading {file}"), table.row_count());
    let mut first_lines: HashMap<(String, String, NaiveDate), u64> = HashMap::with_capacity(table.row_count());
    let mut rows = Vec::with_capacity(table.row_count());
    for row in table.rows() {
        ticker.tick();
        let Ok(parsed) = read_outcome(row, &mut problems) else {
            continue;
        };
        let key = (parsed.student_sourced_id.clone(), parsed.outcome.assessment.clone(), parsed.outcome.date);
        if let Some(first) = first_lines.insert(key, row.line()) {
            problems.push(Problem::row(
                &file,
                row.line(),
                format!("second result for the same student, assessment and date (first on line {first})"),
            ));
            continue;
        }
        rows.push(parsed);
    }
    problems.into_result(&source)?;
    Ok(OutcomeBatch {
        source,
        file,
        rows,
        dropped_columns: table.dropped,
        read_started,
        progress: opts.progress.clone(),
    })
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
        if !students.contains_key(&row.student_sourced_id) {
            problems.push(Problem::at(
                &batch.file,
                row.line,
                "student_sourced_id",
                format!("unknown student \"{}\"", row.student_sourced_id),
            ));
        }
    }
    problems.into_result(&batch.source)?;

    let mut counts = FileCounts::new(&batch.file, FileMode::Upsert, batch.rows.len());
    let mut ticker = Ticker::start(batch.progress.as_ref(), format!("writing {}", batch.file), batch.rows.len());
    for row in &batch.rows {
        ticker.tick();
        let Some(pkey) = students.get(&row.student_sourced_id) else {
            continue; // every student was checked above
        };
        let stored = roster::load_outcome(conn, pkey, &row.outcome.assessment, row.outcome.date)
            .map_err(database("reading an outcome"))?;
        match stored {
            Some(stored) if stored == row.outcome => {
                counts.unchanged += 1;
                continue;
            }
            Some(_) => counts.updated += 1,
            None => counts.added += 1,
        }
        roster::upsert_outcome(conn, pkey, &row.outcome).map_err(database("writing an outcome"))?;
    }
    super::record_single_file(
        conn,
        now,
        super::SingleFileImport {
            kind: ImportKind::Outcomes,
            format: "Lantern outcomes CSV",
            source: &batch.source,
            counts,
            dropped_columns: &batch.dropped_columns,
            read_started: batch.read_started,
            apply_started,
            progress: batch.progress.as_ref(),
        },
    )
}

#[cfg(test)]
mod tests;
