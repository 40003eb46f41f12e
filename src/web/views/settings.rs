//! Settings (language, shortcuts, sender addresses, trusted image senders) and contacts.

use askama::Template;
use askama_web::WebTemplate;

use super::Chrome;
use crate::store::compose::{Contact, Identity};
use crate::store::prefs::{self, Preferences};

#[derive(Template, WebTemplate)]
#[template(path = "pages/settings.html")]
pub struct SettingsPage {
    pub chrome: Chrome,
    pub title: String,
    pub language: String,
    pub conversations: bool,
    /// (value, label, chosen) of each choice.
    pub themes: Vec<(&'static str, String, bool)>,
    pub densities: Vec<(&'static str, String, bool)>,
    pub per_page: Vec<(u32, bool)>,
    /// (seconds, label, chosen) of each Undo send wait; empty when the hoster turned the
    /// outbox off.
    pub undo_send: Vec<(u32, String, bool)>,
    pub saved: bool,
    pub identities: Vec<Identity>,
    pub identity_error: Option<String>,
    /// Senders whose images are always shown.
    pub image_senders: Vec<String>,
    /// Facteur's VAPID public key, where notifications are set up (the page subscribes with it).
    pub push_key: Option<String>,
}

impl SettingsPage {
    /// `error`: what was wrong with the last identity form (`email` or `text`).
    #[allow(clippy::too_many_arguments)]
    pub fn new(chrome: Chrome, prefs: &Preferences, outbox: bool, identities: Vec<Identity>, image_senders: Vec<String>, saved: bool, error: Option<&str>) -> Self {
        let i18n = &chrome.i18n;
        let identity_error = match error {
            Some("email") => Some(i18n.t("identity-error-email")),
            Some("text") => Some(i18n.t("identity-error-text")),
            _ => None,
        };
        Self {
            title: i18n.t("settings-title"),
            language: prefs.language.clone().unwrap_or_default(),
            conversations: prefs.conversations,
            themes: prefs::THEMES.iter().map(|t| (*t, i18n.t(&format!("settings-theme-{t}")), prefs.theme == *t)).collect(),
            densities: prefs::DENSITIES.iter().map(|d| (*d, i18n.t(&format!("settings-density-{d}")), prefs.density == *d)).collect(),
            per_page: prefs::PER_PAGE_CHOICES.iter().map(|n| (*n, prefs.per_page == *n)).collect(),
            undo_send: if outbox {
                prefs::UNDO_SEND_CHOICES
                    .iter()
                    .map(|n| {
                        let label = if *n == 0 { i18n.t("settings-undo-send-off") } else { i18n.tn("settings-undo-send-seconds", "n", i64::from(*n)) };
                        (*n, label, prefs.undo_send_seconds == *n)
                    })
                    .collect()
            } else {
                Vec::new()
            },
            saved,
            identities,
            identity_error,
            image_senders,
            push_key: None,
            chrome,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/contacts.html")]
pub struct ContactsPage {
    pub chrome: Chrome,
    pub title: String,
    pub contacts: Vec<Contact>,
    pub error: Option<String>,
}

impl ContactsPage {
    pub fn new(chrome: Chrome, contacts: Vec<Contact>, invalid: bool) -> Self {
        Self {
            title: chrome.i18n.t("contacts-title"),
            error: invalid.then(|| chrome.i18n.t("identity-error-email")),
            contacts,
            chrome,
        }
    }
}
