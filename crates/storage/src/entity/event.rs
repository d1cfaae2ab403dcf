use sea_orm::entity::prelude::*;

/// The outbox: one row per domain change, written in the change's transaction.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    /// The cursor: assigned under the head row's lock, so it grows in commit order.
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    pub at: ChronoDateTimeUtc,
    pub kind: String,
    pub subject_type: String,
    pub subject_id: String,
    pub unit_ids: String,
    pub confidential: bool,
    pub payload: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
