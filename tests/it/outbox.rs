//! The outbox: a sent message waits on the server for the user's Undo send delay, then goes,
//! once, whichever instance is alive, and whatever happens to the one that took it. What
//! arrives is counted by an independent IMAP client in the recipient's and sender's folders.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use futures_util::TryStreamExt;

use fantoccini::Locator;

use crate::browser::{browser, click, login, shot};
use crate::compose::{arrives, compose_page, search};
use crate::forms::{follow, post_compose};
use crate::harness::*;

/// The outbox on, with a short lease so that a job whose instance died is taken over soon.
fn outbox_on(env: &mut HashMap<String, String>) {
    env.insert("FACTEUR_OUTBOX_ENABLED".into(), "true".into());
    env.insert("FACTEUR_OUTBOX_LEASE_SECONDS".into(), "3".into());
}

/// Chooses the Undo send delay in Settings, as a person would.
async fn set_delay(b: &Browser, seconds: u32) {
    let page = b.get("/settings").await;
    assert!(page.body.contains("name=\"undo_send_seconds\""), "Settings offer the Undo send delay");
    let token = csrf(&page.body);
    let saved = b
        .post("/settings", &[("csrf", &token), ("language", "en"), ("shortcuts", "on"), ("conversations", "on"), ("theme", "system"), ("density", "comfortable"), ("per_page", "50"), ("undo_send_seconds", &seconds.to_string())])
        .await;
    assert_eq!(saved.status, 200);
    assert!(b.get("/settings").await.body.contains(&format!("<option value=\"{seconds}\" selected>")));
}

/// Writes and sends a message; returns the page the send led to.
async fn send(b: &Browser, to: &str, subject: &str, files: &[(&str, Vec<u8>, &str)]) -> Page {
    let (_, mut form) = compose_page(b, "/compose").await;
    form.set("to", to).set("subject", subject).set("body", "Written once, sent once.");
    let res = post_compose(b, &form, "send", files, false).await;
    assert_eq!(res.status().as_u16(), 303, "sending redirects");
    follow(b, res).await
}

/// The outbox job a "Sending…" page offers to take back.
fn job_of(page: &Page) -> String {
    let marker = "data-outbox=\"";
    let i = page.body.find(marker).unwrap_or_else(|| panic!("no Undo for the send on {}: {}", page.url, page.body)) + marker.len();
    page.body[i..].split('"').next().unwrap().to_string()
}

/// Waits until Postfix holds nothing more for `who`, then counts `subject` in their `mailbox`.
async fn count_after_delivery(who: &TestUser, mailbox: &str, subject: &str) -> usize {
    let d = dovecot();
    assert!(eventually(Duration::from_secs(30), || async { d.queued_for(&who.name) == 0 }).await, "Postfix delivers");
    search(&mut who.imap().await, mailbox, "Subject", subject).await.len()
}

#[tokio::test]
async fn undo_takes_the_message_back_with_its_file_and_the_next_send_goes_once_after_the_wait() {
    let app = TestApp::start_with(|_| {}, outbox_on).await;
    let (alice, bob) = (dovecot().user(), dovecot().user());
    let b = Browser::new(&app);
    b.login(&alice).await;
    set_delay(&b, 5).await;

    let subject = "Second thoughts";
    let note = b"a file that must come back".to_vec();
    let page = send(&b, &bob.name, subject, &[("note.txt", note.clone(), "text/plain")]).await;
    assert!(page.url.contains("/f/INBOX"), "{}", page.url);
    assert!(page.body.contains("Sending…"), "{}", page.body);
    let job = job_of(&page);
    let status = b.get(&format!("/outbox/{job}")).await;
    assert!(status.body.contains("\"state\":\"waiting\""), "{}", status.body);

    // Undo, well within the wait: the compose page again, with everything.
    let undone = b.post(&format!("/outbox/{job}/undo"), &[("csrf", &csrf(&page.body))]).await;
    assert_eq!(undone.status, 200);
    assert!(undone.url.contains("/compose"), "{}", undone.url);
    assert!(undone.body.contains("Sending cancelled"), "{}", undone.body);
    assert_eq!(crate::forms::field(&undone.body, "subject"), subject);
    assert_eq!(crate::forms::field(&undone.body, "to"), bob.name);
    assert!(crate::forms::field(&undone.body, "body").contains("Written once, sent once."));
    assert!(undone.body.contains("note.txt"), "the attachment is still there");
    // A second Undo (another tab) finds nothing to take back.
    let again = b.post(&format!("/outbox/{job}/undo"), &[("csrf", &csrf(&page.body))]).await;
    assert!(again.body.contains("no longer waiting"), "{}", again.body);

    // Sent again from the restored form (its send key was given back): after the wait,
    // exactly one copy arrives, with the file, and one is filed in Sent.
    let form = crate::forms::Form::from_page(&undone.body);
    let res = post_compose(&b, &form, "send", &[], false).await;
    let page = follow(&b, res).await;
    let job = job_of(&page);
    let mut bob_imap = bob.imap().await;
    let uid = arrives(&mut bob_imap, "INBOX", subject).await;
    let raw = crate::compose::fetch_raw(&mut bob_imap, "INBOX", uid).await;
    let o = facteur::mail::mime::original(&raw).unwrap();
    assert_eq!(o.attachments.len(), 1);
    assert_eq!(o.attachments[0].bytes, note);
    assert_eq!(count_after_delivery(&bob, "INBOX", subject).await, 1, "the undone send never went");
    let mut alice_imap = alice.imap().await;
    assert!(eventually(Duration::from_secs(10), || async { search(&mut alice.imap().await, "Sent", "Subject", subject).await.len() == 1 }).await);
    assert_eq!(search(&mut alice_imap, "Sent", "Subject", subject).await.len(), 1);
    assert!(eventually(Duration::from_secs(10), || async { b.get(&format!("/outbox/{job}")).await.body.contains("\"state\":\"sent\"") }).await);
    // "sent" from the SMTP server's answer on; the files go when the job ends, once filed.
    let draft = form.get("draft");
    let removed = || async { app.state.uploads.list(&alice.name.to_lowercase(), &draft).await.is_empty() };
    assert!(eventually(Duration::from_secs(10), removed).await, "files removed once sent");
    // Too late now.
    let late = b.post(&format!("/outbox/{job}/undo"), &[("csrf", &csrf(&page.body))]).await;
    assert!(late.body.contains("Too late to undo"), "{}", late.body);
}

#[tokio::test]
async fn with_the_outbox_turned_off_messages_go_at_once_and_settings_do_not_offer_a_delay() {
    let app = TestApp::start_with(|_| {}, |env| drop(env.insert("FACTEUR_OUTBOX_ENABLED".into(), "false".into()))).await;
    let (alice, bob) = (dovecot().user(), dovecot().user());
    let b = Browser::new(&app);
    b.login(&alice).await;
    assert!(!b.get("/settings").await.body.contains("undo_send_seconds"));
    let page = send(&b, &bob.name, "Straight away", &[]).await;
    assert!(page.body.contains("Message sent.") && !page.body.contains("data-outbox"), "{}", page.body);
    assert_eq!(count_after_delivery(&bob, "INBOX", "Straight away").await, 1);
}

/// Facteur's own binary, killable with SIGKILL.
struct Process {
    child: Child,
    base: String,
}

impl Process {
    async fn start(env: &HashMap<String, String>) -> Self {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_facteur"))
            .arg("serve")
            .env_clear()
            .envs(env)
            .env("FACTEUR_LISTEN", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", std::env::var("FACTEUR_TEST_LOG").unwrap_or_else(|_| "warn".into()))
            .stdout(if std::env::var_os("FACTEUR_TEST_LOG").is_some() { Stdio::inherit() } else { Stdio::null() })
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start facteur");
        let up = eventually(Duration::from_secs(30), || async { tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() }).await;
        assert!(up, "facteur did not start");
        Self { child, base: format!("http://127.0.0.1:{port}") }
    }

    /// As a crash or the OOM killer would: no goodbye to anyone.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// As `docker stop` or a deploy would: SIGTERM, then the exit, awaited at most `limit`.
    async fn stop(mut self, limit: Duration) -> std::process::ExitStatus {
        let sent = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(sent.success());
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(std::time::Instant::now() < deadline, "facteur did not stop within {limit:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser signed in as `user` to `facteur`, with an Undo send wait of 5 s.
async fn signed_in(facteur: &Process, user: &TestUser) -> Browser {
    let b = Browser::for_base(facteur.base.clone(), "en");
    b.login(user).await;
    set_delay(&b, 5).await;
    b
}

/// Killed with SIGKILL during the wait, Facteur comes back and sends the message, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_waiting_when_facteur_is_killed_goes_once_after_the_restart() {
    let data = tempfile::tempdir().unwrap();
    let mut env = test_env(data.path(), dovecot().imap_port);
    outbox_on(&mut env);
    let (alice, bob) = (dovecot().user(), dovecot().user());
    let first = Process::start(&env).await;
    let b = signed_in(&first, &alice).await;
    let subject = "Through a crash";
    let page = send(&b, &bob.name, subject, &[]).await;
    job_of(&page);
    first.kill();
    let second = Process::start(&env).await;
    let mut bob_imap = bob.imap().await;
    arrives_within(&mut bob_imap, subject, Duration::from_secs(30)).await;
    assert_eq!(count_after_delivery(&bob, "INBOX", subject).await, 1);
    assert!(eventually(Duration::from_secs(10), || async { search(&mut alice.imap().await, "Sent", "Subject", subject).await.len() == 1 }).await);
    drop(second);
}

/// Stopped with SIGTERM (a deploy, `docker stop`) while a message is in its SMTP transaction,
/// Facteur lets the send end before it exits: with no other instance to take it up, the
/// message arrives, once, and its copy is in Sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_being_sent_when_facteur_is_stopped_goes_before_it_exits() {
    let data = tempfile::tempdir().unwrap();
    let mut env = test_env(data.path(), dovecot().imap_port);
    outbox_on(&mut env);
    env.insert("FACTEUR_SMTP_PORT".into(), slow_smtp(Duration::from_secs(2)).await.to_string());
    let (alice, bob) = (dovecot().user(), dovecot().user());
    let facteur = Process::start(&env).await;
    let b = signed_in(&facteur, &alice).await;
    let subject = "Through a restart";
    let job = job_of(&send(&b, &bob.name, subject, &[]).await);
    // `sending` is recorded just before the SMTP transaction, which then waits 2 s for the server.
    let sending = || async { b.get(&format!("/outbox/{job}")).await.body.contains("\"state\":\"sending\"") };
    assert!(eventually(Duration::from_secs(20), sending).await, "the send starts");
    let status = facteur.stop(Duration::from_secs(15)).await;
    assert!(status.success(), "{status:?}");
    let mut bob_imap = bob.imap().await;
    arrives_within(&mut bob_imap, subject, Duration::from_secs(10)).await;
    assert_eq!(count_after_delivery(&bob, "INBOX", subject).await, 1);
    assert_eq!(search(&mut alice.imap().await, "Sent", "Subject", subject).await.len(), 1, "filed before the exit");
}

async fn arrives_within(imap: &mut Imap, subject: &str, limit: Duration) {
    let deadline = std::time::Instant::now() + limit;
    while search(imap, "INBOX", "Subject", subject).await.is_empty() {
        assert!(std::time::Instant::now() < deadline, "{subject:?} did not arrive");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// An SMTP server in front of the real submission port: `gate` says, as each connection
/// comes, how long it waits before it goes through, or `None` to hold it, silent, for good.
async fn smtp_in_front(gate: impl Fn() -> Option<Duration> + Send + 'static) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let submission = dovecot().submission_port;
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut s, _)) = listener.accept().await {
            let Some(wait) = gate() else {
                held.push(s);
                continue;
            };
            tokio::spawn(async move {
                tokio::time::sleep(wait).await;
                if let Ok(mut up) = tokio::net::TcpStream::connect(("127.0.0.1", submission)).await {
                    let _ = tokio::io::copy_bidirectional(&mut s, &mut up).await;
                }
            });
        }
    });
    port
}

/// An SMTP server that hangs (takes connections and never says a word) until `answer` is set;
/// from then on, connections go through.
async fn hanging_smtp(answer: std::sync::Arc<std::sync::atomic::AtomicBool>) -> u16 {
    smtp_in_front(move || answer.load(std::sync::atomic::Ordering::SeqCst).then_some(Duration::ZERO)).await
}

/// An SMTP server slow to answer: each connection waits `delay`, then goes through.
async fn slow_smtp(delay: Duration) -> u16 {
    smtp_in_front(move || Some(delay)).await
}

/// Two instances on one PostgreSQL, ten messages due at once. The first instance takes what it
/// can and hangs on the SMTP server; it is killed with SIGKILL holding them. The SMTP server
/// answers again, and the second instance sends the rest at once and takes the killed one's
/// jobs over when their leases run out: each of the ten arrives exactly once, and is filed
/// once in Sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_due_messages_on_two_instances_go_once_each_even_when_one_dies_holding_them() {
    let data = tempfile::tempdir().unwrap();
    let db = postgres().database_for(data.path());
    let mut env = test_env(data.path(), dovecot().imap_port);
    outbox_on(&mut env);
    env.insert("FACTEUR_DATABASE_URL".into(), db.clone());
    env.insert("FACTEUR_SECRET_KEY".into(), SHARED_KEY.into());
    let answer = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    env.insert("FACTEUR_SMTP_PORT".into(), hanging_smtp(answer.clone()).await.to_string());
    env.insert("FACTEUR_SMTP_TIMEOUT_SECONDS".into(), "120".into());
    let (alice, bob) = (dovecot().user(), dovecot().user());
    let first = Process::start(&env).await;
    let b = signed_in(&first, &alice).await;
    let subjects: Vec<String> = (0..10).map(|i| format!("Batch message {i}")).collect();
    for s in &subjects {
        job_of(&send(&b, &bob.name, s, &[]).await);
    }
    // Due, and the first instance holds as many as it runs at once, stuck in SMTP.
    let held = || {
        let db = db.clone();
        async move {
            let out = Command::new("psql").args([db.as_str(), "-tAc", "SELECT COUNT(*) FROM outbox WHERE state = 'sending' AND lease_ms > 0"]).output().unwrap();
            String::from_utf8_lossy(&out.stdout).trim().parse::<usize>().unwrap_or(0)
        }
    };
    assert!(eventually(Duration::from_secs(20), || async { held().await == 8 }).await, "the first instance claimed 8 and hangs");
    first.kill();
    answer.store(true, std::sync::atomic::Ordering::SeqCst);
    let second = Process::start(&env).await;
    let mut bob_imap = bob.imap().await;
    for s in &subjects {
        arrives_within(&mut bob_imap, s, Duration::from_secs(40)).await;
    }
    for s in &subjects {
        assert_eq!(count_after_delivery(&bob, "INBOX", s).await, 1, "{s} went once");
    }
    let mut alice_imap = alice.imap().await;
    assert!(eventually(Duration::from_secs(15), || async { search(&mut alice.imap().await, "Sent", "Subject", "Batch message").await.len() == 10 }).await);
    assert_eq!(search(&mut alice_imap, "Sent", "Subject", "Batch message").await.len(), 10);
    // Each job ends just after its copy is filed.
    let states = || {
        let out = Command::new("psql").args([db.as_str(), "-tAc", "SELECT state, COUNT(*) FROM outbox GROUP BY state"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert!(eventually(Duration::from_secs(10), || async { states() == "sent|10" }).await, "every job ended: {}", states());
    drop(second);
}

/// In Chromium: Send shows "Sending… Undo"; Undo brings the form back as it was; sent again,
/// the notice turns into "Message sent." by itself once the wait is over, on a phone too.
/// Then the Send later and Snooze menus.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_undo_brings_the_message_back_and_the_notice_follows_the_send() {
    let app = TestApp::start_with(|_| {}, outbox_on).await;
    let (alice, bob) = (dovecot().user(), dovecot().user());
    // Five seconds, chosen before signing in (preferences are read then).
    let prefs = facteur::store::prefs::Preferences { undo_send_seconds: 5, ..Default::default() };
    facteur::store::prefs::set(&app.state.db, &facteur::web::auth::user_key(&alice.name), &prefs).await.unwrap();
    append(&mut alice.imap().await, "INBOX", &numbered_message(1)).await;
    let (_driver, c) = browser(true).await;
    c.set_window_size(1280, 900).await.expect("window size");
    login(&c, &app, &alice).await;
    c.goto(&app.url("/compose")).await.unwrap();
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("form#compose")).await.expect("the compose page");
    let subject = "Sent, then not";
    c.find(Locator::Css("#to")).await.unwrap().send_keys(&bob.name).await.unwrap();
    c.find(Locator::Css("#subject")).await.unwrap().send_keys(subject).await.unwrap();
    c.find(Locator::Css("#body")).await.unwrap().send_keys("On second thought…").await.unwrap();
    click(&c, "button.send").await;
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("#notice form[data-outbox]")).await.expect("Sending… Undo");
    let notice = c.find(Locator::Css("#notice")).await.unwrap().text().await.unwrap();
    assert!(notice.contains("Sending…") && notice.contains("Undo"), "{notice}");
    // Undo at once: the wait is 5 s. (The notice is looked at, and axe run on it, during the
    // next send, where nothing hangs on the time that takes.)
    click(&c, "#notice form[data-outbox] button").await;
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("form#compose")).await.expect("the form is back");
    let notice = c.find(Locator::Css("#notice")).await.unwrap().text().await.unwrap();
    assert!(notice.contains("Sending cancelled"), "{notice}");
    let back = c.find(Locator::Css("#subject")).await.unwrap().prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(back, subject);
    shot(&c, "outbox-undone-desktop").await;

    c.set_window_size(390, 844).await.expect("window size");
    click(&c, "button.send").await;
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("#notice form[data-outbox]")).await.expect("Sending… Undo");
    shot(&c, "outbox-sending-phone").await;
    let findings = crate::accessibility::axe(&c, &crate::accessibility::axe_source()).await;
    assert!(findings.is_empty(), "{findings:?}");
    let sent = eventually(Duration::from_secs(25), || async {
        let text = c.find(Locator::Css("#notice")).await.ok();
        let text = match text {
            Some(e) => e.text().await.unwrap_or_default(),
            None => String::new(),
        };
        text.contains("Message sent.") && c.find(Locator::Css("#notice form[data-outbox]")).await.is_err()
    })
    .await;
    assert!(sent, "the notice says the message went");
    shot(&c, "outbox-sent-phone").await;
    assert_eq!(count_after_delivery(&bob, "INBOX", subject).await, 1);

    // Send later, from the menu next to Send: the Scheduled page lists it.
    c.set_window_size(1280, 900).await.expect("window size");
    c.goto(&app.url("/compose")).await.unwrap();
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("form#compose")).await.expect("the compose page");
    c.find(Locator::Css("#to")).await.unwrap().send_keys(&bob.name).await.unwrap();
    c.find(Locator::Css("#subject")).await.unwrap().send_keys("For tomorrow").await.unwrap();
    click(&c, "details.send-later > summary").await;
    shot(&c, "outbox-send-later-menu").await;
    click(&c, "button[value='later:tomorrow']").await;
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("li.scheduled-row")).await.expect("the Scheduled page");
    let row = c.find(Locator::Css("li.scheduled-row")).await.unwrap().text().await.unwrap();
    assert!(row.contains("For tomorrow") && row.contains("8:00"), "{row}");
    shot(&c, "outbox-scheduled").await;
    let findings = crate::accessibility::axe(&c, &crate::accessibility::axe_source()).await;
    assert!(findings.is_empty(), "{findings:?}");

    // Snooze, from a message's toolbar at phone size: it leaves for the Snoozed page.
    let mut imap = alice.imap().await;
    let (uid, uv) = append(&mut imap, "INBOX", &trip_message("Read me on Monday", "<monday@example.org>", None, 5)).await;
    c.set_window_size(390, 844).await.expect("window size");
    c.goto(&app.url(&format!("/m/INBOX/{uv}/{uid}"))).await.unwrap();
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("article.message")).await.expect("the message");
    click(&c, "details.snooze-menu > summary").await;
    shot(&c, "snooze-menu-phone").await;
    let findings = crate::accessibility::axe(&c, &crate::accessibility::axe_source()).await;
    assert!(findings.is_empty(), "{findings:?}");
    click(&c, "button[name='snooze'][value='monday']").await;
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("#notice")).await.expect("a notice");
    let notice = c.find(Locator::Css("#notice")).await.unwrap().text().await.unwrap();
    assert!(notice.contains("Snoozed until") && notice.contains("8:00"), "{notice}");
    c.goto(&app.url("/snoozed")).await.unwrap();
    let row = c.find(Locator::Css("li.scheduled-row")).await.unwrap().text().await.unwrap();
    assert!(row.contains("Read me on Monday"), "{row}");
    assert!(search(&mut imap, "Snoozed", "Subject", "Read me on Monday").await.len() == 1);
}

/// The jobs a Scheduled page lists, in its order.
fn scheduled_ids(body: &str) -> Vec<String> {
    body.split("action=\"/scheduled/").skip(1).filter_map(|s| s.split('"').next()).map(String::from).collect()
}

/// A time `seconds` from now as a `datetime-local` field with seconds writes it, in Paris.
fn in_paris(seconds: i64) -> String {
    let ms = facteur::clock::unix_ms() + seconds * 1000;
    let paris = facteur::web::format::UserZone::named("Europe/Paris", 60);
    format!("{}:{:02}", facteur::web::format::datetime_local(ms, paris), (ms / 1000) % 60)
}

/// A browser in Paris in winter, as the page's script tells the server: the zone's name, and
/// the offset of the day (UTC+1).
fn from_paris(app: &TestApp) -> Browser {
    let b = Browser::new(app);
    let url = app.url("/").parse().unwrap();
    b.jar.add_cookie_str("facteur_tz=60", &url);
    b.jar.add_cookie_str("facteur_zone=Europe/Paris", &url);
    b
}

/// Facteur with the outbox on, and Alice signed in from Paris, writing to Bob.
async fn alice_in_paris() -> (TestApp, TestUser, TestUser, Browser) {
    let app = TestApp::start_with(|_| {}, outbox_on).await;
    let (alice, bob) = (dovecot().user(), dovecot().user());
    let b = from_paris(&app);
    b.login(&alice).await;
    (app, alice, bob, b)
}

/// 9:00 in Paris on the coming 15 January and 15 July is 8:00 UTC in winter and 7:00 UTC in
/// summer, whatever the offset of the day the time is chosen on.
#[tokio::test]
async fn send_later_keeps_the_chosen_time_of_day_across_summer_time() {
    let (app, alice, bob, b) = alice_in_paris().await;
    let today = time::OffsetDateTime::now_utc().date();
    let mut expected = Vec::new();
    for (month, utc_hour) in [(time::Month::January, 8), (time::Month::July, 7)] {
        let this_year = time::Date::from_calendar_date(today.year(), month, 15).unwrap();
        let day = if this_year > today.next_day().unwrap() { this_year } else { this_year.replace_year(today.year() + 1).unwrap() };
        let subject = format!("Planned for {day}");
        let (_, mut form) = compose_page(&b, "/compose").await;
        form.set("to", &bob.name).set("subject", &subject).set("body", "Later.").set("send_at", &format!("{day}T09:00"));
        let listed = follow(&b, post_compose(&b, &form, "later:at", &[], false).await).await;
        assert!(listed.body.contains("Scheduled: it goes") && listed.body.contains("9:00 AM"), "{}", listed.body);
        let utc = time::PrimitiveDateTime::new(day, time::Time::from_hms(utc_hour, 0, 0).unwrap()).assume_utc();
        expected.push(utc.unix_timestamp() * 1000);
    }
    expected.sort();
    let due: Vec<i64> = sqlx::query_scalar("SELECT due_ms FROM outbox WHERE username = $1 ORDER BY due_ms")
        .bind(&alice.name)
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(due, expected);
}

#[tokio::test]
async fn send_later_waits_in_drafts_marked_scheduled_then_goes_once_at_its_new_time() {
    let (_app, alice, bob, b) = alice_in_paris().await;
    let (page, mut form) = compose_page(&b, "/compose").await;
    assert!(page.body.contains("value=\"later:tomorrow\"") && page.body.contains("value=\"later:monday\""));
    let subject = "Agenda for Monday";
    form.set("to", &bob.name).set("subject", subject).set("body", "Items for the meeting.");

    // A time gone by is refused, and the form is kept.
    form.set("send_at", "2020-01-01T10:00");
    let past = follow(&b, post_compose(&b, &form, "later:at", &[], false).await).await;
    assert_eq!(past.status, 422);
    assert!(past.body.contains("Choose a time to come"), "{}", past.body);
    assert_eq!(crate::forms::field(&past.body, "subject"), subject);

    // Tomorrow morning: the Scheduled page lists it at 8:00, and Drafts holds it, marked.
    let res = post_compose(&b, &form, "later:tomorrow", &[], false).await;
    assert_eq!(res.status().as_u16(), 303);
    let listed = follow(&b, res).await;
    assert!(listed.url.ends_with("/scheduled") || listed.url.contains("/scheduled?"), "{}", listed.url);
    assert!(listed.body.contains("Scheduled: it goes") && listed.body.contains("8:00 AM") && listed.body.contains(subject), "{}", listed.body);
    let ids = scheduled_ids(&listed.body);
    assert_eq!(ids.len(), 1);
    let mut alice_imap = alice.imap().await;
    let drafts = search(&mut alice_imap, "Drafts", "Subject", subject).await;
    assert_eq!(drafts.len(), 1, "other devices see it in Drafts");
    assert!(flags_of(&mut alice_imap, "Drafts", drafts[0]).await.iter().any(|f| f.contains("$Scheduled")));

    // A new time, a few seconds away: it goes then, once; the draft leaves Drafts for Sent.
    let moved = b.post(&format!("/scheduled/{}", ids[0]), &[("csrf", &csrf(&listed.body)), ("op", "reschedule"), ("send_at", &in_paris(8))]).await;
    assert!(moved.body.contains("Scheduled: it goes"), "{}", moved.body);
    assert_eq!(search(&mut bob.imap().await, "INBOX", "Subject", subject).await.len(), 0, "not before its time");
    let mut bob_imap = bob.imap().await;
    arrives_within(&mut bob_imap, subject, Duration::from_secs(30)).await;
    assert_eq!(count_after_delivery(&bob, "INBOX", subject).await, 1);
    assert!(eventually(Duration::from_secs(10), || async { search(&mut alice.imap().await, "Sent", "Subject", subject).await.len() == 1 }).await);
    // The copy is filed in Sent first, then the draft goes, then the job ends: moments apart.
    assert!(
        eventually(Duration::from_secs(10), || async { search(&mut alice.imap().await, "Drafts", "Subject", subject).await.is_empty() }).await,
        "the draft is gone once sent"
    );
    assert!(eventually(Duration::from_secs(10), || async { b.get("/scheduled").await.body.contains("No message is waiting") }).await, "the job ended");
}

#[tokio::test]
async fn a_scheduled_message_is_cancelled_into_a_plain_draft_or_taken_back_to_edit() {
    let (_app, alice, bob, b) = alice_in_paris().await;
    for (subject, op) in [("Maybe not", "cancel"), ("Needs a change", "edit")] {
        let (_, mut form) = compose_page(&b, "/compose").await;
        form.set("to", &bob.name).set("subject", subject).set("body", "Later.").set("send_at", &in_paris(3600));
        let listed = follow(&b, post_compose(&b, &form, "later:at", &[], false).await).await;
        let id = scheduled_ids(&listed.body).into_iter().last().expect("listed");
        let done = b.post(&format!("/scheduled/{id}"), &[("csrf", &csrf(&listed.body)), ("op", op)]).await;
        let mut imap = alice.imap().await;
        let drafts = search(&mut imap, "Drafts", "Subject", subject).await;
        assert_eq!(drafts.len(), 1, "{op}: the message stays in Drafts");
        assert!(!flags_of(&mut imap, "Drafts", drafts[0]).await.iter().any(|f| f.contains("$Scheduled")), "{op}: no longer marked");
        assert!(!b.get("/scheduled").await.body.contains(subject), "{op}: no longer scheduled");
        if op == "cancel" {
            assert!(done.body.contains("the message stays in Drafts"), "{}", done.body);
        } else {
            assert!(done.url.contains("/compose") && done.body.contains("Not scheduled any more"), "{}", done.body);
            assert_eq!(crate::forms::field(&done.body, "subject"), subject);
            assert_eq!(crate::forms::field(&done.body, "replaces"), format!("{}:{}", imap.select("Drafts").await.unwrap().uid_validity.unwrap(), drafts[0]), "it goes on as that draft");
        }
    }
    // A message in its Undo send wait is listed too; cancelled there, it has no draft to stay
    // in, so it comes back to the compose page, as with Undo.
    let (_, mut form) = compose_page(&b, "/compose").await;
    form.set("to", &bob.name).set("subject", "In its wait").set("body", "Ten seconds.");
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    let job = job_of(&page);
    let listed = b.get("/scheduled").await;
    assert!(scheduled_ids(&listed.body).contains(&job) && listed.body.contains("In its wait"));
    let back = b.post(&format!("/scheduled/{job}"), &[("csrf", &csrf(&listed.body)), ("op", "cancel")]).await;
    assert!(back.url.contains("/compose") && back.body.contains("Sending cancelled"), "{}", back.body);
    assert_eq!(crate::forms::field(&back.body, "subject"), "In its wait");
    // A job of another user, or none, is not found; a made-up id is refused before anything.
    let page = b.get("/scheduled").await;
    let gone = b.post("/scheduled/nosuchjob", &[("csrf", &csrf(&page.body)), ("op", "cancel")]).await;
    assert!(gone.body.contains("Too late to undo") || gone.body.contains("no longer"), "{}", gone.body);
    assert_eq!(b.post("/scheduled/bad%0Aid", &[("csrf", &csrf(&page.body)), ("op", "cancel")]).await.status, 404);
    tokio::time::sleep(Duration::from_secs(11)).await;
    let went = count_after_delivery(&bob, "INBOX", "Maybe not").await + count_after_delivery(&bob, "INBOX", "Needs a change").await + count_after_delivery(&bob, "INBOX", "In its wait").await;
    assert_eq!(went, 0, "nothing went");
}

/// The snoozes a Snoozed page lists, in its order.
fn snoozed_ids(body: &str) -> Vec<String> {
    body.split("action=\"/snoozed/").skip(1).filter_map(|s| s.split('"').next()).map(String::from).collect()
}

fn trip_message(subject: &str, id: &str, in_reply_to: Option<&str>, minute: u32) -> Vec<u8> {
    let reply = in_reply_to.map(|r| format!("In-Reply-To: {r}\r\nReferences: {r}\r\n")).unwrap_or_default();
    format!(
        "From: Chloé Martin <chloe@example.org>\r\nTo: someone@example.test\r\nSubject: {subject}\r\n\
         Date: Mon, 2 Mar 2026 10:{minute:02}:00 +0000\r\nMessage-ID: {id}\r\n{reply}\r\nAbout the trip.\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn a_snoozed_conversation_waits_in_snoozed_then_comes_back_unread_to_the_top_of_the_inbox() {
    let app = TestApp::start_with(|_| {}, outbox_on).await;
    let alice = dovecot().user();
    let mut imap = alice.imap().await;
    let (first, uv) = append(&mut imap, "INBOX", &trip_message("Trip plans", "<trip1@example.org>", None, 1)).await;
    let (reply, _) = append(&mut imap, "INBOX", &trip_message("Re: Trip plans", "<trip2@example.org>", Some("<trip1@example.org>"), 2)).await;
    let (newer, _) = append(&mut imap, "INBOX", &trip_message("Newer news", "<news@example.org>", None, 3)).await;
    imap.select("INBOX").await.unwrap();
    let _: Vec<_> = imap.uid_store(format!("{first},{reply}"), "+FLAGS (\\Seen)").await.unwrap().try_collect().await.unwrap();
    let _: Vec<_> = imap.uid_store(first.to_string(), "+FLAGS ($label1)").await.unwrap().try_collect().await.unwrap();
    let b = from_paris(&app);
    b.login(&alice).await;
    // A device with notifications on hears when they come back.
    let (service, pushes) = crate::push::push_service().await;
    let phone = crate::push::Device::new();
    let settings = b.get("/settings").await;
    let (p256dh, auth) = (B64.encode(phone.public()), B64.encode(phone.auth));
    let endpoint = format!("http://127.0.0.1:{service}/push/phone");
    let on = b.raw_post("/settings/notifications", &[("csrf", &csrf(&settings.body)), ("op", "on"), ("endpoint", &endpoint), ("p256dh", &p256dh), ("auth", &auth), ("preview", "1")]).await;
    assert_eq!(on.status().as_u16(), 204);
    let page = b.get("/f/INBOX").await;
    assert!(page.body.contains("name=\"snooze\" value=\"tomorrow\"") && page.body.contains("name=\"snooze\" value=\"monday\""), "{}", page.body);
    let (token, uv, both) = (csrf(&page.body), uv.to_string(), format!("{first},{reply}"));
    let snooze = |at: String| {
        let (b, token, uv, both) = (&b, token.clone(), uv.clone(), both.clone());
        async move { b.post("/f/INBOX/actions", &[("csrf", &token), ("uidvalidity", &uv), ("uid", &both), ("snooze", "at"), ("snooze_at", &at)]).await }
    };

    // A time gone by is refused, and nothing moves.
    let past = snooze("2020-01-01T10:00".into()).await;
    assert!(past.body.contains("Choose a time to come"), "{}", past.body);
    assert_eq!(search(&mut imap, "INBOX", "Subject", "Trip plans").await.len(), 2);

    // For an hour: the conversation leaves the Inbox for Snoozed, as another mail app sees.
    let done = snooze(in_paris(3600)).await;
    assert!(done.body.contains("2 messages snoozed until"), "{}", done.body);
    assert!(search(&mut imap, "INBOX", "Subject", "Trip plans").await.is_empty());
    assert_eq!(search(&mut imap, "Snoozed", "Subject", "Trip plans").await.len(), 2);
    let listed = b.get("/snoozed").await;
    assert!(listed.body.contains("Trip plans") && listed.body.contains("Chloé Martin") && listed.body.contains("and 1 more message"), "{}", listed.body);
    let ids = snoozed_ids(&listed.body);
    assert_eq!(ids.len(), 1);
    // Snoozing again from the Snoozed folder points to this page, and changes nothing.
    let snoozed_folder = b.get("/f/Snoozed").await;
    assert!(snoozed_folder.body.contains("Trip plans"));
    let in_snoozed = search(&mut imap, "Snoozed", "Subject", "Trip plans").await;
    let snoozed_uv = imap.select("Snoozed").await.unwrap().uid_validity.unwrap().to_string();
    let again = b
        .post("/f/Snoozed/actions", &[("csrf", &token), ("uidvalidity", &snoozed_uv), ("uid", &in_snoozed[0].to_string()), ("snooze", "tomorrow")])
        .await;
    assert!(again.url.contains("/snoozed") && again.body.contains("snoozed already"), "{}", again.body);
    assert_eq!(snoozed_ids(&b.get("/snoozed").await.body).len(), 1);

    // A new time, a few seconds away: back then, at the top of the Inbox, unread, label kept.
    let moved = b.post(&format!("/snoozed/{}", ids[0]), &[("csrf", &csrf(&listed.body)), ("op", "reschedule"), ("snooze_at", &in_paris(6))]).await;
    assert!(moved.body.contains("Snoozed until"), "{}", moved.body);
    assert!(
        eventually(Duration::from_secs(20), || async { search(&mut alice.imap().await, "INBOX", "Subject", "Trip plans").await.len() == 2 }).await,
        "back in the Inbox"
    );
    let back = search(&mut imap, "INBOX", "Subject", "Trip plans").await;
    assert!(back.iter().all(|u| *u > newer), "newer than what came meanwhile: {back:?} after {newer}");
    for uid in &back {
        assert!(!flags_of(&mut imap, "INBOX", *uid).await.iter().any(|f| f.contains("Seen")), "unread again");
    }
    assert!(flags_of(&mut imap, "INBOX", back[0]).await.iter().any(|f| f.contains("$label1")), "its label kept");
    // The copies are appended first, then the originals leave Snoozed: a moment apart.
    assert!(
        eventually(Duration::from_secs(10), || async { search(&mut alice.imap().await, "Snoozed", "Subject", "Trip plans").await.is_empty() }).await,
        "gone from Snoozed"
    );
    let inbox = b.get("/f/INBOX").await.body;
    let (trip, news) = (inbox.find("Trip plans").expect("listed"), inbox.find("Newer news").expect("listed"));
    assert!(trip < news, "at the top of the list");
    assert!(eventually(Duration::from_secs(10), || async { b.get("/snoozed").await.body.contains("No message is snoozed") }).await, "the job ended");
    assert!(eventually(Duration::from_secs(10), || async { !pushes.lock().unwrap().is_empty() }).await, "a push says they are back");
    let push = pushes.lock().unwrap()[0].clone();
    let shown: serde_json::Value = serde_json::from_slice(&phone.decrypt(&push.body).expect("authentic")).unwrap();
    assert_eq!(shown["title"], "Back from snooze: Chloé Martin", "{shown}");
    assert_eq!(shown["body"], "Trip plans");
    // Over: "bring back now" finds nothing; a made-up id is refused before anything.
    let over = b.post(&format!("/snoozed/{}", ids[0]), &[("csrf", &token), ("op", "wake")]).await;
    assert!(over.body.contains("This snooze is over"), "{}", over.body);
    assert_eq!(b.raw_post("/snoozed/no%20such", &[("csrf", &token), ("op", "wake")]).await.status().as_u16(), 404);
}

/// A run that stopped after putting a snoozed message back but before removing it from
/// Snoozed (state `sending`, as a SIGKILL there leaves it): the next run brings it back once.
#[tokio::test]
async fn a_snooze_interrupted_after_its_append_brings_the_message_back_once() {
    let app = TestApp::start_with(|_| {}, outbox_on).await;
    let alice = dovecot().user();
    let mut imap = alice.imap().await;
    let raw = trip_message("Half way back", "<halfway@example.org>", None, 7);
    let (uid, uv) = append(&mut imap, "INBOX", &raw).await;
    let b = from_paris(&app);
    b.login(&alice).await;
    let page = b.get("/f/INBOX").await;
    let done = b
        .post("/f/INBOX/actions", &[("csrf", &csrf(&page.body)), ("uidvalidity", &uv.to_string()), ("uid", &uid.to_string()), ("snooze", "tomorrow")])
        .await;
    assert!(done.body.contains("Snoozed until"), "{}", done.body);
    assert_eq!(search(&mut imap, "Snoozed", "Subject", "Half way back").await.len(), 1);
    // What the interrupted run did: the copy in the Inbox, the job left `sending` and due.
    append(&mut imap, "INBOX", &raw).await;
    let changed = sqlx::query("UPDATE outbox SET state = 'sending', due_ms = 0 WHERE kind = 'unsnooze' AND state = 'waiting'")
        .execute(&app.state.db)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 1);
    assert!(
        eventually(Duration::from_secs(20), || async { search(&mut alice.imap().await, "Snoozed", "Subject", "Half way back").await.is_empty() }).await,
        "taken out of Snoozed"
    );
    assert_eq!(search(&mut imap, "INBOX", "Subject", "Half way back").await.len(), 1, "back once");
}

/// What a run killed after the SMTP server's answer leaves: a job `accepted` (the server took
/// the message; not filed yet), or `sending` with its copy already in Sent (killed after
/// filing, before the record). The next run files the first once and ends the second; neither
/// is sent again.
#[tokio::test]
async fn a_send_interrupted_after_the_smtp_answer_is_filed_once_and_not_sent_again() {
    let app = TestApp::start_with(|_| {}, outbox_on).await;
    let (alice, bob) = (dovecot().user(), dovecot().user());
    let b = Browser::new(&app);
    b.login(&alice).await;
    set_delay(&b, 30).await;
    let (accepted, filed) = ("Taken by the server, then a crash", "Taken and filed, then a crash");
    let job_a = job_of(&send(&b, &bob.name, accepted, &[]).await);
    let job_f = job_of(&send(&b, &bob.name, filed, &[]).await);
    let meta: Vec<u8> = sqlx::query_scalar("SELECT meta FROM outbox WHERE id = $1").bind(&job_f).fetch_one(&app.state.db).await.unwrap();
    let message_id = facteur::outbox::open_meta(&app.state.server_key, &job_f, &meta).unwrap().message_id;
    let copy = format!("From: {}\r\nTo: {}\r\nSubject: {filed}\r\nMessage-ID: {message_id}\r\n\r\nWritten once, sent once.\r\n", alice.name, bob.name);
    append(&mut alice.imap().await, "Sent", copy.as_bytes()).await;
    for (id, state) in [(&job_a, "accepted"), (&job_f, "sending")] {
        let changed = sqlx::query("UPDATE outbox SET state = $2, due_ms = 0 WHERE id = $1 AND state = 'waiting'")
            .bind(id)
            .bind(state)
            .execute(&app.state.db)
            .await
            .unwrap()
            .rows_affected();
        assert_eq!(changed, 1, "{state}: still waiting when the crash is staged");
    }
    let db = app.state.db.clone();
    let ended = |id: String| {
        let db = db.clone();
        async move {
            let state: String = sqlx::query_scalar("SELECT state FROM outbox WHERE id = $1").bind(&id).fetch_one(&db).await.unwrap();
            state == "sent"
        }
    };
    assert!(eventually(Duration::from_secs(20), || ended(job_a.clone())).await, "the accepted one ends");
    assert!(eventually(Duration::from_secs(20), || ended(job_f.clone())).await, "the filed one ends");
    let mut imap = alice.imap().await;
    assert_eq!(search(&mut imap, "Sent", "Subject", accepted).await.len(), 1, "filed once");
    assert_eq!(search(&mut imap, "Sent", "Subject", filed).await.len(), 1, "not filed twice");
    // The SMTP server never got them here (the crash was staged): nothing was sent again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(count_after_delivery(&bob, "INBOX", accepted).await, 0);
    assert_eq!(count_after_delivery(&bob, "INBOX", filed).await, 0);
}
