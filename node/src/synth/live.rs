//! The live class simulator for the demo: a compressed bell schedule puts some classes "in session"
//! at any wall-clock time; each starts a quiz, students answer over the next minutes (some never
//! do), and `next_statements` hands out the answers that are due, as xAPI JSON.

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use uuid::Uuid;

use super::latent::{answer_seconds, p_correct, reaction_seconds, wrong_choice};
use super::model::SyntheticSchool;
use super::rng::{stream, uuid, Purpose};
use super::statements::SynthStatement;

/// Periods in the bell schedule.
const PERIODS: i64 = 7;
/// Default length of one live period: every class is in session once every 35 minutes.
const DEFAULT_PERIOD_SECONDS: u32 = 300;
/// Items in one live quiz.
const LIVE_QUIZ_ITEMS: usize = 5;
/// At least this share of present students never answers a live quiz.
const MIN_NON_RESPONSE: f64 = 0.08;

/// An answer scheduled for a future moment.
#[derive(Debug, Clone)]
struct ScheduledAnswer {
    due: DateTime<Utc>,
    sequence: u64,
    id: Uuid,
    student: usize,
    item: usize,
    class: usize,
    registration: Uuid,
    success: bool,
    response: char,
    duration_seconds: u32,
}

/// Produces statements of the classes in session at a given time, continuing each student's
/// practice from where the simulated days left it.
#[derive(Debug, Clone)]
pub struct LiveSimulator {
    school: SyntheticSchool,
    rng: ChaCha8Rng,
    period_seconds: i64,
    last_slot: Option<i64>,
    /// Sorted by (due, sequence).
    scheduled: Vec<ScheduledAnswer>,
    sequence: u64,
    exposures: Vec<Vec<u32>>,
}

impl LiveSimulator {
    /// A simulator over `school` whose draws all come from `seed`.
    pub fn new(school: &SyntheticSchool, seed: u64) -> Self {
        LiveSimulator {
            exposures: school
                .students
                .iter()
                .map(|s| s.latent.standards.iter().map(|k| k.exposures).collect())
                .collect(),
            school: school.clone(),
            rng: stream(seed, Purpose::Live, 0),
            period_seconds: i64::from(DEFAULT_PERIOD_SECONDS),
            last_slot: None,
            scheduled: Vec::new(),
            sequence: 0,
        }
    }

    /// Sets how long one live period lasts (at least 60 s; default 300 s).
    pub fn with_period_seconds(mut self, seconds: u32) -> Self {
        self.period_seconds = i64::from(seconds.max(60));
        self
    }

    /// The bell-schedule period (1–7) in session at `now`.
    pub fn period_at(&self, now: DateTime<Utc>) -> u8 {
        (self.slot(now).rem_euclid(PERIODS) + 1) as u8
    }

    /// Answers scheduled but not yet handed out.
    pub fn scheduled(&self) -> usize {
        self.scheduled.len()
    }

    /// Starts the quizzes of periods begun since the last call (at most the current and previous
    /// one: a long pause is not replayed) and returns up to `max` answers due by `now`, oldest first.
    pub fn next_statements(&mut self, now: DateTime<Utc>, max: usize) -> Vec<serde_json::Value> {
        let slot = self.slot(now);
        let first = self.last_slot.map_or(slot, |last| (last + 1).max(slot - 1));
        for s in first..=slot {
            self.start_slot(s);
        }
        self.last_slot = Some(self.last_slot.map_or(slot, |last| last.max(slot)));
        let due = self.scheduled.iter().take(max).take_while(|a| a.due <= now).count();
        let answers: Vec<ScheduledAnswer> = self.scheduled.drain(..due).collect();
        answers.iter().map(|a| self.statement(a).to_value()).collect()
    }

    fn slot(&self, now: DateTime<Utc>) -> i64 {
        now.timestamp().div_euclid(self.period_seconds)
    }

    fn statement(&self, a: &ScheduledAnswer) -> SynthStatement<'_> {
        let item = &self.school.items[a.item];
        SynthStatement {
            id: a.id,
            student: &self.school.students[a.student].person.sourced_id,
            item_id: &item.item_id,
            activity_id: &item.activity_id,
            class_sourced_id: &self.school.classes[a.class].sourced_id,
            registration: a.registration,
            success: a.success,
            response: a.response,
            duration_seconds: a.duration_seconds,
            timestamp: a.due.naive_utc(),
        }
    }

    /// Every class of the slot's period starts a quiz on its current standard or a review.
    fn start_slot(&mut self, slot: i64) {
        let period = (slot.rem_euclid(PERIODS) + 1) as u8;
        let Some(slot_start) = DateTime::from_timestamp(slot * self.period_seconds, 0) else {
            return;
        };
        let school = &self.school;
        let rng = &mut self.rng;
        let days = school.school_days.len();
        for (c, class) in school.classes.iter().enumerate().filter(|(_, class)| class.period == period) {
            let current =
                days.checked_sub(1).and_then(|d| school.plan.quizzes(c, d).next()).map_or(0, |q| q.local_standard);
            let local = if rng.gen_bool(0.4) { rng.gen_range(0..=current) } else { current };
            let standard = &school.standards[school.grade_standards(class.grade).start + local];
            let registration = uuid(rng);
            let opens = rng.gen_range(15..60);
            let rotation = rng.gen_range(0..standard.items.len().max(1));
            for &s in &class.students {
                let latent = &school.students[s].latent;
                if rng.gen::<f64>() < latent.absence_propensity
                    || rng.gen::<f64>() < latent.non_response_propensity.max(MIN_NON_RESPONSE)
                {
                    continue;
                }
                let Some(standard_latent) = latent.standards.get(local) else {
                    continue;
                };
                let mut t = opens + reaction_seconds(rng, latent.pace);
                for i in 0..LIVE_QUIZ_ITEMS.min(standard.items.len()) {
                    let item_index = standard.items.start + (rotation + i) % standard.items.len();
                    let item = &school.items[item_index];
                    let practised = &mut self.exposures[s][local];
                    let ability = latent.measured_ability(local, *practised, school.params.bias);
                    let success = rng.gen::<f64>() < p_correct(ability, item.difficulty);
                    let response = if success { item.correct } else { wrong_choice(rng, item, standard_latent) };
                    let duration_seconds = answer_seconds(rng, latent.pace, success);
                    t += duration_seconds;
                    *practised += 1;
                    self.scheduled.push(ScheduledAnswer {
                        due: slot_start + Duration::seconds(i64::from(t)),
                        sequence: self.sequence,
                        id: uuid(rng),
                        student: s,
                        item: item_index,
                        class: c,
                        registration,
                        success,
                        response,
                        duration_seconds,
                    });
                    self.sequence += 1;
                }
            }
        }
        self.scheduled.sort_by_key(|a| (a.due, a.sequence));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::synth::{generate, SynthParams};

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(seconds, 0).expect("valid test time")
    }

    /// Polls every 5 s for `steps` steps from `start`.
    fn run(sim: &mut LiveSimulator, start: i64, steps: i64) -> Vec<(i64, serde_json::Value)> {
        let mut out = Vec::new();
        for step in 0..steps {
            let now = start + step * 5;
            for v in sim.next_statements(at(now), 1000) {
                out.push((now, v));
            }
        }
        out
    }

    #[test]
    fn classes_in_session_answer_over_the_period_and_some_never_respond() {
        let school = generate(&SynthParams { students: 200, days: 5, ..SynthParams::default() });
        let mut sim = LiveSimulator::new(&school, 9);
        let start = 1_800_000_000 / 300 * 300;
        let period = sim.period_at(at(start));
        // One live period (300 s) of polling.
        let out = run(&mut sim, start, 60);
        assert!(!out.is_empty());
        let classes: BTreeMap<String, &crate::synth::SchoolClass> = school
            .classes
            .iter()
            .map(|c| (format!("https://sis.lantern.example/classes/{}", c.sourced_id), c))
            .collect();
        let mut answered: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut last = String::new();
        for (now, v) in &out {
            let ts = v["timestamp"].as_str().expect("timestamp").to_owned();
            assert!(ts <= at(*now).format("%Y-%m-%dT%H:%M:%SZ").to_string(), "statement from the future");
            assert!(ts >= last, "out of order");
            last = ts;
            let class_iri = v["context"]["contextActivities"]["grouping"][1]["id"].as_str().expect("class");
            let class = classes.get(class_iri).expect("class exists");
            let actor = v["actor"]["account"]["name"].as_str().expect("actor").to_owned();
            assert!(class.students.iter().any(|s| school.students[*s].person.sourced_id == actor));
            answered.entry(class_iri.to_owned()).or_default().insert(actor);
            let item = v["object"]["id"].as_str().expect("item");
            assert!(school.items.iter().any(|i| i.item_id == item));
        }
        let in_session: Vec<_> = classes.values().filter(|c| c.period == period).collect();
        assert_eq!(answered.len(), in_session.len(), "every class of the period runs a quiz");
        for class in in_session {
            let iri = format!("https://sis.lantern.example/classes/{}", class.sourced_id);
            assert!(answered[&iri].len() < class.students.len(), "everyone answered in {}", class.title);
        }
    }

    #[test]
    fn same_seed_same_statements_and_max_is_respected() {
        let school = generate(&SynthParams { students: 120, days: 3, ..SynthParams::default() });
        let start = 1_800_000_000 / 300 * 300;
        let a = run(&mut LiveSimulator::new(&school, 4), start, 120);
        let b = run(&mut LiveSimulator::new(&school, 4), start, 120);
        let c = run(&mut LiveSimulator::new(&school, 5), start, 120);
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut sim = LiveSimulator::new(&school, 4);
        assert!(sim.next_statements(at(start), 3).is_empty(), "nothing is due at the bell");
        let batch = sim.next_statements(at(start + 299), 3);
        assert_eq!(batch.len(), 3);
        assert!(sim.scheduled() > 0);
    }

    #[test]
    fn a_long_pause_is_not_replayed() {
        let school = generate(&SynthParams { students: 300, days: 3, ..SynthParams::default() });
        let mut sim = LiveSimulator::new(&school, 4);
        let start = 1_800_000_000 / 300 * 300;
        sim.next_statements(at(start), 10);
        let resumed = at(start + 86_400 + 30);
        let later = sim.next_statements(resumed, usize::MAX);
        // Quizzes of the first period, and of the periods just before and at the resume time only.
        let periods: BTreeSet<u8> =
            [at(start), at(start + 86_400 - 300), resumed].into_iter().map(|t| sim.period_at(t)).collect();
        let allowed: BTreeSet<String> = school
            .classes
            .iter()
            .filter(|c| periods.contains(&c.period))
            .map(|c| format!("https://sis.lantern.example/classes/{}", c.sourced_id))
            .collect();
        assert!(!later.is_empty());
        for v in &later {
            let class = v["context"]["contextActivities"]["grouping"][1]["id"].as_str().unwrap_or_default();
            assert!(allowed.contains(class), "a quiz of a skipped period was replayed");
        }
    }
}
