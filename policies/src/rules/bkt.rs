//! Bayesian knowledge tracing parameters in `rules.toml`: the `[bkt]` defaults for every standard
//! and optional per-standard overrides under `[bkt.standards."CODE"]` (for instance parameters
//! fitted by `lantern node rebuild --fit-bkt` and reviewed by a person).

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Serialize;
use toml::Spanned;

use super::report::Report;
use super::schema::{BktRaw, BktStandardRaw};
use super::settings::probability;
use super::StandardCode;

/// One set of BKT parameters (Corbett & Anderson 1995): P(L0), P(T), P(S), P(G).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BktParams {
    /// Probability the student knows the standard before any answer.
    pub prior: f64,
    /// Probability of learning the standard at each answer.
    pub learn: f64,
    /// Probability of answering wrong while knowing the standard.
    pub slip: f64,
    /// Probability of answering right without knowing the standard.
    pub guess: f64,
}

/// The BKT parameters of every standard: the policy's defaults, and the standards that have their
/// own.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BktModel {
    pub defaults: BktParams,
    pub standards: BTreeMap<StandardCode, BktParams>,
}

impl BktModel {
    /// The parameters of one standard: its own if the policy gives them, else the defaults.
    pub fn for_standard(&self, standard: &str) -> &BktParams {
        self.standards.get(standard).unwrap_or(&self.defaults)
    }
}

impl From<BktParams> for BktModel {
    /// The same parameters for every standard.
    fn from(defaults: BktParams) -> BktModel {
        BktModel { defaults, standards: BTreeMap::new() }
    }
}

/// Validates `[bkt]` and its `[bkt.standards."CODE"]` tables. An override may give any of the four
/// keys; the others are the defaults'. Returns the model when everything is valid.
pub(crate) fn bkt(report: &mut Report<'_>, raw: &Spanned<BktRaw>) -> Option<BktModel> {
    let span = raw.span();
    let r = raw.get_ref();
    let mut field = |value: &Option<Spanned<f64>>, key: &str, what: &str| {
        let v = report.required(value, &span, "[bkt]", key, what)?;
        probability(report, v, &format!("bkt.{key}"))
    };
    let prior = field(&r.prior, "prior", "probability the student knows the standard before any answer");
    let learn = field(&r.learn, "learn", "probability of learning the standard at each answer");
    let slip = field(&r.slip, "slip", "probability of a wrong answer despite knowing");
    let guess = field(&r.guess, "guess", "probability of a right answer without knowing");
    // guess + slip is checked whenever both are valid, whatever the other two.
    let pair_ok = match (slip, guess) {
        (Some(slip), Some(guess)) => {
            let at = r.guess.as_ref().map_or(span.clone(), |g| g.span());
            guess_plus_slip(report, "bkt", slip, guess, at)
        }
        _ => false,
    };
    let defaults = match (prior, learn, slip, guess) {
        (Some(prior), Some(learn), Some(slip), Some(guess)) if pair_ok => Some(BktParams { prior, learn, slip, guess }),
        _ => None,
    };
    let mut standards = BTreeMap::new();
    let mut ok = true;
    for (code, table) in r.standards.iter().flatten() {
        match standard(report, code, table, defaults.as_ref()) {
            Some((code, params)) => {
                standards.insert(code, params);
            }
            None => ok = false,
        }
    }
    let defaults = defaults?;
    ok.then_some(BktModel { defaults, standards })
}

/// One `[bkt.standards."CODE"]` table: its values checked even when the defaults are not valid
/// (so every problem is reported), combined with valid defaults.
fn standard(
    report: &mut Report<'_>,
    code: &Spanned<String>,
    table: &Spanned<BktStandardRaw>,
    defaults: Option<&BktParams>,
) -> Option<(StandardCode, BktParams)> {
    let owner = format!("bkt.standards.{}", toml::Value::String(code.get_ref().clone()));
    let parsed = match StandardCode::parse(code.get_ref()) {
        Ok(c) => Some(c),
        Err(e) => {
            report.at(code.span(), format!("{owner}: {e}"));
            None
        }
    };
    let t = table.get_ref();
    let mut value = |v: &Option<Spanned<f64>>, key: &str| -> Result<Option<f64>, ()> {
        match v {
            None => Ok(None),
            Some(v) => probability(report, v, &format!("{owner}.{key}")).map(Some).ok_or(()),
        }
    };
    let (prior, learn, slip, guess) =
        (value(&t.prior, "prior"), value(&t.learn, "learn"), value(&t.slip, "slip"), value(&t.guess, "guess"));
    if t.prior.is_none() && t.learn.is_none() && t.slip.is_none() && t.guess.is_none() {
        report.at(table.span(), format!("{owner} is empty: give at least one of prior, learn, slip, guess"));
        return None;
    }
    let (code, defaults) = (parsed?, defaults?);
    let (Ok(prior), Ok(learn), Ok(slip), Ok(guess)) = (prior, learn, slip, guess) else { return None };
    let params = BktParams {
        prior: prior.unwrap_or(defaults.prior),
        learn: learn.unwrap_or(defaults.learn),
        slip: slip.unwrap_or(defaults.slip),
        guess: guess.unwrap_or(defaults.guess),
    };
    let at = t.guess.as_ref().or(t.slip.as_ref()).map_or(table.span(), |v| v.span());
    guess_plus_slip(report, &owner, params.slip, params.guess, at).then_some((code, params))
}

/// guess + slip must stay below 1, or a right answer would count as evidence of not knowing.
fn guess_plus_slip(report: &mut Report<'_>, owner: &str, slip: f64, guess: f64, at: Range<usize>) -> bool {
    if guess + slip < 1.0 {
        return true;
    }
    report.at(
        at,
        format!(
            "{owner}.guess + {owner}.slip = {}: must be below 1, or a right answer would count as evidence of not knowing",
            guess + slip
        ),
    );
    false
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::super::{default_source, load};
    use super::*;
    use crate::policy_file::PolicySource;

    fn with(extra: &str) -> PolicySource {
        PolicySource { name: "rules.toml".into(), text: format!("{}\n{extra}", default_source().text) }
    }

    fn errors(extra: &str) -> Vec<String> {
        match load(&with(extra)) {
            Ok(_) => panic!("expected errors for:\n{extra}"),
            Err(ds) => ds.iter().map(|d| d.to_string()).collect(),
        }
    }

    /// Line of the file (1-based) where `extra` starts.
    fn first_line() -> usize {
        default_source().text.lines().count() + 2
    }

    #[test]
    fn overrides_replace_the_keys_they_give_and_keep_the_others() {
        let p = load(&with(
            "[bkt.standards.\"CCSS.MATH.CONTENT.6.RP.A.1\"]\nprior = 0.5\nlearn = 0.2\nslip = 0.05\nguess = 0.2\n\n\
             [bkt.standards.\"CCSS.MATH.CONTENT.7.EE.B.4\"]\nguess = 0.4\n",
        ))
        .unwrap();
        let model = p.bkt_model();
        assert_eq!(model.defaults, p.bkt);
        assert_eq!(
            *model.for_standard("CCSS.MATH.CONTENT.6.RP.A.1"),
            BktParams { prior: 0.5, learn: 0.2, slip: 0.05, guess: 0.2 }
        );
        assert_eq!(*model.for_standard("CCSS.MATH.CONTENT.7.EE.B.4"), BktParams { guess: 0.4, ..p.bkt });
        assert_eq!(*model.for_standard("CCSS.MATH.CONTENT.8.F.A.1"), p.bkt);
        assert_eq!(model.standards.len(), 2);
        // Without overrides every standard has the defaults.
        let plain = load(&default_source()).unwrap();
        assert!(plain.bkt_standards.is_empty());
        assert_eq!(*plain.bkt_model().for_standard("anything"), plain.bkt);
    }

    #[test]
    fn bad_overrides_are_located_and_named() {
        let l = first_line();
        let errs = errors(
            "[bkt.standards.\"CCSS.A\"]\nprior = 1.5\n\n\
             [bkt.standards.\"CCSS B\"]\nlearn = 0.1\n\n\
             [bkt.standards.\"CCSS.C\"]\nslip = 0.5\nguess = 0.6\n\n\
             [bkt.standards.\"CCSS.D\"]\n",
        );
        assert_eq!(
            errs,
            vec![
                format!("rules.toml:{}:9: bkt.standards.\"CCSS.A\".prior = 1.5: expected a probability from 0 to 1", l + 1),
                format!("rules.toml:{}:16: bkt.standards.\"CCSS B\": standard code \"CCSS B\" contains whitespace", l + 3),
                format!(
                    "rules.toml:{}:9: bkt.standards.\"CCSS.C\".guess + bkt.standards.\"CCSS.C\".slip = 1.1: must be below 1, or a right answer would count as evidence of not knowing",
                    l + 8
                ),
                format!(
                    "rules.toml:{}:1: bkt.standards.\"CCSS.D\" is empty: give at least one of prior, learn, slip, guess",
                    l + 10
                ),
            ]
        );
    }

    #[test]
    fn an_override_combined_with_the_defaults_is_checked() {
        // The defaults' slip is 0.10: a guess of 0.95 alone breaks guess + slip < 1.
        let errs = errors("[bkt.standards.\"CCSS.A\"]\nguess = 0.95\n");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].contains("bkt.standards.\"CCSS.A\".guess + bkt.standards.\"CCSS.A\".slip = 1.05"), "{errs:?}");
    }

    #[test]
    fn unknown_keys_in_an_override_are_refused() {
        let errs = errors("[bkt.standards.\"CCSS.A\"]\ngues = 0.2\n");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].contains("unknown field `gues`"), "{errs:?}");
    }
}
