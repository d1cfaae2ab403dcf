use crate::migration::Migrator;
use crate::{Result, StorageError};
use sea_orm::sqlx::postgres::PgPoolOptions;
use sea_orm::sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbBackend, SqlxPostgresConnector, SqlxSqliteConnector,
    Statement, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database URL whose scheme has been checked. Its `Display` and `Debug` hide any password,
/// so it can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    raw: String,
    backend: Backend,
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self> {
        let raw = raw.trim();
        let backend = if raw.starts_with("sqlite:") {
            Backend::Sqlite
        } else if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            let scheme = raw.split(':').next().unwrap_or("");
            return Err(StorageError::BadUrl(format!(
                "'{scheme}:' is not a supported scheme; use sqlite://PATH or postgres://USER@HOST/DB"
            )));
        };
        let url = Self {
            raw: raw.to_string(),
            backend,
        };
        if backend == Backend::Sqlite && url.sqlite_path().is_none() {
            return Err(StorageError::BadUrl(
                "a sqlite URL needs a file path, e.g. sqlite://data/kotapintar.db".into(),
            ));
        }
        Ok(url)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn expose(&self) -> &str {
        &self.raw
    }

    /// The file of a SQLite URL: `sqlite://data/x.db` is relative, `sqlite:///var/x.db` absolute.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self
            .raw
            .strip_prefix("sqlite://")
            .or_else(|| self.raw.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or("");
        if path.is_empty() || path.starts_with(":memory:") {
            return None;
        }
        Some(PathBuf::from(path))
    }

    fn masked(&self) -> String {
        // postgres://user:secret@host/db -> postgres://user:***@host/db
        if let Some((scheme, rest)) = self.raw.split_once("://") {
            if let Some((creds, host)) = rest.split_once('@') {
                if let Some((user, _)) = creds.split_once(':') {
                    return format!("{scheme}://{user}:***@{host}");
                }
            }
        }
        self.raw.clone()
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({})", self.masked())
    }
}

/// Whether opening a SQLite database may create its file. Only `migrate` and `demo` create:
/// a mistyped path given to `serve` must fail, not start an empty platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    CreateIfMissing,
    MustExist,
}

/// The advisory locks the nodes of a deployment take turns with (each a distinct number;
/// 5103 is the migrations').
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i64)]
pub enum NodeLockKey {
    /// First-start setup: reference data, the first admin.
    Setup = 5104,
    /// Queueing the periodic jobs unless they are queued.
    PeriodicJobs = 5105,
}

/// Held while it lives; see `Store::lock_across_nodes`.
#[must_use = "the lock is released when this is dropped"]
pub struct NodeLock(Option<sea_orm::DatabaseTransaction>);

impl NodeLock {
    pub async fn release(self) -> Result<()> {
        if let Some(tx) = self.0 {
            tx.commit().await?;
        }
        Ok(())
    }
}

/// The connections to the database. On SQLite all writes go through `writer`, a pool of one
/// connection, so writers queue in the process instead of failing with "database is locked";
/// readers run in parallel beside it (WAL). On PostgreSQL both are the same pool.
#[derive(Clone, Debug)]
pub struct Store {
    pub reader: DatabaseConnection,
    pub writer: DatabaseConnection,
    backend: Backend,
    /// Residents' submissions waiting to be written together (see `requests::submit`).
    pub(crate) intake: std::sync::Arc<crate::requests::IntakeQueue>,
    /// Chat webhooks waiting to be written together (see `channels::receive`).
    pub(crate) updates: std::sync::Arc<crate::channels::UpdateQueue>,
    /// Free space below which intake and uploads are refused (set by `watch_free_space`).
    space: Arc<std::sync::OnceLock<crate::space::FreeSpace>>,
    /// Whether writes are failing, since when and why (see `health`).
    pub(crate) outage: Arc<crate::health::Outages>,
    /// SQLite: a `max_page_count` every writer connection gets (0: none). Only tests set it,
    /// to fill the database on purpose (`limit_pages_for_tests`).
    page_limit: Arc<AtomicI64>,
    /// The newest event as this process knows it, without a query (see `events::Head`).
    pub head: Arc<crate::events::Head>,
}

/// SQLite: whatever was just written through the writer has committed (or never will), so
/// its newest event is read on the spot and this process's caches see it at once; a single
/// node has no one else to notify. (PostgreSQL nodes learn of events by `NOTIFY`.) Before
/// the migrations there is no head to read, which is not an error.
async fn see_head(conn: &mut sea_orm::sqlx::SqliteConnection, head: &crate::events::Head) {
    let seq = sea_orm::sqlx::query_scalar::<_, i64>("SELECT seq FROM events_head WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await;
    if let Ok(Some(seq)) = seq {
        head.saw(seq);
    }
}

/// Whether the writer connection, given back to its pool, may be used again. SQLite may roll
/// a whole transaction back on its own after SQLITE_FULL or an I/O error; sqlx does not know,
/// its `ROLLBACK` then fails and it keeps counting the transaction as open, so the next
/// `BEGIN` becomes a `SAVEPOINT` inside whatever SQLite still has open, and its "commit" only
/// releases that savepoint: answered as written, never committed. A connection that still
/// counts a transaction, or that met such an error since, is closed instead (and the pool
/// opens a new one), so every transaction starts with a real `BEGIN` and a `COMMIT` that
/// succeeds has committed.
async fn writer_reusable(
    conn: &mut sea_orm::sqlx::SqliteConnection,
    faults_before: &AtomicU64,
) -> std::result::Result<bool, sea_orm::sqlx::Error> {
    use sea_orm::sqlx::{Connection, Database, Sqlite, TransactionManager};
    // A dropped transaction's rollback is queued on the connection's thread; the ping goes
    // through the same queue, so after it the transaction depth is final.
    conn.ping().await?;
    let depth =
        <<Sqlite as Database>::TransactionManager as TransactionManager>::get_transaction_depth(
            conn,
        );
    let faults = crate::error::faults_seen();
    let new_fault = faults_before.swap(faults, Ordering::AcqRel) != faults;
    if depth != 0 || new_fault {
        tracing::warn!(
            depth,
            new_fault,
            "closing the database writer connection after a failed write"
        );
        return Ok(false);
    }
    Ok(true)
}

impl Store {
    pub async fn connect(url: &DatabaseUrl, mode: OpenMode) -> Result<Self> {
        match url.backend {
            Backend::Sqlite => {
                let path = url
                    .sqlite_path()
                    .ok_or_else(|| StorageError::BadUrl(url.to_string()))?;
                if !path.exists() {
                    if mode == OpenMode::MustExist {
                        return Err(StorageError::DatabaseMissing(path.display().to_string()));
                    }
                    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                        std::fs::create_dir_all(dir).map_err(|e| {
                            StorageError::Other(format!("cannot create {}: {e}", dir.display()))
                        })?;
                    }
                }
                let opts = SqliteConnectOptions::new()
                    .filename(&path)
                    .create_if_missing(mode == OpenMode::CreateIfMissing)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true);
                let sqlx_err = |e: sea_orm::sqlx::Error| {
                    StorageError::Other(format!("cannot open {}: {e}", path.display()))
                };
                let page_limit = Arc::new(AtomicI64::new(0));
                let limit = page_limit.clone();
                let faults_before = Arc::new(AtomicU64::new(crate::error::faults_seen()));
                let head = Arc::new(crate::events::Head::default());
                let seen = head.clone();
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
                    .after_connect(move |conn, _| {
                        let limit = limit.load(Ordering::Acquire);
                        Box::pin(async move {
                            if limit > 0 {
                                use sea_orm::sqlx::Executor;
                                conn.execute(format!("PRAGMA max_page_count = {limit}").as_str())
                                    .await?;
                            }
                            Ok(())
                        })
                    })
                    .after_release(move |conn, _| {
                        let faults_before = faults_before.clone();
                        let seen = seen.clone();
                        Box::pin(async move {
                            let reusable = writer_reusable(conn, &faults_before).await?;
                            if reusable {
                                see_head(conn, &seen).await;
                            }
                            Ok(reusable)
                        })
                    })
                    .connect_with(opts.clone())
                    .await
                    .map_err(sqlx_err)?;
                let reader = SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(opts)
                    .await
                    .map_err(sqlx_err)?;
                Ok(Self {
                    reader: SqlxSqliteConnector::from_sqlx_sqlite_pool(reader),
                    writer: SqlxSqliteConnector::from_sqlx_sqlite_pool(writer),
                    backend: Backend::Sqlite,
                    intake: crate::requests::intake_queue(),
                    updates: crate::channels::update_queue(),
                    space: Arc::default(),
                    outage: Arc::default(),
                    page_limit,
                    head,
                })
            }
            Backend::Postgres => {
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url.expose())
                    .await
                    .map_err(|e| StorageError::Other(format!("cannot connect to {url}: {e}")))?;
                let conn = SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
                Ok(Self {
                    reader: conn.clone(),
                    writer: conn,
                    backend: Backend::Postgres,
                    intake: crate::requests::intake_queue(),
                    updates: crate::channels::update_queue(),
                    space: Arc::default(),
                    outage: Arc::default(),
                    page_limit: Arc::default(),
                    head: Arc::default(),
                })
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies every pending migration. On PostgreSQL an advisory lock makes nodes that start
    /// together take turns, so each migration runs once.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => Migrator::up(&self.writer, None).await?,
            Backend::Postgres => {
                let tx = self.writer.begin().await?;
                tx.execute(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT pg_advisory_xact_lock(5103)",
                ))
                .await?;
                Migrator::up(&tx, None).await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Takes a lock that one node of the deployment at a time can hold, until
    /// `NodeLock::release` (or until the guard is dropped). For work that must happen once
    /// however many nodes do it at the same moment: "create it unless it exists" at start-up.
    /// PostgreSQL: a transaction-scoped advisory lock on a connection set aside for it (the
    /// work itself runs on other connections and commits on its own). SQLite: nothing to do,
    /// a database file belongs to one process.
    pub async fn lock_across_nodes(&self, key: NodeLockKey) -> Result<NodeLock> {
        match self.backend {
            Backend::Sqlite => Ok(NodeLock(None)),
            Backend::Postgres => {
                let tx = self.writer.begin().await?;
                tx.execute(Statement::from_string(
                    DbBackend::Postgres,
                    format!("SELECT pg_advisory_xact_lock({})", key as i64),
                ))
                .await?;
                Ok(NodeLock(Some(tx)))
            }
        }
    }

    /// Whether the database answers: what `/readyz` reports.
    pub async fn ping(&self) -> Result<()> {
        self.reader.ping().await?;
        Ok(())
    }

    /// Refuse intake and uploads while the free space under `dirs` (the data and uploads
    /// directories) is below `min_free_bytes`, before the disk is full rather than after.
    /// Set once, at start-up; 0 turns the watch off.
    pub fn watch_free_space(&self, dirs: Vec<PathBuf>, min_free_bytes: u64) {
        let _ = self
            .space
            .set(crate::space::FreeSpace::new(dirs, min_free_bytes));
    }

    /// `Unavailable` when the free space is below the threshold (checked at most once a
    /// second), else Ok. Ok when nothing is watched.
    pub fn check_free_space(&self) -> Result<()> {
        match self.space.get() {
            Some(space) => space.check(),
            None => Ok(()),
        }
    }

    /// Whether the database can be written now: a transaction that creates a table and
    /// fills some pages, then is rolled back, so nothing is left behind. What `/readyz` asks
    /// besides `ping`; it also ends an outage (see `health`).
    pub async fn probe_write(&self) -> Result<()> {
        let result = async {
            let tx = self.writer.begin().await?;
            let backend = self.writer.get_database_backend();
            tx.execute(Statement::from_string(
                backend,
                "CREATE TABLE kp_write_probe (x TEXT)",
            ))
            .await?;
            let fill = match self.backend {
                Backend::Sqlite => "INSERT INTO kp_write_probe VALUES (hex(randomblob(32768)))",
                Backend::Postgres => {
                    "INSERT INTO kp_write_probe \
                     SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 2048)"
                }
            };
            tx.execute(Statement::from_string(backend, fill)).await?;
            tx.rollback().await?;
            Ok::<(), StorageError>(())
        }
        .await;
        self.check_free_space().and(result).inspect_err(|e| {
            if let StorageError::Unavailable { reason } = e {
                self.outage.begin(reason);
            }
        })?;
        crate::health::ended(self).await;
        Ok(())
    }

    /// Tests only: gives the SQLite writer connection (and every one it is replaced by) a
    /// `max_page_count` of `pages`, so the database is "full" at that size; `None` lifts it.
    #[doc(hidden)]
    pub async fn limit_pages_for_tests(&self, pages: Option<i64>) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        self.page_limit.store(pages.unwrap_or(0), Ordering::Release);
        let n = pages.unwrap_or(i64::from(u32::MAX - 1));
        self.writer
            .execute(Statement::from_string(
                DbBackend::Sqlite,
                format!("PRAGMA max_page_count = {n}"),
            ))
            .await?;
        Ok(())
    }

    pub async fn close(self) {
        let _ = self.reader.close().await;
        let _ = self.writer.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_schemes() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/kotapintar.db")
                .unwrap()
                .sqlite_path(),
            Some(PathBuf::from("data/kotapintar.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/k.db")
                .unwrap()
                .sqlite_path(),
            Some(PathBuf::from("/var/lib/k.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("postgresql://u@h/db").unwrap().backend(),
            Backend::Postgres
        );
        assert!(DatabaseUrl::parse("mysql://u@h/db").is_err());
        assert!(DatabaseUrl::parse("sqlit://data/k.db").is_err());
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn password_is_masked() {
        let u = DatabaseUrl::parse("postgres://kp:hunter2@db:5432/kp").unwrap();
        assert_eq!(u.to_string(), "postgres://kp:***@db:5432/kp");
        assert!(!format!("{u:?}").contains("hunter2"));
    }
}
