//! Static files embedded in the binary, served under content-hashed names so they can be
//! cached forever.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

struct Asset {
    url: String,
    content_type: &'static str,
    bytes: &'static [u8],
}

fn asset(stem: &str, ext: &str, content_type: &'static str, bytes: &'static [u8]) -> Asset {
    let hash = Sha256::digest(bytes);
    let short: String = hash.iter().take(5).map(|b| format!("{b:02x}")).collect();
    Asset { url: format!("/static/{stem}.{short}.{ext}"), content_type, bytes }
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    vec![
        asset("app", "css", "text/css; charset=utf-8", include_bytes!("../../static/css/app.css")),
        asset("app", "js", "text/javascript; charset=utf-8", include_bytes!("../../static/js/app.js")),
        asset("icon", "svg", "image/svg+xml", include_bytes!("../../static/icons/facteur.svg")),
        asset("compose", "js", "text/javascript; charset=utf-8", include_bytes!("../../static/js/compose.js")),
    ]
});

fn url(i: usize) -> &'static str {
    ASSETS.get(i).map(|a| a.url.as_str()).unwrap_or("/static/missing")
}

pub fn css_url() -> &'static str {
    url(0)
}

pub fn js_url() -> &'static str {
    url(1)
}

pub fn icon_url() -> &'static str {
    url(2)
}

/// The compose page's script (loaded after `js_url`, on that page only).
pub fn compose_js_url() -> &'static str {
    url(3)
}

/// `asset` (or a 404), cached as `cache` says.
fn respond(asset: Option<&Asset>, cache: &'static str) -> Response {
    match asset {
        Some(a) => (
            [(header::CONTENT_TYPE, HeaderValue::from_static(a.content_type)), (header::CACHE_CONTROL, HeaderValue::from_static(cache))],
            a.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// GET /favicon.svg (and /favicon.ico, which browsers ask for on their own): the icon, at a
/// fixed address every page names.
pub async fn favicon() -> Response {
    respond(ASSETS.get(2), "public, max-age=86400")
}

pub async fn serve(Path(name): Path<String>) -> Response {
    let wanted = format!("/static/{name}");
    respond(ASSETS.iter().find(|a| a.url == wanted), "public, max-age=31536000, immutable")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_script_has_its_own_hashed_url_served_for_good() {
        let urls = [css_url(), js_url(), icon_url(), compose_js_url()];
        for (i, u) in urls.iter().enumerate() {
            assert!(!urls[..i].contains(u), "{u} twice");
            assert!(u.starts_with("/static/") && u.matches('.').count() == 2, "{u}");
        }
        for u in [js_url(), compose_js_url()] {
            let name = u.trim_start_matches("/static/").to_string();
            let res = serve(Path(name)).await;
            assert_eq!(res.status(), StatusCode::OK, "{u}");
            assert_eq!(res.headers()[header::CONTENT_TYPE], "text/javascript; charset=utf-8");
            assert_eq!(res.headers()[header::CACHE_CONTROL], "public, max-age=31536000, immutable");
        }
        assert!(compose_js_url().starts_with("/static/compose."));
        assert_eq!(serve(Path("compose.0000000000.js".into())).await.status(), StatusCode::NOT_FOUND);
    }
}
