//! Handlers: extract → call `mail::`/`store::` → build a view → respond.

pub mod actions;
pub mod archive;
pub mod compose;
pub mod contacts;
pub mod devices;
pub mod events;
pub mod filters;
pub mod folders;
pub mod login;
pub mod mailbox;
pub mod message;
pub mod passkeys;
pub mod scheduled;
pub mod push;
pub mod search;
pub mod security;
pub mod snoozed;
pub mod settings;
pub mod space;

use std::collections::HashMap;

use axum::response::Redirect;

use super::auth::CurrentUser;
use super::error::AppError;
use crate::mail::model::{MessageRef, Uid, UidValidity};

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn fallback() -> AppError {
    AppError::not_found()
}

pub async fn home(_user: CurrentUser) -> Redirect {
    Redirect::to("/f/INBOX")
}

pub fn page_param(q: &HashMap<String, String>) -> u32 {
    q.get("page").and_then(|p| p.parse::<u32>().ok()).filter(|p| *p >= 1).unwrap_or(1)
}

/// The message a path names (folder, UIDVALIDITY, UID); anything malformed is simply not found.
pub fn message_path((mailbox, uv, uid): (String, String, String)) -> Result<MessageRef, AppError> {
    match (UidValidity::parse(&uv), Uid::parse(&uid)) {
        (Some(uv), Some(uid)) => Ok(MessageRef::new(mailbox, uv, uid)),
        _ => Err(AppError::not_found()),
    }
}
