//! The reading experience over HTTP: compressed pages, the tab's title, the appearance
//! settings, dark colours for mail that sets none, next and previous messages.

use std::time::Duration;

use crate::harness::*;

/// A message whose HTML sets colours (`coloured`) or not.
fn html_message(subject: &str, coloured: bool) -> Vec<u8> {
    let body = if coloured { "<p style=\"color:#333;background:#ffe\">Styled.</p>" } else { "<p>Plain words, <b>bold</b> ones.</p>" };
    format!(
        "From: Ann <ann@example.org>\r\nTo: me@example.test\r\nSubject: {subject}\r\nMessage-ID: <{subject}@example.org>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>{body}</body></html>\r\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn pages_travel_compressed_and_the_event_stream_does_not() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let many: Vec<Vec<u8>> = (1..=40).map(numbered_message).collect();
    user.bulk_append("INBOX", &many).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let plain = b.get("/f/INBOX").await;
    assert!(plain.headers.get("content-encoding").is_none(), "asked for nothing, sent as it is");
    for encoding in ["gzip", "br"] {
        let res = b.http.get(format!("{}/f/INBOX", b.base())).header("accept-encoding", encoding).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-encoding"], encoding);
        assert!(res.headers()["vary"].to_str().unwrap().to_lowercase().contains("accept-encoding"));
        let sent = res.bytes().await.unwrap().len();
        assert!(sent * 4 < plain.body.len(), "{encoding}: {sent} bytes for a page of {}", plain.body.len());
    }
    // Scripts and styles too; the event stream never (a compressor would hold events back).
    let css = b.http.get(format!("{}{}", b.base(), facteur::web::assets::css_url())).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(css.headers()["content-encoding"], "gzip");
    let events = b.http.get(format!("{}/events?folder=INBOX", b.base())).header("accept-encoding", "gzip, br").send().await.unwrap();
    assert!(events.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    assert!(events.headers().get("content-encoding").is_none());
    let mut stream = events.bytes_stream();
    let first = tokio::time::timeout(Duration::from_secs(10), futures_util::StreamExt::next(&mut stream)).await.expect("an event soon").expect("bytes").unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event:") || String::from_utf8_lossy(&first).starts_with(':'), "{first:?}");

    // The form token differs from page to page (a compressed page must not repeat a secret),
    // and each one is accepted.
    let a = csrf(&b.get("/settings").await.body);
    let c = csrf(&b.get("/settings").await.body);
    assert_ne!(a, c);
    for token in [a, c] {
        let saved = b.post("/settings", &[("csrf", &token), ("language", ""), ("shortcuts", "on"), ("conversations", "on")]).await;
        assert!(saved.body.contains("Your settings are saved."), "{}", saved.body);
    }
    let refused = b.raw_post("/settings", &[("csrf", "AAAA"), ("language", "")]).await;
    assert_eq!(refused.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn theme_density_and_messages_per_page_are_settings() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let many: Vec<Vec<u8>> = (1..=30).map(numbered_message).collect();
    user.bulk_append("INBOX", &many).await;
    let b = Browser::new(&app);
    let inbox = b.login(&user).await;
    assert!(inbox.body.contains("data-theme=\"system\" data-density=\"comfortable\""));
    assert_eq!(inbox.body.matches("<li class=\"row").count(), 30);
    let token = csrf(&inbox.body);
    let form = [("csrf", token.as_str()), ("language", ""), ("shortcuts", "on"), ("conversations", "on"), ("theme", "dark"), ("density", "compact"), ("per_page", "25")];
    b.post("/settings", &form).await;
    let inbox = b.get("/f/INBOX").await;
    assert!(inbox.body.contains("data-theme=\"dark\" data-density=\"compact\""), "{}", &inbox.body[..400]);
    assert_eq!(inbox.body.matches("<li class=\"row").count(), 25);
    let settings = b.get("/settings").await;
    assert!(settings.body.contains("<option value=\"dark\" selected>") && settings.body.contains("<option value=\"25\" selected>"));
    // A page of no folder counts the Inbox in its title, as its live updates do.
    assert!(settings.body.contains("<title>(30) Settings · Facteur</title>"), "{}", &settings.body[..600]);
    // Kept for the next sign-in.
    let again = Browser::new(&app);
    assert!(again.login(&user).await.body.contains("data-theme=\"dark\""));
    // Unknown values fall back to the defaults, never to an error.
    let odd = [("csrf", token.as_str()), ("language", ""), ("theme", "\"><script>"), ("density", "tiny"), ("per_page", "100000")];
    assert_eq!(b.post("/settings", &odd).await.status, 200);
    let inbox = b.get("/f/INBOX").await;
    assert!(inbox.body.contains("data-theme=\"system\" data-density=\"comfortable\""));
    assert_eq!(inbox.body.matches("<li class=\"row").count(), 30);
    app.stop().await;
}

#[tokio::test]
async fn mail_that_sets_no_colours_can_follow_dark_mode_and_messages_link_to_their_neighbours() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let (plain, uv) = append(&mut imap, "INBOX", &html_message("simple", false)).await;
    let (coloured, _) = append(&mut imap, "INBOX", &html_message("styled", true)).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let url = format!("/m/INBOX/{uv}/{plain}");
    let page = b.get(&url).await;
    assert!(page.body.contains(&format!("src=\"{url}/body\"")));
    assert!(page.body.contains(&format!("<a href=\"{url}?colours=original\">Show original colours</a>")), "{}", page.body);
    let frame = b.get(&format!("{url}/body")).await;
    assert!(frame.body.contains("<html lang=\"en\" class=\"adapt\">"));
    // In its own colours, with the way back.
    let page = b.get(&format!("{url}?colours=original")).await;
    assert!(page.body.contains(&format!("src=\"{url}/body?colours=original\"")));
    assert!(page.body.contains(&format!("<a href=\"{url}\">Show in dark colours</a>")));
    assert!(!b.get(&format!("{url}/body?colours=original")).await.body.contains("class=\"adapt\""));
    // Mail with colours of its own keeps them, with no choice to make.
    let styled = format!("/m/INBOX/{uv}/{coloured}");
    assert!(!b.get(&styled).await.body.contains("colours-toggle"));
    assert!(!b.get(&format!("{styled}/body")).await.body.contains("class=\"adapt\""));

    // Newer and older: the styled one is the newest, the simple one the oldest.
    let newest = b.get(&styled).await;
    assert!(newest.body.contains(&format!("href=\"{url}\" rel=\"next\"")) && !newest.body.contains("rel=\"prev\""), "{}", newest.body);
    let oldest = b.get(&url).await;
    assert!(oldest.body.contains(&format!("href=\"{styled}\" rel=\"prev\"")) && !oldest.body.contains("rel=\"next\""));
    // Deleting the newest from its page shows the next one.
    let token = csrf(&newest.body);
    let after = b
        .post("/f/INBOX/actions", &[("csrf", &token), ("uidvalidity", &uv.to_string()), ("uid", &coloured.to_string()), ("back", "message"), ("next", &plain.to_string()), ("action", "delete")])
        .await;
    assert!(after.url.contains(&url), "{}", after.url);
    assert!(after.body.contains(&format!("src=\"{url}/body\"")), "the next message shows");
    // The French page says where "back" goes with the right article.
    let fr = Browser::with_lang(&app, "fr");
    fr.login(&user).await;
    assert!(fr.get(&url).await.body.contains("Retour à la boîte de réception"));
    app.stop().await;
}

#[tokio::test]
async fn quick_filters_and_paging_to_any_page() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let many: Vec<Vec<u8>> = (1..=60).map(numbered_message).collect();
    user.bulk_append("INBOX", &many).await;
    let mut imap = user.imap().await;
    imap.select("INBOX").await.unwrap();
    // Read all but 1 to 7; star 10, 20 and 30 (sequence numbers are the message numbers).
    let _: Vec<_> = futures_util::TryStreamExt::try_collect(imap.store("8:60", "+FLAGS.SILENT (\\Seen)").await.unwrap()).await.unwrap();
    let _: Vec<_> = futures_util::TryStreamExt::try_collect(imap.store("10,20,30", "+FLAGS.SILENT (\\Flagged)").await.unwrap()).await.unwrap();
    let b = Browser::new(&app);
    let inbox = b.login(&user).await;
    let token = csrf(&inbox.body);
    b.post("/settings", &[("csrf", &token), ("language", ""), ("shortcuts", "on"), ("per_page", "25")]).await;

    let rows = |body: &str| -> Vec<String> {
        body.split("<li class=\"row").skip(1).filter_map(|r| r.split("Message number ").nth(1).map(|s| s[..5].to_string())).collect()
    };
    let unread = b.get("/f/INBOX?filter=unread").await;
    assert_eq!(rows(&unread.body), ["00007", "00006", "00005", "00004", "00003", "00002", "00001"]);
    assert!(unread.body.contains("<span class=\"range\">1–7 of 7</span>"), "{}", unread.body);
    assert!(unread.body.contains("class=\"chip active\" aria-current=\"page\">Unread</a>"));
    let starred = b.get("/f/INBOX?filter=starred").await;
    assert_eq!(rows(&starred.body), ["00030", "00020", "00010"]);

    // 60 messages, 25 a page: page 2 is 26 to 50, with every way to move.
    let page2 = b.get("/f/INBOX?page=2").await;
    assert!(page2.body.contains("<span class=\"range\">26–50 of 60</span>"), "{}", page2.body);
    assert_eq!(rows(&page2.body).first().map(String::as_str), Some("00035"));
    assert!(page2.body.contains("href=\"/f/INBOX?page=1\" rel=\"prev\"") && page2.body.contains("href=\"/f/INBOX?page=3\" rel=\"next\""));
    let page1 = b.get("/f/INBOX").await;
    assert!(page1.body.contains("href=\"/f/INBOX?page=3\" title=\"Oldest\""), "a link to the last page");
    assert!(page1.body.contains("max=\"3\" value=\"1\""), "a page number to type");
    let page3 = b.get("/f/INBOX?page=3").await;
    assert!(page3.body.contains("<span class=\"range\">51–60 of 60</span>"));
    assert!(page3.body.contains("href=\"/f/INBOX?page=1\" title=\"Newest\""));
    // Past the end and nonsense: the last page or the first, never an error.
    assert_eq!(b.get("/f/INBOX?page=999").await.status, 200);
    assert_eq!(b.get("/f/INBOX?page=-1&filter=bogus").await.status, 200);
    // A filter keeps to its pages; the sort menu gives way to it.
    let filtered2 = b.get("/f/INBOX?filter=unread&page=2").await;
    assert!(filtered2.body.contains("name=\"filter\" value=\"unread\""), "the page form keeps the filter");
    assert!(!filtered2.body.contains("name=\"sort\""));
    // In French, numbers and words are French.
    let fr = Browser::with_lang(&app, "fr");
    fr.login(&user).await;
    assert!(fr.get("/f/INBOX?page=2").await.body.contains("<span class=\"range\">26–50 sur 60</span>"));
    app.stop().await;
}

#[tokio::test]
async fn labels_are_keywords_that_other_mail_apps_share() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let (uid, uv) = append(&mut imap, "INBOX", &numbered_message(1)).await;
    let (other, _) = append(&mut imap, "INBOX", &numbered_message(2)).await;
    // Another app tagged message 2; spam verdicts and $Forwarded are not labels.
    imap.select("INBOX").await.unwrap();
    let _: Vec<_> = futures_util::TryStreamExt::try_collect(imap.uid_store(other.to_string(), "+FLAGS.SILENT (Projet NonJunk $Forwarded $label1)").await.unwrap()).await.unwrap();
    let b = Browser::new(&app);
    let inbox = b.login(&user).await;
    let token = csrf(&inbox.body);
    assert!(inbox.body.contains("<span class=\"chip-label tint-1\">Important</span>"), "{}", inbox.body);
    assert!(inbox.body.contains(">Projet</span>") && !inbox.body.contains(">NonJunk<") && !inbox.body.contains(">$Forwarded<"));
    let (uv_s, uid_s) = (uv.to_string(), uid.to_string());
    let act = |extra: Vec<(&'static str, String)>| {
        let mut form: Vec<(String, String)> = vec![("csrf".into(), token.clone()), ("uidvalidity".into(), uv_s.clone()), ("uid".into(), uid_s.clone())];
        form.extend(extra.into_iter().map(|(k, v)| (k.to_string(), v)));
        form
    };
    let post = async |form: Vec<(String, String)>| {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        b.post("/f/INBOX/actions", &pairs).await
    };
    // Thunderbird's "Work" tag, from the menu.
    let done = post(act(vec![("label-add", "kw:$label2".into())])).await;
    assert!(done.body.contains("Label added."), "{}", done.body);
    assert!(flags_of(&mut imap, "INBOX", uid).await.contains(&"Custom(\"$label2\")".to_string()));
    // A label of one's own, typed: spaces and accents become an atom Thunderbird reads too.
    post(act(vec![("new-label", "Reçus urgents".into()), ("label-add", String::new())])).await;
    assert!(flags_of(&mut imap, "INBOX", uid).await.contains(&"Custom(\"Re&AOc-us_urgents\")".to_string()));
    let page = b.get(&format!("/m/INBOX/{uv}/{uid}")).await;
    assert!(page.body.contains(">Reçus urgents</span>") && page.body.contains(">Work</span>"), "{}", page.body);
    assert!(page.body.contains("name=\"label-remove\" value=\"kw:$label2\""), "the menu offers to take it off");
    // Nothing that is not an atom reaches the server.
    for bad in ["a(b", "x\"y", "\\Seen", "$Junk", ""] {
        let refused = post(act(vec![("new-label", bad.into()), ("label-add", String::new())])).await;
        assert!(refused.body.contains("A label cannot start with"), "{bad}: {}", refused.body);
    }
    let refused = post(act(vec![("label-add", "kw:a) (\\Deleted".into())])).await;
    assert!(refused.body.contains("A label cannot start with"));
    assert!(!flags_of(&mut imap, "INBOX", uid).await.contains(&"Deleted".to_string()));
    // Removing, and undoing a removal.
    post(act(vec![("label-remove", "kw:$label2".into())])).await;
    assert!(!flags_of(&mut imap, "INBOX", uid).await.contains(&"Custom(\"$label2\")".to_string()));
    b.post("/undo", &[("csrf", &token)]).await;
    assert!(flags_of(&mut imap, "INBOX", uid).await.contains(&"Custom(\"$label2\")".to_string()), "undo put it back");
    // The list's menu offers to remove the labels its rows carry.
    let list = b.get("/f/INBOX").await;
    assert!(list.body.contains("name=\"label-remove\" value=\"kw:Projet\""));
    app.stop().await;
}

#[tokio::test]
async fn a_whole_folder_is_selected_without_sending_its_uids() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let many: Vec<Vec<u8>> = (1..=60).map(numbered_message).collect();
    user.bulk_append("INBOX", &many).await;
    let mut imap = user.imap().await;
    imap.select("INBOX").await.unwrap();
    let _: Vec<_> = futures_util::TryStreamExt::try_collect(imap.store("1:50", "+FLAGS.SILENT (\\Seen)").await.unwrap()).await.unwrap();
    let b = Browser::new(&app);
    let inbox = b.login(&user).await;
    let token = csrf(&inbox.body);
    b.post("/settings", &[("csrf", &token), ("language", ""), ("per_page", "25")]).await;
    let page = b.get("/f/INBOX").await;
    assert!(page.body.contains("data-select-folder>Select all 60 in Inbox</a>"), "{}", page.body);
    // Without JavaScript: ?select=folder checks the page and says the folder is selected.
    let all = b.get("/f/INBOX?select=folder").await;
    assert!(all.body.contains("<input type=\"hidden\" name=\"scope\" value=\"folder\">") && all.body.contains("All 60 in Inbox are selected."));
    let uv = imap.select("INBOX").await.unwrap().uid_validity.unwrap().to_string();
    // The unread ones only (10), as the filter shows them: the form names no UID at all.
    let done = b.post("/f/INBOX/actions", &[("csrf", &token), ("uidvalidity", &uv), ("scope", "folder"), ("filter", "unread"), ("action", "star")]).await;
    assert!(done.body.contains("10 messages starred."), "{}", done.body);
    // (Selected again: a session sees flags changed by another once it syncs its view.)
    imap.select("INBOX").await.unwrap();
    assert_eq!(imap.uid_search("FLAGGED").await.unwrap().len(), 10);
    assert_eq!(imap.uid_search("FLAGGED UNSEEN").await.unwrap().len(), 10);
    // Then all of them, archived; the folder is empty and Archive has the 60.
    let done = b.post("/f/INBOX/actions", &[("csrf", &token), ("uidvalidity", &uv), ("scope", "folder"), ("action", "archive")]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(imap.select("INBOX").await.unwrap().exists, 0);
    assert_eq!(imap.select("Archive").await.unwrap().exists, 60);
    // Deleting a whole folder for good asks first, naming no UID either.
    let ask = b.post("/f/Archive/actions", &[("csrf", &token), ("uidvalidity", &imap.select("Archive").await.unwrap().uid_validity.unwrap().to_string()), ("scope", "folder"), ("action", "delete-forever")]).await;
    assert!(ask.body.contains("name=\"scope\" value=\"folder\"") && !ask.body.contains("name=\"uid\""), "{}", ask.body);
    assert_eq!(imap.select("Archive").await.unwrap().exists, 60, "nothing deleted before the answer");
    // A stale UIDVALIDITY acts on nothing.
    let stale = b.post("/f/Archive/actions", &[("csrf", &token), ("uidvalidity", "1"), ("scope", "folder"), ("action", "delete")]).await;
    assert_eq!(stale.status, 200);
    assert_eq!(imap.select("Archive").await.unwrap().exists, 60);
    app.stop().await;
}

#[tokio::test]
async fn pdf_attachments_show_as_pages_drawn_by_facteur() {
    use base64::Engine;
    let app = TestApp::start().await;
    let user = dovecot().user();
    let eml = include_bytes!("../fixtures/attachments.eml");
    let pdf_part = facteur::mail::mime::parse(eml).attachments.iter().find(|a| a.content_type == "application/pdf").unwrap().part;
    let pdf = facteur::mail::mime::part(eml, pdf_part).unwrap().bytes;
    let fake = base64::engine::general_purpose::STANDARD.encode("<html><script>alert(1)</script></html>");
    let raw = format!(
        "From: Ann <ann@example.org>\r\nTo: me@example.test\r\nSubject: The report\r\nMessage-ID: <report@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nAttached.\r\n\
         --b\r\nContent-Type: application/pdf; name=\"rapport.pdf\"\r\nContent-Disposition: attachment; filename=\"rapport.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n\
         --b\r\nContent-Type: application/pdf; name=\"fake.pdf\"\r\nContent-Disposition: attachment; filename=\"fake.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{fake}\r\n--b--\r\n",
        base64::engine::general_purpose::STANDARD.encode(&pdf)
    );
    let mut imap = user.imap().await;
    let (uid, uv) = append(&mut imap, "INBOX", raw.as_bytes()).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let url = format!("/m/INBOX/{uv}/{uid}");
    let page = b.get(&url).await;
    let part_of = |name: &str| {
        page.body.split(&format!("{url}/part/")).skip(1).filter_map(|s| s.split(['"', '/']).next()).find(|p| page.body.contains(&format!("{url}/part/{p}\" download><span class=\"att-name\">{name}"))).unwrap().to_string()
    };
    let (real, fake) = (part_of("rapport.pdf"), part_of("fake.pdf"));
    assert!(page.body.contains(&format!("<a class=\"thumb pdf\" href=\"{url}/part/{real}/view\"")), "{}", page.body);
    // The thumbnail: the first page, drawn here.
    let thumb = b.raw_get(&format!("{url}/part/{real}/thumb")).await;
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let small = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert!(small.width() == 320 && small.height() <= 240, "{}x{}", small.width(), small.height());
    // The view: Facteur's page, with the pages as images of Facteur's.
    let view = b.get(&format!("{url}/part/{real}/view")).await;
    assert_eq!(view.status, 200);
    assert!(view.body.contains(&format!("<img src=\"{url}/part/{real}/page/1\" alt=\"Page 1 of 1\" width=\"1200\"")), "{}", view.body);
    assert!(view.body.contains("1 page") && view.body.contains(&format!("href=\"{url}/part/{real}\" download")), "{}", view.body);
    let png = b.raw_get(&format!("{url}/part/{real}/page/1")).await;
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.headers()["content-security-policy"].to_str().unwrap().starts_with("sandbox"));
    let drawn = image::load_from_memory(&png.bytes().await.unwrap()).unwrap().to_rgb8();
    assert_eq!(drawn.width(), 1200);
    assert!(drawn.pixels().filter(|p| p[0] < 100 && p[1] < 100 && p[2] < 100).count() > 200, "text drawn on the page");
    for missing in ["page/2", "page/0", "page/x"] {
        assert_eq!(b.raw_get(&format!("{url}/part/{real}/{missing}")).await.status(), 404, "{missing}");
    }
    // HTML that says it is a PDF is neither drawn nor shown: it downloads.
    assert_eq!(b.raw_get(&format!("{url}/part/{fake}/thumb")).await.status(), 404);
    assert_eq!(b.raw_get(&format!("{url}/part/{fake}/page/1")).await.status(), 404);
    let fake_view = b.get(&format!("{url}/part/{fake}/view")).await;
    assert!(fake_view.url.ends_with(&format!("/part/{fake}")), "{}", fake_view.url);
    assert!(fake_view.headers["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    app.stop().await;
}

#[tokio::test]
async fn image_attachments_show_as_thumbnails_and_all_download_as_one_zip() {
    use base64::Engine;
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut png = Vec::new();
    let img = image::RgbImage::from_fn(800, 600, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 120]));
    image::DynamicImage::ImageRgb8(img).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
    let svg = base64::engine::general_purpose::STANDARD.encode("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>");
    let raw = format!(
        "From: Ann <ann@example.org>\r\nTo: me@example.test\r\nSubject: Holiday photos\r\nMessage-ID: <photos@example.org>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHere they are.\r\n\
         --b\r\nContent-Type: image/png; name=\"beach.png\"\r\nContent-Disposition: attachment; filename=\"beach.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n\
         --b\r\nContent-Type: text/plain; name=\"notes.txt\"\r\nContent-Disposition: attachment; filename=\"notes.txt\"\r\n\r\nSunscreen.\r\n\
         --b\r\nContent-Type: image/svg+xml; name=\"logo.svg\"\r\nContent-Disposition: attachment; filename=\"logo.svg\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{svg}\r\n--b--\r\n"
    );
    let mut imap = user.imap().await;
    let (uid, uv) = append(&mut imap, "INBOX", raw.as_bytes()).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let url = format!("/m/INBOX/{uv}/{uid}");
    let page = b.get(&url).await;
    let parts: Vec<String> = page.body.split(&format!("{url}/part/")).skip(1).filter_map(|s| s.split(['"', '/']).next().map(String::from)).collect();
    let (png_part, txt_part, svg_part) = (&parts[0], &parts.iter().find(|p| page.body.contains(&format!("{url}/part/{p}\" download><span class=\"att-name\">notes.txt"))).unwrap().clone(), &parts.iter().find(|p| page.body.contains(&format!("{url}/part/{p}\" download><span class=\"att-name\">logo.svg"))).unwrap().clone());
    assert!(page.body.contains(&format!("<img src=\"{url}/part/{png_part}/thumb\" alt=\"beach.png\"")), "{}", page.body);
    assert!(!page.body.contains(&format!("{url}/part/{svg_part}/thumb")) && !page.body.contains(&format!("{url}/part/{svg_part}/view")), "no preview of SVG");
    assert!(page.body.contains(&format!("href=\"{url}/attachments.zip\"")));
    // The thumbnail: a JPEG of Facteur's making, 320 × 240.
    let thumb = b.raw_get(&format!("{url}/part/{png_part}/thumb")).await;
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let small = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert_eq!((small.width(), small.height()), (320, 240));
    assert_eq!(b.raw_get(&format!("{url}/part/{txt_part}/thumb")).await.status(), 404);
    assert_eq!(b.raw_get(&format!("{url}/part/{svg_part}/thumb")).await.status(), 404);
    // Shown in the browser, sandboxed; anything but a plain image goes to the download.
    let view = b.raw_get(&format!("{url}/part/{png_part}/view")).await;
    assert_eq!(view.headers()["content-type"], "image/png");
    assert!(view.headers()["content-disposition"].to_str().unwrap().starts_with("inline;"));
    assert!(view.headers()["content-security-policy"].to_str().unwrap().starts_with("sandbox"));
    let svg_view = b.get(&format!("{url}/part/{svg_part}/view")).await;
    assert!(svg_view.url.ends_with(&format!("/part/{svg_part}")), "{}", svg_view.url);
    assert!(svg_view.headers["content-disposition"].to_str().unwrap().starts_with("attachment;"));
    // All of them in one zip, byte for byte.
    let zip = b.raw_get(&format!("{url}/attachments.zip")).await;
    assert_eq!(zip.headers()["content-type"], "application/zip");
    assert!(zip.headers()["content-disposition"].to_str().unwrap().contains("Holiday photos.zip"));
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.bytes().await.unwrap().to_vec())).unwrap();
    let mut got = Vec::new();
    std::io::Read::read_to_end(&mut archive.by_name("beach.png").unwrap(), &mut got).unwrap();
    assert_eq!(got, png);
    let mut notes = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("notes.txt").unwrap(), &mut notes).unwrap();
    assert_eq!(notes.trim_end(), "Sunscreen.");
    assert_eq!(archive.len(), 3);
    app.stop().await;
}
