//! The indicator engine's working state: what applying learning events changes, held in memory
//! until it is flushed to the derived tables in one transaction ([`State::take_writes`] →
//! [`Writes::write`]). Applying reads what it needs (a mastery row, a student's earlier answers, an
//! item's standards) from a connection that sees every event up to the one being applied.
//!
//! Events must be applied in `seq` order. BKT mastery and first answers are defined in event order
//! (time, then seq): an answer that arrives with an earlier time than the last one applied on a
//! standard replays that student × standard from `learning_event` (events up to its seq), so the
//! result is that of applying the answers in event order — the same as `rebuild`.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use lantern_policies::rules::{BktModel, BktParams};
use rusqlite::Connection;

use super::live_sessions::LiveSessions;
use crate::events::LearningEvent;
use crate::indicators::bkt::Mastery;
use crate::indicators::{event_key, week_of, IndicatorError};
use crate::live::LiveEvent;
use crate::store::indicators::{self as sql, progress, FirstAnswer, MasteryRow};
use crate::store::StoreError;

/// Mastery rows kept in memory between flushes before the cache is emptied.
const MASTERY_CACHE: usize = 150_000;
/// Latest answers kept per student × standard, so that an answer arriving a little out of event
/// order is replayed from memory rather than from `learning_event`.
const WINDOW: usize = 16;

/// Mastery at the end of each week (Monday date): (P(L), evidence).
type WeekValues = BTreeMap<String, (f64, u32)>;

/// Weekly mastery values to write for one student × standard.
#[derive(Debug, Clone)]
enum Weeks {
    /// Insert or overwrite these weeks.
    Upsert(WeekValues),
    /// The answers were replayed: these weeks are all there is.
    Replace(WeekValues),
}

impl Weeks {
    fn map(&mut self) -> &mut WeekValues {
        match self {
            Weeks::Upsert(m) | Weeks::Replace(m) => m,
        }
    }
}

#[derive(Debug, Clone)]
struct MasteryEntry {
    m: Mastery,
    last_at: String,
    last_seq: i64,
    dirty: bool,
    weeks: Weeks,
    /// The latest answers, when known.
    window: Option<Window>,
}

/// A student × standard's latest answers in event order, and the state before the first of them.
#[derive(Debug, Clone)]
struct Window {
    base: Mastery,
    answers: Vec<(Box<str>, i64, bool)>,
    /// Nothing was trimmed: the window is the whole history (`base` is the prior).
    complete: bool,
}

impl Window {
    /// A window over a whole answer history (oldest first), keeping the last [`WINDOW`].
    fn of(bkt: &BktParams, history: Vec<(String, i64, bool)>) -> Window {
        let mut w = Window { base: Mastery::prior(bkt), answers: Vec::new(), complete: true };
        for (at, seq, correct) in history {
            w.answers.push((at.into_boxed_str(), seq, correct));
            w.trim(bkt);
        }
        w
    }

    fn trim(&mut self, bkt: &BktParams) {
        if self.answers.len() > WINDOW {
            let (_, _, correct) = self.answers.remove(0);
            self.base = self.base.update(bkt, correct);
            self.complete = false;
        }
    }

    /// Whether an answer at (`at`, `seq`) can be replayed from the window: it holds everything,
    /// or its first answer comes before this one.
    fn covers(&self, at: &str, seq: i64) -> bool {
        self.complete || self.answers.first().is_some_and(|(a, s, _)| event_key(a, *s) < event_key(at, seq))
    }

    /// Folds the window from its base: the final state, the weekly values of the weeks it covers,
    /// and the last answer.
    fn replay(&self, bkt: &BktParams) -> Result<(Mastery, WeekValues), IndicatorError> {
        let mut m = self.base;
        let mut weeks = BTreeMap::new();
        for (at, _, correct) in &self.answers {
            m = m.update(bkt, *correct);
            weeks.insert(week_of(at)?, (m.p_known, m.evidence));
        }
        Ok((m, weeks))
    }
}

/// What a live session looked like in the events applied since the last flush.
#[derive(Debug, Clone)]
struct SessionTouch {
    class_id: Option<String>,
    first_at: String,
    last_at: String,
}

/// Item → standards, cached; emptied whenever an import has run since (an item bank import may
/// have changed the mapping), which one cheap query per round detects.
#[derive(Debug, Default)]
pub(super) struct ItemBank {
    generation: Option<i64>,
    standards: HashMap<String, std::sync::Arc<[String]>>,
}

impl ItemBank {
    /// True when the bank changed since the last call (caches built on it must be dropped).
    fn refresh(&mut self, c: &Connection) -> Result<bool, StoreError> {
        let generation = sql::import_generation(c)?;
        if self.generation != Some(generation) {
            self.standards.clear();
            self.generation = Some(generation);
            return Ok(true);
        }
        Ok(false)
    }

    fn standards(&mut self, c: &Connection, item: &str) -> Result<std::sync::Arc<[String]>, StoreError> {
        if let Some(s) = self.standards.get(item) {
            return Ok(s.clone());
        }
        let s: std::sync::Arc<[String]> = sql::item_standards(c, item)?.into();
        self.standards.insert(item.to_owned(), s.clone());
        Ok(s)
    }
}

/// The engine's state between flushes.
#[derive(Debug)]
pub(super) struct State {
    bkt: BktModel,
    bank: ItemBank,
    mastery: HashMap<(String, String), MasteryEntry>,
    answers: HashMap<String, (i64, i64)>,
    firsts: Vec<(String, String, FirstAnswer)>,
    sessions: HashMap<String, SessionTouch>,
    session_items: HashMap<(String, String), String>,
    live: LiveSessions,
    students: BTreeSet<String>,
    /// Highest seq applied; events applied since the last flush.
    max_seq: i64,
    unflushed: usize,
}

/// The derived rows one flush writes, taken out of the state.
#[derive(Debug, Default)]
pub(super) struct Writes {
    mastery: Vec<(MasteryRow, Weeks)>,
    answers: Vec<(String, (i64, i64))>,
    firsts: Vec<(String, String, FirstAnswer)>,
    sessions: Vec<(String, SessionTouch)>,
    session_items: Vec<((String, String), String)>,
    /// Students whose indicators changed (for alert re-evaluation once written).
    pub students: Vec<String>,
    /// Events up to here are applied once these rows commit.
    pub max_seq: i64,
    pub events: usize,
}

impl State {
    pub(super) fn new(bkt: BktModel) -> State {
        State {
            bkt,
            bank: ItemBank::default(),
            mastery: HashMap::new(),
            answers: HashMap::new(),
            firsts: Vec::new(),
            sessions: HashMap::new(),
            session_items: HashMap::new(),
            live: LiveSessions::default(),
            students: BTreeSet::new(),
            max_seq: 0,
            unflushed: 0,
        }
    }

    /// Events applied since the last flush.
    pub(super) fn unflushed(&self) -> usize {
        self.unflushed
    }

    /// Applies `events` (in seq order, every one already stored) and returns the live events.
    pub(super) fn apply(&mut self, c: &Connection, events: &[LearningEvent]) -> Result<Vec<LiveEvent>, StoreError> {
        if self.bank.refresh(c)? {
            // The item → standard mapping may have changed: answers held per standard may no
            // longer be that standard's (out-of-order answers replay from the database instead).
            self.live.clear();
            for entry in self.mastery.values_mut() {
                entry.window = None;
            }
        }
        let mut changes = Vec::new();
        let mut touched: BTreeSet<(String, String)> = BTreeSet::new();
        for e in events {
            self.apply_one(c, e, &mut changes, &mut touched)
                .map_err(|err| StoreError::from(crate::indicators::bad_time(err, e.seq)))?;
            self.max_seq = self.max_seq.max(e.seq);
            self.unflushed += 1;
        }
        for (session, item) in touched {
            changes.push(self.live.item_stats_event(c, &session, &item)?);
        }
        self.live.evict_idle();
        Ok(changes)
    }

    fn apply_one(
        &mut self,
        c: &Connection,
        e: &LearningEvent,
        changes: &mut Vec<LiveEvent>,
        touched: &mut BTreeSet<(String, String)>,
    ) -> Result<(), IndicatorError> {
        self.students.insert(e.student_key.clone());
        let Some(item) = e.item_id.as_deref() else { return Ok(()) };
        if let Some(session) = e.session_id.as_deref() {
            self.touch_session(session, e.class_id.as_deref(), item, &e.at);
        }
        let Some(correct) = e.correct else { return Ok(()) };
        let totals = self.answers.entry(e.student_key.clone()).or_default();
        totals.0 += 1;
        totals.1 += i64::from(correct);
        let answer = FirstAnswer { at: e.at.clone(), seq: e.seq, correct, response: e.response.clone() };
        self.firsts.push((item.to_owned(), e.student_key.clone(), answer.clone()));
        if let Some(session) = e.session_id.as_deref() {
            self.live.record(c, session, e.class_id.as_deref(), item, &e.student_key, answer)?;
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
        for standard in self.bank.standards(c, item)?.iter() {
            let m = self.update_mastery(c, &e.student_key, standard, &e.at, e.seq, correct)?;
            changes.push(LiveEvent::MasteryChanged {
                class_id: e.class_id.clone(),
                student_key: e.student_key.clone(),
                standard: standard.clone(),
                mastery: m.p_known,
                evidence: m.evidence,
            });
        }
        Ok(())
    }

    fn touch_session(&mut self, session: &str, class_id: Option<&str>, item: &str, at: &str) {
        match self.sessions.entry(session.to_owned()) {
            Entry::Occupied(mut o) => {
                let t = o.get_mut();
                t.class_id = match (t.class_id.take(), class_id) {
                    (Some(a), Some(b)) => Some(if b < a.as_str() { b.to_owned() } else { a }),
                    (a, b) => a.or(b.map(str::to_owned)),
                };
                if at < t.first_at.as_str() {
                    t.first_at = at.to_owned();
                }
                if at > t.last_at.as_str() {
                    t.last_at = at.to_owned();
                }
            }
            Entry::Vacant(v) => {
                v.insert(SessionTouch {
                    class_id: class_id.map(str::to_owned),
                    first_at: at.to_owned(),
                    last_at: at.to_owned(),
                });
            }
        }
        match self.session_items.entry((session.to_owned(), item.to_owned())) {
            Entry::Occupied(mut o) if at < o.get().as_str() => *o.get_mut() = at.to_owned(),
            Entry::Occupied(_) => {}
            Entry::Vacant(v) => {
                v.insert(at.to_owned());
            }
        }
    }

    fn update_mastery(
        &mut self,
        c: &Connection,
        student: &str,
        standard: &str,
        at: &str,
        seq: i64,
        correct: bool,
    ) -> Result<Mastery, IndicatorError> {
        let bkt = *self.bkt.for_standard(standard);
        let entry = match self.mastery.entry((student.to_owned(), standard.to_owned())) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(load_entry(c, &bkt, student, standard)?),
        };
        let week = week_of(at)?;
        entry.dirty = true;
        if event_key(at, seq) > event_key(&entry.last_at, entry.last_seq) {
            entry.m = entry.m.update(&bkt, correct);
            entry.last_at = at.to_owned();
            entry.last_seq = seq;
            entry.weeks.map().insert(week, (entry.m.p_known, entry.m.evidence));
            if let Some(w) = &mut entry.window {
                w.answers.push((at.into(), seq, correct));
                w.trim(&bkt);
            }
            return Ok(entry.m);
        }
        // Out of order, but after the first answer in memory: replay the window. The weeks before
        // the window's first answer keep their values; the ones it covers are rewritten.
        if let Some(w) = entry.window.as_mut().filter(|w| w.covers(at, seq)) {
            let pos = w.answers.partition_point(|(a, s, _)| event_key(a, *s) < event_key(at, seq));
            w.answers.insert(pos, (at.into(), seq, correct));
            let (m, weeks) = w.replay(&bkt)?;
            w.trim(&bkt);
            entry.m = m;
            entry.weeks.map().extend(weeks);
            return Ok(m);
        }
        // Further back: replay this student × standard from the stored answers up to this one.
        let mut history = sql::standard_answers(c, student, standard, seq)?;
        // As the engine skips events with an invalid time, so does the replay.
        history.retain(|(a, _, _)| crate::indicators::date_of(a).is_ok());
        let mut m = Mastery::prior(&bkt);
        let mut weeks = BTreeMap::new();
        for (a_at, _, a_correct) in &history {
            m = m.update(&bkt, *a_correct);
            weeks.insert(week_of(a_at)?, (m.p_known, m.evidence));
        }
        let (last_at, last_seq) = history.last().map(|(a, s, _)| (a.clone(), *s)).unwrap_or_default();
        let window = Some(Window::of(&bkt, history));
        *entry = MasteryEntry { m, last_at, last_seq, dirty: true, weeks: Weeks::Replace(weeks), window };
        Ok(m)
    }

    /// Takes what the events applied since the last flush change, to be written in one
    /// transaction. The in-memory cache keeps the new values (it is emptied when it grows large).
    pub(super) fn take_writes(&mut self) -> Writes {
        let mut mastery = Vec::new();
        for ((student, standard), e) in self.mastery.iter_mut().filter(|(_, e)| e.dirty) {
            e.dirty = false;
            let weeks = std::mem::replace(&mut e.weeks, Weeks::Upsert(BTreeMap::new()));
            mastery.push((
                MasteryRow {
                    student_key: student.clone(),
                    standard: standard.clone(),
                    p_known: e.m.p_known,
                    evidence: e.m.evidence,
                    correct: e.m.correct,
                    last_at: e.last_at.clone(),
                    last_seq: e.last_seq,
                },
                weeks,
            ));
        }
        if self.mastery.len() > MASTERY_CACHE {
            self.mastery.clear();
        }
        mastery.sort_by(|a, b| (&a.0.student_key, &a.0.standard).cmp(&(&b.0.student_key, &b.0.standard)));
        let mut answers: Vec<_> = self.answers.drain().collect();
        answers.sort();
        let mut firsts = std::mem::take(&mut self.firsts);
        // Stable: answers of one student to one item stay in seq order.
        firsts.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let mut sessions: Vec<_> = self.sessions.drain().collect();
        sessions.sort_by(|a, b| a.0.cmp(&b.0));
        let mut session_items: Vec<_> = self.session_items.drain().collect();
        session_items.sort();
        let events = std::mem::take(&mut self.unflushed);
        Writes {
            mastery,
            answers,
            firsts,
            sessions,
            session_items,
            students: std::mem::take(&mut self.students).into_iter().collect(),
            max_seq: self.max_seq,
            events,
        }
    }
}

fn load_entry(c: &Connection, bkt: &BktParams, student: &str, standard: &str) -> Result<MasteryEntry, StoreError> {
    Ok(match sql::load_mastery(c, student, standard)? {
        Some(row) => MasteryEntry {
            m: Mastery { p_known: row.p_known, evidence: row.evidence, correct: row.correct },
            last_at: row.last_at,
            last_seq: row.last_seq,
            dirty: false,
            weeks: Weeks::Upsert(BTreeMap::new()),
            window: None,
        },
        // No answer yet: the window starts complete.
        None => MasteryEntry {
            m: Mastery::prior(bkt),
            last_at: String::new(),
            last_seq: 0,
            dirty: false,
            weeks: Weeks::Upsert(BTreeMap::new()),
            window: Some(Window { base: Mastery::prior(bkt), answers: Vec::new(), complete: true }),
        },
    })
}

impl Writes {
    /// Writes the rows and records the progress, inside the caller's transaction.
    pub(super) fn write(&self, c: &Connection) -> Result<(), StoreError> {
        for (row, weeks) in &self.mastery {
            sql::save_mastery(c, row)?;
            if let Weeks::Replace(_) = weeks {
                sql::delete_mastery_weeks(c, &row.student_key, &row.standard)?;
            }
            let (Weeks::Upsert(map) | Weeks::Replace(map)) = weeks;
            for (week, (p, evidence)) in map {
                sql::save_mastery_week(c, &row.student_key, &row.standard, week, *p, *evidence)?;
            }
        }
        for (student, (answered, correct)) in &self.answers {
            sql::add_student_answers(c, student, *answered, *correct)?;
        }
        self.write_first_answers(c)?;
        for (session, t) in &self.sessions {
            sql::touch_live_session(c, session, t.class_id.as_deref(), &t.first_at, &t.last_at)?;
        }
        for ((session, item), at) in &self.session_items {
            sql::touch_session_item(c, session, item, at)?;
        }
        progress::advance(c, self.max_seq)
    }

    /// Each student's first answer per item (event order), and the item totals and chosen-answer
    /// counts over them.
    fn write_first_answers(&self, c: &Connection) -> Result<(), StoreError> {
        let mut stats: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
        let mut choices: BTreeMap<(&str, String), i64> = BTreeMap::new();
        for (item, student, answer) in &self.firsts {
            if sql::insert_item_response(c, item, student, answer)? {
                let s = stats.entry(item).or_default();
                s.0 += 1;
                s.1 += i64::from(answer.correct);
                if let Some(r) = &answer.response {
                    *choices.entry((item, r.clone())).or_default() += 1;
                }
                continue;
            }
            // Not the first answer stored: it replaces the stored one only if it came earlier.
            let Some(old) = sql::first_item_response(c, item, student)? else { continue };
            if event_key(&answer.at, answer.seq) >= event_key(&old.at, old.seq) {
                continue;
            }
            sql::put_item_response(c, item, student, answer)?;
            stats.entry(item).or_default().1 += i64::from(answer.correct) - i64::from(old.correct);
            if let Some(r) = old.response {
                *choices.entry((item, r)).or_default() -= 1;
            }
            if let Some(r) = &answer.response {
                *choices.entry((item, r.clone())).or_default() += 1;
            }
        }
        for (item, (responders, correct)) in stats {
            sql::adjust_item_stat(c, item, responders, correct)?;
        }
        for ((item, response), delta) in choices.into_iter().filter(|(_, d)| *d != 0) {
            sql::adjust_choice(c, item, &response, delta)?;
        }
        Ok(())
    }
}
