//! The read-only subset of CKAN's Action API (v3) that harvesters and clients use, at
//! `/api/3/action/{name}` and `/api/action/{name}`, GET (query string) and POST (JSON or form
//! body), with CKAN's envelope, errors and field formats, so the CKAN harvester and the PyPI
//! `ckanapi` client work unchanged. What each field means is in
//! `shared/reference/ckan-dcat.md`; the rules kept here: every `package_search` result is the
//! full `package_show` dict, timestamps are naive UTC with six fraction digits, ids are UUIDs,
//! extras are strings, unknown parameters are ignored.

use super::{base, catalogue, download_url, table_of, Catalogue};
use crate::error::ErrorClass;
use crate::{AppState, WebError};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use kotapintar_domain::opendata::query::{Query, Searchable, MAX_QUERY_CHARS, MAX_QUERY_TERMS};
use kotapintar_domain::opendata::table::{parse_sort, DatastoreQuery};
use kotapintar_domain::opendata::{Licence, Topic};
use kotapintar_storage::opendata::{stable_uuid, Dataset, Publisher, Resource, Source};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// CKAN's timestamp form: naive UTC, six fraction digits (harvesters compare these as text).
pub fn ckan_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

const ACTIONS: &[(&str, &str)] = &[
    ("package_search", "Searches for datasets. Parameters: q, fq, fq_list, rows (default 10, at most 1000), start, sort (e.g. \"metadata_modified desc\", \"id asc\"), facet, facet.field, facet.limit, facet.mincount. Returns count, results (full package dicts), facets, search_facets and sort."),
    ("package_show", "Returns the metadata of a dataset and its resources. Parameter: id (the dataset's id or name)."),
    ("package_list", "Returns the names of the public datasets, sorted. Parameters: limit, offset."),
    ("current_package_list_with_resources", "Returns datasets with their resources, most recently changed first. Parameters: limit, offset, page."),
    ("organization_list", "Returns the units (organizations). Parameters: all_fields, sort, limit, offset, q, organizations, include_dataset_count."),
    ("organization_show", "Returns one unit (organization). Parameters: id (id or name), include_datasets."),
    ("group_list", "Returns the topics (groups). Parameters: all_fields, sort, limit, offset, q, groups."),
    ("group_show", "Returns one topic (group). Parameters: id (id or name), include_datasets."),
    ("tag_list", "Returns the tags of public datasets. Parameters: query, all_fields."),
    ("license_list", "Returns the licences datasets may carry."),
    ("resource_show", "Returns the metadata of a resource. Parameter: id."),
    ("datastore_search", "Searches a tabular resource. Parameters: resource_id, filters, q, fields, sort, limit (default 100, at most 32000), offset, include_total, records_format (objects, lists, csv, tsv)."),
    ("status_show", "Returns the site's title, description, address, language and CKAN version."),
    ("site_read", "Returns true: the site can be read."),
    ("help_show", "Returns the help text of an action. Parameter: name."),
];

/// Write actions a CKAN client may try: refused as CKAN refuses an anonymous writer.
const WRITE_ACTIONS: &[&str] = &[
    "package_create",
    "package_update",
    "package_patch",
    "package_delete",
    "resource_create",
    "resource_update",
    "resource_patch",
    "resource_delete",
    "organization_create",
    "group_create",
    "datastore_create",
    "datastore_upsert",
    "datastore_delete",
];

/// An action's failure, in CKAN's error vocabulary.
enum Fail {
    NotFound(String),
    Validation(Vec<(String, String)>),
    SearchQuery(String),
    Authorization(String),
    /// Failures CKAN has no word of its own for: the status, `__type` and message, and the
    /// seconds for `Retry-After`.
    Other {
        status: StatusCode,
        kind: &'static str,
        message: String,
        retry_after: Option<u64>,
    },
    Internal,
}

/// The CKAN mapping: every class as CKAN's `{success: false, error: {__type, message}}`.
impl From<ErrorClass> for Fail {
    fn from(c: ErrorClass) -> Self {
        c.log("ckan");
        let retry_after = c.retry_after();
        let other = |status, kind, message: &str| Fail::Other {
            status,
            kind,
            message: message.into(),
            retry_after,
        };
        match c {
            ErrorClass::NotFound => Fail::NotFound("Not found".into()),
            ErrorClass::Forbidden => Fail::Authorization("not permitted".into()),
            ErrorClass::Conflict(m) => Fail::Validation(vec![("message".into(), m)]),
            ErrorClass::Invalid(f) => Fail::Validation(
                f.0.iter()
                    .map(|e| {
                        let msg =
                            crate::i18n::t(crate::i18n::Lang::En, &format!("error.{}", e.code));
                        (e.field.clone(), msg.to_string())
                    })
                    .collect(),
            ),
            ErrorClass::Malformed(m) => Fail::Validation(vec![("__junk".into(), m)]),
            ErrorClass::TooLarge => other(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Bad request",
                "The request is too large",
            ),
            ErrorClass::RateLimited { .. } => other(
                StatusCode::TOO_MANY_REQUESTS,
                "Too Many Requests",
                "Too many requests; try again later",
            ),
            ErrorClass::Unavailable { .. } => other(
                StatusCode::SERVICE_UNAVAILABLE,
                "Service Unavailable",
                "The service is unavailable; try again later",
            ),
            ErrorClass::Internal(_) => Fail::Internal,
        }
    }
}

impl From<WebError> for Fail {
    fn from(e: WebError) -> Self {
        Self::from(ErrorClass::from(e))
    }
}

impl From<kotapintar_storage::StorageError> for Fail {
    fn from(e: kotapintar_storage::StorageError) -> Self {
        Self::from(ErrorClass::from(e))
    }
}

impl Fail {
    fn retry_after(&self) -> Option<u64> {
        match self {
            Fail::Other { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

type ActionResult = Result<Value, Fail>;

fn envelope(base: &str, name: &str, result: ActionResult) -> (StatusCode, Value) {
    let help = format!("{base}/api/3/action/help_show?name={name}");
    match result {
        Ok(v) => (
            StatusCode::OK,
            json!({"help": help, "success": true, "result": v}),
        ),
        Err(f) => {
            let (status, error) = match f {
                Fail::NotFound(m) => (
                    StatusCode::NOT_FOUND,
                    json!({"__type": "Not Found Error", "message": format!("Not found: {m}")}),
                ),
                Fail::Validation(fields) => {
                    let mut e = Map::new();
                    e.insert("__type".into(), json!("Validation Error"));
                    for (k, msg) in fields {
                        e.insert(k, json!([msg]));
                    }
                    (StatusCode::CONFLICT, Value::Object(e))
                }
                Fail::SearchQuery(m) => (
                    StatusCode::BAD_REQUEST,
                    json!({"__type": "Search Query Error", "message": format!("Search Query is invalid: {m}")}),
                ),
                Fail::Authorization(m) => (
                    StatusCode::FORBIDDEN,
                    json!({"__type": "Authorization Error", "message": format!("Access denied: {m}")}),
                ),
                Fail::Other {
                    status,
                    kind,
                    message,
                    ..
                } => (status, json!({"__type": kind, "message": message})),
                Fail::Internal => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"__type": "Internal Server Error", "message": "Internal Server Error"}),
                ),
            };
            (
                status,
                json!({"help": help, "success": false, "error": error}),
            )
        }
    }
}

fn json_response(status: StatusCode, body: &Value, callback: Option<&str>) -> Response {
    let text = body.to_string();
    if let (StatusCode::OK, Some(cb)) = (status, callback) {
        return (
            status,
            [
                (header::CONTENT_TYPE, "application/javascript;charset=utf-8"),
                (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            ],
            format!("{cb}({text});"),
        )
            .into_response();
    }
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json;charset=utf-8"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        text,
    )
        .into_response()
}

/// `/api/3`: the API version, as CKAN answers it.
pub async fn version() -> Response {
    json_response(StatusCode::OK, &json!({"version": 3}), None)
}

/// Query-string parameters; a repeated key becomes a list (`facet.field=a&facet.field=b`).
fn params_from_query(raw: Option<&str>) -> Map<String, Value> {
    let mut out = Map::new();
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.unwrap_or_default()).unwrap_or_default();
    for (k, v) in pairs {
        match out.get_mut(&k) {
            Some(Value::Array(a)) => a.push(Value::String(v)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(v)]);
            }
            None => {
                out.insert(k, Value::String(v));
            }
        }
    }
    out
}

pub async fn action_get(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = params_from_query(raw.as_deref());
    let callback = params
        .get("callback")
        .and_then(Value::as_str)
        .filter(|c| {
            !c.is_empty()
                && c.len() < 100
                && c.chars()
                    .all(|x| x.is_ascii_alphanumeric() || matches!(x, '_' | '.' | '$'))
        })
        .map(str::to_string);
    run(&state, &name, params, callback.as_deref()).await
}

/// A POST body: JSON (whatever the content type says, as CKAN reads it), else a form.
pub async fn action_post(
    State(state): State<AppState>,
    Path(name): Path<String>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let trimmed = body.iter().skip_while(|b| b.is_ascii_whitespace()).count();
    let params = if trimmed == 0 {
        params_from_query(raw.as_deref())
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(m)) => m,
            Ok(_) | Err(_) => match std::str::from_utf8(&body) {
                Ok(text) if text.contains('=') && !text.trim_start().starts_with('{') => {
                    params_from_query(Some(text))
                }
                _ => {
                    let b = base(&state);
                    let (status, v) = envelope(
                        &b,
                        &name,
                        Err(Fail::Validation(vec![(
                            "__junk".into(),
                            "The request body is not a JSON object".into(),
                        )])),
                    );
                    return json_response(status, &v, None);
                }
            },
        }
    };
    run(&state, &name, params, None).await
}

async fn run(
    state: &AppState,
    name: &str,
    params: Map<String, Value>,
    callback: Option<&str>,
) -> Response {
    let b = base(state);
    if WRITE_ACTIONS.contains(&name) {
        let (status, v) = envelope(
            &b,
            name,
            Err(Fail::Authorization(format!(
                "{name}: this catalogue is read-only through the API; units manage their datasets at {b}/staf/data"
            ))),
        );
        return json_response(status, &v, None);
    }
    if !ACTIONS.iter().any(|(a, _)| *a == name) {
        // CKAN answers an unknown action with a bare JSON string, not an envelope
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!(format!("Bad request: Action name not known: {name}")),
            None,
        );
    }
    let p = Params(params);
    let result = dispatch(state, &b, name, &p).await;
    if let Err(Fail::Internal) = &result {
        tracing::error!(action = name, "CKAN action failed");
    }
    let retry_after = result.as_ref().err().and_then(Fail::retry_after);
    let (status, v) = envelope(&b, name, result);
    let mut res = json_response(status, &v, callback);
    if let Some(s) = retry_after {
        crate::error::set_retry_after(&mut res, s);
    }
    res
}

async fn dispatch(state: &AppState, b: &str, name: &str, p: &Params) -> ActionResult {
    match name {
        "status_show" => Ok(status_show(state, b).await),
        "site_read" => Ok(json!(true)),
        "help_show" => {
            let n = p.str("name").ok_or_else(|| missing("name"))?;
            ACTIONS
                .iter()
                .find(|(a, _)| *a == n)
                .map(|(_, h)| json!(h))
                .ok_or_else(|| Fail::NotFound(format!("Action function not found: {n}")))
        }
        "license_list" => Ok(Value::Array(
            Licence::ALL.iter().map(|l| licence_dict(*l)).collect(),
        )),
        "datastore_search" => datastore_search(state, p).await,
        _ => {
            let cat = catalogue(state).await?;
            match name {
                "package_search" => {
                    let (b, p) = (b.to_string(), p.clone());
                    on_blocking_pool(state, move || package_search(&b, &cat, &p)).await
                }
                "package_show" => {
                    let id = p.str("id").ok_or_else(|| missing("id"))?;
                    cat.dataset(&id)
                        .map(|d| package_dict(b, d))
                        .ok_or_else(|| Fail::NotFound("Dataset not found".into()))
                }
                "package_list" => {
                    let mut names: Vec<&str> =
                        cat.datasets.iter().map(|d| d.name.as_str()).collect();
                    names.sort_unstable();
                    let offset = p.int("offset", 0)?;
                    let limit = p.int("limit", i64::MAX)?;
                    Ok(json!(page(names, offset, limit)))
                }
                "current_package_list_with_resources" => {
                    let limit = p.int("limit", 10)?;
                    let mut offset = p.int("offset", 0)?;
                    if let Some(pg) = p.str("page") {
                        let pg: i64 = pg.parse().map_err(|_| invalid("page", "Invalid integer"))?;
                        offset = (pg.max(1) - 1) * limit;
                    }
                    let mut all: Vec<&Dataset> = cat.datasets.iter().collect();
                    all.sort_by_key(|d| std::cmp::Reverse(d.modified()));
                    Ok(Value::Array(
                        page(all, offset, limit)
                            .into_iter()
                            .map(|d| package_dict(b, d))
                            .collect(),
                    ))
                }
                "resource_show" => {
                    let id = p.str("id").ok_or_else(|| missing("id"))?;
                    cat.resource(&id)
                        .map(|(d, r)| resource_dict(b, d, r))
                        .ok_or_else(|| Fail::NotFound("Resource was not found.".into()))
                }
                "organization_list" => organization_list(state, b, &cat, p).await,
                "organization_show" => organization_show(state, b, &cat, p).await,
                "group_list" => group_list(b, &cat, p),
                "group_show" => group_show(b, &cat, p),
                "tag_list" => {
                    let query = p.str("query").map(|q| q.to_lowercase());
                    let mut tags: Vec<&str> = cat
                        .datasets
                        .iter()
                        .flat_map(|d| d.tags.iter().map(String::as_str))
                        .filter(|t| query.as_ref().is_none_or(|q| t.to_lowercase().contains(q)))
                        .collect();
                    tags.sort_unstable();
                    tags.dedup();
                    if p.bool("all_fields")? {
                        Ok(Value::Array(
                            tags.into_iter()
                                .map(|t| json!({"id": stable_uuid("tag", t), "name": t, "vocabulary_id": null}))
                                .collect(),
                        ))
                    } else {
                        Ok(json!(tags))
                    }
                }
                _ => Err(Fail::Internal),
            }
        }
    }
}

/// Runs an in-memory search on the blocking pool, at most one per core at a time (the
/// search slots the portal search uses too): matching has no await inside, so on the async
/// threads a slow one would hold a core the timeout cannot take back.
async fn on_blocking_pool(
    state: &AppState,
    work: impl FnOnce() -> ActionResult + Send + 'static,
) -> ActionResult {
    let _slot = state
        .search_slots
        .acquire()
        .await
        .map_err(|_| Fail::Internal)?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| Fail::Internal)?
}

/// The most `fq_list` entries accepted (each is a query of its own).
const MAX_FQ_LIST: usize = 8;

fn page<T>(items: Vec<T>, offset: i64, limit: i64) -> Vec<T> {
    items
        .into_iter()
        .skip(usize::try_from(offset.max(0)).unwrap_or(0))
        .take(usize::try_from(limit.max(0)).unwrap_or(usize::MAX))
        .collect()
}

fn missing(field: &str) -> Fail {
    Fail::Validation(vec![(field.into(), "Missing value".into())])
}

fn invalid(field: &str, msg: &str) -> Fail {
    Fail::Validation(vec![(field.into(), msg.into())])
}

/// Parameters as CKAN reads them: numbers may come as strings, booleans as `true`, `True`,
/// `1`, lists as JSON arrays or JSON-encoded strings.
#[derive(Clone)]
struct Params(Map<String, Value>);

impl Params {
    fn str(&self, k: &str) -> Option<String> {
        match self.0.get(k)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Array(a) => a.first().and_then(|v| v.as_str()).map(str::to_string),
            _ => None,
        }
    }

    fn int(&self, k: &str, default: i64) -> Result<i64, Fail> {
        match self.0.get(k) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Number(n)) => n.as_i64().ok_or_else(|| invalid(k, "Invalid integer")),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(default),
            Some(Value::String(s)) => s.trim().parse().map_err(|_| invalid(k, "Invalid integer")),
            Some(_) => Err(invalid(k, "Invalid integer")),
        }
        .and_then(|n| {
            if n < 0 {
                Err(invalid(k, "Must be a natural number"))
            } else {
                Ok(n)
            }
        })
    }

    fn bool(&self, k: &str) -> Result<bool, Fail> {
        self.bool_or(k, false)
    }

    fn bool_or(&self, k: &str, default: bool) -> Result<bool, Fail> {
        match self.0.get(k) {
            None | Some(Value::Null) => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(Value::Number(n)) => Ok(n.as_i64() == Some(1)),
            Some(Value::String(s)) => match s.trim() {
                "true" | "True" | "1" | "yes" | "on" => Ok(true),
                "false" | "False" | "0" | "no" | "off" | "" => Ok(false),
                _ => Err(invalid(k, "Value must be one of [True, False]")),
            },
            Some(_) => Err(invalid(k, "Value must be one of [True, False]")),
        }
    }

    /// A list parameter: a JSON array, a JSON-encoded array in a string, a repeated key, or a
    /// comma-separated string (`datastore_search`'s `fields`).
    fn list(&self, k: &str) -> Option<Vec<String>> {
        let strs = |a: &Vec<Value>| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect::<Vec<_>>()
        };
        match self.0.get(k)? {
            Value::Array(a) => {
                // a repeated key whose single element is itself JSON
                if a.len() == 1 {
                    if let Some(Ok(Value::Array(inner))) = a[0].as_str().map(serde_json::from_str) {
                        return Some(strs(&inner));
                    }
                }
                Some(strs(a))
            }
            Value::String(s) => {
                if let Ok(Value::Array(a)) = serde_json::from_str::<Value>(s) {
                    return Some(strs(&a));
                }
                Some(
                    s.split(',')
                        .map(|x| x.trim().to_string())
                        .filter(|x| !x.is_empty())
                        .collect(),
                )
            }
            _ => None,
        }
    }
}

async fn status_show(state: &AppState, b: &str) -> Value {
    let regency = state.regency_name().await;
    json!({
        "site_title": format!("Satu Data {regency}"),
        "site_description": format!("Katalog data terbuka {regency} (kotapintar)"),
        "site_url": b,
        "error_emails_to": null,
        "locale_default": "id",
        "extensions": ["datastore", "dcat"],
        "ckan_version": "2.10.4",
    })
}

fn licence_dict(l: Licence) -> Value {
    json!({
        "id": l.id(),
        "title": l.title(),
        "url": l.url().unwrap_or_default(),
        "status": "active",
        "od_conformance": if l.is_open() { "approved" } else { "not reviewed" },
        "osd_conformance": "not reviewed",
        "domain_content": false,
        "domain_data": true,
        "domain_software": false,
        "family": "",
        "maintainer": "",
        "is_generic": matches!(l, Licence::OtherOpen | Licence::NotSpecified),
    })
}

fn organization_dict(p: &Publisher, package_count: usize) -> Value {
    json!({
        "id": p.uuid,
        "name": p.slug,
        "title": p.name,
        "display_name": p.name,
        "type": "organization",
        "description": "",
        "image_url": "",
        "image_display_url": "",
        "created": ckan_time(p.created_at),
        "is_organization": true,
        "approval_status": "approved",
        "state": "active",
        "package_count": package_count,
        "num_followers": 0,
        "extras": [],
        "groups": [],
        "tags": [],
        "users": [],
    })
}

fn group_dict(t: Topic, package_count: usize) -> Value {
    json!({
        "id": stable_uuid("topic", t.as_str()),
        "name": t.as_str(),
        "title": t.title(),
        "display_name": t.title(),
        "type": "group",
        "description": "",
        "image_url": "",
        "image_display_url": "",
        "created": "2026-11-29T00:00:00.000000",
        "is_organization": false,
        "approval_status": "approved",
        "state": "active",
        "package_count": package_count,
        "num_followers": 0,
        "extras": [],
        "groups": [],
        "tags": [],
        "users": [],
    })
}

pub fn resource_dict(b: &str, d: &Dataset, r: &Resource) -> Value {
    let (size, hash) = match &r.source {
        Source::Upload { bytes, sha256, .. } => (json!(bytes), format!("sha256:{sha256}")),
        Source::Live(_) => (Value::Null, String::new()),
    };
    let mimetype = if r.is_tabular() {
        "text/csv"
    } else {
        r.format.mimetype()
    };
    let format = if r.is_tabular() {
        "CSV"
    } else {
        r.format.as_str()
    };
    json!({
        "id": r.uuid,
        "package_id": d.uuid,
        "name": r.name,
        "description": r.description,
        "url": download_url(b, d, r),
        "format": format,
        "mimetype": mimetype,
        "mimetype_inner": null,
        "size": size,
        "hash": hash,
        "position": r.position,
        "state": "active",
        "created": ckan_time(r.created_at),
        "last_modified": ckan_time(r.updated_at),
        "metadata_modified": ckan_time(r.updated_at),
        "resource_type": if matches!(r.source, Source::Live(_)) { json!("live") } else { Value::Null },
        "url_type": if matches!(r.source, Source::Upload { .. }) { json!("upload") } else { Value::Null },
        "cache_url": null,
        "cache_last_updated": null,
        "datastore_active": r.is_tabular(),
    })
}

/// The full `package_show` dict (every `package_search` result is one of these).
pub fn package_dict(b: &str, d: &Dataset) -> Value {
    let mut extras = vec![
        ("frequency", d.frequency.iso8601().to_string()),
        ("identifier", d.uuid.clone()),
        ("uri", format!("{b}/data/{}", d.name)),
        ("language", "id".to_string()),
        ("publisher_name", d.publisher.name.clone()),
        ("contact_name", d.contact_name.clone()),
        ("contact_email", d.contact_email.clone()),
        ("theme", d.topic.eu_theme().to_string()),
        ("access_rights", "public".to_string()),
    ];
    if let Some(p) = d.published_at {
        extras.push((
            "issued",
            p.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ));
    }
    extras.push((
        "modified",
        d.modified()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    ));
    if let Some(s) = d.temporal_start {
        extras.push(("temporal_start", s.to_string()));
    }
    if let Some(e) = d.temporal_end {
        extras.push(("temporal_end", e.to_string()));
    }
    if !d.spatial.is_empty() {
        extras.push(("spatial_text", d.spatial.clone()));
    }
    json!({
        "id": d.uuid,
        "name": d.name.as_str(),
        "title": d.title,
        "notes": d.notes,
        "type": "dataset",
        "state": "active",
        "private": false,
        "version": null,
        "url": format!("{b}/data/{}", d.name),
        "author": d.publisher.name,
        "author_email": null,
        "maintainer": d.contact_name,
        "maintainer_email": d.contact_email,
        "license_id": d.licence.id(),
        "license_title": d.licence.title(),
        "license_url": d.licence.url().unwrap_or_default(),
        "isopen": d.licence.is_open(),
        "metadata_created": ckan_time(d.created_at),
        "metadata_modified": ckan_time(d.modified()),
        "creator_user_id": stable_uuid("unit", &d.publisher.slug),
        "owner_org": d.publisher.uuid,
        "organization": {
            "id": d.publisher.uuid,
            "name": d.publisher.slug,
            "title": d.publisher.name,
            "type": "organization",
            "description": "",
            "image_url": "",
            "created": ckan_time(d.publisher.created_at),
            "is_organization": true,
            "approval_status": "approved",
            "state": "active",
        },
        "groups": [{
            "id": stable_uuid("topic", d.topic.as_str()),
            "name": d.topic.as_str(),
            "title": d.topic.title(),
            "display_name": d.topic.title(),
            "description": "",
            "image_display_url": "",
        }],
        "tags": d.tags.iter().map(|t| json!({
            "id": stable_uuid("tag", t),
            "name": t,
            "display_name": t,
            "state": "active",
            "vocabulary_id": null,
        })).collect::<Vec<_>>(),
        "extras": extras.into_iter().map(|(k, v)| json!({"key": k, "value": v})).collect::<Vec<_>>(),
        "num_tags": d.tags.len(),
        "num_resources": d.resources.len(),
        "relationships_as_subject": [],
        "relationships_as_object": [],
        "resources": d.resources.iter().map(|r| resource_dict(b, d, r)).collect::<Vec<_>>(),
    })
}

/// A dataset as Solr-style queries see it.
struct Doc<'a>(&'a Dataset);

impl Searchable for Doc<'_> {
    fn values(&self, field: &str) -> Vec<String> {
        let d = self.0;
        match field {
            "id" => vec![d.uuid.clone()],
            "name" => vec![d.name.to_string()],
            "title" | "title_string" => vec![d.title.clone()],
            "organization" => vec![d.publisher.slug.clone()],
            "owner_org" => vec![d.publisher.uuid.clone()],
            "groups" => vec![d.topic.as_str().to_string()],
            "tags" => d.tags.clone(),
            "res_format" => d
                .resources
                .iter()
                .map(|r| {
                    if r.is_tabular() {
                        "CSV".to_string()
                    } else {
                        r.format.as_str().to_string()
                    }
                })
                .collect(),
            "license_id" => vec![d.licence.id().to_string()],
            "metadata_modified" => vec![ckan_time(d.modified())],
            "metadata_created" => vec![ckan_time(d.created_at)],
            "state" => vec!["active".into()],
            "dataset_type" | "type" => vec!["dataset".into()],
            "capacity" => vec!["public".into()],
            "res_name" => d.resources.iter().map(|r| r.name.clone()).collect(),
            "text" => vec![self.text()],
            _ => Vec::new(),
        }
    }

    fn text(&self) -> String {
        let d = self.0;
        format!(
            "{} {} {} {} {} {}",
            d.name,
            d.title,
            d.notes,
            d.tags.join(" "),
            d.publisher.name,
            d.resources
                .iter()
                .map(|r| r.name.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        )
        .to_lowercase()
    }
}

const FACET_FIELDS: &[&str] = &["organization", "groups", "tags", "res_format", "license_id"];

fn display_name(cat: &Catalogue, field: &str, value: &str) -> String {
    match field {
        "organization" => cat
            .datasets
            .iter()
            .find(|d| d.publisher.slug == value)
            .map(|d| d.publisher.name.clone())
            .unwrap_or_else(|| value.to_string()),
        "groups" => Topic::parse(value)
            .map(|t| t.title().to_string())
            .unwrap_or_else(|_| value.to_string()),
        "license_id" => Licence::parse(value)
            .map(|l| l.title().to_string())
            .unwrap_or_else(|_| value.to_string()),
        _ => value.to_string(),
    }
}

fn package_search(b: &str, cat: &Catalogue, p: &Params) -> ActionResult {
    let q = p.str("q").unwrap_or_default();
    let mut query = Query::parse(&q).map_err(|e| Fail::SearchQuery(format!("q: {e}")))?;
    let mut fqs: Vec<String> = p.str("fq").into_iter().collect();
    if let Some(list) = p.list("fq_list") {
        if list.len() > MAX_FQ_LIST {
            return Err(Fail::SearchQuery(format!(
                "fq_list: at most {MAX_FQ_LIST} filter queries"
            )));
        }
        fqs.extend(list);
    }
    for fq in fqs {
        query = query.and(Query::parse(&fq).map_err(|e| Fail::SearchQuery(format!("fq: {e}")))?);
    }
    let rows = p.int("rows", 10)?.min(1000);
    let start = p.int("start", 0)?;
    let sort = p
        .str("sort")
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "score desc, metadata_modified desc".into());
    let mut hits: Vec<&Dataset> = cat
        .datasets
        .iter()
        .filter(|d| query.matches(&Doc(d)))
        .collect();
    let keys = parse_sort(&sort);
    for (field, _) in &keys {
        if !matches!(
            field.as_str(),
            "score"
                | "id"
                | "name"
                | "title"
                | "title_string"
                | "metadata_modified"
                | "metadata_created"
                | "views_recent"
                | "num_resources"
                | "num_tags"
        ) {
            return Err(Fail::SearchQuery(format!("sort: unknown field {field}")));
        }
    }
    hits.sort_by(|x, y| {
        for (field, desc) in &keys {
            let o = match field.as_str() {
                "id" => x.uuid.cmp(&y.uuid),
                "name" => x.name.as_str().cmp(y.name.as_str()),
                "title" | "title_string" => x.title.to_lowercase().cmp(&y.title.to_lowercase()),
                "metadata_modified" => x.modified().cmp(&y.modified()),
                "metadata_created" => x.created_at.cmp(&y.created_at),
                "num_resources" => x.resources.len().cmp(&y.resources.len()),
                "num_tags" => x.tags.len().cmp(&y.tags.len()),
                // every match scores the same here; the next key decides
                _ => std::cmp::Ordering::Equal,
            };
            let o = if *desc { o.reverse() } else { o };
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        }
        x.uuid.cmp(&y.uuid)
    });
    let count = hits.len();
    let mut facets = Map::new();
    let mut search_facets = Map::new();
    if p.bool_or("facet", true)? {
        let fields = p.list("facet.field").unwrap_or_default();
        let limit = match p.0.get("facet.limit") {
            Some(v)
                if v.as_str().is_some_and(|s| s.trim().starts_with('-'))
                    || v.as_i64().is_some_and(|n| n < 0) =>
            {
                usize::MAX
            }
            _ => usize::try_from(p.int("facet.limit", 50)?).unwrap_or(50),
        };
        let mincount = p.int("facet.mincount", 1)?;
        for field in fields.iter().filter(|f| FACET_FIELDS.contains(&f.as_str())) {
            let mut counts: BTreeMap<String, i64> = BTreeMap::new();
            for d in &hits {
                let mut vals = Doc(d).values(field);
                vals.sort();
                vals.dedup();
                for v in vals {
                    *counts.entry(v).or_default() += 1;
                }
            }
            let mut top: Vec<(String, i64)> =
                counts.into_iter().filter(|(_, n)| *n >= mincount).collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            top.truncate(limit);
            facets.insert(
                field.clone(),
                Value::Object(top.iter().map(|(k, n)| (k.clone(), json!(n))).collect()),
            );
            let mut items: Vec<Value> = top
                .iter()
                .map(|(k, n)| json!({"name": k, "display_name": display_name(cat, field, k), "count": n}))
                .collect();
            items.sort_by(|a, b| {
                b["display_name"]
                    .as_str()
                    .unwrap_or_default()
                    .cmp(a["display_name"].as_str().unwrap_or_default())
            });
            search_facets.insert(field.clone(), json!({"title": field, "items": items}));
        }
    }
    let results: Vec<Value> = page(hits, start, rows)
        .into_iter()
        .map(|d| package_dict(b, d))
        .collect();
    Ok(json!({
        "count": count,
        "results": results,
        "facets": facets,
        "search_facets": search_facets,
        "sort": sort,
    }))
}

fn sort_groups(items: &mut [(String, String, usize, Value)], sort: &str) -> Result<(), Fail> {
    let keys = parse_sort(sort);
    let (field, desc) = keys
        .first()
        .cloned()
        .unwrap_or_else(|| ("title".into(), false));
    match field.as_str() {
        "name" => items.sort_by(|a, b| a.0.cmp(&b.0)),
        "title" | "display_name" => items.sort_by_key(|a| a.1.to_lowercase()),
        "package_count" => items.sort_by(|a, b| a.2.cmp(&b.2).then_with(|| a.0.cmp(&b.0))),
        other => return Err(invalid("sort", &format!("Cannot sort by field `{other}`"))),
    }
    if desc {
        items.reverse();
    }
    Ok(())
}

fn list_groups(
    mut items: Vec<(String, String, usize, Value)>,
    p: &Params,
    names_key: &str,
) -> ActionResult {
    if let Some(q) = p.str("q").map(|q| q.to_lowercase()) {
        items.retain(|i| i.0.contains(&q) || i.1.to_lowercase().contains(&q));
    }
    if let Some(only) = p.list(names_key) {
        items.retain(|i| only.contains(&i.0));
    }
    sort_groups(
        &mut items,
        &p.str("sort").unwrap_or_else(|| "title asc".into()),
    )?;
    let all_fields = p.bool("all_fields")?;
    let limit = p.int("limit", if all_fields { 25 } else { 1000 })?;
    let offset = p.int("offset", 0)?;
    let items = page(items, offset, limit);
    Ok(Value::Array(
        items
            .into_iter()
            .map(|(name, _, _, dict)| if all_fields { dict } else { json!(name) })
            .collect(),
    ))
}

async fn publishers(state: &AppState) -> Result<Vec<Publisher>, Fail> {
    let units = kotapintar_storage::units::list(&state.store).await?;
    Ok(units
        .into_iter()
        .filter(|u| u.active)
        .map(|u| Publisher {
            id: u.id.0,
            uuid: stable_uuid("unit", u.code.as_str()),
            slug: u.slug,
            name: u.name,
            email: u.email,
            website: u.website,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
        })
        .collect())
}

fn count_by_org(cat: &Catalogue, slug: &str) -> usize {
    cat.datasets
        .iter()
        .filter(|d| d.publisher.slug == slug)
        .count()
}

async fn organization_list(
    state: &AppState,
    _b: &str,
    cat: &Catalogue,
    p: &Params,
) -> ActionResult {
    let items = publishers(state)
        .await?
        .into_iter()
        .map(|u| {
            // a unit with datasets shows the creation time the catalogue knows
            let known = cat
                .datasets
                .iter()
                .find(|d| d.publisher.slug == u.slug)
                .map(|d| d.publisher.clone());
            let u = known.unwrap_or(u);
            let n = count_by_org(cat, &u.slug);
            (u.slug.clone(), u.name.clone(), n, organization_dict(&u, n))
        })
        .collect();
    list_groups(items, p, "organizations")
}

async fn organization_show(state: &AppState, b: &str, cat: &Catalogue, p: &Params) -> ActionResult {
    let id = p.str("id").ok_or_else(|| missing("id"))?;
    let u = publishers(state)
        .await?
        .into_iter()
        .find(|u| u.slug == id || u.uuid == id)
        .ok_or_else(|| Fail::NotFound("Organization was not found".into()))?;
    let u = cat
        .datasets
        .iter()
        .find(|d| d.publisher.slug == u.slug)
        .map(|d| d.publisher.clone())
        .unwrap_or(u);
    let n = count_by_org(cat, &u.slug);
    let mut dict = organization_dict(&u, n);
    if p.bool("include_datasets")? {
        dict["packages"] = Value::Array(
            cat.datasets
                .iter()
                .filter(|d| d.publisher.slug == u.slug)
                .take(1000)
                .map(|d| package_dict(b, d))
                .collect(),
        );
    }
    Ok(dict)
}

fn group_list(_b: &str, cat: &Catalogue, p: &Params) -> ActionResult {
    let items = Topic::ALL
        .into_iter()
        .map(|t| {
            let n = cat.datasets.iter().filter(|d| d.topic == t).count();
            (
                t.as_str().to_string(),
                t.title().to_string(),
                n,
                group_dict(t, n),
            )
        })
        .collect();
    list_groups(items, p, "groups")
}

fn group_show(b: &str, cat: &Catalogue, p: &Params) -> ActionResult {
    let id = p.str("id").ok_or_else(|| missing("id"))?;
    let t = Topic::ALL
        .into_iter()
        .find(|t| t.as_str() == id || stable_uuid("topic", t.as_str()) == id)
        .ok_or_else(|| Fail::NotFound("Group was not found".into()))?;
    let n = cat.datasets.iter().filter(|d| d.topic == t).count();
    let mut dict = group_dict(t, n);
    if p.bool("include_datasets")? {
        dict["packages"] = Value::Array(
            cat.datasets
                .iter()
                .filter(|d| d.topic == t)
                .take(1000)
                .map(|d| package_dict(b, d))
                .collect(),
        );
    }
    Ok(dict)
}

async fn datastore_search(state: &AppState, p: &Params) -> ActionResult {
    let rid = p
        .str("resource_id")
        .or_else(|| p.str("id"))
        .ok_or_else(|| missing("resource_id"))?;
    let cat = catalogue(state).await?;
    let (_, r) = cat
        .resource(&rid)
        .ok_or_else(|| Fail::NotFound(format!("Resource \"{rid}\" was not found.")))?;
    let table = table_of(state, r)
        .await?
        .ok_or_else(|| Fail::NotFound(format!("Resource \"{rid}\" was not found.")))?;
    let limit = p.int("limit", 100)?.min(32_000);
    let offset = p.int("offset", 0)?;
    let filters: Vec<(String, Vec<String>)> = match p.0.get("filters") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => {
            let obj = match v {
                Value::Object(m) => m.clone(),
                Value::String(s) if s.trim().is_empty() => Map::new(),
                Value::String(s) => match serde_json::from_str::<Value>(s) {
                    Ok(Value::Object(m)) => m,
                    _ => return Err(invalid("filters", "Not a json object")),
                },
                _ => return Err(invalid("filters", "Not a json object")),
            };
            obj.into_iter()
                .map(|(k, v)| {
                    let text = |x: &Value| match x {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    let values = match &v {
                        Value::Array(a) => a.iter().map(text).collect(),
                        other => vec![text(other)],
                    };
                    (k, values)
                })
                .collect()
        }
    };
    let q = match p.0.get("q") {
        Some(Value::Object(m)) => Some(
            m.values()
                .filter_map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => p.str("q"),
    };
    // refused here with CKAN's search error (400), before anything is matched
    if let Some(q) = &q {
        if q.chars().count() > MAX_QUERY_CHARS || q.split_whitespace().count() > MAX_QUERY_TERMS {
            return Err(Fail::SearchQuery(format!(
                "q: at most {MAX_QUERY_TERMS} words and {MAX_QUERY_CHARS} characters"
            )));
        }
    }
    if filters.len() > MAX_QUERY_TERMS
        || filters.iter().map(|(_, v)| v.len()).sum::<usize>() > MAX_QUERY_TERMS * 4
    {
        return Err(Fail::SearchQuery(format!(
            "filters: at most {MAX_QUERY_TERMS} columns"
        )));
    }
    let fields = p.list("fields");
    let sort = p.str("sort").map(|s| parse_sort(&s)).unwrap_or_default();
    let query = DatastoreQuery {
        filters,
        q,
        fields,
        sort,
        offset: usize::try_from(offset).unwrap_or(0),
        limit: usize::try_from(limit).unwrap_or(100),
    };
    let searched = {
        let _slot = state
            .search_slots
            .acquire()
            .await
            .map_err(|_| Fail::Internal)?;
        let t = table.clone();
        tokio::task::spawn_blocking(move || t.search(&query))
            .await
            .map_err(|_| Fail::Internal)?
    };
    let sel = searched.map_err(|e| {
        Fail::Validation(
            e.0.iter()
                .map(|fe| {
                    let msg = match fe.field.as_str() {
                        "q" => "Query too long",
                        "filters" if fe.code == "too_many_filters" => "Too many filters",
                        "filters" => "Unknown column in filters",
                        "fields" => "Unknown column in fields",
                        _ => "Unknown column in sort",
                    };
                    (fe.field.clone(), msg.to_string())
                })
                .collect(),
        )
    })?;
    let field_defs: Vec<Value> = sel
        .columns
        .iter()
        .map(|c| match c {
            None => json!({"id": "_id", "type": "int"}),
            Some(i) => {
                json!({"id": table.columns[*i].name, "type": table.columns[*i].kind.as_str()})
            }
        })
        .collect();
    let format = p.str("records_format").unwrap_or_else(|| "objects".into());
    let cell = |c: &Option<usize>, v: &str| match c {
        None => json!(v.parse::<i64>().unwrap_or(0)),
        Some(i) => table.json_value(*i, v),
    };
    let records: Value = match format.as_str() {
        "objects" => Value::Array(
            sel.rows
                .iter()
                .map(|(_, cells)| {
                    let mut m = Map::new();
                    for (c, v) in sel.columns.iter().zip(cells) {
                        let key = c
                            .map(|i| table.columns[i].name.clone())
                            .unwrap_or_else(|| "_id".into());
                        m.insert(key, cell(c, v));
                    }
                    Value::Object(m)
                })
                .collect(),
        ),
        "lists" => Value::Array(
            sel.rows
                .iter()
                .map(|(_, cells)| {
                    Value::Array(
                        sel.columns
                            .iter()
                            .zip(cells)
                            .map(|(c, v)| cell(c, v))
                            .collect(),
                    )
                })
                .collect(),
        ),
        "csv" | "tsv" => {
            let mut w = csv::WriterBuilder::new()
                .delimiter(if format == "tsv" { b'\t' } else { b',' })
                .has_headers(false)
                .from_writer(Vec::new());
            for (_, cells) in &sel.rows {
                // a formula in a cell would run in the spreadsheet of whoever opens it
                let _ = kotapintar_domain::csv_cell::write_record(&mut w, cells);
            }
            json!(String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default())
        }
        _ => {
            return Err(invalid(
                "records_format",
                "Value must be one of ['objects', 'lists', 'csv', 'tsv']",
            ))
        }
    };
    let next_offset = offset + limit;
    let mut result = json!({
        "include_total": p.bool_or("include_total", true)?,
        "resource_id": r.uuid,
        "fields": field_defs,
        "records_format": format,
        "records": records,
        "limit": limit,
        "offset": offset,
        "total": sel.total,
        "total_was_estimated": false,
        "_links": {
            "start": format!("/api/3/action/datastore_search?resource_id={}", r.uuid),
            "next": format!("/api/3/action/datastore_search?resource_id={}&offset={next_offset}", r.uuid),
        },
    });
    if offset > 0 {
        result["_links"]["prev"] = json!(format!(
            "/api/3/action/datastore_search?resource_id={}&offset={}",
            r.uuid,
            (offset - limit).max(0)
        ));
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_is_a_ckan_error_envelope() {
        for class in crate::error::tests::every_class() {
            let expected = match class.status() {
                // CKAN answers a validation error with 409
                StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => StatusCode::CONFLICT,
                other => other,
            };
            let retry = class.retry_after();
            let fail = Fail::from(class);
            assert_eq!(fail.retry_after(), retry);
            let (status, v) = envelope("https://x", "package_show", Err(fail));
            assert_eq!(status, expected);
            assert_eq!(v["success"], false);
            assert!(v["error"]["__type"].is_string(), "{v}");
            assert!(
                v["error"]["message"].is_string()
                    || v["error"].as_object().is_some_and(|e| e.len() > 1),
                "{v}"
            );
        }
        let unavailable = Fail::from(kotapintar_storage::StorageError::Unavailable {
            reason: "disk full".into(),
        });
        assert_eq!(
            unavailable.retry_after(),
            Some(crate::error::RETRY_AFTER_SECS)
        );
    }

    #[test]
    fn repeated_query_keys_become_lists() {
        let p = Params(params_from_query(Some(
            "facet.field=organization&facet.field=tags&rows=5&q=apbd",
        )));
        assert_eq!(
            p.list("facet.field"),
            Some(vec!["organization".to_string(), "tags".to_string()])
        );
        assert_eq!(p.int("rows", 10).ok(), Some(5));
        let p = Params(params_from_query(Some("facet.field=%5B%22tags%22%5D")));
        assert_eq!(p.list("facet.field"), Some(vec!["tags".to_string()]));
    }

    #[test]
    fn parameters_are_read_as_ckan_reads_them() {
        let p = Params(
            serde_json::from_str::<Map<String, Value>>(
                r#"{"rows": "7", "all_fields": "True", "x": 1, "start": -1, "bad": "yes please"}"#,
            )
            .unwrap(),
        );
        assert_eq!(p.int("rows", 10).ok(), Some(7));
        assert!(p.bool("all_fields").unwrap_or(false));
        assert!(p.int("start", 0).is_err());
        assert!(p.bool("bad").is_err());
        assert_eq!(p.int("missing", 3).ok(), Some(3));
    }

    #[test]
    fn timestamps_have_six_fraction_digits_and_no_zone() {
        let t = DateTime::parse_from_rfc3339("2025-01-02T03:04:05.1234567Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(ckan_time(t), "2025-01-02T03:04:05.123456");
    }
}
