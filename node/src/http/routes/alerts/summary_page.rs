//! `/summaries`: this week's summary on a page — a teacher's classes; for MTSS the school-wide
//! summary and, for a class picked in the form, that class's teacher summary — with each new flag
//! and overdue check linking to the student, and a "Download (Markdown)" link to the JSON routes'
//! `?format=md`. `/alerts/summary`, its earlier address, redirects here.

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use maud::{html, Markup};
use serde::Deserialize;

use super::pages::flag_badge;
use super::{audit, QueryParams};
use crate::alerts::summaries::{self, MtssSummary, TeacherSummary};
use crate::alerts::AlertError;
use crate::auth::{Principal, Role};
use crate::http::views::{error_page, layout};
use crate::http::{ApiError, AppState};

/// A query-string value, percent-encoded (everything but RFC 3986's unreserved characters).
fn query_value(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn day(ts: &str) -> String {
    ts.chars().take(10).collect()
}

fn teacher_markup(s: &TeacherSummary) -> Markup {
    html! {
        @if s.classes.is_empty() { div.card { p { "No classes are linked to your account yet." } } }
        @for class in &s.classes {
            div.card {
                h2 { (class.title.as_deref().unwrap_or(&class.class_id)) " " span.muted { "(" (class.students) " students)" } }
                h3 { "Progress on focus standards" }
                @if class.standards.is_empty() { p.muted { "No answers on focus standards yet." } }
                table {
                    @if !class.standards.is_empty() { thead { tr { th { "Standard" } th { "Average mastery" } th { "Students assessed" } th { "Below 70%" } } } }
                    tbody {
                        @for st in &class.standards {
                            tr { td { (st.standard) } td { (format!("{:.0}%", st.mean_mastery * 100.0)) } td { (st.assessed) } td { (st.below) } }
                        }
                    }
                }
                h3 { "New flags this week" }
                @if class.new_flags.is_empty() { p.muted { "None." } }
                ul {
                    @for f in &class.new_flags {
                        li {
                            a href={ "/students/" (f.student_key) } { (f.student_name.as_deref().unwrap_or(&f.student_key)) }
                            " " (flag_badge(&f.color, &f.label)) " " (f.reason) " · " a href={ "/alerts/" (f.flag_id) } { "flag" }
                        }
                    }
                }
                h3 { "Misconceptions to reteach" }
                @if class.reteach.is_empty() { p.muted { "No common wrong answers this week." } }
                ul { @for m in &class.reteach { li { (m.misconception) " (" (m.count) " wrong answers)" } } }
            }
        }
    }
}

fn mtss_markup(s: &MtssSummary) -> Markup {
    html! {
        div.card {
            h2 { "Tiers" }
            table {
                thead { tr { th {} th { span.flag.green { "Tier 1" } } th { span.flag.amber { "Tier 2" } } th { span.flag.red { "Tier 3" } } } }
                tbody {
                    tr { td { "Flags now open" } @for n in s.live_by_tier { td { (n) } } }
                    tr { td { "Raised this week" } @for n in s.raised_by_tier { td { (n) } } }
                }
            }
            p { "Changes this week: "
                @if s.transitions.is_empty() { "none" }
                (s.transitions.iter().map(|(k, n)| format!("{n} {}", k.replace('_', " "))).collect::<Vec<_>>().join(", ")) "." }
        }
        div.card {
            h2 { "Overdue progress checks" }
            @if s.overdue_checks.is_empty() { p { "None: every active intervention is up to date." } }
            ul {
                @for o in &s.overdue_checks {
                    li {
                        a href={ "/students/" (o.student_key) } { (o.student_name.as_deref().unwrap_or(&o.student_key)) }
                        " · " (o.kind.replace('_', " ")) " (intervention " (o.intervention_id) "), check due " (o.due)
                    }
                }
            }
        }
        div.card {
            h2 { "Intervention outcomes this week" }
            @if s.outcomes.is_empty() { p.muted { "No interventions closed this week." } }
            ul { @for (k, n) in &s.outcomes { li { (k.replace('_', " ")) ": " (n) } } }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryPageQuery {
    /// A class (required for MTSS to see a class's teacher summary).
    pub class: Option<String>,
}

struct Loaded {
    week: (String, String),
    mtss: Option<MtssSummary>,
    teacher: Option<TeacherSummary>,
    classes: Vec<(String, String)>,
    students: Vec<String>,
}

/// `GET /summaries`.
pub async fn summaries(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    QueryParams(q): QueryParams<SummaryPageQuery>,
) -> Response {
    let (who, policy, now) = (p.clone(), state.policies.rules.clone(), state.clock.now());
    let class = q.class.clone().filter(|c| !c.is_empty());
    let loaded = state
        .store
        .read(move |c| -> Result<Loaded, AlertError> {
            let school_wide = who.role == Role::Mtss;
            let mtss = if school_wide { Some(summaries::mtss(c, now)?) } else { None };
            let facts =
                |c: &rusqlite::Connection, key: &str| Ok(crate::indicators::student_facts(c, &policy, key, now)?);
            let teacher = match (&class, school_wide) {
                (None, true) => None,
                _ => Some(summaries::teacher(c, &policy, &who, class.as_deref(), now, facts)?),
            };
            let classes = if school_wide { crate::store::scope::class_titles(c, None)? } else { Vec::new() };
            let mut students: Vec<String> =
                mtss.iter().flat_map(|m| m.overdue_checks.iter().map(|o| o.student_key.clone())).collect();
            students.extend(
                teacher
                    .iter()
                    .flat_map(|t| t.classes.iter().flat_map(|k| k.new_flags.iter().map(|f| f.student_key.clone()))),
            );
            let week = summaries::Week::ending(now);
            Ok(Loaded { week: (day(&week.from), day(&week.to)), mtss, teacher, classes, students })
        })
        .await;
    let data = match loaded {
        Ok(d) => d,
        Err(e) => return error_page(&ApiError::from(e)).into_response(),
    };
    if let Err(e) = audit(&state, &p, "read_summary", data.students.clone(), "/summaries").await {
        return error_page(&e).into_response();
    }
    let class_param =
        q.class.as_deref().filter(|c| !c.is_empty()).map(|c| format!("&class={}", query_value(c))).unwrap_or_default();
    let body = html! {
        h1 { "Weekly summary" }
        p.muted { "Week of " (data.week.0) " to " (data.week.1) "." }
        @if let Some(m) = &data.mtss {
            p { a href="/api/v1/summaries/mtss?format=md" { "Download (Markdown)" } " · " a href="/alerts" { "Early-warning list" } }
            (mtss_markup(m))
            div.card {
                h2 { "A class's summary" }
                form method="get" action="/summaries" {
                    label for="class" { "Class" }
                    select #class name="class" {
                        option value="" { "—" }
                        @for (id, title) in &data.classes {
                            option value=(id) selected[q.class.as_deref() == Some(id.as_str())] { (title) }
                        }
                    }
                    p { button type="submit" { "Show" } }
                }
            }
        }
        @if let Some(t) = &data.teacher {
            p { a href={ "/api/v1/summaries/teacher?format=md" (class_param) } { "Download (Markdown)" } " · " a href="/alerts" { "Alerts" } }
            (teacher_markup(t))
        }
    };
    layout("Weekly summary", Some(&p), body).into_response()
}

/// `GET /alerts/summary`: where the summary page used to be.
pub async fn moved() -> Redirect {
    Redirect::permanent("/summaries")
}

#[cfg(test)]
mod tests {
    #[test]
    fn query_values_are_encoded() {
        assert_eq!(super::query_value("class-1"), "class-1");
        assert_eq!(super::query_value("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }
}
