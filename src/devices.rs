//! Mail app set-up: the settings users type into their desktop and phone apps, and the
//! documents those apps fetch to configure themselves.
//!
//! Everything here is pure: callers look up the account and the servers, these functions only
//! write the documents. Every value in them comes from configuration or from an address a
//! client sent, so it goes through askama's escaping (`templates/devices/*.xml`) and loses any
//! character XML cannot carry at all.

use askama::Template;
use sha2::{Digest, Sha256};

use crate::config::{Security, Upstream};

/// What one mail account's apps need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientSettings {
    /// The full address, which is also the username everywhere.
    pub email: String,
    /// The part after the `@`, lowercase.
    pub domain: String,
    /// The brand name apps show for the account, e.g. "Example Mail".
    pub provider_name: String,
    /// The IMAP server as apps reach it (its public host name).
    pub imap: Upstream,
    /// The submission server apps send through.
    pub smtp: Upstream,
}

/// One server as the documents describe it: the host cleaned, the security mode already spelled
/// the way each format wants it.
struct Server {
    host: String,
    port: u16,
    /// Thunderbird's `socketType`.
    socket_type: &'static str,
    /// Outlook's `SSL` and Apple's `UseSSL`: any TLS at all, implicit or upgraded.
    use_ssl: bool,
    /// Outlook's `Encryption`, which says which kind of TLS; absent without TLS.
    encryption: Option<&'static str>,
}

impl Server {
    fn new(u: &Upstream) -> Self {
        let (socket_type, use_ssl, encryption) = match u.security {
            Security::Tls => ("SSL", true, Some("SSL")),
            Security::StartTls => ("STARTTLS", true, Some("TLS")),
            Security::Plain => ("plain", false, None),
        };
        Self { host: clean(&u.host), port: u.port, socket_type, use_ssl, encryption }
    }
}

/// Keeps only the characters XML 1.0 allows, even escaped: a stray control character in a
/// setting would otherwise make the whole document unreadable to the app.
fn clean(s: &str) -> String {
    s.trim()
        .chars()
        .filter(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..))
        .collect()
}

/// Renders one document. These templates only format strings and numbers, so a failure is a bug:
/// it is logged, and the app gets an empty answer it will ignore rather than a broken one.
fn render(t: &impl Template, what: &'static str) -> String {
    t.render().unwrap_or_else(|e| {
        tracing::error!(document = what, error = %e, "could not render a set-up document");
        String::new()
    })
}

#[derive(Template)]
#[template(path = "devices/autoconfig.xml")]
struct Autoconfig {
    domain: String,
    name: String,
    imap: Server,
    smtp: Server,
}

/// Mozilla's autoconfig (`clientConfig` version 1.1), fetched by Thunderbird, Evolution, KMail,
/// K-9/Thunderbird for Android, FairEmail and others from
/// `autoconfig.<domain>/mail/config-v1.1.xml`.
///
/// The username is the `%EMAILADDRESS%` placeholder rather than the address itself: every client
/// that reads this format substitutes the address the user typed, so the document is the same
/// for everyone in the domain. That keeps it correct when a client leaves out the optional
/// `emailaddress` query parameter, and means a cached copy never shows one user's address to
/// another.
pub fn thunderbird_autoconfig(s: &ClientSettings) -> String {
    let doc = Autoconfig {
        domain: clean(&s.domain),
        name: clean(&s.provider_name),
        imap: Server::new(&s.imap),
        smtp: Server::new(&s.smtp),
    };
    render(&doc, "autoconfig")
}

/// One `<Protocol>` of an Outlook answer.
struct Protocol {
    kind: &'static str,
    server: Server,
}

#[derive(Template)]
#[template(path = "devices/autodiscover.xml")]
struct Autodiscover {
    email: String,
    protocols: [Protocol; 2],
}

/// Outlook's "plain old XML" autodiscover answer (response schema 2006a), POSTed to
/// `autodiscover.<domain>/autodiscover/autodiscover.xml`.
///
/// Unlike Thunderbird's format it has no placeholder, so the login name is the address from the
/// request. `UsePOPAuth` tells Outlook to send with the same credentials it reads with.
pub fn outlook_autodiscover(s: &ClientSettings) -> String {
    let doc = Autodiscover {
        email: clean(&s.email),
        protocols: [
            Protocol { kind: "IMAP", server: Server::new(&s.imap) },
            Protocol { kind: "SMTP", server: Server::new(&s.smtp) },
        ],
    };
    render(&doc, "autodiscover")
}

/// The namespace of Outlook's autodiscover request.
const REQUEST_NS: &str = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006";

/// A real request is a few hundred bytes; anything much bigger is not one.
const MAX_REQUEST: usize = 64 * 1024;

/// The address in an Outlook autodiscover request (`Autodiscover/Request/EMailAddress`), or
/// `None` when the body is not such a request or the address is not plausible.
///
/// The body comes from anyone on the internet: document type declarations (and so entity
/// expansion) are refused, and the parser stops after a small number of nodes.
pub fn outlook_request_email(body: &[u8]) -> Option<String> {
    if body.len() > MAX_REQUEST {
        return None;
    }
    let text = std::str::from_utf8(body).ok()?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let options = roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: 200, ..Default::default() };
    let doc = roxmltree::Document::parse_with_options(text, options).ok()?;
    let root = doc.root_element();
    if !is_request_element(root, "Autodiscover") {
        return None;
    }
    let email = root
        .children()
        .filter(|n| is_request_element(*n, "Request"))
        .flat_map(|r| r.children())
        .find(|n| is_request_element(*n, "EMailAddress"))?
        .text()?
        .trim();
    plausible_address(email).then(|| email.to_string())
}

/// Outlook always uses the request namespace; hand-written probes sometimes leave it out.
fn is_request_element(n: roxmltree::Node, name: &str) -> bool {
    n.is_element() && n.tag_name().name() == name && matches!(n.tag_name().namespace(), None | Some(REQUEST_NS))
}

/// One `@` with something on both sides, no spaces or control characters, and not longer than
/// an address can be. The caller still checks that the domain is one it serves.
fn plausible_address(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.len() <= 254
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[derive(Template)]
#[template(path = "devices/mobileconfig.xml")]
struct Mobileconfig {
    email: String,
    name: String,
    imap: Server,
    smtp: Server,
    profile_id: String,
    profile_uuid: String,
    mail_id: String,
    mail_uuid: String,
}

/// An Apple configuration profile (`.mobileconfig`) with one mail account, for iPhone, iPad and
/// Mac. It is unsigned, so the device shows it as "Not Verified"; it holds no password, so the
/// device asks for it during installation.
///
/// Identifiers and UUIDs are derived from `seed` and the address: downloading the profile again
/// replaces the installed one instead of adding a second account, and nothing about one
/// account can be guessed from another's profile without the seed.
pub fn apple_mobileconfig(s: &ClientSettings, seed: &[u8]) -> String {
    let profile_uuid = stable_uuid(seed, "profile", &s.email);
    let profile_id = format!("{}.facteur.{profile_uuid}", reverse_dns(&s.domain));
    let doc = Mobileconfig {
        email: clean(&s.email),
        name: clean(&s.provider_name),
        imap: Server::new(&s.imap),
        smtp: Server::new(&s.smtp),
        mail_id: clean(&format!("{profile_id}.mail")),
        profile_id: clean(&profile_id),
        mail_uuid: stable_uuid(seed, "mail", &s.email),
        profile_uuid,
    };
    render(&doc, "mobileconfig")
}

/// `mail.example.org` → `org.example.mail`, the reverse-DNS style Apple wants for identifiers.
fn reverse_dns(domain: &str) -> String {
    let labels: Vec<&str> = domain.trim().split('.').filter(|l| !l.is_empty()).rev().collect();
    if labels.is_empty() { "local".to_string() } else { labels.join(".") }
}

/// A UUID-shaped string (version 4 bits set, upper case as Apple writes them) from the first 16
/// bytes of SHA-256 over the seed, a purpose label and the address (case-folded: it is the
/// same account however the user types it).
fn stable_uuid(seed: &[u8], label: &str, email: &str) -> String {
    let mut h = Sha256::new();
    // Length prefixes keep ("ab", "c") and ("a", "bc") apart.
    h.update((seed.len() as u64).to_be_bytes());
    h.update(seed);
    h.update((label.len() as u64).to_be_bytes());
    h.update(label.as_bytes());
    h.update(email.trim().to_lowercase().as_bytes());
    let digest = h.finalize();
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push_str(&format!("{byte:02X}"));
    }
    out
}

/// An account's settings for tests of the documents and of the page.
#[cfg(test)]
pub(crate) mod example {
    use super::*;

    pub fn settings(imap: Security, smtp: Security) -> ClientSettings {
        ClientSettings {
            email: "alice@example.org".into(),
            domain: "example.org".into(),
            provider_name: "Example Mail".into(),
            imap: Upstream { host: "imap.example.org".into(), port: 993, security: imap },
            smtp: Upstream { host: "smtp.example.org".into(), port: 587, security: smtp },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use roxmltree::{Document, Node, ParsingOptions};

    use super::example::settings;

    fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Node<'a, 'i> {
        n.children()
            .find(|c| c.is_element() && c.tag_name().name() == name)
            .unwrap_or_else(|| panic!("no <{name}> in <{}>", n.tag_name().name()))
    }

    fn text<'a>(n: Node<'a, '_>, name: &str) -> &'a str {
        child(n, name).text().unwrap_or_default()
    }

    fn elements<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Vec<Node<'a, 'i>> {
        n.children().filter(|c| c.is_element() && c.tag_name().name() == name).collect()
    }

    // Thunderbird

    #[test]
    fn autoconfig_describes_both_servers() {
        let xml = thunderbird_autoconfig(&settings(Security::Tls, Security::StartTls));
        assert!(xml.starts_with("<?xml"), "the declaration must come first: {xml:?}");
        let doc = Document::parse(&xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "clientConfig");
        assert_eq!(root.attribute("version"), Some("1.1"));
        let provider = child(root, "emailProvider");
        assert_eq!(provider.attribute("id"), Some("example.org"));
        assert_eq!(text(provider, "domain"), "example.org");
        assert_eq!(text(provider, "displayName"), "Example Mail");
        assert_eq!(text(provider, "displayShortName"), "Example Mail");

        let imap = child(provider, "incomingServer");
        assert_eq!(imap.attribute("type"), Some("imap"));
        assert_eq!(text(imap, "hostname"), "imap.example.org");
        assert_eq!(text(imap, "port"), "993");
        assert_eq!(text(imap, "socketType"), "SSL");
        assert_eq!(text(imap, "authentication"), "password-cleartext");
        assert_eq!(text(imap, "username"), "%EMAILADDRESS%");

        let smtp = child(provider, "outgoingServer");
        assert_eq!(smtp.attribute("type"), Some("smtp"));
        assert_eq!(text(smtp, "hostname"), "smtp.example.org");
        assert_eq!(text(smtp, "port"), "587");
        assert_eq!(text(smtp, "socketType"), "STARTTLS");
        assert_eq!(text(smtp, "authentication"), "password-cleartext");
        assert_eq!(text(smtp, "username"), "%EMAILADDRESS%");
    }

    #[test]
    fn autoconfig_socket_type_follows_security() {
        for (security, expected) in
            [(Security::Tls, "SSL"), (Security::StartTls, "STARTTLS"), (Security::Plain, "plain")]
        {
            let xml = thunderbird_autoconfig(&settings(security, security));
            let doc = Document::parse(&xml).unwrap();
            let provider = child(doc.root_element(), "emailProvider");
            assert_eq!(text(child(provider, "incomingServer"), "socketType"), expected);
            assert_eq!(text(child(provider, "outgoingServer"), "socketType"), expected);
        }
    }

    #[test]
    fn autoconfig_escapes_every_value() {
        let mut s = settings(Security::Tls, Security::Tls);
        s.provider_name = "A & B <x> \"q\" 'a'".into();
        s.domain = "ex\"ample.org".into();
        s.imap.host = "imap.example.org</hostname><evil/>".into();
        let xml = thunderbird_autoconfig(&s);
        let doc = Document::parse(&xml).unwrap();
        let provider = child(doc.root_element(), "emailProvider");
        assert_eq!(provider.attribute("id"), Some("ex\"ample.org"));
        assert_eq!(text(provider, "displayName"), "A & B <x> \"q\" 'a'");
        assert_eq!(text(child(provider, "incomingServer"), "hostname"), "imap.example.org</hostname><evil/>");
        assert!(doc.descendants().all(|n| n.tag_name().name() != "evil"));
    }

    #[test]
    fn characters_xml_cannot_carry_are_dropped() {
        let mut s = settings(Security::Tls, Security::Tls);
        s.provider_name = "Bad\u{1}\u{1b}Name\u{fffe}".into();
        let xml = thunderbird_autoconfig(&s);
        let doc = Document::parse(&xml).unwrap();
        assert_eq!(text(child(doc.root_element(), "emailProvider"), "displayName"), "BadName");
    }

    // Outlook

    const RESPONSE_NS: &str = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006";
    const OUTLOOK_NS: &str = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a";

    fn protocols(xml: &str) -> Vec<(String, Vec<(String, String)>)> {
        let doc = Document::parse(xml).unwrap();
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "Autodiscover");
        assert_eq!(root.tag_name().namespace(), Some(RESPONSE_NS));
        let response = child(root, "Response");
        assert_eq!(response.tag_name().namespace(), Some(OUTLOOK_NS));
        let account = child(response, "Account");
        assert_eq!(account.tag_name().namespace(), Some(OUTLOOK_NS));
        assert_eq!(text(account, "AccountType"), "email");
        assert_eq!(text(account, "Action"), "settings");
        elements(account, "Protocol")
            .into_iter()
            .map(|p| {
                let fields = p
                    .children()
                    .filter(|c| c.is_element())
                    .map(|c| (c.tag_name().name().to_string(), c.text().unwrap_or_default().to_string()))
                    .collect::<Vec<_>>();
                (text(p, "Type").to_string(), fields)
            })
            .collect()
    }

    fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
        fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn autodiscover_describes_imap_and_smtp() {
        let xml = outlook_autodiscover(&settings(Security::Tls, Security::StartTls));
        assert!(xml.starts_with("<?xml"));
        let p = protocols(&xml);
        assert_eq!(p.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(), ["IMAP", "SMTP"]);
        let imap = &p[0].1;
        assert_eq!(field(imap, "Server"), Some("imap.example.org"));
        assert_eq!(field(imap, "Port"), Some("993"));
        assert_eq!(field(imap, "SSL"), Some("on"));
        assert_eq!(field(imap, "Encryption"), Some("SSL"));
        assert_eq!(field(imap, "SPA"), Some("off"));
        assert_eq!(field(imap, "AuthRequired"), Some("on"));
        assert_eq!(field(imap, "LoginName"), Some("alice@example.org"));
        let smtp = &p[1].1;
        assert_eq!(field(smtp, "Server"), Some("smtp.example.org"));
        assert_eq!(field(smtp, "Port"), Some("587"));
        assert_eq!(field(smtp, "SSL"), Some("on"));
        assert_eq!(field(smtp, "Encryption"), Some("TLS"));
        assert_eq!(field(smtp, "SPA"), Some("off"));
        assert_eq!(field(smtp, "AuthRequired"), Some("on"));
        assert_eq!(field(smtp, "LoginName"), Some("alice@example.org"));
        assert_eq!(field(smtp, "UsePOPAuth"), Some("on"));
    }

    #[test]
    fn autodiscover_without_tls_says_so() {
        let p = protocols(&outlook_autodiscover(&settings(Security::Plain, Security::Plain)));
        for (_, fields) in &p {
            assert_eq!(field(fields, "SSL"), Some("off"));
            assert_eq!(field(fields, "Encryption"), None);
        }
    }

    #[test]
    fn autodiscover_escapes_the_address() {
        let mut s = settings(Security::Tls, Security::Tls);
        s.email = "a&b<c>@example.org".into();
        let p = protocols(&outlook_autodiscover(&s));
        assert_eq!(field(&p[0].1, "LoginName"), Some("a&b<c>@example.org"));
    }

    const REQUEST: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
  <Request>
    <EMailAddress> Alice@Example.org
    </EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
  </Request>
</Autodiscover>"#;

    #[test]
    fn request_address_is_read_and_trimmed() {
        assert_eq!(outlook_request_email(REQUEST.as_bytes()).as_deref(), Some("Alice@Example.org"));
        let with_bom = format!("\u{feff}{REQUEST}");
        assert_eq!(outlook_request_email(with_bom.as_bytes()).as_deref(), Some("Alice@Example.org"));
        let bare = "<Autodiscover><Request><EMailAddress>bob@example.org</EMailAddress></Request></Autodiscover>";
        assert_eq!(outlook_request_email(bare.as_bytes()).as_deref(), Some("bob@example.org"));
    }

    #[test]
    fn request_without_a_usable_address_gives_none() {
        let cases: &[&[u8]] = &[
            b"",
            b"   ",
            b"\xff\xfe\x00<\x00A",
            b"not xml at all",
            b"<Autodiscover><Request></Request></Autodiscover>",
            b"<Autodiscover><Request><EMailAddress>  </EMailAddress></Request></Autodiscover>",
            b"<Autodiscover><Request><EMailAddress>no-at-sign</EMailAddress></Request></Autodiscover>",
            b"<Autodiscover><Request><EMailAddress>a b@example.org</EMailAddress></Request></Autodiscover>",
            b"<Autodiscover><Request><EMailAddress>a@b@example.org</EMailAddress></Request></Autodiscover>",
            b"<Autodiscover><Request><EMailAddress>@example.org</EMailAddress></Request></Autodiscover>",
            b"<Autodiscover><EMailAddress>a@example.org</EMailAddress></Autodiscover>",
            b"<Other><Request><EMailAddress>a@example.org</EMailAddress></Request></Other>",
            b"<x:Autodiscover xmlns:x=\"urn:other\"><x:Request><x:EMailAddress>a@example.org</x:EMailAddress></x:Request></x:Autodiscover>",
            b"<Autodiscover><Request><EMailAddress>a@example.org",
        ];
        for body in cases {
            assert_eq!(outlook_request_email(body), None, "{:?}", String::from_utf8_lossy(body));
        }
    }

    #[test]
    fn request_garbage_never_panics() {
        // A cheap deterministic generator: every byte value, markup characters and broken UTF-8.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let alphabet = b"<>/=\"'&;!?[]-#xX0aA \n\xc3\xa9\xff\xfeAutodiscover EMailAddress Request";
        for len in 0..400 {
            let body: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect();
            let _ = outlook_request_email(&body);
        }
        let all: Vec<u8> = (0..=255u8).collect();
        assert_eq!(outlook_request_email(&all), None);
        assert_eq!(outlook_request_email(&vec![b'<'; MAX_REQUEST + 1]), None);
    }

    #[test]
    fn request_with_entities_is_refused() {
        let mut laughs = String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE Autodiscover [\n<!ENTITY l0 \"lol\">\n");
        for i in 1..10 {
            let prev = format!("&l{};", i - 1);
            laughs.push_str(&format!("<!ENTITY l{i} \"{}\">\n", prev.repeat(10)));
        }
        laughs.push_str(
            "]>\n<Autodiscover><Request><EMailAddress>&l9;@example.org</EMailAddress></Request></Autodiscover>",
        );
        let started = std::time::Instant::now();
        assert_eq!(outlook_request_email(laughs.as_bytes()), None);
        assert!(started.elapsed() < std::time::Duration::from_secs(1));

        let external = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\
            <Autodiscover><Request><EMailAddress>&x;</EMailAddress></Request></Autodiscover>";
        assert_eq!(outlook_request_email(external.as_bytes()), None);
    }

    // Apple

    fn plist_options<'i>() -> ParsingOptions<'i> {
        ParsingOptions { allow_dtd: true, ..Default::default() }
    }

    /// A plist `<dict>` as (key, value element) pairs, checking each key is followed by its value.
    fn dict<'a, 'i>(n: Node<'a, 'i>) -> Vec<(String, Node<'a, 'i>)> {
        assert_eq!(n.tag_name().name(), "dict");
        let items: Vec<Node> = n.children().filter(|c| c.is_element()).collect();
        assert_eq!(items.len() % 2, 0, "a dict holds key/value pairs");
        items
            .chunks(2)
            .map(|pair| {
                assert_eq!(pair[0].tag_name().name(), "key");
                assert_ne!(pair[1].tag_name().name(), "key", "key {:?} has no value", pair[0].text());
                (pair[0].text().unwrap_or_default().to_string(), pair[1])
            })
            .collect()
    }

    /// A plist value as text: `<string>x</string>` → `x`, `<integer>1</integer>` → `1`, `<true/>` → `true`.
    fn value(n: Node) -> String {
        match n.tag_name().name() {
            "true" | "false" => n.tag_name().name().to_string(),
            _ => n.text().unwrap_or_default().to_string(),
        }
    }

    fn get<'a, 'i>(d: &[(String, Node<'a, 'i>)], key: &str) -> Option<Node<'a, 'i>> {
        d.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    fn values(d: &[(String, Node)]) -> Vec<(String, String)> {
        d.iter().filter(|(_, v)| v.tag_name().name() != "array").map(|(k, v)| (k.clone(), value(*v))).collect()
    }

    fn is_uuid(s: &str) -> bool {
        let b = s.as_bytes();
        s.len() == 36
            && s.char_indices()
                .all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() })
            && b[14] == b'4'
            && matches!(b[19], b'8' | b'9' | b'A' | b'B')
    }

    #[test]
    fn mobileconfig_has_one_mail_payload() {
        let xml = apple_mobileconfig(&settings(Security::Tls, Security::StartTls), b"seed");
        assert!(xml.starts_with("<?xml"));
        let doc = Document::parse_with_options(&xml, plist_options()).unwrap();
        let plist = doc.root_element();
        assert_eq!(plist.tag_name().name(), "plist");
        assert_eq!(plist.attribute("version"), Some("1.0"));
        let top = dict(child(plist, "dict"));
        let top_values = values(&top);
        let t = |k: &str| top_values.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        assert_eq!(t("PayloadType"), Some("Configuration"));
        assert_eq!(t("PayloadVersion"), Some("1"));
        assert_eq!(t("PayloadDisplayName"), Some("Example Mail"));
        assert_eq!(t("PayloadRemovalDisallowed"), Some("false"));
        assert!(is_uuid(t("PayloadUUID").unwrap()), "{:?}", t("PayloadUUID"));
        let profile_id = t("PayloadIdentifier").unwrap();
        assert!(profile_id.starts_with("org.example."), "{profile_id}");

        let content = get(&top, "PayloadContent").unwrap();
        assert_eq!(content.tag_name().name(), "array");
        let payloads = elements(content, "dict");
        assert_eq!(payloads.len(), 1);
        let mail = values(&dict(payloads[0]));
        let expected = [
            ("EmailAccountDescription", "Example Mail"),
            ("EmailAccountType", "EmailTypeIMAP"),
            ("EmailAddress", "alice@example.org"),
            ("IncomingMailServerAuthentication", "EmailAuthPassword"),
            ("IncomingMailServerHostName", "imap.example.org"),
            ("IncomingMailServerPortNumber", "993"),
            ("IncomingMailServerUseSSL", "true"),
            ("IncomingMailServerUsername", "alice@example.org"),
            ("OutgoingMailServerAuthentication", "EmailAuthPassword"),
            ("OutgoingMailServerHostName", "smtp.example.org"),
            ("OutgoingMailServerPortNumber", "587"),
            ("OutgoingMailServerUseSSL", "true"),
            ("OutgoingMailServerUsername", "alice@example.org"),
            ("OutgoingPasswordSameAsIncomingPassword", "true"),
            ("PayloadDescription", "alice@example.org"),
            ("PayloadDisplayName", "Example Mail"),
        ];
        for (k, v) in expected {
            assert!(mail.contains(&(k.to_string(), v.to_string())), "missing {k} = {v} in {mail:?}");
        }
        let m = |k: &str| mail.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        assert_eq!(m("PayloadType").as_deref(), Some("com.apple.mail.managed"));
        assert_eq!(m("PayloadVersion").as_deref(), Some("1"));
        assert!(is_uuid(&m("PayloadUUID").unwrap()));
        assert_ne!(m("PayloadUUID").as_deref(), t("PayloadUUID"));
        assert!(m("PayloadIdentifier").unwrap().starts_with(profile_id));
        assert_eq!(m("IncomingMailServerPassword"), None, "the password is never in the profile");
        assert_eq!(m("OutgoingMailServerPassword"), None);
        // Integers must be plist integers, not strings, or the device rejects the profile.
        let raw = dict(payloads[0]);
        assert_eq!(get(&raw, "IncomingMailServerPortNumber").unwrap().tag_name().name(), "integer");
        assert_eq!(get(&raw, "OutgoingMailServerPortNumber").unwrap().tag_name().name(), "integer");
    }

    #[test]
    fn mobileconfig_use_ssl_follows_security() {
        for (security, expected) in [(Security::Tls, "true"), (Security::StartTls, "true"), (Security::Plain, "false")]
        {
            let xml = apple_mobileconfig(&settings(security, security), b"seed");
            let doc = Document::parse_with_options(&xml, plist_options()).unwrap();
            let top = dict(child(doc.root_element(), "dict"));
            let mail = values(&dict(elements(get(&top, "PayloadContent").unwrap(), "dict")[0]));
            for key in ["IncomingMailServerUseSSL", "OutgoingMailServerUseSSL"] {
                assert!(mail.contains(&(key.to_string(), expected.to_string())), "{security:?} {key}");
            }
        }
    }

    fn uuids(xml: &str) -> Vec<String> {
        let doc = Document::parse_with_options(xml, plist_options()).unwrap();
        doc.descendants()
            .filter(|n| n.tag_name().name() == "key" && n.text() == Some("PayloadUUID"))
            .filter_map(|k| k.next_sibling_element()?.text().map(str::to_string))
            .collect()
    }

    #[test]
    fn mobileconfig_identity_is_stable_per_account() {
        let alice = settings(Security::Tls, Security::Tls);
        let mut bob = alice.clone();
        bob.email = "bob@example.org".into();
        let mut alice_upper = alice.clone();
        alice_upper.email = "Alice@Example.org".into();

        let a1 = uuids(&apple_mobileconfig(&alice, b"seed"));
        assert_eq!(a1.len(), 2);
        assert_ne!(a1[0], a1[1]);
        assert_eq!(a1, uuids(&apple_mobileconfig(&alice, b"seed")));
        assert_eq!(a1, uuids(&apple_mobileconfig(&alice_upper, b"seed")));
        let b = uuids(&apple_mobileconfig(&bob, b"seed"));
        assert!(a1.iter().all(|u| !b.contains(u)));
        let other_seed = uuids(&apple_mobileconfig(&alice, b"other"));
        assert!(a1.iter().all(|u| !other_seed.contains(u)));
        assert!(a1.iter().chain(&b).all(|u| is_uuid(u)));
    }

    #[test]
    fn mobileconfig_escapes_every_value() {
        let mut s = settings(Security::Tls, Security::Tls);
        s.provider_name = "A & B <x>".into();
        s.email = "o'neil&co@example.org".into();
        let xml = apple_mobileconfig(&s, b"seed");
        let doc = Document::parse_with_options(&xml, plist_options()).unwrap();
        let top = dict(child(doc.root_element(), "dict"));
        let top_values = values(&top);
        assert!(top_values.contains(&("PayloadDisplayName".into(), "A & B <x>".into())));
        let mail = values(&dict(elements(get(&top, "PayloadContent").unwrap(), "dict")[0]));
        assert!(mail.contains(&("EmailAddress".into(), "o'neil&co@example.org".into())));
        assert!(mail.contains(&("EmailAccountDescription".into(), "A & B <x>".into())));
    }

    #[test]
    fn reverse_dns_and_uuid_shape() {
        assert_eq!(reverse_dns("mail.example.org"), "org.example.mail");
        assert_eq!(reverse_dns(".example.org."), "org.example");
        assert_eq!(reverse_dns(""), "local");
        let u = stable_uuid(b"s", "profile", "a@example.org");
        assert!(is_uuid(&u), "{u}");
        assert_ne!(u, stable_uuid(b"s", "mail", "a@example.org"));
    }
}
