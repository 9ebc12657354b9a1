//! The indicator JSON routes and pages over real HTTP: scoping (own classes, own student), the
//! access log entry for every student-level read, and the live class page.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use serde_json::Value;

use crate::live_stream::{answer, feed, roster};
use crate::support::TestNode;

async fn get(n: &TestNode, user: &str, path: &str) -> reqwest::Response {
    let token = n.token(user).await;
    n.client.get(n.url(path)).bearer_auth(token).send().await.unwrap()
}

#[tokio::test]
async fn class_overview_is_scoped_and_logged() {
    let n = TestNode::start().await;
    roster(&n).await;
    feed(&n, vec![answer(1, "p1", "c1", true), answer(2, "p2", "c1", false)]).await;
    let before = n.count("access_log");
    let r = get(&n, "teacher", "/api/v1/classes/c1/overview").await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["students"].as_array().unwrap().len(), 2);
    let cell = &v["students"][0]["mastery"]["CCSS.MATH.CONTENT.6.RP.A.3"];
    assert_eq!(cell["evidence"], 1);
    assert!(cell["low"].as_f64().unwrap() < cell["mastery"].as_f64().unwrap());
    assert_eq!(n.count("access_log"), before + 2, "one entry per student read");

    let r = get(&n, "teacher", "/api/v1/classes/c2/overview").await;
    assert_eq!(r.status(), 403);
    assert_eq!(n.count("access_log"), before + 2, "a refused read logs nothing");
    assert_eq!(get(&n, "mtss", "/api/v1/classes/c2/overview").await.status(), 200);
    assert_eq!(get(&n, "teacher", "/api/v1/classes/none/overview").await.status(), 404);
}

#[tokio::test]
async fn session_items_and_attendance_views() {
    let n = TestNode::start().await;
    roster(&n).await;
    feed(&n, vec![answer(1, "p1", "c1", false)]).await;
    let v: Value = get(&n, "teacher", "/api/v1/classes/c1/sessions").await.json().await.unwrap();
    assert_eq!(v["sessions"][0]["session_id"], "sess-c1");
    let r = get(&n, "teacher", "/api/v1/sessions/sess-c1").await;
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["not_responded"], serde_json::json!(["p2"]));
    assert_eq!(s["items"][0]["wrong_answers"][0]["misconception"], "adds the ratios");
    assert_eq!(get(&n, "teacher", "/api/v1/sessions/sess-c2").await.status(), 404);

    let items: Value = get(&n, "teacher", "/api/v1/classes/c1/items").await.json().await.unwrap();
    assert_eq!(items["items"][0]["difficulty"], 0.0);
    assert_eq!(items["items"][0]["choices"][0]["misconception"], "adds the ratios");

    let att = get(&n, "teacher", "/api/v1/classes/c1/attendance").await;
    assert_eq!(att.status(), 200);
    let att: Value = att.json().await.unwrap();
    assert_eq!(att["students"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn students_and_guardians_see_only_their_own() {
    let n = TestNode::start().await;
    roster(&n).await;
    feed(&n, vec![answer(1, "p1", "c1", true)]).await;
    let r = get(&n, "student", "/api/v1/students/p1/indicators").await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["standards"][0]["items"][0]["responses"][0]["correct"], true);
    assert!(v["indicators"]["accuracy_recent"].is_number());
    assert_eq!(get(&n, "student", "/api/v1/students/p2/indicators").await.status(), 403);
    assert_eq!(get(&n, "guardian", "/api/v1/students/p2/indicators").await.status(), 200);
    assert_eq!(get(&n, "guardian", "/api/v1/students/p1/indicators").await.status(), 403);
    assert_eq!(get(&n, "teacher", "/api/v1/students/p3/indicators").await.status(), 403);
    assert_eq!(get(&n, "teacher", "/api/v1/students/nobody/indicators").await.status(), 404);
}

#[tokio::test]
async fn live_class_page_and_mastery_grid_render_for_the_teacher() {
    let n = TestNode::start().await;
    roster(&n).await;
    feed(&n, vec![answer(1, "p1", "c1", false)]).await;
    let (cookie, _) = n.browser_login("teacher").await;
    let page = |path: &'static str| {
        let (client, url, cookie) = (n.client.clone(), n.url(path), cookie.clone());
        async move { client.get(url).header("cookie", cookie).send().await.unwrap() }
    };
    let r = page("/classes/c1/live").await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Ada Lovelace") && html.contains("Alan Turing"), "{html}");
    assert!(html.contains("adds the ratios"), "misconception shown");
    assert!(html.contains("EventSource"), "the page listens to the stream");
    let r = page("/classes/c1/mastery").await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Ada Lovelace"));
    assert_eq!(page("/classes/c2/live").await.status(), 403);
}

/// A read of the node's views waits until the indicator engine has written what was acknowledged
/// before it: the engine's write is held behind a busy writer here, and the overview still shows
/// the answer (without the wait it would read the tables before the write).
#[tokio::test]
async fn a_read_reflects_every_statement_acknowledged_before_it() {
    use std::time::Duration;

    use lantern_node::store::indicators::seed;
    use lantern_node::store::StoreError;

    let n = TestNode::start().await;
    roster(&n).await;
    let events = vec![answer(1, "p1", "c1", true)];
    let stored = events.clone();
    n.store.write(move |c| stored.iter().try_for_each(|e| seed::event(c, e))).await.unwrap();
    // The writer is busy for a moment; the engine's write of these indicators queues behind it.
    let store = n.store.clone();
    let busy = tokio::spawn(async move {
        store
            .write(|_| {
                std::thread::sleep(Duration::from_millis(300));
                Ok::<_, StoreError>(())
            })
            .await
    });
    tokio::time::sleep(Duration::from_millis(30)).await;
    n.node.state.event_sink.clone().unwrap().after_commit(events, Vec::new());
    let v: Value = get(&n, "teacher", "/api/v1/classes/c1/overview").await.json().await.unwrap();
    let p1 = v["students"].as_array().unwrap().iter().find(|s| s["student_key"] == "p1").unwrap();
    assert_eq!(p1["mastery"]["CCSS.MATH.CONTENT.6.RP.A.3"]["evidence"], 1, "{v}");
    busy.await.unwrap().unwrap();
}
