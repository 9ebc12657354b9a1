//! `FactSheet`: a plain in-memory [`StudentFacts`] — one student's indicator values and
//! enrolments in maps. Used by tests and by callers that gather values before evaluating rules.

use std::collections::{BTreeMap, BTreeSet};

use super::eval::StudentFacts;
use super::indicator::{Indicator, Value};
use super::scope::{Grade, StandardCode};

/// One student's indicator values and enrolments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactSheet {
    pub values: BTreeMap<Indicator, Value>,
    pub standard_values: BTreeMap<StandardCode, BTreeMap<Indicator, Value>>,
    pub grades: BTreeSet<Grade>,
    pub courses: BTreeSet<String>,
    pub classes: BTreeSet<String>,
}

impl FactSheet {
    pub fn new() -> FactSheet {
        FactSheet::default()
    }

    /// Sets a per-student value.
    pub fn with(mut self, indicator: Indicator, value: Value) -> FactSheet {
        self.values.insert(indicator, value);
        self
    }

    /// Sets a per-standard value.
    pub fn with_standard(mut self, standard: &StandardCode, indicator: Indicator, value: Value) -> FactSheet {
        self.standard_values.entry(standard.clone()).or_default().insert(indicator, value);
        self
    }

    /// Sets `mastery` and `mastery_evidence` for one standard.
    pub fn with_mastery(self, standard: &StandardCode, mastery: f64, evidence: u32) -> FactSheet {
        self.with_standard(standard, Indicator::Mastery, Value::Number(mastery)).with_standard(
            standard,
            Indicator::MasteryEvidence,
            Value::Count(evidence),
        )
    }
}

impl StudentFacts for FactSheet {
    fn value(&self, indicator: Indicator) -> Option<Value> {
        self.values.get(&indicator).copied()
    }

    fn standard_value(&self, standard: &StandardCode, indicator: Indicator) -> Option<Value> {
        self.standard_values.get(standard).and_then(|m| m.get(&indicator)).copied()
    }

    fn standards(&self) -> Vec<StandardCode> {
        self.standard_values.keys().cloned().collect()
    }

    fn in_grade(&self, grade: &Grade) -> bool {
        self.grades.contains(grade)
    }

    fn in_course(&self, course: &str) -> bool {
        self.courses.contains(course)
    }

    fn in_class(&self, class: &str) -> bool {
        self.classes.contains(class)
    }
}
