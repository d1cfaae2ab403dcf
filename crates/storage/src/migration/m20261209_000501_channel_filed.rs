//! The request a chat update filed (`channel_updates.filed_request_id`), written in the
//! transaction that files it. An update whose processing stopped after the request was
//! committed but before the conversation was saved is processed again; this column is how
//! the second run knows the request exists and does not file it twice.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChannelUpdates {
    Table,
    FiledRequestId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ChannelUpdates::Table)
                .add_column(ColumnDef::new(ChannelUpdates::FiledRequestId).big_integer())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(ChannelUpdates::Table)
                .drop_column(ChannelUpdates::FiledRequestId)
                .to_owned(),
        )
        .await
    }
}
