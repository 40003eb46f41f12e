//! The value types of the configuration, and the small pure checks on them that other modules
//! share (domain names, keys, logo types, database URLs).

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// How Facteur talks to an upstream mail server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Implicit TLS from the first byte (IMAPS 993, SMTPS 465).
    Tls,
    /// Plain connection upgraded with STARTTLS before authenticating (IMAP 143, submission 587).
    StartTls,
    /// No TLS at all. Only for loopback or trusted networks, and only when configured explicitly.
    Plain,
}

impl Security {
    pub(super) fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tls" | "ssl" | "implicit" => Some(Self::Tls),
            "starttls" => Some(Self::StartTls),
            "plain" | "none" | "insecure" => Some(Self::Plain),
            _ => None,
        }
    }

    /// The usual port: implicit TLS or not.
    pub fn default_port(self, ports: (u16, u16)) -> u16 {
        if self == Self::Tls { ports.0 } else { ports.1 }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Tls => "tls",
            Self::StartTls => "starttls",
            Self::Plain => "plain",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A secret value: shown as `<hidden>` everywhere.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<hidden>")
    }
}

/// An upstream server (IMAP or SMTP). In the default configuration the host may contain the
/// placeholder `{domain}`, replaced by the domain of the login.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Upstream {
    pub host: String,
    pub port: u16,
    pub security: Security,
}

impl fmt::Display for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{} ({})", self.host, self.port, self.security.as_str())
    }
}

impl Upstream {
    /// This server for one domain: `{domain}` replaced.
    pub fn for_domain(&self, domain: &str) -> Self {
        Self { host: self.host.replace("{domain}", domain), ..self.clone() }
    }
}

pub const IMAP_PORTS: (u16, u16) = (993, 143);
pub const SMTP_PORTS: (u16, u16) = (465, 587);
/// ManageSieve (RFC 5804) has no implicit-TLS port: 4190 for both.
pub const SIEVE_PORTS: (u16, u16) = (4190, 4190);

/// The two servers of one mail account.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Servers {
    pub imap: Upstream,
    pub smtp: Upstream,
    /// The ManageSieve server, where it is not the IMAP host's port 4190 (see [`Self::sieve`]).
    #[serde(default)]
    pub sieve: Option<Upstream>,
}

impl Servers {
    pub fn for_domain(&self, domain: &str) -> Self {
        Self { imap: self.imap.for_domain(domain), smtp: self.smtp.for_domain(domain), sieve: self.sieve.as_ref().map(|s| s.for_domain(domain)) }
    }

    /// The ManageSieve server: as configured, else the IMAP host on port 4190, with STARTTLS
    /// unless IMAP is plain.
    pub fn sieve(&self) -> Upstream {
        self.sieve.clone().unwrap_or_else(|| Upstream {
            host: self.imap.host.clone(),
            port: SIEVE_PORTS.1,
            security: if self.imap.security == Security::Plain { Security::Plain } else { Security::StartTls },
        })
    }
}

/// One mail domain's own settings (`[[domains]]`), with `{domain}` already replaced.
#[derive(Clone, Debug)]
pub struct DomainEntry {
    /// Lower case, e.g. `example.org`.
    pub name: String,
    /// The servers Facteur connects to.
    pub servers: Servers,
    /// The servers mail apps are told to use (device set-up, autoconfig).
    pub public: Servers,
    pub brand_name: Option<String>,
    pub brand_logo_file: Option<PathBuf>,
    /// Host names of the webmail that show this domain's brand and complete bare user names.
    pub web_hosts: Vec<String>,
    /// Its users must set up two-step sign-in (right after their first password sign-in).
    pub require_2fa: bool,
}

/// The database a URL names. The only place its scheme is looked at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:…`: one file in the data directory (or in memory, for tests).
    Sqlite,
    /// `postgres://…` or `postgresql://…`: shared by several instances.
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Self::Postgres)
        } else {
            None
        }
    }

    /// [`Backend::of`], or what is wrong with the URL (naming only its scheme: the rest may
    /// hold a password).
    pub fn parse(url: &str) -> Result<Self, String> {
        Self::of(url).ok_or_else(|| {
            format!("expected a sqlite: or postgres:// URL, got {:?}", url.split(':').next().unwrap_or_default())
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// A domain name Facteur may put into a host name or a DNS query: ASCII letters, digits, `-`,
/// dot-separated labels.
pub fn valid_domain(d: &str) -> bool {
    !d.is_empty()
        && d.len() <= 253
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        })
}

/// Accepts 32 bytes as standard or URL-safe base64, or as 64 hex digits.
pub fn decode_key(s: &str) -> Option<[u8; 32]> {
    use base64::Engine;
    let s = s.trim();
    let bytes = if s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit()) {
        (0..32).map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()).collect::<Option<Vec<u8>>>()?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s))
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s))
            .ok()?
    };
    bytes.try_into().ok()
}

/// The content type of a logo file, by extension.
pub fn logo_type(p: &Path) -> Option<&'static str> {
    match p.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "svg" => Some("image/svg+xml"),
        "png" => Some("image/png"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

/// Hides the password in a `scheme://user:password@host` URL.
pub(super) fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && let Some((user, _)) = userinfo.split_once(':')
    {
        return format!("{scheme}://{user}:<hidden>@{host}");
    }
    url.to_string()
}
