//! Durability of live ingest: a node PROCESS takes xAPI batches from concurrent clients, is killed
//! with SIGKILL in the middle of the load and restarted; every statement it acknowledged must
//! then be returned by GET, and none twice.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const VERSION: &str = "1.0.3";

fn lantern(config: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lantern"));
    cmd.arg("node").arg("--config").arg(config);
    // The child reads only the config file we wrote.
    for (key, _) in std::env::vars() {
        if key.starts_with("LANTERN_") {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// A scratch directory with a `node.toml` for a node on a free loopback port:
/// (directory, base URL, config path, data directory).
fn node_dir() -> (tempfile::TempDir, String, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = dir.path().join("node.toml");
    let data = dir.path().join("data");
    std::fs::write(&config, format!("data_dir = {:?}\nlisten = \"127.0.0.1:{port}\"\n", data.display().to_string()))
        .unwrap();
    (dir, format!("http://127.0.0.1:{port}"), config, data)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `lantern node source add`, returning (key, secret) from what it prints.
fn add_source(config: &Path) -> (String, String) {
    let out = lantern(config).args(["source", "add", "crash-test"]).output().unwrap();
    assert!(out.status.success(), "source add: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let field =
        |label: &str| text.lines().find_map(|l| l.split_once(label).map(|(_, v)| v.trim().to_string())).unwrap();
    (field("username (key):"), field("password (secret):"))
}

/// Starts `lantern node serve` and waits until it answers; the caller kills and waits for it.
#[allow(clippy::zombie_processes)] // the child is handed to the caller, who waits for it
async fn serve(config: &Path, base: &str, client: &reqwest::Client) -> Child {
    let mut child = lantern(config).arg("serve").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                return child;
            }
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the node did not come up");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn batch(client_no: usize, n: usize, size: usize) -> (String, Vec<String>) {
    let mut ids = Vec::with_capacity(size);
    let statements: Vec<Value> = (0..size)
        .map(|i| {
            let id = format!("{:08x}-0000-4000-8000-{:012x}", client_no, n * size + i);
            ids.push(id.clone());
            json!({
                "id": id,
                "actor": {"mbox": format!("mailto:learner{}@school.example", i % 40)},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
                "object": {"id": format!("https://items.example/item/{}", i % 25)},
                "result": {"success": i % 3 != 0, "response": "b"},
            })
        })
        .collect();
    (Value::Array(statements).to_string(), ids)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_statement_is_lost_or_duplicated_after_kill_9() {
    let (_dir, base, config, _data) = node_dir(); // `_dir` keeps the directory until the end
    let (key, secret) = add_source(&config);
    let client = reqwest::Client::new();
    let mut node = serve(&config, &base, &client).await;

    // Four clients post batches of 50 until the node dies under them.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut tasks = Vec::new();
    for c in 0..4 {
        let (client, base, key, secret, acked) =
            (client.clone(), base.clone(), key.clone(), secret.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            for n in 0.. {
                let (body, ids) = batch(c, n, 50);
                let sent = client
                    .post(format!("{base}/xapi/statements"))
                    .basic_auth(&key, Some(&secret))
                    .header("X-Experience-API-Version", VERSION)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 200 => acked.lock().unwrap().extend(ids),
                    Ok(r) => panic!("batch refused: {}", r.status()),
                    Err(_) => return, // the node is gone
                }
            }
        }));
    }
    let start = Instant::now();
    while acked.lock().unwrap().len() < 3_000 && start.elapsed() < Duration::from_secs(60) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    node.kill().unwrap(); // SIGKILL: no shutdown path runs
    node.wait().unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let acked: Vec<String> = acked.lock().unwrap().clone();
    assert!(acked.len() >= 3_000, "the load ran ({} acknowledged)", acked.len());

    let mut node = serve(&config, &base, &client).await;
    let get = |query: String| {
        client
            .get(format!("{base}/xapi/statements{query}"))
            .basic_auth(&key, Some(&secret))
            .header("X-Experience-API-Version", VERSION)
            .send()
    };
    let mut missing = 0;
    for id in &acked {
        if get(format!("?statementId={id}")).await.unwrap().status() != 200 {
            missing += 1;
        }
    }
    // Every stored statement, by paging: no id twice.
    let mut listed = Vec::new();
    let mut page: Value = get("?limit=500".into()).await.unwrap().json().await.unwrap();
    loop {
        listed.extend(page["statements"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap().to_string()));
        let more = page["more"].as_str().unwrap().to_string();
        if more.is_empty() {
            break;
        }
        let cursor = more.strip_prefix("/xapi/statements").unwrap().to_string();
        page = get(cursor).await.unwrap().json().await.unwrap();
    }
    node.kill().unwrap();
    node.wait().unwrap();
    let distinct: HashSet<&String> = listed.iter().collect();
    assert_eq!(missing, 0, "acknowledged statements lost after kill -9");
    assert_eq!(distinct.len(), listed.len(), "a statement is stored twice");
    assert!(listed.len() >= acked.len(), "{} listed < {} acknowledged", listed.len(), acked.len());
}

/// Posts `statements` in batches of `size` from `clients` concurrent clients until done or the
/// node dies; returns how many statements were acknowledged.
async fn post_all(base: String, key: String, secret: String, statements: Arc<Vec<Value>>, clients: usize) -> usize {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let acked = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, base, key, secret) = (client.clone(), base.clone(), key.clone(), secret.clone());
        let (statements, next, acked) = (statements.clone(), next.clone(), acked.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let start = next.fetch_add(25, std::sync::atomic::Ordering::SeqCst);
                if start >= statements.len() {
                    return;
                }
                let batch = &statements[start..(start + 25).min(statements.len())];
                let sent = client
                    .post(format!("{base}/xapi/statements"))
                    .basic_auth(&key, Some(&secret))
                    .header("X-Experience-API-Version", VERSION)
                    .json(&batch)
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status() == 200 => {
                        acked.fetch_add(batch.len(), std::sync::atomic::Ordering::SeqCst);
                    }
                    Ok(r) => panic!("batch refused: {}", r.status()),
                    Err(_) => return, // the node is gone
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    acked.load(std::sync::atomic::Ordering::SeqCst)
}

/// The indicator engine applies committed events off the ingest path and records how far it got
/// with its derived rows. Killed with SIGKILL mid-load (events committed but not yet applied, or
/// applied in memory but not written), a restarted node must end with exactly the indicators a
/// full rebuild computes from the stored events: nothing lost, nothing counted twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn indicators_survive_kill_9_exactly_once() {
    let (dir, base, config, data) = node_dir();
    let school = dir.path().join("school");
    let out = Command::new(env!("CARGO_BIN_EXE_lantern"))
        .args(["synth", "--students", "60", "--days", "4", "--out"])
        .arg(&school)
        .output()
        .unwrap();
    assert!(out.status.success(), "synth: {}", String::from_utf8_lossy(&out.stderr));
    for (kind, path) in [("oneroster", school.join("oneroster")), ("items", school.join("items.csv"))] {
        let out = lantern(&config).args(["import", kind]).arg(&path).output().unwrap();
        assert!(out.status.success(), "import {kind}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let (key, secret) = add_source(&config);
    let text = std::fs::read_to_string(school.join("statements.ndjson")).unwrap();
    let statements: Arc<Vec<Value>> = Arc::new(text.lines().map(|l| serde_json::from_str(l).unwrap()).collect());
    assert!(statements.len() > 5_000, "{} statements", statements.len());

    let client = reqwest::Client::new();
    let mut node = serve(&config, &base, &client).await;
    let load = tokio::spawn(post_all(base.clone(), key.clone(), secret.clone(), statements.clone(), 4));
    let started = Instant::now();
    let db = lantern_node::store::open_temp_at(&data.join("node.db")).unwrap();
    // Kill it once a good part of the load has been stored.
    while started.elapsed() < Duration::from_secs(60) {
        let stored = count(&db, "SELECT count(*) FROM statement");
        if stored > statements.len() as i64 / 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    node.kill().unwrap();
    node.wait().unwrap();
    let acked_before = load.await.unwrap();
    assert!(acked_before > 0 && acked_before < statements.len(), "killed mid-load ({acked_before} acknowledged)");

    // Restart, send everything again (identical resends are accepted and stored once).
    let mut node = serve(&config, &base, &client).await;
    assert_eq!(post_all(base.clone(), key.clone(), secret.clone(), statements.clone(), 4).await, statements.len());
    let events = count(&db, "SELECT count(*) FROM learning_event");
    assert!(events > 5_000, "{events} learning events");
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(&db, "SELECT applied_seq FROM indicator_progress") < count(&db, "SELECT max(seq) FROM learning_event") {
        assert!(Instant::now() < deadline, "the indicator engine did not catch up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    node.kill().unwrap();
    node.wait().unwrap();

    let store = db;
    let incremental = store.read_blocking(lantern_node::store::indicators::reads::dump_derived).unwrap();
    let bkt = lantern_node::policies::Policies::defaults().unwrap().rules.bkt_model();
    store.write(move |c| lantern_node::indicators::rebuild(c, &bkt, false)).await.unwrap();
    let rebuilt = store.read_blocking(lantern_node::store::indicators::reads::dump_derived).unwrap();
    assert!(incremental.len() > 1_000, "{} derived rows", incremental.len());
    let tables = |rows: &[String]| {
        let mut m = std::collections::BTreeMap::<String, usize>::new();
        for r in rows {
            *m.entry(r.split(':').next().unwrap().to_string()).or_default() += 1;
        }
        m
    };
    assert_eq!(tables(&incremental), tables(&rebuilt), "rows per derived table");
    let differing = incremental.iter().zip(&rebuilt).filter(|(a, b)| a != b).count();
    assert_eq!(incremental.len(), rebuilt.len(), "derived row counts differ");
    assert_eq!(differing, 0, "derived rows differ from a rebuild: first {:?}", {
        incremental.iter().zip(&rebuilt).find(|(a, b)| a != b)
    });
}

/// One integer from the node's database, read while it may be running (WAL readers never block).
fn count(db: &lantern_node::store::Store, sql: &str) -> i64 {
    db.read_blocking(|c| -> Result<Option<i64>, lantern_node::store::StoreError> {
        Ok(c.query_row(sql, [], |r| r.get(0))?)
    })
    .ok()
    .flatten()
    .unwrap_or(0)
}
