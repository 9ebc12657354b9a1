//! Who a rule or playbook applies to: standards (focus standards) and pilot scoping by grade,
//! course and class, so a school can start with one course and a few indicators.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::eval::StudentFacts;
use super::suggest;

/// A learning standard's code, e.g. `CCSS.MATH.CONTENT.6.RP.A.1` (non-empty, no spaces).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StandardCode(String);

impl StandardCode {
    pub fn parse(code: &str) -> Result<StandardCode, String> {
        if code.is_empty() {
            return Err("empty standard code".to_string());
        }
        if code.chars().any(char::is_whitespace) {
            return Err(format!("standard code \"{code}\" contains whitespace"));
        }
        Ok(StandardCode(code.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Lookups by `&str` in maps keyed by code (the derived order is the string's).
impl std::borrow::Borrow<str> for StandardCode {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StandardCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The standards `any/all/count(focus_standards, ...)` range over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FocusStandards {
    /// Every standard the student has evidence on.
    All,
    /// Exactly these, in policy order.
    List(Vec<StandardCode>),
}

impl FocusStandards {
    /// The standards to test for one student, in a deterministic order.
    pub fn resolve(&self, facts: &dyn StudentFacts) -> Vec<StandardCode> {
        match self {
            FocusStandards::List(list) => list.clone(),
            FocusStandards::All => {
                let mut all = facts.standards();
                all.sort();
                all.dedup();
                all
            }
        }
    }

    /// The number of focus standards, when it is fixed.
    pub fn fixed_count(&self) -> Option<usize> {
        match self {
            FocusStandards::All => None,
            FocusStandards::List(list) => Some(list.len()),
        }
    }
}

/// A OneRoster 1.2 grade code (CEDS vocabulary): `IT PR PK TK KG 01..13 PS UG Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Grade(String);

const GRADE_CODES: [&str; 21] = [
    "IT", "PR", "PK", "TK", "KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "PS",
    "UG", "Other",
];

impl Grade {
    pub fn parse(code: &str) -> Result<Grade, String> {
        if GRADE_CODES.contains(&code) {
            return Ok(Grade(code.to_string()));
        }
        let padded = match code {
            "K" | "k" => Some("KG".to_string()),
            c if c.len() == 1 && c.as_bytes()[0].is_ascii_digit() => Some(format!("0{c}")),
            _ => None,
        };
        let hint = match padded {
            Some(p) => format!(" (did you mean \"{p}\"?)"),
            None => suggest::hint(code, GRADE_CODES),
        };
        Err(format!("unknown grade \"{code}\"{hint}: expected a OneRoster grade code (KG, 01 to 13, PK, TK, ...)"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Limits a rule or playbook to some grades, courses and classes. An empty list means "all"; a
/// student is in scope when every non-empty list contains one of the student's grades, courses or
/// classes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PilotScope {
    pub grades: Vec<Grade>,
    /// OneRoster `sourcedId`s of courses.
    pub courses: Vec<String>,
    /// OneRoster `sourcedId`s of classes.
    pub classes: Vec<String>,
}

impl PilotScope {
    pub fn is_everyone(&self) -> bool {
        self.grades.is_empty() && self.courses.is_empty() && self.classes.is_empty()
    }

    pub fn includes(&self, facts: &dyn StudentFacts) -> bool {
        (self.grades.is_empty() || self.grades.iter().any(|g| facts.in_grade(g)))
            && (self.courses.is_empty() || self.courses.iter().any(|c| facts.in_course(c)))
            && (self.classes.is_empty() || self.classes.iter().any(|c| facts.in_class(c)))
    }

    /// Whether everyone in `self` is also in `outer` (each limited list of `outer` is a superset).
    pub fn within(&self, outer: &PilotScope) -> bool {
        fn covered<T: PartialEq>(inner: &[T], outer: &[T]) -> bool {
            outer.is_empty() || (!inner.is_empty() && inner.iter().all(|x| outer.contains(x)))
        }
        covered(&self.grades, &outer.grades)
            && covered(&self.courses, &outer.courses)
            && covered(&self.classes, &outer.classes)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn grades_follow_oneroster() {
        assert_eq!(Grade::parse("06").unwrap().as_str(), "06");
        assert_eq!(
            Grade::parse("6").unwrap_err(),
            "unknown grade \"6\" (did you mean \"06\"?): expected a OneRoster grade code (KG, 01 to 13, PK, TK, ...)"
        );
        assert!(Grade::parse("K").unwrap_err().contains("did you mean \"KG\"?"));
        assert!(Grade::parse("Othr").unwrap_err().contains("did you mean \"Other\"?"));
    }

    #[test]
    fn standard_codes() {
        assert!(StandardCode::parse("CCSS.MATH.CONTENT.6.RP.A.1").is_ok());
        assert_eq!(StandardCode::parse("").unwrap_err(), "empty standard code");
        assert_eq!(StandardCode::parse("6 RP").unwrap_err(), "standard code \"6 RP\" contains whitespace");
    }

    fn scope(grades: &[&str], courses: &[&str]) -> PilotScope {
        PilotScope {
            grades: grades.iter().map(|g| Grade::parse(g).unwrap()).collect(),
            courses: courses.iter().map(|c| c.to_string()).collect(),
            classes: vec![],
        }
    }

    #[test]
    fn within_means_no_wider() {
        let everyone = PilotScope::default();
        let sixth = scope(&["06"], &[]);
        let sixth_math = scope(&["06"], &["math-6"]);
        assert!(sixth.within(&everyone));
        assert!(!everyone.within(&sixth));
        assert!(sixth_math.within(&sixth));
        assert!(!sixth.within(&sixth_math));
        assert!(!scope(&["06", "07"], &[]).within(&sixth));
    }
}
