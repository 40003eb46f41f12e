//! The people the user writes to: collected when they send, editable here, suggested in the
//! compose fields.

use std::collections::HashMap;

use axum::Form;
use axum::extract::Query;
use axum::response::{IntoResponse, Redirect, Response};

use crate::store::compose as store;
use crate::web::error::AppError;
use crate::web::extract::Ctx;
use crate::web::forms::{ContactForm, bare_address};
use crate::web::views::settings::ContactsPage;

/// GET /contacts
pub async fn contacts_page(cx: Ctx, Query(q): Query<HashMap<String, String>>) -> Result<Response, AppError> {
    let contacts = store::contacts(cx.db(), &cx.key()).await?;
    let chrome = cx.chrome("", None).await?;
    Ok(ContactsPage::new(chrome, contacts, q.contains_key("error")).into_response())
}

/// POST /contacts
pub async fn save_contact(cx: Ctx, Form(form): Form<ContactForm>) -> Result<Response, AppError> {
    cx.check_csrf(&form.csrf)?;
    let email = form.email.trim();
    if form.op == "delete" {
        store::delete_contact(cx.db(), &cx.key(), email).await?;
        return Ok(Redirect::to("/contacts").into_response());
    }
    let name = form.name.trim();
    if !bare_address(email) || crate::mail::compose::has_line_break(name) || name.chars().count() > 200 {
        return Ok(Redirect::to("/contacts?error=1").into_response());
    }
    store::save_contact(cx.db(), &cx.key(), email, name).await?;
    Ok(Redirect::to("/contacts").into_response())
}
