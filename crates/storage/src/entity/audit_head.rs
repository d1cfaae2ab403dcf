use sea_orm::entity::prelude::*;

/// One row (id 1): the last entry's sequence number and hash. Appending locks it, which is
/// what orders appends from several server nodes.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_head")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i32,
    pub seq: i64,
    pub hash: String,
    /// The fingerprint of the key new entries are made with; `None` until the deployment
    /// has a key.
    pub key_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
