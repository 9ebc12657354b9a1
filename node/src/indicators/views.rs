//! Read models behind the JSON routes and pages: the class mastery grid, a student's detail
//! (standards → items → responses), item analysis and the attendance summary of a class. Each
//! returns the student keys it read, so the route can record them in the access log.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use lantern_policies::rules::{AttendanceBands, RulesPolicy};
use rusqlite::Connection;
use serde::Serialize;

use super::attendance::{last_14_days, school_days};
use super::bkt::wilson;
use super::item_stats::{difficulty, point_biserial, Responder};
use crate::store::indicators::reads;
use crate::store::StoreError;

/// Mastery of one student on one standard, with its band.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MasteryCell {
    pub mastery: f64,
    pub evidence: u32,
    pub low: f64,
    pub high: f64,
}

impl MasteryCell {
    fn new(p: f64, n: u32) -> MasteryCell {
        let (low, high) = wilson(p, n);
        MasteryCell { mastery: p, evidence: n, low, high }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GridRow {
    pub student_key: String,
    pub name: String,
    pub mastery: BTreeMap<String, MasteryCell>,
}

/// Students × standards mastery grid of a class.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassOverview {
    pub class_id: String,
    pub title: String,
    pub standards: Vec<String>,
    pub students: Vec<GridRow>,
}

/// `None` if the class does not exist.
pub fn class_overview(c: &Connection, class_id: &str) -> Result<Option<ClassOverview>, StoreError> {
    let Some(title) = reads::class_title(c, class_id)? else { return Ok(None) };
    let mut rows: BTreeMap<String, GridRow> = BTreeMap::new();
    let students = reads::class_students(c, class_id)?;
    for (k, name) in &students {
        rows.insert(k.clone(), GridRow { student_key: k.clone(), name: name.clone(), mastery: BTreeMap::new() });
    }
    let mut standards = BTreeSet::new();
    for (k, m) in reads::class_mastery(c, class_id)? {
        standards.insert(m.standard.clone());
        if let Some(row) = rows.get_mut(&k) {
            row.mastery.insert(m.standard.clone(), MasteryCell::new(m.p_known, m.evidence));
        }
    }
    let order: BTreeMap<&str, usize> = students.iter().enumerate().map(|(i, (k, _))| (k.as_str(), i)).collect();
    let mut students: Vec<GridRow> = rows.into_values().collect();
    students.sort_by_key(|r| order.get(r.student_key.as_str()).copied().unwrap_or(usize::MAX));
    Ok(Some(ClassOverview {
        class_id: class_id.to_owned(),
        title,
        standards: standards.into_iter().collect(),
        students,
    }))
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseView {
    pub at: String,
    pub correct: bool,
    pub response: Option<String>,
    pub misconception: Option<String>,
    pub duration_s: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemResponses {
    pub item_id: String,
    pub title: Option<String>,
    pub responses: Vec<ResponseView>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StandardDetail {
    pub standard: String,
    #[serde(flatten)]
    pub mastery: MasteryCell,
    pub items: Vec<ItemResponses>,
}

/// One student: standards → items → responses, and every indicator value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StudentDetail {
    pub student_key: String,
    pub name: Option<String>,
    pub indicators: BTreeMap<String, lantern_policies::rules::Value>,
    pub standards: Vec<StandardDetail>,
}

/// Responses shown per student: the most recent ones.
pub const DETAIL_RESPONSES: u32 = 500;

pub fn student_detail(
    c: &Connection,
    rules: &RulesPolicy,
    student_key: &str,
    now: DateTime<Utc>,
) -> Result<StudentDetail, StoreError> {
    let facts = super::student_facts(c, rules, student_key, now)?;
    let indicators = facts.values.iter().map(|(k, v)| (k.name().to_owned(), *v)).collect();
    let answers = reads::student_answers(c, student_key, DETAIL_RESPONSES)?;
    let mut by_item: BTreeMap<String, Vec<ResponseView>> = BTreeMap::new();
    let mut misconceptions: BTreeMap<String, BTreeMap<String, Option<String>>> = BTreeMap::new();
    for a in answers.into_iter().rev() {
        if !misconceptions.contains_key(&a.item_id) {
            misconceptions.insert(a.item_id.clone(), reads::item_misconceptions(c, &a.item_id)?);
        }
        let misconception = match (&a.response, a.correct) {
            (Some(r), false) => misconceptions.get(&a.item_id).and_then(|m| m.get(r)).cloned().flatten(),
            _ => None,
        };
        by_item.entry(a.item_id).or_default().push(ResponseView {
            at: a.at,
            correct: a.correct,
            response: a.response,
            misconception,
            duration_s: a.duration_s,
        });
    }
    let mut standards: Vec<StandardDetail> = reads::student_mastery(c, student_key)?
        .into_iter()
        .map(|m| StandardDetail {
            mastery: MasteryCell::new(m.p_known, m.evidence),
            standard: m.standard,
            items: vec![],
        })
        .collect();
    for (item_id, responses) in by_item {
        let info = reads::item_info(c, &item_id)?;
        let item_standards = info.as_ref().map(|i| i.1.clone()).unwrap_or_default();
        for s in standards.iter_mut().filter(|s| item_standards.contains(&s.standard)) {
            s.items.push(ItemResponses {
                item_id: item_id.clone(),
                title: info.as_ref().map(|i| i.0.clone()),
                responses: responses.clone(),
            });
        }
    }
    Ok(StudentDetail {
        student_key: student_key.to_owned(),
        name: reads::student_name(c, student_key)?,
        indicators,
        standards,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChoiceCount {
    pub choice: String,
    pub count: u32,
    pub correct: bool,
    pub misconception: Option<String>,
}

/// Statistics of one item over every student's first answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemAnalysis {
    pub item_id: String,
    pub title: Option<String>,
    pub standards: Vec<String>,
    pub responders: u32,
    pub correct: u32,
    pub difficulty: Option<f64>,
    pub discrimination: Option<f64>,
    pub choices: Vec<ChoiceCount>,
}

pub fn item_analysis(c: &Connection, item_id: &str) -> Result<ItemAnalysis, StoreError> {
    let info = reads::item_info(c, item_id)?;
    let (responders, correct) = reads::item_stat(c, item_id)?.unwrap_or((0, 0));
    let rs: Vec<Responder> = reads::item_responders(c, item_id)?
        .into_iter()
        .map(|(correct, answered, answered_correct)| Responder { correct, answered, answered_correct })
        .collect();
    let keys = reads::item_keys(c, item_id)?;
    let misconceptions = reads::item_misconceptions(c, item_id)?;
    let choices = reads::item_choice_counts(c, item_id)?
        .into_iter()
        .map(|(choice, count)| ChoiceCount {
            correct: keys.contains(&choice),
            misconception: misconceptions.get(&choice).cloned().flatten(),
            choice,
            count,
        })
        .collect();
    Ok(ItemAnalysis {
        item_id: item_id.to_owned(),
        title: info.as_ref().map(|i| i.0.clone()),
        standards: info.map(|i| i.1).unwrap_or_default(),
        responders,
        correct,
        difficulty: difficulty(responders, correct),
        discrimination: point_biserial(&rs),
        choices,
    })
}

/// Item analysis of every item the class's students have answered.
pub fn class_item_analysis(c: &Connection, class_id: &str) -> Result<Vec<ItemAnalysis>, StoreError> {
    reads::class_items(c, class_id)?.iter().map(|i| item_analysis(c, i)).collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttendanceRow {
    pub student_key: String,
    pub name: String,
    pub days_enrolled: u32,
    pub attendance_rate: Option<f64>,
    pub band: Option<&'static str>,
    pub absences_14d: u32,
    pub tardies_14d: u32,
    pub consecutive_absences: u32,
    pub chronic_absence: Option<bool>,
    pub days_excused: u32,
}

/// Attendance of every student of a class.
pub fn class_attendance(
    c: &Connection,
    bands: &AttendanceBands,
    class_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<AttendanceRow>, StoreError> {
    let mut out = Vec::new();
    for (k, name) in reads::class_students(c, class_id)? {
        let s = reads::attendance_summary(c, &k)?.unwrap_or(super::attendance::AttendanceSummary::from_days(&[]));
        let (absences_14d, tardies_14d) = last_14_days(&school_days(&reads::student_marks(c, &k)?), now.date_naive());
        out.push(AttendanceRow {
            student_key: k,
            name,
            days_enrolled: s.days_enrolled,
            attendance_rate: s.attendance_rate(),
            band: s.attendance_rate().map(|r| bands.band(r).name()),
            absences_14d,
            tardies_14d,
            consecutive_absences: s.consecutive_absences,
            chronic_absence: s.chronic_absence(),
            days_excused: s.days_excused,
        });
    }
    Ok(out)
}
