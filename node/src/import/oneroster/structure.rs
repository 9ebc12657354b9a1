//! Reading the school structure files: orgs.csv, academicSessions.csv, courses.csv, classes.csv
//! and enrollments.csv (the same columns in OneRoster 1.1 and 1.2).

use super::{read_rows, FileRows, RECORD_COLUMNS};
use crate::import::csv_file::{optional, required, ColumnSpec, Table};
use crate::import::error::Problems;
use crate::import::fields;
use crate::import::report::FileMode;
use crate::store::roster::records::{AcademicSession, Class, Course, Enrollment, EnrollmentRole, Org};

const ORG_TYPES: &[&str] = &["department", "district", "local", "national", "school", "state"];
const SESSION_TYPES: &[&str] = &["gradingPeriod", "semester", "schoolYear", "term"];
const CLASS_TYPES: &[&str] = &["homeroom", "scheduled"];

pub(super) const ORG_COLUMNS: [ColumnSpec; 7] = [
    RECORD_COLUMNS[0],
    RECORD_COLUMNS[1],
    RECORD_COLUMNS[2],
    required("name"),
    required("type"),
    optional("identifier"),
    optional("parentSourcedId"),
];

pub(super) fn read_orgs(table: &Table, mode: FileMode, problems: &mut Problems) -> FileRows<Org> {
    read_rows(table, mode, ("orgs.csv", "org"), problems, |row, problems| {
        let name = row.required("name", problems);
        let org_type = row.parse("type", problems, |text| fields::vocabulary(text, "org type", ORG_TYPES));
        Ok(Org {
            name: name?.to_owned(),
            org_type: org_type?,
            identifier: row.optional("identifier"),
            parent_sourced_id: row.optional("parentSourcedId"),
        })
    })
}

pub(super) const SESSION_COLUMNS: [ColumnSpec; 9] = [
    RECORD_COLUMNS[0],
    RECORD_COLUMNS[1],
    RECORD_COLUMNS[2],
    required("title"),
    required("type"),
    required("startDate"),
    required("endDate"),
    optional("parentSourcedId"),
    required("schoolYear"),
];

pub(super) fn read_sessions(table: &Table, mode: FileMode, problems: &mut Problems) -> FileRows<AcademicSession> {
    let file = ("academicSessions.csv", "academic session");
    read_rows(table, mode, file, problems, |row, problems| {
        let title = row.required("title", problems);
        let session_type = row.parse("type", problems, |text| fields::vocabulary(text, "session type", SESSION_TYPES));
        let start_date = row.parse("startDate", problems, fields::date);
        let end_date = row.parse("endDate", problems, fields::date);
        let school_year = row.parse("schoolYear", problems, fields::year);
        if let (Ok(start), Ok(end)) = (start_date, end_date) {
            if end < start {
                problems.push(row.problem("endDate", format!("ends ({end}) before it starts ({start})")));
            }
        }
        Ok(AcademicSession {
            title: title?.to_owned(),
            session_type: session_type?,
            start_date: start_date?,
            end_date: end_date?,
            parent_sourced_id: row.optional("parentSourcedId"),
            school_year: school_year?,
        })
    })
}

pub(super) const COURSE_COLUMNS: [ColumnSpec; 10] = [
    RECORD_COLUMNS[0],
    RECORD_COLUMNS[1],
    RECORD_COLUMNS[2],
    optional("schoolYearSourcedId"),
    required("title"),
    optional("courseCode"),
    optional("grades"),
    required("orgSourcedId"),
    optional("subjects"),
    optional("subjectCodes"),
];

pub(super) fn read_courses(table: &Table, mode: FileMode, problems: &mut Problems) -> FileRows<Course> {
    read_rows(table, mode, ("courses.csv", "course"), problems, |row, problems| {
        let title = row.required("title", problems);
        let org = row.required("orgSourcedId", problems);
        Ok(Course {
            title: title?.to_owned(),
            course_code: row.optional("courseCode"),
            school_year_sourced_id: row.optional("schoolYearSourcedId"),
            org_sourced_id: org?.to_owned(),
            grades: fields::list(row.get("grades")),
            subjects: fields::list(row.get("subjects")),
            subject_codes: fields::list(row.get("subjectCodes")),
        })
    })
}

pub(super) const CLASS_COLUMNS: [ColumnSpec; 14] = [
    RECORD_COLUMNS[0],
    RECORD_COLUMNS[1],
    RECORD_COLUMNS[2],
    required("title"),
    optional("grades"),
    required("courseSourcedId"),
    optional("classCode"),
    required("classType"),
    optional("location"),
    required("schoolSourcedId"),
    required("termSourcedIds"),
    optional("subjects"),
    optional("subjectCodes"),
    optional("periods"),
];

pub(super) fn read_classes(table: &Table, mode: FileMode, problems: &mut Problems) -> FileRows<Class> {
    read_rows(table, mode, ("classes.csv", "class"), problems, |row, problems| {
        let title = row.required("title", problems);
        let course = row.required("courseSourcedId", problems);
        let class_type = row.parse("classType", problems, |text| fields::vocabulary(text, "class type", CLASS_TYPES));
        let school = row.required("schoolSourcedId", problems);
        let terms = row.parse("termSourcedIds", problems, |text| Ok(fields::list(text)));
        Ok(Class {
            title: title?.to_owned(),
            class_code: row.optional("classCode"),
            class_type: class_type?,
            course_sourced_id: course?.to_owned(),
            school_sourced_id: school?.to_owned(),
            location: row.optional("location"),
            grades: fields::list(row.get("grades")),
            subjects: fields::list(row.get("subjects")),
            subject_codes: fields::list(row.get("subjectCodes")),
            periods: fields::list(row.get("periods")),
            term_sourced_ids: terms?,
        })
    })
}

pub(super) const ENROLLMENT_COLUMNS: [ColumnSpec; 10] = [
    RECORD_COLUMNS[0],
    RECORD_COLUMNS[1],
    RECORD_COLUMNS[2],
    required("classSourcedId"),
    required("schoolSourcedId"),
    required("userSourcedId"),
    required("role"),
    optional("primary"),
    optional("beginDate"),
    optional("endDate"),
];

pub(super) fn read_enrollments(table: &Table, mode: FileMode, problems: &mut Problems) -> FileRows<Enrollment> {
    let file = ("enrollments.csv", "enrollment");
    read_rows(table, mode, file, problems, |row, problems| {
        let class = row.required("classSourcedId", problems);
        let school = row.required("schoolSourcedId", problems);
        let user = row.required("userSourcedId", problems);
        let role = row.parse("role", problems, |text| {
            EnrollmentRole::from_spelling(text)
                .ok_or_else(|| format!("unknown role \"{text}\" (expected {})", EnrollmentRole::spellings()))
        });
        let primary = row.parse_optional("primary", problems, fields::boolean);
        let begin_date = row.parse_optional("beginDate", problems, fields::date);
        let end_date = row.parse_optional("endDate", problems, fields::date);
        Ok(Enrollment {
            class_sourced_id: class?.to_owned(),
            school_sourced_id: school?.to_owned(),
            user_sourced_id: user?.to_owned(),
            role: role?,
            primary: primary?,
            begin_date: begin_date?,
            end_date: end_date?,
        })
    })
}
