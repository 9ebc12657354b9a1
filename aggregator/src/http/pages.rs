//! The district analyst's dashboard (maud): nodes and their last release, the privacy ledger,
//! district estimates with 95% intervals for a table, and the bias audit. Every number is a sum of
//! released noisy cells; small cells show as "suppressed". Never a single student.

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

use super::access::COOKIE;
use super::api;
use super::error::ApiError;
use super::AppState;
use crate::bias_audit::Interval;
use crate::estimates::Estimate;
use crate::store;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.muted{color:#888}
.flag{background:#fff3cd}nav a{margin-right:1rem}";

fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (title) " — Lantern aggregator" } style { (STYLE) } }
            body { (body) }
        }
    }
}

/// `GET /login`.
pub async fn login_form() -> Markup {
    page(
        "Sign in",
        html! {
            h1 { "Lantern district aggregator" }
            p { "Paste the analyst token (from the aggregator's " code { "analyst-token" } " file)." }
            form method="post" action="/login" {
                input type="password" name="token" autocomplete="current-password" required;
                " " button type="submit" { "Sign in" }
            }
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    token: String,
}

/// `POST /login`: checks the token and sets it as an HttpOnly, SameSite=Strict cookie.
pub async fn login(State(state): State<AppState>, Form(form): Form<LoginForm>) -> Result<Response, ApiError> {
    if !state.token.matches(&form.token) {
        return Err(ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", "that is not the analyst token"));
    }
    let cookie = format!("{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/", form.token.trim());
    let mut resp = Redirect::to("/").into_response();
    let value =
        HeaderValue::from_str(&cookie).map_err(|_| ApiError::bad_request("the token has invalid characters"))?;
    resp.headers_mut().insert(header::SET_COOKIE, value);
    Ok(resp)
}

/// `POST /logout`.
pub async fn logout() -> Response {
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("lantern_analyst=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    resp
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    table: Option<String>,
}

fn shown(e: &Estimate) -> Markup {
    html! {
        @match (e.shown, e.ci95) {
            (Some(v), Some([lo, hi])) => { (v) " " span.muted { "(" (lo.max(0.0).round()) "–" (hi.max(0.0).round()) ")" } }
            _ => span.muted { "suppressed" },
        }
    }
}

fn interval(i: Option<Interval>, digits: usize) -> Markup {
    html! {
        @match i {
            Some(i) => { (format!("{:.*}", digits, i.estimate)) " " span.muted { (format!("[{:.*}, {:.*}]", digits, i.low, digits, i.high)) } }
            None => span.muted { "—" },
        }
    }
}

/// `GET /`: redirects to /login without the token.
pub async fn dashboard(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<DashboardQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    if state.token.check(&headers).is_err() {
        return Ok(Redirect::to("/login").into_response());
    }
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let s = state.clone();
    let markup = tokio::task::spawn_blocking(move || render(&s, q.table.as_deref()))
        .await
        .map_err(|e| ApiError::internal("rendering the dashboard", e))??;
    Ok(markup.into_response())
}

fn render(state: &AppState, table: Option<&str>) -> Result<Markup, ApiError> {
    let releases = store::releases(&state.store.lock())?;
    let ledger = api::ledger(state)?;
    let trends = api::trends(state, table, None)?;
    let audit = api::bias_audit(state, None)?;
    let latest = trends.periods.last();
    Ok(page(
        "Dashboard",
        html! {
            h1 { (state.district_name) }
            nav {
                @for t in state.policy.tables() { a href={"/?table=" (t.id)} { (t.id) } }
                form method="post" action="/logout" style="display:inline" { button type="submit" { "Sign out" } }
            }
            h2 { "Schools" }
            table {
                tr { th { "node" } th { "name" } th { "releases" } th { "last period" } th { "last received" } }
                @for n in state.nodes.values() {
                    @let mine: Vec<_> = releases.iter().filter(|r| r.node_id == n.id.as_str()).collect();
                    tr {
                        td { (n.id) } td { (n.name) } td { (mine.len()) }
                        td { (mine.first().map_or("—", |r| r.period.as_str())) }
                        td { (mine.first().map_or("—", |r| r.received_at.as_str())) }
                    }
                }
            }
            h2 { "Privacy budget spent" }
            p.muted { "zCDP ρ per node and period (budget " (ledger.period_budget_rho) " per period, "
                (ledger.year_budget_rho) " per year); ε at δ = " (ledger.delta) " by OpenDP's conversion." }
            table {
                tr { th { "node" } th { "period" } th { "releases" } th { "ρ" } th { "ε" } }
                @for r in &ledger.periods {
                    tr { td { (r.node) } td { (r.period) } td { (r.releases) } td { (format!("{:.4}", r.rho)) } td { (format!("{:.2}", r.epsilon)) } }
                }
            }
            h2 { "Estimates: " (trends.table) }
            p { (trends.description) }
            p.muted { "District totals are sums of the schools' noisy counts with 95% intervals (noise only); values below "
                (trends.min_cell) " are suppressed." }
            @if let Some(p) = latest {
                h3 { "Period " (p.period) " — " (p.schools.len()) " school(s)" }
                @for part in &p.partitions {
                    @if let Some(per) = &part.per { h4 { (per) @if let Some(f) = &part.subgroup { " × " (f) } } }
                    @else if let Some(f) = &part.subgroup { h4 { "by " (f) } }
                    table {
                        tr { th { (trends.dimensions.join(" × ")) } th { "district" } @for s in &p.schools { th { (s) } } }
                        @for c in &part.cells {
                            tr {
                                td { (crate::estimates::key_text(&c.key)) }
                                td { (shown(&c.district)) }
                                @for s in &p.schools {
                                    td { @match c.schools.get(s) { Some(e) => (shown(e)), None => span.muted { "—" } } }
                                }
                            }
                        }
                    }
                }
            } @else {
                p.muted { "No releases yet." }
            }
            h2 { "Bias audit of alert rules (" (audit.period) ")" }
            p.muted { "Flag-rate ratio: the group's flag rate over the rest of its family. FPR: flagged among students whose later outcome was proficient; FNR: not flagged among students who later needed support (levels "
                (audit.needed_support_levels.join(", ")) "). Gaps are the group's rate minus the rest's. 95% intervals." }
            @for r in &audit.rules {
                h3 { "Rule " (r.rule) }
                table {
                    tr { th { "group" } th { "students" } th { "flag rate" } th { "ratio" } th { "FPR gap" } th { "FNR gap" } }
                    @for f in &r.families {
                        @for g in &f.groups {
                            @let off = g.flag_rate_ratio.is_some_and(|i| i.low > 1.25 || i.high < 0.8);
                            tr class=[off.then_some("flag")] {
                                td { (f.family) ": " (g.value) }
                                @if g.suppressed { td colspan="5" { span.muted { "suppressed (small group)" } } }
                                @else {
                                    td { (g.students.unwrap_or(0)) }
                                    td { (interval(g.flag_rate, 3)) }
                                    td { (interval(g.flag_rate_ratio, 2)) }
                                    td { (interval(g.false_positive_gap, 3)) }
                                    td { (interval(g.false_negative_gap, 3)) }
                                }
                            }
                        }
                    }
                }
            }
        },
    ))
}
