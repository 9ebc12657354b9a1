//! One `StudentRecord` per student counted by this node, from the facts read by
//! `store::releases`. Pure: the same facts always give the same records, so it is tested without
//! a database. Which facts come from where (and which are placeholders until the alerts and
//! indicators tables exist) is in docs/PRIVACY.md, "What a node releases".

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use lantern_policies::dp::{PublicPartitions, StudentRecord};
use lantern_policies::release_policy::{PartitionSource, ReleasePolicy};
use lantern_policies::rules::{AttendanceBand, FocusStandards, RulesPolicy};

use crate::store::releases::EnrolledStudent;

/// School days of attendance that make the "last 14 days" window.
pub const RECENT_SCHOOL_DAYS: usize = 14;

/// What the store read for one release.
#[derive(Debug, Clone, Default)]
pub struct ReleaseFacts {
    pub as_of: Option<NaiveDate>,
    pub students: Vec<EnrolledStudent>,
    pub subgroups: HashMap<String, Vec<(String, String)>>,
    pub outcome_levels: HashMap<String, u8>,
    /// Per student, attended or not on each marked school day, newest first.
    pub attendance: HashMap<String, Vec<bool>>,
    /// Per student and standard: (correct, total) scored answers.
    pub answers: crate::store::releases::AnswersByStudent,
    pub item_bank_standards: Vec<String>,
}

/// The public lists the per-rule and per-standard tables are released for, and what was left out
/// (for the dry-run report): the rules policy's rule ids, and its focus standards (or the item
/// bank's standards when the focus is "all"), each capped at the tables' `max_per`.
pub fn public_partitions(
    policy: &ReleasePolicy,
    rules: &RulesPolicy,
    item_bank_standards: &[String],
) -> (PublicPartitions, Vec<String>) {
    let cap = |source: PartitionSource| {
        policy.tables().iter().filter(|t| t.per == Some(source)).filter_map(|t| t.max_per).min().map(|m| m as usize)
    };
    let mut notes = Vec::new();
    let mut take = |what: &str, source: PartitionSource, items: Vec<String>| {
        let valid: Vec<String> = items.into_iter().filter(|i| valid_item(i)).collect();
        let max = cap(source).unwrap_or(usize::MAX);
        if valid.len() > max {
            notes.push(format!("{} {what}s; only the first {max} are released (the table's max_per)", valid.len()));
        }
        valid.into_iter().take(max).collect::<Vec<_>>()
    };
    let rule_ids = rules.rules.iter().map(|r| r.id.as_str().to_string()).collect();
    let standards = match rules.focus_standards.as_ref() {
        FocusStandards::List(list) => list.iter().map(|s| s.as_str().to_string()).collect(),
        FocusStandards::All => item_bank_standards.to_vec(),
    };
    let public = PublicPartitions {
        rules: take("rule", PartitionSource::Rule, rule_ids),
        standards: take("standard", PartitionSource::Standard, standards),
    };
    (public, notes)
}

fn valid_item(item: &str) -> bool {
    !item.is_empty() && item.len() <= 64 && item.chars().all(|c| c.is_ascii_alphanumeric() || "._:/-".contains(c))
}

/// `6` → `06`; OneRoster grade codes are two characters.
fn grade_label(grades: &str) -> Option<String> {
    let first = grades.split(',').map(str::trim).find(|g| !g.is_empty())?;
    Some(if first.len() == 1 && first.chars().all(|c| c.is_ascii_digit()) { format!("0{first}") } else { first.into() })
}

fn band_label(band: AttendanceBand) -> &'static str {
    match band {
        AttendanceBand::Satisfactory => "satisfactory",
        AttendanceBand::AtRisk => "at_risk",
        AttendanceBand::ModerateChronic => "moderate",
        AttendanceBand::SevereChronic => "severe",
    }
}

/// Builds the records. Attributes the policy does not read are not set; a fact the node does not
/// have is left unset, so the policy's fallback (`unknown`, `none`, `no_evidence`) counts it.
pub fn student_records(
    policy: &ReleasePolicy,
    rules: &RulesPolicy,
    public: &PublicPartitions,
    facts: &ReleaseFacts,
) -> Vec<StudentRecord> {
    let wants = |a: &str| policy.is_attribute(a);
    let focus: BTreeSet<&str> = match rules.focus_standards.as_ref() {
        FocusStandards::List(list) => list.iter().map(|s| s.as_str()).collect(),
        FocusStandards::All => public.standards.iter().map(String::as_str).collect(),
    };
    facts
        .students
        .iter()
        .map(|s| {
            let mut r = StudentRecord::new(s.pkey.clone());
            let set = |r: &mut StudentRecord, a: &str, v: String| {
                if wants(a) {
                    r.set(a, v);
                }
            };
            if let Some(g) = grade_label(&s.grades) {
                set(&mut r, "grade", g);
            }
            for (attribute, value) in facts.subgroups.get(&s.pkey).into_iter().flatten() {
                if policy.subgroups().iter().any(|f| f.name() == attribute) {
                    r.set(attribute.clone(), value.clone());
                }
            }
            // No alerts or interventions tables on this node yet: every student is tier 0, not
            // flagged by any rule, with no intervention (docs/PRIVACY.md says so).
            set(&mut r, "tier", "0".into());
            set(&mut r, "intervention_type", "none".into());
            set(&mut r, "intervention_outcome", "none".into());
            for rule in &public.rules {
                if wants("flagged") {
                    r.set_for(PartitionSource::Rule, rule.clone(), "flagged", "no");
                }
            }
            if let Some(level) = facts.outcome_levels.get(&s.pkey) {
                set(&mut r, "outcome_level", level.to_string());
            }
            if let Some(days) = facts.attendance.get(&s.pkey).filter(|d| !d.is_empty()) {
                let rate = days.iter().filter(|a| **a).count() as f64 / days.len() as f64;
                set(&mut r, "attendance_band", band_label(rules.attendance_bands.band(rate)).into());
                set(&mut r, "attendance_rate_bin", format!("{rate}"));
                let absences = days.iter().take(RECENT_SCHOOL_DAYS).filter(|a| !**a).count();
                set(&mut r, "absences_14d_bin", absences.to_string());
            }
            // Mastery: proportion correct on the standard's items (until the indicators tables
            // with BKT mastery are on main).
            let answers = facts.answers.get(&s.pkey);
            let mastery = |standard: &str| {
                answers
                    .and_then(|a| a.get(standard))
                    .filter(|(_, n)| *n > 0)
                    .map(|(c, n)| f64::from(*c) / f64::from(*n))
            };
            if wants("mastery_band") {
                for standard in &public.standards {
                    if let Some(m) = mastery(standard) {
                        r.set_for(PartitionSource::Standard, standard.clone(), "mastery_band", format!("{m}"));
                    }
                }
            }
            let focus_min =
                focus.iter().filter_map(|s| mastery(s)).fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.min(x))));
            if let Some(m) = focus_min {
                set(&mut r, "focus_mastery_min_bin", format!("{m}"));
            }
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lantern_policies::dp::plan_release;

    fn policies() -> (ReleasePolicy, RulesPolicy) {
        (
            ReleasePolicy::builtin().unwrap(),
            lantern_policies::rules::load(&lantern_policies::rules::default_source()).unwrap(),
        )
    }

    fn facts() -> ReleaseFacts {
        let mut f = ReleaseFacts {
            students: vec![
                EnrolledStudent { pkey: "p_a".into(), grades: "7".into() },
                EnrolledStudent { pkey: "p_b".into(), grades: "08,09".into() },
            ],
            ..ReleaseFacts::default()
        };
        f.subgroups
            .insert("p_a".into(), vec![("sex".into(), "female".into()), ("country_of_birth".into(), "US".into())]);
        f.outcome_levels.insert("p_a".into(), 2);
        let mut days = vec![true; 20];
        days[0] = false;
        days[1] = false;
        days[19] = false;
        f.attendance.insert("p_a".into(), days);
        f.answers.insert("p_a".into(), HashMap::from([("CCSS.MATH.6.RP.A.1".to_string(), (3, 4))]));
        f.item_bank_standards = vec!["CCSS.MATH.6.RP.A.1".into(), "has space".into()];
        f
    }

    #[test]
    fn records_carry_what_the_node_knows_and_leave_the_rest_to_fallbacks() {
        let (policy, rules) = policies();
        let (public, _) = public_partitions(&policy, &rules, &facts().item_bank_standards);
        let records = student_records(&policy, &rules, &public, &facts());
        let a = &records[0];
        assert_eq!(a.attributes["grade"], "07");
        assert_eq!(a.attributes["sex"], "female");
        assert!(!a.attributes.contains_key("country_of_birth"), "not a policy subgroup");
        assert_eq!(a.attributes["outcome_level"], "2");
        assert_eq!(a.attributes["attendance_band"], "moderate", "17 of 20 days = 0.85");
        assert_eq!(a.attributes["absences_14d_bin"], "2");
        assert_eq!(a.attributes["tier"], "0");
        let b = &records[1];
        assert_eq!(b.attributes["grade"], "08");
        assert!(!b.attributes.contains_key("attendance_band") && !b.attributes.contains_key("outcome_level"));
        // The records are accepted by the real mechanics (every value placed or a fallback).
        let plan = plan_release(&policy, &public).unwrap();
        let tables = plan.compute(&records).unwrap();
        assert!(tables.cell_count() > 100);
    }

    #[test]
    fn public_lists_drop_invalid_names() {
        let (policy, rules) = policies();
        let (public, _) = public_partitions(&policy, &rules, &facts().item_bank_standards);
        assert!(public.standards.iter().all(|s| !s.contains(' ')));
        assert_eq!(public.rules.len(), rules.rules.len());
    }
}
