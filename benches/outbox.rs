//! The outbox against real Postfix and Dovecot: what 10,000 waiting messages cost an idle
//! Facteur, and how late due messages are taken up.
//!
//!     cargo bench --bench outbox
//!
//! Settings: FACTEUR_BENCH_PENDING (10,000 messages due in a week), FACTEUR_BENCH_DUE (200
//! messages due one after the other over a minute), FACTEUR_BENCH_DATABASE (`sqlite`, the
//! default, or `postgres`).
//!
//! 1. Idle: with the pending messages in the database, Facteur's CPU over 60 s (its worker
//!    asks the database once a second for due jobs).
//! 2. Lateness: for each due message, the time from its due time to the moment a worker holds
//!    it (the database is polled every 10 ms to see it), and to its arrival in the
//!    recipient's inbox (Postfix and Dovecot's delivery included); p50, p95, max.
//!
//! Jobs are written straight into the database, sealed with the instance's key, as the compose
//! page writes them. Figures, not assertions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../tests/it/harness.rs"]
mod harness;
mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use facteur::config::{Security, Servers, Upstream};
use facteur::outbox::{SendJob, seal};
use facteur::secrets::ServerKey;
use facteur::store::outbox::{NewJob, add};
use harness::*;

fn message(from: &str, to: &str, subject: &str, id: &str) -> Vec<u8> {
    format!("From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: {id}\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\nA message from the outbox.\r\n").into_bytes()
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("outbox benchmark: run it with `cargo bench --bench outbox`");
        return;
    }
    let pending = common::env_usize("FACTEUR_BENCH_PENDING", 10_000);
    let due_count = common::env_usize("FACTEUR_BENCH_DUE", 200);
    let on_pg = std::env::var("FACTEUR_BENCH_DATABASE").is_ok_and(|v| v == "postgres");
    let d = dovecot();
    let (alice, bob) = (d.user(), d.user());
    let dir = tempfile::tempdir().unwrap();
    let url = if on_pg {
        postgres().database(&format!("fx_outbox_bench_{}", std::process::id()))
    } else {
        format!("sqlite://{}/outbox.db?mode=rwc", dir.path().display())
    };
    let db = facteur::store::connect(&url).await.unwrap();
    let key_bytes: [u8; 32] = std::array::from_fn(|i| i as u8);
    let key = ServerKey::from_bytes(key_bytes);
    let plain = |port: u16| Upstream { host: "127.0.0.1".into(), port, security: Security::Plain };
    let servers = Servers { imap: plain(d.imap_port), smtp: plain(d.submission_port), sieve: None };
    let username = facteur::web::auth::user_key(&alice.name);
    let job_for = |subject: &str, n: usize| {
        let message_id = format!("<outbox-bench-{n}-{}@example.test>", std::process::id());
        let job = SendJob {
            servers: servers.clone(),
            from: alice.name.clone(),
            to: vec![bob.name.clone()],
            message_id: message_id.clone(),
            bcc: vec![],
            save_sent: true,
            origin: None,
            replaces: None,
            send_key: format!("bench-{n}"),
            draft: format!("benchdraft{n:012}"),
            people: vec![],
            form: serde_json::json!({}),
        };
        (job, message(&alice.name, &bob.name, subject, &message_id))
    };

    // 1. Ten thousand messages due in a week, and an idle Facteur.
    let now = facteur::clock::unix_ms();
    let started = Instant::now();
    for n in 0..pending {
        let id = format!("pending{n:08}");
        let (job, bytes) = job_for("Pending", n);
        let s = seal(&key, &id, &job, &bytes, &alice.password).unwrap();
        add(&db, NewJob { id: &id, username: &username, kind: "send", due_ms: now + 7 * 86_400_000 + n as i64, meta: s.meta, message: s.message, secret: s.secret }, now).await.unwrap();
    }
    println!("{pending} pending messages written in {:.1} s ({})", started.elapsed().as_secs_f64(), if on_pg { "PostgreSQL" } else { "SQLite" });
    // The harness's shared key is these 32 bytes, 0 to 31.
    let b64 = SHARED_KEY.to_string();
    let facteur = common::Facteur::start_with(
        d,
        &[("FACTEUR_OUTBOX_ENABLED", "true".into()), ("FACTEUR_SECRET_KEY", b64), ("FACTEUR_DATABASE_URL", url.clone())],
    )
    .await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (cpu0, t0) = (common::cpu_ms(facteur.pid()), Instant::now());
    tokio::time::sleep(Duration::from_secs(60)).await;
    let (cpu1, t1) = (common::cpu_ms(facteur.pid()), t0.elapsed());
    println!(
        "idle with {pending} pending: Facteur used {} ms of CPU in {:.0} s ({:.2} % of a core), resident {} KiB",
        cpu1 - cpu0,
        t1.as_secs_f64(),
        (cpu1 - cpu0) as f64 / t1.as_secs_f64() / 10.0,
        facteur.rss_kib()
    );

    // 2. Messages due one after the other over a minute.
    let first_due = facteur::clock::unix_ms() + 5_000;
    let mut due: HashMap<String, i64> = HashMap::new();
    for n in 0..due_count {
        let id = format!("due{n:06}");
        let (job, bytes) = job_for(&format!("Due {n:04}"), pending + n);
        let s = seal(&key, &id, &job, &bytes, &alice.password).unwrap();
        let at = first_due + (n as i64 * 60_000) / due_count.max(1) as i64;
        add(&db, NewJob { id: &id, username: &username, kind: "send", due_ms: at, meta: s.meta, message: s.message, secret: s.secret }, facteur::clock::unix_ms()).await.unwrap();
        due.insert(id, at);
    }
    let (cpu2, t2) = (common::cpu_ms(facteur.pid()), Instant::now());
    let mut taken: HashMap<String, i64> = HashMap::new();
    let mut ended = 0;
    let deadline = Instant::now() + Duration::from_secs(240);
    while (taken.len() < due_count || ended < due_count) && Instant::now() < deadline {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT id, state FROM outbox WHERE id LIKE 'due%' AND (attempts > 0 OR state <> 'waiting')").fetch_all(&db).await.unwrap();
        let seen = facteur::clock::unix_ms();
        ended = rows.iter().filter(|(_, s)| s == "sent" || s == "failed").count();
        for (id, _) in rows {
            taken.entry(id).or_insert(seen);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let cpu3 = common::cpu_ms(facteur.pid());
    let mut late: Vec<Duration> = taken.iter().map(|(id, at)| Duration::from_millis((at - due[id]).max(0) as u64)).collect();
    let failed: Vec<(String,)> = sqlx::query_as("SELECT id FROM outbox WHERE id LIKE 'due%' AND state = 'failed'").fetch_all(&db).await.unwrap();
    println!(
        "{} of {due_count} due messages taken up; late by p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms after their due time; {ended} ended ({} failed); Facteur's CPU while sending: {} ms over {:.0} s",
        late.len(),
        common::ms(&mut late, 50),
        common::ms(&mut late, 95),
        common::ms(&mut late, 100),
        failed.len(),
        cpu3 - cpu2,
        t2.elapsed().as_secs_f64()
    );

    // Arrival: each message's INTERNALDATE in the recipient's inbox (whole seconds) against its
    // due time.
    let mut imap = bob.imap().await;
    assert!(eventually(Duration::from_secs(60), || async { d.queued_for(&bob.name) == 0 }).await, "Postfix delivers");
    imap.select("INBOX").await.unwrap();
    let fetched: Vec<_> = {
        use futures_util::TryStreamExt;
        imap.fetch("1:*", "(INTERNALDATE ENVELOPE)").await.unwrap().try_collect().await.unwrap()
    };
    let mut arrival: Vec<Duration> = Vec::new();
    for f in &fetched {
        let subject = f.envelope().and_then(|e| e.subject.as_ref()).map(|s| String::from_utf8_lossy(s).into_owned()).unwrap_or_default();
        let Some(n) = subject.strip_prefix("Due ").and_then(|s| s.trim().parse::<usize>().ok()) else { continue };
        let Some(at) = due.get(&format!("due{n:06}")) else { continue };
        let got = f.internal_date().map(|t| t.timestamp_millis()).unwrap_or(0);
        arrival.push(Duration::from_millis((got - at).max(0) as u64));
    }
    println!(
        "{} of {due_count} arrived (exactly once each: {}); in the inbox by p50 {:.0} ms, p95 {:.0} ms after their due time (the inbox keeps whole seconds)",
        arrival.len(),
        arrival.len() == due_count,
        common::ms(&mut arrival, 50),
        common::ms(&mut arrival, 95)
    );
}
