//! Connecting, migrating, and the plumbing that lets one body of SQL serve both backends.

use std::str::FromStr;
use std::time::Duration;

use crate::Date;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Database, Postgres, Sqlite, Transaction};
use time::OffsetDateTime;

use crate::{Result, StoreError};

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The store: a connection pool to SQLite or PostgreSQL. Cheap to clone (the pool is
/// shared).
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) backend: Backend,
}

#[derive(Debug, Clone)]
pub(crate) enum Backend {
    /// `pool` for reads and one-statement writes; `writer`, one connection, for write
    /// transactions. They take turns anyway (one writer at a time), and one connection
    /// keeps its page cache from one to the next: spread over the pool, each began on a
    /// connection whose cache another's commit had made stale, and read its pages again
    /// (48 `pread`s a save).
    Sqlite {
        pool: SqlitePool,
        writer: SqlitePool,
    },
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the backend's pool. The body is compiled once per
/// backend, so the same SQL text (with `$1` placeholders, which sqlx-sqlite supports)
/// serves both.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::db::Backend::Sqlite { pool: $pool, .. } => $body,
            $crate::db::Backend::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the connection of a [`Conn`] (`&mut SqliteConnection`
/// or `&mut PgConnection`) and `$pg` to whether it is PostgreSQL, for the few statements
/// whose SQL differs (row locks). Like `on_pool!`, the body is compiled once per backend.
macro_rules! on_conn {
    ($conn:expr, $c:ident, $pg:ident => $body:expr) => {
        match &mut $conn.link {
            $crate::db::Link::Sqlite(link) => {
                #[allow(unused_variables)]
                let $pg = false;
                let $c: &mut sqlx::SqliteConnection = &mut *link;
                $body
            }
            $crate::db::Link::Postgres(link) => {
                #[allow(unused_variables)]
                let $pg = true;
                let $c: &mut sqlx::PgConnection = &mut *link;
                $body
            }
        }
    };
    ($conn:expr, $c:ident => $body:expr) => {
        on_conn!($conn, $c, _pg => $body)
    };
}
pub(crate) use on_conn;

/// A connection of the store's pool. Every query of the store is a method of `Conn`.
///
/// - `Conn<Autocommit>` ([`Store::conn`]): each statement commits by itself. It has the
///   reads and the writes that are one statement.
/// - `Conn<InTx>`, alias [`Tx`] ([`Store::begin`]): a write transaction, committed by
///   [`Tx::commit`] and rolled back when dropped. It also has the writes that take several
///   statements, so a use case that makes several changes makes them all or none.
///
/// On SQLite a transaction is `BEGIN IMMEDIATE` and holds this process's writer turn, so
/// transactions of one database run one at a time. On PostgreSQL transactions are READ
/// COMMITTED; the methods that need more take row locks ([`Tx::lock_organization`]).
pub struct Conn<M> {
    pub(crate) link: Link,
    _mode: std::marker::PhantomData<M>,
}

/// Mode of a [`Conn`]: every statement commits by itself.
pub enum Autocommit {}
/// Mode of a [`Conn`]: inside a write transaction.
pub enum InTx {}
/// A write transaction (see [`Conn`]).
pub type Tx = Conn<InTx>;

pub(crate) enum Link {
    Sqlite(Handle<Sqlite>),
    Postgres(Handle<Postgres>),
}

/// A pooled connection, or a transaction on one.
pub(crate) enum Handle<DB: Database> {
    Pooled(sqlx::pool::PoolConnection<DB>),
    Tx(WriteTx<DB>),
}

impl<DB: Database> std::ops::Deref for Handle<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        match self {
            Handle::Pooled(c) => c,
            Handle::Tx(t) => t,
        }
    }
}

impl<DB: Database> std::ops::DerefMut for Handle<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self {
            Handle::Pooled(c) => c,
            Handle::Tx(t) => t,
        }
    }
}

impl Conn<InTx> {
    /// Commits every change made in this transaction.
    pub async fn commit(self) -> Result<()> {
        match self.link {
            Link::Sqlite(Handle::Tx(t)) => t.commit().await,
            Link::Postgres(Handle::Tx(t)) => t.commit().await,
            // A `Conn<InTx>` is only made by `Store::begin`.
            _ => unreachable!("a Conn<InTx> holds a transaction"),
        }
    }
}

/// Starting a write transaction. On SQLite it is `BEGIN IMMEDIATE`: a deferred transaction
/// that later upgrades to a writer fails with SQLITE_BUSY whatever the busy timeout.
trait BeginWrite {
    type Db: Database;
    async fn begin_write(&self) -> Result<WriteTx<Self::Db>>;
}

/// A write transaction. Derefs to the connection; on SQLite it also holds this process's
/// writer turn until `commit` (or drop, which rolls back).
pub(crate) struct WriteTx<DB: Database> {
    tx: Transaction<'static, DB>,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl<DB: Database> WriteTx<DB> {
    async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

impl<DB: Database> std::ops::Deref for WriteTx<DB> {
    type Target = DB::Connection;
    fn deref(&self) -> &DB::Connection {
        &self.tx
    }
}

impl<DB: Database> std::ops::DerefMut for WriteTx<DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        &mut self.tx
    }
}

/// SQLite has one writer at a time. Writers of one process take turns on an async mutex
/// per database file, so they queue here instead of sleeping in SQLite's busy handler
/// (which sleeps in steps of up to 100 ms and made the p99 of saves 0.2-0.3 s under load).
/// Other processes on the same file still meet the busy timeout.
fn sqlite_writer_turn(pool: &SqlitePool) -> std::sync::Arc<tokio::sync::Mutex<()>> {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex, OnceLock};
    static TURNS: OnceLock<Mutex<HashMap<std::path::PathBuf, Arc<tokio::sync::Mutex<()>>>>> =
        OnceLock::new();
    let file = pool.connect_options().get_filename().to_path_buf();
    let mut turns = TURNS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    turns.entry(file).or_default().clone()
}

impl BeginWrite for SqlitePool {
    type Db = Sqlite;
    async fn begin_write(&self) -> Result<WriteTx<Sqlite>> {
        let turn = sqlite_writer_turn(self).lock_owned().await;
        let tx = self.begin_with("BEGIN IMMEDIATE").await?;
        Ok(WriteTx {
            tx,
            _turn: Some(turn),
        })
    }
}

impl BeginWrite for PgPool {
    type Db = Postgres;
    async fn begin_write(&self) -> Result<WriteTx<Postgres>> {
        Ok(WriteTx {
            tx: self.begin().await?,
            _turn: None,
        })
    }
}

impl Store {
    /// A connection whose statements commit one by one (reads, one-statement writes).
    pub async fn conn(&self) -> Result<Conn<Autocommit>> {
        let link = match &self.backend {
            Backend::Sqlite { pool, .. } => Link::Sqlite(Handle::Pooled(pool.acquire().await?)),
            Backend::Postgres(pool) => Link::Postgres(Handle::Pooled(pool.acquire().await?)),
        };
        Ok(Conn {
            link,
            _mode: std::marker::PhantomData,
        })
    }

    /// Starts a write transaction: every change made through it is kept by
    /// [`Tx::commit`], or none (when it is dropped).
    pub async fn begin(&self) -> Result<Tx> {
        let link = match &self.backend {
            Backend::Sqlite { writer, .. } => Link::Sqlite(Handle::Tx(writer.begin_write().await?)),
            Backend::Postgres(pool) => Link::Postgres(Handle::Tx(pool.begin_write().await?)),
        };
        Ok(Conn {
            link,
            _mode: std::marker::PhantomData,
        })
    }
}

impl Store {
    /// Connects to `sqlite://path?mode=rwc` (WAL, foreign keys on, 10 s busy timeout) or
    /// `postgres://...` (`postgresql://` too). Does not migrate: call [`Store::migrate`].
    ///
    /// A PostgreSQL URL may pick a schema with `?options[search_path]=name`.
    pub async fn connect(url: &str) -> Result<Store> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(7)
                .connect_with(options.clone())
                .await?;
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await?;
            Ok(Store {
                backend: Backend::Sqlite { pool, writer },
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .connect_with(options)
                .await?;
            Ok(Store {
                backend: Backend::Postgres(pool),
            })
        } else {
            Err(StoreError::UnsupportedUrl(redact(url)))
        }
    }

    /// Applies the migrations not yet applied. Idempotent; safe to run from several
    /// servers at once on PostgreSQL (sqlx takes an advisory lock).
    pub async fn migrate(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite { pool, .. } => SQLITE_MIGRATIONS.run(pool).await,
            Backend::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
        .map_err(StoreError::Migrate)
    }

    /// `sqlite` or `postgres`.
    pub fn backend_name(&self) -> &'static str {
        match &self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Checks that the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Writes a consistent copy of a SQLite database to `path` while the application keeps
    /// running (`VACUUM INTO`: one read transaction, writers are not blocked in WAL mode).
    /// The file must not exist yet. PostgreSQL is backed up with `pg_dump`: `Invalid`.
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<()> {
        let Backend::Sqlite { pool, .. } = &self.backend else {
            return Err(StoreError::Invalid(
                "backup_to is for SQLite; back up PostgreSQL with pg_dump".into(),
            ));
        };
        let target = path.to_str().ok_or_else(|| {
            StoreError::Invalid(format!("backup path is not UTF-8: {}", path.display()))
        })?;
        if path.exists() {
            return Err(StoreError::Invalid(format!(
                "{} already exists",
                path.display()
            )));
        }
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Which migrations this database has applied, compared with the ones this build knows.
    /// A database that was never migrated has none applied (not an error).
    pub async fn schema_status(&self) -> Result<SchemaStatus> {
        let known: Vec<i64> = match &self.backend {
            Backend::Sqlite { .. } => SQLITE_MIGRATIONS.iter().map(|m| m.version).collect(),
            Backend::Postgres(_) => POSTGRES_MIGRATIONS.iter().map(|m| m.version).collect(),
        };
        let applied: Vec<i64> = on_pool!(self, pool => {
            let table: Option<i64> = match &self.backend {
                Backend::Sqlite { .. } => sqlx::query_scalar(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
                )
                .fetch_optional(pool)
                .await?,
                Backend::Postgres(_) => sqlx::query_scalar(
                    "SELECT 1::BIGINT FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
                )
                .fetch_optional(pool)
                .await?,
            };
            if table.is_some() {
                sqlx::query_scalar(
                    "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
                )
                .fetch_all(pool)
                .await?
            } else {
                Vec::new()
            }
        });
        Ok(SchemaStatus { applied, known })
    }

    /// SQLite: `PRAGMA quick_check` (a damaged file is `Invalid`). PostgreSQL: a ping.
    pub async fn check_integrity(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite { pool, .. } => {
                let rows: Vec<String> = sqlx::query_scalar("PRAGMA quick_check")
                    .fetch_all(pool)
                    .await?;
                if rows.len() == 1 && rows[0] == "ok" {
                    Ok(())
                } else {
                    Err(StoreError::Invalid(format!(
                        "integrity check failed: {}",
                        rows.join("; ")
                    )))
                }
            }
            Backend::Postgres(_) => self.ping().await,
        }
    }

    /// Closes every connection of the pools (waits for connections in use).
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { pool, writer } => {
                writer.close().await;
                pool.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}

/// The migrations a database has applied and the ones this build knows (by version).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    pub applied: Vec<i64>,
    pub known: Vec<i64>,
}

impl SchemaStatus {
    /// Known migrations not applied yet (what `migrate` would run).
    pub fn pending(&self) -> Vec<i64> {
        self.known
            .iter()
            .filter(|v| !self.applied.contains(v))
            .copied()
            .collect()
    }

    /// Applied migrations this build does not know: the database is from a newer version.
    pub fn unknown(&self) -> Vec<i64> {
        self.applied
            .iter()
            .filter(|v| !self.known.contains(v))
            .copied()
            .collect()
    }
}

/// A database URL without its password, for messages and logs: `postgres://u:***@h/db`.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Duplicate(db.message().to_string())
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::InvalidReference(db.message().to_string())
            }
            _ => StoreError::Database(e),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Value conversions shared by both backends
// ---------------------------------------------------------------------------------------

/// Now, truncated to what the database keeps (milliseconds).
pub(crate) fn now() -> OffsetDateTime {
    from_millis(to_millis(OffsetDateTime::now_utc()))
}

pub(crate) fn to_millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub(crate) fn from_millis(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub(crate) fn date_text(d: Date) -> String {
    d.to_string()
}

pub(crate) fn opt_date_text(d: Option<Date>) -> Option<String> {
    d.map(date_text)
}

/// Parses the `YYYY-MM-DD` text the store wrote.
pub(crate) fn parse_date(s: &str) -> Result<Date> {
    Date::parse(s).map_err(|_| StoreError::Invalid(format!("stored date is not YYYY-MM-DD: {s:?}")))
}

pub(crate) fn parse_opt_date(s: Option<String>) -> Result<Option<Date>> {
    s.as_deref().map(parse_date).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_text() {
        let d = Date::new(2026, 3, 7).unwrap();
        assert_eq!(date_text(d), "2026-03-07");
        assert_eq!(parse_date("2026-03-07").unwrap(), d);
        assert!(parse_date("2026-13-01").is_err());
        assert!(parse_date("yesterday").is_err());
    }

    #[test]
    fn times_keep_milliseconds() {
        let t = now();
        assert_eq!(from_millis(to_millis(t)), t);
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("mysql://u:secret@h/db"), "mysql://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://x.db?mode=rwc"), "sqlite://x.db?mode=rwc");
    }
}
