//! "Set up your devices": the settings to type into mail apps (the documents apps fetch are
//! written by [`crate::devices`]).

use askama::Template;
use askama_web::WebTemplate;

use super::Chrome;
use crate::config::Security;
use crate::devices::ClientSettings;
use crate::i18n::I18n;

/// The "Set up your devices" page: the settings to type in, and how each kind of app finds them.
#[derive(Template, WebTemplate)]
#[template(path = "pages/devices.html")]
pub struct DevicesPage {
    pub chrome: Chrome,
    pub title: String,
    pub settings: ClientSettings,
    /// The security mode as users see it in their apps, e.g. "SSL/TLS".
    pub imap_security: String,
    pub smtp_security: String,
    /// Where the Apple profile downloads from.
    pub mobileconfig_href: String,
}

impl DevicesPage {
    pub fn new(chrome: Chrome, settings: ClientSettings, mobileconfig_href: String) -> Self {
        let i18n = &chrome.i18n;
        Self {
            title: i18n.t("devices-title"),
            imap_security: security_label(i18n, settings.imap.security),
            smtp_security: security_label(i18n, settings.smtp.security),
            settings,
            mobileconfig_href,
            chrome,
        }
    }
}

/// The names mail apps put in their security menus, so users can match them.
fn security_label(i18n: &I18n, security: Security) -> String {
    match security {
        Security::Tls => i18n.t("devices-security-tls"),
        Security::StartTls => i18n.t("devices-security-starttls"),
        Security::Plain => i18n.t("devices-security-none"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::example::settings;

    fn chrome(lang: &str) -> Chrome {
        Chrome {
            i18n: I18n::new(lang),
            username: "alice@example.org".into(),
            csrf: "token".into(),
            folders: Vec::new(),
            css: "/static/app.css",
            js: "/static/app.js",
            nonce: "nonce".into(),
            folder: "INBOX".into(),
            role: None,
            events: "/events?folder=INBOX".into(),
            shortcuts: false,
            shortcut_help: Vec::new(),
            move_targets: Vec::new(),
            notice: None,
            message_flagged: None,
            more_links: Vec::new(),
            export_href: None,
            labels: Vec::new(),
            label_removals: Vec::new(),
            unread: 0,
            theme: "system".into(),
            density: "comfortable".into(),
            quota: None,
            vacation: None,
            snooze: false,
            search: String::new(),
        }
    }

    #[test]
    fn page_renders_in_english_and_french() {
        for (lang, title, security, plain) in
            [("en", "Set up your devices", "SSL/TLS", "None"), ("fr", "Configurer vos appareils", "SSL/TLS", "Aucune")]
        {
            let mut s = settings(Security::Tls, Security::Plain);
            s.provider_name = "A & B <x>".into();
            let page = DevicesPage::new(chrome(lang), s, "/devices/alice.mobileconfig".into());
            assert_eq!(page.imap_security, security);
            assert_eq!(page.smtp_security, plain);
            let html = page.render().unwrap();
            assert!(html.contains(&format!("<title>{title}")), "{lang}: {html}");
            assert!(html.contains("imap.example.org"));
            assert!(html.contains("smtp.example.org"));
            assert!(html.contains("<kbd>993</kbd>"));
            assert!(html.contains("<kbd>587</kbd>"));
            assert!(html.contains("alice@example.org"));
            assert!(html.contains("href=\"/devices/alice.mobileconfig\""));
            assert!(!html.contains("devices-"), "{lang}: an untranslated key is showing");
        }
    }
}
