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
    pub css: &'static str,
    pub title: String,
    pub text: String,
    pub request_id: String,
    pub request_id_label: String,
}

impl ErrorPage {
    pub fn new(i18n: I18n, kind: ErrorKind, request_id: String) -> Self {
        let (title, text) = match kind {
            ErrorKind::NotFound => ("error-not-found-title", "error-not-found-text"),
            ErrorKind::MessageGone => ("error-gone-title", "error-gone-text"),
            ErrorKind::BadRequest => ("error-bad-request-title", "error-bad-request-text"),
            ErrorKind::Forbidden => ("error-forbidden-title", "error-forbidden-text"),
            ErrorKind::MailUnavailable => ("error-unavailable-title", "error-unavailable-text"),
            ErrorKind::MailTimeout => ("error-unavailable-title", "error-timeout-text"),
            ErrorKind::MailRefused => ("error-unavailable-title", "error-refused-text"),
            ErrorKind::Reauth => ("login-title", "login-session-ended"),
            ErrorKind::Internal => ("error-internal-title", "error-internal-text"),
        };
        Self {
            title: i18n.t(title),
            text: i18n.t(text),
            request_id_label: i18n.t1("error-request-id", "id", request_id.clone()),
            request_id,
            css: assets::css_url(),
            i18n,
        }
    }
}
