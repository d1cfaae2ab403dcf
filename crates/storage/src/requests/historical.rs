//! Importing requests from a unit's earlier system.

use super::*;
use crate::audit::{self, AuditActor, Change};
use crate::entity::{request, request_event, request_unit};
use crate::{Result, Store};
use chrono::{DateTime, Datelike, Utc};
use kotapintar_domain::ids::UnitId;
use kotapintar_domain::intake::NewRequest;
use kotapintar_domain::privacy::PublicText;
use kotapintar_domain::request::{RequestRules, Status};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};

/// A request from a unit's old application, with its history as far as it is known.
pub struct HistoricalRequest {
    pub source_id: String,
    pub request: NewRequest,
    pub status: Status,
    pub received_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub response: Option<String>,
}

/// Checks a historical request against the data (service, areas) without storing it.
pub async fn check_historical(
    store: &Store,
    rules: &RequestRules,
    h: &HistoricalRequest,
) -> Result<()> {
    check(store, rules, &h.request).await
}

/// Imports one historical request for `unit`, unless this source id was imported before
/// (so a run can be repeated or resumed). Returns whether it was new. Imported requests get
/// a timeline entry saying where they came from, but no outbox event: they are history, not
/// news for subscribers.
pub async fn import_historical(
    store: &Store,
    rules: &RequestRules,
    unit: UnitId,
    h: HistoricalRequest,
) -> Result<bool> {
    use crate::entity::import_source;
    let already = import_source::Entity::find()
        .filter(import_source::Column::UnitId.eq(unit.0))
        .filter(import_source::Column::SourceId.eq(h.source_id.as_str()))
        .one(&store.reader)
        .await?;
    if already.is_some() {
        return Ok(false);
    }
    let (service, answers, names) = check_against_data(&store.reader, rules, &h.request).await?;
    let tx = store.writer.begin().await?;
    let row = historical_row(&h, service.map(|s| s.id), &answers, names);
    let m = intake::insert_with_free_code(&tx, rules, h.received_at.year(), row).await?;
    if !matches!(
        h.status,
        Status::Diterima | Status::Diverifikasi | Status::Ditolak
    ) {
        request_unit::ActiveModel {
            request_id: Set(m.id),
            unit_id: Set(unit.0),
            officer_id: Set(None),
            active: Set(true),
            dispatched_at: Set(h.received_at),
            ..Default::default()
        }
        .insert(&tx)
        .await?;
    }
    let calendar = crate::holidays::calendar(store).await?;
    crate::performance::refresh(&tx, m.id, &calendar, rules.utc_offset).await?;
    request_event::ActiveModel {
        request_id: Set(m.id),
        at: Set(Utc::now()),
        actor: Set("system:import".into()),
        actor_user_id: Set(None),
        step: Set("import".into()),
        from_status: Set(None),
        to_status: Set(h.status.as_str().into()),
        note: Set(Some(format!(
            "imported from the unit's earlier application (id {})",
            h.source_id
        ))),
        note_public: Set(false),
        unit_id: Set(Some(unit.0)),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    import_source::ActiveModel {
        unit_id: Set(unit.0),
        source_id: Set(h.source_id.clone()),
        request_id: Set(m.id),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    audit::append(
        &tx,
        &AuditActor::System("import".into()),
        Change::new("request.import", "request", m.id).after(&serde_json::json!({
            "tracking_code": m.tracking_code,
            "unit": unit.0,
            "source_id": h.source_id,
            "status": h.status.as_str(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// The row of an imported request (its tracking code is drawn on insert): no follow-up link,
/// no deadlines.
fn historical_row(
    h: &HistoricalRequest,
    service_id: Option<i64>,
    answers: &[(String, String)],
    names: AreaNames,
) -> request::ActiveModel {
    let req = &h.request;
    let closed = matches!(h.status, Status::Ditutup | Status::Ditolak);
    let public = PublicText::of(
        &req.title,
        &req.description,
        req.location_address.as_deref(),
        h.response.as_deref(),
        &names_of(req.contact.name.as_deref()),
    );
    let mut m = request::ActiveModel {
        kind: Set(req.kind.as_str().into()),
        service_id: Set(service_id),
        title: Set(req.title.clone()),
        description: Set(req.description.clone()),
        status: Set(h.status.as_str().into()),
        location_address: Set(req.location_address.clone()),
        latitude: Set(req.latitude),
        longitude: Set(req.longitude),
        district_code: Set(req.district_code.as_ref().map(|c| c.to_string())),
        village_code: Set(req.village_code.as_ref().map(|c| c.to_string())),
        district_name: Set(names.district),
        village_name: Set(names.village),
        anonymous: Set(req.anonymous),
        confidential: Set(req.confidential),
        reporter_name: Set(req.contact.name.clone()),
        reporter_email: Set(req.contact.email.clone()),
        reporter_phone: Set(req.contact.phone.clone()),
        // nobody holds a follow-up link for an imported request
        reporter_token_hash: Set(hash_token(&random_hex(24))),
        answers_json: Set(serde_json::to_string(answers).unwrap_or_else(|_| "[]".into())),
        received_at: Set(h.received_at),
        stage_due_at: Set(None),
        resolve_due_at: Set(None),
        resolved_at: Set(h.resolved_at),
        closed_at: Set(closed.then_some(h.resolved_at.unwrap_or(h.received_at))),
        response: Set(h.response.clone()),
        reject_reason: Set(None),
        duplicate_of: Set(None),
        support_count: Set(0),
        escalation_level: Set(0),
        personal_data_erased_at: Set(None),
        updated_at: Set(Utc::now()),
        ..Default::default()
    };
    set_public_text(&mut m, public);
    m
}
