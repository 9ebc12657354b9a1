//! The teaching plan and its effects: which standard each quiz of each class covers each day
//! (a pacing guide plus spiral review), the practice each student gets from it, and the later
//! outcomes (end-of-term and state assessments) drawn from the resulting true ability.

use rand::Rng;

use super::calendar::SchoolCalendar;
use super::model::{AttendanceStatus, Outcome, SchoolClass, Standard, SyntheticSchool};
use super::rng::{normal, stream, Purpose};
use super::standards::ITEMS_PER_STANDARD;
use super::SynthParams;

/// Period 1 starts at 08:00 (timestamps are written as UTC: the school keeps UTC wall time).
const FIRST_PERIOD_START: u32 = 8 * 3600;
/// Bell-to-bell period length including passing time.
const PERIOD_SECONDS: u32 = 55 * 60;
/// Quizzes start 5 minutes into the lesson and are spread over the next 45 minutes.
const QUIZ_WINDOW_START: u32 = 5 * 60;
const QUIZ_WINDOW: u32 = 45 * 60;
/// The first two quizzes of a day practise the standard being taught; later ones review.
const QUIZZES_ON_CURRENT: usize = 2;

/// Ability (logits) scored 50: the assessments cover grade-level work the quizzes only practise.
const SCORE_CENTER: f64 = 0.4;

/// The assessments of outcomes.csv: name and the school day (index in the year) they are taken on.
const ASSESSMENTS: [&str; 2] = ["end-of-term-1-math", "state-math"];

/// Seconds after midnight at which a period starts.
pub(crate) fn period_start(period: u8) -> u32 {
    FIRST_PERIOD_START + u32::from(period.saturating_sub(1)) * PERIOD_SECONDS
}

/// Whether a student with this day's mark sits the `number`-th quiz (tardy students miss the first).
pub(crate) fn attends_quiz(status: AttendanceStatus, number: usize) -> bool {
    match status {
        AttendanceStatus::Present => true,
        AttendanceStatus::Tardy => number > 0,
        AttendanceStatus::Absent | AttendanceStatus::Excused => false,
    }
}

/// One quiz a class takes on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quiz {
    pub(crate) number: usize,
    /// Index among the grade's standards.
    pub(crate) local_standard: usize,
    /// Items asked (the standard's items from `rotation` on, wrapping).
    pub(crate) items: u32,
    pub(crate) rotation: usize,
    /// Seconds after the period starts.
    pub(crate) start_offset: u32,
}

/// Which standard every quiz of every class covers on every simulated day.
#[derive(Debug, Clone)]
pub(crate) struct QuizPlan {
    items_per_day: u32,
    quizzes_per_day: usize,
    days: usize,
    /// `[(class * days + day) * quizzes_per_day + quiz]`: index among the grade's standards.
    standards: Vec<u16>,
}

impl QuizPlan {
    pub(crate) fn new(params: &SynthParams, classes: &[SchoolClass], standards: &[Standard], days: usize) -> Self {
        let quizzes_per_day = (params.items_per_day as usize).div_ceil(ITEMS_PER_STANDARD);
        let mut plan = Vec::with_capacity(classes.len() * days * quizzes_per_day);
        for (c, class) in classes.iter().enumerate() {
            let mut rng = stream(params.seed, Purpose::Plan, c as u64);
            let taught = standards.iter().filter(|s| s.grade == class.grade).count().max(1);
            for day in 0..days {
                // Pacing: the grade's standards are taught in order across the simulated days.
                let current = (day * taught / days).min(taught - 1);
                for quiz in 0..quizzes_per_day {
                    let local = if quiz < QUIZZES_ON_CURRENT { current } else { rng.gen_range(0..=current) };
                    plan.push(local as u16);
                }
            }
        }
        QuizPlan { items_per_day: params.items_per_day, quizzes_per_day, days, standards: plan }
    }

    /// The quizzes `class` takes on the `day`-th simulated day, in order.
    pub(crate) fn quizzes(&self, class: usize, day: usize) -> impl Iterator<Item = Quiz> + '_ {
        let base = (class * self.days + day) * self.quizzes_per_day;
        let spacing = QUIZ_WINDOW / self.quizzes_per_day.max(1) as u32;
        (0..self.quizzes_per_day).map(move |number| {
            let asked = self.items_per_day - (number * ITEMS_PER_STANDARD) as u32;
            Quiz {
                number,
                local_standard: usize::from(self.standards[base + number]),
                items: asked.min(ITEMS_PER_STANDARD as u32),
                rotation: (day + number) % ITEMS_PER_STANDARD,
                start_offset: QUIZ_WINDOW_START + number as u32 * spacing,
            }
        })
    }
}

/// Counts the practice every student gets (one exposure per item asked while present, answered or
/// not), stores the final counts in the latent state and draws the outcomes.
pub(crate) fn practise_and_assess(school: &mut SyntheticSchool, calendar: &SchoolCalendar) {
    let days = school.school_days.len();
    let mut exposures: Vec<Vec<u32>> = school.students.iter().map(|s| vec![0; s.latent.standards.len()]).collect();
    let [term_one, term_two] = calendar.terms();
    let taken_on = [term_one.1, term_two.1];
    let snapshot_days: Vec<Option<usize>> =
        taken_on.iter().map(|date| calendar.simulated_index_at(calendar.index_of(*date))).collect();
    let mut snapshots: Vec<Vec<Vec<u32>>> = vec![exposures.clone(); ASSESSMENTS.len()];
    for day in 0..days {
        for (c, class) in school.classes.iter().enumerate() {
            for quiz in school.plan.quizzes(c, day) {
                for &s in &class.students {
                    if attends_quiz(school.attendance(s, day), quiz.number) {
                        exposures[s][quiz.local_standard] += quiz.items;
                    }
                }
            }
        }
        for (a, snapshot_day) in snapshot_days.iter().enumerate() {
            if *snapshot_day == Some(day) {
                snapshots[a] = exposures.clone();
            }
        }
    }
    for (student, practised) in school.students.iter_mut().zip(&exposures) {
        for (standard, n) in student.latent.standards.iter_mut().zip(practised) {
            standard.exposures = *n;
        }
    }
    let mut outcomes = Vec::with_capacity(ASSESSMENTS.len() * school.students.len());
    for (a, assessment) in ASSESSMENTS.into_iter().enumerate() {
        let mut rng = stream(school.params.seed, Purpose::Outcomes, a as u64);
        for (s, student) in school.students.iter().enumerate() {
            let ability = student.latent.mean_true_ability(&snapshots[a][s]) + 0.35 * normal(&mut rng) - SCORE_CENTER;
            let score = (1000.0 / (1.0 + (-ability).exp())).round() / 10.0;
            outcomes.push(Outcome {
                student: s,
                assessment,
                date: taken_on[a],
                score,
                proficiency_level: proficiency_level(score),
            });
        }
    }
    school.outcomes = outcomes;
}

/// Cut scores: below 35 below basic, below 55 approaching, below 75 proficient, else advanced.
fn proficiency_level(score: f64) -> u8 {
    match score {
        s if s < 35.0 => 1,
        s if s < 55.0 => 2,
        s if s < 75.0 => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{generate, SynthParams};

    #[test]
    fn plan_paces_through_all_standards_with_review() {
        let school = generate(&SynthParams { students: 60, days: 60, ..SynthParams::default() });
        let first: Vec<Quiz> = school.plan.quizzes(0, 0).collect();
        assert_eq!(first.len(), 5);
        assert!(first.iter().all(|q| q.local_standard == 0 && q.items == 6));
        let last: Vec<Quiz> = school.plan.quizzes(0, 59).collect();
        assert_eq!(last[0].local_standard, 29);
        assert!(last.iter().skip(2).any(|q| q.local_standard < 29), "no review on the last day");
        assert!(last.windows(2).all(|w| w[0].start_offset < w[1].start_offset));
    }

    #[test]
    fn short_last_quiz_when_items_do_not_divide() {
        let school = generate(&SynthParams { students: 30, days: 2, items_per_day: 14, ..SynthParams::default() });
        let items: Vec<u32> = school.plan.quizzes(0, 1).map(|q| q.items).collect();
        assert_eq!(items, vec![6, 6, 2]);
    }

    #[test]
    fn outcomes_track_true_ability_and_use_all_levels() {
        let school = generate(&SynthParams { students: 600, days: 60, ..SynthParams::default() });
        assert_eq!(school.outcomes.len(), 1200);
        let mut levels = [0usize; 5];
        for o in &school.outcomes {
            levels[usize::from(o.proficiency_level)] += 1;
            assert!((0.0..=100.0).contains(&o.score));
        }
        for level in 1..=4 {
            assert!(levels[level] > 60, "level {level} rare: {levels:?}");
        }
        // Practice depends on attendance, not ability: students who practised more score higher.
        let mut pairs: Vec<(u32, f64)> = school
            .outcomes
            .iter()
            .filter(|o| o.assessment == "state-math")
            .map(|o| {
                let s = &school.students[o.student];
                (s.latent.standards.iter().map(|k| k.exposures).sum::<u32>(), o.score)
            })
            .collect();
        pairs.sort_by_key(|p| p.0);
        let low: f64 = pairs[..100].iter().map(|p| p.1).sum::<f64>() / 100.0;
        let high: f64 = pairs[500..].iter().map(|p| p.1).sum::<f64>() / 100.0;
        assert!(high > low, "more practice should help: {low} vs {high}");
    }
}
