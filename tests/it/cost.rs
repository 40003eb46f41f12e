//! What an idle user costs the mail server: connections waiting in plain IDLE (which a
//! hibernating Dovecot parks for a few KiB) and none at all once the user has left.

use std::time::Duration;

use crate::harness::*;
use crate::servers::OwnServer;
use crate::sync::Events;

/// A tab left open: once the user is quiet, both of their connections wait in plain IDLE. A
/// hibernating Dovecot (the shared one, after 3 s) then holds them in `imap-hibernate`, with no
/// `imap` process; one that does not hibernate (a server of its own, without the option) keeps
/// them in IDLE. Either way new mail still reaches the tab, the next click works, and after it
/// the other folders are followed at once again (NOTIFY).
#[tokio::test]
async fn an_idle_tab_costs_a_hibernating_server_no_process_and_still_gets_new_mail() {
    let plain = OwnServer::start("mailserver.sh", &[], false);
    let shared = dovecot();
    for (dir, port, user, hibernates) in [
        (shared.dir.clone(), shared.imap_port, shared.user(), true),
        (plain.dir.clone(), plain.imap_port, plain.user(&user_name(1), &user_password(1)), false),
    ] {
        let app = TestApp::start_with(
            // Short, for the test to settle soon; long enough that the change in another folder,
            // made right after the click, still finds NOTIFY on on a busy machine.
            |c| c.notify_window = Duration::from_secs(3),
            |env| drop(env.insert("FACTEUR_IMAP_PORT".into(), port.to_string())),
        )
        .await;
        let mut imap = user.imap().await;
        make_folder(&mut imap, "Projects").await.expect("create");
        imap.logout().await.expect("logout");
        let b = Browser::new(&app);
        b.login(&user).await;
        let mut events = Events::open(&b, "INBOX", None).await;
        events.next("counts", Duration::from_secs(10)).await.expect("the watcher is connected");

        // Quiet: the request connection waits in IDLE after a few seconds, the watcher lets
        // NOTIFY go after three; the server hibernates both (or keeps them idling).
        let expected = if hibernates { (0, 2) } else { (2, 0) };
        let settled = eventually(Duration::from_secs(30), || async {
            hibernation(&dir, &user.name) == expected && (hibernates || who(&dir, &user.name).iter().all(|(_, t)| t.contains(" IDLE]")))
        })
        .await;
        assert!(settled, "hibernates: {hibernates}, connections: {:?}", who(&dir, &user.name));

        // New mail reaches the open tab.
        let mut imap = user.imap().await;
        append(&mut imap, "INBOX", &numbered_message(1)).await;
        let changed = events.next("changed", Duration::from_secs(10)).await.expect("new mail reaches the idle tab");
        assert_eq!(changed["folder"], "INBOX");
        // The next click works and shows it.
        let page = b.get("/f/INBOX").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("Message number 00001"), "{}", page.body);
        // Active again: a change in another folder is told at once, not at the next poll.
        append(&mut imap, "Projects", &numbered_message(2)).await;
        let mut told = false;
        while let Some(e) = events.next("changed", Duration::from_secs(10)).await {
            if e["folder"] == "Projects" {
                told = true;
                break;
            }
        }
        assert!(told, "another folder's change reaches the tab while the user is active");
        drop(events);
        app.stop().await;
    }
}

/// No tab open: after Facteur's idle time the user holds no connection at all, and the next
/// page opens one again from the sealed credentials.
#[tokio::test]
async fn without_a_tab_an_idle_user_holds_no_connection_and_the_next_page_works() {
    let d = dovecot();
    let user = d.user();
    let app = TestApp::start_with(|c| c.imap_idle_timeout = Duration::from_secs(2), |_| {}).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    assert_eq!(b.get("/f/INBOX").await.status, 200);
    assert!(d.connections(&user.name) >= 1);
    assert!(eventually(Duration::from_secs(15), || async { d.connections(&user.name) == 0 }).await, "{:?}", who(&d.dir, &user.name));
    let mut imap = user.imap().await;
    append(&mut imap, "INBOX", &numbered_message(3)).await;
    let page = b.get("/f/INBOX").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Message number 00003"), "{}", page.body);
    app.stop().await;
}
