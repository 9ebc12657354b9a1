//! Indicator routes (issue 6): the class mastery grid, live session state, a student's detail,
//! item analysis and attendance of a class, and the live stream (`/api/v1/stream`, server-sent
//! events). Each route checks scope through `auth::scope` and records every student whose record
//! it returns in the access log before answering.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use serde_json::json;

use crate::auth::{scope, AuthError, Principal};
use crate::http::{ApiError, AppState};
use crate::indicators::{sessions, views};
use crate::live::{Audience, Published};
use crate::store::access_log::NewEntry;
use crate::store::indicators::reads;

/// Access-log entries for `students` read through `route`.
pub(crate) fn read_entries(
    state: &AppState,
    p: &Principal,
    action: &str,
    route: &str,
    students: &[String],
) -> Vec<NewEntry> {
    let at = state.clock.now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    students
        .iter()
        .map(|s| NewEntry {
            at: at.clone(),
            account_id: Some(p.account_id),
            role: Some(p.role.as_str().to_owned()),
            action: action.to_owned(),
            subject: Some(s.clone()),
            detail: Some(route.to_owned()),
        })
        .collect()
}

/// 404 for a class that does not exist, 403 for one out of the principal's scope.
pub(crate) async fn require_class(state: &AppState, p: &Principal, class_id: &str) -> Result<(), ApiError> {
    let (p, id) = (p.clone(), class_id.to_owned());
    state
        .store
        .read(move |c| -> Result<(), ApiError> {
            if !scope::class_exists(c, &id)? {
                return Err(ApiError::not_found(format!("no class \"{id}\"")));
            }
            Ok(scope::require_class(c, &p, &id)?)
        })
        .await
}

pub async fn class_overview(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    require_class(&state, &p, &id).await?;
    let overview = state.store.read(move |c| views::class_overview(c, &id)).await?;
    let overview = overview.ok_or_else(|| ApiError::not_found("no such class"))?;
    let keys: Vec<String> = overview.students.iter().map(|s| s.student_key.clone()).collect();
    let route = format!("/api/v1/classes/{}/overview", overview.class_id);
    crate::audit::record(&state.store, read_entries(&state, &p, "read_class_mastery", &route, &keys)).await?;
    Ok(Json(overview))
}

pub async fn class_sessions(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    require_class(&state, &p, &id).await?;
    let rows = state.store.read(move |c| reads::class_sessions(c, &id, 50)).await?;
    let sessions: Vec<_> = rows
        .into_iter()
        .map(|(s, started, last)| json!({"session_id": s, "started_at": started, "last_at": last}))
        .collect();
    Ok(Json(json!({ "sessions": sessions })))
}

pub async fn session_state(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let session = state.store.read(move |c| sessions::session_state(c, &id)).await?;
    let session = session.ok_or_else(|| ApiError::not_found("no such live session"))?;
    // A session is seen through its class; one without a class only by the whole-school scope.
    match &session.class_id {
        Some(class) => require_class(&state, &p, class).await?,
        None if p.role == crate::auth::Role::Mtss => {}
        None => return Err(AuthError::OutOfScope.into()),
    }
    let keys: Vec<String> = session.students.iter().map(|s| s.student_key.clone()).collect();
    let route = format!("/api/v1/sessions/{}", session.session_id);
    crate::audit::record(&state.store, read_entries(&state, &p, "read_live_session", &route, &keys)).await?;
    Ok(Json(session))
}

pub async fn student_indicators(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let (rules, now, principal, key) = (state.policies.rules.clone(), state.clock.now(), p.clone(), id.clone());
    let detail = state
        .store
        .read(move |c| -> Result<_, ApiError> {
            if !reads::student_exists(c, &key)? {
                return Err(ApiError::not_found("no such student"));
            }
            scope::require_student(c, &principal, &key)?;
            Ok(views::student_detail(c, &rules, &key, now)?)
        })
        .await?;
    let route = format!("/api/v1/students/{id}/indicators");
    crate::audit::record(&state.store, read_entries(&state, &p, "read_student_indicators", &route, &[id])).await?;
    Ok(Json(detail))
}

pub async fn class_items(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    require_class(&state, &p, &id).await?;
    // Aggregates over every student's first answer: no one student's record is returned.
    let items = state.store.read(move |c| views::class_item_analysis(c, &id)).await?;
    Ok(Json(json!({ "items": items })))
}

pub async fn class_attendance(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    require_class(&state, &p, &id).await?;
    let (bands, now, class) = (state.policies.rules.attendance_bands, state.clock.now(), id.clone());
    let rows = state.store.read(move |c| views::class_attendance(c, &bands, &class, now)).await?;
    let keys: Vec<String> = rows.iter().map(|r| r.student_key.clone()).collect();
    let route = format!("/api/v1/classes/{id}/attendance");
    crate::audit::record(&state.store, read_entries(&state, &p, "read_class_attendance", &route, &keys)).await?;
    Ok(Json(json!({ "class_id": id, "students": rows })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// Only events of this class (which must be in scope).
    pub class: Option<String>,
    /// Resume after this event id (for clients that cannot send `Last-Event-ID`).
    pub last_event_id: Option<u64>,
}

/// How often an idle stream sends a comment, so proxies and clients keep it open.
const HEARTBEAT: Duration = Duration::from_secs(15);

fn sse_event(p: &Published) -> Event {
    Event::default().id(p.id.to_string()).event(p.event.kind()).data(p.json())
}

pub async fn stream(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Query(q): Query<StreamQuery>,
    headers: HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    if let Some(class) = &q.class {
        require_class(&state, &p, class).await?;
    }
    let (principal, class) = (p.clone(), q.class.clone());
    let (audience, watched) = state
        .store
        .read(move |c| -> Result<(Audience, Option<Vec<String>>), ApiError> {
            let classes = scope::class_scope(c, &principal)?;
            let students = scope::student_scope(c, &principal)?;
            // The students whose events may flow: logged once per stream opened (`None`: the
            // whole school, logged as one entry without a subject).
            let watched = match (&class, &students) {
                (Some(id), _)
                    if principal.role != crate::auth::Role::Student
                        && principal.role != crate::auth::Role::Guardian =>
                {
                    Some(reads::class_students(c, id)?.into_iter().map(|(k, _)| k).collect())
                }
                (_, scope::StudentScope::Students(s)) => Some(s.iter().cloned().collect()),
                (_, scope::StudentScope::School) => None,
            };
            let audience = Audience::from_scopes(principal.role, classes, students).narrowed_to_class(class.as_deref());
            Ok((audience, watched))
        })
        .await?;
    let route = "/api/v1/stream";
    let entries = match watched {
        Some(keys) => read_entries(&state, &p, "open_live_stream", route, &keys),
        None => {
            let mut one = read_entries(&state, &p, "open_live_stream", route, &[String::new()]);
            one.iter_mut().for_each(|e| e.subject = None);
            one
        }
    };
    crate::audit::record(&state.store, entries).await?;
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .or(q.last_event_id);
    let sub = state
        .live
        .subscribe(audience, last)
        .map_err(|e| ApiError::new(axum::http::StatusCode::SERVICE_UNAVAILABLE, "too_many_streams", e.to_string()))?;
    let mut first: Vec<Result<Event, Infallible>> = Vec::new();
    let hello = json!({"next_event_id": state.live.next_id(), "gap": sub.gap});
    first.push(Ok(Event::default().event(if sub.gap { "reset" } else { "ready" }).data(hello.to_string())));
    first.extend(sub.replay.iter().map(|p| Ok(sse_event(p))));
    let live = stream::unfold(sub.rx, |mut rx| async move {
        let p: Arc<Published> = rx.recv().await?;
        Some((Ok(sse_event(&p)), rx))
    });
    let events: std::pin::Pin<Box<dyn Stream<Item = Result<Event, Infallible>> + Send>> =
        Box::pin(stream::iter(first).chain(live));
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat")))
}
