//! Writing the stored roster back out as a OneRoster 1.2 bulk CSV export — only what Lantern
//! keeps (dropped columns are left blank; demographics come back from the subgroup vocabulary,
//! without birth dates). Importing the export changes nothing: the round trip is stable.

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::Connection;

use super::bulk_files::{date, manifest_rows, RosterFile};
use super::demographics::{to_columns, ALL_COLUMNS as DEMOGRAPHICS_COLUMNS};
use crate::import::error::{database, ImportError};
use crate::store::roster::{self, records::Stored};

/// Writes the stored roster to `dir` (created if missing) as OneRoster 1.2 bulk CSV files.
pub fn export_oneroster(conn: &Connection, dir: &Path) -> Result<(), ImportError> {
    fs::create_dir_all(dir).map_err(|source| ImportError::Io { path: dir.to_owned(), source })?;
    let manifest = manifest_rows("Lantern node", "lantern").iter().map(|row| owned(row)).collect();
    write_csv(dir, "manifest.csv", manifest)?;

    let orgs = roster::load_orgs(conn).map_err(database("loading orgs"))?;
    let mut rows = vec![owned(&RosterFile::Orgs.header())];
    rows.extend(sorted(&orgs).map(|(id, org)| {
        let r = &org.record;
        record_row(id, org, [r.name.clone(), r.org_type.clone(), opt(&r.identifier), opt(&r.parent_sourced_id)])
    }));
    write_csv(dir, "orgs.csv", rows)?;

    let sessions = roster::load_sessions(conn).map_err(database("loading academic sessions"))?;
    let mut rows = vec![owned(&RosterFile::AcademicSessions.header())];
    rows.extend(sorted(&sessions).map(|(id, session)| {
        let r = &session.record;
        record_row(
            id,
            session,
            [
                r.title.clone(),
                r.session_type.clone(),
                date(r.start_date),
                date(r.end_date),
                opt(&r.parent_sourced_id),
                r.school_year.to_string(),
            ],
        )
    }));
    write_csv(dir, "academicSessions.csv", rows)?;

    let courses = roster::load_courses(conn).map_err(database("loading courses"))?;
    let mut rows = vec![owned(&RosterFile::Courses.header())];
    rows.extend(sorted(&courses).map(|(id, course)| {
        let r = &course.record;
        record_row(
            id,
            course,
            [
                opt(&r.school_year_sourced_id),
                r.title.clone(),
                opt(&r.course_code),
                r.grades.join(","),
                r.org_sourced_id.clone(),
                r.subjects.join(","),
                r.subject_codes.join(","),
            ],
        )
    }));
    write_csv(dir, "courses.csv", rows)?;

    let classes = roster::load_classes(conn).map_err(database("loading classes"))?;
    let mut rows = vec![owned(&RosterFile::Classes.header())];
    rows.extend(sorted(&classes).map(|(id, class)| {
        let r = &class.record;
        record_row(
            id,
            class,
            [
                r.title.clone(),
                r.grades.join(","),
                r.course_sourced_id.clone(),
                opt(&r.class_code),
                r.class_type.clone(),
                opt(&r.location),
                r.school_sourced_id.clone(),
                r.term_sourced_ids.join(","),
                r.subjects.join(","),
                r.subject_codes.join(","),
                r.periods.join(","),
            ],
        )
    }));
    write_csv(dir, "classes.csv", rows)?;

    let users = roster::load_users(conn).map_err(database("loading users"))?;
    let mut rows = vec![owned(&RosterFile::Users.header())];
    rows.extend(sorted(&users).map(|(id, user)| {
        let r = &user.record;
        let who = &r.identity;
        record_row(
            id,
            user,
            [
                r.enabled.to_string(),
                who.username.clone(),
                String::new(),
                who.given_name.clone(),
                who.family_name.clone(),
                opt(&who.middle_name),
                opt(&who.identifier),
                opt(&who.email),
                String::new(),
                opt(&who.phone),
                r.agent_sourced_ids.join(","),
                r.grades.join(","),
                String::new(),
                String::new(),
                String::new(),
                opt(&who.preferred_given_name),
                opt(&who.preferred_middle_name),
                opt(&who.preferred_family_name),
                opt(&r.primary_org_sourced_id),
                String::new(),
            ],
        )
    }));
    write_csv(dir, "users.csv", rows)?;

    let roles = roster::load_roles(conn).map_err(database("loading roles"))?;
    let mut rows = vec![owned(&RosterFile::Roles.header())];
    rows.extend(sorted(&roles).map(|(id, role)| {
        let r = &role.record;
        record_row(
            id,
            role,
            [
                r.user_sourced_id.clone(),
                r.role_type.as_str().to_owned(),
                r.role.as_str().to_owned(),
                r.begin_date.map(date).unwrap_or_default(),
                r.end_date.map(date).unwrap_or_default(),
                r.org_sourced_id.clone(),
                String::new(),
            ],
        )
    }));
    write_csv(dir, "roles.csv", rows)?;

    let enrollments = roster::load_enrollments(conn).map_err(database("loading enrollments"))?;
    let mut rows = vec![owned(&RosterFile::Enrollments.header())];
    rows.extend(sorted(&enrollments).map(|(id, enrollment)| {
        let r = &enrollment.record;
        record_row(
            id,
            enrollment,
            [
                r.class_sourced_id.clone(),
                r.school_sourced_id.clone(),
                r.user_sourced_id.clone(),
                r.role.as_str().to_owned(),
                r.primary.map(|p| p.to_string()).unwrap_or_default(),
                r.begin_date.map(date).unwrap_or_default(),
                r.end_date.map(date).unwrap_or_default(),
            ],
        )
    }));
    write_csv(dir, "enrollments.csv", rows)?;

    let demographics = roster::load_demographics(conn).map_err(database("loading demographics"))?;
    let mut rows = vec![owned(&RosterFile::Demographics.header())];
    rows.extend(sorted(&demographics).map(|(id, stored)| {
        let values = to_columns(&stored.record);
        let mut row = vec![id.clone(), "active".to_owned(), instant(stored.date_last_modified)];
        row.extend(DEMOGRAPHICS_COLUMNS[3..].iter().map(|column| values.get(column).cloned().unwrap_or_default()));
        row
    }));
    write_csv(dir, "demographics.csv", rows)
}

/// A row of these texts.
fn owned(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

fn sorted<T>(records: &HashMap<String, Stored<T>>) -> impl Iterator<Item = (&String, &Stored<T>)> {
    let mut entries: Vec<_> = records.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries.into_iter()
}

/// sourcedId, status, dateLastModified, then the record's own columns.
fn record_row<T, const N: usize>(id: &str, stored: &Stored<T>, rest: [String; N]) -> Vec<String> {
    let mut row = Vec::with_capacity(N + 3);
    row.push(id.to_owned());
    row.push("active".to_owned());
    row.push(instant(stored.date_last_modified));
    row.extend(rest);
    row
}

fn opt(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn instant(value: Option<DateTime<Utc>>) -> String {
    value.map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true)).unwrap_or_default()
}

fn write_csv(dir: &Path, name: &str, rows: Vec<Vec<String>>) -> Result<(), ImportError> {
    let path = dir.join(name);
    let io_error = |source: std::io::Error| ImportError::Io { path: path.clone(), source };
    let mut writer = csv::Writer::from_path(&path).map_err(|error| io_error(error.into()))?;
    for row in rows {
        writer.write_record(&row).map_err(|error| io_error(error.into()))?;
    }
    writer.flush().map_err(io_error)
}
