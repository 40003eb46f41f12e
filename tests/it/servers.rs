//! IMAP servers other than a full Dovecot: a Dovecot that behaves like a minimal server
//! (`mailserver.sh start --minimal`: Courier-IMAP's capabilities, the `INBOX.` namespace, no
//! special-use folders), a real Courier-IMAP, servers that refuse, and connection limits.

use std::time::Duration;

use futures_util::TryStreamExt;

use crate::compose::{Form, post_compose};
use crate::harness::*;
use crate::sync::{Events, act};

/// Every folder the user's account has, as an independent client lists them.
async fn folder_names(imap: &mut Imap) -> Vec<String> {
    let names: Vec<_> = imap.list(Some(""), Some("*")).await.expect("LIST").try_collect().await.expect("LIST replies");
    names.iter().map(|n| n.name().to_string()).collect()
}

async fn json_of(res: reqwest::Response) -> serde_json::Value {
    let text = res.text().await.expect("a body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// The sidebar entry (`<li …>…</li>`) that links to `href`.
fn sidebar_item<'a>(body: &'a str, href: &str) -> &'a str {
    let at = body.find(&format!("<a href=\"{href}\"")).unwrap_or_else(|| panic!("no link to {href}: {body}"));
    let start = body[..at].rfind("<li").expect("an item");
    let end = at + body[at..].find("</li>").expect("the item's end");
    &body[start..end]
}

/// How many messages `mailbox` holds (0 when it does not exist).
async fn count(imap: &mut Imap, mailbox: &str) -> u32 {
    match imap.examine(mailbox).await {
        Ok(m) => m.exists,
        Err(_) => 0,
    }
}

/// The UIDs of `mailbox`.
async fn uids(imap: &mut Imap, mailbox: &str) -> Vec<u32> {
    imap.examine(mailbox).await.expect("examine");
    let mut v: Vec<u32> = imap.uid_search("ALL").await.expect("search").into_iter().collect();
    v.sort_unstable();
    v
}

/// What a new user does on a server without MOVE, SPECIAL-USE, CONDSTORE, NOTIFY or
/// LIST-STATUS, whose folders live under `INBOX.`, with an account that holds only an
/// INBOX: delete, undo, archive, spam and its undo, drafts saved and replaced, a message sent
/// and filed. Checked each time from an independent client.
async fn a_new_account_works(user: &TestUser, imap_port: u16, submission_port: u16) {
    let mut imap = user.imap().await;
    assert_eq!(folder_names(&mut imap).await, ["INBOX"], "the account starts with only an INBOX");
    let mut placed = Vec::new();
    for i in 1..=3 {
        placed.push(append(&mut imap, "INBOX", &numbered_message(i)).await);
    }
    let uv = placed[0].1;
    let app = TestApp::start_on(imap_port, submission_port).await;
    let b = Browser::new(&app);
    let inbox = b.login(user).await;
    assert!(inbox.body.contains("Message number 00003"), "{}", inbox.body);
    let token = csrf(&inbox.body);

    // Delete: Trash is created inside the namespace, the message goes there, undo brings it back.
    let page = act(&b, &token, "INBOX", uv, &[placed[0].0], "delete", &[]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Moved to Trash."), "{}", page.body);
    assert!(page.body.contains("action=\"/undo\""), "undo is offered without MOVE (COPYUID): {}", page.body);
    assert!(folder_names(&mut imap).await.contains(&"INBOX.Trash".to_string()));
    assert_eq!((count(&mut imap, "INBOX").await, count(&mut imap, "INBOX.Trash").await), (2, 1));
    // The list that follows shows the folder as it is (the EXPUNGEs of the copy-and-remove were
    // counted), with the two messages left.
    assert!(!page.body.contains("Message number 00001"), "{}", page.body);
    assert!(page.body.contains("Message number 00002") && page.body.contains("Message number 00003"), "{}", page.body);
    let undone = b.post("/undo", &[("csrf", &token)]).await;
    assert!(undone.body.contains("Undone."), "{}", undone.body);
    assert_eq!((count(&mut imap, "INBOX").await, count(&mut imap, "INBOX.Trash").await), (3, 0));

    // Archive and spam: their folders are created the same way; the spam verdict is a keyword
    // other clients and the server's filters see, and undo takes it back.
    let now = uids(&mut imap, "INBOX").await;
    let page = act(&b, &token, "INBOX", uv, &[now[0]], "archive", &[]).await;
    assert!(page.body.contains("Moved to Archive."), "{}", page.body);
    assert_eq!(count(&mut imap, "INBOX.Archive").await, 1);
    let page = act(&b, &token, "INBOX", uv, &[now[1]], "spam", &[]).await;
    assert!(page.body.contains("Reported as spam and moved to Junk."), "{}", page.body);
    let junk = uids(&mut imap, "INBOX.Junk").await;
    assert_eq!(junk.len(), 1);
    assert!(flags_of(&mut imap, "INBOX.Junk", junk[0]).await.iter().any(|f| f.contains("$Junk")));
    let undone = b.post("/undo", &[("csrf", &token)]).await;
    assert!(undone.body.contains("Undone."), "{}", undone.body);
    assert_eq!(count(&mut imap, "INBOX.Junk").await, 0);
    let back = uids(&mut imap, "INBOX").await;
    assert_eq!(back.len(), 2);
    for uid in back {
        assert!(!flags_of(&mut imap, "INBOX", uid).await.iter().any(|f| f.contains("$Junk")), "the verdict went with the undo");
    }

    // Drafts: saved into INBOX.Drafts (created), and the next save replaces it (APPENDUID).
    let mut form = Form::from_page(&b.get("/compose").await.body);
    form.set("to", &user.name).set("subject", "Namespace draft").set("body", "first version");
    let res = post_compose(&b, &form, "save", &[], true).await;
    assert_eq!(res.status().as_u16(), 200);
    let v = json_of(res).await;
    assert_eq!(v["saved"], true, "{v}");
    let replaces = v["replaces"].as_str().expect("the saved version is known").to_string();
    assert!(!replaces.is_empty(), "{v}");
    assert_eq!(count(&mut imap, "INBOX.Drafts").await, 1);
    form.set("replaces", &replaces).set("body", "second version");
    let v = json_of(post_compose(&b, &form, "save", &[], true).await).await;
    assert_eq!(v["saved"], true, "{v}");
    form.set("replaces", v["replaces"].as_str().unwrap_or_default());
    assert_eq!(count(&mut imap, "INBOX.Drafts").await, 1, "the older version was replaced");

    // Sent: filed into INBOX.Sent (created), the draft removed.
    let sent = crate::compose::follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert!(sent.body.contains("Message sent."), "{}", sent.body);
    assert_eq!(count(&mut imap, "INBOX.Sent").await, 1);
    assert_eq!(count(&mut imap, "INBOX.Drafts").await, 0);

    // The sidebar names the folders as people know them, without the namespace prefix.
    let page = b.get("/f/INBOX").await;
    for title in ["Drafts", "Sent", "Archive", "Junk", "Trash"] {
        assert!(page.body.contains(&format!("<span class=\"folder-name\">{title}</span>")), "{title}: {}", page.body);
    }
    assert!(!page.body.contains("folder-name\">INBOX."), "{}", page.body);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_minimal_server_a_new_account_deletes_archives_reports_spam_saves_drafts_and_sends() {
    let m = minimal();
    a_new_account_works(&m.user(), m.imap_port, m.submission_port).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_courier_imap_a_new_account_deletes_archives_reports_spam_saves_drafts_and_sends() {
    let c = courier();
    a_new_account_works(&c.user(), c.imap_port, dovecot().submission_port).await;
}

/// Folders, space and archives on a server without SPECIAL-USE, LIST-STATUS, STATUS=SIZE,
/// ESORT, MULTIAPPEND or a quota, whose folders live under `INBOX.`: a folder made in any
/// script and nested, renamed, filled by an import and deleted with its messages kept in the
/// Trash; the largest messages found; no quota shown.
async fn folders_space_and_archives_work(user: &TestUser, imap_port: u16, submission_port: u16) {
    let mut imap = user.imap().await;
    for i in 1..=3 {
        append(&mut imap, "INBOX", &numbered_message(i)).await;
    }
    append(&mut imap, "INBOX", format!("From: a@example.org\r\nSubject: The big one\r\nMessage-ID: <big@example.org>\r\n\r\n{}\r\n", "b".repeat(30_000)).as_bytes()).await;
    let app = TestApp::start_on(imap_port, submission_port).await;
    let b = Browser::new(&app);
    b.login(user).await;
    let token = csrf(&b.get("/settings/folders").await.body);

    let made = b.post("/folders", &[("csrf", &token), ("name", "Été 2026")]).await;
    assert!(made.body.contains("Folder “Été 2026” created."), "{}", made.body);
    let child = b.post("/folders", &[("csrf", &token), ("name", "Photos"), ("parent", "INBOX.Été 2026")]).await;
    assert!(child.body.contains("Folder “Photos” created."), "{}", child.body);
    let names = folder_names(&mut imap).await;
    assert!(names.contains(&"INBOX.&AMk-t&AOk- 2026".to_string()) && names.contains(&"INBOX.&AMk-t&AOk- 2026.Photos".to_string()), "{names:?}");
    let renamed = b.post("/f/INBOX.%C3%89t%C3%A9%202026/rename", &[("csrf", &token), ("name", "Vacances")]).await;
    assert!(renamed.body.contains("Folder renamed to “Vacances”."), "{}", renamed.body);
    let names = folder_names(&mut imap).await;
    assert!(names.contains(&"INBOX.Vacances".to_string()) && names.contains(&"INBOX.Vacances.Photos".to_string()) && !names.iter().any(|n| n.contains("&AMk-")), "{names:?}");

    // Free up space: the largest message first, found without ESORT; no quota to show.
    let space = b.get("/settings/space").await;
    assert_eq!(space.status, 200);
    let largest = &space.body[space.body.find("class=\"largest\"").expect("the largest messages")..];
    assert!(largest.find("The big one").expect("the big one") < largest.find("Message number").expect("the others"), "{largest}");
    assert!(!space.body.contains("space-meter") && !b.get("/f/INBOX").await.body.contains("quota"), "no quota on this server");

    // The Inbox out as mbox and into the new folder (one APPEND at a time without MULTIAPPEND).
    let mbox = b.raw_get("/f/INBOX/export.mbox").await.bytes().await.unwrap().to_vec();
    let report = crate::archives::import(&b, &token, "INBOX.Vacances", "inbox.mbox", mbox).await;
    assert!(report.body.contains("4 messages imported"), "{}", report.body);
    assert_eq!(count(&mut imap, "INBOX.Vacances").await, 4);

    // Deleted with its folder inside: the messages go to the Trash (made for it).
    let gone = b.post("/f/INBOX.Vacances/delete", &[("csrf", &token), ("confirm", "yes"), ("messages", "trash")]).await;
    assert!(gone.body.contains("its 4 messages are in the Trash"), "{}", gone.body);
    let names = folder_names(&mut imap).await;
    assert!(!names.iter().any(|n| n.starts_with("INBOX.Vacances")), "{names:?}");
    assert_eq!(count(&mut imap, "INBOX.Trash").await, 4);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_minimal_server_folders_space_and_archives_work() {
    let m = minimal();
    folders_space_and_archives_work(&m.user(), m.imap_port, m.submission_port).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_courier_imap_folders_space_and_archives_work() {
    let c = courier();
    folders_space_and_archives_work(&c.user(), c.imap_port, dovecot().submission_port).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_courier_imap_new_mail_shows_up_within_seconds_although_its_idle_polls_once_a_minute() {
    let c = courier();
    let user = c.user();
    let app = TestApp::start_on(c.imap_port, dovecot().submission_port).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let mut events = Events::open(&b, "INBOX", None).await;
    events.next("counts", Duration::from_secs(10)).await.expect("initial counts");
    let mut imap = user.imap().await;
    append(&mut imap, "INBOX", &numbered_message(9)).await;
    // Courier's own IDLE (IMAP_ENHANCEDIDLE=0) would report it up to 60 s later; the NOOP
    // check every 5 s does within 15.
    let changed = events.next("changed", Duration::from_secs(15)).await.expect("the new message is announced");
    assert_eq!(changed["folder"], "INBOX");
    let page = b.get("/f/INBOX").await;
    assert!(page.body.contains("Message number 00009"), "{}", page.body);
    // Without ESORT, a quick filter searches the whole folder and shows a page of it.
    let unread = b.get("/f/INBOX?filter=unread").await;
    assert!(unread.body.contains("Message number 00009") && unread.body.contains("<span class=\"range\">1–1 of 1</span>"), "{}", unread.body);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_show_without_the_namespace_prefix_nested_by_the_separator() {
    let m = minimal();
    let user = m.user();
    let mut imap = user.imap().await;
    for name in ["INBOX.Projects", "INBOX.Projects.2024", "INBOX.&AMk-t&AOk-"] {
        make_folder(&mut imap, name).await.expect("create");
    }
    let (uid, uv) = append(&mut imap, "INBOX", &numbered_message(1)).await;
    let app = TestApp::start_on(m.imap_port, m.submission_port).await;
    let b = Browser::new(&app);
    let page = b.login(&user).await;
    for (href, depth, label) in [
        ("/f/INBOX%2EProjects", 0, "Projects"),
        ("/f/INBOX%2EProjects%2E2024", 1, "2024"),
        ("/f/INBOX%2E%C3%89t%C3%A9", 0, "Été"),
    ] {
        let item = sidebar_item(&page.body, href);
        assert!(item.contains(&format!("class=\"depth-{depth} ")), "{href}: {item}");
        assert!(item.contains(&format!("<span class=\"folder-name\">{label}</span>")), "{href}: {item}");
    }
    // The move menu is flat: a nested folder shows its path.
    assert!(page.body.contains("<button type=\"submit\" name=\"move-to\" value=\"INBOX.Projects.2024\" class=\"menu-item\">Projects / 2024</button>"), "{}", page.body);
    let moved = act(&b, &csrf(&page.body), "INBOX", uv, &[uid], "move", &[("target", "INBOX.Projects.2024")]).await;
    assert!(moved.body.contains("Moved to 2024."), "{}", moved.body);
    assert_eq!(count(&mut imap, "INBOX.Projects.2024").await, 1);
    assert!(moved.body.contains("action=\"/undo\""), "{}", moved.body);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_whose_idle_is_slow_is_checked_by_noop_and_changes_still_arrive() {
    let m = minimal();
    let user = m.user();
    let app = TestApp::start_on(m.imap_port, m.submission_port).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let mut events = Events::open(&b, "INBOX", None).await;
    events.next("counts", Duration::from_secs(10)).await.expect("initial counts");
    // The greeting names Courier-IMAP, whose IDLE looks at the folder once a minute: the
    // watcher checks every few seconds by NOOP instead, and never sits in IDLE.
    assert_eq!(m.connections(&user.name), 2, "the watcher is connected");
    for _ in 0..15 {
        assert_eq!(m.idling(&user.name), 0, "the watcher does not rely on this server's IDLE");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut imap = user.imap().await;
    append(&mut imap, "INBOX", &numbered_message(4)).await;
    let changed = events.next("changed", Duration::from_secs(12)).await.expect("the new message is announced");
    assert_eq!(changed["folder"], "INBOX");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_notify_new_inbox_mail_is_counted_within_seconds_while_another_folder_is_shown() {
    let m = minimal();
    let user = m.user();
    let mut imap = user.imap().await;
    make_folder(&mut imap, "INBOX.Projects").await.expect("create");
    let app = TestApp::start_on(m.imap_port, m.submission_port).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let mut events = Events::open(&b, "INBOX.Projects", None).await;
    let first = events.next("counts", Duration::from_secs(10)).await.expect("initial counts");
    let inbox_unread = |v: &serde_json::Value| {
        v["folders"].as_array().and_then(|f| f.iter().find(|f| f["href"] == "/f/INBOX")).map(|f| f["unread"].clone())
    };
    assert_eq!(inbox_unread(&first), Some(serde_json::json!(0)), "{first}");
    append(&mut imap, "INBOX", &numbered_message(5)).await;
    // The counts of other folders are otherwise refreshed once a minute (no NOTIFY): one
    // STATUS of the Inbox at each check brings them within seconds.
    let counts = events.next("counts", Duration::from_secs(15)).await.expect("new counts");
    assert_eq!(inbox_unread(&counts), Some(serde_json::json!(1)), "{counts}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_refuses_create_copy_and_append_is_shown_and_nothing_is_half_done() {
    let m = minimal();
    let user = m.user();
    let mut imap = user.imap().await;
    // Archive and Junk exist; Trash does not. Then the user loses the rights to create
    // folders and to put messages anywhere.
    make_folder(&mut imap, "INBOX.Archive").await.expect("create");
    make_folder(&mut imap, "INBOX.Junk").await.expect("create");
    let (uid, uv) = append(&mut imap, "INBOX", &numbered_message(1)).await;
    // An earlier "not spam" verdict, which a failed spam report must give back.
    let _: Vec<_> = imap.uid_store(uid.to_string(), "+FLAGS.SILENT ($NotJunk)").await.expect("store").try_collect().await.expect("store");
    imap.logout().await.expect("logout");
    m.deny(&user.name, "ik", "*");

    let app = TestApp::start_on(m.imap_port, m.submission_port).await;
    let b = Browser::new(&app);
    let token = csrf(&b.login(&user).await.body);
    let unchanged = async || {
        let mut imap = user.imap().await;
        let flags: Vec<String> = flags_of(&mut imap, "INBOX", uid).await.into_iter().filter(|f| f != "Recent").collect();
        let names = folder_names(&mut imap).await;
        (count(&mut imap, "INBOX").await, flags, names.contains(&"INBOX.Trash".to_string()))
    };
    let before = unchanged().await;
    assert_eq!(before.0, 1);
    assert!(before.1.iter().any(|f| f.contains("$NotJunk")), "{:?}", before.1);
    for (action, what) in [("delete", "CREATE"), ("archive", "COPY"), ("spam", "COPY after the verdict")] {
        let page = act(&b, &token, "INBOX", uv, &[uid], action, &[]).await;
        assert_eq!(page.status, 200, "{action}: {}", page.body);
        assert!(
            page.body.contains("The mail server refused: Permission denied. Nothing was done."),
            "{action} ({what}): {}",
            page.body
        );
        assert!(!page.body.contains("action=\"/undo\""), "nothing to undo after {action}");
        assert_eq!(unchanged().await, before, "{action} left nothing half done ({what})");
    }
    // A draft that cannot be saved: a JSON error for the script, in the server's words.
    let mut form = Form::from_page(&b.get("/compose").await.body);
    form.set("subject", "Cannot be saved").set("body", "text");
    let res = post_compose(&b, &form, "save", &[], true).await;
    assert_eq!(res.status().as_u16(), 502);
    assert!(res.headers()["content-type"].to_str().unwrap_or_default().starts_with("application/json"));
    let v = json_of(res).await;
    assert_eq!(v["error"], "mail-refused", "{v}");
    assert_eq!(v["message"], "The mail server refused: Permission denied", "{v}");
    // Without JavaScript, the page says the same.
    let page = crate::compose::follow(&b, post_compose(&b, &form, "save", &[], false).await).await;
    assert_eq!(page.status, 502);
    assert!(page.body.contains("The mail server refused: Permission denied"), "{}", page.body);
    assert_eq!(unchanged().await, before);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_connection_limit_the_watcher_gives_way_and_the_limit_is_named() {
    // One user may hold two connections from one address.
    let server = OwnServer::start("mailserver.sh", &["--connection-limit", "2"], false);
    let (d, imap_port) = (server.dir.display().to_string(), server.imap_port);
    let user = server.user(&user_name(1), &user_password(1));
    let connections = || {
        let out = std::process::Command::new("doveadm")
            .args(["-c", &format!("{d}/dovecot.conf"), "who", "-1", &user.name])
            .output()
            .expect("doveadm who");
        String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains(" imap ")).count()
    };

    // Request connections are logged out after half a second unused.
    let app = TestApp::start_with(
        |c| c.imap_idle_timeout = Duration::from_millis(500),
        |env| drop(env.insert("FACTEUR_IMAP_PORT".into(), imap_port.to_string())),
    )
    .await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let mut events = Events::open(&b, "INBOX", None).await;
    events.next("counts", Duration::from_secs(10)).await.expect("the watcher is connected");
    assert!(eventually(Duration::from_secs(10), async || connections() == 1).await, "only the watcher is left");
    // The phone, at the same address as the browser (Facteur passes the browser's address on,
    // and Dovecot counts per user and address), takes the second connection; the next click
    // needs one more.
    let mut phone = user.imap_from(b.address).await;
    assert_eq!(connections(), 2);
    let page = b.get("/f/INBOX").await;
    assert_eq!(page.status, 200, "the watcher gave its connection to the click: {}", page.body);
    phone.noop().await.expect("the phone keeps its connection");

    // Now the phone holds two and Facteur none: the limit is named, not "cannot be reached".
    assert!(eventually(Duration::from_secs(10), async || connections() == 1).await, "the request connection was let go");
    let mut tablet = user.imap_from(b.address).await;
    assert_eq!(connections(), 2);
    let page = b.get("/f/INBOX").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(page.body.contains("too many connections to the mail server"), "{}", page.body);
    // Signing in meanwhile says the same, and is not a wrong password.
    let other = b.neighbour();
    let refused = other.login_attempt(&user.name, &user.password).await;
    assert_eq!(refused.status, 503, "{}", refused.body);
    assert!(refused.body.contains("too many connections open for your account"), "{}", refused.body);
    tablet.logout().await.expect("logout");
    phone.logout().await.expect("logout");
    assert!(
        eventually(Duration::from_secs(10), async || b.get("/f/INBOX").await.status == 200).await,
        "once a connection is free, pages work again"
    );
    app.stop().await;
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_uidplus_only_the_chosen_messages_are_ever_removed() {
    // Neither MOVE nor UIDPLUS: removing means a plain EXPUNGE, which takes every message
    // marked \Deleted, also those another app marked.
    let server = OwnServer::start("mailserver.sh", &["--minimal", "--capabilities", "IMAP4rev1 LITERAL+ SASL-IR CHILDREN NAMESPACE IDLE ENABLE"], true);
    let (imap_port, submission_port) = (server.imap_port, server.submission_port);
    let user = server.user(&user_name(1), &user_password(1));
    let mut imap = user.imap().await;
    let mut placed = Vec::new();
    for i in 1..=3 {
        placed.push(append(&mut imap, "INBOX", &numbered_message(i)).await);
    }
    let uv = placed[0].1;
    // Another app marked the third one for deletion and has not expunged yet.
    imap.select("INBOX").await.expect("select");
    let _: Vec<_> = imap.uid_store(placed[2].0.to_string(), "+FLAGS.SILENT (\\Deleted)").await.expect("store").try_collect().await.expect("store");

    let app = TestApp::start_on(imap_port, submission_port).await;
    let b = Browser::new(&app);
    let token = csrf(&b.login(&user).await.body);
    // Without SORT, a sorted list is the list in arrival order, and the menu says why.
    let sorted = b.get("/f/INBOX?sort=subject&order=asc").await;
    assert!(sorted.body.contains("lists messages in order of arrival only"), "{}", sorted.body);
    assert!(!sorted.body.contains("<option value=\"subject\""), "{}", sorted.body);
    let shown: Vec<u32> = sorted.body.split("data-uid=\"").skip(1).filter_map(|s| s.split('"').next()?.parse().ok()).collect();
    assert_eq!(shown, placed.iter().rev().map(|p| p.0).collect::<Vec<_>>(), "newest first");
    let page = act(&b, &token, "INBOX", uv, &[placed[0].0], "delete", &[]).await;
    assert!(page.body.contains("The mail server refused: other messages of this folder are marked for deletion"), "{}", page.body);
    assert_eq!(uids(&mut imap, "INBOX").await, placed.iter().map(|p| p.0).collect::<Vec<_>>(), "nothing removed");
    assert_eq!(count(&mut imap, "INBOX.Trash").await, 0, "and nothing copied");
    let page = act(&b, &token, "INBOX", uv, &[placed[0].0], "delete-forever", &[("confirmed", "1")]).await;
    assert!(page.body.contains("The mail server refused:"), "{}", page.body);
    assert!(!flags_of(&mut imap, "INBOX", placed[0].0).await.iter().any(|f| f == "Deleted"), "not even marked");

    // Once the other app is done, both work, and only the chosen message goes.
    imap.select("INBOX").await.expect("select");
    let _: Vec<_> = imap.uid_store(placed[2].0.to_string(), "-FLAGS.SILENT (\\Deleted)").await.expect("store").try_collect().await.expect("store");
    let page = act(&b, &token, "INBOX", uv, &[placed[0].0], "delete", &[]).await;
    assert!(page.body.contains("Moved to Trash."), "{}", page.body);
    assert_eq!(uids(&mut imap, "INBOX").await, [placed[1].0, placed[2].0]);
    assert_eq!(count(&mut imap, "INBOX.Trash").await, 1);
    let page = act(&b, &token, "INBOX", uv, &[placed[1].0], "delete-forever", &[("confirmed", "1")]).await;
    assert!(page.body.contains("Deleted forever."), "{}", page.body);
    assert_eq!(uids(&mut imap, "INBOX").await, [placed[2].0]);
    assert!(page.body.contains("Message number 00003") && !page.body.contains("Message number 00002"), "{}", page.body);

    // A draft saved twice is one draft: without APPENDUID it is found by its Message-ID.
    let mut form = Form::from_page(&b.get("/compose").await.body);
    form.set("subject", "Draft without UIDPLUS").set("body", "one");
    let v = json_of(post_compose(&b, &form, "save", &[], true).await).await;
    assert_eq!(v["saved"], true, "{v}");
    form.set("replaces", v["replaces"].as_str().unwrap_or_default()).set("body", "two");
    let v = json_of(post_compose(&b, &form, "save", &[], true).await).await;
    assert_eq!(v["saved"], true, "{v}");
    assert_eq!(count(&mut imap, "INBOX.Drafts").await, 1);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_the_server_does_not_finish_is_taken_back() {
    let m = minimal();
    let user = m.user();
    let mut imap = user.imap().await;
    make_folder(&mut imap, "INBOX.Archive").await.expect("create");
    let (uid, uv) = append(&mut imap, "INBOX", &numbered_message(1)).await;
    imap.logout().await.expect("logout");
    // In the Inbox, the user may copy messages out but not mark them deleted nor expunge.
    m.deny(&user.name, "te", "INBOX");

    let app = TestApp::start_on(m.imap_port, m.submission_port).await;
    let b = Browser::new(&app);
    let token = csrf(&b.login(&user).await.body);
    for action in ["archive", "delete-forever"] {
        let page = act(&b, &token, "INBOX", uv, &[uid], action, &[("confirmed", "1")]).await;
        assert!(page.body.contains("The mail server refused:"), "{action}: {}", page.body);
        let mut imap = user.imap().await;
        assert_eq!(uids(&mut imap, "INBOX").await, [uid], "{action}: the message stays where it was");
        assert_eq!(count(&mut imap, "INBOX.Archive").await, 0, "{action}: and only there");
        assert!(!flags_of(&mut imap, "INBOX", uid).await.iter().any(|f| f == "Deleted"), "{action}: not left marked");
    }
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_hangs_up_at_once_is_a_connection_limit_not_a_wrong_password() {
    // What a server at its connection limit per address does (Courier's MAXPERIP, a
    // firewall's connlimit): accept, then close without a word, also on the TLS port.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            drop(conn);
        }
    });
    for security in ["plain", "tls"] {
        let app = TestApp::start_with(
            |_| {},
            |env| {
                env.insert("FACTEUR_IMAP_PORT".into(), port.to_string());
                env.insert("FACTEUR_IMAP_SECURITY".into(), security.into());
            },
        )
        .await;
        let b = Browser::new(&app);
        for _ in 0..6 {
            let page = b.login_attempt(&user_name(1), "whatever").await;
            assert_eq!(page.status, 503, "{security}: {}", page.body);
            assert!(page.body.contains("too many connections open for your account"), "{security}: {}", page.body);
        }
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_courier_imap_at_its_limit_per_address_the_watcher_gives_way() {
    // Two connections from one address, whoever they belong to (Courier's MAXPERIP).
    let server = OwnServer::start_with_env("courier.sh", &[], false, &[("COURIER_MAXPERIP", "2")]);
    let port = server.imap_port;
    let user = server.user("limited@example.test", "secret");

    let app = TestApp::start_with(
        |c| c.imap_idle_timeout = Duration::from_millis(500),
        |env| drop(env.insert("FACTEUR_IMAP_PORT".into(), port.to_string())),
    )
    .await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let mut events = Events::open(&b, "INBOX", None).await;
    events.next("counts", Duration::from_secs(10)).await.expect("the watcher is connected");
    assert!(
        eventually(Duration::from_secs(10), async || app.state.registry.open_connections() == 0).await,
        "the request connection was let go"
    );
    // A phone takes the second place; Courier closes the next connection before greeting it.
    // Courier counts a connection let go until its process has exited: the phone may have to
    // try again for a moment.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut phone = loop {
        match user.try_imap_from(std::net::Ipv4Addr::LOCALHOST.into()).await {
            Some(phone) => break phone,
            None if std::time::Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
            None => panic!("Courier never let the phone in"),
        }
    };
    let page = b.get("/f/INBOX").await;
    assert_eq!(page.status, 200, "the watcher gave its connection to the click: {}", page.body);
    phone.noop().await.expect("the phone keeps its connection");
    app.stop().await;
}

/// A mail server of one test's own (`scripts/mailserver.sh` or `scripts/courier.sh` in a
/// temporary directory), stopped when dropped.
pub struct OwnServer {
    pub dir: std::path::PathBuf,
    script: std::path::PathBuf,
    pub imap_port: u16,
    pub submission_port: u16,
}

impl OwnServer {
    /// Starts `script` with `options`; mailserver.sh with `submission`, also its Postfix.
    pub fn start(script: &str, options: &[&str], submission: bool) -> Self {
        Self::start_with_env(script, options, submission, &[])
    }

    fn start_with_env(script: &str, options: &[&str], submission: bool, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::Builder::new().prefix("fxo.").tempdir_in("/tmp").expect("temp dir").keep();
        let script = root().join("scripts").join(script);
        let (imap_port, imaps_port, submission_port) = (free_port(), free_port(), free_port());
        let d = dir.display().to_string();
        let mut args: Vec<String> = std::iter::once("start".to_string()).chain(options.iter().map(|o| o.to_string())).collect();
        args.push(d);
        args.push(imap_port.to_string());
        if script.ends_with("mailserver.sh") {
            args.push(imaps_port.to_string());
            if submission {
                args.push(submission_port.to_string());
            }
        }
        let out = std::process::Command::new("bash").arg(&script).args(&args).envs(env.iter().copied()).output().expect("start");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        Self { dir, script, imap_port, submission_port }
    }

    /// A user of this server.
    pub fn user(&self, name: &str, password: &str) -> TestUser {
        let add = std::process::Command::new("bash")
            .arg(&self.script)
            .args(["adduser", &self.dir.display().to_string(), name, password])
            .output()
            .expect("adduser");
        assert!(add.status.success(), "{}", String::from_utf8_lossy(&add.stderr));
        TestUser::new(name, password, self.imap_port)
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash").arg(&self.script).args(["stop", &self.dir.display().to_string()]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
