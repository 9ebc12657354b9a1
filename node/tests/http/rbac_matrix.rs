//! The RBAC matrix: every route × every role (and no login at all), against an expected table
//! written out here by hand. A route added to the router without a row here fails the test, so the
//! matrix grows with the routes.

use std::collections::BTreeMap;

use lantern_node::auth::Role;
use lantern_node::http::router::{route_table, Access};

use crate::support::TestNode;

const ALL: &[Role] = &Role::ALL;
const NONE: &[Role] = &[];

/// (method, path) → roles that may use it; `None` for public routes.
fn expected() -> BTreeMap<(&'static str, &'static str), Option<&'static [Role]>> {
    use Role::*;
    let rows: &[(&str, &str, Option<&[Role]>)] = &[
        ("GET", "/healthz", None),
        ("GET", "/metrics", None),
        ("POST", "/api/v1/login", None),
        ("POST", "/api/v1/logout", Some(ALL)),
        ("GET", "/api/v1/me", Some(ALL)),
        ("POST", "/api/v1/me/password", Some(ALL)),
        ("GET", "/api/v1/me/sessions", Some(ALL)),
        ("DELETE", "/api/v1/me/sessions/{id}", Some(ALL)),
        ("POST", "/api/v1/me/tokens", Some(ALL)),
        ("GET", "/api/v1/accounts", Some(&[Admin])),
        ("POST", "/api/v1/accounts", Some(&[Admin])),
        ("POST", "/api/v1/accounts/{username}/links", Some(&[Admin])),
        ("POST", "/api/v1/accounts/{username}/password", Some(&[Admin])),
        ("POST", "/api/v1/accounts/{username}/disable", Some(&[Admin])),
        ("GET", "/api/v1/imports", Some(&[Admin])),
        ("POST", "/api/v1/imports/{kind}", Some(&[Admin])),
        ("GET", "/api/v1/privacy/access-log", Some(&[PrivacyOfficer])),
        ("GET", "/api/v1/privacy/access-log/verify", Some(&[PrivacyOfficer])),
        // xAPI: data sources only (Basic credentials); a person's session or token is refused.
        ("GET", "/xapi/about", None),
        ("GET", "/xapi/statements", Some(NONE)),
        ("POST", "/xapi/statements", Some(NONE)),
        ("PUT", "/xapi/statements", Some(NONE)),
        ("GET", "/api/v1/sources", Some(&[Admin])),
        ("POST", "/api/v1/sources", Some(&[Admin])),
        ("POST", "/api/v1/sources/{name}/revoke", Some(&[Admin])),
        ("GET", "/api/v1/xapi/unmatched", Some(&[Admin])),
        // Alerts (issue 7)
        ("GET", "/api/v1/alerts", Some(&[Teacher, Mtss])),
        ("GET", "/api/v1/alerts/{id}", Some(&[Teacher, Mtss])),
        ("POST", "/api/v1/alerts/{id}/transitions", Some(&[Teacher, Mtss])),
        ("POST", "/api/v1/alerts/{id}/rating", Some(&[Teacher, Mtss])),
        ("GET", "/api/v1/interventions", Some(&[Teacher, Mtss])),
        ("POST", "/api/v1/interventions", Some(&[Teacher, Mtss])),
        ("GET", "/api/v1/interventions/outcomes", Some(&[Mtss])),
        ("GET", "/api/v1/interventions/{id}", Some(&[Teacher, Mtss])),
        ("POST", "/api/v1/interventions/{id}/checks", Some(&[Teacher, Mtss])),
        ("POST", "/api/v1/interventions/{id}/close", Some(&[Teacher, Mtss])),
        ("GET", "/api/v1/appeals", Some(&[Teacher, Mtss, Student, Guardian])),
        ("POST", "/api/v1/appeals", Some(&[Student, Guardian])),
        ("POST", "/api/v1/appeals/{id}/answer", Some(&[Mtss])),
        ("GET", "/api/v1/supports", Some(&[Student, Guardian])),
        ("GET", "/api/v1/alerts/tuning", Some(&[Mtss])),
        ("GET", "/api/v1/classes/{class}/regroup", Some(&[Teacher, Mtss])),
        ("GET", "/api/v1/students/{student}/next-steps", Some(&[Teacher, Mtss, Student, Guardian])),
        ("POST", "/api/v1/students/{student}/next-steps", Some(&[Teacher, Mtss])),
        // Data-source Basic credentials only: anonymous 401, every person's session 403.
        ("GET", "/api/v1/practice/next-steps", Some(NONE)),
        ("GET", "/api/v1/summaries/teacher", Some(&[Teacher, Mtss])),
        ("GET", "/api/v1/summaries/mtss", Some(&[Mtss])),
        ("GET", "/api/v1/summaries/family", Some(&[Teacher, Mtss, Student, Guardian])),
        ("GET", "/", None),
        ("GET", "/login", None),
        ("POST", "/login", None),
        ("POST", "/logout", Some(ALL)),
        ("GET", "/home", Some(ALL)),
        ("GET", "/account/password", Some(ALL)),
        ("POST", "/account/password", Some(ALL)),
        ("GET", "/alerts", Some(&[Teacher, Mtss])),
        ("GET", "/alerts/summary", Some(&[Teacher, Mtss])),
        ("GET", "/alerts/{id}", Some(&[Teacher, Mtss])),
        ("POST", "/alerts/{id}", Some(&[Teacher, Mtss])),
        ("GET", "/summaries", Some(&[Teacher, Mtss])),
        ("GET", "/students/{student}", Some(&[Teacher, Mtss])),
        ("POST", "/students/{student}/next-steps", Some(&[Teacher, Mtss])),
        // Each of these sends the other role to its own page (303), so both may call them.
        ("GET", "/me/progress", Some(&[Student, Guardian])),
        ("GET", "/family", Some(&[Student, Guardian])),
        ("POST", "/family/appeals", Some(&[Student, Guardian])),
        // Indicators and the live stream
        ("GET", "/api/v1/stream", Some(&[Teacher, Mtss, Student, Guardian])),
        ("GET", "/api/v1/classes/{class}/overview", Some(&[Teacher, Mtss])),
        ("GET", "/api/v1/classes/{class}/sessions", Some(&[Teacher, Mtss])),
        ("GET", "/api/v1/classes/{class}/items", Some(&[Teacher, Mtss])),
        ("GET", "/api/v1/classes/{class}/attendance", Some(&[Teacher, Mtss])),
        ("GET", "/api/v1/sessions/{id}", Some(&[Teacher, Mtss])),
        ("GET", "/api/v1/students/{student}/indicators", Some(&[Teacher, Mtss, Student, Guardian])),
        ("GET", "/classes/{class}/live", Some(&[Teacher, Mtss])),
        ("GET", "/classes/{class}/mastery", Some(&[Teacher, Mtss])),
    ];
    rows.iter().map(|(m, p, r)| ((*m, *p), *r)).collect()
}

fn concrete(path: &str) -> String {
    path.replace("{id}", "999999")
        .replace("{username}", "nobody-here")
        .replace("{kind}", "attendance")
        .replace("{class}", "no-such-class")
        .replace("{student}", "no-such-student")
        .replace("{name}", "nobody-here")
}

#[tokio::test]
async fn every_route_times_every_role() {
    let n = TestNode::start().await;
    let want = expected();
    let routes = route_table();
    for r in &routes {
        assert!(
            want.contains_key(&(r.method.as_str(), r.path)),
            "route {} {} has no row in the RBAC matrix test",
            r.method,
            r.path
        );
    }
    assert_eq!(want.len(), routes.len(), "the matrix lists routes the router does not have");

    let mut checked = 0;
    for r in &routes {
        let allowed = want[&(r.method.as_str(), r.path)];
        let is_page = matches!(r.access, Access::Page(_));
        // Anonymous.
        let resp = n
            .client
            .request(r.method.clone(), n.url(&concrete(r.path)))
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        let st = resp.status().as_u16();
        match allowed {
            None => assert!(st != 401 && st != 403, "{} {} anonymous: public route answered {st}", r.method, r.path),
            Some(_) if is_page => assert_eq!(st, 303, "{} {} anonymous: expected redirect to login", r.method, r.path),
            Some(_) => assert_eq!(st, 401, "{} {} anonymous", r.method, r.path),
        }
        checked += 1;
        let Some(roles) = allowed else { continue };
        for role in Role::ALL {
            // A fresh token per request: some routes (logout) end the session they are called with.
            let token = n.token(role.as_str()).await;
            let resp = n
                .client
                .request(r.method.clone(), n.url(&concrete(r.path)))
                .bearer_auth(&token)
                .json(&serde_json::json!({}))
                .send()
                .await
                .unwrap();
            let st = resp.status().as_u16();
            if roles.contains(&role) {
                assert!(st != 401 && st != 403, "{} {} as {role}: allowed, but answered {st}", r.method, r.path);
            } else {
                assert_eq!(st, 403, "{} {} as {role}: must be refused", r.method, r.path);
            }
            checked += 1;
        }
    }
    assert!(checked > routes.len() * 3, "the matrix ran ({checked} checks)");
}
