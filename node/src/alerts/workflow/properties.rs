//! Property test: any sequence of evaluations, clock moves, transitions and interventions keeps the
//! workflow's invariants — at most one live flag per rule, final states stay final, each flag's
//! state is the last transition in its history, and history only grows.

use std::collections::BTreeMap;

use chrono::Duration;
use lantern_policies::rules::{InterventionType, Tier};
use proptest::prelude::*;

use super::*;
use crate::alerts::evaluate::evaluate_student;
use crate::alerts::test_support::*;
use crate::auth::Role;
use crate::interventions::{self, CloseRequest, GoalRequest, NewIntervention, Outcome};

#[derive(Debug, Clone)]
enum Op {
    Evaluate { fires: bool },
    Advance { days: i64 },
    Move { to: u8, reason: bool, tier: Option<u8> },
    StartIntervention,
    CloseIntervention,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<bool>().prop_map(|fires| Op::Evaluate { fires }),
        (1i64..20).prop_map(|days| Op::Advance { days }),
        (0u8..4, any::<bool>(), proptest::option::of(1u8..4)).prop_map(|(to, reason, tier)| Op::Move {
            to,
            reason,
            tier
        }),
        Just(Op::StartIntervention),
        Just(Op::CloseIntervention),
    ]
}

fn snapshot(c: &Connection) -> Result<Vec<(FlagRow, Vec<FlagEvent>)>, AlertError> {
    let mut out = Vec::new();
    for f in sql::flags_of(c, S1)? {
        let history = sql::flag_events(c, f.id)?;
        out.push((f, history));
    }
    Ok(out)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn workflow_invariants_hold(ops in proptest::collection::vec(op(), 1..25)) {
        let f = fixture();
        let outcome = f.store.write_blocking(move |c| -> Result<(), AlertError> {
            let mut now = t0();
            let mut before: BTreeMap<i64, (FlagState, usize)> = BTreeMap::new();
            for op in ops {
                let latest = sql::flags_of(c, S1)?.first().map(|f| f.id);
                let result = match op {
                    Op::Evaluate { fires } => {
                        let facts = if fires { tier2_facts() } else { calm_facts() };
                        evaluate_student(c, &policy(), S1, &facts, now).map(|_| ())
                    }
                    Op::Advance { days } => {
                        now += Duration::days(days);
                        Ok(())
                    }
                    Op::Move { to, reason, tier } => {
                        let to = [RequestedState::Acknowledged, RequestedState::Dismissed, RequestedState::Overridden, RequestedState::Resolved][usize::from(to)];
                        let req = TransitionRequest {
                            to,
                            reason: reason.then(|| "because".to_string()),
                            tier: tier.and_then(|t| Tier::try_from(t).ok()),
                        };
                        latest.map_or(Ok(()), |id| transition(c, &principal(Role::Mtss), id, &req, now).map(|_| ()))
                    }
                    Op::StartIntervention => latest.map_or(Ok(()), |id| {
                        let req = NewIntervention {
                            student: None,
                            flag_id: Some(id),
                            kind: InterventionType::SmallGroupReteach,
                            tier: None,
                            goal: GoalRequest { indicator: lantern_policies::rules::Indicator::Absences14d, standard: None, baseline: 3.0, target: 0.0, date: None },
                            strategies: vec!["s".into()],
                            owner_account_id: None,
                            check_every_days: None,
                            start_date: None,
                        };
                        interventions::create(c, &policy(), &principal(Role::Mtss), &req, now).map(|_| ())
                    }),
                    Op::CloseIntervention => {
                        let open = crate::store::alerts::interventions::list(c, Some(S1))?.into_iter().find(|i| i.state == "active");
                        open.map_or(Ok(()), |i| {
                            let req = CloseRequest { outcome: Outcome::Partly, note: None };
                            interventions::close(c, &principal(Role::Mtss), i.id, &req, now).map(|_| ())
                        })
                    }
                };
                // Refusals are expected; storage failures are not.
                if let Err(AlertError::Store(e)) = result {
                    return Err(AlertError::Store(e));
                }
                let flags = snapshot(c)?;
                let mut live_rules = Vec::new();
                for (flag, history) in &flags {
                    if flag.state.is_live() {
                        assert!(!live_rules.contains(&flag.rule_id), "two live flags of {}", flag.rule_id);
                        live_rules.push(flag.rule_id.clone());
                    }
                    let last = history.last().map(|e| e.to_state.as_str());
                    assert_eq!(last, Some(flag.state.as_str()), "state is the last transition");
                    if let Some((was, len)) = before.get(&flag.id) {
                        assert!(history.len() >= *len, "history only grows");
                        if !was.is_live() {
                            assert_eq!(flag.state, *was, "{was} is final");
                        }
                    }
                }
                before = flags.iter().map(|(f, h)| (f.id, (f.state, h.len()))).collect();
            }
            Ok(())
        });
        prop_assert!(outcome.is_ok(), "{:?}", outcome.err());
    }
}
