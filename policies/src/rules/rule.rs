//! One alert rule: its condition, tier, colour and label, playbook, expiry and pilot scope; how it
//! is validated from `[[rules]]`, and how it is evaluated into a flag's [`Evidence`].

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::check::{check, Condition};
use super::eval::{holds, Reading, StandardEvidence, StudentFacts};
use super::indicator::{Indicator, Value};
use super::parser::parse;
use super::playbook::PlaybookId;
use super::report::{slug, Report};
use super::schema::{RuleRaw, ScopeRaw};
use super::scope::{FocusStandards, Grade, PilotScope, StandardCode};
use super::template::ReasonTemplate;
use crate::policy_file::PolicyHash;

/// A rule's id, e.g. `reteach-attendance`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RuleId(String);

impl RuleId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// MTSS tier of the support a flag suggests (it describes the support, not the child).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum Tier {
    One,
    Two,
    Three,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::One, Tier::Two, Tier::Three];

    pub fn number(self) -> u8 {
        match self {
            Tier::One => 1,
            Tier::Two => 2,
            Tier::Three => 3,
        }
    }
}

impl From<Tier> for u8 {
    fn from(t: Tier) -> u8 {
        t.number()
    }
}

impl TryFrom<u8> for Tier {
    type Error = String;
    fn try_from(n: u8) -> Result<Tier, String> {
        match n {
            1 => Ok(Tier::One),
            2 => Ok(Tier::Two),
            3 => Ok(Tier::Three),
            _ => Err(format!("tier {n}: expected 1, 2 or 3")),
        }
    }
}

impl fmt::Display for Tier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "tier {}", self.number())
    }
}

/// The flag colour; always shown together with the rule's text label, never alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Color {
    Green,
    Amber,
    Red,
}

impl Color {
    pub fn name(self) -> &'static str {
        match self {
            Color::Green => "green",
            Color::Amber => "amber",
            Color::Red => "red",
        }
    }
}

/// A validated rule, ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: RuleId,
    /// Bumped by the district whenever the rule's meaning changes; flags record it.
    pub version: u32,
    pub title: String,
    pub reason: ReasonTemplate,
    /// The condition as written in the policy.
    pub condition_text: String,
    pub condition: Condition,
    pub tier: Tier,
    pub color: Color,
    /// Text shown beside the colour.
    pub label: String,
    pub playbook: PlaybookId,
    /// A flag lapses this many days after it was last confirmed unless the condition still holds.
    pub expiry_days: u32,
    /// A standard takes part in any/all/count only when the student has at least this many answers
    /// on it (at least 1: standards not yet assessed are skipped).
    pub min_evidence: u32,
    pub scope: PilotScope,
    pub enabled: bool,
    pub(crate) focus: Arc<FocusStandards>,
    pub(crate) policy_hash: PolicyHash,
    /// Whether the condition has any/all/count, so focus standards need gathering.
    pub(crate) uses_standards: bool,
}

/// Why a flag was raised: what a teacher reads, and what is stored with the flag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub rule_id: RuleId,
    pub rule_version: u32,
    pub policy_hash: PolicyHash,
    pub tier: Tier,
    pub color: Color,
    pub label: String,
    pub playbook: PlaybookId,
    pub expiry_days: u32,
    /// The reason template filled in, e.g. "Mastery below 70% on 6.RP.A.1 and 3 absences ...".
    pub reason: String,
    /// Per-student indicator values that made the condition true.
    pub values: Vec<Reading>,
    /// Standards behind the flag (for `any`, those that matched) with their values.
    pub standards: Vec<StandardEvidence>,
}

impl Rule {
    /// Whether the rule is enabled and the student is inside its pilot scope.
    pub fn applies_to(&self, facts: &dyn StudentFacts) -> bool {
        self.enabled && self.scope.includes(facts)
    }

    /// Evaluates the rule for one student: `Some(evidence)` when it applies and its condition
    /// holds. Deterministic: the same facts always give the same evidence.
    pub fn evaluate(&self, facts: &dyn StudentFacts) -> Option<Evidence> {
        if !self.applies_to(facts) {
            return None;
        }
        let evidence_on = |s: &StandardCode| facts.standard_value(s, Indicator::MasteryEvidence);
        let enough_evidence = |s: &StandardCode| {
            evidence_on(s).and_then(Value::as_number).is_some_and(|n| n >= f64::from(self.min_evidence))
        };
        // Rules that never look at standards skip gathering them (this runs on every event).
        let all_standards;
        let candidates: Vec<&StandardCode> = match (self.uses_standards, &*self.focus) {
            (false, _) => Vec::new(),
            (true, FocusStandards::List(list)) => list.iter().collect(),
            (true, FocusStandards::All) => {
                all_standards = self.focus.resolve(facts);
                all_standards.iter().collect()
            }
        };
        let standards: Vec<&StandardCode> = candidates.into_iter().filter(|s| enough_evidence(s)).collect();
        let mut support = holds(&self.condition, facts, &standards)?;
        // A teacher reads "62% from 4 answers": keep the answer count with every standard.
        for s in &mut support.standards {
            if let (false, Some(value)) =
                (s.values.iter().any(|r| r.indicator == Indicator::MasteryEvidence), evidence_on(&s.standard))
            {
                s.values.push(Reading { indicator: Indicator::MasteryEvidence, value });
            }
        }
        let reason = self.reason.render(&support, facts);
        Some(Evidence {
            rule_id: self.id.clone(),
            rule_version: self.version,
            policy_hash: self.policy_hash.clone(),
            tier: self.tier,
            color: self.color,
            label: self.label.clone(),
            playbook: self.playbook.clone(),
            expiry_days: self.expiry_days,
            reason,
            values: support.values,
            standards: support.standards,
        })
    }
}

/// A validated rule with where its id and playbook reference were written.
pub(crate) struct Located {
    pub rule: Rule,
    pub id_span: Range<usize>,
    pub playbook_span: Range<usize>,
}

pub(crate) fn rule(
    report: &mut Report<'_>,
    raw: &Spanned<RuleRaw>,
    focus: &Arc<FocusStandards>,
    policy_hash: &PolicyHash,
) -> Option<Located> {
    let table = raw.span();
    let r = raw.get_ref();
    let owner = match &r.id {
        Some(id) => format!("rule \"{}\"", id.get_ref()),
        None => "[[rules]]".to_string(),
    };
    let id = report.required(&r.id, &table, &owner, "id", "e.g. \"reteach-attendance\"").and_then(|id| {
        slug(id.get_ref()).map_err(|e| report.at(id.span(), format!("rule id \"{}\": {e}", id.get_ref()))).ok()?;
        Some((RuleId(id.get_ref().clone()), id.span()))
    });
    let version =
        report.required(&r.version, &table, &owner, "version", "1, then bumped on every change").and_then(|v| {
            let n = *v.get_ref();
            let version = u32::try_from(n).ok().filter(|&n| n >= 1);
            if version.is_none() {
                report.at(v.span(), format!("version = {n}: expected a whole number, 1 or more"));
            }
            version
        });
    let title =
        report.required(&r.title, &table, &owner, "title", "a short name").and_then(|t| report.text(t, "title"));
    let condition_raw = report.required(&r.condition, &table, &owner, "condition", "e.g. \"absences_14d >= 2\"");
    let checked = condition_raw.and_then(|c| match parse(c.get_ref()) {
        Ok(expr) => check(&expr, focus.fixed_count()).map_err(|errors| report.inside(c, errors)).ok(),
        Err(e) => {
            report.inside(c, vec![e]);
            None
        }
    });
    let reason = report
        .required(&r.reason, &table, &owner, "reason", "a plain-language sentence with {placeholders}")
        .and_then(|t| {
            report.text(t, "reason")?;
            ReasonTemplate::parse(t.get_ref(), checked.as_ref()).map_err(|errors| report.inside(t, errors)).ok()
        });
    let tier = report.required(&r.tier, &table, &owner, "tier", "1, 2 or 3").and_then(|t| {
        let n = *t.get_ref();
        let tier = u8::try_from(n).ok().and_then(|n| Tier::try_from(n).ok());
        if tier.is_none() {
            report.at(t.span(), format!("tier = {n}: expected 1, 2 or 3"));
        }
        tier
    });
    let color = report.required(&r.color, &table, &owner, "color", "green, amber or red").and_then(|c| {
        match c.get_ref().as_str() {
            "green" => Some(Color::Green),
            "amber" => Some(Color::Amber),
            "red" => Some(Color::Red),
            other => {
                report.at(c.span(), format!("color = \"{other}\": expected green, amber or red"));
                None
            }
        }
    });
    let label = report
        .required(&r.label, &table, &owner, "label", "the text shown beside the colour")
        .and_then(|l| report.text(l, "label"));
    let playbook = report
        .required(&r.playbook, &table, &owner, "playbook", "the id of a [[playbooks]] entry")
        .map(|p| (PlaybookId(p.get_ref().clone()), p.span()));
    let expiry_days = report
        .required(&r.expiry_days, &table, &owner, "expiry_days", "days until the flag lapses unless renewed")
        .and_then(|v| report.whole_in(v, "expiry_days", 1, 365, ""));
    let min_evidence = match &r.min_evidence {
        Some(v) => report.whole_in(v, "min_evidence", 1, 1000, " (answers on a standard)"),
        None => Some(1),
    };
    let scope = scope(report, r.scope.as_ref());
    let ((id, id_span), (playbook, playbook_span)) = (id?, playbook?);
    let checked = checked?;
    Some(Located {
        rule: Rule {
            id,
            version: version?,
            title: title?,
            reason: reason?,
            condition_text: condition_raw.map(|c| c.get_ref().clone())?,
            condition: checked.condition,
            uses_standards: checked.uses_standards,
            tier: tier?,
            color: color?,
            label: label?,
            playbook,
            expiry_days: expiry_days?,
            min_evidence: min_evidence?,
            scope: scope?,
            enabled: r.enabled.unwrap_or(true),
            focus: Arc::clone(focus),
            policy_hash: policy_hash.clone(),
        },
        id_span,
        playbook_span,
    })
}

/// Validates a `scope` table (absent = everyone).
pub(crate) fn scope(report: &mut Report<'_>, raw: Option<&ScopeRaw>) -> Option<PilotScope> {
    let Some(raw) = raw else { return Some(PilotScope::default()) };
    let grades: Vec<Option<Grade>> = raw
        .grades
        .iter()
        .map(|g| Grade::parse(g.get_ref()).map_err(|e| report.at(g.span(), format!("scope.grades: {e}"))).ok())
        .collect();
    let mut ids = |list: &[Spanned<String>], key: &str| -> Option<Vec<String>> {
        let all: Vec<Option<String>> = list
            .iter()
            .map(|v| {
                let id = v.get_ref();
                if id.trim().is_empty() || id.trim() != id {
                    report.at(
                        v.span(),
                        format!("scope.{key}: \"{id}\" is not a OneRoster sourcedId (empty or padded with spaces)"),
                    );
                    None
                } else {
                    Some(id.clone())
                }
            })
            .collect();
        all.into_iter().collect()
    };
    let courses = ids(&raw.courses, "courses");
    let classes = ids(&raw.classes, "classes");
    Some(PilotScope { grades: grades.into_iter().collect::<Option<_>>()?, courses: courses?, classes: classes? })
}
