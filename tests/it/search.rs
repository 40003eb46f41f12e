//! Search, done by the server: every operator on a mailbox whose messages are known, checked
//! against the messages each query must find (no more, no fewer), on Dovecot and on a real
//! Courier-IMAP; bad queries and injection attempts.

use std::collections::BTreeSet;

use futures_util::TryStreamExt;

use crate::harness::*;

/// One message of the corpus: where it is, its number (for the expectations), how many days
/// ago it arrived, its flags and its text.
struct Seed {
    n: u32,
    folder: &'static str,
    days_ago: i64,
    flags: &'static str,
    raw: String,
}

fn message(from: &str, to: &str, extra: &str, subject: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: {to}\r\n{extra}Subject: {subject}\r\nMessage-ID: <{}@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n",
        subject.len() * 7919 + body.len()
    )
}

fn corpus() -> Vec<Seed> {
    let attachment = "From: Alice <alice@example.org>\r\nTo: me@example.test\r\nSubject: Budget 2026\r\n\
        Message-ID: <budget@example.org>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
        --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe numbers are attached.\r\n\
        --b1\r\nContent-Type: application/pdf; name=\"plan.pdf\"\r\nContent-Disposition: attachment; filename=\"plan.pdf\"\r\n\
        Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n"
        .to_string();
    let big = "x".repeat(600 * 1024);
    vec![
        Seed { n: 1, folder: "INBOX", days_ago: 300, flags: "\\Seen", raw: attachment },
        Seed {
            n: 2,
            folder: "INBOX",
            days_ago: 1,
            flags: "\\Flagged",
            raw: message("Bob <bob@example.org>", "Carol <carol@example.net>", "Cc: dave@example.net\r\n", "Lunch", "Un café au lait ?"),
        },
        Seed { n: 3, folder: "INBOX", days_ago: 200, flags: "\\Seen \\Answered", raw: message("alice@example.org", "me@example.test", "", "Re: Lunch", &big) },
        Seed {
            n: 4,
            folder: "Sent",
            days_ago: 250,
            flags: "\\Seen",
            raw: message("me@example.test", "alice@example.org", "Bcc: eve@example.net\r\n", "Budget questions", "How much?"),
        },
        Seed { n: 5, folder: "Archive", days_ago: 470, flags: "\\Seen", raw: message("carol@example.net", "me@example.test", "", "=?utf-8?q?=C3=89t=C3=A9_2025_photos?=", "À la plage.") },
        Seed { n: 6, folder: "Trash", days_ago: 700, flags: "\\Seen", raw: message("alice@example.org", "me@example.test", "", "Old budget", "Gone.") },
        Seed { n: 7, folder: "Junk", days_ago: 10, flags: "", raw: message("win@spam.example", "me@example.test", "", "A budget offer", "Click.") },
        Seed { n: 8, folder: "Drafts", days_ago: 5, flags: "\\Draft \\Seen", raw: message("me@example.test", "bob@example.org", "", "Budget draft", "Not sent yet.") },
    ]
}

/// `DD-Mon-YYYY HH:MM:SS +0000`, `days` days ago at noon.
fn imap_date(days: i64) -> String {
    let d = time::OffsetDateTime::now_utc().replace_time(time::Time::from_hms(12, 0, 0).unwrap()) - time::Duration::days(days);
    const M: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!("{:02}-{}-{} 12:00:00 +0000", d.day(), M[u8::from(d.month()) as usize - 1], d.year())
}

/// `YYYY-MM-DD`, `days` days ago.
fn ymd(days: i64) -> String {
    let d = time::OffsetDateTime::now_utc().date() - time::Duration::days(days);
    format!("{}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// Puts the corpus in the user's account (folders under `prefix`, created), and returns
/// (folder on the server, UID) → message number.
async fn seed(imap: &mut Imap, prefix: &str) -> Vec<((String, u32), u32)> {
    let mut placed = Vec::new();
    for s in corpus() {
        let folder = if s.folder == "INBOX" { "INBOX".to_string() } else { format!("{prefix}{}", s.folder) };
        if folder != "INBOX" {
            let _ = make_folder(imap, &folder).await;
        }
        let flags = format!("({})", s.flags);
        imap.append(&folder, Some(&flags), Some(&format!("\"{}\"", imap_date(s.days_ago))), s.raw.as_bytes()).await.expect("append");
        imap.select(&folder).await.expect("select");
        let uid = imap.uid_search("ALL").await.expect("search").into_iter().max().expect("a message");
        placed.push(((folder, uid), s.n));
    }
    placed
}

/// The messages (by number) a results page lists, in its order.
fn found(body: &str, placed: &[((String, u32), u32)]) -> Vec<u32> {
    body.split("name=\"m\" value=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter_map(|v| {
            let mut it = v.splitn(3, ':');
            let (_, uid, folder) = (it.next()?, it.next()?.parse::<u32>().ok()?, it.next()?);
            let folder = folder.replace("&amp;", "&");
            placed.iter().find(|((f, u), _)| *f == folder && *u == uid).map(|(_, n)| *n)
        })
        .collect()
}

/// With `indexed`, the server answers from fts-xapian 1.5 (Debian 12), which answers every
/// header search from its index, where Content-Type is not: `has:attachment` and
/// `filename:` then find nothing, and are left out (see the README).
async fn searching_finds_exactly(user: &TestUser, imap_port: u16, submission_port: u16, prefix: &str, indexed: bool) {
    let mut imap = user.imap().await;
    let placed = seed(&mut imap, prefix).await;
    let app = TestApp::start_on(imap_port, submission_port).await;
    let b = Browser::new(&app);
    b.login(user).await;
    let set = |v: &[u32]| v.iter().copied().collect::<BTreeSet<u32>>();
    let cases: Vec<(String, Vec<u32>)> = vec![
        ("from:alice".into(), vec![1, 3]),
        ("FROM:Alice".into(), vec![1, 3]),
        ("budget".into(), vec![1, 4, 8]),
        ("budget in:anywhere".into(), vec![1, 4, 6, 7, 8]),
        ("budget in:trash".into(), vec![6]),
        ("in:spam".into(), vec![7]),
        ("in:sent".into(), vec![4]),
        ("subject:lunch".into(), vec![2, 3]),
        ("subject:lunch -is:read".into(), vec![2]),
        ("is:unread".into(), vec![2]),
        ("is:starred".into(), vec![2]),
        ("is:answered".into(), vec![3]),
        ("is:draft".into(), vec![8]),
        ("has:attachment".into(), vec![1]),
        ("filename:plan.pdf".into(), vec![1]),
        ("larger:500K".into(), vec![3]),
        ("smaller:100K in:inbox".into(), vec![1, 2]),
        ("to:carol".into(), vec![2]),
        ("cc:dave".into(), vec![2]),
        ("bcc:eve".into(), vec![4]),
        ("café".into(), vec![2]),
        ("subject:été".into(), vec![5]),
        ("\"au lait\"".into(), vec![2]),
        ("from:alice OR from:carol".into(), vec![1, 3, 5]),
        ("(from:bob OR subject:photos) -is:starred".into(), vec![5]),
        ("newer_than:3d".into(), vec![2]),
        ("older_than:1y".into(), vec![5]),
        ("newer_than:2w in:anywhere".into(), vec![2, 7, 8]),
        (format!("before:{}", ymd(260)), vec![1, 5]),
        (format!("after:{}", ymd(8)), vec![2, 8]),
        (format!("after:{} before:{}", ymd(320).replace('-', "/"), ymd(240)), vec![1, 4]),
    ];
    for (q, want) in cases.iter().filter(|(q, _)| !indexed || !(q.starts_with("has:") || q.starts_with("filename:"))) {
        let page = b.get(&format!("/search?q={}", pct(q))).await;
        assert_eq!(page.status, 200, "{q}: {}", page.body);
        assert!(!page.body.contains("class=\"search-error\""), "{q}: {}", page.body);
        let got = found(&page.body, &placed);
        assert_eq!(set(&got), set(want), "{q}");
        assert_eq!(got.len(), want.len(), "{q}: each message once");
    }
    // Each row shows the start of its text: the server's PREVIEW, or the first text part read
    // by Facteur where the server makes none (Courier).
    let page = b.get(&format!("/search?q={}", pct("from:alice"))).await;
    assert!(page.body.contains("<span class=\"preview\">The numbers are attached.</span>"), "{}", page.body);
    let page = b.get(&format!("/search?q={}", pct("café"))).await;
    assert!(page.body.contains("<span class=\"preview\">Un café au lait ?</span>"), "{}", page.body);
    // Newest first, across folders.
    let page = b.get("/search?q=budget").await;
    assert_eq!(found(&page.body, &placed), [8, 4, 1]);
    assert!(page.body.contains("3 messages"), "{}", page.body);
    assert!(page.body.contains("value=\"budget\""), "the box keeps the query");
    // The tab says what was searched (after the Inbox's unread count).
    assert!(page.body.contains("Search: budget · Facteur</title>"), "{}", page.body);

    // Bad queries say why, under the box; nothing reaches the server.
    for (q, says) in [
        ("foo:bar", "foo: is not a search operator."),
        ("is:maybe", "is: does not take “maybe”."),
        ("before:yesterday", "before: does not take “yesterday”."),
        ("(from:alice", "This search is incomplete"),
        ("x OR in:trash", "in: and sort: cannot be inside OR"),
        ("in:nowhere", "There is no folder called “nowhere”."),
        (&"budget ".repeat(200), "This search is too long: 1000 characters at most."),
    ] {
        let page = b.get(&format!("/search?q={}", pct(q))).await;
        assert_eq!(page.status, 200, "{q}");
        assert!(page.body.contains("class=\"search-error\""), "{q}: {}", page.body);
        assert!(page.body.contains(says), "{q}: {}", page.body);
    }
    // Attempts to write IMAP through the box find nothing and change nothing.
    let before = counts(&mut imap, &placed).await;
    for q in ["subject:x\") OR ALL (\"", "x\"\r\nA1 DELETE INBOX\r\n", "{5}\r\nhello", "\\\" ALL", "x) (ALL"] {
        let page = b.get(&format!("/search?q={}", pct(q))).await;
        assert_eq!(page.status, 200, "{q:?}: {}", page.body);
        assert!(found(&page.body, &placed).is_empty(), "{q:?}: {}", page.body);
    }
    assert_eq!(counts(&mut imap, &placed).await, before);

    // Acting on results from two folders at once.
    let token = csrf(&b.get("/search?q=budget").await.body);
    let value = |n: u32| placed.iter().find(|(_, m)| *m == n).map(|((f, u), _)| (f.clone(), *u)).expect("seeded");
    let page = b.get("/search?q=budget").await;
    let values: Vec<String> = page.body.split("name=\"m\" value=\"").skip(1).filter_map(|s| s.split('"').next()).map(|s| s.replace("&amp;", "&")).collect();
    let mut form: Vec<(&str, &str)> = vec![("csrf", &token), ("q", "budget"), ("action", "star")];
    for v in &values {
        form.push(("m", v));
    }
    let done = b.post("/search/actions", &form).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.url.contains("/search?q=budget"), "back to the results: {}", done.url);
    for n in [1, 4, 8] {
        let (folder, uid) = value(n);
        assert!(flags_of(&mut imap, &folder, uid).await.iter().any(|f| f == "Flagged"), "message {n} starred in {folder}");
    }
    assert!(!done.body.contains("action=\"/undo\""), "no undo for three folders at once");
    // From one folder: archived, with Undo, which brings it back.
    let page = b.get("/search?q=subject%3Alunch%20-is%3Aread").await;
    let values: Vec<String> = page.body.split("name=\"m\" value=\"").skip(1).filter_map(|s| s.split('"').next()).map(|s| s.replace("&amp;", "&")).collect();
    assert_eq!(values.len(), 1);
    let done = b.post("/search/actions", &[("csrf", &token), ("q", "subject:lunch -is:read"), ("action", "archive"), ("m", &values[0])]).await;
    assert!(done.body.contains("Moved to Archive."), "{}", done.body);
    assert!(done.body.contains("action=\"/undo\""), "{}", done.body);
    let lunch = value(2).1;
    imap.examine("INBOX").await.expect("examine");
    assert!(imap.uid_search(format!("UID {lunch}")).await.expect("search").is_empty(), "archived");
    let undone = b.post("/undo", &[("csrf", &token)]).await;
    assert!(undone.body.contains("Undone."), "{}", undone.body);
    assert!(undone.url.contains("/search?q="), "back to the results: {}", undone.url);
    imap.examine("INBOX").await.expect("examine");
    assert_eq!(imap.uid_search("UNSEEN SUBJECT \"Lunch\"").await.expect("search").len(), 1, "back in the Inbox");
    app.stop().await;
}

/// Every folder's message count, as the independent client sees it.
async fn counts(imap: &mut Imap, placed: &[((String, u32), u32)]) -> Vec<u32> {
    let mut v = Vec::new();
    let folders: BTreeSet<&String> = placed.iter().map(|((f, _), _)| f).collect();
    for f in folders {
        v.push(imap.examine(f).await.expect("examine").exists);
    }
    let names: Vec<_> = imap.list(Some(""), Some("*")).await.expect("list").try_collect().await.expect("list");
    v.push(names.len() as u32);
    v
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_dovecot_every_operator_finds_exactly_its_messages() {
    let d = dovecot();
    searching_finds_exactly(&d.user(), d.imap_port, d.submission_port, "", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_full_text_index_every_operator_finds_exactly_its_messages() {
    // Dovecot with fts-xapian, enforced: body and text searches are answered from the index
    // or fail, never by reading every message.
    let server = crate::servers::OwnServer::start("mailserver.sh", &["--fts"], true);
    let user = server.user(&user_name(1), &user_password(1));
    searching_finds_exactly(&user, server.imap_port, server.submission_port, "", true).await;
    let home = server.dir.join("mail").join(DOMAIN).join("user1/Maildir/xapian-indexes");
    let indexes = std::fs::read_dir(&home).map(|d| d.count()).unwrap_or(0);
    assert!(indexes > 0, "the searches went through the index in {}", home.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_courier_imap_every_operator_finds_exactly_its_messages() {
    let c = courier();
    searching_finds_exactly(&c.user(), c.imap_port, dovecot().submission_port, "INBOX.", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_box_starts_with_the_folder_shown() {
    let d = dovecot();
    let user = d.user();
    let app = TestApp::start().await;
    let b = Browser::new(&app);
    let inbox = b.login(&user).await;
    assert!(inbox.body.contains("id=\"search-q\" name=\"q\" value=\"\""), "nothing in the Inbox: {}", inbox.body);
    let sent = b.get("/f/Sent").await;
    assert!(sent.body.contains("id=\"search-q\" name=\"q\" value=\"in:sent \""), "{}", sent.body);
    let page = b.get("/search?q=in%3Asent%20nothing-like-this").await;
    assert!(page.body.contains("No message matches."), "{}", page.body);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_action_on_results_refused_in_one_folder_says_what_was_done() {
    let m = minimal();
    let user = m.user();
    let mut imap = user.imap().await;
    for folder in ["INBOX.A", "INBOX.B", "INBOX.Trash"] {
        make_folder(&mut imap, folder).await.expect("create");
    }
    append(&mut imap, "INBOX.A", &message("ann@example.org", "me@example.test", "", "Quarterly report A", "a").into_bytes()).await;
    append(&mut imap, "INBOX.B", &message("ann@example.org", "me@example.test", "", "Quarterly report B", "b").into_bytes()).await;
    imap.logout().await.expect("logout");
    // In B, messages cannot be marked deleted nor expunged: a move out of B cannot finish.
    m.deny(&user.name, "te", "INBOX.B");
    let app = TestApp::start_on(m.imap_port, m.submission_port).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let page = b.get("/search?q=quarterly").await;
    let token = csrf(&page.body);
    let values: Vec<String> = page.body.split("name=\"m\" value=\"").skip(1).filter_map(|s| s.split('"').next()).map(|s| s.replace("&amp;", "&")).collect();
    assert_eq!(values.len(), 2, "{}", page.body);
    let mut form: Vec<(&str, &str)> = vec![("csrf", &token), ("q", "quarterly"), ("action", "delete")];
    for v in &values {
        form.push(("m", v));
    }
    let done = b.post("/search/actions", &form).await;
    assert!(
        done.body.contains("Done in one folder; then the mail server refused: the server did not remove the messages from this folder. The other messages were left as they were."),
        "{}",
        done.body
    );
    let mut imap = user.imap().await;
    assert_eq!(imap.examine("INBOX.A").await.expect("examine").exists, 0);
    assert_eq!(imap.examine("INBOX.B").await.expect("examine").exists, 1, "B's message stayed");
    assert_eq!(imap.examine("INBOX.Trash").await.expect("examine").exists, 1, "only A's message is in Trash");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recent_searches_and_contacts_are_suggested() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let b = Browser::new(&app);
    let token = csrf(&b.login(&user).await.body);
    for q in ["budget 2026", "from:bob", "is:maybe", "budget 2026"] {
        assert_eq!(b.get(&format!("/search?q={}", pct(q))).await.status, 200);
    }
    b.post("/contacts", &[("csrf", &token), ("email", "alice.martin@example.org"), ("name", "Alice Martin")]).await;
    // Without JavaScript: an empty search lists the recent ones, the last first; a search
    // that could not run is not one of them.
    let page = b.get("/search?q=").await;
    let recent = page.body.split("class=\"recent-searches\"").nth(1).expect("recent searches").split("</section>").next().unwrap_or_default().to_string();
    assert!(recent.find("budget 2026").expect("budget") < recent.find("from:bob").expect("bob"), "{recent}");
    assert!(!recent.contains("is:maybe"), "{recent}");
    assert!(recent.contains("href=\"/search?q=from%3Abob\""), "{recent}");
    // As one types: recent searches holding the text, then the contacts the last word may be.
    let json = async |path: String| serde_json::from_str::<serde_json::Value>(&b.get(&path).await.body).expect("JSON");
    let s = json("/search/suggest?q=BUD".into()).await;
    assert_eq!(s, serde_json::json!([{"q": "budget 2026", "label": "budget 2026"}]));
    let s = json(format!("/search/suggest?q={}", pct("is:unread to:mart"))).await;
    assert_eq!(s, serde_json::json!([{"q": "is:unread to:alice.martin@example.org ", "label": "Alice Martin <alice.martin@example.org>"}]));
    let s = json(format!("/search/suggest?q={}", pct("alice"))).await;
    assert_eq!(s[0]["q"], "from:alice.martin@example.org ");
    assert_eq!(json(format!("/search/suggest?q={}", pct("\"{5}\r\n"))).await, serde_json::json!([]));
    app.stop().await;
}
