//! Services, requests and everything that hangs off them.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
    UnitId,
    Code,
    Name,
    Kind,
    GroupName,
    Keywords,
    Description,
    Requirements,
    Procedure,
    TimeLimitDays,
    Cost,
    Product,
    ComplaintHandling,
    LegalBasis,
    QuestionsJson,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
    TrackingCode,
    Kind,
    ServiceId,
    Title,
    Description,
    Status,
    LocationAddress,
    Latitude,
    Longitude,
    DistrictCode,
    VillageCode,
    DistrictName,
    VillageName,
    Anonymous,
    Confidential,
    ReporterName,
    ReporterEmail,
    ReporterPhone,
    ReporterTokenHash,
    AnswersJson,
    ReceivedAt,
    StageDueAt,
    ResolveDueAt,
    ResolvedAt,
    ClosedAt,
    Response,
    RejectReason,
    DuplicateOf,
    SupportCount,
    EscalationLevel,
    PersonalDataErasedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RequestUnits {
    Table,
    Id,
    RequestId,
    UnitId,
    OfficerId,
    Active,
    DispatchedAt,
}

#[derive(DeriveIden)]
enum RequestEvents {
    Table,
    Id,
    RequestId,
    At,
    Actor,
    ActorUserId,
    Step,
    FromStatus,
    ToStatus,
    Note,
    NotePublic,
    UnitId,
}

#[derive(DeriveIden)]
enum RequestPhotos {
    Table,
    Id,
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
enum RequestSupports {
    Table,
    Id,
    RequestId,
    SupporterHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Surveys {
    Table,
    Id,
    RequestId,
    UnitId,
    ServiceId,
    SubmittedAt,
    U1,
    U2,
    U3,
    U4,
    U5,
    U6,
    U7,
    U8,
    U9,
    Comment,
}

#[derive(DeriveIden)]
enum Holidays {
    Table,
    Date,
    NameId,
    NameEn,
    Source,
}

#[derive(DeriveIden)]
enum ResponseTemplates {
    Table,
    Id,
    UnitId,
    Title,
    Body,
}

#[derive(DeriveIden)]
enum Units {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

fn id(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn fk(
    name: &str,
    from: (impl IntoIden + 'static, impl IntoIden + 'static),
    to: (impl IntoIden + 'static, impl IntoIden + 'static),
    cascade: bool,
) -> ForeignKeyCreateStatement {
    let mut f = ForeignKey::create();
    f.name(name).from(from.0, from.1).to(to.0, to.1);
    if cascade {
        f.on_delete(ForeignKeyAction::Cascade);
    }
    f.to_owned()
}

async fn index(
    m: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
    cols: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(Alias::new(*c));
    }
    if unique {
        i.unique();
    }
    m.create_index(i.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Services::Table)
                .col(id(Services::Id))
                .col(ColumnDef::new(Services::UnitId).big_integer().not_null())
                .col(
                    ColumnDef::new(Services::Code)
                        .string_len(40)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Services::Name).string_len(200).not_null())
                .col(ColumnDef::new(Services::Kind).string_len(32).not_null())
                .col(ColumnDef::new(Services::GroupName).string_len(100))
                .col(ColumnDef::new(Services::Keywords).string_len(500))
                .col(ColumnDef::new(Services::Description).text())
                .col(ColumnDef::new(Services::Requirements).text())
                .col(ColumnDef::new(Services::Procedure).text())
                .col(ColumnDef::new(Services::TimeLimitDays).integer().not_null())
                .col(ColumnDef::new(Services::Cost).string_len(500))
                .col(ColumnDef::new(Services::Product).string_len(500))
                .col(ColumnDef::new(Services::ComplaintHandling).text())
                .col(ColumnDef::new(Services::LegalBasis).text())
                .col(ColumnDef::new(Services::QuestionsJson).text().not_null())
                .col(ColumnDef::new(Services::Active).boolean().not_null())
                .col(
                    ColumnDef::new(Services::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Services::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(&mut fk(
                    "fk_services_unit",
                    (Services::Table, Services::UnitId),
                    (Units::Table, Units::Id),
                    false,
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Requests::Table)
                .col(id(Requests::Id))
                .col(
                    ColumnDef::new(Requests::TrackingCode)
                        .string_len(20)
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Requests::Kind).string_len(32).not_null())
                .col(ColumnDef::new(Requests::ServiceId).big_integer())
                .col(ColumnDef::new(Requests::Title).string_len(200).not_null())
                .col(ColumnDef::new(Requests::Description).text().not_null())
                .col(ColumnDef::new(Requests::Status).string_len(32).not_null())
                .col(ColumnDef::new(Requests::LocationAddress).string_len(500))
                .col(ColumnDef::new(Requests::Latitude).double())
                .col(ColumnDef::new(Requests::Longitude).double())
                .col(ColumnDef::new(Requests::DistrictCode).string_len(16))
                .col(ColumnDef::new(Requests::VillageCode).string_len(16))
                // Copied at intake: area names do not change, and a public page then needs no
                // lookup for them.
                .col(ColumnDef::new(Requests::DistrictName).string_len(200))
                .col(ColumnDef::new(Requests::VillageName).string_len(200))
                .col(ColumnDef::new(Requests::Anonymous).boolean().not_null())
                .col(ColumnDef::new(Requests::Confidential).boolean().not_null())
                .col(ColumnDef::new(Requests::ReporterName).string_len(200))
                .col(ColumnDef::new(Requests::ReporterEmail).string_len(254))
                .col(ColumnDef::new(Requests::ReporterPhone).string_len(32))
                .col(
                    ColumnDef::new(Requests::ReporterTokenHash)
                        .string_len(64)
                        .not_null(),
                )
                .col(ColumnDef::new(Requests::AnswersJson).text().not_null())
                .col(
                    ColumnDef::new(Requests::ReceivedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(Requests::StageDueAt).timestamp_with_time_zone())
                .col(ColumnDef::new(Requests::ResolveDueAt).timestamp_with_time_zone())
                .col(ColumnDef::new(Requests::ResolvedAt).timestamp_with_time_zone())
                .col(ColumnDef::new(Requests::ClosedAt).timestamp_with_time_zone())
                .col(ColumnDef::new(Requests::Response).text())
                .col(ColumnDef::new(Requests::RejectReason).string_len(32))
                .col(ColumnDef::new(Requests::DuplicateOf).big_integer())
                .col(
                    ColumnDef::new(Requests::SupportCount)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(
                    ColumnDef::new(Requests::EscalationLevel)
                        .integer()
                        .not_null()
                        .default(0),
                )
                .col(ColumnDef::new(Requests::PersonalDataErasedAt).timestamp_with_time_zone())
                .col(
                    ColumnDef::new(Requests::UpdatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(&mut fk(
                    "fk_requests_service",
                    (Requests::Table, Requests::ServiceId),
                    (Services::Table, Services::Id),
                    false,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_requests_status",
            Requests::Table,
            &["status", "received_at"],
            false,
        )
        .await?;
        index(
            m,
            "idx_requests_received",
            Requests::Table,
            &["received_at"],
            false,
        )
        .await?;
        index(
            m,
            "idx_requests_due",
            Requests::Table,
            &["stage_due_at"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RequestUnits::Table)
                .col(id(RequestUnits::Id))
                .col(
                    ColumnDef::new(RequestUnits::RequestId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestUnits::UnitId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(RequestUnits::OfficerId).big_integer())
                .col(ColumnDef::new(RequestUnits::Active).boolean().not_null())
                .col(
                    ColumnDef::new(RequestUnits::DispatchedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(&mut fk(
                    "fk_request_units_request",
                    (RequestUnits::Table, RequestUnits::RequestId),
                    (Requests::Table, Requests::Id),
                    true,
                ))
                .foreign_key(&mut fk(
                    "fk_request_units_unit",
                    (RequestUnits::Table, RequestUnits::UnitId),
                    (Units::Table, Units::Id),
                    false,
                ))
                .foreign_key(&mut fk(
                    "fk_request_units_officer",
                    (RequestUnits::Table, RequestUnits::OfficerId),
                    (Users::Table, Users::Id),
                    false,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_request_units_unit",
            RequestUnits::Table,
            &["unit_id", "active"],
            false,
        )
        .await?;
        index(
            m,
            "idx_request_units_request",
            RequestUnits::Table,
            &["request_id"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RequestEvents::Table)
                .col(id(RequestEvents::Id))
                .col(
                    ColumnDef::new(RequestEvents::RequestId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestEvents::At)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestEvents::Actor)
                        .string_len(100)
                        .not_null(),
                )
                .col(ColumnDef::new(RequestEvents::ActorUserId).big_integer())
                .col(
                    ColumnDef::new(RequestEvents::Step)
                        .string_len(32)
                        .not_null(),
                )
                .col(ColumnDef::new(RequestEvents::FromStatus).string_len(32))
                .col(
                    ColumnDef::new(RequestEvents::ToStatus)
                        .string_len(32)
                        .not_null(),
                )
                .col(ColumnDef::new(RequestEvents::Note).text())
                .col(
                    ColumnDef::new(RequestEvents::NotePublic)
                        .boolean()
                        .not_null(),
                )
                .col(ColumnDef::new(RequestEvents::UnitId).big_integer())
                .foreign_key(&mut fk(
                    "fk_request_events_request",
                    (RequestEvents::Table, RequestEvents::RequestId),
                    (Requests::Table, Requests::Id),
                    true,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_request_events_request",
            RequestEvents::Table,
            &["request_id", "id"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RequestPhotos::Table)
                .col(id(RequestPhotos::Id))
                .col(
                    ColumnDef::new(RequestPhotos::RequestId)
                        .big_integer()
                        .not_null(),
                )
                .col(ColumnDef::new(RequestPhotos::Position).integer().not_null())
                .col(
                    ColumnDef::new(RequestPhotos::Mime)
                        .string_len(32)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestPhotos::FileName)
                        .string_len(200)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestPhotos::ThumbName)
                        .string_len(200)
                        .not_null(),
                )
                .col(ColumnDef::new(RequestPhotos::Width).integer().not_null())
                .col(ColumnDef::new(RequestPhotos::Height).integer().not_null())
                .col(
                    ColumnDef::new(RequestPhotos::Bytes)
                        .big_integer()
                        .not_null(),
                )
                .foreign_key(&mut fk(
                    "fk_request_photos_request",
                    (RequestPhotos::Table, RequestPhotos::RequestId),
                    (Requests::Table, Requests::Id),
                    true,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_request_photos_request",
            RequestPhotos::Table,
            &["request_id"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(RequestSupports::Table)
                .col(id(RequestSupports::Id))
                .col(
                    ColumnDef::new(RequestSupports::RequestId)
                        .big_integer()
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestSupports::SupporterHash)
                        .string_len(64)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(RequestSupports::CreatedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .foreign_key(&mut fk(
                    "fk_request_supports_request",
                    (RequestSupports::Table, RequestSupports::RequestId),
                    (Requests::Table, Requests::Id),
                    true,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_request_supports_once",
            RequestSupports::Table,
            &["request_id", "supporter_hash"],
            true,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Surveys::Table)
                .col(id(Surveys::Id))
                .col(
                    ColumnDef::new(Surveys::RequestId)
                        .big_integer()
                        .not_null()
                        .unique_key(),
                )
                .col(ColumnDef::new(Surveys::UnitId).big_integer())
                .col(ColumnDef::new(Surveys::ServiceId).big_integer())
                .col(
                    ColumnDef::new(Surveys::SubmittedAt)
                        .timestamp_with_time_zone()
                        .not_null(),
                )
                .col(ColumnDef::new(Surveys::U1).small_integer())
                .col(ColumnDef::new(Surveys::U2).small_integer())
                .col(ColumnDef::new(Surveys::U3).small_integer())
                .col(ColumnDef::new(Surveys::U4).small_integer())
                .col(ColumnDef::new(Surveys::U5).small_integer())
                .col(ColumnDef::new(Surveys::U6).small_integer())
                .col(ColumnDef::new(Surveys::U7).small_integer())
                .col(ColumnDef::new(Surveys::U8).small_integer())
                .col(ColumnDef::new(Surveys::U9).small_integer())
                .col(ColumnDef::new(Surveys::Comment).text())
                .foreign_key(&mut fk(
                    "fk_surveys_request",
                    (Surveys::Table, Surveys::RequestId),
                    (Requests::Table, Requests::Id),
                    true,
                ))
                .to_owned(),
        )
        .await?;
        index(
            m,
            "idx_surveys_unit",
            Surveys::Table,
            &["unit_id", "submitted_at"],
            false,
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Holidays::Table)
                .col(
                    ColumnDef::new(Holidays::Date)
                        .string_len(10)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(Holidays::NameId).string_len(200).not_null())
                .col(ColumnDef::new(Holidays::NameEn).string_len(200).not_null())
                .col(ColumnDef::new(Holidays::Source).string_len(16).not_null())
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(ResponseTemplates::Table)
                .col(id(ResponseTemplates::Id))
                .col(ColumnDef::new(ResponseTemplates::UnitId).big_integer())
                .col(
                    ColumnDef::new(ResponseTemplates::Title)
                        .string_len(200)
                        .not_null(),
                )
                .col(ColumnDef::new(ResponseTemplates::Body).text().not_null())
                .foreign_key(&mut fk(
                    "fk_response_templates_unit",
                    (ResponseTemplates::Table, ResponseTemplates::UnitId),
                    (Units::Table, Units::Id),
                    true,
                ))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}
