//! The image proxy: when a user chooses to see a message's remote images, the message frame
//! loads them through Facteur, never from the sender's servers directly.
//!
//! - The frame is sandboxed (an opaque origin), so its requests carry no cookie: a proxy URL is
//!   authorized by its own signature (HMAC under a key derived from the server key) and expiry.
//! - The fetch sends no cookie, no Referer and a neutral User-Agent; only raster image types
//!   come back, up to a size cap, and the answer carries `nosniff` and a sandbox CSP.
//! - No SSRF: the host is resolved first and every address must be public (no loopback,
//!   private, link-local, CGNAT, multicast or unspecified address, IPv4-mapped ones included);
//!   the connection goes to the address that was checked, and redirects are checked the same way.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use futures_util::StreamExt;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

use super::AppState;

/// Largest image the proxy passes on.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// How long a signed proxy URL stays valid.
const URL_LIFETIME_SECS: i64 = 24 * 3600;
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_REDIRECTS: usize = 3;
/// What the proxy passes on: raster types a browser can only display.
const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"];

/// Signs proxy URLs.
#[derive(Clone)]
pub struct Signer {
    key: [u8; 32],
}

impl Signer {
    /// A key of its own, derived from the server key.
    pub fn new(server_key: &crate::secrets::ServerKey) -> Self {
        Self { key: server_key.derive(b"facteur image proxy v1") }
    }

    /// The URL's signature; empty (matching nothing) in the impossible case HMAC refused the key.
    fn mac(&self, url: &str, expires: i64) -> Vec<u8> {
        let Ok(mut m) = <Hmac<Sha256> as Mac>::new_from_slice(&self.key) else { return Vec::new() };
        m.update(url.as_bytes());
        m.update(b"\n");
        m.update(expires.to_string().as_bytes());
        m.finalize().into_bytes()[..18].to_vec()
    }

    /// `/img?…` for a remote image URL (http or https only).
    pub fn proxy_url(&self, remote: &str, now: i64) -> Option<String> {
        let parsed = reqwest::Url::parse(remote.trim()).ok()?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return None;
        }
        let url = parsed.as_str();
        let expires = now + URL_LIFETIME_SECS;
        let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.mac(url, expires));
        let enc = percent_encoding::utf8_percent_encode(url, percent_encoding::NON_ALPHANUMERIC);
        Some(format!("/img?u={enc}&e={expires}&s={sig}"))
    }

    fn verify(&self, url: &str, expires: i64, sig: &str, now: i64) -> bool {
        let Ok(given) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(sig) else { return false };
        let expected = self.mac(url, expires);
        expires >= now
            && !expected.is_empty()
            && crate::secrets::same(&given, &expected)
    }
}

/// True for addresses on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (o[1] == 18 || o[1] == 19))
                || o[0] >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x64 && s[1] == 0xff9b)
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0 && s[1] == 0 && s[2] == 0 && s[3] == 0 && s[4] == 0 && s[5] == 0))
        }
    }
}

#[derive(Deserialize)]
pub struct ProxyQuery {
    #[serde(default)]
    u: String,
    #[serde(default)]
    e: i64,
    #[serde(default)]
    s: String,
}

fn refuse(status: StatusCode, why: &str) -> Response {
    tracing::info!(status = status.as_u16(), why, "image proxy refused");
    let mut r = (status, why.to_string()).into_response();
    r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    r
}

/// Where to connect for `url`: a checked address (or `Err` with the reason).
async fn vet(url: &reqwest::Url, allow_private: bool) -> Result<SocketAddr, &'static str> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err("not an http(s) URL");
    }
    let host = url.host_str().ok_or("no host")?;
    let port = url.port_or_known_default().ok_or("no port")?;
    let addrs: Vec<SocketAddr> = match host.trim_matches(['[', ']']).parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::time::timeout(FETCH_TIMEOUT, tokio::net::lookup_host((host, port)))
            .await
            .map_err(|_| "name lookup timed out")?
            .map_err(|_| "name lookup failed")?
            .collect(),
    };
    if addrs.is_empty() {
        return Err("no address");
    }
    if !allow_private && addrs.iter().any(|a| !is_public(a.ip())) {
        return Err("a private or local address");
    }
    Ok(addrs[0])
}

/// GET /img?u=…&e=…&s=…
pub async fn image(State(state): State<AppState>, Query(q): Query<ProxyQuery>) -> Response {
    let now = crate::clock::unix_secs();
    if !state.image_signer.verify(&q.u, q.e, &q.s, now) {
        return refuse(StatusCode::FORBIDDEN, "bad or expired signature");
    }
    let Ok(mut url) = reqwest::Url::parse(&q.u) else { return refuse(StatusCode::BAD_REQUEST, "bad URL") };
    for _ in 0..=MAX_REDIRECTS {
        match fetch(&url, state.config.image_proxy_allow_private).await {
            Ok(Fetched::Redirect(next)) => url = next,
            Ok(Fetched::Image(ct, body)) => {
                let mut r = Response::new(Body::from(body));
                let h = r.headers_mut();
                h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=86400"));
                h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
                return r;
            }
            Err((status, why)) => return refuse(status, why),
        }
    }
    refuse(StatusCode::BAD_GATEWAY, "too many redirects")
}

enum Fetched {
    Redirect(reqwest::Url),
    /// A raster image: its type and bytes.
    Image(&'static str, Vec<u8>),
}

/// One request of the proxy, to an address checked by [`vet`] (and pinned, so that a second
/// name lookup cannot lead elsewhere).
async fn fetch(url: &reqwest::Url, allow_private: bool) -> Result<Fetched, (StatusCode, &'static str)> {
    let addr = vet(url, allow_private).await.map_err(|why| (StatusCode::FORBIDDEN, why))?;
    let host = url.host_str().ok_or((StatusCode::BAD_REQUEST, "no host"))?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(Duration::from_secs(5))
        .resolve(host, addr)
        .user_agent("Facteur image proxy")
        .build()
        .map_err(|_| (StatusCode::INTERNAL_SERVER_ERROR, "client"))?;
    let accept = "image/avif,image/webp,image/png,image/jpeg,image/gif";
    let res = client.get(url.clone()).header(header::ACCEPT, accept).send().await.map_err(|_| (StatusCode::BAD_GATEWAY, "fetch failed"))?;
    if res.status().is_redirection() {
        let next = res.headers().get(header::LOCATION).and_then(|l| l.to_str().ok()).and_then(|l| url.join(l).ok());
        return next.map(Fetched::Redirect).ok_or((StatusCode::BAD_GATEWAY, "bad redirect"));
    }
    if !res.status().is_success() {
        return Err((StatusCode::BAD_GATEWAY, "remote error"));
    }
    let ct = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    let ct = IMAGE_TYPES.iter().find(|t| **t == ct).ok_or((StatusCode::UNSUPPORTED_MEDIA_TYPE, "not a raster image"))?;
    let too_large = (StatusCode::PAYLOAD_TOO_LARGE, "too large");
    if res.content_length().is_some_and(|n| n as usize > MAX_IMAGE_BYTES) {
        return Err(too_large);
    }
    let mut body = Vec::new();
    let mut stream = res.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| (StatusCode::BAD_GATEWAY, "fetch broke"))?;
        if body.len() + chunk.len() > MAX_IMAGE_BYTES {
            return Err(too_large);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched::Image(ct, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses() {
        for private in [
            "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
            "::1", "::", "fc00::1", "fe80::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::7f00:1", "255.255.255.255",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "::ffff:93.184.216.34"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn signatures_bind_the_url_and_expire() {
        let s = Signer { key: [7; 32] };
        let u = s.proxy_url("https://images.example/a b.png?x=1", 1000).unwrap();
        let q: Vec<(String, String)> = u
            .trim_start_matches("/img?")
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_string(), percent_encoding::percent_decode_str(v).decode_utf8_lossy().into_owned())
            })
            .collect();
        let (url, e, sig) = (&q[0].1, q[1].1.parse::<i64>().unwrap(), &q[2].1);
        assert_eq!(url, "https://images.example/a%20b.png?x=1");
        assert!(s.verify(url, e, sig, 1000));
        assert!(!s.verify("https://images.example/other.png", e, sig, 1000));
        assert!(!s.verify(url, e + 1, sig, 1000));
        assert!(!s.verify(url, e, sig, e + 1), "expired");
        assert!(s.proxy_url("javascript:alert(1)", 0).is_none());
        assert!(s.proxy_url("file:///etc/passwd", 0).is_none());
    }
}
