//! Where a setting's value comes from: the `FACTEUR_*` environment over the TOML file, with
//! its origin for error messages, and the check that the file holds only known keys.

use std::collections::HashMap;

use super::kinds::{Kind, Toml};

/// A value as written, and where: `FACTEUR_IMAP_PORT` or `config file (imap.port)`.
pub(super) struct Found {
    pub text: String,
    pub origin: String,
}

/// The settings of one level: the top level (the environment over the file), or one domain
/// entry (`[[domains]]` of the file, or `FACTEUR_DOMAIN_<N>_*` of the environment).
///
/// A key is the TOML key below the level, dotted for sections (`imap.port`); its environment
/// variable is the prefix and the key in upper case, dots as underscores (`FACTEUR_IMAP_PORT`).
pub(super) struct Scope<'a> {
    file: Option<&'a toml::Table>,
    /// Where `file` is in the document, for messages: `""` or `domains[0].`.
    file_path: String,
    env: Option<&'a HashMap<String, String>>,
    /// `FACTEUR_` or `FACTEUR_DOMAIN_1_`.
    env_prefix: String,
}

impl<'a> Scope<'a> {
    pub fn top(file: &'a toml::Table, env: &'a HashMap<String, String>) -> Self {
        Self { file: Some(file), file_path: String::new(), env: Some(env), env_prefix: "FACTEUR_".into() }
    }

    /// The entries of the file's list `key` (`[[domains]]`), in order.
    pub fn file_entries(&self, key: &str) -> Vec<Scope<'a>> {
        let Some(list) = self.file.and_then(|f| f.get(key)).and_then(toml::Value::as_array) else { return Vec::new() };
        list.iter()
            .enumerate()
            .filter_map(|(i, entry)| {
                Some(Scope {
                    file: Some(entry.as_table()?),
                    file_path: format!("{}{key}[{i}].", self.file_path),
                    env: None,
                    env_prefix: String::new(),
                })
            })
            .collect()
    }

    /// The numbered entries of the environment (`FACTEUR_DOMAIN_1_*`, `FACTEUR_DOMAIN_2_*`, …
    /// for `name` = `DOMAIN`), by number.
    pub fn env_entries(&self, name: &str) -> Vec<Scope<'a>> {
        let Some(env) = self.env else { return Vec::new() };
        let prefix = format!("{}{name}_", self.env_prefix);
        let mut numbers: Vec<u32> = env
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter_map(|rest| rest.split('_').next()?.parse::<u32>().ok())
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        numbers
            .into_iter()
            .map(|n| Scope {
                file: None,
                file_path: String::new(),
                env: Some(env),
                env_prefix: format!("{prefix}{n}_"),
            })
            .collect()
    }

    /// What this level is called in messages: `domains[0]`, `FACTEUR_DOMAIN_1`.
    pub fn label(&self) -> String {
        if self.file.is_some() { self.file_path.trim_end_matches('.') } else { self.env_prefix.trim_end_matches('_') }
            .to_string()
    }

    pub fn env_name(&self, key: &str) -> String {
        format!("{}{}", self.env_prefix, key.replace('.', "_").to_ascii_uppercase())
    }

    /// The value of `key`: the environment's (unless empty), else the file's.
    pub fn lookup(&self, key: &str) -> Option<Found> {
        self.in_env(key).or_else(|| self.in_file(key))
    }

    fn in_env(&self, key: &str) -> Option<Found> {
        let name = self.env_name(key);
        let text = self.env?.get(&name).filter(|v| !v.is_empty())?.clone();
        Some(Found { text, origin: name })
    }

    /// A value of the right type, as text (the layout check reports other types).
    fn in_file(&self, key: &str) -> Option<Found> {
        let (sections, last) = match key.rsplit_once('.') {
            Some((sections, last)) => (Some(sections), last),
            None => (None, key),
        };
        let mut table = self.file?;
        for section in sections.into_iter().flat_map(|s| s.split('.')) {
            table = table.get(section)?.as_table()?;
        }
        let text = match table.get(last)? {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Array(items) => items.iter().filter_map(toml::Value::as_str).collect::<Vec<_>>().join(","),
            _ => return None,
        };
        Some(Found { text, origin: format!("config file ({}{key})", self.file_path) })
    }

    /// A secret: `key` itself, or `key_file` naming a file that holds it (`FACTEUR_KEY`,
    /// `FACTEUR_KEY_FILE`), trimmed. Setting both is a mistake.
    pub fn secret(&self, key: &str) -> Result<Option<Found>, String> {
        let path_key = format!("{key}_file");
        match (self.lookup(key), self.lookup(&path_key)) {
            (Some(_), Some(_)) => {
                Err(format!("{} and {} are both set: keep one", self.env_name(key), self.env_name(&path_key)))
            }
            (Some(v), None) => Ok(Some(Found { text: v.text.trim().to_string(), origin: v.origin })),
            (None, Some(p)) => match std::fs::read_to_string(&p.text) {
                Ok(s) => Ok(Some(Found { text: s.trim().to_string(), origin: p.origin })),
                Err(e) => Err(format!("{}: cannot read {}: {e}", p.origin, p.text)),
            },
            (None, None) => Ok(None),
        }
    }

    /// `key` read as a `K`, if set; a bad value goes to `errors`, with where it came from.
    pub fn read<K: Kind>(&self, key: &str, errors: &mut Vec<String>) -> Option<K::Value> {
        let found = self.lookup(key)?;
        K::parse(&found.text).map_err(|e| errors.push(format!("{}: {e}", found.origin))).ok()
    }
}

/// Every key of the file must be in `layout` (paths as `imap.port`, `domains[].name`) with its
/// TOML type: a misspelt key is reported rather than silently ignored.
pub(super) fn check_layout(file: &toml::Table, layout: &[(String, Toml)]) -> Vec<String> {
    let mut errors = Vec::new();
    walk(file, "", "", layout, &mut errors);
    errors
}

fn walk(table: &toml::Table, at: &str, path: &str, layout: &[(String, Toml)], errors: &mut Vec<String>) {
    let under = |p: &str| layout.iter().any(|(known, _)| known.starts_with(p));
    for (key, value) in table {
        let (at, path) = (format!("{at}{key}"), format!("{path}{key}"));
        if let Some((_, toml)) = layout.iter().find(|(known, _)| *known == path) {
            if !toml.accepts(value) {
                errors.push(format!("config file ({at}): expected {}", toml.expected()));
            }
        } else if under(&format!("{path}.")) {
            match value.as_table() {
                Some(t) => walk(t, &format!("{at}."), &format!("{path}."), layout, errors),
                None => errors.push(format!("config file ({at}): expected a [{at}] section")),
            }
        } else if under(&format!("{path}[].")) {
            let entries = value.as_array().map(|a| a.iter().map(toml::Value::as_table).collect::<Option<Vec<_>>>());
            match entries.flatten() {
                Some(entries) => {
                    for (i, t) in entries.into_iter().enumerate() {
                        walk(t, &format!("{at}[{i}]."), &format!("{path}[]."), layout, errors);
                    }
                }
                None => errors.push(format!("config file ({at}): expected [[{at}]] entries")),
            }
        } else {
            errors.push(format!("config file: unknown field `{at}`"));
        }
    }
}
