//! `lantern bench latency`: under background xAPI load, the time from a statement's POST
//! acknowledgement to its `answer_received` event at a teacher's open SSE stream — all over real
//! HTTP. A node on a loopback port holds a synthetic school (roster and items imported, indicators
//! and alerts on). Background clients POST the school's statements in small batches (10–25, as quiz
//! tools send them) at a paced total rate; the teacher of one class (the probe class, left out of
//! the background) holds `/api/v1/stream?class=…` open; a probe client POSTs one answer at a time
//! for that class's live session, about 20 per second. A probe's latency runs from the moment its
//! POST response arrives to the moment its event is read off the stream, matched by session,
//! student and item. The achieved background rate is measured, not assumed: when the node cannot
//! keep up, the figures say so.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use lantern_node::auth::{self, Role};
use lantern_node::store::StoreError;
use lantern_node::synth::{self, SynthParams, SynthStatement, SyntheticSchool};
use serde_json::{json, Value};
use uuid::Uuid;

use super::school_node::{batches, SchoolNode, StatementPoster};

const PASSWORD: &str = "bench latency password";
/// Probes per second.
const PROBE_RATE: f64 = 20.0;
/// How long a probe's event may take before it counts as missing.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);
/// Background load before probing starts.
const WARM_UP: Duration = Duration::from_secs(1);

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct LatencyParams {
    /// Target background load, statements per second.
    pub rate: u32,
    /// Probing time.
    pub seconds: u32,
    /// Concurrent background HTTP clients.
    pub clients: usize,
}

/// A probe's key on the stream: (session, pseudonymous student key, item).
type ProbeKey = (String, String, String);

#[derive(Default)]
struct ProbeTimes {
    sent: Option<Instant>,
    acked: Option<Instant>,
    arrived: Option<Instant>,
}

/// The probe class: its id, teacher, students (sourcedId, pseudonymous key) and items.
struct ProbeClass {
    class_id: String,
    teacher: String,
    students: Vec<(String, String)>,
    items: Vec<usize>,
}

pub fn run(p: LatencyParams) -> anyhow::Result<Value> {
    anyhow::ensure!(p.rate > 0 && p.seconds > 0 && p.clients > 0, "rate, seconds and clients must be positive");
    let dir = tempfile::tempdir().context("creating a scratch directory")?;
    // Enough history for the whole run at the target rate (about 93% of student-days answer).
    let students = 400;
    let needed = f64::from(p.rate) * (f64::from(p.seconds) + WARM_UP.as_secs_f64() + 5.0);
    let days = (needed / (students as f64 * 30.0 * 0.9)).ceil() as u32 + 1;
    let params = SynthParams { students, days, ..SynthParams::default() };
    eprintln!("bench latency: synthetic school of {students} students × {days} days");
    let school = synth::generate(&params);
    let probe_class = 0;
    let background = {
        let probe_id = school.classes[probe_class].sourced_id.as_str();
        // Batches of 10 to 25 statements, as quiz tools send them.
        batches(school.statements().filter(|s| s.class_sourced_id != probe_id), |i| 10 + (i * 7) % 16)
    };
    let total: usize = background.iter().map(|b| b.ids.len()).sum();
    eprintln!("bench latency: {total} background statements in {} batches of 10-25", background.len());

    let server_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let node = SchoolNode::start(&params, dir.path(), true, false, &server_rt)?;
    let probe = probe_class_of(&school, probe_class, &node)?;
    auth::add_user(
        &node.node.state.store,
        "bench-teacher",
        Role::Teacher,
        Some(PASSWORD),
        Some(&probe.teacher),
        chrono::Utc::now(),
    )?;
    let poster = node.poster(p.clients + 1)?;
    let base = node.node.url();

    let client_rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let result = client_rt.block_on(measure(p, &base, poster, background, &school, &probe));
    server_rt.block_on(node.node.stop())?;
    let m = result?;

    let mut lat = m.latencies_ms.clone();
    lat.sort_by(f64::total_cmp);
    let sustained = m.load_rate >= 0.95 * f64::from(p.rate);
    if !sustained {
        eprintln!(
            "bench latency: the node sustained {:.0} statements/s of background load, not the {} asked",
            m.load_rate, p.rate
        );
    }
    eprintln!("bench latency: {} probes, {} missing", lat.len(), m.missing);
    Ok(json!({
        "bench": "latency",
        "machine": super::machine(),
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        "load_statements_per_s": m.load_rate.round(),
        "target_load_statements_per_s": p.rate,
        "load_sustained": sustained,
        "p50_ms": super::r3(super::quantile(&lat, 0.5)),
        "p99_ms": super::r3(super::quantile(&lat, 0.99)),
        "max_ms": super::r3(lat.last().copied().unwrap_or(0.0)),
        "probes": lat.len(),
        "probes_missing": m.missing,
        // Events that reached the stream before the probe's POST response reached its client
        // (counted as 0 ms).
        "probes_event_before_ack": m.before_ack,
        "probe_post_p50_ms": super::r3(super::quantile(&m.probe_post_ms, 0.5)),
        "probe_post_p99_ms": super::r3(super::quantile(&m.probe_post_ms, 0.99)),
        // From the probe's POST being sent (before the node has it) to its event at the teacher.
        "send_to_event_p50_ms": super::r3(super::quantile(&m.from_send_ms, 0.5)),
        "send_to_event_p99_ms": super::r3(super::quantile(&m.from_send_ms, 0.99)),
        "load_clients": p.clients,
        "load_batch_statements": "10-25",
        "load_requests": m.requests,
        "load_failed_requests": m.failed,
        "load_post_p50_ms": super::r3(super::quantile(&m.load_post_ms, 0.5)),
        "load_post_p99_ms": super::r3(super::quantile(&m.load_post_ms, 0.99)),
        "seconds": super::r3(m.seconds),
        "stream_closed_early": m.stream_closed,
        "load_driver": "POST /xapi/statements over HTTP",
    }))
}

fn probe_class_of(school: &SyntheticSchool, class: usize, node: &SchoolNode) -> anyhow::Result<ProbeClass> {
    let c = &school.classes[class];
    let sourced: Vec<String> = c.students.iter().map(|&s| school.students[s].person.sourced_id.clone()).collect();
    let students = node.node.state.store.read_blocking(move |conn| -> Result<Vec<(String, String)>, StoreError> {
        let mut out = Vec::new();
        for id in sourced {
            if let Some(key) = lantern_node::store::scope::person_key(conn, &id)? {
                out.push((id, key));
            }
        }
        Ok(out)
    })?;
    anyhow::ensure!(!students.is_empty(), "the probe class has no rostered students");
    let items: Vec<usize> =
        school.standards.iter().filter(|s| s.grade == c.grade).flat_map(|s| s.items.clone()).collect();
    anyhow::ensure!(!items.is_empty(), "no items for the probe class's grade");
    Ok(ProbeClass {
        class_id: c.sourced_id.clone(),
        teacher: school.teachers[c.teacher].person.sourced_id.clone(),
        students,
        items,
    })
}

/// What the measurement saw.
struct Measured {
    latencies_ms: Vec<f64>,
    missing: usize,
    before_ack: usize,
    probe_post_ms: Vec<f64>,
    /// From the probe's POST being sent to its event arriving (what a teacher waits, all in).
    from_send_ms: Vec<f64>,
    load_rate: f64,
    load_post_ms: Vec<f64>,
    requests: usize,
    failed: usize,
    seconds: f64,
    stream_closed: bool,
}

async fn measure(
    p: LatencyParams,
    base: &str,
    poster: StatementPoster,
    background: Vec<super::school_node::Batch>,
    school: &SyntheticSchool,
    probe: &ProbeClass,
) -> anyhow::Result<Measured> {
    let http = reqwest::Client::new();
    let token = login(&http, base).await?;
    let probes: Arc<Mutex<HashMap<ProbeKey, ProbeTimes>>> = Arc::default();
    let stream_closed = Arc::new(AtomicBool::new(false));
    let reader = {
        let response = http
            .get(format!("{base}/api/v1/stream?class={}", probe.class_id))
            .bearer_auth(&token)
            .send()
            .await?
            .error_for_status()?;
        let (probes, closed) = (probes.clone(), stream_closed.clone());
        tokio::spawn(read_stream(response, probes, closed))
    };

    // Background load: batch i is due at start + i × (its share of a second at the target rate).
    let stop = Arc::new(AtomicBool::new(false));
    let loaded = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let background = Arc::new(background);
    let next = Arc::new(AtomicUsize::new(0));
    let load_start = tokio::time::Instant::now();
    let mut due_offsets = Vec::with_capacity(background.len());
    let mut sent_before = 0usize;
    for b in background.iter() {
        due_offsets.push(Duration::from_secs_f64(sent_before as f64 / f64::from(p.rate)));
        sent_before += b.ids.len();
    }
    let due_offsets = Arc::new(due_offsets);
    let mut clients = Vec::new();
    for _ in 0..p.clients {
        let (poster, background, next, due, stop, loaded, failed, requests) = (
            poster.clone(),
            background.clone(),
            next.clone(),
            due_offsets.clone(),
            stop.clone(),
            loaded.clone(),
            failed.clone(),
            requests.clone(),
        );
        clients.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(batch) = background.get(i) else { break };
                // A late client posts at once: the rate achieved is what the node sustained.
                tokio::time::sleep_until(load_start + due[i]).await;
                let t = Instant::now();
                let posted = poster.post(batch.body.clone()).await;
                requests.fetch_add(1, Ordering::Relaxed);
                match posted {
                    Ok(()) => {
                        times.push(t.elapsed().as_secs_f64() * 1000.0);
                        loaded.fetch_add(batch.ids.len() as u64, Ordering::Relaxed);
                    }
                    Err(e) => {
                        if failed.fetch_add(1, Ordering::Relaxed) < 5 {
                            eprintln!("bench latency: background batch {i}: {e}");
                        }
                    }
                }
            }
            times
        }));
    }
    eprintln!("bench latency: {} statements/s of background load from {} clients", p.rate, p.clients);
    tokio::time::sleep(WARM_UP).await;

    // Probes, paced; the measurement window is the probing time.
    let started = Instant::now();
    let loaded_at_start = loaded.load(Ordering::Relaxed);
    let mut probe_post_ms = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / PROBE_RATE));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let deadline = started + Duration::from_secs(u64::from(p.seconds));
    let mut n = 0usize;
    let mut session = Uuid::new_v4();
    let pairs = probe.students.len() * probe.items.len();
    while Instant::now() < deadline && !stream_closed.load(Ordering::Relaxed) {
        tick.tick().await;
        // Each (student, item) answers once per session; a new session when all have.
        if n > 0 && n.is_multiple_of(pairs) {
            session = Uuid::new_v4();
        }
        let (student, key) = &probe.students[n % probe.students.len()];
        let item = probe.items[(n / probe.students.len()) % probe.items.len()];
        let probe_key = (session.to_string(), key.clone(), school.items[item].item_id.clone());
        let body = probe_statement(school, probe, student, item, session, n);
        n += 1;
        let t = Instant::now();
        poster.post(body).await.map_err(|e| anyhow::anyhow!("probe {n}: {e}"))?;
        let acked = Instant::now();
        probe_post_ms.push((acked - t).as_secs_f64() * 1000.0);
        if let Ok(mut all) = probes.lock() {
            let times = all.entry(probe_key).or_default();
            (times.sent, times.acked) = (Some(t), Some(acked));
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let load_rate = (loaded.load(Ordering::Relaxed) - loaded_at_start) as f64 / seconds;
    stop.store(true, Ordering::Relaxed);
    let mut load_post_ms = Vec::new();
    for c in clients {
        load_post_ms.extend(c.await?);
    }
    load_post_ms.sort_by(f64::total_cmp);
    probe_post_ms.sort_by(f64::total_cmp);

    // Give the last probes' events time to arrive, then stop reading.
    let wait_until = Instant::now() + PROBE_TIMEOUT;
    while Instant::now() < wait_until {
        let pending =
            probes.lock().unwrap_or_else(|e| e.into_inner()).values().any(|t| t.acked.is_some() && t.arrived.is_none());
        if !pending || stream_closed.load(Ordering::Relaxed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    reader.abort();
    let probes = std::mem::take(&mut *probes.lock().unwrap_or_else(|e| e.into_inner()));
    let (mut latencies_ms, mut missing, mut before_ack) = (Vec::new(), 0, 0);
    let mut from_send_ms: Vec<f64> =
        probes.values().filter_map(|t| Some((t.arrived? - t.sent?).as_secs_f64() * 1000.0)).collect();
    from_send_ms.sort_by(f64::total_cmp);
    for t in probes.values() {
        match (t.acked, t.arrived) {
            (Some(acked), Some(arrived)) if arrived >= acked => {
                latencies_ms.push((arrived - acked).as_secs_f64() * 1000.0);
            }
            (Some(_), Some(_)) => {
                before_ack += 1;
                latencies_ms.push(0.0);
            }
            (Some(_), None) => missing += 1,
            // An event for a probe whose POST never got its response: the probe loop failed.
            (None, _) => {}
        }
    }
    Ok(Measured {
        latencies_ms,
        missing,
        before_ack,
        probe_post_ms,
        from_send_ms,
        load_rate,
        load_post_ms,
        requests: requests.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        seconds,
        stream_closed: stream_closed.load(Ordering::Relaxed),
    })
}

/// One answer of a probe-class student "now", in the probe session.
fn probe_statement(
    school: &SyntheticSchool,
    probe: &ProbeClass,
    student: &str,
    item: usize,
    session: Uuid,
    n: usize,
) -> Vec<u8> {
    let it = &school.items[item];
    let right = !n.is_multiple_of(3);
    let s = SynthStatement {
        id: Uuid::new_v4(),
        student,
        item_id: &it.item_id,
        activity_id: &it.activity_id,
        class_sourced_id: &probe.class_id,
        registration: session,
        success: right,
        response: if right { it.correct } else { it.distractors[n % 3].choice },
        duration_seconds: 20,
        timestamp: chrono::Utc::now().naive_utc(),
    };
    let mut body = vec![b'['];
    s.write_json(&mut body);
    body.push(b']');
    body
}

/// Reads the SSE stream, recording when each `answer_received` of a probe arrives.
async fn read_stream(
    mut response: reqwest::Response,
    probes: Arc<Mutex<HashMap<ProbeKey, ProbeTimes>>>,
    closed: Arc<AtomicBool>,
) {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) | Err(_) => break,
        };
        let arrived = Instant::now();
        buf.extend_from_slice(&chunk);
        // Whole lines only; a partial line waits for the next chunk.
        let Some(end) = buf.iter().rposition(|&b| b == b'\n') else { continue };
        for key in buf[..end].split(|&b| b == b'\n').filter_map(answer_received) {
            let mut p = probes.lock().unwrap_or_else(|e| e.into_inner());
            p.entry(key).or_default().arrived.get_or_insert(arrived);
        }
        buf.drain(..=end);
    }
    closed.store(true, Ordering::Relaxed);
}

/// The (session, student, item) of an SSE `data:` line carrying an `answer_received` event.
fn answer_received(line: &[u8]) -> Option<ProbeKey> {
    let data = line.strip_prefix(b"data:")?;
    let v: Value = serde_json::from_slice(data.trim_ascii()).ok()?;
    if v["kind"] != "answer_received" {
        return None;
    }
    let field = |k: &str| v[k].as_str().map(str::to_owned);
    Some((field("session_id")?, field("student_key")?, field("item_id")?))
}

async fn login(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let r = client
        .post(format!("{base}/api/v1/login"))
        .json(&json!({"username": "bench-teacher", "password": PASSWORD, "kind": "api"}))
        .send()
        .await?;
    let v: Value = r.json().await?;
    v["token"].as_str().map(str::to_owned).context("login returned no token")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_off_sse_data_lines() {
        let event = lantern_node::live::LiveEvent::AnswerReceived {
            class_id: Some("c1".into()),
            session_id: "s1".into(),
            item_id: "i1".into(),
            student_key: "k1".into(),
            correct: true,
            response: None,
            duration_s: None,
        };
        let line = format!("data: {}", serde_json::to_string(&event).unwrap());
        assert_eq!(answer_received(line.as_bytes()), Some(("s1".into(), "k1".into(), "i1".into())));
        let other = r#"data: {"kind":"mastery_changed","student_key":"k1","standard":"S","mastery":0.5,"evidence":1}"#;
        assert_eq!(answer_received(other.as_bytes()), None);
        assert_eq!(answer_received(b"event: answer_received"), None);
        assert_eq!(answer_received(b"data: {not json"), None);
    }
}
