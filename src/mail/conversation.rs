//! A message's conversation, gathered across folders by the server: the messages whose
//! Message-ID, In-Reply-To or References name a message of the conversation, in the folder
//! the message is in, the Inbox, Sent and Archive. Each round searches for the IDs learnt in
//! the round before, so a message whose References lost part of the chain is still found
//! through the message it answers.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::MailError;
use super::imap::{Folder, ImapConn, ListItem, Role};
use super::imap::wire::quote;
use super::mime;
use super::search::Keys;

/// One message of a conversation.
#[derive(Clone, Debug)]
pub struct Member {
    pub folder: String,
    pub uidvalidity: u32,
    /// Its row, with the server's preview of its text where it makes them.
    pub item: ListItem,
    /// Its date: the Date header, else its arrival.
    pub date: Option<i64>,
}

/// Rounds of searching for newly learnt IDs (a reply to a reply to a message whose
/// References are broken is found in the third).
const ROUNDS: usize = 3;
/// Conversations longer than this show their newest messages only.
pub const MAX_MEMBERS: usize = 100;
/// IDs searched for at once (a long References header names dozens).
const IDS_PER_SEARCH: usize = 60;

/// Where a conversation is gathered from: the folder of the message, then the Inbox, Sent and
/// Archive. Trash and Junk only when the message is there.
pub fn folders_for<'a>(current: &str, folders: &'a [Folder]) -> Vec<&'a Folder> {
    let mut out: Vec<&Folder> = folders.iter().filter(|f| f.name == current).collect();
    for role in [Role::Inbox, Role::Sent, Role::Archive] {
        if let Some(f) = folders.iter().find(|f| f.role == Some(role) && f.selectable)
            && !out.iter().any(|o| o.name == f.name)
        {
            out.push(f);
        }
    }
    out
}

/// The search keys that find messages named by, or naming, any of `ids`; `None` when no ID
/// can be searched for (non-ASCII or line breaks: not a real Message-ID). With `from_uid`,
/// only among the messages from that UID on (the server then reads only those).
fn keys_for(ids: &[String], from_uid: Option<u32>) -> Option<Keys> {
    let terms: Vec<String> = ids
        .iter()
        .filter_map(|id| quote(&format!("<{id}>")))
        .map(|q| format!("OR OR HEADER Message-ID {q} HEADER In-Reply-To {q} HEADER References {q}"))
        .collect();
    let (last, rest) = terms.split_last()?;
    // OR a (OR b (OR c d)): one key whatever the number of IDs.
    let mut text = last.clone();
    for t in rest.iter().rev() {
        text = format!("OR {t} ({text})");
    }
    if let Some(uid) = from_uid {
        text = format!("UID {uid}:* ({text})");
    }
    Some(Keys { pieces: vec![text], utf8: false })
}

/// How many messages before the first one found there a later round looks through in the
/// message's own folder.
const MARGIN: u32 = 2000;

/// The conversation of the message `opened` (in folder `current`, with these `ids`: its own
/// Message-ID and those it answers), oldest first, each message once (a copy in another
/// folder is left out, the one in `current` kept). Always holds the opened message.
///
/// In its own folder, the server's threads (see [`ImapConn::thread_of`], kept while the folder
/// is unchanged) give the conversation without a search through what may be 100,000
/// messages; the other folders are searched by header. A later round, for IDs learnt
/// elsewhere (a chain broken inside the folder), searches that folder again, among the
/// messages that arrived from [`MARGIN`] messages before the first one found there (by UID: a
/// search through 2,000 messages of a 100,000-message folder costs Dovecot 5 ms, through all
/// of them 210 ms).
///
/// With `side`, a second connection of the user's, the other folders are searched there, so
/// that `c` never leaves the message's folder; when it fails, it is dropped and `c` goes on.
pub async fn gather(
    c: &mut ImapConn,
    side: &mut Option<ImapConn>,
    folders: &[Folder],
    current: &str,
    opened: (u32, u32),
    ids: Vec<String>,
) -> Result<Vec<Member>, MailError> {
    let places = folders_for(current, folders);
    let (uidvalidity, uid) = opened;
    let mut g = Gathered { known: ids.into_iter().filter(|i| !i.is_empty()).collect(), opened: (current.to_string(), uid), ..Default::default() };
    let threaded = match c.thread_of(current, uidvalidity, uid).await? {
        Some(uids) => {
            g.add(c, current, uidvalidity, &uids).await?;
            true
        }
        None => false,
    };
    let mut searched: BTreeSet<String> = BTreeSet::new();
    for round in 0..ROUNDS {
        let fresh: Vec<String> = g.known.difference(&searched).cloned().collect();
        if fresh.is_empty() || g.found.len() >= MAX_MEMBERS {
            break;
        }
        searched.extend(fresh.iter().cloned());
        let first_here = g.found.iter().filter(|m| m.folder == current).map(|m| m.item.uid).min();
        // Each SELECT of another folder costs little, but coming back to a big one costs its
        // size (Dovecot on Maildir: 60 to 400 ms for 100,000 messages): the message's own
        // folder is searched last, and the others in the order that starts where the last
        // round ended.
        let mut visits: Vec<&Folder> = places.iter().copied().filter(|f| f.name != current).collect();
        if round % 2 == 1 {
            visits.reverse();
        }
        visits.extend(places.iter().copied().filter(|f| f.name == current));
        for chunk in fresh.chunks(IDS_PER_SEARCH) {
            for f in &visits {
                let own = threaded && f.name == current;
                if own && round == 0 {
                    continue;
                }
                let from_uid = first_here.filter(|_| own).map(|u| u.saturating_sub(MARGIN).max(1));
                let Some(keys) = keys_for(chunk, from_uid) else { continue };
                match side.as_mut() {
                    Some(s) if f.name != current => {
                        if let Err(e) = g.look(s, &f.name, &keys).await {
                            // The second connection failed: the user's goes on alone.
                            tracing::info!(error = %e, "a conversation's second connection failed");
                            *side = None;
                            g.look(c, &f.name, &keys).await?;
                        }
                    }
                    _ => g.look(c, &f.name, &keys).await?,
                }
            }
        }
    }
    if !g.found.iter().any(|m| m.folder == current && m.uidvalidity == uidvalidity && m.item.uid == uid) {
        // No Message-ID to search by: the conversation is the message alone.
        g.add(c, current, uidvalidity, &[uid]).await?;
    }
    let mut members = one_copy_each(g.found, current, opened);
    members.sort_by_key(|m| (m.date, m.item.internal_date, m.item.uid));
    if members.len() > MAX_MEMBERS {
        members.drain(..members.len() - MAX_MEMBERS);
    }
    Ok(members)
}

/// What a gathering has found so far, and the IDs it has learnt.
#[derive(Default)]
struct Gathered {
    /// The message the page shows whole (folder, UID): its row needs no preview.
    opened: (String, u32),
    known: BTreeSet<String>,
    found: Vec<Member>,
    seen: HashSet<(String, u32)>,
}

impl Gathered {
    /// Searches `folder` for `keys` and adds what it finds.
    async fn look(&mut self, c: &mut ImapConn, folder: &str, keys: &Keys) -> Result<(), MailError> {
        match c.search(folder, Some(keys)).await {
            Ok((uidvalidity, uids)) => self.add(c, folder, uidvalidity, &uids).await,
            // Gone meanwhile (another app deleted the folder): nothing there.
            Err(MailError::NotFound) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Adds these messages of `folder` (those not found yet) and learns their IDs.
    async fn add(&mut self, c: &mut ImapConn, folder: &str, uidvalidity: u32, uids: &[u32]) -> Result<(), MailError> {
        let new: Vec<u32> = uids.iter().copied().filter(|u| !self.seen.contains(&(folder.to_string(), *u))).collect();
        let opened = (self.opened.0 == folder).then_some(self.opened.1);
        for item in c.conversation_rows(folder, uidvalidity, &new, opened).await? {
            self.seen.insert((folder.to_string(), item.uid));
            let h = mime::list_headers(&item.headers);
            self.known.extend(h.message_id.iter().cloned());
            self.known.extend(h.references.iter().cloned());
            self.found.push(Member { folder: folder.to_string(), uidvalidity, date: h.date.or(item.internal_date), item });
        }
        Ok(())
    }
}

/// Leaves one copy of each message (the same Message-ID in two folders): the opened one, else
/// the one in `current`, else the first found.
fn one_copy_each(found: Vec<Member>, current: &str, opened: (u32, u32)) -> Vec<Member> {
    let is_opened = |m: &Member| m.folder == current && (m.uidvalidity, m.item.uid) == opened;
    let mut out: Vec<Member> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for m in found {
        let id = mime::list_headers(&m.item.headers).message_id;
        match id.as_ref().and_then(|id| by_id.get(id).copied()) {
            Some(i) => {
                let keep_new = is_opened(&m) || (m.folder == current && !is_opened(&out[i]) && out[i].folder != current);
                if keep_new {
                    out[i] = m;
                }
            }
            None => {
                if let Some(id) = id {
                    by_id.insert(id, out.len());
                }
                out.push(m);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_one_search_key() {
        let k = keys_for(&["a@x".into(), "b\"@x".into()], None).unwrap();
        assert_eq!(
            k.text(),
            r#"OR OR OR HEADER Message-ID "<a@x>" HEADER In-Reply-To "<a@x>" HEADER References "<a@x>" (OR OR HEADER Message-ID "<b\"@x>" HEADER In-Reply-To "<b\"@x>" HEADER References "<b\"@x>")"#
        );
        assert!(keys_for(&["été@x".into()], None).is_none());
        assert!(keys_for(&[], None).is_none());
        assert_eq!(keys_for(&["a@x".into()], Some(42)).unwrap().text().split(" (").next(), Some("UID 42:*"));
        let one = keys_for(&["a@x".into()], None).unwrap().text();
        assert!(one.starts_with("OR OR HEADER Message-ID") && !one.contains('('));
    }

    fn member(folder: &str, uid: u32, id: &str) -> Member {
        let headers = format!("Message-ID: <{id}>\r\n\r\n").into_bytes();
        let item = ListItem { uid, seen: true, flagged: false, answered: false, size: 1, headers, internal_date: None, preview: None, labels: Vec::new() };
        Member { folder: folder.into(), uidvalidity: 1, item, date: None }
    }

    #[test]
    fn copies_in_other_folders_are_shown_once() {
        let found = vec![member("INBOX", 1, "a@x"), member("Archive", 5, "a@x"), member("Sent", 2, "b@x"), member("Archive", 6, "b@x")];
        let kept: Vec<(String, u32)> = one_copy_each(found, "Archive", (1, 6)).into_iter().map(|m| (m.folder, m.item.uid)).collect();
        assert_eq!(kept, [("Archive".to_string(), 5), ("Archive".to_string(), 6)]);
    }
}
