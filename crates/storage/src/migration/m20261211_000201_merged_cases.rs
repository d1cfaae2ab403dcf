//! Merged cases (issue 21): a duplicate points to the primary case it was merged into. The
//! duplicate keeps its own status, deadlines and units untouched while merged, so an unmerge
//! gives them back exactly; every read that counts or queues requests skips merged rows.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Requests {
    Table,
    MergedInto,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Requests::Table)
                .add_column(ColumnDef::new(Requests::MergedInto).big_integer())
                .to_owned(),
        )
        .await?;
        // the primary's notices look up the requests merged into it
        m.create_index(
            Index::create()
                .name("idx_requests_merged_into")
                .table(Requests::Table)
                .col(Requests::MergedInto)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_index(
            Index::drop()
                .name("idx_requests_merged_into")
                .table(Requests::Table)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Requests::Table)
                .drop_column(Requests::MergedInto)
                .to_owned(),
        )
        .await
    }
}
