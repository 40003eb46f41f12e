//! Signing in and out.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::{ClientIp, CsrfForm, Lang};
use crate::config::Secret;
use crate::domains::DomainError;
use crate::i18n::I18n;
use crate::mail::{Credentials, MailError};
use crate::web::AppState;
use crate::web::assets;
use crate::web::auth::{self, AuthData, user_key};
use crate::web::error::AppError;
use crate::web::views;

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    reason: Option<String>,
}

/// The login form's CSRF token travels in this cookie and in the form (no session exists yet).
const LOGIN_COOKIE: &str = "facteur_login";

fn login_page(
    brand: &crate::web::brand::Brand,
    i18n: I18n,
    csrf: String,
    username: String,
    next: String,
    error: Option<String>,
    notice: Option<String>,
) -> views::LoginPage {
    views::LoginPage {
        brand: brand.clone(),
        i18n,
        css: assets::css_url(),
        js: assets::js_url(),
        nonce: crate::web::middleware::nonce(),
        csrf,
        username,
        next,
        error,
        notice,
    }
}

/// A fresh login token and the cookie that carries it.
fn login_token(state: &AppState) -> Result<(String, (axum::http::HeaderName, axum::http::HeaderValue)), AppError> {
    let token = crate::secrets::random_token::<18>()?;
    Ok((token.clone(), auth::set_strict_cookie(LOGIN_COOKIE, &token, 3 * 3600, state.config.cookie_secure)))
}

fn same_token(a: &str, b: &str) -> bool {
    !a.is_empty() && crate::secrets::same(a.as_bytes(), b.as_bytes())
}

pub async fn login_form(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    session: Session,
    Lang(i18n): Lang,
    Query(q): Query<LoginQuery>,
) -> Result<Response, AppError> {
    if let Ok(Some(_)) = session.get::<AuthData>(auth::AUTH_KEY).await {
        return Ok(Redirect::to(&auth::safe_next(q.next.as_deref())).into_response());
    }
    let notice = match q.reason.as_deref() {
        Some("ended") => Some(i18n.t("login-session-ended")),
        Some("signed-out") => Some(i18n.t("login-signed-out")),
        _ => None,
    };
    let (token, cookie) = login_token(&state)?;
    let brand = state.brands.for_request(&headers);
    Ok(([cookie], login_page(brand, i18n, token, String::new(), auth::safe_next(q.next.as_deref()), None, notice)).into_response())
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    session: Session,
    Lang(i18n): Lang,
    ClientIp(ip): ClientIp,
    headers: axum::http::HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let brand = state.brands.for_request(&headers).clone();
    let mut username = form.username.trim().to_string();
    // On a domain's own web host, a bare user name means an address of that domain.
    if let Some(domain) = &brand.domain
        && !username.is_empty()
        && !username.contains('@')
    {
        username = format!("{username}@{domain}");
    }
    let next = auth::safe_next(form.next.as_deref());
    let csrf = form.csrf.clone();
    let fail_with = |i18n: I18n, status: StatusCode, msg: String, username: String, next: String| {
        (status, login_page(&brand, i18n, csrf.clone(), username, next, Some(msg), None)).into_response()
    };
    let fail = |i18n: I18n, status: StatusCode, key: &str, username: String, next: String| {
        let msg = i18n.t(key);
        fail_with(i18n, status, msg, username, next)
    };
    // The token in the form must match the one in the cookie set with the form.
    let cookie = auth::cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default();
    if !same_token(&cookie, &form.csrf) {
        let (token, cookie) = login_token(&state)?;
        let msg = i18n.t("login-error-expired");
        let page = login_page(&brand, i18n, token, username, next, Some(msg), None);
        return Ok((StatusCode::FORBIDDEN, [cookie], page).into_response());
    }
    if username.is_empty() || form.password.is_empty() {
        return Ok(fail(i18n, StatusCode::UNPROCESSABLE_ENTITY, "login-error-missing", username, next));
    }
    let resolved = match state.domains.resolve(&username).await {
        Ok(r) => r,
        Err(e) => {
            tracing::info!(user = %username, ip = %ip, reason = %e, "login refused");
            let msg = match &e {
                DomainError::NotAllowed(d) => i18n.t1("login-error-domain", "domain", d.clone()),
                DomainError::NoDomain | DomainError::Invalid(_) => i18n.t("login-error-full-address"),
            };
            crate::metrics::login_failure("domain");
            return Ok(fail_with(i18n, StatusCode::UNPROCESSABLE_ENTITY, msg, username, next));
        }
    };
    let account = user_key(&username);
    let wait = state.login_throttle.check(ip, &account).await;
    if !wait.is_zero() {
        let secs = wait.as_secs().max(1);
        crate::metrics::login_failure("throttled");
        tracing::warn!(user = %username, ip = %ip, wait_seconds = secs, "login throttled");
        let msg = i18n.t1("login-error-throttled", "seconds", secs.to_string());
        let page = login_page(&brand, i18n, csrf.clone(), username, next, Some(msg), None);
        return Ok((StatusCode::TOO_MANY_REQUESTS, [(axum::http::header::RETRY_AFTER, secs.to_string())], page).into_response());
    }
    if username.chars().any(char::is_control) || form.password.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
        state.login_throttle.failure(ip, &account).await;
        crate::metrics::login_failure("credentials");
        return Ok(fail(i18n, StatusCode::UNAUTHORIZED, "login-error-credentials", username, next));
    }
    let creds = Credentials { username: username.clone(), password: Secret::new(form.password), servers: resolved.servers };
    if let Err(e) = state.registry.login(&account, &creds).await {
        let (status, key, reason) = match e {
            MailError::Auth => (StatusCode::UNAUTHORIZED, "login-error-credentials", "credentials"),
            MailError::Connect(_) | MailError::Protocol(_) => (StatusCode::BAD_GATEWAY, "login-error-unreachable", "unreachable"),
            MailError::Timeout => (StatusCode::GATEWAY_TIMEOUT, "login-error-timeout", "timeout"),
            MailError::No(_) | MailError::NotFound => (StatusCode::BAD_GATEWAY, "login-error-server", "server"),
        };
        crate::metrics::login_failure(reason);
        if matches!(e, MailError::Auth) {
            state.login_throttle.failure(ip, &account).await;
            // One line per failure, easy to match for fail2ban.
            tracing::warn!(user = %username, ip = %ip, "authentication failure");
        } else {
            tracing::warn!(user = %username, ip = %ip, error = %e, "login failed");
        }
        return Ok(fail(i18n, status, key, username, next));
    }
    state.login_throttle.success(ip, &account).await;
    crate::metrics::login();
    tracing::info!(user = %username, ip = %ip, "login");
    let cookie = auth::begin(&state, &session, &creds).await?;
    let clear = auth::set_strict_cookie(LOGIN_COOKIE, "", 0, state.config.cookie_secure);
    Ok((axum::response::AppendHeaders([cookie, clear]), Redirect::to(&next)).into_response())
}

pub async fn logout(State(state): State<AppState>, session: Session, Form(form): Form<CsrfForm>) -> Result<Response, AppError> {
    if let Some(a) = session.get::<AuthData>(auth::AUTH_KEY).await?
        && a.csrf != form.csrf
    {
        return Err(AppError::forbidden("CSRF token mismatch on logout"));
    }
    let cookie = auth::end(&state, &session).await;
    Ok(([cookie], Redirect::to("/login?reason=signed-out")).into_response())
}

/// POST /logout/everywhere: ends every web session of this user, on every device and browser.
pub async fn logout_everywhere(
    State(state): State<AppState>,
    user: crate::web::auth::CurrentUser,
    Form(form): Form<CsrfForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    crate::store::prefs::end_all_sessions(&state.db, &user.key(), auth::now_ms())
        .await
        .map_err(|e| anyhow::anyhow!("ending sessions: {e}"))?;
    tracing::info!(user = %user.auth.username, "signed out everywhere");
    // Open tabs anywhere are told at once (their event streams go to the login page).
    state.watchers.announce(&user.key(), crate::mail::imap::MailEvent::Gone);
    let cookie = auth::end(&state, &user.session).await;
    Ok(([cookie], Redirect::to("/login?reason=signed-out")).into_response())
}
