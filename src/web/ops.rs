//! Operations endpoints: readiness (`/readyz`) and Prometheus metrics (`/metrics`).
//! Liveness (`/healthz`) answers as long as the process serves requests.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::AppState;
use crate::config::{Config, Upstream};
use crate::mail::imap::TlsSetup;

/// How long a probe result is reused: readiness checks come every few seconds from every load
/// balancer, and each probe is a TCP (and TLS) handshake with the mail server.
const PROBE_CACHE: Duration = Duration::from_secs(10);
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// Probes per readiness check at most (configured domains beyond this are not probed).
const MAX_PROBES: usize = 16;

/// (`host:port`, the probe's outcome) per server.
type Probes = Vec<(String, Result<(), String>)>;

/// The IMAP servers readiness reports on: the default one (unless it depends on the domain)
/// and those of configured domains.
pub struct Upstreams {
    targets: Vec<Upstream>,
    tls: TlsSetup,
    last: Mutex<Option<(Instant, Probes)>>,
}

impl Upstreams {
    pub fn new(config: &Config, tls: TlsSetup) -> Self {
        let mut targets: Vec<Upstream> = Vec::new();
        let candidates = std::iter::once(&config.imap).chain(config.domains.iter().map(|d| &d.servers.imap));
        for u in candidates {
            if !u.host.contains("{domain}") && !targets.contains(u) && targets.len() < MAX_PROBES {
                targets.push(u.clone());
            }
        }
        Self { targets, tls, last: Mutex::new(None) }
    }

    async fn check(&self) -> Probes {
        if let Some((at, r)) = &*self.last.lock().unwrap_or_else(|p| p.into_inner())
            && at.elapsed() < PROBE_CACHE
        {
            return r.clone();
        }
        let probes = self.targets.iter().map(|u| async move {
            let r = crate::mail::imap::probe(u, &self.tls, PROBE_TIMEOUT).await.map_err(|e| e.to_string());
            (format!("{}:{}", u.host, u.port), r)
        });
        let results = futures_util::future::join_all(probes).await;
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), results.clone()));
        results
    }
}

/// 200 when the database answers, 503 when not. The IMAP servers' state is reported but does
/// not decide: every instance shares them, so taking instances out of rotation would not help,
/// and the login page explains an unreachable server better than a load balancer's error.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let db = crate::store::ping(&state.db).await;
    let imap = state.upstreams.check().await;
    let imap_json: serde_json::Map<String, serde_json::Value> = imap
        .iter()
        .map(|(name, r)| {
            let v = match r {
                Ok(()) => json!("ok"),
                Err(e) => json!(e),
            };
            (name.clone(), v)
        })
        .collect();
    let body = json!({
        "status": if db { "ready" } else { "not ready" },
        "database": if db { "ok" } else { "unreachable" },
        "imap": imap_json,
    });
    let status = if db { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (status, [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], axum::Json(body)).into_response()
}

pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.config.metrics_token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        if !crate::secrets::same(given.trim().as_bytes(), token.expose().as_bytes()) {
            return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer")], "metrics need a token\n").into_response();
        }
    }
    let Some(handle) = &state.metrics else {
        return (StatusCode::SERVICE_UNAVAILABLE, "metrics are not available in this process\n").into_response();
    };
    let text = crate::metrics::render(handle, state.registry.open_connections(), state.watchers.active());
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        text,
    )
        .into_response()
}

/// The router of a separate metrics listener (`FACTEUR_METRICS_LISTEN`).
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(super::routes::healthz))
        .with_state(state)
}
