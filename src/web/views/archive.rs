//! The report at the end of an import.

use askama::Template;
use askama_web::WebTemplate;

use super::{Chrome, folder_href, folder_title};
use crate::i18n::FluentArg;
use crate::mail::imap::Folder;
use crate::mail::mbox::Skip;
use crate::web::format;
use crate::web::routes::archive::Outcome;

/// A message of the archive that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub fn new(chrome: Chrome, folder: &Folder, o: Outcome) -> Self {
        let i18n = &chrome.i18n;
        let label = folder_title(folder, i18n);
        let imported = i18n.ta(
            "import-done",
            &[("count", FluentArg::Num(o.imported as i64)), ("name", FluentArg::Str(label.clone())), ("size", FluentArg::Str(format::size(o.bytes, i18n)))],
        );
        let duplicates = (o.duplicates > 0).then(|| i18n.tn("import-duplicates", "count", o.duplicates as i64));
        let stopped = o.stopped.map(|(reason, at)| {
            let why = if crate::mail::is_over_quota(&reason) { i18n.t("import-why-full") } else { crate::mail::plain_reason(&reason).to_string() };
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
        Self { title: i18n.t1("import-title", "name", label.clone()), imported, duplicates, stopped, skipped_title, skipped, folder_href: folder_href(&folder.name), folder_label: label, chrome }
    }
}
