//! Referential integrity of the stored roster: after an import has written its changes (inside
//! the caller's transaction), finds stored rows that refer to something no longer there — e.g. a
//! class whose school a bulk orgs.csv left out — so the import can fail and be rolled back.

use rusqlite::Connection;

/// One stored row referring to a missing row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DanglingReference {
    /// The OneRoster file the referring row comes from, e.g. `classes.csv`.
    pub file: &'static str,
    /// What the referring row is, e.g. `class`.
    pub referrer_kind: &'static str,
    /// The referring row's sourcedId.
    pub referrer: String,
    /// The OneRoster column holding the reference, e.g. `schoolSourcedId`.
    pub column: &'static str,
    /// What is missing, e.g. `org`.
    pub target_kind: &'static str,
    /// The missing sourcedId.
    pub target: String,
}

struct Check {
    file: &'static str,
    referrer_kind: &'static str,
    column: &'static str,
    target_kind: &'static str,
    /// Selects (referrer sourcedId, missing target sourcedId).
    sql: &'static str,
}

const CHECKS: &[Check] = &[
    Check {
        file: "orgs.csv",
        referrer_kind: "org",
        column: "parentSourcedId",
        target_kind: "org",
        sql: "SELECT o.sourced_id, o.parent_sourced_id FROM org o
               WHERE o.parent_sourced_id IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM org t WHERE t.sourced_id = o.parent_sourced_id)",
    },
    Check {
        file: "academicSessions.csv",
        referrer_kind: "academic session",
        column: "parentSourcedId",
        target_kind: "academic session",
        sql: "SELECT s.sourced_id, s.parent_sourced_id FROM academic_session s
               WHERE s.parent_sourced_id IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM academic_session t
                                  WHERE t.sourced_id = s.parent_sourced_id)",
    },
    Check {
        file: "courses.csv",
        referrer_kind: "course",
        column: "orgSourcedId",
        target_kind: "org",
        sql: "SELECT c.sourced_id, c.org_sourced_id FROM course c
               WHERE NOT EXISTS (SELECT 1 FROM org t WHERE t.sourced_id = c.org_sourced_id)",
    },
    Check {
        file: "courses.csv",
        referrer_kind: "course",
        column: "schoolYearSourcedId",
        target_kind: "academic session",
        sql: "SELECT c.sourced_id, c.school_year_sourced_id FROM course c
               WHERE c.school_year_sourced_id IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM academic_session t
                                  WHERE t.sourced_id = c.school_year_sourced_id)",
    },
    Check {
        file: "classes.csv",
        referrer_kind: "class",
        column: "courseSourcedId",
        target_kind: "course",
        sql: "SELECT c.sourced_id, c.course_sourced_id FROM class c
               WHERE NOT EXISTS (SELECT 1 FROM course t WHERE t.sourced_id = c.course_sourced_id)",
    },
    Check {
        file: "classes.csv",
        referrer_kind: "class",
        column: "schoolSourcedId",
        target_kind: "org",
        sql: "SELECT c.sourced_id, c.school_sourced_id FROM class c
               WHERE NOT EXISTS (SELECT 1 FROM org t WHERE t.sourced_id = c.school_sourced_id)",
    },
    Check {
        file: "classes.csv",
        referrer_kind: "class",
        column: "termSourcedIds",
        target_kind: "academic session",
        sql: "SELECT c.class_sourced_id, c.term_sourced_id FROM class_term c
               WHERE NOT EXISTS (SELECT 1 FROM academic_session t
                                  WHERE t.sourced_id = c.term_sourced_id)",
    },
    Check {
        file: "users.csv",
        referrer_kind: "user",
        column: "primaryOrgSourcedId",
        target_kind: "org",
        sql: "SELECT p.sourced_id, u.primary_org_sourced_id
                FROM user_account u JOIN person p ON p.pkey = u.pkey
               WHERE u.primary_org_sourced_id IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM org t
                                  WHERE t.sourced_id = u.primary_org_sourced_id)",
    },
    Check {
        file: "users.csv",
        referrer_kind: "user",
        column: "agentSourcedIds",
        target_kind: "user",
        sql: "SELECT p.sourced_id, q.sourced_id
                FROM user_agent a
                JOIN person p ON p.pkey = a.pkey
                JOIN person q ON q.pkey = a.agent_pkey
               WHERE NOT EXISTS (SELECT 1 FROM user_account t WHERE t.pkey = a.agent_pkey)",
    },
    Check {
        file: "roles.csv",
        referrer_kind: "role",
        column: "orgSourcedId",
        target_kind: "org",
        sql: "SELECT r.sourced_id, x.org_sourced_id
                FROM person_role x JOIN roster_record r ON r.rkey = x.rkey
               WHERE NOT EXISTS (SELECT 1 FROM org t WHERE t.sourced_id = x.org_sourced_id)",
    },
    Check {
        file: "enrollments.csv",
        referrer_kind: "enrollment",
        column: "classSourcedId",
        target_kind: "class",
        sql: "SELECT r.sourced_id, e.class_sourced_id
                FROM enrollment e JOIN roster_record r ON r.rkey = e.rkey
               WHERE NOT EXISTS (SELECT 1 FROM class t WHERE t.sourced_id = e.class_sourced_id)",
    },
    Check {
        file: "enrollments.csv",
        referrer_kind: "enrollment",
        column: "schoolSourcedId",
        target_kind: "org",
        sql: "SELECT r.sourced_id, e.school_sourced_id
                FROM enrollment e JOIN roster_record r ON r.rkey = e.rkey
               WHERE NOT EXISTS (SELECT 1 FROM org t WHERE t.sourced_id = e.school_sourced_id)",
    },
];

/// Stored rows referring to missing rows, at most `limit` of them, in a stable order.
pub fn dangling_references(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<DanglingReference>> {
    let mut found = Vec::new();
    for check in CHECKS {
        if found.len() >= limit {
            break;
        }
        let mut statement = conn.prepare(&format!("{} ORDER BY 1, 2 LIMIT ?1", check.sql))?;
        let remaining = (limit - found.len()) as i64;
        let rows = statement.query_map([remaining], |row| {
            Ok(DanglingReference {
                file: check.file,
                referrer_kind: check.referrer_kind,
                referrer: row.get(0)?,
                column: check.column,
                target_kind: check.target_kind,
                target: row.get(1)?,
            })
        })?;
        for row in rows {
            found.push(row?);
        }
    }
    Ok(found)
}
