//! Opening an authenticated IMAP session: TCP, implicit TLS or STARTTLS, greeting, LOGIN or
//! AUTHENTICATE PLAIN. Every step is bounded by the connect timeout (the login also by the
//! longest delay a server puts on it on purpose).

use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use async_imap::{Client, Session};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::config::{Security, Upstream};
use crate::mail::{Credentials, MailError};

/// The longest a server delays a login after failed ones (Dovecot's auth penalty).
const AUTH_PENALTY_MAX: Duration = Duration::from_secs(15);

/// The byte stream under an IMAP session: plain TCP (loopback only) or TLS.
#[derive(Debug)]
pub enum ImapStream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// The end of the connection is an error, never a quiet end of the answer: async-imap ends
/// a FETCH, SEARCH or LIST whose connection closes with what it read so far, as if the
/// command had succeeded, and a message would look deleted or a folder empty when it was the
/// server that went away (a restart, a proxy in front of it). As an error, the connection is
/// known broken and the request is retried on a new one.
impl AsyncRead for ImapStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        };
        match polled {
            Poll::Ready(Ok(())) if buf.filled().len() == before && buf.remaining() > 0 => {
                Poll::Ready(Err(io::Error::new(io::ErrorKind::UnexpectedEof, "the server closed the connection")))
            }
            other => other,
        }
    }
}

impl AsyncWrite for ImapStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

pub type ImapSession = Session<ImapStream>;

/// TLS settings for upstream servers: Mozilla's roots plus an optional extra CA.
#[derive(Clone)]
pub struct TlsSetup {
    connector: TlsConnector,
}

impl TlsSetup {
    pub fn new(extra_ca: Option<&Path>) -> anyhow::Result<Self> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = extra_ca {
            let pem = std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read CA file {}: {e}", path.display()))?;
            let mut added = 0;
            for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
                let cert = cert.map_err(|e| anyhow::anyhow!("CA file {}: {e}", path.display()))?;
                roots.add(cert).map_err(|e| anyhow::anyhow!("CA file {}: {e}", path.display()))?;
                added += 1;
            }
            if added == 0 {
                anyhow::bail!("CA file {} holds no PEM certificate", path.display());
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self { connector: TlsConnector::from(Arc::new(config)) })
    }

    /// TLS for an IMAP connection. A server that hangs up before the handshake has
    /// started (Courier's MAXPERIP on port 993, a connection limit in a firewall) is refusing
    /// one more connection, not unreachable.
    async fn wrap(&self, host: &str, tcp: TcpStream) -> Result<ImapStream, MailError> {
        match self.handshake(host, tcp).await? {
            Ok(tls) => Ok(ImapStream::Tls(Box::new(tls))),
            Err(e) if matches!(e.kind(), io::ErrorKind::UnexpectedEof | io::ErrorKind::ConnectionReset) => {
                Err(MailError::Limit(format!("{host} closed the connection before TLS: {e}")))
            }
            Err(e) => Err(MailError::Connect(format!("TLS with {host}: {e}"))),
        }
    }

    /// A TLS client session over `tcp`, checking `host`'s certificate (IMAP and SMTP alike).
    pub async fn client(&self, host: &str, tcp: TcpStream) -> Result<tokio_rustls::client::TlsStream<TcpStream>, MailError> {
        self.handshake(host, tcp).await?.map_err(|e| MailError::Connect(format!("TLS with {host}: {e}")))
    }

    async fn handshake(&self, host: &str, tcp: TcpStream) -> Result<io::Result<TlsStream<TcpStream>>, MailError> {
        let name = ServerName::try_from(host.to_string())
            .map_err(|_| MailError::Connect(format!("{host} is not a valid TLS server name")))?;
        Ok(self.connector.connect(name, tcp).await)
    }
}

/// Connects and logs in. Wrong credentials give [`MailError::Auth`].
pub async fn open_session(
    upstream: &Upstream,
    tls: &TlsSetup,
    creds: &Credentials,
    timeout: Duration,
) -> Result<ImapSession, MailError> {
    open_session_greeted(upstream, tls, creds, timeout).await.map(|(s, _)| s)
}

/// [`open_session`], also returning the server's greeting text (it names the server, whose
/// quirks a client may have to work around).
pub async fn open_session_greeted(
    upstream: &Upstream,
    tls: &TlsSetup,
    creds: &Credentials,
    timeout: Duration,
) -> Result<(ImapSession, String), MailError> {
    let (mut client, greeting) = tokio::time::timeout(timeout, connect(upstream, tls))
        .await
        .map_err(|_| MailError::Timeout)??;
    if let Some(origin) = &creds.origin {
        client = tokio::time::timeout(timeout, tell_origin(client, Some(origin))).await.map_err(|_| MailError::Timeout)??;
    }
    let password = creds.password.expose();
    let login = async {
        if password.is_ascii() && creds.username.is_ascii() {
            client.login(&creds.username, password).await.map_err(|(e, _)| e)
        } else {
            // LOGIN takes 7-bit quoted strings only; SASL PLAIN carries UTF-8 safely.
            let auth = PlainAuth { user: creds.username.clone(), password: password.to_string() };
            client.authenticate("PLAIN", auth).await.map_err(|(e, _)| e)
        }
    };
    // A server may hold a login back on purpose: Dovecot's auth penalty waits up to 15 s
    // after failed logins from the same address. That is an answer, not a server gone.
    match tokio::time::timeout(timeout + AUTH_PENALTY_MAX, login).await {
        Err(_) => Err(MailError::Timeout),
        Ok(Ok(session)) => Ok((session, greeting)),
        Ok(Err(async_imap::error::Error::No(text))) => Err(login_refusal(&crate::mail::refusal_text(&text))),
        Ok(Err(e)) => Err(e.into()),
    }
}

/// What a NO to LOGIN or AUTHENTICATE means (RFC 5530 response codes). Only a refusal
/// without a code, or with `AUTHENTICATIONFAILED`, says the password is wrong: a server
/// that is busy, full or asks for TLS must not count as a failed login.
fn login_refusal(text: &str) -> MailError {
    let code = text
        .strip_prefix('[')
        .and_then(|t| t.split_once(']'))
        .map(|(c, _)| c.split_whitespace().next().unwrap_or("").to_ascii_uppercase());
    match code.as_deref() {
        Some("LIMIT") => MailError::Limit(text.to_string()),
        Some("UNAVAILABLE" | "SERVERBUG" | "INUSE") => MailError::Connect(text.to_string()),
        Some("PRIVACYREQUIRED") => MailError::Connect(format!("the server wants TLS first: {text}")),
        _ => MailError::Auth,
    }
}

/// Whether `upstream` answers: connects, secures the connection as configured, reads the
/// greeting, and hangs up without logging in.
pub async fn probe(upstream: &Upstream, tls: &TlsSetup, timeout: Duration) -> Result<(), MailError> {
    let (client, _) = tokio::time::timeout(timeout, connect(upstream, tls)).await.map_err(|_| MailError::Timeout)??;
    // Named as Facteur's own (no user's address): the server's log tells probes from users.
    tokio::time::timeout(timeout, tell_origin(client, None)).await.map_err(|_| MailError::Timeout)??;
    Ok(())
}

/// The client, ready to log in, and the text of the server's greeting.
async fn connect(upstream: &Upstream, tls: &TlsSetup) -> Result<(Client<ImapStream>, String), MailError> {
    let tcp = TcpStream::connect((upstream.host.as_str(), upstream.port))
        .await
        .map_err(|e| MailError::Connect(format!("{}:{}: {e}", upstream.host, upstream.port)))?;
    let _ = tcp.set_nodelay(true);
    match upstream.security {
        Security::Tls => {
            let stream = tls.wrap(&upstream.host, tcp).await?;
            let mut client = Client::new(stream);
            let text = greeting(&mut client).await?;
            Ok((client, text))
        }
        Security::StartTls => {
            let mut client = Client::new(ImapStream::Plain(tcp));
            let text = greeting(&mut client).await?;
            client.run_command_and_check_ok("STARTTLS", None).await.map_err(|e| match e {
                async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_) => {
                    MailError::Connect(format!("{} does not offer STARTTLS", upstream.host))
                }
                other => other.into(),
            })?;
            let ImapStream::Plain(tcp) = client.into_inner() else {
                return Err(MailError::Protocol("unexpected stream state".into()));
            };
            Ok((Client::new(tls.wrap(&upstream.host, tcp).await?), text))
        }
        Security::Plain => {
            let mut client = Client::new(ImapStream::Plain(tcp));
            let text = greeting(&mut client).await?;
            Ok((client, text))
        }
    }
}

async fn greeting(client: &mut Client<ImapStream>) -> Result<String, MailError> {
    match client.read_response().await {
        Ok(Some(r)) => match r.parsed() {
            // "Not willing to accept a connection from this client" (RFC 9051, 7.1.5): in
            // practice a limit on connections.
            async_imap::imap_proto::Response::Data { status: async_imap::imap_proto::Status::Bye, outcome, .. } => {
                Err(MailError::Limit(outcome.information.as_deref().unwrap_or("BYE").to_string()))
            }
            async_imap::imap_proto::Response::Data { outcome, .. } => Ok(outcome.information.as_deref().unwrap_or("").to_string()),
            _ => Ok(String::new()),
        },
        // Servers that limit connections per address (Courier's MAXPERIP, a firewall's
        // connlimit) accept and close at once.
        Ok(None) => Err(MailError::Limit("the server closed the connection before its greeting".into())),
        Err(e) if matches!(e.kind(), io::ErrorKind::ConnectionReset | io::ErrorKind::UnexpectedEof) => {
            Err(MailError::Limit(format!("greeting: {e}")))
        }
        Err(e) => Err(MailError::Connect(format!("greeting: {e}"))),
    }
}


/// Sends `ID` (RFC 2971) with the browser's address, port and the request id before logging in,
/// and reads its reply (whatever it is: a server that does not know ID answers BAD, one that
/// does not trust Facteur ignores the fields). Sent on the raw stream: async-imap's parser does
/// not know the `* ID` reply.
/// Without an origin (a readiness probe), only Facteur's name and version are sent.
async fn tell_origin(client: Client<ImapStream>, origin: Option<&crate::mail::Origin>) -> Result<Client<ImapStream>, MailError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = client.into_inner();
    let quote = |s: &str| format!("\"{}\"", s.replace(['"', '\\', '\r', '\n'], ""));
    let mut fields = vec![("name", "Facteur".to_string()), ("version", env!("CARGO_PKG_VERSION").to_string())];
    if let Some(origin) = origin {
        fields.push(("x-originating-ip", origin.ip.to_string()));
        if let Some(port) = origin.port {
            fields.push(("x-originating-port", port.to_string()));
        }
        if !origin.session.is_empty() {
            fields.push(("x-session-ext-id", origin.session.clone()));
        }
    }
    let list = fields.iter().map(|(k, v)| format!("{} {}", quote(k), quote(v))).collect::<Vec<_>>().join(" ");
    let io = |e: io::Error| MailError::Connect(format!("ID: {e}"));
    stream.write_all(format!("fx0 ID ({list})\r\n").as_bytes()).await.map_err(io)?;
    stream.flush().await.map_err(io)?;
    // Lines up to the tagged one, a byte at a time (nothing after it may be read here).
    let mut line = Vec::new();
    loop {
        let b = stream.read_u8().await.map_err(io)?;
        line.push(b);
        if b == b'\n' {
            if line.starts_with(b"fx0 ") {
                return Ok(Client::new(stream));
            }
            line.clear();
        } else if line.len() > 64 * 1024 {
            return Err(MailError::Protocol("the ID reply is too long".into()));
        }
    }
}

struct PlainAuth {
    user: String,
    password: String,
}

impl async_imap::Authenticator for PlainAuth {
    type Response = Vec<u8>;
    fn process(&mut self, _challenge: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.user.len() + self.password.len() + 2);
        v.push(0);
        v.extend_from_slice(self.user.as_bytes());
        v.push(0);
        v.extend_from_slice(self.password.as_bytes());
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_refusal_is_a_wrong_password() {
        assert!(matches!(login_refusal("[AUTHENTICATIONFAILED] Authentication failed."), MailError::Auth));
        assert!(matches!(login_refusal("Login failed."), MailError::Auth));
        assert!(matches!(
            login_refusal("[LIMIT] Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10)"),
            MailError::Limit(_)
        ));
        assert!(matches!(login_refusal("[UNAVAILABLE] Temporary authentication failure."), MailError::Connect(_)));
        assert!(matches!(login_refusal("[PRIVACYREQUIRED] Plaintext authentication disallowed."), MailError::Connect(_)));
        let wrapped = r#"code: None, info: Some("[LIMIT] Maximum number of connections")"#;
        assert!(matches!(login_refusal(&crate::mail::refusal_text(wrapped)), MailError::Limit(_)));
    }
}
