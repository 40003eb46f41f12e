//! What a user does to messages — read/unread, star, archive, delete, spam, move — and how
//! each is undone. Every action happens on the IMAP server, so every other client sees it.

use serde::{Deserialize, Serialize};

use super::MailError;
use super::imap::{ImapConn, Role};
use super::model::{Flag, MessageSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Read,
    Unread,
    Star,
    Unstar,
    Archive,
    Delete,
    DeleteForever,
    Spam,
    NotSpam,
    Move,
    /// Add or remove the label (a keyword) named by the form's target.
    Label,
    Unlabel,
}

impl Action {
    /// The action a form names: read, unread, star, unstar, archive, delete, delete-forever,
    /// spam, notspam, move.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "read" => Self::Read,
            "unread" => Self::Unread,
            "star" => Self::Star,
            "unstar" => Self::Unstar,
            "archive" => Self::Archive,
            "delete" => Self::Delete,
            "delete-forever" => Self::DeleteForever,
            "spam" => Self::Spam,
            "notspam" => Self::NotSpam,
            "move" => Self::Move,
            "label" => Self::Label,
            "unlabel" => Self::Unlabel,
            _ => return None,
        })
    }

    /// Actions after which the message is no longer in the folder.
    pub fn removes(self) -> bool {
        !matches!(self, Self::Read | Self::Unread | Self::Star | Self::Unstar | Self::Label | Self::Unlabel)
    }

    /// The flag this action sets (`true`) or clears (`false`), for flag actions.
    fn flag_change(self) -> Option<(Flag, bool)> {
        Some(match self {
            Self::Read => (Flag::Seen, true),
            Self::Unread => (Flag::Seen, false),
            Self::Star => (Flag::Flagged, true),
            Self::Unstar => (Flag::Flagged, false),
            _ => return None,
        })
    }
}

/// The keyword of a label action's target: `kw:<keyword>` for a label shown (as the server
/// has it), else a label the user typed (see [`Flag::keyword`]). `None`: not a label.
pub fn label_flag(target: &str) -> Option<Flag> {
    match target.strip_prefix("kw:") {
        Some(k) if matches!(k, "$label1" | "$label2" | "$label3" | "$label4" | "$label5") => Some(Flag::Keyword(k.to_string())),
        // Shown, so read from the server: an atom already; checked again all the same.
        Some(k) => Flag::keyword(k).filter(|f| f.imap() == k),
        None => Flag::keyword(target),
    }
}

/// The reverse of an action.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Undo {
    /// Set (`add`) or clear these flags again.
    Flags { messages: MessageSet, flags: Vec<Flag>, add: bool },
    /// Move the messages back to `back_to`, clearing `unflag` first (the spam verdict).
    Move { messages: MessageSet, back_to: String, unflag: Option<Flag> },
}

/// What an action did: which notice tells it, where the messages went, how to undo it.
#[derive(Debug)]
pub struct Done {
    /// The message key of the notice (`notice-archived`…), which takes `count` and `folder`.
    pub notice_key: &'static str,
    /// The folder the messages went to.
    pub folder: Option<String>,
    pub undo: Option<Undo>,
}

/// Performs `action` on `m`. `target`: the folder for [`Action::Move`]. A target that does
/// not exist, or a folder whose UIDVALIDITY changed, is [`MailError::NotFound`].
pub async fn perform(c: &mut ImapConn, m: &MessageSet, action: Action, target: &str) -> Result<Done, MailError> {
    if matches!(action, Action::Label | Action::Unlabel) {
        // The pages check the label first (see `label_flag`): this is for anything else.
        let flag = label_flag(target).ok_or_else(|| MailError::No("not a label".into()))?;
        let add = action == Action::Label;
        c.store_flags(m, add, std::slice::from_ref(&flag)).await?;
        let notice_key = if add { "notice-labelled" } else { "notice-unlabelled" };
        let undo = Undo::Flags { messages: m.clone(), flags: vec![flag], add: !add };
        return Ok(Done { notice_key, folder: None, undo: Some(undo) });
    }
    if let Some((flag, add)) = action.flag_change() {
        c.store_flags(m, add, std::slice::from_ref(&flag)).await?;
        let notice_key = match action {
            Action::Read => "notice-read",
            Action::Unread => "notice-unread",
            Action::Star => "notice-starred",
            _ => "notice-unstarred",
        };
        let undo = Undo::Flags { messages: m.clone(), flags: vec![flag], add: !add };
        return Ok(Done { notice_key, folder: None, undo: Some(undo) });
    }
    if action == Action::DeleteForever {
        c.delete_forever(m).await?;
        return Ok(Done { notice_key: "notice-deleted-forever", folder: None, undo: None });
    }
    // Where the messages go is settled (and created if needed) before anything is changed:
    // a server that refuses the folder leaves the messages as they were.
    let (destination, notice_key, verdict) = match action {
        Action::Archive => (c.folder_for(Role::Archive).await?, "notice-archived", None),
        Action::Delete => (c.folder_for(Role::Trash).await?, "notice-deleted", None),
        // Server-side filters learn from the verdict: $Junk on and $NotJunk off, or the reverse.
        Action::Spam => (c.folder_for(Role::Junk).await?, "notice-spam", Some((Flag::Junk, Flag::NotJunk))),
        Action::NotSpam => (Some("INBOX".to_string()), "notice-notspam", Some((Flag::NotJunk, Flag::Junk))),
        _ => {
            let folders = c.folders().await?;
            let ok = folders.iter().any(|f| f.name == target && f.selectable && f.name != m.mailbox);
            (ok.then(|| target.to_string()), "notice-moved", None)
        }
    };
    let Some(destination) = destination else { return Err(MailError::NotFound) };
    if destination == m.mailbox {
        return Ok(Done { notice_key: "notice-nothing", folder: None, undo: None });
    }
    // Which messages carried the opposite verdict, to give it back if the move fails.
    let had_off = match &verdict {
        Some((_, off)) => Some(c.having(m, off).await?),
        None => None,
    };
    if let Some((on, off)) = &verdict {
        c.store_flags(m, false, std::slice::from_ref(off)).await?;
        c.store_flags(m, true, std::slice::from_ref(on)).await?;
    }
    let moved = match c.move_messages(m, &destination).await {
        Ok(moved) => moved,
        Err(e) => {
            // Not moved: take the verdict back, so that nothing is left half done.
            if let (Some((on, off)), Some(had_off)) = (&verdict, &had_off) {
                let back = async {
                    c.store_flags(m, false, std::slice::from_ref(on)).await?;
                    c.store_flags(had_off, true, std::slice::from_ref(off)).await
                };
                if let Err(undo) = back.await {
                    tracing::warn!(error = %undo, "could not take back a spam verdict after a failed move");
                }
            }
            return Err(e);
        }
    };
    let unflag = verdict.map(|(on, _)| on);
    let undo = moved.map(|messages| Undo::Move { messages, back_to: m.mailbox.clone(), unflag });
    Ok(Done { notice_key, folder: Some(destination), undo })
}

/// Performs `action` on each set of messages (each of one folder), in turn. Sets gone
/// meanwhile are skipped; a refusal stops there (nothing half done in that folder) and is
/// returned with what was done before it.
pub async fn perform_each(c: &mut ImapConn, sets: &[MessageSet], action: Action, target: &str) -> Result<(Vec<Done>, Option<String>), MailError> {
    let mut done = Vec::new();
    for set in sets {
        match perform(c, set, action, target).await {
            Ok(d) => done.push(d),
            Err(MailError::NotFound) => {}
            Err(MailError::No(reason)) => return Ok((done, Some(reason))),
            Err(e) => return Err(e),
        }
    }
    Ok((done, None))
}

/// Undoes an action. Messages moved or deleted meanwhile by another client are
/// [`MailError::NotFound`]: nothing is left to undo.
pub async fn undo(c: &mut ImapConn, undo: &Undo) -> Result<(), MailError> {
    match undo {
        Undo::Flags { messages, flags, add } => c.store_flags(messages, *add, flags).await,
        Undo::Move { messages, back_to, unflag } => {
            if let Some(f) = unflag {
                c.store_flags(messages, false, std::slice::from_ref(f)).await?;
            }
            let moved = c.move_messages(messages, back_to).await;
            if let (Err(_), Some(f)) = (&moved, unflag)
                && let Err(e) = c.store_flags(messages, true, std::slice::from_ref(f)).await
            {
                tracing::warn!(error = %e, "could not put a verdict back after a failed undo");
            }
            moved.map(|_| ())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_read_and_know_whether_they_remove() {
        assert!(Action::parse("archive").unwrap().removes());
        assert!(!Action::parse("star").unwrap().removes());
        assert_eq!(Action::parse("unread").unwrap().flag_change(), Some((Flag::Seen, false)));
        assert!(Action::parse("drop table").is_none());
    }
}
