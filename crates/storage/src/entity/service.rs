use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "services")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub unit_id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub group_name: Option<String>,
    pub keywords: Option<String>,
    pub description: Option<String>,
    pub requirements: Option<String>,
    pub procedure: Option<String>,
    pub time_limit_days: i32,
    pub cost: Option<String>,
    pub product: Option<String>,
    pub complaint_handling: Option<String>,
    pub legal_basis: Option<String>,
    pub questions_json: String,
    pub active: bool,
    pub created_at: ChronoDateTimeUtc,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
