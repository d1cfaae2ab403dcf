use sea_orm::entity::prelude::*;

/// A routing rule kept by Kominfo (`domain::routing::rules::Rule`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "routing_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub position: i32,
    pub service_id: Option<i64>,
    pub kind: Option<String>,
    pub area_code: Option<String>,
    pub unit_id: i64,
    pub note: Option<String>,
    pub active: bool,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
