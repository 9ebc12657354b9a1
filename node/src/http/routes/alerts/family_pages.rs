//! The pages students and families read, in plain language and never with tiers, colours, risk
//! scores or flags: `/me/progress` (a student's progress per standard and the next steps their
//! teacher accepted) and `/family` (per linked child: the week, current supports, the appeal form
//! and the state of every appeal filed; the form posts to `/family/appeals`, which files through
//! the same domain function as `POST /api/v1/appeals`). Each page sends the other role to its own.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::{html, Markup};
use serde::Deserialize;

use super::audit;
use crate::alerts::appeals::{self, AppealRequest};
use crate::alerts::next_steps::AcceptedStep;
use crate::alerts::student_views::{self, ChildView, OwnProgress};
use crate::auth::{Principal, Role};
use crate::http::views::{error_page, layout};
use crate::http::{ApiError, AppState};

fn day(ts: &str) -> String {
    ts.chars().take(10).collect()
}

/// The accepted steps in plain words with their items' titles. Not the note: a suggestion's note
/// quotes the mastery score, and students never see scores.
fn steps_list(steps: &[AcceptedStep], titles: &std::collections::BTreeMap<String, String>) -> Markup {
    html! {
        @if steps.is_empty() { p.muted { "None set right now." } }
        ul {
            @for a in steps {
                li {
                    (a.step.plain())
                    @if !a.step.items.is_empty() {
                        ": " (a.step.items.iter().map(|i| titles.get(i).cloned().unwrap_or_else(|| i.clone())).collect::<Vec<_>>().join(", "))
                    }
                }
            }
        }
    }
}

fn progress_page(mine: &[OwnProgress]) -> Markup {
    html! {
        h1 { "Your progress" }
        @if mine.is_empty() { div.card { p { "Your account is not linked to a student record yet. Ask the school office." } } }
        @for m in mine {
            div.card {
                @if mine.len() > 1 { h2 { (m.name.as_deref().unwrap_or("")) } }
                h2 { "How you are doing on each standard" }
                @if m.standards.is_empty() { p.muted { "No answers yet: your progress shows here once you start answering questions." } }
                table {
                    tbody {
                        @for s in &m.standards {
                            tr { td { (s.standard) } td { (s.words) " " span.muted { "(from " (s.answered) " answers)" } } }
                        }
                    }
                }
            }
            div.card {
                h2 { "Your next steps" }
                (steps_list(&m.next_steps, &m.item_titles))
            }
        }
        p { a href="/home" { "Home" } }
    }
}

/// `GET /me/progress` (students; a guardian is sent to `/family`).
pub async fn my_progress(State(state): State<AppState>, Extension(p): Extension<Principal>) -> Response {
    if p.role == Role::Guardian {
        return Redirect::to("/family").into_response();
    }
    let who = p.clone();
    let mine = match state.store.read(move |c| student_views::own_progress(c, &who)).await {
        Ok(m) => m,
        Err(e) => return error_page(&ApiError::from(e)).into_response(),
    };
    if let Err(e) =
        audit(&state, &p, "read_own_progress", mine.iter().map(|m| m.student_key.clone()), "/me/progress").await
    {
        return error_page(&e).into_response();
    }
    layout("Your progress", Some(&p), progress_page(&mine)).into_response()
}

fn appeal_state(state: &str, decision: Option<&str>) -> &'static str {
    match (state, decision) {
        ("open", _) => "waiting for the school's answer",
        (_, Some("changed")) => "answered: the school changed it",
        _ => "answered: the school kept it as it is",
    }
}

fn child_card(p: &Principal, c: &ChildView) -> Markup {
    let s = &c.summary;
    html! {
        div.card id={ "child-" (s.student_key) } {
            h2 { (s.name.as_deref().unwrap_or("Your child")) }
            p.muted { "Week of " (day(&s.week.from)) " to " (day(&s.week.to)) }
            ul {
                li { "At school " (s.days_present) " of " (s.days_present + s.days_absent) " school days." }
                li { "Answered " (s.questions_answered) " practice and quiz questions, " (s.questions_correct) " of them correctly." }
            }
            h3 { "How the school is helping" }
            @if c.supports.is_empty() { p { "Nothing extra right now: your child is following the regular class." } }
            @for sup in &c.supports {
                div style="border-top:1px solid var(--line); padding:.5rem 0" {
                    p { (sup.description) " " span.muted { "(since " (sup.since) ")" } }
                    @match &sup.appeal {
                        Some(a) if a.state == "open" => {
                            p.muted { "You asked the school to look at this again on " (day(&a.filed_at)) ": " (appeal_state(&a.state, None)) "." }
                        }
                        _ => {
                            @if let Some(a) = &sup.appeal {
                                p.muted { "Your last request (" (day(&a.filed_at)) "): " (appeal_state(&a.state, a.decision.as_deref())) "." }
                            }
                            details {
                                summary { "Ask the school to look at this again" }
                                form method="post" action="/family/appeals" {
                                    input type="hidden" name="_csrf" value=(p.csrf_token);
                                    input type="hidden" name="target" value={ (sup.kind) ":" (sup.id) };
                                    label for={ "text-" (sup.kind) "-" (sup.id) } { "What should the school know?" }
                                    textarea id={ "text-" (sup.kind) "-" (sup.id) } name="text" rows="3" required style="width:100%; max-width:32rem" {}
                                    p { button type="submit" { "Send" } }
                                }
                            }
                        }
                    }
                }
            }
            h3 { "Next steps" }
            @if s.next_steps.is_empty() { p.muted { "None set this week." } }
            ul { @for n in &s.next_steps { li { (n) } } }
            h3 { "Your requests to the school" }
            @if c.appeals.is_empty() { p.muted { "None." } }
            @for a in &c.appeals {
                div style="border-top:1px solid var(--line); padding:.5rem 0" {
                    p { strong { (day(&a.filed_at)) } " · about: " (a.about) }
                    p { "You wrote: “" (a.text) "”" }
                    p { "State: " strong { (appeal_state(&a.state, a.decision.as_deref())) }
                        @if let Some(at) = &a.answered_at { " (" (day(at)) ")" } }
                    @if let Some(ans) = &a.answer { p { "The school's answer: " (ans) } }
                }
            }
        }
    }
}

fn family_page(p: &Principal, children: &[ChildView], message: Option<&str>) -> Markup {
    html! {
        h1 { "Your children" }
        @if let Some(m) = message { p.error role="alert" { (m) } }
        @if children.is_empty() { div.card { p { "No child is linked to your account yet. Ask the school office." } } }
        @for c in children { (child_card(p, c)) }
        p.muted { "If you disagree with a support, ask the school to look at it again: the team answers every request, and you see the answer here." }
        p { a href="/home" { "Home" } }
    }
}

async fn render_family(state: &AppState, p: &Principal, message: Option<(StatusCode, &str)>) -> Response {
    let (who, policy, now) = (p.clone(), state.policies.rules.clone(), state.clock.now());
    let children = match state.store.read(move |c| student_views::family_view(c, &policy, &who, now)).await {
        Ok(c) => c,
        Err(e) => return error_page(&ApiError::from(e)).into_response(),
    };
    let keys = children.iter().map(|c| c.summary.student_key.clone());
    if let Err(e) = audit(state, p, "read_family_page", keys, "/family").await {
        return error_page(&e).into_response();
    }
    let status = message.map_or(StatusCode::OK, |(s, _)| s);
    (status, layout("Your children", Some(p), family_page(p, &children, message.map(|(_, m)| m)))).into_response()
}

/// `GET /family` (guardians; a student is sent to `/me/progress`).
pub async fn family(State(state): State<AppState>, Extension(p): Extension<Principal>) -> Response {
    if p.role == Role::Student {
        return Redirect::to("/me/progress").into_response();
    }
    render_family(&state, &p, None).await
}

#[derive(Deserialize)]
pub struct AppealForm {
    /// `flag:ID` or `intervention:ID`: the support the appeal is about.
    pub target: String,
    pub text: String,
}

fn parse_target(target: &str, text: String) -> Result<AppealRequest, ApiError> {
    let bad = || ApiError::unprocessable(format!("target: {target:?} names no support"));
    let (kind, id) = target.split_once(':').ok_or_else(bad)?;
    let id: i64 = id.parse().map_err(|_| bad())?;
    match kind {
        "flag" => Ok(AppealRequest { flag_id: Some(id), intervention_id: None, text }),
        "intervention" => Ok(AppealRequest { flag_id: None, intervention_id: Some(id), text }),
        _ => Err(bad()),
    }
}

/// `POST /family/appeals`: the appeal form of the family page.
pub async fn file_appeal(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Form(form): Form<AppealForm>,
) -> Response {
    let result = async {
        let req = parse_target(&form.target, form.text)?;
        let (who, now) = (p.clone(), state.clock.now());
        let appeal = state.store.write(move |c| appeals::file(c, &who, &req, now)).await?;
        audit(&state, &p, "file_appeal", [appeal.student_key.clone()], "/family/appeals").await?;
        Ok::<String, ApiError>(appeal.student_key)
    }
    .await;
    match result {
        Ok(child) => Redirect::to(&format!("/family#child-{child}")).into_response(),
        Err(e) if matches!(e.status.as_u16(), 404 | 409 | 422) => {
            render_family(&state, &p, Some((e.status, &e.message))).await
        }
        Err(e) => error_page(&e).into_response(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn the_target_names_a_support() {
        let r = parse_target("flag:12", "x".into()).unwrap();
        assert_eq!((r.flag_id, r.intervention_id), (Some(12), None));
        let r = parse_target("intervention:3", "x".into()).unwrap();
        assert_eq!((r.flag_id, r.intervention_id), (None, Some(3)));
        for bad in ["flag", "flag:x", "tier:2", ""] {
            let e = parse_target(bad, "x".into()).unwrap_err();
            assert_eq!(e.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert_eq!(e.message, format!("target: {bad:?} names no support"));
        }
    }
}
