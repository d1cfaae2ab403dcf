//! The unit's events: pulled from `/api/v1/events` (long-polling) or pushed to webhooks.

use super::extract::{ApiPath, ApiQuery, Post};
use super::idempotency::{once, Call};
use super::problem::Problem;
use super::{extract, require, Client, MAX_WAIT};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kotapintar_domain::FieldErrors;
use kotapintar_storage::events;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};

#[derive(Deserialize)]
pub struct EventsQuery {
    #[serde(default)]
    after: Option<String>,
    #[serde(default)]
    limit: Option<String>,
    /// Long-polling: wait up to this many seconds (at most 30) for a new event.
    #[serde(default)]
    wait: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EventPage {
    /// Oldest first: `seq`, `at`, `kind` (e.g. `request.dispatch`), `subject_type`,
    /// `subject_id` (a tracking code), `data` (status, public note, units).
    #[schema(value_type = Vec<Object>)]
    events: Vec<events::Event>,
    /// Pass as `after` to get what follows.
    next_cursor: i64,
}

/// The unit's events after a cursor. Clients behind NAT sync with this instead of webhooks.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", security(("bearer" = [])),
    params(
        ("after" = Option<i64>, Query, minimum = 0, description = "Return events after this cursor (default 0)"),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 1000, description = "1 to 1000, default 100"),
        ("wait" = Option<i64>, Query, minimum = 0, maximum = 30, description = "Long-poll: wait up to this many seconds (at most 30) for an event"),
    ),
    responses((status = 200, body = EventPage), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"), (status = 403, description = "The client lacks the scope", body = Problem, content_type = "application/problem+json"), (status = 429, description = "Rate limit; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn list_events(
    State(state): State<AppState>,
    Client(client): Client,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Json<EventPage>, Problem> {
    if !client.has_scope("events:read") {
        return Err(Problem::missing_scope("events:read"));
    }
    let mut e = FieldErrors::new();
    let after = extract::bounded(
        &mut e,
        "after",
        q.after.as_deref(),
        0,
        0,
        i64::MAX,
        "invalid_cursor",
    );
    let limit = extract::bounded(
        &mut e,
        "limit",
        q.limit.as_deref(),
        100,
        1,
        1000,
        "invalid_limit",
    );
    let wait = extract::bounded(
        &mut e,
        "wait",
        q.wait.as_deref(),
        0,
        0,
        MAX_WAIT,
        "invalid_wait",
    );
    if !e.is_empty() {
        return Err(Problem::invalid_parameters(&e));
    }
    // both within their bounds above
    let (limit, wait) = (limit.unsigned_abs(), wait.unsigned_abs());
    let deadline = Instant::now() + Duration::from_secs(wait);
    loop {
        let page = events::after(&state.store.reader, after, Some(client.unit_id), limit).await?;
        if !page.is_empty() || Instant::now() >= deadline {
            let next_cursor = page.last().map(|e| e.seq).unwrap_or(after);
            if !page.is_empty() {
                // for the application registry's health column; losing it is harmless
                let _ = kotapintar_storage::clients::record_feed_position(
                    &state.store,
                    client.id,
                    next_cursor,
                )
                .await;
            }
            return Ok(Json(EventPage {
                events: page,
                next_cursor,
            }));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    /// Where deliveries are POSTed: http(s), a public address.
    #[schema(format = "uri")]
    url: String,
    /// Event kinds to deliver (e.g. `request.dispatch`); none: every kind.
    #[serde(default)]
    event_types: Vec<String>,
}

/// Subscribes the client to its unit's events. The signing secret is in this answer only.
/// Deliveries are signed as Standard Webhooks says (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature`) and retried for a day.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    request_body = WebhookBody,
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200, description = "Same key, same answer: one subscription")),
    responses((status = 201, description = "The subscription and its `secret`", body = Object), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"), (status = 403, description = "The client lacks the scope", body = Problem, content_type = "application/problem+json"), (status = 429, description = "Rate limit; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn create_webhook(
    State(state): State<AppState>,
    Client(client): Client,
    post: Post,
) -> Response {
    let (call, body) = match Call::begin(&client, "events:read", &post)
        .and_then(|call| Ok((call, post.json::<WebhookBody>()?)))
    {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let (st, cl) = (state.clone(), client.clone());
    once(&state, &client, call, move || async move {
        crate::webhook_target::check(&body.url, st.config.webhook_allow_private).await?;
        let actor = kotapintar_storage::audit::AuditActor::from(
            &kotapintar_domain::policy::Actor::for_client(&cl),
        );
        let (sub, secret) = kotapintar_storage::webhooks::subscribe(
            &st.store,
            &actor,
            &cl,
            &body.url,
            &body.event_types,
        )
        .await?;
        let mut v = serde_json::to_value(&sub).unwrap_or_default();
        v["secret"] = serde_json::Value::String(secret);
        Ok((StatusCode::CREATED, v))
    })
    .await
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct WebhookWithLog {
    #[serde(flatten)]
    #[schema(value_type = Object)]
    subscription: kotapintar_storage::webhooks::Subscription,
    deliveries: Vec<DeliveryView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    id: i64,
    event_seq: i64,
    status: String,
    attempts: i32,
    last_status_code: Option<i32>,
    last_error: Option<String>,
}

/// The client's webhook subscriptions with their latest deliveries.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = [])),
    responses((status = 200, body = Vec<WebhookWithLog>), (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"), (status = 403, description = "The client lacks the scope", body = Problem, content_type = "application/problem+json"), (status = 429, description = "Rate limit; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn list_webhooks(
    State(state): State<AppState>,
    Client(client): Client,
) -> Result<Json<Vec<WebhookWithLog>>, Problem> {
    require(&client, "events:read")?;
    let mut out = Vec::new();
    for subscription in kotapintar_storage::webhooks::for_client(&state.store, client.id).await? {
        let deliveries = kotapintar_storage::webhooks::log(&state.store, subscription.id, 20)
            .await?
            .into_iter()
            .map(|d| DeliveryView {
                id: d.id,
                event_seq: d.event_seq,
                status: d.status,
                attempts: d.attempts,
                last_status_code: d.last_status_code,
                last_error: d.last_error,
            })
            .collect();
        out.push(WebhookWithLog {
            subscription,
            deliveries,
        });
    }
    Ok(Json(out))
}

/// Ends a subscription.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = i64, Path, minimum = 1, description = "Subscription id")),
    responses((status = 204, description = "Ended"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"), (status = 403, description = "The client lacks the scope", body = Problem, content_type = "application/problem+json"), (status = 429, description = "Rate limit; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn delete_webhook(
    State(state): State<AppState>,
    Client(client): Client,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, Problem> {
    require(&client, "events:read")?;
    let id = extract::path_id(&id, "id")?;
    let actor = kotapintar_storage::audit::AuditActor::from(
        &kotapintar_domain::policy::Actor::for_client(&client),
    );
    kotapintar_storage::webhooks::unsubscribe(&state.store, &actor, client.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
