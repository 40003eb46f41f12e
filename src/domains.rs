//! Which servers a login uses: `user@domain` → that domain's entry, or its RFC 6186 SRV
//! records, or the default servers with `{domain}` filled in. An optional allow-list refuses
//! every other domain before anything is looked up or connected to.
//!
//! The result is kept in the web session, so every instance (and every later request) talks to
//! the servers chosen at login.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hickory_resolver::config::{NameServerConfig, ResolverConfig};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{Resolver, TokioResolver};

use crate::config::{Config, DomainEntry, IMAP_PORTS, SMTP_PORTS, Security, Servers, Upstream, valid_domain};

/// How long a domain's SRV answer (or its absence) is reused.
const SRV_CACHE: Duration = Duration::from_secs(600);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The default servers need a domain (`{domain}`) and the login has none.
    #[error("the login has no domain")]
    NoDomain,
    #[error("{0:?} is not a domain name")]
    Invalid(String),
    #[error("the domain {0} is not served here")]
    NotAllowed(String),
}

/// Where one login's mail lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// Lower case; `None` for a bare user name on a single-domain setup.
    pub domain: Option<String>,
    /// What Facteur connects to.
    pub servers: Servers,
    /// What mail apps are told.
    pub public: Servers,
    /// How the servers were found, for logs: "entry", "srv" or "default".
    pub source: &'static str,
}

pub struct Domains {
    brand_name: String,
    default: Servers,
    default_public: Servers,
    entries: HashMap<String, DomainEntry>,
    allowed: Vec<String>,
    srv: Option<TokioResolver>,
    srv_cache: Mutex<HashMap<String, (Instant, Option<Servers>)>>,
}

impl Domains {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let srv = if config.discover_srv { Some(resolver(config.dns_server)?) } else { None };
        Ok(Self {
            brand_name: config.brand_name.clone(),
            default: Servers { imap: config.imap.clone(), smtp: config.smtp.clone(), sieve: config.sieve.clone() },
            default_public: config.public.clone(),
            entries: config.domains.iter().map(|d| (d.name.clone(), d.clone())).collect(),
            allowed: config.allowed_domains.clone(),
            srv,
            srv_cache: Mutex::new(HashMap::new()),
        })
    }

    /// The product name apps show for accounts of `domain`.
    pub fn brand_name(&self, domain: &str) -> String {
        self.entries.get(domain).and_then(|e| e.brand_name.clone()).unwrap_or_else(|| self.brand_name.clone())
    }

    /// Whether the hoster requires two-step sign-in of the user `username`'s domain.
    pub fn requires_two_step(&self, username: &str) -> bool {
        let domain = username.rsplit_once('@').map(|(_, d)| d.trim().to_ascii_lowercase());
        domain.and_then(|d| self.entries.get(&d)).is_some_and(|e| e.require_2fa)
    }

    /// Whether logins of `domain` are served: no allow-list, or listed, or configured.
    pub fn allowed(&self, domain: &str) -> bool {
        self.allowed.is_empty()
            || self.entries.contains_key(domain)
            || self.allowed.iter().any(|a| match a.strip_prefix("*.") {
                Some(parent) => domain.strip_suffix(parent).is_some_and(|rest| rest.ends_with('.')),
                None => a == domain,
            })
    }

    /// The servers of `username` (`user@domain`, or a bare name when the default servers do not
    /// depend on the domain).
    pub async fn resolve(&self, username: &str) -> Result<Resolved, DomainError> {
        let Some((_, domain)) = username.trim().rsplit_once('@') else {
            let templated = self.default.imap.host.contains("{domain}") || self.default.smtp.host.contains("{domain}");
            if templated || !self.allowed.is_empty() {
                return Err(DomainError::NoDomain);
            }
            return Ok(Resolved {
                domain: None,
                servers: self.default.clone(),
                public: self.default_public.clone(),
                source: "default",
            });
        };
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        if !valid_domain(&domain) {
            return Err(DomainError::Invalid(domain));
        }
        if !self.allowed(&domain) {
            return Err(DomainError::NotAllowed(domain));
        }
        if let Some(e) = self.entries.get(&domain) {
            return Ok(Resolved { domain: Some(domain), servers: e.servers.clone(), public: e.public.clone(), source: "entry" });
        }
        if let Some(found) = self.discover(&domain).await {
            return Ok(Resolved { domain: Some(domain), servers: found.clone(), public: found, source: "srv" });
        }
        Ok(Resolved {
            servers: self.default.for_domain(&domain),
            public: self.default_public.for_domain(&domain),
            domain: Some(domain),
            source: "default",
        })
    }

    /// RFC 6186 (and RFC 8314 for implicit TLS): `_imaps._tcp` before `_imap._tcp`,
    /// `_submissions._tcp` before `_submission._tcp`. Both an IMAP and a submission server must
    /// be found, otherwise the default servers apply.
    async fn discover(&self, domain: &str) -> Option<Servers> {
        let resolver = self.srv.as_ref()?;
        if let Some((at, found)) = self.srv_cache.lock().unwrap_or_else(|p| p.into_inner()).get(domain)
            && at.elapsed() < SRV_CACHE
        {
            return found.clone();
        }
        let imap = first_srv(resolver, domain, &[("_imaps", Security::Tls), ("_imap", Security::StartTls)], IMAP_PORTS).await;
        let smtp = first_srv(resolver, domain, &[("_submissions", Security::Tls), ("_submission", Security::StartTls)], SMTP_PORTS).await;
        let found = match (imap, smtp) {
            (Some(imap), Some(smtp)) => {
                // RFC 5804's `_sieve._tcp`, where there is one.
                let sieve = first_srv(resolver, domain, &[("_sieve", Security::StartTls)], crate::config::SIEVE_PORTS).await;
                Some(Servers { imap, smtp, sieve })
            }
            _ => None,
        };
        tracing::info!(domain, found = ?found, "SRV discovery");
        let mut cache = self.srv_cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() > 10_000 {
            cache.clear();
        }
        cache.insert(domain.to_string(), (Instant::now(), found.clone()));
        found
    }
}

fn resolver(server: Option<SocketAddr>) -> anyhow::Result<TokioResolver> {
    let mut builder = match server {
        Some(addr) => {
            let mut ns = NameServerConfig::udp_and_tcp(addr.ip());
            for c in &mut ns.connections {
                c.port = addr.port();
            }
            Resolver::builder_with_config(ResolverConfig::from_name_servers(vec![ns]), TokioRuntimeProvider::default())
        }
        None => TokioResolver::builder_tokio().map_err(|e| anyhow::anyhow!("DNS resolver: {e}"))?,
    };
    let opts = builder.options_mut();
    opts.timeout = Duration::from_secs(3);
    opts.attempts = 2;
    builder.build().map_err(|e| anyhow::anyhow!("DNS resolver: {e}"))
}

/// The best target of the first service that has one: lowest priority, then highest weight.
/// A target of "." says the service is not offered.
async fn first_srv(resolver: &TokioResolver, domain: &str, services: &[(&str, Security)], ports: (u16, u16)) -> Option<Upstream> {
    for (service, security) in services {
        let name = format!("{service}._tcp.{domain}.");
        let Ok(lookup) = resolver.srv_lookup(name.as_str()).await else { continue };
        let best = lookup
            .answers()
            .iter()
            .filter_map(|r| match &r.data {
                RData::SRV(srv) => Some(srv),
                _ => None,
            })
            .min_by_key(|srv| (srv.priority, std::cmp::Reverse(srv.weight)));
        let Some(srv) = best else { continue };
        let target = srv.target.to_ascii();
        let target = target.trim_end_matches('.');
        if target.is_empty() {
            continue;
        }
        let port = if srv.port == 0 { security.default_port(ports) } else { srv.port };
        return Some(Upstream { host: target.to_ascii_lowercase(), port, security: *security });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap as Map;

    fn domains(env: &[(&str, &str)], toml: Option<&str>) -> Domains {
        let env: Map<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Domains::new(&Config::from_sources(toml, &env).unwrap()).unwrap()
    }

    #[tokio::test]
    async fn placeholders_entries_and_the_allow_list() {
        let toml = r#"
allowed_domains = ["example.org", "*.example.net"]
[imap]
host = "imap.{domain}"
public_host = "mail.{domain}"
[smtp]
host = "smtp.{domain}"
security = "starttls"
[[domains]]
name = "Example.COM"
web_hosts = ["webmail.example.com"]
brand_name = "Example Mail"
[domains.imap]
host = "10.0.0.5"
security = "plain"
public_host = "imap.example.com"
public_security = "tls"
"#;
        let d = domains(&[], Some(toml));
        let r = d.resolve("Alice@Example.org").await.unwrap();
        assert_eq!(r.domain.as_deref(), Some("example.org"));
        assert_eq!(r.servers.imap, Upstream { host: "imap.example.org".into(), port: 993, security: Security::Tls });
        assert_eq!(r.servers.smtp, Upstream { host: "smtp.example.org".into(), port: 587, security: Security::StartTls });
        assert_eq!(r.public.imap.host, "mail.example.org");
        assert_eq!(r.public.smtp.host, "smtp.example.org", "the public host defaults to the server's");

        let r = d.resolve("bob@example.com").await.unwrap();
        assert_eq!(r.source, "entry");
        assert_eq!(r.servers.imap, Upstream { host: "10.0.0.5".into(), port: 143, security: Security::Plain });
        assert_eq!(r.public.imap, Upstream { host: "imap.example.com".into(), port: 993, security: Security::Tls });
        assert_eq!(r.servers.smtp.host, "smtp.example.com", "unset fields come from the defaults");

        assert_eq!(d.resolve("c@mx.example.net").await.unwrap().servers.imap.host, "imap.mx.example.net");
        assert_eq!(d.resolve("c@example.net").await, Err(DomainError::NotAllowed("example.net".into())));
        assert_eq!(d.resolve("c@evilexample.net").await, Err(DomainError::NotAllowed("evilexample.net".into())));
        assert_eq!(d.resolve("c@other.test").await, Err(DomainError::NotAllowed("other.test".into())));
        assert_eq!(d.resolve("alice").await, Err(DomainError::NoDomain));
        assert!(matches!(d.resolve("x@bad_domain!").await, Err(DomainError::Invalid(_))));
        assert!(matches!(d.resolve("x@ex\u{e4}mple.org").await, Err(DomainError::Invalid(_))));
    }

    #[tokio::test]
    async fn a_single_server_serves_bare_names_and_any_domain() {
        let d = domains(&[("FACTEUR_IMAP_HOST", "127.0.0.1"), ("FACTEUR_IMAP_SECURITY", "starttls")], None);
        let r = d.resolve("alice").await.unwrap();
        assert_eq!(r.servers.imap.port, 143);
        assert_eq!(d.resolve("a@anything.test").await.unwrap().servers.imap.host, "127.0.0.1");
    }

    #[tokio::test]
    async fn domains_from_the_environment() {
        let d = domains(
            &[
                ("FACTEUR_IMAP_HOST", "imap.{domain}"),
                ("FACTEUR_DOMAIN_1_NAME", "example.test"),
                ("FACTEUR_DOMAIN_1_IMAP_HOST", "127.0.0.1"),
                ("FACTEUR_DOMAIN_1_IMAP_PORT", "1143"),
                ("FACTEUR_DOMAIN_1_IMAP_SECURITY", "plain"),
                ("FACTEUR_DOMAIN_1_IMAP_PUBLIC_HOST", "imap.example.test"),
                ("FACTEUR_DOMAIN_1_WEB_HOSTS", "mail.example.test,webmail.example.test"),
                ("FACTEUR_DOMAIN_2_NAME", "second.test"),
                ("FACTEUR_ALLOWED_DOMAINS", "third.test"),
            ],
            None,
        );
        let r = d.resolve("a@example.test").await.unwrap();
        assert_eq!(r.servers.imap, Upstream { host: "127.0.0.1".into(), port: 1143, security: Security::Plain });
        assert_eq!(r.public.imap, Upstream { host: "imap.example.test".into(), port: 1143, security: Security::Plain });
        assert_eq!(d.resolve("a@second.test").await.unwrap().servers.imap.host, "imap.second.test");
        assert!(d.resolve("a@third.test").await.is_ok());
        assert!(d.resolve("a@fourth.test").await.is_err());
    }

    #[test]
    fn bad_domain_settings_are_reported() {
        let env: Map<String, String> = [
            ("FACTEUR_DOMAIN_1_IMAP_HOST", "x"),
            ("FACTEUR_DOMAIN_2_NAME", "not a domain"),
            ("FACTEUR_ALLOWED_DOMAINS", "ok.test,bad!"),
            ("FACTEUR_IMAP_HOST", "imap.{user}"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let e = Config::from_sources(None, &env).unwrap_err().to_string();
        assert!(e.contains("FACTEUR_DOMAIN_1: a domain entry needs a name"), "{e}");
        assert!(e.contains("\"not a domain\" is not a domain name"), "{e}");
        assert!(e.contains("\"bad!\""), "{e}");
        assert!(e.contains("FACTEUR_IMAP_HOST"), "{e}");
    }
}
