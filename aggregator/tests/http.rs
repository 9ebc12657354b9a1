//! The aggregator over real HTTP: a server on 127.0.0.1:0 with generated keys, sent sealed releases
//! built by the real release mechanics; every refusal checked for its status, code, that nothing
//! was stored, and that the metrics counted it.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use chrono::{TimeZone, Utc};
use ed25519_dalek::SigningKey;
use lantern_aggregator::config::NodeEntry;
use lantern_aggregator::{start, AggregatorConfig, RunningAggregator};
use lantern_policies::dp::{plan_release, PublicPartitions, StudentRecord};
use lantern_policies::envelope::{seal, Release};
use lantern_policies::keys;
use lantern_policies::release_policy::{PartitionSource, ReleasePolicy};
use lantern_policies::PolicySource;
use serde_json::Value;

struct Harness {
    _dir: tempfile::TempDir,
    agg: RunningAggregator,
    token: String,
    signing: SigningKey,
    recipient: age::x25519::Recipient,
    client: reqwest::Client,
}

async fn harness() -> Harness {
    harness_with(32 * 1024 * 1024).await
}

async fn harness_with(max_release_bytes: usize) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let files = keys::generate(&dir.path().join("keys")).unwrap();
    let config = AggregatorConfig {
        data_dir: dir.path().join("agg"),
        listen: "127.0.0.1:0".parse().unwrap(),
        identity_file: files.aggregator_identity.clone(),
        max_release_bytes,
        nodes: vec![NodeEntry {
            id: "oak-hill".into(),
            name: Some("Oak Hill Middle".into()),
            public_key: None,
            public_key_file: Some(files.node_public_key.clone()),
        }],
        ..Default::default()
    };
    let agg = start(config).await.unwrap();
    let token = agg.new_analyst_token.clone().unwrap();
    Harness {
        signing: keys::load_signing_key(&files.node_signing_key).unwrap(),
        recipient: keys::load_age_recipient(&files.aggregator_recipient).unwrap(),
        _dir: dir,
        agg,
        token,
        client: reqwest::Client::new(),
    }
}

fn students(n: usize) -> Vec<StudentRecord> {
    (0..n)
        .map(|i| {
            let mut s = StudentRecord::new(format!("p{i}"));
            s.set("grade", ["06", "07", "08"][i % 3])
                .set("tier", if i % 5 == 0 { "2" } else { "0" })
                .set("sex", if i % 2 == 0 { "female" } else { "male" })
                .set("race_ethnicity", "white")
                .set("intervention_type", "none")
                .set("intervention_outcome", "none")
                .set("flagged", "no")
                .set("outcome_level", ["1", "2", "3", "4"][i % 4]);
            s.set_for(PartitionSource::Rule, "r1", "flagged", if i % 5 == 0 { "yes" } else { "no" });
            s.set_for(PartitionSource::Standard, "s1", "mastery_band", "0.8");
            s
        })
        .collect()
}

fn release(policy: &ReleasePolicy, node: &str, sequence: u64, month: u32) -> Release {
    let public = PublicPartitions { rules: vec!["r1".into()], standards: vec!["s1".into()] };
    let tables = plan_release(policy, &public).unwrap().compute(&students(120)).unwrap();
    let day = chrono::NaiveDate::from_ymd_opt(2026, month, 28).unwrap();
    let created = Utc.with_ymd_and_hms(2026, month, 28, 12, 0, 0).unwrap();
    Release::new(node.parse().unwrap(), sequence, policy.period_containing(day), policy, tables, created)
}

impl Harness {
    fn seal(&self, r: &Release) -> Vec<u8> {
        seal(r, &self.signing, &self.recipient).unwrap()
    }

    async fn post(&self, body: Vec<u8>) -> (u16, Value) {
        let resp = self
            .client
            .post(format!("{}/api/v1/releases", self.agg.url()))
            .header("content-type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap())
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.client.get(format!("{}{path}", self.agg.url()));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
    }

    async fn stored(&self) -> u64 {
        self.get("/healthz", None).await.1["releases"].as_u64().unwrap()
    }

    async fn metrics(&self) -> String {
        self.client.get(format!("{}/metrics", self.agg.url())).send().await.unwrap().text().await.unwrap()
    }
}

fn assert_error(got: &(u16, Value), status: u16, code: &str) {
    assert_eq!(got.0, status, "{}", got.1);
    assert_eq!(got.1["error"]["code"], code, "{}", got.1);
    assert!(got.1["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test]
async fn accepts_once_acknowledges_resends_and_refuses_replays() {
    let h = harness().await;
    let policy = ReleasePolicy::builtin().unwrap();
    let first = release(&policy, "oak-hill", 1, 10);
    let bytes = h.seal(&first);
    let (status, body) = h.post(bytes.clone()).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["new"], true);
    // The same bytes again (a retry): acknowledged, not counted twice.
    let (status, body) = h.post(bytes).await;
    assert_eq!((status, body["new"].clone()), (200, Value::Bool(false)));
    assert_eq!(h.stored().await, 1);

    // Same sequence, fresh release id: a replay.
    assert_error(&h.post(h.seal(&release(&policy, "oak-hill", 1, 11))).await, 409, "replayed_sequence");
    // Skipping a sequence number.
    assert_error(&h.post(h.seal(&release(&policy, "oak-hill", 3, 11))).await, 409, "out_of_order");
    // A second release in the same month: the period budget is already spent.
    assert_error(&h.post(h.seal(&release(&policy, "oak-hill", 2, 10))).await, 422, "over_budget");
    assert_eq!(h.stored().await, 1);
    // The next month is fine.
    assert_eq!(h.post(h.seal(&release(&policy, "oak-hill", 2, 11))).await.0, 201);

    let (status, ledger) = h.get("/api/v1/ledger", Some(&h.token)).await;
    assert_eq!(status, 200);
    let periods = ledger["periods"].as_array().unwrap();
    assert_eq!(periods.len(), 2);
    assert_eq!(periods[0]["node"], "oak-hill");
    assert!((periods[0]["rho"].as_f64().unwrap() - 0.05).abs() < 1e-6);
    assert!(periods[0]["epsilon"].as_f64().unwrap() > 1.0);

    let m = h.metrics().await;
    assert!(m.contains("lantern_aggregator_releases_accepted_total 2"), "{m}");
    assert!(m.contains("lantern_aggregator_releases_duplicate_total 1"), "{m}");
    assert!(m.contains("reason=\"replayed_sequence\"} 1"), "{m}");
    assert!(m.contains("reason=\"over_budget\"} 1"), "{m}");
}

#[tokio::test]
async fn bad_envelopes_are_refused_and_store_nothing() {
    let h = harness().await;
    let policy = ReleasePolicy::builtin().unwrap();
    let good = release(&policy, "oak-hill", 1, 10);

    assert_error(&h.post(b"not an envelope at all".to_vec()).await, 400, "not_an_envelope");
    let mut truncated = h.seal(&good);
    truncated.truncate(truncated.len() / 2);
    assert_error(&h.post(truncated).await, 400, "garbled_envelope");

    // Encrypted to someone else.
    let other = age::x25519::Identity::generate().to_public();
    assert_error(&h.post(seal(&good, &h.signing, &other).unwrap()).await, 400, "wrong_recipient");
    // Signed by a key that is not oak-hill's.
    let impostor = SigningKey::from_bytes(&[7u8; 32]);
    assert_error(&h.post(seal(&good, &impostor, &h.recipient).unwrap()).await, 403, "bad_signature");
    // A node the district never registered.
    assert_error(&h.post(h.seal(&release(&policy, "elm-street", 1, 10))).await, 403, "unknown_node");
    // Made under a different release policy.
    let text = lantern_policies::release_policy::DEFAULT_RELEASE_POLICY.replace("min_cell = 10", "min_cell = 11");
    let other_policy = ReleasePolicy::load(&PolicySource { name: "other.toml".into(), text }).unwrap();
    assert_error(&h.post(h.seal(&release(&other_policy, "oak-hill", 1, 10))).await, 422, "policy_mismatch");
    // Claims more ρ than the period allows (tampered before signing).
    let mut greedy = good.clone();
    greedy.rho_spent = 0.5;
    assert_error(&h.post(h.seal(&greedy)).await, 422, "nonconforming_release");

    assert_eq!(h.stored().await, 0);
    let m = h.metrics().await;
    for reason in
        ["not_an_envelope", "garbled_envelope", "wrong_recipient", "bad_signature", "unknown_node", "policy_mismatch"]
    {
        assert!(m.contains(&format!("reason=\"{reason}\"}} 1")), "{reason}: {m}");
    }
    assert!(m.contains("lantern_aggregator_releases_accepted_total 0"), "{m}");
}

#[tokio::test]
async fn analyst_routes_need_the_token_and_show_estimates() {
    let h = harness().await;
    let policy = ReleasePolicy::builtin().unwrap();
    assert_eq!(h.post(h.seal(&release(&policy, "oak-hill", 1, 10))).await.0, 201);

    for path in ["/api/v1/ledger", "/api/v1/trends", "/api/v1/audits/bias"] {
        assert_error(&h.get(path, None).await, 401, "not_authenticated");
        assert_error(&h.get(path, Some("wrong-token-0123456789")).await, 401, "not_authenticated");
    }
    let (status, trends) = h.get("/api/v1/trends?table=tiers", Some(&h.token)).await;
    assert_eq!(status, 200, "{trends}");
    let cells = trends["periods"][0]["partitions"][0]["cells"].as_array().unwrap();
    // Tier 0 of white students in grade 06 is about 32 students: released, with its noise.
    let cell = cells.iter().find(|c| c["district"]["estimate"].is_number()).unwrap();
    assert!(cell["district"]["sd"].as_f64().unwrap() > 0.0, "{cell}");
    assert!(cell["schools"]["oak-hill"].is_object());
    // Empty cells (other groups) come back suppressed at the node: no estimate, nothing shown.
    assert!(cells.iter().any(|c| c["district"]["shown"].is_null()));
    assert_error(&h.get("/api/v1/trends?table=nope", Some(&h.token)).await, 404, "not_found");
    assert_error(&h.get("/api/v1/trends?bogus=1", Some(&h.token)).await, 400, "bad_request");

    let (status, audit) = h.get("/api/v1/audits/bias", Some(&h.token)).await;
    assert_eq!(status, 200, "{audit}");
    assert_eq!(audit["table"], "rule_audit");
    assert_eq!(audit["period"], "2026-10");
    assert_eq!(audit["rules"][0]["rule"], "r1");

    // The dashboard: redirect without the token, rendered with the cookie set by /login.
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let resp = no_redirect.get(format!("{}/", h.agg.url())).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 303);
    let bad = no_redirect.post(format!("{}/login", h.agg.url())).form(&[("token", "nope")]).send().await.unwrap();
    assert_eq!(bad.status().as_u16(), 401);
    let ok = no_redirect.post(format!("{}/login", h.agg.url())).form(&[("token", &h.token)]).send().await.unwrap();
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let page = no_redirect
        .get(format!("{}/", h.agg.url()))
        .header("cookie", cookie.split(';').next().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Oak Hill Middle") && html.contains("Bias audit"), "{html}");
}

#[tokio::test]
async fn restart_keeps_releases_and_sequence() {
    let dir = tempfile::tempdir().unwrap();
    let files = keys::generate(&dir.path().join("keys")).unwrap();
    let config = |d: &Path| AggregatorConfig {
        data_dir: d.join("agg"),
        listen: "127.0.0.1:0".parse().unwrap(),
        identity_file: files.aggregator_identity.clone(),
        nodes: vec![NodeEntry {
            id: "oak-hill".into(),
            name: None,
            public_key: Some(keys::verifying_key_hex(&keys::load_verifying_key(&files.node_public_key).unwrap())),
            public_key_file: None,
        }],
        ..Default::default()
    };
    let policy = ReleasePolicy::builtin().unwrap();
    let signing = keys::load_signing_key(&files.node_signing_key).unwrap();
    let recipient = keys::load_age_recipient(&files.aggregator_recipient).unwrap();
    let r1 = seal(&release(&policy, "oak-hill", 1, 10), &signing, &recipient).unwrap();
    let client = reqwest::Client::new();
    let agg = start(config(dir.path())).await.unwrap();
    let url = format!("{}/api/v1/releases", agg.url());
    assert_eq!(client.post(&url).body(r1.clone()).send().await.unwrap().status().as_u16(), 201);
    agg.stop().await.unwrap();
    let agg = start(config(dir.path())).await.unwrap();
    assert!(agg.new_analyst_token.is_none(), "the token file is reused");
    let url = format!("{}/api/v1/releases", agg.url());
    assert_eq!(client.post(&url).body(r1).send().await.unwrap().status().as_u16(), 200);
    let r1b = seal(&release(&policy, "oak-hill", 1, 11), &signing, &recipient).unwrap();
    assert_eq!(client.post(&url).body(r1b).send().await.unwrap().status().as_u16(), 409);
    agg.stop().await.unwrap();
}

#[tokio::test]
async fn oversized_bodies_get_413_in_the_json_shape() {
    let h = harness_with(4096).await;
    assert_error(&h.post(vec![b'x'; 10_000]).await, 413, "payload_too_large");
    assert_eq!(h.stored().await, 0);
    assert!(h.metrics().await.contains("reason=\"payload_too_large\"} 1"));
    // Unknown routes and methods answer in the same shape.
    assert_error(&h.get("/api/v1/nope", None).await, 404, "not_found");
    let resp = h.client.get(format!("{}/api/v1/releases", h.agg.url())).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    // Every response, errors included, carries the security headers; the dashboard runs no inline script.
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let csp = resp.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'") && !csp.contains("script-src"), "{csp}");
}
