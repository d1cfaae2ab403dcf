use sea_orm::entity::prelude::*;

/// One message of a request's thread (staff to reporter, or the reporter's answer): staff
/// only, never public.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_messages")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub request_id: i64,
    pub direction: String,
    pub via: String,
    pub author_user_id: Option<i64>,
    pub author_name: String,
    pub body: String,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
