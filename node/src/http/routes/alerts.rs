//! JSON routes of the alert work: flags and their workflow, ratings, appeals and the families'
//! supports view here; interventions, and the teaching aids (regroup, next steps, summaries,
//! tuning) in the submodules. Handlers parse, call `crate::alerts` / `crate::interventions` inside
//! one read or write, append every student they returned to the access log, and shape the JSON.

pub mod family_pages;
pub mod interventions;
pub mod pages;
pub mod student_page;
pub mod summary_page;
pub mod teaching;

use std::collections::BTreeSet;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::{Extension, Json};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use crate::alerts::appeals::{self, AnswerRequest, AppealRequest};
use crate::alerts::view::{self, ListQuery, RatingRequest};
use crate::alerts::{family, workflow, AlertError, TransitionRequest};
use crate::auth::{ts, Principal};
use crate::http::error::JsonBody;
use crate::http::{ApiError, AppState};
use crate::store::access_log::NewEntry;
use crate::store::alerts::appeals::AppealRow;

impl From<AlertError> for ApiError {
    fn from(e: AlertError) -> ApiError {
        match e {
            AlertError::NotFound(m) => ApiError::not_found(m),
            AlertError::Conflict(m) => ApiError::conflict(m),
            AlertError::Invalid(m) => ApiError::unprocessable(m),
            AlertError::Auth(a) => a.into(),
            AlertError::Store(s) => s.into(),
        }
    }
}

/// Query strings whose rejections use the JSON error shape.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(q) => Ok(QueryParams(q.0)),
            Err(e) => Err(ApiError::bad_request(e.body_text())),
        }
    }
}

/// A numeric id from the path; anything else names no such thing.
pub(crate) fn id(what: &str, raw: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found(format!("no {what} {raw:?}")))
}

/// Appends one access-log entry per student returned (each once).
pub(crate) async fn audit(
    state: &AppState,
    p: &Principal,
    action: &str,
    students: impl IntoIterator<Item = String>,
    detail: &str,
) -> Result<(), ApiError> {
    let at = ts(state.clock.now());
    let unique: BTreeSet<String> = students.into_iter().collect();
    let entries = unique
        .into_iter()
        .map(|s| NewEntry {
            at: at.clone(),
            account_id: Some(p.account_id),
            role: Some(p.role.as_str().to_string()),
            action: action.to_string(),
            subject: Some(s),
            detail: Some(detail.to_string()),
        })
        .collect();
    crate::audit::record(&state.store, entries).await?;
    Ok(())
}

/// `GET /api/v1/alerts`: teachers their students' flags, MTSS the school's, by tier.
pub async fn list(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let who = p.clone();
    let alerts = state.store.read(move |c| view::list(c, &who, &q)).await?;
    audit(&state, &p, "read_alerts", alerts.iter().map(|a| a.student_key.clone()), "/api/v1/alerts").await?;
    let mut by_tier = [0u64; 3];
    for a in &alerts {
        by_tier[usize::from(a.tier.clamp(1, 3) - 1)] += 1;
    }
    Ok(Json(json!({
        "counts": {"tier_1": by_tier[0], "tier_2": by_tier[1], "tier_3": by_tier[2]},
        "alerts": alerts,
    })))
}

/// `GET /api/v1/alerts/{id}`: one flag with evidence, playbook, history.
pub async fn detail(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
) -> Result<Json<view::FlagDetail>, ApiError> {
    let id = id("flag", &raw)?;
    let (who, policy) = (p.clone(), state.policies.rules.clone());
    let flag = state.store.read(move |c| view::detail(c, &policy, &who, id)).await?;
    audit(&state, &p, "read_alert", [flag.summary.student_key.clone()], "/api/v1/alerts/{id}").await?;
    Ok(Json(flag))
}

/// `POST /api/v1/alerts/{id}/transitions`.
pub async fn transition(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
    JsonBody(req): JsonBody<TransitionRequest>,
) -> Result<Json<Value>, ApiError> {
    let id = id("flag", &raw)?;
    let (who, now) = (p.clone(), state.clock.now());
    let flag = state.store.write(move |c| workflow::transition(c, &who, id, &req, now)).await?;
    audit(&state, &p, "update_alert", [flag.student_key.clone()], "/api/v1/alerts/{id}/transitions").await?;
    Ok(Json(json!({
        "id": flag.id,
        "state": flag.state,
        "tier": flag.effective_tier(),
        "next_states": workflow::next_states(flag.state),
    })))
}

/// `POST /api/v1/alerts/{id}/rating`: useful or not, with a comment.
pub async fn rate(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
    JsonBody(req): JsonBody<RatingRequest>,
) -> Result<Json<Value>, ApiError> {
    let id = id("flag", &raw)?;
    let (who, now) = (p.clone(), state.clock.now());
    state.store.write(move |c| view::rate(c, &who, id, &req, now)).await?;
    Ok(Json(json!({"flag_id": id, "rated": true})))
}

/// `GET /api/v1/appeals`: appeals about the students one may see.
pub async fn list_appeals(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
) -> Result<Json<Value>, ApiError> {
    let who = p.clone();
    let all = state.store.read(move |c| appeals::list(c, &who)).await?;
    audit(&state, &p, "read_appeals", all.iter().map(|a| a.student_key.clone()), "/api/v1/appeals").await?;
    Ok(Json(json!({ "appeals": all })))
}

/// `POST /api/v1/appeals` (student or guardian).
pub async fn file_appeal(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    JsonBody(req): JsonBody<AppealRequest>,
) -> Result<(axum::http::StatusCode, Json<AppealRow>), ApiError> {
    let (who, now) = (p.clone(), state.clock.now());
    let appeal = state.store.write(move |c| appeals::file(c, &who, &req, now)).await?;
    audit(&state, &p, "file_appeal", [appeal.student_key.clone()], "/api/v1/appeals").await?;
    Ok((axum::http::StatusCode::CREATED, Json(appeal)))
}

/// `POST /api/v1/appeals/{id}/answer` (MTSS).
pub async fn answer_appeal(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
    JsonBody(req): JsonBody<AnswerRequest>,
) -> Result<Json<AppealRow>, ApiError> {
    let id = id("appeal", &raw)?;
    let (who, now) = (p.clone(), state.clock.now());
    let appeal = state.store.write(move |c| appeals::answer(c, &who, id, &req, now)).await?;
    audit(&state, &p, "answer_appeal", [appeal.student_key.clone()], "/api/v1/appeals/{id}/answer").await?;
    Ok(Json(appeal))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportsQuery {
    pub student: Option<String>,
}

/// `GET /api/v1/supports`: a student's or guardian's view of current supports, in plain language.
pub async fn supports(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    QueryParams(q): QueryParams<SupportsQuery>,
) -> Result<Json<Value>, ApiError> {
    let (who, policy) = (p.clone(), state.policies.rules.clone());
    let found = state.store.read(move |c| family::supports(c, &policy, &who, q.student.as_deref())).await?;
    audit(&state, &p, "read_supports", found.iter().map(|s| s.student_key.clone()), "/api/v1/supports").await?;
    Ok(Json(json!({ "students": found })))
}
