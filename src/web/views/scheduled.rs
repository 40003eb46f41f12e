//! The messages set to go later.

use askama::Template;
use askama_web::WebTemplate;

use super::Chrome;

/// One message set to go later.
pub struct ScheduledRow {
    pub id: String,
    /// When it goes, as people read it, and as the time field shows it.
    pub when: String,
    pub when_input: String,
    pub to: String,
    pub subject: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/scheduled.html")]
pub struct ScheduledPage {
    pub chrome: Chrome,
    pub title: String,
    pub rows: Vec<ScheduledRow>,
}

impl ScheduledPage {
    pub fn new(chrome: Chrome, rows: Vec<ScheduledRow>) -> Self {
        Self { title: chrome.i18n.t("scheduled-title"), rows, chrome }
    }
}
