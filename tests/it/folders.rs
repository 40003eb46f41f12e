//! Folders and space: folders created, renamed, moved and deleted from Facteur as another
//! IMAP client sees them; the mailbox's quota as the server reports it; a full mailbox.

use futures_util::TryStreamExt;

use crate::compose::{compose_page, post_compose, search};
use crate::harness::*;

/// Every folder name and whether it is subscribed, as an independent client lists them.
async fn listed(imap: &mut Imap) -> (Vec<String>, Vec<String>) {
    let all: Vec<String> = imap.list(Some(""), Some("*")).await.unwrap().map_ok(|n| n.name().to_string()).try_collect().await.unwrap();
    let subscribed: Vec<String> = imap.lsub(Some(""), Some("*")).await.unwrap().map_ok(|n| n.name().to_string()).try_collect().await.unwrap();
    (all, subscribed)
}

#[tokio::test]
async fn folders_are_created_renamed_moved_and_deleted_on_the_server_for_every_client() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let token = csrf(&b.get("/settings/folders").await.body);

    // Created at the top, then inside it, in any script (modified UTF-7 on the wire).
    let made = b.post("/folders", &[("csrf", &token), ("name", "Projets été")]).await;
    assert!(made.body.contains("Folder “Projets été” created."), "{}", made.body);
    let child = b.post("/folders", &[("csrf", &token), ("name", "日本 2026"), ("parent", "Projets été")]).await;
    assert!(child.body.contains("created"), "{}", child.body);
    let (all, subscribed) = listed(&mut imap).await;
    assert!(all.contains(&"Projets &AOk-t&AOk-".to_string()) && all.contains(&"Projets &AOk-t&AOk-/&ZeVnLA- 2026".to_string()), "{all:?}");
    assert!(subscribed.contains(&"Projets &AOk-t&AOk-/&ZeVnLA- 2026".to_string()), "{subscribed:?}");
    let inbox = b.get("/f/INBOX").await;
    assert!(inbox.body.contains("href=\"/f/Projets%20%C3%A9t%C3%A9%2F%E6%97%A5%E6%9C%AC%202026\""), "the sidebar shows the new folder");

    // Names the server would refuse are refused first, with a clear message; nothing is made.
    for (name, words) in [("a/b", "folder separator"), ("  ", "needs a name"), ("INBOX", "reserved"), ("x\r\nA1 DELETE INBOX", "line breaks"), ("Projets été", "already there")] {
        let page = b.post("/folders", &[("csrf", &token), ("name", name)]).await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains(words), "{name:?}: {}", page.body);
    }
    assert_eq!(listed(&mut imap).await.0.len(), all.len(), "nothing created by a refused name");

    // Renamed and moved to the top in one go; its subscription follows.
    let moved = b.post("/f/Projets%20%C3%A9t%C3%A9%2F%E6%97%A5%E6%9C%AC%202026/rename", &[("csrf", &token), ("name", "Japon"), ("parent", "")]).await;
    assert!(moved.body.contains("Folder renamed to “Japon”."), "{}", moved.body);
    let (all, subscribed) = listed(&mut imap).await;
    assert!(all.contains(&"Japon".to_string()) && !all.iter().any(|n| n.contains("ZeVnLA")), "{all:?}");
    assert!(subscribed.contains(&"Japon".to_string()) && !subscribed.iter().any(|n| n.contains("ZeVnLA")), "{subscribed:?}");
    // A folder cannot go inside itself.
    let inside = b.post("/f/Projets%20%C3%A9t%C3%A9/rename", &[("csrf", &token), ("name", "Projets été"), ("parent", "Projets été")]).await;
    assert!(inside.body.contains("cannot go inside itself"), "{}", inside.body);

    // Special-use folders and the Inbox are protected.
    for f in ["Trash", "INBOX", "Sent"] {
        let page = b.post(&format!("/f/{f}/delete"), &[("csrf", &token), ("confirm", "yes")]).await;
        assert!(page.body.contains("cannot be renamed or deleted"), "{f}: {}", page.body);
        let page = b.post(&format!("/f/{f}/rename"), &[("csrf", &token), ("name", "Other")]).await;
        assert!(page.body.contains("cannot be renamed or deleted"), "{f}: {}", page.body);
    }
    assert!(listed(&mut imap).await.0.contains(&"Trash".to_string()));

    // Deleting a folder with messages asks first and says how many; confirmed, its
    // messages go to the Trash.
    for i in 0..3 {
        append(&mut imap, "Japon", format!("From: a@example.org\r\nSubject: Tokyo {i}\r\nMessage-ID: <tokyo{i}@example.org>\r\n\r\nArigato.\r\n").as_bytes()).await;
    }
    let trash_before = imap.select("Trash").await.unwrap().exists;
    let ask = b.post("/f/Japon/delete", &[("csrf", &token)]).await;
    assert!(ask.body.contains("It holds 3 messages.") && ask.body.contains("name=\"confirm\" value=\"yes\""), "{}", ask.body);
    assert!(listed(&mut imap).await.0.contains(&"Japon".to_string()), "nothing deleted before the answer");
    let gone = b.post("/f/Japon/delete", &[("csrf", &token), ("confirm", "yes"), ("messages", "trash")]).await;
    assert!(gone.body.contains("its 3 messages are in the Trash"), "{}", gone.body);
    assert!(!listed(&mut imap).await.0.contains(&"Japon".to_string()));
    assert_eq!(imap.select("Trash").await.unwrap().exists, trash_before + 3);

    // Hidden from the sidebar (unsubscribed), still on the server and on the Folders page.
    let hidden = b.post("/f/Projets%20%C3%A9t%C3%A9/subscribe", &[("csrf", &token), ("subscribed", "0")]).await;
    assert!(hidden.body.contains("hidden from the sidebar"), "{}", hidden.body);
    let (all, subscribed) = listed(&mut imap).await;
    assert!(all.contains(&"Projets &AOk-t&AOk-".to_string()) && !subscribed.contains(&"Projets &AOk-t&AOk-".to_string()));
    let inbox = b.get("/f/INBOX").await;
    assert!(!inbox.body.contains("href=\"/f/Projets%20%C3%A9t%C3%A9\""), "not in the sidebar");
    let settings = b.get("/settings/folders").await;
    assert!(settings.body.contains("href=\"/f/Projets%20%C3%A9t%C3%A9\"") && settings.body.contains("Show in the sidebar"));

    // Deleted with its messages when the user says so; a folder another client removed
    // meanwhile is told, not an error page.
    append(&mut imap, "Projets &AOk-t&AOk-", b"From: a@example.org\r\nSubject: gone\r\n\r\nx\r\n").await;
    let trash_before = imap.select("Trash").await.unwrap().exists;
    let gone = b.post("/f/Projets%20%C3%A9t%C3%A9/delete", &[("csrf", &token), ("confirm", "yes"), ("messages", "delete")]).await;
    assert!(gone.body.contains("Folder “Projets été” deleted."), "{}", gone.body);
    assert_eq!(imap.select("Trash").await.unwrap().exists, trash_before);
    assert!(!listed(&mut imap).await.0.iter().any(|n| n.starts_with("Projets")));
    let again = b.post("/f/Projets%20%C3%A9t%C3%A9/delete", &[("csrf", &token), ("confirm", "yes")]).await;
    assert_eq!(again.status, 200);
    assert!(again.body.contains("no longer there"), "{}", again.body);
    app.stop().await;
}

#[tokio::test]
async fn a_folder_made_by_another_client_reaches_an_open_tab_live() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let b = Browser::new(&app);
    b.login(&user).await;
    let events = b.raw_get("/events?folder=INBOX").await;
    let mut stream = events.bytes_stream();
    // Wait until the watcher is connected and idling (its first counts).
    let mut seen = String::new();
    while !seen.contains("event: counts") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), futures_util::StreamExt::next(&mut stream)).await.expect("counts").unwrap().unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    let mut imap = user.imap().await;
    imap.create("Voyages").await.unwrap();
    imap.subscribe("Voyages").await.unwrap();
    let mut seen = String::new();
    while !seen.contains("event: resync") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), futures_util::StreamExt::next(&mut stream)).await.expect("a resync after the new folder").unwrap().unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(b.get("/f/INBOX").await.body.contains("href=\"/f/Voyages\""));
    app.stop().await;
}

#[tokio::test]
async fn the_quota_shows_with_a_warning_and_a_full_mailbox_keeps_the_draft() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    dovecot().set_quota(&user.name, "200K");
    let mut imap = user.imap().await;
    // 170 KiB of 200: 85 %.
    append(&mut imap, "INBOX", format!("From: a@example.org\r\nSubject: big\r\n\r\n{}\r\n", "x".repeat(170 * 1024)).as_bytes()).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let inbox = b.get("/f/INBOX").await;
    let quota = imap_quota(&mut imap).await;
    assert!(quota.starts_with("170") || quota.starts_with("171"), "{quota}");
    assert!(inbox.body.contains(&format!("{quota} KB of 200 KB used")), "{quota}: {}", inbox.body);
    assert!(inbox.body.contains("<meter id=\"quota-meter\"") && inbox.body.contains("Your mailbox is 85% full"), "{}", inbox.body);
    // A draft the server refuses for space stays in the form, with why.
    let (_, mut form) = compose_page(&b, "/compose").await;
    let words = "Le texte que je ne veux pas perdre";
    form.set("to", "bob@example.org").set("subject", "Gros brouillon").set("body", words);
    let res = post_compose(&b, &form, "save", &[("big.bin", vec![7u8; 100 * 1024], "application/octet-stream")], false).await;
    assert_eq!(res.status().as_u16(), 507);
    let page = res.text().await.unwrap();
    assert!(page.contains("Your mailbox is full") && page.contains(words) && page.contains("Gros brouillon"), "{page}");
    assert!(search(&mut imap, "Drafts", "Subject", "Gros brouillon").await.is_empty());
    app.stop().await;
}

/// The STORAGE use, in KiB, that the server reports.
async fn imap_quota(imap: &mut Imap) -> String {
    let (_, quota) = imap.get_quota_root("INBOX").await.unwrap();
    quota[0].resources.iter().find(|r| matches!(r.name, async_imap::types::QuotaResourceName::Storage)).unwrap().usage.to_string()
}
