//! Alerts over real HTTP: stored answers and absences raise a tier 2 flag; a teacher acknowledges
//! it, starts an intervention, records progress and closes it with an outcome; expiry under a
//! fixed clock; a guardian's appeal answered by MTSS; 403 and 409 paths that change nothing.

use chrono::Duration;
use lantern_node::alerts;
use lantern_policies::rules::{FactSheet, Indicator, Value as Reading};
use serde_json::{json, Value};

use crate::alerts_fixture::{dump, evaluate, seed, FOCUS, S1, S2};
use crate::support::{error_code, TestNode};

async fn get(n: &TestNode, token: &str, path: &str) -> (u16, Value) {
    let r = n.client.get(n.url(path)).bearer_auth(token).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn post(n: &TestNode, token: &str, path: &str, body: Value) -> reqwest::Response {
    n.client.post(n.url(path)).bearer_auth(token).json(&body).send().await.unwrap()
}

fn flag_tables(n: &TestNode) -> Vec<Vec<String>> {
    ["flag", "flag_event", "intervention", "progress_check", "appeal"].iter().map(|t| dump(n, t)).collect()
}

#[tokio::test]
async fn from_stored_data_to_a_closed_intervention() {
    let n = TestNode::start().await;
    seed(&n).await;
    let changes = evaluate(&n, S1).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    let teacher = n.token("teacher").await;

    // The teacher's list: the tier 2 flag with colour and text label, and its evidence.
    let before_log = n.count("access_log");
    let (st, list) = get(&n, &teacher, "/api/v1/alerts").await;
    assert_eq!(st, 200, "{list}");
    assert_eq!(list["counts"]["tier_2"], 1);
    let flag = &list["alerts"][0];
    assert_eq!((flag["tier"].as_u64(), flag["color"].as_str()), (Some(2), Some("amber")));
    assert_eq!(flag["label"], "Tier 2: targeted support");
    assert_eq!(flag["student_name"], "Ada Lovelace");
    assert!(n.count("access_log") > before_log, "a student-level read is logged");
    let id = flag["id"].as_i64().unwrap();
    let (_, detail) = get(&n, &teacher, &format!("/api/v1/alerts/{id}")).await;
    assert_eq!(detail["evidence"]["rule_id"], "reteach-attendance");
    assert_eq!(detail["evidence"]["values"][0], json!({"indicator": "absences_14d", "value": 3}));
    assert_eq!(detail["evidence"]["standards"][0]["standard"], FOCUS);
    assert_eq!(detail["playbook_detail"]["check_in_days"], 7);
    assert!(detail["playbook_detail"]["steps"].as_array().unwrap().len() >= 3);

    // Another class's teacher may neither read nor act on it; nothing changes.
    let other = n.token("teacher2").await;
    let before = flag_tables(&n);
    let r = post(&n, &other, &format!("/api/v1/alerts/{id}/transitions"), json!({"to": "acknowledged"})).await;
    assert_eq!(r.status(), 403);
    assert_eq!(error_code(r).await, "out_of_scope");
    let (st, _) = get(&n, &other, &format!("/api/v1/alerts/{id}")).await;
    assert_eq!(st, 403);
    let (_, theirs) = get(&n, &other, "/api/v1/alerts").await;
    assert_eq!(theirs["alerts"].as_array().unwrap().len(), 0);
    assert_eq!(flag_tables(&n), before);

    let r = post(&n, &teacher, &format!("/api/v1/alerts/{id}/transitions"), json!({"to": "acknowledged"})).await;
    assert_eq!(r.status(), 200);
    let intervention = json!({
        "flag_id": id,
        "kind": "small_group_reteach",
        "goal": {"indicator": "mastery", "standard": FOCUS, "baseline": 0.1, "target": 0.7},
        "strategies": ["Tape diagrams in a group of four", "Exit ticket each Friday"],
    });
    let r = post(&n, &teacher, "/api/v1/interventions", intervention).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    let iid = v["id"].as_i64().unwrap();
    assert_eq!(v["goal_date"], "2026-10-26", "six weeks from the start");

    n.clock.advance(Duration::days(7));
    let r =
        post(&n, &teacher, &format!("/api/v1/interventions/{iid}/checks"), json!({"value": 0.25, "note": "ok"})).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert!((v["checks"][0]["expected"].as_f64().unwrap() - 0.2).abs() < 1e-9, "{v}");
    assert_eq!(v["checks"][0]["on_track"], true);
    let r = post(&n, &teacher, &format!("/api/v1/interventions/{iid}/close"), json!({"outcome": "met"})).await;
    assert_eq!(r.status(), 200);

    let (_, detail) = get(&n, &teacher, &format!("/api/v1/alerts/{id}")).await;
    assert_eq!(detail["state"], "resolved");
    let history: Vec<&str> =
        detail["history"].as_array().unwrap().iter().map(|e| e["to_state"].as_str().unwrap()).collect();
    assert_eq!(history, ["open", "acknowledged", "intervention_started", "resolved"]);

    // Resolved is final: 409 and nothing changed.
    let before = flag_tables(&n);
    let r = post(&n, &teacher, &format!("/api/v1/alerts/{id}/transitions"), json!({"to": "acknowledged"})).await;
    assert_eq!(r.status(), 409);
    assert_eq!(error_code(r).await, "conflict");
    let r = post(&n, &teacher, &format!("/api/v1/interventions/{iid}/close"), json!({"outcome": "partly"})).await;
    assert_eq!(r.status(), 409);
    let r = post(&n, &teacher, &format!("/api/v1/alerts/{id}/transitions"), json!({"to": "expired"})).await;
    assert_eq!(r.status(), 422, "expiry is the system's");
    assert_eq!(flag_tables(&n), before);

    let mtss = n.token("mtss").await;
    let (st, counts) = get(&n, &mtss, "/api/v1/interventions/outcomes").await;
    assert_eq!(st, 200);
    assert_eq!(counts["by_rule"][0], json!({"key": "reteach-attendance", "met": 1, "partly": 0, "not_met": 0}));
}

#[tokio::test]
async fn an_unrenewed_flag_expires_on_the_fixed_clock() {
    let n = TestNode::start().await;
    seed(&n).await;
    evaluate(&n, S1).await;
    let mtss = n.token("mtss").await;
    let (_, list) = get(&n, &mtss, "/api/v1/alerts").await;
    let id = list["alerts"][0]["id"].as_i64().unwrap();
    // Thirteen days on, with no new data the absences have left the 14-day window: not yet expired.
    n.clock.advance(Duration::days(13));
    assert!(evaluate(&n, S1).await.is_empty());
    n.clock.advance(Duration::days(1));
    let changes = evaluate(&n, S1).await;
    assert_eq!(changes.len(), 1, "{changes:?}");
    let (_, live) = get(&n, &mtss, "/api/v1/alerts").await;
    assert_eq!(live["alerts"].as_array().unwrap().len(), 0);
    let (_, all) = get(&n, &mtss, "/api/v1/alerts?all=true").await;
    assert_eq!(all["alerts"][0]["state"], "expired");
    let before = flag_tables(&n);
    let r = post(&n, &mtss, &format!("/api/v1/alerts/{id}/transitions"), json!({"to": "resolved"})).await;
    assert_eq!(r.status(), 409);
    let msg: Value = r.json().await.unwrap();
    assert!(msg["error"]["message"].as_str().unwrap().contains("is expired"), "{msg}");
    assert_eq!(flag_tables(&n), before);
    let (st, _) = get(&n, &mtss, "/api/v1/alerts?tier=banana").await;
    assert_eq!(st, 400);
}

#[tokio::test]
async fn a_guardian_appeals_and_mtss_answers() {
    let n = TestNode::start().await;
    seed(&n).await;
    evaluate(&n, S1).await;
    let guardian = n.token("guardian").await;
    let (st, seen) = get(&n, &guardian, "/api/v1/supports").await;
    assert_eq!(st, 200, "{seen}");
    let support = &seen["students"][0]["supports"][0];
    assert!(support["description"].as_str().unwrap().starts_with("Your child is working in a small group"));
    let text = seen.to_string().to_lowercase();
    for word in ["tier", "amber", "label", "risk", "reason"] {
        assert!(!text.contains(word), "{word} shown to a guardian: {text}");
    }
    // Staff routes stay closed to guardians.
    let (st, _) = get(&n, &guardian, "/api/v1/alerts").await;
    assert_eq!(st, 403);

    let flag_id = support["id"].as_i64().unwrap();
    let r =
        post(&n, &guardian, "/api/v1/appeals", json!({"flag_id": flag_id, "text": "She had the flu; we sent notes."}))
            .await;
    assert_eq!(r.status(), 201);
    let appeal: Value = r.json().await.unwrap();
    let aid = appeal["id"].as_i64().unwrap();

    // Not a linked child, or a second open appeal: refused, nothing stored.
    let (policy, now) = (n.node.state.policies.rules.clone(), n.node.state.clock.now());
    let dropping = FactSheet::new().with(Indicator::ParticipationChange, Reading::Number(-0.5));
    let raised = n.store.write(move |c| alerts::evaluate_student(c, &policy, S2, &dropping, now)).await.unwrap();
    let s2_flag = match &raised[..] {
        [alerts::FlagChange::Raised { flag_id, .. }] => *flag_id,
        other => panic!("{other:?}"),
    };
    let before = flag_tables(&n);
    let r = post(&n, &guardian, "/api/v1/appeals", json!({"flag_id": s2_flag, "text": "not mine"})).await;
    assert_eq!(r.status(), 403);
    let r = post(&n, &guardian, "/api/v1/appeals", json!({"flag_id": flag_id, "text": "again"})).await;
    assert_eq!(r.status(), 409);
    let r = post(&n, &guardian, "/api/v1/appeals", json!({"flag_id": flag_id, "text": "  "})).await;
    assert_eq!(r.status(), 422);
    let teacher = n.token("teacher").await;
    let r = post(&n, &teacher, &format!("/api/v1/appeals/{aid}/answer"), json!({"decision": "upheld", "answer": "x"}))
        .await;
    assert_eq!(r.status(), 403, "only MTSS answers");
    assert_eq!(flag_tables(&n), before);

    let mtss = n.token("mtss").await;
    let (_, open) = get(&n, &mtss, "/api/v1/appeals").await;
    assert_eq!(open["appeals"][0]["state"], "open");
    let answer = json!({"decision": "changed", "answer": "Thank you: we have dismissed it."});
    let r = post(&n, &mtss, &format!("/api/v1/appeals/{aid}/answer"), answer).await;
    assert_eq!(r.status(), 200);
    let (_, seen) = get(&n, &guardian, "/api/v1/supports").await;
    let a = &seen["students"][0]["supports"][0]["appeal"];
    assert_eq!((a["state"].as_str(), a["decision"].as_str()), (Some("answered"), Some("changed")));
    let (_, theirs) = get(&n, &guardian, "/api/v1/appeals").await;
    assert_eq!(theirs["appeals"].as_array().unwrap().len(), 1, "the guardian sees the answer too");
}

#[tokio::test]
async fn the_pages_show_colour_with_a_label_and_take_a_form() {
    let n = TestNode::start().await;
    seed(&n).await;
    evaluate(&n, S1).await;
    let (cookie, csrf) = n.browser_login("mtss").await;
    let page = n.client.get(n.url("/alerts")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Early-warning list") && html.contains("Tier 2 (1)"), "{html}");
    assert!(html.contains(r#"<span class="flag amber">Tier 2: targeted support</span>"#), "{html}");
    let page = n.client.get(n.url("/alerts/1")).header("cookie", &cookie).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("Small-group reteach + attendance check-in") && html.contains("absences_14d: 3"), "{html}");

    let form = |body: String| {
        n.client
            .post(n.url("/alerts/1"))
            .header("cookie", &cookie)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let before = flag_tables(&n);
    let r = form(format!("_csrf={csrf}&to=dismissed&tier=&reason=")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("reason: required to move a flag to dismissed"));
    let r = form("_csrf=wrong&to=acknowledged".into()).await.unwrap();
    assert_eq!(r.status(), 403, "CSRF");
    assert_eq!(flag_tables(&n), before);
    let r = form(format!("_csrf={csrf}&to=acknowledged&tier=&reason=")).await.unwrap();
    assert_eq!(r.status(), 303);
    let moved = n.client.get(n.url("/alerts/summary")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!((moved.status().as_u16(), moved.headers()["location"].to_str().unwrap()), (308, "/summaries"));
    let page = n.client.get(n.url("/summaries")).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Overdue progress checks"));
    let teacher2 = n.browser_login("teacher2").await;
    let r = n.client.get(n.url("/alerts/1")).header("cookie", &teacher2.0).send().await.unwrap();
    assert_eq!(r.status(), 403, "another class's teacher");
}
