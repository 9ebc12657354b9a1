//! The cell layout of one partition: which student attributes key it, the public cross product
//! of their domains (every key, in a fixed order), and where one student lands in it.

use crate::release_policy::{Domain, PartitionSource, Placement, ReleasePolicy, TableSpec, SUBGROUP};

use super::inputs::StudentRecord;

/// The cell index standing for "not in the public domain": OpenDP's count-by-categories counts it
/// in the explicit extra "other" cell after the listed categories.
pub(crate) const OTHER: u32 = u32::MAX;

/// One dimension of a partition: the public domain it lands in (whose name is the student
/// attribute it reads), and that domain's position in [`AttributeDomains`].
#[derive(Debug, Clone)]
struct Slot {
    domain: Domain,
    index: usize,
}

/// Every domain and subgroup family of a policy, in a fixed order, so that a student's general
/// attributes are placed once per student rather than once per partition.
#[derive(Debug, Clone)]
pub(crate) struct AttributeDomains(Vec<Domain>);

impl AttributeDomains {
    pub fn of(policy: &ReleasePolicy) -> AttributeDomains {
        AttributeDomains(policy.domains().values().chain(policy.subgroups()).cloned().collect())
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|d| d.name() == name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.index(name).is_some()
    }

    /// Where each of the student's general attributes lands, in domain order.
    pub fn place(&self, student: &StudentRecord) -> Vec<Placement> {
        self.0.iter().map(|d| d.place(student.attributes.get(d.name()).map(String::as_str))).collect()
    }
}

/// One partition of one table: for a per-rule table, one rule; for a table with a subgroup
/// dimension, one subgroup family; or both.
#[derive(Debug, Clone)]
pub(crate) struct PartitionLayout {
    pub per: Option<(PartitionSource, String)>,
    /// The subgroup family name, when the table has a subgroup dimension.
    pub subgroup: Option<String>,
    slots: Vec<Slot>,
    /// Row-major strides; the last dimension varies fastest.
    strides: Vec<u32>,
    pub cells: u32,
}

/// A student whose record lacks a value that has no fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MissingValue {
    pub attribute: String,
}

impl PartitionLayout {
    /// Every partition of `table`, given the public rules/standards: per items outermost, then
    /// subgroup families in policy order. The policy guarantees every dimension has a domain and
    /// that a partition has at most `MAX_CELLS_PER_PARTITION` cells.
    pub fn for_table(
        policy: &ReleasePolicy,
        attributes: &AttributeDomains,
        table: &TableSpec,
        items: &[String],
    ) -> Vec<PartitionLayout> {
        let pers: Vec<Option<(PartitionSource, String)>> = match table.per {
            Some(source) => items.iter().map(|i| Some((source, i.clone()))).collect(),
            None => vec![None],
        };
        let families: Vec<Option<&Domain>> =
            if table.has_subgroup() { policy.subgroups().iter().map(Some).collect() } else { vec![None] };
        let mut out = Vec::new();
        for per in &pers {
            for family in &families {
                let slots: Vec<Slot> = table
                    .dimensions
                    .iter()
                    .filter_map(|d| {
                        let domain = if d == SUBGROUP { (*family).cloned() } else { policy.domain(d).cloned() };
                        let index = domain.as_ref().and_then(|d| attributes.index(d.name()));
                        domain.zip(index).map(|(domain, index)| Slot { domain, index })
                    })
                    .collect();
                let mut strides = vec![1u32; slots.len()];
                for i in (0..slots.len().saturating_sub(1)).rev() {
                    strides[i] = strides[i + 1] * slots[i + 1].domain.labels().len() as u32;
                }
                let cells = slots.iter().map(|s| s.domain.labels().len() as u32).product();
                out.push(PartitionLayout {
                    per: per.clone(),
                    subgroup: family.map(|f| f.name().to_string()),
                    slots,
                    strides,
                    cells,
                });
            }
        }
        out
    }

    /// The cell a student is counted in, or [`OTHER`] when one of their values is outside a
    /// domain without fallback. `general` is `AttributeDomains::place` of the same student; a
    /// per-rule or per-standard value of the student's takes precedence over it.
    pub fn locate(&self, student: &StudentRecord, general: &[Placement]) -> Result<u32, MissingValue> {
        let mut index = 0u32;
        let mut outside = false;
        for (slot, stride) in self.slots.iter().zip(&self.strides) {
            let own = self.per.as_ref().and_then(|(s, item)| student.per_value(*s, item, slot.domain.name()));
            let placement = match own {
                Some(value) => slot.domain.place(Some(value)),
                None => general.get(slot.index).copied().unwrap_or(Placement::Missing),
            };
            match placement {
                Placement::At(i) => index += i * stride,
                Placement::Outside => outside = true,
                Placement::Missing => return Err(MissingValue { attribute: slot.domain.name().to_string() }),
            }
        }
        Ok(if outside { OTHER } else { index })
    }

    /// The key of every cell, in index order.
    pub fn keys(&self) -> Vec<Vec<String>> {
        (0..self.cells)
            .map(|index| {
                self.slots
                    .iter()
                    .zip(&self.strides)
                    .map(|(slot, stride)| {
                        let labels = slot.domain.labels();
                        labels[(index / stride) as usize % labels.len()].clone()
                    })
                    .collect()
            })
            .collect()
    }

    /// `rule r1, subgroup sex` — for messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some((source, item)) = &self.per {
            parts.push(format!("{} {item}", source.name()));
        }
        if let Some(f) = &self.subgroup {
            parts.push(format!("subgroup {f}"));
        }
        parts.join(", ")
    }
}
