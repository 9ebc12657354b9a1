//! What the HTTP benchmarks (`ingest`, `latency`) share: a real node on a loopback port with a
//! synthetic school's roster and item bank imported and one xAPI data source, statements packed
//! into request bodies, and a keep-alive client that POSTs them to `/xapi/statements` as a quiz
//! tool does.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use lantern_node::clock::SystemClock;
use lantern_node::config::NodeConfig;
use lantern_node::http::RunningNode;
use lantern_node::import::ImportOptions;
use lantern_node::imports::{run_import, ImportInput};
use lantern_node::sources::NewCredentials;
use lantern_node::synth::{self, SynthParams, SynthStatement};

/// A running node holding a synthetic school, and the data source that may post to it.
pub struct SchoolNode {
    pub node: RunningNode,
    pub source: NewCredentials,
}

impl SchoolNode {
    /// Writes the school into `dir/school`, starts a node on `127.0.0.1:0` with its data in
    /// `dir/node` (on the caller's runtime), imports the roster and item bank, and creates the data
    /// source "bench". `with_sink: false` runs the node without its event sink (indicators, alerts);
    /// `encrypted` gives its database a SQLCipher key (a random 256-bit key in a key file).
    pub fn start(
        params: &SynthParams,
        dir: &Path,
        with_sink: bool,
        encrypted: bool,
        runtime: &tokio::runtime::Runtime,
    ) -> anyhow::Result<SchoolNode> {
        let school_dir = dir.join("school");
        synth::write_school(params, &school_dir).context("writing the synthetic school")?;
        let mut config =
            NodeConfig { data_dir: dir.join("node"), listen: "127.0.0.1:0".parse()?, ..NodeConfig::default() };
        if encrypted {
            let mut key = [0u8; 32];
            rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
            let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
            let key_file = dir.join("db.key");
            std::fs::write(&key_file, hex).context("writing the database key file")?;
            config.database.key_file = Some(key_file);
        }
        let node = runtime.block_on(async {
            if with_sink {
                return anyhow::Ok(lantern_node::commands::start(config, Arc::new(SystemClock)).await?.0);
            }
            let listen = config.listen;
            let store = lantern_node::commands::open_store(&config)?;
            let policies = Arc::new(lantern_node::policies::Policies::defaults()?);
            let mut state = lantern_node::http::AppState::new(config, store, Arc::new(SystemClock), policies);
            state.event_sink = None;
            Ok(lantern_node::http::start(state, listen).await?)
        })?;
        let store = &node.state.store;
        let (opts, now) = (ImportOptions::default(), chrono::Utc::now());
        run_import(store, ImportInput::OneRoster, &school_dir.join("oneroster"), &opts, now)?;
        run_import(store, ImportInput::Items, &school_dir.join("items.csv"), &opts, now)?;
        let source = lantern_node::sources::create(store, "bench", None, now)?;
        Ok(SchoolNode { node, source })
    }

    /// A client for this node's statements endpoint.
    pub fn poster(&self, max_connections: usize) -> anyhow::Result<StatementPoster> {
        Ok(StatementPoster {
            client: reqwest::Client::builder().pool_max_idle_per_host(max_connections).build()?,
            url: format!("{}/xapi/statements", self.node.url()),
            key: self.source.key.clone(),
            secret: self.source.secret.clone(),
        })
    }
}

/// One request body (a JSON array of statements) and the statement ids in it.
pub struct Batch {
    pub body: Vec<u8>,
    pub ids: Vec<String>,
}

/// Packs statements into JSON array bodies; `size(i)` is the number of statements of batch i.
pub fn batches<'a>(statements: impl Iterator<Item = SynthStatement<'a>>, size: impl Fn(usize) -> usize) -> Vec<Batch> {
    let mut out = Vec::new();
    let mut body = Vec::new();
    let mut ids = Vec::new();
    let mut want = size(0).max(1);
    for s in statements {
        body.push(if ids.is_empty() { b'[' } else { b',' });
        s.write_json(&mut body);
        ids.push(s.id.to_string());
        if ids.len() == want {
            body.push(b']');
            out.push(Batch { body: std::mem::take(&mut body), ids: std::mem::take(&mut ids) });
            want = size(out.len()).max(1);
        }
    }
    if !ids.is_empty() {
        body.push(b']');
        out.push(Batch { body, ids });
    }
    out
}

/// POSTs statement batches with the data source's Basic credentials over keep-alive connections.
#[derive(Clone)]
pub struct StatementPoster {
    client: reqwest::Client,
    url: String,
    key: String,
    secret: String,
}

impl StatementPoster {
    /// Sends one body; Ok once the node answered 200 (the statements are committed) and the
    /// response was read (so the connection is reused). Err names the status or the failure.
    pub async fn post(&self, body: Vec<u8>) -> Result<(), String> {
        let sent = self
            .client
            .post(&self.url)
            .basic_auth(&self.key, Some(&self.secret))
            .header("X-Experience-API-Version", "1.0.3")
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status() == 200 => {
                let _ = r.bytes().await;
                Ok(())
            }
            Ok(r) => {
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                Err(format!("HTTP {status}: {}", text.chars().take(200).collect::<String>()))
            }
            Err(e) => Err(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_have_the_asked_sizes_and_hold_json_arrays_of_the_statements() {
        let school = synth::generate(&SynthParams { students: 30, days: 2, ..SynthParams::default() });
        let all: Vec<String> = school.statements().take(100).map(|s| s.id.to_string()).collect();
        let out = batches(school.statements().take(100), |i| 10 + i % 3);
        let sizes: Vec<usize> = out.iter().map(|b| b.ids.len()).collect();
        assert_eq!(sizes, vec![10, 11, 12, 10, 11, 12, 10, 11, 12, 1]);
        assert_eq!(out.iter().flat_map(|b| b.ids.clone()).collect::<Vec<_>>(), all);
        for b in &out {
            let v: serde_json::Value = serde_json::from_slice(&b.body).unwrap();
            let ids: Vec<&str> = v.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
            assert_eq!(ids, b.ids);
        }
    }
}
