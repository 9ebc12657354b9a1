//! JSON handlers: release intake, the ledger, trends and the bias audit. Thin: parse the request,
//! run the domain function on a blocking thread, map errors.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use lantern_policies::budget::epsilon_at_delta;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
use super::AppState;
use crate::bias_audit::{self, AuditTable, BiasAudit};
use crate::estimates::{self, PeriodTrend};
use crate::intake::{self, Acknowledgement};
use crate::store;

/// `POST /api/v1/releases`: body = the sealed envelope bytes.
pub async fn post_release(
    State(state): State<AppState>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<(StatusCode, Json<Acknowledgement>), ApiError> {
    let body = body.map_err(|e| {
        let (status, code) = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
        } else {
            (StatusCode::BAD_REQUEST, "bad_request")
        };
        state.metrics.reject(code);
        ApiError::new(status, code, e.body_text())
    })?;
    let s = state.clone();
    let result = tokio::task::spawn_blocking(move || {
        let release = intake::open(&body, &s.identity, &s.nodes)?;
        let received_at = s.clock_now();
        let mut conn = s.store.lock();
        intake::record(&mut conn, &s.policy, &release, &received_at)
    })
    .await
    .map_err(|e| ApiError::internal("checking a release", e))?;
    match result {
        Ok(ack) if ack.new => {
            state.metrics.releases_accepted.inc();
            tracing::info!(node = %ack.node_id, sequence = ack.sequence, period = %ack.period, "release accepted");
            Ok((StatusCode::CREATED, Json(ack)))
        }
        Ok(ack) => {
            state.metrics.releases_duplicate.inc();
            Ok((StatusCode::OK, Json(ack)))
        }
        Err(e) => {
            state.metrics.reject(e.code());
            tracing::warn!(reason = e.code(), "release refused: {e}");
            Err(e.into())
        }
    }
}

#[derive(Debug, Serialize)]
pub struct LedgerRow {
    pub node: String,
    pub period: String,
    pub budget_year: i32,
    pub releases: u64,
    pub rho: f64,
    pub epsilon: f64,
}

#[derive(Debug, Serialize)]
pub struct Ledger {
    pub delta: f64,
    pub period_budget_rho: f64,
    pub year_budget_rho: f64,
    pub periods: Vec<LedgerRow>,
    /// Per node and budget year: ρ summed over its periods, and the ε at δ of that total.
    pub years: Vec<LedgerRow>,
}

/// The ledger, computed from the store.
pub fn ledger(state: &AppState) -> Result<Ledger, ApiError> {
    let rows = store::ledger(&state.store.lock())?;
    let delta = state.policy.delta();
    let eps = |rho: f64| epsilon_at_delta(rho, delta).map_err(|e| ApiError::internal("converting ρ to ε", e));
    let mut periods = Vec::new();
    let mut years: BTreeMap<(String, i32), (u64, f64)> = BTreeMap::new();
    for store::PeriodSpend { node_id: node, period, budget_year, releases, rho } in rows {
        let y = years.entry((node.clone(), budget_year)).or_default();
        y.0 += releases;
        y.1 += rho;
        periods.push(LedgerRow { node, period, budget_year, releases, rho, epsilon: eps(rho)? });
    }
    let years = years
        .into_iter()
        .map(|((node, budget_year), (releases, rho))| {
            Ok(LedgerRow { node, period: budget_year.to_string(), budget_year, releases, rho, epsilon: eps(rho)? })
        })
        .collect::<Result<_, ApiError>>()?;
    let b = state.policy.budget();
    Ok(Ledger { delta, period_budget_rho: b.period_rho, year_budget_rho: b.year_rho, periods, years })
}

/// `GET /api/v1/ledger`.
pub async fn get_ledger(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Ledger>, ApiError> {
    state.token.check(&headers)?;
    let s = state.clone();
    tokio::task::spawn_blocking(move || ledger(&s)).await.map_err(|e| ApiError::internal("the ledger", e))?.map(Json)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrendsQuery {
    /// Table id (default: the policy's first table).
    pub table: Option<String>,
    /// One period label (default: every period).
    pub period: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Trends {
    pub table: String,
    pub description: String,
    pub dimensions: Vec<String>,
    pub min_cell: u32,
    pub periods: Vec<PeriodTrend>,
}

/// Estimates for one table.
pub fn trends(state: &AppState, table: Option<&str>, period: Option<&str>) -> Result<Trends, ApiError> {
    let spec = match table {
        Some(t) => state.policy.table(t).ok_or_else(|| {
            let known: Vec<&str> = state.policy.tables().iter().map(|t| t.id.as_str()).collect();
            ApiError::not_found(format!("no table \"{t}\" in the district policy (tables: {})", known.join(", ")))
        })?,
        None => state.policy.tables().first().ok_or_else(|| ApiError::not_found("the policy has no tables"))?,
    };
    let conn = state.store.lock();
    let periods = store::periods(&conn)?;
    let parts = store::partitions(&conn, &spec.id, period)?;
    drop(conn);
    Ok(Trends {
        table: spec.id.clone(),
        description: spec.description.clone(),
        dimensions: spec.dimensions.clone(),
        min_cell: state.policy.min_cell(),
        periods: estimates::trends(&parts, &periods, state.policy.min_cell()),
    })
}

/// `GET /api/v1/trends?table=…&period=…`.
pub async fn get_trends(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<TrendsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Trends>, ApiError> {
    state.token.check(&headers)?;
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let s = state.clone();
    tokio::task::spawn_blocking(move || trends(&s, q.table.as_deref(), q.period.as_deref()))
        .await
        .map_err(|e| ApiError::internal("computing trends", e))?
        .map(Json)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// A period label, or `all` to pool every period (default: the latest period).
    pub period: Option<String>,
}

/// The bias audit for a period (`None`: the latest; `all`: pooled).
pub fn bias_audit(state: &AppState, period: Option<&str>) -> Result<BiasAudit, ApiError> {
    let table = AuditTable::of(&state.policy)
        .ok_or_else(|| ApiError::not_found("the district policy has no per-rule table with flagged and subgroup"))?;
    let conn = state.store.lock();
    let periods = store::periods(&conn)?;
    let period = match period {
        Some(p) => p.to_string(),
        None => periods.last().cloned().unwrap_or_else(|| "all".into()),
    };
    let parts = store::partitions(&conn, &table.id, (period != "all").then_some(period.as_str()))?;
    drop(conn);
    let families: Vec<String> = state.policy.subgroups().iter().map(|d| d.name().to_string()).collect();
    Ok(bias_audit::audit(&table, &parts, &period, state.policy.min_cell(), &families))
}

/// `GET /api/v1/audits/bias?period=…`.
pub async fn get_bias_audit(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<BiasAudit>, ApiError> {
    state.token.check(&headers)?;
    let Query(q) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let s = state.clone();
    tokio::task::spawn_blocking(move || bias_audit(&s, q.period.as_deref()))
        .await
        .map_err(|e| ApiError::internal("the bias audit", e))?
        .map(Json)
}

/// `GET /healthz`.
pub async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let s = state.clone();
    let releases = tokio::task::spawn_blocking(move || store::release_count(&s.store.lock()))
        .await
        .map_err(|e| ApiError::internal("health check", e))??;
    Ok(Json(serde_json::json!({"status": "ok", "releases": releases, "nodes": state.nodes.len()})))
}

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> ([(axum::http::HeaderName, &'static str); 1], String) {
    (
        [(axum::http::header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
        state.metrics.encode(),
    )
}
