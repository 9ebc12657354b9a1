//! Bayesian knowledge tracing (Corbett & Anderson 1995): the per-answer update of the probability
//! that a student knows a standard, and the uncertainty band shown around it.

use lantern_policies::rules::BktParams;

/// The BKT state of one student on one standard.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mastery {
    /// P(L_n): probability the student knows the standard after n answers.
    pub p_known: f64,
    /// n: scored answers on the standard.
    pub evidence: u32,
    /// Of them, correct.
    pub correct: u32,
}

impl Mastery {
    /// Before any answer: the prior P(L0).
    pub fn prior(params: &BktParams) -> Mastery {
        Mastery { p_known: params.prior, evidence: 0, correct: 0 }
    }

    /// One answer: condition on it (Bayes), then allow for learning at this opportunity:
    /// P(L|right) = P(L)(1-S) / (P(L)(1-S) + (1-P(L))G), P(L|wrong) = P(L)S / (P(L)S + (1-P(L))(1-G)),
    /// P(L_next) = P(L|obs) + (1 - P(L|obs)) T.
    pub fn update(self, params: &BktParams, correct: bool) -> Mastery {
        let p = self.p_known;
        let (known, unknown) = if correct {
            (p * (1.0 - params.slip), (1.0 - p) * params.guess)
        } else {
            (p * params.slip, (1.0 - p) * (1.0 - params.guess))
        };
        let total = known + unknown;
        // total is 0 only with degenerate parameters (e.g. slip = 0 and a wrong answer from p = 1);
        // the policy check keeps guess + slip < 1, and then the evidence leaves p unchanged.
        let posterior = if total > 0.0 { known / total } else { p };
        // Kept off 0 and 1: in floating point a long streak would otherwise reach exactly 1.0, an
        // absorbing state that no later wrong answer could move.
        let next = (posterior + (1.0 - posterior) * params.learn).clamp(P_MIN, P_MAX);
        Mastery { p_known: next, evidence: self.evidence + 1, correct: self.correct + u32::from(correct) }
    }

    /// The uncertainty band: a 90% Wilson score interval around `p_known` with the evidence count
    /// as the sample size (see docs/INDICATORS.md). With no evidence the band is 0..1.
    pub fn band(&self) -> (f64, f64) {
        wilson(self.p_known, self.evidence)
    }
}

/// Bounds of P(L_n).
pub const P_MIN: f64 = 1e-4;
pub const P_MAX: f64 = 1.0 - 1e-4;

/// z for a two-sided 90% interval.
const Z90: f64 = 1.644_853_626_951_472_2;

/// Wilson score interval for a share `p` seen over `n` trials.
pub fn wilson(p: f64, n: u32) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n = f64::from(n);
    let z2 = Z90 * Z90;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z90 / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).max(0.0).sqrt();
    ((centre - half).clamp(0.0, 1.0), (centre + half).clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: BktParams = BktParams { prior: 0.30, learn: 0.15, slip: 0.10, guess: 0.25 };

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-9, "{a} != {b}");
    }

    #[test]
    fn known_answers_by_hand() {
        // Right: 0.3*0.9 = 0.27; 0.7*0.25 = 0.175; posterior 0.27/0.445 = 0.606741573...;
        // learn: 0.606741573 + 0.393258427*0.15 = 0.665730337.
        let m = Mastery::prior(&P).update(&P, true);
        close(m.p_known, 0.27 / 0.445 + (1.0 - 0.27 / 0.445) * 0.15);
        close(m.p_known, 0.665_730_337_078_651_7);
        assert_eq!((m.evidence, m.correct), (1, 1));
        // Then wrong: p=0.665730337; known 0.0665730337, unknown 0.334269663*0.75 = 0.250702247;
        // posterior = 0.0665730337/0.3172752807 = 0.209827; + (1-0.209827)*0.15 = 0.328353.
        let m2 = m.update(&P, false);
        let p = 0.665_730_337_078_651_7_f64;
        let post = p * 0.1 / (p * 0.1 + (1.0 - p) * 0.75);
        close(m2.p_known, post + (1.0 - post) * 0.15);
        assert!((m2.p_known - 0.328_353).abs() < 1e-6, "{}", m2.p_known);
        assert_eq!((m2.evidence, m2.correct), (2, 1));
    }

    #[test]
    fn mastery_rises_with_right_answers_and_stays_a_probability() {
        let mut m = Mastery::prior(&P);
        let mut last = m.p_known;
        for _ in 0..30 {
            m = m.update(&P, true);
            assert!(m.p_known >= last && m.p_known <= 1.0);
            last = m.p_known;
        }
        assert!(m.p_known > 0.99);
        for _ in 0..30 {
            m = m.update(&P, false);
            assert!((0.0..=1.0).contains(&m.p_known));
        }
        // Wrong answers pull it down to the floor the learning rate allows.
        assert!(m.p_known < 0.3, "{}", m.p_known);
    }

    #[test]
    fn band_narrows_with_evidence() {
        assert_eq!(wilson(0.5, 0), (0.0, 1.0));
        // Hand-computed: p = 0.5, n = 10, z = 1.6449: denom = 1.27055, centre 0.5,
        // half = 1.6449/1.27055 * sqrt(0.025 + 0.0067638) = 0.23078.
        let (lo, hi) = wilson(0.5, 10);
        assert!((lo - 0.26922).abs() < 1e-4 && (hi - 0.73078).abs() < 1e-4, "{lo} {hi}");
        let (lo2, hi2) = wilson(0.5, 100);
        assert!(hi2 - lo2 < hi - lo);
        let (lo3, hi3) = wilson(1.0, 3);
        assert!(lo3 > 0.0 && hi3 == 1.0);
    }

    #[test]
    fn degenerate_parameters_do_not_divide_by_zero() {
        let p = BktParams { prior: 1.0, learn: 0.0, slip: 0.0, guess: 0.0 };
        let m = Mastery::prior(&p).update(&p, false);
        assert!(m.p_known.is_finite());
    }
}
