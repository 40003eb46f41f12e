//! Messages: list pages (refreshed with CONDSTORE), whole messages, flags, moves, deletion and
//! APPEND.

use std::collections::HashMap;
use std::sync::Arc;

use async_imap::imap_proto::{BodyStructure, ContentEncoding};

use super::conn::{ImapConn, Placed};
use super::raw::{self, Token};
use super::types::{Filter, ListItem, Order, Page, RawMessage, SortKey, Window};
use super::wire::{all, flag_bits, labels, quote, timed, uid_set};
use crate::mail::mime;
use crate::mail::model::{Flag, MessageRef, MessageSet, Uid, UidValidity};
use crate::mail::{MailError, utf7};

/// Messages up to this size stay cached for the parts and frame requests that follow a view.
const MESSAGE_CACHE_MAX: usize = 4 * 1024 * 1024;


impl ImapConn {
    /// One page (1-based) of `mailbox` in `order`. In arrival order (the default, newest
    /// first), only that window of sequence numbers is fetched; when the same page was shown
    /// last and no message arrived or left since, only the rows whose flags changed are
    /// fetched (CONDSTORE `CHANGEDSINCE`): a refresh costs O(changes). Any other order is the
    /// server's SORT, asked for that page only (see [`Self::sorted_uids`]). Without SORT, the
    /// list is in arrival order whatever was asked.
    pub async fn list_page(&mut self, mailbox: &str, order: Order, page: u32, per_page: u32) -> Result<Page, MailError> {
        let state = self.select(mailbox).await?;
        let per_page = per_page.max(1);
        let pages = state.exists.div_ceil(per_page).max(1);
        let page = page.clamp(1, pages);
        if order.key != SortKey::Arrival && self.has_capability("SORT") {
            let first = (page - 1) * per_page + 1;
            let uids = self.sorted_uids(order, first, per_page).await?;
            let mut items = self.rows(mailbox, state.uidvalidity, &uids).await?;
            items.sort_by_key(|i| uids.iter().position(|u| *u == i.uid));
            return Ok(Page { mailbox: state, page, pages, items });
        }
        let ascending = order.key == SortKey::Arrival && !order.descending;
        let condstore = self.has_capability("CONDSTORE");
        let reusable = condstore
            && self.window.as_ref().is_some_and(|w| {
                w.mailbox == state.name
                    && w.uidvalidity == state.uidvalidity
                    && w.page == page
                    && w.per_page == per_page
                    && w.ascending == ascending
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
            let (lo, hi) = if ascending {
                let lo = (page - 1) * per_page + 1;
                (lo, (lo + per_page - 1).min(state.exists))
            } else {
                let hi = state.exists - (page - 1) * per_page;
                (hi.saturating_sub(per_page - 1).max(1), hi)
            };
            let query = if condstore {
                "(UID FLAGS MODSEQ RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT CONTENT-TYPE)])"
            } else {
                ROW_ITEMS
            };
            let fetches = self.command(async |s| all(s.fetch(format!("{lo}:{hi}"), query)).await).await?;
            for f in &fetches {
                let Some(item) = list_item(f) else { continue };
                modseq = modseq.max(f.modseq.unwrap_or(0));
                items.push((f.message, item));
            }
            if ascending {
                items.sort_by_key(|(seq, _)| *seq);
            } else {
                items.sort_by_key(|(seq, _)| std::cmp::Reverse(*seq));
            }
            self.add_previews(mailbox, state.uidvalidity, items.iter_mut().map(|(_, i)| i)).await?;
        }
        self.window = (condstore && modseq > 0).then(|| Window {
            mailbox: state.name.clone(),
            uidvalidity: state.uidvalidity,
            page,
            per_page,
            ascending,
            exists: state.exists,
            expunges: self.expunges,
            modseq,
            items: items.clone(),
        });
        Ok(Page { mailbox: state, page, pages, items: items.into_iter().map(|(_, i)| i).collect() })
    }

    /// The UIDs at positions `first`.. (1-based, `count` of them) of the selected folder
    /// sorted in `order` by the server. The server's order is asked for [`SORT_WINDOW`]
    /// positions at a time and kept while the folder neither gains nor loses a message (Dovecot
    /// takes 30 to 90 ms to sort 100,000 messages, whatever part of the result is asked for):
    /// paging through ten pages costs one SORT. With ESORT, only that window comes back
    /// (`RETURN (PARTIAL …)`, RFC 5267), whatever the folder's size; otherwise the server's
    /// whole sorted list is read and the window kept.
    pub(super) async fn sorted_uids(&mut self, order: Order, first: u32, count: u32) -> Result<Vec<u32>, MailError> {
        let count = count.max(1);
        let Some(sel) = self.selected.clone() else { return Err(MailError::NotFound) };
        let expunges = self.expunges;
        let fits = |w: &SortWindow| {
            w.mailbox == sel.name
                && w.uidvalidity == sel.uidvalidity
                && w.exists == sel.exists
                && w.expunges == expunges
                && w.order == order
                && first >= w.first
                // The page lies inside the window, or the window reaches the folder's end.
                && (first + count <= w.first + w.uids.len() as u32 || (w.uids.len() as u32) < w.len)
        };
        if let Some(w) = self.sorted.as_ref().filter(|w| fits(w)) {
            return Ok(w.uids.iter().skip((first - w.first) as usize).take(count as usize).copied().collect());
        }
        let start = first - (first - 1) % SORT_WINDOW;
        let len = SORT_WINDOW.max(first + count - start);
        let uids = self.sort_range(order, start, len).await?;
        let page = uids.iter().skip((first - start) as usize).take(count as usize).copied().collect();
        self.sorted = Some(SortWindow { mailbox: sel.name, uidvalidity: sel.uidvalidity, exists: sel.exists, expunges, order, first: start, len, uids });
        Ok(page)
    }

    /// Positions `first`..`first + len` of the selected folder in `order`, from the server.
    async fn sort_range(&mut self, order: Order, first: u32, len: u32) -> Result<Vec<u32>, MailError> {
        let key = match order.key {
            SortKey::Arrival => "ARRIVAL",
            SortKey::Date => "DATE",
            SortKey::From if self.has_capability("SORT=DISPLAY") => "DISPLAYFROM",
            SortKey::From => "FROM",
            SortKey::Subject => "SUBJECT",
            SortKey::Size => "SIZE",
        };
        let criteria = if order.descending { format!("(REVERSE {key})") } else { format!("({key})") };
        if self.has_capability("ESORT") && !self.no_partial {
            let last = first.saturating_add(len - 1);
            let (replies, status) = self.raw(&format!("UID SORT RETURN (PARTIAL {first}:{last}) {criteria} UTF-8 ALL")).await?;
            match status {
                raw::Status::Ok => return Ok(esearch(&replies, len as usize).partial),
                // ESORT without PARTIAL (RFC 5267 ties PARTIAL to CONTEXT=SORT): sort the plain way from now on.
                raw::Status::Bad(text) => {
                    tracing::info!(reply = %text, "SORT RETURN (PARTIAL) refused; sorting whole folders");
                    self.no_partial = true;
                }
                raw::Status::No(text) => return Err(MailError::No(text)),
            }
        }
        let replies = self.tagged(format!("UID SORT {criteria} UTF-8 ALL"), None).await?;
        Ok(replies.found.into_iter().skip(first.saturating_sub(1) as usize).take(len as usize).collect())
    }

    /// Applies flag changes since the window was fetched. `false`: fetch the window again.
    async fn refresh_window(&mut self) -> Result<bool, MailError> {
        let Some(w) = &self.window else { return Ok(false) };
        let (Some(hi), Some(lo)) = (w.items.first().map(|(s, _)| *s), w.items.last().map(|(s, _)| *s)) else {
            return Ok(false);
        };
        let since = w.modseq;
        let expunges = self.expunges;
        let fetches = self
            .command(async |s| all(s.fetch(format!("{lo}:{hi}"), format!("(UID FLAGS) (CHANGEDSINCE {since})"))).await)
            .await?;
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
            row.1.labels = labels(f.flags());
            w.modseq = w.modseq.max(f.modseq.unwrap_or(0));
        }
        Ok(true)
    }

    /// The whole message, without setting \Seen. A changed UIDVALIDITY or a missing UID is
    /// [`MailError::NotFound`]. With `cached`, the copy kept from the last fetch of the same
    /// message may answer (for the frame and parts requests that follow a message page);
    /// without, the server is asked, so a message deleted elsewhere is noticed.
    pub async fn fetch_message(&mut self, m: &MessageRef, cached: bool) -> Result<RawMessage, MailError> {
        let (mailbox, uidvalidity, uid) = (m.mailbox.as_str(), m.uidvalidity.0, m.uid.0);
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
        let fetches = self.command(async |s| all(s.uid_fetch(uid.to_string(), "(UID FLAGS BODY.PEEK[])")).await).await?;
        let Some(f) = fetches.into_iter().find(|f| f.uid == Some(uid)) else {
            return Err(MailError::NotFound);
        };
        let (seen, flagged, _) = flag_bits(f.flags());
        let bytes = Arc::new(f.body().map(<[u8]>::to_vec).unwrap_or_default());
        let msg = RawMessage { uid, uidvalidity, seen, flagged, labels: labels(f.flags()), bytes };
        if msg.bytes.len() <= MESSAGE_CACHE_MAX {
            self.cached = Some((key, msg.clone()));
        }
        Ok(msg)
    }

    /// The UIDs of `mailbox` matching `keys` (from [`crate::mail::search`]; `None`: all),
    /// and the folder's UIDVALIDITY. The server searches; a refusal (a search key it does
    /// not support, a charset) is [`MailError::No`].
    pub async fn search(&mut self, mailbox: &str, keys: Option<&crate::mail::search::Keys>) -> Result<(u32, Vec<u32>), MailError> {
        let state = self.select(mailbox).await?;
        let replies = match keys {
            None => self.tagged("UID SEARCH ALL".into(), None).await?,
            Some(k) => {
                let charset = if k.utf8 { "CHARSET UTF-8 " } else { "" };
                let mut pieces = k.pieces.clone();
                let first = format!("UID SEARCH {charset}{}", if pieces.is_empty() { String::new() } else { pieces.remove(0) });
                self.tagged_pieces(first, pieces).await?
            }
        };
        Ok((state.uidvalidity, replies.found))
    }

    /// Page `page` of the messages of `mailbox` that carry (or lack) a flag, newest first (the
    /// list's quick filters: `UNSEEN`, `FLAGGED`), and how many there are. With ESORT one
    /// `UID SORT RETURN (COUNT PARTIAL a:b)` whatever the folder's size and the page's depth;
    /// elsewhere the whole UID SEARCH, cut to the page. Then one FETCH of the page's rows.
    pub async fn filtered_page(&mut self, mailbox: &str, filter: Filter, page: u32, per_page: u32) -> Result<(Page, u32), MailError> {
        let criteria = filter.criteria();
        let per_page = per_page.max(1);
        let page = page.max(1);
        let first = (page - 1).saturating_mul(per_page).saturating_add(1);
        let state = self.select(mailbox).await?;
        let mut found = None;
        if self.has_capability("ESORT") && !self.no_partial {
            let last = first.saturating_add(per_page - 1);
            let (replies, status) = self.raw(&format!("UID SORT RETURN (COUNT PARTIAL {first}:{last}) (REVERSE ARRIVAL) UTF-8 {criteria}")).await?;
            match status {
                raw::Status::Ok => {
                    let r = esearch(&replies, per_page as usize);
                    found = Some((r.count.unwrap_or(0), r.partial));
                }
                raw::Status::No(text) => return Err(MailError::No(text)),
                raw::Status::Bad(text) => {
                    tracing::info!(reply = %text, "SORT RETURN (PARTIAL) refused; searching whole folders");
                    self.no_partial = true;
                }
            }
        }
        let (total, uids): (u32, Vec<u32>) = match found {
            Some(f) => f,
            None => {
                let keys = crate::mail::search::Keys { pieces: vec![criteria.to_string()], utf8: false };
                let (_, mut uids) = self.search(mailbox, Some(&keys)).await?;
                uids.sort_unstable_by(|a, b| b.cmp(a));
                let total = u32::try_from(uids.len()).unwrap_or(u32::MAX);
                (total, uids.into_iter().skip((first - 1) as usize).take(per_page as usize).collect())
            }
        };
        let mut items = self.rows(mailbox, state.uidvalidity, &uids).await?;
        // Newest first: UIDs grow with arrival (a range such as 7:1 may come back ascending).
        items.sort_unstable_by_key(|i| std::cmp::Reverse(i.uid));
        let pages = total.div_ceil(per_page).max(1);
        Ok((Page { mailbox: state, page, pages, items }, total))
    }

    /// Every message of `mailbox`, or those a quick filter shows: the folder's UIDVALIDITY
    /// and their UIDs (one UID SEARCH; acting on them sends them back as ranges, `1:100000`).
    pub async fn all_of(&mut self, mailbox: &str, filter: Option<Filter>) -> Result<(u32, Vec<u32>), MailError> {
        let keys = filter.map(|f| crate::mail::search::Keys { pieces: vec![f.criteria().to_string()], utf8: false });
        self.search(mailbox, keys.as_ref()).await
    }

    /// The `want` newest messages of `mailbox` matching `keys` (`None`: all), newest first
    /// (or with `by_size` the largest, largest first), how many match in all, and the
    /// folder's UIDVALIDITY. With ESORT (and LITERAL+ when a key is a literal) that is one
    /// command whose reply holds only those UIDs and the count (`UID SORT RETURN (COUNT
    /// PARTIAL 1:want) (REVERSE ARRIVAL) …`); otherwise the whole UID SEARCH result is read
    /// and cut (by size: after one FETCH of their sizes).
    pub async fn search_top(&mut self, mailbox: &str, keys: Option<&crate::mail::search::Keys>, want: u32, by_size: bool) -> Result<(u32, usize, Vec<u32>), MailError> {
        let literals = keys.is_some_and(|k| k.pieces.len() > 1);
        if self.has_capability("ESORT") && !self.no_partial && (!literals || self.has_capability("LITERAL+")) {
            let state = self.select(mailbox).await?;
            let criteria = keys.map(|k| k.inline()).filter(|k| !k.is_empty()).unwrap_or_else(|| "ALL".into());
            let order = if by_size { "(REVERSE SIZE)" } else { "(REVERSE ARRIVAL)" };
            let command = format!("UID SORT RETURN (COUNT PARTIAL 1:{}) {order} UTF-8 {criteria}", want.max(1));
            let (replies, status) = self.raw(&command).await?;
            match status {
                raw::Status::Ok => {
                    let r = esearch(&replies, want as usize);
                    return Ok((state.uidvalidity, r.count.unwrap_or(0) as usize, r.partial));
                }
                raw::Status::No(text) => return Err(MailError::No(text)),
                raw::Status::Bad(text) => {
                    tracing::info!(reply = %text, "SORT RETURN (PARTIAL) refused; searching whole folders");
                    self.no_partial = true;
                }
            }
        }
        let (uidvalidity, mut uids) = self.search(mailbox, keys).await?;
        let total = uids.len();
        if by_size {
            let (_, mut sizes) = self.sizes(mailbox, Some(&uids)).await?;
            sizes.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
            uids = sizes.into_iter().map(|(uid, _)| uid).collect();
        } else {
            // Newest by arrival first: UIDs grow with arrival in a folder.
            uids.sort_unstable_by(|a, b| b.cmp(a));
        }
        uids.truncate(want as usize);
        Ok((uidvalidity, total, uids))
    }

    /// The size and the header fields `names` of these messages of `mailbox`: (UID, size,
    /// the fields as the message has them).
    pub async fn header_fields(&mut self, mailbox: &str, uidvalidity: u32, uids: &[u32], names: &[String]) -> Result<Vec<(u32, u32, Vec<u8>)>, MailError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        self.select_valid(mailbox, uidvalidity).await?;
        let items = format!("(UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS ({})])", names.join(" "));
        let set = uid_set(uids);
        let fetches = self.command(async |s| all(s.uid_fetch(&set, &items)).await).await?;
        Ok(fetches.iter().filter_map(|f| Some((f.uid?, f.size.unwrap_or(0), f.header().map(<[u8]>::to_vec).unwrap_or_default()))).collect())
    }

    /// List rows of these messages of the selected folder `mailbox`, in no particular order.
    pub async fn rows(&mut self, mailbox: &str, uidvalidity: u32, uids: &[u32]) -> Result<Vec<ListItem>, MailError> {
        self.rows_with(mailbox, uidvalidity, uids, ROW_ITEMS, None).await
    }

    /// [`Self::rows`] whose headers also hold Message-ID, In-Reply-To and References; no
    /// preview for `opened`, the message the page shows whole (a server makes a preview from
    /// the message's body the first time it is asked for one: Dovecot spent 15 to 200 ms on
    /// that for a message just opened in a 100,000-message folder).
    pub async fn conversation_rows(&mut self, mailbox: &str, uidvalidity: u32, uids: &[u32], opened: Option<u32>) -> Result<Vec<ListItem>, MailError> {
        self.rows_with(mailbox, uidvalidity, uids, CONVERSATION_ITEMS, opened).await
    }

    async fn rows_with(&mut self, mailbox: &str, uidvalidity: u32, uids: &[u32], items: &'static str, no_preview: Option<u32>) -> Result<Vec<ListItem>, MailError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        self.select_valid(mailbox, uidvalidity).await?;
        let set = uid_set(uids);
        let fetches = self.command(async |s| all(s.uid_fetch(&set, items)).await).await?;
        let mut rows: Vec<ListItem> = fetches.iter().filter_map(list_item).collect();
        self.add_previews(mailbox, uidvalidity, rows.iter_mut().filter(|r| Some(r.uid) != no_preview)).await?;
        Ok(rows)
    }

    /// The start of each message's first text part, read into a line of text: their
    /// BODYSTRUCTUREs (one command), then [`PEEK_BYTES`] of the parts, one command per part
    /// number (`1`, `1.1`…: usually one or two per page).
    async fn peeks(&mut self, uids: &[u32]) -> Result<HashMap<u32, String>, MailError> {
        let set = uid_set(uids);
        let structures = self.command(async |s| all(s.uid_fetch(&set, "(UID BODYSTRUCTURE)")).await).await?;
        let mut wanted: HashMap<Vec<u32>, Vec<(u32, TextPart)>> = HashMap::new();
        for f in &structures {
            if let (Some(uid), Some(part)) = (f.uid, f.bodystructure().and_then(|b| first_text(b, Vec::new()))) {
                wanted.entry(part.path.clone()).or_default().push((uid, part));
            }
        }
        let mut out = HashMap::new();
        for (path, parts) in wanted {
            let set = uid_set(&parts.iter().map(|(u, _)| *u).collect::<Vec<_>>());
            let number = path.iter().map(u32::to_string).collect::<Vec<_>>().join(".");
            let item = format!("(UID BODY.PEEK[{number}]<0.{PEEK_BYTES}>)");
            let fetches = self.command(async |s| all(s.uid_fetch(&set, &item)).await).await?;
            let section = async_imap::imap_proto::SectionPath::Part(path.clone(), None);
            for f in &fetches {
                let (Some(uid), Some(bytes)) = (f.uid, f.section(&section)) else { continue };
                if let Some((_, p)) = parts.iter().find(|(u, _)| *u == uid) {
                    out.insert(uid, mime::peek(bytes, &p.encoding, &p.charset, p.html));
                }
            }
        }
        Ok(out)
    }

    /// Gives these rows of the selected folder their previews (one command), where the
    /// server makes them.
    pub(super) async fn add_previews<'a>(&mut self, mailbox: &str, uidvalidity: u32, rows: impl Iterator<Item = &'a mut ListItem>) -> Result<(), MailError> {
        let mut rows: Vec<&mut ListItem> = rows.collect();
        let uids: Vec<u32> = rows.iter().map(|r| r.uid).collect();
        let mut previews = self.previews(mailbox, uidvalidity, &uids).await?;
        for r in rows.iter_mut() {
            r.preview = previews.remove(&r.uid);
        }
        Ok(())
    }

    /// A one-line preview of each of these messages of `mailbox`, by UID: RFC 8970 `PREVIEW`,
    /// made by the server from the body's first words; where the server has no PREVIEW, a
    /// peek at the start of each message's first text part (see [`Self::peeks`]).
    pub async fn previews(&mut self, mailbox: &str, uidvalidity: u32, uids: &[u32]) -> Result<HashMap<u32, String>, MailError> {
        if uids.is_empty() {
            return Ok(HashMap::new());
        }
        self.select_valid(mailbox, uidvalidity).await?;
        if !self.has_capability("PREVIEW") {
            return self.peeks(uids).await;
        }
        let (replies, status) = self.raw(&format!("UID FETCH {} (UID PREVIEW)", uid_set(uids))).await?;
        status.into_result()?;
        Ok(previews_of(&replies))
    }

    /// The UIDs of the messages that arrived just after and just before message `uid` of
    /// `mailbox`, `(newer, older)`: the message page's next and previous. Two short commands
    /// (its sequence number, then its neighbours'), whatever the folder's size.
    pub async fn neighbours(&mut self, mailbox: &str, uidvalidity: u32, uid: u32) -> Result<(Option<u32>, Option<u32>), MailError> {
        self.select_valid(mailbox, uidvalidity).await?;
        let (replies, status) = self.raw(&format!("UID FETCH {uid} (UID)")).await?;
        status.into_result()?;
        let Some(seq) = sequence_uids(&replies).into_iter().find(|(_, u)| *u == uid).map(|(s, _)| s) else {
            return Ok((None, None));
        };
        let exists = self.selected.as_ref().map(|s| s.exists).unwrap_or(0);
        let around: Vec<String> =
            [seq.checked_sub(1).filter(|s| *s >= 1), Some(seq + 1).filter(|s| *s <= exists)].into_iter().flatten().map(|s| s.to_string()).collect();
        if around.is_empty() {
            return Ok((None, None));
        }
        let (replies, status) = self.raw(&format!("FETCH {} (UID)", around.join(","))).await?;
        status.into_result()?;
        let found = sequence_uids(&replies);
        let at = |s: u32| found.iter().find(|(q, _)| *q == s).map(|(_, u)| *u);
        Ok((at(seq + 1), seq.checked_sub(1).and_then(at)))
    }

    /// Sets or clears \Seen on one message.
    pub async fn set_seen(&mut self, m: &MessageRef, seen: bool) -> Result<(), MailError> {
        let (mailbox, uid) = (m.mailbox.as_str(), m.uid.0);
        self.select_valid(mailbox, m.uidvalidity.0).await?;
        self.store(&uid.to_string(), seen, &[Flag::Seen]).await?;
        if let Some((_, m)) = self.cached.as_mut()
            && m.uid == uid
        {
            m.seen = seen;
        }
        self.adjust_unread(mailbox, if seen { -1 } else { 1 });
        Ok(())
    }

    /// Adds or removes `flags` on the messages `m`.
    pub async fn store_flags(&mut self, m: &MessageSet, add: bool, flags: &[Flag]) -> Result<(), MailError> {
        if m.uids.is_empty() || flags.is_empty() {
            return Ok(());
        }
        self.select_valid(&m.mailbox, m.uidvalidity.0).await?;
        self.store(&uids_of(m), add, flags).await?;
        self.cached = None;
        if flags.contains(&Flag::Seen) {
            self.invalidate_folders();
        }
        Ok(())
    }

    /// Which of the messages `m` carry `flag` now.
    pub async fn having(&mut self, m: &MessageSet, flag: &Flag) -> Result<MessageSet, MailError> {
        self.select_valid(&m.mailbox, m.uidvalidity.0).await?;
        let set = uids_of(m);
        let found = self.tagged(format!("UID SEARCH UID {set} {}", search_key(flag)), None).await?.found;
        Ok(MessageSet { uids: m.uids.iter().copied().filter(|u| found.contains(&u.0)).collect(), ..m.clone() })
    }

    /// UID STORE on the selected folder, its refusal reported.
    async fn store(&mut self, set: &str, add: bool, flags: &[Flag]) -> Result<(), MailError> {
        self.tagged(format!("UID STORE {set} {}", store_op(add, flags)), None).await.map(|_| ())
    }

    /// Moves messages to `target` (MOVE, or COPY + \Deleted + EXPUNGE of exactly these).
    /// Returns where they went when the server says so for every one of them (COPYUID), for
    /// undo. Without MOVE, a failure after the copy is taken back (the copies removed, the
    /// originals unmarked) so that the messages end up in one place, as they were.
    pub async fn move_messages(&mut self, m: &MessageSet, target: &str) -> Result<Option<MessageSet>, MailError> {
        if m.uids.is_empty() {
            return Ok(None);
        }
        self.select_valid(&m.mailbox, m.uidvalidity.0).await?;
        let set = uids_of(m);
        let target_wire = utf7::encode(target);
        let quoted = quote(&target_wire).ok_or_else(|| MailError::No("bad folder name".into()))?;
        let placed = if self.has_capability("MOVE") {
            self.tagged(format!("UID MOVE {set} {quoted}"), None).await?.placed
        } else {
            // Checked before the copy: a refusal leaves no duplicate behind.
            let uidplus = self.expunge_is_exact(m).await?;
            // Courier answers COPYUID in the tagged OK, Dovecot too for COPY: read it there.
            let placed = self.tagged(format!("UID COPY {set} {quoted}"), None).await?.placed;
            if let Err((reason, left)) = self.remove(m, uidplus).await {
                self.take_back_copies(&left, target, &placed).await;
                return Err(reason);
            }
            placed
        };
        let (mut uidvalidity, mut uids) = (None, Vec::new());
        for p in placed {
            if let Placed::Copied(uv, _, dst) = p {
                uidvalidity = Some(UidValidity(uv));
                uids.extend(dst.into_iter().map(Uid));
            }
        }
        self.cached = None;
        self.invalidate_folders();
        Ok(uidvalidity
            .filter(|_| uids.len() == m.uids.len())
            .map(|uidvalidity| MessageSet { mailbox: target.to_string(), uidvalidity, uids }))
    }

    /// After a copy whose originals could not all be removed: the originals `left` (UIDs in
    /// the selected folder) lose \Deleted, and their copies in `target` are removed. Best effort:
    /// what cannot be done is logged.
    async fn take_back_copies(&mut self, left: &[u32], target: &str, placed: &[Placed]) {
        self.cached = None;
        self.invalidate_folders();
        if left.is_empty() {
            return;
        }
        if let Err(e) = self.store(&uid_set(left), false, &[Flag::Deleted]).await {
            tracing::warn!(error = %e, "could not unmark messages after a failed move");
        }
        let copies: Vec<u32> = placed
            .iter()
            .flat_map(|p| match p {
                Placed::Copied(_, src, dst) => src.iter().zip(dst).filter(|(s, _)| left.contains(s)).map(|(_, d)| *d).collect(),
                Placed::Appended(..) => Vec::new(),
            })
            .collect();
        let uidvalidity = placed.iter().find_map(|p| match p {
            Placed::Copied(uv, ..) => Some(*uv),
            Placed::Appended(..) => None,
        });
        let Some(uidvalidity) = uidvalidity.filter(|_| !copies.is_empty()) else {
            tracing::warn!(folder = %target, "a failed move left copies that cannot be told apart (no COPYUID)");
            return;
        };
        let copies = MessageSet { mailbox: target.to_string(), uidvalidity: UidValidity(uidvalidity), uids: copies.into_iter().map(Uid).collect() };
        let removed = async {
            self.select_valid(target, uidvalidity).await?;
            let set = uids_of(&copies);
            self.store(&set, true, &[Flag::Deleted]).await?;
            self.expunge(&set, true).await
        }
        .await;
        if let Err(e) = removed {
            tracing::warn!(error = %e, folder = %target, "could not remove the copies of a failed move");
        }
    }

    /// Deletes messages for good: \Deleted + EXPUNGE of exactly these.
    pub async fn delete_forever(&mut self, m: &MessageSet) -> Result<(), MailError> {
        if m.uids.is_empty() {
            return Ok(());
        }
        self.select_valid(&m.mailbox, m.uidvalidity.0).await?;
        let uidplus = self.expunge_is_exact(m).await?;
        let removed = self.remove(m, uidplus).await;
        self.cached = None;
        self.invalidate_folders();
        if let Err((reason, left)) = removed {
            // Not removed: not left marked either (other apps would hide or purge them).
            if !left.is_empty()
                && let Err(undo) = self.store(&uid_set(&left), false, &[Flag::Deleted]).await
            {
                tracing::warn!(error = %undo, "could not unmark messages after a refused deletion");
            }
            return Err(reason);
        }
        Ok(())
    }

    /// Marks the messages `m` (of the selected folder) \Deleted and expunges them (see
    /// [`Self::expunge`]), then checks that they are gone: a server may accept a \Deleted it
    /// will not act on. On failure, the reason and the UIDs still in the folder.
    async fn remove(&mut self, m: &MessageSet, uidplus: bool) -> Result<(), (MailError, Vec<u32>)> {
        let set = uids_of(m);
        let removed = async {
            self.store(&set, true, &[Flag::Deleted]).await?;
            self.expunge(&set, uidplus).await
        }
        .await;
        let left = self.tagged(format!("UID SEARCH UID {set}"), None).await.map(|r| r.found);
        match (removed, left) {
            (Ok(()), Ok(left)) if left.is_empty() => Ok(()),
            (removed, left) => {
                let reason = match removed {
                    Err(e) => e,
                    Ok(()) => MailError::No("the server did not remove the messages from this folder".into()),
                };
                Err((reason, left.unwrap_or_else(|_| m.uids.iter().map(|u| u.0).collect())))
            }
        }
    }

    /// Whether the messages `m` can be removed without touching any other: `true` with
    /// UIDPLUS (`UID EXPUNGE`); without it, a plain EXPUNGE removes every message marked
    /// \Deleted, so it is allowed (`false`) only when no other message of the folder is
    /// marked so, by another mail app for instance. Otherwise a refusal, before anything is
    /// changed.
    async fn expunge_is_exact(&mut self, m: &MessageSet) -> Result<bool, MailError> {
        if self.has_capability("UIDPLUS") {
            return Ok(true);
        }
        // What other clients marked since this connection last looked counts: NOOP first.
        self.command(async |s| s.noop().await).await?;
        let marked = self.tagged("UID SEARCH DELETED".to_string(), None).await?.found;
        if marked.iter().any(|u| !m.uids.contains(&Uid(*u))) {
            return Err(MailError::No(
                "other messages of this folder are marked for deletion, and this server cannot remove only these".into(),
            ));
        }
        Ok(false)
    }

    /// Removes the messages `set` (marked \Deleted): `UID EXPUNGE`, or EXPUNGE where
    /// [`Self::expunge_is_exact`] allowed it. Read with [`ImapConn::tagged`], which applies
    /// the EXPUNGE and EXISTS replies in the order they came (Courier follows its EXPUNGEs
    /// with the new EXISTS), so the selected folder's count stays true.
    async fn expunge(&mut self, set: &str, uidplus: bool) -> Result<(), MailError> {
        let command = if uidplus { format!("UID EXPUNGE {set}") } else { "EXPUNGE".to_string() };
        self.tagged(command, None).await?;
        Ok(())
    }

    /// Appends `message` to `mailbox` with `flags` and returns where it went when the server
    /// tells (UIDPLUS `APPENDUID`), else by searching the folder for `message_id`.
    pub async fn append(&mut self, mailbox: &str, flags: &[Flag], message: &[u8], message_id: &str) -> Result<Option<MessageRef>, MailError> {
        let flags = Flag::list(flags);
        let wire = utf7::encode(mailbox);
        let quoted = quote(&wire).ok_or_else(|| MailError::No("bad folder name".into()))?;
        let mut placed = match std::str::from_utf8(message) {
            Ok(text) => {
                let command = format!("APPEND {quoted} ({flags}) {{{}}}", message.len());
                self.tagged(command, Some(text)).await?.placed.into_iter().find_map(|p| match p {
                    Placed::Appended(uv, uids) => uids.first().map(|uid| (uv, *uid)),
                    Placed::Copied(..) => None,
                })
            }
            Err(_) => {
                timed(self.timeout, self.session.append(&wire, Some(&format!("({flags})")), None, message)).await?;
                None
            }
        };
        self.absorb_unsolicited();
        self.invalidate_folders();
        if placed.is_none() && !message_id.is_empty() {
            let sel = self.select(mailbox).await?;
            let q = quote(message_id).ok_or_else(|| MailError::No("bad message id".into()))?;
            let found = self.tagged(format!("UID SEARCH HEADER Message-ID {q}"), None).await?.found;
            placed = found.into_iter().max().map(|uid| (sel.uidvalidity, uid));
        }
        if let Some(sel) = &self.selected
            && sel.name == mailbox
        {
            self.cached = None;
        }
        Ok(placed.map(|(uv, uid)| MessageRef::new(mailbox, UidValidity(uv), Uid(uid))))
    }

    /// Whether `mailbox` holds a message with this Message-ID (asked of the server).
    pub async fn has_message_id(&mut self, mailbox: &str, message_id: &str) -> Result<bool, MailError> {
        let q = quote(message_id).ok_or_else(|| MailError::No("bad message id".into()))?;
        self.select(mailbox).await?;
        Ok(!self.tagged(format!("UID SEARCH HEADER Message-ID {q}"), None).await?.found.is_empty())
    }
}

/// What a list row needs, as [`ImapConn::list_page`] and [`ImapConn::rows`] fetch it.
const ROW_ITEMS: &str = "(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT CONTENT-TYPE)])";

/// Bytes of a text part read for a preview where the server makes none.
const PEEK_BYTES: u32 = 1024;

/// Where a message's first text part is and how it is written.
#[derive(Debug, PartialEq)]
struct TextPart {
    /// Its part number (`[1]` for a message that is not multipart).
    path: Vec<u32>,
    encoding: String,
    charset: String,
    html: bool,
}

/// The first text/plain part of a BODYSTRUCTURE, else the first text/html one; attachments
/// are passed over.
fn first_text(b: &BodyStructure<'_>, at: Vec<u32>) -> Option<TextPart> {
    fn walk(b: &BodyStructure<'_>, at: Vec<u32>, html: bool) -> Option<TextPart> {
        match b {
            BodyStructure::Multipart { bodies, .. } => bodies.iter().enumerate().find_map(|(i, child)| {
                let mut path = at.clone();
                path.push(i as u32 + 1);
                walk(child, path, html)
            }),
            BodyStructure::Text { common, other, .. } => {
                let attachment = common.disposition.as_ref().is_some_and(|d| d.ty.eq_ignore_ascii_case("attachment"));
                let wanted = if html { "html" } else { "plain" };
                (!attachment && common.ty.subtype.eq_ignore_ascii_case(wanted)).then(|| TextPart {
                    path: if at.is_empty() { vec![1] } else { at },
                    encoding: match &other.transfer_encoding {
                        ContentEncoding::Base64 => "base64".into(),
                        ContentEncoding::QuotedPrintable => "quoted-printable".into(),
                        _ => "8bit".into(),
                    },
                    charset: common
                        .ty
                        .params
                        .as_ref()
                        .and_then(|p| p.iter().find(|(k, _)| k.eq_ignore_ascii_case("charset")).map(|(_, v)| v.to_string()))
                        .unwrap_or_else(|| "us-ascii".into()),
                    html,
                })
            }
            _ => None,
        }
    }
    walk(b, at.clone(), false).or_else(|| walk(b, at, true))
}

/// Positions of a sorted folder asked of the server at once (ten pages).
const SORT_WINDOW: u32 = 500;

/// A window of the server's order of a folder, kept while the folder is unchanged.
pub(super) struct SortWindow {
    mailbox: String,
    uidvalidity: u32,
    exists: u32,
    expunges: u64,
    order: Order,
    /// The position (1-based) of `uids[0]`, and how many positions were asked for.
    first: u32,
    len: u32,
    uids: Vec<u32>,
}

/// What a conversation's rows need: a list row's fields and the threading headers.
const CONVERSATION_ITEMS: &str =
    "(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT CONTENT-TYPE MESSAGE-ID IN-REPLY-TO REFERENCES)])";

/// (sequence number, UID) of each `* n FETCH (… UID u …)` reply.
fn sequence_uids(replies: &[Vec<Token>]) -> Vec<(u32, u32)> {
    replies
        .iter()
        .filter_map(|r| {
            let (Some(Token::Number(seq)), Some(t)) = (r.first(), r.get(1)) else { return None };
            if !t.is("FETCH") {
                return None;
            }
            let i = r.iter().position(|t| t.is("UID"))?;
            Some((*seq, r.get(i + 1).and_then(Token::number)?))
        })
        .collect()
}

/// The previews of `* n FETCH (UID u PREVIEW "…")` replies, by UID.
fn previews_of(replies: &[Vec<Token>]) -> HashMap<u32, String> {
    let mut out = HashMap::new();
    for r in replies {
        let (Some(Token::Number(_)), Some(t)) = (r.first(), r.get(1)) else { continue };
        if !t.is("FETCH") {
            continue;
        }
        let (mut uid, mut preview) = (None, None);
        for (i, t) in r.iter().enumerate() {
            if t.is("UID") {
                uid = r.get(i + 1).and_then(Token::number);
            } else if t.is("PREVIEW")
                && let Some(Token::Str(p)) = r.get(i + 1)
            {
                preview = Some(String::from_utf8_lossy(p).split_whitespace().collect::<Vec<_>>().join(" "));
            }
        }
        if let (Some(u), Some(p)) = (uid, preview) {
            out.insert(u, p);
        }
    }
    out
}

/// A list row from a FETCH reply; `None` without its UID.
fn list_item(f: &async_imap::types::Fetch) -> Option<ListItem> {
    let uid = f.uid?;
    let (seen, flagged, answered) = flag_bits(f.flags());
    Some(ListItem {
        uid,
        seen,
        flagged,
        answered,
        size: f.size.unwrap_or(0),
        headers: f.header().map(<[u8]>::to_vec).unwrap_or_default(),
        internal_date: f.internal_date().map(|d| d.timestamp()),
        preview: None,
        labels: labels(f.flags()),
    })
}

/// What an ESEARCH reply (RFC 4731, RFC 5267) says: the `PARTIAL` numbers, in order (at most
/// `limit`), and the `COUNT`.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Esearch {
    pub(super) partial: Vec<u32>,
    pub(super) count: Option<u32>,
}

pub(super) fn esearch(replies: &[Vec<Token>], limit: usize) -> Esearch {
    let mut out = Esearch::default();
    for r in replies.iter().filter(|r| r.first().is_some_and(|t| t.is("ESEARCH"))) {
        for (i, t) in r.iter().enumerate() {
            if t.is("COUNT") {
                out.count = r.get(i + 1).and_then(Token::number);
            } else if t.is("PARTIAL")
                && let [Token::Open, _, set, Token::Close, ..] = &r[i + 1..]
                && let Some(set) = set.text()
            {
                out.partial = raw::sequence(&set, limit);
            }
        }
    }
    out
}

/// The STORE item that adds (or removes) `flags` without the server echoing them.
fn store_op(add: bool, flags: &[Flag]) -> String {
    format!("{}FLAGS.SILENT ({})", if add { "+" } else { "-" }, Flag::list(flags))
}

/// The SEARCH key that finds messages carrying `flag`.
fn search_key(flag: &Flag) -> String {
    match flag {
        Flag::Seen => "SEEN".into(),
        Flag::Answered => "ANSWERED".into(),
        Flag::Flagged => "FLAGGED".into(),
        Flag::Deleted => "DELETED".into(),
        Flag::Draft => "DRAFT".into(),
        other => format!("KEYWORD {}", Flag::list(std::slice::from_ref(other))),
    }
}

/// The UID set of `m` as IMAP writes it (`1:3,7`).
fn uids_of(m: &MessageSet) -> String {
    uid_set(&m.uids.iter().map(|u| u.0).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_are_read_from_fetch_replies() {
        let r = |s: &[u8]| raw::tokens(s);
        let replies = vec![
            r(b"1 FETCH (UID 7 PREVIEW \"Hello  there,\t how\")"),
            r(b"2 FETCH (PREVIEW {6}\r\nCaf\xc3\xa9! UID 9)"),
            r(b"3 FETCH (UID 10 PREVIEW NIL)"),
            r(b"4 EXISTS"),
        ];
        let p = previews_of(&replies);
        assert_eq!(p.get(&7).map(String::as_str), Some("Hello there, how"));
        assert_eq!(p.get(&9).map(String::as_str), Some("Café!"));
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn esearch_replies_are_read() {
        let r = |s: &str| vec![raw::tokens(s.as_bytes())];
        assert_eq!(
            esearch(&r(r#"ESEARCH (TAG "fx3") UID PARTIAL (1:5 12,6,11,5,10) COUNT 12"#), 50),
            Esearch { partial: vec![12, 6, 11, 5, 10], count: Some(12) }
        );
        assert_eq!(esearch(&r(r#"ESEARCH (TAG "fx3") UID PARTIAL (20:25 NIL) COUNT 12"#), 50), Esearch { partial: vec![], count: Some(12) });
        assert_eq!(esearch(&r(r#"ESEARCH (TAG "fx3") UID COUNT 3 PARTIAL (1:3 1:3)"#), 2), Esearch { partial: vec![1, 2], count: Some(3) });
        assert_eq!(esearch(&r(r#"ESEARCH (TAG "fx3") UID PARTIAL (1:1 42) COUNT 1"#), 50), Esearch { partial: vec![42], count: Some(1) });
        assert_eq!(esearch(&r("SEARCH 1 2"), 50), Esearch::default());
    }

    #[test]
    fn search_keys_of_flags() {
        assert_eq!(search_key(&Flag::Junk), "KEYWORD $Junk");
        assert_eq!(search_key(&Flag::Seen), "SEEN");
    }
}
