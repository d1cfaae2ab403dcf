//! DCAT: the RDF identifiers the catalogue names answer by content negotiation (people to the
//! portal page, machines to Turtle or JSON-LD, `Vary: Accept`), never for a dataset that is
//! not published; the theme taxonomy and every concept are described as DCAT-AP 3.0.1's SHACL
//! shapes want them; /data.json's `temporal` is an interval the POD v1.1 schema accepts. The
//! official validators themselves (pyshacl, jsonschema) run in
//! `opendata::the_ckanapi_client_and_dcat_consumers_*` through `scripts/opendata-check`.

use crate::harness::{location, TestApp};
use crate::opendata::{dataset_fields, published_markets, unit_id};
use oxrdf::{NamedNode, NamedOrBlankNode, Term, Triple};
use reqwest::StatusCode;
use serde_json::Value;

both_backends!(
    every_rdf_identifier_answers_by_content_negotiation,
    an_unpublished_dataset_is_unreachable_by_its_identifiers,
    the_theme_taxonomy_is_a_concept_scheme_and_every_concept_has_a_label,
    data_json_temporal_is_an_interval_the_pod_schema_accepts,
);

const SKOS: &str = "http://www.w3.org/2004/02/skos/core#";
const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";

async fn get_as(app: &TestApp, path: &str, accept: &str) -> reqwest::Response {
    app.client
        .get(app.url(path))
        .header("accept", accept)
        .send()
        .await
        .unwrap()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

fn triples(ttl: &str) -> Vec<Triple> {
    oxttl::TurtleParser::new()
        .for_slice(ttl.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("not Turtle: {e}\n{ttl}"))
}

fn node(s: &str) -> NamedNode {
    NamedNode::new(s).unwrap()
}

fn has(ts: &[Triple], s: &str, p: &str, o: &Term) -> bool {
    ts.iter().any(|t| {
        t.subject == NamedOrBlankNode::NamedNode(node(s))
            && t.predicate == node(p)
            && &t.object == o
    })
}

fn objects<'a>(ts: &'a [Triple], s: &Term, p: &str) -> Vec<&'a Term> {
    ts.iter()
        .filter(|t| Term::from(t.subject.clone()) == *s && t.predicate == node(p))
        .map(|t| &t.object)
        .collect()
}

/// The address the server names its IRIs under (its public URL, not the test's socket): the
/// catalogue's own IRI less `/dcat/catalog`.
fn public_base(ts: &[Triple]) -> String {
    let catalog = Term::from(node("http://www.w3.org/ns/dcat#Catalog"));
    let t = ts
        .iter()
        .find(|t| t.predicate == node(RDF_TYPE) && t.object == catalog)
        .expect("a dcat:Catalog");
    let NamedOrBlankNode::NamedNode(c) = &t.subject else {
        panic!("the catalogue is a blank node")
    };
    c.as_str()
        .strip_suffix("/dcat/catalog")
        .unwrap_or_else(|| panic!("catalogue IRI {c}"))
        .to_string()
}

/// The published markets dataset's id and its resource's id, as the CKAN API tells them.
async fn ids(app: &TestApp) -> (String, String) {
    let v: Value = app
        .get("/api/3/action/package_show?id=pasar-tradisional")
        .await
        .json()
        .await
        .unwrap();
    let d = &v["result"];
    (
        d["id"].as_str().unwrap().to_string(),
        d["resources"][0]["id"].as_str().unwrap().to_string(),
    )
}

async fn every_rdf_identifier_answers_by_content_negotiation(app: TestApp) {
    published_markets(&app).await;
    app.logout().await;
    let (id, rid) = ids(&app).await;
    let catalog = "/dcat/catalog".to_string();
    let dataset = format!("/dataset/{id}");
    let resource = format!("/dataset/{id}/resource/{rid}");

    // the catalogue names exactly these IRIs
    let ttl = app.get("/dcat/catalog.ttl").await.text().await.unwrap();
    let ts = triples(&ttl);
    let pb = public_base(&ts);
    let dcat = |l: &str| format!("http://www.w3.org/ns/dcat#{l}");
    for (iri, class) in [
        (&catalog, "Catalog"),
        (&dataset, "Dataset"),
        (&resource, "Distribution"),
    ] {
        assert!(
            has(
                &ts,
                &format!("{pb}{iri}"),
                RDF_TYPE,
                &node(&dcat(class)).into()
            ),
            "{iri} is not the {class}'s IRI in the catalogue"
        );
    }

    // people: 303 to the portal page, which exists
    for (iri, page) in [
        (&catalog, "/data".to_string()),
        (&dataset, "/data/pasar-tradisional".to_string()),
        (&resource, format!("/data/pasar-tradisional?sumber={rid}")),
    ] {
        let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
        for accept in [firefox, "*/*"] {
            let r = get_as(&app, iri, accept).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{iri} {accept}");
            assert_eq!(location(&r), page, "{iri}");
            assert_eq!(header(&r, "vary"), "Accept", "{iri}");
        }
        let (status, _) = app.get_html(&page).await;
        assert_eq!(status, StatusCode::OK, "{page}");
    }

    // machines: the description itself, in the syntax asked for, naming the IRI it was asked at
    for (iri, class) in [
        (&catalog, "Catalog"),
        (&dataset, "Dataset"),
        (&resource, "Distribution"),
    ] {
        let r = get_as(&app, iri, "text/turtle").await;
        assert_eq!(r.status(), StatusCode::OK, "{iri}");
        assert!(
            header(&r, "content-type").starts_with("text/turtle"),
            "{iri}"
        );
        assert_eq!(header(&r, "vary"), "Accept", "{iri}");
        assert_eq!(header(&r, "content-location"), format!("{iri}.ttl"));
        let ts = triples(&r.text().await.unwrap());
        assert!(
            has(
                &ts,
                &format!("{pb}{iri}"),
                RDF_TYPE,
                &node(&dcat(class)).into()
            ),
            "{iri} as Turtle does not describe itself"
        );

        let rdflib = "application/rdf+xml, text/n3;q=0.9, application/ld+json;q=0.95";
        let r = get_as(&app, iri, rdflib).await;
        assert_eq!(r.status(), StatusCode::OK, "{iri}");
        assert!(
            header(&r, "content-type").starts_with("application/ld+json"),
            "{iri}"
        );
        assert_eq!(header(&r, "vary"), "Accept", "{iri}");
        let ld = r.text().await.unwrap();
        let v: Value = serde_json::from_str(&ld).unwrap();
        assert!(v["@graph"].is_array(), "{ld}");
        assert!(ld.contains(&format!("\"{pb}{iri}\"")), "{iri}: {ld}");

        // nothing offered is acceptable: 406, still varying by Accept
        let r = get_as(&app, iri, "application/rdf+xml").await;
        assert_eq!(r.status(), StatusCode::NOT_ACCEPTABLE, "{iri}");
        assert_eq!(header(&r, "vary"), "Accept");
    }
    // the fixed-syntax twins stay as they were, and a dataset's name works as well as its id
    let r = app.get(&format!("{resource}.jsonld")).await;
    assert!(header(&r, "content-type").starts_with("application/ld+json"));
    let r = get_as(&app, "/dataset/pasar-tradisional", "text/turtle").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(triples(&r.text().await.unwrap())
        .iter()
        .any(|t| t.subject == NamedOrBlankNode::NamedNode(node(&format!("{pb}{dataset}")))));
    // a resource under a dataset that is not its own is not found
    let r = get_as(
        &app,
        &format!("/dataset/00000000-0000-4000-8000-000000000000/resource/{rid}"),
        "text/turtle",
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

async fn an_unpublished_dataset_is_unreachable_by_its_identifiers(app: TestApp) {
    let published = published_markets(&app).await;
    // a second dataset with a file, submitted but never approved by the walidata
    let unit = unit_id(&app, "DISPERINDAG").await;
    let r = app
        .post_form(
            "/staf/data/baru",
            &dataset_fields(&unit, "rencana-pasar", "Rencana pasar baru."),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let draft: i64 = location(&r)
        .trim_start_matches("/staf/data/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let r = app
        .post_multipart(
            &format!("/staf/data/{draft}/sumber"),
            &[("resource_name", "Rencana")],
            &[("file", "rencana.csv", b"a;b\n1;2\n".to_vec())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            &format!("/staf/data/{draft}/langkah"),
            &[("step", "submit")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let d = kotapintar_storage::opendata::get(&app.store, kotapintar_domain::ids::DatasetId(draft))
        .await
        .unwrap();
    let rid = d.resources[0].uuid.clone();
    // the published one, then withdrawn
    let (pid, prid) = ids(&app).await;
    let r = app
        .post_form(
            &format!("/staf/data/{published}/langkah"),
            &[("step", "unpublish")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.logout().await;

    for (id, rid, name) in [
        (&d.uuid, &rid, "rencana-pasar"),
        (&pid, &prid, "pasar-tradisional"),
    ] {
        let paths = [
            format!("/dataset/{id}"),
            format!("/dataset/{name}"),
            format!("/dataset/{id}.ttl"),
            format!("/dataset/{id}.jsonld"),
            format!("/dataset/{id}/resource/{rid}"),
            format!("/dataset/{id}/resource/{rid}.ttl"),
        ];
        for path in &paths {
            for accept in ["text/html", "text/turtle", "application/ld+json", "*/*"] {
                let r = get_as(&app, path, accept).await;
                assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path} as {accept}");
                assert!(location(&r).is_empty(), "{path} redirects");
            }
        }
    }
    // and the catalogue names neither
    let ttl = app.get("/dcat/catalog").await;
    assert_eq!(ttl.status(), StatusCode::SEE_OTHER);
    let ttl = get_as(&app, "/dcat/catalog", "text/turtle")
        .await
        .text()
        .await
        .unwrap();
    assert!(!ttl.contains(&d.uuid) && !ttl.contains(&pid), "{ttl}");
}

async fn the_theme_taxonomy_is_a_concept_scheme_and_every_concept_has_a_label(app: TestApp) {
    published_markets(&app).await;
    app.logout().await;
    let (id, _) = ids(&app).await;
    let ts = triples(&app.get("/dcat/catalog.ttl").await.text().await.unwrap());
    let pb = public_base(&ts);
    let catalog: Term = node(&format!("{pb}/dcat/catalog")).into();
    let scheme = objects(&ts, &catalog, "http://www.w3.org/ns/dcat#themeTaxonomy");
    assert_eq!(scheme.len(), 1, "one theme taxonomy");
    let Term::NamedNode(scheme) = scheme[0].clone() else {
        panic!("the taxonomy is not an IRI")
    };
    assert_eq!(
        scheme.as_str(),
        "http://publications.europa.eu/resource/authority/data-theme"
    );
    assert!(has(
        &ts,
        scheme.as_str(),
        RDF_TYPE,
        &node(&format!("{SKOS}ConceptScheme")).into()
    ));
    assert!(!objects(
        &ts,
        &scheme.clone().into(),
        "http://purl.org/dc/terms/title"
    )
    .is_empty());
    // the dataset's theme (topic ekonomi: the EU's ECON), in that scheme, labelled
    let theme = objects(
        &ts,
        &node(&format!("{pb}/dataset/{id}")).into(),
        "http://www.w3.org/ns/dcat#theme",
    );
    let econ = "http://publications.europa.eu/resource/authority/data-theme/ECON";
    assert_eq!(theme, vec![&Term::from(node(econ))]);
    assert!(has(
        &ts,
        econ,
        &format!("{SKOS}inScheme"),
        &scheme.clone().into()
    ));
    // every concept the catalogue names (themes, the availability) is typed and labelled
    let concepts: Vec<&Term> = ts
        .iter()
        .filter(|t| {
            t.predicate == node("http://data.europa.eu/r5r/availability")
                || t.predicate == node("http://www.w3.org/ns/dcat#theme")
        })
        .map(|t| &t.object)
        .collect();
    assert!(concepts.len() >= 2, "{concepts:?}");
    for c in concepts {
        assert!(
            !objects(&ts, c, RDF_TYPE)
                .into_iter()
                .filter(|o| **o == Term::from(node(&format!("{SKOS}Concept"))))
                .collect::<Vec<_>>()
                .is_empty(),
            "{c} is not a skos:Concept"
        );
        let labels = objects(&ts, c, &format!("{SKOS}prefLabel"));
        assert!(
            labels
                .iter()
                .any(|l| matches!(l, Term::Literal(x) if !x.value().is_empty())),
            "{c} has no skos:prefLabel"
        );
    }
}

async fn data_json_temporal_is_an_interval_the_pod_schema_accepts(app: TestApp) {
    // one dataset with a closed span, one still running (no end)
    published_markets(&app).await;
    let unit = unit_id(&app, "DISPERINDAG").await;
    let mut fields = dataset_fields(&unit, "pedagang-pasar", "Pedagang pasar per tahun.");
    fields.retain(|(k, _)| *k != "temporal_end");
    fields.push(("temporal_end", ""));
    let r = app.post_form("/staf/data/baru", &fields).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = location(&r)
        .trim_start_matches("/staf/data/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let r = app
        .post_multipart(
            &format!("/staf/data/{id}/sumber"),
            &[("resource_name", "Pedagang")],
            &[(
                "file",
                "pedagang.csv",
                b"tahun;pedagang\n2024;90\n".to_vec(),
            )],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for step in ["submit", "publish"] {
        let r = app
            .post_form(&format!("/staf/data/{id}/langkah"), &[("step", step)])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{step}");
    }
    app.logout().await;

    let v: Value = app.get("/data.json").await.json().await.unwrap();
    let temporal = |name: &str| -> String {
        v["dataset"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| {
                d["landingPage"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/data/{name}"))
            })
            .unwrap_or_else(|| panic!("{name} not in data.json"))["temporal"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(temporal("pasar-tradisional"), "2024-01-01/2025-12-31");
    // the open end is closed at the regency's today (the schema's patterns refuse `..`)
    let open = temporal("pedagang-pasar");
    assert!(!open.contains(".."), "{open}");
    let (start, end) = open.split_once('/').unwrap();
    assert_eq!(start, "2024-01-01");
    let end = chrono::NaiveDate::parse_from_str(end, "%Y-%m-%d").unwrap();
    let today = app.local_today();
    assert!(
        (end - today).num_days().abs() <= 1,
        "{open}: end is not today ({today})"
    );
    // the RDF keeps the open span as it is: a start and no end
    let ts = triples(
        &app.get("/dataset/pedagang-pasar.ttl")
            .await
            .text()
            .await
            .unwrap(),
    );
    let ends = ts
        .iter()
        .filter(|t| t.predicate == node("http://www.w3.org/ns/dcat#endDate"))
        .count();
    let starts = ts
        .iter()
        .filter(|t| t.predicate == node("http://www.w3.org/ns/dcat#startDate"))
        .count();
    assert_eq!((starts, ends), (1, 0));
}
