//! Archives to and from the user's computer: a folder exported as mbox or as a zip of .eml
//! files and imported again comes back byte for byte, with its dates and read state, as an
//! independent IMAP client sees it; broken archives import what they can; a full mailbox
//! stops an import cleanly.

use std::collections::HashMap;

use futures_util::TryStreamExt;

use crate::compose::follow;
use crate::harness::*;

/// Every message of `mailbox` by Message-ID: (bytes, INTERNALDATE, \Seen, \Flagged).
async fn messages(imap: &mut Imap, mailbox: &str) -> HashMap<String, (Vec<u8>, i64, bool, bool)> {
    imap.select(mailbox).await.unwrap();
    let fetches: Vec<_> = imap.fetch("1:*", "(FLAGS INTERNALDATE BODY.PEEK[])").await.unwrap().try_collect().await.unwrap();
    fetches
        .iter()
        .map(|f| {
            let body = f.body().unwrap().to_vec();
            let id = facteur::mail::imap::transfer::message_id_of(&body).expect("a Message-ID");
            let flags: Vec<_> = f.flags().collect();
            let seen = flags.iter().any(|f| matches!(f, async_imap::types::Flag::Seen));
            let flagged = flags.iter().any(|f| matches!(f, async_imap::types::Flag::Flagged));
            (id, (body, f.internal_date().unwrap().timestamp(), seen, flagged))
        })
        .collect()
}

/// Posts `bytes` as the file of an import into `mailbox`; once uploaded, the import runs on
/// its own while its page tells how far it got: this waits for that page's report.
pub(crate) async fn import(b: &Browser, token: &str, mailbox: &str, name: &str, bytes: Vec<u8>) -> Page {
    let form = reqwest::multipart::Form::new().text("csrf", token.to_string()).part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()));
    let res = b.http.post(format!("{}/f/{mailbox}/import", b.base())).header("accept-language", "en").multipart(form).send().await.unwrap();
    let to = res.headers().get("location").and_then(|l| l.to_str().ok()).unwrap_or_default().to_string();
    if !to.starts_with("/import/") {
        return follow(b, res).await;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let page = b.get(&to).await;
        if !page.body.contains("data-working") {
            return page;
        }
        assert!(std::time::Instant::now() < deadline, "the import did not end: {}", page.body);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Messages with what an archive must keep: MIME fixtures, 8-bit bodies, `From ` lines in
/// bodies, LF-only and CRLF endings, read and unread, starred, old dates.
async fn seed(imap: &mut Imap, mailbox: &str) -> usize {
    make_folder(imap, mailbox).await.unwrap();
    let mut n = 0;
    let mut ids = std::collections::HashSet::new();
    let mut dir: Vec<_> = std::fs::read_dir(root().join("tests/fixtures")).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "eml")).collect();
    dir.sort();
    for (i, path) in dir.iter().enumerate() {
        let bytes = std::fs::read(path).unwrap();
        // One message per Message-ID (a fuzzing fixture reuses another's).
        if !facteur::mail::imap::transfer::message_id_of(&bytes).is_some_and(|id| ids.insert(id)) {
            continue;
        }
        let flags = if i % 2 == 0 { "(\\Seen)" } else { "()" };
        imap.append(mailbox, Some(flags), Some(&format!("\"{:02}-Mar-2021 08:{:02}:00 +0100\"", i + 1, i)), &bytes).await.unwrap();
        n += 1;
    }
    let tricky: [&[u8]; 3] = [
        b"From: a@example.org\r\nSubject: From lines\r\nMessage-ID: <fromlines@example.org>\r\n\r\nFrom the start,\r\n>From quoted\r\n>>From twice\r\nFrom\r\n",
        b"From: b@example.org\nSubject: LF only\nMessage-ID: <lf@example.org>\n\nline one\nFrom here\n\n\n",
        b"From: c@example.org\r\nSubject: =?utf-8?q?8_bits?=\r\nMessage-ID: <eight@example.org>\r\nContent-Type: text/plain; charset=latin1\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\xe9t\xe9 \xe0 la mer\r\n",
    ];
    for (i, m) in tricky.iter().enumerate() {
        imap.append(mailbox, Some(if i == 1 { "(\\Flagged)" } else { "(\\Seen)" }), Some(&format!("\"0{}-Jul-1999 23:59:5{i} -0700\"", i + 1)), m).await.unwrap();
        n += 1;
    }
    n
}

#[tokio::test]
async fn a_folder_exported_and_imported_again_comes_back_byte_for_byte() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let count = seed(&mut imap, "Source").await;
    assert!(count > 15, "{count}");
    let original = messages(&mut imap, "Source").await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let token = csrf(&b.get("/settings/folders").await.body);

    // mbox: one file, streamed.
    let res = b.raw_get("/f/Source/export.mbox").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/mbox");
    assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment; filename=\"Source.mbox\""));
    let mbox = res.bytes().await.unwrap().to_vec();
    assert!(mbox.starts_with(b"From "), "{:?}", String::from_utf8_lossy(&mbox[..80]));
    assert!(String::from_utf8_lossy(&mbox).contains("\r\n>From the start,\r\n>>From quoted\r\n>>>From twice\r\nFrom\r\n"));
    // A selection: just those messages.
    let uv = imap.select("Source").await.unwrap().uid_validity.unwrap();
    let some = b.raw_get(&format!("/f/Source/export.mbox?uidvalidity={uv}&uid=1&uid=3")).await.bytes().await.unwrap();
    let mut reader = facteur::mail::mbox::MboxReader::new(std::io::Cursor::new(some.to_vec()), 1 << 20);
    let mut picked = 0;
    while let Some(facteur::mail::mbox::Read::Message(_)) = reader.next_message().unwrap() {
        picked += 1;
    }
    assert_eq!(picked, 2);
    b.post("/folders", &[("csrf", &token), ("name", "Copie mbox")]).await;
    let report = import(&b, &token, "Copie%20mbox", "Source.mbox", mbox.clone()).await;
    assert_eq!(report.status, 200, "{}", report.body);
    assert!(report.body.contains(&format!("{count} messages imported")), "{}", report.body);
    assert_eq!(messages(&mut imap, "Copie mbox").await, original, "same bytes, dates, read state and stars");
    // Imported again: nothing twice.
    let again = import(&b, &token, "Copie%20mbox", "Source.mbox", mbox).await;
    assert!(again.body.contains(&format!("{count} messages were already in the folder and were skipped.")), "{}", again.body);
    assert_eq!(imap.select("Copie mbox").await.unwrap().exists as usize, count);

    // A zip of .eml files with a manifest of flags and dates.
    let res = b.raw_get("/f/Source/export.zip").await;
    assert_eq!(res.headers()["content-type"], "application/zip");
    let zip = res.bytes().await.unwrap().to_vec();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.clone())).unwrap();
    let names: Vec<String> = (0..archive.len()).map(|i| archive.by_index(i).unwrap().name().unwrap().to_string()).collect();
    assert_eq!(names.len(), count + 1, "{names:?}");
    assert!(names.contains(&"manifest.json".to_string()) && names.contains(&"Source/1999-07-03 0659 LF only.eml".to_string()), "{names:?}");
    let mut lf = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name("Source/1999-07-03 0659 LF only.eml").unwrap(), &mut lf).unwrap();
    assert_eq!(lf, original["<lf@example.org>"].0);
    b.post("/folders", &[("csrf", &token), ("name", "Copie zip")]).await;
    let report = import(&b, &token, "Copie%20zip", "Source.zip", zip).await;
    assert!(report.body.contains(&format!("{count} messages imported")), "{}", report.body);
    // The uploads were spooled on the data volume, and are gone once imported.
    let spool = app.data_dir.path().join("spool");
    assert!(spool.is_dir() && std::fs::read_dir(&spool).unwrap().next().is_none(), "{}", spool.display());
    assert_eq!(messages(&mut imap, "Copie zip").await, original);

    // The whole account: every folder, the tree kept.
    let res = b.raw_get("/export.zip?format=mbox").await;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(res.bytes().await.unwrap().to_vec())).unwrap();
    let names: Vec<String> = (0..archive.len()).map(|i| archive.by_index(i).unwrap().name().unwrap().to_string()).collect();
    for f in ["Source.mbox", "Copie mbox.mbox", "Copie zip.mbox"] {
        assert!(names.contains(&f.to_string()), "{f}: {names:?}");
    }
    let mut whole = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name("Source.mbox").unwrap(), &mut whole).unwrap();
    assert_eq!(whole.len(), mbox_len(&whole), "a whole mbox");
    app.stop().await;
}

/// The length of an mbox's complete entries (each ends with a blank line).
fn mbox_len(bytes: &[u8]) -> usize {
    assert!(bytes.ends_with(b"\n"));
    bytes.len()
}

#[tokio::test]
async fn a_broken_archive_imports_what_it_can_and_a_full_mailbox_stops_cleanly() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let token = csrf(&b.get("/settings/folders").await.body);
    // Without the form's token, nothing is imported.
    let refused = import(&b, "not-the-token", "INBOX", "x.eml", b"From: a@b\r\nMessage-ID: <x@x>\r\n\r\nx\r\n".to_vec()).await;
    assert_eq!(refused.status, 403);
    assert_eq!(imap.select("INBOX").await.unwrap().exists, 0);
    let broken = b"junk before\nthe first message\nFrom a Mon Jan  1 00:00:00 2024\n\nFrom b Mon Jan  1 00:00:00 2024\nSubject: nul\nMessage-ID: <nul@x>\n\na\0b\nFrom c Mon Jan  1 10:00:00 2024\nSubject: fine\nMessage-ID: <fine@x>\n\nok\n\n".to_vec();
    let report = import(&b, &token, "INBOX", "broken.mbox", broken).await;
    assert!(report.body.contains("1 message imported"), "{}", report.body);
    assert!(report.body.contains("3 messages could not be imported"), "{}", report.body);
    for why in ["Message 1: not a mail message", "Message 2: empty", "Message 3: holds bytes a mail server cannot store"] {
        assert!(report.body.contains(why), "{why}: {}", report.body);
    }
    let inbox = messages(&mut imap, "INBOX").await;
    assert_eq!(inbox["<fine@x>"].1, 1_704_103_200, "the date of its From line");

    // 60 messages of 10 KiB into a mailbox limited to 200 KiB: stopped, told, nothing half
    // done; the same file again goes no further and duplicates nothing.
    let big = dovecot().user();
    dovecot().set_quota(&big.name, "200K");
    let b = Browser::new(&app);
    b.login(&big).await;
    let token = csrf(&b.get("/settings/folders").await.body);
    let mut mbox = Vec::new();
    for i in 0..60 {
        let m = format!("From: a@example.org\r\nSubject: n{i}\r\nMessage-ID: <n{i}@example.org>\r\n\r\n{}\r\n", "z".repeat(10 * 1024));
        mbox.extend(facteur::mail::mbox::entry("a@example.org", 1_700_000_000 + i, &Default::default(), m.as_bytes()));
    }
    let report = import(&b, &token, "INBOX", "many.mbox", mbox.clone()).await;
    assert_eq!(report.status, 507, "{}", report.body);
    assert!(report.body.contains("The import stopped at message") && report.body.contains("the mailbox is full"), "{}", report.body);
    let mut big_imap = big.imap().await;
    let stored = big_imap.select("INBOX").await.unwrap().exists;
    assert!(stored > 5 && stored < 60, "as many as fit: {stored}");
    let again = import(&b, &token, "INBOX", "many.mbox", mbox).await;
    assert_eq!(again.status, 507);
    assert_eq!(big_imap.select("INBOX").await.unwrap().exists, stored, "nothing duplicated");
    app.stop().await;
}

#[tokio::test]
async fn archive_to_my_computer_deletes_exactly_what_was_downloaded_and_the_trash_empties() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    make_folder(&mut imap, "Old").await.unwrap();
    let message = |i: usize| format!("From: a@example.org\r\nSubject: n{i}\r\nMessage-ID: <old{i}@example.org>\r\n\r\nbody {i}\r\n").into_bytes();
    for i in 0..5 {
        imap.append("Old", None, Some(&format!("\"0{}-Feb-2020 10:00:00 +0000\"", i + 1)), &message(i)).await.unwrap();
    }
    for i in 5..7 {
        imap.append("Old", None, None, &message(i)).await.unwrap();
    }
    let b = Browser::new(&app);
    b.login(&user).await;
    let space = b.get("/settings/space").await;
    assert_eq!(space.status, 200);
    let token = csrf(&space.body);
    let chosen = b.post("/archive", &[("csrf", &token), ("folder", "Old"), ("months", "12")]).await;
    assert!(chosen.url.contains("/archive/") && chosen.body.contains("5 messages of “Old” from before"), "{} {}", chosen.url, chosen.body);
    let id = chosen.url.rsplit('/').next().unwrap().to_string();
    // Nothing is deleted before the download finished.
    let early = b.post(&format!("/archive/{id}/delete"), &[("csrf", &token)]).await;
    assert!(early.body.contains("Download the messages first"), "{}", early.body);
    assert_eq!(imap.select("Old").await.unwrap().exists, 7);
    // Another old message arrives meanwhile: it matches the age, but was not downloaded.
    imap.append("Old", None, Some("\"01-Jan-2019 10:00:00 +0000\""), &message(7)).await.unwrap();
    let res = b.raw_get(&format!("/archive/{id}/download")).await;
    assert_eq!(res.headers()["content-type"], "application/mbox");
    let mbox = res.bytes().await.unwrap();
    let mut reader = facteur::mail::mbox::MboxReader::new(std::io::Cursor::new(mbox.to_vec()), 1 << 20);
    let mut n = 0;
    while let Some(facteur::mail::mbox::Read::Message(m)) = reader.next_message().unwrap() {
        assert!(String::from_utf8_lossy(&m.bytes).contains("<old"), "{m:?}");
        n += 1;
    }
    assert_eq!(n, 5);
    let offered = eventually(std::time::Duration::from_secs(10), || async { b.get(&format!("/archive/{id}")).await.body.contains("Delete these 5 messages from the server") }).await;
    assert!(offered, "the deletion is offered once the download finished");
    let done = b.post(&format!("/archive/{id}/delete"), &[("csrf", &token)]).await;
    assert!(done.body.contains("5 messages deleted from the server"), "{}", done.body);
    let left = messages(&mut imap, "Old").await;
    let mut ids: Vec<&str> = left.keys().map(String::as_str).collect();
    ids.sort();
    assert_eq!(ids, ["<old5@example.org>", "<old6@example.org>", "<old7@example.org>"]);
    // The archive is gone with its messages.
    assert_eq!(b.get(&format!("/archive/{id}")).await.status, 404);

    // The Trash empties, asking first.
    for i in 10..12 {
        imap.append("Trash", None, None, &message(i)).await.unwrap();
    }
    let ask = b.post("/f/Trash/empty", &[("csrf", &token)]).await;
    assert!(ask.body.contains("Delete the 2 messages in “Trash” for good?"), "{}", ask.body);
    assert_eq!(imap.select("Trash").await.unwrap().exists, 2);
    let emptied = b.post("/f/Trash/empty", &[("csrf", &token), ("confirm", "yes")]).await;
    assert!(emptied.body.contains("“Trash” emptied: 2 messages deleted for good."), "{}", emptied.body);
    assert_eq!(imap.select("Trash").await.unwrap().exists, 0);
    assert_eq!(b.post("/f/INBOX/empty", &[("csrf", &token), ("confirm", "yes")]).await.status, 404, "only the Trash and Spam");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_a_folder_downloads_as_mbox_and_its_import_shows_the_report() {
    use fantoccini::Locator;
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    for i in 1..=3 {
        append(&mut imap, "INBOX", &numbered_message(i)).await;
    }
    let (driver, c) = crate::browser::browser_with(true, &[]).await;
    crate::browser::login(&c, &app, &user).await;
    c.goto(&app.url("/settings/folders")).await.unwrap();
    // The Inbox's Archives: its mbox is saved by the browser.
    crate::browser::click(&c, "ul.folder-rows > li:first-child details.folder-edit > summary").await;
    crate::browser::click(&c, "ul.folder-rows > li:first-child a[href='/f/INBOX/export.mbox']").await;
    let saved = driver.downloads().join("Inbox.mbox");
    assert!(eventually(std::time::Duration::from_secs(15), || async { saved.exists() && std::fs::metadata(&saved).map(|m| m.len() > 0).unwrap_or(false) && !driver.downloads().join("Inbox.mbox.crdownload").exists() }).await, "Inbox.mbox was not saved");
    let bytes = std::fs::read(&saved).unwrap();
    assert_eq!(String::from_utf8_lossy(&bytes).matches("\nFrom ").count() + usize::from(bytes.starts_with(b"From ")), 3);
    // Imported into a new folder: the report says so.
    let b = Browser::new(&app);
    b.login(&user).await;
    b.post("/folders", &[("csrf", &csrf(&b.get("/settings/folders").await.body)), ("name", "Copie")]).await;
    c.goto(&app.url("/settings/folders")).await.unwrap();
    let row = "ul.folder-rows > li:has(a[href='/f/Copie'])";
    crate::browser::click(&c, &format!("{row} details.folder-edit > summary")).await;
    c.find(Locator::Css(&format!("{row} input[type=file]"))).await.unwrap().send_keys(saved.to_str().unwrap()).await.unwrap();
    crate::browser::click(&c, &format!("{row} form[action='/f/Copie/import'] button[type=submit]")).await;
    // The import's page tells how far it got and asks again until the report is there.
    c.wait().at_most(std::time::Duration::from_secs(15)).for_element(Locator::Css("section.import-report:not([data-working])")).await.expect("the report");
    let report = c.find(Locator::Css("section.import-report")).await.unwrap().text().await.unwrap();
    assert!(report.contains("3 messages imported into “Copie”"), "{report}");
    crate::browser::shot(&c, "import-report").await;
    assert_eq!(imap.select("Copie").await.unwrap().exists, 3);
    c.close().await.unwrap();
    app.stop().await;
}

#[tokio::test]
async fn an_import_page_shows_its_progress_and_says_when_it_was_interrupted() {
    use facteur::store::imports;
    let app = TestApp::start().await;
    let user = dovecot().user();
    let b = Browser::new(&app);
    b.login(&user).await;
    let key = facteur::web::auth::user_key(&user.name);
    let now = facteur::clock::unix_ms();
    let db = &app.state.db;
    imports::create(db, &key, "running", "INBOX", 4 * 1024 * 1024, now).await.unwrap();
    let report = r#"{"imported":123,"duplicates":5,"skipped":[],"stopped":null}"#;
    imports::update(db, &key, "running", 1024 * 1024, report, false, now).await.unwrap();
    let page = b.get("/import/running").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("data-working") && page.body.contains(r#"value="25""#), "{}", page.body);
    assert!(page.body.contains("1.0 MB of 4.0 MB read") && page.body.contains("123 messages imported so far") && page.body.contains("5 messages were already"), "{}", page.body);
    // Not heard from for minutes: its instance stopped under it. The page says so and how to go on.
    imports::update(db, &key, "running", 1024 * 1024, report, false, now - 10 * 60 * 1000).await.unwrap();
    let page = b.get("/import/running").await;
    assert_eq!(page.status, 507);
    assert!(!page.body.contains("data-working"));
    assert!(page.body.contains("The import stopped at message 129: Facteur was restarted during the import") && page.body.contains("Import the same file again"), "{}", page.body);
    // Someone else's import, or none: not found.
    let other = Browser::new(&app);
    other.login(&dovecot().user()).await;
    assert_eq!(other.get("/import/running").await.status, 404);
    assert_eq!(b.get("/import/nothing").await.status, 404);
    app.stop().await;
}

/// Counts the messages of an mbox.
fn mbox_messages(bytes: &[u8]) -> usize {
    let mut reader = facteur::mail::mbox::MboxReader::new(std::io::Cursor::new(bytes.to_vec()), 1 << 22);
    let mut n = 0;
    while let Some(facteur::mail::mbox::Read::Message(_)) = reader.next_message().unwrap() {
        n += 1;
    }
    n
}

#[tokio::test]
async fn the_largest_and_the_oldest_messages_are_found_and_search_results_download() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    make_folder(&mut imap, "Projets").await.unwrap();
    // (folder, subject, KiB of body, INTERNALDATE)
    let mail = [
        ("INBOX", "small-1k", 1, "01-Oct-2026 10:00:00 +0000"),
        ("INBOX", "big-50k", 50, "02-Oct-2026 10:00:00 +0000"),
        ("INBOX", "mid-5k", 5, "03-Oct-2026 10:00:00 +0000"),
        ("Projets", "huge-100k", 100, "04-Mar-2020 10:00:00 +0000"),
        ("Projets", "tiny-2k", 2, "05-Oct-2026 10:00:00 +0000"),
    ];
    for (folder, subject, kib, date) in mail {
        let m = format!("From: a@example.org\r\nSubject: {subject}\r\nMessage-ID: <{subject}@example.org>\r\n\r\n{}\r\n", "y".repeat(kib * 1024));
        imap.append(folder, Some("(\\Seen)"), Some(&format!("\"{date}\"")), m.as_bytes()).await.unwrap();
    }
    let b = Browser::new(&app);
    b.login(&user).await;
    let order = |body: &str, subjects: &[&str]| {
        let at: Vec<usize> = subjects.iter().map(|s| body.find(s).unwrap_or_else(|| panic!("{s} missing: {body}"))).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{subjects:?} out of order: {at:?}");
    };

    // Free up space lists the largest messages of every folder, largest first.
    let space = b.get("/settings/space").await;
    assert_eq!(space.status, 200);
    let largest = &space.body[space.body.find("class=\"largest\"").expect("the largest messages")..];
    order(largest, &["huge-100k", "big-50k", "mid-5k", "tiny-2k", "small-1k"]);
    // Search results in either order.
    let by_size = b.get("/search?q=in%3Aanywhere%20sort%3Asize").await;
    order(&by_size.body, &["huge-100k", "big-50k", "mid-5k", "tiny-2k", "small-1k"]);
    assert!(by_size.body.contains("Newest first"));
    let newest = b.get("/search?q=larger%3A4K").await;
    order(&newest.body, &["mid-5k", "big-50k", "huge-100k"]);
    assert!(!newest.body.contains("small-1k") && newest.body.contains("Largest first"));
    assert!(b.get("/search?q=x%20OR%20sort%3Asize").await.body.contains("cannot be inside OR"));

    // "Older than" shows a folder's old messages as search results.
    let token = csrf(&space.body);
    let older = b.post("/settings/space/older", &[("csrf", &token), ("folder", "Projets"), ("months", "12")]).await;
    assert!(older.url.contains("/search?q=in%3AProjets%20older%5Fthan%3A12m"), "{}", older.url);
    assert!(older.body.contains("huge-100k") && !older.body.contains("tiny-2k"), "{}", older.body);

    // Results download: one folder as one mbox, several as a zip of one mbox per folder,
    // the checked ones only when some are checked.
    let res = b.raw_get("/search/export.mbox?q=in%3AProjets").await;
    assert_eq!(res.headers()["content-type"], "application/mbox");
    assert_eq!(mbox_messages(&res.bytes().await.unwrap()), 2);
    let res = b.raw_get("/search/export.mbox?q=larger%3A4K").await;
    assert_eq!(res.headers()["content-type"], "application/zip");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(res.bytes().await.unwrap().to_vec())).unwrap();
    let mut per_folder = HashMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut f, &mut bytes).unwrap();
        per_folder.insert(f.name().unwrap().to_string(), mbox_messages(&bytes));
    }
    assert_eq!(per_folder, HashMap::from([("INBOX.mbox".to_string(), 2), ("Projets.mbox".to_string(), 1)]));
    let uv = imap.select("Projets").await.unwrap().uid_validity.unwrap();
    let res = b.raw_get(&format!("/search/export.mbox?q=in%3AProjets&m={uv}%3A2%3AProjets")).await;
    let one = res.bytes().await.unwrap();
    assert_eq!(mbox_messages(&one), 1);
    assert!(String::from_utf8_lossy(&one).contains("tiny-2k"));
    // A query that finds nothing, or cannot run: back to the results page, which says why.
    assert!(b.get("/search/export.mbox?q=from%3Anobody").await.body.contains("No message matches."));
    assert!(b.get("/search/export.zip?q=is%3Amaybe").await.body.contains("does not take"));
    app.stop().await;
}
