//! Request observation: a tracing span and Prometheus counters/latency histograms per route
//! template. Only the matched route template is recorded — never the raw path or query, which can
//! carry student keys.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tracing::Instrument;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
}

/// One registry per server instance, so several nodes can run in one process (the demo, tests).
pub struct Metrics {
    pub registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub latency: Family<RouteLabels, Histogram>,
    pub writer_queue_depth: Gauge,
    pub writer_queue_capacity: Gauge,
    pub writer_jobs: Gauge,
    pub writer_commits: Gauge,
    pub writer_failed_jobs: Gauge,
    pub writer_wal_flushes: Gauge,
    pub writer_refusing_writes: Gauge,
    pub login_failures: Counter,
}

impl Metrics {
    pub fn new(prefix: &str) -> Metrics {
        let mut registry = Registry::with_prefix(prefix);
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])
        });
        registry.register("http_requests", "HTTP requests by method, route template and status", requests.clone());
        registry.register("http_request_duration_seconds", "HTTP request latency by route template", latency.clone());
        let m = Metrics {
            requests,
            latency,
            writer_queue_depth: Gauge::default(),
            writer_queue_capacity: Gauge::default(),
            writer_jobs: Gauge::default(),
            writer_commits: Gauge::default(),
            writer_failed_jobs: Gauge::default(),
            writer_wal_flushes: Gauge::default(),
            writer_refusing_writes: Gauge::default(),
            login_failures: Counter::default(),
            registry,
        };
        let mut m = m;
        m.registry.register("writer_queue_depth", "Jobs waiting for the database writer", m.writer_queue_depth.clone());
        m.registry.register("writer_queue_capacity", "Capacity of the writer queue", m.writer_queue_capacity.clone());
        m.registry.register("writer_jobs", "Write jobs run since start", m.writer_jobs.clone());
        m.registry.register(
            "writer_commits",
            "Transactions committed since start (group commits)",
            m.writer_commits.clone(),
        );
        m.registry.register("writer_failed_jobs", "Write jobs rolled back since start", m.writer_failed_jobs.clone());
        m.registry.register(
            "writer_wal_flushes",
            "WAL flushes that acknowledged committed writes (durability full)",
            m.writer_wal_flushes.clone(),
        );
        m.registry.register(
            "writer_refusing_writes",
            "1 when a WAL flush failed and writes are refused until restart",
            m.writer_refusing_writes.clone(),
        );
        m.registry.register("login_failures", "Failed login attempts", m.login_failures.clone());
        m
    }

    pub fn encode(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

/// Middleware: span + metrics per request.
pub async fn observe(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let route =
        req.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
    let method = req.method().to_string();
    let span = tracing::info_span!("request", %method, %route);
    let start = Instant::now();
    let resp = next.run(req).instrument(span.clone()).await;
    let elapsed = start.elapsed();
    let status = resp.status().as_u16();
    span.in_scope(|| tracing::debug!(status, micros = elapsed.as_micros() as u64, "handled"));
    metrics.requests.get_or_create(&RequestLabels { method, route: route.clone(), status }).inc();
    metrics.latency.get_or_create(&RouteLabels { route }).observe(elapsed.as_secs_f64());
    resp
}
