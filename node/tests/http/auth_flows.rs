//! Logging in and out, sessions, tokens, CSRF, throttling, passwords — and that bad input changes
//! nothing.

use chrono::Duration;
use serde_json::{json, Value};

use crate::support::{error_code, TestNode, PASSWORD};

#[tokio::test]
async fn health_and_metrics() {
    let n = TestNode::start().await;
    let r = n.client.get(n.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "ok");
    let m = n.client.get(n.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(m.contains("lantern_node_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"), "{m}");
    assert!(m.contains("lantern_node_writer_queue_depth"), "{m}");
    assert!(m.contains("lantern_node_http_request_duration_seconds_bucket"), "{m}");
}

#[tokio::test]
async fn unknown_routes_and_methods_use_the_json_error_shape() {
    let n = TestNode::start().await;
    let r = n.client.get(n.url("/api/v1/nothing-here")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(error_code(r).await, "not_found");
    let r = n.client.put(n.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(error_code(r).await, "method_not_allowed");
}

#[tokio::test]
async fn every_role_can_log_in_and_see_itself() {
    let n = TestNode::start().await;
    for role in lantern_node::auth::Role::ALL {
        let token = n.token(role.as_str()).await;
        let r = n.client.get(n.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["account"]["role"], role.as_str());
        assert!(v["capabilities"].as_array().unwrap().iter().any(|c| c == "own_account"));
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_user_look_alike_and_change_nothing() {
    let n = TestNode::start().await;
    let sessions = n.count("session");
    for (u, p) in [("teacher", "wrong password!"), ("nobody", PASSWORD)] {
        let r =
            n.client.post(n.url("/api/v1/login")).json(&json!({"username": u, "password": p})).send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert!(r.headers().get("set-cookie").is_none());
        assert_eq!(error_code(r).await, "invalid_credentials");
    }
    assert_eq!(n.count("session"), sessions);
    // Malformed bodies get the JSON shape too.
    let r = n
        .client
        .post(n.url("/api/v1/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(error_code(r).await, "bad_request");
    let r = n.client.post(n.url("/api/v1/login")).json(&json!({"username": "teacher"})).send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(error_code(r).await, "invalid_body");
    assert_eq!(n.count("session"), sessions);
}

#[tokio::test]
async fn login_is_rate_limited_per_account() {
    let n = TestNode::start().await;
    for _ in 0..5 {
        let r = n
            .client
            .post(n.url("/api/v1/login"))
            .json(&json!({"username": "mtss", "password": "nope nope nope"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    // Even the right password is refused while locked.
    let r = n
        .client
        .post(n.url("/api/v1/login"))
        .json(&json!({"username": "mtss", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    assert_eq!(error_code(r).await, "rate_limited");
    n.clock.advance(Duration::minutes(16));
    let r = n
        .client
        .post(n.url("/api/v1/login"))
        .json(&json!({"username": "mtss", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn sessions_expire_and_can_be_revoked() {
    let n = TestNode::start().await;
    let (cookie, csrf) = n.browser_login("teacher").await;
    let me = |c: &str| n.client.get(n.url("/api/v1/me")).header("cookie", c.to_string()).send();
    assert_eq!(me(&cookie).await.unwrap().status(), 200);
    n.clock.advance(Duration::hours(9));
    let r = me(&cookie).await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(error_code(r).await, "session_expired");

    let (cookie, csrf2) = n.browser_login("teacher").await;
    assert_ne!(csrf, csrf2);
    let r = n
        .client
        .post(n.url("/api/v1/logout"))
        .header("cookie", cookie.clone())
        .header("x-csrf-token", csrf2)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = me(&cookie).await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(error_code(r).await, "session_revoked");
}

#[tokio::test]
async fn cookie_sessions_need_csrf_on_state_changes() {
    let n = TestNode::start().await;
    let (cookie, csrf) = n.browser_login("admin").await;
    let accounts = n.count("account");
    let body = json!({"username": "new.teacher", "role": "teacher"});
    for bad in [None, Some("not-the-token")] {
        let mut req = n.client.post(n.url("/api/v1/accounts")).header("cookie", cookie.clone()).json(&body);
        if let Some(t) = bad {
            req = req.header("x-csrf-token", t);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert_eq!(error_code(r).await, "csrf");
    }
    assert_eq!(n.count("account"), accounts, "a refused request changes nothing");
    let r = n
        .client
        .post(n.url("/api/v1/accounts"))
        .header("cookie", cookie)
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["one_time_password"].as_str().unwrap().len(), 20);
    assert_eq!(n.count("account"), accounts + 1);
}

#[tokio::test]
async fn html_forms_carry_csrf_too() {
    let n = TestNode::start().await;
    let (cookie, csrf) = n.browser_login("guardian").await;
    let r = n.client.post(n.url("/logout")).header("cookie", cookie.clone()).form(&[("x", "y")]).send().await.unwrap();
    assert_eq!(r.status(), 403);
    let r = n
        .client
        .post(n.url("/logout"))
        .header("cookie", cookie.clone())
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");
}

#[tokio::test]
async fn pages_redirect_anonymous_visitors_and_login_form_works() {
    let n = TestNode::start().await;
    let r = n.client.get(n.url("/home")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login");
    let page = n.client.get(n.url("/login")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Sign in to Lantern"));
    let r = n
        .client
        .post(n.url("/login"))
        .form(&[("username", "teacher"), ("password", "bad password")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("wrong username or password"));
    let r =
        n.client.post(n.url("/login")).form(&[("username", "teacher"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/home");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let home = n.client.get(n.url("/home")).header("cookie", cookie).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("Your classes") && home.contains("Teacher"), "{home}");
}

#[tokio::test]
async fn one_time_password_must_be_changed_first() {
    let n = TestNode::start().await;
    let admin = n.token("admin").await;
    let r = n.client.post(n.url("/api/v1/accounts/teacher/password")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let otp = r.json::<Value>().await.unwrap()["one_time_password"].as_str().unwrap().to_string();
    let r = n
        .client
        .post(n.url("/api/v1/login"))
        .json(&json!({"username": "teacher", "password": otp, "kind": "api"}))
        .send()
        .await
        .unwrap();
    let t = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    let r = n.client.get(n.url("/api/v1/me/sessions")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200, "own account stays reachable");
    let r = n
        .client
        .post(n.url("/api/v1/me/password"))
        .bearer_auth(&t)
        .json(&json!({"current_password": otp, "new_password": "short"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = n
        .client
        .post(n.url("/api/v1/me/password"))
        .bearer_auth(&t)
        .json(&json!({"current_password": otp, "new_password": "a much better password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn password_change_required_blocks_other_capabilities() {
    let n = TestNode::start().await;
    let admin = n.token("admin").await;
    let r = n.client.post(n.url("/api/v1/accounts/admin2/password")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), 404, "unknown user");
    assert_eq!(error_code(r).await, "unknown_user");
    let r = n
        .client
        .post(n.url("/api/v1/accounts"))
        .bearer_auth(&admin)
        .json(&json!({"username": "admin2", "role": "admin"}))
        .send()
        .await
        .unwrap();
    let otp = r.json::<Value>().await.unwrap()["one_time_password"].as_str().unwrap().to_string();
    let r = n
        .client
        .post(n.url("/api/v1/login"))
        .json(&json!({"username": "admin2", "password": otp, "kind": "api"}))
        .send()
        .await
        .unwrap();
    let t = r.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    let r = n.client.get(n.url("/api/v1/accounts")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(error_code(r).await, "password_change_required");
}

#[tokio::test]
async fn account_admin_bad_input_changes_nothing() {
    let n = TestNode::start().await;
    let admin = n.token("admin").await;
    let before = n.count("account");
    for (body, status, code) in [
        (json!({"username": "x", "role": "studnet"}), 422, "unprocessable"),
        (json!({"username": "teacher", "role": "teacher"}), 409, "duplicate_user"),
        (json!({"username": "has space", "role": "teacher"}), 422, "invalid"),
        (json!({"username": "weak", "role": "teacher", "password": "short"}), 422, "invalid"),
        (json!({"username": "ghost", "role": "guardian", "person": "no-such-person"}), 422, "invalid"),
    ] {
        let r = n.client.post(n.url("/api/v1/accounts")).bearer_auth(&admin).json(&body).send().await.unwrap();
        let got = r.status().as_u16();
        let c = error_code(r).await;
        assert_eq!((got, c.as_str()), (status, code), "{body}");
    }
    assert_eq!(n.count("account"), before);
    let r = n.client.post(n.url("/api/v1/accounts/admin/disable")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), 409, "cannot disable oneself");
}

#[tokio::test]
async fn disabled_account_loses_its_sessions() {
    let n = TestNode::start().await;
    let admin = n.token("admin").await;
    let t = n.token("teacher").await;
    let r = n.client.post(n.url("/api/v1/accounts/teacher/disable")).bearer_auth(&admin).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = n.client.get(n.url("/api/v1/me")).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = n
        .client
        .post(n.url("/api/v1/login"))
        .json(&json!({"username": "teacher", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(error_code(r).await, "account_disabled");
}

#[tokio::test]
async fn graceful_shutdown_finishes_writes() {
    let n = TestNode::start().await;
    let t = n.token("admin").await;
    let url = n.url("/api/v1/accounts");
    let client = n.client.clone();
    let mut pending = Vec::new();
    for i in 0..5 {
        let (c, u, t) = (client.clone(), url.clone(), t.clone());
        pending.push(tokio::spawn(async move {
            c.post(u)
                .bearer_auth(t)
                .json(&json!({"username": format!("late{i}"), "role": "teacher", "password": "long enough password"}))
                .send()
                .await
        }));
    }
    let mut created = 0;
    for p in pending {
        if let Ok(Ok(r)) = p.await {
            if r.status() == 201 {
                created += 1;
            }
        }
    }
    let store = n.store.clone();
    n.node.stop().await.unwrap();
    let count: i64 = store
        .read_blocking(|c| {
            Ok::<i64, lantern_node::store::StoreError>(c.query_row(
                "SELECT count(*) FROM account WHERE username LIKE 'late%'",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
    assert_eq!(count, created, "every acknowledged write is stored");
}
