//! Defences of the public surface (issue 17): per-address request counters shared by every
//! node (`rate_counters`), the server's own keys kept where every node finds them
//! (`server_keys`: the key that signs the public form's start time), and the indexes the
//! purge of old API calls and the Open311 update feed's keyset walk need.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RateCounters {
    Table,
    /// What is counted, e.g. `read` or `lapor`.
    Bucket,
    /// Who: a client address (an IPv6 /64), or a keyed hash of a phone number.
    Subject,
    /// The fixed window's start, in seconds since the epoch.
    WindowStart,
    Hits,
}

#[derive(DeriveIden)]
enum ServerKeys {
    Table,
    Name,
    Secret,
}

#[derive(DeriveIden)]
enum ApiCalls {
    Table,
    At,
}

#[derive(DeriveIden)]
enum RequestEvents {
    Table,
    At,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RateCounters::Table)
                .col(
                    ColumnDef::new(RateCounters::Bucket)
                        .string_len(20)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RateCounters::Subject)
                        .string_len(100)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RateCounters::WindowStart)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(RateCounters::Hits).big_integer().not_null())
                .primary_key(
                    Index::create()
                        .col(RateCounters::Bucket)
                        .col(RateCounters::Subject)
                        .col(RateCounters::WindowStart),
                )
                .to_owned(),
        )
        .await?;
        // the purge deletes by age
        m.create_index(
            Index::create()
                .name("idx_rate_counters_window")
                .table(RateCounters::Table)
                .col(RateCounters::WindowStart)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ServerKeys::Table)
                .col(
                    ColumnDef::new(ServerKeys::Name)
                        .string_len(40)
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(ServerKeys::Secret)
                        .string_len(128)
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_api_calls_at")
                .table(ApiCalls::Table)
                .col(ApiCalls::At)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_request_events_at_id")
                .table(RequestEvents::Table)
                .col(RequestEvents::At)
                .col(RequestEvents::Id)
                .to_owned(),
        )
        .await
    }
}
