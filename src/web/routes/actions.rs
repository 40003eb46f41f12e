//! Acting on messages (see [`crate::mail::actions`]) and undoing the last action.

use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use crate::i18n::FluentArg;
use crate::mail::MailError;
use crate::mail::actions::{self, Action, Done, Undo};
use crate::mail::imap::{Filter, MailEvent};
use crate::mail::model::{MessageSet, Uid};
use crate::web::error::{AppError, ErrorKind};
use crate::web::extract::Ctx;
use crate::web::forms::CsrfForm;
use crate::web::forms::actions::ActionForm;
use crate::web::format::UserZone;
use crate::web::notice;
use crate::web::views::{self, mailbox::ConfirmPage};

const UNDO_KEY: &str = "undo";

/// The undo of the last action, kept in the session until the next one.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct UndoEntry {
    undo: Undo,
    return_to: String,
}

pub(crate) fn list_url(mailbox: &str, page: u32) -> String {
    if page > 1 { format!("{}?page={page}", views::folder_href(mailbox)) } else { views::folder_href(mailbox) }
}

/// Keeps the notice (and `undo`, offered with it, if any) for the page at `url`, and
/// redirects there.
pub async fn tell_with_undo(cx: &Ctx, text: String, undo: Option<Undo>, url: &str) -> Result<Response, AppError> {
    tell(cx, text, undo.map(|undo| UndoEntry { undo, return_to: url.to_string() }), url).await
}

/// Keeps the notice (and the undo, if any) for the page at `url`; returns that page's URL.
async fn tell(cx: &Ctx, text: String, undo: Option<UndoEntry>, url: &str) -> Result<Response, AppError> {
    let offers_undo = undo.is_some();
    match undo {
        Some(u) => cx.user.session.insert(UNDO_KEY, u).await?,
        None => {
            let _ = cx.user.session.remove_value(UNDO_KEY).await?;
        }
    }
    Ok(Redirect::to(&notice::set(&cx.user, text, offers_undo, url).await?).into_response())
}

/// Actions on more messages than this offer no undo.
const UNDO_MAX: usize = 5000;

/// POST /f/{mailbox}/actions
pub async fn actions(cx: Ctx, tz: UserZone, Path(mailbox): Path<String>, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, AppError> {
    let form = ActionForm::from_pairs(pairs);
    cx.check_csrf(&form.csrf)?;
    if form.action.as_deref() == Some("snooze") {
        return super::snoozed::snooze(&cx, tz, &mailbox, &form).await;
    }
    let list = list_url(&mailbox, form.page);
    let action = form.action().ok_or_else(|| AppError::new(ErrorKind::BadRequest, "unknown action"))?;
    // "Select all in this folder": the server says which messages those are now.
    let filter = form.filter.as_deref().and_then(Filter::parse);
    let messages = match (form.whole_folder, form.uidvalidity) {
        (true, Some(uidvalidity)) => {
            let found = cx
                .imap(|c| {
                    let mailbox = mailbox.clone();
                    Box::pin(async move { c.all_of(&mailbox, filter).await })
                })
                .await;
            match found {
                Ok((uv, uids)) if uv == uidvalidity.0 => {
                    Some(MessageSet { mailbox: mailbox.clone(), uidvalidity, uids: uids.into_iter().map(Uid).collect() })
                }
                // Recreated meanwhile (another UIDVALIDITY), or gone.
                Ok(_) | Err(MailError::NotFound) => return tell(&cx, cx.i18n().t("notice-stale"), None, &list).await,
                Err(e) => return Err(e.into()),
            }
        }
        _ => form.messages(&mailbox),
    };
    let Some(messages) = messages.filter(|m| !m.uids.is_empty()) else {
        return tell(&cx, cx.i18n().t("notice-nothing-selected"), None, &list).await;
    };
    let message_url = (form.back == "message" && messages.uids.len() == 1)
        .then(|| views::message_href(&mailbox, messages.uidvalidity.0, messages.uids[0].0));
    if matches!(action, Action::Label | Action::Unlabel) && actions::label_flag(&form.target).is_none() {
        return tell(&cx, cx.i18n().t("notice-label-invalid"), None, message_url.as_ref().unwrap_or(&list)).await;
    }
    // Deleting for good needs a confirmation; without JavaScript, this page asks.
    if action == Action::DeleteForever && !form.confirmed {
        let back_href = message_url.unwrap_or(list);
        let page = ConfirmPage::new(cx.chrome(&mailbox, None).await?, &messages, form.page, back_href);
        let page = if form.whole_folder { page.whole_folder(filter.map(Filter::key)) } else { page };
        return Ok(page.into_response());
    }
    let result = {
        cx.imap(|c| {
            let (messages, target) = (messages.clone(), form.target.clone());
            Box::pin(async move { Ok((actions::perform(c, &messages, action, &target).await?, c.folders().await?)) })
        })
        .await
    };
    let (done, folders) = match result {
        Ok(v) => v,
        Err(MailError::NotFound) if message_url.is_some() => return Err(AppError::gone_if_missing(MailError::NotFound)),
        // The folder was recreated (UIDVALIDITY changed) or its target vanished meanwhile:
        // show the folder as it is now.
        Err(MailError::NotFound) => return tell(&cx, cx.i18n().t("notice-stale"), None, &list).await,
        // Refused (a folder it would not create, a full mailbox…): nothing was left half done
        // (see `actions::perform`); say so, in the server's words.
        Err(MailError::No(reason)) => {
            tracing::warn!(action = ?action, reason = %reason, "the mail server refused an action");
            let back = message_url.unwrap_or(list);
            return tell(&cx, notice::refused(cx.i18n(), &reason), None, &back).await;
        }
        Err(e) => return Err(e.into()),
    };
    announce(&cx, &mailbox, &done);
    // From a message: stay on it, unless it left the folder (then the next one shows, as in
    // Gmail, or the list) or was just marked unread (opening it again would mark it read).
    let next = form.next.filter(|_| message_url.is_some() && action.removes()).map(|u| views::message_href(&mailbox, messages.uidvalidity.0, u.0));
    let return_to = match message_url {
        Some(m) if !action.removes() && action != Action::Unread => m,
        _ => list,
    };
    let folder = done.folder.as_deref().map(|f| views::folder_display(&folders, f, cx.i18n()).0).unwrap_or_default();
    let count = messages.uids.len() as i64;
    let text = cx.i18n().ta(done.notice_key, &[("count", FluentArg::Num(count)), ("folder", FluentArg::Str(folder))]);
    // A whole folder's worth is not kept for undoing (its UIDs would fill the session).
    let undo = done.undo.filter(|_| messages.uids.len() <= UNDO_MAX).map(|undo| UndoEntry { undo, return_to: return_to.clone() });
    tell(&cx, text, undo, next.as_ref().unwrap_or(&return_to)).await
}

/// Tells the user's open tabs that the folders touched changed.
fn announce(cx: &Ctx, mailbox: &str, done: &Done) {
    let key = cx.key();
    for folder in std::iter::once(mailbox).chain(done.folder.as_deref()) {
        cx.state.watchers.announce(&key, MailEvent::Changed { folder: folder.to_string() });
    }
}

/// POST /undo
pub async fn undo(cx: Ctx, Form(form): Form<CsrfForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    // An undo kept in another shape (by an older version) is simply gone.
    let Some(entry) = cx.user.session.remove::<UndoEntry>(UNDO_KEY).await.ok().flatten() else {
        return Ok(Redirect::to("/").into_response());
    };
    let result = {
        cx.imap(|c| {
            let undo = entry.undo.clone();
            Box::pin(async move { actions::undo(c, &undo).await })
        })
        .await
    };
    let text = match result {
        Ok(()) => cx.i18n().t("notice-undone"),
        // Moved or deleted meanwhile by another client: nothing left to undo.
        Err(MailError::NotFound) => cx.i18n().t("notice-undo-gone"),
        Err(MailError::No(reason)) => {
            tracing::warn!(reason = %reason, "the mail server refused an undo");
            notice::refused(cx.i18n(), &reason)
        }
        Err(e) => return Err(e.into()),
    };
    notice::redirect(&cx.user, text, &entry.return_to).await
}
