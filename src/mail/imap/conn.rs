//! One user's IMAP connection and the operations the web pages need. Every command is bounded
//! by a timeout and every response stream is drained before the next command.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_imap::imap_proto::NameAttribute;
use async_imap::types::{Flag, StatusAttribute, UnsolicitedResponse};
use futures_util::TryStreamExt;

use super::connect::ImapSession;
use crate::mail::{MailError, utf7};

/// How long the folder list (with unread counts) is reused before it is fetched again.
const FOLDER_CACHE_TTL: Duration = Duration::from_secs(60);
/// Messages up to this size stay cached for the parts and frame requests that follow a view.
const MESSAGE_CACHE_MAX: usize = 4 * 1024 * 1024;

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
    fn from_common_name(name: &str) -> Option<Role> {
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
    pub depth: usize,
    pub role: Option<Role>,
    pub selectable: bool,
    pub unread: u32,
    pub total: u32,
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
}

/// One page of a folder, newest first.
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
    pub bytes: Arc<Vec<u8>>,
}

pub struct ImapConn {
    session: ImapSession,
    timeout: Duration,
    capabilities: Vec<String>,
    selected: Option<MailboxState>,
    folders: Option<(Instant, Arc<Vec<Folder>>)>,
    cached: Option<(String, RawMessage)>,
    /// The list window shown last, kept to refresh it in O(changes) with CONDSTORE.
    window: Option<Window>,
    /// EXPUNGEs seen on the selected mailbox so far (a window built before one is stale).
    expunges: u64,
}

/// A list page as fetched, with the highest MODSEQ among its rows.
struct Window {
    mailbox: String,
    uidvalidity: u32,
    page: u32,
    per_page: u32,
    exists: u32,
    expunges: u64,
    modseq: u64,
    /// (sequence number, row), newest first.
    items: Vec<(u32, ListItem)>,
}

async fn timed<T, E: Into<MailError>>(d: Duration, f: impl Future<Output = Result<T, E>>) -> Result<T, MailError> {
    let started = Instant::now();
    let r = match tokio::time::timeout(d, f).await {
        Ok(r) => r.map_err(Into::into),
        Err(_) => Err(MailError::Timeout),
    };
    crate::metrics::imap_command(started.elapsed(), r.is_ok());
    r
}

impl ImapConn {
    pub async fn new(mut session: ImapSession, timeout: Duration) -> Result<Self, MailError> {
        let caps = timed(timeout, session.capabilities()).await?;
        let capabilities = caps
            .iter()
            .map(|c| match c {
                async_imap::types::Capability::Imap4rev1 => "IMAP4REV1".to_string(),
                async_imap::types::Capability::Auth(a) => format!("AUTH={}", a.to_ascii_uppercase()),
                async_imap::types::Capability::Atom(a) => a.to_ascii_uppercase(),
            })
            .collect();
        Ok(Self { session, timeout, capabilities, selected: None, folders: None, cached: None, window: None, expunges: 0 })
    }

    pub fn has_capability(&self, cap: &str) -> bool {
        self.capabilities.iter().any(|c| c.eq_ignore_ascii_case(cap))
    }

    /// Applies what the server told us on the side (EXISTS, EXPUNGE) to the selected mailbox.
    fn absorb_unsolicited(&mut self) -> Vec<UnsolicitedResponse> {
        let mut others = Vec::new();
        let mut n = 0;
        while let Ok(r) = self.session.unsolicited_responses.try_recv() {
            n += 1;
            others.extend(self.apply_unsolicited(r));
        }
        // async-imap keeps at most 100 of them and drops the rest: past that, nothing we
        // know about the selected mailbox can be trusted; select it again next time.
        if n >= 90 {
            self.selected = None;
            self.window = None;
        }
        others
    }

    fn apply_unsolicited(&mut self, r: UnsolicitedResponse) -> Option<UnsolicitedResponse> {
        match (&r, self.selected.as_mut()) {
            (UnsolicitedResponse::Exists(n), Some(sel)) => sel.exists = *n,
            (UnsolicitedResponse::Expunge(_), Some(sel)) => {
                sel.exists = sel.exists.saturating_sub(1);
                self.expunges += 1;
            }
            _ => return Some(r),
        }
        None
    }

    /// Selects `name` (UTF-8) or, if it is already selected, asks the server for news (NOOP).
    pub async fn select(&mut self, name: &str) -> Result<MailboxState, MailError> {
        if let Some(sel) = &self.selected
            && sel.name == name
        {
            timed(self.timeout, self.session.noop()).await?;
            self.absorb_unsolicited();
            if let Some(sel) = &self.selected {
                return Ok(sel.clone());
            }
        }
        self.selected = None;
        self.window = None;
        let wire = utf7::encode(name);
        let mailbox = match timed(self.timeout, self.session.select(&wire)).await {
            Ok(m) => m,
            Err(MailError::No(_)) => {
                self.absorb_unsolicited();
                return Err(MailError::NotFound);
            }
            Err(e) => return Err(e),
        };
        let state = MailboxState {
            name: name.to_string(),
            uidvalidity: mailbox.uid_validity.unwrap_or(0),
            exists: mailbox.exists,
        };
        self.selected = Some(state.clone());
        // Responses to SELECT itself (FLAGS, EXISTS…) are already in `mailbox`.
        while self.session.unsolicited_responses.try_recv().is_ok() {}
        Ok(state)
    }

    /// The folder list with unread counts, cached for a minute.
    pub async fn folders(&mut self) -> Result<Arc<Vec<Folder>>, MailError> {
        if let Some((at, f)) = &self.folders
            && at.elapsed() < FOLDER_CACHE_TTL
        {
            return Ok(f.clone());
        }
        let folders = Arc::new(self.fetch_folders().await?);
        self.folders = Some((Instant::now(), folders.clone()));
        Ok(folders)
    }

    /// Forgets the cached folder list (after something changed counts).
    pub fn invalidate_folders(&mut self) {
        self.folders = None;
    }

    async fn fetch_folders(&mut self) -> Result<Vec<Folder>, MailError> {
        let list_status = self.has_capability("LIST-STATUS");
        let (folders, other) = load_folders(&mut self.session, self.timeout, list_status).await?;
        for r in other {
            self.apply_unsolicited(r);
        }
        self.absorb_unsolicited();
        Ok(folders)
    }

    /// One page (1-based) of `mailbox`, newest first, fetching only that window. When the same
    /// page was shown last and no message arrived or left since, only the rows whose flags
    /// changed are fetched (CONDSTORE `CHANGEDSINCE`): a refresh costs O(changes). Otherwise,
    /// or without CONDSTORE, the window is fetched again.
    pub async fn list_page(&mut self, mailbox: &str, page: u32, per_page: u32) -> Result<Page, MailError> {
        let state = self.select(mailbox).await?;
        let per_page = per_page.max(1);
        let pages = state.exists.div_ceil(per_page).max(1);
        let page = page.clamp(1, pages);
        let condstore = self.has_capability("CONDSTORE");
        let reusable = condstore
            && self.window.as_ref().is_some_and(|w| {
                w.mailbox == state.name
                    && w.uidvalidity == state.uidvalidity
                    && w.page == page
                    && w.per_page == per_page
                    && w.exists == state.exists
                    && w.expunges == self.expunges
            });
        if reusable
            && self.refresh_window().await?
            && let Some(w) = &self.window
        {
            let items = w.items.iter().map(|(_, i)| i.clone()).collect();
            return Ok(Page { mailbox: state, page, pages, items });
        }
        let mut items = Vec::new();
        let mut modseq = 0;
        if state.exists > 0 {
            let hi = state.exists - (page - 1) * per_page;
            let lo = hi.saturating_sub(per_page - 1).max(1);
            let query = if condstore {
                "(UID FLAGS MODSEQ RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT CONTENT-TYPE)])"
            } else {
                "(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT CONTENT-TYPE)])"
            };
            let timeout = self.timeout;
            let fetches = timed(timeout, async {
                let stream = self.session.fetch(format!("{lo}:{hi}"), query).await?;
                stream.try_collect::<Vec<_>>().await
            })
            .await?;
            self.absorb_unsolicited();
            for f in &fetches {
                let Some(uid) = f.uid else { continue };
                let (seen, flagged, answered) = flag_bits(f.flags());
                modseq = modseq.max(f.modseq.unwrap_or(0));
                items.push((
                    f.message,
                    ListItem {
                        uid,
                        seen,
                        flagged,
                        answered,
                        size: f.size.unwrap_or(0),
                        headers: f.header().map(<[u8]>::to_vec).unwrap_or_default(),
                        internal_date: f.internal_date().map(|d| d.timestamp()),
                    },
                ));
            }
            items.sort_by_key(|(seq, _)| std::cmp::Reverse(*seq));
        }
        self.window = (condstore && modseq > 0).then(|| Window {
            mailbox: state.name.clone(),
            uidvalidity: state.uidvalidity,
            page,
            per_page,
            exists: state.exists,
            expunges: self.expunges,
            modseq,
            items: items.clone(),
        });
        Ok(Page { mailbox: state, page, pages, items: items.into_iter().map(|(_, i)| i).collect() })
    }

    /// Applies flag changes since the window was fetched. `false`: fetch the window again.
    async fn refresh_window(&mut self) -> Result<bool, MailError> {
        let Some(w) = &self.window else { return Ok(false) };
        let (Some(hi), Some(lo)) = (w.items.first().map(|(s, _)| *s), w.items.last().map(|(s, _)| *s)) else {
            return Ok(false);
        };
        let since = w.modseq;
        let timeout = self.timeout;
        let fetches = timed(timeout, async {
            let stream = self.session.fetch(format!("{lo}:{hi}"), format!("(UID FLAGS) (CHANGEDSINCE {since})")).await?;
            stream.try_collect::<Vec<_>>().await
        })
        .await?;
        let expunges = self.expunges;
        self.absorb_unsolicited();
        let Some(w) = self.window.as_mut() else { return Ok(false) };
        if self.expunges != expunges {
            return Ok(false);
        }
        for f in &fetches {
            let Some(row) = w.items.iter_mut().find(|(seq, _)| *seq == f.message) else { return Ok(false) };
            if Some(row.1.uid) != f.uid {
                return Ok(false);
            }
            let (seen, flagged, answered) = flag_bits(f.flags());
            row.1.seen = seen;
            row.1.flagged = flagged;
            row.1.answered = answered;
            w.modseq = w.modseq.max(f.modseq.unwrap_or(0));
        }
        Ok(true)
    }

    /// The whole message, without setting \Seen. A changed UIDVALIDITY or a missing UID is
    /// [`MailError::NotFound`]. With `cached`, the copy kept from the last fetch of the same
    /// message may answer (for the frame and parts requests that follow a message page);
    /// without, the server is asked, so a message deleted elsewhere is noticed.
    pub async fn fetch_message(&mut self, mailbox: &str, uidvalidity: u32, uid: u32, cached: bool) -> Result<RawMessage, MailError> {
        let key = format!("{mailbox}\u{0}{uidvalidity}\u{0}{uid}");
        if let Some((k, m)) = &self.cached
            && *k == key
            && cached
        {
            return Ok(m.clone());
        }
        // A full select (NOOP when selected): the server's view of the folder must include
        // what other clients added or removed, or a new message would look missing.
        let state = self.select(mailbox).await?;
        if state.uidvalidity != uidvalidity {
            return Err(MailError::NotFound);
        }
        let timeout = self.timeout;
        let fetches = timed(timeout, async {
            let stream = self.session.uid_fetch(uid.to_string(), "(UID FLAGS BODY.PEEK[])").await?;
            stream.try_collect::<Vec<_>>().await
        })
        .await?;
        self.absorb_unsolicited();
        let Some(f) = fetches.into_iter().find(|f| f.uid == Some(uid)) else {
            return Err(MailError::NotFound);
        };
        let (seen, flagged, _) = flag_bits(f.flags());
        let bytes = Arc::new(f.body().map(<[u8]>::to_vec).unwrap_or_default());
        let msg = RawMessage { uid, uidvalidity, seen, flagged, bytes };
        if msg.bytes.len() <= MESSAGE_CACHE_MAX {
            self.cached = Some((key, msg.clone()));
        }
        Ok(msg)
    }

    /// Sets or clears \Seen on one message.
    pub async fn set_seen(&mut self, mailbox: &str, uidvalidity: u32, uid: u32, seen: bool) -> Result<(), MailError> {
        self.select_valid(mailbox, uidvalidity).await?;
        let op = if seen { "+FLAGS.SILENT (\\Seen)" } else { "-FLAGS.SILENT (\\Seen)" };
        let timeout = self.timeout;
        timed(timeout, async {
            let stream = self.session.uid_store(uid.to_string(), op).await?;
            stream.try_collect::<Vec<_>>().await
        })
        .await?;
        self.absorb_unsolicited();
        if let Some((_, m)) = self.cached.as_mut()
            && m.uid == uid
        {
            m.seen = seen;
        }
        self.adjust_unread(mailbox, if seen { -1 } else { 1 });
        Ok(())
    }

    fn adjust_unread(&mut self, mailbox: &str, delta: i64) {
        if let Some((at, folders)) = &self.folders {
            let mut v: Vec<Folder> = folders.as_ref().clone();
            for f in v.iter_mut().filter(|f| f.name == mailbox) {
                f.unread = (i64::from(f.unread) + delta).clamp(0, i64::from(f.total)) as u32;
            }
            self.folders = Some((*at, Arc::new(v)));
        }
    }

    /// Adds or removes `flags` (e.g. `\\Flagged`, `$Junk`) on messages of `mailbox`.
    pub async fn store_flags(&mut self, mailbox: &str, uidvalidity: u32, uids: &[u32], add: bool, flags: &str) -> Result<(), MailError> {
        if uids.is_empty() {
            return Ok(());
        }
        self.select_valid(mailbox, uidvalidity).await?;
        let op = format!("{}FLAGS.SILENT ({flags})", if add { "+" } else { "-" });
        let timeout = self.timeout;
        timed(timeout, async {
            let stream = self.session.uid_store(uid_set(uids), op).await?;
            stream.try_collect::<Vec<_>>().await
        })
        .await?;
        self.absorb_unsolicited();
        self.cached = None;
        if flags.contains("\\Seen") {
            self.invalidate_folders();
        }
        Ok(())
    }

    /// Moves messages to `target` (MOVE, or COPY + \Deleted + UID EXPUNGE of exactly these UIDs).
    /// Returns where they went, when the server says (COPYUID), for undo.
    pub async fn move_messages(&mut self, mailbox: &str, uidvalidity: u32, uids: &[u32], target: &str) -> Result<Moved, MailError> {
        if uids.is_empty() {
            return Ok(Moved::default());
        }
        self.select_valid(mailbox, uidvalidity).await?;
        let set = uid_set(uids);
        let target_wire = utf7::encode(target);
        let timeout = self.timeout;
        if self.has_capability("MOVE") {
            timed(timeout, self.session.uid_mv(&set, &target_wire)).await.map_err(not_found_on_no)?;
        } else {
            if !self.has_capability("UIDPLUS") {
                // A plain EXPUNGE would also remove what other clients marked \Deleted.
                return Err(MailError::No("the server supports neither MOVE nor UIDPLUS".into()));
            }
            timed(timeout, self.session.uid_copy(&set, &target_wire)).await.map_err(not_found_on_no)?;
            timed(timeout, async {
                let stream = self.session.uid_store(&set, "+FLAGS.SILENT (\\Deleted)").await?;
                stream.try_collect::<Vec<_>>().await
            })
            .await?;
            timed(timeout, async {
                let stream = self.session.uid_expunge(&set).await?;
                stream.try_collect::<Vec<_>>().await
            })
            .await?;
        }
        let mut moved = Moved::default();
        for r in self.absorb_unsolicited() {
            if let UnsolicitedResponse::Other(data) = r
                && let async_imap::imap_proto::Response::Data { outcome, .. } = data.parsed()
                && let Some(async_imap::imap_proto::ResponseCode::CopyUid(uv, _, dst)) = &outcome.code
            {
                moved.target_uidvalidity = Some(*uv);
                moved.new_uids.extend(expand_uid_set(dst));
            }
        }
        self.cached = None;
        self.invalidate_folders();
        Ok(moved)
    }

    /// Deletes messages for good: \Deleted + UID EXPUNGE of exactly these UIDs.
    pub async fn delete_forever(&mut self, mailbox: &str, uidvalidity: u32, uids: &[u32]) -> Result<(), MailError> {
        if uids.is_empty() {
            return Ok(());
        }
        self.select_valid(mailbox, uidvalidity).await?;
        let set = uid_set(uids);
        let timeout = self.timeout;
        timed(timeout, async {
            let stream = self.session.uid_store(&set, "+FLAGS.SILENT (\\Deleted)").await?;
            stream.try_collect::<Vec<_>>().await
        })
        .await?;
        if self.has_capability("UIDPLUS") {
            timed(timeout, async {
                let stream = self.session.uid_expunge(&set).await?;
                stream.try_collect::<Vec<_>>().await
            })
            .await?;
        }
        self.absorb_unsolicited();
        self.cached = None;
        self.invalidate_folders();
        Ok(())
    }

    /// Appends `message` to `mailbox` with `flags` (e.g. `\\Seen \\Draft`) and returns its
    /// UIDVALIDITY and UID when the server tells (UIDPLUS `APPENDUID`), else by searching the
    /// folder for `message_id`.
    pub async fn append(&mut self, mailbox: &str, flags: &str, message: &[u8], message_id: &str) -> Result<Option<(u32, u32)>, MailError> {
        use async_imap::imap_proto::{Response, ResponseCode, Status};
        let wire = utf7::encode(mailbox);
        let timeout = self.timeout;
        let quoted = quote(&wire).ok_or_else(|| MailError::No("bad folder name".into()))?;
        let mut placed = None;
        match std::str::from_utf8(message) {
            Ok(text) => {
                // async-imap's append() drops the tagged APPENDUID; read the replies here.
                let id = timed(timeout, self.session.run_command(format!("APPEND {quoted} ({flags}) {{{}}}", message.len()))).await?;
                let mut sent = false;
                loop {
                    let Some(r) = timed(timeout, async { self.session.read_response().await.map_err(async_imap::error::Error::Io) }).await? else {
                        return Err(MailError::Protocol("connection closed during APPEND".into()));
                    };
                    match r.parsed() {
                        Response::Continue { .. } if !sent => {
                            timed(timeout, self.session.run_command_untagged(text)).await?;
                            sent = true;
                        }
                        Response::Done { tag, status, outcome } if *tag == id => {
                            let information = &outcome.information;
                            match status {
                                Status::Ok => {}
                                Status::No => return Err(MailError::No(information.as_deref().unwrap_or("").to_string())),
                                _ => return Err(MailError::Protocol(information.as_deref().unwrap_or("APPEND failed").to_string())),
                            }
                            if let Some(ResponseCode::AppendUid(uv, set)) = &outcome.code {
                                placed = expand_uid_set(set).first().map(|uid| (*uv, *uid));
                            }
                            break;
                        }
                        _ => {}
                    }
                }
            }
            Err(_) => {
                timed(timeout, self.session.append(&wire, Some(&format!("({flags})")), None, message)).await?;
            }
        }
        self.absorb_unsolicited();
        self.invalidate_folders();
        if placed.is_none() && !message_id.is_empty() {
            let sel = self.select(mailbox).await?;
            let q = quote(message_id).ok_or_else(|| MailError::No("bad message id".into()))?;
            let found = timed(timeout, self.session.uid_search(format!("HEADER Message-ID {q}"))).await?;
            placed = found.into_iter().max().map(|uid| (sel.uidvalidity, uid));
        }
        if let Some(sel) = &self.selected
            && sel.name == mailbox
        {
            self.cached = None;
        }
        Ok(placed)
    }

    /// The folder with `role`; it is created when the server has none, as users expect.
    pub async fn folder_for(&mut self, role: Role) -> Result<Option<String>, MailError> {
        let folders = self.folders().await?;
        if let Some(f) = folders.iter().find(|f| f.role == Some(role)) {
            return Ok(Some(f.name.clone()));
        }
        let name = match role {
            Role::Archive => "Archive",
            Role::Junk => "Junk",
            Role::Trash => "Trash",
            Role::Drafts => "Drafts",
            Role::Sent => "Sent",
            Role::Inbox => return Ok(Some("INBOX".to_string())),
        };
        let timeout = self.timeout;
        match timed(timeout, self.session.create(utf7::encode(name))).await {
            Ok(()) | Err(MailError::No(_)) => {}
            Err(e) => return Err(e),
        }
        let _ = timed(timeout, self.session.subscribe(utf7::encode(name))).await;
        self.absorb_unsolicited();
        self.invalidate_folders();
        Ok(Some(name.to_string()))
    }

    /// Selects `mailbox` for a STORE, MOVE or EXPUNGE by UID and checks its UIDVALIDITY. The
    /// UIDs come from a page built on this connection after a sync, so an already selected
    /// mailbox is used as it is (no extra NOOP): opening an unread message costs one NOOP, one
    /// UID FETCH and one UID STORE.
    async fn select_valid(&mut self, mailbox: &str, uidvalidity: u32) -> Result<(), MailError> {
        let current = match &self.selected {
            Some(sel) if sel.name == mailbox => sel.uidvalidity,
            _ => self.select(mailbox).await?.uidvalidity,
        };
        if current != uidvalidity {
            return Err(MailError::NotFound);
        }
        Ok(())
    }

    /// Drops caches that an idle user does not need.
    pub fn trim(&mut self) {
        self.cached = None;
    }

    pub async fn logout(mut self) {
        let _ = timed(Duration::from_secs(5), self.session.logout()).await;
    }
}

/// Where moved messages went.
#[derive(Clone, Debug, Default)]
pub struct Moved {
    pub target_uidvalidity: Option<u32>,
    pub new_uids: Vec<u32>,
}

fn not_found_on_no(e: MailError) -> MailError {
    match e {
        MailError::No(_) => MailError::NotFound,
        e => e,
    }
}

/// A compact UID set: `1:3,7,9:10`.
pub fn uid_set(uids: &[u32]) -> String {
    let mut v: Vec<u32> = uids.to_vec();
    v.sort_unstable();
    v.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < v.len() {
        let start = v[i];
        let mut end = start;
        while i + 1 < v.len() && v[i + 1] == end + 1 {
            i += 1;
            end = v[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

fn expand_uid_set(set: &[async_imap::imap_proto::rfc4315::UidSetMember]) -> Vec<u32> {
    let mut out = Vec::new();
    for m in set {
        match m {
            async_imap::imap_proto::rfc4315::UidSetMember::Uid(u) => out.push(*u),
            async_imap::imap_proto::rfc4315::UidSetMember::UidRange(r) => out.extend(r.clone().take(100_000)),
        }
    }
    out
}

fn flag_bits<'a>(flags: impl Iterator<Item = Flag<'a>>) -> (bool, bool, bool) {
    let (mut seen, mut flagged, mut answered) = (false, false, false);
    for f in flags {
        match f {
            Flag::Seen => seen = true,
            Flag::Flagged => flagged = true,
            Flag::Answered => answered = true,
            _ => {}
        }
    }
    (seen, flagged, answered)
}

fn status_counts(attrs: &[StatusAttribute]) -> (u32, u32) {
    let (mut unseen, mut messages) = (0, 0);
    for a in attrs {
        match a {
            StatusAttribute::Unseen(n) => unseen = *n,
            StatusAttribute::Messages(n) => messages = *n,
            _ => {}
        }
    }
    (unseen, messages)
}

/// LIST with unread and total counts: one round trip with LIST-STATUS, else one STATUS per folder.
/// Also returns the other unsolicited responses seen meanwhile (EXISTS, EXPUNGE…) for the
/// caller to apply.
pub(super) async fn load_folders(
    session: &mut ImapSession,
    timeout: Duration,
    list_status: bool,
) -> Result<(Vec<Folder>, Vec<UnsolicitedResponse>), MailError> {
    let pattern = if list_status { "\"*\" RETURN (STATUS (MESSAGES UNSEEN))" } else { "\"*\"" };
    let names = timed(timeout, async {
        let stream = session.list(Some(""), Some(pattern)).await?;
        stream.try_collect::<Vec<_>>().await
    })
    .await?;
    let mut counts: HashMap<String, (u32, u32)> = HashMap::new();
    let mut other = Vec::new();
    while let Ok(r) = session.unsolicited_responses.try_recv() {
        match r {
            UnsolicitedResponse::Status { mailbox, attributes } => {
                counts.insert(unescape_quoted(&mailbox), status_counts(&attributes));
            }
            r => other.push(r),
        }
    }
    let mut raw = Vec::with_capacity(names.len());
    for n in &names {
        let wire = unescape_quoted(n.name());
        let delimiter = n.delimiter().unwrap_or("/").to_string();
        let attrs = n.attributes();
        let selectable = !attrs.iter().any(|a| {
            matches!(a, NameAttribute::NoSelect)
                || matches!(a, NameAttribute::Extension(e) if e.eq_ignore_ascii_case("\\NonExistent"))
        });
        let role = if wire.eq_ignore_ascii_case("INBOX") {
            Some(Role::Inbox)
        } else {
            attrs.iter().find_map(|a| match a {
                NameAttribute::Drafts => Some(Role::Drafts),
                NameAttribute::Sent => Some(Role::Sent),
                NameAttribute::Archive => Some(Role::Archive),
                NameAttribute::Junk => Some(Role::Junk),
                NameAttribute::Trash => Some(Role::Trash),
                _ => None,
            })
        };
        raw.push((wire, delimiter, selectable, role));
    }
    // Missing counts (no LIST-STATUS, or a server that skipped some): one STATUS each.
    for (wire, _, selectable, _) in &raw {
        if *selectable && !counts.contains_key(wire) {
            let mb = timed(timeout, session.status(wire, "(MESSAGES UNSEEN)")).await;
            while let Ok(r) = session.unsolicited_responses.try_recv() {
                if !matches!(r, UnsolicitedResponse::Status { .. }) {
                    other.push(r);
                }
            }
            if let Ok(mb) = mb {
                counts.insert(wire.clone(), (mb.unseen.unwrap_or(0), mb.exists));
            }
        }
    }
    Ok((arrange_folders(raw, &counts), other))
}

/// Orders folders the way mail apps do: Inbox, the special-use folders, then the rest as a tree.
pub fn arrange_folders(
    raw: Vec<(String, String, bool, Option<Role>)>,
    counts: &HashMap<String, (u32, u32)>,
) -> Vec<Folder> {
    let mut taken = std::collections::HashSet::new();
    let mut folders: Vec<Folder> = raw
        .into_iter()
        .map(|(wire, delim, selectable, role)| {
            let name = utf7::decode(&wire).unwrap_or_else(|| wire.clone());
            let (unread, total) = counts.get(&wire).copied().unwrap_or((0, 0));
            let depth = name.matches(delim.as_str()).count();
            let label = name.rsplit(delim.as_str()).next().unwrap_or(&name).to_string();
            Folder { name, wire, label, depth, role, selectable, unread, total }
        })
        .collect();
    // One folder per role: attributes win, then common names for roles still missing.
    for f in folders.iter_mut() {
        if let Some(r) = f.role
            && !taken.insert(r)
        {
            f.role = None;
        }
    }
    for f in folders.iter_mut() {
        if f.role.is_none()
            && let Some(r) = Role::from_common_name(&f.name)
            && taken.insert(r)
        {
            f.role = Some(r);
        }
    }
    let (mut special, mut rest): (Vec<Folder>, Vec<Folder>) = folders.into_iter().partition(|f| f.role.is_some());
    special.sort_by_key(|f| f.role);
    rest.sort_by_key(|f| f.name.to_lowercase());
    // A child whose parent is not in the tree shows its whole path.
    let names: std::collections::HashSet<String> = rest.iter().map(|f| f.name.clone()).collect();
    for f in rest.iter_mut() {
        if f.depth > 0 {
            let parent_len = f.name.len() - f.label.len();
            let parent = f.name[..parent_len.saturating_sub(1)].to_string();
            if !names.contains(&parent) {
                f.label = f.name.clone();
                f.depth = 0;
            }
        }
    }
    for f in special.iter_mut() {
        f.depth = 0;
    }
    special.extend(rest);
    special
}

/// A mailbox name as the server meant it. imap-proto hands quoted strings over with their
/// escapes (`\"`, `\\`) still in; a name with a quote or a backslash would otherwise be wrong
/// in every later command.
pub fn unescape_quoted(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(n @ ('"' | '\\')) => out.push(n),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// An IMAP quoted string, or `None` when `s` cannot be one (CR, LF, NUL or non-ASCII: those
/// need a literal).
pub fn quote(s: &str) -> Option<String> {
    if s.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0 || b >= 0x80) {
        return None;
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_are_compact() {
        assert_eq!(uid_set(&[5, 1, 2, 3, 9, 7, 8, 3]), "1:3,5,7:9");
        assert_eq!(uid_set(&[42]), "42");
    }

    #[test]
    fn inbox_then_special_use_then_a_tree() {
        let raw = vec![
            ("Zeta".to_string(), "/".to_string(), true, None),
            ("Trash".to_string(), "/".to_string(), true, Some(Role::Trash)),
            ("Famille/&AMk-t&AOk- 2026".to_string(), "/".to_string(), true, None),
            ("Famille".to_string(), "/".to_string(), true, None),
            ("INBOX".to_string(), "/".to_string(), true, Some(Role::Inbox)),
            ("Envoy&AOk-s".to_string(), "/".to_string(), true, None),
            ("Orphan/child".to_string(), "/".to_string(), true, None),
        ];
        let mut counts = HashMap::new();
        counts.insert("INBOX".to_string(), (3, 10));
        let f = arrange_folders(raw, &counts);
        let names: Vec<_> = f.iter().map(|f| f.label.as_str()).collect();
        assert_eq!(names, ["INBOX", "Envoyés", "Trash", "Famille", "Été 2026", "Orphan/child", "Zeta"]);
        assert_eq!(f[1].role, Some(Role::Sent), "common-name fallback");
        assert_eq!(f[4].depth, 1);
        assert_eq!(f[4].name, "Famille/Été 2026");
        assert_eq!(f[0].unread, 3);
    }
}

