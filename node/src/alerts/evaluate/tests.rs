//! Evaluation: raising with evidence, determinism, renewal, expiry, dismissal and pilot scoping.

use lantern_policies::rules::{FactSheet, Indicator, RulesPolicy, Value};

use super::*;
use crate::alerts::test_support::*;
use crate::store::Store;

fn eval(store: &Store, policy: &RulesPolicy, key: &str, facts: FactSheet, at: DateTime<Utc>) -> Vec<FlagChange> {
    let (policy, key) = (policy.clone(), key.to_string());
    store.write_blocking(move |c| evaluate_student(c, &policy, &key, &facts, at)).unwrap()
}

fn flags(store: &Store, key: &str) -> Vec<FlagRow> {
    let key = key.to_string();
    store.read_blocking(move |c| sql::flags_of(c, &key)).unwrap()
}

#[test]
fn a_tier_two_flag_is_raised_with_its_evidence_and_history() {
    let f = fixture();
    let changes = eval(&f.store, &policy(), S1, tier2_facts(), t0());
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert!(matches!(&changes[0], FlagChange::Raised { rule_id, tier: 2, .. } if rule_id == "reteach-attendance"));
    let flag = &flags(&f.store, S1)[0];
    assert_eq!((flag.state, flag.tier, flag.color.as_str()), (FlagState::Open, 2, "amber"));
    assert_eq!(flag.label, "Tier 2: targeted support");
    assert_eq!(flag.playbook, "small-group-reteach");
    assert_eq!(flag.expires_at, ts(t0() + days(14)));
    let evidence: serde_json::Value = serde_json::from_str(&flag.evidence).unwrap();
    assert_eq!(evidence["rule_id"], "reteach-attendance");
    assert_eq!(evidence["rule_version"], 1);
    assert_eq!(evidence["policy_hash"], policy().hash.0);
    assert_eq!(evidence["values"][0]["indicator"], "absences_14d");
    assert_eq!(evidence["values"][0]["value"], 3);
    assert_eq!(evidence["standards"][0]["standard"], FOCUS);
    let history = f.store.read_blocking(|c| sql::flag_events(c, 1)).unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].from_state.as_deref(), history[0].to_state.as_str()), (None, "open"));
    assert_eq!(history[0].account_id, None, "raised by the system");
}

#[test]
fn same_inputs_give_same_flags_and_re_evaluation_only_renews() {
    let (a, b) = (fixture(), fixture());
    for store in [&a.store, &b.store] {
        eval(store, &policy(), S1, tier2_facts(), t0());
    }
    assert_eq!(flags(&a.store, S1), flags(&b.store, S1));
    // Again with the same facts: nothing new, nothing reported; a later confirmation moves expiry.
    assert!(eval(&a.store, &policy(), S1, tier2_facts(), t0()).is_empty());
    assert!(eval(&a.store, &policy(), S1, tier2_facts(), t0() + days(3)).is_empty());
    let now = flags(&a.store, S1);
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].expires_at, ts(t0() + days(17)));
    assert_eq!(count(&a.store, "flag_event"), 1, "renewals are not transitions");
    // Changed evidence is reported as an update.
    let worse = tier2_facts().with(Indicator::Absences14d, Value::Count(5));
    let changes = eval(&a.store, &policy(), S1, worse, t0() + days(4));
    assert!(matches!(&changes[..], [FlagChange::Updated { .. }]), "{changes:?}");
    assert!(flags(&a.store, S1)[0].reason.contains("5 absences"));
}

#[test]
fn a_flag_expires_after_the_rule_expiry_once_the_condition_stops_holding() {
    let f = fixture();
    eval(&f.store, &policy(), S1, tier2_facts(), t0());
    eval(&f.store, &policy(), S1, tier2_facts(), t0() + days(5));
    // The condition stops holding: the flag stays open until 14 days after it last held.
    assert!(eval(&f.store, &policy(), S1, calm_facts(), t0() + days(18)).is_empty());
    assert_eq!(flags(&f.store, S1)[0].state, FlagState::Open);
    let changes = eval(&f.store, &policy(), S1, calm_facts(), t0() + days(19));
    assert!(matches!(&changes[..], [FlagChange::Expired { .. }]), "{changes:?}");
    let flag = &flags(&f.store, S1)[0];
    assert_eq!(flag.state, FlagState::Expired);
    let history = f.store.read_blocking(|c| sql::flag_events(c, 1)).unwrap();
    assert_eq!(history.last().unwrap().to_state, "expired");
    assert!(history.last().unwrap().reason.as_deref().unwrap().contains("14 days"));
    // Later, the condition holds again: a new flag.
    let changes = eval(&f.store, &policy(), S1, tier2_facts(), t0() + days(30));
    assert!(matches!(&changes[..], [FlagChange::Raised { flag_id: 2, .. }]), "{changes:?}");
}

#[test]
fn expire_due_sweeps_without_facts_but_spares_flags_with_an_intervention() {
    let f = fixture();
    eval(&f.store, &policy(), S1, tier2_facts(), t0());
    let mut s2 = tier2_facts();
    s2.classes = [C2.to_string()].into();
    eval(&f.store, &policy(), S2, s2, t0());
    f.store.write_blocking(|c| sql::set_flag_state(c, 2, FlagState::InterventionStarted, None, &ts(t0()))).unwrap();
    assert!(f.store.write_blocking(|c| expire_due(c, t0() + days(13))).unwrap().is_empty());
    let changes = f.store.write_blocking(|c| expire_due(c, t0() + days(14))).unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(flags(&f.store, S1)[0].state, FlagState::Expired);
    assert_eq!(flags(&f.store, S2)[0].state, FlagState::InterventionStarted);
}

#[test]
fn a_dismissed_rule_is_not_raised_again_within_its_expiry() {
    let f = fixture();
    eval(&f.store, &policy(), S1, tier2_facts(), t0());
    f.store.write_blocking(|c| sql::set_flag_state(c, 1, FlagState::Dismissed, None, &ts(t0()))).unwrap();
    assert!(eval(&f.store, &policy(), S1, tier2_facts(), t0() + days(13)).is_empty());
    let changes = eval(&f.store, &policy(), S1, tier2_facts(), t0() + days(14));
    assert!(matches!(&changes[..], [FlagChange::Raised { flag_id: 2, .. }]), "{changes:?}");
}

const SCOPED: &str = r#"
kind = "rules"
focus_standards = "all"
[bkt]
prior = 0.3
learn = 0.15
slip = 0.1
guess = 0.25
[[rules]]
id = "absent-7th"
version = 3
title = "Absences (pilot: grade 7)"
reason = "{absences_14d} absences in two weeks"
condition = "absences_14d >= 2"
tier = 1
color = "green"
label = "Tier 1: check in"
playbook = "call-home"
expiry_days = 7
scope = { grades = ["07"] }
[[playbooks]]
id = "call-home"
title = "Call home"
steps = ["Call the family."]
interventions = ["family_contact"]
responsible = "teacher"
check_in_days = 7
family_description = "Your child's teacher will call you."
"#;

#[test]
fn pilot_scope_is_respected() {
    let f = fixture();
    let policy = policy_from(SCOPED);
    // S1 is in grade 06: out of the pilot.
    assert!(eval(&f.store, &policy, S1, tier2_facts(), t0()).is_empty());
    let mut seventh = tier2_facts();
    seventh.grades = [lantern_policies::rules::Grade::parse("07").unwrap()].into();
    let changes = eval(&f.store, &policy, S1, seventh, t0());
    assert!(matches!(&changes[..], [FlagChange::Raised { tier: 1, .. }]), "{changes:?}");
    assert_eq!(flags(&f.store, S1)[0].rule_version, 3);
}

#[test]
fn evaluate_all_covers_the_roster_and_expires_flags_of_students_who_left() {
    let f = fixture();
    let changes = f
        .store
        .write_blocking(|c| evaluate_all(c, &policy(), |k| if k == S1 { tier2_facts() } else { calm_facts() }, t0()))
        .unwrap();
    assert_eq!(changes.len(), 1);
    // A flag of someone no longer on the roster still lapses in the full evaluation.
    f.store
        .write_blocking(|c| {
            sql::insert_flag(
                c,
                &NewFlag {
                    student_key: "p_gone",
                    rule_id: "participation-drop",
                    rule_version: 1,
                    policy_hash: "h",
                    tier: 1,
                    color: "green",
                    label: "Tier 1: check in",
                    playbook: "teacher-check-in",
                    reason: "r",
                    evidence: "{}",
                    now: &ts(t0()),
                    expiry_days: 14,
                    expires_at: &ts(t0() + days(14)),
                },
            )
        })
        .unwrap();
    let later = t0() + days(15);
    let changes = f.store.write_blocking(move |c| evaluate_all(c, &policy(), |_| calm_facts(), later)).unwrap();
    assert_eq!(changes.len(), 2, "{changes:?}");
    assert!(changes.iter().all(|c| matches!(c, FlagChange::Expired { .. })));
}
