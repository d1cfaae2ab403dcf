use kotapintar_domain::FieldErrors;
use sea_orm::{DbErr, SqlErr};

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
    Db(#[from] DbErr),
    #[error("{0}")]
    Other(String),
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
            _ => Self::Db(err),
        }
    }
}
