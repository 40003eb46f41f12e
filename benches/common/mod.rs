//! What both benchmarks share: Facteur (the release build) in a process of its own.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::harness::{Dovecot, eventually, free_port, test_env};

pub struct Facteur {
    pub child: Child,
    pub base: String,
    _data: tempfile::TempDir,
}

impl Facteur {
    /// Starts `facteur serve` against `d` with a fresh data directory, with room for thousands
    /// of connections. FACTEUR_BENCH_LOG (a RUST_LOG filter) and FACTEUR_BENCH_LOG_FILE (where
    /// its log goes) help when a run misbehaves; FACTEUR_BENCH_BIN runs another build of
    /// Facteur (e.g. an older release, to compare).
    pub async fn start(d: &Dovecot) -> Self {
        Self::start_with(d, &[]).await
    }

    /// The same with extra (or replaced) environment variables.
    pub async fn start_with(d: &Dovecot, extra: &[(&str, String)]) -> Self {
        let port = free_port();
        let data = tempfile::tempdir().unwrap();
        let child = Command::new("sh")
            .arg("-c")
            .arg("ulimit -n 16384 && exec \"$0\" serve")
            .arg(std::env::var("FACTEUR_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_facteur").to_string()))
            .env_clear()
            .envs(test_env(data.path(), d.imap_port))
            .env("FACTEUR_LISTEN", format!("127.0.0.1:{port}"))
            .envs(extra.iter().map(|(k, v)| (k.to_string(), v.clone())))
            .env("RUST_LOG", std::env::var("FACTEUR_BENCH_LOG").unwrap_or_else(|_| "warn".into()))
            .env(
                "FACTEUR_IMAP_STATUS_POLL_SECONDS",
                std::env::var("FACTEUR_IMAP_STATUS_POLL_SECONDS").unwrap_or_else(|_| "60".into()),
            )
            .stderr(Stdio::inherit())
            .stdout(match std::env::var("FACTEUR_BENCH_LOG_FILE") {
                Ok(f) => Stdio::from(std::fs::File::create(f).unwrap()),
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
        Self { child, base: format!("http://127.0.0.1:{port}"), _data: data }
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
