//! Conversations: a message shows the other messages of its conversation, gathered from its
//! folder, the Inbox, Sent and Archive by the server's header searches, oldest first; a
//! broken References chain is bridged by the message it answers; Trash and Junk stay out.

use crate::compose::{Form, arrives, fetch_raw, follow, post_compose};
use crate::harness::*;

/// Message `n` of the conversation, from `from`, answering `in_reply_to` with `references`.
pub fn message(n: u32, from: &str, in_reply_to: Option<u32>, references: &[u32]) -> Vec<u8> {
    let id = |n: u32| format!("<t{n}.plans@example.org>");
    let mut h = format!(
        "From: {from}\r\nTo: me@example.test\r\nSubject: {}Plans\r\nDate: Mon, {} Nov 2026 09:00:00 +0000\r\nMessage-ID: {}\r\n",
        if n > 1 { "Re: " } else { "" },
        n + 1,
        id(n)
    );
    if let Some(p) = in_reply_to {
        h.push_str(&format!("In-Reply-To: {}\r\n", id(p)));
    }
    if !references.is_empty() {
        h.push_str(&format!("References: {}\r\n", references.iter().map(|r| id(*r)).collect::<Vec<_>>().join(" ")));
    }
    format!("{h}Content-Type: text/plain; charset=utf-8\r\n\r\nPart {n} of the plans.\r\n").into_bytes()
}

/// The messages (by number) the page shows folded, in order, and the one it shows whole.
fn shown(body: &str, placed: &[((String, u32), u32)]) -> (Vec<u32>, Vec<u32>) {
    let number = |href: &str| {
        let mut it = href.trim_start_matches("/m/").split('/');
        let (folder, _, uid) = (it.next()?, it.next()?, it.next()?.parse::<u32>().ok()?);
        placed.iter().find(|((f, u), _)| f == folder && *u == uid).map(|(_, n)| *n)
    };
    let items = |part: &str| -> Vec<u32> {
        part.split("<details class=\"conv-item")
            .skip(1)
            .filter_map(|item| item.split("href=\"/m/").nth(1)?.split('"').next().map(|h| format!("/m/{h}")))
            .filter_map(|h| number(&h))
            .collect()
    };
    let (before, after) = body.split_once("<dl class=\"headers\">").expect("the message's headers");
    (items(before), items(after))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_spread_over_three_folders_shows_in_order_and_a_reply_joins_it() {
    let user = dovecot().user();
    let mut imap = user.imap().await;
    // 1 → 2 → 3 → 4 → 5 → 6, where 4 lost the start of the chain (References: 3 only).
    // (number, folder, sender, answers, references)
    type Seed<'a> = (u32, &'a str, &'a str, Option<u32>, &'a [u32]);
    let seeds: [Seed; 6] = [
        (1, "INBOX", "Alice <alice@example.org>", None, &[]),
        (2, "Sent", "Me <me@example.test>", Some(1), &[1]),
        (3, "Archive", "Alice <alice@example.org>", Some(2), &[1, 2]),
        (4, "INBOX", "Bob <bob@example.org>", Some(3), &[3]),
        (5, "Sent", "Me <me@example.test>", Some(4), &[3, 4]),
        (6, "INBOX", "Alice <alice@example.org>", Some(5), &[4, 5]),
    ];
    let mut placed = Vec::new();
    let mut uvs = std::collections::HashMap::new();
    for (n, folder, from, irt, refs) in seeds {
        let (uid, uv) = append(&mut imap, folder, &message(n, from, irt, refs)).await;
        placed.push(((folder.to_string(), uid), n));
        uvs.insert(folder.to_string(), uv);
    }
    // Same subject, no link: not part of it. Copies in Trash and Junk: left out.
    append(&mut imap, "INBOX", b"From: Carol <carol@example.org>\r\nSubject: Re: Plans\r\nMessage-ID: <other@example.org>\r\n\r\nUnrelated.\r\n").await;
    append(&mut imap, "Trash", &message(3, "Alice <alice@example.org>", Some(2), &[1, 2])).await;
    append(&mut imap, "Junk", &message(7, "Spam <s@spam.example>", Some(1), &[1])).await;

    let app = TestApp::start().await;
    let b = Browser::new(&app);
    b.login(&user).await;
    // Message `n`: its folder, UIDVALIDITY and UID.
    let at = |n: u32| {
        let ((folder, uid), _) = placed.iter().find(|(_, m)| *m == n).expect("seeded");
        (folder.clone(), uvs[folder], *uid)
    };
    let open = async |n: u32| {
        let (folder, uv, uid) = at(n);
        let page = b.get(&format!("/m/{folder}/{uv}/{uid}")).await;
        assert_eq!(page.status, 200, "{}", page.body);
        page
    };

    // From the first message: the five answers after it, in order.
    let page = open(1).await;
    assert_eq!(shown(&page.body, &placed), (vec![], vec![2, 3, 4, 5, 6]));
    assert!(page.body.contains("6 messages in this conversation"), "{}", page.body);
    // From the one whose chain is broken: the same conversation around it.
    let page = open(4).await;
    assert_eq!(shown(&page.body, &placed), (vec![1, 2, 3], vec![5, 6]));
    // Folded messages show their sender, their folder when it is another, and the server's preview.
    assert!(page.body.contains("Part 3 of the plans."), "{}", page.body);
    assert!(page.body.contains("class=\"conv-folder muted\">Archive<"), "{}", page.body);
    assert!(!page.body.contains("Unrelated."));
    // Unfolding an unread message marks it read: its frame asks for that, and only its.
    let (folder5, uv5, uid5) = at(5);
    let frame5 = format!("/m/{folder5}/{uv5}/{uid5}/body?read=1");
    assert!(page.body.contains(&frame5), "{}", page.body);
    assert!(!flags_of(&mut imap, &folder5, uid5).await.iter().any(|f| f == "Seen"));
    assert_eq!(b.get(&frame5).await.status, 200);
    assert!(flags_of(&mut imap, &folder5, uid5).await.iter().any(|f| f == "Seen"), "message 5 was read");
    let (folder1, uv1, uid1) = at(1);
    assert!(page.body.contains(&format!("/m/{folder1}/{uv1}/{uid1}/body\"")), "message 1, read already, is shown without marking: {}", page.body);

    // Replying under message 3 (in Archive) answers message 3; the independent client sees
    // the reply in Sent, in the thread; the conversation now has seven messages.
    let (folder, uv3, uid) = at(3);
    let compose = format!("/compose?mode=reply&amp;mb={folder}&amp;uv={uv3}&amp;uid={uid}");
    assert!(page.body.replace("&#38;", "&amp;").contains(&compose), "a reply link under message 3: {}", page.body);
    let mut form = Form::from_page(&b.get(&compose.replace("&amp;", "&")).await.body);
    form.set("body", "Count me in.");
    let sent = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert!(sent.body.contains("Message sent."), "{}", sent.body);
    let got = arrives(&mut imap, "Sent", "Re: Plans").await;
    let reply = facteur::mail::mime::original(&fetch_raw(&mut imap, "Sent", got).await).expect("a message");
    assert_eq!(reply.in_reply_to, vec!["t3.plans@example.org".to_string()]);
    assert_eq!(reply.references.last().map(String::as_str), Some("t3.plans@example.org"));
    let page = open(1).await;
    assert!(page.body.contains("7 messages in this conversation"), "{}", page.body);

    // A message alone shows no conversation.
    let (alone, inbox_uv) = append(&mut imap, "INBOX", b"From: Dan <dan@example.org>\r\nSubject: Alone\r\nMessage-ID: <alone@example.org>\r\n\r\nHi.\r\n").await;
    let page = b.get(&format!("/m/INBOX/{inbox_uv}/{alone}")).await;
    assert!(!page.body.contains("conv-item") && !page.body.contains("in this conversation"), "{}", page.body);
    app.stop().await;
}

/// The rows of a list page: (what the checkbox stands for, the message it opens).
fn rows(body: &str) -> Vec<(String, u32)> {
    body.split("<li class=\"row")
        .skip(1)
        .filter_map(|r| {
            let opens = r.split("data-uid=\"").nth(1)?.split('"').next()?.parse().ok()?;
            let value = r.split("name=\"uid\" value=\"").nth(1)?.split('"').next()?.to_string();
            Some((value, opens))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_lists_one_row_per_conversation_and_acts_on_all_of_it() {
    let user = dovecot().user();
    let mut imap = user.imap().await;
    make_folder(&mut imap, "Lists").await.expect("create");
    let (a, uv) = append(&mut imap, "Lists", &message(1, "Alice <alice@example.org>", None, &[])).await;
    let (lone, _) = append(&mut imap, "Lists", b"From: Dan <dan@example.org>\r\nSubject: Alone\r\nMessage-ID: <alone@example.org>\r\n\r\nHi.\r\n").await;
    let (b2, _) = append(&mut imap, "Lists", &message(2, "Bob <bob@example.org>", Some(1), &[1])).await;
    let (c3, _) = append(&mut imap, "Lists", &message(3, "Alice <alice@example.org>", Some(2), &[1, 2])).await;
    // Only the middle one is unread.
    imap.select("Lists").await.expect("select");
    let _: Vec<_> = futures_util::TryStreamExt::try_collect(imap.uid_store(format!("{a},{lone},{c3}"), "+FLAGS.SILENT (\\Seen)").await.expect("store")).await.expect("store");

    let app = TestApp::start().await;
    let b = Browser::new(&app);
    let token = csrf(&b.login(&user).await.body);
    let page = b.get("/f/Lists").await;
    // Newest conversation first: the conversation (its newest message arrived last), then Dan.
    assert_eq!(rows(&page.body), [(format!("{a},{b2},{c3}"), b2), (lone.to_string(), lone)], "{}", page.body);
    let first = page.body.split("<li class=\"row").nth(1).expect("a row");
    assert!(first.contains(" unread"), "unread while one of it is");
    assert!(first.contains("Alice, Bob") && first.contains("conv-count"), "{first}");
    assert!(first.contains("<span class=\"subject\">Plans <span class=\"preview\">Part 3 of the plans.</span>"), "the first subject, the newest preview: {first}");

    // Archiving the conversation's row archives all three of its messages.
    let value = format!("{a},{b2},{c3}");
    let uv_s = uv.to_string();
    let done = b.post("/f/Lists/actions", &[("csrf", &token), ("uidvalidity", &uv_s), ("uid", &value), ("action", "archive")]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(rows(&done.body), [(lone.to_string(), lone)]);
    imap.examine("Archive").await.expect("examine");
    assert_eq!(imap.uid_search("SUBJECT Plans").await.expect("search").len(), 3);

    // One row per message, once turned off in Settings.
    let undone = b.post("/undo", &[("csrf", &token)]).await;
    assert!(undone.body.contains("Undone."), "{}", undone.body);
    let saved = b.post("/settings", &[("csrf", &token), ("language", ""), ("shortcuts", "on")]).await;
    assert_eq!(saved.status, 200);
    assert!(!b.get("/settings").await.body.contains("name=\"conversations\" value=\"on\" checked"));
    assert_eq!(rows(&b.get("/f/Lists").await.body).len(), 4);
    b.post("/settings", &[("csrf", &token), ("language", ""), ("shortcuts", "on"), ("conversations", "on")]).await;
    assert_eq!(rows(&b.get("/f/Lists").await.body).len(), 2);
    // A sorted list shows messages, not conversations.
    assert_eq!(rows(&b.get("/f/Lists?sort=subject").await.body).len(), 4);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beside_a_big_folder_other_folders_are_searched_on_a_second_connection() {
    let user = dovecot().user();
    let fillers: Vec<Vec<u8>> = (1..=10_000).map(numbered_message).collect();
    user.bulk_append("INBOX", &fillers).await;
    let mut imap = user.imap().await;
    let mut placed = Vec::new();
    let mut uvs = std::collections::HashMap::new();
    for (n, folder, irt, refs) in [(1, "INBOX", None, &[][..]), (2, "Sent", Some(1), &[1][..]), (3, "Archive", Some(2), &[1, 2][..]), (4, "INBOX", Some(3), &[3][..])] {
        let (uid, uv) = append(&mut imap, folder, &message(n, "Alice <alice@example.org>", irt, refs)).await;
        placed.push(((folder.to_string(), uid), n));
        uvs.insert(folder.to_string(), uv);
    }
    let app = TestApp::start().await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let ((_, uid4), _) = placed[3].clone();
    let before = app.state.registry.connects();
    let page = b.get(&format!("/m/INBOX/{}/{uid4}", uvs["INBOX"])).await;
    assert_eq!(shown(&page.body, &placed), (vec![1, 2, 3], vec![]), "{}", page.body);
    assert_eq!(app.state.registry.connects(), before + 1, "Sent and Archive were searched on a connection of their own");
    // That connection is kept for the next message read beside the big folder.
    assert_eq!(app.state.registry.open_connections(), 2);
    let page = b.get(&format!("/m/INBOX/{}/{uid4}", uvs["INBOX"])).await;
    assert_eq!(shown(&page.body, &placed), (vec![1, 2, 3], vec![]));
    assert_eq!(app.state.registry.connects(), before + 1, "the second connection was used again");
    // A small folder's conversation needs no second connection.
    let ((_, uid2), _) = placed[1].clone();
    let page = b.get(&format!("/m/Sent/{}/{uid2}", uvs["Sent"])).await;
    assert_eq!(shown(&page.body, &placed), (vec![1], vec![3, 4]));
    assert_eq!(app.state.registry.connects(), before + 1);
    // Signing out closes both.
    b.post("/logout", &[("csrf", &csrf(&page.body))]).await;
    assert_eq!(app.state.registry.open_connections(), 0);
    app.stop().await;
}
