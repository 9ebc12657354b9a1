//! The shape of `rules.toml` as written: every value keeps its span so validation can point at it.
//! Keys are optional here so that *all* missing keys are reported at once, not just the first.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RulesFile {
    pub kind: Option<Spanned<String>>,
    pub focus_standards: Option<Spanned<FocusRaw>>,
    pub bkt: Option<Spanned<BktRaw>>,
    pub indicators: Option<Spanned<IndicatorSettingsRaw>>,
    pub attendance_bands: Option<Spanned<AttendanceBandsRaw>>,
    #[serde(default)]
    pub rules: Vec<Spanned<RuleRaw>>,
    #[serde(default)]
    pub playbooks: Vec<Spanned<PlaybookRaw>>,
}

/// `focus_standards = "all"` or `focus_standards = ["A", "B"]`.
#[derive(Debug)]
pub(crate) enum FocusRaw {
    Word(String),
    List(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for FocusRaw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<FocusRaw, D::Error> {
        struct FocusVisitor;
        impl<'de> Visitor<'de> for FocusVisitor {
            type Value = FocusRaw;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"all\" or a list of standard codes")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FocusRaw, E> {
                Ok(FocusRaw::Word(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<FocusRaw, A::Error> {
                let mut list = Vec::new();
                while let Some(code) = seq.next_element::<Spanned<String>>()? {
                    list.push(code);
                }
                Ok(FocusRaw::List(list))
            }
        }
        deserializer.deserialize_any(FocusVisitor)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BktRaw {
    pub prior: Option<Spanned<f64>>,
    pub learn: Option<Spanned<f64>>,
    pub slip: Option<Spanned<f64>>,
    pub guess: Option<Spanned<f64>>,
    /// `[bkt.standards."CODE"]`: per-standard overrides.
    pub standards: Option<BTreeMap<Spanned<String>, Spanned<BktStandardRaw>>>,
}

/// One standard's overrides: any of the four keys.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BktStandardRaw {
    pub prior: Option<Spanned<f64>>,
    pub learn: Option<Spanned<f64>>,
    pub slip: Option<Spanned<f64>>,
    pub guess: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IndicatorSettingsRaw {
    pub accuracy_recent_items: Option<Spanned<i64>>,
    pub mastery_trend_weeks: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AttendanceBandsRaw {
    pub satisfactory_from: Option<Spanned<f64>>,
    pub at_risk_from: Option<Spanned<f64>>,
    pub moderate_from: Option<Spanned<f64>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScopeRaw {
    #[serde(default)]
    pub grades: Vec<Spanned<String>>,
    #[serde(default)]
    pub courses: Vec<Spanned<String>>,
    #[serde(default)]
    pub classes: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleRaw {
    pub id: Option<Spanned<String>>,
    pub version: Option<Spanned<i64>>,
    pub title: Option<Spanned<String>>,
    pub reason: Option<Spanned<String>>,
    pub condition: Option<Spanned<String>>,
    pub min_evidence: Option<Spanned<i64>>,
    pub tier: Option<Spanned<i64>>,
    pub color: Option<Spanned<String>>,
    pub label: Option<Spanned<String>>,
    pub playbook: Option<Spanned<String>>,
    pub expiry_days: Option<Spanned<i64>>,
    pub enabled: Option<bool>,
    pub scope: Option<ScopeRaw>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlaybookRaw {
    pub id: Option<Spanned<String>>,
    pub title: Option<Spanned<String>>,
    pub steps: Option<Spanned<Vec<Spanned<String>>>>,
    pub interventions: Option<Spanned<Vec<Spanned<String>>>>,
    pub responsible: Option<Spanned<String>>,
    pub check_in_days: Option<Spanned<i64>>,
    pub goal_weeks: Option<Spanned<i64>>,
    pub follows: Option<Spanned<String>>,
    pub family_description: Option<Spanned<String>>,
    pub scope: Option<ScopeRaw>,
}
