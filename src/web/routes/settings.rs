//! The user's preferences: language and keyboard shortcuts.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::i18n::SUPPORTED;
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
    let view = views::SettingsPage {
        title: i18n.t("settings-title"),
        language: user.auth.prefs.language.clone().unwrap_or_default(),
        saved: q.contains_key("saved"),
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
