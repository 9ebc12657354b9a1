//! The latent model: per-student traits and per-standard abilities, ability growth with practice,
//! P(correct) by a logistic model with guessing, misconception-driven wrong answers, answer times.
//! docs/DATA.md ("Latent model") states the same formulas; keep them in step.

use std::ops::Range;

use rand::Rng;

use super::model::{Item, Standard, StandardLatent, StudentLatent};
use super::rng::{normal, pick, stream, Purpose};

/// Logits gained on a standard after much practice, for a learning rate of 1.
pub(crate) const GROWTH: f64 = 2.0;
/// Items of practice that bring 63% of the growth.
pub(crate) const PRACTICE_SCALE: f64 = 24.0;
/// Chance of guessing a four-choice item right.
pub(crate) const GUESS: f64 = 0.2;
/// Mean ability on a standard before it is taught, relative to general ability.
const UNTAUGHT_OFFSET: f64 = -0.8;
/// Share of students drawn from the chronically absent profile.
const CHRONIC_PROFILE_SHARE: f64 = 0.11;

/// Draws the latent traits of the `student`-th student; `grade_standards` are the indices of their
/// grade's standards. Demographics are not an input: traits do not depend on subgroup.
pub(crate) fn draw(
    seed: u64,
    student: usize,
    under_measured: bool,
    standards: &[Standard],
    grade_standards: Range<usize>,
) -> StudentLatent {
    let mut rng = stream(seed, Purpose::Latent, student as u64);
    let general_ability = normal(&mut rng);
    let learning_rate = (0.35 * normal(&mut rng)).exp();
    let absence_propensity = if rng.gen_bool(CHRONIC_PROFILE_SHARE) {
        rng.gen_range(0.10..0.30)
    } else {
        0.065 * rng.gen::<f64>().powf(1.8)
    };
    let excused_share = rng.gen_range(0.2..0.7);
    let tardy_propensity = if rng.gen_bool(0.7) { rng.gen_range(0.0..0.03) } else { rng.gen_range(0.03..0.12) };
    let non_response_propensity = rng.gen_range(0.0..0.06);
    let pace = (0.3 * normal(&mut rng)).exp();
    let standards = grade_standards
        .map(|k| StandardLatent {
            standard: k,
            base_ability: general_ability + UNTAUGHT_OFFSET + 0.6 * normal(&mut rng),
            favorite_misconception: pick(&mut rng, &standards[k].misconceptions),
            misconception_strength: rng.gen_range(0.35..0.85),
            exposures: 0,
        })
        .collect();
    StudentLatent {
        general_ability,
        learning_rate,
        absence_propensity,
        excused_share,
        tardy_propensity,
        non_response_propensity,
        pace,
        under_measured,
        standards,
    }
}

impl StudentLatent {
    /// True ability in logits on the `local`-th standard of the grade after `exposures` items of
    /// practice: base + rate × GROWTH × (1 − e^(−exposures / PRACTICE_SCALE)).
    pub fn true_ability(&self, local: usize, exposures: u32) -> f64 {
        let base = self.standards.get(local).map_or(0.0, |s| s.base_ability);
        let practice = 1.0 - (-f64::from(exposures) / PRACTICE_SCALE).exp();
        base + self.learning_rate * GROWTH * practice
    }

    /// The ability items see: the true ability, less `bias` for the under-measured subgroup.
    pub fn measured_ability(&self, local: usize, exposures: u32, bias: f64) -> f64 {
        let shift = if self.under_measured { bias } else { 0.0 };
        self.true_ability(local, exposures) - shift
    }

    /// Mean true ability over the grade's standards at the given practice counts.
    pub fn mean_true_ability(&self, exposures: &[u32]) -> f64 {
        let n = self.standards.len().max(1) as f64;
        (0..self.standards.len()).map(|k| self.true_ability(k, exposures.get(k).copied().unwrap_or(0))).sum::<f64>() / n
    }
}

/// P(correct) = GUESS + (1 − GUESS) · logistic(ability − difficulty).
pub(crate) fn p_correct(measured_ability: f64, difficulty: f64) -> f64 {
    GUESS + (1.0 - GUESS) / (1.0 + (difficulty - measured_ability).exp())
}

/// The choice a student picks when wrong: the distractor of their favourite misconception with
/// probability `misconception_strength` when the item offers it, otherwise any distractor.
pub(crate) fn wrong_choice(rng: &mut impl Rng, item: &Item, latent: &StandardLatent) -> char {
    let favourite = item.distractors.iter().find(|d| d.misconception == latent.favorite_misconception);
    match favourite {
        Some(d) if rng.gen::<f64>() < latent.misconception_strength => d.choice,
        _ => pick(rng, &item.distractors).choice,
    }
}

/// Seconds spent on one item: 12–52 s skewed short, scaled by pace, longer when wrong.
pub(crate) fn answer_seconds(rng: &mut impl Rng, pace: f64, success: bool) -> u32 {
    let u: f64 = rng.gen();
    let wrong_factor = if success { 1.0 } else { 1.2 };
    (pace * (12.0 + 40.0 * u * u) * wrong_factor).round().clamp(3.0, 300.0) as u32
}

/// Seconds between the quiz starting and the student opening it.
pub(crate) fn reaction_seconds(rng: &mut impl Rng, pace: f64) -> u32 {
    (pace * rng.gen_range(4.0..30.0)).round().clamp(1.0, 120.0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::items::build_bank;

    #[test]
    fn ability_grows_with_practice_and_saturates() {
        let (standards, _) = build_bank(1);
        let latent = draw(1, 0, false, &standards, 0..30);
        let a0 = latent.true_ability(0, 0);
        let a24 = latent.true_ability(0, 24);
        let a1000 = latent.true_ability(0, 1000);
        assert!(a0 < a24 && a24 < a1000);
        let full = latent.learning_rate * GROWTH;
        assert!((a1000 - a0 - full).abs() < 1e-9);
        assert!((a24 - a0 - full * (1.0 - (-1.0f64).exp())).abs() < 1e-9);
    }

    #[test]
    fn p_correct_is_bounded_by_guessing_and_one() {
        assert!((p_correct(-50.0, 0.0) - GUESS).abs() < 1e-9);
        assert!((p_correct(50.0, 0.0) - 1.0).abs() < 1e-9);
        assert!((p_correct(0.0, 0.0) - 0.6).abs() < 1e-9);
    }

    #[test]
    fn bias_lowers_only_the_under_measured_subgroup() {
        let (standards, _) = build_bank(1);
        let mut latent = draw(1, 0, false, &standards, 0..30);
        assert_eq!(latent.measured_ability(2, 10, 0.8), latent.true_ability(2, 10));
        latent.under_measured = true;
        assert!((latent.true_ability(2, 10) - latent.measured_ability(2, 10, 0.8) - 0.8).abs() < 1e-9);
    }

    #[test]
    fn wrong_answers_lean_to_the_favourite_misconception() {
        let (standards, items) = build_bank(1);
        let latent = draw(1, 0, false, &standards, 0..30);
        let standard = &latent.standards[0];
        let item = items[standards[0].items.clone()]
            .iter()
            .find(|i| i.distractors.iter().any(|d| d.misconception == standard.favorite_misconception))
            .expect("three of four misconceptions appear on each item, so one of six items has it");
        let favourite = item.distractors.iter().find(|d| d.misconception == standard.favorite_misconception);
        let favourite = favourite.map(|d| d.choice).unwrap_or('?');
        let mut rng = stream(1, Purpose::Statements, 0);
        let hits = (0..3000).filter(|_| wrong_choice(&mut rng, item, standard) == favourite).count();
        let expected = 3000.0 * (standard.misconception_strength + (1.0 - standard.misconception_strength) / 3.0);
        assert!((hits as f64 - expected).abs() < 150.0, "{hits} vs {expected}");
        assert_ne!(favourite, item.correct);
    }
}
