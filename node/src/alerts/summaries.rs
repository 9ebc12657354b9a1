//! Weekly summaries for the seven days ending now: for a teacher (class progress per focus
//! standard, new flags, misconceptions to reteach), for MTSS (tier movement, overdue progress
//! checks, intervention outcomes) and for a family (one child, plain language, no tiers). Each is
//! a typed value for the dashboard's JSON and renders to Markdown through a template for
//! download; `alerts::mail` e-mails them weekly when `[smtp]` is configured.

mod render;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use lantern_policies::rules::{FactSheet, Indicator, RulesPolicy, StudentFacts, Value};
use rusqlite::Connection;
use serde::Serialize;

use super::regroup::{top, MisconceptionCount, NEEDS_BELOW};
use super::{family, next_steps, AlertError};
use crate::auth::scope::{class_scope, require_class, require_student, ClassScope};
use crate::auth::{ts, Principal};
use crate::interventions;
use crate::store::alerts::{self as flags, reads, FlagState};
pub use render::{family_markdown, mtss_markdown, teacher_markdown};

/// The week a summary covers: `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Week {
    pub from: String,
    pub to: String,
}

impl Week {
    pub fn ending(now: DateTime<Utc>) -> Week {
        Week { from: ts(now - Duration::days(7)), to: ts(now) }
    }

    fn contains(&self, at: &str) -> bool {
        self.from.as_str() <= at && at < self.to.as_str()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StandardProgress {
    pub standard: String,
    /// Students with answers on it.
    pub assessed: usize,
    pub mean_mastery: f64,
    /// Assessed students below the reteach line (70%).
    pub below: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewFlag {
    pub flag_id: i64,
    pub student_key: String,
    pub student_name: Option<String>,
    pub tier: u8,
    pub color: String,
    pub label: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassSummary {
    pub class_id: String,
    pub title: Option<String>,
    pub students: usize,
    pub standards: Vec<StandardProgress>,
    pub new_flags: Vec<NewFlag>,
    /// The week's most frequent misconceptions in the class.
    pub reteach: Vec<MisconceptionCount>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeacherSummary {
    pub week: Week,
    pub classes: Vec<ClassSummary>,
}

/// A teacher's summary of their classes (or of `class`; school-wide accounts must name one).
pub fn teacher(
    c: &Connection,
    policy: &RulesPolicy,
    p: &Principal,
    class: Option<&str>,
    now: DateTime<Utc>,
    facts_for: impl Fn(&Connection, &str) -> Result<FactSheet, AlertError>,
) -> Result<TeacherSummary, AlertError> {
    let classes: Vec<String> = match (class, class_scope(c, p)?) {
        (Some(id), _) => {
            if reads::class_title(c, id)?.is_none() {
                return Err(AlertError::NotFound(format!("no class {id}")));
            }
            require_class(c, p, id)?;
            vec![id.to_string()]
        }
        (None, ClassScope::Classes(set)) => set.into_iter().collect(),
        (None, ClassScope::School) => {
            return Err(AlertError::Invalid("class: required for a school-wide account".into()))
        }
    };
    let week = Week::ending(now);
    let mut out = Vec::new();
    for id in classes {
        let keys = reads::class_students(c, &id)?;
        let names = reads::display_names(c, &keys)?;
        let mut per_standard: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for key in &keys {
            let facts = facts_for(c, key)?;
            for s in policy.focus_standards.resolve(&facts) {
                let n = facts.standard_value(&s, Indicator::MasteryEvidence).and_then(Value::as_number).unwrap_or(0.0);
                if let (true, Some(m)) =
                    (n >= 1.0, facts.standard_value(&s, Indicator::Mastery).and_then(Value::as_number))
                {
                    per_standard.entry(s.as_str().to_string()).or_default().push(m);
                }
            }
        }
        let standards = per_standard
            .into_iter()
            .map(|(standard, v)| StandardProgress {
                standard,
                assessed: v.len(),
                mean_mastery: v.iter().sum::<f64>() / v.len() as f64,
                below: v.iter().filter(|&&m| m < NEEDS_BELOW).count(),
            })
            .collect();
        let mut new_flags = Vec::new();
        for key in &keys {
            for f in flags::flags_of(c, key)?.into_iter().filter(|f| week.contains(&f.raised_at)) {
                new_flags.push(NewFlag {
                    flag_id: f.id,
                    student_key: key.clone(),
                    student_name: names.get(key).cloned(),
                    tier: f.effective_tier(),
                    color: f.color.clone(),
                    label: f.label.clone(),
                    reason: f.reason.clone(),
                });
            }
        }
        new_flags.sort_by(|a, b| b.tier.cmp(&a.tier).then(a.flag_id.cmp(&b.flag_id)));
        let reteach = top(reads::misconception_counts(c, &keys, None, Some(&week.from))?, 3);
        out.push(ClassSummary {
            title: reads::class_title(c, &id)?,
            class_id: id,
            students: keys.len(),
            standards,
            new_flags,
            reteach,
        });
    }
    Ok(TeacherSummary { week, classes: out })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OverdueCheck {
    pub intervention_id: i64,
    pub student_key: String,
    pub student_name: Option<String>,
    pub kind: String,
    pub due: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MtssSummary {
    pub week: Week,
    /// Live flags by tier in force: [tier 1, tier 2, tier 3].
    pub live_by_tier: [u64; 3],
    /// Flags raised this week by tier.
    pub raised_by_tier: [u64; 3],
    /// Transitions this week by the state moved to (acknowledged, overridden, expired, ...).
    pub transitions: BTreeMap<String, u64>,
    pub overdue_checks: Vec<OverdueCheck>,
    /// Interventions closed this week, by outcome.
    pub outcomes: BTreeMap<String, u64>,
}

/// The school-wide summary (callers check the ViewSchoolwide capability).
pub fn mtss(c: &Connection, now: DateTime<Utc>) -> Result<MtssSummary, AlertError> {
    let week = Week::ending(now);
    let mut live_by_tier = [0u64; 3];
    let mut raised_by_tier = [0u64; 3];
    for f in flags::list_flags(c, None, false)? {
        let slot = usize::from(f.effective_tier().clamp(1, 3) - 1);
        if f.state.is_live() {
            live_by_tier[slot] += 1;
        }
        if week.contains(&f.raised_at) {
            raised_by_tier[usize::from(f.tier.clamp(1, 3) - 1)] += 1;
        }
    }
    let mut transitions = BTreeMap::new();
    for (_, to) in reads::transitions_between(c, &week.from, &week.to)? {
        if to != FlagState::Open.as_str() {
            *transitions.entry(to).or_insert(0) += 1;
        }
    }
    let today = now.date_naive();
    let mut overdue_checks = Vec::new();
    let mut outcomes = BTreeMap::new();
    for row in crate::store::alerts::interventions::list(c, None)? {
        if let (Some(outcome), Some(closed)) = (&row.outcome, &row.closed_at) {
            if week.contains(closed) {
                *outcomes.entry(outcome.clone()).or_insert(0) += 1;
            }
            continue;
        }
        let v = interventions::view(c, row.id, today)?;
        if v.overdue {
            overdue_checks.push(OverdueCheck {
                intervention_id: v.id,
                student_name: reads::display_names(c, std::slice::from_ref(&v.student_key))?.remove(&v.student_key),
                student_key: v.student_key,
                kind: v.kind,
                due: v.next_check_due.unwrap_or_default(),
            });
        }
    }
    overdue_checks.sort_by(|a, b| a.due.cmp(&b.due).then(a.intervention_id.cmp(&b.intervention_id)));
    Ok(MtssSummary { week, live_by_tier, raised_by_tier, transitions, overdue_checks, outcomes })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FamilySummary {
    pub week: Week,
    pub student_key: String,
    pub name: Option<String>,
    pub days_present: u64,
    pub days_absent: u64,
    pub questions_answered: u64,
    pub questions_correct: u64,
    /// Current supports, in plain language.
    pub supports: Vec<String>,
    /// Accepted next steps, in plain language.
    pub next_steps: Vec<String>,
}

/// One child's week, for their family (or the student). No tiers, colours, labels or scores.
pub fn family(
    c: &Connection,
    policy: &RulesPolicy,
    p: &Principal,
    student_key: &str,
    now: DateTime<Utc>,
) -> Result<FamilySummary, AlertError> {
    if !reads::person_exists(c, student_key)? {
        return Err(AlertError::NotFound(format!("no student {student_key}")));
    }
    require_student(c, p, student_key)?;
    let week = Week::ending(now);
    let from_day: String = week.from.chars().take(10).collect();
    let to_day: String = week.to.chars().take(10).collect();
    let days = reads::attendance_days(c, student_key, &to_day)?;
    let this_week = days.iter().filter(|(d, _)| *d >= from_day && *d < to_day);
    let (mut present, mut absent) = (0, 0);
    for (_, status) in this_week {
        if matches!(status.as_str(), "absent" | "excused") {
            absent += 1;
        } else {
            present += 1;
        }
    }
    let (answered, correct) = reads::answers_between(c, student_key, &week.from, &week.to)?;
    let supports = family_supports(c, policy, student_key)?;
    let next_steps = next_steps::accepted(c, student_key)?.into_iter().map(|s| s.step.plain()).collect();
    Ok(FamilySummary {
        name: reads::display_names(c, &[student_key.to_string()])?.remove(student_key),
        week,
        student_key: student_key.to_string(),
        days_present: present,
        days_absent: absent,
        questions_answered: answered,
        questions_correct: correct,
        supports,
        next_steps,
    })
}

/// The plain-language supports of one student, whoever asks (scope is checked by the caller).
fn family_supports(c: &Connection, policy: &RulesPolicy, student_key: &str) -> Result<Vec<String>, AlertError> {
    // `family::supports` scopes by principal; here the caller already checked, so read directly.
    let mut out = Vec::new();
    let active: Vec<_> = crate::store::alerts::interventions::list(c, Some(student_key))?
        .into_iter()
        .filter(|i| i.state == "active")
        .collect();
    for f in flags::live_flags_of(c, student_key)? {
        if active.iter().any(|i| i.flag_id == Some(f.id)) {
            continue;
        }
        if let Some(pb) = policy.playbook(&f.playbook) {
            out.push(pb.family_description.clone());
        }
    }
    for i in active {
        if let Some(kind) = lantern_policies::rules::InterventionType::from_name(&i.kind) {
            out.push(family::describe(kind).to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests;
