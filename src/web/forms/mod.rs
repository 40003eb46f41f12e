//! The forms pages post, as typed values. Handlers read them; views show them again with
//! their errors.

pub mod actions;
pub mod compose;
pub mod filters;
pub mod search;

use serde::Deserialize;

/// A form that carries only its CSRF token (sign out, undo).
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf: String,
}

/// POST /settings
#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub language: String,
    /// A checkbox: present when on.
    pub shortcuts: Option<String>,
    /// A checkbox: folder lists by conversation.
    pub conversations: Option<String>,
    #[serde(default)]
    pub theme: String,
    #[serde(default)]
    pub density: String,
    #[serde(default)]
    pub per_page: String,
    #[serde(default)]
    pub undo_send_seconds: String,
}

/// POST /settings/identities: add (`id` 0), change, or with `op=delete` remove an address.
#[derive(Deserialize)]
pub struct IdentityForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub id: i64,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub signature: String,
    /// A checkbox: present when on.
    pub default: Option<String>,
    #[serde(default)]
    pub op: String,
}

/// POST /contacts: save, or with `op=delete` remove, a contact.
#[derive(Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub op: String,
}

/// POST /images/senders: always (`trust=1`) or no longer show a sender's images.
#[derive(Deserialize)]
pub struct TrustForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub sender: String,
    #[serde(default)]
    pub trust: String,
    #[serde(default)]
    pub back: String,
}

/// A single address without a display name (identities, contacts).
pub fn bare_address(email: &str) -> bool {
    matches!(crate::mail::compose::parse_addresses(email), Ok(v) if v.len() == 1 && v[0].name.is_none())
}

/// POST /folders (create) and POST /f/{mailbox}/rename: the folder's name (one level) and,
/// optionally, the folder it goes in (its full name; empty: the top).
#[derive(Deserialize)]
pub struct FolderForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub name: String,
    pub parent: Option<String>,
}

/// POST /f/{mailbox}/delete: `confirm=yes` (or the script's `confirmed=1`) deletes; without
/// it a page asks. `messages=delete` deletes the folder's messages with it; otherwise they
/// go to the Trash first.
#[derive(Deserialize)]
pub struct DeleteFolderForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub confirm: String,
    #[serde(default)]
    pub confirmed: String,
    #[serde(default)]
    pub messages: String,
}

/// POST /f/{mailbox}/subscribe: `subscribed=1` subscribes, anything else stops.
#[derive(Deserialize)]
pub struct SubscribeForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub subscribed: String,
}

/// POST /archive: the messages of `folder` older than `months` months.
#[derive(Deserialize)]
pub struct ArchiveForm {
    #[serde(default)]
    pub csrf: String,
    #[serde(default)]
    pub folder: String,
    #[serde(default)]
    pub months: u32,
}
