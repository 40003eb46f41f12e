//! The messages snoozed, and when each comes back.

use askama::Template;
use askama_web::WebTemplate;

use super::Chrome;

/// One snoozed message (or conversation).
pub struct SnoozedRow {
    pub id: String,
    /// When it comes back, as people read it, and as the time field shows it.
    pub when: String,
    pub when_input: String,
    pub from: String,
    pub subject: String,
    /// The other messages of its conversation snoozed with it.
    pub more: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/snoozed.html")]
pub struct SnoozedPage {
    pub chrome: Chrome,
    pub title: String,
    pub rows: Vec<SnoozedRow>,
}

impl SnoozedPage {
    pub fn new(chrome: Chrome, rows: Vec<SnoozedRow>) -> Self {
        Self { title: chrome.i18n.t("snoozed-title"), rows, chrome }
    }
}
