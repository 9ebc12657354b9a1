//! Teaching aids built on the alerts: regroup suggestions for a class, next steps per student
//! (and the practice-tool route that fetches accepted ones with data-source credentials), weekly
//! summaries as JSON or Markdown, and the rule-tuning report.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use lantern_policies::rules::{FactSheet, RulesPolicy};
use rusqlite::Connection;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{audit, QueryParams};
use crate::alerts::next_steps::{self, AcceptRequest};
use crate::alerts::{regroup, summaries, tuning, AlertError};
use crate::auth::scope::{require_class, require_student};
use crate::auth::{Capability, Principal};
use crate::http::error::JsonBody;
use crate::http::session::Authn;
use crate::http::{ApiError, AppState};
use crate::store::alerts::reads;

/// Where the alert work gets a student's facts: the interim computation until the indicator
/// engine's `indicators::student_facts` is wired in here.
fn facts_at(
    policy: &RulesPolicy,
    now: chrono::DateTime<chrono::Utc>,
) -> impl Fn(&Connection, &str) -> Result<FactSheet, AlertError> + '_ {
    move |c, key| Ok(crate::indicators::student_facts(c, policy, key, now)?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegroupQuery {
    pub k: Option<usize>,
}

/// `GET /api/v1/classes/{class}/regroup?k=4`.
pub async fn regroup(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(class): Path<String>,
    QueryParams(q): QueryParams<RegroupQuery>,
) -> Result<Json<regroup::Regroup>, ApiError> {
    let k = regroup::groups_wanted(q.k)?;
    let (who, policy, now) = (p.clone(), state.policies.rules.clone(), state.clock.now());
    let groups = state
        .store
        .read(move |c| {
            if reads::class_title(c, &class)?.is_none() {
                return Err(AlertError::NotFound(format!("no class {class}")));
            }
            require_class(c, &who, &class)?;
            regroup::regroup(c, &policy, &class, k, facts_at(&policy, now))
        })
        .await?;
    let students = groups.groups.iter().flat_map(|g| &g.students).chain(&groups.unassessed);
    audit(&state, &p, "read_regroup", students.map(|m| m.student_key.clone()), "/api/v1/classes/{class}/regroup")
        .await?;
    Ok(Json(groups))
}

fn known_student(c: &Connection, p: &Principal, key: &str) -> Result<(), AlertError> {
    if !reads::person_exists(c, key)? {
        return Err(AlertError::NotFound(format!("no student {key}")));
    }
    require_student(c, p, key)?;
    Ok(())
}

/// `GET /api/v1/students/{student}/next-steps`: staff get suggestions and the accepted steps;
/// students and guardians only the accepted ones.
pub async fn next_steps(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(student): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let staff = p.require(Capability::ManageAlerts).is_ok();
    let (who, policy, now, key) = (p.clone(), state.policies.rules.clone(), state.clock.now(), student.clone());
    let body = state
        .store
        .read(move |c| -> Result<Value, AlertError> {
            known_student(c, &who, &key)?;
            let accepted = next_steps::accepted(c, &key)?;
            if !staff {
                return Ok(json!({ "accepted": accepted }));
            }
            let facts = crate::indicators::student_facts(c, &policy, &key, now)?;
            let suggested = next_steps::suggest(c, &policy, &key, &facts)?;
            Ok(json!({ "suggested": suggested, "accepted": accepted }))
        })
        .await?;
    audit(&state, &p, "read_next_steps", [student], "/api/v1/students/{student}/next-steps").await?;
    Ok(Json(body))
}

/// `POST /api/v1/students/{student}/next-steps`: accept steps, as suggested or changed.
pub async fn accept_next_steps(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(student): Path<String>,
    JsonBody(req): JsonBody<AcceptRequest>,
) -> Result<Json<Value>, ApiError> {
    let (who, policy, now, key) = (p.clone(), state.policies.rules.clone(), state.clock.now(), student.clone());
    let accepted = state
        .store
        .write(move |c| {
            known_student(c, &who, &key)?;
            let facts = crate::indicators::student_facts(c, &policy, &key, now)?;
            let suggested = next_steps::suggest(c, &policy, &key, &facts)?;
            next_steps::accept(c, &key, &req, &suggested, who.account_id, now)
        })
        .await?;
    audit(&state, &p, "accept_next_steps", [student], "/api/v1/students/{student}/next-steps").await?;
    Ok(Json(json!({ "accepted": accepted })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PracticeQuery {
    /// The student's OneRoster sourcedId (what the practice tool knows).
    pub student: String,
}

fn unauthorized(message: &str) -> Response {
    let mut r = ApiError::new(StatusCode::UNAUTHORIZED, "not_authenticated", message).into_response();
    r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Lantern practice\""));
    r
}

fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (key, secret) = decoded.split_once(':')?;
    Some((key.to_string(), secret.to_string()))
}

/// `GET /api/v1/practice/next-steps?student=SOURCED_ID`: a connected practice tool fetches a
/// student's accepted next steps with its data-source credentials (HTTP Basic). The source must
/// serve one of the student's classes.
pub async fn practice_next_steps(
    State(state): State<AppState>,
    Extension(authn): Extension<Authn>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let Some((key, secret)) = basic(&headers) else {
        if matches!(authn, Authn(Some(Ok(_)), _)) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "this route takes a data source's Basic credentials, not a person's session",
            ));
        }
        return Ok(unauthorized("send the data source's key and secret as HTTP Basic credentials"));
    };
    // The query is read after the credentials, so an anonymous caller learns nothing from it.
    let q: PracticeQuery =
        axum::extract::Query::try_from_uri(&uri).map_err(|e| ApiError::bad_request(e.body_text()))?.0;
    let found = state
        .store
        .read(move |c| -> Result<Option<Value>, AlertError> {
            let Some(source) = crate::sources::verify(c, &key, &secret)? else { return Ok(None) };
            let student = crate::auth::scope::person_key(c, &q.student)?
                .ok_or_else(|| AlertError::NotFound(format!("no student {}", q.student)))?;
            let classes = reads::student_classes(c, &student)?;
            if !classes.iter().any(|(class, _)| source.serves_class(Some(class))) {
                return Err(crate::auth::AuthError::OutOfScope.into());
            }
            let steps = next_steps::accepted(c, &student)?;
            Ok(Some(json!({ "student": q.student, "steps": steps })))
        })
        .await?;
    match found {
        Some(body) => Ok(Json(body).into_response()),
        None => Ok(unauthorized("unknown or revoked data source credentials")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    pub class: Option<String>,
    pub student: Option<String>,
    /// `json` (default) or `md` (a Markdown download).
    pub format: Option<String>,
}

fn wants_markdown(format: Option<&str>) -> Result<bool, ApiError> {
    match format {
        None | Some("json") => Ok(false),
        Some("md") => Ok(true),
        Some(other) => Err(ApiError::bad_request(format!("format={other}: expected json or md"))),
    }
}

fn markdown(name: &str, date: &str, text: String) -> Response {
    let disposition = format!("attachment; filename=\"lantern-{name}-summary-{date}.md\"");
    (
        [
            (header::CONTENT_TYPE, "text/markdown; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response()
}

/// `GET /api/v1/summaries/teacher?class=&format=`.
pub async fn teacher_summary(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    QueryParams(q): QueryParams<SummaryQuery>,
) -> Result<Response, ApiError> {
    let md = wants_markdown(q.format.as_deref())?;
    let (who, policy, now) = (p.clone(), state.policies.rules.clone(), state.clock.now());
    let s = state
        .store
        .read(move |c| summaries::teacher(c, &policy, &who, q.class.as_deref(), now, facts_at(&policy, now)))
        .await?;
    let students = s.classes.iter().flat_map(|c| c.new_flags.iter().map(|f| f.student_key.clone())).collect::<Vec<_>>();
    audit(&state, &p, "read_teacher_summary", students, "/api/v1/summaries/teacher").await?;
    let date: String = s.week.to.chars().take(10).collect();
    Ok(if md { markdown("teacher", &date, summaries::teacher_markdown(&s)) } else { Json(s).into_response() })
}

/// `GET /api/v1/summaries/mtss?format=`.
pub async fn mtss_summary(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    QueryParams(q): QueryParams<SummaryQuery>,
) -> Result<Response, ApiError> {
    let md = wants_markdown(q.format.as_deref())?;
    let now = state.clock.now();
    let s = state.store.read(move |c| summaries::mtss(c, now)).await?;
    let students = s.overdue_checks.iter().map(|o| o.student_key.clone()).collect::<Vec<_>>();
    audit(&state, &p, "read_mtss_summary", students, "/api/v1/summaries/mtss").await?;
    let date: String = s.week.to.chars().take(10).collect();
    Ok(if md { markdown("mtss", &date, summaries::mtss_markdown(&s)) } else { Json(s).into_response() })
}

/// `GET /api/v1/summaries/family?student=&format=`.
pub async fn family_summary(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    QueryParams(q): QueryParams<SummaryQuery>,
) -> Result<Response, ApiError> {
    let md = wants_markdown(q.format.as_deref())?;
    let Some(student) = q.student.clone() else {
        return Err(ApiError::bad_request("student: required (the child's key)"));
    };
    let (who, policy, now, key) = (p.clone(), state.policies.rules.clone(), state.clock.now(), student.clone());
    let s = state.store.read(move |c| summaries::family(c, &policy, &who, &key, now)).await?;
    audit(&state, &p, "read_family_summary", [student], "/api/v1/summaries/family").await?;
    let date: String = s.week.to.chars().take(10).collect();
    Ok(if md { markdown("family", &date, summaries::family_markdown(&s)) } else { Json(s).into_response() })
}

/// `GET /api/v1/alerts/tuning`: per rule counts, ratings and later outcomes (no student-level rows).
pub async fn tuning(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let policy = state.policies.rules.clone();
    let rules = state.store.read(move |c| tuning::report(c, &policy)).await?;
    Ok(Json(json!({ "rules": rules })))
}
