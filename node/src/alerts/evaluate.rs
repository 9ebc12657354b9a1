//! Evaluation: the rules policy applied to one student's facts, turned into stored flags.
//!
//! - A rule that fires with no live flag of that rule raises a new flag (state `open`), unless a
//!   person dismissed that rule's flag for this student less than the rule's expiry days ago (a
//!   dismissal would mean nothing if the next event raised the flag again).
//! - A rule that fires with a live flag renews it: the evidence is brought up to date and the
//!   flag's expiry moves to now + the rule's expiry days.
//! - A live flag whose rule no longer fires (or left the policy, or no longer applies to the
//!   student under pilot scoping) expires once its expiry time has passed — except a flag with an
//!   intervention under way, which the intervention's outcome resolves.
//!
//! Deterministic: the same facts, policy and time give the same flags (rules in policy order;
//! evidence from `RulesPolicy::evaluate`, which is itself deterministic).

use chrono::{DateTime, Duration, Utc};
use lantern_policies::rules::{Evidence, FactSheet, RulesPolicy, StudentFacts};
use rusqlite::Connection;
use serde::Serialize;

use super::AlertError;
use crate::auth::ts;
use crate::store::alerts::reads;
use crate::store::alerts::{self as sql, FlagEvent, FlagRow, FlagState, NewFlag, Renewal};

/// What an evaluation changed, for live views and logs (no personal data beyond the key).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum FlagChange {
    Raised {
        flag_id: i64,
        student_key: String,
        rule_id: String,
        tier: u8,
    },
    /// Still holds; the evidence changed (a renewal with the same evidence is not reported).
    Updated {
        flag_id: i64,
        student_key: String,
        rule_id: String,
    },
    Expired {
        flag_id: i64,
        student_key: String,
        rule_id: String,
    },
}

/// Evaluates every rule for one student and brings their flags up to date (inside the caller's
/// write transaction). Pilot scoping (`Rule::applies_to`) is applied by the policy's evaluation.
pub fn evaluate_student(
    c: &Connection,
    policy: &RulesPolicy,
    student_key: &str,
    facts: &dyn StudentFacts,
    now: DateTime<Utc>,
) -> Result<Vec<FlagChange>, AlertError> {
    let fired = policy.evaluate(facts);
    let live = sql::live_flags_of(c, student_key)?;
    let now_s = ts(now);
    let mut changes = Vec::new();
    for evidence in &fired {
        let rule_id = evidence.rule_id.as_str();
        let expires_at = ts(now + Duration::days(i64::from(evidence.expiry_days)));
        let evidence_json = serde_json::to_string(evidence)
            .map_err(|e| AlertError::Invalid(format!("evidence of rule {rule_id}: {e}")))?;
        match live.iter().find(|f| f.rule_id == rule_id) {
            Some(flag) => {
                let changed = flag.evidence != evidence_json;
                sql::renew_flag(
                    c,
                    flag.id,
                    &Renewal {
                        rule_version: evidence.rule_version,
                        policy_hash: &evidence.policy_hash.0,
                        reason: &evidence.reason,
                        evidence: &evidence_json,
                        now: &now_s,
                        expiry_days: evidence.expiry_days,
                        expires_at: &expires_at,
                    },
                )?;
                if changed {
                    changes.push(FlagChange::Updated {
                        flag_id: flag.id,
                        student_key: student_key.to_string(),
                        rule_id: rule_id.to_string(),
                    });
                }
            }
            None => {
                if recently_dismissed(c, student_key, evidence, now)? {
                    continue;
                }
                let flag_id = raise(c, student_key, evidence, &evidence_json, &now_s, &expires_at)?;
                changes.push(FlagChange::Raised {
                    flag_id,
                    student_key: student_key.to_string(),
                    rule_id: rule_id.to_string(),
                    tier: evidence.tier.number(),
                });
            }
        }
    }
    for flag in live.iter().filter(|f| !fired.iter().any(|e| e.rule_id.as_str() == f.rule_id)) {
        if lapses(flag) && flag.expires_at <= now_s {
            expire(c, flag, &now_s)?;
            changes.push(FlagChange::Expired {
                flag_id: flag.id,
                student_key: student_key.to_string(),
                rule_id: flag.rule_id.clone(),
            });
        }
    }
    Ok(changes)
}

/// Evaluates every rostered student and every student with a live flag (after a rebuild, and as
/// the daily sweep that lets flags expire), with `facts_for` giving each student's facts.
pub fn evaluate_all(
    c: &Connection,
    policy: &RulesPolicy,
    facts_for: impl Fn(&str) -> FactSheet,
    now: DateTime<Utc>,
) -> Result<Vec<FlagChange>, AlertError> {
    let mut students = reads::rostered_students(c)?;
    students.extend(sql::students_with_live_flags(c)?);
    students.sort();
    students.dedup();
    let mut changes = Vec::new();
    for key in &students {
        let facts = facts_for(key);
        changes.extend(evaluate_student(c, policy, key, &facts, now)?);
    }
    Ok(changes)
}

/// Expires every lapsing flag whose expiry time has passed, without re-evaluating (for a caller
/// that has just re-evaluated the students whose facts it knows changed).
pub fn expire_due(c: &Connection, now: DateTime<Utc>) -> Result<Vec<FlagChange>, AlertError> {
    let now_s = ts(now);
    let mut changes = Vec::new();
    for flag in sql::expirable_due(c, &now_s)? {
        expire(c, &flag, &now_s)?;
        changes.push(FlagChange::Expired { flag_id: flag.id, student_key: flag.student_key, rule_id: flag.rule_id });
    }
    Ok(changes)
}

/// Flags that lapse by themselves when not renewed; one with an intervention under way does not.
fn lapses(flag: &FlagRow) -> bool {
    matches!(flag.state, FlagState::Open | FlagState::Acknowledged | FlagState::Overridden)
}

fn recently_dismissed(
    c: &Connection,
    student_key: &str,
    evidence: &Evidence,
    now: DateTime<Utc>,
) -> Result<bool, AlertError> {
    let Some(at) = sql::last_dismissed_at(c, student_key, evidence.rule_id.as_str())? else { return Ok(false) };
    let since = ts(now - Duration::days(i64::from(evidence.expiry_days)));
    Ok(at > since)
}

fn raise(
    c: &Connection,
    student_key: &str,
    e: &Evidence,
    evidence_json: &str,
    now: &str,
    expires_at: &str,
) -> Result<i64, AlertError> {
    let id = sql::insert_flag(
        c,
        &NewFlag {
            student_key,
            rule_id: e.rule_id.as_str(),
            rule_version: e.rule_version,
            policy_hash: &e.policy_hash.0,
            tier: e.tier.number(),
            color: e.color.name(),
            label: &e.label,
            playbook: e.playbook.as_str(),
            reason: &e.reason,
            evidence: evidence_json,
            now,
            expiry_days: e.expiry_days,
            expires_at,
        },
    )?;
    sql::insert_flag_event(
        c,
        id,
        &FlagEvent {
            at: now.to_string(),
            from_state: None,
            to_state: FlagState::Open.as_str().to_string(),
            account_id: None,
            role: None,
            reason: Some(e.reason.clone()),
        },
    )?;
    Ok(id)
}

fn expire(c: &Connection, flag: &FlagRow, now: &str) -> Result<(), AlertError> {
    sql::set_flag_state(c, flag.id, FlagState::Expired, None, now)?;
    sql::insert_flag_event(
        c,
        flag.id,
        &FlagEvent {
            at: now.to_string(),
            from_state: Some(flag.state.as_str().to_string()),
            to_state: FlagState::Expired.as_str().to_string(),
            account_id: None,
            role: None,
            reason: Some(format!(
                "the condition has not held since {} ({} days)",
                &flag.last_confirmed_at[..10.min(flag.last_confirmed_at.len())],
                flag.expiry_days
            )),
        },
    )?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests;
