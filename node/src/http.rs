//! The node's HTTP server: shared state, the layered router, and start/stop with graceful
//! shutdown (in-flight requests finish, queued writes commit, then the writer stops).

pub mod error;
pub mod observe;
pub mod router;
mod routes;
pub mod session;
pub mod views;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::middleware::{from_fn_with_state, map_response};
use axum::response::Response;
use axum::Router;
use chrono::Duration;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::auth::rate_limit::{LimitConfig, LoginLimiter};
use crate::clock::Clock;
use crate::config::NodeConfig;
use crate::store::Store;
pub use error::ApiError;
use observe::Metrics;

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<NodeConfig>,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub limiter: Arc<LoginLimiter>,
    pub metrics: Arc<Metrics>,
    pub policies: Arc<crate::policies::Policies>,
    /// Receives stored learning events (ingest calls it in and after its transaction).
    pub event_sink: Option<Arc<dyn crate::events::EventSink>>,
    /// The live stream's hub (`/api/v1/stream`).
    pub live: Arc<crate::live::LiveHub>,
    /// Students whose events committed since their flags were last evaluated.
    pub dirty: Arc<crate::alerts::evaluator::DirtyStudents>,
    /// The indicator engine's thread (applies committed learning events).
    pub indicators: Arc<crate::indicators::IndicatorWorker>,
    /// The xAPI ingest path's shared state (roster snapshot, `stored` clock).
    pub ingest: Arc<crate::ingest::IngestState>,
}

impl AppState {
    pub fn new(
        config: NodeConfig,
        store: Store,
        clock: Arc<dyn Clock>,
        policies: Arc<crate::policies::Policies>,
    ) -> AppState {
        let live = Arc::new(crate::live::LiveHub::new());
        let engine = Arc::new(crate::indicators::Engine::new(policies.rules.bkt_model(), live.clone()));
        let dirty = Arc::new(crate::alerts::evaluator::DirtyStudents::default());
        let indicators = Arc::new(crate::indicators::IndicatorWorker::start(store.clone(), engine, dirty.clone()));
        AppState {
            event_sink: Some(Arc::new(crate::pipeline::Pipeline { indicators: indicators.clone() })),
            indicators,
            live,
            dirty,
            policies,
            ingest: Arc::new(crate::ingest::IngestState::new(&config.xapi.account_home_page)),
            config: Arc::new(config),
            store,
            clock,
            limiter: Arc::new(LoginLimiter::default()),
            metrics: Arc::new(Metrics::new("lantern_node")),
        }
    }

    pub fn login_limits(&self) -> LimitConfig {
        let a = &self.config.auth;
        LimitConfig {
            per_account: a.max_failures_per_account,
            per_address: a.max_failures_per_address,
            window: Duration::minutes(i64::from(a.failure_window_minutes)),
        }
    }
}

/// The node's pages run their own inline scripts (live views).
const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

/// Security headers on every response (shared with the aggregator).
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

/// The complete application: routes, credentials, observation, headers.
pub fn app(state: AppState) -> Router {
    router::router()
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.clone(), session::resolve))
        .layer(from_fn_with_state(state.clone(), settle_reads))
        .layer(from_fn_with_state(state.metrics.clone(), observe::observe))
        .layer(map_response(security_headers))
        .with_state(state)
}

/// Longest a read waits for the indicator engine to write what was acknowledged before it.
pub const SETTLE_WAIT: std::time::Duration = std::time::Duration::from_millis(500);

/// Reads of the node's own views wait (briefly) until the indicator engine has written every
/// statement acknowledged before the read arrived, so a dashboard never shows less than what the
/// quiz tool was told is stored. Under heavy ingest this costs at most one engine flush interval.
async fn settle_reads(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let path = req.uri().path();
    let own_view = req.method() == axum::http::Method::GET
        && !path.starts_with("/xapi/")
        && path != "/healthz"
        && path != "/metrics"
        && path != "/api/v1/stream";
    if own_view && !state.indicators.settled(SETTLE_WAIT).await {
        tracing::debug!("read served before the indicator engine caught up");
    }
    next.run(req).await
}

/// A node server running in this process.
pub struct RunningNode {
    pub addr: SocketAddr,
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
    evaluator: Option<crate::alerts::evaluator::AlertEvaluator>,
}

impl RunningNode {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Graceful stop: no new connections, in-flight requests finish, queued writes commit.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.stop_inner().await
    }

    async fn stop_inner(&mut self) -> std::io::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let result = match self.task.take() {
            Some(t) => t.await.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        };
        if let Some(e) = self.evaluator.take() {
            e.stop().await;
        }
        let (store, indicators) = (self.state.store.clone(), self.state.indicators.clone());
        let _ = tokio::task::spawn_blocking(move || {
            indicators.stop();
            store.shutdown();
        })
        .await;
        result
    }

    /// Runs until `signal` resolves, then stops gracefully.
    pub async fn run_until(mut self, signal: impl std::future::Future<Output = ()>) -> std::io::Result<()> {
        tokio::select! {
            _ = signal => {}
            r = async { match self.task.as_mut() { Some(t) => t.await, None => std::future::pending().await } } => {
                self.task = None;
                return r.unwrap_or_else(|e| Err(std::io::Error::other(e)));
            }
        }
        self.stop_inner().await
    }
}

/// Binds `listen` (port 0 picks a free port) and serves `state` in the background.
pub async fn start(state: AppState, listen: SocketAddr) -> std::io::Result<RunningNode> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let app = app(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await
    });
    let evaluator = crate::alerts::evaluator::AlertEvaluator::start(
        state.store.clone(),
        state.policies.rules.clone(),
        state.clock.clone(),
        state.live.clone(),
        state.dirty.clone(),
        crate::alerts::evaluator::SWEEP_EVERY,
    );
    tracing::info!(%addr, "node listening");
    Ok(RunningNode { addr, state, stop: Some(stop_tx), task: Some(task), evaluator: Some(evaluator) })
}
