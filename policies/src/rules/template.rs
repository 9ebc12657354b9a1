//! Reason templates: the plain-language sentence a teacher reads on a flag, with placeholders
//! filled from the evidence, e.g. `"Mastery below 70% on {standards} and {absences_14d} absences"`.
//!
//! Placeholders: `{standards}` (the standards behind the flag), `{standard_count}`, and any
//! per-student indicator the condition tests. `{{` and `}}` write literal braces.

use super::check::CheckedCondition;
use super::eval::{StudentFacts, Support};
use super::indicator::{Indicator, Level};
use super::lexer::{Span, SyntaxError};
use super::suggest;

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Text(String),
    Standards,
    StandardCount,
    Indicator(Indicator),
}

/// A parsed, checked reason template.
#[derive(Debug, Clone, PartialEq)]
pub struct ReasonTemplate {
    segments: Vec<Segment>,
}

impl ReasonTemplate {
    /// Parses `text`. With `condition`, also checks that every placeholder can be filled from what
    /// the condition tests (without it — the condition itself had errors — only the syntax).
    pub fn parse(text: &str, condition: Option<&CheckedCondition>) -> Result<ReasonTemplate, Vec<SyntaxError>> {
        let mut segments = Vec::new();
        let mut errors = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|&(_, n)| n) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|&(_, n)| n) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '}' => errors.push(SyntaxError::new(Span::new(i, i + 1), "unmatched `}`: write `}}` for a brace")),
                '{' => {
                    let Some(close) = text[i..].find('}').map(|n| i + n) else {
                        errors.push(SyntaxError::new(
                            Span::new(i, i + 1),
                            "unclosed `{`: end the placeholder with `}`, or write `{{` for a brace",
                        ));
                        break;
                    };
                    while chars.peek().is_some_and(|&(j, _)| j <= close) {
                        chars.next();
                    }
                    let name = &text[i + 1..close];
                    match placeholder(name, Span::new(i, close + 1), condition) {
                        Ok(segment) => {
                            if !literal.is_empty() {
                                segments.push(Segment::Text(std::mem::take(&mut literal)));
                            }
                            segments.push(segment);
                        }
                        Err(e) => errors.push(e),
                    }
                }
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            segments.push(Segment::Text(literal));
        }
        if errors.is_empty() {
            Ok(ReasonTemplate { segments })
        } else {
            Err(errors)
        }
    }

    /// Fills the placeholders: standards from the evidence; indicator values from the evidence,
    /// else from the student's current values, else "unknown".
    pub fn render(&self, support: &Support, facts: &dyn StudentFacts) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            match segment {
                Segment::Text(t) => out.push_str(t),
                Segment::Standards if support.standards.is_empty() => out.push_str("none"),
                Segment::Standards => {
                    let codes: Vec<&str> = support.standards.iter().map(|s| s.standard.as_str()).collect();
                    out.push_str(&codes.join(", "));
                }
                Segment::StandardCount => out.push_str(&support.standards.len().to_string()),
                Segment::Indicator(indicator) => {
                    let value = support
                        .values
                        .iter()
                        .find(|r| r.indicator == *indicator)
                        .map(|r| r.value)
                        .or_else(|| facts.value(*indicator));
                    match value {
                        Some(v) => out.push_str(&indicator.format_value(v)),
                        None => out.push_str("unknown"),
                    }
                }
            }
        }
        out
    }
}

fn placeholder(name: &str, span: Span, condition: Option<&CheckedCondition>) -> Result<Segment, SyntaxError> {
    let err = |message: String| Err(SyntaxError::new(span, message));
    let needs_standards = |segment: Segment| match condition {
        Some(c) if !c.uses_standards => {
            err(format!("placeholder {{{name}}} needs a condition with any(...), all(...) or count(...)"))
        }
        _ => Ok(segment),
    };
    match name {
        "" => err("empty placeholder `{}`: write `{{}}` for braces".to_string()),
        "standards" => needs_standards(Segment::Standards),
        "standard_count" => needs_standards(Segment::StandardCount),
        _ => match Indicator::from_name(name) {
            Some(i) if i.level() == Level::PerStandard => err(format!(
                "placeholder {{{name}}} is measured per standard; use {{standards}} to name the standards behind the flag"
            )),
            Some(i) => match condition {
                Some(c) if !c.student_indicators.contains(&i) => err(format!(
                    "placeholder {{{name}}} names an indicator the condition does not test, so it is not part of the evidence"
                )),
                _ => Ok(Segment::Indicator(i)),
            },
            None => {
                let candidates = ["standards", "standard_count"].into_iter().chain(Indicator::ALL.iter().map(|i| i.name()));
                let hint = suggest::hint(name, candidates);
                err(format!(
                    "unknown placeholder {{{name}}}{hint}: expected {{standards}}, {{standard_count}} or an indicator the condition tests"
                ))
            }
        },
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::rules::check::check;
    use crate::rules::eval::{holds, Reading, StandardEvidence};
    use crate::rules::fact_sheet::FactSheet;
    use crate::rules::indicator::Value;
    use crate::rules::parser::parse;
    use crate::rules::scope::StandardCode;

    fn checked(text: &str) -> CheckedCondition {
        check(&parse(text).unwrap(), None).unwrap()
    }

    fn errors(template: &str, condition: &str) -> Vec<(usize, String)> {
        let c = checked(condition);
        ReasonTemplate::parse(template, Some(&c)).unwrap_err().into_iter().map(|e| (e.span.start, e.message)).collect()
    }

    #[test]
    fn renders_standards_and_values() {
        let c = checked("any(focus_standards, mastery < 0.7) and absences_14d >= 2");
        let t = ReasonTemplate::parse(
            "Mastery below 70% on {standards} ({standard_count}) and {absences_14d} absences in the last two weeks {{sic}}",
            Some(&c),
        )
        .unwrap();
        let a = StandardCode::parse("6.RP.A.1").unwrap();
        let b = StandardCode::parse("6.NS.B.3").unwrap();
        let facts = FactSheet::new()
            .with_mastery(&a, 0.6, 5)
            .with_mastery(&b, 0.5, 5)
            .with(Indicator::Absences14d, Value::Count(3));
        let support = holds(&c.condition, &facts, &[a, b]).unwrap();
        assert_eq!(
            t.render(&support, &facts),
            "Mastery below 70% on 6.RP.A.1, 6.NS.B.3 (2) and 3 absences in the last two weeks {sic}"
        );
    }

    #[test]
    fn values_outside_the_evidence_come_from_the_student_or_read_unknown() {
        let c = checked("consecutive_absences >= 3 or participation_change < 0");
        let t =
            ReasonTemplate::parse("{consecutive_absences} in a row; participation {participation_change}", Some(&c))
                .unwrap();
        let facts = FactSheet::new().with(Indicator::ParticipationChange, Value::Number(-0.3));
        let support = crate::rules::eval::Support {
            values: vec![Reading { indicator: Indicator::ParticipationChange, value: Value::Number(-0.3) }],
            standards: vec![],
        };
        assert_eq!(t.render(&support, &facts), "unknown in a row; participation -30 points");
        let with_standard = crate::rules::eval::Support {
            values: vec![],
            standards: vec![StandardEvidence { standard: StandardCode::parse("X").unwrap(), values: vec![] }],
        };
        let s = ReasonTemplate::parse("{standards}", Some(&checked("any(focus_standards, mastery < 0.5)"))).unwrap();
        assert_eq!(s.render(&with_standard, &facts), "X");
        assert_eq!(s.render(&crate::rules::eval::Support::default(), &facts), "none");
    }

    #[test]
    fn template_errors() {
        let cond = "any(focus_standards, mastery < 0.7) and absences_14d >= 2";
        assert_eq!(
            errors("{absenses_14d} days", cond),
            [(
                0,
                "unknown placeholder {absenses_14d} (did you mean \"absences_14d\"?): expected {standards}, \
                 {standard_count} or an indicator the condition tests"
                    .to_string()
            )]
        );
        assert_eq!(
            errors("late {tardies_14d}", cond),
            [(
                5,
                "placeholder {tardies_14d} names an indicator the condition does not test, so it is not part of the evidence"
                    .to_string()
            )]
        );
        assert_eq!(
            errors("at {mastery}", cond),
            [(
                3,
                "placeholder {mastery} is measured per standard; use {standards} to name the standards behind the flag"
                    .to_string()
            )]
        );
        assert_eq!(
            errors("on {standards}", "absences_14d >= 2"),
            [(3, "placeholder {standards} needs a condition with any(...), all(...) or count(...)".to_string())]
        );
        assert_eq!(
            errors("a } b {} c {oops", cond),
            [
                (2, "unmatched `}`: write `}}` for a brace".to_string()),
                (6, "empty placeholder `{}`: write `{{}}` for braces".to_string()),
                (11, "unclosed `{`: end the placeholder with `}`, or write `{{` for a brace".to_string()),
            ]
        );
    }

    #[test]
    fn without_a_condition_only_syntax_is_checked() {
        assert!(ReasonTemplate::parse("{tardies_14d} and {standards}", None).is_ok());
        assert!(ReasonTemplate::parse("{nope}", None).is_err());
    }
}
