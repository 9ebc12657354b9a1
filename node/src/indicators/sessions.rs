//! Live session state: who has answered, per-item correct %, the most common wrong answers and the
//! misconceptions they signal, who has not responded. Computed from the session's stored answers
//! (a session has tens of students and a handful of items), counting each student's first answer
//! to each item in event order.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::Connection;
use serde::Serialize;

use crate::live::{LiveEvent, WrongAnswer};
use crate::store::indicators::reads::{self, SessionAnswer};
use crate::store::StoreError;

/// One item of a live session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionItem {
    pub item_id: String,
    pub responders: u32,
    pub correct: u32,
    /// Share correct among responders; `None` before the first answer.
    pub correct_share: Option<f64>,
    pub wrong_answers: Vec<WrongAnswer>,
    /// Mean seconds to answer, over answers that gave a duration.
    pub mean_duration_s: Option<f64>,
    /// Enrolled students who have not answered it.
    pub not_responded: Vec<String>,
}

/// One student of the class in a live session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionStudent {
    pub student_key: String,
    pub answered: u32,
    pub correct: u32,
}

/// The state of one live session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionState {
    pub session_id: String,
    pub class_id: Option<String>,
    pub started_at: String,
    pub last_at: String,
    pub items: Vec<SessionItem>,
    pub students: Vec<SessionStudent>,
    /// Enrolled students who have answered nothing in the session.
    pub not_responded: Vec<String>,
}

/// First answer per (student, item), in event order.
fn first_answers(answers: Vec<SessionAnswer>) -> Vec<SessionAnswer> {
    let mut seen = BTreeSet::new();
    answers.into_iter().filter(|a| seen.insert((a.student_key.clone(), a.item_id.clone()))).collect()
}

fn wrong_answers(c: &Connection, item_id: &str, answers: &[&SessionAnswer]) -> Result<Vec<WrongAnswer>, StoreError> {
    let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
    for a in answers.iter().filter(|a| !a.correct) {
        *counts.entry(a.response.as_deref().unwrap_or("")).or_default() += 1;
    }
    let misconceptions = reads::item_misconceptions(c, item_id)?;
    let mut out: Vec<WrongAnswer> = counts
        .into_iter()
        .map(|(r, n)| WrongAnswer {
            response: r.to_owned(),
            count: n,
            misconception: misconceptions.get(r).cloned().flatten(),
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.response.cmp(&b.response)));
    Ok(out)
}

/// The live event with a session item's totals after new answers.
pub fn item_stats_event(c: &Connection, session_id: &str, item_id: &str) -> Result<LiveEvent, StoreError> {
    let answers = first_answers(reads::session_answers(c, session_id, Some(item_id))?);
    let refs: Vec<&SessionAnswer> = answers.iter().collect();
    let class_id = reads::session(c, session_id)?.and_then(|s| s.0);
    Ok(LiveEvent::ItemStatsChanged {
        class_id,
        session_id: session_id.to_owned(),
        item_id: item_id.to_owned(),
        responders: answers.len() as u32,
        correct: answers.iter().filter(|a| a.correct).count() as u32,
        wrong_answers: wrong_answers(c, item_id, &refs)?,
    })
}

/// The whole state of a session; `None` if there is no such session.
pub fn session_state(c: &Connection, session_id: &str) -> Result<Option<SessionState>, StoreError> {
    let Some((class_id, started_at, last_at)) = reads::session(c, session_id)? else { return Ok(None) };
    let enrolled: Vec<String> = match &class_id {
        Some(class) => reads::class_students(c, class)?.into_iter().map(|(k, _)| k).collect(),
        None => Vec::new(),
    };
    let answers = first_answers(reads::session_answers(c, session_id, None)?);
    let mut items = Vec::new();
    for item_id in reads::session_items(c, session_id)? {
        let of_item: Vec<&SessionAnswer> = answers.iter().filter(|a| a.item_id == item_id).collect();
        let responders = of_item.len() as u32;
        let correct = of_item.iter().filter(|a| a.correct).count() as u32;
        let durations: Vec<f64> = of_item.iter().filter_map(|a| a.duration_s).collect();
        let answered_by: BTreeSet<&str> = of_item.iter().map(|a| a.student_key.as_str()).collect();
        items.push(SessionItem {
            wrong_answers: wrong_answers(c, &item_id, &of_item)?,
            item_id,
            responders,
            correct,
            correct_share: (responders > 0).then(|| f64::from(correct) / f64::from(responders)),
            mean_duration_s: (!durations.is_empty()).then(|| durations.iter().sum::<f64>() / durations.len() as f64),
            not_responded: enrolled.iter().filter(|k| !answered_by.contains(k.as_str())).cloned().collect(),
        });
    }
    let mut students: BTreeMap<String, SessionStudent> = enrolled
        .iter()
        .map(|k| (k.clone(), SessionStudent { student_key: k.clone(), answered: 0, correct: 0 }))
        .collect();
    for a in &answers {
        let s = students.entry(a.student_key.clone()).or_insert_with(|| SessionStudent {
            student_key: a.student_key.clone(),
            answered: 0,
            correct: 0,
        });
        s.answered += 1;
        s.correct += u32::from(a.correct);
    }
    let not_responded = students.values().filter(|s| s.answered == 0).map(|s| s.student_key.clone()).collect();
    Ok(Some(SessionState {
        session_id: session_id.to_owned(),
        class_id,
        started_at,
        last_at,
        items,
        students: students.into_values().collect(),
        not_responded,
    }))
}
