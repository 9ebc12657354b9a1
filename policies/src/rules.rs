//! The rules policy (`rules.toml`, `kind = "rules"`): early-warning rules over the indicator
//! vocabulary, the playbooks they point to, focus standards, BKT parameters (defaults and per
//! standard) and attendance bands.
//! [`load`] validates a file and reports every problem at `file:line:col`; [`Rule::evaluate`]
//! turns one student's indicator values into a flag with its evidence.
//!
//! Map: `indicator` (the vocabulary) → `lexer`/`parser` (condition text → syntax tree) → `check`
//! (syntax tree → typed `Condition`) → `eval` (condition × student → evidence); `template`
//! (reason sentences); `rule`, `playbook`, `bkt`, `settings`, `scope` (the policy's parts); `schema`
//! (the TOML shape); `report`/`toml_string` (diagnostics located in the file).

mod bkt;
mod check;
mod eval;
mod fact_sheet;
mod indicator;
mod lexer;
mod parser;
mod playbook;
pub(crate) mod report;
mod rule;
mod schema;
mod scope;
mod settings;
pub(crate) mod suggest;
mod template;
mod toml_string;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use bkt::{BktModel, BktParams};
pub use check::Condition;
pub use eval::{Reading, StandardEvidence, StudentFacts};
pub use fact_sheet::FactSheet;
pub use indicator::{Indicator, IndicatorType, Level, Value, MAX_SCHOOL_DAYS_IN_14_DAYS, MAX_SCHOOL_DAYS_IN_YEAR};
pub use lexer::CmpOp;
pub use playbook::{InterventionType, Playbook, PlaybookId, ResponsibleRole, DEFAULT_GOAL_WEEKS};
pub use rule::{Color, Evidence, Rule, RuleId, Tier};
pub use scope::{FocusStandards, Grade, PilotScope, StandardCode};
pub use settings::{AttendanceBand, AttendanceBands, IndicatorSettings};
pub use template::ReasonTemplate;

use crate::policy_file::{Diagnostic, PolicyHash, PolicySource};
use report::Report;
use schema::{FocusRaw, RulesFile};

/// The rules shipped with Lantern; a district overrides them with its own file.
pub const DEFAULT_RULES_TOML: &str = include_str!("../defaults/rules.toml");

/// A validated rules policy.
#[derive(Debug, Clone, PartialEq)]
pub struct RulesPolicy {
    /// Hash of the file's bytes; stored with every flag and release.
    pub hash: PolicyHash,
    pub focus_standards: Arc<FocusStandards>,
    /// BKT parameters of every standard without its own (`[bkt]`).
    pub bkt: BktParams,
    /// Standards with their own BKT parameters (`[bkt.standards."CODE"]`), complete (keys an
    /// override does not give are the defaults').
    pub bkt_standards: BTreeMap<StandardCode, BktParams>,
    pub indicator_settings: IndicatorSettings,
    pub attendance_bands: AttendanceBands,
    /// In file order.
    pub rules: Vec<Rule>,
    /// In file order.
    pub playbooks: Vec<Playbook>,
}

impl RulesPolicy {
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id.as_str() == id)
    }

    /// The BKT parameters of one standard.
    pub fn bkt_for(&self, standard: &str) -> &BktParams {
        self.bkt_standards.get(standard).unwrap_or(&self.bkt)
    }

    /// The BKT parameters of every standard, as the indicators engine takes them.
    pub fn bkt_model(&self) -> BktModel {
        BktModel { defaults: self.bkt, standards: self.bkt_standards.clone() }
    }

    pub fn playbook(&self, id: &str) -> Option<&Playbook> {
        self.playbooks.iter().find(|p| p.id.as_str() == id)
    }

    /// Every rule that fires for this student, in file order.
    pub fn evaluate(&self, facts: &dyn StudentFacts) -> Vec<Evidence> {
        self.rules.iter().filter_map(|r| r.evaluate(facts)).collect()
    }
}

/// The built-in rules policy as a source.
pub fn default_source() -> PolicySource {
    PolicySource::builtin("rules.toml", DEFAULT_RULES_TOML)
}

/// Validates a rules policy, returning every problem found (not just the first). A file that is
/// not valid TOML, or has a key of the wrong type or an unknown key, stops at that one problem.
pub fn load(src: &PolicySource) -> Result<RulesPolicy, Vec<Diagnostic>> {
    let file: RulesFile = src.parse().map_err(|d| vec![d])?;
    let mut report = Report::new(src);
    match &file.kind {
        Some(k) if k.get_ref() == "rules" => {}
        Some(k) => report.at(k.span(), format!("kind = \"{}\": this file must say kind = \"rules\"", k.get_ref())),
        None => report.whole("missing top-level key `kind` (kind = \"rules\")"),
    }
    let focus = focus_standards(&mut report, &file);
    let bkt = match &file.bkt {
        Some(b) => bkt::bkt(&mut report, b),
        None => {
            report.whole("missing table [bkt] (prior, learn, slip, guess)");
            None
        }
    };
    let indicator_settings = settings::indicator_settings(&mut report, file.indicators.as_ref());
    let attendance_bands = settings::attendance_bands(&mut report, file.attendance_bands.as_ref());

    let mut playbooks: Vec<playbook::Located> = Vec::new();
    let mut playbook_ok = true;
    for raw in &file.playbooks {
        let scope = rule::scope(&mut report, raw.get_ref().scope.as_ref());
        match playbook::playbook(&mut report, raw, scope) {
            Some(p) => {
                if let Some(first) = playbooks.iter().find(|q| q.playbook.id == p.playbook.id) {
                    let line = report.line_of(&first.id_span);
                    report.at(
                        p.id_span.clone(),
                        format!("duplicate playbook id \"{}\" (first defined on line {line})", p.playbook.id),
                    );
                    playbook_ok = false;
                } else {
                    playbooks.push(p);
                }
            }
            None => playbook_ok = false,
        }
    }
    // Ids written in the file, valid or not: a reference to a playbook that has its own errors is
    // not reported again as a reference to a missing playbook.
    let declared: Vec<&str> =
        file.playbooks.iter().filter_map(|p| p.get_ref().id.as_ref().map(|i| i.get_ref().as_str())).collect();
    playbook::check_follows(&mut report, &playbooks, &declared);

    let policy_hash = src.hash();
    let focus = focus.map(Arc::new);
    let mut rules: Vec<rule::Located> = Vec::new();
    let mut rules_ok = true;
    for raw in &file.rules {
        let Some(focus) = &focus else {
            // Without focus standards a condition cannot be fully checked; still check the rest.
            let placeholder = Arc::new(FocusStandards::All);
            rule::rule(&mut report, raw, &placeholder, &policy_hash);
            rules_ok = false;
            continue;
        };
        let Some(r) = rule::rule(&mut report, raw, focus, &policy_hash) else {
            rules_ok = false;
            continue;
        };
        if let Some(first) = rules.iter().find(|q| q.rule.id == r.rule.id) {
            let line = report.line_of(&first.id_span);
            report.at(r.id_span.clone(), format!("duplicate rule id \"{}\" (first defined on line {line})", r.rule.id));
            rules_ok = false;
            continue;
        }
        rules.push(r);
    }
    check_rule_playbooks(&mut report, &file, &rules, &playbooks, &declared);

    let policy = match (focus, bkt, indicator_settings, attendance_bands) {
        (
            Some(focus_standards),
            Some(BktModel { defaults: bkt, standards: bkt_standards }),
            Some(indicator_settings),
            Some(attendance_bands),
        ) if rules_ok && playbook_ok => Some(RulesPolicy {
            hash: policy_hash,
            focus_standards,
            bkt,
            bkt_standards,
            indicator_settings,
            attendance_bands,
            rules: rules.into_iter().map(|r| r.rule).collect(),
            playbooks: playbooks.into_iter().map(|p| p.playbook).collect(),
        }),
        _ => None,
    };
    report.into_result(policy)
}

fn focus_standards(report: &mut Report<'_>, file: &RulesFile) -> Option<FocusStandards> {
    let Some(raw) = &file.focus_standards else {
        report.whole("missing top-level key `focus_standards` (a list of standard codes, or \"all\")");
        return None;
    };
    match raw.get_ref() {
        FocusRaw::Word(w) if w == "all" => Some(FocusStandards::All),
        FocusRaw::Word(w) => {
            report.at(raw.span(), format!("focus_standards = \"{w}\": expected \"all\" or a list of standard codes"));
            None
        }
        FocusRaw::List(list) if list.is_empty() => {
            report.at(raw.span(), "focus_standards is empty: list at least one standard code, or write \"all\"");
            None
        }
        FocusRaw::List(list) => {
            let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
            let mut codes = Vec::new();
            let mut ok = true;
            for item in list {
                match StandardCode::parse(item.get_ref()) {
                    Ok(code) => {
                        if let Some(line) = seen.get(item.get_ref().as_str()) {
                            report.at(
                                item.span(),
                                format!("focus standard \"{code}\" is listed twice (first on line {line})"),
                            );
                            ok = false;
                        }
                        seen.insert(item.get_ref(), report.line_of(&item.span()));
                        codes.push(code);
                    }
                    Err(e) => {
                        report.at(item.span(), format!("focus_standards: {e}"));
                        ok = false;
                    }
                }
            }
            ok.then_some(FocusStandards::List(codes))
        }
    }
}

/// Each rule names a playbook written in the file (checked even for rules with other errors), and
/// a scoped playbook covers every student its valid rules can reach.
fn check_rule_playbooks(
    report: &mut Report<'_>,
    file: &RulesFile,
    rules: &[rule::Located],
    playbooks: &[playbook::Located],
    declared: &[&str],
) {
    for reference in file.rules.iter().filter_map(|r| r.get_ref().playbook.as_ref()) {
        let id = reference.get_ref().as_str();
        if !declared.contains(&id) {
            let hint = suggest::hint(id, declared.iter().copied());
            report.at(reference.span(), format!("playbook = \"{id}\": no playbook has this id{hint}"));
        }
    }
    for r in rules {
        if let Some(p) = playbooks.iter().find(|p| p.playbook.id == r.rule.playbook) {
            if !r.rule.scope.within(&p.playbook.scope) {
                report.at(
                    r.playbook_span.clone(),
                    format!(
                        "rule \"{}\" reaches students outside the pilot scope of playbook \"{}\": narrow the rule's scope or widen the playbook's",
                        r.rule.id, p.playbook.id
                    ),
                );
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests;
