//! Area alerts (`/langganan`): anyone asks for an email about every new public request in a
//! desa/kelurahan or a kecamatan (confirmed by a link sent to the address: double opt-in),
//! confirms or ends it on the page its link opens, or reads the same as an Atom feed per area
//! (`/wilayah/{code}/laporan.atom`). Only public text goes out (`storage::alerts`).

use crate::csrf::CsrfForm;
use crate::view::{form_page, form_status, render, Page};
use crate::{AppState, WebError};
use askama::Template;
use atom_syndication::{EntryBuilder, FeedBuilder, LinkBuilder, Text};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use kotapintar_domain::alerts;
use kotapintar_domain::region::{RegionCode, RegionLevel};
use kotapintar_domain::FieldErrors;
use kotapintar_storage::alerts::{self as stored, Subscription};
use kotapintar_storage::requests::{self, PublicFilter};
use kotapintar_storage::{regions, StorageError};
use serde::Deserialize;

/// A kecamatan and its desa, for the area choice.
pub struct AreaGroup {
    pub code: String,
    pub name: String,
    pub villages: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "langganan.html")]
struct FormTemplate {
    page: Page,
    groups: Vec<AreaGroup>,
    email: String,
    area: String,
    errors: FieldErrors,
    /// The request was taken: the page says to check the mailbox.
    sent: bool,
}

#[derive(Template)]
#[template(path = "langganan_kelola.html")]
struct ManageTemplate {
    page: Page,
    token: String,
    sub: Subscription,
}

#[derive(Deserialize, Default)]
pub struct Chosen {
    #[serde(default)]
    wilayah: String,
}

#[derive(Deserialize, Default)]
pub struct SubscribeForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    area: String,
}

async fn groups(state: &AppState) -> Result<Vec<AreaGroup>, WebError> {
    let mut out = Vec::new();
    for d in regions::children(&state.store, &state.config.rules.regency).await? {
        let Ok(code) = RegionCode::parse(&d.code) else {
            continue;
        };
        let villages = regions::children(&state.store, &code)
            .await?
            .into_iter()
            .map(|v| (v.code, v.name))
            .collect();
        out.push(AreaGroup {
            code: d.code,
            name: d.name,
            villages,
        });
    }
    Ok(out)
}

/// `GET /langganan`: the form (`?wilayah=` chooses the area).
pub async fn form(
    State(state): State<AppState>,
    page: Page,
    Query(q): Query<Chosen>,
) -> Result<Response, WebError> {
    let t = FormTemplate {
        page,
        groups: groups(&state).await?,
        email: String::new(),
        area: q.wilayah.chars().take(20).collect(),
        errors: FieldErrors::new(),
        sent: false,
    };
    render(&t).map(IntoResponse::into_response)
}

/// `POST /langganan`: records the request and queues the confirmation email. The answer is the
/// same whether the address was subscribed before or not.
pub async fn subscribe(
    State(state): State<AppState>,
    page: Page,
    CsrfForm(f): CsrfForm<SubscribeForm>,
) -> Result<Response, WebError> {
    let rules = &state.config.rules;
    let checked = alerts::subscription(&f.email, &f.area, &rules.regency);
    let errors = match checked {
        Ok(s) => match stored::subscribe(&state.store, rules, &s).await {
            Ok(()) => FieldErrors::new(),
            Err(StorageError::Invalid(e)) => e,
            Err(e) => return Err(e.into()),
        },
        Err(e) => e,
    };
    let t = FormTemplate {
        page,
        groups: groups(&state).await?,
        email: f.email.chars().take(254).collect(),
        area: f.area.chars().take(20).collect(),
        sent: errors.is_empty(),
        errors,
    };
    form_page(form_status(&t.errors), &t)
}

/// `GET /langganan/{token}`: the subscription its link opens, to confirm or end. Nothing
/// changes on a GET: mail scanners open links.
pub async fn manage(
    State(state): State<AppState>,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    let sub = stored::by_token(&state.store, &token).await?;
    render(&ManageTemplate { page, token, sub }).map(IntoResponse::into_response)
}

/// `POST /langganan/{token}/konfirmasi`.
pub async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<Response, WebError> {
    stored::confirm(&state.store, &token).await?;
    Ok(Redirect::to(&format!("/langganan/{token}?ok=alert_confirmed")).into_response())
}

/// `POST /langganan/{token}/berhenti`: the subscription and its address are deleted.
pub async fn stop(
    State(state): State<AppState>,
    Path(token): Path<String>,
    CsrfForm(_): CsrfForm<std::collections::HashMap<String, String>>,
) -> Result<Response, WebError> {
    stored::unsubscribe(&state.store, &token).await?;
    Ok(Redirect::to("/langganan?ok=alert_stopped").into_response())
}

/// `GET /wilayah/{code}/laporan.atom`: the newest public requests of a kecamatan or desa.
pub async fn atom(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, WebError> {
    let code = RegionCode::parse(&code).map_err(|_| WebError::NotFound)?;
    let level = code.level();
    if !code.is_within(&state.config.rules.regency)
        || !matches!(level, RegionLevel::District | RegionLevel::Village)
    {
        return Err(WebError::NotFound);
    }
    let area = regions::get(&state.store, &code).await?;
    let f = PublicFilter {
        district_code: (level == RegionLevel::District).then(|| code.as_str().to_string()),
        village_code: (level == RegionLevel::Village).then(|| code.as_str().to_string()),
        ..Default::default()
    };
    let (items, _) = requests::public_list(&state.store, &f, 0, 50).await?;
    let base = crate::opendata::base(&state);
    let self_url = format!("{base}/wilayah/{}/laporan.atom", code.as_str());
    let updated = items
        .iter()
        .map(|r| r.updated_at)
        .max()
        .unwrap_or_else(Utc::now);
    let entries = items
        .iter()
        .map(|r| {
            let url = format!("{base}/laporan/{}", r.tracking_code);
            EntryBuilder::default()
                .id(url.clone())
                .title(Text::plain(format!("{}: {}", r.tracking_code, r.title)))
                .updated(r.updated_at.fixed_offset())
                .published(Some(r.received_at.fixed_offset()))
                .links(vec![LinkBuilder::default()
                    .href(url)
                    .rel("alternate")
                    .mime_type(Some("text/html".into()))
                    .build()])
                .summary(Some(Text::plain(r.description.clone())))
                .build()
        })
        .collect::<Vec<_>>();
    let feed = FeedBuilder::default()
        .id(self_url.clone())
        .title(Text::plain(format!("Laporan warga · {}", area.name)))
        .updated(updated.fixed_offset())
        .lang(Some("id".into()))
        .links(vec![LinkBuilder::default()
            .href(self_url)
            .rel("self")
            .mime_type(Some("application/atom+xml".into()))
            .build()])
        .entries(entries)
        .build();
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        feed.to_string(),
    )
        .into_response())
}
