//! Everything that speaks to mail servers or reads mail: IMAP sessions, MIME, sanitizing.
//! Knows nothing of HTTP or of the database.

pub mod actions;
pub mod compose;
pub mod conversation;
pub mod imap;
pub mod mbox;
pub mod mime;
pub mod model;
pub mod reply;
pub mod rules;
pub mod sanitize;
pub mod search;
pub mod send;
pub mod sieve;
pub mod smtp;
pub mod utf7;

use crate::config::{Secret, Servers};

/// What a user logged in with, and where their mail lives. The password only lives in memory
/// here and, encrypted, in the session store.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub username: String,
    pub password: Secret,
    pub servers: Servers,
    /// Where the user's request came from, told to the IMAP server before logging in.
    pub origin: Option<Origin>,
}

/// The browser's address and the request's id, passed to the IMAP server with `ID` (RFC 2971:
/// `x-originating-ip`, `x-originating-port`, `x-session-ext-id`). A server that trusts
/// Facteur's address (Dovecot's `login_trusted_networks`) then logs, rate-limits and bans the
/// user's address rather than Facteur's; any other ignores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub ip: std::net::IpAddr,
    pub port: Option<u16>,
    /// The request id, so that Facteur's log lines and the server's can be joined.
    pub session: String,
}

/// Mail-side failures, grouped by what the user can do about them.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The server could not be reached (DNS, refused, TLS handshake).
    #[error("cannot reach the mail server: {0}")]
    Connect(String),
    /// The server answered too slowly.
    #[error("the mail server did not answer in time")]
    Timeout,
    /// Wrong user name or password.
    #[error("the mail server refused the login")]
    Auth,
    /// A command was refused (NO); the connection is still good.
    #[error("the mail server refused: {0}")]
    No(String),
    /// The connection broke or the server said something we could not read.
    #[error("mail server protocol error: {0}")]
    Protocol(String),
    /// No such folder or message (or the folder's UIDVALIDITY changed).
    #[error("not found")]
    NotFound,
    /// The server refused a connection for a limit on connections (per user and address,
    /// or per address): `NO [LIMIT]` at login, or a connection closed before its greeting.
    #[error("too many connections to the mail server: {0}")]
    Limit(String),
}

/// What the server said when it refused, without async-imap's wrapping
/// (`code: None, info: Some("…")`), so that it can be shown to the user.
pub fn refusal_text(s: &str) -> String {
    let Some((_, info)) = s.split_once("info: Some(\"") else {
        return s.trim_start_matches("code: None, info: None").to_string();
    };
    let info = info.strip_suffix("\")").unwrap_or(info);
    info.replace("\\\"", "\"").replace("\\\\", "\\")
}

/// A server's refusal as a person reads it: without a leading response code
/// (`[OVERQUOTA] Quota exceeded` → `Quota exceeded`).
/// Also without the timing Dovecot adds (`Permission denied (0.001 + 0.000 secs).`) and the
/// final full stop, so that it reads well inside a sentence of ours.
pub fn plain_reason(s: &str) -> &str {
    let s = match s.trim_start().strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((_, rest)) if !rest.trim().is_empty() => rest.trim(),
        _ => s.trim(),
    };
    let s = match s.rfind(" (") {
        Some(i) if s[i..].trim_end_matches('.').ends_with("secs)") => &s[..i],
        _ => s,
    };
    s.trim_end_matches('.')
}

/// Whether a refusal is for the mailbox's size limit: RFC 9208's `[OVERQUOTA]` (Dovecot,
/// Cyrus), or the words of servers that give no code (Courier-IMAP: `[ALERT] You exceeded
/// your mail quota.`).
pub fn is_over_quota(reason: &str) -> bool {
    let r = reason.to_ascii_lowercase();
    r.contains("[overquota]") || r.contains("quota")
}

impl MailError {
    /// After this error the connection cannot be trusted any more and must be replaced.
    pub fn breaks_connection(&self) -> bool {
        matches!(self, Self::Connect(_) | Self::Timeout | Self::Protocol(_))
    }
}

impl From<async_imap::error::Error> for MailError {
    fn from(e: async_imap::error::Error) -> Self {
        use async_imap::error::Error as E;
        match e {
            E::No(s) => Self::No(refusal_text(&s)),
            E::Bad(s) => Self::Protocol(format!("BAD {s}")),
            E::Io(e) => Self::Protocol(format!("i/o: {e}")),
            E::ConnectionLost => Self::Protocol("connection lost".into()),
            E::Validate(v) => Self::No(format!("invalid argument: {v}")),
            other => Self::Protocol(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn refusals_read_as_the_server_meant_them() {
        let wrapped = r#"code: None, info: Some("[NOPERM] Permission denied (0.001 + 0.000 + 0.001 secs).")"#;
        let text = super::refusal_text(wrapped);
        assert_eq!(text, "[NOPERM] Permission denied (0.001 + 0.000 + 0.001 secs).");
        assert_eq!(super::plain_reason(&text), "Permission denied");
        assert_eq!(super::plain_reason("Invalid mailbox name."), "Invalid mailbox name");
        assert_eq!(super::plain_reason("[OVERQUOTA] Quota exceeded (mailbox for user is full)"), "Quota exceeded (mailbox for user is full)");
        assert_eq!(super::plain_reason("[LIMIT]"), "[LIMIT]");
    }
}
