//! Analyst access: one static bearer token, kept in a file (created with a random value at first
//! start). An analyst presents it as `Authorization: Bearer …` (API clients) or signs in once at
//! `/login`, which sets it as an HttpOnly, SameSite=Strict cookie (browsers). The token is compared
//! by SHA-256 digest. Release intake is not behind it: envelopes carry their own signature.

use std::io::Write;
use std::path::Path;

use axum::http::{header, HeaderMap};
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::error::ApiError;

pub const COOKIE: &str = "lantern_analyst";

/// The digest of the analyst token.
#[derive(Clone)]
pub struct AnalystToken([u8; 32]);

impl std::fmt::Debug for AnalystToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AnalystToken(…)")
    }
}

impl AnalystToken {
    pub fn from_secret(secret: &str) -> AnalystToken {
        AnalystToken(Sha256::digest(secret.trim().as_bytes()).into())
    }

    pub fn matches(&self, presented: &str) -> bool {
        let d: [u8; 32] = Sha256::digest(presented.trim().as_bytes()).into();
        d == self.0
    }

    /// Reads the token file, or creates it with a fresh random token (mode 0600) and returns the
    /// token so it can be printed once.
    pub fn load_or_create(path: &Path) -> Result<(AnalystToken, Option<String>), String> {
        match std::fs::read_to_string(path) {
            Ok(text) if text.trim().len() >= 16 => Ok((AnalystToken::from_secret(&text), None)),
            Ok(_) => Err(format!("{}: the analyst token must be at least 16 characters", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut bytes = [0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut bytes);
                let token = hex::encode(bytes);
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
                }
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                let mut f = options.open(path).map_err(|e| format!("{}: {e}", path.display()))?;
                f.write_all(format!("{token}\n").as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
                Ok((AnalystToken::from_secret(&token), Some(token)))
            }
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Checks the bearer header or the sign-in cookie.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        let bearer =
            headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        let cookie = headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(|v| {
            v.split(';').map(str::trim).find_map(|c| c.strip_prefix(COOKIE).and_then(|r| r.strip_prefix('=')))
        });
        match bearer.or(cookie) {
            Some(t) if self.matches(t) => Ok(()),
            _ => Err(ApiError::unauthenticated()),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn created_once_then_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/analyst-token");
        let (t, printed) = AnalystToken::load_or_create(&path).unwrap();
        let printed = printed.unwrap();
        assert!(t.matches(&printed));
        let (again, none) = AnalystToken::load_or_create(&path).unwrap();
        assert!(none.is_none() && again.matches(&printed));
        std::fs::write(&path, "short").unwrap();
        assert!(AnalystToken::load_or_create(&path).unwrap_err().contains("at least 16"));
    }

    #[test]
    fn bearer_or_cookie() {
        let t = AnalystToken::from_secret("0123456789abcdef0123");
        let mut h = HeaderMap::new();
        assert_eq!(t.check(&h).unwrap_err().code, "not_authenticated");
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer wrong-token-here"));
        assert!(t.check(&h).is_err());
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer 0123456789abcdef0123"));
        assert!(t.check(&h).is_ok());
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("x=1; lantern_analyst=0123456789abcdef0123"));
        assert!(t.check(&h).is_ok());
    }
}
