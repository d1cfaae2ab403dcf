use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "content_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub section: String,
    pub unit_id: i64,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub body_md: String,
    pub body_html: String,
    pub tags: String,
    pub kecamatan: Option<String>,
    pub desa: Option<String>,
    pub cover_photo: Option<String>,
    pub attachments: String,
    pub status: String,
    pub publish_at: Option<ChronoDateTimeUtc>,
    pub published_at: Option<ChronoDateTimeUtc>,
    pub revision: i32,
    pub created_by: i64,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
    pub starts_at: Option<ChronoDateTimeUtc>,
    pub ends_at: Option<ChronoDateTimeUtc>,
    pub place: Option<String>,
    pub audience: Option<String>,
    pub internal: bool,
    pub sector: Option<String>,
    pub fund_source: Option<String>,
    pub budget_ceiling: Option<i64>,
    pub contract_value: Option<i64>,
    pub contractor: Option<String>,
    pub planned_start: Option<String>,
    pub planned_end: Option<String>,
    pub project_status: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub physical_pct: Option<f64>,
    pub budget_pct: Option<f64>,
    pub progress_on: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
