use sea_orm::entity::prelude::*;

/// One call to the API: who (the client, when authenticated), what, and the answer's status.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_calls")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: ChronoDateTimeUtc,
    pub client_id: Option<i64>,
    pub method: String,
    /// The path without the query string (queries may carry keys).
    pub path: String,
    pub status: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
