//! Taking mail out (whole messages, in batches of bounded size) and bringing it in (APPEND
//! with the original date and read state, several messages a command with MULTIAPPEND).
//! Run on a connection of their own, so that the user's pages are not held up behind them.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use async_imap::types::Flag as ImapFlag;
use futures_util::TryStreamExt;

use super::conn::ImapConn;
use super::raw;
use super::wire::{quote, timed, uid_set};
use crate::mail::mbox::MboxFlags;
use crate::mail::{MailError, utf7};

/// A batch holds at most this many bytes of messages (a larger message is a batch alone)...
pub const BATCH_BYTES: u64 = 2 * 1024 * 1024;
/// ...and at most this many messages.
pub const BATCH_MESSAGES: usize = 200;

/// A message taken out whole.
pub struct Exported {
    pub uid: u32,
    pub bytes: Vec<u8>,
    pub flags: MboxFlags,
    /// INTERNALDATE, seconds since 1970.
    pub date: i64,
}

/// A message to bring in.
pub struct Importing {
    pub bytes: Vec<u8>,
    pub flags: MboxFlags,
    /// Its date (INTERNALDATE), seconds since 1970; `None`: now.
    pub date: Option<i64>,
}

/// `uids` (with their sizes) cut into batches of at most [`BATCH_BYTES`] and
/// [`BATCH_MESSAGES`].
pub fn batches(sizes: &[(u32, u32)]) -> Vec<Vec<u32>> {
    let mut out: Vec<Vec<u32>> = Vec::new();
    let mut bytes = 0u64;
    for (uid, size) in sizes {
        let size = u64::from(*size);
        match out.last_mut() {
            Some(b) if b.len() < BATCH_MESSAGES && bytes + size <= BATCH_BYTES => {
                b.push(*uid);
                bytes += size;
            }
            _ => {
                out.push(vec![*uid]);
                bytes = size;
            }
        }
    }
    out
}

/// A hash of a Message-ID as messages are compared when importing (angle brackets and case
/// of the domain aside, they are compared as written).
pub fn message_id_key(id: &str) -> u64 {
    let mut h = DefaultHasher::new();
    id.trim().trim_start_matches('<').trim_end_matches('>').hash(&mut h);
    h.finish()
}

/// The Message-ID of a message's header, if it has one.
pub fn message_id_of(bytes: &[u8]) -> Option<String> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").or_else(|| bytes.windows(2).position(|w| w == b"\n\n")).unwrap_or(bytes.len());
    let header = String::from_utf8_lossy(&bytes[..end]);
    let mut lines = header.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("message-id")
        {
            let mut value = value.trim().to_string();
            while lines.peek().is_some_and(|l| l.starts_with([' ', '\t'])) {
                value.push_str(lines.next().unwrap_or_default().trim());
            }
            return (!value.is_empty()).then_some(value);
        }
    }
    None
}

/// INTERNALDATE as IMAP writes it: `30-Nov-2026 13:37:56 +0000`.
fn internal_date(ts: i64) -> String {
    use crate::mail::mbox::MONTHS;
    let d = time::OffsetDateTime::from_unix_timestamp(ts).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("{:02}-{}-{} {:02}:{:02}:{:02} +0000", d.day(), MONTHS[d.month() as usize - 1], d.year(), d.hour(), d.minute(), d.second())
}

fn flag_list(f: &MboxFlags) -> String {
    let mut v = Vec::new();
    if f.seen {
        v.push("\\Seen");
    }
    if f.answered {
        v.push("\\Answered");
    }
    if f.flagged {
        v.push("\\Flagged");
    }
    if f.draft {
        v.push("\\Draft");
    }
    format!("({})", v.join(" "))
}

/// A whole message as a reply gave it.
fn exported(f: &async_imap::types::Fetch) -> Option<Exported> {
    let mut flags = MboxFlags::default();
    for fl in f.flags() {
        match fl {
            ImapFlag::Seen => flags.seen = true,
            ImapFlag::Answered => flags.answered = true,
            ImapFlag::Flagged => flags.flagged = true,
            ImapFlag::Draft => flags.draft = true,
            _ => {}
        }
    }
    Some(Exported { uid: f.uid?, date: f.internal_date().map(|d| d.timestamp()).unwrap_or(0), flags, bytes: f.body()?.to_vec() })
}

impl ImapConn {
    /// The UIDs of `mailbox` with their sizes, oldest first (all of them, or those of
    /// `only`), and the folder's UIDVALIDITY.
    pub async fn sizes(&mut self, mailbox: &str, only: Option<&[u32]>) -> Result<(u32, Vec<(u32, u32)>), MailError> {
        let state = self.select(mailbox).await?;
        if state.exists == 0 || only.is_some_and(|o| o.is_empty()) {
            return Ok((state.uidvalidity, Vec::new()));
        }
        let set = only.map(uid_set).unwrap_or_else(|| "1:*".to_string());
        // Read as they come, keeping two numbers of each: a reply holds on to the buffer it
        // was read into, and 100,000 of them held at once cost hundreds of MB.
        let mut sizes: Vec<(u32, u32)> = self
            .command(async |s| {
                let mut replies = s.uid_fetch(&set, "(UID RFC822.SIZE)").await?;
                let mut sizes = Vec::new();
                while let Some(f) = replies.try_next().await? {
                    if let Some(uid) = f.uid {
                        sizes.push((uid, f.size.unwrap_or(0)));
                    }
                }
                Ok::<_, async_imap::error::Error>(sizes)
            })
            .await?;
        sizes.sort_unstable();
        sizes.dedup_by_key(|(uid, _)| *uid);
        Ok((state.uidvalidity, sizes))
    }

    /// The messages `uids` of `mailbox` whole, as the server has them, with their flags and
    /// date. Messages gone meanwhile are left out; a changed UIDVALIDITY is
    /// [`MailError::NotFound`].
    pub async fn fetch_whole(&mut self, mailbox: &str, uidvalidity: u32, uids: &[u32]) -> Result<Vec<Exported>, MailError> {
        self.select_valid(mailbox, uidvalidity).await?;
        let set = uid_set(uids);
        // Each reply is copied out and let go as it comes (see `sizes`).
        let mut out: Vec<Exported> = self
            .command(async |s| {
                let mut replies = s.uid_fetch(&set, "(UID FLAGS INTERNALDATE BODY.PEEK[])").await?;
                let mut out = Vec::new();
                while let Some(f) = replies.try_next().await? {
                    if let Some(e) = exported(&f) {
                        out.push(e);
                    }
                }
                Ok::<_, async_imap::error::Error>(out)
            })
            .await?;
        out.sort_by_key(|e| e.uid);
        Ok(out)
    }

    /// The Message-IDs of `mailbox`'s messages (as [`message_id_key`]s), to skip what an
    /// earlier import already brought.
    pub async fn message_ids(&mut self, mailbox: &str) -> Result<HashSet<u64>, MailError> {
        let state = self.select(mailbox).await?;
        if state.exists == 0 {
            return Ok(HashSet::new());
        }
        // Read as they come: a folder of 100,000 messages is 100,000 replies.
        self.command(async |s| {
            let mut replies = s.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])").await?;
            let mut keys = HashSet::new();
            while let Some(f) = replies.try_next().await? {
                if let Some(id) = f.header().or(f.body()).and_then(message_id_of) {
                    keys.insert(message_id_key(&id));
                }
            }
            Ok::<_, async_imap::error::Error>(keys)
        })
        .await
    }

    /// Appends `messages` to `mailbox`, each with its flags and date: in one MULTIAPPEND
    /// command where the server has it (all or none are stored), one APPEND each elsewhere
    /// (a refusal stops there). Returns how many were stored before a refusal, and the
    /// refusal.
    pub async fn append_many(&mut self, mailbox: &str, messages: &[Importing]) -> Result<(usize, Option<MailError>), MailError> {
        let wire = utf7::encode(mailbox);
        let quoted = quote(&wire).ok_or_else(|| MailError::No("bad folder name".into()))?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let result = if self.has_capability("MULTIAPPEND") && self.has_capability("LITERAL+") && messages.len() > 1 {
            match self.append_raw(&quoted, messages, now).await? {
                Ok(()) => (messages.len(), None),
                // Refused as a whole (MULTIAPPEND stores all or nothing): one at a time, to
                // store what still fits.
                Err(_) => self.append_each(&wire, &quoted, messages, now).await?,
            }
        } else {
            self.append_each(&wire, &quoted, messages, now).await?
        };
        self.absorb_unsolicited();
        self.invalidate_folders();
        // The folder's new EXISTS went by unread (MULTIAPPEND's replies are read raw): it is
        // selected afresh next time.
        if self.selected.as_ref().is_some_and(|s| s.name == mailbox) {
            self.selected = None;
            self.window = None;
            self.cached = None;
        }
        Ok(result)
    }

    /// One APPEND per message until one is refused: how many were stored, and the refusal.
    async fn append_each(&mut self, wire: &str, quoted: &str, messages: &[Importing], now: i64) -> Result<(usize, Option<MailError>), MailError> {
        for (stored, m) in messages.iter().enumerate() {
            let refused = if self.has_capability("LITERAL+") {
                self.append_raw(quoted, std::slice::from_ref(m), now).await?.err()
            } else {
                // A server may refuse at once instead of asking for the message (a full
                // mailbox): `tagged` reads that as a refusal, where async-imap would give up
                // on the connection. It sends text; 8-bit messages go through async-imap.
                let head = format!("APPEND {quoted} {} \"{}\" {{{}}}", flag_list(&m.flags), internal_date(m.date.unwrap_or(now)), m.bytes.len());
                let sent = match std::str::from_utf8(&m.bytes) {
                    Ok(text) => self.tagged(head, Some(text)).await.map(|_| ()),
                    Err(_) => {
                        let (flags, date) = (flag_list(&m.flags), format!("\"{}\"", internal_date(m.date.unwrap_or(now))));
                        self.command(async |s| s.append(wire, Some(&flags), Some(&date), &m.bytes).await).await
                    }
                };
                match sent {
                    Ok(()) => None,
                    Err(e @ MailError::No(_)) => Some(e),
                    Err(e) => return Err(e),
                }
            };
            if let Some(e) = refused {
                return Ok((stored, Some(e)));
            }
        }
        Ok((messages.len(), None))
    }

    /// One APPEND of `messages` (several: MULTIAPPEND) with non-synchronizing literals, written
    /// whole, bytes and all, and read here. `Ok(Err(_))`: the server refused.
    async fn append_raw(&mut self, quoted: &str, messages: &[Importing], now: i64) -> Result<Result<(), MailError>, MailError> {
        let mut command = Vec::with_capacity(messages.iter().map(|m| m.bytes.len() + 64).sum::<usize>() + 64);
        self.raw_tags += 1;
        let tag = format!("fx{}", self.raw_tags);
        command.extend_from_slice(format!("{tag} APPEND {quoted}").as_bytes());
        for m in messages {
            command.extend_from_slice(format!(" {} \"{}\" {{{}+}}\r\n", flag_list(&m.flags), internal_date(m.date.unwrap_or(now)), m.bytes.len()).as_bytes());
            command.extend_from_slice(&m.bytes);
        }
        command.extend_from_slice(b"\r\n");
        let (_, status) = timed(self.timeout * 4, raw::send(&mut self.session, &tag, &command)).await?;
        match status.into_result() {
            Ok(()) => Ok(Ok(())),
            Err(e @ MailError::No(_)) => Ok(Err(e)),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_bounded_in_bytes_and_count() {
        let sizes: Vec<(u32, u32)> = (1..=450).map(|u| (u, 1000)).collect();
        let b = batches(&sizes);
        assert_eq!(b.iter().map(Vec::len).collect::<Vec<_>>(), [200, 200, 50]);
        let big = [(1, 1_500_000), (2, 1_500_000), (3, 50_000_000), (4, 10)];
        assert_eq!(batches(&big), vec![vec![1], vec![2], vec![3], vec![4]]);
        assert!(batches(&[]).is_empty());
    }

    #[test]
    fn message_ids_are_found_folded_or_not() {
        assert_eq!(message_id_of(b"Subject: x\r\nMessage-ID: <a@b>\r\n\r\nMessage-ID: <body@x>"), Some("<a@b>".to_string()));
        assert_eq!(message_id_of(b"message-id:\n <folded@b>\nX: y\n\nbody"), Some("<folded@b>".to_string()));
        assert_eq!(message_id_of(b"Subject: none\n\nMessage-ID: <in-body@x>\n"), None);
        assert_eq!(message_id_key("<a@b>"), message_id_key("a@b"));
        assert_eq!(internal_date(1_700_000_000), "14-Nov-2023 22:13:20 +0000");
    }
}
