//! Facteur as one more synchronized client: its actions happen on the server, and changes made
//! by another client (as Thunderbird or a phone would) reach open tabs live.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::TryStreamExt;

use crate::harness::*;

/// Message counts of every folder, as the independent client sees them.
async fn census(imap: &mut Imap) -> HashMap<String, u32> {
    let names: Vec<String> = imap
        .list(Some(""), Some("*"))
        .await
        .unwrap()
        .map_ok(|n| n.name().to_string())
        .try_collect()
        .await
        .unwrap();
    let mut out = HashMap::new();
    for n in names {
        if let Ok(mb) = imap.status(&n, "(MESSAGES)").await {
            out.insert(n, mb.exists);
        }
    }
    out
}

async fn uid_of(imap: &mut Imap, mailbox: &str, message_id: &str) -> Option<u32> {
    imap.select(mailbox).await.ok()?;
    let uids = imap.uid_search(format!("HEADER Message-ID \"{message_id}\"")).await.ok()?;
    uids.into_iter().next()
}

pub async fn act(b: &Browser, token: &str, mailbox: &str, uv: u32, uids: &[u32], action: &str, extra: &[(&str, &str)]) -> Page {
    let uv = uv.to_string();
    let uids: Vec<String> = uids.iter().map(u32::to_string).collect();
    let mut form: Vec<(&str, &str)> = vec![("csrf", token), ("uidvalidity", &uv), ("action", action)];
    for u in &uids {
        form.push(("uid", u));
    }
    form.extend_from_slice(extra);
    b.post(&format!("/f/{mailbox}/actions"), &form).await
}

#[tokio::test]
async fn every_action_happens_on_the_server_and_nothing_is_lost_or_duplicated() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    for i in 1..=6 {
        append(&mut imap, "INBOX", &numbered_message(i)).await;
    }
    make_folder(&mut imap, "Projets").await.unwrap();
    let before = census(&mut imap).await;
    let total: u32 = before.values().sum();
    let b = Browser::new(&app);
    let inbox = b.login(&user).await;
    let token = csrf(&inbox.body);
    let uv = imap.select("INBOX").await.unwrap().uid_validity.unwrap();
    let uid = |i: usize| i as u32;

    // Star and read: flags on the server.
    let p = act(&b, &token, "INBOX", uv, &[uid(1), uid(2)], "star", &[]).await;
    assert!(p.body.contains("2 messages starred."), "{}", p.body);
    assert!(flags_of(&mut imap, "INBOX", 1).await.contains(&"Flagged".to_string()));
    assert!(flags_of(&mut imap, "INBOX", 2).await.contains(&"Flagged".to_string()));
    act(&b, &token, "INBOX", uv, &[uid(1)], "read", &[]).await;
    assert!(flags_of(&mut imap, "INBOX", 1).await.contains(&"Seen".to_string()));
    // Undo puts the flag back as it was.
    let undone = b.post("/undo", &[("csrf", &token)]).await;
    assert!(undone.body.contains("Undone."));
    assert!(!flags_of(&mut imap, "INBOX", 1).await.contains(&"Seen".to_string()));

    // Archive creates Archive when missing (the test server has one) and moves there.
    let p = act(&b, &token, "INBOX", uv, &[uid(3)], "archive", &[]).await;
    assert!(p.body.contains("Moved to Archive."), "{}", p.body);
    assert!(uid_of(&mut imap, "INBOX", "<n3@example.org>").await.is_none());
    assert!(uid_of(&mut imap, "Archive", "<n3@example.org>").await.is_some());
    // Undo moves it back.
    let undone = b.post("/undo", &[("csrf", &token)]).await;
    assert!(undone.body.contains("Undone."), "{}", undone.body);
    let back = uid_of(&mut imap, "INBOX", "<n3@example.org>").await.expect("back in the inbox");
    assert!(uid_of(&mut imap, "Archive", "<n3@example.org>").await.is_none());

    // Move to a folder of the user's.
    let p = act(&b, &token, "INBOX", uv, &[back], "move", &[("target", "Projets")]).await;
    assert!(p.body.contains("Moved to Projets."));
    assert!(uid_of(&mut imap, "Projets", "<n3@example.org>").await.is_some());

    // Spam: $Junk set, into Junk. Not spam from Junk: $NotJunk, back to the inbox.
    act(&b, &token, "INBOX", uv, &[uid(4)], "spam", &[]).await;
    let junk_uid = uid_of(&mut imap, "Junk", "<n4@example.org>").await.expect("in Junk");
    let f = flags_of(&mut imap, "Junk", junk_uid).await;
    assert!(f.iter().any(|x| x.contains("$Junk")), "{f:?}");
    let junk_uv = imap.select("Junk").await.unwrap().uid_validity.unwrap();
    let p = act(&b, &token, "Junk", junk_uv, &[junk_uid], "notspam", &[]).await;
    assert!(p.body.contains("Marked as not spam and moved to Inbox."), "{}", p.body);
    let ham = uid_of(&mut imap, "INBOX", "<n4@example.org>").await.expect("back in the inbox");
    let f = flags_of(&mut imap, "INBOX", ham).await;
    assert!(f.iter().any(|x| x.contains("$NotJunk")) && !f.iter().any(|x| x.contains("$Junk\"") || x == "Custom(\"$Junk\")"), "{f:?}");

    // Delete: into Trash. In Trash, delete forever asks first, then expunges exactly that UID.
    act(&b, &token, "INBOX", uv, &[uid(5)], "delete", &[]).await;
    let trash_uid = uid_of(&mut imap, "Trash", "<n5@example.org>").await.expect("in Trash");
    let trash_uv = imap.select("Trash").await.unwrap().uid_validity.unwrap();
    let ask = act(&b, &token, "Trash", trash_uv, &[trash_uid], "delete-forever", &[]).await;
    assert!(ask.body.contains("Delete this message forever?"), "{}", ask.body);
    assert!(uid_of(&mut imap, "Trash", "<n5@example.org>").await.is_some(), "nothing deleted before confirming");
    // Another client marked a message \Deleted in Trash without expunging: it must survive.
    append(&mut imap, "Trash", &numbered_message(99)).await;
    let other = uid_of(&mut imap, "Trash", "<n99@example.org>").await.unwrap();
    imap.select("Trash").await.unwrap();
    let _: Vec<_> = imap.uid_store(other.to_string(), "+FLAGS (\\Deleted)").await.unwrap().try_collect().await.unwrap();
    let gone = act(&b, &token, "Trash", trash_uv, &[trash_uid], "delete-forever", &[("confirmed", "1")]).await;
    assert!(gone.body.contains("Deleted forever."), "{}", gone.body);
    assert!(uid_of(&mut imap, "Trash", "<n5@example.org>").await.is_none());
    assert!(uid_of(&mut imap, "Trash", "<n99@example.org>").await.is_some(), "only the chosen UID is expunged");

    // Every message is somewhere, exactly once: 6 appended + the one added to Trash - 1 deleted.
    let after = census(&mut imap).await;
    assert_eq!(after.values().sum::<u32>(), total + 1 - 1, "{before:?} -> {after:?}");
    for i in [1, 2, 3, 4, 6] {
        let id = format!("<n{i}@example.org>");
        let mut found = 0;
        for folder in after.keys() {
            imap.select(folder).await.unwrap();
            found += imap.uid_search(format!("HEADER Message-ID \"{id}\"")).await.unwrap().len();
        }
        assert_eq!(found, 1, "{id} found {found} times");
    }
}

#[tokio::test]
async fn a_message_deleted_elsewhere_says_so_and_actions_on_it_do_not_fail_loudly() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let (uid, uv) = append(&mut imap, "INBOX", &fixture("plain.eml")).await;
    let b = Browser::new(&app);
    let inbox = b.login(&user).await;
    assert_eq!(b.get(&format!("/m/INBOX/{uv}/{uid}")).await.status, 200);
    imap.select("INBOX").await.unwrap();
    let _: Vec<_> = imap.uid_store(uid.to_string(), "+FLAGS (\\Deleted)").await.unwrap().try_collect().await.unwrap();
    let _: Vec<_> = imap.uid_expunge(uid.to_string()).await.unwrap().try_collect().await.unwrap();
    let page = b.get(&format!("/m/INBOX/{uv}/{uid}")).await;
    assert_eq!(page.status, 404);
    assert!(page.body.contains("This message was deleted or moved, perhaps by another mail app."));
    // Acting on it from a stale list: no error page, the list is shown again.
    let p = act(&b, &csrf(&inbox.body), "INBOX", uv, &[uid], "archive", &[]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    // A folder recreated elsewhere (new UIDVALIDITY): the action does nothing and says so.
    let p = act(&b, &csrf(&inbox.body), "INBOX", uv.wrapping_add(1), &[uid], "archive", &[]).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("This folder changed in the meantime"), "{}", p.body);
}

/// A server-sent event stream read by the test.
pub struct Events {
    stream: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buf: String,
}

impl Events {
    pub async fn open(b: &Browser, folder: &str, last_event_id: Option<&str>) -> Self {
        let mut req = b.http.get(format!("{}/events?folder={folder}", b.base()));
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        Self { stream: Box::pin(res.bytes_stream()), buf: String::new() }
    }

    /// The next event named `name` (others are skipped), within `limit`.
    pub async fn next(&mut self, name: &str, limit: Duration) -> Option<serde_json::Value> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let mut ev = "message";
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        ev = if v.trim() == name { name } else { "other" };
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if ev == name {
                    return Some(serde_json::from_str(&data).unwrap_or(serde_json::Value::Null));
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.stream.next()).await.ok()??.ok()?;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

const LIVE: Duration = Duration::from_secs(10);

#[tokio::test]
async fn changes_made_by_another_client_reach_the_event_stream_and_the_pages() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    append(&mut imap, "INBOX", &numbered_message(1)).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let mut events = Events::open(&b, "INBOX", None).await;
    // The watcher announces the counts it starts with.
    let first = events.next("counts", LIVE).await.expect("initial counts");
    assert_eq!(first["unread"], 1, "{first}");

    // New message.
    append(&mut imap, "INBOX", &numbered_message(2)).await;
    let changed = events.next("changed", LIVE).await.expect("a change event for the new message");
    assert_eq!(changed["folder"], "INBOX");
    let counts = events.next("counts", LIVE).await.expect("new counts");
    let inbox = counts["folders"].as_array().unwrap().iter().find(|f| f["href"] == "/f/INBOX").unwrap().clone();
    assert_eq!(inbox["unread"], 2);
    assert_eq!(counts["unread"], 2, "the tab's folder's count, for its title and icon");
    let page = b.get("/f/INBOX").await;
    assert!(page.body.contains("Message number 00002"));
    assert!(page.body.contains("title=\"2 unread\">2</span>"), "the page's counts are fresh too");

    // Flags set elsewhere.
    imap.select("INBOX").await.unwrap();
    let _: Vec<_> = imap.uid_store("1", "+FLAGS (\\Seen \\Flagged)").await.unwrap().try_collect().await.unwrap();
    events.next("changed", LIVE).await.expect("a change event for flags");
    let page = b.get("/f/INBOX").await;
    assert!(page.body.contains("class=\"row flagged\""), "{}", page.body);

    // Moved away and expunged elsewhere.
    imap.select("INBOX").await.unwrap();
    imap.uid_mv("2", "Archive").await.unwrap();
    events.next("changed", LIVE).await.expect("a change event for the move");
    let page = b.get("/f/INBOX").await;
    assert!(!page.body.contains("Message number 00002"));
    assert!(page.body.contains("1 message"));

    // A folder created elsewhere: tabs resync (the sidebar changes).
    make_folder(&mut imap, "Nouveau dossier").await.unwrap();
    append(&mut imap, "Nouveau dossier", &numbered_message(3)).await;
    events.next("resync", Duration::from_secs(15)).await.expect("a resync for the new folder");
    let page = b.get("/f/INBOX").await;
    assert!(page.body.contains("Nouveau dossier"));

    // A reconnecting tab (Last-Event-ID) is told to refresh at once.
    let mut again = Events::open(&b, "INBOX", Some("41")).await;
    again.next("resync", LIVE).await.expect("an immediate resync");
}

#[tokio::test]
async fn webmail_actions_are_seen_by_other_tabs_through_the_event_stream() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let (uid, uv) = append(&mut imap, "INBOX", &numbered_message(1)).await;
    let tab1 = Browser::new(&app);
    let inbox = tab1.login(&user).await;
    let mut events = Events::open(&tab1, "INBOX", None).await;
    events.next("counts", LIVE).await.expect("initial counts");
    act(&tab1, &csrf(&inbox.body), "INBOX", uv, &[uid], "star", &[]).await;
    events.next("changed", LIVE).await.expect("the other tab hears of the star");
    assert!(flags_of(&mut imap, "INBOX", uid).await.contains(&"Flagged".to_string()));
}

#[tokio::test]
async fn many_tabs_share_two_connections_and_the_watcher_survives_a_dropped_connection() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let d = dovecot();
    let b = Browser::new(&app);
    b.login(&user).await;
    let mut tabs = Vec::new();
    for i in 0..5 {
        let mut t = Events::open(&b, "INBOX", None).await;
        if i == 0 {
            // The watcher is up once it reports its first counts; later tabs join it.
            t.next("counts", LIVE).await.expect("counts");
        }
        tabs.push(t);
    }
    // A second browser of the same user shares them too.
    let other = Browser::new(&app);
    other.login(&user).await;
    tabs.push(Events::open(&other, "INBOX", None).await);
    assert_eq!(app.state.watchers.active(), 1);
    // Facteur's two, plus the test's own client.
    assert!(eventually(Duration::from_secs(5), || async { d.connections(&user.name) == 3 }).await, "{} connections", d.connections(&user.name));

    d.kick(&user.name);
    let mut imap2 = user.imap().await;
    drop(imap.logout().await);
    for t in tabs.iter_mut() {
        t.next("resync", Duration::from_secs(15)).await.expect("resync after the reconnect");
    }
    // The change below is to come through the new connection's IDLE, which this test is about:
    // wait until it idles (the resync goes out as soon as it has logged in, before that).
    assert!(eventually(Duration::from_secs(15), || async { d.idling(&user.name) >= 1 }).await, "the watcher idles again");
    append(&mut imap2, "INBOX", &numbered_message(7)).await;
    for (i, t) in tabs.iter_mut().enumerate() {
        let c = t.next("changed", LIVE).await.unwrap_or_else(|| {
            panic!(
                "changes still arrive: none for tab {i} (watcher idling: {}, connections: {})",
                d.idling(&user.name),
                d.connections(&user.name)
            )
        });
        assert_eq!(c["folder"], "INBOX");
    }
    // Tabs gone: the watcher logs out.
    drop(tabs);
    assert!(eventually(Duration::from_secs(10), || async { app.state.watchers.active() == 0 }).await);
    assert!(eventually(Duration::from_secs(10), || async { d.connections(&user.name) <= 2 }).await);
}

#[tokio::test]
async fn while_another_folder_is_shown_new_inbox_mail_still_updates_the_counts_at_once() {
    // Counts are polled only every minute here: what arrives sooner comes from NOTIFY.
    let app = TestApp::start_with(|c| c.status_poll_interval = Duration::from_secs(600), |_| {}).await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    make_folder(&mut imap, "Projets").await.unwrap();
    let b = Browser::new(&app);
    b.login(&user).await;
    let mut events = Events::open(&b, "Projets", None).await;
    let first = events.next("counts", LIVE).await.expect("initial counts");
    assert_eq!(first["unread"], 0, "the tab's own folder, Projets: {first}");
    append(&mut imap, "INBOX", &numbered_message(1)).await;
    let changed = events.next("changed", LIVE).await.expect("INBOX changed");
    assert_eq!(changed["folder"], "INBOX");
    let counts = events.next("counts", LIVE).await.expect("counts after new inbox mail");
    let inbox = counts["folders"].as_array().unwrap().iter().find(|f| f["href"] == "/f/INBOX").unwrap().clone();
    assert_eq!(inbox["unread"], 1, "{counts}");
    assert_eq!(counts["unread"], 0, "the tab's title counts Projets' unread: {counts}");
}
