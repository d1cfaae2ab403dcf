use sea_orm::entity::prelude::*;

/// A row of `readiness_assessments` (migration 000006).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "readiness_assessments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub assessed_on: String,
    pub notes: Option<String>,
    pub structure: i64,
    pub infrastructure: i64,
    pub superstructure: i64,
    pub overall: i64,
    pub author: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
