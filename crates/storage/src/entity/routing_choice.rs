use sea_orm::entity::prelude::*;

/// The desk's choice on a request it was shown suggestions for.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "routing_choices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub request_id: i64,
    pub model_id: i64,
    pub shown: String,
    pub chosen_unit_id: i64,
    /// 1..=3: the chosen unit's place among the suggestions; `None`: overridden.
    pub rank: Option<i32>,
    pub decided_by: i64,
    pub decided_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
