use crate::cache::Memo;
use crate::i18n::Lang;
use crate::pages::portal::{item_view, ItemView};
use crate::view::{local_path, render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect};
use chrono::Utc;
use kotapintar_domain::content::{ContentItem, ProjectStatus};
use kotapintar_domain::request::Status;
use kotapintar_domain::unit::Unit;
use kotapintar_storage::content::{self, PublicFilter};
use kotapintar_storage::{regions, requests, units};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTemplate {
    page: Page,
    data: Arc<HomeData>,
    news: Vec<ItemView>,
    agenda: Vec<ItemView>,
    projects: Vec<ItemView>,
}

/// What the home page shows, the same for every visitor: kept while no change has been made
/// (no new event) and for at most `HOME_MAX_AGE` (scheduled items appear without an event), so
/// the front door stays fast under load.
pub struct HomeData {
    districts: Vec<(String, usize)>,
    district_names: HashMap<String, String>,
    units: Vec<Unit>,
    news: Vec<ContentItem>,
    agenda: Vec<ContentItem>,
    projects: Vec<ContentItem>,
    received: u64,
    open: u64,
    resolved: u64,
}

const HOME_MAX_AGE: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct HomeCache(Arc<Memo<HomeData>>);

impl Default for HomeCache {
    fn default() -> Self {
        Self(Arc::new(Memo::new(HOME_MAX_AGE)))
    }
}

async fn load(state: &AppState) -> Result<HomeData, WebError> {
    let mut districts = Vec::new();
    let mut district_names = HashMap::new();
    let villages = regions::grandchild_counts(&state.store, &state.config.regency).await?;
    for d in regions::children(&state.store, &state.config.regency).await? {
        let villages = villages.get(&d.code).copied().unwrap_or(0) as usize;
        district_names.insert(d.code.clone(), d.name.clone());
        districts.push((d.name, villages));
    }
    let units = units::list(&state.store)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .collect();
    let now = Utc::now();
    let list = |section: &str, upcoming: bool, status: Option<ProjectStatus>| PublicFilter {
        section: Some(section.into()),
        upcoming_from: upcoming.then_some(now),
        project_status: status,
        ..Default::default()
    };
    let (news, _) =
        content::public_list(&state.store, &list("berita", false, None), now, 0, 3).await?;
    let (agenda, _) =
        content::public_list(&state.store, &list("agenda", true, None), now, 0, 3).await?;
    let (projects, _) = content::public_list(
        &state.store,
        &list("proyek", false, Some(ProjectStatus::Running)),
        now,
        0,
        3,
    )
    .await?;
    let counts = requests::public_status_counts(&state.store).await?;
    let received = counts.values().sum();
    let open = counts
        .iter()
        .filter(|(s, _)| s.is_open())
        .map(|(_, n)| n)
        .sum();
    let resolved = counts
        .iter()
        .filter(|(s, _)| matches!(s, Status::Selesai | Status::Ditutup))
        .map(|(_, n)| n)
        .sum();
    Ok(HomeData {
        districts,
        district_names,
        units,
        news,
        agenda,
        projects,
        received,
        open,
        resolved,
    })
}

async fn data(state: &AppState) -> Result<Arc<HomeData>, WebError> {
    let seq = state.store.head.seq();
    state.home_cache.0.get(seq, || load(state)).await
}

pub async fn home(State(state): State<AppState>, page: Page) -> Result<Html<String>, WebError> {
    let data = data(&state).await?;
    let view = |items: &[ContentItem]| -> Vec<ItemView> {
        items
            .iter()
            .cloned()
            .map(|i| item_view(&page, i, &data.district_names))
            .collect()
    };
    let (news, agenda, projects) = (view(&data.news), view(&data.agenda), view(&data.projects));
    render(&HomeTemplate {
        page,
        data,
        news,
        agenda,
        projects,
    })
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Sets the language cookie and returns to the page the visitor was on. A plain link, so
/// it works without JavaScript.
pub async fn switch_language(
    State(state): State<AppState>,
    Path(lang): Path<String>,
    Query(q): Query<NextQuery>,
) -> Result<impl IntoResponse, WebError> {
    let lang = Lang::parse(&lang).ok_or(WebError::NotFound)?;
    // not HttpOnly: it holds nothing secret, only "id" or "en"
    let cookie = format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax{}",
        Lang::COOKIE,
        lang.code(),
        if state.config.secure_cookies {
            "; Secure"
        } else {
            ""
        }
    );
    Ok((
        [(header::SET_COOKIE, cookie)],
        Redirect::to(&local_path(q.next.as_deref(), "/")),
    ))
}
