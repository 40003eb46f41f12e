//! The user's preferences: language and keyboard shortcuts.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::i18n::SUPPORTED;
use crate::store::compose::{self as compose_store, Identity};
use crate::store::prefs::{self, Preferences};
use crate::web::AppState;
use crate::web::auth::{self, CurrentUser};
use crate::web::error::AppError;
use crate::web::views::{self, Chrome};

pub async fn settings_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let folders = state.registry.run(&user.key(), &user.creds, |c| Box::pin(async move { c.folders().await })).await?;
    let i18n = user.i18n.clone();
    let identities = compose_store::identities(&state.db, &user.key()).await.map_err(|e| anyhow::anyhow!("identities: {e}"))?;
    let identity_error = match q.get("error").map(String::as_str) {
        Some("email") => Some(i18n.t("identity-error-email")),
        Some("text") => Some(i18n.t("identity-error-text")),
        _ => None,
    };
    let view = views::SettingsPage {
        title: i18n.t("settings-title"),
        language: user.auth.prefs.language.clone().unwrap_or_default(),
        saved: q.contains_key("saved"),
        identities,
        identity_error,
        image_senders: prefs::image_senders(&state.db, &user.key()).await.map_err(|e| anyhow::anyhow!("preferences: {e}"))?,
        chrome: Chrome::new(i18n, &user.auth, &folders, "", None),
    };
    Ok(view.into_response())
}

#[derive(Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    language: String,
    /// A checkbox: present when on.
    shortcuts: Option<String>,
}

pub async fn save_settings(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let language = SUPPORTED.iter().find(|l| **l == form.language).map(|l| l.to_string());
    let p = Preferences { language, shortcuts: form.shortcuts.is_some() };
    prefs::set(&state.db, &user.key(), &p).await.map_err(|e| anyhow::anyhow!("saving preferences: {e}"))?;
    let mut auth = user.auth.clone();
    auth.prefs = p;
    user.session.insert(auth::AUTH_KEY, auth).await?;
    Ok(Redirect::to("/settings?saved=1").into_response())
}

#[derive(Deserialize)]
pub struct IdentityForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: i64,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    signature: String,
    /// A checkbox: present when on.
    default: Option<String>,
    #[serde(default)]
    op: String,
}

/// POST /settings/identities: add, change or remove an address the user sends as.
pub async fn save_identity(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(form): Form<IdentityForm>,
) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let key = user.key();
    if form.op == "delete" {
        if form.id > 0 {
            compose_store::delete_identity(&state.db, &key, form.id).await.map_err(|e| anyhow::anyhow!("identities: {e}"))?;
        }
        return Ok(Redirect::to("/settings?saved=1#identities").into_response());
    }
    let email = form.email.trim();
    let valid = matches!(crate::mail::compose::parse_addresses(email), Ok(v) if v.len() == 1 && v[0].name.is_none());
    if !valid {
        return Ok(Redirect::to("/settings?error=email#identities").into_response());
    }
    let name = form.name.trim();
    if crate::mail::compose::has_line_break(name) || name.chars().count() > 200 || form.signature.chars().count() > 4000 {
        return Ok(Redirect::to("/settings?error=text#identities").into_response());
    }
    let identity = Identity {
        id: form.id.max(0),
        email: email.to_string(),
        name: name.to_string(),
        signature: form.signature.replace("\r\n", "\n").trim_end().to_string(),
        is_default: form.default.is_some(),
    };
    compose_store::save_identity(&state.db, &key, &identity).await.map_err(|e| anyhow::anyhow!("identities: {e}"))?;
    Ok(Redirect::to("/settings?saved=1#identities").into_response())
}
