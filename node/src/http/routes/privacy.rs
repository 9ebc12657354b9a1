//! Privacy-officer routes: the access log and its verification.

use axum::extract::{Query, State};
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use crate::http::{ApiError, AppState};
use crate::store::access_log;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// Only entries about this student (pseudonymous key).
    pub student: Option<String>,
    pub limit: Option<i64>,
}

pub async fn access_log(
    State(state): State<AppState>,
    Query(q): Query<LogQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = q.limit.unwrap_or(200).clamp(1, 5000);
    let entries = state.store.read(move |c| access_log::recent(c, q.student.as_deref(), limit)).await?;
    Ok(axum::Json(json!({ "entries": entries })))
}

pub async fn verify(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let store = state.store.clone();
    let report = tokio::task::spawn_blocking(move || crate::audit::verify(&store))
        .await
        .map_err(|e| ApiError::internal("verifying the access log", e))??;
    Ok(axum::Json(report))
}
