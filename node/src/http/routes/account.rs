//! Logging in and out, one's own account, sessions and API tokens.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Extension;
use chrono::Duration;
use serde::Deserialize;
use serde_json::json;

use crate::auth::{self, Principal, SessionKind};
use crate::http::error::JsonBody;
use crate::http::session::{clear_cookie, session_cookie};
use crate::http::{ApiError, AppState};
use crate::store::accounts as sql;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub username: String,
    pub password: String,
    /// `browser` (default): a cookie session; `api`: a bearer token in the response body.
    #[serde(default)]
    pub kind: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    JsonBody(body): JsonBody<LoginBody>,
) -> Result<impl IntoResponse, ApiError> {
    let kind = match body.kind.as_deref() {
        None | Some("browser") => SessionKind::Browser,
        Some("api") => SessionKind::Api,
        Some(other) => {
            return Err(ApiError::unprocessable(format!("kind: expected \"browser\" or \"api\", got {other:?}")))
        }
    };
    let ttl = match kind {
        SessionKind::Browser => Duration::minutes(i64::from(state.config.auth.session_ttl_minutes)),
        SessionKind::Api => Duration::days(i64::from(state.config.auth.api_token_ttl_days)),
    };
    let address = peer.ip().to_string();
    let attempt = auth::LoginAttempt {
        username: &body.username,
        password: &body.password,
        address: &address,
        now: state.clock.now(),
        ttl,
        kind,
    };
    let result = auth::login(&state.store, &state.limiter, &state.login_limits(), attempt).await;
    let s = match result {
        Ok(s) => s,
        Err(e) => {
            state.metrics.login_failures.inc();
            return Err(e.into());
        }
    };
    let mut body = json!({
        "csrf_token": s.csrf_token,
        "expires_at": auth::ts(s.expires_at),
        "account": s.principal,
    });
    let mut headers = Vec::new();
    match kind {
        SessionKind::Browser => headers
            .push((header::SET_COOKIE, session_cookie(&s.token, ttl.num_seconds(), state.config.cookies_secure()))),
        SessionKind::Api => body["token"] = json!(s.token),
    }
    Ok((StatusCode::OK, [(header::CACHE_CONTROL, "no-store".to_string())], headers_map(headers), axum::Json(body)))
}

fn headers_map(h: Vec<(header::HeaderName, String)>) -> axum::http::HeaderMap {
    let mut map = axum::http::HeaderMap::new();
    for (k, v) in h {
        if let Ok(v) = axum::http::HeaderValue::from_str(&v) {
            map.append(k, v);
        }
    }
    map
}

pub async fn logout(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
) -> Result<impl IntoResponse, ApiError> {
    auth::logout(&state.store, p.session_id, state.clock.now()).await?;
    Ok((
        StatusCode::OK,
        [(header::SET_COOKIE, clear_cookie(state.config.cookies_secure()))],
        axum::Json(json!({"logged_out": true})),
    ))
}

pub async fn me(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
) -> Result<impl IntoResponse, ApiError> {
    let caps: Vec<_> = auth::Capability::ALL.into_iter().filter(|c| auth::allows(p.role, *c)).collect();
    Ok(axum::Json(json!({
        "account": p,
        "role_title": p.role.title(),
        "capabilities": caps,
        "school": {"id": state.config.school_id, "name": state.config.school_name},
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    pub current_password: String,
    pub new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    JsonBody(body): JsonBody<PasswordBody>,
) -> Result<impl IntoResponse, ApiError> {
    auth::change_own_password(&state.store, &p, &body.current_password, &body.new_password, state.clock.now()).await?;
    Ok(axum::Json(json!({"changed": true})))
}

pub async fn sessions(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
) -> Result<impl IntoResponse, ApiError> {
    let (id, now) = (p.account_id, auth::ts(state.clock.now()));
    let rows = state.store.read(move |c| sql::list_sessions(c, id, &now)).await?;
    let list: Vec<_> = rows
        .into_iter()
        .map(|s| {
            let current = s.id == p.session_id;
            json!({"id": s.id, "kind": s.kind, "label": s.label, "created_at": s.created_at, "expires_at": s.expires_at, "current": current})
        })
        .collect();
    Ok(axum::Json(json!({ "sessions": list })))
}

pub async fn revoke_session(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let (account, now) = (p.account_id, auth::ts(state.clock.now()));
    let revoked = state.store.write(move |c| sql::revoke_own_session(c, account, id, &now)).await?;
    if !revoked {
        return Err(ApiError::not_found(format!("no live session {id} on your account")));
    }
    Ok(axum::Json(json!({"revoked": id})))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    pub label: Option<String>,
}

pub async fn create_token(
    State(state): State<AppState>,
    Extension(p): Extension<Principal>,
    JsonBody(body): JsonBody<TokenBody>,
) -> Result<impl IntoResponse, ApiError> {
    let ttl = Duration::days(i64::from(state.config.auth.api_token_ttl_days));
    let s = auth::issue_api_token(&state.store, &p, body.label, state.clock.now(), ttl).await?;
    Ok((StatusCode::CREATED, axum::Json(json!({"token": s.token, "expires_at": auth::ts(s.expires_at)}))))
}
