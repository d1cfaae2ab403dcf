//! Performance pages (kinerja): the regency's and each unit's figures over a period, for
//! everyone, and the leadership dashboard with its weekly summary. Figures come from the
//! counters kept by `kotapintar_storage::performance`; every chart has a table of the same
//! rows beside it, and the same rows are the CSV.

mod leadership;

pub use leadership::{leadership, weekly};

use crate::cache::Memo;
use crate::charts::{self, ColumnChart, HBarChart};
use crate::i18n::{self, Lang};
use crate::view::{render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate, Utc};
use kotapintar_domain::performance::{Dim, Figures, Period, REGENCY};
use kotapintar_domain::working_days::local_date;
use kotapintar_storage::performance::{self as perf, Summary};
use kotapintar_storage::{regions, services};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

/// How long a computed page's figures are reused. The issue allows a figure to be a minute
/// behind the data; half of that keeps busy pages cheap without noticeable delay.
const CACHE_FOR: StdDuration = StdDuration::from_secs(30);

type CacheKey = (i64, NaiveDate, NaiveDate, Lang);

/// Computed pages kept at most: the regency's and each unit's default periods, and some
/// more (a page holds its tables and charts, up to a few hundred KB).
const CACHE_PAGES: usize = 96;

/// Computed dashboards by (scope, period, language), each reused for [`CACHE_FOR`], and the
/// count of what is overdue now, which every page shows whatever its period.
#[derive(Clone)]
pub struct DashboardCache {
    pages: Arc<Mutex<Entries>>,
    /// `perf::overdue_now`: a count over every open request past its deadline (30 to 60 ms
    /// at a million requests, when tens of thousands are open), shared by the pages made
    /// while no event is written and for at most [`CACHE_FOR`]; a deadline that passes
    /// without an event shows within that time, as the pages' own figures do.
    overdue: Arc<Memo<(i64, HashMap<i64, i64>)>>,
}

impl Default for DashboardCache {
    fn default() -> Self {
        Self {
            pages: Arc::default(),
            overdue: Arc::new(Memo::new(CACHE_FOR)),
        }
    }
}

type Entries = HashMap<CacheKey, (Instant, Arc<Dashboard>)>;

impl DashboardCache {
    fn get(&self, key: &CacheKey) -> Option<Arc<Dashboard>> {
        let map = self.pages.lock().ok()?;
        map.get(key)
            .filter(|(at, _)| at.elapsed() < CACHE_FOR)
            .map(|(_, d)| d.clone())
    }

    fn put(&self, key: CacheKey, d: Arc<Dashboard>) {
        if let Ok(mut map) = self.pages.lock() {
            // expired pages go at once (they were kept until the map filled, tens of MB
            // after a visitor stepped through periods), and at most CACHE_PAGES are kept
            map.retain(|_, (at, _)| at.elapsed() < CACHE_FOR);
            while map.len() >= CACHE_PAGES {
                let Some(oldest) = map.iter().min_by_key(|(_, (at, _))| *at).map(|(k, _)| *k)
                else {
                    break;
                };
                map.remove(&oldest);
            }
            map.insert(key, (Instant::now(), d));
        }
    }
}

/// The figures of a page, computed at most every [`CACHE_FOR`].
async fn cached_dashboard(
    state: &AppState,
    lang: Lang,
    unit: Option<(i64, String, String)>,
    period: Period,
) -> Result<Arc<Dashboard>, WebError> {
    let key = (
        unit.as_ref().map_or(REGENCY, |u| u.0),
        period.from,
        period.to,
        lang,
    );
    if let Some(d) = state.dashboards.get(&key) {
        return Ok(d);
    }
    let d = Arc::new(dashboard(state, lang, unit, period).await?);
    state.dashboards.put(key, d.clone());
    Ok(d)
}

#[derive(Deserialize, Default)]
pub struct PeriodQuery {
    #[serde(default)]
    dari: String,
    #[serde(default)]
    sampai: String,
    #[serde(default)]
    hari: Option<i64>,
    /// Which table to download as CSV.
    #[serde(default)]
    csv: String,
}

/// The default period: the last 90 days.
const DEFAULT_DAYS: i64 = 90;
const PRESETS: [i64; 3] = [30, 90, 365];

fn today(state: &AppState) -> NaiveDate {
    local_date(Utc::now(), state.config.rules.utc_offset)
}

fn period_of(q: &PeriodQuery, today: NaiveDate) -> Period {
    Period::parse(&q.dari, &q.sampai)
        .unwrap_or_else(|| Period::last_days(today, q.hari.unwrap_or(DEFAULT_DAYS)))
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// One cell of a table (and of its CSV line).
pub struct Cell {
    pub text: String,
    pub href: Option<String>,
    pub num: bool,
}

impl Cell {
    fn text(t: impl Into<String>) -> Self {
        Self {
            text: t.into(),
            href: None,
            num: false,
        }
    }

    fn num(t: impl ToString, href: Option<String>) -> Self {
        Self {
            text: t.to_string(),
            href,
            num: true,
        }
    }

    fn link(t: impl Into<String>, href: String) -> Self {
        Self {
            text: t.into(),
            href: Some(href),
            num: false,
        }
    }
}

/// A table of figures: shown on the page, and downloadable as CSV with the same cells.
pub struct DataTable {
    /// The `csv=` name.
    pub id: &'static str,
    pub caption: &'static str,
    /// Column headings (catalogue keys); the first column holds the row headers.
    pub columns: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

impl DataTable {
    pub fn csv(&self, lang: Lang) -> String {
        let mut out = String::new();
        let line = |cells: Vec<&str>| {
            cells
                .iter()
                .map(|c| {
                    // a name typed by staff must not run as a formula in a spreadsheet
                    let c = kotapintar_domain::csv_cell::safe(c);
                    if c.contains([',', '"', '\n', '\r']) {
                        format!("\"{}\"", c.replace('"', "\"\""))
                    } else {
                        c.into_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        out.push_str(&line(
            self.columns.iter().map(|k| i18n::t(lang, k)).collect(),
        ));
        out.push_str("\r\n");
        for r in &self.rows {
            out.push_str(&line(r.iter().map(|c| c.text.as_str()).collect()));
            out.push_str("\r\n");
        }
        out
    }
}

fn fmt1(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.1}"))
}

fn fmt_int(v: Option<i64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

/// Links from figures to the public list of the requests behind them.
struct Links {
    base: String,
}

impl Links {
    fn new(slug: Option<&str>) -> Self {
        Self {
            base: match slug {
                Some(s) => format!("/laporan?unit={s}"),
                None => "/laporan?".to_string(),
            },
        }
    }

    fn stage(&self, stage: &str, p: Period, extra: &str) -> String {
        let sep = if self.base.ends_with('?') { "" } else { "&" };
        format!(
            "{}{sep}tahap={stage}&dari={}&sampai={}{extra}",
            self.base,
            ymd(p.from),
            ymd(p.to)
        )
    }

    fn overdue(&self) -> String {
        let sep = if self.base.ends_with('?') { "" } else { "&" };
        format!("{}{sep}terlambat=1", self.base)
    }
}

pub struct IkmView {
    pub value: String,
    pub grade: &'static str,
    pub grade_label: &'static str,
    pub respondents: u64,
}

/// Everything one performance page shows.
pub struct Dashboard {
    pub scope_name: String,
    pub slug: Option<String>,
    pub period: Period,
    pub summary: DataTable,
    pub ikm: Option<IkmView>,
    pub weeks: DataTable,
    pub week_chart: ColumnChart,
    pub months: DataTable,
    pub month_chart: ColumnChart,
    pub services: DataTable,
    pub service_chart: HBarChart,
    pub districts: DataTable,
    pub district_chart: HBarChart,
    pub ranking: Option<(DataTable, HBarChart)>,
}

impl Dashboard {
    fn tables(&self) -> Vec<&DataTable> {
        let mut t = vec![
            &self.summary,
            &self.weeks,
            &self.months,
            &self.services,
            &self.districts,
        ];
        if let Some((r, _)) = &self.ranking {
            t.push(r);
        }
        t
    }
}

#[allow(clippy::too_many_arguments)]
fn trend(
    id: &'static str,
    caption: &'static str,
    lang: Lang,
    buckets: &[NaiveDate],
    end_of: impl Fn(NaiveDate) -> NaiveDate,
    label: impl Fn(NaiveDate) -> String,
    period: Period,
    daily: &BTreeMap<NaiveDate, Figures>,
    links: &Links,
) -> (DataTable, ColumnChart) {
    let mut rows = Vec::new();
    let mut groups = Vec::new();
    for &start in buckets {
        let p = Period {
            from: start.max(period.from),
            to: end_of(start).min(period.to),
        };
        let mut f = Figures::default();
        for (_, day) in daily.range(p.from..=p.to) {
            f.received += day.received;
            f.verified += day.verified;
            f.resolved += day.resolved;
            f.rejected += day.rejected;
        }
        let l = label(start);
        groups.push((
            l.clone(),
            vec![
                (0, i18n::t(lang, "kinerja.received").to_string(), f.received),
                (1, i18n::t(lang, "kinerja.resolved").to_string(), f.resolved),
            ],
        ));
        rows.push(vec![
            Cell::text(l),
            Cell::num(f.received, Some(links.stage("diterima", p, ""))),
            Cell::num(f.verified, Some(links.stage("diverifikasi", p, ""))),
            Cell::num(f.resolved, Some(links.stage("selesai", p, ""))),
            Cell::num(f.rejected, Some(links.stage("ditolak", p, ""))),
        ]);
    }
    (
        DataTable {
            id,
            caption,
            columns: vec![
                "kinerja.period",
                "kinerja.received",
                "kinerja.verified",
                "kinerja.resolved",
                "kinerja.rejected",
            ],
            rows,
        },
        charts::columns(groups),
    )
}

#[allow(clippy::too_many_arguments)]
fn breakdown_table(
    id: &'static str,
    caption: &'static str,
    first: &'static str,
    lang: Lang,
    data: &BTreeMap<String, Figures>,
    names: &HashMap<String, (String, String)>,
    param: &str,
    period: Period,
    links: &Links,
) -> (DataTable, HBarChart) {
    let mut entries: Vec<(&String, &Figures)> = data
        .iter()
        .filter(|(_, f)| f.received > 0 || f.resolved > 0)
        .collect();
    entries.sort_by(|a, b| b.1.received.cmp(&a.1.received).then(a.0.cmp(b.0)));
    let mut rows = Vec::new();
    let mut bars = Vec::new();
    for (key, f) in entries {
        let (code, name) = match names.get(key) {
            Some((c, n)) => (Some(c.clone()), n.clone()),
            None if key.is_empty() => (None, i18n::t(lang, "kinerja.none").to_string()),
            None => (None, key.clone()),
        };
        let extra = code
            .as_ref()
            .map(|c| format!("&{param}={c}"))
            .unwrap_or_default();
        let link = |stage: &str| code.as_ref().map(|_| links.stage(stage, period, &extra));
        bars.push((
            name.clone(),
            f.received as f64,
            f.received.to_string(),
            link("diterima"),
        ));
        rows.push(vec![
            Cell::text(name),
            Cell::num(f.received, link("diterima")),
            Cell::num(f.resolved, link("selesai")),
            Cell::num(f.rejected, link("ditolak")),
            Cell::num(fmt1(f.on_time_share()), None),
        ]);
    }
    (
        DataTable {
            id,
            caption,
            columns: vec![
                first,
                "kinerja.received",
                "kinerja.resolved",
                "kinerja.rejected",
                "kinerja.on_time_share",
            ],
            rows,
        },
        charts::hbar(bars),
    )
}

fn ranking(summary: &Summary, period: Period) -> (DataTable, HBarChart) {
    let mut units: Vec<_> = summary.units.iter().collect();
    units.sort_by(|a, b| {
        let sa = a.figures.on_time_share();
        let sb = b.figures.on_time_share();
        sb.is_some()
            .cmp(&sa.is_some())
            .then(sb.partial_cmp(&sa).unwrap_or(std::cmp::Ordering::Equal))
            .then(
                a.figures
                    .resolve_median()
                    .partial_cmp(&b.figures.resolve_median())
                    .unwrap_or(std::cmp::Ordering::Equal),
            )
            .then(b.figures.resolved.cmp(&a.figures.resolved))
            .then(a.name.cmp(&b.name))
    });
    let q = format!("?dari={}&sampai={}", ymd(period.from), ymd(period.to));
    let mut rows = Vec::new();
    let mut bars = Vec::new();
    for (i, u) in units.iter().enumerate() {
        let f = &u.figures;
        let page = format!("/kinerja/{}{q}", u.slug);
        if let Some(s) = f.on_time_share() {
            bars.push((u.name.clone(), s, format!("{s:.1}%"), Some(page.clone())));
        }
        let links = Links::new(Some(&u.slug));
        rows.push(vec![
            Cell::link(u.name.clone(), page),
            Cell::num(i + 1, None),
            Cell::num(f.received, Some(links.stage("diterima", period, ""))),
            Cell::num(f.resolved, Some(links.stage("selesai", period, ""))),
            Cell::num(fmt1(f.on_time_share()), None),
            Cell::num(fmt1(f.resolve_median()), None),
            Cell::num(u.overdue, Some(links.overdue())),
        ]);
    }
    (
        DataTable {
            id: "peringkat",
            caption: "kinerja.ranking",
            columns: vec![
                "kinerja.unit",
                "kinerja.rank",
                "kinerja.received",
                "kinerja.resolved",
                "kinerja.on_time_share",
                "kinerja.resolve_median",
                "kinerja.overdue_now",
            ],
            rows,
        },
        charts::hbar(bars),
    )
}

/// A unit by its slug: (id, slug, name).
async fn unit_by_slug(state: &AppState, slug: &str) -> Result<(i64, String, String), WebError> {
    perf::unit_names(&state.store)
        .await?
        .into_iter()
        .find(|(_, (s, _))| s == slug)
        .map(|(id, (s, n))| (id, s, n))
        .ok_or(WebError::NotFound)
}

/// The headline figures, each linked to the requests behind it.
fn summary_table(
    lang: Lang,
    f: &Figures,
    overdue: i64,
    ikm: Option<&IkmView>,
    period: Period,
    links: &Links,
) -> DataTable {
    let row = |key: &str, value: Cell| vec![Cell::text(i18n::t(lang, key)), value];
    let stage = |stage: &str| Some(links.stage(stage, period, ""));
    let ikm_text = ikm.map_or_else(|| "-".to_string(), |i| format!("{} ({})", i.value, i.grade));
    DataTable {
        id: "ringkasan",
        caption: "kinerja.summary",
        columns: vec!["kinerja.figure", "kinerja.value"],
        rows: vec![
            row("kinerja.received", Cell::num(f.received, stage("diterima"))),
            row(
                "kinerja.verified",
                Cell::num(f.verified, stage("diverifikasi")),
            ),
            row("kinerja.resolved", Cell::num(f.resolved, stage("selesai"))),
            row("kinerja.rejected", Cell::num(f.rejected, stage("ditolak"))),
            row(
                "kinerja.verify_median",
                Cell::num(fmt1(f.verify_median()), stage("diverifikasi")),
            ),
            row(
                "kinerja.verify_p90",
                Cell::num(fmt_int(f.verify_p90()), stage("diverifikasi")),
            ),
            row(
                "kinerja.resolve_median",
                Cell::num(fmt1(f.resolve_median()), stage("selesai")),
            ),
            row(
                "kinerja.resolve_p90",
                Cell::num(fmt_int(f.resolve_p90()), stage("selesai")),
            ),
            row(
                "kinerja.on_time_share",
                Cell::num(fmt1(f.on_time_share()), stage("selesai")),
            ),
            row(
                "kinerja.overdue_now",
                Cell::num(overdue, Some(links.overdue())),
            ),
            row("kinerja.ikm", Cell::num(ikm_text, None)),
            row(
                "kinerja.ikm_respondents",
                Cell::num(ikm.map_or(0, |i| i.respondents), None),
            ),
            // validated closure: follow-ups the desk returned to the unit
            row("kinerja.returned", Cell::num(f.returned, None)),
            // bukan wewenang: referred to an outside agency, neither resolved nor late
            row(
                "kinerja.referred",
                Cell::num(f.referred, stage("dialihkan")),
            ),
        ],
    }
}

/// The period week by week and month by month.
fn trends(
    lang: Lang,
    period: Period,
    daily: &BTreeMap<NaiveDate, Figures>,
    links: &Links,
) -> ((DataTable, ColumnChart), (DataTable, ColumnChart)) {
    let (weeks, week_chart) = trend(
        "mingguan",
        "kinerja.by_week",
        lang,
        &period.weeks(),
        |w| w + Duration::days(6),
        ymd,
        period,
        daily,
        links,
    );
    let (months, month_chart) = trend(
        "bulanan",
        "kinerja.by_month",
        lang,
        &period.months(),
        |m| {
            let next = if m.month0() == 11 {
                NaiveDate::from_ymd_opt(m.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(m.year(), m.month() + 1, 1)
            };
            next.map_or(m, |n| n - Duration::days(1))
        },
        |m| m.format("%Y-%m").to_string(),
        period,
        daily,
        links,
    );
    ((weeks, week_chart), (months, month_chart))
}

/// Builds a page's figures: the regency's (`unit` = None) or one unit's.
async fn dashboard(
    state: &AppState,
    lang: Lang,
    unit: Option<(i64, String, String)>,
    period: Period,
) -> Result<Dashboard, WebError> {
    let store = &state.store;
    let scope = unit.as_ref().map_or(REGENCY, |u| u.0);
    let slug = unit.as_ref().map(|u| u.1.clone());
    let links = Links::new(slug.as_deref());
    let now = Utc::now();
    let seq = store.head.seq();
    let overdue_now = state
        .dashboards
        .overdue
        .get(seq, || async {
            perf::overdue_now(store, now).await.map_err(WebError::from)
        })
        .await?;
    // The regency's page needs every unit's figures for the ranking; they come with its
    // totals and what is overdue.
    let regency = match &unit {
        Some(_) => None,
        None => Some(perf::summary_with_overdue(store, period, &overdue_now).await?),
    };
    let (totals, overdue) = match (&unit, &regency) {
        (_, Some(s)) => (s.totals.clone(), s.overdue),
        (Some(u), None) => {
            let (_, per_unit) = overdue_now.as_ref();
            (
                perf::totals(store, scope, period).await?,
                per_unit.get(&u.0).copied().unwrap_or(0),
            )
        }
        (None, None) => (Figures::default(), 0),
    };
    let ikm = totals.ikm().map(|r| IkmView {
        value: r.converted.to_string(),
        grade: r.mutu.letter(),
        grade_label: if lang == Lang::En {
            r.mutu.label_en()
        } else {
            r.mutu.label_id()
        },
        respondents: r.respondents,
    });
    let summary = summary_table(lang, &totals, overdue, ikm.as_ref(), period, &links);
    let daily = perf::daily(store, scope, period).await?;
    let ((weeks, week_chart), (months, month_chart)) = trends(lang, period, &daily, &links);
    let service_names: HashMap<String, (String, String)> = services::list(store, false)
        .await?
        .into_iter()
        .map(|s| (s.id.to_string(), (s.draft.code, s.draft.name)))
        .collect();
    let (services_t, service_chart) = breakdown_table(
        "layanan",
        "kinerja.by_service",
        "kinerja.service",
        lang,
        &perf::breakdown(store, scope, Dim::Service, period).await?,
        &service_names,
        "layanan",
        period,
        &links,
    );
    let district_names: HashMap<String, (String, String)> =
        regions::children(store, &state.config.regency)
            .await?
            .into_iter()
            .map(|d| (d.code.clone(), (d.code, d.name)))
            .collect();
    let (districts, district_chart) = breakdown_table(
        "kecamatan",
        "kinerja.by_district",
        "kinerja.district",
        lang,
        &perf::breakdown(store, scope, Dim::District, period).await?,
        &district_names,
        "kecamatan",
        period,
        &links,
    );
    let ranking = regency.map(|s| ranking(&s, period));
    Ok(Dashboard {
        scope_name: unit.map_or_else(String::new, |u| u.2),
        slug,
        period,
        summary,
        ikm,
        weeks,
        week_chart,
        months,
        month_chart,
        services: services_t,
        service_chart,
        districts,
        district_chart,
        ranking,
    })
}

use chrono::Datelike;

fn csv_response(d: &Dashboard, which: &str, lang: Lang) -> Result<Response, WebError> {
    let t = d
        .tables()
        .into_iter()
        .find(|t| t.id == which)
        .ok_or(WebError::NotFound)?;
    let name = format!(
        "kinerja-{}-{}-{}-{}.csv",
        d.slug.as_deref().unwrap_or("kabupaten"),
        t.id,
        ymd(d.period.from),
        ymd(d.period.to)
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        t.csv(lang),
    )
        .into_response())
}

pub struct Preset {
    pub days: i64,
    pub current: bool,
}

fn presets(period: Period, today: NaiveDate) -> Vec<Preset> {
    PRESETS
        .iter()
        .map(|&days| Preset {
            days,
            current: period == Period::last_days(today, days),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "kinerja/page.html")]
struct KinerjaTemplate {
    page: Page,
    d: Arc<Dashboard>,
    presets: Vec<Preset>,
    /// The page's own address with its period, for the CSV links.
    self_query: String,
    path: String,
}

async fn show(
    state: AppState,
    page: Page,
    q: PeriodQuery,
    unit: Option<(i64, String, String)>,
) -> Result<Response, WebError> {
    let today = today(&state);
    let period = period_of(&q, today);
    let d = cached_dashboard(&state, page.lang, unit, period).await?;
    if !q.csv.is_empty() {
        return csv_response(&d, &q.csv, page.lang);
    }
    let path = match &d.slug {
        Some(s) => format!("/kinerja/{s}"),
        None => "/kinerja".to_string(),
    };
    render(&KinerjaTemplate {
        presets: presets(period, today),
        self_query: format!("dari={}&sampai={}", ymd(period.from), ymd(period.to)),
        path,
        page,
        d,
    })
    .map(IntoResponse::into_response)
}

/// `/kinerja`: the regency.
pub async fn regency(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    show(state, page, q, None).await
}

/// `/kinerja/{slug}`: one unit.
pub async fn unit(
    State(state): State<AppState>,
    page: Page,
    Path(slug): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    let unit = unit_by_slug(&state, &slug).await?;
    show(state, page, q, Some(unit)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it() {
        let t = DataTable {
            id: "x",
            caption: "kinerja.summary",
            columns: vec!["kinerja.figure", "kinerja.value"],
            rows: vec![vec![Cell::text("Jalan, \"rusak\""), Cell::num(3, None)]],
        };
        assert_eq!(
            t.csv(Lang::En),
            "Figure,Value\r\n\"Jalan, \"\"rusak\"\"\",3\r\n"
        );
    }
}
