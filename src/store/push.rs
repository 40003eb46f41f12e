//! Web Push: Facteur's VAPID key and the devices where users turned notifications on.

use super::{Db, StoreError};

/// A device that receives notifications.
pub struct Subscription {
    pub endpoint: String,
    pub p256dh: Vec<u8>,
    pub auth: Vec<u8>,
    /// Sender and subject shown; otherwise "New mail" alone.
    pub preview: bool,
}

/// The sealed VAPID secret, if one was made.
pub async fn vapid_secret(db: &Db) -> Result<Option<Vec<u8>>, StoreError> {
    let row: Option<(Vec<u8>,)> = sqlx::query_as("SELECT secret FROM push_key WHERE id = 1").fetch_optional(db).await?;
    Ok(row.map(|(s,)| s))
}

/// Keeps a sealed VAPID secret unless one is kept already.
pub async fn keep_vapid_secret(db: &Db, sealed: &[u8], now_ms: i64) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO push_key (id, secret, created_ms) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING")
        .bind(sealed)
        .bind(now_ms)
        .execute(db)
        .await?;
    Ok(())
}

/// Adds a device for `username`, or updates it (a browser subscribes again with new keys).
pub async fn add(db: &Db, username: &str, s: &Subscription, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO push_subscriptions (endpoint, username, p256dh, auth, preview, created_ms) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (endpoint) DO UPDATE SET username = $2, p256dh = $3, auth = $4, preview = $5",
    )
    .bind(&s.endpoint)
    .bind(username)
    .bind(&s.p256dh)
    .bind(&s.auth)
    .bind(i64::from(s.preview))
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets one of the user's devices; `false` when it was not theirs or not there.
pub async fn remove(db: &Db, username: &str, endpoint: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM push_subscriptions WHERE endpoint = $1 AND username = $2").bind(endpoint).bind(username).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

/// The user's devices.
pub async fn of_user(db: &Db, username: &str) -> Result<Vec<Subscription>, StoreError> {
    let rows: Vec<(String, Vec<u8>, Vec<u8>, i64)> =
        sqlx::query_as("SELECT endpoint, p256dh, auth, preview FROM push_subscriptions WHERE username = $1 ORDER BY created_ms")
            .bind(username)
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(|(endpoint, p256dh, auth, preview)| Subscription { endpoint, p256dh, auth, preview: preview != 0 }).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn devices_are_kept_per_user_and_the_first_key_stays() {
        let db = crate::store::connect("sqlite::memory:").await.unwrap();
        assert!(vapid_secret(&db).await.unwrap().is_none());
        keep_vapid_secret(&db, b"first", 1).await.unwrap();
        keep_vapid_secret(&db, b"second", 2).await.unwrap();
        assert_eq!(vapid_secret(&db).await.unwrap().unwrap(), b"first");
        let s = |e: &str, preview| Subscription { endpoint: e.into(), p256dh: vec![4; 65], auth: vec![1; 16], preview };
        add(&db, "a@example.test", &s("https://push.example/1", true), 1).await.unwrap();
        add(&db, "a@example.test", &s("https://push.example/2", true), 2).await.unwrap();
        add(&db, "a@example.test", &s("https://push.example/1", false), 3).await.unwrap();
        let mine = of_user(&db, "a@example.test").await.unwrap();
        assert_eq!(mine.iter().map(|s| (s.endpoint.as_str(), s.preview)).collect::<Vec<_>>(), vec![("https://push.example/1", false), ("https://push.example/2", true)]);
        assert!(!remove(&db, "b@example.test", "https://push.example/1").await.unwrap(), "another user's device stays");
        assert!(remove(&db, "a@example.test", "https://push.example/1").await.unwrap());
        assert_eq!(of_user(&db, "a@example.test").await.unwrap().len(), 1);
        assert!(of_user(&db, "b@example.test").await.unwrap().is_empty());
    }
}
