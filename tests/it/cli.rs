//! The `facteur` command line: `config check` and `healthcheck`.

use std::process::Command;

use crate::harness::*;

fn facteur() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_facteur"));
    c.env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default());
    c
}

#[test]
fn config_check_prints_the_effective_configuration_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    let out = facteur()
        .args(["config", "check"])
        .env("FACTEUR_DATA_DIR", dir.path())
        .env("FACTEUR_IMAP_HOST", "imap.example.org")
        .env("FACTEUR_IMAP_SECURITY", "starttls")
        .env("FACTEUR_SECRET_KEY", key)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("imap = imap.example.org:143 (starttls)"), "{stdout}");
    assert!(stdout.contains("secret_key = <hidden>"));
    assert!(!stdout.contains(key));
}

#[test]
fn config_check_reports_every_problem_at_once() {
    let out = facteur()
        .args(["config", "check"])
        .env("FACTEUR_LISTEN", "not-an-address")
        .env("FACTEUR_IMAP_SECURITY", "sometimes")
        .env("FACTEUR_SMTP_PORT", "99999")
        .env("FACTEUR_COOKIE_SECURE", "maybe")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for var in ["FACTEUR_LISTEN", "FACTEUR_IMAP_SECURITY", "FACTEUR_SMTP_PORT", "FACTEUR_COOKIE_SECURE"] {
        assert!(err.contains(var), "{var} not reported:\n{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_answers_for_a_running_instance_only() {
    let app = TestApp::start().await;
    let ok = facteur().arg("healthcheck").env("FACTEUR_LISTEN", app.addr.to_string()).status().unwrap();
    assert!(ok.success());
    let closed = format!("127.0.0.1:{}", free_port());
    let down = facteur().arg("healthcheck").env("FACTEUR_LISTEN", closed).status().unwrap();
    assert!(!down.success());
}
