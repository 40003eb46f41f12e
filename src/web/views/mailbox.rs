//! A folder's message list, and the question asked before deleting for good.

use askama::Template;
use askama_web::WebTemplate;

use super::{Chrome, folder_href, message_href};
use crate::i18n::{FluentArg, I18n};
use crate::mail::imap::{Conversation, ConversationPage, Filter, Folder, ListItem, Order, Page, SortKey};
use crate::mail::model::MessageSet;
use crate::mail::mime;
use crate::web::format::{self, UserZone};

pub struct Row {
    /// The message the row opens.
    pub uid: u32,
    /// What its checkbox stands for: its UID, or a conversation's UIDs (`3,7,9`).
    pub value: String,
    /// Messages in the row's conversation (1 for a message alone), and that said in words.
    pub count: usize,
    pub count_label: String,
    pub checked: bool,
    pub href: String,
    pub from: String,
    pub from_title: String,
    /// The sender's initials and their colour (one of [`AVATAR_COLOURS`]), for the avatar.
    pub initials: String,
    pub colour: usize,
    pub labels: Vec<super::LabelChip>,
    pub subject: String,
    /// The first words of its text (empty when the server gave none).
    pub preview: String,
    pub date: String,
    pub size: String,
    pub unread: bool,
    pub flagged: bool,
    pub answered: bool,
    pub attachment: bool,
}

impl Row {
    pub fn new(item: &ListItem, href: String, checked: bool, now: i64, tz: UserZone, i18n: &I18n) -> Self {
        let h = mime::list_headers(&item.headers);
        let from = h.from.as_ref().map(|p| p.display()).filter(|s| !s.is_empty());
        let address = h.from.as_ref().and_then(|p| p.address.clone()).unwrap_or_default().to_lowercase();
        Row {
            initials: initials(from.as_deref().unwrap_or(&address)),
            colour: colour_of(&address),
            labels: item.labels.iter().map(|k| super::label_chip(k, i18n)).collect(),
            uid: item.uid,
            value: item.uid.to_string(),
            count: 1,
            count_label: String::new(),
            checked,
            href,
            from_title: h.from.as_ref().map(format::person_full).unwrap_or_default(),
            from: from.unwrap_or_else(|| i18n.t("list-unknown-sender")),
            subject: if h.subject.is_empty() { i18n.t("list-no-subject") } else { h.subject.clone() },
            preview: item.preview.clone().unwrap_or_default(),
            date: format::list_date(h.date.or(item.internal_date), now, tz, i18n),
            size: format::size(u64::from(item.size), i18n),
            unread: !item.seen,
            flagged: item.flagged,
            answered: item.answered,
            attachment: h.has_attachment,
        }
    }
}

/// Colours an avatar can take (classes `tint-0` to `tint-7`).
pub const AVATAR_COLOURS: usize = 8;

/// One or two letters for a sender: the first letters of the first and last words of the
/// name ("Zoé Dupré" → "ZD"; numbers are not words), or the first of the address.
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name
        .split(|c: char| c.is_whitespace() || c == '.' || c == '@')
        .map(|w| w.trim_start_matches(|c: char| !c.is_alphabetic()))
        .filter(|w| !w.is_empty())
        .collect();
    let first = |w: &&str| w.chars().next().map(|c| c.to_uppercase().collect::<String>()).unwrap_or_default();
    match (words.first(), words.get(1..).and_then(|r| r.last()), name.contains('@')) {
        (Some(a), Some(b), false) => format!("{}{}", first(a), first(b)),
        (Some(a), _, _) => first(a),
        (None, _, _) => "?".into(),
    }
}

/// The same sender always gets the same colour.
fn colour_of(address: &str) -> usize {
    address.bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b))) % AVATAR_COLOURS
}

/// How a folder's list is shown: its order, whether the server can sort, whether every row
/// starts checked.
pub struct ListView {
    pub order: Order,
    pub can_sort: bool,
    pub select_all: bool,
    /// Every message of the folder (or of the filter) is selected, not only the page's.
    pub select_folder: bool,
    /// The quick filter applied, if any.
    pub filter: Option<Filter>,
    pub per_page: u32,
}

/// One of the list's quick filters (All, Unread, Starred).
pub struct FilterLink {
    pub href: String,
    pub label: String,
    pub active: bool,
}

/// One choice of the sort menu.
pub struct SortChoice {
    pub key: &'static str,
    pub label: String,
    pub selected: bool,
}

impl Row {
    /// A conversation's row: its senders, its first subject, its newest date; read when all
    /// of it is read; it opens on the first unread message, else the newest.
    pub fn conversation(c: &Conversation, mailbox: &str, uidvalidity: u32, checked: bool, now: i64, tz: UserZone, i18n: &I18n) -> Option<Self> {
        let newest = c.items.last()?;
        let first = c.items.first()?;
        let mut row = Row::new(first, message_href(mailbox, uidvalidity, c.opens()), checked, now, tz, i18n);
        let latest = Row::new(newest, String::new(), false, now, tz, i18n);
        let mut names: Vec<String> = Vec::new();
        for item in &c.items {
            let h = mime::list_headers(&item.headers);
            let name = h.from.as_ref().map(|p| p.display()).filter(|s| !s.is_empty()).unwrap_or_else(|| i18n.t("list-unknown-sender"));
            if !names.contains(&name) {
                names.push(name);
            }
        }
        row.uid = c.opens();
        row.value = c.uids.iter().map(u32::to_string).collect::<Vec<_>>().join(",");
        row.count = c.uids.len();
        row.count_label = i18n.tn("list-conversation-count", "count", row.count as i64);
        row.from_title = names.join(", ");
        row.from = names.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
        row.date = latest.date;
        row.preview = latest.preview;
        row.size = latest.size;
        row.unread = !c.unseen.is_empty();
        row.flagged = c.flagged;
        row.answered = c.answered;
        row.attachment = row.attachment || c.items.iter().any(|i| mime::list_headers(&i.headers).has_attachment);
        let mut labels: Vec<String> = c.items.iter().flat_map(|i| i.labels.iter().cloned()).collect();
        labels.sort();
        labels.dedup();
        row.labels = labels.iter().map(|k| super::label_chip(k, i18n)).collect();
        Some(row)
    }
}

/// What a folder page lists: messages, or conversations.
pub enum Listing<'a> {
    Messages(&'a Page),
    Conversations(&'a ConversationPage),
    /// Messages that match a quick filter, and how many do.
    Filtered(&'a Page, u32),
}

#[derive(Template, WebTemplate)]
#[template(path = "pages/mailbox.html")]
pub struct MailboxPage {
    pub chrome: Chrome,
    pub uidvalidity: u32,
    pub page: u32,
    pub select_all_href: String,
    pub title: String,
    pub heading: String,
    pub count: String,
    pub rows: Vec<Row>,
    pub page_label: String,
    /// "1–50 of 100,000", numbers as the user's language writes them.
    pub range_label: String,
    pub first: Option<String>,
    pub newer: Option<String>,
    pub older: Option<String>,
    pub last: Option<String>,
    pub pages: u32,
    /// Fields the page-number form sends besides the number (the order, the filter).
    pub keep: Vec<(&'static str, String)>,
    pub filters: Vec<FilterLink>,
    pub filtered: bool,
    /// The quick filter's key, sent with the actions (a whole folder's selection means its messages).
    pub filter_key: Option<&'static str>,
    /// The folder (or the filter) holds more than the page: "select all N" is offered.
    pub more_than_page: bool,
    pub select_all: bool,
    pub select_folder: bool,
    pub select_folder_href: String,
    /// "All 50 on this page are selected.", "Select all 100,000 in Inbox", "All 100,000 in
    /// Inbox are selected."
    pub selected_page_text: String,
    pub select_folder_text: String,
    pub selected_folder_text: String,
    /// Where the sort menu's form goes (the folder's page).
    pub href: String,
    pub sort_choices: Vec<SortChoice>,
    pub descending: bool,
    pub can_sort: bool,
}

/// The keywords of the labels `rows` carry, each once.
pub fn labels_of(rows: &[&Row]) -> Vec<String> {
    let mut out: Vec<String> = rows.iter().flat_map(|r| r.labels.iter().filter_map(|l| l.value.strip_prefix("kw:").map(String::from))).collect();
    out.sort();
    out.dedup();
    out
}

/// The quick filters' links (All, Unread, Starred) of the folder at `href`.
fn filter_links(href: &str, active: Option<Filter>, i18n: &I18n) -> Vec<FilterLink> {
    [None, Some(Filter::Unread), Some(Filter::Starred)]
        .into_iter()
        .map(|f| FilterLink {
            href: match f {
                None => href.to_string(),
                Some(f) => format!("{href}?filter={}", f.key()),
            },
            label: i18n.t(&format!("filter-{}", f.map(Filter::key).unwrap_or("all"))),
            active: f == active,
        })
        .collect()
}

/// "26–50 of 60" for page `page_no` of `per_page` rows showing `shown` of `total`.
fn range_label(page_no: u32, per_page: u32, shown: u64, total: u64, i18n: &I18n) -> String {
    let first = u64::from(page_no.saturating_sub(1)) * u64::from(per_page) + 1;
    match shown {
        0 => i18n.t1("list-range-empty", "total", format::number(total, i18n)),
        n => i18n.ta(
            "list-range",
            &[
                ("first", FluentArg::Str(format::number(first, i18n))),
                ("last", FluentArg::Str(format::number(first + n - 1, i18n))),
                ("total", FluentArg::Str(format::number(total.max(first + n - 1), i18n))),
            ],
        ),
    }
}

impl MailboxPage {
    /// One page of folder `mailbox`, shown as `view` says.
    pub fn new(chrome: Chrome, folders: &[Folder], mailbox: &str, listing: Listing<'_>, view: ListView, tz: UserZone) -> Self {
        let ListView { order, can_sort, select_all, select_folder, filter, per_page } = view;
        let i18n = &chrome.i18n;
        let now = crate::clock::unix_secs();
        // The page, the number of pages, and how many rows all the pages hold.
        let (state, page_no, pages, total) = match &listing {
            Listing::Messages(p) => (&p.mailbox, p.page, p.pages, u64::from(p.mailbox.exists)),
            Listing::Conversations(p) => (&p.mailbox, p.page, p.pages, p.total as u64),
            Listing::Filtered(p, total) => (&p.mailbox, p.page, p.pages, u64::from(*total)),
        };
        // The messages "select all" reaches: the folder's, or the filter's.
        let messages_total = match &listing {
            Listing::Filtered(_, total) => u64::from(*total),
            _ => u64::from(state.exists),
        };
        let uv = state.uidvalidity;
        let rows: Vec<Row> = match listing {
            Listing::Messages(p) | Listing::Filtered(p, _) => {
                p.items.iter().map(|item| Row::new(item, message_href(mailbox, uv, item.uid), select_all, now, tz, i18n)).collect()
            }
            Listing::Conversations(p) => p.conversations.iter().filter_map(|c| Row::conversation(c, mailbox, uv, select_all, now, tz, i18n)).collect(),
        };
        let (heading, _) = super::folder_display(folders, mailbox, i18n);
        let href = folder_href(mailbox);
        let present = labels_of(&rows.iter().collect::<Vec<_>>());
        let rows_shown = rows.len();
        let label_menu = (super::label_choices(&present, &[], i18n), present.iter().map(|k| super::label_chip(k, i18n)).collect());
        // Paging links carry the order when it is not the default, and the filter.
        let mut keep: Vec<(&'static str, String)> = Vec::new();
        if order != Order::default() {
            keep.push(("sort", order.key.key().to_string()));
            keep.push(("order", (if order.descending { "desc" } else { "asc" }).to_string()));
        }
        if let Some(f) = filter {
            keep.push(("filter", f.key().to_string()));
        }
        let ordered: String = keep.iter().map(|(k, v)| format!("&{k}={v}")).collect();
        let at = |p: u32| format!("{href}?page={p}{ordered}");
        let filters = filter_links(&href, filter, i18n);
        let range_label = range_label(page_no, per_page, rows.len() as u64, total, i18n);
        let sort_choices = SortKey::ALL
            .into_iter()
            .filter(|k| can_sort || *k == SortKey::Arrival)
            .map(|k| SortChoice { key: k.key(), label: i18n.t(&format!("sort-{}", k.key())), selected: k == order.key })
            .collect();
        let mut page = Self {
            uidvalidity: uv,
            page: page_no,
            select_all_href: format!("{href}?page={page_no}{ordered}&select=all"),
            count: i18n.ta(
                "list-count",
                &[("count", FluentArg::Num(i64::from(state.exists))), ("shown", FluentArg::Str(format::number(u64::from(state.exists), i18n)))],
            ),
            page_label: i18n.ta(
                "list-page",
                &[("page", FluentArg::Num(page_no.into())), ("pages", FluentArg::Num(pages.into()))],
            ),
            range_label,
            first: (page_no > 2).then(|| at(1)),
            newer: (page_no > 1).then(|| at(page_no - 1)),
            older: (page_no < pages).then(|| at(page_no + 1)),
            last: (page_no + 1 < pages).then(|| at(pages)),
            pages,
            keep,
            filters,
            filtered: filter.is_some(),
            filter_key: filter.map(Filter::key),
            more_than_page: pages > 1,
            select_all,
            select_folder,
            select_folder_href: format!("{href}?page={page_no}{ordered}&select=folder"),
            selected_page_text: i18n.tn("list-selected-page", "count", rows_shown as i64),
            select_folder_text: i18n.ta("list-select-folder", &[("total", FluentArg::Str(format::number(messages_total, i18n))), ("folder", FluentArg::Str(heading.clone()))]),
            selected_folder_text: i18n.ta("list-selected-folder", &[("total", FluentArg::Str(format::number(messages_total, i18n))), ("folder", FluentArg::Str(heading.clone()))]),
            rows,
            sort_choices,
            descending: order.descending,
            can_sort,
            href,
            title: super::tab_title(folders, mailbox, i18n),
            heading,
            chrome,
        };
        (page.chrome.labels, page.chrome.label_removals) = label_menu;
        page.chrome.export_href = Some(format!("{}/export.mbox", super::folder_href(mailbox)));
        page
    }
}

/// Asks before deleting for good (the no-JavaScript path; with JavaScript a dialog asks).
#[derive(Template, WebTemplate)]
#[template(path = "pages/confirm.html")]
pub struct ConfirmPage {
    pub chrome: Chrome,
    pub title: String,
    pub question: String,
    pub uidvalidity: u32,
    pub uids: Vec<u32>,
    pub page: u32,
    pub back_href: String,
    /// Every message of the folder (of its quick filter, when `Some(Some(..))`): the form
    /// says so instead of listing them.
    pub whole: Option<Option<&'static str>>,
}

impl ConfirmPage {
    /// Asks whether to delete `messages` for good; `back_href`: where "Cancel" leads.
    pub fn new(chrome: Chrome, messages: &MessageSet, page: u32, back_href: String) -> Self {
        let i18n = &chrome.i18n;
        Self {
            title: i18n.t("confirm-title"),
            question: i18n.tn("confirm-delete-forever", "count", messages.uids.len() as i64),
            uidvalidity: messages.uidvalidity.0,
            uids: messages.uids.iter().map(|u| u.0).collect(),
            page,
            back_href,
            whole: None,
            chrome,
        }
    }

    /// Asks about every message of the folder, or of its quick filter `filter`.
    pub fn whole_folder(mut self, filter: Option<&'static str>) -> Self {
        self.uids.clear();
        self.whole = Some(filter);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_of_names_and_addresses() {
        assert_eq!(initials("Zoé Dupré"), "ZD");
        assert_eq!(initials("Jean-Pierre de la Fontaine"), "JF");
        assert_eq!(initials("alice"), "A");
        assert_eq!(initials("bob.smith@example.org"), "B");
        assert_eq!(initials("山田太郎"), "山");
        assert_eq!(initials("  "), "?");
        assert_eq!(initials("\"(Support)\""), "S");
        assert_eq!(initials("-- --"), "?");
        assert_eq!(initials("Sender 60"), "S");
        assert_eq!(colour_of("a@example.org"), colour_of("a@example.org"));
        assert!(colour_of("b@example.org") < AVATAR_COLOURS);
    }
}
