//! Indexes the full-scale benchmark (1,000,000 requests) showed were missing.
//!
//! - "Overdue now" (every dashboard, the leadership page) counts open requests whose stage
//!   deadline has passed. With only `(status, received_at)` it read every open request's row
//!   to check its deadline; with `(status, stage_due_at)` each open status is one range of
//!   the index, read from the index alone.
//! - The same count, per unit, joins each overdue request to the unit holding it. With
//!   `(request_id, active, unit_id)` that join is read from the index alone too.
//! - A unit's request list (its inbox, its application's API) is counted from
//!   `(unit_id, active, request_id)` alone, and paged newest first along
//!   `(received_at, id)` without reading each request's row (PostgreSQL, unlike SQLite, does
//!   not keep the row id in an index).
//!
//! Each new index starts with the columns of the one it replaces.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
    Status,
    StageDueAt,
    ReceivedAt,
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
        replace(
            m,
            Index::create()
                .name("idx_requests_received_id")
                .table(Requests::Table)
                .col(Requests::ReceivedAt)
                .col(Requests::Id)
                .to_owned(),
            ("idx_requests_received", Requests::Table),
        )
        .await?;
        replace(
            m,
            Index::create()
                .name("idx_request_units_unit_request")
                .table(RequestUnits::Table)
                .col(RequestUnits::UnitId)
                .col(RequestUnits::Active)
                .col(RequestUnits::RequestId)
                .to_owned(),
            ("idx_request_units_unit", RequestUnits::Table),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_requests_open_due")
                .table(Requests::Table)
                .col(Requests::Status)
                .col(Requests::StageDueAt)
                .to_owned(),
        )
        .await?;
        replace(
            m,
            Index::create()
                .name("idx_request_units_holder")
                .table(RequestUnits::Table)
                .col(RequestUnits::RequestId)
                .col(RequestUnits::Active)
                .col(RequestUnits::UnitId)
                .to_owned(),
            ("idx_request_units_request", RequestUnits::Table),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, cols) in [
            (
                RequestUnits::Table,
                "idx_request_units_request",
                vec![RequestUnits::RequestId],
            ),
            (
                RequestUnits::Table,
                "idx_request_units_unit",
                vec![RequestUnits::UnitId, RequestUnits::Active],
            ),
        ] {
            let mut i = Index::create();
            i.name(name).table(table);
            for c in cols {
                i.col(c);
            }
            m.create_index(i.to_owned()).await?;
        }
        m.create_index(
            Index::create()
                .name("idx_requests_received")
                .table(Requests::Table)
                .col(Requests::ReceivedAt)
                .to_owned(),
        )
        .await?;
        for (name, table) in [
            ("idx_request_units_holder", RequestUnits::Table),
            ("idx_request_units_unit_request", RequestUnits::Table),
        ] {
            m.drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        for name in ["idx_requests_received_id", "idx_requests_open_due"] {
            m.drop_index(Index::drop().name(name).table(Requests::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Creates `new`, then drops the index it supersedes.
async fn replace(
    m: &SchemaManager<'_>,
    new: IndexCreateStatement,
    (old, table): (&str, impl IntoIden + 'static),
) -> Result<(), DbErr> {
    m.create_index(new).await?;
    m.drop_index(Index::drop().name(old).table(table).to_owned())
        .await
}
