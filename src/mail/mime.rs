//! Reading messages: headers, the body to show, attachments and inline parts.
//! Parsing never fails: a message mail-parser cannot read still shows its raw text.

use std::collections::HashMap;

use mail_parser::{Address, Message, MessageParser, MimeHeaders, PartType};

/// A mailbox of a header (From, To…), decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub name: Option<String>,
    pub address: Option<String>,
}

impl Person {
    /// The display name, else the address.
    pub fn display(&self) -> String {
        self.name.clone().filter(|n| !n.trim().is_empty()).or_else(|| self.address.clone()).unwrap_or_default()
    }
}

/// What the reader shows as the message text.
#[derive(Clone, Debug)]
pub enum Body {
    /// HTML from the message, unsanitized: it must go through [`crate::mail::sanitize`].
    Html(String),
    Text(String),
    Empty,
}

#[derive(Clone, Debug)]
pub struct Attachment {
    /// Index of the part in the parsed message: the id used in download URLs.
    pub part: usize,
    pub name: String,
    pub content_type: String,
    pub size: usize,
    pub content_id: Option<String>,
    /// Marked inline (or carries a Content-ID) rather than as an attachment.
    pub inline: bool,
}

#[derive(Clone, Debug)]
pub struct ParsedMessage {
    pub subject: String,
    pub from: Vec<Person>,
    pub to: Vec<Person>,
    pub cc: Vec<Person>,
    pub reply_to: Vec<Person>,
    pub date: Option<i64>,
    pub message_id: Option<String>,
    /// The messages this one answers: In-Reply-To, then References (without repeats).
    pub references: Vec<String>,
    /// The mailing list it came through (List-Id's identifier, `dev.lists.example.org`).
    pub list_id: Option<String>,
    pub body: Body,
    pub attachments: Vec<Attachment>,
    /// mail-parser could not read the message structure, or a part failed to decode.
    pub damaged: bool,
}

/// Bytes of one part, ready to download or inline.
#[derive(Clone, Debug)]
pub struct PartData {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

fn people(a: Option<&Address<'_>>) -> Vec<Person> {
    a.map(|a| {
        a.iter()
            .map(|x| Person {
                name: x.name().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
                address: x.address().map(str::to_string),
            })
            .collect()
    })
    .unwrap_or_default()
}

/// mail-parser, kept from taking the request down: some malformed messages make 0.11.9 panic
/// ("Invalid part ID, could not find multipart", found by fuzzing). Such a message reads as
/// unparseable and is shown as raw text.
fn parse_guarded(raw: &[u8]) -> Option<Message<'_>> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| MessageParser::default().parse(raw))) {
        Ok(m) => m,
        Err(_) => {
            tracing::warn!(bytes = raw.len(), "mail-parser panicked on a message; showing it as raw text");
            None
        }
    }
}

/// Parses a whole message.
pub fn parse(raw: &[u8]) -> ParsedMessage {
    let Some(msg) = parse_guarded(raw) else {
        return ParsedMessage {
            subject: String::new(),
            from: vec![],
            to: vec![],
            cc: vec![],
            reply_to: vec![],
            date: None,
            message_id: None,
            references: vec![],
            list_id: None,
            body: Body::Text(String::from_utf8_lossy(raw).into_owned()),
            attachments: vec![],
            damaged: true,
        };
    };
    let mut body = choose_body(&msg);
    let attachments = attachments(&msg);
    let mut damaged = msg.parts.iter().any(|p| p.is_encoding_problem);
    let known_headers = msg.from().is_some() || msg.subject().is_some() || msg.date().is_some() || msg.to().is_some();
    if matches!(body, Body::Empty) && !known_headers && !raw.is_empty() {
        // Nothing that looks like a header: show the bytes as they are.
        body = Body::Text(String::from_utf8_lossy(raw).into_owned());
        damaged = true;
    }
    ParsedMessage {
        subject: msg.subject().unwrap_or_default().trim().to_string(),
        from: people(msg.from()),
        to: people(msg.to()),
        cc: people(msg.cc()),
        reply_to: people(msg.reply_to()),
        date: msg.date().map(|d| d.to_timestamp()),
        message_id: msg.message_id().map(str::to_string),
        references: answered_ids(&msg),
        list_id: list_id(&msg),
        body,
        attachments,
        damaged,
    }
}

/// List-Id's identifier: `Dev list <dev.lists.example.org>` → `dev.lists.example.org`.
fn list_id(msg: &Message<'_>) -> Option<String> {
    let v = msg.list_id();
    let id = v.as_address().and_then(|a| a.first()).and_then(|a| a.address()).map(str::to_string).or_else(|| v.as_text().map(str::to_string))?;
    let id = id.trim().trim_start_matches('<').trim_end_matches('>').to_string();
    (!id.is_empty() && id.len() <= 255 && !id.contains(['\r', '\n'])).then_some(id)
}

fn part_text(msg: &Message<'_>, id: u32) -> Option<(bool, String)> {
    match &msg.part(id)?.body {
        PartType::Html(h) => Some((true, h.to_string())),
        PartType::Text(t) => Some((false, t.to_string())),
        _ => None,
    }
}

/// HTML when the message has any, else the text parts; several inline bodies are joined.
fn choose_body(msg: &Message<'_>) -> Body {
    let html: Vec<(bool, String)> = msg.html_body.iter().filter_map(|id| part_text(msg, *id)).collect();
    if html.iter().any(|(is_html, _)| *is_html) {
        let mut out = String::new();
        for (is_html, s) in html {
            if is_html {
                out.push_str(&s);
            } else {
                // A text part between HTML parts: keep it, escaped, as a preformatted block.
                out.push_str("<pre>");
                out.push_str(&crate::mail::sanitize::escape_html(&s));
                out.push_str("</pre>");
            }
        }
        return Body::Html(out);
    }
    let text: Vec<String> = msg
        .text_body
        .iter()
        .filter_map(|id| part_text(msg, *id))
        .map(|(_, s)| s)
        .filter(|s| !s.trim().is_empty())
        .collect();
    if text.is_empty() { Body::Empty } else { Body::Text(text.join("\n\n")) }
}

fn attachments(msg: &Message<'_>) -> Vec<Attachment> {
    let mut out = Vec::new();
    for &id in &msg.attachments {
        let Some(part) = msg.part(id) else { continue };
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_string(),
            })
            .unwrap_or_else(|| match part.body {
                PartType::Message(_) => "message/rfc822".to_string(),
                PartType::Text(_) => "text/plain".to_string(),
                PartType::Html(_) => "text/html".to_string(),
                _ => "application/octet-stream".to_string(),
            })
            .to_ascii_lowercase();
        let name = part
            .attachment_name()
            .map(str::to_string)
            .or_else(|| match &part.body {
                PartType::Message(m) => m.subject().map(|s| format!("{s}.eml")),
                _ => None,
            })
            .unwrap_or_else(|| format!("part-{id}{}", extension_for(&content_type)));
        let disposition_inline = part.content_disposition().is_some_and(|d| d.ctype().eq_ignore_ascii_case("inline"));
        let content_id = part.content_id().map(|c| c.trim_matches(['<', '>']).to_string());
        out.push(Attachment {
            part: id as usize,
            name,
            size: part.contents().len(),
            inline: disposition_inline || (content_id.is_some() && part.content_disposition().is_none()),
            content_type,
            content_id,
        });
    }
    out
}

fn extension_for(content_type: &str) -> &'static str {
    match content_type {
        "message/rfc822" => ".eml",
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/gif" => ".gif",
        "application/pdf" => ".pdf",
        "text/plain" => ".txt",
        "text/html" => ".html",
        _ => ".bin",
    }
}

/// The decoded bytes of part `index` (as listed in [`ParsedMessage::attachments`]).
pub fn part(raw: &[u8], index: usize) -> Option<PartData> {
    parts(raw, &[index]).into_iter().next().map(|(_, p)| p)
}

/// The decoded bytes of several parts, with their indices, from one parse of the message.
pub fn parts(raw: &[u8], indices: &[usize]) -> Vec<(usize, PartData)> {
    let Some(msg) = parse_guarded(raw) else { return Vec::new() };
    attachments(&msg)
        .into_iter()
        .filter(|a| indices.contains(&a.part))
        .filter_map(|att| Some((att.part, part_data(&msg, att)?)))
        .collect()
}

/// The decoded bytes of an attachment (a forwarded message whole, as it was).
fn part_data(msg: &Message<'_>, att: Attachment) -> Option<PartData> {
    let p = msg.parts.get(att.part)?;
    let bytes = match &p.body {
        PartType::Message(m) => m.raw_message().to_vec(),
        _ => p.contents().to_vec(),
    };
    Some(PartData { name: att.name, content_type: att.content_type, bytes })
}

/// What replying to, forwarding or resuming a message needs from it.
#[derive(Clone, Debug, Default)]
pub struct Original {
    pub subject: String,
    pub from: Vec<Person>,
    pub reply_to: Vec<Person>,
    pub to: Vec<Person>,
    pub cc: Vec<Person>,
    pub bcc: Vec<Person>,
    /// Addresses the message was delivered to (Delivered-To, X-Original-To).
    pub delivered_to: Vec<String>,
    pub date: Option<i64>,
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// The text of the message (HTML converted to text when there is no text part).
    pub text: String,
    /// The HTML body when the message has one (unsanitized).
    pub html: Option<String>,
    /// Real attachments (not inline images), decoded.
    pub attachments: Vec<PartData>,
    /// Free header fields Facteur writes into drafts (`X-Facteur-*`), decoded as text.
    pub facteur_headers: Vec<(String, String)>,
}

fn id_list(v: &mail_parser::HeaderValue<'_>) -> Vec<String> {
    match v {
        mail_parser::HeaderValue::Text(t) => vec![t.to_string()],
        mail_parser::HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

/// In-Reply-To, then References, each ID once.
fn answered_ids(msg: &Message<'_>) -> Vec<String> {
    let mut ids = id_list(msg.in_reply_to());
    for id in id_list(msg.references()) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// Reads what a reply, a forward or a resumed draft needs. `None` if the bytes are no message.
pub fn original(raw: &[u8]) -> Option<Original> {
    let msg = parse_guarded(raw)?;
    let text = msg.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
    let html = if msg.html_body.iter().any(|id| matches!(msg.part(*id).map(|p| &p.body), Some(PartType::Html(_)))) {
        msg.body_html(0).map(|h| h.into_owned())
    } else {
        None
    };
    let files: Vec<PartData> =
        attachments(&msg).into_iter().filter(|a| !a.inline).filter_map(|a| part_data(&msg, a)).collect();
    let mut delivered_to = Vec::new();
    let mut facteur_headers = Vec::new();
    for h in msg.headers() {
        let name = h.name();
        if name.eq_ignore_ascii_case("Delivered-To") || name.eq_ignore_ascii_case("X-Original-To") {
            if let Some(t) = h.value().as_text() {
                delivered_to.push(t.trim().trim_matches(['<', '>']).to_string());
            }
        } else if name.get(..10).is_some_and(|p| p.eq_ignore_ascii_case("X-Facteur-"))
            && let Some(t) = h.value().as_text()
        {
            facteur_headers.push((name.to_string(), t.trim().to_string()));
        }
    }
    Some(Original {
        subject: msg.subject().unwrap_or_default().trim().to_string(),
        from: people(msg.from()),
        reply_to: people(msg.reply_to()),
        to: people(msg.to()),
        cc: people(msg.cc()),
        bcc: people(msg.bcc()),
        delivered_to,
        date: msg.date().map(|d| d.to_timestamp()),
        message_id: msg.message_id().map(str::to_string),
        in_reply_to: id_list(msg.in_reply_to()),
        references: id_list(msg.references()),
        text,
        html,
        attachments: files,
        facteur_headers,
    })
}

/// What a message list row needs, from the header fields fetched for it.
#[derive(Clone, Debug, Default)]
pub struct ListHeaders {
    pub from: Option<Person>,
    pub subject: String,
    pub date: Option<i64>,
    pub has_attachment: bool,
    /// Message-ID, In-Reply-To and References, when they were fetched (conversations).
    pub message_id: Option<String>,
    pub references: Vec<String>,
}

/// Reads the Date/From/Subject/Content-Type block fetched for a list row.
pub fn list_headers(block: &[u8]) -> ListHeaders {
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| MessageParser::default().parse_headers(block)));
    let Some(msg) = parsed.ok().flatten() else { return ListHeaders::default() };
    let has_attachment = msg.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("mixed") || s.eq_ignore_ascii_case("report"))
    });
    ListHeaders {
        from: people(msg.from()).into_iter().next(),
        subject: msg.subject().unwrap_or_default().trim().to_string(),
        date: msg.date().map(|d| d.to_timestamp()),
        has_attachment,
        message_id: msg.message_id().map(str::to_string),
        references: answered_ids(&msg),
    }
}

/// A line of text from the first bytes of a text part (`encoding`: its Content-Transfer-
/// Encoding; `charset`; `html`: it is text/html), for a list's preview where the server makes
/// none. The bytes may stop anywhere: a cut escape, character or tag is dropped.
pub fn peek(bytes: &[u8], encoding: &str, charset: &str, html: bool) -> String {
    let decoded = match encoding.to_ascii_lowercase().as_str() {
        "base64" => {
            let clean: Vec<u8> = bytes.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
            let whole = clean.len() - clean.len() % 4;
            mail_parser::decoders::base64::base64_decode(&clean[..whole]).unwrap_or_default()
        }
        "quoted-printable" => {
            // A cut escape at the end ("=", "=C") is left out.
            let cut = bytes.iter().rev().take(2).position(|b| *b == b'=').map_or(bytes.len(), |i| bytes.len() - 1 - i);
            mail_parser::decoders::quoted_printable::quoted_printable_decode(&bytes[..cut]).unwrap_or_else(|| bytes[..cut].to_vec())
        }
        _ => bytes.to_vec(),
    };
    let text = match mail_parser::decoders::charsets::map::charset_decoder(charset.as_bytes()) {
        Some(decode) if !charset.eq_ignore_ascii_case("utf-8") => decode(&decoded),
        _ => String::from_utf8_lossy(&decoded).into_owned(),
    };
    let text = text.trim_end_matches('\u{fffd}');
    let text = if html {
        // A tag cut at the end is left out.
        let whole = match (text.rfind('<'), text.rfind('>')) {
            (Some(open), Some(close)) if open > close => &text[..open],
            (Some(open), None) => &text[..open],
            _ => text,
        };
        mail_parser::decoders::html::html_to_text(whole)
    } else {
        text.to_string()
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = String::new();
    for w in words {
        if out.chars().count() + w.chars().count() > 200 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Inline images larger than this are not embedded in the message frame.
const INLINE_IMAGE_MAX: usize = 3 * 1024 * 1024;

/// `data:` URLs for a message's raster inline parts, keyed by Content-ID, for
/// [`crate::mail::sanitize::sanitize_html`] to put in place of `cid:` references. Each image is capped, and so is
/// their sum.
pub fn inline_images(raw: &[u8], parsed: &ParsedMessage) -> HashMap<String, String> {
    use base64::Engine;
    let mut budget = 4 * INLINE_IMAGE_MAX;
    let mut wanted: HashMap<usize, String> = HashMap::new();
    for a in &parsed.attachments {
        let Some(cid) = &a.content_id else { continue };
        if crate::mail::sanitize::INLINE_IMAGE_TYPES.contains(&a.content_type.as_str()) && a.size <= INLINE_IMAGE_MAX && a.size <= budget {
            budget -= a.size;
            wanted.insert(a.part, cid.clone());
        }
    }
    if wanted.is_empty() {
        return HashMap::new();
    }
    let indices: Vec<usize> = wanted.keys().copied().collect();
    parts(raw, &indices)
        .into_iter()
        .filter_map(|(index, p)| {
            let cid = wanted.remove(&index)?;
            let b64 = base64::engine::general_purpose::STANDARD.encode(&p.bytes);
            Some((cid, format!("data:{};base64,{b64}", p.content_type)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_words_and_latin1_are_decoded() {
        let raw = b"From: =?ISO-8859-1?Q?Andr=E9?= <andre@example.test>\r\nSubject: =?UTF-8?B?UsOpdW5pb24=?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\n\r\n\xc9t\xe9\r\n";
        let m = parse(raw);
        assert_eq!(m.subject, "Réunion");
        assert_eq!(m.from[0].display(), "André");
        match m.body {
            Body::Text(t) => assert!(t.contains("Été"), "{t}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_message_that_makes_mail_parser_panic_still_shows() {
        let raw = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fuzz-mail-parser-panic.eml")).unwrap();
        let p = parse(&raw);
        assert!(p.damaged);
        assert!(matches!(p.body, Body::Text(ref t) if !t.is_empty()));
        assert!(original(&raw).is_none());
        let _ = parts(&raw, &[1, 2]);
        let _ = list_headers(&raw);
    }

    #[test]
    fn garbage_still_shows_something() {
        let m = parse(b"\xff\xfe not a message at all");
        match m.body {
            Body::Text(t) => assert!(t.contains("not a message")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn peeks_read_cut_parts() {
        assert_eq!(peek(b"Hello  there,\r\n\r\nhow are you", "7bit", "us-ascii", false), "Hello there, how are you");
        assert_eq!(peek(b"Caf=C3=A9 cr=C3=A8me =C3", "quoted-printable", "utf-8", false), "Café crème");
        assert_eq!(peek(b"Caf=C3=A9 cr=", "quoted-printable", "utf-8", false), "Café cr");
        // "Été chaud" in base64, cut inside a group.
        assert_eq!(peek(b"w4l0w6kg\r\nY2hhdWQ", "base64", "utf-8", false), "Été cha");
        assert_eq!(peek(b"Caf\xe9", "8bit", "iso-8859-1", false), "Café");
        assert_eq!(peek(b"<p>Bonjour <b>Anne</b></p><p>Voici <a href", "7bit", "utf-8", true), "Bonjour Anne Voici");
        assert_eq!(peek(&b"mot ".repeat(100), "7bit", "utf-8", false).chars().count(), 199);
        assert_eq!(peek(b"\xc3", "8bit", "utf-8", false), "");
    }

    #[test]
    fn list_headers_mark_attachments() {
        let h = list_headers(b"From: Bob <bob@example.test>\r\nSubject: Hi\r\nContent-Type: multipart/mixed; boundary=x\r\nDate: Tue, 1 Jul 2025 10:00:00 +0000\r\n\r\n");
        assert!(h.has_attachment);
        assert_eq!(h.from.unwrap().display(), "Bob");
        assert_eq!(h.date, Some(1751364000));
    }
}
