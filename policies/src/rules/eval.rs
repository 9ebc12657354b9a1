//! Evaluating a checked condition against one student's indicator values, deterministically, and
//! collecting the evidence — the indicator values that made the condition true.
//!
//! Missing values use three-valued logic: a comparison on an indicator with no value is
//! *unknown*, `not unknown` is unknown, `and`/`or` follow Kleene's tables, and a rule fires only
//! when its condition is *true*. So a student with no data is never flagged by accident (`not
//! (participation_change < 0)` does not fire when participation is unknown).

use std::borrow::Borrow;

use serde::{Deserialize, Serialize};

use super::check::Condition;
use super::indicator::{Indicator, Level, Value};
use super::lexer::CmpOp;
use super::scope::{Grade, StandardCode};

/// What the rules engine needs to know about one student. The node implements it over its
/// indicator tables; values are `None` when there is no data.
pub trait StudentFacts {
    /// A per-student indicator (`absences_14d`, `chronic_absence`, ...).
    fn value(&self, indicator: Indicator) -> Option<Value>;
    /// A per-standard indicator (`mastery`, `mastery_evidence`, ...) for one standard.
    fn standard_value(&self, standard: &StandardCode, indicator: Indicator) -> Option<Value>;
    /// The standards the student has per-standard values for (used when focus standards are "all").
    fn standards(&self) -> Vec<StandardCode>;
    fn in_grade(&self, grade: &Grade) -> bool;
    /// Whether the student is enrolled in a class of this course (OneRoster course `sourcedId`).
    fn in_course(&self, course: &str) -> bool;
    /// Whether the student is enrolled in this class (OneRoster class `sourcedId`).
    fn in_class(&self, class: &str) -> bool;
}

/// One indicator's value as read during evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    pub indicator: Indicator,
    pub value: Value,
}

/// The per-standard values behind a flag for one standard (e.g. a standard that matched `any`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StandardEvidence {
    pub standard: StandardCode,
    pub values: Vec<Reading>,
}

/// The values that made a condition true: per-student readings, and the standards involved.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Support {
    pub values: Vec<Reading>,
    pub standards: Vec<StandardEvidence>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Truth {
    True,
    False,
    Unknown,
}

/// A value read while evaluating: of the student, or of the student on one standard (by index
/// into the standards being tested).
#[derive(Debug, Clone, Copy)]
enum Fact {
    Student(Reading),
    Standard(usize, Reading),
}

/// Result of a sub-condition and the facts that justify it.
struct Outcome {
    truth: Truth,
    why: Vec<Fact>,
}

impl Outcome {
    fn unknown() -> Outcome {
        Outcome { truth: Truth::Unknown, why: Vec::new() }
    }
}

/// Evaluates `condition`; `standards` are the focus standards to range over (already filtered to
/// those with enough evidence). `Some(support)` when the condition is true.
pub fn holds<S: Borrow<StandardCode>>(
    condition: &Condition,
    facts: &dyn StudentFacts,
    standards: &[S],
) -> Option<Support> {
    let eval = Evaluator { facts, standards };
    let outcome = eval.eval(condition, None);
    (outcome.truth == Truth::True).then(|| eval.support(outcome.why))
}

struct Evaluator<'a, S> {
    facts: &'a dyn StudentFacts,
    standards: &'a [S],
}

impl<S: Borrow<StandardCode>> Evaluator<'_, S> {
    fn read(&self, indicator: Indicator, standard: Option<usize>) -> Option<Fact> {
        // The checker only lets per-standard indicators appear inside a quantifier, which always
        // passes a standard; per-student ones are read from the student either way.
        let fact = match (indicator.level(), standard) {
            (Level::PerStandard, Some(i)) => {
                let value = self.facts.standard_value(self.standards[i].borrow(), indicator)?;
                Fact::Standard(i, Reading { indicator, value })
            }
            (Level::PerStandard, None) => return None,
            (Level::PerStudent, _) => Fact::Student(Reading { indicator, value: self.facts.value(indicator)? }),
        };
        Some(fact)
    }

    fn eval(&self, condition: &Condition, standard: Option<usize>) -> Outcome {
        match condition {
            Condition::Compare { indicator, op, threshold } => {
                let Some(fact) = self.read(*indicator, standard) else { return Outcome::unknown() };
                let value = match fact {
                    Fact::Student(r) | Fact::Standard(_, r) => r.value,
                };
                match value.as_number() {
                    Some(x) => Outcome { truth: truth(op.holds(x, *threshold)), why: vec![fact] },
                    None => Outcome::unknown(),
                }
            }
            Condition::FlagIs { indicator, value: wanted } => {
                let Some(fact) = self.read(*indicator, standard) else { return Outcome::unknown() };
                match fact {
                    Fact::Student(Reading { value: Value::Flag(b), .. })
                    | Fact::Standard(_, Reading { value: Value::Flag(b), .. }) => {
                        Outcome { truth: truth(b == *wanted), why: vec![fact] }
                    }
                    _ => Outcome::unknown(),
                }
            }
            Condition::Not(inner) => {
                let o = self.eval(inner, standard);
                let truth = match o.truth {
                    Truth::True => Truth::False,
                    Truth::False => Truth::True,
                    Truth::Unknown => Truth::Unknown,
                };
                Outcome { truth, why: o.why }
            }
            Condition::And(a, b) => {
                let (a, b) = (self.eval(a, standard), self.eval(b, standard));
                match (a.truth, b.truth) {
                    (Truth::True, Truth::True) => Outcome { truth: Truth::True, why: concat(a.why, b.why) },
                    (Truth::False, _) => a,
                    (_, Truth::False) => b,
                    _ => Outcome::unknown(),
                }
            }
            Condition::Or(a, b) => {
                let (a, b) = (self.eval(a, standard), self.eval(b, standard));
                match (a.truth, b.truth) {
                    (Truth::True, Truth::True) => Outcome { truth: Truth::True, why: concat(a.why, b.why) },
                    (Truth::True, _) => a,
                    (_, Truth::True) => b,
                    (Truth::False, Truth::False) => Outcome { truth: Truth::False, why: concat(a.why, b.why) },
                    _ => Outcome::unknown(),
                }
            }
            Condition::Any(body) => {
                let each = self.each_standard(body);
                if each.iter().any(|o| o.truth == Truth::True) {
                    Outcome { truth: Truth::True, why: gather(each, |t| t == Truth::True) }
                } else if each.iter().any(|o| o.truth == Truth::Unknown) {
                    Outcome::unknown()
                } else {
                    Outcome { truth: Truth::False, why: gather(each, |_| true) }
                }
            }
            Condition::All(body) => {
                let each = self.each_standard(body);
                if each.is_empty() {
                    // No standard to judge on is not a reason to flag anyone.
                    Outcome { truth: Truth::False, why: Vec::new() }
                } else if each.iter().any(|o| o.truth == Truth::False) {
                    Outcome { truth: Truth::False, why: gather(each, |t| t == Truth::False) }
                } else if each.iter().any(|o| o.truth == Truth::Unknown) {
                    Outcome::unknown()
                } else {
                    Outcome { truth: Truth::True, why: gather(each, |_| true) }
                }
            }
            Condition::Count { body, op, threshold } => {
                let each = self.each_standard(body);
                let matched = each.iter().filter(|o| o.truth == Truth::True).count();
                let unknown = each.iter().filter(|o| o.truth == Truth::Unknown).count();
                // The count could be anything from `matched` to `matched + unknown`.
                let t = f64::from(*threshold);
                let outcomes: Vec<bool> = (matched..=matched + unknown).map(|k| op.holds(k as f64, t)).collect();
                let truth = if outcomes.iter().all(|&b| b) {
                    Truth::True
                } else if outcomes.iter().all(|&b| !b) {
                    Truth::False
                } else {
                    Truth::Unknown
                };
                let why = match (truth, op) {
                    // "at least n standards" is explained by the standards that matched.
                    (Truth::True, CmpOp::Gt | CmpOp::Ge) => gather(each, |t| t == Truth::True),
                    (Truth::Unknown, _) => Vec::new(),
                    _ => gather(each, |_| true),
                };
                Outcome { truth, why }
            }
        }
    }

    fn each_standard(&self, body: &Condition) -> Vec<Outcome> {
        (0..self.standards.len()).map(|i| self.eval(body, Some(i))).collect()
    }

    /// Groups facts into evidence: per-student values once each, standards in order of first
    /// appearance with their values once each.
    fn support(&self, why: Vec<Fact>) -> Support {
        let mut support = Support::default();
        let mut standard_slots: Vec<(usize, usize)> = Vec::new();
        for fact in why {
            match fact {
                Fact::Student(r) => {
                    if !support.values.iter().any(|v| v.indicator == r.indicator) {
                        support.values.push(r);
                    }
                }
                Fact::Standard(i, r) => {
                    let slot = match standard_slots.iter().find(|(s, _)| *s == i) {
                        Some(&(_, slot)) => slot,
                        None => {
                            support.standards.push(StandardEvidence {
                                standard: self.standards[i].borrow().clone(),
                                values: Vec::new(),
                            });
                            standard_slots.push((i, support.standards.len() - 1));
                            support.standards.len() - 1
                        }
                    };
                    let values = &mut support.standards[slot].values;
                    if !values.iter().any(|v| v.indicator == r.indicator) {
                        values.push(r);
                    }
                }
            }
        }
        support
    }
}

fn truth(b: bool) -> Truth {
    if b {
        Truth::True
    } else {
        Truth::False
    }
}

fn concat(mut a: Vec<Fact>, b: Vec<Fact>) -> Vec<Fact> {
    a.extend(b);
    a
}

fn gather(each: Vec<Outcome>, keep: impl Fn(Truth) -> bool) -> Vec<Fact> {
    each.into_iter().filter(|o| keep(o.truth)).flat_map(|o| o.why).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests;
