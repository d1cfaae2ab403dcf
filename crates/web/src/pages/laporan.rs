//! The public side of requests: the list with its map, one request's page, "saya juga",
//! and photos. Everything here renders `PublicRequest`, the privacy-checked projection.

use crate::csrf::CsrfForm;
use crate::session::MaybeStaff;
use crate::view::{render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use kotapintar_domain::intake::BoundingBox;
use kotapintar_domain::privacy::PublicRequest;
use kotapintar_domain::request::{normalise_tracking_code, RequestKind, Status};
use kotapintar_storage::regions;
use kotapintar_storage::requests::{self, FigureStage, PublicFilter};
use serde::Deserialize;
use std::collections::HashMap;

const PER_PAGE: u64 = 20;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    jenis: String,
    #[serde(default)]
    kecamatan: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    kode: String,
    #[serde(default)]
    hal: u64,
    /// The filters the performance pages link with: a unit (slug), a stage reached between
    /// two dates, a service (code), overdue now.
    #[serde(default)]
    unit: String,
    #[serde(default)]
    tahap: String,
    #[serde(default)]
    dari: String,
    #[serde(default)]
    sampai: String,
    #[serde(default)]
    layanan: String,
    #[serde(default)]
    terlambat: String,
}

/// A point of the map, already placed in the SVG's 0..1000 × 0..1000 box.
pub struct MapPoint {
    pub x: f64,
    pub y: f64,
    pub code: String,
    pub title: String,
    pub open: bool,
}

#[derive(Template)]
#[template(path = "laporan_list.html")]
struct ListTemplate {
    page: Page,
    rows: Vec<PublicRequest>,
    total: u64,
    page_no: u64,
    pages: u64,
    statuses: &'static [Status],
    kinds: [RequestKind; 4],
    districts: Vec<(String, String)>,
    status: String,
    jenis: String,
    kecamatan: String,
    q: String,
    points: Vec<MapPoint>,
    lookup_failed: bool,
    /// The current filters as a query string, for the page links.
    filter_query: String,
    /// The performance filters in effect, described, with the address without them.
    figure_filters: Vec<String>,
}

fn place(bounds: &BoundingBox, lat: f64, lon: f64) -> Option<(f64, f64)> {
    if !bounds.contains(lat, lon) {
        return None;
    }
    let x = (lon - bounds.min_lon) / (bounds.max_lon - bounds.min_lon) * 1000.0;
    let y = (bounds.max_lat - lat) / (bounds.max_lat - bounds.min_lat) * 1000.0;
    Some((x, y))
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    if !q.kode.trim().is_empty() {
        match normalise_tracking_code(&q.kode) {
            Some(code)
                if requests::public_by_code(&state.store, &code)
                    .await?
                    .is_some() =>
            {
                return Ok(Redirect::to(&format!("/laporan/{code}")).into_response());
            }
            _ => {}
        }
    }
    let filter = PublicFilter {
        status: Status::parse(&q.status).ok(),
        kind: RequestKind::parse(&q.jenis).ok(),
        district_code: (!q.kecamatan.is_empty()).then(|| q.kecamatan.clone()),
        text: (!q.q.trim().is_empty()).then(|| q.q.trim().to_string()),
        unit_slug: (!q.unit.trim().is_empty()).then(|| q.unit.trim().to_string()),
        stage: FigureStage::parse(q.tahap.trim()).and_then(|s| {
            let p = kotapintar_domain::performance::Period::parse(&q.dari, &q.sampai)?;
            Some((
                s,
                p.from.format("%Y-%m-%d").to_string(),
                p.to.format("%Y-%m-%d").to_string(),
            ))
        }),
        service_codes: q
            .layanan
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect(),
        overdue_at: (q.terlambat == "1").then(chrono::Utc::now),
        ..Default::default()
    };
    let mut figure_filters = Vec::new();
    if let Some(u) = &filter.unit_slug {
        figure_filters.push(format!("{}: {u}", page.t("kinerja.unit")));
    }
    if let Some((_, from, to)) = &filter.stage {
        figure_filters.push(format!(
            "{}: {from} – {to}",
            page.tk("status", q.tahap.trim())
        ));
    }
    if let Some(s) = filter.service_codes.first() {
        figure_filters.push(format!("{}: {s}", page.t("kinerja.service")));
    }
    if filter.overdue_at.is_some() {
        figure_filters.push(page.t("kinerja.overdue_now").to_string());
    }
    let (rows, total) = requests::public_list(&state.store, &filter, q.hal, PER_PAGE).await?;
    let districts = regions::children(&state.store, &state.config.regency)
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();
    let points = match state.config.rules.bounds {
        Some(b) => rows
            .iter()
            .filter_map(|r| {
                let (x, y) = place(&b, r.latitude?, r.longitude?)?;
                Some(MapPoint {
                    x,
                    y,
                    code: r.tracking_code.clone(),
                    title: r.title.clone(),
                    open: r.status.is_open(),
                })
            })
            .collect(),
        None => Vec::new(),
    };
    let filter_query = serde_urlencoded::to_string([
        ("status", &q.status),
        ("jenis", &q.jenis),
        ("kecamatan", &q.kecamatan),
        ("q", &q.q),
        ("unit", &q.unit),
        ("tahap", &q.tahap),
        ("dari", &q.dari),
        ("sampai", &q.sampai),
        ("layanan", &q.layanan),
        ("terlambat", &q.terlambat),
    ])
    .unwrap_or_default();
    render(&ListTemplate {
        page,
        rows,
        total,
        page_no: q.hal,
        pages: total.div_ceil(PER_PAGE),
        statuses: &Status::ALL,
        kinds: RequestKind::ALL,
        districts,
        status: q.status,
        jenis: q.jenis,
        kecamatan: q.kecamatan,
        q: q.q,
        points,
        lookup_failed: !q.kode.trim().is_empty(),
        filter_query,
        figure_filters,
    })
    .map(IntoResponse::into_response)
}

#[derive(Template)]
#[template(path = "laporan_detail.html")]
struct DetailTemplate {
    page: Page,
    r: PublicRequest,
    supported: bool,
    map: crate::map::MapView,
}

pub async fn detail(
    State(state): State<AppState>,
    page: Page,
    Path(code): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let Some(code) = normalise_tracking_code(&code) else {
        return Err(WebError::NotFound);
    };
    let r = requests::public_by_code(&state.store, &code)
        .await?
        .ok_or(WebError::NotFound)?;
    render(&DetailTemplate {
        page,
        r,
        supported: q.contains_key("didukung"),
        map: crate::map::MapView::of(&state),
    })
    .map(IntoResponse::into_response)
}

const SUPPORTER_COOKIE: &str = "kp_supporter";

/// "Saya juga": one per device, remembered by a random cookie (no personal data).
pub async fn support(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(code): Path<String>,
    CsrfForm(_): CsrfForm<HashMap<String, String>>,
) -> Result<Response, WebError> {
    let Some(code) = normalise_tracking_code(&code) else {
        return Err(WebError::NotFound);
    };
    let (supporter, fresh) = match jar
        .get(SUPPORTER_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| v.len() == 64)
    {
        Some(s) => (s, false),
        None => (kotapintar_storage::sessions::new_token(), true),
    };
    requests::support(&state.store, &code, &supporter).await?;
    let mut res = Redirect::to(&format!("/laporan/{code}?didukung=1")).into_response();
    if fresh {
        let cookie = format!(
            "{SUPPORTER_COOKIE}={supporter}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax"
        );
        if let Ok(v) = header::HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(res)
}

/// A photo or its thumbnail. Confidential requests' photos reach staff only.
pub async fn photo(
    State(state): State<AppState>,
    MaybeStaff(staff): MaybeStaff,
    Path(name): Path<String>,
) -> Result<Response, WebError> {
    let (id, thumb) = match name.strip_suffix("-kecil") {
        Some(id) => (id, true),
        None => (name.as_str(), false),
    };
    let id: i64 = id.parse().map_err(|_| WebError::NotFound)?;
    let (mime, file) = requests::photo(&state.store, id, thumb, staff.as_ref()).await?;
    let path = state.config.uploads.join(&file);
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| WebError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "private, max-age=86400".to_string()),
        ],
        bytes,
    )
        .into_response())
}
