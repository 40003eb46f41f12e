//! The web-session store on whichever database Facteur uses. tower-sessions' sqlx stores each
//! hold their own typed pool, so this enum keeps `SessionManagerLayer<Store>` one type.

use async_trait::async_trait;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl Store {
    /// The table `tower_sessions` of `migrations/sqlite/0001_sessions.sql`.
    pub fn sqlite(pool: sqlx::SqlitePool) -> Self {
        Self::Sqlite(SqliteStore::new(pool))
    }

    /// The table `public.tower_sessions` of `migrations/postgres/0001_sessions.sql`, created by
    /// our migrations (which hold a lock, so instances starting together do not race).
    pub fn postgres(pool: sqlx::PgPool) -> Self {
        let store = PostgresStore::new(pool);
        match store.clone().with_schema_name("public").and_then(|s| s.with_table_name("tower_sessions")) {
            Ok(s) => Self::Postgres(s),
            // Both names are valid identifiers; kept only so that nothing here can panic.
            Err(_) => Self::Postgres(store),
        }
    }
}

#[async_trait]
impl SessionStore for Store {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.create(record).await,
            Self::Postgres(s) => s.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.save(record).await,
            Self::Postgres(s) => s.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        match self {
            Self::Sqlite(s) => s.load(id).await,
            Self::Postgres(s) => s.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.delete(id).await,
            Self::Postgres(s) => s.delete(id).await,
        }
    }
}

#[async_trait]
impl ExpiredDeletion for Store {
    async fn delete_expired(&self) -> session_store::Result<()> {
        match self {
            Self::Sqlite(s) => s.delete_expired().await,
            Self::Postgres(s) => s.delete_expired().await,
        }
    }
}
