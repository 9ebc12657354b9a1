//! The read models behind the pages people act on: one student as staff see them (mastery on
//! each focus standard, current flags with their reasons, next steps suggested — with the bank
//! items a teacher may pick instead — and accepted), a student's own progress (plain words and
//! the accepted steps: no flags, tiers or scores), and a family's view of each linked child (the
//! week, current supports with their appeals, and every appeal filed). Scope is checked here,
//! exactly as the JSON routes check it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use lantern_policies::rules::{Indicator, RulesPolicy, StudentFacts, Value};
use rusqlite::Connection;

use super::family::{self, FamilySupport};
use super::next_steps::{self, AcceptedStep, Step, MASTERED};
use super::regroup::NEEDS_BELOW;
use super::summaries::{self, FamilySummary};
use super::view::{self, FlagSummary, ListQuery};
use super::{appeals, AlertError};
use crate::auth::scope::{require_student, student_scope, StudentScope};
use crate::auth::Principal;
use crate::store::alerts::reads;
use crate::store::indicators::reads as indicator_reads;

/// More bank items offered beside each suggested step, for the teacher to pick.
pub const OTHER_ITEMS: usize = 8;

/// Mastery on one focus standard (`None`: no answers yet).
#[derive(Debug, Clone, PartialEq)]
pub struct FocusMastery {
    pub standard: String,
    pub mastery: Option<f64>,
    pub evidence: u32,
}

/// A suggested step and the other bank items on its standard.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestedStep {
    pub step: Step,
    pub other_items: Vec<String>,
}

/// A student as a teacher or MTSS coordinator acts on them.
#[derive(Debug, Clone)]
pub struct StaffStudentView {
    pub student_key: String,
    pub name: Option<String>,
    pub focus: Vec<FocusMastery>,
    pub flags: Vec<FlagSummary>,
    pub suggested: Vec<SuggestedStep>,
    pub accepted: Vec<AcceptedStep>,
    /// Titles of every item named above.
    pub item_titles: BTreeMap<String, String>,
}

fn titles<'a>(
    c: &Connection,
    items: impl IntoIterator<Item = &'a String>,
) -> Result<BTreeMap<String, String>, AlertError> {
    let mut out = BTreeMap::new();
    for item in items {
        if !out.contains_key(item) {
            if let Some((title, _)) = indicator_reads::item_info(c, item)? {
                out.insert(item.clone(), title);
            }
        }
    }
    Ok(out)
}

/// 404 for an unknown student, 403 out of scope — as the JSON routes answer.
pub fn require_known_student(c: &Connection, p: &Principal, key: &str) -> Result<(), AlertError> {
    if !reads::person_exists(c, key)? {
        return Err(AlertError::NotFound(format!("no student {key}")));
    }
    require_student(c, p, key)?;
    Ok(())
}

/// The staff view of one student.
pub fn staff_view(
    c: &Connection,
    policy: &RulesPolicy,
    p: &Principal,
    key: &str,
    now: DateTime<Utc>,
) -> Result<StaffStudentView, AlertError> {
    require_known_student(c, p, key)?;
    let facts = crate::indicators::student_facts(c, policy, key, now)?;
    let focus = policy
        .focus_standards
        .resolve(&facts)
        .into_iter()
        .map(|s| {
            let number = |i| facts.standard_value(&s, i).and_then(Value::as_number);
            let evidence = number(Indicator::MasteryEvidence).unwrap_or(0.0);
            FocusMastery {
                standard: s.as_str().to_string(),
                mastery: (evidence >= 1.0).then(|| number(Indicator::Mastery)).flatten(),
                evidence: evidence.max(0.0) as u32,
            }
        })
        .collect();
    let flags = view::list(c, p, &ListQuery { student: Some(key.to_string()), ..ListQuery::default() })?;
    let mut suggested = Vec::new();
    for step in next_steps::suggest(c, policy, key, &facts)? {
        let other_items = match &step.standard {
            Some(standard) => {
                let shown: BTreeSet<String> = step.items.iter().cloned().collect();
                reads::items_for(c, standard, None, &shown, OTHER_ITEMS)?
            }
            None => Vec::new(),
        };
        suggested.push(SuggestedStep { step, other_items });
    }
    let accepted = next_steps::accepted(c, key)?;
    let item_titles = titles(
        c,
        suggested
            .iter()
            .flat_map(|s| s.step.items.iter().chain(&s.other_items))
            .chain(accepted.iter().flat_map(|a| &a.step.items)),
    )?;
    Ok(StaffStudentView {
        student_key: key.to_string(),
        name: reads::display_names(c, &[key.to_string()])?.remove(key),
        focus,
        flags,
        suggested,
        accepted,
        item_titles,
    })
}

/// How a student reads their progress on a standard.
pub fn progress_words(mastery: f64) -> &'static str {
    if mastery >= MASTERED {
        "You have mastered this."
    } else if mastery >= NEEDS_BELOW {
        "You are getting there: keep practising."
    } else {
        "This one needs more practice. Your teacher can help."
    }
}

/// One standard in a student's own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnStandard {
    pub standard: String,
    pub words: &'static str,
    pub answered: u32,
}

/// A student's own page: progress in plain words and the accepted next steps.
#[derive(Debug, Clone)]
pub struct OwnProgress {
    pub student_key: String,
    pub name: Option<String>,
    pub standards: Vec<OwnStandard>,
    pub next_steps: Vec<AcceptedStep>,
    pub item_titles: BTreeMap<String, String>,
}

/// The own record(s) of a student account. Never school-wide.
pub fn own_progress(c: &Connection, p: &Principal) -> Result<Vec<OwnProgress>, AlertError> {
    let StudentScope::Students(keys) = student_scope(c, p)? else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for key in keys {
        let standards = indicator_reads::student_mastery(c, &key)?
            .into_iter()
            .filter(|m| m.evidence > 0)
            .map(|m| OwnStandard { words: progress_words(m.p_known), standard: m.standard, answered: m.evidence })
            .collect();
        let next_steps = next_steps::accepted(c, &key)?;
        let item_titles = titles(c, next_steps.iter().flat_map(|a| &a.step.items))?;
        out.push(OwnProgress {
            name: reads::display_names(c, std::slice::from_ref(&key))?.remove(&key),
            student_key: key,
            standards,
            next_steps,
            item_titles,
        });
    }
    Ok(out)
}

/// An appeal a family filed, as they read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiledAppeal {
    pub id: i64,
    /// The support it is about, in plain words (or that it has ended).
    pub about: String,
    pub text: String,
    pub filed_at: String,
    /// `open` or `answered`.
    pub state: String,
    /// `upheld` or `changed`.
    pub decision: Option<String>,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
}

/// One linked child on the family page.
#[derive(Debug, Clone)]
pub struct ChildView {
    pub summary: FamilySummary,
    pub supports: Vec<FamilySupport>,
    pub appeals: Vec<FiledAppeal>,
}

/// Every child the principal may see (a guardian's linked children), newest appeals first.
pub fn family_view(
    c: &Connection,
    policy: &RulesPolicy,
    p: &Principal,
    now: DateTime<Utc>,
) -> Result<Vec<ChildView>, AlertError> {
    let all_appeals = appeals::list(c, p)?;
    let mut out = Vec::new();
    for s in family::supports(c, policy, p, None)? {
        let summary = summaries::family(c, policy, p, &s.student_key, now)?;
        let appeals = all_appeals
            .iter()
            .filter(|a| a.student_key == s.student_key)
            .map(|a| FiledAppeal {
                id: a.id,
                about: s
                    .supports
                    .iter()
                    .find(|x| x.kind == a.target_kind && x.id == a.target_id)
                    .map_or("A support that has since ended".to_string(), |x| x.description.clone()),
                text: a.text.clone(),
                filed_at: a.filed_at.clone(),
                state: a.state.clone(),
                decision: a.decision.clone(),
                answer: a.answer.clone(),
                answered_at: a.answered_at.clone(),
            })
            .collect();
        out.push(ChildView { summary, supports: s.supports, appeals });
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use crate::alerts::appeals::{file, AppealRequest};
    use crate::alerts::evaluate::evaluate_student;
    use crate::alerts::test_support::*;
    use crate::auth::{AuthError, Role};

    fn setup() -> Fixture {
        let f = fixture();
        seed_answers(&f.store);
        // The answers were written straight into the tables: derive the indicators from them.
        f.store.write_blocking(|c| crate::indicators::rebuild(c, &policy().bkt_model(), false)).unwrap();
        f.store.write_blocking(|c| evaluate_student(c, &policy(), S1, &tier2_facts(), t0())).unwrap();
        f
    }

    #[test]
    fn staff_see_focus_mastery_flags_and_steps_in_scope_only() {
        let f = setup();
        let v = f.store.read_blocking(|c| staff_view(c, &policy(), &principal(Role::Teacher), S1, t0())).unwrap();
        assert_eq!(v.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(v.flags.len(), 1);
        assert_eq!(v.flags[0].label, "Tier 2: targeted support");
        let practice = &v.suggested[0];
        assert_eq!(practice.step.items, ["q4"], "the one item not answered yet");
        assert_eq!(practice.other_items, ["q1", "q2", "q3"], "the rest of the bank on the standard");
        assert_eq!(v.item_titles.len(), 4);
        let err = f.store.read_blocking(|c| staff_view(c, &policy(), &other_teacher(), S1, t0())).unwrap_err();
        assert!(matches!(err, AlertError::Auth(AuthError::OutOfScope)));
        let err = f
            .store
            .read_blocking(|c| staff_view(c, &policy(), &principal(Role::Teacher), "p_nobody", t0()))
            .unwrap_err();
        assert!(matches!(err, AlertError::NotFound(_)));
    }

    #[test]
    fn progress_in_plain_words() {
        assert_eq!(progress_words(0.97), "You have mastered this.");
        assert_eq!(progress_words(0.8), "You are getting there: keep practising.");
        assert_eq!(progress_words(0.2), "This one needs more practice. Your teacher can help.");
        let f = setup();
        let mine = f.store.read_blocking(|c| own_progress(c, &principal(Role::Student))).unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].student_key, S1);
        // The guardian's own record is nobody's; MTSS is school-wide: neither has an own page.
        assert!(f.store.read_blocking(|c| own_progress(c, &principal(Role::Mtss))).unwrap().is_empty());
    }

    #[test]
    fn families_see_each_child_with_supports_and_appeals() {
        let f = setup();
        let appeal = AppealRequest { flag_id: Some(1), intervention_id: None, text: "He had the flu.".into() };
        f.store.write_blocking(move |c| file(c, &principal(Role::Guardian), &appeal, t0())).unwrap();
        let seen = f.store.read_blocking(|c| family_view(c, &policy(), &principal(Role::Guardian), t0())).unwrap();
        assert_eq!(seen.len(), 1);
        let child = &seen[0];
        assert_eq!(child.summary.student_key, S1);
        assert_eq!(child.supports.len(), 1);
        assert_eq!(child.appeals.len(), 1);
        assert_eq!(child.appeals[0].about, child.supports[0].description);
        assert_eq!((child.appeals[0].state.as_str(), child.appeals[0].text.as_str()), ("open", "He had the flu."));
        assert!(f.store.read_blocking(|c| family_view(c, &policy(), &principal(Role::Mtss), t0())).unwrap().is_empty());
    }
}
