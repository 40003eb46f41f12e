//! Kinds of values: how each is written (its TOML type; in the environment, always text) and
//! read, and how `facteur config check` shows it.
//!
//! A TOML value is turned into the text the environment would hold (`true`, `30`, a list as
//! `a,b`), so that each kind has one parser and both sources give the same errors.

use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use super::values::{Backend, LogFormat, Secret, Security, decode_key, logo_type, valid_domain};

/// The TOML type a setting is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Toml {
    Text,
    Integer,
    Boolean,
    List,
}

impl Toml {
    pub(super) fn accepts(self, value: &toml::Value) -> bool {
        match self {
            Self::Text => value.is_str(),
            Self::Integer => value.is_integer(),
            Self::Boolean => value.is_bool(),
            Self::List => value.as_array().is_some_and(|a| a.iter().all(toml::Value::is_str)),
        }
    }

    pub(super) fn expected(self) -> &'static str {
        match self {
            Self::Text => "a string",
            Self::Integer => "a whole number",
            Self::Boolean => "true or false",
            Self::List => "a list of strings",
        }
    }
}

/// One kind of value.
pub(super) trait Kind {
    /// What the configuration holds.
    type Value;
    const TOML: Toml;
    /// Reads the text of a value; an error says what is wrong (its origin is added by the
    /// caller). The empty text means "not set" to kinds that may be unset.
    fn parse(text: &str) -> Result<Self::Value, String>;
    /// How `facteur config check` shows the value.
    fn show(value: &Self::Value) -> String;
}

fn number<T: std::str::FromStr>(text: &str) -> Result<T, String> {
    text.trim().parse::<T>().map_err(|_| format!("cannot read {text:?}"))
}

fn at_least(text: &str, min: u64) -> Result<u64, String> {
    let n: u64 = number(text)?;
    if n < min {
        return Err(format!("must be at least {min}"));
    }
    Ok(n)
}

/// A kind that may be unset (the empty text): `Option` of the inner kind, shown as `(none)`.
pub(super) struct Optional<K>(PhantomData<K>);

impl<K: Kind> Kind for Optional<K> {
    type Value = Option<K::Value>;
    const TOML: Toml = K::TOML;
    fn parse(text: &str) -> Result<Self::Value, String> {
        if text.is_empty() { Ok(None) } else { K::parse(text).map(Some) }
    }
    fn show(value: &Self::Value) -> String {
        value.as_ref().map(K::show).unwrap_or_else(|| "(none)".into())
    }
}

/// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off` in the environment).
pub(super) struct Flag;

impl Kind for Flag {
    type Value = bool;
    const TOML: Toml = Toml::Boolean;
    fn parse(text: &str) -> Result<bool, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" => Ok(false),
            _ => Err(format!("expected true or false, got {text:?}")),
        }
    }
    fn show(value: &bool) -> String {
        value.to_string()
    }
}

/// A whole number, zero included.
pub(super) struct Count;

impl Kind for Count {
    type Value = u32;
    const TOML: Toml = Toml::Integer;
    fn parse(text: &str) -> Result<u32, String> {
        number(text)
    }
    fn show(value: &u32) -> String {
        value.to_string()
    }
}

/// A size written in MB (at least 1), held in bytes.
pub(super) struct Megabytes;

const MB: u64 = 1024 * 1024;

impl Kind for Megabytes {
    type Value = u64;
    const TOML: Toml = Toml::Integer;
    fn parse(text: &str) -> Result<u64, String> {
        Ok(at_least(text, 1)?.saturating_mul(MB))
    }
    fn show(value: &u64) -> String {
        (value / MB).to_string()
    }
}

/// A duration written as a number of `UNIT` seconds, at least `MIN` of them.
pub(super) struct Span<const UNIT: u64, const MIN: u64>;

/// Seconds, at least 1 unless `MIN` says otherwise (`Seconds<0>`).
pub(super) type Seconds<const MIN: u64 = 1> = Span<1, MIN>;
pub(super) type Minutes<const MIN: u64 = 1> = Span<60, MIN>;
pub(super) type Hours<const MIN: u64 = 1> = Span<3600, MIN>;

impl<const UNIT: u64, const MIN: u64> Kind for Span<UNIT, MIN> {
    type Value = Duration;
    const TOML: Toml = Toml::Integer;
    fn parse(text: &str) -> Result<Duration, String> {
        Ok(Duration::from_secs(at_least(text, MIN)?.saturating_mul(UNIT)))
    }
    fn show(value: &Duration) -> String {
        (value.as_secs() / UNIT).to_string()
    }
}

/// Any text, as written.
pub(super) struct Text;

impl Kind for Text {
    type Value = String;
    const TOML: Toml = Toml::Text;
    fn parse(text: &str) -> Result<String, String> {
        Ok(text.to_string())
    }
    fn show(value: &String) -> String {
        value.clone()
    }
}

/// A file or directory that need not exist yet.
pub(super) struct Path;

impl Kind for Path {
    type Value = PathBuf;
    const TOML: Toml = Toml::Text;
    fn parse(text: &str) -> Result<PathBuf, String> {
        Ok(PathBuf::from(text))
    }
    fn show(value: &PathBuf) -> String {
        value.display().to_string()
    }
}

/// A file that must exist.
pub(super) struct ReadableFile;

impl Kind for ReadableFile {
    type Value = PathBuf;
    const TOML: Toml = Toml::Text;
    fn parse(text: &str) -> Result<PathBuf, String> {
        let p = PathBuf::from(text);
        if !p.is_file() {
            return Err(format!("{} is not a readable file", p.display()));
        }
        Ok(p)
    }
    fn show(value: &PathBuf) -> String {
        value.display().to_string()
    }
}

/// An image file the login page can show.
pub(super) struct Logo;

impl Kind for Logo {
    type Value = PathBuf;
    const TOML: Toml = Toml::Text;
    fn parse(text: &str) -> Result<PathBuf, String> {
        let p = ReadableFile::parse(text)?;
        if logo_type(&p).is_none() {
            return Err(format!("{}: expected .svg, .png, .jpg or .webp", p.display()));
        }
        Ok(p)
    }
    fn show(value: &PathBuf) -> String {
        value.display().to_string()
    }
}

/// `ip:port`.
pub(super) struct Address;

impl Kind for Address {
    type Value = SocketAddr;
    const TOML: Toml = Toml::Text;
    fn parse(text: &str) -> Result<SocketAddr, String> {
        text.parse().map_err(|_| format!("{text:?} is not an address like 127.0.0.1:8080"))
    }
    fn show(value: &SocketAddr) -> String {
        value.to_string()
    }
}

/// A DNS server: `ip` (port 53) or `ip:port`.
pub(super) struct DnsServer;

impl Kind for DnsServer {
    type Value = SocketAddr;
    const TOML: Toml = Toml::Text;
    fn parse(text: &str) -> Result<SocketAddr, String> {
        text.parse::<SocketAddr>()
            .or_else(|_| text.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
            .map_err(|_| format!("{text:?} is not an address like 192.0.2.53 or 127.0.0.1:5353"))
    }
    fn show(value: &SocketAddr) -> String {
        value.to_string()
    }
}

/// Items separated by commas or spaces (a list in TOML), trimmed, lower case.
fn items(text: &str) -> Vec<String> {
    text.split([',', ' ']).map(str::trim).filter(|d| !d.is_empty()).map(str::to_ascii_lowercase).collect()
}

/// Host names, e.g. of the webmail.
pub(super) struct HostList;

impl Kind for HostList {
    type Value = Vec<String>;
    const TOML: Toml = Toml::List;
    fn parse(text: &str) -> Result<Vec<String>, String> {
        Ok(items(text))
    }
    fn show(value: &Vec<String>) -> String {
        value.join(", ")
    }
}

/// Domain names, each may be `*.domain` for every subdomain; none: any domain.
pub(super) struct DomainList;

impl Kind for DomainList {
    type Value = Vec<String>;
    const TOML: Toml = Toml::List;
    fn parse(text: &str) -> Result<Vec<String>, String> {
        let domains = items(text);
        let bad: Vec<String> = domains
            .iter()
            .filter(|d| !valid_domain(d.strip_prefix("*.").unwrap_or(d)))
            .map(|d| format!("{d:?}"))
            .collect();
        if !bad.is_empty() {
            return Err(format!("not a domain name (or *.domain): {}", bad.join(", ")));
        }
        Ok(domains)
    }
    fn show(value: &Vec<String>) -> String {
        if value.is_empty() { "(any)".into() } else { value.join(", ") }
    }
}

/// A host name; the only placeholder is `{domain}`.
pub(super) struct Host;

impl Kind for Host {
    type Value = String;
    const TOML: Toml = Toml::Text;
    fn parse(text: &str) -> Result<String, String> {
        let v = text.trim();
        let without = v.replace("{domain}", "x");
        if v.is_empty()
            || without.chars().any(|c| c.is_whitespace() || c.is_control() || matches!(c, '/' | '{' | '}' | '@'))
        {
            return Err(format!("{v:?} is not a host name (the only placeholder is {{domain}})"));
        }
        Ok(v.to_string())
    }
    fn show(value: &String) -> String {
        value.clone()
    }
}

/// A TCP port, not 0.
pub(super) struct Port;

impl Kind for Port {
    type Value = u16;
    const TOML: Toml = Toml::Integer;
    fn parse(text: &str) -> Result<u16, String> {
        match number(text)? {
            0 => Err("must not be 0".into()),
            p => Ok(p),
        }
    }
    fn show(value: &u16) -> String {
        value.to_string()
    }
}

impl Kind for Security {
    type Value = Security;
    const TOML: Toml = Toml::Text;
    fn parse(text: &str) -> Result<Security, String> {
        Security::parse(text).ok_or_else(|| format!("expected tls, starttls or plain, got {text:?}"))
    }
    fn show(value: &Security) -> String {
        value.as_str().into()
    }
}

impl Kind for LogFormat {
    type Value = LogFormat;
    const TOML: Toml = Toml::Text;
    fn parse(text: &str) -> Result<LogFormat, String> {
        match text.to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("expected text or json, got {text:?}")),
        }
    }
    fn show(value: &LogFormat) -> String {
        match value {
            LogFormat::Text => "text".into(),
            LogFormat::Json => "json".into(),
        }
    }
}

/// A language Facteur has translations for.
pub(super) struct Language;

impl Kind for Language {
    type Value = String;
    const TOML: Toml = Toml::Text;
    fn parse(text: &str) -> Result<String, String> {
        if !crate::i18n::is_supported(text) {
            return Err(format!("{text:?} is not one of {}", crate::i18n::SUPPORTED.join(", ")));
        }
        Ok(text.to_string())
    }
    fn show(value: &String) -> String {
        value.clone()
    }
}

/// A secret, e.g. a token: never shown.
pub(super) struct SecretText;

impl Kind for SecretText {
    type Value = Secret;
    const TOML: Toml = Toml::Text;
    fn parse(text: &str) -> Result<Secret, String> {
        Ok(Secret::new(text))
    }
    fn show(_: &Secret) -> String {
        "<hidden>".into()
    }
}

/// The 32-byte key that seals stored logins and signs cookies.
pub(super) struct SecretKey;

impl Kind for SecretKey {
    type Value = Secret;
    const TOML: Toml = Toml::Text;
    fn parse(text: &str) -> Result<Secret, String> {
        match decode_key(text) {
            Some(_) => Ok(Secret::new(text)),
            None => Err("expected 32 random bytes as base64 or 64 hex digits".into()),
        }
    }
    fn show(_: &Secret) -> String {
        "<hidden>".into()
    }
}

/// A database URL Facteur can open; shown without its password.
pub(super) struct DatabaseUrl;

impl Kind for DatabaseUrl {
    type Value = String;
    const TOML: Toml = Toml::Text;
    fn parse(text: &str) -> Result<String, String> {
        Backend::parse(text)?;
        Ok(text.to_string())
    }
    fn show(value: &String) -> String {
        super::values::redact_url(value)
    }
}
