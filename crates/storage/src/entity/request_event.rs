use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "request_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub request_id: i64,
    pub at: ChronoDateTimeUtc,
    /// Who, as shown to staff: a username, `pelapor` (the reporter) or `system:...`.
    pub actor: String,
    pub actor_user_id: Option<i64>,
    pub step: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
    pub note_public: bool,
    pub unit_id: Option<i64>,
    /// The note as the public may read it, masked when written; `None` for internal notes.
    pub public_note: Option<String>,
    /// An outside photo link sent with an Open311 update (migration m20261209_0002).
    pub media_url: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::unit::Entity",
        from = "Column::UnitId",
        to = "super::unit::Column::Id"
    )]
    Unit,
}

impl Related<super::unit::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Unit.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
