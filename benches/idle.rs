//! What idle users cost the mail server, against a real Dovecot that hibernates connections
//! idling for 3 s (the test servers' setting).
//!
//!     cargo bench --bench idle     (FACTEUR_BENCH_USERS, FACTEUR_BENCH_IDLE_SECONDS, FACTEUR_BENCH_ROUNDS)
//!
//! With FACTEUR_BENCH_BIN, another build of Facteur (an older release) is measured the same way.
//!
//! 1. Users signed in with a tab open, idle: Dovecot's memory per user (proportional set size of
//!    its `imap` and `imap-hibernate` processes, the idle server's subtracted) and Facteur's.
//! 2. The first click after idling against a warm click, p50/p95.
//! 3. Live updates after idling: the folder shown (against a raw client idling on Dovecot, also
//!    hibernated), and another folder while the user is active.
//!
//! Figures, not assertions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../tests/it/harness.rs"]
mod harness;
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Stream, ms};
use harness::*;

/// Dovecot's `imap` and `imap-hibernate` processes of the instance in `dir`: (their summed
/// proportional set size in KiB, how many `imap` processes).
fn dovecot_memory(dir: &std::path::Path) -> (u64, usize) {
    let conf = std::fs::read_to_string(dir.join("dovecot.conf")).unwrap_or_default();
    let instance = conf.lines().find_map(|l| l.strip_prefix("instance_name = ")).unwrap_or_default().trim().to_string();
    let (imap, hibernate) = (format!("dovecot-{instance}/imap"), format!("dovecot-{instance}/imap-hibernate"));
    let (mut pss, mut processes) = (0, 0);
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let title = std::fs::read(format!("/proc/{pid}/cmdline")).map(|c| String::from_utf8_lossy(&c).trim_end_matches('\0').to_string()).unwrap_or_default();
        // `imap` waiting for a connection, or `imap [user address command]`.
        let is_imap = title == imap || title.starts_with(&format!("{imap} "));
        if !is_imap && !title.starts_with(&hibernate) {
            continue;
        }
        processes += usize::from(is_imap);
        let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        pss += rollup.lines().find(|l| l.starts_with("Pss:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok()).unwrap_or(0);
    }
    (pss, processes)
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("idle benchmark: run it with `cargo bench --bench idle`");
        return;
    }
    let _ = Command::new("prlimit").args(["--pid", &std::process::id().to_string(), "--nofile=16384:16384"]).status();
    let users = common::env_usize("FACTEUR_BENCH_USERS", 200);
    let idle = Duration::from_secs(common::env_usize("FACTEUR_BENCH_IDLE_SECONDS", 60) as u64);
    let rounds = common::env_usize("FACTEUR_BENCH_ROUNDS", 10);
    let d = dovecot();
    let facteur = common::Facteur::start(d).await;
    let base = facteur.base.clone();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (dovecot_before, _) = dovecot_memory(&d.dir);
    let facteur_before = facteur.rss_kib();

    // 1. Users with a tab open, then left alone.
    let names: Vec<(String, String)> = (1..=users).map(|i| (format!("idle{i}@{DOMAIN}"), format!("idle-pw-{i}"))).collect();
    d.add_users(&names);
    let mut tabs = Vec::new();
    for (n, p) in &names {
        let u = TestUser::new(n, p, d.imap_port);
        let b = Browser::for_base(base.clone(), "en");
        b.login(&u).await;
        let mut s = Stream::open(&b).await;
        s.wait("counts", Duration::from_secs(30)).await.expect("watcher up");
        tabs.push((u, b, s));
    }
    println!("{users} users signed in, each with a tab open on the inbox; idle for {} s", idle.as_secs());
    tokio::time::sleep(idle).await;
    let (dovecot_after, processes) = dovecot_memory(&d.dir);
    let hibernated: usize = names.iter().take(20).map(|(n, _)| hibernation(&d.dir, n).1).sum();
    let facteur_after = facteur.rss_kib();
    println!(
        "Dovecot: {dovecot_before} KiB before, {dovecot_after} KiB after: {:.0} KiB per idle user; {processes} imap processes; of the first 20 users' connections, {hibernated} hibernated",
        dovecot_after.saturating_sub(dovecot_before) as f64 / users as f64
    );
    println!(
        "Facteur: {facteur_before} KiB before, {facteur_after} KiB after: {:.0} KiB per idle user",
        facteur_after.saturating_sub(facteur_before) as f64 / users as f64
    );

    // 2. The first click after idling, then a warm one, user after user.
    let (mut first, mut warm) = (Vec::new(), Vec::new());
    for (_, b, _) in tabs.iter().take(100) {
        for into in [&mut first, &mut warm] {
            let t = Instant::now();
            let page = b.get("/f/INBOX").await;
            into.push(t.elapsed());
            assert_eq!(page.status, 200);
        }
    }
    println!(
        "click on the inbox, ms (n = {}): first after idling p50 {:.1} p95 {:.1}; warm p50 {:.1} p95 {:.1}",
        first.len(),
        ms(&mut first, 50),
        ms(&mut first, 95),
        ms(&mut warm, 50),
        ms(&mut warm, 95)
    );

    // 3. Live updates. One user's tab, the others closed.
    let (user, b, mut stream) = tabs.swap_remove(0);
    drop(tabs);
    let mut other = user.imap().await;
    make_folder(&mut other, "Projects").await.unwrap();
    // The tab learns of the new folder first (its changes are told once it is known).
    assert_eq!(b.get("/f/INBOX").await.status, 200);
    stream.wait_for("event: counts", Duration::from_secs(10)).await;
    stream.drain(Duration::from_secs(1)).await;
    // Another folder, while the user is active: a click just before each change.
    let mut elsewhere = Vec::new();
    for i in 0..rounds {
        assert_eq!(b.get("/f/INBOX").await.status, 200);
        stream.drain(Duration::from_millis(300)).await;
        let t = Instant::now();
        other.append("Projects", None, None, &numbered_message(20_000 + i)).await.unwrap();
        if stream.wait_for("{\"folder\":\"Projects\"}", Duration::from_secs(30)).await.is_some() {
            elsewhere.push(t.elapsed());
        }
    }
    println!("another folder's change to the event, user active, ms (n = {}): p50 {:.1} p95 {:.1}", elsewhere.len(), ms(&mut elsewhere, 50), ms(&mut elsewhere, 95));
    println!("  (once the user is quiet, other folders are looked at every {} s)", facteur::mail::imap::watch::QUIET_POLL.as_secs());
    // The folder shown, after idling: each change waits until Dovecot has hibernated both
    // connections again (at most 60 s: a build that never lets it is measured all the same).
    let mut shown = Vec::new();
    let mut asleep = 0;
    other.logout().await.unwrap();
    for i in 0..rounds {
        let parked = eventually(Duration::from_secs(60), || async { hibernation(&d.dir, &user.name) == (0, 2) }).await;
        asleep += usize::from(parked);
        let mut other = user.imap().await;
        let t = Instant::now();
        other.append("INBOX", None, None, &numbered_message(30_000 + i)).await.unwrap();
        let got = stream.wait_for("{\"folder\":\"INBOX\"}", Duration::from_secs(30)).await;
        let took = t.elapsed();
        other.logout().await.unwrap();
        if got.is_some() {
            shown.push(took);
        }
        stream.drain(Duration::from_millis(300)).await;
    }
    println!(
        "the folder shown, new mail to the event after idling, ms (n = {}, {asleep} with both connections hibernated): p50 {:.1} p95 {:.1}",
        shown.len(),
        ms(&mut shown, 50),
        ms(&mut shown, 95)
    );
    // Dovecot alone: a raw client idling long enough to be hibernated.
    let mut direct = Vec::new();
    let mut watcher = user.imap().await;
    watcher.select("INBOX").await.unwrap();
    for i in 0..rounds {
        let mut handle = watcher.idle();
        handle.init().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        let (wait, _stop) = handle.wait_with_timeout(Duration::from_secs(30));
        let mut other = user.imap().await;
        let t = Instant::now();
        other.append("INBOX", None, None, &numbered_message(40_000 + i)).await.unwrap();
        let r = wait.await.unwrap();
        direct.push(t.elapsed());
        assert!(matches!(r, async_imap::extensions::idle::IdleResponse::NewData(_)));
        other.logout().await.unwrap();
        watcher = handle.done().await.unwrap();
        while watcher.unsolicited_responses.try_recv().is_ok() {}
    }
    println!("  Dovecot alone (a raw client in IDLE for 5 s, hibernated): p50 {:.1} p95 {:.1} (n = {})", ms(&mut direct, 50), ms(&mut direct, 95), direct.len());
    drop(stream);
    drop(facteur);
}
