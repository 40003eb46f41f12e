//! Archives benchmark against a real Dovecot: exporting a 100,000-message folder and importing
//! a 100 MB mbox through Facteur, next to a plain IMAP client doing the same work.
//!
//!     cargo bench --bench archives       (FACTEUR_BENCH_MESSAGES, FACTEUR_BENCH_IMPORT_MB to scale)
//!
//! Prints the export's throughput (MB/s of messages) and time to first byte, and Facteur's
//! resident memory growth while it runs (sampled every 50 ms), against `UID FETCH 1:*
//! BODY.PEEK[]` read as it comes; then the import's messages per second and memory growth
//! against a plain client's APPEND loop; then what one GETQUOTAROOT costs Dovecot. Figures,
//! not assertions: this is not a test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../tests/it/harness.rs"]
mod harness;
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{StreamExt, TryStreamExt};
use harness::*;

fn message_of_size(i: usize) -> Vec<u8> {
    let mut m = numbered_message(i);
    let extra = (i * 7919) % 4000;
    m.truncate(m.len() - 2);
    m.extend(std::iter::repeat_n(b'x', extra));
    m.extend_from_slice(b"\r\n");
    m
}

/// Samples the resident memory of `pid` until stopped; returns the highest, KiB.
fn sample_peak(pid: u32) -> (Arc<AtomicBool>, Arc<AtomicU64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let (s, p) = (stop.clone(), peak.clone());
    std::thread::spawn(move || {
        while !s.load(Ordering::Relaxed) {
            p.fetch_max(common::rss_of(pid), Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    (stop, peak)
}

/// Downloads `path`, reading it as it comes: (time to first byte, total time, bytes,
/// Facteur's resident memory growth in KiB).
async fn download(b: &Browser, facteur: &common::Facteur, path: &str) -> (Duration, Duration, u64, u64) {
    let before = facteur.rss_kib();
    let (stop, peak) = sample_peak(facteur.pid());
    let t = Instant::now();
    let res = b.http.get(format!("{}{path}", b.base())).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let mut body = res.bytes_stream();
    let mut first = None;
    let mut bytes = 0u64;
    while let Some(chunk) = body.next().await {
        first.get_or_insert_with(|| t.elapsed());
        bytes += chunk.unwrap().len() as u64;
    }
    let total = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    (first.unwrap_or(total), total, bytes, peak.load(Ordering::Relaxed).saturating_sub(before))
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("archives benchmark: run it with `cargo bench --bench archives`");
        return;
    }
    let total = common::env_usize("FACTEUR_BENCH_MESSAGES", 100_000);
    let import_mb = common::env_usize("FACTEUR_BENCH_IMPORT_MB", 100);
    let d = dovecot();
    let user = d.user();
    let started = Instant::now();
    let messages: Vec<Vec<u8>> = (1..=total).map(message_of_size).collect();
    let stored: u64 = messages.iter().map(|m| m.len() as u64).sum();
    user.bulk_append("INBOX", &messages).await;
    drop(messages);
    println!("seeded {total} messages ({:.1} MB) in {:.1} s", stored as f64 / 1e6, started.elapsed().as_secs_f64());

    let facteur = common::Facteur::start(d).await;
    let b = Browser::for_base(facteur.base.clone(), "en");
    b.login(&user).await;

    // A plain client: the whole folder's messages, read as they come (warmed once first).
    let mut imap = user.imap().await;
    let mut plain = Vec::new();
    for round in 0..3 {
        imap.select("INBOX").await.unwrap();
        let t = Instant::now();
        let mut stream = imap.uid_fetch("1:*", "(UID FLAGS INTERNALDATE BODY.PEEK[])").await.unwrap();
        let mut bytes = 0u64;
        while let Some(f) = stream.try_next().await.unwrap() {
            bytes += f.body().map_or(0, <[u8]>::len) as u64;
        }
        drop(stream);
        if round > 0 {
            plain.push((t.elapsed(), bytes));
        }
    }
    let mut rows = Vec::new();
    for path in ["/f/INBOX/export.mbox", "/f/INBOX/export.zip"] {
        download(&b, &facteur, path).await;
        let runs = [download(&b, &facteur, path).await, download(&b, &facteur, path).await];
        rows.push((path, runs));
    }
    println!();
    println!("export of {total} messages ({:.1} MB of messages)", stored as f64 / 1e6);
    for (t, bytes) in &plain {
        println!("  plain client UID FETCH 1:* BODY.PEEK[]: {:.2} s, {:.1} MB/s of messages", t.as_secs_f64(), *bytes as f64 / 1e6 / t.as_secs_f64());
    }
    for (path, runs) in &rows {
        for (first, all, bytes, growth) in runs {
            println!(
                "  {path:<24} {:.2} s, {:.1} MB/s of messages, first byte {:.0} ms, {:.1} MB written, RSS +{} KiB",
                all.as_secs_f64(),
                stored as f64 / 1e6 / all.as_secs_f64(),
                first.as_secs_f64() * 1000.0,
                *bytes as f64 / 1e6,
                growth
            );
        }
    }

    // Import: an mbox of about `import_mb` MB of 4 KB messages.
    let mut mbox = Vec::new();
    let mut imported = Vec::new();
    let mut i = 0;
    while mbox.len() < import_mb * 1_000_000 {
        i += 1;
        let m = format!("From: a{i}@example.org\r\nTo: user@example.test\r\nSubject: Imported {i}\r\nMessage-ID: <import-{i}@example.org>\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\n\r\n{}\r\n", "y".repeat(4000));
        mbox.extend(facteur::mail::mbox::entry("a@example.org", 1_704_103_200 + i as i64, &Default::default(), m.as_bytes()));
        imported.push(m.into_bytes());
    }
    let count = imported.len();
    let token = csrf(&b.get("/settings/folders").await.body);
    b.post("/folders", &[("csrf", &token), ("name", "Imported")]).await;
    let before = facteur.rss_kib();
    let (stop, peak) = sample_peak(facteur.pid());
    let t = Instant::now();
    let form = reqwest::multipart::Form::new().text("csrf", token.clone()).part("file", reqwest::multipart::Part::bytes(mbox.clone()).file_name("big.mbox"));
    let res = b.http.post(format!("{}/f/Imported/import", b.base())).multipart(form).send().await.unwrap();
    let status = res.status();
    let body = res.text().await.unwrap();
    let took = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(&format!("{count} messages imported")), "{body}");
    make_folder(&mut imap, "Plain").await.unwrap();
    let t = Instant::now();
    for m in &imported {
        imap.append("Plain", Some("(\\Seen)"), Some("\"01-Jan-2024 10:00:00 +0000\""), m).await.unwrap();
    }
    let plain_took = t.elapsed();
    println!();
    println!("import of a {:.1} MB mbox ({count} messages)", mbox.len() as f64 / 1e6);
    println!("  Facteur (upload, spool, MULTIAPPEND batches): {:.2} s, {:.0} messages/s, RSS +{} KiB", took.as_secs_f64(), count as f64 / took.as_secs_f64(), peak.load(Ordering::Relaxed).saturating_sub(before));
    println!("  plain client APPEND loop: {:.2} s, {:.0} messages/s", plain_took.as_secs_f64(), count as f64 / plain_took.as_secs_f64());

    // The quota on every page: one GETQUOTAROOT, at most once a minute per user.
    let mut q = Vec::new();
    for _ in 0..200 {
        let t = Instant::now();
        imap.get_quota_root("INBOX").await.unwrap();
        q.push(t.elapsed());
    }
    q.sort();
    println!();
    println!("GETQUOTAROOT INBOX on Dovecot: p50 {:.3} ms, p95 {:.3} ms", q[100].as_secs_f64() * 1000.0, q[190].as_secs_f64() * 1000.0);
    drop(facteur);
}
