//! The leadership's pages: the regency's figures with what needs attention (stuck and
//! overdue requests, hot spots, quiet units, late projects), and the weekly summary.

use super::{
    cached_dashboard, csv_response, period_of, presets, today, ymd, Dashboard, PeriodQuery, Preset,
};
use crate::charts::{self, PointMap};
use crate::i18n::Lang;
use crate::session::Staff;
use crate::view::{render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDate, Utc};
use kotapintar_domain::performance::{Dim, Figures, Period, REGENCY};
use kotapintar_domain::policy::Permission;
use kotapintar_storage::performance::{self as perf, StuckRequest, Summary};
use kotapintar_storage::regions;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A kecamatan or desa with its requests received in the period.
pub struct AreaCount {
    pub name: String,
    pub district: String,
    pub count: i64,
    pub href: Option<String>,
}

#[derive(Template)]
#[template(path = "kinerja/pimpinan.html")]
struct LeadershipTemplate {
    page: Page,
    d: Arc<Dashboard>,
    presets: Vec<Preset>,
    self_query: String,
    path: String,
    stuck: Vec<StuckRequest>,
    overdue_by_unit: Vec<(String, String, i64)>,
    map: Option<PointMap>,
    tiles: bool,
    districts: Vec<AreaCount>,
    villages: Vec<AreaCount>,
    /// Units with nothing published for 30 days: name, slug, last publication (if any).
    silent_units: Vec<(String, String, Option<String>)>,
    /// Running projects behind schedule: title, address, unit, physical %, planned % today.
    projects_behind: Vec<(String, String, String, String, String)>,
    /// How often the desk took the routing suggestions, over the last 90 days.
    routing: kotapintar_storage::routing::Accuracy,
    /// Requests no unit took within the configured hours (escalated by the sweep).
    untaken: Vec<kotapintar_storage::requests::Untaken>,
    untaken_hours: u32,
    /// The figures on the first screen, each a link to the requests behind it.
    headline: Vec<Headline>,
}

/// One headline figure: its label's key, the value as shown, where it leads, and whether it
/// asks for attention (late requests).
pub struct Headline {
    pub key: &'static str,
    pub value: String,
    pub href: String,
    pub alert: bool,
}

/// One decimal, with the language's decimal sign (Indonesian writes 2,5).
fn decimal(lang: Lang, v: Option<f64>) -> String {
    let text = super::fmt1(v);
    match lang {
        Lang::Id => text.replace('.', ","),
        Lang::En => text,
    }
}

/// The headline figures (desk, issue 24): open and late now, received in the period, the
/// share resolved on time, the median working days to the first response (verification) and
/// the IKM. Links go to the staff inbox filtered to the requests behind each figure.
async fn headline(
    state: &AppState,
    lang: Lang,
    d: &Dashboard,
    period: Period,
    overdue: i64,
) -> Result<Vec<Headline>, WebError> {
    let open = kotapintar_storage::requests::open_count(&state.store).await?;
    let f = perf::totals(&state.store, REGENCY, period).await?;
    let range = format!("dari={}&sampai={}", ymd(period.from), ymd(period.to));
    let fig = |key, value, href: String| Headline {
        key,
        value,
        href,
        alert: false,
    };
    Ok(vec![
        fig("desk.open_now", open.to_string(), "/staf/laporan".into()),
        Headline {
            alert: overdue > 0,
            ..fig(
                "kinerja.overdue_now",
                overdue.to_string(),
                "/staf/laporan?terlambat=1".into(),
            )
        },
        fig(
            "desk.received",
            f.received.to_string(),
            format!("/staf/laporan?{range}&urut=terbaru"),
        ),
        fig(
            "desk.on_time",
            match f.on_time_share() {
                Some(_) => format!("{}%", decimal(lang, f.on_time_share())),
                None => "-".into(),
            },
            format!("/staf/laporan?status=selesai&{range}"),
        ),
        fig(
            "desk.first_response",
            decimal(lang, f.verify_median()),
            "/staf/laporan?status=diterima".into(),
        ),
        fig(
            "kinerja.ikm",
            d.ikm
                .as_ref()
                .map_or_else(|| "-".into(), |i| format!("{} ({})", i.value, i.grade)),
            "/staf/ikm".into(),
        ),
    ])
}

/// What the portal says about the units: who has gone quiet, which projects are late.
#[allow(clippy::type_complexity)]
async fn portal_watch(
    state: &AppState,
    page: &Page,
) -> Result<
    (
        Vec<(String, String, Option<String>)>,
        Vec<(String, String, String, String, String)>,
    ),
    WebError,
> {
    use kotapintar_domain::content::{planned_progress, ProjectStatus};
    use kotapintar_storage::content::{self, PublicFilter};
    let now = Utc::now();
    let last = content::last_published_by_unit(&state.store, now).await?;
    let silent = kotapintar_storage::units::list(&state.store)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .filter_map(|u| match last.get(&u.id) {
            Some(at) if *at >= now - Duration::days(30) => None,
            Some(at) => Some((u.name, u.slug, Some(page.date(*at)))),
            None => Some((u.name, u.slug, None)),
        })
        .collect();
    let today = crate::pages::portal::today(page);
    let filter = PublicFilter {
        section: Some("proyek".into()),
        project_status: Some(ProjectStatus::Running),
        ..Default::default()
    };
    let (running, _) = content::public_list(&state.store, &filter, now, 0, 1000).await?;
    let behind = running
        .into_iter()
        .filter(|i| i.behind_schedule(today))
        .filter_map(|i| {
            let p = i.project()?;
            let planned = planned_progress(p.planned_start, p.planned_end, today);
            let actual = i.progress.as_ref().map_or(0.0, |u| u.physical_pct);
            Some((
                i.title.clone(),
                i.path(),
                i.unit_name.clone(),
                crate::pages::portal::percent(page, actual),
                crate::pages::portal::percent(page, planned),
            ))
        })
        .collect();
    Ok((silent, behind))
}

/// Counts per kecamatan and per desa of requests received in the period (all requests:
/// leaders see confidential ones too), most first.
async fn hot_spots(
    state: &AppState,
    period: Period,
) -> Result<(Vec<AreaCount>, Vec<AreaCount>), WebError> {
    let store = &state.store;
    let mut names: HashMap<String, (String, String)> = HashMap::new();
    let districts = regions::children(store, &state.config.regency).await?;
    for d in &districts {
        names.insert(d.code.clone(), (d.name.clone(), String::new()));
        if let Ok(code) = kotapintar_domain::region::RegionCode::parse(&d.code) {
            for v in regions::children(store, &code).await? {
                names.insert(v.code, (v.name, d.name.clone()));
            }
        }
    }
    let area = |dim: Dim, data: BTreeMap<String, Figures>| {
        let mut out: Vec<AreaCount> = data
            .into_iter()
            .filter(|(_, f)| f.received > 0)
            .map(|(code, f)| {
                let (name, district) = names.get(&code).cloned().unwrap_or_else(|| {
                    (
                        if code.is_empty() {
                            "-".into()
                        } else {
                            code.clone()
                        },
                        String::new(),
                    )
                });
                AreaCount {
                    href: (dim == Dim::District && !code.is_empty()).then(|| {
                        format!(
                            "/laporan?tahap=diterima&dari={}&sampai={}&kecamatan={code}",
                            ymd(period.from),
                            ymd(period.to)
                        )
                    }),
                    name,
                    district,
                    count: f.received,
                }
            })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
        out
    };
    let d = area(
        Dim::District,
        perf::breakdown(store, REGENCY, Dim::District, period).await?,
    );
    let mut v = area(
        Dim::Village,
        perf::breakdown(store, REGENCY, Dim::Village, period).await?,
    );
    v.truncate(20);
    Ok((d, v))
}

/// `/staf/pimpinan`: the regency's figures plus what needs the leadership's attention.
pub async fn leadership(
    State(state): State<AppState>,
    Staff(actor): Staff,
    page: Page,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, WebError> {
    actor.require(Permission::ViewLeadership)?;
    let today = today(&state);
    let period = period_of(&q, today);
    let d = cached_dashboard(&state, page.lang, None, period).await?;
    if !q.csv.is_empty() {
        return csv_response(&d, &q.csv, page.lang);
    }
    let now = Utc::now();
    let stuck = perf::stuck(&state.store, now, 200).await?;
    let (overdue, per_unit) = perf::overdue_now(&state.store, now).await?;
    let headline = headline(&state, page.lang, &d, period, overdue).await?;
    let names = perf::unit_names(&state.store).await?;
    let mut overdue_by_unit: Vec<(String, String, i64)> = per_unit
        .into_iter()
        .filter_map(|(id, n)| {
            names
                .get(&id)
                .map(|(slug, name)| (name.clone(), slug.clone(), n))
        })
        .collect();
    overdue_by_unit.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    let offset = state.config.rules.utc_offset;
    let start = period
        .from
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.checked_sub_offset(offset))
        .map(|t| t.and_utc());
    let end = (period.to + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.checked_sub_offset(offset))
        .map(|t| t.and_utc());
    let map = match (state.config.rules.bounds, start, end) {
        (Some(b), Some(start), Some(end)) => {
            let points = perf::points(&state.store, start, end, 1000).await?;
            Some(charts::point_map(
                &b,
                state.config.map_tile_url.as_deref(),
                points.into_iter().map(|p| {
                    (
                        p.latitude,
                        p.longitude,
                        format!("/staf/laporan/{}", p.id),
                        p.tracking_code,
                        p.open,
                    )
                }),
            ))
        }
        _ => None,
    };
    let (districts, villages) = hot_spots(&state, period).await?;
    let (silent_units, projects_behind) = portal_watch(&state, &page).await?;
    let since = now - Duration::days(crate::pages::routing::ACCURACY_DAYS);
    let routing = kotapintar_storage::routing::accuracy(&state.store, since).await?;
    let untaken = kotapintar_storage::requests::untaken(&state.store, 200).await?;
    render(&LeadershipTemplate {
        untaken,
        untaken_hours: state.config.rules.untaken_hours,
        headline,
        routing,
        silent_units,
        projects_behind,
        presets: presets(period, today),
        self_query: format!("dari={}&sampai={}", ymd(period.from), ymd(period.to)),
        path: "/staf/pimpinan".into(),
        tiles: state.config.map_tile_url.is_some(),
        page,
        d,
        stuck,
        overdue_by_unit,
        map,
        districts,
        villages,
    })
    .map(IntoResponse::into_response)
}

#[derive(Deserialize, Default)]
pub struct WeekQuery {
    #[serde(default)]
    minggu: String,
}

#[derive(Template)]
#[template(path = "kinerja/ringkasan.html")]
struct WeeklyTemplate {
    page: Page,
    s: Summary,
    stuck: Vec<StuckRequest>,
    previous: String,
    next: Option<String>,
}

/// `/staf/pimpinan/ringkasan?minggu=YYYY-MM-DD`: a one-page weekly summary to print or save
/// as PDF (the week that starts on that Monday; default: last week).
pub async fn weekly(
    State(state): State<AppState>,
    Staff(actor): Staff,
    page: Page,
    Query(q): Query<WeekQuery>,
) -> Result<Response, WebError> {
    actor.require(Permission::ViewLeadership)?;
    let today = today(&state);
    let week = match NaiveDate::parse_from_str(q.minggu.trim(), "%Y-%m-%d") {
        Ok(d) => {
            let from = kotapintar_domain::performance::week_start(d);
            Period {
                from,
                to: from + Duration::days(6),
            }
        }
        Err(_) => kotapintar_domain::performance::previous_week(today),
    };
    let now = Utc::now();
    let s = perf::summary(&state.store, week, now).await?;
    let stuck = perf::stuck(&state.store, now, 20).await?;
    let next_from = week.from + Duration::days(7);
    render(&WeeklyTemplate {
        previous: ymd(week.from - Duration::days(7)),
        next: (next_from <= today).then(|| ymd(next_from)),
        page,
        s,
        stuck,
    })
    .map(IntoResponse::into_response)
}
