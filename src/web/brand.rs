//! Per-domain branding: the product name and logo on the login page, chosen by the Host the
//! browser asked for (`web_hosts` of a domain entry), else the instance's own.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::AppState;
use crate::config::{Config, logo_type};

/// What the login page shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Brand {
    pub name: String,
    pub logo_url: Option<String>,
    /// The mail domain of this web host: a bare user name is completed with it.
    pub domain: Option<String>,
}

struct Logo {
    url: String,
    content_type: &'static str,
    bytes: Arc<[u8]>,
}

pub struct Brands {
    default: Brand,
    by_host: HashMap<String, Brand>,
    logos: Vec<Logo>,
    trust_forwarded_host: bool,
}

impl Brands {
    /// Reads the logo files once; they are served from memory under content-hashed names.
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let mut logos: Vec<Logo> = Vec::new();
        let mut load = |p: &Path| -> anyhow::Result<String> {
            let bytes = std::fs::read(p).map_err(|e| anyhow::anyhow!("brand logo {}: {e}", p.display()))?;
            let content_type = logo_type(p).ok_or_else(|| anyhow::anyhow!("brand logo {}: unknown type", p.display()))?;
            let hash: String = Sha256::digest(&bytes).iter().take(8).map(|b| format!("{b:02x}")).collect();
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("img").to_ascii_lowercase();
            let url = format!("/brand/{hash}.{ext}");
            if !logos.iter().any(|l| l.url == url) {
                logos.push(Logo { url: url.clone(), content_type, bytes: bytes.into() });
            }
            Ok(url)
        };
        let default_logo = config.brand_logo_file.as_deref().map(&mut load).transpose()?;
        let default = Brand { name: config.brand_name.clone(), logo_url: default_logo.clone(), domain: None };
        let mut by_host = HashMap::new();
        for d in &config.domains {
            let logo_url = match &d.brand_logo_file {
                Some(p) => Some(load(p)?),
                None => default_logo.clone(),
            };
            let brand = Brand {
                name: d.brand_name.clone().unwrap_or_else(|| config.brand_name.clone()),
                logo_url,
                domain: Some(d.name.clone()),
            };
            for h in &d.web_hosts {
                by_host.insert(h.clone(), brand.clone());
            }
        }
        Ok(Self { default, by_host, logos, trust_forwarded_host: config.trust_forwarded_for })
    }

    /// The host name this request was sent to: lower case, without the port
    /// (`X-Forwarded-Host` first when forwarded headers are trusted).
    pub fn request_host(&self, headers: &HeaderMap) -> Option<String> {
        let forwarded = if self.trust_forwarded_host { headers.get("x-forwarded-host") } else { None };
        let host = forwarded.or_else(|| headers.get(header::HOST)).and_then(|h| h.to_str().ok())?;
        Some(host_name(host.split(',').next_back().unwrap_or(host).trim()))
    }

    /// The brand of the host this request was sent to.
    pub fn for_request(&self, headers: &HeaderMap) -> &Brand {
        self.for_host(self.request_host(headers).as_deref())
    }

    pub fn for_host(&self, host: Option<&str>) -> &Brand {
        let Some(host) = host else { return &self.default };
        self.by_host.get(&host_name(host)).unwrap_or(&self.default)
    }
}

/// `Mail.Example.org.:8443` → `mail.example.org` (an IPv6 literal keeps its brackets).
fn host_name(host: &str) -> String {
    let name = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) && !h.ends_with(':') => h,
        _ => host,
    };
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// `/brand/<hash>.<ext>`: a configured logo. Served like untrusted content, since hosters may
/// upload SVG: no script runs even when it is opened directly.
pub async fn logo(State(state): State<AppState>, UrlPath(name): UrlPath<String>) -> Response {
    let wanted = format!("/brand/{name}");
    match state.brands.logos.iter().find(|l| l.url == wanted) {
        Some(l) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(l.content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
                (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox")),
            ],
            l.bytes.to_vec(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_header_picks_the_brand() {
        let dir = tempfile::tempdir().unwrap();
        let logo = dir.path().join("logo.svg");
        std::fs::write(&logo, "<svg xmlns='http://www.w3.org/2000/svg'/>").unwrap();
        let env: std::collections::HashMap<String, String> = [
            ("FACTEUR_BRAND_NAME", "Hosting Co"),
            ("FACTEUR_DOMAIN_1_NAME", "example.org"),
            ("FACTEUR_DOMAIN_1_WEB_HOSTS", "mail.example.org"),
            ("FACTEUR_DOMAIN_1_BRAND_NAME", "Example Mail"),
            ("FACTEUR_DOMAIN_1_BRAND_LOGO_FILE", logo.to_str().unwrap()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let b = Brands::new(&Config::from_sources(None, &env).unwrap()).unwrap();
        let ex = b.for_host(Some("Mail.Example.org:8443"));
        assert_eq!(ex.name, "Example Mail");
        assert_eq!(ex.domain.as_deref(), Some("example.org"));
        assert!(ex.logo_url.as_deref().unwrap().starts_with("/brand/"));
        assert_eq!(b.for_host(Some("webmail.other.test")).name, "Hosting Co");
        assert_eq!(b.for_host(Some("[::1]:8080")).name, "Hosting Co");
        assert_eq!(b.for_host(None).logo_url, None);
    }
}
