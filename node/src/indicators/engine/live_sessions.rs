//! Live sessions in memory: each student's first answer to each item of a session (event order),
//! so that a new answer's "item stats changed" event is counted without reading the session back.
//! A session is loaded from `learning_event` the first time an event touches it and dropped after
//! it has been idle for a while.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::indicators::event_key;
use crate::live::{LiveEvent, WrongAnswer};
use crate::store::indicators::{reads, FirstAnswer};
use crate::store::StoreError;

/// A session untouched this long is dropped from memory (it is reloaded if it comes back).
const IDLE: Duration = Duration::from_secs(3 * 3600);
/// Most sessions kept.
const MAX_SESSIONS: usize = 20_000;

#[derive(Debug)]
struct Session {
    /// The smallest class id its events named.
    class_id: Option<String>,
    /// item → student → first answer.
    items: HashMap<String, HashMap<String, FirstAnswer>>,
    used: Instant,
}

#[derive(Debug, Default)]
pub(super) struct LiveSessions {
    sessions: HashMap<String, Session>,
    /// item → chosen answer → misconception, from the item bank.
    misconceptions: HashMap<String, BTreeMap<String, Option<String>>>,
}

fn smaller(a: Option<String>, b: Option<&str>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) if b < a.as_str() => Some(b.to_owned()),
        (Some(a), _) => Some(a),
        (None, b) => b.map(str::to_owned),
    }
}

impl LiveSessions {
    /// Forgets everything (the item bank changed).
    pub(super) fn clear(&mut self) {
        self.sessions.clear();
        self.misconceptions.clear();
    }

    /// Records a scored answer (event `answer.seq`) in its session.
    pub(super) fn record(
        &mut self,
        c: &Connection,
        session_id: &str,
        class_id: Option<&str>,
        item: &str,
        student: &str,
        answer: FirstAnswer,
    ) -> Result<(), StoreError> {
        if !self.sessions.contains_key(session_id) {
            let loaded = load(c, session_id, answer.seq)?;
            self.sessions.insert(session_id.to_owned(), loaded);
        }
        let Some(s) = self.sessions.get_mut(session_id) else { return Ok(()) };
        s.used = Instant::now();
        s.class_id = smaller(s.class_id.take(), class_id);
        let firsts = s.items.entry(item.to_owned()).or_default();
        match firsts.get(student) {
            Some(old) if event_key(&old.at, old.seq) <= event_key(&answer.at, answer.seq) => {}
            _ => {
                firsts.insert(student.to_owned(), answer);
            }
        }
        Ok(())
    }

    /// The session's totals for one item (first answers per student).
    pub(super) fn item_stats_event(
        &mut self,
        c: &Connection,
        session_id: &str,
        item_id: &str,
    ) -> Result<LiveEvent, StoreError> {
        if !self.misconceptions.contains_key(item_id) {
            self.misconceptions.insert(item_id.to_owned(), reads::item_misconceptions(c, item_id)?);
        }
        let session = self.sessions.get(session_id);
        let firsts = session.and_then(|s| s.items.get(item_id));
        let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
        for a in firsts.into_iter().flat_map(|f| f.values()).filter(|a| !a.correct) {
            *counts.entry(a.response.as_deref().unwrap_or("")).or_default() += 1;
        }
        let misconceptions = self.misconceptions.get(item_id);
        let mut wrong_answers: Vec<WrongAnswer> = counts
            .into_iter()
            .map(|(r, n)| WrongAnswer {
                response: r.to_owned(),
                count: n,
                misconception: misconceptions.and_then(|m| m.get(r).cloned().flatten()),
            })
            .collect();
        wrong_answers.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.response.cmp(&b.response)));
        Ok(LiveEvent::ItemStatsChanged {
            class_id: session.and_then(|s| s.class_id.clone()),
            session_id: session_id.to_owned(),
            item_id: item_id.to_owned(),
            responders: firsts.map_or(0, |f| f.len() as u32),
            correct: firsts.map_or(0, |f| f.values().filter(|a| a.correct).count() as u32),
            wrong_answers,
        })
    }

    /// Drops sessions idle for long, and the oldest ones beyond the cap.
    pub(super) fn evict_idle(&mut self) {
        let now = Instant::now();
        self.sessions.retain(|_, s| now.duration_since(s.used) < IDLE);
        if self.sessions.len() > MAX_SESSIONS {
            let mut by_age: Vec<(Instant, String)> = self.sessions.iter().map(|(k, s)| (s.used, k.clone())).collect();
            by_age.sort();
            for (_, k) in by_age.into_iter().take(self.sessions.len() - MAX_SESSIONS) {
                self.sessions.remove(&k);
            }
        }
    }
}

/// A session as the events before `before_seq` left it.
fn load(c: &Connection, session_id: &str, before_seq: i64) -> Result<Session, StoreError> {
    let mut s = Session {
        class_id: reads::session(c, session_id)?.and_then(|row| row.0),
        items: HashMap::new(),
        used: Instant::now(),
    };
    for a in reads::session_answers(c, session_id, None)?.into_iter().filter(|a| a.seq < before_seq) {
        // Rows come in event order: the first one seen per student and item is the first answer.
        s.items.entry(a.item_id).or_default().entry(a.student_key).or_insert(FirstAnswer {
            at: a.at,
            seq: a.seq,
            correct: a.correct,
            response: a.response,
        });
    }
    Ok(s)
}
