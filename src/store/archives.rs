//! "Archive to my computer": the messages a user chose to download, and whether their download
//! finished (only then may exactly those be deleted from the server).

use super::{Db, StoreError};

/// A chosen set of messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Archive {
    pub id: String,
    pub mailbox: String,
    pub uidvalidity: u32,
    pub uids: Vec<u32>,
    pub bytes: u64,
    pub before_day: String,
    pub downloaded: bool,
}

/// Archives older than this are forgotten (the download link with them).
const KEPT_MS: i64 = 7 * 24 * 3600 * 1000;

type Row = (String, String, i64, String, i64, String, Option<i64>);

fn of_row((id, mailbox, uidvalidity, uids, bytes, before_day, downloaded): Row) -> Archive {
    Archive {
        id,
        mailbox,
        uidvalidity: uidvalidity as u32,
        uids: crate::mail::imap::raw::sequence(&uids, 1_000_000),
        bytes: bytes as u64,
        before_day,
        downloaded: downloaded.is_some(),
    }
}

/// Keeps `a` for `username` (and forgets their archives older than a week).
pub async fn create(db: &Db, username: &str, a: &Archive, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM archives WHERE username = $1 AND created_ms < $2").bind(username).bind(now_ms - KEPT_MS).execute(db).await?;
    sqlx::query(
        "INSERT INTO archives (id, username, mailbox, uidvalidity, uids, messages, bytes, before_day, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&a.id)
    .bind(username)
    .bind(&a.mailbox)
    .bind(i64::from(a.uidvalidity))
    .bind(crate::mail::imap::wire::uid_set(&a.uids))
    .bind(a.uids.len() as i64)
    .bind(a.bytes as i64)
    .bind(&a.before_day)
    .bind(now_ms)
    .execute(db)
    .await?;
    Ok(())
}

/// The archive `id` of `username`, if there is one.
pub async fn get(db: &Db, username: &str, id: &str) -> Result<Option<Archive>, StoreError> {
    let row: Option<Row> = sqlx::query_as("SELECT id, mailbox, uidvalidity, uids, bytes, before_day, downloaded_ms FROM archives WHERE username = $1 AND id = $2")
        .bind(username)
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(of_row))
}

/// The download of archive `id` finished with exactly `uids` (those still there), `bytes`
/// of messages.
pub async fn downloaded(db: &Db, username: &str, id: &str, uids: &[u32], bytes: u64, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE archives SET uids = $1, messages = $2, bytes = $3, downloaded_ms = $4 WHERE username = $5 AND id = $6")
        .bind(crate::mail::imap::wire::uid_set(uids))
        .bind(uids.len() as i64)
        .bind(bytes as i64)
        .bind(now_ms)
        .bind(username)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Forgets archive `id` (its messages were deleted).
pub async fn forget(db: &Db, username: &str, id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM archives WHERE username = $1 AND id = $2").bind(username).bind(id).execute(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_archive_is_kept_per_user_until_downloaded_and_forgotten() {
        let db = crate::store::connect("sqlite::memory:").await.unwrap();
        let a = Archive { id: "abc".into(), mailbox: "Projets été".into(), uidvalidity: 7, uids: vec![1, 2, 3, 9], bytes: 4000, before_day: "2025-11-30".into(), downloaded: false };
        create(&db, "a@example.test", &a, 1_000).await.unwrap();
        assert_eq!(get(&db, "a@example.test", "abc").await.unwrap(), Some(a.clone()));
        assert_eq!(get(&db, "b@example.test", "abc").await.unwrap(), None, "another user's");
        downloaded(&db, "a@example.test", "abc", &[1, 3, 9], 3000, 2_000).await.unwrap();
        let d = get(&db, "a@example.test", "abc").await.unwrap().unwrap();
        assert!(d.downloaded);
        assert_eq!((d.uids, d.bytes), (vec![1, 3, 9], 3000));
        forget(&db, "a@example.test", "abc").await.unwrap();
        assert_eq!(get(&db, "a@example.test", "abc").await.unwrap(), None);
    }
}
