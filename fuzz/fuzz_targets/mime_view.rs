//! Any bytes, as a message from the IMAP server, through everything that reads mail: MIME
//! parsing, the body chosen for display, the sanitizer, the sandboxed frame's template, the
//! plain-text linkifier, attachment extraction, and what replies and forwards take from it.
#![no_main]

use std::collections::HashMap;

use askama::Template;
use facteur::mail::mime::{self, Body};
use facteur::mail::{compose, sanitize};
use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: {
        // Facteur catches mail-parser's known panics (see `mime::parse_guarded`); libFuzzer's
        // own hook would abort on them even so. A panic that is not caught still aborts the
        // run, as libFuzzer checks the result of each input.
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
    let parsed = mime::parse(data);
    let html = match &parsed.body {
        Body::Html(h) => {
            let mut inline = HashMap::new();
            for a in &parsed.attachments {
                if let Some(cid) = &a.content_id {
                    inline.insert(cid.clone(), "data:image/png;base64,AAAA".to_string());
                }
            }
            let blocked = sanitize::sanitize_html(h, inline.clone(), None);
            let through: sanitize::RemoteImages = Some(std::sync::Arc::new(|u: &str| Some(format!("/img?u={u}"))));
            let allowed = sanitize::sanitize_html(h, inline, through);
            assert!(!blocked.html.to_ascii_lowercase().contains("<script"));
            allowed.html
        }
        Body::Text(t) => {
            let _ = sanitize::linkify(t);
            sanitize::escape_html(t)
        }
        Body::Empty => String::new(),
    };
    let _ = facteur::web::views::MessageFrame { lang: "en", html }.render();
    let indices: Vec<usize> = parsed.attachments.iter().take(8).map(|a| a.part).collect();
    let _ = mime::parts(data, &indices);
    let _ = mime::list_headers(data);
    if let Some(o) = mime::original(data) {
        let _ = compose::reply_subject(&o.subject, "Re:");
        let _ = compose::forward_subject(&o.subject, "Fwd:");
        let _ = compose::threading(&o);
        let _ = compose::people_text(&o.from);
        let _ = compose::quote_text(&o.text);
        let own = std::collections::HashSet::new();
        let _ = compose::reply_recipients(&o, true, &own);
    }
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = compose::parse_addresses(s);
        let _ = compose::html_to_text(s);
        let _ = compose::clean_file_name(s);
    }
    }
);
