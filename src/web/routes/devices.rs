//! "Set up your devices": the page with the user's IMAP and SMTP settings, and the documents
//! mail apps fetch to configure themselves (Thunderbird autoconfig, Outlook autodiscover, an
//! Apple configuration profile), all from the same per-domain configuration.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::devices::{self, ClientSettings};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::error::AppError;
use crate::web::extract::Ctx;
use crate::web::views::devices::DevicesPage;

/// The settings apps use for `email`, or `None` when its domain is not served here.
pub async fn settings_for(state: &AppState, email: &str) -> Option<ClientSettings> {
    let email = email.trim();
    let (local, _) = email.rsplit_once('@')?;
    if local.is_empty() || email.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    let resolved = state.domains.resolve(email).await.ok()?;
    let domain = resolved.domain?;
    Some(ClientSettings {
        email: email.to_string(),
        provider_name: state.domains.brand_name(&domain),
        domain,
        imap: resolved.public.imap,
        smtp: resolved.public.smtp,
    })
}

fn xml(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

fn not_served() -> Response {
    (StatusCode::NOT_FOUND, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "no mail settings for this address\n").into_response()
}

/// The logged-in user's page.
pub async fn devices_page(cx: Ctx) -> Result<Response, AppError> {
    let chrome = cx.chrome("", None).await?;
    let (state, user) = (&cx.state, &cx.user);
    let settings = match settings_for(state, &user.auth.username).await {
        Some(s) => s,
        // A bare user name on a single-server setup: the servers Facteur uses itself.
        None => ClientSettings {
            email: user.auth.username.clone(),
            domain: String::new(),
            provider_name: state.config.brand_name.clone(),
            imap: state.config.public.imap.clone(),
            smtp: state.config.public.smtp.clone(),
        },
    };
    Ok(DevicesPage::new(chrome, settings, "/settings/devices/profile.mobileconfig".to_string()).into_response())
}

/// The Apple profile of the logged-in user (no password inside: the device asks for it).
pub async fn mobileconfig(State(state): State<AppState>, user: CurrentUser) -> Response {
    let Some(settings) = settings_for(&state, &user.auth.username).await else { return not_served() };
    let body = devices::apple_mobileconfig(&settings, &state.server_key.derive(b"apple profile identity"));
    let filename = format!("attachment; filename=\"{}.mobileconfig\"", settings.domain);
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/x-apple-aspen-config")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_str(&filename).unwrap_or(HeaderValue::from_static("attachment"))),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

/// Thunderbird's autoconfig, at `/.well-known/autoconfig/mail/config-v1.1.xml` and
/// `/mail/config-v1.1.xml` (the name `autoconfig.<domain>` points at Facteur). Apps send
/// `?emailaddress=`; without it the web host's domain answers. The document names no user (apps
/// fill in the address themselves), so only the domain matters.
pub async fn autoconfig(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<HashMap<String, String>>) -> Response {
    let email = match q.get("emailaddress").filter(|e| !e.trim().is_empty()) {
        Some(e) => e.clone(),
        None => {
            let host_domain =
                state.brands.request_host(&headers).and_then(|h| h.strip_prefix("autoconfig.").map(str::to_string));
            match state.brands.for_request(&headers).domain.clone().or(host_domain) {
                Some(d) => format!("user@{d}"),
                None => return not_served(),
            }
        }
    };
    match settings_for(&state, &email).await {
        Some(settings) => xml(devices::thunderbird_autoconfig(&settings)),
        None => not_served(),
    }
}

/// Outlook's autodiscover (POX): the address comes in the request document.
pub async fn autodiscover(State(state): State<AppState>, body: Bytes) -> Response {
    let Some(email) = devices::outlook_request_email(&body) else {
        return (StatusCode::BAD_REQUEST, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], "expected an autodiscover request with an EMailAddress\n")
            .into_response();
    };
    match settings_for(&state, &email).await {
        Some(settings) => xml(devices::outlook_autodiscover(&settings)),
        None => not_served(),
    }
}
