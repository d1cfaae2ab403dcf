//! The application registry: every unit's applications, and how far each is integrated.

use crate::audit::{self, AuditActor, Change};
use crate::entity::{
    application, integration_client, unit, webhook_delivery, webhook_subscription,
};
use crate::{Result, StorageError, Store};
use chrono::{DateTime, Utc};
use kotapintar_domain::validation::{optional_text, optional_url, required_text};
use kotapintar_domain::FieldErrors;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

pub const STATUSES: [&str; 3] = ["not_integrated", "in_progress", "integrated"];

/// One row of the registry with the live health of its client, if it has one.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub id: i64,
    pub unit_name: String,
    pub name: String,
    pub purpose: Option<String>,
    pub url: Option<String>,
    pub owner: Option<String>,
    pub status: String,
    pub client_name: Option<String>,
    pub last_call: Option<DateTime<Utc>>,
    pub last_event: Option<i64>,
    pub failing_webhooks: u64,
}

pub struct NewApplication<'a> {
    pub unit_code: &'a str,
    pub name: &'a str,
    pub purpose: &'a str,
    pub url: &'a str,
    pub owner: &'a str,
    pub status: &'a str,
    pub client_id: Option<i64>,
}

pub async fn create(store: &Store, actor: &AuditActor, a: NewApplication<'_>) -> Result<i64> {
    let mut e = FieldErrors::new();
    let name = e.check("name", required_text(a.name, 200));
    let purpose = e.check("purpose", optional_text(a.purpose, 2000)).flatten();
    let url = e.check("url", optional_url(a.url)).flatten();
    let owner = e.check("owner", optional_text(a.owner, 200)).flatten();
    if !STATUSES.contains(&a.status) {
        e.add("status", "invalid_choice");
    }
    let unit = crate::units::find_by_code(&store.reader, a.unit_code).await?;
    if unit.is_none() {
        e.add("unit_code", "unknown_unit");
    }
    if let Some(c) = a.client_id {
        if integration_client::Entity::find_by_id(c)
            .one(&store.reader)
            .await?
            .is_none()
        {
            e.add("client_id", "unknown_client");
        }
    }
    let (Some(name), Some(unit)) = (name, unit) else {
        return Err(StorageError::Invalid(e));
    };
    if !e.is_empty() {
        return Err(StorageError::Invalid(e));
    }
    let now = Utc::now();
    let m = application::ActiveModel {
        unit_id: Set(unit.id.0),
        name: Set(name),
        purpose: Set(purpose),
        url: Set(url),
        owner: Set(owner),
        status: Set(a.status.into()),
        client_id: Set(a.client_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&store.writer)
    .await?;
    audit::append(
        &store.writer,
        actor,
        Change::new("application.create", "application", m.id)
            .after(&serde_json::json!({"name": m.name, "status": m.status})),
    )
    .await?;
    Ok(m.id)
}

/// The registry, by unit and name, with each client's last call, feed position, and failed
/// webhook deliveries.
pub async fn list(store: &Store) -> Result<Vec<Entry>> {
    let units: std::collections::HashMap<i64, String> = unit::Entity::find()
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let mut out = Vec::new();
    for a in application::Entity::find()
        .order_by_asc(application::Column::UnitId)
        .order_by_asc(application::Column::Name)
        .all(&store.reader)
        .await?
    {
        let client = match a.client_id {
            Some(id) => {
                integration_client::Entity::find_by_id(id)
                    .one(&store.reader)
                    .await?
            }
            None => None,
        };
        let failing = match &client {
            Some(c) => {
                let subs: Vec<i64> = webhook_subscription::Entity::find()
                    .filter(webhook_subscription::Column::ClientId.eq(c.id))
                    .all(&store.reader)
                    .await?
                    .into_iter()
                    .map(|s| s.id)
                    .collect();
                if subs.is_empty() {
                    0
                } else {
                    webhook_delivery::Entity::find()
                        .filter(webhook_delivery::Column::SubscriptionId.is_in(subs))
                        .filter(webhook_delivery::Column::Status.eq("failed"))
                        .count(&store.reader)
                        .await?
                }
            }
            None => 0,
        };
        out.push(Entry {
            id: a.id,
            unit_name: units.get(&a.unit_id).cloned().unwrap_or_default(),
            name: a.name,
            purpose: a.purpose,
            url: a.url,
            owner: a.owner,
            status: a.status,
            client_name: client.as_ref().map(|c| c.name.clone()),
            last_call: client.as_ref().and_then(|c| c.last_used_at),
            last_event: client.as_ref().and_then(|c| c.last_event_seq),
            failing_webhooks: failing,
        });
    }
    Ok(out)
}
