//! Browser tests in Debian's headless Chromium through ChromeDriver, with screenshots.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::harness::*;

pub(crate) struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Driver {
    /// Where the browser saves downloads.
    pub(crate) fn downloads(&self) -> std::path::PathBuf {
        self._profile.path().join("downloads")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find_binary(names: &[&str]) -> PathBuf {
    for n in names {
        for dir in ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"] {
            let p = PathBuf::from(dir).join(n);
            if p.exists() {
                return p;
            }
        }
    }
    panic!("{names:?} not installed: the browser tests need Debian's chromium and chromium-driver (scripts/install-deps.sh)");
}

pub(crate) async fn browser(javascript: bool) -> (Driver, Client) {
    browser_with(javascript, &[]).await
}

pub(crate) async fn browser_with(javascript: bool, extra_args: &[String]) -> (Driver, Client) {
    let chromium = find_binary(&["chromium", "chromium-browser"]);
    let chromedriver = find_binary(&["chromedriver"]);
    let port = free_port();
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let profile = tempfile::tempdir().expect("profile dir");
    let driver = Driver { child, port, _profile: profile };
    let ok = eventually(Duration::from_secs(15), || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok()
    })
    .await;
    assert!(ok, "chromedriver did not start");
    // Downloads go to the profile's own folder, without asking.
    let mut prefs = json!({ "download.default_directory": driver.downloads(), "download.prompt_for_download": false });
    if !javascript {
        prefs["profile.managed_default_content_settings.javascript"] = json!(2);
    }
    let mut args: Vec<String> = [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", "--disable-quic", "--lang=en-US",
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    args.push(format!("--user-data-dir={}", driver._profile.path().display()));
    args.extend(extra_args.iter().cloned());
    let caps = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": args,
            "prefs": prefs,
        }
    });
    let caps = caps.as_object().cloned().expect("object");
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("a WebDriver session");
    (driver, client)
}

pub(crate) fn screenshot_dir() -> PathBuf {
    let dir = std::env::var_os("FACTEUR_SCREENSHOT_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/screenshots"));
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

pub(crate) async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.expect("screenshot");
    std::fs::write(screenshot_dir().join(format!("{name}.png")), png).expect("write screenshot");
}

pub(crate) async fn login(c: &Client, app: &TestApp, user: &TestUser) {
    c.goto(&app.url("/login")).await.expect("login page");
    c.find(Locator::Css("input[name=username]")).await.expect("username").send_keys(&user.name).await.expect("type");
    c.find(Locator::Css("input[name=password]")).await.expect("password").send_keys(&user.password).await.expect("type");
    c.find(Locator::Css("form button[type=submit]")).await.expect("button").click().await.expect("submit");
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("ul.messages")).await.expect("the inbox list");
}

/// Waits until the page and every frame in it have loaded, images included: whatever they
/// fetch has been fetched (or refused) by then. Message bodies cannot fetch anything later:
/// they run no script, and refresh and other timed tags are removed.
pub(crate) async fn loaded(c: &Client) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let ready = "return document.readyState === 'complete' && Array.from(document.images).every(i => i.complete)";
    loop {
        let mut all = c.execute(ready, vec![]).await.ok().and_then(|v| v.as_bool()).unwrap_or(false);
        let frames = c.find_all(Locator::Css("iframe")).await.unwrap_or_default();
        for frame in frames {
            if !all {
                break;
            }
            if frame.enter_frame().await.is_ok() {
                all = c.execute(ready, vec![]).await.ok().and_then(|v| v.as_bool()).unwrap_or(false);
                c.enter_parent_frame().await.expect("leave frame");
            } else {
                all = false;
            }
        }
        if all {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the page did not finish loading");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn seed(user: &TestUser) {
    let mut imap = user.imap().await;
    let many: Vec<Vec<u8>> = (1..=60).map(numbered_message).collect();
    user.bulk_append("INBOX", &many).await;
    for f in ["plain.eml", "attachments.eml", "encoded-words.eml", "iso-2022-jp.eml", "alternative.eml", "related-cid.eml"] {
        append(&mut imap, "INBOX", &fixture(f)).await;
    }
    make_folder(&mut imap, "Famille/&AMk-t&AOk- 2026").await.expect("create");
}

#[tokio::test]
async fn in_chromium_a_user_logs_in_reads_an_html_message_and_goes_back() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    seed(&user).await;
    let (_driver, c) = browser(true).await;
    c.set_window_size(1280, 860).await.expect("window size");
    login(&c, &app, &user).await;
    let title = c.title().await.expect("title");
    assert!(title.starts_with("(") && title.ends_with(") Inbox · Facteur"), "{title}");
    // The page's script tells the server the browser's time zone by name, beside the day's offset.
    let told = c.execute("return [document.cookie, Intl.DateTimeFormat().resolvedOptions().timeZone]", vec![]).await.expect("cookies");
    let (cookies, zone) = (told[0].as_str().unwrap_or_default(), told[1].as_str().unwrap_or_default());
    assert!(!zone.is_empty() && cookies.contains(&format!("facteur_zone={zone}")) && cookies.contains("facteur_tz="), "{cookies} / {zone}");
    shot(&c, "desktop-inbox").await;

    // The newest message is the HTML one with an inline image.
    click(&c, "ul.messages li.row a.open").await;
    let frame = c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("iframe.body-frame"))
        .await
        .expect("the message frame");
    assert_eq!(frame.attr("sandbox").await.expect("attr").as_deref(), Some("allow-scripts allow-popups allow-popups-to-escape-sandbox"));
    frame.enter_frame().await.expect("enter frame");
    let body = c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("body")).await.expect("frame body");
    assert!(body.text().await.expect("text").contains("GIRAFE"));
    let img = c.find(Locator::Css("img")).await.expect("inline image");
    assert!(img.attr("src").await.expect("src").unwrap_or_default().starts_with("data:image/png;base64,"));
    // A decoded image has its natural size (a broken one reports 0).
    let width = match img.prop("naturalWidth").await {
        Ok(v) => v.unwrap_or_default(),
        Err(fantoccini::error::CmdError::NotW3C(v)) => v.to_string(),
        Err(e) => panic!("naturalWidth: {e}"),
    };
    assert_eq!(width, "16", "the cid: image is displayed");
    c.enter_parent_frame().await.expect("leave frame");
    shot(&c, "desktop-message").await;

    // Back to the list: the message is now read.
    click(&c, ".toolbar a.back").await;
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("ul.messages")).await.expect("list again");
    let first_row = c.find(Locator::Css("ul.messages li.row")).await.expect("row");
    assert!(!first_row.attr("class").await.expect("class").unwrap_or_default().contains("unread"));

    // Phone width: the same pages in one column, the folders behind the menu button.
    c.set_window_size(390, 844).await.expect("phone size");
    c.refresh().await.expect("refresh");
    c.wait().for_element(Locator::Css("ul.messages")).await.expect("list");
    shot(&c, "phone-inbox").await;
    let sidebar = c.find(Locator::Css("nav.sidebar")).await.expect("sidebar");
    assert!(!sidebar.is_displayed().await.expect("displayed"), "folders are folded on a phone");
    c.find(Locator::Css("a.nav-button")).await.expect("menu").click().await.expect("open menu");
    // A live refresh may have swapped the sidebar in the meantime: look it up again.
    let shown = c.find(Locator::Css("nav.sidebar")).await.expect("sidebar").is_displayed().await;
    let shown = match shown {
        Ok(v) => v,
        Err(_) => c.find(Locator::Css("nav.sidebar")).await.expect("sidebar").is_displayed().await.expect("displayed"),
    };
    assert!(shown, "the menu button shows the folders");
    shot(&c, "phone-folders").await;
    // Escape closes it (a tap beside it too: tests/it/accessibility.rs).
    press(&c, "\u{E00C}").await;
    assert!(eventually(Duration::from_secs(5), || async { !c.find(Locator::Css("nav.sidebar")).await.unwrap().is_displayed().await.unwrap_or(true) }).await);
    click(&c, "ul.messages li.row a.open").await;
    c.wait().for_element(Locator::Css("article.message")).await.expect("message");
    shot(&c, "phone-message").await;
    c.close().await.expect("close");
}

#[tokio::test]
async fn without_javascript_everything_still_works() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    seed(&user).await;
    let (_driver, c) = browser(false).await;
    c.set_window_size(1280, 860).await.expect("window size");
    login(&c, &app, &user).await;
    // Older page, then a plain-text message with a link, then mark as unread and log out.
    c.find(Locator::Css("a[rel=next]")).await.expect("older").click().await.expect("older");
    c.wait().for_element(Locator::Css("a[rel=prev]")).await.expect("page 2");
    c.goto(&app.url("/f/INBOX")).await.expect("inbox");
    let rows = c.find_all(Locator::Css("ul.messages li.row a.open")).await.expect("rows");
    let mut plain = None;
    for r in rows {
        if r.text().await.unwrap_or_default().contains("Compte rendu et lien") {
            plain = Some(r);
            break;
        }
    }
    plain.expect("the plain-text message").click().await.expect("open");
    let link = c
        .wait()
        .for_element(Locator::Css(".body-text a[href^='https://example.org/compte-rendu']"))
        .await
        .expect("a linkified URL");
    assert_eq!(link.attr("rel").await.expect("rel").as_deref(), Some("noopener noreferrer"));
    shot(&c, "nojs-message").await;
    // "Mark as unread" is in the toolbar's "More" menu, a <details> that opens without JavaScript.
    c.find(Locator::Css("form.toolbar details.more-menu > summary")).await.expect("More").click().await.expect("open More");
    c.find(Locator::Css("form.toolbar button[value=unread]")).await.expect("mark unread").click().await.expect("click");
    c.wait().for_element(Locator::Css("ul.messages li.row.unread")).await.expect("back in the list");

    // Writing without JavaScript: attach with the button, remove, send.
    let dir = tempfile::tempdir().unwrap();
    let (keep, drop_me) = (dir.path().join("keep.txt"), dir.path().join("drop.txt"));
    std::fs::write(&keep, "kept\n").unwrap();
    std::fs::write(&drop_me, "dropped\n").unwrap();
    c.find(Locator::Css("a.compose-button")).await.expect("compose").click().await.expect("compose");
    c.wait().for_element(Locator::Css("form#compose")).await.expect("compose page");
    c.find(Locator::Css("#to")).await.unwrap().send_keys(&user.name).await.unwrap();
    c.find(Locator::Css("#subject")).await.unwrap().send_keys("Sans JavaScript").await.unwrap();
    c.find(Locator::Css("#body")).await.unwrap().send_keys("Écrit sans JavaScript.").await.unwrap();
    let files = format!("{}\n{}", keep.display(), drop_me.display());
    c.find(Locator::Css("input[type=file]")).await.unwrap().send_keys(&files).await.unwrap();
    c.find(Locator::Css("button.attach-button")).await.expect("attach button").click().await.expect("attach");
    c.wait().for_element(Locator::XPath("//ul[@class='upload-list']//span[.='drop.txt']")).await.expect("attached");
    c.find(Locator::Css("button[aria-label='Remove drop.txt']")).await.expect("remove").click().await.expect("remove");
    // The page the button posts to replaces this one: wait for it (the old page has keep.txt too).
    let removed = eventually(Duration::from_secs(15), || async {
        c.find_all(Locator::XPath("//ul[@class='upload-list']//span[.='drop.txt']")).await.is_ok_and(|v| v.is_empty())
    })
    .await;
    assert!(removed, "drop.txt is removed");
    c.wait().for_element(Locator::XPath("//ul[@class='upload-list']//span[.='keep.txt']")).await.expect("still attached");
    assert_eq!(c.find(Locator::Css("#body")).await.unwrap().prop("value").await.unwrap().as_deref(), Some("Écrit sans JavaScript."));
    shot(&c, "nojs-compose").await;
    c.find(Locator::Css("button.send")).await.expect("send").click().await.expect("send");
    c.wait().for_element(Locator::Css("#notice")).await.expect("sent notice");
    let mut imap = user.imap().await;
    let mut got = None;
    for _ in 0..100 {
        imap.select("INBOX").await.unwrap();
        if let Some(uid) = imap.uid_search("SUBJECT \"Sans JavaScript\"").await.unwrap().into_iter().next() {
            got = Some(uid);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let uid = got.expect("the message sent to oneself arrives");
    let f: Vec<_> = futures_util::TryStreamExt::try_collect(imap.uid_fetch(uid.to_string(), "BODY.PEEK[]").await.unwrap()).await.unwrap();
    let m = facteur::mail::mime::original(f[0].body().unwrap()).unwrap();
    assert_eq!(m.attachments.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), vec!["keep.txt"]);
    assert!(m.text.contains("Écrit sans JavaScript."));

    c.find(Locator::Css("form[action='/logout'] button")).await.expect("logout").click().await.expect("logout");
    c.wait().for_element(Locator::Css("input[name=username]")).await.expect("login page");
    c.close().await.expect("close");
}

/// Clicks the first element matching `css`, again if a live update replaced it meanwhile.
pub(crate) async fn click(c: &Client, css: &str) {
    for _ in 0..5 {
        match c.find(Locator::Css(css)).await {
            Ok(e) => match e.click().await {
                Ok(()) => return,
                Err(fantoccini::error::CmdError::Standard(w)) if w.error == fantoccini::error::ErrorStatus::StaleElementReference => {}
                Err(e) => panic!("click {css}: {e}"),
            },
            Err(e) => panic!("find {css}: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} kept changing");
}

pub(crate) async fn press(c: &Client, keys: &str) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let mut seq = KeyActions::new("keyboard".into());
    for ch in keys.chars() {
        seq = seq.then(KeyAction::Down { value: ch }).then(KeyAction::Up { value: ch });
    }
    c.perform_actions(seq).await.expect("keys");
}

#[tokio::test]
async fn an_open_inbox_tab_shows_new_mail_live_and_its_actions_reach_other_clients() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    for i in 1..=3 {
        append(&mut imap, "INBOX", &numbered_message(i)).await;
    }
    let (_driver, c) = browser(true).await;
    c.set_window_size(1280, 860).await.expect("window size");
    login(&c, &app, &user).await;
    // Let the page's event stream connect, and its watcher reach IDLE on the inbox: from then
    // on, the server reports every change to it.
    assert!(eventually(Duration::from_secs(10), || async { app.state.watchers.active() == 1 }).await);
    let d = dovecot();
    assert!(eventually(Duration::from_secs(10), || async { d.idling(&user.name) >= 1 }).await, "the watcher idles");

    // Another client delivers a message: it appears without a reload, with the new counts.
    append(&mut imap, "INBOX", &fixture("encoded-words.eml")).await;
    let row = c
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::XPath("//li[contains(@class,'row')]//span[contains(.,'Résumé de la réunion')]"))
        .await
        .expect("the new message shows up live");
    assert!(row.is_displayed().await.expect("displayed"));
    assert!(
        eventually(Duration::from_secs(10), || async { c.title().await.unwrap_or_default() == "(4) Inbox · Facteur" }).await,
        "tab title count: {}",
        c.title().await.unwrap_or_default()
    );
    // The tab's icon shows the count too.
    let icon = c.execute("return document.querySelector('link[rel=icon]').href", vec![]).await.expect("icon");
    assert!(icon.as_str().unwrap_or_default().starts_with("data:image/png"), "{icon}");
    shot(&c, "live-new-message").await;

    // Star the newest row from its star button: the other client sees \Flagged.
    click(&c, "li.row button.star-toggle").await;
    if c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("li.row.flagged")).await.is_err() {
        shot(&c, "debug-star").await;
        let logs = c.execute("return document.documentElement.outerHTML.slice(0, 3000)", vec![]).await;
        panic!("no starred row: {logs:?}");
    }
    let newest = imap.select("INBOX").await.unwrap().uid_next.unwrap() - 1;
    assert!(flags_of(&mut imap, "INBOX", newest).await.contains(&"Flagged".to_string()));
    assert!(c.find(Locator::Css("#notice")).await.expect("notice").text().await.unwrap().contains("Starred."));

    // Keyboard: j moves down, e archives the message under the cursor; Undo brings it back.
    press(&c, "j").await;
    let cursor_uid = c.find(Locator::Css("li.row.cursor")).await.expect("cursor").attr("data-uid").await.unwrap().unwrap();
    press(&c, "e").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#notice .link-button"))
        .await
        .expect("archived, with undo");
    let uid: u32 = cursor_uid.parse().unwrap();
    assert!(eventually(Duration::from_secs(5), || async {
        c.find_all(Locator::Css(&format!("li.row[data-uid='{uid}']"))).await.map(|v| v.is_empty()).unwrap_or(false)
    })
    .await);
    let mut other = user.imap().await;
    let archived = other.select("Archive").await.unwrap().exists;
    assert_eq!(archived, 1);
    shot(&c, "after-archive-undo-notice").await;
    click(&c, "#notice .link-button").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("li.row[data-uid]:nth-child(2)"))
        .await
        .expect("list again");
    let mut back = false;
    for _ in 0..50 {
        if other.select("Archive").await.map(|m| m.exists == 0).unwrap_or(false) {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(back, "undo moved it back");
    // ? shows the shortcuts.
    press(&c, "?").await;
    let help = c.find(Locator::Css("dialog#shortcuts")).await.expect("help");
    assert!(help.is_displayed().await.expect("displayed"));
    shot(&c, "shortcuts-help").await;
    press(&c, "?").await;

    // A message's tab keeps its own title when the count changes: only the count moves.
    click(&c, "li.row a.open").await;
    c.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css("article.message")).await.expect("the message");
    let title = c.title().await.unwrap_or_default();
    let own = title.split_once(") ").map(|(_, t)| t.to_string()).unwrap_or_default();
    assert!(own.ends_with(" · Inbox · Facteur") && own.len() > " · Inbox · Facteur".len(), "{title}");
    assert!(eventually(Duration::from_secs(10), || async { d.idling(&user.name) >= 1 }).await, "the watcher idles");
    append(&mut imap, "INBOX", &numbered_message(9)).await;
    let unseen = imap.status("INBOX", "(UNSEEN)").await.expect("status").unseen.expect("unseen");
    let want = format!("({unseen}) {own}");
    let mut last = String::new();
    let mut counted = false;
    for _ in 0..100 {
        last = c.title().await.unwrap_or_default();
        if last == want {
            counted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(counted, "the title after a new message: {last}, not {want}");
    c.close().await.expect("close");
}

#[tokio::test]
async fn in_chromium_a_user_writes_with_an_attachment_sends_finds_it_in_sent_and_replies() {
    let app = TestApp::start().await;
    let (alice, bob) = (dovecot().user(), dovecot().user());
    let mut imap = alice.imap().await;
    let lunch = format!(
        "From: Bob Martin <{}>\r\nTo: {}\r\nSubject: Lunch?\r\nMessage-ID: <lunch-1@example.test>\r\nDate: Thu, 26 Nov 2026 11:00:00 +0100\r\n\r\nNoon at the usual place?\r\n",
        bob.name, alice.name
    );
    let (lunch_uid, uv) = append(&mut imap, "INBOX", lunch.as_bytes()).await;
    facteur::store::compose::note_contacts(&app.state.db, &alice.name.to_lowercase(), &[("Bob Martin".into(), bob.name.clone())]).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file_name = "chiffres-novembre.csv";
    let file_path = dir.path().join(file_name);
    std::fs::write(&file_path, "month,total\nnovembre,1234\n").unwrap();

    let (_driver, c) = browser(true).await;
    c.set_window_size(1280, 900).await.expect("window size");
    login(&c, &app, &alice).await;
    press(&c, "c").await;
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("form#compose")).await.expect("the compose page");

    // The address comes from the contacts' suggestions.
    c.find(Locator::Css("#to")).await.unwrap().send_keys("Bob M").await.unwrap();
    c.wait().at_most(Duration::from_secs(5)).for_element(Locator::Css("ul.suggest li")).await.expect("a suggestion");
    c.find(Locator::Css("#to")).await.unwrap().send_keys("\u{E015}\u{E007}").await.unwrap(); // ArrowDown, Enter
    let to = c.find(Locator::Css("#to")).await.unwrap().prop("value").await.unwrap().unwrap_or_default();
    assert!(to.contains(&bob.name) && to.contains("Bob Martin"), "{to}");
    c.find(Locator::Css("#subject")).await.unwrap().send_keys("Chiffres de novembre").await.unwrap();
    c.find(Locator::Css("#body")).await.unwrap().send_keys("Bonjour Bob,\nles chiffres sont joints.").await.unwrap();

    // Rich text: the same text in the editor, then a bold word.
    click(&c, "[data-rich-toggle]").await;
    let editor = c.find(Locator::Css(".editor")).await.unwrap();
    assert!(editor.is_displayed().await.unwrap());
    editor.click().await.unwrap();
    c.execute("var e=document.querySelector('.editor');var r=document.createRange();r.selectNodeContents(e);r.collapse(false);var s=getSelection();s.removeAllRanges();s.addRange(r);", vec![]).await.unwrap();
    click(&c, "[data-cmd=bold]").await;
    editor.send_keys(" Important.").await.unwrap();

    // The file is uploaded as soon as it is chosen.
    c.find(Locator::Css("input[type=file]")).await.unwrap().send_keys(&file_path.display().to_string()).await.unwrap();
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath(&format!("//ul[@class='upload-list']//span[.='{file_name}']")))
        .await
        .expect("the attachment is listed");
    // Autosave puts one draft in Drafts.
    c.wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::XPath("//span[contains(@class,'autosave') and contains(.,'Draft saved.')]"))
        .await
        .expect("autosaved");
    let drafts = imap.select("Drafts").await.unwrap().exists;
    assert_eq!(drafts, 1);
    shot(&c, "compose").await;

    click(&c, "button.send").await;
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("ul.messages")).await.expect("back to the inbox");
    let notice = c.find(Locator::Css("#notice")).await.expect("notice").text().await.unwrap();
    assert!(notice.contains("Message sent."), "{notice}");
    assert_eq!(imap.select("Drafts").await.unwrap().exists, 0, "the autosaved draft is gone");

    let mut bob_imap = bob.imap().await;
    let mut raw = Vec::new();
    for _ in 0..100 {
        bob_imap.select("INBOX").await.unwrap();
        if let Some(uid) = bob_imap.uid_search("SUBJECT \"novembre\"").await.unwrap().into_iter().next() {
            let f: Vec<_> = futures_util::TryStreamExt::try_collect(bob_imap.uid_fetch(uid.to_string(), "BODY.PEEK[]").await.unwrap()).await.unwrap();
            raw = f[0].body().unwrap().to_vec();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let m = facteur::mail::mime::original(&raw).expect("Bob got it");
    assert_eq!(m.attachments.len(), 1);
    assert_eq!(m.attachments[0].bytes, b"month,total\nnovembre,1234\n");
    let html = m.html.expect("a rich message has HTML");
    assert!(html.contains("<b>") && html.contains("Important.</b>"), "{html}");
    assert!(m.text.contains("les chiffres sont joints.") && m.text.contains("Important."), "text alternative: {}", m.text);

    // It is in Sent.
    click(&c, "nav.sidebar li.icon-sent a").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::XPath("//li[contains(@class,'row')]//span[contains(.,'Chiffres de novembre')]"))
        .await
        .expect("the message in Sent");
    shot(&c, "sent-folder").await;

    // Reply from the message view.
    c.goto(&app.url(&format!("/m/INBOX/{uv}/{lunch_uid}"))).await.unwrap();
    click(&c, "a[data-key=r]").await;
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("form#compose")).await.expect("reply form");
    let subject = c.find(Locator::Css("#subject")).await.unwrap().prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(subject, "Re: Lunch?");
    c.find(Locator::Css("#body")).await.unwrap().send_keys("\nYes, see you at noon.").await.unwrap();
    shot(&c, "reply").await;
    click(&c, "button.send").await;
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("article.message")).await.expect("back to the original");
    let mut found = None;
    for _ in 0..100 {
        bob_imap.select("INBOX").await.unwrap();
        if let Some(uid) = bob_imap.uid_search("SUBJECT \"Re: Lunch?\"").await.unwrap().into_iter().next() {
            found = Some(uid);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let uid = found.expect("the reply arrives");
    let f: Vec<_> = futures_util::TryStreamExt::try_collect(bob_imap.uid_fetch(uid.to_string(), "BODY.PEEK[]").await.unwrap()).await.unwrap();
    let reply = facteur::mail::mime::original(f[0].body().unwrap()).unwrap();
    assert_eq!(reply.in_reply_to, vec!["lunch-1@example.test".to_string()]);
    assert!(reply.text.contains("> Noon at the usual place?") && reply.text.contains("Yes, see you at noon."), "{}", reply.text);
    assert!(flags_of(&mut imap, "INBOX", lunch_uid).await.contains(&"Answered".to_string()));

    // The compose page on a phone.
    c.set_window_size(390, 844).await.expect("phone size");
    c.goto(&app.url("/compose")).await.unwrap();
    c.wait().for_element(Locator::Css("form#compose")).await.expect("compose page");
    // Neither the page nor its scrolling content area is wider than the phone.
    let overflow = c
        .execute("const m = document.getElementById('content'); return document.documentElement.scrollWidth <= window.innerWidth + 1 && m.scrollWidth <= m.clientWidth + 1", vec![])
        .await
        .unwrap();
    shot(&c, "phone-compose").await;
    let wide = c
        .execute("const m = document.getElementById('content'); const r = m.getBoundingClientRect().left + m.clientWidth; return Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > Math.min(r, window.innerWidth) + 1).slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))", vec![])
        .await
        .unwrap();
    assert_eq!(overflow.as_bool(), Some(true), "no sideways scrolling on a phone: {wide}");
    c.close().await.expect("close");
}

/// The hostile corpus in tests/fixtures/hostile, with `BEACON` pointing at a loopback listener.
fn hostile_corpus(beacon_port: u16) -> Vec<(String, Vec<u8>)> {
    let dir = root().join("tests/fixtures/hostile");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/hostile")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let raw = std::fs::read(&p).unwrap();
            let text = String::from_utf8_lossy(&raw).contains("BEACON");
            let raw = if text { replace_bytes(&raw, b"BEACON", format!("127.0.0.1:{beacon_port}").as_bytes()) } else { raw };
            (p.file_name().unwrap().to_string_lossy().to_string(), raw)
        })
        .collect()
}

fn replace_bytes(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(hay.len());
    let mut i = 0;
    while i < hay.len() {
        if hay[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(hay[i]);
            i += 1;
        }
    }
    out
}

fn listed(name: &str) -> Vec<String> {
    std::fs::read_to_string(root().join("tests/fixtures/hostile").join(name))
        .unwrap_or_default()
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

#[tokio::test]
async fn in_chromium_no_hostile_message_runs_a_script_or_reaches_the_network() {
    let beacon = crate::security::Beacon::start().await;
    let corpus = hostile_corpus(beacon.port);
    assert!(corpus.len() >= 60, "the hostile corpus has {} messages", corpus.len());
    let no_marker = listed("NO_MARKER.txt");
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let mut placed = Vec::new();
    for (name, raw) in &corpus {
        let (uid, uv) = append(&mut imap, "INBOX", raw).await;
        placed.push((name.clone(), uv, uid));
    }
    let (_driver, c) = browser(true).await;
    c.set_window_size(1280, 900).await.expect("window size");
    login(&c, &app, &user).await;
    let http = Browser::new(&app);
    http.login(&user).await;
    for (round, images) in [(0, ""), (1, "?images=1")] {
        for (name, uv, uid) in &placed {
            let t0 = std::time::Instant::now();
            let url = app.url(&format!("/m/INBOX/{uv}/{uid}{images}"));
            c.goto(&url).await.unwrap_or_else(|e| panic!("{name}: {e}"));
            c.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css("article.message")).await.unwrap_or_else(|e| panic!("{name}: {e}"));
            if let Ok(text) = c.get_alert_text().await {
                panic!("{name}: a dialog opened: {text}");
            }
            // What the page and its frame show, as text.
            let mut shown = c.find(Locator::Css("article.message")).await.unwrap().text().await.unwrap_or_default();
            if let Ok(frame) = c.find(Locator::Css("iframe.body-frame")).await {
                frame.enter_frame().await.unwrap_or_else(|e| panic!("{name}: {e}"));
                if let Ok(body) = c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("body")).await {
                    shown.push_str(&body.text().await.unwrap_or_default());
                }
                // The frame runs Facteur's one script (its height, for the page); the mail's
                // part has none, no handler and no javascript: URL, and nothing of it ran.
                let inside = c
                    .execute(
                        "return [document.scripts.length, document.head.contains(document.scripts[0] || document.head), \
                         Array.from(document.body.querySelectorAll('*')).filter(e => Array.from(e.attributes).some(a => /^on/i.test(a.name) || /^\\s*javascript:/i.test(a.value))).length, \
                         String(window.__pwned || '')]",
                        vec![],
                    )
                    .await
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(inside[0], 1, "{name}: scripts in the frame: {inside}");
                assert_eq!(inside[1], true, "{name}: the frame's script is not Facteur's: {inside}");
                assert_eq!(inside[2], 0, "{name}: handlers or javascript: URLs in the mail: {inside}");
                assert_eq!(inside[3], "", "{name}: a script of the mail ran in its frame");
                c.enter_parent_frame().await.expect("leave frame");
            }
            if t0.elapsed() > Duration::from_secs(20) {
                eprintln!("{name}: slow to show ({:?})", t0.elapsed());
            }
            let marker = format!("HOSTILE-OK-{}", &name[..2]);
            if !no_marker.contains(name) {
                assert!(shown.contains(&marker), "{name}: the message did not render ({marker} missing):\n{shown}");
            }
            let pwned = c.execute("return [document.title, String(window.__pwned || ''), location.pathname]", vec![]).await.unwrap();
            let v = pwned.as_array().cloned().unwrap_or_default();
            assert!(v[0].as_str().unwrap_or_default().ends_with("Facteur"), "{name}: the page title changed: {v:?}");
            assert_eq!(v[1].as_str(), Some(""), "{name}: a script ran in our page");
            assert!(v[2].as_str().unwrap_or_default().starts_with("/m/INBOX/"), "{name}: the page navigated away: {v:?}");
            if round == 0 && (name.contains("svg") || name.starts_with("0") || name.contains("overlay")) {
                shot(&c, &format!("hostile-{}", name.trim_end_matches(".eml"))).await;
            }
            // Attachments stay downloads with safe headers; what shows in the browser (an
            // image's thumbnail and view) is a plain image, in a sandbox, or nothing.
            let page = http.get(&format!("/m/INBOX/{uv}/{uid}")).await;
            for part in links(&page.body, &format!("/m/INBOX/{uv}/{uid}/part/")) {
                let res = http.raw_get(&part).await;
                let h = res.headers();
                let ct = h.get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
                if res.status() == 200 && part.ends_with("/view") && ct.starts_with("text/html") {
                    // A PDF, shown as Facteur's own page of images that Facteur drew.
                    let view = http.get(&part).await;
                    assert!(view.body.contains("class=\"pdf-view\""), "{name}: {part} is HTML but not the PDF page");
                    let prefix = format!("{}/page/", part.trim_end_matches("/view"));
                    let pages: Vec<&str> = view.body.split("<img src=\"").skip(1).filter_map(|s| s.split('"').next()).filter(|s| s.starts_with(&prefix)).collect();
                    assert!(!pages.is_empty(), "{name}: {part} shows no page");
                    for page in pages {
                        let res = http.raw_get(page).await;
                        assert!(res.status() == 404 || res.headers()["content-type"] == "image/png", "{name}: {page}");
                    }
                } else if res.status() == 200 && (part.ends_with("/view") || part.ends_with("/thumb")) {
                    let ct = h["content-type"].to_str().unwrap();
                    assert!(["image/png", "image/jpeg", "image/gif", "image/webp"].contains(&ct), "{name}: {part} served as {ct}");
                    assert!(h["content-security-policy"].to_str().unwrap().starts_with("sandbox"));
                    assert_eq!(h["x-content-type-options"], "nosniff");
                } else if res.status() == 200 {
                    assert!(h["content-disposition"].to_str().unwrap().starts_with("attachment;"), "{name}: {part}");
                    assert_eq!(h["x-content-type-options"], "nosniff");
                    assert!(h["content-security-policy"].to_str().unwrap().starts_with("sandbox"));
                    let ct = h["content-type"].to_str().unwrap().to_ascii_lowercase();
                    assert!(!ct.contains("html") && !ct.contains("svg") && !ct.contains("xml") && !ct.contains("javascript"), "{name}: {part} served as {ct}");
                }
            }
        }
        // Blocked images make no request; allowed ones go through the proxy, which refuses
        // loopback addresses: either way the listener hears nothing. (Earlier messages were
        // loaded before the next was opened; the last one, once it has finished loading.)
        loaded(&c).await;
        let heard = beacon.requests.lock().unwrap().clone();
        assert!(heard.is_empty(), "round {round}: {} requests reached the listener:\n{}", heard.len(), heard.join("\n---\n"));
    }
    c.close().await.expect("close");
}

#[tokio::test]
async fn in_chromium_an_allowed_image_loads_through_the_proxy_inside_the_sandboxed_frame() {
    let beacon = crate::security::Beacon::start().await;
    let app = TestApp::start_with(|c| c.image_proxy_allow_private = true, |_| {}).await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let html = format!(
        "From: News <news@shop.example>\r\nTo: {}\r\nSubject: Photo\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n<p>Photo</p><img id=\"photo\" src=\"http://127.0.0.1:{}/a.png\" width=\"40\" height=\"40\">\r\n",
        user.name, beacon.port
    );
    let (uid, uv) = append(&mut imap, "INBOX", html.as_bytes()).await;
    let (_driver, c) = browser(true).await;
    login(&c, &app, &user).await;
    c.goto(&app.url(&format!("/m/INBOX/{uv}/{uid}"))).await.unwrap();
    c.wait().for_element(Locator::Css("iframe.body-frame")).await.unwrap();
    loaded(&c).await;
    assert_eq!(beacon.count(), 0, "blocked until asked");
    click(&c, "a.show-images").await;
    let frame = c.wait().for_element(Locator::Css("iframe.body-frame")).await.unwrap();
    frame.enter_frame().await.unwrap();
    let img = c.wait().for_element(Locator::Css("img")).await.unwrap();
    let mut width = 0;
    for _ in 0..50 {
        width = c.execute("return document.querySelector('img').naturalWidth", vec![]).await.unwrap().as_u64().unwrap_or(0);
        if width == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(width, 1, "the image loaded through the proxy");
    let src = img.attr("src").await.unwrap().unwrap_or_default();
    assert!(src.starts_with("/img?"), "{src}");
    c.enter_parent_frame().await.unwrap();
    assert_eq!(beacon.count(), 1);
    let sent = beacon.requests.lock().unwrap()[0].to_lowercase();
    assert!(!sent.contains("cookie:") && !sent.contains("referer:"), "{sent}");
    c.close().await.expect("close");
}

/// What a hosting provider's customer sees: their domain's brand on the login page (by host
/// name), and the page that tells them how to set up their other mail apps, on a desktop and a
/// phone.
#[tokio::test]
async fn in_chromium_a_branded_login_and_the_device_set_up_page() {
    let logo_dir = tempfile::tempdir().unwrap();
    let logo = logo_dir.path().join("logo.svg");
    std::fs::write(
        &logo,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 40 40\"><rect width=\"40\" height=\"40\" rx=\"8\" fill=\"#c2410c\"/><path d=\"M8 12h24v16H8z\" fill=\"none\" stroke=\"#fff\" stroke-width=\"3\"/></svg>",
    )
    .unwrap();
    let logo_path = logo.display().to_string();
    let app = TestApp::start_with(
        |_| {},
        move |env| {
            env.insert("FACTEUR_DOMAIN_1_NAME".into(), DOMAIN.into());
            env.insert("FACTEUR_DOMAIN_1_WEB_HOSTS".into(), "webmail.example.test".into());
            env.insert("FACTEUR_DOMAIN_1_BRAND_NAME".into(), "Example Test Mail".into());
            env.insert("FACTEUR_DOMAIN_1_BRAND_LOGO_FILE".into(), logo_path);
            env.insert("FACTEUR_DOMAIN_1_IMAP_PUBLIC_HOST".into(), "imap.example.test".into());
            env.insert("FACTEUR_DOMAIN_1_IMAP_PUBLIC_SECURITY".into(), "tls".into());
            env.insert("FACTEUR_DOMAIN_1_SMTP_PUBLIC_HOST".into(), "smtp.example.test".into());
            env.insert("FACTEUR_DOMAIN_1_SMTP_PUBLIC_SECURITY".into(), "starttls".into());
        },
    )
    .await;
    let user = dovecot().user();
    let rules = "--host-resolver-rules=MAP webmail.example.test 127.0.0.1".to_string();
    let (_driver, c) = browser_with(true, &[rules]).await;
    c.set_window_size(1280, 860).await.expect("window size");
    let base = format!("http://webmail.example.test:{}", app.addr.port());
    c.goto(&format!("{base}/login")).await.expect("login page");
    let heading = c.find(Locator::Css("h1.brand")).await.expect("brand").text().await.expect("text");
    assert_eq!(heading.trim(), "Example Test Mail");
    let logo_width = c.execute("return document.querySelector('img.brand-logo').naturalWidth", vec![]).await.expect("logo");
    assert!(logo_width.as_u64().is_some_and(|w| w > 0), "the logo is displayed: {logo_width}");
    shot(&c, "branded-login").await;
    // The part before the @ is enough on this host.
    let local = user.name.split('@').next().unwrap_or_default().to_string();
    c.find(Locator::Css("input[name=username]")).await.expect("username").send_keys(&local).await.expect("type");
    c.find(Locator::Css("input[name=password]")).await.expect("password").send_keys(&user.password).await.expect("type");
    c.find(Locator::Css("form button[type=submit]")).await.expect("button").click().await.expect("submit");
    if c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("header.topbar .username")).await.is_err() {
        shot(&c, "branded-login-failed").await;
        panic!("no inbox after login: {}", c.source().await.unwrap_or_default());
    }

    c.goto(&format!("{base}/settings")).await.expect("settings");
    click(&c, "a[href='/settings/devices']").await;
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("section.devices")).await.expect("the devices page");
    let text = c.find(Locator::Css("section.devices")).await.expect("section").text().await.expect("text");
    for expected in ["imap.example.test", "993", "SSL/TLS", "smtp.example.test", "STARTTLS", user.name.as_str(), "POP3"] {
        assert!(text.contains(expected), "{expected} missing from: {text}");
    }
    shot(&c, "desktop-devices").await;
    c.set_window_size(390, 844).await.expect("phone size");
    c.refresh().await.expect("refresh");
    c.wait().for_element(Locator::Css("section.devices")).await.expect("devices");
    let overflow = c
        .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth", vec![])
        .await
        .expect("widths");
    assert!(overflow.as_i64().is_some_and(|o| o <= 0), "the page fits a phone: {overflow}");
    shot(&c, "phone-devices").await;
    c.close().await.expect("close");
}

#[tokio::test]
async fn in_chromium_a_search_finds_a_message_opens_it_and_comes_back() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    seed(&user).await;
    let (_driver, c) = browser(true).await;
    c.set_window_size(1280, 860).await.expect("window size");
    login(&c, &app, &user).await;
    // "/" goes to the search box, as in Gmail.
    press(&c, "/").await;
    let focused = c.execute("return document.activeElement && document.activeElement.id", vec![]).await.expect("script");
    assert_eq!(focused, json!("search-q"));
    c.find(Locator::Css("#search-q")).await.expect("box").send_keys("subject:\"number 00042\"\u{E007}").await.expect("type");
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("body.search-results ul.messages")).await.expect("results");
    let rows = c.find_all(Locator::Css("ul.messages li.row")).await.expect("rows");
    assert_eq!(rows.len(), 1);
    assert!(rows[0].text().await.expect("text").contains("Message number 00042"));
    shot(&c, "desktop-search").await;
    click(&c, "ul.messages li.row a.open").await;
    c.wait().for_element(Locator::Css("article.message")).await.expect("message");
    c.back().await.expect("back");
    c.wait().for_element(Locator::Css("body.search-results ul.messages")).await.expect("results again");
    let q = c.find(Locator::Css("#search-q")).await.expect("box").prop("value").await.expect("value");
    assert_eq!(q.as_deref(), Some("subject:\"number 00042\""));
    // Typing again suggests the search just made.
    let boxed = c.find(Locator::Css("#search-q")).await.expect("box");
    boxed.clear().await.expect("clear");
    boxed.send_keys("numb").await.expect("type");
    let suggested = eventually(Duration::from_secs(10), async || {
        c.execute("return [...document.querySelectorAll('#search-suggestions option')].map(o => o.value)", vec![]).await.is_ok_and(|v| v == json!(["subject:\"number 00042\""]))
    })
    .await;
    assert!(suggested, "the recent search is suggested");
    // A mistake is explained under the box.
    c.goto(&app.url("/search?q=is%3Amaybe")).await.expect("search");
    let err = c.find(Locator::Css(".search-error")).await.expect("an explanation").text().await.expect("text");
    assert_eq!(err, "is: does not take “maybe”.");
    c.set_window_size(390, 844).await.expect("phone size");
    c.goto(&app.url("/search?q=number")).await.expect("search");
    c.wait().for_element(Locator::Css("ul.messages")).await.expect("results");
    shot(&c, "phone-search").await;
    let overflow = c.execute("return document.documentElement.scrollWidth > window.innerWidth", vec![]).await.expect("script");
    assert_eq!(overflow, json!(false), "no sideways scrolling on a phone");
    c.close().await.expect("close");

    // Dark.
    let (_driver, c) = browser_with(true, &["--force-dark-mode".to_string(), "--blink-settings=preferredColorScheme=0".to_string()]).await;
    c.set_window_size(1280, 860).await.expect("window size");
    login(&c, &app, &user).await;
    c.goto(&app.url("/search?q=number")).await.expect("search");
    c.wait().for_element(Locator::Css("ul.messages")).await.expect("results");
    let dark = c.execute("return matchMedia('(prefers-color-scheme: dark)').matches", vec![]).await.expect("script");
    assert_eq!(dark, json!(true));
    shot(&c, "desktop-search-dark").await;
    c.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_the_list_sorts_and_a_conversation_unfolds() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    use crate::conversations::message;
    append(&mut imap, "INBOX", &message(1, "Alice Martin <alice@example.org>", None, &[])).await;
    append(&mut imap, "Sent", &message(2, "Me <me@example.test>", Some(1), &[1])).await;
    let (uid, uv) = append(&mut imap, "INBOX", &message(3, "Alice Martin <alice@example.org>", Some(2), &[1, 2])).await;
    for (from, subject) in [("Zoé <z@example.org>", "Agenda"), ("Bob <b@example.org>", "Zebra crossing")] {
        append(&mut imap, "INBOX", format!("From: {from}\r\nSubject: {subject}\r\n\r\nHello.\r\n").as_bytes()).await;
    }
    let (_driver, c) = browser(true).await;
    c.set_window_size(1280, 860).await.expect("window size");
    login(&c, &app, &user).await;

    // By conversation: messages 1 and 3 (Inbox) are one row.
    let rows = c.find_all(Locator::Css("ul.messages li.row")).await.expect("rows");
    assert_eq!(rows.len(), 3);
    assert!(rows[0].text().await.expect("text").contains("Zebra crossing"));
    shot(&c, "desktop-conversations").await;

    // Choosing "Subject" sorts the list at once, A to Z, and the address says so.
    c.execute(
        "var s = document.querySelector('select[name=sort]'); s.value = 'subject'; s.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![],
    )
    .await
    .expect("script");
    let sorted = eventually(Duration::from_secs(10), async || c.current_url().await.is_ok_and(|u| u.query().is_some_and(|q| q.contains("sort=subject")))).await;
    assert!(sorted, "the address carries the order");
    let subjects = c.execute("return [...document.querySelectorAll('li.row .subject')].map(e => e.firstChild.textContent.trim())", vec![]).await.expect("script");
    assert_eq!(subjects, json!(["Agenda", "Plans", "Re: Plans", "Zebra crossing"]));
    shot(&c, "desktop-sorted").await;

    // The last message shows the two before it folded; one click unfolds one, in its own frame.
    c.goto(&app.url(&format!("/m/INBOX/{uv}/{uid}"))).await.expect("message");
    c.wait().for_element(Locator::Css("article.message")).await.expect("message");
    assert_eq!(c.find_all(Locator::Css("details.conv-item")).await.expect("items").len(), 2);
    click(&c, "details.conv-item summary").await;
    let frame = c.wait().for_element(Locator::Css("details.conv-item[open] iframe")).await.expect("unfolded");
    frame.enter_frame().await.expect("enter frame");
    let body = c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("body")).await.expect("frame body");
    assert!(body.text().await.expect("text").contains("Part 1 of the plans."));
    c.enter_parent_frame().await.expect("leave frame");
    shot(&c, "desktop-conversation").await;
    c.set_window_size(390, 844).await.expect("phone size");
    shot(&c, "phone-conversation").await;
    let overflow = c.execute("return document.documentElement.scrollWidth > window.innerWidth", vec![]).await.expect("script");
    assert_eq!(overflow, json!(false), "no sideways scrolling on a phone");
    c.close().await.expect("close");

    let (_driver, c) = browser_with(true, &["--force-dark-mode".to_string(), "--blink-settings=preferredColorScheme=0".to_string()]).await;
    c.set_window_size(1280, 860).await.expect("window size");
    login(&c, &app, &user).await;
    c.goto(&app.url(&format!("/m/INBOX/{uv}/{uid}"))).await.expect("message");
    click(&c, "details.conv-item summary").await;
    shot(&c, "desktop-conversation-dark").await;
    c.goto(&app.url("/f/INBOX")).await.expect("list");
    shot(&c, "desktop-sorted-dark").await;
    c.close().await.expect("close");
}
