//! Errors at the HTTP edge. Handlers return [`AppError`]; a middleware that knows the request
//! (language, request id) turns it into a friendly page. Details go to the log once.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::mail::MailError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    NotFound,
    /// A message that was there: deleted or moved, often by another mail app.
    MessageGone,
    BadRequest,
    Forbidden,
    MailUnavailable,
    MailTimeout,
    MailRefused,
    /// The mail server refused one more connection (a limit per user or per address).
    MailBusy,
    /// The mail server no longer accepts the stored credentials (password changed elsewhere):
    /// the session ends and the user signs in again.
    Reauth,
    /// Facteur's own database does not answer (restarting, failing over): nothing the user
    /// did, and over in a moment.
    StoreUnavailable,
    Internal,
}

impl ErrorKind {
    /// One word for scripts (the `error` of a JSON error).
    pub fn key(self) -> &'static str {
        match self {
            Self::NotFound => "not-found",
            Self::MessageGone => "gone",
            Self::BadRequest => "bad-request",
            Self::Forbidden => "forbidden",
            Self::MailUnavailable => "mail-unavailable",
            Self::MailTimeout => "mail-timeout",
            Self::MailRefused => "mail-refused",
            Self::MailBusy => "mail-busy",
            Self::Reauth => "reauth",
            Self::StoreUnavailable => "store-unavailable",
            Self::Internal => "internal",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Self::NotFound | Self::MessageGone => StatusCode::NOT_FOUND,
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::MailUnavailable | Self::MailRefused => StatusCode::BAD_GATEWAY,
            Self::MailTimeout => StatusCode::GATEWAY_TIMEOUT,
            Self::MailBusy | Self::StoreUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Reauth => StatusCode::UNAUTHORIZED,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

#[derive(Debug)]
pub struct AppError {
    pub kind: ErrorKind,
    detail: String,
    /// What the mail server said when it refused (its own words, shown to the user).
    server_said: Option<String>,
}

impl AppError {
    pub fn new(kind: ErrorKind, detail: impl Into<String>) -> Self {
        Self { kind, detail: detail.into(), server_said: None }
    }
    pub fn not_found() -> Self {
        Self::new(ErrorKind::NotFound, "")
    }
    /// For message routes: a missing message was most likely deleted or moved elsewhere.
    pub fn gone_if_missing(e: MailError) -> Self {
        match e {
            MailError::NotFound => Self::new(ErrorKind::MessageGone, ""),
            e => e.into(),
        }
    }

    pub fn forbidden(detail: &str) -> Self {
        Self::new(ErrorKind::Forbidden, detail)
    }
}

impl From<MailError> for AppError {
    fn from(e: MailError) -> Self {
        let kind = match &e {
            MailError::NotFound => ErrorKind::NotFound,
            MailError::Connect(_) | MailError::Protocol(_) => ErrorKind::MailUnavailable,
            MailError::Timeout => ErrorKind::MailTimeout,
            MailError::No(_) => ErrorKind::MailRefused,
            MailError::Limit(_) => ErrorKind::MailBusy,
            MailError::Auth => ErrorKind::Reauth,
        };
        let server_said = match &e {
            MailError::No(text) if !text.is_empty() => Some(crate::mail::plain_reason(text).to_string()),
            _ => None,
        };
        Self { server_said, ..Self::new(kind, e.to_string()) }
    }
}

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        let out_of_reach = e.chain().any(|c| match c.downcast_ref::<crate::store::StoreError>() {
            Some(crate::store::StoreError::Query(q)) => unreachable(q),
            _ => c.downcast_ref::<sqlx::Error>().is_some_and(unreachable),
        });
        Self::new(if out_of_reach { ErrorKind::StoreUnavailable } else { ErrorKind::Internal }, format!("{e:#}"))
    }
}

/// Facteur's own data failed: the database out of reach is a passing state (a restart, a
/// failover) and says so; anything else is an internal error, its detail logged once with the
/// response.
impl From<crate::store::StoreError> for AppError {
    fn from(e: crate::store::StoreError) -> Self {
        let kind = match &e {
            crate::store::StoreError::Query(q) if unreachable(q) => ErrorKind::StoreUnavailable,
            _ => ErrorKind::Internal,
        };
        Self::new(kind, e.to_string())
    }
}

/// Whether a database error means the server is out of reach rather than the query wrong:
/// no connection to be had, a connection broken, or the server shutting down or starting
/// (SQLSTATE classes 08 and 57P).
fn unreachable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P")),
        _ => false,
    }
}

/// The session store is the database: when it fails, it is out of reach (its errors carry
/// only text).
impl From<tower_sessions::session::Error> for AppError {
    fn from(e: tower_sessions::session::Error) -> Self {
        Self::new(ErrorKind::StoreUnavailable, format!("session store: {e}"))
    }
}

/// Marker put on error responses; the error-page middleware renders the body.
#[derive(Clone, Copy, Debug)]
pub struct ErrorMarker(pub ErrorKind);

/// The mail server's own words for a refusal, put on the response next to [`ErrorMarker`].
#[derive(Clone, Debug)]
pub struct ServerSaid(pub String);

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self.kind {
            ErrorKind::Internal => tracing::error!(detail = %self.detail, "request failed"),
            ErrorKind::StoreUnavailable => tracing::warn!(detail = %self.detail, "database unavailable"),
            ErrorKind::MailUnavailable | ErrorKind::MailTimeout | ErrorKind::MailRefused | ErrorKind::MailBusy => {
                tracing::warn!(detail = %self.detail, "mail server problem")
            }
            _ => tracing::debug!(kind = ?self.kind, detail = %self.detail, "request refused"),
        }
        let mut r = self.kind.status().into_response();
        r.extensions_mut().insert(ErrorMarker(self.kind));
        if let Some(text) = self.server_said {
            r.extensions_mut().insert(ServerSaid(text));
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_failure_is_an_internal_error() {
        let e: AppError = crate::store::StoreError::Url("expected sqlite: or postgres://".into()).into();
        assert_eq!(e.kind, ErrorKind::Internal);
        assert_eq!(e.detail, "database URL: expected sqlite: or postgres://");
    }

    #[test]
    fn a_database_out_of_reach_is_a_passing_unavailability() {
        for q in [sqlx::Error::PoolTimedOut, sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))] {
            let e: AppError = crate::store::StoreError::Query(q).into();
            assert_eq!(e.kind, ErrorKind::StoreUnavailable);
            assert_eq!(e.kind.status(), StatusCode::SERVICE_UNAVAILABLE);
        }
        let e: AppError = crate::store::StoreError::Query(sqlx::Error::RowNotFound).into();
        assert_eq!(e.kind, ErrorKind::Internal);
        let e: AppError = tower_sessions::session::Error::Store(tower_sessions::session_store::Error::Backend("closed".into())).into();
        assert_eq!(e.kind, ErrorKind::StoreUnavailable);
    }
}
