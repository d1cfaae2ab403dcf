//! Machine-readable views of the portal: Atom feeds (RFC 4287) per type and per unit,
//! iCalendar (RFC 5545) agenda feeds for all and per unit, and `sitemap.xml`. Built with the
//! `atom_syndication` and `icalendar` crates, which handle escaping and line folding.

use crate::charts::xml_escape;
use crate::opendata::base;
use crate::{AppState, WebError};
use atom_syndication::{
    CategoryBuilder, ContentBuilder, EntryBuilder, FeedBuilder, LinkBuilder, PersonBuilder, Text,
};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use icalendar::{Calendar, Component, Event, EventLike};
use kotapintar_domain::content::ContentItem;
use kotapintar_domain::unit::Unit;
use kotapintar_storage::content::{self, PublicFilter};
use kotapintar_storage::units;

const FEED_ITEMS: u64 = 50;

fn atom(
    state: &AppState,
    regency: &str,
    title: String,
    self_path: &str,
    items: &[ContentItem],
) -> Response {
    let base = base(state);
    let updated = items
        .iter()
        .map(|i| i.updated_at)
        .max()
        .unwrap_or_else(Utc::now);
    let entries = items
        .iter()
        .map(|i| {
            let url = format!("{base}{}", i.path());
            let mut content = String::new();
            if let Some(a) = i.agenda() {
                content.push_str(&format!(
                    "<p>{} – {}, {}</p>",
                    a.starts_at.to_rfc3339(),
                    a.ends_at.to_rfc3339(),
                    xml_escape(&a.place)
                ));
            }
            content.push_str(&i.body_html);
            EntryBuilder::default()
                .id(url.clone())
                .title(Text::plain(i.title.clone()))
                .updated(i.updated_at.fixed_offset())
                .published(i.published_at.map(|p| p.fixed_offset()))
                .authors(vec![PersonBuilder::default()
                    .name(i.unit_name.clone())
                    .build()])
                .links(vec![LinkBuilder::default()
                    .href(url)
                    .rel("alternate")
                    .mime_type(Some("text/html".into()))
                    .build()])
                .summary((!i.summary.is_empty()).then(|| Text::plain(i.summary.clone())))
                .content(Some(
                    ContentBuilder::default()
                        .content_type(Some("html".into()))
                        .value(Some(content))
                        .build(),
                ))
                .categories(
                    std::iter::once(i.kind.as_str().to_string())
                        .chain(i.tags.iter().cloned())
                        .map(|t| CategoryBuilder::default().term(t).build())
                        .collect::<Vec<_>>(),
                )
                .build()
        })
        .collect::<Vec<_>>();
    let self_url = format!("{base}{self_path}");
    let feed = FeedBuilder::default()
        .id(self_url.clone())
        .title(Text::plain(title))
        .updated(updated.fixed_offset())
        .lang(Some("id".into()))
        .authors(vec![PersonBuilder::default()
            .name(format!("kotapintar {regency}"))
            .uri(Some(base.clone()))
            .build()])
        .links(vec![
            LinkBuilder::default()
                .href(self_url)
                .rel("self")
                .mime_type(Some("application/atom+xml".into()))
                .build(),
            LinkBuilder::default()
                .href(format!("{base}/"))
                .rel("alternate")
                .mime_type(Some("text/html".into()))
                .build(),
        ])
        .entries(entries)
        .build();
    (
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        feed.to_string(),
    )
        .into_response()
}

fn section_of(feed: &str) -> Result<&'static str, WebError> {
    match feed {
        "berita" => Ok("berita"),
        "agenda" => Ok("agenda"),
        "proyek" => Ok("proyek"),
        _ => Err(WebError::NotFound),
    }
}

async fn atom_for(
    state: &AppState,
    section: &'static str,
    unit: Option<&Unit>,
) -> Result<Response, WebError> {
    let f = PublicFilter {
        section: Some(section.into()),
        unit: unit.map(|u| u.id),
        ..Default::default()
    };
    let (items, _) = content::public_list(&state.store, &f, Utc::now(), 0, FEED_ITEMS).await?;
    let kind = match section {
        "berita" => "Berita dan pengumuman",
        "agenda" => "Agenda kegiatan",
        _ => "Proyek pembangunan",
    };
    let regency = state.regency_name().await;
    let (title, path) = match unit {
        Some(u) => (
            format!("{kind}: {}", u.name),
            format!("/unit/{}/{section}.atom", u.slug),
        ),
        None => (format!("{kind} · {regency}"), format!("/{section}.atom")),
    };
    Ok(atom(state, &regency, title, &path, &items))
}

/// `/berita.atom`.
pub async fn atom_news(State(state): State<AppState>) -> Result<Response, WebError> {
    atom_for(&state, "berita", None).await
}

/// `/agenda.atom`.
pub async fn atom_agenda(State(state): State<AppState>) -> Result<Response, WebError> {
    atom_for(&state, "agenda", None).await
}

/// `/proyek.atom`.
pub async fn atom_projects(State(state): State<AppState>) -> Result<Response, WebError> {
    atom_for(&state, "proyek", None).await
}

/// `/unit/{slug}/berita.atom` and the like.
pub async fn atom_unit(
    State(state): State<AppState>,
    Path((slug, file)): Path<(String, String)>,
) -> Result<Response, WebError> {
    if let Some(name) = file.strip_suffix(".ics") {
        if name != "agenda" {
            return Err(WebError::NotFound);
        }
        let unit = crate::pages::portal::active_unit(&state, &slug).await?;
        return ical(&state, Some(&unit)).await;
    }
    let section = section_of(file.strip_suffix(".atom").ok_or(WebError::NotFound)?)?;
    let unit = crate::pages::portal::active_unit(&state, &slug).await?;
    atom_for(&state, section, Some(&unit)).await
}

async fn ical(state: &AppState, unit: Option<&Unit>) -> Result<Response, WebError> {
    // the last 90 days and everything ahead: what a calendar subscriber wants to see
    let f = PublicFilter {
        section: Some("agenda".into()),
        unit: unit.map(|u| u.id),
        upcoming_from: Some(Utc::now() - Duration::days(90)),
        ..Default::default()
    };
    let (items, _) = content::public_list(&state.store, &f, Utc::now(), 0, 500).await?;
    let base = base(state);
    let host = base
        .split("://")
        .nth(1)
        .unwrap_or("kotapintar")
        .split('/')
        .next()
        .unwrap_or("kotapintar")
        .to_string();
    let mut cal = Calendar::new();
    cal.name(&match unit {
        Some(u) => format!("Agenda {}", u.name),
        None => format!("Agenda {}", state.regency_name().await),
    });
    for i in &items {
        let Some(a) = i.agenda() else { continue };
        let url = format!("{base}{}", i.path());
        let mut description = i.summary.clone();
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&url);
        cal.push(
            Event::new()
                .uid(&format!("content-{}@{host}", i.id))
                .timestamp(i.updated_at)
                .last_modified(i.updated_at)
                .sequence(u32::try_from(i.revision).unwrap_or(0))
                .summary(&i.title)
                .description(&description)
                .location(&a.place)
                .url(&url)
                .starts(a.starts_at)
                .ends(a.ends_at)
                .add_property(
                    "ORGANIZER;CN=".to_string() + &ical_param(&i.unit_name),
                    format!("mailto:noreply@{host}"),
                )
                .done(),
        );
    }
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        cal.done().to_string(),
    )
        .into_response())
}

/// A parameter value: quoted, without the characters a quoted value may not hold.
fn ical_param(s: &str) -> String {
    format!(
        "\"{}\"",
        s.chars()
            .filter(|c| !matches!(c, '"' | '\r' | '\n'))
            .collect::<String>()
    )
}

/// `/agenda.ics`.
pub async fn ical_all(State(state): State<AppState>) -> Result<Response, WebError> {
    ical(&state, None).await
}

/// `/sitemap.xml`: the portal's lists, every public item and every unit profile.
pub async fn sitemap(State(state): State<AppState>) -> Result<Response, WebError> {
    let base = base(&state);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let url = |out: &mut String, path: &str, lastmod: Option<chrono::DateTime<Utc>>| {
        out.push_str("<url><loc>");
        out.push_str(&xml_escape(&format!("{base}{path}")));
        out.push_str("</loc>");
        if let Some(m) = lastmod {
            out.push_str(&format!("<lastmod>{}</lastmod>", m.format("%Y-%m-%d")));
        }
        out.push_str("</url>\n");
    };
    for p in [
        "/", "/berita", "/agenda", "/proyek", "/layanan", "/laporan", "/lapor", "/data",
    ] {
        url(&mut out, p, None);
    }
    for d in &crate::opendata::catalogue(&state).await?.datasets {
        url(&mut out, &format!("/data/{}", d.name), Some(d.modified()));
    }
    for u in units::list(&state.store).await?.iter().filter(|u| u.active) {
        url(&mut out, &format!("/unit/{}", u.slug), None);
    }
    let now = Utc::now();
    let mut after = 0;
    let mut count = 0;
    loop {
        let page = content::public_after(&state.store.reader, after, 1000, now).await?;
        let Some(last) = page.last() else { break };
        after = last.id.0;
        for i in &page {
            url(&mut out, &i.path(), Some(i.updated_at));
        }
        // a sitemap file holds at most 50,000 addresses
        count += page.len();
        if count >= 49_000 {
            break;
        }
    }
    out.push_str("</urlset>\n");
    Ok((
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        out,
    )
        .into_response())
}
