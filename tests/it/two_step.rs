//! Two-step sign-in with an authenticator app (TOTP) and recovery codes, against the real
//! Dovecot for the password. The test plays the app: it computes codes from the secret the
//! set-up page shows.

use std::time::Duration;

use crate::harness::*;

/// The code the app shows `offset` seconds from now.
fn code(secret: &[u8], offset: i64) -> String {
    facteur::two_step::code_at(secret, (facteur::clock::unix_secs() + offset) as u64).unwrap()
}

/// Waits, if need be, until the current 30 s step has 10 s or more to run: the previous
/// step's code, computed now, is then still one step old when the server checks it.
async fn clear_of_a_step_change() {
    let into = facteur::clock::unix_secs() % 30;
    if into >= 20 {
        tokio::time::sleep(Duration::from_secs((31 - into) as u64)).await;
    }
}

/// Signs out and gives the password again: the page that follows.
async fn password_again(b: &Browser, user: &TestUser) -> Page {
    let page = b.get("/settings").await;
    assert_eq!(page.status, 200, "signed in before signing out");
    b.post("/logout", &[("csrf", &csrf(&page.body))]).await;
    b.login_attempt(&user.name, &user.password).await
}

/// The second step with `code`: the page it leads to.
async fn second_step(b: &Browser, verify: &Page, code: &str) -> Page {
    b.post("/login/verify", &[("csrf", &csrf(&verify.body)), ("code", code), ("next", "/f/INBOX")]).await
}

#[tokio::test]
async fn an_authenticator_code_passes_once_within_a_step_of_now_and_recovery_codes_once_each() {
    let app = TestApp::start().await;
    let alice = dovecot().user();
    append(&mut alice.imap().await, "INBOX", &numbered_message(1)).await;
    let b = Browser::new(&app);
    b.login(&alice).await;
    let security = b.get("/settings/security").await;
    assert!(security.body.contains("Two-step sign-in is off") && security.body.contains("mail apps"), "{}", security.body);

    // Set-up: a QR code and the key as text; a wrong code does not turn it on.
    let setup = b.post("/settings/security", &[("csrf", &csrf(&security.body)), ("op", "totp-start")]).await;
    assert!(setup.body.contains("<svg") && setup.body.contains("Scan this code"), "{}", setup.body);
    assert_eq!(setup.headers.get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    let secret = totp_secret_of(&setup.body);
    assert_eq!(secret.len(), 20);
    let token = csrf(&setup.body);
    let wrong = b.post("/settings/security", &[("csrf", &token), ("op", "totp-confirm"), ("code", &code(&secret, 120))]).await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("not the one the app shows") && wrong.body.contains("<svg"), "the set-up stays: {}", wrong.body);
    let on = b.post("/settings/security", &[("csrf", &token), ("op", "totp-confirm"), ("code", &code(&secret, 0))]).await;
    assert!(on.body.contains("Two-step sign-in is on"), "{}", on.body);
    let codes: Vec<String> = on.body.split("<li><code>").skip(1).filter_map(|s| s.split('<').next()).map(String::from).collect();
    assert_eq!(codes.len(), 10, "ten recovery codes, shown once");
    assert!(!b.get("/settings/security").await.body.contains(&codes[0]), "not shown again");

    // As if it had been set up minutes ago: its set-up code's step is long past.
    sqlx::query("UPDATE second_factors SET totp_last_step = 0 WHERE username = $1").bind(facteur::web::auth::user_key(&alice.name)).execute(&app.state.db).await.unwrap();

    // The password alone leads to the second step; nothing else opens meanwhile.
    let verify = password_again(&b, &alice).await;
    assert!(verify.url.contains("/login/verify") && verify.body.contains("Second step"), "{} {}", verify.url, verify.body);
    assert_eq!(b.raw_get("/f/INBOX").await.status().as_u16(), 401, "not a page for this client (it accepts anything)");
    assert_eq!(b.raw_post("/f/INBOX/actions", &[("csrf", &csrf(&verify.body)), ("action", "read")]).await.status().as_u16(), 401);

    // The previous step's code passes.
    clear_of_a_step_change().await;
    let inbox = second_step(&b, &verify, &code(&secret, -30)).await;
    assert!(inbox.url.ends_with("/f/INBOX") && inbox.status == 200, "{} {}", inbox.url, inbox.status);
    // The current one passes, once.
    let verify = password_again(&b, &alice).await;
    let now = code(&secret, 0);
    assert_eq!(second_step(&b, &verify, &now).await.status, 200);
    let verify = password_again(&b, &alice).await;
    let replay = second_step(&b, &verify, &now).await;
    assert_eq!(replay.status, 401, "a used code does not pass again");
    assert!(replay.body.contains("not right, or was used already"));
    // The next one passes; two steps away does not, either way.
    for far in [90, -90] {
        assert_eq!(second_step(&b, &verify, &code(&secret, far)).await.status, 401, "{far} s away");
    }
    assert_eq!(second_step(&b, &verify, &code(&secret, 30)).await.status, 200);

    // A recovery code passes once (typed with other case and spaces).
    let verify = password_again(&b, &alice).await;
    let typed = codes[3].to_uppercase().replace('-', " ");
    assert_eq!(second_step(&b, &verify, &typed).await.status, 200);
    let page = b.get("/settings/security").await;
    assert!(page.body.contains("9 recovery codes left"), "{}", page.body);
    let verify = password_again(&b, &alice).await;
    assert_eq!(second_step(&b, &verify, &codes[3]).await.status, 401, "used up");
    assert_eq!(second_step(&b, &verify, &codes[4]).await.status, 200);

    // Turning it off needs a fresh second step.
    let page = b.get("/settings/security").await;
    let refused = b.post("/settings/security", &[("csrf", &csrf(&page.body)), ("op", "off"), ("code", "000000")]).await;
    assert_eq!(refused.status, 422);
    let off = b.post("/settings/security", &[("csrf", &csrf(&page.body)), ("op", "off"), ("code", &codes[5])]).await;
    assert!(off.body.contains("Two-step sign-in is off"), "{}", off.body);
    let straight = password_again(&b, &alice).await;
    assert!(straight.url.ends_with("/f/INBOX"), "the password alone again: {}", straight.url);
}

#[tokio::test]
async fn wrong_codes_are_throttled_as_passwords_are() {
    let app = TestApp::start_with(|c| c.login_free_attempts = 3, |_| {}).await;
    let alice = dovecot().user();
    append(&mut alice.imap().await, "INBOX", &numbered_message(1)).await;
    let b = Browser::new(&app);
    b.login(&alice).await;
    let (secret, _) = turn_on_app(&b).await;
    let verify = password_again(&b, &alice).await;
    for _ in 0..3 {
        assert_eq!(second_step(&b, &verify, "123456").await.status, 401);
    }
    let throttled = second_step(&b, &verify, &code(&secret, 30)).await;
    assert_eq!(throttled.status, 429, "even the right code waits: {}", throttled.body);
    assert!(throttled.headers.get("retry-after").is_some());
    // The same account's password step waits too, from this address.
    let again = Browser::new(&app).login_attempt(&alice.name, &alice.password).await;
    assert_eq!(again.status, 429);
}

/// Two browsers, each on its own Facteur instance over one database: each lists both
/// sessions, and one ends the other, which is over at its next click.
#[tokio::test]
async fn the_security_page_lists_where_the_user_is_signed_in_and_ends_another_session() {
    let first = TestApp::start().await;
    let second = first.beside().await;
    let alice = dovecot().user();
    append(&mut alice.imap().await, "INBOX", &numbered_message(1)).await;
    let laptop = Browser::new(&first);
    laptop.login(&alice).await;
    let phone = Browser::new(&second);
    phone.login(&alice).await;
    let page = laptop.get("/settings/security").await;
    let rows: Vec<&str> = page.body.split("<li class=\"session-row").skip(1).collect();
    assert_eq!(rows.len(), 2, "{}", page.body);
    assert_eq!(rows.iter().filter(|r| r.contains("This device")).count(), 1);
    assert!(rows.iter().all(|r| r.contains("\">127.") || r.contains("muted\">127.")), "the address each signed in from: {rows:?}");
    let other = rows.iter().find(|r| !r.contains("This device")).unwrap();
    let id = other.split("name=\"session\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap();
    let ended = laptop.post("/settings/security", &[("csrf", &csrf(&page.body)), ("op", "end-session"), ("session", id)]).await;
    assert!(ended.body.contains("That session is ended"), "{}", ended.body);
    // The phone, on the other instance, is signed out at its next click; the laptop is not.
    let next = phone.get("/f/INBOX").await;
    assert!(next.url.contains("/login") && next.body.contains("name=\"password\""), "{} {}", next.url, next.body);
    assert_eq!(laptop.get("/f/INBOX").await.status, 200);
    assert_eq!(laptop.get("/settings/security").await.body.matches("<li class=\"session-row").count(), 1);
}

/// A hoster requires two-step sign-in for a domain: after the password, only its set-up
/// opens; once set up, the mail does, and it cannot be turned off.
#[tokio::test]
async fn a_domain_that_requires_two_step_sign_in_leads_its_users_through_the_set_up() {
    let app = TestApp::start_with(
        |_| {},
        |env| {
            env.insert("FACTEUR_DOMAIN_1_NAME".into(), "example.test".into());
            env.insert("FACTEUR_DOMAIN_1_REQUIRE_2FA".into(), "true".into());
        },
    )
    .await;
    let alice = dovecot().user();
    assert!(alice.name.ends_with("@example.test"), "{}", alice.name);
    append(&mut alice.imap().await, "INBOX", &numbered_message(1)).await;
    // By name, as keys need: a key may be what is set up.
    let b = Browser::for_base(format!("http://localhost:{}", app.addr.port()), "en");
    let first = b.login_attempt(&alice.name, &alice.password).await;
    assert!(first.url.ends_with("/settings/security") && first.body.contains("Your provider requires two-step sign-in"), "{} {}", first.url, first.body);
    assert_eq!(b.raw_get("/f/INBOX").await.status().as_u16(), 401, "nothing else opens");
    assert_eq!(b.raw_post("/settings", &[("csrf", &csrf(&first.body)), ("language", "fr")]).await.status().as_u16(), 401);
    let key_setup = b.post_json("/settings/security/passkeys/start", &csrf(&first.body), &serde_json::json!({})).await;
    assert_eq!(key_setup.status().as_u16(), 200, "adding a key is part of the set-up");
    assert!(key_setup.text().await.unwrap().contains("\"publicKey\""));
    let setup = b.post("/settings/security", &[("csrf", &csrf(&first.body)), ("op", "totp-start")]).await;
    let secret = totp_secret_of(&setup.body);
    let on = b.post("/settings/security", &[("csrf", &csrf(&setup.body)), ("op", "totp-confirm"), ("code", &code(&secret, 0))]).await;
    assert!(on.body.contains("Two-step sign-in is on") && !on.body.contains("Turn off two-step sign-in"), "{}", on.body);
    let codes: Vec<String> = on.body.split("<li><code>").skip(1).filter_map(|s| s.split('<').next()).map(String::from).collect();
    assert_eq!(b.get("/f/INBOX").await.status, 200, "the mail opens once it is set up");
    // Another second step, next to this one, needs a fresh code: a key, or a second app.
    let page = b.get("/settings/security").await;
    let unconfirmed = b.post_json("/settings/security/passkeys/start", &csrf(&page.body), &serde_json::json!({})).await;
    assert_eq!(unconfirmed.status().as_u16(), 400);
    assert!(unconfirmed.text().await.unwrap().contains("not right"));
    let confirmed = b.post_json("/settings/security/passkeys/start", &csrf(&page.body), &serde_json::json!({ "code": code(&secret, 30) })).await;
    assert_eq!(confirmed.status().as_u16(), 200);
    assert!(confirmed.text().await.unwrap().contains("\"publicKey\""));
    clear_of_a_step_change().await;
    let second_app = b.post("/settings/security", &[("csrf", &csrf(&page.body)), ("op", "totp-start"), ("code", &code(&secret, -30))]).await;
    assert!(second_app.body.contains("set up already") && !second_app.body.contains("<svg"), "{}", second_app.body);
    let off = b.post("/settings/security", &[("csrf", &csrf(&on.body)), ("op", "off"), ("code", &codes[0])]).await;
    assert!(off.body.contains("it stays on"), "{}", off.body);
    // The next sign-in asks for the second step.
    let verify = password_again(&b, &alice).await;
    assert!(verify.url.contains("/login/verify"), "{}", verify.url);

    // Someone of that domain whose only second step is a key cannot remove it.
    let bob = dovecot().user();
    let account = facteur::web::auth::user_key(&bob.name);
    assert!(facteur::store::passkeys::add(&app.state.db, &account, "a2V5", "Desk key", "{}", 1).await.unwrap());
    let hasher = facteur::two_step::RecoveryHasher::new(&app.state.server_key);
    let codes = ["abcde-fghij", "klmno-pqrst"];
    facteur::store::two_step::replace_recovery(&app.state.db, &account, &codes.map(|c| hasher.hash(&account, c))).await.unwrap();
    let b = Browser::new(&app);
    let verify = b.login_attempt(&bob.name, &bob.password).await;
    assert!(verify.url.contains("/login/verify") && verify.body.contains("Use my key"), "{}", verify.url);
    let inbox = second_step(&b, &verify, codes[0]).await;
    assert!(inbox.url.contains("/f/INBOX"), "{}", inbox.url);
    let page = b.get("/settings/security").await;
    let kept = b.post("/settings/security", &[("csrf", &csrf(&page.body)), ("op", "passkey-remove"), ("passkey", "a2V5"), ("code", codes[1])]).await;
    assert!(kept.body.contains("before removing your last one"), "{}", kept.body);
    assert_eq!(facteur::store::passkeys::of_user(&app.state.db, &account).await.unwrap().len(), 1);
}

/// With the setting on, a sign-in from a browser that never signed in emails the user, once;
/// the same browser again does not.
#[tokio::test]
async fn a_sign_in_from_a_new_browser_emails_the_user_when_they_asked_for_it() {
    let app = TestApp::start().await;
    let alice = dovecot().user();
    append(&mut alice.imap().await, "INBOX", &numbered_message(1)).await;
    let b = Browser::new(&app);
    b.login(&alice).await;
    let page = b.get("/settings/security").await;
    assert!(page.body.contains("You can get an email"), "off unless turned on");
    let on = b.post("/settings/security", &[("csrf", &csrf(&page.body)), ("op", "notices"), ("code", "on")]).await;
    assert!(on.body.contains("You will get an email when a new browser signs in"), "{}", on.body);
    let notices = || async { crate::compose::search(&mut alice.imap().await, "INBOX", "Subject", "New sign-in to Facteur").await.len() };
    // The same browser again: known, nothing sent.
    password_again(&b, &alice).await;
    // Another browser: one email, saying what signed in.
    let other = Browser::new(&app);
    other.login(&alice).await;
    assert!(eventually(Duration::from_secs(20), || async { notices().await == 1 }).await, "the notice arrives");
    password_again(&other, &alice).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(notices().await, 1, "not again for a browser it knows now");
    let mut imap = alice.imap().await;
    let uid = crate::compose::search(&mut imap, "INBOX", "Subject", "New sign-in to Facteur").await[0];
    imap.select("INBOX").await.unwrap();
    let fetched: Vec<_> = futures_util::TryStreamExt::try_collect(imap.uid_fetch(uid.to_string(), "BODY.PEEK[]").await.unwrap()).await.unwrap();
    let parsed = mail_parser::MessageParser::default().parse(fetched[0].body().unwrap()).unwrap();
    let text = parsed.body_text(0).unwrap().into_owned();
    assert!(text.contains("Address: 127.") && text.contains("change your password"), "{text}");
}

/// In Chromium: the password, then the second step's page (checked with axe at desktop and
/// phone sizes), then the code the app shows: the inbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_the_second_step_follows_the_password_and_passes_axe() {
    use fantoccini::Locator;
    let app = TestApp::start().await;
    let alice = dovecot().user();
    append(&mut alice.imap().await, "INBOX", &numbered_message(1)).await;
    let b = Browser::new(&app);
    b.login(&alice).await;
    let (secret, _) = turn_on_app(&b).await;
    sqlx::query("UPDATE second_factors SET totp_last_step = 0 WHERE username = $1").bind(facteur::web::auth::user_key(&alice.name)).execute(&app.state.db).await.unwrap();

    let (_driver, c) = crate::browser::browser(true).await;
    for (width, height, name) in [(1280, 900, "desktop"), (390, 844, "phone")] {
        c.set_window_size(width, height).await.unwrap();
        c.goto(&app.url("/login")).await.unwrap();
        c.find(Locator::Css("input[name=username]")).await.unwrap().send_keys(&alice.name).await.unwrap();
        c.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(&alice.password).await.unwrap();
        c.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
        c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("input#code")).await.expect("the second step");
        crate::browser::shot(&c, &format!("verify-{name}")).await;
        let findings = crate::accessibility::axe(&c, &crate::accessibility::axe_source()).await;
        assert!(findings.is_empty(), "{name}: {findings:?}");
        let offset = if name == "desktop" { -30 } else { 0 };
        clear_of_a_step_change().await;
        c.find(Locator::Css("input#code")).await.unwrap().send_keys(&code(&secret, offset)).await.unwrap();
        c.find(Locator::Css("form[action='/login/verify'] button[type=submit]")).await.unwrap().click().await.unwrap();
        c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("ul.messages")).await.expect("the inbox after the code");
        // Signed out again for the next size.
        c.find(Locator::Css("form[action='/logout'] button")).await.unwrap().click().await.unwrap();
        c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("input[name=username]")).await.expect("signed out");
    }
}

/// In Chromium with virtual authenticators (DevTools' WebAuthn domain), on two instances over
/// one database: keys added in Settings → Security on one are the second step on the other,
/// where a key also confirms their removal; a browser without a key does not get past the
/// second step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_chromium_a_security_key_is_added_then_is_the_second_step_on_any_instance() {
    use fantoccini::Locator;
    let app = TestApp::start().await;
    let beside = app.beside().await;
    // Keys belong to a host name, not an address: both instances are browsed as `localhost`.
    let (base, base_beside) = (format!("http://localhost:{}", app.addr.port()), format!("http://localhost:{}", beside.addr.port()));
    let alice = dovecot().user();
    let account = facteur::web::auth::user_key(&alice.name);
    append(&mut alice.imap().await, "INBOX", &numbered_message(1)).await;
    let (_driver, c) = crate::browser::browser(true).await;
    c.set_window_size(1280, 900).await.unwrap();
    c.issue_cmd(crate::push::Cdp("WebAuthn.enable", serde_json::json!({ "enableUI": false }))).await.expect("WebAuthn.enable");
    let options = serde_json::json!({ "options": { "protocol": "ctap2", "transport": "usb", "hasResidentKey": true, "hasUserVerification": true, "isUserVerified": true, "automaticPresenceSimulation": true } });
    let desk = c.issue_cmd(crate::push::Cdp("WebAuthn.addVirtualAuthenticator", options.clone())).await.expect("a virtual authenticator");
    let sign_in = |c: fantoccini::Client, base: String| {
        let (name, password) = (alice.name.clone(), alice.password.clone());
        async move {
            c.goto(&format!("{base}/login")).await.unwrap();
            c.find(Locator::Css("input[name=username]")).await.unwrap().send_keys(&name).await.unwrap();
            c.find(Locator::Css("input[name=password]")).await.unwrap().send_keys(&password).await.unwrap();
            c.find(Locator::Css("form button[type=submit]")).await.unwrap().click().await.unwrap();
        }
    };
    let sign_out = |c: fantoccini::Client| async move {
        c.find(Locator::Css("form[action='/logout'] button")).await.unwrap().click().await.unwrap();
        c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("input[name=username]")).await.unwrap();
    };
    sign_in(c.clone(), base.clone()).await;
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("ul.messages")).await.expect("the inbox");
    c.goto(&format!("{base}/settings/security")).await.unwrap();
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(".passkey-register:not([hidden])")).await.expect("the Add a key button");
    c.find(Locator::Css("#passkey-name")).await.unwrap().send_keys("Desk key").await.unwrap();
    c.find(Locator::Css(".passkey-register")).await.unwrap().click().await.unwrap();
    if c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("ul.passkey-list")).await.is_err() {
        let state = c.find(Locator::Css(".passkey-state")).await.unwrap().text().await.unwrap_or_default();
        panic!("the key was not listed; the page says {state:?}");
    }
    let listed = c.find(Locator::Css("ul.passkey-list")).await.unwrap().text().await.unwrap();
    assert!(listed.contains("Desk key"), "{listed}");
    let codes = c.find_all(Locator::Css("ol.codes li")).await.unwrap();
    assert_eq!(codes.len(), 10, "the first second step comes with recovery codes");
    let recovery = codes[0].text().await.unwrap();
    crate::browser::shot(&c, "security-key-added").await;

    // A second key needs a fresh second step: a recovery code here. The desk key is unplugged
    // and the phone plugged in (with both there, each answers every ceremony, and which answers
    // first is chance); from here on the phone key is the one that signs in and confirms.
    c.issue_cmd(crate::push::Cdp("WebAuthn.removeVirtualAuthenticator", serde_json::json!({ "authenticatorId": desk["authenticatorId"] }))).await.expect("unplugged");
    c.issue_cmd(crate::push::Cdp("WebAuthn.addVirtualAuthenticator", options.clone())).await.expect("a second authenticator");
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("#passkey-code")).await.expect("a code, or a key, confirms");
    c.find(Locator::Css("#passkey-code")).await.unwrap().send_keys(&recovery).await.unwrap();
    c.find(Locator::Css("#passkey-name")).await.unwrap().send_keys("Phone key").await.unwrap();
    c.find(Locator::Css(".passkey-register")).await.unwrap().click().await.unwrap();
    let two = c.wait().at_most(Duration::from_secs(20)).for_element(Locator::XPath("//ul[contains(@class, 'passkey-list')][contains(., 'Phone key')]")).await;
    if two.is_err() {
        let state = c.find(Locator::Css(".passkey-state")).await.unwrap().text().await.unwrap_or_default();
        panic!("the second key was not listed; the page says {state:?}");
    }
    assert_eq!(facteur::store::passkeys::of_user(&app.state.db, &account).await.unwrap().len(), 2);

    // Another browser, without the key: the password leads to the second step, and a made-up
    // answer does not pass it.
    let other = Browser::for_base(base.clone(), "en");
    let verify = other.login_attempt(&alice.name, &alice.password).await;
    assert!(verify.url.contains("/login/verify") && verify.body.contains("Use my key"), "{}", verify.url);
    let token = verify.body.split("data-csrf=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_string();
    let start = other.post_json("/login/verify/passkey/start", &token, &serde_json::json!({})).await;
    assert_eq!(start.status().as_u16(), 200, "the ceremony starts");
    let forged = serde_json::json!({ "next": "/f/INBOX", "credential": { "id": "AAAA", "rawId": "AAAA", "type": "public-key", "response": {
        "authenticatorData": "AAAA", "clientDataJSON": "AAAA", "signature": "AAAA", "userHandle": null } } });
    assert_eq!(other.post_json("/login/verify/passkey/finish", &token, &forged).await.status().as_u16(), 401);
    assert_eq!(other.raw_get("/f/INBOX").await.status().as_u16(), 401, "still half signed in");

    // Signed out, then in on the other instance: after the password, the key.
    sign_out(c.clone()).await;
    sign_in(c.clone(), base_beside.clone()).await;
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css(".passkey-sign-in:not([hidden])")).await.expect("the key is offered");
    let findings = crate::accessibility::axe(&c, &crate::accessibility::axe_source()).await;
    assert!(findings.is_empty(), "{findings:?}");
    c.find(Locator::Css(".passkey-sign-in")).await.unwrap().click().await.unwrap();
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("ul.messages")).await.expect("the inbox after the key");
    let keys = facteur::store::passkeys::of_user(&app.state.db, &account).await.unwrap();
    assert!(keys.iter().any(|k| k.name == "Phone key" && k.last_used_ms > 0), "its use is noted: {keys:?}");

    // Both removed there with the code left empty: a key itself confirms. The last was the only
    // second step, so the recovery codes go with it.
    c.goto(&format!("{base_beside}/settings/security")).await.unwrap();
    c.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css("#keys-hint:not([hidden])")).await.expect("the hint that a key confirms");
    let findings = crate::accessibility::axe(&c, &crate::accessibility::axe_source()).await;
    assert!(findings.is_empty(), "{findings:?}");
    let to_keys = "document.getElementById('passkeys').scrollIntoView()";
    c.execute(to_keys, vec![]).await.unwrap();
    crate::browser::shot(&c, "security-keys-desktop").await;
    let dark = |on: bool| crate::push::Cdp("Emulation.setEmulatedMedia", serde_json::json!({ "features": [{ "name": "prefers-color-scheme", "value": if on { "dark" } else { "light" } }] }));
    c.issue_cmd(dark(true)).await.expect("dark");
    c.set_window_size(390, 844).await.unwrap();
    c.execute(to_keys, vec![]).await.unwrap();
    crate::browser::shot(&c, "security-keys-phone-dark").await;
    // Scrolled to the end, the last line clears the floating compose button.
    c.execute("window.scrollTo(0, document.scrollingElement.scrollHeight)", vec![]).await.unwrap();
    let clear = "const f = document.querySelector('.fab').getBoundingClientRect();
        const last = [...document.querySelectorAll('#content button, #content p')].pop().getBoundingClientRect();
        return last.bottom <= f.top";
    assert_eq!(c.execute(clear, vec![]).await.unwrap(), serde_json::json!(true), "the page's last line is above the compose button");
    crate::browser::shot(&c, "security-end-phone-dark").await;
    let wide = "const w = document.scrollingElement.clientWidth;
        return [...document.querySelectorAll('#content *')].filter(e => e.getBoundingClientRect().right > w + 1).map(e => e.tagName + '.' + e.className)";
    assert_eq!(c.execute(wide, vec![]).await.unwrap(), serde_json::json!([]), "nothing wider than the phone's screen");
    c.issue_cmd(dark(false)).await.expect("light");
    c.set_window_size(1280, 900).await.unwrap();
    c.find(Locator::Css("form.fresh-step button[value=passkey-remove]")).await.unwrap().click().await.unwrap();
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::XPath("//*[contains(., 'The key is removed.')]")).await.expect("the first removed");
    let left = facteur::store::passkeys::of_user(&app.state.db, &account).await.unwrap();
    assert_eq!(left.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(), ["Phone key"]);
    c.find(Locator::Css("form.fresh-step button[value=passkey-remove]")).await.unwrap().click().await.unwrap();
    let removed = c.wait().at_most(Duration::from_secs(20)).for_element(Locator::XPath("//*[contains(., 'It was your last second step')]")).await;
    let page = c.source().await.unwrap_or_default();
    assert!(removed.is_ok(), "{page}");
    assert!(!page.contains("passkey-list"), "{page}");
    assert!(facteur::store::passkeys::of_user(&app.state.db, &account).await.unwrap().is_empty());
    assert_eq!(facteur::store::two_step::recovery_left(&app.state.db, &account).await.unwrap(), 0);
    sign_out(c.clone()).await;
    sign_in(c.clone(), base_beside).await;
    c.wait().at_most(Duration::from_secs(20)).for_element(Locator::Css("ul.messages")).await.expect("no second step any more");
}
