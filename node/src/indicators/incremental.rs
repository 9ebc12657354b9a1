//! The incremental path: applying newly stored learning events to the indicator tables inside the
//! ingest transaction. An answer that arrives out of event order (earlier time than the last answer
//! already applied on a standard) replays that student × standard from `learning_event`, so the
//! result is always that of applying the answers in event order — the same as `rebuild`.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use lantern_policies::rules::BktParams;
use rusqlite::Connection;

use super::bkt::Mastery;
use super::{event_key, week_of, IndicatorError};
use crate::events::LearningEvent;
use crate::live::LiveEvent;
use crate::store::indicators::{self as sql, FirstAnswer, MasteryRow};
use crate::store::StoreError;

/// Applies `events` (already inserted into `learning_event` in this transaction) and returns what
/// changed, for the live stream.
pub fn apply(
    c: &Connection,
    bkt: &BktParams,
    bank: &mut ItemStandards,
    events: &[LearningEvent],
) -> Result<Vec<LiveEvent>, StoreError> {
    bank.refresh(c)?;
    let mut changes = Vec::new();
    let mut touched: BTreeSet<(String, String)> = BTreeSet::new();
    for e in events {
        apply_one(c, bkt, bank, e, &mut changes, &mut touched)
            .map_err(|err| StoreError::from(super::bad_time(err, e.seq)))?;
    }
    for (session, item) in touched {
        changes.push(super::sessions::item_stats_event(c, &session, &item)?);
    }
    Ok(changes)
}

fn apply_one(
    c: &Connection,
    bkt: &BktParams,
    bank: &mut ItemStandards,
    e: &LearningEvent,
    changes: &mut Vec<LiveEvent>,
    touched: &mut BTreeSet<(String, String)>,
) -> Result<(), IndicatorError> {
    let Some(item) = e.item_id.as_deref() else { return Ok(()) };
    if let Some(session) = e.session_id.as_deref() {
        sql::touch_session(c, session, e.class_id.as_deref(), item, &e.at)?;
    }
    let Some(correct) = e.correct else { return Ok(()) };
    sql::add_student_answer(c, &e.student_key, correct)?;
    let answer = FirstAnswer { at: e.at.clone(), seq: e.seq, correct, response: e.response.clone() };
    match sql::first_item_response(c, item, &e.student_key)? {
        None => {
            sql::put_item_response(c, item, &e.student_key, &answer)?;
            sql::adjust_item_stat(c, item, 1, i64::from(correct))?;
            if let Some(r) = &answer.response {
                sql::adjust_choice(c, item, r, 1)?;
            }
        }
        Some(old) if event_key(&answer.at, answer.seq) < event_key(&old.at, old.seq) => {
            sql::put_item_response(c, item, &e.student_key, &answer)?;
            sql::adjust_item_stat(c, item, 0, i64::from(correct) - i64::from(old.correct))?;
            if let Some(r) = &old.response {
                sql::adjust_choice(c, item, r, -1)?;
            }
            if let Some(r) = &answer.response {
                sql::adjust_choice(c, item, r, 1)?;
            }
        }
        Some(_) => {}
    }
    if let Some(session) = e.session_id.as_deref() {
        touched.insert((session.to_owned(), item.to_owned()));
        changes.push(LiveEvent::AnswerReceived {
            class_id: e.class_id.clone(),
            session_id: session.to_owned(),
            item_id: item.to_owned(),
            student_key: e.student_key.clone(),
            correct,
            response: e.response.clone(),
            duration_s: e.duration_s,
        });
    }
    for standard in bank.of(c, item)?.iter().cloned() {
        let m = update_mastery(c, bkt, &e.student_key, &standard, &e.at, e.seq, correct)?;
        changes.push(LiveEvent::MasteryChanged {
            class_id: e.class_id.clone(),
            student_key: e.student_key.clone(),
            standard,
            mastery: m.p_known,
            evidence: m.evidence,
        });
    }
    Ok(())
}

/// Item → standards, cached across batches; emptied whenever an import has run since (an item bank
/// import may have changed the mapping), which one cheap query per batch detects.
#[derive(Debug, Default)]
pub struct ItemStandards {
    generation: Option<i64>,
    map: HashMap<String, Arc<[String]>>,
}

impl ItemStandards {
    fn refresh(&mut self, c: &Connection) -> Result<(), StoreError> {
        let generation = sql::import_generation(c)?;
        if self.generation != Some(generation) {
            self.map.clear();
            self.generation = Some(generation);
        }
        Ok(())
    }

    fn of(&mut self, c: &Connection, item: &str) -> Result<Arc<[String]>, StoreError> {
        if let Some(s) = self.map.get(item) {
            return Ok(s.clone());
        }
        let s: Arc<[String]> = sql::item_standards(c, item)?.into();
        self.map.insert(item.to_owned(), s.clone());
        Ok(s)
    }
}

fn update_mastery(
    c: &Connection,
    bkt: &BktParams,
    student: &str,
    standard: &str,
    at: &str,
    seq: i64,
    correct: bool,
) -> Result<Mastery, IndicatorError> {
    let stored = sql::load_mastery(c, student, standard)?;
    let in_order = stored.as_ref().is_none_or(|m| event_key(at, seq) > event_key(&m.last_at, m.last_seq));
    if in_order {
        let before = stored.as_ref().map_or(Mastery::prior(bkt), |m| Mastery {
            p_known: m.p_known,
            evidence: m.evidence,
            correct: m.correct,
        });
        let after = before.update(bkt, correct);
        save(c, student, standard, &after, at, seq)?;
        sql::save_mastery_week(c, student, standard, &week_of(at)?, after.p_known, after.evidence)?;
        return Ok(after);
    }
    // Out of order: replay this student × standard from the stored answers.
    sql::delete_mastery_weeks(c, student, standard)?;
    let mut m = Mastery::prior(bkt);
    let mut last = (String::new(), 0);
    let mut week: Option<String> = None;
    for (a_at, a_seq, a_correct) in sql::standard_answers(c, student, standard)? {
        let w = week_of(&a_at)?;
        if let Some(prev) = week.as_deref().filter(|p| *p != w) {
            sql::save_mastery_week(c, student, standard, prev, m.p_known, m.evidence)?;
        }
        week = Some(w);
        m = m.update(bkt, a_correct);
        last = (a_at, a_seq);
    }
    if let Some(w) = week {
        sql::save_mastery_week(c, student, standard, &w, m.p_known, m.evidence)?;
    }
    save(c, student, standard, &m, &last.0, last.1)?;
    Ok(m)
}

fn save(c: &Connection, student: &str, standard: &str, m: &Mastery, at: &str, seq: i64) -> Result<(), StoreError> {
    sql::save_mastery(
        c,
        &MasteryRow {
            student_key: student.to_owned(),
            standard: standard.to_owned(),
            p_known: m.p_known,
            evidence: m.evidence,
            correct: m.correct,
            last_at: at.to_owned(),
            last_seq: seq,
        },
    )
}
