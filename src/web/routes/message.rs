//! Reading one message: the page, the sandboxed body, parts, source.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use base64::Engine;

use super::{folder_display, message_path, tab_title, take_flash};
use crate::mail::imap::RawMessage;
use crate::mail::mime::{self, Body};
use crate::mail::sanitize::{self, INLINE_IMAGE_TYPES, TextSegment};
use crate::store::prefs;
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::error::AppError;
use crate::web::format::{self, TzOffset};
use crate::web::views::{self, AttachmentLink, Chrome, Seg};

/// Inline images larger than this are not embedded in the message frame.
const INLINE_IMAGE_MAX: usize = 3 * 1024 * 1024;

async fn fetch(state: &AppState, user: &CurrentUser, mailbox: &str, uv: u32, uid: u32) -> Result<RawMessage, AppError> {
    state
        .registry
        .run(&user.key(), &user.creds, |c| {
            let mailbox = mailbox.to_string();
            Box::pin(async move { c.fetch_message(&mailbox, uv, uid, true).await })
        })
        .await
        .map_err(AppError::gone_if_missing)
}

/// `data:` URLs for the message's raster inline parts, keyed by Content-ID.
fn inline_images(raw: &[u8], parsed: &mime::ParsedMessage) -> HashMap<String, String> {
    let mut budget = 4 * INLINE_IMAGE_MAX;
    let mut wanted: HashMap<usize, String> = HashMap::new();
    for a in &parsed.attachments {
        let Some(cid) = &a.content_id else { continue };
        if INLINE_IMAGE_TYPES.contains(&a.content_type.as_str()) && a.size <= INLINE_IMAGE_MAX && a.size <= budget {
            budget -= a.size;
            wanted.insert(a.part, cid.clone());
        }
    }
    if wanted.is_empty() {
        return HashMap::new();
    }
    let indices: Vec<usize> = wanted.keys().copied().collect();
    mime::parts(raw, &indices)
        .into_iter()
        .filter_map(|(index, p)| {
            let cid = wanted.remove(&index)?;
            let b64 = base64::engine::general_purpose::STANDARD.encode(&p.bytes);
            Some((cid, format!("data:{};base64,{b64}", p.content_type)))
        })
        .collect()
}

pub async fn message(
    State(state): State<AppState>,
    user: CurrentUser,
    tz: TzOffset,
    Path(p): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let (mailbox, uv, uid) = message_path(p)?;
    let (folders, raw) = state
        .registry
        .run(&user.key(), &user.creds, |c| {
            let mailbox = mailbox.clone();
            Box::pin(async move {
                let raw = c.fetch_message(&mailbox, uv, uid, false).await?;
                if !raw.seen {
                    c.set_seen(&mailbox, uv, uid, true).await?;
                }
                let folders = c.folders().await?;
                Ok((folders, raw))
            })
        })
        .await
        .map_err(AppError::gone_if_missing)?;
    let i18n = user.i18n.clone();
    let parsed = mime::parse(&raw.bytes);
    let href = views::message_href(&mailbox, uv, uid);
    let sender = parsed.from.first().and_then(|p| p.address.clone()).unwrap_or_default().to_lowercase();
    let trusted = !sender.is_empty()
        && prefs::images_trusted(&state.db, &user.key(), &sender).await.map_err(|e| anyhow::anyhow!("preferences: {e}"))?;
    let show_images = trusted || q.get("images").is_some_and(|v| v == "1");
    let (frame_src, text, images_blocked, referenced) = match &parsed.body {
        Body::Html(html) => {
            let blocked = !show_images && sanitize::sanitize_html(html, HashMap::new(), None).blocked_remote;
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
    let notice = take_flash(&user, &q).await;
    let view = views::MessagePage {
        uid,
        uidvalidity: uv,
        flagged: raw.flagged,
        title: format!("{subject} · {}", tab_title(&folders, &mailbox, &i18n)),
        subject,
        from: format::people_full(&parsed.from),
        to: format::people_full(&parsed.to),
        cc: format::people_full(&parsed.cc),
        reply_to: if parsed.reply_to == parsed.from { String::new() } else { format::people_full(&parsed.reply_to) },
        date: format::full_date(parsed.date, tz, &i18n),
        back_href: views::folder_href(&mailbox),
        back_label: i18n.t1("msg-back", "folder", folder_name),
        source_href: format!("{href}/source"),
        show_images_href: format!("{href}?images=1"),
        image_sender: if images_blocked { sender.clone() } else { String::new() },
        images_trusted: trusted,
        frame_src,
        text,
        images_blocked,
        attachments_label: i18n.tn("msg-attachments", "count", attachments.len() as i64),
        attachments,
        damaged: parsed.damaged,
        compose_query: format!("mb={}&uv={uv}&uid={uid}", views::seg(&mailbox)),
        is_draft: folders.iter().any(|f| f.name == mailbox && f.role == Some(crate::mail::imap::Role::Drafts)),
        chrome: Chrome { message_flagged: Some(raw.flagged), ..Chrome::new(i18n, &user.auth, &folders, &mailbox, notice) },
    };
    Ok(view.into_response())
}

/// The sanitized HTML body, for the sandboxed frame only.
pub async fn message_body(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(p): Path<(String, String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let (mailbox, uv, uid) = message_path(p)?;
    let raw = fetch(&state, &user, &mailbox, uv, uid).await?;
    let parsed = mime::parse(&raw.bytes);
    let allow_remote = q.get("images").is_some_and(|v| v == "1");
    let remote: sanitize::RemoteImages = if allow_remote {
        let signer = state.image_signer.clone();
        let now = crate::web::auth::now_unix();
        Some(std::sync::Arc::new(move |u: &str| signer.proxy_url(u, now)))
    } else {
        None
    };
    let html = match &parsed.body {
        Body::Html(h) => sanitize::sanitize_html(h, inline_images(&raw.bytes, &parsed), remote).html,
        Body::Text(t) => format!("<pre>{}</pre>", sanitize::escape_html(t)),
        Body::Empty => String::new(),
    };
    // Remote images only ever come through the image proxy, on this origin.
    let img_src = if allow_remote { "data: 'self'" } else { "data:" };
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src {img_src}; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox"
    );
    let mut res = views::MessageFrame { lang: user.i18n.code(), html }.into_response();
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

#[derive(serde::Deserialize)]
pub struct TrustForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    sender: String,
    #[serde(default)]
    trust: String,
    #[serde(default)]
    back: String,
}

/// POST /images/senders: always (or no longer) show the images of a sender's messages.
pub async fn trust_sender(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::Form(form): axum::Form<TrustForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let sender = form.sender.trim().to_lowercase();
    if !sender.is_empty() && !crate::mail::compose::has_line_break(&sender) && sender.len() <= 320 {
        prefs::set_images_trusted(&state.db, &user.key(), &sender, form.trust == "1")
            .await
            .map_err(|e| anyhow::anyhow!("preferences: {e}"))?;
    }
    Ok(axum::response::Redirect::to(&crate::web::auth::safe_next(Some(&form.back))).into_response())
}
