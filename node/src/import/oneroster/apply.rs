//! Applying a OneRoster batch inside the caller's transaction: plan every file against the
//! stored roster, check every reference (batch + database, with file:line), write deletions
//! (dependents first) then additions and updates (parents first), check the stored roster for
//! dangling references, and record the report.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::plan::{ids_after, plan, Plan};
use super::references::{check_references, Known};
use super::OneRosterBatch;
use crate::import::error::{database, ImportError, Problem, Problems, MAX_PROBLEMS};
use crate::import::progress::{finish, Ticker};
use crate::import::report::{timing, FileMode, ImportKind, ImportReport};
use crate::import::store_report;
use crate::store::roster::records::{
    AcademicSession, Class, Course, Demographics, Enrollment, Org, Role, Stored, User,
};
use crate::store::roster::{self};

/// Everything stored before the import, as the plans need it.
struct StoredRoster {
    orgs: HashMap<String, Stored<Org>>,
    sessions: HashMap<String, Stored<AcademicSession>>,
    courses: HashMap<String, Stored<Course>>,
    classes: HashMap<String, Stored<Class>>,
    users: HashMap<String, Stored<User>>,
    roles: HashMap<String, Stored<Role>>,
    enrollments: HashMap<String, Stored<Enrollment>>,
    demographics: HashMap<String, Stored<Demographics>>,
    person_keys: HashMap<String, String>,
}

impl StoredRoster {
    fn load(conn: &Connection) -> Result<Self, ImportError> {
        Ok(Self {
            orgs: roster::load_orgs(conn).map_err(database("loading stored orgs"))?,
            sessions: roster::load_sessions(conn).map_err(database("loading stored academic sessions"))?,
            courses: roster::load_courses(conn).map_err(database("loading stored courses"))?,
            classes: roster::load_classes(conn).map_err(database("loading stored classes"))?,
            users: roster::load_users(conn).map_err(database("loading stored users"))?,
            roles: roster::load_roles(conn).map_err(database("loading stored roles"))?,
            enrollments: roster::load_enrollments(conn).map_err(database("loading stored enrollments"))?,
            demographics: roster::load_demographics(conn).map_err(database("loading stored demographics"))?,
            person_keys: roster::load_person_keys(conn).map_err(database("loading person keys"))?,
        })
    }
}

/// The plans of one batch.
pub(super) struct Plans<'b> {
    pub(super) orgs: Option<Plan<'b, Org>>,
    pub(super) sessions: Option<Plan<'b, AcademicSession>>,
    pub(super) courses: Option<Plan<'b, Course>>,
    pub(super) classes: Option<Plan<'b, Class>>,
    pub(super) users: Option<Plan<'b, User>>,
    pub(super) roles: Option<Plan<'b, Role>>,
    pub(super) enrollments: Option<Plan<'b, Enrollment>>,
    pub(super) demographics: Option<Plan<'b, Demographics>>,
}

pub(super) fn apply(
    conn: &Connection,
    batch: &OneRosterBatch,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    let apply_started = Instant::now();
    let stored = StoredRoster::load(conn)?;
    let mut warnings = batch.warnings.clone();
    let mut plans = Plans {
        orgs: plan(&batch.orgs, &stored.orgs, &mut warnings),
        sessions: plan(&batch.sessions, &stored.sessions, &mut warnings),
        courses: plan(&batch.courses, &stored.courses, &mut warnings),
        classes: plan(&batch.classes, &stored.classes, &mut warnings),
        users: plan(&batch.users, &stored.users, &mut warnings),
        roles: plan(&batch.roles, &stored.roles, &mut warnings),
        enrollments: plan(&batch.enrollments, &stored.enrollments, &mut warnings),
        demographics: plan(&batch.demographics, &stored.demographics, &mut warnings),
    };
    if batch.roles_from_users {
        drop_replaced_derived_roles(&mut plans, &stored.roles);
    }
    let known = Known {
        orgs: ids_after(&stored.orgs, plans.orgs.as_ref()),
        sessions: ids_after(&stored.sessions, plans.sessions.as_ref()),
        courses: ids_after(&stored.courses, plans.courses.as_ref()),
        classes: ids_after(&stored.classes, plans.classes.as_ref()),
        users: ids_after(&stored.users, plans.users.as_ref()),
    };
    let mut problems = Problems::default();
    check_references(&plans, &known, batch.roles_from_users, &mut problems);
    problems.into_result(&batch.source)?;

    let mut person_keys = stored.person_keys;
    write_deletions(conn, batch, &plans, &person_keys, now)?;
    write_changes(conn, batch, &plans, &mut person_keys)?;
    check_stored_integrity(conn, &batch.source)?;

    let files = [
        plans.orgs.as_ref().map(|p| p.counts.clone()),
        plans.sessions.as_ref().map(|p| p.counts.clone()),
        plans.courses.as_ref().map(|p| p.counts.clone()),
        plans.classes.as_ref().map(|p| p.counts.clone()),
        plans.users.as_ref().map(|p| p.counts.clone()),
        plans.roles.as_ref().map(|p| p.counts.clone()),
        plans.enrollments.as_ref().map(|p| p.counts.clone()),
        plans.demographics.as_ref().map(|p| p.counts.clone()),
    ]
    .into_iter()
    .flatten()
    .collect();
    let (started_at, finished_at) = timing(batch.read_started, apply_started, now);
    let report = ImportReport {
        id: None,
        kind: ImportKind::Oneroster,
        source: batch.source.clone(),
        format: format!("OneRoster {} CSV", batch.version),
        started_at,
        finished_at,
        files,
        dropped_columns: batch.dropped_columns.clone(),
        warnings,
    };
    let report = store_report(conn, report)?;
    finish(batch.progress.as_ref());
    Ok(report)
}

/// 1.1 delta: a user row restates all of that user's roles, so their stored roles that it no
/// longer lists are deleted.
fn drop_replaced_derived_roles(plans: &mut Plans<'_>, stored_roles: &HashMap<String, Stored<Role>>) {
    let (Some(users), Some(roles)) = (plans.users.as_ref(), plans.roles.as_mut()) else {
        return;
    };
    if users.counts.mode != FileMode::Delta {
        return;
    }
    let restated: HashSet<&str> = users.live.iter().map(|w| w.sourced_id).collect();
    let listed: HashSet<String> = roles.live.iter().map(|w| w.sourced_id.to_owned()).collect();
    let mut replaced: Vec<&String> = stored_roles
        .iter()
        .filter(|(id, role)| {
            restated.contains(role.record.user_sourced_id.as_str())
                && !listed.contains(*id)
                && !roles.deletes.contains(*id)
        })
        .map(|(id, _)| id)
        .collect();
    replaced.sort();
    for id in replaced {
        roles.delete(id.clone());
    }
}

/// The pkey of a user the checks have shown to be on the roster.
fn pkey_of<'k>(
    person_keys: &'k HashMap<String, String>,
    source: &str,
    (file, line, column): (&str, Option<u64>, &str),
    sourced_id: &str,
) -> Result<&'k str, ImportError> {
    person_keys.get(sourced_id).map(String::as_str).ok_or_else(|| {
        let mut problems = Problems::default();
        problems.push(Problem {
            file: file.to_owned(),
            line,
            column: Some(column.to_owned()),
            reason: format!("unknown user \"{sourced_id}\""),
        });
        problems.reject(source)
    })
}

fn write_deletions(
    conn: &Connection,
    batch: &OneRosterBatch,
    plans: &Plans<'_>,
    person_keys: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> Result<(), ImportError> {
    for id in deletes(plans.enrollments.as_ref()) {
        roster::delete_enrollment(conn, id).map_err(database("deleting an enrollment"))?;
    }
    for id in deletes(plans.roles.as_ref()) {
        roster::delete_role(conn, id).map_err(database("deleting a role"))?;
    }
    for id in deletes(plans.demographics.as_ref()) {
        let at = ("demographics.csv", None, "sourcedId");
        let pkey = pkey_of(person_keys, &batch.source, at, id)?;
        roster::delete_demographics(conn, pkey).map_err(database("deleting demographics"))?;
    }
    for id in deletes(plans.users.as_ref()) {
        let pkey = pkey_of(person_keys, &batch.source, ("users.csv", None, "sourcedId"), id)?;
        roster::remove_user(conn, pkey, now).map_err(database("removing a user"))?;
    }
    for id in deletes(plans.classes.as_ref()) {
        roster::delete_class(conn, id).map_err(database("deleting a class"))?;
    }
    for id in deletes(plans.courses.as_ref()) {
        roster::delete_course(conn, id).map_err(database("deleting a course"))?;
    }
    for id in deletes(plans.sessions.as_ref()) {
        roster::delete_session(conn, id).map_err(database("deleting an academic session"))?;
    }
    for id in deletes(plans.orgs.as_ref()) {
        roster::delete_org(conn, id).map_err(database("deleting an org"))?;
    }
    Ok(())
}

fn deletes<'p, T>(plan: Option<&'p Plan<'_, T>>) -> &'p [String] {
    plan.map_or(&[][..], |plan| &plan.deletes[..])
}

fn write_changes(
    conn: &Connection,
    batch: &OneRosterBatch,
    plans: &Plans<'_>,
    person_keys: &mut HashMap<String, String>,
) -> Result<(), ImportError> {
    let count = |plan: Option<usize>| plan.unwrap_or(0);
    let total = count(plans.orgs.as_ref().map(|p| p.writes.len()))
        + count(plans.sessions.as_ref().map(|p| p.writes.len()))
        + count(plans.courses.as_ref().map(|p| p.writes.len()))
        + count(plans.classes.as_ref().map(|p| p.writes.len()))
        + count(plans.users.as_ref().map(|p| p.writes.len()))
        + count(plans.roles.as_ref().map(|p| p.writes.len()))
        + count(plans.enrollments.as_ref().map(|p| p.writes.len()))
        + count(plans.demographics.as_ref().map(|p| p.writes.len()));
    let mut ticker = Ticker::start(batch.progress.as_ref(), "writing roster".into(), total);

    if let Some(plan) = &plans.orgs {
        for w in plan.writes() {
            roster::upsert_org(conn, w.sourced_id, &w.stored()).map_err(database("writing an org"))?;
            ticker.tick();
        }
    }
    if let Some(plan) = &plans.sessions {
        for w in plan.writes() {
            roster::upsert_session(conn, w.sourced_id, &w.stored()).map_err(database("writing an academic session"))?;
            ticker.tick();
        }
    }
    if let Some(plan) = &plans.courses {
        for w in plan.writes() {
            roster::upsert_course(conn, w.sourced_id, &w.stored()).map_err(database("writing a course"))?;
            ticker.tick();
        }
    }
    if let Some(plan) = &plans.classes {
        for w in plan.writes() {
            roster::upsert_class(conn, w.sourced_id, &w.stored()).map_err(database("writing a class"))?;
            ticker.tick();
        }
    }
    if let Some(plan) = &plans.users {
        // Identities first, so agent links can name users added later in the file.
        for w in plan.writes() {
            roster::upsert_person(conn, person_keys, w.sourced_id, &w.record.identity)
                .map_err(database("writing a person"))?;
        }
        for w in plan.writes() {
            let at = (plan.file, Some(w.line), "sourcedId");
            let pkey = pkey_of(person_keys, &batch.source, at, w.sourced_id)?;
            let agents = w
                .record
                .agent_sourced_ids
                .iter()
                .map(|agent| {
                    let at = (plan.file, Some(w.line), "agentSourcedIds");
                    pkey_of(person_keys, &batch.source, at, agent)
                })
                .collect::<Result<Vec<_>, _>>()?;
            roster::upsert_user_account(conn, pkey, &w.stored(), &agents).map_err(database("writing a user"))?;
            ticker.tick();
        }
    }
    if let Some(plan) = &plans.roles {
        for w in plan.writes() {
            let at = (plan.file, Some(w.line), "userSourcedId");
            let pkey = pkey_of(person_keys, &batch.source, at, &w.record.user_sourced_id)?;
            roster::upsert_role(conn, w.sourced_id, pkey, &w.stored()).map_err(database("writing a role"))?;
            ticker.tick();
        }
    }
    if let Some(plan) = &plans.enrollments {
        for w in plan.writes() {
            let at = (plan.file, Some(w.line), "userSourcedId");
            let pkey = pkey_of(person_keys, &batch.source, at, &w.record.user_sourced_id)?;
            roster::upsert_enrollment(conn, w.sourced_id, pkey, &w.stored())
                .map_err(database("writing an enrollment"))?;
            ticker.tick();
        }
    }
    if let Some(plan) = &plans.demographics {
        for w in plan.writes() {
            let at = (plan.file, Some(w.line), "sourcedId");
            let pkey = pkey_of(person_keys, &batch.source, at, w.sourced_id)?;
            roster::upsert_demographics(conn, pkey, &w.stored()).map_err(database("writing demographics"))?;
            ticker.tick();
        }
    }
    Ok(())
}

/// Fails if a stored row now refers to something this import removed.
fn check_stored_integrity(conn: &Connection, source: &str) -> Result<(), ImportError> {
    let dangling = roster::dangling_references(conn, MAX_PROBLEMS).map_err(database("checking stored references"))?;
    let mut problems = Problems::default();
    for reference in dangling {
        problems.push(Problem {
            file: reference.file.to_owned(),
            line: None,
            column: Some(reference.column.to_owned()),
            reason: format!(
                "stored {} \"{}\" refers to {} \"{}\", which is not on the roster after this import",
                reference.referrer_kind, reference.referrer, reference.target_kind, reference.target
            ),
        });
    }
    problems.into_result(source)
}
