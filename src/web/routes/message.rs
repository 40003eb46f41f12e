//! Reading one message: the page, the sandboxed body, parts, source.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query};
use axum::http::HeaderMap;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};

use super::message_path;
use crate::mail::imap::RawMessage;
use crate::mail::mime::{self, Body, PartData};
use crate::mail::model::MessageRef;
use crate::mail::sanitize;
use crate::store::prefs;
use crate::web::error::AppError;
use crate::web::extract::Ctx;
use crate::web::forms::TrustForm;
use crate::web::format::UserZone;
use crate::web::notice;
use crate::web::previews;
use crate::web::views::message::{MessageFrame, MessagePage, PdfPage, Shown};

/// The message at `m`, from the copy the page request just fetched when there is one.
async fn fetch(cx: &Ctx, m: &MessageRef) -> Result<RawMessage, AppError> {
    cx.imap(|c| {
        let m = m.clone();
        Box::pin(async move { c.fetch_message(&m, true).await })
    })
        .await
        .map_err(AppError::gone_if_missing)
}

/// GET /m/{mailbox}/{uidvalidity}/{uid}: the message, marked read.
pub async fn message(cx: Ctx, tz: UserZone, Path(p): Path<(String, String, String)>, Query(q): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let m = message_path(p)?;
    let (folders, raw, neighbours) = {
        cx.imap(|c| {
            let m = m.clone();
            Box::pin(async move {
                let raw = c.fetch_message(&m, false).await?;
                // Next and previous cost the page nothing it must have: without them, it shows.
                let neighbours = c.neighbours(&m.mailbox, m.uidvalidity.0, m.uid.0).await.ok();
                Ok((c.folders().await?, raw, neighbours))
            })
        })
        .await
        .map_err(AppError::gone_if_missing)?
    };
    let parsed = mime::parse(&raw.bytes);
    let members = conversation(&cx, &folders, &m, &parsed).await;
    // Marked read last: on Maildir, \Seen renames the message's file, and Dovecot then looks
    // for it through the whole folder's directory the next time it is read (220 ms in a
    // folder of 100,000), as the conversation's rows would have done.
    let folders = match raw.seen {
        true => folders,
        false => cx
            .imap(|c| {
                let m = m.clone();
                Box::pin(async move {
                    c.set_seen(&m, true).await?;
                    c.folders().await
                })
            })
            .await
            .map_err(AppError::gone_if_missing)?,
    };
    let sender = parsed.from.first().and_then(|p| p.address.clone()).unwrap_or_default().to_lowercase();
    let trusted = !sender.is_empty()
        && prefs::images_trusted(cx.db(), &cx.key(), &sender).await?;
    let notice = notice::take(&cx.user, &q).await;
    let shown = Shown {
        folders: &folders,
        mailbox: &m.mailbox,
        uidvalidity: m.uidvalidity.0,
        uid: m.uid.0,
        flagged: raw.flagged,
        trusted,
        show_images: trusted || q.get("images").is_some_and(|v| v == "1"),
        tz,
        neighbours,
        original_colours: q.get("colours").is_some_and(|v| v == "original"),
        labels: &raw.labels,
    };
    let page = MessagePage::new(cx.frame(&folders, &m.mailbox, notice), &parsed, shown).in_conversation(&members, &folders, &m.mailbox, tz);
    Ok(page.into_response())
}

/// Folders from this size on have their conversations' other folders searched on a
/// connection of their own (kept half a minute for the next message): selecting a
/// 100,000-message folder again after searching others costs Dovecot on Maildir 60 to 400 ms,
/// a second login a few.
const BIG_FOLDER: u32 = 10_000;

/// The conversation of message `m` (see [`crate::mail::conversation`]). A server that
/// cannot search for it costs the conversation, not the page: the message shows alone.
async fn conversation(cx: &Ctx, folders: &[crate::mail::imap::Folder], m: &MessageRef, parsed: &mime::ParsedMessage) -> Vec<crate::mail::conversation::Member> {
    let ids: Vec<String> = parsed.message_id.iter().chain(parsed.references.iter()).cloned().collect();
    if ids.is_empty() {
        return Vec::new();
    }
    let big = folders.iter().any(|f| f.name == m.mailbox && f.total >= BIG_FOLDER);
    let side = match big {
        // Refused (a connection limit): the user's own connection does it all.
        // Boxed: opening a connection is a large future.
        true => Box::pin(cx.state.registry.side(&cx.key(), &cx.user.creds))
            .await
            .inspect_err(|e| tracing::info!(error = %e, "no second connection for a conversation"))
            .ok(),
        false => None,
    };
    let side = Arc::new(tokio::sync::Mutex::new(side));
    let r = cx
        .imap(|c| {
            let (folders, m, ids, side) = (folders.to_vec(), m.clone(), ids.clone(), side.clone());
            Box::pin(async move {
                let mut side = side.lock().await;
                crate::mail::conversation::gather(c, &mut side, &folders, &m.mailbox, (m.uidvalidity.0, m.uid.0), ids).await
            })
        })
        .await;
    if let Some(s) = side.lock().await.take() {
        cx.state.registry.keep_side(&cx.key(), s).await;
    }
    r.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "could not gather the conversation");
        Vec::new()
    })
}

/// The sanitized HTML body, for the sandboxed frame only. With `read=1` (a message of a
/// conversation, unfolded) the message is marked read, as opening it would.
pub async fn message_body(cx: Ctx, Path(p): Path<(String, String, String)>, Query(q): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let m = message_path(p)?;
    let raw = fetch(&cx, &m).await?;
    if q.get("read").is_some_and(|v| v == "1") && !raw.seen {
        cx.imap(|c| {
            let m = m.clone();
            Box::pin(async move { c.set_seen(&m, true).await })
        })
        .await
        .map_err(AppError::gone_if_missing)?;
    }
    let parsed = mime::parse(&raw.bytes);
    let allow_remote = q.get("images").is_some_and(|v| v == "1");
    let remote: sanitize::RemoteImages = if allow_remote {
        let signer = cx.state.image_signer.clone();
        let now = crate::clock::unix_secs();
        Some(std::sync::Arc::new(move |u: &str| signer.proxy_url(u, now)))
    } else {
        None
    };
    let html = match &parsed.body {
        Body::Html(h) => sanitize::sanitize_html(h, mime::inline_images(&raw.bytes, &parsed), remote).html,
        Body::Text(t) => format!("<pre>{}</pre>", sanitize::escape_html(t)),
        Body::Empty => String::new(),
    };
    // Remote images only ever come through the image proxy, on this origin.
    let img_src = if allow_remote { "data: 'self'" } else { "data:" };
    let nonce = crate::web::views::nonce();
    // One script runs in the frame: ours, by its nonce, which tells the page the content's
    // height. The mail's own scripts are removed by the sanitizer, and would be refused here
    // anyway; the frame's origin is opaque (no allow-same-origin), so nothing in it can reach
    // Facteur's pages, cookies or storage.
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; img-src {img_src}; base-uri 'none'; \
         form-action 'none'; frame-ancestors 'self'; sandbox allow-scripts allow-popups allow-popups-to-escape-sandbox"
    );
    // Plain text, and HTML that sets no colours, follow the page into dark mode.
    let adapt = !(matches!(&parsed.body, Body::Html(_)) && sanitize::sets_colours(&html)) && q.get("colours").is_none_or(|v| v != "original");
    let mut res = MessageFrame { lang: cx.i18n().code(), html, adapt, nonce: nonce.clone() }.into_response();
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

/// Part `index` of the message at this address (the copy the page request just fetched, when
/// there is one); 404 when there is no such part.
async fn fetch_part(cx: &Ctx, (mailbox, uv, uid, index): (String, String, String, String)) -> Result<(MessageRef, PartData), AppError> {
    let m = message_path((mailbox, uv, uid))?;
    let index: usize = index.parse().map_err(|_| AppError::not_found())?;
    let raw = fetch(cx, &m).await?;
    let part = mime::part(&raw.bytes, index).ok_or_else(AppError::not_found)?;
    Ok((m, part))
}

/// A file from a message, as its own sandboxed document: `content_type`, a cleaned
/// `disposition` (`attachment` or `inline`) and name, kept by no cache.
fn file_response(content_type: &'static str, disposition: &str, name: &str, csp: &'static str, bytes: Vec<u8>) -> Response {
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&content_disposition(name).replacen("attachment;", &format!("{disposition};"), 1)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    (headers, bytes).into_response()
}

/// GET /m/{mailbox}/{uidvalidity}/{uid}/part/{index}: one attachment, as a download.
pub async fn part(cx: Ctx, Path(p): Path<(String, String, String, String)>) -> Result<Response, AppError> {
    let (_, part) = fetch_part(&cx, p).await?;
    Ok(file_response(download_type(&part.content_type), "attachment", &part.name, "sandbox; default-src 'none'", part.bytes))
}

/// GET /m/{mailbox}/{uidvalidity}/{uid}/part/{index}/thumb: a small JPEG of an image
/// attachment or of a PDF's first page, made here (see [`crate::web::previews`]); 404 for
/// anything else.
pub async fn part_thumb(cx: Ctx, Path(p): Path<(String, String, String, String)>) -> Result<Response, AppError> {
    let (_, part) = fetch_part(&cx, p).await?;
    let pdf = previews::is_pdf(&part.content_type, &part.bytes);
    if !pdf && !previews::previewable(&part.content_type) {
        return Err(AppError::not_found());
    }
    let thumb = previews::thumbnail_of(part.bytes, pdf).await.ok_or_else(AppError::not_found)?;
    Ok(drawn_image("image/jpeg", thumb))
}

/// An image Facteur drew of a part: its own pixels, sandboxed, kept a day (the address names
/// one message for good: UIDVALIDITY and UID).
fn drawn_image(content_type: &'static str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'")),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400")),
        ],
        bytes,
    )
        .into_response()
}

/// GET /m/{mailbox}/{uidvalidity}/{uid}/part/{index}/view: an attachment shown in the browser.
/// An image as a document of its own in a sandbox (PNG, JPEG, GIF and WebP only: never SVG or
/// HTML); a PDF as a page of Facteur's showing its pages drawn here as images (no PDF reader
/// runs on the sender's file in the browser, and phones that have none see it too); other
/// types, and a PDF Facteur cannot read, go to the download.
pub async fn part_view(cx: Ctx, Path(p): Path<(String, String, String, String)>) -> Result<Response, AppError> {
    let index = p.3.clone();
    let (m, part) = fetch_part(&cx, p).await?;
    let href = format!("{}/part/{index}", crate::web::views::message_href(&m.mailbox, m.uidvalidity.0, m.uid.0));
    if previews::is_pdf(&part.content_type, &part.bytes) {
        // A PDF Facteur cannot read (damaged, encrypted) goes to the download.
        let size = part.bytes.len();
        return Ok(match previews::pdf_pages(part.bytes).await {
            Some((pages, total)) => PdfPage::new(cx.chrome(&m.mailbox, None).await?, &part.name, size, &href, pages, total).into_response(),
            None => Redirect::to(&href).into_response(),
        });
    }
    // Shown only when the bytes are the image the part says it is.
    if !previews::previewable(&part.content_type) || !previews::is_image_of_type(&part.bytes, &part.content_type) {
        return Ok(Redirect::to(&href).into_response());
    }
    Ok(file_response(download_type(&part.content_type), "inline", &part.name, "sandbox; default-src 'none'; img-src 'self'", part.bytes))
}

/// GET /m/{mailbox}/{uidvalidity}/{uid}/part/{index}/page/{n}: page `n` (from 1) of a PDF
/// attachment, drawn here as a PNG; 404 past its end or for anything not a PDF.
pub async fn part_page(cx: Ctx, Path((mailbox, uv, uid, index, n)): Path<(String, String, String, String, String)>) -> Result<Response, AppError> {
    let n: usize = n.parse().ok().filter(|n| (1..=previews::PDF_MAX_PAGES).contains(n)).ok_or_else(AppError::not_found)?;
    let (_, part) = fetch_part(&cx, (mailbox, uv, uid, index)).await?;
    if !previews::is_pdf(&part.content_type, &part.bytes) {
        return Err(AppError::not_found());
    }
    let png = previews::pdf_page_png(part.bytes, n - 1).await.ok_or_else(AppError::not_found)?;
    Ok(drawn_image("image/png", png))
}

/// GET /m/{mailbox}/{uidvalidity}/{uid}/attachments.zip: every attachment, in one zip named
/// after the subject.
pub async fn attachments_zip(cx: Ctx, Path(p): Path<(String, String, String)>) -> Result<Response, AppError> {
    let raw = fetch(&cx, &message_path(p)?).await?;
    let parsed = mime::parse(&raw.bytes);
    let indices: Vec<usize> = parsed.attachments.iter().map(|a| a.part).collect();
    let files: Vec<(String, Vec<u8>)> = mime::parts(&raw.bytes, &indices).into_iter().map(|(_, p)| (p.name, p.bytes)).collect();
    if files.is_empty() {
        return Err(AppError::not_found());
    }
    let zip = tokio::task::spawn_blocking(move || previews::zip_all(files))
        .await
        .map_err(std::io::Error::other)
        .and_then(|r| r)
        .map_err(|e| AppError::new(crate::web::error::ErrorKind::Internal, format!("zip: {e}")))?;
    let subject = if parsed.subject.trim().is_empty() { "attachments".to_string() } else { parsed.subject.clone() };
    let name: String = subject.chars().take(80).collect();
    Ok(file_response("application/zip", "attachment", &format!("{name}.zip"), "sandbox; default-src 'none'", zip))
}

/// GET /m/{mailbox}/{uidvalidity}/{uid}/source: the message as the server stores it.
pub async fn source(cx: Ctx, Path(p): Path<(String, String, String)>) -> Result<Response, AppError> {
    let raw = fetch(&cx, &message_path(p)?).await?;
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

/// POST /images/senders: always (or no longer) show the images of a sender's messages.
pub async fn trust_sender(cx: Ctx, axum::Form(form): axum::Form<TrustForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let sender = form.sender.trim().to_lowercase();
    if !sender.is_empty() && !crate::mail::compose::has_line_break(&sender) && sender.len() <= 320 {
        prefs::set_images_trusted(cx.db(), &cx.key(), &sender, form.trust == "1").await?;
    }
    Ok(axum::response::Redirect::to(&crate::web::auth::safe_next(Some(&form.back))).into_response())
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
