use sea_orm::entity::prelude::*;

/// A row of `training_registrations` (migration 000006).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "training_registrations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub event_id: i64,
    pub user_id: i64,
    pub unit_id: i64,
    pub participant_name: String,
    pub checkin_code: String,
    pub registered_by: String,
    pub registered_at: ChronoDateTimeUtc,
    pub checked_in_at: Option<ChronoDateTimeUtc>,
    pub certificate_code: Option<String>,
    pub certified_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
