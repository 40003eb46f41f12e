//! Snoozing: messages put away in the Snoozed folder until a time, then brought back to the
//! top of the Inbox, unread. Both ends are plain IMAP, so other mail apps see the messages
//! leave the Inbox, wait in Snoozed and come back.

use async_imap::types::Flag as ImapFlag;
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};

use super::conn::ImapConn;
use super::transfer::message_id_of;
use super::wire::{quote, uid_set};
use crate::mail::MailError;
use crate::mail::model::{Flag, MessageSet, Uid, UidValidity};

/// Messages waiting in the Snoozed folder, and what the Snoozed page shows of them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Snoozed {
    /// The Snoozed folder (UTF-8 name).
    pub folder: String,
    pub uidvalidity: u32,
    pub uids: Vec<u32>,
    /// Their Message-IDs: how they are found again if the folder was recreated meanwhile.
    pub message_ids: Vec<String>,
    /// The first message's subject and sender, for the list of what is snoozed.
    pub subject: String,
    pub from: String,
    pub count: usize,
}

/// A message taken out of Snoozed, to be put back in the Inbox.
struct Waking {
    uid: u32,
    flags: Vec<Flag>,
    bytes: Vec<u8>,
    message_id: Option<String>,
}

impl ImapConn {
    /// Moves the messages `m` into the Snoozed folder (created if needed). `None` when they
    /// are there already; [`MailError::NotFound`] when they are gone.
    pub async fn snooze(&mut self, m: &MessageSet) -> Result<Option<Snoozed>, MailError> {
        let names = ["MESSAGE-ID".to_string(), "SUBJECT".to_string(), "FROM".to_string()];
        let mut headers = self.header_fields(&m.mailbox, m.uidvalidity.0, &uids(m), &names).await?;
        if headers.is_empty() {
            return Err(MailError::NotFound);
        }
        headers.sort_by_key(|(uid, ..)| *uid);
        let parser = mail_parser::MessageParser::new();
        let first = headers.first().and_then(|(_, _, h)| parser.parse_headers(h.as_slice()));
        let subject = first.as_ref().and_then(|p| p.subject()).unwrap_or_default().to_string();
        let from = first
            .as_ref()
            .and_then(|p| p.from())
            .and_then(|a| a.first())
            .map(|a| a.name().or(a.address()).unwrap_or_default().to_string())
            .unwrap_or_default();
        let message_ids: Vec<String> = headers.iter().filter_map(|(_, _, h)| message_id_of(h)).collect();
        let folder = self.snoozed_folder().await?;
        if folder == m.mailbox {
            return Ok(None);
        }
        let moved = self.move_messages(m, &folder).await?;
        let (uidvalidity, uids) = match moved {
            Some(set) => (set.uidvalidity.0, set.uids.iter().map(|u| u.0).collect()),
            // The server did not say where they went: found by their Message-IDs.
            None => self.find_by_message_ids(&folder, &message_ids).await?,
        };
        Ok(Some(Snoozed { folder, uidvalidity, uids, message_ids, subject, from, count: headers.len() }))
    }

    /// Brings the snoozed messages back: each is appended to the Inbox, unread and dated now
    /// (so that it shows at the top), with its other flags, then removed from Snoozed.
    /// `resumed`: an earlier run may have appended some already; those whose Message-ID the
    /// Inbox holds are not appended again. Returns how many came back (0: moved elsewhere
    /// or deleted meanwhile, by another mail app).
    pub async fn wake(&mut self, s: &Snoozed, resumed: bool) -> Result<usize, MailError> {
        let (uidvalidity, uids) = match self.select(&s.folder).await {
            Ok(state) if state.uidvalidity == s.uidvalidity && !s.uids.is_empty() => {
                let found = self.tagged(format!("UID SEARCH UID {}", uid_set(&s.uids)), None).await?.found;
                (state.uidvalidity, found)
            }
            Ok(_) => self.find_by_message_ids(&s.folder, &s.message_ids).await?,
            Err(MailError::NotFound) => return Ok(0),
            Err(e) => return Err(e),
        };
        if uids.is_empty() {
            return Ok(0);
        }
        let set = uid_set(&uids);
        let waking: Vec<Waking> = self
            .command(async |session| {
                let mut replies = session.uid_fetch(&set, "(UID FLAGS BODY.PEEK[])").await?;
                let mut out = Vec::new();
                while let Some(f) = replies.try_next().await? {
                    let (Some(uid), Some(bytes)) = (f.uid, f.body()) else { continue };
                    let flags = f
                        .flags()
                        .filter_map(|flag| match flag {
                            ImapFlag::Answered => Some(Flag::Answered),
                            ImapFlag::Flagged => Some(Flag::Flagged),
                            ImapFlag::Draft => Some(Flag::Draft),
                            ImapFlag::Custom(k) if !k.starts_with('\\') => Some(Flag::Keyword(k.to_string())),
                            // Unread again; \Deleted and \Recent are not carried over.
                            _ => None,
                        })
                        .collect();
                    out.push(Waking { uid, flags, message_id: message_id_of(bytes), bytes: bytes.to_vec() });
                }
                Ok::<_, async_imap::error::Error>(out)
            })
            .await?;
        for w in &waking {
            if resumed && let Some(id) = &w.message_id
                && self.has_message_id("INBOX", id).await?
            {
                continue;
            }
            self.append("INBOX", &w.flags, &w.bytes, "").await?;
        }
        let back: Vec<Uid> = waking.iter().map(|w| Uid(w.uid)).collect();
        self.delete_forever(&MessageSet { mailbox: s.folder.clone(), uidvalidity: UidValidity(uidvalidity), uids: back }).await?;
        Ok(waking.len())
    }

    /// The UIDs in `folder` of the messages with these Message-IDs, with the folder's
    /// UIDVALIDITY.
    async fn find_by_message_ids(&mut self, folder: &str, message_ids: &[String]) -> Result<(u32, Vec<u32>), MailError> {
        let state = self.select(folder).await?;
        let mut found = Vec::new();
        for id in message_ids {
            let Some(q) = quote(id) else { continue };
            found.extend(self.tagged(format!("UID SEARCH HEADER Message-ID {q}"), None).await?.found);
        }
        found.sort_unstable();
        found.dedup();
        Ok((state.uidvalidity, found))
    }
}

fn uids(m: &MessageSet) -> Vec<u32> {
    m.uids.iter().map(|u| u.0).collect()
}
