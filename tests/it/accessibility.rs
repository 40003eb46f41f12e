//! Accessibility and the reading experience in Chromium: axe-core (fetched at the version
//! tests/axe/package-lock.json pins, by scripts/install-deps.sh) on every kind of page, light
//! and dark, desktop and phone; the keyboard alone; message frames as tall as their content.

use std::time::Duration;

use fantoccini::{Client, Locator};

use crate::browser::{browser, browser_with, click, loaded, login, press, seed, shot};
use crate::harness::*;

/// The WCAG rules axe checks: 2.0, 2.1 and 2.2, levels A and AA.
const TAGS: &str = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']";

pub(crate) fn axe_source() -> String {
    let path = root().join("tests/axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (scripts/install-deps.sh fetches axe-core)", path.display()))
}

/// axe-core's critical and serious findings on the page shown, one line each. Message
/// bodies are left out: they are the sender's, in a sandboxed frame.
pub(crate) async fn axe(c: &Client, source: &str) -> Vec<String> {
    c.execute(&format!("{source}\n;return typeof axe;"), vec![]).await.expect("inject axe-core");
    let script = format!(
        "const done = arguments[arguments.length - 1];
         axe.run(document, {{ runOnly: {{ type: 'tag', values: {TAGS} }}, iframes: false }})
           .then(r => r.passes.length < 5 ? done(['axe checked only ' + r.passes.length + ' rules']) : r)
           .then(r => r && done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
             .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' — ' + v.nodes.slice(0, 6).map(n => n.target.join(' ') + (n.failureSummary ? ' [' + n.failureSummary.replace(/\\s+/g, ' ').slice(0, 160) + ']' : '')).join('; '))))
           .catch(e => done(['axe failed: ' + e]));"
    );
    let found = c.execute_async(&script, vec![]).await.expect("axe.run");
    found.as_array().cloned().unwrap_or_default().iter().filter_map(|v| v.as_str().map(String::from)).collect()
}

/// Every kind of page: (name, path, what shows once it is there).
fn pages(message: &str, remote: &str, pdf: &str) -> Vec<(&'static str, String, &'static str)> {
    vec![
        ("inbox", "/f/INBOX".into(), "ul.messages"),
        ("message", message.to_string(), "article.message"),
        // "Always show images from …", a link that was once nearly invisible.
        ("message-images-blocked", remote.to_string(), "article.message"),
        ("pdf", pdf.to_string(), "ol.pdf-pages"),
        ("compose", "/compose".into(), "form#compose"),
        ("search", "/search?q=plans".into(), "ul.messages"),
        ("empty-folder", "/f/Trash".into(), "p.empty"),
        ("settings", "/settings".into(), "section.settings"),
        ("folders", "/settings/folders".into(), "ul.folder-rows"),
        ("space", "/settings/space".into(), "section.space-page"),
        ("import-running", "/import/a11y-running".into(), "section[data-working]"),
        ("filters", "/settings/filters".into(), "form.filter-form"),
        ("filter-apply", "/settings/filters/0/apply".into(), "section.filter-apply"),
        ("vacation", "/settings/vacation".into(), "section.vacation-page"),
        ("sieve", "/settings/sieve".into(), "section.sieve-page"),
        ("import-report", "/import/a11y-done".into(), "ul.skipped"),
        ("contacts", "/contacts".into(), "main.content"),
        ("scheduled", "/scheduled".into(), "section.scheduled-page"),
        ("snoozed", "/snoozed".into(), "section.snoozed-page"),
        ("security", "/settings/security".into(), "section.security-page"),
        ("devices", "/settings/devices".into(), "main.content"),
        ("not-found", "/m/INBOX/1/999999".into(), "body"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_every_page_passes_axe_light_and_dark_on_desktop_and_phone() {
    let source = axe_source();
    // The outbox on, as by default: Settings offer the Undo send delay.
    let app = TestApp::start_with(|_| {}, |env| drop(env.insert("FACTEUR_OUTBOX_ENABLED".into(), "true".into()))).await;
    let user = dovecot().user();
    seed(&user).await;
    let mut imap = user.imap().await;
    append(&mut imap, "INBOX", &crate::conversations::message(1, "Alice <alice@example.org>", None, &[])).await;
    let (uid, uv) = append(&mut imap, "INBOX", &crate::conversations::message(2, "Bob <bob@example.org>", Some(1), &[1])).await;
    let message = format!("/m/INBOX/{uv}/{uid}");
    let letter = b"From: News <news@example.org>\r\nTo: me@example.test\r\nSubject: Pictures\r\nMIME-Version: 1.0\r\n\
        Content-Type: text/html; charset=utf-8\r\n\r\n<p>Look:</p><img src=\"https://images.example.org/a.png\" alt=\"a\">\r\n";
    let (remote_uid, _) = append(&mut imap, "INBOX", letter).await;
    let remote = format!("/m/INBOX/{uv}/{remote_uid}");
    let report = include_bytes!("../fixtures/attachments.eml");
    let (report_uid, _) = append(&mut imap, "INBOX", report).await;
    let pdf_part = facteur::mail::mime::parse(report).attachments.iter().find(|a| a.content_type == "application/pdf").unwrap().part;
    let pdf = format!("/m/INBOX/{uv}/{report_uid}/part/{pdf_part}/view");
    // An import under way (for as long as the test runs) and one that ended with a report.
    let (db, key, now) = (&app.state.db, facteur::web::auth::user_key(&user.name), facteur::clock::unix_ms());
    for (id, finished) in [("a11y-running", false), ("a11y-done", true)] {
        facteur::store::imports::create(db, &key, id, "INBOX", 3 << 20, now).await.unwrap();
        let report = r#"{"imported":40,"duplicates":2,"skipped":[{"number":7,"file":"old.zip/a.eml","why":"Binary"}],"stopped":["NO [OVERQUOTA] Quota exceeded",43]}"#;
        facteur::store::imports::update(db, &key, id, 1 << 20, report, finished, now + 3_600_000).await.unwrap();
    }
    // Two filters and a vacation reply that is on: every page shows its banner.
    let web = Browser::new(&app);
    web.login(&user).await;
    let token = csrf(&web.get("/settings/filters").await.body);
    for (name, field, value, action, target) in [("Newsletters", "from", "news@example.org", "move", "Archive"), ("Urgent", "subject", "urgent", "star", "")] {
        let saved = web.post("/settings/filters", &[("csrf", &token), ("name", name), ("field", field), ("value", value), ("action", action), ("target", target)]).await;
        assert!(saved.body.contains("Filters saved"), "{}", saved.body);
    }
    let on = web.post("/settings/vacation", &[("csrf", &token), ("enabled", "on"), ("subject", "Away"), ("body", "Back soon."), ("end", "2099-12-24")]).await;
    assert!(on.body.contains("vacation-banner"), "{}", on.body);
    let mut findings = Vec::new();
    // Light: the system's (Chromium's default); dark: the system's too, as a dark desktop has it.
    for (theme, args) in [("light", vec![]), ("dark", vec!["--force-dark-mode".to_string()])] {
        let (_driver, c) = browser_with(true, &args).await;
        let sizes = [("desktop", (1280, 900)), ("phone", (390, 844))];
        for (size, (w, h)) in sizes {
            c.set_window_size(w, h).await.expect("window size");
            c.goto(&app.url("/login")).await.expect("login page");
            c.wait().for_element(Locator::Css("main.login")).await.expect("login form");
            shot(&c, &format!("a11y-{theme}-{size}-login")).await;
            findings.extend(axe(&c, &source).await.into_iter().map(|f| format!("{theme} {size} login: {f}")));
        }
        login(&c, &app, &user).await;
        for (size, (w, h)) in sizes {
            c.set_window_size(w, h).await.expect("window size");
            let dark = c.execute("return matchMedia('(prefers-color-scheme: dark)').matches", vec![]).await.expect("media");
            assert_eq!(dark.as_bool(), Some(theme == "dark"), "the browser's colour scheme");
            for (name, path, ready) in pages(&message, &remote, &pdf) {
                c.goto(&app.url(&path)).await.expect("page");
                // Generous: the Filters page logs in to ManageSieve, which once took over 15 s
                // under the whole suite's load. A page that never comes says what it showed.
                if let Err(e) = c.wait().at_most(Duration::from_secs(40)).for_element(Locator::Css(ready)).await {
                    let text = c.find(Locator::Css("main")).await.ok();
                    let text = match text {
                        Some(m) => m.text().await.unwrap_or_default(),
                        None => String::new(),
                    };
                    panic!("{theme} {size} {name}: {e}; the page says: {text}");
                }
                let complete = async || c.execute("return document.readyState === 'complete'", vec![]).await.ok().and_then(|v| v.as_bool()).unwrap_or(false);
                assert!(eventually(Duration::from_secs(15), complete).await, "{name} did not finish loading");
                shot(&c, &format!("a11y-{theme}-{size}-{name}")).await;
                findings.extend(axe(&c, &source).await.into_iter().map(|f| format!("{theme} {size} {name}: {f}")));
            }
        }
        c.close().await.expect("close");
    }
    assert!(findings.is_empty(), "axe-core found {} serious or critical problems:\n{}", findings.len(), findings.join("\n"));
}

/// The keys of WebDriver for keys that are not characters.
const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";
const ESCAPE: &str = "\u{E00C}";

async fn cursor_uid(c: &Client) -> String {
    c.find(Locator::Css("li.row.cursor")).await.expect("a cursor").attr("data-uid").await.unwrap().unwrap_or_default()
}

async fn focused(c: &Client) -> String {
    c.execute("const e = document.activeElement; return e ? e.tagName + '.' + e.className : ''", vec![]).await.unwrap().as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_the_keyboard_alone_archives_reads_the_next_message_and_opens_the_phone_menu() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let mut uids = Vec::new();
    for i in 1..=5 {
        uids.push(append(&mut imap, "INBOX", &numbered_message(i)).await.0);
    }
    let (_driver, c) = browser(true).await;
    c.set_window_size(1280, 860).await.expect("window size");
    login(&c, &app, &user).await;
    // Newest first: 5 4 3 2 1. Each row is one stop for Tab (its link); the cursor follows
    // the focus.
    c.execute("document.querySelector('li.row a.open').focus()", vec![]).await.unwrap();
    press(&c, TAB).await;
    assert_eq!(focused(&c).await, "A.open");
    assert_eq!(cursor_uid(&c).await, uids[3].to_string(), "Tab went to the next row's link and the cursor with it");
    press(&c, "k").await;
    // The cursor on 4; archived, it moves to 3, the row that followed.
    assert_eq!(cursor_uid(&c).await, uids[4].to_string());
    press(&c, "j").await;
    assert_eq!(cursor_uid(&c).await, uids[3].to_string());
    press(&c, "e").await;
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("#notice")).await.expect("archived");
    let gone = format!("li.row[data-uid='{}']", uids[3]);
    assert!(eventually(Duration::from_secs(5), || async { c.find_all(Locator::Css(&gone)).await.map(|v| v.is_empty()).unwrap_or(false) }).await);
    assert_eq!(cursor_uid(&c).await, uids[2].to_string(), "the highlight moved to the next message");

    // Open it; j shows the older message, k the newer one again; u goes back to the list,
    // with the highlight on the message read last.
    press(&c, "o").await;
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("article.message")).await.expect("the message");
    assert!(c.current_url().await.unwrap().path().ends_with(&format!("/{}", uids[2])));
    press(&c, "j").await;
    assert!(
        eventually(Duration::from_secs(10), || async { c.current_url().await.unwrap().path().ends_with(&format!("/{}", uids[1])) }).await,
        "j opens the older message"
    );
    press(&c, "k").await;
    assert!(
        eventually(Duration::from_secs(10), || async { c.current_url().await.unwrap().path().ends_with(&format!("/{}", uids[2])) }).await,
        "k opens the newer one"
    );
    // Deleting from the message page shows the next (older) message.
    press(&c, "#").await;
    assert!(
        eventually(Duration::from_secs(10), || async { c.current_url().await.unwrap().path().ends_with(&format!("/{}", uids[1])) }).await,
        "after # the older message shows: {}",
        c.current_url().await.unwrap()
    );
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("article.message")).await.expect("the next message");
    press(&c, "u").await;
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("ul.messages")).await.expect("the list");
    assert_eq!(cursor_uid(&c).await, uids[1].to_string(), "back on the list, the highlight is on the message just read");

    // A menu of the toolbar opens from the keyboard: v shows the folders to move to.
    press(&c, "v").await;
    assert!(c.find(Locator::Css("details.move-menu[open]")).await.is_ok(), "v opens the Move menu");
    assert_eq!(focused(&c).await, "BUTTON.menu-item");
    press(&c, ESCAPE).await;
    assert!(c.find(Locator::Css("details.move-menu[open]")).await.is_err(), "Escape closes it");

    // On a phone, the folder drawer opens from the keyboard: Tab to the menu button, Enter.
    c.set_window_size(390, 844).await.expect("phone size");
    c.goto(&app.url("/f/INBOX")).await.unwrap();
    c.wait().for_element(Locator::Css("ul.messages")).await.unwrap();
    let drawer = c.find(Locator::Css("nav.sidebar")).await.unwrap();
    assert!(!drawer.is_displayed().await.unwrap());
    press(&c, TAB).await;
    assert_eq!(focused(&c).await, "A.skip-link", "the first stop skips to the content");
    press(&c, TAB).await;
    assert!(focused(&c).await.starts_with("A.nav-button"), "{}", focused(&c).await);
    press(&c, ENTER).await;
    assert!(eventually(Duration::from_secs(5), || async { drawer.is_displayed().await.unwrap_or(false) }).await, "the drawer opened");
    let expanded = c.find(Locator::Css(".nav-button")).await.unwrap().attr("aria-expanded").await.unwrap();
    assert_eq!(expanded.as_deref(), Some("true"));
    assert!(focused(&c).await.starts_with('A'), "focus moved into the drawer");
    shot(&c, "phone-drawer-open").await;
    press(&c, ESCAPE).await;
    assert!(eventually(Duration::from_secs(5), || async { !drawer.is_displayed().await.unwrap_or(true) }).await, "Escape closed it");
    assert!(focused(&c).await.starts_with("A.nav-button"));
    // A tap on the backdrop closes it too.
    click(&c, ".nav-button").await;
    assert!(eventually(Duration::from_secs(5), || async { drawer.is_displayed().await.unwrap_or(false) }).await);
    c.execute("document.querySelector('.backdrop').click()", vec![]).await.unwrap();
    assert!(eventually(Duration::from_secs(5), || async { !drawer.is_displayed().await.unwrap_or(true) }).await, "the backdrop closed it");
    c.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_a_tall_html_message_shows_whole_without_a_scrollbar_of_its_own() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let paragraphs: String = (1..=150).map(|i| format!("<p>Paragraph {i} of a long letter.</p>")).collect();
    let html = format!(
        "From: Long <long@example.org>\r\nTo: me@example.test\r\nSubject: A long letter\r\nMessage-ID: <long@example.org>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>{paragraphs}<p id=\"end\">THE END</p>\
         <script>parent.document.title = 'pwned'; window.__pwned = 1;</script><img src=x onerror=\"window.__pwned=2\"></body></html>\r\n"
    );
    let (uid, uv) = append(&mut imap, "INBOX", html.as_bytes()).await;
    let (_driver, c) = browser(true).await;
    c.set_window_size(1280, 800).await.expect("window size");
    login(&c, &app, &user).await;
    c.goto(&app.url(&format!("/m/INBOX/{uv}/{uid}"))).await.unwrap();
    c.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css("iframe.body-frame.sized")).await.expect("the frame took its content's height");
    loaded(&c).await;
    let frame_height = c.execute("return document.querySelector('iframe.body-frame').getBoundingClientRect().height", vec![]).await.unwrap().as_f64().unwrap();
    assert!(frame_height > 800.0, "taller than the window: {frame_height}");
    let frame = c.find(Locator::Css("iframe.body-frame")).await.unwrap();
    frame.enter_frame().await.unwrap();
    let inside = c.execute("return [document.documentElement.scrollHeight, window.innerHeight, String(window.__pwned || '')]", vec![]).await.unwrap();
    let end = c.find(Locator::XPath("//p[contains(., 'THE END')]")).await.expect("the end of the letter").text().await.unwrap();
    c.enter_parent_frame().await.unwrap();
    let v = inside.as_array().unwrap();
    let (content, viewport) = (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
    assert!(content <= viewport + 1.0, "the frame shows all {content} px of the letter in {viewport} px: no scrollbar of its own");
    assert_eq!(end, "THE END");
    assert_eq!(v[2].as_str(), Some(""), "no script of the mail ran in its frame");
    let page = c.execute("return [document.title, String(window.__pwned || '')]", vec![]).await.unwrap();
    assert!(page[0].as_str().unwrap().contains("A long letter") && page[1].as_str() == Some(""), "{page}");
    // The page scrolls to the end of the letter.
    c.execute("window.scrollTo(0, document.body.scrollHeight); document.getElementById('content').scrollTo(0, 1e6)", vec![]).await.unwrap();
    shot(&c, "tall-message-end").await;
    c.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_all_of_a_folder_is_selected_from_the_page() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let many: Vec<Vec<u8>> = (1..=60).map(numbered_message).collect();
    user.bulk_append("INBOX", &many).await;
    let (_driver, c) = browser(true).await;
    c.set_window_size(1280, 860).await.expect("window size");
    login(&c, &app, &user).await;
    let banner = c.find(Locator::Id("select-folder")).await.expect("the banner is there, hidden");
    assert!(!banner.is_displayed().await.unwrap());
    click(&c, "#select-all").await;
    assert!(banner.is_displayed().await.unwrap(), "the whole page selected: the whole folder is offered");
    assert!(banner.text().await.unwrap().contains("Select all 60 in Inbox"));
    click(&c, "#select-folder a[data-select-folder]").await;
    assert!(banner.text().await.unwrap().contains("All 60 in Inbox are selected."));
    click(&c, ".list-tools button[value=archive]").await;
    c.wait().at_most(Duration::from_secs(15)).for_element(Locator::Css("p.empty")).await.expect("the inbox is empty");
    let mut imap = user.imap().await;
    assert_eq!(imap.select("Archive").await.unwrap().exists, 60);
    c.close().await.expect("close");
}
