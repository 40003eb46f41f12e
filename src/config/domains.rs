//! Domain entries: `[[domains]]` of the file, then `FACTEUR_DOMAIN_<N>_*` of the environment
//! (N = 1, 2, …; an environment entry replaces a file entry of the same name). An entry holds
//! the keys below and a server block for `imap`, `smtp` and `sieve`.

use std::path::PathBuf;

use super::kinds::{Flag, HostList, Logo, Text, Toml};
use super::servers::{self, ServerFields};
use super::source::Scope;
use super::values::{DomainEntry, IMAP_PORTS, SMTP_PORTS, Servers, valid_domain};

/// The file's list of entries; in the environment, `FACTEUR_DOMAIN_<N>_…`.
pub(super) const LIST: (&str, &str) = ("domains", "DOMAIN");

/// An entry's own keys, each with its TOML type.
pub(super) const KEYS: [(&str, Toml); 5] =
    [("name", Toml::Text), ("web_hosts", Toml::List), ("brand_name", Toml::Text), ("brand_logo_file", Toml::Text), ("require_2fa", Toml::Boolean)];

/// Every key of an entry, for the layout of the file: `domains[].name`, `domains[].imap.host`, …
pub(super) fn layout() -> impl Iterator<Item = (String, Toml)> {
    let own = KEYS.into_iter().map(|(k, t)| (k.to_string(), t));
    let servers = servers::SECTIONS
        .into_iter()
        .flat_map(|(section, _)| servers::keys(section).iter().map(move |(k, t)| (format!("{section}.{k}"), *t)));
    own.chain(servers).map(|(k, t)| (format!("{}[].{k}", LIST.0), t))
}

/// The entries, with the default servers `imap` and `smtp` for what they leave unset.
pub(super) fn read(
    top: &Scope<'_>,
    imap: &ServerFields,
    smtp: &ServerFields,
    sieve: &ServerFields,
    errors: &mut Vec<String>,
) -> Vec<DomainEntry> {
    let name_of = |entry: &Scope<'_>| entry.lookup("name").map(|n| n.text.trim().to_ascii_lowercase());
    let mut entries = top.file_entries(LIST.0);
    for entry in top.env_entries(LIST.1) {
        if let Some(name) = name_of(&entry) {
            entries.retain(|e| name_of(e).as_ref() != Some(&name));
        }
        entries.push(entry);
    }
    let mut out: Vec<DomainEntry> = Vec::new();
    for entry in entries {
        let origin = entry.label();
        let imap_fields = ServerFields::read(&entry, "imap", errors);
        let smtp_fields = ServerFields::read(&entry, "smtp", errors);
        let sieve_fields = ServerFields::read(&entry, "sieve", errors);
        let web_hosts = entry.read::<HostList>("web_hosts", errors).unwrap_or_default();
        let brand_name = entry.read::<Text>("brand_name", errors).filter(|b| !b.trim().is_empty());
        let brand_logo_file: Option<PathBuf> = entry.read::<Logo>("brand_logo_file", errors);
        let require_2fa = entry.read::<Flag>("require_2fa", errors).unwrap_or(false);
        let Some(name) = name_of(&entry) else {
            errors.push(format!("{origin}: a domain entry needs a name"));
            continue;
        };
        if !valid_domain(&name) {
            errors.push(format!("{origin}: {name:?} is not a domain name"));
            continue;
        }
        if out.iter().any(|e| e.name == name) {
            errors.push(format!("{origin}: {name} is configured twice"));
            continue;
        }
        let (imap_connect, imap_public) = imap_fields.merge(imap, IMAP_PORTS);
        let (smtp_connect, smtp_public) = smtp_fields.merge(smtp, SMTP_PORTS);
        out.push(DomainEntry {
            servers: Servers { imap: imap_connect, smtp: smtp_connect, sieve: sieve_fields.sieve(sieve) }.for_domain(&name),
            public: Servers { imap: imap_public, smtp: smtp_public, sieve: None }.for_domain(&name),
            brand_name,
            brand_logo_file,
            web_hosts,
            require_2fa,
            name,
        });
    }
    out
}
