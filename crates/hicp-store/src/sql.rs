//! The query layer: one body of SQL (`$n` placeholders) and one row type serve both
//! backends. PostgreSQL runs through sqlx; SQLite through rusqlite, inline on the calling
//! task's thread with cached prepared statements.
//!
//! Why not sqlx for SQLite too: sqlx-sqlite runs each connection on a worker thread of its
//! own, so every statement is two thread hand-offs. A save (eight statements) spent most of
//! its CPU in those wake-ups (BENCHMARKS.md, "where a save's time goes"). SQLite statements
//! of this store take microseconds, which is less than one hand-off.

use std::borrow::Cow;
use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rusqlite::types::{FromSql, Null, ToSql, ToSqlOutput, ValueRef};
use sqlx::postgres::{PgConnection, PgRow, Postgres};
use tokio::sync::OwnedMutexGuard;

use crate::{Result, StoreError};

// ---------------------------------------------------------------------------------------
// Values and rows
// ---------------------------------------------------------------------------------------

/// A value bound to a `$n` placeholder. The variant keeps the Rust type, which PostgreSQL
/// needs for a NULL (the store binds NULL only as an integer or a text).
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(bool),
    Bytes(Vec<u8>),
}

macro_rules! value_from {
    ($variant:ident: $($ty:ty => |$v:ident| $e:expr),* $(,)?) => {
        $(impl From<$ty> for Value {
            fn from($v: $ty) -> Value {
                Value::$variant($e)
            }
        })*
    };
}

value_from!(Int: i64 => |v| Some(v), Option<i64> => |v| v);
value_from!(Bool: bool => |v| v);
value_from!(Bytes: Vec<u8> => |v| v);
value_from!(Text:
    String => |v| Some(v),
    Option<String> => |v| v,
    &str => |v| Some(v.to_owned()),
    Option<&str> => |v| v.map(str::to_owned),
);

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Int(Some(v)) => ValueRef::Integer(*v),
            Value::Bool(v) => ValueRef::Integer(i64::from(*v)),
            Value::Text(Some(v)) => ValueRef::Text(v.as_bytes()),
            Value::Bytes(v) => ValueRef::Blob(v),
            Value::Int(None) | Value::Text(None) => ValueRef::Null,
        }))
    }
}

/// A row type. On PostgreSQL it is read by column name (sqlx's `FromRow`); on SQLite by
/// position, from `pos`, checking each column's name until a statement's columns were once
/// found in order (see [`RowReader`]; a column out of place is found by
/// name), so the order of a `SELECT` is not a contract.
pub(crate) trait FromRow: for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin {
    fn from_sqlite(row: &rusqlite::Row<'_>, pos: &mut usize) -> rusqlite::Result<Self>;
}

/// The column `name` of a SQLite row, expected at `pos` (then `pos` moves past it).
pub(crate) fn column<T: FromSql>(
    row: &rusqlite::Row<'_>,
    pos: &mut usize,
    name: &str,
) -> rusqlite::Result<T> {
    let at = match ROW_READ.get() {
        RowRead::ByPosition => *pos,
        RowRead::Checked { .. } => {
            let stmt = row.as_ref();
            if stmt.column_name(*pos).is_ok_and(|n| n == name) {
                *pos
            } else {
                ROW_READ.set(RowRead::Checked { misplaced: true });
                stmt.column_index(name)?
            }
        }
    };
    *pos = at + 1;
    row.get(at)
}

/// How [`column`] finds a row's columns.
#[derive(Clone, Copy)]
enum RowRead {
    /// Each by its name, recording whether one was not where the row type expects it.
    Checked { misplaced: bool },
    /// At the positions of the row type, unchecked: the statement's columns were found in
    /// that order before.
    ByPosition,
}

thread_local! {
    static ROW_READ: std::cell::Cell<RowRead> =
        const { std::cell::Cell::new(RowRead::Checked { misplaced: false }) };
    /// Statements, by the address and length of their SQL text (static, so they name one
    /// text, even where the linker lets one text begin another), whose columns a row type
    /// found in its own order. The columns of a statement follow
    /// from its text and the schema, which only migrations change, before serving. Checking
    /// every column's name on every row was a tenth of a page request.
    static IN_ORDER: std::cell::RefCell<std::collections::HashSet<StatementKey>> =
        std::cell::RefCell::new(std::collections::HashSet::new());
}

/// A static SQL text (address, length) and the row type that reads it.
type StatementKey = (usize, usize, std::any::TypeId);

/// Reads rows of one statement as `R`: by position once a row of the same statement and
/// type was found in order, else checking names (and remembering when they were in order).
struct RowReader {
    key: Option<StatementKey>,
    trusted: bool,
    in_order: bool,
}

impl RowReader {
    /// `sql` is the statement's text when it is static: text made at run time has no
    /// lasting address to remember it by.
    fn new<R: 'static>(sql: Option<&'static str>) -> RowReader {
        let key = sql.map(|text| {
            (
                text.as_ptr() as usize,
                text.len(),
                std::any::TypeId::of::<R>(),
            )
        });
        let trusted = key.is_some_and(|k| IN_ORDER.with(|s| s.borrow().contains(&k)));
        RowReader {
            key,
            trusted,
            in_order: false,
        }
    }

    fn read<R: FromRow>(&mut self, row: &rusqlite::Row<'_>) -> rusqlite::Result<R> {
        ROW_READ.set(if self.trusted {
            RowRead::ByPosition
        } else {
            RowRead::Checked { misplaced: false }
        });
        let read = R::from_sqlite(row, &mut 0);
        let how = ROW_READ.replace(RowRead::Checked { misplaced: false });
        if matches!(how, RowRead::Checked { misplaced: false }) && read.is_ok() {
            self.in_order = true;
        }
        read
    }

    /// Remembers a statement whose row was read in order.
    fn done(self) {
        if let (Some(key), false, true) = (self.key, self.trusted, self.in_order) {
            IN_ORDER.with(|s| s.borrow_mut().insert(key));
        }
    }
}

/// Declares a row struct (fields named as the columns) readable from both backends. A
/// field marked `#[sqlx(flatten)]` is a row struct of its own, read from the same row.
macro_rules! row {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $($(#[$($attr:tt)*])* $fvis:vis $field:ident: $ty:ty),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(sqlx::FromRow)]
        $vis struct $name {
            $($(#[$($attr)*])* $fvis $field: $ty),*
        }

        impl $crate::sql::FromRow for $name {
            fn from_sqlite(
                row: &rusqlite::Row<'_>,
                pos: &mut usize,
            ) -> rusqlite::Result<Self> {
                // Fields are read in the order written, which is the order of `pos`.
                Ok($name {
                    $($field: $crate::sql::row!(@get row, pos, $(#[$($attr)*])* $field: $ty)),*
                })
            }
        }
    };
    (@get $row:ident, $pos:ident, #[sqlx(flatten)] $field:ident: $ty:ty) => {
        <$ty as $crate::sql::FromRow>::from_sqlite($row, $pos)?
    };
    (@get $row:ident, $pos:ident, $field:ident: $ty:ty) => {
        $crate::sql::column($row, $pos, stringify!($field))?
    };
}
pub(crate) use row;

/// A row of `R` with a leading `is_new` column: which of two unioned row sets it came
/// from (the row before a write and the row the write returned, read in one statement).
pub(crate) struct Tagged<R> {
    pub(crate) is_new: bool,
    pub(crate) row: R,
}

impl<'r, R: sqlx::FromRow<'r, PgRow>> sqlx::FromRow<'r, PgRow> for Tagged<R> {
    fn from_row(row: &'r PgRow) -> sqlx::Result<Self> {
        use sqlx::Row;
        Ok(Tagged {
            is_new: row.try_get("is_new")?,
            row: R::from_row(row)?,
        })
    }
}

impl<R: FromRow> FromRow for Tagged<R> {
    fn from_sqlite(row: &rusqlite::Row<'_>, pos: &mut usize) -> rusqlite::Result<Self> {
        Ok(Tagged {
            is_new: column(row, pos, "is_new")?,
            row: R::from_sqlite(row, pos)?,
        })
    }
}

macro_rules! tuple_row {
    ($($t:ident),+) => {
        impl<$($t),+> FromRow for ($($t,)+)
        where
            $($t: FromSql + for<'r> sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres> + Send + Unpin,)+
        {
            fn from_sqlite(row: &rusqlite::Row<'_>, pos: &mut usize) -> rusqlite::Result<Self> {
                Ok(($({
                    let v: $t = row.get(*pos)?;
                    *pos += 1;
                    v
                },)+))
            }
        }
    };
}

tuple_row!(A);
tuple_row!(A, B);
tuple_row!(A, B, C);
tuple_row!(A, B, C, D);
tuple_row!(A, B, C, D, E);
tuple_row!(A, B, C, D, E, F);
tuple_row!(A, B, C, D, E, F, G);
tuple_row!(A, B, C, D, E, F, G, H);
tuple_row!(A, B, C, D, E, F, G, H, I);
tuple_row!(A, B, C, D, E, F, G, H, I, J);
tuple_row!(A, B, C, D, E, F, G, H, I, J, K);
tuple_row!(A, B, C, D, E, F, G, H, I, J, K, L);
tuple_row!(A, B, C, D, E, F, G, H, I, J, K, L, M);
tuple_row!(A, B, C, D, E, F, G, H, I, J, K, L, M, N);
tuple_row!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O);
tuple_row!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P);

// ---------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------

/// A statement with its bound values; `R` is the row type it reads (`()` when it reads none).
#[must_use = "a query does nothing until it is run"]
pub(crate) struct Query<R> {
    sql: Cow<'static, str>,
    args: Vec<Value>,
    _row: PhantomData<fn() -> R>,
}

/// A statement whose rows, if any, are not read.
pub(crate) fn query(sql: impl Into<Cow<'static, str>>) -> Query<()> {
    Query {
        sql: sql.into(),
        args: Vec::new(),
        _row: PhantomData,
    }
}

/// A statement read as rows of `R`.
pub(crate) fn query_as<R: FromRow>(sql: impl Into<Cow<'static, str>>) -> Query<R> {
    Query {
        sql: sql.into(),
        args: Vec::new(),
        _row: PhantomData,
    }
}

/// What running a statement changed.
pub(crate) struct Done {
    rows: u64,
}

impl Done {
    pub(crate) fn rows_affected(&self) -> u64 {
        self.rows
    }
}

/// The connection a query runs on: `&mut PgConnection` or `&mut Lite`.
pub(crate) enum Target<'c> {
    Pg(&'c mut PgConnection),
    Lite(&'c mut Lite),
}

impl<'c> From<&'c mut PgConnection> for Target<'c> {
    fn from(c: &'c mut PgConnection) -> Self {
        Target::Pg(c)
    }
}

impl<'c> From<&'c mut Lite> for Target<'c> {
    fn from(c: &'c mut Lite) -> Self {
        Target::Lite(c)
    }
}

/// Binds `args` to a sqlx query (`Query` or `QueryAs`, which share no trait for `bind`).
macro_rules! bind_pg {
    ($q:expr, $args:expr) => {{
        let mut q = $q;
        for v in $args {
            q = match v {
                Value::Int(v) => q.bind(v),
                Value::Text(v) => q.bind(v),
                Value::Bool(v) => q.bind(v),
                Value::Bytes(v) => q.bind(v),
            };
        }
        q
    }};
}

/// sqlx's query text: a `&'static str` is used as it is (and its prepared statement is
/// cached by sqlx), an owned one is built by this crate from fixed pieces.
fn pg_sql(sql: Cow<'static, str>) -> sqlx::SqlStr {
    use sqlx::SqlSafeStr;
    match sql {
        Cow::Borrowed(s) => s.into_sql_str(),
        Cow::Owned(s) => sqlx::AssertSqlSafe(s).into_sql_str(),
    }
}

impl<R> Query<R> {
    /// Binds the next `$n`.
    pub(crate) fn bind(mut self, v: impl Into<Value>) -> Self {
        self.args.push(v.into());
        self
    }

    /// Runs the statement; its rows, if any, are not read.
    pub(crate) async fn execute<'c>(self, c: impl Into<Target<'c>>) -> Result<Done> {
        match c.into() {
            Target::Pg(c) => {
                let q = bind_pg!(sqlx::query(pg_sql(self.sql)), self.args);
                let done = q.execute(c).await?;
                Ok(Done {
                    rows: done.rows_affected(),
                })
            }
            Target::Lite(c) => {
                let rows = c.run(&self.sql, &self.args, |_| Ok(())).await?;
                Ok(Done { rows })
            }
        }
    }
}

impl<R: FromRow + 'static> Query<R> {
    /// The statement's text if it is static.
    fn static_sql(&self) -> Option<&'static str> {
        match self.sql {
            Cow::Borrowed(text) => Some(text),
            Cow::Owned(_) => None,
        }
    }

    /// Every row.
    pub(crate) async fn fetch_all<'c>(self, c: impl Into<Target<'c>>) -> Result<Vec<R>> {
        match c.into() {
            Target::Pg(c) => {
                let q = bind_pg!(sqlx::query_as::<Postgres, R>(pg_sql(self.sql)), self.args);
                Ok(q.fetch_all(c).await?)
            }
            Target::Lite(c) => {
                let mut out = Vec::new();
                let mut reader = RowReader::new::<R>(self.static_sql());
                c.run(&self.sql, &self.args, |row| {
                    out.push(reader.read(row)?);
                    Ok(())
                })
                .await?;
                reader.done();
                Ok(out)
            }
        }
    }

    /// The first row, if any (a statement that writes runs to its end).
    pub(crate) async fn fetch_optional<'c>(self, c: impl Into<Target<'c>>) -> Result<Option<R>> {
        match c.into() {
            Target::Pg(c) => {
                let q = bind_pg!(sqlx::query_as::<Postgres, R>(pg_sql(self.sql)), self.args);
                Ok(q.fetch_optional(c).await?)
            }
            Target::Lite(c) => {
                let mut out = None;
                let mut reader = RowReader::new::<R>(self.static_sql());
                c.run(&self.sql, &self.args, |row| {
                    if out.is_none() {
                        out = Some(reader.read(row)?);
                    }
                    Ok(())
                })
                .await?;
                reader.done();
                Ok(out)
            }
        }
    }

    /// The first row; `NotFound` when there is none.
    pub(crate) async fn fetch_one<'c>(self, c: impl Into<Target<'c>>) -> Result<R> {
        self.fetch_optional(c).await?.ok_or(StoreError::NotFound)
    }
}

// ---------------------------------------------------------------------------------------
// SQLite
// ---------------------------------------------------------------------------------------

/// How long a write waits for another process (the CLI, say) to finish its write, as
/// sqlx's busy timeout did.
const BUSY_WAIT: Duration = Duration::from_secs(10);

/// Idle read connections kept open; more are opened when more are in use at once.
const IDLE_READERS: usize = 8;

/// Prepared statements kept per connection (the store has about 150).
const STATEMENT_CACHE: usize = 192;

/// One SQLite database file as a store uses it: read connections, and one write
/// connection that write transactions and one-statement writes take in turn.
pub(crate) struct SqliteDb {
    path: PathBuf,
    flags: rusqlite::OpenFlags,
    readers: Mutex<Vec<rusqlite::Connection>>,
    /// Set by `close`: no read connection is opened or kept after it.
    closed: std::sync::atomic::AtomicBool,
    /// `None` once the store is closed.
    writer: Arc<tokio::sync::Mutex<Option<rusqlite::Connection>>>,
    /// Shared by every store of this process on the same file (see [`writer_turn`]).
    turn: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for SqliteDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteDb")
            .field("path", &self.path)
            .finish()
    }
}

/// SQLite has one writer at a time. Writers of one process take turns on an async mutex
/// per database file, so they queue here instead of sleeping in SQLite's busy handler
/// (which sleeps in steps of up to 100 ms, and here would also block a runtime thread).
/// Other processes on the same file are waited for by retrying (see [`SqliteDb::write`]).
fn writer_turn(path: &std::path::Path) -> Arc<tokio::sync::Mutex<()>> {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static TURNS: OnceLock<Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let file = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut turns = TURNS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    turns.entry(file).or_default().clone()
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// The write connection, held with the writer turn.
pub(crate) struct Writer {
    conn: OwnedMutexGuard<Option<rusqlite::Connection>>,
    _turn: OwnedMutexGuard<()>,
}

impl Writer {
    fn conn(&self) -> &rusqlite::Connection {
        // `SqliteDb::write` hands out only a writer that has its connection.
        self.conn.as_ref().expect("an open writer")
    }
}

impl SqliteDb {
    /// Opens the database (`create`: make the file if it is missing) and its write
    /// connection, which also sets WAL mode.
    pub(crate) fn open(path: PathBuf, create: bool, read_only: bool) -> Result<SqliteDb> {
        use rusqlite::OpenFlags;
        let mut flags = OpenFlags::SQLITE_OPEN_NO_MUTEX;
        flags |= if read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        } else if create {
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        };
        let writer = open_connection(&path, flags)?;
        if !read_only {
            writer.pragma_update(None, "journal_mode", "WAL")?;
        }
        // The writer waits for other processes by retrying (see `write`), not by sleeping
        // in SQLite's busy handler on a runtime thread.
        writer.busy_timeout(Duration::ZERO)?;
        let turn = writer_turn(&path);
        Ok(SqliteDb {
            path,
            flags,
            readers: Mutex::new(Vec::new()),
            closed: Default::default(),
            writer: Arc::new(tokio::sync::Mutex::new(Some(writer))),
            turn,
        })
    }

    /// A new connection to the same file (for long work on a blocking thread).
    pub(crate) fn connect_again(&self) -> Result<rusqlite::Connection> {
        Ok(open_connection(&self.path, self.flags)?)
    }

    fn take_reader(&self) -> Result<rusqlite::Connection> {
        if self.is_closed() {
            return Err(StoreError::Invalid("the store is closed".into()));
        }
        let idle = self
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match idle {
            Some(c) => Ok(c),
            None => self.connect_again(),
        }
    }

    fn give_back(&self, c: rusqlite::Connection) {
        let mut idle = self.readers.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE_READERS && !self.is_closed() {
            idle.push(c);
        }
    }

    fn is_closed(&self) -> bool {
        self.closed.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Takes the writer turn and runs `start` on the write connection (`BEGIN IMMEDIATE`,
    /// or a one-statement write), again while another process holds the write lock, for
    /// up to [`BUSY_WAIT`]. Returns the writer and what `start` returned.
    async fn write<T>(
        &self,
        mut start: impl FnMut(&rusqlite::Connection) -> rusqlite::Result<T>,
    ) -> Result<(Writer, T)> {
        let deadline = Instant::now() + BUSY_WAIT;
        let mut pause = Duration::from_millis(1);
        loop {
            let turn = self.turn.clone().lock_owned().await;
            let conn = self.writer.clone().lock_owned().await;
            if conn.is_none() {
                return Err(StoreError::Invalid("the store is closed".into()));
            }
            let writer = Writer { conn, _turn: turn };
            let started = start(writer.conn());
            match started {
                Ok(out) => return Ok((writer, out)),
                Err(e) if is_busy(&e) && Instant::now() < deadline => {
                    drop(writer);
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Closes every connection; the store answers no more.
    pub(crate) async fn close(&self) {
        self.closed
            .store(true, std::sync::atomic::Ordering::Release);
        self.writer.lock().await.take();
        self.readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

fn open_connection(
    path: &std::path::Path,
    flags: rusqlite::OpenFlags,
) -> rusqlite::Result<rusqlite::Connection> {
    let c = rusqlite::Connection::open_with_flags(path, flags)?;
    c.busy_timeout(BUSY_WAIT)?;
    c.pragma_update(None, "foreign_keys", "ON")?;
    if !flags.contains(rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY) {
        c.pragma_update(None, "synchronous", "NORMAL")?;
    }
    c.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(c)
}

/// A store connection on SQLite: a read connection whose statements commit one by one
/// (a statement that writes runs on the write connection, in turn), or a write
/// transaction on the write connection (rolled back when dropped uncommitted).
pub(crate) struct Lite {
    db: Arc<SqliteDb>,
    reader: Option<rusqlite::Connection>,
    tx: Option<Writer>,
}

impl Lite {
    pub(crate) fn autocommit(db: &Arc<SqliteDb>) -> Result<Lite> {
        Ok(Lite {
            reader: Some(db.take_reader()?),
            db: db.clone(),
            tx: None,
        })
    }

    pub(crate) async fn begin(db: &Arc<SqliteDb>) -> Result<Lite> {
        // IMMEDIATE: a deferred transaction that later upgrades to a writer fails with
        // SQLITE_BUSY whatever the busy timeout.
        let (writer, ()) = db.write(|c| c.execute_batch("BEGIN IMMEDIATE")).await?;
        Ok(Lite {
            db: db.clone(),
            reader: None,
            tx: Some(writer),
        })
    }

    pub(crate) fn commit(mut self) -> Result<()> {
        let writer = self.tx.take().expect("a Lite transaction");
        if let Err(e) = writer.conn().execute_batch("COMMIT") {
            // The transaction may still be open (SQLITE_BUSY): end it before the writer
            // goes to the next one.
            if !writer.conn().is_autocommit() {
                let _ = writer.conn().execute_batch("ROLLBACK");
            }
            return Err(e.into());
        }
        Ok(())
    }

    /// Runs `sql` with `args`, calling `each` for every row; returns the rows it changed.
    async fn run(
        &mut self,
        sql: &str,
        args: &[Value],
        mut each: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<()>,
    ) -> Result<u64> {
        if let Some(writer) = &self.tx {
            return Ok(run_on(writer.conn(), sql, args, &mut each)?);
        }
        {
            let reader = self
                .reader
                .as_ref()
                .expect("a Lite has a reader or a writer");
            let mut stmt = reader.prepare_cached(sql)?;
            if stmt.readonly() {
                step(&mut stmt, args, &mut each)?;
                return Ok(0);
            }
        }
        // A write outside a transaction: on the write connection, in turn.
        let (_writer, changed) = self.db.write(|c| run_on(c, sql, args, &mut each)).await?;
        Ok(changed)
    }
}

impl Drop for Lite {
    fn drop(&mut self) {
        if let Some(writer) = self.tx.take() {
            // Dropped uncommitted (an error, a conflict): nothing of it is kept.
            if !writer.conn().is_autocommit() {
                let _ = writer.conn().execute_batch("ROLLBACK");
            }
        }
        if let Some(reader) = self.reader.take() {
            self.db.give_back(reader);
        }
    }
}

/// Prepares (cached), binds and steps `sql` to its end on `c`; returns the rows it changed.
fn run_on(
    c: &rusqlite::Connection,
    sql: &str,
    args: &[Value],
    each: &mut impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<()>,
) -> rusqlite::Result<u64> {
    let mut stmt = c.prepare_cached(sql)?;
    step(&mut stmt, args, each)?;
    Ok(c.changes())
}

/// Binds `args` to `stmt` and steps it to its end, calling `each` for every row.
fn step(
    stmt: &mut rusqlite::Statement<'_>,
    args: &[Value],
    each: &mut impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    for i in 1..=stmt.parameter_count() {
        // `$n` is the n-th value wherever it stands (SQLite numbers parameters in order of
        // first use); a parameter with no value is NULL, as in sqlx.
        let n = match stmt.parameter_name(i) {
            Some(name) => name[1..].parse::<usize>().map_err(|_| {
                rusqlite::Error::InvalidParameterName(format!("{name} (expected $1, $2, …)"))
            })?,
            None => i,
        };
        match args.get(n - 1) {
            Some(v) => stmt.raw_bind_parameter(i, v)?,
            None => stmt.raw_bind_parameter(i, Null)?,
        }
    }
    let mut rows = stmt.raw_query();
    while let Some(row) = rows.next()? {
        each(row)?;
    }
    Ok(())
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ffi;
        match &e {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NotFound,
            rusqlite::Error::SqliteFailure(f, message) => {
                let message = message.clone().unwrap_or_else(|| f.to_string());
                match f.extended_code {
                    ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                        StoreError::Duplicate(message)
                    }
                    ffi::SQLITE_CONSTRAINT_FOREIGNKEY => StoreError::InvalidReference(message),
                    _ => StoreError::Sqlite(e),
                }
            }
            _ => StoreError::Sqlite(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    row! {
        struct Pair {
            a: i64,
            b: String,
        }
    }

    fn read(c: &rusqlite::Connection, sql: &'static str) -> Pair {
        let mut reader = RowReader::new::<Pair>(Some(sql));
        let mut stmt = c.prepare(sql).unwrap();
        let mut rows = stmt.query([]).unwrap();
        let pair = reader.read::<Pair>(rows.next().unwrap().unwrap()).unwrap();
        drop(rows);
        reader.done();
        pair
    }

    fn remembered(sql: &'static str) -> bool {
        let key = (
            sql.as_ptr() as usize,
            sql.len(),
            std::any::TypeId::of::<Pair>(),
        );
        IN_ORDER.with(|s| s.borrow().contains(&key))
    }

    /// A statement whose columns come in the row type's order is read by position after
    /// its first row; one whose columns do not is read by name every time.
    #[test]
    fn columns_in_order_are_read_by_position_and_the_others_by_name() {
        static IN_ORDER_SQL: &str = "SELECT 1 AS a, 'x' AS b";
        static OUT_OF_ORDER_SQL: &str = "SELECT 'y' AS b, 2 AS a";
        let c = rusqlite::Connection::open_in_memory().unwrap();
        for round in 0..3 {
            let p = read(&c, IN_ORDER_SQL);
            assert_eq!((p.a, p.b.as_str()), (1, "x"), "round {round}");
            assert!(remembered(IN_ORDER_SQL), "round {round}");
            let p = read(&c, OUT_OF_ORDER_SQL);
            assert_eq!((p.a, p.b.as_str()), (2, "y"), "round {round}");
            assert!(!remembered(OUT_OF_ORDER_SQL), "round {round}");
        }
    }
}
