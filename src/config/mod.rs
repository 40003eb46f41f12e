//! One configuration: defaults → optional TOML file → `FACTEUR_*` environment → `*_FILE` secrets.
//!
//! Every setting is declared once, in [`settings`]: its key (the environment variable is
//! derived from it), kind, default, field and `config check` line. The server block (six keys)
//! is declared once in [`servers`] and read for `[imap]`, `[smtp]` and each domain entry
//! ([`domains`]). Every problem is collected and reported at once, each naming where the bad
//! value came from; secrets never appear in `Debug` or in `facteur config check` output.

mod domains;
mod kinds;
mod servers;
mod settings;
mod source;
mod values;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use values::{
    Backend, DomainEntry, IMAP_PORTS, LogFormat, SIEVE_PORTS, SMTP_PORTS, Secret, Security, Servers, Upstream, decode_key,
    logo_type, valid_domain,
};

use settings::{Item, SETTINGS, Show};
use source::Scope;

#[derive(Clone, Debug)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// The default servers (hosts may contain `{domain}`).
    pub imap: Upstream,
    pub smtp: Upstream,
    /// The ManageSieve server when configured (`[sieve]`, `FACTEUR_SIEVE_*`); else the IMAP
    /// host's port 4190.
    pub sieve: Option<Upstream>,
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
    /// A header (`Name: value`) that the spam filter of the mail server marks spam with,
    /// besides `X-Spam-Flag: YES`, `X-Spam-Status: Yes` and `X-Spam: Yes`.
    pub spam_header: String,
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
    /// How long after a user's last request their live-update connection follows every folder
    /// (NOTIFY); after that it waits in plain IDLE, which a hibernating server can park.
    pub notify_window: Duration,
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
    /// Timed work kept on the server (the Undo send wait); off: messages go at once.
    pub outbox_enabled: bool,
    /// How long an instance holds an outbox job it claimed before another may take it over.
    pub outbox_lease: Duration,
    /// The password Dovecot's push_notification plugin gives at `PUT /push/dovecot`;
    /// unset: the endpoint answers 404 and no notification is sent.
    pub push_dovecot_secret: Option<Secret>,
    /// How push services may reach the hoster (VAPID `sub`): a `mailto:` or `https:` URL.
    pub push_subject: String,
    /// Accept push endpoints in plain `http://` and at any host (a push service on the
    /// hoster's network).
    pub push_allow_http: bool,
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
        let file = match toml_text.map(str::parse::<toml::Table>) {
            Some(Ok(file)) => file,
            Some(Err(e)) => {
                errors.push(format!("config file: {}", e.message()));
                toml::Table::new()
            }
            None => toml::Table::new(),
        };
        errors.extend(source::check_layout(&file, &settings::layout()));
        let scope = Scope::top(&file, env);
        let mut c = Config::unset();
        for item in SETTINGS {
            match item {
                Item::Setting(s) => errors.extend(s.apply(&scope, &mut c).err()),
                Item::Servers => servers::apply(&scope, &mut c, &mut errors),
            }
        }
        if Backend::of(&c.database_url) == Some(Backend::Postgres) && c.secret_key.is_none() {
            errors.push(
                "FACTEUR_SECRET_KEY (or FACTEUR_SECRET_KEY_FILE) is required with a PostgreSQL database: \
                 every instance sharing it must open the same sealed logins"
                    .to_string(),
            );
        }
        if !errors.is_empty() {
            return Err(ConfigErrors(errors));
        }
        Ok(c)
    }

    /// Every field empty, before `from_sources` sets each from its entry in `SETTINGS`.
    fn unset() -> Self {
        let nowhere = Upstream { host: String::new(), port: 0, security: Security::Tls };
        Config {
            listen: SocketAddr::from(([0, 0, 0, 0], 0)),
            data_dir: PathBuf::new(),
            database_url: String::new(),
            imap: nowhere.clone(),
            smtp: nowhere.clone(),
            sieve: None,
            public: Servers { imap: nowhere.clone(), smtp: nowhere, sieve: None },
            domains: Vec::new(),
            allowed_domains: Vec::new(),
            discover_srv: false,
            dns_server: None,
            brand_name: String::new(),
            spam_header: String::new(),
            brand_logo_file: None,
            metrics_listen: None,
            metrics_token: None,
            tls_ca_file: None,
            secret_key: None,
            cookie_secure: false,
            session_idle_timeout: Duration::ZERO,
            session_absolute_timeout: Duration::ZERO,
            imap_idle_timeout: Duration::ZERO,
            imap_connect_timeout: Duration::ZERO,
            imap_command_timeout: Duration::ZERO,
            status_poll_interval: Duration::ZERO,
            notify_window: Duration::ZERO,
            log_format: LogFormat::Text,
            default_language: String::new(),
            smtp_timeout: Duration::ZERO,
            save_sent: false,
            max_message_size: 0,
            login_free_attempts: 0,
            login_max_backoff: Duration::ZERO,
            trust_forwarded_for: false,
            image_proxy_allow_private: false,
            outbox_enabled: true,
            outbox_lease: Duration::from_secs(60),
            push_dovecot_secret: None,
            push_subject: String::new(),
            push_allow_http: false,
        }
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
        for item in SETTINGS {
            match item {
                Item::Setting(s) => match s.show {
                    Show::Line(show) => line(s.key, show(self)),
                    Show::As(label, show) => line(label, show(self)),
                    Show::Hidden => {}
                },
                Item::Servers => servers::describe(self, &mut line),
            }
        }
        out
    }
}
