//! The reporter, through their secret link: their view, confirming or objecting, the survey,
//! correcting and erasing their contact data.

use super::*;
use crate::audit::{self, AuditActor, Change};
use crate::entity::{request, request_event, request_unit, survey};
use crate::{Result, StorageError, Store};
use chrono::Utc;
use kotapintar_domain::privacy::{self, ReporterContact, RequestRecord};
use kotapintar_domain::request::{RequestRules, Status};
use kotapintar_domain::working_days::Calendar;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, Set, TransactionTrait,
};

pub(super) async fn by_token(
    db: &impl ConnectionTrait,
    code: &str,
    token: &str,
) -> Result<request::Model> {
    let row = find_row_by_code(db, code).await?;
    // constant-time comparison of the hashes
    let a = hash_token(token);
    let b = &row.reporter_token_hash;
    let same = a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0;
    if !same {
        return Err(StorageError::NotFound);
    }
    Ok(row)
}

pub struct ReporterView {
    pub record: RequestRecord,
    pub timeline: Vec<kotapintar_domain::privacy::PublicEvent>,
    pub survey_done: bool,
    pub erased: bool,
}

pub async fn reporter_view(store: &Store, code: &str, token: &str) -> Result<ReporterView> {
    let row = by_token(&store.reader, code, token).await?;
    let survey_done = survey::Entity::find()
        .filter(survey::Column::RequestId.eq(row.id))
        .count(&store.reader)
        .await?
        > 0;
    let erased = row.personal_data_erased_at.is_some();
    let events = events_of(&store.reader, row.id).await?;
    let record = records(&store.reader, vec![row]).await?.remove(0);
    // The reporter sees their own request as the public would (plus their data), even if
    // it is rahasia: publish a copy with the flag cleared.
    let mut public_copy = record.clone();
    public_copy.confidential = false;
    let timeline = privacy::publish(&public_copy, &event_records(&events)?)
        .map(|p| p.timeline)
        .unwrap_or_default();
    Ok(ReporterView {
        record,
        timeline,
        survey_done,
        erased,
    })
}

/// The reporter confirms the resolution or objects to it, through their secret link.
pub async fn reporter_act(
    store: &Store,
    rules: &RequestRules,
    calendar: &Calendar,
    code: &str,
    token: &str,
    action: ReporterAction,
) -> Result<Status> {
    let tx = store.writer.begin().await?;
    let row = by_token(&tx, code, token).await?;
    let ctx = Context {
        now: Utc::now(),
        rules,
        calendar,
    };
    take_step(tx, &row, Taken::Reporter(&action), &Facts::default(), &ctx).await
}

/// Stores the reporter's SKM answers (U1..U9, 1-4) once, after resolution.
pub async fn submit_survey(
    store: &Store,
    rules: &RequestRules,
    code: &str,
    token: &str,
    scores: [Option<i16>; 9],
    comment: Option<String>,
) -> Result<()> {
    let tx = store.writer.begin().await?;
    let row = by_token(&tx, code, token).await?;
    if !matches!(status_of(&row.status)?, Status::Selesai | Status::Ditutup) {
        return Err(StorageError::Conflict(
            "the survey opens once the request is resolved".into(),
        ));
    }
    let unit = request_unit::Entity::find()
        .filter(request_unit::Column::RequestId.eq(row.id))
        .filter(request_unit::Column::Active.eq(true))
        .one(&tx)
        .await?
        .map(|d| d.unit_id);
    let [u1, u2, u3, u4, u5, u6, u7, u8, u9] = scores;
    let stored = survey::ActiveModel {
        request_id: Set(row.id),
        unit_id: Set(unit),
        service_id: Set(row.service_id),
        submitted_at: Set(Utc::now()),
        u1: Set(u1),
        u2: Set(u2),
        u3: Set(u3),
        u4: Set(u4),
        u5: Set(u5),
        u6: Set(u6),
        u7: Set(u7),
        u8: Set(u8),
        u9: Set(u9),
        comment: Set(comment),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(|e| StorageError::on_unique(e, "survey", "survey_already_done"))?;
    crate::performance::record_survey(&tx, &stored, rules.utc_offset).await?;
    audit::append(
        &tx,
        &AuditActor::System("reporter".into()),
        Change::new("request.survey", "request", row.id).after(&serde_json::json!({
            "scores": scores,
            "comment": stored.comment.is_some(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The reporter corrects their contact details (UU 27/2022: the right to rectify).
pub async fn correct_contact(
    store: &Store,
    code: &str,
    token: &str,
    contact: ReporterContact,
) -> Result<()> {
    let tx = store.writer.begin().await?;
    let row = by_token(&tx, code, token).await?;
    let id = row.id;
    // The public text is masked of the new name too before it is stored: the old name stays
    // masked (the public text is never made again from the raw text), and a name the
    // reporter now gives, if they typed it somewhere, is hidden from now on.
    remask_public_text(&tx, &row, contact.name.as_deref()).await?;
    let mut m: request::ActiveModel = row.into();
    m.reporter_name = Set(contact.name);
    m.reporter_email = Set(contact.email);
    m.reporter_phone = Set(contact.phone);
    m.updated_at = Set(Utc::now());
    m.update(&tx).await?;
    audit::append(
        &tx,
        &AuditActor::System("reporter".into()),
        Change::new("request.correct_contact", "request", id),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Masks `new_name` (and the name stored now) out of a request's stored public text and its
/// public notes, and writes an outbox event so caches and every node's search index take the
/// new text at once. Runs before contact data changes or is erased.
pub(super) async fn remask_public_text(
    tx: &DatabaseTransaction,
    row: &request::Model,
    new_name: Option<&str>,
) -> Result<()> {
    let names: Vec<&str> = row
        .reporter_name
        .as_deref()
        .into_iter()
        .chain(new_name)
        .collect();
    let before = public_text_of(row);
    let after = before.remask(&names);
    if after != before {
        let mut m: request::ActiveModel = row.clone().into();
        set_public_text(&mut m, after);
        m.update(tx).await?;
    }
    for e in request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(row.id))
        .filter(request_event::Column::PublicNote.is_not_null())
        .all(tx)
        .await?
    {
        let masked = privacy::public_note(e.public_note.as_deref(), true, &names);
        if masked != e.public_note {
            let mut em: request_event::ActiveModel = e.into();
            em.public_note = Set(masked);
            em.update(tx).await?;
        }
    }
    // Always an event, changed or not: caches keyed on the event head and every node's
    // index then read the request again from what is stored now.
    let event = DomainEvent::RequestTextChanged(RequestTextChanged {
        tracking_code: row.tracking_code.clone(),
    });
    crate::events::append_event(
        tx,
        &event,
        &handling_units(tx, row.id).await?,
        row.confidential,
    )
    .await?;
    Ok(())
}

/// Erases the reporter's personal data from the request and everything kept about them; the
/// photo files to remove once the caller's transaction committed.
pub(super) async fn erase(
    tx: &DatabaseTransaction,
    row: request::Model,
    why: &str,
) -> Result<super::erasure::ErasedPhotos> {
    let id = row.id;
    // the last moment the name is known: mask it out of the public text for good, and out of
    // what staff wrote to the reporter
    remask_public_text(tx, &row, None).await?;
    let names: Vec<&str> = row.reporter_name.as_deref().into_iter().collect();
    let photos = super::erasure::erase_reporter_traces(tx, id, &names).await?;
    // only the fields set below are written, so the public text just stored stays
    let mut m: request::ActiveModel = row.into();
    m.reporter_name = Set(None);
    m.reporter_email = Set(None);
    m.reporter_phone = Set(None);
    m.reporter_chat_channel = Set(None);
    m.reporter_chat_id = Set(None);
    m.personal_data_erased_at = Set(Some(Utc::now()));
    m.update(tx).await?;
    audit::append(
        tx,
        &AuditActor::System(why.into()),
        Change::new("request.erase_contact", "request", id),
    )
    .await?;
    Ok(photos)
}

/// The reporter asks for erasure: their personal fields, their messages and photos on the
/// thread and the chat updates they filed from are erased; the public record stays. The
/// caller removes the returned photo files (they are no longer referred to).
pub async fn erase_contact(
    store: &Store,
    code: &str,
    token: &str,
) -> Result<super::erasure::ErasedPhotos> {
    let tx = store.writer.begin().await?;
    let row = by_token(&tx, code, token).await?;
    let photos = erase(&tx, row, "reporter").await?;
    tx.commit().await?;
    Ok(photos)
}

// The sweep
