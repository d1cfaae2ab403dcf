//! Requests by chat (issue 20): the updates providers deliver (`channel_updates`, one row per
//! provider id, so a delivery repeated by the provider is processed once), each sender's
//! conversation (`channel_conversations`, one per sender and channel), and the chat a
//! request came from on the request (`reporter_chat_channel`, `reporter_chat_id`: the
//! reporter's contact, erased with the others).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ChannelUpdates {
    Table,
    Id,
    /// `telegram`, `whatsapp`.
    Channel,
    /// The provider's id of the update or message, unique per channel.
    ProviderId,
    /// The body as delivered (bounded by the handler).
    Payload,
    ReceivedAt,
    /// Set in the transaction that saves the conversation and queues the replies.
    ProcessedAt,
}

#[derive(DeriveIden)]
enum ChannelConversations {
    Table,
    Id,
    Channel,
    /// The chat id or number: personal data, deleted with the conversation.
    Sender,
    /// `domain::conversation::Conversation` as JSON.
    State,
    UpdatedAt,
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
                .table(ChannelUpdates::Table)
                .col(
                    ColumnDef::new(ChannelUpdates::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(ChannelUpdates::Channel)
                        .string_len(20)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ChannelUpdates::ProviderId)
                        .string_len(200)
                        .not_null(),
                )
                .col(ColumnDef::new(ChannelUpdates::Payload).text().not_null())
                .col(
                    ColumnDef::new(ChannelUpdates::ReceivedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(ChannelUpdates::ProcessedAt).timestamp_with_time_zone())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_channel_updates_provider")
                .table(ChannelUpdates::Table)
                .col(ChannelUpdates::Channel)
                .col(ChannelUpdates::ProviderId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ChannelConversations::Table)
                .col(
                    ColumnDef::new(ChannelConversations::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(ChannelConversations::Channel)
                        .string_len(20)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ChannelConversations::Sender)
                        .string_len(100)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ChannelConversations::State)
                        .text()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ChannelConversations::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_channel_conversations_sender")
                .table(ChannelConversations::Table)
                .col(ChannelConversations::Channel)
                .col(ChannelConversations::Sender)
                .unique()
                .to_owned(),
        )
        .await?;
        // SQLite adds one column per statement
        for col in [Requests::ReporterChatChannel, Requests::ReporterChatId] {
            m.alter_table(
                Table::alter()
                    .table(Requests::Table)
                    .add_column(ColumnDef::new(col).string_len(100))
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }
}
