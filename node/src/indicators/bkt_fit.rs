//! Fitting BKT parameters per standard by expectation–maximisation (Baum–Welch), for
//! `lantern node rebuild --fit-bkt`: over each student's answers on the standard in event order
//! (collected by the rebuild's one streaming pass), starting from the policy's parameters. The
//! result is a report and a TOML snippet for a person to review; it never changes the policy in
//! force. Why and how: docs/INDICATORS.md, "Fitting BKT parameters".

mod em;
mod report;

use std::collections::BTreeMap;

use lantern_policies::rules::{BktModel, BktParams};

pub use em::{posteriors, FitBounds, Posteriors};
pub use report::{policy_snippet, table};

/// How to fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitOptions {
    /// A standard answered by fewer students keeps the policy's parameters.
    pub min_students: u32,
    /// A standard with fewer answers keeps the policy's parameters.
    pub min_answers: u64,
    /// EM stops after this many iterations even if not converged (reported).
    pub max_iterations: u32,
    /// EM has converged when an iteration raises the log-likelihood by less than this much per
    /// answer.
    pub tolerance_per_answer: f64,
    pub bounds: FitBounds,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            min_students: 20,
            min_answers: 200,
            max_iterations: 200,
            tolerance_per_answer: 1e-7,
            bounds: FitBounds::default(),
        }
    }
}

/// One standard's answer sequences: each student's scored answers on it, in event order, packed
/// one after another (one byte per answer: 10M answers take 10 MB).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StandardAnswers {
    answers: Vec<bool>,
    /// Where each student's sequence ends in `answers`.
    ends: Vec<usize>,
}

impl StandardAnswers {
    /// Adds one student's sequence (an empty one is skipped).
    pub fn push_student(&mut self, answers: &[bool]) {
        if !answers.is_empty() {
            self.answers.extend_from_slice(answers);
            self.ends.push(self.answers.len());
        }
    }

    pub fn students(&self) -> usize {
        self.ends.len()
    }

    pub fn answers(&self) -> usize {
        self.answers.len()
    }

    /// Each student's sequence.
    pub fn sequences(&self) -> impl Iterator<Item = &[bool]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(self.ends.iter().copied()).map(|(a, b)| &self.answers[a..b])
    }
}

/// Answer sequences by standard code.
pub type AnswersByStandard = BTreeMap<String, StandardAnswers>;

/// An EM run on one standard.
#[derive(Debug, Clone, PartialEq)]
pub struct Fitted {
    pub params: BktParams,
    /// Log-likelihood of the answers under the policy's parameters, and under the fitted ones.
    pub log_likelihood_before: f64,
    pub log_likelihood: f64,
    pub iterations: u32,
    /// False when `max_iterations` stopped EM first.
    pub converged: bool,
    /// Fitted parameters that sit on an upper bound.
    pub at_bound: Vec<&'static str>,
    /// Log-likelihood after each number of M-steps: `trace[i]` under the parameters of step i
    /// (`trace[0]`: the starting point in the bounds); never decreasing.
    pub trace: Vec<f64>,
}

/// What fitting did for one standard.
#[derive(Debug, Clone, PartialEq)]
pub enum FitOutcome {
    Fitted(Fitted),
    /// Fewer students or answers than the options require: the policy's parameters stay.
    TooLittleEvidence,
}

/// One standard's row of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct StandardFit {
    pub standard: String,
    pub students: usize,
    pub answers: usize,
    /// The policy's parameters for the standard (EM's starting point, within the bounds).
    pub policy: BktParams,
    pub outcome: FitOutcome,
}

/// Fits every standard (in code order), each from the policy's parameters for it.
pub fn fit_standards(answers: &AnswersByStandard, bkt: &BktModel, opts: &FitOptions) -> Vec<StandardFit> {
    answers.iter().map(|(standard, a)| fit_standard(standard, a, bkt, opts)).collect()
}

/// Fits one standard from the policy's parameters for it, if it has enough evidence.
pub fn fit_standard(standard: &str, answers: &StandardAnswers, bkt: &BktModel, opts: &FitOptions) -> StandardFit {
    let policy = *bkt.for_standard(standard);
    let enough = answers.students() >= opts.min_students as usize && answers.answers() as u64 >= opts.min_answers;
    let outcome = if enough { FitOutcome::Fitted(fit(answers, &policy, opts)) } else { FitOutcome::TooLittleEvidence };
    StandardFit {
        standard: standard.to_owned(),
        students: answers.students(),
        answers: answers.answers(),
        policy,
        outcome,
    }
}

/// Baum–Welch on one standard's sequences from `start` (moved into the bounds first).
pub fn fit(answers: &StandardAnswers, start: &BktParams, opts: &FitOptions) -> Fitted {
    let mut scratch = em::Scratch::default();
    let log_likelihood_before: f64 = answers.sequences().map(|s| em::log_likelihood(s, start, &mut scratch)).sum();
    let tolerance = opts.tolerance_per_answer * answers.answers() as f64;
    let mut params = opts.bounds.clamp(start);
    let mut trace = Vec::new();
    let mut iterations = 0;
    let mut converged = false;
    while iterations < opts.max_iterations {
        let mut counts = em::Counts::default();
        for s in answers.sequences() {
            em::accumulate(s, &params, &mut scratch, &mut counts);
        }
        if let Some(&last) = trace.last() {
            if counts.log_likelihood - last < tolerance {
                // The parameters that gave `counts` are the fit; one more M-step would not matter.
                trace.push(counts.log_likelihood);
                converged = true;
                break;
            }
        }
        trace.push(counts.log_likelihood);
        params = em::maximise(&counts, &params, &opts.bounds);
        iterations += 1;
    }
    if !converged {
        trace.push(answers.sequences().map(|s| em::log_likelihood(s, &params, &mut scratch)).sum());
    }
    let log_likelihood = trace.last().copied().unwrap_or(log_likelihood_before);
    let at_bound = opts.bounds.at_upper_bound(&params);
    Fitted { params, log_likelihood_before, log_likelihood, iterations, converged, at_bound, trace }
}

#[cfg(test)]
mod tests;
