use sea_orm::entity::prelude::*;

/// A request the sweep escalated to the leadership because no unit took it in time.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_untaken")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: i64,
    pub escalated_at: ChronoDateTimeUtc,
    pub hours: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
