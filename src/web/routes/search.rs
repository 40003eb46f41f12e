//! Searching every folder on the server, and acting on results from several folders.

use std::collections::HashMap;
use std::time::Duration;

use axum::Form;
use axum::extract::Query;
use axum::response::{IntoResponse, Response};

use super::page_param;
use crate::i18n::FluentArg;
use crate::mail::actions::{self, Action};
use crate::mail::imap::MailEvent;
use crate::mail::search;
use crate::store::compose as compose_store;
use crate::store::searches;
use crate::web::error::{AppError, ErrorKind};
use crate::web::extract::Ctx;
use crate::web::forms::search::ResultsForm;
use crate::web::format::UserZone;
use crate::web::notice;
use crate::web::views::folder_display;
use crate::web::views::search::{SearchPage, search_href};

/// How long a search looks through folders before it offers to keep going.
pub(super) const BUDGET: Duration = Duration::from_secs(3);
/// How long a search asked to keep going may take.
const DEEP_BUDGET: Duration = Duration::from_secs(30);

/// GET /search?q=…[&page=N][&more=1]
pub async fn search(cx: Ctx, tz: UserZone, Query(q): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let query = q.get("q").map(|s| s.trim().to_string()).unwrap_or_default();
    let page = page_param(&q);
    let more = q.get("more").is_some_and(|v| v == "1");
    let today = tz.today();
    let parsed = search::parse(&query, today);
    let per_page = cx.user.auth.prefs.per_page;
    let (folders, result) = {
        cx.imap(|c| {
            let parsed = parsed.clone();
            Box::pin(async move {
                let folders = c.folders().await?;
                let result = match parsed.and_then(|s| search::folders_for(&s.scope, &folders).map(|which| (s, which))) {
                    Err(e) => Err(e),
                    Ok((s, which)) => {
                        let budget = if more { DEEP_BUDGET } else { BUDGET };
                        Ok(search::run(c, &s, &which, page, per_page, budget).await?)
                    }
                };
                Ok((folders, result))
            })
        })
        .await?
    };
    if result.is_ok() {
        searches::remember(cx.db(), &cx.key(), &query, crate::clock::unix_ms()).await?;
    }
    // An empty search lists the recent ones (the way to them without JavaScript).
    let recent = if query.is_empty() { searches::recent(cx.db(), &cx.key()).await? } else { Vec::new() };
    let notice = notice::take(&cx.user, &q).await;
    let mut chrome = cx.frame(&folders, "", notice);
    chrome.search = query.clone();
    Ok(SearchPage::new(chrome, &folders, &query, result, more, tz).with_recent(recent).into_response())
}

/// GET /search/suggest?q=…: what the search box suggests as the user types, as JSON
/// (`[{"q": "…", "label": "…"}]`): recent searches holding the text, then the contacts that
/// the last word could be, as `from:` (or the `to:`, `cc:`, `bcc:` being typed).
pub async fn suggest(cx: Ctx, Query(q): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let typed = q.get("q").map(String::as_str).unwrap_or_default();
    if typed.len() > search::MAX_QUERY {
        return Ok(axum::Json(serde_json::json!([])).into_response());
    }
    let recent = searches::recent(cx.db(), &cx.key()).await?;
    let (head, op, term) = last_word(typed);
    let contacts = if term.is_empty() { Vec::new() } else { compose_store::suggest(cx.db(), &cx.key(), term, 5).await? };
    let mut out: Vec<serde_json::Value> = Vec::new();
    let lower = typed.trim().to_lowercase();
    for r in recent.iter().filter(|r| lower.is_empty() || r.to_lowercase().contains(&lower)).take(5) {
        out.push(serde_json::json!({ "q": r, "label": r }));
    }
    for c in contacts {
        let label = if c.name.is_empty() { c.email.clone() } else { format!("{} <{}>", c.name, c.email) };
        out.push(serde_json::json!({ "q": format!("{head}{op}:{} ", c.email), "label": label }));
    }
    Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], axum::Json(serde_json::Value::Array(out))).into_response())
}

/// The query before its last word, the operator the last word completes (`from` unless it
/// starts with `to:`, `cc:` or `bcc:`) and what it holds so far.
fn last_word(typed: &str) -> (&str, &'static str, &str) {
    let start = typed.rfind(char::is_whitespace).map(|i| i + 1).unwrap_or(0);
    let (head, word) = typed.split_at(start);
    for op in ["from", "to", "cc", "bcc"] {
        if let Some(term) = word.get(..op.len() + 1).filter(|p| p.eq_ignore_ascii_case(&format!("{op}:"))).map(|_| &word[op.len() + 1..]) {
            return (head, op, term);
        }
    }
    let term = if word.contains(':') || word.starts_with(['-', '(', '"']) { "" } else { word };
    (head, "from", term)
}

/// POST /search/actions: the list's actions on results that may come from several folders;
/// each folder's messages are acted on together. Undo is offered when they were all in one.
pub async fn actions(cx: Ctx, Form(pairs): Form<Vec<(String, String)>>) -> Result<Response, AppError> {
    let form = ResultsForm::from_pairs(pairs);
    cx.check_csrf(&form.csrf)?;
    let back = search_href(&form.q, form.page, false);
    let action = form.action.ok_or_else(|| AppError::new(ErrorKind::BadRequest, "unknown action"))?;
    if form.sets.is_empty() {
        return notice::redirect(&cx.user, cx.i18n().t("notice-nothing-selected"), &back).await;
    }
    if matches!(action, Action::Label | Action::Unlabel) && actions::label_flag(&form.target).is_none() {
        return notice::redirect(&cx.user, cx.i18n().t("notice-label-invalid"), &back).await;
    }
    if action == Action::DeleteForever && !form.confirmed {
        // Deleting for good from results asks in the browser (data-confirm); without
        // JavaScript, the folder's own page is the place to do it.
        return notice::redirect(&cx.user, cx.i18n().t("search-delete-forever-elsewhere"), &back).await;
    }
    let (mut done, refused, folders) = {
        cx.imap(|c| {
            let (sets, target) = (form.sets.clone(), form.target.clone());
            Box::pin(async move {
                let (done, refused) = actions::perform_each(c, &sets, action, &target).await?;
                Ok((done, refused, c.folders().await?))
            })
        })
        .await?
    };
    let key = cx.key();
    for folder in form.sets.iter().map(|s| s.mailbox.as_str()).chain(done.iter().filter_map(|d| d.folder.as_deref())) {
        cx.state.watchers.announce(&key, MailEvent::Changed { folder: folder.to_string() });
    }
    if let Some(reason) = refused {
        tracing::warn!(action = ?action, reason = %reason, "the mail server refused an action on search results");
        let reason = crate::mail::plain_reason(&reason).to_string();
        let text = if done.is_empty() {
            crate::web::notice::refused(cx.i18n(), &reason)
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
    let folder = last.folder.as_deref().map(|f| folder_display(&folders, f, cx.i18n()).0).unwrap_or_default();
    let text = cx.i18n().ta(last.notice_key, &[("count", FluentArg::Num(form.count() as i64)), ("folder", FluentArg::Str(folder))]);
    super::actions::tell_with_undo(&cx, text, last.undo.filter(|_| single), &back).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_word_is_completed() {
        assert_eq!(last_word("budget ali"), ("budget ", "from", "ali"));
        assert_eq!(last_word("ali"), ("", "from", "ali"));
        assert_eq!(last_word("is:unread TO:bo"), ("is:unread ", "to", "bo"));
        assert_eq!(last_word("bcc:"), ("", "bcc", ""));
        assert_eq!(last_word("budget is:unr"), ("budget is:unr".split_at(7).0, "from", ""));
        assert_eq!(last_word("budget "), ("budget ", "from", ""));
        assert_eq!(last_word("-spam"), ("", "from", ""));
        assert_eq!(last_word("été café"), ("été ", "from", "café"));
    }
}
