//! Shared test harness: a node on 127.0.0.1:0 with a fixed clock and one account per role.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use lantern_node::auth::{self, Role};
use lantern_node::clock::FixedClock;
use lantern_node::config::NodeConfig;
use lantern_node::http::{self, AppState, RunningNode};
use lantern_node::store::{self, Store};
use serde_json::Value;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestNode {
    pub node: RunningNode,
    pub clock: Arc<FixedClock>,
    pub store: Store,
    pub client: reqwest::Client,
    pub _dir: tempfile::TempDir,
}

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-09-14T08:00:00Z").unwrap().with_timezone(&Utc)
}

impl TestNode {
    pub async fn start() -> TestNode {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut NodeConfig)) -> TestNode {
        let dir = tempfile::tempdir().unwrap();
        let mut config = NodeConfig {
            data_dir: dir.path().to_path_buf(),
            listen: "127.0.0.1:0".parse().unwrap(),
            ..NodeConfig::default()
        };
        tweak(&mut config);
        let store = store::open_temp(dir.path()).unwrap();
        let clock = Arc::new(FixedClock::new(t0()));
        let s = store.clone();
        tokio::task::spawn_blocking(move || {
            for role in Role::ALL {
                auth::add_user(&s, role.as_str(), role, Some(PASSWORD), None, t0()).unwrap();
            }
        })
        .await
        .unwrap();
        let policies = Arc::new(lantern_node::policies::Policies::defaults().unwrap());
        let state = AppState::new(config, store.clone(), clock.clone(), policies);
        let node = http::start(state, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        TestNode { node, clock, store, client, _dir: dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.node.url(), path)
    }

    /// Logs in through the API and returns a bearer token.
    pub async fn token(&self, username: &str) -> String {
        let r = self
            .client
            .post(self.url("/api/v1/login"))
            .json(&serde_json::json!({"username": username, "password": PASSWORD, "kind": "api"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "login of {username}");
        let v: Value = r.json().await.unwrap();
        v["token"].as_str().unwrap().to_string()
    }

    /// Logs in as a browser: (session cookie value, csrf token).
    pub async fn browser_login(&self, username: &str) -> (String, String) {
        let r = self
            .client
            .post(self.url("/api/v1/login"))
            .json(&serde_json::json!({"username": username, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
        let session = cookie.split(';').next().unwrap().to_string();
        let v: Value = r.json().await.unwrap();
        (session, v["csrf_token"].as_str().unwrap().to_string())
    }

    /// Number of rows in a table, read directly.
    pub fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT count(*) FROM {table}");
        self.store.read_blocking(move |c| Ok::<i64, store::StoreError>(c.query_row(&sql, [], |r| r.get(0))?)).unwrap()
    }
}

/// Asserts the JSON error shape and returns the code.
pub async fn error_code(r: reqwest::Response) -> String {
    let v: Value = r.json().await.expect("error body is JSON");
    let code = v["error"]["code"].as_str().expect("error.code").to_string();
    assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "error.message: {v}");
    code
}
