use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Regions {
    Table,
    Code,
    ParentCode,
    Level,
    Name,
    VillageKind,
}

#[derive(DeriveIden)]
enum Units {
    Table,
    Id,
    Code,
    Slug,
    Name,
    Kind,
    ParentId,
    HeadName,
    Address,
    Phone,
    Email,
    Website,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    FullName,
    Email,
    PasswordHash,
    Active,
    FailedLogins,
    LockedUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserRoles {
    Table,
    Id,
    UserId,
    Role,
    UnitId,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    ExpiresAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Seq,
    AtMicros,
    Actor,
    ActorUserId,
    Action,
    EntityType,
    EntityId,
    BeforeJson,
    AfterJson,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    Seq,
    Hash,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    RunAt,
    Attempts,
    MaxAttempts,
    LockedUntil,
    LastError,
    CreatedAt,
}

fn id(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn ts(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Regions::Table)
                .col(
                    ColumnDef::new(Regions::Code)
                        .string_len(16)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Regions::ParentCode).string_len(16))
                .col(ColumnDef::new(Regions::Level).string_len(16).not_null())
                .col(ColumnDef::new(Regions::Name).string_len(200).not_null())
                .col(ColumnDef::new(Regions::VillageKind).string_len(16))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_regions_parent")
                .table(Regions::Table)
                .col(Regions::ParentCode)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Units::Table)
                .col(id(Units::Id))
                .col(
                    ColumnDef::new(Units::Code)
                        .string_len(32)
                        .not_null()
                        .unique_key(),
                )
                .col(
                    ColumnDef::new(Units::Slug)
                        .string_len(64)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Units::Name).string_len(200).not_null())
                .col(ColumnDef::new(Units::Kind).string_len(32).not_null())
                .col(ColumnDef::new(Units::ParentId).big_integer())
                .col(ColumnDef::new(Units::HeadName).string_len(200))
                .col(ColumnDef::new(Units::Address).string_len(500))
                .col(ColumnDef::new(Units::Phone).string_len(32))
                .col(ColumnDef::new(Units::Email).string_len(254))
                .col(ColumnDef::new(Units::Website).string_len(500))
                .col(ColumnDef::new(Units::Active).boolean().not_null())
                .col(ts(Units::CreatedAt))
                .col(ts(Units::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_units_parent")
                        .from(Units::Table, Units::ParentId)
                        .to(Units::Table, Units::Id),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(id(Users::Id))
                .col(
                    ColumnDef::new(Users::Username)
                        .string_len(32)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Users::FullName).string_len(200).not_null())
                .col(ColumnDef::new(Users::Email).string_len(254))
                .col(
                    ColumnDef::new(Users::PasswordHash)
                        .string_len(200)
                        .not_null(),
                )
                .col(ColumnDef::new(Users::Active).boolean().not_null())
                .col(
                    ColumnDef::new(Users::FailedLogins)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ColumnDef::new(Users::LockedUntil).timestamp_with_time_zone())
                .col(ts(Users::CreatedAt))
                .col(ts(Users::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(UserRoles::Table)
                .col(id(UserRoles::Id))
                .col(ColumnDef::new(UserRoles::UserId).big_integer().not_null())
                .col(ColumnDef::new(UserRoles::Role).string_len(32).not_null())
                .col(ColumnDef::new(UserRoles::UnitId).big_integer())
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_user_roles_user")
                        .from(UserRoles::Table, UserRoles::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_user_roles_unit")
                        .from(UserRoles::Table, UserRoles::UnitId)
                        .to(Units::Table, Units::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_user_roles_user")
                .table(UserRoles::Table)
                .col(UserRoles::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(
                    ColumnDef::new(Sessions::Id)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Sessions::UserId).big_integer().not_null())
                .col(ts(Sessions::CreatedAt))
                .col(ts(Sessions::ExpiresAt))
                .col(ts(Sessions::LastSeenAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_sessions_user")
                        .from(Sessions::Table, Sessions::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_sessions_expires")
                .table(Sessions::Table)
                .col(Sessions::ExpiresAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(
                    ColumnDef::new(AuditLog::Seq)
                        .big_integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(AuditLog::AtMicros).big_integer().not_null())
                .col(ColumnDef::new(AuditLog::Actor).string_len(100).not_null())
                .col(ColumnDef::new(AuditLog::ActorUserId).big_integer())
                .col(ColumnDef::new(AuditLog::Action).string_len(100).not_null())
                .col(
                    ColumnDef::new(AuditLog::EntityType)
                        .string_len(50)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(AuditLog::EntityId)
                        .string_len(100)
                        .not_null(),
                )
                .col(ColumnDef::new(AuditLog::BeforeJson).text())
                .col(ColumnDef::new(AuditLog::AfterJson).text())
                .col(ColumnDef::new(AuditLog::PrevHash).string_len(64).not_null())
                .col(ColumnDef::new(AuditLog::Hash).string_len(64).not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_audit_entity")
                .table(AuditLog::Table)
                .col(AuditLog::EntityType)
                .col(AuditLog::EntityId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditHead::Table)
                .col(
                    ColumnDef::new(AuditHead::Id)
                        .integer()
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(AuditHead::Seq).big_integer().not_null())
                .col(ColumnDef::new(AuditHead::Hash).string_len(64).not_null())
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::insert()
                .into_table(AuditHead::Table)
                .columns([AuditHead::Id, AuditHead::Seq, AuditHead::Hash])
                .values_panic([
                    1.into(),
                    0i64.into(),
                    kotapintar_domain::audit::GENESIS_HASH.into(),
                ])
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Jobs::Table)
                .col(id(Jobs::Id))
                .col(ColumnDef::new(Jobs::Kind).string_len(100).not_null())
                .col(ColumnDef::new(Jobs::Payload).text().not_null())
                .col(ts(Jobs::RunAt))
                .col(
                    ColumnDef::new(Jobs::Attempts)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ColumnDef::new(Jobs::MaxAttempts).integer().not_null())
                .col(ColumnDef::new(Jobs::LockedUntil).timestamp_with_time_zone())
                .col(ColumnDef::new(Jobs::LastError).text())
                .col(ts(Jobs::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_jobs_run_at")
                .table(Jobs::Table)
                .col(Jobs::RunAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
