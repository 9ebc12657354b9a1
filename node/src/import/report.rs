//! The import report: what an import did, per file, which columns it dropped and why, and its
//! warnings. Stored as JSON in `import_run` and listed on the admin page. Holds no personal data.

use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What was imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Oneroster,
    Items,
    Attendance,
    Outcomes,
}

impl ImportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Oneroster => "oneroster",
            ImportKind::Items => "items",
            ImportKind::Attendance => "attendance",
            ImportKind::Outcomes => "outcomes",
        }
    }
}

/// How a file's rows were applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileMode {
    /// OneRoster bulk: the file is the complete set; stored records missing from it are deleted.
    Bulk,
    /// OneRoster delta: only the listed records change; `status` and `dateLastModified` apply.
    Delta,
    /// Items, attendance, outcomes: rows are added or replace the stored row with the same key.
    Upsert,
}

/// Counts for one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCounts {
    pub file: String,
    pub mode: FileMode,
    /// Data rows read from the file.
    pub rows: u64,
    pub added: u64,
    pub updated: u64,
    pub deleted: u64,
    /// Rows equal to what was stored, or older than it (delta `dateLastModified`).
    pub unchanged: u64,
}

impl FileCounts {
    pub(crate) fn new(file: &str, mode: FileMode, rows: usize) -> Self {
        Self { file: file.to_owned(), mode, rows: rows as u64, added: 0, updated: 0, deleted: 0, unchanged: 0 }
    }
}

/// A column present in the input that Lantern did not keep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DroppedColumn {
    pub file: String,
    pub column: String,
    pub reason: String,
}

/// What one import did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    /// The `import_run` id; set once stored.
    pub id: Option<i64>,
    pub kind: ImportKind,
    /// The path given to the import.
    pub source: String,
    /// The input format, e.g. `OneRoster 1.2 CSV`.
    pub format: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub files: Vec<FileCounts>,
    pub dropped_columns: Vec<DroppedColumn>,
    pub warnings: Vec<String>,
}

impl ImportReport {
    /// Sum of `added` over all files.
    pub fn total_added(&self) -> u64 {
        self.files.iter().map(|file| file.added).sum()
    }

    /// Sum of `updated` over all files.
    pub fn total_updated(&self) -> u64 {
        self.files.iter().map(|file| file.updated).sum()
    }

    /// Sum of `deleted` over all files.
    pub fn total_deleted(&self) -> u64 {
        self.files.iter().map(|file| file.deleted).sum()
    }

    /// True when the import changed nothing (a re-import of the same files).
    pub fn changed_nothing(&self) -> bool {
        self.total_added() + self.total_updated() + self.total_deleted() == 0
    }

    /// The counts for one file, if it was part of the import.
    pub fn file(&self, name: &str) -> Option<&FileCounts> {
        self.files.iter().find(|file| file.file == name)
    }
}

/// (started_at, finished_at) of an import whose reading began at `read_started` and whose
/// applying began at `apply_started`, when the caller's clock said `now`.
pub(crate) fn timing(
    read_started: Instant,
    apply_started: Instant,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let span = |duration| chrono::Duration::from_std(duration).unwrap_or_default();
    (now - span(apply_started.duration_since(read_started)), now + span(apply_started.elapsed()))
}
