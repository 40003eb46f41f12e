//! The one door to every user's IMAP connection.
//!
//! Each logged-in user (all their web sessions together) has a slot holding at most one live connection, guarded by an
//! async mutex: requests of the same user take turns on it (IMAP is one command at a time
//! anyway), requests of different users never wait for each other. A connection that breaks
//! or times out is dropped and, if it was an old one, reopened once from the user's
//! credentials; connections unused for the idle timeout are logged out by a reaper and reopened
//! on the next request. A request waits for its turn at most as long as a connect and a
//! command may take: one stuck request does not hold up the user's others for ever.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use tokio::sync::MutexGuard;

use super::conn::ImapConn;
use super::connect::{TlsSetup, open_session_greeted};
use crate::clock::monotonic_ms;
use crate::mail::{Credentials, MailError};

struct Slot {
    conn: tokio::sync::Mutex<Option<ImapConn>>,
    /// [`crate::clock::monotonic_ms`] at the last use.
    last_used: AtomicU64,
    /// Another connection saw counts change: the cached folder list is out of date.
    folders_stale: AtomicBool,
    /// A second connection kept for a short while after it searched other folders beside
    /// a big one (see [`Registry::side`]), with when it was last given back.
    side: Mutex<Option<(ImapConn, u64)>>,
}

/// How long a second connection is kept unused before it is logged out: long enough for
/// the next message read, short enough that an idle user holds one connection.
const SIDE_IDLE_MS: u64 = 30_000;

/// How long a user's connection stays unused before it waits in IDLE ([`ImapConn::park`]),
/// where a hibernating server can park it for a few KiB. Shorter than reading a message
/// takes; the IDLE itself costs one round trip, off any request's way.
const PARK_AFTER_MS: u64 = 5_000;

pub struct Registry {
    slots: Mutex<HashMap<String, Arc<Slot>>>,
    tls: TlsSetup,
    connect_timeout: Duration,
    command_timeout: Duration,
    idle_timeout: Duration,
    /// How long a request waits for the user's connection to be free.
    wait_timeout: Duration,
    connects: AtomicU64,
    /// The live-update connections, which give way when the server allows no more and are
    /// told when their user is active.
    watchers: std::sync::OnceLock<Arc<super::Watchers>>,
}

/// `host:port` of the user's IMAP server, the label of its metrics.
pub fn upstream_label(creds: &Credentials) -> String {
    format!("{}:{}", creds.servers.imap.host, creds.servers.imap.port)
}

impl Registry {
    /// The TLS settings of upstream servers (ManageSieve uses them too).
    pub fn tls(&self) -> &TlsSetup {
        &self.tls
    }

    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    pub fn new(
        tls: TlsSetup,
        connect_timeout: Duration,
        command_timeout: Duration,
        idle_timeout: Duration,
    ) -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
            tls,
            connect_timeout,
            command_timeout,
            idle_timeout,
            wait_timeout: connect_timeout + command_timeout,
            connects: AtomicU64::new(0),
            watchers: std::sync::OnceLock::new(),
        }
    }

    /// The watchers whose connections give way to requests when the server refuses one more.
    pub fn yield_to(&self, watchers: Arc<super::Watchers>) {
        let _ = self.watchers.set(watchers);
    }

    /// [`Self::open`]; when the server refuses for a connection limit and the user's own
    /// live-update connection is one of those counted, that one gives way and this is tried
    /// once more: a click matters more than live updates.
    async fn open_for(&self, key: &str, creds: &Credentials) -> Result<ImapConn, MailError> {
        match self.open(creds).await {
            Err(MailError::Limit(why)) => {
                let released = match self.watchers.get() {
                    Some(w) => w.release(key).await,
                    None => false,
                };
                if !released {
                    tracing::warn!(reason = %why, "the mail server refused a connection: too many connections");
                    return Err(MailError::Limit(why));
                }
                // The server may count the watcher's connection a moment longer (its process
                // has to notice the hang-up, later on a busy server): a few tries, closer
                // together first, about 5 s in all.
                let mut last = MailError::Limit(why);
                for wait in [0, 100, 300, 800, 1500, 2500] {
                    tokio::time::sleep(Duration::from_millis(wait)).await;
                    match self.open(creds).await {
                        Err(MailError::Limit(why)) => last = MailError::Limit(why),
                        r => return r,
                    }
                }
                tracing::warn!(reason = %last, "the mail server refused a connection: too many connections");
                Err(last)
            }
            r => r,
        }
    }

    fn slot(&self, key: &str) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots
            .entry(key.to_string())
            .or_insert_with(|| {
                Arc::new(Slot {
                    conn: tokio::sync::Mutex::new(None),
                    last_used: AtomicU64::new(monotonic_ms()),
                    folders_stale: AtomicBool::new(false),
                    side: Mutex::new(None),
                })
            })
            .clone()
    }

    /// Takes the slot's connection once the request before is done with it, or gives up with
    /// [`MailError::Timeout`] after the wait timeout.
    async fn acquire<'a>(&self, slot: &'a Slot) -> Result<MutexGuard<'a, Option<ImapConn>>, MailError> {
        tokio::time::timeout(self.wait_timeout, slot.conn.lock()).await.map_err(|_| {
            tracing::warn!("the IMAP connection stayed busy; giving up on this request");
            MailError::Timeout
        })
    }

    async fn open(&self, creds: &Credentials) -> Result<ImapConn, MailError> {
        let (session, greeting) = open_session_greeted(&creds.servers.imap, &self.tls, creds, self.connect_timeout).await?;
        self.connects.fetch_add(1, Ordering::Relaxed);
        crate::metrics::imap_connect(&upstream_label(creds));
        let mut conn = ImapConn::new(session, self.command_timeout).await?;
        // Courier-IMAP's IDLE keeps a process polling the folder: waiting in it would cost
        // that server more, not less.
        conn.may_park(!super::watch::slow_idle(&greeting));
        Ok(conn)
    }

    /// A second connection for work beside the user's own (searching other folders while
    /// theirs stays on the big folder shown): the one kept from the last time, else a new
    /// one. Given back with [`Self::keep_side`], it is kept for [`SIDE_IDLE_MS`]. Not retried
    /// at a connection limit: the caller then does the work on the user's connection.
    pub async fn side(&self, key: &str, creds: &Credentials) -> Result<ImapConn, MailError> {
        let kept = self.slot(key).side.lock().unwrap_or_else(|p| p.into_inner()).take();
        match kept {
            Some((conn, _)) => Ok(conn),
            None => self.open(creds).await,
        }
    }

    /// Keeps a second connection for the next [`Self::side`]; logs it out when the user's
    /// slot is gone (logged out meanwhile) or another one is kept already.
    pub async fn keep_side(&self, key: &str, conn: ImapConn) {
        let slot = self.slots.lock().unwrap_or_else(|p| p.into_inner()).get(key).cloned();
        let spare = match slot {
            Some(slot) => {
                let mut side = slot.side.lock().unwrap_or_else(|p| p.into_inner());
                match side.as_ref() {
                    None => {
                        *side = Some((conn, monotonic_ms()));
                        None
                    }
                    Some(_) => Some(conn),
                }
            }
            None => Some(conn),
        };
        if let Some(conn) = spare {
            conn.logout().await;
        }
    }

    /// Logs in for a new web session and keeps the connection under `key`.
    pub async fn login(&self, key: &str, creds: &Credentials) -> Result<(), MailError> {
        crate::metrics::UPSTREAM.scope(upstream_label(creds).into(), self.login_inner(key, creds)).await
    }

    async fn login_inner(&self, key: &str, creds: &Credentials) -> Result<(), MailError> {
        let conn = self.open_for(key, creds).await?;
        let slot = self.slot(key);
        let mut guard = match self.acquire(&slot).await {
            Ok(g) => g,
            Err(e) => {
                conn.logout().await;
                return Err(e);
            }
        };
        if let Some(old) = guard.replace(conn) {
            old.logout().await;
        }
        slot.last_used.store(monotonic_ms(), Ordering::Relaxed);
        Ok(())
    }

    /// Runs `op` on the user's connection, opening one first if there is none. When an old
    /// connection turns out to be broken, it is replaced and `op` runs once more.
    pub async fn run<T, F>(&self, key: &str, creds: &Credentials, op: F) -> Result<T, MailError>
    where
        F: for<'a> FnMut(&'a mut ImapConn) -> BoxFuture<'a, Result<T, MailError>>,
    {
        crate::metrics::UPSTREAM.scope(upstream_label(creds).into(), self.run_inner(key, creds, op)).await
    }

    async fn run_inner<T, F>(&self, key: &str, creds: &Credentials, mut op: F) -> Result<T, MailError>
    where
        F: for<'a> FnMut(&'a mut ImapConn) -> BoxFuture<'a, Result<T, MailError>>,
    {
        let slot = self.slot(key);
        // The user is active: their watcher follows every folder for a while.
        if let Some(w) = self.watchers.get() {
            w.touch(key);
        }
        let mut guard = self.acquire(&slot).await?;
        slot.last_used.store(monotonic_ms(), Ordering::Relaxed);
        let mut reused = guard.is_some();
        let mut conn = match guard.take() {
            Some(mut c) => match c.unpark().await {
                Ok(()) => c,
                Err(e) => {
                    // The server closed it while it waited (a restart, its own timeout).
                    tracing::info!(error = %e, "the waiting IMAP connection is gone, reconnecting");
                    drop(c);
                    reused = false;
                    self.open_for(key, creds).await?
                }
            },
            None => self.open_for(key, creds).await?,
        };
        if slot.folders_stale.swap(false, Ordering::Relaxed) {
            conn.invalidate_folders();
        }
        match op(&mut conn).await {
            Ok(v) => {
                *guard = Some(conn);
                Ok(v)
            }
            Err(e) if e.breaks_connection() && reused => {
                tracing::info!(error = %e, "IMAP connection lost, reconnecting");
                drop(conn);
                let mut fresh = self.open_for(key, creds).await?;
                let r = op(&mut fresh).await;
                match &r {
                    Err(e) if e.breaks_connection() => {}
                    _ => *guard = Some(fresh),
                }
                r
            }
            Err(e) => {
                if !e.breaks_connection() {
                    *guard = Some(conn);
                }
                Err(e)
            }
        }
    }

    /// Tells the connection of `key` that its cached folder counts are out of date.
    pub fn mark_folders_stale(&self, key: &str) {
        if let Some(slot) = self.slots.lock().unwrap_or_else(|p| p.into_inner()).get(key) {
            slot.folders_stale.store(true, Ordering::Relaxed);
        }
    }

    /// Logs out and forgets the connection of `key`.
    pub async fn logout(&self, key: &str) {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots.remove(key)
        };
        if let Some(slot) = slot {
            let side = slot.side.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some((side, _)) = side {
                side.logout().await;
            }
            // Still busy: the connection is dropped with the slot once that request is done.
            let conn = self.acquire(&slot).await.ok().and_then(|mut g| g.take());
            if let Some(conn) = conn {
                conn.logout().await;
            }
        }
    }

    /// Number of IMAP connections currently open.
    pub fn open_connections(&self) -> usize {
        let slots: Vec<Arc<Slot>> = self.slots.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        let sides = slots.iter().filter(|s| s.side.lock().unwrap_or_else(|p| p.into_inner()).is_some()).count();
        sides + slots.iter().filter(|s| s.conn.try_lock().map(|g| g.is_some()).unwrap_or(true)).count()
    }

    /// How many connections were opened since start (logins and reconnects).
    pub fn connects(&self) -> u64 {
        self.connects.load(Ordering::Relaxed)
    }

    /// One pass of the reaper: logs out connections idle longer than the idle timeout, trims
    /// caches of users idle for a minute, forgets long-empty slots.
    pub async fn reap(&self) {
        let now = monotonic_ms();
        let idle_ms = self.idle_timeout.as_millis() as u64;
        let slots: Vec<(String, Arc<Slot>)> = self
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (key, slot) in slots {
            let side = {
                let mut side = slot.side.lock().unwrap_or_else(|p| p.into_inner());
                match side.as_ref() {
                    Some((_, at)) if now.saturating_sub(*at) >= SIDE_IDLE_MS.min(idle_ms) => side.take(),
                    _ => None,
                }
            };
            if let Some((side, _)) = side {
                side.logout().await;
            }
            let idle = now.saturating_sub(slot.last_used.load(Ordering::Relaxed));
            let Ok(mut guard) = slot.conn.try_lock() else { continue };
            if idle >= idle_ms {
                if let Some(conn) = guard.take() {
                    tracing::debug!("logging out an idle IMAP connection");
                    conn.logout().await;
                }
                if idle >= idle_ms.saturating_mul(2) {
                    drop(guard);
                    let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
                    if slots.get(&key).is_some_and(|s| Arc::ptr_eq(s, &slot)) {
                        slots.remove(&key);
                    }
                }
            } else if let Some(conn) = guard.as_mut() {
                if idle >= 60_000 {
                    conn.trim();
                }
                if idle >= PARK_AFTER_MS && !conn.parked() {
                    // Bounded: one server that does not answer must not hold up the others.
                    let parked = tokio::time::timeout(Duration::from_secs(2), conn.park()).await;
                    if !matches!(parked, Ok(Ok(()))) {
                        // Its state is unknown now: the next request opens a new one.
                        guard.take();
                    }
                }
            }
        }
    }

    /// Runs [`Registry::reap`] periodically until the registry is dropped.
    pub fn spawn_reaper(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let every = (self.idle_timeout / 4).clamp(Duration::from_millis(200), Duration::from_millis(PARK_AFTER_MS / 2));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(reg) = weak.upgrade() else { break };
                reg.reap().await;
            }
        });
    }

    /// Logs out every connection (graceful shutdown).
    pub async fn shutdown(&self) {
        let slots: Vec<Arc<Slot>> = {
            let mut map = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            map.drain().map(|(_, v)| v).collect()
        };
        let mut tasks = Vec::new();
        for slot in slots {
            tasks.push(async move {
                let side = slot.side.lock().unwrap_or_else(|p| p.into_inner()).take();
                if let Some((side, _)) = side {
                    side.logout().await;
                }
                let conn = self.acquire(&slot).await.ok().and_then(|mut g| g.take());
                if let Some(conn) = conn {
                    conn.logout().await;
                }
            });
        }
        futures_util::future::join_all(tasks).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;
    use crate::config::{Secret, Security, Servers, Upstream};

    /// A request behind one that holds the connection gives up after the wait timeout, with a
    /// timeout the pages explain, instead of waiting as long as the other one does.
    #[tokio::test]
    async fn a_request_behind_a_stuck_one_gives_up() {
        // A port nothing listens on: once free, the slot's request fails to connect, quickly.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let imap = Upstream { host: "127.0.0.1".into(), port, security: Security::Plain };
        let creds = Credentials {
            username: "someone@example.test".into(),
            password: Secret::new("secret"),
            servers: Servers { imap: imap.clone(), smtp: imap, sieve: None },
            origin: None,
        };
        let step = Duration::from_millis(150);
        let registry = Registry::new(TlsSetup::new(None).unwrap(), step, step, Duration::from_secs(60));
        let slot = registry.slot("someone");
        let busy = slot.conn.lock().await;

        let started = Instant::now();
        let waited = tokio::time::timeout(
            Duration::from_secs(10),
            registry.run("someone", &creds, |_| Box::pin(async { Ok(()) })),
        )
        .await
        .expect("the second request must give up on its own");
        assert!(matches!(waited, Err(MailError::Timeout)), "{waited:?}");
        assert!(started.elapsed() >= 2 * step, "gave up after {:?}", started.elapsed());

        // Once the first request is done, the next one gets the connection slot.
        drop(busy);
        let next = tokio::time::timeout(
            Duration::from_secs(10),
            registry.run("someone", &creds, |_| Box::pin(async { Ok(()) })),
        )
        .await
        .expect("a free slot is taken at once");
        assert!(matches!(next, Err(MailError::Connect(_))), "{next:?}");
    }
}
