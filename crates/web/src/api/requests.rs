//! `/api/v1/requests`: the requests a client's unit handles; filing one on a resident's
//! behalf, workflow steps and photos.

use super::extract::{ApiPath, ApiQuery, Post};
use super::idempotency::{once, Call};
use super::problem::Problem;
use super::{extract, openapi, require, Client, MAX_PAGE};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kotapintar_domain::client::ApiClient;
use kotapintar_domain::FieldErrors;
use kotapintar_storage::StorageError;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::collections::HashMap;

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
    params(("status" = Option<String>, Query, pattern = "^(diterima|diverifikasi|ditolak|didisposisikan|ditindaklanjuti|selesai|ditutup|menunggu_validasi|dialihkan|ditunda)?$", description = "Only requests in this status: diterima, diverifikasi, ditolak, didisposisikan, ditindaklanjuti, selesai, ditutup, menunggu_validasi, dialihkan or ditunda (empty: every status)"), ("page" = Option<i64>, Query, minimum = 0, maximum = 1000000, description = "From 0, 50 a page; beyond page 1000000 page by cursor"), ("cursor" = Option<i64>, Query, minimum = 1, description = "Cursor paging: the previous answer's next_cursor (stable while new requests arrive)")),
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
    let page = extract::bounded(
        &mut e,
        "page",
        q.page.as_deref(),
        0,
        0,
        MAX_PAGE,
        "invalid_page",
    );
    let cursor = q
        .cursor
        .as_deref()
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
        .then(|| rows.last().map(|r| r.record.id.0))
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
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200, description = "Same key, same answer: the call is done once")),
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
    /// For `refer`: the outside agency's id.
    #[serde(default)]
    agency: Option<i64>,
    /// For `defer`: the date (YYYY-MM-DD) the request waits until.
    #[serde(default)]
    #[schema(format = Date)]
    until: Option<String>,
}

/// A step on a request the client's unit handles: start, resolve, comment, forward, assign,
/// refer (bukan wewenang), defer, resume.
#[utoipa::path(post, path = "/api/v1/requests/{code}/steps", tag = "requests", security(("bearer" = [])),
    request_body = StepBody,
    params(("code" = String, Path, description = "Tracking code"), ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200, description = "Same key, same answer")),
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
            // no wrong door: the reason is the note, as for a forward
            "refer" => StaffAction::Refer {
                agency: body
                    .agency
                    .ok_or_else(|| Problem::invalid(&FieldErrors::single("agency", "required")))?,
                reason: body.note.unwrap_or_default(),
            },
            "defer" => StaffAction::Defer {
                until: body.until.unwrap_or_default(),
                reason: body.note.unwrap_or_default(),
            },
            "resume" => StaffAction::Resume { note: body.note },
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

/// Adds photos (multipart, field `photo`, repeated) to a request the client's unit handles,
/// checked like a resident's: by content, 10 MB each, metadata removed.
#[utoipa::path(post, path = "/api/v1/requests/{code}/photos", tag = "requests", security(("bearer" = [])),
    params(("code" = String, Path, description = "Tracking code"), ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 200, description = "Same key, same answer: the photos are added once")),
    request_body(content_type = "multipart/form-data", content = openapi::PhotoUpload, description = "One or more `photo` parts"),
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
    let (parts, unknown) = match photo_parts(&post).await {
        Ok(p) => p,
        Err(p) => return p.into_response(),
    };
    // The key is bound to the photos (and any refused part names), not to the multipart body:
    // its boundary changes from one try to the next.
    let digests: Vec<u8> = parts
        .iter()
        .map(|b| sha2::Sha256::digest(b).to_vec())
        .chain(unknown.iter().map(|n| sha2::Sha256::digest(n).to_vec()))
        .flatten()
        .collect();
    let call = match Call::begin_with(&client, "requests:write", &post, &digests) {
        Ok(c) => c,
        Err(p) => return p.into_response(),
    };
    let (st, cl) = (state.clone(), client.clone());
    once(&state, &client, call, move || async move {
        attach(st, cl, code, parts, unknown).await
    })
    .await
}

/// The `photo` parts of a multipart body, and the names of any other parts (refused, as a
/// JSON body's unknown fields are, so that what a client sends is never silently dropped).
async fn photo_parts(post: &Post) -> Result<(Vec<axum::body::Bytes>, Vec<String>), Problem> {
    let mut form = post.multipart().await?;
    let mut parts = Vec::new();
    let mut unknown = Vec::new();
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Ok((parts, unknown)),
            Err(e) => {
                return Err(Problem::malformed(
                    format!("not a readable multipart body: {e}"),
                    Vec::new(),
                ))
            }
        };
        if field.name() != Some("photo") {
            unknown.push(field.name().unwrap_or_default().to_string());
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
    unknown: Vec<String>,
) -> Result<(StatusCode, serde_json::Value), Problem> {
    let code = kotapintar_domain::request::normalise_tracking_code(&code)
        .ok_or_else(|| Problem::from(StorageError::NotFound))?;
    let id = kotapintar_storage::requests::id_by_code(&state.store, &code).await?;
    let mut photos = Vec::new();
    let mut errors = FieldErrors::new();
    if parts.is_empty() {
        errors.add("photo", "required");
    }
    for name in unknown {
        errors.add(name, "unknown_field");
    }
    for (index, bytes) in parts.into_iter().enumerate() {
        match tokio::task::spawn_blocking(move || kotapintar_storage::media::clean_photo(&bytes))
            .await
        {
            Ok(Ok(c)) => photos.push(kotapintar_storage::requests::PhotoFile::from(c)),
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
