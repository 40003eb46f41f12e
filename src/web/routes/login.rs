//! Signing in and out.

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use super::{CsrfForm, Lang};
use crate::config::Secret;
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

fn login_page(i18n: I18n, username: String, next: String, error: Option<String>, notice: Option<String>) -> views::LoginPage {
    views::LoginPage { i18n, css: assets::css_url(), js: assets::js_url(), username, next, error, notice }
}

pub async fn login_form(session: Session, Lang(i18n): Lang, Query(q): Query<LoginQuery>) -> Response {
    if let Ok(Some(_)) = session.get::<AuthData>(auth::AUTH_KEY).await {
        return Redirect::to(&auth::safe_next(q.next.as_deref())).into_response();
    }
    let notice = match q.reason.as_deref() {
        Some("ended") => Some(i18n.t("login-session-ended")),
        Some("signed-out") => Some(i18n.t("login-signed-out")),
        _ => None,
    };
    login_page(i18n, String::new(), auth::safe_next(q.next.as_deref()), None, notice).into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<AppState>,
    session: Session,
    Lang(i18n): Lang,
    Form(form): Form<LoginForm>,
) -> Result<Response, AppError> {
    let username = form.username.trim().to_string();
    let next = auth::safe_next(form.next.as_deref());
    let fail = |i18n: I18n, status: StatusCode, key: &str, username: String, next: String| {
        let msg = i18n.t(key);
        (status, login_page(i18n, username, next, Some(msg), None)).into_response()
    };
    if username.is_empty() || form.password.is_empty() {
        return Ok(fail(i18n, StatusCode::UNPROCESSABLE_ENTITY, "login-error-missing", username, next));
    }
    if username.chars().any(char::is_control) || form.password.chars().any(|c| c == '\r' || c == '\n' || c == '\0') {
        return Ok(fail(i18n, StatusCode::UNAUTHORIZED, "login-error-credentials", username, next));
    }
    let creds = Credentials { username: username.clone(), password: Secret::new(form.password) };
    if let Err(e) = state.registry.login(&user_key(&username), &creds).await {
        let (status, key) = match e {
            MailError::Auth => (StatusCode::UNAUTHORIZED, "login-error-credentials"),
            MailError::Connect(_) | MailError::Protocol(_) => (StatusCode::BAD_GATEWAY, "login-error-unreachable"),
            MailError::Timeout => (StatusCode::GATEWAY_TIMEOUT, "login-error-timeout"),
            MailError::No(_) | MailError::NotFound => (StatusCode::BAD_GATEWAY, "login-error-server"),
        };
        tracing::warn!(user = %username, error = %e, "login failed");
        return Ok(fail(i18n, status, key, username, next));
    }
    tracing::info!(user = %username, "login");
    let cookie = auth::begin(&state, &session, &creds).await?;
    Ok(([cookie], Redirect::to(&next)).into_response())
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
