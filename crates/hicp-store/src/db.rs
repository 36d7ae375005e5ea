//! Connecting, migrating, and the plumbing that lets one body of SQL serve both backends.

use std::str::FromStr;
use std::time::Duration;

use std::sync::Arc;

use crate::Date;
use crate::sql::{Lite, SqliteDb, query, query_as};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Postgres, Transaction};
use time::OffsetDateTime;

use crate::{Result, StoreError};

/// A pooled PostgreSQL connection idle this long is checked before it is used.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(10);

/// PostgreSQL pool options: sqlx pings every connection it hands out, one more round trip
/// per request. A busy connection was just used; only one idle for `ping_when_idle_for`
/// or more (the server may have restarted or dropped it meanwhile) is pinged first, and
/// replaced by a new one if the ping fails. (sqlx also pings a connection as it goes back to
/// the pool, a bare `Sync`, in a task after the response; that one cannot be turned off.)
fn postgres_pool(ping_when_idle_for: Duration) -> PgPoolOptions {
    PgPoolOptions::new()
        .test_before_acquire(false)
        .before_acquire(move |conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= ping_when_idle_for {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The store: SQLite or PostgreSQL connections. Cheap to clone (they are shared).
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) backend: Backend,
}

#[derive(Debug, Clone)]
pub(crate) enum Backend {
    /// Read connections and one write connection, through rusqlite (see `sql.rs`). sqlx
    /// connects only to migrate, with `options`, so that `_sqlx_migrations` stays sqlx's.
    Sqlite {
        db: Arc<SqliteDb>,
        options: Box<SqliteConnectOptions>,
    },
    Postgres(PgPool),
}

/// Runs `$body` with `$c` bound to the connection of a [`Conn`] (`&mut Lite` or
/// `&mut PgConnection`) and `$pg` to whether it is PostgreSQL, for the few statements
/// whose SQL differs (row locks). The body is compiled once per backend, so the same SQL
/// text (`$1` placeholders) serves both.
macro_rules! on_conn {
    ($conn:expr, $c:ident, $pg:ident => $body:expr) => {
        match &mut $conn.link {
            $crate::db::Link::Sqlite(link) => {
                #[allow(unused_variables)]
                let $pg = false;
                let $c: &mut $crate::sql::Lite = link;
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

/// A connection of the store. Every query of the store is a method of `Conn`.
///
/// - `Conn<Autocommit>` ([`Store::conn`]): each statement commits by itself. It has the
///   reads and the writes that are one statement.
/// - `Conn<InTx>`, alias [`Tx`] ([`Store::begin`]): a write transaction, committed by
///   [`Tx::commit`] and rolled back when dropped. It also has the writes that take several
///   statements, so a use case that makes several changes makes them all or none.
///
/// On SQLite a transaction is `BEGIN IMMEDIATE` on the one write connection and holds this
/// process's writer turn, so transactions of one database run one at a time; statements
/// run inline on the task's thread. On PostgreSQL transactions are READ COMMITTED; the
/// methods that need more take row locks ([`Tx::lock_organization`]).
pub struct Conn<M> {
    pub(crate) link: Link,
    /// `(assessment, organization)`: an assessment this transaction knows stays open until
    /// it ends, so a change to it need not read it again. It is the open assessment of the
    /// organization the transaction locked (closing one takes that organization's lock
    /// exclusively first, see `close_assessment`) or the one it created, until it closes it.
    pub(crate) open_held: Option<(crate::AssessmentId, crate::OrgId)>,
    _mode: std::marker::PhantomData<M>,
}

/// Mode of a [`Conn`]: every statement commits by itself.
pub enum Autocommit {}
/// Mode of a [`Conn`]: inside a write transaction.
pub enum InTx {}
/// A write transaction (see [`Conn`]).
pub type Tx = Conn<InTx>;

pub(crate) enum Link {
    Sqlite(Lite),
    Postgres(PgLink),
}

/// A pooled PostgreSQL connection, or a transaction on one.
pub(crate) enum PgLink {
    Pooled(sqlx::pool::PoolConnection<Postgres>),
    Tx(Transaction<'static, Postgres>),
}

impl std::ops::Deref for PgLink {
    type Target = sqlx::PgConnection;
    fn deref(&self) -> &sqlx::PgConnection {
        match self {
            PgLink::Pooled(c) => c,
            PgLink::Tx(t) => t,
        }
    }
}

impl std::ops::DerefMut for PgLink {
    fn deref_mut(&mut self) -> &mut sqlx::PgConnection {
        match self {
            PgLink::Pooled(c) => c,
            PgLink::Tx(t) => t,
        }
    }
}

impl Conn<InTx> {
    /// Commits every change made in this transaction.
    pub async fn commit(self) -> Result<()> {
        match self.link {
            Link::Sqlite(lite) => lite.commit(),
            Link::Postgres(PgLink::Tx(t)) => Ok(t.commit().await?),
            // A `Conn<InTx>` is only made by `Store::begin`.
            Link::Postgres(PgLink::Pooled(_)) => unreachable!("a Conn<InTx> holds a transaction"),
        }
    }
}

impl Store {
    /// A connection whose statements commit one by one (reads, one-statement writes).
    pub async fn conn(&self) -> Result<Conn<Autocommit>> {
        let link = match &self.backend {
            Backend::Sqlite { db, .. } => Link::Sqlite(Lite::autocommit(db)?),
            Backend::Postgres(pool) => Link::Postgres(PgLink::Pooled(pool.acquire().await?)),
        };
        Ok(Conn {
            link,
            open_held: None,
            _mode: std::marker::PhantomData,
        })
    }

    /// Starts a write transaction: every change made through it is kept by
    /// [`Tx::commit`], or none (when it is dropped).
    pub async fn begin(&self) -> Result<Tx> {
        let link = match &self.backend {
            Backend::Sqlite { db, .. } => Link::Sqlite(Lite::begin(db).await?),
            Backend::Postgres(pool) => Link::Postgres(PgLink::Tx(pool.begin().await?)),
        };
        Ok(Conn {
            link,
            open_held: None,
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
            let path = options.get_filename().to_path_buf();
            let mode = url
                .split_once('?')
                .and_then(|(_, query)| query.split('&').find_map(|pair| pair.strip_prefix("mode=")))
                .unwrap_or("rw");
            if mode == "memory" || path.as_os_str() == ":memory:" {
                return Err(StoreError::UnsupportedUrl(format!(
                    "{} (an in-memory database is not shared by connections; use a file)",
                    redact(url)
                )));
            }
            let db = SqliteDb::open(path, mode == "rwc", mode == "ro")?;
            Ok(Store {
                backend: Backend::Sqlite {
                    db: Arc::new(db),
                    options: Box::new(options),
                },
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = postgres_pool(PING_WHEN_IDLE_FOR)
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
            Backend::Sqlite { options, .. } => {
                // A pool of one, closed after: sqlx's migrator future is `Send` with a
                // pool, not with a bare connection.
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with((**options).clone())
                    .await?;
                let applied = SQLITE_MIGRATIONS.run(&pool).await;
                pool.close().await;
                applied
            }
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
        let mut c = self.conn().await?;
        on_conn!(c, c => {
            query("SELECT 1").execute(&mut *c).await?;
        });
        Ok(())
    }

    /// Writes a consistent copy of a SQLite database to `path` while the application keeps
    /// running (`VACUUM INTO`: one read transaction, writers are not blocked in WAL mode).
    /// The file must not exist yet. PostgreSQL is backed up with `pg_dump`: `Invalid`.
    pub async fn backup_to(&self, path: &std::path::Path) -> Result<()> {
        let Backend::Sqlite { db, .. } = &self.backend else {
            return Err(StoreError::Invalid(
                "backup_to is for SQLite; back up PostgreSQL with pg_dump".into(),
            ));
        };
        let target = path
            .to_str()
            .ok_or_else(|| {
                StoreError::Invalid(format!("backup path is not UTF-8: {}", path.display()))
            })?
            .to_owned();
        if path.exists() {
            return Err(StoreError::Invalid(format!(
                "{} already exists",
                path.display()
            )));
        }
        // A copy takes as long as the file is big: on a thread that may block.
        let db = db.clone();
        blocking(move || {
            let c = db.connect_again()?;
            c.execute("VACUUM INTO ?1", [target])?;
            Ok(())
        })
        .await
    }

    /// Which migrations this database has applied, compared with the ones this build knows.
    /// A database that was never migrated has none applied (not an error).
    pub async fn schema_status(&self) -> Result<SchemaStatus> {
        let (known, table_sql): (Vec<i64>, &'static str) = match &self.backend {
            Backend::Sqlite { .. } => (
                SQLITE_MIGRATIONS.iter().map(|m| m.version).collect(),
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            ),
            Backend::Postgres(_) => (
                POSTGRES_MIGRATIONS.iter().map(|m| m.version).collect(),
                "SELECT 1::BIGINT FROM information_schema.tables \
                 WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'",
            ),
        };
        let mut c = self.conn().await?;
        let applied: Vec<i64> = on_conn!(c, c => {
            let table: Option<(i64,)> = query_as(table_sql).fetch_optional(&mut *c).await?;
            if table.is_some() {
                let rows: Vec<(i64,)> = query_as(
                    "SELECT version FROM _sqlx_migrations WHERE success ORDER BY version",
                )
                .fetch_all(&mut *c)
                .await?;
                rows.into_iter().map(|(v,)| v).collect()
            } else {
                Vec::new()
            }
        });
        Ok(SchemaStatus { applied, known })
    }

    /// SQLite: `PRAGMA quick_check` (a damaged file is `Invalid`). PostgreSQL: a ping.
    pub async fn check_integrity(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite { db, .. } => {
                let db = db.clone();
                // Reads the whole file: on a thread that may block.
                let rows = blocking(move || {
                    let c = db.connect_again()?;
                    let mut stmt = c.prepare("PRAGMA quick_check")?;
                    let rows = stmt
                        .query_map([], |r| r.get::<_, String>(0))?
                        .collect::<rusqlite::Result<Vec<String>>>()?;
                    Ok(rows)
                })
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

    /// Closes every connection (on PostgreSQL, waits for connections in use).
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { db, .. } => db.close().await,
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}

/// Runs `f` on a thread that may block.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Invalid(format!("a database task failed: {e}")))?
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

    /// The ping policy: a connection idle at least the threshold is pinged, and one that
    /// died is replaced before a statement fails on it; one used more recently is not
    /// pinged (its round trip is what the policy saves), so its death shows.
    #[tokio::test]
    async fn postgres_pings_only_connections_idle_long_enough() {
        use sqlx::Row;
        let url = std::env::var("HICP_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL is unreachable at {url} ({e})"));
        // Runs a statement on a pool of one after its connection was terminated.
        let after_kill = |threshold: Duration| {
            let (url, admin) = (url.clone(), admin.clone());
            async move {
                let pool = postgres_pool(threshold)
                    .max_connections(1)
                    .connect(&url)
                    .await
                    .unwrap();
                let pid: i32 = sqlx::query("SELECT pg_backend_pid()")
                    .fetch_one(&pool)
                    .await
                    .unwrap()
                    .get(0);
                // sqlx pings a connection as it goes back to the pool, in a task of its
                // own; killed before that, it would be replaced there, not by the policy.
                tokio::time::timeout(Duration::from_secs(10), async {
                    while pool.num_idle() == 0 {
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                })
                .await
                .expect("the connection goes back to the pool");
                sqlx::query("SELECT pg_terminate_backend($1)")
                    .bind(pid)
                    .execute(&admin)
                    .await
                    .unwrap();
                tokio::time::timeout(Duration::from_secs(10), async {
                    while sqlx::query("SELECT 1 FROM pg_stat_activity WHERE pid = $1")
                        .bind(pid)
                        .fetch_optional(&admin)
                        .await
                        .unwrap()
                        .is_some()
                    {
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                })
                .await
                .expect("the terminated backend goes away");
                let outcome = sqlx::query("SELECT pg_backend_pid()")
                    .fetch_one(&pool)
                    .await
                    .map(|row| row.get::<i32, _>(0));
                pool.close().await;
                (pid, outcome)
            }
        };
        let (old, outcome) = after_kill(Duration::ZERO).await;
        let new = outcome.expect("an idle connection is pinged and replaced");
        assert_ne!(new, old);
        let (_, outcome) = after_kill(Duration::from_secs(3600)).await;
        assert!(
            outcome.is_err(),
            "a connection used just now is not pinged: {outcome:?}"
        );
        admin.close().await;
    }

    /// 0015 copies the audit log into a table without AUTOINCREMENT: every row keeps its
    /// seq and values, the append-only and revision triggers and the indexes are there
    /// again, and new rows still follow the last one.
    #[tokio::test]
    async fn audit_log_loses_autoincrement_and_keeps_every_row() {
        use sqlx::{Connection, Executor, Row};
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        SQLITE_MIGRATIONS.run_to(14, &mut c).await.unwrap();
        c.execute(
            "INSERT INTO organizations (id, name, created_at, updated_at) VALUES ('o', 'Clinic', 1, 1); \
             INSERT INTO audit_log (at, user_id, org_id, entity, entity_id, field, old_value, new_value) \
             VALUES (5, 'u', 'o', 'answer', 'a/1.S.A.c1', 'status', NULL, 'partial'), \
                    (6, NULL, NULL, 'user', 'u', 'email', 'x', 'y'), \
                    (7, 'u', 'o', 'answer', 'a/1.S.A.c1', 'status', 'partial', 'implemented');",
        )
        .await
        .unwrap();
        // Each row as one text, NULLs told apart from text by quote().
        let rows = "SELECT printf('%d|%d|%s|%s|%s|%s|%s|%s|%s', seq, at, quote(user_id), \
                    quote(org_id), quote(entity), quote(entity_id), quote(field), \
                    quote(old_value), quote(new_value)) FROM audit_log ORDER BY seq";
        let dump = |rows: Vec<sqlx::sqlite::SqliteRow>| -> Vec<String> {
            rows.iter().map(|r| r.get(0)).collect()
        };
        let before = dump(c.fetch_all(rows).await.unwrap());
        assert_eq!(before.len(), 3);

        SQLITE_MIGRATIONS.run(&mut c).await.unwrap();
        assert_eq!(dump(c.fetch_all(rows).await.unwrap()), before);
        let table: String = c
            .fetch_one("SELECT sql FROM sqlite_master WHERE name = 'audit_log'")
            .await
            .unwrap()
            .get(0);
        assert!(!table.contains("AUTOINCREMENT"), "{table}");
        let kept: Vec<String> = c
            .fetch_all("SELECT name FROM sqlite_master WHERE tbl_name = 'audit_log' AND type IN ('index', 'trigger') ORDER BY name")
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        assert_eq!(
            kept,
            [
                "audit_log_entity",
                "audit_log_moves_revision",
                "audit_log_no_delete",
                "audit_log_no_update",
                "audit_log_org",
                "audit_log_user"
            ]
        );
        assert!(
            c.execute("DELETE FROM audit_log WHERE seq = 1")
                .await
                .is_err()
        );
        assert!(c.execute("UPDATE audit_log SET field = 'x'").await.is_err());
        let revision = "SELECT revision FROM organizations WHERE id = 'o'";
        let r0: i64 = c.fetch_one(revision).await.unwrap().get(0);
        let seq: i64 = c
            .fetch_one(
                "INSERT INTO audit_log (at, org_id, entity, entity_id, field) \
                 VALUES (8, 'o', 'organization', 'o', 'name') RETURNING seq",
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(seq, 4);
        let r1: i64 = c.fetch_one(revision).await.unwrap().get(0);
        assert_eq!(r1, r0 + 1);
        let sequences: i64 = c
            .fetch_one("SELECT count(*) FROM sqlite_sequence WHERE name = 'audit_log'")
            .await
            .unwrap()
            .get(0);
        assert_eq!(sequences, 0);
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(redact("mysql://u:secret@h/db"), "mysql://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("sqlite://x.db?mode=rwc"), "sqlite://x.db?mode=rwc");
    }
}
