use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tracking_code: String,
    pub kind: String,
    pub service_id: Option<i64>,
    pub title: String,
    pub description: String,
    pub status: String,
    pub location_address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub district_code: Option<String>,
    pub village_code: Option<String>,
    pub district_name: Option<String>,
    pub village_name: Option<String>,
    pub anonymous: bool,
    pub confidential: bool,
    pub reporter_name: Option<String>,
    pub reporter_email: Option<String>,
    pub reporter_phone: Option<String>,
    pub reporter_token_hash: String,
    pub answers_json: String,
    pub received_at: ChronoDateTimeUtc,
    /// When the current stage's time limit runs out.
    pub stage_due_at: Option<ChronoDateTimeUtc>,
    /// When the service's own time limit to resolve runs out (set at dispatch).
    pub resolve_due_at: Option<ChronoDateTimeUtc>,
    pub resolved_at: Option<ChronoDateTimeUtc>,
    pub closed_at: Option<ChronoDateTimeUtc>,
    pub response: Option<String>,
    pub reject_reason: Option<String>,
    pub duplicate_of: Option<i64>,
    pub support_count: i64,
    pub escalation_level: i32,
    pub personal_data_erased_at: Option<ChronoDateTimeUtc>,
    pub updated_at: ChronoDateTimeUtc,
    /// The free text as the public may read it: masked when written, in the same
    /// transaction as the raw text (`privacy::PublicText`; migration 11).
    pub public_title: String,
    pub public_description: String,
    pub public_location_address: Option<String>,
    pub public_response: Option<String>,
    /// The chat the request was filed from (`telegram`, `whatsapp`) and its id: the
    /// reporter's contact there, erased with the others (migration 000201).
    pub reporter_chat_channel: Option<String>,
    pub reporter_chat_id: Option<String>,
    /// An outside link sent as Open311 `media_url`: shown, never fetched (migration
    /// m20261209_0002).
    pub media_url: Option<String>,
    /// The primary case this duplicate was merged into (migration m20261211_000201); its
    /// own status and deadlines stay as they were, for an unmerge.
    pub merged_into: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::service::Entity",
        from = "Column::ServiceId",
        to = "super::service::Column::Id"
    )]
    Service,
}

impl Related<super::service::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Service.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
