//! Personalised next steps: suggested for the teacher, who accepts them as they are or changed;
//! accepted steps are what the student sees and what a connected practice tool fetches.
//!
//! Suggestions, in order: **practice** on the weakest assessed focus standard while it is below
//! [`MASTERED`] — bank items on it that offer a distractor for the student's most frequent
//! misconception there (items the student has not answered first); **enrichment** once every
//! assessed focus standard is mastered — items on the first focus standard not yet assessed, else
//! unanswered items on the strongest one; **tutoring** when a live flag's playbook lists
//! individual or peer tutoring.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use lantern_policies::rules::{FactSheet, Indicator, InterventionType, RulesPolicy, StandardCode, StudentFacts, Value};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::{text, AlertError};
use crate::auth::ts;
use crate::store::alerts::next_steps::{self as sql, NextStepRow};
use crate::store::alerts::{self as flags, reads};

/// BKT's usual mastery line (Corbett & Anderson 1995).
pub const MASTERED: f64 = 0.95;
/// Items suggested per step.
pub const ITEMS_PER_STEP: usize = 5;
/// Most steps accepted at once, and items per step.
pub const MAX_STEPS: usize = 10;
pub const MAX_ITEMS: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Practice,
    Enrichment,
    Tutoring,
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StepKind::Practice => "practice",
            StepKind::Enrichment => "enrichment",
            StepKind::Tutoring => "tutoring",
        }
    }
}

/// A suggested or accepted step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub kind: StepKind,
    pub standard: Option<String>,
    pub misconception: Option<String>,
    #[serde(default)]
    pub items: Vec<String>,
    /// Why it was suggested, or the teacher's note.
    pub note: Option<String>,
}

impl StepKind {
    /// The stored or submitted name back to the kind.
    pub fn parse(s: &str) -> Option<StepKind> {
        [StepKind::Practice, StepKind::Enrichment, StepKind::Tutoring].into_iter().find(|k| k.as_str() == s)
    }
}

impl Step {
    /// The step in plain words, as students and families read it.
    pub fn plain(&self) -> String {
        match (self.kind, &self.standard) {
            (StepKind::Practice, Some(st)) => format!("Practice questions on {st}"),
            (StepKind::Enrichment, Some(st)) => format!("Extra challenge questions on {st}"),
            (StepKind::Tutoring, _) => "Time with a tutor".to_string(),
            (_, None) => "Practice questions chosen by the teacher".to_string(),
        }
    }
}

/// `POST /api/v1/students/{key}/next-steps` body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    pub steps: Vec<Step>,
}

/// An accepted step as students and practice tools see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AcceptedStep {
    #[serde(flatten)]
    pub step: Step,
    pub accepted_at: String,
    pub changed_by_teacher: bool,
}

fn mastery(facts: &FactSheet, s: &StandardCode) -> Option<f64> {
    let n = facts.standard_value(s, Indicator::MasteryEvidence).and_then(Value::as_number).unwrap_or(0.0);
    (n >= 1.0).then(|| facts.standard_value(s, Indicator::Mastery).and_then(Value::as_number)).flatten()
}

/// The suggestions for one student.
pub fn suggest(
    c: &Connection,
    policy: &RulesPolicy,
    student_key: &str,
    facts: &FactSheet,
) -> Result<Vec<Step>, AlertError> {
    let focus = policy.focus_standards.resolve(facts);
    let mut assessed: Vec<(StandardCode, f64)> =
        focus.iter().filter_map(|s| mastery(facts, s).map(|m| (s.clone(), m))).collect();
    assessed.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let answered = reads::answered_items(c, student_key)?;
    let mut steps = Vec::new();
    match (assessed.first(), assessed.last()) {
        (Some((weakest, m)), _) if *m < MASTERED => {
            let counts = reads::misconception_counts(c, &[student_key.to_string()], Some(weakest.as_str()), None)?;
            let misconception = super::regroup::top(counts, 1).into_iter().next().map(|m| m.misconception);
            let items = items(c, weakest.as_str(), misconception.as_deref(), &answered)?;
            let why = match &misconception {
                Some(mc) => {
                    format!("weakest focus standard (mastery {:.0}%); most frequent misconception: {mc}", m * 100.0)
                }
                None => format!("weakest focus standard (mastery {:.0}%)", m * 100.0),
            };
            steps.push(Step {
                kind: StepKind::Practice,
                standard: Some(weakest.as_str().to_string()),
                misconception,
                items,
                note: Some(why),
            });
        }
        (Some(_), Some((strongest, _))) => {
            let next = focus.iter().find(|s| mastery(facts, s).is_none());
            let mut step = None;
            if let Some(s) = next {
                let found = items(c, s.as_str(), None, &answered)?;
                if !found.is_empty() {
                    step = Some((s.clone(), found, "every assessed focus standard is mastered: on to the next one"));
                }
            }
            let (standard, items, why) = match step {
                Some(s) => s,
                None => (strongest.clone(), items(c, strongest.as_str(), None, &answered)?, "mastered: go deeper"),
            };
            steps.push(Step {
                kind: StepKind::Enrichment,
                standard: Some(standard.as_str().to_string()),
                misconception: None,
                items,
                note: Some(why.to_string()),
            });
        }
        _ => {}
    }
    for f in flags::live_flags_of(c, student_key)? {
        let Some(pb) = policy.playbook(&f.playbook) else { continue };
        let tutoring = pb
            .interventions
            .iter()
            .any(|t| matches!(t, InterventionType::IndividualTutoring | InterventionType::PeerTutoring));
        if tutoring && !steps.iter().any(|s| s.kind == StepKind::Tutoring) {
            steps.push(Step {
                kind: StepKind::Tutoring,
                standard: None,
                misconception: None,
                items: Vec::new(),
                note: Some(format!("referral: the playbook \"{}\" suggests tutoring", pb.title)),
            });
        }
    }
    Ok(steps)
}

fn items(
    c: &Connection,
    standard: &str,
    misconception: Option<&str>,
    answered: &BTreeSet<String>,
) -> Result<Vec<String>, AlertError> {
    let none = BTreeSet::new();
    for (m, skip) in [(misconception, answered), (misconception, &none), (None, answered), (None, &none)] {
        let found = reads::items_for(c, standard, m, skip, ITEMS_PER_STEP)?;
        if !found.is_empty() {
            return Ok(found);
        }
    }
    Ok(Vec::new())
}

/// Accepts steps for a student (replacing those in force); `changed` records whether they differ
/// from the current suggestions. Callers check scope.
pub fn accept(
    c: &Connection,
    student_key: &str,
    req: &AcceptRequest,
    suggested: &[Step],
    account_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<AcceptedStep>, AlertError> {
    if req.steps.len() > MAX_STEPS {
        return Err(AlertError::Invalid(format!("steps: at most {MAX_STEPS}")));
    }
    let mut rows = Vec::new();
    for (i, s) in req.steps.iter().enumerate() {
        if s.items.len() > MAX_ITEMS {
            return Err(AlertError::Invalid(format!("steps[{i}].items: at most {MAX_ITEMS}")));
        }
        if let Some(code) = &s.standard {
            StandardCode::parse(code).map_err(|e| AlertError::Invalid(format!("steps[{i}].standard: {e}")))?;
        }
        for item in &s.items {
            if !reads::item_exists(c, item)? {
                return Err(AlertError::Invalid(format!("steps[{i}].items: no item {item:?} in the bank")));
            }
        }
        let note = s.note.as_deref().map(|n| text(&format!("steps[{i}].note"), n, 2000)).transpose()?;
        rows.push(NextStepRow {
            id: 0,
            kind: s.kind.as_str().to_string(),
            standard: s.standard.clone(),
            misconception: s.misconception.clone(),
            items: serde_json::to_string(&s.items).map_err(|e| AlertError::Invalid(e.to_string()))?,
            note,
            accepted_by: account_id,
            accepted_at: ts(now),
            changed: !suggested.contains(s),
        });
    }
    sql::accept(c, student_key, &rows, &ts(now))?;
    accepted(c, student_key)
}

/// The steps in force for a student.
pub fn accepted(c: &Connection, student_key: &str) -> Result<Vec<AcceptedStep>, AlertError> {
    sql::in_force(c, student_key)?
        .into_iter()
        .map(|r| {
            let kind = StepKind::parse(&r.kind).unwrap_or(StepKind::Tutoring);
            let items: Vec<String> = serde_json::from_str(&r.items)
                .map_err(|e| crate::alerts::corrupt(format!("stored items of next step {}: {e}", r.id)))?;
            Ok(AcceptedStep {
                step: Step { kind, standard: r.standard, misconception: r.misconception, items, note: r.note },
                accepted_at: r.accepted_at,
                changed_by_teacher: r.changed,
            })
        })
        .collect()
}
