//! New-mail notifications: Dovecot's push_notification plugin tells Facteur of a delivery,
//! and Facteur sends an encrypted, VAPID-signed push to each device. The push service here is
//! the test's own RFC 8030 endpoint on loopback, which decrypts with the keys it made for
//! the subscription.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use sha2::Sha256;

use crate::harness::*;

/// A push as the push service received it.
#[derive(Clone, Debug)]
pub(crate) struct Received {
    pub(crate) device: String,
    headers: HeaderMap,
    pub(crate) body: Vec<u8>,
}

pub(crate) type Inbox = Arc<Mutex<Vec<Received>>>;

/// The push service: `POST /push/{device}` is kept and answered 201; `/gone/{device}` is
/// answered 410, as for a subscription the browser dropped.
pub(crate) async fn push_service() -> (u16, Inbox) {
    let inbox: Inbox = Arc::default();
    async fn take(State(inbox): State<Inbox>, Path(device): Path<String>, headers: HeaderMap, body: Bytes) -> StatusCode {
        inbox.lock().unwrap().push(Received { device, headers, body: body.to_vec() });
        StatusCode::CREATED
    }
    let app = axum::Router::new()
        .route("/push/{device}", axum::routing::post(take))
        .route("/gone/{device}", axum::routing::post(|| async { StatusCode::GONE }))
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (port, inbox)
}

/// A device's keys, as a browser makes them for a subscription.
pub(crate) struct Device {
    secret: p256::SecretKey,
    pub(crate) auth: [u8; 16],
}

impl Device {
    pub(crate) fn new() -> Self {
        loop {
            let mut bytes = [0u8; 32];
            getrandom::getrandom(&mut bytes).unwrap();
            if let Ok(secret) = p256::SecretKey::from_slice(&bytes) {
                let mut auth = [0u8; 16];
                getrandom::getrandom(&mut auth).unwrap();
                return Self { secret, auth };
            }
        }
    }

    pub(crate) fn public(&self) -> Vec<u8> {
        self.secret.public_key().to_encoded_point(false).as_bytes().to_vec()
    }

    /// Decrypts an `aes128gcm` push body (RFC 8188 header, RFC 8291 keys) as a browser does.
    pub(crate) fn decrypt(&self, body: &[u8]) -> Option<Vec<u8>> {
        let salt = &body[..16];
        assert_eq!(u32::from_be_bytes(body[16..20].try_into().unwrap()), 4096, "record size");
        let id_len = body[20] as usize;
        assert_eq!(id_len, 65, "the key id is the sender's public key");
        let sender = &body[21..21 + id_len];
        let sealed = &body[21 + id_len..];
        let sender_key = p256::PublicKey::from_sec1_bytes(sender).unwrap();
        let shared = p256::ecdh::diffie_hellman(self.secret.to_nonzero_scalar(), sender_key.as_affine());
        let mut info = b"WebPush: info\0".to_vec();
        info.extend_from_slice(&self.public());
        info.extend_from_slice(sender);
        let mut ikm = [0u8; 32];
        Hkdf::<Sha256>::new(Some(&self.auth), shared.raw_secret_bytes()).expand(&info, &mut ikm).unwrap();
        let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
        let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
        prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek).unwrap();
        prk.expand(b"Content-Encoding: nonce\0", &mut nonce).unwrap();
        let mut plain = aes_gcm::Aes128Gcm::new_from_slice(&cek).unwrap().decrypt(aes_gcm::Nonce::from_slice(&nonce), sealed).ok()?;
        while plain.last() == Some(&0) {
            plain.pop();
        }
        assert_eq!(plain.pop(), Some(2), "the last record's delimiter");
        Some(plain)
    }
}

/// Checks the VAPID header of a push to the service at `origin`: signed by `key` (the one the
/// page subscribed with), for that origin, not expired.
fn check_vapid(headers: &HeaderMap, origin: &str, key: &str) {
    use p256::ecdsa::signature::Verifier;
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).expect("Authorization");
    let (t, k) = auth.strip_prefix("vapid t=").and_then(|r| r.split_once(", k=")).expect("vapid t=…, k=…");
    assert_eq!(k, key, "signed with the key the page subscribed with");
    let parts: Vec<&str> = t.split('.').collect();
    let claims: serde_json::Value = serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(claims["aud"], origin);
    let exp = claims["exp"].as_i64().unwrap();
    let now = facteur::clock::unix_ms() / 1000;
    assert!(exp > now && exp <= now + 24 * 3600, "{exp} vs {now}");
    assert!(claims["sub"].as_str().unwrap().starts_with("mailto:"));
    let verifying = p256::ecdsa::VerifyingKey::from_sec1_bytes(&B64.decode(k).unwrap()).unwrap();
    let signature = p256::ecdsa::Signature::from_slice(&B64.decode(parts[2]).unwrap()).unwrap();
    verifying.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature).expect("a valid ES256 signature");
}

async fn submit(from: &TestUser, to: &str, subject: &str) {
    let raw = format!("From: Zoé Durand <{}>\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{}@example.org>\r\n\r\nHello.\r\n", from.name, facteur::secrets::random_token::<8>().unwrap());
    submit_raw(from, to, &raw).await;
}

/// The one test that listens where Dovecot sends its news (the harness's push port).
#[tokio::test]
async fn a_delivery_through_postfix_becomes_one_encrypted_signed_push_per_device() {
    let port = dovecot().push_port;
    let app = TestApp::start_with(|_| {}, |env| drop(env.insert("FACTEUR_LISTEN".into(), format!("127.0.0.1:{port}")))).await;
    let (service, pushes) = push_service().await;
    let (alice, bob) = (dovecot().user(), dovecot().user());
    let b = Browser::new(&app);
    b.login(&alice).await;
    let settings = b.get("/settings").await;
    let key = settings.body.split("data-push-key=\"").nth(1).and_then(|s| s.split('"').next()).expect("the notifications section").to_string();
    let token = csrf(&settings.body);

    // Two devices: one shows sender and subject, one only "New mail"; and a third the push
    // service no longer knows.
    let (phone, laptop, old) = (Device::new(), Device::new(), Device::new());
    for (device, path, preview) in [(&phone, "push/phone", "1"), (&laptop, "push/laptop", "0"), (&old, "gone/old", "1")] {
        let (endpoint, p256dh, auth) = (format!("http://127.0.0.1:{service}/{path}"), B64.encode(device.public()), B64.encode(device.auth));
        let res = b.raw_post("/settings/notifications", &[("csrf", &token), ("op", "on"), ("endpoint", &endpoint), ("p256dh", &p256dh), ("auth", &auth), ("preview", preview)]).await;
        assert_eq!(res.status().as_u16(), 204, "{path}");
    }
    // Keys that are not a subscription's, a scheme that is not http(s), a missing token.
    let bad = b.raw_post("/settings/notifications", &[("csrf", &token), ("op", "on"), ("endpoint", &format!("http://127.0.0.1:{service}/push/x")), ("p256dh", "AAAA"), ("auth", "AAAA")]).await;
    assert_eq!(bad.status().as_u16(), 400);
    let file = b.raw_post("/settings/notifications", &[("csrf", &token), ("op", "on"), ("endpoint", "file:///etc/passwd"), ("p256dh", &B64.encode(phone.public())), ("auth", &B64.encode(phone.auth))]).await;
    assert_eq!(file.status().as_u16(), 400);
    let forged = b.raw_post("/settings/notifications", &[("op", "off"), ("endpoint", &format!("http://127.0.0.1:{service}/push/phone"))]).await;
    assert_eq!(forged.status().as_u16(), 403);

    // A message through Postfix and LMTP: Dovecot tells Facteur, Facteur pushes.
    let subject = "Dinner on Friday?";
    submit(&bob, &alice.name, subject).await;
    assert!(eventually(Duration::from_secs(20), || async { pushes.lock().unwrap().len() >= 2 }).await, "pushes arrive");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = pushes.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "one per device that is still there: {got:?}");
    let uid = crate::compose::search(&mut alice.imap().await, "INBOX", "Subject", subject).await;
    let uv = alice.imap().await.select("INBOX").await.unwrap().uid_validity.unwrap();
    for r in &got {
        assert_eq!(r.headers.get("content-encoding").unwrap(), "aes128gcm");
        assert!(r.headers.get("ttl").is_some());
        check_vapid(&r.headers, &format!("http://127.0.0.1:{service}"), &key);
        let device = if r.device == "phone" { &phone } else { &laptop };
        let shown: serde_json::Value = serde_json::from_slice(&device.decrypt(&r.body).expect("authentic")).expect("JSON inside");
        assert_eq!(shown["url"], format!("/m/INBOX/{uv}/{}", uid[0]), "opens the message");
        if r.device == "phone" {
            assert!(shown["title"].as_str().unwrap().contains("Zoé Durand"), "{shown}");
            assert_eq!(shown["body"], subject);
        } else {
            assert_eq!(shown["body"], "New mail", "no preview on this device: {shown}");
            assert!(!shown.to_string().contains("Dinner"), "{shown}");
        }
        // Another device's keys cannot read it.
        let other = if r.device == "phone" { &laptop } else { &phone };
        assert!(other.decrypt(&r.body).is_none());
    }
    // The device the push service no longer knows is forgotten.
    // (Its 410 may come after the other two pushes.)
    let key_of_alice = facteur::web::auth::user_key(&alice.name);
    let left = || async { facteur::store::push::of_user(&app.state.db, &key_of_alice).await.unwrap().into_iter().map(|s| s.endpoint).collect::<Vec<String>>() };
    assert!(eventually(Duration::from_secs(10), || async { left().await.len() == 2 }).await, "{:?}", left().await);
    assert!(left().await.iter().all(|e| !e.contains("/gone/")));

    // Dovecot's endpoint wants the hoster's secret.
    let client = reqwest::Client::new();
    let body = format!(r#"{{"user":"{}","event":"messageNew","folder":"INBOX","imap-uidvalidity":1,"imap-uid":1,"from":"x","subject":"forged"}}"#, alice.name);
    for auth in [None, Some("dovecot:wrong")] {
        let mut req = client.put(app.url("/push/dovecot")).body(body.clone());
        if let Some(a) = auth {
            req = req.header("authorization", format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(a)));
        }
        assert_eq!(req.send().await.unwrap().status().as_u16(), 401);
    }

    // Both devices turned off: the mail server stops telling Facteur, nothing more is pushed.
    for path in ["push/phone", "push/laptop"] {
        let res = b.raw_post("/settings/notifications", &[("csrf", &token), ("op", "off"), ("endpoint", &format!("http://127.0.0.1:{service}/{path}"))]).await;
        assert_eq!(res.status().as_u16(), 204);
    }
    submit(&bob, &alice.name, "After turning them off").await;
    let mut imap = alice.imap().await;
    assert!(eventually(Duration::from_secs(20), || async { !crate::compose::search(&mut alice.imap().await, "INBOX", "Subject", "After turning them off").await.is_empty() }).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(pushes.lock().unwrap().len(), 2, "no push once turned off");
    drop(imap.logout().await);
}

/// A raw DevTools command through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
pub(crate) struct Cdp(pub(crate) &'static str, pub(crate) serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &reqwest::Url, session: Option<&str>) -> Result<reqwest::Url, <reqwest::Url as std::str::FromStr>::Err> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(serde_json::json!({ "cmd": self.0, "params": self.1 }).to_string()))
    }
}

/// In Chromium: the service worker shows a push as a notification (DevTools delivers it, as a
/// push service would: a browser here cannot reach a public one), and serves the offline page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_the_service_worker_shows_a_push_and_the_settings_offer_notifications() {
    let app = TestApp::start().await;
    let alice = dovecot().user();
    append(&mut alice.imap().await, "INBOX", &numbered_message(1)).await;
    let (_driver, c) = crate::browser::browser(true).await;
    c.set_window_size(1280, 900).await.unwrap();
    crate::browser::login(&c, &app, &alice).await;
    let origin = app.url("");
    let origin = origin.trim_end_matches('/');
    c.issue_cmd(Cdp("Browser.grantPermissions", serde_json::json!({ "origin": origin, "permissions": ["notifications"] }))).await.expect("grant");
    c.goto(&app.url("/settings#notifications")).await.unwrap();
    let scope = c
        .execute_async("const done = arguments[arguments.length - 1]; navigator.serviceWorker.ready.then(r => done(r.scope), e => done('error ' + e));", vec![])
        .await
        .unwrap();
    assert_eq!(scope.as_str(), Some(format!("{origin}/").as_str()), "one service worker for the whole site");
    // Off, or unavailable: this headless browser cannot reach a push service to subscribe.
    let said = eventually(Duration::from_secs(10), || async {
        // Said by the page's script (the <noscript> text is gone).
        let text = c.execute("const p = document.querySelector('.push-settings .push-state'); return p.querySelector('noscript') ? '' : p.textContent", vec![]).await.unwrap();
        let text = text.as_str().unwrap_or_default().to_string();
        text.contains("Notifications are off for this device") || text.contains("cannot show notifications")
    })
    .await;
    assert!(said, "the page says where notifications stand");
    crate::browser::shot(&c, "push-settings").await;
    let findings = crate::accessibility::axe(&c, &crate::accessibility::axe_source()).await;
    assert!(findings.is_empty(), "{findings:?}");

    // DevTools names registrations by number, from 0 in a new profile: the push goes to the
    // first few (only this site's exist here). Delivered again each round, in case a round
    // reached the worker while it was starting.
    let payload = serde_json::json!({ "title": "Zoé Durand", "body": "Dinner on Friday?", "url": "/m/INBOX/1/1", "tag": "facteur-test" }).to_string();
    c.issue_cmd(Cdp("ServiceWorker.enable", serde_json::json!({}))).await.expect("ServiceWorker.enable");
    let wanted = "Zoé Durand | Dinner on Friday? | /m/INBOX/1/1";
    let (seen, mut refused) = (Mutex::new(serde_json::Value::Null), Vec::new());
    let mut shown = false;
    for _ in 0..10 {
        let mut delivered = 0;
        for id in ["0", "1", "2", "3"] {
            match c.issue_cmd(Cdp("ServiceWorker.deliverPushMessage", serde_json::json!({ "origin": origin, "registrationId": id, "data": payload }))).await {
                Ok(_) => delivered += 1,
                Err(e) => refused.push(format!("{id}: {e}")),
            }
        }
        assert!(delivered > 0, "DevTools delivered the push: {refused:?}");
        shown = eventually(Duration::from_secs(2), || async {
            let got = c
                .execute_async(
                    "const done = arguments[arguments.length - 1]; navigator.serviceWorker.ready.then(r => r.getNotifications()).then(n => done(n.map(x => x.title + ' | ' + x.body + ' | ' + x.data.url)), e => done(['error ' + e]));",
                    vec![],
                )
                .await
                .unwrap();
            let found = got.as_array().is_some_and(|a| a.iter().any(|n| n.as_str() == Some(wanted)));
            *seen.lock().unwrap() = got;
            found
        })
        .await;
        if shown {
            break;
        }
    }
    let seen = seen.lock().unwrap().clone();
    assert!(shown, "the service worker showed the notification; it shows {seen}; DevTools refused {refused:?}");

    // The offline page is kept by the service worker.
    let cached = c
        .execute_async("const done = arguments[arguments.length - 1]; caches.match('/offline').then(r => r ? r.text() : '').then(t => done(t));", vec![])
        .await
        .unwrap();
    assert!(cached.as_str().unwrap_or_default().contains("You are offline"), "{cached}");
    let manifest: serde_json::Value = serde_json::from_str(&reqwest::get(app.url("/manifest.webmanifest")).await.unwrap().text().await.unwrap()).unwrap();
    // Chromium finds nothing that keeps it from installing the site as an app.
    let install = c.issue_cmd(Cdp("Page.getInstallabilityErrors", serde_json::json!({}))).await.expect("installability");
    assert_eq!(install["installabilityErrors"], serde_json::json!([]), "{install}");
    assert_eq!(manifest["display"], "standalone");
    assert_eq!(manifest["start_url"], "/");
}
