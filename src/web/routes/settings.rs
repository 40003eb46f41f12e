//! The user's preferences: language, keyboard shortcuts, the addresses they send as.

use std::collections::HashMap;

use axum::Form;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};

use crate::i18n::SUPPORTED;
use crate::store::compose::{self as compose_store, Identity};
use crate::store::prefs::{self, Preferences};
use crate::web::auth;
use crate::web::error::AppError;
use crate::web::extract::Ctx;
use crate::web::forms::{IdentityForm, SettingsForm, bare_address};
use crate::web::views::settings::SettingsPage;

/// GET /settings
pub async fn settings_page(cx: Ctx, Query(q): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let identities = compose_store::identities(cx.db(), &cx.key()).await?;
    let image_senders = prefs::image_senders(cx.db(), &cx.key()).await?;
    let chrome = cx.chrome("", None).await?;
    let error = q.get("error").map(String::as_str);
    let mut page = SettingsPage::new(chrome, &cx.user.auth.prefs, cx.state.config.outbox_enabled, identities, image_senders, q.contains_key("saved"), error);
    page.push_key = cx.state.pusher.as_ref().map(|p| p.public_key());
    Ok(page.into_response())
}

/// POST /settings
pub async fn save_settings(cx: Ctx, Form(form): Form<SettingsForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let language = SUPPORTED.iter().find(|l| **l == form.language).map(|l| l.to_string());
    let p = Preferences {
        language,
        shortcuts: form.shortcuts.is_some(),
        conversations: form.conversations.is_some(),
        theme: form.theme,
        density: form.density,
        per_page: form.per_page.parse().unwrap_or(0),
        undo_send_seconds: form.undo_send_seconds.parse().unwrap_or(u32::MAX),
    }
    .checked();
    prefs::set(cx.db(), &cx.key(), &p).await?;
    let mut auth = cx.user.auth.clone();
    auth.prefs = p;
    cx.user.session.insert(auth::AUTH_KEY, auth).await?;
    Ok(Redirect::to("/settings?saved=1").into_response())
}

/// POST /settings/identities: add, change or remove an address the user sends as.
pub async fn save_identity(cx: Ctx, Form(form): Form<IdentityForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let key = cx.key();
    if form.op == "delete" {
        if form.id > 0 {
            compose_store::delete_identity(cx.db(), &key, form.id).await?;
        }
        return Ok(Redirect::to("/settings?saved=1#identities").into_response());
    }
    let email = form.email.trim();
    if !bare_address(email) {
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
    compose_store::save_identity(cx.db(), &key, &identity).await?;
    Ok(Redirect::to("/settings?saved=1#identities").into_response())
}
