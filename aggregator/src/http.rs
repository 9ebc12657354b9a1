//! The aggregator's HTTP server: shared state, the layered router, start and graceful stop.

pub mod access;
mod api;
pub mod error;
pub mod observe;
mod pages;
pub mod router;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn_with_state, map_response};
use axum::response::Response;
use axum::Router;
use lantern_policies::envelope::NodeId;
use lantern_policies::release_policy::ReleasePolicy;

use crate::config::RegisteredNode;
use crate::store::Store;
use access::AnalystToken;
pub use error::ApiError;
use observe::Metrics;

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub identity: Arc<age::x25519::Identity>,
    pub nodes: Arc<BTreeMap<NodeId, RegisteredNode>>,
    pub policy: Arc<ReleasePolicy>,
    pub token: Arc<AnalystToken>,
    pub metrics: Arc<Metrics>,
    pub district_name: Arc<str>,
}

impl AppState {
    /// Time of receipt, recorded with each release.
    pub fn clock_now(&self) -> String {
        chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}

/// The dashboard runs no inline script.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

/// Security headers on every response (shared with the node).
async fn security_headers(mut resp: Response) -> Response {
    lantern_policies::server_headers::add_security_headers(resp.headers_mut(), CONTENT_SECURITY_POLICY);
    resp
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(axum::http::StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this route")
}

/// The complete application.
pub fn app(state: AppState, max_body_bytes: usize) -> Router {
    router::router()
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(from_fn_with_state(state.metrics.clone(), observe::observe))
        .layer(map_response(security_headers))
        .with_state(state)
}

/// Serves on `listener` until `stop` resolves.
pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app).with_graceful_shutdown(stop).await
}
