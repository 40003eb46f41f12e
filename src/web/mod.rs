//! The HTTP side: router, extractors, views. Handlers are thin; mail work happens in `mail`.

pub mod assets;
pub mod auth;
pub mod error;
pub mod format;
pub mod middleware;
pub mod routes;
pub mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::config::Config;
use crate::mail::imap::Registry;
use crate::secrets::ServerKey;
use crate::store::Db;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub registry: Arc<Registry>,
    pub server_key: Arc<ServerKey>,
    pub db: Db,
}

/// Every route. Layers are added by [`crate::startup`].
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(routes::home))
        .route("/login", get(routes::login_form).post(routes::login))
        .route("/logout", post(routes::logout))
        .route("/f/{mailbox}", get(routes::mailbox))
        .route("/m/{mailbox}/{uidvalidity}/{uid}", get(routes::message))
        .route("/m/{mailbox}/{uidvalidity}/{uid}/body", get(routes::message_body))
        .route("/m/{mailbox}/{uidvalidity}/{uid}/part/{index}", get(routes::part))
        .route("/m/{mailbox}/{uidvalidity}/{uid}/source", get(routes::source))
        .route("/m/{mailbox}/{uidvalidity}/{uid}/unread", post(routes::mark_unread))
        .route("/healthz", get(routes::healthz))
        .route("/static/{name}", get(assets::serve))
        .fallback(routes::fallback)
}
