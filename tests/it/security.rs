//! The web app's own defences: CSRF on every state-changing route, login throttling, quoting of
//! user input in IMAP commands, and the security headers.

use crate::harness::*;

/// Every `.route("…", …post(…))` of the router, read from its source so that a new route cannot
/// be forgotten here.
pub fn post_routes() -> Vec<String> {
    routes_with("post(")
}

/// The paths of the router's routes whose handlers include `method` (`"get("`, `"post("`), read
/// from its source.
pub fn routes_with(method: &str) -> Vec<String> {
    let src = std::fs::read_to_string(root().join("src/web/mod.rs")).unwrap();
    let mut out = Vec::new();
    let mut rest = src.as_str();
    while let Some(i) = rest.find(".route(") {
        rest = &rest[i + 7..];
        let end = rest.find(".route(").unwrap_or(rest.len());
        let call = &rest[..end];
        let path = call.split('"').nth(1).unwrap().to_string();
        if call.contains(method) {
            out.push(path);
        }
    }
    out
}

pub fn concrete(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg {
            "{mailbox}" => "INBOX",
            s if s.starts_with('{') => "1",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_state_changing_route_refuses_a_request_without_a_valid_token() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let (uid, uv) = append(&mut imap, "INBOX", &numbered_message(1)).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let token = csrf(&b.get("/f/INBOX").await.body);
    // Outlook's autodiscover is a read-only public document fetched by mail apps without
    // cookies (the same answer as the GET autoconfig): it changes nothing, so it takes no token.
    // Its own tests are in hosting.rs.
    let routes: Vec<String> = post_routes().into_iter().filter(|r| !r.eq_ignore_ascii_case("/autodiscover/autodiscover.xml")).collect();
    for expected in ["/login", "/logout", "/f/{mailbox}/actions", "/search/actions", "/undo", "/compose", "/settings", "/settings/identities", "/contacts"] {
        assert!(routes.iter().any(|r| r == expected), "{expected} not found among {routes:?}");
    }
    let uv_s = uv.to_string();
    let uid_s = uid.to_string();
    for route in &routes {
        let path = concrete(route);
        let fields: Vec<(&str, &str)> = vec![
            ("uidvalidity", &uv_s),
            ("uid", &uid_s),
            ("action", "delete"),
            ("language", "fr"),
            ("email", "x@example.test"),
            ("op", "save"),
            ("username", &user.name),
            ("password", &user.password),
        ];
        // The compose and import forms only take multipart bodies (their tokens are checked
        // in their own tests); anything else is a 400.
        let refused: &[u16] = if route == "/compose" || route == "/f/{mailbox}/import" { &[400, 403] } else { &[403] };
        // 1. Same origin, no token.
        let res = b.http.post(b.url(&path)).header("sec-fetch-site", "same-origin").form(&fields).send().await.unwrap();
        assert!(refused.contains(&res.status().as_u16()), "POST {path} without a token: {}", res.status());
        // 2. Same origin, a wrong token.
        let mut wrong = fields.clone();
        wrong.push(("csrf", "not-the-token"));
        let res = b.http.post(b.url(&path)).header("sec-fetch-site", "same-origin").form(&wrong).send().await.unwrap();
        assert!(refused.contains(&res.status().as_u16()), "POST {path} with a wrong token: {}", res.status());
        // 3. The right token, from another site.
        let mut right = fields.clone();
        right.push(("csrf", &token));
        for (name, value) in [("sec-fetch-site", "cross-site"), ("origin", "https://evil.example")] {
            let res = b.http.post(b.url(&path)).header(name, value).form(&right).send().await.unwrap();
            assert_eq!(res.status().as_u16(), 403, "POST {path} with {name}: {value}");
        }
    }
    // The compose form is multipart: the same holds, and nothing reaches the upload store.
    for (token_value, site) in [(None, "same-origin"), (Some("wrong"), "same-origin"), (Some(token.as_str()), "cross-site")] {
        let mut form = reqwest::multipart::Form::new();
        if let Some(t) = token_value {
            form = form.text("csrf", t.to_string());
        }
        let form = form
            .text("draft", "abcdefghijklmnopqrstuvwx")
            .text("send_key", "k")
            .text("to", user.name.clone())
            .text("op", "send")
            .part("attachments", reqwest::multipart::Part::bytes(vec![1u8; 1000]).file_name("x.bin"));
        let res = b.http.post(b.url("/compose")).header("sec-fetch-site", site).multipart(form).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 403, "multipart compose, token {token_value:?}, {site}");
    }
    assert!(app.state.uploads.list(&user.name.to_lowercase(), "abcdefghijklmnopqrstuvwx").await.is_empty());
    // Nothing happened: the message is still in the inbox, the session still alive.
    imap.select("INBOX").await.unwrap();
    assert_eq!(imap.uid_search("ALL").await.unwrap().len(), 1);
    assert_eq!(b.get("/f/INBOX").await.status, 200);
}

#[tokio::test]
async fn failed_logins_slow_down_the_address_much_more_than_the_account() {
    let app = TestApp::start_with(
        |c| {
            c.login_free_attempts = 2;
            c.trust_forwarded_for = true;
        },
        |_| {},
    )
    .await;
    let user = dovecot().user();
    let attacker = Browser::new(&app);
    let attempt = |b: &Browser, ip: &'static str, password: String| {
        let name = user.name.clone();
        let b = b.http.clone();
        let base = app.url("");
        async move {
            let form = b.get(format!("{base}/login")).header("x-forwarded-for", ip).send().await.unwrap().text().await.unwrap();
            let token = csrf(&form);
            let res = b
                .post(format!("{base}/login"))
                .header("x-forwarded-for", format!("198.51.100.1, {ip}"))
                .form(&[("csrf", token.as_str()), ("username", name.as_str()), ("password", password.as_str())])
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let retry: u64 = res.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0);
            (status, retry, res.text().await.unwrap())
        }
    };
    assert_eq!(attempt(&attacker, "203.0.113.5", "wrong".into()).await.0, 401);
    assert_eq!(attempt(&attacker, "203.0.113.5", "wrong".into()).await.0, 401);
    let (status, retry, body) = attempt(&attacker, "203.0.113.5", "wrong".into()).await;
    assert_eq!(status, 429, "the third attempt must wait");
    assert!(retry >= 1 && body.contains("Too many failed attempts"), "{retry} {body}");
    // The attacker keeps going: their waits grow (simulated by the throttle's clock here:
    // failures recorded directly, as if each had waited its turn).
    for _ in 0..12 {
        app.state.login_throttle.failure("203.0.113.5".parse().unwrap(), &user.name.to_lowercase()).await;
    }
    let (status, retry, _) = attempt(&attacker, "203.0.113.5", user.password.clone()).await;
    assert_eq!(status, 429);
    assert!(retry > 300, "the attacking address waits long: {retry}");
    // The real user, elsewhere, waits a minute at most, then gets in: no lockout.
    let victim = Browser::new(&app);
    let (status, retry, _) = attempt(&victim, "192.0.2.77", user.password.clone()).await;
    assert_eq!(status, 429);
    assert!(retry <= 60, "the account waits at most a minute: {retry}");
    // Another account from the victim's address is not slowed at all.
    let other = dovecot().user();
    let form = victim.get("/login").await;
    let res = victim
        .http
        .post(victim.url("/login"))
        .header("x-forwarded-for", "192.0.2.77")
        .form(&[("csrf", csrf(&form.body).as_str()), ("username", other.name.as_str()), ("password", other.password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
}

#[tokio::test]
async fn folder_names_with_quotes_braces_line_breaks_and_accents_cannot_inject_imap() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    for i in 1..=3 {
        append(&mut imap, "INBOX", &numbered_message(i)).await;
    }
    // Created by another client: a quote, a backslash, a literal-looking {5}, accents.
    let odd = "Q\"uo\\te {5}";
    make_folder(&mut imap, odd).await.unwrap(); // async-imap quotes it
    make_folder(&mut imap, "&AMk-t&AOk-").await.unwrap(); // "Été" in modified UTF-7
    let b = Browser::new(&app);
    let inbox = b.login(&user).await;
    let token = csrf(&inbox.body);
    assert!(inbox.body.contains("Q&#34;uo\\te {5}</span>"), "the odd name is shown as it is");
    let uv = imap.select("INBOX").await.unwrap().uid_validity.unwrap().to_string();
    let uids: Vec<u32> = {
        let mut v: Vec<u32> = imap.uid_search("ALL").await.unwrap().into_iter().collect();
        v.sort_unstable();
        v
    };
    for (uid, target) in [(uids[0], odd), (uids[1], "Été")] {
        let page = b
            .post("/f/INBOX/actions", &[("csrf", &token), ("uidvalidity", &uv), ("uid", &uid.to_string()), ("action", "move"), ("target", target)])
            .await;
        assert_eq!(page.status, 200, "move to {target}: {}", page.body);
    }
    assert_eq!(imap.select(odd).await.unwrap().exists, 1, "moved into the odd folder");
    assert_eq!(imap.select("&AMk-t&AOk-").await.unwrap().exists, 1, "moved into Été");
    // A line break in a folder name cannot start a second command.
    for target in ["INBOX\r\nA1 DELETE INBOX", "Trash\"\r\nA2 CREATE Injected", "{5+}\r\nhello"] {
        let page = b
            .post("/f/INBOX/actions", &[("csrf", &token), ("uidvalidity", &uv), ("uid", &uids[2].to_string()), ("action", "move"), ("target", target)])
            .await;
        assert!(page.status < 500 || page.status == 502, "{target:?}: {}", page.status);
    }
    let names: Vec<String> = {
        use futures_util::TryStreamExt;
        imap.list(Some(""), Some("*")).await.unwrap().map_ok(|n| n.name().to_string()).try_collect().await.unwrap()
    };
    assert!(!names.iter().any(|n| n.contains("Injected")), "{names:?}");
    assert_eq!(imap.select("INBOX").await.unwrap().exists, 1, "the third message stayed");
}

#[tokio::test]
async fn pages_carry_a_fresh_script_nonce_and_the_security_headers() {
    let app = TestApp::start_with(|c| c.cookie_secure = true, |_| {}).await;
    let b = Browser::new(&app);
    let one = b.get("/login").await;
    let two = b.get("/login").await;
    let csp = |p: &Page| p.headers.get("content-security-policy").unwrap().to_str().unwrap().to_string();
    let nonce = |p: &Page| csp(p).split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_string();
    assert_ne!(nonce(&one), nonce(&two), "a new nonce per response");
    assert!(one.body.contains(&format!("nonce=\"{}\"", nonce(&one))), "the script carries it");
    let policy = csp(&one);
    for part in ["default-src 'none'", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"] {
        assert!(policy.contains(part), "{policy}");
    }
    assert!(!policy.contains("unsafe-eval") && !policy.contains("unsafe-inline"), "{policy}");
    let h = &one.headers;
    assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer");
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert!(h.get("permissions-policy").is_some());
    assert!(h.get("strict-transport-security").is_some(), "HSTS when served over https");
}

/// A tiny HTTP server on loopback that records every request (path and headers) it gets.
pub struct Beacon {
    pub port: u16,
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

pub const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";

impl Beacon {
    pub async fn start() -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 16384];
                    let mut head = Vec::new();
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match s.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                        if head.len() > 65536 {
                            break;
                        }
                    }
                    let text = String::from_utf8_lossy(&head).to_string();
                    let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
                    seen.lock().unwrap().push(text);
                    use base64::Engine;
                    let png = base64::engine::general_purpose::STANDARD.decode(PNG_1X1).unwrap();
                    let (status, ct, body, extra): (&str, &str, Vec<u8>, String) = match path.as_str() {
                        "/a.png" => ("200 OK", "image/png", png, "Set-Cookie: tracker=1\r\n".into()),
                        "/page.html" => ("200 OK", "text/html", b"<script>alert(1)</script>".to_vec(), String::new()),
                        "/img.svg" => ("200 OK", "image/svg+xml", b"<svg onload=alert(1)></svg>".to_vec(), String::new()),
                        "/big.png" => ("200 OK", "image/png", vec![0u8; 6 * 1024 * 1024], String::new()),
                        "/redirect" => ("302 Found", "text/plain", Vec::new(), "Location: /a.png\r\n".into()),
                        _ => ("404 Not Found", "text/plain", Vec::new(), String::new()),
                    };
                    let head = format!("HTTP/1.1 {status}\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n", body.len());
                    let _ = s.write_all(head.as_bytes()).await;
                    let _ = s.write_all(&body).await;
                });
            }
        });
        Self { port, requests }
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

fn proxy_links(frame: &str) -> Vec<String> {
    frame.split("src=\"").skip(1).filter_map(|s| s.split('"').next()).filter(|s| s.starts_with("/img?")).map(|s| s.replace("&amp;", "&")).collect()
}

#[tokio::test]
async fn remote_images_come_only_through_the_proxy_which_refuses_private_addresses() {
    let beacon = Beacon::start().await;
    let app = TestApp::start().await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let html = format!(
        "From: News <news@shop.example>\r\nTo: {}\r\nSubject: Offers\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n\
         <p>Offers</p><img src=\"http://127.0.0.1:{p}/a.png\" width=\"40\" height=\"40\"><img src=\"http://127.0.0.1:{p}/open.gif\" width=\"1\" height=\"1\">\r\n",
        user.name,
        p = beacon.port
    );
    let (uid, uv) = append(&mut imap, "INBOX", html.as_bytes()).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    let url = format!("/m/INBOX/{uv}/{uid}");
    let page = b.get(&url).await;
    assert!(page.body.contains("Remote images are hidden") && page.body.contains("Always show images from news@shop.example"));
    let frame = b.get(&format!("{url}/body?images=1")).await;
    assert!(frame.headers["content-security-policy"].to_str().unwrap().contains("img-src data: 'self';"));
    assert!(!frame.body.contains("http://127.0.0.1"), "no direct remote URL: {}", frame.body);
    let links = proxy_links(&frame.body);
    assert_eq!(links.len(), 1, "the photo through the proxy, the pixel not at all: {links:?}");
    // The proxy needs no cookie (the sandboxed frame sends none) and refuses loopback.
    let anon = Browser::new(&app);
    let res = anon.raw_get(&links[0]).await;
    assert_eq!(res.status().as_u16(), 403);
    let tampered = links[0].replace("a.png", "b.png");
    assert_eq!(anon.raw_get(&tampered).await.status().as_u16(), 403);
    assert_eq!(beacon.count(), 0, "nothing reached the remote server");

    // Always for this sender: stored, and the page shows them without asking.
    let token = csrf(&page.body);
    b.post("/images/senders", &[("csrf", &token), ("sender", "news@shop.example"), ("trust", "1"), ("back", &url)]).await;
    let page = b.get(&url).await;
    assert!(!page.body.contains("Remote images are hidden"));
    assert!(page.body.contains(&format!("src=\"{url}/body?images=1\"")));
    assert!(b.get("/settings").await.body.contains("news@shop.example"));
}

#[tokio::test]
async fn the_proxy_strips_cookies_and_referer_and_passes_only_raster_images() {
    let beacon = Beacon::start().await;
    let app = TestApp::start_with(|c| c.image_proxy_allow_private = true, |_| {}).await;
    let now = facteur::clock::unix_secs();
    let signer = app.state.image_signer.clone();
    let anon = Browser::new(&app);
    let get = |path: &str| {
        let url = signer.proxy_url(&format!("http://127.0.0.1:{}{path}", beacon.port), now).unwrap();
        let http = anon.http.clone();
        let full = anon.url(&url);
        async move {
            let res = http.get(full).header("cookie", "facteur_session=secret").header("referer", "http://mail.example/m/INBOX/1/2").send().await.unwrap();
            let status = res.status().as_u16();
            let headers = res.headers().clone();
            (status, headers, res.bytes().await.unwrap().to_vec())
        }
    };
    let (status, headers, body) = get("/a.png").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers["content-security-policy"].to_str().unwrap().starts_with("sandbox"));
    assert!(!format!("{:?}", headers.get_all("set-cookie")).contains("tracker"), "the remote cookie is not passed on");
    use base64::Engine;
    assert_eq!(body, base64::engine::general_purpose::STANDARD.decode(PNG_1X1).unwrap());
    let sent = beacon.requests.lock().unwrap()[0].to_lowercase();
    assert!(!sent.contains("cookie") && !sent.contains("referer") && !sent.contains("mail.example"), "{sent}");
    assert!(sent.contains("user-agent: facteur image proxy"), "{sent}");
    assert_eq!(get("/page.html").await.0, 415, "HTML is not an image");
    assert_eq!(get("/img.svg").await.0, 415, "SVG is not passed on");
    assert_eq!(get("/big.png").await.0, 413, "over the size cap");
    assert_eq!(get("/redirect").await.0, 200, "a redirect is followed, and checked again");
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_the_user_and_no_other() {
    let app = TestApp::start().await;
    let (user, other) = (dovecot().user(), dovecot().user());
    let (laptop, phone, someone_else) = (Browser::new(&app), Browser::new(&app), Browser::new(&app));
    laptop.login(&user).await;
    phone.login(&user).await;
    someone_else.login(&other).await;
    let settings = laptop.get("/settings").await;
    assert!(settings.body.contains("Sign out everywhere"));
    let page = laptop.post("/logout/everywhere", &[("csrf", &csrf(&settings.body))]).await;
    assert!(page.url.contains("/login"), "{}", page.url);
    for b in [&laptop, &phone] {
        let res = b.raw_get("/f/INBOX").await;
        assert_eq!(res.status().as_u16(), 303);
        assert!(res.headers()["location"].to_str().unwrap().starts_with("/login"));
    }
    assert_eq!(someone_else.get("/f/INBOX").await.status, 200, "other users keep their sessions");
    // Signing in again works at once.
    phone.login(&user).await;
}

#[tokio::test]
async fn the_imap_server_sees_the_browsers_address_and_the_request_id_not_facteurs() {
    let app = TestApp::start_with(|c| c.trust_forwarded_for = true, |_| {}).await;
    let user = dovecot().user();
    let b = Browser::new(&app);
    let form = b.get("/login").await;
    let res = b
        .http
        .post(b.url("/login"))
        .header("x-forwarded-for", "198.51.100.1, 203.0.113.77")
        .form(&[("csrf", csrf(&form.body).as_str()), ("username", user.name.as_str()), ("password", user.password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let request = res.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    // Dovecot trusts Facteur's address (login_trusted_networks) and logs the user's.
    let log = dovecot().dir.join("dovecot-info.log");
    let line = format!("user=<{}>", user.name);
    let found = eventually(std::time::Duration::from_secs(5), || async {
        std::fs::read_to_string(&log).unwrap_or_default().lines().any(|l| l.contains("imap-login: Info: Login:") && l.contains(&line) && l.contains("rip=203.0.113.77"))
    })
    .await;
    let logged: Vec<String> = std::fs::read_to_string(&log).unwrap_or_default().lines().filter(|l| l.contains(&line)).map(str::to_string).collect();
    assert!(found, "the login logged with the browser's address: {logged:?}");
    assert!(!request.is_empty() && logged.iter().any(|l| l.contains(&request)), "the request id joins both logs ({request}): {logged:?}");
    // The connections Facteur keeps for the user (the page's, later the watcher's) carry it too.
    let who = std::process::Command::new("doveadm")
        .args(["-c", &dovecot().dir.join("dovecot.conf").display().to_string(), "who", &user.name])
        .output()
        .expect("doveadm who");
    let who = String::from_utf8_lossy(&who.stdout).to_string();
    assert!(who.contains("203.0.113.77") && !who.contains("127.0.0.1"), "doveadm who: {who}");
    app.stop().await;
}

/// Postfix and ManageSieve see the browser's address too (XCLIENT, offered to Facteur's
/// address only): Postfix logs it for a message sent through Facteur, ManageSieve for the
/// login. The browser here is at its own loopback address, which Facteur passes on as it is.
/// A submission server that does not offer XCLIENT (the STARTTLS-only listener) still sends.
#[tokio::test]
async fn postfix_and_managesieve_see_the_browsers_address() {
    use crate::compose::{arrives, compose_page, follow, post_compose};
    let d = dovecot();
    let (alice, bob) = (d.user(), d.user());
    let app = TestApp::start().await;
    let b = Browser::new(&app);
    b.login(&alice).await;
    let address = b.address.to_string();
    let subject = format!("From my own address {}", facteur::secrets::random_token::<6>().unwrap());
    let (_, mut form) = compose_page(&b, "/compose").await;
    form.set("to", &bob.name).set("subject", &subject);
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert!(page.body.contains("Message sent."), "{}", page.body);
    let mut bob_imap = bob.imap().await;
    arrives(&mut bob_imap, "INBOX", &subject).await;
    // Postfix's line for the message names the browser's address, next to the login.
    let log = d.dir.join("postfix.log");
    let sasl = format!("sasl_username={}", alice.name);
    let lines = || std::fs::read_to_string(&log).unwrap_or_default().lines().filter(|l| l.contains(&sasl)).map(str::to_string).collect::<Vec<_>>();
    let found = eventually(std::time::Duration::from_secs(5), || async { lines().iter().any(|l| l.contains(&format!("[{address}]"))) }).await;
    assert!(found, "Postfix logged the browser's address {address}: {:?}", lines());
    // ManageSieve: the login made to read the user's vacation notice.
    let info = d.dir.join("dovecot-info.log");
    let sieve_line = format!("user=<{}>", alice.name);
    let found = eventually(std::time::Duration::from_secs(5), || async {
        std::fs::read_to_string(&info).unwrap_or_default().lines().any(|l| l.contains("managesieve-login: Info: Login:") && l.contains(&sieve_line) && l.contains(&format!("rip={address},")))
    })
    .await;
    assert!(found, "ManageSieve logged the browser's address {address}");
    app.stop().await;

    // A submission server that does not offer XCLIENT: the message goes out all the same.
    let plain = TestApp::start_with(
        |_| {},
        |env| {
            env.insert("FACTEUR_SMTP_HOST".into(), "localhost".into());
            env.insert("FACTEUR_SMTP_PORT".into(), d.submission_starttls_port.to_string());
            env.insert("FACTEUR_SMTP_SECURITY".into(), "starttls".into());
            env.insert("FACTEUR_TLS_CA_FILE".into(), d.ca_file().display().to_string());
        },
    )
    .await;
    let b = Browser::new(&plain);
    b.login(&alice).await;
    let subject = format!("Without XCLIENT {}", facteur::secrets::random_token::<6>().unwrap());
    let (_, mut form) = compose_page(&b, "/compose").await;
    form.set("to", &bob.name).set("subject", &subject);
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert!(page.body.contains("Message sent."), "{}", page.body);
    arrives(&mut bob_imap, "INBOX", &subject).await;
    plain.stop().await;
}

/// Dovecot's auth penalty (on, as by default) slows the next logins from an address after
/// failed ones. Facteur passes each browser's address, so an attacker's wrong passwords slow
/// the attacker only; before, every login through Facteur came from one address and waited
/// with them (4 s after one wrong password, up to 15 s after more).
#[tokio::test]
async fn wrong_passwords_from_one_address_do_not_slow_logins_from_another() {
    let app = TestApp::start_with(
        |c| {
            c.trust_forwarded_for = true;
            // Facteur's own throttle out of the way: Dovecot's penalty is what is looked at.
            c.login_free_attempts = 100;
        },
        |_| {},
    )
    .await;
    let user = dovecot().user();
    let attempt = |ip: &'static str, password: String| {
        let b = Browser::new(&app);
        let name = user.name.clone();
        async move {
            let form = b.get("/login").await;
            let started = std::time::Instant::now();
            let res = b
                .http
                .post(b.url("/login"))
                .header("x-forwarded-for", ip)
                .form(&[("csrf", csrf(&form.body).as_str()), ("username", name.as_str()), ("password", password.as_str())])
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), started.elapsed())
        }
    };
    // A guesses wrong, with a guess of its own. Dovecot does not count a username+password
    // it has seen fail already (a phone with a stale password): such a failure records the
    // penalty the login started with, less one, so repeating one wrong guess can leave A
    // with no penalty at all.
    let mut nonce = [0u8; 8];
    getrandom::getrandom(&mut nonce).unwrap();
    let guess = format!("guess-{}", u64::from_le_bytes(nonce));
    let (status_guess, _) = attempt("203.0.113.10", guess).await;
    assert_eq!(status_guess, 401);
    // B, elsewhere, signs in; then A with the right password, who waits Dovecot's penalty
    // (4 s after one failure).
    let (status_b, took_b) = attempt("203.0.113.20", user.password.clone()).await;
    let (status_a, took_a) = attempt("203.0.113.10", user.password.clone()).await;
    eprintln!("after a wrong password from A: login from B {took_b:?}, from A {took_a:?}");
    assert_eq!((status_b, status_a), (303, 303));
    assert!(took_a >= std::time::Duration::from_secs(2), "Dovecot slows the attacking address: {took_a:?}");
    assert!(took_b * 2 < took_a, "B is not slowed with A: B {took_b:?}, A {took_a:?}");
    app.stop().await;
}
