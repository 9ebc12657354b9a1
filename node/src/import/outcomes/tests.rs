//! Tests of the outcomes import: results against the roster, re-import, and the bad files.

use crate::import::test_support::{assert_rejected_unchanged, fixture, in_transaction, now, rostered_connection};
use crate::import::{apply_outcomes, read_outcomes, ImportError, ImportOptions, ImportReport};
use crate::store::roster;
use chrono::NaiveDate;
use rusqlite::Connection;
use std::path::Path;

fn import_outcomes(conn: &Connection, path: &Path) -> Result<ImportReport, ImportError> {
    let batch = read_outcomes(path, &ImportOptions::default())?;
    in_transaction(conn, |tx| apply_outcomes(tx, &batch, now()))
}

#[test]
fn imports_results_and_reimport_changes_nothing() {
    let conn = rostered_connection();
    let report = import_outcomes(&conn, &fixture("outcomes.csv")).expect("imports");
    let counts = report.file("outcomes.csv").expect("counts");
    assert_eq!((counts.added, counts.updated, counts.unchanged), (3, 0, 0));
    let pkey = roster::rostered_students(&conn).expect("students")["s-2"].clone();
    let date = NaiveDate::parse_from_str("2027-05-20", "%Y-%m-%d").expect("date");
    let outcome = roster::load_outcome(&conn, &pkey, "state-math-7", date).expect("query").expect("stored");
    assert_eq!(outcome.score, 2391.5);
    assert_eq!(outcome.proficiency_level.get(), 2);
    assert!(import_outcomes(&conn, &fixture("outcomes.csv")).expect("reimports").changed_nothing());
}

#[test]
fn rejects_the_bad_outcomes_file() {
    let conn = rostered_connection();
    assert_rejected_unchanged(
        &conn,
        |conn| import_outcomes(conn, &fixture("outcomes_bad.csv")),
        &[
            "outcomes_bad.csv:2: score: invalid number \"high\"",
            "outcomes_bad.csv:3: date: invalid date \"20270520\" (expected YYYY-MM-DD)",
            "outcomes_bad.csv:4: proficiency_level: invalid proficiency level \"5\" (expected an integer 1-4)",
            "outcomes_bad.csv:5: assessment: required value missing",
        ],
    );
}

#[test]
fn rejects_results_for_someone_not_rostered_as_a_student() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("outcomes.csv");
    std::fs::write(
        &path,
        "student_sourced_id,assessment,date,score,proficiency_level\nt-1,state-math-6,2027-05-20,2400,3\n",
    )
    .expect("write");
    let conn = rostered_connection();
    assert_rejected_unchanged(
        &conn,
        |conn| import_outcomes(conn, &path),
        &["outcomes.csv:2: student_sourced_id: unknown student \"t-1\""],
    );
}
