//! Passkeys and security keys (WebAuthn) as the second step: added and removed in Settings →
//! Security, used after the password. The ceremonies' state waits in the server-side session;
//! the page's script calls the browser's WebAuthn API between the two halves of each.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::Deserialize;
use sha2::Digest;
use tower_sessions::Session;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential, SecurityKey, SecurityKeyAuthentication, SecurityKeyRegistration, Url, Uuid, Webauthn, WebauthnBuilder};

use crate::store::passkeys as store;
use crate::web::AppState;
use crate::web::auth::{AUTH_KEY, AuthData, user_key};
use crate::web::error::AppError;
use crate::web::extract::{ClientOrigin, Ctx};

const REGISTRATION: &str = "passkey_registration";
const AUTHENTICATION: &str = "passkey_authentication";

/// How long a ceremony's answer is awaited (the browser's own timeout is the library's 5 min).
const CEREMONY_MS: i64 = 5 * 60 * 1000;

/// A ceremony's state as it waits in the session: for whom, and since when.
#[derive(serde::Serialize, Deserialize)]
struct Ceremony<T> {
    account: String,
    started_ms: i64,
    state: T,
}

async fn keep<T: serde::Serialize>(session: &Session, name: &str, account: &str, state: T) -> Result<(), AppError> {
    session.insert(name, Ceremony { account: account.to_string(), started_ms: crate::clock::unix_ms(), state }).await?;
    Ok(())
}

/// The ceremony `name` this session started for `account`, used up; none when it was for
/// someone else or is too old.
async fn take<T: serde::de::DeserializeOwned>(session: &Session, name: &str, account: &str) -> Option<T> {
    let c = session.remove::<Ceremony<T>>(name).await.ok().flatten()?;
    (c.account == account && crate::clock::unix_ms() - c.started_ms <= CEREMONY_MS).then_some(c.state)
}

/// The relying party the browser sees: the host name this page was asked from (an address
/// cannot be one), as the brand is chosen. Any port passes the origin check (what binds a key
/// to this site is the host name, which the authenticator signs); `http://` only for
/// `localhost`, the one plain-http origin browsers offer WebAuthn to.
fn webauthn_for(state: &AppState, headers: &HeaderMap) -> Option<Webauthn> {
    let host = state.brands.request_host(headers)?;
    let https = Url::parse(&format!("https://{host}")).ok()?;
    let mut builder = WebauthnBuilder::new(&host, &https).ok()?.allow_any_port(true).rp_name(&state.config.brand_name);
    let http = Url::parse(&format!("http://{host}")).ok()?;
    if host == "localhost" || host.ends_with(".localhost") {
        builder = builder.append_allowed_origin(&http);
    }
    builder.build().ok()
}

/// Keys one user may keep: more is a list nobody manages.
const MAX_KEYS: usize = 20;

/// The user's id for WebAuthn: stable, and says nothing of the address.
fn user_id(account: &str) -> Uuid {
    let digest = sha2::Sha256::digest(format!("facteur webauthn user {account}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

fn keys_of(kept: &[store::Passkey]) -> Vec<SecurityKey> {
    kept.iter().filter_map(|k| serde_json::from_str(&k.credential).ok()).collect()
}

fn refused(text: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(serde_json::json!({ "error": text }))).into_response()
}

/// A refusal the user can do something about: `say` is shown on the page, in their language.
fn refused_saying(text: &str, say: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(serde_json::json!({ "error": text, "say": say }))).into_response()
}

/// The page's token, which these JSON requests carry in a header (checked before the body is
/// read).
fn token(headers: &HeaderMap) -> &str {
    headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default()
}

/// The JSON body, read once the token passed (`None`: not the expected JSON, a 400).
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    serde_json::from_slice(bytes).ok()
}

/// What confirms that a user who has a second step adds another: a fresh code, or a key's
/// answer (JSON).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RegisterStart {
    code: String,
    assertion: String,
}

/// POST /settings/security/passkeys/start: the options for `navigator.credentials.create`.
/// Someone who has a second step already confirms with it first, so that a browser left signed
/// in is no way to add a key of one's own.
pub async fn register_start(cx: Ctx, headers: HeaderMap, ClientOrigin(origin): ClientOrigin, bytes: axum::body::Bytes) -> Result<Response, AppError> {
    cx.check_csrf(token(&headers))?;
    let proof = if bytes.is_empty() { Some(RegisterStart::default()) } else { body::<RegisterStart>(&bytes) };
    let Some(proof) = proof else { return Ok(refused("not the expected JSON")) };
    if super::security::has_second_step(&cx).await? {
        match super::security::fresh_step(&cx, &headers, origin.ip, &proof.code, &proof.assertion).await? {
            Ok(()) => {}
            Err(super::security::NotFresh::Wait(wait)) => {
                let say = cx.i18n().t1("login-error-throttled", "seconds", wait.as_secs().max(1).to_string());
                return Ok((StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, wait.as_secs().max(1).to_string())], Json(serde_json::json!({ "error": "wait", "say": say }))).into_response());
            }
            Err(super::security::NotFresh::Wrong) => return Ok(refused_saying("a fresh second step is needed", cx.i18n().t("verify-error"))),
        }
    }
    let Some(webauthn) = webauthn_for(&cx.state, &headers) else {
        return Ok(refused_saying("a host name is needed", cx.i18n().t("passkey-error-address")));
    };
    let key = cx.key();
    let kept = store::of_user(cx.db(), &key).await?;
    if kept.len() >= MAX_KEYS {
        return Ok(refused_saying("too many keys", cx.i18n().t1("passkey-error-many", "count", MAX_KEYS.to_string())));
    }
    let existing: Vec<_> = keys_of(&kept).iter().map(|k| k.cred_id().clone()).collect();
    let name = &cx.user.auth.username;
    let Ok((options, state)) = webauthn.start_securitykey_registration(user_id(&key), name, name, Some(existing), None, None) else {
        return Ok(refused("passkeys cannot be set up here"));
    };
    keep(&cx.user.session, REGISTRATION, &key, state).await?;
    Ok(Json(options).into_response())
}

#[derive(Deserialize)]
pub struct RegisterFinish {
    #[serde(default)]
    name: String,
    credential: RegisterPublicKeyCredential,
}

/// POST /settings/security/passkeys/finish: the new key, named; the first second step also
/// gets recovery codes (shown once, on the page the script goes to).
pub async fn register_finish(cx: Ctx, headers: HeaderMap, bytes: axum::body::Bytes) -> Result<Response, AppError> {
    cx.check_csrf(token(&headers))?;
    let Some(f) = body::<RegisterFinish>(&bytes) else { return Ok(refused("not the expected JSON")) };
    let Some(webauthn) = webauthn_for(&cx.state, &headers) else { return Ok(refused("no host name")) };
    let Some(state) = take::<SecurityKeyRegistration>(&cx.user.session, REGISTRATION, &cx.key()).await else {
        return Ok(refused("start again"));
    };
    let key = match webauthn.finish_securitykey_registration(&f.credential, &state) {
        Ok(k) => k,
        Err(e) => {
            tracing::info!(user = %cx.user.auth.username, error = %e, "a passkey was not added");
            return Ok(refused("the key's answer was not accepted"));
        }
    };
    let account = cx.key();
    let name: String = f.name.trim().chars().filter(|c| !c.is_control()).take(60).collect();
    let name = if name.is_empty() { cx.i18n().t("passkey-unnamed") } else { name };
    let first = store::of_user(cx.db(), &account).await?.is_empty() && crate::store::two_step::get(cx.db(), &account).await?.totp_secret.is_none();
    // A credential id is the authenticator's random choice; one already kept (for anyone) is
    // not a new key.
    if !store::add(cx.db(), &account, &B64.encode(key.cred_id()), &name, &serde_json::to_string(&key).map_err(anyhow::Error::from)?, crate::clock::unix_ms()).await? {
        return Ok(refused_saying("this key is registered already", cx.i18n().t("passkey-error-known")));
    }
    tracing::info!(user = %cx.user.auth.username, "a passkey was added");
    if first && crate::store::two_step::recovery_left(cx.db(), &account).await? == 0 {
        let codes = super::security::new_codes(&cx, &account).await?;
        cx.user.session.insert(super::security::FRESH_CODES, codes).await?;
    }
    super::security::set_up(&cx).await?;
    Ok(Json(serde_json::json!({ "next": "/settings/security" })).into_response())
}

/// Starts a ceremony over `account`'s keys: the options for `navigator.credentials.get`. Its
/// state waits in the session for [`key_passes`].
async fn start_check(state: &AppState, session: &Session, headers: &HeaderMap, account: &str) -> Result<Response, AppError> {
    let keys = keys_of(&store::of_user(&state.db, account).await?);
    let Some(webauthn) = webauthn_for(state, headers) else { return Ok(refused("no host name")) };
    let Ok((options, ceremony)) = webauthn.start_securitykey_authentication(&keys) else { return Ok(refused("no key is set up")) };
    keep(session, AUTHENTICATION, account, ceremony).await?;
    Ok(Json(options).into_response())
}

/// Whether `credential` answers the ceremony this session started for `account` (which it
/// uses up, passed or not) with one of the keys `account` has now. A key with a signature
/// counter must show it moved on since its last use here, so that a clone falls behind; the
/// new count is stored only if no other use got there first.
async fn key_passes(state: &AppState, session: &Session, headers: &HeaderMap, account: &str, credential: &PublicKeyCredential) -> Result<bool, AppError> {
    let ceremony = take::<SecurityKeyAuthentication>(session, AUTHENTICATION, account).await;
    let result = match (ceremony, webauthn_for(state, headers)) {
        (Some(c), Some(w)) => w.finish_securitykey_authentication(credential, &c).ok(),
        _ => None,
    };
    let Some(result) = result else { return Ok(false) };
    for kept in store::of_user(&state.db, account).await? {
        let Ok(mut key) = serde_json::from_str::<SecurityKey>(&kept.credential) else { continue };
        let Some(moved) = key.update_credential(&result) else { continue };
        if result.counter() > 0 && !moved {
            tracing::warn!(account = %account, key = %kept.name, "a key answered with a signature counter that did not move on (a clone?)");
            return Ok(false);
        }
        let now = crate::clock::unix_ms();
        return Ok(store::used(&state.db, account, &kept.id, &kept.credential, &serde_json::to_string(&key).map_err(anyhow::Error::from)?, now).await?);
    }
    Ok(false)
}

/// POST /settings/security/passkeys/confirm: a ceremony that stands for a fresh second step
/// (removing a key, new recovery codes, turning it off); its answer comes with that form.
pub async fn confirm_start(cx: Ctx, headers: HeaderMap) -> Result<Response, AppError> {
    cx.check_csrf(token(&headers))?;
    start_check(&cx.state, &cx.user.session, &headers, &cx.key()).await
}

/// Whether a form's `assertion` (the key's answer as JSON) passes the ceremony started by
/// [`confirm_start`].
pub(crate) async fn answer_passes(cx: &Ctx, headers: &HeaderMap, assertion: &str) -> Result<bool, AppError> {
    let Ok(credential) = serde_json::from_str::<PublicKeyCredential>(assertion) else { return Ok(false) };
    key_passes(&cx.state, &cx.user.session, headers, &cx.key(), &credential).await
}

/// The half-signed-in session the second step's JSON requests act for: they carry its token,
/// and its second step is still due.
async fn waiting(session: &Session, headers: &HeaderMap) -> Result<Result<AuthData, Response>, AppError> {
    let Some(auth) = session.get::<AuthData>(AUTH_KEY).await?.filter(|a| crate::secrets::token_matches(&a.csrf, token(headers))) else {
        return Err(AppError::forbidden("CSRF token mismatch on the second step"));
    };
    Ok(if auth.awaiting_second_step() { Ok(auth) } else { Err(refused("no sign-in is waiting for its second step")) })
}

/// POST /login/verify/passkey/start: the options for `navigator.credentials.get`, for a
/// half-signed-in session whose user has keys.
pub async fn sign_in_start(State(state): State<AppState>, headers: HeaderMap, session: Session) -> Result<Response, AppError> {
    let auth = match waiting(&session, &headers).await? {
        Ok(a) => a,
        Err(r) => return Ok(r),
    };
    start_check(&state, &session, &headers, &user_key(&auth.username)).await
}

#[derive(Deserialize)]
pub struct SignInFinish {
    next: Option<String>,
    credential: PublicKeyCredential,
}

/// POST /login/verify/passkey/finish: the key's answer; throttled and logged as codes are.
pub async fn sign_in_finish(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
    ClientOrigin(origin): ClientOrigin,
    bytes: axum::body::Bytes,
) -> Result<Response, AppError> {
    let auth = match waiting(&session, &headers).await? {
        Ok(a) => a,
        Err(r) => return Ok(r),
    };
    let Some(f) = body::<SignInFinish>(&bytes) else { return Ok(refused("not the expected JSON")) };
    let account = user_key(&auth.username);
    match state.login_throttle.second_step(origin.ip, &account, || key_passes(&state, &session, &headers, &account, &f.credential)).await? {
        Err(wait) => {
            crate::metrics::login_failure("throttled");
            return Ok((StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, wait.as_secs().max(1).to_string())], Json(serde_json::json!({ "error": "wait" }))).into_response());
        }
        Ok(false) => {
            crate::metrics::login_failure("second-step");
            tracing::warn!(user = %auth.username, ip = %origin.ip, "second step failure");
            return Ok((StatusCode::UNAUTHORIZED, Json(serde_json::json!({ "error": "not accepted" }))).into_response());
        }
        Ok(true) => {}
    }
    tracing::info!(user = %auth.username, ip = %origin.ip, "login second step (key)");
    crate::web::auth::complete_second_step(&session, auth).await?;
    Ok(Json(serde_json::json!({ "next": crate::web::auth::safe_next(f.next.as_deref()) })).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_ceremony_answers_only_for_whom_it_began_and_not_for_long() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:").await.unwrap();
        let session = Session::new(None, std::sync::Arc::new(tower_sessions_sqlx_store::SqliteStore::new(pool)), None);
        keep(&session, AUTHENTICATION, "a@example.test", 7u8).await.unwrap();
        assert_eq!(take::<u8>(&session, AUTHENTICATION, "b@example.test").await, None, "another account's");
        assert_eq!(take::<u8>(&session, AUTHENTICATION, "a@example.test").await, None, "used up by the try before");
        keep(&session, AUTHENTICATION, "a@example.test", 7u8).await.unwrap();
        assert_eq!(take::<u8>(&session, AUTHENTICATION, "a@example.test").await, Some(7));
        let old = Ceremony { account: "a@example.test".to_string(), started_ms: crate::clock::unix_ms() - CEREMONY_MS - 1, state: 7u8 };
        session.insert(AUTHENTICATION, old).await.unwrap();
        assert_eq!(take::<u8>(&session, AUTHENTICATION, "a@example.test").await, None, "too old");
    }
}
