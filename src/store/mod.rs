//! Facteur's own data (never mail): web sessions now; preferences, identities and contacts later.

pub mod compose;
pub mod prefs;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};

pub type Db = SqlitePool;

/// Opens the database (creating the file if needed) and applies migrations.
pub async fn connect(url: &str) -> anyhow::Result<Db> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| anyhow::anyhow!("database URL: {e}"))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .min_connections(1)
        .idle_timeout(None)
        .connect_with(options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open the database: {e}"))?;
    sqlx::migrate!("./migrations/sqlite")
        .run(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("database migration failed: {e}"))?;
    Ok(pool)
}

/// Answers whether the database is reachable.
pub async fn ping(db: &Db) -> bool {
    sqlx::query_scalar::<_, i64>("SELECT 1").fetch_one(db).await.is_ok()
}
