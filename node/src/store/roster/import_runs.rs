//! SQL for the import history (`import_run`): one row per successful import, with its report
//! stored as JSON (counts, column names and warnings — no personal data).

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection};

use super::instant_text;

/// One stored import run; `report` is the JSON the import layer wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRunRow {
    pub id: i64,
    pub report: String,
}

/// Records an import and returns its id.
pub fn insert_import_run(
    conn: &Connection,
    kind: &str,
    source: &str,
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
    report_json: &str,
) -> rusqlite::Result<i64> {
    conn.prepare_cached(
        "INSERT INTO import_run (kind, source, started_at, finished_at, report)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![kind, source, instant_text(started_at), instant_text(finished_at), report_json])?;
    Ok(conn.last_insert_rowid())
}

/// Every recorded import, newest first.
pub fn list_import_runs(conn: &Connection) -> rusqlite::Result<Vec<ImportRunRow>> {
    let mut statement = conn.prepare("SELECT id, report FROM import_run ORDER BY id DESC")?;
    let rows = statement.query_map([], |row| Ok(ImportRunRow { id: row.get(0)?, report: row.get(1)? }))?;
    rows.collect()
}
