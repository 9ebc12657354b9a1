//! The one error type at the HTTP edge: every layer's error maps to a status and the JSON shape
//! `{"error": {"code": "...", "message": "..."}}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::AuthError;
use crate::store::StoreError;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds, for 429.
    pub retry_after: Option<i64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into(), retry_after: None }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, "conflict", message)
    }
    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "unprocessable", message)
    }
    pub fn internal(context: &str, err: impl std::fmt::Display) -> ApiError {
        // Details go to the log (no personal data is in store errors), not to the client.
        tracing::error!(error = %err, "{context}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("internal error while {context}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut resp = (self.status, axum::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        resp
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> ApiError {
        use AuthError as A;
        let (status, code) = match &e {
            A::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            A::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            A::NotAuthenticated => (StatusCode::UNAUTHORIZED, "not_authenticated"),
            A::SessionExpired => (StatusCode::UNAUTHORIZED, "session_expired"),
            A::SessionRevoked => (StatusCode::UNAUTHORIZED, "session_revoked"),
            A::AccountDisabled => (StatusCode::FORBIDDEN, "account_disabled"),
            A::Forbidden { .. } => (StatusCode::FORBIDDEN, "forbidden"),
            A::OutOfScope => (StatusCode::FORBIDDEN, "out_of_scope"),
            A::PasswordChangeRequired => (StatusCode::FORBIDDEN, "password_change_required"),
            A::Csrf => (StatusCode::FORBIDDEN, "csrf"),
            A::UnknownUser(_) => (StatusCode::NOT_FOUND, "unknown_user"),
            A::DuplicateUser(_) => (StatusCode::CONFLICT, "duplicate_user"),
            A::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            A::Store(s) => return ApiError::internal("accessing the database", s),
        };
        let mut err = ApiError::new(status, code, e.to_string());
        if let A::RateLimited(secs) = e {
            err.retry_after = Some(secs);
        }
        err
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotDurable(_) | StoreError::Refused(_) | StoreError::Closed => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", e.to_string())
            }
            e => ApiError::internal("accessing the database", e),
        }
    }
}

/// JSON bodies whose rejections use our error shape.
pub struct JsonBody<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for JsonBody<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(JsonBody(v)),
            Err(rej) => {
                let status = rej.status();
                let code = match status {
                    StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
                    StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
                    StatusCode::UNPROCESSABLE_ENTITY => "invalid_body",
                    _ => "bad_request",
                };
                Err(ApiError::new(status, code, rej.body_text()))
            }
        }
    }
}
