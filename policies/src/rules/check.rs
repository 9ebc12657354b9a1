//! Type checking of a parsed condition against the indicator vocabulary, producing the typed
//! [`Condition`] the evaluator runs. Collects every problem: unknown names, per-standard
//! indicators outside any/all/count, true/false versus numbers, and impossible thresholds.

use std::collections::BTreeSet;

use serde::Serialize;

use super::indicator::{Indicator, IndicatorType, Level};
use super::lexer::{CmpOp, Span, SyntaxError};
use super::parser::{Expr, ExprKind, Ident, Literal, Quantifier, Subject};
use super::suggest;

/// The only set of standards a condition can range over.
pub const FOCUS_STANDARDS: &str = "focus_standards";

/// A condition that has passed every check; evaluation cannot meet a type error.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    Or(Box<Condition>, Box<Condition>),
    And(Box<Condition>, Box<Condition>),
    Not(Box<Condition>),
    /// A numeric indicator against a threshold inside its range.
    Compare {
        indicator: Indicator,
        op: CmpOp,
        threshold: f64,
    },
    /// A true/false indicator equal to `value`.
    FlagIs {
        indicator: Indicator,
        value: bool,
    },
    /// True when the body holds for at least one focus standard.
    Any(Box<Condition>),
    /// True when the body holds for every focus standard (and there is at least one).
    All(Box<Condition>),
    /// How many focus standards satisfy the body, against a whole-number threshold.
    Count {
        body: Box<Condition>,
        op: CmpOp,
        threshold: u32,
    },
}

/// A checked condition and facts about it the rest of the rule needs.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedCondition {
    pub condition: Condition,
    /// Per-student indicators the condition reads (reason placeholders must come from these).
    pub student_indicators: BTreeSet<Indicator>,
    /// Whether the condition ranges over standards (so `{standards}` can be filled in).
    pub uses_standards: bool,
}

/// Checks `expr`. `focus_standard_count` is the length of the policy's focus-standard list, or
/// `None` when every standard is a focus standard; it bounds `count(...)` thresholds.
pub fn check(expr: &Expr, focus_standard_count: Option<usize>) -> Result<CheckedCondition, Vec<SyntaxError>> {
    let mut checker = Checker {
        focus_standard_count,
        errors: Vec::new(),
        student_indicators: BTreeSet::new(),
        uses_standards: false,
        per_standard_seen: false,
    };
    let condition = checker.expr(expr, false);
    match condition {
        Some(condition) if checker.errors.is_empty() => Ok(CheckedCondition {
            condition,
            student_indicators: checker.student_indicators,
            uses_standards: checker.uses_standards,
        }),
        _ => Err(checker.errors),
    }
}

struct Checker {
    focus_standard_count: Option<usize>,
    errors: Vec<SyntaxError>,
    student_indicators: BTreeSet<Indicator>,
    uses_standards: bool,
    /// Set while checking a quantifier body when a per-standard indicator is met.
    per_standard_seen: bool,
}

/// What a comparison's left side is, once resolved.
struct Measured {
    /// How the subject is named in messages.
    name: String,
    value_type: IndicatorType,
    bound_reason: Option<&'static str>,
}

impl Checker {
    fn error(&mut self, span: Span, message: impl Into<String>) {
        self.errors.push(SyntaxError::new(span, message));
    }

    /// Checks a sub-expression; `None` when it had errors (already recorded).
    fn expr(&mut self, expr: &Expr, in_quantifier: bool) -> Option<Condition> {
        match &expr.kind {
            ExprKind::Or(a, b) | ExprKind::And(a, b) => {
                let a = self.expr(a, in_quantifier);
                let b = self.expr(b, in_quantifier);
                let (a, b) = (Box::new(a?), Box::new(b?));
                Some(if matches!(expr.kind, ExprKind::Or(..)) { Condition::Or(a, b) } else { Condition::And(a, b) })
            }
            ExprKind::Not(a) => Some(Condition::Not(Box::new(self.expr(a, in_quantifier)?))),
            ExprKind::Flag(ident) => {
                let indicator = self.indicator(ident, in_quantifier)?;
                match indicator.value_type() {
                    IndicatorType::Flag => Some(Condition::FlagIs { indicator, value: true }),
                    t => {
                        let example = match t {
                            IndicatorType::Fraction => "< 0.5",
                            IndicatorType::Change => "< 0",
                            _ => ">= 1",
                        };
                        self.error(
                            ident.span,
                            format!(
                                "{indicator} is {}, not true or false: compare it with a threshold, e.g. `{indicator} {example}`",
                                t.describe()
                            ),
                        );
                        None
                    }
                }
            }
            ExprKind::Quantified { quantifier, set, body } => {
                let word = match quantifier {
                    Quantifier::Any => "any",
                    Quantifier::All => "all",
                };
                let body = self.quantified(word, expr.span, set, body, in_quantifier)?;
                Some(match quantifier {
                    Quantifier::Any => Condition::Any(Box::new(body)),
                    Quantifier::All => Condition::All(Box::new(body)),
                })
            }
            ExprKind::Compare { subject, op, op_span: _, value, value_span } => {
                self.comparison(subject, *op, *value, *value_span, in_quantifier)
            }
        }
    }

    fn quantified(&mut self, word: &str, at: Span, set: &Ident, body: &Expr, nested: bool) -> Option<Condition> {
        let mut ok = true;
        if nested {
            self.error(at, format!("{word}(...) cannot be nested inside another any(...), all(...) or count(...)"));
            ok = false;
        }
        if set.name != FOCUS_STANDARDS {
            self.error(set.span, format!("unknown set of standards \"{}\": expected {FOCUS_STANDARDS}", set.name));
            ok = false;
        }
        self.uses_standards = true;
        let outer_seen = std::mem::replace(&mut self.per_standard_seen, false);
        let checked = self.expr(body, true);
        let body_is_per_standard = self.per_standard_seen;
        // A per-standard test inside a (wrongly) nested quantifier still counts for the outer one.
        self.per_standard_seen = outer_seen || body_is_per_standard;
        let checked = checked?;
        if !body_is_per_standard {
            self.error(
                at,
                format!(
                    "{word}(...) tests no per-standard indicator (mastery, mastery_evidence, mastery_low, \
                     mastery_high), so every standard gives the same answer"
                ),
            );
            return None;
        }
        ok.then_some(checked)
    }

    /// Resolves a name to an indicator usable at this place.
    fn indicator(&mut self, ident: &Ident, in_quantifier: bool) -> Option<Indicator> {
        let Some(indicator) = Indicator::from_name(&ident.name) else {
            let message = if ident.name == FOCUS_STANDARDS {
                format!("{FOCUS_STANDARDS} is a set of standards: use it as `any({FOCUS_STANDARDS}, ...)`")
            } else {
                let hint = suggest::hint(&ident.name, Indicator::ALL.iter().map(|i| i.name()));
                format!("unknown indicator \"{}\"{hint}", ident.name)
            };
            self.error(ident.span, message);
            return None;
        };
        match indicator.level() {
            Level::PerStandard if !in_quantifier => {
                self.error(
                    ident.span,
                    format!(
                        "{indicator} is measured per standard: use it inside any({FOCUS_STANDARDS}, ...), \
                         all(...) or count(...)"
                    ),
                );
                None
            }
            Level::PerStandard => {
                self.per_standard_seen = true;
                Some(indicator)
            }
            Level::PerStudent => {
                self.student_indicators.insert(indicator);
                Some(indicator)
            }
        }
    }

    fn comparison(
        &mut self,
        subject: &Subject,
        op: CmpOp,
        value: Literal,
        value_span: Span,
        in_quantifier: bool,
    ) -> Option<Condition> {
        match subject {
            Subject::Indicator(ident) => {
                let indicator = self.indicator(ident, in_quantifier)?;
                let measured = Measured {
                    name: indicator.name().to_string(),
                    value_type: indicator.value_type(),
                    bound_reason: indicator.bound_reason(),
                };
                if measured.value_type == IndicatorType::Flag {
                    let wanted = self.flag_literal(&measured.name, op, value, value_span)?;
                    return Some(Condition::FlagIs { indicator, value: wanted });
                }
                let threshold = self.threshold(&measured, op, value, value_span)?;
                Some(Condition::Compare { indicator, op, threshold })
            }
            Subject::Count { set, body, span } => {
                let body = self.quantified("count", *span, set, body, in_quantifier);
                let measured = Measured {
                    name: format!("count({FOCUS_STANDARDS}, ...)"),
                    value_type: IndicatorType::Count {
                        max: self.focus_standard_count.map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
                    },
                    bound_reason: self.focus_standard_count.map(|_| "the number of focus standards"),
                };
                let threshold = self.threshold(&measured, op, value, value_span);
                let body = body?;
                // `threshold` already checked the value is a whole number within the count's range.
                let threshold = threshold? as u32;
                Some(Condition::Count { body: Box::new(body), op, threshold })
            }
        }
    }

    /// `flag == true` / `flag != false` and friends: the value the flag must have.
    fn flag_literal(&mut self, name: &str, op: CmpOp, value: Literal, span: Span) -> Option<bool> {
        let b = match value {
            Literal::Bool(b) => b,
            Literal::Number(x) => {
                self.error(span, format!("{name} is true or false; compare it with true or false, not {x}"));
                return None;
            }
        };
        match op {
            CmpOp::Eq => Some(b),
            CmpOp::Ne => Some(!b),
            _ => {
                self.error(span, format!("{name} is true or false: compare it with == or !=, not {op}"));
                None
            }
        }
    }

    /// Checks a numeric threshold: a number, whole for counts, inside the range, and leaving the
    /// comparison able to be both true and false.
    fn threshold(&mut self, m: &Measured, op: CmpOp, value: Literal, span: Span) -> Option<f64> {
        let desc = m.value_type.describe();
        let reason = m.bound_reason.map(|r| format!(" ({r})")).unwrap_or_default();
        let x = match value {
            Literal::Number(x) => x,
            Literal::Bool(b) => {
                self.error(span, format!("{} is {desc}; compare it with a number, not {b}", m.name));
                return None;
            }
        };
        let (lo, hi) = m.value_type.bounds().unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
        let whole = matches!(m.value_type, IndicatorType::Count { .. });
        if x < lo || x > hi {
            self.error(span, format!("impossible threshold {x}: {} is {desc}{reason}", m.name));
            return None;
        }
        if whole && x.fract() != 0.0 {
            self.error(span, format!("{} is {desc}; {x} is not a whole number", m.name));
            return None;
        }
        let (can_be_true, can_be_false) = match op {
            CmpOp::Lt => (lo < x, hi >= x),
            CmpOp::Le => (lo <= x, hi > x),
            CmpOp::Gt => (hi > x, lo <= x),
            CmpOp::Ge => (hi >= x, lo < x),
            CmpOp::Eq | CmpOp::Ne => (true, lo < hi),
        };
        let (can_be_true, can_be_false) =
            if op == CmpOp::Ne { (can_be_false, can_be_true) } else { (can_be_true, can_be_false) };
        if !can_be_true {
            self.error(span, format!("`{} {op} {x}` can never be true: {} is {desc}{reason}", m.name, m.name));
            return None;
        }
        if !can_be_false {
            self.error(span, format!("`{} {op} {x}` is always true: {} is {desc}{reason}", m.name, m.name));
            return None;
        }
        Some(x)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::rules::parser::parse;

    fn errors(text: &str, focus: Option<usize>) -> Vec<(usize, String)> {
        let expr = parse(text).unwrap();
        match check(&expr, focus) {
            Ok(c) => panic!("{text:?} should not check: {c:?}"),
            Err(es) => es.into_iter().map(|e| (e.span.start, e.message)).collect(),
        }
    }

    #[test]
    fn typed_condition_for_the_issue_example() {
        let expr =
            parse("any(focus_standards, mastery < 0.7 and mastery_evidence >= 3) and absences_14d >= 2").unwrap();
        let checked = check(&expr, Some(4)).unwrap();
        assert!(checked.uses_standards);
        assert_eq!(checked.student_indicators.into_iter().collect::<Vec<_>>(), [Indicator::Absences14d]);
        let Condition::And(any, absences) = checked.condition else { panic!("expected and") };
        assert_eq!(*absences, Condition::Compare { indicator: Indicator::Absences14d, op: CmpOp::Ge, threshold: 2.0 });
        assert!(matches!(*any, Condition::Any(_)));
    }

    #[test]
    fn flags_bare_and_compared() {
        let c = |t: &str| check(&parse(t).unwrap(), None).unwrap().condition;
        let yes = Condition::FlagIs { indicator: Indicator::ChronicAbsence, value: true };
        let no = Condition::FlagIs { indicator: Indicator::ChronicAbsence, value: false };
        assert_eq!(c("chronic_absence"), yes);
        assert_eq!(c("chronic_absence == true"), yes);
        assert_eq!(c("chronic_absence != true"), no);
        assert_eq!(c("chronic_absence == false"), no);
    }

    #[test]
    fn every_problem_in_a_condition_is_reported() {
        let found = errors("absenses_14d >= 2 and mastery < 0.7 and chronic_absence < 1", None);
        assert_eq!(
            found,
            [
                (0, "unknown indicator \"absenses_14d\" (did you mean \"absences_14d\"?)".to_string()),
                (
                    22,
                    "mastery is measured per standard: use it inside any(focus_standards, ...), all(...) or count(...)"
                        .to_string()
                ),
                (58, "chronic_absence is true or false; compare it with true or false, not 1".to_string()),
            ]
        );
    }

    #[test]
    fn threshold_errors() {
        let one = |t: &str, focus: Option<usize>| {
            let mut es = errors(t, focus);
            assert_eq!(es.len(), 1, "{t}: {es:?}");
            es.remove(0).1
        };
        let cases = [
            ("any(focus_standards, mastery < 1.5)", "impossible threshold 1.5: mastery is a share between 0 and 1"),
            (
                "absences_14d >= 15",
                "impossible threshold 15: absences_14d is a whole count from 0 to 10 (school days in 14 calendar days)",
            ),
            ("absences_14d >= -1", "impossible threshold -1: absences_14d is a whole count from 0 to 10 (school days in 14 calendar days)"),
            ("absences_14d >= 2.5", "absences_14d is a whole count from 0 to 10; 2.5 is not a whole number"),
            ("participation_change < -2", "impossible threshold -2: participation_change is a change between -1 and 1"),
            ("attendance_rate > 1", "`attendance_rate > 1` can never be true: attendance_rate is a share between 0 and 1"),
            ("attendance_rate < 0", "`attendance_rate < 0` can never be true: attendance_rate is a share between 0 and 1"),
            ("attendance_rate >= 0", "`attendance_rate >= 0` is always true: attendance_rate is a share between 0 and 1"),
            (
                "tardies_14d <= 10",
                "`tardies_14d <= 10` is always true: tardies_14d is a whole count from 0 to 10 (school days in 14 calendar days)",
            ),
            ("absences_14d >= true", "absences_14d is a whole count from 0 to 10; compare it with a number, not true"),
            ("chronic_absence >= true", "chronic_absence is true or false: compare it with == or !=, not >="),
            ("days_enrolled", "days_enrolled is a whole count from 0 to 366, not true or false: compare it with a threshold, e.g. `days_enrolled >= 1`"),
        ];
        for (text, message) in cases {
            assert_eq!(one(text, None), message, "{text}");
        }
        assert_eq!(
            one("count(focus_standards, mastery < 0.5) >= 5", Some(4)),
            "impossible threshold 5: count(focus_standards, ...) is a whole count from 0 to 4 (the number of focus standards)"
        );
        assert_eq!(
            one("count(focus_standards, mastery < 0.5) >= 0", None),
            "`count(focus_standards, ...) >= 0` is always true: count(focus_standards, ...) is a whole count (0 or more)"
        );
        assert!(check(&parse("count(focus_standards, mastery < 0.5) >= 40").unwrap(), None).is_ok());
    }

    #[test]
    fn structural_errors() {
        assert_eq!(
            errors("any(focus, mastery < 0.5)", None),
            [(4, "unknown set of standards \"focus\": expected focus_standards".to_string())]
        );
        assert_eq!(
            errors("any(focus_standards, all(focus_standards, mastery < 0.5))", None),
            [(21, "all(...) cannot be nested inside another any(...), all(...) or count(...)".to_string())]
        );
        assert_eq!(
            errors("any(focus_standards, absences_14d >= 2)", None),
            [(
                0,
                "any(...) tests no per-standard indicator (mastery, mastery_evidence, mastery_low, mastery_high), \
                 so every standard gives the same answer"
                    .to_string()
            )]
        );
        assert_eq!(
            errors("focus_standards", None),
            [(0, "focus_standards is a set of standards: use it as `any(focus_standards, ...)`".to_string())]
        );
    }

    #[test]
    fn student_indicators_inside_a_quantifier_are_allowed() {
        let checked =
            check(&parse("any(focus_standards, mastery < 0.7 and absences_14d >= 2)").unwrap(), None).unwrap();
        assert_eq!(checked.student_indicators.into_iter().collect::<Vec<_>>(), [Indicator::Absences14d]);
    }
}
