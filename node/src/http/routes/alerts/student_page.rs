//! The student page for teachers and MTSS (`/students/{student}`): mastery on each focus
//! standard, current flags with their reasons, and the suggested next steps with a form to accept
//! them as suggested or changed (keep or drop a step, pick or remove items, edit the note). The
//! form posts to `/students/{student}/next-steps`, which calls the same domain function as
//! `POST /api/v1/students/{student}/next-steps`, then redirects back. Colour always with a label.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use maud::{html, Markup};

use super::audit;
use super::pages::flag_badge;
use crate::alerts::next_steps::{self, AcceptRequest, Step, StepKind, MASTERED, MAX_STEPS};
use crate::alerts::regroup::NEEDS_BELOW;
use crate::alerts::student_views::{self, StaffStudentView};
use crate::auth::Principal;
use crate::http::views::{error_page, layout};
use crate::http::{ApiError, AppState};

/// "45% · below 70%: reteach" in the band's colour, the band always named in words.
fn mastery_badge(m: Option<f64>) -> Markup {
    match m {
        None => html! { span.muted { "no answers yet" } },
        Some(v) => {
            let (colour, words) = if v >= MASTERED {
                ("green", "mastered")
            } else if v >= NEEDS_BELOW {
                ("amber", "developing")
            } else {
                ("red", "below 70%: reteach")
            };
            html! { span class={ "flag " (colour) } { (format!("{:.0}%", v * 100.0)) " · " (words) } }
        }
    }
}

fn kind_title(k: StepKind) -> &'static str {
    match k {
        StepKind::Practice => "Practice",
        StepKind::Enrichment => "Enrichment",
        StepKind::Tutoring => "Tutoring referral",
    }
}

fn item_label(v: &StaffStudentView, item: &str) -> String {
    match v.item_titles.get(item) {
        Some(t) if t != item => format!("{item}: {t}"),
        _ => item.to_string(),
    }
}

fn step_heading(s: &Step) -> String {
    match &s.standard {
        Some(st) => format!("{} · {st}", kind_title(s.kind)),
        None => kind_title(s.kind).to_string(),
    }
}

fn page(p: &Principal, v: &StaffStudentView, message: Option<&str>) -> Markup {
    let name = v.name.as_deref().unwrap_or(&v.student_key);
    html! {
        h1 { (name) }
        @if let Some(m) = message { p.error role="alert" { (m) } }
        div.card {
            h2 { "Mastery on focus standards" }
            @let (assessed, not_yet): (Vec<_>, Vec<_>) = v.focus.iter().partition(|f| f.mastery.is_some());
            @if v.focus.is_empty() { p.muted { "The rules policy names no focus standards for this student." } }
            @if !assessed.is_empty() {
                table {
                    thead { tr { th { "Standard" } th { "Mastery" } th { "Answers" } } }
                    tbody {
                        @for f in &assessed {
                            tr { td { (f.standard) } td { (mastery_badge(f.mastery)) } td { (f.evidence) } }
                        }
                    }
                }
            }
            @if !not_yet.is_empty() {
                p.muted { "No answers yet on: " (not_yet.iter().map(|f| f.standard.as_str()).collect::<Vec<_>>().join(", ")) "." }
            }
        }
        div.card {
            h2 { "Current flags" }
            @if v.flags.is_empty() { p { "No open flags." } }
            @for f in &v.flags {
                p {
                    (flag_badge(&f.color, &f.label)) " "
                    (f.reason) " "
                    span.muted { "(" (f.state.as_str().replace('_', " ")) ", raised " (f.raised_at.chars().take(10).collect::<String>()) ") " }
                    a href={ "/alerts/" (f.id) } { "Open the flag" }
                }
            }
        }
        div.card #next-steps {
            h2 { "Next steps in force" }
            @if v.accepted.is_empty() { p.muted { "None accepted yet." } }
            ul {
                @for a in &v.accepted {
                    li {
                        strong { (step_heading(&a.step)) }
                        @if !a.step.items.is_empty() { ": " (a.step.items.iter().map(|i| item_label(v, i)).collect::<Vec<_>>().join(", ")) }
                        @if let Some(n) = &a.step.note { br; span.muted { "Note: " (n) } }
                        br; span.muted { "Accepted " (a.accepted_at.chars().take(10).collect::<String>()) @if a.changed_by_teacher { ", changed by staff" } @else { ", as suggested" } }
                    }
                }
            }
        }
        div.card {
            h2 { "Suggested next steps" }
            @if v.suggested.is_empty() {
                p.muted { "No suggestion right now (no answers on the focus standards yet, and no tutoring in a live flag's playbook)." }
            } @else {
                p.muted { "Accept them as suggested, or change them: untick a step to leave it out, tick or untick items, edit the note (for staff and the practice tool; the student sees the steps and items, not the note). Accepting replaces the steps in force." }
                form method="post" action={ "/students/" (v.student_key) "/next-steps" } {
                    input type="hidden" name="_csrf" value=(p.csrf_token);
                    @for (i, s) in v.suggested.iter().enumerate() {
                        fieldset style="border:1px solid var(--line); border-radius:.35rem; margin:.6rem 0; padding:.6rem" {
                            legend {
                                label style="display:inline; font-weight:600" {
                                    input type="checkbox" name={ "keep_" (i) } value="1" checked;
                                    " " (step_heading(&s.step))
                                }
                            }
                            input type="hidden" name={ "kind_" (i) } value=(s.step.kind.as_str());
                            input type="hidden" name={ "standard_" (i) } value=(s.step.standard.as_deref().unwrap_or(""));
                            input type="hidden" name={ "misconception_" (i) } value=(s.step.misconception.as_deref().unwrap_or(""));
                            @if let Some(m) = &s.step.misconception { p.muted { "Most frequent misconception: " (m) } }
                            @if !s.step.items.is_empty() || !s.other_items.is_empty() {
                                p { "Items:" }
                                @for item in &s.step.items {
                                    label style="font-weight:400" { input type="checkbox" name={ "item_" (i) } value=(item) checked; " " (item_label(v, item)) }
                                }
                                @for item in &s.other_items {
                                    label style="font-weight:400" { input type="checkbox" name={ "item_" (i) } value=(item); " " (item_label(v, item)) }
                                }
                            }
                            label for={ "note_" (i) } { "Note" }
                            textarea id={ "note_" (i) } name={ "note_" (i) } rows="2" style="width:100%; max-width:32rem" { (s.step.note.as_deref().unwrap_or("")) }
                        }
                    }
                    p {
                        button type="submit" name="action" value="as_suggested" { "Accept as suggested" } " "
                        button type="submit" name="action" value="changed" { "Accept with my changes" }
                    }
                }
            }
        }
        p { a href="/alerts" { "Alerts" } " · " a href="/summaries" { "Weekly summary" } " · " a href="/home" { "Home" } }
    }
}

async fn render(state: &AppState, p: &Principal, key: &str, message: Option<(StatusCode, &str)>) -> Response {
    let (who, policy, now, student) = (p.clone(), state.policies.rules.clone(), state.clock.now(), key.to_string());
    let view = state.store.read(move |c| student_views::staff_view(c, &policy, &who, &student, now)).await;
    let view = match view {
        Ok(v) => v,
        Err(e) => return error_page(&ApiError::from(e)).into_response(),
    };
    if let Err(e) = audit(state, p, "read_student_page", [view.student_key.clone()], "/students/{student}").await {
        return error_page(&e).into_response();
    }
    let title = view.name.clone().unwrap_or_else(|| view.student_key.clone());
    let status = message.map_or(StatusCode::OK, |(s, _)| s);
    (status, layout(&title, Some(p), page(p, &view, message.map(|(_, m)| m)))).into_response()
}

/// `GET /students/{student}`.
pub async fn student(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(student): Path<String>,
) -> Response {
    render(&state, &p, &student, None).await
}

/// What the form asked for.
#[derive(Debug, PartialEq)]
enum Acceptance {
    AsSuggested,
    Changed(AcceptRequest),
}

fn index(name: &str, prefix: &str) -> Option<usize> {
    name.strip_prefix(prefix).and_then(|i| i.parse().ok()).filter(|i| *i < MAX_STEPS * 2)
}

/// Reads the form's fields (`keep_i`, `kind_i`, `standard_i`, `misconception_i`, repeated
/// `item_i`, `note_i`, `action`) into the request the domain takes. Unknown fields are refused.
fn parse_form(fields: &[(String, String)]) -> Result<Acceptance, ApiError> {
    let mut action = None;
    let mut steps: std::collections::BTreeMap<usize, (bool, Step)> = Default::default();
    let blank =
        || Step { kind: StepKind::Practice, standard: None, misconception: None, items: Vec::new(), note: None };
    let some = |v: &str| Some(v.trim().to_string()).filter(|t| !t.is_empty());
    for (name, value) in fields {
        let name = name.as_str();
        let bad = || ApiError::unprocessable(format!("form field {name:?} is not part of this form"));
        if name == "_csrf" {
            continue;
        }
        if name == "action" {
            action = Some(value.as_str());
            continue;
        }
        let (prefix, i) = ["keep_", "kind_", "standard_", "misconception_", "item_", "note_"]
            .into_iter()
            .find_map(|p| index(name, p).map(|i| (p, i)))
            .ok_or_else(bad)?;
        let entry = steps.entry(i).or_insert_with(|| (false, blank()));
        match prefix {
            "keep_" => entry.0 = true,
            "kind_" => {
                entry.1.kind = StepKind::parse(value).ok_or_else(|| {
                    ApiError::unprocessable(format!("{name}: {value:?} is not practice, enrichment or tutoring"))
                })?
            }
            "standard_" => entry.1.standard = some(value),
            "misconception_" => entry.1.misconception = some(value),
            "item_" => entry.1.items.push(value.trim().to_string()),
            _ => entry.1.note = some(value),
        }
    }
    match action {
        Some("as_suggested") => Ok(Acceptance::AsSuggested),
        Some("changed") => Ok(Acceptance::Changed(AcceptRequest {
            steps: steps.into_values().filter(|(keep, _)| *keep).map(|(_, s)| s).collect(),
        })),
        Some(other) => Err(ApiError::unprocessable(format!("action: {other:?} is not as_suggested or changed"))),
        None => Err(ApiError::unprocessable("action: missing (press one of the two buttons)")),
    }
}

/// `POST /students/{student}/next-steps`: the accept form.
pub async fn accept(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(student): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Response {
    let result = async {
        let acceptance = parse_form(&fields)?;
        let (who, policy, now, key) = (p.clone(), state.policies.rules.clone(), state.clock.now(), student.clone());
        state
            .store
            .write(move |c| {
                student_views::require_known_student(c, &who, &key)?;
                let facts = crate::indicators::student_facts(c, &policy, &key, now)?;
                let suggested = next_steps::suggest(c, &policy, &key, &facts)?;
                let req = match acceptance {
                    Acceptance::AsSuggested => AcceptRequest { steps: suggested.clone() },
                    Acceptance::Changed(req) => req,
                };
                next_steps::accept(c, &key, &req, &suggested, who.account_id, now)
            })
            .await?;
        audit(&state, &p, "accept_next_steps", [student.clone()], "/students/{student}/next-steps").await?;
        Ok::<(), ApiError>(())
    }
    .await;
    match result {
        Ok(()) => Redirect::to(&format!("/students/{student}#next-steps")).into_response(),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::CONFLICT => {
            render(&state, &p, &student, Some((e.status, &e.message))).await
        }
        Err(e) => error_page(&e).into_response(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_form_becomes_the_request() {
        let got = parse_form(&fields(&[
            ("_csrf", "t"),
            ("keep_0", "1"),
            ("kind_0", "practice"),
            ("standard_0", "CCSS.MATH.CONTENT.6.RP.A.3"),
            ("misconception_0", ""),
            ("item_0", "q6"),
            ("item_0", "q1"),
            ("note_0", "  Try these first  "),
            ("kind_1", "tutoring"),
            ("note_1", "dropped"),
            ("action", "changed"),
        ]))
        .unwrap();
        let Acceptance::Changed(req) = got else { panic!("{got:?}") };
        assert_eq!(req.steps.len(), 1, "the unticked step is left out");
        let s = &req.steps[0];
        assert_eq!(
            (s.kind, s.standard.as_deref(), s.misconception.as_deref()),
            (StepKind::Practice, Some("CCSS.MATH.CONTENT.6.RP.A.3"), None)
        );
        assert_eq!(
            (s.items.clone(), s.note.as_deref()),
            (vec!["q6".to_string(), "q1".to_string()], Some("Try these first"))
        );
        assert_eq!(
            parse_form(&fields(&[("action", "as_suggested"), ("item_0", "q1")])).unwrap(),
            Acceptance::AsSuggested
        );
    }

    #[test]
    fn bad_forms_say_which_field() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("action", "changed"), ("kind_0", "homework")], "kind_0: \"homework\" is not practice"),
            (&[("action", "changed"), ("steps", "x")], "form field \"steps\" is not part of this form"),
            (&[("action", "changed"), ("item_99", "x")], "form field \"item_99\""),
            (&[("action", "maybe")], "action: \"maybe\""),
            (&[("keep_0", "1")], "action: missing"),
        ];
        for (form, want) in cases {
            let err = parse_form(&fields(form)).unwrap_err();
            assert_eq!(err.status, StatusCode::UNPROCESSABLE_ENTITY);
            assert!(err.message.contains(want), "{}", err.message);
        }
    }
}
