//! Finding mail in a 100,000-message folder, against a real Dovecot: searches (`from:`,
//! `subject:`, a body word with and without a full-text index, every folder at once), the
//! date-sorted list (first page and deep), a 10-message conversation spread over three
//! folders, and the list by conversation.
//!
//!     cargo bench --bench finding      (FACTEUR_BENCH_MESSAGES, FACTEUR_BENCH_ROUNDS to scale;
//!                                       FACTEUR_BENCH_FTS=0 leaves out fts-xapian, whose
//!                                       index of 100,000 messages takes five minutes to build)
//!
//! Each page through Facteur (a release build in its own process, warm session) is printed
//! next to the IMAP commands the same page needs, sent by a plain client on a connection of
//! its own. Figures, not assertions: this is not a test.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(dead_code)]
#[path = "../tests/it/harness.rs"]
mod harness;
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use harness::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TOPICS: [&str; 7] = ["Budget", "Travel", "Invoice", "Meeting", "Garden", "Concert", "Report"];
const WORDS: [&str; 8] = ["kiwi", "mango", "plum", "fig", "lime", "pear", "date", "yuzu"];
const MONTHS: [&str; 6] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun"];

/// Message `i`: one of 500 senders, a topic, a Date header in no particular order, a body
/// with a rare word (`kiwi17` is in about one message in 800) and a varied size.
fn message(i: usize, folder: &str) -> Vec<u8> {
    let a = i % 500;
    let topic = TOPICS[i % TOPICS.len()];
    let word = format!("{}{}", WORDS[i % WORDS.len()], i % 101);
    format!(
        "From: Person {a} <p{a}@example.org>\r\nTo: me@example.test\r\nSubject: {topic} report {i}\r\n\
         Date: {} {} 2026 {:02}:{:02}:00 +0000\r\nMessage-ID: <{folder}{i}@example.org>\r\n\r\n\
         Hello,\r\n\r\nThis is message {i} about {topic}. Keyword: {word}.\r\n{}\r\n",
        1 + (i * 7) % 28,
        MONTHS[(i / 28) % MONTHS.len()],
        (i * 13) % 24,
        i % 60,
        "x".repeat((i * 7919) % 3000)
    )
    .into_bytes()
}

/// Message `n` (1 to 10) of the benchmark's conversation.
fn thread_message(n: usize) -> Vec<u8> {
    let id = |n: usize| format!("<bench-thread-{n}@example.org>");
    let refs: Vec<String> = (1..n).map(id).collect();
    let mut h = format!(
        "From: Person {n} <p{n}@example.org>\r\nTo: me@example.test\r\nSubject: {}Quarterly plan\r\n\
         Date: {n} Jul 2026 09:00:00 +0000\r\nMessage-ID: {}\r\n",
        if n > 1 { "Re: " } else { "" },
        id(n)
    );
    if n > 1 {
        h.push_str(&format!("In-Reply-To: {}\r\nReferences: {}\r\n", id(n - 1), refs.join(" ")));
    }
    format!("{h}\r\nPart {n} of the plan.\r\n").into_bytes()
}

/// Where each message of the conversation goes.
fn thread_folder(n: usize) -> &'static str {
    ["INBOX", "Sent", "Archive"][n % 3]
}

/// A plain IMAP client: commands written as they are, replies read to their tagged line.
struct Raw {
    tcp: TcpStream,
    n: u32,
}

impl Raw {
    async fn login(user: &TestUser) -> Self {
        let mut tcp = TcpStream::connect(("127.0.0.1", user.port)).await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = tcp.read(&mut buf).await.unwrap();
        let mut raw = Raw { tcp, n: 0 };
        let r = raw.cmd(&format!("LOGIN \"{}\" \"{}\"", user.name, user.password)).await;
        assert!(r.contains(" OK"), "{r}");
        raw
    }

    /// Sends `command` and returns its replies.
    async fn cmd(&mut self, command: &str) -> String {
        self.n += 1;
        let tag = format!("r{}", self.n);
        self.tcp.write_all(format!("{tag} {command}\r\n").as_bytes()).await.unwrap();
        let mut out = Vec::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = self.tcp.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed");
            out.extend_from_slice(&buf[..n]);
            if out.ends_with(b"\r\n") {
                let body = &out[..out.len() - 2];
                let start = body.iter().rposition(|b| *b == b'\n').map(|i| i + 1).unwrap_or(0);
                if out[start..].starts_with(format!("{tag} ").as_bytes()) {
                    let text = String::from_utf8_lossy(&out).into_owned();
                    assert!(text[start..].starts_with(&format!("{tag} OK")), "{command}: {}", &text[start..]);
                    return text;
                }
            }
        }
    }
}

/// The UIDs of an ESEARCH reply's `PARTIAL (a:b uids)`.
fn partial(reply: &str) -> String {
    reply.split("PARTIAL (").nth(1).and_then(|r| r.split(')').next()).and_then(|r| r.split_whitespace().nth(1)).unwrap_or("NIL").to_string()
}

const ROW: &str = "(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT CONTENT-TYPE)])";
const CONVERSATION_ROW: &str =
    "(UID FLAGS RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT CONTENT-TYPE MESSAGE-ID IN-REPLY-TO REFERENCES)])";

/// What a search page needs from the server, folder by folder: the newest 50 matches and
/// their count, their rows and their previews.
async fn raw_search(raw: &mut Raw, folders: &[&str], keys: &str) {
    for f in folders {
        raw.cmd(&format!("SELECT \"{f}\"")).await;
        let r = raw.cmd(&format!("UID SORT RETURN (COUNT PARTIAL 1:50) (REVERSE ARRIVAL) UTF-8 {keys}")).await;
        let uids = partial(&r);
        if uids != "NIL" {
            raw.cmd(&format!("UID FETCH {uids} {ROW}")).await;
            raw.cmd(&format!("UID FETCH {uids} (UID PREVIEW)")).await;
        }
    }
}

/// What a sorted list page needs: its 50 UIDs in order, their rows and previews.
async fn raw_sorted(raw: &mut Raw, first: usize) {
    raw.cmd("NOOP").await;
    let r = raw.cmd(&format!("UID SORT RETURN (PARTIAL {first}:{}) (REVERSE DATE) UTF-8 ALL", first + 49)).await;
    let uids = partial(&r);
    raw.cmd(&format!("UID FETCH {uids} {ROW}")).await;
    raw.cmd(&format!("UID FETCH {uids} (UID PREVIEW)")).await;
}

fn p(v: &mut [Duration], q: usize) -> f64 {
    common::ms(v, q)
}

async fn timed<F: AsyncFnMut()>(rounds: usize, mut f: F) -> Vec<Duration> {
    let mut out = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        f().await;
        out.push(t.elapsed());
    }
    out
}

fn row(name: &str, mut facteur: Vec<Duration>, mut raw: Vec<Duration>) {
    println!(
        "{name:<44} {:>8.2} {:>8.2}   {:>8.2} {:>8.2}   {:>5}",
        p(&mut facteur, 50),
        p(&mut facteur, 95),
        p(&mut raw, 50),
        p(&mut raw, 95),
        facteur.len()
    );
}

async fn get_ok(b: &Browser, path: &str) {
    let page = b.get(path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
}

#[tokio::main]
async fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("finding benchmark: run it with `cargo bench --bench finding`");
        return;
    }
    let total = common::env_usize("FACTEUR_BENCH_MESSAGES", 100_000);
    let rounds = common::env_usize("FACTEUR_BENCH_ROUNDS", 100);
    let d = dovecot();
    let user = d.user();

    let started = Instant::now();
    let inbox: Vec<Vec<u8>> = (1..=total).map(|i| message(i, "inbox")).collect();
    user.bulk_append("INBOX", &inbox).await;
    drop(inbox);
    for f in ["Sent", "Archive"] {
        let some: Vec<Vec<u8>> = (1..=2000).map(|i| message(i, f)).collect();
        user.bulk_append(f, &some).await;
    }
    let mut imap = user.imap().await;
    for n in 1..=10 {
        append(&mut imap, thread_folder(n), &thread_message(n)).await;
    }
    let mb = imap.select("INBOX").await.unwrap();
    let (uv, last_inbox) = (mb.uid_validity.unwrap(), mb.uid_next.unwrap() - 1);
    println!("seeded {total} messages in INBOX, 2,000 in Sent and in Archive, in {:.1} s", started.elapsed().as_secs_f64());

    let facteur = common::Facteur::start(d).await;
    let b = Browser::for_base(facteur.base.clone(), "en");
    b.login(&user).await;
    let mut raw = Raw::login(&user).await;
    let folders = ["INBOX", "Sent", "Archive", "Drafts"];

    let searches = [
        ("search from:", "/search?q=from%3Ap123%40example.org", "FROM \"p123@example.org\""),
        ("search subject:", "/search?q=subject%3A%22report%204242%22", "SUBJECT \"report 4242\""),
        ("search a body word, no index", "/search?q=kiwi17", "TEXT \"kiwi17\""),
        ("search every folder (in:anywhere subject:)", "/search?q=in%3Aanywhere+subject%3Aplan", "SUBJECT \"plan\""),
    ];
    println!();
    println!("{:<44} {:>17}   {:>17}   {:>5}", "milliseconds", "Facteur p50  p95", "IMAP p50  p95", "n");
    for (name, path, keys) in searches {
        let all = ["INBOX", "Sent", "Archive", "Drafts", "Junk", "Trash"];
        let which: &[&str] = if path.contains("anywhere") { &all } else { &folders };
        // Warm both: the first search of a header builds Dovecot's cache for it.
        for _ in 0..3 {
            get_ok(&b, path).await;
            raw_search(&mut raw, which, keys).await;
        }
        let n = if name.contains("body") { rounds.min(10) } else { rounds };
        let f = timed(n, async || get_ok(&b, path).await).await;
        let r = timed(n, async || raw_search(&mut raw, which, keys).await).await;
        row(name, f, r);
    }

    // The date-sorted list: its first page and one deep in the folder.
    let deep = (total / 50 / 2).clamp(2, 1000);
    for (name, page) in [("date-sorted list, first page".to_string(), 1), (format!("date-sorted list, page {deep}"), deep)] {
        let path = format!("/f/INBOX?sort=date&order=desc&page={page}");
        raw.cmd("SELECT INBOX").await;
        for _ in 0..3 {
            get_ok(&b, &path).await;
            raw_sorted(&mut raw, (page - 1) * 50 + 1).await;
        }
        let f = timed(rounds, async || get_ok(&b, &path).await).await;
        let r = timed(rounds, async || raw_sorted(&mut raw, (page - 1) * 50 + 1).await).await;
        row(&name, f, r);
    }
    // Back to the default order, by conversation.
    get_ok(&b, "/f/INBOX?sort=arrival&order=desc").await;

    // A conversation of 10 messages over Inbox, Sent and Archive, opened at its last message
    // in the Inbox. The plain client knows every ID from the message's References.
    let path = format!("/m/INBOX/{uv}/{last_inbox}");
    let ids: Vec<String> = (1..=10).map(|n| format!("<bench-thread-{n}@example.org>")).collect();
    let mut keys = String::new();
    for (i, id) in ids.iter().enumerate() {
        let term = format!("OR OR HEADER Message-ID \"{id}\" HEADER In-Reply-To \"{id}\" HEADER References \"{id}\"");
        keys = if i == 0 { term } else { format!("OR {term} ({keys})") };
    }
    let raw_conversation = async |raw: &mut Raw| {
        raw.cmd("SELECT INBOX").await;
        raw.cmd(&format!("UID FETCH {last_inbox} (UID FLAGS BODY.PEEK[])")).await;
        for f in ["INBOX", "Sent", "Archive"] {
            raw.cmd(&format!("SELECT \"{f}\"")).await;
            let r = raw.cmd(&format!("UID SEARCH {keys}")).await;
            let uids: Vec<&str> = r.lines().find(|l| l.starts_with("* SEARCH")).map(|l| l.split_whitespace().skip(2).collect()).unwrap_or_default();
            if !uids.is_empty() {
                raw.cmd(&format!("UID FETCH {} {CONVERSATION_ROW}", uids.join(","))).await;
                raw.cmd(&format!("UID FETCH {} (UID PREVIEW)", uids.join(","))).await;
            }
        }
    };
    for _ in 0..3 {
        get_ok(&b, &path).await;
        raw_conversation(&mut raw).await;
    }
    let page = b.get(&path).await;
    assert!(page.body.contains("10 messages in this conversation"), "{}", &page.body[..page.body.len().min(3000)]);
    let f = timed(rounds, async || get_ok(&b, &path).await).await;
    let r = timed(rounds, async || raw_conversation(&mut raw).await).await;
    row("a 10-message conversation over 3 folders", f, r);

    // The list by conversation, first page. The plain client threads the folder each time
    // (a new message anywhere in it changes the threads); Facteur keeps the threads while the
    // folder is unchanged, so both its cases are shown.
    raw.cmd("SELECT INBOX").await;
    let raw_threads = async |raw: &mut Raw| {
        raw.cmd("NOOP").await;
        let t = raw.cmd("UID THREAD REFS UTF-8 ALL").await;
        assert!(t.len() > 1000);
        let newest: Vec<String> = ((last_inbox - 60)..=last_inbox).map(|u| u.to_string()).collect();
        raw.cmd(&format!("UID FETCH {} (UID FLAGS)", newest.join(","))).await;
        raw.cmd(&format!("UID FETCH {} {ROW}", newest.join(","))).await;
        raw.cmd(&format!("UID FETCH {} (UID PREVIEW)", newest.join(","))).await;
    };
    for _ in 0..3 {
        get_ok(&b, "/f/INBOX").await;
        raw_threads(&mut raw).await;
    }
    let f = timed(rounds, async || get_ok(&b, "/f/INBOX").await).await;
    let r = timed(rounds.min(30), async || raw_threads(&mut raw).await).await;
    row("list by conversation, first page", f, r);
    let f = timed(rounds.min(30), async || {
        // A message arrives (elsewhere), so the threads are read again.
        let _ = raw.cmd(&format!("APPEND INBOX {{{}+}}\r\n{}", thread_message(1).len(), String::from_utf8_lossy(&thread_message(1)))).await;
        get_ok(&b, "/f/INBOX").await;
    })
    .await;
    println!("{:<44} {:>8.2} {:>8.2}   (includes an APPEND by the plain client)", "  …after each new message", p(&mut f.clone(), 50), p(&mut f.clone(), 95));
    println!("memory of Facteur: {} KiB", facteur.rss_kib());
    drop(facteur);

    if std::env::var("FACTEUR_BENCH_FTS").map_or(true, |v| v != "0") {
        fts(total, rounds.min(30)).await;
    }
}

/// The body search again, on a Dovecot with fts-xapian (`mailserver.sh start --fts`).
async fn fts(total: usize, rounds: usize) {
    let dir = tempfile::Builder::new().prefix("fxf.").tempdir_in("/tmp").unwrap();
    let (port, tls) = (free_port(), free_port());
    let script = root().join("scripts/mailserver.sh");
    let d = dir.path().display().to_string();
    let run = |args: &[&str]| {
        let out = Command::new("bash").arg(&script).args(args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    run(&["start", "--fts", &d, &port.to_string(), &tls.to_string()]);
    run(&["adduser", &d, "fts@example.test", "fts-password"]);
    let user = TestUser::new("fts@example.test", "fts-password", port);
    let started = Instant::now();
    let inbox: Vec<Vec<u8>> = (1..=total).map(|i| message(i, "inbox")).collect();
    user.bulk_append("INBOX", &inbox).await;
    drop(inbox);
    let mut raw = Raw::login(&user).await;
    raw.cmd("SELECT INBOX").await;
    // The first search waits for the index to hold every message.
    raw.cmd("UID SEARCH TEXT \"kiwi17\"").await;
    println!("fts-xapian: {total} messages seeded and indexed in {:.1} s", started.elapsed().as_secs_f64());

    let facteur = common::Facteur::start_with(dovecot(), &[("FACTEUR_IMAP_PORT", port.to_string())]).await;
    let b = Browser::for_base(facteur.base.clone(), "en");
    b.login(&user).await;
    let folders = ["INBOX", "Sent", "Archive", "Drafts"];
    for _ in 0..3 {
        get_ok(&b, "/search?q=kiwi17").await;
        raw_search(&mut raw, &folders, "TEXT \"kiwi17\"").await;
    }
    let f = timed(rounds, async || get_ok(&b, "/search?q=kiwi17").await).await;
    let r = timed(rounds, async || raw_search(&mut raw, &folders, "TEXT \"kiwi17\"").await).await;
    row("search a body word, fts-xapian", f, r);
    drop(facteur);
    run(&["stop", &d]);
}
