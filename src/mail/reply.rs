//! Starting a message from another one: reply, reply to all, forward (inline or as an
//! attachment), or continue a saved draft. Pure: the caller fetched the original and adds
//! what depends on the user (sender address, signature, wording of the quote header).

use std::collections::HashSet;

use super::compose::{self, FileAttachment};
use super::mime::{Original, Person};
use super::model::MessageRef;
use super::send::{DraftVersion, Origin};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Reply,
    ReplyAll,
    /// Forward with the text quoted and the attachments carried over.
    Forward,
    /// Forward the whole message as a `message/rfc822` attachment.
    ForwardAttached,
    /// Continue a saved draft.
    Resume,
}

impl Mode {
    /// The `mode` of a compose link: reply, all, forward, attach, draft.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "reply" => Self::Reply,
            "all" => Self::ReplyAll,
            "forward" => Self::Forward,
            "attach" => Self::ForwardAttached,
            "draft" => Self::Resume,
            _ => return None,
        })
    }
}

/// The message being started, before the user touches it.
#[derive(Debug, Default)]
pub struct Started {
    pub to: Vec<Person>,
    pub cc: Vec<Person>,
    pub bcc: Vec<Person>,
    pub subject: String,
    /// For a reply, the original's text, `> `-quoted; for a resumed draft, its text.
    pub text: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub origin: Option<Origin>,
    pub attachments: Vec<FileAttachment>,
    /// Addresses the original was written to (to pick the sender address of a reply), or for
    /// a draft, its From.
    pub addressed_to: HashSet<String>,
    /// The draft this one replaces when saved again (only drafts in the Drafts folder).
    pub replaces: Option<DraftVersion>,
}

/// Subject prefixes in the user's language.
pub struct Prefixes<'a> {
    pub reply: &'a str,
    pub forward: &'a str,
}

/// Starts a message in `mode` from `original` (`raw`: its bytes, for forwarding as an
/// attachment), found at `at`. `own`: the user's addresses, never replied to.
/// `in_drafts`: `at` is in the Drafts folder.
pub fn start(mode: Mode, raw: &[u8], o: &Original, at: MessageRef, own: &HashSet<String>, prefixes: &Prefixes<'_>, in_drafts: bool) -> Started {
    let mut s = Started::default();
    match mode {
        Mode::Reply | Mode::ReplyAll => {
            let (to, cc) = compose::reply_recipients(o, mode == Mode::ReplyAll, own);
            (s.to, s.cc) = (to, cc);
            s.subject = compose::reply_subject(&o.subject, prefixes.reply);
            (s.in_reply_to, s.references) = compose::threading(o);
            s.text = compose::quote_text(&o.text);
            s.addressed_to = addressed_to(o);
            s.origin = Some(Origin::answered(at));
        }
        Mode::Forward | Mode::ForwardAttached => {
            s.subject = compose::forward_subject(&o.subject, prefixes.forward);
            s.addressed_to = addressed_to(o);
            s.attachments = if mode == Mode::Forward {
                carried(o)
            } else {
                let name = format!("{}.eml", if o.subject.is_empty() { "message" } else { o.subject.as_str() });
                vec![FileAttachment { name, content_type: "message/rfc822".into(), bytes: raw.to_vec() }]
            };
            s.origin = Some(Origin::forwarded(at));
        }
        Mode::Resume => {
            (s.to, s.cc, s.bcc) = (o.to.clone(), o.cc.clone(), o.bcc.clone());
            s.subject = o.subject.clone();
            s.text = o.text.trim_end_matches('\n').to_string();
            let bracket = |i: &String| format!("<{}>", i.trim_matches(['<', '>']));
            s.in_reply_to = o.in_reply_to.first().map(bracket);
            s.references = o.references.iter().map(bracket).collect();
            s.addressed_to = o.from.iter().filter_map(|p| p.address.as_deref().map(str::to_lowercase)).take(1).collect();
            s.origin = o
                .facteur_headers
                .iter()
                .filter(|(name, _)| name.eq_ignore_ascii_case(ORIGIN_HEADER))
                .find_map(|(_, value)| Origin::parse(value));
            s.attachments = carried(o);
            // Only a draft in the Drafts folder is replaced by the next save.
            s.replaces = in_drafts.then_some((at.uidvalidity, at.uid));
        }
    }
    s
}

/// The original's attachments, for a forward or a resumed draft.
fn carried(o: &Original) -> Vec<FileAttachment> {
    o.attachments.iter().map(|a| FileAttachment { name: a.name.clone(), content_type: a.content_type.clone(), bytes: a.bytes.clone() }).collect()
}

/// The header a saved draft keeps its [`Origin`] in.
pub const ORIGIN_HEADER: &str = "X-Facteur-Origin";

/// Every address the original was delivered or written to, lower case.
fn addressed_to(o: &Original) -> HashSet<String> {
    o.to.iter()
        .chain(o.cc.iter())
        .filter_map(|p| p.address.as_deref().map(str::to_lowercase))
        .chain(o.delivered_to.iter().map(|a| a.to_lowercase()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mail::model::{Flag, Uid, UidValidity};

    const ORIGINAL: &[u8] = b"From: Ann <ann@example.test>\r\nTo: me@example.test, bob@example.test\r\nSubject: Plans\r\nMessage-ID: <1@example.test>\r\nX-Facteur-Origin: answered 3 9 INBOX\r\n\r\nSee you.\r\n";

    fn at() -> MessageRef {
        MessageRef::new("INBOX", UidValidity(5), Uid(7))
    }

    #[test]
    fn a_reply_to_all_leaves_out_the_user_and_threads() {
        let o = crate::mail::mime::original(ORIGINAL).unwrap();
        let own: HashSet<String> = ["me@example.test".to_string()].into();
        let s = start(Mode::ReplyAll, ORIGINAL, &o, at(), &own, &Prefixes { reply: "Re:", forward: "Fwd:" }, false);
        assert_eq!(s.subject, "Re: Plans");
        assert_eq!(s.to.iter().filter_map(|p| p.address.clone()).collect::<Vec<_>>(), ["ann@example.test"]);
        assert_eq!(s.cc.iter().filter_map(|p| p.address.clone()).collect::<Vec<_>>(), ["bob@example.test"]);
        assert_eq!(s.in_reply_to.as_deref(), Some("<1@example.test>"));
        assert_eq!(s.text, "> See you.\n");
        assert!(s.addressed_to.contains("me@example.test"));
        assert_eq!(s.origin, Some(Origin::answered(at())));
    }

    #[test]
    fn forwarding_as_an_attachment_carries_the_whole_message() {
        let o = crate::mail::mime::original(ORIGINAL).unwrap();
        let s = start(Mode::ForwardAttached, ORIGINAL, &o, at(), &HashSet::new(), &Prefixes { reply: "Re:", forward: "Fwd:" }, false);
        assert_eq!(s.subject, "Fwd: Plans");
        assert_eq!(s.attachments.len(), 1);
        assert_eq!(s.attachments[0].name, "Plans.eml");
        assert_eq!(s.attachments[0].bytes, ORIGINAL);
        assert_eq!(s.origin.map(|o| o.flag), Some(Flag::Forwarded));
    }

    #[test]
    fn a_resumed_draft_keeps_its_origin_and_is_replaced_only_in_drafts() {
        let o = crate::mail::mime::original(ORIGINAL).unwrap();
        let p = Prefixes { reply: "Re:", forward: "Fwd:" };
        let s = start(Mode::Resume, ORIGINAL, &o, at(), &HashSet::new(), &p, true);
        assert_eq!(s.origin, Origin::parse("answered 3 9 INBOX"));
        assert_eq!(s.replaces, Some((UidValidity(5), Uid(7))));
        assert!(s.addressed_to.contains("ann@example.test"));
        assert_eq!(start(Mode::Resume, ORIGINAL, &o, at(), &HashSet::new(), &p, false).replaces, None);
        assert_eq!(Mode::parse("all"), Some(Mode::ReplyAll));
        assert_eq!(Mode::parse("x"), None);
    }
}
