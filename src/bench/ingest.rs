//! `lantern bench ingest`: a real node on a loopback port (temporary data directory, a synthetic
//! school's roster and items imported, one data source) takes synthetic xAPI statements in
//! batches from several concurrent keep-alive HTTP clients; afterwards every acknowledged id is
//! looked up in the database. Server and clients share this machine (and its cores).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use lantern_node::store::StoreError;
use lantern_node::synth::{self, SynthParams};
use serde_json::{json, Value};

use super::school_node::{batches, SchoolNode};

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct IngestParams {
    pub statements: usize,
    pub clients: usize,
    pub batch: usize,
    /// No new batch is sent after this many seconds.
    pub max_seconds: u64,
    /// Run the node without its event sink (indicators and alerts), to measure the ingest path
    /// alone.
    pub without_sink: bool,
    /// The node's database encrypted with SQLCipher.
    pub encrypted: bool,
}

/// `runs` runs of [`run`], each on a fresh node: the median run's object (by statements_per_s),
/// with `runs` and every run's `runs_statements_per_s` added.
pub fn run_median(p: &IngestParams, runs: usize) -> anyhow::Result<Value> {
    anyhow::ensure!(runs > 0, "runs must be positive");
    let mut results = Vec::with_capacity(runs);
    for i in 0..runs {
        if runs > 1 {
            eprintln!("bench ingest: run {} of {runs}", i + 1);
        }
        results.push(run(*p)?);
    }
    Ok(median_run(results))
}

/// The run with the median throughput (the upper one of an even count), with `runs` and every
/// run's `runs_statements_per_s` (in run order) added.
fn median_run(mut results: Vec<Value>) -> Value {
    let rate = |v: &Value| v["statements_per_s"].as_f64().unwrap_or(0.0);
    let all: Vec<f64> = results.iter().map(rate).collect();
    let runs = results.len();
    results.sort_by(|a, b| rate(a).total_cmp(&rate(b)));
    let mut median = if results.is_empty() { json!({}) } else { results.swap_remove(runs / 2) };
    if let Some(o) = median.as_object_mut() {
        o.insert("runs".into(), json!(runs));
        o.insert("runs_statements_per_s".into(), json!(all));
    }
    median
}

pub fn run(p: IngestParams) -> anyhow::Result<Value> {
    anyhow::ensure!(p.statements > 0 && p.clients > 0 && p.batch > 0, "statements, clients and batch must be positive");
    let dir = tempfile::tempdir().context("creating a scratch directory")?;
    let students = 400;
    let items_per_day = 30;
    // About 93% of student-days answer: a few days more than the plain quotient.
    let days = (p.statements / (students * items_per_day as usize) + 2) as u32 + 1;
    let params = SynthParams { students, days, items_per_day, ..SynthParams::default() };
    eprintln!("bench ingest: synthetic school of {students} students × {days} days");
    let batches = {
        let school = synth::generate(&params);
        batches(school.statements().take(p.statements), |_| p.batch)
    };
    let total: usize = batches.iter().map(|b| b.ids.len()).sum();
    eprintln!("bench ingest: {total} statements in {} batches of {}", batches.len(), p.batch);

    let server_rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).thread_name("node-http").enable_all().build()?;
    let school = SchoolNode::start(&params, dir.path(), !p.without_sink, p.encrypted, &server_rt)?;
    let store = school.node.state.store.clone();

    let client_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bench-client")
        .enable_all()
        .build()?;
    let batches = Arc::new(batches);
    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(Mutex::new(Vec::<usize>::new()));
    let latencies = Arc::new(Mutex::new(Vec::<f64>::new()));
    let failures = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(p.max_seconds);
    eprintln!("bench ingest: posting with {} clients", p.clients);
    let started = Instant::now();
    let cpu_before = (process_cpu_seconds(), THREADS.map(thread_cpu_seconds));
    let poster = school.poster(p.clients)?;
    client_rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..p.clients {
            let poster = poster.clone();
            let (batches, next, acked, latencies, failures) =
                (batches.clone(), next.clone(), acked.clone(), latencies.clone(), failures.clone());
            tasks.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                let mut times = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= batches.len() || Instant::now() > deadline {
                        break;
                    }
                    let t = Instant::now();
                    match poster.post(batches[i].body.clone()).await {
                        Ok(()) => {
                            times.push(t.elapsed().as_secs_f64() * 1000.0);
                            mine.push(i);
                        }
                        Err(e) => {
                            eprintln!("bench ingest: batch {i}: {e}");
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
                acked.lock().unwrap_or_else(|e| e.into_inner()).extend(mine);
                latencies.lock().unwrap_or_else(|e| e.into_inner()).extend(times);
            }));
        }
        for t in tasks {
            t.await?;
        }
        anyhow::Ok(())
    })?;
    let posted = started.elapsed().as_secs_f64();
    // "With indicators updated": the clock stops when the indicator engine has written every
    // acknowledged statement's derived rows, not when the last acknowledgement arrives.
    let settled = p.without_sink
        || server_rt.block_on(school.node.state.indicators.settled(Duration::from_secs(p.max_seconds.max(60))));
    anyhow::ensure!(settled, "the indicator engine did not catch up");
    let seconds = started.elapsed().as_secs_f64();
    let cpu = process_cpu_seconds() - cpu_before.0;
    let per_thread: Vec<f64> = THREADS.iter().zip(cpu_before.1).map(|(t, b)| thread_cpu_seconds(t) - b).collect();
    let writer_cpu = per_thread[0];
    let stats = store.writer_stats();

    eprintln!("bench ingest: checking every acknowledged id is stored");
    let acked_ids: Vec<String> =
        acked.lock().unwrap_or_else(|e| e.into_inner()).iter().flat_map(|&i| batches[i].ids.iter().cloned()).collect();
    let acknowledged = acked_ids.len();
    let missing = store.read_blocking(move |c| -> Result<usize, StoreError> {
        let mut st = c.prepare("SELECT count(*) FROM statement WHERE id = ?1")?;
        let mut missing = 0;
        for id in &acked_ids {
            if st.query_row([id], |r| r.get::<_, i64>(0))? != 1 {
                missing += 1;
            }
        }
        Ok(missing)
    })?;
    let events = store.read_blocking(|c| -> Result<i64, StoreError> {
        Ok(c.query_row("SELECT count(*) FROM learning_event", [], |r| r.get(0))?)
    })?;
    server_rt.block_on(school.node.stop())?;

    let mut lat = latencies.lock().unwrap_or_else(|e| e.into_inner()).clone();
    lat.sort_by(f64::total_cmp);
    Ok(json!({
        "bench": "ingest",
        "machine": super::machine(),
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        "statements": acknowledged,
        "statements_per_s": (acknowledged as f64 / seconds).round(),
        "p50_ms": super::r3(super::quantile(&lat, 0.5)),
        "p99_ms": super::r3(super::quantile(&lat, 0.99)),
        "acknowledged_missing": missing,
        "event_sink": !p.without_sink,
        "encrypted": p.encrypted,
        "clients": p.clients,
        "batch": p.batch,
        "seconds": super::r3(seconds),
        // From the last acknowledgement to the indicators written.
        "indicators_settle_ms": super::r3((seconds - posted) * 1000.0),
        "failed_requests": failures.load(Ordering::Relaxed),
        "learning_events": events,
        "writer_jobs": stats.jobs,
        "writer_commits": stats.commits,
        // Flushes of the WAL that acknowledged committed groups (durability "full", the default).
        "wal_flushes": stats.wal_flushes,
        "peak_rss_mb": super::r3(super::peak_rss_mb()),
        // CPU time of this process (server and clients) and of the database writer thread, per
        // statement: steadier than wall-clock figures on a shared machine.
        "cpu_us_per_statement": super::r3(cpu * 1e6 / acknowledged.max(1) as f64),
        "writer_cpu_us_per_statement": super::r3(writer_cpu * 1e6 / acknowledged.max(1) as f64),
        // The same per thread group: where the CPU goes (the clients share the machine).
        "cpu_us_per_statement_by_thread": THREADS.iter().zip(&per_thread)
            .map(|(t, s)| (t.to_string(), json!(super::r3(s * 1e6 / acknowledged.max(1) as f64))))
            .collect::<serde_json::Map<_, _>>(),
    }))
}

/// Threads whose CPU time is reported: the database writer, the indicator engine, the node's HTTP
/// workers, the WAL flush and checkpoint threads, and the benchmark's own clients.
const THREADS: [&str; 6] =
    ["lantern-writer", "lantern-indicat", "node-http", "lantern-walsync", "lantern-ckpt", "bench-client"];

/// User + system CPU seconds of this process so far (Linux `/proc/self/stat`).
pub fn process_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat").ok().map_or(0.0, |s| stat_cpu_seconds(&s))
}

/// CPU seconds of the threads of this process with this name.
pub fn thread_cpu_seconds(name: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0.0 };
    tasks
        .flatten()
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == name))
        .filter_map(|t| std::fs::read_to_string(t.path().join("stat")).ok())
        .map(|s| stat_cpu_seconds(&s))
        .sum()
}

/// utime + stime of a `/proc/.../stat` line, in seconds (assuming the usual 100 ticks/s).
fn stat_cpu_seconds(stat: &str) -> f64 {
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th there.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_run_is_reported_with_every_run() {
        let runs: Vec<Value> =
            [31.0, 27.0, 35.0].iter().map(|r| json!({"statements_per_s": r, "p99_ms": r * 2.0})).collect();
        let m = median_run(runs);
        assert_eq!(m["statements_per_s"], json!(31.0));
        assert_eq!(m["p99_ms"], json!(62.0), "the figures are the median run's own");
        assert_eq!(m["runs"], json!(3));
        assert_eq!(m["runs_statements_per_s"], json!([31.0, 27.0, 35.0]));
    }
}
