use sea_orm::entity::prelude::*;

/// A photo the reporter sent on a request's thread: served to staff only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_message_photos")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub message_id: i64,
    pub request_id: i64,
    pub position: i32,
    pub mime: String,
    /// Relative to the uploads directory.
    pub file_name: String,
    pub thumb_name: String,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
