//! An import's page: how far it got while it runs, its report once it ended.

use askama::Template;
use askama_web::WebTemplate;

use super::Chrome;
use crate::i18n::FluentArg;
use crate::mail::mbox::Skip;
use crate::web::format;
use crate::web::routes::archive::{INTERRUPTED, Outcome};

/// A message of the archive that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Skipped {
    /// Its place in the archive (from 1).
    pub number: usize,
    /// The file it was in, inside a zip ("" otherwise).
    pub file: String,
    pub why: Skip,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/import_report.html")]
pub struct ImportReport {
    pub chrome: Chrome,
    pub title: String,
    pub imported: String,
    pub duplicates: Option<String>,
    pub stopped: Option<String>,
    pub skipped_title: Option<String>,
    pub skipped: Vec<String>,
    pub folder_href: String,
    pub folder_label: String,
}

impl ImportReport {
    /// The report of an import into the folder `(href, label)`.
    pub fn new(chrome: Chrome, (folder_href, label): (String, String), o: Outcome) -> Self {
        let i18n = &chrome.i18n;
        let imported = i18n.ta(
            "import-done",
            &[("count", FluentArg::Num(o.imported as i64)), ("name", FluentArg::Str(label.clone())), ("size", FluentArg::Str(format::size(o.bytes, i18n)))],
        );
        let duplicates = (o.duplicates > 0).then(|| i18n.tn("import-duplicates", "count", o.duplicates as i64));
        let stopped = o.stopped.map(|(reason, at)| {
            let why = if crate::mail::is_over_quota(&reason) {
                i18n.t("import-why-full")
            } else if reason == INTERRUPTED {
                i18n.t("import-why-interrupted")
            } else {
                crate::mail::plain_reason(&reason).to_string()
            };
            i18n.ta("import-stopped", &[("number", FluentArg::Num(at as i64)), ("why", FluentArg::Str(why))])
        });
        let skipped: Vec<String> = o
            .skipped
            .iter()
            .map(|s| {
                let why = i18n.t(match s.why {
                    Skip::TooLarge => "import-skip-large",
                    Skip::Empty => "import-skip-empty",
                    Skip::Binary => "import-skip-binary",
                    Skip::NotMbox => "import-skip-not-mail",
                });
                let place = if s.file.is_empty() { i18n.tn("import-message-number", "number", s.number as i64) } else { format!("{} ({})", i18n.tn("import-message-number", "number", s.number as i64), s.file) };
                format!("{place}: {why}")
            })
            .collect();
        let skipped_title = (!skipped.is_empty()).then(|| i18n.tn("import-skipped", "count", skipped.len() as i64));
        Self { title: i18n.t1("import-title", "name", label.clone()), imported, duplicates, stopped, skipped_title, skipped, folder_href, folder_label: label, chrome }
    }
}

/// An import still running: how much of the file was read, how many messages went in.
#[derive(Template, WebTemplate)]
#[template(path = "pages/import_progress.html")]
pub struct ImportProgress {
    pub chrome: Chrome,
    pub title: String,
    /// "12 MB of 100 MB read".
    pub read: String,
    pub percent: u64,
    /// "1,234 messages imported, 12 already there".
    pub done: String,
    pub href: String,
    pub folder_href: String,
}

impl ImportProgress {
    pub fn new(chrome: Chrome, (folder_href, label): (String, String), o: &Outcome, read: u64, href: &str) -> Self {
        let i18n = &chrome.i18n;
        let read = read.min(o.bytes);
        let mut done = i18n.tn("import-so-far", "count", o.imported as i64);
        if o.duplicates > 0 {
            done = format!("{done} · {}", i18n.tn("import-duplicates", "count", o.duplicates as i64));
        }
        Self {
            title: i18n.t1("import-title", "name", label),
            read: i18n.ta("import-read", &[("read", FluentArg::Str(format::size(read, i18n))), ("size", FluentArg::Str(format::size(o.bytes, i18n)))]),
            percent: (read * 100).checked_div(o.bytes).unwrap_or(0),
            done,
            href: href.to_string(),
            folder_href,
            chrome,
        }
    }
}
