use sea_orm::entity::prelude::*;

/// One email subscription to an area's new public requests (see `crate::alerts`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "area_subscriptions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub email: String,
    pub area_code: String,
    pub token: String,
    pub created_at: ChronoDateTimeUtc,
    pub confirmed_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
