//! What students and guardians see of flags and interventions: current supports in plain language
//! — the playbook's `family_description`, or a plain sentence per intervention type — with the
//! state of any appeal. The types here have no field for a tier, colour, label, reason or score,
//! so the JSON families get cannot carry one.

use std::collections::BTreeMap;

use lantern_policies::rules::{InterventionType, RulesPolicy};
use rusqlite::Connection;
use serde::Serialize;

use super::AlertError;
use crate::auth::scope::{student_scope, StudentScope};
use crate::auth::Principal;
use crate::store::alerts::{self as flags, appeals, interventions};

/// Used when a flag's playbook is no longer in the policy.
const GENERAL_SUPPORT: &str =
    "Your child's teachers are keeping a closer eye on how things are going and may reach out.";

/// One support, as a family reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FamilySupport {
    /// `flag` or `intervention`: what an appeal about it names.
    pub kind: &'static str,
    pub id: i64,
    pub description: String,
    /// The date it started (YYYY-MM-DD).
    pub since: String,
    pub appeal: Option<FamilyAppeal>,
}

/// The latest appeal about a support.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FamilyAppeal {
    pub id: i64,
    /// `open` or `answered`.
    pub state: String,
    pub decision: Option<String>,
    pub answer: Option<String>,
    pub filed_at: String,
    pub answered_at: Option<String>,
}

/// One student's supports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StudentSupports {
    pub student_key: String,
    pub supports: Vec<FamilySupport>,
}

/// A plain sentence for each intervention type.
pub fn describe(kind: InterventionType) -> &'static str {
    use InterventionType as I;
    match kind {
        I::SmallGroupReteach => "Your child is working in a small group to go over recent lessons again.",
        I::IndividualTutoring => "Your child is getting one-on-one help from a tutor.",
        I::PeerTutoring => "Your child is working with a classmate who helps with practice.",
        I::ExtendedLearningTime => "Your child has extra learning time during the school week.",
        I::AttendanceCheckIn => "An adult at school checks in with your child about coming to school.",
        I::AttendancePlan => "The school and your family have a plan to help your child be in school every day.",
        I::TeacherCheckIn => "Your child's teacher checks in with them about how class is going.",
        I::CheckInCheckOut => "Your child starts and ends each day with a short check-in with a trusted adult.",
        I::Mentoring => "Your child meets regularly with a mentor.",
        I::Counseling => "Your child meets with the school counselor.",
        I::FamilyContact => "The school will stay in touch with you about how your child is doing.",
        I::FamilyMeeting => "The school would like to meet with you to plan together.",
        I::HomeVisit => "Someone from the school would like to visit to talk about how we can help.",
        I::SupportTeamReferral => "A team at school is making an individual plan to help your child.",
    }
}

fn date(ts: &str) -> String {
    ts.chars().take(10).collect()
}

/// Current supports of every student the principal may see (own record, linked children), or of
/// one of them. Never school-wide: a principal with school scope gets nothing here.
pub fn supports(
    c: &Connection,
    policy: &RulesPolicy,
    p: &Principal,
    only: Option<&str>,
) -> Result<Vec<StudentSupports>, AlertError> {
    let StudentScope::Students(keys) = student_scope(c, p)? else { return Ok(Vec::new()) };
    if let Some(k) = only {
        if !keys.contains(k) {
            return Err(crate::auth::AuthError::OutOfScope.into());
        }
    }
    let all_appeals = appeals::list(c)?;
    let latest_appeal = |kind: &str, id: i64| {
        all_appeals.iter().filter(|a| a.target_kind == kind && a.target_id == id).max_by_key(|a| a.id).map(|a| {
            FamilyAppeal {
                id: a.id,
                state: a.state.clone(),
                decision: a.decision.clone(),
                answer: a.answer.clone(),
                filed_at: a.filed_at.clone(),
                answered_at: a.answered_at.clone(),
            }
        })
    };
    let mut out = Vec::new();
    for key in keys.iter().filter(|k| only.is_none_or(|o| o == k.as_str())) {
        let mut supports = Vec::new();
        let active: Vec<_> = interventions::list(c, Some(key))?.into_iter().filter(|i| i.state == "active").collect();
        let answered_by_intervention: BTreeMap<i64, ()> =
            active.iter().filter_map(|i| i.flag_id.map(|f| (f, ()))).collect();
        for f in flags::live_flags_of(c, key)? {
            if answered_by_intervention.contains_key(&f.id) {
                continue; // the intervention describes the support more precisely
            }
            let description =
                policy.playbook(&f.playbook).map_or(GENERAL_SUPPORT.to_string(), |pb| pb.family_description.clone());
            supports.push(FamilySupport {
                kind: "flag",
                id: f.id,
                description,
                since: date(&f.raised_at),
                appeal: latest_appeal("flag", f.id),
            });
        }
        for i in active {
            let description = InterventionType::from_name(&i.kind).map_or(GENERAL_SUPPORT, describe).to_string();
            supports.push(FamilySupport {
                kind: "intervention",
                id: i.id,
                description,
                since: i.start_date.clone(),
                appeal: latest_appeal("intervention", i.id),
            });
        }
        out.push(StudentSupports { student_key: key.clone(), supports });
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::alerts::appeals::{answer, file, AnswerRequest, AppealRequest, Decision};
    use crate::alerts::evaluate::evaluate_student;
    use crate::alerts::test_support::*;
    use crate::auth::{AuthError, Role};

    #[test]
    fn families_see_plain_language_and_appeal_state_never_tiers() {
        let f = fixture();
        f.store.write_blocking(|c| evaluate_student(c, &policy(), S1, &tier2_facts(), t0())).unwrap();
        let mut s2 = tier2_facts();
        s2.classes = [C2.to_string()].into();
        f.store.write_blocking(move |c| evaluate_student(c, &policy(), S2, &s2, t0())).unwrap();

        let appeal = AppealRequest { flag_id: Some(1), intervention_id: None, text: "He was ill with a note.".into() };
        let filed = f.store.write_blocking(move |c| file(c, &principal(Role::Guardian), &appeal, t0())).unwrap();
        assert_eq!((filed.state.as_str(), filed.filed_role.as_str()), ("open", "guardian"));

        for role in [Role::Guardian, Role::Student] {
            let seen = f.store.read_blocking(move |c| supports(c, &policy(), &principal(role), None)).unwrap();
            assert_eq!(seen.len(), 1, "only the own or linked student");
            assert_eq!(seen[0].student_key, S1);
            let s = &seen[0].supports[0];
            assert!(s.description.starts_with("Your child is working in a small group"), "{}", s.description);
            assert_eq!(s.appeal.as_ref().unwrap().state, "open");
            let json = serde_json::to_string(&seen).unwrap().to_lowercase();
            for word in ["tier", "risk", "color", "label", "amber", "reason", "score"] {
                assert!(!json.contains(word), "{word} in {json}");
            }
        }
        let reply = AnswerRequest { decision: Decision::Upheld, answer: "We will keep the group for now.".into() };
        f.store.write_blocking(move |c| answer(c, &principal(Role::Mtss), 1, &reply, t0())).unwrap();
        let seen = f.store.read_blocking(|c| supports(c, &policy(), &principal(Role::Guardian), Some(S1))).unwrap();
        let a = seen[0].supports[0].appeal.clone().unwrap();
        assert_eq!((a.state.as_str(), a.decision.as_deref()), ("answered", Some("upheld")));

        // Not one's child: refused, and nothing filed.
        let before = dump(&f.store, "appeal");
        let err = f.store.read_blocking(|c| supports(c, &policy(), &principal(Role::Guardian), Some(S2))).unwrap_err();
        assert!(matches!(err, AlertError::Auth(AuthError::OutOfScope)));
        let other = AppealRequest { flag_id: Some(2), intervention_id: None, text: "x".into() };
        let err = f.store.write_blocking(move |c| file(c, &principal(Role::Guardian), &other, t0())).unwrap_err();
        assert!(matches!(err, AlertError::Auth(AuthError::OutOfScope)));
        let both = AppealRequest { flag_id: Some(1), intervention_id: Some(1), text: "x".into() };
        let err = f.store.write_blocking(move |c| file(c, &principal(Role::Guardian), &both, t0())).unwrap_err();
        assert_eq!(err.to_string(), "give exactly one of flag_id and intervention_id");
        let reply = AnswerRequest { decision: Decision::Changed, answer: "again".into() };
        let err = f.store.write_blocking(move |c| answer(c, &principal(Role::Mtss), 1, &reply, t0())).unwrap_err();
        assert_eq!(err.to_string(), "appeal 1 was already answered");
        assert_eq!(dump(&f.store, "appeal"), before);
    }
}
