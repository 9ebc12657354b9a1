//! One rejected OneRoster import per failure class: the exact problems, and every table exactly
//! as it was before (the import runs in a transaction that is rolled back).

use std::path::Path;

use super::zip_directory;
use crate::import::test_support::{
    assert_rejected_unchanged, copy_fixture, edit, fixture, import_roster, rostered_connection,
};

fn rejected(dir: &Path, expected: &[&str]) {
    let conn = rostered_connection();
    assert_rejected_unchanged(&conn, |conn| import_roster(conn, dir), expected);
}

#[test]
fn rejects_a_missing_manifest() {
    let dir = copy_fixture("bulk_1_2");
    std::fs::remove_file(dir.path().join("manifest.csv")).expect("remove");
    rejected(dir.path(), &["manifest.csv: missing (a OneRoster export has manifest.csv next to the data files)"]);
}

#[test]
fn rejects_an_unsupported_version() {
    let dir = copy_fixture("bulk_1_2");
    edit(dir.path(), "manifest.csv", "oneroster.version,1.2", "oneroster.version,1.0");
    rejected(dir.path(), &["manifest.csv:3: value: unsupported OneRoster version \"1.0\" (expected 1.1 or 1.2)"]);
}

#[test]
fn rejects_a_file_the_manifest_lists_but_that_is_missing() {
    let dir = copy_fixture("bulk_1_2");
    std::fs::remove_file(dir.path().join("roles.csv")).expect("remove");
    rejected(dir.path(), &["roles.csv: listed as bulk in manifest.csv but missing"]);
}

#[test]
fn rejects_a_missing_required_column() {
    let dir = copy_fixture("bulk_1_2");
    edit(dir.path(), "users.csv", "givenName,", "firstName,");
    rejected(dir.path(), &["users.csv:1: header: missing required column \"givenName\""]);
}

#[test]
fn rejects_a_bad_date() {
    let dir = copy_fixture("bulk_1_2");
    edit(dir.path(), "academicSessions.csv", "2027-06-11", "2027-02-30");
    rejected(dir.path(), &["academicSessions.csv:2: endDate: invalid date \"2027-02-30\" (expected YYYY-MM-DD)"]);
}

#[test]
fn rejects_a_dangling_reference() {
    let dir = copy_fixture("bulk_1_2");
    edit(dir.path(), "enrollments.csv", "e-s2-7a,,,cls-7a", "e-s2-7a,,,cls-9");
    rejected(dir.path(), &["enrollments.csv:6: classSourcedId: unknown class \"cls-9\""]);
}

#[test]
fn rejects_a_duplicate_sourced_id() {
    let dir = copy_fixture("bulk_1_2");
    edit(dir.path(), "roles.csv", "r-s-2,", "r-s-1,");
    rejected(dir.path(), &["roles.csv:4: sourcedId: duplicate role \"r-s-1\" (first on line 3)"]);
}

#[test]
fn rejects_an_unknown_role() {
    let dir = copy_fixture("bulk_1_2");
    edit(dir.path(), "roles.csv", "s-3,primary,student", "s-3,primary,studnet");
    rejected(
        dir.path(),
        &["roles.csv:5: role: unknown role \"studnet\" (expected administrator, aide, counselor, \
           districtAdministrator, guardian, parent, principal, proctor, relative, \
           siteAdministrator, student, systemAdministrator, teacher)"],
    );
}

#[test]
fn rejects_a_truncated_zip() {
    let tmp = tempfile::tempdir().expect("tmp");
    let zip_path = tmp.path().join("roster.zip");
    zip_directory(&fixture("bulk_1_2"), &zip_path, "");
    let bytes = std::fs::read(&zip_path).expect("read");
    std::fs::write(&zip_path, &bytes[..bytes.len() * 2 / 3]).expect("truncate");
    let conn = rostered_connection();
    let error = assert_rejected_unchanged(
        &conn,
        |conn| import_roster(conn, &zip_path),
        &["roster.zip: not a readable zip archive (is it truncated?)"],
    );
    assert!(error.summary().ends_with("rejected, nothing changed: 1 problem"));
}

#[test]
fn rejects_a_file_that_is_not_utf8() {
    let dir = copy_fixture("bulk_1_2");
    let path = dir.path().join("users.csv");
    let text = std::fs::read_to_string(&path).expect("utf-8 fixture");
    let mut bytes = Vec::new();
    let (before, after) = text.split_once("José").expect("José in users.csv");
    bytes.extend_from_slice(before.as_bytes());
    bytes.extend_from_slice(b"Jos\xE9"); // Latin-1, as old exports write it
    bytes.extend_from_slice(after.as_bytes());
    std::fs::write(&path, bytes).expect("write");
    rejected(dir.path(), &["users.csv:3: not valid UTF-8 text (save the file as UTF-8)"]);
}

#[test]
fn rejects_every_problem_at_once_with_locations() {
    let dir = copy_fixture("bulk_1_2");
    edit(dir.path(), "users.csv", ",true,jgarcia,", ",yes,jgarcia,");
    edit(dir.path(), "enrollments.csv", "e-s1-6a,,,cls-6a,sch-1,s-1", "e-s1-6a,,,cls-6a,sch-1,s-99");
    edit(dir.path(), "demographics.csv", ",male,", ",M,");
    edit(dir.path(), "classes.csv", ",scheduled,Room 14", ",lecture,Room 14");
    rejected(
        dir.path(),
        &[
            "classes.csv:4: classType: unknown class type \"lecture\" (expected homeroom, scheduled or ext:...)",
            "users.csv:3: enabledUser: expected true or false, found \"yes\"",
            "demographics.csv:2: sex: unknown value \"M\" (expected female, male, other or unspecified)",
        ],
    );
    // The reference problem shows once the values are fixed.
    let dir = copy_fixture("bulk_1_2");
    edit(dir.path(), "enrollments.csv", "e-s1-6a,,,cls-6a,sch-1,s-1", "e-s1-6a,,,cls-6a,sch-1,s-99");
    rejected(dir.path(), &["enrollments.csv:4: userSourcedId: unknown user \"s-99\""]);
}

#[test]
fn rejects_a_delta_row_without_status_or_date() {
    let dir = copy_fixture("delta_1_2");
    edit(dir.path(), "roles.csv", "r-s-4,active,", "r-s-4,,");
    rejected(dir.path(), &["roles.csv:3: status: required in a delta file"]);
}

#[test]
fn rejects_a_deletion_that_would_leave_stored_rows_dangling() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(
        dir.path().join("manifest.csv"),
        "propertyName,value\nmanifest.version,1.0\noneroster.version,1.2\nfile.courses,bulk\n",
    )
    .expect("manifest");
    std::fs::write(
        dir.path().join("courses.csv"),
        "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes\n\
         crs-math6,,,sy-2027,Math 6,M6,06,sch-1,Mathematics,\n",
    )
    .expect("courses");
    rejected(
        dir.path(),
        &["classes.csv: courseSourcedId: stored class \"cls-7a\" refers to course \"crs-math7\", \
           which is not on the roster after this import"],
    );
}

#[test]
fn rejects_removing_a_guardian_a_stored_student_still_lists() {
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("manifest.csv"), "propertyName,value\noneroster.version,1.2\nfile.users,delta\n")
        .expect("manifest");
    std::fs::write(
        dir.path().join("users.csv"),
        "sourcedId,status,dateLastModified,enabledUser,username,givenName,familyName\n\
         g-2,tobedeleted,2026-09-01T00:00:00Z,,,,\n",
    )
    .expect("users");
    rejected(
        dir.path(),
        &["users.csv: agentSourcedIds: stored user \"s-2\" refers to user \"g-2\", \
           which is not on the roster after this import"],
    );
}
