//! Reading mail against a real Dovecot: login, folders, lists, messages, sessions.

use std::time::Duration;

use crate::harness::*;

#[tokio::test]
async fn the_login_page_speaks_english_and_french() {
    let app = TestApp::start().await;
    let en = Browser::with_lang(&app, "en-US,en;q=0.9").get("/login").await;
    assert_eq!(en.status, 200);
    assert!(en.body.contains("name=\"username\"") && en.body.contains("name=\"password\""));
    assert!(en.body.contains("Sign in"), "{}", en.body);
    let fr = Browser::with_lang(&app, "fr-FR,fr;q=0.9,en;q=0.5").get("/login").await;
    assert!(fr.body.contains("Se connecter") && fr.body.contains("lang=\"fr\""));
    let health = Browser::new(&app).get("/healthz").await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok"));
}

#[tokio::test]
async fn a_right_password_opens_the_inbox_and_a_wrong_one_says_so() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let b = Browser::new(&app);
    let bad = b.login_attempt(&user.name, "not-the-password").await;
    assert_eq!(bad.status, 401);
    assert!(bad.body.contains("Wrong email address or password"), "{}", bad.body);
    assert!(bad.body.contains(&user.name), "the form keeps the user name");
    let fr = Browser::with_lang(&app, "fr").login_attempt(&user.name, "x").await;
    assert!(fr.body.contains("Adresse e-mail ou mot de passe incorrect"));
    let empty = b.login_attempt("", "").await;
    assert_eq!(empty.status, 422);

    let inbox = b.login(&user).await;
    assert!(inbox.body.contains(&user.name));
    assert!(inbox.body.contains("There are no messages in this folder"), "{}", inbox.body);
    // Pages need a login.
    let anon = Browser::new(&app).raw_get("/f/INBOX").await;
    assert_eq!(anon.status(), 303);
    assert!(anon.headers()["location"].to_str().unwrap().starts_with("/login?next="));
}

#[tokio::test]
async fn login_works_over_implicit_tls_and_starttls_with_a_non_ascii_password() {
    let d = dovecot();
    let user = loop {
        let u = d.user();
        if !u.password.is_ascii() {
            break u;
        }
    };
    // STARTTLS against the listener that refuses logins before it: a client that skipped it
    // would fail here rather than pass in plain text.
    let servers = [("localhost", d.imaps_port, "tls"), (STARTTLS_HOST, d.imap_starttls_port, "starttls"), ("localhost", d.imap_port, "plain")];
    let with = |host: &str, port: u16, security: &str| {
        let (host, security, ca) = (host.to_string(), security.to_string(), d.ca_file().display().to_string());
        move |env: &mut std::collections::HashMap<String, String>| {
            env.insert("FACTEUR_IMAP_HOST".into(), host);
            env.insert("FACTEUR_IMAP_PORT".into(), port.to_string());
            env.insert("FACTEUR_IMAP_SECURITY".into(), security);
            env.insert("FACTEUR_TLS_CA_FILE".into(), ca);
        }
    };
    for (host, port, security) in servers {
        let app = TestApp::start_with(|_| {}, with(host, port, security)).await;
        let b = Browser::new(&app);
        let page = b.login(&user).await;
        assert!(page.body.contains(&user.name), "{security}");
        // The listeners of 127.0.0.1 trust Facteur and log the browser's address (ID); the one
        // on 127.0.0.2 does not: it ignores ID, logs Facteur's own, and lets the user in as well.
        let (listener, address) = if security == "starttls" { ("lip=127.0.0.2", "127.0.0.1".to_string()) } else { ("lip=127.0.0.1", b.address.to_string()) };
        let (log, line) = (d.dir.join("dovecot-info.log"), format!("user=<{}>", user.name));
        let logged = || {
            std::fs::read_to_string(&log).unwrap_or_default().lines().any(|l| {
                l.contains("imap-login: Info: Login:") && l.contains(&line) && l.contains(&format!("rip={address},")) && l.contains(listener)
            })
        };
        assert!(eventually(std::time::Duration::from_secs(5), || async { logged() }).await, "{security}: the login logged with rip={address}");
    }
    // The downgrade the line above guards against: without STARTTLS, that listener lets no
    // one in.
    let app = TestApp::start_with(|_| {}, with(STARTTLS_HOST, d.imap_starttls_port, "plain")).await;
    let b = Browser::new(&app);
    let page = b.login_attempt(&user.name, &user.password).await;
    assert!(matches!(page.status, 401 | 502), "a plain text login on the STARTTLS-only port: {} {}", page.status, page.body);
    assert!(page.url.ends_with("/login"), "{}", page.url);
    assert_eq!(b.raw_get("/f/INBOX").await.status(), 303, "no session");
    // Without trusting the test CA, TLS fails with a clear message, not a 500.
    let app = TestApp::start_with(
        |_| {},
        |env| {
            env.insert("FACTEUR_IMAP_HOST".into(), "localhost".into());
            env.insert("FACTEUR_IMAP_PORT".into(), d.imaps_port.to_string());
            env.insert("FACTEUR_IMAP_SECURITY".into(), "tls".into());
        },
    )
    .await;
    let page = Browser::new(&app).login_attempt(&user.name, &user.password).await;
    assert_eq!(page.status, 502);
    assert!(page.body.contains("cannot be reached"), "{}", page.body);
}

/// The STARTTLS tests prove something only if the STARTTLS-only listener really refuses to
/// authenticate before STARTTLS: checked here with a raw client, against the plain listener
/// (which accepts the same login) and after STARTTLS (which accepts it too).
#[tokio::test]
async fn the_starttls_only_imap_listener_refuses_logins_before_starttls() {
    let d = dovecot();
    let user = d.user();
    let auth = format!("AUTHENTICATE PLAIN {}", base64_plain(&user.name, &user.password));
    let login = format!("LOGIN \"{}\" \"{}\"", user.name, user.password);

    let mut tcp = tokio::net::TcpStream::connect((STARTTLS_HOST, d.imap_starttls_port)).await.unwrap();
    let greeting = read_until(&mut tcp, |_| true).await;
    assert!(greeting.contains("LOGINDISABLED") && greeting.contains("STARTTLS"), "{greeting}");
    send_line(&mut tcp, &format!("a {login}")).await;
    let refused = read_tagged(&mut tcp, "a").await;
    assert!(refused.contains("a NO [PRIVACYREQUIRED]"), "LOGIN before STARTTLS: {refused}");
    send_line(&mut tcp, &format!("b {auth}")).await;
    let refused = read_tagged(&mut tcp, "b").await;
    assert!(refused.contains("b NO [PRIVACYREQUIRED]"), "AUTHENTICATE before STARTTLS: {refused}");

    let mut tcp = tokio::net::TcpStream::connect((STARTTLS_HOST, d.imap_starttls_port)).await.unwrap();
    read_until(&mut tcp, |_| true).await;
    send_line(&mut tcp, "a STARTTLS").await;
    assert!(read_tagged(&mut tcp, "a").await.contains("a OK"));
    let mut tls = tls_client(&d.ca_file(), STARTTLS_HOST, tcp).await;
    send_line(&mut tls, &format!("b {auth}")).await;
    let ok = read_tagged(&mut tls, "b").await;
    assert!(ok.contains("b OK"), "AUTHENTICATE after STARTTLS: {ok}");

    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", d.imap_port)).await.unwrap();
    read_until(&mut tcp, |_| true).await;
    send_line(&mut tcp, &format!("a {auth}")).await;
    let ok = read_tagged(&mut tcp, "a").await;
    assert!(ok.contains("a OK"), "the plain listener takes plain text logins: {ok}");
}

#[tokio::test]
async fn an_unreachable_or_silent_server_gets_a_clear_page() {
    let closed = free_port();
    let app = TestApp::start_with(|_| {}, |env| drop(env.insert("FACTEUR_IMAP_PORT".into(), closed.to_string()))).await;
    let page = Browser::new(&app).login_attempt("a@example.test", "x").await;
    assert_eq!(page.status, 502);
    assert!(page.body.contains("The mail server cannot be reached"), "{}", page.body);

    // A server that accepts the connection and never says a word.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let app = TestApp::start_with(
        |_| {},
        |env| {
            env.insert("FACTEUR_IMAP_PORT".into(), port.to_string());
            env.insert("FACTEUR_IMAP_CONNECT_TIMEOUT_SECONDS".into(), "1".into());
        },
    )
    .await;
    let page = Browser::with_lang(&app, "fr").login_attempt("a@example.test", "x").await;
    assert_eq!(page.status, 504);
    assert!(page.body.contains("n’a pas répondu à temps"), "{}", page.body);
    hold.abort();
}

#[tokio::test]
async fn the_sidebar_lists_inbox_special_use_then_a_tree_with_unicode_names_and_unread_counts() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    for wire in ["Projets", "Projets/Facteur", "Famille", "Famille/&AMk-t&AOk- 2026", "&ZeVnLIqe-"] {
        make_folder(&mut imap, wire).await.expect("create");
    }
    append(&mut imap, "Famille/&AMk-t&AOk- 2026", &fixture("plain.eml")).await;
    append(&mut imap, "INBOX", &fixture("latin1.eml")).await;
    append(&mut imap, "INBOX", &fixture("koi8-r.eml")).await;
    let page = Browser::new(&app).login(&user).await;
    let order: Vec<usize> = ["Inbox", "Drafts", "Sent", "Archive", "Junk", "Trash", "Famille", "Été 2026", "Projets", "Facteur", "日本語"]
        .iter()
        .map(|n| page.body.find(&format!("<span class=\"folder-name\">{n}</span>")).unwrap_or_else(|| panic!("{n} missing")))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "folder order {order:?}");
    assert!(page.body.contains("class=\"depth-1 icon-folder"), "sub-folders are indented");
    assert!(page.body.contains("title=\"2 unread\">2</span>"), "inbox unread count");
    assert!(page.body.contains("title=\"1 unread\">1</span>"), "Été 2026 unread count");
    assert!(page.body.contains("<title>(2) Inbox · Facteur</title>"));
    let fr = Browser::with_lang(&app, "fr").login(&user).await;
    assert!(fr.body.contains("<span class=\"folder-name\">Boîte de réception</span>"));
    assert!(fr.body.contains("<span class=\"folder-name\">Corbeille</span>"));
    // The non-ASCII folder opens.
    let famille = Browser::new(&app);
    famille.login(&user).await;
    let href = links(&page.body, "/f/Famille%2F").pop().expect("link to Été 2026");
    let list = famille.get(&href).await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("Compte rendu et lien"));
}

#[tokio::test]
async fn a_folder_of_thousands_pages_newest_first_fifty_at_a_time() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let messages: Vec<Vec<u8>> = (1..=3000).map(numbered_message).collect();
    user.bulk_append("INBOX", &messages).await;
    let b = Browser::new(&app);
    let first = b.login(&user).await;
    assert!(first.body.contains("3,000 messages"));
    assert!(first.body.contains("Page 1 of 60"));
    let rows = first.body.matches("class=\"row").count();
    assert_eq!(rows, 50);
    let p3000 = first.body.find("Message number 03000").expect("newest first");
    let p2951 = first.body.find("Message number 02951").expect("50th");
    assert!(p3000 < p2951);
    assert!(!first.body.contains("Message number 02950"));
    assert!(first.body.contains("Sender 3000"));
    assert!(links(&first.body, "/f/INBOX?page=").contains(&"/f/INBOX?page=2".to_string()), "older link");
    let deep = b.get("/f/INBOX?page=37").await;
    assert!(deep.body.contains("Message number 01200") && deep.body.contains("Message number 01151"));
    assert_eq!(deep.body.matches("class=\"row").count(), 50);
    let last = b.get("/f/INBOX?page=60").await;
    assert!(last.body.contains("Message number 00001"));
    assert!(last.body.contains("Page 60 of 60"));
    assert!(links(&last.body, "/f/INBOX?page=").iter().all(|l| l != "/f/INBOX?page=61"));
    // Nonsense page numbers land on a real page.
    assert_eq!(b.get("/f/INBOX?page=999999").await.status, 200);
    assert_eq!(b.get("/f/INBOX?page=abc").await.status, 200);
}

struct Expect {
    file: &'static str,
    page: &'static [&'static str],
    frame: &'static [&'static str],
}

#[tokio::test]
async fn every_mime_shape_shows_what_it_can() {
    let cases = [
        Expect { file: "plain.eml", page: &["Compte rendu et lien", "PAPILLON", "&#60;script&#62;alert(&#39;plain&#39;)&#60;/script&#62;", "href=\"https://example.org/compte-rendu?id=42&#38;lang=fr\""], frame: &[] },
        Expect { file: "alternative.eml", page: &["Deux versions du même message"], frame: &["MANDARINE"] },
        Expect { file: "html-hostile.eml", page: &["Remote images are hidden", "Show images"], frame: &["TOURNESOL", "https://example.org/sur"] },
        Expect { file: "related-cid.eml", page: &[], frame: &["GIRAFE", "src=\"data:image/png;base64,iVBOR"] },
        Expect { file: "attachments.eml", page: &["ÉCUREUIL", "rapport-2026.pdf", "données-été.csv", "application/pdf"], frame: &[] },
        Expect { file: "nested.eml", page: &["Fwd: Ordre du jour de la réunion", "HIBOU", "ordre-du-jour.eml", "message/rfc822"], frame: &[] },
        Expect { file: "encoded-words.eml", page: &["Résumé de la réunion d&#39;été 2026", "François Lefèvre &#60;francois@example.test&#62;", "Zoé Dupré", "LOUTRE"], frame: &[] },
        Expect { file: "latin1.eml", page: &["Réunion à l&#39;école", "Hélène Mercier", "CHÂTEAU", "5 £ ou ½ journée"], frame: &[] },
        Expect { file: "cp1252.eml", page: &["Devis “final” – 1 250 €", "ŒUVRE", "s’élève"], frame: &[] },
        Expect { file: "iso-2022-jp.eml", page: &["日本語のメール", "山田太郎", "キーワード：さくら"], frame: &[] },
        Expect { file: "shift_jis.eml", page: &["シフトJISの件名", "佐藤花子", "予定表を送ります。", "ソフトの表示も問題ありません。"], frame: &[] },
        Expect { file: "koi8-r.eml", page: &["Привет, мир", "Иван Петров", "МЕДВЕДЬ"], frame: &[] },
        Expect { file: "broken-charset.eml", page: &["Visible word: ZEBRA-OK", "Fin."], frame: &[] },
        Expect { file: "malformed.eml", page: &["Message mal formé", "RESCAPE", "View source"], frame: &[] },
        Expect { file: "utf8-headers.eml", page: &["Déjà vu : café ☕ et 日本", "Zoé Dupré", "MARMOTTE"], frame: &[] },
    ];
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let b = Browser::new(&app);
    b.login(&user).await;
    for case in &cases {
        let (uid, uv) = append(&mut imap, "INBOX", &fixture(case.file)).await;
        let url = format!("/m/INBOX/{uv}/{uid}");
        let page = b.get(&url).await;
        assert_eq!(page.status, 200, "{}: {}", case.file, page.body);
        for s in case.page {
            assert!(page.body.contains(s), "{}: page lacks {s:?}\n{}", case.file, page.body);
        }
        assert!(page.body.contains(&format!("{url}/source")), "{}: source link", case.file);
        if !case.frame.is_empty() {
            assert!(page.body.contains(&format!("src=\"{url}/body\"")), "{}: no frame", case.file);
            // Scripts may run in the frame (its own, which reports its height), but it has no
            // origin of its own to reach ours with: never allow-same-origin.
            assert!(page.body.contains("sandbox=\"allow-scripts allow-popups allow-popups-to-escape-sandbox\""));
            let frame = b.get(&format!("{url}/body")).await;
            assert_eq!(frame.status, 200);
            let csp = frame.headers["content-security-policy"].to_str().unwrap();
            assert!(csp.starts_with("default-src 'none'") && csp.contains("sandbox allow-scripts allow-popups"), "{csp}");
            let scripts = csp.split(';').find(|d| d.trim().starts_with("script-src")).expect("script-src");
            assert!(!csp.contains("same-origin") && scripts.trim().starts_with("script-src 'nonce-") && !scripts.contains("unsafe"), "{csp}");
            for s in case.frame {
                assert!(frame.body.contains(s), "{}: frame lacks {s:?}\n{}", case.file, frame.body);
            }
        }
        let source = b.get(&format!("{url}/source")).await;
        assert!(source.headers["content-type"].to_str().unwrap().starts_with("text/plain"));
        assert!(source.body.contains("Message-ID: <fixture-"), "{}", case.file);
    }
}

#[tokio::test]
async fn hostile_html_is_sanitized_and_remote_images_wait_for_consent() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let (uid, uv) = append(&mut imap, "INBOX", &fixture("html-hostile.eml")).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let url = format!("/m/INBOX/{uv}/{uid}");
    let frame = b.get(&format!("{url}/body")).await;
    // The frame's one script is Facteur's, in the head, with the nonce its CSP names; the
    // mail's part of it, the body, has none.
    let csp = frame.headers["content-security-policy"].to_str().unwrap().to_string();
    let nonce = csp.split("'nonce-").nth(1).and_then(|s| s.split('\'').next()).expect("a script nonce");
    assert_eq!(frame.body.matches("<script").count(), 1, "{}", frame.body);
    assert!(frame.body.contains(&format!("<script nonce=\"{nonce}\">")));
    let mail = mail_part(&frame.body);
    let lower = mail.to_lowercase();
    for bad in ["<script", "onerror", "onload", "javascript:", "<iframe", "<form", "<object", "<embed", "<meta http", "<base", "tracker.example.net", "evil.example.net", "<svg", "<math"] {
        assert!(!lower.contains(bad), "{bad} survived:\n{}", frame.body);
    }
    assert!(frame.headers["content-security-policy"].to_str().unwrap().contains("img-src data:;"));
    let page = b.get(&url).await;
    assert!(page.body.contains(&format!("href=\"{url}?images=1\"")));
    let with_images = b.get(&format!("{url}?images=1")).await;
    assert!(with_images.body.contains(&format!("src=\"{url}/body?images=1\"")));
    let frame = b.get(&format!("{url}/body?images=1")).await;
    assert!(frame.headers["content-security-policy"].to_str().unwrap().contains("img-src data: 'self';"));
    assert!(!mail_part(&frame.body).to_lowercase().contains("<script"));
    assert!(frame.body.contains("/img?u=https%3A%2F%2Fimages%2Eexample%2Enet%2Fvacances%2Ejpg"), "the photo, through the proxy, once allowed");
    assert!(!frame.body.contains("tracker.example.net"), "the tracking pixel never does");
}

#[tokio::test]
async fn attachments_download_with_their_names_and_safe_headers() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let (uid, uv) = append(&mut imap, "INBOX", &fixture("attachments.eml")).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let page = b.get(&format!("/m/INBOX/{uv}/{uid}")).await;
    // The downloads (the PDF also has a link to its pages, drawn by Facteur).
    let parts: Vec<String> = links(&page.body, &format!("/m/INBOX/{uv}/{uid}/part/")).into_iter().filter(|p| !p.ends_with("/view")).collect();
    assert_eq!(parts.len(), 2, "{}", page.body);
    let mut names = Vec::new();
    for p in parts {
        let res = b.raw_get(&p).await;
        assert_eq!(res.status(), 200);
        let h = res.headers().clone();
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert!(h["content-security-policy"].to_str().unwrap().starts_with("sandbox"));
        let cd = h["content-disposition"].to_str().unwrap().to_string();
        assert!(cd.starts_with("attachment;"), "{cd}");
        let body = res.bytes().await.unwrap();
        if cd.contains("rapport-2026.pdf") {
            assert_eq!(h["content-type"], "application/pdf");
            assert!(body.starts_with(b"%PDF"));
        } else {
            assert!(cd.contains("filename*=UTF-8''donn%C3%A9es%2D%C3%A9t%C3%A9%2Ecsv"), "{cd}");
            assert!(String::from_utf8_lossy(&body).contains("Zoé;Besançon;12,50"));
        }
        names.push(cd);
    }
    assert_eq!(names.len(), 2);
    assert_eq!(b.get(&format!("/m/INBOX/{uv}/{uid}/part/999")).await.status, 404);
}

#[tokio::test]
async fn opening_a_message_marks_it_seen_on_the_server_and_mark_unread_undoes_it() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let (uid, uv) = append(&mut imap, "INBOX", &fixture("plain.eml")).await;
    assert!(!flags_of(&mut imap, "INBOX", uid).await.iter().any(|f| f == "Seen"));
    let b = Browser::new(&app);
    let inbox = b.login(&user).await;
    assert!(inbox.body.contains("class=\"row unread"));
    let page = b.get(&format!("/m/INBOX/{uv}/{uid}")).await;
    assert!(flags_of(&mut imap, "INBOX", uid).await.iter().any(|f| f == "Seen"), "\\Seen set by opening");
    let token = csrf(&page.body);
    // Without the token the action is refused.
    let uv_s = uv.to_string();
    let uid_s = uid.to_string();
    let refused = b
        .post("/f/INBOX/actions", &[("csrf", "forged"), ("uidvalidity", &uv_s), ("uid", &uid_s), ("action", "unread")])
        .await;
    assert_eq!(refused.status, 403);
    assert!(flags_of(&mut imap, "INBOX", uid).await.iter().any(|f| f == "Seen"));
    let back = b
        .post("/f/INBOX/actions", &[("csrf", &token), ("uidvalidity", &uv_s), ("uid", &uid_s), ("action", "unread"), ("back", "message")])
        .await;
    assert_eq!(back.status, 200);
    assert!(back.url.contains("/f/INBOX?n="), "{}", back.url);
    assert!(!flags_of(&mut imap, "INBOX", uid).await.iter().any(|f| f == "Seen"), "\\Seen cleared");
    assert!(back.body.contains("class=\"row unread"));
    assert!(back.body.contains("Marked as unread."));
}

#[tokio::test]
async fn unknown_folders_uids_and_stale_uidvalidity_are_friendly_404s() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let (uid, uv) = append(&mut imap, "INBOX", &fixture("plain.eml")).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    for (path, says) in [
        ("/f/No%20such%20folder".to_string(), "Not found"),
        (format!("/m/INBOX/{uv}/{}", uid + 1000), "This message was deleted or moved"),
        (format!("/m/INBOX/{}/{uid}", uv.wrapping_add(1)), "This message was deleted or moved"),
        ("/m/INBOX/abc/def".to_string(), "Not found"),
        ("/m/Nowhere/1/1".to_string(), "This message was deleted or moved"),
        ("/definitely/not/a/route".to_string(), "Not found"),
    ] {
        let page = b.get(&path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(page.body.contains(says) && page.body.contains("href=\"/\""), "{path}: {}", page.body);
        assert!(page.body.contains("Request ID: "), "{path}");
    }
    let fr = Browser::with_lang(&app, "fr");
    fr.login(&user).await;
    assert!(fr.get("/f/Nulle%20part").await.body.contains("Introuvable"));
}

#[tokio::test]
async fn logout_closes_the_imap_connection_and_the_session() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let b = Browser::new(&app);
    let inbox = b.login(&user).await;
    let d = dovecot();
    assert!(eventually(Duration::from_secs(5), || async { d.connections(&user.name) == 1 }).await);
    let page = b.post("/logout", &[("csrf", &csrf(&inbox.body))]).await;
    assert!(page.url.contains("/login"), "{}", page.url);
    assert!(page.body.contains("You are signed out"));
    assert!(
        eventually(Duration::from_secs(5), || async { d.connections(&user.name) == 0 }).await,
        "the IMAP connection is logged out"
    );
    assert_eq!(app.state.registry.open_connections(), 0);
    let after = b.raw_get("/f/INBOX").await;
    assert_eq!(after.status(), 303, "the web session is gone");
}

#[tokio::test]
async fn a_connection_killed_by_the_server_is_reopened_transparently() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let b = Browser::new(&app);
    b.login(&user).await;
    let before = app.state.registry.connects();
    dovecot().kick(&user.name);
    let page = b.get("/f/INBOX").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(app.state.registry.connects(), before + 1, "one reconnect");
    assert_eq!(b.get("/f/INBOX").await.status, 200);
    assert_eq!(app.state.registry.connects(), before + 1, "the new connection is reused");
}

#[tokio::test]
async fn idle_connections_are_logged_out_and_reopened_on_the_next_request() {
    let app = TestApp::start_with(|c| c.imap_idle_timeout = Duration::from_millis(800), |_| {}).await;
    let user = dovecot().user();
    let b = Browser::new(&app);
    b.login(&user).await;
    let d = dovecot();
    assert!(
        eventually(Duration::from_secs(10), || async { d.connections(&user.name) == 0 }).await,
        "the reaper logs out an idle connection"
    );
    // Reopened (counted as it connects: the reaper may log it out again soon after, 800 ms
    // idle being little on a busy machine).
    let before = app.state.registry.connects();
    assert_eq!(b.get("/f/INBOX").await.status, 200);
    assert_eq!(app.state.registry.connects(), before + 1, "one new connection for the request");
}

#[tokio::test]
async fn a_restart_of_facteur_costs_only_a_reconnect_and_the_password_is_sealed() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let b = Browser::new(&app);
    b.login(&user).await;
    let old = reqwest::Url::parse(&app.url("/")).unwrap();
    let dir = app.stop().await;
    // The session database never holds the password in clear.
    for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap_or_default();
        assert!(!bytes.windows(user.password.len()).any(|w| w == user.password.as_bytes()), "{:?}", entry.path());
    }
    let app2 = TestApp::start_in(dir, |_| {}, |_| {}).await;
    // Same cookies, new process on a new port: cookies are per host, so copy them over.
    let b2 = Browser::new(&app2);
    let new = reqwest::Url::parse(&app2.url("/")).unwrap();
    use reqwest::cookie::CookieStore;
    let cookies = b.jar.cookies(&old).expect("cookies");
    for c in cookies.to_str().unwrap().split("; ") {
        b2.jar.add_cookie_str(c, &new);
    }
    let page = b2.get("/f/INBOX").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains(&user.name));
    // Without the key cookie the sealed password is useless: back to the login page.
    let no_key = Browser::new(&app2);
    let session_cookie = cookies.to_str().unwrap().split("; ").find(|c| c.starts_with("facteur_session=")).unwrap().to_string();
    no_key.jar.add_cookie_str(&session_cookie, &new);
    let page = no_key.get("/f/INBOX").await;
    assert!(page.url.contains("/login"), "{}", page.url);
    assert!(page.body.contains("Your session has ended"));
}

#[tokio::test]
async fn a_password_changed_elsewhere_ends_the_session_cleanly() {
    let app = TestApp::start().await;
    let d = dovecot();
    // A user of this test only, so changing the password disturbs nobody else.
    let user = TestUser::new(&format!("changes@{DOMAIN}"), "first-password", d.imap_port);
    d.set_password(&user.name, &user.password);
    let b = Browser::new(&app);
    b.login(&user).await;
    d.set_password(&user.name, "second-password");
    d.kick(&user.name);
    let page = b.get("/f/INBOX").await;
    assert_eq!(page.status, 200);
    assert!(page.url.contains("/login"), "{}", page.url);
    assert!(page.body.contains("Your session has ended"), "{}", page.body);
    let again = b.raw_get("/f/INBOX").await;
    assert_eq!(again.status(), 303, "the old session is gone");
}

/// The mail's part of a message frame: what its `<body>` holds.
fn mail_part(frame: &str) -> &str {
    let start = frame.find("<body>").map(|i| i + "<body>".len()).unwrap_or(0);
    let end = frame.rfind("</body>").unwrap_or(frame.len());
    &frame[start..end.max(start)]
}

/// A TCP relay to Dovecot that, once `armed`, closes the first connection that sends `cut`
/// (no BYE, no answer: a server process killed, a proxy losing its backend), and relays
/// everything else.
async fn relay_cutting_once(cut: &'static [u8], armed: std::sync::Arc<std::sync::atomic::AtomicBool>) -> u16 {
    relay(dovecot().imap_port, move || {
        let armed = armed.clone();
        move |sent: &[u8]| {
            let seen = sent.windows(cut.len()).any(|w| w.eq_ignore_ascii_case(cut));
            if seen && armed.swap(false, std::sync::atomic::Ordering::SeqCst) { Relayed::Cut } else { Relayed::Pass }
        }
    })
    .await
}

#[tokio::test]
async fn a_connection_that_closes_in_the_middle_of_a_command_is_not_a_deleted_message() {
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let (uid, uv) = append(&mut imap, "Archive", &numbered_message(3)).await;
    let armed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let port = relay_cutting_once(b" SELECT ", armed.clone()).await;
    let app = TestApp::start_with(|_| {}, |env| drop(env.insert("FACTEUR_IMAP_PORT".into(), port.to_string()))).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    // Opening the message selects Archive: that connection closes under the SELECT. The
    // message is shown, from a new connection, not said to be deleted.
    armed.store(true, std::sync::atomic::Ordering::SeqCst);
    let message = b.get(&format!("/m/Archive/{uv}/{uid}")).await;
    assert!(!armed.load(std::sync::atomic::Ordering::SeqCst), "the SELECT was not cut");
    assert_eq!(message.status, 200, "{}", message.body);
    assert!(message.body.contains("Message number 00003"), "{}", message.body);
}
