//! Facteur as an installable app (manifest, service worker, offline page) and new-mail
//! notifications: the device's subscription from Settings, and the mail server's news of each
//! delivery (see [`crate::push`]).

use axum::Form;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::push::decode_key;
use crate::store::push::{self as store, Subscription};
use crate::web::AppState;
use crate::web::error::AppError;
use crate::web::extract::Ctx;

/// GET /manifest.webmanifest
pub async fn manifest(State(state): State<AppState>) -> Response {
    let body = serde_json::json!({
        "name": state.config.brand_name,
        "short_name": state.config.brand_name,
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1c71d8",
        "icons": [{ "src": "/favicon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any" }],
    });
    ([(header::CONTENT_TYPE, HeaderValue::from_static("application/manifest+json")), (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"))], body.to_string())
        .into_response()
}

/// GET /sw.js: at the root, so that it serves every page of the site.
pub async fn service_worker() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8")),
            // Browsers look for a new version on each visit; this keeps them from using a stale one.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        include_str!("../../../static/js/sw.js"),
    )
        .into_response()
}

/// GET /offline: what the service worker shows when the network is away. Kept in the
/// browser's cache, so it is self-contained and in both languages.
pub async fn offline() -> Response {
    let page = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
        <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"color-scheme\" content=\"light dark\">\
        <title>Offline · Hors ligne</title></head><body style=\"font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5\">\
        <h1>You are offline</h1><p>Your mail is safe on the server. This page comes back as soon as the connection does.</p>\
        <p><a href=\"/\">Try again</a></p>\
        <div lang=\"fr\"><h1>Vous êtes hors ligne</h1><p>Votre courrier est en sécurité sur le serveur. Cette page revient dès que la connexion revient.</p>\
        <p><a href=\"/\">Réessayer</a></p></div></body></html>";
    // The page's own CSP: no script, its one inline style.
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")),
        ],
        page,
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct DeviceForm {
    #[serde(default)]
    csrf: String,
    /// `on` (with the subscription) or `off`.
    #[serde(default)]
    op: String,
    #[serde(default)]
    endpoint: String,
    #[serde(default)]
    p256dh: String,
    #[serde(default)]
    auth: String,
    /// `1`: sender and subject; otherwise "New mail" alone.
    #[serde(default)]
    preview: String,
}

/// POST /settings/notifications: this device's subscription (sent by the Settings page's
/// script), turned on or off. 204 when done; 400 with the reason otherwise.
pub async fn device(cx: Ctx, Form(f): Form<DeviceForm>) -> Result<Response, AppError> {
    cx.check_csrf(&f.csrf)?;
    let Some(pusher) = cx.state.pusher.clone() else { return Err(AppError::not_found()) };
    let key = cx.key();
    let now = crate::clock::unix_ms();
    match f.op.as_str() {
        "on" => {
            let keys = (decode_key(&f.p256dh), decode_key(&f.auth));
            let (Some(p256dh), Some(auth)) = keys else { return Ok((StatusCode::BAD_REQUEST, "bad keys").into_response()) };
            if !pusher.accepts_endpoint(&f.endpoint) || p256dh.len() != 65 || p256dh[0] != 4 || auth.len() != 16 {
                return Ok((StatusCode::BAD_REQUEST, "not a push subscription Facteur can send to").into_response());
            }
            store::add(cx.db(), &key, &Subscription { endpoint: f.endpoint.clone(), p256dh, auth, preview: f.preview == "1" }, now).await?;
            mark(&cx, Some(cx.user.creds.username.clone())).await;
        }
        "off" => {
            store::remove(cx.db(), &key, &f.endpoint).await?;
            if store::of_user(cx.db(), &key).await?.is_empty() {
                mark(&cx, None).await;
            }
        }
        _ => return Ok((StatusCode::BAD_REQUEST, "unknown op").into_response()),
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Tells the mail server to notify Facteur of this user's new mail (or to stop). Best effort:
/// a server without METADATA sends nothing, and the page still works.
async fn mark(cx: &Ctx, user: Option<String>) {
    let done = cx.imap(|c| {
        let user = user.clone();
        Box::pin(async move { c.set_push_notify(user.as_deref()).await })
    });
    match done.await {
        Ok(true) => {}
        Ok(false) => tracing::info!("the mail server has no METADATA: it cannot tell Facteur of new mail"),
        Err(e) => tracing::warn!(error = %e, "the mail server's push notifications not changed"),
    }
}

/// What Dovecot's `ox` push driver sends on each delivery to an Inbox.
#[derive(Deserialize)]
struct Delivery {
    user: String,
    #[serde(default)]
    folder: String,
    #[serde(rename = "imap-uidvalidity", default)]
    uidvalidity: u32,
    #[serde(rename = "imap-uid", default)]
    uid: u32,
    #[serde(default)]
    from: String,
    #[serde(default)]
    subject: String,
}

/// PUT /push/dovecot (POST too): the mail server's news of a delivery, authenticated with the
/// hoster's shared secret (HTTP Basic, any user name). Answers at once; the pushes go out
/// in the background.
pub async fn from_dovecot(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let (Some(secret), Some(pusher)) = (state.config.push_dovecot_secret.as_ref(), state.pusher.clone()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|pair| pair.split_once(':').map(|(_, p)| p.to_string()));
    let allowed = given.is_some_and(|p| crate::secrets::same(secret.expose().as_bytes(), p.as_bytes()));
    if !allowed {
        tracing::warn!("a push notification with a wrong or no secret was refused");
        return (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Basic realm=\"facteur push\"")]).into_response();
    }
    let Ok(d) = serde_json::from_slice::<Delivery>(&body) else {
        return (StatusCode::BAD_REQUEST, "not a push notification").into_response();
    };
    let received = std::time::Instant::now();
    tokio::spawn(async move {
        let key = crate::web::auth::user_key(&d.user);
        let folder = if d.folder.is_empty() { "INBOX".to_string() } else { d.folder.clone() };
        let url = if d.uid > 0 { crate::web::views::message_href(&folder, d.uidvalidity, d.uid) } else { crate::web::views::folder_href(&folder) };
        let sent = pusher.new_mail(&key, &d.from, &d.subject, url).await;
        tracing::info!(pushes = sent, ms = received.elapsed().as_millis() as u64, "new mail pushed");
    });
    StatusCode::NO_CONTENT.into_response()
}
