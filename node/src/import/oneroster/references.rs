//! Reference checks before anything is written: every id a batch row points at (a class's
//! course, an enrollment's user, a user's agents, ...) must be on the roster once the batch is
//! applied — in the batch or already stored, and not deleted by it. Problems name file:line.

use std::collections::HashSet;

use super::apply::Plans;
use crate::import::error::{Problem, Problems};

/// The sourcedIds on the roster once the plans are applied.
pub(super) struct Known {
    pub(super) orgs: HashSet<String>,
    pub(super) sessions: HashSet<String>,
    pub(super) courses: HashSet<String>,
    pub(super) classes: HashSet<String>,
    pub(super) users: HashSet<String>,
}

/// Pushes `unknown <kind> "<id>"` unless `id` is known.
fn require(
    problems: &mut Problems,
    (file, line, column): (&str, u64, &str),
    kind: &str,
    id: &str,
    known: &HashSet<String>,
) {
    if !known.contains(id) {
        problems.push(Problem::at(file, line, column, format!("unknown {kind} \"{id}\"")));
    }
}

pub(super) fn check_references(plans: &Plans<'_>, known: &Known, roles_from_users: bool, problems: &mut Problems) {
    if let Some(plan) = &plans.orgs {
        for w in &plan.live {
            if let Some(parent) = &w.record.parent_sourced_id {
                let at = (plan.file, w.line, "parentSourcedId");
                require(problems, at, "org", parent, &known.orgs);
            }
        }
    }
    if let Some(plan) = &plans.sessions {
        for w in &plan.live {
            if let Some(parent) = &w.record.parent_sourced_id {
                let at = (plan.file, w.line, "parentSourcedId");
                require(problems, at, "academic session", parent, &known.sessions);
            }
        }
    }
    if let Some(plan) = &plans.courses {
        for w in &plan.live {
            let at = (plan.file, w.line, "orgSourcedId");
            require(problems, at, "org", &w.record.org_sourced_id, &known.orgs);
            if let Some(year) = &w.record.school_year_sourced_id {
                let at = (plan.file, w.line, "schoolYearSourcedId");
                require(problems, at, "academic session", year, &known.sessions);
            }
        }
    }
    if let Some(plan) = &plans.classes {
        for w in &plan.live {
            let at = (plan.file, w.line, "courseSourcedId");
            require(problems, at, "course", &w.record.course_sourced_id, &known.courses);
            let at = (plan.file, w.line, "schoolSourcedId");
            require(problems, at, "org", &w.record.school_sourced_id, &known.orgs);
            for term in &w.record.term_sourced_ids {
                let at = (plan.file, w.line, "termSourcedIds");
                require(problems, at, "academic session", term, &known.sessions);
            }
        }
    }
    if let Some(plan) = &plans.users {
        for w in &plan.live {
            // 1.1: the orgs are checked on the roles derived from orgSourcedIds.
            if let (Some(org), false) = (&w.record.primary_org_sourced_id, roles_from_users) {
                let at = (plan.file, w.line, "primaryOrgSourcedId");
                require(problems, at, "org", org, &known.orgs);
            }
            for agent in &w.record.agent_sourced_ids {
                let at = (plan.file, w.line, "agentSourcedIds");
                require(problems, at, "user", agent, &known.users);
            }
        }
    }
    if let Some(plan) = &plans.roles {
        let (user_column, org_column) =
            if roles_from_users { ("sourcedId", "orgSourcedIds") } else { ("userSourcedId", "orgSourcedId") };
        for w in &plan.live {
            let at = (plan.file, w.line, user_column);
            require(problems, at, "user", &w.record.user_sourced_id, &known.users);
            let at = (plan.file, w.line, org_column);
            require(problems, at, "org", &w.record.org_sourced_id, &known.orgs);
        }
    }
    if let Some(plan) = &plans.enrollments {
        for w in &plan.live {
            let at = (plan.file, w.line, "classSourcedId");
            require(problems, at, "class", &w.record.class_sourced_id, &known.classes);
            let at = (plan.file, w.line, "schoolSourcedId");
            require(problems, at, "org", &w.record.school_sourced_id, &known.orgs);
            let at = (plan.file, w.line, "userSourcedId");
            require(problems, at, "user", &w.record.user_sourced_id, &known.users);
        }
    }
    if let Some(plan) = &plans.demographics {
        for w in &plan.live {
            let at = (plan.file, w.line, "sourcedId");
            require(problems, at, "user", w.sourced_id, &known.users);
        }
    }
}
