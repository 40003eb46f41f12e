//! Scale-out benchmark: Facteur on SQLite against two instances sharing one PostgreSQL, with a
//! real Dovecot, all on loopback.
//!
//!     cargo bench --bench scaleout      (FACTEUR_BENCH_USERS, default 40; FACTEUR_BENCH_N, 200)
//!
//! 1. The list page of a 500-message INBOX (p50/p95) on SQLite and on PostgreSQL.
//! 2. Login to inbox on each.
//! 3. A user logged in on instance A whose next request lands on instance B: B's first request
//!    (it opens an IMAP connection from the sealed credentials) against the following ones.
//! 4. `/metrics` and `/readyz` response times; resident memory of each instance.
//! 5. SIGTERM with every user logged in: time to exit, and IMAP connections left afterwards.
//!
//! Figures, not assertions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../tests/it/harness.rs"]
mod harness;
mod common;

use std::time::{Duration, Instant};

use harness::*;

use common::ms as pct;

fn report(what: &str, v: &mut [Duration]) {
    println!("{what:<58} p50 {:>7.2} ms   p95 {:>7.2} ms   (n={})", pct(v, 50), pct(v, 95), v.len());
}

async fn timed_get(b: &Browser, path: &str) -> Duration {
    let t = Instant::now();
    let page = b.get(path).await;
    assert_eq!(page.status, 200, "{path}");
    t.elapsed()
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("scale-out benchmark: run it with `cargo bench --bench scaleout`");
        return;
    }
    let users_n: usize = std::env::var("FACTEUR_BENCH_USERS").ok().and_then(|v| v.parse().ok()).unwrap_or(40);
    let n: usize = std::env::var("FACTEUR_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let d = dovecot();
    let pg = postgres();
    let users: Vec<TestUser> = (0..users_n).map(|_| d.user()).collect();
    let messages: Vec<Vec<u8>> = (1..=500).map(numbered_message).collect();
    users[0].bulk_append("INBOX", &messages).await;

    let lite = common::Facteur::start(d).await;
    let db = pg.database(&format!("fx_bench_{}", std::process::id()));
    let shared = [("FACTEUR_DATABASE_URL", db.clone()), ("FACTEUR_SECRET_KEY", SHARED_KEY.to_string())];
    let a = common::Facteur::start_with(d, &shared).await;
    let b = common::Facteur::start_with(d, &shared).await;
    println!("PostgreSQL {}; {} users; n={n}", pg.url, users.len());

    // 1 and 2: the same user, warm, on each backend.
    for (name, f) in [("SQLite", &lite), ("PostgreSQL", &a)] {
        let mut logins = Vec::new();
        for _ in 0..20 {
            let br = Browser::for_base(f.base.clone(), "en");
            let t = Instant::now();
            br.login(&users[0]).await;
            logins.push(t.elapsed());
        }
        report(&format!("login to inbox, {name}"), &mut logins);
        let br = Browser::for_base(f.base.clone(), "en");
        br.login(&users[0]).await;
        let mut list = Vec::new();
        for _ in 0..n {
            list.push(timed_get(&br, "/f/INBOX").await);
        }
        report(&format!("list page (500-message INBOX), {name}"), &mut list);
        let mut settings = Vec::new();
        for _ in 0..n {
            settings.push(timed_get(&br, "/settings").await);
        }
        report(&format!("settings page (database reads), {name}"), &mut settings);
    }

    // 3: log in on A, continue on B.
    let mut first_on_b = Vec::new();
    let mut next_on_b = Vec::new();
    let mut browsers = Vec::new();
    for u in &users[1..] {
        let on_a = Browser::for_base(a.base.clone(), "en");
        on_a.login(u).await;
        let on_b = on_a.sharing(b.base.clone());
        first_on_b.push(timed_get(&on_b, "/f/INBOX").await);
        for _ in 0..5 {
            next_on_b.push(timed_get(&on_b, "/f/INBOX").await);
        }
        browsers.push((on_a, on_b));
    }
    report("B's first request for a user logged in on A", &mut first_on_b);
    report("B's following requests", &mut next_on_b);

    // 4: operations endpoints and memory.
    let ops = Browser::for_base(a.base.clone(), "en");
    let mut metrics = Vec::new();
    let mut size = 0;
    for _ in 0..50 {
        let t = Instant::now();
        size = ops.get("/metrics").await.body.len();
        metrics.push(t.elapsed());
    }
    report(&format!("/metrics ({size} bytes)"), &mut metrics);
    let mut ready = Vec::new();
    for _ in 0..50 {
        ready.push(timed_get(&ops, "/readyz").await);
    }
    report("/readyz (IMAP probe cached 10 s)", &mut ready);
    println!(
        "resident memory: SQLite instance {} MiB, A {} MiB, B {} MiB",
        lite.rss_kib() / 1024,
        a.rss_kib() / 1024,
        b.rss_kib() / 1024
    );

    // 5: SIGTERM with every user logged in on A and B.
    let before: usize = users[1..].iter().map(|u| d.connections(&u.name)).sum();
    for f in [&a, &b] {
        let t = Instant::now();
        let _ = std::process::Command::new("kill").args(["-TERM", &f.pid().to_string()]).status();
        let pid = f.pid();
        while std::path::Path::new(&format!("/proc/{pid}")).exists()
            && std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
            && t.elapsed() < Duration::from_secs(30)
        {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        println!("SIGTERM to exit with {} users logged in: {:.0} ms", users.len() - 1, t.elapsed().as_secs_f64() * 1000.0);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after: usize = users[1..].iter().map(|u| d.connections(&u.name)).sum();
    println!("IMAP connections of those users: {before} before SIGTERM, {after} after");
    drop(browsers);
}
