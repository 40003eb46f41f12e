//! Imports into a folder: how far each has got, and its report once it ended. Kept in the
//! database so that whichever instance serves the import's page can show it.

use super::{Db, StoreError};

/// An import, as its page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    pub mailbox: String,
    /// The uploaded file's size, and how much of it has been read.
    pub bytes: u64,
    pub read: u64,
    /// What it did so far, as JSON.
    pub report: String,
    /// When it last told how far it got (Unix milliseconds).
    pub updated_ms: i64,
    pub finished: bool,
}

/// Imports older than this are forgotten.
const KEPT_MS: i64 = 7 * 24 * 3600 * 1000;

/// Starts import `id` of `username` into `mailbox`, of a file of `bytes` (and forgets their
/// imports older than a week).
pub async fn create(db: &Db, username: &str, id: &str, mailbox: &str, bytes: u64, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM imports WHERE username = $1 AND created_ms < $2").bind(username).bind(now_ms - KEPT_MS).execute(db).await?;
    sqlx::query(
        "INSERT INTO imports (id, username, mailbox, bytes, read_bytes, report, created_ms, updated_ms) VALUES ($1, $2, $3, $4, 0, '{}', $5, $5)",
    )
    .bind(id)
    .bind(username)
    .bind(mailbox)
    .bind(bytes as i64)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// How far import `id` got: `read` bytes of its file, `report` so far; `finished` once it ended.
pub async fn update(db: &Db, username: &str, id: &str, read: u64, report: &str, finished: bool, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE imports SET read_bytes = $1, report = $2, updated_ms = $3, finished_ms = $4 WHERE username = $5 AND id = $6")
        .bind(read as i64)
        .bind(report)
        .bind(now_ms)
        .bind(finished.then_some(now_ms))
        .bind(username)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Import `id` of `username`, if there is one.
pub async fn get(db: &Db, username: &str, id: &str) -> Result<Option<Import>, StoreError> {
    let row: Option<(String, i64, i64, String, i64, Option<i64>)> =
        sqlx::query_as("SELECT mailbox, bytes, read_bytes, report, updated_ms, finished_ms FROM imports WHERE username = $1 AND id = $2")
            .bind(username)
            .bind(id)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(mailbox, bytes, read, report, updated_ms, finished)| Import {
        mailbox,
        bytes: bytes as u64,
        read: read as u64,
        report,
        updated_ms,
        finished: finished.is_some(),
    }))
}
