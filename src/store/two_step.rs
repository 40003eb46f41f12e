//! Two-step sign-in per user: the authenticator secret (sealed), the last code step used,
//! and the recovery codes (keyed hashes).

use super::{Db, StoreError};

/// What a user has set up.
#[derive(Debug, Default)]
pub struct Factors {
    /// Sealed under the server key; `None`: no authenticator app.
    pub totp_secret: Option<Vec<u8>>,
    /// A secret shown for set-up, not confirmed yet.
    pub pending_secret: Option<Vec<u8>>,
}

/// A row of `second_factors`: (totp_secret, pending_secret).
type Row = (Option<Vec<u8>>, Option<Vec<u8>>);

pub async fn get(db: &Db, username: &str) -> Result<Factors, StoreError> {
    let row: Option<Row> =
        sqlx::query_as("SELECT totp_secret, pending_secret FROM second_factors WHERE username = $1").bind(username).fetch_optional(db).await?;
    Ok(row.map(|(totp_secret, pending_secret)| Factors { totp_secret, pending_secret }).unwrap_or_default())
}

/// Keeps a secret being set up (replacing any other being set up).
pub async fn set_pending(db: &Db, username: &str, sealed: &[u8], now_ms: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO second_factors (username, pending_secret, updated_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (username) DO UPDATE SET pending_secret = $2, updated_ms = $3",
    )
    .bind(username)
    .bind(sealed)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Turns the authenticator on with `sealed`, its code of `step` already used.
pub async fn enable_totp(db: &Db, username: &str, sealed: &[u8], step: i64, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE second_factors SET totp_secret = $2, pending_secret = NULL, totp_last_step = $3, updated_ms = $4 WHERE username = $1")
        .bind(username)
        .bind(sealed)
        .bind(step)
        .bind(now_ms)
        .execute(db)
        .await?;
    Ok(())
}

/// Records that a code of `step` was used; `false` when this step (or a later one) was used
/// already: a code passes once, on whichever instance.
pub async fn use_step(db: &Db, username: &str, step: i64) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE second_factors SET totp_last_step = $2 WHERE username = $1 AND totp_last_step < $2").bind(username).bind(step).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

/// Turns two-step sign-in off: the secret and the recovery codes are forgotten.
pub async fn disable(db: &Db, username: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM second_factors WHERE username = $1").bind(username).execute(db).await?;
    sqlx::query("DELETE FROM recovery_codes WHERE username = $1").bind(username).execute(db).await?;
    Ok(())
}

/// Replaces the user's recovery codes with these (hashed).
pub async fn replace_recovery(db: &Db, username: &str, hashes: &[Vec<u8>]) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM recovery_codes WHERE username = $1").bind(username).execute(&mut *tx).await?;
    for h in hashes {
        sqlx::query("INSERT INTO recovery_codes (username, hash) VALUES ($1, $2)").bind(username).bind(h).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Uses a recovery code; `false` when it is not one of the user's, or was used.
pub async fn use_recovery(db: &Db, username: &str, hash: &[u8], now_ms: i64) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE recovery_codes SET used_ms = $3 WHERE username = $1 AND hash = $2 AND used_ms = 0").bind(username).bind(hash).bind(now_ms).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

/// Recovery codes not used yet.
pub async fn recovery_left(db: &Db, username: &str) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE username = $1 AND used_ms = 0").bind(username).fetch_one(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_step_and_a_recovery_code_pass_once() {
        let db = crate::store::connect("sqlite::memory:").await.unwrap();
        let u = "a@example.test";
        assert!(get(&db, u).await.unwrap().totp_secret.is_none());
        set_pending(&db, u, b"sealed", 1).await.unwrap();
        assert_eq!(get(&db, u).await.unwrap().pending_secret.as_deref(), Some(&b"sealed"[..]));
        enable_totp(&db, u, b"sealed", 100, 2).await.unwrap();
        let f = get(&db, u).await.unwrap();
        assert_eq!((f.totp_secret.as_deref(), f.pending_secret), (Some(&b"sealed"[..]), None));
        assert!(!use_step(&db, u, 100).await.unwrap(), "the set-up code is used");
        assert!(use_step(&db, u, 101).await.unwrap());
        assert!(!use_step(&db, u, 101).await.unwrap(), "no replay");
        assert!(!use_step(&db, u, 100).await.unwrap(), "no older step");
        replace_recovery(&db, u, &[b"h1".to_vec(), b"h2".to_vec()]).await.unwrap();
        assert_eq!(recovery_left(&db, u).await.unwrap(), 2);
        assert!(use_recovery(&db, u, b"h1", 3).await.unwrap());
        assert!(!use_recovery(&db, u, b"h1", 4).await.unwrap());
        assert!(!use_recovery(&db, "b@example.test", b"h2", 4).await.unwrap());
        assert_eq!(recovery_left(&db, u).await.unwrap(), 1);
        disable(&db, u).await.unwrap();
        assert!(get(&db, u).await.unwrap().totp_secret.is_none());
        assert_eq!(recovery_left(&db, u).await.unwrap(), 0);
    }
}
