//! Attendance (attendance.csv): one mark per student per school day, optionally per class.
//! A row replaces the stored mark for the same (student, date, class).

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::csv_file::{optional, read_table, required, ColumnSpec, Reported, RowRef};
use super::error::{database, ImportError, Problem, Problems};
use super::progress::{Progress, Ticker};
use super::report::{DroppedColumn, FileCounts, FileMode, ImportKind, ImportReport};
use super::{fields, read_single_file, ImportOptions};
use crate::store::roster::{
    self,
    records::{AttendanceMark, AttendanceStatus},
};

const COLUMNS: [ColumnSpec; 5] = [
    required("student_sourced_id"),
    required("date"),
    required("status"),
    optional("class_sourced_id"),
    optional("minutes"),
];

/// Minutes in a day: the most a mark can count.
const MAX_MINUTES: u32 = 24 * 60;

/// attendance.csv, read and checked (students and classes are checked when applied).
#[derive(Debug)]
pub struct AttendanceBatch {
    source: String,
    file: String,
    rows: Vec<AttendanceRow>,
    dropped_columns: Vec<DroppedColumn>,
    read_started: Instant,
    progress: Option<Progress>,
}

impl AttendanceBatch {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The students the file has marks for (sourcedIds), for refreshing their indicators.
    pub fn student_sourced_ids(&self) -> std::collections::BTreeSet<&str> {
        self.rows.iter().map(|r| r.student_sourced_id.as_str()).collect()
    }
}

#[derive(Debug)]
struct AttendanceRow {
    line: u64,
    student_sourced_id: String,
    mark: AttendanceMark,
}

/// Reads and checks attendance.csv (format: docs/DATA.md).
pub fn read_attendance(path: &Path, opts: &ImportOptions) -> Result<AttendanceBatch, ImportError> {
    let read_started = Instant::now();
    let source = path.display().to_string();
    let (file, bytes) = read_single_file(path)?;
    let mut problems = Problems::default();
    let extra = "not part of the attendance.csv format; ignored";
    let Some(table) = read_table(&file, &bytes, &COLUMNS, extra, &mut problems) else {
        return Err(problems.reject(&source));
    };
    let mut ticker = Ticker::start(opts.progress.as_ref(), format!("reading {file}"), table.row_count());
    let mut first_lines: HashMap<(String, chrono::NaiveDate, Option<String>), u64> =
        HashMap::with_capacity(table.row_count());
    let mut rows = Vec::with_capacity(table.row_count());
    for row in table.rows() {
        ticker.tick();
        let Ok(parsed) = read_mark(row, &mut problems) else {
            continue;
        };
        let key = (parsed.student_sourced_id.clone(), parsed.mark.date, parsed.mark.class_sourced_id.clone());
        if let Some(first) = first_lines.insert(key, row.line()) {
            problems.push(Problem::row(
                &file,
                row.line(),
                format!("second mark for the same student, date and class (first on line {first})"),
            ));
            continue;
        }
        rows.push(parsed);
    }
    problems.into_result(&source)?;
    Ok(AttendanceBatch {
        source,
        file,
        rows,
        dropped_columns: table.dropped,
        read_started,
        progress: opts.progress.clone(),
    })
}

fn read_mark(row: RowRef<'_>, problems: &mut Problems) -> Result<AttendanceRow, Reported> {
    let student = row.required("student_sourced_id", problems);
    let date = row.parse("date", problems, fields::date);
    let status = row.parse("status", problems, |text| {
        AttendanceStatus::from_spelling(text)
            .ok_or_else(|| format!("unknown status \"{text}\" (expected {})", AttendanceStatus::spellings()))
    });
    let minutes = row.parse_optional("minutes", problems, |text| {
        text.parse::<u32>()
            .ok()
            .filter(|minutes| *minutes <= MAX_MINUTES)
            .ok_or_else(|| format!("invalid minutes \"{text}\" (expected a whole number 0-1440)"))
    });
    Ok(AttendanceRow {
        line: row.line(),
        student_sourced_id: student?.to_owned(),
        mark: AttendanceMark {
            date: date?,
            class_sourced_id: row.optional("class_sourced_id"),
            status: status?,
            minutes: minutes?,
        },
    })
}

/// Checks students and classes against the roster, writes the marks inside the caller's
/// transaction, and records the report.
pub fn apply_attendance(
    conn: &Connection,
    batch: &AttendanceBatch,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    let apply_started = Instant::now();
    let students = roster::rostered_students(conn).map_err(database("loading students"))?;
    let classes = roster::class_ids(conn).map_err(database("loading classes"))?;
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
        if let Some(class) = &row.mark.class_sourced_id {
            if !classes.contains(class) {
                problems.push(Problem::at(
                    &batch.file,
                    row.line,
                    "class_sourced_id",
                    format!("unknown class \"{class}\""),
                ));
            }
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
        let stored = roster::load_attendance_mark(conn, pkey, row.mark.date, row.mark.class_sourced_id.as_deref())
            .map_err(database("reading an attendance mark"))?;
        match stored {
            Some(stored) if stored == row.mark => {
                counts.unchanged += 1;
                continue;
            }
            Some(_) => counts.updated += 1,
            None => counts.added += 1,
        }
        roster::upsert_attendance(conn, pkey, &row.mark).map_err(database("writing an attendance mark"))?;
    }
    super::record_single_file(
        conn,
        now,
        super::SingleFileImport {
            kind: ImportKind::Attendance,
            format: "Lantern attendance CSV",
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
