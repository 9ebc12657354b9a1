//! Tests of the attendance import: marks against the roster, replacement per
//! (student, date, class), and the bad files.

use crate::import::test_support::{assert_rejected_unchanged, fixture, in_transaction, now, rostered_connection};
use crate::import::{apply_attendance, read_attendance, ImportError, ImportOptions, ImportReport};
use crate::store::roster::{self, records::AttendanceStatus};
use chrono::NaiveDate;
use rusqlite::Connection;
use std::path::Path;

fn import_attendance(conn: &Connection, path: &Path) -> Result<ImportReport, ImportError> {
    let batch = read_attendance(path, &ImportOptions::default())?;
    in_transaction(conn, |tx| apply_attendance(tx, &batch, now()))
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").expect("date")
}

fn pkey(conn: &Connection, id: &str) -> String {
    roster::rostered_students(conn).expect("students")[id].clone()
}

#[test]
fn imports_marks_and_replaces_a_day_on_reimport() {
    let conn = rostered_connection();
    let report = import_attendance(&conn, &fixture("attendance.csv")).expect("imports");
    let counts = report.file("attendance.csv").expect("counts");
    assert_eq!((counts.added, counts.updated, counts.unchanged), (4, 0, 0));
    let mark = roster::load_attendance_mark(&conn, &pkey(&conn, "s-3"), day("2026-09-01"), Some("cls-6a"))
        .expect("query")
        .expect("stored");
    assert_eq!((mark.status, mark.minutes), (AttendanceStatus::Tardy, Some(12)));

    let again = import_attendance(&conn, &fixture("attendance.csv")).expect("reimports");
    assert!(again.changed_nothing());

    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("attendance.csv");
    std::fs::write(&path, "student_sourced_id,date,status,class_sourced_id,minutes\ns-2,2026-09-01,excused,,\n")
        .expect("write");
    let report = import_attendance(&conn, &path).expect("imports");
    let counts = report.file("attendance.csv").expect("counts");
    assert_eq!((counts.added, counts.updated), (0, 1));
    let mark = roster::load_attendance_mark(&conn, &pkey(&conn, "s-2"), day("2026-09-01"), None)
        .expect("query")
        .expect("stored");
    assert_eq!(mark.status, AttendanceStatus::Excused);
}

#[test]
fn rejects_the_bad_attendance_file() {
    let conn = rostered_connection();
    import_attendance(&conn, &fixture("attendance.csv")).expect("imports");
    assert_rejected_unchanged(
        &conn,
        |conn| import_attendance(conn, &fixture("attendance_bad.csv")),
        &[
            "attendance_bad.csv:2: date: invalid date \"2026-09-31\" (expected YYYY-MM-DD)",
            "attendance_bad.csv:3: status: unknown status \"late\" (expected present, absent, tardy, excused)",
            "attendance_bad.csv:4: minutes: invalid minutes \"-5\" (expected a whole number 0-1440)",
            "attendance_bad.csv:6: second mark for the same student, date and class (first on line 5)",
        ],
    );
}

#[test]
fn rejects_unknown_students_guardians_and_classes() {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("attendance.csv");
    std::fs::write(
        &path,
        "student_sourced_id,date,status,class_sourced_id,minutes\n\
         s-404,2026-09-01,present,,\n\
         g-1,2026-09-01,present,,\n\
         s-1,2026-09-01,present,cls-9,\n",
    )
    .expect("write");
    let conn = rostered_connection();
    assert_rejected_unchanged(
        &conn,
        |conn| import_attendance(conn, &path),
        &[
            "attendance.csv:2: student_sourced_id: unknown student \"s-404\"",
            "attendance.csv:3: student_sourced_id: unknown student \"g-1\"",
            "attendance.csv:4: class_sourced_id: unknown class \"cls-9\"",
        ],
    );
}
