//! Where each user is signed in: one row per web session (see the migration
//! `0017_web_sessions`).

use super::{Db, StoreError};

/// A web session as the Security page lists it.
#[derive(Clone, Debug)]
pub struct WebSession {
    pub id: String,
    pub user_agent: String,
    pub address: String,
    pub created_ms: i64,
    pub last_seen_ms: i64,
}

pub async fn add(db: &Db, id: &str, username: &str, user_agent: &str, address: &str, now_ms: i64) -> Result<(), StoreError> {
    let ua: String = user_agent.chars().filter(|c| !c.is_control()).take(300).collect();
    sqlx::query("INSERT INTO web_sessions (id, username, user_agent, address, created_ms, last_seen_ms) VALUES ($1, $2, $3, $4, $5, $5)")
        .bind(id)
        .bind(username)
        .bind(ua)
        .bind(address)
        .bind(now_ms)
        .execute(db)
        .await?;
    Ok(())
}

/// What a request needs to know of its session, in one query: when it was last seen (`None`:
/// ended from another device) and the user's "sign out everywhere" time (0: never).
pub async fn check(db: &Db, id: &str, username: &str) -> Result<Option<(i64, i64)>, StoreError> {
    let row: Option<(i64, i64)> = sqlx::query_as(
        "SELECT w.last_seen_ms, COALESCE((SELECT e.not_before FROM session_epochs e WHERE e.username = $2), 0) \
         FROM web_sessions w WHERE w.id = $1 AND w.username = $2",
    )
    .bind(id)
    .bind(username)
    .fetch_optional(db)
    .await?;
    Ok(row)
}

pub async fn touch(db: &Db, id: &str, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE web_sessions SET last_seen_ms = $2 WHERE id = $1").bind(id).bind(now_ms).execute(db).await?;
    Ok(())
}

/// The user's sessions, the most recently active first.
pub async fn of_user(db: &Db, username: &str) -> Result<Vec<WebSession>, StoreError> {
    let rows: Vec<(String, String, String, i64, i64)> =
        sqlx::query_as("SELECT id, user_agent, address, created_ms, last_seen_ms FROM web_sessions WHERE username = $1 ORDER BY last_seen_ms DESC, id")
            .bind(username)
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(|(id, user_agent, address, created_ms, last_seen_ms)| WebSession { id, user_agent, address, created_ms, last_seen_ms }).collect())
}

/// Ends one of the user's sessions; `false` when it was not theirs or is over already.
pub async fn remove(db: &Db, username: &str, id: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM web_sessions WHERE id = $1 AND username = $2").bind(id).bind(username).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

/// Ends all the user's sessions but `keep`; how many.
pub async fn remove_others(db: &Db, username: &str, keep: &str) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM web_sessions WHERE username = $1 AND id <> $2").bind(username).bind(keep).execute(db).await?;
    Ok(done.rows_affected())
}

/// Forgets sessions not seen since `before_ms` (they ended by themselves).
pub async fn sweep(db: &Db, before_ms: i64) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM web_sessions WHERE last_seen_ms < $1").bind(before_ms).execute(db).await?;
    Ok(done.rows_affected())
}

/// Whether the user wants an email when someone signs in from a new browser.
pub async fn notices_on(db: &Db, username: &str) -> Result<bool, StoreError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT enabled FROM sign_in_notices WHERE username = $1").bind(username).fetch_optional(db).await?;
    Ok(row.is_some_and(|(e,)| e != 0))
}

pub async fn set_notices(db: &Db, username: &str, on: bool) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO sign_in_notices (username, enabled) VALUES ($1, $2) ON CONFLICT (username) DO UPDATE SET enabled = $2")
        .bind(username)
        .bind(i64::from(on))
        .execute(db)
        .await?;
    Ok(())
}

/// Notes that the user signed in from `browser` (a hash of its cookie); `true` when it is a
/// browser they had not signed in from before.
pub async fn note_browser(db: &Db, username: &str, browser: &str, now_ms: i64) -> Result<bool, StoreError> {
    let done = sqlx::query("INSERT INTO known_browsers (username, browser, seen_ms) VALUES ($1, $2, $3) ON CONFLICT (username, browser) DO NOTHING")
        .bind(username)
        .bind(browser)
        .bind(now_ms)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sessions_are_listed_checked_and_ended_per_user() {
        let db = crate::store::connect("sqlite::memory:").await.unwrap();
        add(&db, "s1", "a@example.test", "Firefox\r\n", "192.0.2.1", 1_000).await.unwrap();
        add(&db, "s2", "a@example.test", "Chrome", "192.0.2.2", 2_000).await.unwrap();
        add(&db, "s3", "b@example.test", "Safari", "192.0.2.3", 3_000).await.unwrap();
        assert_eq!(check(&db, "s1", "a@example.test").await.unwrap(), Some((1_000, 0)));
        assert_eq!(check(&db, "s1", "b@example.test").await.unwrap(), None, "not another user's");
        touch(&db, "s1", 5_000).await.unwrap();
        let mine = of_user(&db, "a@example.test").await.unwrap();
        assert_eq!(mine.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(), vec!["s1", "s2"]);
        assert_eq!(mine[0].user_agent, "Firefox", "control characters dropped");
        assert!(!remove(&db, "b@example.test", "s1").await.unwrap());
        assert_eq!(remove_others(&db, "a@example.test", "s1").await.unwrap(), 1);
        assert_eq!(check(&db, "s2", "a@example.test").await.unwrap(), None);
        assert_eq!(sweep(&db, 4_000).await.unwrap(), 1, "s3, last seen at 3 000");
        assert!(remove(&db, "a@example.test", "s1").await.unwrap());
        assert!(of_user(&db, "a@example.test").await.unwrap().is_empty());
        assert!(!notices_on(&db, "a@example.test").await.unwrap(), "off unless turned on");
        set_notices(&db, "a@example.test", true).await.unwrap();
        assert!(notices_on(&db, "a@example.test").await.unwrap());
        assert!(note_browser(&db, "a@example.test", "h1", 1).await.unwrap());
        assert!(!note_browser(&db, "a@example.test", "h1", 2).await.unwrap(), "known now");
        assert!(note_browser(&db, "b@example.test", "h1", 2).await.unwrap(), "per user");
    }
}
