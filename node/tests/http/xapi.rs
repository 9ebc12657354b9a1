//! The xAPI statements resource over real HTTP: a node with a small synthetic school and a data
//! source; statements posted, put and read back with the xAPI headers; every kind of bad input
//! answered with the right status and error shape, leaving nothing stored; related filters and
//! StatementRef targeting, paged.
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use lantern_node::import::ImportOptions;
use lantern_node::imports::{run_import, ImportInput};
use lantern_node::sources::{self, NewCredentials};
use lantern_node::synth::{self, SynthParams};
use reqwest::{RequestBuilder, Response};
use serde_json::{json, Value};

use crate::support::{error_code, t0, TestNode};

const VERSION: &str = "1.0.3";

struct Lrs {
    n: TestNode,
    cred: NewCredentials,
    statements: Vec<String>,
}

/// A node with a synthetic school's roster and items and one data source (serving every class,
/// unless `classes` says otherwise).
async fn lrs_with(tweak: impl FnOnce(&mut lantern_node::config::NodeConfig), classes: Option<Vec<String>>) -> Lrs {
    let n = TestNode::start_with(tweak).await;
    let store = n.store.clone();
    let (cred, statements) = tokio::task::spawn_blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        let params = SynthParams { students: 10, days: 2, items_per_day: 3, ..SynthParams::default() };
        synth::write_school(&params, dir.path()).unwrap();
        let opts = ImportOptions::default();
        run_import(&store, ImportInput::OneRoster, &dir.path().join("oneroster"), &opts, t0()).unwrap();
        run_import(&store, ImportInput::Items, &dir.path().join("items.csv"), &opts, t0()).unwrap();
        let cred = sources::create(&store, "quiz-tool", classes, t0()).unwrap();
        let statements: Vec<String> = synth::generate(&params).statements().map(|s| s.to_json()).collect();
        (cred, statements)
    })
    .await
    .unwrap();
    Lrs { n, cred, statements }
}

async fn lrs() -> Lrs {
    lrs_with(|_| {}, None).await
}

impl Lrs {
    fn req(&self, method: reqwest::Method, query: &str) -> RequestBuilder {
        self.n
            .client
            .request(method, self.n.url(&format!("/xapi/statements{query}")))
            .basic_auth(&self.cred.key, Some(&self.cred.secret))
            .header("X-Experience-API-Version", VERSION)
    }

    async fn post(&self, body: &str) -> Response {
        self.req(reqwest::Method::POST, "")
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }

    async fn get(&self, query: &str) -> Response {
        self.req(reqwest::Method::GET, query).send().await.unwrap()
    }

    fn stored(&self) -> i64 {
        self.n.count("statement")
    }
}

fn array(texts: &[String]) -> String {
    format!("[{}]", texts.join(","))
}

fn id_of(text: &str) -> String {
    serde_json::from_str::<Value>(text).unwrap()["id"].as_str().unwrap().to_string()
}

/// Asserts an xAPI error response: status, our JSON error shape with this code, version header.
async fn assert_error(r: Response, status: u16, code: &str) {
    assert_eq!(r.status(), status, "status");
    assert_eq!(r.headers()["x-experience-api-version"], VERSION);
    assert_eq!(error_code(r).await, code);
}

#[tokio::test]
async fn statements_are_stored_and_read_back_with_xapi_headers() {
    let l = lrs().await;
    let r = l.post(&array(&l.statements[..10])).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-experience-api-version"], VERSION);
    let ids: Vec<String> = r.json().await.unwrap();
    assert_eq!(ids, l.statements[..10].iter().map(|s| id_of(s)).collect::<Vec<_>>());
    assert_eq!((l.stored(), l.n.count("learning_event")), (10, 10));

    let r = l.get(&format!("?statementId={}", ids[3])).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key("x-experience-api-consistent-through"));
    assert!(r.headers()["last-modified"].to_str().unwrap().ends_with(" GMT"));
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["id"], ids[3].as_str());
    assert_eq!(s["authority"]["account"]["name"], "quiz-tool");
    assert!(s["stored"].is_string() && s["version"] == "1.0.0");

    let r = l.get("?limit=4").await;
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["statements"].as_array().unwrap().len(), 4);
    let more = page["more"].as_str().unwrap();
    assert!(more.starts_with("/xapi/statements?more="));
    let r =
        l.n.client
            .get(l.n.url(more))
            .basic_auth(&l.cred.key, Some(&l.cred.secret))
            .header("X-Experience-API-Version", "1.0.0")
            .send()
            .await
            .unwrap();
    let next: Value = r.json().await.unwrap();
    assert_eq!(next["statements"].as_array().unwrap().len(), 4);
    assert_ne!(next["statements"][0]["id"], page["statements"][0]["id"]);

    // An identical resend is 200 and stores nothing new.
    let r = l.post(&array(&l.statements[..10])).await;
    assert_eq!(r.status(), 200);
    assert_eq!((l.stored(), l.n.count("learning_event")), (10, 10));
}

#[tokio::test]
async fn put_stores_under_the_given_id() {
    let l = lrs().await;
    let id = "7f0c5b9e-3a51-4c1e-9a0e-1c2d3e4f5a6b";
    let body =
        json!({"actor": {"mbox": "mailto:x@y.example"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                      "object": {"id": "https://x.example/video"}})
        .to_string();
    let put = |body: String, query: String| {
        l.req(reqwest::Method::PUT, &query).header("content-type", "application/json").body(body).send()
    };
    let r = put(body.clone(), format!("?statementId={id}")).await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["x-experience-api-version"], VERSION);
    assert_eq!(put(body.clone(), format!("?statementId={id}")).await.unwrap().status(), 204, "identical resend");
    assert_eq!(l.stored(), 1);
    let changed = body.replace("experienced", "attempted");
    assert_error(put(changed, format!("?statementId={id}")).await.unwrap(), 409, "conflict").await;
    assert_error(put(body.clone(), String::new()).await.unwrap(), 400, "bad_request").await;
    let own = json!({"id": "00000000-0000-4000-8000-000000000001", "actor": {"mbox": "mailto:x@y.example"},
                     "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}, "object": {"id": "https://x.example/v"}});
    assert_error(put(own.to_string(), format!("?statementId={id}")).await.unwrap(), 400, "bad_request").await;
    assert_error(
        put(format!("[{body}]"), "?statementId=7f0c5b9e-3a51-4c1e-9a0e-1c2d3e4f5a6c".into()).await.unwrap(),
        400,
        "bad_request",
    )
    .await;
    assert_eq!(l.stored(), 1);
    assert_eq!(l.get(&format!("?statementId={id}")).await.status(), 200);
}

#[tokio::test]
async fn bad_requests_are_refused_and_store_nothing() {
    let l = lrs_with(|c| c.xapi.max_body_bytes = 4096, None).await;
    let good = l.statements[0].clone();
    l.post(&l.statements[1]).await;
    let before = l.stored();
    let post = || l.req(reqwest::Method::POST, "");

    assert_error(l.post("[{\"actor\": ").await, 400, "bad_request").await;
    assert_error(
        post().header("content-type", "text/plain").body(good.clone()).send().await.unwrap(),
        415,
        "unsupported_media_type",
    )
    .await;
    assert_error(
        post().header("content-type", "multipart/mixed; boundary=x").body(good.clone()).send().await.unwrap(),
        400,
        "bad_request",
    )
    .await;
    let unversioned = l.n.client.post(l.n.url("/xapi/statements")).basic_auth(&l.cred.key, Some(&l.cred.secret));
    assert_error(
        unversioned.header("content-type", "application/json").body(good.clone()).send().await.unwrap(),
        400,
        "bad_request",
    )
    .await;
    let future = l.n.client.post(l.n.url("/xapi/statements")).basic_auth(&l.cred.key, Some(&l.cred.secret));
    let future = future.header("X-Experience-API-Version", "2.0.0").header("content-type", "application/json");
    assert_error(future.body(good.clone()).send().await.unwrap(), 400, "bad_request").await;
    let big = array(&vec![good.clone(); 8]);
    assert!(big.len() > 4096);
    assert_error(l.post(&big).await, 413, "payload_too_large").await;
    let anonymous = l.n.client.post(l.n.url("/xapi/statements")).header("X-Experience-API-Version", VERSION);
    let r = anonymous.header("content-type", "application/json").body(good.clone()).send().await.unwrap();
    assert!(r.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    assert_error(r, 401, "not_authenticated").await;
    let wrong = l.n.client.post(l.n.url("/xapi/statements")).basic_auth(&l.cred.key, Some("not-the-secret"));
    let r =
        wrong.header("X-Experience-API-Version", VERSION).header("content-type", "application/json").body(good.clone());
    assert_error(r.send().await.unwrap(), 401, "not_authenticated").await;
    let token = l.n.token("admin").await;
    let person =
        l.n.client.post(l.n.url("/xapi/statements")).bearer_auth(token).header("X-Experience-API-Version", VERSION);
    assert_error(
        person.header("content-type", "application/json").body(good.clone()).send().await.unwrap(),
        403,
        "forbidden",
    )
    .await;

    // Invalid statements: one bad statement refuses the whole batch.
    let mut missing_actor: Value = serde_json::from_str(&good).unwrap();
    missing_actor.as_object_mut().unwrap().remove("actor");
    let mut bad_mbox: Value = serde_json::from_str(&good).unwrap();
    bad_mbox["actor"] = json!({"mbox": "someone@school.example"});
    let mut attachment: Value = serde_json::from_str(&good).unwrap();
    attachment["attachments"] = json!([]);
    for bad in [missing_actor, bad_mbox, attachment] {
        let r = l.post(&format!("[{good},{bad}]")).await;
        assert_eq!(r.status(), 400);
        let v: Value = r.json().await.unwrap();
        assert!(v["error"]["message"].as_str().unwrap().starts_with("statement[1]"), "{v}");
        assert!(!v["error"]["message"].as_str().unwrap().contains("someone@"), "no identifier echoed: {v}");
    }

    // Same id, different content: 409, and the new statement of the batch is not stored.
    let mut changed: Value = serde_json::from_str(&l.statements[1]).unwrap();
    changed["result"]["success"] = json!(!changed["result"]["success"].as_bool().unwrap());
    assert_error(l.post(&format!("[{good},{changed}]")).await, 409, "conflict").await;

    // A voiding statement cannot be voided.
    let voider = json!({"id": "4c1f2a3b-0000-4000-8000-0000000000aa", "actor": {"mbox": "mailto:t@school.example"},
                        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                        "object": {"objectType": "StatementRef", "id": id_of(&l.statements[1])}});
    assert_eq!(l.post(&voider.to_string()).await.status(), 200);
    let again = json!({"actor": {"mbox": "mailto:t@school.example"}, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
                       "object": {"objectType": "StatementRef", "id": "4c1f2a3b-0000-4000-8000-0000000000aa"}});
    assert_error(l.post(&format!("[{good},{again}]")).await, 400, "bad_request").await;
    assert_eq!(l.get(&format!("?statementId={}", id_of(&l.statements[1]))).await.status(), 404);
    assert_eq!(l.get(&format!("?voidedStatementId={}", id_of(&l.statements[1]))).await.status(), 200);

    // Bad query parameters.
    assert_error(l.get("?statementId=nope").await, 400, "bad_request").await;
    assert_error(l.get("?attachments=true").await, 400, "bad_request").await;
    assert_error(l.get("?statementId=4c1f2a3b-0000-4000-8000-0000000000ab").await, 404, "not_found").await;

    assert_eq!(l.stored(), before + 1, "only the voiding statement was stored");
    assert!(l.n.count("learning_event") <= before);
}

#[tokio::test]
async fn a_source_limited_to_some_classes_is_refused_others() {
    let l = lrs_with(|_| {}, Some(vec!["not-this-class".into()])).await;
    let r = l.post(&array(&l.statements[..3])).await;
    assert_error(r, 403, "class_not_served").await;
    assert_eq!(l.stored(), 0);
}

#[tokio::test]
async fn about_needs_no_version_header() {
    let l = lrs().await;
    let r = l.n.client.get(l.n.url("/xapi/about")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-experience-api-version"], VERSION);
    // The security headers (shared with the aggregator; the node's live pages run inline scripts).
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["version"], json!([VERSION]));
}

#[tokio::test]
async fn admins_manage_sources_and_see_unmatched() {
    let l = lrs().await;
    let admin = l.n.token("admin").await;
    let api = |m: reqwest::Method, path: &str| l.n.client.request(m, l.n.url(path)).bearer_auth(&admin);
    let r = api(reqwest::Method::POST, "/api/v1/sources").json(&json!({"name": "lms"})).send().await.unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let (key, secret) = (created["key"].as_str().unwrap(), created["secret"].as_str().unwrap());
    let r = api(reqwest::Method::POST, "/api/v1/sources").json(&json!({"name": "lms"})).send().await.unwrap();
    assert_eq!(error_code(r).await, "conflict");
    let r = api(reqwest::Method::POST, "/api/v1/sources").json(&json!({"name": "bad name!"})).send().await.unwrap();
    assert_eq!(error_code(r).await, "unprocessable");
    let list: Value = api(reqwest::Method::GET, "/api/v1/sources").send().await.unwrap().json().await.unwrap();
    assert_eq!(list["sources"].as_array().unwrap().len(), 2);
    assert!(!list.to_string().contains(secret), "secrets are never listed");

    let unknown = json!({"actor": {"mbox": "mailto:stranger@school.example"},
                         "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"}, "object": {"id": "https://x.example/q"}});
    let post = |key: &str, secret: &str| {
        l.n.client
            .post(l.n.url("/xapi/statements"))
            .basic_auth(key, Some(secret))
            .header("X-Experience-API-Version", VERSION)
            .header("content-type", "application/json")
            .body(unknown.to_string())
            .send()
    };
    assert_eq!(post(key, secret).await.unwrap().status(), 200);
    let seen: Value = api(reqwest::Method::GET, "/api/v1/xapi/unmatched").send().await.unwrap().json().await.unwrap();
    let kinds: Vec<&str> = seen["unmatched"].as_array().unwrap().iter().map(|u| u["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 2, "{seen}");
    assert!(kinds.contains(&"actor") && kinds.contains(&"activity"));
    assert!(!seen.to_string().contains("stranger"), "no raw email in unmatched: {seen}");

    let r = api(reqwest::Method::POST, "/api/v1/sources/lms/revoke").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_error(post(key, secret).await.unwrap(), 401, "not_authenticated").await;
    let r = api(reqwest::Method::POST, "/api/v1/sources/nope/revoke").send().await.unwrap();
    assert_eq!(error_code(r).await, "not_found");
    assert_eq!(l.stored(), 1);
}

#[tokio::test]
async fn related_filters_and_statement_refs_page_over_http() {
    let l = lrs().await;
    assert_eq!(l.post(&array(&l.statements[..12])).await.status(), 200);
    let first: Value = serde_json::from_str(&l.statements[0]).unwrap();
    let class = first["context"]["contextActivities"]["grouping"][1]["id"].as_str().unwrap().to_string();
    let confirm = json!({"actor": {"mbox": "mailto:teacher@school.example"}, "verb": {"id": "http://x.example/confirmed"},
                         "object": {"objectType": "StatementRef", "id": first["id"]}});
    assert_eq!(l.post(&confirm.to_string()).await.status(), 200);
    let in_class = l.statements[..12]
        .iter()
        .filter(|s| serde_json::from_str::<Value>(s).unwrap()["context"].to_string().contains(&class))
        .count();
    let query = |related: &'static str| {
        let pairs = [("activity", class.as_str()), ("related_activities", related), ("limit", "2")];
        l.req(reqwest::Method::GET, "").query(&pairs).send()
    };
    let mut page: Value = query("true").await.unwrap().json().await.unwrap();
    assert!(page["statements"][0]["object"]["objectType"] == "StatementRef", "newest first: the confirmation");
    let mut seen = 0;
    loop {
        seen += page["statements"].as_array().unwrap().len();
        let more = page["more"].as_str().unwrap().to_string();
        if more.is_empty() {
            break;
        }
        let r = l.n.client.get(l.n.url(&more)).basic_auth(&l.cred.key, Some(&l.cred.secret));
        page = r.header("X-Experience-API-Version", VERSION).send().await.unwrap().json().await.unwrap();
    }
    assert_eq!(seen, in_class + 1, "the class's statements and the one targeting one of them");
    let plain: Value = query("false").await.unwrap().json().await.unwrap();
    assert!(plain["statements"].as_array().unwrap().is_empty(), "the class is never the object");
}
