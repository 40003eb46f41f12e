//! A ManageSieve client (RFC 5804): the user's Sieve scripts on the mail server, which runs
//! them at delivery. TCP, implicit TLS or STARTTLS like the IMAP door; SASL PLAIN with the
//! user's own credentials; literals both ways; every exchange bounded by a timeout.

use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::imap::connect::{ImapStream, TlsSetup};
use super::{Credentials, MailError};
use crate::config::{Security, Upstream};

/// The longest line and the largest literal a server may send (scripts are far smaller:
/// Dovecot's default limit is 1 MB).
const MAX_LINE: usize = 64 * 1024;
const MAX_LITERAL: usize = 8 * 1024 * 1024;

/// What the server says it can do (its capability lines).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub implementation: String,
    /// The Sieve extensions its interpreter has (`fileinto`, `vacation`, `date`, …).
    pub sieve: Vec<String>,
    pub sasl: Vec<String>,
    pub starttls: bool,
    /// The server lets Facteur pass the user's address on (`XCLIENT`, Dovecot's, offered to
    /// its `login_trusted_networks` only).
    pub xclient: bool,
    /// The most redirects one script may make (`MAXREDIRECTS`), if it says.
    pub max_redirects: Option<u32>,
}

impl Capabilities {
    pub fn has(&self, extension: &str) -> bool {
        self.sieve.iter().any(|e| e.eq_ignore_ascii_case(extension))
    }
}

/// One word of a server's reply.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Atom(String),
    /// A quoted string or a literal.
    Str(Vec<u8>),
}

impl Token {
    fn text(&self) -> String {
        match self {
            Token::Atom(a) => a.clone(),
            Token::Str(b) => String::from_utf8_lossy(b).into_owned(),
        }
    }
}

/// How a command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    /// NO, with its response code (`QUOTA/MAXSIZE`, `NONEXISTENT`, …) and text.
    No(String, String),
    Bye(String),
}

/// A ManageSieve session, logged in.
pub struct SieveConn {
    stream: BufReader<ImapStream>,
    pub capabilities: Capabilities,
    timeout: Duration,
}

/// Connects to `upstream` and logs in as `creds`. A server that does not answer on its port
/// is [`MailError::Connect`]: the feature is then shown as unavailable.
pub async fn open(upstream: &Upstream, tls: &TlsSetup, creds: &Credentials, timeout: Duration) -> Result<SieveConn, MailError> {
    tokio::time::timeout(timeout, open_inner(upstream, tls, creds, timeout)).await.map_err(|_| MailError::Timeout)?
}

async fn open_inner(upstream: &Upstream, tls: &TlsSetup, creds: &Credentials, timeout: Duration) -> Result<SieveConn, MailError> {
    let tcp = TcpStream::connect((upstream.host.as_str(), upstream.port))
        .await
        .map_err(|e| MailError::Connect(format!("ManageSieve {}:{}: {e}", upstream.host, upstream.port)))?;
    let _ = tcp.set_nodelay(true);
    let stream = match upstream.security {
        Security::Tls => ImapStream::Tls(Box::new(tls.client(&upstream.host, tcp).await?)),
        _ => ImapStream::Plain(tcp),
    };
    let mut conn = SieveConn { stream: BufReader::new(stream), capabilities: Capabilities::default(), timeout };
    conn.capabilities = conn.read_capabilities().await?;
    if upstream.security == Security::StartTls {
        if !conn.capabilities.starttls {
            return Err(MailError::Connect(format!("{} does not offer STARTTLS for ManageSieve", upstream.host)));
        }
        conn.send(b"STARTTLS\r\n").await?;
        conn.expect_ok().await?;
        let ImapStream::Plain(tcp) = conn.stream.into_inner() else {
            return Err(MailError::Protocol("unexpected stream state".into()));
        };
        let secured = ImapStream::Tls(Box::new(tls.client(&upstream.host, tcp).await?));
        conn = SieveConn { stream: BufReader::new(secured), capabilities: Capabilities::default(), timeout };
        // The server says what it can do again, now that the line is secure (RFC 5804, 2.2).
        conn.capabilities = conn.read_capabilities().await?;
    }
    if let (true, Some(origin)) = (conn.capabilities.xclient, &creds.origin) {
        conn.tell_origin(origin).await?;
    }
    if !conn.capabilities.sasl.iter().any(|m| m.eq_ignore_ascii_case("PLAIN")) {
        return Err(MailError::Connect("the ManageSieve server does not take SASL PLAIN".into()));
    }
    let mut plain = Vec::new();
    plain.push(0);
    plain.extend_from_slice(creds.username.as_bytes());
    plain.push(0);
    plain.extend_from_slice(creds.password.expose().as_bytes());
    let encoded = base64::engine::general_purpose::STANDARD.encode(plain);
    conn.send(format!("AUTHENTICATE \"PLAIN\" \"{encoded}\"\r\n").as_bytes()).await?;
    match conn.finish().await?.1 {
        Outcome::Ok => Ok(conn),
        Outcome::No(..) => Err(MailError::Auth),
        Outcome::Bye(text) => Err(MailError::Connect(text)),
    }
}

/// A script name or a string of ours as a quoted string; `None` when it holds what a quoted
/// string cannot carry (line breaks, NUL).
fn quoted(s: &str) -> Option<String> {
    if s.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
        return None;
    }
    Some(format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")))
}

fn bad_name(name: &str) -> MailError {
    MailError::No(format!("{name:?} cannot be a script name"))
}

impl SieveConn {
    async fn send(&mut self, bytes: &[u8]) -> Result<(), MailError> {
        let write = async {
            self.stream.get_mut().write_all(bytes).await?;
            self.stream.get_mut().flush().await
        };
        tokio::time::timeout(self.timeout, write).await.map_err(|_| MailError::Timeout)?.map_err(|e| MailError::Protocol(format!("ManageSieve: {e}")))
    }

    /// One reply line, with the literals it announces read in: its tokens.
    async fn line(&mut self) -> Result<Vec<Token>, MailError> {
        tokio::time::timeout(self.timeout, self.line_inner()).await.map_err(|_| MailError::Timeout)?
    }

    async fn line_inner(&mut self) -> Result<Vec<Token>, MailError> {
        let mut tokens = Vec::new();
        loop {
            let mut raw = Vec::new();
            let n = (&mut self.stream).take(MAX_LINE as u64).read_until(b'\n', &mut raw).await.map_err(|e| MailError::Protocol(format!("ManageSieve: {e}")))?;
            if n == 0 {
                return Err(MailError::Protocol("the ManageSieve server closed the connection".into()));
            }
            if !raw.ends_with(b"\n") {
                return Err(MailError::Protocol("a ManageSieve reply line is too long".into()));
            }
            let literal = tokenize(&raw, &mut tokens)?;
            let Some(len) = literal else { return Ok(tokens) };
            if len > MAX_LITERAL {
                return Err(MailError::Protocol(format!("a ManageSieve literal of {len} bytes is too large")));
            }
            let mut bytes = vec![0; len];
            self.stream.read_exact(&mut bytes).await.map_err(|e| MailError::Protocol(format!("ManageSieve: {e}")))?;
            tokens.push(Token::Str(bytes));
        }
    }

    /// Lines up to the one that ends the command: the data lines before it, and how it ended.
    async fn finish(&mut self) -> Result<(Vec<Vec<Token>>, Outcome), MailError> {
        let mut data = Vec::new();
        loop {
            let tokens = self.line().await?;
            if let Some(outcome) = outcome_of(&tokens) {
                return Ok((data, outcome));
            }
            data.push(tokens);
        }
    }

    async fn expect_ok(&mut self) -> Result<Vec<Vec<Token>>, MailError> {
        match self.finish().await? {
            (data, Outcome::Ok) => Ok(data),
            (_, Outcome::No(code, text)) => Err(refusal(&code, text)),
            (_, Outcome::Bye(text)) => Err(MailError::Protocol(format!("the ManageSieve server hung up: {text}"))),
        }
    }

    async fn read_capabilities(&mut self) -> Result<Capabilities, MailError> {
        let (lines, outcome) = self.finish().await?;
        if let Outcome::Bye(text) | Outcome::No(_, text) = outcome {
            return Err(MailError::Limit(text));
        }
        Ok(capabilities(&lines))
    }

    /// Passes the browser's address, port and the request id on before logging in, so that the
    /// server logs and rate-limits the user's address rather than Facteur's. A refusal is not
    /// an error: the login then goes on as Facteur.
    async fn tell_origin(&mut self, origin: &super::Origin) -> Result<(), MailError> {
        let mut line = format!("XCLIENT ADDR={}", origin.ip);
        if let Some(port) = origin.port {
            line.push_str(&format!(" PORT={port}"));
        }
        // The id is ours (hex digits); anything else is left out rather than escaped.
        if !origin.session.is_empty() && origin.session.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            line.push_str(&format!(" SESSION={}", origin.session));
        }
        line.push_str("\r\n");
        self.send(line.as_bytes()).await?;
        match self.finish().await?.1 {
            Outcome::Ok => Ok(()),
            Outcome::No(code, text) => {
                tracing::warn!(%code, %text, "the ManageSieve server refused XCLIENT");
                Ok(())
            }
            Outcome::Bye(text) => Err(MailError::Connect(text)),
        }
    }

    /// The scripts on the server, and which one is active.
    pub async fn list(&mut self) -> Result<Vec<(String, bool)>, MailError> {
        self.send(b"LISTSCRIPTS\r\n").await?;
        let lines = self.expect_ok().await?;
        Ok(lines
            .iter()
            .filter_map(|l| match l.as_slice() {
                [Token::Str(name)] => Some((String::from_utf8_lossy(name).into_owned(), false)),
                [Token::Str(name), Token::Atom(a)] => Some((String::from_utf8_lossy(name).into_owned(), a.eq_ignore_ascii_case("ACTIVE"))),
                _ => None,
            })
            .collect())
    }

    /// The text of script `name`; [`MailError::NotFound`] when there is none.
    pub async fn get(&mut self, name: &str) -> Result<String, MailError> {
        let q = quoted(name).ok_or_else(|| bad_name(name))?;
        self.send(format!("GETSCRIPT {q}\r\n").as_bytes()).await?;
        let lines = self.expect_ok().await?;
        let script = lines.into_iter().flatten().find_map(|t| match t {
            Token::Str(b) => Some(b),
            Token::Atom(_) => None,
        });
        Ok(String::from_utf8_lossy(&script.unwrap_or_default()).into_owned())
    }

    /// Stores `script` as `name` (replacing it). The server checks it first: a script it
    /// cannot run is refused with its reason ([`MailError::No`]) and nothing changes.
    pub async fn put(&mut self, name: &str, script: &str) -> Result<(), MailError> {
        let q = quoted(name).ok_or_else(|| bad_name(name))?;
        let mut command = format!("PUTSCRIPT {q} {{{}+}}\r\n", script.len()).into_bytes();
        command.extend_from_slice(script.as_bytes());
        command.extend_from_slice(b"\r\n");
        self.send(&command).await?;
        self.expect_ok().await.map(|_| ())
    }

    /// Whether the server would run `script`: `Ok(Err(reason))` when not, with the server's
    /// words (`line 3: error: …`).
    pub async fn check(&mut self, script: &str) -> Result<Result<(), String>, MailError> {
        let mut command = format!("CHECKSCRIPT {{{}+}}\r\n", script.len()).into_bytes();
        command.extend_from_slice(script.as_bytes());
        command.extend_from_slice(b"\r\n");
        self.send(&command).await?;
        match self.finish().await?.1 {
            Outcome::Ok => Ok(Ok(())),
            Outcome::No(_, text) => Ok(Err(text)),
            Outcome::Bye(text) => Err(MailError::Protocol(format!("the ManageSieve server hung up: {text}"))),
        }
    }

    /// Makes `name` the script the server runs (`""`: none).
    pub async fn set_active(&mut self, name: &str) -> Result<(), MailError> {
        let q = quoted(name).ok_or_else(|| bad_name(name))?;
        self.send(format!("SETACTIVE {q}\r\n").as_bytes()).await?;
        self.expect_ok().await.map(|_| ())
    }

    pub async fn delete(&mut self, name: &str) -> Result<(), MailError> {
        let q = quoted(name).ok_or_else(|| bad_name(name))?;
        self.send(format!("DELETESCRIPT {q}\r\n").as_bytes()).await?;
        self.expect_ok().await.map(|_| ())
    }

    /// Whether a script `name` of `size` bytes would fit: `Ok(Err(reason))` when not.
    pub async fn have_space(&mut self, name: &str, size: usize) -> Result<Result<(), String>, MailError> {
        let q = quoted(name).ok_or_else(|| bad_name(name))?;
        self.send(format!("HAVESPACE {q} {size}\r\n").as_bytes()).await?;
        match self.finish().await?.1 {
            Outcome::Ok => Ok(Ok(())),
            Outcome::No(_, text) => Ok(Err(text)),
            Outcome::Bye(text) => Err(MailError::Protocol(format!("the ManageSieve server hung up: {text}"))),
        }
    }

    pub async fn logout(mut self) {
        if self.send(b"LOGOUT\r\n").await.is_ok() {
            let _ = self.finish().await;
        }
    }
}

/// A NO as an error: `NONEXISTENT` is [`MailError::NotFound`].
fn refusal(code: &str, text: String) -> MailError {
    if code.eq_ignore_ascii_case("NONEXISTENT") { MailError::NotFound } else { MailError::No(text) }
}

/// Reads the words of one line into `out`; the length of the literal it ends with, if any
/// (`{12}` or `{12+}`).
fn tokenize(raw: &[u8], out: &mut Vec<Token>) -> Result<Option<usize>, MailError> {
    let line = raw.strip_suffix(b"\r\n").or_else(|| raw.strip_suffix(b"\n")).unwrap_or(raw);
    let bad = || MailError::Protocol(format!("unreadable ManageSieve reply: {:?}", String::from_utf8_lossy(line)));
    let mut i = 0;
    while i < line.len() {
        match line[i] {
            b' ' => i += 1,
            b'"' => {
                let mut s = Vec::new();
                i += 1;
                loop {
                    match line.get(i) {
                        None => return Err(bad()),
                        Some(b'\\') => {
                            s.push(*line.get(i + 1).ok_or_else(bad)?);
                            i += 2;
                        }
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(c) => {
                            s.push(*c);
                            i += 1;
                        }
                    }
                }
                out.push(Token::Str(s));
            }
            b'{' => {
                let end = line[i..].iter().position(|c| *c == b'}').ok_or_else(bad)? + i;
                if end + 1 != line.len() {
                    return Err(bad());
                }
                let digits = std::str::from_utf8(&line[i + 1..end]).map_err(|_| bad())?.trim_end_matches('+');
                return digits.parse().map(Some).map_err(|_| bad());
            }
            b'(' | b')' => {
                out.push(Token::Atom((line[i] as char).to_string()));
                i += 1;
            }
            _ => {
                let end = line[i..].iter().position(|c| matches!(c, b' ' | b'(' | b')')).map(|p| p + i).unwrap_or(line.len());
                out.push(Token::Atom(String::from_utf8_lossy(&line[i..end]).into_owned()));
                i = end;
            }
        }
    }
    Ok(None)
}

/// `OK`, `NO` or `BYE` with its optional response code and text; `None` for a data line.
fn outcome_of(tokens: &[Token]) -> Option<Outcome> {
    let Some(Token::Atom(first)) = tokens.first() else { return None };
    let word = first.to_ascii_uppercase();
    if !matches!(word.as_str(), "OK" | "NO" | "BYE") {
        return None;
    }
    let mut rest = &tokens[1..];
    let mut code = String::new();
    if rest.first() == Some(&Token::Atom("(".into())) {
        let close = rest.iter().position(|t| *t == Token::Atom(")".into())).unwrap_or(rest.len());
        code = rest[1..close].iter().map(Token::text).collect::<Vec<_>>().join(" ");
        rest = rest.get(close + 1..).unwrap_or_default();
    }
    let text = rest.iter().map(Token::text).collect::<Vec<_>>().join(" ");
    Some(match word.as_str() {
        "OK" => Outcome::Ok,
        "NO" => Outcome::No(code, text),
        _ => Outcome::Bye(text),
    })
}

fn capabilities(lines: &[Vec<Token>]) -> Capabilities {
    let mut c = Capabilities::default();
    for line in lines {
        let (Some(key), value) = (line.first().map(Token::text), line.get(1).map(Token::text).unwrap_or_default()) else { continue };
        match key.to_ascii_uppercase().as_str() {
            "IMPLEMENTATION" => c.implementation = value,
            "SIEVE" => c.sieve = value.split_whitespace().map(str::to_string).collect(),
            "SASL" => c.sasl = value.split_whitespace().map(str::to_string).collect(),
            "STARTTLS" => c.starttls = true,
            "XCLIENT" => c.xclient = true,
            "MAXREDIRECTS" => c.max_redirects = value.parse().ok(),
            _ => {}
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(line: &[u8]) -> (Vec<Token>, Option<usize>) {
        let mut out = Vec::new();
        let literal = tokenize(line, &mut out).unwrap();
        (out, literal)
    }

    #[test]
    fn replies_are_read_with_their_codes_strings_and_literals() {
        let (t, _) = tokens(b"NO (QUOTA/MAXSIZE) \"Script is too large (max 1048576 bytes).\"\r\n");
        assert_eq!(outcome_of(&t), Some(Outcome::No("QUOTA/MAXSIZE".into(), "Script is too large (max 1048576 bytes).".into())));
        let (t, literal) = tokens(b"NO {180}\r\n");
        assert_eq!((outcome_of(&t), literal), (Some(Outcome::No(String::new(), String::new())), Some(180)));
        let (t, _) = tokens(b"\"my \\\"rules\\\" \\\\ here\" ACTIVE\r\n");
        assert_eq!(t, vec![Token::Str(b"my \"rules\" \\ here".to_vec()), Token::Atom("ACTIVE".into())]);
        assert_eq!(outcome_of(&t), None);
        assert_eq!(outcome_of(&tokens(b"OK \"Logged in.\"\r\n").0), Some(Outcome::Ok));
        assert_eq!(outcome_of(&tokens(b"OK (WARNINGS) \"line 2: unused\"\r\n").0), Some(Outcome::Ok));
        assert_eq!(outcome_of(&tokens(b"BYE \"Too many invalid commands.\"\r\n").0), Some(Outcome::Bye("Too many invalid commands.".into())));
        assert_eq!(tokens(b"{12+}\r\n").1, Some(12));
        let mut out = Vec::new();
        assert!(tokenize(b"\"unterminated\r\n", &mut out).is_err());
        assert!(tokenize(b"{12} trailing\r\n", &mut out).is_err());
        assert_eq!(refusal("NONEXISTENT", "x".into()).to_string(), MailError::NotFound.to_string());
    }

    #[test]
    fn capabilities_and_quoting() {
        let lines: Vec<Vec<Token>> = [
            &b"\"IMPLEMENTATION\" \"Dovecot Pigeonhole\"\r\n"[..],
            b"\"SIEVE\" \"fileinto vacation date\"\r\n",
            b"\"SASL\" \"PLAIN LOGIN\"\r\n",
            b"\"STARTTLS\"\r\n",
            b"\"MAXREDIRECTS\" \"4\"\r\n",
        ]
        .iter()
        .map(|l| tokens(l).0)
        .collect();
        let c = capabilities(&lines);
        assert!(c.has("vacation") && c.has("DATE") && !c.has("include") && c.starttls);
        assert_eq!((c.implementation.as_str(), c.max_redirects, c.sasl.len()), ("Dovecot Pigeonhole", Some(4), 2));
        assert_eq!(quoted("a \"b\" \\c").as_deref(), Some("\"a \\\"b\\\" \\\\c\""));
        assert_eq!(quoted("x\r\nLOGOUT"), None);
    }
}
