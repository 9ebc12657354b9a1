//! The rule-tuning report (MTSS): per rule, flags raised and how they ended (dismissed,
//! overridden, expired, resolved), the teachers' ratings with their comments, and — where later
//! outcomes exist (`outcome` table, e.g. the state assessment) — how many flagged students later
//! did or did not reach proficiency (level 3 or 4), judged on their latest outcome on or after
//! the day they were first flagged. Exact counts: for people at this school only; what leaves the
//! node goes through the release's noise.

use std::collections::BTreeMap;

use lantern_policies::rules::RulesPolicy;
use rusqlite::Connection;
use serde::Serialize;

use super::AlertError;
use crate::store::alerts::reads;

/// Proficiency levels that count as "reached proficiency".
pub const PROFICIENT_FROM: u8 = 3;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RatingComment {
    pub flag_id: i64,
    pub useful: bool,
    pub comment: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LaterOutcomes {
    pub flagged_students: u64,
    pub with_outcome: u64,
    pub reached_proficiency: u64,
    pub did_not: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleTuning {
    pub rule_id: String,
    /// Title, tier and version from the policy in force (absent for rules since removed).
    pub title: Option<String>,
    pub tier: Option<u8>,
    pub version: Option<u32>,
    pub raised: u64,
    pub live: u64,
    pub dismissed: u64,
    pub overridden: u64,
    pub expired: u64,
    pub resolved: u64,
    pub rated_useful: u64,
    pub rated_not_useful: u64,
    pub comments: Vec<RatingComment>,
    pub later_outcomes: LaterOutcomes,
}

/// One row per rule of the policy (in policy order), then any rule seen only in stored flags.
pub fn report(c: &Connection, policy: &RulesPolicy) -> Result<Vec<RuleTuning>, AlertError> {
    let mut counts = reads::rule_flag_counts(c)?;
    let mut ratings: BTreeMap<String, Vec<reads::RuleRating>> = BTreeMap::new();
    for r in reads::ratings_by_rule(c)? {
        ratings.entry(r.rule_id.clone()).or_default().push(r);
    }
    let mut outcomes: BTreeMap<String, LaterOutcomes> = BTreeMap::new();
    for (rule, student, raised_at) in reads::flagged_students(c)? {
        let o = outcomes.entry(rule).or_default();
        o.flagged_students += 1;
        match reads::outcome_after(c, &student, &raised_at.chars().take(10).collect::<String>())? {
            Some(level) if level >= PROFICIENT_FROM => {
                o.with_outcome += 1;
                o.reached_proficiency += 1;
            }
            Some(_) => {
                o.with_outcome += 1;
                o.did_not += 1;
            }
            None => {}
        }
    }
    let mut ids: Vec<String> = policy.rules.iter().map(|r| r.id.as_str().to_string()).collect();
    ids.extend(counts.keys().filter(|k| !ids.contains(k)).cloned().collect::<Vec<_>>());
    Ok(ids
        .into_iter()
        .map(|id| {
            let rule = policy.rule(&id);
            let n = counts.remove(&id).unwrap_or_default();
            let rated = ratings.remove(&id).unwrap_or_default();
            RuleTuning {
                title: rule.map(|r| r.title.clone()),
                tier: rule.map(|r| r.tier.number()),
                version: rule.map(|r| r.version),
                raised: n.raised,
                live: n.live,
                dismissed: n.dismissed,
                overridden: n.overridden,
                expired: n.expired,
                resolved: n.resolved,
                rated_useful: rated.iter().filter(|r| r.useful).count() as u64,
                rated_not_useful: rated.iter().filter(|r| !r.useful).count() as u64,
                comments: rated
                    .into_iter()
                    .filter_map(|r| {
                        r.comment.map(|comment| RatingComment { flag_id: r.flag_id, useful: r.useful, comment })
                    })
                    .collect(),
                later_outcomes: outcomes.remove(&id).unwrap_or_default(),
                rule_id: id,
            }
        })
        .collect())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::alerts::evaluate::evaluate_student;
    use crate::alerts::test_support::*;
    use crate::alerts::view::{rate, RatingRequest};
    use crate::alerts::workflow::{transition, RequestedState, TransitionRequest};
    use crate::auth::Role;
    use crate::store::StoreError;

    #[test]
    fn counts_ratings_and_later_outcomes_per_rule() {
        let f = fixture();
        f.store.write_blocking(|c| evaluate_student(c, &policy(), S1, &tier2_facts(), t0())).unwrap();
        let mut s2 = tier2_facts();
        s2.classes = [C2.to_string()].into();
        f.store.write_blocking(move |c| evaluate_student(c, &policy(), S2, &s2, t0())).unwrap();
        f.store
            .write_blocking(|c| -> Result<(), AlertError> {
                let mtss = principal(Role::Mtss);
                let dismiss = TransitionRequest { to: RequestedState::Dismissed, reason: Some("known".into()), tier: None };
                transition(c, &mtss, 2, &dismiss, t0())?;
                let useful = RatingRequest { useful: true, comment: Some("spot on".into()) };
                rate(c, &principal(Role::Teacher), 1, &useful, t0())?;
                rate(c, &mtss, 2, &RatingRequest { useful: false, comment: None }, t0())?;
                // Later outcomes: S1 proficient in spring, S2 not; an outcome before the flag is ignored.
                for (key, date, level) in [(S1, "2027-05-01", 3), (S2, "2026-06-01", 4), (S2, "2027-05-01", 2)] {
                    c.execute(
                        "INSERT INTO outcome (pkey, assessment, date, score, proficiency_level) VALUES (?1, 'state-math', ?2, 500, ?3)",
                        rusqlite::params![key, date, level],
                    )
                    .map_err(StoreError::from)?;
                }
                Ok(())
            })
            .unwrap();
        let report = f.store.read_blocking(|c| report(c, &policy())).unwrap();
        assert_eq!(report.len(), policy().rules.len());
        let r = report.iter().find(|r| r.rule_id == "reteach-attendance").unwrap();
        assert_eq!((r.raised, r.live, r.dismissed, r.overridden), (2, 1, 1, 0));
        assert_eq!((r.rated_useful, r.rated_not_useful), (1, 1));
        assert_eq!(r.comments, [RatingComment { flag_id: 1, useful: true, comment: "spot on".into() }]);
        assert_eq!(
            r.later_outcomes,
            LaterOutcomes { flagged_students: 2, with_outcome: 2, reached_proficiency: 1, did_not: 1 }
        );
        let quiet = report.iter().find(|r| r.rule_id == "participation-drop").unwrap();
        assert_eq!(quiet.raised, 0);
    }
}
