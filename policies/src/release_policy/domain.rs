//! Public domains: the fixed, published list of values a release dimension can take (grades, tiers,
//! subgroup values, indicator bins). Every cell key of a release comes from these lists, never from
//! the data, so the set of released cells says nothing about who is present.

use std::collections::HashMap;

/// Where one student's value lands in a domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// The position of the value's label in [`Domain::labels`].
    At(u32),
    /// The value is not in the domain and the domain has no fallback: the student is counted in
    /// the partition's explicit "other" cell.
    Outside,
    /// The student has no value and the domain has no fallback.
    Missing,
}

/// How values map to labels: an explicit list, or numeric bins cut at edges.
#[derive(Debug, Clone, PartialEq)]
pub enum DomainKind {
    Values,
    /// Bins `[-inf, e0)`, `[e0, e1)`, …, `[e_last, inf)`; edges strictly increasing.
    Bins {
        edges: Vec<f64>,
    },
}

/// One public domain, e.g. `grade = 06, 07, 08 + fallback other`.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    name: String,
    description: String,
    kind: DomainKind,
    /// Every label, in release order; the fallback (if any) is last.
    labels: Vec<String>,
    fallback: Option<u32>,
    index: HashMap<String, u32>,
}

impl Domain {
    /// A domain of listed values. The caller (policy validation) has checked that values are
    /// distinct, non-empty, and that the fallback is not one of them.
    pub(crate) fn values(name: &str, values: Vec<String>, fallback: Option<String>) -> Domain {
        Domain::build(name, DomainKind::Values, values, fallback)
    }

    /// A domain of numeric bins. The caller has checked that edges are finite and increasing.
    pub(crate) fn bins(name: &str, edges: Vec<f64>, fallback: Option<String>) -> Domain {
        let labels = bin_labels(&edges);
        Domain::build(name, DomainKind::Bins { edges }, labels, fallback)
    }

    fn build(name: &str, kind: DomainKind, mut labels: Vec<String>, fallback: Option<String>) -> Domain {
        let fallback = fallback.map(|f| {
            labels.push(f);
            (labels.len() - 1) as u32
        });
        let index = labels.iter().enumerate().map(|(i, l)| (l.clone(), i as u32)).collect();
        Domain { name: name.to_string(), description: String::new(), kind, labels, fallback, index }
    }

    pub(crate) fn with_description(mut self, description: Option<String>) -> Domain {
        self.description = description.unwrap_or_default();
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the domain means, from the policy file (may be empty).
    pub fn description(&self) -> &str {
        &self.description
    }

    pub fn kind(&self) -> &DomainKind {
        &self.kind
    }

    /// Every public label, in the order cells are released (fallback last).
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// The label that values outside the domain (and missing values) are counted under, if any.
    pub fn fallback(&self) -> Option<&str> {
        self.fallback.map(|i| self.labels[i as usize].as_str())
    }

    /// Bin edges, for bin domains (the aggregator needs them to form "flagged at threshold t").
    pub fn edges(&self) -> Option<&[f64]> {
        match &self.kind {
            DomainKind::Bins { edges } => Some(edges),
            DomainKind::Values => None,
        }
    }

    /// Where a student's raw value falls. For bin domains the value is a number (e.g. `"0.87"`),
    /// or the fallback label itself.
    pub fn place(&self, value: Option<&str>) -> Placement {
        let Some(value) = value else {
            return self.fallback.map_or(Placement::Missing, Placement::At);
        };
        let found = match &self.kind {
            DomainKind::Values => self.index.get(value).copied(),
            DomainKind::Bins { edges } => match value.trim().parse::<f64>() {
                Ok(x) if !x.is_nan() => Some(edges.partition_point(|e| *e <= x) as u32),
                _ => self.fallback.filter(|f| self.labels[*f as usize] == value),
            },
        };
        match found.or(self.fallback) {
            Some(i) => Placement::At(i),
            None => Placement::Outside,
        }
    }

    /// The bin label a number falls in (bin domains only).
    pub fn bin_label(&self, x: f64) -> Option<&str> {
        match (&self.kind, self.place(Some(&x.to_string()))) {
            (DomainKind::Bins { .. }, Placement::At(i)) => Some(self.labels[i as usize].as_str()),
            _ => None,
        }
    }
}

/// `[-inf,0.8)`, `[0.8,0.85)`, …, `[0.95,inf)`.
fn bin_labels(edges: &[f64]) -> Vec<String> {
    let mut bounds = vec!["-inf".to_string()];
    bounds.extend(edges.iter().map(|e| e.to_string()));
    bounds.push("inf".to_string());
    bounds.windows(2).map(|w| format!("[{},{})", w[0], w[1])).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn grade() -> Domain {
        Domain::values("grade", vec!["06".into(), "07".into(), "08".into()], Some("other".into()))
    }

    #[test]
    fn listed_values_and_fallback() {
        let d = grade();
        assert_eq!(d.labels(), ["06", "07", "08", "other"]);
        assert_eq!(d.place(Some("07")), Placement::At(1));
        assert_eq!(d.place(Some("09")), Placement::At(3), "outside values go to the fallback");
        assert_eq!(d.place(None), Placement::At(3), "missing values go to the fallback");
        assert_eq!(d.place(Some("other")), Placement::At(3));
    }

    #[test]
    fn without_fallback_outside_and_missing_are_distinct() {
        let d = Domain::values("flagged", vec!["yes".into(), "no".into()], None);
        assert_eq!(d.place(Some("maybe")), Placement::Outside);
        assert_eq!(d.place(None), Placement::Missing);
        assert_eq!(d.fallback(), None);
    }

    #[test]
    fn bins_cut_at_edges_inclusive_below() {
        let d = Domain::bins("rate", vec![0.8, 0.9], Some("none".into()));
        assert_eq!(d.labels(), ["[-inf,0.8)", "[0.8,0.9)", "[0.9,inf)", "none"]);
        assert_eq!(d.place(Some("0.79")), Placement::At(0));
        assert_eq!(d.place(Some("0.8")), Placement::At(1), "an edge belongs to the bin it opens");
        assert_eq!(d.place(Some(" 0.95 ")), Placement::At(2));
        assert_eq!(d.place(Some("-inf")), Placement::At(0));
        assert_eq!(d.place(Some("NaN")), Placement::At(3));
        assert_eq!(d.place(Some("none")), Placement::At(3));
        assert_eq!(d.place(Some("lots")), Placement::At(3));
        assert_eq!(d.bin_label(0.85), Some("[0.8,0.9)"));
        assert_eq!(d.edges(), Some(&[0.8, 0.9][..]));
    }

    #[test]
    fn bins_without_fallback_reject_non_numbers() {
        let d = Domain::bins("absences", vec![1.0, 2.0], None);
        assert_eq!(d.place(Some("two")), Placement::Outside);
        assert_eq!(d.place(None), Placement::Missing);
        assert_eq!(d.place(Some("2")), Placement::At(2));
        assert_eq!(grade().bin_label(1.0), None);
    }
}
