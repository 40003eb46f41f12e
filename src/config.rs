//! One configuration: defaults → optional TOML file → `FACTEUR_*` environment → `*_FILE` secrets.
//!
//! Every problem is collected and reported at once; secrets never appear in `Debug` or in
//! `facteur config check` output.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// How Facteur talks to an upstream mail server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Security {
    /// Implicit TLS from the first byte (IMAPS 993, SMTPS 465).
    Tls,
    /// Plain connection upgraded with STARTTLS before authenticating (IMAP 143, submission 587).
    StartTls,
    /// No TLS at all. Only for loopback or trusted networks, and only when configured explicitly.
    Plain,
}

impl Security {
    fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tls" | "ssl" | "implicit" => Some(Self::Tls),
            "starttls" => Some(Self::StartTls),
            "plain" | "none" | "insecure" => Some(Self::Plain),
            _ => None,
        }
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

/// An upstream server (IMAP or SMTP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    pub host: String,
    pub port: u16,
    pub security: Security,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub imap: Upstream,
    pub smtp: Upstream,
    pub tls_ca_file: Option<PathBuf>,
    /// 32 random bytes (base64 or hex in configuration). `None`: read or create `secret.key`
    /// in the data directory at start.
    pub secret_key: Option<Secret>,
    pub cookie_secure: bool,
    /// A web session ends after this long without a request.
    pub session_idle_timeout: Duration,
    /// A web session ends this long after login, however active.
    pub session_absolute_timeout: Duration,
    /// An IMAP connection unused this long is logged out; it is reopened on the next request.
    pub imap_idle_timeout: Duration,
    /// Bound on connecting (TCP + TLS + greeting).
    pub imap_connect_timeout: Duration,
    /// Bound on any single IMAP command.
    pub imap_command_timeout: Duration,
    /// How often unread counts of all folders are refreshed for open tabs (the folder shown is
    /// watched continuously with IDLE).
    pub status_poll_interval: Duration,
    pub log_format: LogFormat,
    pub default_language: String,
    /// Bound on each SMTP step (connect, every command, the message data).
    pub smtp_timeout: Duration,
    /// Keep a copy of sent mail in the Sent folder (off for servers that file it themselves).
    pub save_sent: bool,
    /// Largest message a user may send, attachments included, in bytes.
    pub max_message_size: u64,
    /// Failed logins allowed from one address (or for one account) before each further attempt
    /// must wait, twice as long each time.
    pub login_free_attempts: u32,
    /// The longest wait for one address (an account waits one minute at most).
    pub login_max_backoff: Duration,
    /// Take the client's address from the last X-Forwarded-For entry (behind a reverse proxy).
    pub trust_forwarded_for: bool,
    /// Let the image proxy fetch from private and loopback addresses (intranets, tests).
    pub image_proxy_allow_private: bool,
}

/// The file layout, every field optional: what a TOML file may say.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<String>,
    database_url: Option<String>,
    tls_ca_file: Option<String>,
    secret_key: Option<String>,
    secret_key_file: Option<String>,
    cookie_secure: Option<bool>,
    session_idle_timeout_minutes: Option<u64>,
    session_absolute_timeout_hours: Option<u64>,
    log_format: Option<String>,
    default_language: Option<String>,
    login_free_attempts: Option<u32>,
    login_max_backoff_seconds: Option<u64>,
    trust_forwarded_for: Option<bool>,
    image_proxy_allow_private: Option<bool>,
    #[serde(default)]
    imap: FileImap,
    #[serde(default)]
    smtp: FileSmtp,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSmtp {
    host: Option<String>,
    port: Option<u16>,
    security: Option<String>,
    timeout_seconds: Option<u64>,
    save_sent: Option<bool>,
    max_message_mb: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileImap {
    host: Option<String>,
    port: Option<u16>,
    security: Option<String>,
    idle_timeout_minutes: Option<u64>,
    connect_timeout_seconds: Option<u64>,
    command_timeout_seconds: Option<u64>,
    status_poll_seconds: Option<u64>,
}

/// Every problem found, one per line.
#[derive(Debug)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "- {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Collects values with their origin so that errors can say where a bad value came from.
struct Layer<'a> {
    env: &'a HashMap<String, String>,
    errors: Vec<String>,
}

impl Layer<'_> {
    fn env(&self, key: &str) -> Option<String> {
        self.env.get(key).filter(|v| !v.is_empty()).cloned()
    }

    /// Environment wins over the file.
    fn string(&self, key: &str, file: Option<String>) -> Option<(String, String)> {
        match self.env(key) {
            Some(v) => Some((v, key.to_string())),
            None => file.map(|v| (v, format!("config file ({})", toml_name(key)))),
        }
    }

    fn parse<T: std::str::FromStr>(&mut self, key: &str, file: Option<T>) -> Option<T> {
        match self.env(key) {
            Some(v) => match v.trim().parse::<T>() {
                Ok(x) => Some(x),
                Err(_) => {
                    self.errors.push(format!("{key}: cannot read {v:?}"));
                    None
                }
            },
            None => file,
        }
    }

    fn boolean(&mut self, key: &str, file: Option<bool>) -> Option<bool> {
        match self.env(key) {
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => Some(true),
                "0" | "false" | "no" | "off" => Some(false),
                _ => {
                    self.errors.push(format!("{key}: expected true or false, got {v:?}"));
                    None
                }
            },
            None => file,
        }
    }

    /// `KEY` or `KEY_FILE` (the file's content, trimmed). Both set is an error.
    fn secret(&mut self, key: &str, file_value: Option<String>, file_path: Option<String>) -> Option<Secret> {
        let file_key = format!("{key}_FILE");
        let direct = self.env(key).or(file_value);
        let path = self.env(&file_key).or(file_path);
        match (direct, path) {
            (Some(_), Some(_)) => {
                self.errors.push(format!("{key} and {file_key} are both set: keep one"));
                None
            }
            (Some(v), None) => Some(Secret::new(v.trim().to_string())),
            (None, Some(p)) => match std::fs::read_to_string(&p) {
                Ok(s) => Some(Secret::new(s.trim().to_string())),
                Err(e) => {
                    self.errors.push(format!("{file_key}: cannot read {p}: {e}"));
                    None
                }
            },
            (None, None) => None,
        }
    }
}

fn toml_name(env_key: &str) -> String {
    env_key.trim_start_matches("FACTEUR_").to_ascii_lowercase()
}

impl Config {
    /// Loads from the process environment and the TOML file named by `path` (or `FACTEUR_CONFIG`).
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigErrors> {
        let env: HashMap<String, String> = std::env::vars().filter(|(k, _)| k.starts_with("FACTEUR_")).collect();
        let path = path.map(Path::to_path_buf).or_else(|| env.get("FACTEUR_CONFIG").map(PathBuf::from));
        let text = match &path {
            Some(p) => match std::fs::read_to_string(p) {
                Ok(t) => Some(t),
                Err(e) => return Err(ConfigErrors(vec![format!("config file {}: {e}", p.display())])),
            },
            None => None,
        };
        Self::from_sources(text.as_deref(), &env)
    }

    /// Pure: builds the configuration from a TOML text and an environment map.
    pub fn from_sources(toml_text: Option<&str>, env: &HashMap<String, String>) -> Result<Self, ConfigErrors> {
        let mut errors = Vec::new();
        let file: FileConfig = match toml_text {
            Some(t) => match toml::from_str(t) {
                Ok(f) => f,
                Err(e) => {
                    errors.push(format!("config file: {}", e.message()));
                    FileConfig::default()
                }
            },
            None => FileConfig::default(),
        };
        let mut l = Layer { env, errors };

        let listen = match l.string("FACTEUR_LISTEN", file.listen) {
            Some((v, origin)) => match v.parse::<SocketAddr>() {
                Ok(a) => a,
                Err(_) => {
                    l.errors.push(format!("{origin}: {v:?} is not an address like 127.0.0.1:8080"));
                    default_listen()
                }
            },
            None => default_listen(),
        };
        let data_dir = l
            .string("FACTEUR_DATA_DIR", file.data_dir)
            .map(|(v, _)| PathBuf::from(v))
            .unwrap_or_else(|| PathBuf::from("/data"));
        let database_url = l
            .string("FACTEUR_DATABASE_URL", file.database_url)
            .map(|(v, _)| v)
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.join("facteur.db").display()));
        if !database_url.starts_with("sqlite:") {
            l.errors.push(format!(
                "FACTEUR_DATABASE_URL: only sqlite: URLs are supported so far, got {:?}",
                database_url.split(':').next().unwrap_or_default()
            ));
        }

        let imap = upstream(&mut l, "IMAP", file.imap.host, file.imap.port, file.imap.security, (993, 143));
        let smtp = upstream(&mut l, "SMTP", file.smtp.host, file.smtp.port, file.smtp.security, (465, 587));
        let smtp_timeout = l.parse("FACTEUR_SMTP_TIMEOUT_SECONDS", file.smtp.timeout_seconds).unwrap_or(30);
        let save_sent = l.boolean("FACTEUR_SMTP_SAVE_SENT", file.smtp.save_sent).unwrap_or(true);
        let max_message_mb = l.parse("FACTEUR_SMTP_MAX_MESSAGE_MB", file.smtp.max_message_mb).unwrap_or(25);

        let tls_ca_file = l.string("FACTEUR_TLS_CA_FILE", file.tls_ca_file).map(|(v, _)| PathBuf::from(v));
        if let Some(p) = &tls_ca_file
            && !p.is_file()
        {
            l.errors.push(format!("FACTEUR_TLS_CA_FILE: {} is not a readable file", p.display()));
        }
        let secret_key = l.secret("FACTEUR_SECRET_KEY", file.secret_key, file.secret_key_file);
        if let Some(k) = &secret_key
            && decode_key(k.expose()).is_none()
        {
            l.errors
                .push("FACTEUR_SECRET_KEY: expected 32 random bytes as base64 or 64 hex digits".to_string());
        }
        let cookie_secure = l.boolean("FACTEUR_COOKIE_SECURE", file.cookie_secure).unwrap_or(true);
        let idle_min = l
            .parse("FACTEUR_SESSION_IDLE_TIMEOUT_MINUTES", file.session_idle_timeout_minutes)
            .unwrap_or(8 * 60);
        let abs_hours = l
            .parse("FACTEUR_SESSION_ABSOLUTE_TIMEOUT_HOURS", file.session_absolute_timeout_hours)
            .unwrap_or(24 * 7);
        let imap_idle = l.parse("FACTEUR_IMAP_IDLE_TIMEOUT_MINUTES", file.imap.idle_timeout_minutes).unwrap_or(30);
        let imap_connect = l
            .parse("FACTEUR_IMAP_CONNECT_TIMEOUT_SECONDS", file.imap.connect_timeout_seconds)
            .unwrap_or(10);
        let imap_command = l
            .parse("FACTEUR_IMAP_COMMAND_TIMEOUT_SECONDS", file.imap.command_timeout_seconds)
            .unwrap_or(30);
        let status_poll = l
            .parse("FACTEUR_IMAP_STATUS_POLL_SECONDS", file.imap.status_poll_seconds)
            .unwrap_or(60);
        for (name, v) in [
            ("FACTEUR_IMAP_STATUS_POLL_SECONDS", status_poll),
            ("FACTEUR_SESSION_IDLE_TIMEOUT_MINUTES", idle_min),
            ("FACTEUR_SESSION_ABSOLUTE_TIMEOUT_HOURS", abs_hours),
            ("FACTEUR_IMAP_CONNECT_TIMEOUT_SECONDS", imap_connect),
            ("FACTEUR_IMAP_COMMAND_TIMEOUT_SECONDS", imap_command),
            ("FACTEUR_SMTP_TIMEOUT_SECONDS", smtp_timeout),
            ("FACTEUR_SMTP_MAX_MESSAGE_MB", max_message_mb),
        ] {
            if v == 0 {
                l.errors.push(format!("{name}: must be at least 1"));
            }
        }
        let login_free_attempts = l.parse("FACTEUR_LOGIN_FREE_ATTEMPTS", file.login_free_attempts).unwrap_or(5);
        let login_max_backoff = l.parse("FACTEUR_LOGIN_MAX_BACKOFF_SECONDS", file.login_max_backoff_seconds).unwrap_or(900);
        let trust_forwarded_for = l.boolean("FACTEUR_TRUST_FORWARDED_FOR", file.trust_forwarded_for).unwrap_or(false);
        let image_proxy_allow_private =
            l.boolean("FACTEUR_IMAGE_PROXY_ALLOW_PRIVATE", file.image_proxy_allow_private).unwrap_or(false);
        let log_format = match l.string("FACTEUR_LOG_FORMAT", file.log_format) {
            None => LogFormat::Text,
            Some((v, origin)) => match v.to_ascii_lowercase().as_str() {
                "text" => LogFormat::Text,
                "json" => LogFormat::Json,
                _ => {
                    l.errors.push(format!("{origin}: expected text or json, got {v:?}"));
                    LogFormat::Text
                }
            },
        };
        let default_language = l
            .string("FACTEUR_DEFAULT_LANGUAGE", file.default_language)
            .map(|(v, _)| v)
            .unwrap_or_else(|| "en".to_string());
        if !crate::i18n::is_supported(&default_language) {
            l.errors.push(format!(
                "FACTEUR_DEFAULT_LANGUAGE: {default_language:?} is not one of {}",
                crate::i18n::SUPPORTED.join(", ")
            ));
        }

        if !l.errors.is_empty() {
            return Err(ConfigErrors(l.errors));
        }
        Ok(Config {
            listen,
            data_dir,
            database_url,
            imap,
            smtp,
            tls_ca_file,
            secret_key,
            cookie_secure,
            session_idle_timeout: Duration::from_secs(idle_min * 60),
            session_absolute_timeout: Duration::from_secs(abs_hours * 3600),
            imap_idle_timeout: Duration::from_secs(imap_idle * 60),
            imap_connect_timeout: Duration::from_secs(imap_connect),
            imap_command_timeout: Duration::from_secs(imap_command),
            status_poll_interval: Duration::from_secs(status_poll),
            log_format,
            default_language,
            smtp_timeout: Duration::from_secs(smtp_timeout),
            save_sent,
            max_message_size: max_message_mb.saturating_mul(1024 * 1024),
            login_free_attempts,
            login_max_backoff: Duration::from_secs(login_max_backoff),
            trust_forwarded_for,
            image_proxy_allow_private,
        })
    }

    /// The effective configuration as `key = value` lines, secrets hidden.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        let mut line = |k: &str, v: String| {
            out.push_str(k);
            out.push_str(" = ");
            out.push_str(&v);
            out.push('\n');
        };
        line("listen", self.listen.to_string());
        line("data_dir", self.data_dir.display().to_string());
        line("database_url", redact_url(&self.database_url));
        line(
            "imap",
            format!("{}:{} ({})", self.imap.host, self.imap.port, self.imap.security.as_str()),
        );
        line(
            "smtp",
            format!("{}:{} ({})", self.smtp.host, self.smtp.port, self.smtp.security.as_str()),
        );
        line(
            "tls_ca_file",
            self.tls_ca_file.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "(none)".into()),
        );
        line(
            "secret_key",
            match &self.secret_key {
                Some(_) => "<hidden> (configured)".into(),
                None => format!("<hidden> (file {})", self.data_dir.join("secret.key").display()),
            },
        );
        line("cookie_secure", self.cookie_secure.to_string());
        line("session_idle_timeout_minutes", (self.session_idle_timeout.as_secs() / 60).to_string());
        line("session_absolute_timeout_hours", (self.session_absolute_timeout.as_secs() / 3600).to_string());
        line("imap.idle_timeout_minutes", (self.imap_idle_timeout.as_secs() / 60).to_string());
        line("imap.connect_timeout_seconds", self.imap_connect_timeout.as_secs().to_string());
        line("imap.command_timeout_seconds", self.imap_command_timeout.as_secs().to_string());
        line("imap.status_poll_seconds", self.status_poll_interval.as_secs().to_string());
        line("smtp.timeout_seconds", self.smtp_timeout.as_secs().to_string());
        line("smtp.save_sent", self.save_sent.to_string());
        line("smtp.max_message_mb", (self.max_message_size / (1024 * 1024)).to_string());
        line("login_free_attempts", self.login_free_attempts.to_string());
        line("login_max_backoff_seconds", self.login_max_backoff.as_secs().to_string());
        line("trust_forwarded_for", self.trust_forwarded_for.to_string());
        line("image_proxy_allow_private", self.image_proxy_allow_private.to_string());
        line("log_format", format!("{:?}", self.log_format).to_ascii_lowercase());
        line("default_language", self.default_language.clone());
        out
    }
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], 8080))
}

fn upstream(
    l: &mut Layer<'_>,
    name: &str,
    host: Option<String>,
    port: Option<u16>,
    security: Option<String>,
    default_ports: (u16, u16),
) -> Upstream {
    let host_key = format!("FACTEUR_{name}_HOST");
    let host = l.string(&host_key, host).map(|(v, _)| v).unwrap_or_else(|| "localhost".to_string());
    if host.chars().any(|c| c.is_whitespace() || c.is_control() || c == '/') {
        l.errors.push(format!("{host_key}: {host:?} is not a host name"));
    }
    let sec_key = format!("FACTEUR_{name}_SECURITY");
    let security = match l.string(&sec_key, security) {
        None => Security::Tls,
        Some((v, origin)) => Security::parse(&v).unwrap_or_else(|| {
            l.errors.push(format!("{origin}: expected tls, starttls or plain, got {v:?}"));
            Security::Tls
        }),
    };
    let default_port = if security == Security::Tls { default_ports.0 } else { default_ports.1 };
    let port = l.parse(&format!("FACTEUR_{name}_PORT"), port).unwrap_or(default_port);
    if port == 0 {
        l.errors.push(format!("FACTEUR_{name}_PORT: must not be 0"));
    }
    Upstream { host, port, security }
}

/// Hides the password in a `scheme://user:password@host` URL.
fn redact_url(url: &str) -> String {
    if let Some((scheme, rest)) = url.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && let Some((user, _)) = userinfo.split_once(':')
    {
        return format!("{scheme}://{user}:<hidden>@{host}");
    }
    url.to_string()
}

/// Accepts 32 bytes as standard or URL-safe base64, or as 64 hex digits.
pub fn decode_key(s: &str) -> Option<[u8; 32]> {
    use base64::Engine;
    let s = s.trim();
    let bytes = if s.len() == 64 && s.chars().all(|c| c.is_ascii_hexdigit()) {
        (0..32)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok())
            .collect::<Option<Vec<u8>>>()?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s))
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(s))
            .ok()?
    };
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_suit_a_container() {
        let c = Config::from_sources(None, &HashMap::new()).unwrap();
        assert_eq!(c.listen.to_string(), "0.0.0.0:8080");
        assert_eq!(c.data_dir, PathBuf::from("/data"));
        assert_eq!(c.database_url, "sqlite:///data/facteur.db?mode=rwc");
        assert_eq!(c.imap.port, 993);
        assert_eq!(c.imap.security, Security::Tls);
        assert_eq!(c.smtp.port, 465);
        assert!(c.cookie_secure);
        assert_eq!(c.imap_idle_timeout, Duration::from_secs(1800));
    }

    #[test]
    fn environment_overrides_the_file_which_overrides_defaults() {
        let toml = "listen = \"127.0.0.1:9000\"\n[imap]\nhost = \"imap.example.org\"\nsecurity = \"starttls\"\n";
        let c = Config::from_sources(Some(toml), &env(&[("FACTEUR_IMAP_HOST", "mail.example.net")])).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:9000");
        assert_eq!(c.imap.host, "mail.example.net");
        assert_eq!(c.imap.security, Security::StartTls);
        assert_eq!(c.imap.port, 143, "the default port follows the security mode");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let e = Config::from_sources(
            Some("bogus = 1\n"),
            &env(&[
                ("FACTEUR_LISTEN", "nowhere"),
                ("FACTEUR_IMAP_SECURITY", "maybe"),
                ("FACTEUR_COOKIE_SECURE", "perhaps"),
                ("FACTEUR_SECRET_KEY", "short"),
            ]),
        )
        .unwrap_err();
        assert_eq!(e.0.len(), 5, "{e}");
        let text = e.to_string();
        assert!(text.contains("FACTEUR_LISTEN"));
        assert!(text.contains("FACTEUR_IMAP_SECURITY"));
        assert!(text.contains("FACTEUR_COOKIE_SECURE"));
        assert!(text.contains("FACTEUR_SECRET_KEY"));
        assert!(text.contains("bogus"));
    }

    #[test]
    fn secrets_never_show() {
        let key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let c = Config::from_sources(
            None,
            &env(&[("FACTEUR_SECRET_KEY", key), ("FACTEUR_DATABASE_URL", "sqlite://x.db")]),
        )
        .unwrap();
        assert!(!format!("{c:?}").contains(key));
        assert!(!c.describe().contains(key));
        assert_eq!(redact_url("postgres://u:pw@h/db"), "postgres://u:<hidden>@h/db");
    }

    #[test]
    fn secret_from_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("k");
        std::fs::write(&p, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n").unwrap();
        let c = Config::from_sources(None, &env(&[("FACTEUR_SECRET_KEY_FILE", p.to_str().unwrap())])).unwrap();
        let k = decode_key(c.secret_key.unwrap().expose()).unwrap();
        assert_eq!(k[31], 31);
    }
}

#[cfg(test)]
mod example_file {
    use super::*;

    /// `config.example.toml` parses, names every setting, and documents every variable.
    #[test]
    fn the_example_file_is_complete_and_valid() {
        let text = include_str!("../config.example.toml");
        // Commented-out settings look like `# key = value`: uncomment them too.
        let is_setting = |r: &str| r.split_once(" = ").is_some_and(|(k, _)| k.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
        let uncommented: String = text
            .lines()
            .map(|l| l.strip_prefix("# ").filter(|r| is_setting(r)).unwrap_or(l))
            .collect::<Vec<_>>()
            .join("\n");
        // Both the live settings and the commented-out ones must be accepted by the parser...
        let parsed: FileConfig = toml::from_str(&uncommented.replace("secret_key = \"...\"", "secret_key = \"x\"")).unwrap();
        assert!(parsed.database_url.is_some() && parsed.tls_ca_file.is_some() && parsed.secret_key_file.is_some());
        // ...and every environment variable the code reads is mentioned.
        let code = include_str!("config.rs");
        let mut missing = Vec::new();
        for part in code.split("\"FACTEUR_").skip(1) {
            let name: String = part.chars().take_while(|c| c.is_ascii_uppercase() || *c == '_').collect();
            if !name.is_empty() && name != "CONFIG" && !text.contains(&format!("FACTEUR_{name}")) {
                missing.push(name);
            }
        }
        for server in ["IMAP", "SMTP"] {
            for key in ["HOST", "PORT", "SECURITY"] {
                if !text.contains(&format!("FACTEUR_{server}_{key}")) {
                    missing.push(format!("{server}_{key}"));
                }
            }
        }
        assert!(missing.is_empty(), "undocumented: {missing:?}");
        assert!(Config::from_sources(Some(text), &HashMap::new()).is_ok());
    }
}
