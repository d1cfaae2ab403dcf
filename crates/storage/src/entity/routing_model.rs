use sea_orm::entity::prelude::*;

/// A trained routing model (`domain::routing::StoredModel` as JSON); the newest is in use.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "routing_models")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub trained_at: ChronoDateTimeUtc,
    pub examples: i64,
    pub units: i32,
    pub history_from: Option<ChronoDateTimeUtc>,
    pub history_to: Option<ChronoDateTimeUtc>,
    pub took_ms: i64,
    pub requested_by: String,
    pub model: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
