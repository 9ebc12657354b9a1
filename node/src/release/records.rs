//! One `StudentRecord` per student counted by this node, from the facts read by
//! `store::releases` (roster, attendance, outcomes) and `store::releases::student_state` (flags,
//! interventions, BKT mastery). Pure: the same facts always give the same records, so it is tested
//! without a database. Which attribute comes from where is in docs/PRIVACY.md, "What a node puts
//! in a release".

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use lantern_policies::dp::{PublicPartitions, StudentRecord};
use lantern_policies::release_policy::{PartitionSource, ReleasePolicy};
use lantern_policies::rules::{AttendanceBand, BktParams, FocusStandards, RulesPolicy};

use crate::indicators::bkt::Mastery;
use crate::store::releases::student_state::{ClosedOutcome, FlagFact, InterventionFact, MasteryAsOf, MasteryByStudent};
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
    /// Per student, the flags in force at some moment of the period.
    pub flags: HashMap<String, Vec<FlagFact>>,
    /// Per student, the interventions in effect at some moment of the period.
    pub interventions: HashMap<String, Vec<InterventionFact>>,
    /// Per student and standard, the BKT state at the as-of date.
    pub mastery: MasteryByStudent,
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

/// The student's tier at the as-of date: the highest tier among their flags live then (the
/// overridden tier where one was overridden); 0 when none was live.
pub fn tier(flags: &[FlagFact]) -> u8 {
    flags.iter().filter_map(|f| f.live_tier).max().unwrap_or(0)
}

/// `intervention_type` and `intervention_outcome` of the student's most recent intervention in the
/// period (latest start date, then latest id): its kind as logged, and `ongoing` when it was not
/// closed by the as-of date, else `goal_met` / `partially_met` / `not_met`. `none`/`none` without
/// one. A kind outside the policy's domain is counted under the domain's fallback (`other`) by the
/// release mechanics, never under a key of its own.
pub fn intervention(interventions: &[InterventionFact]) -> (String, &'static str) {
    let Some(latest) = interventions.iter().max_by(|a, b| (&a.start_date, a.id).cmp(&(&b.start_date, b.id))) else {
        return ("none".into(), "none");
    };
    let outcome = match latest.outcome {
        None => "ongoing",
        Some(ClosedOutcome::Met) => "goal_met",
        Some(ClosedOutcome::Partly) => "partially_met",
        Some(ClosedOutcome::NotMet) => "not_met",
    };
    (latest.kind.clone(), outcome)
}

/// The BKT probability that the student knows the standard at the as-of date: the stored
/// posterior, or the answers up to then replayed from the prior with the same update the
/// indicators use (`indicators::bkt`).
pub fn p_known(params: &BktParams, m: &MasteryAsOf) -> f64 {
    match m {
        MasteryAsOf::Stored(p) => *p,
        MasteryAsOf::Replay(answers) => {
            answers.iter().fold(Mastery::prior(params), |m, correct| m.update(params, *correct)).p_known
        }
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
            let flags = facts.flags.get(&s.pkey).map_or(&[][..], Vec::as_slice);
            set(&mut r, "tier", tier(flags).to_string());
            if wants("flagged") {
                for rule in &public.rules {
                    let yes = flags.iter().any(|f| &f.rule_id == rule);
                    r.set_for(PartitionSource::Rule, rule.clone(), "flagged", if yes { "yes" } else { "no" });
                }
            }
            let (kind, outcome) = intervention(facts.interventions.get(&s.pkey).map_or(&[][..], Vec::as_slice));
            set(&mut r, "intervention_type", kind);
            set(&mut r, "intervention_outcome", outcome.into());
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
            let standards = facts.mastery.get(&s.pkey);
            let mastery =
                |standard: &str| standards.and_then(|m| m.get(standard)).map(|m| p_known(rules.bkt_for(standard), m));
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
    use lantern_policies::release_policy::Placement;

    const RP: &str = "CCSS.MATH.CONTENT.6.RP.A.3";
    const NS: &str = "CCSS.MATH.CONTENT.6.NS.A.1";

    fn policies() -> (ReleasePolicy, RulesPolicy) {
        (
            ReleasePolicy::builtin().unwrap(),
            lantern_policies::rules::load(&lantern_policies::rules::default_source()).unwrap(),
        )
    }

    fn flag(rule: &str, live_tier: Option<u8>) -> FlagFact {
        FlagFact { rule_id: rule.into(), live_tier }
    }

    fn intervention_fact(id: i64, kind: &str, start: &str, outcome: Option<ClosedOutcome>) -> InterventionFact {
        InterventionFact { id, kind: kind.into(), start_date: start.into(), outcome }
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
        // p_a: a live tier-2 flag, a chronic-absence flag overridden to tier 3 (the store gives the
        // overridden tier), and a flag of another rule that ended during the period.
        f.flags.insert(
            "p_a".into(),
            vec![
                flag("reteach-attendance", Some(2)),
                flag("chronic-absence", Some(3)),
                flag("participation-drop", None),
            ],
        );
        // p_a: two interventions in the period; the later one (closed, partly met) is reported.
        f.interventions.insert(
            "p_a".into(),
            vec![
                intervention_fact(7, "tutoring", "2026-10-20", Some(ClosedOutcome::Partly)),
                intervention_fact(3, "attendance_check_in", "2026-10-02", None),
            ],
        );
        f.mastery.insert(
            "p_a".into(),
            HashMap::from([
                (RP.to_string(), MasteryAsOf::Stored(0.9)),
                // prior 0.30, one right answer: 0.3·0.9 / (0.3·0.9 + 0.7·0.25) = 0.60674…, then
                // + (1 − 0.60674…)·0.15 = 0.66573…
                (NS.to_string(), MasteryAsOf::Replay(vec![true])),
            ]),
        );
        f.item_bank_standards = vec![RP.into(), NS.into(), "has space".into()];
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
        let b = &records[1];
        assert_eq!(b.attributes["grade"], "08");
        assert!(!b.attributes.contains_key("attendance_band") && !b.attributes.contains_key("outcome_level"));
        // The records are accepted by the real mechanics (every value placed or a fallback).
        let plan = plan_release(&policy, &public).unwrap();
        let tables = plan.compute(&records).unwrap();
        assert!(tables.cell_count() > 100);
    }

    #[test]
    fn tier_is_the_highest_live_flag_and_zero_without_one() {
        let (policy, rules) = policies();
        let (public, _) = public_partitions(&policy, &rules, &[]);
        let records = student_records(&policy, &rules, &public, &facts());
        assert_eq!(records[0].attributes["tier"], "3", "the overridden tier counts");
        assert_eq!(records[1].attributes["tier"], "0");
        assert_eq!(tier(&[flag("x", None), flag("y", Some(1))]), 1, "an ended flag does not count");
        assert_eq!(tier(&[flag("x", None)]), 0);
        assert_eq!(tier(&[]), 0);
    }

    #[test]
    fn every_public_rule_is_flagged_yes_or_no() {
        let (policy, rules) = policies();
        let (public, _) = public_partitions(&policy, &rules, &[]);
        let records = student_records(&policy, &rules, &public, &facts());
        let flagged =
            |r: &StudentRecord, rule: &str| r.per_rule.get(rule).and_then(|m| m.get("flagged")).cloned().unwrap();
        let a = &records[0];
        assert_eq!(flagged(a, "reteach-attendance"), "yes");
        assert_eq!(flagged(a, "chronic-absence"), "yes");
        assert_eq!(flagged(a, "participation-drop"), "yes", "in force during the period, ended by the as-of date");
        assert_eq!(flagged(a, "severe-chronic-absence"), "no");
        for rule in &public.rules {
            assert_eq!(flagged(&records[1], rule), "no");
        }
    }

    #[test]
    fn the_most_recent_intervention_of_the_period_and_its_outcome() {
        let (policy, rules) = policies();
        let (public, _) = public_partitions(&policy, &rules, &[]);
        let records = student_records(&policy, &rules, &public, &facts());
        assert_eq!(records[0].attributes["intervention_type"], "tutoring");
        assert_eq!(records[0].attributes["intervention_outcome"], "partially_met");
        assert_eq!(records[1].attributes["intervention_type"], "none");
        assert_eq!(records[1].attributes["intervention_outcome"], "none");
        let i = |id, start, outcome| intervention_fact(id, "mentoring", start, outcome);
        assert_eq!(intervention(&[i(1, "2026-10-01", None)]).1, "ongoing");
        assert_eq!(intervention(&[i(1, "2026-10-01", Some(ClosedOutcome::Met))]).1, "goal_met");
        assert_eq!(intervention(&[i(1, "2026-10-01", Some(ClosedOutcome::NotMet))]).1, "not_met");
        // Same start date: the later id wins.
        assert_eq!(
            intervention(&[i(5, "2026-10-01", None), i(4, "2026-10-01", Some(ClosedOutcome::Met))]).1,
            "ongoing"
        );
    }

    #[test]
    fn an_intervention_kind_outside_the_domain_is_counted_as_other() {
        let (policy, rules) = policies();
        let (public, _) = public_partitions(&policy, &rules, &[]);
        let mut f = facts();
        f.interventions.insert("p_b".into(), vec![intervention_fact(9, "counseling", "2026-10-03", None)]);
        let records = student_records(&policy, &rules, &public, &f);
        assert_eq!(records[1].attributes["intervention_type"], "counseling");
        // The mechanics place it in the domain's fallback label `other`, never a key of its own.
        let domain = policy.domain("intervention_type").unwrap();
        let other = domain.labels().iter().position(|l| l == "other").unwrap() as u32;
        assert_eq!(domain.fallback(), Some("other"));
        assert_eq!(domain.place(Some(&records[1].attributes["intervention_type"])), Placement::At(other));
        // An outcome is always one of the domain's own values.
        let outcomes = policy.domain("intervention_outcome").unwrap();
        for r in &records {
            assert!(outcomes.labels().contains(&r.attributes["intervention_outcome"]));
        }
        let plan = plan_release(&policy, &public).unwrap();
        plan.compute(&records).unwrap();
    }

    #[test]
    fn mastery_is_the_bkt_posterior_and_no_evidence_is_left_to_the_fallback() {
        let (policy, rules) = policies();
        let (public, _) = public_partitions(&policy, &rules, &facts().item_bank_standards);
        let records = student_records(&policy, &rules, &public, &facts());
        let band = |r: &StudentRecord, s: &str| r.per_standard.get(s).and_then(|m| m.get("mastery_band")).cloned();
        assert_eq!(band(&records[0], RP).as_deref(), Some("0.9"));
        let replayed: f64 = band(&records[0], NS).unwrap().parse().unwrap();
        assert!((replayed - 0.665_730_337_078_651_7).abs() < 1e-12, "{replayed}");
        assert_eq!(band(&records[1], RP), None, "no evidence: the policy's fallback (no_evidence)");
        // Lowest over the focus standards with evidence: the replayed one.
        let min: f64 = records[0].attributes["focus_mastery_min_bin"].parse().unwrap();
        assert_eq!(min, replayed);
        assert!(!records[1].attributes.contains_key("focus_mastery_min_bin"));
        // A replay of no answers is the prior; of the same answers, the indicators' own update.
        let params = rules.bkt;
        assert_eq!(p_known(&params, &MasteryAsOf::Replay(vec![])), params.prior);
        let by_hand = Mastery::prior(&params).update(&params, false).update(&params, true).p_known;
        assert_eq!(p_known(&params, &MasteryAsOf::Replay(vec![false, true])), by_hand);
    }

    #[test]
    fn public_lists_drop_invalid_names() {
        let (policy, rules) = policies();
        let (public, _) = public_partitions(&policy, &rules, &facts().item_bank_standards);
        assert!(public.standards.iter().all(|s| !s.contains(' ')));
        assert_eq!(public.rules.len(), rules.rules.len());
    }
}
