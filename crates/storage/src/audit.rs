//! Appending to and verifying the hash-chained audit log.

use crate::entity::{audit_head, audit_log};
use crate::{Result, Store};
use chrono::Utc;
use kotapintar_domain::audit::{entry_hash, AuditContent, ChainError, ChainVerifier, StoredEntry};
use kotapintar_domain::policy::Actor;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

/// Who did it: a staff member, or the system itself (a CLI command, a background job).
#[derive(Debug, Clone)]
pub enum AuditActor {
    Staff { user_id: i64, username: String },
    System(String),
}

impl AuditActor {
    pub fn label(&self) -> String {
        match self {
            Self::Staff { username, .. } => username.clone(),
            Self::System(s) => format!("system:{s}"),
        }
    }

    fn user_id(&self) -> Option<i64> {
        match self {
            Self::Staff { user_id, .. } => Some(*user_id),
            Self::System(_) => None,
        }
    }
}

impl From<&Actor> for AuditActor {
    fn from(a: &Actor) -> Self {
        Self::Staff {
            user_id: a.user_id.0,
            username: a.username.to_string(),
        }
    }
}

/// One change to record. `before`/`after` are snapshots of the entity (never secrets).
pub struct Change<'a> {
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl<'a> Change<'a> {
    pub fn new(action: &'a str, entity_type: &'a str, entity_id: impl ToString) -> Self {
        Self {
            action,
            entity_type,
            entity_id: entity_id.to_string(),
            before: None,
            after: None,
        }
    }

    pub fn before(mut self, v: &impl Serialize) -> Self {
        self.before = serde_json::to_value(v).ok();
        self
    }

    pub fn after(mut self, v: &impl Serialize) -> Self {
        self.after = serde_json::to_value(v).ok();
        self
    }
}

/// Appends one entry. Call it on the transaction that makes the change, so the change and
/// its record commit together. Locking the head row orders concurrent appends, on one node
/// or many.
pub async fn append(
    db: &impl ConnectionTrait,
    actor: &AuditActor,
    change: Change<'_>,
) -> Result<i64> {
    let head = audit_head::Entity::find_by_id(1)
        .lock(LockType::Update)
        .one(db)
        .await?
        .ok_or_else(|| crate::StorageError::Other("audit head row is missing".into()))?;
    let content = AuditContent {
        seq: head.seq + 1,
        at_micros: Utc::now().timestamp_micros(),
        actor: actor.label(),
        action: change.action.to_string(),
        entity_type: change.entity_type.to_string(),
        entity_id: change.entity_id,
        before: change.before.map(|v| v.to_string()),
        after: change.after.map(|v| v.to_string()),
    };
    let hash = entry_hash(&head.hash, &content);
    audit_log::ActiveModel {
        seq: Set(content.seq),
        at_micros: Set(content.at_micros),
        actor: Set(content.actor.clone()),
        actor_user_id: Set(actor.user_id()),
        action: Set(content.action.clone()),
        entity_type: Set(content.entity_type.clone()),
        entity_id: Set(content.entity_id.clone()),
        before_json: Set(content.before.clone()),
        after_json: Set(content.after.clone()),
        prev_hash: Set(head.hash.clone()),
        hash: Set(hash.clone()),
    }
    .insert(db)
    .await?;
    audit_head::ActiveModel {
        id: Set(1),
        seq: Set(content.seq),
        hash: Set(hash),
    }
    .update(db)
    .await?;
    Ok(content.seq)
}

fn to_stored(m: audit_log::Model) -> StoredEntry {
    StoredEntry {
        content: AuditContent {
            seq: m.seq,
            at_micros: m.at_micros,
            actor: m.actor,
            action: m.action,
            entity_type: m.entity_type,
            entity_id: m.entity_id,
            before: m.before_json,
            after: m.after_json,
        },
        prev_hash: m.prev_hash,
        hash: m.hash,
    }
}

/// Re-checks the whole chain against its head, page by page so memory stays flat.
pub async fn verify(store: &Store) -> Result<Result<i64, ChainError>> {
    let head = audit_head::Entity::find_by_id(1).one(&store.reader).await?;
    let mut pages = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Seq)
        .paginate(&store.reader, 1000);
    let mut verifier = ChainVerifier::default();
    while let Some(page) = pages.fetch_and_next().await? {
        for entry in page {
            if let Err(e) = verifier.push(to_stored(entry)) {
                return Ok(Err(e));
            }
        }
    }
    Ok(verifier.finish(head.map(|h| (h.seq, h.hash))))
}

/// A page of entries, newest first, optionally for one entity.
pub async fn recent(
    store: &Store,
    entity: Option<(&str, &str)>,
    limit: u64,
) -> Result<Vec<audit_log::Model>> {
    let mut q = audit_log::Entity::find().order_by_desc(audit_log::Column::Seq);
    if let Some((t, id)) = entity {
        q = q
            .filter(audit_log::Column::EntityType.eq(t))
            .filter(audit_log::Column::EntityId.eq(id));
    }
    Ok(q.limit(limit).all(&store.reader).await?)
}
