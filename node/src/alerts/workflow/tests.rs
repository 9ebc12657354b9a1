//! Workflow: allowed transitions with history, refusals that change nothing.

use lantern_policies::rules::Tier;

use super::*;
use crate::alerts::evaluate::evaluate_student;
use crate::alerts::test_support::*;
use crate::auth::{AuthError, Role};
use crate::store::Store;

fn raised(store: &Store) {
    store.write_blocking(|c| evaluate_student(c, &policy(), S1, &tier2_facts(), t0())).unwrap();
}

fn ask(to: RequestedState, reason: Option<&str>, tier: Option<Tier>) -> TransitionRequest {
    TransitionRequest { to, reason: reason.map(str::to_string), tier }
}

fn run(store: &Store, p: Principal, req: TransitionRequest) -> Result<FlagRow, AlertError> {
    store.write_blocking(move |c| transition(c, &p, 1, &req, t0() + days(1)))
}

#[test]
fn acknowledge_override_then_dismiss_records_who_when_why() {
    let f = fixture();
    raised(&f.store);
    let flag = run(&f.store, principal(Role::Teacher), ask(RequestedState::Acknowledged, None, None)).unwrap();
    assert_eq!(flag.state, FlagState::Acknowledged);
    let flag = run(
        &f.store,
        principal(Role::Mtss),
        ask(RequestedState::Overridden, Some("already in a reading group"), Some(Tier::One)),
    )
    .unwrap();
    assert_eq!((flag.state, flag.tier, flag.effective_tier()), (FlagState::Overridden, 2, 1));
    run(&f.store, principal(Role::Mtss), ask(RequestedState::Dismissed, Some("family moved"), None)).unwrap();
    let history = f.store.read_blocking(|c| sql::flag_events(c, 1)).unwrap();
    let steps: Vec<_> = history.iter().map(|e| (e.to_state.as_str(), e.account_id, e.role.as_deref())).collect();
    assert_eq!(
        steps,
        [
            ("open", None, None),
            ("acknowledged", Some(1), Some("teacher")),
            ("overridden", Some(2), Some("mtss")),
            ("dismissed", Some(2), Some("mtss"))
        ]
    );
    assert_eq!(history[2].reason.as_deref(), Some("tier 2 → 1: already in a reading group"));
    assert_eq!(history[3].at, ts(t0() + days(1)));
}

#[test]
fn refusals_change_nothing() {
    let f = fixture();
    raised(&f.store);
    let before = (dump(&f.store, "flag"), dump(&f.store, "flag_event"));
    let err = run(&f.store, principal(Role::Teacher), ask(RequestedState::Dismissed, None, None)).unwrap_err();
    assert_eq!(err.to_string(), "reason: required to move a flag to dismissed");
    let err = run(&f.store, principal(Role::Teacher), ask(RequestedState::Dismissed, Some("   "), None)).unwrap_err();
    assert_eq!(err.to_string(), "reason: must not be empty");
    let err = run(&f.store, principal(Role::Teacher), ask(RequestedState::Overridden, Some("x"), None)).unwrap_err();
    assert_eq!(err.to_string(), "tier: required to override a flag");
    let err = run(&f.store, principal(Role::Teacher), ask(RequestedState::Overridden, Some("x"), Some(Tier::Two)))
        .unwrap_err();
    assert_eq!(err.to_string(), "tier: the flag is already tier 2");
    let err =
        run(&f.store, principal(Role::Teacher), ask(RequestedState::Acknowledged, None, Some(Tier::One))).unwrap_err();
    assert!(matches!(err, AlertError::Invalid(_)), "{err}");
    // Resolving a flag with no intervention under way is a conflict.
    let err = run(&f.store, principal(Role::Teacher), ask(RequestedState::Resolved, None, None)).unwrap_err();
    assert!(matches!(err, AlertError::Conflict(_)));
    assert_eq!(
        err.to_string(),
        "flag 1 is open: it cannot become resolved (allowed from open: acknowledged, dismissed, overridden, intervention_started)"
    );
    // The teacher of another class may not touch this student's flag.
    let err = run(&f.store, other_teacher(), ask(RequestedState::Acknowledged, None, None)).unwrap_err();
    assert!(matches!(err, AlertError::Auth(AuthError::OutOfScope)), "{err}");
    let err = f
        .store
        .write_blocking(|c| {
            transition(c, &principal(Role::Mtss), 99, &ask(RequestedState::Acknowledged, None, None), t0())
        })
        .unwrap_err();
    assert!(matches!(err, AlertError::NotFound(_)));
    assert_eq!((dump(&f.store, "flag"), dump(&f.store, "flag_event")), before);
}

#[test]
fn an_expired_flag_is_final() {
    let f = fixture();
    raised(&f.store);
    f.store.write_blocking(|c| crate::alerts::expire_due(c, t0() + days(30))).unwrap();
    let before = dump(&f.store, "flag");
    for to in [RequestedState::Resolved, RequestedState::Acknowledged] {
        let err = run(&f.store, principal(Role::Mtss), ask(to, Some("x"), None)).unwrap_err();
        assert!(err.to_string().contains("allowed from expired: nothing: it is final"), "{err}");
    }
    assert_eq!(dump(&f.store, "flag"), before);
}

#[test]
fn the_state_machine() {
    use FlagState as S;
    assert!(allowed(S::InterventionStarted, S::Resolved));
    assert!(!allowed(S::Open, S::Resolved));
    assert!(!allowed(S::InterventionStarted, S::Expired), "an intervention under way does not lapse");
    for terminal in [S::Dismissed, S::Resolved, S::Expired] {
        assert!(S::ALL.iter().all(|&to| !allowed(terminal, to)), "{terminal} is final");
        assert!(!terminal.is_live());
    }
}
