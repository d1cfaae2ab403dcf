//! The read-only subset of CKAN's Action API (v3) that harvesters and clients use, at
//! `/api/3/action/{name}` and `/api/action/{name}`, GET (query string) and POST (JSON or form
//! body), with CKAN's envelope, errors and field formats, so the CKAN harvester and the PyPI
//! `ckanapi` client work unchanged. What each field means is in
//! `shared/reference/ckan-dcat.md`; the rules kept here: every `package_search` result is the
//! full `package_show` dict, timestamps are naive UTC with six fraction digits, ids are UUIDs,
//! extras are strings, unknown parameters are ignored.
//!
//! Here: the envelope, errors, parameters and the dispatch; `dicts`, `package_search`,
//! `organizations` and `datastore` hold the actions.

use super::{base, catalogue, download_url, table_of, Catalogue};
use crate::error::ErrorClass;
use crate::{AppState, WebError};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use kotapintar_domain::opendata::query::{Query, Searchable, MAX_QUERY_CHARS, MAX_QUERY_TERMS};
use kotapintar_domain::opendata::table::{check_sort, DatastoreQuery};
use kotapintar_domain::opendata::{Licence, Topic};
use kotapintar_storage::opendata::{stable_uuid, Dataset, Publisher, Resource, Source};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

mod datastore;
mod dicts;
mod more;
mod organizations;
mod package_search;

use datastore::*;
use dicts::*;
use more::*;
use organizations::*;
use package_search::*;

/// CKAN's timestamp form: naive UTC, six fraction digits (harvesters compare these as text).
pub fn ckan_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

const ACTIONS: &[(&str, &str)] = &[
    ("package_search", "Searches for datasets. Parameters: q, fq, fq_list (Solr syntax: field:value, \"phrases\", ranges with date math such as [NOW-7DAYS TO *]; title, notes and text match words they contain), rows (default 10, at most 1000), start, sort (e.g. \"metadata_modified desc\", \"id asc\"), fl (index fields to return instead of full dicts), facet, facet.field, facet.limit, facet.mincount. Returns count, results, facets, search_facets and sort."),
    ("package_show", "Returns the metadata of a dataset and its resources. Parameter: id (the dataset's id or name)."),
    ("package_list", "Returns the names of the public datasets, sorted. Parameters: limit, offset."),
    ("current_package_list_with_resources", "Returns datasets with their resources, most recently changed first. Parameters: limit, offset, page."),
    ("organization_list", "Returns the units (organizations). Parameters: all_fields, sort, limit, offset, q, organizations, include_dataset_count."),
    ("organization_show", "Returns one unit (organization). Parameters: id (id or name), include_datasets."),
    ("group_list", "Returns the topics (groups). Parameters: all_fields, sort, limit, offset, q, groups."),
    ("group_show", "Returns one topic (group). Parameters: id (id or name), include_datasets."),
    ("tag_list", "Returns the tags of public datasets. Parameters: query, all_fields."),
    ("tag_show", "Returns one tag. Parameters: id (the tag's name), include_datasets."),
    ("package_autocomplete", "Returns datasets whose name or title contains q. Parameters: q, limit (default 10)."),
    ("recently_changed_packages_activity_list", "Returns the latest change of each public dataset, newest first. Parameters: limit (default 31, at most 100), offset."),
    ("license_list", "Returns the licences datasets may carry."),
    ("resource_show", "Returns the metadata of a resource. Parameter: id."),
    ("datastore_search", "Searches a tabular resource. Parameters: resource_id, filters, q (words, or a JSON object of column: words), fields, sort, distinct, limit (default 100, at most 32000), offset, include_total, records_format (objects, lists, csv, tsv)."),
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
                "tag_show" => tag_show(b, &cat, p),
                "package_autocomplete" => package_autocomplete(&cat, p),
                "recently_changed_packages_activity_list" => recent_activity(b, &cat, p),
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
