use sea_orm::entity::prelude::*;

/// A row of `mp_evidence` (migration 000006).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mp_evidence")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub update_id: i64,
    pub kind: String,
    pub url: Option<String>,
    pub file_name: Option<String>,
    pub stored_name: Option<String>,
    pub content_type: Option<String>,
    pub size: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
