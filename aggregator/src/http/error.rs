//! The aggregator's one error type at the HTTP edge: `{"error": {"code", "message"}}` with the
//! right status for every refusal.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::intake::IntakeError;
use crate::store::StoreError;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "not_authenticated",
            "this route needs the analyst token (Authorization: Bearer …, or sign in at /login)",
        )
    }

    pub fn internal(context: &str, err: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %err, "{context}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("internal error while {context}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({"error": {"code": self.code, "message": self.message}}))).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::internal("reading the database", e)
    }
}

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> ApiError {
        use lantern_policies::envelope::EnvelopeError as E;
        let status = match &e {
            IntakeError::Envelope(E::UnknownNode(_) | E::BadSignature(_)) => StatusCode::FORBIDDEN,
            IntakeError::Envelope(_) => StatusCode::BAD_REQUEST,
            IntakeError::Replayed { .. } | IntakeError::OutOfOrder { .. } | IntakeError::IdReused { .. } => {
                StatusCode::CONFLICT
            }
            IntakeError::PolicyMismatch(_) | IntakeError::Nonconforming(_) | IntakeError::OverBudget { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            IntakeError::Store(s) => return ApiError::internal("storing a release", s),
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}
