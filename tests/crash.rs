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
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let config = dir.path().join("node.toml");
    let data = dir.path().join("data");
    std::fs::write(&config, format!("data_dir = {:?}\nlisten = \"127.0.0.1:{port}\"\n", data.display().to_string()))
        .unwrap();
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
