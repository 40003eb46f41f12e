//! Sending through the user's own SMTP submission server, with their own credentials.
//!
//! One connection per send, logged in as the user (lettre's pool is for one fixed relay and
//! fixed credentials). Facteur opens the TCP connection itself to turn off Nagle's algorithm:
//! lettre writes the message and its final dot separately, and with Nagle on, the second write
//! waits for the server's delayed ACK (about 40 ms per message on Linux). lettre's own timeout
//! only bounds connecting, so the whole exchange is bounded here.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials as SmtpCredentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters};
use lettre::transport::smtp::commands::Ehlo;
use lettre::transport::smtp::extension::ClientId;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::config::{Security, Upstream};
use crate::mail::Credentials;
use crate::mail::imap::TlsSetup;

/// Why a message was not sent, grouped by what the user can do about it.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The server could not be reached.
    #[error("cannot reach the SMTP server: {0}")]
    Connect(String),
    #[error("the SMTP server did not answer in time")]
    Timeout,
    /// The server stopped answering while it was being handed the message (a timeout or a
    /// broken connection after the login): it may have taken it, and sending it again may
    /// deliver it twice.
    #[error("the SMTP server did not confirm the message")]
    Unconfirmed,
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
    tls: TlsSetup,
    extra_ca_pem: Option<Vec<u8>>,
    timeout: Duration,
}

/// An implicit-TLS stream handed to lettre.
#[derive(Debug)]
struct TlsConn(tokio_rustls::client::TlsStream<TcpStream>);

impl AsyncRead for TlsConn {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsConn {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for TlsConn {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

impl Smtp {
    pub fn new(tls: TlsSetup, extra_ca_pem: Option<Vec<u8>>, timeout: Duration) -> Self {
        Self { tls, extra_ca_pem, timeout }
    }

    /// lettre's TLS settings for STARTTLS: Mozilla's roots plus the configured CA.
    fn tls_parameters(&self, host: &str) -> Result<TlsParameters, SendError> {
        let mut b = TlsParameters::builder(host.to_string());
        if let Some(pem) = &self.extra_ca_pem {
            let cert = Certificate::from_pem(pem).map_err(|e| SendError::Connect(format!("CA file: {e}")))?;
            b = b.add_root_certificate(cert);
        }
        b.build_rustls().map_err(|e| SendError::Connect(e.to_string()))
    }

    /// Connects, greets, secures the connection as configured and logs in.
    async fn session(&self, creds: &Credentials) -> Result<AsyncSmtpConnection, SendError> {
        let upstream: &Upstream = &creds.servers.smtp;
        let host = upstream.host.as_str();
        let tcp = TcpStream::connect((host, upstream.port))
            .await
            .map_err(|e| SendError::Connect(format!("{host}:{}: {e}", upstream.port)))?;
        let _ = tcp.set_nodelay(true);
        let hello = ClientId::default();
        let mut conn = match upstream.security {
            Security::Tls => {
                let tls = self.tls.client(host, tcp).await.map_err(|e| SendError::Connect(e.to_string()))?;
                AsyncSmtpConnection::connect_with_transport(Box::new(TlsConn(tls)), &hello).await.map_err(|e| classify(&e))?
            }
            Security::StartTls => {
                let mut c = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello).await.map_err(|e| classify(&e))?;
                if !c.can_starttls() {
                    return Err(SendError::Connect(format!("{host} does not offer STARTTLS")));
                }
                c.starttls(self.tls_parameters(host)?, &hello).await.map_err(|e| SendError::Connect(format!("STARTTLS with {host}: {e}")))?;
                c
            }
            Security::Plain => AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &hello).await.map_err(|e| classify(&e))?,
        };
        if let Some(origin) = &creds.origin {
            tell_origin(&mut conn, &hello, origin).await?;
        }
        let smtp_creds = SmtpCredentials::new(creds.username.clone(), creds.password.expose().to_string());
        conn.auth(&[Mechanism::Plain, Mechanism::Login], &smtp_creds).await.map_err(|e| match classify(&e) {
            SendError::Rejected(_) => SendError::Auth,
            other => other,
        })?;
        Ok(conn)
    }

    /// Sends `message` (RFC 5322 bytes) to the envelope's recipients.
    pub async fn send(&self, creds: &Credentials, envelope: &lettre::address::Envelope, message: &[u8]) -> Result<(), SendError> {
        // Connecting, greeting, logging in, each recipient and the data, bounded as a whole;
        // generously for large messages on slow links.
        let budget = self.timeout + Duration::from_secs((message.len() / (256 * 1024)) as u64);
        let handed = std::sync::atomic::AtomicBool::new(false);
        let exchange = async {
            let mut conn = self.session(creds).await?;
            handed.store(true, std::sync::atomic::Ordering::Relaxed);
            let sent = conn.send(envelope, message).await.map_err(|e| match classify(&e) {
                // The server answered no: nothing was sent.
                refused @ (SendError::Rejected(_) | SendError::Deferred(_) | SendError::Auth) => refused,
                // No answer: the message may be on its way.
                _ => SendError::Unconfirmed,
            });
            if sent.is_ok() {
                let _ = conn.quit().await;
            } else {
                conn.abort().await;
            }
            sent.map(|_| ())
        };
        match tokio::time::timeout(budget, exchange).await {
            Err(_) if handed.load(std::sync::atomic::Ordering::Relaxed) => Err(SendError::Unconfirmed),
            Err(_) => Err(SendError::Timeout),
            Ok(r) => r,
        }
    }
}

/// Passes the browser's address on with `XCLIENT` (Postfix's, offered only to the hosts in
/// its `smtpd_authorized_xclient_hosts`), before logging in, so that the server logs, limits
/// and bans the user's address rather than Facteur's. Never sent where it is not offered;
/// a refusal is logged and the message goes out as from Facteur.
///
/// lettre keeps only the extensions it knows from the greeting, so the server is asked again
/// (EHLO, one round trip). `XCLIENT` resets the session to its start: the server greets
/// again and wants EHLO before AUTH (Postfix's XCLIENT_README). Only the address, port and
/// name are passed, never `LOGIN`: the user still proves who they are with their password.
async fn tell_origin(conn: &mut AsyncSmtpConnection, hello: &ClientId, origin: &crate::mail::Origin) -> Result<(), SendError> {
    let ehlo = conn.command(Ehlo::new(hello.clone())).await.map_err(|e| classify(&e))?;
    let Some(offered) = ehlo.message().find_map(|line| {
        let mut words = line.split_whitespace();
        words.next().filter(|w| w.eq_ignore_ascii_case("XCLIENT")).map(|_| words.map(str::to_ascii_uppercase).collect::<Vec<_>>())
    }) else {
        return Ok(());
    };
    let line = xclient_line(origin, &offered);
    if line.is_empty() {
        return Ok(());
    }
    match conn.command(format!("XCLIENT{line}\r\n")).await {
        Ok(_) => {
            conn.command(Ehlo::new(hello.clone())).await.map_err(|e| classify(&e))?;
        }
        Err(e) => tracing::warn!(error = %e, "the SMTP server refused XCLIENT"),
    }
    Ok(())
}

/// The attributes of an `XCLIENT` command (each ` NAME=value`) that the server offered.
/// Addresses and ports need no xtext escaping; IPv6 addresses take Postfix's `IPV6:` prefix.
fn xclient_line(origin: &crate::mail::Origin, offered: &[String]) -> String {
    let has = |a: &str| offered.iter().any(|o| o == a);
    let mut line = String::new();
    if has("ADDR") {
        match origin.ip {
            std::net::IpAddr::V4(ip) => line.push_str(&format!(" ADDR={ip}")),
            std::net::IpAddr::V6(ip) => line.push_str(&format!(" ADDR=IPV6:{ip}")),
        }
        // Without NAME the server would keep Facteur's host name next to the user's address.
        if has("NAME") {
            line.push_str(" NAME=[UNAVAILABLE]");
        }
    }
    if let (true, Some(port)) = (has("PORT"), origin.port) {
        line.push_str(&format!(" PORT={port}"));
    }
    line
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xclient_passes_only_what_the_server_offers() {
        let origin = crate::mail::Origin { ip: "203.0.113.7".parse().unwrap(), port: Some(52100), session: "ab12".into() };
        let all: Vec<String> = ["NAME", "ADDR", "PORT", "PROTO", "HELO", "LOGIN"].iter().map(|s| s.to_string()).collect();
        assert_eq!(xclient_line(&origin, &all), " ADDR=203.0.113.7 NAME=[UNAVAILABLE] PORT=52100");
        assert_eq!(xclient_line(&origin, &["ADDR".to_string()]), " ADDR=203.0.113.7");
        assert_eq!(xclient_line(&origin, &["HELO".to_string()]), "");
        let v6 = crate::mail::Origin { ip: "2001:db8::5".parse().unwrap(), port: None, session: String::new() };
        assert_eq!(xclient_line(&v6, &all), " ADDR=IPV6:2001:db8::5 NAME=[UNAVAILABLE]");
    }
}
