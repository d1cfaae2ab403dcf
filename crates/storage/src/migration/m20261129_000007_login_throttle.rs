//! Login throttling: failed logins counted per username and per client address, in the
//! database so that every node of a deployment sees the same counts. See
//! `kotapintar_domain::login`.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    /// `u:<sha-256 of the username>` or `a:<address>` (`Subject::key`).
    Key,
    Failures,
    WindowStart,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(LoginThrottle::Table)
                .col(
                    ColumnDef::new(LoginThrottle::Key)
                        .string_len(100)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(LoginThrottle::Failures).integer().not_null())
                .col(
                    ColumnDef::new(LoginThrottle::WindowStart)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .to_owned(),
        )
        .await?;
        // the purge deletes by age
        m.create_index(
            Index::create()
                .name("idx_login_throttle_window")
                .table(LoginThrottle::Table)
                .col(LoginThrottle::WindowStart)
                .to_owned(),
        )
        .await
    }
}
