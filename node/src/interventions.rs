//! Interventions: a support started for a student (usually answering a flag) with a type, a tier,
//! a goal on one indicator (baseline → target by a date, six weeks by default or the playbook's
//! length), strategies, an owner, progress checks at a set frequency, the aim line they are read
//! against, and an outcome (met / partly / not met) that resolves the flag and feeds rule tuning
//! ([`outcome_counts`], which the release work aggregates).

mod progress;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use lantern_policies::rules::{Indicator, DEFAULT_GOAL_WEEKS};
use lantern_policies::rules::{IndicatorType, InterventionType, Level, RulesPolicy, StandardCode, Tier};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::alerts::workflow::{apply, check_allowed};
use crate::alerts::{text, AlertError};
use crate::auth::scope::{require_student, student_scope};
use crate::auth::{ts, Principal};
use crate::store::alerts::interventions::{self as sql, CheckRow, InterventionRow};
use crate::store::alerts::{self as flags, reads, FlagState};
pub use progress::{CheckView, InterventionView};

/// Longest strategy or note text.
pub const MAX_TEXT_CHARS: usize = 2000;
/// Most strategies on one intervention.
pub const MAX_STRATEGIES: usize = 20;

/// How an intervention ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Met,
    Partly,
    NotMet,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Met => "met",
            Outcome::Partly => "partly",
            Outcome::NotMet => "not_met",
        }
    }
}

/// The goal of a new intervention.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GoalRequest {
    pub indicator: Indicator,
    /// Required for per-standard indicators (mastery), absent otherwise.
    pub standard: Option<String>,
    pub baseline: f64,
    pub target: f64,
    /// Default: the start plus the playbook's goal length (six weeks without a flag).
    pub date: Option<NaiveDate>,
}

/// `POST /api/v1/interventions` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIntervention {
    /// The student's pseudonymous key; may be left out when `flag_id` is given.
    pub student: Option<String>,
    /// The flag this answers; it moves to `intervention_started`.
    pub flag_id: Option<i64>,
    pub kind: InterventionType,
    /// Default: the flag's tier in force, else 2.
    pub tier: Option<Tier>,
    pub goal: GoalRequest,
    pub strategies: Vec<String>,
    /// Default: the person creating it. Must be a teacher or MTSS account.
    pub owner_account_id: Option<i64>,
    /// Default: the playbook's `check_in_days`, else 7.
    pub check_every_days: Option<u32>,
    /// Default: today.
    pub start_date: Option<NaiveDate>,
}

/// `POST /api/v1/interventions/{id}/checks` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// Default: today. Not before the start, not in the future.
    pub date: Option<NaiveDate>,
    pub value: f64,
    pub note: Option<String>,
}

/// `POST /api/v1/interventions/{id}/close` body.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseRequest {
    pub outcome: Outcome,
    pub note: Option<String>,
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Starts an intervention. 404 unknown student/flag, 403 out of scope, 409 flag not in a state
/// that can start one, 422 anything invalid in the request; nothing changes on error.
pub fn create(
    c: &Connection,
    policy: &RulesPolicy,
    p: &Principal,
    req: &NewIntervention,
    now: DateTime<Utc>,
) -> Result<InterventionView, AlertError> {
    let flag = match req.flag_id {
        Some(id) => Some(flags::flag(c, id)?.ok_or_else(|| AlertError::NotFound(format!("no flag {id}")))?),
        None => None,
    };
    let student = match (&req.student, &flag) {
        (Some(s), Some(f)) if *s != f.student_key => {
            return Err(AlertError::Invalid(format!("student: flag {} is about another student", f.id)))
        }
        (Some(s), _) => s.clone(),
        (None, Some(f)) => f.student_key.clone(),
        (None, None) => return Err(AlertError::Invalid("student: give the student or the flag_id".into())),
    };
    if !reads::person_exists(c, &student)? {
        return Err(AlertError::NotFound(format!("no student {student}")));
    }
    require_student(c, p, &student)?;
    if let Some(f) = &flag {
        check_allowed(f, FlagState::InterventionStarted)?;
    }
    let playbook = flag.as_ref().and_then(|f| policy.playbook(&f.playbook));
    let today = now.date_naive();
    let start = req.start_date.unwrap_or(today);
    let goal_weeks = playbook.map_or(DEFAULT_GOAL_WEEKS, |pb| pb.goal_weeks);
    let goal_date = req.goal.date.unwrap_or(start + Duration::weeks(i64::from(goal_weeks)));
    if goal_date <= start {
        return Err(AlertError::Invalid(format!("goal.date: {goal_date} is not after the start ({start})")));
    }
    let standard = goal_standard(&req.goal)?;
    let (lo, hi) = bounds(req.goal.indicator)?;
    for (field, v) in [("goal.baseline", req.goal.baseline), ("goal.target", req.goal.target)] {
        if !(lo..=hi).contains(&v) {
            return Err(AlertError::Invalid(format!(
                "{field}: {v} is outside {}'s range ({})",
                req.goal.indicator,
                req.goal.indicator.value_type().describe()
            )));
        }
    }
    if req.goal.baseline == req.goal.target {
        return Err(AlertError::Invalid("goal.target: must differ from the baseline".into()));
    }
    if req.strategies.is_empty() || req.strategies.len() > MAX_STRATEGIES {
        return Err(AlertError::Invalid(format!("strategies: list 1 to {MAX_STRATEGIES}")));
    }
    let strategies = req
        .strategies
        .iter()
        .enumerate()
        .map(|(i, s)| text(&format!("strategies[{i}]"), s, MAX_TEXT_CHARS))
        .collect::<Result<Vec<_>, _>>()?;
    let every = req.check_every_days.unwrap_or(playbook.map_or(7, |pb| pb.check_in_days));
    if !(1..=90).contains(&every) {
        return Err(AlertError::Invalid(format!("check_every_days: {every} is not between 1 and 90")));
    }
    let owner = req.owner_account_id.unwrap_or(p.account_id);
    match reads::account_role(c, owner)?.as_deref() {
        Some("teacher" | "mtss") => {}
        _ => return Err(AlertError::Invalid(format!("owner_account_id: {owner} is not a teacher or MTSS account"))),
    }
    let tier = req.tier.map(Tier::number).or(flag.as_ref().map(|f| f.effective_tier())).unwrap_or(2);
    let row = InterventionRow {
        id: 0,
        student_key: student,
        flag_id: req.flag_id,
        kind: req.kind.name().to_string(),
        tier,
        goal_indicator: req.goal.indicator.name().to_string(),
        goal_standard: standard.map(|s| s.as_str().to_string()),
        baseline: req.goal.baseline,
        target: req.goal.target,
        start_date: date_text(start),
        goal_date: date_text(goal_date),
        strategies: serde_json::to_string(&strategies).map_err(|e| AlertError::Invalid(e.to_string()))?,
        owner_account_id: owner,
        check_every_days: every,
        state: "active".into(),
        outcome: None,
        outcome_note: None,
        closed_at: None,
        created_by: p.account_id,
        created_at: ts(now),
    };
    let id = sql::insert(c, &row)?;
    if let Some(f) = &flag {
        apply(
            c,
            f,
            FlagState::InterventionStarted,
            Some(p),
            Some(format!("intervention {id}: {}", req.kind)),
            None,
            now,
        )?;
    }
    view(c, id, today)
}

fn goal_standard(goal: &GoalRequest) -> Result<Option<StandardCode>, AlertError> {
    match (goal.indicator.level(), &goal.standard) {
        (Level::PerStandard, Some(s)) => {
            StandardCode::parse(s).map(Some).map_err(|e| AlertError::Invalid(format!("goal.standard: {e}")))
        }
        (Level::PerStandard, None) => Err(AlertError::Invalid(format!(
            "goal.standard: required for {} (a per-standard indicator)",
            goal.indicator
        ))),
        (Level::PerStudent, Some(_)) => {
            Err(AlertError::Invalid(format!("goal.standard: {} is not measured per standard", goal.indicator)))
        }
        (Level::PerStudent, None) => Ok(None),
    }
}

/// The range of a goal's indicator; true/false indicators cannot be a goal.
fn bounds(indicator: Indicator) -> Result<(f64, f64), AlertError> {
    match indicator.value_type() {
        IndicatorType::Flag => {
            Err(AlertError::Invalid(format!("goal.indicator: {indicator} is true/false; pick a measured indicator")))
        }
        t => t.bounds().ok_or_else(|| AlertError::Invalid(format!("goal.indicator: {indicator} has no range"))),
    }
}

fn load(c: &Connection, p: &Principal, id: i64) -> Result<InterventionRow, AlertError> {
    let row = sql::get(c, id)?.ok_or_else(|| AlertError::NotFound(format!("no intervention {id}")))?;
    require_student(c, p, &row.student_key)?;
    Ok(row)
}

fn active(row: &InterventionRow) -> Result<(), AlertError> {
    if row.state == "active" {
        Ok(())
    } else {
        Err(AlertError::Conflict(format!(
            "intervention {} is closed ({})",
            row.id,
            row.outcome.as_deref().unwrap_or("?")
        )))
    }
}

/// Records a progress check on an active intervention.
pub fn record_check(
    c: &Connection,
    p: &Principal,
    id: i64,
    req: &CheckRequest,
    now: DateTime<Utc>,
) -> Result<InterventionView, AlertError> {
    let row = load(c, p, id)?;
    active(&row)?;
    let today = now.date_naive();
    let date = req.date.unwrap_or(today);
    if date > today {
        return Err(AlertError::Invalid(format!("date: {date} is in the future")));
    }
    if date_text(date) < row.start_date {
        return Err(AlertError::Invalid(format!(
            "date: {date} is before the intervention started ({})",
            row.start_date
        )));
    }
    let indicator = Indicator::from_name(&row.goal_indicator)
        .ok_or_else(|| crate::alerts::corrupt(format!("stored goal indicator {:?}", row.goal_indicator)))?;
    let (lo, hi) = bounds(indicator)?;
    if !(lo..=hi).contains(&req.value) {
        return Err(AlertError::Invalid(format!(
            "value: {} is outside {indicator}'s range ({})",
            req.value,
            indicator.value_type().describe()
        )));
    }
    let note = req.note.as_deref().map(|n| text("note", n, MAX_TEXT_CHARS)).transpose()?;
    sql::insert_check(
        c,
        id,
        &CheckRow { date: date_text(date), value: req.value, note, account_id: p.account_id, recorded_at: ts(now) },
    )?;
    view(c, id, today)
}

/// Closes an intervention with its outcome; its flag (if under way) is resolved.
pub fn close(
    c: &Connection,
    p: &Principal,
    id: i64,
    req: &CloseRequest,
    now: DateTime<Utc>,
) -> Result<InterventionView, AlertError> {
    let row = load(c, p, id)?;
    active(&row)?;
    let note = req.note.as_deref().map(|n| text("note", n, MAX_TEXT_CHARS)).transpose()?;
    sql::close(c, id, req.outcome.as_str(), note.as_deref(), &ts(now))?;
    if let Some(flag) = row.flag_id.map(|f| flags::flag(c, f)).transpose()?.flatten() {
        if flag.state == FlagState::InterventionStarted {
            let reason = format!("intervention {id} closed: goal {}", req.outcome.as_str().replace('_', " "));
            apply(c, &flag, FlagState::Resolved, Some(p), Some(reason), None, now)?;
        }
    }
    view(c, id, now.date_naive())
}

/// One intervention as staff read it (no scope check: callers check).
pub fn view(c: &Connection, id: i64, today: NaiveDate) -> Result<InterventionView, AlertError> {
    let row = sql::get(c, id)?.ok_or_else(|| AlertError::NotFound(format!("no intervention {id}")))?;
    let checks = sql::checks(c, id)?;
    progress::view(row, checks, today)
}

/// One intervention, scoped to the people who may see its student.
pub fn get(c: &Connection, p: &Principal, id: i64, today: NaiveDate) -> Result<InterventionView, AlertError> {
    load(c, p, id)?;
    view(c, id, today)
}

/// Interventions the principal may see, newest first; of one student when given.
pub fn list(
    c: &Connection,
    p: &Principal,
    student: Option<&str>,
    today: NaiveDate,
) -> Result<Vec<InterventionView>, AlertError> {
    if let Some(s) = student {
        require_student(c, p, s)?;
    }
    let scope = student_scope(c, p)?;
    let mut out = Vec::new();
    for row in sql::list(c, student)?.into_iter().filter(|r| scope.contains(&r.student_key)) {
        let checks = sql::checks(c, row.id)?;
        out.push(progress::view(row, checks, today)?);
    }
    Ok(out)
}

/// Counts of outcomes, per rule of the flag answered and per intervention type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutcomeCounts {
    pub by_rule: Vec<OutcomeCount>,
    pub by_type: Vec<OutcomeCount>,
}

/// Closed interventions of one rule or type, by outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OutcomeCount {
    /// The rule id (interventions not answering a flag are left out of `by_rule`), or the type.
    pub key: String,
    pub met: u64,
    pub partly: u64,
    pub not_met: u64,
}

impl OutcomeCount {
    fn add(&mut self, outcome: &str) {
        match outcome {
            "met" => self.met += 1,
            "partly" => self.partly += 1,
            _ => self.not_met += 1,
        }
    }
}

/// Outcomes of closed interventions per rule and per type, sorted by key (exact counts: the
/// release work adds noise before anything leaves the node).
pub fn outcome_counts(c: &Connection) -> Result<OutcomeCounts, crate::store::StoreError> {
    use std::collections::BTreeMap;
    let mut by_rule: BTreeMap<String, OutcomeCount> = BTreeMap::new();
    let mut by_type: BTreeMap<String, OutcomeCount> = BTreeMap::new();
    for (rule, kind, outcome) in sql::closed_outcomes(c)? {
        if let Some(rule) = rule {
            by_rule
                .entry(rule.clone())
                .or_insert_with(|| OutcomeCount { key: rule, ..Default::default() })
                .add(&outcome);
        }
        by_type.entry(kind.clone()).or_insert_with(|| OutcomeCount { key: kind, ..Default::default() }).add(&outcome);
    }
    Ok(OutcomeCounts { by_rule: by_rule.into_values().collect(), by_type: by_type.into_values().collect() })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests;
