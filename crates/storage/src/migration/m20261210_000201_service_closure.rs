//! Validated closure per service (issue 21): whether a resolution of the service's requests
//! waits for the central desk before the reporter is asked to confirm, and whether photos of
//! the result are required. A table of its own rather than columns on `services`, so the
//! catalogue's form and every place that builds a service stay as they are; a service
//! without a row requires neither.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ServiceClosure {
    Table,
    ServiceId,
    Validate,
    PhotosRequired,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ServiceClosure::Table)
                .col(
                    ColumnDef::new(ServiceClosure::ServiceId)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(ServiceClosure::Validate)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new(ServiceClosure::PhotosRequired)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(
                    ColumnDef::new(ServiceClosure::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(ServiceClosure::Table, ServiceClosure::ServiceId)
                        .to(Services::Table, Services::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ServiceClosure::Table).to_owned())
            .await
    }
}
