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

/// A folder a message can be moved to.
pub struct MoveTarget {
    pub name: String,
    pub label: String,
}

/// One line of the keyboard shortcut help.
pub struct Shortcut {
    pub keys: &'static str,
    pub what: String,
}

/// What every logged-in page shows around its content.
pub struct Chrome {
    pub i18n: I18n,
    pub username: String,
    pub csrf: String,
    pub folders: Vec<FolderLink>,
    pub css: &'static str,
    pub js: &'static str,
    /// This response's CSP nonce: the only scripts the page may run carry it.
    pub nonce: String,
    /// The folder shown (UTF-8 name), for live updates.
    pub folder: String,
    pub role: Option<Role>,
    pub events: String,
    pub shortcuts: bool,
    pub shortcut_help: Vec<Shortcut>,
    pub move_targets: Vec<MoveTarget>,
    pub notice: Option<Notice>,
    /// On a message page: whether it is starred (the toolbar offers the opposite).
    pub message_flagged: Option<bool>,
}

pub struct Notice {
    pub text: String,
    pub undo: bool,
}

const SHORTCUTS: &[(&str, &str)] = &[
    ("j / k", "key-next-prev"),
    ("o, Enter", "key-open"),
    ("u", "key-back"),
    ("x", "key-select"),
    ("s", "key-star"),
    ("e", "key-archive"),
    ("#", "key-delete"),
    ("!", "key-spam"),
    ("Shift+i / Shift+u", "key-read-unread"),
    ("v", "key-move"),
    ("g i / g s / g d / g t", "key-go"),
    ("c", "key-compose"),
    ("r / a / f", "key-reply"),
    ("?", "key-help"),
];

impl Chrome {
    pub fn new(
        i18n: I18n,
        user: &crate::web::auth::AuthData,
        folders: &[Folder],
        current: &str,
        notice: Option<crate::web::routes::Flash>,
    ) -> Self {
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
        let move_targets = folders
            .iter()
            .filter(|f| f.selectable && f.name != current)
            .map(|f| MoveTarget { name: f.name.clone(), label: folder_title(f, &i18n) })
            .collect();
        let shortcut_help = SHORTCUTS.iter().map(|(keys, key)| Shortcut { keys, what: i18n.t(key) }).collect();
        Self {
            username: user.username.clone(),
            csrf: user.csrf.clone(),
            folders: links,
            css: assets::css_url(),
            js: assets::js_url(),
            nonce: crate::web::middleware::nonce(),
            folder: current.to_string(),
            role: folders.iter().find(|f| f.name == current).and_then(|f| f.role),
            events: format!("/events?folder={}", seg(current)),
            shortcuts: user.prefs.shortcuts,
            shortcut_help,
            move_targets,
            notice: notice.map(|n| Notice { text: n.text, undo: n.undo }),
            message_flagged: None,
            i18n,
        }
    }

    pub fn in_trash(&self) -> bool {
        self.role == Some(Role::Trash)
    }

    pub fn in_junk(&self) -> bool {
        self.role == Some(Role::Junk)
    }

    pub fn actions_href(&self) -> String {
        format!("/f/{}/actions", seg(&self.folder))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/login.html")]
pub struct LoginPage {
    pub i18n: I18n,
    pub brand: super::brand::Brand,
    pub css: &'static str,
    pub js: &'static str,
    pub nonce: String,
    pub csrf: String,
    pub username: String,
    pub next: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

pub struct Row {
    pub uid: u32,
    pub checked: bool,
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
    pub uidvalidity: u32,
    pub page: u32,
    pub select_all_href: String,
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
    pub uid: u32,
    pub uidvalidity: u32,
    pub flagged: bool,
    pub title: String,
    pub subject: String,
    pub from: String,
    pub to: String,
    pub cc: String,
    pub reply_to: String,
    pub date: String,
    pub back_href: String,
    pub back_label: String,
    pub source_href: String,
    /// The sandboxed frame's URL, for HTML bodies.
    pub frame_src: Option<String>,
    /// The text body as text and links, for plain-text bodies.
    pub text: Option<Vec<Seg>>,
    pub images_blocked: bool,
    pub show_images_href: String,
    /// The sender whose images could always be shown (empty: nothing to offer).
    pub image_sender: String,
    pub images_trusted: bool,
    pub attachments: Vec<AttachmentLink>,
    pub attachments_label: String,
    pub damaged: bool,
    /// `mb=…&uv=…&uid=…` for the compose links (reply, forward, edit draft).
    pub compose_query: String,
    /// The message is in the Drafts folder: offer to continue it.
    pub is_draft: bool,
}

/// The document inside the sandboxed frame: sanitized mail HTML. The only `|safe` in Facteur.
#[derive(Template, WebTemplate)]
#[template(path = "frame/message_body.html")]
pub struct MessageFrame {
    pub lang: &'static str,
    pub html: String,
}

/// Asks before deleting for good (the no-JavaScript path; with JavaScript a dialog asks).
#[derive(Template, WebTemplate)]
#[template(path = "pages/confirm.html")]
pub struct ConfirmPage {
    pub chrome: Chrome,
    pub title: String,
    pub question: String,
    pub uidvalidity: u32,
    pub uids: Vec<u32>,
    pub page: u32,
    pub back_href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings.html")]
pub struct SettingsPage {
    pub chrome: Chrome,
    pub title: String,
    pub language: String,
    pub saved: bool,
    pub identities: Vec<crate::store::compose::Identity>,
    pub identity_error: Option<String>,
    /// Senders whose images are always shown.
    pub image_senders: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/contacts.html")]
pub struct ContactsPage {
    pub chrome: Chrome,
    pub title: String,
    pub contacts: Vec<crate::store::compose::Contact>,
    pub error: Option<String>,
}

pub struct IdentityOption {
    pub id: i64,
    pub label: String,
    pub selected: bool,
}

pub struct UploadView {
    pub id: u32,
    pub name: String,
    pub size: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/compose.html")]
pub struct ComposePage {
    pub chrome: Chrome,
    pub title: String,
    pub form: crate::web::routes::compose::ComposeForm,
    pub errors: crate::web::routes::compose::FieldErrors,
    pub identities: Vec<IdentityOption>,
    pub attachments: Vec<UploadView>,
    pub max_size: String,
    /// The compose script's URL (this page's own, loaded after the common one).
    pub script: &'static str,
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
