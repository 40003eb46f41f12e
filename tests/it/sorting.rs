//! Sorted lists: every key and direction against the server's own `SORT` asked by an
//! independent client, paging across page boundaries, the order remembered per folder, on
//! Dovecot (ESORT, one page asked at a time) and on a minimal server (plain SORT).

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::harness::*;

/// 120 messages whose Date headers, senders, subjects and sizes are each in an order of
/// their own, unrelated to the order they arrive in; some share a sender or a subject.
fn shuffled(i: usize) -> Vec<u8> {
    let day = 1 + (i * 37) % 28;
    let minute = (i * 53) % 60;
    let sender = ["Zoé", "alice", "Bob", "Émile", "carol", "Dave"][(i * 5) % 6];
    let subject = ["Re: Budget", "agenda", "Budget", "Fwd: agenda", "Zebra", "Été"][(i * 7) % 6];
    format!(
        "From: {sender} <p{}@example.org>\r\nTo: me@example.test\r\nSubject: =?utf-8?q?{}?= {i:03}\r\n\
         Date: Tue, {day} Sep 2026 08:{minute:02}:00 +0000\r\nMessage-ID: <s{i}@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
        i % 6,
        subject.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("={b:02X}") }).collect::<String>(),
        "x".repeat((i * 7919) % 3000)
    )
    .into_bytes()
}

/// The UIDs of `mailbox` as the server sorts them by `criteria` (`(REVERSE DATE)`), from a
/// plain `UID SORT` on a connection of its own.
async fn server_sort(user: &TestUser, mailbox: &str, criteria: &str) -> Vec<u32> {
    let mut tcp = TcpStream::connect(("127.0.0.1", user.port)).await.expect("connect");
    read_until(&mut tcp, |s| s.contains("\r\n")).await;
    let login = format!("a LOGIN \"{}\" \"{}\"\r\nb EXAMINE \"{mailbox}\"\r\nc UID SORT {criteria} UTF-8 ALL\r\n", user.name, user.password);
    tcp.write_all(login.as_bytes()).await.expect("write");
    let reply = read_tagged(&mut tcp, "c").await;
    assert!(reply.contains("c OK"), "{reply}");
    let line = reply.lines().find(|l| l.starts_with("* SORT")).unwrap_or_else(|| panic!("no SORT reply: {reply}"));
    line.split_whitespace().skip(2).map(|n| n.parse().expect("a UID")).collect()
}

/// The UIDs a list page shows, in its order.
fn rows(body: &str) -> Vec<u32> {
    body.split("data-uid=\"").skip(1).filter_map(|s| s.split('"').next()?.parse().ok()).collect()
}

/// `from_key`: how the server sorts by sender for Facteur (DISPLAYFROM where it says
/// SORT=DISPLAY).
async fn every_order_matches_the_servers(user: &TestUser, submission_port: u16, mailbox: &str, create: bool, from_key: &str) {
    let mut imap = user.imap().await;
    if create {
        make_folder(&mut imap, mailbox).await.expect("create");
    }
    let messages: Vec<Vec<u8>> = (0..120).map(shuffled).collect();
    user.bulk_append(mailbox, &messages).await;
    let app = TestApp::start_on(user.port, submission_port).await;
    let b = Browser::new(&app);
    b.login(user).await;
    let href = format!("/f/{mailbox}");
    // Arrival order is the folder's own order (sequence numbers: no SORT, whose ARRIVAL key
    // ties messages that arrived in the same second).
    let mut by_uid = server_sort(user, mailbox, "(SIZE)").await;
    by_uid.sort_unstable();
    for (key, server_key) in [("date", "DATE"), ("arrival", ""), ("from", from_key), ("subject", "SUBJECT"), ("size", "SIZE")] {
        for (order, reverse) in [("asc", ""), ("desc", "REVERSE ")] {
            let expected = match (server_key, reverse) {
                ("", "") => by_uid.clone(),
                ("", _) => by_uid.iter().rev().copied().collect(),
                _ => server_sort(user, mailbox, &format!("({reverse}{server_key})")).await,
            };
            assert_eq!(expected.len(), 120);
            let mut shown = Vec::new();
            for page in 1..=3 {
                let p = b.get(&format!("{href}?sort={key}&order={order}&page={page}")).await;
                assert_eq!(p.status, 200, "{}", p.body);
                let r = rows(&p.body);
                assert_eq!(r.len(), if page < 3 { 50 } else { 20 }, "page {page} of {key} {order}");
                shown.extend(r);
            }
            assert_eq!(shown, expected, "{key} {order} on {mailbox}");
        }
    }

    // The last order chosen is the folder's until another is chosen; other folders keep theirs.
    let by_size = server_sort(user, mailbox, "(SIZE)").await;
    b.get(&format!("{href}?sort=size&order=asc")).await;
    let again = b.get(&href).await;
    assert_eq!(rows(&again.body), by_size[..50], "remembered");
    assert!(again.body.contains("<option value=\"size\" selected>"), "the menu shows it");
    let next = links(&again.body, &format!("{href}?page=2"));
    assert!(next.iter().any(|l| l.contains("sort=size") && l.contains("order=asc")), "paging keeps it: {next:?}");
    if mailbox != "INBOX" {
        let inbox = b.get("/f/INBOX").await;
        assert!(inbox.body.contains("<option value=\"arrival\" selected>") && inbox.body.contains("<option value=\"desc\" selected>"));
    }
    // A key alone takes its usual direction: names from A to Z.
    let by_subject = server_sort(user, mailbox, "(SUBJECT)").await;
    assert_eq!(rows(&b.get(&format!("{href}?sort=subject")).await.body), by_subject[..50]);
    // Back to newest first, the default, which is then not stored.
    b.get(&format!("{href}?sort=arrival&order=desc")).await;
    assert_eq!(rows(&b.get(&href).await.body), by_uid.iter().rev().take(50).copied().collect::<Vec<_>>());
    // Nonsense in the URL is the default order, not an error.
    assert_eq!(b.get(&format!("{href}?sort=%22%29%20ALL&order=sideways")).await.status, 200);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sort_key_and_direction_pages_as_dovecot_sorts_with_esort() {
    every_order_matches_the_servers(&dovecot().user(), dovecot().submission_port, "Sorting", true, "DISPLAYFROM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_with_plain_sort_only_sorts_the_same() {
    // SORT without ESORT: the server's whole sorted list, cut into pages by Facteur.
    every_order_matches_the_servers(&minimal().user(), minimal().submission_port, "INBOX", false, "FROM").await;
}
