//! Mail HTML is hostile. It goes through ammonia on a strict allowlist, and the result is
//! shown only in a sandboxed frame with its own CSP (the second wall, see the web layer).
//! Nothing rewrites the sanitized HTML afterwards: all rewriting happens inside ammonia.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use std::borrow::Cow;

/// Raster image types that are safe to inline as `data:` URLs (browsers only display them).
pub const INLINE_IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

pub struct Sanitized {
    pub html: String,
    /// The message wanted remote images (or other remote resources) that were left out.
    pub blocked_remote: bool,
}

const TAGS: &[&str] = &[
    "a", "abbr", "address", "b", "bdi", "bdo", "blockquote", "br", "caption", "center", "cite", "code", "col",
    "colgroup", "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "font", "h1", "h2",
    "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "samp",
    "small", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "time", "tr", "tt", "u", "ul", "var", "wbr",
];

const STYLE_PROPERTIES: &[&str] = &[
    "background-color", "border", "border-bottom", "border-bottom-color", "border-bottom-style",
    "border-bottom-width", "border-collapse", "border-color", "border-left", "border-left-color",
    "border-left-style", "border-left-width", "border-radius", "border-right", "border-right-color",
    "border-right-style", "border-right-width", "border-spacing", "border-style", "border-top",
    "border-top-color", "border-top-style", "border-top-width", "border-width", "color", "direction",
    "font-family", "font-size", "font-style", "font-variant", "font-weight", "height", "letter-spacing",
    "line-height", "list-style-type", "margin", "margin-bottom", "margin-left", "margin-right", "margin-top",
    "max-width", "min-width", "padding", "padding-bottom", "padding-left", "padding-right", "padding-top",
    "table-layout", "text-align", "text-decoration", "text-indent", "text-transform", "vertical-align",
    "white-space", "width", "word-break", "word-spacing", "overflow-wrap",
];

/// What becomes of remote images: `None` leaves them out; a function gives the URL to load one
/// through instead (the image proxy), or `None` to leave it out.
pub type RemoteImages = Option<Arc<dyn Fn(&str) -> Option<String> + Send + Sync>>;

/// Whether sanitized mail HTML sets colours of its own (text or background, by attribute or
/// style). Such mail is shown as its sender made it; mail that sets none can take the dark
/// theme's colours without turning into dark text on a dark page. Any mention counts: a
/// false "yes" only keeps the original look.
pub fn sets_colours(html: &str) -> bool {
    let lower = html.to_ascii_lowercase();
    ["color", "background"].iter().any(|w| lower.contains(w))
}

/// Sanitizes message HTML. `inline_images` maps Content-IDs to `data:` URLs of raster parts;
/// remote images are left out unless `remote` says where to load them from.
pub fn sanitize_html(html: &str, inline_images: HashMap<String, String>, remote: RemoteImages) -> Sanitized {
    let pixels = tracking_pixels(html);
    // Relative URLs are refused, except the proxy URLs this very pass wrote (a message cannot
    // bring a proxy URL of its own: its relative `src` never gets past the filter below).
    let ours: Arc<std::sync::Mutex<HashSet<String>>> = Arc::new(std::sync::Mutex::new(HashSet::new()));
    let ours_in_filter = ours.clone();
    let blocked = Arc::new(AtomicBool::new(false));
    let blocked_in_filter = blocked.clone();
    let mut tag_attributes: HashMap<&str, HashSet<&str>> = HashMap::new();
    tag_attributes.insert("a", ["href", "title", "name"].into());
    tag_attributes.insert("img", ["src", "alt", "title", "width", "height", "align", "border"].into());
    tag_attributes.insert("font", ["color", "face", "size"].into());
    tag_attributes.insert("table", ["width", "border", "cellpadding", "cellspacing", "align", "bgcolor", "summary"].into());
    for t in ["td", "th"] {
        tag_attributes.insert(t, ["width", "height", "align", "valign", "bgcolor", "colspan", "rowspan", "nowrap"].into());
    }
    for t in ["tr", "tbody", "thead", "tfoot", "col", "colgroup"] {
        tag_attributes.insert(t, ["align", "valign", "bgcolor", "width", "span"].into());
    }
    for t in ["div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "center"] {
        tag_attributes.insert(t, ["align"].into());
    }
    tag_attributes.insert("ol", ["start", "type", "reversed"].into());
    tag_attributes.insert("li", ["value"].into());
    tag_attributes.insert("blockquote", ["cite", "type"].into());
    tag_attributes.insert("time", ["datetime"].into());

    let clean = ammonia::Builder::empty()
        .tags(TAGS.iter().copied().collect())
        .clean_content_tags(["script", "style", "title", "head", "noscript", "template", "iframe", "object", "svg", "math"].into())
        .tag_attributes(tag_attributes)
        .generic_attributes(["style", "title", "dir", "lang"].into())
        .filter_style_properties(STYLE_PROPERTIES.iter().copied().collect())
        .url_schemes(["http", "https", "mailto", "cid"].into())
        .url_relative(ammonia::UrlRelative::Custom(Box::new(relative_filter(move |url| {
            let ours = ours.lock().unwrap_or_else(|p| p.into_inner());
            ours.contains(url).then_some(Cow::Borrowed(url))
        }))))
        .link_rel(Some("noopener noreferrer"))
        .set_tag_attribute_value("a", "target", "_blank")
        .strip_comments(true)
        .attribute_filter(move |element, attribute, value| {
            if attribute == "style" {
                return clean_style(value).map(Cow::Owned);
            }
            if element == "img" && attribute == "src" {
                let v = value.trim();
                if pixels.contains(v) {
                    // A tracking pixel: never loaded, and not worth a "show images" prompt.
                    return None;
                }
                if let Some(cid) = strip_prefix_ci(v, "cid:") {
                    let cid = percent_decode(cid);
                    return inline_images.get(cid.trim_matches(['<', '>'])).cloned().map(Cow::Owned);
                }
                if let Some(through) = &remote
                    && (starts_with_ci(v, "https:") || starts_with_ci(v, "http:"))
                    && let Some(url) = through(v)
                {
                    ours_in_filter.lock().unwrap_or_else(|p| p.into_inner()).insert(url.clone());
                    return Some(Cow::Owned(url));
                }
                blocked_in_filter.store(true, Ordering::Relaxed);
                return None;
            }
            if element == "a" && attribute == "href" && starts_with_ci(value.trim(), "cid:") {
                return None;
            }
            Some(Cow::Borrowed(value))
        })
        .clean(html)
        .to_string();
    Sanitized { html: clean, blocked_remote: blocked.load(Ordering::Relaxed) }
}

/// Style values that could fetch something, run something or hide what follows.
const STYLE_VALUE_DENY: &[&str] = &[
    "url(", "image-set(", "image(", "var(", "env(", "attr(", "expression(", "@import", "javascript:", "behavior",
    "-moz-binding", "\\", "<", ">", "/*", "&",
];

/// Keeps the declarations of a `style` attribute whose property is allowed and whose value
/// cannot load or run anything. `None` when nothing is left.
fn clean_style(style: &str) -> Option<String> {
    let mut out = String::new();
    for decl in style.split(';') {
        let Some((prop, value)) = decl.split_once(':') else { continue };
        let prop = prop.trim().to_ascii_lowercase();
        let value = value.trim();
        let lower = value.to_ascii_lowercase();
        if !STYLE_PROPERTIES.contains(&prop.as_str())
            || value.is_empty()
            || value.chars().any(char::is_control)
            || STYLE_VALUE_DENY.iter().any(|d| lower.contains(d))
            || (prop != "font-family" && (value.contains('"') || value.contains('\'')))
        {
            continue;
        }
        out.push_str(&prop);
        out.push(':');
        out.push_str(value);
        out.push(';');
    }
    if out.is_empty() { None } else { Some(out) }
}

/// The `src` of images that are tracking pixels (1×1 or smaller, or hidden). Found by a scan of
/// the raw HTML that changes nothing: the sanitizer then leaves these sources out.
fn tracking_pixels(html: &str) -> HashSet<String> {
    let mut found = HashSet::new();
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("<img") {
        let start = from + i;
        let end = tag_end(lower.as_bytes(), start);
        let attrs = tag_attributes(html.get(start + 4..end).unwrap_or(""));
        from = end.min(lower.len());
        let get = |n: &str| attrs.iter().find(|(k, _)| k == n).map(|(_, v)| v.trim().to_ascii_lowercase());
        let tiny = |v: Option<String>| v.is_some_and(|v| v.trim_end_matches("px").trim().parse::<f32>().is_ok_and(|n| n <= 1.0));
        let style = get("style").unwrap_or_default().replace(' ', "");
        let hidden = style.contains("display:none") || style.contains("visibility:hidden");
        let tiny_style = ["width:0", "width:1px", "height:0", "height:1px"].iter().filter(|p| style.contains(*p)).count() >= 2;
        if ((tiny(get("width")) && tiny(get("height"))) || hidden || tiny_style)
            && let Some(src) = attrs.iter().find(|(k, _)| k == "src").map(|(_, v)| v.trim().to_string())
        {
            found.insert(src);
        }
    }
    found
}

/// `name=value` pairs of a tag's attribute text (quoted or not), names lower-cased. Works on
/// bytes, so no input can split a character.
fn tag_attributes(s: &str) -> Vec<(String, String)> {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let ns = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        let name = text(&b[ns..i]).to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                i += 1;
                let vs = i;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                value = text(&b[vs..i]);
                i += 1;
            } else {
                let vs = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = text(&b[vs..i]);
            }
        }
        if name.is_empty() {
            i += 1;
        } else {
            out.push((name, value));
        }
    }
    out
}

/// Where the tag starting at `start` ends (its `>`), skipping quoted attribute values.
fn tag_end(b: &[u8], start: usize) -> usize {
    let mut quote = None;
    for (i, c) in b.iter().enumerate().skip(start) {
        match (quote, *c) {
            (None, b'"' | b'\'') => quote = Some(*c),
            (Some(q), c) if c == q => quote = None,
            (None, b'>') => return i,
            _ => {}
        }
    }
    b.len()
}

/// Pins the closure's signature to the one ammonia's relative-URL hook wants.
fn relative_filter<F>(f: F) -> F
where
    F: for<'u> Fn(&'u str) -> Option<Cow<'u, str>> + Send + Sync,
{
    f
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.is_char_boundary(prefix.len()) && s[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    starts_with_ci(s, prefix).then(|| &s[prefix.len()..])
}

fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Escapes text for HTML element content and attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A piece of a plain-text body: text, or a link we made from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextSegment {
    Text(String),
    Link { href: String, text: String },
}

/// Splits plain text into text and links; only http(s) URLs and e-mail addresses become links.
pub fn linkify(text: &str) -> Vec<TextSegment> {
    let mut finder = linkify::LinkFinder::new();
    finder.kinds(&[linkify::LinkKind::Url, linkify::LinkKind::Email]);
    let mut out = Vec::new();
    for span in finder.spans(text) {
        let s = span.as_str();
        let seg = match span.kind() {
            Some(linkify::LinkKind::Url) if starts_with_ci(s, "http://") || starts_with_ci(s, "https://") => {
                TextSegment::Link { href: s.to_string(), text: s.to_string() }
            }
            Some(linkify::LinkKind::Email) => TextSegment::Link { href: format!("mailto:{s}"), text: s.to_string() },
            _ => TextSegment::Text(s.to_string()),
        };
        match (out.last_mut(), seg) {
            (Some(TextSegment::Text(prev)), TextSegment::Text(t)) => prev.push_str(&t),
            (_, seg) => out.push(seg),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(html: &str) -> Sanitized {
        sanitize_html(html, HashMap::new(), None)
    }

    fn proxied() -> RemoteImages {
        Some(Arc::new(|u: &str| Some(format!("/img?u={u}"))))
    }

    #[test]
    fn scripts_handlers_and_dangerous_urls_are_gone() {
        let s = clean(
            r#"<p onclick="x()">Hi <b>Bob</b><script>alert(1)</script></p>
            <a href="javascript:alert(1)">a</a><a href=" jav&#x09;ascript:alert(1)">b</a>
            <a href="data:text/html,<script>">c</a><iframe src="https://evil"></iframe>
            <form action="https://evil"><input name=x></form><svg><script>1</script></svg>
            <img src=x onerror=alert(1)><base href="https://evil/"><meta http-equiv=refresh content="0;url=https://evil">
            <div style="position:fixed;top:0;background:url(https://evil/x.png);color:red">z</div>"#,
        );
        let h = s.html.to_lowercase();
        for bad in ["script", "onclick", "onerror", "javascript", "data:", "iframe", "form", "input", "svg", "base", "meta", "position", "url("] {
            assert!(!h.contains(bad), "{bad} survived in {h}");
        }
        assert!(h.contains("<b>bob</b>"));
        assert!(h.contains("color:red"), "{h}");
    }

    #[test]
    fn remote_images_are_blocked_unless_allowed_and_cid_images_are_inlined() {
        let html = r#"<img src="https://tracker.example/p.gif"><img src="cid:logo@x">"#;
        let mut inline = HashMap::new();
        inline.insert("logo@x".to_string(), "data:image/png;base64,AAAA".to_string());
        let s = sanitize_html(html, inline.clone(), None);
        assert!(s.blocked_remote);
        assert!(!s.html.contains("tracker"));
        assert!(s.html.contains("data:image/png;base64,AAAA"));
        let s = sanitize_html(html, inline, proxied());
        assert!(!s.blocked_remote);
        assert!(s.html.contains(r#"src="/img?u=https://tracker.example/p.gif""#), "{}", s.html);
    }

    #[test]
    fn css_that_could_load_run_or_overlay_is_dropped() {
        let s = clean(concat!(
            r#"<p style="color:red; background-color: var(--x); width: expression(alert(1)); "#,
            r#"font-size: 12px; border: 1px solid u\72l(https://evil/); list-style-type: url(https://evil/)">a</p>"#,
            r#"<div style="position: fixed; top: 0; z-index: 9999; text-align:center">b</div>"#,
            r#"<span style="font-family: 'Comic Sans'; color: image-set('x.png' 1x)">c</span>"#
        ));
        let h = s.html.to_lowercase();
        for bad in ["var(", "expression", "url", "u\\72l", "position", "z-index", "image-set", "evil"] {
            assert!(!h.contains(bad), "{bad} survived in {h}");
        }
        assert!(h.contains("color:red") && h.contains("font-size:12px") && h.contains("text-align:center"), "{h}");
        assert!(h.contains("font-family:&quot;comic sans&quot;"), "{h}");
    }

    #[test]
    fn a_message_cannot_bring_its_own_proxy_or_relative_urls() {
        let html = r#"<img src="/img?u=https://t.example/x&e=9999999999&s=stolen"><a href="/logout">x</a><img src="//t.example/y.png">"#;
        for remote in [None, proxied()] {
            let s = sanitize_html(html, HashMap::new(), remote);
            assert!(!s.html.contains("/img?") && !s.html.contains("/logout") && !s.html.contains("t.example"), "{}", s.html);
        }
    }

    #[test]
    fn the_pixel_scan_survives_odd_attributes() {
        for html in [r#"<img ="x"é src=a>"#, "<img =\"é\"é\u{301}>", "<img src=\"é", "<img", "<img alt=\">\" src=https://t.example/p.gif width=1 height=1>"] {
            let _ = tracking_pixels(html);
        }
        let found = tracking_pixels(r#"<img alt=">" src="https://t.example/p.gif" width=1 height=1>"#);
        assert!(found.contains("https://t.example/p.gif"), "{found:?}");
    }

    #[test]
    fn tracking_pixels_never_load() {
        let html = r#"<img src="https://t.example/open.gif" width="1" height="1"><img src='https://t.example/b.png' style="display:none">
            <IMG SRC=https://t.example/c.gif WIDTH=0 HEIGHT=0><img src="https://cdn.example/photo.jpg" width="600" height="1">"#;
        let s = sanitize_html(html, HashMap::new(), proxied());
        assert!(!s.html.contains("t.example"), "{}", s.html);
        assert!(s.html.contains("/img?u=https://cdn.example/photo.jpg"));
    }

    #[test]
    fn links_open_outside_without_referrer() {
        let s = clean(r#"<a href="https://example.org/">x</a>"#);
        assert!(s.html.contains(r#"rel="noopener noreferrer""#), "{}", s.html);
        assert!(s.html.contains(r#"target="_blank""#));
    }

    #[test]
    fn plain_text_links_are_only_http_and_mail() {
        let segs = linkify("see https://example.org/a?b=1 or javascript:alert(1) and write bob@example.org <b>");
        assert!(segs.contains(&TextSegment::Link { href: "https://example.org/a?b=1".into(), text: "https://example.org/a?b=1".into() }));
        assert!(segs.contains(&TextSegment::Link { href: "mailto:bob@example.org".into(), text: "bob@example.org".into() }));
        assert!(!segs.iter().any(|s| matches!(s, TextSegment::Link { href, .. } if href.contains("javascript"))));
        assert_eq!(escape_html("<b>\"'&"), "&lt;b&gt;&quot;&#39;&amp;");
    }
}
