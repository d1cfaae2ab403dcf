//! Performance figures (kinerja): per-request facts, the counters the dashboards sum, and a
//! record of the weekly summaries sent. See `kotapintar_domain::performance`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RequestFacts {
    Table,
    RequestId,
    Units,
    ReceivedOn,
    VerifiedOn,
    RejectedOn,
    ResolvedOn,
    Facts,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PerfCounters {
    Table,
    Scope,
    Dim,
    Day,
    DimKey,
    Metric,
    Bucket,
    N,
}

#[derive(DeriveIden)]
enum PerfSummaries {
    Table,
    WeekStart,
    SentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Dates are local calendar dates as `YYYY-MM-DD` text: they compare in order on both
        // databases and read well.
        m.create_table(
            Table::create()
                .table(RequestFacts::Table)
                .col(
                    ColumnDef::new(RequestFacts::RequestId)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(RequestFacts::Units)
                        .string_len(500)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestFacts::ReceivedOn)
                        .string_len(10)
                        .not_null(),
                )
                .col(ColumnDef::new(RequestFacts::VerifiedOn).string_len(10))
                .col(ColumnDef::new(RequestFacts::RejectedOn).string_len(10))
                .col(ColumnDef::new(RequestFacts::ResolvedOn).string_len(10))
                .col(ColumnDef::new(RequestFacts::Facts).text().not_null())
                .col(
                    ColumnDef::new(RequestFacts::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("idx_request_facts_received", RequestFacts::ReceivedOn),
            ("idx_request_facts_verified", RequestFacts::VerifiedOn),
            ("idx_request_facts_rejected", RequestFacts::RejectedOn),
            ("idx_request_facts_resolved", RequestFacts::ResolvedOn),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(RequestFacts::Table)
                    .col(col)
                    .to_owned(),
            )
            .await?;
        }

        m.create_table(
            Table::create()
                .table(PerfCounters::Table)
                .col(ColumnDef::new(PerfCounters::Scope).big_integer().not_null())
                .col(ColumnDef::new(PerfCounters::Dim).string_len(8).not_null())
                .col(ColumnDef::new(PerfCounters::Day).string_len(10).not_null())
                .col(
                    ColumnDef::new(PerfCounters::DimKey)
                        .string_len(40)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(PerfCounters::Metric)
                        .string_len(16)
                        .not_null(),
                )
                .col(ColumnDef::new(PerfCounters::Bucket).integer().not_null())
                .col(ColumnDef::new(PerfCounters::N).big_integer().not_null())
                // (scope, dim, day) first: a page reads one scope and one breakdown over a
                // range of days.
                .primary_key(
                    Index::create()
                        .col(PerfCounters::Scope)
                        .col(PerfCounters::Dim)
                        .col(PerfCounters::Day)
                        .col(PerfCounters::DimKey)
                        .col(PerfCounters::Metric)
                        .col(PerfCounters::Bucket),
                )
                .to_owned(),
        )
        .await?;
        // The ranking reads every unit's totals over a range of days.
        m.create_index(
            Index::create()
                .name("idx_perf_counters_ranking")
                .table(PerfCounters::Table)
                .col(PerfCounters::Dim)
                .col(PerfCounters::Metric)
                .col(PerfCounters::Day)
                .col(PerfCounters::Scope)
                .col(PerfCounters::N)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(PerfSummaries::Table)
                .col(
                    ColumnDef::new(PerfSummaries::WeekStart)
                        .string_len(10)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(PerfSummaries::SentAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;

        Ok(())
    }
}
