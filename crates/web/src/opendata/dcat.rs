//! DCAT: the catalogue as DCAT-AP 3.0.1 RDF (`/dcat/catalog.ttl`, `/dcat/catalog.jsonld`, one
//! dataset at `/dataset/{id}.ttl|jsonld`) with Hydra paging, and as DCAT-US 1.1 JSON
//! (`/data.json`, the non-federal profile). The RDF is written with oxigraph's serializers
//! (`oxttl`, `oxjsonld`) from one list of triples, so both syntaxes say the same thing.
//!
//! Every class carries what DCAT-AP's SHACL shapes make mandatory: the catalogue its title,
//! description and publisher; each dataset its title and description; each distribution its
//! access URL; each agent its name.

use super::negotiate::{self, Wanted};
use super::{base, catalogue, download_url, today, Catalogue};
use crate::{AppState, WebError};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use kotapintar_domain::opendata::pod_temporal;
use kotapintar_storage::opendata::{Dataset, Resource, Source};
use oxrdf::vocab::{rdf, xsd};
use oxrdf::{BlankNode, GraphNameRef, Literal, NamedNode, NamedOrBlankNode, Term, Triple};
use serde::Deserialize;
use serde_json::json;

const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";
const FOAF: &str = "http://xmlns.com/foaf/0.1/";
const VCARD: &str = "http://www.w3.org/2006/vcard/ns#";
const HYDRA: &str = "http://www.w3.org/ns/hydra/core#";
const DCATAP: &str = "http://data.europa.eu/r5r/";
const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
const INDONESIAN: &str = "http://publications.europa.eu/resource/authority/language/IND";
/// The EU Data Theme vocabulary, the catalogue's `dcat:themeTaxonomy`.
const DATA_THEME: &str = "http://publications.europa.eu/resource/authority/data-theme";
const PLANNED_AVAILABILITY: &str =
    "http://publications.europa.eu/resource/authority/planned-availability";
const PAGE_SIZE: usize = 100;

fn iri(s: &str) -> NamedNode {
    NamedNode::new(s).unwrap_or_else(|_| NamedNode::new_unchecked(s.replace(' ', "%20")))
}

fn term(ns: &str, local: &str) -> NamedNode {
    NamedNode::new_unchecked(format!("{ns}{local}"))
}

/// The triples being written, with small helpers for the shapes DCAT uses.
#[derive(Default)]
struct Graph(Vec<Triple>);

impl Graph {
    fn add(&mut self, s: impl Into<NamedOrBlankNode>, p: NamedNode, o: impl Into<Term>) {
        self.0.push(Triple::new(s, p, o));
    }

    fn text(&mut self, s: impl Into<NamedOrBlankNode>, p: NamedNode, v: &str) {
        self.add(
            s,
            p,
            Literal::new_language_tagged_literal_unchecked(v, "id"),
        );
    }

    fn typed(
        &mut self,
        s: impl Into<NamedOrBlankNode>,
        p: NamedNode,
        v: &str,
        t: oxrdf::NamedNodeRef<'_>,
    ) {
        self.add(s, p, Literal::new_typed_literal(v, t));
    }

    fn a(&mut self, s: impl Into<NamedOrBlankNode>, class: NamedNode) {
        self.add(s, rdf::TYPE.into_owned(), class);
    }

    /// A concept of an outside vocabulary, as DCAT-AP wants every `skos:Concept` it meets:
    /// typed, with its English label from that vocabulary and the scheme it belongs to.
    fn concept(&mut self, concept: NamedNode, label: &str, scheme: &str) {
        self.a(concept.clone(), term(SKOS, "Concept"));
        self.add(
            concept.clone(),
            term(SKOS, "prefLabel"),
            Literal::new_language_tagged_literal_unchecked(label, "en"),
        );
        self.add(concept, term(SKOS, "inScheme"), iri(scheme));
    }

    /// The triples once each, in the order first written: several datasets name the same
    /// theme, licence or media type, and each describes it.
    fn unique(&self) -> impl Iterator<Item = &Triple> {
        let mut seen = std::collections::HashSet::new();
        self.0.iter().filter(move |t| seen.insert(*t))
    }
}

fn datetime(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A dataset's stable URI: its id never changes, even when its name does.
pub fn dataset_uri(b: &str, d: &Dataset) -> String {
    format!("{b}/dataset/{}", d.uuid)
}

fn describe_dataset(g: &mut Graph, b: &str, d: &Dataset) -> NamedNode {
    let ds = iri(&dataset_uri(b, d));
    g.a(ds.clone(), term(DCAT, "Dataset"));
    g.text(ds.clone(), term(DCT, "title"), &d.title);
    g.text(ds.clone(), term(DCT, "description"), &d.notes);
    g.add(
        ds.clone(),
        term(DCT, "identifier"),
        Literal::new_simple_literal(&d.uuid),
    );
    if let Some(p) = d.published_at {
        g.typed(
            ds.clone(),
            term(DCT, "issued"),
            &datetime(p),
            xsd::DATE_TIME,
        );
    }
    g.typed(
        ds.clone(),
        term(DCT, "modified"),
        &datetime(d.modified()),
        xsd::DATE_TIME,
    );
    for t in &d.tags {
        g.text(ds.clone(), term(DCAT, "keyword"), t);
    }
    let theme = iri(d.topic.eu_theme());
    g.add(ds.clone(), term(DCAT, "theme"), theme.clone());
    g.concept(theme, d.topic.eu_theme_label(), DATA_THEME);
    g.add(ds.clone(), term(DCT, "language"), iri(INDONESIAN));
    g.a(iri(INDONESIAN), term(DCT, "LinguisticSystem"));
    let freq = iri(d.frequency.eu_uri());
    g.add(ds.clone(), term(DCT, "accrualPeriodicity"), freq.clone());
    g.a(freq, term(DCT, "Frequency"));
    let landing = iri(&format!("{b}/data/{}", d.name));
    g.add(ds.clone(), term(DCAT, "landingPage"), landing.clone());
    g.a(landing, term(FOAF, "Document"));
    // the publisher: the unit that produces the data
    let agent = iri(&format!("{b}/unit/{}#agent", d.publisher.slug));
    g.add(ds.clone(), term(DCT, "publisher"), agent.clone());
    g.a(agent.clone(), term(FOAF, "Agent"));
    g.text(agent, term(FOAF, "name"), &d.publisher.name);
    let contact = BlankNode::default();
    g.add(ds.clone(), term(DCAT, "contactPoint"), contact.clone());
    g.a(contact.clone(), term(VCARD, "Kind"));
    g.add(
        contact.clone(),
        term(VCARD, "fn"),
        Literal::new_simple_literal(&d.contact_name),
    );
    g.add(
        contact,
        term(VCARD, "hasEmail"),
        iri(&format!("mailto:{}", d.contact_email)),
    );
    if d.temporal_start.is_some() || d.temporal_end.is_some() {
        let period = BlankNode::default();
        g.add(ds.clone(), term(DCT, "temporal"), period.clone());
        g.a(period.clone(), term(DCT, "PeriodOfTime"));
        if let Some(s) = d.temporal_start {
            g.typed(
                period.clone(),
                term(DCAT, "startDate"),
                &s.to_string(),
                xsd::DATE,
            );
        }
        if let Some(e) = d.temporal_end {
            g.typed(period, term(DCAT, "endDate"), &e.to_string(), xsd::DATE);
        }
    }
    if !d.spatial.is_empty() {
        let place = BlankNode::default();
        g.add(ds.clone(), term(DCT, "spatial"), place.clone());
        g.a(place.clone(), term(DCT, "Location"));
        g.text(place, term(SKOS, "prefLabel"), &d.spatial);
    }
    for r in &d.resources {
        describe_distribution(g, b, d, r, ds.clone());
    }
    ds
}

/// A distribution's stable URI, under its dataset's.
pub fn distribution_uri(b: &str, d: &Dataset, r: &Resource) -> String {
    format!("{}/resource/{}", dataset_uri(b, d), r.uuid)
}

/// One of a dataset's resources as a DCAT distribution of the dataset `ds`.
fn describe_distribution(g: &mut Graph, b: &str, d: &Dataset, r: &Resource, ds: NamedNode) {
    let url = download_url(b, d, r);
    let dist = iri(&distribution_uri(b, d, r));
    g.add(ds, term(DCAT, "distribution"), dist.clone());
    g.a(dist.clone(), term(DCAT, "Distribution"));
    g.text(dist.clone(), term(DCT, "title"), &r.name);
    if !r.description.is_empty() {
        g.text(dist.clone(), term(DCT, "description"), &r.description);
    }
    g.add(dist.clone(), term(DCAT, "accessURL"), iri(&url));
    g.add(dist.clone(), term(DCAT, "downloadURL"), iri(&url));
    let (media, format) = if r.is_tabular() {
        (
            "text/csv",
            kotapintar_domain::opendata::ResourceFormat::Csv.eu_uri(),
        )
    } else {
        (r.format.mimetype(), r.format.eu_uri())
    };
    let media = iri(&format!(
        "http://www.iana.org/assignments/media-types/{media}"
    ));
    g.add(dist.clone(), term(DCAT, "mediaType"), media.clone());
    g.a(media, term(DCT, "MediaType"));
    g.add(dist.clone(), term(DCT, "format"), iri(format));
    g.a(iri(format), term(DCT, "MediaTypeOrExtent"));
    if let Source::Upload { bytes, .. } = &r.source {
        g.typed(
            dist.clone(),
            term(DCAT, "byteSize"),
            &bytes.to_string(),
            xsd::NON_NEGATIVE_INTEGER,
        );
    }
    g.typed(
        dist.clone(),
        term(DCT, "modified"),
        &datetime(r.updated_at),
        xsd::DATE_TIME,
    );
    if let Some(l) = d.licence.url() {
        g.add(dist.clone(), term(DCT, "license"), iri(l));
        g.a(iri(l), term(DCT, "LicenseDocument"));
    }
    let stable = iri(&format!("{PLANNED_AVAILABILITY}/STABLE"));
    g.add(dist, term(DCATAP, "availability"), stable.clone());
    g.concept(stable, "stable", PLANNED_AVAILABILITY);
}

/// The walidata, publisher of the catalogue as a whole.
fn catalogue_publisher(g: &mut Graph, b: &str, regency: &str) -> NamedNode {
    let agent = iri(&format!("{b}/data#walidata"));
    g.a(agent.clone(), term(FOAF, "Agent"));
    g.text(
        agent.clone(),
        term(FOAF, "name"),
        &format!("Pemerintah {regency}"),
    );
    agent
}

fn catalogue_graph(b: &str, regency: &str, cat: &Catalogue, page: usize, ext: &str) -> Graph {
    let mut g = Graph::default();
    let c = iri(&format!("{b}/dcat/catalog"));
    g.a(c.clone(), term(DCAT, "Catalog"));
    g.text(
        c.clone(),
        term(DCT, "title"),
        &format!("Satu Data {regency}"),
    );
    g.text(
        c.clone(),
        term(DCT, "description"),
        &format!("Katalog data terbuka {regency}: data yang dihasilkan perangkat daerah dan disetujui walidata."),
    );
    let publisher = catalogue_publisher(&mut g, b, regency);
    g.add(c.clone(), term(DCT, "publisher"), publisher);
    let home = iri(&format!("{b}/data"));
    g.add(c.clone(), term(FOAF, "homepage"), home.clone());
    g.a(home, term(FOAF, "Document"));
    g.add(c.clone(), term(DCT, "language"), iri(INDONESIAN));
    g.a(iri(INDONESIAN), term(DCT, "LinguisticSystem"));
    // the EU Data Theme vocabulary, titled as the EU titles it (DCAT-AP: a skos:ConceptScheme
    // with a dct:title); each dataset's theme is one of its concepts
    g.add(c.clone(), term(DCAT, "themeTaxonomy"), iri(DATA_THEME));
    g.a(iri(DATA_THEME), term(SKOS, "ConceptScheme"));
    g.add(
        iri(DATA_THEME),
        term(DCT, "title"),
        Literal::new_language_tagged_literal_unchecked("Data theme", "en"),
    );
    if let Some(m) = cat.modified() {
        g.typed(
            c.clone(),
            term(DCT, "modified"),
            &datetime(m),
            xsd::DATE_TIME,
        );
    }
    let total = cat.datasets.len();
    let last = total.div_ceil(PAGE_SIZE).max(1);
    for d in cat
        .datasets
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
    {
        let ds = describe_dataset(&mut g, b, d);
        g.add(c.clone(), term(DCAT, "dataset"), ds);
    }
    // Hydra paging, with the deprecated names ckanext-dcat also reads
    let page_url = |n: usize| iri(&format!("{b}/dcat/catalog.{ext}?page={n}"));
    let coll = page_url(page);
    g.a(coll.clone(), term(HYDRA, "PagedCollection"));
    g.typed(
        coll.clone(),
        term(HYDRA, "totalItems"),
        &total.to_string(),
        xsd::INTEGER,
    );
    g.typed(
        coll.clone(),
        term(HYDRA, "itemsPerPage"),
        &PAGE_SIZE.to_string(),
        xsd::INTEGER,
    );
    for (new, old) in [("first", "firstPage"), ("last", "lastPage")] {
        let n = if new == "first" { 1 } else { last };
        g.add(coll.clone(), term(HYDRA, new), page_url(n));
        g.add(coll.clone(), term(HYDRA, old), page_url(n));
    }
    if page < last {
        g.add(coll.clone(), term(HYDRA, "next"), page_url(page + 1));
        g.add(coll.clone(), term(HYDRA, "nextPage"), page_url(page + 1));
    }
    if page > 1 {
        g.add(coll.clone(), term(HYDRA, "previous"), page_url(page - 1));
        g.add(coll, term(HYDRA, "previousPage"), page_url(page - 1));
    }
    g
}

const PREFIXES: &[(&str, &str)] = &[
    ("dcat", DCAT),
    ("dct", DCT),
    ("foaf", FOAF),
    ("vcard", VCARD),
    ("hydra", HYDRA),
    ("dcatap", DCATAP),
    ("xsd", "http://www.w3.org/2001/XMLSchema#"),
    ("skos", SKOS),
];

fn turtle(g: &Graph) -> Result<Vec<u8>, WebError> {
    let err = |e: std::io::Error| WebError::Internal(format!("writing Turtle: {e}"));
    let mut s = oxttl::TurtleSerializer::new();
    for (p, ns) in PREFIXES {
        s = s
            .with_prefix(*p, *ns)
            .map_err(|e| WebError::Internal(e.to_string()))?;
    }
    let mut w = s.for_writer(Vec::new());
    for t in g.unique() {
        w.serialize_triple(t).map_err(err)?;
    }
    w.finish().map_err(err)
}

fn jsonld(g: &Graph) -> Result<Vec<u8>, WebError> {
    let err = |e: std::io::Error| WebError::Internal(format!("writing JSON-LD: {e}"));
    let mut s = oxjsonld::JsonLdSerializer::new();
    for (p, ns) in PREFIXES {
        s = s
            .with_prefix(*p, *ns)
            .map_err(|e| WebError::Internal(e.to_string()))?;
    }
    let mut w = s.for_writer(Vec::new());
    for t in g.unique() {
        w.serialize_quad(t.as_ref().in_graph(GraphNameRef::DefaultGraph))
            .map_err(err)?;
    }
    w.finish().map_err(err)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PageQuery {
    page: Option<String>,
}

fn page_of(q: &PageQuery, total: usize) -> Result<usize, WebError> {
    let page: usize = match q.page.as_deref() {
        None | Some("") => 1,
        Some(p) => p
            .parse()
            .map_err(|_| WebError::BadRequest("page must be a positive number".into()))?,
    };
    let last = total.div_ceil(PAGE_SIZE).max(1);
    if page == 0 || page > last {
        return Err(WebError::NotFound);
    }
    Ok(page)
}

fn rdf_response(mime: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, format!("{mime}; charset=utf-8")),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*".to_string()),
        ],
        body,
    )
        .into_response()
}

async fn catalogue_in(state: &AppState, q: &PageQuery, ext: &str) -> Result<Graph, WebError> {
    let cat = catalogue(state).await?;
    let page = page_of(q, cat.datasets.len())?;
    let regency = state.regency_name().await;
    Ok(catalogue_graph(&base(state), &regency, &cat, page, ext))
}

pub async fn catalog_ttl(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let g = catalogue_in(&state, &q, "ttl").await?;
    Ok(rdf_response("text/turtle", turtle(&g)?))
}

pub async fn catalog_jsonld(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
) -> Result<Response, WebError> {
    let g = catalogue_in(&state, &q, "jsonld").await?;
    Ok(rdf_response("application/ld+json", jsonld(&g)?))
}

/// A graph in the syntax asked for.
fn document(g: &Graph, w: Wanted) -> Result<Response, WebError> {
    match w {
        Wanted::Turtle => Ok(rdf_response("text/turtle", turtle(g)?)),
        Wanted::JsonLd => Ok(rdf_response("application/ld+json", jsonld(g)?)),
        Wanted::Html => Err(WebError::NotFound),
    }
}

/// One published dataset with its distributions, in Turtle or JSON-LD.
pub fn dataset_document(state: &AppState, d: &Dataset, w: Wanted) -> Result<Response, WebError> {
    let mut g = Graph::default();
    describe_dataset(&mut g, &base(state), d);
    document(&g, w)
}

/// One distribution of a published dataset, in Turtle or JSON-LD.
pub fn distribution_document(
    state: &AppState,
    d: &Dataset,
    r: &Resource,
    w: Wanted,
) -> Result<Response, WebError> {
    let b = base(state);
    let mut g = Graph::default();
    describe_distribution(&mut g, &b, d, r, iri(&dataset_uri(&b, d)));
    document(&g, w)
}

/// `/dataset/{id}.ttl` or `.jsonld`: one dataset (by id or name) with its distributions;
/// `/dataset/{id}` itself, the dataset's IRI, by content negotiation.
pub async fn dataset_rdf(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let (key, w) = match file.rsplit_once('.') {
        None => return Ok(negotiate::dataset(&state, &file, &headers).await),
        Some((key, "ttl")) => (key, Wanted::Turtle),
        Some((key, "jsonld")) => (key, Wanted::JsonLd),
        Some(_) => return Err(WebError::NotFound),
    };
    let cat = catalogue(&state).await?;
    let d = cat.dataset(key).ok_or(WebError::NotFound)?;
    dataset_document(&state, d, w)
}

/// `/data.json`: DCAT-US 1.1 (Project Open Data), non-federal profile.
pub async fn data_json(State(state): State<AppState>) -> Result<Response, WebError> {
    let cat = catalogue(&state).await?;
    let today = today(&state);
    let b = base(&state);
    let regency = state.regency_name().await;
    let datasets: Vec<serde_json::Value> = cat
        .datasets
        .iter()
        .map(|d| {
            // DCAT-US wants at least one keyword; the topic stands in when a unit gave none
            let keyword: Vec<String> = if d.tags.is_empty() {
                vec![d.topic.title().to_string()]
            } else {
                d.tags.clone()
            };
            let mut v = json!({
                "@type": "dcat:Dataset",
                "title": d.title,
                "description": d.notes,
                "keyword": keyword,
                "modified": datetime(d.modified()),
                "publisher": {
                    "@type": "org:Organization",
                    "name": d.publisher.name,
                    "subOrganizationOf": {"@type": "org:Organization", "name": format!("Pemerintah {regency}")},
                },
                "contactPoint": {
                    "@type": "vcard:Contact",
                    "fn": d.contact_name,
                    "hasEmail": format!("mailto:{}", d.contact_email),
                },
                "identifier": dataset_uri(&b, d),
                "accessLevel": "public",
                "landingPage": format!("{b}/data/{}", d.name),
                "language": ["id"],
                "theme": [d.topic.title()],
                "accrualPeriodicity": d.frequency.iso8601(),
                "distribution": d.resources.iter().map(|r| {
                    let (media, format) = (r.offered_mimetype(), r.offered_format());
                    let mut dist = json!({
                        "@type": "dcat:Distribution",
                        "downloadURL": download_url(&b, d, r),
                        "mediaType": media,
                        "format": format,
                        "title": r.name,
                    });
                    if !r.description.is_empty() {
                        dist["description"] = json!(r.description);
                    }
                    dist
                }).collect::<Vec<_>>(),
            });
            if let Some(l) = d.licence.url() {
                v["license"] = json!(l);
            }
            if let Some(p) = d.published_at {
                v["issued"] = json!(datetime(p));
            }
            if !d.spatial.is_empty() {
                v["spatial"] = json!(d.spatial);
            }
            if let Some(t) = pod_temporal(d.temporal_start, d.temporal_end, today) {
                v["temporal"] = json!(t);
            }
            v
        })
        .collect();
    let body = json!({
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        "@id": format!("{b}/data.json"),
        "@type": "dcat:Catalog",
        "conformsTo": "https://project-open-data.cio.gov/v1.1/schema",
        "describedBy": "https://project-open-data.cio.gov/v1.1/schema/catalog.json",
        "dataset": datasets,
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        body.to_string(),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turtle_and_jsonld_say_the_same_triples() {
        let mut g = Graph::default();
        let s = iri("https://example.go.id/dataset/1");
        g.a(s.clone(), term(DCAT, "Dataset"));
        g.text(s, term(DCT, "title"), "Jumlah \"pasar\"\nper kecamatan");
        let ttl = String::from_utf8(turtle(&g).unwrap()).unwrap();
        assert!(ttl.contains("dcat:Dataset"), "{ttl}");
        assert!(ttl.contains("@id"), "{ttl}");
        let ld: serde_json::Value = serde_json::from_slice(&jsonld(&g).unwrap()).unwrap();
        assert_eq!(ld["@graph"][0]["@id"], "https://example.go.id/dataset/1");
    }
}
