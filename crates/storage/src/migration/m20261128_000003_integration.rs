//! Integration clients (the units' own applications) and the event outbox.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IntegrationClients {
    Table,
    Id,
    Name,
    UnitId,
    Scopes,
    SecretHash,
    Active,
    RateLimitPerMinute,
    CreatedAt,
    RotatedAt,
    RevokedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Seq,
    At,
    Kind,
    SubjectType,
    SubjectId,
    UnitIds,
    Confidential,
    Payload,
}

#[derive(DeriveIden)]
enum EventsHead {
    Table,
    Id,
    Seq,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Id,
    ClientId,
    Key,
    Status,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Units {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(IntegrationClients::Table)
                .col(
                    ColumnDef::new(IntegrationClients::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(IntegrationClients::Name)
                        .string_len(200)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(IntegrationClients::UnitId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(IntegrationClients::Scopes)
                        .string_len(500)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(IntegrationClients::SecretHash)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(IntegrationClients::Active)
                        .boolean()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(IntegrationClients::RateLimitPerMinute)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(IntegrationClients::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(IntegrationClients::RotatedAt).timestamp_with_time_zone())
                .col(ColumnDef::new(IntegrationClients::RevokedAt).timestamp_with_time_zone())
                .col(ColumnDef::new(IntegrationClients::LastUsedAt).timestamp_with_time_zone())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_integration_clients_unit")
                        .from(IntegrationClients::Table, IntegrationClients::UnitId)
                        .to(Units::Table, Units::Id),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Events::Table)
                .col(
                    ColumnDef::new(Events::Seq)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(Events::At)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(Events::Kind).string_len(64).not_null())
                .col(
                    ColumnDef::new(Events::SubjectType)
                        .string_len(32)
                        .not_null(),
                )
                .col(ColumnDef::new(Events::SubjectId).string_len(64).not_null())
                // ",3,7," : the units an event concerns, for filtering a client's feed
                .col(ColumnDef::new(Events::UnitIds).string_len(500).not_null())
                .col(ColumnDef::new(Events::Confidential).boolean().not_null())
                .col(ColumnDef::new(Events::Payload).text().not_null())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(EventsHead::Table)
                .col(
                    ColumnDef::new(EventsHead::Id)
                        .integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(EventsHead::Seq).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(IdempotencyKeys::Table)
                .col(
                    ColumnDef::new(IdempotencyKeys::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(IdempotencyKeys::ClientId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(IdempotencyKeys::Key)
                        .string_len(200)
                        .not_null(),
                )
                .col(ColumnDef::new(IdempotencyKeys::Status).integer().not_null())
                .col(ColumnDef::new(IdempotencyKeys::Body).text().not_null())
                .col(
                    ColumnDef::new(IdempotencyKeys::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_idempotency_once")
                .table(IdempotencyKeys::Table)
                .col(IdempotencyKeys::ClientId)
                .col(IdempotencyKeys::Key)
                .unique()
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(EventsHead::Table)
                .columns([EventsHead::Id, EventsHead::Seq])
                .values_panic([1.into(), 0i64.into()])
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
