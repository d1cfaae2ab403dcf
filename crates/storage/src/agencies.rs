//! Outside agencies (issue 21, "no wrong door"): kept by Kominfo, audited, deactivated never
//! deleted; and the public reason of a request that was referred to one or deferred.

use crate::audit::{self, AuditActor, Change};
use crate::entity::{outside_agency, request_status_reason};
use crate::{Result, StorageError, Store};
use chrono::{DateTime, Utc};
use kotapintar_domain::agency::{AgencyContact, AgencyDraft, AgencyKind, StatusReason};
use kotapintar_domain::request::Status;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use serde::Serialize;
use std::collections::HashMap;

/// An agency as the staff page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agency {
    pub id: i64,
    pub name: String,
    pub kind: AgencyKind,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub active: bool,
}

impl Agency {
    pub fn contact(&self) -> AgencyContact {
        AgencyContact {
            id: self.id,
            name: self.name.clone(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            website: self.website.clone(),
        }
    }
}

fn agency_of(m: outside_agency::Model) -> Result<Agency> {
    Ok(Agency {
        kind: AgencyKind::parse(&m.kind)
            .map_err(|_| StorageError::corrupt("outside_agency.kind", &m.kind))?,
        id: m.id,
        name: m.name,
        email: m.email,
        phone: m.phone,
        website: m.website,
        active: m.active,
    })
}

/// Every agency, active first, by name.
pub async fn all(db: &impl ConnectionTrait) -> Result<Vec<Agency>> {
    outside_agency::Entity::find()
        .order_by_desc(outside_agency::Column::Active)
        .order_by_asc(outside_agency::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(agency_of)
        .collect()
}

/// The agencies a request may be referred to now.
pub async fn active(db: &impl ConnectionTrait) -> Result<Vec<Agency>> {
    Ok(all(db).await?.into_iter().filter(|a| a.active).collect())
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<Agency> {
    agency_of(crate::rows::by_id::<outside_agency::Entity>(db, id).await?)
}

/// An active agency's public contact, for the workflow's facts (none: unknown or inactive).
pub async fn active_contact(db: &impl ConnectionTrait, id: i64) -> Result<Option<AgencyContact>> {
    Ok(outside_agency::Entity::find_by_id(id)
        .filter(outside_agency::Column::Active.eq(true))
        .one(db)
        .await?
        .map(agency_of)
        .transpose()?
        .map(|a| a.contact()))
}

pub async fn create(store: &Store, actor: &AuditActor, draft: AgencyDraft) -> Result<Agency> {
    let tx = store.writer.begin().await?;
    let now = Utc::now();
    let m = outside_agency::ActiveModel {
        name: Set(draft.name),
        kind: Set(draft.kind.as_str().into()),
        email: Set(draft.email),
        phone: Set(draft.phone),
        website: Set(draft.website),
        active: Set(draft.active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(|e| StorageError::on_unique(e, "name", "agency_name_taken"))?;
    let after = agency_of(m)?;
    audit::append(
        &tx,
        actor,
        Change::new("agency.create", "outside_agency", after.id).after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Edits an agency (deactivating is unticking `active`: a referred request keeps its agency).
pub async fn update(
    store: &Store,
    actor: &AuditActor,
    id: i64,
    draft: AgencyDraft,
) -> Result<Agency> {
    let tx = store.writer.begin().await?;
    let row = crate::rows::by_id::<outside_agency::Entity>(&tx, id).await?;
    let before = agency_of(row.clone())?;
    let mut m: outside_agency::ActiveModel = row.into();
    m.name = Set(draft.name);
    m.kind = Set(draft.kind.as_str().into());
    m.email = Set(draft.email);
    m.phone = Set(draft.phone);
    m.website = Set(draft.website);
    m.active = Set(draft.active);
    m.updated_at = Set(Utc::now());
    let after = agency_of(
        m.update(&tx)
            .await
            .map_err(|e| StorageError::on_unique(e, "name", "agency_name_taken"))?,
    )?;
    audit::append(
        &tx,
        actor,
        Change::new("agency.update", "outside_agency", id)
            .before(&before)
            .after(&after),
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// The reasons of these requests (only those that have one), with their agencies.
pub async fn reasons(
    db: &impl ConnectionTrait,
    request_ids: &[i64],
) -> Result<HashMap<i64, StatusReason>> {
    if request_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = request_status_reason::Entity::find()
        .filter(request_status_reason::Column::RequestId.is_in(request_ids.iter().copied()))
        .all(db)
        .await?;
    let agency_ids: Vec<i64> = rows.iter().filter_map(|r| r.agency_id).collect();
    let agencies: HashMap<i64, AgencyContact> = if agency_ids.is_empty() {
        HashMap::new()
    } else {
        outside_agency::Entity::find()
            .filter(outside_agency::Column::Id.is_in(agency_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|m| agency_of(m).map(|a| (a.id, a.contact())))
            .collect::<Result<_>>()?
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let reason = StatusReason {
                agency: r.agency_id.and_then(|a| agencies.get(&a).cloned()),
                reason: r.reason,
                deferred_until: r.deferred_until,
            };
            (r.request_id, reason)
        })
        .collect())
}

/// The status a deferred request had before it was deferred.
pub async fn deferred_from(db: &impl ConnectionTrait, request_id: i64) -> Result<Option<Status>> {
    let Some(row) = request_status_reason::Entity::find_by_id(request_id)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    row.deferred_from
        .as_deref()
        .map(|s| {
            Status::parse(s).map_err(|_| StorageError::corrupt("request_status_reason.from", s))
        })
        .transpose()
}

/// Writes what a step decided about the reason: `reason` none removes the row (resumed).
pub(crate) async fn save_reason(
    db: &impl ConnectionTrait,
    request_id: i64,
    reason: Option<&str>,
    agency: Option<i64>,
    deferred: Option<(Status, DateTime<Utc>)>,
) -> Result<()> {
    request_status_reason::Entity::delete_by_id(request_id)
        .exec(db)
        .await?;
    if let Some(reason) = reason {
        request_status_reason::ActiveModel {
            request_id: Set(request_id),
            agency_id: Set(agency),
            reason: Set(reason.to_string()),
            deferred_from: Set(deferred.map(|(s, _)| s.as_str().to_string())),
            deferred_until: Set(deferred.map(|(_, at)| at)),
            updated_at: Set(Utc::now()),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// The deferred requests whose date has come, oldest first.
pub async fn deferrals_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<i64>> {
    use sea_orm::QuerySelect;
    Ok(request_status_reason::Entity::find()
        .filter(request_status_reason::Column::DeferredUntil.lte(now))
        .order_by_asc(request_status_reason::Column::DeferredUntil)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.request_id)
        .collect())
}

/// Seeds the agencies of a demo (idempotent by name).
pub async fn seed(store: &Store, actor: &AuditActor, drafts: Vec<AgencyDraft>) -> Result<usize> {
    let existing: Vec<String> = all(&store.reader)
        .await?
        .into_iter()
        .map(|a| a.name)
        .collect();
    let mut n = 0;
    for d in drafts {
        if !existing.contains(&d.name) {
            create(store, actor, d).await?;
            n += 1;
        }
    }
    Ok(n)
}
