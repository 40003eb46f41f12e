//! The one-time notice shown on the page an action leads to ("Moved to Archive — Undo").
//!
//! Only the page whose URL carries the notice's id (`?n=…`) shows it, so a live refresh of
//! another tab, or of the same tab, cannot take it first.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::auth::CurrentUser;
use super::error::AppError;

const KEY: &str = "flash";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Notice {
    pub id: String,
    pub text: String,
    /// The page offers "Undo" (the undo itself is kept by [`crate::web::routes::actions`]).
    pub undo: bool,
    /// A message waiting in the outbox: the page offers to take it back.
    #[serde(default)]
    pub sending: Option<Sending>,
}

/// A message waiting in the outbox, as its notice shows it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sending {
    pub job: String,
    /// When it is due (Unix milliseconds).
    pub due_ms: i64,
}

impl Sending {
    /// Milliseconds left before it goes, from now.
    pub fn left_ms(&self) -> i64 {
        (self.due_ms - crate::clock::unix_ms()).max(0)
    }
}

impl Notice {
    /// A notice shown on the page being rendered now (not kept for another request).
    pub fn now(text: String) -> Self {
        Self { id: String::new(), text, undo: false, sending: None }
    }

    /// `url` with this notice's id added (before its `#fragment`, if any).
    fn url(&self, url: &str) -> String {
        let (path, fragment) = match url.split_once('#') {
            Some((p, f)) => (p, format!("#{f}")),
            None => (url, String::new()),
        };
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}n={}{fragment}", self.id)
    }
}

/// Keeps `text` for the page at `url` and returns that page's URL with the notice's id.
pub async fn set(user: &CurrentUser, text: String, undo: bool, url: &str) -> Result<String, AppError> {
    keep(user, Notice { id: crate::secrets::random_token::<6>()?, text, undo, sending: None }, url).await
}

/// Keeps "Sending…" with its Undo for the page at `url`; returns that page's URL.
pub async fn sending(user: &CurrentUser, text: String, sending: Sending, url: &str) -> Result<String, AppError> {
    keep(user, Notice { id: crate::secrets::random_token::<6>()?, text, undo: false, sending: Some(sending) }, url).await
}

async fn keep(user: &CurrentUser, notice: Notice, url: &str) -> Result<String, AppError> {
    user.session.insert(KEY, notice.clone()).await?;
    Ok(notice.url(url))
}

/// A redirect to `url` that shows `text` there.
pub async fn redirect(user: &CurrentUser, text: String, url: &str) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    Ok(axum::response::Redirect::to(&set(user, text, false, url).await?).into_response())
}

/// Takes the pending notice if the page's URL names it.
pub async fn take(user: &CurrentUser, q: &HashMap<String, String>) -> Option<Notice> {
    let id = q.get("n")?;
    let notice = user.session.get::<Notice>(KEY).await.ok().flatten()?;
    if &notice.id != id {
        return None;
    }
    let _ = user.session.remove::<Notice>(KEY).await;
    Some(notice)
}

/// What to tell the user when the mail server refused an action for `reason`: in plain words
/// when the mailbox is full, else the server's own.
pub fn refused(i18n: &crate::i18n::I18n, reason: &str) -> String {
    if crate::mail::is_over_quota(reason) {
        i18n.t("quota-over-action")
    } else {
        i18n.t1("notice-refused", "reason", crate::mail::plain_reason(reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_id_goes_in_the_query_before_any_fragment() {
        let n = Notice { id: "abc".into(), text: String::new(), undo: false, sending: None };
        assert_eq!(n.url("/settings"), "/settings?n=abc");
        assert_eq!(n.url("/f/INBOX?page=2"), "/f/INBOX?page=2&n=abc");
        assert_eq!(n.url("/settings/security#sessions"), "/settings/security?n=abc#sessions");
        assert_eq!(n.url("/a?b=1#c"), "/a?b=1&n=abc#c");
    }
}
