//! kotapintar's data layer. Every query is written once with SeaORM and runs on SQLite (the
//! embedded default) and PostgreSQL (for deployments on several nodes). Each write that staff
//! make goes through a function here that also appends the audit entry in the same
//! transaction, so no change can skip the log.

pub mod agencies;
pub mod alerts;
pub mod applications;
pub mod audit;
pub mod channels;
pub mod clients;
pub mod closure;
pub mod content;
mod db;
pub mod drafts;
mod editorial;
pub mod entity;
mod error;
pub mod events;
pub mod group_commit;
pub mod health;
pub mod holidays;
pub mod jobs;
pub mod limits;
pub mod login_throttle;
pub mod masterplan;
pub mod media;
pub mod migration;
pub mod notices;
pub mod opendata;
pub mod password;
pub mod performance;
pub mod regions;
pub mod requests;
pub mod routing;
pub mod routing_rules;
mod rows;
pub mod services;
pub mod sessions;
pub mod space;
pub mod templates;
pub mod timeline;
pub mod training;
pub mod units;
pub mod users;
pub mod webhooks;

pub use db::{Backend, DatabaseUrl, NodeLock, NodeLockKey, OpenMode, Store};
pub use error::StorageError;

pub type Result<T, E = StorageError> = std::result::Result<T, E>;
