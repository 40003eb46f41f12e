//! The user's passkeys and security keys (see the migration `0019_passkeys`).

use super::{Db, StoreError};

/// One key, as kept.
#[derive(Clone, Debug)]
pub struct Passkey {
    /// The credential id, base64url.
    pub id: String,
    pub name: String,
    /// The library's JSON of the key.
    pub credential: String,
    pub created_ms: i64,
    pub last_used_ms: i64,
}

/// Keeps a new key; `false` when its credential id is kept already (for anyone).
pub async fn add(db: &Db, username: &str, id: &str, name: &str, credential: &str, now_ms: i64) -> Result<bool, StoreError> {
    let done = sqlx::query("INSERT INTO passkeys (id, username, name, credential, created_ms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING")
        .bind(id)
        .bind(username)
        .bind(name)
        .bind(credential)
        .bind(now_ms)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn of_user(db: &Db, username: &str) -> Result<Vec<Passkey>, StoreError> {
    let rows: Vec<(String, String, String, i64, i64)> =
        sqlx::query_as("SELECT id, name, credential, created_ms, last_used_ms FROM passkeys WHERE username = $1 ORDER BY created_ms, id")
            .bind(username)
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(|(id, name, credential, created_ms, last_used_ms)| Passkey { id, name, credential, created_ms, last_used_ms }).collect())
}

/// After a sign-in with the key: its new counter (in `credential`) and the time, unless the
/// key changed since it was read as `was` (another use got there first: `false`).
pub async fn used(db: &Db, username: &str, id: &str, was: &str, credential: &str, now_ms: i64) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE passkeys SET credential = $3, last_used_ms = $4 WHERE id = $1 AND username = $2 AND credential = $5")
        .bind(id)
        .bind(username)
        .bind(credential)
        .bind(now_ms)
        .bind(was)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What became of a key asked to be removed.
#[derive(Debug, PartialEq, Eq)]
pub enum Removal {
    /// Removed; `left` keys remain.
    Removed { left: i64 },
    /// Kept: it is the user's last key, and the last had to stay.
    Kept,
    /// Not one of the user's keys (removed already).
    Gone,
}

/// Removes one of the user's keys, unless `keep_last` and it is their last. The user's keys are
/// taken for the transaction first (row locks on PostgreSQL, the write lock on SQLite), so
/// that two removals at once count one after the other.
pub async fn remove(db: &Db, username: &str, id: &str, keep_last: bool) -> Result<Removal, StoreError> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE passkeys SET name = name WHERE username = $1").bind(username).execute(&mut *tx).await?;
    let (count, mine): (i64, i64) = sqlx::query_as("SELECT COUNT(*), COUNT(CASE WHEN id = $2 THEN 1 END) FROM passkeys WHERE username = $1")
        .bind(username)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    if mine == 0 {
        return Ok(Removal::Gone);
    }
    if keep_last && count <= 1 {
        return Ok(Removal::Kept);
    }
    sqlx::query("DELETE FROM passkeys WHERE id = $1 AND username = $2").bind(id).bind(username).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(Removal::Removed { left: count - 1 })
}

pub async fn remove_all(db: &Db, username: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM passkeys WHERE username = $1").bind(username).execute(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_are_kept_per_user_named_updated_and_removed() {
        let db = crate::store::connect("sqlite::memory:").await.unwrap();
        add(&db, "a@example.test", "k1", "YubiKey", "{}", 1).await.unwrap();
        add(&db, "a@example.test", "k2", "Phone", "{}", 2).await.unwrap();
        add(&db, "b@example.test", "k3", "Laptop", "{}", 3).await.unwrap();
        assert!(!add(&db, "b@example.test", "k1", "Not mine", "{}", 4).await.unwrap(), "a credential id kept already");
        assert!(used(&db, "a@example.test", "k1", "{}", "{\"counter\":5}", 10).await.unwrap());
        assert!(!used(&db, "a@example.test", "k1", "{}", "{\"counter\":6}", 11).await.unwrap(), "read before the other use");
        let mine = of_user(&db, "a@example.test").await.unwrap();
        assert_eq!(mine.iter().map(|k| (k.name.as_str(), k.last_used_ms)).collect::<Vec<_>>(), vec![("YubiKey", 10), ("Phone", 0)]);
        assert_eq!(mine[0].credential, "{\"counter\":5}");
        assert_eq!(remove(&db, "b@example.test", "k1", false).await.unwrap(), Removal::Gone, "not theirs");
        assert_eq!(remove(&db, "a@example.test", "k1", true).await.unwrap(), Removal::Removed { left: 1 });
        assert_eq!(remove(&db, "a@example.test", "k2", true).await.unwrap(), Removal::Kept, "the last stays");
        assert_eq!(remove(&db, "a@example.test", "k1", true).await.unwrap(), Removal::Gone);
        remove_all(&db, "a@example.test").await.unwrap();
        assert!(of_user(&db, "a@example.test").await.unwrap().is_empty());
        assert_eq!(of_user(&db, "b@example.test").await.unwrap().len(), 1);
    }
}
