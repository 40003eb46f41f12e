//! Archives to and from the user's computer: a folder, a selection or the whole account
//! exported as mbox or as a zip of `.eml` files, streamed as it is fetched; an mbox, an
//! `.eml` or a zip of either imported into a folder.

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Read};

use axum::body::Body;
use axum::extract::{Multipart, Path, Query};
use axum::http::header::{self, HeaderValue};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::mail::MailError;
use crate::mail::imap::Folder;
use crate::mail::imap::transfer::{BATCH_BYTES, BATCH_MESSAGES, Importing, message_id_key, message_id_of};
use crate::mail::mbox::{MboxFlags, MboxReader, Read as MboxRead, Skip};
use crate::mail::search::{self, QueryError};
use crate::web::error::AppError;
use crate::web::extract::Ctx;
use crate::web::format::UserZone;
use crate::web::forms::search::ResultsForm;
use crate::web::notice;
use crate::web::transfer::{self, Format, Source, Turn};
use crate::store::imports;
use crate::web::views::archive::{ImportProgress, ImportReport, Skipped};

/// A message larger than this is not imported (servers refuse far smaller ones).
const MAX_MESSAGE: usize = 64 * 1024 * 1024;
/// An uploaded archive larger than this is refused.
pub const MAX_IMPORT: u64 = 4 * 1024 * 1024 * 1024;

/// The selection a query names (`uidvalidity` and `uid`s), if any.
fn selection(pairs: &[(String, String)]) -> Option<(u32, Vec<u32>)> {
    let uv = pairs.iter().find(|(k, _)| k == "uidvalidity")?.1.parse().ok()?;
    let uids: Vec<u32> = pairs.iter().filter(|(k, _)| k == "uid").filter_map(|(_, v)| v.parse().ok()).collect();
    (!uids.is_empty()).then_some((uv, uids))
}

/// A folder's path in a zip, from its place among the user's folders.
fn source_of(f: &Folder, only: Option<(u32, Vec<u32>)>) -> Source {
    let levels: Vec<&str> = f.path.split(" / ").collect();
    Source { mailbox: f.name.clone(), path: transfer::zip_path(&levels), only }
}

/// The user's turn to transfer, or a page saying one is running.
async fn turn(cx: &Ctx, back: &str) -> Result<Result<Turn, Response>, AppError> {
    match transfer::take_turn(&cx.key()) {
        Some(t) => Ok(Ok(t)),
        None => Ok(Err(notice::redirect(&cx.user, cx.i18n().t("archive-busy"), back).await?)),
    }
}

/// The download: `content_type`, named `name`, its body the export's chunks as they come.
pub fn download_response(content_type: &'static str, name: &str, chunks: tokio::sync::mpsc::Receiver<Result<axum::body::Bytes, std::io::Error>>) -> Response {
    let stream = futures_util::stream::unfold(chunks, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&super::message::content_disposition(name)) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    (headers, Body::from_stream(stream)).into_response()
}

/// A query's pairs (`uid` repeats).
type Pairs = Query<Vec<(String, String)>>;

async fn export_folder(cx: Ctx, mailbox: String, query: Vec<(String, String)>, format: Format) -> Result<Response, AppError> {
    let folders = cx.folders().await?;
    let folder = folders.iter().find(|f| f.name == mailbox && f.selectable).ok_or_else(AppError::not_found)?;
    let source = source_of(folder, selection(&query));
    let back = crate::web::views::folder_href(&mailbox);
    let turn = match turn(&cx, &back).await? {
        Ok(t) => t,
        Err(page) => return Ok(page),
    };
    let label = crate::web::views::folder_title(folder, cx.i18n());
    let chunks = transfer::export(cx.state.registry.clone(), cx.key(), cx.user.creds.clone(), vec![source], format, turn, None).await?;
    Ok(match format {
        Format::Mbox => download_response("application/mbox", &format!("{label}.mbox"), chunks),
        _ => download_response("application/zip", &format!("{label}.zip"), chunks),
    })
}

/// GET /f/{mailbox}/export.mbox: the folder (or the messages `uid` of `uidvalidity`) as one
/// mbox file.
pub async fn export_mbox(cx: Ctx, Path(mailbox): Path<String>, Query(q): Pairs) -> Result<Response, AppError> {
    export_folder(cx, mailbox, q, Format::Mbox).await
}

/// GET /f/{mailbox}/export.zip: the folder (or a selection) as a zip of `.eml` files, with
/// `manifest.json` giving each one's flags and date.
pub async fn export_zip(cx: Ctx, Path(mailbox): Path<String>, Query(q): Pairs) -> Result<Response, AppError> {
    export_folder(cx, mailbox, q, Format::Eml).await
}

/// GET /export.zip: every folder, the tree kept: `.eml` files, or with `format=mbox` one
/// mbox file per folder.
pub async fn export_all(cx: Ctx, Query(q): Pairs) -> Result<Response, AppError> {
    let format = if q.iter().any(|(k, v)| k == "format" && v == "mbox") { Format::MboxZip } else { Format::Eml };
    let folders = cx.folders().await?;
    let sources: Vec<Source> = folders.iter().filter(|f| f.selectable).map(|f| source_of(f, None)).collect();
    let turn = match turn(&cx, "/settings/folders").await? {
        Ok(t) => t,
        Err(page) => return Ok(page),
    };
    let name = format!("{}.zip", cx.user.auth.username);
    let chunks = transfer::export(cx.state.registry.clone(), cx.key(), cx.user.creds.clone(), sources, format, turn, None).await?;
    Ok(download_response("application/zip", &name, chunks))
}

/// The messages a search names: those checked on its page (`m`, `UIDVALIDITY:UID:folder`),
/// else every one it finds, as (folder, UIDVALIDITY, UIDs).
async fn search_sets(cx: &Ctx, tz: UserZone, query: &[(String, String)], folders: &[Folder]) -> Result<Result<Vec<(String, u32, Vec<u32>)>, QueryError>, AppError> {
    let checked = ResultsForm::from_pairs(query.to_vec());
    if !checked.sets.is_empty() {
        return Ok(Ok(checked.sets.into_iter().map(|s| (s.mailbox, s.uidvalidity.0, s.uids.into_iter().map(|u| u.0).collect())).collect()));
    }
    let parsed = match search::parse(&checked.q, tz.today()).and_then(|s| search::folders_for(&s.scope, folders).map(|which| (s, which))) {
        Ok(p) => p,
        Err(e) => return Ok(Err(e)),
    };
    let found = cx
        .imap(|c| {
            let (search, which) = parsed.clone();
            Box::pin(async move {
                let keys = search.expr.as_ref().map(search::Expr::keys);
                let mut sets = Vec::new();
                for f in which {
                    match c.search(&f.name, keys.as_ref()).await {
                        Ok((uidvalidity, uids)) if !uids.is_empty() => sets.push((f.name, uidvalidity, uids)),
                        Ok(_) | Err(MailError::NotFound) => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(sets)
            })
        })
        .await?;
    Ok(Ok(found))
}

async fn export_search(cx: Ctx, tz: UserZone, query: Vec<(String, String)>, mbox: bool) -> Result<Response, AppError> {
    let q = query.iter().find(|(k, _)| k == "q").map(|(_, v)| v.trim().to_string()).unwrap_or_default();
    let back = crate::web::views::search::search_href(&q, 1, false);
    let folders = cx.folders().await?;
    let sets = match search_sets(&cx, tz, &query, &folders).await? {
        Ok(sets) => sets,
        // The results page says what is wrong with the query.
        Err(_) => return Ok(axum::response::Redirect::to(&back).into_response()),
    };
    let sources: Vec<Source> = sets
        .into_iter()
        .filter_map(|(name, uidvalidity, uids)| folders.iter().find(|f| f.name == name).map(|f| source_of(f, Some((uidvalidity, uids)))))
        .collect();
    if sources.is_empty() {
        return notice::redirect(&cx.user, cx.i18n().t("search-nothing"), &back).await;
    }
    let format = match (mbox, sources.len()) {
        (true, 1) => Format::Mbox,
        (true, _) => Format::MboxZip,
        (false, _) => Format::Eml,
    };
    let turn = match turn(&cx, &back).await? {
        Ok(t) => t,
        Err(page) => return Ok(page),
    };
    let name = cx.i18n().t("search-heading");
    let chunks = transfer::export(cx.state.registry.clone(), cx.key(), cx.user.creds.clone(), sources, format, turn, None).await?;
    Ok(match format {
        Format::Mbox => download_response("application/mbox", &format!("{name}.mbox"), chunks),
        _ => download_response("application/zip", &format!("{name}.zip"), chunks),
    })
}

/// GET /search/export.mbox?q=…: what a search finds (or the results checked, `m`), as one
/// mbox when they are all in one folder, else a zip of one mbox per folder.
pub async fn export_search_mbox(cx: Ctx, tz: UserZone, Query(q): Pairs) -> Result<Response, AppError> {
    export_search(cx, tz, q, true).await
}

/// GET /search/export.zip?q=…: the same as a zip of `.eml` files, the folder tree kept.
pub async fn export_search_zip(cx: Ctx, tz: UserZone, Query(q): Pairs) -> Result<Response, AppError> {
    export_search(cx, tz, q, false).await
}

/// What an uploaded file turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Zip,
    Mbox,
    Eml,
}

/// Told by the file's first bytes: a zip; an mbox (a `From ` line first, or, in a damaged
/// one, soon after something that is not a header); else one message.
fn kind_of(start: &[u8]) -> Kind {
    let text = &start[start.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(start.len())..];
    let first_line = text.split(|b| *b == b'\n').next().unwrap_or_default();
    let header = first_line.iter().position(|b| *b == b':').is_some_and(|i| i > 0 && first_line[..i].iter().all(|b| b.is_ascii_graphic()));
    if start.starts_with(b"PK\x03\x04") {
        Kind::Zip
    } else if text.starts_with(b"From ") || (!header && text.windows(6).any(|w| w == b"\nFrom ")) {
        Kind::Mbox
    } else {
        Kind::Eml
    }
}

/// The uploaded file, counting the bytes read from it (for the import's progress).
struct Counting {
    inner: std::fs::File,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl std::io::Seek for Counting {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let at = self.inner.seek(to)?;
        // Reading again from an earlier place (the first bytes, a zip's directory) is not progress.
        self.read.fetch_min(at, std::sync::atomic::Ordering::Relaxed);
        Ok(at)
    }
}

/// One thing read from an uploaded archive, in order.
enum Item {
    Message { importing: Importing, number: usize, id: Option<String> },
    Skipped(Skipped),
}

/// Reads the spooled upload (mbox, `.eml`, or a zip of them with our manifest) and hands
/// each message to `out`, one at a time. Runs on a thread of its own.
fn read_archive(file: Counting, out: std::sync::mpsc::SyncSender<Item>) -> std::io::Result<()> {
    let mut reader = BufReader::new(file);
    let mut start = [0u8; 4096];
    let n = reader.get_mut().read(&mut start)?;
    std::io::Seek::seek(reader.get_mut(), std::io::SeekFrom::Start(0))?;
    let mut number = 0;
    match kind_of(&start[..n]) {
        Kind::Mbox => read_mbox(reader, "", &mut number, &out),
        Kind::Eml => {
            let mut bytes = Vec::new();
            reader.take(MAX_MESSAGE as u64 + 1).read_to_end(&mut bytes)?;
            send_eml(bytes, "", None, &mut number, &out);
            Ok(())
        }
        Kind::Zip => {
            let mut zip = zip::ZipArchive::new(reader.into_inner()).map_err(std::io::Error::other)?;
            // Our own exports say each file's flags and date.
            let manifest: HashMap<String, serde_json::Value> = zip
                .by_name("manifest.json")
                .ok()
                .and_then(|mut f| {
                    let mut s = String::new();
                    f.read_to_string(&mut s).ok()?;
                    serde_json::from_str::<Vec<serde_json::Value>>(&s).ok()
                })
                .unwrap_or_default()
                .into_iter()
                .filter_map(|v| Some((v.get("file")?.as_str()?.to_string(), v)))
                .collect();
            for i in 0..zip.len() {
                let Ok(entry) = zip.by_index(i) else { continue };
                let name = entry.name().unwrap_or_default().to_string();
                let lower = name.to_lowercase();
                if lower.ends_with(".mbox") || lower.ends_with(".mbx") {
                    read_mbox(BufReader::new(entry), &name, &mut number, &out)?;
                } else if lower.ends_with(".eml") {
                    if entry.size() > MAX_MESSAGE as u64 {
                        number += 1;
                        let _ = out.send(Item::Skipped(Skipped { number, file: name, why: Skip::TooLarge }));
                        continue;
                    }
                    let mut bytes = Vec::new();
                    entry.take(MAX_MESSAGE as u64 + 1).read_to_end(&mut bytes)?;
                    send_eml(bytes, &name, manifest.get(&name), &mut number, &out);
                }
            }
            Ok(())
        }
    }
}

fn read_mbox<R: std::io::BufRead>(input: R, file: &str, number: &mut usize, out: &std::sync::mpsc::SyncSender<Item>) -> std::io::Result<()> {
    let mut mbox = MboxReader::new(input, MAX_MESSAGE);
    while let Some(read) = mbox.next_message()? {
        *number += 1;
        let item = match read {
            MboxRead::Message(m) => {
                let id = message_id_of(&m.bytes);
                let date = m.date.or_else(|| header_date(&m.bytes));
                Item::Message { importing: Importing { bytes: m.bytes, flags: m.flags, date }, number: *number, id }
            }
            MboxRead::Skipped { why, .. } => Item::Skipped(Skipped { number: *number, file: file.to_string(), why }),
        };
        if out.send(item).is_err() {
            break;
        }
    }
    Ok(())
}

/// The Date header, as seconds since 1970.
fn header_date(bytes: &[u8]) -> Option<i64> {
    mail_parser::MessageParser::new().parse_headers(bytes)?.date().map(|d| d.to_timestamp())
}

fn send_eml(bytes: Vec<u8>, file: &str, manifest: Option<&serde_json::Value>, number: &mut usize, out: &std::sync::mpsc::SyncSender<Item>) {
    *number += 1;
    let why = if bytes.len() > MAX_MESSAGE {
        Some(Skip::TooLarge)
    } else if bytes.iter().all(u8::is_ascii_whitespace) {
        Some(Skip::Empty)
    } else if bytes.contains(&0) {
        Some(Skip::Binary)
    } else if header_date(&bytes).is_none() && !bytes.iter().take(2048).any(|b| *b == b':') {
        Some(Skip::NotMbox)
    } else {
        None
    };
    if let Some(why) = why {
        let _ = out.send(Item::Skipped(Skipped { number: *number, file: file.to_string(), why }));
        return;
    }
    let flag = |k: &str| manifest.and_then(|m| m.get(k)).and_then(serde_json::Value::as_bool);
    let flags = MboxFlags { seen: flag("seen").unwrap_or(true), answered: flag("answered").unwrap_or(false), flagged: flag("flagged").unwrap_or(false), draft: flag("draft").unwrap_or(false) };
    let date = manifest.and_then(|m| m.get("date")).and_then(serde_json::Value::as_i64).or_else(|| header_date(&bytes));
    let id = message_id_of(&bytes);
    let _ = out.send(Item::Message { importing: Importing { bytes, flags, date }, number: *number, id });
}

/// What came of an upload.
enum Spooled {
    File(tempfile::NamedTempFile, u64),
    Missing,
    TooLarge,
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::new(crate::web::error::ErrorKind::Internal, e.to_string())
}

fn bad_upload(e: impl std::fmt::Display) -> AppError {
    AppError::new(crate::web::error::ErrorKind::BadRequest, e.to_string())
}

/// Spools the multipart field `file` to a temporary file in `<data_dir>/spool` (the upload
/// is never held in memory); checks the CSRF token that comes before it.
async fn spool(cx: &Ctx, multipart: &mut Multipart) -> Result<Spooled, AppError> {
    let mut checked = false;
    while let Some(mut field) = multipart.next_field().await.map_err(bad_upload)? {
        match field.name() {
            Some("csrf") => {
                let token = field.text().await.unwrap_or_default();
                cx.check_csrf(&token)?;
                checked = true;
            }
            Some("file") if checked => {
                // On the data volume: /tmp may be memory (a tmpfs, as in the container).
                let dir = cx.state.config.data_dir.join("spool");
                tokio::fs::create_dir_all(&dir).await.map_err(internal)?;
                let spooled = tempfile::NamedTempFile::new_in(&dir).map_err(internal)?;
                let mut out = tokio::fs::File::from_std(spooled.reopen().map_err(internal)?);
                let mut size = 0u64;
                while let Some(chunk) = field.chunk().await.map_err(bad_upload)? {
                    size += chunk.len() as u64;
                    if size > MAX_IMPORT {
                        return Ok(Spooled::TooLarge);
                    }
                    tokio::io::AsyncWriteExt::write_all(&mut out, &chunk).await.map_err(internal)?;
                }
                tokio::io::AsyncWriteExt::flush(&mut out).await.map_err(internal)?;
                return Ok(if size == 0 { Spooled::Missing } else { Spooled::File(spooled, size) });
            }
            _ => {}
        }
    }
    if !checked {
        cx.check_csrf("")?;
    }
    Ok(Spooled::Missing)
}

/// POST /f/{mailbox}/import (multipart: `csrf`, then `file`): each message of the file
/// appended to the folder with its date and read state, in batches; messages whose
/// Message-ID is already there are skipped (an import stopped by a full mailbox is resumed by
/// importing the same file again); what could not be imported is listed at the end. Once
/// the file is uploaded, the import runs on a connection of its own while its page
/// (`/import/{id}`) shows how far it got.
pub async fn import(cx: Ctx, Path(mailbox): Path<String>, mut multipart: Multipart) -> Result<Response, AppError> {
    let folders = cx.folders().await?;
    if !folders.iter().any(|f| f.name == mailbox && f.selectable) {
        return Err(AppError::not_found());
    }
    let (spooled, size) = match spool(&cx, &mut multipart).await? {
        Spooled::File(f, size) => (f, size),
        Spooled::Missing => return notice::redirect(&cx.user, cx.i18n().t("import-no-file"), "/settings/folders").await,
        Spooled::TooLarge => return notice::redirect(&cx.user, cx.i18n().t("import-too-large"), "/settings/folders").await,
    };
    let back = crate::web::views::folder_href(&mailbox);
    let turn = match turn(&cx, &back).await? {
        Ok(t) => t,
        Err(page) => return Ok(page),
    };
    let conn = cx.state.registry.side(&cx.key(), &cx.user.creds).await?;
    let id = crate::secrets::random_token::<12>()?;
    imports::create(cx.db(), &cx.key(), &id, &mailbox, size, crate::clock::unix_ms()).await?;
    let job = ImportJob { state: cx.state.clone(), key: cx.key(), id: id.clone(), mailbox, read: Default::default(), told: None };
    tokio::spawn(job.run(conn, spooled, turn));
    Ok(axum::response::Redirect::to(&format!("/import/{id}")).into_response())
}

/// An import running after its upload: it tells the database how far it got.
struct ImportJob {
    state: crate::web::AppState,
    key: String,
    id: String,
    mailbox: String,
    /// Bytes of the file read so far.
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// When it last told.
    told: Option<std::time::Instant>,
}

/// How often a running import tells how far it got.
const TELL_EVERY: std::time::Duration = std::time::Duration::from_millis(700);

impl ImportJob {
    async fn run(mut self, mut conn: crate::mail::imap::ImapConn, spooled: tempfile::NamedTempFile, _turn: Turn) {
        let mailbox = self.mailbox.clone();
        let result = run_import(&mut conn, &mailbox, spooled, &mut self).await;
        if !result.as_ref().err().is_some_and(MailError::breaks_connection) {
            self.state.registry.keep_side(&self.key, conn).await;
        }
        self.state.registry.mark_folders_stale(&self.key);
        self.state.watchers.announce(&self.key, crate::mail::imap::MailEvent::Changed { folder: mailbox });
        let outcome = result.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "an import ended on an error");
            Outcome { stopped: Some((e.to_string(), 1)), ..Default::default() }
        });
        self.tell(&outcome, true).await;
    }

    /// Keeps `out` as the import's report (at most every [`TELL_EVERY`] while it runs).
    async fn tell(&mut self, out: &Outcome, finished: bool) {
        if !finished && self.told.is_some_and(|t| t.elapsed() < TELL_EVERY) {
            return;
        }
        self.told = Some(std::time::Instant::now());
        let report = serde_json::to_string(out).unwrap_or_default();
        let read = self.read.load(std::sync::atomic::Ordering::Relaxed);
        if let Err(e) = imports::update(&self.state.db, &self.key, &self.id, read, &report, finished, crate::clock::unix_ms()).await {
            tracing::warn!(error = %e, "an import's progress could not be kept");
        }
    }
}

/// An import whose page has not heard from it for this long was interrupted (its instance
/// stopped).
const SILENT_MS: i64 = 120_000;

/// GET /import/{id}: how far the import has got (the page asks again every two seconds with
/// JavaScript; without, it has a link to itself), then its report.
pub async fn import_page(cx: Ctx, Path(id): Path<String>) -> Result<Response, AppError> {
    let import = imports::get(cx.db(), &cx.key(), &id).await?.ok_or_else(AppError::not_found)?;
    let mut outcome: Outcome = serde_json::from_str(&import.report).unwrap_or_default();
    outcome.bytes = import.bytes;
    let chrome = cx.chrome(&import.mailbox, None).await?;
    let href = crate::web::views::folder_href(&import.mailbox);
    let label = chrome.folders.iter().find(|f| f.href == href).map(|f| f.label.clone()).unwrap_or_else(|| import.mailbox.clone());
    let folder = (href, label);
    let silent = crate::clock::unix_ms() - import.updated_ms > SILENT_MS;
    if !import.finished && !silent {
        return Ok(ImportProgress::new(chrome, folder, &outcome, import.read, &format!("/import/{id}")).into_response());
    }
    if !import.finished {
        outcome.stopped = Some((INTERRUPTED.to_string(), outcome.imported + outcome.duplicates + outcome.skipped.len() + 1));
    }
    let status = if outcome.stopped.is_some() { StatusCode::INSUFFICIENT_STORAGE } else { StatusCode::OK };
    Ok((status, ImportReport::new(chrome, folder, outcome)).into_response())
}

/// Why an import stopped when its instance stopped under it.
pub const INTERRUPTED: &str = "interrupted";

/// What an import did.
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    pub imported: usize,
    pub duplicates: usize,
    pub skipped: Vec<Skipped>,
    /// Why it stopped before the end (the server refused: a full mailbox above all), and
    /// the number of the first message not imported.
    pub stopped: Option<(String, usize)>,
    #[serde(skip)]
    pub bytes: u64,
}

/// Messages read from the archive, waiting to be appended together.
#[derive(Default)]
struct Pending {
    messages: Vec<Importing>,
    ids: HashSet<u64>,
    /// The number of the first one in the archive.
    first: usize,
    bytes: u64,
}

impl Pending {
    fn add(&mut self, importing: Importing, number: usize, key: Option<u64>) {
        if self.messages.is_empty() {
            self.first = number;
        }
        self.ids.extend(key);
        self.bytes += importing.bytes.len() as u64;
        self.messages.push(importing);
    }

    fn full(&self) -> bool {
        self.messages.len() >= BATCH_MESSAGES || self.bytes >= BATCH_BYTES
    }

    /// Appends them (several per command where the server can); false when the server
    /// stopped the import, its reason and the first message not imported in `out.stopped`.
    async fn append(&mut self, conn: &mut crate::mail::imap::ImapConn, mailbox: &str, known: &mut HashSet<u64>, out: &mut Outcome) -> bool {
        let (stored, refused) = match conn.append_many(mailbox, &self.messages).await {
            Ok(r) => r,
            // The connection failed (the server went away): what was imported stays.
            Err(e) => (0, Some(e)),
        };
        out.imported += stored;
        if let Some(e) = refused {
            let reason = match e {
                MailError::No(r) => r,
                e => e.to_string(),
            };
            out.stopped = Some((reason, self.first + stored));
            return false;
        }
        known.extend(self.ids.drain());
        self.messages.clear();
        self.bytes = 0;
        true
    }
}

async fn run_import(conn: &mut crate::mail::imap::ImapConn, mailbox: &str, spooled: tempfile::NamedTempFile, job: &mut ImportJob) -> Result<Outcome, MailError> {
    let mut known = conn.message_ids(mailbox).await?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<Item>(32);
    let file = Counting { inner: spooled.reopen().map_err(|e| MailError::No(e.to_string()))?, read: job.read.clone() };
    let reader = tokio::task::spawn_blocking(move || {
        let _keep = spooled;
        read_archive(file, tx)
    });
    let rx = std::sync::Arc::new(std::sync::Mutex::new(rx));
    let next = || {
        let rx = rx.clone();
        async move { tokio::task::spawn_blocking(move || rx.lock().ok()?.recv().ok()).await.ok().flatten() }
    };
    let mut out = Outcome::default();
    let mut pending = Pending::default();
    loop {
        let item = next().await;
        let ended = item.is_none();
        match item {
            Some(Item::Skipped(s)) => out.skipped.push(s),
            Some(Item::Message { importing, number, id }) => {
                let key = id.as_deref().map(message_id_key);
                if key.is_some_and(|k| known.contains(&k) || pending.ids.contains(&k)) {
                    out.duplicates += 1;
                    continue;
                }
                pending.add(importing, number, key);
            }
            None => {}
        }
        if !pending.messages.is_empty() && (pending.full() || ended) {
            if !pending.append(conn, mailbox, &mut known, &mut out).await {
                break;
            }
            job.tell(&out, false).await;
        }
        if ended {
            break;
        }
    }
    // The reader stops at its next message once nobody takes them.
    drop(rx);
    if let Ok(Err(e)) = reader.await
        && out.stopped.is_none()
    {
        tracing::warn!(error = %e, "an imported archive could not be read to its end");
        out.stopped = Some((e.to_string(), out.imported + out.duplicates + out.skipped.len() + 1));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_told_apart_by_their_first_bytes() {
        assert_eq!(kind_of(b"PK\x03\x04rest"), Kind::Zip);
        assert_eq!(kind_of(b"\n\nFrom a@b Mon Jan  1 00:00:00 2024\n"), Kind::Mbox);
        assert_eq!(kind_of(b"From: a@b\r\nSubject: x\r\n"), Kind::Eml);
        assert_eq!(kind_of(b"From: a@b\r\n\r\nFrom here on\r\n"), Kind::Eml);
        assert_eq!(kind_of(b"junk\nFrom a Mon Jan  1 00:00:00 2024\n"), Kind::Mbox);
        assert_eq!(selection(&[("uidvalidity".into(), "7".into()), ("uid".into(), "3".into()), ("uid".into(), "x".into()), ("uid".into(), "5".into())]), Some((7, vec![3, 5])));
        assert_eq!(selection(&[("uid".into(), "3".into())]), None);
    }
}
