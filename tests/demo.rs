//! The demo as a person meets it: every school node answers, and every role can sign in and lands
//! on its own home page, linked to real rostered people; the district aggregator receives each
//! school's sealed release.

use lantern::demo::{self, DemoArgs, DEMO_ACCOUNTS};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_serves_three_schools_and_every_role_can_log_in() {
    let d = demo::start(DemoArgs { data_dir: None, port: 0, students: 40, seconds: None }).await.unwrap();
    assert_eq!(d.nodes.len(), 3);
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    for (name, node) in &d.nodes {
        let health: Value = client.get(format!("{}/healthz", node.url())).send().await.unwrap().json().await.unwrap();
        assert_eq!(health["status"], "ok", "{name}");
        for (user, role, password) in DEMO_ACCOUNTS {
            let r = client
                .post(format!("{}/api/v1/login", node.url()))
                .json(&serde_json::json!({"username": user, "password": password, "kind": "api"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{name}: {user}");
            let token = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
            let me: Value = client
                .get(format!("{}/api/v1/me", node.url()))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(me["account"]["role"], role.as_str());
            if matches!(
                role,
                lantern_node::auth::Role::Teacher
                    | lantern_node::auth::Role::Student
                    | lantern_node::auth::Role::Guardian
            ) {
                assert!(
                    me["account"]["person_key"].as_str().is_some_and(|k| k.starts_with("p_")),
                    "{name}: {user} is linked: {me}"
                );
            }
        }
    }
    // Every school seals last month's release and the district aggregator receives it.
    let mut nodes_seen = Vec::new();
    for _ in 0..100 {
        let ledger: Value = client
            .get(format!("{}/api/v1/ledger", d.aggregator.url()))
            .bearer_auth(&d.analyst_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        nodes_seen =
            ledger["periods"].as_array().unwrap().iter().map(|r| r["node"].as_str().unwrap().to_string()).collect();
        nodes_seen.sort();
        nodes_seen.dedup();
        if nodes_seen.len() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(nodes_seen, ["jefferson-middle", "lincoln-middle", "roosevelt-middle"]);
    d.stop().await.unwrap();
}
