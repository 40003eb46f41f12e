//! Acting on messages: read/unread, star, move, archive, delete, spam; and undoing the last
//! action. Every action happens on the IMAP server, so every other client sees it.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::{FLASH_KEY, Flash};
use crate::i18n::{FluentArg, I18n};
use crate::mail::MailError;
use crate::mail::imap::{Folder, ImapConn, Role};
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, ErrorKind};
use crate::web::views::{self, Chrome};

const UNDO_KEY: &str = "undo";

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
}

impl Action {
    fn parse(s: &str) -> Option<Self> {
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
            _ => return None,
        })
    }

    /// Actions after which the message is no longer in the folder.
    fn removes(self) -> bool {
        !matches!(self, Self::Read | Self::Unread | Self::Star | Self::Unstar)
    }
}

/// The reverse of the last action, kept in the session until the next one.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Undo {
    Flags { mailbox: String, uidvalidity: u32, uids: Vec<u32>, flags: String, add: bool },
    Move { mailbox: String, uidvalidity: u32, uids: Vec<u32>, back_to: String, unflag: Option<String> },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct UndoEntry {
    undo: Undo,
    return_to: String,
}

/// The action form. Checkboxes repeat `uid`, so the form is read as pairs.
struct ActionForm {
    csrf: String,
    uidvalidity: Option<u32>,
    uids: Vec<u32>,
    action: Option<String>,
    target: String,
    page: u32,
    back: String,
    confirmed: bool,
}

impl ActionForm {
    fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = ActionForm {
            csrf: String::new(),
            uidvalidity: None,
            uids: Vec::new(),
            action: None,
            target: String::new(),
            page: 1,
            back: String::new(),
            confirmed: false,
        };
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = v,
                "uidvalidity" => f.uidvalidity = v.parse().ok(),
                "uid" => f.uids.extend(v.parse::<u32>().ok().filter(|u| *u > 0)),
                "action" => f.action = Some(v),
                // A per-row button: "star:123".
                "one" => {
                    if let Some((a, u)) = v.split_once(':') {
                        f.action = Some(a.to_string());
                        f.uids = u.parse::<u32>().ok().filter(|u| *u > 0).into_iter().collect();
                    }
                }
                "target" => f.target = v,
                "page" => f.page = v.parse().ok().filter(|p| *p >= 1).unwrap_or(1),
                "back" => f.back = v,
                "confirmed" => f.confirmed = v == "1",
                _ => {}
            }
        }
        f.uids.sort_unstable();
        f.uids.dedup();
        f
    }
}

fn list_url(mailbox: &str, page: u32) -> String {
    if page > 1 { format!("{}?page={page}", views::folder_href(mailbox)) } else { views::folder_href(mailbox) }
}

/// Keeps the notice (and the undo, if any) for the page at `url`; returns that page's URL.
async fn set_flash(user: &CurrentUser, text: String, undo: Option<UndoEntry>, url: &str) -> Result<String, AppError> {
    let flash = Flash::new(text, undo.is_some())?;
    match undo {
        Some(u) => user.session.insert(UNDO_KEY, u).await?,
        None => {
            user.session.remove::<UndoEntry>(UNDO_KEY).await?;
        }
    }
    user.session.insert(FLASH_KEY, flash.clone()).await?;
    Ok(flash.url(url))
}

fn folder_label(folders: &[Folder], name: &str, i18n: &I18n) -> String {
    folders.iter().find(|f| f.name == name).map(|f| views::folder_title(f, i18n)).unwrap_or_else(|| name.to_string())
}

/// What an action did, for the notice and the undo.
struct Done {
    notice_key: &'static str,
    folder: Option<String>,
    undo: Option<Undo>,
}

async fn perform(c: &mut ImapConn, mailbox: &str, uv: u32, uids: &[u32], action: Action, target: &str) -> Result<Done, MailError> {
    let flags = |flags: &str, add: bool, key| {
        let undo = Undo::Flags {
            mailbox: mailbox.to_string(),
            uidvalidity: uv,
            uids: uids.to_vec(),
            flags: flags.to_string(),
            add: !add,
        };
        (flags.to_string(), add, key, undo)
    };
    let flag_change = match action {
        Action::Read => Some(flags("\\Seen", true, "notice-read")),
        Action::Unread => Some(flags("\\Seen", false, "notice-unread")),
        Action::Star => Some(flags("\\Flagged", true, "notice-starred")),
        Action::Unstar => Some(flags("\\Flagged", false, "notice-unstarred")),
        _ => None,
    };
    if let Some((f, add, key, undo)) = flag_change {
        c.store_flags(mailbox, uv, uids, add, &f).await?;
        return Ok(Done { notice_key: key, folder: None, undo: Some(undo) });
    }
    if action == Action::DeleteForever {
        c.delete_forever(mailbox, uv, uids).await?;
        return Ok(Done { notice_key: "notice-deleted-forever", folder: None, undo: None });
    }
    let (destination, key, unflag) = match action {
        Action::Archive => (c.folder_for(Role::Archive).await?, "notice-archived", None),
        Action::Delete => (c.folder_for(Role::Trash).await?, "notice-deleted", None),
        Action::Spam => {
            // Tell server-side filters: $Junk on, $NotJunk off, then into Junk.
            c.store_flags(mailbox, uv, uids, false, "$NotJunk").await?;
            c.store_flags(mailbox, uv, uids, true, "$Junk").await?;
            (c.folder_for(Role::Junk).await?, "notice-spam", Some("$Junk".to_string()))
        }
        Action::NotSpam => {
            c.store_flags(mailbox, uv, uids, false, "$Junk").await?;
            c.store_flags(mailbox, uv, uids, true, "$NotJunk").await?;
            (Some("INBOX".to_string()), "notice-notspam", Some("$NotJunk".to_string()))
        }
        _ => {
            let folders = c.folders().await?;
            let ok = folders.iter().any(|f| f.name == target && f.selectable && f.name != mailbox);
            (ok.then(|| target.to_string()), "notice-moved", None)
        }
    };
    let Some(destination) = destination else { return Err(MailError::NotFound) };
    if destination == mailbox {
        return Ok(Done { notice_key: "notice-nothing", folder: None, undo: None });
    }
    let moved = c.move_messages(mailbox, uv, uids, &destination).await?;
    let undo = match moved.target_uidvalidity {
        Some(tuv) if moved.new_uids.len() == uids.len() => Some(Undo::Move {
            mailbox: destination.clone(),
            uidvalidity: tuv,
            uids: moved.new_uids,
            back_to: mailbox.to_string(),
            unflag,
        }),
        _ => None,
    };
    Ok(Done { notice_key: key, folder: Some(destination), undo })
}

pub async fn actions(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(mailbox): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = ActionForm::from_pairs(pairs);
    user.check_csrf(&form.csrf)?;
    let i18n = user.i18n.clone();
    let list = list_url(&mailbox, form.page);
    let Some(action) = form.action.as_deref().and_then(Action::parse) else {
        return Err(AppError::new(ErrorKind::BadRequest, "unknown action"));
    };
    let (Some(uv), false) = (form.uidvalidity, form.uids.is_empty()) else {
        let url = set_flash(&user, i18n.t("notice-nothing-selected"), None, &list).await?;
        return Ok(Redirect::to(&url).into_response());
    };
    let message_url = (form.back == "message" && form.uids.len() == 1)
        .then(|| views::message_href(&mailbox, uv, form.uids[0]));
    // Deleting for good needs a confirmation; without JavaScript, this page asks.
    if action == Action::DeleteForever && !form.confirmed {
        let folders = state
            .registry
            .run(&user.key(), &user.creds, |c| Box::pin(async move { c.folders().await }))
            .await?;
        let question = i18n.tn("confirm-delete-forever", "count", form.uids.len() as i64);
        let view = views::ConfirmPage {
            title: i18n.t("confirm-title"),
            question,
            uidvalidity: uv,
            uids: form.uids.clone(),
            page: form.page,
            back_href: message_url.clone().unwrap_or_else(|| list.clone()),
            chrome: Chrome::new(i18n, &user.auth, &folders, &mailbox, None),
        };
        return Ok(view.into_response());
    }
    let uids = form.uids.clone();
    let target = form.target.clone();
    let result = state
        .registry
        .run(&user.key(), &user.creds, |c| {
            let (mailbox, uids, target) = (mailbox.clone(), uids.clone(), target.clone());
            Box::pin(async move {
                let done = perform(c, &mailbox, uv, &uids, action, &target).await?;
                let folders = c.folders().await?;
                Ok((done, folders))
            })
        })
        .await
        ;
    let (done, folders) = match result {
        Ok(v) => v,
        Err(MailError::NotFound) if message_url.is_some() => return Err(AppError::gone_if_missing(MailError::NotFound)),
        // The folder was recreated (UIDVALIDITY changed) or its target vanished meanwhile:
        // show the folder as it is now.
        Err(MailError::NotFound) => {
            let url = set_flash(&user, i18n.t("notice-stale"), None, &list).await?;
            return Ok(Redirect::to(&url).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    // From a message: stay on it, unless it left the folder or was just marked unread (opening
    // it again would mark it read).
    state.watchers.announce(&user.key(), crate::mail::imap::MailEvent::Changed { folder: mailbox.clone() });
    if let Some(dest) = &done.folder {
        state.watchers.announce(&user.key(), crate::mail::imap::MailEvent::Changed { folder: dest.clone() });
    }
    let return_to = match (&message_url, action.removes() || action == Action::Unread) {
        (Some(m), false) => m.clone(),
        _ => list.clone(),
    };
    let count = uids.len() as i64;
    let folder = done.folder.as_deref().map(|f| folder_label(&folders, f, &i18n)).unwrap_or_default();
    let text = i18n.ta(done.notice_key, &[("count", FluentArg::Num(count)), ("folder", FluentArg::Str(folder))]);
    let undo = done.undo.map(|undo| UndoEntry { undo, return_to: return_to.clone() });
    let url = set_flash(&user, text, undo, &return_to).await?;
    Ok(Redirect::to(&url).into_response())
}

#[derive(Deserialize)]
pub struct UndoForm {
    #[serde(default)]
    csrf: String,
}

pub async fn undo(State(state): State<AppState>, user: CurrentUser, Form(form): Form<UndoForm>) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let Some(entry) = user.session.remove::<UndoEntry>(UNDO_KEY).await? else {
        return Ok(Redirect::to("/").into_response());
    };
    let result = state
        .registry
        .run(&user.key(), &user.creds, |c| {
            let undo = entry.undo.clone();
            Box::pin(async move {
                match undo {
                    Undo::Flags { mailbox, uidvalidity, uids, flags, add } => {
                        c.store_flags(&mailbox, uidvalidity, &uids, add, &flags).await
                    }
                    Undo::Move { mailbox, uidvalidity, uids, back_to, unflag } => {
                        if let Some(f) = unflag {
                            c.store_flags(&mailbox, uidvalidity, &uids, false, &f).await?;
                        }
                        c.move_messages(&mailbox, uidvalidity, &uids, &back_to).await.map(|_| ())
                    }
                }
            })
        })
        .await;
    let text = match result {
        Ok(()) => user.i18n.t("notice-undone"),
        // Moved or deleted meanwhile by another client: nothing left to undo.
        Err(MailError::NotFound) => user.i18n.t("notice-undo-gone"),
        Err(e) => return Err(e.into()),
    };
    let flash = Flash::new(text, false)?;
    user.session.insert(FLASH_KEY, flash.clone()).await?;
    Ok(Redirect::to(&flash.url(&entry.return_to)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_uids_and_row_buttons_are_read() {
        let f = ActionForm::from_pairs(vec![
            ("uid".into(), "7".into()),
            ("uid".into(), "3".into()),
            ("uid".into(), "7".into()),
            ("uid".into(), "x".into()),
            ("action".into(), "archive".into()),
            ("uidvalidity".into(), "42".into()),
        ]);
        assert_eq!(f.uids, vec![3, 7]);
        assert_eq!(f.uidvalidity, Some(42));
        let f = ActionForm::from_pairs(vec![("uid".into(), "7".into()), ("one".into(), "star:9".into())]);
        assert_eq!((f.action.as_deref(), f.uids), (Some("star"), vec![9]));
        assert!(Action::parse("archive").unwrap().removes());
        assert!(!Action::parse("star").unwrap().removes());
        assert!(Action::parse("drop table").is_none());
    }
}
