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

/// Sanitizes message HTML. `inline_images` maps Content-IDs to `data:` URLs of raster parts;
/// remote images are kept only when `allow_remote` is set.
pub fn sanitize_html(html: &str, inline_images: HashMap<String, String>, allow_remote: bool) -> Sanitized {
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
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"))
        .set_tag_attribute_value("a", "target", "_blank")
        .strip_comments(true)
        .attribute_filter(move |element, attribute, value| {
            if element == "img" && attribute == "src" {
                let v = value.trim();
                if let Some(cid) = strip_prefix_ci(v, "cid:") {
                    let cid = percent_decode(cid);
                    return inline_images.get(cid.trim_matches(['<', '>'])).cloned().map(Cow::Owned);
                }
                if allow_remote && (starts_with_ci(v, "https:") || starts_with_ci(v, "http:")) {
                    return Some(Cow::Borrowed(value));
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
        sanitize_html(html, HashMap::new(), false)
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
        let s = sanitize_html(html, inline.clone(), false);
        assert!(s.blocked_remote);
        assert!(!s.html.contains("tracker"));
        assert!(s.html.contains("data:image/png;base64,AAAA"));
        let s = sanitize_html(html, inline, true);
        assert!(!s.blocked_remote);
        assert!(s.html.contains("https://tracker.example/p.gif"));
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
