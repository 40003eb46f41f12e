//! Failed-login counters, shared by every instance on the same database.

use super::{Db, StoreError};

/// One counter: failures in a row and the time of the last, in Unix milliseconds.
pub async fn get(db: &Db, key: &str) -> Result<Option<(i64, i64)>, StoreError> {
    Ok(sqlx::query_as("SELECT failures, last_ms FROM login_failures WHERE key = $1").bind(key).fetch_optional(db).await?)
}

/// Counts one more failure; a counter idle since `forget_before_ms` starts again from one.
pub async fn bump(db: &Db, key: &str, now_ms: i64, forget_before_ms: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO login_failures (key, failures, last_ms) VALUES ($1, 1, $2) \
         ON CONFLICT (key) DO UPDATE SET \
         failures = CASE WHEN login_failures.last_ms < $3 THEN 1 ELSE login_failures.failures + 1 END, \
         last_ms = excluded.last_ms",
    )
    .bind(key)
    .bind(now_ms)
    .bind(forget_before_ms)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn clear(db: &Db, key: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_failures WHERE key = $1").bind(key).execute(db).await?;
    Ok(())
}

/// Drops counters idle since `before_ms`, so a spray of names or addresses cannot fill the table.
pub async fn prune(db: &Db, before_ms: i64) -> Result<u64, StoreError> {
    Ok(sqlx::query("DELETE FROM login_failures WHERE last_ms < $1").bind(before_ms).execute(db).await?.rows_affected())
}
