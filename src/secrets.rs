//! Keys and sealed credentials.
//!
//! A user's IMAP password is kept, sealed, in the server-side session so that a restart of
//! Facteur or of the mail server costs nothing but a reconnect. The sealing key is derived from
//! the server's secret key *and* a random key that lives only in the user's HttpOnly cookie:
//! neither a copy of the database nor the server key alone opens it.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

use crate::config::{Config, decode_key};

#[derive(Clone)]
pub struct ServerKey([u8; 32]);

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(<hidden>)")
    }
}

pub fn random_bytes<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).map_err(|e| anyhow::anyhow!("no system randomness: {e}"))?;
    Ok(b)
}

/// Whether two secrets (tokens, MACs) are equal, in time that does not depend on where they
/// differ. Secrets of different lengths are unequal.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}

/// URL-safe base64 of `n` random bytes: session keys, CSRF tokens, ids.
pub fn random_token<const N: usize>() -> anyhow::Result<String> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<N>()?))
}

/// `token` as written into a page: a fresh random pad and the token XORed with it, so that
/// no two compressed responses carry the same bytes for it (a compression side channel such
/// as BREACH guesses a secret that repeats from response to response). [`token_matches`]
/// takes it back.
pub fn mask_token(token: &str) -> String {
    let raw = token.as_bytes();
    let mut out = Vec::with_capacity(raw.len() * 2);
    let mut pad = vec![0u8; raw.len()];
    if getrandom::getrandom(&mut pad).is_err() {
        // No randomness: the token as it is, which the check accepts too.
        return token.to_string();
    }
    out.extend_from_slice(&pad);
    out.extend(raw.iter().zip(&pad).map(|(t, p)| t ^ p));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
}

/// Whether `given` is `token`, plainly or as [`mask_token`] wrote it.
pub fn token_matches(token: &str, given: &str) -> bool {
    if same(token.as_bytes(), given.as_bytes()) {
        return true;
    }
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(given) else { return false };
    if bytes.len() != token.len() * 2 {
        return false;
    }
    let (pad, masked) = bytes.split_at(token.len());
    let unmasked: Vec<u8> = masked.iter().zip(pad).map(|(m, p)| m ^ p).collect();
    same(token.as_bytes(), &unmasked)
}

impl ServerKey {
    /// The configured key, or the one in `secret.key` of the data directory (created on first start).
    pub fn load_or_create(config: &Config) -> anyhow::Result<Self> {
        if let Some(s) = &config.secret_key {
            return decode_key(s.expose())
                .map(Self)
                .ok_or_else(|| anyhow::anyhow!("FACTEUR_SECRET_KEY is not 32 bytes of base64 or hex"));
        }
        let path = config.data_dir.join("secret.key");
        Self::from_file(&path)
    }

    fn from_file(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(s) => decode_key(&s).map(Self).ok_or_else(|| anyhow::anyhow!("{} does not hold a valid key", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = random_bytes()?;
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
                }
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts.open(path).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
                writeln!(f, "{}", base64::engine::general_purpose::STANDARD.encode(key))?;
                tracing::info!(path = %path.display(), "generated a new secret key");
                Ok(Self(key))
            }
            Err(e) => Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
        }
    }

    pub fn from_bytes(b: [u8; 32]) -> Self {
        Self(b)
    }

    /// A key for one purpose (`label`), derived from the server key.
    pub fn derive(&self, label: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(label);
        h.update([0u8]);
        h.update(self.0);
        h.finalize().into()
    }

    fn cipher(&self, cookie_key: &[u8]) -> XChaCha20Poly1305 {
        let mut h = Sha256::new();
        h.update(b"facteur credentials v1\0");
        h.update(self.0);
        h.update(cookie_key);
        let k = h.finalize();
        XChaCha20Poly1305::new(Key::from_slice(&k))
    }

    /// Seals `plain` for the holder of `cookie_key`. Output: nonce (24 bytes) ‖ ciphertext.
    pub fn seal(&self, cookie_key: &[u8], plain: &[u8]) -> anyhow::Result<Vec<u8>> {
        let nonce: [u8; 24] = random_bytes()?;
        let ct = self
            .cipher(cookie_key)
            .encrypt(XNonce::from_slice(&nonce), plain)
            .map_err(|_| anyhow::anyhow!("sealing failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Opens what [`ServerKey::seal`] made; `None` for a wrong key or tampered data.
    pub fn open(&self, cookie_key: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < 24 {
            return None;
        }
        let (nonce, ct) = sealed.split_at(24);
        self.cipher(cookie_key).decrypt(XNonce::from_slice(nonce), ct).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_token_differs_each_time_and_still_matches() {
        let token = random_token::<24>().unwrap();
        let (a, b) = (mask_token(&token), mask_token(&token));
        assert_ne!(a, b);
        assert!(!a.contains(&token));
        assert!(token_matches(&token, &a) && token_matches(&token, &b) && token_matches(&token, &token));
        let other = random_token::<24>().unwrap();
        assert!(!token_matches(&other, &a));
        assert!(!token_matches(&token, "") && !token_matches(&token, "not base64!") && !token_matches(&token, &a[..a.len() - 2]));
    }

    #[test]
    fn sealed_credentials_need_both_keys() {
        let a = ServerKey::from_bytes([7; 32]);
        let b = ServerKey::from_bytes([8; 32]);
        let sealed = a.seal(b"cookie-one", "pässwörd".as_bytes()).unwrap();
        assert!(!sealed.windows(4).any(|w| w == b"p\xc3\xa4s"));
        assert_eq!(a.open(b"cookie-one", &sealed).unwrap(), "pässwörd".as_bytes());
        assert!(a.open(b"cookie-two", &sealed).is_none());
        assert!(b.open(b"cookie-one", &sealed).is_none());
        let mut tampered = sealed.clone();
        tampered[30] ^= 1;
        assert!(a.open(b"cookie-one", &tampered).is_none());
    }

    #[test]
    fn key_file_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/secret.key");
        let k1 = ServerKey::from_file(&p).unwrap();
        let k2 = ServerKey::from_file(&p).unwrap();
        assert_eq!(k1.0, k2.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
