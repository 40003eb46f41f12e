//! Reading benchmark against a real Dovecot with a seeded 100,000-message folder.
//!
//!     cargo bench --bench reading            (FACTEUR_BENCH_MESSAGES, FACTEUR_BENCH_USERS to scale)
//!
//! Prints p50/p95 of the list page (first page and deep in the folder, by conversation and by
//! message with previews), opening a message and login-to-inbox, through Facteur (a release
//! build in its own process), next to what Dovecot alone takes for the same IMAP commands;
//! the bytes the login, inbox and message pages take on the wire, plain and compressed; the
//! inbox's first contentful paint in Chromium; then Facteur's resident memory per idle
//! logged-in user. Figures, not assertions: this is not a test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../tests/it/harness.rs"]
mod harness;
mod common;

use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use harness::*;

struct Stats {
    p50: f64,
    p95: f64,
    n: usize,
}

fn stats(mut v: Vec<Duration>) -> Stats {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: usize| ms(v[(v.len() * q / 100).min(v.len() - 1)]);
    Stats { p50: at(50), p95: at(95), n: v.len() }
}

fn row(name: &str, facteur: &Stats, dovecot: Option<&Stats>) {
    match dovecot {
        Some(d) => println!(
            "{name:<34} {:>8.2} {:>8.2}   {:>8.2} {:>8.2}   {:>5}",
            facteur.p50, facteur.p95, d.p50, d.p95, facteur.n
        ),
        None => println!("{name:<34} {:>8.2} {:>8.2}   {:>8} {:>8}   {:>5}", facteur.p50, facteur.p95, "-", "-", facteur.n),
    }
}

fn message_of_size(i: usize) -> Vec<u8> {
    let mut m = numbered_message(i);
    // Realistic spread of sizes: mostly short, some longer bodies.
    let extra = (i * 7919) % 4000;
    m.truncate(m.len() - 2);
    m.extend(std::iter::repeat_n(b'x', extra));
    m.extend_from_slice(b"\r\n");
    m
}

#[tokio::main]
async fn main() {
    // `cargo test --all-targets` runs bench binaries without `--bench`: nothing to do then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("reading benchmark: run it with `cargo bench --bench reading`");
        return;
    }
    let total = common::env_usize("FACTEUR_BENCH_MESSAGES", 100_000);
    let idle_users = common::env_usize("FACTEUR_BENCH_USERS", 200);
    let rounds = common::env_usize("FACTEUR_BENCH_ROUNDS", 200);
    let d = dovecot();
    let user = d.user();

    let started = Instant::now();
    let messages: Vec<Vec<u8>> = (1..=total).map(message_of_size).collect();
    user.bulk_append("INBOX", &messages).await;
    drop(messages);
    println!("seeded {total} messages into Dovecot in {:.1} s", started.elapsed().as_secs_f64());

    // Facteur, release build, its own process.
    // A panic anywhere still stops it (Drop).
    let facteur = common::Facteur::start(d).await;
    let base = facteur.base.clone();

    let b = Browser::for_base(base.clone(), "en");
    b.login(&user).await;
    // The first SELECT of a big folder builds Dovecot's indexes, and the first read of a
    // window fills Dovecot's cache: warm up the same pages both sides will measure.
    for i in 0..rounds.max(500) {
        assert_eq!(b.get(&format!("/f/INBOX?page={}", 1000 + (i % 500))).await.status, 200);
    }
    for _ in 0..5 {
        assert_eq!(b.get("/f/INBOX").await.status, 200);
    }

    let mut first = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let p = b.get("/f/INBOX").await;
        first.push(t.elapsed());
        assert_eq!(p.status, 200);
    }
    let mut deep = Vec::new();
    for i in 0..rounds {
        let page = 1000 + (i % 500);
        let t = Instant::now();
        let p = b.get(&format!("/f/INBOX?page={page}")).await;
        deep.push(t.elapsed());
        assert_eq!(p.status, 200);
    }

    // The list by message (conversations off in Settings): rows with their previews.
    let token = csrf(&b.get("/settings").await.body);
    b.post("/settings", &[("csrf", &token), ("language", ""), ("shortcuts", "on")]).await;
    for _ in 0..5 {
        assert_eq!(b.get("/f/INBOX").await.status, 200);
    }
    let mut by_message = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        let p = b.get("/f/INBOX").await;
        by_message.push(t.elapsed());
        assert!(p.body.contains("class=\"preview\""), "rows with previews");
    }
    b.post("/settings", &[("csrf", &token), ("language", ""), ("shortcuts", "on"), ("conversations", "on")]).await;

    let mut imap = user.imap().await;
    let mb = imap.select("INBOX").await.unwrap();
    let uv = mb.uid_validity.unwrap();
    let mut open = Vec::new();
    for i in 0..rounds {
        let uid = 1 + (i * 487) % total;
        let t = Instant::now();
        let p = b.get(&format!("/m/INBOX/{uv}/{uid}")).await;
        open.push(t.elapsed());
        assert_eq!(p.status, 200, "{}", p.body);
    }

    let mut login = Vec::new();
    for _ in 0..(rounds / 4).max(10) {
        let fresh = Browser::for_base(base.clone(), "en");
        let t = Instant::now();
        let p = fresh.login(&user).await;
        login.push(t.elapsed());
        fresh.post("/logout", &[("csrf", &csrf(&p.body))]).await;
    }

    // Dovecot alone, same commands on an already selected folder.
    let items = "(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT CONTENT-TYPE)])";
    let exists = mb.exists as usize;
    let mut d_first = Vec::new();
    let mut d_deep = Vec::new();
    for i in 0..rounds {
        let t = Instant::now();
        imap.noop().await.unwrap();
        let _: Vec<_> = imap.fetch(format!("{}:{}", exists - 49, exists), items).await.unwrap().try_collect().await.unwrap();
        d_first.push(t.elapsed());
        let hi = exists - (999 + i % 500) * 50;
        let t = Instant::now();
        imap.noop().await.unwrap();
        let _: Vec<_> = imap.fetch(format!("{}:{hi}", hi - 49), items).await.unwrap().try_collect().await.unwrap();
        d_deep.push(t.elapsed());
    }
    // The same rows with the server's previews: what the list by message needs.
    let mut d_first_previews = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        imap.noop().await.unwrap();
        let rows: Vec<_> = imap.fetch(format!("{}:{}", exists - 49, exists), items).await.unwrap().try_collect().await.unwrap();
        let uids: Vec<String> = rows.iter().filter_map(|f| f.uid).map(|u| u.to_string()).collect();
        let _: Vec<_> = imap.uid_fetch(uids.join(","), "(UID PREVIEW)").await.unwrap().try_collect().await.unwrap();
        d_first_previews.push(t.elapsed());
    }
    let mut d_open = Vec::new();
    for i in 0..rounds {
        let uid = 1 + (i * 613) % total;
        let t = Instant::now();
        let _: Vec<_> = imap.uid_fetch(uid.to_string(), "(UID FLAGS BODY.PEEK[])").await.unwrap().try_collect().await.unwrap();
        d_open.push(t.elapsed());
    }
    // Opening an unread message also sets \Seen: Dovecot's share of that.
    let mut d_open_seen = Vec::new();
    for i in 0..rounds {
        let uid = 50_000 + (i * 101) % 40_000;
        let t = Instant::now();
        let _: Vec<_> = imap.uid_fetch(uid.to_string(), "(UID FLAGS BODY.PEEK[])").await.unwrap().try_collect().await.unwrap();
        let _: Vec<_> = imap.uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)").await.unwrap().try_collect().await.unwrap();
        d_open_seen.push(t.elapsed());
    }
    let mut reopen = Vec::new();
    for i in 0..rounds {
        let uid = 1 + (i * 487) % total;
        let t = Instant::now();
        assert_eq!(b.get(&format!("/m/INBOX/{uv}/{uid}")).await.status, 200);
        reopen.push(t.elapsed());
    }
    let mut d_login = Vec::new();
    for _ in 0..(rounds / 4).max(10) {
        let t = Instant::now();
        let mut s = user.imap().await;
        s.select("INBOX").await.unwrap();
        let _: Vec<_> = s.fetch(format!("{}:{}", exists - 49, exists), items).await.unwrap().try_collect().await.unwrap();
        d_login.push(t.elapsed());
        s.logout().await.unwrap();
    }

    println!();
    println!("{:<34} {:>17}   {:>17}   {:>5}", "milliseconds", "Facteur p50  p95", "Dovecot p50  p95", "n");
    row("list page, first page", &stats(first), Some(&stats(d_first)));
    row("list by message with previews", &stats(by_message), Some(&stats(d_first_previews)));
    row("list page, page 1000+", &stats(deep), Some(&stats(d_deep)));
    row("open an unread message", &stats(open), Some(&stats(d_open_seen)));
    row("open a message already read", &stats(reopen), Some(&stats(d_open)));
    row("login to inbox", &stats(login), Some(&stats(d_login)));
    println!("(Dovecot alone: NOOP + FETCH of the same 50 rows (+ UID FETCH PREVIEW of them); UID FETCH");
    println!(" BODY.PEEK[] + UID STORE \\Seen; UID FETCH BODY.PEEK[]; AUTHENTICATE + SELECT + FETCH of 50 rows)");

    // Bytes on the wire: each page as sent plainly, with gzip and with brotli.
    println!();
    println!("{:<34} {:>10} {:>10} {:>10}", "bytes on the wire", "plain", "gzip", "brotli");
    let anonymous = Browser::for_base(base.clone(), "en");
    let message = format!("/m/INBOX/{uv}/{}", total - 3);
    for (name, who, path) in [("login page", &anonymous, "/login"), ("inbox, first page", &b, "/f/INBOX"), ("a message page", &b, message.as_str())] {
        let mut sizes = Vec::new();
        for encoding in ["identity", "gzip", "br"] {
            let res = who.http.get(format!("{base}{path}")).header("accept-encoding", encoding).send().await.unwrap();
            assert_eq!(res.status(), 200);
            sizes.push(res.bytes().await.unwrap().len());
        }
        println!("{name:<34} {:>10} {:>10} {:>10}", sizes[0], sizes[1], sizes[2]);
    }

    // The inbox's first contentful paint in Chromium, as the browser reports it.
    let fcp = common::first_paints(&base, &user.name, &user.password, "/f/INBOX", 15).await;
    println!();
    match fcp {
        Some(s) => println!("inbox first contentful paint in Chromium: p50 {:.0} ms, p95 {:.0} ms (n = {})", s.0, s.1, s.2),
        None => println!("inbox first contentful paint: Chromium and ChromeDriver are not installed"),
    }

    // Memory: many idle logged-in users, each with a small inbox.
    let before = facteur.rss_kib();
    let names: Vec<(String, String)> = (1..=idle_users).map(|i| (format!("idle{i}@{DOMAIN}"), format!("idle-pw-{i}"))).collect();
    d.add_users(&names);
    let mut browsers = Vec::new();
    let small: Vec<Vec<u8>> = (1..=30).map(numbered_message).collect();
    for (n, p) in &names {
        let u = TestUser::new(n, p, d.imap_port);
        u.bulk_append("INBOX", &small).await;
        let br = Browser::for_base(base.clone(), "en");
        br.login(&u).await;
        browsers.push(br);
    }
    let after = facteur.rss_kib();
    println!();
    println!(
        "memory: {before} KiB before, {after} KiB with {idle_users} users logged in: {:.0} KiB per logged-in user",
        (after.saturating_sub(before)) as f64 / idle_users as f64
    );
    drop(facteur);
}
