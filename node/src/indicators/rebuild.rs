//! `lantern node rebuild`: recomputes every indicator table from `learning_event`, `item_standard`
//! and `attendance`, in one transaction (all or nothing). Events are streamed in storage order with
//! the per-student state in memory (a few hundred bytes per student × standard, and one entry per
//! student × item answered); a student whose events are not in event order in storage (an answer
//! stored after a later-dated one) is recomputed from their own timeline, read in event order.
//! Asked to, the same pass also collects each student's answers per standard in event order (one
//! byte per answer), the input of `--fit-bkt` (`bkt_fit`).

use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use lantern_policies::rules::{BktModel, BktParams};
use rusqlite::Connection;
use serde::Serialize;

use super::bkt::Mastery;
use super::bkt_fit::AnswersByStandard;
use super::{bad_time, event_key, week_of, IndicatorError};
use crate::store::indicators::scan::{self, EventRef};
use crate::store::indicators::{self as sql, FirstAnswer};
use crate::store::StoreError;

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RebuildReport {
    pub events: u64,
    pub students: u64,
    /// Students recomputed from their own timeline because storage order differed from event order.
    pub students_reordered: u64,
    pub mastery_rows: u64,
    pub items: u64,
    pub sessions: u64,
    pub attendance_students: u64,
    pub millis: u64,
    /// Of `millis`: reading and replaying events, then writing the results.
    pub scan_millis: u64,
    pub write_millis: u64,
}

struct StandardState {
    m: Mastery,
    last_at: String,
    last_seq: i64,
    /// (week id, mastery at its end, evidence), weeks in order.
    weeks: Vec<(u32, f64, u32)>,
    /// Right/wrong of each answer in event order, when collecting for the BKT fit.
    answers: Vec<bool>,
}

#[derive(Default)]
struct StudentState {
    last: Option<(String, i64)>,
    reordered: bool,
    answered: u32,
    correct: u32,
    standards: BTreeMap<u32, StandardState>,
    first: HashMap<u32, FirstAnswer>,
}

#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn get(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.names.len() as u32;
        self.ids.insert(s.to_owned(), i);
        self.names.push(s.to_owned());
        i
    }
}

struct Session {
    class_id: Option<String>,
    started_at: String,
    last_at: String,
}

struct Rebuild<'a> {
    bkt: &'a BktModel,
    /// By standard id: the standard's BKT parameters.
    standard_params: Vec<BktParams>,
    collect_answers: bool,
    students: Interner,
    student_state: Vec<StudentState>,
    items: Interner,
    item_standards: Vec<Vec<u32>>,
    standard_ids: Interner,
    bank: HashMap<String, Vec<String>>,
    /// Day (`YYYY-MM-DD`) → week id in `week_names`.
    days: HashMap<String, u32>,
    week_names: Interner,
    session_ids: Interner,
    sessions: Vec<Session>,
    session_items: HashMap<(u32, u32), String>,
}

impl Rebuild<'_> {
    fn item(&mut self, item_id: &str) -> u32 {
        let before = self.items.names.len();
        let i = self.items.get(item_id);
        if self.items.names.len() > before {
            let standards = self.bank.get(item_id).cloned().unwrap_or_default();
            let ids = standards.iter().map(|s| self.standard(s)).collect();
            self.item_standards.push(ids);
        }
        i
    }

    fn standard(&mut self, code: &str) -> u32 {
        let id = self.standard_ids.get(code);
        if id as usize == self.standard_params.len() {
            self.standard_params.push(*self.bkt.for_standard(code));
        }
        id
    }

    fn week(&mut self, at: &str) -> Result<u32, IndicatorError> {
        let day = at.get(..10).unwrap_or(at);
        if let Some(w) = self.days.get(day) {
            return Ok(*w);
        }
        let w = self.week_names.get(&week_of(at)?);
        self.days.insert(day.to_owned(), w);
        Ok(w)
    }

    fn session(&mut self, e: &EventRef<'_>, item: u32) {
        let (Some(session_id), Some(_)) = (e.session_id, e.item_id) else { return };
        let sid = self.session_ids.get(session_id);
        match self.sessions.get_mut(sid as usize) {
            Some(s) => {
                s.class_id = match (s.class_id.take(), e.class_id) {
                    (None, c) => c.map(str::to_owned),
                    (Some(a), None) => Some(a),
                    (Some(a), Some(b)) => Some(if b < a.as_str() { b.to_owned() } else { a }),
                };
                if e.at < s.started_at.as_str() {
                    s.started_at = e.at.to_owned();
                }
                if e.at > s.last_at.as_str() {
                    s.last_at = e.at.to_owned();
                }
            }
            None => self.sessions.push(Session {
                class_id: e.class_id.map(str::to_owned),
                started_at: e.at.to_owned(),
                last_at: e.at.to_owned(),
            }),
        }
        let first = self.session_items.entry((sid, item)).or_insert_with(|| e.at.to_owned());
        if e.at < first.as_str() {
            *first = e.at.to_owned();
        }
    }

    /// Applies one scored answer to its student, in event order.
    fn answer(&mut self, student: u32, item: u32, e: &EventRef<'_>, correct: bool) -> Result<(), IndicatorError> {
        let week = self.week(e.at)?;
        let (params, collect) = (&self.standard_params, self.collect_answers);
        let standards = &self.item_standards[item as usize];
        let s = &mut self.student_state[student as usize];
        s.answered += 1;
        s.correct += u32::from(correct);
        s.first.entry(item).or_insert_with(|| FirstAnswer {
            at: e.at.to_owned(),
            seq: e.seq,
            correct,
            response: e.response.map(str::to_owned),
        });
        for &std in standards {
            let bkt = &params[std as usize];
            let st = s.standards.entry(std).or_insert_with(|| StandardState {
                m: Mastery::prior(bkt),
                last_at: String::new(),
                last_seq: 0,
                weeks: Vec::new(),
                answers: Vec::new(),
            });
            st.m = st.m.update(bkt, correct);
            if collect {
                st.answers.push(correct);
            }
            st.last_at.clear();
            st.last_at.push_str(e.at);
            st.last_seq = e.seq;
            match st.weeks.last_mut() {
                Some(last) if last.0 == week => {
                    last.1 = st.m.p_known;
                    last.2 = st.m.evidence;
                }
                _ => st.weeks.push((week, st.m.p_known, st.m.evidence)),
            }
        }
        Ok(())
    }
}

/// Recomputes every indicator table on `c` (the caller's transaction), each standard with its BKT
/// parameters. `progress` shows a bar on stderr when it is a terminal.
pub fn rebuild(c: &Connection, bkt: &BktModel, progress: bool) -> Result<RebuildReport, StoreError> {
    Ok(with_small_cache(c, || run(c, bkt, progress, false))?.0)
}

/// Runs `f` with the connection's page cache at 32 MB: the rebuild streams every event once and
/// keeps its own state in memory, so a big cache would only add to its peak memory.
fn with_small_cache<T>(c: &Connection, f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    let before: i64 = c.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
    c.pragma_update(None, "cache_size", -32_000)?;
    let result = f();
    c.pragma_update(None, "cache_size", before)?;
    result
}

/// `rebuild`, also returning every student's answers per standard in event order (the rebuild's
/// order), for fitting BKT parameters after the transaction.
pub fn rebuild_collecting_answers(
    c: &Connection,
    bkt: &BktModel,
    progress: bool,
) -> Result<(RebuildReport, AnswersByStandard), StoreError> {
    with_small_cache(c, || run(c, bkt, progress, true))
}

fn run(
    c: &Connection,
    bkt: &BktModel,
    progress: bool,
    collect_answers: bool,
) -> Result<(RebuildReport, AnswersByStandard), StoreError> {
    let started = Instant::now();
    let total: u64 = c.query_row("SELECT count(*) FROM learning_event", [], |r| r.get(0))?;
    let bar = if progress && std::io::stderr().is_terminal() {
        let b = ProgressBar::new(total);
        if let Ok(style) = ProgressStyle::with_template("rebuilding {bar:40} {pos}/{len} events ({eta} left)") {
            b.set_style(style);
        }
        b
    } else {
        ProgressBar::hidden()
    };
    sql::clear_derived(c)?;
    let mut bank: HashMap<String, Vec<String>> = HashMap::new();
    for (item, standard) in sql::all_item_standards(c)? {
        bank.entry(item).or_default().push(standard);
    }
    let mut r = Rebuild {
        bkt,
        standard_params: Vec::new(),
        collect_answers,
        students: Interner::default(),
        student_state: Vec::new(),
        items: Interner::default(),
        item_standards: Vec::new(),
        standard_ids: Interner::default(),
        bank,
        days: HashMap::new(),
        week_names: Interner::default(),
        session_ids: Interner::default(),
        sessions: Vec::new(),
        session_items: HashMap::new(),
    };
    let mut events = 0u64;
    scan::each_event(c, |e| {
        events += 1;
        if events.is_multiple_of(65_536) {
            bar.set_position(events);
        }
        let Some(item_id) = e.item_id else { return Ok(()) };
        let item = r.item(item_id);
        r.session(&e, item);
        let Some(correct) = e.correct else { return Ok(()) };
        let student = r.students.get(e.student_key);
        if student as usize == r.student_state.len() {
            r.student_state.push(StudentState::default());
        }
        let s = &mut r.student_state[student as usize];
        if s.reordered {
            return Ok(());
        }
        if let Some((at, seq)) = &s.last {
            if event_key(e.at, e.seq) < event_key(at, *seq) {
                // Stored out of event order: redo this student from their timeline afterwards.
                *s = StudentState { reordered: true, ..StudentState::default() };
                return Ok(());
            }
        }
        match &mut s.last {
            Some((at, seq)) => {
                at.clear();
                at.push_str(e.at);
                *seq = e.seq;
            }
            None => s.last = Some((e.at.to_owned(), e.seq)),
        }
        r.answer(student, item, &e, correct).map_err(|err| StoreError::from(bad_time(err, e.seq)))
    })?;
    bar.set_position(events);
    let mut reordered = 0u64;
    for student in 0..r.student_state.len() as u32 {
        if !r.student_state[student as usize].reordered {
            continue;
        }
        reordered += 1;
        let key = r.students.names[student as usize].clone();
        scan::each_student_event(c, &key, |e| {
            let (Some(item_id), Some(correct)) = (e.item_id, e.correct) else { return Ok(()) };
            let item = r.item(item_id);
            r.answer(student, item, &e, correct).map_err(|err| StoreError::from(bad_time(err, e.seq)))
        })?;
    }
    bar.set_message("writing");
    let answers = if collect_answers { take_answers(&mut r) } else { AnswersByStandard::new() };
    let scan_millis = started.elapsed().as_millis() as u64;
    let report = write(c, r, events, reordered)?;
    // Every stored event is now applied; a running engine drops what it holds in memory.
    crate::store::indicators::progress::rebuilt(c)?;
    bar.finish_and_clear();
    let millis = started.elapsed().as_millis() as u64;
    Ok((RebuildReport { millis, scan_millis, write_millis: millis - scan_millis, ..report }, answers))
}

/// Moves the collected answers out of the students' state, grouped by standard.
fn take_answers(r: &mut Rebuild<'_>) -> AnswersByStandard {
    let mut by_id: Vec<super::bkt_fit::StandardAnswers> = vec![Default::default(); r.standard_ids.names.len()];
    for s in &mut r.student_state {
        for (std, st) in &mut s.standards {
            by_id[*std as usize].push_student(&std::mem::take(&mut st.answers));
        }
    }
    r.standard_ids.names.iter().cloned().zip(by_id).filter(|(_, a)| a.answers() > 0).collect()
}

fn write(c: &Connection, r: Rebuild<'_>, events: u64, reordered: u64) -> Result<RebuildReport, StoreError> {
    // Rows are written in primary-key order (students by key, standards by code, items by id), so
    // SQLite appends to its B-trees instead of inserting at random places.
    let mut mastery_rows = 0u64;
    let mut item_totals: HashMap<u32, (u32, u32, BTreeMap<String, u32>)> = HashMap::new();
    let mut students: Vec<u32> = (0..r.student_state.len() as u32).collect();
    students.sort_by(|a, b| r.students.names[*a as usize].cmp(&r.students.names[*b as usize]));
    let mut first_answers: Vec<(&str, &str, &FirstAnswer)> = Vec::new();
    for &i in &students {
        let s = &r.student_state[i as usize];
        let key = &r.students.names[i as usize];
        if s.answered > 0 {
            scan::insert_student_answers(c, key, s.answered, s.correct)?;
        }
        let mut standards: Vec<(&str, &StandardState)> =
            s.standards.iter().map(|(std, st)| (r.standard_ids.names[*std as usize].as_str(), st)).collect();
        standards.sort_by(|a, b| a.0.cmp(b.0));
        for (standard, st) in standards {
            let m = &st.m;
            scan::insert_mastery(c, key, standard, m.p_known, m.evidence, m.correct, (&st.last_at, st.last_seq))?;
            mastery_rows += 1;
            for (week, p, n) in &st.weeks {
                scan::insert_mastery_week(c, key, standard, &r.week_names.names[*week as usize], *p, *n)?;
            }
        }
        for (item, a) in &s.first {
            first_answers.push((&r.items.names[*item as usize], key, a));
            let t = item_totals.entry(*item).or_default();
            t.0 += 1;
            t.1 += u32::from(a.correct);
            if let Some(resp) = &a.response {
                *t.2.entry(resp.clone()).or_default() += 1;
            }
        }
    }
    first_answers.sort_unstable_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    for (item, student, a) in first_answers {
        crate::store::indicators::insert_item_response(c, item, student, a)?;
    }
    for (item, (responders, correct, choices)) in &item_totals {
        let item_id = &r.items.names[*item as usize];
        scan::insert_item_stat(c, item_id, *responders, *correct)?;
        for (resp, n) in choices {
            scan::insert_choice_count(c, item_id, resp, *n)?;
        }
    }
    for (id, s) in r.session_ids.names.iter().zip(&r.sessions) {
        crate::store::indicators::touch_live_session(c, id, s.class_id.as_deref(), &s.started_at, &s.last_at)?;
    }
    for ((session, item), first_at) in &r.session_items {
        let session = &r.session_ids.names[*session as usize];
        crate::store::indicators::touch_session_item(c, session, &r.items.names[*item as usize], first_at)?;
    }
    let attendance_students = crate::store::indicators::reads::students_with_marks(c)?;
    super::refresh_attendance(c, &attendance_students)?;
    Ok(RebuildReport {
        events,
        students: r.student_state.len() as u64,
        students_reordered: reordered,
        mastery_rows,
        items: item_totals.len() as u64,
        sessions: r.sessions.len() as u64,
        attendance_students: attendance_students.len() as u64,
        millis: 0,
        scan_millis: 0,
        write_millis: 0,
    })
}

#[cfg(test)]
mod tests;
