//! What hosting providers rely on: several instances on one PostgreSQL, many domains (entries,
//! allow-list, SRV discovery, branding), readiness and metrics, graceful shutdown, and the
//! documents mail apps fetch to set themselves up.

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;

use crate::harness::*;

static DATABASES: AtomicUsize = AtomicUsize::new(0);

/// A fresh PostgreSQL database of this test's own.
fn fresh_database() -> String {
    let n = DATABASES.fetch_add(1, Ordering::SeqCst);
    postgres().database(&format!("fx_shared_{}_{n}", std::process::id()))
}

/// Facteur on the shared Dovecot with `database_url` and the shared key, plus `extra` settings.
async fn instance(database_url: &str, extra: &[(&str, &str)]) -> TestApp {
    let url = database_url.to_string();
    let extra: Vec<(String, String)> = extra.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let port = dovecot().imap_port;
    TestApp::start_with(
        |_| {},
        move |env| {
            env.insert("FACTEUR_IMAP_PORT".into(), port.to_string());
            env.insert("FACTEUR_DATABASE_URL".into(), url);
            env.insert("FACTEUR_SECRET_KEY".into(), SHARED_KEY.into());
            for (k, v) in extra {
                env.insert(k, v);
            }
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgresql_share_logins_without_sticky_sessions() {
    let db = fresh_database();
    let a = instance(&db, &[]).await;
    let b = instance(&db, &[]).await;
    let user = dovecot().user();
    let mut imap = user.imap().await;
    let (uid, uv) = append(&mut imap, "INBOX", &numbered_message(7)).await;

    // Log in on A; the load balancer then sends every request to B.
    let on_a = Browser::new(&a);
    on_a.login(&user).await;
    assert_eq!(b.state.registry.open_connections(), 0);
    let on_b = on_a.sharing(b.url(""));
    let inbox = on_b.get("/f/INBOX").await;
    assert_eq!(inbox.status, 200, "{}", inbox.body);
    assert!(inbox.body.contains("Message number 00007"), "B shows the mailbox: {}", inbox.body);
    assert_eq!(b.state.registry.open_connections(), 1, "B opened its own IMAP connection from the sealed login");
    let message = on_b.get(&format!("/m/INBOX/{uv}/{uid}")).await;
    assert_eq!(message.status, 200);
    assert!(flags_of(&mut imap, "INBOX", uid).await.iter().any(|f| f == "Seen"), "B marked it read on the server");

    // A form from A's page is accepted by B (same session, same CSRF token).
    let token = csrf(&on_a.get("/f/INBOX").await.body);
    let starred = on_b
        .post("/f/INBOX/actions", &[("csrf", &token), ("uidvalidity", &uv.to_string()), ("uid", &uid.to_string()), ("action", "star")])
        .await;
    assert_eq!(starred.status, 200, "{}", starred.body);
    assert!(flags_of(&mut imap, "INBOX", uid).await.iter().any(|f| f == "Flagged"));

    // A message written on A, its attachment uploaded to A, is sent by B: the files of a
    // draft are in the database, not on A's disk.
    let bob = dovecot().user();
    let mut form = crate::compose::Form::from_page(&on_a.get("/compose").await.body);
    form.set("to", &bob.name).set("subject", "Across instances").set("body", "See the attachment.");
    let file = crate::compose::random_bytes(2_500_000, 6);
    let attached = crate::compose::post_compose(&on_a, &form, "attach", &[("data.bin", file.clone(), "application/octet-stream")], false).await;
    assert_eq!(attached.status(), 200);
    let sent = crate::compose::follow(&on_b, crate::compose::post_compose(&on_b, &form, "send", &[], false).await).await;
    assert!(sent.body.contains("Message sent."), "{}", sent.body);
    let mut bob_imap = bob.imap().await;
    let got = crate::compose::arrives(&mut bob_imap, "INBOX", "Across instances").await;
    let raw = crate::compose::fetch_raw(&mut bob_imap, "INBOX", got).await;
    let o = facteur::mail::mime::original(&raw).unwrap();
    assert_eq!(o.attachments.len(), 1, "the attachment uploaded to A went out from B");
    assert_eq!(crate::compose::sha(&o.attachments[0].bytes), crate::compose::sha(&file));

    // Preferences saved through B are seen by A.
    let token = csrf(&on_b.get("/settings").await.body);
    on_b.post("/settings", &[("csrf", &token), ("language", "fr"), ("shortcuts", "on")]).await;
    let again = Browser::new(&a);
    again.login(&user).await;
    assert!(again.get("/f/INBOX").await.body.contains("lang=\"fr\""), "A reads the preference B stored");

    // Signing out on B ends the session on A at once.
    let token = csrf(&on_b.get("/f/INBOX").await.body);
    let out = on_b.raw_post("/logout", &[("csrf", &token)]).await;
    assert_eq!(out.status(), 303);
    let after = on_a.raw_get(&on_a.url("/f/INBOX")).await;
    assert_eq!(after.status(), 303, "the session is gone everywhere");
    assert!(after.headers()["location"].to_str().unwrap().starts_with("/login"));

    // Failed logins count across instances: five on A, the sixth on B must wait.
    let victim = dovecot().user();
    let ba = Browser::new(&a);
    for _ in 0..5 {
        assert_eq!(ba.login_attempt(&victim.name, "wrong").await.status, 401);
    }
    // The same person (same address, same account) tries on B.
    let bb = ba.sharing(b.url(""));
    let throttled = bb.login_attempt(&victim.name, "wrong").await;
    assert_eq!(throttled.status, 429, "B knows A's failures: {}", throttled.body);
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn the_store_works_the_same_on_postgresql() {
    use facteur::store::{compose, prefs};
    let url = fresh_database();
    let db = facteur::store::connect(&url).await.expect("migrations run on PostgreSQL");
    // A second instance starting on the same database finds its migrations applied.
    assert!(facteur::store::connect(&url).await.is_ok());
    assert!(facteur::store::ping(&db).await);
    let u = "a@example.test";
    assert_eq!(prefs::get(&db, u).await.unwrap(), prefs::Preferences::default());
    let p = prefs::Preferences { language: Some("fr".into()), shortcuts: false, conversations: true, ..Default::default() };
    prefs::set(&db, u, &p).await.unwrap();
    prefs::set(&db, u, &p).await.unwrap();
    assert_eq!(prefs::get(&db, u).await.unwrap(), p);
    prefs::set_images_trusted(&db, u, "News@Example.org", true).await.unwrap();
    assert!(prefs::images_trusted(&db, u, "news@example.org").await.unwrap());
    prefs::end_all_sessions(&db, u, 1234).await.unwrap();
    assert_eq!(prefs::sessions_not_before(&db, u).await.unwrap(), 1234);

    let id = compose::save_identity(
        &db,
        u,
        &compose::Identity { id: 0, email: "alias@example.test".into(), name: "Al".into(), signature: "--\nAl".into(), is_default: true },
    )
    .await
    .unwrap();
    assert!(id > 0);
    let ids = compose::identities(&db, u).await.unwrap();
    assert_eq!(ids.len(), 1);
    assert!(ids[0].is_default && ids[0].signature == "--\nAl");
    compose::note_contacts(&db, u, &[("Bob 100%_".into(), "Bob@Example.org".into())]).await.unwrap();
    compose::note_contacts(&db, u, &[(String::new(), "bob@example.org".into())]).await.unwrap();
    let found = compose::suggest(&db, u, "100%", 5).await.unwrap();
    assert_eq!(found.len(), 1, "LIKE escapes work on PostgreSQL too");
    assert_eq!(found[0].uses, 2);
    assert!(compose::suggest(&db, u, "_", 5).await.unwrap().len() == 1);
    assert!(compose::claim_send_key(&db, u, "k1").await.unwrap());
    assert!(!compose::claim_send_key(&db, u, "k1").await.unwrap(), "a send key is claimed once");
    compose::release_send_key(&db, u, "k1").await.unwrap();
    assert!(compose::claim_send_key(&db, u, "k1").await.unwrap());
}

/// The value of one sample line of a Prometheus text exposition (0 when absent).
fn sample(text: &str, name_and_labels: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(name_and_labels))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_and_metrics_report_database_upstreams_requests_and_logins() {
    let app = TestApp::start_with(
        |_| {},
        |env| {
            // A second IMAP server that is down: reported, but readiness does not fail.
            env.insert("FACTEUR_DOMAIN_1_NAME".into(), "down.test".into());
            env.insert("FACTEUR_DOMAIN_1_IMAP_HOST".into(), "127.0.0.1".into());
            env.insert("FACTEUR_DOMAIN_1_IMAP_PORT".into(), free_port().to_string());
        },
    )
    .await;
    let b = Browser::new(&app);
    let ready = b.get("/readyz").await;
    assert_eq!(ready.status, 200, "{}", ready.body);
    let json: serde_json::Value = serde_json::from_str(&ready.body).unwrap();
    assert_eq!(json["database"], "ok");
    let imap = json["imap"].as_object().unwrap();
    assert_eq!(imap[&format!("127.0.0.1:{}", dovecot().imap_port)], "ok", "{json}");
    assert_eq!(imap.len(), 2, "{json}");
    assert!(imap.values().any(|v| v.as_str().is_some_and(|s| s.contains("cannot reach"))), "{json}");

    let before = b.get("/metrics").await;
    assert_eq!(before.status, 200);
    assert!(before.headers["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let failures = sample(&before.body, "facteur_login_failures_total{reason=\"credentials\"}");
    let user = dovecot().user();
    assert_eq!(b.login_attempt(&user.name, "wrong").await.status, 401);
    b.login(&user).await;
    b.get("/f/INBOX").await;
    b.get("/no/such/page").await;
    let text = b.get("/metrics").await.body;
    assert!(sample(&text, "facteur_login_failures_total{reason=\"credentials\"}") >= failures + 1.0, "{text}");
    assert!(sample(&text, "facteur_http_requests_total{route=\"/f/{mailbox}\",method=\"GET\",status=\"200\"}") >= 2.0, "{text}");
    assert!(sample(&text, "facteur_http_requests_total{route=\"/login\",method=\"POST\",status=\"401\"}") >= 1.0, "{text}");
    assert!(sample(&text, "facteur_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}") >= 1.0, "{text}");
    assert!(!text.contains("INBOX"), "no folder names in labels");
    let upstream = format!("upstream=\"127.0.0.1:{}\"", dovecot().imap_port);
    assert!(
        text.lines().any(|l| l.starts_with("facteur_imap_command_duration_seconds_count") && l.contains(&upstream)),
        "IMAP latency by upstream: {text}"
    );
    assert!(sample(&text, "facteur_imap_sessions ") >= 1.0, "{text}");
    assert!(text.contains("facteur_idle_watchers "), "{text}");
    app.stop().await;

    // On a separate address with a token, and not on the main listener.
    let metrics_port = free_port();
    let app = TestApp::start_with(
        |_| {},
        move |env| {
            env.insert("FACTEUR_METRICS_LISTEN".into(), format!("127.0.0.1:{metrics_port}"));
            env.insert("FACTEUR_METRICS_TOKEN".into(), "s3cret".into());
        },
    )
    .await;
    assert_eq!(Browser::new(&app).get("/metrics").await.status, 404);
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{metrics_port}/metrics");
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
    assert_eq!(http.get(&url).bearer_auth("wrong").send().await.unwrap().status(), 401);
    let ok = http.get(&url).bearer_auth("s3cret").send().await.unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.text().await.unwrap().contains("facteur_http_requests_total"));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_finishes_requests_ends_event_streams_and_logs_out_of_imap() {
    let app = TestApp::start().await;
    let user = dovecot().user();
    let b = Browser::new(&app);
    b.login(&user).await;
    let res = b.http.get(b.url("/events?folder=INBOX")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let mut stream = res.bytes_stream();
    assert!(
        eventually(Duration::from_secs(10), || async { dovecot().connections(&user.name) == 2 }).await,
        "a request connection and an IDLE watcher"
    );
    let started = Instant::now();
    app.stop().await;
    let stopped_in = started.elapsed();
    assert!(stopped_in < Duration::from_secs(8), "the open event stream did not hold shutdown up: {stopped_in:?}");
    // The stream ended (rather than hanging until the client gives up).
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = stream.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(end.is_ok(), "the event stream was closed by the server");
    assert!(
        eventually(Duration::from_secs(5), || async { dovecot().connections(&user.name) == 0 }).await,
        "every IMAP connection logged out"
    );
}

#[tokio::test]
async fn the_allow_list_refuses_other_domains_before_connecting() {
    let app = TestApp::start_with(
        |_| {},
        |env| {
            env.insert("FACTEUR_ALLOWED_DOMAINS".into(), DOMAIN.into());
        },
    )
    .await;
    let b = Browser::new(&app);
    let refused = b.login_attempt("someone@elsewhere.test", "whatever").await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("Mail for elsewhere.test is not served here"), "{}", refused.body);
    let fr = Browser::with_lang(&app, "fr").login_attempt("someone@elsewhere.test", "x").await;
    assert!(fr.body.contains("n&#39;est pas hébergé ici") || fr.body.contains("n'est pas hébergé ici"), "{}", fr.body);
    let bare = b.login_attempt("someone", "whatever").await;
    assert_eq!(bare.status, 422);
    assert!(bare.body.contains("Type your full email address"), "{}", bare.body);
    // The listed domain logs in.
    b.login(&dovecot().user()).await;
}

#[tokio::test]
async fn a_domain_entry_picks_its_own_servers_and_brand() {
    let d = dovecot();
    let logo_dir = tempfile::tempdir().unwrap();
    let logo = logo_dir.path().join("logo.svg");
    std::fs::write(&logo, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><script>alert(1)</script></svg>").unwrap();
    let (imaps, ca, logo_path) = (d.imaps_port, d.ca_file(), logo.display().to_string());
    let app = TestApp::start_with(
        |_| {},
        move |env| {
            // The default servers cannot work; the entry's (implicit TLS) can.
            env.insert("FACTEUR_IMAP_HOST".into(), "imap.{domain}".into());
            env.insert("FACTEUR_TLS_CA_FILE".into(), ca.display().to_string());
            env.insert("FACTEUR_DOMAIN_1_NAME".into(), DOMAIN.into());
            env.insert("FACTEUR_DOMAIN_1_IMAP_HOST".into(), "localhost".into());
            env.insert("FACTEUR_DOMAIN_1_IMAP_PORT".into(), imaps.to_string());
            env.insert("FACTEUR_DOMAIN_1_IMAP_SECURITY".into(), "tls".into());
            env.insert("FACTEUR_DOMAIN_1_IMAP_PUBLIC_HOST".into(), "imap.example.test".into());
            env.insert("FACTEUR_DOMAIN_1_WEB_HOSTS".into(), "webmail.example.test".into());
            env.insert("FACTEUR_DOMAIN_1_BRAND_NAME".into(), "Example Test Mail".into());
            env.insert("FACTEUR_DOMAIN_1_BRAND_LOGO_FILE".into(), logo_path);
        },
    )
    .await;
    let user = dovecot().user();
    let http = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let branded = http.get(app.url("/login")).header("host", "webmail.example.test").send().await.unwrap().text().await.unwrap();
    assert!(branded.contains("Example Test Mail"), "{branded}");
    assert!(branded.contains("Your address at example.test"), "the domain hint: {branded}");
    let logo_url = branded.split("src=\"").filter_map(|s| s.split('"').next()).find(|s| s.starts_with("/brand/")).unwrap().to_string();
    assert!(logo_url.starts_with("/brand/") && logo_url.ends_with(".svg"), "{logo_url}");
    let logo_res = http.get(app.url(&logo_url)).send().await.unwrap();
    assert_eq!(logo_res.headers()["content-type"], "image/svg+xml");
    assert!(logo_res.headers()["content-security-policy"].to_str().unwrap().contains("sandbox"), "an SVG logo cannot run script");
    let plain = Browser::new(&app).get("/login").await;
    assert!(!plain.body.contains("Example Test Mail") && plain.body.contains("Facteur"), "another host keeps the default brand");

    // On the branded host, the part before the @ is enough, and the entry's server is used.
    let token = csrf(&branded);
    let local = user.name.split('@').next().unwrap().to_string();
    let res = http
        .post(app.url("/login"))
        .header("host", "webmail.example.test")
        .form(&[("csrf", token.as_str()), ("username", local.as_str()), ("password", user.password.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{:?}", res.text().await);
    let inbox = http.get(app.url("/f/INBOX")).send().await.unwrap();
    assert_eq!(inbox.status(), 200);
    assert!(inbox.text().await.unwrap().contains(&user.name));

    // What apps are told is the public name, not the address Facteur uses.
    let devices = http.get(app.url("/settings/devices")).send().await.unwrap().text().await.unwrap();
    assert!(devices.contains("imap.example.test") && !devices.contains(">localhost<"), "{devices}");
    app.stop().await;
}

/// A private DNS server (dnsmasq) on loopback answering SRV records of `DOMAIN`.
struct Dns {
    child: Child,
    port: u16,
}

impl Dns {
    fn start(records: &[(&str, &str, u16)]) -> Self {
        let which = Command::new("sh").arg("-c").arg("command -v dnsmasq || test -x /usr/sbin/dnsmasq").output();
        assert!(
            which.map(|o| o.status.success()).unwrap_or(false),
            "dnsmasq is not installed: the SRV discovery test needs a real DNS server (apt-get install dnsmasq-base, or run .ci/run)"
        );
        let port = free_port();
        let mut cmd = Command::new(if std::path::Path::new("/usr/sbin/dnsmasq").exists() { "/usr/sbin/dnsmasq" } else { "dnsmasq" });
        cmd.args([
            "--keep-in-foreground",
            "--conf-file=/dev/null",
            "--no-resolv",
            "--no-hosts",
            "--bind-interfaces",
            "--listen-address=127.0.0.1",
            "--log-facility=-",
            &format!("--port={port}"),
        ]);
        for (service, target, p) in records {
            cmd.arg(format!("--srv-host={service}._tcp.{DOMAIN},{target},{p},0,1"));
        }
        let child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start dnsmasq");
        let deadline = Instant::now() + Duration::from_secs(5);
        while std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, port }
    }
}

impl Drop for Dns {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn srv_records_find_the_servers_of_a_domain() {
    let d = dovecot();
    // The STARTTLS-only listeners: Facteur must do STARTTLS, as RFC 6186 says of _imap and
    // _submission, or it cannot log in or send. (The IMAP one is on 127.0.0.2, named by an
    // address-shaped target, which Facteur connects to and checks as an IP address.)
    let dns = Dns::start(&[("_imap", STARTTLS_HOST, d.imap_starttls_port), ("_submission", "localhost", d.submission_starttls_port)]);
    let (dns_port, ca) = (dns.port, d.ca_file());
    let env = move |env: &mut HashMap<String, String>, srv: bool| {
        // The default servers do not exist: only the SRV records lead to Dovecot and Postfix.
        env.insert("FACTEUR_IMAP_HOST".into(), "imap.{domain}.invalid".into());
        env.insert("FACTEUR_SMTP_HOST".into(), "smtp.{domain}.invalid".into());
        env.insert("FACTEUR_TLS_CA_FILE".into(), ca.display().to_string());
        env.insert("FACTEUR_DISCOVER_SRV".into(), srv.to_string());
        env.insert("FACTEUR_DNS_SERVER".into(), format!("127.0.0.1:{dns_port}"));
    };
    let user = dovecot().user();
    let without = TestApp::start_with(|_| {}, {
        let env = env.clone();
        move |e| env(e, false)
    })
    .await;
    let refused = Browser::new(&without).login_attempt(&user.name, &user.password).await;
    assert_eq!(refused.status, 502, "without discovery the default servers are used: {}", refused.body);
    without.stop().await;

    let app = TestApp::start_with(|_| {}, move |e| env(e, true)).await;
    let b = Browser::new(&app);
    b.login(&user).await;
    // STARTTLS, as RFC 6186 says of _imap and _submission.
    let devices = b.get("/settings/devices").await.body;
    assert!(devices.contains(&format!("<kbd>{}</kbd>", d.imap_starttls_port)) && devices.contains("STARTTLS"), "{devices}");
    assert!(devices.contains(&format!("<kbd>{}</kbd>", d.submission_starttls_port)), "{devices}");
    // Sending goes through the discovered submission server.
    let mut form = crate::compose::Form::from_page(&b.get("/compose").await.body);
    form.set("to", &user.name).set("subject", "Found by SRV").set("body", "hello");
    let sent = crate::compose::follow(&b, crate::compose::post_compose(&b, &form, "send", &[], false).await).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let mut imap = user.imap().await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut delivered = false;
    while !delivered && Instant::now() < deadline {
        imap.select("INBOX").await.unwrap();
        delivered = !imap.search("SUBJECT \"Found by SRV\"").await.unwrap().is_empty();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(delivered, "the message went through the SRV-discovered Postfix");
    app.stop().await;
    drop(dns);
}

/// The text of the first element named `name` (any namespace) in `doc`.
fn text_of(doc: &roxmltree::Document<'_>, name: &str) -> Option<String> {
    doc.descendants().find(|n| n.tag_name().name() == name).and_then(|n| n.text()).map(str::to_string)
}

#[tokio::test]
async fn mail_apps_configure_themselves_from_the_same_settings() {
    let d = dovecot();
    let (imap_port, sub_port) = (d.imap_port, d.submission_port);
    let app = TestApp::start_with(
        |_| {},
        move |env| {
            env.insert("FACTEUR_ALLOWED_DOMAINS".into(), DOMAIN.into());
            env.insert("FACTEUR_IMAP_PUBLIC_HOST".into(), "imap.{domain}".into());
            env.insert("FACTEUR_IMAP_PUBLIC_SECURITY".into(), "tls".into());
            env.insert("FACTEUR_SMTP_PUBLIC_HOST".into(), "smtp.{domain}".into());
            env.insert("FACTEUR_SMTP_PUBLIC_SECURITY".into(), "starttls".into());
            let _ = (imap_port, sub_port);
        },
    )
    .await;
    let http = reqwest::Client::new();
    let email = format!("someone@{DOMAIN}");

    // Thunderbird, by both paths.
    for path in ["/.well-known/autoconfig/mail/config-v1.1.xml", "/mail/config-v1.1.xml"] {
        let res = http.get(app.url(path)).query(&[("emailaddress", email.as_str())]).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/xml"));
        let body = res.text().await.unwrap();
        let doc = roxmltree::Document::parse(&body).unwrap();
        assert_eq!(doc.root_element().tag_name().name(), "clientConfig");
        let provider = doc.descendants().find(|n| n.has_tag_name("emailProvider")).unwrap();
        assert_eq!(provider.attribute("id"), Some(DOMAIN));
        let incoming = doc.descendants().find(|n| n.has_tag_name("incomingServer")).unwrap();
        assert_eq!(incoming.attribute("type"), Some("imap"));
        let child = |n: roxmltree::Node<'_, '_>, name: &str| n.children().find(|c| c.has_tag_name(name)).and_then(|c| c.text()).map(str::to_string);
        assert_eq!(child(incoming, "hostname").as_deref(), Some("imap.example.test"));
        assert_eq!(child(incoming, "port").as_deref(), Some("993"));
        assert_eq!(child(incoming, "socketType").as_deref(), Some("SSL"));
        let outgoing = doc.descendants().find(|n| n.has_tag_name("outgoingServer")).unwrap();
        assert_eq!(child(outgoing, "hostname").as_deref(), Some("smtp.example.test"));
        assert_eq!(child(outgoing, "port").as_deref(), Some("587"));
        assert_eq!(child(outgoing, "socketType").as_deref(), Some("STARTTLS"));
    }
    let other = http.get(app.url("/mail/config-v1.1.xml")).query(&[("emailaddress", "x@elsewhere.test")]).send().await.unwrap();
    assert_eq!(other.status(), 404, "no settings for domains not served here");

    // Outlook.
    let request = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006\">\
         <Request><EMailAddress>{email}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>"
    );
    for path in ["/autodiscover/autodiscover.xml", "/Autodiscover/Autodiscover.xml"] {
        let res = http.post(app.url(path)).header("content-type", "text/xml").body(request.clone()).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let body = res.text().await.unwrap();
        let doc = roxmltree::Document::parse(&body).unwrap();
        assert_eq!(doc.root_element().tag_name().name(), "Autodiscover");
        let protocols: Vec<_> = doc.descendants().filter(|n| n.has_tag_name("Protocol")).collect();
        assert_eq!(protocols.len(), 2, "{body}");
        let kinds: Vec<String> = protocols.iter().filter_map(|p| p.children().find(|c| c.has_tag_name("Type")).and_then(|c| c.text()).map(str::to_string)).collect();
        assert_eq!(kinds, ["IMAP", "SMTP"]);
        assert_eq!(text_of(&doc, "LoginName").as_deref(), Some(email.as_str()));
        assert!(body.contains("imap.example.test") && body.contains("smtp.example.test"));
    }
    let garbage = http.post(app.url("/autodiscover/autodiscover.xml")).body("<nope").send().await.unwrap();
    assert_eq!(garbage.status(), 400);

    // Apple: a profile for the logged-in user, and the page that explains it all.
    let user = dovecot().user();
    let b = Browser::new(&app);
    b.login(&user).await;
    let profile = b.http.get(b.url("/settings/devices/profile.mobileconfig")).send().await.unwrap();
    assert_eq!(profile.status(), 200);
    assert_eq!(profile.headers()["content-type"], "application/x-apple-aspen-config");
    assert!(profile.headers()["content-disposition"].to_str().unwrap().contains(".mobileconfig"));
    let body = profile.text().await.unwrap();
    let doc = roxmltree::Document::parse_with_options(&body, roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() }).unwrap();
    assert_eq!(doc.root_element().tag_name().name(), "plist");
    let keys: Vec<&str> = doc.descendants().filter(|n| n.has_tag_name("key")).filter_map(|n| n.text()).collect();
    for k in ["PayloadContent", "PayloadType", "PayloadUUID", "IncomingMailServerHostName", "OutgoingMailServerHostName", "EmailAddress"] {
        assert!(keys.contains(&k), "{k} missing: {keys:?}");
    }
    assert!(body.contains("com.apple.mail.managed") && body.contains(&user.name) && body.contains("imap.example.test"));
    assert!(!body.contains(&user.password), "no password in the profile");
    let again = b.http.get(b.url("/settings/devices/profile.mobileconfig")).send().await.unwrap().text().await.unwrap();
    assert_eq!(body, again, "the same account always gets the same profile identity");

    let page = b.get("/settings/devices").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("imap.example.test") && page.body.contains("993") && page.body.contains("SSL/TLS"));
    assert!(page.body.contains("POP3") && page.body.contains(&user.name));
    let fr = Browser::with_lang(&app, "fr");
    fr.login(&user).await;
    let page_fr = fr.get("/settings/devices").await;
    assert!(page_fr.body.contains("POP3") && page_fr.body.contains("lang=\"fr\""));
    assert_ne!(page.body.split("<main").nth(1), page_fr.body.split("<main").nth(1), "the French page is translated");
    app.stop().await;
}

/// A PostgreSQL of one test's own, which the test stops and starts; stopped on drop.
struct OwnPostgres {
    dir: tempfile::TempDir,
    port: u16,
}

impl OwnPostgres {
    fn start() -> Self {
        let dir = tempfile::Builder::new().prefix("fxq.").tempdir_in("/tmp").expect("temp dir");
        let own = Self { port: free_port(), dir };
        own.up();
        own
    }

    fn script(&self, args: &[&str]) {
        let out = Command::new("bash").arg(root().join("scripts/postgres.sh")).args(args).output().expect("postgres.sh");
        assert!(out.status.success(), "postgres.sh {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn up(&self) {
        self.script(&["start", &self.dir.path().display().to_string(), &self.port.to_string()]);
    }

    fn down(&self) {
        self.script(&["stop", &self.dir.path().display().to_string()]);
    }
}

impl Drop for OwnPostgres {
    fn drop(&mut self) {
        let _ = Command::new("bash").arg(root().join("scripts/postgres.sh")).args(["stop", &self.dir.path().display().to_string()]).output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_fails_requests_clearly_and_sessions_survive() {
    postgres();
    let pg = OwnPostgres::start();
    let db = format!("postgres://facteur@127.0.0.1:{}/postgres", pg.port);
    let a = instance(&db, &[]).await;
    let b = instance(&db, &[]).await;
    let user = dovecot().user();
    let on_a = Browser::new(&a);
    on_a.login(&user).await;
    let on_b = on_a.sharing(b.url(""));
    assert_eq!(on_b.get("/f/INBOX").await.status, 200);

    // While the database is down, a page says so (503, Facteur's own page, in the user's
    // language), on either instance; nothing is a 500.
    pg.down();
    for browser in [&on_a, &on_b] {
        let page = browser.get("/f/INBOX").await;
        assert_eq!(page.status, 503, "{}", page.body);
        assert!(page.body.contains("Facteur cannot reach its database right now"), "{}", page.body);
    }
    let french = Browser::for_base(a.url(""), "fr");
    let login = french.get("/login").await;
    assert_ne!(login.status, 500, "{}", login.body);
    let json = on_b.http.get(b.url("/f/INBOX")).header("accept", "application/json").send().await.unwrap();
    assert_eq!(json.status(), 503);

    // Back up: the same session works again on both, without a restart of either.
    pg.up();
    for browser in [&on_a, &on_b] {
        assert!(
            eventually(Duration::from_secs(15), || async { browser.get("/f/INBOX").await.status == 200 }).await,
            "the session works again once the database is back"
        );
    }
    a.stop().await;
    b.stop().await;
}
