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

pub async fn serve(Path(name): Path<String>) -> Response {
    let wanted = format!("/static/{name}");
    match ASSETS.iter().find(|a| a.url == wanted) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(a.content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
            ],
            a.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
