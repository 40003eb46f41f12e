//! The user's folders: the Folders settings page, and creating, renaming or moving, deleting
//! and subscribing to folders. Each change is made on the server (every other client sees
//! it) and told back on the Folders page.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Response};

use crate::mail::MailError;
use crate::mail::imap::Folder;
use crate::mail::imap::manage::{self, NameProblem};
use crate::web::error::AppError;
use crate::web::extract::Ctx;
use crate::web::forms::{DeleteFolderForm, FolderForm, SubscribeForm};
use crate::web::notice;
use crate::web::views::folders::{DeleteFolderPage, FoldersPage};

/// Where folder changes are told.
pub const FOLDERS_PAGE: &str = "/settings/folders";

/// GET /settings/folders
pub async fn folders_page(cx: Ctx, Query(q): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let (folders, sizes) = sized_folders(&cx).await?;
    let chrome = cx.frame(&folders, "", notice::take(&cx.user, &q).await);
    Ok(FoldersPage::new(chrome, &folders, &sizes).into_response())
}

/// What came of a change: done (the notice to show), or refused (why, to show instead).
enum Outcome {
    Done(String),
    Refused(String),
}

/// Shows `outcome` on the Folders page. A refusal by the server is told in its words; a
/// name refused here, by what is wrong with it.
async fn tell(cx: &Ctx, outcome: Result<Outcome, MailError>) -> Result<Response, AppError> {
    let text = match outcome {
        Ok(Outcome::Done(text)) | Ok(Outcome::Refused(text)) => text,
        Err(MailError::No(reason)) => cx.i18n().t1("folder-error-server", "reason", reason),
        Err(MailError::NotFound) => cx.i18n().t("folder-error-missing"),
        Err(e) => return Err(e.into()),
    };
    notice::redirect(&cx.user, text, FOLDERS_PAGE).await
}

/// The folder list with counts as they are now (these pages are where the user decides what
/// to delete), and each folder's size where the server tells it.
pub(crate) async fn sized_folders(cx: &Ctx) -> Result<(std::sync::Arc<Vec<Folder>>, HashMap<String, u64>), MailError> {
    cx.imap(|c| Box::pin(async move {
        c.invalidate_folders();
        let folders = c.folders().await?;
        let sizes = c.folder_sizes().await?;
        Ok((folders, sizes))
    }))
    .await
}

/// The folder list with its counts as they are now (not the minute-old cache), for a
/// question about deleting.
pub(crate) async fn fresh_folders(cx: &Ctx) -> Result<std::sync::Arc<Vec<Folder>>, MailError> {
    cx.imap(|c| Box::pin(async move {
        c.invalidate_folders();
        c.folders().await
    }))
    .await
}

/// The folder called `name` among `folders`.
fn find<'a>(folders: &'a [Folder], name: &str) -> Option<&'a Folder> {
    folders.iter().find(|f| f.name == name)
}

/// POST /folders
pub async fn create(cx: Ctx, Form(form): Form<FolderForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let i18n = cx.i18n().clone();
    let outcome = cx
        .imap(|c| {
            let (name, parent, i18n) = (form.name.clone(), form.parent.clone().unwrap_or_default(), i18n.clone());
            Box::pin(async move {
                let folders = c.folders().await?;
                if !parent.is_empty() && find(&folders, &parent).is_none() {
                    return Err(MailError::NotFound);
                }
                let sep = c.separator().await?;
                let name = match manage::check_name(&name, &sep) {
                    Ok(n) => n,
                    Err(p) => return Ok(Outcome::Refused(i18n.t(p.key()))),
                };
                let full = c.full_name(&parent, &name).await?;
                if find(&folders, &full).is_some() {
                    return Ok(Outcome::Refused(i18n.t(NameProblem::Exists.key())));
                }
                c.create_folder(&full).await?;
                Ok(Outcome::Done(i18n.t1("folder-created", "name", name)))
            })
        })
        .await;
    tell(&cx, outcome).await
}

/// POST /f/{mailbox}/rename: a new name, or (with `parent`) a new place, or both.
pub async fn rename(cx: Ctx, Path(mailbox): Path<String>, Form(form): Form<FolderForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let i18n = cx.i18n().clone();
    let outcome = cx
        .imap(|c| {
            let (mailbox, name, parent, i18n) = (mailbox.clone(), form.name.clone(), form.parent.clone(), i18n.clone());
            Box::pin(async move {
                let folders = c.folders().await?;
                let folder = find(&folders, &mailbox).ok_or(MailError::NotFound)?;
                if manage::holds_protected(&folders, folder) {
                    return Ok(Outcome::Refused(i18n.t("folder-error-protected")));
                }
                let sep = c.separator().await?;
                // Where it is now, unless another place is asked for.
                let parent = match parent {
                    Some(p) if !p.is_empty() && find(&folders, &p).is_none() => return Err(MailError::NotFound),
                    Some(p) => p,
                    None => mailbox.rsplit_once(sep.as_str()).map(|(p, _)| p.to_string()).unwrap_or_default(),
                };
                if parent == mailbox || parent.starts_with(&format!("{mailbox}{sep}")) {
                    return Ok(Outcome::Refused(i18n.t("folder-error-inside")));
                }
                let name = match manage::check_name(&name, &sep) {
                    Ok(n) => n,
                    Err(p) => return Ok(Outcome::Refused(i18n.t(p.key()))),
                };
                let full = c.full_name(&parent, &name).await?;
                if full == mailbox {
                    return Ok(Outcome::Done(i18n.t("folder-unchanged")));
                }
                if find(&folders, &full).is_some() {
                    return Ok(Outcome::Refused(i18n.t(NameProblem::Exists.key())));
                }
                c.rename_folder(&mailbox, &full).await?;
                Ok(Outcome::Done(i18n.t1("folder-renamed", "name", name)))
            })
        })
        .await;
    tell(&cx, outcome).await
}

/// POST /f/{mailbox}/delete: asks first (a page without JavaScript, a dialog with it); the
/// folder's messages go to the Trash unless the user chose to delete them with it.
pub async fn delete(cx: Ctx, Path(mailbox): Path<String>, Form(form): Form<DeleteFolderForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let folders = fresh_folders(&cx).await?;
    let Some(folder) = find(&folders, &mailbox) else {
        return tell(&cx, Err(MailError::NotFound)).await;
    };
    if manage::holds_protected(&folders, folder) {
        return tell(&cx, Ok(Outcome::Refused(cx.i18n().t("folder-error-protected")))).await;
    }
    if form.confirm != "yes" && form.confirmed != "1" {
        let chrome = cx.frame(&folders, "", None);
        return Ok(DeleteFolderPage::new(chrome, &folders, folder).into_response());
    }
    let keep = form.messages != "delete";
    let i18n = cx.i18n().clone();
    let outcome = cx
        .imap(|c| {
            let (mailbox, i18n) = (mailbox.clone(), i18n.clone());
            Box::pin(async move {
                let moved = c.delete_folder(&mailbox, keep).await?;
                let label = mailbox.clone();
                Ok(Outcome::Done(match moved {
                    0 => i18n.t1("folder-deleted", "name", label),
                    n => i18n.ta("folder-deleted-moved", &[("name", crate::i18n::FluentArg::Str(label)), ("count", crate::i18n::FluentArg::Num(i64::from(n)))]),
                }))
            })
        })
        .await;
    tell(&cx, outcome).await
}

/// POST /f/{mailbox}/subscribe
pub async fn subscribe(cx: Ctx, Path(mailbox): Path<String>, Form(form): Form<SubscribeForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let on = form.subscribed == "1";
    let i18n = cx.i18n().clone();
    let outcome = cx
        .imap(|c| {
            let (mailbox, i18n) = (mailbox.clone(), i18n.clone());
            Box::pin(async move {
                let folders = c.folders().await?;
                find(&folders, &mailbox).ok_or(MailError::NotFound)?;
                c.set_subscribed(&mailbox, on).await?;
                let key = if on { "folder-subscribed" } else { "folder-unsubscribed" };
                Ok(Outcome::Done(i18n.t1(key, "name", mailbox)))
            })
        })
        .await;
    tell(&cx, outcome).await
}
