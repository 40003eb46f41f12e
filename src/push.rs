//! New-mail notifications with every tab closed: Web Push (RFC 8030), its message encryption
//! (RFC 8291, `aes128gcm` of RFC 8188) and VAPID (RFC 8292).
//!
//! The news comes from the mail server, not from an IMAP connection per user: Dovecot's
//! `push_notification` plugin (its `ox` driver) sends a request to `PUT /push/dovecot` on each
//! delivery to the Inbox of a user who turned notifications on (Facteur sets the IMAP METADATA
//! entry the driver looks for). Facteur then sends one encrypted push per device the user
//! turned them on for; a device the push service says is gone (404, 410) is forgotten.

use std::sync::Arc;
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hkdf::Hkdf;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use serde::Serialize;
use sha2::Sha256;

use crate::secrets::ServerKey;
use crate::store::Db;
use crate::store::push as store;

/// The record size written in the header: the whole message is one record.
const RECORD_SIZE: u32 = 4096;
/// The most a push carries before encryption (RFC 8291 allows 3993 bytes in one record).
pub const MAX_PLAINTEXT: usize = 3000;
/// How long the push service keeps a message for a device that is offline.
const TTL_SECONDS: u32 = 24 * 3600;
/// How long a VAPID token is valid (RFC 8292: at most a day).
const TOKEN_SECONDS: i64 = 12 * 3600;

/// Encrypts `plaintext` for a subscription (its `p256dh` key and `auth` secret), with a new
/// key pair and salt: the body of a push request (`Content-Encoding: aes128gcm`).
pub fn encrypt(plaintext: &[u8], ua_public: &[u8], auth: &[u8]) -> Option<Vec<u8>> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).ok()?;
    encrypt_with(plaintext, ua_public, auth, &random_secret()?, &salt)
}

fn encrypt_with(plaintext: &[u8], ua_public: &[u8], auth: &[u8], as_secret: &SecretKey, salt: &[u8; 16]) -> Option<Vec<u8>> {
    if auth.len() != 16 || plaintext.len() > MAX_PLAINTEXT {
        return None;
    }
    let ua = PublicKey::from_sec1_bytes(ua_public).ok()?;
    let as_public = as_secret.public_key().to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(as_secret.to_nonzero_scalar(), ua.as_affine());
    // The input key: the shared secret, bound to the subscription's auth secret and both keys.
    let mut key_info = Vec::with_capacity(14 + 65 + 65);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(ua_public);
    key_info.extend_from_slice(as_public.as_bytes());
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), shared.raw_secret_bytes()).expand(&key_info, &mut ikm).ok()?;
    // The content key and nonce (RFC 8188), from that key and the salt.
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek).ok()?;
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce).ok()?;
    let mut record = Vec::with_capacity(plaintext.len() + 1);
    record.extend_from_slice(plaintext);
    // The last (and only) record's delimiter, no padding.
    record.push(2);
    let sealed = Aes128Gcm::new_from_slice(&cek).ok()?.encrypt(Nonce::from_slice(&nonce), record.as_slice()).ok()?;
    let mut body = Vec::with_capacity(16 + 4 + 1 + 65 + sealed.len());
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(as_public.as_bytes());
    body.extend_from_slice(&sealed);
    Some(body)
}

fn random_secret() -> Option<SecretKey> {
    // A random 32-byte string is a valid P-256 scalar but for about 2^-32 of them: try again.
    for _ in 0..8 {
        let mut bytes = [0u8; 32];
        getrandom::getrandom(&mut bytes).ok()?;
        if let Ok(k) = SecretKey::from_slice(&bytes) {
            return Some(k);
        }
    }
    None
}

/// Facteur's VAPID key pair (P-256): push services check that every push to a subscription
/// is signed by the key the subscription was made for.
pub struct Vapid {
    signing: SigningKey,
    /// The public key, uncompressed, as `applicationServerKey` and the header's `k` take it.
    public: Vec<u8>,
}

impl Vapid {
    pub fn from_secret(secret: &[u8]) -> Option<Self> {
        let secret = SecretKey::from_slice(secret).ok()?;
        let public = secret.public_key().to_encoded_point(false).as_bytes().to_vec();
        Some(Self { signing: SigningKey::from(secret), public })
    }

    /// A new key pair, and its secret to keep.
    pub fn generate() -> Option<(Self, Vec<u8>)> {
        let secret = random_secret()?;
        let bytes = secret.to_bytes().to_vec();
        Some((Self::from_secret(&bytes)?, bytes))
    }

    /// The public key in base64url, for the page that subscribes.
    pub fn public_key(&self) -> String {
        B64.encode(&self.public)
    }

    /// The `Authorization` header of a push to `endpoint`: a token for the push service's
    /// origin, valid 12 hours, naming `subject` (how the push service may reach the hoster).
    pub fn authorization(&self, endpoint: &str, subject: &str, now_s: i64) -> Option<String> {
        let url = reqwest::Url::parse(endpoint).ok()?;
        let audience = url.origin().ascii_serialization();
        let header = B64.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = B64.encode(serde_json::to_vec(&serde_json::json!({ "aud": audience, "exp": now_s + TOKEN_SECONDS, "sub": subject })).ok()?);
        let signed = format!("{header}.{claims}");
        let signature: Signature = self.signing.sign(signed.as_bytes());
        Some(format!("vapid t={signed}.{}, k={}", B64.encode(signature.to_bytes()), self.public_key()))
    }
}

/// What a notification shows, as the service worker reads it.
#[derive(Clone, Debug, Serialize)]
pub struct Notification {
    pub title: String,
    pub body: String,
    /// The page a click opens.
    pub url: String,
    /// Notifications of one folder replace each other rather than pile up.
    pub tag: String,
}

/// What became of one push.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// The push service no longer knows the subscription: it is forgotten.
    Gone,
    Failed(String),
}

/// Sends pushes: the VAPID key, the HTTP client, the subscriptions.
pub struct Pusher {
    db: Db,
    vapid: Vapid,
    subject: String,
    client: reqwest::Client,
    /// Whether endpoints may be plain `http://` (a push service on the hoster's own network).
    allow_http: bool,
    /// Where the user set no language.
    default_language: String,
    /// The name notifications without a preview carry.
    brand: String,
}

impl Pusher {
    /// The VAPID key from the database (sealed under the server key), made on first use:
    /// kept, so that subscriptions stay valid across restarts and instances.
    pub async fn new(db: Db, key: &ServerKey, config: &crate::config::Config, subject: String) -> anyhow::Result<Arc<Self>> {
        const CONTEXT: &[u8] = b"facteur vapid key";
        let vapid = match store::vapid_secret(&db).await? {
            Some(sealed) => key.open(CONTEXT, &sealed).and_then(|s| Vapid::from_secret(&s)),
            None => None,
        };
        let vapid = match vapid {
            Some(v) => v,
            None => {
                let (fresh, secret) = Vapid::generate().ok_or_else(|| anyhow::anyhow!("no randomness for a VAPID key"))?;
                // Two instances starting at once: the first key stored wins, the other reads it.
                store::keep_vapid_secret(&db, &key.seal(CONTEXT, &secret)?, crate::clock::unix_ms()).await?;
                match store::vapid_secret(&db).await? {
                    Some(sealed) => key.open(CONTEXT, &sealed).and_then(|s| Vapid::from_secret(&s)).unwrap_or(fresh),
                    None => fresh,
                }
            }
        };
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Arc::new(Self {
            db,
            vapid,
            subject,
            client,
            allow_http: config.push_allow_http,
            default_language: config.default_language.clone(),
            brand: config.brand_name.clone(),
        }))
    }

    pub fn public_key(&self) -> String {
        self.vapid.public_key()
    }

    /// Whether Facteur will send to `endpoint` (see [`endpoint_allowed`]).
    pub fn accepts_endpoint(&self, endpoint: &str) -> bool {
        endpoint_allowed(endpoint, self.allow_http)
    }

    /// The user's language for a notification (their setting, else the server's default).
    pub async fn i18n_for(&self, username: &str) -> crate::i18n::I18n {
        let language = crate::store::prefs::get(&self.db, username).await.ok().and_then(|p| p.language);
        crate::i18n::I18n::new(language.as_deref().unwrap_or(&self.default_language))
    }

    /// A new message in the Inbox: sender and subject, or "New mail" on devices without
    /// preview; a click opens `url`.
    pub async fn new_mail(&self, username: &str, from: &str, subject: &str, url: String) -> usize {
        let i18n = self.i18n_for(username).await;
        let title = if from.trim().is_empty() { i18n.t("push-new-mail") } else { shorten(from, 200) };
        let body = if subject.trim().is_empty() { i18n.t("list-no-subject") } else { shorten(subject, 500) };
        let tag = format!("facteur-{username}");
        let shown = Notification { title, body, url: url.clone(), tag: tag.clone() };
        let private = Notification { title: self.brand.clone(), body: i18n.t("push-new-mail"), url, tag };
        self.notify(username, &shown, &private).await
    }

    /// Snoozed messages are back in the Inbox.
    pub async fn back_from_snooze(&self, username: &str, from: &str, subject: &str) -> usize {
        let i18n = self.i18n_for(username).await;
        let tag = format!("facteur-{username}");
        let url = "/f/INBOX".to_string();
        let title = i18n.t1("push-back-from-snooze", "from", shorten(from, 200));
        let body = if subject.trim().is_empty() { i18n.t("list-no-subject") } else { shorten(subject, 500) };
        let shown = Notification { title, body, url: url.clone(), tag: tag.clone() };
        let private = Notification { title: self.brand.clone(), body: i18n.t("push-snoozed-back"), url, tag };
        self.notify(username, &shown, &private).await
    }

    /// Sends `n` to every device of the user `username` that turned notifications on; devices
    /// that asked for no preview get "New mail" alone. Returns how many pushes were accepted.
    pub async fn notify(&self, username: &str, n: &Notification, private: &Notification) -> usize {
        let subscriptions = match store::of_user(&self.db, username).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "push subscriptions not read");
                return 0;
            }
        };
        let mut sent = 0;
        for s in subscriptions {
            let shown = if s.preview { n } else { private };
            match self.send(&s.endpoint, &s.p256dh, &s.auth, shown).await {
                Outcome::Sent => sent += 1,
                Outcome::Gone => {
                    tracing::info!(user = %username, "a push subscription is gone; forgotten");
                    let _ = store::remove(&self.db, username, &s.endpoint).await;
                }
                Outcome::Failed(why) => tracing::warn!(user = %username, reason = %why, "a push was not accepted"),
            }
        }
        crate::metrics::pushes(sent);
        sent
    }

    /// One push request.
    pub async fn send(&self, endpoint: &str, p256dh: &[u8], auth: &[u8], n: &Notification) -> Outcome {
        if !self.accepts_endpoint(endpoint) {
            return Outcome::Gone;
        }
        let Ok(mut payload) = serde_json::to_vec(n) else { return Outcome::Failed("payload".into()) };
        payload.truncate(MAX_PLAINTEXT);
        let (Some(body), Some(authorization)) = (
            encrypt(&payload, p256dh, auth),
            self.vapid.authorization(endpoint, &self.subject, crate::clock::unix_ms() / 1000),
        ) else {
            // A subscription whose keys cannot be used can never be sent to.
            return Outcome::Gone;
        };
        let sent = self
            .client
            .post(endpoint)
            .header("TTL", TTL_SECONDS.to_string())
            .header("Urgency", "normal")
            .header("Content-Encoding", "aes128gcm")
            .header("Content-Type", "application/octet-stream")
            .header("Authorization", authorization)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => Outcome::Sent,
            Ok(r) if matches!(r.status().as_u16(), 404 | 410) => Outcome::Gone,
            Ok(r) => Outcome::Failed(format!("HTTP {}", r.status().as_u16())),
            Err(e) => Outcome::Failed(e.to_string()),
        }
    }
}

/// Whether pushes may go to `endpoint`: an `https` URL naming a host (browsers' push services
/// are public names), not an IP address nor `localhost`, so that a subscription cannot aim
/// Facteur's requests at the hoster's own network. `local`: a push service on that network
/// (plain `http`, any host), for hosters who run one, and tests.
pub fn endpoint_allowed(endpoint: &str, local: bool) -> bool {
    let Ok(url) = reqwest::Url::parse(endpoint) else { return false };
    if endpoint.len() > 2048 || url.host_str().is_none() || !url.username().is_empty() {
        return false;
    }
    if local {
        return matches!(url.scheme(), "https" | "http");
    }
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let address = host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>().is_ok();
    let named = !address && host != "localhost" && !host.ends_with(".localhost");
    url.scheme() == "https" && named
}

/// `text` cut to `max` characters, with an ellipsis.
fn shorten(text: &str, max: usize) -> String {
    let t = text.trim();
    if t.chars().count() <= max { t.to_string() } else { format!("{}…", t.chars().take(max).collect::<String>()) }
}

/// Base64url without padding, as subscriptions write their keys (padding tolerated).
pub fn decode_key(text: &str) -> Option<Vec<u8>> {
    B64.decode(text.trim().trim_end_matches('=')).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Vec<u8> {
        decode_key(s).unwrap()
    }

    // RFC 8291, Appendix A.
    const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    const UA_PUBLIC: &str = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
    const BODY: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    #[test]
    fn the_rfc_8291_example_is_encrypted_byte_for_byte() {
        let secret = SecretKey::from_slice(&b(AS_PRIVATE)).unwrap();
        let salt: [u8; 16] = b(SALT).try_into().unwrap();
        let body = encrypt_with(b"When I grow up, I want to be a watermelon", &b(UA_PUBLIC), &b(AUTH), &secret, &salt).unwrap();
        assert_eq!(B64.encode(body), BODY);
        // Fresh keys and salt each time: two pushes of the same text differ.
        let (one, two) = (encrypt(b"same", &b(UA_PUBLIC), &b(AUTH)).unwrap(), encrypt(b"same", &b(UA_PUBLIC), &b(AUTH)).unwrap());
        assert_ne!(one, two);
        assert_eq!(one.len(), 16 + 4 + 1 + 65 + 4 + 1 + 16);
        // Keys that are not a subscription's are refused, not sent.
        assert!(encrypt(b"x", &b(UA_PUBLIC)[..64], &b(AUTH)).is_none());
        assert!(encrypt(b"x", &b(UA_PUBLIC), &b(AUTH)[..8]).is_none());
        assert!(encrypt(&[b'x'; MAX_PLAINTEXT + 1], &b(UA_PUBLIC), &b(AUTH)).is_none());
    }

    #[test]
    fn pushes_go_to_public_https_hosts_unless_a_local_push_service_is_allowed() {
        for ok in ["https://fcm.googleapis.com/fcm/send/abc", "https://updates.push.services.mozilla.com/wpush/v2/x", "https://web.push.apple.com/QG"] {
            assert!(endpoint_allowed(ok, false), "{ok}");
        }
        for bad in [
            "http://fcm.googleapis.com/x",
            "https://127.0.0.1/x",
            "https://[::1]/x",
            "https://10.0.0.5:8443/x",
            "https://localhost/x",
            "https://a.localhost/x",
            "https://user:pw@push.example/x",
            "file:///etc/passwd",
            "not a url",
        ] {
            assert!(!endpoint_allowed(bad, false), "{bad}");
        }
        assert!(endpoint_allowed("http://127.0.0.1:9000/push/1", true));
        assert!(!endpoint_allowed("ftp://127.0.0.1/x", true));
    }

    #[test]
    fn a_vapid_token_names_the_push_service_and_verifies_with_its_key() {
        use p256::ecdsa::VerifyingKey;
        use p256::ecdsa::signature::Verifier;
        let (vapid, secret) = Vapid::generate().unwrap();
        assert_eq!(Vapid::from_secret(&secret).unwrap().public_key(), vapid.public_key());
        let header = vapid.authorization("https://push.example.net:8443/send/abc?x=1", "mailto:postmaster@example.org", 1_000).unwrap();
        let (t, k) = header.strip_prefix("vapid t=").unwrap().split_once(", k=").unwrap();
        assert_eq!(b(k).len(), 65);
        let parts: Vec<&str> = t.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value = serde_json::from_slice(&b(parts[1])).unwrap();
        assert_eq!(claims["aud"], "https://push.example.net:8443");
        assert_eq!(claims["exp"], 1_000 + TOKEN_SECONDS);
        assert_eq!(claims["sub"], "mailto:postmaster@example.org");
        let key = VerifyingKey::from_sec1_bytes(&b(k)).unwrap();
        let signature = Signature::from_slice(&b(parts[2])).unwrap();
        assert!(key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature).is_ok());
        assert!(key.verify(b"something else", &signature).is_err());
    }
}
