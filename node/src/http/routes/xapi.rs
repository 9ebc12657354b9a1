//! The xAPI 1.0.3 statements resource (`/xapi/statements`, `/xapi/about`) and the admin routes
//! for data sources and unmatched statements. Every `/xapi` response carries
//! `X-Experience-API-Version`; errors use the node's JSON error shape.

mod admin;
mod source_auth;
mod statements;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

pub use admin::{create_source, list_sources, revoke_source, unmatched};
pub use source_auth::DataSource;
pub use statements::{get_statements, post_statements, put_statements};

use crate::http::ApiError;
use crate::ingest::IngestError;
use crate::store::StoreError;

/// The xAPI version this LRS answers with.
pub const XAPI_VERSION: &str = "1.0.3";
const VERSION_HEADER: &str = "x-experience-api-version";

/// `GET /xapi/about`: the versions spoken (no version header needed, Part 3 §2.8).
pub async fn about() -> Response {
    with_version(axum::Json(serde_json::json!({"version": [XAPI_VERSION], "extensions": {}})).into_response())
}

/// Adds `X-Experience-API-Version` to a response.
fn with_version(mut response: Response) -> Response {
    response.headers_mut().insert(VERSION_HEADER, HeaderValue::from_static(XAPI_VERSION));
    response
}

/// A handler's outcome as an xAPI response (errors in our shape), with the version header.
fn reply(result: Result<Response, ApiError>) -> Response {
    with_version(result.unwrap_or_else(IntoResponse::into_response))
}

/// Requests must say which xAPI version they speak: any 1.0.x (Part 3 §6.2); others are 400s.
fn check_version(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(VERSION_HEADER) else {
        return Err(ApiError::bad_request(format!(
            "the X-Experience-API-Version header is required (this LRS speaks {XAPI_VERSION})"
        )));
    };
    let text = value.to_str().unwrap_or("");
    let patch_ok = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if text == "1.0" || text.strip_prefix("1.0.").is_some_and(patch_ok) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "X-Experience-API-Version {:?} is not supported; this LRS speaks 1.0.x ({XAPI_VERSION})",
            text.chars().take(40).collect::<String>()
        )))
    }
}

/// The HTTP form of an ingest error.
fn ingest_error(e: IngestError) -> ApiError {
    match e {
        IngestError::Xapi(x) => match x.status {
            400 => ApiError::bad_request(x.message),
            409 => ApiError::conflict(x.message),
            _ => ApiError::internal("reading statements", x.message),
        },
        e @ (IngestError::ClassNotServed { .. } | IngestError::NoClass { .. }) => {
            ApiError::new(StatusCode::FORBIDDEN, "class_not_served", e.to_string())
        }
        IngestError::Store(s @ (StoreError::NotDurable(_) | StoreError::Refused(_) | StoreError::Closed)) => {
            ApiError::from(s)
        }
        IngestError::Store(s) => ApiError::internal("storing statements", s),
    }
}

/// `Last-Modified` from a stored RFC 3339 time.
fn http_date(rfc3339: &str) -> Option<HeaderValue> {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).ok()?.with_timezone(&chrono::Utc);
    HeaderValue::from_str(&t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()).ok()
}

fn json_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}
