//! What the node hands to the release mechanics: one record per student (already reduced to one
//! value per attribute), and the public lists of rules and standards that per-rule and
//! per-standard tables are partitioned by.

use std::collections::BTreeMap;

use crate::release_policy::PartitionSource;

/// The public items per-rule and per-standard tables are released for. These come from the rules
/// policy in force and the node's item bank — never from student data — and every item listed is
/// released, even one no student touched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublicPartitions {
    /// Alert rule ids of the rules policy in force.
    pub rules: Vec<String>,
    /// Standards of the node's item bank.
    pub standards: Vec<String>,
}

impl PublicPartitions {
    pub fn items(&self, source: PartitionSource) -> &[String] {
        match source {
            PartitionSource::Rule => &self.rules,
            PartitionSource::Standard => &self.standards,
        }
    }

    /// Why `item` cannot be a public partition name, if it cannot: 1 to 64 characters of
    /// `A-Z a-z 0-9 . _ : / -`.
    pub(crate) fn bad_item(item: &str) -> Option<&'static str> {
        if item.is_empty() || item.len() > 64 {
            return Some("must be 1 to 64 characters");
        }
        if !item.chars().all(|c| c.is_ascii_alphanumeric() || "._:/-".contains(c)) {
            return Some("may only contain letters, digits and . _ : / -");
        }
        None
    }
}

/// One student's values for the release, reduced by the node to one value per attribute (for
/// example the most recent intervention, the tier of the strongest alert). Attribute names are
/// the release policy's domain and subgroup family names; values are domain labels, or numbers
/// for bin domains. A value outside a domain is counted under the domain's fallback or the
/// partition's "other" cell, so nothing a student has can make a key that is not public.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StudentRecord {
    /// The node's pseudonymous id, used only to check that no student is given twice. It is not
    /// released, logged, or put in any error message.
    pub student: String,
    /// Attributes that hold for every partition: grade, tier, sex, race_ethnicity, …
    pub attributes: BTreeMap<String, String>,
    /// Per-rule attributes (e.g. `flagged`), by rule id; looked up before `attributes`.
    pub per_rule: BTreeMap<String, BTreeMap<String, String>>,
    /// Per-standard attributes (e.g. `mastery_band`), by standard; looked up before `attributes`.
    pub per_standard: BTreeMap<String, BTreeMap<String, String>>,
}

impl StudentRecord {
    pub fn new(student: impl Into<String>) -> StudentRecord {
        StudentRecord { student: student.into(), ..StudentRecord::default() }
    }

    /// Sets an attribute that holds for every partition.
    pub fn set(&mut self, attribute: impl Into<String>, value: impl Into<String>) -> &mut Self {
        self.attributes.insert(attribute.into(), value.into());
        self
    }

    /// Sets an attribute for one rule or one standard.
    pub fn set_for(
        &mut self,
        source: PartitionSource,
        item: impl Into<String>,
        attribute: impl Into<String>,
        value: impl Into<String>,
    ) -> &mut Self {
        let map = match source {
            PartitionSource::Rule => &mut self.per_rule,
            PartitionSource::Standard => &mut self.per_standard,
        };
        map.entry(item.into()).or_default().insert(attribute.into(), value.into());
        self
    }

    pub(crate) fn per(&self, source: PartitionSource) -> &BTreeMap<String, BTreeMap<String, String>> {
        match source {
            PartitionSource::Rule => &self.per_rule,
            PartitionSource::Standard => &self.per_standard,
        }
    }

    /// The student's own value of `attribute` for one rule or standard, if they have one.
    pub(crate) fn per_value(&self, source: PartitionSource, item: &str, attribute: &str) -> Option<&str> {
        self.per(source).get(item).and_then(|m| m.get(attribute)).map(String::as_str)
    }
}

/// Everything one release is computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReleaseInputs {
    pub partitions: PublicPartitions,
    /// One record per student counted by this node in the period (enrolled at its end).
    pub students: Vec<StudentRecord>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn per_item_values() {
        let mut s = StudentRecord::new("p1");
        s.set("flagged", "no").set_for(PartitionSource::Rule, "r1", "flagged", "yes");
        assert_eq!(s.per_value(PartitionSource::Rule, "r1", "flagged"), Some("yes"));
        assert_eq!(s.per_value(PartitionSource::Rule, "r2", "flagged"), None);
        assert_eq!(s.per_value(PartitionSource::Standard, "r1", "flagged"), None);
        assert_eq!(s.attributes.get("flagged").map(String::as_str), Some("no"));
    }

    #[test]
    fn partition_item_names() {
        assert_eq!(PublicPartitions::bad_item("CCSS.MATH.CONTENT.6.RP.A.1"), None);
        assert_eq!(PublicPartitions::bad_item("attendance-and-mastery"), None);
        assert!(PublicPartitions::bad_item("").is_some());
        assert!(PublicPartitions::bad_item("has space").is_some());
        assert!(PublicPartitions::bad_item(&"x".repeat(65)).is_some());
    }
}
