//! The error page.

use askama::Template;
use askama_web::WebTemplate;

use crate::i18n::I18n;
use crate::web::assets;
use crate::web::error::ErrorKind;

#[derive(Template, WebTemplate)]
#[template(path = "errors/error.html")]
pub struct ErrorPage {
    pub i18n: I18n,
    /// What kind of error, in one word (for scripts).
    pub key: &'static str,
    pub css: &'static str,
    pub title: String,
    pub text: String,
    pub request_id: String,
    pub request_id_label: String,
}

impl ErrorPage {
    /// `server_said`: the mail server's words for a refusal, shown after ours.
    pub fn new(i18n: I18n, kind: ErrorKind, request_id: String, server_said: Option<String>) -> Self {
        let (title, text) = match kind {
            ErrorKind::NotFound => ("error-not-found-title", "error-not-found-text"),
            ErrorKind::MessageGone => ("error-gone-title", "error-gone-text"),
            ErrorKind::BadRequest => ("error-bad-request-title", "error-bad-request-text"),
            ErrorKind::Forbidden => ("error-forbidden-title", "error-forbidden-text"),
            ErrorKind::MailUnavailable => ("error-unavailable-title", "error-unavailable-text"),
            ErrorKind::MailTimeout => ("error-unavailable-title", "error-timeout-text"),
            ErrorKind::MailRefused => ("error-unavailable-title", "error-refused-text"),
            ErrorKind::MailBusy => ("error-unavailable-title", "error-limit-text"),
            ErrorKind::Reauth => ("login-title", "login-session-ended"),
            ErrorKind::StoreUnavailable => ("error-store-title", "error-store-text"),
            ErrorKind::Internal => ("error-internal-title", "error-internal-text"),
        };
        let text = match server_said {
            Some(said) if kind == ErrorKind::MailRefused => i18n.t1("error-refused-said", "reason", said),
            _ => i18n.t(text),
        };
        Self {
            key: kind.key(),
            title: i18n.t(title),
            text,
            request_id_label: i18n.t1("error-request-id", "id", request_id.clone()),
            request_id,
            css: assets::css_url(),
            i18n,
        }
    }
}
