//! Teaching aids over real HTTP: regroup suggestions with misconceptions, next steps suggested,
//! changed and accepted by the teacher, seen by the student and fetched by a practice tool with
//! its data-source credentials; summaries as Markdown downloads; the tuning report.

use serde_json::{json, Value};

use crate::alerts_fixture::{dump, evaluate, seed, FOCUS, S1, S2};
use crate::support::{t0, TestNode};

async fn get(n: &TestNode, token: &str, path: &str) -> (u16, Value) {
    let r = n.client.get(n.url(path)).bearer_auth(token).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn regroup_next_steps_and_the_practice_tool() {
    let n = TestNode::start().await;
    seed(&n).await;
    let teacher = n.token("teacher").await;

    let (st, r) = get(&n, &teacher, "/api/v1/classes/class-1/regroup?k=2").await;
    assert_eq!(st, 200, "{r}");
    assert_eq!(r["method"], "sorted-split");
    assert_eq!(r["groups"][0]["students"][0]["student_key"], S1);
    assert_eq!(r["groups"][0]["needs"][0]["standard"], FOCUS);
    assert_eq!(r["groups"][0]["misconceptions"][0], json!({"misconception": "ratio-as-difference", "count": 4}));
    let (st, _) = get(&n, &teacher, "/api/v1/classes/class-2/regroup").await;
    assert_eq!(st, 403, "another teacher's class");
    let (st, _) = get(&n, &teacher, "/api/v1/classes/class-1/regroup?k=0").await;
    assert_eq!(st, 422);

    // Suggested: practice on the weak standard with items for the student's misconception.
    let (st, steps) = get(&n, &teacher, &format!("/api/v1/students/{S1}/next-steps")).await;
    assert_eq!(st, 200, "{steps}");
    let practice = &steps["suggested"][0];
    assert_eq!(
        (practice["kind"].as_str(), practice["misconception"].as_str()),
        (Some("practice"), Some("ratio-as-difference"))
    );
    assert_eq!(practice["items"], json!(["q6"]), "the one item not yet answered");
    let (st, _) = get(&n, &teacher, &format!("/api/v1/students/{S2}/next-steps")).await;
    assert_eq!(st, 403);

    // The teacher changes the items and accepts.
    let mut changed = practice.clone();
    changed["items"] = json!(["q6", "q1"]);
    let r = n
        .client
        .post(n.url(&format!("/api/v1/students/{S1}/next-steps")))
        .bearer_auth(&teacher)
        .json(&json!({"steps": [changed]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let before = dump(&n, "next_step");
    let r = n
        .client
        .post(n.url(&format!("/api/v1/students/{S1}/next-steps")))
        .bearer_auth(&teacher)
        .json(&json!({"steps": [{"kind": "practice", "items": ["no-such-item"]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(dump(&n, "next_step"), before, "a refused change leaves the accepted steps");

    let student = n.token("student").await;
    let (st, mine) = get(&n, &student, &format!("/api/v1/students/{S1}/next-steps")).await;
    assert_eq!(st, 200);
    assert!(mine.get("suggested").is_none(), "students see only what the teacher accepted");
    assert_eq!(mine["accepted"][0]["items"], json!(["q6", "q1"]));
    assert_eq!(mine["accepted"][0]["changed_by_teacher"], true);

    // A practice tool with credentials for class-1 fetches them; one for class-2 may not.
    let store = n.store.clone();
    let (ours, theirs) = tokio::task::spawn_blocking(move || {
        (
            lantern_node::sources::create(&store, "practice", Some(vec!["class-1".into()]), t0()).unwrap(),
            lantern_node::sources::create(&store, "other", Some(vec!["class-2".into()]), t0()).unwrap(),
        )
    })
    .await
    .unwrap();
    let fetch = |key: String, secret: String| {
        n.client.get(n.url("/api/v1/practice/next-steps?student=stu-1")).basic_auth(key, Some(secret)).send()
    };
    let r = fetch(ours.key.clone(), ours.secret.clone()).await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["steps"][0]["items"], json!(["q6", "q1"]));
    assert_eq!(fetch(theirs.key, theirs.secret).await.unwrap().status(), 403);
    assert_eq!(fetch(ours.key, "wrong".into()).await.unwrap().status(), 401);
    let r =
        n.client.get(n.url("/api/v1/practice/next-steps?student=stu-1")).bearer_auth(&teacher).send().await.unwrap();
    assert_eq!(r.status(), 403, "a person's session is not a data source");
}

#[tokio::test]
async fn summaries_download_as_markdown_and_tuning_reports_per_rule() {
    let n = TestNode::start().await;
    seed(&n).await;
    evaluate(&n, S1).await;
    let teacher = n.token("teacher").await;
    let r = n.client.get(n.url("/api/v1/summaries/teacher?format=md")).bearer_auth(&teacher).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/markdown; charset=utf-8");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment; filename=\"lantern-teacher-summary-"));
    let text = r.text().await.unwrap();
    assert!(text.contains("## Math 6A") && text.contains("ratio-as-difference"), "{text}");
    let (st, _) = get(&n, &teacher, "/api/v1/summaries/teacher?format=pdf").await;
    assert_eq!(st, 400);
    let (st, _) = get(&n, &teacher, "/api/v1/summaries/mtss").await;
    assert_eq!(st, 403);

    let guardian = n.token("guardian").await;
    let (st, fam) = get(&n, &guardian, &format!("/api/v1/summaries/family?student={S1}")).await;
    assert_eq!(st, 200, "{fam}");
    assert_eq!((fam["days_absent"].as_u64(), fam["days_present"].as_u64()), (Some(3), Some(2)));
    assert!(!fam.to_string().to_lowercase().contains("tier"));
    let (st, _) = get(&n, &guardian, &format!("/api/v1/summaries/family?student={S2}")).await;
    assert_eq!(st, 403);

    let mtss = n.token("mtss").await;
    let (st, s) = get(&n, &mtss, "/api/v1/summaries/mtss").await;
    assert_eq!(st, 200);
    assert_eq!(s["live_by_tier"], json!([0, 1, 0]));
    let (_, list) = get(&n, &mtss, "/api/v1/alerts").await;
    let id = list["alerts"][0]["id"].as_i64().unwrap();
    let r = n
        .client
        .post(n.url(&format!("/api/v1/alerts/{id}/rating")))
        .bearer_auth(&teacher)
        .json(&json!({"useful": true, "comment": "caught it early"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (st, t) = get(&n, &mtss, "/api/v1/alerts/tuning").await;
    assert_eq!(st, 200);
    let rule = t["rules"].as_array().unwrap().iter().find(|r| r["rule_id"] == "reteach-attendance").unwrap();
    assert_eq!((rule["raised"].as_u64(), rule["rated_useful"].as_u64()), (Some(1), Some(1)));
    assert_eq!(rule["comments"][0]["comment"], "caught it early");
}
