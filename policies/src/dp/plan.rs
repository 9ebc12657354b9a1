//! Building and running the OpenDP measurement of one release.
//!
//! The input data set is one row per student (`Vec<u32>`: the student's cell in every partition),
//! under OpenDP's `SymmetricDistance` — neighbouring data sets differ by one student, d_in = 1.
//! Each partition is `select its column` ≫ `make_count_by_categories` (the partition's full public
//! cell domain, plus OpenDP's explicit "other" category) ≫ `make_gaussian` (discrete Gaussian,
//! zCDP); a table is the `make_composition` of its partitions and the release the composition of
//! its tables. Every ρ reported comes from these measurements' own privacy maps.
//!
//! The ρ a release needs depends only on the policy and the public rule/standard lists, not on
//! the data: [`plan_release`] builds the measurement (so the node can check its ledger), and
//! [`ReleasePlan::compute`] runs it once.

use std::collections::HashSet;
use std::ops::Range;

use opendp::combinators::{make_chain_mt, make_composition};
use opendp::core::{Function, Measurement, StabilityMap, Transformation};
use opendp::domains::{AtomDomain, VectorDomain};
use opendp::err;
use opendp::measurements::make_gaussian;
use opendp::measures::ZeroConcentratedDivergence;
use opendp::metrics::{L2Distance, SymmetricDistance};
use opendp::transformations::make_count_by_categories;

use super::inputs::{PublicPartitions, StudentRecord};
use super::layout::{AttributeDomains, PartitionLayout, OTHER};
use super::output::{CellKey, CellValue, NoisyTables, ReleasedCell, ReleasedPartition, ReleasedTable};
use super::ReleaseError;
use crate::release_policy::{PartitionSource, ReleasePolicy, TableSpec};

/// One row per student; each row has one cell index per partition of the release.
type Rows = VectorDomain<VectorDomain<AtomDomain<u32>>>;
type Counts<T> = Measurement<Rows, SymmetricDistance, ZeroConcentratedDivergence, T>;

/// Partition budgets are aimed this far below their share, so that the ρ OpenDP reports (rounded
/// conservatively) never goes over the table's share and the table shares never over the period.
const CALIBRATION_MARGIN: f64 = 1e-6;

/// One planned partition: its layout and the noise it gets.
struct PlannedPartition {
    layout: PartitionLayout,
    sigma: f64,
    rho: f64,
    l2_sensitivity: f64,
}

struct PlannedTable {
    spec: TableSpec,
    /// Indexes into `ReleasePlan::partitions`.
    partitions: Range<usize>,
    rho: f64,
}

/// The measurement of one release, built but not yet run. Not `Send` (OpenDP measurements are
/// not): build and run it on one blocking thread.
pub struct ReleasePlan {
    tables: Vec<PlannedTable>,
    partitions: Vec<PlannedPartition>,
    measurement: Counts<Vec<Vec<Vec<i64>>>>,
    rho: f64,
    min_cell: u32,
    attributes: AttributeDomains,
    /// The public rules and standards, to refuse per-item values for anything else.
    public: [(PartitionSource, HashSet<String>); 2],
}

fn opendp(context: impl Into<String>) -> impl FnOnce(opendp::error::Error) -> ReleaseError {
    let context = context.into();
    move |e| ReleaseError::OpenDp { context, message: e.variant.to_string() + ": " + &e.message.unwrap_or_default() }
}

/// Builds the release measurement for `policy` and the public rule/standard lists. Fails on a bad
/// or over-long list, or when no table has anything to release.
pub fn plan_release(policy: &ReleasePolicy, public: &PublicPartitions) -> Result<ReleasePlan, ReleaseError> {
    for source in [PartitionSource::Rule, PartitionSource::Standard] {
        let mut seen = HashSet::new();
        for item in public.items(source) {
            if let Some(reason) = PublicPartitions::bad_item(item) {
                return Err(ReleaseError::BadPartitionItem { list: source, item: item.clone(), reason });
            }
            if !seen.insert(item) {
                return Err(ReleaseError::BadPartitionItem {
                    list: source,
                    item: item.clone(),
                    reason: "is listed twice",
                });
            }
        }
    }

    let attributes = AttributeDomains::of(policy);
    let mut tables = Vec::new();
    let mut partitions = Vec::new();
    let mut table_measurements = Vec::new();
    for spec in policy.tables() {
        let items = spec.per.map_or(&[][..], |s| public.items(s));
        if let (Some(source), Some(max)) = (spec.per, spec.max_per) {
            if items.len() > max as usize {
                return Err(ReleaseError::TooManyPartitions {
                    table: spec.id.clone(),
                    list: source,
                    count: items.len(),
                    max,
                });
            }
        }
        let layouts = PartitionLayout::for_table(policy, &attributes, spec, items);
        let first = partitions.len();
        let mut measurements = Vec::new();
        if !layouts.is_empty() {
            // The table's share, split evenly: each partition is a separate student-level query.
            let target = spec.rho * (1.0 - CALIBRATION_MARGIN) / layouts.len() as f64;
            for layout in layouts {
                let column = partitions.len();
                let context = format!("table {} {}", spec.id, layout.describe());
                let (m, planned) = partition_measurement(column, layout, target).map_err(opendp(context))?;
                measurements.push(m);
                partitions.push(planned);
            }
        }
        let rho = if measurements.is_empty() {
            0.0
        } else {
            let composed = make_composition(measurements).map_err(opendp(format!("table {}", spec.id)))?;
            let rho = composed.map(&1).map_err(opendp(format!("table {}", spec.id)))?;
            table_measurements.push(composed);
            rho
        };
        tables.push(PlannedTable { spec: spec.clone(), partitions: first..partitions.len(), rho });
    }
    if table_measurements.is_empty() {
        return Err(ReleaseError::NothingToRelease);
    }
    let measurement = make_composition(table_measurements).map_err(opendp("release"))?;
    let rho = measurement.map(&1).map_err(opendp("release"))?;

    Ok(ReleasePlan {
        tables,
        partitions,
        measurement,
        rho,
        min_cell: policy.min_cell(),
        attributes,
        public: [PartitionSource::Rule, PartitionSource::Standard]
            .map(|s| (s, public.items(s).iter().cloned().collect())),
    })
}

/// `select column` ≫ count by categories ≫ discrete Gaussian, with σ calibrated so that the
/// measurement's own privacy map reports at most `rho_target` at d_in = 1.
fn partition_measurement(
    column: usize,
    layout: PartitionLayout,
    rho_target: f64,
) -> opendp::error::Fallible<(Counts<Vec<i64>>, PlannedPartition)> {
    let rows: Rows = VectorDomain::new(VectorDomain::new(AtomDomain::default()));
    // Row-by-row projection: each output row comes from one input row (one student), so adding or
    // removing a student adds or removes at most one row: 1-stable under the symmetric distance.
    let select = Transformation::new(
        rows,
        SymmetricDistance,
        VectorDomain::new(AtomDomain::<u32>::default()),
        SymmetricDistance,
        Function::new(move |rows: &Vec<Vec<u32>>| {
            rows.iter().map(|r| r.get(column).copied().unwrap_or(OTHER)).collect()
        }),
        StabilityMap::new_from_constant(1),
    )?;
    let count = make_count_by_categories::<L2Distance<i64>, u32, i64>(
        select.output_domain.clone(),
        SymmetricDistance,
        (0..layout.cells).collect(),
        true,
    )?;
    let counted = (select >> count)?;
    let sensitivity = counted.map(&1)?;
    let mut sigma = sensitivity as f64 / (2.0 * rho_target).sqrt();
    for _ in 0..64 {
        let noise = make_gaussian::<_, _, ZeroConcentratedDivergence>(
            counted.output_domain.clone(),
            counted.output_metric.clone(),
            sigma,
            None,
        )?;
        let m = make_chain_mt(&noise, &counted)?;
        let rho = m.map(&1)?;
        if rho <= rho_target {
            let planned = PlannedPartition { layout, sigma, rho, l2_sensitivity: sensitivity as f64 };
            return Ok((m, planned));
        }
        sigma *= 1.0 + 1e-9;
    }
    Err(err!(FailedMap, "could not calibrate σ for ρ {}", rho_target))
}

impl ReleasePlan {
    /// zCDP ρ the release will spend (from the composed measurement's privacy map at d_in = 1).
    pub fn rho(&self) -> f64 {
        self.rho
    }

    /// Number of cells the release will contain ("other" cells included).
    pub fn cell_count(&self) -> usize {
        self.partitions.iter().map(|p| p.layout.cells as usize + 1).sum()
    }

    /// ρ per table id, for the ledger and reports.
    pub fn table_rhos(&self) -> Vec<(String, f64)> {
        self.tables.iter().map(|t| (t.spec.id.clone(), t.rho)).collect()
    }

    /// Runs the measurement on the students: the one and only draw of noise for this plan (the
    /// plan is consumed, so the same release cannot be noised twice for one ledger entry).
    pub fn compute(self, students: &[StudentRecord]) -> Result<NoisyTables, ReleaseError> {
        let rows = self.rows(students)?;
        let noisy = self.measurement.invoke(&rows).map_err(opendp("running the release"))?;
        let mut noisy = noisy.into_iter();
        let mut out = Vec::with_capacity(self.tables.len());
        for table in &self.tables {
            let parts = &self.partitions[table.partitions.clone()];
            let counts = if parts.is_empty() { Vec::new() } else { noisy.next().unwrap_or_default() };
            if counts.len() != parts.len() {
                return Err(ReleaseError::OpenDp {
                    context: format!("table {}", table.spec.id),
                    message: format!("expected {} partitions, got {}", parts.len(), counts.len()),
                });
            }
            let threshold = table.spec.suppress.then_some(self.min_cell);
            let partitions =
                parts.iter().zip(counts).map(|(p, values)| released_partition(p, values, threshold)).collect();
            let l2_sensitivity = parts.iter().map(|p| p.l2_sensitivity * p.l2_sensitivity).sum::<f64>().sqrt();
            out.push(ReleasedTable {
                id: table.spec.id.clone(),
                measure: table.spec.measure,
                dimensions: table.spec.dimensions.clone(),
                per: table.spec.per,
                contribution_bound: table.spec.contribution_bound,
                l2_sensitivity,
                rho: table.rho,
                suppressed_below: threshold,
                partitions,
            });
        }
        Ok(NoisyTables { rho: self.rho, tables: out })
    }

    /// One row per student: the student's cell in every partition, checked against the policy.
    fn rows(&self, students: &[StudentRecord]) -> Result<Vec<Vec<u32>>, ReleaseError> {
        let mut seen = HashSet::with_capacity(students.len());
        let mut rows = Vec::with_capacity(students.len());
        for (index, s) in students.iter().enumerate() {
            if !seen.insert(s.student.as_str()) {
                return Err(ReleaseError::DuplicateStudent { index });
            }
            let mut named =
                s.attributes.keys().chain(s.per_rule.values().chain(s.per_standard.values()).flat_map(|m| m.keys()));
            if let Some(attribute) = named.find(|a| !self.attributes.contains(a)) {
                return Err(ReleaseError::UnknownAttribute { index, attribute: attribute.clone() });
            }
            for (source, public) in &self.public {
                if let Some(item) = s.per(*source).keys().find(|k| !public.contains(*k)) {
                    return Err(ReleaseError::UnknownItem { index, list: *source, item: item.clone() });
                }
            }
            let general = self.attributes.place(s);
            let mut row = Vec::with_capacity(self.partitions.len());
            for table in &self.tables {
                for p in &self.partitions[table.partitions.clone()] {
                    let cell = p.layout.locate(s, &general).map_err(|m| ReleaseError::MissingValue {
                        index,
                        table: table.spec.id.clone(),
                        partition: p.layout.describe(),
                        attribute: m.attribute,
                    })?;
                    row.push(cell);
                }
            }
            rows.push(row);
        }
        Ok(rows)
    }
}

/// Pairs each public key with its noisy count (OpenDP's extra last category is "other") and
/// suppresses on the noisy value — post-processing, which costs no privacy.
fn released_partition(p: &PlannedPartition, values: Vec<i64>, threshold: Option<u32>) -> ReleasedPartition {
    let keys = p.layout.keys().into_iter().map(CellKey::Cell).chain(std::iter::once(CellKey::Other));
    let cells = keys
        .zip(values)
        .map(|(key, v)| {
            let value = match threshold {
                Some(min) if v < i64::from(min) => CellValue::Suppressed,
                _ => CellValue::Noisy(v),
            };
            ReleasedCell { key, value, sigma: p.sigma }
        })
        .collect();
    ReleasedPartition {
        per: p.layout.per.as_ref().map(|(_, item)| item.clone()),
        subgroup: p.layout.subgroup.clone(),
        l2_sensitivity: p.l2_sensitivity,
        rho: p.rho,
        cells,
    }
}
