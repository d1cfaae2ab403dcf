//! The catalogue's RDF identifiers as addresses: `/dcat/catalog`, `/dataset/{id}` and
//! `/dataset/{id}/resource/{rid}` are the IRIs the DCAT output names, and each answers by
//! content negotiation (`Accept`): a person's browser is sent (303 See Other, the Linked Data
//! convention for a thing that is not a document) to the portal page, a machine gets the same
//! description in Turtle or JSON-LD. Every answer says `Vary: Accept` so caches keep the
//! representations apart.
//!
//! Only the published catalogue is looked in (as everywhere in `opendata`): a draft, returned
//! or withdrawn dataset, and any resource of one, is 404 in every representation.

use super::dcat::{self, PageQuery};
use super::{catalogue, Catalogue};
use crate::{AppState, WebError};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kotapintar_storage::opendata::{Dataset, Resource};

/// The representations an identifier offers, in the server's order of preference for a tie
/// (a bare `*/*` or no `Accept` at all: a person, most likely).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    Html,
    Turtle,
    JsonLd,
}

impl Wanted {
    const OFFERED: [(Wanted, &'static str); 3] = [
        (Wanted::Html, "text/html"),
        (Wanted::Turtle, "text/turtle"),
        (Wanted::JsonLd, "application/ld+json"),
    ];

    /// The file extension of the fixed-syntax address of the same description.
    pub fn ext(self) -> Option<&'static str> {
        match self {
            Self::Html => None,
            Self::Turtle => Some("ttl"),
            Self::JsonLd => Some("jsonld"),
        }
    }
}

/// The quality an `Accept` header gives `offered` (RFC 9110 §12.5.1): the most specific
/// matching media range decides; 0 when none matches or it says `q=0`.
fn quality(accept: &str, offered: &str) -> f32 {
    let (otype, osub) = offered.split_once('/').unwrap_or((offered, ""));
    let mut best: Option<(u8, f32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let Some((rtype, rsub)) = media.split_once('/') else {
            continue;
        };
        let specificity = match (rtype, rsub) {
            ("*", "*") => 1,
            (t, "*") if t == otype => 2,
            (t, s) if t == otype && s == osub => 3,
            _ => continue,
        };
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or(p.trim().strip_prefix("Q=")))
            .find_map(|v| v.trim().parse::<f32>().ok())
            .unwrap_or(1.0)
            .clamp(0.0, 1.0);
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, q));
        }
    }
    best.map_or(0.0, |(_, q)| q)
}

/// What to send for an `Accept` header; `None` when nothing offered is acceptable (406).
pub fn negotiate(accept: Option<&str>) -> Option<Wanted> {
    let accept = match accept.map(str::trim) {
        None | Some("") => return Some(Wanted::Html),
        Some(a) => a,
    };
    let mut chosen: Option<(Wanted, f32)> = None;
    for (w, mime) in Wanted::OFFERED {
        let q = quality(accept, mime);
        if q > 0.0 && chosen.is_none_or(|(_, best)| q > best) {
            chosen = Some((w, q));
        }
    }
    chosen.map(|(w, _)| w)
}

fn with_vary(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    r
}

fn see_other(to: &str) -> Response {
    with_vary((StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response())
}

fn not_acceptable() -> Response {
    with_vary(
        (
            StatusCode::NOT_ACCEPTABLE,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "406: this identifier is available as text/html, text/turtle and application/ld+json\n",
        )
            .into_response(),
    )
}

/// The machine representation, with where its fixed-syntax twin lives.
fn described(w: Wanted, body: Result<Response, WebError>, location: String) -> Response {
    match body {
        Ok(mut r) => {
            let twin = w.ext().map(|ext| format!("{location}.{ext}"));
            if let Some(v) = twin.and_then(|t| HeaderValue::from_str(&t).ok()) {
                r.headers_mut().insert(header::CONTENT_LOCATION, v);
            }
            with_vary(r)
        }
        Err(e) => with_vary(e.into_response()),
    }
}

fn accept(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok())
}

/// `/dcat/catalog`: the catalogue (its first page, or `?page=`), or the portal's data page.
pub async fn catalog(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> Response {
    match negotiate(accept(&headers)) {
        None => not_acceptable(),
        Some(Wanted::Html) => see_other("/data"),
        Some(w @ Wanted::Turtle) => described(
            w,
            dcat::catalog_ttl(State(state), Query(q)).await,
            "/dcat/catalog".into(),
        ),
        Some(w @ Wanted::JsonLd) => described(
            w,
            dcat::catalog_jsonld(State(state), Query(q)).await,
            "/dcat/catalog".into(),
        ),
    }
}

/// `/dataset/{id}` (id or name): the dataset with its distributions, or its portal page.
pub async fn dataset(state: &AppState, key: &str, headers: &HeaderMap) -> Response {
    let Some(w) = negotiate(accept(headers)) else {
        return not_acceptable();
    };
    let cat = match catalogue(state).await {
        Ok(c) => c,
        Err(e) => return with_vary(e.into_response()),
    };
    let Some(d) = cat.dataset(key) else {
        return with_vary(WebError::NotFound.into_response());
    };
    match w {
        Wanted::Html => see_other(&format!("/data/{}", d.name.as_str())),
        _ => described(
            w,
            dcat::dataset_document(state, d, w),
            format!("/dataset/{}", d.uuid),
        ),
    }
}

/// A resource of a published dataset, found by its id and checked to be that dataset's.
fn resource_in<'a>(cat: &'a Catalogue, id: &str, rid: &str) -> Option<(&'a Dataset, &'a Resource)> {
    cat.resource(rid)
        .filter(|(d, _)| d.uuid == id || d.name.as_str() == id)
}

/// `/dataset/{id}/resource/{rid}` (or `{rid}.ttl|.jsonld`): one distribution, or the dataset's
/// portal page showing that resource.
pub async fn resource(
    State(state): State<AppState>,
    Path((id, rid)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (rid, fixed) = match rid.rsplit_once('.') {
        Some((r, "ttl")) => (r.to_string(), Some(Wanted::Turtle)),
        Some((r, "jsonld")) => (r.to_string(), Some(Wanted::JsonLd)),
        Some(_) => return WebError::NotFound.into_response(),
        None => (rid, None),
    };
    let Some(w) = fixed.or_else(|| negotiate(accept(&headers))) else {
        return not_acceptable();
    };
    let cat = match catalogue(&state).await {
        Ok(c) => c,
        Err(e) => return with_vary(e.into_response()),
    };
    let Some((d, r)) = resource_in(&cat, &id, &rid) else {
        return with_vary(WebError::NotFound.into_response());
    };
    if w == Wanted::Html {
        return see_other(&format!("/data/{}?sumber={}", d.name.as_str(), r.uuid));
    }
    let body = dcat::distribution_document(&state, d, r, w);
    match fixed {
        Some(_) => body.unwrap_or_else(IntoResponse::into_response),
        None => described(w, body, format!("/dataset/{}/resource/{}", d.uuid, r.uuid)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_get_html_and_rdf_clients_get_rdf() {
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        assert_eq!(negotiate(Some(firefox)), Some(Wanted::Html));
        assert_eq!(negotiate(None), Some(Wanted::Html));
        assert_eq!(negotiate(Some("*/*")), Some(Wanted::Html));
        assert_eq!(negotiate(Some("text/turtle")), Some(Wanted::Turtle));
        assert_eq!(negotiate(Some("application/ld+json")), Some(Wanted::JsonLd));
        // rdflib's list: RDF/XML first (not offered), Turtle next
        let rdflib = "application/rdf+xml, text/n3, text/turtle;q=0.9, application/n-triples";
        assert_eq!(negotiate(Some(rdflib)), Some(Wanted::Turtle));
        assert_eq!(
            negotiate(Some("text/html;q=0.5, application/ld+json;q=0.8")),
            Some(Wanted::JsonLd)
        );
        assert_eq!(
            negotiate(Some("text/turtle;q=0.2, */*;q=0.1")),
            Some(Wanted::Turtle)
        );
        // the most specific range decides: text/html;q=0 refuses HTML despite */*
        assert_eq!(negotiate(Some("text/html;q=0, */*")), Some(Wanted::Turtle));
        assert_eq!(negotiate(Some("application/rdf+xml")), None);
        assert_eq!(negotiate(Some("text/*;q=0, application/json")), None);
        assert_eq!(negotiate(Some("garbage")), None);
    }
}
