//! Writing mail: the compose page (new, reply, reply-all, forward, mailto:, a resumed draft),
//! attachments, drafts saved to the IMAP Drafts folder, and sending through SMTP.
//!
//! The whole message being written travels in the form (plain HTML, works without JS); files
//! are streamed to the upload store and referred to by number. A draft in the Drafts folder is
//! replaced at each save: the form carries the UID of the version it replaces.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{FLASH_KEY, Flash};
use crate::i18n::{FluentArg, I18n};
use crate::mail::compose::{self, Draft, FileAttachment, Purpose};
use crate::mail::imap::{ImapConn, Role};
use crate::mail::mime::{self, Original};
use crate::mail::sanitize;
use crate::mail::smtp::SendError;
use crate::mail::{Credentials, MailError};
use crate::store::compose::{self as store, Identity};
use crate::uploads::Stored;
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, ErrorKind};
use crate::web::format::{self, TzOffset};
use crate::web::views::{self, Chrome, ComposePage};

/// The message being written, as the form carries it.
#[derive(Clone, Debug, Default)]
pub struct ComposeForm {
    pub csrf: String,
    pub draft: String,
    pub send_key: String,
    pub identity: i64,
    pub to: String,
    pub cc: String,
    pub bcc: String,
    pub subject: String,
    pub body: String,
    /// Rich text from the editor (unsanitized until used).
    pub html: String,
    pub rich: bool,
    pub in_reply_to: String,
    pub references: String,
    /// What to flag once sent: `answered UIDVALIDITY UID MAILBOX` or `forwarded …`.
    pub origin: String,
    /// The version of this draft in the Drafts folder: `UIDVALIDITY:UID`.
    pub replaces: String,
    pub op: String,
}

impl ComposeForm {
    fn set(&mut self, name: &str, value: String) {
        match name {
            "csrf" => self.csrf = value,
            "draft" => self.draft = value,
            "send_key" => self.send_key = value,
            "identity" => self.identity = value.trim().parse().unwrap_or(0),
            "to" => self.to = value,
            "cc" => self.cc = value,
            "bcc" => self.bcc = value,
            "subject" => self.subject = value,
            "body" => self.body = value,
            "html" => self.html = value,
            "rich" => self.rich = value == "1",
            "in_reply_to" => self.in_reply_to = value,
            "references" => self.references = value,
            "origin" => self.origin = value,
            "replaces" => self.replaces = value,
            "op" => self.op = value,
            _ => {}
        }
    }

    fn replaces(&self) -> Option<(u32, u32)> {
        let (uv, uid) = self.replaces.split_once(':')?;
        Some((uv.parse().ok()?, uid.parse().ok().filter(|u| *u > 0)?))
    }
}

/// Where a sent reply or forward leaves its mark.
struct Origin {
    flag: &'static str,
    uidvalidity: u32,
    uid: u32,
    mailbox: String,
}

fn parse_origin(s: &str) -> Option<Origin> {
    let mut it = s.splitn(4, ' ');
    let flag = match it.next()? {
        "answered" => "\\Answered",
        "forwarded" => "$Forwarded",
        _ => return None,
    };
    let uidvalidity = it.next()?.parse().ok()?;
    let uid = it.next()?.parse().ok()?;
    let mailbox = it.next()?.to_string();
    if mailbox.is_empty() || compose::has_line_break(&mailbox) {
        return None;
    }
    Some(Origin { flag, uidvalidity, uid, mailbox })
}

/// Problems found in the form, by field, to show next to it.
#[derive(Default)]
pub struct FieldErrors {
    pub to: Option<String>,
    pub cc: Option<String>,
    pub bcc: Option<String>,
    pub subject: Option<String>,
    pub attachments: Option<String>,
    /// About the whole message (no recipient, sending failed…).
    pub general: Option<String>,
}

impl FieldErrors {
    fn any(&self) -> bool {
        self.to.is_some() || self.cc.is_some() || self.bcc.is_some() || self.subject.is_some() || self.attachments.is_some() || self.general.is_some()
    }
}

#[derive(Deserialize, Default)]
pub struct ComposeQuery {
    #[serde(default)]
    to: String,
    #[serde(default)]
    cc: String,
    #[serde(default)]
    bcc: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    /// A whole `mailto:` URL (from the browser's protocol handler).
    #[serde(default)]
    mailto: String,
    /// reply, all, forward, attach (forward as attachment), draft (resume).
    #[serde(default)]
    mode: String,
    #[serde(default)]
    mb: String,
    #[serde(default)]
    uv: u32,
    #[serde(default)]
    uid: u32,
}

/// Reads a `mailto:` URL (RFC 6068) into the query fields.
fn apply_mailto(q: &mut ComposeQuery, url: &str) {
    let Some(rest) = url.strip_prefix("mailto:").or_else(|| url.strip_prefix("MAILTO:")) else { return };
    let (addr, query) = rest.split_once('?').unwrap_or((rest, ""));
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    let mut to = vec![decode(addr)];
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let v = decode(v);
        match k.to_ascii_lowercase().as_str() {
            "to" => to.push(v),
            "cc" => q.cc = v,
            "bcc" => q.bcc = v,
            "subject" => q.subject = v,
            "body" => q.body = v,
            _ => {}
        }
    }
    q.to = to.into_iter().filter(|s| !s.trim().is_empty()).collect::<Vec<_>>().join(", ");
}

/// `s` on one line: every character that could end a header line becomes a space.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

fn own_addresses(user: &CurrentUser, identities: &[Identity]) -> HashSet<String> {
    let mut own: HashSet<String> = identities.iter().map(|i| i.email.to_lowercase()).collect();
    own.insert(user.auth.username.to_lowercase());
    own
}

/// The identity a reply is written from: the one the original was addressed to, else the default.
fn pick_identity(identities: &[Identity], o: &Original) -> i64 {
    let addressed: HashSet<String> = o
        .to
        .iter()
        .chain(o.cc.iter())
        .filter_map(|p| p.address.as_deref().map(str::to_lowercase))
        .chain(o.delivered_to.iter().map(|a| a.to_lowercase()))
        .collect();
    identities
        .iter()
        .find(|i| addressed.contains(&i.email.to_lowercase()))
        .or_else(|| identities.iter().find(|i| i.is_default))
        .map(|i| i.id)
        .unwrap_or(0)
}

fn attribution(i18n: &I18n, o: &Original, tz: TzOffset) -> String {
    let who = o.from.first().map(|p| p.display()).unwrap_or_default();
    let when = format::full_date(o.date, tz, i18n);
    i18n.ta("compose-attribution", &[("date", FluentArg::Str(when)), ("name", FluentArg::Str(who))])
}

fn forward_block(i18n: &I18n, o: &Original, tz: TzOffset) -> String {
    let mut s = format!("\n\n{}\n", i18n.t("compose-forwarded-header"));
    s.push_str(&format!("{}: {}\n", i18n.t("msg-from"), compose::people_text(&o.from)));
    if o.date.is_some() {
        s.push_str(&format!("{}: {}\n", i18n.t("msg-date"), format::full_date(o.date, tz, i18n)));
    }
    s.push_str(&format!("{}: {}\n", i18n.t("compose-subject"), o.subject));
    if !o.to.is_empty() {
        s.push_str(&format!("{}: {}\n", i18n.t("msg-to"), compose::people_text(&o.to)));
    }
    if !o.cc.is_empty() {
        s.push_str(&format!("{}: {}\n", i18n.t("msg-cc"), compose::people_text(&o.cc)));
    }
    s.push('\n');
    s.push_str(o.text.trim_end());
    s.push('\n');
    s
}

fn signature_block(identity: Option<&Identity>) -> String {
    match identity {
        Some(i) if !i.signature.trim().is_empty() => format!("\n\n-- \n{}", i.signature.trim_end()),
        _ => String::new(),
    }
}

async fn fetch_original(state: &AppState, user: &CurrentUser, mailbox: &str, uv: u32, uid: u32) -> Result<Vec<u8>, AppError> {
    let raw = state
        .registry
        .run(&user.key(), &user.creds, |c| {
            let mailbox = mailbox.to_string();
            Box::pin(async move { c.fetch_message(&mailbox, uv, uid, true).await })
        })
        .await
        .map_err(AppError::gone_if_missing)?;
    Ok(raw.bytes.to_vec())
}

fn new_token() -> Result<String, AppError> {
    Ok(crate::secrets::random_token::<18>()?)
}

/// GET /compose
pub async fn compose_page(
    State(state): State<AppState>,
    user: CurrentUser,
    tz: TzOffset,
    Query(mut q): Query<ComposeQuery>,
) -> Result<Response, AppError> {
    let i18n = user.i18n.clone();
    let identities = store::identities(&state.db, &user.key()).await.map_err(|e| anyhow::anyhow!("identities: {e}"))?;
    let mut form = ComposeForm { draft: new_token()?, send_key: new_token()?, ..Default::default() };
    form.identity = identities.iter().find(|i| i.is_default).map(|i| i.id).unwrap_or(0);
    if !q.mailto.is_empty() {
        let url = q.mailto.clone();
        apply_mailto(&mut q, &url);
    }
    let mut signature_wanted = true;
    if !q.mode.is_empty() && q.uid > 0 {
        let raw = fetch_original(&state, &user, &q.mb, q.uv, q.uid).await?;
        let o = mime::original(&raw).unwrap_or_default();
        let uploads = &state.uploads;
        let key = user.key();
        match q.mode.as_str() {
            "reply" | "all" => {
                let own = own_addresses(&user, &identities);
                let (to, cc) = compose::reply_recipients(&o, q.mode == "all", &own);
                form.to = compose::people_text(&to);
                form.cc = compose::people_text(&cc);
                form.subject = compose::reply_subject(&o.subject, &i18n.t("compose-reply-prefix"));
                let (irt, refs) = compose::threading(&o);
                form.in_reply_to = irt.unwrap_or_default();
                form.references = refs.join(" ");
                form.identity = pick_identity(&identities, &o);
                let sig = signature_block(identities.iter().find(|i| i.id == form.identity));
                form.body = format!("\n{sig}\n\n{}\n{}", attribution(&i18n, &o, tz), compose::quote_text(&o.text));
                signature_wanted = false;
                form.origin = format!("answered {} {} {}", q.uv, q.uid, q.mb);
            }
            "forward" | "attach" => {
                form.subject = compose::forward_subject(&o.subject, &i18n.t("compose-forward-prefix"));
                form.identity = pick_identity(&identities, &o);
                let sig = signature_block(identities.iter().find(|i| i.id == form.identity));
                if q.mode == "forward" {
                    form.body = format!("\n{sig}{}", forward_block(&i18n, &o, tz));
                    for a in &o.attachments {
                        uploads
                            .add_bytes(&key, &form.draft, &a.name, &a.content_type, &a.bytes)
                            .await
                            .map_err(|e| anyhow::anyhow!("storing an attachment: {e}"))?;
                    }
                } else {
                    form.body = format!("\n{sig}");
                    let name = format!("{}.eml", if o.subject.is_empty() { "message" } else { o.subject.as_str() });
                    uploads
                        .add_bytes(&key, &form.draft, &name, "message/rfc822", &raw)
                        .await
                        .map_err(|e| anyhow::anyhow!("storing an attachment: {e}"))?;
                }
                signature_wanted = false;
                form.origin = format!("forwarded {} {} {}", q.uv, q.uid, q.mb);
            }
            "draft" => {
                form.to = compose::people_text(&o.to);
                form.cc = compose::people_text(&o.cc);
                form.bcc = compose::people_text(&o.bcc);
                form.subject = o.subject.clone();
                // A rich draft continues as text: stored HTML never enters the editor (our page).
                form.body = o.text.trim_end_matches('\n').to_string();
                form.in_reply_to = o.in_reply_to.first().map(|i| format!("<{}>", i.trim_matches(['<', '>']))).unwrap_or_default();
                form.references = o.references.iter().map(|r| format!("<{}>", r.trim_matches(['<', '>']))).collect::<Vec<_>>().join(" ");
                let from = o.from.first().and_then(|p| p.address.clone()).unwrap_or_default().to_lowercase();
                if let Some(i) = identities.iter().find(|i| i.email.to_lowercase() == from) {
                    form.identity = i.id;
                }
                for (name, value) in &o.facteur_headers {
                    if name.eq_ignore_ascii_case("X-Facteur-Origin") && parse_origin(value).is_some() {
                        form.origin = value.clone();
                    }
                }
                for a in &o.attachments {
                    uploads
                        .add_bytes(&key, &form.draft, &a.name, &a.content_type, &a.bytes)
                        .await
                        .map_err(|e| anyhow::anyhow!("storing an attachment: {e}"))?;
                }
                // Only a draft in the Drafts folder is replaced by the next save.
                let drafts = state
                    .registry
                    .run(&key, &user.creds, |c| Box::pin(async move { c.folder_for(Role::Drafts).await }))
                    .await?;
                if drafts.as_deref() == Some(q.mb.as_str()) {
                    form.replaces = format!("{}:{}", q.uv, q.uid);
                }
                signature_wanted = false;
            }
            _ => return Err(AppError::not_found()),
        }
    } else {
        form.to = one_line(&q.to);
        form.cc = one_line(&q.cc);
        form.bcc = one_line(&q.bcc);
        form.subject = one_line(&q.subject);
        form.body = q.body.replace("\r\n", "\n");
    }
    if signature_wanted {
        let sig = signature_block(identities.iter().find(|i| i.id == form.identity));
        if !sig.is_empty() {
            form.body = format!("{}{sig}", form.body);
        }
    }
    render(&state, &user, form, identities, FieldErrors::default(), None, StatusCode::OK).await
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    form: ComposeForm,
    identities: Vec<Identity>,
    errors: FieldErrors,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let folders = state.registry.run(&user.key(), &user.creds, |c| Box::pin(async move { c.folders().await })).await?;
    let i18n = user.i18n.clone();
    let files = state.uploads.list(&user.key(), &form.draft).await;
    let flash = match notice {
        Some(text) => Some(Flash::new(text, false)?),
        None => None,
    };
    let title = if form.origin.starts_with("answered") {
        i18n.t("msg-reply")
    } else if form.origin.starts_with("forwarded") {
        i18n.t("msg-forward")
    } else {
        i18n.t("compose-title")
    };
    let view = ComposePage {
        title,
        identities: identities
            .iter()
            .map(|i| views::IdentityOption {
                id: i.id,
                label: if i.name.is_empty() { i.email.clone() } else { format!("{} <{}>", i.name, i.email) },
                selected: i.id == form.identity,
            })
            .collect(),
        attachments: files
            .into_iter()
            .map(|s: Stored| views::UploadView { id: s.id, name: s.name, size: format::size(s.size, &i18n) })
            .collect(),
        max_size: i18n.ta("compose-max-size", &[("max", FluentArg::Str(format::size(state.config.max_message_size, &i18n)))]),
        errors,
        form,
        script: crate::web::assets::compose_js_url(),
        chrome: Chrome::new(i18n, &user.auth, &folders, "", flash),
    };
    let mut r = view.into_response();
    *r.status_mut() = status;
    Ok(r)
}

/// Reads the multipart form, streaming files into the upload store. Files past the size limit
/// are dropped (the rest of the form is still read, so nothing typed is lost).
async fn read_form(state: &AppState, user: &CurrentUser, mut mp: Multipart) -> Result<(ComposeForm, Option<String>), AppError> {
    let mut form = ComposeForm::default();
    let mut too_big: Option<String> = None;
    let key = user.key();
    let limit = state.config.max_message_size;
    while let Some(mut field) = mp.next_field().await.map_err(|e| AppError::new(ErrorKind::BadRequest, e.to_string()))? {
        let name = field.name().unwrap_or("").to_string();
        if name == "attachments" {
            let file_name = field.file_name().unwrap_or("").to_string();
            if file_name.is_empty() {
                while let Ok(Some(_)) = field.chunk().await {}
                continue;
            }
            // Nothing is written to disk for a form without its token (the fields come first).
            user.check_csrf(&form.csrf)?;
            if !crate::uploads::valid_draft_id(&form.draft) {
                return Err(AppError::new(ErrorKind::BadRequest, "files before the draft id"));
            }
            let ct = field.content_type().unwrap_or("application/octet-stream").to_string();
            let used = state.uploads.total_size(&key, &form.draft).await;
            let mut pending = Some(
                state.uploads.begin(&key, &form.draft, &file_name, &ct).await.map_err(|e| anyhow::anyhow!("upload: {e}"))?,
            );
            loop {
                let chunk = match field.chunk().await {
                    Ok(Some(c)) => c,
                    Ok(None) => break,
                    Err(e) => {
                        if let Some(p) = pending.take() {
                            p.abort().await;
                        }
                        return Err(AppError::new(ErrorKind::BadRequest, e.to_string()));
                    }
                };
                if let Some(p) = pending.as_mut() {
                    if used + p.size() + chunk.len() as u64 > limit {
                        if let Some(p) = pending.take() {
                            p.abort().await;
                        }
                        too_big = Some(file_name.clone());
                    } else if let Err(e) = p.write(&chunk).await {
                        if let Some(p) = pending.take() {
                            p.abort().await;
                        }
                        return Err(anyhow::anyhow!("upload: {e}").into());
                    }
                }
            }
            if let Some(p) = pending {
                p.finish().await.map_err(|e| anyhow::anyhow!("upload: {e}"))?;
            }
        } else {
            let text = field.text().await.map_err(|e| AppError::new(ErrorKind::BadRequest, e.to_string()))?;
            form.set(&name, text);
        }
    }
    Ok((form, too_big))
}

/// What the form says, checked: the draft to build, or errors by field.
async fn check(state: &AppState, user: &CurrentUser, form: &ComposeForm, identities: &[Identity], for_sending: bool) -> Result<Draft, FieldErrors> {
    let i18n = &user.i18n;
    let mut errors = FieldErrors::default();
    // A draft is saved as it is while being typed: half-written addresses are left out of the
    // saved copy (the form keeps them) instead of refusing the save.
    let field = |value: &str, slot: &mut Option<String>| match compose::parse_addresses(value) {
        Ok(v) => v,
        Err(_) if !for_sending => compose::split_addresses(value)
            .iter()
            .filter(|p| !compose::has_line_break(p))
            .filter_map(|p| compose::parse_addresses(p).ok())
            .flatten()
            .collect(),
        Err(bad) => {
            *slot = Some(i18n.ta("compose-error-address", &[("address", FluentArg::Str(bad.join(", ")))]));
            Vec::new()
        }
    };
    let to = field(&form.to, &mut errors.to);
    let cc = field(&form.cc, &mut errors.cc);
    let bcc = field(&form.bcc, &mut errors.bcc);
    let subject = if compose::has_line_break(&form.subject) {
        if for_sending {
            errors.subject = Some(i18n.t("compose-error-line-break"));
        }
        one_line(&form.subject)
    } else {
        form.subject.clone()
    };
    if for_sending && errors.to.is_none() && errors.cc.is_none() && errors.bcc.is_none() && to.is_empty() && cc.is_empty() && bcc.is_empty() {
        errors.to = Some(i18n.t("compose-error-no-recipient"));
    }
    let identity = identities.iter().find(|i| i.id == form.identity).or_else(|| identities.iter().find(|i| i.is_default));
    let from = identity.and_then(|i| {
        let addr = i.email.parse().ok()?;
        Some(lettre::message::Mailbox::new(Some(i.name.clone()).filter(|n| !n.trim().is_empty()), addr))
    });
    let Some(from) = from else {
        errors.general = Some(i18n.t("compose-error-no-identity"));
        return Err(errors);
    };
    let files = state.uploads.list(&user.key(), &form.draft).await;
    let total: u64 = files.iter().map(|f| f.size).sum::<u64>() + form.body.len() as u64 + form.html.len() as u64;
    if total > state.config.max_message_size {
        errors.attachments = Some(i18n.ta(
            "compose-error-too-big",
            &[("max", FluentArg::Str(format::size(state.config.max_message_size, i18n)))],
        ));
    }
    if errors.any() {
        return Err(errors);
    }
    let mut attachments = Vec::new();
    for f in files {
        match state.uploads.read(&user.key(), &form.draft, f.id).await {
            Ok(bytes) => attachments.push(FileAttachment { name: f.name, content_type: f.content_type, bytes }),
            Err(e) => {
                tracing::warn!(error = %e, "an attachment could not be read");
                errors.attachments = Some(i18n.t("compose-error-attachment-lost"));
                return Err(errors);
            }
        }
    }
    let (text, html) = if form.rich && !form.html.trim().is_empty() {
        let clean = sanitize::sanitize_html(&form.html, HashMap::new(), None).html;
        (compose::html_to_text(&clean), Some(clean))
    } else {
        (form.body.replace("\r\n", "\n"), None)
    };
    let message_id = compose::new_message_id(&from).map_err(|_| FieldErrors { general: Some(i18n.t("error-internal-text")), ..Default::default() })?;
    let mut draft_headers = Vec::new();
    if parse_origin(&form.origin).is_some() {
        draft_headers.push(("X-Facteur-Origin", form.origin.clone()));
    }
    let in_reply_to = Some(form.in_reply_to.trim().to_string()).filter(|s| !s.is_empty() && !compose::has_line_break(s));
    let references = form
        .references
        .split_whitespace()
        .filter(|r| r.starts_with('<') && r.ends_with('>'))
        .map(str::to_string)
        .collect();
    Ok(Draft {
        from,
        to,
        cc,
        bcc,
        subject: subject.trim().to_string(),
        text,
        html,
        in_reply_to,
        references,
        message_id,
        date: std::time::SystemTime::now(),
        attachments,
        draft_headers,
    })
}

/// Saves the draft in the Drafts folder, replacing the version the form had. Returns the new
/// version as `UIDVALIDITY:UID` (empty if the server did not say).
async fn save_draft(state: &AppState, creds: &Credentials, key: &str, draft: &Draft, replaces: Option<(u32, u32)>) -> Result<String, AppError> {
    let built = Arc::new(compose::build(draft, Purpose::Draft).map_err(|e| anyhow::anyhow!("building a draft: {e}"))?.bytes);
    let message_id = draft.message_id.clone();
    let placed = state
        .registry
        .run(key, creds, |c| {
            let bytes = built.clone();
            let message_id = message_id.clone();
            Box::pin(async move {
                let drafts = c.folder_for(Role::Drafts).await?.ok_or(MailError::NotFound)?;
                let placed = c.append(&drafts, "\\Seen \\Draft", &bytes, &message_id).await?;
                remove_old_draft(c, &drafts, replaces, placed).await;
                Ok(placed)
            })
        })
        .await?;
    Ok(placed.map(|(uv, uid)| format!("{uv}:{uid}")).unwrap_or_default())
}

async fn remove_old_draft(c: &mut ImapConn, drafts: &str, replaces: Option<(u32, u32)>, placed: Option<(u32, u32)>) {
    if let Some((uv, uid)) = replaces
        && placed != Some((uv, uid))
        && let Err(e) = c.delete_forever(drafts, uv, &[uid]).await
        && !matches!(e, MailError::NotFound)
    {
        tracing::warn!(error = %e, "the previous version of a draft could not be removed");
    }
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.starts_with("application/json"))
}

fn json(status: StatusCode, value: serde_json::Value) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], axum::Json(value)).into_response()
}

async fn flash_redirect(user: &CurrentUser, text: String, url: &str) -> Result<Response, AppError> {
    let flash = Flash::new(text, false)?;
    user.session.insert(FLASH_KEY, flash.clone()).await?;
    Ok(Redirect::to(&flash.url(url)).into_response())
}

/// POST /compose: attach, remove an attachment, save, discard or send.
pub async fn compose_post(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    mp: Multipart,
) -> Result<Response, AppError> {
    let (mut form, too_big) = read_form(&state, &user, mp).await?;
    user.check_csrf(&form.csrf)?;
    if !crate::uploads::valid_draft_id(&form.draft) || form.send_key.is_empty() || form.send_key.len() > 64 {
        return Err(AppError::new(ErrorKind::BadRequest, "compose form without its ids"));
    }
    let i18n = user.i18n.clone();
    let key = user.key();
    let identities = store::identities(&state.db, &key).await.map_err(|e| anyhow::anyhow!("identities: {e}"))?;
    let json_reply = wants_json(&headers);
    let mut errors = FieldErrors::default();
    if let Some(name) = &too_big {
        errors.attachments = Some(i18n.ta(
            "compose-error-file-too-big",
            &[
                ("name", FluentArg::Str(name.clone())),
                ("max", FluentArg::Str(format::size(state.config.max_message_size, &i18n))),
            ],
        ));
    }
    let op = form.op.clone();
    if let Some(id) = op.strip_prefix("remove:") {
        if let Ok(id) = id.parse::<u32>() {
            state.uploads.remove(&key, &form.draft, id).await;
        }
        return render(&state, &user, form, identities, errors, None, StatusCode::OK).await;
    }
    match op.as_str() {
        "attach" => {
            if json_reply {
                return Ok(attachments_json(&state, &user, &form, &errors).await);
            }
            let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            render(&state, &user, form, identities, errors, None, status).await
        }
        "save" => {
            let draft = match check(&state, &user, &form, &identities, false).await {
                Ok(d) => d,
                Err(e) => {
                    if json_reply {
                        return Ok(json(StatusCode::UNPROCESSABLE_ENTITY, serde_json::json!({ "saved": false })));
                    }
                    return render(&state, &user, form, identities, e, None, StatusCode::UNPROCESSABLE_ENTITY).await;
                }
            };
            let version = save_draft(&state, &user.creds, &key, &draft, form.replaces()).await?;
            form.replaces = version.clone();
            if json_reply {
                return Ok(json(StatusCode::OK, serde_json::json!({ "saved": true, "replaces": version })));
            }
            render(&state, &user, form, identities, errors, Some(i18n.t("compose-draft-saved")), StatusCode::OK).await
        }
        "discard" => {
            if let Some((uv, uid)) = form.replaces() {
                state
                    .registry
                    .run(&key, &user.creds, |c| {
                        Box::pin(async move {
                            let drafts = c.folder_for(Role::Drafts).await?.ok_or(MailError::NotFound)?;
                            remove_old_draft(c, &drafts, Some((uv, uid)), None).await;
                            Ok(())
                        })
                    })
                    .await?;
            }
            state.uploads.clear(&key, &form.draft).await;
            flash_redirect(&user, i18n.t("compose-discarded"), "/f/INBOX").await
        }
        "send" => {
            if errors.any() {
                return render(&state, &user, form, identities, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
            send(state, user, form, identities).await
        }
        _ => render(&state, &user, form, identities, errors, None, StatusCode::OK).await,
    }
}

async fn attachments_json(state: &AppState, user: &CurrentUser, form: &ComposeForm, errors: &FieldErrors) -> Response {
    let files: Vec<serde_json::Value> = state
        .uploads
        .list(&user.key(), &form.draft)
        .await
        .into_iter()
        .map(|s| serde_json::json!({ "id": s.id, "name": s.name, "size": format::size(s.size, &user.i18n) }))
        .collect();
    let status = if errors.any() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    json(status, serde_json::json!({ "attachments": files, "error": errors.attachments }))
}

async fn send(state: AppState, user: CurrentUser, mut form: ComposeForm, identities: Vec<Identity>) -> Result<Response, AppError> {
    let i18n = user.i18n.clone();
    let key = user.key();
    let draft = match check(&state, &user, &form, &identities, true).await {
        Ok(d) => d,
        Err(e) => return render(&state, &user, form, identities, e, None, StatusCode::UNPROCESSABLE_ENTITY).await,
    };
    if !store::claim_send_key(&state.db, &key, &form.send_key).await.map_err(|e| anyhow::anyhow!("send key: {e}"))? {
        // A double click or a resubmitted form: this message was already sent (or is being sent).
        return flash_redirect(&user, i18n.t("compose-already-sent"), "/f/INBOX").await;
    }
    let mut built = match compose::build(&draft, Purpose::Send) {
        Ok(b) => b,
        Err(e) => {
            let _ = store::release_send_key(&state.db, &key, &form.send_key).await;
            return Err(anyhow::anyhow!("building a message: {e}").into());
        }
    };
    let smtp_started = std::time::Instant::now();
    let sent = state.smtp.send(&user.creds, &built.envelope, &built.bytes).await;
    let smtp_ms = smtp_started.elapsed().as_millis() as u64;
    crate::metrics::message_sent(match &sent {
        Ok(()) => "sent",
        Err(SendError::Rejected(_) | SendError::Auth) => "rejected",
        Err(_) => "failed",
    });
    if let Err(e) = sent {
        let _ = store::release_send_key(&state.db, &key, &form.send_key).await;
        tracing::warn!(error = %e, "sending failed");
        let reason = match &e {
            SendError::Connect(_) => i18n.t("compose-error-smtp-down"),
            SendError::Timeout => i18n.t("compose-error-smtp-timeout"),
            SendError::Auth => i18n.t("compose-error-smtp-auth"),
            SendError::Rejected(m) | SendError::Deferred(m) => {
                i18n.ta("compose-error-smtp-refused", &[("reason", FluentArg::Str(one_line(m)))])
            }
        };
        // Keep the message: save it as a draft so nothing is lost even if the page is closed.
        let saved = match save_draft(&state, &user.creds, &key, &draft, form.replaces()).await {
            Ok(v) => {
                form.replaces = v;
                i18n.t("compose-kept-in-drafts")
            }
            Err(e) => {
                tracing::warn!(kind = ?e.kind, "the unsent message could not be saved as a draft either");
                i18n.t("compose-not-kept")
            }
        };
        let errors = FieldErrors { general: Some(format!("{reason} {saved}")), ..Default::default() };
        return render(&state, &user, form, identities, errors, None, StatusCode::BAD_GATEWAY).await;
    }

    // Sent. What follows must not make the user send again: problems become a warning.
    let _ = store::mark_sent(&state.db, &key, &form.send_key).await;
    let mut draft = draft;
    draft.attachments = Vec::new();
    let stored: Option<Arc<Vec<u8>>> = if state.config.save_sent {
        Some(Arc::new(if draft.bcc.is_empty() { std::mem::take(&mut built.bytes) } else { compose::with_bcc(&built.bytes, &draft.bcc) }))
    } else {
        None
    };
    drop(built);
    let origin = parse_origin(&form.origin);
    let replaces = form.replaces();
    let message_id = draft.message_id.clone();
    let origin_target = origin.as_ref().map(|o| (o.mailbox.clone(), o.uidvalidity, o.uid, o.flag));
    let filed = state
        .registry
        .run(&key, &user.creds, |c| {
            let stored = stored.clone();
            let message_id = message_id.clone();
            let origin_target = origin_target.clone();
            Box::pin(async move {
                let mut ok = true;
                if let Some(bytes) = stored {
                    let sent = c.folder_for(Role::Sent).await?.ok_or(MailError::NotFound)?;
                    if let Err(e) = c.append(&sent, "\\Seen", &bytes, &message_id).await {
                        tracing::warn!(error = %e, "the sent message could not be saved in Sent");
                        ok = false;
                    }
                }
                if let Some((mb, uv, uid, flag)) = origin_target
                    && let Err(e) = c.store_flags(&mb, uv, &[uid], true, flag).await
                {
                    tracing::info!(error = %e, "the original message could not be flagged");
                }
                if let Some((uv, uid)) = replaces {
                    let drafts = c.folder_for(Role::Drafts).await?.ok_or(MailError::NotFound)?;
                    remove_old_draft(c, &drafts, Some((uv, uid)), None).await;
                }
                Ok(ok)
            })
        })
        .await;
    tracing::info!(
        smtp_ms,
        filing_ms = smtp_started.elapsed().as_millis() as u64 - smtp_ms,
        recipients = draft.to.len() + draft.cc.len() + draft.bcc.len(),
        "message sent"
    );
    let people: Vec<(String, String)> = draft
        .to
        .iter()
        .chain(draft.cc.iter())
        .chain(draft.bcc.iter())
        .map(|m| (m.name.clone().unwrap_or_default(), m.email.to_string()))
        .collect();
    if let Err(e) = store::note_contacts(&state.db, &key, &people).await {
        tracing::warn!(error = %e, "contacts not updated");
    }
    state.uploads.clear(&key, &form.draft).await;
    state.registry.mark_folders_stale(&key);
    let text = match filed {
        Ok(true) => i18n.t("compose-sent"),
        Ok(false) | Err(_) => i18n.t("compose-sent-not-filed"),
    };
    let back = match &origin {
        Some(o) => views::message_href(&o.mailbox, o.uidvalidity, o.uid),
        None => "/f/INBOX".to_string(),
    };
    flash_redirect(&user, text, &back).await
}

#[derive(Deserialize)]
pub struct SuggestQuery {
    #[serde(default)]
    q: String,
}

/// GET /contacts/suggest?q=…: addresses for the compose fields' autocomplete.
pub async fn suggest(State(state): State<AppState>, user: CurrentUser, Query(q): Query<SuggestQuery>) -> Result<Response, AppError> {
    let term = q.q.trim();
    if term.is_empty() || term.len() > 100 {
        return Ok(json(StatusCode::OK, serde_json::json!([])));
    }
    let found = store::suggest(&state.db, &user.key(), term, 8).await.map_err(|e| anyhow::anyhow!("contacts: {e}"))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailto_urls() {
        let mut q = ComposeQuery::default();
        apply_mailto(&mut q, "mailto:a@example.test,b@example.test?cc=c@example.test&subject=Caf%C3%A9%20au%20lait&body=line1%0D%0Aline2&to=d@example.test");
        assert_eq!(q.to, "a@example.test,b@example.test, d@example.test");
        assert_eq!(q.cc, "c@example.test");
        assert_eq!(q.subject, "Café au lait");
        assert_eq!(q.body, "line1\r\nline2");
        let mut q = ComposeQuery::default();
        apply_mailto(&mut q, "https://example.test");
        assert!(q.to.is_empty());
    }

    #[test]
    fn origins() {
        let o = parse_origin("answered 7 42 Archive/2024 Q1").unwrap();
        assert_eq!((o.flag, o.uidvalidity, o.uid, o.mailbox.as_str()), ("\\Answered", 7, 42, "Archive/2024 Q1"));
        assert!(parse_origin("deleted 1 2 INBOX").is_none());
        assert!(parse_origin("answered 1 2 INBOX\r\nX").is_none());
        assert!(parse_origin("answered x 2 INBOX").is_none());
    }
}
