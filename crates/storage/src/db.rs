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
                let writer = SqlitePoolOptions::new()
                    .max_connections(1)
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
