//! A user's recent searches.

use super::{Db, StoreError};

/// Searches kept per user.
pub const KEPT: i64 = 20;

/// Notes that `username` searched for `query` (now, in Unix milliseconds), keeping the
/// [`KEPT`] most recent.
pub async fn remember(db: &Db, username: &str, query: &str, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO recent_searches (username, query, used_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (username, query) DO UPDATE SET used_ms = excluded.used_ms",
    )
    .bind(username)
    .bind(query)
    .bind(now_ms)
    .execute(db)
    .await?;
    sqlx::query(
        "DELETE FROM recent_searches WHERE username = $1 AND query NOT IN \
         (SELECT query FROM recent_searches WHERE username = $1 ORDER BY used_ms DESC LIMIT $2)",
    )
    .bind(username)
    .bind(KEPT)
    .execute(db)
    .await?;
    Ok(())
}

/// The user's recent searches, the last one first.
pub async fn recent(db: &Db, username: &str) -> Result<Vec<String>, StoreError> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT query FROM recent_searches WHERE username = $1 ORDER BY used_ms DESC LIMIT $2")
        .bind(username)
        .bind(KEPT)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_last_searches_are_kept_newest_first() {
        let db = crate::store::connect("sqlite::memory:").await.unwrap();
        for i in 0..25 {
            remember(&db, "a@example.test", &format!("q{i}"), 1000 + i).await.unwrap();
        }
        remember(&db, "a@example.test", "q3", 5000).await.unwrap();
        remember(&db, "b@example.test", "other", 1).await.unwrap();
        let r = recent(&db, "a@example.test").await.unwrap();
        assert_eq!(r.len(), KEPT as usize);
        assert_eq!(&r[..3], ["q3", "q24", "q23"]);
        assert!(!r.contains(&"q4".to_string()), "the oldest are forgotten");
        assert_eq!(recent(&db, "b@example.test").await.unwrap(), ["other"]);
    }
}
