//! Property: import → export (of what is kept) → import is stable. Random small rosters with
//! awkward names (quotes, commas, newlines, non-ASCII), optional fields, guardians and
//! demographics are written as OneRoster 1.2 CSV, imported, exported, and the export
//! re-imported: the re-import changes nothing and a fresh import of it exports identically.

use std::path::Path;

use proptest::prelude::*;

use crate::import::export_oneroster;
use crate::import::test_support::import_roster;
use crate::store::roster;
use crate::store::roster::test_support::migrated_connection;

#[derive(Debug, Clone)]
struct Person {
    given: String,
    family: String,
    email: Option<String>,
}

#[derive(Debug, Clone)]
struct Student {
    person: Person,
    grade: u8,
    class: usize,
    guardians: Vec<usize>,
    sex: &'static str,
    flags: [Option<bool>; 7],
}

#[derive(Debug, Clone)]
struct Roster {
    classes: usize,
    teachers: Vec<Person>,
    guardians: Vec<Person>,
    students: Vec<Student>,
}

fn name() -> impl Strategy<Value = String> {
    "[A-Za-zÀ-ÖØ-öø-ÿ'\"-]([A-Za-zÀ-ÿ ,'\"\n-]{0,8}[A-Za-zÀ-ÿ])?"
}

fn person() -> impl Strategy<Value = Person> {
    (name(), name(), proptest::option::of("[a-z]{1,6}@[a-z]{1,6}\\.example"))
        .prop_map(|(given, family, email)| Person { given, family, email })
}

fn roster() -> impl Strategy<Value = Roster> {
    (1usize..=3, 0usize..=3)
        .prop_flat_map(|(classes, guardian_count)| {
            let student = (
                person(),
                6u8..=8,
                0..classes,
                proptest::collection::vec(0..guardian_count.max(1), 0..=guardian_count.min(2)),
                prop::sample::select(vec!["female", "male", "other", "unspecified", ""]),
                prop::array::uniform7(proptest::option::of(any::<bool>())),
            )
                .prop_map(move |(person, grade, class, mut guardians, sex, flags)| {
                    guardians.sort_unstable();
                    guardians.dedup();
                    if guardian_count == 0 {
                        guardians.clear();
                    }
                    Student { person, grade, class, guardians, sex, flags }
                });
            (
                Just(classes),
                proptest::collection::vec(person(), 1..=2),
                proptest::collection::vec(person(), guardian_count),
                proptest::collection::vec(student, 1..=5),
            )
        })
        .prop_map(|(classes, teachers, guardians, students)| Roster { classes, teachers, guardians, students })
}

fn write(dir: &Path, name: &str, rows: Vec<Vec<String>>) {
    let mut writer = csv::Writer::from_path(dir.join(name)).expect("create");
    for row in rows {
        writer.write_record(&row).expect("write");
    }
    writer.flush().expect("flush");
}

fn cells(values: &[&str]) -> Vec<String> {
    values.iter().map(|v| (*v).to_owned()).collect()
}

fn flag(value: Option<bool>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Writes the roster as a OneRoster 1.2 bulk export.
fn write_roster(dir: &Path, roster: &Roster) {
    write(
        dir,
        "manifest.csv",
        vec![
            cells(&["propertyName", "value"]),
            cells(&["oneroster.version", "1.2"]),
            cells(&["file.orgs", "bulk"]),
            cells(&["file.academicSessions", "bulk"]),
            cells(&["file.courses", "bulk"]),
            cells(&["file.classes", "bulk"]),
            cells(&["file.users", "bulk"]),
            cells(&["file.roles", "bulk"]),
            cells(&["file.enrollments", "bulk"]),
            cells(&["file.demographics", "bulk"]),
        ],
    );
    write(dir, "orgs.csv", vec![cells(&["sourcedId", "name", "type"]), cells(&["sch", "School, \"North\"", "school"])]);
    write(
        dir,
        "academicSessions.csv",
        vec![
            cells(&["sourcedId", "title", "type", "startDate", "endDate", "schoolYear"]),
            cells(&["sy", "2026-2027", "schoolYear", "2026-08-24", "2027-06-11", "2027"]),
        ],
    );
    write(
        dir,
        "courses.csv",
        vec![cells(&["sourcedId", "title", "orgSourcedId", "grades"]), cells(&["crs", "Math", "sch", "06,07,08"])],
    );
    let mut classes = vec![cells(&[
        "sourcedId",
        "title",
        "courseSourcedId",
        "classType",
        "schoolSourcedId",
        "termSourcedIds",
        "periods",
    ])];
    for c in 0..roster.classes {
        classes.push(vec![
            format!("cls-{c}"),
            format!("Math, period {c}"),
            "crs".into(),
            "scheduled".into(),
            "sch".into(),
            "sy".into(),
            format!("{},{}", c + 1, c + 2),
        ]);
    }
    write(dir, "classes.csv", classes);

    let mut users = vec![cells(&[
        "sourcedId",
        "enabledUser",
        "username",
        "givenName",
        "familyName",
        "email",
        "agentSourcedIds",
        "grades",
        "password",
        "primaryOrgSourcedId",
    ])];
    let mut roles = vec![cells(&["sourcedId", "userSourcedId", "roleType", "role", "orgSourcedId"])];
    let mut enrollments = vec![cells(&["sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"])];
    let mut user = |id: String, person: &Person, agents: String, grade: String, role: &str| {
        users.push(vec![
            id.clone(),
            "true".into(),
            format!("user-{id}"),
            person.given.clone(),
            person.family.clone(),
            person.email.clone().unwrap_or_default(),
            agents,
            grade,
            "secret".into(),
            "sch".into(),
        ]);
        roles.push(vec![format!("r-{id}"), id, "primary".into(), role.into(), "sch".into()]);
    };
    for (t, teacher) in roster.teachers.iter().enumerate() {
        user(format!("t-{t}"), teacher, String::new(), String::new(), "teacher");
    }
    for (g, guardian) in roster.guardians.iter().enumerate() {
        user(format!("g-{g}"), guardian, String::new(), String::new(), "guardian");
    }
    let mut demographics = vec![cells(&[
        "sourcedId",
        "birthDate",
        "sex",
        "americanIndianOrAlaskaNative",
        "asian",
        "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander",
        "white",
        "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity",
    ])];
    for (s, student) in roster.students.iter().enumerate() {
        let agents: Vec<String> = student.guardians.iter().map(|g| format!("g-{g}")).collect();
        user(format!("s-{s}"), &student.person, agents.join(","), format!("{:02}", student.grade), "student");
        let mut row = vec![format!("s-{s}"), "2014-05-06".into(), student.sex.into()];
        row.extend(student.flags.iter().map(|f| flag(*f)));
        demographics.push(row);
    }
    for (t, _) in roster.teachers.iter().enumerate() {
        for c in 0..roster.classes {
            enrollments.push(vec![
                format!("e-t{t}-{c}"),
                format!("cls-{c}"),
                "sch".into(),
                format!("t-{t}"),
                "teacher".into(),
            ]);
        }
    }
    for (s, student) in roster.students.iter().enumerate() {
        enrollments.push(vec![
            format!("e-s{s}"),
            format!("cls-{}", student.class),
            "sch".into(),
            format!("s-{s}"),
            "student".into(),
        ]);
    }
    write(dir, "users.csv", users);
    write(dir, "roles.csv", roles);
    write(dir, "enrollments.csv", enrollments);
    write(dir, "demographics.csv", demographics);
}

fn read_dir_files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .map(|entry| {
            let entry = entry.expect("entry");
            (entry.file_name().to_string_lossy().into_owned(), std::fs::read(entry.path()).expect("read"))
        })
        .collect();
    files.sort();
    files
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn import_export_import_is_stable(roster in roster()) {
        let input = tempfile::tempdir().expect("tmp");
        write_roster(input.path(), &roster);
        let conn = migrated_connection();
        import_roster(&conn, input.path()).expect("generated roster imports");

        let users = roster::load_users(&conn).expect("users");
        for (s, student) in roster.students.iter().enumerate() {
            let stored = &users[&format!("s-{s}")].record.identity;
            prop_assert_eq!(&stored.given_name, student.person.given.trim());
            prop_assert_eq!(&stored.family_name, student.person.family.trim());
        }

        let first = tempfile::tempdir().expect("tmp");
        export_oneroster(&conn, first.path()).expect("exports");
        let again = import_roster(&conn, first.path()).expect("export re-imports");
        prop_assert!(again.changed_nothing(), "{:?}", again.files);

        let fresh = migrated_connection();
        import_roster(&fresh, first.path()).expect("export imports into an empty node");
        let second = tempfile::tempdir().expect("tmp");
        export_oneroster(&fresh, second.path()).expect("exports");
        prop_assert_eq!(read_dir_files(first.path()), read_dir_files(second.path()));
    }
}
