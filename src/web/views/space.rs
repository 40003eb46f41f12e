//! Free up space: the quota and folder sizes, emptying the Trash and Spam, and "Archive to my
//! computer".

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;

use super::{Chrome, folder_href, folder_title};
use crate::i18n::FluentArg;
use super::search::{ResultRow, result_rows, search_href};
use crate::mail::imap::{Folder, Role};
use crate::mail::search::Found;
use crate::store::archives::Archive;
use crate::web::format::{self, UserZone};

/// A folder with its size, largest first.
pub struct SizedFolder {
    pub label: String,
    pub href: String,
    pub size: String,
    pub count: String,
    /// For the Trash and Spam: the address that empties it, and the question asked first.
    pub empty: Option<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/space.html")]
pub struct SpacePage {
    pub chrome: Chrome,
    pub title: String,
    pub folders: Vec<SizedFolder>,
    /// (name, label) of the folders that can be archived.
    pub choices: Vec<(String, String)>,
    pub ages: Vec<(u32, String)>,
    /// The largest messages of all folders, largest first.
    pub largest: Vec<ResultRow>,
    /// All messages, largest first, as search results (where they can be acted on).
    pub largest_href: String,
}

impl SpacePage {
    pub fn new(chrome: Chrome, folders: &[Folder], sizes: &HashMap<String, u64>, largest: &Found, tz: UserZone) -> Self {
        let i18n = &chrome.i18n;
        let mut sized: Vec<(u64, SizedFolder)> = folders
            .iter()
            .filter(|f| f.selectable)
            .map(|f| {
                let label = folder_title(f, i18n);
                let size = sizes.get(&f.name).copied();
                let empty = (matches!(f.role, Some(Role::Trash | Role::Junk)) && f.total > 0).then(|| {
                    (format!("{}/empty", folder_href(&f.name)), i18n.ta("space-empty-question", &[("name", FluentArg::Str(label.clone())), ("count", FluentArg::Num(i64::from(f.total)))]))
                });
                let row = SizedFolder {
                    href: folder_href(&f.name),
                    size: size.map(|s| format::size(s, i18n)).unwrap_or_default(),
                    count: i18n.tn("space-messages", "count", i64::from(f.total)),
                    empty,
                    label,
                };
                (size.unwrap_or(0), row)
            })
            .collect();
        sized.sort_by_key(|s| std::cmp::Reverse(s.0));
        let choices = super::folder_choices(folders, i18n);
        let ages = [3, 6, 12, 24, 36, 60].iter().map(|m| (*m, i18n.tn("space-age", "months", i64::from(*m)))).collect();
        Self {
            title: i18n.t("space-title"),
            folders: sized.into_iter().map(|(_, r)| r).collect(),
            choices,
            ages,
            largest: result_rows(largest, folders, tz, i18n),
            largest_href: search_href("in:anywhere sort:size", 1, false),
            chrome,
        }
    }
}

/// Asks before something is deleted for good (without JavaScript; with it, a dialog asks).
#[derive(Template, WebTemplate)]
#[template(path = "pages/ask.html")]
pub struct AskPage {
    pub chrome: Chrome,
    pub title: String,
    pub question: String,
    pub action: String,
    pub button: String,
    pub back: String,
}

impl AskPage {
    /// Emptying the Trash or Spam folder `f`.
    pub fn empty(chrome: Chrome, f: &Folder) -> Self {
        let i18n = &chrome.i18n;
        let label = folder_title(f, i18n);
        Self {
            title: i18n.t1("space-empty", "name", label.clone()),
            question: i18n.ta("space-empty-question", &[("name", FluentArg::Str(label.clone())), ("count", FluentArg::Num(i64::from(f.total)))]),
            action: format!("{}/empty", folder_href(&f.name)),
            button: i18n.t1("space-empty", "name", label),
            back: "/settings/space".to_string(),
            chrome,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/archive.html")]
pub struct ArchivePage {
    pub chrome: Chrome,
    pub title: String,
    pub summary: String,
    pub download: String,
    pub delete: Option<(String, String)>,
}

impl ArchivePage {
    pub fn new(chrome: Chrome, a: &Archive) -> Self {
        let i18n = &chrome.i18n;
        let summary = i18n.ta(
            "archive-summary",
            &[
                ("count", FluentArg::Num(a.uids.len() as i64)),
                ("name", FluentArg::Str(a.mailbox.clone())),
                ("day", FluentArg::Str(a.before_day.clone())),
                ("size", FluentArg::Str(format::size(a.bytes, i18n))),
            ],
        );
        let delete = a.downloaded.then(|| {
            (format!("/archive/{}/delete", a.id), i18n.ta("archive-delete", &[("count", FluentArg::Num(a.uids.len() as i64)), ("size", FluentArg::Str(format::size(a.bytes, i18n)))]))
        });
        Self { title: i18n.t("archive-to-computer"), summary, download: format!("/archive/{}/download", a.id), delete, chrome }
    }
}
