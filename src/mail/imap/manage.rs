//! The user's own folders: create, rename or move, delete, subscribe. Done on the server, so
//! every other client sees the change; special-use folders and the Inbox are never renamed
//! or deleted from here.

use super::conn::ImapConn;
use super::types::{Folder, Role};
use crate::mail::model::{MessageSet, Uid, UidValidity};
use crate::mail::{MailError, utf7};

/// Longest folder name accepted (in characters, one segment): servers refuse far less than
/// file systems allow, and a name longer than this is a mistake.
const MAX_SEGMENT: usize = 120;

/// Why a folder name is refused before it reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    Empty,
    TooLong,
    /// Holds the hierarchy separator (a name is one level; the parent is chosen apart).
    Separator,
    /// A control character, or `*`/`%` (LIST wildcards, which servers refuse in names).
    Character,
    /// "INBOX" in any case, or `.`/`..`.
    Reserved,
    /// A folder of that name is already there.
    Exists,
}

impl NameProblem {
    /// The message key that tells the user.
    pub fn key(self) -> &'static str {
        match self {
            NameProblem::Empty => "folder-error-empty",
            NameProblem::TooLong => "folder-error-long",
            NameProblem::Separator => "folder-error-separator",
            NameProblem::Character => "folder-error-character",
            NameProblem::Reserved => "folder-error-reserved",
            NameProblem::Exists => "folder-error-exists",
        }
    }
}

/// `name` (one level, as typed) trimmed, or why it cannot be a folder's name with this
/// `separator`.
pub fn check_name(name: &str, separator: &str) -> Result<String, NameProblem> {
    let name = name.trim();
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    if name.chars().count() > MAX_SEGMENT {
        return Err(NameProblem::TooLong);
    }
    if !separator.is_empty() && name.contains(separator) {
        return Err(NameProblem::Separator);
    }
    if name.chars().any(|c| c.is_control() || matches!(c, '*' | '%')) {
        return Err(NameProblem::Character);
    }
    if name.eq_ignore_ascii_case("INBOX") || name == "." || name == ".." {
        return Err(NameProblem::Reserved);
    }
    Ok(name.to_string())
}

/// Whether a folder may be renamed or deleted here: not the Inbox, not a special-use folder.
pub fn is_protected(f: &Folder) -> bool {
    f.role.is_some() || f.name.eq_ignore_ascii_case("INBOX")
}

/// Whether `f` or a folder inside it (which would go with it) is protected.
pub fn holds_protected(folders: &[Folder], f: &Folder) -> bool {
    let inside = format!("{}{}", f.name, f.delimiter);
    folders.iter().any(|g| (g.name == f.name || (!f.delimiter.is_empty() && g.name.starts_with(&inside))) && is_protected(g))
}

impl ImapConn {
    /// The hierarchy separator of the user's folders ("/" when the server has none to say).
    pub async fn separator(&mut self) -> Result<String, MailError> {
        if let Some(s) = self.namespace.separator.clone().filter(|s| !s.is_empty()) {
            return Ok(s);
        }
        let folders = self.folders().await?;
        let inbox = folders.iter().find(|f| f.role == Some(Role::Inbox));
        Ok(inbox.map(|f| f.delimiter.clone()).filter(|d| !d.is_empty()).unwrap_or_else(|| "/".to_string()))
    }

    /// The full name of a folder called `name` inside `parent` (a folder's full name), or at
    /// the top of the user's folders when `parent` is empty.
    pub async fn full_name(&mut self, parent: &str, name: &str) -> Result<String, MailError> {
        let sep = self.separator().await?;
        Ok(if parent.is_empty() { self.namespace.folder(name) } else { format!("{parent}{sep}{name}") })
    }

    /// Creates folder `full` (UTF-8) and subscribes to it. `Err(No)` with the server's words
    /// when it refuses.
    pub async fn create_folder(&mut self, full: &str) -> Result<(), MailError> {
        let wire = utf7::encode(full);
        let created = self.command(async |s| s.create(&wire).await).await;
        self.invalidate_folders();
        created?;
        if let Err(e) = self.command(async |s| s.subscribe(&wire).await).await {
            tracing::debug!(error = %e, "the new folder could not be subscribed");
        }
        Ok(())
    }

    /// Renames (or moves) `from` to `to`, with its subfolders; their subscriptions follow
    /// (RENAME does not carry them on every server).
    pub async fn rename_folder(&mut self, from: &str, to: &str) -> Result<(), MailError> {
        let folders = self.folders().await?;
        let sep = self.separator().await?;
        let inside = format!("{from}{sep}");
        let subscribed: Vec<String> = folders
            .iter()
            .filter(|f| f.subscribed && (f.name == from || f.name.starts_with(&inside)))
            .map(|f| f.name.clone())
            .collect();
        self.leave(from, &sep).await?;
        let (wfrom, wto) = (utf7::encode(from), utf7::encode(to));
        let renamed = self.command(async |s| s.rename(&wfrom, &wto).await).await;
        self.invalidate_folders();
        renamed?;
        for old in subscribed {
            let new = format!("{to}{}", &old[from.len()..]);
            let (wold, wnew) = (utf7::encode(&old), utf7::encode(&new));
            let _ = self.command(async |s| s.unsubscribe(&wold).await).await;
            if let Err(e) = self.command(async |s| s.subscribe(&wnew).await).await {
                tracing::debug!(error = %e, folder = %new, "a renamed folder could not be subscribed");
            }
        }
        Ok(())
    }

    /// Deletes `name` and its subfolders, deepest first. With `keep_messages`, each one's
    /// messages are moved to the Trash first, and a folder whose messages could not all be
    /// moved is not deleted. Returns how many messages went to the Trash.
    pub async fn delete_folder(&mut self, name: &str, keep_messages: bool) -> Result<u32, MailError> {
        let folders = self.folders().await?;
        let sep = self.separator().await?;
        let inside = format!("{name}{sep}");
        let mut doomed: Vec<Folder> = folders.iter().filter(|f| f.name == name || f.name.starts_with(&inside)).cloned().collect();
        if doomed.is_empty() {
            return Err(MailError::NotFound);
        }
        doomed.sort_by_key(|f| std::cmp::Reverse(f.name.matches(sep.as_str()).count()));
        // Messages are never deleted with a folder unless the user said so: no Trash, no deletion.
        let trash = if keep_messages { Some(self.folder_for(Role::Trash).await?.ok_or(MailError::NotFound)?) } else { None };
        let mut moved = 0;
        for f in &doomed {
            if let Some(trash) = trash.as_ref().filter(|_| f.selectable) {
                if f.name == *trash {
                    return Err(MailError::No("the Trash cannot be deleted".into()));
                }
                let (uidvalidity, uids) = self.all_of(&f.name, None).await?;
                if !uids.is_empty() {
                    let set = MessageSet { mailbox: f.name.clone(), uidvalidity: UidValidity(uidvalidity), uids: uids.iter().map(|u| Uid(*u)).collect() };
                    self.move_messages(&set, trash).await?;
                    moved += uids.len() as u32;
                }
            }
            self.leave(&f.name, &sep).await?;
            let wire = utf7::encode(&f.name);
            let _ = self.command(async |s| s.unsubscribe(&wire).await).await;
            let deleted = self.command(async |s| s.delete(&wire).await).await;
            self.invalidate_folders();
            deleted?;
        }
        Ok(moved)
    }

    /// Subscribes to `name` or stops: an unsubscribed folder stays on the server and in the
    /// Folders settings, and leaves the sidebar.
    pub async fn set_subscribed(&mut self, name: &str, on: bool) -> Result<(), MailError> {
        let wire = utf7::encode(name);
        let r = if on { self.command(async |s| s.subscribe(&wire).await).await } else { self.command(async |s| s.unsubscribe(&wire).await).await };
        self.invalidate_folders();
        r
    }

    /// Unselects `name` (or a folder inside it) before it is renamed or deleted: servers close
    /// the connection or refuse when the selected folder goes.
    async fn leave(&mut self, name: &str, sep: &str) -> Result<(), MailError> {
        let inside = format!("{name}{sep}");
        if self.selected.as_ref().is_some_and(|s| s.name == name || s.name.starts_with(&inside)) {
            self.select("INBOX").await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_server_would_refuse_are_refused_first() {
        assert_eq!(check_name("  Été 2026 ", "/"), Ok("Été 2026".to_string()));
        assert_eq!(check_name("日本語", "."), Ok("日本語".to_string()));
        assert_eq!(check_name("a/b", "/"), Err(NameProblem::Separator));
        assert_eq!(check_name("a.b", "."), Err(NameProblem::Separator));
        assert_eq!(check_name("a.b", "/"), Ok("a.b".to_string()));
        assert_eq!(check_name("   ", "/"), Err(NameProblem::Empty));
        assert_eq!(check_name("inbox", "/"), Err(NameProblem::Reserved));
        assert_eq!(check_name("..", "/"), Err(NameProblem::Reserved));
        assert_eq!(check_name("x\r\nA1 DELETE INBOX", "/"), Err(NameProblem::Character));
        assert_eq!(check_name("all*", "/"), Err(NameProblem::Character));
        assert_eq!(check_name(&"é".repeat(121), "/"), Err(NameProblem::TooLong));
    }

    #[test]
    fn a_folder_holding_a_special_use_folder_is_protected_with_it() {
        use crate::mail::imap::folders::{Listed, arrange_folders};
        let listed = |wire: &str, role| Listed { wire: wire.to_string(), delimiter: "/".to_string(), selectable: true, role, subscribed: true };
        let folders = arrange_folders(
            vec![listed("INBOX", Some(Role::Inbox)), listed("Stuff", None), listed("Stuff/Bin", Some(Role::Trash)), listed("Stuffing", None), listed("Other", None)],
            &Default::default(),
            "",
        );
        let by = |n: &str| folders.iter().find(|f| f.name == n).unwrap();
        assert!(holds_protected(&folders, by("Stuff")));
        assert!(holds_protected(&folders, by("Stuff/Bin")));
        assert!(!holds_protected(&folders, by("Stuffing")), "a name that only starts the same");
        assert!(!holds_protected(&folders, by("Other")));
        assert!(holds_protected(&folders, by("INBOX")));
    }
}
