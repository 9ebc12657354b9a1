//! Admin uploads: a OneRoster export (.zip) or an items / attendance / outcomes CSV, imported all or
//! nothing exactly as `lantern node import` does; and the list of past imports.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::http::{ApiError, AppState};
use crate::import::ImportError;
use crate::imports::{run_import, ImportInput};

/// Largest accepted upload (a district's roster zip is a few MB; a year of attendance tens of MB).
pub const MAX_UPLOAD_BYTES: usize = 256 * 1024 * 1024;

fn input_of(kind: &str) -> Result<(ImportInput, &'static str), ApiError> {
    match kind {
        "oneroster" => Ok((ImportInput::OneRoster, "upload.zip")),
        "items" => Ok((ImportInput::Items, "items.csv")),
        "attendance" => Ok((ImportInput::Attendance, "attendance.csv")),
        "outcomes" => Ok((ImportInput::Outcomes, "outcomes.csv")),
        other => Err(ApiError::not_found(format!(
            "unknown import kind {other:?} (expected oneroster, items, attendance or outcomes)"
        ))),
    }
}

fn rejected(e: ImportError) -> Response {
    match &e {
        ImportError::Rejected { problems, total, .. } => {
            let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
            let body = json!({"error": {"code": "import_rejected", "message": e.summary(), "problems": list, "total_problems": total}});
            (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
        }
        ImportError::InvalidOption { .. } | ImportError::Io { .. } => {
            ApiError::unprocessable(e.summary()).into_response()
        }
        ImportError::Store(_) | ImportError::Database { .. } => ApiError::internal("importing", e).into_response(),
    }
}

pub async fn upload(State(state): State<AppState>, Path(kind): Path<String>, body: Bytes) -> Response {
    let (input, file_name) = match input_of(&kind) {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    if body.is_empty() {
        return ApiError::unprocessable("the upload is empty").into_response();
    }
    let (store, now, data_dir) = (state.store.clone(), state.clock.now(), state.config.data_dir.clone());
    let result = tokio::task::spawn_blocking(move || -> Result<_, ImportError> {
        // The upload goes to a private scratch directory that is removed afterwards.
        let scratch = tempfile::Builder::new()
            .prefix("upload-")
            .tempdir_in(&data_dir)
            .map_err(|source| ImportError::Io { path: data_dir.clone(), source })?;
        let path = scratch.path().join(file_name);
        std::fs::write(&path, &body).map_err(|source| ImportError::Io { path: path.clone(), source })?;
        let mut report = run_import(&store, input, &path, &Default::default(), now)?;
        report.source = format!("upload:{file_name}");
        Ok(report)
    })
    .await;
    match result {
        Ok(Ok(report)) => (StatusCode::OK, axum::Json(report)).into_response(),
        Ok(Err(e)) => rejected(e),
        Err(e) => ApiError::internal("running the import", e).into_response(),
    }
}

pub async fn list(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let reports =
        state.store.read(crate::import::list_imports).await.map_err(|e| ApiError::internal("listing imports", e))?;
    Ok(axum::Json(json!({ "imports": reports })))
}
