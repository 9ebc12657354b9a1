//! Running imports: read and check the input off the writer, then apply it in one writer job
//! (one transaction: all or nothing), and render the report. Used by `lantern node import ...`
//! and the admin upload route.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::import::{self, ImportError, ImportOptions, ImportReport};
use crate::store::Store;

/// What kind of file is being imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportInput {
    OneRoster,
    Items,
    Attendance,
    Outcomes,
}

/// Reads, checks and applies one import; on any error nothing is changed.
pub fn run_import(
    store: &Store,
    input: ImportInput,
    path: &Path,
    opts: &ImportOptions,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    match input {
        ImportInput::OneRoster => {
            let batch = import::read_oneroster(path, opts)?;
            store.write_blocking(move |c| import::apply_oneroster(c, &batch, now))
        }
        ImportInput::Items => {
            let batch = import::read_items(path, opts)?;
            store.write_blocking(move |c| import::apply_items(c, &batch, now))
        }
        ImportInput::Attendance => {
            let batch = import::read_attendance(path, opts)?;
            store.write_blocking(move |c| {
                let report = import::apply_attendance(c, &batch, now)?;
                // Indicators: the touched students' attendance summaries, in the same transaction.
                crate::indicators::refresh_attendance_by_sourced_id(c, batch.student_sourced_ids())?;
                Ok(report)
            })
        }
        ImportInput::Outcomes => {
            let batch = import::read_outcomes(path, opts)?;
            store.write_blocking(move |c| import::apply_outcomes(c, &batch, now))
        }
    }
}

/// The report as a person reads it on a terminal.
pub fn render_report(r: &ImportReport) -> String {
    let mut out = format!("imported {} ({})", r.source, r.format);
    if r.changed_nothing() {
        out.push_str(": nothing changed (same data as stored)");
    }
    for f in &r.files {
        out.push_str(&format!(
            "\n  {:<22} {:>7} rows: {} added, {} updated, {} deleted, {} unchanged",
            f.file, f.rows, f.added, f.updated, f.deleted, f.unchanged
        ));
    }
    for d in &r.dropped_columns {
        out.push_str(&format!("\n  dropped {}: {} ({})", d.file, d.column, d.reason));
    }
    for w in &r.warnings {
        out.push_str(&format!("\n  warning: {w}"));
    }
    out
}
