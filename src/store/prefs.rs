//! Per-user preferences.

use serde::{Deserialize, Serialize};

use super::{Db, StoreError};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    /// `None`: follow the browser's languages.
    pub language: Option<String>,
    /// Gmail's keyboard shortcuts (on by default).
    pub shortcuts: bool,
    /// Folder lists show one row per conversation (on by default).
    #[serde(default = "on")]
    pub conversations: bool,
    /// `system`, `light` or `dark`.
    #[serde(default = "system")]
    pub theme: String,
    /// `comfortable` or `compact` list rows.
    #[serde(default = "comfortable")]
    pub density: String,
    /// Messages a list or search page shows: one of [`PER_PAGE_CHOICES`].
    #[serde(default = "fifty")]
    pub per_page: u32,
    /// Seconds a sent message waits in the outbox, when Undo can take it back: one of
    /// [`UNDO_SEND_CHOICES`].
    #[serde(default = "ten")]
    pub undo_send_seconds: u32,
}

fn on() -> bool {
    true
}
fn system() -> String {
    THEMES[0].to_string()
}
fn comfortable() -> String {
    DENSITIES[0].to_string()
}
fn fifty() -> u32 {
    50
}
fn ten() -> u32 {
    10
}

/// The themes, the system's first (the default).
pub const THEMES: [&str; 3] = ["system", "light", "dark"];
pub const DENSITIES: [&str; 2] = ["comfortable", "compact"];
pub const PER_PAGE_CHOICES: [u32; 3] = [25, 50, 100];
pub const UNDO_SEND_CHOICES: [u32; 5] = [0, 5, 10, 20, 30];

impl Default for Preferences {
    fn default() -> Self {
        Self { language: None, shortcuts: true, conversations: true, theme: system(), density: comfortable(), per_page: fifty(), undo_send_seconds: ten() }
    }
}

impl Preferences {
    /// Only known values, whatever was stored or sent.
    pub fn checked(mut self) -> Self {
        if !THEMES.contains(&self.theme.as_str()) {
            self.theme = system();
        }
        if !DENSITIES.contains(&self.density.as_str()) {
            self.density = comfortable();
        }
        if !PER_PAGE_CHOICES.contains(&self.per_page) {
            self.per_page = fifty();
        }
        if !UNDO_SEND_CHOICES.contains(&self.undo_send_seconds) {
            self.undo_send_seconds = ten();
        }
        self
    }
}

pub async fn get(db: &Db, username: &str) -> Result<Preferences, StoreError> {
    type Row = (Option<String>, i64, i64, String, String, i64, i64);
    let row: Option<Row> =
        sqlx::query_as("SELECT language, shortcuts, conversations, theme, density, per_page, undo_send_seconds FROM preferences WHERE username = $1")
            .bind(username)
            .fetch_optional(db)
            .await?;
    Ok(row
        .map(|(language, shortcuts, conversations, theme, density, per_page, undo_send_seconds)| {
            Preferences {
                language,
                shortcuts: shortcuts != 0,
                conversations: conversations != 0,
                theme,
                density,
                per_page: u32::try_from(per_page).unwrap_or(0),
                undo_send_seconds: u32::try_from(undo_send_seconds).unwrap_or(u32::MAX),
            }
            .checked()
        })
        .unwrap_or_default())
}

pub async fn set(db: &Db, username: &str, p: &Preferences) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO preferences (username, language, shortcuts, conversations, theme, density, per_page, undo_send_seconds, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $9, $8) \
         ON CONFLICT (username) DO UPDATE SET language = excluded.language, shortcuts = excluded.shortcuts, \
         conversations = excluded.conversations, theme = excluded.theme, density = excluded.density, \
         per_page = excluded.per_page, undo_send_seconds = excluded.undo_send_seconds, updated_at = excluded.updated_at",
    )
    .bind(username)
    .bind(&p.language)
    .bind(i64::from(p.shortcuts))
    .bind(i64::from(p.conversations))
    .bind(&p.theme)
    .bind(&p.density)
    .bind(i64::from(p.per_page))
    .bind(crate::clock::unix_secs())
    .bind(i64::from(p.undo_send_seconds))
    .execute(db)
    .await?;
    Ok(())
}

/// Whether `sender`'s messages show their remote images without asking.
pub async fn images_trusted(db: &Db, username: &str, sender: &str) -> Result<bool, StoreError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT 1 FROM image_senders WHERE username = $1 AND sender = $2")
        .bind(username)
        .bind(sender.to_lowercase())
        .fetch_optional(db)
        .await?;
    Ok(row.is_some())
}

pub async fn set_images_trusted(db: &Db, username: &str, sender: &str, trusted: bool) -> Result<(), StoreError> {
    let q = if trusted {
        "INSERT INTO image_senders (username, sender) VALUES ($1, $2) ON CONFLICT (username, sender) DO NOTHING"
    } else {
        "DELETE FROM image_senders WHERE username = $1 AND sender = $2"
    };
    sqlx::query(q).bind(username).bind(sender.to_lowercase()).execute(db).await?;
    Ok(())
}

pub async fn image_senders(db: &Db, username: &str) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT sender FROM image_senders WHERE username = $1 ORDER BY sender")
        .bind(username)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// The order `username` chose for `folder`: its sort key (`date`, `from`…) and whether it
/// is descending; `None` when they never chose one.
pub async fn folder_order(db: &Db, username: &str, folder: &str) -> Result<Option<(String, bool)>, StoreError> {
    let row: Option<(String, i64)> = sqlx::query_as("SELECT sort_key, descending FROM folder_orders WHERE username = $1 AND folder = $2")
        .bind(username)
        .bind(folder)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|(k, d)| (k, d != 0)))
}

/// Remembers the order chosen for `folder`; `None` forgets it (back to the default).
pub async fn set_folder_order(db: &Db, username: &str, folder: &str, order: Option<(&str, bool)>) -> Result<(), StoreError> {
    match order {
        Some((key, descending)) => {
            sqlx::query(
                "INSERT INTO folder_orders (username, folder, sort_key, descending) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (username, folder) DO UPDATE SET sort_key = excluded.sort_key, descending = excluded.descending",
            )
            .bind(username)
            .bind(folder)
            .bind(key)
            .bind(i64::from(descending))
            .execute(db)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM folder_orders WHERE username = $1 AND folder = $2").bind(username).bind(folder).execute(db).await?;
        }
    }
    Ok(())
}

/// Sessions of `username` that began up to this time (Unix milliseconds) are over; 0 when none.
pub async fn sessions_not_before(db: &Db, username: &str) -> Result<i64, StoreError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT not_before FROM session_epochs WHERE username = $1")
        .bind(username)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|r| r.0).unwrap_or(0))
}

/// Ends every web session of `username` that began up to now.
pub async fn end_all_sessions(db: &Db, username: &str, now: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO session_epochs (username, not_before) VALUES ($1, $2) \
         ON CONFLICT (username) DO UPDATE SET not_before = excluded.not_before",
    )
    .bind(username)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn preferences_round_trip_with_defaults() {
        let db = crate::store::connect("sqlite::memory:").await.unwrap();
        assert_eq!(get(&db, "a@example.test").await.unwrap(), Preferences::default());
        let p = Preferences {
            language: Some("fr".into()),
            shortcuts: false,
            conversations: false,
            theme: "dark".into(),
            density: "compact".into(),
            per_page: 100,
            undo_send_seconds: 30,
        };
        set(&db, "a@example.test", &p).await.unwrap();
        set(&db, "a@example.test", &p).await.unwrap();
        assert_eq!(get(&db, "a@example.test").await.unwrap(), p);
        // Unknown values, stored or sent, read as the defaults.
        let odd = Preferences { theme: "neon".into(), density: "x".into(), per_page: 7, undo_send_seconds: 3600, ..p.clone() }.checked();
        assert_eq!((odd.theme.as_str(), odd.density.as_str(), odd.per_page, odd.undo_send_seconds), ("system", "comfortable", 50, 10));
        assert!(!images_trusted(&db, "a@example.test", "News@Example.org").await.unwrap());
        set_images_trusted(&db, "a@example.test", "News@Example.org", true).await.unwrap();
        set_images_trusted(&db, "a@example.test", "news@example.org", true).await.unwrap();
        assert!(images_trusted(&db, "a@example.test", "NEWS@example.org").await.unwrap());
        assert!(!images_trusted(&db, "b@example.test", "news@example.org").await.unwrap());
        assert_eq!(image_senders(&db, "a@example.test").await.unwrap(), vec!["news@example.org".to_string()]);
        set_images_trusted(&db, "a@example.test", "news@example.org", false).await.unwrap();
        assert!(image_senders(&db, "a@example.test").await.unwrap().is_empty());
        assert_eq!(folder_order(&db, "a@example.test", "INBOX").await.unwrap(), None);
        set_folder_order(&db, "a@example.test", "INBOX", Some(("from", false))).await.unwrap();
        set_folder_order(&db, "a@example.test", "INBOX", Some(("size", true))).await.unwrap();
        assert_eq!(folder_order(&db, "a@example.test", "INBOX").await.unwrap(), Some(("size".into(), true)));
        assert_eq!(folder_order(&db, "a@example.test", "Sent").await.unwrap(), None);
        set_folder_order(&db, "a@example.test", "INBOX", None).await.unwrap();
        assert_eq!(folder_order(&db, "a@example.test", "INBOX").await.unwrap(), None);
    }
}
