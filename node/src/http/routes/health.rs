//! `/healthz` (is the database answering?) and `/metrics` (Prometheus text format).

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde_json::json;

use crate::http::{ApiError, AppState};
use crate::store::StoreError;

pub async fn healthz(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let version = state
        .store
        .read(|c| Ok::<u32, StoreError>(c.query_row("PRAGMA user_version", [], |r| r.get(0))?))
        .await
        .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unhealthy", format!("database: {e}")))?;
    let stats = state.store.writer_stats();
    if let Some(why) = stats.refusing_writes {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unhealthy",
            format!("writes are refused until the node is restarted: a WAL flush failed ({why})"),
        ));
    }
    Ok(axum::Json(json!({
        "status": "ok",
        "school_id": state.config.school_id,
        "schema_version": version,
        "writer_queue_depth": stats.queue_depth,
    })))
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let s = state.store.writer_stats();
    let m = &state.metrics;
    m.writer_queue_depth.set(s.queue_depth as i64);
    m.writer_queue_capacity.set(s.queue_capacity as i64);
    m.writer_jobs.set(s.jobs as i64);
    m.writer_commits.set(s.commits as i64);
    m.writer_failed_jobs.set(s.failed_jobs as i64);
    m.writer_wal_flushes.set(s.wal_flushes as i64);
    m.writer_refusing_writes.set(i64::from(s.refusing_writes.is_some()));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], m.encode())
}
