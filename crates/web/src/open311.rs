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
// Output: one tree, two formats

/// An answer before it is written as XML or JSON.
enum Node {
    Null,
    Text(String),
    Number(f64),
    Int(i64),
    Bool(bool),
    Object(Vec<(&'static str, Node)>),
    /// Repeated children: the item element's name and the items.
    List(&'static str, Vec<Node>),
}

impl Node {
    fn text(s: impl Into<String>) -> Self {
        Self::Text(s.into())
    }

    fn opt(s: Option<impl Into<String>>) -> Self {
        s.map_or(Self::Null, |s| Self::Text(s.into()))
    }

    fn json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Self::Null => Value::Null,
            Self::Text(t) => Value::String(t.clone()),
            Self::Number(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Self::Int(i) => Value::from(*i),
            Self::Bool(b) => Value::Bool(*b),
            Self::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), v.json()))
                    .collect(),
            ),
            Self::List(_, items) => Value::Array(items.iter().map(Node::json).collect()),
        }
    }

    fn xml(&self, name: &str, out: &mut String) {
        let open = |out: &mut String| {
            out.push('<');
            out.push_str(name);
            out.push('>');
        };
        let close = |out: &mut String| {
            out.push_str("</");
            out.push_str(name);
            out.push('>');
        };
        match self {
            Self::Null => {
                out.push('<');
                out.push_str(name);
                out.push_str("/>");
            }
            Self::List(_, items) if items.is_empty() => Self::Null.xml(name, out),
            Self::Text(t) => {
                open(out);
                escape_xml(t, out);
                close(out);
            }
            Self::Number(n) => {
                open(out);
                out.push_str(&n.to_string());
                close(out);
            }
            Self::Int(i) => {
                open(out);
                out.push_str(&i.to_string());
                close(out);
            }
            Self::Bool(b) => {
                open(out);
                out.push_str(if *b { "true" } else { "false" });
                close(out);
            }
            Self::Object(fields) => {
                open(out);
                for (k, v) in fields {
                    v.xml(k, out);
                }
                close(out);
            }
            Self::List(item, items) => {
                open(out);
                for v in items {
                    v.xml(item, out);
                }
                close(out);
            }
        }
    }
}

/// Escapes text for XML and drops the characters XML 1.0 cannot carry at all (most control
/// characters): residents' text can hold anything, and one stray byte would make the whole
/// document unreadable for an XML-only client such as FixMyStreet.
fn escape_xml(t: &str, out: &mut String) {
    for c in t.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Xml,
    Json,
}

/// `requests.json` → (`requests`, JSON). An unknown suffix is answered in XML, the format
/// every GeoReport v2 client understands.
fn split_format(file: &str) -> (&str, Option<Format>) {
    match file.rsplit_once('.') {
        Some((stem, "xml")) => (stem, Some(Format::Xml)),
        Some((stem, "json")) => (stem, Some(Format::Json)),
        _ => (file, None),
    }
}

fn respond(format: Format, status: StatusCode, root: &'static str, node: &Node) -> Response {
    match format {
        Format::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            node.json().to_string(),
        )
            .into_response(),
        Format::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
            node.xml(root, &mut out);
            (
                status,
                [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
                out,
            )
                .into_response()
        }
    }
}

/// An answer: its root element and its content, or the errors.
type Answer = Result<(&'static str, Node), Fail>;

fn finish(format: Option<Format>, answer: Answer) -> Response {
    let Some(format) = format else {
        return Fail::not_found("unknown format: the path must end in .xml or .json")
            .respond(Format::Xml);
    };
    match answer {
        Ok((root, node)) => respond(format, StatusCode::OK, root, &node),
        Err(f) => f.respond(format),
    }
}

/// The spec's error answer: a list of `{code, description}` with 400, 403 or 404 (and, for
/// failures that are not the client's, 413, 429, 500 or 503).
#[derive(Debug)]
struct Fail {
    status: StatusCode,
    descriptions: Vec<String>,
    retry_after: Option<u64>,
}

impl Fail {
    fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Self {
            status,
            descriptions: vec![description.into()],
            retry_after: None,
        }
    }

    fn bad(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, description)
    }

    fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, description)
    }

    fn forbidden(description: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, description)
    }

    fn respond(self, format: Format) -> Response {
        let code = i64::from(self.status.as_u16());
        let node = Node::List(
            "error",
            self.descriptions
                .into_iter()
                .map(|d| {
                    Node::Object(vec![
                        ("code", Node::Int(code)),
                        ("description", Node::Text(d)),
                    ])
                })
                .collect(),
        );
        let mut res = respond(format, self.status, "errors", &node);
        if let Some(s) = self.retry_after {
            crate::error::set_retry_after(&mut res, s);
        }
        res
    }
}

/// The Open311 mapping: every class as the spec's error list. The spec knows 400, 403 and
/// 404; a conflict is a 400 that says why. Failures of ours are 500 or 503 (not the spec's
/// catch-all 400), so that clients retry later instead of dropping the report.
impl From<ErrorClass> for Fail {
    fn from(c: ErrorClass) -> Self {
        c.log("open311");
        let retry_after = c.retry_after();
        let mut fail = match c {
            ErrorClass::NotFound => Self::not_found("not found"),
            ErrorClass::Forbidden => Self::forbidden("this client may not do this"),
            ErrorClass::Conflict(why) => Self::bad(format!("this cannot be done now: {why}")),
            ErrorClass::Invalid(e) => field_errors(e),
            ErrorClass::Malformed(why) => Self::bad(why),
            ErrorClass::TooLarge => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "the request is too large")
            }
            ErrorClass::RateLimited { .. } => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests; try again later",
            ),
            ErrorClass::Unavailable { .. } => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the service cannot store anything right now; nothing was stored, try again later",
            ),
            ErrorClass::Internal(_) => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the server could not answer; try again later",
            ),
        };
        fail.retry_after = retry_after;
        fail
    }
}

impl From<StorageError> for Fail {
    fn from(e: StorageError) -> Self {
        Self::from(ErrorClass::from(e))
    }
}

impl From<crate::WebError> for Fail {
    fn from(e: crate::WebError) -> Self {
        Self::from(ErrorClass::from(e))
    }
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
    let answer = match stem {
        "discovery" => Ok(discovery(&state)),
        "services" => service_list(&state).await,
        "requests" => request_list(&state, &params).await,
        "servicerequestupdates" => update_list(&state, &params).await,
        _ => Err(Fail::not_found(format!("there is no resource '{stem}'"))),
    };
    finish(format, answer)
}

async fn service_definition(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let (code, format) = split_format(&file);
    finish(format, definition(&state, code).await)
}

async fn one_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let (id, format) = split_format(&file);
    let params = Params::parse(query.as_deref().unwrap_or(""));
    finish(format, single(&state, id, params.extensions()).await)
}

/// Requests are created at once, so a token is simply the tracking code.
async fn token(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let (token, format) = split_format(&file);
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
        Ok(uploads) if stem == "requests" => file_request(&state, &params, uploads).await,
        // Photos sent with an update are not kept (a timeline entry has none), so never decoded.
        Ok(_) => post_update(&state, &params).await,
        Err(f) => Err(f),
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

async fn single(state: &AppState, id: &str, extensions: bool) -> Answer {
    let r = find_public(state, id).await?;
    Ok((
        "service_requests",
        Node::List("request", vec![request_node(state, &r, extensions)]),
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

async fn request_list(state: &AppState, params: &Params) -> Answer {
    let extensions = params.extensions();
    let Some(q) = list_filter(params, state.config.rules.utc_offset, Utc::now())? else {
        return Ok(("service_requests", Node::List("request", vec![])));
    };
    let (rows, _) = requests::public_list(&state.store, &q.filter, q.page, q.page_size).await?;
    let items = rows
        .iter()
        .map(|r| request_node(state, r, extensions))
        .collect();
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
fn request_node(state: &AppState, r: &PublicRequest, extensions: bool) -> Node {
    let base = public_url(state);
    let photo_urls: Vec<String> = r
        .photo_ids
        .iter()
        .map(|id| format!("{base}/foto/{id}"))
        .collect();
    let status_notes = r
        .timeline
        .iter()
        .rev()
        .find_map(|e| e.note.clone())
        .or_else(|| r.response.clone());
    let address = r.location_address.clone().or_else(|| {
        let parts: Vec<&str> = [r.village_name.as_deref(), r.district_name.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    });
    let mut fields = vec![
        ("service_request_id", Node::text(&r.tracking_code)),
        ("status", Node::text(v2_status(r.status))),
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
        ("media_url", Node::opt(photo_urls.first().cloned())),
    ];
    if extensions {
        fields.push((
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
        ));
        let last = r.timeline.len().saturating_sub(1);
        fields.push((
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
        ));
    }
    Node::Object(fields)
}

// ---------------------------------------------------------------------------------------
// POST requests

/// A photo as uploaded, not yet decoded: the field's name and its bytes.
type Upload = (String, Bytes);

/// Reads the body into `params` (URL-encoded, as the spec says, or multipart, as clients
/// that upload photos send it) and returns the photos uploaded as `media` or `photo1..n`,
/// undecoded: decoding costs CPU and memory, so it waits until the `api_key` is checked
/// (`decode_photos`).
async fn read_body(
    state: &AppState,
    req: Request,
    params: &mut Params,
) -> Result<Vec<Upload>, Fail> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| Fail::bad(format!("the body could not be read: {e}")))?;
        let text = std::str::from_utf8(&body).map_err(|_| Fail::bad("the body is not UTF-8"))?;
        params.0.extend(Params::parse(text).0);
        return Ok(Vec::new());
    }
    let mut form = Multipart::from_request(req, state)
        .await
        .map_err(|e| Fail::bad(format!("the multipart body could not be read: {e}")))?;
    let mut uploads = Vec::new();
    loop {
        let field = form
            .next_field()
            .await
            .map_err(|e| Fail::bad(format!("the multipart body could not be read: {e}")))?;
        let Some(field) = field else { break };
        let name = field.name().unwrap_or_default().to_string();
        let is_file = field.file_name().is_some();
        let bytes = field
            .bytes()
            .await
            .map_err(|e| Fail::bad(format!("{name} could not be read: {e}")))?;
        if is_file {
            if name == "media" || name == "media[]" || name.starts_with("photo") {
                uploads.push((name, bytes));
            }
        } else {
            params
                .0
                .push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    if uploads.len() > MAX_PHOTOS {
        return Err(Fail::bad(format!(
            "media: at most {MAX_PHOTOS} photos may be sent"
        )));
    }
    Ok(uploads)
}

/// Decodes and cleans the uploads of an authenticated client, on the blocking pool and at
/// most one per core at a time across the server (`AppState::decode_slots`): many large
/// photos sent at once queue instead of taking every core and their decoded size in memory.
async fn decode_photos(state: &AppState, uploads: Vec<Upload>) -> Result<Vec<PhotoFile>, Fail> {
    let mut photos = Vec::new();
    for (name, bytes) in uploads {
        let _slot = state
            .decode_slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Fail::from(crate::WebError::Unavailable("shutting down".into())))?;
        let cleaned = tokio::task::spawn_blocking(move || media::clean_photo(&bytes))
            .await
            .map_err(|_| Fail::bad(format!("{name} is not a readable photo")))?
            .map_err(|e| Fail::bad(format!("{name} was refused ({})", e.code())))?;
        photos.push(PhotoFile {
            extension: cleaned.kind.extension(),
            mime: cleaned.kind.mime(),
            width: cleaned.width,
            height: cleaned.height,
            bytes: cleaned.bytes,
            thumbnail: cleaned.thumbnail,
        });
    }
    Ok(photos)
}

/// `attribute[CODE]` and `attribute[CODE][]` → `CODE`.
fn attribute_code(key: &str) -> Option<&str> {
    let inner = key.strip_prefix("attribute[")?;
    let code = inner
        .strip_suffix("][]")
        .or_else(|| inner.strip_suffix(']'))?;
    (!code.is_empty()).then_some(code)
}

/// The first line of the description, cut to a title's length.
fn title_from(description: &str, service_name: &str) -> String {
    let first = description
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    if first.is_empty() {
        return service_name.to_string();
    }
    first.chars().take(MAX_TITLE).collect()
}

/// The integration client behind `api_key`, if it may write over Open311 (`what` says what
/// it tried, for the error).
async fn writer_client(state: &AppState, params: &Params, what: &str) -> Result<ApiClient, Fail> {
    let key = params
        .get("api_key")
        .ok_or_else(|| Fail::forbidden("api_key is missing"))?;
    let client = clients::authenticate(&state.store, key)
        .await?
        .ok_or_else(|| Fail::forbidden("api_key is not valid"))?;
    if !client.has_scope("open311:write") {
        return Err(Fail::forbidden(format!(
            "api_key may not {what}: its client lacks the open311:write scope"
        )));
    }
    // The same per-client limit as the unit API; 429 is outside the spec's three codes, but
    // it tells a client to slow down rather than that its input is wrong.
    if let Err(wait) = state.rate_limiter.check(&client) {
        return Err(Fail::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!("this api_key has used up its requests for this minute; try again in {wait} s"),
        ));
    }
    Ok(client)
}

async fn file_request(state: &AppState, params: &Params, uploads: Vec<Upload>) -> Answer {
    // first who is asking: nobody without a key makes the server decode a photo
    let client = writer_client(state, params, "create requests").await?;
    let code = params
        .get("service_code")
        .ok_or_else(|| Fail::bad("service_code is required"))?;
    let service = active_service(state, code)
        .await?
        .ok_or_else(|| Fail::bad(format!("service_code '{code}' is not a known service")))?;
    let new_request = request_from(params, &service).map_err(field_errors)?;
    let photos = decode_photos(state, uploads).await?;
    let rules = &state.config.rules;
    match requests::check(&state.store, rules, &new_request).await {
        Ok(()) => {}
        Err(StorageError::Invalid(e)) => return Err(field_errors(e)),
        Err(e) => return Err(e.into()),
    }
    let calendar = state.calendar().await?;
    let done = match requests::submit(
        &state.store,
        rules,
        &calendar,
        &state.config.uploads,
        new_request,
        photos,
    )
    .await
    {
        Ok(d) => d,
        Err(StorageError::Invalid(e)) => return Err(field_errors(e)),
        Err(e) => return Err(e.into()),
    };
    tracing::info!(client = %client.name, code = %done.code, "request filed over Open311");
    Ok((
        "service_requests",
        Node::List(
            "request",
            vec![Node::Object(vec![(
                "service_request_id",
                Node::text(done.code),
            )])],
        ),
    ))
}

/// The pure part of filing over Open311: a POSTed form's fields (URL-encoded, as the spec
/// sends them) read as a request of `service`, with the domain's checks. Checks that need the
/// database (answers against the service's questions, the area) come after, in storage.
pub fn request_from_form(body: &str, service: &Service) -> Result<NewRequest, FieldErrors> {
    request_from(&Params::parse(body), service)
}

fn request_from(params: &Params, service: &Service) -> Result<NewRequest, FieldErrors> {
    let description = params.get("description").unwrap_or("").to_string();
    let name = [params.get("first_name"), params.get("last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let input = RequestInput {
        kind: service.draft.kind.as_str().into(),
        service_code: service.draft.code.clone(),
        title: title_from(&description, &service.draft.name),
        description,
        latitude: params.get("lat").unwrap_or("").into(),
        longitude: params.get("long").unwrap_or("").into(),
        // FixMyStreet's `address_id=#NOTPINPOINTED#` means "no location": nothing to keep.
        location_address: params.get("address_string").unwrap_or("").into(),
        name,
        email: params.get("email").unwrap_or("").into(),
        phone: params.get("phone").unwrap_or("").into(),
        ..Default::default()
    };
    // Answers keyed as the form's `q_<code>`; attributes our service does not ask about
    // (FixMyStreet's `uprn`, for one) are ignored by the checks.
    let answers: Vec<(String, String)> = params
        .0
        .iter()
        .filter_map(|(k, v)| {
            attribute_code(k).map(|c| (format!("q_{}", c.trim().to_lowercase()), v.clone()))
        })
        .collect();
    input.parse(answers)
}

/// Our field names and error codes, said in Open311's terms.
fn field_errors(e: FieldErrors) -> Fail {
    let descriptions =
        e.0.iter()
            .map(|f| {
                let field = match f.field.as_str() {
                    "latitude" => "lat".to_string(),
                    "longitude" => "long".to_string(),
                    "location_address" => "address_string".to_string(),
                    "title" => "description".to_string(),
                    "name" => "first_name/last_name".to_string(),
                    "kind" => "service_code".to_string(),
                    // a posted update's description becomes our note or response
                    "note" | "response" => "description".to_string(),
                    other => match other.strip_prefix("q_") {
                        Some(code) => format!("attribute[{code}]"),
                        None => other.to_string(),
                    },
                };
                let problem = match f.code {
                    "required" => "is required",
                    "too_long" => "is too long",
                    "description_too_short" => "is too short (10 characters at least)",
                    "response_too_short" => {
                        "is too short to resolve the request with (10 characters at least)"
                    }
                    "invalid_coordinate" => "is not a valid WGS84 coordinate",
                    "coordinate_pair" => "must be sent together with the other coordinate",
                    "outside_regency" => "lies outside the regency",
                    "invalid_email" => "is not a valid email address",
                    "invalid_phone" => "is not a valid phone number",
                    "invalid_choice" => "is not one of the attribute's values",
                    "invalid_answer" => "does not fit the attribute's datatype",
                    "unknown_service" => "is not a known service",
                    "service_kind_mismatch" => "does not fit the request's kind",
                    other => other,
                };
                format!("{field} {problem}")
            })
            .collect::<Vec<_>>();
    let mut fail = Fail::bad("the request is not valid");
    if !descriptions.is_empty() {
        fail.descriptions = descriptions;
    }
    fail
}

// ---------------------------------------------------------------------------------------
// mySociety's servicerequestupdates (GET and POST)

/// Longest `update_id` we keep as an idempotency key (the key column's limit, with room for
/// the `servicerequestupdates:` prefix).
const MAX_UPDATE_ID: usize = 150;
/// Requests read per query while collecting updates.
const SCAN_PAGE: u64 = 500;
/// The widest window `GET servicerequestupdates` answers, as GET requests' default.
const MAX_UPDATE_WINDOW_DAYS: i64 = DEFAULT_DAYS;

/// The statuses a client may POST, upper case as FixMyStreet sends them (the adapter's
/// `planned` too).
const UPDATE_STATUSES: &str = "OPEN, INVESTIGATING, IN_PROGRESS, ACTION_SCHEDULED, PLANNED, \
FIXED, CLOSED, NO_FURTHER_ACTION, NOT_COUNCILS_RESPONSIBILITY, DUPLICATE, INTERNAL_REFERRAL, \
FOR_TRIAGE, CANCELLED, REOPEN";

fn v2_status(s: Status) -> &'static str {
    if s.is_open() {
        "open"
    } else {
        "closed"
    }
}

/// mySociety's extended status for one of ours.
fn extended_status(s: Status) -> &'static str {
    match s {
        Status::Diterima => "OPEN",
        Status::Diverifikasi => "INVESTIGATING",
        Status::Didisposisikan => "ACTION_SCHEDULED",
        Status::Ditindaklanjuti => "IN_PROGRESS",
        Status::Selesai => "FIXED",
        Status::Ditutup => "CLOSED",
        // Rejected, for whichever reason (the reason is not public): never claim it was fixed.
        Status::Ditolak => "NO_FURTHER_ACTION",
    }
}

/// The entries of a public timeline that are updates: each change of status and each public
/// note, after the filing itself (that is the request, not an update of it). An internal
/// step that changes nothing the public sees (an assignment) is left out.
fn updates_of(r: &PublicRequest) -> impl Iterator<Item = &PublicEvent> {
    r.timeline
        .iter()
        .zip(r.timeline.iter().skip(1))
        .filter(|(before, e)| e.note.is_some() || e.to_status != before.to_status)
        .map(|(_, e)| e)
}

fn update_node(state: &AppState, code: &str, e: &PublicEvent, extensions: bool) -> Node {
    let mut fields = vec![
        // The timeline entry's id: stable, and the id a POSTed update is answered with.
        ("update_id", Node::text(e.id.to_string())),
        ("service_request_id", Node::text(code)),
        (
            "status",
            Node::text(if extensions {
                extended_status(e.to_status)
            } else {
                v2_status(e.to_status)
            }),
        ),
        ("updated_datetime", datetime(state, e.at)),
        // Only a note written for the public; `PublicEvent` holds no other.
        (
            "description",
            Node::text(e.note.clone().unwrap_or_default()),
        ),
    ];
    if extensions {
        fields.push(("external_status_code", Node::text(e.to_status.as_str())));
    }
    Node::Object(fields)
}

/// `GET servicerequestupdates`: the public updates of public requests in a time window
/// (`start_date`/`end_date`, by default the last 90 days like GET requests), oldest first,
/// at most 1000, so a client that polls from its last `updated_datetime` never skips one.
/// `api_key` and `jurisdiction_id`, which FixMyStreet sends, are not needed and ignored.
///
/// The window may span at most `MAX_UPDATE_WINDOW_DAYS` (FixMyStreet asks for the last hour
/// or so), and the timeline is read in `(at, id)` order with a limit: an answer reads at most
/// 1000 entries and their requests, never every public request (`start_date=1970-01-01`
/// used to).
async fn update_list(state: &AppState, params: &Params) -> Answer {
    let offset = state.config.rules.utc_offset;
    let extensions = params.extensions();
    let start = parse_datetime(params, "start_date", offset)?;
    let end = parse_datetime(params, "end_date", offset)?;
    if let (Some(s), Some(e)) = (start, end) {
        if s > e {
            return Err(Fail::bad("start_date must not be after end_date"));
        }
    }
    let now = Utc::now();
    let from = start.unwrap_or_else(|| end.unwrap_or(now) - Duration::days(DEFAULT_DAYS));
    if end.unwrap_or(now).max(from) - from > Duration::days(MAX_UPDATE_WINDOW_DAYS) {
        return Err(Fail::bad(format!(
            "start_date to end_date may span at most {MAX_UPDATE_WINDOW_DAYS} days: ask for a shorter window"
        )));
    }
    let candidates = kotapintar_storage::timeline::public_update_candidates(
        &state.store,
        from,
        end,
        MAX_REQUESTS,
    )
    .await?;
    let mut codes: Vec<String> = candidates.iter().map(|c| c.tracking_code.clone()).collect();
    codes.sort_unstable();
    codes.dedup();
    let mut requests_by_code = std::collections::HashMap::new();
    for chunk in codes.chunks(SCAN_PAGE as usize) {
        // the list leaves out `rahasia` requests in its query, and publishes the rest
        let filter = PublicFilter {
            with_timeline: true,
            codes: chunk.to_vec(),
            ..Default::default()
        };
        let (rows, _) = requests::public_list(&state.store, &filter, 0, SCAN_PAGE).await?;
        for r in rows {
            requests_by_code.insert(r.tracking_code.clone(), r);
        }
    }
    let mut items = Vec::with_capacity(candidates.len());
    for c in &candidates {
        let Some(r) = requests_by_code.get(&c.tracking_code) else {
            continue;
        };
        // only what the public projection shows as an update of this request
        if let Some(e) = updates_of(r).find(|e| e.id == c.event_id) {
            items.push(update_node(state, &r.tracking_code, e, extensions));
        }
    }
    Ok((
        "service_request_updates",
        Node::List("request_update", items),
    ))
}

fn update_answer(update_id: String) -> (&'static str, Node) {
    (
        "service_request_updates",
        Node::List(
            "request_update",
            vec![Node::Object(vec![("update_id", Node::Text(update_id))])],
        ),
    )
}

/// `POST servicerequestupdates`: a unit's client comments on, starts or resolves a request
/// its unit handles, through the same workflow and permissions as staff. The answer's
/// `update_id` is ours (the new timeline entry's, as GET shows it); the client's own
/// `update_id` makes the call idempotent: sent again, it is answered without applying twice.
async fn post_update(state: &AppState, params: &Params) -> Answer {
    let client = writer_client(state, params, "post updates").await?;
    let missing: Vec<String> = [
        "service_request_id",
        "update_id",
        "updated_datetime",
        "status",
        "description",
    ]
    .into_iter()
    .filter(|f| params.get(f).is_none())
    .map(|f| format!("{f} is required"))
    .collect();
    if !missing.is_empty() {
        return Err(Fail {
            status: StatusCode::BAD_REQUEST,
            descriptions: missing,
            retry_after: None,
        });
    }
    // Checked as the spec asks, but the timeline records when we applied the update.
    parse_datetime(params, "updated_datetime", state.config.rules.utc_offset)?;
    let update_id = params.get("update_id").unwrap_or_default();
    if update_id.chars().count() > MAX_UPDATE_ID {
        return Err(Fail::bad(format!(
            "update_id is too long ({MAX_UPDATE_ID} characters at most)"
        )));
    }
    let key = format!("servicerequestupdates:{update_id}");
    // The update_id names the update; FixMyStreet sends the same one again unchanged.
    match clients::claim_key(&state.store, client.id, &key, "POST servicerequestupdates").await? {
        Idempotency::Proceed => {}
        // 409 is not among the spec's codes.
        Idempotency::InProgress => {
            return Err(Fail::bad(format!(
                "update_id '{update_id}' is being applied right now; send it again later"
            )))
        }
        Idempotency::Replay(_, ours) => return Ok(update_answer(ours)),
        // keys of the API and of Open311 are apart (the `servicerequestupdates:` prefix)
        Idempotency::Mismatch => {
            return Err(Fail::bad(format!(
                "update_id '{update_id}' was used for another request"
            )))
        }
    }
    let applied = apply_update(state, &client, params).await;
    // Only an applied update is remembered: a refused one changed nothing, so the client may
    // correct it and send it again under the same update_id.
    let remember = applied.as_ref().ok().map(|ours| (200, ours.as_str()));
    if let Err(e) = clients::finish_key(&state.store, client.id, &key, remember).await {
        // The update is applied (or refused) either way; a replay then waits as "in progress"
        // instead of applying twice.
        tracing::error!(error = %e, %key, "could not record an Open311 update's key");
    }
    applied.map(update_answer)
}

/// Applies one update and returns the id of the timeline entry it wrote.
async fn apply_update(
    state: &AppState,
    client: &ApiClient,
    params: &Params,
) -> Result<String, Fail> {
    let raw = params.get("service_request_id").unwrap_or_default();
    let status = params
        .get("status")
        .unwrap_or_default()
        .to_ascii_uppercase();
    let description = params.get("description").unwrap_or_default().to_string();
    let not_found = || Fail::not_found(format!("service_request_id '{raw}' was not found"));
    let code = normalise_tracking_code(raw).ok_or_else(not_found)?;
    let actor = Actor::for_client(client);
    // What the client may see: a `rahasia` request of another unit is unknown, as it is on
    // every read.
    let before = match requests::for_client(&state.store, &actor, &code).await {
        Ok((r, _)) => r,
        Err(StorageError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    let id = match requests::id_by_code(&state.store, &code).await {
        Ok(id) => id,
        Err(StorageError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    };
    let action = update_action(&status, before.status, description)?;
    let rejects = matches!(action, StaffAction::Reject { .. });
    let calendar = state.calendar().await?;
    match requests::act(
        &state.store,
        &state.config.rules,
        &calendar,
        &actor,
        id,
        action,
    )
    .await
    {
        Ok(_) => {}
        Err(StorageError::Forbidden) if rejects => {
            return Err(Fail::forbidden(format!(
                "status {status} would reject the request, which only the central desk may do"
            )))
        }
        Err(StorageError::Forbidden) => {
            return Err(Fail::forbidden(format!(
                "service_request_id '{code}' is not handled by this client's unit"
            )))
        }
        // A step the workflow does not allow now; 409 is not among the spec's codes.
        Err(StorageError::Conflict(why)) => {
            return Err(Fail::bad(format!(
                "status {status} cannot be applied now: {why}"
            )))
        }
        Err(StorageError::Invalid(e)) => return Err(field_errors(e)),
        Err(StorageError::NotFound) => return Err(not_found()),
        Err(e) => return Err(e.into()),
    }
    // The entry just written is the first one after those seen before the step.
    let last_before = before.timeline.iter().map(|e| e.id).max().unwrap_or(0);
    let (after, _) = requests::for_client(&state.store, &actor, &code).await?;
    after
        .timeline
        .iter()
        .map(|e| e.id)
        .find(|i| *i > last_before)
        .map(|i| i.to_string())
        .ok_or_else(|| {
            Fail::from(ErrorClass::Internal(
                "the applied update is missing from the timeline".into(),
            ))
        })
}

/// A posted status as one of our steps, given where the request is now. Whether the client
/// may take the step and whether the workflow allows it is decided by `requests::act`, as
/// for staff; here only what Open311 cannot express is refused.
fn update_action(status: &str, current: Status, description: String) -> Result<StaffAction, Fail> {
    let comment = |note| StaffAction::Comment { note, public: true };
    Ok(match status {
        // "Still open": a public note. On a request that is already done it would mean
        // reopening it, which is the reporter's step (an objection), not a unit's.
        "OPEN" | "INVESTIGATING" if current.is_open() => comment(description),
        "OPEN" | "INVESTIGATING" | "REOPEN" => {
            return Err(Fail::bad(format!(
                "status {status} would reopen the request, which only its reporter may do (by objecting to the resolution)"
            )))
        }
        // Work starts; once it has, a further "in progress" is a public note.
        "IN_PROGRESS" | "ACTION_SCHEDULED" | "PLANNED" if current == Status::Ditindaklanjuti => {
            comment(description)
        }
        "IN_PROGRESS" | "ACTION_SCHEDULED" | "PLANNED" => StaffAction::StartWork {
            note: Some(description),
        },
        // Done, with the description as the response to the reporter, who may object.
        "FIXED" | "CLOSED" | "NO_FURTHER_ACTION" => StaffAction::Resolve {
            response: description,
        },
        "NOT_COUNCILS_RESPONSIBILITY" => StaffAction::Reject {
            reason: RejectReason::OutsideAuthority,
            note: description,
            duplicate_of: None,
        },
        "DUPLICATE" => StaffAction::Reject {
            reason: RejectReason::Duplicate,
            note: description,
            duplicate_of: None,
        },
        "INTERNAL_REFERRAL" | "FOR_TRIAGE" => {
            return Err(Fail::bad(format!(
                "status {status} would forward the request, but Open311 cannot name the unit to forward to: forward it in the staff area or with the unit API (/api/v1)"
            )))
        }
        "CANCELLED" => {
            return Err(Fail::bad(
                "status CANCELLED is not possible: only the central desk may withdraw a request",
            ))
        }
        _ => {
            return Err(Fail::bad(format!(
                "status '{status}' is not one of {UPDATE_STATUSES}"
            )))
        }
    })
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
                    res.headers()
                        .get(header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.parse::<u64>().ok()),
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
