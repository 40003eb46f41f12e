//! The personal namespace (RFC 2342): where the user's own folders live and how their names
//! are separated. Dovecot usually says `(("" "/"))`; Courier and some Cyrus set-ups say
//! `(("INBOX." "."))`, and refuse folders created outside it.
//!
//! imap-proto cannot parse a NAMESPACE reply: it is read by [`super::raw`], right after login.

use std::time::Duration;

use super::connect::ImapSession;
use super::raw::{self, Token};
use super::wire::timed;
use crate::mail::MailError;

/// The user's personal namespace.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Namespace {
    /// Prefix of the user's folders, as the server spells it (`INBOX.`, or empty).
    pub prefix: String,
    /// The hierarchy separator, when the server has one.
    pub separator: Option<String>,
}

impl Namespace {
    /// The full name (UTF-8) of a top-level folder of the user called `name`.
    pub fn folder(&self, name: &str) -> String {
        let prefix = crate::mail::utf7::decode(&self.prefix).unwrap_or_else(|| self.prefix.clone());
        format!("{prefix}{name}")
    }
}

/// Asks for the namespaces and returns the personal one (the first of the first group).
/// `Ok(None)`: the server has no personal namespace or refused the command.
pub(super) async fn personal(session: &mut ImapSession, timeout: Duration) -> Result<Option<Namespace>, MailError> {
    let (replies, status) = timed(timeout, raw::exchange(session, "fxns", "NAMESPACE")).await?;
    if status != raw::Status::Ok {
        return Ok(None);
    }
    Ok(replies.iter().find_map(|r| match r.split_first() {
        Some((first, rest)) if first.is("NAMESPACE") => parse(rest),
        _ => None,
    }))
}

/// The personal namespace of a NAMESPACE reply (the tokens after `NAMESPACE`).
fn parse(tokens: &[Token]) -> Option<Namespace> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    match tokens {
        [Token::Open, Token::Open, Token::Str(prefix), sep, ..] => Some(Namespace {
            prefix: text(prefix),
            separator: match sep {
                Token::Str(s) => Some(text(s)),
                _ => None,
            },
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<Namespace> {
        parse(&raw::tokens(s.as_bytes()))
    }

    #[test]
    fn the_personal_namespace_is_read() {
        assert_eq!(
            p(r##"(("INBOX." ".")) NIL (("#shared." "." "X-PARAM" ("flag1")))"##),
            Some(Namespace { prefix: "INBOX.".into(), separator: Some(".".into()) })
        );
        assert_eq!(p(r#"(("" "/")) NIL NIL"#), Some(Namespace { prefix: String::new(), separator: Some("/".into()) }));
        assert_eq!(p(r#"(("" NIL)) NIL NIL"#), Some(Namespace { prefix: String::new(), separator: None }));
        assert_eq!(p(r#"(("\\\"odd" "/"))"#).map(|n| n.prefix), Some("\\\"odd".into()));
        assert_eq!(p("NIL NIL NIL"), None);
        assert_eq!(p("((\"\" {1}\r\n.))").map(|n| n.separator), Some(Some(".".into())));
        assert_eq!(p(""), None);
        let ns = Namespace { prefix: "INBOX.".into(), separator: Some(".".into()) };
        assert_eq!(ns.folder("Trash"), "INBOX.Trash");
    }
}
