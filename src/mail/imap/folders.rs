//! The folder list: LIST with unread and total counts (LIST-STATUS, else one STATUS each),
//! special-use roles, the order mail apps show them in, and the roles' folders on demand.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_imap::imap_proto::NameAttribute;
use async_imap::types::UnsolicitedResponse;

use super::conn::ImapConn;
use super::connect::ImapSession;
use super::types::{Folder, Role};
use super::wire::{all, quote, status_counts, timed, unescape_quoted};
use crate::mail::{MailError, utf7};

/// How long the folder list (with unread counts) is reused before it is fetched again.
const FOLDER_CACHE_TTL: Duration = Duration::from_secs(60);

impl ImapConn {
    /// The folder list with unread counts, cached for a minute.
    pub async fn folders(&mut self) -> Result<Arc<Vec<Folder>>, MailError> {
        if let Some((at, f)) = &self.folders
            && at.elapsed() < FOLDER_CACHE_TTL
        {
            return Ok(f.clone());
        }
        let folders = Arc::new(self.fetch_folders().await?);
        self.folders = Some((Instant::now(), folders.clone()));
        Ok(folders)
    }

    /// Forgets the cached folder list (after something changed counts).
    pub fn invalidate_folders(&mut self) {
        self.folders = None;
    }

    async fn fetch_folders(&mut self) -> Result<Vec<Folder>, MailError> {
        let list_status = self.has_capability("LIST-STATUS");
        let (mut folders, other) = load_folders(&mut self.session, self.timeout, list_status, &self.namespace.prefix, true).await?;
        for r in other {
            self.apply_unsolicited(r);
        }
        self.absorb_unsolicited();
        let quota = self.quota().await?;
        if let Some(inbox) = folders.iter_mut().find(|f| f.role == Some(Role::Inbox)) {
            inbox.quota = quota;
        }
        Ok(folders)
    }

    /// Changes the cached unread count of `mailbox` by `delta` (a message read or unread here).
    pub(super) fn adjust_unread(&mut self, mailbox: &str, delta: i64) {
        if let Some((at, folders)) = &self.folders {
            let mut v: Vec<Folder> = folders.as_ref().clone();
            for f in v.iter_mut().filter(|f| f.name == mailbox) {
                f.unread = (i64::from(f.unread) + delta).clamp(0, i64::from(f.total)) as u32;
            }
            self.folders = Some((*at, Arc::new(v)));
        }
    }

    /// The folder with `role`; it is created when the server has none, as users expect, at
    /// the top of the user's own folders (inside the personal namespace: `INBOX.Trash` on
    /// Courier). A refused CREATE is an error, unless the folder turns out to exist already.
    pub async fn folder_for(&mut self, role: Role) -> Result<Option<String>, MailError> {
        let folders = self.folders().await?;
        if let Some(f) = folders.iter().find(|f| f.role == Some(role)) {
            return Ok(Some(f.name.clone()));
        }
        let base = match role {
            Role::Archive => "Archive",
            Role::Junk => "Junk",
            Role::Trash => "Trash",
            Role::Drafts => "Drafts",
            Role::Sent => "Sent",
            Role::Inbox => return Ok(Some("INBOX".to_string())),
        };
        self.create_folder_named(base).await.map(Some)
    }

    /// The folder where snoozed messages wait ("Snoozed", beside the Inbox), created if it
    /// is not there yet. Other mail apps see it as a plain folder.
    pub async fn snoozed_folder(&mut self) -> Result<String, MailError> {
        let name = self.namespace.folder(SNOOZED);
        let folders = self.folders().await?;
        if let Some(f) = folders.iter().find(|f| f.name.eq_ignore_ascii_case(&name) && f.selectable) {
            return Ok(f.name.clone());
        }
        self.create_folder_named(SNOOZED).await
    }

    /// Creates (and subscribes to) the folder `base` in the user's namespace; a folder that
    /// another client created meanwhile is fine.
    async fn create_folder_named(&mut self, base: &str) -> Result<String, MailError> {
        let name = self.namespace.folder(base);
        let wire = utf7::encode(&name);
        match self.command(async |s| s.create(&wire).await).await {
            Ok(()) => {}
            Err(MailError::No(reason)) => {
                // Created meanwhile by another client (or hidden from LIST by a server quirk):
                // fine. Otherwise the server will not have it, and says why.
                let pattern = quote(&wire).ok_or_else(|| MailError::No(reason.clone()))?;
                let listed = self.command(async |s| all(s.list(Some(""), Some(&pattern))).await).await?;
                if listed.is_empty() {
                    tracing::warn!(folder = %name, reason = %reason, "the mail server refused to create a folder");
                    return Err(MailError::No(reason));
                }
            }
            Err(e) => return Err(e),
        }
        let _ = self.command(async |s| s.subscribe(&wire).await).await;
        self.invalidate_folders();
        Ok(name)
    }
}

/// The name of the folder where snoozed messages wait.
pub const SNOOZED: &str = "Snoozed";

/// LIST with unread and total counts: one round trip with LIST-STATUS, else one STATUS per folder.
/// Also returns the other unsolicited responses seen meanwhile (EXISTS, EXPUNGE…) for the
/// caller to apply. `subscriptions`: which folders are subscribed, too (in the same LIST
/// with LIST-STATUS, which comes with LIST-EXTENDED; by LSUB elsewhere); without it every
/// folder counts as subscribed.
pub(super) async fn load_folders(
    session: &mut ImapSession,
    timeout: Duration,
    list_status: bool,
    prefix: &str,
    subscriptions: bool,
) -> Result<(Vec<Folder>, Vec<UnsolicitedResponse>), MailError> {
    let pattern = match (list_status, subscriptions) {
        (true, true) => "\"*\" RETURN (SUBSCRIBED STATUS (MESSAGES UNSEEN))",
        (true, false) => "\"*\" RETURN (STATUS (MESSAGES UNSEEN))",
        _ => "\"*\"",
    };
    let names = timed(timeout, all(session.list(Some(""), Some(pattern)))).await?;
    let lsub: Option<HashSet<String>> = match (list_status, subscriptions) {
        (false, true) => Some(timed(timeout, all(session.lsub(Some(""), Some("*")))).await?.iter().map(|n| unescape_quoted(n.name())).collect()),
        _ => None,
    };
    let mut counts: HashMap<String, (u32, u32)> = HashMap::new();
    let mut other = Vec::new();
    while let Ok(r) = session.unsolicited_responses.try_recv() {
        match r {
            UnsolicitedResponse::Status { mailbox, attributes } => {
                counts.insert(unescape_quoted(&mailbox), status_counts(&attributes));
            }
            r => other.push(r),
        }
    }
    let mut raw = Vec::with_capacity(names.len());
    for n in &names {
        let wire = unescape_quoted(n.name());
        let delimiter = n.delimiter().unwrap_or("/").to_string();
        let attrs = n.attributes();
        let selectable = !attrs.iter().any(|a| {
            matches!(a, NameAttribute::NoSelect)
                || matches!(a, NameAttribute::Extension(e) if e.eq_ignore_ascii_case("\\NonExistent"))
        });
        let subscribed = match (&lsub, list_status && subscriptions) {
            (Some(set), _) => set.contains(&wire),
            (None, true) => attrs.iter().any(|a| matches!(a, NameAttribute::Extension(e) if e.eq_ignore_ascii_case("\\Subscribed"))),
            (None, false) => true,
        };
        let role = if wire.eq_ignore_ascii_case("INBOX") {
            Some(Role::Inbox)
        } else {
            attrs.iter().find_map(|a| match a {
                NameAttribute::Drafts => Some(Role::Drafts),
                NameAttribute::Sent => Some(Role::Sent),
                NameAttribute::Archive => Some(Role::Archive),
                NameAttribute::Junk => Some(Role::Junk),
                NameAttribute::Trash => Some(Role::Trash),
                _ => None,
            })
        };
        raw.push(Listed { wire, delimiter, selectable, role, subscribed });
    }
    // Missing counts (no LIST-STATUS, or a server that skipped some): one STATUS each.
    for Listed { wire, selectable, .. } in &raw {
        if *selectable && !counts.contains_key(wire) {
            let mb = timed(timeout, session.status(wire, "(MESSAGES UNSEEN)")).await;
            while let Ok(r) = session.unsolicited_responses.try_recv() {
                if !matches!(r, UnsolicitedResponse::Status { .. }) {
                    other.push(r);
                }
            }
            if let Ok(mb) = mb {
                counts.insert(wire.clone(), (mb.unseen.unwrap_or(0), mb.exists));
            }
        }
    }
    Ok((arrange_folders(raw, &counts, prefix), other))
}

/// A folder as LIST gives it, before it is placed in the tree.
pub struct Listed {
    /// Its name as the server spells it (modified UTF-7).
    pub wire: String,
    pub delimiter: String,
    pub selectable: bool,
    pub role: Option<Role>,
    pub subscribed: bool,
}

/// Orders folders the way mail apps do: Inbox, the special-use folders, then the rest as a tree
/// nested by the server's separator. `prefix`: the personal namespace's (`INBOX.`), not shown.
pub fn arrange_folders(
    raw: Vec<Listed>,
    counts: &HashMap<String, (u32, u32)>,
    prefix: &str,
) -> Vec<Folder> {
    let prefix = utf7::decode(prefix).unwrap_or_else(|| prefix.to_string());
    let mut taken = HashSet::new();
    // (folder, its path below the namespace, separator)
    let mut folders: Vec<(Folder, String, String)> = raw
        .into_iter()
        .map(|Listed { wire, delimiter: delim, selectable, role, subscribed }| {
            let name = utf7::decode(&wire).unwrap_or_else(|| wire.clone());
            let (unread, total) = counts.get(&wire).copied().unwrap_or((0, 0));
            let relative = match name.strip_prefix(prefix.as_str()) {
                Some(r) if !prefix.is_empty() && !r.is_empty() && !name.eq_ignore_ascii_case("INBOX") => r.to_string(),
                _ => name.clone(),
            };
            let segments: Vec<&str> =
                if delim.is_empty() { vec![relative.as_str()] } else { relative.split(delim.as_str()).collect() };
            let depth = segments.len() - 1;
            let label = segments.last().copied().unwrap_or(&relative).to_string();
            let path = segments.join(" / ");
            let f = Folder { name, wire, label, path, depth, delimiter: delim.clone(), role, selectable, subscribed, unread, total, quota: None };
            (f, relative, delim)
        })
        .collect();
    // One folder per role: attributes win, then common names for roles still missing.
    for (f, _, _) in folders.iter_mut() {
        if let Some(r) = f.role
            && !taken.insert(r)
        {
            f.role = None;
        }
    }
    for (f, relative, _) in folders.iter_mut() {
        if f.role.is_none()
            && let Some(r) = Role::from_common_name(relative)
            && taken.insert(r)
        {
            f.role = Some(r);
        }
    }
    let (mut special, mut rest): (Vec<_>, Vec<_>) = folders.into_iter().partition(|(f, _, _)| f.role.is_some());
    special.sort_by_key(|(f, _, _)| f.role);
    rest.sort_by_key(|(_, relative, _)| relative.to_lowercase());
    // A child whose parent is not in the tree shows its whole path.
    let names: HashSet<String> = rest.iter().map(|(_, r, _)| r.clone()).collect();
    for (f, relative, delim) in rest.iter_mut() {
        if f.depth > 0 {
            let parent = relative.rsplit_once(delim.as_str()).map(|(p, _)| p).unwrap_or_default();
            if !names.contains(parent) {
                f.label = relative.clone();
                f.depth = 0;
            }
        }
    }
    let mut out: Vec<Folder> = special.into_iter().map(|(mut f, _, _)| {
        f.depth = 0;
        f
    }).collect();
    out.extend(rest.into_iter().map(|(f, _, _)| f));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inbox_then_special_use_then_a_tree() {
        let raw = [
            ("Zeta", None),
            ("Trash", Some(Role::Trash)),
            ("Famille/&AMk-t&AOk- 2026", None),
            ("Famille", None),
            ("INBOX", Some(Role::Inbox)),
            ("Envoy&AOk-s", None),
            ("Orphan/child", None),
        ]
        .into_iter()
        .map(|(wire, role)| Listed { wire: wire.to_string(), delimiter: "/".to_string(), selectable: true, role, subscribed: true })
        .collect();
        let mut counts = HashMap::new();
        counts.insert("INBOX".to_string(), (3, 10));
        let f = arrange_folders(raw, &counts, "");
        let names: Vec<_> = f.iter().map(|f| f.label.as_str()).collect();
        assert_eq!(names, ["INBOX", "Envoyés", "Trash", "Famille", "Été 2026", "Orphan/child", "Zeta"]);
        assert_eq!(f[1].role, Some(Role::Sent), "common-name fallback");
        assert_eq!(f[4].depth, 1);
        assert_eq!(f[4].name, "Famille/Été 2026");
        assert_eq!(f[0].unread, 3);
    }

    #[test]
    fn the_namespace_prefix_is_not_shown_and_the_tree_follows_the_separator() {
        let raw = ["INBOX", "INBOX.Projects", "INBOX.Projects.2024", "INBOX.Sent", "INBOX.Lost.child", "INBOX.Trash"]
            .iter()
            .map(|n| Listed { wire: n.to_string(), delimiter: ".".to_string(), selectable: true, role: n.eq_ignore_ascii_case("INBOX").then_some(Role::Inbox), subscribed: true })
            .collect();
        let f = arrange_folders(raw, &HashMap::new(), "INBOX.");
        let shown: Vec<_> = f.iter().map(|f| (f.label.as_str(), f.depth, f.role)).collect();
        assert_eq!(
            shown,
            [
                ("INBOX", 0, Some(Role::Inbox)),
                ("Sent", 0, Some(Role::Sent)),
                ("Trash", 0, Some(Role::Trash)),
                ("Lost.child", 0, None),
                ("Projects", 0, None),
                ("2024", 1, None),
            ]
        );
        assert_eq!(f[5].name, "INBOX.Projects.2024");
        assert_eq!(f[5].path, "Projects / 2024");
    }
}
