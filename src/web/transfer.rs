//! Exports streamed from IMAP to the browser, on a connection of their own: the user's pages
//! go on meanwhile on theirs. One transfer at a time per user (an export or an import), so
//! that Facteur holds at most three connections of a user (pages, live updates, transfer)
//! within the server's per-user limit.
//!
//! Messages are fetched in batches of at most 2 MB ([`crate::mail::imap::transfer`]) and
//! written out as they come: memory stays flat whatever the folder's size, and the download
//! starts with the first batch.

use std::collections::HashSet;
use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use tokio::sync::mpsc;

use crate::mail::imap::transfer::{self, Exported};
use crate::mail::imap::{ImapConn, Registry};
use crate::mail::{Credentials, MailError, mbox};

/// Users with a transfer running.
static BUSY: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// A user's turn to transfer; the next one may start once it is dropped.
pub struct Turn(String);

impl Drop for Turn {
    fn drop(&mut self) {
        if let Some(set) = BUSY.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            set.remove(&self.0);
        }
    }
}

/// The user's turn, unless a transfer of theirs is running.
pub fn take_turn(key: &str) -> Option<Turn> {
    let mut busy = BUSY.lock().unwrap_or_else(|p| p.into_inner());
    busy.get_or_insert_with(HashSet::new).insert(key.to_string()).then(|| Turn(key.to_string()))
}

/// How an export is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One mbox file.
    Mbox,
    /// A zip of `.eml` files, one folder of the zip per mail folder, with `manifest.json`.
    Eml,
    /// A zip of mbox files, one per mail folder.
    MboxZip,
}

/// A folder to export: its name, where it goes in a zip (`Projects/2024`), and which of its
/// messages (`None`: all, else these UIDs of this UIDVALIDITY).
#[derive(Clone, Debug)]
pub struct Source {
    pub mailbox: String,
    pub path: String,
    pub only: Option<(u32, Vec<u32>)>,
}

/// What an export wrote, once the last byte went out.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub messages: u64,
    pub bytes: u64,
    /// UIDVALIDITY and UIDs exported, per folder.
    pub exported: Vec<(String, u32, Vec<u32>)>,
}

/// Chunks waiting for the response (each at most a batch): a slow browser slows the export
/// down instead of filling memory.
const QUEUE: usize = 2;

/// Starts the export of `sources` in `format` on a connection of its own and returns the
/// response body's chunks. `done` is told what was written once all of it went out (not when
/// the browser gave up or something failed). The connection is opened first: a server that
/// refuses it (a connection limit) is an error here, before anything is sent.
pub async fn export(
    registry: Arc<Registry>,
    key: String,
    creds: Credentials,
    sources: Vec<Source>,
    format: Format,
    turn: Turn,
    done: Option<tokio::sync::oneshot::Sender<Summary>>,
) -> Result<mpsc::Receiver<Result<Bytes, std::io::Error>>, MailError> {
    let mut conn = registry.side(&key, &creds).await?;
    let (tx, rx) = mpsc::channel(QUEUE);
    tokio::spawn(async move {
        let _turn = turn;
        let result = match format {
            Format::Mbox => export_mbox(&mut conn, &sources, &tx).await,
            Format::Eml | Format::MboxZip => export_zip(&mut conn, &sources, format, tx.clone()).await,
        };
        match result {
            Ok(summary) => {
                tracing::info!(messages = summary.messages, bytes = summary.bytes, "export finished");
                if let Some(done) = done {
                    let _ = done.send(summary);
                }
                registry.keep_side(&key, conn).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "export stopped");
                let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                if !e.breaks_connection() {
                    registry.keep_side(&key, conn).await;
                }
            }
        }
    });
    Ok(rx)
}

/// Why an export stopped: the server, or the browser went away.
#[derive(Debug, thiserror::Error)]
enum Stop {
    #[error("{0}")]
    Mail(#[from] MailError),
    #[error("the download was abandoned")]
    Gone,
}

impl Stop {
    fn breaks_connection(&self) -> bool {
        matches!(self, Stop::Mail(e) if e.breaks_connection())
    }
}

/// The sender of a message for its `From ` line: the address of its Return-Path or From.
fn sender_of(bytes: &[u8]) -> String {
    let parsed = mail_parser::MessageParser::new().parse_headers(bytes);
    let from = parsed.as_ref().and_then(|m| m.return_address().or_else(|| m.from().and_then(|f| f.first()).and_then(|a| a.address())));
    from.unwrap_or_default().to_string()
}

/// The batches of each source, in order, and the UIDs exported per folder.
struct Batches {
    sources: std::vec::IntoIter<Source>,
    current: Option<(Source, u32, std::vec::IntoIter<Vec<u32>>)>,
    exported: Vec<(String, u32, Vec<u32>)>,
}

impl Batches {
    fn new(sources: &[Source]) -> Self {
        Self { sources: Vec::from(sources).into_iter(), current: None, exported: Vec::new() }
    }

    /// The next batch of messages, with the folder they are from; `None` at the end.
    async fn next(&mut self, conn: &mut ImapConn) -> Result<Option<(Source, Vec<Exported>)>, Stop> {
        loop {
            if let Some((source, uidvalidity, batches)) = self.current.as_mut() {
                if let Some(batch) = batches.next() {
                    let messages = conn.fetch_whole(&source.mailbox, *uidvalidity, &batch).await?;
                    if let Some(e) = self.exported.last_mut() {
                        e.2.extend(messages.iter().map(|m| m.uid));
                    }
                    return Ok(Some((source.clone(), messages)));
                }
                self.current = None;
            }
            let Some(source) = self.sources.next() else { return Ok(None) };
            let only = source.only.as_ref().map(|(_, uids)| uids.as_slice());
            let (uidvalidity, sizes) = match conn.sizes(&source.mailbox, only).await {
                Ok(s) => s,
                // A folder that cannot be selected (a parent only) has nothing to export.
                Err(MailError::NotFound) => continue,
                Err(e) => return Err(e.into()),
            };
            if source.only.as_ref().is_some_and(|(uv, _)| *uv != uidvalidity) {
                return Err(MailError::NotFound.into());
            }
            self.exported.push((source.mailbox.clone(), uidvalidity, Vec::with_capacity(sizes.len())));
            self.current = Some((source, uidvalidity, transfer::batches(&sizes).into_iter()));
        }
    }
}

async fn export_mbox(conn: &mut ImapConn, sources: &[Source], tx: &mpsc::Sender<Result<Bytes, std::io::Error>>) -> Result<Summary, Stop> {
    let (mut messages, mut bytes) = (0u64, 0u64);
    let mut batches = Batches::new(sources);
    while let Some((_, batch)) = batches.next(conn).await? {
        let mut chunk = Vec::with_capacity(batch.iter().map(|m| m.bytes.len() + 128).sum());
        for m in &batch {
            chunk.extend(mbox::entry(&sender_of(&m.bytes), m.date, &m.flags, &m.bytes));
        }
        messages += batch.len() as u64;
        bytes += chunk.len() as u64;
        tx.send(Ok(Bytes::from(chunk))).await.map_err(|_| Stop::Gone)?;
    }
    Ok(Summary { messages, bytes, exported: batches.exported })
}

/// A `Write` that hands what is written to the response, from the zip's own thread.
struct ToBody(mpsc::Sender<Result<Bytes, std::io::Error>>, Vec<u8>);

impl Write for ToBody {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.1.extend_from_slice(buf);
        if self.1.len() >= 256 * 1024 {
            self.flush()?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.1.is_empty() {
            let chunk = Bytes::from(std::mem::take(&mut self.1));
            self.0.blocking_send(Ok(chunk)).map_err(|_| std::io::Error::other("the download was abandoned"))?;
        }
        Ok(())
    }
}

/// What the zip's thread is given: a folder's messages, or the end.
enum ZipItem {
    Batch(Source, Vec<Exported>),
    End,
}

async fn export_zip(conn: &mut ImapConn, sources: &[Source], format: Format, tx: mpsc::Sender<Result<Bytes, std::io::Error>>) -> Result<Summary, Stop> {
    // One batch waits while the zip's thread writes the one before.
    let (items, inbox) = mpsc::channel::<ZipItem>(1);
    let writer = tokio::task::spawn_blocking(move || write_zip(inbox, format, tx));
    let mut messages = 0u64;
    let mut batches = Batches::new(sources);
    let fetched: Result<(), Stop> = async {
        while let Some((source, batch)) = batches.next(conn).await? {
            messages += batch.len() as u64;
            items.send(ZipItem::Batch(source, batch)).await.map_err(|_| Stop::Gone)?;
        }
        Ok(())
    }
    .await;
    // Ended only when all was fetched: otherwise the zip is left unfinished (its thread
    // stops when `items` goes), and the download fails instead of looking complete.
    fetched?;
    items.send(ZipItem::End).await.map_err(|_| Stop::Gone)?;
    let bytes = writer.await.map_err(|_| Stop::Gone)?.map_err(|_| Stop::Gone)?;
    Ok(Summary { messages, bytes, exported: batches.exported })
}

/// A name for a message's file: `2026-11-30 1337 Subject.eml`, safe in any file system.
fn eml_name(date: i64, bytes: &[u8]) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(date).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let subject = mail_parser::MessageParser::new().parse_headers(bytes).and_then(|m| m.subject().map(str::to_string)).unwrap_or_default();
    let clean = safe_name(&subject, 80, "message");
    format!("{:04}-{:02}-{:02} {:02}{:02} {clean}", d.year(), d.month() as u8, d.day(), d.hour(), d.minute())
}

/// `s` as a file name that every file system takes: its first `max` characters, without
/// control characters, separators or characters Windows refuses, nor dots at the ends;
/// `fallback` when nothing is left.
fn safe_name(s: &str, max: usize, fallback: &str) -> String {
    let c: String = s.chars().map(|c| if c.is_control() || "/\\:*?\"<>|".contains(c) { '_' } else { c }).take(max).collect();
    let c = c.trim().trim_matches('.').to_string();
    if c.is_empty() { fallback.to_string() } else { c }
}

/// A folder's path in a zip, each level made safe.
pub fn zip_path(levels: &[&str]) -> String {
    levels.iter().map(|l| safe_name(l, usize::MAX, "_")).collect::<Vec<_>>().join("/")
}

fn zip_time(date: i64) -> zip::DateTime {
    let d = time::OffsetDateTime::from_unix_timestamp(date).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    zip::DateTime::from_date_and_time(d.year().clamp(1980, 2107) as u16, d.month() as u8, d.day(), d.hour(), d.minute(), d.second()).unwrap_or_default()
}

/// The zip's thread: writes what it is given as it comes; returns the bytes written.
fn write_zip(mut inbox: mpsc::Receiver<ZipItem>, format: Format, tx: mpsc::Sender<Result<Bytes, std::io::Error>>) -> std::io::Result<u64> {
    let mut zip = zip::ZipWriter::new_stream(CountingBody { inner: ToBody(tx, Vec::new()), count: 0 });
    let deflate = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).compression_level(Some(1)).large_file(true);
    let mut used: HashSet<String> = HashSet::new();
    let mut manifest = Vec::new();
    // Mbox in a zip: one file per folder, written as its batches come.
    let mut open_mbox: Option<String> = None;
    loop {
        let (source, batch) = match inbox.blocking_recv() {
            Some(ZipItem::Batch(source, batch)) => (source, batch),
            Some(ZipItem::End) => break,
            None => return Err(std::io::Error::other("the export stopped")),
        };
        if format == Format::MboxZip {
            if open_mbox.as_deref() != Some(source.path.as_str()) {
                zip.start_file(format!("{}.mbox", source.path), deflate).map_err(std::io::Error::other)?;
                open_mbox = Some(source.path.clone());
            }
            for m in &batch {
                zip.write_all(&mbox::entry(&sender_of(&m.bytes), m.date, &m.flags, &m.bytes))?;
            }
            continue;
        }
        for m in batch {
            let base = format!("{}/{}", source.path, eml_name(m.date, &m.bytes));
            let mut name = format!("{base}.eml");
            let mut n = 2;
            while !used.insert(name.to_lowercase()) {
                name = format!("{base} ({n}).eml");
                n += 1;
            }
            zip.start_file(name.as_str(), deflate.last_modified_time(zip_time(m.date))).map_err(std::io::Error::other)?;
            zip.write_all(&m.bytes)?;
            manifest.push(serde_json::json!({
                "file": name,
                "folder": source.mailbox,
                "uid": m.uid,
                "date": m.date,
                "seen": m.flags.seen,
                "answered": m.flags.answered,
                "flagged": m.flags.flagged,
                "draft": m.flags.draft,
            }));
        }
    }
    if format == Format::Eml {
        zip.start_file("manifest.json", deflate).map_err(std::io::Error::other)?;
        zip.write_all(serde_json::to_string_pretty(&manifest).map_err(std::io::Error::other)?.as_bytes())?;
    }
    let mut out = zip.finish().map_err(std::io::Error::other)?.into_inner();
    out.flush()?;
    Ok(out.count)
}

/// Counts what goes through to the response.
struct CountingBody {
    inner: ToBody,
    count: u64,
}

impl Write for CountingBody {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_an_export_are_safe_and_tell_date_and_subject() {
        assert_eq!(eml_name(1_700_000_000, b"Subject: Re: a/b: \"c\"?\r\n\r\nx"), "2023-11-14 2213 Re_ a_b_ _c__");
        assert_eq!(eml_name(0, b"X: y\r\n\r\n"), "1970-01-01 0000 message");
        assert_eq!(zip_path(&["Projets été", "../..", "a:b"]), "Projets été/_/a_b");
        assert_eq!(sender_of(b"Return-Path: <bounce@example.org>\r\nFrom: A <a@example.org>\r\n\r\n"), "bounce@example.org");
        assert_eq!(sender_of(b"From: A <a@example.org>\r\n\r\n"), "a@example.org");
        assert_eq!(sender_of(b"Subject: none\r\n\r\n"), "");
    }

    #[test]
    fn one_transfer_at_a_time_per_user() {
        let a = take_turn("alice@example.test").expect("a first turn");
        assert!(take_turn("alice@example.test").is_none());
        let b = take_turn("bob@example.test");
        assert!(b.is_some(), "another user's");
        drop(a);
        assert!(take_turn("alice@example.test").is_some());
    }
}
