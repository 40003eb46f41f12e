//! Rules benchmark against a real Dovecot with Pigeonhole ManageSieve: the Filters page and
//! saving one rule through Facteur, next to the ManageSieve round trips a plain client needs
//! for the same work.
//!
//!     cargo bench --bench rules        (FACTEUR_BENCH_ROUNDS to scale, 200 by default)
//!
//! The page: Facteur signs in to ManageSieve, lists the scripts and reads its own (the plain
//! client: connect, AUTHENTICATE, LISTSCRIPTS, GETSCRIPT, LOGOUT). Saving a rule: the same
//! reads, then PUTSCRIPT (the plain client: connect, AUTHENTICATE, LISTSCRIPTS, GETSCRIPT,
//! PUTSCRIPT of the same script, LOGOUT). p50/p95 in milliseconds; figures, not assertions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../tests/it/harness.rs"]
mod harness;
mod common;

use std::time::{Duration, Instant};

use base64::Engine;
use harness::*;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

/// A plain ManageSieve client: reads a reply up to its OK/NO line, literals included.
struct Plain(BufReader<tokio::net::TcpStream>);

impl Plain {
    async fn open(user: &TestUser) -> Self {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", dovecot().sieve_port)).await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let mut p = Plain(BufReader::new(tcp));
        p.reply().await;
        let plain = base64::engine::general_purpose::STANDARD.encode(format!("\0{}\0{}", user.name, user.password));
        assert!(p.run(&format!("AUTHENTICATE \"PLAIN\" \"{plain}\"\r\n")).await.starts_with("OK"));
        p
    }

    async fn reply(&mut self) -> String {
        let mut out = String::new();
        loop {
            let mut line = String::new();
            self.0.read_line(&mut line).await.unwrap();
            if let Some(n) = line.trim_end().strip_prefix('{').and_then(|l| l.strip_suffix('}')).and_then(|n| n.parse::<usize>().ok()) {
                let mut body = vec![0; n];
                self.0.read_exact(&mut body).await.unwrap();
                out.push_str(&String::from_utf8_lossy(&body));
                continue;
            }
            if ["OK", "NO", "BYE"].iter().any(|w| line.starts_with(w)) {
                return line + &out;
            }
            out.push_str(&line);
        }
    }

    async fn run(&mut self, command: &str) -> String {
        self.0.get_mut().write_all(command.as_bytes()).await.unwrap();
        self.reply().await
    }
}

fn report(what: &str, facteur: &mut [Duration], plain: &mut [Duration]) {
    let (f50, f95, p50, p95) = (common::ms(facteur, 50), common::ms(facteur, 95), common::ms(plain, 50), common::ms(plain, 95));
    println!("{what}: Facteur p50 {f50:.2} ms, p95 {f95:.2} ms; plain ManageSieve client p50 {p50:.2} ms, p95 {p95:.2} ms; target 1.3 × plain + 3 ms = {:.2} ms (p50)", p50 * 1.3 + 3.0);
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("rules benchmark: run it with `cargo bench --bench rules`");
        return;
    }
    let rounds: usize = std::env::var("FACTEUR_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let d = dovecot();
    let user = d.user();
    let facteur = common::Facteur::start(d).await;
    let b = Browser::for_base(facteur.base.clone(), "en");
    b.login(&user).await;
    let page = b.get("/settings/filters").await;
    let token = csrf(&page.body);
    // Five filters, as a user with a few rules has.
    for i in 0..5 {
        let p = b.post("/settings/filters", &[("csrf", &token), ("name", &format!("Rule {i}")), ("field", "from"), ("value", &format!("sender{i}@example.org")), ("action", "star")]).await;
        assert!(p.body.contains("Filters saved"), "{}", p.body);
    }

    let (mut page_f, mut page_p, mut save_f, mut save_p) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..rounds {
        let t = Instant::now();
        let p = b.raw_get("/settings/filters").await;
        assert_eq!(p.status(), 200);
        p.bytes().await.unwrap();
        page_f.push(t.elapsed());

        let t = Instant::now();
        let mut plain = Plain::open(&user).await;
        plain.run("LISTSCRIPTS\r\n").await;
        let script = plain.run("GETSCRIPT \"facteur\"\r\n").await;
        plain.run("LOGOUT\r\n").await;
        page_p.push(t.elapsed());

        // Saving one rule: filter 0 changed in turn.
        let t = Instant::now();
        let res = b.raw_post("/settings/filters", &[("csrf", &token), ("index", "0"), ("name", "Rule 0"), ("field", "from"), ("value", &format!("round{i}@example.org")), ("action", "star")]).await;
        assert!(res.status().is_redirection(), "{}", res.status());
        save_f.push(t.elapsed());

        let body = script.split_once('\n').map(|(_, b)| b.to_string()).unwrap_or_default();
        let t = Instant::now();
        let mut plain = Plain::open(&user).await;
        plain.run("LISTSCRIPTS\r\n").await;
        plain.run("GETSCRIPT \"facteur\"\r\n").await;
        let put = plain.run(&format!("PUTSCRIPT \"facteur\" {{{}+}}\r\n{body}\r\n", body.len())).await;
        assert!(put.starts_with("OK"), "{put}");
        plain.run("LOGOUT\r\n").await;
        save_p.push(t.elapsed());
    }
    println!("rules benchmark: {rounds} rounds, five filters, Dovecot 2.3 ManageSieve on loopback");
    report("Filters page (GET, whole page)", &mut page_f, &mut page_p);
    report("Save one rule (POST, until the redirect)", &mut save_f, &mut save_p);
}
