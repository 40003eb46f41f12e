//! The `facteur` command line: `config check` and `healthcheck`.

use std::process::Command;
use std::time::Duration;

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

/// The binary under test: `FACTEUR_TEST_BIN` (the release build, in CI) or this build's.
fn binary() -> std::path::PathBuf {
    match std::env::var_os("FACTEUR_TEST_BIN") {
        Some(p) => std::path::PathBuf::from(p),
        None => std::path::PathBuf::from(env!("CARGO_BIN_EXE_facteur")),
    }
}

/// A container runs the binary with an empty working directory and nothing but environment
/// variables: templates, styles, translations and migrations must all be inside it. It logs
/// in against the real Dovecot, logs one JSON line per request with its id, never logs the
/// password, and stops cleanly on SIGTERM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_from_an_empty_directory_with_environment_alone() {
    let bin = binary();
    assert!(bin.is_file(), "{} is not built", bin.display());
    let work = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("data");
    let port = free_port();
    let d = dovecot();
    let user = d.user();
    let log_path = work.path().join("..").join(format!("facteur-{port}.log"));
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = std::process::Command::new(&bin)
        .current_dir(work.path())
        .env_clear()
        .env("FACTEUR_LISTEN", format!("127.0.0.1:{port}"))
        .env("FACTEUR_DATA_DIR", &data_dir)
        .env("FACTEUR_IMAP_HOST", "127.0.0.1")
        .env("FACTEUR_IMAP_PORT", d.imap_port.to_string())
        .env("FACTEUR_IMAP_SECURITY", "plain")
        .env("FACTEUR_SMTP_HOST", "127.0.0.1")
        .env("FACTEUR_SMTP_PORT", d.submission_port.to_string())
        .env("FACTEUR_SMTP_SECURITY", "plain")
        .env("FACTEUR_COOKIE_SECURE", "false")
        .env("FACTEUR_LOG_FORMAT", "json")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let up = eventually(Duration::from_secs(20), || {
        let bin = bin.clone();
        async move {
            std::process::Command::new(&bin)
                .arg("healthcheck")
                .env_clear()
                .env("FACTEUR_LISTEN", format!("127.0.0.1:{port}"))
                .status()
                .is_ok_and(|s| s.success())
        }
    })
    .await;
    assert!(up, "the binary did not come up: {}", std::fs::read_to_string(&log_path).unwrap_or_default());

    let b = Browser::for_base(base.clone(), "fr");
    let login = b.get("/login").await;
    assert_eq!(login.status, 200);
    assert!(login.body.contains("Se connecter"), "French from the embedded translations");
    let css = login.body.split("href=\"").filter_map(|s| s.split('"').next()).find(|h| h.starts_with("/static/")).unwrap().to_string();
    assert_eq!(b.get(&css).await.status, 200, "embedded stylesheet");
    assert_eq!(b.login_attempt(&user.name, "a-wrong-password").await.status, 401);
    let inbox = b.login(&user).await;
    assert!(inbox.body.contains(&user.name));
    let missing = b.get("/no/such/page").await;
    assert_eq!(missing.status, 404);
    let request_id = missing.headers["x-request-id"].to_str().unwrap().to_string();
    assert!(missing.body.contains(&request_id), "the error page shows the request id");
    assert!(std::fs::read_dir(work.path()).unwrap().next().is_none(), "nothing written to the working directory");
    assert!(data_dir.join("facteur.db").is_file() && data_dir.join("secret.key").is_file());

    let kill = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(kill.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let logs = std::fs::read_to_string(&log_path).unwrap();
    let _ = std::fs::remove_file(&log_path);
    assert!(status.is_some_and(|s| s.success()), "SIGTERM: a clean exit: {status:?}\n{logs}");
    assert!(!logs.contains(&user.password) && !logs.contains("a-wrong-password"), "a password was logged:\n{logs}");
    let mut requests = 0;
    for line in logs.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if v["fields"]["message"] == "http" {
            requests += 1;
            assert!(v["span"]["id"].as_str().is_some_and(|id| !id.is_empty()), "a request id: {line}");
            assert!(v["fields"]["route"].is_string() && v["fields"]["status"].is_number(), "{line}");
        }
    }
    assert!(requests >= 6, "one line per request:\n{logs}");
    assert!(
        logs.lines().any(|l| l.contains(&request_id) && l.contains("404")),
        "the request id of the error page is in the log"
    );
    assert!(
        logs.contains("authentication failure") && logs.contains(&format!("\"user\":\"{}\"", user.name)),
        "a fail2ban-friendly failure line:\n{logs}"
    );
    assert!(logs.contains("logging out of IMAP sessions") && logs.contains("\"stopped\""), "{logs}");
}
