//! Prometheus metrics: HTTP requests by route and status, IMAP sessions and IDLE watchers,
//! IMAP command latency by upstream server, login failures, messages sent.
//!
//! The `metrics` crate's recorder is process-wide; it is installed once, and every
//! [`crate::startup::Application`] in the process renders from it. Gauges are read from the
//! application's own state at each scrape.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

tokio::task_local! {
    /// The IMAP server (`host:port`) the current task talks to, for command latency labels.
    pub static UPSTREAM: Arc<str>;
}

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Latency buckets, in seconds: loopback commands take about a millisecond, remote ones tens.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// Installs the recorder (once per process) and returns the handle that renders it.
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new().set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS).ok()?;
            match builder.install_recorder() {
                Ok(handle) => {
                    describe();
                    let upkeep = handle.clone();
                    std::thread::Builder::new()
                        .name("metrics-upkeep".into())
                        .spawn(move || {
                            loop {
                                std::thread::sleep(Duration::from_secs(5));
                                upkeep.run_upkeep();
                            }
                        })
                        .ok()?;
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "metrics are off: another recorder is installed");
                    None
                }
            }
        })
        .clone()
}

fn describe() {
    describe_counter!("facteur_http_requests_total", "HTTP requests by route, method and status");
    describe_histogram!("facteur_http_request_duration_seconds", metrics::Unit::Seconds, "HTTP request duration by route");
    describe_gauge!("facteur_imap_sessions", "Open IMAP request connections (one per active user)");
    describe_gauge!("facteur_idle_watchers", "Users with a live IDLE watcher (open tabs)");
    describe_histogram!("facteur_imap_command_duration_seconds", metrics::Unit::Seconds, "IMAP command latency by upstream server");
    describe_counter!("facteur_imap_command_errors_total", "IMAP commands that failed or timed out, by upstream server");
    describe_counter!("facteur_imap_connects_total", "IMAP connections opened, by upstream server");
    describe_counter!("facteur_login_failures_total", "Failed logins by reason");
    describe_counter!("facteur_logins_total", "Successful logins");
    describe_counter!("facteur_messages_sent_total", "Messages handed to the SMTP server, by result");
}

pub fn http_request(route: &str, method: &str, status: u16, elapsed: Duration) {
    counter!("facteur_http_requests_total", "route" => route.to_string(), "method" => method.to_string(), "status" => status.to_string())
        .increment(1);
    histogram!("facteur_http_request_duration_seconds", "route" => route.to_string()).record(elapsed.as_secs_f64());
}

fn upstream() -> String {
    UPSTREAM.try_with(|u| u.to_string()).unwrap_or_else(|_| "unknown".to_string())
}

pub fn imap_command(elapsed: Duration, ok: bool) {
    let upstream = upstream();
    if !ok {
        counter!("facteur_imap_command_errors_total", "upstream" => upstream.clone()).increment(1);
    }
    histogram!("facteur_imap_command_duration_seconds", "upstream" => upstream).record(elapsed.as_secs_f64());
}

pub fn imap_connect(upstream: &str) {
    counter!("facteur_imap_connects_total", "upstream" => upstream.to_string()).increment(1);
}

/// `reason`: credentials, throttled, domain, unreachable, timeout, server, form.
pub fn login_failure(reason: &'static str) {
    counter!("facteur_login_failures_total", "reason" => reason).increment(1);
}

pub fn login() {
    counter!("facteur_logins_total").increment(1);
}

/// `result`: sent, rejected, failed.
pub fn message_sent(result: &'static str) {
    counter!("facteur_messages_sent_total", "result" => result).increment(1);
}

/// Pushes the push services accepted.
pub fn pushes(count: usize) {
    counter!("facteur_pushes_sent_total").increment(count as u64);
}

/// The text exposition, with this application's gauges.
pub fn render(handle: &PrometheusHandle, imap_sessions: usize, watchers: usize) -> String {
    gauge!("facteur_imap_sessions").set(imap_sessions as f64);
    gauge!("facteur_idle_watchers").set(watchers as f64);
    handle.render()
}
