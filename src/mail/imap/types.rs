//! What the IMAP layer hands to the rest of Facteur: folders, list pages, messages.

use std::sync::Arc;

/// The special-use role of a folder (RFC 6154), or the Inbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Inbox,
    Drafts,
    Sent,
    Archive,
    Junk,
    Trash,
}

impl Role {
    pub const ALL: [Role; 6] = [Role::Inbox, Role::Drafts, Role::Sent, Role::Archive, Role::Junk, Role::Trash];

    pub fn key(self) -> &'static str {
        match self {
            Role::Inbox => "inbox",
            Role::Drafts => "drafts",
            Role::Sent => "sent",
            Role::Archive => "archive",
            Role::Junk => "junk",
            Role::Trash => "trash",
        }
    }

    /// Names that clients without SPECIAL-USE commonly give these folders.
    pub(super) fn from_common_name(name: &str) -> Option<Role> {
        let n = name.to_lowercase();
        let n = n.strip_prefix("inbox.").or_else(|| n.strip_prefix("inbox/")).unwrap_or(&n);
        match n {
            "drafts" | "draft" | "brouillons" => Some(Role::Drafts),
            "sent" | "sent items" | "sent messages" | "sent mail" | "envoyés" | "éléments envoyés" => {
                Some(Role::Sent)
            }
            "archive" | "archives" => Some(Role::Archive),
            "junk" | "spam" | "junk e-mail" | "junk email" | "indésirables" | "pourriel" => Some(Role::Junk),
            "trash" | "deleted items" | "deleted messages" | "corbeille" | "bin" => Some(Role::Trash),
            _ => None,
        }
    }
}

/// A folder as shown in the sidebar.
#[derive(Clone, Debug)]
pub struct Folder {
    /// Full name in UTF-8 (what URLs carry).
    pub name: String,
    /// Full name as the server spells it (modified UTF-7).
    pub wire: String,
    /// The last path segment, for display.
    pub label: String,
    /// Where it is among the user's folders, without the namespace prefix, segments joined by
    /// " / " ("Projects / 2024"), for menus that list folders flat.
    pub path: String,
    pub depth: usize,
    /// The server's hierarchy separator for this folder ("" when it has none).
    pub delimiter: String,
    pub role: Option<Role>,
    pub selectable: bool,
    /// Subscribed (shown in the sidebar); unsubscribed folders are listed in the settings.
    pub subscribed: bool,
    pub unread: u32,
    pub total: u32,
    /// The storage limit this folder counts against; fetched for the Inbox only (the one
    /// quota a hoster sets per mailbox), `None` elsewhere and where the server sets none.
    pub quota: Option<Quota>,
}

/// A storage limit and how much of it is used (RFC 9208 `STORAGE`), in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub used: u64,
    pub limit: u64,
}

impl Quota {
    /// How full, in whole percent (100 and more when full).
    pub fn percent(&self) -> u64 {
        (self.used.saturating_mul(100)).checked_div(self.limit).unwrap_or(100)
    }
}

/// The selected mailbox as last seen.
#[derive(Clone, Debug)]
pub struct MailboxState {
    pub name: String,
    pub uidvalidity: u32,
    pub exists: u32,
}

/// One row of a message list.
#[derive(Clone, Debug)]
pub struct ListItem {
    pub uid: u32,
    pub seen: bool,
    pub flagged: bool,
    pub answered: bool,
    pub size: u32,
    /// Raw header block of Date, From, Subject and Content-Type (decoded by the caller).
    pub headers: Vec<u8>,
    /// Arrival time, unix seconds.
    pub internal_date: Option<i64>,
    /// The first words of its text, from the server (PREVIEW), when it makes them.
    pub preview: Option<String>,
    /// Its labels: the keywords other apps show as tags (see [`super::wire::labels`]).
    pub labels: Vec<String>,
}

/// What a folder's list can be sorted by (RFC 5256 keys).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortKey {
    /// The order messages arrived in the folder (sequence numbers; no SORT needed).
    #[default]
    Arrival,
    /// The Date header.
    Date,
    /// The sender (its display name where the server can sort by it).
    From,
    /// The subject, without `Re:` and `Fwd:`.
    Subject,
    Size,
}

impl SortKey {
    pub const ALL: [SortKey; 5] = [SortKey::Date, SortKey::Arrival, SortKey::From, SortKey::Subject, SortKey::Size];

    /// The key's name in URLs (`?sort=`) and in the database.
    pub fn key(self) -> &'static str {
        match self {
            SortKey::Arrival => "arrival",
            SortKey::Date => "date",
            SortKey::From => "from",
            SortKey::Subject => "subject",
            SortKey::Size => "size",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == s)
    }
}

/// A list's order: a key and a direction. The default is newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Order {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for Order {
    fn default() -> Self {
        Self { key: SortKey::Arrival, descending: true }
    }
}

/// One page of a folder, in the order asked for.
/// A quick filter of a folder's list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    Unread,
    Starred,
}

impl Filter {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "unread" => Some(Filter::Unread),
            "starred" => Some(Filter::Starred),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Filter::Unread => "unread",
            Filter::Starred => "starred",
        }
    }

    /// The SEARCH key of the messages it shows.
    pub fn criteria(self) -> &'static str {
        match self {
            Filter::Unread => "UNSEEN",
            Filter::Starred => "FLAGGED",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Page {
    pub mailbox: MailboxState,
    pub page: u32,
    pub pages: u32,
    pub items: Vec<ListItem>,
}

/// A whole message as stored on the server.
#[derive(Clone, Debug)]
pub struct RawMessage {
    pub uid: u32,
    pub uidvalidity: u32,
    pub seen: bool,
    pub flagged: bool,
    /// Its labels (see [`super::wire::labels`]).
    pub labels: Vec<String>,
    pub bytes: Arc<Vec<u8>>,
}

/// A list page as fetched, with the highest MODSEQ among its rows.
pub(super) struct Window {
    pub(super) mailbox: String,
    pub(super) uidvalidity: u32,
    pub(super) page: u32,
    pub(super) per_page: u32,
    /// Oldest first (the window starts at sequence number 1).
    pub(super) ascending: bool,
    pub(super) exists: u32,
    pub(super) expunges: u64,
    pub(super) modseq: u64,
    /// (sequence number, row), in the page's order.
    pub(super) items: Vec<(u32, ListItem)>,
}
