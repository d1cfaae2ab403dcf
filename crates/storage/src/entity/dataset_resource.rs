use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "dataset_resources")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub uuid: String,
    pub dataset_id: i64,
    pub position: i32,
    pub name: String,
    pub description: String,
    pub format: String,
    pub live_source: Option<String>,
    pub file: Option<String>,
    pub file_name: String,
    pub bytes: Option<i64>,
    pub sha256: Option<String>,
    pub columns: String,
    pub row_count: i64,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
