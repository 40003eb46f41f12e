//! Handlers: extract → call `mail::` → build a view → respond.

pub mod actions;
pub mod compose;
pub mod contacts;
pub mod devices;
pub mod events;
pub mod login;
pub mod mailbox;
pub mod message;
pub mod settings;

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::Redirect;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::{CurrentUser, cookie_value};
use super::error::AppError;
use super::format::TzOffset;
use super::views;
use crate::i18n::I18n;
use crate::mail::imap::Folder;

pub const PER_PAGE: u32 = 50;

/// The request's language, from the browser (pages without a logged-in user).
pub struct Lang(pub I18n);

impl FromRequestParts<AppState> for Lang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        Ok(Lang(I18n::negotiate(header, &state.config.default_language)))
    }
}

impl FromRequestParts<AppState> for TzOffset {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(TzOffset(cookie_value(&parts.headers, "facteur_tz").and_then(|v| v.parse().ok()).unwrap_or(0)))
    }
}

/// The client's address: the peer, or behind a trusted reverse proxy the last X-Forwarded-For
/// entry (the one the proxy wrote).
pub struct ClientIp(pub std::net::IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if state.config.trust_forwarded_for
            && let Some(ip) = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|s| s.trim().parse::<std::net::IpAddr>().ok())
                .next_back()
        {
            return Ok(ClientIp(ip));
        }
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        Ok(ClientIp(peer))
    }
}

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn fallback() -> AppError {
    AppError::not_found()
}

pub async fn home(_user: CurrentUser) -> Redirect {
    Redirect::to("/f/INBOX")
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// A one-time notice shown on the page an action leads to ("Moved to Archive — Undo"). Only
/// the page whose URL carries its id (`?n=…`) shows it, so a live refresh of another tab or of
/// the same tab cannot take it first.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Flash {
    pub id: String,
    pub text: String,
    pub undo: bool,
}

pub const FLASH_KEY: &str = "flash";

impl Flash {
    pub fn new(text: String, undo: bool) -> Result<Self, AppError> {
        Ok(Self { id: crate::secrets::random_token::<6>()?, text, undo })
    }

    /// `url` with this notice's id added.
    pub fn url(&self, url: &str) -> String {
        let sep = if url.contains('?') { '&' } else { '?' };
        format!("{url}{sep}n={}", self.id)
    }
}

/// Takes the pending notice if the page's URL names it.
pub async fn take_flash(user: &CurrentUser, q: &HashMap<String, String>) -> Option<Flash> {
    let id = q.get("n")?;
    let flash = user.session.get::<Flash>(FLASH_KEY).await.ok().flatten()?;
    if &flash.id != id {
        return None;
    }
    let _ = user.session.remove::<Flash>(FLASH_KEY).await;
    Some(flash)
}

pub fn page_param(q: &HashMap<String, String>) -> u32 {
    q.get("page").and_then(|p| p.parse::<u32>().ok()).filter(|p| *p >= 1).unwrap_or(1)
}

/// The translated title of folder `name` and its unread count.
pub fn folder_display(folders: &[Folder], name: &str, i18n: &I18n) -> (String, u32) {
    folders
        .iter()
        .find(|f| f.name == name)
        .map(|f| (views::folder_title(f, i18n), f.unread))
        .unwrap_or_else(|| (name.to_string(), 0))
}

/// "Inbox (3)" or "Inbox".
pub fn tab_title(folders: &[Folder], name: &str, i18n: &I18n) -> String {
    let (heading, unread) = folder_display(folders, name, i18n);
    if unread > 0 {
        i18n.ta(
            "title-with-unread",
            &[
                ("folder", crate::i18n::FluentArg::Str(heading)),
                ("count", crate::i18n::FluentArg::Num(i64::from(unread))),
            ],
        )
    } else {
        heading
    }
}

/// Folder, UIDVALIDITY and UID from a message path; anything malformed is simply not found.
pub fn message_path(p: (String, String, String)) -> Result<(String, u32, u32), AppError> {
    let (mailbox, uv, uid) = p;
    match (uv.parse::<u32>(), uid.parse::<u32>()) {
        (Ok(uv), Ok(uid)) if uid > 0 => Ok((mailbox, uv, uid)),
        _ => Err(AppError::not_found()),
    }
}
