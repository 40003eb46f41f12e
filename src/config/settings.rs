//! Every setting, declared once: its TOML key, its kind, its default, the `Config` field it
//! fills and how `facteur config check` shows it. The environment variable is derived from
//! the key (`imap.idle_timeout_minutes` → `FACTEUR_IMAP_IDLE_TIMEOUT_MINUTES`).
//!
//! The order is that of `config check`. To add a plain setting: a field in `Config` (and in
//! `Config::unset`), one `setting!` line here, and its documentation in `config.example.toml`
//! (a test checks that every key and variable is there).

use super::Config;
use super::kinds::*;
use super::servers;
use super::source::Scope;
use super::values::LogFormat;

/// One entry of the table.
pub(super) enum Item {
    Setting(Setting),
    /// `[imap]`, `[smtp]` and `[[domains]]`: see `servers` and `domains`.
    Servers,
}

/// A setting read from one key.
pub(super) struct Setting {
    /// The TOML key, `section.key` inside a section.
    pub key: &'static str,
    pub toml: Toml,
    /// The text when nothing sets it, as written in the environment; `""`: unset.
    pub default: &'static str,
    /// A secret may instead be read from the file `<key>_file` names (`FACTEUR_<KEY>_FILE`).
    pub secret: bool,
    /// Reads the text into the configuration; an error says what is wrong with it.
    set: fn(&mut Config, &str) -> Result<(), String>,
    pub show: Show,
}

/// How `config check` shows a setting.
#[derive(Clone, Copy)]
pub(super) enum Show {
    /// `key = <value>`.
    Line(fn(&Config) -> String),
    /// `label = <value>`.
    As(&'static str, fn(&Config) -> String),
    /// Not on a line of its own.
    Hidden,
}

/// `setting!("key" => field: Kind = "default")`: `key` is read as a `Kind` into
/// `Config::field`; `setting!(field: Kind = "default")` when the key is the field's name.
macro_rules! setting {
    ($key:expr => $field:ident : $kind:ty = $default:literal) => {
        Item::Setting(Setting {
            key: $key,
            toml: <$kind as Kind>::TOML,
            default: $default,
            secret: false,
            set: |c, text| {
                c.$field = <$kind as Kind>::parse(text)?;
                Ok(())
            },
            show: Show::Line(|c| <$kind as Kind>::show(&c.$field)),
        })
    };
    ($field:ident : $kind:ty = $default:literal) => {
        setting!(stringify!($field) => $field: $kind = $default)
    };
}

impl Item {
    /// Also from a file: `<key>_file`, `FACTEUR_<KEY>_FILE`.
    const fn secret(self) -> Self {
        match self {
            Item::Setting(s) => Item::Setting(Setting { secret: true, ..s }),
            other => other,
        }
    }

    const fn show(self, show: Show) -> Self {
        match self {
            Item::Setting(s) => Item::Setting(Setting { show, ..s }),
            other => other,
        }
    }
}

/// Every setting, in `config check` order.
pub(super) static SETTINGS: &[Item] = &[
    setting!(listen: Address = "0.0.0.0:8080"),
    setting!(data_dir: Path = "/data"),
    // A PostgreSQL URL may hold a password; by default, SQLite in the data directory.
    Item::Setting(Setting {
        key: "database_url",
        toml: Toml::Text,
        default: "",
        secret: true,
        set: |c, url| {
            c.database_url = match url {
                "" => format!("sqlite://{}?mode=rwc", c.data_dir.join("facteur.db").display()),
                url => DatabaseUrl::parse(url)?,
            };
            Ok(())
        },
        show: Show::Line(|c| DatabaseUrl::show(&c.database_url)),
    }),
    Item::Servers,
    setting!(allowed_domains: DomainList = ""),
    setting!(discover_srv: Flag = "false"),
    setting!(dns_server: Optional<DnsServer> = "")
        .show(Show::Line(|c| c.dns_server.map(|a| a.to_string()).unwrap_or_else(|| "(system)".into()))),
    setting!(brand_name: Text = "Facteur"),
    setting!(brand_logo_file: Optional<Logo> = "").show(Show::Hidden),
    setting!(metrics_listen: Optional<Address> = "").show(Show::As("metrics", |c| {
        let listen = c.metrics_listen.map(|a| a.to_string()).unwrap_or_else(|| "main listener".into());
        format!("{listen}{}", if c.metrics_token.is_some() { ", token <hidden>" } else { "" })
    })),
    setting!(metrics_token: Optional<SecretText> = "").secret().show(Show::Hidden),
    setting!(tls_ca_file: Optional<ReadableFile> = ""),
    setting!(secret_key: Optional<SecretKey> = "").secret().show(Show::Line(|c| match &c.secret_key {
        Some(_) => "<hidden> (configured)".into(),
        None => format!("<hidden> (file {})", c.data_dir.join("secret.key").display()),
    })),
    setting!(cookie_secure: Flag = "true"),
    setting!("session_idle_timeout_minutes" => session_idle_timeout: Minutes = "480"),
    setting!("session_absolute_timeout_hours" => session_absolute_timeout: Hours = "168"),
    setting!("imap.idle_timeout_minutes" => imap_idle_timeout: Minutes<0> = "30"),
    setting!("imap.connect_timeout_seconds" => imap_connect_timeout: Seconds = "10"),
    setting!("imap.command_timeout_seconds" => imap_command_timeout: Seconds = "30"),
    setting!("imap.status_poll_seconds" => status_poll_interval: Seconds = "60"),
    setting!("imap.notify_seconds" => notify_window: Seconds = "30"),
    setting!("smtp.timeout_seconds" => smtp_timeout: Seconds = "30"),
    setting!("smtp.save_sent" => save_sent: Flag = "true"),
    setting!("smtp.max_message_mb" => max_message_size: Megabytes = "25"),
    setting!("sieve.spam_header" => spam_header: Text = "")
        .show(Show::Line(|c| if c.spam_header.is_empty() { "(none)".into() } else { c.spam_header.clone() })),
    setting!(login_free_attempts: Count = "5"),
    setting!("login_max_backoff_seconds" => login_max_backoff: Seconds<0> = "900"),
    setting!(trust_forwarded_for: Flag = "false"),
    setting!(image_proxy_allow_private: Flag = "false"),
    setting!(log_format: LogFormat = "text"),
    setting!(default_language: Language = "en"),
    setting!("outbox.enabled" => outbox_enabled: Flag = "true"),
    setting!("outbox.lease_seconds" => outbox_lease: Seconds = "60"),
    setting!("push.dovecot_secret" => push_dovecot_secret: Optional<SecretText> = "")
        .secret()
        .show(Show::Line(|c| if c.push_dovecot_secret.is_some() { "<hidden>".into() } else { "(off)".into() })),
    setting!("push.subject" => push_subject: Text = "")
        .show(Show::Line(|c| if c.push_subject.is_empty() { "(mailto:postmaster@ this machine's name)".into() } else { c.push_subject.clone() })),
    setting!("push.allow_http" => push_allow_http: Flag = "false"),
];

impl Setting {
    /// Sets the field from the winning value (else the default); a bad value is reported
    /// with where it came from.
    pub(super) fn apply(&self, scope: &Scope<'_>, c: &mut Config) -> Result<(), String> {
        let found = if self.secret { scope.secret(self.key)? } else { scope.lookup(self.key) };
        match found {
            Some(found) => (self.set)(c, &found.text).map_err(|e| format!("{}: {e}", found.origin)),
            None => (self.set)(c, self.default).map_err(|e| format!("default of {}: {e}", self.key)),
        }
    }
}

/// Every key the file may hold, with its TOML type: `listen`, `imap.port`, `domains[].name`, …
pub(super) fn layout() -> Vec<(String, Toml)> {
    let mut out = Vec::new();
    for item in SETTINGS {
        match item {
            Item::Setting(s) => {
                out.push((s.key.to_string(), s.toml));
                if s.secret {
                    out.push((format!("{}_file", s.key), Toml::Text));
                }
            }
            Item::Servers => {
                for (section, _) in servers::SECTIONS {
                    out.extend(servers::keys(section).iter().map(|(k, t)| (format!("{section}.{k}"), *t)));
                }
                out.extend(super::domains::layout());
            }
        }
    }
    out
}
