//! Live updates. While a user has at least one tab open, a second IMAP connection of theirs
//! IDLEs on the folder shown and reports changes made by any client; unread counts of every
//! folder are refreshed with one LIST-STATUS at each change and at a modest interval.
//!
//! Why a second connection rather than IDLE on the request connection: IDLE holds the
//! connection, and leaving it for every click (DONE, command, IDLE again) adds a round trip to
//! each request and makes request latency depend on the watcher. Two connections per user (the
//! request one and this watcher) stay well under Dovecot's default of 10 per user and address,
//! however many tabs are open: all tabs of a user share one watcher.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::{Notify, broadcast, watch};

use super::connect::{ImapSession, TlsSetup, open_session_greeted};
use super::folders::load_folders;
use super::types::Folder;
use super::wire::timed;
use crate::mail::{Credentials, MailError, utf7};

/// What the browser tabs of a user are told.
#[derive(Clone, Debug)]
pub enum MailEvent {
    /// Messages of this folder (UTF-8 name) changed: new, flags, gone.
    Changed { folder: String },
    /// Unread and total counts of every folder.
    Counts { folders: Arc<Vec<Folder>> },
    /// The folder list itself changed (created, deleted, renamed).
    FoldersChanged,
    /// The watcher lost track for a while (reconnected): tabs should refresh.
    Resync,
    /// The server no longer accepts the user's password.
    Gone,
}

pub struct Watcher {
    events: broadcast::Sender<MailEvent>,
    folder: watch::Sender<String>,
    stop: watch::Sender<bool>,
    /// Bumped to make the watcher give its connection up for a while (see [`Watchers::release`]).
    pause: watch::Sender<u64>,
    /// Told once the watcher has logged out after a pause request.
    released: Arc<Notify>,
    /// Whether it holds a connection now.
    connected: Arc<AtomicBool>,
    /// When the user last did something ([`crate::clock::monotonic_ms`]).
    active: watch::Sender<u64>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl Watcher {
    /// Watches `folder` from now on (the folder the user looked at last).
    pub fn show(&self, folder: &str) {
        self.folder.send_if_modified(|f| {
            if f != folder {
                *f = folder.to_string();
                true
            } else {
                false
            }
        });
    }
}

pub struct Watchers {
    map: Mutex<HashMap<String, Weak<Watcher>>>,
    /// Watcher tasks still running (a stopped watcher logs out before its task ends).
    running: Arc<std::sync::atomic::AtomicUsize>,
    tls: TlsSetup,
    connect_timeout: Duration,
    command_timeout: Duration,
    poll: Duration,
    /// How long after the user's last request every folder is followed (NOTIFY).
    active_for: Duration,
}

impl Watchers {
    pub fn new(tls: TlsSetup, connect_timeout: Duration, command_timeout: Duration, poll: Duration, active_for: Duration) -> Self {
        Self { map: Mutex::new(HashMap::new()), running: Arc::default(), tls, connect_timeout, command_timeout, poll, active_for }
    }

    /// Joins (or starts) the watcher of `key` and points it at `folder`. The watcher lives as
    /// long as someone holds the returned handle.
    pub fn subscribe(&self, key: &str, creds: &Credentials, folder: &str) -> (Arc<Watcher>, broadcast::Receiver<MailEvent>) {
        let mut map = self.map.lock().unwrap_or_else(|p| p.into_inner());
        map.retain(|_, w| w.strong_count() > 0);
        if let Some(w) = map.get(key).and_then(Weak::upgrade) {
            w.show(folder);
            let rx = w.events.subscribe();
            return (w, rx);
        }
        let (events, rx) = broadcast::channel(64);
        let (folder_tx, folder_rx) = watch::channel(folder.to_string());
        let (stop_tx, stop_rx) = watch::channel(false);
        let (pause_tx, pause_rx) = watch::channel(0);
        let released = Arc::new(Notify::new());
        let connected = Arc::new(AtomicBool::new(false));
        let (active_tx, active_rx) = watch::channel(crate::clock::monotonic_ms());
        let w = Arc::new(Watcher {
            events: events.clone(),
            folder: folder_tx,
            stop: stop_tx,
            pause: pause_tx,
            released: released.clone(),
            connected: connected.clone(),
            active: active_tx,
        });
        map.insert(key.to_string(), Arc::downgrade(&w));
        let task = Task {
            tls: self.tls.clone(),
            creds: creds.clone(),
            connect_timeout: self.connect_timeout,
            command_timeout: self.command_timeout,
            poll: self.poll,
            active_for: self.active_for,
            events,
            folder: folder_rx,
            stop: stop_rx,
            pause: pause_rx,
            released,
            connected,
            active: active_rx,
            known: None,
        };
        let label: std::sync::Arc<str> = super::registry::upstream_label(creds).into();
        let running = self.running.clone();
        running.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        tokio::spawn(crate::metrics::UPSTREAM.scope(label, async move {
            task.run().await;
            running.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        }));
        (w, rx)
    }

    /// Notes that the user of `key` did something (a request): their watcher follows every
    /// folder with NOTIFY for a while (`imap.notify_seconds`) from now. After that it waits in
    /// plain IDLE on the folder shown, which a hibernating server can park for a few KiB (a
    /// connection that used NOTIFY is never parked, even after `NOTIFY NONE`), and looks at
    /// the other folders every [`QUIET_POLL`].
    pub fn touch(&self, key: &str) {
        let w = self.map.lock().unwrap_or_else(|p| p.into_inner()).get(key).and_then(Weak::upgrade);
        if let Some(w) = w {
            w.active.send_replace(crate::clock::monotonic_ms());
        }
    }

    /// Tells the tabs of `key` at once about a change Facteur itself made (another tab's
    /// action), without waiting for the server to report it back through IDLE.
    pub fn announce(&self, key: &str, event: MailEvent) {
        let w = self.map.lock().unwrap_or_else(|p| p.into_inner()).get(key).and_then(Weak::upgrade);
        if let Some(w) = w {
            let _ = w.events.send(event);
        }
    }

    /// Makes the watcher of `key` (if any) log out and stay away for [`PAUSE_AFTER_RELEASE`],
    /// so that its connection goes to the user's requests when the server allows no more.
    /// True once it has logged out (within a few seconds).
    pub async fn release(&self, key: &str) -> bool {
        let w = self.map.lock().unwrap_or_else(|p| p.into_inner()).get(key).and_then(Weak::upgrade);
        let Some(w) = w.filter(|w| w.connected.load(Ordering::SeqCst)) else { return false };
        let released = w.released.notified();
        w.pause.send_modify(|n| *n += 1);
        let done = tokio::time::timeout(Duration::from_secs(3), released).await.is_ok();
        if done {
            tracing::info!("the live-update connection gave way to a request (connection limit)");
        }
        done
    }

    /// Waits (up to `limit`) until every watcher has logged out, once their tabs are gone.
    pub async fn drained(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.running.load(std::sync::atomic::Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Watchers alive (one per user with open tabs).
    pub fn active(&self) -> usize {
        self.map.lock().unwrap_or_else(|p| p.into_inner()).values().filter(|w| w.strong_count() > 0).count()
    }
}

/// Empties the unsolicited responses; true when one says the selected folder changed
/// (EXISTS, EXPUNGE, FETCH FLAGS…) rather than another folder's STATUS.
fn take_news(session: &mut ImapSession) -> bool {
    let mut news = false;
    while let Ok(r) = session.unsolicited_responses.try_recv() {
        tracing::trace!(response = ?r, "unsolicited");
        news |= !matches!(r, async_imap::types::UnsolicitedResponse::Status { .. });
    }
    news
}

/// How this connection lists folders: with LIST-STATUS or not, and the namespace prefix.
struct Listing {
    list_status: bool,
    prefix: String,
}

/// How often a folder is looked at by NOOP when the server's IDLE cannot be relied on.
pub const QUICK_CHECK: Duration = Duration::from_secs(5);

/// Servers whose IDLE is known to report changes late, by their greeting.
pub(super) fn slow_idle(greeting: &str) -> bool {
    greeting.contains("Courier-IMAP")
}

/// How long a watcher that gave its connection up stays away.
pub const PAUSE_AFTER_RELEASE: Duration = Duration::from_secs(30);

/// How often the other folders' counts are refreshed once the user is quiet: each refresh
/// wakes a hibernated connection for a while.
pub const QUIET_POLL: Duration = Duration::from_secs(300);

/// How a watcher's connection ended without an error.
enum Ended {
    /// Its tabs are gone.
    Stop,
    /// The user went quiet: a new connection without NOTIFY follows, nothing is lost.
    Quiet,
}

struct Task {
    pause: watch::Receiver<u64>,
    released: Arc<Notify>,
    connected: Arc<AtomicBool>,
    tls: TlsSetup,
    creds: Credentials,
    connect_timeout: Duration,
    command_timeout: Duration,
    poll: Duration,
    active_for: Duration,
    events: broadcast::Sender<MailEvent>,
    folder: watch::Receiver<String>,
    stop: watch::Receiver<bool>,
    active: watch::Receiver<u64>,
    /// The counts last told to the tabs, kept from one connection to the next.
    known: Option<Arc<Vec<Folder>>>,
}

impl Wake {
    fn name(&self) -> &'static str {
        match self {
            Wake::Changed => "changed",
            Wake::Elsewhere => "elsewhere",
            Wake::Folders => "folders",
            Wake::Poll => "poll",
            Wake::FolderSwitch => "folder",
            Wake::Stop => "stop",
            Wake::Pause => "pause",
            Wake::Check => "check",
            Wake::Active => "active",
        }
    }
}

enum Wake {
    Changed,
    /// NOTIFY reported a change in another folder.
    Elsewhere,
    /// NOTIFY reported a folder created, renamed, deleted or (un)subscribed.
    Folders,
    Poll,
    FolderSwitch,
    Stop,
    /// Give the connection up for a while.
    Pause,
    /// Time to look again (no IDLE on this folder or server).
    Check,
    /// The quiet user did something: follow every folder again.
    Active,
}

impl Task {
    async fn run(mut self) {
        const FIRST_RETRY: Duration = Duration::from_millis(500);
        let mut backoff = FIRST_RETRY;
        let mut first = true;
        loop {
            if *self.stop.borrow() {
                break;
            }
            let mut connected = false;
            let r = self.watch(first, &mut connected).await;
            self.connected.store(false, Ordering::SeqCst);
            match r {
                Ok(Ended::Stop) => break,
                Ok(Ended::Quiet) => {
                    // Nothing was missed: no resync for the tabs (the counts known carry over).
                    tracing::debug!("the user is quiet: watching without NOTIFY");
                    first = true;
                    backoff = FIRST_RETRY;
                }
                Err(MailError::Auth) => {
                    let _ = self.events.send(MailEvent::Gone);
                    break;
                }
                Err(MailError::Limit(why)) => {
                    // The server allows no more connections: the user's requests come first.
                    // Tabs keep working without live updates until a connection is free. A
                    // connection given up on request waits the pause; refused reconnections
                    // wait longer each time.
                    tracing::info!(reason = %why, "watcher paused: too many connections");
                    first = false;
                    let wait = if connected { PAUSE_AFTER_RELEASE } else { backoff.max(PAUSE_AFTER_RELEASE) };
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = self.stop.changed() => break,
                    }
                    backoff = if connected { FIRST_RETRY } else { (wait * 2).min(Duration::from_secs(120)) };
                }
                Err(e) => {
                    tracing::info!(error = %e, "watcher connection lost; reconnecting");
                    first = false;
                    // Waits grow only while reconnecting fails; a connection that worked
                    // starts the count again.
                    if connected {
                        backoff = FIRST_RETRY;
                    }
                    // Spread: after a server restart every watcher lost its connection at
                    // the same moment, and would otherwise come back at the same moments.
                    tokio::select! {
                        _ = tokio::time::sleep(crate::clock::jittered(backoff)) => {}
                        _ = self.stop.changed() => break,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                }
            }
        }
        tracing::debug!("watcher stopped");
    }

    /// How long ago the user made their last request.
    fn since_active(&self) -> Duration {
        Duration::from_millis(crate::clock::monotonic_ms().saturating_sub(*self.active.borrow()))
    }

    /// Whether the user made a request within `active_for`.
    fn recently_active(&self) -> bool {
        self.since_active() < self.active_for
    }

    /// Asks the server to report changes in every folder (NOTIFY, RFC 5465) besides the one
    /// selected; false when it refuses.
    async fn notify_on(&self, session: &mut ImapSession) -> Result<bool, MailError> {
        // MailboxName and SubscriptionChange: folders created, renamed, deleted or
        // (un)subscribed by another client reach the open tabs too.
        let set = "NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) \
                   (personal (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange))";
        match timed(self.command_timeout, session.run_command_and_check_ok(set)).await {
            Ok(()) => Ok(true),
            Err(e) if e.breaks_connection() => Err(e),
            Err(e) => {
                tracing::debug!(error = %e, "NOTIFY refused; polling counts instead");
                Ok(false)
            }
        }
    }

    /// One connection's life, the counts known before it carried over to the next.
    /// `connected` turns true once the connection is open.
    async fn watch(&mut self, first: bool, connected: &mut bool) -> Result<Ended, MailError> {
        let mut last = self.known.take();
        let r = self.watch_with(first, connected, &mut last).await;
        self.known = last;
        r
    }

    async fn watch_with(&mut self, first: bool, connected: &mut bool, last: &mut Option<Arc<Vec<Folder>>>) -> Result<Ended, MailError> {
        let (mut session, greeting) =
            open_session_greeted(&self.creds.servers.imap, &self.tls, &self.creds, self.connect_timeout).await?;
        *connected = true;
        self.connected.store(true, Ordering::SeqCst);
        let caps = timed(self.command_timeout, session.capabilities()).await?;
        let listing = Listing {
            list_status: caps.has_str("LIST-STATUS"),
            prefix: if caps.has_str("NAMESPACE") {
                super::namespace::personal(&mut session, self.command_timeout).await?.unwrap_or_default().prefix
            } else {
                String::new()
            },
        };
        // IDLE that reports changes late (Courier-IMAP's, unless its hoster turned on
        // IMAP_ENHANCEDIDLE, looks at the folder once a minute), or no IDLE at all: a NOOP
        // every few seconds instead, while a tab is open.
        let polls = !caps.has_str("IDLE") || slow_idle(&greeting);
        if polls {
            tracing::debug!(every = ?QUICK_CHECK, "checking by NOOP: this server's IDLE is slow or missing");
        }
        // With NOTIFY (RFC 5465) the server also reports changes in every other folder (the
        // Inbox above all) while we IDLE on the one shown; without it, counts are polled.
        // Only while the user is active (see [`Watchers::touch`]).
        let can_notify = caps.has_str("NOTIFY");
        let mut notify = can_notify && self.recently_active() && self.notify_on(&mut session).await?;
        self.active.borrow_and_update();
        let mut counted = tokio::time::Instant::now();
        if !first {
            let _ = self.events.send(MailEvent::Resync);
        }
        loop {
            let folder = self.folder.borrow_and_update().clone();
            let selected = timed(self.command_timeout, session.examine(utf7::encode(&folder))).await.is_ok();
            while session.unsolicited_responses.try_recv().is_ok() {}
            self.counts(&mut session, &listing, last, &folder).await?;
            loop {
                if notify && !self.recently_active() {
                    // A connection that had NOTIFY is never hibernated: a new one without.
                    let _ = timed(Duration::from_secs(3), session.logout()).await;
                    return Ok(Ended::Quiet);
                }
                if selected {
                    // What changed while we were busy (LIST-STATUS does not sync the selected
                    // folder) would not be reported by IDLE: ask with NOOP before idling.
                    for _ in 0..3 {
                        timed(self.command_timeout, session.noop()).await?;
                        if !take_news(&mut session) {
                            break;
                        }
                        let _ = self.events.send(MailEvent::Changed { folder: folder.clone() });
                        self.counts(&mut session, &listing, last, &folder).await?;
                    }
                }
                // The other folders: NOTIFY tells of them; without it, they are looked at every
                // poll interval while the user is active, every QUIET_POLL once quiet. With
                // NOTIFY on, IDLE ends when the user goes quiet, to let NOTIFY go.
                let active = self.recently_active();
                let poll = if notify {
                    let left = self.active_for.saturating_sub(self.since_active());
                    self.poll.min(left + Duration::from_millis(50))
                } else if active {
                    self.poll
                } else {
                    self.poll.max(QUIET_POLL)
                };
                let wake_on_activity = can_notify && !notify;
                let (s, wake) = match (selected, polls) {
                    (true, false) => self.idle(session, poll, wake_on_activity).await?,
                    (true, true) => self.sleep(session, QUICK_CHECK.min(poll)).await,
                    (false, _) => self.sleep(session, poll).await,
                };
                session = s;
                // Without NOTIFY, when checking by NOOP anyway, the Inbox (where new mail
                // lands) is looked at too, by one STATUS: all counts are refreshed when it
                // moved, instead of at the next poll.
                let wake = match wake {
                    Wake::Check
                        if !notify
                            && !folder.eq_ignore_ascii_case("INBOX")
                            && counted.elapsed() < self.poll
                            && self.inbox_moved(&mut session, last.as_ref().map(|v| v.as_slice())).await? =>
                    {
                        Wake::Poll
                    }
                    w => w,
                };
                tracing::trace!(wake = wake.name(), "watcher woke");
                match wake {
                    Wake::Stop => {
                        let _ = timed(Duration::from_secs(3), session.logout()).await;
                        return Ok(Ended::Stop);
                    }
                    Wake::Active => {
                        // Back from quiet: NOTIFY again, and the counts it did not follow.
                        self.active.borrow_and_update();
                        notify = self.notify_on(&mut session).await?;
                        counted = tokio::time::Instant::now();
                        self.counts(&mut session, &listing, last, &folder).await?;
                    }
                    Wake::Pause => {
                        drop(session);
                        self.released.notify_waiters();
                        return Err(MailError::Limit("gave the connection to a request".into()));
                    }
                    Wake::FolderSwitch => break,
                    // The NOOP at the top of this loop looks at the folder shown; the other
                    // folders' counts are due at the poll interval.
                    Wake::Check if counted.elapsed() < self.poll => {}
                    Wake::Changed => {
                        // DONE collected the rest of the batch; the NOOP before the next IDLE
                        // catches anything later.
                        take_news(&mut session);
                        let _ = self.events.send(MailEvent::Changed { folder: folder.clone() });
                        self.counts(&mut session, &listing, last, &folder).await?;
                    }
                    Wake::Folders => {
                        let _ = self.events.send(MailEvent::FoldersChanged);
                        counted = tokio::time::Instant::now();
                        self.counts(&mut session, &listing, last, &folder).await?;
                    }
                    Wake::Elsewhere | Wake::Poll | Wake::Check => {
                        counted = tokio::time::Instant::now();
                        // The folder shown may have news in the same batch; `counts` tells the
                        // tabs which other folders changed.
                        if take_news(&mut session) {
                            let _ = self.events.send(MailEvent::Changed { folder: folder.clone() });
                        }
                        self.counts(&mut session, &listing, last, &folder).await?;
                    }
                }
            }
        }
    }

    /// IDLE until the server reports something, `poll` passes, the tabs move on, or (with
    /// `wake_on_activity`) the user does something.
    async fn idle(&mut self, session: ImapSession, poll: Duration, wake_on_activity: bool) -> Result<(ImapSession, Wake), MailError> {
        let unsolicited = session.unsolicited_responses.clone();
        let mut handle = session.idle();
        timed(self.command_timeout, handle.init()).await?;
        // Changes made just before IDLE are reported before its continuation and land among
        // the unsolicited responses: IDLE would not report them again.
        let (mut news, mut elsewhere) = (false, false);
        while let Ok(r) = unsolicited.try_recv() {
            match r {
                async_imap::types::UnsolicitedResponse::Status { .. } => elsewhere = true,
                _ => news = true,
            }
        }
        let pending = if news {
            Some(Wake::Changed)
        } else if elsewhere {
            Some(Wake::Elsewhere)
        } else {
            None
        };
        let wake = if let Some(w) = pending {
            w
        } else {
            let (wait, _interrupt) = handle.wait_with_timeout(poll);
            tokio::select! {
                r = wait => match r {
                    Ok(async_imap::extensions::idle::IdleResponse::NewData(data)) => {
                        tracing::trace!(response = ?data.parsed(), "IDLE reported");
                        match data.parsed() {
                        async_imap::imap_proto::Response::MailboxData(
                            async_imap::imap_proto::MailboxDatum::Status { .. },
                        ) => Wake::Elsewhere,
                        async_imap::imap_proto::Response::MailboxData(
                            async_imap::imap_proto::MailboxDatum::List { .. },
                        ) => Wake::Folders,
                        _ => Wake::Changed,
                    }},
                    Ok(async_imap::extensions::idle::IdleResponse::Timeout) => Wake::Poll,
                    // The stream ended: the connection is gone. DONE below reports the error.
                    Ok(async_imap::extensions::idle::IdleResponse::ManualInterrupt) => Wake::Poll,
                    Err(e) => return Err(e.into()),
                },
                _ = self.folder.changed() => Wake::FolderSwitch,
                _ = self.stop.changed() => Wake::Stop,
                _ = self.pause.changed() => Wake::Pause,
                _ = self.active.changed(), if wake_on_activity => Wake::Active,
            }
        };
        if matches!(wake, Wake::Pause) {
            // Hang up at once, without waiting for DONE or LOGOUT replies: a request is
            // waiting for this connection to be gone.
            drop(handle);
            self.released.notify_waiters();
            return Err(MailError::Limit("gave the connection to a request".into()));
        }
        let session = timed(self.command_timeout, handle.done()).await?;
        Ok((session, wake))
    }

    /// Whether the Inbox's counts differ from those last told to the tabs (one STATUS).
    async fn inbox_moved(&self, session: &mut ImapSession, last: Option<&[Folder]>) -> Result<bool, MailError> {
        let Some(known) = last.and_then(|l| l.iter().find(|f| f.name.eq_ignore_ascii_case("INBOX"))) else {
            return Ok(false);
        };
        // What the server says on the side meanwhile stays for `take_news`.
        let now = timed(self.command_timeout, session.status("INBOX", "(MESSAGES UNSEEN)")).await?;
        Ok((now.unseen.unwrap_or(0), now.exists) != (known.unread, known.total))
    }

    /// Without IDLE (a folder that cannot be selected, or a server whose IDLE is slow): waits
    /// `for_` and says [`Wake::Check`], unless the tabs move on first.
    async fn sleep(&mut self, session: ImapSession, for_: Duration) -> (ImapSession, Wake) {
        let wake = tokio::select! {
            _ = tokio::time::sleep(for_) => Wake::Check,
            _ = self.folder.changed() => Wake::FolderSwitch,
            _ = self.stop.changed() => Wake::Stop,
            _ = self.pause.changed() => Wake::Pause,
        };
        (session, wake)
    }

    /// Refreshes counts; tells the tabs what changed since last time. Changes to the folder
    /// shown that the server reported meanwhile (EXISTS, EXPUNGE, FETCH) are announced too:
    /// IDLE will not report them again.
    async fn counts(
        &self,
        session: &mut ImapSession,
        listing: &Listing,
        last: &mut Option<Arc<Vec<Folder>>>,
        shown: &str,
    ) -> Result<(), MailError> {
        let (folders, news) = load_folders(session, self.command_timeout, listing.list_status, &listing.prefix, false).await?;
        if !news.is_empty() {
            let _ = self.events.send(MailEvent::Changed { folder: shown.to_string() });
        }
        let folders = Arc::new(folders);
        if let Some(prev) = last.as_ref() {
            let names = |v: &[Folder]| v.iter().map(|f| f.name.clone()).collect::<Vec<_>>();
            if names(prev) != names(&folders) {
                let _ = self.events.send(MailEvent::FoldersChanged);
            }
            for f in folders.iter() {
                if let Some(p) = prev.iter().find(|p| p.name == f.name)
                    && (p.unread, p.total) != (f.unread, f.total)
                {
                    let _ = self.events.send(MailEvent::Changed { folder: f.name.clone() });
                }
            }
            let counts = |v: &[Folder]| v.iter().map(|f| (f.unread, f.total)).collect::<Vec<_>>();
            if counts(prev) != counts(&folders) {
                let _ = self.events.send(MailEvent::Counts { folders: folders.clone() });
            }
        } else {
            let _ = self.events.send(MailEvent::Counts { folders: folders.clone() });
        }
        *last = Some(folders);
        Ok(())
    }
}
