//! Rules the mail server runs at delivery, made in Facteur: mail submitted to Postfix and
//! delivered by LMTP into Dovecot is sorted, marked, starred and forwarded as the filters say;
//! the vacation reply answers once; a script of another ManageSieve client keeps running and
//! is never overwritten; what the server refuses changes nothing. The oracles are an
//! independent IMAP client and a raw ManageSieve client.

use std::time::Duration;

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::harness::*;

/// Submits a message from `from` (logged in as them) to `to` through the shared Postfix.
async fn deliver(from: &TestUser, to: &str, subject: &str) {
    deliver_with(from, to, subject, "").await
}

/// The same with more header lines (each ending in CRLF).
async fn deliver_with(from: &TestUser, to: &str, subject: &str, headers: &str) {
    let raw = format!("From: {}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{}@example.org>\r\n{headers}\r\nHello.\r\n", from.name, facteur::secrets::random_token::<8>().unwrap());
    submit_raw(from, to, &raw).await;
}

/// Subjects of the messages in `mailbox` with their flags.
async fn subjects(imap: &mut Imap, mailbox: &str) -> Vec<(String, Vec<String>)> {
    use futures_util::TryStreamExt;
    let Ok(m) = imap.select(mailbox).await else { return Vec::new() };
    if m.exists == 0 {
        return Vec::new();
    }
    let fetches: Vec<_> = imap.fetch("1:*", "(FLAGS BODY.PEEK[HEADER])").await.unwrap().try_collect().await.unwrap();
    fetches
        .iter()
        .map(|f| {
            let header = String::from_utf8_lossy(f.header().unwrap_or_default()).into_owned();
            let subject = header.lines().find_map(|l| l.strip_prefix("Subject: ")).unwrap_or_default().to_string();
            (subject, f.flags().map(|fl| format!("{fl:?}")).collect())
        })
        .collect()
}

/// Waits until `mailbox` holds a message whose subject contains `words`.
async fn arrives(imap: &mut Imap, mailbox: &str, words: &str) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while std::time::Instant::now() < deadline {
        if subjects(imap, mailbox).await.iter().any(|(s, _)| s.contains(words)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// An independent ManageSieve client: one command, the reply's lines up to OK/NO/BYE.
struct Sieve(BufReader<tokio::net::TcpStream>);

impl Sieve {
    async fn login(user: &TestUser) -> Self {
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", dovecot().sieve_port)).await.unwrap();
        let mut s = Sieve(BufReader::new(tcp));
        s.reply().await;
        let plain = base64::engine::general_purpose::STANDARD.encode(format!("\0{}\0{}", user.name, user.password));
        let r = s.command(&format!("AUTHENTICATE \"PLAIN\" \"{plain}\"\r\n")).await;
        assert!(r.starts_with("OK"), "{r}");
        s
    }

    async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            self.0.read_line(&mut line).await.unwrap();
            assert!(!line.is_empty(), "ManageSieve closed: {all}");
            all.push_str(&line);
            if ["OK", "NO", "BYE"].iter().any(|w| line.starts_with(w)) {
                return all.lines().last().map(str::to_string).unwrap_or_default() + "\n" + &all;
            }
        }
    }

    async fn command(&mut self, c: &str) -> String {
        self.0.get_mut().write_all(c.as_bytes()).await.unwrap();
        self.reply().await
    }

    async fn put(&mut self, name: &str, script: &str) -> String {
        self.command(&format!("PUTSCRIPT \"{name}\" {{{}+}}\r\n{script}\r\n", script.len())).await
    }
}

async fn form_page(b: &Browser, path: &str, form: &[(&str, &str)]) -> Page {
    b.post(path, form).await
}

#[tokio::test]
async fn filters_made_in_the_browser_sort_mark_star_and_forward_mail_delivered_by_the_server() {
    let app = TestApp::start().await;
    let (me, sender, other) = (dovecot().user(), dovecot().user(), dovecot().user());
    let mut imap = me.imap().await;
    let lettres = facteur::mail::utf7::encode("Lettres d’info");
    make_folder(&mut imap, &lettres).await.unwrap();
    make_folder(&mut imap, "Citations").await.unwrap();
    let b = Browser::new(&app);
    b.login(&me).await;
    let page = b.get("/settings/filters").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("No filter yet.") && !page.body.contains("does not offer rules"), "{}", page.body);
    let token = csrf(&page.body);

    // The contract's fields, one rule; then repeated rows for two conditions and two actions.
    let saved = form_page(&b, "/settings/filters", &[("csrf", &token), ("name", "News"), ("field", "from"), ("op", "contains"), ("value", &sender.name), ("action", "move"), ("target", "Lettres d’info"), ("action", "read"), ("target", ""), ("action", "star"), ("target", "")]).await;
    assert!(saved.body.contains("Filters saved on your mail server."), "{}", saved.body);
    let quoted = r#"say "hi" \o/"#;
    let saved = form_page(&b, "/settings/filters", &[("csrf", &token), ("name", "Quotes"), ("field", "subject"), ("op", "contains"), ("value", quoted), ("field", "header"), ("header", "X-Nothing"), ("op", "contains"), ("value", "zzz"), ("match", "any"), ("action", "copy"), ("target", "Citations"), ("action", "forward"), ("target", &other.name), ("keep", "on")]).await;
    assert!(saved.body.contains("Filters saved"), "{}", saved.body);
    assert!(saved.body.contains("News") && saved.body.contains("Quotes"), "both listed: {}", saved.body);

    // Delivered through Postfix by LMTP: the server ran the rules.
    deliver(&sender, &me.name, "weekly news").await;
    assert!(arrives(&mut imap, &lettres, "weekly news").await, "filed by the server");
    let filed = subjects(&mut imap, &lettres).await;
    assert!(filed[0].1.iter().any(|f| f.contains("Seen")) && filed[0].1.iter().any(|f| f.contains("Flagged")), "{filed:?}");
    assert!(subjects(&mut imap, "INBOX").await.is_empty(), "moved, not kept");
    let stranger = dovecot().user();
    deliver(&stranger, &me.name, &format!("{quoted} again")).await;
    assert!(arrives(&mut imap, "Citations", "again").await, "quotes and backslashes matched as written");
    assert!(arrives(&mut imap, "INBOX", "again").await, "a copy, the original kept");
    let mut theirs = other.imap().await;
    assert!(arrives(&mut theirs, "INBOX", "again").await, "forwarded to the other account");

    // Reordered, turned off, deleted: the list follows, the server's script too.
    let moved = b.post("/settings/filters/1/move", &[("csrf", &token), ("dir", "up")]).await;
    let (q, n) = (moved.body.find("<strong>Quotes</strong>").unwrap(), moved.body.find("<strong>News</strong>").unwrap());
    assert!(q < n, "Quotes first now");
    let off = b.post("/settings/filters/0/enable", &[("csrf", &token), ("enabled", "0")]).await;
    assert!(off.body.contains("(off)"), "{}", off.body);
    let gone = b.post("/settings/filters/0/delete", &[("csrf", &token)]).await;
    assert!(gone.body.contains("Filter deleted.") && !gone.body.contains("<strong>Quotes</strong>"), "{}", gone.body);
    let mut sieve = Sieve::login(&me).await;
    let listed = sieve.command("LISTSCRIPTS\r\n").await;
    assert!(listed.contains("\"facteur\" ACTIVE"), "{listed}");
    let script = sieve.command("GETSCRIPT \"facteur\"\r\n").await;
    assert!(script.contains("# Filter: News") && !script.contains("# Filter: Quotes"), "{script}");
    app.stop().await;
}

#[tokio::test]
async fn the_vacation_reply_answers_each_sender_once_and_not_after_its_last_day() {
    let app = TestApp::start().await;
    let (me, sender) = (dovecot().user(), dovecot().user());
    let b = Browser::new(&app);
    b.login(&me).await;
    let token = csrf(&b.get("/settings/vacation").await.body);
    let saved = b.post("/settings/vacation", &[("csrf", &token), ("enabled", "on"), ("subject", "Absent until Monday"), ("body", "I am away.\nBack on Monday."), ("start", ""), ("end", "")]).await;
    assert!(saved.body.contains("Your vacation reply is on."), "{}", saved.body);
    // Every page says so, with the way to turn it off.
    let inbox = b.get("/f/INBOX").await;
    assert!(inbox.body.contains("vacation-banner") && inbox.body.contains("href=\"/settings/vacation\""), "{}", inbox.body);
    deliver(&sender, &me.name, "first").await;
    deliver(&sender, &me.name, "second").await;
    let mut theirs = sender.imap().await;
    assert!(arrives(&mut theirs, "INBOX", "Absent until Monday").await, "an automatic reply");
    // The second message is delivered too (the user's Inbox has both), without a second reply.
    let mut mine = me.imap().await;
    assert!(arrives(&mut mine, "INBOX", "second").await);
    tokio::time::sleep(Duration::from_millis(800)).await;
    let replies = subjects(&mut theirs, "INBOX").await;
    assert_eq!(replies.len(), 1, "one reply per sender: {replies:?}");

    // Its last day is past: no reply, no banner.
    let (late, sender2) = (dovecot().user(), dovecot().user());
    let b = Browser::new(&app);
    b.login(&late).await;
    let token = csrf(&b.get("/settings/vacation").await.body);
    let yesterday = (time::OffsetDateTime::now_utc().date() - time::Duration::days(2)).to_string();
    let saved = b.post("/settings/vacation", &[("csrf", &token), ("enabled", "on"), ("subject", "Gone"), ("body", "Away."), ("end", &yesterday)]).await;
    assert!(saved.body.contains("Your vacation reply is on.") && !saved.body.contains("vacation-banner"), "{}", saved.body);
    deliver(&sender2, &late.name, "too late").await;
    let mut late_imap = late.imap().await;
    assert!(arrives(&mut late_imap, "INBOX", "too late").await);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(subjects(&mut sender2.imap().await, "INBOX").await.is_empty(), "no reply after the last day");
    // A date that is not one changes nothing.
    let bad = b.post("/settings/vacation", &[("csrf", &token), ("enabled", "on"), ("body", "x"), ("end", "2026-02-30")]).await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("A date is written YYYY-MM-DD."), "{}", bad.body);
    app.stop().await;
}

#[tokio::test]
async fn another_clients_script_keeps_running_and_what_the_server_refuses_changes_nothing() {
    let app = TestApp::start().await;
    let (me, sender) = (dovecot().user(), dovecot().user());
    let mut imap = me.imap().await;
    make_folder(&mut imap, "Old").await.unwrap();
    make_folder(&mut imap, "New").await.unwrap();
    let mut sieve = Sieve::login(&me).await;
    let theirs = "require \"fileinto\";\r\nif header :contains \"subject\" \"old rule\" { fileinto \"Old\"; stop; }\r\n";
    assert!(sieve.put("mine", theirs).await.starts_with("OK"));
    assert!(sieve.command("SETACTIVE \"mine\"\r\n").await.starts_with("OK"));
    let b = Browser::new(&app);
    b.login(&me).await;
    let page = b.get("/settings/filters").await;
    assert!(page.body.contains("Rules written by another app (“mine”) are active"), "{}", page.body);
    let token = csrf(&page.body);

    // Bad input: a clear error, nothing written.
    for (field, header, words) in [("header", "X-Evil\r\nkeep", "A header name holds only"), ("header", "X-\"q\"", "A header name holds only")] {
        let page = b.post("/settings/filters", &[("csrf", &token), ("field", field), ("header", header), ("op", "contains"), ("value", "x"), ("action", "read")]).await;
        assert_eq!(page.status, 400);
        assert!(page.body.contains(words), "{header:?}: {}", page.body);
    }
    let page = b.post("/settings/filters", &[("csrf", &token), ("field", "from"), ("value", "a\r\n}\r\ndiscard;"), ("action", "read")]).await;
    assert!(page.body.contains("cannot hold a line break"), "{}", page.body);
    let page = b.post("/settings/filters", &[("csrf", &token), ("field", "from"), ("value", "a"), ("action", "forward"), ("target", "x@y.z\"; discard; \"")]).await;
    assert!(page.body.contains("That is not an email address."), "{}", page.body);
    assert!(sieve.command("LISTSCRIPTS\r\n").await.contains("\"mine\" ACTIVE"), "nothing changed yet");

    // A filter saved: Facteur's script is active and runs the other one first; that one is
    // untouched.
    let saved = b.post("/settings/filters", &[("csrf", &token), ("name", "New things"), ("field", "subject"), ("op", "contains"), ("value", "new rule"), ("action", "move"), ("target", "New")]).await;
    assert!(saved.body.contains("Filters saved") && saved.body.contains("run before these filters"), "{}", saved.body);
    let listed = sieve.command("LISTSCRIPTS\r\n").await;
    assert!(listed.contains("\"facteur\" ACTIVE") && listed.contains("\"mine\""), "{listed}");
    assert!(sieve.command("GETSCRIPT \"mine\"\r\n").await.contains(theirs.trim_end()), "the other script as it was");
    deliver(&sender, &me.name, "old rule applies").await;
    deliver(&sender, &me.name, "new rule applies").await;
    assert!(arrives(&mut imap, "Old", "old rule").await, "their rule still runs");
    assert!(arrives(&mut imap, "New", "new rule").await, "and Facteur's");

    // The raw editor: the server's complaint at its line, nothing stored.
    let before = sieve.command("GETSCRIPT \"facteur\"\r\n").await;
    let token = csrf(&b.get("/settings/sieve").await.body);
    let broken = "require \"fileinto\";\nif header :contains \"subject\" \"x\" {\n  fileintoo \"New\";\n}\n";
    let page = b.post("/settings/sieve", &[("csrf", &token), ("name", "facteur"), ("script", broken)]).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("line 3: error") && page.body.contains("class=\"error-line\" aria-current=\"true\"><code>  fileintoo"), "{}", page.body);
    // Too large for the server (its limit is 1 MB): refused, nothing stored.
    let huge = format!("# {}\nkeep;\n", "x".repeat(1_100_000));
    let page = b.post("/settings/sieve", &[("csrf", &token), ("name", "facteur"), ("script", &huge)]).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("too large"), "{}", &page.body[..page.body.len().min(3000)]);
    assert_eq!(sieve.command("GETSCRIPT \"facteur\"\r\n").await, before, "unchanged");

    // Changed by hand: Facteur notices and asks before replacing.
    let edited = before.lines().skip(2).take_while(|l| !l.starts_with("OK")).collect::<Vec<_>>().join("\r\n").replace("stop;", "keep;") + "\r\n# mine now\r\n";
    assert!(sieve.put("facteur", &edited).await.starts_with("OK"));
    let page = b.get("/settings/filters").await;
    assert!(page.body.contains("changed by hand since"), "{}", page.body);
    let refused = b.post("/settings/filters/spam", &[("csrf", &token), ("enabled", "0")]).await;
    assert!(refused.body.contains("changed by hand on the server"), "{}", refused.body);
    assert!(sieve.command("GETSCRIPT \"facteur\"\r\n").await.contains("# mine now"), "kept");
    app.stop().await;
}

/// A ManageSieve server that greets, takes any login and lists no script, then hangs up in
/// the middle of the first PUTSCRIPT.
async fn dropping_server() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut s = BufReader::new(tcp);
                let greeting = "\"IMPLEMENTATION\" \"Flaky\"\r\n\"SIEVE\" \"fileinto vacation imap4flags\"\r\n\"SASL\" \"PLAIN\"\r\nOK \"ready\"\r\n";
                if s.get_mut().write_all(greeting.as_bytes()).await.is_err() {
                    return;
                }
                let mut line = String::new();
                while s.read_line(&mut line).await.is_ok_and(|n| n > 0) {
                    if line.starts_with("PUTSCRIPT") {
                        return;
                    }
                    let reply = if line.starts_with("LOGOUT") { "OK \"bye\"\r\n" } else { "OK \"done\"\r\n" };
                    if s.get_mut().write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                    line.clear();
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn over_starttls_rules_are_saved_and_a_server_that_is_missing_or_hangs_up_is_said_plainly() {
    // STARTTLS, the server's certificate checked against the test CA.
    let ca = dovecot().dir.join("ca.pem").display().to_string();
    let app = TestApp::start_with(
        |_| {},
        |env| {
            env.insert("FACTEUR_IMAP_PORT".into(), dovecot().imap_port.to_string());
            env.insert("FACTEUR_SIEVE_HOST".into(), "localhost".into());
            env.insert("FACTEUR_SIEVE_SECURITY".into(), "starttls".into());
            env.insert("FACTEUR_TLS_CA_FILE".into(), ca.clone());
        },
    )
    .await;
    let me = dovecot().user();
    let b = Browser::new(&app);
    b.login(&me).await;
    let token = csrf(&b.get("/settings/filters").await.body);
    let saved = b.post("/settings/filters", &[("csrf", &token), ("field", "subject"), ("value", "tls"), ("action", "star")]).await;
    assert!(saved.body.contains("Filters saved"), "{}", saved.body);
    assert!(Sieve::login(&me).await.command("LISTSCRIPTS\r\n").await.contains("\"facteur\" ACTIVE"));
    app.stop().await;

    // No ManageSieve at all: the pages say so, nothing else breaks.
    let m = minimal();
    let app = TestApp::start_on(m.imap_port, m.submission_port).await;
    let b = Browser::new(&app);
    b.login(&m.user()).await;
    let page = b.get("/settings/filters").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("does not offer rules") && !page.body.contains("filter-form"), "{}", page.body);
    assert!(b.get("/settings/vacation").await.body.contains("does not offer rules"));
    app.stop().await;

    // A server that hangs up while a script is sent: an error page that says so, and the
    // next page works.
    let port = dropping_server().await;
    let app = TestApp::start_with(|_| {}, |env| drop(env.insert("FACTEUR_SIEVE_PORT".into(), port.to_string()))).await;
    let b = Browser::new(&app);
    b.login(&dovecot().user()).await;
    let page = b.get("/settings/filters").await;
    assert!(page.body.contains("No filter yet."), "{}", page.body);
    let token = csrf(&page.body);
    let failed = b.post("/settings/filters", &[("csrf", &token), ("field", "subject"), ("value", "x"), ("action", "read")]).await;
    assert!(failed.status == 502 || failed.status == 503, "{}: {}", failed.status, failed.body);
    assert!(b.get("/f/INBOX").await.status == 200);
    app.stop().await;
}

#[tokio::test]
async fn a_filter_applied_to_messages_already_there_counts_them_first_and_acts_on_exactly_those() {
    let app = TestApp::start().await;
    let me = dovecot().user();
    let mut imap = me.imap().await;
    make_folder(&mut imap, "Annonces").await.unwrap();
    let mail = [
        ("news@lists.example.org", "[ANN] release 2.0", "<dev.lists.example.org>"),
        ("NEWS@lists.example.org", "=?utf-8?q?=5BANN=5D_caf=C3=A9?=", "<dev.lists.example.org>"),
        ("news@lists.example.org", "[ANN] other list", "<other.example.org>"),
        ("alice@example.org", "[ANN] not from the list", "<dev.lists.example.org> copy"),
    ];
    for (from, subject, list) in mail {
        append(&mut imap, "INBOX", format!("From: {from}\r\nSubject: {subject}\r\nList-Id: {list}\r\nMessage-ID: <{}@x>\r\n\r\nBody.\r\n", facteur::secrets::random_token::<6>().unwrap()).as_bytes()).await;
    }
    let b = Browser::new(&app);
    b.login(&me).await;
    let token = csrf(&b.get("/settings/filters").await.body);
    // `is` on a header and `matches` on the subject: searched by the server as substrings,
    // then checked exactly.
    let saved = b.post("/settings/filters", &[("csrf", &token), ("name", "Announcements"), ("field", "header"), ("header", "List-Id"), ("op", "is"), ("value", "<dev.lists.example.org>"), ("field", "subject"), ("op", "matches"), ("value", "[ann]*"), ("action", "read"), ("target", ""), ("action", "move"), ("target", "Annonces")]).await;
    assert!(saved.body.contains("Filters saved"), "{}", saved.body);
    let page = b.get("/settings/filters/0/apply").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("2 messages in “Inbox” match."), "{}", page.body);
    // A message that arrives meanwhile and matches too is left alone: the counted UIDs only.
    append(&mut imap, "INBOX", b"From: news@lists.example.org\r\nSubject: [ANN] late\r\nList-Id: <dev.lists.example.org>\r\n\r\nBody.\r\n").await;
    let uids = page.body.split("name=\"uids\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let uv = page.body.split("name=\"uidvalidity\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let done = b.post("/settings/filters/0/apply", &[("csrf", &token), ("folder", "INBOX"), ("uidvalidity", &uv), ("uids", &uids)]).await;
    assert!(done.body.contains("Filter applied to 2 messages."), "{}", done.body);
    let filed = subjects(&mut imap, "Annonces").await;
    assert_eq!(filed.len(), 2, "{filed:?}");
    assert!(filed.iter().all(|(_, flags)| flags.iter().any(|f| f.contains("Seen"))), "{filed:?}");
    let left: Vec<String> = subjects(&mut imap, "INBOX").await.into_iter().map(|(s, _)| s).collect();
    assert_eq!(left.len(), 3, "{left:?}");
    assert!(left.iter().any(|s| s.contains("late")), "{left:?}");
    app.stop().await;
}

#[tokio::test]
async fn from_a_message_its_sender_is_filtered_or_blocked_and_their_next_mail_goes_to_spam() {
    let app = TestApp::start_with(|_| {}, |env| drop(env.insert("FACTEUR_SIEVE_SPAM_HEADER".into(), "X-Rspamd-Spam: yes".into()))).await;
    let (me, pest) = (dovecot().user(), dovecot().user());
    let mut imap = me.imap().await;
    let (uid, uv) = append(&mut imap, "INBOX", format!("From: Pest <{}>\r\nSubject: buy now\r\n\r\nBuy.\r\n", pest.name).as_bytes()).await;
    let b = Browser::new(&app);
    b.login(&me).await;
    let message = b.get(&format!("/m/INBOX/{uv}/{uid}")).await;
    let like = format!("href=\"/settings/filters?from={}#filter-form\"", pest.name.replace('@', "%40").replace('.', "%2E"));
    assert!(message.body.contains(&like) && message.body.contains("Block the sender"), "{}", message.body);
    let started = b.get(&format!("/settings/filters?from={}", pest.name)).await;
    assert!(started.body.contains(&format!("name=\"value\" type=\"text\" maxlength=\"500\" value=\"{}\"", pest.name)), "the form starts from the sender");
    let ask = b.get(&format!("/settings/filters/block?from={}", pest.name)).await;
    assert!(ask.body.contains(&format!("Mail from {} will go straight to Spam", pest.name)), "{}", ask.body);
    let confirm = ask.body.split("<section class=\"confirm\">").nth(1).unwrap();
    let action = confirm.split("<form method=\"post\" action=\"").nth(1).unwrap().split('"').next().unwrap().replace("&amp;", "&");
    let blocked = b.post(&action, &[("csrf", &csrf(&ask.body)), ("confirm", "yes")]).await;
    assert!(blocked.body.contains("Sender blocked") && blocked.body.contains(&format!("Blocked: {}", pest.name)), "{} {} {}: {}", blocked.status, blocked.url, action, blocked.body);
    deliver(&pest, &me.name, "still selling").await;
    assert!(arrives(&mut imap, "Junk", "still selling").await, "filed in Spam by the server");
    // The spam rule, on by default: what the server's spam filter marked goes to Junk, the
    // configured header too.
    let friend = dovecot().user();
    deliver_with(&friend, &me.name, "marked by SpamAssassin", "X-Spam-Flag: YES\r\n").await;
    deliver_with(&friend, &me.name, "marked by Rspamd", "X-Rspamd-Spam: yes\r\n").await;
    deliver_with(&friend, &me.name, "not spam", "X-Spam-Flag: NO\r\n").await;
    assert!(arrives(&mut imap, "Junk", "SpamAssassin").await && arrives(&mut imap, "Junk", "Rspamd").await);
    assert!(arrives(&mut imap, "INBOX", "not spam").await);
    // A list's message: the filter starts from its List-Id.
    let (uid, uv) = append(&mut imap, "INBOX", b"From: dev@lists.example.org\r\nList-Id: Dev list <dev.lists.example.org>\r\nSubject: [dev] hello\r\n\r\nHi.\r\n").await;
    let listed = b.get(&format!("/m/INBOX/{uv}/{uid}")).await;
    assert!(listed.body.contains("href=\"/settings/filters?list=dev%2Elists%2Eexample%2Eorg#filter-form\""), "{}", listed.body);
    let form = b.get("/settings/filters?list=dev.lists.example.org").await;
    assert!(form.body.contains("<option value=\"header\" selected>") && form.body.contains("value=\"List-Id\"") && form.body.contains("value=\"dev.lists.example.org\""), "{}", form.body);
    app.stop().await;
}
