//! Open311 GeoReport v2 under `/open311/v2`, so existing 311 clients (FixMyStreet among them)
//! can file and read requests without custom work.
//!
//! Every path ends in `.xml` or `.json`. Each answer is built once as a small tree (`Node`)
//! and written in either format: JSON follows the spec's "Spark convention" (a container
//! element disappears, repeated children are always an array), XML uses exactly the spec's
//! element names.
//!
//! Privacy: requests leave only as `PublicRequest` (`requests::public_by_code` and
//! `requests::public_list`), which cannot hold a reporter's contact or a `rahasia` request.
//! Filing goes through the same domain and storage path as the public form (`lapor.rs`).
//!
//! mySociety's `servicerequestupdates`: GET lists the public timeline entries of public
//! requests (from `PublicRequest` only); POST lets a unit's client take a step through
//! `requests::act`, with the same permissions and workflow as staff.
//!
//! Here: the routes, parameters and the GET methods; `output` (the tree, its two formats and
//! the error list), `create` (POST requests), `updates` (servicerequestupdates).

use crate::error::ErrorClass;
use crate::AppState;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, RawQuery, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, SecondsFormat, Utc};
use kotapintar_domain::client::ApiClient;
use kotapintar_domain::intake::{NewRequest, RequestInput};
use kotapintar_domain::policy::Actor;
use kotapintar_domain::privacy::{PublicEvent, PublicRequest};
use kotapintar_domain::request::{normalise_tracking_code, RejectReason, Status};
use kotapintar_domain::service::{Datatype, Service};
use kotapintar_domain::FieldErrors;
use kotapintar_storage::clients::Idempotency;
use kotapintar_storage::requests::{self, PhotoFile, PublicFilter, StaffAction};
use kotapintar_storage::{clients, media, services, StorageError};

/// The spec's defaults for GET requests: the last 90 days, at most 1000 requests.
const DEFAULT_DAYS: i64 = 90;
const MAX_REQUESTS: u64 = 1000;
/// The spec's limit for a request's description.
const MAX_DESCRIPTION: usize = 4000;
/// The title of a request filed over Open311 (which has no title): its description's first line.
const MAX_TITLE: usize = 100;
const MAX_PHOTOS: usize = kotapintar_storage::drafts::MAX_PHOTOS;
/// When the shape of this API last changed. Clients refresh cached services when it grows.
const CHANGESET: &str = "2026-11-29T00:00:00+08:00";
const SPECIFICATION: &str = "http://wiki.open311.org/GeoReport_v2";

mod create;
mod output;
mod updates;

pub use create::request_from_form;
use create::*;
use output::*;
use updates::*;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/open311/v2/{file}",
            get(top_level)
                .post(create)
                // multipart `media` uploads (extension): five photos of up to 10 MB
                .layer(DefaultBodyLimit::max(52 * 1024 * 1024)),
        )
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
}

// ---------------------------------------------------------------------------------------
// Parameters

/// Query or form fields in order, repeats kept (`attribute[x][]`, `media_url`).
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: &str) -> Self {
        Self(serde_urlencoded::from_str(raw).unwrap_or_default())
    }

    /// A parameter's value; the spec says an empty parameter counts as absent.
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == key && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    fn list(&self, key: &str) -> Vec<String> {
        self.get(key)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn extensions(&self) -> bool {
        matches!(self.get("extensions"), Some("true" | "1"))
    }
}

/// How an answer is written for this caller: the spec's fields only, or with the
/// extensions (`extensions=true`); statuses as the spec's `open`/`closed`, or as mySociety's
/// extended statuses. Updates carry extended statuses with `extensions=true`; both requests
/// and updates carry them for a client whose key has the `open311:extended` scope
/// (FixMyStreet never sends `extensions=true`, and reads a plain `closed` as "fixed").
#[derive(Debug, Clone, Copy, Default)]
struct Style {
    extensions: bool,
    /// The client's setting (`EXTENDED_STATUS_SCOPE`).
    client_extended: bool,
}

/// The scope that makes a client's answers carry extended statuses without
/// `extensions=true` (a setting per client, chosen with its other scopes).
pub const EXTENDED_STATUS_SCOPE: &str = "open311:extended";

/// The style of a GET answer. An `api_key` is not needed to read, but when one is sent it
/// must be valid (a client with a typo in its key would otherwise silently get other
/// statuses than it was set up for).
async fn style_of(state: &AppState, params: &Params) -> Result<Style, Fail> {
    let mut client_extended = false;
    if let Some(key) = params.get("api_key") {
        let client = clients::authenticate(&state.store, key)
            .await?
            .ok_or_else(|| Fail::forbidden("api_key is not valid"))?;
        client_extended = client.has_scope(EXTENDED_STATUS_SCOPE);
    }
    Ok(Style {
        extensions: params.extensions(),
        client_extended,
    })
}

/// The spec's `jurisdiction_id`: optional for a server with one jurisdiction, but when it is
/// sent it must be this regency's Kemendagri code (`51.03`; the BPS form `5103` is taken
/// too), or the host of its public address (the spec's examples are domains, and
/// FixMyStreet is often set up with one). Another one is 404: a client sending it is talking
/// to the wrong server.
fn check_jurisdiction(state: &AppState, params: &Params) -> Result<(), Fail> {
    let Some(given) = params.get("jurisdiction_id") else {
        return Ok(());
    };
    let ours = state.config.regency.to_string();
    let host = public_url(state)
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', ':']).next().unwrap_or_default())
        .unwrap_or_default();
    if given == ours
        || given.replace('.', "") == ours.replace('.', "")
        || (!host.is_empty() && given.eq_ignore_ascii_case(host))
    {
        Ok(())
    } else {
        Err(Fail::not_found(format!(
            "jurisdiction_id '{given}' is not served here: this server's jurisdiction is {ours}"
        )))
    }
}

/// A W3C/ISO 8601 datetime with its offset, or a plain date (taken as midnight where the
/// regency is; clients often send only a date).
fn parse_datetime(
    params: &Params,
    key: &str,
    offset: FixedOffset,
) -> Result<Option<DateTime<Utc>>, Fail> {
    let Some(raw) = params.get(key) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(|t| t.and_local_timezone(offset).single())
        .map(|t| Some(t.with_timezone(&Utc)))
        .ok_or_else(|| {
            Fail::bad(format!(
                "{key} '{raw}' is not a valid datetime: use ISO 8601 with a timezone, e.g. 2026-11-28T08:00:00+08:00"
            ))
        })
}

// ---------------------------------------------------------------------------------------
// Handlers

async fn top_level(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let (stem, format) = split_format(&file);
    let params = Params::parse(query.as_deref().unwrap_or(""));
    if let Err(f) = check_jurisdiction(&state, &params) {
        return finish(format, Err(f));
    }
    let answer = match stem {
        "discovery" => Ok(discovery(&state)),
        "services" => service_list(&state).await,
        "requests" => match style_of(&state, &params).await {
            Ok(style) => request_list(&state, &params, style).await,
            Err(f) => Err(f),
        },
        "servicerequestupdates" => match style_of(&state, &params).await {
            Ok(style) => update_list(&state, &params, style).await,
            Err(f) => Err(f),
        },
        _ => Err(Fail::not_found(format!("there is no resource '{stem}'"))),
    };
    finish(format, answer)
}

async fn service_definition(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let (code, format) = split_format(&file);
    let params = Params::parse(query.as_deref().unwrap_or(""));
    if let Err(f) = check_jurisdiction(&state, &params) {
        return finish(format, Err(f));
    }
    finish(format, definition(&state, code).await)
}

async fn one_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let (id, format) = split_format(&file);
    let params = Params::parse(query.as_deref().unwrap_or(""));
    if let Err(f) = check_jurisdiction(&state, &params) {
        return finish(format, Err(f));
    }
    let answer = match style_of(&state, &params).await {
        Ok(style) => single(&state, id, style).await,
        Err(f) => Err(f),
    };
    finish(format, answer)
}

/// Requests are created at once, so a token is simply the tracking code.
async fn token(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let (token, format) = split_format(&file);
    let params = Params::parse(query.as_deref().unwrap_or(""));
    if let Err(f) = check_jurisdiction(&state, &params) {
        return finish(format, Err(f));
    }
    finish(format, token_lookup(&state, token).await)
}

async fn create(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
    req: Request,
) -> Response {
    let (stem, format) = split_format(&file);
    if stem != "requests" && stem != "servicerequestupdates" {
        return finish(
            format,
            Err(Fail::not_found(format!("cannot POST to '{stem}'"))),
        );
    }
    let mut params = Params::parse(query.as_deref().unwrap_or(""));
    let answer = match read_body(&state, req, &mut params).await {
        Err(f) => Err(f),
        // the body may carry `jurisdiction_id` too: checked before anything is looked at
        Ok(uploads) => match check_jurisdiction(&state, &params) {
            Err(f) => Err(f),
            Ok(()) if stem == "requests" => file_request(&state, &params, uploads).await,
            // Photos uploaded with an update are not kept (an update keeps only a
            // `media_url` link), so never decoded.
            Ok(()) => post_update(&state, &params).await,
        },
    };
    finish(format, answer)
}

// ---------------------------------------------------------------------------------------
// The methods

fn public_url(state: &AppState) -> &str {
    state.config.rules.public_url.trim_end_matches('/')
}

fn discovery(state: &AppState) -> (&'static str, Node) {
    let base = public_url(state);
    (
        "discovery",
        Node::Object(vec![
            ("changeset", Node::text(CHANGESET)),
            ("contact", Node::text(format!("Dinas Komunikasi dan Informatika, {base}/"))),
            (
                "key_service",
                Node::text(format!(
                    "Ask Dinas Kominfo for an integration client with the open311:write scope ({base}/)"
                )),
            ),
            (
                "endpoints",
                Node::List(
                    "endpoint",
                    vec![Node::Object(vec![
                        ("specification", Node::text(SPECIFICATION)),
                        ("url", Node::text(format!("{base}/open311/v2"))),
                        ("changeset", Node::text(CHANGESET)),
                        ("type", Node::text("production")),
                        (
                            "formats",
                            Node::List(
                                "format",
                                vec![Node::text("text/xml"), Node::text("application/json")],
                            ),
                        ),
                    ])],
                ),
            ),
            ("max_requests", Node::Int(MAX_REQUESTS as i64)),
        ]),
    )
}

async fn service_list(state: &AppState) -> Answer {
    let all = services::list(&state.store, true).await?;
    let items = all
        .iter()
        .map(|s| {
            let d = &s.draft;
            Node::Object(vec![
                ("service_code", Node::text(&d.code)),
                ("service_name", Node::text(&d.name)),
                (
                    "description",
                    Node::text(d.description.clone().unwrap_or_default()),
                ),
                ("metadata", Node::Bool(!d.questions.is_empty())),
                ("type", Node::text("realtime")),
                (
                    "keywords",
                    Node::text(d.keywords.clone().unwrap_or_default()),
                ),
                (
                    "group",
                    Node::text(d.group_name.clone().unwrap_or_default()),
                ),
            ])
        })
        .collect();
    Ok(("services", Node::List("service", items)))
}

async fn active_service(state: &AppState, code: &str) -> Result<Option<Service>, Fail> {
    Ok(services::find_by_code(&state.store, code)
        .await?
        .filter(|s| s.draft.active))
}

async fn definition(state: &AppState, code: &str) -> Answer {
    let s = active_service(state, code)
        .await?
        .ok_or_else(|| Fail::not_found(format!("service_code '{code}' was not found")))?;
    let attributes = s
        .draft
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let datatype_description = match q.datatype {
                Datatype::Number => "a number, e.g. 2.5",
                Datatype::Datetime => "a date or datetime, e.g. 2026-11-28 or 2026-11-28T09:30",
                Datatype::Multivaluelist => "one or more of the values",
                Datatype::Singlevaluelist => "one of the values",
                Datatype::String | Datatype::Text => "",
            };
            Node::Object(vec![
                ("variable", Node::Bool(true)),
                ("code", Node::text(&q.code)),
                ("datatype", Node::text(q.datatype.as_str())),
                ("required", Node::Bool(q.required)),
                ("datatype_description", Node::text(datatype_description)),
                ("order", Node::Int(i as i64 + 1)),
                ("description", Node::text(&q.label)),
                (
                    "values",
                    Node::List(
                        "value",
                        q.options
                            .iter()
                            .map(|o| {
                                Node::Object(vec![("key", Node::text(o)), ("name", Node::text(o))])
                            })
                            .collect(),
                    ),
                ),
            ])
        })
        .collect();
    Ok((
        "service_definition",
        Node::Object(vec![
            ("service_code", Node::text(&s.draft.code)),
            ("attributes", Node::List("attribute", attributes)),
        ]),
    ))
}

async fn find_public(state: &AppState, id: &str) -> Result<PublicRequest, Fail> {
    let not_found = || Fail::not_found(format!("service_request_id '{id}' was not found"));
    let code = normalise_tracking_code(id).ok_or_else(not_found)?;
    requests::public_by_code(&state.store, &code)
        .await?
        .ok_or_else(not_found)
}

async fn single(state: &AppState, id: &str, style: Style) -> Answer {
    let r = find_public(state, id).await?;
    Ok((
        "service_requests",
        Node::List("request", vec![request_node(state, &r, style)]),
    ))
}

async fn token_lookup(state: &AppState, token: &str) -> Answer {
    let r = find_public(state, token).await.map_err(|f| {
        if f.status == StatusCode::NOT_FOUND {
            Fail::not_found(format!("token '{token}' was not found"))
        } else {
            f
        }
    })?;
    Ok((
        "service_requests",
        Node::List(
            "request",
            vec![Node::Object(vec![
                ("service_request_id", Node::text(&r.tracking_code)),
                ("token", Node::text(&r.tracking_code)),
            ])],
        ),
    ))
}

async fn request_list(state: &AppState, params: &Params, style: Style) -> Answer {
    let Some(q) = list_filter(params, state.config.rules.utc_offset, Utc::now())? else {
        return Ok(("service_requests", Node::List("request", vec![])));
    };
    let (rows, _) = requests::public_list(&state.store, &q.filter, q.page, q.page_size).await?;
    let items = rows.iter().map(|r| request_node(state, r, style)).collect();
    Ok(("service_requests", Node::List("request", items)))
}

/// What a `GET requests` query asks for.
pub struct ListQuery {
    pub filter: PublicFilter,
    /// From 0.
    pub page: u64,
    pub page_size: u64,
}

/// The pure part of `GET requests`: a query string read as a filter and a page, as of `now`,
/// dates without an offset taken where the regency is. `Ok(None)`: it names only requests
/// that cannot exist (malformed codes). `Err`: what is wrong, as the answer says it.
pub fn list_query(
    query: &str,
    offset: FixedOffset,
    now: DateTime<Utc>,
) -> Result<Option<ListQuery>, Vec<String>> {
    list_filter(&Params::parse(query), offset, now).map_err(|f| f.descriptions)
}

fn list_filter(
    params: &Params,
    offset: FixedOffset,
    now: DateTime<Utc>,
) -> Result<Option<ListQuery>, Fail> {
    let extensions = params.extensions();
    let mut filter = PublicFilter {
        with_timeline: true,
        ..Default::default()
    };
    let (mut page, mut page_size) = (0, MAX_REQUESTS);
    let ids = params.list("service_request_id");
    if !ids.is_empty() {
        // The spec: service_request_id overrides every other argument.
        filter.codes = ids
            .iter()
            .filter_map(|i| normalise_tracking_code(i))
            .collect();
        if filter.codes.is_empty() {
            return Ok(None);
        }
    } else {
        filter.service_codes = params
            .list("service_code")
            .into_iter()
            .map(|c| c.to_lowercase())
            .collect();
        let start = parse_datetime(params, "start_date", offset)?;
        let end = parse_datetime(params, "end_date", offset)?;
        if let (Some(s), Some(e)) = (start, end) {
            if s > e {
                return Err(Fail::bad("start_date must not be after end_date"));
            }
        }
        // Without dates, the last 90 days; with one, 90 days from or up to it.
        let days = Duration::days(DEFAULT_DAYS);
        (filter.received_from, filter.received_to) = match (start, end) {
            (None, None) => (Some(now - days), None),
            (Some(s), None) => (Some(s), None),
            (None, Some(e)) => (Some(e - days), Some(e)),
            (Some(s), Some(e)) => (Some(s), Some(e)),
        };
        let mut open = false;
        let mut closed = false;
        for s in params.list("status") {
            match s.to_lowercase().as_str() {
                "open" => open = true,
                "closed" => closed = true,
                _ => {
                    return Err(Fail::bad(format!(
                        "status '{s}' is not one of open, closed"
                    )))
                }
            }
        }
        if open != closed {
            filter.statuses = Status::ALL
                .into_iter()
                .filter(|s| s.is_open() == open)
                .collect();
        }
        if extensions {
            filter.updated_from = parse_datetime(params, "updated_after", offset)?;
            filter.updated_to = parse_datetime(params, "updated_before", offset)?;
            page_size = match params.get("page_size") {
                None => MAX_REQUESTS,
                Some(raw) => raw
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=MAX_REQUESTS).contains(n))
                    .ok_or_else(|| {
                        Fail::bad(format!(
                            "page_size '{raw}' must be a number from 1 to {MAX_REQUESTS}"
                        ))
                    })?,
            };
            page = match params.get("page") {
                None => 0,
                Some(raw) => raw
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n >= 1)
                    .map(|n| n - 1)
                    .ok_or_else(|| Fail::bad(format!("page '{raw}' must be a number from 1")))?,
            };
        }
    }
    Ok(Some(ListQuery {
        filter,
        page,
        page_size,
    }))
}

fn datetime(state: &AppState, t: DateTime<Utc>) -> Node {
    Node::Text(
        t.with_timezone(&state.config.rules.utc_offset)
            .to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// One request in the spec's fields (and, with `extensions=true`, the common extensions).
fn request_node(state: &AppState, r: &PublicRequest, style: Style) -> Node {
    let base = public_url(state);
    let photo_urls: Vec<String> = r
        .photo_ids
        .iter()
        .map(|id| format!("{base}/foto/{id}"))
        .chain(r.media_url.clone())
        .collect();
    let latest_note = r
        .timeline
        .iter()
        .rev()
        .find_map(|e| e.note.clone())
        .or_else(|| r.response.clone());
    // a merged duplicate: its status is its primary's, and the note says so
    let status_notes = match &r.merged_into {
        Some(code) => Some(format!(
            "Digabung ke {code} (merged into {code}): status laporan utama"
        )),
        None => latest_note,
    };
    let address = r.location_address.clone().or_else(|| {
        let parts: Vec<&str> = [r.village_name.as_deref(), r.district_name.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    });
    let mut fields = vec![
        ("service_request_id", Node::text(&r.tracking_code)),
        (
            "status",
            Node::text(if style.client_extended {
                extended_status(r.status)
            } else {
                v2_status(r.status)
            }),
        ),
        ("status_notes", Node::opt(status_notes)),
        ("service_name", Node::opt(r.service_name.clone())),
        (
            "service_code",
            Node::text(r.service_code.clone().unwrap_or_default()),
        ),
        (
            "description",
            Node::text(
                r.description
                    .chars()
                    .take(MAX_DESCRIPTION)
                    .collect::<String>(),
            ),
        ),
        (
            "agency_responsible",
            Node::opt((!r.unit_names.is_empty()).then(|| r.unit_names.join(", "))),
        ),
        ("service_notice", Node::Null),
        ("requested_datetime", datetime(state, r.received_at)),
        ("updated_datetime", datetime(state, r.updated_at)),
        (
            "expected_datetime",
            match r.due_at {
                Some(t) if r.status.is_open() => datetime(state, t),
                _ => Node::Null,
            },
        ),
        ("address", Node::opt(address)),
        ("address_id", Node::Null),
        ("zipcode", Node::Null),
        ("lat", r.latitude.map_or(Node::Null, Node::Number)),
        ("long", r.longitude.map_or(Node::Null, Node::Number)),
        // our own photo first; an outside link sent as `media_url` when there is none
        ("media_url", Node::opt(photo_urls.first().cloned())),
    ];
    if style.extensions {
        fields.extend(extension_fields(state, r, photo_urls));
    }
    Node::Object(fields)
}

/// The common extensions of a request: `extended_attributes` and the `notes` timeline.
fn extension_fields(
    state: &AppState,
    r: &PublicRequest,
    photo_urls: Vec<String>,
) -> [(&'static str, Node); 2] {
    let last = r.timeline.len().saturating_sub(1);
    [
        (
            "extended_attributes",
            Node::Object(vec![
                ("title", Node::text(&r.title)),
                ("detailed_status", Node::text(r.status.as_str())),
                ("kind", Node::text(r.kind.as_str())),
                ("district", Node::opt(r.district_name.clone())),
                ("village", Node::opt(r.village_name.clone())),
                ("support_count", Node::Int(r.support_count)),
                (
                    "media_urls",
                    Node::List(
                        "media_url",
                        photo_urls.into_iter().map(Node::Text).collect(),
                    ),
                ),
            ]),
        ),
        (
            "notes",
            Node::List(
                "note",
                r.timeline
                    .iter()
                    .enumerate()
                    .map(|(i, e)| {
                        let kind = if i == 0 {
                            "opened"
                        } else if i == last && !e.to_status.is_open() {
                            "closed"
                        } else {
                            "activity"
                        };
                        Node::Object(vec![
                            ("datetime", datetime(state, e.at)),
                            ("summary", Node::text(&e.step)),
                            ("type", Node::text(kind)),
                            ("status", Node::text(e.to_status.as_str())),
                            ("description", Node::opt(e.note.clone())),
                            ("agency_responsible", Node::opt(e.unit_name.clone())),
                        ])
                    })
                    .collect(),
            ),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_is_an_open311_error_list_in_json_and_xml() {
        for format in [Format::Json, Format::Xml] {
            for class in crate::error::tests::every_class() {
                let retry = class.retry_after();
                let expected = match class.status() {
                    // the spec's codes for the client's mistakes
                    StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY => {
                        StatusCode::BAD_REQUEST
                    }
                    other => other,
                };
                let res = Fail::from(class).respond(format);
                assert_eq!(res.status(), expected);
                assert_eq!(
                    crate::error::tests::retry_after_of(&res),
                    retry,
                    "{expected}"
                );
                let ct = res.headers()[header::CONTENT_TYPE].to_str().unwrap_or("");
                match format {
                    Format::Json => assert!(ct.starts_with("application/json"), "{ct}"),
                    Format::Xml => assert!(ct.starts_with("text/xml"), "{ct}"),
                }
            }
        }
    }

    #[tokio::test]
    async fn an_error_list_has_the_specs_shape() {
        let res = Fail::from(StorageError::NotFound).respond(Format::Json);
        let body = axum::body::to_bytes(res.into_body(), 10_000).await.unwrap();
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v[0]["code"], 404);
        assert!(v[0]["description"].is_string());
        let res = Fail::from(StorageError::Forbidden).respond(Format::Xml);
        let body = axum::body::to_bytes(res.into_body(), 10_000).await.unwrap();
        let xml = String::from_utf8(body.to_vec()).unwrap();
        assert!(
            xml.contains("<errors><error><code>403</code><description>"),
            "{xml}"
        );
    }

    #[test]
    fn attributes_are_read_as_clients_send_them() {
        assert_eq!(attribute_code("attribute[jenis]"), Some("jenis"));
        assert_eq!(attribute_code("attribute[jenis][]"), Some("jenis"));
        assert_eq!(attribute_code("attribute[]"), None);
        assert_eq!(attribute_code("attributes"), None);
    }

    #[test]
    fn titles_come_from_the_first_line() {
        assert_eq!(
            title_from("\n  Lubang besar\nDi depan", "Jalan"),
            "Lubang besar"
        );
        assert_eq!(title_from("", "Jalan rusak"), "Jalan rusak");
        assert_eq!(title_from(&"a".repeat(300), "x").chars().count(), MAX_TITLE);
    }

    #[test]
    fn xml_is_escaped_and_stray_control_characters_dropped() {
        let mut out = String::new();
        Node::Object(vec![
            ("a", Node::text("<b> & \"c\" \u{1}'d'")),
            ("e", Node::List("f", vec![Node::Int(1), Node::Null])),
            ("g", Node::List("h", vec![])),
        ])
        .xml("root", &mut out);
        assert_eq!(
            out,
            "<root><a>&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;</a><e><f>1</f><f/></e><g/></root>"
        );
    }

    #[test]
    fn json_follows_the_spark_convention() {
        let n = Node::List(
            "request",
            vec![Node::Object(vec![(
                "service_request_id",
                Node::text("BDG-26-ABCDE"),
            )])],
        );
        assert_eq!(
            n.json().to_string(),
            r#"[{"service_request_id":"BDG-26-ABCDE"}]"#
        );
    }

    #[test]
    fn posted_statuses_become_our_steps() {
        let step = |status: &str, current: Status| {
            update_action(status, current, "Jalan sudah ditambal.".into()).map(|a| format!("{a:?}"))
        };
        assert!(step("IN_PROGRESS", Status::Didisposisikan)
            .unwrap()
            .starts_with("StartWork"));
        assert!(step("IN_PROGRESS", Status::Ditindaklanjuti)
            .unwrap()
            .starts_with("Comment"));
        assert!(step("OPEN", Status::Ditindaklanjuti)
            .unwrap()
            .contains("public: true"));
        assert!(step("FIXED", Status::Ditindaklanjuti)
            .unwrap()
            .starts_with("Resolve"));
        assert!(step("DUPLICATE", Status::Didisposisikan)
            .unwrap()
            .starts_with("Reject"));
        for refused in ["OPEN", "REOPEN"] {
            assert_eq!(
                step(refused, Status::Selesai).unwrap_err().status,
                StatusCode::BAD_REQUEST
            );
        }
        for refused in ["INTERNAL_REFERRAL", "FOR_TRIAGE", "CANCELLED", "selesai"] {
            assert_eq!(
                step(refused, Status::Didisposisikan).unwrap_err().status,
                StatusCode::BAD_REQUEST
            );
        }
        // every one of ours has an extended status a client can read back
        for s in Status::ALL {
            assert!(UPDATE_STATUSES.contains(extended_status(s)));
        }
    }

    #[test]
    fn formats_come_from_the_suffix() {
        assert_eq!(
            split_format("requests.json"),
            ("requests", Some(Format::Json))
        );
        assert_eq!(
            split_format("BDG-26-ABCDE.xml"),
            ("BDG-26-ABCDE", Some(Format::Xml))
        );
        assert_eq!(split_format("requests"), ("requests", None));
    }
}
