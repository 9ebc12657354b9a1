//! Attendance (attendance.csv): one mark per student per school day, optionally per class.
//! A row replaces the stored mark for the same (student, date, class).

use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::csv_file::{optional, required, ColumnSpec, Reported, RowRef};
use super::error::{database, ImportError, Problem, Problems};
use super::one_file::{
    apply_one_file, check_student, read_one_file, upsert_if_changed, OneFileBatch, OneFileFormat, OneFileKind,
};
use super::report::{ImportKind, ImportReport};
use super::{fields, ImportOptions};
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
pub type AttendanceBatch = OneFileBatch<AttendanceRow>;

impl AttendanceBatch {
    /// The students the file has marks for (sourcedIds), for refreshing their indicators.
    pub fn student_sourced_ids(&self) -> std::collections::BTreeSet<&str> {
        self.rows.iter().map(|r| r.student_sourced_id.as_str()).collect()
    }
}

/// One mark of attendance.csv.
#[derive(Debug)]
pub struct AttendanceRow {
    line: u64,
    student_sourced_id: String,
    mark: AttendanceMark,
}

/// One mark per student, date and class.
const FORMAT: OneFileFormat<AttendanceRow, (String, chrono::NaiveDate, Option<String>)> = OneFileFormat {
    name: "attendance.csv",
    columns: &COLUMNS,
    parse: read_mark,
    key: |row| (row.student_sourced_id.clone(), row.mark.date, row.mark.class_sourced_id.clone()),
    repeated: |row, _, first| {
        let reason = format!("second mark for the same student, date and class (first on line {first})");
        Problem::row(row.file(), row.line(), reason)
    },
};

/// Reads and checks attendance.csv (format: docs/DATA.md).
pub fn read_attendance(path: &Path, opts: &ImportOptions) -> Result<AttendanceBatch, ImportError> {
    read_one_file(path, opts, &FORMAT)
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
        check_student(&students, &batch.file, row.line, &row.student_sourced_id, &mut problems);
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
    let kind = OneFileKind { kind: ImportKind::Attendance, format: "Lantern attendance CSV" };
    apply_one_file(conn, batch, kind, apply_started, now, |row| {
        let Some(pkey) = students.get(&row.student_sourced_id) else {
            return Ok(None); // every student was checked above
        };
        let stored = roster::load_attendance_mark(conn, pkey, row.mark.date, row.mark.class_sourced_id.as_deref())
            .map_err(database("reading an attendance mark"))?;
        let upsert =
            || roster::upsert_attendance(conn, pkey, &row.mark).map_err(database("writing an attendance mark"));
        upsert_if_changed(stored, &row.mark, upsert).map(Some)
    })
}

#[cfg(test)]
mod tests;
