//! The alert pages (maud, no JavaScript): the early-warning list — school-wide by tier for MTSS,
//! own students for teachers — and one flag with its evidence, playbook, history, a form to
//! move it and a link to the student's page. Colour is always shown with its text label.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use lantern_policies::rules::{Indicator, Tier};
use maud::{html, Markup};
use serde::Deserialize;

use super::{audit, id};
use crate::alerts::view::{self, FlagDetail, FlagSummary, ListQuery};
use crate::alerts::workflow::{self, RequestedState, TransitionRequest};
use crate::auth::{Principal, Role};
use crate::http::views::{error_page, layout};
use crate::http::{ApiError, AppState};

pub(super) fn flag_badge(color: &str, label: &str) -> Markup {
    // The colour is decoration; the label carries the meaning (and is read by screen readers).
    html! { span class={ "flag " (color) } { (label) } }
}

fn rows(flags: &[FlagSummary]) -> Markup {
    html! {
        table {
            thead { tr { th { "Student" } th { "Flag" } th { "Why" } th { "State" } th { "Raised" } } }
            tbody {
                @for f in flags {
                    tr {
                        td { a href={ "/alerts/" (f.id) } { (f.student_name.as_deref().unwrap_or(&f.student_key)) } }
                        td { (flag_badge(&f.color, &f.label)) }
                        td { (f.reason) }
                        td { (f.state.as_str().replace('_', " ")) }
                        td { (f.raised_at.chars().take(10).collect::<String>()) }
                    }
                }
            }
        }
    }
}

/// `GET /alerts`.
pub async fn list(State(state): State<AppState>, Extension(p): Extension<Principal>) -> Response {
    let who = p.clone();
    let flags = match state.store.read(move |c| view::list(c, &who, &ListQuery::default())).await {
        Ok(f) => f,
        Err(e) => return error_page(&ApiError::from(e)).into_response(),
    };
    if let Err(e) = audit(&state, &p, "read_alerts", flags.iter().map(|f| f.student_key.clone()), "/alerts").await {
        return error_page(&e).into_response();
    }
    let (title, intro) = match p.role {
        Role::Mtss => ("Early-warning list", "Every open flag in the school, highest tier first."),
        _ => {
            ("Alerts for your students", "Open flags for students in your classes. Flags are suggestions: you decide.")
        }
    };
    layout(
        title,
        Some(&p),
        html! {
            h1 { (title) }
            p.muted { (intro) }
            @if flags.is_empty() { div.card { p { "No open flags." } } }
            @for tier in [3u8, 2, 1] {
                @let in_tier: Vec<FlagSummary> = flags.iter().filter(|f| f.tier == tier).cloned().collect();
                @if !in_tier.is_empty() {
                    div.card {
                        h2 { "Tier " (tier) " (" (in_tier.len()) ")" }
                        (rows(&in_tier))
                    }
                }
            }
        },
    )
    .into_response()
}

fn detail_page(p: &Principal, f: &FlagDetail, message: Option<&str>) -> Markup {
    let s = &f.summary;
    html! {
        h1 { (s.student_name.as_deref().unwrap_or(&s.student_key)) " · " (flag_badge(&s.color, &s.label)) }
        @if let Some(m) = message { p.error role="alert" { (m) } }
        div.card {
            h2 { "Why" }
            p { (s.reason) }
            @if let Some(values) = f.evidence["values"].as_array() {
                ul {
                    @for v in values {
                        @let name = v["indicator"].as_str().unwrap_or("?");
                        li { (name) ": " (evidence_value(name, &v["value"])) }
                    }
                }
            }
            @if let Some(standards) = f.evidence["standards"].as_array() {
                ul {
                    @for st in standards {
                        li { (st["standard"].as_str().unwrap_or("?")) ": " (standard_values(&st["values"])) }
                    }
                }
            }
            p.muted { "Rule " (s.rule_id) " v" (f.rule_version) " · policy " (f.policy_hash.chars().take(12).collect::<String>()) " · state " (s.state.as_str().replace('_', " ")) " · lapses " (s.expires_at.chars().take(10).collect::<String>()) " unless renewed" }
        }
        @if let Some(pb) = &f.playbook_detail {
            div.card {
                h2 { "Playbook: " (pb.title) }
                ol { @for step in &pb.steps { li { (step) } } }
                p { "Suggested interventions: " (pb.interventions.iter().map(|t| t.name().replace('_', " ")).collect::<Vec<_>>().join(", ")) }
                p { "Responsible: " (pb.responsible.name().replace('_', " ")) " · progress checks every " (pb.check_in_days) " days · goal in " (pb.goal_weeks) " weeks" }
                p.muted { "Families read: “" (pb.family_description) "”" }
            }
        }
        @if !f.next_states.is_empty() {
            div.card {
                h2 { "Act on this flag" }
                form method="post" action={ "/alerts/" (s.id) } {
                    input type="hidden" name="_csrf" value=(p.csrf_token);
                    label for="to" { "Move to" }
                    select #to name="to" {
                        @for st in &f.next_states {
                            @if *st != crate::alerts::FlagState::InterventionStarted {
                                option value=(st.as_str()) { (st.as_str().replace('_', " ")) }
                            }
                        }
                    }
                    label for="tier" { "New tier (only to override)" }
                    select #tier name="tier" { option value="" { "—" } option value="1" { "1" } option value="2" { "2" } option value="3" { "3" } }
                    label for="reason" { "Reason (needed to dismiss or override)" }
                    input #reason type="text" name="reason";
                    p { button type="submit" { "Save" } }
                }
                p.muted { "To start an intervention, create one for this flag (POST /api/v1/interventions)." }
            }
        }
        div.card {
            h2 { "History" }
            table {
                thead { tr { th { "When" } th { "From" } th { "To" } th { "Who" } th { "Why" } } }
                tbody {
                    @for e in &f.history {
                        tr {
                            td { (e.at.chars().take(16).collect::<String>().replace('T', " ")) }
                            td { (e.from_state.as_deref().unwrap_or("—")) }
                            td { (e.to_state) }
                            td { (e.role.as_deref().unwrap_or("system")) }
                            td { (e.reason.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
        p { a href={ "/students/" (s.student_key) } { "The student's page (mastery, next steps)" } " · " a href="/alerts" { "Back to the list" } }
    }
}

/// "mastery 17% from 5 answers", then any other values.
fn standard_values(values: &serde_json::Value) -> String {
    let all = values.as_array().cloned().unwrap_or_default();
    let find = |name: &str| all.iter().find(|v| v["indicator"] == name).map(|v| evidence_value(name, &v["value"]));
    let mut parts = Vec::new();
    match (find("mastery"), find("mastery_evidence")) {
        (Some(m), Some(n)) => parts.push(format!("mastery {m} from {n} answers")),
        (Some(m), None) => parts.push(format!("mastery {m}")),
        _ => {}
    }
    for v in &all {
        let name = v["indicator"].as_str().unwrap_or("?");
        if name != "mastery" && name != "mastery_evidence" {
            parts.push(format!("{name} {}", evidence_value(name, &v["value"])));
        }
    }
    parts.join(", ")
}

fn evidence_value(indicator: &str, value: &serde_json::Value) -> String {
    let parsed = serde_json::from_value::<lantern_policies::rules::Value>(value.clone()).ok();
    match (Indicator::from_name(indicator), parsed) {
        (Some(i), Some(v)) => i.format_value(v),
        _ => value.to_string(),
    }
}

async fn render_detail(state: &AppState, p: &Principal, raw: &str, message: Option<&str>) -> Response {
    let flag_id = match id("flag", raw) {
        Ok(i) => i,
        Err(e) => return error_page(&e).into_response(),
    };
    let (who, policy) = (p.clone(), state.policies.rules.clone());
    let flag = match state.store.read(move |c| view::detail(c, &policy, &who, flag_id)).await {
        Ok(f) => f,
        Err(e) => return error_page(&ApiError::from(e)).into_response(),
    };
    if let Err(e) = audit(state, p, "read_alert", [flag.summary.student_key.clone()], "/alerts/{id}").await {
        return error_page(&e).into_response();
    }
    layout("Flag", Some(p), detail_page(p, &flag, message)).into_response()
}

/// `GET /alerts/{id}`.
pub async fn detail(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
) -> Response {
    render_detail(&state, &p, &raw, None).await
}

#[derive(Deserialize)]
pub struct TransitionForm {
    pub to: String,
    #[serde(default)]
    pub tier: String,
    #[serde(default)]
    pub reason: String,
}

fn parse_form(f: &TransitionForm) -> Result<TransitionRequest, ApiError> {
    let to = match f.to.as_str() {
        "acknowledged" => RequestedState::Acknowledged,
        "dismissed" => RequestedState::Dismissed,
        "overridden" => RequestedState::Overridden,
        "resolved" => RequestedState::Resolved,
        other => return Err(ApiError::unprocessable(format!("to: {other:?} is not a state a person can choose"))),
    };
    let tier = match f.tier.trim() {
        "" => None,
        t => Some(
            t.parse::<u8>()
                .ok()
                .and_then(|n| Tier::try_from(n).ok())
                .ok_or_else(|| ApiError::unprocessable(format!("tier: {t:?}: expected 1, 2 or 3")))?,
        ),
    };
    let reason = Some(f.reason.trim().to_string()).filter(|r| !r.is_empty());
    Ok(TransitionRequest { to, reason, tier })
}

/// `POST /alerts/{id}`: the form on the flag page.
pub async fn transition(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
    Form(form): Form<TransitionForm>,
) -> Response {
    let result = async {
        let flag_id = id("flag", &raw)?;
        let req = parse_form(&form)?;
        let (who, now) = (p.clone(), state.clock.now());
        let flag = state.store.write(move |c| workflow::transition(c, &who, flag_id, &req, now)).await?;
        audit(&state, &p, "update_alert", [flag.student_key.clone()], "/alerts/{id}").await?;
        Ok::<i64, ApiError>(flag_id)
    }
    .await;
    match result {
        Ok(flag_id) => Redirect::to(&format!("/alerts/{flag_id}")).into_response(),
        Err(e) if e.status.as_u16() == 409 || e.status.as_u16() == 422 => {
            render_detail(&state, &p, &raw, Some(&e.message)).await
        }
        Err(e) => error_page(&e).into_response(),
    }
}
