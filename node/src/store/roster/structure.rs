//! SQL for the school structure: orgs, academic sessions, courses, classes (with their terms)
//! and enrollments. Keyed by OneRoster sourcedIds, except enrollments, which use a record key
//! and the member's pkey.

use std::collections::HashMap;

use rusqlite::{params, Connection, OptionalExtension};

use super::people::{delete_record, record_key};
use super::records::{AcademicSession, Class, Course, Enrollment, EnrollmentRole, Org, Stored};
use super::{
    date_column, date_text, instant_text, list_text, optional_date_column, optional_instant_column, text_list,
};

/// Every stored org by sourcedId.
pub fn load_orgs(conn: &Connection) -> rusqlite::Result<HashMap<String, Stored<Org>>> {
    let mut statement = conn.prepare(
        "SELECT sourced_id, name, org_type, identifier, parent_sourced_id, date_last_modified
           FROM org",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get(0)?,
            Stored {
                record: Org {
                    name: row.get(1)?,
                    org_type: row.get(2)?,
                    identifier: row.get(3)?,
                    parent_sourced_id: row.get(4)?,
                },
                date_last_modified: optional_instant_column(row, 5)?,
            },
        ))
    })?;
    rows.collect()
}

/// Inserts or replaces one org.
pub fn upsert_org(conn: &Connection, sourced_id: &str, org: &Stored<Org>) -> rusqlite::Result<()> {
    let record = &org.record;
    conn.prepare_cached(
        "INSERT INTO org (sourced_id, name, org_type, identifier, parent_sourced_id,
                          date_last_modified)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (sourced_id) DO UPDATE SET
            name = excluded.name, org_type = excluded.org_type,
            identifier = excluded.identifier, parent_sourced_id = excluded.parent_sourced_id,
            date_last_modified = excluded.date_last_modified",
    )?
    .execute(params![
        sourced_id,
        record.name,
        record.org_type,
        record.identifier,
        record.parent_sourced_id,
        org.date_last_modified.map(instant_text),
    ])?;
    Ok(())
}

pub fn delete_org(conn: &Connection, sourced_id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM org WHERE sourced_id = ?1")?.execute([sourced_id])?;
    Ok(())
}

/// Every stored academic session by sourcedId.
pub fn load_sessions(conn: &Connection) -> rusqlite::Result<HashMap<String, Stored<AcademicSession>>> {
    let mut statement = conn.prepare(
        "SELECT sourced_id, title, session_type, start_date, end_date, parent_sourced_id,
                school_year, date_last_modified
           FROM academic_session",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get(0)?,
            Stored {
                record: AcademicSession {
                    title: row.get(1)?,
                    session_type: row.get(2)?,
                    start_date: date_column(row, 3)?,
                    end_date: date_column(row, 4)?,
                    parent_sourced_id: row.get(5)?,
                    school_year: row.get(6)?,
                },
                date_last_modified: optional_instant_column(row, 7)?,
            },
        ))
    })?;
    rows.collect()
}

pub fn upsert_session(conn: &Connection, sourced_id: &str, session: &Stored<AcademicSession>) -> rusqlite::Result<()> {
    let record = &session.record;
    conn.prepare_cached(
        "INSERT INTO academic_session (sourced_id, title, session_type, start_date, end_date,
                                       parent_sourced_id, school_year, date_last_modified)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (sourced_id) DO UPDATE SET
            title = excluded.title, session_type = excluded.session_type,
            start_date = excluded.start_date, end_date = excluded.end_date,
            parent_sourced_id = excluded.parent_sourced_id,
            school_year = excluded.school_year,
            date_last_modified = excluded.date_last_modified",
    )?
    .execute(params![
        sourced_id,
        record.title,
        record.session_type,
        date_text(record.start_date),
        date_text(record.end_date),
        record.parent_sourced_id,
        record.school_year,
        session.date_last_modified.map(instant_text),
    ])?;
    Ok(())
}

pub fn delete_session(conn: &Connection, sourced_id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM academic_session WHERE sourced_id = ?1")?.execute([sourced_id])?;
    Ok(())
}

/// Every stored course by sourcedId.
pub fn load_courses(conn: &Connection) -> rusqlite::Result<HashMap<String, Stored<Course>>> {
    let mut statement = conn.prepare(
        "SELECT sourced_id, title, course_code, school_year_sourced_id, org_sourced_id, grades,
                subjects, subject_codes, date_last_modified
           FROM course",
    )?;
    let rows = statement.query_map([], |row| {
        Ok((
            row.get(0)?,
            Stored {
                record: Course {
                    title: row.get(1)?,
                    course_code: row.get(2)?,
                    school_year_sourced_id: row.get(3)?,
                    org_sourced_id: row.get(4)?,
                    grades: text_list(&row.get::<_, String>(5)?),
                    subjects: text_list(&row.get::<_, String>(6)?),
                    subject_codes: text_list(&row.get::<_, String>(7)?),
                },
                date_last_modified: optional_instant_column(row, 8)?,
            },
        ))
    })?;
    rows.collect()
}

pub fn upsert_course(conn: &Connection, sourced_id: &str, course: &Stored<Course>) -> rusqlite::Result<()> {
    let record = &course.record;
    conn.prepare_cached(
        "INSERT INTO course (sourced_id, title, course_code, school_year_sourced_id,
                             org_sourced_id, grades, subjects, subject_codes, date_last_modified)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (sourced_id) DO UPDATE SET
            title = excluded.title, course_code = excluded.course_code,
            school_year_sourced_id = excluded.school_year_sourced_id,
            org_sourced_id = excluded.org_sourced_id, grades = excluded.grades,
            subjects = excluded.subjects, subject_codes = excluded.subject_codes,
            date_last_modified = excluded.date_last_modified",
    )?
    .execute(params![
        sourced_id,
        record.title,
        record.course_code,
        record.school_year_sourced_id,
        record.org_sourced_id,
        list_text(&record.grades),
        list_text(&record.subjects),
        list_text(&record.subject_codes),
        course.date_last_modified.map(instant_text),
    ])?;
    Ok(())
}

pub fn delete_course(conn: &Connection, sourced_id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM course WHERE sourced_id = ?1")?.execute([sourced_id])?;
    Ok(())
}

/// Every stored class by sourcedId, with its terms in file order.
pub fn load_classes(conn: &Connection) -> rusqlite::Result<HashMap<String, Stored<Class>>> {
    let mut terms: HashMap<String, Vec<String>> = HashMap::new();
    let mut term_statement = conn.prepare(
        "SELECT class_sourced_id, term_sourced_id FROM class_term
          ORDER BY class_sourced_id, position",
    )?;
    let mut term_rows = term_statement.query([])?;
    while let Some(row) = term_rows.next()? {
        terms.entry(row.get(0)?).or_default().push(row.get(1)?);
    }
    let mut statement = conn.prepare(
        "SELECT sourced_id, title, class_code, class_type, course_sourced_id, school_sourced_id,
                location, grades, subjects, subject_codes, periods, date_last_modified
           FROM class",
    )?;
    let rows = statement.query_map([], |row| {
        let sourced_id: String = row.get(0)?;
        let term_sourced_ids = terms.get(&sourced_id).cloned().unwrap_or_default();
        Ok((
            sourced_id,
            Stored {
                record: Class {
                    title: row.get(1)?,
                    class_code: row.get(2)?,
                    class_type: row.get(3)?,
                    course_sourced_id: row.get(4)?,
                    school_sourced_id: row.get(5)?,
                    location: row.get(6)?,
                    grades: text_list(&row.get::<_, String>(7)?),
                    subjects: text_list(&row.get::<_, String>(8)?),
                    subject_codes: text_list(&row.get::<_, String>(9)?),
                    periods: text_list(&row.get::<_, String>(10)?),
                    term_sourced_ids,
                },
                date_last_modified: optional_instant_column(row, 11)?,
            },
        ))
    })?;
    rows.collect()
}

/// Inserts or replaces one class and its term list.
pub fn upsert_class(conn: &Connection, sourced_id: &str, class: &Stored<Class>) -> rusqlite::Result<()> {
    let record = &class.record;
    conn.prepare_cached(
        "INSERT INTO class (sourced_id, title, class_code, class_type, course_sourced_id,
                            school_sourced_id, location, grades, subjects, subject_codes,
                            periods, date_last_modified)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (sourced_id) DO UPDATE SET
            title = excluded.title, class_code = excluded.class_code,
            class_type = excluded.class_type, course_sourced_id = excluded.course_sourced_id,
            school_sourced_id = excluded.school_sourced_id, location = excluded.location,
            grades = excluded.grades, subjects = excluded.subjects,
            subject_codes = excluded.subject_codes, periods = excluded.periods,
            date_last_modified = excluded.date_last_modified",
    )?
    .execute(params![
        sourced_id,
        record.title,
        record.class_code,
        record.class_type,
        record.course_sourced_id,
        record.school_sourced_id,
        record.location,
        list_text(&record.grades),
        list_text(&record.subjects),
        list_text(&record.subject_codes),
        list_text(&record.periods),
        class.date_last_modified.map(instant_text),
    ])?;
    conn.prepare_cached("DELETE FROM class_term WHERE class_sourced_id = ?1")?.execute([sourced_id])?;
    let mut insert_term = conn.prepare_cached(
        "INSERT OR IGNORE INTO class_term (class_sourced_id, term_sourced_id, position)
         VALUES (?1, ?2, ?3)",
    )?;
    for (position, term) in record.term_sourced_ids.iter().enumerate() {
        insert_term.execute(params![sourced_id, term, position as i64])?;
    }
    Ok(())
}

pub fn delete_class(conn: &Connection, sourced_id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("DELETE FROM class_term WHERE class_sourced_id = ?1")?.execute([sourced_id])?;
    conn.prepare_cached("DELETE FROM class WHERE sourced_id = ?1")?.execute([sourced_id])?;
    Ok(())
}

/// Every stored enrollment by its record sourcedId.
pub fn load_enrollments(conn: &Connection) -> rusqlite::Result<HashMap<String, Stored<Enrollment>>> {
    let mut statement = conn.prepare(
        "SELECT r.sourced_id, e.class_sourced_id, e.school_sourced_id, p.sourced_id, e.role,
                e.is_primary, e.begin_date, e.end_date, e.date_last_modified
           FROM enrollment e
           JOIN roster_record r ON r.rkey = e.rkey AND r.kind = 'enrollment'
           JOIN person p ON p.pkey = e.pkey",
    )?;
    let rows = statement.query_map([], |row| {
        let role_text: String = row.get(4)?;
        let role = EnrollmentRole::from_spelling(&role_text)
            .ok_or_else(|| super::conversion_error(4, &role_text, "enrollment role"))?;
        Ok((
            row.get(0)?,
            Stored {
                record: Enrollment {
                    class_sourced_id: row.get(1)?,
                    school_sourced_id: row.get(2)?,
                    user_sourced_id: row.get(3)?,
                    role,
                    primary: row.get(5)?,
                    begin_date: optional_date_column(row, 6)?,
                    end_date: optional_date_column(row, 7)?,
                },
                date_last_modified: optional_instant_column(row, 8)?,
            },
        ))
    })?;
    rows.collect()
}

/// Inserts or replaces one enrollment; `pkey` is the member's person key.
pub fn upsert_enrollment(
    conn: &Connection,
    sourced_id: &str,
    pkey: &str,
    enrollment: &Stored<Enrollment>,
) -> rusqlite::Result<()> {
    let rkey = record_key(conn, "enrollment", sourced_id, pkey)?;
    let record = &enrollment.record;
    conn.prepare_cached(
        "INSERT INTO enrollment (rkey, class_sourced_id, school_sourced_id, pkey, role,
                                 is_primary, begin_date, end_date, date_last_modified)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (rkey) DO UPDATE SET
            class_sourced_id = excluded.class_sourced_id,
            school_sourced_id = excluded.school_sourced_id, pkey = excluded.pkey,
            role = excluded.role, is_primary = excluded.is_primary,
            begin_date = excluded.begin_date, end_date = excluded.end_date,
            date_last_modified = excluded.date_last_modified",
    )?
    .execute(params![
        rkey,
        record.class_sourced_id,
        record.school_sourced_id,
        pkey,
        record.role.as_str(),
        record.primary,
        record.begin_date.map(date_text),
        record.end_date.map(date_text),
        enrollment.date_last_modified.map(instant_text),
    ])?;
    Ok(())
}

pub fn delete_enrollment(conn: &Connection, sourced_id: &str) -> rusqlite::Result<()> {
    let rkey: Option<String> = conn
        .prepare_cached("SELECT rkey FROM roster_record WHERE kind = 'enrollment' AND sourced_id = ?1")?
        .query_row([sourced_id], |row| row.get(0))
        .optional()?;
    if let Some(rkey) = rkey {
        conn.prepare_cached("DELETE FROM enrollment WHERE rkey = ?1")?.execute([&rkey])?;
        delete_record(conn, &rkey)?;
    }
    Ok(())
}
