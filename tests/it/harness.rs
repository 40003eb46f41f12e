//! Test harness: a real Dovecot on loopback (started once per test binary), one user per test,
//! Facteur on 127.0.0.1:0 with a fresh data directory, and an independent IMAP client.
//!
//! A missing Dovecot is a failure, never a skip.

use std::collections::HashMap;
use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use async_imap::Session;
use facteur::config::Config;
use facteur::startup::Application;
use facteur::web::AppState;
use futures_util::TryStreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const DOMAIN: &str = "example.test";
const POOL: usize = 180;

/// Where the STARTTLS-only IMAP listener is ([`Dovecot::imap_starttls_port`]). Not 127.0.0.1:
/// Dovecot takes a connection whose two ends have the same address for a secure one and lets
/// plain text logins through whatever its settings say; a connection to 127.0.0.2 comes from
/// 127.0.0.1. The test certificate names it.
pub const STARTTLS_HOST: &str = "127.0.0.2";

pub struct Dovecot {
    pub dir: PathBuf,
    /// Where Dovecot sends its news of deliveries (push_notification, ox driver): a Facteur
    /// listening on 127.0.0.1 there receives them (0: none are sent).
    pub push_port: u16,
    /// IMAP on 127.0.0.1: STARTTLS offered, logins also accepted in plain text.
    pub imap_port: u16,
    pub imaps_port: u16,
    /// IMAP on [`STARTTLS_HOST`]: LOGIN and AUTHENTICATE refused until STARTTLS, so a client
    /// that skips STARTTLS fails instead of passing in plain text.
    pub imap_starttls_port: u16,
    /// Postfix submission on 127.0.0.1: STARTTLS offered, AUTH also in plain text.
    pub submission_port: u16,
    /// Submissions (implicit TLS).
    pub submissions_port: u16,
    /// Submission that offers AUTH only after STARTTLS and refuses mail without it.
    pub submission_starttls_port: u16,
    /// ManageSieve (STARTTLS offered, plain text logins accepted); the users' Sieve scripts
    /// run at delivery, their replies and redirects go through Postfix.
    pub sieve_port: u16,
    next_user: AtomicUsize,
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn free_port() -> u16 {
    free_port_on("127.0.0.1")
}

/// A port the servers of a test can listen on. Taken below the kernel's ephemeral range
/// (`ip_local_port_range`, 32768 and up on Linux), where outgoing connections get theirs: a
/// port asked of the kernel (bind to 0) comes from that range, and any connection made
/// before the server binds it could take it. Down here only another listener could.
pub fn free_port_on(host: &str) -> u16 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let ephemeral = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next()?.parse::<u32>().ok())
        .unwrap_or(32768);
    let (low, high) = (10_000u32, ephemeral.clamp(12_000, 65_535));
    let span = high - low;
    // Test processes running side by side start at different places.
    let start = std::process::id().wrapping_mul(7919) % span;
    for _ in 0..span {
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let port = (low + (start + n) % span) as u16;
        if StdListener::bind((host, port)).is_ok() {
            return port;
        }
    }
    panic!("no free port below {high}")
}

fn script() -> PathBuf {
    root().join("scripts/mailserver.sh")
}

pub fn user_name(i: usize) -> String {
    format!("user{i}@{DOMAIN}")
}

pub fn user_password(i: usize) -> String {
    // Every third user has a non-ASCII password, so SASL PLAIN is exercised all the time.
    if i.is_multiple_of(3) { format!("pässwörd-{i}") } else { format!("secret-{i}") }
}

static DOVECOT: OnceLock<Dovecot> = OnceLock::new();

/// Stops the servers of `dir` (with `script stop --fast DIR`) once this test process is gone.
fn stop_when_gone(dir: &Path, script: &Path) {
    let _ = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; bash {script} stop --fast {dir} >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            script = script.display(),
            dir = dir.display()
        ))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

fn add_users(dir: &Path, users: &[(String, String)]) {
    let mut args = vec!["adduser".to_string(), dir.display().to_string()];
    for (name, password) in users {
        args.push(name.clone());
        args.push(password.clone());
    }
    let out = Command::new("bash").arg(script()).args(&args).output().expect("adduser");
    assert!(out.status.success(), "adduser failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// The secret the shared Dovecot gives Facteur with its news of deliveries.
pub const PUSH_SECRET: &str = "push-secret-for-tests";

/// The shared Dovecot, started on first use and stopped when the test process exits.
pub fn dovecot() -> &'static Dovecot {
    DOVECOT.get_or_init(|| {
        let which = Command::new("sh").arg("-c").arg("command -v dovecot || test -x /usr/sbin/dovecot").output();
        assert!(
            which.map(|o| o.status.success()).unwrap_or(false),
            "Dovecot is not installed: the integration tests need a real IMAP server \
             (apt-get install dovecot-imapd dovecot-lmtpd, or run .ci/run)"
        );
        let which = Command::new("sh").arg("-c").arg("command -v postfix || test -x /usr/sbin/postfix").output();
        assert!(
            which.map(|o| o.status.success()).unwrap_or(false),
            "Postfix is not installed: the sending tests need a real SMTP server (apt-get install postfix, or run .ci/run)"
        );
        let dir = tempfile::Builder::new().prefix("fxd.").tempdir_in("/tmp").expect("temp dir").keep();
        let (imap_port, imaps_port, submission_port, submissions_port) = (free_port(), free_port(), free_port(), free_port());
        let (imap_starttls_port, submission_starttls_port) = (free_port_on(STARTTLS_HOST), free_port());
        let (sieve_port, relay_port, push_port) = (free_port(), free_port(), free_port());
        let push_url = format!("http://dovecot:{PUSH_SECRET}@127.0.0.1:{push_port}/push/dovecot");
        // Sized for the users a load run signs in at once (`--users`, 500 by default).
        let users = std::env::var("FACTEUR_TEST_MAIL_USERS").ok().filter(|n| n.parse::<u32>().is_ok()).unwrap_or_else(|| "500".into());
        let out = Command::new("bash")
            .arg(script())
            .args([
                "start",
                "--users",
                &users,
                // Connections idling for 3 s are hibernated, as a hoster's Dovecot would
                // (after longer): every test runs against it.
                "--hibernate",
                "3",
                "--sieve",
                &sieve_port.to_string(),
                "--sieve-relay",
                &relay_port.to_string(),
                "--push",
                &push_url,
                "--imap-starttls-port",
                &imap_starttls_port.to_string(),
                "--submission-starttls-port",
                &submission_starttls_port.to_string(),
                dir.to_str().unwrap_or_default(),
                &imap_port.to_string(),
                &imaps_port.to_string(),
                &submission_port.to_string(),
                &submissions_port.to_string(),
            ])
            .output()
            .expect("run mailserver.sh");
        assert!(
            out.status.success(),
            "Dovecot and Postfix did not start:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        stop_when_gone(&dir, &script());
        let pool: Vec<(String, String)> = (1..=POOL).map(|i| (user_name(i), user_password(i))).collect();
        add_users(&dir, &pool);
        Dovecot {
            dir,
            push_port,
            imap_port,
            imaps_port,
            imap_starttls_port,
            submission_port,
            submissions_port,
            submission_starttls_port,
            sieve_port,
            next_user: AtomicUsize::new(1),
        }
    })
}

static MINIMAL: OnceLock<Dovecot> = OnceLock::new();

/// A second shared Dovecot that behaves like a minimal IMAP server (`mailserver.sh start
/// --minimal`): Courier-IMAP's capabilities and greeting, folders under the `INBOX.`
/// namespace with separator `.`, no special-use folders, nothing created in advance. With a
/// Postfix of its own that delivers to it. Its accounts start with only an INBOX.
pub fn minimal() -> &'static Dovecot {
    MINIMAL.get_or_init(|| {
        dovecot();
        let dir = tempfile::Builder::new().prefix("fxm.").tempdir_in("/tmp").expect("temp dir").keep();
        let (imap_port, imaps_port, submission_port, submissions_port) = (free_port(), free_port(), free_port(), free_port());
        run_script(&[
            "start",
            "--minimal",
            dir.to_str().unwrap_or_default(),
            &imap_port.to_string(),
            &imaps_port.to_string(),
            &submission_port.to_string(),
            &submissions_port.to_string(),
        ]);
        stop_when_gone(&dir, &script());
        let pool: Vec<(String, String)> = (1..=POOL).map(|i| (user_name(i), user_password(i))).collect();
        add_users(&dir, &pool);
        Dovecot {
            dir,
            imap_port,
            imaps_port,
            imap_starttls_port: 0,
            submission_port,
            submissions_port,
            submission_starttls_port: 0,
            sieve_port: 0,
            push_port: 0,
            next_user: AtomicUsize::new(1),
        }
    })
}

/// A real Courier-IMAP (`scripts/courier.sh`: Debian's packages, extracted, never installed)
/// on 127.0.0.1, with Debian's default settings.
pub struct Courier {
    pub dir: PathBuf,
    pub imap_port: u16,
    next_user: AtomicUsize,
}

static COURIER: OnceLock<Courier> = OnceLock::new();

fn courier_script() -> PathBuf {
    root().join("scripts/courier.sh")
}

/// The shared Courier-IMAP, started on first use and stopped when the test process exits.
/// It cannot start (no packages, no mount namespaces): a failure, not a skip.
pub fn courier() -> &'static Courier {
    COURIER.get_or_init(|| {
        dovecot();
        let dir = tempfile::Builder::new().prefix("fxc.").tempdir_in("/tmp").expect("temp dir").keep();
        let imap_port = free_port();
        let out = Command::new("bash")
            .arg(courier_script())
            .args(["start", dir.to_str().unwrap_or_default(), &imap_port.to_string()])
            .output()
            .expect("run courier.sh");
        assert!(
            out.status.success(),
            "Courier-IMAP did not start (scripts/courier.sh; install-deps.sh fetches it):\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        stop_when_gone(&dir, &courier_script());
        Courier { dir, imap_port, next_user: AtomicUsize::new(1) }
    })
}

impl Courier {
    /// A user of its own, with only an INBOX. The same name and password also exist on the
    /// shared Dovecot, whose Postfix then accepts them for sending.
    pub fn user(&self) -> TestUser {
        let i = self.next_user.fetch_add(1, Ordering::SeqCst);
        let (name, password) = (format!("courier{i}@{DOMAIN}"), user_password(i));
        let out = Command::new("bash")
            .arg(courier_script())
            .args(["adduser", self.dir.to_str().unwrap_or_default(), &name, &password])
            .output()
            .expect("courier.sh adduser");
        assert!(out.status.success(), "courier.sh adduser failed: {}", String::from_utf8_lossy(&out.stderr));
        dovecot().set_password(&name, &password);
        TestUser { name, password, port: self.imap_port }
    }
}

impl Dovecot {
    /// A user of its own for one test.
    pub fn user(&self) -> TestUser {
        let i = self.next_user.fetch_add(1, Ordering::SeqCst);
        assert!(i <= POOL, "the test user pool is exhausted: raise POOL");
        TestUser { name: user_name(i), password: user_password(i), port: self.imap_port }
    }

    /// Dovecot's LMTP socket (what Postfix delivers through).
    #[allow(dead_code)]
    pub fn lmtp_socket(&self) -> PathBuf {
        match std::fs::read_to_string(self.dir.join("base_dir.path")) {
            Ok(p) => PathBuf::from(p.trim()).join("lmtp"),
            Err(_) => self.dir.join("run/lmtp"),
        }
    }

    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// Creates `user` or changes their password.
    pub fn set_password(&self, user: &str, password: &str) {
        self.add_users(&[(user.to_string(), password.to_string())]);
    }

    /// Creates (or updates) many users at once: one pass over the users file.
    pub fn add_users(&self, users: &[(String, String)]) {
        add_users(&self.dir, users);
    }

    /// Takes IMAP `rights` (RFC 4314 letters) away from `user` in the folders matching
    /// `folder` (`*`: all), on a `--minimal` server, for connections opened from then on.
    pub fn deny(&self, user: &str, rights: &str, folder: &str) {
        run_script(&["deny", &self.dir.display().to_string(), user, rights, folder]);
    }

    /// Limits `user`'s mailbox to `limit` (`200K`), for connections opened from then on.
    pub fn set_quota(&self, user: &str, limit: &str) {
        run_script(&["quota", &self.dir.display().to_string(), user, limit]);
    }

    /// Lets `user` send as `alias` (Postfix's sender login map).
    pub fn add_alias(&self, alias: &str, user: &str) {
        run_script(&["addalias", &self.dir.display().to_string(), alias, user]);
    }

    /// Drops every IMAP connection of `user` on the server side, and returns once they are
    /// closed: `doveadm kick` only signals the processes, and a request made right after it
    /// could still be served by a connection that is about to go.
    pub fn kick(&self, user: &str) {
        let pids = self.imap_pids(user);
        let out = Command::new("bash")
            .arg(script())
            .args(["kick", self.dir.to_str().unwrap_or_default(), user])
            .output()
            .expect("kick");
        assert!(out.status.success(), "kick failed: {}", String::from_utf8_lossy(&out.stderr));
        // A process closes its connection before it exits; one IMAP connection per process.
        let deadline = Instant::now() + Duration::from_secs(10);
        while pids.iter().any(|p| process_runs(*p)) || self.imap_pids(user).iter().any(|p| pids.contains(p)) {
            assert!(Instant::now() < deadline, "the kicked IMAP processes of {user} ({pids:?}) are still there");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// How many IMAP connections `user` has open, as Dovecot sees them.
    pub fn connections(&self, user: &str) -> usize {
        self.imap_pids(user).len()
    }

    /// The IMAP processes of `user` (one per connection), as `doveadm who` lists them.
    fn imap_pids(&self, user: &str) -> Vec<u32> {
        who(&self.dir, user).into_iter().map(|(pid, _)| pid).collect()
    }

    /// How many connections of `user` are in IDLE right now (Dovecot's process titles say
    /// which command each one runs; a hibernated one is in IDLE too): a watcher that idles
    /// hears of every change from then on.
    pub fn idling(&self, user: &str) -> usize {
        who(&self.dir, user).iter().filter(|(_, title)| title.contains(" IDLE]") || title.contains("imap-hibernate")).count()
    }

    /// How many messages for `recipient` Postfix still holds (not yet delivered to Dovecot).
    pub fn queued_for(&self, recipient: &str) -> usize {
        let out = Command::new("postqueue")
            .args(["-c", &self.dir.join("postfix").display().to_string(), "-j"])
            .output()
            .expect("postqueue");
        assert!(out.status.success(), "postqueue: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| {
                m["recipients"]
                    .as_array()
                    .is_some_and(|r| r.iter().any(|r| r["address"].as_str().is_some_and(|a| a.eq_ignore_ascii_case(recipient))))
            })
            .count()
    }
}

/// Whether process `pid` still runs (a zombie has closed everything already).
fn process_runs(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])))
        .is_some_and(|dead| !dead)
}

fn run_script(args: &[&str]) {
    let out = Command::new("bash").arg(script()).args(args).output().expect("run mailserver.sh");
    assert!(
        out.status.success(),
        "mailserver.sh {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A Dovecot + Postfix of one test's own, for tests that stop parts of it. Stopped on drop.
pub struct PrivateMail {
    pub dir: PathBuf,
    pub imap_port: u16,
    pub submission_port: u16,
}

impl PrivateMail {
    pub fn start(users: &[(String, String)]) -> Self {
        dovecot();
        let dir = tempfile::Builder::new().prefix("fxp.").tempdir_in("/tmp").expect("temp dir").keep();
        let (imap_port, imaps_port, submission_port) = (free_port(), free_port(), free_port());
        let d = dir.display().to_string();
        run_script(&["start", &d, &imap_port.to_string(), &imaps_port.to_string(), &submission_port.to_string()]);
        add_users(&dir, users);
        Self { dir, imap_port, submission_port }
    }

    pub fn smtp_stop(&self) {
        run_script(&["smtp-stop", &self.dir.display().to_string()]);
    }

    pub fn smtp_start(&self) {
        run_script(&["smtp-start", &self.dir.display().to_string()]);
    }
}

impl Drop for PrivateMail {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(script()).args(["stop", "--fast", &self.dir.display().to_string()]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[derive(Clone, Debug)]
pub struct TestUser {
    pub name: String,
    pub password: String,
    /// The IMAP port of the server the user is on.
    pub port: u16,
}

pub type Imap = Session<TcpStream>;

/// Creates a folder as mail apps do: CREATE, then SUBSCRIBE (an unsubscribed folder stays out
/// of the sidebar).
pub async fn make_folder(imap: &mut Imap, name: &str) -> async_imap::error::Result<()> {
    imap.create(name).await?;
    imap.subscribe(name).await
}

impl TestUser {
    pub fn new(name: &str, password: &str, port: u16) -> Self {
        Self { name: name.to_string(), password: password.to_string(), port }
    }

    /// An independent IMAP connection, as a desktop mail app would have.
    pub async fn imap(&self) -> Imap {
        self.imap_from(std::net::Ipv4Addr::LOCALHOST.into()).await
    }

    /// [`Self::imap`] from `address` (a loopback one): a mail app at the same address as a
    /// [`Browser`], as behind one home router, which Dovecot's per-address limits count together.
    pub async fn imap_from(&self, address: std::net::IpAddr) -> Imap {
        self.try_imap_from(address).await.expect("greeting")
    }

    /// [`Self::imap_from`], or `None` when the server closes the connection before its
    /// greeting (a limit on connections).
    pub async fn try_imap_from(&self, address: std::net::IpAddr) -> Option<Imap> {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.bind((address, 0).into()).expect("bind a loopback address");
        let tcp = socket.connect(([127, 0, 0, 1], self.port).into()).await.expect("connect to Dovecot");
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.ok()??;
        struct Plain(String, String);
        impl async_imap::Authenticator for Plain {
            type Response = Vec<u8>;
            fn process(&mut self, _: &[u8]) -> Vec<u8> {
                format!("\0{}\0{}", self.0, self.1).into_bytes()
            }
        }
        client
            .authenticate("PLAIN", Plain(self.name.clone(), self.password.clone()))
            .await
            .map_err(|(e, _)| e)
            .map(Some)
            .expect("independent client login")
    }

    /// Appends `messages` to `mailbox` in one pipelined MULTIAPPEND (LITERAL+): thousands in seconds.
    pub async fn bulk_append(&self, mailbox_wire: &str, messages: &[Vec<u8>]) {
        let mut tcp = TcpStream::connect(("127.0.0.1", self.port)).await.expect("connect");
        let mut buf = vec![0u8; 65536];
        let _ = tcp.read(&mut buf).await.expect("greeting");
        let auth = base64_plain(&self.name, &self.password);
        tcp.write_all(format!("a AUTHENTICATE PLAIN {auth}\r\n").as_bytes()).await.expect("write");
        read_tagged(&mut tcp, "a").await;
        for (n, chunk) in messages.chunks(500).enumerate() {
            let tag = format!("b{n}");
            let mut cmd = format!("{tag} APPEND \"{mailbox_wire}\"").into_bytes();
            for m in chunk {
                cmd.extend_from_slice(format!(" {{{}+}}\r\n", m.len()).as_bytes());
                cmd.extend_from_slice(m);
            }
            cmd.extend_from_slice(b"\r\n");
            tcp.write_all(&cmd).await.expect("write");
            let resp = read_tagged(&mut tcp, &tag).await;
            assert!(resp.contains(&format!("{tag} OK")), "APPEND failed: {resp}");
        }
        tcp.write_all(b"z LOGOUT\r\n").await.expect("write");
    }
}

/// SASL PLAIN's initial response, base64-encoded (IMAP AUTHENTICATE and SMTP AUTH alike).
pub fn base64_plain(user: &str, pass: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{pass}"))
}

/// Reads from `stream` until `done` says the text so far is a whole answer.
pub async fn read_until<S: tokio::io::AsyncRead + Unpin>(stream: &mut S, done: impl Fn(&str) -> bool) -> String {
    let mut all = Vec::new();
    let mut buf = vec![0u8; 65536];
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let n = tokio::time::timeout_at(deadline.into(), stream.read(&mut buf))
            .await
            .expect("an answer in time")
            .expect("read");
        assert!(n > 0, "connection closed: {}", String::from_utf8_lossy(&all));
        all.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&all);
        if text.ends_with("\r\n") && done(&text) {
            return text.into_owned();
        }
    }
}

/// Everything up to the IMAP tagged response of `tag`.
pub async fn read_tagged<S: tokio::io::AsyncRead + Unpin>(stream: &mut S, tag: &str) -> String {
    let prefix = format!("{tag} ");
    read_until(stream, |text| text.lines().any(|l| l.starts_with(&prefix))).await
}

/// One whole SMTP reply (its last line has a space after the code).
pub async fn read_smtp_reply<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> String {
    read_until(stream, |text| text.lines().last().is_some_and(|l| l.len() >= 4 && l.as_bytes()[3] == b' ')).await
}

/// Sends one command line.
pub async fn send_line<S: tokio::io::AsyncWrite + Unpin>(stream: &mut S, line: &str) {
    stream.write_all(format!("{line}\r\n").as_bytes()).await.expect("write");
}

/// A TLS client over `tcp` that trusts the test CA only, checking `host`'s certificate.
pub async fn tls_client(ca: &Path, host: &str, tcp: TcpStream) -> tokio_rustls::client::TlsStream<TcpStream> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut std::fs::read(ca).expect("CA file").as_slice()) {
        roots.add(cert.expect("CA certificate")).expect("CA certificate");
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_string()).expect("server name");
    tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.expect("TLS handshake")
}

/// Flags of message `uid` in `mailbox`, as the server has them.
pub async fn flags_of(imap: &mut Imap, mailbox: &str, uid: u32) -> Vec<String> {
    imap.select(mailbox).await.expect("select");
    let fetches: Vec<_> = imap
        .uid_fetch(uid.to_string(), "FLAGS")
        .await
        .expect("fetch")
        .try_collect()
        .await
        .expect("fetch stream");
    fetches.iter().flat_map(|f| f.flags().map(|fl| format!("{fl:?}"))).collect()
}

/// The authenticator secret a Security set-up page shows as text (base32, in groups).
#[allow(dead_code)]
pub fn totp_secret_of(body: &str) -> Vec<u8> {
    let text = body.split("<code class=\"secret\">").nth(1).and_then(|s| s.split('<').next()).expect("the secret as text");
    let (mut out, mut buffer, mut bits) = (Vec::new(), 0u32, 0u32);
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        buffer = (buffer << 5) | "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".find(c).expect("base32") as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// Sets up an authenticator app from Settings → Security, as a user does with their phone:
/// the secret, and the page that turned it on (with the recovery codes, if any).
#[allow(dead_code)]
pub async fn turn_on_app(b: &Browser) -> (Vec<u8>, Page) {
    let page = b.get("/settings/security").await;
    let setup = b.post("/settings/security", &[("csrf", &csrf(&page.body)), ("op", "totp-start")]).await;
    let secret = totp_secret_of(&setup.body);
    let now = facteur::two_step::code_at(&secret, facteur::clock::unix_secs() as u64).unwrap();
    let on = b.post("/settings/security", &[("csrf", &csrf(&setup.body)), ("op", "totp-confirm"), ("code", &now)]).await;
    assert!(on.body.contains("Two-step sign-in is on"), "{}", on.body);
    (secret, on)
}

/// Submits `raw` from `from` (logged in as them) to `to` through the shared Postfix.
#[allow(dead_code)]
pub async fn submit_raw(from: &TestUser, to: &str, raw: &str) {
    use lettre::AsyncTransport;
    let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(dovecot().submission_port)
        .credentials(lettre::transport::smtp::authentication::Credentials::new(from.name.clone(), from.password.clone()))
        .build();
    let envelope = lettre::address::Envelope::new(Some(from.name.parse().unwrap()), vec![to.parse().unwrap()]).unwrap();
    transport.send_raw(&envelope, raw.as_bytes()).await.expect("submitted");
}

/// Appends one message; returns its UID and the mailbox's UIDVALIDITY.
pub async fn append(imap: &mut Imap, mailbox: &str, raw: &[u8]) -> (u32, u32) {
    imap.append(mailbox, None, None, raw).await.expect("append");
    let mb = imap.select(mailbox).await.expect("select");
    let uid = match mb.uid_next {
        Some(next) => next - 1,
        // Courier-IMAP sends no UIDNEXT on SELECT of a folder it has just created.
        None => imap.uid_search("ALL").await.expect("search").into_iter().max().expect("the appended message"),
    };
    (uid, mb.uid_validity.expect("UIDVALIDITY"))
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(root().join("tests/fixtures").join(name)).expect("fixture")
}

/// A generated message with a numbered subject.
pub fn numbered_message(i: usize) -> Vec<u8> {
    format!(
        "From: Sender {i} <sender{i}@example.org>\r\nTo: someone@example.test\r\nSubject: Message number {i:05}\r\n\
         Date: Mon, 2 Mar 2026 10:{:02}:{:02} +0000\r\nMessage-ID: <n{i}@example.org>\r\n\r\nBody of message {i}.\r\n",
        (i / 60) % 60,
        i % 60
    )
    .into_bytes()
}

// ---------------------------------------------------------------- Facteur

pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub state: AppState,
    pub data_dir: tempfile::TempDir,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// A private PostgreSQL on loopback, started once per test binary when a test needs it.
pub struct Postgres {
    /// The cluster's directory (`scripts/postgres.sh stop DIR` and `start DIR PORT`: the load
    /// generator restarts it).
    #[allow(dead_code)]
    pub dir: PathBuf,
    pub port: u16,
    /// The server's URL (database `postgres`).
    pub url: String,
}

static POSTGRES: OnceLock<Postgres> = OnceLock::new();

/// The secret key every instance of a PostgreSQL-backed test shares.
pub const SHARED_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// Whether this run puts every Facteur on PostgreSQL (`FACTEUR_TEST_DATABASE=postgres`).
pub fn on_postgres() -> bool {
    std::env::var("FACTEUR_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

pub fn postgres() -> &'static Postgres {
    POSTGRES.get_or_init(|| {
        let dir = tempfile::Builder::new().prefix("fxp.").tempdir_in("/tmp").expect("temp dir").keep();
        let port = free_port();
        let script = root().join("scripts/postgres.sh");
        let out = Command::new("bash")
            .arg(&script)
            .args(["start", dir.to_str().unwrap_or_default(), &port.to_string()])
            .output()
            .expect("run postgres.sh");
        assert!(
            out.status.success(),
            "PostgreSQL did not start: the scale-out tests need a real server \
             (apt-get install postgresql, or run .ci/run):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let url = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let _ = Command::new("bash")
            .arg("-c")
            .arg(format!(
                "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; bash {script} stop {dir} >/dev/null 2>&1; rm -rf {dir}",
                pid = std::process::id(),
                script = script.display(),
                dir = dir.display()
            ))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        Postgres { dir, port, url }
    })
}

impl Postgres {
    /// The URL of database `name`, created if it does not exist yet.
    pub fn database(&self, name: &str) -> String {
        assert!(name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
        let out = Command::new("psql")
            .args([self.url.as_str(), "-v", "ON_ERROR_STOP=1", "-qc", &format!("CREATE DATABASE {name}")])
            .output()
            .expect("psql (Debian package postgresql-client)");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() || err.contains("already exists"), "CREATE DATABASE {name}: {err}");
        format!("postgres://facteur@127.0.0.1:{}/{name}", self.port)
    }

    /// One database per data directory, so that a restarted Facteur finds its data again.
    pub fn database_for(&self, data_dir: &Path) -> String {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(data_dir.display().to_string().as_bytes());
        let name: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
        self.database(&format!("fx_{name}"))
    }
}

pub fn test_env(data_dir: &Path, imap_port: u16) -> HashMap<String, String> {
    let mut env = HashMap::new();
    if on_postgres() {
        env.insert("FACTEUR_DATABASE_URL".into(), postgres().database_for(data_dir));
        env.insert("FACTEUR_SECRET_KEY".into(), SHARED_KEY.into());
    }
    env.insert("FACTEUR_LISTEN".into(), "127.0.0.1:0".into());
    env.insert("FACTEUR_DATA_DIR".into(), data_dir.display().to_string());
    env.insert("FACTEUR_IMAP_HOST".into(), "127.0.0.1".into());
    env.insert("FACTEUR_IMAP_PORT".into(), imap_port.to_string());
    env.insert("FACTEUR_IMAP_SECURITY".into(), "plain".into());
    env.insert("FACTEUR_COOKIE_SECURE".into(), "false".into());
    env.insert("FACTEUR_IMAP_CONNECT_TIMEOUT_SECONDS".into(), "3".into());
    env.insert("FACTEUR_IMAP_COMMAND_TIMEOUT_SECONDS".into(), "20".into());
    env.insert("FACTEUR_SMTP_HOST".into(), "127.0.0.1".into());
    env.insert("FACTEUR_SMTP_SECURITY".into(), "plain".into());
    env.insert("FACTEUR_SMTP_TIMEOUT_SECONDS".into(), "10".into());
    // New-mail notifications on, with a push service on loopback (plain HTTP).
    env.insert("FACTEUR_PUSH_DOVECOT_SECRET".into(), PUSH_SECRET.into());
    env.insert("FACTEUR_PUSH_ALLOW_HTTP".into(), "true".into());
    // Sent messages go at once, as most tests expect; the outbox's own tests turn it on.
    env.insert("FACTEUR_OUTBOX_ENABLED".into(), "false".into());
    if let Some(d) = DOVECOT.get() {
        env.insert("FACTEUR_SMTP_PORT".into(), d.submission_port.to_string());
        env.insert("FACTEUR_SIEVE_HOST".into(), "127.0.0.1".into());
        env.insert("FACTEUR_SIEVE_PORT".into(), d.sieve_port.to_string());
        env.insert("FACTEUR_SIEVE_SECURITY".into(), "plain".into());
    }
    env
}

impl TestApp {
    /// Facteur against another IMAP server (plain, on loopback) and submission port.
    pub async fn start_on(imap_port: u16, submission_port: u16) -> Self {
        Self::start_with(
            |_| {},
            |env| {
                env.insert("FACTEUR_IMAP_PORT".into(), imap_port.to_string());
                env.insert("FACTEUR_SMTP_PORT".into(), submission_port.to_string());
                // These servers have no ManageSieve: nothing listens there.
                env.insert("FACTEUR_SIEVE_PORT".into(), "1".into());
            },
        )
        .await
    }

    /// Facteur against the shared Dovecot over plain IMAP on loopback.
    pub async fn start() -> Self {
        let d = dovecot();
        Self::start_with(|_| {}, |env| drop(env.insert("FACTEUR_IMAP_PORT".into(), d.imap_port.to_string()))).await
    }

    /// Facteur with changes to its environment and then to the built configuration.
    pub async fn start_with(
        tweak_config: impl FnOnce(&mut Config),
        tweak_env: impl FnOnce(&mut HashMap<String, String>),
    ) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(data_dir, tweak_config, tweak_env).await
    }

    pub async fn start_in(
        data_dir: tempfile::TempDir,
        tweak_config: impl FnOnce(&mut Config),
        tweak_env: impl FnOnce(&mut HashMap<String, String>),
    ) -> Self {
        let mut env = test_env(data_dir.path(), dovecot().imap_port);
        tweak_env(&mut env);
        let mut config = Config::from_sources(None, &env).expect("test config");
        tweak_config(&mut config);
        let app = Application::build(config).await.expect("Facteur starts");
        let addr = app.local_addr().expect("address");
        let state = app.state.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = app
                .run_until(async move {
                    let _ = rx.await;
                })
                .await;
        });
        Self { addr, state, data_dir, stop: Some(tx), task: Some(task) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Another instance beside this one, as a hoster scales out: the same database and the
    /// same server key.
    pub async fn beside(&self) -> TestApp {
        let url = self.state.config.database_url.clone();
        let key = std::fs::read_to_string(self.data_dir.path().join("secret.key")).ok();
        TestApp::start_with(
            |_| {},
            |env| {
                env.insert("FACTEUR_DATABASE_URL".into(), url);
                if let Some(key) = key {
                    // The key this one made itself (on PostgreSQL it is set already).
                    env.insert("FACTEUR_SECRET_KEY".into(), key.trim().to_string());
                }
            },
        )
        .await
    }

    /// Stops serving and logs out of every IMAP session; returns the data directory.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        std::mem::replace(&mut self.data_dir, dir)
    }
}

/// A browser-like HTTP client with its own cookie jar. Redirects are not followed, so tests
/// can see them; [`Browser::get`] follows them by hand.
pub struct Browser {
    pub http: reqwest::Client,
    pub jar: Arc<reqwest::cookie::Jar>,
    base: String,
    lang: String,
    /// The loopback address it connects from, its own: Facteur passes it to Dovecot, whose
    /// auth penalty (on, as by default) then slows only the browser that typed a wrong
    /// password, as it would for people at different addresses.
    pub address: std::net::IpAddr,
}

/// A loopback address of its own for each browser (127.64.0.1, 127.64.0.2, …).
fn next_address() -> std::net::IpAddr {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 64, (n >> 8) as u8, (n & 0xff) as u8))
}

pub struct Page {
    pub status: u16,
    pub url: String,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self::with_lang(app, "en")
    }

    pub fn with_lang(app: &TestApp, lang: &str) -> Self {
        Self::for_base(app.url(""), lang)
    }

    /// A client for a Facteur at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn for_base(base: String, lang: &str) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let address = next_address();
        Self { http: client(&jar, address), jar, base, lang: lang.to_string(), address }
    }

    /// Another client with the same cookies, for a Facteur at `base` (cookies do not depend
    /// on the port): the same person behind a load balancer that picked another instance.
    pub fn sharing(&self, base: String) -> Self {
        Self { http: client(&self.jar, self.address), jar: self.jar.clone(), base, lang: self.lang.clone(), address: self.address }
    }

    /// Another browser (cookies of its own) at the same address, as on one home network.
    pub fn neighbour(&self) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        Self { http: client(&jar, self.address), jar, base: self.base.clone(), lang: self.lang.clone(), address: self.address }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn url(&self, path: &str) -> String {
        self.abs(path)
    }

    fn abs(&self, path: &str) -> String {
        if path.starts_with("http") { path.to_string() } else { format!("{}{}", self.base, path) }
    }

    async fn finish(&self, mut res: reqwest::Response, mut url: String) -> Page {
        for _ in 0..5 {
            if !res.status().is_redirection() {
                break;
            }
            let loc = res.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or("/").to_string();
            url = self.abs(&loc);
            res = self.raw_get(&url).await;
        }
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.text().await.unwrap_or_default();
        Page { status, url, body, headers }
    }

    pub async fn raw_get(&self, url: &str) -> reqwest::Response {
        self.http
            .get(self.abs(url))
            .header("accept-language", &self.lang)
            .send()
            .await
            .expect("GET")
    }

    /// GET, following redirects.
    pub async fn get(&self, path: &str) -> Page {
        let url = self.abs(path);
        let res = self.raw_get(&url).await;
        self.finish(res, url).await
    }

    pub async fn raw_post(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.abs(path))
            .header("accept-language", &self.lang)
            .form(form)
            .send()
            .await
            .expect("POST")
    }

    /// POST JSON as the pages' scripts do, with the page's token in `x-csrf-token`.
    pub async fn post_json(&self, path: &str, token: &str, json: &serde_json::Value) -> reqwest::Response {
        self.http
            .post(self.abs(path))
            .header("accept-language", &self.lang)
            .header("x-csrf-token", token)
            .header("content-type", "application/json")
            .body(json.to_string())
            .send()
            .await
            .expect("POST")
    }

    /// POST a form, following redirects.
    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let res = self.raw_post(path, form).await;
        let url = self.abs(path);
        self.finish(res, url).await
    }

    /// Opens the login page and submits it (with its token), as a person would.
    pub async fn login_attempt(&self, username: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        let token = csrf(&form.body);
        self.post("/login", &[("csrf", &token), ("username", username), ("password", password)]).await
    }

    /// Logs in and returns the page that follows (the inbox).
    pub async fn login(&self, user: &TestUser) -> Page {
        let page = self.login_attempt(&user.name, &user.password).await;
        assert_eq!(page.status, 200, "login failed: {}", page.body);
        assert!(page.url.contains("/f/INBOX"), "login did not land in the inbox: {}", page.url);
        page
    }
}

/// A client with `jar` that does not follow redirects.
fn client(jar: &Arc<reqwest::cookie::Jar>, address: std::net::IpAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .local_address(address)
        .redirect(reqwest::redirect::Policy::none())
        // Per read, not per request: event streams stay open as long as a tab would.
        .read_timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .expect("http client")
}

/// The CSRF token of the current page's forms.
pub fn csrf(body: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = body.find(marker).expect("a CSRF field") + marker.len();
    body[start..].split('"').next().unwrap_or_default().to_string()
}

/// All `href="…"` values of a page that start with `prefix`.
pub fn links(body: &str, prefix: &str) -> Vec<String> {
    body.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|h| h.starts_with(prefix))
        .map(|h| h.replace("&amp;", "&").replace("&#38;", "&"))
        .collect()
}

/// Polls `check` until it is true or `limit` passes.
pub async fn eventually<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `user`'s IMAP connections on the Dovecot of `dir`, as `doveadm who` lists them: the
/// process holding each one and its title (`imap [user 127.0.0.1 IDLE]`, or
/// `imap-hibernate [3 connections]` for a hibernated one).
pub fn who(dir: &Path, user: &str) -> Vec<(u32, String)> {
    let out = Command::new("doveadm")
        .args(["-c", &dir.join("dovecot.conf").display().to_string(), "who", "-1", user])
        .output()
        .expect("doveadm who");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| match l.split_whitespace().collect::<Vec<_>>()[..] {
            [name, "imap", pid, ..] if name == user => pid.parse().ok(),
            _ => None,
        })
        .map(|pid: u32| {
            let title = std::fs::read(format!("/proc/{pid}/cmdline")).map(|c| String::from_utf8_lossy(&c).into_owned()).unwrap_or_default();
            (pid, title)
        })
        .collect()
}

/// `user`'s connections on the Dovecot of `dir`: (in an `imap` process, hibernated).
pub fn hibernation(dir: &Path, user: &str) -> (usize, usize) {
    let all = who(dir, user);
    let hibernated = all.iter().filter(|(_, title)| title.contains("imap-hibernate")).count();
    (all.len() - hibernated, hibernated)
}

/// What a [`relay`] does with what a client sent.
pub enum Relayed {
    /// Passes it on.
    Pass,
    /// Passes it on, and from then on drops the server's answers (a connection that stalls).
    MuteAnswers,
    /// Closes both ways at once, this unsent (a server killed, a proxy losing its backend).
    Cut,
}

/// A TCP relay on loopback to the port `upstream`: each connection gets a watch from
/// `watcher`, which sees what the client sends and says what becomes of it.
pub async fn relay<W>(upstream: u16, watcher: impl Fn() -> W + Send + Sync + 'static) -> u16
where
    W: FnMut(&[u8]) -> Relayed + Send + 'static,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((down, _)) = listener.accept().await {
            let mut watch = watcher();
            tokio::spawn(async move {
                let up = TcpStream::connect(("127.0.0.1", upstream)).await.unwrap();
                let (mut dr, mut dw) = down.into_split();
                let (mut ur, mut uw) = up.into_split();
                let muted = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let mute = muted.clone();
                let back = tokio::spawn(async move {
                    let mut buf = vec![0u8; 65536];
                    while let Ok(n) = ur.read(&mut buf).await {
                        if n == 0 || (!mute.load(Ordering::SeqCst) && dw.write_all(&buf[..n]).await.is_err()) {
                            break;
                        }
                    }
                });
                let mut buf = vec![0u8; 65536];
                while let Ok(n) = dr.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    match watch(&buf[..n]) {
                        Relayed::Cut => break,
                        Relayed::MuteAnswers => muted.store(true, Ordering::SeqCst),
                        Relayed::Pass => {}
                    }
                    if uw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
                back.abort();
            });
        }
    });
    port
}
