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
    fn parse(s: &str) -> Option<Self> {
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

/// The two servers of one mail account.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct Servers {
    pub imap: Upstream,
    pub smtp: Upstream,
}

impl Servers {
    pub fn for_domain(&self, domain: &str) -> Self {
        Self { imap: self.imap.for_domain(domain), smtp: self.smtp.for_domain(domain) }
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
}

/// One server's settings as written, before defaults: for the default servers and for each
/// domain entry.
#[derive(Clone, Debug, Default)]
struct ServerFields {
    host: Option<String>,
    port: Option<u16>,
    security: Option<Security>,
    public_host: Option<String>,
    public_port: Option<u16>,
    public_security: Option<Security>,
}

impl ServerFields {
    /// (the server Facteur uses, the server apps are told) — `self` over `base`, then defaults.
    fn merge(&self, base: &ServerFields, ports: (u16, u16)) -> (Upstream, Upstream) {
        let security = self.security.or(base.security).unwrap_or(Security::Tls);
        let port = self
            .port
            .or(self.security.map(|s| s.default_port(ports)))
            .or(base.port)
            .unwrap_or(security.default_port(ports));
        let host = self.host.clone().or(base.host.clone()).unwrap_or_else(|| "localhost".to_string());
        let connect = Upstream { host, port, security };
        let public_security = self.public_security.or(base.public_security).unwrap_or(security);
        let public_port = self
            .public_port
            .or(self.public_security.map(|s| s.default_port(ports)))
            .or(base.public_port)
            .unwrap_or(if public_security == security { port } else { public_security.default_port(ports) });
        let public_host = self.public_host.clone().or(base.public_host.clone()).unwrap_or_else(|| connect.host.clone());
        (connect.clone(), Upstream { host: public_host, port: public_port, security: public_security })
    }
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

#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// The default servers (hosts may contain `{domain}`).
    pub imap: Upstream,
    pub smtp: Upstream,
    /// What mail apps are told by default (hosts may contain `{domain}`).
    pub public: Servers,
    /// Domains with settings of their own.
    pub domains: Vec<DomainEntry>,
    /// When not empty, only these domains (and those of `domains`) may log in. `*.example.org`
    /// matches every subdomain of example.org.
    pub allowed_domains: Vec<String>,
    /// Look up a domain's servers in its RFC 6186 SRV records before the default servers.
    pub discover_srv: bool,
    /// The DNS server for SRV lookups; `None`: the system's.
    pub dns_server: Option<SocketAddr>,
    /// The product name shown on the login page and in titles, unless a domain has its own.
    pub brand_name: String,
    pub brand_logo_file: Option<PathBuf>,
    /// Serve `/metrics` on this address instead of the main listener.
    pub metrics_listen: Option<SocketAddr>,
    /// When set, `/metrics` wants `Authorization: Bearer <token>`.
    pub metrics_token: Option<Secret>,
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
    database_url_file: Option<String>,
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
    allowed_domains: Option<Vec<String>>,
    discover_srv: Option<bool>,
    dns_server: Option<String>,
    brand_name: Option<String>,
    brand_logo_file: Option<String>,
    metrics_listen: Option<String>,
    metrics_token: Option<String>,
    metrics_token_file: Option<String>,
    #[serde(default)]
    imap: FileImap,
    #[serde(default)]
    smtp: FileSmtp,
    #[serde(default)]
    domains: Vec<FileDomain>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDomain {
    name: Option<String>,
    web_hosts: Option<Vec<String>>,
    brand_name: Option<String>,
    brand_logo_file: Option<String>,
    #[serde(default)]
    imap: FileServer,
    #[serde(default)]
    smtp: FileServer,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileServer {
    host: Option<String>,
    port: Option<u16>,
    security: Option<String>,
    public_host: Option<String>,
    public_port: Option<u16>,
    public_security: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSmtp {
    host: Option<String>,
    port: Option<u16>,
    security: Option<String>,
    public_host: Option<String>,
    public_port: Option<u16>,
    public_security: Option<String>,
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
    public_host: Option<String>,
    public_port: Option<u16>,
    public_security: Option<String>,
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
        // A PostgreSQL URL may hold a password: it can come from a file like other secrets.
        let database_url = l
            .secret("FACTEUR_DATABASE_URL", file.database_url, file.database_url_file)
            .map(|v| v.expose().to_string())
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.join("facteur.db").display()));
        if let Err(e) = Backend::parse(&database_url) {
            l.errors.push(format!("FACTEUR_DATABASE_URL: {e}"));
        }

        let imap_fields = server_fields(
            &mut l,
            "FACTEUR_IMAP",
            FileServer {
                host: file.imap.host,
                port: file.imap.port,
                security: file.imap.security,
                public_host: file.imap.public_host,
                public_port: file.imap.public_port,
                public_security: file.imap.public_security,
            },
        );
        let smtp_fields = server_fields(
            &mut l,
            "FACTEUR_SMTP",
            FileServer {
                host: file.smtp.host,
                port: file.smtp.port,
                security: file.smtp.security,
                public_host: file.smtp.public_host,
                public_port: file.smtp.public_port,
                public_security: file.smtp.public_security,
            },
        );
        let (imap, public_imap) = ServerFields::default().merge(&imap_fields, IMAP_PORTS);
        let (smtp, public_smtp) = ServerFields::default().merge(&smtp_fields, SMTP_PORTS);
        let public = Servers { imap: public_imap, smtp: public_smtp };
        let domains = domain_entries(&mut l, file.domains, &imap_fields, &smtp_fields);
        let allowed_domains: Vec<String> = match l.env("FACTEUR_ALLOWED_DOMAINS") {
            Some(v) => v.split([',', ' ']).map(str::trim).filter(|d| !d.is_empty()).map(str::to_ascii_lowercase).collect(),
            None => file.allowed_domains.unwrap_or_default().iter().map(|d| d.trim().to_ascii_lowercase()).collect(),
        };
        for d in &allowed_domains {
            if !valid_domain(d.strip_prefix("*.").unwrap_or(d)) {
                l.errors.push(format!("FACTEUR_ALLOWED_DOMAINS: {d:?} is not a domain name (or *.domain)"));
            }
        }
        let discover_srv = l.boolean("FACTEUR_DISCOVER_SRV", file.discover_srv).unwrap_or(false);
        let dns_server = match l.string("FACTEUR_DNS_SERVER", file.dns_server) {
            None => None,
            Some((v, origin)) => match v.parse::<SocketAddr>().or_else(|_| v.parse::<std::net::IpAddr>().map(|ip| SocketAddr::new(ip, 53))) {
                Ok(a) => Some(a),
                Err(_) => {
                    l.errors.push(format!("{origin}: {v:?} is not an address like 192.0.2.53 or 127.0.0.1:5353"));
                    None
                }
            },
        };
        let brand_name = l.string("FACTEUR_BRAND_NAME", file.brand_name).map(|(v, _)| v).unwrap_or_else(|| "Facteur".to_string());
        let brand_logo_file = l.string("FACTEUR_BRAND_LOGO_FILE", file.brand_logo_file).map(|(v, _)| PathBuf::from(v));
        let metrics_listen = match l.string("FACTEUR_METRICS_LISTEN", file.metrics_listen) {
            None => None,
            Some((v, origin)) => match v.parse::<SocketAddr>() {
                Ok(a) => Some(a),
                Err(_) => {
                    l.errors.push(format!("{origin}: {v:?} is not an address like 127.0.0.1:9090"));
                    None
                }
            },
        };
        let metrics_token = l.secret("FACTEUR_METRICS_TOKEN", file.metrics_token, file.metrics_token_file);
        for p in brand_logo_file.iter().chain(domains.iter().filter_map(|d| d.brand_logo_file.as_ref())) {
            if !p.is_file() {
                l.errors.push(format!("brand logo {} is not a readable file", p.display()));
            } else if logo_type(p).is_none() {
                l.errors.push(format!("brand logo {}: expected .svg, .png, .jpg or .webp", p.display()));
            }
        }
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
        if Backend::of(&database_url) == Some(Backend::Postgres) && secret_key.is_none() {
            l.errors.push(
                "FACTEUR_SECRET_KEY (or FACTEUR_SECRET_KEY_FILE) is required with a PostgreSQL database: \
                 every instance sharing it must open the same sealed logins"
                    .to_string(),
            );
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
            public,
            domains,
            allowed_domains,
            discover_srv,
            dns_server,
            brand_name,
            brand_logo_file,
            metrics_listen,
            metrics_token,
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
        line("imap", self.imap.to_string());
        line("smtp", self.smtp.to_string());
        line("public (what mail apps are told)", format!("imap {}, smtp {}", self.public.imap, self.public.smtp));
        for d in &self.domains {
            line(
                &format!("domain {}", d.name),
                format!("imap {}, smtp {}, web hosts [{}]", d.servers.imap, d.servers.smtp, d.web_hosts.join(", ")),
            );
        }
        line(
            "allowed_domains",
            if self.allowed_domains.is_empty() { "(any)".into() } else { self.allowed_domains.join(", ") },
        );
        line("discover_srv", self.discover_srv.to_string());
        line("dns_server", self.dns_server.map(|a| a.to_string()).unwrap_or_else(|| "(system)".into()));
        line("brand_name", self.brand_name.clone());
        line(
            "metrics",
            format!(
                "{}{}",
                self.metrics_listen.map(|a| a.to_string()).unwrap_or_else(|| "main listener".into()),
                if self.metrics_token.is_some() { ", token <hidden>" } else { "" }
            ),
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

/// One server's fields from `PREFIX_HOST`, `_PORT`, `_SECURITY`, `_PUBLIC_HOST`, `_PUBLIC_PORT`,
/// `_PUBLIC_SECURITY` (environment) over the file's.
fn server_fields(l: &mut Layer<'_>, prefix: &str, file: FileServer) -> ServerFields {
    let host = |l: &mut Layer<'_>, key: String, value: Option<String>| -> Option<String> {
        let (v, origin) = l.string(&key, value)?;
        let v = v.trim().to_string();
        let without = v.replace("{domain}", "x");
        if v.is_empty() || without.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '{' | '}' | '@')) {
            l.errors.push(format!("{origin}: {v:?} is not a host name (the only placeholder is {{domain}})"));
        }
        Some(v)
    };
    let security = |l: &mut Layer<'_>, key: String, value: Option<String>| -> Option<Security> {
        let (v, origin) = l.string(&key, value)?;
        let s = Security::parse(&v);
        if s.is_none() {
            l.errors.push(format!("{origin}: expected tls, starttls or plain, got {v:?}"));
        }
        s
    };
    let port = |l: &mut Layer<'_>, key: String, value: Option<u16>| -> Option<u16> {
        let p = l.parse(&key, value);
        if p == Some(0) {
            l.errors.push(format!("{key}: must not be 0"));
        }
        p
    };
    ServerFields {
        host: host(l, format!("{prefix}_HOST"), file.host),
        port: port(l, format!("{prefix}_PORT"), file.port),
        security: security(l, format!("{prefix}_SECURITY"), file.security),
        public_host: host(l, format!("{prefix}_PUBLIC_HOST"), file.public_host),
        public_port: port(l, format!("{prefix}_PUBLIC_PORT"), file.public_port),
        public_security: security(l, format!("{prefix}_PUBLIC_SECURITY"), file.public_security),
    }
}

/// `[[domains]]` of the file, then `FACTEUR_DOMAIN_<N>_*` of the environment (N = 1, 2, …; an
/// environment entry replaces a file entry of the same name).
fn domain_entries(l: &mut Layer<'_>, file: Vec<FileDomain>, imap: &ServerFields, smtp: &ServerFields) -> Vec<DomainEntry> {
    let mut raw: Vec<(String, FileDomain)> = file.into_iter().enumerate().map(|(i, d)| (format!("domains[{i}]"), d)).collect();
    let mut numbers: Vec<u32> = l
        .env
        .keys()
        .filter_map(|k| k.strip_prefix("FACTEUR_DOMAIN_"))
        .filter_map(|rest| rest.split('_').next()?.parse::<u32>().ok())
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    for n in numbers {
        let p = format!("FACTEUR_DOMAIN_{n}");
        let list = |v: Option<String>| v.map(|v| v.split([',', ' ']).filter(|h| !h.is_empty()).map(str::to_string).collect());
        let entry = FileDomain {
            name: l.env(&format!("{p}_NAME")),
            web_hosts: list(l.env(&format!("{p}_WEB_HOSTS"))),
            brand_name: l.env(&format!("{p}_BRAND_NAME")),
            brand_logo_file: l.env(&format!("{p}_BRAND_LOGO_FILE")),
            imap: FileServer::default(),
            smtp: FileServer::default(),
        };
        raw.retain(|(_, d)| d.name.as_deref().map(str::to_ascii_lowercase) != entry.name.as_deref().map(str::to_ascii_lowercase));
        raw.push((p, entry));
    }
    let mut out: Vec<DomainEntry> = Vec::new();
    for (origin, d) in raw {
        let (imap_fields, smtp_fields) = if origin.starts_with("FACTEUR_") {
            (server_fields(l, &format!("{origin}_IMAP"), FileServer::default()), server_fields(l, &format!("{origin}_SMTP"), FileServer::default()))
        } else {
            (server_fields(l, &format!("{origin}.imap"), d.imap), server_fields(l, &format!("{origin}.smtp"), d.smtp))
        };
        let Some(name) = d.name.map(|n| n.trim().to_ascii_lowercase()) else {
            l.errors.push(format!("{origin}: a domain entry needs a name"));
            continue;
        };
        if !valid_domain(&name) {
            l.errors.push(format!("{origin}: {name:?} is not a domain name"));
            continue;
        }
        if out.iter().any(|e| e.name == name) {
            l.errors.push(format!("{origin}: {name} is configured twice"));
            continue;
        }
        let (imap_c, imap_p) = imap_fields.merge(imap, IMAP_PORTS);
        let (smtp_c, smtp_p) = smtp_fields.merge(smtp, SMTP_PORTS);
        let web_hosts = d
            .web_hosts
            .unwrap_or_default()
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        out.push(DomainEntry {
            servers: Servers { imap: imap_c, smtp: smtp_c }.for_domain(&name),
            public: Servers { imap: imap_p, smtp: smtp_p }.for_domain(&name),
            brand_name: d.brand_name.filter(|b| !b.trim().is_empty()),
            brand_logo_file: d.brand_logo_file.map(PathBuf::from),
            web_hosts,
            name,
        });
    }
    out
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
        let dir = tempfile::tempdir().unwrap();
        let url_file = dir.path().join("url");
        std::fs::write(&url_file, "postgres://facteur:pw@db.internal/facteur\n").unwrap();
        let c = Config::from_sources(
            None,
            &env(&[("FACTEUR_DATABASE_URL_FILE", url_file.to_str().unwrap()), ("FACTEUR_SECRET_KEY", key)]),
        )
        .unwrap();
        assert_eq!(c.database_url, "postgres://facteur:pw@db.internal/facteur");
        assert!(c.describe().contains("postgres://facteur:<hidden>@db.internal/facteur"));
        let e = Config::from_sources(None, &env(&[("FACTEUR_DATABASE_URL", "postgres://h/db")])).unwrap_err().to_string();
        assert!(e.contains("FACTEUR_SECRET_KEY"), "PostgreSQL needs a shared key: {e}");
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
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|r| is_setting(r) || (r.starts_with('[') && r.ends_with(']') && !r.contains(' ')))
                    .unwrap_or(l)
            })
            .collect::<Vec<_>>()
            .join("\n");
        // Both the live settings and the commented-out ones must be accepted by the parser...
        let parsed: FileConfig = toml::from_str(&uncommented.replace("secret_key = \"...\"", "secret_key = \"x\"")).unwrap();
        assert!(parsed.database_url.is_some() && parsed.tls_ca_file.is_some() && parsed.secret_key_file.is_some());
        assert_eq!(parsed.domains.len(), 1, "the [[domains]] example is read");
        assert!(parsed.domains[0].imap.public_host.is_some() && parsed.domains[0].smtp.host.is_some());
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
