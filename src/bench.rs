//! `lantern bench NAME`: benchmarks against real servers on loopback ports. Progress goes to
//! stderr; the result is one JSON object on stdout with `"bench"`, `"machine"` and the figures
//! DESIGN.md lists. Figures are recorded in docs/BENCHMARKS.md; no test asserts on time.

mod aggregate;
mod import;
mod ingest;
mod latency;
mod rebuild;
mod release;
mod school_node;

use serde_json::{json, Value};

#[derive(clap::Subcommand, Debug)]
pub enum BenchCommand {
    /// One DP release of more than 5,000 cells (OpenDP + sign + encrypt): cells, median_ms.
    Release {
        #[arg(long, default_value_t = 2000)]
        students: usize,
        #[arg(long, default_value_t = 9)]
        runs: usize,
    },
    /// Sealed releases POSTed to a real aggregator, then the bias audit: releases, ingest_seconds, bias_audit_seconds.
    Aggregate {
        #[arg(long, default_value_t = 100)]
        nodes: usize,
        /// Monthly releases per node (1 to 12).
        #[arg(long, default_value_t = 10)]
        months: u32,
        /// The aggregator's `synchronous` setting: full (the default config) or normal.
        #[arg(long, default_value = "full", value_parser = ["full", "normal"])]
        synchronous: String,
    },
    /// Roster and attendance import: students, rows, seconds.
    Import {
        #[arg(long, default_value_t = 2000)]
        students: usize,
        #[arg(long, default_value_t = 180)]
        days: u32,
    },
    /// xAPI ingest over HTTP: statements, statements_per_s, p50_ms, p99_ms, acknowledged_missing.
    Ingest {
        #[arg(long, default_value_t = 200_000)]
        statements: usize,
        /// Concurrent keep-alive HTTP clients.
        #[arg(long, default_value_t = 8)]
        clients: usize,
        /// Statements per request.
        #[arg(long, default_value_t = 100)]
        batch: usize,
        /// No new request is sent after this many seconds.
        #[arg(long, default_value_t = 120)]
        max_seconds: u64,
        /// Without the event sink (indicators, alerts): the ingest path alone.
        #[arg(long)]
        without_sink: bool,
        /// The node's database encrypted at rest (SQLCipher, a random key in a key file).
        #[arg(long)]
        encrypted: bool,
        /// Runs, each on a fresh node; the figures are the median run's (by statements_per_s),
        /// with every run's throughput under runs_statements_per_s.
        #[arg(long, default_value_t = 1)]
        runs: usize,
    },
    /// POST acknowledgement → SSE event latency under background xAPI load over HTTP:
    /// load_statements_per_s, p50_ms, p99_ms.
    Latency {
        /// Target background load, statements per second (batches of 10-25).
        #[arg(long, default_value_t = 5000)]
        rate: u32,
        /// Seconds of probing (about 20 probes per second).
        #[arg(long, default_value_t = 20)]
        seconds: u32,
        /// Concurrent background HTTP clients (quiz tools).
        #[arg(long, default_value_t = 16)]
        clients: usize,
    },
    /// Full indicator rebuild of a synthetic school year: events, seconds, peak_rss_mb.
    Rebuild {
        #[arg(long, default_value_t = 2000)]
        students: usize,
        #[arg(long, default_value_t = 180)]
        days: u32,
        /// Also collect the answers and fit BKT parameters per standard by EM, as
        /// `lantern node rebuild --fit-bkt` does (figures under fit_bkt_*).
        #[arg(long)]
        fit_bkt: bool,
    },
}

pub fn run(cmd: BenchCommand) -> anyhow::Result<()> {
    let result = match cmd {
        BenchCommand::Import { students, days } => import::run(students, days)?,
        BenchCommand::Ingest { statements, clients, batch, max_seconds, without_sink, encrypted, runs } => {
            let params = ingest::IngestParams { statements, clients, batch, max_seconds, without_sink, encrypted };
            ingest::run_median(&params, runs)?
        }
        BenchCommand::Release { students, runs } => release::run(students, runs)?,
        BenchCommand::Aggregate { nodes, months, synchronous } => {
            let sync = if synchronous == "normal" {
                lantern_aggregator::config::Synchronous::Normal
            } else {
                lantern_aggregator::config::Synchronous::Full
            };
            aggregate::run(nodes, months, sync)?
        }
        BenchCommand::Latency { rate, seconds, clients } => {
            latency::run(latency::LatencyParams { rate, seconds, clients })?
        }
        BenchCommand::Rebuild { students, days, fit_bkt } => rebuild::run(students, days, fit_bkt)?,
    };
    println!("{}", serde_json::to_string(&result)?);
    Ok(())
}

/// A description of this machine for the record: CPU model, cores, memory, OS.
pub fn machine() -> Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem_gb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| (kb / 1024.0 / 1024.0 * 10.0).round() / 10.0);
    json!({"cpu": cpu, "cores": cores, "memory_gb": mem_gb, "os": std::env::consts::OS, "arch": std::env::consts::ARCH})
}

/// The q-quantile (0..=1) of samples, by nearest rank; 0 when empty.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[idx]
}

/// Peak resident set size of this process so far, in MB (Linux `VmHWM`).
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Rounds to 3 decimals for the JSON record.
pub fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_by_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 50.0);
        assert_eq!(quantile(&v, 0.99), 99.0);
        assert_eq!(quantile(&v, 1.0), 100.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
        assert!(machine()["cores"].as_u64().unwrap() >= 1);
    }
}
