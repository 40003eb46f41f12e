//! Signing in with and without the second step, and what the second step costs the pages
//! that follow.
//!
//!     cargo bench --bench signin        (FACTEUR_BENCH_SIGNINS, 50 by default)
//!
//! Facteur (the release build) against the harness's Dovecot. Half the users have an
//! authenticator app set up (the benchmark computes their codes); each user signs in once,
//! as people do: the password step includes Dovecot's LOGIN. Then the list page, 200 times for
//! a session of each kind: both go through the same check of the session (one query). Next to
//! them, what a plain IMAP client needs to sign in and list the Inbox.
//! Figures, not assertions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../tests/it/harness.rs"]
mod harness;
mod common;

use std::time::{Duration, Instant};

use harness::*;

use common::ms;

fn code(secret: &[u8]) -> String {
    facteur::two_step::code_at(secret, facteur::clock::unix_secs() as u64).unwrap()
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("signin benchmark: run it with `cargo bench --bench signin`");
        return;
    }
    let n = common::env_usize("FACTEUR_BENCH_SIGNINS", 50);
    let d = dovecot();
    let facteur = common::Facteur::start(d).await;
    let base = facteur.base.clone();

    // Users with an authenticator app set up, and users without.
    let mut with_app = Vec::new();
    for _ in 0..n {
        let user = d.user();
        append(&mut user.imap().await, "INBOX", &numbered_message(1)).await;
        let b = Browser::for_base(base.clone(), "en");
        b.login(&user).await;
        let (secret, on) = turn_on_app(&b).await;
        // Signed out: its IMAP connection closes, and the timed sign-in starts cold, as the
        // password-only ones do.
        b.post("/logout", &[("csrf", &csrf(&on.body))]).await;
        with_app.push((user, secret));
    }
    let without: Vec<TestUser> = (0..n).map(|_| d.user()).collect();
    for user in &without {
        append(&mut user.imap().await, "INBOX", &numbered_message(1)).await;
        // Signed in and out once, as the others were for their set-up: Dovecot has opened
        // every mailbox before the timed sign-ins.
        let b = Browser::for_base(base.clone(), "en");
        let page = b.login(user).await;
        b.post("/logout", &[("csrf", &csrf(&page.body))]).await;
    }
    // The codes used at set-up belong to the current 30 s: the sign-ins wait for the next.
    tokio::time::sleep(Duration::from_secs(31)).await;

    let (mut password_only, mut two_steps, mut second_alone) = (Vec::new(), Vec::new(), Vec::new());
    let mut sessions = Vec::new();
    for (i, user) in without.iter().enumerate() {
        let b = Browser::for_base(base.clone(), "en");
        let form = b.get("/login").await;
        let t = Instant::now();
        let page = b.post("/login", &[("csrf", &csrf(&form.body)), ("username", &user.name), ("password", &user.password)]).await;
        password_only.push(t.elapsed());
        assert!(page.url.ends_with("/f/INBOX"), "{}", page.url);
        if i == 0 {
            sessions.push(("password only", b));
        }
    }
    for (i, (user, secret)) in with_app.iter().enumerate() {
        let b = Browser::for_base(base.clone(), "en");
        let form = b.get("/login").await;
        let t = Instant::now();
        let verify = b.post("/login", &[("csrf", &csrf(&form.body)), ("username", &user.name), ("password", &user.password)]).await;
        let second = Instant::now();
        let page = b.post("/login/verify", &[("csrf", &csrf(&verify.body)), ("code", &code(secret)), ("next", "/f/INBOX")]).await;
        two_steps.push(t.elapsed());
        second_alone.push(second.elapsed());
        assert!(page.url.ends_with("/f/INBOX"), "{} {}", page.url, page.status);
        if i == 0 {
            sessions.push(("with the second step", b));
        }
    }
    // What a plain IMAP client does for the same: connect, LOGIN (no second step exists for
    // it), open the Inbox and fetch what its list shows. (LOGIN, not the harness's
    // AUTHENTICATE PLAIN, whose continuation round trip costs some 40 ms here.)
    let mut plain = Vec::new();
    for user in &without {
        use futures_util::StreamExt;
        let t = Instant::now();
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", d.imap_port)).await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let mut client = async_imap::Client::new(tcp);
        client.read_response().await.unwrap();
        let mut imap = client.login(&user.name, &user.password).await.map_err(|(e, _)| e).unwrap();
        imap.select("INBOX").await.unwrap();
        let rows: Vec<_> = imap.fetch("1:*", "(UID FLAGS ENVELOPE RFC822.SIZE)").await.unwrap().collect().await;
        plain.push(t.elapsed());
        assert_eq!(rows.len(), 1);
        imap.logout().await.unwrap();
    }
    println!("sign-in to the inbox page, ms (n = {n} users each, one sign-in each):");
    println!("  plain IMAP client (LOGIN, SELECT, FETCH) p50 {:>7.1}  p95 {:>7.1}", ms(&mut plain, 50), ms(&mut plain, 95));
    println!("  password only               p50 {:>7.1}  p95 {:>7.1}", ms(&mut password_only, 50), ms(&mut password_only, 95));
    println!("  password, then a code       p50 {:>7.1}  p95 {:>7.1}", ms(&mut two_steps, 50), ms(&mut two_steps, 95));
    println!("    of which the code step    p50 {:>7.1}  p95 {:>7.1}", ms(&mut second_alone, 50), ms(&mut second_alone, 95));

    println!("the inbox list page afterwards, ms (200 requests each, after 20 to warm up):");
    for (what, b) in &sessions {
        for _ in 0..20 {
            b.get("/f/INBOX").await;
        }
        let mut times = Vec::new();
        for _ in 0..200 {
            let t = Instant::now();
            let page = b.get("/f/INBOX").await;
            times.push(t.elapsed());
            assert_eq!(page.status, 200);
        }
        println!("  {what:<27} p50 {:>7.2}  p95 {:>7.2}", ms(&mut times, 50), ms(&mut times, 95));
    }
}
