//! Work done later, on the server: a message sent once its undo wait is over, even with the
//! tab closed, on whichever instance is alive.
//!
//! A job lives in the database ([`crate::store::outbox`]); what it carries (the message, what
//! to do once it is sent, the mail password it needs) is sealed under the server key and
//! removed when it ends. Each instance runs one [`Worker`] that claims due jobs with a lease
//! and renews it while it works.
//!
//! Sending is recorded on both sides of the SMTP transaction: `sending` before, `accepted`
//! after. A run that stopped in between (the instance died) cannot know whether the server
//! took the message: the next run first looks for its Message-ID in Sent, and sends again
//! only if it is not there. So a message is sent at most once, but for that window (from the
//! server's answer to the `accepted` record, one database write), and never lost.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::unix_ms;
use crate::config::Servers;
use crate::mail::imap::snooze::Snoozed;
use crate::mail::imap::{Registry, Role};
use crate::mail::model::{Uid, UidValidity};
use crate::mail::send::{self, Origin, Plan};
use crate::mail::smtp::{SendError, Smtp};
use crate::mail::{Credentials, MailError, compose};
use crate::secrets::ServerKey;
use crate::store::outbox::{self as store, Claimed};
use crate::store::uploads::Uploads;
use crate::store::{Backend, Db};

/// A message to send once it is due.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SendJob {
    pub servers: Servers,
    /// The envelope.
    pub from: String,
    pub to: Vec<String>,
    pub message_id: String,
    /// Blind copies, written back into the copy kept in Sent.
    pub bcc: Vec<String>,
    pub save_sent: bool,
    pub origin: Option<String>,
    /// The draft it was saved as, removed once it is sent.
    pub replaces: Option<(u32, u32)>,
    /// The compose form's send key, marked sent (or released when the send is taken back).
    pub send_key: String,
    /// The compose form's draft id: its files are removed once it is sent.
    pub draft: String,
    /// The people written to, for the address book.
    pub people: Vec<(String, String)>,
    /// The compose form as it was sent, given back by Undo.
    pub form: serde_json::Value,
}

/// Messages snoozed until a time: the worker brings them back to the Inbox then.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SnoozeJob {
    pub servers: Servers,
    pub snoozed: Snoozed,
}

/// The kind of outbox job that sends a message.
pub const SEND: &str = "send";
/// The kind of outbox job that brings snoozed messages back.
pub const UNSNOOZE: &str = "unsnooze";

/// Why a job failed or waits again, stored as a word and the server's text, and put in the
/// user's words when shown.
pub fn reason_of(e: &SendError) -> String {
    match e {
        SendError::Connect(m) => format!("connect {m}"),
        SendError::Timeout => "timeout".into(),
        SendError::Unconfirmed => "unconfirmed".into(),
        SendError::Auth => "auth".into(),
        SendError::Rejected(m) => format!("rejected {m}"),
        SendError::Deferred(m) => format!("deferred {m}"),
    }
}

/// The [`SendError`] a stored reason was made from.
pub fn error_of(reason: &str) -> Option<SendError> {
    let (word, rest) = reason.split_once(' ').unwrap_or((reason, ""));
    Some(match word {
        "connect" => SendError::Connect(rest.to_string()),
        "timeout" => SendError::Timeout,
        "unconfirmed" => SendError::Unconfirmed,
        "auth" => SendError::Auth,
        "rejected" => SendError::Rejected(rest.to_string()),
        "deferred" => SendError::Deferred(rest.to_string()),
        _ => return None,
    })
}

/// The sealing context of one part of one job: a part cannot be moved to another job or read
/// as another part.
fn context(id: &str, part: &str) -> Vec<u8> {
    format!("facteur outbox {part} {id}").into_bytes()
}

/// Seals a job's parts under the server key.
pub struct Sealed {
    pub meta: Vec<u8>,
    pub message: Vec<u8>,
    pub secret: Vec<u8>,
}

pub fn seal(key: &ServerKey, id: &str, job: &SendJob, message: &[u8], password: &str) -> anyhow::Result<Sealed> {
    Ok(Sealed {
        meta: key.seal(&context(id, "meta"), &serde_json::to_vec(job)?)?,
        message: key.seal(&context(id, "message"), message)?,
        secret: key.seal(&context(id, "secret"), password.as_bytes())?,
    })
}

/// Seals a snooze job: its description and the mail password it needs when it is due.
pub fn seal_snooze(key: &ServerKey, id: &str, job: &SnoozeJob, password: &str) -> anyhow::Result<Sealed> {
    Ok(Sealed {
        meta: key.seal(&context(id, "meta"), &serde_json::to_vec(job)?)?,
        message: Vec::new(),
        secret: key.seal(&context(id, "secret"), password.as_bytes())?,
    })
}

/// Opens a snooze job's description.
pub fn open_snooze(key: &ServerKey, id: &str, meta: &[u8]) -> Option<SnoozeJob> {
    serde_json::from_slice(&key.open(&context(id, "meta"), meta)?).ok()
}

/// Opens a job's description (for Undo, which needs nothing else).
pub fn open_meta(key: &ServerKey, id: &str, meta: &[u8]) -> Option<SendJob> {
    serde_json::from_slice(&key.open(&context(id, "meta"), meta)?).ok()
}

/// Runs due jobs on this instance.
pub struct Worker {
    pub db: Db,
    pub backend: Backend,
    pub key: Arc<ServerKey>,
    pub registry: Arc<Registry>,
    pub smtp: Arc<Smtp>,
    pub uploads: Uploads,
    /// How long a claim holds; renewed every third of it while the job runs.
    pub lease: Duration,
    /// This instance's name in the jobs it holds.
    pub holder: String,
    /// Tells the user's devices when snoozed messages come back.
    pub pusher: Option<Arc<crate::push::Pusher>>,
}

/// How often due jobs are looked for: one query per tick.
const TICK: Duration = Duration::from_secs(1);
/// Jobs claimed at once, and run at once, by one instance.
const BATCH: i64 = 8;
/// Runs of a send whose server did not answer or asked to come back later, before it is
/// given up and kept as a draft.
const MAX_ATTEMPTS: i64 = 6;
/// Runs of a message that could neither be sent nor kept in Drafts (the password changed, the
/// mailbox is gone) before it is dropped: about two days at one run an hour.
const KEEP_TRYING: i64 = 48;
/// Ended jobs are kept this long, for the page that asks how its send went.
const KEEP_ENDED_MS: i64 = 24 * 3600 * 1000;

/// The worker of a running instance, to let the jobs it runs finish when the instance stops.
pub struct Running {
    looking: tokio::task::JoinHandle<()>,
    running: Arc<tokio::sync::Semaphore>,
}

impl Running {
    /// Once the server is stopping: waits for the worker to stop claiming jobs, then, up to
    /// `limit`, for the jobs it runs to end, so that a restart does not cut a message in the
    /// middle of its SMTP transaction or before its copy is in Sent. A job still running then
    /// is cut, and taken up by a live instance when its lease runs out, as after a crash.
    pub async fn finish(self, limit: Duration) {
        let _ = self.looking.await;
        let busy = BATCH as usize - self.running.available_permits();
        if busy == 0 {
            return;
        }
        tracing::info!(jobs = busy, "stopping: letting outbox jobs in progress end");
        if tokio::time::timeout(limit, self.running.acquire_many(BATCH as u32)).await.is_err() {
            tracing::warn!(limit = ?limit, "stopping: outbox jobs still running are left to their leases");
        }
    }
}

impl Worker {
    /// Looks for due jobs every second until the server stops.
    pub fn spawn(self: Arc<Self>, mut stopping: tokio::sync::watch::Receiver<bool>) -> Running {
        let running = Arc::new(tokio::sync::Semaphore::new(BATCH as usize));
        let permits = running.clone();
        let looking = tokio::spawn(async move {
            let running = permits;
            let mut tick = tokio::time::interval(TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut swept_at = 0i64;
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stopping.changed() => break,
                }
                if *stopping.borrow() {
                    break;
                }
                let free = running.available_permits() as i64;
                if free == 0 {
                    continue;
                }
                let now = unix_ms();
                let lease_until = now + self.lease.as_millis() as i64;
                let claimed = match store::claim(&self.db, self.backend, &self.holder, now, lease_until, free.min(BATCH)).await {
                    Ok(c) => c,
                    Err(e) => {
                        tracing::warn!(error = %e, "the outbox could not be read this time");
                        continue;
                    }
                };
                for job in claimed {
                    let Ok(permit) = running.clone().acquire_owned().await else { break };
                    let worker = self.clone();
                    tokio::spawn(async move {
                        worker.run(job).await;
                        drop(permit);
                    });
                }
                if now - swept_at > 3600 * 1000 {
                    swept_at = now;
                    if let Err(e) = store::sweep(&self.db, now - KEEP_ENDED_MS).await {
                        tracing::warn!(error = %e, "ended outbox jobs not swept this time");
                    }
                }
            }
        });
        Running { looking, running }
    }

    /// Runs one claimed job, renewing its lease until it is done.
    async fn run(&self, job: Claimed) {
        let id = job.id.clone();
        let renew = async {
            let every = self.lease / 3;
            loop {
                tokio::time::sleep(every).await;
                match store::renew(&self.db, &id, &self.holder, unix_ms() + self.lease.as_millis() as i64).await {
                    Ok(true) => {}
                    // Ended by this run meanwhile, or taken over after a long gap.
                    Ok(false) => tracing::debug!(job = %id, "outbox lease not renewed: the job is no longer held"),
                    Err(e) => tracing::warn!(job = %id, error = %e, "outbox lease not renewed"),
                }
            }
        };
        tokio::select! {
            _ = async {
                if job.kind == UNSNOOZE { self.run_unsnooze(job).await } else { self.run_send(job).await }
            } => {}
            _ = renew => {}
        }
    }

    /// Brings snoozed messages back to the Inbox. `sending` is recorded first: a run that
    /// finds it knows an earlier one may have put some back already (see [`ImapConn::wake`]).
    /// Where the mail server refuses (a full mailbox), the messages stay in Snoozed and the
    /// job tries again later; nothing is removed from Snoozed before its copy is in the Inbox.
    ///
    /// [`ImapConn::wake`]: crate::mail::imap::ImapConn::wake
    async fn run_unsnooze(&self, job: Claimed) {
        let id = job.id.clone();
        let opened = open_snooze(&self.key, &id, &job.meta).and_then(|meta| {
            let password = String::from_utf8(self.key.open(&context(&id, "secret"), &job.secret)?).ok()?;
            Some((meta, password))
        });
        let Some((meta, password)) = opened else {
            tracing::error!(job = %id, "a snooze could not be opened with the server key; its messages stay in Snoozed");
            self.end(&id, "failed", "sealed").await;
            return;
        };
        let creds = Credentials { username: job.username.clone(), password: crate::config::Secret::new(password), servers: meta.servers.clone(), origin: None };
        let key = crate::web::auth::user_key(&job.username);
        let resumed = job.state == "sending";
        if !self.record_start(&id).await {
            return;
        }
        let woke = self
            .registry
            .run(&key, &creds, |c| {
                let snoozed = meta.snoozed.clone();
                Box::pin(async move { c.wake(&snoozed, resumed).await })
            })
            .await;
        match woke {
            Ok(n) => {
                tracing::info!(job = %id, messages = n, "snoozed messages brought back");
                self.registry.mark_folders_stale(&key);
                self.end(&id, "sent", if n == 0 { "gone" } else { "" }).await;
                if n > 0
                    && let Some(pusher) = &self.pusher
                {
                    // Put back by Facteur, not delivered: the mail server tells nobody, Facteur does.
                    pusher.back_from_snooze(&key, &meta.snoozed.from, &meta.snoozed.subject).await;
                }
            }
            Err(e) if job.attempts < KEEP_TRYING => {
                tracing::warn!(job = %id, error = %e, attempts = job.attempts, "snoozed messages not brought back; trying later");
                self.retry(&id, "sending", job.attempts, &format!("imap {e}")).await;
            }
            Err(e) => {
                tracing::error!(job = %id, error = %e, "snoozed messages could not be brought back for two days; they stay in Snoozed");
                self.end(&id, "failed", "imap").await;
            }
        }
    }

    async fn run_send(&self, job: Claimed) {
        let id = job.id.clone();
        let opened = open_meta(&self.key, &id, &job.meta).and_then(|meta| {
            let message = self.key.open(&context(&id, "message"), &job.message)?;
            let password = String::from_utf8(self.key.open(&context(&id, "secret"), &job.secret)?).ok()?;
            Some((meta, message, password))
        });
        let Some((meta, message, password)) = opened else {
            // The server key changed since (or the row was damaged): nothing can be done with it.
            tracing::error!(job = %id, "an outbox job could not be opened with the server key; it is dropped");
            self.end(&id, "failed", "sealed").await;
            return;
        };
        let creds = Credentials {
            username: job.username.clone(),
            password: crate::config::Secret::new(password),
            servers: meta.servers.clone(),
            origin: None,
        };
        let key = crate::web::auth::user_key(&job.username);
        let plan = Plan {
            save_sent: meta.save_sent,
            origin: meta.origin.as_deref().and_then(Origin::parse),
            replaces: meta.replaces.map(|(uv, uid)| (UidValidity(uv), Uid(uid))),
        };
        let bcc: Vec<lettre::message::Mailbox> = meta.bcc.iter().filter_map(|b| b.parse().ok()).collect();
        let copy = Arc::new(compose::with_bcc(&message, &bcc));

        if job.state == "keeping" {
            // Refused earlier: only the copy in Drafts is left to do.
            self.keep_as_draft(&job, &key, &creds, &meta, &copy, &plan, &job.reason).await;
            return;
        }
        if job.state != "accepted" {
            if job.state == "sending" {
                // An earlier run stopped during the SMTP transaction: sent already if Sent has it.
                match self.in_sent(&key, &creds, &meta.message_id).await {
                    Ok(true) => {
                        tracing::info!(job = %id, "an interrupted send was found in Sent: not sent again");
                        self.finish(&id, &key, &meta).await;
                        return;
                    }
                    Ok(false) => tracing::warn!(job = %id, "an interrupted send is not in Sent: sending it again"),
                    Err(e) => {
                        tracing::warn!(job = %id, error = %e, "Sent could not be searched for an interrupted send; trying later");
                        self.retry(&id, "sending", job.attempts, "imap").await;
                        return;
                    }
                }
            }
            if !self.record_start(&id).await {
                return;
            }
            let Some(envelope) = envelope_of(&meta) else {
                tracing::error!(job = %id, "an outbox job has an envelope that cannot be read");
                self.keep_as_draft(&job, &key, &creds, &meta, &copy, &plan, "rejected bad envelope").await;
                return;
            };
            let started = std::time::Instant::now();
            let sent = self.smtp.send(&creds, &envelope, &message).await;
            crate::metrics::message_sent(match &sent {
                Ok(()) => "sent",
                Err(SendError::Rejected(_) | SendError::Auth) => "rejected",
                Err(_) => "failed",
            });
            match sent {
                Ok(()) => {
                    // At once: this record is what keeps a later run from sending it again.
                    if let Err(e) = store::advance(&self.db, &id, &self.holder, "accepted", unix_ms()).await {
                        tracing::error!(job = %id, error = %e, "a sent message could not be recorded as sent");
                    }
                    tracing::info!(job = %id, smtp_ms = started.elapsed().as_millis() as u64, "message sent from the outbox");
                }
                Err(e @ (SendError::Connect(_) | SendError::Timeout | SendError::Deferred(_))) if job.attempts < MAX_ATTEMPTS => {
                    tracing::warn!(job = %id, error = %e, attempts = job.attempts, "sending failed; trying again later");
                    self.retry(&id, "waiting", job.attempts, &reason_of(&e)).await;
                    return;
                }
                Err(e) => {
                    tracing::warn!(job = %id, error = %e, "sending failed; the message is kept in Drafts");
                    self.keep_as_draft(&job, &key, &creds, &meta, &copy, &plan, &reason_of(&e)).await;
                    return;
                }
            }
        } else if matches!(self.in_sent(&key, &creds, &meta.message_id).await, Ok(true)) {
            // Accepted and filed before the run stopped.
            self.finish(&id, &key, &meta).await;
            return;
        }

        let filed = self
            .registry
            .run(&key, &creds, |c| {
                let (copy, message_id, plan) = (plan.save_sent.then(|| copy.clone()), meta.message_id.clone(), plan.clone());
                Box::pin(async move { send::file_sent(c, copy.as_deref().map(Vec::as_slice), &message_id, &plan).await })
            })
            .await;
        if !matches!(filed, Ok(true)) {
            tracing::warn!(job = %id, "a message sent from the outbox was not filed completely");
        }
        self.registry.mark_folders_stale(&key);
        self.finish(&id, &key, &meta).await;
    }

    /// Records that the job's work begins (`sending`); `false` when it is not this run's any
    /// more, or the database is away: nothing is done without the record.
    async fn record_start(&self, id: &str) -> bool {
        match store::advance(&self.db, id, &self.holder, "sending", unix_ms()).await {
            Ok(done) => done,
            Err(e) => {
                tracing::warn!(job = %id, error = %e, "outbox job not started: the database did not answer");
                false
            }
        }
    }

    /// Whether the user's Sent folder holds `message_id`.
    async fn in_sent(&self, key: &str, creds: &Credentials, message_id: &str) -> Result<bool, MailError> {
        self.registry
            .run(key, creds, |c| {
                let message_id = message_id.to_string();
                Box::pin(async move {
                    match c.folder_for(Role::Sent).await? {
                        Some(sent) => c.has_message_id(&sent, &message_id).await,
                        None => Ok(false),
                    }
                })
            })
            .await
    }

    /// The message was sent: the records of the compose page, then the job's end.
    async fn finish(&self, id: &str, key: &str, meta: &SendJob) {
        if let Err(e) = crate::store::compose::mark_sent(&self.db, key, &meta.send_key).await {
            tracing::warn!(job = %id, error = %e, "send key not marked");
        }
        if let Err(e) = crate::store::compose::note_contacts(&self.db, key, &meta.people).await {
            tracing::warn!(job = %id, error = %e, "contacts not updated");
        }
        self.uploads.clear(key, &meta.draft).await;
        self.end(id, "sent", "").await;
    }

    /// The message will not be sent: it goes to Drafts, with its Bcc, so nothing is lost.
    #[allow(clippy::too_many_arguments)]
    async fn keep_as_draft(&self, job: &Claimed, key: &str, creds: &Credentials, meta: &SendJob, copy: &Arc<Vec<u8>>, plan: &Plan, reason: &str) {
        let id = job.id.as_str();
        let kept = self
            .registry
            .run(key, creds, |c| {
                let (copy, message_id, replaces) = (copy.clone(), meta.message_id.clone(), plan.replaces);
                Box::pin(async move { send::save_draft(c, &copy, &message_id, replaces).await })
            })
            .await;
        if let Err(e) = &kept {
            if job.attempts < KEEP_TRYING {
                // Kept sealed in the job, for a later try, rather than dropped.
                tracing::warn!(job = %id, error = %e, "an unsent message could not be saved in Drafts; trying later");
                self.retry(id, "keeping", job.attempts, reason).await;
                return;
            }
            tracing::error!(job = %id, error = %e, "an unsent message could not be saved in Drafts for two days; it is dropped");
        }
        let _ = crate::store::compose::release_send_key(&self.db, key, &meta.send_key).await;
        self.registry.mark_folders_stale(key);
        self.end(id, "failed", if kept.is_ok() { reason } else { "lost" }).await;
    }

    /// Lets the job wait again in `state`, longer after each run: 1, 2, 4, 8 … minutes, at
    /// most an hour.
    async fn retry(&self, id: &str, state: &str, attempts: i64, reason: &str) {
        let minutes = 1i64 << attempts.clamp(1, 7).saturating_sub(1);
        let wait = crate::clock::jittered(Duration::from_secs(60 * minutes.min(60) as u64));
        let now = unix_ms();
        if let Err(e) = store::retry_at(&self.db, id, &self.holder, state, now + wait.as_millis() as i64, reason, now).await {
            // The lease runs out and another run takes it up.
            tracing::warn!(job = %id, error = %e, "outbox job not put back; it is taken up again when its lease ends");
        }
    }

    async fn end(&self, id: &str, state: &str, reason: &str) {
        // The database may be away for a moment: the job's end is worth a few tries, since a job
        // whose end is not recorded runs again (and finds its message in Sent).
        for wait in [0u64, 1, 2, 4] {
            tokio::time::sleep(Duration::from_secs(wait)).await;
            match store::end(&self.db, id, state, reason, unix_ms()).await {
                Ok(()) => return,
                Err(e) => tracing::warn!(job = %id, error = %e, "outbox job end not recorded"),
            }
        }
    }
}

/// The SMTP envelope a job was made with.
fn envelope_of(meta: &SendJob) -> Option<lettre::address::Envelope> {
    let from = meta.from.parse().ok()?;
    let to: Vec<lettre::Address> = meta.to.iter().map(|a| a.parse().ok()).collect::<Option<_>>()?;
    lettre::address::Envelope::new(Some(from), to).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_round_trip() {
        for e in [
            SendError::Connect("refused".into()),
            SendError::Timeout,
            SendError::Unconfirmed,
            SendError::Auth,
            SendError::Rejected("550 no such user".into()),
            SendError::Deferred("451 try later".into()),
        ] {
            assert_eq!(error_of(&reason_of(&e)).map(|e| e.to_string()), Some(e.to_string()));
        }
        assert!(error_of("sealed").is_none());
    }

    #[test]
    fn a_sealed_part_opens_only_as_itself_in_its_own_job() {
        let key = ServerKey::from_bytes([3; 32]);
        let smtp = crate::config::Upstream { host: "localhost".into(), port: 25, security: crate::config::Security::Plain };
        let job = SendJob {
            servers: Servers { imap: smtp.clone(), smtp, sieve: None },
            from: "a@example.org".into(),
            to: vec!["b@example.org".into()],
            message_id: "<x@example.org>".into(),
            bcc: vec![],
            save_sent: true,
            origin: None,
            replaces: None,
            send_key: "k".into(),
            draft: "d".into(),
            people: vec![],
            form: serde_json::json!({}),
        };
        let sealed = seal(&key, "job1", &job, b"Subject: hi\r\n\r\nbody", "secret").unwrap();
        assert_eq!(open_meta(&key, "job1", &sealed.meta).unwrap().message_id, "<x@example.org>");
        assert!(open_meta(&key, "job2", &sealed.meta).is_none());
        assert!(open_meta(&key, "job1", &sealed.secret).is_none());
        assert!(!sealed.secret.windows(6).any(|w| w == b"secret"));
        assert_eq!(key.open(&context("job1", "secret"), &sealed.secret).unwrap(), b"secret");
        assert!(envelope_of(&job).is_some());
        assert!(envelope_of(&SendJob { to: vec!["not an address".into()], ..job }).is_none());
    }
}
