//! The HTTP side: router, extractors, forms, views. Handlers are thin; mail work happens in
//! `mail`, Facteur's own records in `store`.

pub mod assets;
pub mod auth;
pub mod brand;
pub mod error;
pub mod extract;
pub mod format;
pub mod forms;
pub mod image_proxy;
pub mod middleware;
pub mod notice;
pub mod previews;
pub mod ops;
pub mod routes;
pub mod rules;
pub mod throttle;
pub mod transfer;
pub mod views;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::config::Config;
use crate::mail::imap::{Registry, Watchers};
use crate::secrets::ServerKey;
use crate::store::Db;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub registry: Arc<Registry>,
    /// Whether each user's vacation reply is on (every page's banner).
    pub vacations: Arc<rules::Vacations>,
    pub watchers: Arc<Watchers>,
    pub server_key: Arc<ServerKey>,
    pub db: Db,
    pub smtp: Arc<crate::mail::smtp::Smtp>,
    pub uploads: crate::store::uploads::Uploads,
    pub login_throttle: Arc<throttle::LoginThrottle>,
    pub image_signer: Arc<image_proxy::Signer>,
    pub domains: Arc<crate::domains::Domains>,
    pub brands: Arc<brand::Brands>,
    pub metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    pub upstreams: Arc<ops::Upstreams>,
    /// New-mail notifications (Web Push), where the hoster set up the mail server's side.
    pub pusher: Option<Arc<crate::push::Pusher>>,
    /// Turns true when the server begins to stop: event streams end so that in-flight
    /// requests can finish.
    pub stopping: tokio::sync::watch::Receiver<bool>,
}

/// Every route. Layers are added by [`crate::startup`].
/// `max_upload` bounds a compose form's body (attachments beyond the message size limit are
/// read and dropped, so the form's text still arrives).
/// `metrics`: serve `/metrics` here (not on a separate listener).
pub fn routes(max_upload: usize, metrics: bool) -> Router<AppState> {
    let router = if metrics { Router::new().route("/metrics", get(ops::metrics)) } else { Router::new() };
    router
        .route("/", get(routes::home))
        .route("/login", get(routes::login::login_form).post(routes::login::login))
        .route("/logout", post(routes::login::logout))
        .route("/login/verify", get(routes::security::verify_page).post(routes::security::verify))
        .route("/login/verify/passkey/start", post(routes::passkeys::sign_in_start))
        .route("/login/verify/passkey/finish", post(routes::passkeys::sign_in_finish).layer(axum::extract::DefaultBodyLimit::max(64 * 1024)))
        .route("/settings/security/passkeys/start", post(routes::passkeys::register_start))
        .route("/settings/security/passkeys/confirm", post(routes::passkeys::confirm_start))
        .route("/settings/security/passkeys/finish", post(routes::passkeys::register_finish).layer(axum::extract::DefaultBodyLimit::max(64 * 1024)))
        .route("/settings/security", get(routes::security::security_page).post(routes::security::security_action))
        .route("/logout/everywhere", post(routes::login::logout_everywhere))
        .route("/f/{mailbox}", get(routes::mailbox::mailbox))
        .route("/f/{mailbox}/actions", post(routes::actions::actions))
        .route("/folders", post(routes::folders::create))
        .route("/f/{mailbox}/rename", post(routes::folders::rename))
        .route("/f/{mailbox}/delete", post(routes::folders::delete))
        .route("/f/{mailbox}/subscribe", post(routes::folders::subscribe))
        .route("/settings/folders", get(routes::folders::folders_page))
        .route("/f/{mailbox}/export.mbox", get(routes::archive::export_mbox))
        .route("/f/{mailbox}/export.zip", get(routes::archive::export_zip))
        .route("/export.zip", get(routes::archive::export_all))
        .route("/search/export.mbox", get(routes::archive::export_search_mbox))
        .route("/search/export.zip", get(routes::archive::export_search_zip))
        .route("/settings/filters", get(routes::filters::filters_page).post(routes::filters::save_filter))
        .route("/settings/filters/{n}/delete", post(routes::filters::delete_filter))
        .route("/settings/filters/{n}/move", post(routes::filters::move_filter))
        .route("/settings/filters/{n}/enable", post(routes::filters::enable_filter))
        .route("/settings/filters/{n}/apply", get(routes::filters::apply_page).post(routes::filters::apply))
        .route("/settings/filters/spam", post(routes::filters::spam_rule))
        .route("/settings/filters/block", get(routes::filters::block_page).post(routes::filters::block_sender))
        .route("/settings/filters/include", post(routes::filters::include_other))
        .route("/settings/filters/reset", post(routes::filters::reset_rules))
        .route("/settings/forward", post(routes::filters::save_forward))
        .route("/settings/vacation", get(routes::filters::vacation_page).post(routes::filters::save_vacation))
        .route("/settings/sieve", get(routes::filters::script_page).post(routes::filters::save_script))
        .route("/settings/space", get(routes::space::space_page))
        .route("/settings/space/older", post(routes::space::older))
        .route("/f/{mailbox}/empty", post(routes::space::empty))
        .route("/archive", post(routes::space::create))
        .route("/archive/{id}", get(routes::space::archive_page))
        .route("/archive/{id}/download", get(routes::space::download))
        .route("/archive/{id}/delete", post(routes::space::delete))
        .route("/f/{mailbox}/import", post(routes::archive::import).layer(axum::extract::DefaultBodyLimit::disable()))
        .route("/import/{id}", get(routes::archive::import_page))
        .route("/undo", post(routes::actions::undo))
        .route("/search", get(routes::search::search))
        .route("/search/actions", post(routes::search::actions))
        .route("/search/suggest", get(routes::search::suggest))
        .route("/events", get(routes::events::events))
        .route(
            "/compose",
            get(routes::compose::compose_page).post(routes::compose::compose_post).layer(axum::extract::DefaultBodyLimit::max(max_upload)),
        )
        .route("/outbox/{id}", get(routes::compose::outbox_status))
        .route("/outbox/{id}/undo", post(routes::compose::undo_send))
        .route("/scheduled", get(routes::scheduled::scheduled_page))
        .route("/scheduled/{id}", post(routes::scheduled::scheduled_action))
        .route("/snoozed", get(routes::snoozed::snoozed_page))
        .route("/snoozed/{id}", post(routes::snoozed::snoozed_action))
        .route("/contacts", get(routes::contacts::contacts_page).post(routes::contacts::save_contact))
        .route("/contacts/suggest", get(routes::compose::suggest))
        .route("/settings/identities", post(routes::settings::save_identity))
        .route("/settings/devices", get(routes::devices::devices_page))
        .route("/settings/devices/profile.mobileconfig", get(routes::devices::mobileconfig))
        .route("/.well-known/autoconfig/mail/config-v1.1.xml", get(routes::devices::autoconfig))
        .route("/mail/config-v1.1.xml", get(routes::devices::autoconfig))
        .route(
            "/autodiscover/autodiscover.xml",
            post(routes::devices::autodiscover).layer(axum::extract::DefaultBodyLimit::max(64 * 1024)),
        )
        .route(
            "/Autodiscover/Autodiscover.xml",
            post(routes::devices::autodiscover).layer(axum::extract::DefaultBodyLimit::max(64 * 1024)),
        )
        .route("/settings", get(routes::settings::settings_page).post(routes::settings::save_settings))
        .route("/m/{mailbox}/{uidvalidity}/{uid}", get(routes::message::message))
        .route("/m/{mailbox}/{uidvalidity}/{uid}/body", get(routes::message::message_body))
        .route("/m/{mailbox}/{uidvalidity}/{uid}/part/{index}", get(routes::message::part))
        .route("/m/{mailbox}/{uidvalidity}/{uid}/part/{index}/thumb", get(routes::message::part_thumb))
        .route("/m/{mailbox}/{uidvalidity}/{uid}/part/{index}/view", get(routes::message::part_view))
        .route("/m/{mailbox}/{uidvalidity}/{uid}/part/{index}/page/{n}", get(routes::message::part_page))
        .route("/m/{mailbox}/{uidvalidity}/{uid}/attachments.zip", get(routes::message::attachments_zip))
        .route("/m/{mailbox}/{uidvalidity}/{uid}/source", get(routes::message::source))
        .route("/img", get(image_proxy::image))
        .route("/images/senders", post(routes::message::trust_sender))
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/static/{name}", get(assets::serve))
        .route("/favicon.ico", get(assets::favicon))
        .route("/manifest.webmanifest", get(routes::push::manifest))
        .route("/sw.js", get(routes::push::service_worker))
        .route("/offline", get(routes::push::offline))
        .route("/push/dovecot", axum::routing::put(routes::push::from_dovecot).layer(axum::extract::DefaultBodyLimit::max(64 * 1024)))
        .route("/settings/notifications", post(routes::push::device))
        .route("/favicon.svg", get(assets::favicon))
        .route("/brand/{name}", get(brand::logo))
        .route_layer(axum::middleware::from_fn(middleware::route_label))
        .fallback(routes::fallback)
}
