//! The JSON API for the units' own applications (`/api/v1`). Clients authenticate with a
//! bearer token; errors are RFC 9457 problem+json, one entry per invalid field.

use crate::{AppState, WebError};
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use kotapintar_domain::client::ApiClient;
use kotapintar_domain::FieldErrors;
use kotapintar_storage::{clients, events, StorageError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/events", get(list_events))
}

/// A problem, as RFC 9457 describes it.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    #[serde(skip)]
    retry_after: Option<u64>,
    #[serde(skip)]
    authenticate: bool,
}

#[derive(Debug, Serialize)]
pub struct FieldProblem {
    pub field: String,
    pub code: &'static str,
    pub message: &'static str,
}

impl Problem {
    pub fn new(status: StatusCode, slug: &str, title: &str) -> Self {
        Self {
            kind: format!("/api/v1/problems#{slug}"),
            title: title.into(),
            status: status.as_u16(),
            detail: None,
            errors: Vec::new(),
            retry_after: None,
            authenticate: false,
        }
    }

    pub fn detail(mut self, d: impl Into<String>) -> Self {
        self.detail = Some(d.into());
        self
    }

    pub fn invalid(errors: &FieldErrors) -> Self {
        let mut p = Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "The request has invalid fields",
        );
        p.errors = errors
            .0
            .iter()
            .map(|e| FieldProblem {
                field: e.field.clone(),
                code: e.code,
                message: crate::i18n::t(crate::i18n::Lang::En, &format!("error.{}", e.code)),
            })
            .collect();
        p
    }

    pub fn unauthorized() -> Self {
        let mut p = Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "A valid bearer token is required")
            .detail("Send `Authorization: Bearer kp_<id>_<secret>`; tokens are issued with `kotapintar client create`.");
        p.authenticate = true;
        p
    }

    pub fn missing_scope(scope: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "scope",
            "The client lacks the scope this call needs",
        )
        .detail(format!("needs scope `{scope}`"))
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(&self)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(s) = self.retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if self.authenticate {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<StorageError> for Problem {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Invalid(f) => Problem::invalid(&f),
            StorageError::NotFound => Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found"),
            StorageError::Forbidden => {
                Problem::new(StatusCode::FORBIDDEN, "forbidden", "Not permitted")
            }
            StorageError::Conflict(m) => {
                Problem::new(StatusCode::CONFLICT, "conflict", "Conflict").detail(m)
            }
            other => {
                tracing::error!(error = %other, "api call failed");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                )
            }
        }
    }
}

impl From<WebError> for Problem {
    fn from(e: WebError) -> Self {
        match e {
            WebError::NotFound => Problem::new(StatusCode::NOT_FOUND, "not-found", "Not found"),
            other => {
                tracing::error!(error = %other, "api call failed");
                Problem::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Internal error",
                )
            }
        }
    }
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
        if let Err(wait) = state.rate_limiter.check(&client) {
            let mut p = Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limit",
                "Too many calls",
            )
            .detail(format!(
                "this client may make {} calls a minute",
                client.rate_limit_per_minute
            ));
            p.retry_after = Some(wait);
            return Err(p);
        }
        Ok(Client(client))
    }
}

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

#[derive(Serialize)]
pub struct EventPage {
    events: Vec<events::Event>,
    /// Pass as `after` to get what follows.
    next_cursor: i64,
}

/// The unit's events after a cursor. Clients behind NAT sync with this instead of webhooks.
pub async fn list_events(
    State(state): State<AppState>,
    Client(client): Client,
    Query(q): Query<EventsQuery>,
) -> Result<Json<EventPage>, Problem> {
    if !client.has_scope("events:read") {
        return Err(Problem::missing_scope("events:read"));
    }
    let mut e = FieldErrors::new();
    let after = match q.after.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => 0,
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .unwrap_or_else(|| {
                e.add("after", "invalid_cursor");
                0
            }),
    };
    let limit = match q.limit.as_deref() {
        None => 100,
        Some(s) => s
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=1000).contains(n))
            .unwrap_or_else(|| {
                e.add("limit", "invalid_limit");
                100
            }),
    };
    let wait = match q.wait.as_deref() {
        None => 0,
        Some(s) => s
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= 30)
            .unwrap_or_else(|| {
                e.add("wait", "invalid_wait");
                0
            }),
    };
    if !e.is_empty() {
        return Err(Problem::invalid(&e));
    }
    let deadline = Instant::now() + Duration::from_secs(wait);
    loop {
        let page = events::after(&state.store.reader, after, Some(client.unit_id), limit).await?;
        if !page.is_empty() || Instant::now() >= deadline {
            let next_cursor = page.last().map(|e| e.seq).unwrap_or(after);
            return Ok(Json(EventPage {
                events: page,
                next_cursor,
            }));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
