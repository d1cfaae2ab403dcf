//! Merged cases: merge a duplicate into a primary case, unmerge it, find likely duplicates,
//! and the reporters of the requests merged into a case (who hear of its every step). The
//! rules are the domain's (`request::merge`, `request::duplicates`); here they are loaded,
//! decided and saved in one transaction, audited, with the reporter's notice queued in it.

use super::*;
use crate::audit::{self, AuditActor, Change};
use crate::{notices, Store};
use kotapintar_domain::ids::RequestId;
use kotapintar_domain::request::duplicates::{self, Candidate, Suggestion};
use kotapintar_domain::request::merge::{self, Side};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};

async fn load(tx: &DatabaseTransaction, id: i64) -> Result<request::Model> {
    request::Entity::find_by_id(id)
        .one(tx)
        .await?
        .ok_or(StorageError::NotFound)
}

async fn merged_count(db: &impl ConnectionTrait, id: i64) -> Result<u64> {
    Ok(request::Entity::find()
        .filter(request::Column::MergedInto.eq(id))
        .count(db)
        .await?)
}

fn side<'a>(row: &'a request::Model, handling: &'a [UnitId], duplicates: u64) -> Result<Side<'a>> {
    Ok(Side {
        id: RequestId(row.id),
        code: &row.tracking_code,
        status: status_of(&row.status)?,
        confidential: row.confidential,
        merged_into: row.merged_into.map(RequestId),
        duplicates,
        handling,
    })
}

fn audit_actor(actor: &Actor) -> AuditActor {
    AuditActor::Staff {
        user_id: actor.user_id.0,
        username: actor.username.as_str().to_string(),
    }
}

/// Merges the request `duplicate` into the request whose tracking code is `primary_code`.
pub async fn merge_into(
    store: &Store,
    rules: &RequestRules,
    calendar: &kotapintar_domain::working_days::Calendar,
    actor: &Actor,
    duplicate: RequestId,
    primary_code: &str,
) -> Result<()> {
    let tx = store.writer.begin().await?;
    let dup = load(&tx, duplicate.0).await?;
    let dup_units = handling_units(&tx, dup.id).await?;
    // who may merge this request at all is answered before what was typed is
    merge::may_start(actor, &side(&dup, &dup_units, 0)?).map_err(act::refused)?;
    let code = kotapintar_domain::request::normalise_tracking_code(primary_code)
        .ok_or_else(|| StorageError::field("primary", "unknown_request"))?;
    let primary = match find_row_by_code(&tx, &code).await {
        Ok(p) => p,
        Err(StorageError::NotFound) => {
            return Err(StorageError::field("primary", "unknown_request"))
        }
        Err(e) => return Err(e),
    };
    let primary_units = handling_units(&tx, primary.id).await?;
    // a rahasia primary the actor may not see is answered as a code that does not exist
    if primary.confidential && !actor.can_view_request(&primary_units) {
        return Err(StorageError::field("primary", "unknown_request"));
    }
    let entries = merge::merge(
        actor,
        &side(&dup, &dup_units, merged_count(&tx, dup.id).await?)?,
        &side(&primary, &primary_units, 0)?,
    )
    .map_err(act::refused)?;
    let mut m: request::ActiveModel = dup.clone().into();
    m.merged_into = Set(Some(primary.id));
    m.updated_at = Set(Utc::now());
    let dup = m.update(&tx).await?;
    record(&tx, actor, &dup, &primary, RequestStep::Merge, &entries).await?;
    // the duplicate leaves the figures: it is counted as its primary only
    crate::performance::refresh(&tx, dup.id, calendar, rules.utc_offset).await?;
    let link = public_link(rules, &primary.tracking_code);
    tell_reporter(
        &tx,
        &dup,
        &format!(
            "Laporan {} digabung ke {}",
            dup.tracking_code, primary.tracking_code
        ),
        &format!(
            "Laporan Anda {} membahas masalah yang sama dengan laporan {} dan digabung ke \
             sana. Anda akan menerima setiap kabar perkembangannya.\n\n\
             Your request {} was merged into {}, which reports the same problem; you will \
             receive its every update.\n\n{link}",
            dup.tracking_code, primary.tracking_code, dup.tracking_code, primary.tracking_code
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Gives a merged duplicate back its own life: its status, deadlines and units were kept
/// while it was merged, so it returns to the queues and the figures as it was.
pub async fn unmerge(
    store: &Store,
    rules: &RequestRules,
    calendar: &kotapintar_domain::working_days::Calendar,
    actor: &Actor,
    duplicate: RequestId,
) -> Result<()> {
    let tx = store.writer.begin().await?;
    let dup = load(&tx, duplicate.0).await?;
    let dup_units = handling_units(&tx, dup.id).await?;
    merge::may_start(actor, &side(&dup, &dup_units, 0)?).map_err(act::refused)?;
    let Some(primary_id) = dup.merged_into else {
        return Err(StorageError::Conflict("the request is not merged".into()));
    };
    let primary = load(&tx, primary_id).await?;
    let primary_units = handling_units(&tx, primary.id).await?;
    let entries = merge::unmerge(
        actor,
        &side(&dup, &dup_units, 0)?,
        &side(&primary, &primary_units, 0)?,
    )
    .map_err(act::refused)?;
    let mut m: request::ActiveModel = dup.clone().into();
    m.merged_into = Set(None);
    m.updated_at = Set(Utc::now());
    let dup = m.update(&tx).await?;
    record(&tx, actor, &dup, &primary, RequestStep::Unmerge, &entries).await?;
    crate::performance::refresh(&tx, dup.id, calendar, rules.utc_offset).await?;
    let status = status_of(&dup.status)?;
    tell_reporter(
        &tx,
        &dup,
        &format!("Laporan {} dipisahkan kembali", dup.tracking_code),
        &format!(
            "Laporan Anda {} tidak lagi digabung ke {} dan ditangani tersendiri; statusnya: \
             {}.\n\nYour request {} is no longer merged into {} and is handled on its own.\
             \n\n{}",
            dup.tracking_code,
            primary.tracking_code,
            notices::status_label_id(status),
            dup.tracking_code,
            primary.tracking_code,
            public_link(rules, &dup.tracking_code)
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The two timeline entries (a public one on the duplicate, an internal one on the primary)
/// and the audit entry of a merge or an unmerge.
async fn record(
    tx: &DatabaseTransaction,
    actor: &Actor,
    dup: &request::Model,
    primary: &request::Model,
    step: RequestStep,
    entries: &merge::Entries,
) -> Result<()> {
    let name = actor.username.as_str();
    let uid = Some(actor.user_id.0).filter(|u| *u > 0);
    let dup_status = status_of(&dup.status)?;
    let primary_status = status_of(&primary.status)?;
    let on_dup = Some(entries.on_duplicate.as_str());
    add_event(
        tx,
        dup,
        name,
        uid,
        step,
        Some(dup_status),
        dup_status,
        on_dup,
        true,
        None,
    )
    .await?;
    let on_primary = Some(entries.on_primary.as_str());
    add_event(
        tx,
        primary,
        name,
        uid,
        step,
        Some(primary_status),
        primary_status,
        on_primary,
        false,
        None,
    )
    .await?;
    let merged = json_merge(dup, step == RequestStep::Merge, primary);
    audit::append(
        tx,
        &audit_actor(actor),
        Change::new(&format!("request.{}", step.name()), "request", dup.id)
            .before(&merged.0)
            .after(&merged.1),
    )
    .await?;
    Ok(())
}

fn json_merge(
    dup: &request::Model,
    merged: bool,
    primary: &request::Model,
) -> (serde_json::Value, serde_json::Value) {
    let linked = serde_json::json!({ "merged_into": primary.tracking_code, "status": dup.status });
    let alone = serde_json::json!({ "merged_into": null, "status": dup.status });
    if merged {
        (alone, linked)
    } else {
        (linked, alone)
    }
}

/// One message to a request's reporter, by every channel they left: email, the chat the
/// request came from, a short text message to their phone.
async fn tell_reporter(
    tx: &DatabaseTransaction,
    row: &request::Model,
    subject: &str,
    body: &str,
) -> Result<()> {
    if let Some(email) = &row.reporter_email {
        notices::email(tx, email, subject, body).await?;
    }
    if let Some(contact) = notices::chat_of(row) {
        notices::chat(tx, contact, body).await?;
    }
    if let Some(phone) = &row.reporter_phone {
        notices::message(tx, phone, &format!("kotapintar: {subject}.")).await?;
    }
    Ok(())
}

/// The requests merged into `primary` now (their reporters hear of its every step).
pub(super) async fn merged_rows(
    db: &impl ConnectionTrait,
    primary: i64,
) -> Result<Vec<request::Model>> {
    Ok(request::Entity::find()
        .filter(request::Column::MergedInto.eq(primary))
        .order_by_asc(request::Column::Id)
        .all(db)
        .await?)
}

/// A request merged into another, or one with duplicates, as the staff page lists it.
#[derive(Debug, Clone)]
pub struct MergeLink {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub status: Status,
}

/// What the staff page shows of a request's merges: the case it was merged into, and the
/// requests merged into it.
#[derive(Debug, Clone, Default)]
pub struct Merges {
    pub merged_into: Option<MergeLink>,
    pub duplicates: Vec<MergeLink>,
}

fn link_of(r: &request::Model) -> Result<MergeLink> {
    Ok(MergeLink {
        id: r.id,
        code: r.tracking_code.clone(),
        title: r.public_title.clone(),
        status: status_of(&r.status)?,
    })
}

/// The merges of request `id`.
pub async fn merges_of(store: &Store, id: RequestId) -> Result<Merges> {
    let db = &store.reader;
    let row = request::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or(StorageError::NotFound)?;
    let merged_into = match row.merged_into {
        Some(p) => match request::Entity::find_by_id(p).one(db).await? {
            Some(p) => Some(link_of(&p)?),
            None => None,
        },
        None => None,
    };
    let duplicates = merged_rows(db, id.0)
        .await?
        .iter()
        .map(link_of)
        .collect::<Result<_>>()?;
    Ok(Merges {
        merged_into,
        duplicates,
    })
}

/// One likely duplicate with what the desk needs to judge it.
#[derive(Debug, Clone)]
pub struct DuplicateSuggestion {
    pub evidence: Suggestion,
    pub code: String,
    pub title: String,
    pub status: Status,
}

fn candidate_of(r: &request::Model) -> Candidate {
    Candidate {
        id: RequestId(r.id),
        text: format!("{} {}", r.title, r.description),
        point: r.latitude.zip(r.longitude),
        service: r.service_id,
        received: r.received_at.timestamp(),
    }
}

/// Up to five likely duplicates of request `id`: open, not merged, of the same kind and
/// rahasia-ness, received within 30 days of it (at most 300 of them, the nearest in time).
pub async fn duplicate_suggestions(
    store: &Store,
    id: RequestId,
) -> Result<Vec<DuplicateSuggestion>> {
    let db = &store.reader;
    let row = request::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .ok_or(StorageError::NotFound)?;
    if row.merged_into.is_some() || !status_of(&row.status)?.is_open() {
        return Ok(Vec::new());
    }
    let window = chrono::Duration::days(duplicates::WINDOW_DAYS);
    let rows = request::Entity::find()
        .filter(request::Column::Id.ne(row.id))
        .filter(request::Column::Kind.eq(row.kind.clone()))
        .filter(request::Column::Confidential.eq(row.confidential))
        .filter(request::Column::MergedInto.is_null())
        .filter(request::Column::Status.is_in(open_statuses()))
        .filter(request::Column::ReceivedAt.gte(row.received_at - window))
        .filter(request::Column::ReceivedAt.lte(row.received_at + window))
        .order_by_desc(request::Column::ReceivedAt)
        .limit(duplicates::MAX_CANDIDATES)
        .all(db)
        .await?;
    let candidates: Vec<Candidate> = rows.iter().map(candidate_of).collect();
    let mut out = Vec::new();
    for s in duplicates::suggest(&candidate_of(&row), &candidates) {
        if let Some(r) = rows.iter().find(|r| r.id == s.id.0) {
            out.push(DuplicateSuggestion {
                code: r.tracking_code.clone(),
                title: r.public_title.clone(),
                status: status_of(&r.status)?,
                evidence: s,
            });
        }
    }
    Ok(out)
}
