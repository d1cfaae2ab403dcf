//! No wrong door (issue 21): the outside agencies Kominfo keeps (where a "bukan wewenang"
//! request is referred), and the public reason of a request's referral or deferral. The
//! latter is a table of its own rather than columns on `requests`: a row exists only while a
//! request is `dialihkan` or `ditunda`, and every place that builds a request stays as it is.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutsideAgency {
    Table,
    Id,
    Name,
    Kind,
    Email,
    Phone,
    Website,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RequestStatusReason {
    Table,
    RequestId,
    AgencyId,
    Reason,
    DeferredFrom,
    DeferredUntil,
    UpdatedAt,
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
                .table(OutsideAgency::Table)
                .col(
                    ColumnDef::new(OutsideAgency::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(OutsideAgency::Name).string().not_null())
                .col(ColumnDef::new(OutsideAgency::Kind).string().not_null())
                .col(ColumnDef::new(OutsideAgency::Email).string().null())
                .col(ColumnDef::new(OutsideAgency::Phone).string().null())
                .col(ColumnDef::new(OutsideAgency::Website).string().null())
                .col(
                    ColumnDef::new(OutsideAgency::Active)
                        .boolean()
                        .not_null()
                        .default(true),
                )
                .col(
                    ColumnDef::new(OutsideAgency::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(OutsideAgency::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_outside_agency_name")
                .table(OutsideAgency::Table)
                .col(OutsideAgency::Name)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RequestStatusReason::Table)
                .col(
                    ColumnDef::new(RequestStatusReason::RequestId)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(RequestStatusReason::AgencyId)
                        .big_integer()
                        .null(),
                )
                .col(
                    ColumnDef::new(RequestStatusReason::Reason)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestStatusReason::DeferredFrom)
                        .string()
                        .null(),
                )
                .col(
                    ColumnDef::new(RequestStatusReason::DeferredUntil)
                        .timestamp_with_time_zone()
                        .null(),
                )
                .col(
                    ColumnDef::new(RequestStatusReason::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(RequestStatusReason::Table, RequestStatusReason::RequestId)
                        .to(Requests::Table, Requests::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(RequestStatusReason::Table, RequestStatusReason::AgencyId)
                        .to(OutsideAgency::Table, OutsideAgency::Id),
                )
                .to_owned(),
        )
        .await?;
        // the sweep finds the deferrals that end
        m.create_index(
            Index::create()
                .name("ix_request_status_reason_until")
                .table(RequestStatusReason::Table)
                .col(RequestStatusReason::DeferredUntil)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(RequestStatusReason::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(OutsideAgency::Table).to_owned())
            .await
    }
}
