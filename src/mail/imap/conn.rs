//! One user's IMAP connection: its state (capabilities, selected mailbox, caches), the one way
//! commands are run on it, and mailbox selection. The operations pages need live in
//! [`super::folders`] and [`super::messages`]. Every command is bounded by a timeout and every
//! response stream is drained before the next command.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_imap::imap_proto::{MailboxDatum, Response, ResponseCode, Status};
use async_imap::types::UnsolicitedResponse;

use super::connect::ImapSession;
use super::namespace::{self, Namespace};
use super::raw;
use super::types::{Folder, MailboxState, RawMessage, Window};
use super::wire::{expand_uid_set, timed};
use crate::mail::{MailError, utf7};

/// Where the server says messages went (UIDPLUS, RFC 4315): a UIDVALIDITY and UIDs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Placed {
    /// `APPENDUID`: the appended message(s).
    Appended(u32, Vec<u32>),
    /// `COPYUID`: the source UIDs and their copies (or the moved messages) in the target
    /// folder of that UIDVALIDITY, in the same order.
    Copied(u32, Vec<u32>, Vec<u32>),
}

/// What [`ImapConn::tagged`] gathered from a command's replies.
#[derive(Debug, Default)]
pub(super) struct Replies {
    /// UIDPLUS codes, tagged or not.
    pub(super) placed: Vec<Placed>,
    /// How many EXPUNGE replies came.
    pub(super) expunged: usize,
    /// The numbers of `* SEARCH` and `* SORT` replies, in order.
    pub(super) found: Vec<u32>,
}

impl Placed {
    fn from_code(code: &ResponseCode) -> Option<Self> {
        match code {
            ResponseCode::AppendUid(uv, set) => Some(Self::Appended(*uv, expand_uid_set(set))),
            ResponseCode::CopyUid(uv, src, dst) => Some(Self::Copied(*uv, expand_uid_set(src), expand_uid_set(dst))),
            _ => None,
        }
    }
}

pub struct ImapConn {
    pub(super) session: ImapSession,
    pub(super) timeout: Duration,
    capabilities: Vec<String>,
    /// Where the user's own folders live (their prefix and separator).
    pub(super) namespace: Namespace,
    pub(super) selected: Option<MailboxState>,
    pub(super) folders: Option<(Instant, Arc<Vec<Folder>>)>,
    pub(super) cached: Option<(String, RawMessage)>,
    /// The list window shown last, kept to refresh it in O(changes) with CONDSTORE.
    pub(super) window: Option<Window>,
    /// EXPUNGEs seen on the selected mailbox so far (a window built before one is stale).
    pub(super) expunges: u64,
    /// A window of the selected folder's sorted order while it is unchanged.
    pub(super) sorted: Option<super::messages::SortWindow>,
    /// The selected folder's threads while it is unchanged.
    pub(super) threads: Option<super::threads::ThreadCache>,
    /// Commands sent through [`Self::raw`] so far (their tags).
    pub(super) raw_tags: u32,
    /// The server has ESORT but refused `RETURN (PARTIAL …)` in SORT.
    pub(super) no_partial: bool,
    /// The tag of the `IDLE` it waits in between requests, if it does (see [`Self::park`]).
    parked: Option<String>,
    /// Whether [`Self::park`] does anything (not on servers whose IDLE costs them more).
    parkable: bool,
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
            .collect::<Vec<String>>();
        let namespace = if capabilities.iter().any(|c| c == "NAMESPACE") {
            namespace::personal(&mut session, timeout).await?.unwrap_or_default()
        } else {
            Namespace::default()
        };
        Ok(Self {
            session,
            timeout,
            capabilities,
            namespace,
            selected: None,
            folders: None,
            cached: None,
            window: None,
            expunges: 0,
            sorted: None,
            threads: None,
            raw_tags: 0,
            no_partial: false,
            parked: None,
            parkable: true,
        })
    }

    /// The user's personal namespace, as the server told it at login.
    pub fn namespace(&self) -> &Namespace {
        &self.namespace
    }

    pub fn has_capability(&self, cap: &str) -> bool {
        self.capabilities.iter().any(|c| c.eq_ignore_ascii_case(cap))
    }

    /// Runs one command on this connection: bounded by the command timeout and measured (see
    /// [`timed`]), then what the server said on the side (EXISTS, EXPUNGE) is applied to the
    /// selected mailbox. Commands whose replies are a stream drain it with [`super::wire::all`].
    pub(super) async fn command<T, E: Into<MailError>>(
        &mut self,
        f: impl AsyncFnOnce(&mut ImapSession) -> Result<T, E>,
    ) -> Result<T, MailError> {
        self.command_noting(f).await.map(|(v, _)| v)
    }

    /// [`Self::command`], also returning the unsolicited responses it did not apply (e.g. the
    /// `COPYUID` of a MOVE).
    pub(super) async fn command_noting<T, E: Into<MailError>>(
        &mut self,
        f: impl AsyncFnOnce(&mut ImapSession) -> Result<T, E>,
    ) -> Result<(T, Vec<UnsolicitedResponse>), MailError> {
        let r = timed(self.timeout, f(&mut self.session)).await;
        let others = self.absorb_unsolicited();
        r.map(|v| (v, others))
    }

    /// Applies what the server told us on the side (EXISTS, EXPUNGE) to the selected mailbox.
    pub(super) fn absorb_unsolicited(&mut self) -> Vec<UnsolicitedResponse> {
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

    pub(super) fn apply_unsolicited(&mut self, r: UnsolicitedResponse) -> Option<UnsolicitedResponse> {
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

    /// Runs `command` reading every reply here rather than through async-imap, which drops
    /// the response code of a tagged OK (Courier puts `COPYUID` there, and every server puts
    /// `APPENDUID` there) and takes a NO to STORE, EXPUNGE or SEARCH for success. With
    /// `literal`, it is sent when the server asks for it. EXISTS and EXPUNGE are applied in
    /// the order they come. A NO with `TRYCREATE` (no such folder) is
    /// [`MailError::NotFound`]; any other NO is [`MailError::No`] with the server's words.
    pub(super) async fn tagged(&mut self, command: String, literal: Option<&str>) -> Result<Replies, MailError> {
        self.tagged_pieces(command, literal.map(|l| vec![l.to_string()]).unwrap_or_default()).await
    }

    /// [`Self::tagged`] for a command with several literals: `first` ends with the first
    /// literal's `{n}`; each of `rest` starts with a literal's bytes and ends with the next
    /// `{n}` or the command's end. Each is sent when the server asks for it.
    pub(super) async fn tagged_pieces(&mut self, first: String, rest: Vec<String>) -> Result<Replies, MailError> {
        let timeout = self.timeout;
        let id = timed(timeout, self.session.run_command(first)).await?;
        let mut rest = rest.into_iter();
        let mut replies = Replies::default();
        loop {
            let Some(r) = timed(timeout, async { self.session.read_response().await.map_err(async_imap::error::Error::Io) }).await? else {
                return Err(MailError::Protocol("connection closed during a command".into()));
            };
            match r.parsed() {
                Response::Continue { .. } => {
                    if let Some(piece) = rest.next() {
                        timed(timeout, self.session.run_command_untagged(piece)).await?;
                    }
                }
                Response::Done { tag, status, outcome } if *tag == id => {
                    let text = outcome.information.as_deref().unwrap_or("").to_string();
                    self.absorb_unsolicited();
                    match status {
                        Status::Ok => {}
                        Status::No if matches!(outcome.code, Some(ResponseCode::TryCreate)) => return Err(MailError::NotFound),
                        Status::No => return Err(MailError::No(text)),
                        _ => return Err(MailError::Protocol(format!("{status:?} {text}"))),
                    }
                    replies.placed.extend(outcome.code.as_ref().and_then(Placed::from_code));
                    return Ok(replies);
                }
                Response::Data { outcome, .. } => replies.placed.extend(outcome.code.as_ref().and_then(Placed::from_code)),
                Response::MailboxData(MailboxDatum::Exists(n)) => {
                    self.apply_unsolicited(UnsolicitedResponse::Exists(*n));
                }
                Response::MailboxData(MailboxDatum::Search(ids) | MailboxDatum::Sort(ids)) => replies.found.extend(ids.iter().copied()),
                Response::Expunge(n) => {
                    replies.expunged += 1;
                    self.apply_unsolicited(UnsolicitedResponse::Expunge(*n));
                }
                _ => {}
            }
        }
    }

    /// Runs `command` through [`raw`], for replies async-imap cannot parse (ESEARCH, THREAD,
    /// PREVIEW). EXISTS and EXPUNGE among the replies are applied; the others are returned,
    /// with how the command ended.
    pub(super) async fn raw(&mut self, command: &str) -> Result<(Vec<Vec<raw::Token>>, raw::Status), MailError> {
        self.raw_tags += 1;
        let tag = format!("fx{}", self.raw_tags);
        let (replies, status) = timed(self.timeout, raw::exchange(&mut self.session, &tag, command)).await?;
        Ok((self.apply_raw(replies), status))
    }

    /// Applies EXISTS and EXPUNGE among raw replies; returns the others.
    fn apply_raw(&mut self, replies: Vec<Vec<raw::Token>>) -> Vec<Vec<raw::Token>> {
        let mut others = Vec::with_capacity(replies.len());
        for r in replies {
            match (r.first().and_then(raw::Token::number), r.get(1)) {
                (Some(n), Some(t)) if t.is("EXISTS") => {
                    self.apply_unsolicited(UnsolicitedResponse::Exists(n));
                }
                (Some(n), Some(t)) if t.is("EXPUNGE") => {
                    self.apply_unsolicited(UnsolicitedResponse::Expunge(n));
                }
                _ => others.push(r),
            }
        }
        others
    }

    /// Waits in `IDLE` until the next command ([`Self::unpark`]). A connection left alone
    /// between requests keeps a whole server process busy; one in IDLE can be hibernated
    /// (Dovecot's `imap_hibernate_timeout`: handed to one `imap-hibernate` process for a few
    /// KiB, its `imap` process gone) and is brought back when the client speaks. Servers
    /// without IDLE are left as they are.
    pub async fn park(&mut self) -> Result<(), MailError> {
        if self.parked.is_some() || !self.parkable || !self.has_capability("IDLE") {
            return Ok(());
        }
        self.raw_tags += 1;
        let tag = format!("fx{}", self.raw_tags);
        let (replies, refused) = timed(self.timeout, raw::idle_start(&mut self.session, &tag)).await?;
        self.apply_raw(replies);
        if refused.is_none() {
            self.parked = Some(tag);
        }
        Ok(())
    }

    /// Ends the IDLE of [`Self::park`], if any, applying what changed meanwhile. An error
    /// means the connection is gone (a server may close an idling one).
    pub async fn unpark(&mut self) -> Result<(), MailError> {
        let Some(tag) = self.parked.take() else { return Ok(()) };
        let (replies, status) = timed(self.timeout, raw::idle_done(&mut self.session, &tag)).await?;
        self.apply_raw(replies);
        status.into_result().map_err(|e| MailError::Protocol(format!("IDLE ended badly: {e}")))
    }

    pub fn may_park(&mut self, parkable: bool) {
        self.parkable = parkable;
    }

    pub fn parked(&self) -> bool {
        self.parked.is_some()
    }

    /// Selects `name` (UTF-8) or, if it is already selected, asks the server for news (NOOP).
    pub async fn select(&mut self, name: &str) -> Result<MailboxState, MailError> {
        if let Some(sel) = &self.selected
            && sel.name == name
        {
            self.command(async |s| s.noop().await).await?;
            if let Some(sel) = &self.selected {
                return Ok(sel.clone());
            }
        }
        self.selected = None;
        self.window = None;
        let wire = utf7::encode(name);
        // Nothing is selected while SELECT runs, so the responses to SELECT itself (FLAGS,
        // EXISTS…), already in `mailbox`, are not applied twice.
        let mailbox = match self.command(async |s| s.select(&wire).await).await {
            Ok(m) => m,
            Err(MailError::No(_)) => return Err(MailError::NotFound),
            Err(e) => return Err(e),
        };
        let state = MailboxState {
            name: name.to_string(),
            uidvalidity: mailbox.uid_validity.unwrap_or(0),
            exists: mailbox.exists,
        };
        self.selected = Some(state.clone());
        Ok(state)
    }

    /// Selects `mailbox` for a STORE, MOVE or EXPUNGE by UID and checks its UIDVALIDITY. The
    /// UIDs come from a page built on this connection after a sync, so an already selected
    /// mailbox is used as it is (no extra NOOP): opening an unread message costs one NOOP, one
    /// UID FETCH and one UID STORE.
    pub(super) async fn select_valid(&mut self, mailbox: &str, uidvalidity: u32) -> Result<(), MailError> {
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
        self.threads = None;
        self.sorted = None;
    }

    pub async fn logout(mut self) {
        if self.parked.is_some() && timed(Duration::from_secs(5), self.unpark()).await.is_err() {
            return;
        }
        let _ = timed(Duration::from_secs(5), self.session.logout()).await;
    }
}
