use sea_orm::entity::prelude::*;

/// A request's performance facts (`kotapintar_domain::performance::Facts`), kept so the
/// next step can take back what the request counted before. The dates are columns too, for
/// the public list's filters ("verified between ...").
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_facts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: i64,
    /// The units it counts for, comma-separated ids.
    pub units: String,
    pub received_on: String,
    pub verified_on: Option<String>,
    pub rejected_on: Option<String>,
    pub resolved_on: Option<String>,
    /// The facts as JSON.
    pub facts: String,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
