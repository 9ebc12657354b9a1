//! `lantern bench latency`: time from a statement's commit acknowledgement to its event at a
//! subscribed SSE client, under a steady background load. A real node serves on a loopback port;
//! an MTSS client holds `/api/v1/stream?class=<probe class>` open over HTTP.
//!
//! Load: statements are written the way ingest writes them (this bench predates the xAPI endpoint;
//! driving the load through `POST /xapi/statements` is still to do) — the
//! learning events inserted and the node's event sink run inside one writer job (`in_transaction`),
//! then `after_commit` — in batches of 100 at the requested rate. Probes (one answer in the probe
//! class) are written the same way, concurrently; the acknowledgement time is when the write
//! returns (committed), the arrival time when the client has read the event off the socket.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use lantern_node::auth::{self, Role};
use lantern_node::clock::SystemClock;
use lantern_node::config::NodeConfig;
use lantern_node::events::{EventSink, LearningEvent};
use lantern_node::http::{self, AppState};
use lantern_node::store::indicators::seed;
use lantern_node::store::{Store, StoreError};
use serde_json::{json, Value};

const PASSWORD: &str = "bench latency password";
const BATCH: usize = 100;
const CLASSES: usize = 40;
const STUDENTS_PER_CLASS: usize = 30;
const ITEMS: usize = 60;
const PROBE_CLASS: &str = "c-probe";

fn setup(store: &Store) -> anyhow::Result<()> {
    store.write_blocking(|c| -> Result<(), StoreError> {
        seed::class(c, PROBE_CLASS, "Probe class", "06")?;
        seed::student(c, "probe", "Probe", "Student", Some(PROBE_CLASS))?;
        for k in 0..CLASSES {
            seed::class(c, &format!("c{k}"), &format!("Class {k}"), "06")?;
        }
        let choices = [("a", true, None), ("b", false, Some("m1")), ("c", false, Some("m2")), ("d", false, None)];
        for i in 0..ITEMS {
            let standard = format!("CCSS.MATH.CONTENT.6.RP.A.{}", i % 6);
            seed::item(c, &format!("item{i}"), &[&standard], &choices)?;
        }
        Ok(())
    })?;
    auth::add_user(store, "bench-mtss", Role::Mtss, Some(PASSWORD), None, chrono::Utc::now())?;
    Ok(())
}

struct Feeder {
    store: Store,
    sink: Arc<dyn EventSink>,
    seq: Arc<AtomicI64>,
}

impl Feeder {
    fn event(&self, seq: i64, student: String, class: String, session: String, n: usize) -> LearningEvent {
        let at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        let mut e = seed::answer(
            seq,
            &student,
            &at,
            &format!("item{}", n % ITEMS),
            Some((&class, &session)),
            !n.is_multiple_of(3),
            "a",
        );
        if n.is_multiple_of(3) {
            e.response = Some(["b", "c", "d"][n % 9 / 3].to_owned());
        }
        e
    }

    /// Writes the events as ingest does and returns when they are committed (the acknowledgement).
    async fn write(&self, events: Vec<LearningEvent>) -> anyhow::Result<Instant> {
        let (sink, evs) = (self.sink.clone(), events.clone());
        let changes = self
            .store
            .write(move |c| {
                for e in &evs {
                    seed::event(c, e)?;
                }
                sink.in_transaction(c, &evs)
            })
            .await?;
        let acked = Instant::now();
        self.sink.after_commit(&events, changes);
        Ok(acked)
    }
}

async fn login(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let r = client
        .post(format!("{base}/api/v1/login"))
        .json(&json!({"username": "bench-mtss", "password": PASSWORD, "kind": "api"}))
        .send()
        .await?;
    let v: Value = r.json().await?;
    v["token"].as_str().map(str::to_owned).context("login returned no token")
}

pub fn run(rate: u32, seconds: u32) -> anyhow::Result<Value> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(run_async(rate, seconds))
}

async fn run_async(rate: u32, seconds: u32) -> anyhow::Result<Value> {
    let dir = tempfile::tempdir()?;
    let config = NodeConfig { data_dir: dir.path().to_path_buf(), ..NodeConfig::default() };
    let store = lantern_node::commands::open_store(&config)?;
    let s = store.clone();
    tokio::task::spawn_blocking(move || setup(&s)).await??;
    let policies = Arc::new(lantern_node::policies::Policies::defaults()?);
    let state = AppState::new(config, store.clone(), Arc::new(SystemClock), policies);
    let sink = state.event_sink.clone().context("the node has no event sink")?;
    let node = http::start(state, "127.0.0.1:0".parse()?).await?;
    let base = node.url();
    let client = reqwest::Client::new();
    let token = login(&client, &base).await?;
    let mut stream = client
        .get(format!("{base}/api/v1/stream?class={PROBE_CLASS}"))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()?;

    let seq = Arc::new(AtomicI64::new(1));
    let feeder = Arc::new(Feeder { store: store.clone(), sink, seq: seq.clone() });
    let stop = Arc::new(AtomicU64::new(0));
    let loaded = Arc::new(AtomicU64::new(0));
    eprintln!("bench latency: {rate} statements/s of background load for {seconds} s");

    // Background load: BATCH events every BATCH/rate seconds.
    let load = {
        let (f, stop, loaded) = (feeder.clone(), stop.clone(), loaded.clone());
        tokio::spawn(async move {
            let period = Duration::from_secs_f64(BATCH as f64 / f64::from(rate.max(1)));
            let mut tick = tokio::time::interval(period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut n = 0usize;
            while stop.load(Ordering::Relaxed) == 0 {
                tick.tick().await;
                let events: Vec<LearningEvent> = (0..BATCH)
                    .map(|_| {
                        n += 1;
                        let class = n / 7 % CLASSES;
                        let student = format!("s{class}-{}", n % STUDENTS_PER_CLASS);
                        let s = f.seq.fetch_add(1, Ordering::Relaxed);
                        f.event(s, student, format!("c{class}"), format!("sess-c{class}"), n)
                    })
                    .collect();
                // Concurrent batches, as concurrent HTTP requests would be.
                let f2 = f.clone();
                let loaded = loaded.clone();
                tokio::spawn(async move {
                    if f2.write(events).await.is_ok() {
                        loaded.fetch_add(BATCH as u64, Ordering::Relaxed);
                    }
                });
            }
        })
    };

    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    let loaded_at_start = loaded.load(Ordering::Relaxed);
    let mut samples: Vec<f64> = Vec::new();
    let mut buf = String::new();
    let deadline = Instant::now() + Duration::from_secs(u64::from(seconds));
    let mut probe = 0usize;
    while Instant::now() < deadline {
        probe += 1;
        let s = seq.fetch_add(1, Ordering::Relaxed);
        let e = feeder.event(s, "probe".into(), PROBE_CLASS.into(), format!("probe-{probe}"), probe);
        let acked = feeder.write(vec![e]).await?;
        // Read until this probe's answer_received arrives.
        let wait_until = tokio::time::Instant::now() + Duration::from_secs(5);
        // The first event naming the probe's own session is its answer_received.
        let needle = format!("\"session_id\":\"probe-{probe}\"");
        loop {
            if let Some(pos) = buf.find(&needle) {
                samples.push(acked.elapsed().as_secs_f64() * 1000.0);
                buf.drain(..pos + needle.len());
                break;
            }
            match tokio::time::timeout_at(wait_until, stream.chunk()).await {
                Ok(Ok(Some(bytes))) => buf.push_str(&String::from_utf8_lossy(&bytes)),
                _ => anyhow::bail!("probe {probe}: no event within 5 s (stream closed or too slow)"),
            }
        }
        if buf.len() > 1 << 20 {
            buf.clear();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let load_rate = (loaded.load(Ordering::Relaxed) - loaded_at_start) as f64 / elapsed;
    stop.store(1, Ordering::Relaxed);
    let _ = load.await;
    drop(stream);
    node.stop().await?;
    samples.sort_by(f64::total_cmp);
    eprintln!("bench latency: {} probes", samples.len());
    Ok(json!({
        "bench": "latency",
        "machine": super::machine(),
        "load_statements_per_s": load_rate.round(),
        "target_load_statements_per_s": rate,
        "probes": samples.len(),
        "p50_ms": super::r3(super::quantile(&samples, 0.5)),
        "p99_ms": super::r3(super::quantile(&samples, 0.99)),
        "max_ms": super::r3(samples.last().copied().unwrap_or(0.0)),
        "load_driver": "store + event sink (the ingest write path without HTTP)",
    }))
}
