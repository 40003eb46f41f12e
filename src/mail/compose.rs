//! Writing mail: reading what the user typed (addresses, header fields), building the MIME
//! message with lettre, and deriving replies and forwards from an original.

use std::collections::HashSet;

use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Body, Mailbox, MultiPart, SinglePart};

use super::mime::{Original, Person};

/// One file of a message being written.
#[derive(Clone, Debug)]
pub struct FileAttachment {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A message being written, checked and ready to build.
#[derive(Clone, Debug)]
pub struct Draft {
    pub from: Mailbox,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub bcc: Vec<Mailbox>,
    pub subject: String,
    pub text: String,
    /// Sanitized HTML (rich text); the text alternative is `text`.
    pub html: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// With angle brackets: `<id@domain>`.
    pub message_id: String,
    pub date: std::time::SystemTime,
    pub attachments: Vec<FileAttachment>,
    /// `X-Facteur-*` fields kept in drafts only (what to flag when the draft is sent).
    pub draft_headers: Vec<(&'static str, String)>,
}

/// What the built message is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Handed to SMTP: no Bcc field (the Sent copy adds it back, see [`with_bcc`]).
    Send,
    /// Kept in Drafts: Bcc and the draft fields kept; recipients may be missing.
    Draft,
}

pub struct Built {
    pub bytes: Vec<u8>,
    pub envelope: lettre::address::Envelope,
}

/// True when `s` holds a character that would end a header line.
pub fn has_line_break(s: &str) -> bool {
    s.chars().any(|c| matches!(c, '\r' | '\n' | '\u{0}' | '\u{2028}' | '\u{2029}' | '\u{85}'))
}

/// Splits an address field on commas and semicolons outside quotes and angle brackets.
pub fn split_addresses(input: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut angle, mut escaped) = (false, false, false);
    for c in input.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => {
                escaped = true;
                cur.push(c);
            }
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            '<' if !quoted => {
                angle = true;
                cur.push(c);
            }
            '>' if !quoted => {
                angle = false;
                cur.push(c);
            }
            ',' | ';' if !quoted && !angle => {
                out.push(std::mem::take(&mut cur));
            }
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

/// Reads an address field. `Err` lists the pieces that are not addresses.
pub fn parse_addresses(input: &str) -> Result<Vec<Mailbox>, Vec<String>> {
    if has_line_break(input) {
        return Err(vec![input.replace(['\r', '\n'], " ").trim().to_string()]);
    }
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for piece in split_addresses(input) {
        match parse_one(&piece) {
            Some(m) => good.push(m),
            None => bad.push(piece),
        }
    }
    if bad.is_empty() { Ok(good) } else { Err(bad) }
}

fn parse_one(piece: &str) -> Option<Mailbox> {
    let m: Mailbox = piece.parse().ok()?;
    // lettre accepts a bare local part in some forms; a mail address needs a domain with a dot
    // or a bracketed literal.
    let domain = m.email.domain();
    if domain.is_empty() || m.email.user().is_empty() {
        return None;
    }
    Some(m)
}

/// A mailbox as the user sees it in a field: `Name <addr>` or `addr`.
pub fn mailbox_text(m: &Mailbox) -> String {
    m.to_string()
}

/// Formats people (from a parsed message) for an address field.
pub fn people_text(people: &[Person]) -> String {
    people
        .iter()
        .filter_map(|p| {
            let addr = p.address.as_deref()?.trim();
            if addr.is_empty() || has_line_break(addr) {
                return None;
            }
            let name = p.name.as_deref().map(|n| n.replace(['\r', '\n'], " ")).filter(|n| !n.trim().is_empty());
            let mailbox = match name {
                Some(n) => addr.parse().ok().map(|a| Mailbox::new(Some(n), a)),
                None => addr.parse().ok().map(|a| Mailbox::new(None, a)),
            };
            Some(mailbox.map(|m| m.to_string()).unwrap_or_else(|| addr.to_string()))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn content_type(ct: &str) -> ContentType {
    ContentType::parse(ct).unwrap_or(ContentType::parse("application/octet-stream").unwrap_or(ContentType::TEXT_PLAIN))
}

/// A file name safe for a MIME header: no control characters, no path.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).collect::<String>().trim().trim_matches('.').to_string();
    let cleaned: String = cleaned.chars().take(200).collect();
    if cleaned.is_empty() { "attachment".to_string() } else { cleaned }
}

/// Builds the message. Errors are messages for the log: every field was checked before.
pub fn build(d: &Draft, purpose: Purpose) -> Result<Built, String> {
    let mut b = lettre::Message::builder()
        .from(d.from.clone())
        .subject(d.subject.clone())
        .date(d.date)
        .message_id(Some(d.message_id.clone()))
        .user_agent("Facteur".to_string());
    for m in &d.to {
        b = b.to(m.clone());
    }
    for m in &d.cc {
        b = b.cc(m.clone());
    }
    for m in &d.bcc {
        b = b.bcc(m.clone());
    }
    if let Some(irt) = &d.in_reply_to {
        b = b.in_reply_to(irt.clone());
    }
    if !d.references.is_empty() {
        b = b.references(d.references.join(" "));
    }
    if purpose != Purpose::Send {
        b = b.keep_bcc();
    }
    if purpose == Purpose::Draft {
        for (name, value) in &d.draft_headers {
            if !has_line_break(value) {
                b = b.raw_header(HeaderValue::new(HeaderName::new_from_ascii_str(name), value.clone()));
            }
        }
        let envelope = lettre::address::Envelope::new(Some(d.from.email.clone()), vec![d.from.email.clone()])
            .map_err(|e| e.to_string())?;
        b = b.envelope(envelope);
    }
    let body_part = match &d.html {
        Some(html) => Part::Multi(MultiPart::alternative_plain_html(d.text.clone(), html.clone())),
        None => Part::Single(SinglePart::plain(d.text.clone())),
    };
    let message = if d.attachments.is_empty() {
        match body_part {
            Part::Multi(m) => b.multipart(m),
            Part::Single(s) => b.singlepart(s),
        }
    } else {
        let mut mixed = match body_part {
            Part::Multi(m) => MultiPart::mixed().multipart(m),
            Part::Single(s) => MultiPart::mixed().singlepart(s),
        };
        for a in &d.attachments {
            // Base64 whatever the type: a text file's line endings stay as they are.
            let body = Body::new_with_encoding(a.bytes.clone(), ContentTransferEncoding::Base64).unwrap_or_else(Body::new);
            mixed = mixed.singlepart(Attachment::new(clean_file_name(&a.name)).body(body, content_type(&a.content_type)));
        }
        b.multipart(mixed)
    }
    .map_err(|e| e.to_string())?;
    Ok(Built { envelope: message.envelope().clone(), bytes: message.formatted() })
}

enum Part {
    Single(SinglePart),
    Multi(MultiPart),
}

/// The sender's copy of a message built for sending: the same bytes with the Bcc field on top,
/// so the Sent folder shows whom it went to without building (and encoding) it twice.
pub fn with_bcc(sent: &[u8], bcc: &[Mailbox]) -> Vec<u8> {
    if bcc.is_empty() {
        return sent.to_vec();
    }
    let mut headers = lettre::message::header::Headers::new();
    headers.set(lettre::message::header::Bcc::from(lettre::message::Mailboxes::from(bcc.to_vec())));
    let field = headers.to_string();
    let mut out = Vec::with_capacity(field.len() + sent.len());
    out.extend_from_slice(field.as_bytes());
    out.extend_from_slice(sent);
    out
}

/// A new Message-ID for a message from `from`: `<random@domain>`.
pub fn new_message_id(from: &Mailbox) -> anyhow::Result<String> {
    let token = crate::secrets::random_token::<18>()?;
    let domain = from.email.domain();
    let domain = if domain.is_empty() || domain.starts_with('[') { "facteur.invalid" } else { domain };
    Ok(format!("<{token}@{domain}>"))
}

const REPLY_PREFIXES: &[&str] = &["re", "aw", "sv", "antw", "réf", "ref", "rép", "rif", "res", "odp", "vs"];
const FORWARD_PREFIXES: &[&str] = &["fwd", "fw", "tr", "wg", "enc", "rv", "i", "vl", "doorst"];

/// Removes leading prefixes of `kinds` (`Re:`, `RE :`, `Re[2]:`…), repeatedly.
fn strip_prefixes<'a>(mut s: &'a str, kinds: &[&str]) -> &'a str {
    loop {
        let t = s.trim_start();
        let Some(colon) = t.find(':') else { return t };
        let head = t[..colon].trim_end();
        let word = match head.find('[') {
            Some(i) if head.ends_with(']') && head[i + 1..head.len() - 1].chars().all(|c| c.is_ascii_digit()) => &head[..i],
            _ => head,
        };
        if word.is_empty() || !kinds.iter().any(|k| k.eq_ignore_ascii_case(word) || word.to_lowercase() == *k) {
            return t;
        }
        s = &t[colon + 1..];
    }
}

/// `Re: subject`, without stacking prefixes.
pub fn reply_subject(subject: &str, prefix: &str) -> String {
    let rest = strip_prefixes(subject, REPLY_PREFIXES);
    format!("{} {}", prefix.trim(), rest.trim())
}

/// `Fwd: subject`, without stacking prefixes.
pub fn forward_subject(subject: &str, prefix: &str) -> String {
    let rest = strip_prefixes(subject, FORWARD_PREFIXES);
    format!("{} {}", prefix.trim(), rest.trim())
}

/// In-Reply-To and References for a reply to `o` (RFC 5322 3.6.4).
pub fn threading(o: &Original) -> (Option<String>, Vec<String>) {
    let Some(id) = o.message_id.as_deref().map(|i| format!("<{}>", i.trim_matches(['<', '>']))) else {
        return (None, Vec::new());
    };
    let mut refs: Vec<String> = if !o.references.is_empty() {
        o.references.clone()
    } else if o.in_reply_to.len() == 1 {
        o.in_reply_to.clone()
    } else {
        Vec::new()
    };
    refs = refs.into_iter().map(|r| format!("<{}>", r.trim().trim_matches(['<', '>']))).filter(|r| r.len() > 2 && !has_line_break(r)).collect();
    refs.push(id.clone());
    (Some(id), refs)
}

fn key(p: &Person) -> Option<String> {
    p.address.as_deref().map(|a| a.trim().to_lowercase()).filter(|a| !a.is_empty())
}

/// Recipients of a reply: (to, cc). Reply-all adds the other recipients, never `own` addresses.
pub fn reply_recipients(o: &Original, all: bool, own: &HashSet<String>) -> (Vec<Person>, Vec<Person>) {
    let mut seen: HashSet<String> = HashSet::new();
    let from_self = o.from.iter().filter_map(key).any(|a| own.contains(&a));
    let primary: Vec<Person> = if from_self && o.reply_to.is_empty() {
        // Replying to one's own sent message goes to its recipients.
        o.to.clone()
    } else if !o.reply_to.is_empty() {
        o.reply_to.clone()
    } else {
        o.from.clone()
    };
    let mut to = Vec::new();
    for p in primary {
        if let Some(k) = key(&p)
            && seen.insert(k.clone())
            && (!own.contains(&k) || from_self)
        {
            to.push(p);
        }
    }
    let mut cc = Vec::new();
    if all {
        for p in o.to.iter().chain(o.cc.iter()) {
            if let Some(k) = key(p)
                && !own.contains(&k)
                && seen.insert(k)
            {
                cc.push(p.clone());
            }
        }
    }
    (to, cc)
}

/// `> `-quotes `text` for a plain-text reply.
pub fn quote_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for line in text.trim_end().lines() {
        if line.starts_with('>') {
            out.push('>');
        } else {
            out.push_str("> ");
        }
        out.push_str(line.trim_end_matches('\r'));
        out.push('\n');
    }
    out
}

/// The plain-text alternative of sanitized rich text.
pub fn html_to_text(html: &str) -> String {
    mail_parser::decoders::html::html_to_text(html)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: Option<&str>, addr: &str) -> Person {
        Person { name: name.map(str::to_string), address: Some(addr.to_string()) }
    }

    #[test]
    fn address_fields() {
        let ok = parse_addresses(r#""Doe, Jane" <jane@example.test>, bob@example.test; Zoé <zoe@exemple.fr>"#).unwrap();
        assert_eq!(ok.len(), 3);
        assert_eq!(ok[0].email.to_string(), "jane@example.test");
        assert_eq!(ok[0].name.as_deref(), Some("Doe, Jane"));
        assert_eq!(ok[2].name.as_deref(), Some("Zoé"));
        assert!(parse_addresses("").unwrap().is_empty());
        let bad = parse_addresses("bob@example.test, not an address, x@").unwrap_err();
        assert_eq!(bad, vec!["not an address".to_string(), "x@".to_string()]);
        assert!(parse_addresses("a@example.test\r\nBcc: victim@example.test").is_err());
    }

    #[test]
    fn subjects_do_not_stack() {
        assert_eq!(reply_subject("Hello", "Re:"), "Re: Hello");
        assert_eq!(reply_subject("Re: Hello", "Re:"), "Re: Hello");
        assert_eq!(reply_subject("RE : Re[2]: AW: Hello", "Re :"), "Re : Hello");
        assert_eq!(reply_subject("Fwd: Hello", "Re:"), "Re: Fwd: Hello");
        assert_eq!(forward_subject("Fwd: Fw: TR : Hello", "Fwd:"), "Fwd: Hello");
        assert_eq!(forward_subject("Meeting: notes", "Fwd:"), "Fwd: Meeting: notes");
        assert_eq!(reply_subject("", "Re:"), "Re: ");
    }

    #[test]
    fn threading_headers() {
        let o = Original {
            message_id: Some("c@x".into()),
            references: vec!["a@x".into(), "b@x".into()],
            ..Default::default()
        };
        let (irt, refs) = threading(&o);
        assert_eq!(irt.as_deref(), Some("<c@x>"));
        assert_eq!(refs, vec!["<a@x>", "<b@x>", "<c@x>"]);
        let o = Original { message_id: Some("c@x".into()), in_reply_to: vec!["b@x".into()], ..Default::default() };
        assert_eq!(threading(&o).1, vec!["<b@x>", "<c@x>"]);
        assert_eq!(threading(&Original::default()), (None, vec![]));
    }

    #[test]
    fn reply_all_leaves_out_own_addresses() {
        let o = Original {
            from: vec![person(Some("Bob"), "bob@x.test")],
            to: vec![person(None, "me@x.test"), person(None, "carol@x.test")],
            cc: vec![person(None, "ME@x.test"), person(None, "dave@x.test"), person(None, "bob@x.test")],
            ..Default::default()
        };
        let own: HashSet<String> = ["me@x.test".to_string()].into();
        let (to, cc) = reply_recipients(&o, true, &own);
        assert_eq!(to, vec![person(Some("Bob"), "bob@x.test")]);
        assert_eq!(cc.iter().map(|p| p.address.clone().unwrap()).collect::<Vec<_>>(), vec!["carol@x.test", "dave@x.test"]);
        let (to, cc) = reply_recipients(&o, false, &own);
        assert_eq!(to.len(), 1);
        assert!(cc.is_empty());
        let o = Original { reply_to: vec![person(None, "list@x.test")], ..o };
        assert_eq!(reply_recipients(&o, false, &own).0, vec![person(None, "list@x.test")]);
    }

    #[test]
    fn built_message_is_ascii_and_keeps_bcc_only_when_stored() {
        let from: Mailbox = "Zoé <zoe@example.test>".parse().unwrap();
        let d = Draft {
            message_id: new_message_id(&from).unwrap(),
            from,
            to: vec!["bob@example.test".parse().unwrap()],
            cc: vec![],
            bcc: vec!["hidden@example.test".parse().unwrap()],
            subject: "Café ☕".into(),
            text: "Bonjour à tous\n".into(),
            html: None,
            in_reply_to: Some("<a@x>".into()),
            references: vec!["<a@x>".into()],
            date: std::time::SystemTime::now(),
            attachments: vec![
                FileAttachment { name: "../rapport été.pdf".into(), content_type: "application/pdf".into(), bytes: vec![0, 1, 2, 255] },
                FileAttachment { name: "unix.txt".into(), content_type: "text/plain".into(), bytes: b"a\nb\n".to_vec() },
            ],
            draft_headers: vec![("X-Facteur-Origin", "answered 1 2 INBOX".into())],
        };
        let sent = build(&d, Purpose::Send).unwrap();
        assert!(sent.bytes.is_ascii());
        let text = String::from_utf8(sent.bytes.clone()).unwrap();
        assert!(!text.contains("hidden@example.test"));
        assert!(!text.contains("X-Facteur-Origin"));
        assert!(text.contains("In-Reply-To: <a@x>"));
        assert_eq!(sent.envelope.to().len(), 2);
        let copy = with_bcc(&sent.bytes, &["Zoé Bcc <hidden@example.test>".parse().unwrap(), "b2@example.test".parse().unwrap()]);
        let parsed_copy = crate::mail::mime::original(&copy).unwrap();
        assert_eq!(parsed_copy.bcc.len(), 2);
        assert_eq!(parsed_copy.bcc[0].name.as_deref(), Some("Zoé Bcc"));
        assert_eq!(parsed_copy.attachments.len(), 2);
        assert!(copy.is_ascii());
        let draft = String::from_utf8(build(&d, Purpose::Draft).unwrap().bytes).unwrap();
        assert!(draft.contains("X-Facteur-Origin: answered 1 2 INBOX"));
        assert!(draft.contains("hidden@example.test"), "drafts keep Bcc");
        let parsed = crate::mail::mime::original(&sent.bytes).unwrap();
        assert_eq!(parsed.subject, "Café ☕");
        assert_eq!(parsed.attachments.len(), 2);
        assert_eq!(parsed.attachments[0].name, "rapport été.pdf");
        assert_eq!(parsed.attachments[0].bytes, vec![0, 1, 2, 255]);
        assert_eq!(parsed.attachments[1].bytes, b"a\nb\n", "line endings of text files are kept");
        // A draft needs no recipient.
        let empty = Draft { to: vec![], bcc: vec![], ..d };
        assert!(build(&empty, Purpose::Draft).is_ok());
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_text("a\n> b\n\n"), "> a\n>> b\n");
    }
}
