//! The compose form: what it carries, how it is read (files streamed to the upload store),
//! how it starts (new, reply, forward, a resumed draft, a `mailto:` link) and how it is
//! checked into a [`Draft`].

use std::collections::{HashMap, HashSet};

use axum::extract::Multipart;
use serde::{Deserialize, Serialize};

use crate::i18n::{FluentArg, I18n};
use crate::mail::compose::{self, Draft, FileAttachment};
use crate::mail::mime::Original;
use crate::mail::model::{Uid, UidValidity};
use crate::mail::reply::{self, Started};
use crate::mail::sanitize;
use crate::mail::send::{DraftVersion, Origin};
use crate::store::compose::Identity;
use crate::web::error::{AppError, ErrorKind};
use crate::web::extract::Ctx;
use crate::web::format::{self, UserZone};

/// The message being written, as the form carries it (and as the outbox keeps it for Undo,
/// without the CSRF token and the button).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ComposeForm {
    #[serde(skip)]
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
    /// What to flag once sent: an [`Origin`] as text.
    pub origin: String,
    /// The version of this draft in the Drafts folder: `UIDVALIDITY:UID`.
    pub replaces: String,
    #[serde(skip)]
    pub op: String,
    /// "Send later" at a chosen time: `YYYY-MM-DDTHH:MM` in the user's time zone.
    #[serde(skip)]
    pub send_at: String,
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
            "send_at" => self.send_at = value,
            _ => {}
        }
    }

    pub fn replaces(&self) -> Option<DraftVersion> {
        let (uv, uid) = self.replaces.split_once(':')?;
        Some((UidValidity::parse(uv)?, Uid::parse(uid)?))
    }

    pub fn set_replaces(&mut self, version: Option<DraftVersion>) {
        self.replaces = version.map(|(uv, uid)| format!("{uv}:{uid}")).unwrap_or_default();
    }

    pub fn origin(&self) -> Option<Origin> {
        Origin::parse(&self.origin)
    }

    /// The ids a posted form must carry.
    pub fn has_ids(&self) -> bool {
        crate::store::uploads::valid_draft_id(&self.draft) && !self.send_key.is_empty() && self.send_key.len() <= 64
    }

    /// An empty form with fresh ids, from the default sender address.
    pub fn blank(identities: &[Identity]) -> Result<Self, AppError> {
        let token = || crate::secrets::random_token::<18>();
        Ok(Self {
            draft: token()?,
            send_key: token()?,
            identity: identities.iter().find(|i| i.is_default).map(|i| i.id).unwrap_or(0),
            ..Default::default()
        })
    }

    /// A new message from the fields of a link (`/compose?to=…` or a `mailto:` URL), with the
    /// sender's signature.
    pub fn from_link(mut self, q: &ComposeQuery, identities: &[Identity]) -> Self {
        let mut q = q.clone();
        if !q.mailto.is_empty() {
            let url = q.mailto.clone();
            apply_mailto(&mut q, &url);
        }
        self.to = one_line(&q.to);
        self.cc = one_line(&q.cc);
        self.bcc = one_line(&q.bcc);
        self.subject = one_line(&q.subject);
        self.body = q.body.replace("\r\n", "\n");
        let sig = signature_block(identities.iter().find(|i| i.id == self.identity));
        if !sig.is_empty() {
            self.body = format!("{}{sig}", self.body);
        }
        self
    }

    /// A reply, forward or resumed draft, in the words of the user's language.
    pub fn from_started(mut self, s: Started, mode: reply::Mode, o: &Original, identities: &[Identity], i18n: &I18n, tz: UserZone) -> Self {
        self.to = compose::people_text(&s.to);
        self.cc = compose::people_text(&s.cc);
        self.bcc = compose::people_text(&s.bcc);
        self.subject = s.subject;
        self.in_reply_to = s.in_reply_to.unwrap_or_default();
        self.references = s.references.join(" ");
        self.origin = s.origin.map(|o| o.to_string()).unwrap_or_default();
        self.set_replaces(s.replaces);
        if let Some(i) = identities.iter().find(|i| s.addressed_to.contains(&i.email.to_lowercase())) {
            self.identity = i.id;
        }
        let sig = signature_block(identities.iter().find(|i| i.id == self.identity));
        self.body = match mode {
            reply::Mode::Reply | reply::Mode::ReplyAll => format!("\n{sig}\n\n{}\n{}", attribution(i18n, o, tz), s.text),
            reply::Mode::Forward => format!("\n{sig}{}", forward_block(i18n, o, tz)),
            reply::Mode::ForwardAttached => format!("\n{sig}"),
            // A rich draft continues as text: stored HTML never enters the editor (our page).
            reply::Mode::Resume => s.text,
        };
        self
    }
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
    pub fn any(&self) -> bool {
        self.to.is_some() || self.cc.is_some() || self.bcc.is_some() || self.subject.is_some() || self.attachments.is_some() || self.general.is_some()
    }

    pub fn general(text: String) -> Self {
        Self { general: Some(text), ..Default::default() }
    }
}

#[derive(Clone, Deserialize, Default)]
pub struct ComposeQuery {
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub cc: String,
    #[serde(default)]
    pub bcc: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    /// A whole `mailto:` URL (from the browser's protocol handler).
    #[serde(default)]
    pub mailto: String,
    /// reply, all, forward, attach (forward as attachment), draft (resume).
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub mb: String,
    #[serde(default)]
    pub uv: u32,
    #[serde(default)]
    pub uid: u32,
    /// A message taken back from the outbox (Undo): its form is in the session.
    #[serde(default)]
    pub restored: String,
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
pub fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// The user's own addresses: never replied to.
pub fn own_addresses(username: &str, identities: &[Identity]) -> HashSet<String> {
    let mut own: HashSet<String> = identities.iter().map(|i| i.email.to_lowercase()).collect();
    own.insert(username.to_lowercase());
    own
}

fn attribution(i18n: &I18n, o: &Original, tz: UserZone) -> String {
    let who = o.from.first().map(|p| p.display()).unwrap_or_default();
    let when = format::full_date(o.date, tz, i18n);
    i18n.ta("compose-attribution", &[("date", FluentArg::Str(when)), ("name", FluentArg::Str(who))])
}

fn forward_block(i18n: &I18n, o: &Original, tz: UserZone) -> String {
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

/// Reads the multipart form, streaming files into the upload store. Files past the size limit
/// are dropped (the rest of the form is still read, so nothing typed is lost); the name of
/// the last one dropped is returned with the form.
pub async fn read(cx: &Ctx, mut mp: Multipart) -> Result<(ComposeForm, Option<String>), AppError> {
    let mut form = ComposeForm::default();
    let mut too_big: Option<String> = None;
    let bad = |e: axum::extract::multipart::MultipartError| AppError::new(ErrorKind::BadRequest, e.to_string());
    while let Some(mut field) = mp.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or("").to_string();
        if name != "attachments" {
            let text = field.text().await.map_err(bad)?;
            form.set(&name, text);
            continue;
        }
        let file_name = field.file_name().unwrap_or("").to_string();
        if file_name.is_empty() {
            while let Ok(Some(_)) = field.chunk().await {}
            continue;
        }
        // Nothing is written to disk for a form without its token (the fields come first).
        cx.check_csrf(&form.csrf)?;
        if !crate::store::uploads::valid_draft_id(&form.draft) {
            return Err(AppError::new(ErrorKind::BadRequest, "files before the draft id"));
        }
        if !receive_file(cx, &form.draft, &file_name, &mut field).await? {
            too_big = Some(file_name);
        }
    }
    Ok((form, too_big))
}

/// Streams one file into the draft's uploads; `false` when it would pass the size limit (it
/// is then dropped).
async fn receive_file(cx: &Ctx, draft: &str, file_name: &str, field: &mut axum::extract::multipart::Field<'_>) -> Result<bool, AppError> {
    let key = cx.key();
    let uploads = &cx.state.uploads;
    let limit = cx.state.config.max_message_size;
    let ct = field.content_type().unwrap_or("application/octet-stream").to_string();
    let used = uploads.total_size(&key, draft).await;
    let mut pending = uploads.begin(&key, draft, file_name, &ct).await.map_err(|e| anyhow::anyhow!("upload: {e}"))?;
    loop {
        let chunk = match field.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                pending.abort().await;
                return Err(AppError::new(ErrorKind::BadRequest, e.to_string()));
            }
        };
        if used + pending.size() + chunk.len() as u64 > limit {
            pending.abort().await;
            // Read the rest of the file so that the fields after it still arrive.
            while let Ok(Some(_)) = field.chunk().await {}
            return Ok(false);
        }
        if let Err(e) = pending.write(&chunk).await {
            pending.abort().await;
            return Err(anyhow::anyhow!("upload: {e}").into());
        }
    }
    pending.finish().await.map_err(|e| anyhow::anyhow!("upload: {e}"))?;
    Ok(true)
}

/// What the form says, checked: the draft to build, or errors by field. A draft being saved
/// keeps half-typed addresses out of the saved copy (the form keeps them) instead of refusing.
pub async fn check(cx: &Ctx, form: &ComposeForm, identities: &[Identity], for_sending: bool) -> Result<Draft, FieldErrors> {
    let i18n = cx.i18n();
    let max = cx.state.config.max_message_size;
    let mut errors = FieldErrors::default();
    let (to, cc, bcc) = recipients(i18n, form, for_sending, &mut errors);
    let line_break = compose::has_line_break(&form.subject);
    if line_break && for_sending {
        errors.subject = Some(i18n.t("compose-error-line-break"));
    }
    let subject = if line_break { one_line(&form.subject) } else { form.subject.trim().to_string() };
    let identity = identities.iter().find(|i| i.id == form.identity).or_else(|| identities.iter().find(|i| i.is_default));
    let Some(from) = identity.and_then(|i| {
        let addr = i.email.parse().ok()?;
        Some(lettre::message::Mailbox::new(Some(i.name.clone()).filter(|n| !n.trim().is_empty()), addr))
    }) else {
        errors.general = Some(i18n.t("compose-error-no-identity"));
        return Err(errors);
    };
    let files = cx.state.uploads.list(&cx.key(), &form.draft).await;
    let total: u64 = files.iter().map(|f| f.size).sum::<u64>() + form.body.len() as u64 + form.html.len() as u64;
    if total > max {
        errors.attachments = Some(i18n.ta("compose-error-too-big", &[("max", FluentArg::Str(format::size(max, i18n)))]));
    }
    if errors.any() {
        return Err(errors);
    }
    let mut attachments = Vec::new();
    for f in files {
        match cx.state.uploads.read(&cx.key(), &form.draft, f.id).await {
            Ok(bytes) => attachments.push(FileAttachment { name: f.name, content_type: f.content_type, bytes }),
            Err(e) => {
                tracing::warn!(error = %e, "an attachment could not be read");
                errors.attachments = Some(i18n.t("compose-error-attachment-lost"));
                return Err(errors);
            }
        }
    }
    let message_id = compose::new_message_id(&from).map_err(|_| FieldErrors::general(i18n.t("error-internal-text")))?;
    Ok(draft_of(form, from, (to, cc, bcc), subject, message_id, attachments))
}

type Recipients = (Vec<lettre::message::Mailbox>, Vec<lettre::message::Mailbox>, Vec<lettre::message::Mailbox>);

/// To, Cc and Bcc. For sending, a bad address or none at all is an error; a draft being
/// saved keeps the good ones.
fn recipients(i18n: &I18n, form: &ComposeForm, for_sending: bool, errors: &mut FieldErrors) -> Recipients {
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
    if for_sending && errors.to.is_none() && errors.cc.is_none() && errors.bcc.is_none() && to.is_empty() && cc.is_empty() && bcc.is_empty() {
        errors.to = Some(i18n.t("compose-error-no-recipient"));
    }
    (to, cc, bcc)
}

/// The draft a checked form describes. Rich text is sanitized here, before it is used.
fn draft_of(form: &ComposeForm, from: lettre::message::Mailbox, (to, cc, bcc): Recipients, subject: String, message_id: String, attachments: Vec<FileAttachment>) -> Draft {
    let (text, html) = if form.rich && !form.html.trim().is_empty() {
        let clean = sanitize::sanitize_html(&form.html, HashMap::new(), None).html;
        (compose::html_to_text(&clean), Some(clean))
    } else {
        (form.body.replace("\r\n", "\n"), None)
    };
    let draft_headers = form.origin().map(|o| (reply::ORIGIN_HEADER, o.to_string())).into_iter().collect();
    let in_reply_to = Some(form.in_reply_to.trim().to_string()).filter(|s| !s.is_empty() && !compose::has_line_break(s));
    let references = form.references.split_whitespace().filter(|r| r.starts_with('<') && r.ends_with('>')).map(str::to_string).collect();
    Draft {
        from,
        to,
        cc,
        bcc,
        subject,
        text,
        html,
        in_reply_to,
        references,
        message_id,
        date: std::time::SystemTime::now(),
        attachments,
        draft_headers,
    }
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
    fn the_draft_version_round_trips() {
        let mut f = ComposeForm::default();
        f.set_replaces(Some((UidValidity(7), Uid(42))));
        assert_eq!(f.replaces, "7:42");
        assert_eq!(f.replaces(), Some((UidValidity(7), Uid(42))));
        f.replaces = "7:0".into();
        assert_eq!(f.replaces(), None);
    }
}
