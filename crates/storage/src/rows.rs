//! One row by its id, read the same way everywhere: a missing row is `NotFound`.

use crate::{Result, StorageError};
use sea_orm::sea_query::LockType;
use sea_orm::{ConnectionTrait, EntityTrait, PrimaryKeyTrait, QuerySelect};

/// The row of `E` with this id.
pub(crate) async fn by_id<E>(db: &impl ConnectionTrait, id: i64) -> Result<E::Model>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    E::find_by_id(id)
        .one(db)
        .await?
        .ok_or(StorageError::NotFound)
}

/// The row of `E` with this id, locked until the transaction ends (PostgreSQL `FOR UPDATE`;
/// SQLite's write transaction holds the whole database), so two writers cannot both act on
/// the same state.
pub(crate) async fn locked<E>(db: &impl ConnectionTrait, id: i64) -> Result<E::Model>
where
    E: EntityTrait,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<i64>,
{
    E::find_by_id(id)
        .lock(LockType::Update)
        .one(db)
        .await?
        .ok_or(StorageError::NotFound)
}
