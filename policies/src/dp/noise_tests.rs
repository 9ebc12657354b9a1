//! Statistical tests of the released noise: many releases of fixed data, and the noise (noisy −
//! true count) compared with the discrete Gaussian of the declared σ.
//!
//! The test is Kolmogorov–Smirnov with the Dvoretzky–Kiefer–Wolfowitz–Massart bound as its
//! critical value: P(sup |Fₙ − F| > ε) ≤ 2·exp(−2nε²) for any n and any distribution (for a
//! discrete one like ours it is conservative). With α = 10⁻⁶ a correct mechanism fails this test
//! at most once in a million runs. With 40 × 251 samples the critical distance is 0.027, while a σ
//! off by 30% either way moves the CDF by about 0.06 near x = σ (≈ 8 standard errors), so it is
//! rejected (checked below) except with negligible probability.

use super::tests::public;
use super::*;
use crate::policy_file::PolicySource;

/// False-failure rate of the test.
const ALPHA: f64 = 1e-6;
/// Cells in the test table's single partition (plus "other").
const CELLS: usize = 250;
/// Releases of the same data.
const RELEASES: usize = 40;

/// One table, one partition of `CELLS` values, no suppression, ρ chosen for σ = 3.
fn noise_policy() -> ReleasePolicy {
    let values: Vec<String> = (0..CELLS).map(|i| format!("\"c{i:03}\"")).collect();
    let text = format!(
        r#"kind = "release"
privacy_unit = "student"
period = "month"
delta = 1e-10
min_cell = 0
[budget]
period_rho = 0.1
year_rho = 1.2
[domains.v]
values = [{}]
[[tables]]
id = "t"
measure = "count"
dimensions = ["v"]
contribution_bound = 1
rho = {}
suppress = false
"#,
        values.join(", "),
        1.0 / (2.0 * 9.0)
    );
    ReleasePolicy::load(&PolicySource { name: "noise.toml".into(), text }).unwrap_or_else(|e| panic!("{e:#?}"))
}

/// Noise samples from `RELEASES` releases of fixed data (cell i holds i % 7 students), and the σ
/// every cell declared.
fn noise_samples() -> (Vec<i64>, f64) {
    let policy = noise_policy();
    let mut students = Vec::new();
    let mut truth = vec![0i64; CELLS + 1];
    for (cell, count) in truth.iter_mut().enumerate().take(CELLS) {
        for k in 0..cell % 7 {
            let mut s = StudentRecord::new(format!("{cell}-{k}"));
            s.set("v", format!("c{cell:03}"));
            students.push(s);
            *count += 1;
        }
    }
    for k in 0..5 {
        let mut s = StudentRecord::new(format!("outside-{k}"));
        s.set("v", "not-a-value");
        students.push(s);
        truth[CELLS] += 1;
    }
    let inputs = ReleaseInputs { partitions: public(&[], &[]), students };
    let mut samples = Vec::new();
    let mut sigma = None;
    for _ in 0..RELEASES {
        let out = compute_release(&policy, &inputs).unwrap();
        let cells = &out.tables[0].partitions[0].cells;
        assert_eq!(cells.len(), CELLS + 1);
        for (c, t) in cells.iter().zip(&truth) {
            let declared = *sigma.get_or_insert(c.sigma);
            assert_eq!(c.sigma, declared, "one σ per partition");
            samples.push(c.value.noisy().expect("no suppression in this table") - t);
        }
    }
    (samples, sigma.expect("at least one cell"))
}

/// CDF of the discrete Gaussian with scale σ (P[X = k] ∝ exp(−k²/2σ²)) at −K..=K.
fn discrete_gaussian_cdf(sigma: f64) -> (i64, Vec<f64>) {
    let k = (40.0 * sigma).ceil() as i64 + 1;
    let weights: Vec<f64> = (-k..=k).map(|x| (-((x * x) as f64) / (2.0 * sigma * sigma)).exp()).collect();
    let total: f64 = weights.iter().sum();
    let mut acc = 0.0;
    (
        -k,
        weights
            .iter()
            .map(|w| {
                acc += w / total;
                acc
            })
            .collect(),
    )
}

/// Kolmogorov–Smirnov distance between the samples and the discrete Gaussian(σ), and the DKW
/// critical value at `ALPHA`. Both CDFs are step functions jumping only at integers, so the
/// supremum is reached at an integer.
fn ks_test(samples: &[i64], sigma: f64) -> (f64, f64) {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let n = sorted.len() as f64;
    let (lo, cdf) = discrete_gaussian_cdf(sigma);
    assert!(sorted[0] >= lo && sorted[sorted.len() - 1] < lo + cdf.len() as i64, "samples beyond 40σ");
    let mut below = 0usize;
    let mut distance: f64 = 0.0;
    for (i, f) in cdf.iter().enumerate() {
        let x = lo + i as i64;
        while below < sorted.len() && sorted[below] <= x {
            below += 1;
        }
        distance = distance.max((below as f64 / n - f).abs());
    }
    (distance, ((2.0 / ALPHA).ln() / (2.0 * n)).sqrt())
}

#[test]
fn released_noise_is_the_declared_discrete_gaussian() {
    let (samples, sigma) = noise_samples();
    assert!((sigma - 3.0).abs() < 1e-3, "σ = {sigma}");
    let (d, critical) = ks_test(&samples, sigma);
    assert!(d <= critical, "KS distance {d:.4} > {critical:.4} at α = {ALPHA}: noise does not match σ = {sigma}");
    let mean = samples.iter().sum::<i64>() as f64 / samples.len() as f64;
    assert!(mean.abs() < 6.0 * sigma / (samples.len() as f64).sqrt(), "mean {mean}");
}

#[test]
fn a_wrong_sigma_would_be_detected() {
    let (samples, sigma) = noise_samples();
    // Noise 30% smaller than declared (the declared σ overstates the protection)…
    let (d, critical) = ks_test(&samples, sigma * 1.3);
    assert!(d > critical, "σ×1.3 not detected: {d:.4} ≤ {critical:.4}");
    // …and 30% larger than declared.
    let (d, critical) = ks_test(&samples, sigma / 1.3);
    assert!(d > critical, "σ/1.3 not detected: {d:.4} ≤ {critical:.4}");
}

#[test]
fn ks_test_accepts_exact_discrete_gaussian_quantiles() {
    // Deterministic samples at the CDF's quantiles: distance ≈ 1/n, so this checks the test itself.
    let (lo, cdf) = discrete_gaussian_cdf(2.0);
    let n = 4000;
    let samples: Vec<i64> = (0..n)
        .map(|i| {
            let u = (i as f64 + 0.5) / n as f64;
            lo + cdf.iter().position(|f| *f >= u).unwrap_or(cdf.len() - 1) as i64
        })
        .collect();
    let (d, critical) = ks_test(&samples, 2.0);
    assert!(d < 2.0 / n as f64 && d < critical, "{d}");
    assert!(ks_test(&samples, 2.6).0 > critical);
}
