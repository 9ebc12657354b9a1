//! The sign-in flow and each role's home page.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::Duration;
use maud::{html, Markup};
use serde::Deserialize;

use crate::auth::{self, Capability, Principal, Role, SessionKind};
use crate::http::session::{clear_cookie, principal_of, session_cookie};
use crate::http::views::{error_page, layout};
use crate::http::{ApiError, AppState};

pub async fn root(req: Request) -> Redirect {
    if principal_of(&req).is_some() {
        Redirect::to("/home")
    } else {
        Redirect::to("/login")
    }
}

fn login_page(school: &str, message: Option<&str>) -> Markup {
    layout(
        "Sign in",
        None,
        html! {
            div.card style="max-width:26rem" {
                h1 { "Sign in to Lantern" }
                p.muted { (school) }
                @if let Some(m) = message { p.error role="alert" { (m) } }
                form method="post" action="/login" {
                    label for="username" { "Username" }
                    input #username type="text" name="username" autocomplete="username" required;
                    label for="password" { "Password" }
                    input #password type="password" name="password" autocomplete="current-password" required;
                    p { button type="submit" { "Sign in" } }
                }
                p.muted { "Student data stays on this school's server. Every look at a student's record is logged." }
            }
        },
    )
}

pub async fn login_form(State(state): State<AppState>) -> Markup {
    login_page(&state.config.school_name, None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
}

pub async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Form(f): Form<LoginForm>,
) -> Response {
    let ttl = Duration::minutes(i64::from(state.config.auth.session_ttl_minutes));
    let address = peer.ip().to_string();
    let attempt = auth::LoginAttempt {
        username: &f.username,
        password: &f.password,
        address: &address,
        now: state.clock.now(),
        ttl,
        kind: SessionKind::Browser,
    };
    let result = auth::login(&state.store, &state.limiter, &state.login_limits(), attempt).await;
    match result {
        Ok(s) => {
            let to = if s.principal.must_change_password { "/account/password" } else { "/home" };
            (
                StatusCode::SEE_OTHER,
                [
                    (header::SET_COOKIE, session_cookie(&s.token, ttl.num_seconds(), state.config.cookies_secure())),
                    (header::LOCATION, to.to_string()),
                ],
            )
                .into_response()
        }
        Err(e) => {
            state.metrics.login_failures.inc();
            let api: ApiError = e.into();
            (api.status, login_page(&state.config.school_name, Some(&api.message))).into_response()
        }
    }
}

pub async fn logout(State(state): State<AppState>, Extension(p): Extension<Principal>) -> Response {
    if let Err(e) = auth::logout(&state.store, p.session_id, state.clock.now()).await {
        return error_page(&e.into()).into_response();
    }
    (
        StatusCode::SEE_OTHER,
        [(header::SET_COOKIE, clear_cookie(state.config.cookies_secure())), (header::LOCATION, "/login".to_string())],
    )
        .into_response()
}

/// What each role finds on its home page.
fn role_intro(role: Role) -> (&'static str, Vec<&'static str>) {
    match role {
        Role::Teacher => (
            "Your classes",
            vec![
                "Live quiz view with who has answered and common wrong answers",
                "Mastery by standard for each student",
                "Alerts for your students, with the evidence",
            ],
        ),
        Role::Mtss => (
            "School-wide supports",
            vec!["Early-warning list by tier", "Interventions and progress checks", "Appeals to answer"],
        ),
        Role::Student => ("Your progress", vec!["Your progress on each standard", "Your goals and reflection notes"]),
        Role::Guardian => ("Your children", vec!["Progress, attendance and current supports, in plain language"]),
        Role::Admin => (
            "School administration",
            vec![
                "Accounts and links",
                "Roster, item bank and attendance imports",
                "xAPI data sources",
                "Policies in force",
            ],
        ),
        Role::PrivacyOfficer => (
            "Privacy records",
            vec![
                "Access log (who read which student's record)",
                "Retention and purge history",
                "Privacy-budget ledger",
            ],
        ),
    }
}

/// The classes a teacher or MTSS coordinator can open, with their titles.
async fn my_classes(state: &AppState, p: &Principal) -> Vec<(String, String)> {
    if !matches!(p.role, Role::Teacher | Role::Mtss) {
        return Vec::new();
    }
    let principal = p.clone();
    state
        .store
        .read(move |c| {
            let scope = crate::auth::scope::class_scope(c, &principal)?;
            match scope {
                crate::auth::scope::ClassScope::School => crate::store::scope::class_titles(c, None),
                crate::auth::scope::ClassScope::Classes(ids) => crate::store::scope::class_titles(c, Some(&ids)),
            }
        })
        .await
        .unwrap_or_default()
}

pub async fn home(State(state): State<AppState>, Extension(p): Extension<Principal>) -> Markup {
    let (heading, items) = role_intro(p.role);
    let classes = my_classes(&state, &p).await;
    let caps: Vec<Capability> = Capability::ALL.into_iter().filter(|c| auth::allows(p.role, *c)).collect();
    layout(
        heading,
        Some(&p),
        html! {
            h1 { (heading) }
            div.card {
                p { "Signed in as " strong { (p.username) } " (" (p.role.title()) ") at " (state.config.school_name) "." }
                ul { @for i in &items { li { (i) } } }
                p.muted { "Capabilities: " @for (n, c) in caps.iter().enumerate() { @if n > 0 { ", " } (format!("{c:?}")) } }
            }
            @if p.role == Role::Student {
                div.card { h2 { "Your progress" } p { a href="/me/progress" { "Your progress and next steps" } } }
            }
            @if p.role == Role::Guardian {
                div.card { h2 { "Your children" } p { a href="/family" { "Their week, supports and your requests to the school" } } }
            }
            @if matches!(p.role, Role::Teacher | Role::Mtss) {
                div.card {
                    h2 { "Alerts" }
                    p { a href="/alerts" { "Early-warning alerts" } " · " a href="/summaries" { "Weekly summary" } }
                }
                div.card {
                    h2 { "Classes" }
                    @if classes.is_empty() { p.muted { "No classes are linked to your account yet." } }
                    table {
                        @for (id, title) in &classes {
                            tr {
                                td { (title) }
                                td { a href={ "/classes/" (id) "/live" } { "Live quiz view" } }
                                td { a href={ "/classes/" (id) "/mastery" } { "Mastery grid" } }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn password_page(p: &Principal, message: Option<&str>) -> Markup {
    layout(
        "Change password",
        Some(p),
        html! {
            div.card style="max-width:26rem" {
                h1 { "Choose a new password" }
                @if p.must_change_password { p { "Your password was set by an administrator. Please choose your own before continuing." } }
                @if let Some(m) = message { p.error role="alert" { (m) } }
                form method="post" action="/account/password" {
                    input type="hidden" name="_csrf" value=(p.csrf_token);
                    label for="cur" { "Current password" }
                    input #cur type="password" name="current_password" autocomplete="current-password" required;
                    label for="new" { "New password (at least 10 characters)" }
                    input #new type="password" name="new_password" autocomplete="new-password" required minlength="10";
                    p { button type="submit" { "Change password" } }
                }
            }
        },
    )
}

pub async fn password_form(Extension(p): Extension<Principal>) -> Markup {
    password_page(&p, None)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    pub current_password: String,
    pub new_password: String,
}

pub async fn password_submit(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Form(f): Form<PasswordForm>,
) -> Response {
    match auth::change_own_password(&state.store, &p, &f.current_password, &f.new_password, state.clock.now()).await {
        Ok(()) => Redirect::to("/home").into_response(),
        Err(e) => {
            let api: ApiError = e.into();
            (api.status, password_page(&p, Some(&api.message))).into_response()
        }
    }
}
