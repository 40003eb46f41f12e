use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use super::kinds::Toml;
use super::settings::{Item, SETTINGS, Show};
use super::values::redact_url;
use super::*;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn errors(toml: Option<&str>, pairs: &[(&str, &str)]) -> String {
    Config::from_sources(toml, &env(pairs)).unwrap_err().to_string()
}

#[test]
fn defaults_suit_a_container() {
    let c = Config::from_sources(None, &HashMap::new()).unwrap();
    assert_eq!(c.listen.to_string(), "0.0.0.0:8080");
    assert_eq!(c.data_dir, PathBuf::from("/data"));
    assert_eq!(c.database_url, "sqlite:///data/facteur.db?mode=rwc");
    assert_eq!(c.imap.port, 993);
    assert_eq!(c.imap.security, Security::Tls);
    assert_eq!(c.smtp.port, 465);
    assert!(c.cookie_secure);
    assert_eq!(c.imap_idle_timeout, Duration::from_secs(1800));
    assert_eq!(c.max_message_size, 25 * 1024 * 1024);
}

#[test]
fn environment_overrides_the_file_which_overrides_defaults() {
    let toml = "listen = \"127.0.0.1:9000\"\n[imap]\nhost = \"imap.example.org\"\nsecurity = \"starttls\"\n";
    let c = Config::from_sources(Some(toml), &env(&[("FACTEUR_IMAP_HOST", "mail.example.net")])).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:9000");
    assert_eq!(c.imap.host, "mail.example.net");
    assert_eq!(c.imap.security, Security::StartTls);
    assert_eq!(c.imap.port, 143, "the default port follows the security mode");
    let c = Config::from_sources(Some("[smtp]\ntimeout_seconds = 5\n"), &env(&[("FACTEUR_SMTP_TIMEOUT_SECONDS", "")]))
        .unwrap();
    assert_eq!(c.smtp_timeout, Duration::from_secs(5), "an empty variable is unset");
}

#[test]
fn every_problem_is_reported_at_once() {
    let e = Config::from_sources(
        Some("bogus = 1\n"),
        &env(&[
            ("FACTEUR_LISTEN", "nowhere"),
            ("FACTEUR_IMAP_SECURITY", "maybe"),
            ("FACTEUR_COOKIE_SECURE", "perhaps"),
            ("FACTEUR_SECRET_KEY", "short"),
        ]),
    )
    .unwrap_err();
    assert_eq!(e.0.len(), 5, "{e}");
    let text = e.to_string();
    assert!(text.contains("FACTEUR_LISTEN"));
    assert!(text.contains("FACTEUR_IMAP_SECURITY"));
    assert!(text.contains("FACTEUR_COOKIE_SECURE"));
    assert!(text.contains("FACTEUR_SECRET_KEY"));
    assert!(text.contains("bogus"));
}

#[test]
fn a_bad_value_of_the_file_is_named_by_its_key() {
    let toml = r#"
cookie_secure = "yes"
log_format = "xml"
[imap]
port = 0
hots = "x"
[smtp]
timeout_seconds = 0
[[domains]]
name = "example.org"
[domains.imap]
security = "sometimes"
bogus = 1
"#;
    let e = errors(Some(toml), &[]);
    for expected in [
        "config file (cookie_secure): expected true or false",
        "config file (log_format): expected text or json, got \"xml\"",
        "config file (imap.port): must not be 0",
        "config file: unknown field `imap.hots`",
        "config file (smtp.timeout_seconds): must be at least 1",
        "config file (domains[0].imap.security): expected tls, starttls or plain, got \"sometimes\"",
        "config file: unknown field `domains[0].imap.bogus`",
    ] {
        assert!(e.contains(expected), "{expected:?} not in:\n{e}");
    }
    assert!(errors(Some("imap = 3"), &[]).contains("config file (imap): expected a [imap] section"));
    assert!(errors(Some("domains = 3"), &[]).contains("config file (domains): expected [[domains]] entries"));
    assert!(errors(Some("listen ="), &[]).starts_with("- config file: "), "a TOML syntax error");
}

#[test]
fn every_server_key_is_read_for_imap_smtp_and_each_domain() {
    let bad = |key: &str| match key {
        "port" | "public_port" => "0",
        "security" | "public_security" => "sometimes",
        _ => "not a host",
    };
    let prefixes = ["FACTEUR_IMAP_", "FACTEUR_SMTP_", "FACTEUR_DOMAIN_1_IMAP_", "FACTEUR_DOMAIN_1_SMTP_"];
    let mut pairs = vec![("FACTEUR_DOMAIN_1_NAME".to_string(), "example.org".to_string())];
    for prefix in prefixes {
        for (key, _) in servers::KEYS {
            pairs.push((format!("{prefix}{}", key.to_ascii_uppercase()), bad(key).to_string()));
        }
    }
    let e = Config::from_sources(None, &pairs.iter().cloned().collect()).unwrap_err();
    assert_eq!(e.0.len(), 4 * servers::KEYS.len(), "{e}");
    for (name, _) in &pairs[1..] {
        assert!(e.to_string().contains(&format!("{name}: ")), "{name} not reported:\n{e}");
    }
    let mut toml = String::from("[[domains]]\nname = \"example.org\"\n");
    for section in ["imap", "smtp"] {
        toml.push_str(&format!("[domains.{section}]\n"));
        for (key, t) in servers::KEYS {
            let value = if t == Toml::Integer { bad(key).to_string() } else { format!("{:?}", bad(key)) };
            toml.push_str(&format!("{key} = {value}\n"));
        }
    }
    let e = Config::from_sources(Some(&toml), &HashMap::new()).unwrap_err();
    assert_eq!(e.0.len(), 2 * servers::KEYS.len(), "{e}");
}

#[test]
fn secrets_never_show() {
    let key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    let c = Config::from_sources(None, &env(&[("FACTEUR_SECRET_KEY", key), ("FACTEUR_DATABASE_URL", "sqlite://x.db")]))
        .unwrap();
    assert!(!format!("{c:?}").contains(key));
    assert!(!c.describe().contains(key));
    assert_eq!(redact_url("postgres://u:pw@h/db"), "postgres://u:<hidden>@h/db");
    let dir = tempfile::tempdir().unwrap();
    let url_file = dir.path().join("url");
    std::fs::write(&url_file, "postgres://facteur:pw@db.internal/facteur\n").unwrap();
    let c = Config::from_sources(
        None,
        &env(&[("FACTEUR_DATABASE_URL_FILE", url_file.to_str().unwrap()), ("FACTEUR_SECRET_KEY", key)]),
    )
    .unwrap();
    assert_eq!(c.database_url, "postgres://facteur:pw@db.internal/facteur");
    assert!(c.describe().contains("postgres://facteur:<hidden>@db.internal/facteur"));
    let e = errors(None, &[("FACTEUR_DATABASE_URL", "postgres://h/db")]);
    assert!(e.contains("FACTEUR_SECRET_KEY"), "PostgreSQL needs a shared key: {e}");
    let e = errors(None, &[("FACTEUR_DATABASE_URL", "mysql://u:pw@h/db")]);
    assert!(
        e.contains("FACTEUR_DATABASE_URL: expected a sqlite: or postgres:// URL, got \"mysql\"") && !e.contains("pw"),
        "{e}"
    );
    let e = errors(None, &[("FACTEUR_METRICS_TOKEN", "t0ken"), ("FACTEUR_METRICS_TOKEN_FILE", "/nonexistent")]);
    assert!(
        e.contains("FACTEUR_METRICS_TOKEN and FACTEUR_METRICS_TOKEN_FILE are both set") && !e.contains("t0ken"),
        "{e}"
    );
}

#[test]
fn secret_from_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("k");
    std::fs::write(&p, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n").unwrap();
    let c = Config::from_sources(None, &env(&[("FACTEUR_SECRET_KEY_FILE", p.to_str().unwrap())])).unwrap();
    let k = decode_key(c.secret_key.unwrap().expose()).unwrap();
    assert_eq!(k[31], 31);
    let toml = format!("metrics_token_file = {:?}\n", p.to_str().unwrap());
    let c = Config::from_sources(Some(&toml), &HashMap::new()).unwrap();
    assert_eq!(c.metrics_token.unwrap().expose(), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    let e = errors(Some("secret_key_file = \"/nonexistent/key\"\n"), &[]);
    assert!(e.contains("config file (secret_key_file): cannot read /nonexistent/key"), "{e}");
}

/// `config check` output is a contract: these are the lines it printed before the settings
/// were declared in one table.
#[test]
fn config_check_lines_are_unchanged() {
    let defaults = Config::from_sources(None, &HashMap::new()).unwrap();
    assert_eq!(defaults.describe(), include_str!("testdata/describe-defaults.txt"));
    let rich = Config::from_sources(Some(include_str!("testdata/rich.toml")), &env(RICH_ENV)).unwrap();
    assert_eq!(rich.describe(), include_str!("testdata/describe-rich.txt"));
}

/// Every setting and server key of the file, set in the environment instead, reads the same:
/// each variable name is the key's.
#[test]
fn the_environment_reads_like_the_file() {
    let file: toml::Table = include_str!("testdata/rich.toml").parse().unwrap();
    let (empty, mut vars) = (HashMap::new(), env(RICH_ENV));
    let scope = source::Scope::top(&file, &empty);
    let mut keys: Vec<String> = SETTINGS
        .iter()
        .filter_map(|item| match item {
            Item::Setting(s) => Some(s.key.to_string()),
            Item::Servers => None,
        })
        .collect();
    for (section, _) in servers::SECTIONS {
        keys.extend(servers::keys(section).iter().map(|(key, _)| format!("{section}.{key}")));
    }
    for key in keys {
        if let Some(found) = scope.lookup(&key) {
            vars.insert(format!("FACTEUR_{}", key.replace('.', "_").to_ascii_uppercase()), found.text);
        }
    }
    let mut domains_only = toml::Table::new();
    domains_only.insert("domains".into(), file["domains"].clone());
    let from_env = Config::from_sources(Some(&domains_only.to_string()), &vars).unwrap();
    let from_file = Config::from_sources(Some(include_str!("testdata/rich.toml")), &env(RICH_ENV)).unwrap();
    assert_eq!(format!("{from_env:?}"), format!("{from_file:?}"));
}

const RICH_ENV: &[(&str, &str)] = &[
    ("FACTEUR_DOMAIN_1_NAME", "second.test"),
    ("FACTEUR_DOMAIN_1_IMAP_PORT", "1143"),
    ("FACTEUR_DOMAIN_1_SMTP_SECURITY", "tls"),
    ("FACTEUR_DOMAIN_1_WEB_HOSTS", "a.second.test b.second.test"),
];

/// Every setting has its `config check` line, unless it is shown within another or hidden.
#[test]
fn every_setting_is_shown() {
    let text = Config::from_sources(None, &HashMap::new()).unwrap().describe();
    let keys: Vec<&str> = text.lines().filter_map(|l| l.split_once(" = ")).map(|(k, _)| k).collect();
    let mut expected = Vec::new();
    for item in SETTINGS {
        match item {
            Item::Setting(s) => match s.show {
                Show::Line(_) => expected.push(s.key),
                Show::As(label, _) => expected.push(label),
                Show::Hidden => {}
            },
            Item::Servers => expected.extend(["imap", "smtp", "sieve", "public (what mail apps are told)"]),
        }
    }
    assert_eq!(keys, expected);
}

mod example_file {
    use super::*;

    const TEXT: &str = include_str!("../../config.example.toml");

    /// The example with its commented-out settings (`# key = value`) and sections uncommented.
    fn uncommented() -> toml::Table {
        let is_setting =
            |r: &str| r.split_once(" = ").is_some_and(|(k, _)| k.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
        let text: String = TEXT
            .lines()
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|r| is_setting(r) || (r.starts_with('[') && r.ends_with(']') && !r.contains(' ')))
                    .unwrap_or(l)
            })
            .collect::<Vec<_>>()
            .join("\n");
        text.parse().unwrap()
    }

    /// Every key the parser knows is in the example (a domain entry's server keys are those of
    /// `[imap]` and `[smtp]`), and every key of the example is one the parser knows.
    #[test]
    fn the_example_file_is_complete_and_valid() {
        let file = uncommented();
        let layout = settings::layout();
        assert_eq!(source::check_layout(&file, &layout), Vec::<String>::new());
        let entry = file["domains"].as_array().unwrap()[0].as_table().unwrap();
        let mut missing = Vec::new();
        for (path, _) in &layout {
            let (table, key) = match path.strip_prefix("domains[].") {
                Some(key) if key.contains('.') => continue,
                Some(key) => (entry, key),
                None => (&file, path.as_str()),
            };
            let found = match key.split_once('.') {
                Some((section, key)) => table.get(section).and_then(|s| s.get(key)).is_some(),
                None => table.get(key).is_some(),
            };
            if !found {
                missing.push(path.clone());
            }
        }
        assert!(missing.is_empty(), "not in config.example.toml: {missing:?}");
        assert!(entry.contains_key("imap") && entry.contains_key("smtp"));
        assert!(Config::from_sources(Some(TEXT), &HashMap::new()).is_ok());
    }

    /// Every environment variable is documented.
    #[test]
    fn the_example_file_names_every_variable() {
        let mut names = Vec::new();
        for item in SETTINGS {
            match item {
                Item::Setting(s) => {
                    let name = format!("FACTEUR_{}", s.key.replace('.', "_").to_ascii_uppercase());
                    if s.secret {
                        names.push(format!("{name}_FILE"));
                    }
                    names.push(name);
                }
                Item::Servers => {
                    for (section, _) in servers::SECTIONS {
                        for (key, _) in servers::keys(section) {
                            names.push(format!("FACTEUR_{section}_{key}").to_ascii_uppercase());
                        }
                    }
                    for (key, _) in domains::KEYS {
                        names.push(format!("FACTEUR_DOMAIN_1_{key}").to_ascii_uppercase());
                    }
                }
            }
        }
        let missing: Vec<_> = names.into_iter().filter(|n| !TEXT.contains(n.as_str())).collect();
        assert!(missing.is_empty(), "undocumented: {missing:?}");
        // A domain entry's servers: FACTEUR_DOMAIN_1_IMAP_HOST, … (and _PUBLIC_PORT, …), the same with SMTP.
        let (_, domain_doc) = TEXT.split_once("FACTEUR_DOMAIN_1_").unwrap();
        assert!(domain_doc.contains("FACTEUR_DOMAIN_1_IMAP_") && domain_doc.contains("SMTP"));
        for (key, _) in servers::KEYS {
            assert!(domain_doc.contains(&format!("_{}", key.to_ascii_uppercase())), "{key}");
        }
    }

    /// The example's live settings are the defaults, so it can be copied as it is.
    #[test]
    fn the_example_file_is_valid_and_shows_the_defaults() {
        let example = Config::from_sources(Some(TEXT), &HashMap::new()).unwrap();
        assert_eq!(example.describe(), Config::from_sources(None, &HashMap::new()).unwrap().describe());
    }
}
