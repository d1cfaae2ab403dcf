//! Indexes the full-scale benchmark (1,000,000 requests) showed were missing.
//!
//! - "Overdue now" (every dashboard, the leadership page) counts open requests whose stage
//!   deadline has passed. With only `(status, received_at)` it read every open request's row
//!   to check its deadline; with `(status, stage_due_at)` each open status is one range of
//!   the index, read from the index alone.
//! - The same count, per unit, joins each overdue request to the unit holding it. With
//!   `(request_id, active, unit_id)` that join is read from the index alone too.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Requests {
    Table,
    Status,
    StageDueAt,
}

#[derive(DeriveIden)]
enum RequestUnits {
    Table,
    RequestId,
    Active,
    UnitId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("idx_requests_open_due")
                .table(Requests::Table)
                .col(Requests::Status)
                .col(Requests::StageDueAt)
                .to_owned(),
        )
        .await?;
        // supersedes idx_request_units_request (request_id), its prefix
        m.create_index(
            Index::create()
                .name("idx_request_units_holder")
                .table(RequestUnits::Table)
                .col(RequestUnits::RequestId)
                .col(RequestUnits::Active)
                .col(RequestUnits::UnitId)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_request_units_request")
                .table(RequestUnits::Table)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("idx_request_units_request")
                .table(RequestUnits::Table)
                .col(RequestUnits::RequestId)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_request_units_holder")
                .table(RequestUnits::Table)
                .to_owned(),
        )
        .await?;
        m.drop_index(
            Index::drop()
                .name("idx_requests_open_due")
                .table(Requests::Table)
                .to_owned(),
        )
        .await
    }
}
