//! Area alerts (issue 20): anyone subscribes by email to the new public requests of a desa or a
//! kecamatan (`area_subscriptions`). A subscription is pending until its confirmation link is
//! used (double opt-in), and every message carries the link that ends it.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AreaSubscriptions {
    Table,
    Id,
    /// The subscriber's address (personal data: never shown, deleted on unsubscribe).
    Email,
    /// A desa/kelurahan or kecamatan code of the regency.
    AreaCode,
    /// The random secret of the confirmation and unsubscribe links. Kept as it is, not hashed:
    /// every alert must carry it, and it only opens this one subscription.
    Token,
    CreatedAt,
    /// `NULL` until the subscriber confirms; nothing is sent to a pending subscription but
    /// the confirmation request.
    ConfirmedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AreaSubscriptions::Table)
                .col(
                    ColumnDef::new(AreaSubscriptions::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(
                    ColumnDef::new(AreaSubscriptions::Email)
                        .string_len(254)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AreaSubscriptions::AreaCode)
                        .string_len(20)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AreaSubscriptions::Token)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AreaSubscriptions::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(AreaSubscriptions::ConfirmedAt).timestamp_with_time_zone())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_area_subscriptions_email_area")
                .table(AreaSubscriptions::Table)
                .col(AreaSubscriptions::Email)
                .col(AreaSubscriptions::AreaCode)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_area_subscriptions_token")
                .table(AreaSubscriptions::Table)
                .col(AreaSubscriptions::Token)
                .unique()
                .to_owned(),
        )
        .await?;
        // the fan-out reads the confirmed subscriptions of one or two areas
        m.create_index(
            Index::create()
                .name("ix_area_subscriptions_area")
                .table(AreaSubscriptions::Table)
                .col(AreaSubscriptions::AreaCode)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AreaSubscriptions::Table).to_owned())
            .await
    }
}
