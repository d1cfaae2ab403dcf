//! Search documents, built only from what the public may see: published content
//! (`content::public_*`), the public projection of requests (`privacy::publish`, so no
//! `rahasia` request and no personal data), active services and units. This is the one place
//! that decides what enters the index.

use crate::index::{DocKind, SearchDoc};
use chrono::{DateTime, Utc};
use kotapintar_domain::content::{ContentDetails, ContentItem, ContentKind};
use kotapintar_domain::markdown;
use kotapintar_domain::service::Service;
use kotapintar_domain::unit::Unit;
use kotapintar_storage::opendata::Dataset;
use kotapintar_storage::requests::SearchableRequest;

pub fn content_key(id: i64) -> String {
    format!("content:{id}")
}
pub fn request_key(code: &str) -> String {
    format!("request:{code}")
}
pub fn service_key(id: i64) -> String {
    format!("service:{id}")
}
pub fn unit_key(id: i64) -> String {
    format!("unit:{id}")
}
pub fn dataset_key(id: i64) -> String {
    format!("dataset:{id}")
}

/// A published dataset (the caller checks it is published): its description, keywords and
/// the names of its resources, never the contact person.
pub fn from_dataset(d: &Dataset) -> SearchDoc {
    let mut body = vec![
        markdown::plain_text(&d.notes),
        d.tags.join(" "),
        d.topic.title().to_string(),
    ];
    body.extend(d.resources.iter().map(|r| r.name.clone()));
    SearchDoc {
        key: dataset_key(d.id.0),
        kind: DocKind::Dataset,
        title: d.title.clone(),
        body: join(body),
        url: format!("/data/{}", d.name),
        unit_slugs: vec![d.publisher.slug.clone()],
        kecamatan: None,
        date: d.modified(),
    }
}

pub fn from_content(item: &ContentItem) -> SearchDoc {
    let mut body = vec![item.summary.clone(), markdown::plain_text(&item.body_md)];
    body.push(item.tags.join(" "));
    let mut date = item.published_at.unwrap_or(item.updated_at);
    match &item.details {
        ContentDetails::Article => {}
        ContentDetails::Agenda(a) => {
            body.push(a.place.clone());
            body.extend(a.audience.clone());
            date = a.starts_at;
        }
        ContentDetails::Project(p) => {
            body.push(p.sector.clone());
            body.extend(p.contractor.clone());
        }
    }
    SearchDoc {
        key: content_key(item.id.0),
        kind: match item.kind {
            ContentKind::Berita => DocKind::Berita,
            ContentKind::Pengumuman => DocKind::Pengumuman,
            ContentKind::Agenda => DocKind::Agenda,
            ContentKind::Proyek => DocKind::Proyek,
        },
        title: item.title.clone(),
        body: join(body),
        url: item.path(),
        unit_slugs: vec![item.unit_slug.clone()],
        kecamatan: item.kecamatan.as_ref().map(|k| k.to_string()),
        date,
    }
}

pub fn from_request(r: &SearchableRequest) -> SearchDoc {
    let p = &r.public;
    let mut body = vec![p.description.clone()];
    body.extend(p.service_name.clone());
    body.extend(p.location_address.clone());
    body.extend(p.village_name.clone());
    body.extend(p.district_name.clone());
    body.extend(p.response.clone());
    body.push(p.tracking_code.clone());
    SearchDoc {
        key: request_key(&p.tracking_code),
        kind: DocKind::Laporan,
        title: p.title.clone(),
        body: join(body),
        url: format!("/laporan/{}", p.tracking_code),
        unit_slugs: r.unit_slugs.clone(),
        kecamatan: r.district_code.clone(),
        date: p.received_at,
    }
}

pub fn from_service(s: &Service, unit_slug: &str, updated: DateTime<Utc>) -> SearchDoc {
    let d = &s.draft;
    SearchDoc {
        key: service_key(s.id),
        kind: DocKind::Layanan,
        title: d.name.clone(),
        body: join(vec![
            d.group_name.clone().unwrap_or_default(),
            d.keywords.clone().unwrap_or_default(),
            d.description.clone().unwrap_or_default(),
            d.requirements.clone().unwrap_or_default(),
            d.procedure.clone().unwrap_or_default(),
            d.product.clone().unwrap_or_default(),
            s.unit_name.clone(),
        ]),
        url: format!("/layanan#{}", d.code),
        unit_slugs: vec![unit_slug.to_string()],
        kecamatan: None,
        date: updated,
    }
}

pub fn from_unit(u: &Unit, updated: DateTime<Utc>) -> SearchDoc {
    SearchDoc {
        key: unit_key(u.id.0),
        kind: DocKind::Unit,
        title: u.name.clone(),
        body: join(vec![
            u.code.to_string(),
            u.kind.as_str().to_string(),
            u.address.clone().unwrap_or_default(),
            u.opening_hours.clone().unwrap_or_default(),
        ]),
        url: format!("/unit/{}", u.slug),
        unit_slugs: vec![u.slug.clone()],
        kecamatan: None,
        date: updated,
    }
}

fn join(parts: Vec<String>) -> String {
    parts
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}
