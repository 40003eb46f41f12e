//! The sign-in page.

use askama::Template;
use askama_web::WebTemplate;

use crate::i18n::I18n;
use crate::web::assets;
use crate::web::brand::Brand;

#[derive(Template, WebTemplate)]
#[template(path = "pages/login.html")]
pub struct LoginPage {
    pub i18n: I18n,
    pub brand: Brand,
    pub css: &'static str,
    pub js: &'static str,
    pub nonce: String,
    pub csrf: String,
    pub username: String,
    pub next: String,
    pub error: Option<String>,
    pub notice: Option<String>,
}

impl LoginPage {
    /// The form for `username` (empty at first), going to `next` once signed in.
    pub fn new(brand: &Brand, i18n: I18n, csrf: String, username: String, next: String) -> Self {
        Self {
            brand: brand.clone(),
            i18n,
            css: assets::css_url(),
            js: assets::js_url(),
            nonce: super::nonce(),
            csrf,
            username,
            next,
            error: None,
            notice: None,
        }
    }
}
