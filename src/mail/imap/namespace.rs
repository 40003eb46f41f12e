//! The personal namespace (RFC 2342): where the user's own folders live and how their names
//! are separated. Dovecot usually says `(("" "/"))`; Courier and some Cyrus set-ups say
//! `(("INBOX." "."))`, and refuse folders created outside it.
//!
//! imap-proto cannot parse a NAMESPACE reply, and async-imap drops a connection whose reply it
//! cannot parse; so this one command is written and read on the raw stream, right after
//! login, when nothing else is in flight.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::connect::ImapSession;
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

/// Longest NAMESPACE exchange read before giving up (a reply is usually under 100 bytes).
const MAX_REPLY: usize = 16 * 1024;

/// Asks for the namespaces and returns the personal one (the first of the first group).
/// `Ok(None)`: the server has no personal namespace or refused the command.
pub(super) async fn personal(session: &mut ImapSession, timeout: Duration) -> Result<Option<Namespace>, MailError> {
    timed(timeout, exchange(session)).await
}

async fn exchange(session: &mut ImapSession) -> Result<Option<Namespace>, MailError> {
    const TAG: &str = "fxns";
    let stream = session.get_mut();
    stream.write_all(format!("{TAG} NAMESPACE\r\n").as_bytes()).await.map_err(io)?;
    stream.flush().await.map_err(io)?;
    let mut found = None;
    let mut total = 0;
    loop {
        // Byte by byte, so that nothing after the tagged reply is taken from async-imap.
        let mut line = Vec::with_capacity(128);
        while !line.ends_with(b"\r\n") {
            let b = stream.read_u8().await.map_err(io)?;
            line.push(b);
            total += 1;
            if total > MAX_REPLY {
                return Err(MailError::Protocol("NAMESPACE reply too long".into()));
            }
        }
        let text = String::from_utf8_lossy(&line);
        if let Some(rest) = text.strip_prefix("* NAMESPACE ").or_else(|| text.strip_prefix("* namespace ")) {
            found = parse(rest.trim_end());
        } else if let Some(status) = text.strip_prefix(TAG).map(str::trim_start) {
            let ok = status.get(..2).is_some_and(|s| s.eq_ignore_ascii_case("OK"));
            return Ok(if ok { found } else { None });
        }
    }
}

fn io(e: std::io::Error) -> MailError {
    MailError::Protocol(format!("i/o: {e}"))
}

#[derive(Debug, PartialEq)]
enum Token {
    Open,
    Close,
    Nil,
    /// A quoted string.
    Str(String),
    /// Any other atom (a literal's `{6}` among them: not read here).
    Atom(String),
}

fn tokens(s: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '(' => out.push(Token::Open),
            ')' => out.push(Token::Close),
            '"' => {
                let mut v = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => v.extend(chars.next()),
                        '"' => break,
                        c => v.push(c),
                    }
                }
                out.push(Token::Str(v));
            }
            c if c.is_whitespace() => {}
            c => {
                let mut atom = String::from(c);
                while let Some(&n) = chars.peek() {
                    if n.is_whitespace() || n == '(' || n == ')' {
                        break;
                    }
                    atom.push(n);
                    chars.next();
                }
                out.push(if atom.eq_ignore_ascii_case("NIL") { Token::Nil } else { Token::Atom(atom) });
            }
        }
    }
    out
}

/// The personal namespace of a NAMESPACE reply (after `* NAMESPACE `).
fn parse(s: &str) -> Option<Namespace> {
    match &tokens(s)[..] {
        [Token::Open, Token::Open, Token::Str(prefix), sep, ..] => Some(Namespace {
            prefix: prefix.clone(),
            separator: match sep {
                Token::Str(s) => Some(s.clone()),
                _ => None,
            },
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_personal_namespace_is_read() {
        assert_eq!(
            parse(r##"(("INBOX." ".")) NIL (("#shared." "." "X-PARAM" ("flag1")))"##),
            Some(Namespace { prefix: "INBOX.".into(), separator: Some(".".into()) })
        );
        assert_eq!(parse(r#"(("" "/")) NIL NIL"#), Some(Namespace { prefix: String::new(), separator: Some("/".into()) }));
        assert_eq!(parse(r#"(("" NIL)) NIL NIL"#), Some(Namespace { prefix: String::new(), separator: None }));
        assert_eq!(parse(r#"(("\\\"odd" "/"))"#).map(|n| n.prefix), Some("\\\"odd".into()));
        assert_eq!(parse("NIL NIL NIL"), None);
        // A prefix sent as a literal is not read; better no prefix than "{6}".
        assert_eq!(parse("(({6}"), None);
        assert_eq!(parse(""), None);
        let ns = Namespace { prefix: "INBOX.".into(), separator: Some(".".into()) };
        assert_eq!(ns.folder("Trash"), "INBOX.Trash");
    }
}
