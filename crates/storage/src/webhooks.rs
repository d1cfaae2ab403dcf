//! Webhook subscriptions and their deliveries. Events become deliveries once per
//! subscription (the subscription row is locked while its cursor moves, so several nodes never
//! both fan out the same event); deliveries are retried with back-off for a day, then kept as
//! failed for an admin to replay.

use crate::audit::{self, AuditActor, Change};
use crate::entity::{event, webhook_delivery as wd, webhook_subscription as ws};
use crate::{events, Result, StorageError, Store};
use chrono::{DateTime, Duration, Utc};
use kotapintar_domain::client::ApiClient;
use kotapintar_domain::webhook::{check_url, secret_from_bytes};
use kotapintar_domain::FieldErrors;
use rand::RngCore;
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use serde::Serialize;

/// How long deliveries are retried before they are given up (and kept for replay).
pub const RETRY_FOR: Duration = Duration::hours(26);

#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub id: i64,
    pub client_id: i64,
    pub url: String,
    pub event_types: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

fn to_domain(m: &ws::Model) -> Subscription {
    Subscription {
        id: m.id,
        client_id: m.client_id,
        url: m.url.clone(),
        event_types: m
            .event_types
            .split_whitespace()
            .map(str::to_string)
            .collect(),
        active: m.active,
        created_at: m.created_at,
    }
}

/// Event kinds a subscription may name (`*` for all): the request workflow's, named in
/// `kotapintar_domain::event`.
pub const EVENT_KINDS: &[&str] = kotapintar_domain::event::SUBSCRIBABLE_REQUEST_EVENTS;

/// Subscribes a client to its unit's events from now on. Returns the signing secret once.
/// `actor`: the client itself (through the API) or an admin; audited in the same transaction.
pub async fn subscribe(
    store: &Store,
    actor: &AuditActor,
    client: &ApiClient,
    url: &str,
    types: &[String],
) -> Result<(Subscription, String)> {
    let mut e = FieldErrors::new();
    let url = e.check("url", check_url(url));
    let types: Vec<String> = if types.is_empty() {
        vec!["*".into()]
    } else {
        types.to_vec()
    };
    if types
        .iter()
        .any(|t| t != "*" && !EVENT_KINDS.contains(&t.as_str()))
    {
        e.add("event_types", "invalid_event_type");
    }
    let Some(url) = url.filter(|_| e.is_empty()) else {
        return Err(StorageError::Invalid(e));
    };
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret = secret_from_bytes(&bytes);
    let tx = store.writer.begin().await?;
    let from = events::head(&tx).await?;
    let m = ws::ActiveModel {
        client_id: Set(client.id),
        url: Set(url),
        event_types: Set(types.join(" ")),
        secret: Set(secret.clone()),
        active: Set(true),
        last_seq: Set(from),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    let sub = to_domain(&m);
    audit::append(
        &tx,
        actor,
        Change::new("webhook.subscribe", "client", client.id).after(&sub),
    )
    .await?;
    tx.commit().await?;
    Ok((sub, secret))
}

pub async fn for_client(store: &Store, client_id: i64) -> Result<Vec<Subscription>> {
    Ok(ws::Entity::find()
        .filter(ws::Column::ClientId.eq(client_id))
        .filter(ws::Column::Active.eq(true))
        .order_by_asc(ws::Column::Id)
        .all(&store.reader)
        .await?
        .iter()
        .map(to_domain)
        .collect())
}

/// Subscribes a client on an admin's behalf (the staff area), audited.
pub async fn subscribe_by_admin(
    store: &Store,
    actor: &AuditActor,
    client: &ApiClient,
    url: &str,
    types: &[String],
) -> Result<(Subscription, String)> {
    subscribe(store, actor, client, url, types).await
}

pub async fn all(store: &Store) -> Result<Vec<Subscription>> {
    Ok(ws::Entity::find()
        .order_by_asc(ws::Column::Id)
        .all(&store.reader)
        .await?
        .iter()
        .map(to_domain)
        .collect())
}

/// Ends a client's subscription; audited in the same transaction.
pub async fn unsubscribe(store: &Store, actor: &AuditActor, client_id: i64, id: i64) -> Result<()> {
    let tx = store.writer.begin().await?;
    let res = ws::Entity::update_many()
        .col_expr(ws::Column::Active, sea_orm::sea_query::Expr::value(false))
        .filter(ws::Column::Id.eq(id))
        .filter(ws::Column::ClientId.eq(client_id))
        .exec(&tx)
        .await?;
    if res.rows_affected == 0 {
        return Err(StorageError::NotFound);
    }
    audit::append(
        &tx,
        actor,
        Change::new("webhook.unsubscribe", "client", client_id)
            .after(&serde_json::json!({ "subscription": id, "active": false })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Turns new events into deliveries, for every active subscription. Returns how many.
pub async fn fan_out(store: &Store) -> Result<usize> {
    let mut created = 0;
    let subs = ws::Entity::find()
        .filter(ws::Column::Active.eq(true))
        .all(&store.reader)
        .await?;
    for s in subs {
        let tx = store.writer.begin().await?;
        // another node holding this subscription does the work; skip it
        let Some(sub) = ws::Entity::find_by_id(s.id)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .one(&tx)
            .await?
        else {
            continue;
        };
        let client = crate::entity::integration_client::Entity::find_by_id(sub.client_id)
            .one(&tx)
            .await?;
        let Some(client) = client.filter(|c| c.active) else {
            continue;
        };
        let evs = events::after(
            &tx,
            sub.last_seq,
            Some(kotapintar_domain::ids::UnitId(client.unit_id)),
            500,
        )
        .await?;
        let Some(last) = evs.last().map(|e| e.seq) else {
            continue;
        };
        let types: Vec<&str> = sub.event_types.split_whitespace().collect();
        let now = Utc::now();
        for e in evs
            .iter()
            .filter(|e| types.contains(&"*") || types.contains(&e.kind.as_str()))
        {
            wd::ActiveModel {
                subscription_id: Set(sub.id),
                event_seq: Set(e.seq),
                status: Set("pending".into()),
                attempts: Set(0),
                last_status_code: Set(None),
                last_error: Set(None),
                next_attempt_at: Set(now),
                delivered_at: Set(None),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&tx)
            .await?;
            created += 1;
        }
        let mut a: ws::ActiveModel = sub.into();
        a.last_seq = Set(last);
        a.update(&tx).await?;
        tx.commit().await?;
    }
    Ok(created)
}

/// One delivery to attempt: where, how to sign, what to send.
pub struct Due {
    pub delivery_id: i64,
    pub url: String,
    pub secret: String,
    pub msg_id: String,
    pub body: String,
}

/// Claims up to `limit` due deliveries for a minute (a sender that dies loses its claim).
pub async fn claim_due(store: &Store, limit: u64) -> Result<Vec<Due>> {
    let now = Utc::now();
    let tx = store.writer.begin().await?;
    let rows = wd::Entity::find()
        .filter(wd::Column::Status.eq("pending"))
        .filter(wd::Column::NextAttemptAt.lte(now))
        .order_by_asc(wd::Column::Id)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&tx)
        .await?;
    let mut out = Vec::new();
    for d in rows {
        let Some(sub) = ws::Entity::find_by_id(d.subscription_id).one(&tx).await? else {
            continue;
        };
        let Some(ev) = event::Entity::find_by_id(d.event_seq).one(&tx).await? else {
            continue;
        };
        let data: serde_json::Value =
            serde_json::from_str(&ev.payload).unwrap_or(serde_json::Value::Null);
        let body = serde_json::json!({
            "type": ev.kind,
            "timestamp": ev.at.to_rfc3339(),
            "data": data,
            "seq": ev.seq,
        })
        .to_string();
        let mut a: wd::ActiveModel = d.clone().into();
        a.next_attempt_at = Set(now + Duration::minutes(1));
        a.update(&tx).await?;
        out.push(Due {
            delivery_id: d.id,
            url: sub.url,
            secret: sub.secret,
            msg_id: format!("evt_{}", ev.seq),
            body,
        });
    }
    tx.commit().await?;
    Ok(out)
}

/// Records an attempt: 2xx delivers; anything else retries later, until `RETRY_FOR` has passed
/// since the delivery was created, then it is kept as failed.
pub async fn record_attempt(
    store: &Store,
    delivery_id: i64,
    outcome: std::result::Result<u16, String>,
) -> Result<()> {
    let Some(d) = wd::Entity::find_by_id(delivery_id)
        .one(&store.writer)
        .await?
    else {
        return Ok(());
    };
    let now = Utc::now();
    let attempts = d.attempts + 1;
    let created = d.created_at;
    let mut a: wd::ActiveModel = d.into();
    a.attempts = Set(attempts);
    match outcome {
        Ok(code) if (200..300).contains(&code) => {
            a.status = Set("delivered".into());
            a.last_status_code = Set(Some(i32::from(code)));
            a.last_error = Set(None);
            a.delivered_at = Set(Some(now));
        }
        other => {
            match other {
                Ok(code) => {
                    a.last_status_code = Set(Some(i32::from(code)));
                    a.last_error = Set(Some(format!("HTTP {code}")));
                }
                Err(e) => a.last_error = Set(Some(e.chars().take(500).collect())),
            }
            let backoff = Duration::seconds(10 * 2i64.pow(attempts.clamp(0, 12) as u32))
                .min(Duration::hours(3));
            if now + backoff - created > RETRY_FOR {
                a.status = Set("failed".into());
            } else {
                a.next_attempt_at = Set(now + backoff);
            }
        }
    }
    a.update(&store.writer).await?;
    Ok(())
}

/// Sends a failed delivery again (an admin's action, audited in the same transaction).
pub async fn replay(store: &Store, actor: &AuditActor, delivery_id: i64) -> Result<()> {
    let tx = store.writer.begin().await?;
    let res = wd::Entity::update_many()
        .col_expr(
            wd::Column::Status,
            sea_orm::sea_query::Expr::value("pending"),
        )
        .col_expr(
            wd::Column::NextAttemptAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .col_expr(
            wd::Column::CreatedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(wd::Column::Id.eq(delivery_id))
        .exec(&tx)
        .await?;
    if res.rows_affected == 0 {
        return Err(StorageError::NotFound);
    }
    audit::append(
        &tx,
        actor,
        Change::new("webhook.replay", "webhook_delivery", delivery_id)
            .after(&serde_json::json!({ "status": "pending" })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One attempt record of the delivery log, as staff and the client see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: i64,
    pub event_seq: i64,
    /// `pending`, `delivered` or `failed` (gave up; an admin may replay it).
    pub status: String,
    pub attempts: i32,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
}

/// The delivery log of a subscription, newest first.
pub async fn log(store: &Store, subscription_id: i64, limit: u64) -> Result<Vec<Delivery>> {
    Ok(wd::Entity::find()
        .filter(wd::Column::SubscriptionId.eq(subscription_id))
        .order_by_desc(wd::Column::Id)
        .limit(limit)
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|d| Delivery {
            id: d.id,
            event_seq: d.event_seq,
            status: d.status,
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
        })
        .collect())
}
