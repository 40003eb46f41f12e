//! Searching every folder on the server, and acting on results from several folders.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::time::Duration;

use axum::Form;
use axum::extract::Query;
use axum::response::{IntoResponse, Response};

use super::{PER_PAGE, page_param};
use crate::i18n::FluentArg;
use crate::mail::MailError;
use crate::mail::actions::{self, Action};
use crate::mail::model::{MessageSet, Uid, UidValidity};
use crate::mail::search;
use crate::web::error::{AppError, ErrorKind};
use crate::web::extract::Ctx;
use crate::web::format::TzOffset;
use crate::web::notice;
use crate::web::views::search::{SearchPage, search_href};

/// How long a search looks through folders before it offers to keep going.
const BUDGET: Duration = Duration::from_secs(3);
/// How long a search asked to keep going may take.
const DEEP_BUDGET: Duration = Duration::from_secs(30);

/// GET /search?q=…[&page=N][&more=1]
pub async fn search(cx: Ctx, tz: TzOffset, Query(q): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let query = q.get("q").map(|s| s.trim().to_string()).unwrap_or_default();
    let page = page_param(&q);
    let more = q.get("more").is_some_and(|v| v == "1");
    let today = today(tz);
    let parsed = search::parse(&query, today);
    let (folders, result) = {
        cx.imap(|c| {
            let parsed = parsed.clone();
            Box::pin(async move {
                let folders = c.folders().await?;
                let result = match parsed {
                    Err(e) => Err(e),
                    Ok(s) => match search::folders_for(&s.scope, &folders) {
                        None => Ok(None),
                        Some(which) => {
                            let budget = if more { DEEP_BUDGET } else { BUDGET };
                            Ok(Some(search::run(c, &s, &which, page, PER_PAGE, budget).await?))
                        }
                    },
                };
                Ok((folders, result))
            })
        })
        .await?
    };
    let notice = notice::take(&cx.user, &q).await;
    let mut chrome = cx.frame(&folders, "", notice);
    chrome.search = query.clone();
    let result = match result {
        Ok(Some(found)) => Ok(found),
        // `in:` names no folder: say so under the box.
        Ok(None) => {
            let mut page = SearchPage::new(chrome, &folders, &query, Err(search::QueryError::Empty), more, tz);
            let name = match parsed {
                Ok(search::Search { scope: search::Scope::Folder(n), .. }) => n,
                _ => String::new(),
            };
            page.error = Some(page.chrome.i18n.t1("search-error-folder", "folder", name));
            return Ok(page.into_response());
        }
        Err(e) => Err(e),
    };
    Ok(SearchPage::new(chrome, &folders, &query, result, more, tz).into_response())
}

/// The user's day, for `older_than:` and `newer_than:`.
fn today(tz: TzOffset) -> time::Date {
    let offset = time::UtcOffset::from_whole_seconds(tz.0.clamp(-18 * 60, 18 * 60) * 60).unwrap_or(time::UtcOffset::UTC);
    time::OffsetDateTime::now_utc().to_offset(offset).date()
}

/// POST /search/actions: the list's actions on results that may come from several folders;
/// each folder's messages are acted on together. Undo is offered when they were all in one.
pub async fn actions(cx: Ctx, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, AppError> {
    let field = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    cx.check_csrf(&field("csrf"))?;
    let query = field("q");
    let page = field("page").parse::<u32>().ok().filter(|p| *p >= 1).unwrap_or(1);
    let back = search_href(&query, page, false);
    let action = pairs
        .iter()
        .rev()
        .find(|(n, _)| n == "action")
        .and_then(|(_, v)| Action::parse(v))
        .ok_or_else(|| AppError::new(ErrorKind::BadRequest, "unknown action"))?;
    let target = field("target");
    // UIDVALIDITY:UID:folder, grouped by folder.
    let mut groups: BTreeMap<(String, u32), Vec<Uid>> = BTreeMap::new();
    for (_, v) in pairs.iter().filter(|(n, _)| n == "m") {
        let mut it = v.splitn(3, ':');
        if let (Some(uv), Some(uid), Some(folder)) = (it.next(), it.next(), it.next())
            && let (Some(uv), Some(uid)) = (UidValidity::parse(uv), Uid::parse(uid))
        {
            groups.entry((folder.to_string(), uv.0)).or_default().push(uid);
        }
    }
    if groups.is_empty() {
        return notice::redirect(&cx.user, cx.i18n().t("notice-nothing-selected"), &back).await;
    }
    if action == Action::DeleteForever && field("confirmed") != "1" {
        // Deleting for good from results asks in the browser (data-confirm); without
        // JavaScript, the folder's own page is the place to do it.
        return notice::redirect(&cx.user, cx.i18n().t("search-delete-forever-elsewhere"), &back).await;
    }
    let sets: Vec<MessageSet> = groups
        .into_iter()
        .map(|((mailbox, uv), uids)| MessageSet { mailbox, uidvalidity: UidValidity(uv), uids })
        .collect();
    let count: usize = sets.iter().map(|s| s.uids.len()).sum();
    let result = {
        cx.imap(|c| {
            let (sets, target) = (sets.clone(), target.clone());
            Box::pin(async move {
                let mut done = Vec::new();
                let mut refused = None;
                for set in &sets {
                    match actions::perform(c, set, action, &target).await {
                        Ok(d) => done.push(d),
                        // Gone meanwhile, or already where it should go: the others still count.
                        Err(MailError::NotFound) => {}
                        // Refused in this folder (nothing left half done there): stop here.
                        Err(MailError::No(reason)) => {
                            refused = Some(reason);
                            break;
                        }
                        Err(e) => return Err(e),
                    }
                }
                Ok((done, refused, c.folders().await?))
            })
        })
        .await
    };
    let (mut done, refused, folders) = result?;
    let key = cx.key();
    for folder in sets.iter().map(|s| s.mailbox.as_str()).chain(done.iter().filter_map(|d| d.folder.as_deref())) {
        cx.state.watchers.announce(&key, crate::mail::imap::MailEvent::Changed { folder: folder.to_string() });
    }
    if let Some(reason) = refused {
        tracing::warn!(action = ?action, reason = %reason, "the mail server refused an action on search results");
        let reason = crate::mail::plain_reason(&reason).to_string();
        let text = if done.is_empty() {
            cx.i18n().t1("notice-refused", "reason", reason)
        } else {
            cx.i18n().ta("search-partly-done", &[("folders", FluentArg::Num(done.len() as i64)), ("reason", FluentArg::Str(reason))])
        };
        return notice::redirect(&cx.user, text, &back).await;
    }
    // Undo is offered when the messages were all in one folder (one action to take back).
    let single = done.len() == 1;
    let Some(last) = done.pop() else {
        return notice::redirect(&cx.user, cx.i18n().t("notice-stale"), &back).await;
    };
    let folder = last.folder.as_deref().map(|f| crate::web::views::folder_display(&folders, f, cx.i18n()).0).unwrap_or_default();
    let text = cx.i18n().ta(last.notice_key, &[("count", FluentArg::Num(count as i64)), ("folder", FluentArg::Str(folder))]);
    super::actions::tell_with_undo(&cx, text, last.undo.filter(|_| single), &back).await
}
