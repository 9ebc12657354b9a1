//! Intervention routes: list, start, read, record a progress check, close with an outcome, and
//! the outcome counts per rule and type.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{audit, id, QueryParams};
use crate::auth::Principal;
use crate::http::error::JsonBody;
use crate::http::{ApiError, AppState};
use crate::interventions::{self, CheckRequest, CloseRequest, InterventionView, NewIntervention};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub student: Option<String>,
}

/// `GET /api/v1/interventions`.
pub async fn list(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    QueryParams(q): QueryParams<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let (who, today) = (p.clone(), state.clock.now().date_naive());
    let all = state.store.read(move |c| interventions::list(c, &who, q.student.as_deref(), today)).await?;
    audit(&state, &p, "read_interventions", all.iter().map(|i| i.student_key.clone()), "/api/v1/interventions").await?;
    Ok(Json(json!({ "interventions": all })))
}

/// `POST /api/v1/interventions`.
pub async fn create(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    JsonBody(req): JsonBody<NewIntervention>,
) -> Result<(StatusCode, Json<InterventionView>), ApiError> {
    let (who, now, policy) = (p.clone(), state.clock.now(), state.policies.rules.clone());
    let v = state.store.write(move |c| interventions::create(c, &policy, &who, &req, now)).await?;
    audit(&state, &p, "create_intervention", [v.student_key.clone()], "/api/v1/interventions").await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// `GET /api/v1/interventions/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
) -> Result<Json<InterventionView>, ApiError> {
    let id = id("intervention", &raw)?;
    let (who, today) = (p.clone(), state.clock.now().date_naive());
    let v = state.store.read(move |c| interventions::get(c, &who, id, today)).await?;
    audit(&state, &p, "read_intervention", [v.student_key.clone()], "/api/v1/interventions/{id}").await?;
    Ok(Json(v))
}

/// `POST /api/v1/interventions/{id}/checks`.
pub async fn check(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
    JsonBody(req): JsonBody<CheckRequest>,
) -> Result<(StatusCode, Json<InterventionView>), ApiError> {
    let id = id("intervention", &raw)?;
    let (who, now) = (p.clone(), state.clock.now());
    let v = state.store.write(move |c| interventions::record_check(c, &who, id, &req, now)).await?;
    audit(&state, &p, "record_progress_check", [v.student_key.clone()], "/api/v1/interventions/{id}/checks").await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// `POST /api/v1/interventions/{id}/close`.
pub async fn close(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(raw): Path<String>,
    JsonBody(req): JsonBody<CloseRequest>,
) -> Result<Json<InterventionView>, ApiError> {
    let id = id("intervention", &raw)?;
    let (who, now) = (p.clone(), state.clock.now());
    let v = state.store.write(move |c| interventions::close(c, &who, id, &req, now)).await?;
    audit(&state, &p, "close_intervention", [v.student_key.clone()], "/api/v1/interventions/{id}/close").await?;
    Ok(Json(v))
}

/// `GET /api/v1/interventions/outcomes`: counts only, no student-level data.
pub async fn outcomes(State(state): State<AppState>) -> Result<Json<interventions::OutcomeCounts>, ApiError> {
    Ok(Json(state.store.read(interventions::outcome_counts).await?))
}
