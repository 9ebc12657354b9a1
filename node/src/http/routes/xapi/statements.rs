//! `GET`, `POST` and `PUT /xapi/statements`: checks the version header, content type and body
//! size, parses and maps statements on the request path, stores them in one writer job (answered
//! only after the commit), and reads them back with the consistency headers.

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::{check_version, http_date, ingest_error, json_response, reply, DataSource};
use crate::http::{ApiError, AppState};
use crate::ingest::{self, retrieve, IngestError, Stored};
use crate::xapi::{parse_accept_language, parse_query, parse_statements, XapiError};

/// Bodies above this are parsed on a blocking thread rather than the request task.
const INLINE_PARSE_BYTES: usize = 256 * 1024;

/// `POST /xapi/statements`: one statement or an array; answers the ids, in order.
pub async fn post_statements(
    State(state): State<AppState>,
    DataSource(source): DataSource,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    reply(
        async {
            check_version(&headers)?;
            if uri.query().is_some_and(|q| !q.is_empty()) {
                return Err(ApiError::bad_request(
                    "POST /xapi/statements takes no parameters (the alternate request syntax is not supported)",
                ));
            }
            let bytes = read_json_body(&state, &headers, body).await?;
            let stored = ingest_body(&state, source, bytes, None).await?;
            let ids: Vec<String> = stored.ids.iter().map(Uuid::to_string).collect();
            Ok(axum::Json(ids).into_response())
        }
        .await,
    )
}

/// `PUT /xapi/statements?statementId=…`: one statement under that id; 204.
pub async fn put_statements(
    State(state): State<AppState>,
    DataSource(source): DataSource,
    headers: HeaderMap,
    uri: Uri,
    body: Body,
) -> Response {
    reply(
        async {
            check_version(&headers)?;
            let pairs = query_pairs(&uri)?;
            let id = match pairs.as_slice() {
                [(name, value)] if name == "statementId" => Uuid::parse_str(value)
                    .ok()
                    .filter(|u| u.hyphenated().to_string() == value.to_ascii_lowercase())
                    .ok_or_else(|| ApiError::bad_request("statementId: must be a UUID in standard form".to_string()))?,
                _ => {
                    return Err(ApiError::bad_request("PUT /xapi/statements takes exactly one parameter, statementId"))
                }
            };
            let bytes = read_json_body(&state, &headers, body).await?;
            ingest_body(&state, source, bytes, Some(id)).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        .await,
    )
}

/// `GET /xapi/statements`: one statement by (voided) id, or a filtered, paged list.
pub async fn get_statements(
    State(state): State<AppState>,
    DataSource(_source): DataSource,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    reply(
        async {
            check_version(&headers)?;
            let query = parse_query(&query_pairs(&uri)?).map_err(|e| ingest_error(e.into()))?;
            let langs = headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(parse_accept_language)
                .unwrap_or_default();
            let answer = state
                .store
                .read(move |c| retrieve::retrieve(c, &query, &langs))
                .await
                .map_err(ingest_error)?
                .ok_or_else(|| {
                    ApiError::not_found("no statement with this id (or it is not in the state asked for)")
                })?;
            let mut response = json_response(StatusCode::OK, answer.body);
            let through = answer.consistent_through.unwrap_or_else(|| ingest::stored_text(state.clock.now()));
            if let Ok(v) = HeaderValue::from_str(&through) {
                response.headers_mut().insert("x-experience-api-consistent-through", v);
            }
            if let Some(v) = answer.last_modified.as_deref().and_then(http_date) {
                response.headers_mut().insert(header::LAST_MODIFIED, v);
            }
            Ok(response)
        }
        .await,
    )
}

/// The URL-decoded query parameters.
fn query_pairs(uri: &Uri) -> Result<Vec<(String, String)>, ApiError> {
    Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::bad_request(format!("the query string cannot be read: {e}")))
}

/// The body of a POST/PUT: `application/json` (attachments, i.e. `multipart/mixed`, are refused)
/// and at most `xapi.max_body_bytes`.
async fn read_json_body(state: &AppState, headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/json" => {}
        "multipart/mixed" => {
            return Err(ApiError::bad_request(
                "this LRS accepts no attachments (multipart/mixed); send statements without attachments as application/json",
            ))
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "statements must be sent as application/json, found {:?}",
                    content_type.chars().take(60).collect::<String>()
                ),
            ))
        }
    }
    let limit = state.config.xapi.max_body_bytes;
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the request body is larger than this node accepts (xapi.max_body_bytes = {limit})"),
        )
    };
    let declared = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        if e.to_string().contains("length limit") {
            too_large()
        } else {
            ApiError::bad_request(format!("the request body could not be read: {e}"))
        }
    })
}

/// Parses, maps and stores a body; `put_id` for a PUT.
async fn ingest_body(
    state: &AppState,
    source: crate::sources::Source,
    bytes: Bytes,
    put_id: Option<Uuid>,
) -> Result<Stored, ApiError> {
    let ingest = state.ingest.clone();
    let roster = state.store.read(move |c| ingest.roster(c)).await?;
    let src = source.clone();
    let inline = bytes.len() <= INLINE_PARSE_BYTES;
    let parse = move || -> Result<Vec<ingest::Prepared>, IngestError> {
        let array = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
        if array && put_id.is_some() {
            return Err(XapiError::bad_request("PUT takes one statement object, not an array").into());
        }
        let statements = parse_statements(&bytes)?;
        ingest::prepare(statements, array, &roster, &src, put_id)
    };
    let prepared = if inline {
        parse()
    } else {
        tokio::task::spawn_blocking(parse).await.map_err(|e| ApiError::internal("parsing statements", e))?
    }
    .map_err(ingest_error)?;
    if prepared.is_empty() {
        return Ok(Stored { ids: Vec::new(), new: 0, events: Vec::new() });
    }
    let authority = ingest::source_authority(&source.name);
    let now = state.clock.now();
    state
        .ingest
        .store(&state.store, prepared, source.id, authority, now, state.event_sink.clone())
        .await
        .map_err(ingest_error)
}
