//! View models: plain structs already formatted for display. Templates only lay them out.

use askama::Template;
use askama_web::WebTemplate;

use super::assets;
use super::error::ErrorKind;
use crate::i18n::I18n;
use crate::mail::imap::{Folder, Role};

/// Percent-encodes one path segment (folder names may contain `/`, `%`, spaces…).
pub fn seg(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

pub fn folder_href(name: &str) -> String {
    format!("/f/{}", seg(name))
}

pub fn message_href(mailbox: &str, uidvalidity: u32, uid: u32) -> String {
    format!("/m/{}/{uidvalidity}/{uid}", seg(mailbox))
}

/// The name users see for a folder: translated for the Inbox and special-use folders.
pub fn folder_title(f: &Folder, i18n: &I18n) -> String {
    match f.role {
        Some(r) => i18n.t(&format!("folder-{}", r.key())),
        None => f.label.clone(),
    }
}

pub struct FolderLink {
    pub href: String,
    pub label: String,
    pub depth: usize,
    pub unread: u32,
    pub unread_label: String,
    pub active: bool,
    pub icon: &'static str,
    pub selectable: bool,
}

/// What every logged-in page shows around its content.
pub struct Chrome {
    pub i18n: I18n,
    pub username: String,
    pub csrf: String,
    pub folders: Vec<FolderLink>,
    pub css: &'static str,
    pub js: &'static str,
}

impl Chrome {
    pub fn new(i18n: I18n, username: &str, csrf: &str, folders: &[Folder], current: &str) -> Self {
        let links = folders
            .iter()
            .map(|f| FolderLink {
                href: folder_href(&f.name),
                label: folder_title(f, &i18n),
                depth: f.depth.min(6),
                unread: f.unread,
                unread_label: i18n.tn("folder-unread", "count", i64::from(f.unread)),
                active: f.name == current,
                icon: match f.role {
                    Some(Role::Inbox) => "inbox",
                    Some(Role::Drafts) => "drafts",
                    Some(Role::Sent) => "sent",
                    Some(Role::Archive) => "archive",
                    Some(Role::Junk) => "junk",
                    Some(Role::Trash) => "trash",
                    None => "folder",
                },
                selectable: f.selectable,
            })
            .collect();
        Self {
            i18n,
            username: username.to_string(),
            csrf: csrf.to_string(),
            folders: links,
            css: assets::css_url(),
            js: assets::js_url(),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/login.html")]
pub struct LoginPage {
    pub i18n: I18n,
    pub css: &'static str,
    pub js: &'static str,
    pub username: String,
    pub next: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

pub struct Row {
    pub href: String,
    pub from: String,
    pub from_title: String,
    pub subject: String,
    pub date: String,
    pub size: String,
    pub unread: bool,
    pub flagged: bool,
    pub answered: bool,
    pub attachment: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/mailbox.html")]
pub struct MailboxPage {
    pub chrome: Chrome,
    pub title: String,
    pub heading: String,
    pub count: String,
    pub rows: Vec<Row>,
    pub page_label: String,
    pub newer: Option<String>,
    pub older: Option<String>,
}

pub struct Seg {
    pub text: String,
    pub href: Option<String>,
}

pub struct AttachmentLink {
    pub href: String,
    pub name: String,
    pub content_type: String,
    pub size: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/message.html")]
pub struct MessagePage {
    pub chrome: Chrome,
    pub title: String,
    pub subject: String,
    pub from: String,
    pub to: String,
    pub cc: String,
    pub reply_to: String,
    pub date: String,
    pub back_href: String,
    pub back_label: String,
    pub unread_action: String,
    pub source_href: String,
    /// The sandboxed frame's URL, for HTML bodies.
    pub frame_src: Option<String>,
    /// The text body as text and links, for plain-text bodies.
    pub text: Option<Vec<Seg>>,
    pub images_blocked: bool,
    pub show_images_href: String,
    pub attachments: Vec<AttachmentLink>,
    pub attachments_label: String,
    pub damaged: bool,
}

/// The document inside the sandboxed frame: sanitized mail HTML. The only `|safe` in Facteur.
#[derive(Template, WebTemplate)]
#[template(path = "frame/message_body.html")]
pub struct MessageFrame {
    pub lang: &'static str,
    pub html: String,
}

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
