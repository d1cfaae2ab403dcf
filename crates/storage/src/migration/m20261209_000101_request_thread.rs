//! The request's thread (issue 20, "two ways"): what staff wrote to the reporter and what the
//! reporter answered (`request_messages`), with the photos the reporter sent
//! (`request_message_photos`, served to staff only). Never public. An index on the request's
//! chat lets the worker find the requests a chat message may answer.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum RequestMessages {
    Table,
    Id,
    RequestId,
    /// `to_reporter`, `from_reporter`.
    Direction,
    /// `telegram`, `whatsapp`, `email`, `phone`, `web`.
    Via,
    /// The staff member who wrote it; `NULL` for the reporter.
    AuthorUserId,
    /// The staff member's username, or `pelapor`.
    AuthorName,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RequestMessagePhotos {
    Table,
    Id,
    MessageId,
    RequestId,
    Position,
    Mime,
    FileName,
    ThumbName,
    Width,
    Height,
    Bytes,
}

#[derive(DeriveIden)]
enum Requests {
    Table,
    ReporterChatChannel,
    ReporterChatId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(RequestMessages::Table)
                .col(
                    ColumnDef::new(RequestMessages::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(RequestMessages::RequestId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestMessages::Direction)
                        .string_len(20)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestMessages::Via)
                        .string_len(20)
                        .not_null(),
                )
                .col(ColumnDef::new(RequestMessages::AuthorUserId).big_integer())
                .col(
                    ColumnDef::new(RequestMessages::AuthorName)
                        .string_len(100)
                        .not_null(),
                )
                .col(ColumnDef::new(RequestMessages::Body).text().not_null())
                .col(
                    ColumnDef::new(RequestMessages::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_request_messages_request")
                .table(RequestMessages::Table)
                .col(RequestMessages::RequestId)
                .col(RequestMessages::Id)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(RequestMessagePhotos::Table)
                .col(
                    ColumnDef::new(RequestMessagePhotos::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(RequestMessagePhotos::MessageId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestMessagePhotos::RequestId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestMessagePhotos::Position)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestMessagePhotos::Mime)
                        .string_len(50)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestMessagePhotos::FileName)
                        .string_len(300)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestMessagePhotos::ThumbName)
                        .string_len(300)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestMessagePhotos::Width)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestMessagePhotos::Height)
                        .integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestMessagePhotos::Bytes)
                        .big_integer()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_request_message_photos_message")
                .table(RequestMessagePhotos::Table)
                .col(RequestMessagePhotos::MessageId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_requests_chat")
                .table(Requests::Table)
                .col(Requests::ReporterChatChannel)
                .col(Requests::ReporterChatId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
