use kotapintar_domain::FieldErrors;
use sea_orm::{DbErr, SqlErr};
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// Input that breaks a rule only the database can check (an unknown unit code, a taken
    /// username), reported per field like any other validation error.
    #[error("invalid input: {0}")]
    Invalid(FieldErrors),
    #[error("not found")]
    NotFound,
    #[error("not permitted")]
    Forbidden,
    /// A workflow step that the request's current status does not allow (e.g. resolving a
    /// request that was already closed by someone else a moment ago).
    #[error("{0}")]
    Conflict(String),
    #[error("the database file {0} does not exist; create it with `kotapintar migrate` (or `kotapintar demo`)")]
    DatabaseMissing(String),
    #[error("unsupported database URL: {0}")]
    BadUrl(String),
    #[error("database error: {0}")]
    Db(DbErr),
    /// The database or the uploads directory cannot take a write right now: the disk is full,
    /// the file system is read-only or failing, or the connection to the database was lost.
    /// Nothing was stored; the same write may succeed later (503 with `Retry-After`).
    #[error("storage unavailable: {reason}")]
    Unavailable { reason: String },
    /// A stored value this version cannot read (an unknown status, a malformed date): the
    /// row was damaged or written by something else. Never replaced by a default, which would
    /// feed a wrong state into a workflow; reported like `Other` (a server error).
    #[error("corrupt stored value: {what} is '{value}'")]
    Corrupt { what: String, value: String },
    #[error("{0}")]
    Other(String),
}

/// How many database errors of the "cannot write now" kind this process has seen. The writer
/// pool compares it with the count it last saw when a connection comes back, and opens a new
/// connection instead of reusing one that met such an error (see `Store::connect`).
static FAULTS: AtomicU64 = AtomicU64::new(0);

pub(crate) fn faults_seen() -> u64 {
    FAULTS.load(Ordering::Acquire)
}

impl From<DbErr> for StorageError {
    fn from(err: DbErr) -> Self {
        match unavailable_reason(&err) {
            Some(reason) => {
                FAULTS.fetch_add(1, Ordering::AcqRel);
                Self::Unavailable { reason }
            }
            None => Self::Db(err),
        }
    }
}

/// Whether `err` says the database cannot be written now (as opposed to a bug or bad input),
/// and why, in words an operator can act on.
fn unavailable_reason(err: &DbErr) -> Option<String> {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{ConnAcquireErr, RuntimeErr};
    let sqlx = match err {
        DbErr::ConnectionAcquire(ConnAcquireErr::Timeout) => {
            return Some("no database connection became free in time".into())
        }
        DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed) => {
            return Some("the database connection pool is closed".into())
        }
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => e,
        _ => return None,
    };
    match sqlx {
        Sqlx::Io(e) => Some(format!("the connection to the database failed: {e}")),
        Sqlx::Tls(e) => Some(format!("the connection to the database failed: {e}")),
        Sqlx::Protocol(e) => Some(format!("the connection to the database broke: {e}")),
        Sqlx::PoolTimedOut => Some("no database connection became free in time".into()),
        Sqlx::PoolClosed => Some("the database connection pool is closed".into()),
        Sqlx::WorkerCrashed => Some("the database connection's worker stopped".into()),
        Sqlx::Database(db) => {
            let code = db.code()?;
            let unavailable = match code.parse::<i64>() {
                // SQLite's (extended) result codes, by their primary code: BUSY, READONLY,
                // IOERR, FULL, CANTOPEN, PROTOCOL
                Ok(n) => matches!(n & 0xff, 5 | 8 | 10 | 13 | 14 | 15),
                // PostgreSQL's SQLSTATE: connection exceptions, the server shutting down or
                // starting, insufficient resources (disk full, out of memory, too many
                // connections), I/O errors, and a read-only server (a standby after failover)
                Err(_) => {
                    code.starts_with("08")
                        || code.starts_with("53")
                        || matches!(&*code, "57P01" | "57P02" | "57P03" | "58030" | "25006")
                }
            };
            unavailable.then(|| db.message().to_string())
        }
        _ => None,
    }
}

impl StorageError {
    pub fn field(field: &str, code: &'static str) -> Self {
        Self::Invalid(FieldErrors::single(field, code))
    }

    /// Turns a unique-constraint violation into a field error, leaving other errors alone.
    /// This replaces a racy "does it exist yet?" query before each insert.
    pub fn on_unique(err: DbErr, field: &str, code: &'static str) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => Self::field(field, code),
            _ => Self::from(err),
        }
    }

    /// A write to the uploads directory that failed: the disk is full, read-only or failing
    /// (the server's fault, for a while) or something else (a bug, a missing directory).
    pub fn from_io(what: &str, err: &std::io::Error) -> Self {
        use std::io::ErrorKind;
        match err.kind() {
            ErrorKind::StorageFull
            | ErrorKind::ReadOnlyFilesystem
            | ErrorKind::QuotaExceeded
            | ErrorKind::FileTooLarge => Self::Unavailable {
                reason: format!("{what}: {err}"),
            },
            // EIO has no kind of its own
            _ if err.raw_os_error() == Some(5) => Self::Unavailable {
                reason: format!("{what}: {err}"),
            },
            _ => Self::Other(format!("{what}: {err}")),
        }
    }

    /// A stored `value` of `what` (e.g. `content_items.status`) that does not parse.
    pub fn corrupt(what: &str, value: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            what: what.into(),
            value: value.to_string(),
        }
    }

    /// Whether this error says nothing was stored because storage cannot be written now.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }
}
