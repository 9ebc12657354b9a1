//! Admin JSON routes for xAPI: data sources (list, create, revoke) and the statements whose
//! actor, activity or class matched nothing rostered.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;

use crate::http::error::JsonBody;
use crate::http::{ApiError, AppState};
use crate::sources::{self, SourceError};
use crate::store::statements as sql;

fn source_error(e: SourceError) -> ApiError {
    match e {
        SourceError::Duplicate(_) => ApiError::conflict(e.to_string()),
        SourceError::Unknown(_) => ApiError::not_found(e.to_string()),
        SourceError::Invalid(_) => ApiError::unprocessable(e.to_string()),
        SourceError::Store(s) => ApiError::from(s),
    }
}

/// Runs a blocking source operation off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SourceError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal("running a data source task", e))?
        .map_err(source_error)
}

/// `GET /api/v1/sources`: every data source (never its secret).
pub async fn list_sources(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let store = state.store.clone();
    let rows = blocking(move || sources::list(&store)).await?;
    Ok(axum::Json(json!({ "sources": rows })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateSourceBody {
    pub name: String,
    /// Class sourcedIds the source may report on; omitted: all classes.
    pub classes: Option<Vec<String>>,
}

/// `POST /api/v1/sources`: new credentials, shown once.
pub async fn create_source(
    State(state): State<AppState>,
    JsonBody(body): JsonBody<CreateSourceBody>,
) -> Result<impl IntoResponse, ApiError> {
    let (store, now) = (state.store.clone(), state.clock.now());
    let created = blocking(move || sources::create(&store, &body.name, body.classes, now)).await?;
    Ok((StatusCode::CREATED, axum::Json(created)))
}

/// `POST /api/v1/sources/{name}/revoke`: its requests are refused from now on.
pub async fn revoke_source(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let (store, now) = (state.store.clone(), state.clock.now());
    let revoked = name.clone();
    blocking(move || sources::revoke(&store, &name, now)).await?;
    Ok(axum::Json(json!({"revoked": revoked})))
}

/// `GET /api/v1/xapi/unmatched`: what statements named that matched nothing rostered.
pub async fn unmatched(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let rows = state.store.read(sql::list_unmatched).await?;
    Ok(axum::Json(json!({ "unmatched": rows })))
}
