//! Test helpers shared by the import tests: fixture paths, a transaction wrapper that rolls
//! back on error like the node's writer does, and fixture copies to break on purpose.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;

use super::{ImportError, ImportOptions, ImportReport};
use crate::store::roster::test_support::{dump_all_tables, migrated_connection};

/// The fixed clock of the tests.
pub(crate) fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 2, 7, 0, 0).single().expect("a valid fixed instant")
}

pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oneroster").join(name)
}

/// Runs `apply` in a transaction, committed on success and rolled back on error.
pub(crate) fn in_transaction(
    conn: &Connection,
    apply: impl FnOnce(&Connection) -> Result<ImportReport, ImportError>,
) -> Result<ImportReport, ImportError> {
    let transaction = conn.unchecked_transaction().expect("begin");
    match apply(&transaction) {
        Ok(report) => {
            transaction.commit().expect("commit");
            Ok(report)
        }
        Err(error) => {
            transaction.rollback().expect("rollback");
            Err(error)
        }
    }
}

/// Reads and applies a OneRoster export with the default options.
pub(crate) fn import_roster(conn: &Connection, path: &Path) -> Result<ImportReport, ImportError> {
    import_roster_with(conn, path, &ImportOptions::default())
}

pub(crate) fn import_roster_with(
    conn: &Connection,
    path: &Path,
    opts: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    let batch = super::read_oneroster(path, opts)?;
    in_transaction(conn, |tx| super::apply_oneroster(tx, &batch, now()))
}

/// A database holding the 1.2 bulk fixture.
pub(crate) fn rostered_connection() -> Connection {
    let conn = migrated_connection();
    import_roster(&conn, &fixture("bulk_1_2")).expect("the bulk fixture imports");
    conn
}

/// A copy of a fixture directory, to edit.
pub(crate) fn copy_fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for entry in std::fs::read_dir(fixture(name)).expect("fixture dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
    }
    dir
}

/// Replaces the first `from` in `dir/file` with `to` (which must be there).
pub(crate) fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).expect("fixture is UTF-8");
    assert!(text.contains(from), "{file} does not contain {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).expect("write");
}

/// Asserts that `run` fails with exactly `expected` problems and leaves every table as it was.
pub(crate) fn assert_rejected_unchanged(
    conn: &Connection,
    run: impl FnOnce(&Connection) -> Result<ImportReport, ImportError>,
    expected: &[&str],
) -> ImportError {
    let before = dump_all_tables(conn);
    let error = run(conn).expect_err("the import must be rejected");
    let problems: Vec<String> = error.problems().iter().map(ToString::to_string).collect();
    assert_eq!(problems, expected, "full error: {error}");
    assert_eq!(dump_all_tables(conn), before, "the database changed");
    error
}

/// Table dump without the import history (which grows on every successful import).
pub(crate) fn dump_without_history(conn: &Connection) -> Vec<String> {
    dump_all_tables(conn).into_iter().filter(|row| !row.starts_with("import_run: ")).collect()
}
