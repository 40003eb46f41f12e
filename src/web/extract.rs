//! What handlers take from a request besides its body: the signed-in user's context, the
//! language, the time zone, the client's address.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::Response;
use futures_util::future::BoxFuture;

use super::AppState;
use super::auth::{CurrentUser, cookie_value};
use super::error::AppError;
use super::format::UserZone;
use super::notice::Notice;
use super::views::Chrome;
use crate::i18n::I18n;
use crate::mail::MailError;
use crate::mail::imap::{Folder, ImapConn};
use crate::store::Db;

/// A signed-in user's request: the application and the user, with the doors every page uses
/// (the user's IMAP connection, the database, the page frame).
pub struct Ctx {
    pub state: AppState,
    pub user: CurrentUser,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        Ok(Self { state: state.clone(), user })
    }
}

impl Ctx {
    /// The key of the user's IMAP connection and of their rows in the database.
    pub fn key(&self) -> String {
        self.user.key()
    }

    pub fn i18n(&self) -> &I18n {
        &self.user.i18n
    }

    pub fn db(&self) -> &Db {
        &self.state.db
    }

    /// Runs `op` on the user's IMAP connection (see [`crate::mail::imap::Registry::run`]).
    pub async fn imap<T, F>(&self, op: F) -> Result<T, MailError>
    where
        F: for<'a> FnMut(&'a mut ImapConn) -> BoxFuture<'a, Result<T, MailError>>,
    {
        self.state.registry.run(&self.user.key(), &self.user.creds, op).await
    }

    /// The folder list with unread counts.
    pub async fn folders(&self) -> Result<Arc<Vec<Folder>>, MailError> {
        self.imap(|c| Box::pin(async move { c.folders().await })).await
    }

    /// The page frame (sidebar, header, notice) around a page of folder `current` ("" for
    /// pages that show no folder), from folders already fetched.
    pub fn frame(&self, folders: &[Folder], current: &str, notice: Option<Notice>) -> Chrome {
        let mut chrome = Chrome::new(self.user.i18n.clone(), &self.user.auth, folders, current, notice);
        chrome.vacation = self.vacation_banner();
        chrome.snooze = self.state.config.outbox_enabled;
        chrome
    }

    /// "Your vacation reply is on", while it is; what is known is read again in the
    /// background once it is a few minutes old.
    fn vacation_banner(&self) -> Option<String> {
        let key = self.key();
        let (on, stale) = self.state.vacations.get(&key);
        if stale {
            // Marked fresh at once, so that one page asks, not every page until it answers.
            self.state.vacations.set_known(&key, on.clone());
            let (vacations, registry, creds) = (self.state.vacations.clone(), self.state.registry.clone(), self.user.creds.clone());
            tokio::spawn(async move { vacations.refresh(&key, &registry, &creds).await });
        }
        on.map(|v| match v.until {
            Some(day) => self.user.i18n.t1("vacation-banner-until", "day", crate::web::format::day(&day, &self.user.i18n)),
            None => self.user.i18n.t("vacation-banner"),
        })
    }

    /// The page frame of a page that fetched no folder list itself.
    pub async fn chrome(&self, current: &str, notice: Option<Notice>) -> Result<Chrome, AppError> {
        let folders = self.folders().await?;
        Ok(self.frame(&folders, current, notice))
    }

    /// Checks the CSRF token of a form.
    pub fn check_csrf(&self, token: &str) -> Result<(), AppError> {
        self.user.check_csrf(token)
    }
}

/// The request's language, from the browser (pages without a signed-in user).
pub struct Lang(pub I18n);

impl FromRequestParts<AppState> for Lang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        Ok(Lang(I18n::negotiate(header, &state.config.default_language)))
    }
}

impl FromRequestParts<AppState> for UserZone {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        let minutes = cookie_value(&parts.headers, "facteur_tz").and_then(|v| v.parse().ok()).unwrap_or(0);
        Ok(match cookie_value(&parts.headers, "facteur_zone") {
            Some(name) => UserZone::named(&name, minutes),
            None => UserZone::fixed(minutes),
        })
    }
}

/// The client's address: the peer, or behind a trusted reverse proxy the last X-Forwarded-For
/// entry (the one the proxy wrote).
pub struct ClientIp(pub std::net::IpAddr);

/// The request's origin for the mail servers (see [`origin_of`]).
pub struct ClientOrigin(pub crate::mail::Origin);

impl FromRequestParts<AppState> for ClientOrigin {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientOrigin(origin_of(parts, state)))
    }
}

/// The request's origin for the mail servers: the client's address as [`ClientIp`] reads it,
/// its port when Facteur sees the browser itself, and the request id.
pub fn origin_of(parts: &Parts, state: &AppState) -> crate::mail::Origin {
    let forwarded = forwarded_ip(parts, state);
    let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0);
    crate::mail::Origin {
        ip: forwarded.or(peer.map(|p| p.ip())).unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)),
        port: if forwarded.is_some() { None } else { peer.map(|p| p.port()) },
        session: parts.extensions.get::<crate::web::middleware::RequestId>().map(|r| r.0.clone()).unwrap_or_default(),
    }
}

/// The last address of X-Forwarded-For, when Facteur is told to trust it.
fn forwarded_ip(parts: &Parts, state: &AppState) -> Option<std::net::IpAddr> {
    if !state.config.trust_forwarded_for {
        return None;
    }
    parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse::<std::net::IpAddr>().ok())
        .next_back()
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(origin_of(parts, state).ip))
    }
}
