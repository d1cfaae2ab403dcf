//! Open311 (issue 18): the outside link a client sent as `media_url` (FixMyStreet sends its
//! photos this way), kept as given and never fetched by the server; shown on the request's
//! page and returned over Open311. On a request (sent when filing it) and on a timeline
//! entry (sent with a `servicerequestupdates` update).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Requests {
    Table,
    MediaUrl,
}

#[derive(DeriveIden)]
enum RequestEvents {
    Table,
    MediaUrl,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(Requests::Table)
                // `domain::intake::MAX_MEDIA_URL` characters at most, http or https only
                .add_column(ColumnDef::new(Requests::MediaUrl).string_len(2000))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(RequestEvents::Table)
                .add_column(ColumnDef::new(RequestEvents::MediaUrl).string_len(2000))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(RequestEvents::Table)
                .drop_column(RequestEvents::MediaUrl)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Requests::Table)
                .drop_column(Requests::MediaUrl)
                .to_owned(),
        )
        .await
    }
}
