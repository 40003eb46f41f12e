//! What both benchmarks share: Facteur (the release build) in a process of its own.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use futures_util::StreamExt;

use crate::harness::{Browser, Dovecot, eventually, free_port, test_env};

pub struct Facteur {
    pub child: Child,
    #[allow(dead_code)]
    pub base: String,
    port: u16,
    env: Vec<(String, String)>,
    _data: tempfile::TempDir,
}

impl Facteur {
    /// Starts `facteur serve` against `d` with a fresh data directory, with room for thousands
    /// of connections. FACTEUR_BENCH_LOG (a RUST_LOG filter) and FACTEUR_BENCH_LOG_FILE (where
    /// its log goes) help when a run misbehaves; FACTEUR_BENCH_BIN runs another build of
    /// Facteur (e.g. an older release, to compare).
    #[allow(dead_code)]
    pub async fn start(d: &Dovecot) -> Self {
        Self::start_with(d, &[]).await
    }

    /// The same with extra (or replaced) environment variables.
    pub async fn start_with(d: &Dovecot, extra: &[(&str, String)]) -> Self {
        Self::start_on(d, free_port(), extra).await
    }

    /// The same on a given port.
    pub async fn start_on(d: &Dovecot, port: u16, extra: &[(&str, String)]) -> Self {
        let data = tempfile::tempdir().unwrap();
        let mut env: Vec<(String, String)> = test_env(data.path(), d.imap_port).into_iter().collect();
        env.push(("FACTEUR_LISTEN".into(), format!("127.0.0.1:{port}")));
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
        env.push(("RUST_LOG".into(), std::env::var("FACTEUR_BENCH_LOG").unwrap_or_else(|_| "warn".into())));
        env.push((
            "FACTEUR_IMAP_STATUS_POLL_SECONDS".into(),
            std::env::var("FACTEUR_IMAP_STATUS_POLL_SECONDS").unwrap_or_else(|_| "60".into()),
        ));
        let child = Self::spawn(&env, port).await;
        Self { child, base: format!("http://127.0.0.1:{port}"), port, env, _data: data }
    }

    async fn spawn(env: &[(String, String)], port: u16) -> Child {
        let child = Command::new("sh")
            .arg("-c")
            .arg("ulimit -n 16384 && exec \"$0\" serve")
            .arg(std::env::var("FACTEUR_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_facteur").to_string()))
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stderr(Stdio::inherit())
            .stdout(match std::env::var("FACTEUR_BENCH_LOG_FILE") {
                Ok(f) => Stdio::from(std::fs::OpenOptions::new().create(true).append(true).open(f).unwrap()),
                Err(_) => Stdio::null(),
            })
            .spawn()
            .expect("start facteur");
        assert!(
            eventually(Duration::from_secs(20), || async {
                tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok()
            })
            .await,
            "facteur did not start"
        );
        child
    }

    /// Kills the process with SIGKILL (no goodbye to anyone), as a crash or the OOM killer would.
    #[allow(dead_code)]
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same address, data and settings.
    #[allow(dead_code)]
    pub async fn respawn(&mut self) {
        self.child = Self::spawn(&self.env, self.port).await;
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory, KiB.
    #[allow(dead_code)]
    pub fn rss_kib(&self) -> u64 {
        rss_of(self.pid())
    }
}

/// The `q`th percentile of `v`, in milliseconds.
#[allow(dead_code)]
pub fn ms(v: &mut [Duration], q: usize) -> f64 {
    v.sort();
    v[(v.len() * q / 100).min(v.len() - 1)].as_secs_f64() * 1000.0
}

/// A number from the environment, or `default`.
#[allow(dead_code)]
pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// User + system CPU time of `pid`, in milliseconds (from clock ticks of 10 ms).
#[allow(dead_code)]
pub fn cpu_ms(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = f.get(11).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) + f.get(12).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    ticks * 10
}

/// Resident memory of process `pid`, KiB.
pub fn rss_of(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

impl Drop for Facteur {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first contentful paint of `path`, loaded `rounds` times in headless Chromium after
/// signing in as `user`: (p50, p95, n) in milliseconds, as the browser's Paint Timing reports
/// it. `None` without Chromium and ChromeDriver.
#[allow(dead_code)]
pub async fn first_paints(base: &str, user: &str, password: &str, path: &str, rounds: usize) -> Option<(f64, f64, usize)> {
    use fantoccini::{ClientBuilder, Locator};
    let which = |names: &[&str]| names.iter().find_map(|n| {
        let out = Command::new("sh").arg("-c").arg(format!("command -v {n}")).output().ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    });
    let (chromium, driver) = (which(&["chromium", "chromium-browser"])?, which(&["chromedriver"])?);
    let port = free_port();
    let mut child = Command::new(driver).arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().ok()?;
    let profile = tempfile::tempdir().ok()?;
    eventually(Duration::from_secs(15), || async { tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() }).await;
    let caps = serde_json::json!({ "goog:chromeOptions": { "binary": chromium, "args": [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
        "--window-size=1280,900", format!("--user-data-dir={}", profile.path().display())
    ] } });
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps.as_object().cloned()?)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .ok()?;
    client.goto(&format!("{base}/login")).await.ok()?;
    client.find(Locator::Css("input[name=username]")).await.ok()?.send_keys(user).await.ok()?;
    client.find(Locator::Css("input[name=password]")).await.ok()?.send_keys(password).await.ok()?;
    client.find(Locator::Css("form button[type=submit]")).await.ok()?.click().await.ok()?;
    client.wait().for_element(Locator::Css("ul.messages")).await.ok()?;
    let mut paints = Vec::new();
    for _ in 0..rounds {
        client.goto(&format!("{base}{path}")).await.ok()?;
        let script = "const done = arguments[0];
            const read = () => { const e = performance.getEntriesByName('first-contentful-paint')[0]; if (e) done(e.startTime); else setTimeout(read, 20); };
            read();";
        if let Some(ms) = client.execute_async(script, vec![]).await.ok().and_then(|v| v.as_f64()) {
            paints.push(ms);
        }
    }
    let _ = client.close().await;
    let _ = child.kill();
    let _ = child.wait();
    if paints.is_empty() {
        return None;
    }
    paints.sort_by(f64::total_cmp);
    let at = |q: usize| paints[(paints.len() * q / 100).min(paints.len() - 1)];
    Some((at(50), at(95), paints.len()))
}

/// An open tab's event stream (`/events`), read as it comes.
#[allow(dead_code)]
pub struct Stream {
    inner: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    pub buf: String,
}

#[allow(dead_code)]
impl Stream {
    pub async fn open(b: &Browser) -> Self {
        let res = b.http.get(format!("{}/events?folder=INBOX", b.base())).send().await.unwrap();
        assert_eq!(res.status(), 200);
        Self { inner: Box::pin(res.bytes_stream()), buf: String::new() }
    }

    /// Waits for an event named `name`; `None` after `limit`.
    pub async fn wait(&mut self, name: &str, limit: Duration) -> Option<()> {
        let deadline = tokio::time::Instant::now() + limit;
        let marker = format!("event: {name}\n");
        loop {
            if let Some(i) = self.buf.find(&marker) {
                self.buf.drain(..i + marker.len());
                return Some(());
            }
            let chunk = tokio::time::timeout_at(deadline, self.inner.next()).await.ok()??.ok()?;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Waits until `text` arrives (e.g. `{"folder":"Projects"}`), and forgets what came up to
    /// it; `None` after `limit`.
    pub async fn wait_for(&mut self, text: &str, limit: Duration) -> Option<()> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if let Some(i) = self.buf.find(text) {
                self.buf.drain(..i + text.len());
                return Some(());
            }
            let chunk = tokio::time::timeout_at(deadline, self.inner.next()).await.ok()??.ok()?;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Reads whatever arrives within `d` and forgets it.
    pub async fn drain(&mut self, d: Duration) {
        let deadline = tokio::time::Instant::now() + d;
        while let Ok(Some(Ok(_))) = tokio::time::timeout_at(deadline, self.inner.next()).await {}
        self.buf.clear();
    }
}

/// Polls `check` every 5 ms until it holds or `limit` passes; whether it held.
#[allow(dead_code)]
pub async fn wait_until(limit: Duration, check: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + limit;
    while !check() {
        if std::time::Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    true
}
