//! A school-sized roster (2,000 students, their guardians, 80 teachers, 240 classes, ~14,000
//! enrollments) imports in one transaction, quickly, and re-imports as a no-op. The bar is
//! < 2 s in a release build; this debug-build test only guards against gross regressions.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::import::test_support::import_roster;
use crate::store::roster::test_support::migrated_connection;

const STUDENTS: usize = 2_000;
const TEACHERS: usize = 80;
const CLASSES: usize = 240;
const CLASSES_PER_STUDENT: usize = 6;

fn write_school(dir: &Path) {
    let file = |name: &str, text: String| std::fs::write(dir.join(name), text).expect("write");
    file(
        "manifest.csv",
        "propertyName,value\nmanifest.version,1.0\noneroster.version,1.2\nfile.orgs,bulk\n\
         file.academicSessions,bulk\nfile.courses,bulk\nfile.classes,bulk\nfile.users,bulk\n\
         file.roles,bulk\nfile.enrollments,bulk\nfile.demographics,bulk\n"
            .into(),
    );
    file(
        "orgs.csv",
        "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n\
         sch,,,Big Middle School,school,BMS,\n"
            .into(),
    );
    file(
        "academicSessions.csv",
        "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\n\
         sy,,,2026-2027,schoolYear,2026-08-24,2027-06-11,,2027\n"
            .into(),
    );
    file(
        "courses.csv",
        "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,orgSourcedId,subjects,subjectCodes\n\
         crs,,,sy,Math,M,\"06,07,08\",sch,Mathematics,\n"
            .into(),
    );
    let mut classes = String::from(
        "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods\n",
    );
    for c in 0..CLASSES {
        let _ =
            writeln!(classes, "cls-{c},,,Section {c},06,crs,S{c},scheduled,Room {c},sch,sy,Mathematics,,{}", c % 8 + 1);
    }
    file("classes.csv", classes);

    let mut users = String::from(
        "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,resourceSourcedIds,preferredGivenName,preferredMiddleName,preferredFamilyName,primaryOrgSourcedId,pronouns\n",
    );
    let mut roles = String::from(
        "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,orgSourcedId,userProfileSourcedId\n",
    );
    let mut enrollments = String::from(
        "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate\n",
    );
    let mut demographics = String::from(
        "sourcedId,status,dateLastModified,birthDate,sex,americanIndianOrAlaskaNative,asian,blackOrAfricanAmerican,nativeHawaiianOrOtherPacificIslander,white,demographicRaceTwoOrMoreRaces,hispanicOrLatinoEthnicity,countryOfBirthCode,stateOfBirthAbbreviation,cityOfBirth,publicSchoolResidenceStatus\n",
    );
    for t in 0..TEACHERS {
        let _ = writeln!(users, "t-{t},,,true,teacher{t},,Teacher,Number {t},,T{t},t{t}@school.example,,,,,,,,,,,sch,");
        let _ = writeln!(roles, "r-t-{t},,,t-{t},primary,teacher,,,sch,");
        for k in 0..CLASSES / TEACHERS {
            let c = t * (CLASSES / TEACHERS) + k;
            let _ = writeln!(enrollments, "e-t{t}-{c},,,cls-{c},sch,t-{t},teacher,true,,");
        }
    }
    for s in 0..STUDENTS {
        let _ = writeln!(
            users,
            "s-{s},,,true,student{s},,Stüdent,Nümber {s},,S{s},,,,g-{s},0{},pw{s},,,,,,sch,",
            6 + s % 3
        );
        let _ = writeln!(
            users,
            "g-{s},,,true,guardian{s},,Guardian,Of {s},,,g{s}@mail.example,,555-{s:04},s-{s},,,,,,,,sch,"
        );
        let _ = writeln!(roles, "r-s-{s},,,s-{s},primary,student,,,sch,");
        let _ = writeln!(roles, "r-g-{s},,,g-{s},primary,guardian,,,sch,");
        for k in 0..CLASSES_PER_STUDENT {
            let c = (s * 7 + k * 41) % CLASSES;
            let _ = writeln!(enrollments, "e-s{s}-{k},,,cls-{c},sch,s-{s},student,false,,");
        }
        let sex = ["female", "male", "other", "unspecified"][s % 4];
        let _ = writeln!(
            demographics,
            "s-{s},,,2014-01-01,{sex},false,{},false,false,{},false,{},US,CA,Town,",
            s % 5 == 0,
            s % 3 == 0,
            s % 7 == 0
        );
    }
    file("users.csv", users);
    file("roles.csv", roles);
    file("enrollments.csv", enrollments);
    file("demographics.csv", demographics);
}

#[test]
fn a_school_sized_roster_imports_in_one_go_and_reimports_as_a_no_op() {
    let dir = tempfile::tempdir().expect("tmp");
    write_school(dir.path());
    let conn = migrated_connection();

    let started = Instant::now();
    let report = import_roster(&conn, dir.path()).expect("imports");
    let first = started.elapsed();
    let users = report.file("users.csv").expect("users");
    assert_eq!(users.added as usize, TEACHERS + 2 * STUDENTS);
    let enrollments = report.file("enrollments.csv").expect("enrollments");
    assert_eq!(enrollments.added as usize, CLASSES + STUDENTS * CLASSES_PER_STUDENT);

    let started = Instant::now();
    let again = import_roster(&conn, dir.path()).expect("reimports");
    let second = started.elapsed();
    assert!(again.changed_nothing());
    eprintln!("2,000-student roster: first import {first:?}, re-import {second:?} (debug build)");
    assert!(first < Duration::from_secs(10), "import took {first:?}; per-row work is too slow");
}
