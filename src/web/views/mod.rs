//! View models: plain structs already formatted for display, one module per screen. Templates
//! only lay them out. This module holds what every signed-in page shares: the frame around it
//! ([`Chrome`]) and the URLs of folders and messages.

pub mod archive;
pub mod compose;
pub mod devices;
pub mod errors;
pub mod filters;
pub mod folders;
pub mod login;
pub mod mailbox;
pub mod message;
pub mod scheduled;
pub mod snoozed;
pub mod search;
pub mod security;
pub mod settings;
pub mod space;

use super::assets;
use super::notice::Notice;
use crate::i18n::{FluentArg, I18n};
use crate::mail::imap::{Folder, Role};
use crate::web::format;

tokio::task_local! {
    /// The CSP nonce of the response being built, set by the security-headers middleware.
    pub static NONCE: String;
}

/// The CSP nonce of the response being built (empty outside a request): the only scripts a
/// page may run carry it.
pub fn nonce() -> String {
    NONCE.try_with(Clone::clone).unwrap_or_default()
}

/// Percent-encodes one path segment (folder names may contain `/`, `%`, spaces…).
pub fn seg(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

pub fn folder_href(name: &str) -> String {
    format!("/f/{}", seg(name))
}

pub fn message_href(mailbox: &str, uidvalidity: u32, uid: u32) -> String {
    format!("/m/{}/{uidvalidity}/{uid}", seg(mailbox))
}

/// The name users see for a folder: translated for the Inbox and special-use folders.
pub fn folder_title(f: &Folder, i18n: &I18n) -> String {
    match f.role {
        Some(r) => i18n.t(&format!("folder-{}", r.key())),
        None => f.label.clone(),
    }
}

/// A folder in a flat menu or list of choices: its title when it has a role, else its whole
/// path (`Projets / Facteur`).
pub fn folder_choice(f: &Folder, i18n: &I18n) -> String {
    if f.role.is_some() { folder_title(f, i18n) } else { f.path.clone() }
}

/// (name, label) of the folders that hold messages, for a `<select>`.
pub fn folder_choices(folders: &[Folder], i18n: &I18n) -> Vec<(String, String)> {
    folders.iter().filter(|f| f.selectable).map(|f| (f.name.clone(), folder_choice(f, i18n))).collect()
}

/// The translated title of folder `name` and its unread count.
pub fn folder_display(folders: &[Folder], name: &str, i18n: &I18n) -> (String, u32) {
    folders
        .iter()
        .find(|f| f.name == name)
        .map(|f| (folder_title(f, i18n), f.unread))
        .unwrap_or_else(|| (name.to_string(), 0))
}

/// "Inbox (3)" or "Inbox": a browser tab's title.
pub fn tab_title(folders: &[Folder], name: &str, i18n: &I18n) -> String {
    folder_display(folders, name, i18n).0
}

/// A tab's title: the unread count of the folder shown first, as `(3) `, when there is unread
/// mail, then the page's own title and the product's name. Live updates change the count only.
pub fn tab_text(unread: u32, title: &str, i18n: &I18n) -> String {
    let name = i18n.t("app-name");
    match unread {
        0 => format!("{title} · {name}"),
        n => format!("({n}) {title} · {name}"),
    }
}

/// A label (an IMAP keyword) as shown: its name and colour, and as a choice of the Labels
/// menu, the value its button posts and whether the message carries it.
pub struct LabelChip {
    pub value: String,
    pub text: String,
    pub colour: usize,
    pub on: bool,
}

/// Thunderbird's five tags, offered to every message: (keyword, name, colour).
const STANDARD_LABELS: [(&str, &str, usize); 5] =
    [("$label1", "label-important", 1), ("$label2", "label-work", 7), ("$label3", "label-personal", 2), ("$label4", "label-todo", 0), ("$label5", "label-later", 3)];

/// How `keyword` shows: Thunderbird's tags by their names, others as the user wrote them
/// (modified UTF-7 read back, `_` as a space), in a colour of their own.
pub fn label_chip(keyword: &str, i18n: &I18n) -> LabelChip {
    let standard = STANDARD_LABELS.iter().find(|(k, _, _)| k.eq_ignore_ascii_case(keyword));
    let (text, colour) = match standard {
        Some((_, name, colour)) => (i18n.t(name), *colour),
        None => (
            crate::mail::utf7::decode(keyword).unwrap_or_else(|| keyword.to_string()).replace('_', " "),
            keyword.bytes().fold(7usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b))) % 8,
        ),
    };
    LabelChip { value: format!("kw:{keyword}"), text, colour, on: false }
}

/// The Labels menu: Thunderbird's five, then the others in `present`; `on` those of `carried`.
pub fn label_choices(present: &[String], carried: &[String], i18n: &I18n) -> Vec<LabelChip> {
    let mut keys: Vec<&str> = STANDARD_LABELS.iter().map(|(k, _, _)| *k).collect();
    for k in present {
        if !keys.iter().any(|x| x.eq_ignore_ascii_case(k)) {
            keys.push(k);
        }
    }
    keys.into_iter()
        .map(|k| LabelChip { on: carried.iter().any(|c| c.eq_ignore_ascii_case(k)), ..label_chip(k, i18n) })
        .collect()
}

/// A link in a toolbar menu.
pub struct MenuLink {
    pub href: String,
    pub label: String,
    pub new_tab: bool,
}

pub struct FolderLink {
    pub href: String,
    pub label: String,
    pub depth: usize,
    pub unread: u32,
    pub unread_label: String,
    pub active: bool,
    pub icon: &'static str,
    pub selectable: bool,
}

/// A folder a message can be moved to.
pub struct MoveTarget {
    pub name: String,
    pub label: String,
}

/// One line of the keyboard shortcut help.
pub struct Shortcut {
    pub keys: &'static str,
    pub what: String,
}

/// What every logged-in page shows around its content.
pub struct Chrome {
    pub i18n: I18n,
    pub username: String,
    pub csrf: String,
    pub folders: Vec<FolderLink>,
    pub css: &'static str,
    pub js: &'static str,
    /// This response's CSP nonce: the only scripts the page may run carry it.
    pub nonce: String,
    /// The folder shown (UTF-8 name), for live updates.
    pub folder: String,
    pub role: Option<Role>,
    pub events: String,
    pub shortcuts: bool,
    pub shortcut_help: Vec<Shortcut>,
    pub move_targets: Vec<MoveTarget>,
    pub notice: Option<Notice>,
    /// On a message page: whether it is starred (the toolbar offers the opposite).
    pub message_flagged: Option<bool>,
    /// Links at the end of the toolbar's "More" menu (a message's source, …).
    pub more_links: Vec<MenuLink>,
    /// On a folder's list: where the selected messages download as one mbox.
    pub export_href: Option<String>,
    /// The Labels menu: labels to add (or, `on`, to remove), and on lists, the labels of the
    /// rows shown, to remove.
    pub labels: Vec<LabelChip>,
    pub label_removals: Vec<LabelChip>,
    /// What the search box holds: the query on a results page, `in:` the folder shown
    /// elsewhere (as Gmail does), nothing in the Inbox.
    pub search: String,
    /// Unread messages in the folder shown (the Inbox on pages of no folder): the tab's
    /// title and icon show it.
    pub unread: u32,
    /// The user's theme and density (attributes of `<html>` the style sheet follows).
    pub theme: String,
    pub density: String,
    /// The mailbox's size limit and its use, where the server has one.
    pub quota: Option<QuotaView>,
    /// "Your vacation reply is on", while it is.
    pub vacation: Option<String>,
    /// The toolbar offers "Snooze" (the outbox is on, and the page's actions take it).
    pub snooze: bool,
}

/// The mailbox's space in the sidebar ("12 MB of 200 MB used"), with a banner past 80 %.
pub struct QuotaView {
    pub text: String,
    pub percent: u64,
    /// `ok`, `warning` (80 % and more) or `full` (95 % and more).
    pub level: &'static str,
    /// The banner's words, from 80 %.
    pub banner: Option<String>,
}

impl QuotaView {
    pub fn new(q: &crate::mail::imap::Quota, i18n: &I18n) -> Self {
        let (used, limit) = (format::size(q.used, i18n), format::size(q.limit, i18n));
        let percent = q.percent();
        let level = match percent {
            95.. => "full",
            80.. => "warning",
            _ => "ok",
        };
        let banner = (level != "ok").then(|| {
            let key = if level == "full" { "quota-full" } else { "quota-warning" };
            i18n.ta(key, &[("percent", FluentArg::Num(percent as i64)), ("used", FluentArg::Str(used.clone())), ("limit", FluentArg::Str(limit.clone()))])
        });
        let text = i18n.ta("quota-used", &[("used", FluentArg::Str(used)), ("limit", FluentArg::Str(limit))]);
        Self { text, percent: percent.min(100), level, banner }
    }
}

impl Chrome {
    /// The tab's title for a page titled `title` (see [`tab_text`]).
    pub fn tab(&self, title: &str) -> String {
        tab_text(self.unread, title, &self.i18n)
    }
}

/// What the search box starts with on the page of folder `current`: `in:` that folder, as
/// Gmail does; nothing in the Inbox.
fn search_prefill(folders: &[Folder], current: &str) -> String {
    folders
        .iter()
        .find(|f| f.name == current && f.role != Some(Role::Inbox))
        .map(|f| format!("{} ", crate::mail::search::scope_words(f)))
        .unwrap_or_default()
}

const SHORTCUTS: &[(&str, &str)] = &[
    ("j / k", "key-next-prev"),
    ("o, Enter", "key-open"),
    ("u", "key-back"),
    ("x", "key-select"),
    ("s", "key-star"),
    ("e", "key-archive"),
    ("#", "key-delete"),
    ("!", "key-spam"),
    ("Shift+i / Shift+u", "key-read-unread"),
    ("v", "key-move"),
    ("b", "key-snooze"),
    ("g i / g s / g d / g t", "key-go"),
    ("c", "key-compose"),
    ("r / a / f", "key-reply"),
    ("/", "key-search"),
    ("?", "key-help"),
];

impl Chrome {
    pub fn new(
        i18n: I18n,
        user: &crate::web::auth::AuthData,
        folders: &[Folder],
        current: &str,
        notice: Option<Notice>,
    ) -> Self {
        // Unsubscribed folders stay out of the sidebar and menus (the Folders settings list them).
        let shown = || folders.iter().filter(|f| f.subscribed || f.role.is_some() || f.name == current);
        let names: std::collections::HashSet<&str> = shown().map(|f| f.name.as_str()).collect();
        // A folder whose parent is hidden shows at the top with its whole path.
        let orphan = |f: &Folder| f.depth > 0 && !f.delimiter.is_empty() && f.name.rsplit_once(f.delimiter.as_str()).is_some_and(|(p, _)| !names.contains(p));
        let links = shown()
            .map(|f| FolderLink {
                href: folder_href(&f.name),
                label: if orphan(f) { f.path.clone() } else { folder_title(f, &i18n) },
                depth: if orphan(f) { 0 } else { f.depth.min(6) },
                unread: f.unread,
                unread_label: i18n.tn("folder-unread", "count", i64::from(f.unread)),
                active: f.name == current,
                icon: f.role.map(Role::key).unwrap_or("folder"),
                selectable: f.selectable,
            })
            .collect();
        let move_targets = shown()
            .filter(|f| f.selectable && f.name != current)
            .map(|f| MoveTarget {
                name: f.name.clone(),
                // A flat menu: a folder inside another shows its path.
                label: folder_choice(f, &i18n),
            })
            .collect();
        let shortcut_help = SHORTCUTS.iter().map(|(keys, key)| Shortcut { keys, what: i18n.t(key) }).collect();
        Self {
            username: user.username.clone(),
            csrf: crate::secrets::mask_token(&user.csrf),
            folders: links,
            css: assets::css_url(),
            js: assets::js_url(),
            nonce: nonce(),
            folder: current.to_string(),
            role: folders.iter().find(|f| f.name == current).and_then(|f| f.role),
            events: format!("/events?folder={}", seg(current)),
            shortcuts: user.prefs.shortcuts,
            shortcut_help,
            move_targets,
            notice,
            message_flagged: None,
            more_links: Vec::new(),
            export_href: None,
            // Filled by the pages with a toolbar (lists, results, a message).
            labels: Vec::new(),
            label_removals: Vec::new(),
            search: search_prefill(folders, current),
            // Pages of no folder (settings, compose) count the Inbox, as their live updates do.
            unread: folders
                .iter()
                .find(|f| f.name == current)
                .or_else(|| folders.iter().find(|f| f.role == Some(Role::Inbox)))
                .map(|f| f.unread)
                .unwrap_or(0),
            theme: user.prefs.theme.clone(),
            density: user.prefs.density.clone(),
            quota: folders.iter().find_map(|f| f.quota.as_ref()).map(|q| QuotaView::new(q, &i18n)),
            vacation: None,
            snooze: false,
            i18n,
        }
    }

    pub fn in_trash(&self) -> bool {
        self.role == Some(Role::Trash)
    }

    pub fn in_junk(&self) -> bool {
        self.role == Some(Role::Junk)
    }

    pub fn actions_href(&self) -> String {
        format!("/f/{}/actions", seg(&self.folder))
    }
}

