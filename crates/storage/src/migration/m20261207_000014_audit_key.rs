//! The keyed audit chain (`kotapintar_domain::audit::AuditKey`): each entry records the
//! fingerprint of the key its hash was made with (none for the entries before), and the head
//! records the key new entries are made with. The key itself never enters the database.
//!
//! Also: notification jobs already queued get the attempts their kind has now
//! (`kotapintar_domain::job::RetryPolicy::NOTIFICATION`), so a message queued before the
//! upgrade survives a weekend-long outage too.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    KeyId,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    KeyId,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Kind,
    MaxAttempts,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AuditLog::Table)
                .add_column(ColumnDef::new(AuditLog::KeyId).string_len(16))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AuditHead::Table)
                .add_column(ColumnDef::new(AuditHead::KeyId).string_len(16))
                .to_owned(),
        )
        .await?;
        let notification = kotapintar_domain::job::RetryPolicy::NOTIFICATION.max_attempts;
        m.exec_stmt(
            Query::update()
                .table(Jobs::Table)
                .value(Jobs::MaxAttempts, notification)
                .and_where(Expr::col(Jobs::Kind).is_in([
                    kotapintar_domain::job::SEND_EMAIL,
                    kotapintar_domain::job::SEND_MESSAGE,
                ]))
                .and_where(Expr::col(Jobs::MaxAttempts).lt(notification))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(AuditHead::Table)
                .drop_column(AuditHead::KeyId)
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(AuditLog::Table)
                .drop_column(AuditLog::KeyId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
