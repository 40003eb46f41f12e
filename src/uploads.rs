//! Files attached to messages being written, kept on disk (never whole in memory while they
//! arrive) until the message is sent or the draft abandoned.
//!
//! Layout: `<data_dir>/uploads/<user hash>/<draft id>/<n>.bin` with `<n>.json` beside it
//! (name, content type, size). Draft ids are random tokens checked before any path is built.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    pub id: u32,
    pub name: String,
    pub content_type: String,
    pub size: u64,
}

#[derive(Clone)]
pub struct Uploads {
    root: PathBuf,
}

/// A file being received.
pub struct Pending {
    file: tokio::fs::File,
    bin: PathBuf,
    meta: Stored,
    dir: PathBuf,
}

/// A draft id is 16 to 64 characters of `[A-Za-z0-9_-]`.
pub fn valid_draft_id(id: &str) -> bool {
    (16..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl Uploads {
    pub fn new(data_dir: &Path) -> Self {
        Self { root: data_dir.join("uploads") }
    }

    fn user_dir(&self, user: &str) -> PathBuf {
        let h = Sha256::digest(user.as_bytes());
        let name: String = h.iter().take(12).map(|b| format!("{b:02x}")).collect();
        self.root.join(name)
    }

    fn dir(&self, user: &str, draft: &str) -> std::io::Result<PathBuf> {
        if !valid_draft_id(draft) {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "bad draft id"));
        }
        Ok(self.user_dir(user).join(draft))
    }

    /// The files of a draft, in the order they were added.
    pub async fn list(&self, user: &str, draft: &str) -> Vec<Stored> {
        let Ok(dir) = self.dir(user, draft) else { return Vec::new() };
        let Ok(mut rd) = tokio::fs::read_dir(&dir).await else { return Vec::new() };
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

    pub async fn total_size(&self, user: &str, draft: &str) -> u64 {
        self.list(user, draft).await.iter().map(|s| s.size).sum()
    }

    /// Starts receiving a file.
    pub async fn begin(&self, user: &str, draft: &str, name: &str, content_type: &str) -> std::io::Result<Pending> {
        let dir = self.dir(user, draft)?;
        tokio::fs::create_dir_all(&dir).await?;
        let next = self.list(user, draft).await.last().map(|s| s.id + 1).unwrap_or(1);
        // A concurrent upload may take the same number: find a free one.
        let mut id = next;
        loop {
            let bin = dir.join(format!("{id}.bin"));
            match tokio::fs::OpenOptions::new().write(true).create_new(true).open(&bin).await {
                Ok(file) => {
                    let meta = Stored {
                        id,
                        name: crate::mail::compose::clean_file_name(name),
                        content_type: clean_content_type(content_type),
                        size: 0,
                    };
                    return Ok(Pending { file, bin, meta, dir });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && id < next + 1000 => id += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// Stores a whole file at once (attachments of a forwarded message or a resumed draft).
    pub async fn add_bytes(&self, user: &str, draft: &str, name: &str, content_type: &str, bytes: &[u8]) -> std::io::Result<Stored> {
        let mut p = self.begin(user, draft, name, content_type).await?;
        p.write(bytes).await?;
        p.finish().await
    }

    pub async fn read(&self, user: &str, draft: &str, id: u32) -> std::io::Result<Vec<u8>> {
        tokio::fs::read(self.dir(user, draft)?.join(format!("{id}.bin"))).await
    }

    pub async fn remove(&self, user: &str, draft: &str, id: u32) {
        if let Ok(dir) = self.dir(user, draft) {
            let _ = tokio::fs::remove_file(dir.join(format!("{id}.json"))).await;
            let _ = tokio::fs::remove_file(dir.join(format!("{id}.bin"))).await;
        }
    }

    /// Forgets every file of a draft.
    pub async fn clear(&self, user: &str, draft: &str) {
        if let Ok(dir) = self.dir(user, draft) {
            let _ = tokio::fs::remove_dir_all(dir).await;
        }
    }

    /// Removes drafts' files untouched for `age` (abandoned compose pages).
    pub async fn sweep(&self, age: Duration) -> usize {
        let mut removed = 0;
        let Ok(mut users) = tokio::fs::read_dir(&self.root).await else { return 0 };
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
}

impl Pending {
    pub fn size(&self) -> u64 {
        self.meta.size
    }

    pub async fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.file.write_all(chunk).await?;
        self.meta.size += chunk.len() as u64;
        Ok(())
    }

    pub async fn finish(mut self) -> std::io::Result<Stored> {
        self.file.flush().await?;
        let json = serde_json::to_vec(&self.meta).map_err(std::io::Error::other)?;
        let tmp = self.dir.join(format!("{}.json.tmp", self.meta.id));
        tokio::fs::write(&tmp, json).await?;
        tokio::fs::rename(&tmp, self.dir.join(format!("{}.json", self.meta.id))).await?;
        Ok(self.meta)
    }

    /// Drops a partly received file (too big, or the upload broke).
    pub async fn abort(self) {
        drop(self.file);
        let _ = tokio::fs::remove_file(&self.bin).await;
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
    async fn files_of_a_draft() {
        let tmp = tempfile::tempdir().unwrap();
        let u = Uploads::new(tmp.path());
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
