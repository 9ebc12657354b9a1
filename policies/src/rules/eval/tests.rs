//! Known-answer tests of condition evaluation: truth with missing values, and the evidence kept.

use super::*;
use crate::rules::check::check;
use crate::rules::fact_sheet::FactSheet;
use crate::rules::parser::parse;

fn condition(text: &str) -> Condition {
    check(&parse(text).unwrap(), Some(3)).unwrap().condition
}

fn code(s: &str) -> StandardCode {
    StandardCode::parse(s).unwrap()
}

fn three() -> Vec<StandardCode> {
    vec![code("A"), code("B"), code("C")]
}

fn reading(indicator: Indicator, value: Value) -> Reading {
    Reading { indicator, value }
}

fn mastery(m: f64) -> Reading {
    reading(Indicator::Mastery, Value::Number(m))
}

#[test]
fn any_keeps_the_standards_that_matched_and_the_student_values() {
    let facts = FactSheet::new()
        .with_mastery(&code("A"), 0.6, 5)
        .with_mastery(&code("B"), 0.9, 5)
        .with_mastery(&code("C"), 0.5, 5)
        .with(Indicator::Absences14d, Value::Count(3));
    let support = holds(&condition("any(focus_standards, mastery < 0.7) and absences_14d >= 2"), &facts, &three());
    assert_eq!(
        support,
        Some(Support {
            values: vec![reading(Indicator::Absences14d, Value::Count(3))],
            standards: vec![
                StandardEvidence { standard: code("A"), values: vec![mastery(0.6)] },
                StandardEvidence { standard: code("C"), values: vec![mastery(0.5)] },
            ],
        })
    );
}

#[test]
fn false_and_unknown_do_not_fire() {
    let c = condition("any(focus_standards, mastery < 0.7) and absences_14d >= 2");
    let low = FactSheet::new().with_mastery(&code("A"), 0.6, 5);
    assert_eq!(holds(&c, &low.clone().with(Indicator::Absences14d, Value::Count(1)), &three()), None);
    assert_eq!(holds(&c, &low, &three()), None, "absences unknown");
    let not = condition("not (absences_14d >= 2)");
    assert_eq!(holds(&not, &FactSheet::new(), &three()), None, "not unknown is unknown");
    let present = FactSheet::new().with(Indicator::Absences14d, Value::Count(0));
    assert!(holds(&not, &present, &three()).is_some());
}

#[test]
fn or_fires_on_a_known_true_side_and_reports_only_it() {
    let c = condition("absences_14d >= 2 or chronic_absence");
    let facts = FactSheet::new().with(Indicator::ChronicAbsence, Value::Flag(true));
    let support = holds(&c, &facts, &three()).unwrap();
    assert_eq!(support.values, [reading(Indicator::ChronicAbsence, Value::Flag(true))]);
    assert!(support.standards.is_empty());
    let both = facts.with(Indicator::Absences14d, Value::Count(4));
    assert_eq!(holds(&c, &both, &three()).unwrap().values.len(), 2);
}

#[test]
fn wrong_kind_or_nan_values_are_unknown() {
    let c = condition("absences_14d >= 2 or not chronic_absence");
    let odd = FactSheet::new()
        .with(Indicator::Absences14d, Value::Flag(true))
        .with(Indicator::ChronicAbsence, Value::Count(1));
    assert_eq!(holds(&c, &odd, &three()), None);
    let nan = FactSheet::new().with(Indicator::AttendanceRate, Value::Number(f64::NAN));
    assert_eq!(holds(&condition("attendance_rate < 0.9"), &nan, &three()), None);
    assert_eq!(holds(&condition("not (attendance_rate < 0.9)"), &nan, &three()), None);
}

#[test]
fn all_needs_every_standard_and_at_least_one() {
    let c = condition("all(focus_standards, mastery >= 0.8)");
    assert_eq!(holds::<StandardCode>(&c, &FactSheet::new(), &[]), None, "no standards: never fires");
    let facts = FactSheet::new().with_mastery(&code("A"), 0.9, 5).with_mastery(&code("B"), 0.85, 5);
    assert_eq!(holds(&c, &facts, &three()), None, "C unknown");
    let support = holds(&c, &facts, &three()[..2]).unwrap();
    assert_eq!(support.standards.len(), 2);
    let one_low = facts.with_mastery(&code("C"), 0.2, 5);
    assert_eq!(holds(&c, &one_low, &three()), None);
}

#[test]
fn count_is_true_only_when_unknowns_cannot_change_it() {
    let at_least_two = condition("count(focus_standards, mastery < 0.5) >= 2");
    let at_least_three = condition("count(focus_standards, mastery < 0.5) >= 3");
    let facts = FactSheet::new().with_mastery(&code("A"), 0.4, 5).with_mastery(&code("B"), 0.45, 5);
    let support = holds(&at_least_two, &facts, &three()).unwrap();
    assert_eq!(
        support.standards,
        [
            StandardEvidence { standard: code("A"), values: vec![mastery(0.4)] },
            StandardEvidence { standard: code("B"), values: vec![mastery(0.45)] },
        ]
    );
    assert_eq!(holds(&at_least_three, &facts, &three()), None, "C unknown: could be 2 or 3");
    let c_high = facts.clone().with_mastery(&code("C"), 0.9, 5);
    assert_eq!(holds(&at_least_three, &c_high, &three()), None);
    let none_low = condition("count(focus_standards, mastery < 0.5) < 1");
    let high = FactSheet::new().with_mastery(&code("A"), 0.9, 5).with_mastery(&code("B"), 0.9, 5).with_mastery(
        &code("C"),
        0.9,
        5,
    );
    assert_eq!(holds(&none_low, &high, &three()).unwrap().standards.len(), 3, "explained by every standard");
}

#[test]
fn not_any_is_explained_by_every_standard() {
    let c = condition("not any(focus_standards, mastery < 0.5)");
    let facts = FactSheet::new().with_mastery(&code("A"), 0.7, 5).with_mastery(&code("B"), 0.8, 5);
    let support = holds(&c, &facts, &three()[..2]).unwrap();
    let codes: Vec<_> = support.standards.iter().map(|s| s.standard.as_str()).collect();
    assert_eq!(codes, ["A", "B"]);
}

#[test]
fn per_standard_values_are_grouped_by_standard() {
    let c = condition("any(focus_standards, mastery < 0.7 and mastery_evidence >= 3 and mastery_high < 0.8)");
    let a = code("A");
    let facts =
        FactSheet::new().with_mastery(&a, 0.6, 4).with_standard(&a, Indicator::MasteryHigh, Value::Number(0.75));
    let support = holds(&c, &facts, &three()).unwrap();
    assert_eq!(
        support.standards,
        [StandardEvidence {
            standard: a,
            values: vec![
                mastery(0.6),
                reading(Indicator::MasteryEvidence, Value::Count(4)),
                reading(Indicator::MasteryHigh, Value::Number(0.75)),
            ],
        }]
    );
}

#[test]
fn evaluation_is_deterministic() {
    let c = condition(
        "count(focus_standards, mastery < 0.5 and mastery_evidence >= 3) >= 2 \
         or (consecutive_absences >= 3 and participation_change < 0)",
    );
    let facts = FactSheet::new()
        .with_mastery(&code("A"), 0.4, 5)
        .with_mastery(&code("B"), 0.3, 5)
        .with(Indicator::ConsecutiveAbsences, Value::Count(4))
        .with(Indicator::ParticipationChange, Value::Number(-0.3));
    let first = holds(&c, &facts, &three()).unwrap();
    for _ in 0..10 {
        assert_eq!(holds(&c, &facts.clone(), &three()).as_ref(), Some(&first));
    }
    assert_eq!(first.values.len(), 2);
    assert_eq!(first.standards.len(), 2);
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    const STUDENT_ATOMS: &[&str] = &[
        "absences_14d >= 2",
        "chronic_absence",
        "attendance_rate < 0.9",
        "participation_change <= -0.2",
        "consecutive_absences > 2",
        "mastery_trend < 0",
    ];
    const STANDARD_ATOMS: &[&str] = &["mastery < 0.7", "mastery_evidence >= 3", "mastery_high < 0.5"];

    /// Random valid condition text built from known-good pieces.
    fn condition_text() -> impl Strategy<Value = String> {
        let standard_body =
            proptest::sample::select(STANDARD_ATOMS).prop_map(str::to_string).prop_recursive(2, 8, 2, |inner| {
                prop_oneof![
                    (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
                    (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
                    inner.prop_map(|a| format!("not {a}")),
                ]
            });
        let leaf = prop_oneof![
            proptest::sample::select(STUDENT_ATOMS).prop_map(str::to_string),
            standard_body.clone().prop_map(|b| format!("any(focus_standards, {b})")),
            standard_body.clone().prop_map(|b| format!("all(focus_standards, {b})")),
            (standard_body, 1u32..=3).prop_map(|(b, n)| format!("count(focus_standards, {b}) >= {n}")),
        ];
        leaf.prop_recursive(3, 12, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
                inner.prop_map(|a| format!("not {a}")),
            ]
        })
    }

    fn optional<T: std::fmt::Debug + Clone>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Option<T>> {
        proptest::option::of(s)
    }

    fn facts() -> impl Strategy<Value = FactSheet> {
        let standard = (optional(0.0..=1.0f64), optional(0u32..8), optional(0.0..=1.0f64));
        (
            optional(0u32..=10),
            optional(any::<bool>()),
            optional(0.0..=1.0f64),
            optional(-1.0..=1.0f64),
            proptest::collection::vec(standard, 3),
        )
            .prop_map(|(absences, chronic, rate, change, per_standard)| {
                let mut f = FactSheet::new();
                let mut set = |i: Indicator, v: Option<Value>| {
                    if let Some(v) = v {
                        f.values.insert(i, v);
                    }
                };
                set(Indicator::Absences14d, absences.map(Value::Count));
                set(Indicator::ChronicAbsence, chronic.map(Value::Flag));
                set(Indicator::AttendanceRate, rate.map(Value::Number));
                set(Indicator::ParticipationChange, change.map(Value::Number));
                for (code, (m, n, high)) in three().iter().zip(per_standard) {
                    if let Some(m) = m {
                        f = f.with_standard(code, Indicator::Mastery, Value::Number(m));
                    }
                    if let Some(n) = n {
                        f = f.with_standard(code, Indicator::MasteryEvidence, Value::Count(n));
                    }
                    if let Some(h) = high {
                        f = f.with_standard(code, Indicator::MasteryHigh, Value::Number(h));
                    }
                }
                f
            })
    }

    proptest! {
        #[test]
        fn evaluation_is_a_pure_function_of_the_facts(text in condition_text(), facts in facts()) {
            let checked = check(&parse(&text).unwrap(), Some(3));
            let condition = checked.map_err(|e| TestCaseError::fail(format!("{text}: {e:?}")))?.condition;
            let first = holds(&condition, &facts, &three());
            prop_assert_eq!(holds(&condition, &facts.clone(), &three()), first.clone());
            if let Some(support) = first {
                // Evidence names only standards that were tested and values the student has.
                for s in &support.standards {
                    prop_assert!(three().contains(&s.standard));
                    for r in &s.values {
                        prop_assert_eq!(facts.standard_value(&s.standard, r.indicator), Some(r.value));
                    }
                }
                for r in &support.values {
                    prop_assert_eq!(facts.value(r.indicator), Some(r.value));
                }
            }
        }
    }
}
