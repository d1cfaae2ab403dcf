//! The JSON API for the units' own applications (`/api/v1`). Clients authenticate with a
//! bearer token; errors are RFC 9457 problem+json, one entry per invalid field.

use crate::{AppState, WebError};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use kotapintar_domain::client::ApiClient;
use kotapintar_domain::FieldErrors;
use kotapintar_storage::{clients, events, StorageError};
use sha2::Digest;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[path = "api_content.rs"]
pub mod content;
mod extract;
mod idempotency;
mod openapi;
mod problem;

pub use extract::{parse_json, ApiPath, ApiQuery, Post};
pub use idempotency::{once, Call};
pub use problem::{FieldProblem, Problem, ProblemType};
use openapi::CommonAnswers;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
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
    let after = extract::bounded(&mut e, "after", q.after.as_deref(), 0, 0, i64::MAX, "invalid_cursor");
    let limit = extract::bounded(&mut e, "limit", q.limit.as_deref(), 100, 1, 1000, "invalid_limit");
    let wait = extract::bounded(&mut e, "wait", q.wait.as_deref(), 0, 0, MAX_WAIT, "invalid_wait");
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

fn require(client: &ApiClient, scope: &str) -> Result<(), Problem> {
    if client.has_scope(scope) {
        Ok(())
    } else {
        Err(Problem::missing_scope(scope))
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiRequest {
    /// The request as the public sees it (tracking_code, kind, title, description, status,
    /// location, dates, units, timeline with public notes); never the reporter's contact.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    request: kotapintar_domain::privacy::PublicRequest,
    /// Rahasia: never shown to the public; this client sees it because its unit handles it.
    confidential: bool,
}

#[derive(Deserialize)]
pub struct RequestsQuery {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    page: Option<String>,
    /// Cursor paging: pass the previous answer's `next_cursor`.
    #[serde(default)]
    cursor: Option<String>,
}

/// The last page `GET /requests` answers (50 a page: 50 million requests; beyond that, page
/// by cursor). Bounded so the offset never overflows.
pub const MAX_PAGE: i64 = 1_000_000;
/// The longest long-poll of `GET /events`, in seconds.
pub const MAX_WAIT: i64 = 30;

#[derive(Serialize, utoipa::ToSchema)]
pub struct RequestPage {
    requests: Vec<ApiRequest>,
    total: u64,
    page: u64,
    /// For the next page (`?cursor=`), when there may be more.
    next_cursor: Option<i64>,
}

/// The requests the client's unit handles, newest first, 50 a page.
#[utoipa::path(get, path = "/api/v1/requests", tag = "requests", security(("bearer" = [])),
    params(("status" = Option<openapi::RequestStatusName>, Query, description = "Only requests in this status"), ("page" = Option<i64>, Query, minimum = 0, maximum = 1000000, description = "From 0, 50 a page; beyond page 1000000 page by cursor"), ("cursor" = Option<i64>, Query, minimum = 1, description = "Cursor paging: the previous answer's next_cursor (stable while new requests arrive)")),
    responses((status = 200, body = RequestPage), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"), (status = 403, description = "The client lacks the scope", body = Problem, content_type = "application/problem+json"), (status = 429, description = "Rate limit; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn list_requests(
    State(state): State<AppState>,
    Client(client): Client,
    ApiQuery(q): ApiQuery<RequestsQuery>,
) -> Result<Json<RequestPage>, Problem> {
    require(&client, "requests:read")?;
    let actor = kotapintar_domain::policy::Actor::for_client(&client);
    let mut e = FieldErrors::new();
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => kotapintar_domain::request::Status::parse(s)
            .map_err(|c| e.add("status", c))
            .ok(),
    };
    let page = extract::bounded(&mut e, "page", q.page.as_deref(), 0, 0, MAX_PAGE, "invalid_page");
    let cursor = q
        .cursor
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| extract::bounded(&mut e, "cursor", Some(c), 1, 1, i64::MAX, "invalid_cursor"));
    if !e.is_empty() {
        return Err(Problem::invalid_parameters(&e));
    }
    // within 0..=MAX_PAGE
    let page = page.unsigned_abs();
    let filter = kotapintar_storage::requests::InboxFilter {
        status,
        before_id: cursor,
        ..Default::default()
    };
    let (rows, total) =
        kotapintar_storage::requests::inbox(&state.store, &actor, &filter, page, 50).await?;
    let next_cursor = (rows.len() == 50)
        .then(|| rows.last().map(|r| r.record.id))
        .flatten();
    let requests = rows
        .into_iter()
        .filter_map(|row| {
            let confidential = row.record.confidential;
            let mut rec = row.record;
            rec.confidential = false;
            kotapintar_domain::privacy::publish(&rec, &[]).map(|request| ApiRequest {
                request,
                confidential,
            })
        })
        .collect();
    Ok(Json(RequestPage {
        requests,
        total,
        page,
        next_cursor,
    }))
}

/// One request by tracking code: a public one, or a confidential one the client's unit handles.
#[utoipa::path(get, path = "/api/v1/requests/{code}", tag = "requests", security(("bearer" = [])),
    params(("code" = String, Path, description = "Tracking code, e.g. BDG-26-7K3Q9")),
    responses((status = 200, body = ApiRequest), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"), (status = 403, description = "The client lacks the scope", body = Problem, content_type = "application/problem+json"), (status = 429, description = "Rate limit; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn get_request(
    State(state): State<AppState>,
    Client(client): Client,
    ApiPath(code): ApiPath<String>,
) -> Result<Json<ApiRequest>, Problem> {
    require(&client, "requests:read")?;
    let code = kotapintar_domain::request::normalise_tracking_code(&code)
        .ok_or_else(|| Problem::from(StorageError::NotFound))?;
    let actor = kotapintar_domain::policy::Actor::for_client(&client);
    let (request, confidential) =
        kotapintar_storage::requests::for_client(&state.store, &actor, &code).await?;
    Ok(Json(ApiRequest {
        request,
        confidential,
    }))
}

/// A request filed by a unit's application on behalf of a resident (e.g. taken by phone).
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequestBody {
    #[serde(default)]
    #[schema(value_type = openapi::RequestKindName, required = true)]
    kind: String,
    /// One of `GET /services`' codes; the request's kind must fit it.
    #[serde(default)]
    #[schema(max_length = 40)]
    service_code: String,
    #[serde(default)]
    #[schema(required = true, min_length = 1, max_length = 150)]
    title: String,
    #[serde(default)]
    #[schema(required = true, min_length = 10, max_length = 5000)]
    description: String,
    /// WGS84; with `longitude`, inside the regency.
    #[serde(default)]
    #[schema(minimum = -90.0, maximum = 90.0)]
    latitude: Option<f64>,
    #[serde(default)]
    #[schema(minimum = -180.0, maximum = 180.0)]
    longitude: Option<f64>,
    #[serde(default)]
    #[schema(max_length = 300)]
    location_address: String,
    /// Kemendagri code of a kecamatan of the regency (`GET /regions`), e.g. `51.03.01`.
    #[serde(default)]
    district_code: String,
    /// Kemendagri code of a desa/kelurahan within `district_code`.
    #[serde(default)]
    village_code: String,
    #[serde(default)]
    contact: ContactBody,
    #[serde(default)]
    anonymous: bool,
    #[serde(default)]
    confidential: bool,
    /// Answers to the service's questions, by question code.
    #[serde(default)]
    #[schema(value_type = Object)]
    answers: HashMap<String, serde_json::Value>,
}

impl NewRequestBody {
    /// The body as a request, checked as far as the domain can without the database (field
    /// errors name answers as `answers.CODE`).
    pub fn into_request(self) -> Result<kotapintar_domain::intake::NewRequest, FieldErrors> {
        let input = kotapintar_domain::intake::RequestInput {
            kind: self.kind,
            service_code: self.service_code,
            title: self.title,
            description: self.description,
            latitude: self.latitude.map(|v| v.to_string()).unwrap_or_default(),
            longitude: self.longitude.map(|v| v.to_string()).unwrap_or_default(),
            location_address: self.location_address,
            district_code: self.district_code,
            village_code: self.village_code,
            name: self.contact.name,
            email: self.contact.email,
            phone: self.contact.phone,
            anonymous: self.anonymous.then(|| "on".into()),
            confidential: self.confidential.then(|| "on".into()),
        };
        let mut answers = Vec::new();
        for (code, v) in self.answers {
            match v {
                serde_json::Value::Array(items) => answers.extend(
                    items
                        .into_iter()
                        .map(|i| (format!("q_{code}"), json_text(i))),
                ),
                other => answers.push((format!("q_{code}"), json_text(other))),
            }
        }
        input.parse(answers).map_err(answer_fields)
    }
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    phone: String,
}

/// Files a request on behalf of a resident. Send an `Idempotency-Key` so a retry never files
/// it twice. The answer includes the resident's private follow-up link.
#[utoipa::path(post, path = "/api/v1/requests", tag = "requests", security(("bearer" = [])),
    request_body = NewRequestBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Same key, same answer: the call is done once")),
    responses((status = 201, body = ApiRequest), (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"), (status = 422, description = "One entry per invalid field", body = Problem, content_type = "application/problem+json"), (status = 409, description = "A call with this key is still running", body = Problem, content_type = "application/problem+json"), (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"), (status = 403, description = "The client lacks the scope", body = Problem, content_type = "application/problem+json"), (status = 429, description = "Rate limit; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn create_request(
    State(state): State<AppState>,
    Client(client): Client,
    post: Post,
) -> Response {
    let (call, body) = match Call::begin(&client, "requests:write", &post)
        .and_then(|call| Ok((call, post.json::<NewRequestBody>()?)))
    {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let st = state.clone();
    once(&state, &client, call, move || async move {
        let new_request = body.into_request().map_err(|e| Problem::invalid(&e))?;
        let calendar = st.calendar().await.map_err(Problem::from)?;
        let done = kotapintar_storage::requests::submit(
            &st.store,
            &st.config.rules,
            &calendar,
            &st.config.uploads,
            new_request,
            vec![],
        )
        .await
        .map_err(|e| match e {
            StorageError::Invalid(f) => Problem::invalid(&answer_fields(f)),
            other => Problem::from(other),
        })?;
        // The client that filed it sees it, even before its unit handles it: as the reporter would.
        let view =
            kotapintar_storage::requests::reporter_view(&st.store, &done.code, &done.token).await?;
        let confidential = view.record.confidential;
        let mut record = view.record;
        record.confidential = false;
        let mut request = kotapintar_domain::privacy::publish(&record, &[])
            .ok_or_else(|| Problem::from(StorageError::NotFound))?;
        request.timeline = view.timeline;
        let mut v = serde_json::to_value(ApiRequest {
            request,
            confidential,
        })
        .unwrap_or_default();
        // the resident's private follow-up link, for the application to pass on to them
        v["follow_url"] = serde_json::Value::String(kotapintar_storage::requests::follow_link(
            &st.config.rules,
            &done.code,
            &done.token,
        ));
        Ok((StatusCode::CREATED, v))
    })
    .await
}

/// Answers arrive as `answers.CODE`; field errors say so (the form's `q_CODE` is internal).
fn answer_fields(mut e: FieldErrors) -> FieldErrors {
    for f in &mut e.0 {
        if let Some(code) = f.field.strip_prefix("q_") {
            f.field = format!("answers.{code}");
        }
    }
    e
}

fn json_text(v: serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepBody {
    #[schema(value_type = openapi::StepAction)]
    action: String,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    response: Option<String>,
    #[serde(default)]
    to_unit: Option<String>,
    #[serde(default)]
    public: bool,
    /// For `assign`: the officer's username (staff of the client's unit).
    #[serde(default)]
    officer: Option<String>,
}

/// A step on a request the client's unit handles: start, resolve, comment, forward, assign.
#[utoipa::path(post, path = "/api/v1/requests/{code}/steps", tag = "requests", security(("bearer" = [])),
    request_body = StepBody,
    params(("code" = String, Path, description = "Tracking code"), ("Idempotency-Key" = Option<String>, Header, description = "Same key, same answer")),
    responses((status = 200, description = "The new status", body = Object), (status = 409, description = "The workflow does not allow this step now", body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"), (status = 403, description = "The client lacks the scope", body = Problem, content_type = "application/problem+json"), (status = 429, description = "Rate limit; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn take_step(
    State(state): State<AppState>,
    Client(client): Client,
    ApiPath(code): ApiPath<String>,
    post: Post,
) -> Response {
    use kotapintar_storage::requests::StaffAction;
    let (call, body) = match Call::begin(&client, "requests:write", &post)
        .and_then(|call| Ok((call, post.json::<StepBody>()?)))
    {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let (st, cl) = (state.clone(), client.clone());
    once(&state, &client, call, move || async move {
        let client = cl;
        let code = kotapintar_domain::request::normalise_tracking_code(&code)
            .ok_or_else(|| Problem::from(StorageError::NotFound))?;
        let id = kotapintar_storage::requests::id_by_code(&st.store, &code).await?;
        let action = match body.action.as_str() {
            "start" => StaffAction::StartWork { note: body.note },
            "resolve" => StaffAction::Resolve {
                response: body.response.unwrap_or_default(),
            },
            "comment" => StaffAction::Comment {
                note: body.note.unwrap_or_default(),
                public: body.public,
            },
            "forward" => {
                let target = body.to_unit.unwrap_or_default();
                let unit = kotapintar_storage::units::find_by_code(&st.store.reader, &target)
                    .await?
                    .ok_or_else(|| {
                        Problem::invalid(&FieldErrors::single("to_unit", "unknown_unit"))
                    })?;
                StaffAction::Forward {
                    to: unit.id,
                    reason: body.note.unwrap_or_default(),
                }
            }
            "assign" => {
                let name = body.officer.unwrap_or_default();
                let officer = kotapintar_storage::users::list(&st.store, None)
                    .await?
                    .into_iter()
                    .find(|u| u.username.as_str() == name.trim().to_lowercase())
                    .ok_or_else(|| {
                        Problem::invalid(&FieldErrors::single("officer", "unknown_user"))
                    })?;
                StaffAction::Assign {
                    officer: officer.id,
                }
            }
            _ => {
                return Err(Problem::invalid(&FieldErrors::single(
                    "action",
                    "invalid_choice",
                )))
            }
        };
        let actor = kotapintar_domain::policy::Actor::for_client(&client);
        let calendar = st.calendar().await.map_err(Problem::from)?;
        let status = kotapintar_storage::requests::act(
            &st.store,
            &st.config.rules,
            &calendar,
            &actor,
            id,
            action,
        )
        .await?;
        Ok((
            StatusCode::OK,
            serde_json::json!({ "tracking_code": code, "status": status }),
        ))
    })
    .await
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
    params(("Idempotency-Key" = Option<String>, Header, description = "Same key, same answer: one subscription")),
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

/// The OpenAPI 3.1 description of this API, generated from the handlers above.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "kotapintar API",
        version = "1",
        description = "For the units' own applications: read and file requests, take workflow steps, follow events (pull or webhooks). Authenticate with `Authorization: Bearer kp_<id>_<secret>` (issued by Kominfo).\n\nErrors are RFC 9457 problem+json; each `type` is a page at `/api/v1/problems/{name}` that says what it means (the list: `/api/v1/problems`). A bad query or path parameter is 400 `invalid-parameter`, an unreadable body 400 `malformed` (every wrong field listed), invalid values 422 `invalid`.\n\nPOSTs take an `Idempotency-Key`: the same key with the same request answers the first answer again; with another method, path or body it is 422 `idempotency-key-mismatch`.\n\nWho holds a request a unit's application files: the central desk, as for every request. It is verified and dispatched there; the filing client sees it in the answer (with the resident's follow-up link, `follow_url`) and may act on it (`/steps`, `/photos`) once it is dispatched to the client's unit. Before that a step is 403 `forbidden`, and a confidential one reads as 404."
    ),
    paths(list_units, list_regions, list_services, list_events, list_requests, get_request, create_request, take_step, attach_photos, list_webhooks, create_webhook, delete_webhook, content::create_content, content::list_content, content::add_progress),
    components(schemas(UnitView, RegionView, VillageView, ServiceView, Problem, FieldProblem, EventPage, ApiRequest, RequestPage, NewRequestBody, ContactBody, StepBody, WebhookBody, WebhookWithLog, DeliveryView, content::ContentView, content::ContentBody, content::ProgressBody, openapi::RequestKindName, openapi::RequestStatusName, openapi::StepAction, openapi::ContentKindName, openapi::EditorialStatusName, openapi::FundSource, openapi::ProjectStatus)),
    modifiers(&BearerAuth, &CommonAnswers),
    tags((name = "reference", description = "Units, areas and services"), (name = "requests", description = "Residents' requests handled by the client's unit"), (name = "events", description = "The unit's event feed"), (name = "webhooks", description = "Signed push delivery of events"), (name = "content", description = "The unit's news, announcements, agenda and projects on the portal"))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

pub fn openapi_json() -> String {
    use utoipa::OpenApi;
    ApiDoc::openapi().to_pretty_json().unwrap_or_default()
}

async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], openapi_json())
}

#[cfg(test)]
mod tests {
    /// Every change to the API shows in review: the committed document must match the code.
    /// Regenerate with `UPDATE_OPENAPI=1 cargo test -p kotapintar-web openapi`.
    #[test]
    fn openapi_snapshot() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
        let now = super::openapi_json();
        if std::env::var("UPDATE_OPENAPI").is_ok() {
            std::fs::write(&path, &now).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == now,
            "the API changed: review and update crates/web/openapi.json (UPDATE_OPENAPI=1)"
        );
        let v: serde_json::Value = serde_json::from_str(&now).unwrap();
        assert_eq!(v["openapi"], "3.1.0");
        assert!(v["paths"]["/api/v1/requests/{code}/steps"]["post"].is_object());
    }
}

/// One operation, for the documentation page.
pub struct DocOp {
    pub method: String,
    pub path: String,
    pub summary: String,
    pub description: String,
    pub params: Vec<(String, String, String)>,
    pub responses: Vec<(String, String)>,
}

#[derive(askama::Template)]
#[template(path = "api_docs.html")]
struct DocsTemplate {
    page: crate::view::Page,
    ops: Vec<DocOp>,
    description: String,
}

/// The API's documentation, rendered on the server from the same OpenAPI document (no
/// JavaScript, no CDN).
pub async fn docs(page: crate::view::Page) -> Result<axum::response::Html<String>, WebError> {
    let doc: serde_json::Value = serde_json::from_str(&openapi_json()).unwrap_or_default();
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    let mut ops = Vec::new();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            for method in ["get", "post", "delete"] {
                let op = &item[method];
                if !op.is_object() {
                    continue;
                }
                let params = op["parameters"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|p| (text(&p["name"]), text(&p["in"]), text(&p["description"])))
                            .collect()
                    })
                    .unwrap_or_default();
                let responses = op["responses"]
                    .as_object()
                    .map(|r| {
                        r.iter()
                            .map(|(code, v)| (code.clone(), text(&v["description"])))
                            .collect()
                    })
                    .unwrap_or_default();
                ops.push(DocOp {
                    method: method.to_uppercase(),
                    path: path.clone(),
                    summary: text(&op["summary"]),
                    description: text(&op["description"]),
                    params,
                    responses,
                });
            }
        }
    }
    crate::view::render(&DocsTemplate {
        page,
        ops,
        description: text(&doc["info"]["description"]),
    })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UnitView {
    id: i64,
    code: String,
    slug: String,
    name: String,
    kind: String,
    parent_id: Option<i64>,
    active: bool,
}

/// The regency's units (perangkat daerah). Any valid client may read them.
#[utoipa::path(get, path = "/api/v1/units", tag = "reference", security(("bearer" = [])),
    responses((status = 200, body = Vec<UnitView>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list_units(
    State(state): State<AppState>,
    Client(_): Client,
) -> Result<Json<Vec<UnitView>>, Problem> {
    Ok(Json(
        kotapintar_storage::units::list(&state.store)
            .await?
            .into_iter()
            .map(|u| UnitView {
                id: u.id.0,
                code: u.code.to_string(),
                slug: u.slug,
                name: u.name,
                kind: u.kind.as_str().into(),
                parent_id: u.parent_id.map(|p| p.0),
                active: u.active,
            })
            .collect(),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RegionView {
    /// Kemendagri code, e.g. `51.03.05`.
    code: String,
    name: String,
    /// The kecamatan's desa/kelurahan.
    villages: Vec<VillageView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VillageView {
    code: String,
    name: String,
}

/// The regency's kecamatan with their desa/kelurahan (Kemendagri codes; idn-area-data, ODbL).
#[utoipa::path(get, path = "/api/v1/regions", tag = "reference", security(("bearer" = [])),
    responses((status = 200, body = Vec<RegionView>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list_regions(
    State(state): State<AppState>,
    Client(_): Client,
) -> Result<Json<Vec<RegionView>>, Problem> {
    let mut out = Vec::new();
    for d in kotapintar_storage::regions::children(&state.store, &state.config.regency).await? {
        let code = kotapintar_domain::region::RegionCode::parse(&d.code)
            .map_err(|_| Problem::from(StorageError::NotFound))?;
        let villages = kotapintar_storage::regions::children(&state.store, &code)
            .await?
            .into_iter()
            .map(|v| VillageView {
                code: v.code,
                name: v.name,
            })
            .collect();
        out.push(RegionView {
            code: d.code,
            name: d.name,
            villages,
        });
    }
    Ok(Json(out))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ServiceView {
    code: String,
    name: String,
    unit_code: String,
    /// pengaduan, aspirasi, permintaan_informasi or permohonan
    kind: String,
    group: Option<String>,
    /// The service's own limit to resolve, in working days.
    time_limit_days: i32,
    requirements: Option<String>,
    /// The extra questions, as Open311 attributes (code, label, datatype, required, options).
    #[schema(value_type = Vec<Object>)]
    questions: Vec<kotapintar_domain::service::Question>,
}

/// The active services of every unit, with their questions.
#[utoipa::path(get, path = "/api/v1/services", tag = "reference", security(("bearer" = [])),
    responses((status = 200, body = Vec<ServiceView>), (status = 401, body = Problem, content_type = "application/problem+json")))]
pub async fn list_services(
    State(state): State<AppState>,
    Client(_): Client,
) -> Result<Json<Vec<ServiceView>>, Problem> {
    Ok(Json(
        kotapintar_storage::services::list(&state.store, true)
            .await?
            .into_iter()
            .map(|s| ServiceView {
                code: s.draft.code,
                name: s.draft.name,
                unit_code: s.draft.unit_code,
                kind: s.draft.kind.as_str().into(),
                group: s.draft.group_name,
                time_limit_days: s.draft.time_limit_days,
                requirements: s.draft.requirements,
                questions: s.draft.questions,
            })
            .collect(),
    ))
}

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

/// Adds photos (multipart, field `photo`, repeated) to a request the client's unit handles,
/// checked like a resident's: by content, 10 MB each, metadata removed.
#[utoipa::path(post, path = "/api/v1/requests/{code}/photos", tag = "requests", security(("bearer" = [])),
    params(("code" = String, Path, description = "Tracking code"), ("Idempotency-Key" = Option<String>, Header, description = "Same key, same answer: the photos are added once")),
    request_body(content_type = "multipart/form-data", description = "One or more `photo` parts"),
    responses((status = 201, description = "How many were added", body = Object), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json")))]
pub async fn attach_photos(
    State(state): State<AppState>,
    Client(client): Client,
    ApiPath(code): ApiPath<String>,
    post: Post,
) -> Response {
    // the scope before the body is read
    if let Err(p) = require(&client, "requests:write") {
        return p.into_response();
    }
    let parts = match photo_parts(&post).await {
        Ok(p) => p,
        Err(p) => return p.into_response(),
    };
    // The key is bound to the photos, not to the multipart body: its boundary changes from
    // one try to the next.
    let digests: Vec<u8> = parts
        .iter()
        .flat_map(|b| sha2::Sha256::digest(b).to_vec())
        .collect();
    let call = match Call::begin_with(&client, "requests:write", &post, &digests) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let (st, cl) = (state.clone(), client.clone());
    once(&state, &client, call, move || async move {
        attach(st, cl, code, parts).await
    })
    .await
}

/// The `photo` parts of a multipart body (other parts are ignored).
async fn photo_parts(post: &Post) -> Result<Vec<axum::body::Bytes>, Problem> {
    let mut form = post.multipart().await?;
    let mut parts = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Ok(parts),
            Err(e) => {
                return Err(Problem::malformed(
                    format!("not a readable multipart body: {e}"),
                    Vec::new(),
                ))
            }
        };
        if field.name() != Some("photo") {
            continue;
        }
        let bytes = field.bytes().await.map_err(|e| {
            Problem::malformed(format!("a photo part could not be read: {e}"), Vec::new())
        })?;
        parts.push(bytes);
    }
}

async fn attach(
    state: AppState,
    client: ApiClient,
    code: String,
    parts: Vec<axum::body::Bytes>,
) -> Result<(StatusCode, serde_json::Value), Problem> {
    let code = kotapintar_domain::request::normalise_tracking_code(&code)
        .ok_or_else(|| Problem::from(StorageError::NotFound))?;
    let id = kotapintar_storage::requests::id_by_code(&state.store, &code).await?;
    let mut photos = Vec::new();
    let mut errors = FieldErrors::new();
    if parts.is_empty() {
        errors.add("photo", "required");
    }
    for (index, bytes) in parts.into_iter().enumerate() {
        match tokio::task::spawn_blocking(move || kotapintar_storage::media::clean_photo(&bytes))
            .await
        {
            Ok(Ok(c)) => photos.push(kotapintar_storage::requests::PhotoFile {
                extension: c.kind.extension(),
                mime: c.kind.mime(),
                width: c.width,
                height: c.height,
                bytes: c.bytes,
                thumbnail: c.thumbnail,
            }),
            Ok(Err(e)) => errors.add(format!("photo[{index}]"), e.code()),
            Err(_) => errors.add(format!("photo[{index}]"), "photo_corrupt"),
        }
    }
    if !errors.is_empty() {
        return Err(Problem::invalid(&errors));
    }
    let actor = kotapintar_domain::policy::Actor::for_client(&client);
    let n = kotapintar_storage::requests::attach_photos(
        &state.store,
        &state.config.uploads,
        &actor,
        id,
        photos,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        serde_json::json!({ "tracking_code": code, "added": n }),
    ))
}
