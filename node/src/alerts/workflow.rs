//! The flag workflow: which transitions a person may make, and making them — scoped to the
//! students the person may see, recorded in the history with who, when and why. Nothing is
//! deleted; dismissed, resolved and expired are final.
//!
//! ```text
//! open ──► acknowledged ──► dismissed (reason)
//!   │            │   └────► overridden (tier, reason) ──► dismissed | intervention_started
//!   │            └────────► intervention_started ──► resolved
//!   └──► dismissed | overridden | intervention_started
//! open | acknowledged | overridden ──► expired   (the system, when the condition stops holding)
//! ```

use chrono::{DateTime, Utc};
use lantern_policies::rules::Tier;
use rusqlite::Connection;
use serde::Deserialize;

use super::{text, AlertError};
use crate::auth::scope::require_student;
use crate::auth::{ts, Principal};
use crate::store::alerts::{self as sql, FlagEvent, FlagRow, FlagState};

/// Longest reason a person may give.
pub const MAX_REASON_CHARS: usize = 2000;

/// The states a person may move a flag to through the transitions route (an intervention is
/// started by creating one; expiry is the system's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestedState {
    Acknowledged,
    Dismissed,
    Overridden,
    Resolved,
}

impl RequestedState {
    fn state(self) -> FlagState {
        match self {
            RequestedState::Acknowledged => FlagState::Acknowledged,
            RequestedState::Dismissed => FlagState::Dismissed,
            RequestedState::Overridden => FlagState::Overridden,
            RequestedState::Resolved => FlagState::Resolved,
        }
    }
}

/// `POST /api/v1/alerts/{id}/transitions` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    pub to: RequestedState,
    pub reason: Option<String>,
    /// The new tier, for `overridden`.
    pub tier: Option<Tier>,
}

/// Whether a flag in `from` may move to `to`.
pub fn allowed(from: FlagState, to: FlagState) -> bool {
    use FlagState as S;
    matches!(
        (from, to),
        (S::Open, S::Acknowledged | S::Dismissed | S::Overridden | S::InterventionStarted)
            | (S::Acknowledged, S::Dismissed | S::Overridden | S::InterventionStarted)
            | (S::Overridden, S::Dismissed | S::Overridden | S::InterventionStarted)
            | (S::InterventionStarted, S::Resolved)
            | (S::Open | S::Acknowledged | S::Overridden, S::Expired)
    )
}

/// The states reachable from `from` by a person, for messages and the UI.
pub fn next_states(from: FlagState) -> Vec<FlagState> {
    FlagState::ALL.into_iter().filter(|&to| to != FlagState::Expired && allowed(from, to)).collect()
}

/// Moves a flag as `p` asks. 404 unknown flag, 403 student out of scope, 409 not allowed from
/// the flag's state, 422 missing reason or tier; on any error nothing changes.
pub fn transition(
    c: &Connection,
    p: &Principal,
    flag_id: i64,
    req: &TransitionRequest,
    now: DateTime<Utc>,
) -> Result<FlagRow, AlertError> {
    let flag = sql::flag(c, flag_id)?.ok_or_else(|| AlertError::NotFound(format!("no flag {flag_id}")))?;
    require_student(c, p, &flag.student_key)?;
    let to = req.to.state();
    check_allowed(&flag, to)?;
    let reason = match (&req.reason, to) {
        (Some(r), _) => Some(text("reason", r, MAX_REASON_CHARS)?),
        (None, FlagState::Dismissed | FlagState::Overridden) => {
            return Err(AlertError::Invalid(format!("reason: required to move a flag to {to}")))
        }
        (None, _) => None,
    };
    let tier = match (req.tier, to) {
        (Some(t), FlagState::Overridden) if t.number() == flag.effective_tier() => {
            return Err(AlertError::Invalid(format!("tier: the flag is already tier {}", t.number())))
        }
        (Some(t), FlagState::Overridden) => Some(t.number()),
        (None, FlagState::Overridden) => return Err(AlertError::Invalid("tier: required to override a flag".into())),
        (Some(_), _) => return Err(AlertError::Invalid(format!("tier: only an override changes the tier, not {to}"))),
        (None, _) => None,
    };
    apply(c, &flag, to, Some(p), reason, tier, now)?;
    sql::flag(c, flag_id)?.ok_or_else(|| AlertError::NotFound(format!("no flag {flag_id}")))
}

/// 409 unless `flag` may move to `to`.
pub(crate) fn check_allowed(flag: &FlagRow, to: FlagState) -> Result<(), AlertError> {
    if allowed(flag.state, to) {
        return Ok(());
    }
    let next: Vec<&str> = next_states(flag.state).into_iter().map(FlagState::as_str).collect();
    let options = if next.is_empty() { "nothing: it is final".to_string() } else { next.join(", ") };
    Err(AlertError::Conflict(format!(
        "flag {} is {}: it cannot become {to} (allowed from {}: {options})",
        flag.id, flag.state, flag.state
    )))
}

/// Records a transition already checked against `allowed`.
pub(crate) fn apply(
    c: &Connection,
    flag: &FlagRow,
    to: FlagState,
    actor: Option<&Principal>,
    reason: Option<String>,
    tier_override: Option<u8>,
    now: DateTime<Utc>,
) -> Result<(), AlertError> {
    let now = ts(now);
    sql::set_flag_state(c, flag.id, to, tier_override, &now)?;
    let reason = match tier_override {
        Some(t) => Some(format!("tier {} → {t}: {}", flag.effective_tier(), reason.unwrap_or_default())),
        None => reason,
    };
    sql::insert_flag_event(
        c,
        flag.id,
        &FlagEvent {
            at: now,
            from_state: Some(flag.state.as_str().to_string()),
            to_state: to.as_str().to_string(),
            account_id: actor.map(|p| p.account_id),
            role: actor.map(|p| p.role.as_str().to_string()),
            reason,
        },
    )?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests;

#[cfg(test)]
mod properties;
