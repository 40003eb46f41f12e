//! Two-step sign-in: the second step after the password, and Settings → Security where it is
//! set up, its recovery codes renewed, and turned off (which needs a fresh second step).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use crate::store::two_step as store;
use crate::two_step::{self, RecoveryHasher};
use crate::web::AppState;
use crate::web::auth::{self, AUTH_KEY, AuthData, user_key};
use crate::web::error::AppError;
use crate::web::extract::{ClientOrigin, Ctx, Lang};
use crate::web::notice;
use crate::web::format::{self, UserZone};
use crate::web::views::security::{PasskeyRow, SecurityPage, SessionRow, Setup, VerifyPage};

/// The sealing context of a user's authenticator secret.
fn totp_context(account: &str) -> Vec<u8> {
    format!("facteur totp {account}").into_bytes()
}

#[derive(Deserialize)]
pub struct VerifyQuery {
    next: Option<String>,
}

/// The half-signed-in session, if it still may take the second step; otherwise where to go.
async fn pending(session: &Session, next: &str) -> Result<Result<AuthData, Response>, AppError> {
    let Some(auth) = session.get::<AuthData>(AUTH_KEY).await? else {
        return Ok(Err(Redirect::to("/login").into_response()));
    };
    if auth.pending_until_ms == 0 {
        return Ok(Err(Redirect::to(next).into_response()));
    }
    if crate::clock::unix_ms() > auth.pending_until_ms {
        let _ = session.flush().await;
        return Ok(Err(Redirect::to("/login?reason=ended").into_response()));
    }
    Ok(Ok(auth))
}

/// GET /login/verify
pub async fn verify_page(State(state): State<AppState>, headers: HeaderMap, session: Session, Lang(i18n): Lang, Query(q): Query<VerifyQuery>) -> Result<Response, AppError> {
    let next = auth::safe_next(q.next.as_deref());
    let auth = match pending(&session, &next).await? {
        Ok(a) => a,
        Err(r) => return Ok(r),
    };
    let i18n = auth.prefs.language.as_deref().map(crate::i18n::I18n::new).unwrap_or(i18n);
    let brand = state.brands.for_request(&headers);
    let mut page = VerifyPage::new(brand, i18n, crate::secrets::mask_token(&auth.csrf), next, None);
    page.passkeys = !crate::store::passkeys::of_user(&state.db, &user_key(&auth.username)).await?.is_empty();
    Ok(page.into_response())
}

#[derive(Deserialize)]
pub struct VerifyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    next: Option<String>,
}

/// POST /login/verify: an authenticator code or a recovery code, throttled and logged as
/// passwords are.
pub async fn verify(
    State(state): State<AppState>,
    headers: HeaderMap,
    session: Session,
    Lang(i18n): Lang,
    ClientOrigin(origin): ClientOrigin,
    Form(f): Form<VerifyForm>,
) -> Result<Response, AppError> {
    let next = auth::safe_next(f.next.as_deref());
    // The token first: a form from elsewhere gets nothing, whatever the session's state.
    let token_ok = session.get::<AuthData>(AUTH_KEY).await?.is_some_and(|a| crate::secrets::token_matches(&a.csrf, &f.csrf));
    if !token_ok {
        return Err(AppError::forbidden("CSRF token mismatch on the second step"));
    }
    let auth = match pending(&session, &next).await? {
        Ok(a) => a,
        Err(r) => return Ok(r),
    };
    let i18n = auth.prefs.language.as_deref().map(crate::i18n::I18n::new).unwrap_or(i18n);
    let brand = state.brands.for_request(&headers).clone();
    let account = user_key(&auth.username);
    let ip = origin.ip;
    let page = |error: String| VerifyPage::new(&brand, i18n.clone(), crate::secrets::mask_token(&auth.csrf), next.clone(), Some(error));
    match state.login_throttle.second_step(ip, &account, || passes(&state, &account, &f.code)).await? {
        Err(wait) => {
            crate::metrics::login_failure("throttled");
            tracing::warn!(user = %auth.username, ip = %ip, wait_seconds = wait.as_secs().max(1), "second step throttled");
            let text = i18n.t1("login-error-throttled", "seconds", wait.as_secs().max(1).to_string());
            return Ok((StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, wait.as_secs().max(1).to_string())], page(text)).into_response());
        }
        Ok(false) => {
            crate::metrics::login_failure("second-step");
            // One line per failure, as for passwords, for fail2ban.
            tracing::warn!(user = %auth.username, ip = %ip, "second step failure");
            return Ok((StatusCode::UNAUTHORIZED, page(i18n.t("verify-error"))).into_response());
        }
        Ok(true) => {}
    }
    tracing::info!(user = %auth.username, ip = %ip, "login second step");
    auth::complete_second_step(&session, auth).await?;
    Ok(Redirect::to(&next).into_response())
}

/// Whether `code` is the user's second step: an authenticator code of the previous, current or
/// next 30 s not used before, or a recovery code not used before (used up by this).
pub async fn passes(state: &AppState, account: &str, code: &str) -> Result<bool, AppError> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let Some(sealed) = store::get(&state.db, account).await?.totp_secret else { return Ok(false) };
        let Some(secret) = state.server_key.open(&totp_context(account), &sealed) else {
            tracing::error!(user = %account, "an authenticator secret cannot be opened with the server key");
            return Ok(false);
        };
        let Some(step) = two_step::code_step(&secret, &digits, crate::clock::unix_secs().max(0) as u64) else { return Ok(false) };
        return Ok(store::use_step(&state.db, account, step as i64).await?);
    }
    let normalized = two_step::normalize_recovery(code);
    if normalized.len() != 10 {
        return Ok(false);
    }
    let hash = RecoveryHasher::new(&state.server_key).hash(account, &normalized);
    Ok(store::use_recovery(&state.db, account, &hash, crate::clock::unix_ms()).await?)
}

/// GET /settings/security
pub async fn security_page(cx: Ctx, tz: UserZone, Query(q): Query<std::collections::HashMap<String, String>>) -> Result<Response, AppError> {
    let notice = notice::take(&cx.user, &q).await;
    let page = base_page(&cx, tz, notice).await?;
    Ok(page.into_response())
}

async fn base_page(cx: &Ctx, tz: UserZone, notice: Option<crate::web::notice::Notice>) -> Result<SecurityPage, AppError> {
    let key = cx.key();
    let totp = store::get(cx.db(), &key).await?.totp_secret.is_some();
    let passkeys = crate::store::passkeys::of_user(cx.db(), &key).await?;
    let on = totp || !passkeys.is_empty();
    let left = store::recovery_left(cx.db(), &key).await?;
    let i18n = cx.i18n();
    let sessions = crate::store::web_sessions::of_user(cx.db(), &key)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            what: browser_of(&s.user_agent, i18n),
            address: s.address,
            signed_in: format::full_date(Some(s.created_ms / 1000), tz, i18n),
            last_seen: format::full_date(Some(s.last_seen_ms / 1000), tz, i18n),
            this: s.id == cx.user.auth.sign_in_id,
            id: s.id,
        })
        .collect();
    let chrome = cx.chrome("", notice).await?;
    let mut page = SecurityPage::new(chrome, on, left);
    page.sessions = sessions;
    page.required = cx.state.domains.requires_two_step(&cx.user.auth.username);
    page.setup_required = cx.user.auth.setup_required;
    page.notices = crate::store::web_sessions::notices_on(cx.db(), &key).await?;
    page.totp = totp;
    page.passkeys = passkeys
        .into_iter()
        .map(|k| PasskeyRow {
            id: k.id,
            name: k.name,
            added: format::full_date(Some(k.created_ms / 1000), tz, i18n),
            used: (k.last_used_ms > 0).then(|| format::full_date(Some(k.last_used_ms / 1000), tz, i18n)),
        })
        .collect();
    page.codes = cx.user.session.remove::<Vec<String>>(FRESH_CODES).await.ok().flatten();
    Ok(page)
}

/// A browser and its system, coarsely, from a User-Agent: "Firefox on Linux".
pub fn browser_of(ua: &str, i18n: &crate::i18n::I18n) -> String {
    let browser = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"), ("Chrome/", "Chrome"), ("Safari/", "Safari")]
        .iter()
        .find(|(needle, _)| ua.contains(needle))
        .map(|(_, name)| *name);
    let system = [("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux")]
        .iter()
        .find(|(needle, _)| ua.contains(needle))
        .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => i18n.ta("security-browser-on", &[("browser", crate::i18n::FluentArg::Str(b.into())), ("system", crate::i18n::FluentArg::Str(s.into()))]),
        (Some(b), None) => b.to_string(),
        (None, Some(s)) => s.to_string(),
        (None, None) => i18n.t("security-browser-unknown"),
    }
}

#[derive(Deserialize)]
pub struct SecurityForm {
    #[serde(default)]
    csrf: String,
    /// `totp-start`, `totp-confirm`, `recovery`, `off`, `passkey-remove`, `end-session`,
    /// `end-others` or `notices`.
    #[serde(default)]
    op: String,
    #[serde(default)]
    code: String,
    /// The web session `end-session` ends.
    #[serde(default)]
    session: String,
    /// The key `passkey-remove` removes.
    #[serde(default)]
    passkey: String,
    /// Instead of `code`: a key's answer (JSON) to the ceremony of `/settings/security/passkeys/confirm`.
    #[serde(default)]
    assertion: String,
}

/// POST /settings/security
pub async fn security_action(cx: Ctx, tz: UserZone, headers: HeaderMap, ClientOrigin(origin): ClientOrigin, Form(f): Form<SecurityForm>) -> Result<Response, AppError> {
    cx.check_csrf(&f.csrf)?;
    match f.op.as_str() {
        // With no second step yet, setting one up needs none; next to one, it does.
        "totp-start" if !has_second_step(&cx).await? => start_totp(&cx, tz).await,
        "totp-confirm" => confirm_totp(&cx, tz, &f.code).await,
        "recovery" | "off" | "passkey-remove" | "totp-start" => with_fresh_code(&cx, tz, &headers, origin.ip, &f).await,
        "end-session" | "end-others" | "notices" => sessions_action(&cx, &f).await,
        _ => Err(AppError::not_found()),
    }
}

/// Whether the user has a second step (an app or a key).
pub(crate) async fn has_second_step(cx: &Ctx) -> Result<bool, AppError> {
    let key = cx.key();
    Ok(store::get(cx.db(), &key).await?.totp_secret.is_some() || !crate::store::passkeys::of_user(cx.db(), &key).await?.is_empty())
}

/// A new authenticator secret waiting for its first code: the set-up page.
async fn start_totp(cx: &Ctx, tz: UserZone) -> Result<Response, AppError> {
    let secret = two_step::new_secret()?;
    let key = cx.key();
    store::set_pending(cx.db(), &key, &cx.state.server_key.seal(&totp_context(&key), &secret)?, crate::clock::unix_ms()).await?;
    setup_page(cx, tz, &secret, None, StatusCode::OK).await
}

/// The first code from the app being set up turns it on (with recovery codes, if none are left).
async fn confirm_totp(cx: &Ctx, tz: UserZone, code: &str) -> Result<Response, AppError> {
    let (key, i18n) = (cx.key(), cx.i18n());
    let factors = store::get(cx.db(), &key).await?;
    let Some(secret) = factors.pending_secret.as_deref().and_then(|s| cx.state.server_key.open(&totp_context(&key), s)) else {
        return notice::redirect(&cx.user, i18n.t("security-setup-expired"), "/settings/security").await;
    };
    let Some(step) = two_step::code_step(&secret, code, crate::clock::unix_secs().max(0) as u64) else {
        return setup_page(cx, tz, &secret, Some(i18n.t("security-setup-wrong-code")), StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let sealed = cx.state.server_key.seal(&totp_context(&key), &secret)?;
    store::enable_totp(cx.db(), &key, &sealed, step as i64, crate::clock::unix_ms()).await?;
    tracing::info!(user = %cx.user.auth.username, "two-step sign-in turned on");
    set_up(cx).await?;
    let codes = if store::recovery_left(cx.db(), &key).await? == 0 { Some(new_codes(cx, &key).await?) } else { None };
    let mut page = base_page(cx, tz, None).await?;
    page.message = Some(i18n.t("security-turned-on"));
    page.codes = codes;
    Ok(no_store(page.into_response()))
}

/// A session that had to set up a second step has one now: the rest of the site opens.
pub(crate) async fn set_up(cx: &Ctx) -> Result<(), AppError> {
    if cx.user.auth.setup_required {
        let mut auth = cx.user.auth.clone();
        auth.setup_required = false;
        cx.user.session.insert(AUTH_KEY, auth).await?;
    }
    Ok(())
}

/// Why a fresh second step did not pass.
pub(crate) enum NotFresh {
    Wait(std::time::Duration),
    Wrong,
}

/// A fresh second step: `code` (an authenticator or recovery code), or, left empty, a key's
/// `assertion` (JSON) to the ceremony of `/settings/security/passkeys/confirm`. Throttled as
/// the sign-in is, so that a session does not become a way to try codes.
pub(crate) async fn fresh_step(cx: &Ctx, headers: &HeaderMap, ip: std::net::IpAddr, code: &str, assertion: &str) -> Result<Result<(), NotFresh>, AppError> {
    let key = cx.key();
    // A typed code first: a key's answer left in a form by the back button is not it.
    let attempt = || async {
        if code.trim().is_empty() && !assertion.is_empty() {
            super::passkeys::answer_passes(cx, headers, assertion).await
        } else {
            passes(&cx.state, &key, code).await
        }
    };
    Ok(match cx.state.login_throttle.second_step(ip, &key, attempt).await? {
        Err(wait) => Err(NotFresh::Wait(wait)),
        Ok(false) => {
            tracing::warn!(user = %cx.user.auth.username, ip = %ip, "second step failure");
            Err(NotFresh::Wrong)
        }
        Ok(true) => Ok(()),
    })
}

/// What needs a fresh second step: new recovery codes, turning it off, removing a key, and
/// adding an authenticator app next to keys (an app already set up is turned off first).
async fn with_fresh_code(cx: &Ctx, tz: UserZone, headers: &HeaderMap, ip: std::net::IpAddr, f: &SecurityForm) -> Result<Response, AppError> {
    let (key, i18n) = (cx.key(), cx.i18n());
    // Refused whatever the code: it is not used up.
    if f.op == "off" && cx.state.domains.requires_two_step(&cx.user.auth.username) {
        return notice::redirect(&cx.user, i18n.t("security-required"), "/settings/security").await;
    }
    if f.op == "totp-start" && store::get(cx.db(), &key).await?.totp_secret.is_some() {
        return notice::redirect(&cx.user, i18n.t("security-app-already"), "/settings/security").await;
    }
    match fresh_step(cx, headers, ip, &f.code, &f.assertion).await? {
        Err(NotFresh::Wait(wait)) => {
            let mut page = base_page(cx, tz, None).await?;
            page.error = Some(i18n.t1("login-error-throttled", "seconds", wait.as_secs().max(1).to_string()));
            return Ok((StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, wait.as_secs().max(1).to_string())], page).into_response());
        }
        Err(NotFresh::Wrong) => {
            let mut page = base_page(cx, tz, None).await?;
            page.error = Some(i18n.t("verify-error"));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Ok(()) => {}
    }
    match f.op.as_str() {
        "off" => {
            store::disable(cx.db(), &key).await?;
            crate::store::passkeys::remove_all(cx.db(), &key).await?;
            tracing::info!(user = %cx.user.auth.username, "two-step sign-in turned off");
            notice::redirect(&cx.user, i18n.t("security-turned-off"), "/settings/security").await
        }
        "passkey-remove" => remove_key(cx, &key, &f.passkey).await,
        "totp-start" => start_totp(cx, tz).await,
        _ => {
            let codes = new_codes(cx, &key).await?;
            let mut page = base_page(cx, tz, None).await?;
            page.codes = Some(codes);
            Ok(no_store(page.into_response()))
        }
    }
}

/// Removes one of the user's keys. The last second step of someone whose domain requires one
/// stays; with no second step left, its recovery codes go too (new ones come with the next).
async fn remove_key(cx: &Ctx, key: &str, id: &str) -> Result<Response, AppError> {
    use crate::store::passkeys::Removal;
    let i18n = cx.i18n();
    let totp = store::get(cx.db(), key).await?.totp_secret.is_some();
    let keep_last = !totp && cx.state.domains.requires_two_step(&cx.user.auth.username);
    let text = match crate::store::passkeys::remove(cx.db(), key, id, keep_last).await? {
        Removal::Gone => "passkey-gone",
        Removal::Kept => "passkey-required-last",
        Removal::Removed { left } => {
            tracing::info!(user = %cx.user.auth.username, "a passkey was removed");
            if left == 0 && !totp {
                store::disable(cx.db(), key).await?;
                tracing::info!(user = %cx.user.auth.username, "two-step sign-in turned off");
                "passkey-removed-last"
            } else {
                "passkey-removed"
            }
        }
    };
    notice::redirect(&cx.user, i18n.t(text), "/settings/security#passkeys").await
}

/// Ending one of the user's other web sessions, or all of them; the new-browser email on or off.
async fn sessions_action(cx: &Ctx, f: &SecurityForm) -> Result<Response, AppError> {
    let (key, i18n) = (cx.key(), cx.i18n());
    let (text, anchor) = match f.op.as_str() {
        "end-session" if f.session == cx.user.auth.sign_in_id => (i18n.t("security-session-this"), "sessions"),
        "end-session" => {
            let ended = crate::store::web_sessions::remove(cx.db(), &key, &f.session).await?;
            if ended {
                tracing::info!(user = %cx.user.auth.username, "a web session ended from another");
            }
            (i18n.t(if ended { "security-session-ended" } else { "security-session-gone" }), "sessions")
        }
        "end-others" => {
            let n = crate::store::web_sessions::remove_others(cx.db(), &key, &cx.user.auth.sign_in_id).await?;
            tracing::info!(user = %cx.user.auth.username, sessions = n, "other web sessions ended");
            (i18n.tn("security-sessions-ended", "count", n as i64), "sessions")
        }
        _ => {
            let on = f.code == "on";
            crate::store::web_sessions::set_notices(cx.db(), &key, on).await?;
            (i18n.t(if on { "security-notices-on" } else { "security-notices-off" }), "notices")
        }
    };
    notice::redirect(&cx.user, text, &format!("/settings/security#{anchor}")).await
}

/// Where recovery codes made outside a page of this module wait to be shown, once.
pub const FRESH_CODES: &str = "fresh_recovery_codes";

/// New recovery codes replace the old ones; returned to be shown once.
pub(crate) async fn new_codes(cx: &Ctx, key: &str) -> Result<Vec<String>, AppError> {
    let codes = two_step::new_recovery_codes()?;
    let hasher = RecoveryHasher::new(&cx.state.server_key);
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| hasher.hash(key, c)).collect();
    store::replace_recovery(cx.db(), key, &hashes).await?;
    Ok(codes)
}

/// The set-up page: the QR code and the secret as text, and the field for a first code.
async fn setup_page(cx: &Ctx, tz: UserZone, secret: &[u8], error: Option<String>, status: StatusCode) -> Result<Response, AppError> {
    let issuer = cx.state.config.brand_name.clone();
    let url = two_step::otpauth_url(secret, &issuer, &cx.user.auth.username).unwrap_or_default();
    let mut page = base_page(cx, tz, None).await?;
    page.setup = Some(Setup { qr: two_step::qr_svg(&url).unwrap_or_default(), text: two_step::secret_text(secret) });
    page.error = error;
    Ok(no_store((status, page).into_response()))
}

/// Pages that show a secret are not kept by the browser or a proxy.
fn no_store(mut r: Response) -> Response {
    r.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    r
}

/// The cookie that tells one browser from another across sign-ins (a random id; its hash is
/// what the database keeps).
const BROWSER_COOKIE: &str = "facteur_browser";

/// After a right password: notes the browser, and if the user has not signed in from it
/// before and asked to be told, emails them (in the background, through their own SMTP
/// login). Returns the cookie that names the browser.
pub async fn note_sign_in(state: &AppState, headers: &HeaderMap, creds: &crate::mail::Credentials, user_agent: &str) -> (header::HeaderName, header::HeaderValue) {
    use sha2::Digest;
    let id = auth::cookie_value(headers, BROWSER_COOKIE)
        .filter(|v| (16..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .or_else(|| crate::secrets::random_token::<18>().ok())
        .unwrap_or_default();
    let cookie = auth::set_cookie(BROWSER_COOKIE, &id, 400 * 86_400, state.config.cookie_secure);
    let key = user_key(&creds.username);
    let hash: String = sha2::Sha256::digest(id.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let new = crate::store::web_sessions::note_browser(&state.db, &key, &hash, crate::clock::unix_ms()).await.unwrap_or(false);
    if new && crate::store::web_sessions::notices_on(&state.db, &key).await.unwrap_or(false) {
        let (state, creds, user_agent) = (state.clone(), creds.clone(), user_agent.to_string());
        tokio::spawn(async move {
            if let Err(e) = send_notice(&state, &creds, &user_agent).await {
                tracing::warn!(user = %creds.username, error = %e, "the new sign-in notice was not sent");
            }
        });
    }
    cookie
}

/// "New sign-in to Facteur", from the user to themselves, in their language.
async fn send_notice(state: &AppState, creds: &crate::mail::Credentials, user_agent: &str) -> anyhow::Result<()> {
    let key = user_key(&creds.username);
    let language = crate::store::prefs::get(&state.db, &key).await.ok().and_then(|p| p.language);
    let i18n = crate::i18n::I18n::new(language.as_deref().unwrap_or(&state.config.default_language));
    let address = creds.origin.as_ref().map(|o| o.ip.to_string()).unwrap_or_default();
    let when = time::OffsetDateTime::now_utc();
    let when = format!("{:04}-{:02}-{:02} {:02}:{:02} UTC", when.year(), when.month() as u8, when.day(), when.hour(), when.minute());
    let brand = state.config.brand_name.clone();
    let body = i18n.ta(
        "security-notice-body",
        &[
            ("brand", crate::i18n::FluentArg::Str(brand.clone())),
            ("browser", crate::i18n::FluentArg::Str(browser_of(user_agent, &i18n))),
            ("address", crate::i18n::FluentArg::Str(address)),
            ("when", crate::i18n::FluentArg::Str(when)),
        ],
    );
    let me: lettre::message::Mailbox = creds.username.parse()?;
    let message = lettre::Message::builder()
        .from(me.clone())
        .to(me.clone())
        .subject(i18n.t1("security-notice-subject", "brand", brand))
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body)?;
    let envelope = lettre::address::Envelope::new(Some(me.email.clone()), vec![me.email])?;
    state.smtp.send(creds, &envelope, &message.formatted()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!(user = %creds.username, "new sign-in notice sent");
    Ok(())
}
