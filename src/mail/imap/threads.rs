//! A folder's list by conversation: the server threads the folder (`UID THREAD REFS`, else
//! `REFERENCES`), Facteur keeps the result while the folder neither gains nor loses a
//! message, and a page fetches the flags of its conversations' messages and the rows of a few
//! of each (the first and the newest), never the whole folder's envelopes.

use std::collections::HashSet;
use std::sync::Arc;

use super::conn::ImapConn;
use super::raw::Token;
use super::types::{ListItem, MailboxState};
use super::wire::{all, flag_bits, uid_set};
use crate::mail::MailError;

/// The server's threads of one folder, newest conversation first, each in the server's
/// order (its first message first).
pub(super) struct ThreadCache {
    pub(super) mailbox: String,
    pub(super) uidvalidity: u32,
    pub(super) exists: u32,
    pub(super) expunges: u64,
    pub(super) threads: Arc<Threads>,
}

/// Conversations as UIDs, all in one vector (a folder of 100,000 messages is 800 KB, not
/// 100,000 vectors).
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Threads {
    uids: Vec<u32>,
    /// Where each conversation starts in `uids`.
    starts: Vec<u32>,
}

impl Threads {
    /// Newest conversation first, by the arrival of its newest message (UIDs grow with
    /// arrival). Not by the Date header as REFS orders them: a message dated in the future
    /// would stay on top.
    fn newest_first(self) -> Self {
        let mut order: Vec<(u32, usize)> = (0..self.len()).map(|i| (self.get(i).iter().max().copied().unwrap_or(0), i)).collect();
        order.sort_by_key(|(newest, _)| std::cmp::Reverse(*newest));
        let mut out = Threads { uids: Vec::with_capacity(self.uids.len()), starts: Vec::with_capacity(self.starts.len()) };
        for (_, i) in order {
            out.starts.push(out.uids.len() as u32);
            out.uids.extend_from_slice(self.get(i));
        }
        out
    }

    #[cfg(test)]
    fn from_groups(groups: Vec<Vec<u32>>) -> Self {
        let mut t = Threads::default();
        for g in groups {
            t.starts.push(t.uids.len() as u32);
            t.uids.extend(g);
        }
        t.newest_first()
    }

    pub(super) fn len(&self) -> usize {
        self.starts.len()
    }

    /// The conversation holding `uid`.
    pub(super) fn containing(&self, uid: u32) -> Option<&[u32]> {
        let at = self.uids.iter().position(|u| *u == uid)? as u32;
        let i = self.starts.partition_point(|s| *s <= at).checked_sub(1)?;
        Some(self.get(i))
    }

    /// Conversation `i` (0: the newest).
    pub(super) fn get(&self, i: usize) -> &[u32] {
        let start = self.starts.get(i).map(|s| *s as usize).unwrap_or(self.uids.len());
        let end = self.starts.get(i + 1).map(|s| *s as usize).unwrap_or(self.uids.len());
        &self.uids[start..end]
    }
}

/// One conversation of a page.
#[derive(Clone, Debug)]
pub struct Conversation {
    /// Every message of it in this folder, the first one first.
    pub uids: Vec<u32>,
    /// Those not read yet.
    pub unseen: Vec<u32>,
    pub flagged: bool,
    pub answered: bool,
    /// Rows of the first message and of the newest ones, oldest first.
    pub items: Vec<ListItem>,
}

impl Conversation {
    /// The message a click opens: the first unread, else the newest.
    pub fn opens(&self) -> u32 {
        self.uids.iter().find(|u| self.unseen.contains(u)).or(self.uids.iter().max()).copied().unwrap_or(0)
    }
}

/// A page of a folder by conversation.
#[derive(Clone, Debug)]
pub struct ConversationPage {
    pub mailbox: MailboxState,
    pub page: u32,
    pub pages: u32,
    /// How many conversations the folder holds.
    pub total: usize,
    pub conversations: Vec<Conversation>,
}

/// Rows fetched per conversation: its first message and this many of the newest.
const NEWEST_SHOWN: usize = 3;

impl ImapConn {
    /// Whether the server threads folders (THREAD=REFS or THREAD=REFERENCES, RFC 5256).
    pub fn can_thread(&self) -> bool {
        self.has_capability("THREAD=REFS") || self.has_capability("THREAD=REFERENCES")
    }

    /// Page `page` (1-based) of `mailbox` by conversation, newest first; `None` when the
    /// server cannot thread.
    pub async fn conversation_page(&mut self, mailbox: &str, page: u32, per_page: u32) -> Result<Option<ConversationPage>, MailError> {
        if !self.can_thread() {
            return Ok(None);
        }
        let state = self.select(mailbox).await?;
        let threads = self.threads(&state).await?;
        let per_page = per_page.max(1);
        let pages = (threads.len() as u32).div_ceil(per_page).max(1);
        let page = page.clamp(1, pages);
        let first = ((page - 1) * per_page) as usize;
        let chosen: Vec<&[u32]> = (first..(first + per_page as usize).min(threads.len())).map(|i| threads.get(i)).collect();
        let every: Vec<u32> = chosen.iter().flat_map(|t| t.iter().copied()).collect();
        let mut flags = std::collections::HashMap::new();
        if !every.is_empty() {
            let set = uid_set(&every);
            for f in self.command(async |s| all(s.uid_fetch(&set, "(UID FLAGS)")).await).await? {
                if let Some(uid) = f.uid {
                    flags.insert(uid, flag_bits(f.flags()));
                }
            }
        }
        let shown: Vec<u32> = chosen.iter().flat_map(|t| shown_of(t)).collect();
        let rows = self.rows(mailbox, state.uidvalidity, &shown).await?;
        let conversations = chosen
            .into_iter()
            .filter_map(|t| {
                // Messages removed since the threads were read are left out.
                let uids: Vec<u32> = t.iter().copied().filter(|u| flags.contains_key(u)).collect();
                if uids.is_empty() {
                    return None;
                }
                let wanted: HashSet<u32> = shown_of(&uids).into_iter().collect();
                let mut items: Vec<ListItem> = rows.iter().filter(|r| wanted.contains(&r.uid)).cloned().collect();
                items.sort_by_key(|i| i.uid);
                let bits = |u: &u32| flags.get(u).copied().unwrap_or((true, false, false));
                Some(Conversation {
                    unseen: uids.iter().copied().filter(|u| !bits(u).0).collect(),
                    flagged: uids.iter().any(|u| bits(u).1),
                    answered: uids.iter().any(|u| bits(u).2),
                    items,
                    uids,
                })
            })
            .collect();
        Ok(Some(ConversationPage { mailbox: state, page, pages, total: threads.len(), conversations }))
    }

    /// The UIDs of the conversation that message `uid` of `mailbox` belongs to in that folder,
    /// from the folder's threads; `None` when the server cannot thread or the folder's
    /// UIDVALIDITY changed.
    pub async fn thread_of(&mut self, mailbox: &str, uidvalidity: u32, uid: u32) -> Result<Option<Vec<u32>>, MailError> {
        if !self.can_thread() {
            return Ok(None);
        }
        let state = self.select(mailbox).await?;
        if state.uidvalidity != uidvalidity {
            return Ok(None);
        }
        let threads = self.threads(&state).await?;
        Ok(threads.containing(uid).map(<[u32]>::to_vec))
    }

    /// The folder's threads, from the last THREAD while the folder is unchanged.
    async fn threads(&mut self, state: &MailboxState) -> Result<Arc<Threads>, MailError> {
        if let Some(c) = &self.threads
            && c.mailbox == state.name
            && c.uidvalidity == state.uidvalidity
            && c.exists == state.exists
            && c.expunges == self.expunges
        {
            return Ok(c.threads.clone());
        }
        let algorithm = if self.has_capability("THREAD=REFS") { "REFS" } else { "REFERENCES" };
        let (replies, status) = self.raw(&format!("UID THREAD {algorithm} UTF-8 ALL")).await?;
        status.into_result()?;
        let threads = threads_of(&replies).newest_first();
        let threads = Arc::new(threads);
        self.threads = Some(ThreadCache {
            mailbox: state.name.clone(),
            uidvalidity: state.uidvalidity,
            exists: state.exists,
            expunges: self.expunges,
            threads: threads.clone(),
        });
        Ok(threads)
    }
}

/// The messages of a conversation whose rows are shown: the first and the newest.
fn shown_of(thread: &[u32]) -> Vec<u32> {
    let mut newest: Vec<u32> = thread.to_vec();
    newest.sort_unstable_by(|a, b| b.cmp(a));
    newest.truncate(NEWEST_SHOWN);
    if let Some(first) = thread.first()
        && !newest.contains(first)
    {
        newest.push(*first);
    }
    newest
}

/// The conversations of `* THREAD (1 2 (3)(4 5))(6)`: each top-level group's numbers, in
/// the order written.
fn threads_of(replies: &[Vec<Token>]) -> Threads {
    let mut out = Threads::default();
    for r in replies.iter().filter(|r| r.first().is_some_and(|t| t.is("THREAD"))) {
        let mut depth = 0usize;
        let mut start = out.uids.len();
        for t in &r[1..] {
            match t {
                Token::Open => depth += 1,
                Token::Close => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 && out.uids.len() > start {
                        out.starts.push(start as u32);
                        start = out.uids.len();
                    }
                }
                _ => out.uids.extend(t.number()),
            }
        }
        out.uids.truncate(start);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::imap::raw;

    #[test]
    fn thread_replies_are_read() {
        let r = vec![raw::tokens(b"THREAD (1 2 (3)(4 5))(6)((7)(8 9))")];
        let t = threads_of(&r);
        assert_eq!((t.len(), t.get(0), t.get(1), t.get(2)), (3, &[1, 2, 3, 4, 5][..], &[6][..], &[7, 8, 9][..]));
        assert_eq!(threads_of(&[raw::tokens(b"THREAD")]), Threads::default());
        assert_eq!(threads_of(&[raw::tokens(b"SEARCH 1 2")]), Threads::default());
        // A group left open at the end is not a conversation.
        assert_eq!(threads_of(&[raw::tokens(b"THREAD (1)(2 3")]).len(), 1);
    }

    #[test]
    fn conversations_are_kept_newest_first_in_one_vector() {
        let t = Threads::from_groups(vec![vec![1, 2, 3], vec![6], vec![4, 9, 5]]);
        assert_eq!(t.len(), 3);
        assert_eq!((t.get(0), t.get(1), t.get(2), t.get(3)), (&[4, 9, 5][..], &[6][..], &[1, 2, 3][..], &[][..]));
        assert_eq!(t.containing(5), Some(&[4, 9, 5][..]));
        assert_eq!(t.containing(6), Some(&[6][..]));
        assert_eq!(t.containing(1), Some(&[1, 2, 3][..]));
        assert_eq!(t.containing(7), None);
    }

    #[test]
    fn the_first_and_newest_messages_are_shown() {
        assert_eq!(shown_of(&[10, 3, 7, 12, 5]), vec![12, 10, 7]);
        assert_eq!(shown_of(&[2, 30, 7, 12, 5]), vec![30, 12, 7, 2]);
        assert_eq!(shown_of(&[4]), vec![4]);
        let c = Conversation { uids: vec![2, 5, 9], unseen: vec![9, 5], flagged: false, answered: false, items: vec![] };
        assert_eq!(c.opens(), 5);
        let c = Conversation { unseen: vec![], ..c };
        assert_eq!(c.opens(), 9);
    }
}
