//! The open-data catalogue as machines read it: the CKAN Action API (`ckan.rs`), DCAT
//! (`dcat.rs`), stable download addresses and the DataStore dump. People's pages are in
//! `pages/data.rs`; both read the same published catalogue from here.
//!
//! Only published datasets ever leave through this module: the catalogue is built from
//! `opendata::published`, and every address looks datasets and resources up in it.

pub mod ckan;
pub mod dcat;

use crate::{AppState, WebError};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use kotapintar_domain::opendata::table::Table;
use kotapintar_domain::opendata::LiveSource;
use kotapintar_domain::performance::Period;
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
    let seq = kotapintar_storage::events::head(&state.store.reader).await?;
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
        Source::Live(l) => (
            format!("live:{}", l.as_str()),
            kotapintar_storage::events::head(&state.store.reader).await?,
        ),
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

fn fmt1(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_default()
}

fn today(state: &AppState) -> NaiveDate {
    kotapintar_domain::working_days::local_date(Utc::now(), state.config.rules.utc_offset)
}

/// Computes a live table from kotapintar's own records. Only aggregates and public facts:
/// counts per unit, never a request or a person.
async fn live_table(state: &AppState, source: LiveSource) -> Result<Table, WebError> {
    use kotapintar_storage::performance;
    let store = &state.store;
    let s = |v: &str| v.to_string();
    let names = performance::unit_names(store).await?;
    let unit = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let today = today(state);
    let table = match source {
        LiveSource::RequestsMonthly => {
            let mut rows = Vec::new();
            let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
            let mut months = vec![first];
            for _ in 0..11 {
                let prev = months[months.len() - 1] - Duration::days(1);
                months.push(NaiveDate::from_ymd_opt(prev.year(), prev.month(), 1).unwrap_or(prev));
            }
            months.reverse();
            for (i, from) in months.iter().enumerate() {
                let to = months
                    .get(i + 1)
                    .map(|n| *n - Duration::days(1))
                    .unwrap_or(today);
                for (id, f) in performance::per_unit(store, Period { from: *from, to }).await? {
                    let (code, name) = unit(id);
                    rows.push(vec![
                        from.format("%Y-%m").to_string(),
                        code,
                        name,
                        f.received.to_string(),
                        f.resolved.to_string(),
                        f.on_time.to_string(),
                    ]);
                }
            }
            Table::new(
                vec![
                    s("bulan"),
                    s("kode_unit"),
                    s("unit"),
                    s("diterima"),
                    s("selesai"),
                    s("selesai_tepat_waktu"),
                ],
                rows,
            )
        }
        LiveSource::ResolutionTimes => {
            let period = Period::last_days(today, 365);
            let rows = performance::per_unit(store, period)
                .await?
                .into_iter()
                .map(|(id, f)| {
                    let (code, name) = unit(id);
                    vec![
                        code,
                        name,
                        f.resolved.to_string(),
                        fmt1(f.resolve_median()),
                        f.resolve_p90().map(|v| v.to_string()).unwrap_or_default(),
                        fmt1(f.on_time_share()),
                    ]
                })
                .collect();
            Table::new(
                vec![
                    s("kode_unit"),
                    s("unit"),
                    s("selesai_365_hari"),
                    s("median_hari_kerja"),
                    s("p90_hari_kerja"),
                    s("persen_tepat_waktu"),
                ],
                rows,
            )
        }
        LiveSource::Ikm => {
            let period = Period::last_days(today, 365);
            let mut rows = Vec::new();
            for (id, (code, name)) in &names {
                let f = performance::totals(store, *id, period).await?;
                if let Some(r) = f.ikm() {
                    let h = r.converted.hundredths();
                    rows.push(vec![
                        code.clone(),
                        name.clone(),
                        r.respondents.to_string(),
                        format!("{}.{:02}", h / 100, h % 100),
                        r.mutu.letter().to_string(),
                    ]);
                }
            }
            Table::new(
                vec![
                    s("kode_unit"),
                    s("unit"),
                    s("responden_365_hari"),
                    s("ikm"),
                    s("mutu"),
                ],
                rows,
            )
        }
        LiveSource::Projects => {
            use kotapintar_storage::content::{self, PublicFilter};
            let f = PublicFilter {
                section: Some("proyek".into()),
                ..Default::default()
            };
            let (items, _) = content::public_list(store, &f, Utc::now(), 0, 100_000).await?;
            let rows = items
                .iter()
                .filter_map(|i| {
                    let p = i.project()?;
                    let progress = i.progress.as_ref();
                    Some(vec![
                        i.slug.as_str().to_string(),
                        i.title.clone(),
                        i.unit_name.clone(),
                        p.sector.clone(),
                        p.fund_source.as_str().to_string(),
                        p.budget_ceiling.to_string(),
                        p.contract_value.map(|v| v.to_string()).unwrap_or_default(),
                        p.planned_start.to_string(),
                        p.planned_end.to_string(),
                        p.status.as_str().to_string(),
                        progress
                            .map(|x| format!("{:.1}", x.physical_pct))
                            .unwrap_or_default(),
                        progress
                            .map(|x| format!("{:.1}", x.budget_pct))
                            .unwrap_or_default(),
                        progress
                            .map(|x| x.reported_on.to_string())
                            .unwrap_or_default(),
                        i.kecamatan
                            .as_ref()
                            .map(|k| k.to_string())
                            .unwrap_or_default(),
                        p.lat.map(|v| format!("{v:.6}")).unwrap_or_default(),
                        p.lon.map(|v| format!("{v:.6}")).unwrap_or_default(),
                    ])
                })
                .collect();
            Table::new(
                [
                    "slug",
                    "nama_proyek",
                    "unit",
                    "sektor",
                    "sumber_dana",
                    "pagu_rupiah",
                    "nilai_kontrak_rupiah",
                    "mulai_rencana",
                    "selesai_rencana",
                    "status",
                    "progres_fisik_persen",
                    "realisasi_anggaran_persen",
                    "tanggal_laporan",
                    "kode_kecamatan",
                    "lintang",
                    "bujur",
                ]
                .map(s)
                .to_vec(),
                rows,
            )
        }
        LiveSource::Units => {
            let rows = kotapintar_storage::units::list(store)
                .await?
                .into_iter()
                .filter(|u| u.active)
                .map(|u| {
                    vec![
                        u.code.to_string(),
                        u.name,
                        u.kind.as_str().to_string(),
                        u.address.unwrap_or_default(),
                        u.phone.unwrap_or_default(),
                        u.email.unwrap_or_default(),
                        u.website.unwrap_or_default(),
                    ]
                })
                .collect();
            Table::new(
                [
                    "kode",
                    "nama",
                    "jenis",
                    "alamat_kantor",
                    "telepon_kantor",
                    "email_kantor",
                    "situs",
                ]
                .map(s)
                .to_vec(),
                rows,
            )
        }
        LiveSource::Services => {
            let rows = kotapintar_storage::services::list(store, true)
                .await?
                .into_iter()
                .map(|v| {
                    vec![
                        v.draft.code.clone(),
                        v.draft.name.clone(),
                        v.unit_name.clone(),
                        v.draft.kind.as_str().to_string(),
                        v.draft.time_limit_days.to_string(),
                        v.draft.cost.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            Table::new(
                [
                    "kode",
                    "nama",
                    "unit",
                    "jenis",
                    "batas_waktu_hari_kerja",
                    "biaya",
                ]
                .map(s)
                .to_vec(),
                rows,
            )
        }
    };
    Ok(table)
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
        .route("/dcat/catalog.ttl", get(dcat::catalog_ttl))
        .route("/dcat/catalog.jsonld", get(dcat::catalog_jsonld))
        .route("/catalog.ttl", get(dcat::catalog_ttl))
        .route("/catalog.jsonld", get(dcat::catalog_jsonld))
        .route("/dataset/{file}", get(dcat::dataset_rdf))
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
