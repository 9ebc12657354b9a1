//! Tests of the BKT fit: forward–backward against a hand computation, recovery of known parameters
//! from simulated students, the likelihood never decreasing, bounds, minimum evidence, and the
//! snippet loading as a rules policy.

use lantern_policies::policy_file::PolicySource;
use lantern_policies::rules::{self, BktModel, BktParams};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::*;

const P: BktParams = BktParams { prior: 0.30, learn: 0.15, slip: 0.10, guess: 0.25 };

fn close(a: f64, b: f64, tol: f64) {
    assert!((a - b).abs() < tol, "{a} != {b} (±{tol})");
}

#[test]
fn forward_backward_matches_a_hand_computation_on_three_answers() {
    // Answers right, wrong, right under L0 = 0.3, T = 0.15, S = 0.1, G = 0.25. Without forgetting
    // only four hidden paths are possible (U = does not know, K = knows); each path's probability
    // is its start × transitions × emissions:
    //   U U U: 0.7·0.25 × 0.85·0.75 × 0.85·0.25 = 0.023707031250
    //   U U K: 0.7·0.25 × 0.85·0.75 × 0.15·0.9  = 0.015060937500
    //   U K K: 0.7·0.25 × 0.15·0.1  × 1·0.9     = 0.002362500000
    //   K K K: 0.3·0.9  × 1·0.1     × 1·0.9     = 0.024300000000
    // P(answers) = 0.06543046875; the posteriors are the shares of the paths in each state.
    let total: f64 = 0.065_430_468_75;
    let post = posteriors(&[true, false, true], &P);
    close(post.log_likelihood, total.ln(), 1e-12);
    close(post.log_likelihood, -2.726_767_245_981_264, 1e-12);
    close(post.known[0], 0.0243 / total, 1e-12);
    close(post.known[1], (0.002_362_5 + 0.0243) / total, 1e-12);
    close(post.known[2], (0.015_060_937_5 + 0.002_362_5 + 0.0243) / total, 1e-12);
    close(post.learned[0], 0.002_362_5 / total, 1e-12);
    close(post.learned[1], 0.015_060_937_5 / total, 1e-12);
    // The same total step by step, as the mastery update the indicators use predicts each answer:
    // P(right) = 0.3·0.9 + 0.7·0.25 = 0.445; then P(knows) = 0.27/0.445 + (1 − 0.27/0.445)·0.15, …
    let k2 = 0.27 / 0.445 + (1.0 - 0.27 / 0.445) * 0.15;
    let p2 = k2 * 0.1 + (1.0 - k2) * 0.75;
    let k3 = k2 * 0.1 / p2 + (1.0 - k2 * 0.1 / p2) * 0.15;
    let p3 = k3 * 0.9 + (1.0 - k3) * 0.25;
    close(total, 0.445 * p2 * p3, 1e-12);
}

#[test]
fn long_sequences_do_not_underflow() {
    let answers: Vec<bool> = (0..20_000).map(|i| i % 3 != 0).collect();
    let post = posteriors(&answers, &P);
    assert!(post.log_likelihood.is_finite() && post.log_likelihood < -1000.0, "{}", post.log_likelihood);
    assert!(post.known.iter().all(|k| k.is_finite() && (0.0..=1.0 + 1e-12).contains(k)));
}

/// `students` simulated students with `answers` answers each, drawn from `truth`.
fn simulate(truth: &BktParams, students: usize, answers: usize, seed: u64) -> StandardAnswers {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = StandardAnswers::default();
    let mut seq = Vec::with_capacity(answers);
    for _ in 0..students {
        seq.clear();
        let mut knows = rng.gen::<f64>() < truth.prior;
        for _ in 0..answers {
            let right = if knows { rng.gen::<f64>() >= truth.slip } else { rng.gen::<f64>() < truth.guess };
            seq.push(right);
            knows = knows || rng.gen::<f64>() < truth.learn;
        }
        out.push_student(&seq);
    }
    out
}

#[test]
fn em_recovers_known_parameters_from_simulated_students() {
    let truth = BktParams { prior: 0.40, learn: 0.12, slip: 0.08, guess: 0.20 };
    let data = simulate(&truth, 3000, 20, 7);
    // Start from the shipped defaults, not from the truth.
    let fit = fit(&data, &P, &FitOptions::default());
    assert!(fit.converged, "{fit:?}");
    let p = fit.params;
    close(p.prior, truth.prior, 0.03);
    close(p.learn, truth.learn, 0.02);
    close(p.slip, truth.slip, 0.02);
    close(p.guess, truth.guess, 0.02);
    assert!(fit.log_likelihood > fit.log_likelihood_before);
    assert!(fit.at_bound.is_empty());
}

#[test]
fn log_likelihood_never_decreases_across_iterations() {
    for (seed, truth) in [
        (1, BktParams { prior: 0.2, learn: 0.05, slip: 0.15, guess: 0.3 }),
        (2, BktParams { prior: 0.7, learn: 0.3, slip: 0.02, guess: 0.1 }),
        // Data a bounded model explains less well (right 70% of the time without knowing).
        (3, BktParams { prior: 0.1, learn: 0.02, slip: 0.1, guess: 0.7 }),
    ] {
        let data = simulate(&truth, 400, 15, seed);
        let start = BktParams { prior: 0.5, learn: 0.4, slip: 0.3, guess: 0.05 };
        let opts = FitOptions { max_iterations: 60, tolerance_per_answer: 0.0, ..FitOptions::default() };
        let fit = fit(&data, &start, &opts);
        assert_eq!(fit.trace.len(), fit.iterations as usize + 1);
        for w in fit.trace.windows(2) {
            assert!(w[1] >= w[0] - 1e-9 * w[0].abs(), "seed {seed}: {} after {}", w[1], w[0]);
        }
        assert!(fit.params.guess <= 0.45 && fit.params.slip <= 0.45);
    }
}

#[test]
fn parameters_the_data_pushes_past_a_bound_stay_on_it_and_are_reported() {
    // Everyone right every time: the likeliest model knows from the start (prior → 1).
    let mut data = StandardAnswers::default();
    for _ in 0..50 {
        data.push_student(&[true; 12]);
    }
    let opts = FitOptions::default();
    let fit = fit(&data, &P, &opts);
    assert_eq!(fit.params.prior, opts.bounds.max);
    assert!(fit.at_bound.contains(&"prior"), "{fit:?}");
    assert!(fit.params.slip >= opts.bounds.min && fit.params.guess <= opts.bounds.guess_max, "{fit:?}");
    let b = FitBounds::default();
    assert_eq!(
        b.at_upper_bound(&BktParams { prior: 0.5, learn: 0.999, slip: 0.45, guess: 0.2 }),
        vec!["learn", "slip"]
    );
    assert_eq!(
        b.clamp(&BktParams { prior: 0.0, learn: 1.0, slip: 0.6, guess: 0.9 }),
        BktParams { prior: 0.001, learn: 0.999, slip: 0.45, guess: 0.45 }
    );
}

#[test]
fn standards_with_too_little_evidence_keep_the_policy_values() {
    let mut answers = AnswersByStandard::new();
    answers.insert("CCSS.BIG".into(), simulate(&P, 100, 10, 4));
    // 30 answers from 3 students: below both minimums.
    answers.insert("CCSS.SMALL".into(), simulate(&P, 3, 10, 5));
    // Enough students but too few answers: 25 students × 4 answers = 100 < 200.
    answers.insert("CCSS.SHORT".into(), simulate(&P, 25, 4, 6));
    let own = BktParams { prior: 0.5, ..P };
    let model = BktModel { defaults: P, standards: [(code("CCSS.SMALL"), own)].into_iter().collect() };
    let fits = fit_standards(&answers, &model, &FitOptions::default());
    let by = |s: &str| fits.iter().find(|f| f.standard == s).unwrap_or_else(|| panic!("{s} missing"));
    assert!(matches!(by("CCSS.BIG").outcome, FitOutcome::Fitted(_)));
    assert_eq!(by("CCSS.SMALL").outcome, FitOutcome::TooLittleEvidence);
    assert_eq!(by("CCSS.SMALL").policy, own, "a standard's own policy values are the ones kept");
    assert_eq!((by("CCSS.SMALL").students, by("CCSS.SMALL").answers), (3, 30));
    assert_eq!(by("CCSS.SHORT").outcome, FitOutcome::TooLittleEvidence);
    let opts = FitOptions::default();
    let text = table(&fits, &opts);
    assert!(text.lines().any(|l| l.starts_with("CCSS.SMALL") && l.contains("too little evidence")), "{text}");
    let snippet = policy_snippet(&fits, &opts, "test");
    assert!(snippet.contains("[bkt.standards.\"CCSS.BIG\"]"), "{snippet}");
    assert!(!snippet.contains("[bkt.standards.\"CCSS.SMALL\"]"), "{snippet}");
    assert!(snippet.contains("#   CCSS.SMALL (3 students, 30 answers)"), "{snippet}");
}

fn code(s: &str) -> rules::StandardCode {
    rules::StandardCode::parse(s).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_snippet_is_a_valid_part_of_the_rules_policy() {
    let truth = BktParams { prior: 0.35, learn: 0.1, slip: 0.12, guess: 0.22 };
    let mut answers = AnswersByStandard::new();
    answers.insert("CCSS.MATH.CONTENT.6.RP.A.1".into(), simulate(&truth, 300, 12, 8));
    // A code needing TOML escapes (standard codes may hold anything but whitespace).
    answers.insert("odd\"code\\".into(), simulate(&truth, 300, 12, 9));
    let opts = FitOptions::default();
    let fits = fit_standards(&answers, &BktModel::from(P), &opts);
    let snippet = policy_snippet(&fits, &opts, "from 7,200 answers");
    // Appended to the shipped policy, it loads: the overrides are in force for those standards.
    let text = format!("{}\n{snippet}", rules::default_source().text);
    let policy = match rules::load(&PolicySource { name: "rules.toml".into(), text: text.clone() }) {
        Ok(p) => p,
        Err(d) => panic!("{d:?}\n{snippet}"),
    };
    assert_eq!(policy.bkt_standards.len(), 2);
    for fit in &fits {
        let FitOutcome::Fitted(f) = &fit.outcome else { panic!("not fitted: {fits:?}") };
        let got = policy.bkt_for(&fit.standard);
        close(got.prior, f.params.prior, 5e-5);
        close(got.learn, f.params.learn, 5e-5);
        close(got.slip, f.params.slip, 5e-5);
        close(got.guess, f.params.guess, 5e-5);
    }
}
