//! Summaries: contents from stored flags, answers, attendance and interventions; Markdown
//! snapshots; families never see tiers.

use lantern_policies::rules::{Indicator, InterventionType};

use super::*;
use crate::alerts::evaluate::evaluate_student;
use crate::alerts::test_support::*;
use crate::auth::{AuthError, Role};
use crate::interventions::{create, GoalRequest, NewIntervention};

fn setup() -> Fixture {
    let f = fixture();
    seed_answers(&f.store);
    f.store.write_blocking(|c| evaluate_student(c, &policy(), S1, &tier2_facts(), t0())).unwrap();
    f
}

fn facts_for(_: &Connection, key: &str) -> Result<FactSheet, AlertError> {
    Ok(if key == S1 { tier2_facts() } else { calm_facts() })
}

#[test]
fn teacher_summary() {
    let f = setup();
    let s = f
        .store
        .read_blocking(|c| teacher(c, &policy(), &principal(Role::Teacher), None, t0() + days(1), facts_for))
        .unwrap();
    assert_eq!(s.classes.len(), 1);
    let class = &s.classes[0];
    assert_eq!((class.class_id.as_str(), class.title.as_deref(), class.students), (C1, Some("Math 6A"), 1));
    assert_eq!(class.standards[0].below, 1);
    assert_eq!(class.new_flags[0].label, "Tier 2: targeted support");
    assert_eq!(class.reteach[0].misconception, "ratio-as-difference");
    assert_eq!(class.reteach[0].count, 2);
    insta::assert_snapshot!("teacher_markdown", teacher_markdown(&s));
    // MTSS must name a class; a teacher may not name another's.
    let err =
        f.store.read_blocking(|c| teacher(c, &policy(), &principal(Role::Mtss), None, t0(), facts_for)).unwrap_err();
    assert_eq!(err.to_string(), "class: required for a school-wide account");
    let err =
        f.store.read_blocking(|c| teacher(c, &policy(), &other_teacher(), Some(C1), t0(), facts_for)).unwrap_err();
    assert!(matches!(err, AlertError::Auth(AuthError::OutOfScope)));
    let err = f
        .store
        .read_blocking(|c| teacher(c, &policy(), &principal(Role::Mtss), Some("nope"), t0(), facts_for))
        .unwrap_err();
    assert!(matches!(err, AlertError::NotFound(_)));
}

#[test]
fn mtss_summary_lists_overdue_checks_and_outcomes() {
    let f = setup();
    let req = NewIntervention {
        student: None,
        flag_id: Some(1),
        kind: InterventionType::SmallGroupReteach,
        tier: None,
        goal: GoalRequest {
            indicator: Indicator::Mastery,
            standard: Some(FOCUS.into()),
            baseline: 0.4,
            target: 0.8,
            date: None,
        },
        strategies: vec!["reteach".into()],
        owner_account_id: None,
        check_every_days: None,
        start_date: None,
    };
    f.store.write_blocking(move |c| create(c, &policy(), &principal(Role::Teacher), &req, t0())).unwrap();
    let s = f.store.read_blocking(|c| mtss(c, t0() + days(9))).unwrap();
    assert_eq!(s.live_by_tier, [0, 1, 0]);
    assert_eq!(s.raised_by_tier, [0, 0, 0], "raised more than a week ago");
    assert_eq!(s.overdue_checks.len(), 1);
    assert_eq!(s.overdue_checks[0].due, "2026-10-12");
    let s = f.store.read_blocking(|c| mtss(c, t0() + days(1))).unwrap();
    assert_eq!(s.raised_by_tier, [0, 1, 0]);
    assert_eq!(s.transitions.get("intervention_started"), Some(&1));
    assert!(s.overdue_checks.is_empty());
    insta::assert_snapshot!("mtss_markdown", mtss_markdown(&s));
}

#[test]
fn family_summary_is_plain_language() {
    let f = setup();
    let s = f.store.read_blocking(|c| family(c, &policy(), &principal(Role::Guardian), S1, t0())).unwrap();
    assert_eq!((s.days_present, s.days_absent, s.questions_answered, s.questions_correct), (2, 2, 3, 0));
    assert_eq!(s.supports.len(), 1);
    let md = family_markdown(&s);
    let json = serde_json::to_string(&s).unwrap().to_lowercase();
    for text in [md.to_lowercase(), json] {
        for word in ["tier", "amber", "risk", "label"] {
            assert!(!text.contains(word), "{word}: {text}");
        }
    }
    insta::assert_snapshot!("family_markdown", md);
    let err = f.store.read_blocking(|c| family(c, &policy(), &principal(Role::Guardian), S2, t0())).unwrap_err();
    assert!(matches!(err, AlertError::Auth(AuthError::OutOfScope)));
}
