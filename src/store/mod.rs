//! Facteur's own data (never mail): web sessions, preferences, identities, contacts, send keys,
//! login throttling. SQLite (one file in the data directory) or PostgreSQL (several instances).
//!
//! Queries go through sqlx's `Any` driver and are written once, in SQL both databases accept:
//! `$N` placeholders, `ON CONFLICT … DO UPDATE`, integers as 64-bit, flags as 0/1. Each database
//! has its own migrations (`migrations/sqlite`, `migrations/postgres`) since their DDL differs.
//!
//! The files of drafts being written live here too ([`uploads`]): on disk with SQLite, in the
//! database with PostgreSQL. Every function here fails with a [`StoreError`].

pub mod archives;
pub mod imports;
pub mod outbox;
pub mod passkeys;
pub mod push;
pub mod two_step;
pub mod compose;
pub mod prefs;
pub mod searches;
pub mod sessions;
pub mod throttle;
pub mod uploads;
pub mod web_sessions;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

pub type Db = sqlx::AnyPool;

/// What can go wrong with Facteur's own data. Nothing a user can fix: pages show an internal
/// error and the log has the detail.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not one Facteur can use.
    #[error("database URL: {0}")]
    Url(String),
    /// The database could not be opened or created.
    #[error("cannot open the database: {0}")]
    Open(sqlx::Error),
    #[error("database migration failed: {0}")]
    Migration(sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database: {0}")]
    Query(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        Self::Query(e)
    }
}

/// Which database a URL names: decided once, in the configuration.
pub use crate::config::Backend;

/// The opened database: the pool every query uses, and the web-session store.
pub struct Opened {
    pub db: Db,
    pub sessions: sessions::Store,
    pub backend: Backend,
}

/// Opens the database (creating a SQLite file if needed), applies migrations and prepares the
/// web-session store on the same database.
pub async fn open(url: &str) -> Result<Opened, StoreError> {
    let backend = Backend::parse(url).map_err(StoreError::Url)?;
    let db = connect(url).await?;
    let sessions = match backend {
        Backend::Sqlite => {
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(sqlite_options(url)?)
                .await
                .map_err(StoreError::Open)?;
            sessions::Store::sqlite(pool)
        }
        Backend::Postgres => {
            let options = PgConnectOptions::from_str(url).map_err(|e| StoreError::Url(e.to_string()))?;
            let pool = PgPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options)
                .await
                .map_err(StoreError::Open)?;
            sessions::Store::postgres(pool)
        }
    };
    Ok(Opened { db, sessions, backend })
}

fn sqlite_options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
    Ok(SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::Url(e.to_string()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5)))
}

/// Opens the query pool and applies migrations.
pub async fn connect(url: &str) -> Result<Db, StoreError> {
    install_default_drivers();
    let backend = Backend::parse(url).map_err(StoreError::Url)?;
    if backend == Backend::Sqlite && !url.contains(":memory:") {
        // Creates the file and turns on write-ahead logging once (it is stored in the file), so
        // that the pools below share it without locking each other out.
        let options = sqlite_options(url)?;
        let first = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(StoreError::Open)?;
        first.close().await;
    }
    let mut pool = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(5));
    pool = match backend {
        // SQLite: an in-memory database lives as long as one of its connections.
        Backend::Sqlite => pool.max_connections(4).min_connections(1).idle_timeout(None),
        Backend::Postgres => pool.max_connections(16).min_connections(1),
    };
    let url = match backend {
        // One in-memory database shared by the pool's connections (tests).
        Backend::Sqlite if url.contains(":memory:") => {
            static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            format!("sqlite:file:facteur-memory-{}-{n}?mode=memory&cache=shared", std::process::id())
        }
        Backend::Sqlite if !url.contains("mode=") => format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' }),
        _ => url.to_string(),
    };
    let pool = pool.connect(&url).await.map_err(StoreError::Open)?;
    let migrations = match backend {
        Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
        Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
    };
    migrations.run(&pool).await.map_err(StoreError::Migration)?;
    Ok(pool)
}

/// Answers whether the database is reachable.
pub async fn ping(db: &Db) -> bool {
    sqlx::query_scalar::<_, i64>("SELECT CAST(1 AS BIGINT)").fetch_one(db).await.is_ok()
}
