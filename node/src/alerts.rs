//! Early-warning alerts (issue 7): evaluating the rules policy per student into flags that carry
//! their evidence, the flag workflow (acknowledge, dismiss, override, intervene, resolve, expire)
//! with its history, teacher ratings, appeals, the plain-language view families get, regroup
//! suggestions, next steps, weekly summaries and the rule-tuning report. Interventions live in
//! `crate::interventions`. docs/ALERTS.md describes the workflow and who may do what.
//!
//! Map: `evaluate` (facts → flags, renewal, expiry) · `workflow` (transitions) · `view` (flags as
//! staff read them, with playbook and history) · `family` (supports in plain language) ·
//! `appeals` · `evaluator` (re-evaluates students after their events commit) · `regroup` ·
//! `next_steps` · `student_views` (what the student, progress and family pages show) · `summaries` (and `mail`: the summaries by e-mail when `[smtp]` is set) · `tuning`.

pub mod appeals;
pub mod evaluate;
pub mod evaluator;
pub mod family;
pub mod mail;
pub mod next_steps;
pub mod regroup;
pub mod student_views;
pub mod summaries;
pub mod tuning;
pub mod view;
pub mod workflow;

pub use crate::interventions::{outcome_counts, OutcomeCounts};
pub use crate::store::alerts::{FlagRow, FlagState};
pub use evaluate::{evaluate_all, evaluate_student, expire_due, FlagChange};
pub use workflow::{transition, TransitionRequest};

use crate::auth::AuthError;
use crate::store::StoreError;

/// What can go wrong in the alert domain; the HTTP edge maps each to a status.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// No such flag, intervention, appeal, class or student (404).
    #[error("{0}")]
    NotFound(String),
    /// The thing exists but is in a state that does not allow this (409).
    #[error("{0}")]
    Conflict(String),
    /// The request names something invalid (422).
    #[error("{0}")]
    Invalid(String),
    /// Role or scope (403).
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<rusqlite::Error> for AlertError {
    fn from(e: rusqlite::Error) -> AlertError {
        AlertError::Store(StoreError::Sqlite(e))
    }
}

/// Stored data that does not parse: a fault of the node (500), not of the request.
pub(crate) fn corrupt(what: String) -> AlertError {
    AlertError::Store(StoreError::Invalid(what))
}

/// Checks free text from a person: trimmed, non-empty, at most `max` characters.
pub(crate) fn text(field: &str, value: &str, max: usize) -> Result<String, AlertError> {
    let t = value.trim();
    if t.is_empty() {
        return Err(AlertError::Invalid(format!("{field}: must not be empty")));
    }
    if t.chars().count() > max {
        return Err(AlertError::Invalid(format!("{field}: at most {max} characters")));
    }
    Ok(t.to_string())
}

#[cfg(test)]
pub(crate) mod test_support;
