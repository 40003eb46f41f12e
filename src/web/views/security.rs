//! Two-step sign-in: the second step's page, and Settings → Security.

use askama::Template;
use askama_web::WebTemplate;

use super::Chrome;
use crate::i18n::I18n;
use crate::web::assets;
use crate::web::brand::Brand;

/// The second step, after the password: a code from the app or a recovery code.
#[derive(Template, WebTemplate)]
#[template(path = "pages/verify.html")]
pub struct VerifyPage {
    pub i18n: I18n,
    pub brand: Brand,
    pub css: &'static str,
    pub js: &'static str,
    pub nonce: String,
    pub csrf: String,
    pub next: String,
    pub error: Option<String>,
    /// The user has keys: the page offers them.
    pub passkeys: bool,
}

impl VerifyPage {
    pub fn new(brand: &Brand, i18n: I18n, csrf: String, next: String, error: Option<String>) -> Self {
        Self { brand: brand.clone(), i18n, css: assets::css_url(), js: assets::js_url(), nonce: super::nonce(), csrf, next, error, passkeys: false }
    }
}

/// An authenticator being set up: its QR code and its secret as text. The QR code is SVG made
/// here from our own URL (squares only: no text of the URL is in it), so it goes into the page
/// as markup.
pub struct Setup {
    pub qr: String,
    pub text: String,
}

/// A passkey or security key of the user's.
pub struct PasskeyRow {
    pub id: String,
    pub name: String,
    pub added: String,
    pub used: Option<String>,
}

/// A web session of the user's.
pub struct SessionRow {
    pub id: String,
    /// "Firefox on Linux".
    pub what: String,
    pub address: String,
    pub signed_in: String,
    pub last_seen: String,
    /// The session this page is shown in.
    pub this: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/security.html")]
pub struct SecurityPage {
    pub chrome: Chrome,
    pub title: String,
    /// Two-step sign-in is on.
    pub on: bool,
    pub recovery_left: i64,
    pub setup: Option<Setup>,
    /// Recovery codes just made, shown this once.
    pub codes: Option<Vec<String>>,
    pub message: Option<String>,
    pub error: Option<String>,
    pub sessions: Vec<SessionRow>,
    /// The hoster requires two-step sign-in for this user's domain.
    pub required: bool,
    /// …and it is not set up yet: nothing else opens until it is.
    pub setup_required: bool,
    /// An email on a sign-in from a new browser.
    pub notices: bool,
    /// An authenticator app is set up.
    pub totp: bool,
    pub passkeys: Vec<PasskeyRow>,
}

impl SecurityPage {
    pub fn new(chrome: Chrome, on: bool, recovery_left: i64) -> Self {
        Self { title: chrome.i18n.t("security-title"), on, recovery_left, setup: None, codes: None, message: None, error: None, sessions: Vec::new(), required: false, setup_required: false, notices: false, totp: false, passkeys: Vec::new(), chrome }
    }
}
