use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "holidays")]
pub struct Model {
    /// `YYYY-MM-DD`: text sorts and compares the same on both databases.
    #[sea_orm(primary_key, auto_increment = false)]
    pub date: String,
    pub name_id: String,
    pub name_en: String,
    /// `national` (imported) or `local` (added by an admin: cuti bersama, Galungan, ...).
    pub source: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
