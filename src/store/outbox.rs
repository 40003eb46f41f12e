//! The outbox: timed work kept in the database until it is done, whichever instance does it.
//!
//! A job is `waiting` until it is due. A worker on each instance claims due jobs by writing its
//! name and a lease into them (on PostgreSQL, `FOR UPDATE SKIP LOCKED`, so that two workers
//! never wait on or take the same rows), renews the lease while it works, and ends the job
//! (`sent` or `failed`, its content removed). A job whose worker died keeps its state and is
//! claimed again once the lease has run out. What a job carries is sealed by the caller;
//! this module only keeps it.

use super::{Backend, Db, StoreError};

/// A new job.
pub struct NewJob<'a> {
    pub id: &'a str,
    pub username: &'a str,
    pub kind: &'a str,
    pub due_ms: i64,
    pub meta: Vec<u8>,
    pub message: Vec<u8>,
    pub secret: Vec<u8>,
}

/// A job a worker now holds.
#[derive(Debug)]
pub struct Claimed {
    pub id: String,
    pub username: String,
    pub kind: String,
    /// Its state when it was claimed: `waiting` for a first run, `sending` or `accepted` when an
    /// earlier run stopped in the middle, `keeping` when the message was refused and could not
    /// be saved in Drafts yet.
    pub state: String,
    /// Runs so far, this one included.
    pub attempts: i64,
    /// Why the last run did not end it.
    pub reason: String,
    pub meta: Vec<u8>,
    pub message: Vec<u8>,
    pub secret: Vec<u8>,
}

/// A job as its owner's page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub state: String,
    pub due_ms: i64,
    pub reason: String,
}

pub async fn add(db: &Db, job: NewJob<'_>, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO outbox (id, username, kind, state, due_ms, meta, message, secret, created_ms, updated_ms) \
         VALUES ($1, $2, $3, 'waiting', $4, $5, $6, $7, $8, $8)",
    )
    .bind(job.id)
    .bind(job.username)
    .bind(job.kind)
    .bind(job.due_ms)
    .bind(job.meta)
    .bind(job.message)
    .bind(job.secret)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Claims up to `limit` due jobs for `holder` until `lease_until_ms`, the longest due first.
pub async fn claim(db: &Db, backend: Backend, holder: &str, now_ms: i64, lease_until_ms: i64, limit: i64) -> Result<Vec<Claimed>, StoreError> {
    // The outer condition repeats the inner one: on PostgreSQL a row another worker claimed
    // between the two is checked again once its lock is released.
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE outbox SET holder = $1, lease_ms = $2, attempts = attempts + 1, updated_ms = $3 \
         WHERE state IN ('waiting', 'sending', 'accepted', 'keeping') AND due_ms <= $3 AND lease_ms < $3 AND id IN ( \
             SELECT id FROM outbox WHERE state IN ('waiting', 'sending', 'accepted', 'keeping') AND due_ms <= $3 AND lease_ms < $3 \
             ORDER BY due_ms LIMIT $4{lock}) \
         RETURNING id, username, kind, state, attempts, reason, meta, message, secret"
    );
    type Row = (String, String, String, String, i64, String, Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>);
    let rows: Vec<Row> = sqlx::query_as(&sql).bind(holder).bind(lease_until_ms).bind(now_ms).bind(limit).fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(|(id, username, kind, state, attempts, reason, meta, message, secret)| Claimed {
            id,
            username,
            kind,
            state,
            attempts,
            reason,
            meta: meta.unwrap_or_default(),
            message: message.unwrap_or_default(),
            secret: secret.unwrap_or_default(),
        })
        .collect())
}

/// Extends `holder`'s lease; `false` when it no longer holds the job.
pub async fn renew(db: &Db, id: &str, holder: &str, lease_until_ms: i64) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE outbox SET lease_ms = $3 WHERE id = $1 AND holder = $2 AND state IN ('waiting', 'sending', 'accepted', 'keeping')")
        .bind(id)
        .bind(holder)
        .bind(lease_until_ms)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Records how far the job has got (`sending` before the SMTP transaction, `accepted` after);
/// `false` when `holder` no longer holds it.
pub async fn advance(db: &Db, id: &str, holder: &str, state: &str, now_ms: i64) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE outbox SET state = $3, updated_ms = $4 WHERE id = $1 AND holder = $2 AND state IN ('waiting', 'sending', 'accepted', 'keeping')")
        .bind(id)
        .bind(holder)
        .bind(state)
        .bind(now_ms)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts the job back to wait until `due_ms` in `state` (`waiting` when the SMTP server surely
/// did not take the message; the state it had when the run cannot tell), with why.
pub async fn retry_at(db: &Db, id: &str, holder: &str, state: &str, due_ms: i64, reason: &str, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE outbox SET state = $6, due_ms = $3, lease_ms = 0, holder = '', reason = $4, updated_ms = $5 WHERE id = $1 AND holder = $2")
        .bind(id)
        .bind(holder)
        .bind(due_ms)
        .bind(reason)
        .bind(now_ms)
        .bind(state)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends the job (`sent` or `failed`): its content and the password are removed at once.
pub async fn end(db: &Db, id: &str, state: &str, reason: &str, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE outbox SET state = $2, reason = $3, meta = NULL, message = NULL, secret = NULL, lease_ms = 0, updated_ms = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(state)
    .bind(reason)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// Takes a job back before any worker started it (undo): removes it and returns what it
/// carried; `None` when it is no longer waiting (it is being sent, or was).
pub async fn take_back(db: &Db, username: &str, kind: &str, id: &str, now_ms: i64) -> Result<Option<Vec<u8>>, StoreError> {
    let row: Option<(Option<Vec<u8>>,)> =
        sqlx::query_as("DELETE FROM outbox WHERE id = $1 AND username = $2 AND kind = $4 AND state = 'waiting' AND lease_ms < $3 RETURNING meta")
            .bind(id)
            .bind(username)
            .bind(now_ms)
            .bind(kind)
            .fetch_optional(db)
            .await?;
    Ok(row.map(|(meta,)| meta.unwrap_or_default()))
}

/// The user's jobs of `kind` still waiting, soonest first: (id, due, sealed meta).
pub async fn waiting(db: &Db, username: &str, kind: &str) -> Result<Vec<(String, i64, Vec<u8>)>, StoreError> {
    let rows: Vec<(String, i64, Option<Vec<u8>>)> =
        sqlx::query_as("SELECT id, due_ms, meta FROM outbox WHERE username = $1 AND kind = $2 AND state = 'waiting' ORDER BY due_ms, id")
            .bind(username)
            .bind(kind)
            .fetch_all(db)
            .await?;
    Ok(rows.into_iter().map(|(id, due, meta)| (id, due, meta.unwrap_or_default())).collect())
}

/// Moves a waiting job to `due_ms`; `false` when it is no longer waiting.
pub async fn reschedule(db: &Db, username: &str, kind: &str, id: &str, due_ms: i64, now_ms: i64) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE outbox SET due_ms = $3, updated_ms = $4 WHERE id = $1 AND username = $2 AND kind = $5 AND state = 'waiting' AND lease_ms < $4")
        .bind(id)
        .bind(username)
        .bind(due_ms)
        .bind(now_ms)
        .bind(kind)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// One of the user's jobs, for the page that started it.
pub async fn status(db: &Db, username: &str, id: &str) -> Result<Option<Status>, StoreError> {
    let row: Option<(String, i64, String)> = sqlx::query_as("SELECT state, due_ms, reason FROM outbox WHERE id = $1 AND username = $2")
        .bind(id)
        .bind(username)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|(state, due_ms, reason)| Status { state, due_ms, reason }))
}

/// Forgets jobs that ended before `before_ms`; returns how many.
pub async fn sweep(db: &Db, before_ms: i64) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM outbox WHERE state IN ('sent', 'failed') AND updated_ms < $1").bind(before_ms).execute(db).await?;
    Ok(done.rows_affected())
}

/// Jobs not yet done (for the metrics and the benchmark).
pub async fn open_count(db: &Db) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE state IN ('waiting', 'sending', 'accepted', 'keeping')").fetch_one(db).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job<'a>(id: &'a str, due_ms: i64) -> NewJob<'a> {
        NewJob { id, username: "a@example.test", kind: "send", due_ms, meta: b"meta".to_vec(), message: b"message".to_vec(), secret: b"secret".to_vec() }
    }

    #[tokio::test]
    async fn a_job_is_held_by_one_worker_until_its_lease_ends_and_undo_only_takes_a_waiting_one() {
        let db = crate::store::connect("sqlite::memory:").await.unwrap();
        add(&db, job("j1", 1_000), 0).await.unwrap();
        add(&db, job("j2", 5_000), 0).await.unwrap();
        // Not due yet.
        assert!(claim(&db, Backend::Sqlite, "w1", 500, 10_500, 8).await.unwrap().is_empty());
        let got = claim(&db, Backend::Sqlite, "w1", 1_000, 11_000, 8).await.unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].id.as_str(), got[0].state.as_str(), got[0].attempts), ("j1", "waiting", 1));
        assert_eq!((got[0].meta.as_slice(), got[0].secret.as_slice()), (&b"meta"[..], &b"secret"[..]));
        // Held: another worker gets nothing, and Undo is too late.
        assert!(claim(&db, Backend::Sqlite, "w2", 2_000, 12_000, 8).await.unwrap().is_empty());
        assert!(take_back(&db, "a@example.test", "send", "j1", 2_000).await.unwrap().is_none());
        assert!(advance(&db, "j1", "w1", "sending", 2_000).await.unwrap());
        assert!(!advance(&db, "j1", "w2", "accepted", 2_000).await.unwrap(), "only the holder records progress");
        // The holder died: once the lease is over, another worker takes it, in its last state.
        let again = claim(&db, Backend::Sqlite, "w2", 11_001, 21_001, 8).await.unwrap();
        let j1 = again.iter().find(|c| c.id == "j1").unwrap();
        assert_eq!((j1.state.as_str(), j1.attempts), ("sending", 2));
        assert!(!renew(&db, "j1", "w1", 30_000).await.unwrap(), "the old holder lost it");
        assert!(renew(&db, "j1", "w2", 30_000).await.unwrap());
        end(&db, "j1", "sent", "", 12_000).await.unwrap();
        assert_eq!(status(&db, "a@example.test", "j1").await.unwrap().unwrap().state, "sent");
        assert!(status(&db, "b@example.test", "j1").await.unwrap().is_none(), "only its owner sees it");
        type Parts = (Option<Vec<u8>>, Option<Vec<u8>>, Option<Vec<u8>>);
        let row: Parts = sqlx::query_as("SELECT meta, message, secret FROM outbox WHERE id = 'j1'").fetch_one(&db).await.unwrap();
        assert_eq!(row, (None, None, None), "an ended job keeps nothing of the message or the password");
        // j2 was claimed with j1 above; a waiting one is taken back whole by its owner only.
        add(&db, job("j3", 50_000), 12_000).await.unwrap();
        assert!(take_back(&db, "b@example.test", "send", "j3", 13_000).await.unwrap().is_none());
        assert_eq!(take_back(&db, "a@example.test", "send", "j3", 13_000).await.unwrap().unwrap(), b"meta");
        assert!(status(&db, "a@example.test", "j3").await.unwrap().is_none());
        // A send put back to wait keeps the state it is given.
        retry_at(&db, "j2", "w2", "sending", 20_000, "imap", 13_000).await.unwrap();
        let later = claim(&db, Backend::Sqlite, "w3", 20_000, 30_000, 8).await.unwrap();
        assert_eq!((later[0].id.as_str(), later[0].state.as_str(), later[0].reason.as_str()), ("j2", "sending", "imap"));
        assert_eq!(open_count(&db).await.unwrap(), 1);
        add(&db, job("j4", 90_000), 13_000).await.unwrap();
        assert!(reschedule(&db, "a@example.test", "send", "j4", 80_000, 14_000).await.unwrap());
        assert!(!reschedule(&db, "b@example.test", "send", "j4", 70_000, 14_000).await.unwrap());
        assert!(!reschedule(&db, "a@example.test", "send", "j2", 70_000, 20_001).await.unwrap(), "a job being sent stays");
        assert_eq!(waiting(&db, "a@example.test", "send").await.unwrap(), vec![("j4".to_string(), 80_000, b"meta".to_vec())]);
        assert!(!reschedule(&db, "a@example.test", "unsnooze", "j4", 70_000, 14_000).await.unwrap(), "a job of another kind stays");
        assert!(take_back(&db, "a@example.test", "unsnooze", "j4", 14_000).await.unwrap().is_none(), "a job of another kind stays");
        assert!(waiting(&db, "a@example.test", "unsnooze").await.unwrap().is_empty());
        assert!(take_back(&db, "a@example.test", "send", "j4", 14_000).await.unwrap().is_some());
        assert_eq!(sweep(&db, 12_001).await.unwrap(), 1);
    }
}
