//! Writes the OneRoster 1.2 bulk CSV files (manifest, orgs, academicSessions, courses, classes,
//! users, roles, enrollments, demographics) with the headers the 1EdTech CSV binding spells
//! (shared with the node's roster export: `import::bulk_files`).

use std::io::Write;

use super::model::{Person, SyntheticSchool};
use super::rng::{stream, uuid, Purpose};
use crate::import::bulk_files::{date, manifest_rows, RosterFile};

/// Role and enrollment sourcedIds come from their own streams (they exist only in the files).
const ROLE_IDS: u64 = 1;
const ENROLLMENT_IDS: u64 = 2;

type Csv<W> = csv::Writer<W>;

fn header<W: Write>(w: &mut Csv<W>, file: RosterFile) -> csv::Result<()> {
    w.write_record(file.header())
}

fn flag(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

pub(crate) fn manifest<W: Write>(_: &SyntheticSchool, w: &mut Csv<W>) -> csv::Result<usize> {
    let rows = manifest_rows("Lantern synthetic school", "lantern-synth");
    for row in &rows {
        w.write_record(row)?;
    }
    Ok(rows.len() - 1)
}

pub(crate) fn orgs<W: Write>(school: &SyntheticSchool, w: &mut Csv<W>) -> csv::Result<usize> {
    header(w, RosterFile::Orgs)?;
    let modified = school.date_last_modified();
    for org in [&school.district, &school.school] {
        let parent = org.parent.as_deref().unwrap_or("");
        w.write_record([&org.sourced_id, "", &modified, &org.name, org.org_type.as_str(), &org.identifier, parent])?;
    }
    Ok(2)
}

pub(crate) fn academic_sessions<W: Write>(school: &SyntheticSchool, w: &mut Csv<W>) -> csv::Result<usize> {
    header(w, RosterFile::AcademicSessions)?;
    let modified = school.date_last_modified();
    for s in &school.sessions {
        let (start, end, year) = (date(s.start_date), date(s.end_date), s.school_year.to_string());
        let parent = s.parent.as_deref().unwrap_or("");
        w.write_record([&s.sourced_id, "", &modified, &s.title, s.session_type.as_str(), &start, &end, parent, &year])?;
    }
    Ok(school.sessions.len())
}

pub(crate) fn courses<W: Write>(school: &SyntheticSchool, w: &mut Csv<W>) -> csv::Result<usize> {
    header(w, RosterFile::Courses)?;
    let modified = school.date_last_modified();
    let year = &school.sessions[0].sourced_id;
    for c in &school.courses {
        let org = &school.school.sourced_id;
        w.write_record([
            &c.sourced_id,
            "",
            &modified,
            year,
            &c.title,
            &c.course_code,
            c.grade.ceds_code(),
            org,
            "Mathematics",
            "",
        ])?;
    }
    Ok(school.courses.len())
}

pub(crate) fn classes<W: Write>(school: &SyntheticSchool, w: &mut Csv<W>) -> csv::Result<usize> {
    header(w, RosterFile::Classes)?;
    let modified = school.date_last_modified();
    let terms = school.sessions[1..].iter().map(|s| s.sourced_id.as_str()).collect::<Vec<_>>().join(",");
    for c in &school.classes {
        let course = &school.courses[c.course].sourced_id;
        w.write_record([
            c.sourced_id.as_str(),
            "",
            &modified,
            &c.title,
            c.grade.ceds_code(),
            course,
            &c.class_code,
            "scheduled",
            &c.location,
            &school.school.sourced_id,
            &terms,
            "Mathematics",
            "",
            &c.period.to_string(),
        ])?;
    }
    Ok(school.classes.len())
}

fn user_row<W: Write>(
    w: &mut Csv<W>,
    school: &SyntheticSchool,
    person: &Person,
    agents: &str,
    grades: &str,
) -> csv::Result<()> {
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    w.write_record([
        person.sourced_id.as_str(),
        "",
        &school.date_last_modified(),
        "true",
        &person.username,
        "",
        &person.given_name,
        &person.family_name,
        &opt(&person.middle_name),
        &person.identifier,
        &person.email,
        "",
        &opt(&person.phone),
        agents,
        grades,
        "",
        &opt(&person.user_master_identifier),
        "",
        &opt(&person.preferred_given_name),
        "",
        "",
        &school.school.sourced_id,
        "",
    ])
}

/// Students (agents: their guardians), then guardians (agents: their children), then teachers.
pub(crate) fn users<W: Write>(school: &SyntheticSchool, w: &mut Csv<W>) -> csv::Result<usize> {
    header(w, RosterFile::Users)?;
    let join = |ids: Vec<&str>| ids.join(",");
    for s in &school.students {
        let agents = join(s.guardians.iter().map(|g| school.guardians[*g].person.sourced_id.as_str()).collect());
        user_row(w, school, &s.person, &agents, s.grade.ceds_code())?;
    }
    for g in &school.guardians {
        let agents = join(g.children.iter().map(|s| school.students[*s].person.sourced_id.as_str()).collect());
        user_row(w, school, &g.person, &agents, "")?;
    }
    for t in &school.teachers {
        user_row(w, school, &t.person, "", "")?;
    }
    Ok(school.students.len() + school.guardians.len() + school.teachers.len())
}

pub(crate) fn roles<W: Write>(school: &SyntheticSchool, w: &mut Csv<W>) -> csv::Result<usize> {
    header(w, RosterFile::Roles)?;
    let mut ids = stream(school.params.seed, Purpose::Roster, ROLE_IDS);
    let modified = school.date_last_modified();
    let (begin, end) = (date(school.sessions[0].start_date), date(school.sessions[0].end_date));
    let people = school
        .students
        .iter()
        .map(|s| (&s.person, "student"))
        .chain(school.guardians.iter().map(|g| (&g.person, g.role.as_str())))
        .chain(school.teachers.iter().map(|t| (&t.person, "teacher")));
    let mut rows = 0;
    for (person, role) in people {
        let id = uuid(&mut ids).to_string();
        let org = &school.school.sourced_id;
        w.write_record([&id, "", &modified, &person.sourced_id, "primary", role, &begin, &end, org, ""])?;
        rows += 1;
    }
    Ok(rows)
}

/// A teacher enrollment (primary) for each class, then one student enrollment per student.
pub(crate) fn enrollments<W: Write>(school: &SyntheticSchool, w: &mut Csv<W>) -> csv::Result<usize> {
    header(w, RosterFile::Enrollments)?;
    let mut ids = stream(school.params.seed, Purpose::Roster, ENROLLMENT_IDS);
    let modified = school.date_last_modified();
    let (begin, end) = (date(school.sessions[0].start_date), date(school.sessions[0].end_date));
    let mut rows = 0;
    for class in &school.classes {
        let teacher = std::iter::once((&school.teachers[class.teacher].person, "teacher", "true"));
        let students = class.students.iter().map(|s| (&school.students[*s].person, "student", "false"));
        for (person, role, primary) in teacher.chain(students) {
            let id = uuid(&mut ids).to_string();
            let org = &school.school.sourced_id;
            let user = &person.sourced_id;
            w.write_record([&id, "", &modified, &class.sourced_id, org, user, role, primary, &begin, &end])?;
            rows += 1;
        }
    }
    Ok(rows)
}

pub(crate) fn demographics<W: Write>(school: &SyntheticSchool, w: &mut Csv<W>) -> csv::Result<usize> {
    header(w, RosterFile::Demographics)?;
    let modified = school.date_last_modified();
    for s in &school.students {
        let d = &s.demographics;
        w.write_record([
            s.person.sourced_id.as_str(),
            "",
            &modified,
            &date(d.birth_date),
            d.sex.as_str(),
            flag(d.american_indian_or_alaska_native),
            flag(d.asian),
            flag(d.black_or_african_american),
            flag(d.native_hawaiian_or_other_pacific_islander),
            flag(d.white),
            flag(d.two_or_more_races),
            flag(d.hispanic_or_latino),
            d.country_of_birth,
            d.state_of_birth.unwrap_or(""),
            d.city_of_birth.unwrap_or(""),
            "",
        ])?;
    }
    Ok(school.students.len())
}
