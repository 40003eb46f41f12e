//! Writing and sending mail through a real Postfix (submission with SASL through Dovecot,
//! delivery by LMTP into the test Dovecot), with the results checked by an independent IMAP
//! client: what arrives, what is filed in Sent and Drafts, and the flags on originals.

use std::time::Duration;

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};

use crate::harness::*;

pub use crate::forms::{Form, field, follow, post_compose};

/// UIDs of the messages in `mailbox` whose header `name` contains `value`.
pub async fn search(imap: &mut Imap, mailbox: &str, name: &str, value: &str) -> Vec<u32> {
    if imap.select(mailbox).await.is_err() {
        return Vec::new();
    }
    let mut v: Vec<u32> = imap.uid_search(format!("HEADER {name} \"{value}\"")).await.unwrap().into_iter().collect();
    v.sort_unstable();
    v
}

pub async fn fetch_raw(imap: &mut Imap, mailbox: &str, uid: u32) -> Vec<u8> {
    imap.select(mailbox).await.unwrap();
    let f: Vec<_> = imap.uid_fetch(uid.to_string(), "BODY.PEEK[]").await.unwrap().try_collect().await.unwrap();
    f[0].body().expect("a body").to_vec()
}

/// Waits until `mailbox` of `imap` has a message with this subject; returns its UID.
pub async fn arrives(imap: &mut Imap, mailbox: &str, subject: &str) -> u32 {
    // Generous: Postfix's delivery, an outbox wait and a worker's tick can add up on a busy machine.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if let Some(uid) = search(imap, mailbox, "Subject", subject).await.last() {
            return *uid;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{subject:?} did not arrive in {mailbox}");
}

pub fn sha(b: &[u8]) -> String {
    Sha256::digest(b).iter().map(|x| format!("{x:02x}")).collect()
}

pub fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

pub async fn compose_page(b: &Browser, path: &str) -> (Page, Form) {
    let page = b.get(path).await;
    assert_eq!(page.status, 200, "{path}: {}", page.body);
    let form = Form::from_page(&page.body);
    (page, form)
}

#[tokio::test]
async fn a_message_with_two_attachments_reaches_the_recipient_intact_and_is_filed_in_sent() {
    let app = TestApp::start().await;
    let (alice, bob, carol) = (dovecot().user(), dovecot().user(), dovecot().user());
    let b = Browser::new(&app);
    b.login(&alice).await;
    let (_, mut form) = compose_page(&b, "/compose").await;
    assert_eq!(form.get("identity"), "0", "the login is the default identity");
    let pdf = random_bytes(700_000, 1);
    let text = "Zoé's notes — ünïcödé\nline two, Unix line ends\n".as_bytes().to_vec();
    let subject = "Rapport trimestriel — été 2026";
    form.set("to", &format!("Bob <{}>", bob.name))
        .set("bcc", &carol.name)
        .set("subject", subject)
        .set("body", "Bonjour Bob,\n\nle rapport est joint.\n\nAlice");
    let res = post_compose(&b, &form, "send", &[("rapport été.pdf", pdf.clone(), "application/pdf"), ("notes.txt", text.clone(), "text/plain")], false).await;
    assert_eq!(res.status().as_u16(), 303, "sending redirects");
    let page = follow(&b, res).await;
    assert!(page.body.contains("Message sent."), "{}", page.body);

    let mut bob_imap = bob.imap().await;
    let uid = arrives(&mut bob_imap, "INBOX", "Rapport trimestriel").await;
    let raw = fetch_raw(&mut bob_imap, "INBOX", uid).await;
    let o = facteur::mail::mime::original(&raw).expect("a message");
    assert_eq!(o.subject, subject);
    assert_eq!(o.from[0].address.as_deref(), Some(alice.name.as_str()));
    assert_eq!(o.to[0].address.as_deref(), Some(bob.name.as_str()));
    assert_eq!(o.to[0].name.as_deref(), Some("Bob"));
    assert!(o.bcc.is_empty(), "Bcc is not shown to recipients");
    assert!(!String::from_utf8_lossy(&raw).contains(&carol.name), "the Bcc address does not leak");
    assert!(o.message_id.as_deref().is_some_and(|m| m.ends_with("@example.test")));
    assert!(o.date.is_some());
    assert!(o.text.contains("le rapport est joint."));
    let hashes: Vec<(String, String)> = o.attachments.iter().map(|a| (a.name.clone(), sha(&a.bytes))).collect();
    assert_eq!(hashes, vec![("rapport été.pdf".to_string(), sha(&pdf)), ("notes.txt".to_string(), sha(&text))]);

    let mut carol_imap = carol.imap().await;
    arrives(&mut carol_imap, "INBOX", "Rapport trimestriel").await;

    let mut alice_imap = alice.imap().await;
    let sent_uid = arrives(&mut alice_imap, "Sent", "Rapport trimestriel").await;
    let flags = flags_of(&mut alice_imap, "Sent", sent_uid).await;
    assert!(flags.iter().any(|f| f == "Seen"), "{flags:?}");
    let sent = facteur::mail::mime::original(&fetch_raw(&mut alice_imap, "Sent", sent_uid).await).unwrap();
    assert_eq!(sent.message_id, o.message_id, "Sent holds the very message sent");
    assert_eq!(sent.bcc[0].address.as_deref(), Some(carol.name.as_str()), "the sender's copy keeps Bcc");
    assert_eq!(sent.attachments.len(), 2);
    assert!(search(&mut alice_imap, "Drafts", "Subject", "Rapport").await.is_empty(), "no draft is left");

    // The addresses written to become contacts for the autocomplete.
    let bob_local = bob.name.split('@').next().unwrap();
    let s = b.get(&format!("/contacts/suggest?q={bob_local}")).await;
    assert!(s.body.contains(&bob.name) && s.body.contains("Bob"), "{}", s.body);
    let uploads = app.state.uploads.list(&alice.name.to_lowercase(), &form.get("draft")).await;
    assert!(uploads.is_empty(), "uploaded files are removed once sent");
}

#[tokio::test]
async fn replies_and_forwards_thread_flag_the_original_and_pick_recipients() {
    let app = TestApp::start().await;
    let (alice, bob, carol) = (dovecot().user(), dovecot().user(), dovecot().user());
    let mut alice_imap = alice.imap().await;
    let original = format!(
        "From: Bob <{bob}>\r\nTo: {alice}, Carol <{carol}>\r\nCc: dave@example.org, {alice_upper}\r\n\
         Subject: Re: Planning\r\nDate: Tue, 3 Nov 2026 10:00:00 +0100\r\nMessage-ID: <orig-1@example.test>\r\n\
         References: <root@example.test> <mid@example.test>\r\nIn-Reply-To: <mid@example.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nShall we meet on Friday?\r\n\
         --b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"agenda.bin\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nAAECAwQF/w==\r\n--b--\r\n",
        bob = bob.name,
        alice = alice.name,
        carol = carol.name,
        alice_upper = alice.name.to_uppercase()
    );
    let (uid, uv) = append(&mut alice_imap, "INBOX", original.as_bytes()).await;
    let b = Browser::new(&app);
    b.login(&alice).await;
    let q = format!("mb=INBOX&uv={uv}&uid={uid}");

    // The message page offers the replies.
    let msg = b.get(&format!("/m/INBOX/{uv}/{uid}")).await;
    let msg = Page { body: msg.body.replace("&#38;", "&amp;"), ..msg };
    for mode in ["reply", "all", "forward", "attach"] {
        assert!(msg.body.contains(&format!("/compose?mode={mode}&amp;{}", q.replace('&', "&amp;"))), "no {mode} link");
    }

    // Reply-all: Bob in To, the others in Cc, never Alice herself.
    let (_, form) = compose_page(&b, &format!("/compose?mode=all&{q}")).await;
    assert!(form.get("to").contains(&bob.name));
    let cc = form.get("cc");
    assert!(cc.contains(&carol.name) && cc.contains("dave@example.org"), "{cc}");
    assert!(!cc.to_lowercase().contains(&alice.name.to_lowercase()), "own address left out: {cc}");
    assert_eq!(form.get("subject"), "Re: Planning", "no stacked Re:");
    assert_eq!(form.get("in_reply_to"), "<orig-1@example.test>");
    assert_eq!(form.get("references"), "<root@example.test> <mid@example.test> <orig-1@example.test>");
    assert!(form.get("body").contains("Bob wrote:\n> Shall we meet on Friday?"), "{}", form.get("body"));

    // Plain reply, sent: threading headers arrive, the original gets \Answered.
    let (_, mut form) = compose_page(&b, &format!("/compose?mode=reply&{q}")).await;
    assert!(form.get("cc").is_empty());
    let body = format!("Yes, Friday works.\n{}", form.get("body"));
    form.set("body", &body);
    let res = post_compose(&b, &form, "send", &[], false).await;
    let page = follow(&b, res).await;
    assert!(page.body.contains("Message sent."), "{}", page.body);
    assert!(page.url.contains(&format!("/m/INBOX/{uv}/{uid}")), "back to the original: {}", page.url);
    let mut bob_imap = bob.imap().await;
    let got = arrives(&mut bob_imap, "INBOX", "Re: Planning").await;
    let reply = facteur::mail::mime::original(&fetch_raw(&mut bob_imap, "INBOX", got).await).unwrap();
    assert_eq!(reply.in_reply_to, vec!["orig-1@example.test".to_string()]);
    assert_eq!(reply.references, vec!["root@example.test", "mid@example.test", "orig-1@example.test"]);
    assert!(reply.text.starts_with("Yes, Friday works."));
    assert!(flags_of(&mut alice_imap, "INBOX", uid).await.iter().any(|f| f == "Answered"));

    // Forward inline keeps the attachment; the original gets $Forwarded.
    let (_, mut form) = compose_page(&b, &format!("/compose?mode=forward&{q}")).await;
    assert_eq!(form.get("subject"), "Fwd: Re: Planning");
    assert!(form.get("body").contains("---------- Forwarded message ----------"));
    assert!(form.get("body").contains("Shall we meet on Friday?"));
    form.set("to", &carol.name);
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert!(page.body.contains("Message sent."), "{}", page.body);
    let mut carol_imap = carol.imap().await;
    let got = arrives(&mut carol_imap, "INBOX", "Fwd: Re: Planning").await;
    let fwd = facteur::mail::mime::original(&fetch_raw(&mut carol_imap, "INBOX", got).await).unwrap();
    assert_eq!(fwd.attachments.len(), 1);
    assert_eq!(fwd.attachments[0].name, "agenda.bin");
    assert_eq!(fwd.attachments[0].bytes, vec![0, 1, 2, 3, 4, 5, 255]);
    let flags = flags_of(&mut alice_imap, "INBOX", uid).await;
    assert!(flags.iter().any(|f| f.contains("$Forwarded")), "{flags:?}");

    // Forward as attachment: the original travels whole as message/rfc822.
    let (_, mut form) = compose_page(&b, &format!("/compose?mode=attach&{q}")).await;
    form.set("to", &carol.name).set("subject", "Fwd as attachment: Planning");
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert!(page.body.contains("Message sent."), "{}", page.body);
    let got = arrives(&mut carol_imap, "INBOX", "Fwd as attachment").await;
    let raw = fetch_raw(&mut carol_imap, "INBOX", got).await;
    assert!(String::from_utf8_lossy(&raw).contains("message/rfc822"));
    let att = facteur::mail::mime::original(&raw).unwrap().attachments;
    assert_eq!(att.len(), 1);
    assert_eq!(att[0].name, "Re: Planning.eml");
    let inner = facteur::mail::mime::original(&att[0].bytes).unwrap();
    assert_eq!(inner.message_id.as_deref(), Some("orig-1@example.test"));
}

#[tokio::test]
async fn drafts_are_replaced_not_piled_up_and_continue_in_compose() {
    let app = TestApp::start().await;
    let (alice, bob) = (dovecot().user(), dovecot().user());
    let b = Browser::new(&app);
    b.login(&alice).await;
    let (_, mut form) = compose_page(&b, "/compose").await;
    form.set("to", &bob.name).set("subject", "Draft in progress").set("body", "first words");
    let mut alice_imap = alice.imap().await;
    for n in 1..=3 {
        form.set("body", &format!("version {n}"));
        let res = post_compose(&b, &form, "save", &[("plan.txt", b"the plan".to_vec(), "text/plain")][..usize::from(n == 1)], true).await;
        assert_eq!(res.status().as_u16(), 200);
        let v: serde_json::Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
        assert_eq!(v["saved"], true);
        let replaces = v["replaces"].as_str().unwrap().to_string();
        assert!(replaces.contains(':'), "{v}");
        form.set("replaces", &replaces);
        let drafts = search(&mut alice_imap, "Drafts", "Subject", "Draft in progress").await;
        assert_eq!(drafts.len(), 1, "one draft after save {n}, not a pile");
        assert_eq!(format!("{}", drafts[0]), replaces.split(':').nth(1).unwrap());
    }
    let uid = search(&mut alice_imap, "Drafts", "Subject", "Draft in progress").await[0];
    let flags = flags_of(&mut alice_imap, "Drafts", uid).await;
    assert!(flags.iter().any(|f| f == "Draft"), "{flags:?}");
    let raw = fetch_raw(&mut alice_imap, "Drafts", uid).await;
    let saved = facteur::mail::mime::original(&raw).unwrap();
    assert_eq!(saved.text.trim(), "version 3");
    assert_eq!(saved.attachments.len(), 1, "the attachment is in the draft");

    // Opened from Drafts (a new page, as from another device), it continues in compose.
    let uv = alice_imap.select("Drafts").await.unwrap().uid_validity.unwrap();
    let msg = b.get(&format!("/m/Drafts/{uv}/{uid}")).await;
    let msg = Page { body: msg.body.replace("&#38;", "&amp;"), ..msg };
    assert!(msg.body.contains(&format!("/compose?mode=draft&amp;mb=Drafts&amp;uv={uv}&amp;uid={uid}")));
    let (page, mut resumed) = compose_page(&b, &format!("/compose?mode=draft&mb=Drafts&uv={uv}&uid={uid}")).await;
    assert_eq!(resumed.get("to"), bob.name);
    assert_eq!(resumed.get("subject"), "Draft in progress");
    assert_eq!(resumed.get("body").trim(), "version 3");
    assert_eq!(resumed.get("replaces"), format!("{uv}:{uid}"));
    assert!(page.body.contains("plan.txt"), "the draft's attachment is listed");
    resumed.set("body", "final version");
    let page = follow(&b, post_compose(&b, &resumed, "send", &[], false).await).await;
    assert!(page.body.contains("Message sent."), "{}", page.body);
    assert!(search(&mut alice_imap, "Drafts", "Subject", "Draft in progress").await.is_empty(), "the draft is removed once sent");
    let mut bob_imap = bob.imap().await;
    let got = arrives(&mut bob_imap, "INBOX", "Draft in progress").await;
    let m = facteur::mail::mime::original(&fetch_raw(&mut bob_imap, "INBOX", got).await).unwrap();
    assert_eq!(m.text.trim(), "final version");
    assert_eq!(m.attachments.len(), 1);
    assert!(!String::from_utf8_lossy(&fetch_raw(&mut bob_imap, "INBOX", got).await).contains("X-Facteur"), "draft fields stay private");

    // A draft saves while addresses are half typed: the finished ones are kept.
    let (_, mut form) = compose_page(&b, "/compose").await;
    form.set("to", &format!("{}, bo", bob.name)).set("subject", "Half typed\r\n");
    let res = post_compose(&b, &form, "save", &[], true).await;
    assert_eq!(res.status().as_u16(), 200);
    let uid = search(&mut alice_imap, "Drafts", "Subject", "Half typed").await[0];
    let saved = facteur::mail::mime::original(&fetch_raw(&mut alice_imap, "Drafts", uid).await).unwrap();
    assert_eq!(saved.to.len(), 1);
    assert_eq!(saved.subject, "Half typed");

    // Discarding a saved draft removes it.
    let (_, mut form) = compose_page(&b, "/compose").await;
    form.set("subject", "To be discarded");
    let v: serde_json::Value = serde_json::from_str(&post_compose(&b, &form, "save", &[], true).await.text().await.unwrap()).unwrap();
    form.set("replaces", v["replaces"].as_str().unwrap());
    assert_eq!(search(&mut alice_imap, "Drafts", "Subject", "To be discarded").await.len(), 1);
    let page = follow(&b, post_compose(&b, &form, "discard", &[], false).await).await;
    assert!(page.body.contains("The message was discarded."));
    assert!(search(&mut alice_imap, "Drafts", "Subject", "To be discarded").await.is_empty());
}

#[tokio::test]
async fn a_double_submit_sends_one_message() {
    let app = TestApp::start().await;
    let (alice, bob) = (dovecot().user(), dovecot().user());
    let b = Browser::new(&app);
    b.login(&alice).await;
    let (_, mut form) = compose_page(&b, "/compose").await;
    form.set("to", &bob.name).set("subject", "Only once").set("body", "double click");
    let (r1, r2) = tokio::join!(post_compose(&b, &form, "send", &[], false), post_compose(&b, &form, "send", &[], false));
    assert_eq!((r1.status().as_u16(), r2.status().as_u16()), (303, 303));
    // (Both land on the inbox; the two notices share one session, so only one may show.)
    let pages = [follow(&b, r1).await, follow(&b, r2).await];
    assert!(pages.iter().all(|p| p.status == 200 && p.url.contains("/f/INBOX")));
    // And a later resubmission (the back button) too.
    let again = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert!(again.body.contains("This message was already sent."));
    let mut bob_imap = bob.imap().await;
    arrives(&mut bob_imap, "INBOX", "Only once").await;
    // Every submission was over when the answers came back: once Postfix holds nothing more
    // for Bob, everything sent to him is in his inbox.
    let d = dovecot();
    assert!(eventually(Duration::from_secs(20), || async { d.queued_for(&bob.name) == 0 }).await, "Postfix delivers");
    assert_eq!(search(&mut bob_imap, "INBOX", "Subject", "Only once").await.len(), 1, "exactly one message sent");
    let mut alice_imap = alice.imap().await;
    assert_eq!(search(&mut alice_imap, "Sent", "Subject", "Only once").await.len(), 1);
}

#[tokio::test]
async fn bad_input_is_refused_in_the_form_and_nothing_typed_is_lost() {
    let app = TestApp::start_with(|c| c.max_message_size = 300_000, |_| {}).await;
    let (alice, bob) = (dovecot().user(), dovecot().user());
    let b = Browser::new(&app);
    b.login(&alice).await;
    let (_, mut form) = compose_page(&b, "/compose").await;
    let body_text = "A long text I do not want to type again.";

    // No recipient.
    form.set("subject", "Hello").set("body", body_text);
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("Add at least one recipient."));
    assert_eq!(field(&page.body, "body"), body_text);

    // Invalid addresses are named and highlighted.
    form.set("to", &format!("{}, not-an-address, x@", bob.name));
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("Not an email address: not-an-address, x@"), "{}", page.body);
    assert!(page.body.contains("aria-invalid=\"true\" aria-describedby=\"to-error\""));
    assert_eq!(field(&page.body, "to"), format!("{}, not-an-address, x@", bob.name));
    assert_eq!(field(&page.body, "subject"), "Hello");

    // CR/LF in header fields: refused, never turned into extra headers.
    form.set("to", &format!("{}\r\nBcc: victim@example.org", bob.name));
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert_eq!(page.status, 422);
    form.set("to", &bob.name).set("subject", "Hello\r\nBcc: victim@example.org");
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("Line breaks are not allowed here."));

    // An attachment over the limit is refused with the limit named; the rest stays.
    form.set("subject", "Hello");
    let page = follow(&b, post_compose(&b, &form, "attach", &[("big.bin", vec![7u8; 400_000], "application/octet-stream"), ("small.txt", b"ok".to_vec(), "text/plain")], false).await).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("“big.bin” was not attached: a message may be 293 KB at most."), "{}", page.body);
    assert!(page.body.contains("small.txt"));
    assert_eq!(field(&page.body, "body"), body_text);
    assert_eq!(app.state.uploads.list(&alice.name.to_lowercase(), &form.get("draft")).await.len(), 1);

    // A recipient the server refuses: the message is kept in Drafts, the user told why.
    form.set("to", "nobody-here@example.test");
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert_eq!(page.status, 502);
    assert!(page.body.contains("The outgoing mail server said:"), "{}", page.body);
    assert!(page.body.contains("Your message is kept in Drafts"), "{}", page.body);
    let mut alice_imap = alice.imap().await;
    assert_eq!(search(&mut alice_imap, "Drafts", "Subject", "Hello").await.len(), 1);
    // Fixed and sent again: delivered, and the draft is gone.
    let mut form = Form::from_page(&page.body);
    form.set("to", &bob.name);
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert!(page.body.contains("Message sent."), "{}", page.body);
    assert!(search(&mut alice_imap, "Drafts", "Subject", "Hello").await.is_empty());
    let mut bob_imap = bob.imap().await;
    let uid = arrives(&mut bob_imap, "INBOX", "Hello").await;
    let m = facteur::mail::mime::original(&fetch_raw(&mut bob_imap, "INBOX", uid).await).unwrap();
    assert_eq!(m.attachments.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), vec!["small.txt"]);
    assert!(m.bcc.is_empty() && !String::from_utf8_lossy(&fetch_raw(&mut bob_imap, "INBOX", uid).await).contains("victim"));
}

#[tokio::test]
async fn when_the_smtp_server_is_down_the_message_waits_in_drafts_until_it_is_back() {
    let users: Vec<(String, String)> = vec![("ann@example.test".into(), "ann-pw".into()), ("ben@example.test".into(), "ben-pw".into())];
    let mail = PrivateMail::start(&users);
    let (imap_port, smtp_port) = (mail.imap_port, mail.submission_port);
    let app = TestApp::start_with(
        |_| {},
        |env| {
            env.insert("FACTEUR_IMAP_PORT".into(), imap_port.to_string());
            env.insert("FACTEUR_SMTP_PORT".into(), smtp_port.to_string());
        },
    )
    .await;
    let ann = TestUser::new("ann@example.test", "ann-pw", imap_port);
    let ben = TestUser::new("ben@example.test", "ben-pw", imap_port);
    let b = Browser::new(&app);
    b.login(&ann).await;
    let (_, mut form) = compose_page(&b, "/compose").await;
    form.set("to", &ben.name).set("subject", "While Postfix was down").set("body", "Still here?");
    mail.smtp_stop();
    let page = follow(&b, post_compose(&b, &form, "send", &[("a.txt", b"kept".to_vec(), "text/plain")], false).await).await;
    assert_eq!(page.status, 502);
    assert!(page.body.contains("the outgoing mail server cannot be reached"), "{}", page.body);
    assert!(page.body.contains("Your message is kept in Drafts"));
    assert_eq!(field(&page.body, "body"), "Still here?");
    let mut ann_imap = ann.imap().await;
    assert_eq!(search(&mut ann_imap, "Drafts", "Subject", "While Postfix was down").await.len(), 1);

    mail.smtp_start();
    let form = Form::from_page(&page.body);
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert!(page.body.contains("Message sent."), "{}", page.body);
    let mut ben_imap = ben.imap().await;
    let uid = arrives(&mut ben_imap, "INBOX", "While Postfix was down").await;
    let m = facteur::mail::mime::original(&fetch_raw(&mut ben_imap, "INBOX", uid).await).unwrap();
    assert_eq!(m.attachments[0].bytes, b"kept");
    assert!(search(&mut ann_imap, "Drafts", "Subject", "While Postfix was down").await.is_empty());
    assert_eq!(search(&mut ann_imap, "Sent", "Subject", "While Postfix was down").await.len(), 1);
}

#[tokio::test]
async fn a_silent_smtp_server_times_out_and_a_foreign_sender_is_refused() {
    // A server that accepts connections and never speaks.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let _keep = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            held.push(s);
        }
    });
    let app = TestApp::start_with(
        |c| c.smtp_timeout = Duration::from_secs(2),
        |env| drop(env.insert("FACTEUR_SMTP_PORT".into(), port.to_string())),
    )
    .await;
    let (alice, bob) = (dovecot().user(), dovecot().user());
    let b = Browser::new(&app);
    b.login(&alice).await;
    let (_, mut form) = compose_page(&b, "/compose").await;
    form.set("to", &bob.name).set("subject", "Into the void");
    let started = std::time::Instant::now();
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert_eq!(page.status, 502);
    assert!(page.body.contains("did not answer in time"), "{}", page.body);
    assert!(started.elapsed() < Duration::from_secs(15), "the send is bounded");

    // Sending as an address the account does not own: Postfix says 553, the form says why.
    let app = TestApp::start().await;
    let b = Browser::new(&app);
    b.login(&alice).await;
    facteur::store::compose::save_identity(
        &app.state.db,
        &alice.name.to_lowercase(),
        &facteur::store::compose::Identity {
            id: 0,
            email: "ceo@example.test".into(),
            name: "Not Me".into(),
            signature: String::new(),
            is_default: true,
        },
    )
    .await
    .unwrap();
    let (_, mut form) = compose_page(&b, "/compose").await;
    form.set("to", &bob.name).set("subject", "Spoofed");
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert_eq!(page.status, 502);
    assert!(page.body.contains("not owned by user"), "{}", page.body);
}

#[tokio::test]
async fn mailto_links_prefill_the_form() {
    let app = TestApp::start().await;
    let alice = dovecot().user();
    let b = Browser::new(&app);
    b.login(&alice).await;
    let (_, form) = compose_page(&b, "/compose?to=bob%40example.test&cc=c%40example.test&subject=Hi%20there&body=Line%201%0ALine%202").await;
    assert_eq!((form.get("to").as_str(), form.get("cc").as_str(), form.get("subject").as_str()), ("bob@example.test", "c@example.test", "Hi there"));
    assert!(form.get("body").starts_with("Line 1\nLine 2"));
    let (_, form) = compose_page(&b, "/compose?mailto=mailto%3Ainfo%40example.test%3Fsubject%3DQuestion%26body%3DHello").await;
    assert_eq!((form.get("to").as_str(), form.get("subject").as_str()), ("info@example.test", "Question"));
    // Not logged in: the login page, then back to the prefilled form.
    let anon = Browser::new(&app);
    let res = anon.raw_get("/compose?to=bob%40example.test").await;
    let loc = res.headers().get("location").unwrap().to_str().unwrap().to_string();
    assert!(loc.starts_with("/login?next=%2Fcompose%3Fto%3Dbob"), "{loc}");
}

#[tokio::test]
async fn smtp_over_starttls_and_implicit_tls_with_a_private_ca() {
    let d = dovecot();
    // STARTTLS against the port that offers AUTH only after it: a client that skipped it
    // would fail here rather than pass in plain text.
    for (security, port) in [("starttls", d.submission_starttls_port), ("tls", d.submissions_port)] {
        let ca = d.ca_file().display().to_string();
        let app = TestApp::start_with(
            |_| {},
            |env| {
                env.insert("FACTEUR_SMTP_HOST".into(), "localhost".into());
                env.insert("FACTEUR_SMTP_PORT".into(), port.to_string());
                env.insert("FACTEUR_SMTP_SECURITY".into(), security.into());
                env.insert("FACTEUR_TLS_CA_FILE".into(), ca.clone());
            },
        )
        .await;
        let (alice, bob) = (d.user(), d.user());
        let b = Browser::new(&app);
        b.login(&alice).await;
        let (_, mut form) = compose_page(&b, "/compose").await;
        let subject = format!("Over {security}");
        form.set("to", &bob.name).set("subject", &subject);
        let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
        assert!(page.body.contains("Message sent."), "{security}: {}", page.body);
        let mut bob_imap = bob.imap().await;
        arrives(&mut bob_imap, "INBOX", &subject).await;
    }
}

/// The downgrade the STARTTLS test guards against: a client that skips STARTTLS on that port
/// sends nothing. The server's side of it is checked with a raw client: no AUTH before
/// STARTTLS there, while the plain port takes the same login.
#[tokio::test]
async fn without_starttls_the_starttls_only_submission_port_sends_nothing() {
    let d = dovecot();
    let (alice, bob) = (d.user(), d.user());
    let auth = format!("AUTH PLAIN {}", base64_plain(&alice.name, &alice.password));

    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", d.submission_starttls_port)).await.unwrap();
    read_smtp_reply(&mut tcp).await;
    send_line(&mut tcp, "EHLO client.example.test").await;
    let ehlo = read_smtp_reply(&mut tcp).await;
    assert!(ehlo.contains("STARTTLS") && !ehlo.contains("AUTH"), "AUTH offered before STARTTLS: {ehlo}");
    send_line(&mut tcp, &auth).await;
    let refused = read_smtp_reply(&mut tcp).await;
    assert!(refused.starts_with("530 "), "AUTH before STARTTLS: {refused}");
    send_line(&mut tcp, "STARTTLS").await;
    assert!(read_smtp_reply(&mut tcp).await.starts_with("220 "));
    let mut tls = tls_client(&d.ca_file(), "localhost", tcp).await;
    send_line(&mut tls, "EHLO client.example.test").await;
    assert!(read_smtp_reply(&mut tls).await.contains("AUTH PLAIN"));
    send_line(&mut tls, &auth).await;
    let ok = read_smtp_reply(&mut tls).await;
    assert!(ok.starts_with("235 "), "AUTH after STARTTLS: {ok}");

    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", d.submission_port)).await.unwrap();
    read_smtp_reply(&mut tcp).await;
    send_line(&mut tcp, "EHLO client.example.test").await;
    read_smtp_reply(&mut tcp).await;
    send_line(&mut tcp, &auth).await;
    let ok = read_smtp_reply(&mut tcp).await;
    assert!(ok.starts_with("235 "), "the plain port takes plain text logins: {ok}");

    // Facteur told to use plain text on the STARTTLS-only port: the send fails before any
    // message is handed over, and the message stays in Drafts.
    let app = TestApp::start_with(
        |_| {},
        |env| {
            env.insert("FACTEUR_SMTP_HOST".into(), "localhost".into());
            env.insert("FACTEUR_SMTP_PORT".into(), d.submission_starttls_port.to_string());
            env.insert("FACTEUR_SMTP_SECURITY".into(), "plain".into());
        },
    )
    .await;
    let b = Browser::new(&app);
    b.login(&alice).await;
    let (_, mut form) = compose_page(&b, "/compose").await;
    form.set("to", &bob.name).set("subject", "Skipped STARTTLS").set("body", "in the clear");
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert_eq!(page.status, 502, "{}", page.body);
    assert!(!page.body.contains("Message sent."), "{}", page.body);
    assert!(page.body.contains("Your message is kept in Drafts"), "{}", page.body);
    let mut alice_imap = alice.imap().await;
    assert_eq!(search(&mut alice_imap, "Drafts", "Subject", "Skipped STARTTLS").await.len(), 1);
    assert!(search(&mut alice_imap, "Sent", "Subject", "Skipped STARTTLS").await.is_empty());
}

#[tokio::test]
async fn identities_choose_the_sender_and_contacts_are_editable() {
    let app = TestApp::start().await;
    let (alice, bob) = (dovecot().user(), dovecot().user());
    let alias = format!("sales-{}", alice.name);
    dovecot().add_alias(&alias, &alice.name);
    let b = Browser::new(&app);
    b.login(&alice).await;
    let settings = b.get("/settings").await;
    let token = csrf(&settings.body);
    assert!(settings.body.contains(&alice.name), "the login is listed as the first address");

    // Bad input is refused with a message.
    let page = b.post("/settings/identities", &[("csrf", &token), ("id", "0"), ("email", "not an address"), ("op", "save")]).await;
    assert!(page.body.contains("Enter one email address"), "{}", page.body);
    let page = b.post("/settings/identities", &[("csrf", &token), ("id", "0"), ("email", &alias), ("name", "Ann\r\nBcc: x@example.org"), ("op", "save")]).await;
    assert!(page.body.contains("The name must fit on one line"));

    b.post("/settings/identities", &[("csrf", &token), ("id", "0"), ("email", &alice.name), ("name", "Alice"), ("signature", "Alice\nAccounts"), ("default", "on"), ("op", "save")]).await;
    b.post("/settings/identities", &[("csrf", &token), ("id", "0"), ("email", &alias), ("name", "Alice (Sales)"), ("signature", "The sales team"), ("op", "save")]).await;
    let ids = facteur::store::compose::identities(&app.state.db, &alice.name.to_lowercase()).await.unwrap();
    assert_eq!(ids.iter().map(|i| (i.email.as_str(), i.is_default)).collect::<Vec<_>>(), vec![(alice.name.as_str(), true), (alias.as_str(), false)]);

    // A new message starts with the default identity's signature.
    let (_, form) = compose_page(&b, "/compose").await;
    assert_eq!(form.get("identity"), ids[0].id.to_string());
    assert!(form.get("body").ends_with("\n-- \nAlice\nAccounts"), "{:?}", form.get("body"));

    // A reply to mail written to the alias goes out from the alias, with its signature.
    let mut alice_imap = alice.imap().await;
    let msg = format!("From: {bob}\r\nTo: {alias}\r\nSubject: Quote please\r\nMessage-ID: <q1@example.test>\r\n\r\nHow much?\r\n", bob = bob.name);
    let (uid, uv) = append(&mut alice_imap, "INBOX", msg.as_bytes()).await;
    let (_, mut form) = compose_page(&b, &format!("/compose?mode=reply&mb=INBOX&uv={uv}&uid={uid}")).await;
    assert_eq!(form.get("identity"), ids[1].id.to_string());
    assert!(form.get("body").contains("The sales team"));
    form.set("body", &format!("10 euros.{}", form.get("body")));
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert!(page.body.contains("Message sent."), "{}", page.body);
    let mut bob_imap = bob.imap().await;
    let got = arrives(&mut bob_imap, "INBOX", "Re: Quote please").await;
    let m = facteur::mail::mime::original(&fetch_raw(&mut bob_imap, "INBOX", got).await).unwrap();
    assert_eq!(m.from[0].address.as_deref(), Some(alias.as_str()));
    assert_eq!(m.from[0].name.as_deref(), Some("Alice (Sales)"));

    // Contacts: collected on send, added, renamed and removed by hand.
    let contacts = b.get("/contacts").await;
    assert!(contacts.body.contains(&bob.name));
    let token = csrf(&contacts.body);
    b.post("/contacts", &[("csrf", &token), ("email", "Zoe@Example.org"), ("name", "Zoé <script>"), ("op", "save")]).await;
    let page = b.get("/contacts").await;
    assert!(page.body.contains("zoe@example.org") && page.body.contains("Zoé &#60;script&#62;"), "names are text");
    let s = b.get("/contacts/suggest?q=zo").await;
    let v: serde_json::Value = serde_json::from_str(&s.body).unwrap();
    assert_eq!(v[0]["email"], "zoe@example.org");
    assert_eq!(v[0]["text"], "\"Zoé <script>\" <zoe@example.org>");
    b.post("/contacts", &[("csrf", &token), ("email", "zoe@example.org"), ("op", "delete")]).await;
    assert!(!b.get("/contacts").await.body.contains("zoe@example.org"));
    let page = b.post("/contacts", &[("csrf", &token), ("email", "nope"), ("op", "save")]).await;
    assert!(page.body.contains("Enter one email address"));
    // Another user sees none of it.
    let other = Browser::new(&app);
    other.login(&bob).await;
    assert_eq!(other.get("/contacts/suggest?q=zo").await.body, "[]");
}

#[tokio::test]
async fn with_saving_to_sent_turned_off_nothing_is_filed_in_sent() {
    let app = TestApp::start_with(|c| c.save_sent = false, |_| {}).await;
    let (alice, bob) = (dovecot().user(), dovecot().user());
    let b = Browser::new(&app);
    b.login(&alice).await;
    let (_, mut form) = compose_page(&b, "/compose").await;
    form.set("to", &bob.name).set("subject", "Not filed");
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert!(page.body.contains("Message sent."));
    let mut bob_imap = bob.imap().await;
    arrives(&mut bob_imap, "INBOX", "Not filed").await;
    let mut alice_imap = alice.imap().await;
    assert!(search(&mut alice_imap, "Sent", "Subject", "Not filed").await.is_empty());
}

/// A TCP relay to Postfix's submission port that, once the client has sent the end of a
/// message's data, passes nothing more back: the server takes the message, its answer is lost
/// (a connection that stalls at the worst moment).
async fn relay_losing_the_answer_to_data() -> u16 {
    relay(dovecot().submission_port, || {
        let mut tail: Vec<u8> = Vec::new();
        move |sent: &[u8]| {
            tail.extend_from_slice(sent);
            let end = tail.windows(5).any(|w| w == b"\r\n.\r\n");
            tail.drain(..tail.len().saturating_sub(4));
            if end { Relayed::MuteAnswers } else { Relayed::Pass }
        }
    })
    .await
}

#[tokio::test]
async fn a_send_whose_answer_never_comes_says_it_may_have_gone() {
    let port = relay_losing_the_answer_to_data().await;
    let app = TestApp::start_with(
        |_| {},
        |env| {
            env.insert("FACTEUR_SMTP_PORT".into(), port.to_string());
            env.insert("FACTEUR_SMTP_TIMEOUT_SECONDS".into(), "3".into());
        },
    )
    .await;
    let (ann, bob) = (dovecot().user(), dovecot().user());
    let b = Browser::new(&app);
    b.login(&ann).await;
    let (_, mut form) = compose_page(&b, "/compose").await;
    form.set("to", &bob.name).set("subject", "Did it go?").set("body", "Perhaps.");
    let page = follow(&b, post_compose(&b, &form, "send", &[], false).await).await;
    assert_eq!(page.status, 502, "{}", page.body);
    assert!(page.body.contains("it may have been sent"), "not told it may have gone: {}", page.body);
    assert!(!page.body.contains("The message was not sent"), "{}", page.body);
    // It went: Postfix took it before its answer was lost. It is kept in Drafts all the same.
    let mut bob_imap = bob.imap().await;
    arrives(&mut bob_imap, "INBOX", "Did it go?").await;
    let mut ann_imap = ann.imap().await;
    assert_eq!(search(&mut ann_imap, "Drafts", "Subject", "Did it go?").await.len(), 1);
}
