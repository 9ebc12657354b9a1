//! `lantern bench release`: one release of more than 5,000 cells — plan the OpenDP measurement,
//! draw the noise, sign and encrypt — from 2,000 in-memory student records, repeated; reports the
//! median. The policy is the shipped one with the per-standard cap raised to 80 standards, and 12
//! alert rules, so that the release passes 5,000 cells.

use std::time::Instant;

use anyhow::Context;
use chrono::Utc;
use lantern_policies::dp::{plan_release, PublicPartitions, StudentRecord};
use lantern_policies::envelope::{seal, Release};
use lantern_policies::release_policy::{PartitionSource, ReleasePolicy, DEFAULT_RELEASE_POLICY};
use lantern_policies::PolicySource;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// The shipped policy with room for `standards` standards in the mastery table.
pub fn wide_policy(standards: usize) -> anyhow::Result<ReleasePolicy> {
    let text = DEFAULT_RELEASE_POLICY.replace("max_per = 30", &format!("max_per = {standards}"));
    ReleasePolicy::load(&PolicySource { name: "bench-release.toml".into(), text }).map_err(|d| {
        anyhow::anyhow!("bench policy: {}", d.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
    })
}

/// Deterministic synthetic records: every attribute the shipped policy reads.
pub fn records(students: usize, public: &PublicPartitions, seed: u64) -> Vec<StudentRecord> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let sexes = ["female", "male"];
    let races = ["hispanic_or_latino", "asian", "black_african_american", "white", "two_or_more"];
    (0..students)
        .map(|i| {
            let mut s = StudentRecord::new(format!("p_{i:06}"));
            s.set("grade", ["06", "07", "08"][i % 3])
                .set("tier", ["0", "0", "0", "1", "2", "3"][rng.gen_range(0..6)])
                .set("sex", sexes[rng.gen_range(0..2)])
                .set("race_ethnicity", races[rng.gen_range(0..races.len())])
                .set("intervention_type", "none")
                .set("intervention_outcome", "none")
                .set("outcome_level", ["1", "2", "3", "4"][rng.gen_range(0..4)])
                .set("attendance_band", "satisfactory")
                .set("attendance_rate_bin", format!("{}", rng.gen_range(0.6..1.0)))
                .set("absences_14d_bin", rng.gen_range(0..6).to_string())
                .set("focus_mastery_min_bin", format!("{}", rng.gen_range(0.0..1.0)));
            for r in &public.rules {
                s.set_for(PartitionSource::Rule, r.clone(), "flagged", if rng.gen_bool(0.15) { "yes" } else { "no" });
            }
            for st in &public.standards {
                s.set_for(
                    PartitionSource::Standard,
                    st.clone(),
                    "mastery_band",
                    format!("{}", rng.gen_range(0.0..1.0)),
                );
            }
            s
        })
        .collect()
}

pub fn run(students: usize, runs: usize) -> anyhow::Result<Value> {
    let policy = wide_policy(80)?;
    let public = PublicPartitions {
        rules: (1..=12).map(|i| format!("rule-{i:02}")).collect(),
        standards: (1..=80).map(|i| format!("CCSS.MATH.CONTENT.{}.STD.{i}", 6 + i % 3)).collect(),
    };
    let dir = tempfile::tempdir().context("creating a scratch directory")?;
    let files = lantern_policies::keys::generate(dir.path())?;
    let signing = lantern_policies::keys::load_signing_key(&files.node_signing_key)?;
    let recipient = lantern_policies::keys::load_age_recipient(&files.aggregator_recipient)?;
    let students_records = records(students, &public, 7);
    let period = policy.period_containing(Utc::now().date_naive());
    let node: lantern_policies::envelope::NodeId = "bench-school".parse().map_err(anyhow::Error::msg)?;

    let mut times = Vec::with_capacity(runs);
    let (mut cells, mut bytes, mut rho) = (0, 0, 0.0);
    for run in 0..runs.max(1) {
        let t = Instant::now();
        let plan = plan_release(&policy, &public)?;
        let tables = plan.compute(&students_records)?;
        let release = Release::new(node.clone(), run as u64 + 1, period.clone(), &policy, tables, Utc::now());
        let sealed = seal(&release, &signing, &recipient)?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        eprintln!("bench release: run {} of {}: {:.1} ms", run + 1, runs, ms);
        times.push(ms);
        cells = release.cell_count();
        bytes = sealed.len();
        rho = release.rho_spent;
    }
    times.sort_by(f64::total_cmp);
    Ok(json!({
        "bench": "release",
        "machine": super::machine(),
        "students": students,
        "cells": cells,
        "runs": times.len(),
        "median_ms": super::r3(super::quantile(&times, 0.5)),
        "min_ms": super::r3(times.first().copied().unwrap_or(0.0)),
        "max_ms": super::r3(times.last().copied().unwrap_or(0.0)),
        "sealed_bytes": bytes,
        "rho": rho,
    }))
}
