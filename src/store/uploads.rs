//! Files attached to messages being written, kept (never whole in memory while they arrive)
//! until the message is sent or the draft abandoned.
//!
//! With SQLite, on disk: `<data_dir>/uploads/<user hash>/<draft id>/<n>.bin` with `<n>.json`
//! beside it (name, content type, size). With PostgreSQL, in the database, in chunks of 1 MiB,
//! so that any instance behind a load balancer can send a draft another instance received the
//! files of. Draft ids are random tokens checked before any path or key is built.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::{Db, StoreError};
use crate::clock::unix_secs;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    pub id: u32,
    pub name: String,
    pub content_type: String,
    pub size: u64,
}

#[derive(Clone)]
pub struct Uploads {
    place: Place,
}

/// Where the files are kept.
#[derive(Clone)]
enum Place {
    /// Under this directory: `<user hash>/<draft id>/<n>.bin` and `<n>.json`.
    Disk(PathBuf),
    /// In the tables `upload_files` and `upload_chunks`, shared by every instance.
    Database(Db),
}

/// Rows of this size, so that a file is written and read in pieces.
const CHUNK: usize = 1024 * 1024;

/// A file being received.
pub struct Pending {
    meta: Stored,
    to: Target,
}

enum Target {
    Disk { file: tokio::fs::File, bin: PathBuf, dir: PathBuf },
    Db { db: Db, owner: String, draft: String, buf: Vec<u8>, seq: i64 },
}

/// A draft id is 16 to 64 characters of `[A-Za-z0-9_-]`.
pub fn valid_draft_id(id: &str) -> bool {
    (16..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn owner(user: &str) -> String {
    let h = Sha256::digest(user.as_bytes());
    h.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

fn db_error(e: sqlx::Error) -> std::io::Error {
    std::io::Error::other(StoreError::from(e))
}

/// Refuses a draft id that is not one of ours before any path or key is built from it.
fn check_draft_id(draft: &str) -> std::io::Result<()> {
    if valid_draft_id(draft) {
        Ok(())
    } else {
        Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "bad draft id"))
    }
}

/// The directory of a draft's files (the draft id already checked).
fn draft_dir(root: &Path, user: &str, draft: &str) -> PathBuf {
    root.join(owner(user)).join(draft)
}

impl Uploads {
    /// Files on disk, under `uploads` in the data directory.
    pub fn new(data_dir: &Path) -> Self {
        Self { place: Place::Disk(data_dir.join("uploads")) }
    }

    /// Files in the database (`upload_files`, `upload_chunks`), shared by every instance.
    pub fn in_database(db: Db) -> Self {
        Self { place: Place::Database(db) }
    }

    /// The files of a draft, in the order they were added.
    pub async fn list(&self, user: &str, draft: &str) -> Vec<Stored> {
        if check_draft_id(draft).is_err() {
            return Vec::new();
        }
        match &self.place {
            Place::Database(db) => list_in_database(db, user, draft).await,
            Place::Disk(root) => list_on_disk(&draft_dir(root, user, draft)).await,
        }
    }

    pub async fn total_size(&self, user: &str, draft: &str) -> u64 {
        self.list(user, draft).await.iter().map(|s| s.size).sum()
    }

    /// Starts receiving a file.
    pub async fn begin(&self, user: &str, draft: &str, name: &str, content_type: &str) -> std::io::Result<Pending> {
        check_draft_id(draft)?;
        let name = crate::mail::compose::clean_file_name(name);
        let content_type = clean_content_type(content_type);
        let (id, to) = match &self.place {
            Place::Database(db) => claim_in_database(db, user, draft, &name, &content_type).await?,
            Place::Disk(root) => {
                let dir = draft_dir(root, user, draft);
                tokio::fs::create_dir_all(&dir).await?;
                let next = list_on_disk(&dir).await.last().map(|s| s.id + 1).unwrap_or(1);
                claim_on_disk(dir, next).await?
            }
        };
        Ok(Pending { meta: Stored { id, name, content_type, size: 0 }, to })
    }

    /// Stores a whole file at once (attachments of a forwarded message or a resumed draft).
    pub async fn add_bytes(&self, user: &str, draft: &str, name: &str, content_type: &str, bytes: &[u8]) -> std::io::Result<Stored> {
        let mut p = self.begin(user, draft, name, content_type).await?;
        p.write(bytes).await?;
        p.finish().await
    }

    pub async fn read(&self, user: &str, draft: &str, id: u32) -> std::io::Result<Vec<u8>> {
        check_draft_id(draft)?;
        match &self.place {
            Place::Database(db) => {
                let chunks: Vec<(Vec<u8>,)> =
                    sqlx::query_as("SELECT data FROM upload_chunks WHERE owner = $1 AND draft = $2 AND id = $3 ORDER BY seq")
                        .bind(owner(user))
                        .bind(draft)
                        .bind(i64::from(id))
                        .fetch_all(db)
                        .await
                        .map_err(db_error)?;
                Ok(chunks.into_iter().flat_map(|c| c.0).collect())
            }
            Place::Disk(root) => tokio::fs::read(draft_dir(root, user, draft).join(format!("{id}.bin"))).await,
        }
    }

    pub async fn remove(&self, user: &str, draft: &str, id: u32) {
        if check_draft_id(draft).is_err() {
            return;
        }
        match &self.place {
            Place::Database(db) => delete_file(db, &owner(user), draft, Some(i64::from(id))).await,
            Place::Disk(root) => {
                let dir = draft_dir(root, user, draft);
                let _ = tokio::fs::remove_file(dir.join(format!("{id}.json"))).await;
                let _ = tokio::fs::remove_file(dir.join(format!("{id}.bin"))).await;
            }
        }
    }

    /// Forgets every file of a draft.
    pub async fn clear(&self, user: &str, draft: &str) {
        if check_draft_id(draft).is_err() {
            return;
        }
        match &self.place {
            Place::Database(db) => delete_file(db, &owner(user), draft, None).await,
            Place::Disk(root) => {
                let _ = tokio::fs::remove_dir_all(draft_dir(root, user, draft)).await;
            }
        }
    }

    /// Removes drafts' files untouched for `age` (abandoned compose pages).
    pub async fn sweep(&self, age: Duration) -> usize {
        match &self.place {
            Place::Database(db) => sweep_database(db, age).await,
            Place::Disk(root) => sweep_disk(root, age).await,
        }
    }
}

/// The complete files of a draft in the database.
async fn list_in_database(db: &Db, user: &str, draft: &str) -> Vec<Stored> {
    let rows: Result<Vec<(i64, String, String, i64)>, _> = sqlx::query_as(
        "SELECT id, name, content_type, size FROM upload_files \
         WHERE owner = $1 AND draft = $2 AND complete = 1 ORDER BY id",
    )
    .bind(owner(user))
    .bind(draft)
    .fetch_all(db)
    .await;
    match rows {
        Ok(rows) => rows
            .into_iter()
            .map(|(id, name, content_type, size)| Stored {
                id: u32::try_from(id).unwrap_or(0),
                name,
                content_type,
                size: u64::try_from(size).unwrap_or(0),
            })
            .collect(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot list a draft's files");
            Vec::new()
        }
    }
}

/// The complete files in a draft's directory (those with their `.json`).
async fn list_on_disk(dir: &Path) -> Vec<Stored> {
    let Ok(mut rd) = tokio::fs::read_dir(dir).await else { return Vec::new() };
    let mut out = Vec::new();
    while let Ok(Some(e)) = rd.next_entry().await {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "json")
            && let Ok(text) = tokio::fs::read(&p).await
            && let Ok(s) = serde_json::from_slice::<Stored>(&text)
        {
            out.push(s);
        }
    }
    out.sort_by_key(|s| s.id);
    out
}

/// Takes the next free file number of a draft in the database.
async fn claim_in_database(db: &Db, user: &str, draft: &str, name: &str, content_type: &str) -> std::io::Result<(u32, Target)> {
    let owner = owner(user);
    let (next,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(id), 0) + 1 FROM upload_files WHERE owner = $1 AND draft = $2")
        .bind(&owner)
        .bind(draft)
        .fetch_one(db)
        .await
        .map_err(db_error)?;
    // A concurrent upload (maybe on another instance) may take the same number.
    for id in next..next + 1000 {
        let claimed = sqlx::query(
            "INSERT INTO upload_files (owner, draft, id, name, content_type, size, complete, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 0, 0, $6) ON CONFLICT (owner, draft, id) DO NOTHING",
        )
        .bind(&owner)
        .bind(draft)
        .bind(id)
        .bind(name)
        .bind(content_type)
        .bind(unix_secs())
        .execute(db)
        .await
        .map_err(db_error)?
        .rows_affected();
        if claimed == 1 {
            let to = Target::Db { db: db.clone(), owner, draft: draft.to_string(), buf: Vec::new(), seq: 0 };
            return Ok((u32::try_from(id).unwrap_or(0), to));
        }
    }
    Err(std::io::Error::other("no free attachment number"))
}

/// Creates the next free `<n>.bin` of a draft's directory, from `next` on.
async fn claim_on_disk(dir: PathBuf, next: u32) -> std::io::Result<(u32, Target)> {
    // A concurrent upload may take the same number: find a free one.
    let mut id = next;
    loop {
        let bin = dir.join(format!("{id}.bin"));
        match tokio::fs::OpenOptions::new().write(true).create_new(true).open(&bin).await {
            Ok(file) => return Ok((id, Target::Disk { file, bin, dir })),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && id < next + 1000 => id += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Deletes the database's drafts untouched for `age`; returns how many.
async fn sweep_database(db: &Db, age: Duration) -> usize {
    let before = unix_secs() - i64::try_from(age.as_secs()).unwrap_or(i64::MAX / 2);
    let old: Vec<(String, String)> = sqlx::query_as("SELECT DISTINCT owner, draft FROM upload_files WHERE updated_at < $1")
        .bind(before)
        .fetch_all(db)
        .await
        .unwrap_or_default();
    for (owner, draft) in &old {
        delete_file(db, owner, draft, None).await;
    }
    old.len()
}

/// Deletes the directories of drafts untouched for `age`; returns how many.
async fn sweep_disk(root: &Path, age: Duration) -> usize {
    let mut removed = 0;
    let Ok(mut users) = tokio::fs::read_dir(root).await else { return 0 };
    while let Ok(Some(u)) = users.next_entry().await {
        let Ok(mut drafts) = tokio::fs::read_dir(u.path()).await else { continue };
        while let Ok(Some(d)) = drafts.next_entry().await {
            let old = d
                .metadata()
                .await
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|e| e > age);
            if old && tokio::fs::remove_dir_all(d.path()).await.is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

/// Deletes one file of a draft (`id`) or all of them, chunks first.
async fn delete_file(db: &Db, owner: &str, draft: &str, id: Option<i64>) {
    let (chunks, files) = match id {
        Some(_) => (
            "DELETE FROM upload_chunks WHERE owner = $1 AND draft = $2 AND id = $3",
            "DELETE FROM upload_files WHERE owner = $1 AND draft = $2 AND id = $3",
        ),
        None => ("DELETE FROM upload_chunks WHERE owner = $1 AND draft = $2", "DELETE FROM upload_files WHERE owner = $1 AND draft = $2"),
    };
    for q in [chunks, files] {
        let mut query = sqlx::query(q).bind(owner).bind(draft);
        if let Some(id) = id {
            query = query.bind(id);
        }
        if let Err(e) = query.execute(db).await {
            tracing::warn!(error = %e, "cannot delete a draft's file");
        }
    }
}

/// Stores one chunk of a file being received.
async fn put_chunk(db: &Db, owner: &str, draft: &str, id: u32, seq: i64, data: &[u8]) -> std::io::Result<()> {
    sqlx::query("INSERT INTO upload_chunks (owner, draft, id, seq, data) VALUES ($1, $2, $3, $4, $5)")
        .bind(owner)
        .bind(draft)
        .bind(i64::from(id))
        .bind(seq)
        .bind(data)
        .execute(db)
        .await
        .map_err(db_error)?;
    Ok(())
}

impl Pending {
    pub fn size(&self) -> u64 {
        self.meta.size
    }

    pub async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        match &mut self.to {
            Target::Disk { file, .. } => file.write_all(chunk).await?,
            Target::Db { db, owner, draft, buf, seq } => {
                buf.extend_from_slice(chunk);
                while buf.len() >= CHUNK {
                    let rest = buf.split_off(CHUNK);
                    put_chunk(db, owner, draft, self.meta.id, *seq, buf).await?;
                    *seq += 1;
                    *buf = rest;
                }
            }
        }
        self.meta.size += chunk.len() as u64;
        Ok(())
    }

    pub async fn finish(mut self) -> std::io::Result<Stored> {
        match &mut self.to {
            Target::Disk { file, dir, .. } => {
                file.flush().await?;
                let json = serde_json::to_vec(&self.meta).map_err(std::io::Error::other)?;
                let tmp = dir.join(format!("{}.json.tmp", self.meta.id));
                tokio::fs::write(&tmp, json).await?;
                tokio::fs::rename(&tmp, dir.join(format!("{}.json", self.meta.id))).await?;
            }
            Target::Db { db, owner, draft, buf, seq } => {
                if !buf.is_empty() {
                    put_chunk(db, owner, draft, self.meta.id, *seq, buf).await?;
                }
                sqlx::query("UPDATE upload_files SET size = $1, complete = 1, updated_at = $2 WHERE owner = $3 AND draft = $4 AND id = $5")
                    .bind(i64::try_from(self.meta.size).unwrap_or(i64::MAX))
                    .bind(unix_secs())
                    .bind(&*owner)
                    .bind(&*draft)
                    .bind(i64::from(self.meta.id))
                    .execute(&*db)
                    .await
                    .map_err(db_error)?;
            }
        }
        Ok(self.meta)
    }

    /// Drops a partly received file (too big, or the upload broke).
    pub async fn abort(self) {
        match self.to {
            Target::Disk { file, bin, .. } => {
                drop(file);
                let _ = tokio::fs::remove_file(&bin).await;
            }
            Target::Db { db, owner, draft, .. } => delete_file(&db, &owner, &draft, Some(i64::from(self.meta.id))).await,
        }
    }
}

/// A content type as declared by the browser, if it looks like one; else octet-stream.
fn clean_content_type(ct: &str) -> String {
    let ct = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let ok = ct.split_once('/').is_some_and(|(a, b)| {
        !a.is_empty() && !b.is_empty() && (a.bytes().chain(b.bytes())).all(|c| c.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&c))
    });
    if ok { ct } else { "application/octet-stream".to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_of_a_draft_on_disk() {
        let tmp = tempfile::tempdir().unwrap();
        files_of_a_draft(Uploads::new(tmp.path())).await;
    }

    /// The database layout, here on SQLite (the integration tests run it on PostgreSQL).
    #[tokio::test]
    async fn files_of_a_draft_in_the_database() {
        let db = crate::store::connect("sqlite::memory:").await.unwrap();
        let u = Uploads::in_database(db);
        files_of_a_draft(u.clone()).await;
        // Several chunks, read back in order.
        let d = "qrstuvwxyzabcdefgh12";
        let big: Vec<u8> = (0..(2 * CHUNK + 123)).map(|i| (i % 251) as u8).collect();
        let mut p = u.begin("me", d, "big.bin", "application/octet-stream").await.unwrap();
        for piece in big.chunks(300_000) {
            p.write(piece).await.unwrap();
        }
        let s = p.finish().await.unwrap();
        assert_eq!(s.size, big.len() as u64);
        assert_eq!(u.read("me", d, s.id).await.unwrap(), big);
        assert_eq!(u.sweep(Duration::from_secs(3600)).await, 0);
        std::thread::sleep(Duration::from_millis(1100));
        assert_eq!(u.sweep(Duration::ZERO).await, 1);
        assert!(u.list("me", d).await.is_empty());
    }

    async fn files_of_a_draft(u: Uploads) {
        let d = "abcdefghijklmnop1234";
        assert!(u.list("me", d).await.is_empty());
        assert!(u.begin("me", "../../etc", "x", "text/plain").await.is_err());
        let a = u.add_bytes("me", d, "../a.txt", "text/plain; charset=utf-8", b"hello").await.unwrap();
        let b = u.add_bytes("me", d, "b.html", "text/html\r\nX: y", b"<b>").await.unwrap();
        assert_eq!((a.id, a.name.as_str(), a.content_type.as_str(), a.size), (1, "a.txt", "text/plain", 5));
        assert_eq!(b.content_type, "application/octet-stream");
        assert_eq!(u.total_size("me", d).await, 8);
        assert!(u.list("other", d).await.is_empty());
        assert_eq!(u.read("me", d, 2).await.unwrap(), b"<b>");
        u.remove("me", d, 1).await;
        assert_eq!(u.list("me", d).await, vec![b]);
        let mut p = u.begin("me", d, "c", "image/png").await.unwrap();
        p.write(&[1; 10]).await.unwrap();
        p.abort().await;
        assert_eq!(u.list("me", d).await.len(), 1);
        u.clear("me", d).await;
        assert!(u.list("me", d).await.is_empty());
        assert_eq!(u.sweep(Duration::from_secs(3600)).await, 0);
    }
}
