//! Requests no unit took within the configured hours (`untaken_escalate_hours`), escalated
//! once by the sweep to the leadership page.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

fn a(name: &str) -> Alias {
    Alias::new(name)
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(a("request_untaken"))
                // one escalation per request: the sweep never repeats it
                .col(
                    ColumnDef::new(a("request_id"))
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(a("escalated_at"))
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(a("hours")).integer().not_null())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_request_untaken_request")
                        .from(a("request_untaken"), a("request_id"))
                        .to(a("requests"), a("id"))
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }
}
