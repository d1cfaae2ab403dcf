//! The public information portal: news and announcements (`/berita`), agenda (`/agenda`),
//! development projects (`/proyek`), unit profiles (`/unit/{slug}`) and the one search box
//! (`/cari`). Only items the public may see reach these pages (`content::public_*`).

use crate::view::{render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use kotapintar_domain::content::{planned_progress, ContentItem, ContentKind, ProjectStatus};
use kotapintar_domain::service::Service;
use kotapintar_domain::unit::Unit;
use kotapintar_search::{DocKind, SearchQuery, SearchResults};
use kotapintar_storage::content::{self, PublicFilter, StoredProgress};
use kotapintar_storage::{regions, services, units};
use serde::Deserialize;
use std::collections::HashMap;

pub const PER_PAGE: u64 = 12;

/// "Rp 12.500.000.000": rupiah with Indonesian thousands dots.
pub fn rupiah(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("Rp {}{out}", if v < 0 { "-" } else { "" })
}

/// One decimal, with a comma in Indonesian ("35,5 %").
pub fn percent(page: &Page, v: f64) -> String {
    let s = format!("{v:.1}");
    let s = s.strip_suffix(".0").map(str::to_string).unwrap_or(s);
    if page.lang == crate::i18n::Lang::En {
        format!("{s} %")
    } else {
        format!("{} %", s.replace('.', ","))
    }
}

/// An item as list and detail pages show it, with everything formatted once.
pub struct ItemView {
    pub item: ContentItem,
    pub url: String,
    pub date_label: String,
    pub kecamatan_name: Option<String>,
    pub behind: bool,
    pub physical: Option<String>,
    pub budget: Option<String>,
    pub ceiling: Option<String>,
    pub contract: Option<String>,
    pub when: Option<String>,
}

pub fn today(page: &Page) -> NaiveDate {
    Utc::now().with_timezone(&page.utc_offset).date_naive()
}

pub fn item_view(page: &Page, item: ContentItem, names: &HashMap<String, String>) -> ItemView {
    let today = today(page);
    let behind = item.behind_schedule(today);
    let (physical, budget) = match &item.progress {
        Some(p) => (
            Some(percent(page, p.physical_pct)),
            Some(percent(page, p.budget_pct)),
        ),
        None => (None, None),
    };
    let (ceiling, contract) = match item.project() {
        Some(p) => (Some(rupiah(p.budget_ceiling)), p.contract_value.map(rupiah)),
        None => (None, None),
    };
    let when = item.agenda().map(|a| {
        let (s, e) = (
            a.starts_at.with_timezone(&page.utc_offset),
            a.ends_at.with_timezone(&page.utc_offset),
        );
        if s.date_naive() == e.date_naive() {
            format!(
                "{}, {}–{} {}",
                page.date(a.starts_at),
                s.format("%H:%M"),
                e.format("%H:%M"),
                page.zone()
            )
        } else {
            format!("{} – {}", page.time(a.starts_at), page.time(a.ends_at))
        }
    });
    let date_label = page.date(item.published_at.unwrap_or(item.updated_at));
    let kecamatan_name = item
        .kecamatan
        .as_ref()
        .and_then(|k| names.get(k.as_str()).cloned());
    ItemView {
        url: item.path(),
        date_label,
        kecamatan_name,
        behind,
        physical,
        budget,
        ceiling,
        contract,
        when,
        item,
    }
}

/// Kecamatan codes to names, for labels and filters.
pub async fn district_names(state: &AppState) -> Result<Vec<(String, String)>, WebError> {
    Ok(regions::children(&state.store, &state.config.regency)
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    pub unit: String,
    pub kecamatan: String,
    pub tag: String,
    pub jenis: String,
    pub status: String,
    pub hal: u64,
    /// Agenda: also past activities.
    pub semua: String,
}

#[derive(Template)]
#[template(path = "portal/list.html")]
struct ListTemplate {
    page: Page,
    section: &'static str,
    items: Vec<ItemView>,
    total: u64,
    page_no: u64,
    pages: u64,
    q: ListQuery,
    filter_query: String,
    units: Vec<Unit>,
    districts: Vec<(String, String)>,
    statuses: [ProjectStatus; 5],
}

async fn list(
    state: AppState,
    page: Page,
    section: &'static str,
    q: ListQuery,
) -> Result<Response, WebError> {
    let all_units = units::list(&state.store).await?;
    let unit = all_units.iter().find(|u| u.slug == q.unit).map(|u| u.id);
    let filter = PublicFilter {
        section: Some(section.into()),
        kind: match section {
            "berita" => ContentKind::parse(&q.jenis).ok(),
            _ => None,
        },
        unit,
        kecamatan: (!q.kecamatan.is_empty()).then(|| q.kecamatan.clone()),
        tag: (!q.tag.trim().is_empty()).then(|| q.tag.trim().to_string()),
        project_status: ProjectStatus::parse(&q.status).ok(),
        upcoming_from: (section == "agenda" && q.semua.is_empty()).then(Utc::now),
    };
    let (items, total) = content::public_list(
        &state.store,
        &filter,
        Utc::now(),
        q.hal * PER_PAGE,
        PER_PAGE,
    )
    .await?;
    let districts = district_names(&state).await?;
    let names: HashMap<String, String> = districts.iter().cloned().collect();
    let items = items
        .into_iter()
        .map(|i| item_view(&page, i, &names))
        .collect();
    let filter_query = serde_urlencoded::to_string([
        ("unit", &q.unit),
        ("kecamatan", &q.kecamatan),
        ("tag", &q.tag),
        ("jenis", &q.jenis),
        ("status", &q.status),
        ("semua", &q.semua),
    ])
    .unwrap_or_default();
    Ok(render(&ListTemplate {
        page,
        section,
        items,
        total,
        page_no: q.hal,
        pages: total.div_ceil(PER_PAGE),
        filter_query,
        units: all_units.into_iter().filter(|u| u.active).collect(),
        districts,
        statuses: ProjectStatus::ALL,
        q,
    })?
    .into_response())
}

pub async fn news(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    list(state, page, "berita", q).await
}

pub async fn agenda(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    list(state, page, "agenda", q).await
}

pub async fn projects(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<ListQuery>,
) -> Result<Response, WebError> {
    list(state, page, "proyek", q).await
}

/// A point of the progress chart, in the SVG's coordinates (600 × 300, 0 % at the bottom).
pub struct ChartPoint {
    pub x: f64,
    pub y: f64,
}

pub struct ProgressRow {
    pub date: String,
    pub physical: String,
    pub budget: String,
    pub planned: String,
    pub note: String,
    pub photo: Option<String>,
}

/// The progress chart: planned progress as a straight line from start to end, reported
/// physical progress and budget realisation as lines through the reports.
pub struct ProgressChart {
    pub planned: String,
    pub physical: String,
    pub budget: String,
    pub points: Vec<ChartPoint>,
    pub today_x: Option<f64>,
    pub start_label: String,
    pub end_label: String,
}

fn progress_chart(
    page: &Page,
    start: NaiveDate,
    end: NaiveDate,
    reports: &[StoredProgress],
) -> ProgressChart {
    let last = reports
        .iter()
        .map(|r| r.update.reported_on)
        .max()
        .unwrap_or(end)
        .max(end);
    let span = (last - start).num_days().max(1) as f64;
    let x = |d: NaiveDate| 40.0 + ((d - start).num_days() as f64 / span).clamp(0.0, 1.0) * 540.0;
    let y = |pct: f64| 270.0 - pct.clamp(0.0, 100.0) * 2.5;
    let line = |pts: &[(f64, f64)]| {
        pts.iter()
            .map(|(a, b)| format!("{a:.1},{b:.1}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut physical = vec![(x(start), y(0.0))];
    let mut budget = vec![(x(start), y(0.0))];
    let mut points = Vec::new();
    for r in reports {
        let px = x(r.update.reported_on);
        physical.push((px, y(r.update.physical_pct)));
        budget.push((px, y(r.update.budget_pct)));
        points.push(ChartPoint {
            x: px,
            y: y(r.update.physical_pct),
        });
    }
    let now = today(page);
    let fmt = |d: NaiveDate| {
        d.and_hms_opt(12, 0, 0)
            .map(|t| page.date(t.and_utc()))
            .unwrap_or_default()
    };
    ProgressChart {
        planned: line(&[(x(start), y(0.0)), (x(end), y(100.0))]),
        physical: line(&physical),
        budget: line(&budget),
        points,
        today_x: (now > start && now < last).then(|| x(now)),
        start_label: fmt(start),
        end_label: fmt(last),
    }
}

#[derive(Template)]
#[template(path = "portal/item.html")]
struct ItemTemplate {
    page: Page,
    v: ItemView,
    progress: Vec<ProgressRow>,
    chart: Option<ProgressChart>,
    planned_now: Option<String>,
    canonical: String,
    image: Option<String>,
}

async fn detail(
    state: AppState,
    page: Page,
    section: &str,
    slug: &str,
) -> Result<Response, WebError> {
    let item = content::public_by_slug(&state.store, section, slug, Utc::now())
        .await?
        .ok_or(WebError::NotFound)?;
    let names: HashMap<String, String> = district_names(&state).await?.into_iter().collect();
    let mut progress = Vec::new();
    let mut chart = None;
    let mut planned_now = None;
    if let Some(p) = item.project() {
        let reports = content::progress(&state.store.reader, item.id).await?;
        for r in &reports {
            let u = &r.update;
            progress.push(ProgressRow {
                date: u
                    .reported_on
                    .and_hms_opt(12, 0, 0)
                    .map(|t| page.date(t.and_utc()))
                    .unwrap_or_default(),
                physical: percent(&page, u.physical_pct),
                budget: percent(&page, u.budget_pct),
                planned: percent(
                    &page,
                    planned_progress(p.planned_start, p.planned_end, u.reported_on),
                ),
                note: u.note.clone(),
                photo: r.photo.clone(),
            });
        }
        chart = Some(progress_chart(
            &page,
            p.planned_start,
            p.planned_end,
            &reports,
        ));
        if p.status == ProjectStatus::Running {
            planned_now = Some(percent(
                &page,
                planned_progress(p.planned_start, p.planned_end, today(&page)),
            ));
        }
    }
    let canonical = format!(
        "{}{}",
        state.config.rules.public_url.trim_end_matches('/'),
        item.path()
    );
    let image = item.cover_photo.as_ref().map(|c| {
        format!(
            "{}/gambar/{c}",
            state.config.rules.public_url.trim_end_matches('/')
        )
    });
    Ok(render(&ItemTemplate {
        v: item_view(&page, item, &names),
        page,
        progress,
        chart,
        planned_now,
        canonical,
        image,
    })?
    .into_response())
}

pub async fn news_item(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    detail(state, page, "berita", &slug).await
}

pub async fn agenda_item(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    detail(state, page, "agenda", &slug).await
}

pub async fn project_item(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    detail(state, page, "proyek", &slug).await
}

/// The active unit at `/unit/{slug}`; an unknown or inactive one is not found.
pub async fn active_unit(state: &AppState, slug: &str) -> Result<Unit, WebError> {
    units::find_by_slug(&state.store.reader, slug)
        .await?
        .filter(|u| u.active)
        .ok_or(WebError::NotFound)
}

#[derive(Template)]
#[template(path = "portal/unit.html")]
struct UnitTemplate {
    page: Page,
    unit: Unit,
    services: Vec<Service>,
    news: Vec<ItemView>,
    agenda: Vec<ItemView>,
    projects: Vec<ItemView>,
}

pub async fn unit_profile(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
) -> Result<Response, WebError> {
    let unit = active_unit(&state, &slug).await?;
    let services = services::list(&state.store, true)
        .await?
        .into_iter()
        .filter(|s| s.unit_id == unit.id.0)
        .collect();
    let names: HashMap<String, String> = district_names(&state).await?.into_iter().collect();
    let now = Utc::now();
    let mut lists = Vec::new();
    for (section, upcoming) in [("berita", None), ("agenda", Some(now)), ("proyek", None)] {
        let f = PublicFilter {
            section: Some(section.into()),
            unit: Some(unit.id),
            upcoming_from: upcoming,
            ..Default::default()
        };
        let (items, _) = content::public_list(&state.store, &f, now, 0, 5).await?;
        lists.push(
            items
                .into_iter()
                .map(|i| item_view(&page, i, &names))
                .collect::<Vec<_>>(),
        );
    }
    let projects = lists.pop().unwrap_or_default();
    let agenda = lists.pop().unwrap_or_default();
    let news = lists.pop().unwrap_or_default();
    Ok(render(&UnitTemplate {
        page,
        unit,
        services,
        news,
        agenda,
        projects,
    })?
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SearchParams {
    pub q: String,
    pub jenis: String,
    pub unit: String,
    pub kecamatan: String,
    pub hal: usize,
}

pub struct Facet {
    pub label: String,
    pub count: u64,
    pub href: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "portal/search.html")]
struct SearchTemplate {
    page: Page,
    p: SearchParams,
    results: SearchResults,
    unit_names: HashMap<String, String>,
    kinds: Vec<Facet>,
    units: Vec<Facet>,
    districts: Vec<Facet>,
    page_no: usize,
    pages: usize,
    base_query: String,
}

const SEARCH_PER_PAGE: usize = 10;

fn search_href(p: &SearchParams, key: &str, value: &str) -> String {
    let mut pairs = vec![("q", p.q.clone())];
    for (k, v) in [
        ("jenis", &p.jenis),
        ("unit", &p.unit),
        ("kecamatan", &p.kecamatan),
    ] {
        if k == key {
            // clicking a selected facet removes it
            if v != value {
                pairs.push((k, value.to_string()));
            }
        } else if !v.is_empty() {
            pairs.push((k, v.clone()));
        }
    }
    format!(
        "/cari?{}",
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    )
}

/// `/cari`: one box over everything public, with facets by kind, unit and kecamatan.
pub async fn search(
    State(state): State<AppState>,
    page: Page,
    Query(p): Query<SearchParams>,
) -> Result<Response, WebError> {
    let query = SearchQuery {
        text: p.q.chars().take(200).collect(),
        kind: DocKind::parse(&p.jenis),
        unit: (!p.unit.is_empty()).then(|| p.unit.clone()),
        kecamatan: (!p.kecamatan.is_empty()).then(|| p.kecamatan.clone()),
        offset: p.hal.min(100) * SEARCH_PER_PAGE,
        limit: SEARCH_PER_PAGE,
    };
    let index = state.search.clone();
    let results = if p.q.trim().is_empty()
        && query.kind.is_none()
        && query.unit.is_none()
        && query.kecamatan.is_none()
    {
        SearchResults::default()
    } else {
        let _slot = state
            .search_slots
            .acquire()
            .await
            .map_err(|e| WebError::Internal(e.to_string()))?;
        tokio::task::spawn_blocking(move || index.search(&query))
            .await
            .map_err(|e| WebError::Internal(e.to_string()))?
            .map_err(|e| WebError::Internal(e.to_string()))?
    };
    let unit_names: HashMap<String, String> = units::list(&state.store)
        .await?
        .into_iter()
        .map(|u| (u.slug, u.name))
        .collect();
    let district_names: HashMap<String, String> =
        district_names(&state).await?.into_iter().collect();
    let facets =
        |key: &str, list: &[(String, u64)], label: &dyn Fn(&str) -> String| -> Vec<Facet> {
            let selected = match key {
                "jenis" => &p.jenis,
                "unit" => &p.unit,
                _ => &p.kecamatan,
            };
            list.iter()
                .map(|(value, count)| Facet {
                    label: label(value),
                    count: *count,
                    href: search_href(&p, key, value),
                    selected: selected == value,
                })
                .collect()
        };
    let kinds = facets("jenis", &results.facets.kind, &|v| {
        page.tk("search_kind", v).to_string()
    });
    let units = facets("unit", &results.facets.unit, &|v| {
        unit_names.get(v).cloned().unwrap_or_else(|| v.to_string())
    });
    let districts = facets("kecamatan", &results.facets.kecamatan, &|v| {
        district_names
            .get(v)
            .cloned()
            .unwrap_or_else(|| v.to_string())
    });
    let base_query = serde_urlencoded::to_string([
        ("q", &p.q),
        ("jenis", &p.jenis),
        ("unit", &p.unit),
        ("kecamatan", &p.kecamatan),
    ])
    .unwrap_or_default();
    let pages = results.total.div_ceil(SEARCH_PER_PAGE).min(101);
    // how fresh this node's index is: the newest change it has absorbed
    let cursor = state.search.cursor().ok().flatten().unwrap_or(-1);
    let body = render(&SearchTemplate {
        page,
        page_no: p.hal,
        pages,
        results,
        unit_names,
        kinds,
        units,
        districts,
        base_query,
        p,
    })?;
    Ok(([("x-search-cursor", cursor.to_string())], body).into_response())
}
