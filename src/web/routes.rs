//! Handlers: extract → call `mail::` → build a view → respond.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header::{self, HeaderValue};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use serde::Deserialize;
use tower_sessions::Session;

use super::AppState;
use super::assets;
use super::auth::{self, AuthData, CurrentUser, cookie_value};
use super::error::AppError;
use super::format::{self, TzOffset};
use super::views::{self, AttachmentLink, Chrome, Row, Seg};
use crate::config::Secret;
use crate::i18n::I18n;
use crate::mail::imap::{Folder, RawMessage};
use crate::mail::mime::{self, Body};
use crate::mail::sanitize::{self, INLINE_IMAGE_TYPES, TextSegment};
use crate::mail::{Credentials, MailError};

pub const PER_PAGE: u32 = 50;
/// Inline images larger than this are not embedded in the message frame.
const INLINE_IMAGE_MAX: usize = 3 * 1024 * 1024;

/// The request's language.
pub struct Lang(pub I18n);

impl FromRequestParts<AppState> for Lang {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
        Ok(Lang(I18n::negotiate(header, &state.config.default_language)))
    }
}

impl FromRequestParts<AppState> for TzOffset {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, Self::Rejection> {
        Ok(TzOffset(cookie_value(&parts.headers, "facteur_tz").and_then(|v| v.parse().ok()).unwrap_or(0)))
    }
}

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn fallback() -> AppError {
    AppError::not_found()
}

pub async fn home(_user: CurrentUser) -> Redirect {
    Redirect::to("/f/INBOX")
}

// ---------------------------------------------------------------- login / logout

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    reason: Option<String>,
}

fn login_page(i18n: I18n, username: String, next: String, error: Option<String>, notice: Option<String>) -> views::LoginPage {
    views::LoginPage { i18n, css: assets::css_url(), js: assets::js_url(), username, next, error, notice }
}

pub async fn login_form(session: Session, Lang(i18n): Lang, Query(q): Query<LoginQuery>) -> Response {
    if let Ok(Some(_)) = session.get::<AuthData>("auth").await {
        return Redirect::to(&auth::safe_next(q.next.as_deref())).into_response();
    }
    let notice = match q.reason.as_deref() {
        Some("ended") => Some(i18n.t("login-session-ended")),
        Some("signed-out") => Some(i18n.t("login-signed-out")),
        _ => None,
    };
    login_page(i18n, String::new(), auth::safe_next(q.next.as_deref()), None, notice).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    session: Session,
    Lang(i18n): Lang,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let username = form.username.trim().to_string();
    let next = auth::safe_next(form.next.as_deref());
    let fail = |i18n: I18n, status: StatusCode, key: &str, username: String, next: String| {
        let msg = i18n.t(key);
        (status, login_page(i18n, username, next, Some(msg), None)).into_response()
    };
    if username.is_empty() || form.password.is_empty() {
        return Ok(fail(i18n, StatusCode::UNPROCESSABLE_ENTITY, "login-error-missing", username, next));
    }
    if username.chars().any(char::is_control) || form.password.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
        return Ok(fail(i18n, StatusCode::UNAUTHORIZED, "login-error-credentials", username, next));
    }
    let creds = Credentials { username: username.clone(), password: Secret::new(form.password) };
    let login_id = crate::secrets::random_token::<18>()?;
    match state.registry.login(&login_id, &creds).await {
        Ok(()) => {}
        Err(e) => {
            let (status, key) = match e {
                MailError::Auth => (StatusCode::UNAUTHORIZED, "login-error-credentials"),
                MailError::Connect(_) | MailError::Protocol(_) => (StatusCode::BAD_GATEWAY, "login-error-unreachable"),
                MailError::Timeout => (StatusCode::GATEWAY_TIMEOUT, "login-error-timeout"),
                MailError::No(_) | MailError::NotFound => (StatusCode::BAD_GATEWAY, "login-error-server"),
            };
            tracing::warn!(user = %username, error = %e, "login failed");
            return Ok(fail(i18n, status, key, username, next));
        }
    }
    tracing::info!(user = %username, "login");
    let cookie = auth::begin(&state, &session, login_id, &creds).await?;
    Ok(([cookie], Redirect::to(&next)).into_response())
}

#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

pub async fn logout(State(state): State<AppState>, session: Session, Form(form): Form<CsrfForm>) -> Result<Response, AppError> {
    if let Some(a) = session.get::<AuthData>("auth").await? {
        let user_token_ok = a.csrf.len() == form.csrf.len() && a.csrf == form.csrf;
        if !user_token_ok {
            return Err(AppError::forbidden("CSRF token mismatch on logout"));
        }
    }
    let cookie = auth::end(&state, &session).await;
    Ok(([cookie], Redirect::to("/login?reason=signed-out")).into_response())
}

// ---------------------------------------------------------------- folders

fn page_param(q: &HashMap<String, String>) -> u32 {
    q.get("page").and_then(|p| p.parse::<u32>().ok()).filter(|p| *p >= 1).unwrap_or(1)
}

fn folder_display(folders: &[Folder], name: &str, i18n: &I18n) -> (String, u32) {
    folders
        .iter()
        .find(|f| f.name == name)
        .map(|f| (views::folder_title(f, i18n), f.unread))
        .unwrap_or_else(|| (name.to_string(), 0))
}

pub async fn mailbox(
    State(state): State<AppState>,
    user: CurrentUser,
    Lang(i18n): Lang,
    tz: TzOffset,
    Path(mailbox): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let page_no = page_param(&q);
    let (folders, page) = state
        .registry
        .run(&user.auth.login_id, &user.creds, |c| {
            let mailbox = mailbox.clone();
            Box::pin(async move {
                let page = c.list_page(&mailbox, page_no, PER_PAGE).await?;
                let folders = c.folders().await?;
                Ok((folders, page))
            })
        })
        .await?;
    let now = auth::now_unix();
    let rows = page
        .items
        .iter()
        .map(|item| {
            let h = mime::list_headers(&item.headers);
            let from = h.from.as_ref().map(|p| p.display()).filter(|s| !s.is_empty());
            Row {
                href: views::message_href(&mailbox, page.mailbox.uidvalidity, item.uid),
                from_title: h.from.as_ref().map(format::person_full).unwrap_or_default(),
                from: from.unwrap_or_else(|| i18n.t("list-unknown-sender")),
                subject: if h.subject.is_empty() { i18n.t("list-no-subject") } else { h.subject.clone() },
                date: format::list_date(h.date.or(item.internal_date), now, tz, &i18n),
                size: format::size(u64::from(item.size), &i18n),
                unread: !item.seen,
                flagged: item.flagged,
                answered: item.answered,
                attachment: h.has_attachment,
            }
        })
        .collect();
    let (heading, unread) = folder_display(&folders, &mailbox, &i18n);
    let title = if unread > 0 {
        i18n.ta(
            "title-with-unread",
            &[("folder", crate::i18n::FluentArg::Str(heading.clone())), ("count", crate::i18n::FluentArg::Num(i64::from(unread)))],
        )
    } else {
        heading.clone()
    };
    let href = views::folder_href(&mailbox);
    let view = views::MailboxPage {
        count: i18n.tn("list-count", "count", i64::from(page.mailbox.exists)),
        page_label: i18n.ta(
            "list-page",
            &[("page", crate::i18n::FluentArg::Num(page.page.into())), ("pages", crate::i18n::FluentArg::Num(page.pages.into()))],
        ),
        newer: (page.page > 1).then(|| format!("{href}?page={}", page.page - 1)),
        older: (page.page < page.pages).then(|| format!("{href}?page={}", page.page + 1)),
        rows,
        title,
        heading,
        chrome: Chrome::new(i18n, &user.auth.username, &user.auth.csrf, &folders, &mailbox),
    };
    Ok(view.into_response())
}

// ---------------------------------------------------------------- messages

/// Folder, UIDVALIDITY and UID from the path; anything malformed is simply not found.
fn message_path(p: (String, String, String)) -> Result<(String, u32, u32), AppError> {
    let (mailbox, uv, uid) = p;
    match (uv.parse::<u32>(), uid.parse::<u32>()) {
        (Ok(uv), Ok(uid)) if uid > 0 => Ok((mailbox, uv, uid)),
        _ => Err(AppError::not_found()),
    }
}

async fn fetch(state: &AppState, user: &CurrentUser, mailbox: &str, uv: u32, uid: u32) -> Result<RawMessage, AppError> {
    Ok(state
        .registry
        .run(&user.auth.login_id, &user.creds, |c| {
            let mailbox = mailbox.to_string();
            Box::pin(async move { c.fetch_message(&mailbox, uv, uid).await })
        })
        .await?)
}

/// `data:` URLs for the message's raster inline parts, keyed by Content-ID.
fn inline_images(raw: &[u8], parsed: &mime::ParsedMessage) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut budget = 4 * INLINE_IMAGE_MAX;
    for a in &parsed.attachments {
        let Some(cid) = &a.content_id else { continue };
        if !INLINE_IMAGE_TYPES.contains(&a.content_type.as_str()) || a.size > INLINE_IMAGE_MAX || a.size > budget {
            continue;
        }
        if let Some(p) = mime::part(raw, a.part) {
            budget -= a.size;
            let b64 = base64::engine::general_purpose::STANDARD.encode(&p.bytes);
            out.insert(cid.clone(), format!("data:{};base64,{b64}", a.content_type));
        }
    }
    out
}

pub async fn message(
    State(state): State<AppState>,
    user: CurrentUser,
    Lang(i18n): Lang,
    tz: TzOffset,
    Path(p): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let (mailbox, uv, uid) = message_path(p)?;
    let (folders, raw) = state
        .registry
        .run(&user.auth.login_id, &user.creds, |c| {
            let mailbox = mailbox.clone();
            Box::pin(async move {
                let raw = c.fetch_message(&mailbox, uv, uid).await?;
                if !raw.seen {
                    c.set_seen(&mailbox, uv, uid, true).await?;
                }
                let folders = c.folders().await?;
                Ok((folders, raw))
            })
        })
        .await?;
    let parsed = mime::parse(&raw.bytes);
    let href = views::message_href(&mailbox, uv, uid);
    let show_images = q.get("images").is_some_and(|v| v == "1");
    let (frame_src, text, images_blocked, referenced) = match &parsed.body {
        Body::Html(html) => {
            let blocked = !show_images && sanitize::sanitize_html(html, HashMap::new(), false).blocked_remote;
            let src = if show_images { format!("{href}/body?images=1") } else { format!("{href}/body") };
            let lower = html.to_ascii_lowercase();
            (Some(src), None, blocked, lower)
        }
        Body::Text(t) => {
            let segs = sanitize::linkify(t)
                .into_iter()
                .map(|s| match s {
                    TextSegment::Text(text) => Seg { text, href: None },
                    TextSegment::Link { href, text } => Seg { text, href: Some(href) },
                })
                .collect();
            (None, Some(segs), false, String::new())
        }
        Body::Empty => (None, Some(vec![Seg { text: i18n.t("msg-empty-body"), href: None }]), false, String::new()),
    };
    let attachments: Vec<AttachmentLink> = parsed
        .attachments
        .iter()
        .filter(|a| {
            // Images the HTML shows inline are not listed again as attachments.
            !(a.inline && a.content_id.as_ref().is_some_and(|c| referenced.contains(&format!("cid:{}", c.to_ascii_lowercase()))))
        })
        .map(|a| AttachmentLink {
            href: format!("{href}/part/{}", a.part),
            name: a.name.clone(),
            content_type: a.content_type.clone(),
            size: format::size(a.size as u64, &i18n),
        })
        .collect();
    let (folder_name, _) = folder_display(&folders, &mailbox, &i18n);
    let subject = if parsed.subject.is_empty() { i18n.t("list-no-subject") } else { parsed.subject.clone() };
    let view = views::MessagePage {
        title: subject.clone(),
        subject,
        from: format::people_full(&parsed.from),
        to: format::people_full(&parsed.to),
        cc: format::people_full(&parsed.cc),
        reply_to: if parsed.reply_to == parsed.from { String::new() } else { format::people_full(&parsed.reply_to) },
        date: format::full_date(parsed.date, tz, &i18n),
        back_href: views::folder_href(&mailbox),
        back_label: i18n.t1("msg-back", "folder", folder_name),
        unread_action: format!("{href}/unread"),
        source_href: format!("{href}/source"),
        show_images_href: format!("{href}?images=1"),
        frame_src,
        text,
        images_blocked,
        attachments_label: i18n.tn("msg-attachments", "count", attachments.len() as i64),
        attachments,
        damaged: parsed.damaged,
        chrome: Chrome::new(i18n, &user.auth.username, &user.auth.csrf, &folders, &mailbox),
    };
    Ok(view.into_response())
}

/// The sanitized HTML body, for the sandboxed frame only.
pub async fn message_body(
    State(state): State<AppState>,
    user: CurrentUser,
    Lang(i18n): Lang,
    Path(p): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let (mailbox, uv, uid) = message_path(p)?;
    let raw = fetch(&state, &user, &mailbox, uv, uid).await?;
    let parsed = mime::parse(&raw.bytes);
    let allow_remote = q.get("images").is_some_and(|v| v == "1");
    let html = match &parsed.body {
        Body::Html(h) => sanitize::sanitize_html(h, inline_images(&raw.bytes, &parsed), allow_remote).html,
        Body::Text(t) => format!("<pre>{}</pre>", sanitize::escape_html(t)),
        Body::Empty => String::new(),
    };
    let img_src = if allow_remote { "data: https: http:" } else { "data:" };
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src {img_src}; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox"
    );
    let mut res = views::MessageFrame { lang: i18n.code(), html }.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(res)
}

/// Content types served as themselves; everything else downloads as bytes.
fn download_type(ct: &str) -> &'static str {
    match ct {
        "image/png" => "image/png",
        "image/jpeg" => "image/jpeg",
        "image/gif" => "image/gif",
        "image/webp" => "image/webp",
        "application/pdf" => "application/pdf",
        "text/plain" => "text/plain; charset=utf-8",
        "text/csv" => "text/csv; charset=utf-8",
        "message/rfc822" => "message/rfc822",
        _ => "application/octet-stream",
    }
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` with nothing that can break
/// the header or climb out of a folder.
pub fn content_disposition(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if c.is_control() || matches!(c, '/' | '\\' | '"' | ';') { '_' } else { c })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    let cleaned = if cleaned.is_empty() { "attachment".to_string() } else { cleaned };
    let ascii: String = cleaned.chars().map(|c| if c.is_ascii() && c != '%' { c } else { '_' }).collect();
    let encoded = percent_encoding::utf8_percent_encode(&cleaned, percent_encoding::NON_ALPHANUMERIC);
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

pub async fn part(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((mailbox, uv, uid, index)): Path<(String, String, String, String)>,
) -> Result<Response, AppError> {
    let (mailbox, uv, uid) = message_path((mailbox, uv, uid))?;
    let index: usize = index.parse().map_err(|_| AppError::not_found())?;
    let raw = fetch(&state, &user, &mailbox, uv, uid).await?;
    let part = mime::part(&raw.bytes, index).ok_or_else(AppError::not_found)?;
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(download_type(&part.content_type)));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(&part.name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok((headers, part.bytes).into_response())
}

pub async fn source(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let (mailbox, uv, uid) = message_path(p)?;
    let raw = fetch(&state, &user, &mailbox, uv, uid).await?;
    let text = String::from_utf8_lossy(&raw.bytes).into_owned();
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8")),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'")),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, no-store")),
        ],
        text,
    )
        .into_response())
}

pub async fn mark_unread(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<(String, String, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let (mailbox, uv, uid) = message_path(p)?;
    state
        .registry
        .run(&user.auth.login_id, &user.creds, |c| {
            let mailbox = mailbox.clone();
            Box::pin(async move { c.set_seen(&mailbox, uv, uid, false).await })
        })
        .await?;
    Ok(Redirect::to(&views::folder_href(&mailbox)).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_cannot_break_headers_or_paths() {
        let d = content_disposition("../../etc/passwd\r\nSet-Cookie: x=1; \"q\".pdf");
        assert!(!d.contains('\r') && !d.contains('\n'));
        assert!(d.starts_with("attachment; filename=\""));
        assert!(!d.contains("../"));
        assert_eq!(
            content_disposition("Réunion été.pdf"),
            "attachment; filename=\"R_union _t_.pdf\"; filename*=UTF-8''R%C3%A9union%20%C3%A9t%C3%A9%2Epdf"
        );
        assert_eq!(content_disposition(""), "attachment; filename=\"attachment\"; filename*=UTF-8''attachment");
    }

    #[test]
    fn active_content_types_download_as_bytes() {
        assert_eq!(download_type("text/html"), "application/octet-stream");
        assert_eq!(download_type("image/svg+xml"), "application/octet-stream");
        assert_eq!(download_type("image/png"), "image/png");
    }
}
