//! Who is logged in: the web session (tower-sessions), the key cookie that opens the sealed
//! IMAP password, and the extractor handlers use.

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

use super::AppState;
use super::error::AppError;
use crate::config::Secret;
use crate::mail::Credentials;

pub const SESSION_COOKIE: &str = "facteur_session";
pub const KEY_COOKIE: &str = "facteur_key";
pub const AUTH_KEY: &str = "auth";

/// What the session store keeps about a login. The password is sealed (see [`crate::secrets`]).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthData {
    pub username: String,
    pub sealed_password: Vec<u8>,
    pub created_at: i64,
    /// When the session began, in milliseconds (for "sign out everywhere").
    #[serde(default)]
    pub created_ms: i64,
    pub csrf: String,
    #[serde(default)]
    pub prefs: crate::store::prefs::Preferences,
    /// The servers chosen at login (older sessions have none: chosen again from the name).
    #[serde(default)]
    pub servers: Option<crate::config::Servers>,
    /// Half signed in: the password was right, the second step is still to come, until this
    /// time (Unix milliseconds). 0: signed in.
    #[serde(default)]
    pub pending_until_ms: i64,
    /// This session's row in the list of where the user is signed in (empty in sessions older
    /// than that list).
    #[serde(default)]
    pub sign_in_id: String,
    /// The hoster requires two-step sign-in and the user has not set it up: only Settings →
    /// Security opens until they do.
    #[serde(default)]
    pub setup_required: bool,
}

impl AuthData {
    /// The user's key for their IMAP connections: one pair per user, however many sessions.
    pub fn key(&self) -> String {
        user_key(&self.username)
    }

    /// Half signed in, and its few minutes for the second step not over yet.
    pub fn awaiting_second_step(&self) -> bool {
        self.pending_until_ms != 0 && crate::clock::unix_ms() <= self.pending_until_ms
    }
}

pub fn user_key(username: &str) -> String {
    username.trim().to_lowercase()
}

/// The value of cookie `name`, if the request has it.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

/// A `Set-Cookie` header for our cookies: always HttpOnly and SameSite=Lax.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> (axum::http::HeaderName, HeaderValue) {
    cookie_header(name, value, max_age_secs, secure, "Lax")
}

/// The same with SameSite=Strict, for a cookie no other site's link may carry.
pub fn set_strict_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> (axum::http::HeaderName, HeaderValue) {
    cookie_header(name, value, max_age_secs, secure, "Strict")
}

fn cookie_header(name: &str, value: &str, max_age_secs: i64, secure: bool, same_site: &str) -> (axum::http::HeaderName, HeaderValue) {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age_secs}");
    if secure {
        c.push_str("; Secure");
    }
    (SET_COOKIE, HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("")))
}

/// Only our own paths are valid redirect targets (no `//host`, no `/\host`, no scheme).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(|c| c.is_control() || c == '\\')
                && !n.starts_with("/login")
                && !n.starts_with("/logout") =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

/// Starts a logged-in session: new session id, sealed password, fresh key cookie.
/// `second_step`: the user has turned two-step sign-in on, so the session begins half signed
/// in (see [`AuthData::pending_until_ms`]).
pub async fn begin(
    state: &AppState,
    session: &Session,
    creds: &Credentials,
    second_step: bool,
    setup_required: bool,
    user_agent: &str,
) -> Result<(axum::http::HeaderName, HeaderValue), AppError> {
    let prefs = crate::store::prefs::get(&state.db, &user_key(&creds.username))
        .await?;
    let cookie_key: [u8; 32] = crate::secrets::random_bytes()?;
    let sealed = state.server_key.seal(&cookie_key, creds.password.expose().as_bytes())?;
    // Nothing of an earlier sign-in in this browser carries over (a key ceremony, recovery
    // codes waiting to be shown, an undo), and the id is new.
    session.clear().await;
    session.cycle_id().await?;
    let auth = AuthData {
        username: creds.username.clone(),
        sealed_password: sealed,
        created_at: crate::clock::unix_secs(),
        created_ms: crate::clock::unix_ms(),
        csrf: crate::secrets::random_token::<24>()?,
        prefs,
        servers: Some(creds.servers.clone()),
        pending_until_ms: if second_step { crate::clock::unix_ms() + crate::two_step::PENDING_MS } else { 0 },
        sign_in_id: crate::secrets::random_token::<18>()?,
        setup_required,
    };
    let address = creds.origin.as_ref().map(|o| o.ip.to_string()).unwrap_or_default();
    crate::store::web_sessions::add(&state.db, &auth.sign_in_id, &auth.key(), user_agent, &address, crate::clock::unix_ms()).await?;
    session.insert(AUTH_KEY, auth).await?;
    let value = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(cookie_key);
    Ok(set_cookie(
        KEY_COOKIE,
        &value,
        state.config.session_absolute_timeout.as_secs() as i64,
        state.config.cookie_secure,
    ))
}

/// The second step passed (a code or a key): a new session id, and the session signed in.
pub async fn complete_second_step(session: &Session, mut auth: AuthData) -> Result<(), AppError> {
    session.cycle_id().await?;
    auth.pending_until_ms = 0;
    session.insert(AUTH_KEY, auth).await?;
    Ok(())
}

/// Ends the session and returns the header that clears the key cookie.
pub async fn end(state: &AppState, session: &Session) -> (axum::http::HeaderName, HeaderValue) {
    if let Ok(Some(auth)) = session.get::<AuthData>(AUTH_KEY).await {
        state.registry.logout(&auth.key()).await;
        if !auth.sign_in_id.is_empty() {
            let _ = crate::store::web_sessions::remove(&state.db, &auth.key(), &auth.sign_in_id).await;
        }
    }
    if let Err(e) = session.flush().await {
        tracing::warn!(error = %e, "could not delete the session");
    }
    set_cookie(KEY_COOKIE, "", 0, state.config.cookie_secure)
}

/// A logged-in user, with the credentials to (re)open their IMAP connection.
pub struct CurrentUser {
    pub auth: AuthData,
    pub creds: Credentials,
    pub session: Session,
    /// The user's language: their preference, else the browser's.
    pub i18n: crate::i18n::I18n,
}

impl CurrentUser {
    pub fn key(&self) -> String {
        self.auth.key()
    }

    /// Checks the CSRF token of a form.
    pub fn check_csrf(&self, token: &str) -> Result<(), AppError> {
        if crate::secrets::token_matches(&self.auth.csrf, token) { Ok(()) } else { Err(AppError::forbidden("CSRF token mismatch")) }
    }
}

fn to_login(parts: &Parts, reason: Option<&str>) -> Response {
    let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let mut url = format!(
        "/login?next={}",
        percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC)
    );
    if let Some(r) = reason {
        url.push_str("&reason=");
        url.push_str(r);
    }
    Redirect::to(&url).into_response()
}

/// Where two-step sign-in is set up.
pub const SECURITY_PAGE: &str = "/settings/security";

/// That page and what it calls (adding a key): all a session that must set up two-step
/// sign-in first may reach.
fn on_security_page(path: &str) -> bool {
    path.strip_prefix(SECURITY_PAGE).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// What a session that must set up two-step sign-in first gets elsewhere: that page, or 401.
fn only_security(parts: &Parts) -> Response {
    if is_page(parts) {
        Redirect::to(SECURITY_PAGE).into_response()
    } else {
        (axum::http::StatusCode::UNAUTHORIZED, "two-step sign-in must be set up first").into_response()
    }
}

/// A page the browser asks for (not a script's request nor an event stream).
fn is_page(parts: &Parts) -> bool {
    parts.method == axum::http::Method::GET
        && parts.headers.get(axum::http::header::ACCEPT).and_then(|v| v.to_str().ok()).is_none_or(|a| a.contains("text/html"))
        && !parts.uri.path().starts_with("/events")
}

/// Whether this session was ended from another device, and the user's "sign out everywhere"
/// time: one query. Its last activity is noted at most once a minute. A database that does
/// not answer ends nobody's session.
async fn session_state(state: &AppState, auth: &AuthData) -> (bool, i64) {
    let key = auth.key();
    if auth.sign_in_id.is_empty() {
        return (false, crate::store::prefs::sessions_not_before(&state.db, &key).await.unwrap_or(0));
    }
    match crate::store::web_sessions::check(&state.db, &auth.sign_in_id, &key).await {
        Ok(Some((last_seen, not_before))) => {
            let now = crate::clock::unix_ms();
            if now - last_seen > 60_000 {
                let _ = crate::store::web_sessions::touch(&state.db, &auth.sign_in_id, now).await;
            }
            (false, not_before)
        }
        Ok(None) => (true, 0),
        Err(_) => (false, 0),
    }
}

/// What a half-signed-in session gets from a route that needs a user: the second step's page
/// (a page asked for by the browser), else 401; once its few minutes are over, the login page.
async fn half_signed_in(parts: &Parts, session: &Session, auth: &AuthData) -> Response {
    if crate::clock::unix_ms() > auth.pending_until_ms {
        let _ = session.flush().await;
        return to_login(parts, Some("ended"));
    }
    if is_page(parts) {
        let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
        Redirect::to(&format!("/login/verify?next={}", percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC))).into_response()
    } else {
        (axum::http::StatusCode::UNAUTHORIZED, "the second step of the sign-in is not done").into_response()
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await.map_err(|e| e.into_response())?;
        let auth = session.get::<AuthData>(AUTH_KEY).await.map_err(|e| AppError::from(e).into_response())?;
        let Some(auth) = auth else { return Err(to_login(parts, None)) };
        if auth.pending_until_ms != 0 {
            return Err(half_signed_in(parts, &session, &auth).await);
        }
        if auth.setup_required && !on_security_page(parts.uri.path()) {
            return Err(only_security(parts));
        }
        let (ended_here, not_before) = session_state(state, &auth).await;
        let began = if auth.created_ms > 0 { auth.created_ms } else { auth.created_at * 1000 };
        let ended_everywhere = ended_here || (not_before > 0 && began <= not_before);
        let expired = ended_everywhere || crate::clock::unix_secs() - auth.created_at > state.config.session_absolute_timeout.as_secs() as i64;
        let key = cookie_value(&parts.headers, KEY_COOKIE)
            .and_then(|k| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(k).ok());
        let password = match (expired, key) {
            (false, Some(k)) => state.server_key.open(&k, &auth.sealed_password),
            _ => None,
        };
        let Some(password) = password.and_then(|p| String::from_utf8(p).ok()) else {
            let _ = session.flush().await;
            return Err(to_login(parts, Some("ended")));
        };
        let servers = match &auth.servers {
            Some(s) => s.clone(),
            None => match state.domains.resolve(&auth.username).await {
                Ok(r) => r.servers,
                Err(_) => {
                    let _ = session.flush().await;
                    return Err(to_login(parts, Some("ended")));
                }
            },
        };
        let origin = crate::web::extract::origin_of(parts, state);
        let creds = Credentials { username: auth.username.clone(), password: Secret::new(password), servers, origin: Some(origin) };
        let i18n = match &auth.prefs.language {
            Some(l) => crate::i18n::I18n::new(l),
            None => crate::i18n::I18n::negotiate(
                parts.headers.get(axum::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
                &state.config.default_language,
            ),
        };
        Ok(Self { auth, creds, session, i18n })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_stay_on_our_site() {
        assert_eq!(safe_next(Some("/f/INBOX?page=2")), "/f/INBOX?page=2");
        for bad in ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:x", "/a\r\nb", "/login"] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn a_session_that_must_set_up_a_second_step_reaches_its_page_and_what_it_calls() {
        for path in ["/settings/security", "/settings/security/passkeys/start", "/settings/security/passkeys/finish"] {
            assert!(on_security_page(path), "{path}");
        }
        for path in ["/settings/securityx", "/settings", "/f/INBOX", "/"] {
            assert!(!on_security_page(path), "{path}");
        }
    }

    #[test]
    fn cookies_are_read_from_any_cookie_header() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("a=1; facteur_key=abc"));
        assert_eq!(cookie_value(&h, KEY_COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie_value(&h, "b"), None);
    }
}
