//! Bias audit of the alert rules, from the per-rule `flagged × outcome × subgroup` table summed
//! across nodes. Per rule and subgroup value: the flag rate and its ratio to the rest of the
//! family; where later outcomes were released, the false-positive rate (flagged among students
//! whose later outcome was proficient) and false-negative rate (not flagged among students who
//! later needed support), each as a gap to the rest of the family. Intervals come from the noise
//! variances by the delta method; groups whose noisy counts are below the policy's minimum cell
//! are suppressed. All of it is post-processing of released cells.

use std::collections::{BTreeMap, HashMap};

use lantern_policies::dp::CellKey;
use lantern_policies::release_policy::{PartitionSource, ReleasePolicy, SUBGROUP};
use serde::Serialize;

use crate::estimates::{NoisySum, Z95};
use crate::store::StoredPartition;

/// Later outcome levels that mean "needed support" (below proficient). The rest of the domain's
/// numeric levels mean "proficient"; anything else (e.g. `none`) is left out of FPR/FNR.
pub const NEEDED_SUPPORT_LEVELS: [&str; 2] = ["1", "2"];
pub const PROFICIENT_LEVELS: [&str; 2] = ["3", "4"];

/// Which table the audit reads and where its dimensions are.
#[derive(Debug, Clone)]
pub struct AuditTable {
    pub id: String,
    flagged: usize,
    outcome: Option<usize>,
    subgroup: usize,
}

impl AuditTable {
    /// The first per-rule table of the policy with `flagged` and `subgroup` dimensions.
    pub fn of(policy: &ReleasePolicy) -> Option<AuditTable> {
        policy.tables().iter().find(|t| t.per == Some(PartitionSource::Rule)).and_then(|t| {
            let pos = |name: &str| t.dimensions.iter().position(|d| d == name);
            Some(AuditTable {
                id: t.id.clone(),
                flagged: pos("flagged")?,
                outcome: pos("outcome_level"),
                subgroup: pos(SUBGROUP)?,
            })
        })
    }
}

/// A rate or a difference with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupAudit {
    pub value: String,
    /// Noisy number of students in the group (rounded, clamped ≥ 0), absent when suppressed.
    pub students: Option<i64>,
    /// True when the group or the rest of the family is below the minimum cell: nothing shown.
    pub suppressed: bool,
    pub flag_rate: Option<Interval>,
    /// Flag rate of this group ÷ flag rate of the rest of the family.
    pub flag_rate_ratio: Option<Interval>,
    pub false_positive_rate: Option<Interval>,
    /// This group's FPR − the rest's.
    pub false_positive_gap: Option<Interval>,
    pub false_negative_rate: Option<Interval>,
    pub false_negative_gap: Option<Interval>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FamilyAudit {
    pub family: String,
    pub groups: Vec<GroupAudit>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleAudit {
    pub rule: String,
    pub families: Vec<FamilyAudit>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BiasAudit {
    pub table: String,
    /// The period audited, or `all` (student-periods pooled).
    pub period: String,
    pub min_cell: u32,
    pub needed_support_levels: [&'static str; 2],
    pub rules: Vec<RuleAudit>,
}

/// Counts of one subgroup value: flagged/not × needed support / proficient / unknown outcome.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    flagged: [NoisySum; 3],
    not_flagged: [NoisySum; 3],
}

impl Counts {
    fn plus(self, o: Counts) -> Counts {
        let mut c = self;
        for i in 0..3 {
            c.flagged[i] = c.flagged[i].plus(o.flagged[i]);
            c.not_flagged[i] = c.not_flagged[i].plus(o.not_flagged[i]);
        }
        c
    }
    fn flagged_all(&self) -> NoisySum {
        self.flagged.iter().fold(NoisySum::default(), |a, b| a.plus(*b))
    }
    fn not_flagged_all(&self) -> NoisySum {
        self.not_flagged.iter().fold(NoisySum::default(), |a, b| a.plus(*b))
    }
}

/// One family's values in first-seen order, and their counts.
type FamilyCounts = (Vec<String>, HashMap<String, Counts>);

const NEEDED: usize = 0;
const PROFICIENT: usize = 1;
const UNKNOWN: usize = 2;

/// `yes / (yes + no)` for independent noisy sums, with its delta-method variance; `None` when the
/// denominator is below `min` (or not positive).
fn rate(yes: NoisySum, no: NoisySum, min: f64) -> Option<(f64, f64)> {
    let (a, b) = (yes.value, no.value);
    let n = a + b;
    if n < min.max(1.0) {
        return None;
    }
    let r = a / n;
    let var = (b * b * yes.variance + a * a * no.variance) / n.powi(4);
    Some((r, var))
}

fn interval((est, var): (f64, f64)) -> Interval {
    let h = Z95 * var.sqrt();
    Interval { estimate: est, low: est - h, high: est + h }
}

fn clamp01(i: Interval) -> Interval {
    Interval { estimate: i.estimate.clamp(0.0, 1.0), low: i.low.clamp(0.0, 1.0), high: i.high.clamp(0.0, 1.0) }
}

fn gap(a: (f64, f64), b: (f64, f64)) -> Interval {
    interval((a.0 - b.0, a.1 + b.1))
}

/// Ratio of two rates with an interval from the log scale; `None` unless both are positive.
fn ratio(a: (f64, f64), b: (f64, f64)) -> Option<Interval> {
    if a.0 <= 0.0 || b.0 <= 0.0 {
        return None;
    }
    let r = a.0 / b.0;
    let sd = (a.1 / (a.0 * a.0) + b.1 / (b.0 * b.0)).sqrt();
    Some(Interval { estimate: r, low: r * (-Z95 * sd).exp(), high: r * (Z95 * sd).exp() })
}

/// Runs the audit over the stored partitions of `table` (one period, or all pooled).
pub fn audit(
    table: &AuditTable,
    parts: &[StoredPartition],
    period: &str,
    min_cell: u32,
    family_order: &[String],
) -> BiasAudit {
    // rule → family → value → counts, values in first-seen order.
    let mut sums: BTreeMap<String, HashMap<String, FamilyCounts>> = BTreeMap::new();
    for p in parts {
        let (Some(rule), Some(family)) = (&p.per, &p.subgroup) else { continue };
        let (order, values) = sums.entry(rule.clone()).or_default().entry(family.clone()).or_default();
        for (key, noisy, sigma) in p.cells() {
            let CellKey::Cell(labels) = key else { continue };
            let (Some(flag), Some(value)) = (labels.get(table.flagged), labels.get(table.subgroup)) else { continue };
            let outcome = match table.outcome.and_then(|i| labels.get(i)).map(String::as_str) {
                Some(l) if NEEDED_SUPPORT_LEVELS.contains(&l) => NEEDED,
                Some(l) if PROFICIENT_LEVELS.contains(&l) => PROFICIENT,
                _ => UNKNOWN,
            };
            if !values.contains_key(value) {
                order.push(value.clone());
            }
            let counts = values.entry(value.clone()).or_default();
            let slot = if flag == "yes" { &mut counts.flagged[outcome] } else { &mut counts.not_flagged[outcome] };
            slot.add_cell(noisy, sigma);
        }
    }
    let min = f64::from(min_cell);
    let rules = sums
        .into_iter()
        .map(|(rule, families)| {
            let mut names: Vec<&String> = families.keys().collect();
            names.sort_by_key(|f| family_order.iter().position(|o| o == *f).unwrap_or(usize::MAX));
            let families = names
                .into_iter()
                .filter_map(|family| {
                    let (order, values) = families.get(family)?;
                    let total = values.values().fold(Counts::default(), |a, b| a.plus(*b));
                    let groups = order.iter().filter_map(|v| Some(group(v, *values.get(v)?, total, min))).collect();
                    Some(FamilyAudit { family: family.clone(), groups })
                })
                .collect();
            RuleAudit { rule, families }
        })
        .collect();
    BiasAudit {
        table: table.id.clone(),
        period: period.to_string(),
        min_cell,
        needed_support_levels: NEEDED_SUPPORT_LEVELS,
        rules,
    }
}

fn subtract(total: Counts, g: Counts) -> Counts {
    // The rest of the family: the other values' sums. Variances of disjoint cells add, so the
    // rest's variance is the total's minus the group's.
    let mut r = total;
    for i in 0..3 {
        for (t, x) in [(&mut r.flagged[i], g.flagged[i]), (&mut r.not_flagged[i], g.not_flagged[i])] {
            t.value -= x.value;
            t.variance = (t.variance - x.variance).max(0.0);
            t.terms = t.terms.saturating_sub(x.terms);
            t.suppressed = t.suppressed.saturating_sub(x.suppressed);
        }
    }
    r
}

fn group(value: &str, g: Counts, total: Counts, min: f64) -> GroupAudit {
    let rest = subtract(total, g);
    let size = g.flagged_all().plus(g.not_flagged_all()).value;
    let rest_size = rest.flagged_all().plus(rest.not_flagged_all()).value;
    let suppressed = size < min.max(1.0) || rest_size < min.max(1.0);
    if suppressed {
        return GroupAudit {
            value: value.to_string(),
            students: None,
            suppressed: true,
            flag_rate: None,
            flag_rate_ratio: None,
            false_positive_rate: None,
            false_positive_gap: None,
            false_negative_rate: None,
            false_negative_gap: None,
        };
    }
    let fr = rate(g.flagged_all(), g.not_flagged_all(), min);
    let fr_rest = rate(rest.flagged_all(), rest.not_flagged_all(), min);
    // FPR: flagged among the proficient; FNR: not flagged among those who needed support.
    let fpr = rate(g.flagged[PROFICIENT], g.not_flagged[PROFICIENT], min);
    let fpr_rest = rate(rest.flagged[PROFICIENT], rest.not_flagged[PROFICIENT], min);
    let fnr = rate(g.not_flagged[NEEDED], g.flagged[NEEDED], min);
    let fnr_rest = rate(rest.not_flagged[NEEDED], rest.flagged[NEEDED], min);
    GroupAudit {
        value: value.to_string(),
        students: Some(size.round().max(0.0) as i64),
        suppressed: false,
        flag_rate: fr.map(interval).map(clamp01),
        flag_rate_ratio: fr.zip(fr_rest).and_then(|(a, b)| ratio(a, b)),
        false_positive_rate: fpr.map(interval).map(clamp01),
        false_positive_gap: fpr.zip(fpr_rest).map(|(a, b)| gap(a, b)),
        false_negative_rate: fnr.map(interval).map(clamp01),
        false_negative_gap: fnr.zip(fnr_rest).map(|(a, b)| gap(a, b)),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use lantern_policies::dp::CellValue;
    use std::sync::Arc;

    fn table() -> AuditTable {
        AuditTable::of(&ReleasePolicy::builtin().unwrap()).unwrap()
    }

    /// One node's rule partition for family `sex`, from (flagged, outcome, sex) → count.
    fn part(node: &str, counts: &[(&str, &str, &str, i64)]) -> StoredPartition {
        StoredPartition {
            node_id: node.into(),
            period: "2026-10".into(),
            per: Some("r1".into()),
            subgroup: Some("sex".into()),
            keys: Arc::new(
                counts
                    .iter()
                    .map(|(f, o, s, _)| CellKey::Cell(vec![f.to_string(), o.to_string(), s.to_string()]))
                    .collect(),
            ),
            values: counts.iter().map(|(_, _, _, n)| CellValue::Noisy(*n)).collect(),
            sigmas: vec![1.0; counts.len()],
        }
    }

    #[test]
    fn the_builtin_policy_has_an_audit_table() {
        let t = table();
        assert_eq!(t.id, "rule_audit");
        assert_eq!((t.flagged, t.outcome, t.subgroup), (0, Some(1), 2));
    }

    #[test]
    fn flag_rate_ratio_and_error_rate_gaps() {
        // Girls: 40 flagged of 100 (30 of them needed support; 10 proficient flagged of 50 proficient).
        // Boys: 20 flagged of 100 (15 needed support flagged of 50; 5 proficient flagged of 50).
        let p = part(
            "a",
            &[
                ("yes", "1", "female", 30),
                ("yes", "3", "female", 10),
                ("no", "2", "female", 20),
                ("no", "4", "female", 40),
                ("yes", "2", "male", 15),
                ("yes", "4", "male", 5),
                ("no", "1", "male", 35),
                ("no", "3", "male", 45),
            ],
        );
        let a = audit(&table(), &[p], "2026-10", 10, &["sex".into()]);
        let g = &a.rules[0].families[0].groups;
        let (f, m) = (&g[0], &g[1]);
        assert_eq!((f.value.as_str(), f.students), ("female", Some(100)));
        assert!((f.flag_rate.unwrap().estimate - 0.4).abs() < 1e-12);
        assert!((f.flag_rate_ratio.unwrap().estimate - 2.0).abs() < 1e-12);
        let r = f.flag_rate_ratio.unwrap();
        assert!(r.low < 2.0 && r.high > 2.0 && r.low > 1.0, "{r:?}");
        // FPR: female 10/50 = 0.2, male 5/50 = 0.1 → gap +0.1.
        assert!((f.false_positive_gap.unwrap().estimate - 0.1).abs() < 1e-12);
        // FNR: female 20/50 = 0.4, male 35/50 = 0.7 → gap −0.3.
        assert!((f.false_negative_rate.unwrap().estimate - 0.4).abs() < 1e-12);
        assert!((m.false_negative_gap.unwrap().estimate - 0.3).abs() < 1e-12);
    }

    #[test]
    fn small_groups_are_suppressed() {
        let p = part(
            "a",
            &[("yes", "1", "female", 3), ("no", "3", "female", 4), ("yes", "1", "male", 50), ("no", "3", "male", 50)],
        );
        let a = audit(&table(), &[p], "2026-10", 10, &[]);
        let g = &a.rules[0].families[0].groups;
        assert!(g[0].suppressed && g[0].flag_rate.is_none() && g[0].students.is_none());
        // The other group's "rest" is the small one: suppressed too, so the small one cannot be
        // recovered by subtraction.
        assert!(g[1].suppressed);
    }

    #[test]
    fn sums_across_nodes_before_rating() {
        let a1 = part(
            "a",
            &[("yes", "1", "female", 5), ("no", "3", "female", 5), ("yes", "1", "male", 2), ("no", "3", "male", 18)],
        );
        let b1 = part(
            "b",
            &[("yes", "1", "female", 5), ("no", "3", "female", 5), ("yes", "1", "male", 2), ("no", "3", "male", 18)],
        );
        let a = audit(&table(), &[a1, b1], "all", 10, &[]);
        let f = &a.rules[0].families[0].groups[0];
        assert_eq!(f.students, Some(20));
        assert!((f.flag_rate.unwrap().estimate - 0.5).abs() < 1e-12);
        assert!((f.flag_rate_ratio.unwrap().estimate - 5.0).abs() < 1e-12);
    }
}
