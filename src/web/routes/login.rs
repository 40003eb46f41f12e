//! Signing in and out.

use std::time::Duration;

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use crate::config::Secret;
use crate::domains::DomainError;
use crate::i18n::I18n;
use crate::mail::{Credentials, MailError};
use crate::web::AppState;
use crate::web::auth::{self, AuthData, user_key};
use crate::web::error::AppError;
use crate::web::extract::{ClientOrigin, Ctx, Lang};
use crate::web::forms::CsrfForm;
use crate::web::views::login::LoginPage;

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    reason: Option<String>,
}

/// The login form's CSRF token travels in this cookie and in the form (no session exists yet).
const LOGIN_COOKIE: &str = "facteur_login";

/// A fresh login token and the cookie that carries it.
fn login_token(state: &AppState) -> Result<(String, (header::HeaderName, header::HeaderValue)), AppError> {
    let token = crate::secrets::random_token::<18>()?;
    Ok((token.clone(), auth::set_strict_cookie(LOGIN_COOKIE, &token, 3 * 3600, state.config.cookie_secure)))
}

fn same_token(a: &str, b: &str) -> bool {
    !a.is_empty() && crate::secrets::same(a.as_bytes(), b.as_bytes())
}

/// GET /login
pub async fn login_form(State(state): State<AppState>, headers: HeaderMap, session: Session, Lang(i18n): Lang, Query(q): Query<LoginQuery>) -> Result<Response, AppError> {
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
    let page = LoginPage { notice, ..LoginPage::new(brand, i18n, token, String::new(), auth::safe_next(q.next.as_deref())) };
    Ok(([cookie], page).into_response())
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

/// Why a sign-in was refused.
enum Refusal {
    Missing,
    Domain(DomainError),
    Throttled(Duration),
    Credentials,
    Mail(MailError),
}

impl Refusal {
    fn status(&self) -> StatusCode {
        match self {
            Self::Missing | Self::Domain(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Credentials | Self::Mail(MailError::Auth) => StatusCode::UNAUTHORIZED,
            Self::Mail(MailError::Timeout) => StatusCode::GATEWAY_TIMEOUT,
            Self::Mail(MailError::Limit(_)) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Mail(_) => StatusCode::BAD_GATEWAY,
        }
    }

    fn message(&self, i18n: &I18n) -> String {
        match self {
            Self::Missing => i18n.t("login-error-missing"),
            Self::Domain(DomainError::NotAllowed(d)) => i18n.t1("login-error-domain", "domain", d.clone()),
            Self::Domain(DomainError::NoDomain | DomainError::Invalid(_)) => i18n.t("login-error-full-address"),
            Self::Throttled(wait) => i18n.t1("login-error-throttled", "seconds", wait.as_secs().max(1).to_string()),
            Self::Credentials | Self::Mail(MailError::Auth) => i18n.t("login-error-credentials"),
            Self::Mail(MailError::Connect(_) | MailError::Protocol(_)) => i18n.t("login-error-unreachable"),
            Self::Mail(MailError::Timeout) => i18n.t("login-error-timeout"),
            Self::Mail(MailError::Limit(_)) => i18n.t("login-error-limit"),
            Self::Mail(MailError::No(_) | MailError::NotFound) => i18n.t("login-error-server"),
        }
    }
}

/// Checks the credentials with the user's mail server, within the login throttle, and keeps
/// the IMAP connection it opened. Every refusal is counted and logged (failed passwords in one
/// line fail2ban can match).
async fn sign_in(state: &AppState, origin: crate::mail::Origin, username: &str, password: String) -> Result<Credentials, Refusal> {
    let ip = origin.ip;
    if username.is_empty() || password.is_empty() {
        return Err(Refusal::Missing);
    }
    let resolved = state.domains.resolve(username).await.map_err(|e| {
        tracing::info!(user = %username, ip = %ip, reason = %e, "login refused");
        crate::metrics::login_failure("domain");
        Refusal::Domain(e)
    })?;
    let account = user_key(username);
    let wait = state.login_throttle.check(ip, &account).await;
    if !wait.is_zero() {
        crate::metrics::login_failure("throttled");
        tracing::warn!(user = %username, ip = %ip, wait_seconds = wait.as_secs().max(1), "login throttled");
        return Err(Refusal::Throttled(wait));
    }
    if username.chars().any(char::is_control) || password.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
        state.login_throttle.failure(ip, &account).await;
        crate::metrics::login_failure("credentials");
        return Err(Refusal::Credentials);
    }
    let creds = Credentials { username: username.to_string(), password: Secret::new(password), servers: resolved.servers, origin: Some(origin) };
    if let Err(e) = state.registry.login(&account, &creds).await {
        crate::metrics::login_failure(match e {
            MailError::Auth => "credentials",
            MailError::Connect(_) | MailError::Protocol(_) => "unreachable",
            MailError::Timeout => "timeout",
            MailError::Limit(_) => "limit",
            MailError::No(_) | MailError::NotFound => "server",
        });
        if matches!(e, MailError::Auth) {
            state.login_throttle.failure(ip, &account).await;
            // One line per failure, easy to match for fail2ban.
            tracing::warn!(user = %username, ip = %ip, "authentication failure");
        } else {
            tracing::warn!(user = %username, ip = %ip, error = %e, "login failed");
        }
        return Err(Refusal::Mail(e));
    }
    state.login_throttle.success(ip, &account).await;
    crate::metrics::login();
    tracing::info!(user = %username, ip = %ip, "login");
    Ok(creds)
}

/// POST /login
pub async fn login(State(state): State<AppState>, session: Session, Lang(i18n): Lang, ClientOrigin(origin): ClientOrigin, headers: HeaderMap, Form(form): Form<LoginForm>) -> Result<Response, AppError> {
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
    // The token in the form must match the one in the cookie set with the form.
    if !same_token(&auth::cookie_value(&headers, LOGIN_COOKIE).unwrap_or_default(), &form.csrf) {
        let (token, cookie) = login_token(&state)?;
        let error = Some(i18n.t("login-error-expired"));
        let page = LoginPage { error, ..LoginPage::new(&brand, i18n, token, username, next) };
        return Ok((StatusCode::FORBIDDEN, [cookie], page).into_response());
    }
    match sign_in(&state, origin, &username, form.password).await {
        Ok(creds) => {
            let key = crate::web::auth::user_key(&creds.username);
            let second_step = crate::store::two_step::get(&state.db, &key).await?.totp_secret.is_some()
                || !crate::store::passkeys::of_user(&state.db, &key).await?.is_empty();
            let setup_required = !second_step && state.domains.requires_two_step(&creds.username);
            let user_agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default();
            let cookie = auth::begin(&state, &session, &creds, second_step, setup_required, user_agent).await?;
            let browser = crate::web::routes::security::note_sign_in(&state, &headers, &creds, user_agent).await;
            let clear = auth::set_strict_cookie(LOGIN_COOKIE, "", 0, state.config.cookie_secure);
            if setup_required {
                tracing::info!(user = %creds.username, "two-step sign-in must be set up first");
                return Ok((AppendHeaders([cookie, clear, browser]), Redirect::to(auth::SECURITY_PAGE)).into_response());
            }
            if second_step {
                let verify = format!("/login/verify?next={}", percent_encoding::utf8_percent_encode(&next, percent_encoding::NON_ALPHANUMERIC));
                return Ok((AppendHeaders([cookie, clear, browser]), Redirect::to(&verify)).into_response());
            }
            // Whether the vacation reply is on, for the banner of the first page (bounded: a
            // server without ManageSieve must not slow the login down).
            let _ = tokio::time::timeout(std::time::Duration::from_millis(1500), state.vacations.refresh(&key, &state.registry, &creds)).await;
            Ok((AppendHeaders([cookie, clear, browser]), Redirect::to(&next)).into_response())
        }
        Err(refusal) => {
            let error = Some(refusal.message(&i18n));
            let page = LoginPage { error, ..LoginPage::new(&brand, i18n, form.csrf, username, next) };
            let retry_after = match refusal {
                Refusal::Throttled(wait) => Some([(header::RETRY_AFTER, wait.as_secs().max(1).to_string())]),
                _ => None,
            };
            Ok((refusal.status(), retry_after, page).into_response())
        }
    }
}

/// POST /logout
pub async fn logout(State(state): State<AppState>, session: Session, Form(form): Form<CsrfForm>) -> Result<Response, AppError> {
    if let Some(a) = session.get::<AuthData>(auth::AUTH_KEY).await?
        && !crate::secrets::token_matches(&a.csrf, &form.csrf)
    {
        return Err(AppError::forbidden("CSRF token mismatch on logout"));
    }
    let cookie = auth::end(&state, &session).await;
    Ok(([cookie], Redirect::to("/login?reason=signed-out")).into_response())
}

/// POST /logout/everywhere: ends every web session of this user, on every device and browser.
pub async fn logout_everywhere(cx: Ctx, Form(form): Form<CsrfForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    crate::store::prefs::end_all_sessions(cx.db(), &cx.key(), crate::clock::unix_ms()).await?;
    crate::store::web_sessions::remove_others(cx.db(), &cx.key(), "").await?;
    tracing::info!(user = %cx.user.auth.username, "signed out everywhere");
    // Open tabs anywhere are told at once (their event streams go to the login page).
    cx.state.watchers.announce(&cx.key(), crate::mail::imap::MailEvent::Gone);
    let cookie = auth::end(&cx.state, &cx.user.session).await;
    Ok(([cookie], Redirect::to("/login?reason=signed-out")).into_response())
}
