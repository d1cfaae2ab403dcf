//! An `Idempotency-Key` remembers the request it was first sent with (`request`: the method,
//! the path and a SHA-256 of the body), so the same key with another request is refused (422,
//! as the IETF Idempotency-Key draft says) instead of replaying an answer to something else.
//! Keys stored before have no request and are honoured as before.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Request,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(IdempotencyKeys::Table)
                .add_column(ColumnDef::new(IdempotencyKeys::Request).text())
                .to_owned(),
        )
        .await
    }
}
