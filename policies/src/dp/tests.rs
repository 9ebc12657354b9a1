//! Tests of the release mechanics: layout and keys, where students land, accounting read from
//! OpenDP, suppression, and every bad-input path. Statistical tests of the noise itself are in
//! `noise_tests`.

use proptest::prelude::*;

use super::*;
use crate::policy_file::PolicySource;
use crate::release_policy::PartitionSource;

/// A test policy. With a huge ρ the noise is σ ≈ 0.01, so counts come out exact (the chance of a
/// non-zero discrete Gaussian draw at that scale is below 10⁻²⁰⁰⁰) and tests can check where
/// students land.
pub(super) fn policy(rho: f64, min_cell: u32) -> ReleasePolicy {
    let text = format!(
        r#"kind = "release"
privacy_unit = "student"
period = "month"
delta = 1e-10
min_cell = {min_cell}

[budget]
period_rho = {rho}
year_rho = {year}

[domains.grade]
values = ["06", "07", "08"]
fallback = "other"

[domains.flagged]
values = ["yes", "no"]

[domains.band]
edges = [0.5, 0.9]
fallback = "none"

[subgroups.sex]
values = ["female", "male"]
fallback = "unknown"

[subgroups.race]
values = ["a", "b"]
fallback = "unknown"

[[tables]]
id = "by_grade"
measure = "count"
dimensions = ["grade", "subgroup"]
contribution_bound = 1
rho = {quarter}

[[tables]]
id = "audit"
measure = "count"
per = "rule"
max_per = 3
dimensions = ["flagged", "subgroup"]
contribution_bound = 1
rho = {quarter}
suppress = false

[[tables]]
id = "mastery"
measure = "count"
per = "standard"
dimensions = ["band"]
contribution_bound = 1
rho = {half}
suppress = false
"#,
        year = rho * 12.0,
        quarter = rho / 4.0,
        half = rho / 2.0
    );
    ReleasePolicy::load(&PolicySource { name: "test.toml".into(), text }).unwrap_or_else(|e| panic!("{e:#?}"))
}

pub(super) fn public(rules: &[&str], standards: &[&str]) -> PublicPartitions {
    PublicPartitions {
        rules: rules.iter().map(|s| s.to_string()).collect(),
        standards: standards.iter().map(|s| s.to_string()).collect(),
    }
}

fn student(id: &str, grade: &str, sex: &str, race: &str) -> StudentRecord {
    let mut s = StudentRecord::new(id);
    s.set("grade", grade).set("sex", sex).set("race", race).set("flagged", "no");
    s
}

fn cell<'a>(tables: &'a NoisyTables, table: &str, partition: usize, key: &[&str]) -> &'a ReleasedCell {
    let t = tables.tables.iter().find(|t| t.id == table).expect("table present");
    let key = CellKey::Cell(key.iter().map(|s| s.to_string()).collect());
    t.partitions[partition].cells.iter().find(|c| c.key == key).expect("key present")
}

fn other(tables: &NoisyTables, table: &str, partition: usize) -> CellValue {
    let t = tables.tables.iter().find(|t| t.id == table).expect("table present");
    let last = t.partitions[partition].cells.last().expect("cells");
    assert_eq!(last.key, CellKey::Other);
    last.value
}

#[test]
fn every_public_key_is_released_in_order_zeros_included() {
    let p = policy(1e6, 0);
    let inputs = ReleaseInputs { partitions: public(&["r1"], &["s1", "s2"]), students: vec![] };
    let out = compute_release(&p, &inputs).unwrap();
    let by_grade = &out.tables[0];
    assert_eq!(by_grade.partitions.len(), 2, "one partition per subgroup family");
    assert_eq!(by_grade.partitions[0].subgroup.as_deref(), Some("race"), "families in name order");
    let keys: Vec<CellKey> = by_grade.partitions[1].cells.iter().map(|c| c.key.clone()).collect();
    let mut expected = Vec::new();
    for g in ["06", "07", "08", "other"] {
        for s in ["female", "male", "unknown"] {
            expected.push(CellKey::Cell(vec![g.to_string(), s.to_string()]));
        }
    }
    expected.push(CellKey::Other);
    assert_eq!(keys, expected);
    assert!(by_grade.partitions[1].cells.iter().all(|c| c.value == CellValue::Noisy(0)), "no students, exact zeros");
    let mastery = &out.tables[2];
    assert_eq!(mastery.partitions.iter().map(|p| p.per.as_deref()).collect::<Vec<_>>(), [Some("s1"), Some("s2")]);
    assert_eq!(mastery.partitions[0].cells.len(), 5, "3 bins + none + other");
    assert_eq!(out.cell_count(), 2 * 13 + 2 * 7 + 2 * 5);
}

#[test]
fn students_land_in_their_cells() {
    let p = policy(1e6, 0);
    let mut students = vec![
        student("a", "06", "female", "a"),
        student("b", "06", "female", "b"),
        student("c", "09", "male", "b"),      // grade outside the list: fallback "other"
        student("d", "07", "nonbinary", "a"), // sex outside the list: fallback "unknown"
    ];
    students[0].set_for(PartitionSource::Rule, "r1", "flagged", "yes");
    students[1].set_for(PartitionSource::Rule, "r1", "flagged", "maybe"); // no fallback: "other" cell
    students[0].set_for(PartitionSource::Standard, "s1", "band", "0.95");
    students[1].set_for(PartitionSource::Standard, "s1", "band", "0.5");
    let out = compute_release(&p, &ReleaseInputs { partitions: public(&["r1"], &["s1"]), students }).unwrap();

    // by_grade, partition 1 = sex.
    assert_eq!(cell(&out, "by_grade", 1, &["06", "female"]).value, CellValue::Noisy(2));
    assert_eq!(cell(&out, "by_grade", 1, &["other", "male"]).value, CellValue::Noisy(1));
    assert_eq!(cell(&out, "by_grade", 1, &["07", "unknown"]).value, CellValue::Noisy(1));
    assert_eq!(cell(&out, "by_grade", 0, &["06", "b"]).value, CellValue::Noisy(1));
    // audit, rule r1 × race then r1 × sex: per-rule value first, then the general one.
    assert_eq!(cell(&out, "audit", 0, &["yes", "a"]).value, CellValue::Noisy(1));
    assert_eq!(cell(&out, "audit", 0, &["no", "b"]).value, CellValue::Noisy(1), "student c");
    assert_eq!(other(&out, "audit", 0), CellValue::Noisy(1), "student b's \"maybe\"");
    // mastery s1: bins, and the fallback for students without a value.
    assert_eq!(cell(&out, "mastery", 0, &["[0.9,inf)"]).value, CellValue::Noisy(1));
    assert_eq!(cell(&out, "mastery", 0, &["[0.5,0.9)"]).value, CellValue::Noisy(1));
    assert_eq!(cell(&out, "mastery", 0, &["none"]).value, CellValue::Noisy(2));
    // Each partition counts every student exactly once.
    for t in &out.tables {
        for part in &t.partitions {
            let total: i64 = part.cells.iter().filter_map(|c| c.value.noisy()).sum();
            assert_eq!(total, 4, "table {} {:?}/{:?}", t.id, part.per, part.subgroup);
        }
    }
}

#[test]
fn accounting_comes_from_opendp_and_fits_the_shares() {
    let p = policy(0.2, 0);
    let plan = plan_release(&p, &public(&["r1", "r2", "r3"], &["s1", "s2", "s3", "s4"])).unwrap();
    assert!(plan.rho() <= 0.2 && plan.rho() > 0.2 * (1.0 - 1e-5), "{}", plan.rho());
    for (id, rho) in plan.table_rhos() {
        let share = p.table(&id).unwrap().rho;
        assert!(rho <= share && rho > share * (1.0 - 1e-5), "{id}: {rho} vs {share}");
    }
    let out = plan.compute(&[]).unwrap();
    let mastery = out.tables.iter().find(|t| t.id == "mastery").unwrap();
    // 4 standards, one cell each per student: the table moves by √4 = 2 in L2, and each partition
    // gets a quarter of the share, so σ = √(1 / (2 · 0.1/4)) ≈ 4.47.
    assert!((mastery.l2_sensitivity - 2.0).abs() < 1e-12);
    let part = &mastery.partitions[0];
    assert_eq!(part.l2_sensitivity, 1.0);
    assert!((part.rho - 0.025).abs() < 1e-7, "{}", part.rho);
    assert!((part.cells[0].sigma - (1.0f64 / 0.05).sqrt()).abs() < 1e-4, "{}", part.cells[0].sigma);
    let audit = out.tables.iter().find(|t| t.id == "audit").unwrap();
    assert_eq!(audit.partitions.len(), 6, "3 rules × 2 families");
    assert_eq!(audit.contribution_bound, 1);
}

#[test]
fn tables_without_partitions_spend_nothing() {
    let p = policy(0.2, 0);
    let plan = plan_release(&p, &public(&[], &[])).unwrap();
    assert!((plan.rho() - 0.05).abs() < 1e-6, "only by_grade: {}", plan.rho());
    let out = plan.compute(&[]).unwrap();
    assert!(out.tables[1].partitions.is_empty() && out.tables[1].rho == 0.0);
}

#[test]
fn suppression_uses_the_noisy_count_and_sends_no_value() {
    let p = policy(1e6, 2);
    let students =
        vec![student("a", "06", "female", "a"), student("b", "06", "female", "a"), student("c", "07", "male", "a")];
    let out = compute_release(&p, &ReleaseInputs { partitions: public(&["r1"], &[]), students }).unwrap();
    assert_eq!(cell(&out, "by_grade", 1, &["06", "female"]).value, CellValue::Noisy(2));
    assert_eq!(cell(&out, "by_grade", 1, &["07", "male"]).value, CellValue::Suppressed);
    assert_eq!(out.tables[0].suppressed_below, Some(2));
    // Tables with suppress = false send every noisy value.
    assert_eq!(out.tables[1].suppressed_below, None);
    assert_eq!(cell(&out, "audit", 0, &["yes", "a"]).value, CellValue::Noisy(0));
}

#[test]
fn bad_inputs_are_refused_with_where() {
    let p = policy(1.0, 0);
    let run = |partitions: PublicPartitions, students: Vec<StudentRecord>| {
        compute_release(&p, &ReleaseInputs { partitions, students }).unwrap_err().to_string()
    };
    let ok = || student("a", "06", "female", "a");
    assert_eq!(
        run(public(&[], &[]), vec![ok(), student("b", "07", "male", "a"), ok()]),
        "student record 2: repeats an earlier student (one record per student)"
    );
    let mut typo = student("b", "07", "male", "a");
    typo.set("gradee", "07");
    assert_eq!(
        run(public(&[], &[]), vec![ok(), typo]),
        "student record 1: unknown attribute `gradee` (not a domain or subgroup family of the release policy)"
    );
    let mut unknown_rule = ok();
    unknown_rule.set_for(PartitionSource::Rule, "r9", "flagged", "yes");
    assert_eq!(
        run(public(&["r1"], &[]), vec![unknown_rule]),
        "student record 0: rule \"r9\" is not in the release's public rule list"
    );
    let mut no_flag = StudentRecord::new("c");
    no_flag.set("grade", "06");
    assert_eq!(
        run(public(&["r1"], &[]), vec![no_flag]),
        "student record 0: table audit (rule r1, subgroup race): no `flagged` value, and its domain has no fallback"
    );
    assert_eq!(
        run(public(&["r 1"], &[]), vec![]),
        "release inputs: rule \"r 1\" may only contain letters, digits and . _ : / -"
    );
    assert_eq!(run(public(&["r1", "r1"], &[]), vec![]), "release inputs: rule \"r1\" is listed twice");
    assert_eq!(
        run(public(&["r1", "r2", "r3", "r4"], &[]), vec![]),
        "release inputs: table audit allows at most 3 rules, got 4"
    );
}

#[test]
fn a_policy_with_only_per_item_tables_needs_items() {
    let only_rules = r#"kind = "release"
privacy_unit = "student"
period = "month"
delta = 1e-10
min_cell = 0
[budget]
period_rho = 0.1
year_rho = 1.2
[domains.flagged]
values = ["yes", "no"]
[[tables]]
id = "audit"
measure = "count"
per = "rule"
dimensions = ["flagged"]
contribution_bound = 1
rho = 0.1
"#;
    let p = ReleasePolicy::load(&PolicySource { name: "r.toml".into(), text: only_rules.into() }).unwrap();
    let err = compute_release(&p, &ReleaseInputs::default()).unwrap_err();
    assert_eq!(err, ReleaseError::NothingToRelease);
}

#[test]
fn default_policy_releases() {
    let p = ReleasePolicy::builtin().unwrap();
    let mut s = StudentRecord::new("p1");
    s.set("grade", "07")
        .set("tier", "2")
        .set("sex", "female")
        .set("race_ethnicity", "asian")
        .set("attendance_band", "at_risk")
        .set("outcome_level", "2")
        .set("intervention_type", "tutoring")
        .set("intervention_outcome", "ongoing")
        .set("attendance_rate_bin", "0.91")
        .set("absences_14d_bin", "2")
        .set("focus_mastery_min_bin", "0.55")
        .set_for(PartitionSource::Rule, "attendance_and_mastery", "flagged", "yes")
        .set_for(PartitionSource::Standard, "6.RP.A.1", "mastery_band", "0.62");
    let inputs =
        ReleaseInputs { partitions: public(&["attendance_and_mastery"], &["6.RP.A.1", "6.RP.A.2"]), students: vec![s] };
    let plan = plan_release(&p, &inputs.partitions).unwrap();
    assert!(plan.rho() <= p.budget().period_rho);
    let out = plan.compute(&inputs.students).unwrap();
    assert_eq!(out.tables.len(), 8);
    assert!(out.cell_count() > 500, "{}", out.cell_count());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whatever the data and the threshold, a released (unsuppressed) value in a suppressing table
    /// is never below the minimum, every public key is present once, and non-suppressing tables
    /// send every value.
    #[test]
    fn released_cells_respect_the_minimum_and_cover_the_domain(
        min_cell in 0u32..30,
        students in proptest::collection::vec(
            (0usize..5, 0usize..4, 0usize..4, proptest::bool::ANY, -0.5f64..1.5),
            0..60,
        ),
    ) {
        let p = policy(0.5, min_cell);
        let grades = ["06", "07", "08", "09", ""];
        let sexes = ["female", "male", "x", ""];
        let races = ["a", "b", "c", ""];
        let records: Vec<StudentRecord> = students.iter().enumerate().map(|(i, (g, s, r, f, band))| {
            let mut rec = StudentRecord::new(format!("s{i}"));
            for (attr, v) in [("grade", grades[*g]), ("sex", sexes[*s]), ("race", races[*r])] {
                if !v.is_empty() {
                    rec.set(attr, v);
                }
            }
            rec.set("flagged", if *f { "yes" } else { "no" });
            rec.set_for(PartitionSource::Standard, "s1", "band", band.to_string());
            rec
        }).collect();
        let out = compute_release(&p, &ReleaseInputs { partitions: public(&["r1", "r2"], &["s1"]), students: records }).unwrap();
        for t in &out.tables {
            for part in &t.partitions {
                let keys: std::collections::HashSet<&CellKey> = part.cells.iter().map(|c| &c.key).collect();
                prop_assert_eq!(keys.len(), part.cells.len(), "keys are distinct");
                let expected = match t.id.as_str() { "by_grade" => 13, "audit" => 7, _ => 5 };
                prop_assert_eq!(part.cells.len(), expected);
                for c in &part.cells {
                    match (t.suppressed_below, c.value) {
                        (Some(min), CellValue::Noisy(v)) => prop_assert!(v >= i64::from(min)),
                        (None, CellValue::Suppressed) => prop_assert!(false, "table {} suppressed", t.id),
                        _ => {}
                    }
                }
            }
        }
    }
}
