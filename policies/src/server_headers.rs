//! The security headers both servers (node and aggregator) put on every response, in one place so
//! that the two cannot drift apart. Only the Content-Security-Policy differs: each server passes
//! its own.

use http::header::{self, HeaderMap, HeaderValue};

/// Adds the security headers to a response's `headers`: no MIME sniffing, no framing, no
/// referrer, `csp` as Content-Security-Policy, and `Cache-Control: no-store` unless the response
/// set its own caching already.
pub fn add_security_headers(headers: &mut HeaderMap, csp: &'static str) {
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn every_header_is_set_and_a_route_keeps_its_own_caching() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=60"));
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
        add_security_headers(&mut headers, "default-src 'self'");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "framing is always refused");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(headers[header::CACHE_CONTROL], "max-age=60");
        assert_eq!(headers[header::CONTENT_SECURITY_POLICY], "default-src 'self'");
        let mut bare = HeaderMap::new();
        add_security_headers(&mut bare, "default-src 'none'");
        assert_eq!(bare[header::CACHE_CONTROL], "no-store");
        assert_eq!(bare.len(), 5);
    }
}
