use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "response_templates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `None`: available to every unit.
    pub unit_id: Option<i64>,
    pub title: String,
    pub body: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
