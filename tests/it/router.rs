//! The router in process, called through `tower::ServiceExt::oneshot`: no HTTP client, no mail
//! server. The configured IMAP and SMTP servers are closed ports, so whatever these tests check
//! is decided before a mail server would be asked (an answer that needed one would be a 502).
//! Logged-in sessions are written straight into the session store, as a login would leave them.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, header};
use base64::Engine;
use facteur::config::Config;
use facteur::startup::Application;
use facteur::web::AppState;
use facteur::web::auth::{AUTH_KEY, AuthData, KEY_COOKIE, SESSION_COOKIE};
use tower::ServiceExt;
use tower_sessions::SessionStore;

use crate::harness::*;
use crate::security::{concrete, post_routes};

struct App {
    router: Router,
    state: AppState,
    _app: Application,
    _data_dir: tempfile::TempDir,
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

/// A logged-in browser: its cookies and the CSRF token of its pages.
struct LoggedIn {
    cookies: String,
    csrf: String,
    user: String,
}

/// Where requests come from (the login throttle looks at it).
const PEER: &str = "192.0.2.10:50000";

impl App {
    async fn new() -> Self {
        Self::with(|_| {}, |_| {}).await
    }

    async fn with(tweak: impl FnOnce(&mut Config), tweak_env: impl FnOnce(&mut std::collections::HashMap<String, String>)) -> Self {
        let data_dir = tempfile::tempdir().unwrap();
        let mut env = test_env(data_dir.path(), free_port());
        env.insert("FACTEUR_SMTP_PORT".into(), free_port().to_string());
        tweak_env(&mut env);
        let mut config = Config::from_sources(None, &env).unwrap();
        tweak(&mut config);
        let app = Application::build(config).await.unwrap();
        Self { router: app.router(), state: app.state.clone(), _app: app, _data_dir: data_dir }
    }

    async fn send(&self, mut req: Request<Body>) -> Answer {
        req.extensions_mut().insert(ConnectInfo(PEER.parse::<SocketAddr>().unwrap()));
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    async fn get(&self, path: &str, cookies: &str) -> Answer {
        let mut req = Request::get(path).header(header::HOST, "webmail.example.test");
        if !cookies.is_empty() {
            req = req.header(header::COOKIE, cookies);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    /// POSTs an urlencoded form with `headers` (e.g. `sec-fetch-site`).
    async fn post(&self, path: &str, cookies: &str, headers: &[(&str, &str)], fields: &[(&str, &str)]) -> Answer {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut req = Request::post(path)
            .header(header::HOST, "webmail.example.test")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if !cookies.is_empty() {
            req = req.header(header::COOKIE, cookies);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    /// The session a successful login of `user` leaves behind, written into the session store.
    async fn log_in(&self, user: &str) -> LoggedIn {
        let logged_in = self.write_session(user, 0).await;
        // The session opens: the home page sends it to the inbox, not to the login page.
        let home = self.get("/", &logged_in.cookies).await;
        assert_eq!((home.status, home.header("location")), (303, "/f/INBOX"), "the written session is not accepted");
        logged_in
    }

    /// A session left by a login whose second step is still to come, until `until_ms`.
    async fn half_log_in(&self, user: &str, until_ms: i64) -> LoggedIn {
        self.write_session(user, until_ms).await
    }

    async fn write_session(&self, user: &str, pending_until_ms: i64) -> LoggedIn {
        let opened = facteur::store::open(&self.state.config.database_url).await.unwrap();
        let cookie_key: [u8; 32] = rand_bytes();
        let csrf = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand_bytes::<24>());
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        let auth = AuthData {
            username: user.to_string(),
            sealed_password: self.state.server_key.seal(&cookie_key, b"the-password").unwrap(),
            created_at: now.as_secs() as i64,
            created_ms: now.as_millis() as i64,
            csrf: csrf.clone(),
            prefs: Default::default(),
            servers: None,
            pending_until_ms,
            sign_in_id: String::new(),
            setup_required: false,
        };
        let mut record = tower_sessions::session::Record {
            id: Default::default(),
            data: [(AUTH_KEY.to_string(), serde_json::to_value(&auth).unwrap())].into_iter().collect(),
            expiry_date: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
        };
        opened.sessions.create(&mut record).await.unwrap();
        let key = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(cookie_key);
        LoggedIn { cookies: format!("{SESSION_COOKIE}={}; {KEY_COOKIE}={key}", record.id), csrf, user: user.to_string() }
    }
}

fn rand_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).unwrap();
    b
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The login form's token and the cookie that must come back with it.
async fn login_form(app: &App) -> (String, String) {
    let page = app.get("/login", "").await;
    assert_eq!(page.status, 200);
    let cookie = page
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("facteur_login="))
        .expect("the login cookie")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    (csrf(&page.body), cookie)
}

#[tokio::test]
async fn every_post_route_refuses_a_missing_or_wrong_token_and_other_sites_in_process() {
    let app = App::new().await;
    let me = app.log_in("ann@example.test").await;
    let routes = post_routes();
    for expected in
        ["/login", "/logout", "/logout/everywhere", "/f/{mailbox}/actions", "/search/actions", "/undo", "/compose", "/settings", "/settings/identities", "/contacts", "/images/senders"]
    {
        assert!(routes.iter().any(|r| r == expected), "{expected} not found among {routes:?}");
    }
    let (login_token, login_cookie) = login_form(&app).await;
    let fields: Vec<(&str, &str)> = vec![
        ("uidvalidity", "1"),
        ("uid", "1"),
        ("action", "delete"),
        ("language", "fr"),
        ("email", "zoe@example.org"),
        ("sender", "zoe@example.org"),
        ("trust", "1"),
        ("op", "save"),
        ("username", "ann@example.test"),
        ("password", "the-password"),
    ];
    let cookies_of = |route: &str| if route == "/login" { format!("{}; {login_cookie}", me.cookies) } else { me.cookies.clone() };
    let token_of = |route: &str| if route == "/login" { login_token.clone() } else { me.csrf.clone() };
    for route in &routes {
        let path = concrete(route);
        let cookies = cookies_of(route);
        // Mail apps fetch Outlook's autodiscover document without cookies or token (it changes
        // nothing); only another site's page is refused there.
        if !route.eq_ignore_ascii_case("/autodiscover/autodiscover.xml") {
            // The compose and import forms take multipart bodies only (checked elsewhere): this
            // one is a 400.
            let refused: &[u16] = if route == "/compose" || route == "/f/{mailbox}/import" { &[400] } else { &[403] };
            let mut wrong = fields.clone();
            wrong.push(("csrf", "not-the-token"));
            for (what, form) in [("no token", &fields), ("a wrong token", &wrong)] {
                let res = app.post(&path, &cookies, &[("sec-fetch-site", "same-origin")], form).await;
                assert!(refused.contains(&res.status), "POST {path} with {what}: {} {}", res.status, res.body);
            }
        }
        let token = token_of(route);
        let mut right = fields.clone();
        right.push(("csrf", &token));
        for (name, value) in [("sec-fetch-site", "cross-site"), ("sec-fetch-site", "same-site"), ("origin", "https://evil.example")] {
            let res = app.post(&path, &cookies, &[(name, value)], &right).await;
            assert_eq!(res.status, 403, "POST {path} with {name}: {value}: {}", res.body);
            assert!(res.body.contains("request-id"), "the error page: {}", res.body);
        }
    }

    // The compose form, multipart: no token, a wrong one, another site; nothing is stored.
    let draft = "abcdefghijklmnopqrstuvwx";
    for (token, site) in [(None, "same-origin"), (Some("wrong"), "same-origin"), (Some(me.csrf.as_str()), "cross-site")] {
        let boundary = "facteur-test-boundary";
        let mut body = String::new();
        let mut text = |name: &str, value: &str| {
            body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
        };
        if let Some(t) = token {
            text("csrf", t);
        }
        text("draft", draft);
        text("send_key", "k");
        text("to", "bob@example.test");
        text("op", "send");
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"attachments\"; filename=\"x.bin\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n{}\r\n--{boundary}--\r\n",
            "x".repeat(1000)
        ));
        let req = Request::post("/compose")
            .header(header::HOST, "webmail.example.test")
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .header(header::COOKIE, &me.cookies)
            .header("sec-fetch-site", site)
            .body(Body::from(body))
            .unwrap();
        let res = app.send(req).await;
        assert_eq!(res.status, 403, "multipart compose, token {token:?}, {site}: {}", res.body);
    }
    assert!(app.state.uploads.list(&me.user, draft).await.is_empty(), "no file was stored");

    // Nothing happened: same preferences, no contact, the session still open.
    assert_eq!(facteur::store::prefs::get(&app.state.db, &me.user).await.unwrap(), Default::default());
    let contacts = app.get("/contacts/suggest?q=zo", &me.cookies).await;
    assert_eq!((contacts.status, contacts.body.as_str()), (200, "[]"));
    assert_eq!(app.get("/", &me.cookies).await.header("location"), "/f/INBOX", "still logged in");

    // And the token is what decides: the same form with it goes through.
    let res = app.post("/settings", &me.cookies, &[("sec-fetch-site", "same-origin")], &[("csrf", &me.csrf), ("language", "fr")]).await;
    assert_eq!((res.status, res.header("location")), (303, "/settings?saved=1"), "{}", res.body);
    assert_eq!(facteur::store::prefs::get(&app.state.db, &me.user).await.unwrap().language.as_deref(), Some("fr"));
    // A mail app's autodiscover request (no cookies, no Fetch metadata) is answered.
    let req = Request::post("/autodiscover/autodiscover.xml")
        .header(header::HOST, "webmail.example.test")
        .header(header::CONTENT_TYPE, "text/xml")
        .body(Body::from(
            "<?xml version=\"1.0\"?><Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006\">\
             <Request><EMailAddress>ann@example.test</EMailAddress>\
             <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>\
             </Request></Autodiscover>",
        ))
        .unwrap();
    assert_eq!(app.send(req).await.status, 200);
}

/// The headers every answer carries, and the page policy (script nonce, no framing, no
/// caching) on HTML pages.
fn assert_common_headers(what: &str, a: &Answer) {
    assert_eq!(a.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(a.header("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(a.header("cross-origin-opener-policy"), "same-origin", "{what}");
    let permissions = a.header("permissions-policy");
    assert!(permissions.contains("camera=()") && permissions.contains("geolocation=()"), "{what}: {permissions}");
    assert!(!a.header("x-request-id").is_empty(), "{what}");
    assert!(!a.header("content-security-policy").is_empty(), "{what}: no CSP");
}

fn assert_page_policy(what: &str, a: &Answer) {
    assert_common_headers(what, a);
    let csp = a.header("content-security-policy");
    for part in [
        "default-src 'none'",
        "style-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(part), "{what}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval") && !csp.contains('*'), "{what}: {csp}");
    let nonce = csp.split("script-src 'nonce-").nth(1).and_then(|s| s.split('\'').next()).unwrap_or("");
    assert!(nonce.len() >= 16, "{what}: a script nonce: {csp}");
    // Every script of the page carries this response's nonce.
    for script in a.body.split("<script").skip(1) {
        let tag = script.split('>').next().unwrap_or_default();
        assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "{what}: <script{tag}>");
    }
    assert_eq!(a.header("x-frame-options"), "DENY", "{what}");
    assert_eq!(a.header("cache-control"), "no-store", "{what}");
}

#[tokio::test]
async fn every_kind_of_answer_carries_the_security_headers_in_process() {
    let app = App::new().await;
    let login = app.get("/login", "").await;
    assert_eq!(login.status, 200);
    assert!(login.headers.get("strict-transport-security").is_none(), "no HSTS over plain HTTP");
    assert_page_policy("the login page", &login);
    assert!(login.body.contains("<script"), "the login page has a script to check");
    let again = app.get("/login", "").await;
    assert_ne!(login.header("content-security-policy"), again.header("content-security-policy"), "a fresh nonce per answer");

    let missing = app.get("/no/such/page", "").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("request-id"), "the error page: {}", missing.body);
    assert_page_policy("the 404 page", &missing);

    let refused = app.post("/settings", "", &[("origin", "https://evil.example")], &[]).await;
    assert_eq!(refused.status, 403);
    assert_page_policy("the 403 page", &refused);

    // The stylesheet and script the login page links to.
    for asset in links(&login.body, "/static/").into_iter().chain(
        login.body.split("src=\"").skip(1).filter_map(|s| s.split('"').next()).filter(|s| s.starts_with("/static/")).map(str::to_string),
    ) {
        let a = app.get(&asset, "").await;
        assert_eq!(a.status, 200, "{asset}");
        assert_common_headers(&asset, &a);
        assert_eq!(a.header("cache-control"), "public, max-age=31536000, immutable", "{asset}");
        let ct = a.header("content-type");
        assert!(ct.starts_with("text/css") || ct.starts_with("text/javascript") || ct.starts_with("image/svg+xml"), "{asset}: {ct}");
    }
    assert!(!links(&login.body, "/static/").is_empty(), "the login page links a stylesheet");

    // The message body frame's route, without a session: to the login page, with the headers.
    for path in ["/m/INBOX/1/1/body", "/m/INBOX/1/1", "/m/INBOX/1/1/part/0", "/m/INBOX/1/1/source", "/f/INBOX", "/"] {
        let a = app.get(path, "").await;
        assert_eq!(a.status, 303, "{path}");
        assert!(a.header("location").starts_with("/login?next="), "{path}: {}", a.header("location"));
        assert_common_headers(path, &a);
        assert_eq!(a.header("x-frame-options"), "DENY", "{path}");
        assert_eq!(a.header("cache-control"), "no-store", "{path}");
    }

    // Over HTTPS (secure cookies), every answer also says so for the future.
    let app = App::with(|c| c.cookie_secure = true, |_| {}).await;
    for path in ["/login", "/no/such/page", "/m/INBOX/1/1/body"] {
        assert_eq!(app.get(path, "").await.header("strict-transport-security"), "max-age=31536000", "{path}");
    }
}

#[tokio::test]
async fn unknown_paths_and_malformed_message_paths_are_404s_in_process() {
    let app = App::new().await;
    let me = app.log_in("ann@example.test").await;
    for path in [
        "/no/such/page",
        "/f",
        "/m/INBOX",
        "/m/INBOX/1",
        "/m/INBOX/1/1/attachments",
        "/m/INBOX/1/1/part",
        "/static/app.css",
        "/static/..%2FCargo.toml",
        "/brand/nothing.svg",
        "/settings/devices/other",
        "/login/",
    ] {
        for (who, cookies) in [("anyone", ""), ("a logged-in user", me.cookies.as_str())] {
            let a = app.get(path, cookies).await;
            assert_eq!(a.status, 404, "{path} for {who}: {}", a.body);
            assert_page_policy(path, &a);
        }
    }
    // Message paths whose numbers are not numbers (or no UID): refused before IMAP is asked,
    // which would have been a 502 here.
    for path in [
        "/m/INBOX/abc/1",
        "/m/INBOX/1/abc",
        "/m/INBOX/-1/1",
        "/m/INBOX/1/0",
        "/m/INBOX/1/1.5",
        "/m/INBOX/99999999999/1",
        "/m/INBOX/1/99999999999",
        "/m/INBOX/abc/1/body",
        "/m/INBOX/1/x/source",
        "/m/INBOX/1/0/body",
        "/m/INBOX/1/1/part/x",
        "/m/INBOX/1/1/part/-1",
        "/m/INBOX/x/1/part/0",
    ] {
        let a = app.get(path, &me.cookies).await;
        assert_eq!(a.status, 404, "{path}: {}", a.body);
        assert!(a.body.contains("request-id"), "{path}: the error page");
    }
}

#[tokio::test]
async fn the_login_form_carries_its_token_in_a_strict_cookie_and_checks_it_in_process() {
    let app = App::with(|_| {}, |env| drop(env.insert("FACTEUR_ALLOWED_DOMAINS".into(), DOMAIN.into()))).await;
    let page = app.get("/login?next=%2Fsettings", "").await;
    assert_eq!(page.status, 200);
    for field in ["name=\"username\"", "name=\"password\"", "name=\"csrf\"", "name=\"next\" value=\"/settings\""] {
        assert!(page.body.contains(field), "{field}: {}", page.body);
    }
    assert!(page.body.contains("method=\"post\"") && page.body.contains("action=\"/login\""), "{}", page.body);
    let set_cookie = page.header("set-cookie");
    assert!(set_cookie.starts_with("facteur_login="), "{set_cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let token = csrf(&page.body);
    assert_eq!(set_cookie.split(';').next().unwrap(), format!("facteur_login={token}"), "the cookie carries the form's token");
    // Each form gets its own.
    assert_ne!(csrf(&app.get("/login", "").await.body), token);

    let (token, cookie) = login_form(&app).await;
    let same = [("sec-fetch-site", "same-origin")];
    // Without the cookie, or with another token: refused, with a fresh form to try again.
    for (cookies, sent) in [("", token.as_str()), (cookie.as_str(), "another-token"), (cookie.as_str(), "")] {
        let res = app.post("/login", cookies, &same, &[("csrf", sent), ("username", "ann@example.test"), ("password", "x")]).await;
        assert_eq!(res.status, 403, "{cookies:?} {sent:?}: {}", res.body);
        assert!(res.body.contains("name=\"username\""), "the form again");
        assert!(res.body.contains("ann@example.test"), "the user name is kept");
        let fresh = csrf(&res.body);
        assert!(!fresh.is_empty() && fresh != sent, "a fresh token");
        assert!(res.header("set-cookie").starts_with(&format!("facteur_login={fresh}")), "{}", res.header("set-cookie"));
    }
    // With the token: past the check, to the form's own validation (no mail server needed).
    let res = app.post("/login", &cookie, &same, &[("csrf", &token), ("username", ""), ("password", "")]).await;
    assert_eq!(res.status, 422, "{}", res.body);
    let res = app.post("/login", &cookie, &same, &[("csrf", &token), ("username", "no-domain"), ("password", "x")]).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("Type your full email address"), "{}", res.body);
    let res = app.post("/login", &cookie, &same, &[("csrf", &token), ("username", "ann@elsewhere.example"), ("password", "x")]).await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("elsewhere.example"), "{}", res.body);
    // A logged-in browser that opens the form goes where it was going.
    let me = app.log_in("ann@example.test").await;
    let res = app.get("/login?next=%2Fsettings", &me.cookies).await;
    assert_eq!((res.status, res.header("location")), (303, "/settings"));
}

/// Routes anyone may reach, signed in or not.
const PUBLIC: &[&str] = &[
    "/login", "/login/verify", "/healthz", "/readyz", "/metrics", "/static/{name}", "/favicon.ico", "/favicon.svg", "/manifest.webmanifest", "/sw.js", "/offline",
    "/.well-known/autoconfig/mail/config-v1.1.xml", "/mail/config-v1.1.xml", "/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml", "/push/dovecot", "/brand/{name}", "/img",
];

#[tokio::test]
async fn a_half_signed_in_session_reaches_only_the_second_step_then_expires() {
    let app = App::new().await;
    let now = facteur::clock::unix_ms();
    let half = app.half_log_in("ann@example.test", now + 60_000).await;
    let gets = crate::security::routes_with("get(");
    assert!(gets.len() > 40, "{gets:?}");
    let mut checked = 0;
    for route in gets.iter().filter(|r| !PUBLIC.contains(&r.as_str()) && *r != "/") {
        let path = concrete(route);
        // A page the browser asks for: the second step, coming back here after it.
        let page = app.get(&path, &half.cookies).await;
        if route == "/events" {
            // An event stream is never a page.
            assert_eq!(page.status, 401, "GET {path}");
        } else {
            assert_eq!(page.status, 303, "GET {path}: {}", page.body);
            assert!(page.header("location").starts_with("/login/verify?next="), "GET {path}: {}", page.header("location"));
        }
        // A script's request: 401.
        let mut req = Request::get(&path).header(header::HOST, "webmail.example.test").header(header::COOKIE, &half.cookies).header(header::ACCEPT, "*/*");
        req = req.header("sec-fetch-site", "same-origin");
        let res = app.send(req.body(Body::empty()).unwrap()).await;
        assert_eq!(res.status, 401, "GET {path} from a script");
        checked += 1;
    }
    assert!(checked > 30);
    // The second step's own routes are open to it (and check their token first).
    for route in post_routes().iter().filter(|r| !PUBLIC.contains(&r.as_str()) && !r.starts_with("/login/verify") && r.as_str() != "/logout") {
        let path = concrete(route);
        if route == "/compose" || route == "/f/{mailbox}/import" {
            continue;
        }
        let res = app.post(&path, &half.cookies, &[("sec-fetch-site", "same-origin")], &[("csrf", &half.csrf), ("op", "off"), ("code", "123456")]).await;
        assert_eq!(res.status, 401, "POST {path}: {}", res.body);
    }
    // The second step's own page is open to it.
    assert_eq!(app.get("/login/verify", &half.cookies).await.status, 200);
    // Its few minutes over, the session is gone: back to the password.
    let late = app.half_log_in("ann@example.test", now - 1).await;
    let page = app.get("/f/INBOX", &late.cookies).await;
    assert_eq!((page.status, page.header("location")), (303, "/login?next=%2Ff%2FINBOX&reason=ended"));
    assert_eq!(app.get("/login/verify", &late.cookies).await.header("location"), "/login");
}
