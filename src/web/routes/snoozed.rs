//! Snooze: messages leave the Inbox for the Snoozed folder and come back to its top, unread,
//! at the chosen time. The time is an outbox job (see [`crate::outbox`]); the Snoozed page
//! lists what waits, each with "bring back now" and a new time.

use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::mail::MailError;
use crate::mail::model::{MessageSet, Uid, UidValidity};
use crate::outbox::{self, SnoozeJob, UNSNOOZE};
use crate::store::outbox as store;
use crate::web::error::AppError;
use crate::web::extract::Ctx;
use crate::web::format::{self, UserZone};
use crate::web::forms::actions::ActionForm;
use crate::web::notice;
use crate::web::routes::actions::list_url;
use crate::web::routes::compose::{job_id, schedulable};
use crate::web::views::{self, snoozed::{SnoozedPage, SnoozedRow}};

/// The action form's `snooze` button (`tomorrow`, `monday`, or `at` with `snooze_at`): the
/// messages chosen in `mailbox` go to Snoozed until then.
pub async fn snooze(cx: &Ctx, tz: UserZone, mailbox: &str, form: &ActionForm) -> Result<Response, AppError> {
    let i18n = cx.i18n();
    let list = list_url(mailbox, form.page);
    let Some(messages) = form.messages(mailbox) else {
        return notice::redirect(&cx.user, i18n.t("notice-nothing-selected"), &list).await;
    };
    let message_url = (form.back == "message" && messages.uids.len() == 1).then(|| views::message_href(mailbox, messages.uidvalidity.0, messages.uids[0].0));
    let back = message_url.clone().unwrap_or_else(|| list.clone());
    if !cx.state.config.outbox_enabled {
        return notice::redirect(&cx.user, i18n.t("snooze-off"), &back).await;
    }
    let now = crate::clock::unix_ms();
    let Some(until) = format::send_time(&form.target, &form.snooze_at, now, tz).filter(|t| schedulable(*t, now)) else {
        return notice::redirect(&cx.user, i18n.t("snooze-bad-time"), &back).await;
    };
    let put_away = cx
        .imap(|c| {
            let messages = messages.clone();
            Box::pin(async move { c.snooze(&messages).await })
        })
        .await;
    let snoozed = match put_away {
        Ok(Some(s)) => s,
        Ok(None) => return notice::redirect(&cx.user, i18n.t("snooze-already"), "/snoozed").await,
        Err(MailError::NotFound) if message_url.is_some() => return Err(AppError::gone_if_missing(MailError::NotFound)),
        Err(MailError::NotFound) => return notice::redirect(&cx.user, i18n.t("notice-stale"), &list).await,
        Err(MailError::No(reason)) => {
            tracing::warn!(reason = %reason, "the mail server refused to snooze");
            return notice::redirect(&cx.user, notice::refused(i18n, &reason), &back).await;
        }
        Err(e) => return Err(e.into()),
    };
    let key = cx.key();
    if let Err(e) = remember(cx, &snoozed, until).await {
        // Without its job the messages would wait in Snoozed for good: they go back.
        let here = MessageSet { mailbox: snoozed.folder.clone(), uidvalidity: UidValidity(snoozed.uidvalidity), uids: snoozed.uids.iter().copied().map(Uid).collect() };
        let to = mailbox.to_string();
        let put_back = cx
            .imap(|c| {
                let (here, to) = (here.clone(), to.clone());
                Box::pin(async move { c.move_messages(&here, &to).await })
            })
            .await;
        if let Err(back) = put_back {
            tracing::error!(error = %back, "snoozed messages whose time was not recorded could not be put back; they are in Snoozed");
        }
        return Err(e);
    }
    cx.state.registry.mark_folders_stale(&key);
    for folder in [mailbox, snoozed.folder.as_str()] {
        cx.state.watchers.announce(&key, crate::mail::imap::MailEvent::Changed { folder: folder.to_string() });
    }
    let text = i18n.ta(
        "snooze-done",
        &[("count", crate::i18n::FluentArg::Num(snoozed.count as i64)), ("when", crate::i18n::FluentArg::Str(format::full_date(Some(until / 1000), tz, i18n)))],
    );
    let next = form.next.filter(|_| message_url.is_some()).map(|u| views::message_href(mailbox, messages.uidvalidity.0, u.0));
    notice::redirect(&cx.user, text, next.as_deref().unwrap_or(&list)).await
}

/// Records the snooze as an outbox job, with the mail login it will need then (sealed).
async fn remember(cx: &Ctx, snoozed: &crate::mail::imap::snooze::Snoozed, until: i64) -> Result<(), AppError> {
    let job = SnoozeJob { servers: cx.user.creds.servers.clone(), snoozed: snoozed.clone() };
    let id = crate::secrets::random_token::<16>()?;
    let sealed = outbox::seal_snooze(&cx.state.server_key, &id, &job, cx.user.creds.password.expose())?;
    let new = store::NewJob { id: &id, username: &cx.key(), kind: UNSNOOZE, due_ms: until, meta: sealed.meta, message: sealed.message, secret: sealed.secret };
    store::add(cx.db(), new, crate::clock::unix_ms()).await?;
    Ok(())
}

/// GET /snoozed
pub async fn snoozed_page(cx: Ctx, tz: UserZone, axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>) -> Result<Response, AppError> {
    let i18n = cx.i18n();
    let rows = store::waiting(cx.db(), &cx.key(), UNSNOOZE)
        .await?
        .into_iter()
        .filter_map(|(id, due_ms, meta)| {
            let job = outbox::open_snooze(&cx.state.server_key, &id, &meta)?;
            Some(SnoozedRow {
                when: format::full_date(Some(due_ms / 1000), tz, i18n),
                when_input: format::datetime_local(due_ms, tz),
                from: job.snoozed.from,
                subject: job.snoozed.subject,
                more: job.snoozed.count.saturating_sub(1) as i64,
                id,
            })
        })
        .collect();
    let notice = notice::take(&cx.user, &q).await;
    let chrome = cx.chrome("", notice).await?;
    Ok(SnoozedPage::new(chrome, rows).into_response())
}

#[derive(Deserialize)]
pub struct SnoozedForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    op: String,
    /// A new time, `YYYY-MM-DDTHH:MM` in the user's time zone.
    #[serde(default)]
    snooze_at: String,
}

/// POST /snoozed/{id}: `op` = `wake` (back in the Inbox now) or `reschedule` (to `snooze_at`).
pub async fn snoozed_action(cx: Ctx, tz: UserZone, Path(id): Path<String>, Form(f): Form<SnoozedForm>) -> Result<Response, AppError> {
    cx.check_csrf(&f.csrf)?;
    if !job_id(&id) {
        return Err(AppError::not_found());
    }
    let (key, i18n) = (cx.key(), cx.i18n());
    let now = crate::clock::unix_ms();
    let due = match f.op.as_str() {
        "wake" => Some(now),
        "reschedule" => format::send_time("at", &f.snooze_at, now, tz).filter(|t| schedulable(*t, now)),
        _ => return Err(AppError::not_found()),
    };
    let Some(due) = due else {
        return notice::redirect(&cx.user, i18n.t("snooze-bad-time"), "/snoozed").await;
    };
    let text = match store::reschedule(cx.db(), &key, UNSNOOZE, &id, due, now).await? {
        true if f.op == "wake" => i18n.t("snooze-waking"),
        true => i18n.t1("snooze-rescheduled", "when", format::full_date(Some(due / 1000), tz, i18n)),
        false => i18n.t("snooze-gone"),
    };
    let to = if f.op == "wake" { "/f/INBOX" } else { "/snoozed" };
    notice::redirect(&cx.user, text, to).await
}
