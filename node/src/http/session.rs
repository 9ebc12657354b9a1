//! Who is calling: the session cookie or bearer token is resolved once per request, and each
//! guarded route checks its capability (and, for cookie sessions, the CSRF token on state-changing
//! requests) before the handler runs. Handlers read the principal from the request extensions.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};

use super::error::ApiError;
use super::AppState;
use crate::auth::{self, AuthError, Capability, Principal, SessionKind};

pub const SESSION_COOKIE: &str = "lantern_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Largest form body inspected for a CSRF field.
const FORM_LIMIT: usize = 1 << 20;

/// The outcome of resolving the request's credentials (absent when none were sent).
#[derive(Clone)]
pub struct Authn(pub Option<Result<Principal, String>>, pub Option<AuthKind>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthKind {
    Expired,
    Revoked,
    Disabled,
    Unknown,
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
        v.split(';').find_map(|kv| {
            let (k, val) = kv.trim().split_once('=')?;
            (k == name).then(|| val.to_string())
        })
    })
}

/// Middleware on every route: resolve the credentials, remember the outcome.
pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let token = bearer(req.headers()).or_else(|| cookie(req.headers(), SESSION_COOKIE));
    let outcome = match token {
        None => Authn(None, None),
        Some(t) => match auth::authenticate(&state.store, &t, state.clock.now()).await {
            Ok(p) => Authn(Some(Ok(p)), None),
            Err(e) => {
                let kind = match e {
                    AuthError::SessionExpired => AuthKind::Expired,
                    AuthError::SessionRevoked => AuthKind::Revoked,
                    AuthError::AccountDisabled => AuthKind::Disabled,
                    _ => AuthKind::Unknown,
                };
                Authn(Some(Err(e.to_string())), Some(kind))
            }
        },
    };
    req.extensions_mut().insert(outcome);
    next.run(req).await
}

fn auth_error(authn: Option<&Authn>) -> AuthError {
    match authn.and_then(|a| a.1) {
        Some(AuthKind::Expired) => AuthError::SessionExpired,
        Some(AuthKind::Revoked) => AuthError::SessionRevoked,
        Some(AuthKind::Disabled) => AuthError::AccountDisabled,
        _ => AuthError::NotAuthenticated,
    }
}

/// The principal, if the request carried valid credentials.
pub fn principal_of(req: &Request) -> Option<Principal> {
    match req.extensions().get::<Authn>() {
        Some(Authn(Some(Ok(p)), _)) => Some(p.clone()),
        _ => None,
    }
}

fn digest(s: &str) -> [u8; 32] {
    Sha256::digest(s.as_bytes()).into()
}

fn is_state_changing(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Checks capability and CSRF, then hands the principal to the handler.
pub async fn check(cap: Capability, req: Request, next: Next) -> Result<Response, ApiError> {
    let Some(principal) = principal_of(&req) else {
        return Err(auth_error(req.extensions().get::<Authn>()).into());
    };
    principal.require(cap)?;
    let mut req = req;
    if principal.via == SessionKind::Browser && is_state_changing(req.method()) {
        req = check_csrf(req, &principal.csrf_token).await?;
    }
    req.extensions_mut().insert(principal);
    Ok(next.run(req).await)
}

/// Cookie sessions must echo their CSRF token in `X-CSRF-Token` or a `_csrf` form field; bearer
/// tokens are not sent by browsers on their own, so they need none.
async fn check_csrf(req: Request, expected: &str) -> Result<Request, ApiError> {
    if let Some(v) = req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if digest(v) == digest(expected) { Ok(req) } else { Err(AuthError::Csrf.into()) };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(AuthError::Csrf.into());
    }
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| ApiError::new(axum::http::StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "form too large"))?;
    let found = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|s| s.split('&').find_map(|kv| kv.strip_prefix("_csrf=")))
        .is_some_and(|v| digest(v) == digest(expected));
    if !found {
        return Err(AuthError::Csrf.into());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// Page variant of `check`: people without a session are sent to the login page.
pub async fn check_page(cap: Capability, req: Request, next: Next) -> Response {
    if principal_of(&req).is_none() {
        return Redirect::to("/login").into_response();
    }
    match check(cap, req, next).await {
        Ok(r) => r,
        Err(e) => super::views::error_page(&e).into_response(),
    }
}

/// `Set-Cookie` for a new browser session.
pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(secure: bool) -> String {
    session_cookie("", 0, secure)
}
