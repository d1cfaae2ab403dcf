use crate::i18n::Lang;
use crate::view::{local_path, render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect};
use kotapintar_domain::unit::Unit;
use kotapintar_storage::{regions, units};
use serde::Deserialize;

#[derive(Template)]
#[template(path = "home.html")]
struct HomeTemplate {
    page: Page,
    districts: Vec<(String, usize)>,
    units: Vec<Unit>,
}

pub async fn home(State(state): State<AppState>, page: Page) -> Result<Html<String>, WebError> {
    let mut districts = Vec::new();
    for d in regions::children(&state.store, &state.config.regency).await? {
        let code = kotapintar_domain::region::RegionCode::parse(&d.code)
            .map_err(|e| WebError::Internal(e.into()))?;
        let villages = regions::children(&state.store, &code).await?.len();
        districts.push((d.name, villages));
    }
    let units = units::list(&state.store)
        .await?
        .into_iter()
        .filter(|u| u.active)
        .collect();
    render(&HomeTemplate {
        page,
        districts,
        units,
    })
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Sets the language cookie and returns to the page the visitor was on. A plain link, so
/// it works without JavaScript.
pub async fn switch_language(
    Path(lang): Path<String>,
    Query(q): Query<NextQuery>,
) -> Result<impl IntoResponse, WebError> {
    let lang = Lang::parse(&lang).ok_or(WebError::NotFound)?;
    let cookie = format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        Lang::COOKIE,
        lang.code()
    );
    Ok((
        [(header::SET_COOKIE, cookie)],
        Redirect::to(&local_path(q.next.as_deref(), "/")),
    ))
}
