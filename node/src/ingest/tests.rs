//! Tests of the ingest path against a real store holding a small synthetic school: mapping to
//! learning events, unmatched counters, idempotent resends and conflicts, voiding, class limits,
//! the event sink hook, and reads; `tests/related.rs`: mbox_sha1sum matching and the related,
//! StatementRef and paging rules of list queries.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde_json::{json, Value};

use super::*;
use crate::events::{EventSink, LearningEvent};
use crate::import::ImportOptions;
use crate::imports::{run_import, ImportInput};
use crate::sources::Source;
use crate::store::{statements as sql, Store};
use crate::synth::{self, SynthParams};
use crate::xapi::{parse_query, parse_statements};

pub(super) struct Fixture {
    _dir: tempfile::TempDir,
    pub store: Store,
    pub ingest: Arc<IngestState>,
    pub source: Source,
    /// The synthetic school's statements, as JSON text.
    pub statements: Vec<String>,
}

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-09-14T08:00:00Z").unwrap().with_timezone(&Utc)
}

/// The fixture, built off the async threads (imports write through `write_blocking`).
async fn fixture() -> Fixture {
    tokio::task::spawn_blocking(build_fixture).await.unwrap()
}

fn build_fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let params = SynthParams { students: 12, days: 2, items_per_day: 3, ..SynthParams::default() };
    let school_dir = dir.path().join("school");
    synth::write_school(&params, &school_dir).unwrap();
    let store = crate::store::open_temp(dir.path()).unwrap();
    let opts = ImportOptions::default();
    run_import(&store, ImportInput::OneRoster, &school_dir.join("oneroster"), &opts, now()).unwrap();
    run_import(&store, ImportInput::Items, &school_dir.join("items.csv"), &opts, now()).unwrap();
    crate::sources::create(&store, "quiz", None, now()).unwrap();
    let row = crate::sources::list(&store).unwrap().remove(0);
    let source = Source { id: row.id, name: row.name, classes: None };
    let school = synth::generate(&params);
    let statements: Vec<String> = school.statements().map(|s| s.to_json()).collect();
    assert!(statements.len() >= 40, "the fixture has enough statements ({})", statements.len());
    let ingest = Arc::new(IngestState::new("https://sis.lantern.example"));
    Fixture { _dir: dir, store, ingest, source, statements }
}

impl Fixture {
    fn prepare(&self, body: &str) -> Result<Vec<Prepared>, IngestError> {
        let roster = self.store.read_blocking(|c| self.ingest.roster(c)).unwrap();
        let statements = parse_statements(body.as_bytes())?;
        prepare(statements, body.trim_start().starts_with('['), &roster, &self.source, None)
    }

    async fn post(&self, body: &str, sink: Option<Arc<dyn EventSink>>) -> Result<Stored, IngestError> {
        let prepared = self.prepare(body)?;
        let authority = source_authority(&self.source.name);
        self.ingest.store(&self.store, prepared, self.source.id, authority, now(), sink).await
    }

    fn count(&self, sql_text: &str) -> i64 {
        let sql_text = sql_text.to_string();
        self.store.read_blocking(move |c| Ok::<i64, StoreError>(c.query_row(&sql_text, [], |r| r.get(0))?)).unwrap()
    }

    fn get(&self, pairs: &[(&str, &str)]) -> Option<retrieve::Answer> {
        let owned: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let query = parse_query(&owned).unwrap();
        self.store.read_blocking(|c| retrieve::retrieve(c, &query, &[])).unwrap()
    }
}

fn array(texts: &[String]) -> String {
    format!("[{}]", texts.join(","))
}

fn statement(actor: Value, object_id: &str, extra: Value) -> Value {
    let mut s = json!({
        "actor": actor,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered"},
        "object": {"id": object_id},
    });
    if let (Value::Object(map), Value::Object(more)) = (&mut s, extra) {
        map.extend(more);
    }
    s
}

#[tokio::test]
async fn synthetic_statements_become_learning_events() {
    let f = fixture().await;
    let batch = &f.statements[..40];
    let stored = f.post(&array(batch), None).await.unwrap();
    assert_eq!((stored.ids.len(), stored.new, stored.events.len()), (40, 40, 40));
    assert_eq!(f.count("SELECT count(*) FROM statement"), 40);
    assert_eq!(f.count("SELECT count(*) FROM learning_event"), 40);
    assert_eq!(f.count("SELECT count(*) FROM unmatched"), 0, "every synthetic actor, item and class is rostered");
    assert_eq!(
        f.count("SELECT count(*) FROM learning_event WHERE item_id IS NULL OR class_id IS NULL OR quiz_id IS NULL OR session_id IS NULL OR correct IS NULL OR response IS NULL"),
        0
    );
    let e = &stored.events[0];
    assert_eq!(e.verb, "answered");
    let first: Value = serde_json::from_str(&batch[0]).unwrap();
    assert_eq!(e.item_id.as_deref(), first["object"]["id"].as_str());
    assert_eq!(e.correct, first["result"]["success"].as_bool());
    assert!(!e.student_key.contains("stu") && !e.student_key.is_empty(), "pseudonymous key, not the sourcedId");
    // Ids are echoed in order; stored strictly increases with seq even though the clock stood still.
    assert_eq!(stored.ids[0].to_string(), first["id"].as_str().unwrap());
    assert_eq!(f.count("SELECT count(DISTINCT stored) FROM statement"), 40);
    assert_eq!(
        f.count("SELECT count(*) FROM statement a JOIN statement b ON b.seq = a.seq + 1 WHERE b.stored <= a.stored"),
        0
    );
    let json: String = f
        .store
        .read_blocking(|c| {
            Ok::<String, StoreError>(c.query_row("SELECT json FROM statement LIMIT 1", [], |r| r.get(0))?)
        })
        .unwrap();
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["authority"]["account"]["name"], "quiz");
    assert_eq!(v["version"], "1.0.0");
    assert!(v["stored"].as_str().unwrap().starts_with("2026-09-14T08:00:00"));
}

#[tokio::test]
async fn unmatched_actors_activities_and_classes_are_counted_without_raw_identifiers() {
    let f = fixture().await;
    let email = statement(
        json!({"mbox": "mailto:nobody@school.example"}),
        "https://items.lantern.example/item/none",
        json!({}),
    );
    let class = statement(
        json!({"account": {"homePage": "https://sis.lantern.example", "name": "not-rostered"}}),
        "https://items.lantern.example/item/none",
        json!({"context": {"contextActivities": {"grouping": [{"id": "https://sis.lantern.example/classes/zz"}]}}}),
    );
    let stored = f.post(&json!([email, class]).to_string(), None).await.unwrap();
    assert_eq!((stored.new, stored.events.len()), (2, 0));
    assert_eq!(f.count("SELECT count(*) FROM statement"), 2, "unmatched statements are stored, not dropped");
    let rows = f.store.read_blocking(sql::list_unmatched).unwrap();
    let summary: Vec<(String, i64)> = rows.iter().map(|r| (r.kind.clone(), r.count)).collect();
    assert_eq!(summary, [("activity".into(), 2), ("actor".into(), 1), ("actor".into(), 1), ("class".into(), 1)]);
    for row in &rows {
        assert!(!row.value.contains("nobody") && !row.value.contains("not-rostered"), "{}", row.value);
    }
}

#[tokio::test]
async fn identical_resends_are_accepted_and_conflicts_refuse_the_whole_batch() {
    let f = fixture().await;
    f.post(&array(&f.statements[..3]), None).await.unwrap();
    let again = f.post(&array(&f.statements[..3]), None).await.unwrap();
    assert_eq!((again.ids.len(), again.new, again.events.len()), (3, 0, 0));
    assert_eq!(f.count("SELECT count(*) FROM statement"), 3);
    assert_eq!(f.count("SELECT count(*) FROM learning_event"), 3);

    let mut changed: Value = serde_json::from_str(&f.statements[1]).unwrap();
    changed["result"]["response"] = json!("z");
    let body = array(&[f.statements[5].clone(), changed.to_string()]);
    let err = f.post(&body, None).await.unwrap_err();
    let IngestError::Xapi(x) = err else { panic!("expected a 409") };
    assert_eq!(x.status, 409);
    assert!(x.message.starts_with("statement[1].id: a different statement with id"), "{}", x.message);
    assert_eq!(f.count("SELECT count(*) FROM statement"), 3, "the new statement of the refused batch is not stored");
    assert_eq!(f.count("SELECT count(*) FROM learning_event"), 3);
}

fn voiding(id: &str, target: &str) -> String {
    json!({
        "id": id,
        "actor": {"mbox": "mailto:teacher@school.example"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
        "object": {"objectType": "StatementRef", "id": target},
    })
    .to_string()
}

#[tokio::test]
async fn voiding_hides_the_target_and_cannot_target_a_voider() {
    let f = fixture().await;
    let target: Value = serde_json::from_str(&f.statements[0]).unwrap();
    let target_id = target["id"].as_str().unwrap().to_string();
    f.post(&f.statements[0], None).await.unwrap();
    let voider = "a1b2c3d4-0000-4000-8000-000000000001";
    f.post(&voiding(voider, &target_id), None).await.unwrap();
    assert_eq!(f.count("SELECT voided FROM statement WHERE seq = 1"), 1);
    assert_eq!(f.count("SELECT count(*) FROM learning_event"), 0, "a voided statement no longer counts");
    assert!(f.get(&[("statementId", &target_id)]).is_none());
    let voided = f.get(&[("voidedStatementId", &target_id)]).unwrap();
    assert!(voided.body.contains(&target_id));
    let list: Value = serde_json::from_str(&f.get(&[]).unwrap().body).unwrap();
    let listed: Vec<&str> = list["statements"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(listed, [voider], "voided statements are never listed; voiding ones are");

    let err = f.post(&voiding("a1b2c3d4-0000-4000-8000-000000000002", voider), None).await.unwrap_err();
    assert!(err.to_string().contains("voiding statements cannot be voided"), "{err}");
    assert_eq!(f.count("SELECT count(*) FROM statement"), 2);

    // Voided before it arrives: stored voided, no learning event.
    let later: Value = serde_json::from_str(&f.statements[1]).unwrap();
    let later_id = later["id"].as_str().unwrap();
    f.post(&voiding("a1b2c3d4-0000-4000-8000-000000000003", later_id), None).await.unwrap();
    let stored = f.post(&f.statements[1], None).await.unwrap();
    assert_eq!((stored.new, stored.events.len()), (1, 0));
    assert!(f.get(&[("statementId", later_id)]).is_none());
}

#[test]
fn a_source_limited_to_classes_cannot_report_on_others() {
    let mut f = build_fixture();
    f.source.classes = Some(vec!["no-such-class".into()]);
    let err = f.prepare(&array(&f.statements[..2])).unwrap_err();
    assert!(matches!(&err, IngestError::ClassNotServed { at, .. } if at == "statement[0]"), "{err}");
    let bare = statement(json!({"mbox": "mailto:a@b.example"}), "https://x.example/a", json!({}));
    let err = f.prepare(&bare.to_string()).unwrap_err();
    assert!(matches!(&err, IngestError::NoClass { at, .. } if at == "statement"), "{err}");
    let class: Value = serde_json::from_str(&f.statements[0]).unwrap();
    let class_iri = class["context"]["contextActivities"]["grouping"][1]["id"].as_str().unwrap();
    f.source.classes = Some(vec![class_iri.rsplit('/').next().unwrap().to_string()]);
    assert_eq!(f.prepare(&f.statements[0]).unwrap().len(), 1);
}

/// A real sink: counts events into a table inside the transaction, remembers what it published.
#[derive(Default)]
struct CountingSink {
    fail: bool,
    published: std::sync::Mutex<Vec<(usize, Vec<Value>)>>,
}

impl EventSink for CountingSink {
    fn in_transaction(&self, c: &Connection, events: &[LearningEvent]) -> Result<Vec<Value>, StoreError> {
        c.execute_batch("CREATE TABLE IF NOT EXISTS sink_count (seq INTEGER PRIMARY KEY)")?;
        for e in events {
            c.execute("INSERT INTO sink_count (seq) VALUES (?1)", [e.seq])?;
        }
        if self.fail {
            return Err(StoreError::Invalid("the sink refuses".into()));
        }
        Ok(vec![json!({"counted": events.len()})])
    }

    fn after_commit(&self, events: Vec<LearningEvent>, changes: Vec<Value>) {
        self.published.lock().unwrap().push((events.len(), changes));
    }
}

#[tokio::test]
async fn the_sink_runs_in_the_transaction_and_after_the_commit() {
    let f = fixture().await;
    let sink = Arc::new(CountingSink::default());
    f.post(&array(&f.statements[..5]), Some(sink.clone())).await.unwrap();
    assert_eq!(f.count("SELECT count(*) FROM sink_count"), 5);
    assert_eq!(*sink.published.lock().unwrap(), [(5, vec![json!({"counted": 5})])]);

    let failing = Arc::new(CountingSink { fail: true, ..CountingSink::default() });
    let err = f.post(&array(&f.statements[5..9]), Some(failing.clone())).await.unwrap_err();
    assert!(err.to_string().contains("the sink refuses"), "{err}");
    assert_eq!(f.count("SELECT count(*) FROM statement"), 5, "a failing sink rolls the batch back");
    assert_eq!(f.count("SELECT count(*) FROM sink_count"), 5);
    assert!(failing.published.lock().unwrap().is_empty(), "nothing is published for a refused batch");
}

#[tokio::test]
async fn lists_filter_and_page() {
    let f = fixture().await;
    f.post(&array(&f.statements[..30]), None).await.unwrap();
    let first: Value = serde_json::from_str(&f.statements[0]).unwrap();
    let page = f.get(&[("limit", "7"), ("ascending", "true")]).unwrap();
    let v: Value = serde_json::from_str(&page.body).unwrap();
    assert_eq!(v["statements"].as_array().unwrap().len(), 7);
    assert_eq!(v["statements"][0]["id"], first["id"]);
    let mut seen: Vec<String> = v["statements"].as_array().unwrap().iter().map(|s| s["id"].to_string()).collect();
    let mut more = v["more"].as_str().unwrap().to_string();
    while !more.is_empty() {
        let cursor = more.strip_prefix("/xapi/statements?more=").unwrap().to_string();
        let next: Value = serde_json::from_str(&f.get(&[("more", &cursor)]).unwrap().body).unwrap();
        seen.extend(next["statements"].as_array().unwrap().iter().map(|s| s["id"].to_string()));
        more = next["more"].as_str().unwrap().to_string();
    }
    assert_eq!(seen.len(), 30);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 30, "pages neither repeat nor skip");
    assert!(page.consistent_through.is_some() && page.last_modified.is_some());

    let agent = first["actor"].to_string();
    let by_agent: Value = serde_json::from_str(&f.get(&[("agent", &agent)]).unwrap().body).unwrap();
    let list = by_agent["statements"].as_array().unwrap();
    assert!(!list.is_empty() && list.iter().all(|s| s["actor"] == first["actor"]));

    let quiz = first["context"]["contextActivities"]["grouping"][0]["id"].as_str().unwrap();
    let direct: Value = serde_json::from_str(&f.get(&[("activity", quiz)]).unwrap().body).unwrap();
    assert!(direct["statements"].as_array().unwrap().is_empty(), "the quiz is not the object");
    let related: Value =
        serde_json::from_str(&f.get(&[("activity", quiz), ("related_activities", "true")]).unwrap().body).unwrap();
    assert!(!related["statements"].as_array().unwrap().is_empty());

    // since/until select by `stored` (here one microsecond apart: the fixed clock stands still).
    let stored: Vec<String> = {
        let all: Value = serde_json::from_str(&f.get(&[("ascending", "true")]).unwrap().body).unwrap();
        all["statements"].as_array().unwrap().iter().map(|s| s["stored"].as_str().unwrap().to_string()).collect()
    };
    let window: Value = serde_json::from_str(
        &f.get(&[("since", &stored[9]), ("until", &stored[19]), ("ascending", "true")]).unwrap().body,
    )
    .unwrap();
    let window: Vec<&str> =
        window["statements"].as_array().unwrap().iter().map(|s| s["stored"].as_str().unwrap()).collect();
    assert_eq!(window, stored[10..20].iter().map(String::as_str).collect::<Vec<_>>());

    let ids: Value = serde_json::from_str(&f.get(&[("limit", "1"), ("format", "ids")]).unwrap().body).unwrap();
    assert!(ids["statements"][0]["verb"].get("display").is_none());
    assert!(f.get(&[("statementId", "00000000-0000-4000-8000-000000000000")]).is_none());
}

mod related;
