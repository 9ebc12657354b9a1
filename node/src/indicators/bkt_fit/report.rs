//! What `lantern node rebuild --fit-bkt` shows: a table per standard, and the TOML snippet of
//! `[bkt.standards."CODE"]` tables (`--fit-bkt-out`) a person reviews and may paste into the rules
//! policy.

use std::fmt::Write;

use super::{FitOptions, FitOutcome, StandardFit};

/// The report table, one line per standard.
pub fn table(fits: &[StandardFit], opts: &FitOptions) -> String {
    let width = fits.iter().map(|f| f.standard.len()).max().unwrap_or(0).max("standard".len());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<width$}  {:>8}  {:>9}  {:>6}  {:>6}  {:>6}  {:>6}  {:>14}  {:>14}  {:>5}  note",
        "standard", "students", "answers", "prior", "learn", "slip", "guess", "loglik policy", "loglik fitted", "iter"
    );
    for f in fits {
        let (p, before, after, iterations, note) = match &f.outcome {
            FitOutcome::Fitted(r) => {
                let mut note = if r.converged { String::new() } else { "not converged".to_owned() };
                if !r.at_bound.is_empty() {
                    let sep = if note.is_empty() { "" } else { "; " };
                    let _ = write!(note, "{sep}at bound: {}", r.at_bound.join(", "));
                }
                (r.params, number(r.log_likelihood_before), number(r.log_likelihood), r.iterations.to_string(), note)
            }
            FitOutcome::TooLittleEvidence => (
                f.policy,
                "-".to_owned(),
                "-".to_owned(),
                "-".to_owned(),
                format!(
                    "too little evidence (needs {} students, {} answers): keeps the policy's values",
                    opts.min_students, opts.min_answers
                ),
            ),
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:>8}  {:>9}  {:>6.4}  {:>6.4}  {:>6.4}  {:>6.4}  {:>14}  {:>14}  {:>5}  {note}",
            f.standard, f.students, f.answers, p.prior, p.learn, p.slip, p.guess, before, after, iterations
        );
    }
    out.trim_end().to_owned()
}

fn number(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.1}")
    } else {
        x.to_string()
    }
}

/// The `[bkt.standards."CODE"]` tables of the fitted standards, in the shape `rules.toml` takes
/// them (docs/POLICIES.md), with comments saying where they come from. `origin` is one line saying
/// what was fitted (data, policy); standards with too little evidence are listed in a comment.
pub fn policy_snippet(fits: &[StandardFit], opts: &FitOptions, origin: &str) -> String {
    let mut out = String::new();
    let _ =
        writeln!(out, "# BKT parameters per standard, fitted by EM (Baum-Welch): `lantern node rebuild --fit-bkt`.");
    let _ = writeln!(out, "# {origin}");
    let _ = writeln!(out, "# Review them before use: to apply, add these tables to the rules policy (rules.toml),");
    let _ =
        writeln!(out, "# run `lantern policy check`, then `lantern node rebuild`. Fitting changed nothing by itself.");
    let _ = writeln!(
        out,
        "# Bounds: guess and slip at most {}, the others from {} to {}.",
        opts.bounds.guess_max, opts.bounds.min, opts.bounds.max
    );
    let kept: Vec<&StandardFit> = fits.iter().filter(|f| f.outcome == FitOutcome::TooLittleEvidence).collect();
    if !kept.is_empty() {
        let _ = writeln!(
            out,
            "# Not fitted, too little evidence (fewer than {} students or {} answers); they keep [bkt]:",
            opts.min_students, opts.min_answers
        );
        for f in kept {
            let _ = writeln!(out, "#   {} ({} students, {} answers)", f.standard, f.students, f.answers);
        }
    }
    for f in fits {
        let FitOutcome::Fitted(r) = &f.outcome else { continue };
        let key = toml::Value::String(f.standard.clone());
        let _ = writeln!(out, "\n[bkt.standards.{key}]");
        let _ = writeln!(
            out,
            "# {} students, {} answers; log-likelihood {} with the policy's values, {} fitted ({} iterations{}{})",
            f.students,
            f.answers,
            number(r.log_likelihood_before),
            number(r.log_likelihood),
            r.iterations,
            if r.converged { "" } else { ", not converged" },
            if r.at_bound.is_empty() { String::new() } else { format!("; at bound: {}", r.at_bound.join(", ")) }
        );
        let p = r.params;
        let _ = writeln!(
            out,
            "prior = {:.4}\nlearn = {:.4}\nslip = {:.4}\nguess = {:.4}",
            p.prior, p.learn, p.slip, p.guess
        );
    }
    out
}
