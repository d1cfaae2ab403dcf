//! Units (perangkat daerah).

use crate::audit::{self, AuditActor, Change};
use crate::entity::unit;
use crate::{Result, StorageError, Store};
use chrono::Utc;
use kotapintar_domain::event::{DomainEvent, Saved};
use kotapintar_domain::ids::UnitId;
use kotapintar_domain::unit::{Unit, UnitCode, UnitDraft, UnitKind};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

/// A stored unit; a kind this version does not know is an error, not `Other`.
pub(crate) fn to_domain(m: unit::Model) -> Result<Unit> {
    Ok(Unit {
        id: UnitId(m.id),
        kind: UnitKind::parse(&m.kind).map_err(|_| StorageError::corrupt("units.kind", &m.kind))?,
        code: UnitCode::from_stored(m.code),
        slug: m.slug,
        name: m.name,
        parent_id: m.parent_id.map(UnitId),
        head_name: m.head_name,
        address: m.address,
        phone: m.phone,
        email: m.email,
        website: m.website,
        opening_hours: m.opening_hours,
        active: m.active,
    })
}

pub async fn list(store: &Store) -> Result<Vec<Unit>> {
    unit::Entity::find()
        .order_by_asc(unit::Column::Name)
        .all(&store.reader)
        .await?
        .into_iter()
        .map(to_domain)
        .collect()
}

pub async fn get(store: &Store, id: UnitId) -> Result<Unit> {
    to_domain(crate::rows::by_id::<unit::Entity>(&store.reader, id.0).await?)
}

pub async fn find_by_code(db: &impl ConnectionTrait, code: &str) -> Result<Option<Unit>> {
    unit::Entity::find()
        .filter(unit::Column::Code.eq(code.trim().to_uppercase()))
        .one(db)
        .await?
        .map(to_domain)
        .transpose()
}

/// The unit at `/unit/{slug}`.
pub async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<Unit>> {
    unit::Entity::find()
        .filter(unit::Column::Slug.eq(slug))
        .one(db)
        .await?
        .map(to_domain)
        .transpose()
}

async fn resolve_parent(db: &impl ConnectionTrait, draft: &UnitDraft) -> Result<Option<i64>> {
    match &draft.parent_code {
        None => Ok(None),
        Some(code) => match find_by_code(db, code.as_str()).await? {
            Some(p) => Ok(Some(p.id.0)),
            None => Err(StorageError::field("parent_code", "unknown_unit")),
        },
    }
}

pub async fn create(store: &Store, actor: &AuditActor, draft: UnitDraft) -> Result<Unit> {
    let tx = store.writer.begin().await?;
    let parent_id = resolve_parent(&tx, &draft).await?;
    let now = Utc::now();
    let model = unit::ActiveModel {
        code: Set(draft.code.as_str().to_string()),
        slug: Set(draft.code.slug()),
        name: Set(draft.name.clone()),
        kind: Set(draft.kind.as_str().to_string()),
        parent_id: Set(parent_id),
        head_name: Set(draft.head_name.clone()),
        address: Set(draft.address.clone()),
        phone: Set(draft.phone.clone()),
        email: Set(draft.email.clone()),
        website: Set(draft.website.clone()),
        opening_hours: Set(draft.opening_hours.clone()),
        active: Set(draft.active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(|e| StorageError::on_unique(e, "code", "unit_code_taken"))?;
    let unit = to_domain(model)?;
    audit::append(
        &tx,
        actor,
        Change::new("unit.create", "unit", unit.id).after(&unit),
    )
    .await?;
    announce(&tx, unit.id.0).await?;
    tx.commit().await?;
    Ok(unit)
}

pub async fn update(
    store: &Store,
    actor: &AuditActor,
    id: UnitId,
    draft: UnitDraft,
) -> Result<Unit> {
    let tx = store.writer.begin().await?;
    let current = crate::rows::by_id::<unit::Entity>(&tx, id.0).await?;
    let before = to_domain(current.clone())?;
    let parent_id = resolve_parent(&tx, &draft).await?;
    if parent_id.is_some() && creates_cycle(&tx, id.0, parent_id).await? {
        return Err(StorageError::field("parent_code", "parent_cycle"));
    }
    let mut m: unit::ActiveModel = current.into();
    m.code = Set(draft.code.as_str().to_string());
    m.slug = Set(draft.code.slug());
    m.name = Set(draft.name);
    m.kind = Set(draft.kind.as_str().to_string());
    m.parent_id = Set(parent_id);
    m.head_name = Set(draft.head_name);
    m.address = Set(draft.address);
    m.phone = Set(draft.phone);
    m.email = Set(draft.email);
    m.website = Set(draft.website);
    m.opening_hours = Set(draft.opening_hours);
    m.active = Set(draft.active);
    m.updated_at = Set(Utc::now());
    let model = m
        .update(&tx)
        .await
        .map_err(|e| StorageError::on_unique(e, "code", "unit_code_taken"))?;
    let after = to_domain(model)?;
    audit::append(
        &tx,
        actor,
        Change::new("unit.update", "unit", id)
            .before(&before)
            .after(&after),
    )
    .await?;
    announce(&tx, id.0).await?;
    tx.commit().await?;
    Ok(after)
}

/// Whether making `parent` the parent of `id` would make a unit its own ancestor.
async fn creates_cycle(
    db: &impl ConnectionTrait,
    id: i64,
    mut parent: Option<i64>,
) -> Result<bool> {
    let mut hops = 0;
    while let Some(p) = parent {
        if p == id {
            return Ok(true);
        }
        hops += 1;
        if hops > 64 {
            return Ok(true);
        }
        parent = unit::Entity::find_by_id(p)
            .one(db)
            .await?
            .and_then(|u| u.parent_id);
    }
    Ok(false)
}

/// Tells the platform (its search index) that a unit's public profile changed. No unit's
/// client is addressed: the event is the platform's own.
async fn announce(db: &impl ConnectionTrait, id: i64) -> Result<()> {
    crate::events::append_event(db, &DomainEvent::UnitSaved(Saved { id }), &[], false).await?;
    Ok(())
}
