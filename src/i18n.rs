//! Every user-visible string goes through Fluent. The language is passed per call, never global.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// Languages with complete translations, in order of preference when nothing else decides.
pub const SUPPORTED: &[&str] = &["en", "fr"];

pub fn is_supported(code: &str) -> bool {
    SUPPORTED.contains(&code)
}

/// The language of one request.
#[derive(Clone, Debug)]
pub struct I18n {
    code: &'static str,
    id: LanguageIdentifier,
}

impl I18n {
    pub fn new(code: &str) -> Self {
        let code = SUPPORTED.iter().copied().find(|c| *c == code).unwrap_or("en");
        let id = code.parse().unwrap_or_default();
        Self { code, id }
    }

    /// Picks the best supported language from an `Accept-Language` header.
    pub fn negotiate(accept_language: Option<&str>, default: &str) -> Self {
        let mut best: Option<(&'static str, f32)> = None;
        for item in accept_language.unwrap_or_default().split(',') {
            let mut parts = item.trim().split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|v| v.trim().parse::<f32>().ok()))
                .unwrap_or(1.0);
            let primary = tag.split(['-', '_']).next().unwrap_or_default();
            if let Some(code) = SUPPORTED.iter().copied().find(|c| *c == primary)
                && q > 0.0
                && best.is_none_or(|(_, bq)| q > bq)
            {
                best = Some((code, q));
            }
        }
        Self::new(best.map(|(c, _)| c).unwrap_or(default))
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    /// The translation of `key`; a missing key shows as the key itself (and is caught by tests).
    pub fn t(&self, key: &str) -> String {
        LOCALES.try_lookup(&self.id, key).unwrap_or_else(|| {
            tracing::warn!(key, lang = self.code, "missing translation");
            key.to_string()
        })
    }

    /// The translation of `key` with named arguments.
    pub fn ta(&self, key: &str, args: &[(&'static str, FluentArg)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    FluentArg::Str(s) => FluentValue::from(s.clone()),
                    FluentArg::Num(n) => FluentValue::from(*n),
                };
                (Cow::Borrowed(*k), value)
            })
            .collect();
        LOCALES.try_lookup_with_args(&self.id, key, &map).unwrap_or_else(|| {
            tracing::warn!(key, lang = self.code, "missing translation");
            key.to_string()
        })
    }

    /// Shorthand for one string argument.
    pub fn t1(&self, key: &str, name: &'static str, value: impl Into<String>) -> String {
        self.ta(key, &[(name, FluentArg::Str(value.into()))])
    }

    /// Shorthand for one numeric argument (plurals).
    pub fn tn(&self, key: &str, name: &'static str, value: i64) -> String {
        self.ta(key, &[(name, FluentArg::Num(value))])
    }
}

#[derive(Clone, Debug)]
pub enum FluentArg {
    Str(String),
    Num(i64),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(ftl: &str) -> BTreeSet<String> {
        ftl.lines()
            .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_string()))
            .collect()
    }

    /// Every message of one language, from all its `.ftl` files.
    fn locale(code: &str) -> BTreeSet<String> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("locales").join(code);
        let mut all = BTreeSet::new();
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            if e.path().extension().is_some_and(|x| x == "ftl") {
                all.extend(keys(&std::fs::read_to_string(e.path()).unwrap()));
            }
        }
        all
    }

    #[test]
    fn english_and_french_have_the_same_messages() {
        let en = locale("en");
        let fr = locale("fr");
        assert!(en.len() > 40, "only {} messages", en.len());
        let only_en: Vec<_> = en.difference(&fr).collect();
        let only_fr: Vec<_> = fr.difference(&en).collect();
        assert!(only_en.is_empty(), "missing in French: {only_en:?}");
        assert!(only_fr.is_empty(), "missing in English: {only_fr:?}");
    }

    #[test]
    fn every_key_used_in_templates_and_code_exists() {
        let en = locale("en");
        let mut used = BTreeSet::new();
        let mut files = Vec::new();
        for dir in ["templates", "src"] {
            collect(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).as_path(), &mut files);
        }
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for pat in [".t(\"", ".t1(\"", ".tn(\"", ".ta(\""] {
                for (i, _) in text.match_indices(pat) {
                    let rest = &text[i + pat.len()..];
                    if let Some(end) = rest.find('"') {
                        let key = &rest[..end];
                        if key.chars().all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit()) {
                            used.insert(key.to_string());
                        }
                    }
                }
            }
        }
        assert!(used.len() > 20);
        let missing: Vec<_> = used.iter().filter(|k| !en.contains(*k)).collect();
        assert!(missing.is_empty(), "keys used but not translated: {missing:?}");
    }

    fn collect(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                collect(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs" || x == "html") {
                out.push(p);
            }
        }
    }

    #[test]
    fn accept_language_picks_french_or_falls_back() {
        assert_eq!(I18n::negotiate(Some("fr-FR,fr;q=0.9,en;q=0.8"), "en").code(), "fr");
        assert_eq!(I18n::negotiate(Some("de-DE,en;q=0.5,fr;q=0.7"), "en").code(), "fr");
        assert_eq!(I18n::negotiate(Some("de"), "en").code(), "en");
        assert_eq!(I18n::negotiate(None, "fr").code(), "fr");
        assert_eq!(I18n::new("fr").t("login-title"), "Connexion");
        assert_eq!(I18n::new("en").tn("folder-unread", "count", 3), "3 unread");
    }
}
