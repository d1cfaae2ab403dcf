use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "integration_clients")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub unit_id: i64,
    /// Space-separated, e.g. `requests:read events:read`.
    pub scopes: String,
    /// SHA-256 of the secret part of the token (tokens are random, so no slow hash is needed).
    pub secret_hash: String,
    pub active: bool,
    pub rate_limit_per_minute: i32,
    pub created_at: ChronoDateTimeUtc,
    pub rotated_at: Option<ChronoDateTimeUtc>,
    pub revoked_at: Option<ChronoDateTimeUtc>,
    pub last_used_at: Option<ChronoDateTimeUtc>,
    pub last_event_seq: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
