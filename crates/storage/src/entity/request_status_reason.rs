use sea_orm::entity::prelude::*;

/// The public reason of a request that is `dialihkan` (with the agency) or `ditunda` (with the
/// status it had and the date it resumes); no row in any other status.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_status_reason")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: i64,
    pub agency_id: Option<i64>,
    pub reason: String,
    pub deferred_from: Option<String>,
    pub deferred_until: Option<ChronoDateTimeUtc>,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
