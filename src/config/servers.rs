//! The server block: six keys, the same for `[imap]`, `[smtp]`, and each domain entry's
//! `imap`/`smtp` (`FACTEUR_IMAP_*`, `FACTEUR_SMTP_*`, `FACTEUR_DOMAIN_<N>_IMAP_*`, …).

use super::Config;
use super::domains;
use super::kinds::{Host, Port, Toml};
use super::source::Scope;
use super::values::{IMAP_PORTS, SIEVE_PORTS, SMTP_PORTS, Security, Servers, Upstream};

/// The keys of one server, each with its TOML type.
pub(super) const KEYS: [(&str, Toml); 6] = [
    ("host", Toml::Text),
    ("port", Toml::Integer),
    ("security", Toml::Text),
    ("public_host", Toml::Text),
    ("public_port", Toml::Integer),
    ("public_security", Toml::Text),
];

/// The servers of a mail account, in the order `config check` shows them.
pub(super) const SECTIONS: [(&str, (u16, u16)); 3] = [("imap", IMAP_PORTS), ("smtp", SMTP_PORTS), ("sieve", SIEVE_PORTS)];

/// The keys of `section`: ManageSieve has no `public_*` (mail apps are not told of it).
pub(super) fn keys(section: &str) -> &'static [(&'static str, Toml)] {
    if section == "sieve" { &KEYS[..3] } else { &KEYS }
}

/// One server's settings as written, before defaults: for the default servers and for each
/// domain entry.
#[derive(Clone, Debug, Default)]
pub(super) struct ServerFields {
    host: Option<String>,
    port: Option<u16>,
    security: Option<Security>,
    public_host: Option<String>,
    public_port: Option<u16>,
    public_security: Option<Security>,
}

impl ServerFields {
    /// The block `section` (`imap`, `smtp`) of one level.
    pub(super) fn read(scope: &Scope<'_>, section: &str, errors: &mut Vec<String>) -> Self {
        let key = |name: &str| format!("{section}.{name}");
        Self {
            host: scope.read::<Host>(&key("host"), errors),
            port: scope.read::<Port>(&key("port"), errors),
            security: scope.read::<Security>(&key("security"), errors),
            public_host: scope.read::<Host>(&key("public_host"), errors),
            public_port: scope.read::<Port>(&key("public_port"), errors),
            public_security: scope.read::<Security>(&key("public_security"), errors),
        }
    }

    /// The ManageSieve server, `self` over `base`; `None` when neither sets anything (the IMAP
    /// host's port 4190 then: [`Servers::sieve`]).
    pub(super) fn sieve(&self, base: &ServerFields) -> Option<Upstream> {
        let (host, port, security) = (self.host.clone().or(base.host.clone()), self.port.or(base.port), self.security.or(base.security));
        if host.is_none() && port.is_none() && security.is_none() {
            return None;
        }
        let security = security.unwrap_or(Security::StartTls);
        Some(Upstream { host: host.unwrap_or_else(|| "localhost".to_string()), port: port.unwrap_or(security.default_port(SIEVE_PORTS)), security })
    }

    /// (the server Facteur uses, the server apps are told) — `self` over `base`, then defaults:
    /// TLS, the port of the security mode, `localhost`; what apps are told defaults to the server.
    pub(super) fn merge(&self, base: &ServerFields, ports: (u16, u16)) -> (Upstream, Upstream) {
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
        (connect, Upstream { host: public_host, port: public_port, security: public_security })
    }
}

/// `[imap]`, `[smtp]`, and the domain entries, whose unset fields come from those two.
pub(super) fn apply(scope: &Scope<'_>, c: &mut Config, errors: &mut Vec<String>) {
    let [imap, smtp, sieve] = SECTIONS.map(|(section, _)| ServerFields::read(scope, section, errors));
    let (imap_connect, imap_public) = ServerFields::default().merge(&imap, IMAP_PORTS);
    let (smtp_connect, smtp_public) = ServerFields::default().merge(&smtp, SMTP_PORTS);
    c.imap = imap_connect;
    c.smtp = smtp_connect;
    c.sieve = sieve.sieve(&ServerFields::default());
    c.public = Servers { imap: imap_public, smtp: smtp_public, sieve: None };
    c.domains = domains::read(scope, &imap, &smtp, &sieve, errors);
}

/// The `config check` lines of the servers and domain entries.
pub(super) fn describe(c: &Config, line: &mut dyn FnMut(&str, String)) {
    line("imap", c.imap.to_string());
    line("smtp", c.smtp.to_string());
    line("sieve", Servers { imap: c.imap.clone(), smtp: c.smtp.clone(), sieve: c.sieve.clone() }.sieve().to_string());
    line("public (what mail apps are told)", format!("imap {}, smtp {}", c.public.imap, c.public.smtp));
    for d in &c.domains {
        line(
            &format!("domain {}", d.name),
            format!("imap {}, smtp {}, sieve {}, web hosts [{}]", d.servers.imap, d.servers.smtp, d.servers.sieve(), d.web_hosts.join(", ")),
        );
    }
}
