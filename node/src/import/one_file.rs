//! What the one-file imports (items.csv, attendance.csv, outcomes.csv) share: reading the file
//! into typed rows with repeated keys refused, and writing the rows (load, compare, upsert) with
//! their counts and the import report.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::Hash;
use std::path::Path;
use std::time::Instant;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::csv_file::{read_table, ColumnSpec, Reported, RowRef};
use super::error::{ImportError, Problem, Problems};
use super::progress::{self, Progress, Ticker};
use super::report::{self, DroppedColumn, FileCounts, FileMode, ImportKind, ImportReport};
use super::ImportOptions;

/// A one-file import read and checked: its rows in file order, and what the report needs.
#[derive(Debug)]
pub struct OneFileBatch<R> {
    pub(super) source: String,
    /// The file's name, for messages.
    pub(super) file: String,
    pub(super) rows: Vec<R>,
    dropped_columns: Vec<DroppedColumn>,
    read_started: Instant,
    progress: Option<Progress>,
}

impl<R> OneFileBatch<R> {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// One file format: its columns, how a record becomes a row, and what two rows may not share.
pub(super) struct OneFileFormat<R, K> {
    /// The format's file name, for the message about columns it does not have.
    pub name: &'static str,
    pub columns: &'static [ColumnSpec],
    /// Reads one record; its problems go to the list (`Err`: the row is unusable).
    pub parse: fn(RowRef<'_>, &mut Problems) -> Result<R, Reported>,
    pub key: fn(&R) -> K,
    /// The problem of a row whose key the row on line `first` has already.
    pub repeated: fn(RowRef<'_>, &R, u64) -> Problem,
}

/// Reads and checks one CSV file of `format` (every problem of the file, or the rows).
pub(super) fn read_one_file<R, K: Eq + Hash>(
    path: &Path,
    opts: &ImportOptions,
    format: &OneFileFormat<R, K>,
) -> Result<OneFileBatch<R>, ImportError> {
    let read_started = Instant::now();
    let source = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| ImportError::Io { path: path.to_owned(), source })?;
    let file = path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned());
    let mut problems = Problems::default();
    let extra = format!("not part of the {} format; ignored", format.name);
    let Some(table) = read_table(&file, &bytes, format.columns, &extra, &mut problems) else {
        return Err(problems.reject(&source));
    };
    let mut ticker = Ticker::start(opts.progress.as_ref(), format!("reading {file}"), table.row_count());
    let mut first_lines: HashMap<K, u64> = HashMap::with_capacity(table.row_count());
    let mut rows = Vec::with_capacity(table.row_count());
    for row in table.rows() {
        ticker.tick();
        let Ok(parsed) = (format.parse)(row, &mut problems) else {
            continue;
        };
        match first_lines.entry((format.key)(&parsed)) {
            Entry::Occupied(first) => {
                problems.push((format.repeated)(row, &parsed, *first.get()));
                continue;
            }
            Entry::Vacant(slot) => {
                slot.insert(row.line());
            }
        }
        rows.push(parsed);
    }
    problems.into_result(&source)?;
    Ok(OneFileBatch {
        source,
        file,
        rows,
        dropped_columns: table.dropped,
        read_started,
        progress: opts.progress.clone(),
    })
}

/// An `unknown student` problem unless `students` (sourcedId → key) has the row's student.
pub(super) fn check_student<V>(
    students: &HashMap<String, V>,
    file: &str,
    line: u64,
    student_sourced_id: &str,
    problems: &mut Problems,
) {
    if !students.contains_key(student_sourced_id) {
        let reason = format!("unknown student \"{student_sourced_id}\"");
        problems.push(Problem::at(file, line, "student_sourced_id", reason));
    }
}

/// What writing one row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Written {
    Added,
    Updated,
    Unchanged,
}

/// Writes `new` with `upsert` unless `stored` (the row stored under its key) equals it.
pub(super) fn upsert_if_changed<T: PartialEq>(
    stored: Option<T>,
    new: &T,
    upsert: impl FnOnce() -> Result<(), ImportError>,
) -> Result<Written, ImportError> {
    let written = match stored {
        Some(stored) if stored == *new => return Ok(Written::Unchanged),
        Some(_) => Written::Updated,
        None => Written::Added,
    };
    upsert()?;
    Ok(written)
}

/// How a one-file import is named in its report.
pub(super) struct OneFileKind {
    pub kind: ImportKind,
    pub format: &'static str,
}

/// Writes every row with `write` (inside the caller's transaction; `None`: a row left out),
/// counts what changed, records the report in `import_run` and closes the progress display.
pub(super) fn apply_one_file<R>(
    conn: &Connection,
    batch: &OneFileBatch<R>,
    kind: OneFileKind,
    apply_started: Instant,
    now: DateTime<Utc>,
    mut write: impl FnMut(&R) -> Result<Option<Written>, ImportError>,
) -> Result<ImportReport, ImportError> {
    let mut counts = FileCounts::new(&batch.file, FileMode::Upsert, batch.rows.len());
    let mut ticker = Ticker::start(batch.progress.as_ref(), format!("writing {}", batch.file), batch.rows.len());
    for row in &batch.rows {
        ticker.tick();
        match write(row)? {
            Some(Written::Added) => counts.added += 1,
            Some(Written::Updated) => counts.updated += 1,
            Some(Written::Unchanged) => counts.unchanged += 1,
            None => {}
        }
    }
    let (started_at, finished_at) = report::timing(batch.read_started, apply_started, now);
    let report = ImportReport {
        id: None,
        kind: kind.kind,
        source: batch.source.clone(),
        format: kind.format.into(),
        started_at,
        finished_at,
        files: vec![counts],
        dropped_columns: batch.dropped_columns.clone(),
        warnings: Vec::new(),
    };
    let report = super::store_report(conn, report)?;
    progress::finish(batch.progress.as_ref());
    Ok(report)
}
