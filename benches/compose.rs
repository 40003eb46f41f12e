//! Sending benchmark against a real Postfix and Dovecot on loopback.
//!
//!     cargo bench --bench compose       (FACTEUR_BENCH_SENDS to change the count, default 100)
//!
//! 1. Time from pressing Send (the POST) to the message in the recipient's INBOX, through
//!    Facteur, Postfix (submission, SASL) and Dovecot (LMTP); p50/p95, with the POST's own time.
//! 2. Upload of a 20 MB attachment: throughput, and how much Facteur's resident memory rises
//!    while it arrives (it is streamed to disk) and while that message is sent.
//!
//! Figures, not assertions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../tests/it/harness.rs"]
mod harness;
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use harness::*;

fn value_of(body: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    body.find(&marker).map(|i| body[i + marker.len()..].split('"').next().unwrap_or_default().to_string()).unwrap_or_default()
}

use common::ms;

async fn post(b: &Browser, fields: &[(&str, String)], file: Option<(&str, Vec<u8>)>, json: bool) -> reqwest::Response {
    let mut mp = reqwest::multipart::Form::new();
    for (k, v) in fields {
        mp = mp.text(k.to_string(), v.clone());
    }
    if let Some((name, bytes)) = file {
        mp = mp.part("attachments", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
    }
    let mut req = b.http.post(format!("{}/compose", b.base())).multipart(mp);
    if json {
        req = req.header("accept", "application/json");
    }
    req.send().await.unwrap()
}

/// Samples the process's resident memory every 2 ms until stopped; returns the peak (KiB).
fn sample_peak(pid: u32) -> (Arc<AtomicBool>, tokio::task::JoinHandle<u64>) {
    let stop = Arc::new(AtomicBool::new(false));
    let peak = Arc::new(AtomicU64::new(0));
    let s = stop.clone();
    let handle = tokio::spawn(async move {
        while !s.load(Ordering::Relaxed) {
            let rss = rss_kib(pid);
            peak.fetch_max(rss, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        peak.load(Ordering::Relaxed)
    });
    (stop, handle)
}

fn rss_kib(pid: u32) -> u64 {
    common::rss_of(pid)
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("compose benchmark: run it with `cargo bench --bench compose`");
        return;
    }
    let sends: usize = std::env::var("FACTEUR_BENCH_SENDS").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let d = dovecot();
    let (alice, bob) = (d.user(), d.user());
    let facteur = common::Facteur::start(d).await;
    let b = Browser::for_base(facteur.base.clone(), "en");
    b.login(&alice).await;
    let page = b.get("/compose").await;
    let base_fields = |subject: String, key: String| -> Vec<(&'static str, String)> {
        vec![
            ("csrf", value_of(&page.body, "csrf")),
            ("draft", value_of(&page.body, "draft")),
            ("send_key", key),
            ("identity", "0".into()),
            ("to", bob.name.clone()),
            ("subject", subject),
            ("body", "A short message.\n".into()),
        ]
    };
    let mut bob_imap = bob.imap().await;

    // 1. Send → INBOX.
    let mut to_inbox = Vec::new();
    let mut post_times = Vec::new();
    for i in 0..sends {
        let before = bob_imap.status("INBOX", "(MESSAGES)").await.unwrap().exists;
        let mut fields = base_fields(format!("Bench {i}"), format!("bench-key-{i}"));
        fields.push(("op", "send".into()));
        let t = Instant::now();
        let res = post(&b, &fields, None, false).await;
        assert_eq!(res.status().as_u16(), 303, "send {i} failed: {}", res.text().await.unwrap_or_default());
        post_times.push(t.elapsed());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if bob_imap.status("INBOX", "(MESSAGES)").await.unwrap().exists > before {
                break;
            }
            assert!(Instant::now() < deadline, "message {i} did not arrive");
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        to_inbox.push(t.elapsed());
    }
    println!("send → recipient's INBOX, n={sends}: p50 {:.1} ms, p95 {:.1} ms", ms(&mut to_inbox, 50), ms(&mut to_inbox, 95));
    println!(
        "  of which the Send request (SMTP + copy to Sent + flags): p50 {:.1} ms, p95 {:.1} ms",
        ms(&mut post_times, 50),
        ms(&mut post_times, 95)
    );

    // 2. A 20 MB upload, then sending it.
    let size = 20 * 1024 * 1024;
    let file: Vec<u8> = (0..size).map(|i| (i * 7 % 251) as u8).collect();
    let pid = facteur.pid();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let base_rss = rss_kib(pid);
    let (stop, peak) = sample_peak(pid);
    let mut fields = base_fields("Bench upload".into(), "bench-upload".into());
    fields.push(("op", "attach".into()));
    let t = Instant::now();
    let res = post(&b, &fields, Some(("big.bin", file)), true).await;
    let took = t.elapsed();
    assert_eq!(res.status().as_u16(), 200, "{}", res.text().await.unwrap_or_default());
    stop.store(true, Ordering::Relaxed);
    let peak = peak.await.unwrap();
    println!(
        "upload of a 20 MB attachment: {:.0} ms, {:.0} MB/s; Facteur RSS {} KiB before, peak {} KiB (+{:.1} MB, the file is {} MB)",
        took.as_secs_f64() * 1000.0,
        20.0 / took.as_secs_f64(),
        base_rss,
        peak,
        peak.saturating_sub(base_rss) as f64 / 1024.0,
        size / (1024 * 1024)
    );
    let base_rss = rss_kib(pid);
    let (stop, peak) = sample_peak(pid);
    let mut fields = base_fields("Bench upload".into(), "bench-upload".into());
    fields.push(("op", "send".into()));
    let t = Instant::now();
    let res = post(&b, &fields, None, false).await;
    assert_eq!(res.status().as_u16(), 303);
    let took = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    let peak = peak.await.unwrap();
    println!(
        "sending it (SMTP + copy to Sent): {:.0} ms; Facteur RSS {} KiB before, peak {} KiB (+{:.1} MB)",
        took.as_secs_f64() * 1000.0,
        base_rss,
        peak,
        peak.saturating_sub(base_rss) as f64 / 1024.0
    );
}
