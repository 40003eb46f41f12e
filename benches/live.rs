//! Live-update benchmark against a real Dovecot.
//!
//!     cargo bench --bench live          (FACTEUR_BENCH_CHANGES, FACTEUR_BENCH_WATCHERS to scale)
//!
//! 1. Latency from an APPEND or a STORE by another IMAP client to the `changed` event reaching
//!    an open event stream, p50/p95.
//! 2. Facteur's resident memory and CPU with many users each watching their inbox (IDLE), while
//!    nothing changes. Figures, not assertions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../tests/it/harness.rs"]
mod harness;
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use harness::*;

use common::{Stream, ms};

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("live benchmark: run it with `cargo bench --bench live`");
        return;
    }
    // Hundreds of HTTP streams here too: raise this process's open-file limit.
    let _ = Command::new("prlimit").args(["--pid", &std::process::id().to_string(), "--nofile=16384:16384"]).status();
    let changes = common::env_usize("FACTEUR_BENCH_CHANGES", 200);
    let watchers = common::env_usize("FACTEUR_BENCH_WATCHERS", 500);
    let d = dovecot();
    let user = d.user();

    // A panic anywhere still stops it (Drop).
    let facteur = common::Facteur::start(d).await;
    let pid = facteur.pid();
    let base = facteur.base.clone();

    // 1. Latency.
    let b = Browser::for_base(base.clone(), "en");
    b.login(&user).await;
    let mut stream = Stream::open(&b).await;
    stream.wait("counts", Duration::from_secs(10)).await.expect("watcher up");
    let mut imap = user.imap().await;
    imap.select("INBOX").await.unwrap();
    let mut appends = Vec::new();
    let mut stores = Vec::new();
    for i in 0..changes {
        let t = Instant::now();
        if i % 2 == 0 {
            imap.append("INBOX", None, None, &numbered_message(i)).await.unwrap();
        } else {
            let flag = if i % 4 == 1 { "+FLAGS.SILENT (\\Flagged)" } else { "-FLAGS.SILENT (\\Flagged)" };
            let _: Vec<_> = imap.store("1", flag).await.unwrap().try_collect().await.unwrap();
        }
        if stream.wait("changed", Duration::from_secs(10)).await.is_none() {
            panic!(
                "no changed event for change {i} ({}); the stream said: {:?}",
                if i % 2 == 0 { "APPEND" } else { "STORE" },
                stream.buf
            );
        }
        let took = t.elapsed();
        if i % 2 == 0 { appends.push(took) } else { stores.push(took) }
        // The counts and the second `changed` of the same change.
        stream.drain(Duration::from_millis(120)).await;
    }
    let mut all: Vec<Duration> = appends.iter().chain(stores.iter()).copied().collect();
    println!("latency from another client's change to the event, ms (n = {changes}):");
    println!("  APPEND  p50 {:>7.1}  p95 {:>7.1}", ms(&mut appends, 50), ms(&mut appends, 95));
    println!("  STORE   p50 {:>7.1}  p95 {:>7.1}", ms(&mut stores, 50), ms(&mut stores, 95));
    println!("  all     p50 {:>7.1}  p95 {:>7.1}", ms(&mut all, 50), ms(&mut all, 95));
    drop(stream);

    // The same for a client IDLE-ing on Dovecot directly: the server's own share.
    let mut watcher = user.imap().await;
    watcher.select("INBOX").await.unwrap();
    let mut direct = Vec::new();
    for i in 0..(changes / 5).max(10) {
        let mut handle = watcher.idle();
        handle.init().await.unwrap();
        let (wait, _stop) = handle.wait_with_timeout(Duration::from_secs(10));
        let t = Instant::now();
        imap.append("INBOX", None, None, &numbered_message(10_000 + i)).await.unwrap();
        let r = wait.await.unwrap();
        direct.push(t.elapsed());
        assert!(matches!(r, async_imap::extensions::idle::IdleResponse::NewData(_)));
        watcher = handle.done().await.unwrap();
        while watcher.unsolicited_responses.try_recv().is_ok() {}
    }
    println!("  Dovecot alone (IDLE on a raw connection, APPEND by another): p50 {:>7.1}  p95 {:>7.1}  (n = {})", ms(&mut direct, 50), ms(&mut direct, 95), direct.len());

    // 2. Many idle watchers.
    let before = facteur.rss_kib();
    let names: Vec<(String, String)> = (1..=watchers).map(|i| (format!("watch{i}@{DOMAIN}"), format!("watch-pw-{i}"))).collect();
    d.add_users(&names);
    let mut tabs = Vec::new();
    let started = Instant::now();
    for (n, p) in &names {
        let u = TestUser::new(n, p, d.imap_port);
        let br = Browser::for_base(base.clone(), "en");
        br.login(&u).await;
        let mut s = Stream::open(&br).await;
        s.wait("counts", Duration::from_secs(30)).await.expect("watcher up");
        tabs.push((br, s));
    }
    println!();
    println!("{watchers} users logged in, each with a tab watching the inbox, in {:.1} s", started.elapsed().as_secs_f64());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = facteur.rss_kib();
    let c0 = common::cpu_ms(pid);
    let window = Duration::from_secs(20);
    tokio::time::sleep(window).await;
    let c1 = common::cpu_ms(pid);
    println!(
        "memory: {before} KiB before, {after} KiB after: {:.0} KiB per watching user (two IMAP connections, one event stream)",
        after.saturating_sub(before) as f64 / watchers as f64
    );
    println!(
        "CPU while nothing changes: {:.1} ms of CPU over {} s ({} ticks)",
        (c1 - c0) as f64,
        window.as_secs(),
        (c1 - c0) / 10
    );
    println!("IMAP connections of the first watching user: {}", d.connections(&names[0].0));
    drop(tabs);
    drop(facteur);
}
