//! Appending to and verifying the hash-chained audit log.
//!
//! The chain's key lives outside the database. A process that holds it registers it once at
//! start ([`use_key`]); the head row names the key (by fingerprint) that new entries are made
//! with, and [`append`] takes it from this process's keyring. A process asked to append to a
//! keyed chain without holding its key refuses: it must never extend the chain unkeyed.

use crate::entity::{audit_head, audit_log};
use crate::{Result, StorageError, Store};
use chrono::Utc;
use kotapintar_domain::audit::{
    hash_with, AuditContent, AuditKey, ChainError, ChainVerifier, StoredEntry, Verified,
};
use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

pub use kotapintar_domain::audit::{KeyedSince, Verified as VerifiedChain};
use kotapintar_domain::policy::Actor;
use sea_orm::sea_query::LockType;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
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

/// The audit keys this process holds, by fingerprint. Several databases (the tests run many
/// in one process) may each be keyed with their own.
fn keyring() -> &'static RwLock<HashMap<String, AuditKey>> {
    static KEYS: OnceLock<RwLock<HashMap<String, AuditKey>>> = OnceLock::new();
    KEYS.get_or_init(Default::default)
}

fn held_key(id: &str) -> Option<AuditKey> {
    keyring()
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(id)
        .cloned()
}

/// Lets this process append with (and verify against) `key`.
pub fn hold_key(key: &AuditKey) {
    keyring()
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .insert(key.id().to_string(), key.clone());
}

/// What [`use_key`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyUse {
    /// The chain was not keyed: from entry `from_seq` on it is.
    Introduced { from_seq: i64 },
    /// The chain was keyed with this key already.
    Continued,
}

/// The fingerprint of the key the chain is keyed with, if it is.
pub async fn chain_key_id(db: &impl ConnectionTrait) -> Result<Option<String>> {
    Ok(audit_head::Entity::find_by_id(1)
        .one(db)
        .await?
        .and_then(|h| h.key_id))
}

/// Holds `key` and keys the chain with it from the next entry on, unless it is keyed
/// already. A chain keyed with another key is refused: nothing is changed, and the error
/// names both fingerprints.
pub async fn use_key(store: &Store, key: &AuditKey) -> Result<KeyUse> {
    hold_key(key);
    let tx = store.writer.begin().await?;
    let head = audit_head::Entity::find_by_id(1)
        .lock(LockType::Update)
        .one(&tx)
        .await?
        .ok_or_else(|| StorageError::Other("audit head row is missing".into()))?;
    let outcome = match head.key_id.as_deref() {
        Some(id) if id == key.id() => KeyUse::Continued,
        Some(id) => {
            return Err(StorageError::Other(format!(
                "the audit log is keyed with key {id}, but the audit key given is {}; \
                 give this node the deployment's key (KOTAPINTAR_AUDIT_KEY, \
                 KOTAPINTAR_AUDIT_KEY_FILE, or the key file in the data directory)",
                key.id()
            )))
        }
        None => {
            let from_seq = head.seq + 1;
            let mut m: audit_head::ActiveModel = head.into();
            m.key_id = Set(Some(key.id().to_string()));
            m.update(&tx).await?;
            KeyUse::Introduced { from_seq }
        }
    };
    tx.commit().await?;
    Ok(outcome)
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
    let key = match head.key_id.as_deref() {
        None => None,
        Some(id) => Some(held_key(id).ok_or_else(|| {
            StorageError::Other(format!(
                "the audit log is keyed with key {id}, which this process does not hold"
            ))
        })?),
    };
    let hash = hash_with(key.as_ref(), &head.hash, &content);
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
        key_id: Set(head.key_id.clone()),
    }
    .insert(db)
    .await?;
    audit_head::ActiveModel {
        id: Set(1),
        seq: Set(content.seq),
        hash: Set(hash),
        key_id: Set(head.key_id),
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
        key_id: m.key_id,
    }
}

/// Re-checks the whole chain against its head with the key this process holds for it (see
/// [`verify_with`]). Returns the number of entries.
pub async fn verify(store: &Store) -> Result<Result<i64, ChainError>> {
    let key = chain_key_id(&store.reader)
        .await?
        .and_then(|id| held_key(&id));
    Ok(verify_with(store, key.as_ref(), None)
        .await?
        .map(|v| v.entries))
}

/// Re-checks the whole chain against its head, page by page so memory stays flat: plain
/// entries as SHA-256, keyed ones as HMACs under `key`. `recorded`: an entry's sequence
/// number and hash as copied outside the database (the weekly summary prints the head),
/// which the entry must still have: a chain rewritten as a whole, keyed part included, is
/// only caught that way.
pub async fn verify_with(
    store: &Store,
    key: Option<&AuditKey>,
    recorded: Option<(i64, &str)>,
) -> Result<Result<Verified, ChainError>> {
    let head = audit_head::Entity::find_by_id(1).one(&store.reader).await?;
    let mut pages = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Seq)
        .paginate(&store.reader, 1000);
    let mut verifier = ChainVerifier::new(key.cloned());
    let mut seen_recorded = false;
    while let Some(page) = pages.fetch_and_next().await? {
        for entry in page {
            if let Some((seq, hash)) = recorded {
                if entry.seq == seq {
                    seen_recorded = true;
                    if entry.key_id.is_none() || !entry.hash.eq_ignore_ascii_case(hash) {
                        return Ok(Err(ChainError::NotAsRecorded {
                            seq,
                            detail: "its hash differs".into(),
                        }));
                    }
                }
            }
            if let Err(e) = verifier.push(to_stored(entry)) {
                return Ok(Err(e));
            }
        }
    }
    if let (Some((seq, _)), false) = (recorded, seen_recorded) {
        return Ok(Err(ChainError::NotAsRecorded {
            seq,
            detail: "the log has no such entry".into(),
        }));
    }
    Ok(verifier.finish_report(head.map(|h| (h.seq, h.hash))))
}

/// The chain's head: the last entry's number, hash and time (for copies kept outside the
/// database, such as the weekly summary).
pub async fn head(db: &impl ConnectionTrait) -> Result<Option<(i64, String, i64)>> {
    let Some(h) = audit_head::Entity::find_by_id(1).one(db).await? else {
        return Ok(None);
    };
    let at = audit_log::Entity::find_by_id(h.seq)
        .one(db)
        .await?
        .map(|e| e.at_micros)
        .unwrap_or_default();
    Ok((h.seq > 0).then_some((h.seq, h.hash, at)))
}

/// A page of entries, newest first, optionally for one entity.
pub async fn recent(
    store: &Store,
    entity: Option<(&str, &str)>,
    limit: u64,
) -> Result<Vec<AuditContent>> {
    let mut q = audit_log::Entity::find().order_by_desc(audit_log::Column::Seq);
    if let Some((t, id)) = entity {
        q = q
            .filter(audit_log::Column::EntityType.eq(t))
            .filter(audit_log::Column::EntityId.eq(id));
    }
    Ok(q.limit(limit)
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|m| to_stored(m).content)
        .collect())
}
