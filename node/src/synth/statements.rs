//! The xAPI statements of the simulated days as a stream: each day's quizzes are played out (who is
//! there, who answers, right or wrong, which distractor, how long), sorted by time and handed out
//! one by one, so only one day is ever in memory.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use rand::Rng;
use uuid::Uuid;

use super::latent::{answer_seconds, p_correct, reaction_seconds, wrong_choice};
use super::model::SyntheticSchool;
use super::progress::{attends_quiz, period_start};
use super::rng::{stream, uuid, Purpose};

/// One "answered" statement; borrowed strings point into the school. See docs/DATA.md for its JSON.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthStatement<'a> {
    pub id: Uuid,
    /// The student's sourcedId (account name under [`super::SIS_HOME_PAGE`]).
    pub student: &'a str,
    pub item_id: &'a str,
    /// The quiz the item belongs to.
    pub activity_id: &'a str,
    pub class_sourced_id: &'a str,
    /// One per live class quiz session.
    pub registration: Uuid,
    pub success: bool,
    /// The choice picked (`a`–`d`).
    pub response: char,
    pub duration_seconds: u32,
    /// UTC, whole seconds.
    pub timestamp: NaiveDateTime,
}

/// A statement of the day being generated, before its id is drawn.
struct Pending<'a> {
    seconds: u32,
    sequence: u32,
    statement: SynthStatement<'a>,
}

/// Iterator over every statement of the simulated days, in time order.
pub struct StatementStream<'a> {
    school: &'a SyntheticSchool,
    next_day: usize,
    day: Vec<Pending<'a>>,
    cursor: usize,
    /// Items practised so far, per student and standard of their grade.
    exposures: Vec<Vec<u32>>,
}

impl SyntheticSchool {
    /// Streams the statements of all simulated days, in time order (ties in generation order).
    pub fn statements(&self) -> StatementStream<'_> {
        StatementStream {
            school: self,
            next_day: 0,
            day: Vec::new(),
            cursor: 0,
            exposures: self.students.iter().map(|s| vec![0; s.latent.standards.len()]).collect(),
        }
    }
}

impl<'a> StatementStream<'a> {
    /// Practice counts reached so far (after the stream ends: those of the latent state).
    pub fn exposures(&self) -> &[Vec<u32>] {
        &self.exposures
    }

    fn generate_day(&mut self, d: usize) {
        let school = self.school;
        let date: NaiveDate = school.school_days[d];
        let midnight = date.and_time(NaiveTime::MIN);
        let bias = school.params.bias;
        let mut rng = stream(school.params.seed, Purpose::Statements, d as u64);
        self.day.clear();
        self.cursor = 0;
        let mut sequence = 0u32;
        for (c, class) in school.classes.iter().enumerate() {
            let lesson = period_start(class.period);
            // When each student of the class is free to start the next quiz.
            let mut free_at: Vec<u32> = vec![0; class.students.len()];
            for quiz in school.plan.quizzes(c, d) {
                let registration = uuid(&mut rng);
                let standard_index = school.grade_standards(class.grade).start + quiz.local_standard;
                let standard = &school.standards[standard_index];
                let opens = lesson + quiz.start_offset;
                for (seat, &s) in class.students.iter().enumerate() {
                    if !attends_quiz(school.attendance(s, d), quiz.number) {
                        continue;
                    }
                    let student = &school.students[s];
                    let latent = &student.latent;
                    let practised = &mut self.exposures[s][quiz.local_standard];
                    if rng.gen::<f64>() < latent.non_response_propensity {
                        *practised += quiz.items;
                        continue;
                    }
                    let standard_latent = &latent.standards[quiz.local_standard];
                    let mut t = opens.max(free_at[seat]) + reaction_seconds(&mut rng, latent.pace);
                    for i in 0..quiz.items as usize {
                        let offset = (quiz.rotation + i) % standard.items.len();
                        let item = &school.items[standard.items.start + offset];
                        let ability = latent.measured_ability(quiz.local_standard, *practised, bias);
                        let success = rng.gen::<f64>() < p_correct(ability, item.difficulty);
                        let response =
                            if success { item.correct } else { wrong_choice(&mut rng, item, standard_latent) };
                        let duration_seconds = answer_seconds(&mut rng, latent.pace, success);
                        t += duration_seconds;
                        *practised += 1;
                        self.day.push(Pending {
                            seconds: t,
                            sequence,
                            statement: SynthStatement {
                                id: Uuid::nil(),
                                student: &student.person.sourced_id,
                                item_id: &item.item_id,
                                activity_id: &item.activity_id,
                                class_sourced_id: &class.sourced_id,
                                registration,
                                success,
                                response,
                                duration_seconds,
                                timestamp: midnight,
                            },
                        });
                        sequence += 1;
                    }
                    free_at[seat] = t;
                }
            }
        }
        self.day.sort_unstable_by_key(|p| (p.seconds, p.sequence));
        let mut ids = stream(school.params.seed, Purpose::StatementIds, d as u64);
        for pending in &mut self.day {
            pending.statement.id = uuid(&mut ids);
            pending.statement.timestamp = midnight + chrono::Duration::seconds(i64::from(pending.seconds));
        }
    }
}

impl<'a> Iterator for StatementStream<'a> {
    type Item = SynthStatement<'a>;

    fn next(&mut self) -> Option<SynthStatement<'a>> {
        while self.cursor >= self.day.len() {
            if self.next_day >= self.school.school_days.len() {
                return None;
            }
            let d = self.next_day;
            self.next_day += 1;
            self.generate_day(d);
        }
        let statement = self.day[self.cursor].statement;
        self.cursor += 1;
        Some(statement)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use crate::synth::{generate, SynthParams};

    fn small() -> SynthParams {
        SynthParams { students: 90, days: 12, ..SynthParams::default() }
    }

    #[test]
    fn statements_reference_the_roster_and_items() {
        let school = generate(&small());
        let students: BTreeMap<&str, usize> =
            school.students.iter().enumerate().map(|(i, s)| (s.person.sourced_id.as_str(), i)).collect();
        let items: BTreeSet<&str> = school.items.iter().map(|i| i.item_id.as_str()).collect();
        let mut count = 0;
        for st in school.statements() {
            let s = *students.get(st.student).expect("actor is a rostered student");
            assert!(items.contains(st.item_id));
            let class = &school.classes[school.students[s].class];
            assert_eq!(st.class_sourced_id, class.sourced_id, "statement in a class the student is not in");
            let item = school.items.iter().find(|i| i.item_id == st.item_id).expect("item exists");
            assert_eq!(st.activity_id, item.activity_id);
            assert_eq!(st.success, st.response == item.correct);
            let day = school.school_days.iter().position(|d| *d == st.timestamp.date()).expect("a school day");
            assert!(!school.attendance(s, day).is_absence(), "absent student answered");
            count += 1;
        }
        assert!(count > 10_000, "only {count} statements");
    }

    #[test]
    fn statements_are_in_time_order_with_unique_ids() {
        let school = generate(&small());
        let all: Vec<_> = school.statements().collect();
        assert!(all.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
        let ids: BTreeSet<_> = all.iter().map(|s| s.id).collect();
        assert_eq!(ids.len(), all.len());
    }

    #[test]
    fn volume_matches_items_per_day() {
        let school = generate(&small());
        let n = school.statements().count() as f64;
        let student_days = (90 * 12) as f64;
        let per_day = n / student_days;
        // 30 asked; absences, tardies and non-response take ~7–10% off.
        assert!((25.0..29.5).contains(&per_day), "{per_day} answered items per student-day");
    }

    #[test]
    fn stream_replays_the_practice_of_the_latent_state() {
        let school = generate(&small());
        let mut stream = school.statements();
        for _ in stream.by_ref() {}
        for (s, student) in school.students.iter().enumerate() {
            let expected: Vec<u32> = student.latent.standards.iter().map(|k| k.exposures).collect();
            assert_eq!(stream.exposures()[s], expected);
        }
    }

    #[test]
    fn accuracy_rises_over_the_days() {
        let school = generate(&SynthParams { students: 120, days: 40, ..SynthParams::default() });
        let mut by_standard_first: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
        let mut late = (0u32, 0u32);
        let mut early = (0u32, 0u32);
        for st in school.statements() {
            // Compare the first and later practice of the same quiz standard.
            let entry = by_standard_first.entry(st.activity_id).or_default();
            let bucket = if entry.0 < 150 { &mut early } else { &mut late };
            entry.0 += 1;
            bucket.0 += 1;
            bucket.1 += u32::from(st.success);
        }
        let early_rate = f64::from(early.1) / f64::from(early.0);
        let late_rate = f64::from(late.1) / f64::from(late.0);
        assert!(late_rate > early_rate + 0.05, "early {early_rate} late {late_rate}");
    }

    #[test]
    fn bias_lowers_measured_accuracy_of_one_subgroup_but_not_its_outcomes() {
        let fair_params = SynthParams { students: 400, days: 20, ..SynthParams::default() };
        let fair = generate(&fair_params);
        let biased = generate(&SynthParams { bias: 0.8, ..fair_params });
        let gap = |school: &crate::synth::SyntheticSchool| {
            let hispanic: BTreeMap<&str, bool> = school
                .students
                .iter()
                .map(|s| (s.person.sourced_id.as_str(), s.demographics.hispanic_or_latino))
                .collect();
            let mut tally = [[0u32; 2]; 2];
            for st in school.statements() {
                let group = usize::from(hispanic[st.student]);
                tally[group][0] += 1;
                tally[group][1] += u32::from(st.success);
            }
            let rate = |t: [u32; 2]| f64::from(t[1]) / f64::from(t[0]);
            rate(tally[0]) - rate(tally[1])
        };
        let (fair_gap, biased_gap) = (gap(&fair), gap(&biased));
        // Without bias the groups differ only by sampling (~110 Hispanic/Latino students here).
        assert!(fair_gap.abs() < 0.08, "no bias by default, gap {fair_gap}");
        assert!(biased_gap - fair_gap > 0.06, "bias 0.8 widened the gap only to {biased_gap}");
        assert_eq!(fair.outcomes, biased.outcomes, "outcomes follow true ability, not the biased items");
    }
}
