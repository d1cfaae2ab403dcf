//! The open-data catalogue as machines read it: the CKAN Action API (`ckan.rs`), DCAT
//! (`dcat.rs`), stable download addresses and the DataStore dump. People's pages are in
//! `pages/data.rs`; both read the same published catalogue from here.
//!
//! Only published datasets ever leave through this module: the catalogue is built from
//! `opendata::published`, and every address looks datasets and resources up in it.

pub mod ckan;
pub mod dcat;
mod live;
mod negotiate;

use crate::{AppState, WebError};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, NaiveDate, Utc};
use kotapintar_domain::opendata::table::Table;
use kotapintar_domain::opendata::LiveSource;
use kotapintar_storage::opendata::{self, Dataset, Resource, Source};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

/// How long the catalogue and live tables are reused when no event was written meanwhile.
const MAX_AGE: StdDuration = StdDuration::from_secs(30);

/// The published catalogue, indexed for lookups by name, id and resource id.
pub struct Catalogue {
    pub datasets: Vec<Dataset>,
    by_key: HashMap<String, usize>,
    resources: HashMap<String, (usize, usize)>,
}

impl Catalogue {
    fn new(datasets: Vec<Dataset>) -> Self {
        let mut by_key = HashMap::new();
        let mut resources = HashMap::new();
        for (i, d) in datasets.iter().enumerate() {
            by_key.insert(d.name.as_str().to_string(), i);
            by_key.insert(d.uuid.clone(), i);
            for (j, r) in d.resources.iter().enumerate() {
                resources.insert(r.uuid.clone(), (i, j));
            }
        }
        Self {
            datasets,
            by_key,
            resources,
        }
    }

    /// A published dataset by its name or id.
    pub fn dataset(&self, key: &str) -> Option<&Dataset> {
        self.by_key.get(key).map(|i| &self.datasets[*i])
    }

    /// A resource of a published dataset, with its dataset.
    pub fn resource(&self, id: &str) -> Option<(&Dataset, &Resource)> {
        self.resources
            .get(id)
            .map(|(i, j)| (&self.datasets[*i], &self.datasets[*i].resources[*j]))
    }

    /// When anything in the catalogue last changed (for `modified` and caching headers).
    pub fn modified(&self) -> Option<DateTime<Utc>> {
        self.datasets.iter().map(Dataset::modified).max()
    }
}

type Cached<T> = Option<(i64, Instant, Arc<T>)>;
/// Tables by key, each with the event cursor it was made at and when.
type TableCache = HashMap<String, (i64, Instant, Arc<Table>)>;

#[derive(Clone, Default)]
pub struct Caches {
    catalogue: Arc<Mutex<Cached<Catalogue>>>,
    /// Parsed uploads by SHA-256 (they never change), live tables by source.
    tables: Arc<Mutex<TableCache>>,
}

/// The published catalogue, reused until the next event (every dataset change writes one).
pub async fn catalogue(state: &AppState) -> Result<Arc<Catalogue>, WebError> {
    let seq = state.store.head.seq();
    if let Ok(guard) = state.opendata.catalogue.lock() {
        if let Some((at, made, c)) = guard.as_ref() {
            if *at == seq && made.elapsed() < MAX_AGE {
                return Ok(c.clone());
            }
        }
    }
    let c = Arc::new(Catalogue::new(opendata::published(&state.store).await?));
    if let Ok(mut guard) = state.opendata.catalogue.lock() {
        *guard = Some((seq, Instant::now(), c.clone()));
    }
    Ok(c)
}

/// The public address of this deployment, without a trailing slash.
pub fn base(state: &AppState) -> String {
    state
        .config
        .rules
        .public_url
        .trim_end_matches('/')
        .to_string()
}

/// The stable download address of a resource (CKAN's form, so harvesters copy it verbatim).
pub fn download_url(base: &str, d: &Dataset, r: &Resource) -> String {
    format!(
        "{base}/dataset/{}/resource/{}/download/{}",
        d.uuid, r.uuid, r.file_name
    )
}

/// A resource's table: an uploaded CSV read and parsed once (by its hash), or a live table
/// computed from the records. `None` for resources that are not tabular.
pub async fn table_of(state: &AppState, r: &Resource) -> Result<Option<Arc<Table>>, WebError> {
    if !r.is_tabular() {
        return Ok(None);
    }
    let (key, seq) = match &r.source {
        Source::Upload { sha256, .. } => (format!("upload:{sha256}"), 0),
        Source::Live(l) => (format!("live:{}", l.as_str()), state.store.head.seq()),
    };
    if let Ok(map) = state.opendata.tables.lock() {
        if let Some((at, made, t)) = map.get(&key) {
            let fresh = match r.source {
                Source::Upload { .. } => true,
                Source::Live(_) => *at == seq && made.elapsed() < MAX_AGE,
            };
            if fresh {
                return Ok(Some(t.clone()));
            }
        }
    }
    let table = match &r.source {
        Source::Upload { file, .. } => {
            let path =
                opendata::file_path(&state.config.uploads, file).ok_or(WebError::NotFound)?;
            let bytes = tokio::fs::read(&path)
                .await
                .map_err(|e| WebError::Internal(format!("reading {}: {e}", path.display())))?;
            tokio::task::spawn_blocking(move || Table::from_csv(&bytes))
                .await
                .map_err(|e| WebError::Internal(e.to_string()))?
                .map_err(|e| {
                    WebError::Internal(format!("a stored CSV no longer parses: {}", e.code))
                })?
        }
        Source::Live(l) => live_table(state, *l).await?,
    };
    let table = Arc::new(table);
    if let Ok(mut map) = state.opendata.tables.lock() {
        if map.len() > 64 {
            map.clear();
        }
        map.insert(key, (seq, Instant::now(), table.clone()));
    }
    Ok(Some(table))
}

fn today(state: &AppState) -> NaiveDate {
    kotapintar_domain::working_days::local_date(Utc::now(), state.config.rules.utc_offset)
}

/// Computes a live table from kotapintar's own records. Only aggregates and public facts:
/// counts per unit, never a request or a person.
async fn live_table(state: &AppState, source: LiveSource) -> Result<Table, WebError> {
    let store = &state.store;
    let today = today(state);
    match source {
        LiveSource::RequestsMonthly => live::requests_monthly(store, today).await,
        LiveSource::ResolutionTimes => live::resolution_times(store, today).await,
        LiveSource::Ikm => live::ikm(store, today).await,
        LiveSource::Projects => live::projects(store).await,
        LiveSource::Units => live::units(store).await,
        LiveSource::Services => live::services(store).await,
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/dataset/{id}/resource/{rid}/download", get(download_plain))
        .route(
            "/dataset/{id}/resource/{rid}/download/{file}",
            get(download),
        )
        .route("/datastore/dump/{rid}", get(dump))
        .route("/api/3", get(ckan::version))
        .route(
            "/api/3/action/{name}",
            get(ckan::action_get).post(ckan::action_post),
        )
        .route(
            "/api/action/{name}",
            get(ckan::action_get).post(ckan::action_post),
        )
        .route("/data.json", get(dcat::data_json))
        .route("/dcat/catalog", get(negotiate::catalog))
        .route("/dcat/catalog.ttl", get(dcat::catalog_ttl))
        .route("/dcat/catalog.jsonld", get(dcat::catalog_jsonld))
        .route("/catalog.ttl", get(dcat::catalog_ttl))
        .route("/catalog.jsonld", get(dcat::catalog_jsonld))
        .route("/dataset/{file}", get(dcat::dataset_rdf))
        .route("/dataset/{id}/resource/{rid}", get(negotiate::resource))
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

async fn download_plain(
    State(state): State<AppState>,
    Path((id, rid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    serve(&state, &id, &rid, &headers).await
}

async fn download(
    State(state): State<AppState>,
    Path((id, rid, _file)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    serve(&state, &id, &rid, &headers).await
}

/// Sends a resource: the stored file as uploaded, or a live table as CSV. Uploads carry their
/// SHA-256 as the ETag, so clients and harvesters re-download only what changed.
async fn serve(
    state: &AppState,
    id: &str,
    rid: &str,
    headers: &HeaderMap,
) -> Result<Response, WebError> {
    let cat = catalogue(state).await?;
    let (d, r) = cat.resource(rid).ok_or(WebError::NotFound)?;
    if d.uuid != id && d.name.as_str() != id {
        return Err(WebError::NotFound);
    }
    let disposition = format!("attachment; filename=\"{}\"", r.file_name);
    match &r.source {
        Source::Upload { file, sha256, .. } => {
            let etag = format!("\"{sha256}\"");
            if headers
                .get(header::IF_NONE_MATCH)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v == etag)
            {
                return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
            }
            let path =
                opendata::file_path(&state.config.uploads, file).ok_or(WebError::NotFound)?;
            let bytes = tokio::fs::read(&path)
                .await
                .map_err(|e| WebError::Internal(format!("reading {}: {e}", path.display())))?;
            let mime = if r.format.is_tabular() {
                "text/csv; charset=utf-8".to_string()
            } else {
                r.format.mimetype().to_string()
            };
            Ok((
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CONTENT_DISPOSITION, disposition),
                    (header::ETAG, etag),
                    (header::LAST_MODIFIED, http_date(r.updated_at)),
                    (header::CACHE_CONTROL, "public, max-age=300".to_string()),
                    (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*".to_string()),
                ],
                bytes,
            )
                .into_response())
        }
        Source::Live(_) => {
            let table = table_of(state, r).await?.ok_or(WebError::NotFound)?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, disposition),
                    (header::CACHE_CONTROL, "public, max-age=60".to_string()),
                    (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*".to_string()),
                ],
                table.to_csv(),
            )
                .into_response())
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DumpQuery {
    format: Option<String>,
    bom: Option<String>,
}

/// `/datastore/dump/{resource id}`: a tabular resource as CSV (default), TSV or JSON.
async fn dump(
    State(state): State<AppState>,
    Path(rid): Path<String>,
    Query(q): Query<DumpQuery>,
) -> Result<Response, WebError> {
    let cat = catalogue(&state).await?;
    let (_, r) = cat.resource(&rid).ok_or(WebError::NotFound)?;
    let table = table_of(&state, r).await?.ok_or(WebError::NotFound)?;
    let stem = r
        .file_name
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(&r.file_name);
    let format = q.format.as_deref().unwrap_or("csv").to_ascii_lowercase();
    let (mime, ext, body) = match format.as_str() {
        "csv" | "tsv" => {
            use kotapintar_domain::csv_cell::write_record;
            let delimiter = if format == "tsv" { b'\t' } else { b',' };
            let mut w = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .from_writer(Vec::new());
            let mut header = vec!["_id".to_string()];
            header.extend(table.columns.iter().map(|c| c.name.clone()));
            write_record(&mut w, &header).map_err(|e| WebError::Internal(e.to_string()))?;
            for (i, row) in table.rows.iter().enumerate() {
                let mut rec = vec![(i + 1).to_string()];
                rec.extend(row.iter().cloned());
                write_record(&mut w, &rec).map_err(|e| WebError::Internal(e.to_string()))?;
            }
            let mut body = w
                .into_inner()
                .map_err(|e| WebError::Internal(e.to_string()))?;
            if q.bom
                .as_deref()
                .is_some_and(|b| b == "true" || b == "True" || b == "1")
            {
                body.splice(0..0, b"\xEF\xBB\xBF".iter().copied());
            }
            let mime = if format == "tsv" {
                "text/tab-separated-values; charset=utf-8"
            } else {
                "text/csv; charset=utf-8"
            };
            (mime, format.clone(), body)
        }
        "json" => {
            let fields: Vec<serde_json::Value> =
                std::iter::once(serde_json::json!({"id": "_id", "type": "int"}))
                    .chain(
                        table
                            .columns
                            .iter()
                            .map(|c| serde_json::json!({"id": c.name, "type": c.kind.as_str()})),
                    )
                    .collect();
            let records: Vec<serde_json::Value> = table
                .rows
                .iter()
                .enumerate()
                .map(|(i, row)| {
                    let mut v = vec![serde_json::json!(i + 1)];
                    v.extend(row.iter().enumerate().map(|(c, x)| table.json_value(c, x)));
                    serde_json::Value::Array(v)
                })
                .collect();
            let body =
                serde_json::to_vec(&serde_json::json!({"fields": fields, "records": records}))
                    .map_err(|e| WebError::Internal(e.to_string()))?;
            ("application/json", "json".to_string(), body)
        }
        _ => return Err(WebError::BadRequest(format!("unknown format {format}"))),
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{stem}.{ext}\""),
            ),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*".to_string()),
        ],
        body,
    )
        .into_response())
}
