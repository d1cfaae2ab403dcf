//! Open data: a unit describes a dataset and uploads files, the walidata approves, and the
//! public, the CKAN API, DataStore and DCAT see only what was approved. The independent
//! clients (`ckanapi`, `rdflib`) run in `the_ckanapi_client_and_dcat_consumers_*`.

use crate::harness::{location, TestApp, TestDb, ADMIN_PASSWORD};
use kotapintar_storage::Backend;
use reqwest::StatusCode;
use serde_json::Value;

both_backends!(
    a_unit_describes_uploads_and_the_walidata_approves,
    the_ckan_api_answers_as_ckan_does,
    a_corrupt_stored_status_is_an_error_never_a_draft,
);

const MARKETS: &str = "kecamatan;tahun;jumlah\nKuta;2024;3\nMengwi;2024;9\nKuta;2025;4\nMengwi;2025;10\nPetang;2025;2\n";

pub(crate) fn dataset_fields<'a>(
    unit_id: &'a str,
    name: &'a str,
    notes: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("unit_id", unit_id),
        ("title", "Pasar tradisional per kecamatan"),
        ("name", name),
        ("notes", notes),
        ("tags", "pasar, perdagangan"),
        ("topic", "ekonomi"),
        ("licence", "cc-by"),
        ("frequency", "annual"),
        ("temporal_start", "2024-01-01"),
        ("temporal_end", "2025-12-31"),
        ("spatial", "Kabupaten Badung"),
        ("contact_name", "Bidang Perdagangan"),
        ("contact_email", "data@disperindag.example.go.id"),
    ]
}

pub(crate) async fn unit_id(app: &TestApp, code: &str) -> String {
    kotapintar_storage::units::find_by_code(&app.store.reader, code)
        .await
        .unwrap()
        .unwrap()
        .id
        .0
        .to_string()
}

pub(crate) async fn ckan(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let r = app.get(path).await;
    let status = r.status();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    assert!(ct.starts_with("application/json"), "{path}: {ct}");
    (status, r.json().await.unwrap())
}

/// Sets up a unit with an editor and a published dataset with one CSV; returns the
/// dataset's staff id.
pub(crate) async fn published_markets(app: &TestApp) -> i64 {
    app.login_admin().await;
    app.create_unit("DISPERINDAG", "Dinas Perindustrian dan Perdagangan")
        .await;
    let unit = unit_id(app, "DISPERINDAG").await;
    let r = app
        .post_form(
            "/staf/data/baru",
            &dataset_fields(&unit, "pasar-tradisional", "Jumlah pasar tradisional."),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id: i64 = location(&r)
        .trim_start_matches("/staf/data/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let r = app
        .post_multipart(
            &format!("/staf/data/{id}/sumber"),
            &[("resource_name", "Pasar 2024-2025")],
            &[("file", "pasar.csv", MARKETS.as_bytes().to_vec())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for step in ["submit", "publish"] {
        let r = app
            .post_form(&format!("/staf/data/{id}/langkah"), &[("step", step)])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{step}");
    }
    id
}

async fn a_unit_describes_uploads_and_the_walidata_approves(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DISPERINDAG", "Dinas Perindustrian dan Perdagangan")
        .await;
    app.create_unit("DLHK", "Dinas Lingkungan Hidup").await;
    app.create_user(
        "editor.pasar",
        "editor",
        "DISPERINDAG",
        "editor-password-123",
    )
    .await;
    app.logout().await;
    let unit = unit_id(&app, "DISPERINDAG").await;
    let other = unit_id(&app, "DLHK").await;
    let r = app.login("editor.pasar", "editor-password-123").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // bad input: every wrong field named, everything typed kept, nothing stored
    let mut bad = dataset_fields(&unit, "Pasar Tradisional", "");
    bad.retain(|(k, _)| *k != "contact_email");
    bad.push(("contact_email", "bukan-email"));
    let r = app.post_form("/staf/data/baru", &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for (field, needle) in [
        ("name", "hanya huruf kecil"),
        ("notes", "f-notes"),
        ("contact_email", "f-contact_email"),
    ] {
        assert!(html.contains(needle), "{field} error missing");
    }
    assert!(
        html.contains("value=\"Pasar Tradisional\""),
        "typed name kept"
    );
    assert!(
        html.contains("value=\"Bidang Perdagangan\""),
        "typed contact kept"
    );
    // another unit's datasets are not this editor's to describe
    let r = app
        .post_form(
            "/staf/data/baru",
            &dataset_fields(&other, "sampah", "Timbulan sampah."),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        kotapintar_storage::opendata::list_for_staff(&app.store, None)
            .await
            .unwrap()
            .is_empty()
    );

    let r = app
        .post_form(
            "/staf/data/baru",
            &dataset_fields(&unit, "", "Jumlah pasar tradisional per kecamatan."),
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let path = location(&r);
    let id = path
        .trim_start_matches("/staf/data/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let d = kotapintar_storage::opendata::get(&app.store, id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(d.name.as_str(), "pasar-tradisional-per-kecamatan");

    // a dataset without resources cannot be submitted
    let r = app
        .post_form(&format!("/staf/data/{id}/langkah"), &[("step", "submit")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // uploads that are refused, each with its reason, the typed name kept
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "latin1.csv",
            b"kecamatan,jumlah\nKuta,3\nPeng\xe9,4\n".to_vec(),
            "Baris 3: Berkas CSV bukan UTF-8",
        ),
        (
            "ragged.csv",
            b"kecamatan,jumlah\nKuta,3\nMengwi,9,extra\n".to_vec(),
            "Baris 3: Jumlah kolom",
        ),
        (
            "besar.csv",
            vec![b'a'; 20 * 1024 * 1024 + 1],
            "lebih dari 20 MB",
        ),
        (
            "program.exe",
            b"MZ\x90\x00".to_vec(),
            "Format berkas tidak didukung",
        ),
    ];
    for (file, bytes, message) in cases {
        let r = app
            .post_multipart(
                &format!("/staf/data/{id}/sumber"),
                &[("resource_name", "Nama yang diketik")],
                &[("file", file, bytes)],
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{file}");
        let html = r.text().await.unwrap();
        assert!(html.contains(message), "{file}: {message}");
        assert!(html.contains("value=\"Nama yang diketik\""), "{file}");
    }
    assert!(
        kotapintar_storage::opendata::get(&app.store, id.parse().unwrap())
            .await
            .unwrap()
            .resources
            .is_empty()
    );

    let r = app
        .post_multipart(
            &format!("/staf/data/{id}/sumber"),
            &[("resource_name", "Pasar 2024-2025")],
            &[("file", "Pasar 2024-2025.csv", MARKETS.as_bytes().to_vec())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_multipart(
            &format!("/staf/data/{id}/sumber"),
            &[("live_source", "units")],
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    let r = app
        .post_form(&format!("/staf/data/{id}/langkah"), &[("step", "submit")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // the producer cannot approve its own dataset
    let r = app
        .post_form(&format!("/staf/data/{id}/langkah"), &[("step", "publish")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // not approved: nowhere public
    let (status, _) = app.get_html("/data/pasar-tradisional-per-kecamatan").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, v) = ckan(&app, "/api/3/action/package_list").await;
    assert_eq!(v["result"], serde_json::json!([]));
    let (status, v) = ckan(
        &app,
        "/api/3/action/package_show?id=pasar-tradisional-per-kecamatan",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(v["error"]["__type"], "Not Found Error");
    let data_json: Value = app.get("/data.json").await.json().await.unwrap();
    assert_eq!(data_json["dataset"], serde_json::json!([]));

    // the walidata approves
    app.logout().await;
    let r = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get_html("/staf/data").await;
    assert!(list.contains("Pasar tradisional per kecamatan"));
    let r = app
        .post_form(&format!("/staf/data/{id}/langkah"), &[("step", "publish")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.logout().await;

    // now public: the page with a preview, the API, DCAT, downloads
    let (status, html) = app.get_html("/data/pasar-tradisional-per-kecamatan").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<td>Mengwi</td>"), "preview shows rows");
    assert!(html.contains("datastore_search?resource_id="));
    let (_, v) = ckan(
        &app,
        "/api/3/action/package_show?id=pasar-tradisional-per-kecamatan",
    )
    .await;
    let pkg = &v["result"];
    assert_eq!(pkg["organization"]["name"], "disperindag");
    assert_eq!(pkg["num_resources"], 2);
    let csv_res = &pkg["resources"][0];
    assert_eq!(csv_res["format"], "CSV");
    let absolute = csv_res["url"].as_str().unwrap();
    assert!(
        absolute.ends_with("/download/pasar-2024-2025.csv"),
        "{absolute}"
    );
    // the test server's public address has no port; ask the server it runs on
    let url = &app.url(&absolute[absolute.find("/dataset/").unwrap()..]);
    let r = app.client.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("pasar-2024-2025.csv"));
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(r.bytes().await.unwrap(), MARKETS.as_bytes());
    let r = app
        .client
        .get(url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let live_url = pkg["resources"][1]["url"].as_str().unwrap();
    let live_url = app.url(&live_url[live_url.find("/dataset/").unwrap()..]);
    let units_csv = app
        .client
        .get(&live_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(units_csv.starts_with("kode,nama,jenis"), "{units_csv}");
    assert!(units_csv.contains("DISPERINDAG"));

    let rid = csv_res["id"].as_str().unwrap();
    let (_, v) = ckan(
        &app,
        &format!("/api/3/action/datastore_search?resource_id={rid}&filters=%7B%22kecamatan%22%3A%22Kuta%22%7D&sort=tahun%20desc"),
    )
    .await;
    assert_eq!(v["result"]["total"], 2);
    assert_eq!(v["result"]["records"][0]["tahun"], 2025);
    assert_eq!(v["result"]["records"][0]["jumlah"], 4);
    let (status, v) = ckan(
        &app,
        &format!("/api/3/action/datastore_search?resource_id={rid}&sort=desa%20asc"),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(v["error"]["__type"], "Validation Error");
    assert!(v["error"]["sort"].is_array());

    let ttl = app.get("/dcat/catalog.ttl").await.text().await.unwrap();
    assert!(ttl.contains("dcat:Dataset") && ttl.contains("Pasar tradisional per kecamatan"));
    let data_json: Value = app.get("/data.json").await.json().await.unwrap();
    assert_eq!(
        data_json["dataset"][0]["title"],
        "Pasar tradisional per kecamatan"
    );

    // the portal's search covers datasets
    app.search_caught_up().await;
    let (_, html) = app.get_html("/cari?q=pasar+tradisional").await;
    assert!(
        html.contains("/data/pasar-tradisional-per-kecamatan"),
        "found by /cari"
    );

    // every change is in the audit log
    app.login_admin().await;
    let (_, audit) = app.get_html("/staf/audit").await;
    for action in [
        "dataset.create",
        "dataset.resource_add",
        "dataset.submit",
        "dataset.publish",
    ] {
        assert!(audit.contains(action), "{action} audited");
    }
    // withdrawing removes it from every public list again
    let r = app
        .post_form(
            &format!("/staf/data/{id}/langkah"),
            &[("step", "unpublish")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, v) = ckan(&app, "/api/3/action/package_list").await;
    assert_eq!(v["result"], serde_json::json!([]));
    let r = app.client.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

async fn the_ckan_api_answers_as_ckan_does(app: TestApp) {
    published_markets(&app).await;
    app.logout().await;
    // the version, and both action prefixes
    let v: Value = app.get("/api/3").await.json().await.unwrap();
    assert_eq!(v["version"], 3);
    let (_, v) = ckan(&app, "/api/action/package_list").await;
    assert_eq!(v["success"], true);
    assert!(v["help"]
        .as_str()
        .unwrap()
        .ends_with("help_show?name=package_list"));
    // an unknown action: a bare JSON string, as CKAN answers
    let (status, v) = ckan(&app, "/api/3/action/package_explode").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v, "Bad request: Action name not known: package_explode");
    // a missing parameter, a bad number, a bad query
    let (status, v) = ckan(&app, "/api/3/action/package_show").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(v["error"]["id"][0], "Missing value");
    let (status, v) = ckan(&app, "/api/3/action/package_search?rows=lots").await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(v["error"]["rows"].is_array());
    let (status, v) = ckan(&app, "/api/3/action/package_search?fq=tags:%22open").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"]["__type"], "Search Query Error");
    // unknown parameters are ignored; numbers and booleans as strings are read
    let (status, v) = ckan(
        &app,
        "/api/3/action/package_search?rows=1&start=0&facet=True&facet.field=organization&facet.field=tags&include_private=True&whatever=1",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["result"]["count"], 1);
    assert_eq!(v["result"]["facets"]["organization"]["disperindag"], 1);
    assert_eq!(
        v["result"]["search_facets"]["tags"]["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let pkg = &v["result"]["results"][0];
    assert_eq!(pkg["name"], "pasar-tradisional");
    let modified = pkg["metadata_modified"].as_str().unwrap();
    assert_eq!(modified.len(), 26, "{modified}");
    assert!(!modified.ends_with('Z'));
    // past the end: an empty page, not an error (the harvester stops on it)
    let (_, v) = ckan(
        &app,
        "/api/3/action/package_search?rows=100&start=100&sort=id+asc",
    )
    .await;
    assert_eq!(v["result"]["results"], serde_json::json!([]));
    // POST with a JSON body without a content type, and a form body
    let r = app
        .client
        .post(app.url("/api/action/package_show"))
        .body(r#"{"id": "pasar-tradisional", "include_password_hash": true}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .client
        .post(app.url("/api/action/package_search"))
        .form(&[("q", "pasar"), ("rows", "5")])
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["result"]["count"], 1);
    // write actions are refused as CKAN refuses an anonymous writer
    let r = app
        .client
        .post(app.url("/api/3/action/package_create"))
        .body(r#"{"name": "x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // JSONP for old browser clients
    let r = app.get("/api/3/action/status_show?callback=tampil").await;
    let body = r.text().await.unwrap();
    assert!(
        body.starts_with("tampil({") && body.ends_with("});"),
        "{body}"
    );
    // organizations and groups are told apart
    let (status, _) = ckan(&app, "/api/3/action/group_show?id=disperindag").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, v) = ckan(
        &app,
        "/api/3/action/group_show?id=ekonomi&include_datasets=true",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["result"]["packages"][0]["name"], "pasar-tradisional");
    // DCAT paging: a page past the end is not found
    assert_eq!(
        app.get("/dcat/catalog.ttl?page=2").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.client
            .head(app.url("/dcat/catalog.ttl"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

/// The real clients: `ckanapi` (library, GET and POST, and command line) and `rdflib` (DCAT-AP
/// in Turtle and JSON-LD), and DCAT-US's required fields, against a demo server on each
/// database (`scripts/opendata-check`). A missing Python or PyPI fails the test.
async fn the_real_clients_read_the_catalogue(backend: Backend) {
    let db = TestDb::create(backend).await;
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/opendata-check");
    let out = tokio::process::Command::new(script)
        .env("KOTAPINTAR_BIN", env!("CARGO_BIN_EXE_kotapintar"))
        .env("KOTAPINTAR_DATABASE_URL", &db.url)
        .output()
        .await
        .expect("run scripts/opendata-check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("every open-data check passed"), "{stdout}");
    // pyshacl with the DCAT-AP 3.0.1 shapes, the POD v1.1 schemas (scripts/opendata/validate.py)
    assert!(stdout.contains("every validator passed"), "{stdout}");
}

#[tokio::test]
async fn the_ckanapi_client_and_dcat_consumers_read_the_catalogue_sqlite() {
    the_real_clients_read_the_catalogue(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_ckanapi_client_and_dcat_consumers_read_the_catalogue_postgres() {
    the_real_clients_read_the_catalogue(Backend::Postgres).await;
}

/// A status this version cannot read must not be taken for a draft (and so be publishable):
/// reading the dataset and stepping it both fail, and nothing is changed or announced.
async fn a_corrupt_stored_status_is_an_error_never_a_draft(app: TestApp) {
    use kotapintar_domain::content::EditorialStep;
    use kotapintar_domain::opendata::{DatasetDraft, Frequency, Licence, Topic};
    use kotapintar_storage::audit::AuditActor;
    use kotapintar_storage::entity::dataset;
    use kotapintar_storage::{events, opendata, StorageError};
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};

    app.login_admin().await;
    app.create_unit("DISPERINDAG", "Dinas Perindustrian dan Perdagangan")
        .await;
    let admin = kotapintar_storage::users::list(&app.store, None)
        .await
        .unwrap()
        .into_iter()
        .next()
        .expect("the first admin");
    let unit = kotapintar_storage::units::find_by_code(&app.store.reader, "DISPERINDAG")
        .await
        .unwrap()
        .unwrap();
    let actor = AuditActor::System("test".into());
    let draft = DatasetDraft {
        unit_id: unit.id,
        name: None,
        title: "Menara telekomunikasi".into(),
        notes: "Lokasi menara.".into(),
        tags: vec![],
        topic: Topic::parse("ekonomi").unwrap(),
        licence: Licence::parse("cc-by").unwrap(),
        frequency: Frequency::parse("annual").unwrap(),
        temporal_start: None,
        temporal_end: None,
        spatial: String::new(),
        contact_name: String::new(),
        contact_email: String::new(),
    };
    let d = opendata::create(&app.store, &actor, admin.id.0, draft)
        .await
        .unwrap();
    let mut m: dataset::ActiveModel = dataset::Entity::find_by_id(d.id.0)
        .one(&app.store.writer)
        .await
        .unwrap()
        .unwrap()
        .into();
    m.status = Set("bogus".into());
    m.update(&app.store.writer).await.unwrap();
    let head = events::head(&app.store.reader).await.unwrap();

    let read = opendata::get(&app.store, d.id).await;
    assert!(
        matches!(&read, Err(StorageError::Corrupt { value, .. }) if value == "bogus"),
        "{read:?}"
    );
    let stepped = opendata::step(&app.store, &actor, d.id, EditorialStep::Publish).await;
    assert!(
        matches!(&stepped, Err(StorageError::Corrupt { .. })),
        "{stepped:?}"
    );
    let stored = dataset::Entity::find_by_id(d.id.0)
        .one(&app.store.reader)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, "bogus");
    assert_eq!(stored.published_at, None);
    assert_eq!(events::head(&app.store.reader).await.unwrap(), head);
}
