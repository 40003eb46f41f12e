//! Search results: rows from every folder searched, newest (or largest) first, each showing
//! its folder.

use askama::Template;
use askama_web::WebTemplate;

use super::mailbox::Row;
use super::{Chrome, folder_title, message_href};
use crate::i18n::FluentArg;
use crate::mail::imap::Folder;
use crate::mail::search::{Found, QueryError};
use crate::web::format::UserZone;

/// A result row: the list's row, its folder, and what its checkbox carries.
pub struct ResultRow {
    pub row: Row,
    pub folder: String,
    /// `UIDVALIDITY:UID:folder`, for the actions form.
    pub value: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/search.html")]
pub struct SearchPage {
    pub chrome: Chrome,
    pub title: String,
    pub query: String,
    pub error: Option<String>,
    pub count: String,
    pub rows: Vec<ResultRow>,
    /// Recent searches (text, link), shown when nothing was searched.
    pub recent: Vec<(String, String)>,
    pub page: u32,
    pub page_label: String,
    pub newer: Option<String>,
    pub older: Option<String>,
    /// "Searched 3 of 9 folders", with the link that searches them all.
    pub partial: Option<(String, String)>,
    /// The same search in the other order (label, link): largest or newest first.
    pub other_order: Option<(String, String)>,
}

/// Why a query could not run, in a sentence.
fn explain(e: &QueryError, i18n: &crate::i18n::I18n) -> String {
    match e {
        QueryError::UnknownOperator(op) => i18n.t1("search-error-operator", "operator", format!("{op}:")),
        QueryError::BadValue(op, value) => i18n.ta(
            "search-error-value",
            &[("operator", FluentArg::Str(format!("{op}:"))), ("value", FluentArg::Str(value.clone()))],
        ),
        QueryError::ScopeInside => i18n.t("search-error-scope-inside"),
        QueryError::TwoScopes => i18n.t("search-error-two-scopes"),
        QueryError::Malformed => i18n.t("search-error-malformed"),
        QueryError::Empty => i18n.t("search-error-empty"),
        QueryError::TooLong => i18n.t1("search-error-too-long", "max", crate::mail::search::MAX_QUERY.to_string()),
        QueryError::NoFolder(name) => i18n.t1("search-error-folder", "folder", name.clone()),
    }
}

/// The query without its `sort:` words.
fn without_sort(q: &str) -> String {
    q.split_whitespace().filter(|w| !w.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("sort:"))).collect::<Vec<_>>().join(" ")
}

/// `/search?q=…` with these parameters.
pub fn search_href(q: &str, page: u32, more: bool) -> String {
    let mut href = format!("/search?q={}", super::seg(q));
    if page > 1 {
        href.push_str(&format!("&page={page}"));
    }
    if more {
        href.push_str("&more=1");
    }
    href
}

impl SearchPage {
    /// Lists these recent searches (when nothing was searched).
    pub fn with_recent(mut self, recent: Vec<String>) -> Self {
        if self.query.is_empty() {
            self.recent = recent.into_iter().map(|q| (search_href(&q, 1, false), q)).map(|(href, q)| (q, href)).collect();
        }
        self
    }

    /// The results of `query` (or why it could not run).
    pub fn new(chrome: Chrome, folders: &[Folder], query: &str, result: Result<Found, QueryError>, more: bool, tz: UserZone) -> Self {
        let i18n = &chrome.i18n;
        let title = i18n.t1("search-title", "query", query.to_string());
        let mut page = Self {
            title,
            query: query.to_string(),
            error: None,
            count: String::new(),
            rows: Vec::new(),
            recent: Vec::new(),
            page: 1,
            page_label: String::new(),
            newer: None,
            older: None,
            partial: None,
            other_order: None,
            chrome,
        };
        let i18n = &page.chrome.i18n;
        let found = match result {
            Ok(f) => f,
            Err(e) => {
                page.error = Some(explain(&e, i18n));
                return page;
            }
        };
        page.rows = result_rows(&found, folders, tz, i18n);
        page.count = i18n.ta(
            "search-count",
            &[("count", FluentArg::Num(found.total as i64)), ("shown", FluentArg::Str(crate::web::format::number(found.total as u64, i18n)))],
        );
        page.page = found.page;
        page.page_label = i18n.ta(
            "list-page",
            &[("page", FluentArg::Num(found.page.into())), ("pages", FluentArg::Num(found.pages.into()))],
        );
        page.newer = (found.page > 1).then(|| search_href(query, found.page - 1, more));
        page.older = (found.page < found.pages).then(|| search_href(query, found.page + 1, more));
        if found.searched < found.to_search {
            let text = i18n.ta(
                "search-partial",
                &[("searched", FluentArg::Num(found.searched as i64)), ("folders", FluentArg::Num(found.to_search as i64))],
            );
            page.partial = Some((text, search_href(query, 1, true)));
        }
        page.other_order = Some(if found.by_size {
            (i18n.t("search-newest-first"), search_href(&without_sort(query), 1, more))
        } else {
            (i18n.t("search-largest-first"), search_href(&format!("{} sort:size", without_sort(query)), 1, more))
        });
        if !page.rows.is_empty() {
            page.chrome.export_href = Some("/search/export.mbox".to_string());
        }
        let present = super::mailbox::labels_of(&page.rows.iter().map(|r| &r.row).collect::<Vec<_>>());
        let labels = super::label_choices(&present, &[], &page.chrome.i18n);
        let removals = present.iter().map(|k| super::label_chip(k, &page.chrome.i18n)).collect();
        (page.chrome.labels, page.chrome.label_removals) = (labels, removals);
        // Results span folders: their actions do not snooze.
        page.chrome.snooze = false;
        page
    }
}

/// The rows of the results found, each with its folder.
pub(super) fn result_rows(found: &Found, folders: &[Folder], tz: UserZone, i18n: &crate::i18n::I18n) -> Vec<ResultRow> {
    let now = crate::clock::unix_secs();
    found
        .hits
        .iter()
        .map(|h| {
            let href = message_href(&h.folder, h.uidvalidity, h.item.uid);
            let folder = folders.iter().find(|f| f.name == h.folder).map(|f| folder_title(f, i18n)).unwrap_or_else(|| h.folder.clone());
            ResultRow { row: Row::new(&h.item, href, false, now, tz, i18n), folder, value: format!("{}:{}:{}", h.uidvalidity, h.item.uid, h.folder) }
        })
        .collect()
}
