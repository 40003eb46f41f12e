//! New-mail notifications: from a delivery over LMTP to the push request Facteur sends, next to
//! what an IMAP client IDLE-ing on the same Inbox sees.
//!
//!     cargo bench --bench push          (FACTEUR_BENCH_DELIVERIES, 200 by default)
//!
//! Dovecot (push_notification, ox driver) tells Facteur (the release build) of each delivery;
//! Facteur encrypts and signs a push for the one device subscribed, sent to a push service
//! on loopback that notes when each request arrives. Each message goes straight to Dovecot's
//! LMTP socket, one after the other; times are counted from the end of its DATA. Figures, not
//! assertions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../tests/it/harness.rs"]
mod harness;
mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use harness::*;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use common::ms;

/// When each push request reached the push service.
type Arrivals = Arc<Mutex<Vec<Instant>>>;

async fn push_service() -> (u16, Arrivals) {
    let arrivals: Arrivals = Arc::default();
    let kept = arrivals.clone();
    let app = axum::Router::new().route(
        "/push/{device}",
        axum::routing::post(move || {
            let kept = kept.clone();
            async move {
                kept.lock().unwrap().push(Instant::now());
                StatusCode::CREATED
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, arrivals)
}

/// A plain IMAP client IDLE-ing on the Inbox: when each `EXISTS` came.
async fn idle_client(user: &TestUser, port: u16) -> Arrivals {
    let arrivals: Arrivals = Arc::default();
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    lines.next_line().await.unwrap();
    write.write_all(format!("a LOGIN \"{}\" \"{}\"\r\nb SELECT INBOX\r\nc IDLE\r\n", user.name, user.password).as_bytes()).await.unwrap();
    while let Some(line) = lines.next_line().await.unwrap() {
        if line.starts_with("+ ") {
            break;
        }
        assert!(!line.starts_with("a NO") && !line.starts_with("b NO"), "{line}");
    }
    let kept = arrivals.clone();
    tokio::spawn(async move {
        let _write = write;
        while let Ok(Some(line)) = lines.next_line().await {
            if line.starts_with("* ") && line.ends_with(" EXISTS") {
                kept.lock().unwrap().push(Instant::now());
            }
        }
    });
    arrivals
}

/// One LMTP session per message; returns when DATA ended and when the server answered.
async fn deliver(socket: &std::path::Path, to: &str, i: usize) -> (Instant, Instant) {
    let stream = tokio::net::UnixStream::connect(socket).await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    async fn reply(lines: &mut tokio::io::Lines<BufReader<tokio::net::unix::OwnedReadHalf>>) -> String {
        loop {
            let line = lines.next_line().await.unwrap().unwrap();
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return line;
            }
        }
    }
    reply(&mut lines).await;
    for command in ["LHLO bench.example.test".to_string(), "MAIL FROM:<sender@example.org>".into(), format!("RCPT TO:<{to}>"), "DATA".into()] {
        write.write_all(format!("{command}\r\n").as_bytes()).await.unwrap();
        let r = reply(&mut lines).await;
        assert!(r.starts_with('2') || r.starts_with('3'), "{command}: {r}");
    }
    let message = format!(
        "From: Sender {i} <sender@example.org>\r\nTo: {to}\r\nSubject: Push bench {i}\r\nMessage-ID: <push-bench-{i}-{}@example.org>\r\n\r\nHello.\r\n.\r\n",
        std::process::id()
    );
    write.write_all(message.as_bytes()).await.unwrap();
    let sent = Instant::now();
    let r = reply(&mut lines).await;
    let answered = Instant::now();
    assert!(r.starts_with("250"), "delivery {i}: {r}");
    write.write_all(b"QUIT\r\n").await.unwrap();
    (sent, answered)
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("push benchmark: run it with `cargo bench --bench push`");
        return;
    }
    let deliveries = common::env_usize("FACTEUR_BENCH_DELIVERIES", 200);
    let d = dovecot();
    let alice = d.user();
    let facteur = common::Facteur::start_on(d, d.push_port, &[]).await;
    let (service, pushes) = push_service().await;

    // One device, subscribed through the Settings page's endpoint.
    let b = Browser::for_base(facteur.base.clone(), "en");
    b.login(&alice).await;
    let settings = b.get("/settings").await;
    let secret = loop {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).unwrap();
        if let Ok(k) = p256::SecretKey::from_slice(&bytes) {
            break k;
        }
    };
    let p256dh = B64.encode(secret.public_key().to_encoded_point(false).as_bytes());
    let res = b
        .raw_post(
            "/settings/notifications",
            &[
                ("csrf", &csrf(&settings.body)),
                ("op", "on"),
                ("endpoint", &format!("http://127.0.0.1:{service}/push/bench")),
                ("p256dh", &p256dh),
                ("auth", &B64.encode([7u8; 16])),
                ("preview", "1"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 204);
    let idle = idle_client(&alice, d.imap_port).await;
    // Dovecot's push driver keeps the METADATA entry for a second (cache_lifetime in the
    // harness); the first delivery after it is set is the first notified.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let socket = d.lmtp_socket();
    let (mut lmtp, mut push, mut exists) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..deliveries {
        let (before_push, before_idle) = (pushes.lock().unwrap().len(), idle.lock().unwrap().len());
        let (sent, answered) = deliver(&socket, &alice.name, i).await;
        let arrived = common::wait_until(Duration::from_secs(10), || pushes.lock().unwrap().len() > before_push && idle.lock().unwrap().len() > before_idle).await;
        assert!(arrived, "delivery {i}: no push or no EXISTS within 10 s");
        lmtp.push(answered - sent);
        push.push(pushes.lock().unwrap()[before_push].saturating_duration_since(sent));
        exists.push(idle.lock().unwrap()[before_idle].saturating_duration_since(sent));
    }
    println!("from the end of LMTP DATA, ms (n = {deliveries}):");
    println!("  LMTP 250 answer          p50 {:>7.1}  p95 {:>7.1}", ms(&mut lmtp, 50), ms(&mut lmtp, 95));
    println!("  push request received    p50 {:>7.1}  p95 {:>7.1}", ms(&mut push, 50), ms(&mut push, 95));
    println!("  EXISTS to an IDLE client p50 {:>7.1}  p95 {:>7.1}", ms(&mut exists, 50), ms(&mut exists, 95));
    println!("Facteur: {} ms of CPU in all, resident {} KiB", common::cpu_ms(facteur.pid()), facteur.rss_kib());
}
