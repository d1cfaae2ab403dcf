//! The service catalogue (layanan) of each unit.

use crate::audit::{self, AuditActor, Change};
use crate::entity::{service, unit};
use crate::{units, Result, StorageError, Store};
use chrono::Utc;
use kotapintar_domain::event::{DomainEvent, Saved};
use kotapintar_domain::request::RequestKind;
use kotapintar_domain::service::{Question, Service, ServiceDraft};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};
use std::collections::HashMap;

/// A stored service; a kind or questions this version cannot read are an error, never a
/// default.
fn to_domain(m: service::Model, unit_code: String, unit_name: String) -> Result<Service> {
    let questions: Vec<Question> = serde_json::from_str(&m.questions_json)
        .map_err(|_| StorageError::corrupt("services.questions_json", &m.questions_json))?;
    let kind =
        RequestKind::parse(&m.kind).map_err(|_| StorageError::corrupt("services.kind", &m.kind))?;
    Ok(Service {
        id: m.id,
        unit_id: m.unit_id,
        unit_name,
        draft: ServiceDraft {
            unit_code,
            code: m.code,
            name: m.name,
            kind,
            group_name: m.group_name,
            keywords: m.keywords,
            description: m.description,
            requirements: m.requirements,
            procedure: m.procedure,
            time_limit_days: m.time_limit_days,
            cost: m.cost,
            product: m.product,
            complaint_handling: m.complaint_handling,
            legal_basis: m.legal_basis,
            questions,
            active: m.active,
        },
    })
}

async fn with_units(
    db: &impl ConnectionTrait,
    models: Vec<service::Model>,
) -> Result<Vec<Service>> {
    let units: HashMap<i64, unit::Model> = unit::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u))
        .collect();
    models
        .into_iter()
        .map(|m| {
            let (code, name) = units
                .get(&m.unit_id)
                .map(|u| (u.code.clone(), u.name.clone()))
                .unwrap_or_default();
            to_domain(m, code, name)
        })
        .collect()
}

/// All services, or only the active ones (what the public sees), by group and name.
pub async fn list(store: &Store, only_active: bool) -> Result<Vec<Service>> {
    let mut q = service::Entity::find()
        .order_by_asc(service::Column::GroupName)
        .order_by_asc(service::Column::Name);
    if only_active {
        q = q.filter(service::Column::Active.eq(true));
    }
    with_units(&store.reader, q.all(&store.reader).await?).await
}

pub async fn get(store: &Store, id: i64) -> Result<Service> {
    let m = crate::rows::by_id::<service::Entity>(&store.reader, id).await?;
    Ok(with_units(&store.reader, vec![m]).await?.remove(0))
}

pub async fn find_by_code(store: &Store, code: &str) -> Result<Option<Service>> {
    let found = service::Entity::find()
        .filter(service::Column::Code.eq(code.trim().to_lowercase()))
        .one(&store.reader)
        .await?;
    match found {
        Some(m) => Ok(Some(with_units(&store.reader, vec![m]).await?.remove(0))),
        None => Ok(None),
    }
}

/// Resolves the draft's unit code (so callers can check permissions) before saving.
pub async fn resolve_unit(store: &Store, draft: &ServiceDraft) -> Result<i64> {
    units::find_by_code(&store.reader, &draft.unit_code)
        .await?
        .map(|u| u.id.0)
        .ok_or_else(|| StorageError::field("unit_code", "unknown_unit"))
}

fn questions_json(draft: &ServiceDraft) -> String {
    serde_json::to_string(&draft.questions).unwrap_or_else(|_| "[]".into())
}

pub async fn create(store: &Store, actor: &AuditActor, draft: ServiceDraft) -> Result<Service> {
    let unit_id = resolve_unit(store, &draft).await?;
    let tx = store.writer.begin().await?;
    let now = Utc::now();
    let m = service::ActiveModel {
        unit_id: Set(unit_id),
        code: Set(draft.code.clone()),
        name: Set(draft.name.clone()),
        kind: Set(draft.kind.as_str().into()),
        group_name: Set(draft.group_name.clone()),
        keywords: Set(draft.keywords.clone()),
        description: Set(draft.description.clone()),
        requirements: Set(draft.requirements.clone()),
        procedure: Set(draft.procedure.clone()),
        time_limit_days: Set(draft.time_limit_days),
        cost: Set(draft.cost.clone()),
        product: Set(draft.product.clone()),
        complaint_handling: Set(draft.complaint_handling.clone()),
        legal_basis: Set(draft.legal_basis.clone()),
        questions_json: Set(questions_json(&draft)),
        active: Set(draft.active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await
    .map_err(|e| StorageError::on_unique(e, "code", "service_code_taken"))?;
    audit::append(
        &tx,
        actor,
        Change::new("service.create", "service", m.id).after(&draft),
    )
    .await?;
    announce(&tx, m.id).await?;
    tx.commit().await?;
    get(store, m.id).await
}

pub async fn update(
    store: &Store,
    actor: &AuditActor,
    id: i64,
    draft: ServiceDraft,
) -> Result<Service> {
    let unit_id = resolve_unit(store, &draft).await?;
    let before = get(store, id).await?;
    let tx = store.writer.begin().await?;
    let current = crate::rows::by_id::<service::Entity>(&tx, id).await?;
    let mut m: service::ActiveModel = current.into();
    m.unit_id = Set(unit_id);
    m.code = Set(draft.code.clone());
    m.name = Set(draft.name.clone());
    m.kind = Set(draft.kind.as_str().into());
    m.group_name = Set(draft.group_name.clone());
    m.keywords = Set(draft.keywords.clone());
    m.description = Set(draft.description.clone());
    m.requirements = Set(draft.requirements.clone());
    m.procedure = Set(draft.procedure.clone());
    m.time_limit_days = Set(draft.time_limit_days);
    m.cost = Set(draft.cost.clone());
    m.product = Set(draft.product.clone());
    m.complaint_handling = Set(draft.complaint_handling.clone());
    m.legal_basis = Set(draft.legal_basis.clone());
    m.questions_json = Set(questions_json(&draft));
    m.active = Set(draft.active);
    m.updated_at = Set(Utc::now());
    m.update(&tx)
        .await
        .map_err(|e| StorageError::on_unique(e, "code", "service_code_taken"))?;
    audit::append(
        &tx,
        actor,
        Change::new("service.update", "service", id)
            .before(&before.draft)
            .after(&draft),
    )
    .await?;
    announce(&tx, id).await?;
    tx.commit().await?;
    get(store, id).await
}

/// Tells the platform (its search index) that a service changed; addressed to no unit's client.
async fn announce(db: &impl ConnectionTrait, id: i64) -> Result<()> {
    crate::events::append_event(db, &DomainEvent::ServiceSaved(Saved { id }), &[], false).await?;
    Ok(())
}
