//! The JSON API for the units' own applications (`/api/v1`). Clients authenticate with a
//! bearer token; errors are RFC 9457 problem+json, one entry per invalid field.
//!
//! Here: the routes, the `Client` extractor (token, rate limit) and the call log. The rest:
//! `requests` (read, file, steps, photos), `events` (feed and webhooks), `content` (portal
//! items), `reference` (units, areas, services), `problem` (the error type and its pages),
//! `extract` (parameters and bodies), `idempotency`, `openapi`, `rules` and `document` (the
//! OpenAPI document and its page).

use crate::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use kotapintar_domain::client::ApiClient;
use kotapintar_storage::clients;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub mod content;
mod document;
mod events;
mod extract;
mod idempotency;
mod openapi;
mod problem;
mod reference;
mod requests;
mod rules;

use document::{docs, openapi as openapi_document};
pub use document::{openapi_json, ApiDoc};
pub use events::WebhookBody;
use events::{create_webhook, delete_webhook, list_events, list_webhooks};
pub use extract::{parse_json, ApiPath, ApiQuery, Post};
pub use idempotency::{once, Call};
pub use problem::{FieldProblem, Problem, ProblemType};
use reference::{list_regions, list_services, list_units};
use requests::{attach_photos, create_request, get_request, list_requests, take_step};
pub use requests::{NewRequestBody, StepBody};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi_document))
        .route("/api/v1/docs", get(docs))
        .route("/api/v1/events", get(list_events))
        .route("/api/v1/units", get(list_units))
        .route("/api/v1/regions", get(list_regions))
        .route("/api/v1/services", get(list_services))
        .route("/api/v1/requests", get(list_requests).post(create_request))
        .route("/api/v1/webhooks", get(list_webhooks).post(create_webhook))
        .route(
            "/api/v1/webhooks/{id}",
            axum::routing::delete(delete_webhook),
        )
        .route(
            "/api/v1/requests/{code}/photos",
            axum::routing::post(attach_photos)
                .layer(axum::extract::DefaultBodyLimit::max(52 * 1024 * 1024)),
        )
        .route("/api/v1/requests/{code}", get(get_request))
        .route(
            "/api/v1/content",
            get(content::list_content).post(content::create_content),
        )
        .route(
            "/api/v1/content/{id}/progress",
            axum::routing::post(content::add_progress),
        )
        .route(
            "/api/v1/requests/{code}/steps",
            axum::routing::post(take_step),
        )
        .route("/api/v1/problems", get(problem::problem_index))
        .route("/api/v1/problems/{name}", get(problem::problem_page))
        // every other path under /api/v1 is a JSON 404, not the site's HTML page
        .route("/api/v1", axum::routing::any(unknown_path))
        .route("/api/v1/", axum::routing::any(unknown_path))
        .route("/api/v1/{*rest}", axum::routing::any(unknown_path))
        .layer(axum::middleware::from_fn(problem::bare_errors))
}

async fn unknown_path(uri: axum::http::Uri) -> Problem {
    Problem::not_found().detail(format!(
        "there is no {} in this API; see /api/v1/docs",
        uri.path()
    ))
}

/// Calls per client in the current minute, per node. A fixed window is coarse but cheap, and
/// a client that is slowed down is told exactly when to come back.
#[derive(Default, Clone)]
pub struct RateLimiter(Arc<Mutex<HashMap<i64, (Instant, i32)>>>);

impl RateLimiter {
    /// `Err(seconds to wait)` when the client has used up its minute.
    pub fn check(&self, client: &ApiClient) -> Result<(), u64> {
        let Ok(mut map) = self.0.lock() else {
            return Ok(());
        };
        let now = Instant::now();
        let entry = map.entry(client.id).or_insert((now, 0));
        if now.duration_since(entry.0) >= Duration::from_secs(60) {
            *entry = (now, 0);
        }
        if entry.1 >= client.rate_limit_per_minute {
            let wait = 60 - now.duration_since(entry.0).as_secs();
            return Err(wait.max(1));
        }
        entry.1 += 1;
        Ok(())
    }
}

/// The authenticated client making this call, within its rate limit.
pub struct Client(pub ApiClient);

impl FromRequestParts<AppState> for Client {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(Problem::unauthorized)?;
        let client = clients::authenticate(&state.store, token)
            .await?
            .ok_or_else(Problem::unauthorized)?;
        if let Some(slot) = parts.extensions.get::<CallSlot>() {
            if let Ok(mut s) = slot.0.lock() {
                *s = Some(client.id);
            }
        }
        if let Err(wait) = state.rate_limiter.check(&client) {
            return Err(Problem::of(ProblemType::RateLimit)
                .detail(format!(
                    "this client may make {} calls a minute",
                    client.rate_limit_per_minute
                ))
                .retry_after(wait));
        }
        Ok(Client(client))
    }
}

fn require(client: &ApiClient, scope: &str) -> Result<(), Problem> {
    if client.has_scope(scope) {
        Ok(())
    } else {
        Err(Problem::missing_scope(scope))
    }
}

/// The last page `GET /requests` answers (50 a page: 50 million requests; beyond that, page
/// by cursor). Bounded so the offset never overflows.
pub const MAX_PAGE: i64 = 1_000_000;
/// The longest long-poll of `GET /events`, in seconds.
pub const MAX_WAIT: i64 = 30;

/// Where the `Client` extractor leaves the caller's id for the call log.
#[derive(Clone, Default)]
pub struct CallSlot(Arc<Mutex<Option<i64>>>);

/// Records the API calls of authenticated clients: the client, method, path, status.
pub async fn log_calls(
    State(state): State<AppState>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let slot = CallSlot::default();
    req.extensions_mut().insert(slot.clone());
    let (method, path) = (req.method().to_string(), req.uri().path().to_string());
    let res = next.run(req).await;
    // Only an authenticated client's calls: a row per anonymous call would let anyone grow
    // the table (and fill the single SQLite writer) as fast as they can send requests.
    let Some(client) = slot.0.lock().ok().and_then(|s| *s) else {
        return res;
    };
    if let Err(e) = clients::record_call(
        &state.store,
        Some(client),
        &method,
        &path,
        res.status().as_u16(),
    )
    .await
    {
        tracing::warn!(error = %e, "could not record an API call");
    }
    res
}
