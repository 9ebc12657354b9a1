//! Tests of OneRoster imports against the hand-made exports in node/tests/fixtures/oneroster:
//! a 1.2 bulk export with real-world quirks, a 1.1 export, a 1.2 delta, re-imports, a zip, and
//! one rejected import per failure class (exact message, every table unchanged).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use rusqlite::Connection;

use crate::import::report::FileMode;
use crate::import::test_support::{
    copy_fixture, dump_without_history, edit, fixture, import_roster, import_roster_with, rostered_connection,
};
use crate::import::{list_imports, ImportOptions, ImportReport};
use crate::store::roster::records::UserRole;
use crate::store::roster::test_support::{dump_all_tables, migrated_connection};
use crate::store::roster::{self};

fn counts(report: &ImportReport, file: &str) -> (u64, u64, u64, u64) {
    let counts = report.file(file).unwrap_or_else(|| panic!("{file} in report"));
    (counts.added, counts.updated, counts.deleted, counts.unchanged)
}

fn pairs(conn: &Connection, sql: &str) -> BTreeSet<(String, String)> {
    let mut statement = conn.prepare(sql).expect("prepare");
    let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).expect("query");
    rows.collect::<Result<_, _>>().expect("rows")
}

#[test]
fn bulk_1_2_export_with_real_world_quirks_imports_everything() {
    let conn = migrated_connection();
    let report = import_roster(&conn, &fixture("bulk_1_2")).expect("imports");

    assert_eq!(report.format, "OneRoster 1.2 CSV");
    assert_eq!(counts(&report, "orgs.csv"), (2, 0, 0, 0));
    assert_eq!(counts(&report, "academicSessions.csv"), (2, 0, 0, 0));
    assert_eq!(counts(&report, "courses.csv"), (2, 0, 0, 0));
    assert_eq!(counts(&report, "classes.csv"), (2, 0, 0, 0));
    assert_eq!(counts(&report, "users.csv"), (6, 0, 0, 0));
    assert_eq!(counts(&report, "roles.csv"), (6, 0, 0, 0));
    assert_eq!(counts(&report, "enrollments.csv"), (5, 0, 0, 0));
    assert_eq!(counts(&report, "demographics.csv"), (3, 0, 0, 0));
    assert!(report.files.iter().all(|f| f.mode == FileMode::Bulk));
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);

    let dropped: Vec<String> =
        report.dropped_columns.iter().map(|d| format!("{} {}: {}", d.file, d.column, d.reason)).collect();
    assert_eq!(
        dropped,
        [
            "users.csv userIds: identifiers in other systems are not used by Lantern",
            "users.csv sms: personal data Lantern does not use",
            "users.csv password: passwords are never stored",
            "users.csv pronouns: personal data Lantern does not use",
            "users.csv x-district-house: not a OneRoster 1.2 column (vendor extension); ignored",
            "demographics.csv birthDate: birth dates are not kept",
            "demographics.csv countryOfBirthCode: not one of the policy's audit subgroups",
            "demographics.csv stateOfBirthAbbreviation: not one of the policy's audit subgroups",
            "demographics.csv cityOfBirth: birth places are not kept",
        ]
    );

    // Quoted comma + CRLF inside a field, list field, non-ASCII text.
    let classes = roster::load_classes(&conn).expect("classes");
    let class = &classes["cls-6a"].record;
    assert_eq!(class.location.as_deref(), Some("Portable 3,\r\nback lot"));
    assert_eq!(class.title, "Math 6 – Period 1");
    assert_eq!(classes["cls-7a"].record.periods, ["3", "4"]);
    let orgs = roster::load_orgs(&conn).expect("orgs");
    assert_eq!(orgs["sch-1"].record.name, "Lincoln Middle School, Riverside");
    let users = roster::load_users(&conn).expect("users");
    let jose = &users["s-1"].record;
    assert_eq!(jose.identity.given_name, "José");
    assert_eq!(jose.identity.family_name, "García-Núñez");
    assert_eq!(jose.identity.preferred_given_name.as_deref(), Some("Pepe"));
    assert_eq!(jose.agent_sourced_ids, ["g-1"]);
    assert_eq!(jose.grades, ["06"]);
    assert_eq!(users["s-2"].record.identity.family_name, "Nguyễn");

    // Subgroups in the public vocabulary; nothing else of demographics kept.
    let demographics = roster::load_demographics(&conn).expect("demographics");
    let subgroups =
        |id: &str| demographics[id].record.subgroups.iter().map(|(a, v)| format!("{a}={v}")).collect::<Vec<_>>();
    assert_eq!(subgroups("s-1"), ["race_ethnicity=hispanic_or_latino", "sex=male"]);
    assert_eq!(subgroups("s-2"), ["race_ethnicity=asian", "sex=female"]);
    assert_eq!(subgroups("s-3"), ["race_ethnicity=two_or_more", "sex=unknown"]);
    assert!(demographics.values().all(|d| d.record.birth_year.is_none()));

    // Scoping views for the auth code.
    let person = |id: &str| -> String {
        conn.query_row("SELECT pkey FROM person WHERE sourced_id = ?1", [id], |r| r.get(0)).expect("person")
    };
    assert_eq!(
        pairs(&conn, "SELECT guardian_pkey, student_pkey FROM guardian_link"),
        [(person("g-1"), person("s-1")), (person("g-2"), person("s-2"))].into_iter().collect()
    );
    assert_eq!(
        pairs(&conn, "SELECT pkey, class_sourced_id FROM teacher_class"),
        [(person("t-1"), "cls-6a".to_owned()), (person("t-1"), "cls-7a".to_owned())].into_iter().collect()
    );

    // The report is stored and listable.
    let listed = list_imports(&conn).expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0], report);
}

#[test]
fn identity_stays_in_person_and_passwords_nowhere() {
    let conn = rostered_connection();
    let user_ids = ["t-1", "s-1", "s-2", "s-3", "g-1", "g-2"];
    for row in dump_all_tables(&conn) {
        let (table, cells) = row.split_once(": ").expect("table prefix");
        assert!(!row.contains("hunter2") && !row.contains("pw-s1"), "password stored: {row}");
        assert!(!row.contains("Fresno") && !row.contains("2014-03-02"), "birth data: {row}");
        if !matches!(table, "person" | "roster_record") {
            for cell in cells.split('|') {
                assert!(!user_ids.contains(&cell), "user sourcedId outside person: {row}");
                assert!(!cell.contains("Okafor"), "name outside person: {row}");
            }
        }
    }
    let pkeys = pairs(&conn, "SELECT pkey, sourced_id FROM person");
    assert_eq!(pkeys.len(), 6);
    for (pkey, _) in pkeys {
        assert!(pkey.starts_with("p_") && pkey.len() == 18, "{pkey}");
    }
}

#[test]
fn reimporting_the_same_files_changes_nothing_and_keeps_pkeys() {
    let conn = rostered_connection();
    let before = dump_without_history(&conn);
    let report = import_roster(&conn, &fixture("bulk_1_2")).expect("reimports");
    assert!(report.changed_nothing(), "{:?}", report.files);
    assert_eq!(counts(&report, "enrollments.csv"), (0, 0, 0, 5));
    assert_eq!(dump_without_history(&conn), before);
    assert_eq!(list_imports(&conn).expect("list").len(), 2);
}

#[test]
fn delta_updates_deletes_and_ignores_stale_rows() {
    let conn = rostered_connection();
    let s1_pkey: String =
        conn.query_row("SELECT pkey FROM person WHERE sourced_id = 's-1'", [], |r| r.get(0)).expect("s-1");
    let report = import_roster(&conn, &fixture("delta_1_2")).expect("delta imports");
    assert!(report.files.iter().all(|f| f.mode == FileMode::Delta));
    // s-4 added, s-2 updated, s-3 deleted, t-1 stale.
    assert_eq!(counts(&report, "users.csv"), (1, 1, 1, 1));
    assert_eq!(counts(&report, "roles.csv"), (1, 0, 1, 0));
    assert_eq!(counts(&report, "enrollments.csv"), (1, 0, 1, 0));
    // s-4 added, s-1 stale.
    assert_eq!(counts(&report, "demographics.csv"), (1, 0, 0, 1));
    assert!(report.file("orgs.csv").is_none());

    let users = roster::load_users(&conn).expect("users");
    assert_eq!(users["t-1"].record.identity.given_name, "Amara", "stale row ignored");
    assert_eq!(users["s-2"].record.identity.preferred_given_name.as_deref(), Some("Minh"));
    assert!(!users.contains_key("s-3"));
    assert_eq!(users["s-4"].record.identity.given_name, "Ayşe");
    let off_roster: Option<String> = conn
        .query_row("SELECT off_roster_since FROM person WHERE sourced_id = 's-3'", [], |r| r.get(0))
        .expect("s-3 identity kept until purge");
    assert_eq!(off_roster.as_deref(), Some("2026-09-02T07:00:00.000Z"));
    let enrollments = roster::load_enrollments(&conn).expect("enrollments");
    assert!(!enrollments.contains_key("e-s3-6a"));
    assert_eq!(enrollments["e-s4-6a"].record.user_sourced_id, "s-4");
    let demographics = roster::load_demographics(&conn).expect("demographics");
    assert_eq!(demographics["s-1"].record.subgroups["sex"], "male");
    assert!(!demographics.contains_key("s-3"));
    let s1_after: String =
        conn.query_row("SELECT pkey FROM person WHERE sourced_id = 's-1'", [], |r| r.get(0)).expect("s-1");
    assert_eq!(s1_after, s1_pkey);

    // The same delta again: everything is now stale or equal, or already deleted.
    let again = import_roster(&conn, &fixture("delta_1_2")).expect("delta again");
    assert!(again.changed_nothing(), "{:?}", again.files);
    assert_eq!(again.warnings.len(), 3, "{:?}", again.warnings);
    assert_eq!(again.warnings[0], "users.csv:3: user \"s-3\" is marked tobedeleted but is not stored");
}

#[test]
fn one_point_one_export_reads_roles_from_users() {
    let conn = migrated_connection();
    let report = import_roster(&conn, &fixture("bulk_1_1")).expect("imports");
    assert_eq!(report.format, "OneRoster 1.1 CSV");
    assert_eq!(counts(&report, "users.csv"), (3, 0, 0, 0));
    assert_eq!(counts(&report, "users.csv (roles)"), (4, 0, 0, 0));
    assert!(report.dropped_columns.iter().any(|d| d.column == "password"));
    let roles = roster::load_roles(&conn).expect("roles");
    let mut teacher: Vec<String> = roles
        .values()
        .filter(|r| r.record.user_sourced_id == "t-9")
        .map(|r| format!("{} {} {}", r.record.role, r.record.role_type, r.record.org_sourced_id))
        .collect();
    teacher.sort();
    assert_eq!(teacher, ["teacher primary sch-9", "teacher secondary sch-10"]);
    assert!(roles.values().any(|r| r.record.user_sourced_id == "p-9" && r.record.role == UserRole::Parent));
    let links = pairs(
        &conn,
        "SELECT g.sourced_id, s.sourced_id FROM guardian_link l
           JOIN person g ON g.pkey = l.guardian_pkey JOIN person s ON s.pkey = l.student_pkey",
    );
    assert_eq!(links, [("p-9".to_owned(), "s-9".to_owned())].into_iter().collect());
    let users = roster::load_users(&conn).expect("users");
    assert_eq!(users["t-9"].record.primary_org_sourced_id.as_deref(), Some("sch-9"));

    let before = dump_without_history(&conn);
    let again = import_roster(&conn, &fixture("bulk_1_1")).expect("reimports");
    assert!(again.changed_nothing(), "{:?}", again.files);
    assert_eq!(dump_without_history(&conn), before);
}

#[test]
fn one_point_one_user_leaving_an_org_loses_that_role() {
    let conn = migrated_connection();
    import_roster(&conn, &fixture("bulk_1_1")).expect("imports");
    let dir = copy_fixture("bulk_1_1");
    edit(dir.path(), "users.csv", "\"sch-9,sch-10\"", "sch-9");
    let report = import_roster(&conn, dir.path()).expect("imports");
    assert_eq!(counts(&report, "users.csv (roles)"), (0, 0, 1, 3));
    let roles = roster::load_roles(&conn).expect("roles");
    assert!(roles.values().all(|r| r.record.org_sourced_id == "sch-9"));
}

pub(super) fn zip_directory(dir: &Path, zip_path: &Path, folder: &str) {
    let file = std::fs::File::create(zip_path).expect("create zip");
    let mut writer = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default();
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("dir").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().expect("name").to_string_lossy().into_owned();
        writer.start_file(format!("{folder}{name}"), options).expect("start");
        writer.write_all(&std::fs::read(&path).expect("read")).expect("write");
    }
    writer.finish().expect("finish");
}

#[test]
fn a_zip_imports_like_the_directory() {
    let tmp = tempfile::tempdir().expect("tmp");
    let zip_path = tmp.path().join("roster.zip");
    zip_directory(&fixture("bulk_1_2"), &zip_path, "export-2026-08-20/");
    let from_zip = migrated_connection();
    let report = import_roster(&from_zip, &zip_path).expect("zip imports");
    assert_eq!(counts(&report, "users.csv"), (6, 0, 0, 0));
    let from_dir = rostered_connection();
    let users = |conn: &Connection| {
        let mut users: Vec<_> =
            roster::load_users(conn).expect("users").into_iter().map(|(id, user)| (id, user.record)).collect();
        users.sort_by(|a, b| a.0.cmp(&b.0));
        users
    };
    assert_eq!(users(&from_zip), users(&from_dir));
}

#[test]
fn birth_year_is_kept_only_when_asked_and_options_are_checked() {
    let conn = migrated_connection();
    let opts = ImportOptions {
        keep_birth_year: true,
        kept_demographics: vec!["sex".into(), "countryOfBirthCode".into()],
        ..ImportOptions::default()
    };
    let report = import_roster_with(&conn, &fixture("bulk_1_2"), &opts).expect("imports");
    assert!(report
        .dropped_columns
        .iter()
        .any(|d| d.column == "birthDate" && d.reason == "only the birth year is kept"));
    let demographics = roster::load_demographics(&conn).expect("demographics");
    assert_eq!(demographics["s-1"].record.birth_year, Some(2014));
    assert_eq!(demographics["s-2"].record.subgroups["country_of_birth"], "VN");
    assert!(!demographics["s-2"].record.subgroups.contains_key("race_ethnicity"));

    let bad = ImportOptions { kept_demographics: vec!["birthDate".into()], ..ImportOptions::default() };
    let error = crate::import::read_oneroster(&fixture("bulk_1_2"), &bad).expect_err("refused");
    assert_eq!(
        error.to_string(),
        "import options: kept_demographics: \"birthDate\" is never kept (only the birth year, with keep_birth_year)"
    );
}

#[test]
fn progress_reports_reading_and_writing() {
    use std::sync::{Arc, Mutex};
    let stages = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&stages);
    let opts = ImportOptions {
        progress: Some(crate::import::Progress::new(move |update| {
            sink.lock().expect("lock").push(update.stage.to_owned());
        })),
        ..ImportOptions::default()
    };
    let conn = migrated_connection();
    import_roster_with(&conn, &fixture("bulk_1_2"), &opts).expect("imports");
    let stages = stages.lock().expect("lock");
    assert_eq!(stages.first().map(String::as_str), Some("reading OneRoster files"));
    assert!(stages.iter().any(|s| s == "writing roster"));
    assert_eq!(stages.last().map(String::as_str), Some("done"));
}

mod rejections;
mod round_trip;
mod scale;
