//! Messages set to go later ("Send later"): the list, and for each, edit, a new time, cancel.
//! Each is a job in the outbox and a draft in Drafts marked `$Scheduled`.

use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::mail::send;
use crate::outbox;
use crate::store::compose as compose_store;
use crate::store::outbox as store;
use crate::web::error::AppError;
use crate::web::extract::Ctx;
use crate::web::format::{self, UserZone};
use crate::web::notice;
use crate::web::routes::compose::{job_id, reopen, schedulable};
use crate::web::views::scheduled::{ScheduledPage, ScheduledRow};

/// GET /scheduled
pub async fn scheduled_page(cx: Ctx, tz: UserZone, axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>) -> Result<Response, AppError> {
    let i18n = cx.i18n();
    let rows = store::waiting(cx.db(), &cx.key(), outbox::SEND)
        .await?
        .into_iter()
        .filter_map(|(id, due_ms, meta)| {
            let job = outbox::open_meta(&cx.state.server_key, &id, &meta)?;
            let text = |k: &str| job.form.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
            Some(ScheduledRow {
                when: format::full_date(Some(due_ms / 1000), tz, i18n),
                when_input: format::datetime_local(due_ms, tz),
                to: text("to"),
                subject: text("subject"),
                id,
            })
        })
        .collect();
    let notice = notice::take(&cx.user, &q).await;
    let chrome = cx.chrome("", notice).await?;
    Ok(ScheduledPage::new(chrome, rows).into_response())
}

#[derive(Deserialize)]
pub struct ScheduledForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    op: String,
    /// A new time, `YYYY-MM-DDTHH:MM` in the user's time zone.
    #[serde(default)]
    send_at: String,
}

/// POST /scheduled/{id}: `op` = `edit` (back to the compose page, not scheduled any more),
/// `reschedule` (to `send_at`) or `cancel` (the message stays in Drafts).
pub async fn scheduled_action(cx: Ctx, tz: UserZone, Path(id): Path<String>, Form(f): Form<ScheduledForm>) -> Result<Response, AppError> {
    cx.check_csrf(&f.csrf)?;
    if !job_id(&id) {
        return Err(AppError::not_found());
    }
    let (key, i18n) = (cx.key(), cx.i18n());
    let now = crate::clock::unix_ms();
    if f.op == "reschedule" {
        let text = match format::send_time("at", &f.send_at, now, tz) {
            Some(t) if schedulable(t, now) => match store::reschedule(cx.db(), &key, outbox::SEND, &id, t, now).await? {
                true => i18n.t1("compose-scheduled", "when", format::full_date(Some(t / 1000), tz, i18n)),
                false => i18n.t("compose-sending-too-late"),
            },
            _ => i18n.t("compose-later-bad-time"),
        };
        return notice::redirect(&cx.user, text, "/scheduled").await;
    }
    if f.op != "edit" && f.op != "cancel" {
        return Err(AppError::not_found());
    }
    let taken = store::take_back(cx.db(), &key, outbox::SEND, &id, now).await?;
    let Some(job) = taken.and_then(|meta| outbox::open_meta(&cx.state.server_key, &id, &meta)) else {
        return notice::redirect(&cx.user, i18n.t("compose-sending-too-late"), "/scheduled").await;
    };
    let _ = compose_store::release_send_key(cx.db(), &key, &job.send_key).await;
    // Not scheduled any more: other devices see a plain draft.
    if let Some((uv, uid)) = job.replaces {
        let version = (crate::mail::model::UidValidity(uv), crate::mail::model::Uid(uid));
        if let Err(e) = cx.imap(|c| Box::pin(async move { send::unmark_draft(c, version).await })).await {
            tracing::info!(error = %e, "the scheduled mark could not be taken off a draft");
        }
        cx.state.registry.mark_folders_stale(&key);
    }
    if f.op == "edit" {
        return reopen(&cx, &id, job.form, "compose-scheduled-editing").await;
    }
    if job.replaces.is_none() {
        // A message in its Undo send wait has no draft to stay in: cancelling it is Undo.
        return reopen(&cx, &id, job.form, "compose-sending-undone").await;
    }
    notice::redirect(&cx.user, i18n.t("compose-scheduled-cancelled"), "/scheduled").await
}
