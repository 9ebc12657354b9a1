//! Appeals: a student or guardian contests a flag or an intervention with a short text (only for
//! their own record or a linked child); an MTSS coordinator must answer (upheld, or changed); both
//! see the state. An appeal never carries tiers, colours or reasons, so the same view serves
//! families and staff.

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::{text, AlertError};
use crate::auth::scope::{require_student, student_scope};
use crate::auth::{ts, Principal};
use crate::store::alerts::appeals::{self as sql, AppealRow, NewAppeal};
use crate::store::alerts::{self as flags, interventions};

/// Longest appeal or answer.
pub const MAX_APPEAL_CHARS: usize = 4000;

/// `POST /api/v1/appeals` body: exactly one of `flag_id` and `intervention_id`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppealRequest {
    pub flag_id: Option<i64>,
    pub intervention_id: Option<i64>,
    pub text: String,
}

/// How MTSS decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The flag or intervention stands, with the answer explaining why.
    Upheld,
    /// The team changed it (dismissed the flag, changed the intervention).
    Changed,
}

impl Decision {
    fn as_str(self) -> &'static str {
        match self {
            Decision::Upheld => "upheld",
            Decision::Changed => "changed",
        }
    }
}

/// `POST /api/v1/appeals/{id}/answer` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    pub decision: Decision,
    pub answer: String,
}

/// Files an appeal. 404 unknown target, 403 not one's own or a linked child's, 409 target already
/// ended or already under an open appeal, 422 bad text.
pub fn file(c: &Connection, p: &Principal, req: &AppealRequest, now: DateTime<Utc>) -> Result<AppealRow, AlertError> {
    let (kind, id, student) = match (req.flag_id, req.intervention_id) {
        (Some(id), None) => {
            let f = flags::flag(c, id)?.ok_or_else(|| AlertError::NotFound(format!("no flag {id}")))?;
            require_student(c, p, &f.student_key)?;
            if !f.state.is_live() {
                return Err(AlertError::Conflict(format!(
                    "flag {id} has ended ({}): there is nothing to contest",
                    f.state
                )));
            }
            ("flag", id, f.student_key)
        }
        (None, Some(id)) => {
            let i = interventions::get(c, id)?.ok_or_else(|| AlertError::NotFound(format!("no intervention {id}")))?;
            require_student(c, p, &i.student_key)?;
            if i.state != "active" {
                return Err(AlertError::Conflict(format!("intervention {id} has ended: there is nothing to contest")));
            }
            ("intervention", id, i.student_key)
        }
        _ => return Err(AlertError::Invalid("give exactly one of flag_id and intervention_id".into())),
    };
    let body = text("text", &req.text, MAX_APPEAL_CHARS)?;
    if sql::open_on(c, kind, id)? {
        return Err(AlertError::Conflict(format!("this {kind} already has an open appeal")));
    }
    let appeal_id = sql::insert(
        c,
        &NewAppeal {
            student_key: &student,
            target_kind: kind,
            target_id: id,
            text: &body,
            filed_by: p.account_id,
            filed_role: p.role.as_str(),
            filed_at: &ts(now),
        },
    )?;
    sql::get(c, appeal_id)?.ok_or_else(|| AlertError::NotFound(format!("no appeal {appeal_id}")))
}

/// Answers an open appeal (MTSS). 404 unknown, 409 already answered, 422 bad text.
pub fn answer(
    c: &Connection,
    p: &Principal,
    id: i64,
    req: &AnswerRequest,
    now: DateTime<Utc>,
) -> Result<AppealRow, AlertError> {
    let a = sql::get(c, id)?.ok_or_else(|| AlertError::NotFound(format!("no appeal {id}")))?;
    require_student(c, p, &a.student_key)?;
    if a.state != "open" {
        return Err(AlertError::Conflict(format!("appeal {id} was already answered")));
    }
    let body = text("answer", &req.answer, MAX_APPEAL_CHARS)?;
    sql::answer(c, id, req.decision.as_str(), &body, p.account_id, &ts(now))?;
    sql::get(c, id)?.ok_or_else(|| AlertError::NotFound(format!("no appeal {id}")))
}

/// Appeals about the students the principal may see, newest first.
pub fn list(c: &Connection, p: &Principal) -> Result<Vec<AppealRow>, AlertError> {
    let scope = student_scope(c, p)?;
    Ok(sql::list(c)?.into_iter().filter(|a| scope.contains(&a.student_key)).collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use lantern_policies::rules::{Indicator, InterventionType};

    use super::*;
    use crate::alerts::test_support::*;
    use crate::auth::Role;
    use crate::interventions::{close, create, CloseRequest, GoalRequest, NewIntervention, Outcome};

    #[test]
    fn a_student_appeals_an_intervention_until_it_ends() {
        let f = fixture();
        let req = NewIntervention {
            student: Some(S1.into()),
            flag_id: None,
            kind: InterventionType::AttendancePlan,
            tier: None,
            goal: GoalRequest {
                indicator: Indicator::Absences14d,
                standard: None,
                baseline: 4.0,
                target: 1.0,
                date: None,
            },
            strategies: vec!["weekly call".into()],
            owner_account_id: None,
            check_every_days: None,
            start_date: None,
        };
        f.store.write_blocking(move |c| create(c, &policy(), &principal(Role::Mtss), &req, t0())).unwrap();
        let appeal = AppealRequest {
            flag_id: None,
            intervention_id: Some(1),
            text: "I have a bus problem, not a motivation problem.".into(),
        };
        let a = f.store.write_blocking(move |c| file(c, &principal(Role::Student), &appeal, t0())).unwrap();
        assert_eq!(
            (a.target_kind.as_str(), a.filed_role.as_str(), a.student_key.as_str()),
            ("intervention", "student", S1)
        );
        let seen = f.store.read_blocking(|c| list(c, &principal(Role::Guardian))).unwrap();
        assert_eq!(seen.len(), 1, "the guardian of the same child sees it");
        assert!(f.store.read_blocking(|c| list(c, &other_teacher())).unwrap().is_empty());

        let end = CloseRequest { outcome: Outcome::Met, note: None };
        f.store.write_blocking(move |c| close(c, &principal(Role::Mtss), 1, &end, t0())).unwrap();
        let before = dump(&f.store, "appeal");
        let late = AppealRequest { flag_id: None, intervention_id: Some(1), text: "x".into() };
        let err = f.store.write_blocking(move |c| file(c, &principal(Role::Guardian), &late, t0())).unwrap_err();
        assert_eq!(err.to_string(), "intervention 1 has ended: there is nothing to contest");
        let missing = AppealRequest { flag_id: None, intervention_id: Some(7), text: "x".into() };
        let err = f.store.write_blocking(move |c| file(c, &principal(Role::Guardian), &missing, t0())).unwrap_err();
        assert!(matches!(err, AlertError::NotFound(_)));
        assert_eq!(dump(&f.store, "appeal"), before);
    }
}
