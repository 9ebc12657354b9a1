//! The arithmetic of BKT's Baum–Welch: a scaled forward–backward pass over one student's answers
//! (the two-state hidden Markov model "knows / does not know", no forgetting), the expected
//! counts it yields, and the M-step that turns counts into parameters within bounds.
//!
//! Scaling (Rabiner 1989): the forward probabilities of each step are normalised to sum to 1 and
//! the normalisers c_t kept, so P(answers) = Π c_t and log-likelihood = Σ ln c_t never underflow,
//! however long the sequence. With two states and normalised α, one number per step suffices:
//! a_t = P(knows at t | answers 1..t).

use lantern_policies::rules::BktParams;

/// The box the fitted parameters stay in. Guess and slip stay below 0.5: above it a model is
/// "degenerate" (a right answer would be likelier from a student who does not know; Baker, Corbett &
/// Aleven 2008), and bounding them is how Corbett & Anderson (1995) kept fits meaningful.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitBounds {
    /// Lower bound of all four (keeps every likelihood positive and learning possible).
    pub min: f64,
    /// Upper bound of prior and learn.
    pub max: f64,
    pub guess_max: f64,
    pub slip_max: f64,
}

impl Default for FitBounds {
    fn default() -> Self {
        FitBounds { min: 0.001, max: 0.999, guess_max: 0.45, slip_max: 0.45 }
    }
}

impl FitBounds {
    /// `p` moved into the box.
    pub fn clamp(&self, p: &BktParams) -> BktParams {
        BktParams {
            prior: p.prior.clamp(self.min, self.max),
            learn: p.learn.clamp(self.min, self.max),
            slip: p.slip.clamp(self.min, self.slip_max),
            guess: p.guess.clamp(self.min, self.guess_max),
        }
    }

    /// Names of the parameters of `p` that sit on an upper bound (reported: the data pushed
    /// against the bound).
    pub fn at_upper_bound(&self, p: &BktParams) -> Vec<&'static str> {
        let mut at = Vec::new();
        for (name, v, max) in [
            ("prior", p.prior, self.max),
            ("learn", p.learn, self.max),
            ("slip", p.slip, self.slip_max),
            ("guess", p.guess, self.guess_max),
        ] {
            if v >= max {
                at.push(name);
            }
        }
        at
    }
}

/// Expected counts of one E-step over many sequences (the sufficient statistics of the M-step).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    /// Σ over sequences of P(knows at the first answer | answers).
    pub known_first: f64,
    pub sequences: f64,
    /// Σ over steps t < last of P(unknown at t, knows at t+1 | answers).
    pub learned: f64,
    /// Σ over steps t < last of P(unknown at t | answers).
    pub unknown_before_last: f64,
    /// Σ over steps of P(unknown at t | answers), and of it on right answers.
    pub unknown: f64,
    pub unknown_right: f64,
    /// Σ over steps of P(knows at t | answers), and of it on wrong answers.
    pub known: f64,
    pub known_wrong: f64,
    /// Σ ln P(sequence).
    pub log_likelihood: f64,
}

/// Per-step posteriors of one sequence (what tests compare with hand-computed values).
#[derive(Debug, Clone, PartialEq)]
pub struct Posteriors {
    /// P(knows at step t | all answers).
    pub known: Vec<f64>,
    /// P(unknown at t, knows at t+1 | all answers), for t < last.
    pub learned: Vec<f64>,
    pub log_likelihood: f64,
}

/// P(answer | knows), P(answer | does not know).
fn emission(p: &BktParams, right: bool) -> (f64, f64) {
    if right {
        (1.0 - p.slip, p.guess)
    } else {
        (p.slip, 1.0 - p.guess)
    }
}

/// Reusable buffers of the forward pass, so an E-step over millions of answers allocates once.
#[derive(Debug, Default)]
pub struct Scratch {
    filtered: Vec<f64>,
    scale: Vec<f64>,
}

/// The forward pass: fills `s.filtered` (a_t) and `s.scale` (c_t); returns Σ ln c_t.
fn forward(answers: &[bool], p: &BktParams, s: &mut Scratch) -> f64 {
    s.filtered.clear();
    s.scale.clear();
    let mut known = p.prior;
    let mut ll = 0.0;
    for &right in answers {
        let (e_known, e_unknown) = emission(p, right);
        let joint = known * e_known;
        let c = joint + (1.0 - known) * e_unknown;
        let a = joint / c;
        s.filtered.push(a);
        s.scale.push(c);
        ll += c.ln();
        // No forgetting: a student who knows keeps knowing; one who does not learns with P(T).
        known = a + (1.0 - a) * p.learn;
    }
    ll
}

/// The backward pass over a sequence whose forward pass is in `s`, calling `step(t, known_t,
/// learned_t)` with P(knows at t | all) and, for t < last, P(unknown at t, knows at t+1 | all).
fn backward(answers: &[bool], p: &BktParams, s: &Scratch, mut step: impl FnMut(usize, f64, Option<f64>)) {
    let n = answers.len();
    // Scaled β at t+1 for both states; β̂_last = 1.
    let (mut b_known, mut b_unknown) = (1.0, 1.0);
    for t in (0..n).rev() {
        let a = s.filtered[t];
        if t + 1 == n {
            step(t, a, None);
            continue;
        }
        let (e_known, e_unknown) = emission(p, answers[t + 1]);
        let c = s.scale[t + 1];
        let to_known = e_known * b_known / c;
        let learned = (1.0 - a) * p.learn * to_known;
        b_unknown = p.learn * to_known + (1.0 - p.learn) * e_unknown * b_unknown / c;
        b_known = to_known;
        step(t, a * b_known, Some(learned));
    }
}

/// The full forward–backward of one sequence.
pub fn posteriors(answers: &[bool], p: &BktParams) -> Posteriors {
    let mut s = Scratch::default();
    let log_likelihood = forward(answers, p, &mut s);
    let mut known = vec![0.0; answers.len()];
    let mut learned = vec![0.0; answers.len().saturating_sub(1)];
    backward(answers, p, &s, |t, k, l| {
        known[t] = k;
        if let Some(l) = l {
            learned[t] = l;
        }
    });
    Posteriors { known, learned, log_likelihood }
}

/// Log-likelihood of one sequence under `p` (the forward pass alone).
pub fn log_likelihood(answers: &[bool], p: &BktParams, s: &mut Scratch) -> f64 {
    forward(answers, p, s)
}

/// Adds one sequence's expected counts under `p` to `counts`.
pub fn accumulate(answers: &[bool], p: &BktParams, s: &mut Scratch, counts: &mut Counts) {
    if answers.is_empty() {
        return;
    }
    counts.log_likelihood += forward(answers, p, s);
    counts.sequences += 1.0;
    backward(answers, p, s, |t, known, learned| {
        let unknown = 1.0 - known;
        if t == 0 {
            counts.known_first += known;
        }
        if let Some(l) = learned {
            counts.learned += l;
            counts.unknown_before_last += unknown;
        }
        counts.known += known;
        counts.unknown += unknown;
        if answers[t] {
            counts.unknown_right += unknown;
        } else {
            counts.known_wrong += known;
        }
    });
}

/// The M-step: each parameter's maximiser of the expected complete-data log-likelihood, clamped
/// into the bounds. Each parameter's term is concave and separate from the others', so the clamped
/// value is the constrained maximiser and the likelihood still never decreases (generalised EM).
/// A parameter with no evidence at all (e.g. learn when every sequence has one answer) is kept.
pub fn maximise(c: &Counts, previous: &BktParams, bounds: &FitBounds) -> BktParams {
    let ratio = |num: f64, den: f64, old: f64| if den > 0.0 { num / den } else { old };
    bounds.clamp(&BktParams {
        prior: ratio(c.known_first, c.sequences, previous.prior),
        learn: ratio(c.learned, c.unknown_before_last, previous.learn),
        slip: ratio(c.known_wrong, c.known, previous.slip),
        guess: ratio(c.unknown_right, c.unknown, previous.guess),
    })
}
