//! Free up space: the mailbox's quota and each folder's size, emptying the Trash and Spam, and
//! "Archive to my computer": choose a folder and an age, download those messages, then (only
//! once the download finished) delete exactly them from the server.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query};
use axum::response::{IntoResponse, Redirect, Response};

use crate::mail::MailError;
use crate::mail::imap::{Folder, Role};
use crate::mail::search::{self, Scope};
use crate::mail::model::{MessageSet, Uid, UidValidity};
use crate::store::archives::{self, Archive};
use crate::web::error::AppError;
use crate::web::extract::Ctx;
use crate::web::format::UserZone;
use crate::web::forms::{ArchiveForm, DeleteFolderForm};
use crate::web::notice;
use crate::web::transfer::{self, Format, Source};
use crate::web::views::search::search_href;
use crate::web::views::space::{ArchivePage, AskPage, SpacePage};

pub const SPACE_PAGE: &str = "/settings/space";

fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp() * 1000
}

/// How many of the largest messages the page lists.
const LARGEST: u32 = 10;

/// GET /settings/space
pub async fn space_page(cx: Ctx, tz: UserZone, Query(q): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let (folders, sizes) = super::folders::sized_folders(&cx).await?;
    let largest = largest(&cx, &folders).await?;
    let chrome = cx.frame(&folders, "", notice::take(&cx.user, &q).await);
    Ok(SpacePage::new(chrome, &folders, &sizes, &largest, tz).into_response())
}

/// The largest messages of every folder, largest first: the server's SORT by size, asked
/// for the first few of each folder (see [`search::run`]).
async fn largest(cx: &Ctx, folders: &[Folder]) -> Result<search::Found, AppError> {
    let which: Vec<Folder> = search::folders_for(&Scope::Anywhere, folders).unwrap_or_default().into_iter().filter(|f| f.total > 0).collect();
    let everything = search::Search { scope: Scope::Anywhere, expr: None, by_size: true };
    Ok(cx.imap(|c| {
        let (everything, which) = (everything.clone(), which.clone());
        Box::pin(async move { search::run(c, &everything, &which, 1, LARGEST, super::search::BUDGET).await })
    })
    .await?)
}

/// POST /settings/space/older (`folder`, `months`): the messages of a folder older than
/// that, as search results, where they can be chosen, moved, deleted or downloaded.
pub async fn older(cx: Ctx, Form(form): Form<ArchiveForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let folders = cx.folders().await?;
    let folder = folders.iter().find(|f| f.name == form.folder && f.selectable).ok_or_else(AppError::not_found)?;
    let query = format!("{} older_than:{}m", search::scope_words(folder), form.months.clamp(1, 240));
    Ok(Redirect::to(&search_href(&query, 1, false)).into_response())
}

/// POST /f/{mailbox}/empty: every message of the Trash or the Spam folder deleted for good
/// (`confirm=yes`, or the script's `confirmed=1`; otherwise a page asks).
pub async fn empty(cx: Ctx, Path(mailbox): Path<String>, Form(form): Form<DeleteFolderForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let folders = super::folders::fresh_folders(&cx).await?;
    let folder = folders.iter().find(|f| f.name == mailbox && matches!(f.role, Some(Role::Trash | Role::Junk))).ok_or_else(AppError::not_found)?;
    let label = crate::web::views::folder_title(folder, cx.i18n());
    if form.confirm != "yes" && form.confirmed != "1" {
        let chrome = cx.frame(&folders, "", None);
        return Ok(AskPage::empty(chrome, folder).into_response());
    }
    let emptied = cx
        .imap(|c| {
            let mailbox = mailbox.clone();
            Box::pin(async move {
                let (uidvalidity, uids) = c.all_of(&mailbox, None).await?;
                let set = MessageSet { mailbox, uidvalidity: UidValidity(uidvalidity), uids: uids.into_iter().map(Uid).collect() };
                c.delete_forever(&set).await?;
                Ok(set.uids.len())
            })
        })
        .await?;
    let text = cx.i18n().ta("space-emptied", &[("name", crate::i18n::FluentArg::Str(label)), ("count", crate::i18n::FluentArg::Num(emptied as i64))]);
    notice::redirect(&cx.user, text, SPACE_PAGE).await
}

/// The IMAP date of the day `months` months ago (`1-Dec-2025`) and the same day as
/// `2025-12-01`.
fn months_ago(months: u32) -> (String, String) {
    let today = time::OffsetDateTime::now_utc().date();
    let mut year = today.year();
    let mut month = today.month() as i32 - months as i32;
    while month < 1 {
        month += 12;
        year -= 1;
    }
    let m = time::Month::try_from(month as u8).unwrap_or(time::Month::January);
    let day = today.day().min(m.length(year));
    let imap = crate::mail::search::Day { year, month: month as u32, day: u32::from(day) };
    (imap.to_string(), format!("{year:04}-{month:02}-{day:02}"))
}

/// POST /archive (`folder`, `months`): the messages of `folder` older than `months` months,
/// kept under a new archive whose page offers their download.
pub async fn create(cx: Ctx, Form(form): Form<ArchiveForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let months = form.months.clamp(1, 240);
    let (imap_day, day) = months_ago(months);
    let found = cx
        .imap(|c| {
            let (mailbox, imap_day) = (form.folder.clone(), imap_day.clone());
            Box::pin(async move {
                let keys = crate::mail::search::Keys { pieces: vec![format!("BEFORE {imap_day}")], utf8: false };
                let (uidvalidity, uids) = c.search(&mailbox, Some(&keys)).await?;
                let (_, sizes) = c.sizes(&mailbox, Some(&uids)).await?;
                Ok((uidvalidity, sizes))
            })
        })
        .await;
    let (uidvalidity, sizes) = match found {
        Ok(f) => f,
        Err(MailError::NotFound) => return Err(AppError::not_found()),
        Err(e) => return Err(e.into()),
    };
    if sizes.is_empty() {
        return notice::redirect(&cx.user, cx.i18n().t1("archive-none", "day", day), SPACE_PAGE).await;
    }
    let id = crate::secrets::random_token::<12>()?;
    let archive = Archive {
        id: id.clone(),
        mailbox: form.folder.clone(),
        uidvalidity,
        uids: sizes.iter().map(|(u, _)| *u).collect(),
        bytes: sizes.iter().map(|(_, s)| u64::from(*s)).sum(),
        before_day: day,
        downloaded: false,
    };
    archives::create(cx.db(), &cx.key(), &archive, now_ms()).await?;
    Ok(Redirect::to(&format!("/archive/{id}")).into_response())
}

async fn archive_of(cx: &Ctx, id: &str) -> Result<Archive, AppError> {
    archives::get(cx.db(), &cx.key(), id).await?.ok_or_else(AppError::not_found)
}

/// GET /archive/{id}: what was chosen, its download, and once downloaded, the offer to
/// delete exactly those messages.
pub async fn archive_page(cx: Ctx, Path(id): Path<String>, Query(q): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let archive = archive_of(&cx, &id).await?;
    let chrome = cx.chrome("", notice::take(&cx.user, &q).await).await?;
    Ok(ArchivePage::new(chrome, &archive).into_response())
}

/// GET /archive/{id}/download: those messages as one mbox. Once all of it went out, the
/// archive is marked downloaded with the UIDs that were in it.
pub async fn download(cx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let archive = archive_of(&cx, &id).await?;
    let Some(turn) = transfer::take_turn(&cx.key()) else {
        return notice::redirect(&cx.user, cx.i18n().t("archive-busy"), &format!("/archive/{id}")).await;
    };
    let source = Source { mailbox: archive.mailbox.clone(), path: String::new(), only: Some((archive.uidvalidity, archive.uids.clone())) };
    let (done, finished) = tokio::sync::oneshot::channel();
    let chunks = transfer::export(cx.state.registry.clone(), cx.key(), cx.user.creds.clone(), vec![source], Format::Mbox, turn, Some(done)).await?;
    let (db, key) = (cx.db().clone(), cx.key());
    tokio::spawn(async move {
        if let Ok(summary) = finished.await {
            let uids: Vec<u32> = summary.exported.into_iter().flat_map(|(_, _, uids)| uids).collect();
            if let Err(e) = archives::downloaded(&db, &key, &id, &uids, summary.bytes, now_ms()).await {
                tracing::warn!(error = %e, "an archive's download could not be recorded");
            }
        }
    });
    let name = format!("{} {}.mbox", archive.mailbox.replace('/', " "), archive.before_day);
    Ok(super::archive::download_response("application/mbox", &name, chunks))
}

/// POST /archive/{id}/delete: after the download finished, exactly its messages deleted for
/// good (by UID; messages that arrived since are not among them).
pub async fn delete(cx: Ctx, Path(id): Path<String>, Form(form): Form<crate::web::forms::CsrfForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let archive = archive_of(&cx, &id).await?;
    if !archive.downloaded {
        return notice::redirect(&cx.user, cx.i18n().t("archive-not-downloaded"), &format!("/archive/{id}")).await;
    }
    let set = MessageSet { mailbox: archive.mailbox.clone(), uidvalidity: UidValidity(archive.uidvalidity), uids: archive.uids.iter().copied().map(Uid).collect() };
    let deleted = cx
        .imap(|c| {
            let set = set.clone();
            Box::pin(async move { c.delete_forever(&set).await })
        })
        .await;
    match deleted {
        Ok(()) => {}
        // The folder changed (UIDVALIDITY) or went: nothing is deleted.
        Err(MailError::NotFound) => return notice::redirect(&cx.user, cx.i18n().t("archive-changed"), SPACE_PAGE).await,
        Err(e) => return Err(e.into()),
    }
    archives::forget(cx.db(), &cx.key(), &id).await?;
    let text = cx.i18n().ta(
        "archive-deleted",
        &[("count", crate::i18n::FluentArg::Num(archive.uids.len() as i64)), ("size", crate::i18n::FluentArg::Str(crate::web::format::size(archive.bytes, cx.i18n())))],
    );
    notice::redirect(&cx.user, text, SPACE_PAGE).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_age_in_months_is_a_day_in_the_past() {
        let (imap, day) = months_ago(12);
        let today = time::OffsetDateTime::now_utc().date();
        assert!(day.starts_with(&format!("{:04}-", today.year() - 1)), "{day}");
        assert!(imap.ends_with(&format!("-{}", today.year() - 1)), "{imap}");
        let (_, day) = months_ago(240);
        assert!(day.starts_with(&format!("{:04}-", today.year() - 20)), "{day}");
    }
}
