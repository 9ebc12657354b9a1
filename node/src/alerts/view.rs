//! Flags as staff read them: the list (own students for teachers, school-wide by tier for MTSS)
//! and one flag with its evidence, the playbook from the policy, the transitions still open, its
//! history and ratings. Colour always travels with a text label.

use lantern_policies::rules::{Playbook, RulesPolicy};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::workflow::next_states;
use super::AlertError;
use crate::auth::scope::{require_student, student_scope};
use crate::auth::Principal;
use crate::store::alerts::{self as sql, appeals, reads, FlagEvent, FlagRating, FlagRow, FlagState};

/// `GET /api/v1/alerts` query.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only flags in this state (default: live flags).
    pub state: Option<FlagState>,
    /// Only this tier (in force).
    pub tier: Option<u8>,
    /// Only this student (pseudonymous key).
    pub student: Option<String>,
    /// Include ended flags (dismissed, resolved, expired).
    #[serde(default)]
    pub all: bool,
}

/// One line of the early-warning list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlagSummary {
    pub id: i64,
    pub student_key: String,
    pub student_name: Option<String>,
    pub rule_id: String,
    /// The tier in force (a person's override, else the rule's).
    pub tier: u8,
    pub color: String,
    /// Always shown with the colour.
    pub label: String,
    pub state: FlagState,
    pub reason: String,
    pub playbook: String,
    pub raised_at: String,
    pub expires_at: String,
}

/// One flag in full.
#[derive(Debug, Clone, Serialize)]
pub struct FlagDetail {
    #[serde(flatten)]
    pub summary: FlagSummary,
    pub rule_tier: u8,
    pub overridden: bool,
    pub rule_version: u32,
    pub policy_hash: String,
    pub last_confirmed_at: String,
    /// The policy's evidence: indicator values, standards, rule id and version, policy hash.
    pub evidence: serde_json::Value,
    /// The playbook from the policy in force (absent if the policy no longer has it).
    pub playbook_detail: Option<Playbook>,
    /// Where a person may move it now.
    pub next_states: Vec<FlagState>,
    pub history: Vec<FlagEvent>,
    pub ratings: Vec<FlagRating>,
    pub appeals: Vec<appeals::AppealRow>,
}

/// The colour of a tier set by a person (the rule's colour otherwise).
pub fn tier_color(tier: u8) -> &'static str {
    match tier {
        1 => "green",
        2 => "amber",
        _ => "red",
    }
}

fn summary(row: &FlagRow, name: Option<String>) -> FlagSummary {
    let (color, label) = match row.tier_override {
        Some(t) => (tier_color(t).to_string(), format!("Tier {t}: set by staff (rule: tier {})", row.tier)),
        None => (row.color.clone(), row.label.clone()),
    };
    FlagSummary {
        id: row.id,
        student_key: row.student_key.clone(),
        student_name: name,
        rule_id: row.rule_id.clone(),
        tier: row.effective_tier(),
        color,
        label,
        state: row.state,
        reason: row.reason.clone(),
        playbook: row.playbook.clone(),
        raised_at: row.raised_at.clone(),
        expires_at: row.expires_at.clone(),
    }
}

/// Flags the principal may see, highest tier first, then newest.
pub fn list(c: &Connection, p: &Principal, q: &ListQuery) -> Result<Vec<FlagSummary>, AlertError> {
    if let Some(s) = &q.student {
        require_student(c, p, s)?;
    }
    let scope = student_scope(c, p)?;
    let rows: Vec<FlagRow> = sql::list_flags(c, q.state, !q.all)?
        .into_iter()
        .filter(|r| scope.contains(&r.student_key))
        .filter(|r| q.student.as_ref().is_none_or(|s| *s == r.student_key))
        .filter(|r| q.tier.is_none_or(|t| r.effective_tier() == t))
        .collect();
    let keys: Vec<String> = rows.iter().map(|r| r.student_key.clone()).collect();
    let names = reads::display_names(c, &keys)?;
    let mut out: Vec<FlagSummary> = rows.iter().map(|r| summary(r, names.get(&r.student_key).cloned())).collect();
    out.sort_by(|a, b| b.tier.cmp(&a.tier).then(b.raised_at.cmp(&a.raised_at)).then(b.id.cmp(&a.id)));
    Ok(out)
}

/// One flag in full, if the principal may see its student.
pub fn detail(c: &Connection, policy: &RulesPolicy, p: &Principal, id: i64) -> Result<FlagDetail, AlertError> {
    let row = sql::flag(c, id)?.ok_or_else(|| AlertError::NotFound(format!("no flag {id}")))?;
    require_student(c, p, &row.student_key)?;
    let name = reads::display_names(c, std::slice::from_ref(&row.student_key))?.remove(&row.student_key);
    let evidence = serde_json::from_str(&row.evidence).unwrap_or(serde_json::Value::Null);
    let appeals = appeals::list(c)?.into_iter().filter(|a| a.target_kind == "flag" && a.target_id == id).collect();
    Ok(FlagDetail {
        summary: summary(&row, name),
        rule_tier: row.tier,
        overridden: row.tier_override.is_some(),
        rule_version: row.rule_version,
        policy_hash: row.policy_hash.clone(),
        last_confirmed_at: row.last_confirmed_at.clone(),
        evidence,
        playbook_detail: policy.playbook(&row.playbook).cloned(),
        next_states: next_states(row.state),
        history: sql::flag_events(c, id)?,
        ratings: sql::ratings(c, id)?,
        appeals,
    })
}

/// `POST /api/v1/alerts/{id}/rating` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    pub useful: bool,
    pub comment: Option<String>,
}

/// Records the principal's rating of a flag (replacing an earlier one of theirs).
pub fn rate(
    c: &Connection,
    p: &Principal,
    id: i64,
    req: &RatingRequest,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AlertError> {
    let row = sql::flag(c, id)?.ok_or_else(|| AlertError::NotFound(format!("no flag {id}")))?;
    require_student(c, p, &row.student_key)?;
    let comment = req.comment.as_deref().map(|t| super::text("comment", t, 2000)).transpose()?;
    sql::upsert_rating(
        c,
        id,
        &FlagRating { account_id: p.account_id, useful: req.useful, comment, at: crate::auth::ts(now) },
    )?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::alerts::evaluate::evaluate_student;
    use crate::alerts::test_support::*;
    use crate::alerts::workflow::{transition, RequestedState, TransitionRequest};
    use crate::auth::Role;

    #[test]
    fn a_flag_in_full() {
        let f = fixture();
        f.store
            .write_blocking(|c| -> Result<(), AlertError> {
                evaluate_student(c, &policy(), S1, &tier2_facts(), t0())?;
                let ack = TransitionRequest { to: RequestedState::Acknowledged, reason: None, tier: None };
                transition(c, &principal(Role::Teacher), 1, &ack, t0())?;
                rate(c, &principal(Role::Teacher), 1, &RatingRequest { useful: true, comment: None }, t0())?;
                Ok(())
            })
            .unwrap();
        let full = f.store.read_blocking(|c| detail(c, &policy(), &principal(Role::Mtss), 1)).unwrap();
        let mut json = serde_json::to_value(&full).unwrap();
        // The policy hash changes with every edit of the default rules; the rest is pinned.
        assert_eq!(json["policy_hash"], policy().hash.0);
        json["policy_hash"] = "[hash]".into();
        json["evidence"]["policy_hash"] = "[hash]".into();
        insta::assert_json_snapshot!("flag_detail", json);
        let err = f.store.read_blocking(|c| detail(c, &policy(), &other_teacher(), 1)).unwrap_err();
        assert!(matches!(err, AlertError::Auth(crate::auth::AuthError::OutOfScope)));
        let listed = f.store.read_blocking(|c| list(c, &other_teacher(), &ListQuery::default())).unwrap();
        assert!(listed.is_empty());
    }

    #[test]
    fn an_override_shows_the_new_tier_in_its_colour_with_a_label() {
        let f = fixture();
        f.store
            .write_blocking(|c| -> Result<(), AlertError> {
                evaluate_student(c, &policy(), S1, &tier2_facts(), t0())?;
                let up = TransitionRequest {
                    to: RequestedState::Overridden,
                    reason: Some("also absent from other classes".into()),
                    tier: Some(lantern_policies::rules::Tier::Three),
                };
                transition(c, &principal(Role::Mtss), 1, &up, t0())?;
                Ok(())
            })
            .unwrap();
        let q = ListQuery { tier: Some(3), ..ListQuery::default() };
        let listed = f.store.read_blocking(move |c| list(c, &principal(Role::Mtss), &q)).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].color.as_str(), listed[0].label.as_str()),
            ("red", "Tier 3: set by staff (rule: tier 2)")
        );
    }
}
