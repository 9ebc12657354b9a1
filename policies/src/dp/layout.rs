//! The cell layout of one partition: which student attributes key it, the public cross product
//! of their domains (every key, in a fixed order), and where one student lands in it.

use crate::release_policy::{Domain, PartitionSource, Placement, ReleasePolicy, TableSpec, SUBGROUP};

use super::inputs::StudentRecord;

/// The cell index standing for "not in the public domain": OpenDP's count-by-categories counts it
/// in the explicit extra "other" cell after the listed categories.
pub(crate) const OTHER: u32 = u32::MAX;

/// One dimension of a partition: the attribute it reads and the public domain it lands in.
#[derive(Debug, Clone)]
struct Slot {
    attribute: String,
    domain: Domain,
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
    pub fn for_table(policy: &ReleasePolicy, table: &TableSpec, items: &[String]) -> Vec<PartitionLayout> {
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
                        domain.map(|domain| Slot { attribute: domain.name().to_string(), domain })
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
    /// domain without fallback.
    pub fn locate(&self, student: &StudentRecord) -> Result<u32, MissingValue> {
        let per = self.per.as_ref().map(|(s, i)| (*s, i.as_str()));
        let mut index = 0u32;
        let mut outside = false;
        for (slot, stride) in self.slots.iter().zip(&self.strides) {
            match slot.domain.place(student.value(per, &slot.attribute)) {
                Placement::At(i) => index += i * stride,
                Placement::Outside => outside = true,
                Placement::Missing => return Err(MissingValue { attribute: slot.attribute.clone() }),
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
