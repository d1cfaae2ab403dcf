use sea_orm::entity::prelude::*;

/// A unit's own application, in the registry Kominfo keeps.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "applications")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_id: i64,
    pub name: String,
    pub purpose: Option<String>,
    pub url: Option<String>,
    pub owner: Option<String>,
    /// `not_integrated`, `in_progress` or `integrated`.
    pub status: String,
    /// The integration client it uses, once it has one.
    pub client_id: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
