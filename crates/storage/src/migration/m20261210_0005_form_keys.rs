//! The key a resident's browser sends with the request form (`form_keys`): a draft kept
//! offline may be sent again (the connection dropped after the server filed it, before the
//! answer arrived), and the key, written in the transaction that files the request, is how
//! the second sending finds the first instead of filing the request twice.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum FormKeys {
    Table,
    Id,
    Key,
    RequestId,
    CreatedAt,
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
                .table(FormKeys::Table)
                .col(
                    ColumnDef::new(FormKeys::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(FormKeys::Key).string_len(64).not_null())
                .col(ColumnDef::new(FormKeys::RequestId).big_integer().not_null())
                .col(
                    ColumnDef::new(FormKeys::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(FormKeys::Table, FormKeys::RequestId)
                        .to(Requests::Table, Requests::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_form_keys_key")
                .table(FormKeys::Table)
                .col(FormKeys::Key)
                .unique()
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(FormKeys::Table).to_owned())
            .await
    }
}
