use sea_orm::entity::prelude::*;

/// A weekly summary sent to the leadership, so a job that runs twice sends it once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "perf_summaries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub week_start: String,
    pub sent_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
