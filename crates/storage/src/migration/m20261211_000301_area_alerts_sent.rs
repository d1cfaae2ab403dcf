//! The mark that a new request's area alerts were queued (`area_alerts_sent`), written in the
//! transaction that queues them: an `alerts.area` job run again (its worker stopped after the
//! commit, before the job was marked done) finds the mark and queues no second email.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AreaAlertsSent {
    Table,
    RequestId,
    SentAt,
}

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AreaAlertsSent::Table)
                .col(
                    ColumnDef::new(AreaAlertsSent::RequestId)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(AreaAlertsSent::SentAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(AreaAlertsSent::Table, AreaAlertsSent::RequestId)
                        .to(Requests::Table, Requests::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AreaAlertsSent::Table).to_owned())
            .await
    }
}
