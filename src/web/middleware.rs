//! Request-wide concerns: request ids and access logs, error pages, security headers, and the
//! same-origin check that every state-changing request passes.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::AppState;
use super::error::{AppError, ErrorKind, ErrorMarker, ServerSaid};
use super::views;
use crate::i18n::I18n;

/// The id of the current request, shown on error pages and in every log line.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = crate::secrets::random_bytes::<6>()
        .map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>())
        .unwrap_or_else(|_| "-".to_string());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let span = tracing::info_span!("request", id = %id);
    let started = std::time::Instant::now();
    let mut res = next.run(req).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let route = res.extensions().get::<RouteLabel>().map(|r| r.0.clone()).unwrap_or_else(|| "unmatched".to_string());
    span.in_scope(|| {
        tracing::info!(
            %method,
            path = %redact_path(&path),
            %route,
            status = res.status().as_u16(),
            ms = elapsed.as_secs_f64() * 1000.0,
            "http"
        )
    });
    crate::metrics::http_request(&route, method.as_str(), res.status().as_u16(), elapsed);
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// The route template that answered (`/m/{mailbox}/{uidvalidity}/{uid}`), for logs and metrics:
/// bounded label values, and no folder names.
#[derive(Clone, Debug)]
pub struct RouteLabel(pub String);

/// Runs on matched routes only (`route_layer`) and hands the route template outward.
pub async fn route_label(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<axum::extract::MatchedPath>().map(|m| m.as_str().to_string());
    let mut res = next.run(req).await;
    if let Some(r) = route {
        res.extensions_mut().insert(RouteLabel(r));
    }
    res
}

/// Logs mailbox paths without the folder and message identifiers.
fn redact_path(path: &str) -> String {
    let mut parts = path.splitn(3, '/');
    let _ = parts.next();
    match parts.next() {
        Some(first @ ("f" | "m")) => format!("/{first}/…"),
        Some(first) => match parts.next() {
            Some(_) => format!("/{first}/…"),
            None => format!("/{first}"),
        },
        None => "/".to_string(),
    }
}

/// Renders the friendly page for responses that carry an [`ErrorMarker`].
pub async fn error_pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let i18n = I18n::negotiate(
        req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
        &state.config.default_language,
    );
    let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone()).unwrap_or_default();
    let json = wants_json(req.headers());
    let res = next.run(req).await;
    let Some(ErrorMarker(kind)) = res.extensions().get::<ErrorMarker>().copied() else { return res };
    let status = res.status();
    let server_said = res.extensions().get::<ServerSaid>().map(|s| s.0.clone());
    let page = views::errors::ErrorPage::new(i18n, kind, request_id, server_said);
    let mut out = if json {
        // Scripts (autosave, actions sent with fetch) get the same words as JSON.
        let body = serde_json::json!({ "error": page.key, "title": page.title, "message": page.text, "request_id": page.request_id });
        ([(header::CACHE_CONTROL, "no-store")], axum::Json(body)).into_response()
    } else {
        page.into_response()
    };
    *out.status_mut() = status;
    out
}

/// Whether the client asked for JSON rather than a page (`Accept: application/json` first).
pub fn wants_json(h: &HeaderMap) -> bool {
    h.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.trim_start().starts_with("application/json"))
}

/// When the mail server stops accepting a user's stored credentials, ends the web session and
/// sends the user to the login page (runs inside the session layer).
pub async fn reauth(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let session = req.extensions().get::<tower_sessions::Session>().cloned();
    let res = next.run(req).await;
    if let (Some(ErrorMarker(ErrorKind::Reauth)), Some(session)) = (res.extensions().get::<ErrorMarker>(), session) {
        let cookie = super::auth::end(&state, &session).await;
        return ([cookie], axum::response::Redirect::to("/login?reason=ended")).into_response();
    }
    res
}

/// Refuses cross-site state-changing requests (Fetch metadata, then Origin against Host).
pub async fn same_origin(req: Request, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) && !is_same_origin(req.headers()) {
        return AppError::forbidden("cross-site request").into_response();
    }
    next.run(req).await
}

pub fn is_same_origin(h: &HeaderMap) -> bool {
    if let Some(site) = h.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match (h.get(header::ORIGIN).and_then(|v| v.to_str().ok()), h.get(header::HOST).and_then(|v| v.to_str().ok())) {
        // Browsers send no Fetch metadata to plain-HTTP hosts other than localhost, and with our
        // `Referrer-Policy: no-referrer` they send `Origin: null` even for our own forms: it
        // says nothing, so the CSRF token decides (as it does for every form anyway).
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest.trim_end_matches('/').eq_ignore_ascii_case(host)),
        // No Origin (old clients, some same-origin navigations): the CSRF token decides.
        (None, _) => true,
        (Some(_), None) => false,
    }
}

fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; frame-src 'self'; worker-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; \
         frame-ancestors 'none'"
    )
}

/// Security headers on every response; a route that set its own CSP keeps it. Each response
/// gets a fresh script nonce, which the views read while the handler runs.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response<Body> {
    let nonce = crate::secrets::random_token::<16>().unwrap_or_default();
    let mut res = views::NONCE.scope(nonce.clone(), next.run(req)).await;
    let h = res.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(v) = HeaderValue::from_str(&page_csp(&nonce)) {
            h.insert(header::CONTENT_SECURITY_POLICY, v);
        }
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"),
    );
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if state.config.cookie_secure {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// gzip or brotli, as the browser offers, for pages, scripts and styles: an inbox page of
/// 48 KB of HTML travels as about 6. The event stream is never compressed (a compressor
/// holds back small writes, and live updates would wait), nor are images and downloads,
/// which are compressed already or need not be.
pub fn compression() -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{NotForContentType, Predicate, SizeAbove};
    let predicate = SizeAbove::new(256)
        .and(NotForContentType::SSE)
        .and(NotForContentType::IMAGES)
        .and(NotForContentType::const_new("application/octet-stream"))
        .and(NotForContentType::const_new("application/pdf"))
        .and(NotForContentType::const_new("application/zip"))
        .and(NotForContentType::const_new("application/mbox"))
        .and(NotForContentType::GRPC);
    tower_http::compression::CompressionLayer::new().compress_when(predicate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_checks() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("mail.example.org"));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://mail.example.org"));
        assert!(is_same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!is_same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!is_same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(is_same_origin(&h));
    }

    #[test]
    fn paths_in_logs_hide_mailboxes() {
        assert_eq!(redact_path("/m/Secret%20stuff/1/2"), "/m/…");
        assert_eq!(redact_path("/login"), "/login");
    }
}

