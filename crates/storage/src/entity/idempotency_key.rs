use sea_orm::entity::prelude::*;

/// The answer given to a client's POST with an `Idempotency-Key`, replayed on retries.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idempotency_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub client_id: i64,
    pub key: String,
    pub status: i32,
    pub body: String,
    /// The request the key was first sent with (method, path, body hash); `None` for keys
    /// stored before it was recorded.
    pub request: Option<String>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
