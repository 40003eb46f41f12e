//! The people the user writes to: collected when they send, editable here, suggested in the
//! compose fields.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::store::compose as store;
use crate::web::AppState;
use crate::web::auth::CurrentUser;
use crate::web::error::AppError;
use crate::web::views::{self, Chrome};

pub async fn contacts_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let folders = state.registry.run(&user.key(), &user.creds, |c| Box::pin(async move { c.folders().await })).await?;
    let contacts = store::contacts(&state.db, &user.key()).await.map_err(|e| anyhow::anyhow!("contacts: {e}"))?;
    let i18n = user.i18n.clone();
    let view = views::ContactsPage {
        title: i18n.t("contacts-title"),
        contacts,
        error: q.contains_key("error").then(|| i18n.t("identity-error-email")),
        chrome: Chrome::new(i18n, &user.auth, &folders, "", None),
    };
    Ok(view.into_response())
}

#[derive(Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    op: String,
}

pub async fn save_contact(State(state): State<AppState>, user: CurrentUser, Form(form): Form<ContactForm>) -> Result<Response, AppError> {
    user.check_csrf(&form.csrf)?;
    let key = user.key();
    let email = form.email.trim();
    if form.op == "delete" {
        store::delete_contact(&state.db, &key, email).await.map_err(|e| anyhow::anyhow!("contacts: {e}"))?;
        return Ok(Redirect::to("/contacts").into_response());
    }
    let valid = matches!(crate::mail::compose::parse_addresses(email), Ok(v) if v.len() == 1 && v[0].name.is_none());
    let name = form.name.trim();
    if !valid || crate::mail::compose::has_line_break(name) || name.chars().count() > 200 {
        return Ok(Redirect::to("/contacts?error=1").into_response());
    }
    store::save_contact(&state.db, &key, email, name).await.map_err(|e| anyhow::anyhow!("contacts: {e}"))?;
    Ok(Redirect::to("/contacts").into_response())
}
