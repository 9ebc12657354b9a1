//! lantern-aggregator: the district aggregator. It accepts sealed releases from registered school
//! nodes (`intake`: decrypt, verify, sequence, policy, budget), stores them (`store`), and shows
//! district estimates with intervals (`estimates`) and bias audits of the alert rules
//! (`bias_audit`) to analysts over HTTP (`http`). It never holds anything about a single student.
//!
//! Library first: [`start`] runs a server in this process (the CLI, the demo and the tests use it).

pub mod bias_audit;
pub mod config;
pub mod estimates;
pub mod http;
pub mod intake;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::AggregatorConfig;
use http::access::AnalystToken;
use http::observe::Metrics;
use http::AppState;

#[derive(Debug, thiserror::Error)]
pub enum AggregatorError {
    #[error(transparent)]
    Config(#[from] lantern_policies::config_file::ConfigError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("analyst_token_file: {0}")]
    Token(String),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: SocketAddr, reason: std::io::Error },
}

/// An aggregator server running in this process.
pub struct RunningAggregator {
    pub addr: SocketAddr,
    /// The analyst token, when this start created it (print it once); `None` when it was read
    /// from the existing token file.
    pub new_analyst_token: Option<String>,
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl RunningAggregator {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Graceful stop: no new connections; in-flight requests finish.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.stop_inner().await
    }

    async fn stop_inner(&mut self) -> std::io::Result<()> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(t) => t.await.unwrap_or_else(|e| Err(std::io::Error::other(e))),
            None => Ok(()),
        }
    }

    /// Runs until `signal` resolves (or the server fails), then stops gracefully.
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

/// Loads the keys, policy and store the configuration names, binds `config.listen` (port 0 picks
/// a free port) and serves in the background.
pub async fn start(config: AggregatorConfig) -> Result<RunningAggregator, AggregatorError> {
    let listen = config.listen;
    let max_body = config.max_release_bytes;
    let (state, new_token) = tokio::task::spawn_blocking(move || -> Result<_, AggregatorError> {
        let token_path = config.analyst_token_path();
        let db = config.database_path();
        let synchronous = config.synchronous;
        let resolved = config.resolve()?;
        let store = store::Store::open(&db, synchronous)?;
        let (token, new_token) = AnalystToken::load_or_create(&token_path).map_err(AggregatorError::Token)?;
        let state = AppState {
            store,
            identity: Arc::new(resolved.identity),
            nodes: Arc::new(resolved.nodes),
            policy: Arc::new(resolved.policy),
            token: Arc::new(token),
            metrics: Arc::new(Metrics::new()),
            district_name: resolved.config.district_name.into(),
        };
        Ok((state, new_token))
    })
    .await
    .map_err(|e| AggregatorError::Token(format!("starting: {e}")))??;
    let listener =
        TcpListener::bind(listen).await.map_err(|reason| AggregatorError::Listen { addr: listen, reason })?;
    let addr = listener.local_addr().map_err(|reason| AggregatorError::Listen { addr: listen, reason })?;
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let app = http::app(state.clone(), max_body);
    let task = tokio::spawn(http::serve(listener, app, async {
        let _ = stop_rx.await;
    }));
    tracing::info!(%addr, "aggregator listening");
    Ok(RunningAggregator { addr, new_analyst_token: new_token, state, stop: Some(stop_tx), task: Some(task) })
}
