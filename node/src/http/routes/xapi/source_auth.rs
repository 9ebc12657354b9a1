//! Who is posting statements: a data source, by the HTTP Basic credentials `lantern node source
//! add` printed. Person sessions and tokens are not accepted here (403), missing or wrong
//! credentials are 401 with a `WWW-Authenticate` challenge.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::with_version;
use crate::http::session::Authn;
use crate::http::{ApiError, AppState};
use crate::sources::{self, Source};

/// The authenticated data source of an xAPI request.
#[derive(Debug, Clone)]
pub struct DataSource(pub Source);

/// `(key, secret)` of an `Authorization: Basic` header.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (key, secret) = decoded.split_once(':')?;
    Some((key.to_string(), secret.to_string()))
}

fn unauthorized(message: &str) -> Response {
    let mut response =
        ApiError::new(StatusCode::UNAUTHORIZED, "not_authenticated", message.to_string()).into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Lantern xAPI\""));
    with_version(response)
}

impl FromRequestParts<AppState> for DataSource {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<DataSource, Response> {
        let Some((key, secret)) = basic_credentials(&parts.headers) else {
            let person = matches!(parts.extensions.get::<Authn>(), Some(Authn(Some(Ok(_)), _)));
            if person {
                let message = "the xAPI endpoint takes a data source's Basic credentials, not a person's session";
                return Err(with_version(ApiError::new(StatusCode::FORBIDDEN, "forbidden", message).into_response()));
            }
            return Err(unauthorized("send the data source's key and secret as HTTP Basic credentials"));
        };
        let found = state.store.read(move |c| sources::verify(c, &key, &secret)).await;
        match found {
            Ok(Some(source)) => Ok(DataSource(source)),
            Ok(None) => Err(unauthorized("unknown or revoked data source credentials")),
            Err(e) => Err(with_version(ApiError::from(e).into_response())),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_read() {
        let mut h = HeaderMap::new();
        assert_eq!(basic_credentials(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(&format!("Basic {}", STANDARD.encode("k:s:x"))).unwrap());
        assert_eq!(basic_credentials(&h), Some(("k".into(), "s:x".into())));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic !!!"));
        assert_eq!(basic_credentials(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer abc"));
        assert_eq!(basic_credentials(&h), None);
    }
}
