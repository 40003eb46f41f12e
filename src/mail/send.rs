//! What happens behind the compose page's buttons: saving a draft into the Drafts folder,
//! and sending (SMTP, then a copy in Sent, the original marked answered or forwarded, the
//! draft removed). These functions know IMAP and SMTP only; the caller keeps its own records
//! (the send key that stops a double send, contacts, uploaded files).

use std::sync::Arc;
use std::time::Instant;

use super::compose::{self, Draft, Purpose};
use super::imap::{ImapConn, Registry, Role};
use super::model::{Flag, MessageRef, Uid, UidValidity};
use super::smtp::{SendError, Smtp};
use super::{Credentials, MailError};

/// The version of a draft in the Drafts folder, which the next save replaces.
pub type DraftVersion = (UidValidity, Uid);

/// Where a sent reply or forward leaves its mark. The compose form and saved drafts carry it
/// as text: `answered UIDVALIDITY UID MAILBOX` or `forwarded …`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub flag: Flag,
    pub message: MessageRef,
}

impl Origin {
    pub fn answered(message: MessageRef) -> Self {
        Self { flag: Flag::Answered, message }
    }

    pub fn forwarded(message: MessageRef) -> Self {
        Self { flag: Flag::Forwarded, message }
    }

    pub fn parse(s: &str) -> Option<Self> {
        let mut it = s.splitn(4, ' ');
        let flag = match it.next()? {
            "answered" => Flag::Answered,
            "forwarded" => Flag::Forwarded,
            _ => return None,
        };
        let uidvalidity = UidValidity::parse(it.next()?)?;
        let uid = Uid::parse(it.next()?)?;
        let mailbox = it.next()?.to_string();
        if mailbox.is_empty() || compose::has_line_break(&mailbox) {
            return None;
        }
        Some(Self { flag, message: MessageRef { mailbox, uidvalidity, uid } })
    }

    pub fn is_reply(&self) -> bool {
        self.flag == Flag::Answered
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let word = if self.is_reply() { "answered" } else { "forwarded" };
        let m = &self.message;
        write!(f, "{word} {} {} {}", m.uidvalidity, m.uid, m.mailbox)
    }
}

/// The message could not be built (a bug or an impossible draft, not the user's input).
#[derive(Debug, thiserror::Error)]
#[error("building a message: {0}")]
pub struct BuildError(String);

/// Saves `draft` into the Drafts folder (created if missing) and removes the version it
/// replaces. Returns the new version when the server tells.
pub async fn save_draft(c: &mut ImapConn, bytes: &[u8], message_id: &str, replaces: Option<DraftVersion>) -> Result<Option<DraftVersion>, MailError> {
    save_draft_marked(c, bytes, message_id, replaces, None).await
}

/// The keyword of a draft that Facteur will send at a set time, for other mail apps to see.
pub const SCHEDULED: &str = "$Scheduled";

/// [`save_draft`], with a keyword on the draft where the server takes it (a server that keeps
/// no keywords gets the draft without).
pub async fn save_draft_marked(c: &mut ImapConn, bytes: &[u8], message_id: &str, replaces: Option<DraftVersion>, mark: Option<&str>) -> Result<Option<DraftVersion>, MailError> {
    let drafts = c.folder_for(Role::Drafts).await?.ok_or(MailError::NotFound)?;
    let mut flags = vec![Flag::Seen, Flag::Draft];
    flags.extend(mark.map(|k| Flag::Keyword(k.to_string())));
    let appended = match c.append(&drafts, &flags, bytes, message_id).await {
        Err(MailError::No(reason)) if mark.is_some() && !crate::mail::is_over_quota(&reason) => {
            c.append(&drafts, &[Flag::Seen, Flag::Draft], bytes, message_id).await
        }
        other => other,
    };
    let placed = appended?.map(|m| (m.uidvalidity, m.uid));
    if let Some(old) = replaces
        && placed != Some(old)
    {
        remove_draft(c, &drafts, old).await;
    }
    Ok(placed)
}

/// Removes a version of a draft; one already gone (sent or deleted elsewhere) is fine.
pub async fn discard_draft(c: &mut ImapConn, version: DraftVersion) -> Result<(), MailError> {
    let drafts = c.folder_for(Role::Drafts).await?.ok_or(MailError::NotFound)?;
    remove_draft(c, &drafts, version).await;
    Ok(())
}

/// Takes the [`SCHEDULED`] mark off a draft (its send was cancelled); a draft already gone
/// is fine.
pub async fn unmark_draft(c: &mut ImapConn, (uv, uid): DraftVersion) -> Result<(), MailError> {
    let drafts = c.folder_for(Role::Drafts).await?.ok_or(MailError::NotFound)?;
    match c.store_flags(&MessageRef::new(&drafts, uv, uid).as_set(), false, &[Flag::Keyword(SCHEDULED.to_string())]).await {
        Err(MailError::NotFound | MailError::No(_)) | Ok(_) => Ok(()),
        Err(e) => Err(e),
    }
}

async fn remove_draft(c: &mut ImapConn, drafts: &str, (uv, uid): DraftVersion) {
    if let Err(e) = c.delete_forever(&MessageRef::new(drafts, uv, uid).as_set()).await
        && !matches!(e, MailError::NotFound)
    {
        tracing::warn!(error = %e, "the previous version of a draft could not be removed");
    }
}

/// Builds `draft` as a draft and saves it on the user's connection.
pub async fn save_draft_for(registry: &Registry, key: &str, creds: &Credentials, draft: &Draft, replaces: Option<DraftVersion>) -> Result<Option<DraftVersion>, SaveError> {
    save_marked_draft_for(registry, key, creds, draft, replaces, None).await
}

/// [`save_draft_for`] with a keyword on the draft ([`SCHEDULED`]).
pub async fn save_marked_draft_for(registry: &Registry, key: &str, creds: &Credentials, draft: &Draft, replaces: Option<DraftVersion>, mark: Option<&'static str>) -> Result<Option<DraftVersion>, SaveError> {
    let built = Arc::new(compose::build(draft, Purpose::Draft).map_err(BuildError)?.bytes);
    let placed = registry
        .run(key, creds, |c| {
            let (bytes, message_id) = (built.clone(), draft.message_id.clone());
            Box::pin(async move { save_draft_marked(c, &bytes, &message_id, replaces, mark).await })
        })
        .await?;
    Ok(placed)
}

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error(transparent)]
    Build(#[from] BuildError),
    #[error(transparent)]
    Mail(#[from] MailError),
}

/// What to do once the message is sent.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Keep a copy in the Sent folder.
    pub save_sent: bool,
    /// The message this one answers or forwards.
    pub origin: Option<Origin>,
    /// The draft this message was saved as, removed once it is sent.
    pub replaces: Option<DraftVersion>,
}

pub enum Delivery {
    /// The SMTP server took the message.
    Accepted(Accepted),
    /// It was not sent; the message was kept as a draft (`Ok(Some)` with its new version,
    /// `Ok(None)` when the server did not say) or could not even be kept (`Err`).
    NotSent { error: SendError, kept: Result<Option<DraftVersion>, SaveError> },
}

/// A message the SMTP server took, ready to be filed.
pub struct Accepted {
    /// The message as sent, with its Bcc line (only the sender sees it), for the Sent folder.
    copy: Arc<Vec<u8>>,
    message_id: String,
    recipients: usize,
    smtp_ms: u64,
}

/// Sends `draft` through the user's SMTP server. When the server does not take it, the
/// message is saved as a draft (replacing `replaces`) so nothing is lost. The caller records
/// the send at once, then [`file`]s it.
pub async fn deliver(registry: &Registry, key: &str, creds: &Credentials, smtp: &Smtp, draft: &Draft, replaces: Option<DraftVersion>) -> Result<Delivery, BuildError> {
    let built = compose::build(draft, Purpose::Send).map_err(BuildError)?;
    let started = Instant::now();
    let sent = smtp.send(creds, &built.envelope, &built.bytes).await;
    let smtp_ms = started.elapsed().as_millis() as u64;
    crate::metrics::message_sent(match &sent {
        Ok(()) => "sent",
        Err(SendError::Rejected(_) | SendError::Auth) => "rejected",
        Err(_) => "failed",
    });
    if let Err(error) = sent {
        tracing::warn!(error = %error, "sending failed");
        drop(built);
        let kept = save_draft_for(registry, key, creds, draft, replaces).await;
        if let Err(e) = &kept {
            tracing::warn!(error = %e, "the unsent message could not be saved as a draft either");
        }
        return Ok(Delivery::NotSent { error, kept });
    }
    let copy = if draft.bcc.is_empty() { built.bytes } else { compose::with_bcc(&built.bytes, &draft.bcc) };
    Ok(Delivery::Accepted(Accepted {
        copy: Arc::new(copy),
        message_id: draft.message_id.clone(),
        recipients: draft.to.len() + draft.cc.len() + draft.bcc.len(),
        smtp_ms,
    }))
}

/// After a successful send: the copy in Sent, the mark on the original, the draft removed.
/// Problems here must not make the user send again: they are logged, and `false` says the
/// filing was incomplete.
pub async fn file_sent(c: &mut ImapConn, copy: Option<&[u8]>, message_id: &str, plan: &Plan) -> Result<bool, MailError> {
    let mut ok = true;
    if let Some(bytes) = copy {
        // A Sent folder the server will not create is like a copy it will not take: logged,
        // and the rest of the filing still happens.
        let saved = match c.folder_for(Role::Sent).await {
            Ok(Some(sent)) => c.append(&sent, &[Flag::Seen], bytes, message_id).await.map(|_| ()),
            Ok(None) => Err(MailError::NotFound),
            Err(e) => Err(e),
        };
        match saved {
            Ok(()) => {}
            Err(e) if e.breaks_connection() => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "the sent message could not be saved in Sent");
                ok = false;
            }
        }
    }
    if let Some(o) = &plan.origin
        && let Err(e) = c.store_flags(&o.message.as_set(), true, std::slice::from_ref(&o.flag)).await
    {
        tracing::info!(error = %e, "the original message could not be flagged");
    }
    if let Some(version) = plan.replaces {
        discard_draft(c, version).await?;
    }
    Ok(ok)
}

/// Files an accepted message on the user's connection (see [`file_sent`]); `true` when all
/// of it worked.
pub async fn file(registry: &Registry, key: &str, creds: &Credentials, accepted: Accepted, plan: &Plan) -> bool {
    let started = Instant::now();
    let copy = plan.save_sent.then_some(accepted.copy);
    let filed = registry
        .run(key, creds, |c| {
            let (copy, message_id, plan) = (copy.clone(), accepted.message_id.clone(), plan.clone());
            Box::pin(async move { file_sent(c, copy.as_deref().map(Vec::as_slice), &message_id, &plan).await })
        })
        .await;
    tracing::info!(
        smtp_ms = accepted.smtp_ms,
        filing_ms = started.elapsed().as_millis() as u64,
        recipients = accepted.recipients,
        "message sent"
    );
    matches!(filed, Ok(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_round_trip_and_refuse_what_they_cannot_be() {
        let o = Origin::parse("answered 7 42 Archive/2024 Q1").unwrap();
        assert_eq!(o.flag, Flag::Answered);
        assert_eq!(o.message, MessageRef::new("Archive/2024 Q1", UidValidity(7), Uid(42)));
        assert_eq!(o.to_string(), "answered 7 42 Archive/2024 Q1");
        assert_eq!(Origin::parse("forwarded 1 2 INBOX").unwrap().flag, Flag::Forwarded);
        assert!(Origin::parse("deleted 1 2 INBOX").is_none());
        assert!(Origin::parse("answered 1 2 INBOX\r\nX").is_none());
        assert!(Origin::parse("answered x 2 INBOX").is_none());
        assert!(Origin::parse("answered 1 0 INBOX").is_none());
    }
}
