//! Writing mail: the compose page (new, reply, reply-all, forward, mailto:, a resumed draft),
//! attachments, drafts saved to the IMAP Drafts folder, and sending through SMTP.
//!
//! The whole message being written travels in the form (plain HTML, works without JS); files
//! are streamed to the upload store and referred to by number. A draft in the Drafts folder is
//! replaced at each save: the form carries the UID of the version it replaces.

use axum::Form;
use axum::extract::{Multipart, Path, Query};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::i18n::FluentArg;
use crate::mail::imap::Role;
use crate::mail::model::{MessageRef, Uid, UidValidity};
use crate::mail::smtp::SendError;
use crate::mail::{MailError, mime, reply, send};
use crate::outbox;
use crate::store::compose::{self as store, Identity};
use crate::store::outbox as outbox_store;
use crate::web::error::{AppError, ErrorKind};
use crate::web::extract::Ctx;
use crate::web::format::{self, UserZone};
use crate::web::forms::compose::{self as forms, ComposeForm, ComposeQuery, FieldErrors};
use crate::web::notice;
use crate::web::views::{self, compose::ComposePage};

/// GET /compose
pub async fn compose_page(cx: Ctx, tz: UserZone, Query(q): Query<ComposeQuery>) -> Result<Response, AppError> {
    let identities = store::identities(cx.db(), &cx.key()).await?;
    if !q.restored.is_empty() {
        // Taken back from the outbox: the form as it was sent, once.
        let kept = cx.user.session.remove::<(String, serde_json::Value, String)>(RESTORED_KEY).await.ok().flatten();
        if let Some((form, note)) = kept.filter(|(id, ..)| *id == q.restored).and_then(|(_, v, note)| Some((serde_json::from_value::<ComposeForm>(v).ok()?, note))) {
            let notice = notice::Notice::now(cx.i18n().t(&note));
            return render_with(&cx, form, &identities, FieldErrors::default(), Some(notice), StatusCode::OK).await;
        }
    }
    let form = ComposeForm::blank(&identities)?;
    let mode = (!q.mode.is_empty()).then(|| reply::Mode::parse(&q.mode));
    let form = match (mode, (q.uid > 0).then_some(Uid(q.uid))) {
        (Some(Some(mode)), Some(uid)) => start_from(&cx, form, mode, MessageRef::new(q.mb, UidValidity(q.uv), uid), &identities, tz).await?,
        (Some(None), Some(_)) => return Err(AppError::not_found()),
        _ => form.from_link(&q, &identities),
    };
    render(&cx, form, &identities, FieldErrors::default(), None, StatusCode::OK).await
}

/// A reply, forward or resumed draft of the message at `at`; its attachments (if it keeps
/// them) go to the new draft's uploads.
async fn start_from(cx: &Ctx, form: ComposeForm, mode: reply::Mode, at: MessageRef, identities: &[Identity], tz: UserZone) -> Result<ComposeForm, AppError> {
    let resume = mode == reply::Mode::Resume;
    let (raw, drafts) = {
        cx.imap(|c| {
            let at = at.clone();
            Box::pin(async move {
                let raw = c.fetch_message(&at, true).await?;
                // Only a resumed draft asks where Drafts is (which may create it).
                let drafts = if resume { c.folder_for(Role::Drafts).await? } else { None };
                Ok((raw, drafts))
            })
        })
        .await
        .map_err(AppError::gone_if_missing)?
    };
    let o = mime::original(&raw.bytes).unwrap_or_default();
    let i18n = cx.i18n();
    let prefixes = reply::Prefixes { reply: &i18n.t("compose-reply-prefix"), forward: &i18n.t("compose-forward-prefix") };
    let own = forms::own_addresses(&cx.user.auth.username, identities);
    let in_drafts = drafts.as_deref() == Some(at.mailbox.as_str());
    let mut started = reply::start(mode, &raw.bytes, &o, at, &own, &prefixes, in_drafts);
    for a in std::mem::take(&mut started.attachments) {
        cx.state
            .uploads
            .add_bytes(&cx.key(), &form.draft, &a.name, &a.content_type, &a.bytes)
            .await
            .map_err(|e| anyhow::anyhow!("storing an attachment: {e}"))?;
    }
    Ok(form.from_started(started, mode, &o, identities, i18n, tz))
}

async fn render(cx: &Ctx, form: ComposeForm, identities: &[Identity], errors: FieldErrors, saved: Option<String>, status: StatusCode) -> Result<Response, AppError> {
    render_with(cx, form, identities, errors, saved.map(notice::Notice::now), status).await
}

async fn render_with(cx: &Ctx, form: ComposeForm, identities: &[Identity], errors: FieldErrors, notice: Option<notice::Notice>, status: StatusCode) -> Result<Response, AppError> {
    let chrome = cx.chrome("", notice).await?;
    let files = cx.state.uploads.list(&cx.key(), &form.draft).await;
    let mut view = ComposePage::new(chrome, form, errors, identities, files, cx.state.config.max_message_size);
    view.send_later = cx.state.config.outbox_enabled;
    Ok((status, view).into_response())
}

fn json(status: StatusCode, value: serde_json::Value) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], axum::Json(value)).into_response()
}

fn status_of(errors: &FieldErrors) -> StatusCode {
    if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK }
}

/// POST /compose: attach, remove an attachment, save, discard or send.
pub async fn compose_post(cx: Ctx, tz: UserZone, headers: HeaderMap, mp: Multipart) -> Result<Response, AppError> {
    let (form, too_big) = forms::read(&cx, mp).await?;
    cx.check_csrf(&form.csrf)?;
    if !form.has_ids() {
        return Err(AppError::new(ErrorKind::BadRequest, "compose form without its ids"));
    }
    let identities = store::identities(cx.db(), &cx.key()).await?;
    let mut errors = FieldErrors::default();
    if let Some(name) = too_big {
        let max = format::size(cx.state.config.max_message_size, cx.i18n());
        errors.attachments = Some(cx.i18n().ta("compose-error-file-too-big", &[("name", FluentArg::Str(name)), ("max", FluentArg::Str(max))]));
    }
    if let Some(id) = form.op.strip_prefix("remove:") {
        if let Ok(id) = id.parse::<u32>() {
            cx.state.uploads.remove(&cx.key(), &form.draft, id).await;
        }
        return render(&cx, form, &identities, errors, None, StatusCode::OK).await;
    }
    match form.op.as_str() {
        "attach" if crate::web::middleware::wants_json(&headers) => Ok(attachments_json(&cx, &form, &errors).await),
        "save" => save(&cx, form, &identities, errors, crate::web::middleware::wants_json(&headers)).await,
        "discard" => discard(&cx, &form).await,
        "send" if errors.any() => render(&cx, form, &identities, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await,
        "send" => send_form(&cx, form, &identities).await,
        op if op.starts_with("later:") && errors.any() => render(&cx, form, &identities, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await,
        op if op.starts_with("later:") => {
            let choice = op.trim_start_matches("later:").to_string();
            schedule(&cx, form, &identities, tz, &choice).await
        }
        _ => {
            let status = status_of(&errors);
            render(&cx, form, &identities, errors, None, status).await
        }
    }
}

async fn attachments_json(cx: &Ctx, form: &ComposeForm, errors: &FieldErrors) -> Response {
    let files: Vec<serde_json::Value> = cx
        .state
        .uploads
        .list(&cx.key(), &form.draft)
        .await
        .into_iter()
        .map(|s| serde_json::json!({ "id": s.id, "name": s.name, "size": format::size(s.size, cx.i18n()) }))
        .collect();
    json(status_of(errors), serde_json::json!({ "attachments": files, "error": errors.attachments }))
}

async fn save(cx: &Ctx, mut form: ComposeForm, identities: &[Identity], errors: FieldErrors, json_reply: bool) -> Result<Response, AppError> {
    let draft = match forms::check(cx, &form, identities, false).await {
        Ok(d) => d,
        Err(_) if json_reply => return Ok(json(StatusCode::UNPROCESSABLE_ENTITY, serde_json::json!({ "saved": false }))),
        Err(e) => return render(cx, form, identities, e, None, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let version = match send::save_draft_for(&cx.state.registry, &cx.key(), &cx.user.creds, &draft, form.replaces()).await {
        Ok(v) => v,
        // Refused (a full mailbox above all): the form stays as it was, with why. (The script
        // gets the error as JSON, in the server's words, and keeps its form.)
        Err(send::SaveError::Mail(MailError::No(reason))) if !json_reply => {
            let full = crate::mail::is_over_quota(&reason);
            let text = if full { cx.i18n().t("quota-over") } else { notice::refused(cx.i18n(), &reason) };
            let status = if full { StatusCode::INSUFFICIENT_STORAGE } else { StatusCode::BAD_GATEWAY };
            let mut errors = errors;
            errors.general = Some(text);
            return render(cx, form, identities, errors, None, status).await;
        }
        Err(e) => return Err(save_error(e)),
    };
    form.set_replaces(version);
    if json_reply {
        return Ok(json(StatusCode::OK, serde_json::json!({ "saved": true, "replaces": form.replaces })));
    }
    render(cx, form, identities, errors, Some(cx.i18n().t("compose-draft-saved")), StatusCode::OK).await
}

fn save_error(e: send::SaveError) -> AppError {
    match e {
        send::SaveError::Mail(e) => e.into(),
        send::SaveError::Build(e) => anyhow::Error::from(e).into(),
    }
}

async fn discard(cx: &Ctx, form: &ComposeForm) -> Result<Response, AppError> {
    if let Some(version) = form.replaces() {
        cx.imap(|c| Box::pin(async move { send::discard_draft(c, version).await })).await?;
    }
    cx.state.uploads.clear(&cx.key(), &form.draft).await;
    notice::redirect(&cx.user, cx.i18n().t("compose-discarded"), "/f/INBOX").await
}

async fn send_form(cx: &Ctx, form: ComposeForm, identities: &[Identity]) -> Result<Response, AppError> {
    let (key, i18n) = (cx.key(), cx.i18n());
    let draft = match forms::check(cx, &form, identities, true).await {
        Ok(d) => d,
        Err(e) => return render(cx, form, identities, e, None, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    if !store::claim_send_key(cx.db(), &key, &form.send_key).await? {
        // A double click or a resubmitted form: this message was already sent (or is being sent).
        return notice::redirect(&cx.user, i18n.t("compose-already-sent"), "/f/INBOX").await;
    }
    let delay = cx.user.auth.prefs.undo_send_seconds;
    if cx.state.config.outbox_enabled && delay > 0 {
        return queue(cx, form, draft, delay).await;
    }
    let plan = send::Plan { save_sent: cx.state.config.save_sent, origin: form.origin(), replaces: form.replaces() };
    let delivery = send::deliver(&cx.state.registry, &key, &cx.user.creds, &cx.state.smtp, &draft, plan.replaces).await;
    let accepted = match delivery {
        Ok(send::Delivery::Accepted(a)) => a,
        Ok(send::Delivery::NotSent { error, kept }) => return not_sent(cx, form, identities, &error, kept).await,
        Err(e) => {
            let _ = store::release_send_key(cx.db(), &key, &form.send_key).await;
            return Err(anyhow::Error::from(e).into());
        }
    };
    // Sent: recorded at once, so that nothing makes the user send it again.
    let _ = store::mark_sent(cx.db(), &key, &form.send_key).await;
    let people = people_of(&draft);
    drop(draft);
    let filed = send::file(&cx.state.registry, &key, &cx.user.creds, accepted, &plan).await;
    if let Err(e) = store::note_contacts(cx.db(), &key, &people).await {
        tracing::warn!(error = %e, "contacts not updated");
    }
    cx.state.uploads.clear(&key, &form.draft).await;
    cx.state.registry.mark_folders_stale(&key);
    let text = if filed { i18n.t("compose-sent") } else { i18n.t("compose-sent-not-filed") };
    notice::redirect(&cx.user, text, &back_from(&form)).await
}

/// The people a message is written to (name, address), for the address book.
fn people_of(draft: &crate::mail::compose::Draft) -> Vec<(String, String)> {
    draft.to.iter().chain(&draft.cc).chain(&draft.bcc).map(|m| (m.name.clone().unwrap_or_default(), m.email.to_string())).collect()
}

/// Where the user goes once the message is sent (or set to go): the message it answers, else
/// the Inbox.
fn back_from(form: &ComposeForm) -> String {
    form.origin()
        .map(|o| views::message_href(&o.message.mailbox, o.message.uidvalidity.0, o.message.uid.0))
        .unwrap_or_else(|| "/f/INBOX".to_string())
}

/// Puts the message in the outbox for `delay` seconds, the time Undo can take it back; a
/// worker sends it then, whether or not this page is still open.
async fn queue(cx: &Ctx, form: ComposeForm, draft: crate::mail::compose::Draft, delay: u32) -> Result<Response, AppError> {
    let due_ms = crate::clock::unix_ms() + i64::from(delay) * 1000;
    let job = enqueue(cx, &form, &draft, due_ms).await?;
    let url = notice::sending(&cx.user, cx.i18n().t("compose-sending"), notice::Sending { job, due_ms }, &back_from(&form)).await?;
    Ok(axum::response::Redirect::to(&url).into_response())
}

/// Keeps the message in the outbox until `due_ms`; returns the job's id. On failure, the send
/// key is given back (nothing was sent).
async fn enqueue(cx: &Ctx, form: &ComposeForm, draft: &crate::mail::compose::Draft, due_ms: i64) -> Result<String, AppError> {
    let key = cx.key();
    let queued = async {
        let built = crate::mail::compose::build(draft, crate::mail::compose::Purpose::Send).map_err(|e| anyhow::anyhow!("building a message: {e}"))?;
        let job = outbox::SendJob {
            servers: cx.user.creds.servers.clone(),
            from: built.envelope.from().map(|a| a.to_string()).unwrap_or_default(),
            to: built.envelope.to().iter().map(|a| a.to_string()).collect(),
            message_id: draft.message_id.clone(),
            bcc: draft.bcc.iter().map(|m| m.to_string()).collect(),
            save_sent: cx.state.config.save_sent,
            origin: form.origin().map(|o| o.to_string()),
            replaces: form.replaces().map(|(uv, uid)| (uv.0, uid.0)),
            send_key: form.send_key.clone(),
            draft: form.draft.clone(),
            people: people_of(draft),
            form: serde_json::to_value(form)?,
        };
        let id = crate::secrets::random_token::<16>()?;
        let sealed = outbox::seal(&cx.state.server_key, &id, &job, &built.bytes, cx.user.creds.password.expose())?;
        let new = outbox_store::NewJob { id: &id, username: &key, kind: outbox::SEND, due_ms, meta: sealed.meta, message: sealed.message, secret: sealed.secret };
        outbox_store::add(cx.db(), new, crate::clock::unix_ms()).await.map_err(anyhow::Error::from)?;
        anyhow::Ok(id)
    };
    match queued.await {
        Ok(id) => Ok(id),
        Err(e) => {
            let _ = store::release_send_key(cx.db(), &key, &form.send_key).await;
            Err(e.into())
        }
    }
}

/// The latest "Send later" accepts.
const LATEST_MS: i64 = 366 * 24 * 3600 * 1000;

/// Whether "Send later" takes `t` (Unix milliseconds): to come, within a year.
pub(crate) fn schedulable(t: i64, now: i64) -> bool {
    t > now && t <= now + LATEST_MS
}

/// "Send later": the message is kept in Drafts, marked as scheduled, so that other devices see
/// it, and in the outbox until the chosen time (`choice`: `tomorrow`, `monday` or `at` with
/// the form's `send_at`, in the user's time zone).
async fn schedule(cx: &Ctx, mut form: ComposeForm, identities: &[Identity], tz: UserZone, choice: &str) -> Result<Response, AppError> {
    let (key, i18n) = (cx.key(), cx.i18n());
    let now = crate::clock::unix_ms();
    let due_ms = match format::send_time(choice, &form.send_at, now, tz) {
        Some(t) if cx.state.config.outbox_enabled && schedulable(t, now) => t,
        _ => return render(cx, form, identities, FieldErrors::general(i18n.t("compose-later-bad-time")), None, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    let draft = match forms::check(cx, &form, identities, true).await {
        Ok(d) => d,
        Err(e) => return render(cx, form, identities, e, None, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    if !store::claim_send_key(cx.db(), &key, &form.send_key).await? {
        return notice::redirect(&cx.user, i18n.t("compose-already-sent"), "/f/INBOX").await;
    }
    let kept = send::save_marked_draft_for(&cx.state.registry, &key, &cx.user.creds, &draft, form.replaces(), Some(send::SCHEDULED)).await;
    let version = match kept {
        Ok(v) => v,
        Err(e) => {
            let _ = store::release_send_key(cx.db(), &key, &form.send_key).await;
            let text = match &e {
                send::SaveError::Mail(MailError::No(reason)) => notice::refused(i18n, reason),
                _ => return Err(save_error(e)),
            };
            return render(cx, form, identities, FieldErrors::general(text), None, StatusCode::BAD_GATEWAY).await;
        }
    };
    form.set_replaces(version);
    enqueue(cx, &form, &draft, due_ms).await?;
    cx.state.registry.mark_folders_stale(&key);
    let when = format::full_date(Some(due_ms / 1000), tz, i18n);
    notice::redirect(&cx.user, i18n.t1("compose-scheduled", "when", when), "/scheduled").await
}

/// Whether `id` can be an outbox job's (a random token), before it goes anywhere.
pub(crate) fn job_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What the session keeps of a message taken back from the outbox, for the compose page: the
/// job's id, the form, and what the page says.
const RESTORED_KEY: &str = "restored_form";

/// Opens the compose page on a form taken back from outbox job `id`, saying `note`.
pub(crate) async fn reopen(cx: &Ctx, id: &str, form: serde_json::Value, note: &str) -> Result<Response, AppError> {
    cx.user.session.insert(RESTORED_KEY, (id.to_string(), form, note.to_string())).await?;
    Ok(axum::response::Redirect::to(&format!("/compose?restored={id}")).into_response())
}

/// POST /outbox/{id}/undo: takes the message back while it still waits, and opens it again
/// in the compose page, as it was sent (its files kept).
pub async fn undo_send(cx: Ctx, Path(id): Path<String>, Form(f): Form<crate::web::forms::CsrfForm>) -> Result<Response, AppError> {
    cx.check_csrf(&f.csrf)?;
    if !job_id(&id) {
        return Err(AppError::not_found());
    }
    let key = cx.key();
    let taken = outbox_store::take_back(cx.db(), &key, outbox::SEND, &id, crate::clock::unix_ms()).await?;
    let Some(job) = taken.and_then(|meta| outbox::open_meta(&cx.state.server_key, &id, &meta)) else {
        let text = match outbox_store::status(cx.db(), &key, &id).await? {
            Some(_) => cx.i18n().t("compose-sending-too-late"),
            None => cx.i18n().t("compose-sending-gone"),
        };
        return notice::redirect(&cx.user, text, "/f/INBOX").await;
    };
    let _ = store::release_send_key(cx.db(), &key, &job.send_key).await;
    reopen(&cx, &id, job.form, "compose-sending-undone").await
}

/// GET /outbox/{id}: how a message in the outbox is doing, for the page that sent it
/// (`waiting`, `sending`, `sent`, `failed`), with what to tell the user.
pub async fn outbox_status(cx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    if !job_id(&id) {
        return Err(AppError::not_found());
    }
    let Some(st) = outbox_store::status(cx.db(), &cx.key(), &id).await? else {
        return Ok(json(StatusCode::NOT_FOUND, serde_json::json!({ "state": "gone", "text": cx.i18n().t("compose-sending-gone") })));
    };
    let i18n = cx.i18n();
    let state = match st.state.as_str() {
        "accepted" => "sent",
        "waiting" | "sending" | "sent" | "failed" => st.state.as_str(),
        _ => "sending",
    };
    let text = match state {
        "sent" => i18n.t("compose-sent"),
        "failed" => match outbox::error_of(&st.reason) {
            Some(e) => i18n.t1("compose-sending-failed", "reason", send_failure(i18n, &e)),
            None => i18n.t("compose-sending-lost"),
        },
        _ => i18n.t("compose-sending"),
    };
    Ok(json(StatusCode::OK, serde_json::json!({ "state": state, "text": text, "left_ms": (st.due_ms - crate::clock::unix_ms()).max(0) })))
}

/// The SMTP server did not take the message: the form again, saying why and whether the
/// message was kept in Drafts.
async fn not_sent(cx: &Ctx, mut form: ComposeForm, identities: &[Identity], error: &SendError, kept: Result<Option<send::DraftVersion>, send::SaveError>) -> Result<Response, AppError> {
    let _ = store::release_send_key(cx.db(), &cx.key(), &form.send_key).await;
    let i18n = cx.i18n();
    let saved = match kept {
        Ok(version) => {
            form.set_replaces(version);
            i18n.t("compose-kept-in-drafts")
        }
        Err(_) => i18n.t("compose-not-kept"),
    };
    let errors = FieldErrors::general(format!("{} {saved}", send_failure(i18n, error)));
    render(cx, form, identities, errors, None, StatusCode::BAD_GATEWAY).await
}

/// Why sending failed, in the user's words.
fn send_failure(i18n: &crate::i18n::I18n, e: &SendError) -> String {
    match e {
        SendError::Connect(_) => i18n.t("compose-error-smtp-down"),
        SendError::Timeout => i18n.t("compose-error-smtp-timeout"),
        SendError::Unconfirmed => i18n.t("compose-error-smtp-unconfirmed"),
        SendError::Auth => i18n.t("compose-error-smtp-auth"),
        SendError::Rejected(m) | SendError::Deferred(m) => i18n.ta("compose-error-smtp-refused", &[("reason", FluentArg::Str(forms::one_line(m)))]),
    }
}

#[derive(Deserialize)]
pub struct SuggestQuery {
    #[serde(default)]
    q: String,
}

/// GET /contacts/suggest?q=…: addresses for the compose fields' autocomplete.
pub async fn suggest(cx: Ctx, Query(q): Query<SuggestQuery>) -> Result<Response, AppError> {
    let term = q.q.trim();
    if term.is_empty() || term.len() > 100 {
        return Ok(json(StatusCode::OK, serde_json::json!([])));
    }
    let found = store::suggest(cx.db(), &cx.key(), term, 8).await?;
    let items: Vec<serde_json::Value> = found
        .into_iter()
        .map(|c| {
            let text = match c.email.parse() {
                Ok(addr) => lettre::message::Mailbox::new(Some(c.name.clone()).filter(|n| !n.is_empty()), addr).to_string(),
                Err(_) => c.email.clone(),
            };
            serde_json::json!({ "email": c.email, "name": c.name, "text": text })
        })
        .collect();
    Ok(json(StatusCode::OK, serde_json::Value::Array(items)))
}
