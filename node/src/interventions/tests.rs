//! Interventions: the flow from a flag to an outcome, and every refusal leaving storage as it was.

use super::*;
use crate::alerts::evaluate::evaluate_student;
use crate::alerts::test_support::*;
use crate::auth::{AuthError, Role};
use crate::store::Store;

fn raised(store: &Store) {
    store.write_blocking(|c| evaluate_student(c, &policy(), S1, &tier2_facts(), t0())).unwrap();
}

fn request() -> NewIntervention {
    NewIntervention {
        student: None,
        flag_id: Some(1),
        kind: InterventionType::SmallGroupReteach,
        tier: None,
        goal: GoalRequest {
            indicator: Indicator::Mastery,
            standard: Some(FOCUS.to_string()),
            baseline: 0.42,
            target: 0.8,
            date: None,
        },
        strategies: vec!["Reteach ratios with tape diagrams".into()],
        owner_account_id: None,
        check_every_days: None,
        start_date: None,
    }
}

fn create_as(store: &Store, p: Principal, req: NewIntervention) -> Result<InterventionView, AlertError> {
    store.write_blocking(move |c| create(c, &policy(), &p, &req, t0()))
}

fn tables(store: &Store) -> Vec<Vec<String>> {
    ["flag", "flag_event", "intervention", "progress_check"].iter().map(|t| dump(store, t)).collect()
}

#[test]
fn from_flag_to_outcome() {
    let f = fixture();
    raised(&f.store);
    let v = create_as(&f.store, principal(Role::Teacher), request()).unwrap();
    // Defaults from the playbook (small-group-reteach: checks every 7 days, 6 weeks) and the flag.
    assert_eq!((v.tier, v.check_every_days, v.owner_account_id), (2, 7, 1));
    assert_eq!((v.start_date.as_str(), v.goal_date.as_str()), ("2026-10-05", "2026-11-16"));
    assert_eq!(v.aim_line[1].value, 0.8);
    assert_eq!(v.next_check_due.as_deref(), Some("2026-10-12"));
    let flag = f.store.read_blocking(|c| crate::store::alerts::flag(c, 1)).unwrap().unwrap();
    assert_eq!(flag.state, FlagState::InterventionStarted);

    let check = CheckRequest { date: None, value: 0.6, note: Some("better with diagrams".into()) };
    let later = t0() + days(21);
    let v = f.store.write_blocking(move |c| record_check(c, &principal(Role::Teacher), 1, &check, later)).unwrap();
    assert_eq!(v.checks.len(), 1);
    assert!((v.checks[0].expected - 0.61).abs() < 1e-9, "{}", v.checks[0].expected);
    assert!(!v.checks[0].on_track, "0.60 is just under the aim line");
    assert_eq!(v.next_check_due.as_deref(), Some("2026-11-02"));
    let v = f.store.read_blocking(|c| view(c, 1, (t0() + days(40)).date_naive())).unwrap();
    assert!(v.overdue);

    let close_req = CloseRequest { outcome: Outcome::Met, note: None };
    let end = t0() + days(42);
    let v = f.store.write_blocking(move |c| close(c, &principal(Role::Mtss), 1, &close_req, end)).unwrap();
    assert_eq!((v.state.as_str(), v.outcome.as_deref(), v.overdue), ("closed", Some("met"), false));
    let flag = f.store.read_blocking(|c| crate::store::alerts::flag(c, 1)).unwrap().unwrap();
    assert_eq!(flag.state, FlagState::Resolved);
    let history = f.store.read_blocking(|c| crate::store::alerts::flag_events(c, 1)).unwrap();
    let states: Vec<_> = history.iter().map(|e| e.to_state.as_str()).collect();
    assert_eq!(states, ["open", "intervention_started", "resolved"]);

    let counts = f.store.read_blocking(outcome_counts).unwrap();
    assert_eq!(counts.by_rule, [OutcomeCount { key: "reteach-attendance".into(), met: 1, partly: 0, not_met: 0 }]);
    assert_eq!(counts.by_type[0].key, "small_group_reteach");
}

#[test]
fn bad_requests_change_nothing() {
    let f = fixture();
    raised(&f.store);
    let before = tables(&f.store);
    let cases: Vec<(NewIntervention, &str)> = vec![
        (NewIntervention { flag_id: Some(9), ..request() }, "no flag 9"),
        (NewIntervention { flag_id: None, ..request() }, "student: give the student or the flag_id"),
        (NewIntervention { student: Some(S2.into()), ..request() }, "student: flag 1 is about another student"),
        (
            NewIntervention { goal: GoalRequest { standard: None, ..request().goal }, ..request() },
            "goal.standard: required for mastery (a per-standard indicator)",
        ),
        (
            NewIntervention { goal: GoalRequest { target: 1.5, ..request().goal }, ..request() },
            "goal.target: 1.5 is outside mastery's range (a share between 0 and 1)",
        ),
        (
            NewIntervention {
                goal: GoalRequest { indicator: Indicator::ChronicAbsence, standard: None, ..request().goal },
                ..request()
            },
            "goal.indicator: chronic_absence is true/false; pick a measured indicator",
        ),
        (NewIntervention { strategies: vec![], ..request() }, "strategies: list 1 to 20"),
        (NewIntervention { strategies: vec![" ".into()], ..request() }, "strategies[0]: must not be empty"),
        (
            NewIntervention { owner_account_id: Some(3), ..request() },
            "owner_account_id: 3 is not a teacher or MTSS account",
        ),
        (NewIntervention { check_every_days: Some(0), ..request() }, "check_every_days: 0 is not between 1 and 90"),
        (
            NewIntervention { goal: GoalRequest { date: Some(t0().date_naive()), ..request().goal }, ..request() },
            "goal.date: 2026-10-05 is not after the start (2026-10-05)",
        ),
    ];
    for (req, message) in cases {
        let err = create_as(&f.store, principal(Role::Teacher), req).unwrap_err();
        assert_eq!(err.to_string(), message);
    }
    let err = create_as(&f.store, other_teacher(), request()).unwrap_err();
    assert!(matches!(err, AlertError::Auth(AuthError::OutOfScope)), "{err}");
    assert_eq!(tables(&f.store), before);
}

#[test]
fn closed_interventions_and_started_flags_refuse_more() {
    let f = fixture();
    raised(&f.store);
    create_as(&f.store, principal(Role::Teacher), request()).unwrap();
    // A second intervention on the same flag: the flag is already under way.
    let err = create_as(&f.store, principal(Role::Teacher), request()).unwrap_err();
    assert!(matches!(err, AlertError::Conflict(_)), "{err}");
    let future = CheckRequest { date: Some((t0() + days(3)).date_naive()), value: 0.5, note: None };
    let err =
        f.store.write_blocking(move |c| record_check(c, &principal(Role::Teacher), 1, &future, t0())).unwrap_err();
    assert_eq!(err.to_string(), "date: 2026-10-08 is in the future");
    let bad = CheckRequest { date: None, value: -0.5, note: None };
    let err = f.store.write_blocking(move |c| record_check(c, &principal(Role::Teacher), 1, &bad, t0())).unwrap_err();
    assert!(err.to_string().starts_with("value: -0.5 is outside"), "{err}");
    let req = CloseRequest { outcome: Outcome::NotMet, note: Some("moved to tier 3".into()) };
    f.store.write_blocking(move |c| close(c, &principal(Role::Teacher), 1, &req, t0())).unwrap();
    let before = tables(&f.store);
    let req = CloseRequest { outcome: Outcome::Met, note: None };
    let err = f.store.write_blocking(move |c| close(c, &principal(Role::Teacher), 1, &req, t0())).unwrap_err();
    assert_eq!(err.to_string(), "intervention 1 is closed (not_met)");
    let ok = CheckRequest { date: None, value: 0.5, note: None };
    let err = f.store.write_blocking(move |c| record_check(c, &principal(Role::Teacher), 1, &ok, t0())).unwrap_err();
    assert!(matches!(err, AlertError::Conflict(_)));
    let err = f.store.read_blocking(|c| get(c, &other_teacher(), 1, t0().date_naive())).unwrap_err();
    assert!(matches!(err, AlertError::Auth(AuthError::OutOfScope)));
    assert_eq!(tables(&f.store), before);
}

#[test]
fn an_intervention_without_a_flag() {
    let f = fixture();
    let req = NewIntervention {
        student: Some(S1.into()),
        flag_id: None,
        kind: InterventionType::AttendanceCheckIn,
        tier: Some(Tier::One),
        goal: GoalRequest { indicator: Indicator::Absences14d, standard: None, baseline: 4.0, target: 1.0, date: None },
        ..request()
    };
    let v = create_as(&f.store, principal(Role::Mtss), req).unwrap();
    assert_eq!((v.tier, v.check_every_days, v.goal_date.as_str()), (1, 7, "2026-11-16"));
    let seen = f.store.read_blocking(|c| list(c, &principal(Role::Teacher), None, t0().date_naive())).unwrap();
    assert_eq!(seen.len(), 1);
    let none = f.store.read_blocking(|c| list(c, &other_teacher(), None, t0().date_naive())).unwrap();
    assert!(none.is_empty(), "another class's teacher sees nothing");
    let counts = f.store.read_blocking(outcome_counts).unwrap();
    assert_eq!(counts, OutcomeCounts::default(), "only closed interventions count");
}
