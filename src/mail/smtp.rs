//! Sending through the user's own SMTP submission server, with their own credentials.
//!
//! A transport is built per send (one TLS handshake, about a millisecond on a LAN) rather than
//! pooled: lettre's pool is for one fixed relay and fixed credentials. lettre's own timeout
//! only bounds connecting, so the whole send is also bounded here.

use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials as SmtpCredentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::{Security, Upstream};
use crate::mail::Credentials;

/// Why a message was not sent, grouped by what the user can do about it.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The server could not be reached.
    #[error("cannot reach the SMTP server: {0}")]
    Connect(String),
    #[error("the SMTP server did not answer in time")]
    Timeout,
    /// The server refused the login.
    #[error("the SMTP server refused the login")]
    Auth,
    /// The server refused the message or a recipient (5xx): retrying as is will not help.
    #[error("the SMTP server refused the message: {0}")]
    Rejected(String),
    /// A temporary refusal (4xx): retrying later may help.
    #[error("the SMTP server could not take the message now: {0}")]
    Deferred(String),
}

#[derive(Clone)]
pub struct Smtp {
    upstream: Upstream,
    extra_ca_pem: Option<Vec<u8>>,
    timeout: Duration,
}

impl Smtp {
    pub fn new(upstream: Upstream, extra_ca_pem: Option<Vec<u8>>, timeout: Duration) -> Self {
        Self { upstream, extra_ca_pem, timeout }
    }

    fn tls_parameters(&self) -> Result<TlsParameters, SendError> {
        let mut b = TlsParameters::builder(self.upstream.host.clone());
        if let Some(pem) = &self.extra_ca_pem {
            let cert = Certificate::from_pem(pem).map_err(|e| SendError::Connect(format!("CA file: {e}")))?;
            b = b.add_root_certificate(cert);
        }
        b.build_rustls().map_err(|e| SendError::Connect(e.to_string()))
    }

    fn transport(&self, creds: &Credentials) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
        let tls = match self.upstream.security {
            Security::Tls => Tls::Wrapper(self.tls_parameters()?),
            Security::StartTls => Tls::Required(self.tls_parameters()?),
            Security::Plain => Tls::None,
        };
        Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.upstream.host.clone())
            .port(self.upstream.port)
            .tls(tls)
            .credentials(SmtpCredentials::new(creds.username.clone(), creds.password.expose().to_string()))
            .authentication(vec![Mechanism::Plain, Mechanism::Login])
            .timeout(Some(self.timeout))
            .build())
    }

    /// Sends `message` (RFC 5322 bytes) to the envelope's recipients.
    pub async fn send(&self, creds: &Credentials, envelope: &lettre::address::Envelope, message: &[u8]) -> Result<(), SendError> {
        let transport = self.transport(creds)?;
        // Connect, greet, authenticate, and each recipient and the data: bounded as a whole,
        // generously for large messages on slow links.
        let budget = self.timeout + Duration::from_secs((message.len() / (256 * 1024)) as u64);
        match tokio::time::timeout(budget, transport.send_raw(envelope, message)).await {
            Err(_) => Err(SendError::Timeout),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(classify(&e)),
        }
    }
}

fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    let text = e.to_string();
    if e.is_timeout() {
        return SendError::Timeout;
    }
    if let Some(code) = e.status() {
        let c = code.to_string();
        if c == "535" || c == "534" || c == "530" {
            return SendError::Auth;
        }
        if e.is_transient() {
            return SendError::Deferred(text);
        }
        return SendError::Rejected(text);
    }
    if e.is_permanent() {
        return SendError::Rejected(text);
    }
    if e.is_transient() {
        return SendError::Deferred(text);
    }
    SendError::Connect(text)
}
