use sea_orm::entity::prelude::*;

/// One update a chat provider delivered, kept until it is processed (and after, as the
/// record that a repeated delivery was seen).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "channel_updates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub channel: String,
    pub provider_id: String,
    pub payload: String,
    pub received_at: ChronoDateTimeUtc,
    pub processed_at: Option<ChronoDateTimeUtc>,
    /// The request this update filed, set in the filing transaction.
    pub filed_request_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
