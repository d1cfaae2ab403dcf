//! The public information portal: what units publish (news, announcements, agenda, projects),
//! projects' progress reports, every revision of every item, and units' opening hours.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ContentItems {
    Table,
    Id,
    Kind,
    Section,
    UnitId,
    Slug,
    Title,
    Summary,
    BodyMd,
    BodyHtml,
    Tags,
    Kecamatan,
    Desa,
    CoverPhoto,
    Status,
    PublishAt,
    PublishedAt,
    Revision,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    StartsAt,
    EndsAt,
    Place,
    Audience,
    Internal,
    Sector,
    FundSource,
    BudgetCeiling,
    ContractValue,
    Contractor,
    PlannedStart,
    PlannedEnd,
    ProjectStatus,
    Lat,
    Lon,
    PhysicalPct,
    BudgetPct,
    ProgressOn,
}

#[derive(DeriveIden)]
enum ProjectUpdates {
    Table,
    Id,
    ItemId,
    ReportedOn,
    PhysicalPct,
    BudgetPct,
    Note,
    Photo,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ContentRevisions {
    Table,
    Id,
    ItemId,
    Revision,
    Status,
    Snapshot,
    Actor,
    At,
}

#[derive(DeriveIden)]
enum Units {
    Table,
    Id,
    OpeningHours,
}

fn text(c: impl IntoIden) -> ColumnDef {
    ColumnDef::new(c).text().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ContentItems::Table)
                .col(
                    ColumnDef::new(ContentItems::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(ContentItems::Kind).string_len(20).not_null())
                // the public list it appears under (berita, agenda, proyek): slugs are unique there
                .col(ColumnDef::new(ContentItems::Section).string_len(20).not_null())
                .col(ColumnDef::new(ContentItems::UnitId).big_integer().not_null())
                .col(ColumnDef::new(ContentItems::Slug).string_len(100).not_null())
                .col(ColumnDef::new(ContentItems::Title).string_len(250).not_null())
                .col(text(ContentItems::Summary).not_null())
                .col(text(ContentItems::BodyMd).not_null())
                // rendered and sanitised once, when saved
                .col(text(ContentItems::BodyHtml).not_null())
                // ",tag one,tag two," so one tag is found with a LIKE on both databases
                .col(ColumnDef::new(ContentItems::Tags).string_len(600).not_null())
                .col(ColumnDef::new(ContentItems::Kecamatan).string_len(20))
                .col(ColumnDef::new(ContentItems::Desa).string_len(20))
                .col(ColumnDef::new(ContentItems::CoverPhoto).string_len(100))
                .col(ColumnDef::new(ContentItems::Status).string_len(20).not_null())
                .col(ColumnDef::new(ContentItems::PublishAt).timestamp_with_time_zone())
                // when it became (or becomes, if scheduled) public; NULL while unpublished
                .col(ColumnDef::new(ContentItems::PublishedAt).timestamp_with_time_zone())
                .col(ColumnDef::new(ContentItems::Revision).integer().not_null())
                .col(ColumnDef::new(ContentItems::CreatedBy).big_integer().not_null())
                .col(
                    ColumnDef::new(ContentItems::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(ContentItems::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(ContentItems::StartsAt).timestamp_with_time_zone())
                .col(ColumnDef::new(ContentItems::EndsAt).timestamp_with_time_zone())
                .col(ColumnDef::new(ContentItems::Place).string_len(250))
                .col(ColumnDef::new(ContentItems::Audience).string_len(250))
                .col(
                    ColumnDef::new(ContentItems::Internal)
                        .boolean()
                        .not_null()
                        .default(false),
                )
                .col(ColumnDef::new(ContentItems::Sector).string_len(120))
                .col(ColumnDef::new(ContentItems::FundSource).string_len(20))
                .col(ColumnDef::new(ContentItems::BudgetCeiling).big_integer())
                .col(ColumnDef::new(ContentItems::ContractValue).big_integer())
                .col(ColumnDef::new(ContentItems::Contractor).string_len(250))
                .col(ColumnDef::new(ContentItems::PlannedStart).string_len(10))
                .col(ColumnDef::new(ContentItems::PlannedEnd).string_len(10))
                .col(ColumnDef::new(ContentItems::ProjectStatus).string_len(20))
                .col(ColumnDef::new(ContentItems::Lat).double())
                .col(ColumnDef::new(ContentItems::Lon).double())
                // the latest progress report, kept here so lists need no join
                .col(ColumnDef::new(ContentItems::PhysicalPct).double())
                .col(ColumnDef::new(ContentItems::BudgetPct).double())
                .col(ColumnDef::new(ContentItems::ProgressOn).string_len(10))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_content_items_unit")
                        .from(ContentItems::Table, ContentItems::UnitId)
                        .to(Units::Table, Units::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_content_items_section_slug")
                .table(ContentItems::Table)
                .col(ContentItems::Section)
                .col(ContentItems::Slug)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_content_items_public")
                .table(ContentItems::Table)
                .col(ContentItems::Section)
                .col(ContentItems::Status)
                .col(ContentItems::PublishedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_content_items_unit")
                .table(ContentItems::Table)
                .col(ContentItems::UnitId)
                .col(ContentItems::UpdatedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_content_items_starts")
                .table(ContentItems::Table)
                .col(ContentItems::StartsAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ProjectUpdates::Table)
                .col(
                    ColumnDef::new(ProjectUpdates::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(ProjectUpdates::ItemId).big_integer().not_null())
                .col(ColumnDef::new(ProjectUpdates::ReportedOn).string_len(10).not_null())
                .col(ColumnDef::new(ProjectUpdates::PhysicalPct).double().not_null())
                .col(ColumnDef::new(ProjectUpdates::BudgetPct).double().not_null())
                .col(text(ProjectUpdates::Note).not_null())
                .col(ColumnDef::new(ProjectUpdates::Photo).string_len(100))
                .col(ColumnDef::new(ProjectUpdates::CreatedBy).big_integer().not_null())
                .col(
                    ColumnDef::new(ProjectUpdates::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_project_updates_item")
                        .from(ProjectUpdates::Table, ProjectUpdates::ItemId)
                        .to(ContentItems::Table, ContentItems::Id),
                )
                .to_owned(),
        )
        .await?;
        // one report per project per day: a double submit does not record it twice
        m.create_index(
            Index::create()
                .name("ux_project_updates_day")
                .table(ProjectUpdates::Table)
                .col(ProjectUpdates::ItemId)
                .col(ProjectUpdates::ReportedOn)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ContentRevisions::Table)
                .col(
                    ColumnDef::new(ContentRevisions::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(ContentRevisions::ItemId).big_integer().not_null())
                .col(ColumnDef::new(ContentRevisions::Revision).integer().not_null())
                .col(ColumnDef::new(ContentRevisions::Status).string_len(20).not_null())
                .col(text(ContentRevisions::Snapshot).not_null())
                .col(ColumnDef::new(ContentRevisions::Actor).string_len(200).not_null())
                .col(
                    ColumnDef::new(ContentRevisions::At)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_content_revisions_item")
                        .from(ContentRevisions::Table, ContentRevisions::ItemId)
                        .to(ContentItems::Table, ContentItems::Id),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_content_revisions")
                .table(ContentRevisions::Table)
                .col(ContentRevisions::ItemId)
                .col(ContentRevisions::Revision)
                .unique()
                .to_owned(),
        )
        .await?;

        m.alter_table(
            Table::alter()
                .table(Units::Table)
                .add_column(ColumnDef::new(Units::OpeningHours).string_len(300))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
