//! District estimates from the nodes' noisy cells: sum the noisy values of the same cell across
//! nodes (unclamped — clamping and suppression bias a sum), with variance Σσᵢ² and a 95% normal
//! interval. What is *shown* is post-processed: clamped to ≥ 0, and suppressed below the policy's
//! minimum cell. Nothing here ever sees a single student: the inputs are released cells only.

use std::collections::{BTreeMap, HashMap};

use lantern_policies::dp::{CellKey, CellValue};
use serde::Serialize;

use crate::store::StoredPartition;

/// z for a two-sided 95% normal interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A sum of independent noisy values and its variance.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct NoisySum {
    pub value: f64,
    pub variance: f64,
    /// Contributions (nodes × cells) in the sum.
    pub terms: u32,
    /// Contributions that were suppressed at the node and so are missing from the sum.
    pub suppressed: u32,
}

impl NoisySum {
    pub fn add_cell(&mut self, value: CellValue, sigma: f64) {
        match value.noisy() {
            Some(v) => {
                self.value += v as f64;
                self.variance += sigma * sigma;
                self.terms += 1;
            }
            None => self.suppressed += 1,
        }
    }

    pub fn plus(self, other: NoisySum) -> NoisySum {
        NoisySum {
            value: self.value + other.value,
            variance: self.variance + other.variance,
            terms: self.terms + other.terms,
            suppressed: self.suppressed + other.suppressed,
        }
    }

    pub fn sd(&self) -> f64 {
        self.variance.sqrt()
    }
}

/// One estimate as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// Sum of the unclamped noisy values (absent when every contribution was suppressed).
    pub estimate: Option<f64>,
    /// Standard deviation of the noise in the sum, √Σσᵢ².
    pub sd: f64,
    /// 95% interval for the true count.
    pub ci95: Option<[f64; 2]>,
    /// For display: the estimate rounded and clamped to ≥ 0, or absent when below the policy's
    /// minimum cell (or nothing was released).
    pub shown: Option<i64>,
    /// Node cells that were suppressed at the node and are missing from the sum.
    pub suppressed_cells: u32,
}

impl Estimate {
    pub fn of(sum: NoisySum, min_cell: u32) -> Estimate {
        if sum.terms == 0 {
            return Estimate { estimate: None, sd: 0.0, ci95: None, shown: None, suppressed_cells: sum.suppressed };
        }
        let sd = sum.sd();
        let shown = (sum.value >= f64::from(min_cell)).then(|| sum.value.round().max(0.0) as i64);
        Estimate {
            estimate: Some(sum.value),
            sd,
            ci95: Some([sum.value - Z95 * sd, sum.value + Z95 * sd]),
            shown,
            suppressed_cells: sum.suppressed,
        }
    }
}

/// A cell's key as text, for grouping: labels joined by `|`, or `(other)`.
pub fn key_text(key: &CellKey) -> String {
    match key {
        CellKey::Cell(labels) => labels.join("|"),
        CellKey::Other => "(other)".into(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellTrend {
    pub key: CellKey,
    pub district: Estimate,
    /// Per school (node id): that node's own noisy cell.
    pub schools: BTreeMap<String, Estimate>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartitionTrend {
    pub per: Option<String>,
    pub subgroup: Option<String>,
    pub cells: Vec<CellTrend>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodTrend {
    pub period: String,
    pub schools: Vec<String>,
    pub partitions: Vec<PartitionTrend>,
}

/// Groups released partitions of one table by period, partition and cell, summing across nodes.
/// `periods` gives the order of periods (oldest first).
pub fn trends(parts: &[StoredPartition], periods: &[String], min_cell: u32) -> Vec<PeriodTrend> {
    type PartKey = (Option<String>, Option<String>);
    // period → partition → (cell key text → (key, district sum, per-node sums)), in first-seen order.
    struct Part {
        order: Vec<String>,
        cells: HashMap<String, (CellKey, NoisySum, BTreeMap<String, NoisySum>)>,
    }
    // Per period: partitions in first-seen order, their cells, and the schools that released.
    type PeriodParts = (Vec<PartKey>, HashMap<PartKey, Part>, Vec<String>);
    let mut by_period: HashMap<&str, PeriodParts> = HashMap::new();
    for p in parts {
        let (order, map, schools) = by_period.entry(p.period.as_str()).or_default();
        if !schools.contains(&p.node_id) {
            schools.push(p.node_id.clone());
        }
        let pk = (p.per.clone(), p.subgroup.clone());
        let part = map.entry(pk.clone()).or_insert_with(|| {
            order.push(pk.clone());
            Part { order: Vec::new(), cells: HashMap::new() }
        });
        for (key, value, sigma) in p.cells() {
            let text = key_text(key);
            let entry = part.cells.entry(text.clone()).or_insert_with(|| {
                part.order.push(text.clone());
                (key.clone(), NoisySum::default(), BTreeMap::new())
            });
            entry.1.add_cell(value, sigma);
            entry.2.entry(p.node_id.clone()).or_default().add_cell(value, sigma);
        }
    }
    let mut out = Vec::new();
    for period in periods {
        let Some((order, mut map, mut schools)) = by_period.remove(period.as_str()) else { continue };
        schools.sort();
        let partitions = order
            .into_iter()
            .filter_map(|pk| {
                let mut part = map.remove(&pk)?;
                let cells = part
                    .order
                    .iter()
                    .filter_map(|t| part.cells.remove(t))
                    .map(|(key, sum, nodes)| CellTrend {
                        key,
                        district: Estimate::of(sum, min_cell),
                        schools: nodes.into_iter().map(|(n, s)| (n, Estimate::of(s, min_cell))).collect(),
                    })
                    .collect();
                Some(PartitionTrend { per: pk.0, subgroup: pk.1, cells })
            })
            .collect();
        out.push(PeriodTrend { period: period.clone(), schools, partitions });
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn part(node: &str, period: &str, cells: &[(&str, Option<i64>, f64)]) -> StoredPartition {
        StoredPartition {
            node_id: node.into(),
            period: period.into(),
            per: None,
            subgroup: Some("sex".into()),
            keys: Arc::new(cells.iter().map(|(k, _, _)| CellKey::Cell(vec![k.to_string()])).collect()),
            values: cells.iter().map(|(_, v, _)| v.map_or(CellValue::Suppressed, CellValue::Noisy)).collect(),
            sigmas: cells.iter().map(|(_, _, s)| *s).collect(),
        }
    }

    #[test]
    fn sums_unclamped_values_and_variances_across_nodes() {
        let parts = [
            part("a", "2026-10", &[("female", Some(-3), 3.0), ("male", Some(40), 3.0)]),
            part("b", "2026-10", &[("female", Some(8), 4.0), ("male", None, 4.0)]),
        ];
        let t = trends(&parts, &["2026-10".into()], 10);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].schools, vec!["a", "b"]);
        let female = &t[0].partitions[0].cells[0];
        // -3 + 8 = 5, unclamped; σ² = 9 + 16 = 25.
        assert_eq!(female.district.estimate, Some(5.0));
        assert!((female.district.sd - 5.0).abs() < 1e-12);
        let [lo, hi] = female.district.ci95.unwrap();
        assert!((lo - (5.0 - Z95 * 5.0)).abs() < 1e-9 && (hi - (5.0 + Z95 * 5.0)).abs() < 1e-9);
        // Below the minimum cell: not shown. The negative node value is shown as nothing too.
        assert_eq!(female.district.shown, None);
        assert_eq!(female.schools["a"].shown, None);
        let male = &t[0].partitions[0].cells[1];
        assert_eq!(male.district.estimate, Some(40.0));
        assert_eq!(male.district.suppressed_cells, 1);
        assert_eq!(male.district.shown, Some(40));
        assert_eq!(male.schools["b"].estimate, None);
    }

    #[test]
    fn periods_follow_the_given_order() {
        let parts = [part("a", "2026-11", &[("f", Some(1), 1.0)]), part("a", "2026-10", &[("f", Some(1), 1.0)])];
        let t = trends(&parts, &["2026-10".into(), "2026-11".into(), "2026-12".into()], 0);
        assert_eq!(t.iter().map(|p| p.period.as_str()).collect::<Vec<_>>(), ["2026-10", "2026-11"]);
        assert_eq!(t[0].partitions[0].cells[0].district.shown, Some(1));
    }
}
