//! Integration clients: registration, secrets (shown once, stored as a hash), rotation,
//! revocation, and authenticating a bearer token.

use crate::audit::{self, AuditActor, Change};
use crate::entity::{integration_client, unit};
use crate::{Result, StorageError, Store};
use chrono::{DateTime, Duration, Utc};
use kotapintar_domain::client::{parse_scopes, split_token, ApiClient};
use kotapintar_domain::ids::UnitId;
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Serialize)]
pub struct ClientInfo {
    pub client: ApiClient,
    pub active: bool,
    pub created_at: chrono::DateTime<Utc>,
    pub last_used_at: Option<chrono::DateTime<Utc>>,
    pub last_event_seq: Option<i64>,
}

/// A new secret: the only time it exists in clear.
pub struct Issued {
    pub client: ApiClient,
    pub token: String,
}

fn new_secret() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    hex::encode(b)
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn to_domain(m: &integration_client::Model, unit_code: String) -> ApiClient {
    ApiClient {
        id: m.id,
        name: m.name.clone(),
        unit_id: UnitId(m.unit_id),
        unit_code,
        scopes: m.scopes.split_whitespace().map(str::to_string).collect(),
        rate_limit_per_minute: m.rate_limit_per_minute,
    }
}

pub async fn create(
    store: &Store,
    actor: &AuditActor,
    name: &str,
    unit_code: &str,
    scopes: &str,
    rate_limit_per_minute: i32,
) -> Result<Issued> {
    let mut e = kotapintar_domain::FieldErrors::new();
    let name = e.check(
        "name",
        kotapintar_domain::validation::required_text(name, 200),
    );
    let scopes = e.check("scopes", parse_scopes(scopes));
    let unit = crate::units::find_by_code(&store.reader, unit_code).await?;
    if unit.is_none() {
        e.add("unit_code", "unknown_unit");
    }
    if !(1..=100_000).contains(&rate_limit_per_minute) {
        e.add("rate_limit_per_minute", "invalid_rate");
    }
    let (Some(name), Some(scopes), Some(unit)) = (name, scopes, unit) else {
        return Err(StorageError::Invalid(e));
    };
    if !e.is_empty() {
        return Err(StorageError::Invalid(e));
    }
    let secret = new_secret();
    let tx = store.writer.begin().await?;
    let m = integration_client::ActiveModel {
        name: Set(name),
        unit_id: Set(unit.id.0),
        scopes: Set(scopes.join(" ")),
        secret_hash: Set(hash(&secret)),
        active: Set(true),
        rate_limit_per_minute: Set(rate_limit_per_minute),
        created_at: Set(Utc::now()),
        rotated_at: Set(None),
        revoked_at: Set(None),
        last_used_at: Set(None),
        last_event_seq: Set(None),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let client = to_domain(&m, unit.code.to_string());
    audit::append(
        &tx,
        actor,
        Change::new("client.create", "client", m.id).after(&client),
    )
    .await?;
    tx.commit().await?;
    Ok(Issued {
        token: format!("kp_{}_{secret}", m.id),
        client,
    })
}

async fn unit_code(store: &Store, id: i64) -> Result<String> {
    Ok(unit::Entity::find_by_id(id)
        .one(&store.reader)
        .await?
        .map(|u| u.code)
        .unwrap_or_default())
}

/// A new secret for a client; the old one stops working at once.
pub async fn rotate(store: &Store, actor: &AuditActor, id: i64) -> Result<Issued> {
    let secret = new_secret();
    let tx = store.writer.begin().await?;
    let m = crate::rows::by_id::<integration_client::Entity>(&tx, id).await?;
    if !m.active {
        return Err(StorageError::Conflict(
            "a revoked client cannot be rotated".into(),
        ));
    }
    let mut a: integration_client::ActiveModel = m.into();
    a.secret_hash = Set(hash(&secret));
    a.rotated_at = Set(Some(Utc::now()));
    let m = a.update(&tx).await?;
    audit::append(&tx, actor, Change::new("client.rotate", "client", id)).await?;
    tx.commit().await?;
    let code = unit_code(store, m.unit_id).await?;
    Ok(Issued {
        token: format!("kp_{id}_{secret}"),
        client: to_domain(&m, code),
    })
}

pub async fn revoke(store: &Store, actor: &AuditActor, id: i64) -> Result<()> {
    let tx = store.writer.begin().await?;
    let m = crate::rows::by_id::<integration_client::Entity>(&tx, id).await?;
    let mut a: integration_client::ActiveModel = m.into();
    a.active = Set(false);
    a.revoked_at = Set(Some(Utc::now()));
    a.update(&tx).await?;
    audit::append(&tx, actor, Change::new("client.revoke", "client", id)).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list(store: &Store) -> Result<Vec<ClientInfo>> {
    let units: std::collections::HashMap<i64, String> = unit::Entity::find()
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|u| (u.id, u.code))
        .collect();
    Ok(integration_client::Entity::find()
        .order_by_asc(integration_client::Column::Id)
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|m| ClientInfo {
            client: to_domain(&m, units.get(&m.unit_id).cloned().unwrap_or_default()),
            active: m.active,
            created_at: m.created_at,
            last_used_at: m.last_used_at,
            last_event_seq: m.last_event_seq,
        })
        .collect())
}

/// The client behind a bearer token, if the token is current and the client active.
pub async fn authenticate(store: &Store, token: &str) -> Result<Option<ApiClient>> {
    let Some((id, secret)) = split_token(token.trim()) else {
        return Ok(None);
    };
    let Some(m) = integration_client::Entity::find_by_id(id)
        .filter(integration_client::Column::Active.eq(true))
        .one(&store.reader)
        .await?
    else {
        return Ok(None);
    };
    let given = hash(secret);
    let same = given.len() == m.secret_hash.len()
        && given
            .bytes()
            .zip(m.secret_hash.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0;
    if !same {
        return Ok(None);
    }
    let now = Utc::now();
    if m.last_used_at
        .is_none_or(|t| now - t > Duration::minutes(1))
    {
        integration_client::Entity::update_many()
            .col_expr(
                integration_client::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(integration_client::Column::Id.eq(id))
            .exec(&store.writer)
            .await?;
    }
    let code = unit_code(store, m.unit_id).await?;
    Ok(Some(to_domain(&m, code)))
}

/// What a retried call with an `Idempotency-Key` should do.
#[derive(Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// First call with this key: go ahead, then `finish` with the answer.
    Proceed,
    /// The same key is being handled right now by another call.
    InProgress,
    /// Answered before: give the same answer again.
    Replay(u16, String),
    /// The key was first sent with another request (another endpoint or another body):
    /// neither replayed nor done again (422 in the API, as the IETF Idempotency-Key draft says).
    Mismatch,
}

/// Claims a key before doing the work, so two racing calls cannot both create something.
/// `request` names what the key is used for (the method, the path and a hash of the body);
/// a key first used for another request is a `Mismatch`. Keys stored before requests were
/// recorded match any request.
pub async fn claim_key(
    store: &Store,
    client_id: i64,
    key: &str,
    request: &str,
) -> Result<Idempotency> {
    use crate::entity::idempotency_key as ik;
    let res = ik::ActiveModel {
        client_id: Set(client_id),
        key: Set(key.into()),
        status: Set(0),
        body: Set(String::new()),
        request: Set(Some(request.into())),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&store.writer)
    .await;
    match res {
        Ok(_) => Ok(Idempotency::Proceed),
        Err(e)
            if matches!(
                e.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            let m = ik::Entity::find()
                .filter(ik::Column::ClientId.eq(client_id))
                .filter(ik::Column::Key.eq(key))
                .one(&store.reader)
                .await?;
            Ok(match m {
                Some(m) if m.request.as_deref().is_some_and(|r| r != request) => {
                    Idempotency::Mismatch
                }
                Some(m) if m.status > 0 => Idempotency::Replay(m.status as u16, m.body),
                Some(m) if Utc::now() - m.created_at > CLAIM_LEASE => take_over(store, &m).await?,
                _ => Idempotency::InProgress,
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// How long a claim with no answer is taken to be still running. Every call ends within the
/// server's request timeout (60 s); a claim older than twice that belongs to a call whose
/// answer could not be recorded (the disk was full when it tried, or the process stopped), and
/// without this the key would answer "in progress" for ever to the retry the client was told
/// to send.
const CLAIM_LEASE: Duration = Duration::seconds(120);

/// Takes over an abandoned claim for this call, unless another retry took it first (the
/// update only matches the claim as it was read).
async fn take_over(
    store: &Store,
    stale: &crate::entity::idempotency_key::Model,
) -> Result<Idempotency> {
    use crate::entity::idempotency_key as ik;
    let taken = ik::Entity::update_many()
        .col_expr(
            ik::Column::CreatedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(ik::Column::Id.eq(stale.id))
        .filter(ik::Column::Status.eq(0))
        .filter(ik::Column::CreatedAt.eq(stale.created_at))
        .exec(&store.writer)
        .await?;
    Ok(if taken.rows_affected == 1 {
        tracing::warn!(
            client_id = stale.client_id,
            "an abandoned Idempotency-Key claim was taken over"
        );
        Idempotency::Proceed
    } else {
        Idempotency::InProgress
    })
}

/// Records the answer for a claimed key; with `None` (the call failed unexpectedly) the claim is
/// dropped, so a retry may try again.
pub async fn finish_key(
    store: &Store,
    client_id: i64,
    key: &str,
    answer: Option<(u16, &str)>,
) -> Result<()> {
    use crate::entity::idempotency_key as ik;
    let q = ik::Entity::update_many()
        .filter(ik::Column::ClientId.eq(client_id))
        .filter(ik::Column::Key.eq(key));
    match answer {
        Some((status, body)) => {
            q.col_expr(
                ik::Column::Status,
                sea_orm::sea_query::Expr::value(i32::from(status)),
            )
            .col_expr(ik::Column::Body, sea_orm::sea_query::Expr::value(body))
            .exec(&store.writer)
            .await?;
        }
        None => {
            ik::Entity::delete_many()
                .filter(ik::Column::ClientId.eq(client_id))
                .filter(ik::Column::Key.eq(key))
                .exec(&store.writer)
                .await?;
        }
    }
    Ok(())
}

/// One client by id (active or not).
pub async fn get(store: &Store, id: i64) -> Result<ClientInfo> {
    list(store)
        .await?
        .into_iter()
        .find(|c| c.client.id == id)
        .ok_or(StorageError::NotFound)
}

/// Remembers how far a client has read the event feed (shown in the application registry).
pub async fn record_feed_position(store: &Store, client_id: i64, seq: i64) -> Result<()> {
    integration_client::Entity::update_many()
        .col_expr(
            integration_client::Column::LastEventSeq,
            sea_orm::sea_query::Expr::value(seq),
        )
        .filter(integration_client::Column::Id.eq(client_id))
        .exec(&store.writer)
        .await?;
    Ok(())
}

/// Deletes recorded API calls older than `retention` (they only show a client's recent
/// activity; kept forever they would grow without bound). Scheduled with the session purge.
pub async fn purge_calls(store: &Store, retention: chrono::Duration) -> Result<u64> {
    use crate::entity::api_call;
    Ok(api_call::Entity::delete_many()
        .filter(api_call::Column::At.lt(Utc::now() - retention))
        .exec(&store.writer)
        .await?
        .rows_affected)
}

/// Records one API call of an authenticated client (reads included; writes are also in the
/// audit log). Calls nobody authenticated are not recorded: anyone could fill the table.
pub async fn record_call(
    store: &Store,
    client_id: Option<i64>,
    method: &str,
    path: &str,
    status: u16,
) -> Result<()> {
    use crate::entity::api_call;
    api_call::ActiveModel {
        at: Set(Utc::now()),
        client_id: Set(client_id),
        method: Set(method.chars().take(10).collect()),
        path: Set(path.chars().take(500).collect()),
        status: Set(i32::from(status)),
        ..Default::default()
    }
    .insert(&store.writer)
    .await?;
    Ok(())
}

/// One call a client made, as its page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub at: DateTime<Utc>,
    pub method: String,
    /// The path without the query string (queries may carry keys).
    pub path: String,
    pub status: i32,
}

/// The latest calls of a client, newest first.
pub async fn calls(store: &Store, client_id: i64, limit: u64) -> Result<Vec<Call>> {
    use crate::entity::api_call;
    use sea_orm::QuerySelect;
    Ok(api_call::Entity::find()
        .filter(api_call::Column::ClientId.eq(client_id))
        .order_by_desc(api_call::Column::Id)
        .limit(limit)
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|c| Call {
            at: c.at,
            method: c.method,
            path: c.path,
            status: c.status,
        })
        .collect())
}
