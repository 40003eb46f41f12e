//! Everything that speaks to mail servers or reads mail: IMAP sessions, MIME, sanitizing.
//! Knows nothing of HTTP or of the database.

pub mod actions;
pub mod compose;
pub mod imap;
pub mod mime;
pub mod model;
pub mod reply;
pub mod sanitize;
pub mod send;
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
            E::No(s) => Self::No(s),
            E::Bad(s) => Self::Protocol(format!("BAD {s}")),
            E::Io(e) => Self::Protocol(format!("i/o: {e}")),
            E::ConnectionLost => Self::Protocol("connection lost".into()),
            E::Validate(v) => Self::No(format!("invalid argument: {v}")),
            other => Self::Protocol(other.to_string()),
        }
    }
}
