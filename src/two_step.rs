//! Two-step sign-in: after the mail password, a code from an authenticator app (TOTP, RFC
//! 6238) or a single-use recovery code. Facteur guards its own door with it; the mail server
//! still knows only the password (mail apps sign in with it alone).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use totp_rs::{Algorithm, Builder, Totp};

use crate::secrets::ServerKey;

/// How long a half-signed-in session (the password given, not the second step) may wait.
pub const PENDING_MS: i64 = 5 * 60 * 1000;
/// Recovery codes given at once.
pub const RECOVERY_CODES: usize = 10;
/// Letters of a recovery code: no 0/o, 1/l/i to mistake.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A new authenticator secret: 160 bits, as RFC 4226 recommends.
pub fn new_secret() -> anyhow::Result<[u8; 20]> {
    crate::secrets::random_bytes()
}

/// The usual authenticator-app settings (SHA-1, 6 digits, 30 s), one step of skew each way.
fn totp(secret: &[u8], issuer: &str, account: &str) -> Option<Totp> {
    let mut builder = Builder::new().with_algorithm(Algorithm::SHA1).with_digits(6).with_skew(1).with_step_duration(30).with_secret(secret.to_vec());
    if !account.is_empty() {
        // The app shows "issuer (account)"; ':' separates the two in the URL, so none inside.
        builder = builder.with_account_name(account.replace(':', " ")).with_issuer(Some(issuer.replace(':', " ")));
    }
    builder.build().ok()
}

/// The time step of `code` among the previous, current and next steps at `now_s`, if it is
/// one of theirs. Spaces in the code are ignored.
pub fn code_step(secret: &[u8], code: &str, now_s: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    totp(secret, "", "")?.check(&code, now_s)
}

/// The code of `secret` at `time_s` (for tests and the benchmark, which play the app).
pub fn code_at(secret: &[u8], time_s: u64) -> Option<String> {
    Some(totp(secret, "", "")?.generate(time_s).to_string())
}

/// The `otpauth://` URL an authenticator app reads from the QR code.
pub fn otpauth_url(secret: &[u8], issuer: &str, account: &str) -> Option<String> {
    totp(secret, issuer, account)?.to_url().ok()
}

/// The secret as people type it into an app without a camera (base32, in groups of four).
pub fn secret_text(secret: &[u8]) -> String {
    let b32 = base32_encode(secret);
    b32.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

fn base32_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// `text` as a QR code, an SVG element (our own markup: safe in the page).
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build();
    // The element alone, without the XML declaration.
    svg.find("<svg").map(|i| svg[i..].to_string())
}

/// Ten new recovery codes, `xxxxx-xxxxx` (about 49 bits each).
pub fn new_recovery_codes() -> anyhow::Result<Vec<String>> {
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    for _ in 0..RECOVERY_CODES {
        let raw: [u8; 10] = crate::secrets::random_bytes()?;
        let letters: String = raw.iter().map(|b| RECOVERY_ALPHABET[*b as usize % RECOVERY_ALPHABET.len()] as char).collect();
        codes.push(format!("{}-{}", &letters[..5], &letters[5..]));
    }
    Ok(codes)
}

/// A recovery code as typed: case, spaces and dashes do not matter.
pub fn normalize_recovery(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

/// Keyed hashes of recovery codes: without the server key, a copy of the database does not
/// let anyone try codes offline.
pub struct RecoveryHasher {
    key: [u8; 32],
}

impl RecoveryHasher {
    pub fn new(server_key: &ServerKey) -> Self {
        Self { key: server_key.derive(b"facteur recovery codes v1") }
    }

    pub fn hash(&self, username: &str, code: &str) -> Vec<u8> {
        let Ok(mut m) = <Hmac<Sha256> as Mac>::new_from_slice(&self.key) else { return Vec::new() };
        m.update(username.as_bytes());
        m.update(b"\n");
        m.update(normalize_recovery(code).as_bytes());
        m.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_of_the_steps_around_now_pass_once_others_do_not() {
        // RFC 6238 Appendix B: the SHA-1 secret "12345678901234567890", 8 digits at 59 s is
        // 94287082; with 6 digits, its last six.
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59).unwrap(), "287082");
        let now = 1_000_000_000u64;
        let step = now / 30;
        for (offset, expected) in [(-30i64, Some(step - 1)), (0, Some(step)), (30, Some(step + 1))] {
            let code = code_at(secret, (now as i64 + offset) as u64).unwrap();
            assert_eq!(code_step(secret, &code, now), expected, "offset {offset}");
            let spaced = format!("{} {}", &code[..3], &code[3..]);
            assert_eq!(code_step(secret, &spaced, now), expected);
        }
        for far in [-90i64, -60, 60, 90] {
            let code = code_at(secret, (now as i64 + far) as u64).unwrap();
            assert_eq!(code_step(secret, &code, now), None, "offset {far}");
        }
        for bad in ["", "12345", "1234567", "abcdef", "12 34 5x"] {
            assert_eq!(code_step(secret, bad, now), None, "{bad:?}");
        }
    }

    #[test]
    fn the_app_gets_a_url_and_a_text_secret() {
        let secret = [7u8; 20];
        let url = otpauth_url(&secret, "Facteur", "alice@example.org").unwrap();
        assert!(url.starts_with("otpauth://totp/"), "{url}");
        assert!(url.contains("secret=A4DQOBYHA4DQOBYHA4DQOBYHA4DQOBYH"), "{url}");
        assert!(url.contains("issuer=Facteur"), "{url}");
        assert_eq!(secret_text(&secret), "A4DQ OBYH A4DQ OBYH A4DQ OBYH A4DQ OBYH");
        assert!(otpauth_url(&secret, "Facteur: mail", "a:b@example.org").is_some(), "':' taken out");
        let svg = qr_svg(&url).unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{}", &svg[..80]);
    }

    #[test]
    fn recovery_codes_are_ten_distinct_and_hashed_per_user_and_key() {
        let codes = new_recovery_codes().unwrap();
        assert_eq!(codes.len(), 10);
        assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        let h = RecoveryHasher::new(&ServerKey::from_bytes([1; 32]));
        assert_eq!(h.hash("a", "ABCDE-fghjk"), h.hash("a", "abcde fghjk"));
        assert_ne!(h.hash("a", "abcde-fghjk"), h.hash("b", "abcde-fghjk"));
        assert_ne!(h.hash("a", "abcde-fghjk"), RecoveryHasher::new(&ServerKey::from_bytes([2; 32])).hash("a", "abcde-fghjk"));
    }
}
