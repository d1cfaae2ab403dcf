//! Security: who may reach what (an authorisation matrix over every route of the router),
//! security headers on every kind of response, login throttling, sessions rotating on
//! login, and a crawl of every public response of a populated instance for personal data.

use crate::harness::{cookie_of, location, TestApp, ADMIN_PASSWORD};
use kotapintar::demo::DEMO_STAFF_PASSWORD;
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::entity;
use reqwest::{Method, StatusCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

both_backends!(
    authorisation_matrix,
    security_headers_on_every_kind_of_response,
    login_is_throttled_per_username_and_per_address,
    throttling_says_nothing_about_whether_an_account_exists,
    sessions_rotate_on_login_and_end_on_logout,
    cookies_are_secure_over_https,
    public_output_privacy_scan,
);

// ---------------------------------------------------------------------------------------
// The authorisation matrix

/// Who asks, in the order of the expectation columns below.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anon,
    Admin,
    /// `unit_admin` of unit A (DLHK), which handles the fixture's request, owns its
    /// programme, content, client and trainees.
    UnitAdmin,
    Officer,
    Editor,
    Verifier,
    Leader,
    /// `unit_admin` and `officer` of another unit (DISHUB).
    OtherUnitAdmin,
    OtherOfficer,
    /// An API client of unit A with every scope, and one with only `open311:write`. Both
    /// send their bearer token and no session cookie.
    Client,
    ClientNoScope,
}

const WHO: [Who; 11] = [
    Who::Anon,
    Who::Admin,
    Who::UnitAdmin,
    Who::Officer,
    Who::Editor,
    Who::Verifier,
    Who::Leader,
    Who::OtherUnitAdmin,
    Who::OtherOfficer,
    Who::Client,
    Who::ClientNoScope,
];

/// How a POST carries its (empty) form: every form gets the visitor's CSRF token, so a
/// refusal is about who asks, never about a missing token.
#[derive(Debug, Clone)]
enum Body {
    None,
    /// An empty form.
    Form,
    /// A form with these fields, where only a complete form reaches the permission check.
    Fields(Vec<(&'static str, String)>),
    Multipart,
    /// An empty JSON object.
    Json,
    /// A JSON body of the right shape, so that the scope, not the shape, decides.
    JsonValue(serde_json::Value),
}

struct Case {
    method: Method,
    /// The route as registered in the router, e.g. `/staf/unit/{id}`.
    route: &'static str,
    /// The address asked, with the route's parameters filled in from the fixture.
    path: String,
    body: Body,
    /// One status per `WHO` column.
    expect: [u16; 11],
}

/// Parses `"303 200 403 ..."` (one code per `WHO` column).
fn codes(s: &str) -> [u16; 11] {
    let v: Vec<u16> = s.split_whitespace().map(|c| c.parse().unwrap()).collect();
    v.try_into()
        .unwrap_or_else(|v: Vec<u16>| panic!("{} codes, want 11: {s}", v.len()))
}

/// The same answer for everybody (public pages).
fn all(code: u16) -> [u16; 11] {
    [code; 11]
}

/// Everything the routes' parameters need, from the demo data plus a few additions.
struct Fixture {
    unit_a: i64,
    unit_a_slug: String,
    officer_a_user: i64,
    service_a: i64,
    request_id: i64,
    code: String,
    token: String,
    /// A second request of the same reporter, for the steps that erase data.
    erase_code: String,
    erase_token: String,
    photo: i64,
    news_slug: String,
    agenda_slug: String,
    project_slug: String,
    content_a: i64,
    image: String,
    attachment: String,
    client_a: i64,
    /// A client for the rows that rotate and revoke.
    client_spare: i64,
    client_token: String,
    client_no_scope_token: String,
    programme_a: i64,
    indicator_a: i64,
    /// The evidence file's random stored name, its only address.
    evidence: String,
    dimension: i64,
    event: i64,
    registration_a: i64,
    /// Not registered for `event`: the registration row registers them.
    unregistered_a: i64,
    certificate: String,
    /// A draft dataset of unit A (with one live resource), and the demo's published CSV.
    dataset_a: i64,
    published_dataset: String,
    published_uuid: String,
    published_resource: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    kotapintar::demo::load(&app.store, &app.settings)
        .await
        .expect("demo data");
    let system = AuditActor::System("test".into());
    // the demo has no editor: one for unit A
    let editor = kotapintar_domain::user::UserInput {
        username: "editor.dlhk".into(),
        full_name: "Editor DLHK".into(),
        role: "editor".into(),
        unit_code: "DLHK".into(),
        password: DEMO_STAFF_PASSWORD.into(),
        active: Some("on".into()),
        ..Default::default()
    }
    .parse(true)
    .unwrap();
    kotapintar_storage::users::create(&app.store, &system, editor)
        .await
        .unwrap();
    let db = &app.store.reader;
    let unit_a = kotapintar_storage::units::find_by_code(db, "DLHK")
        .await
        .unwrap()
        .unwrap();
    let officer_a_user = entity::user::Entity::find()
        .filter(entity::user::Column::Username.eq("petugas.dlhk"))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let service_a = entity::service::Entity::find()
        .filter(entity::service::Column::Code.eq("sampah"))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .id;
    // a public request with a photo, dispatched to unit A; and one to erase
    let (visitor, _) = app.new_visitor();
    let file = |title: &'static str| {
        let visitor = visitor.clone();
        async move {
            visitor.get(app.url("/")).send().await.unwrap();
            let r = file_with(app, &visitor, &sample_request(title, &[]), true).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "filing {title}");
            TestApp::filed(&r)
        }
    };
    let (code, token) = file("Sampah menumpuk di depan banjar").await;
    let (erase_code, erase_token) = file("Sampah berserakan di pantai").await;
    let request_id = app.request_id(&code).await;
    let verifier = actor(app, "verifikator").await;
    let cal = kotapintar_storage::holidays::calendar(&app.store)
        .await
        .unwrap();
    kotapintar_storage::requests::act(
        &app.store,
        &app.settings.rules,
        &cal,
        &verifier,
        kotapintar_domain::ids::RequestId(request_id),
        kotapintar_storage::requests::StaffAction::Dispatch {
            units: vec![unit_a.id],
            note: None,
        },
    )
    .await
    .unwrap();
    let photo = entity::request_photo::Entity::find()
        .filter(entity::request_photo::Column::RequestId.eq(request_id))
        .one(db)
        .await
        .unwrap()
        .expect("the request's photo")
        .id;
    let items = entity::content_item::Entity::find()
        .order_by_asc(entity::content_item::Column::Id)
        .all(db)
        .await
        .unwrap();
    let published = |kind: &str| {
        items
            .iter()
            .find(|i| i.kind == kind && i.status == "published")
            .map(|i| i.slug.clone())
            .unwrap_or_else(|| panic!("the demo has a published {kind}"))
    };
    let content_a = items
        .iter()
        .find(|i| i.unit_id == unit_a.id.0)
        .expect("the demo has content of DLHK")
        .id;
    let image = items
        .iter()
        .find_map(|i| i.cover_photo.clone())
        .unwrap_or_else(|| "tidak-ada".into());
    let attachment = items
        .iter()
        .find_map(|i| {
            let v: serde_json::Value = serde_json::from_str(&i.attachments).ok()?;
            v.as_array()?
                .first()?
                .get("stored")
                .and_then(|s| s.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| "tidak-ada.pdf".into());
    let client = kotapintar_storage::clients::create(
        &app.store,
        &system,
        "Matriks",
        "DLHK",
        "requests:read requests:write content:write events:read open311:write",
        100_000,
    )
    .await
    .unwrap();
    let spare = kotapintar_storage::clients::create(
        &app.store,
        &system,
        "Cadangan",
        "DLHK",
        "events:read",
        100_000,
    )
    .await
    .unwrap();
    let no_scope = kotapintar_storage::clients::create(
        &app.store,
        &system,
        "Matriks terbatas",
        "DLHK",
        "open311:write",
        100_000,
    )
    .await
    .unwrap();
    let programme_a = entity::mp_programme::Entity::find()
        .filter(entity::mp_programme::Column::OwnerUnitId.eq(unit_a.id.0))
        .one(db)
        .await
        .unwrap()
        .expect("the demo has a programme of DLHK")
        .id;
    let indicator_a = entity::mp_indicator::Entity::find()
        .filter(entity::mp_indicator::Column::ProgrammeId.eq(programme_a))
        .one(db)
        .await
        .unwrap()
        .expect("with an indicator")
        .id;
    // evidence for the programme, uploaded as Kominfo does
    app.login_admin().await;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let r = crate::masterplan::add_update(
        app,
        programme_a,
        &[
            ("reported_on", today.as_str()),
            ("summary", "Pemilahan sampah di sumber dimulai di dua desa."),
            ("status", "running"),
        ],
        &[("berita-acara.pdf", crate::masterplan::small_pdf())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "evidence uploaded");
    let evidence = entity::mp_evidence::Entity::find()
        .filter(entity::mp_evidence::Column::StoredName.is_not_null())
        .one(db)
        .await
        .unwrap()
        .expect("the evidence file")
        .stored_name
        .unwrap();
    let dimension = entity::sc_dimension::Entity::find()
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let registration = entity::training_registration::Entity::find()
        .filter(entity::training_registration::Column::UserId.eq(officer_a_user))
        .filter(entity::training_registration::Column::CertificateCode.is_not_null())
        .one(db)
        .await
        .unwrap()
        .expect("the demo trained DLHK's officer, who has a certificate");
    let unregistered_a = entity::user::Entity::find()
        .filter(entity::user::Column::Username.eq("editor.dlhk"))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .id;
    // open data: a draft of unit A, and the demo's published CSV dataset
    let draft = kotapintar_domain::opendata::DatasetInput {
        title: "Timbulan sampah per desa".into(),
        notes: "Ton per bulan.".into(),
        topic: "lingkungan".into(),
        licence: "cc-by".into(),
        frequency: "monthly".into(),
        contact_name: "Bidang Persampahan".into(),
        contact_email: "data@dlhk.example.go.id".into(),
        ..Default::default()
    }
    .parse(unit_a.id)
    .unwrap();
    let dataset_a = kotapintar_storage::opendata::create(&app.store, &system, 0, draft)
        .await
        .unwrap()
        .id;
    kotapintar_storage::opendata::add_resource(
        &app.store,
        &system,
        dataset_a,
        kotapintar_storage::opendata::NewResource {
            name: "Perangkat daerah".into(),
            description: String::new(),
            format: kotapintar_domain::opendata::ResourceFormat::Csv,
            source: kotapintar_storage::opendata::Source::Live(
                kotapintar_domain::opendata::LiveSource::Units,
            ),
            file_name: "units.csv".into(),
            columns: Vec::new(),
            row_count: 0,
        },
    )
    .await
    .unwrap();
    let open_csv = kotapintar_storage::opendata::published(&app.store)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.name.as_str() == "pasar-tradisional-per-kecamatan")
        .expect("the demo publishes an uploaded CSV");
    Fixture {
        unit_a: unit_a.id.0,
        unit_a_slug: unit_a.slug.clone(),
        officer_a_user,
        service_a,
        request_id,
        code,
        token,
        erase_code,
        erase_token,
        photo,
        news_slug: published("berita"),
        agenda_slug: published("agenda"),
        project_slug: published("proyek"),
        content_a,
        image,
        attachment,
        client_a: client.client.id,
        client_spare: spare.client.id,
        client_token: client.token,
        client_no_scope_token: no_scope.token,
        programme_a,
        indicator_a,
        evidence,
        dimension,
        event: registration.event_id,
        registration_a: registration.id,
        unregistered_a,
        certificate: registration.certificate_code.unwrap(),
        dataset_a: dataset_a.0,
        published_dataset: open_csv.name.to_string(),
        published_uuid: open_csv.uuid.clone(),
        published_resource: open_csv.resources[0].uuid.clone(),
    }
}

async fn actor(app: &TestApp, username: &str) -> kotapintar_domain::policy::Actor {
    let name = kotapintar_domain::user::Username::parse(username).unwrap();
    let all = kotapintar_storage::users::list(&app.store, None)
        .await
        .unwrap();
    let u = all.into_iter().find(|u| u.username == name).unwrap();
    kotapintar_domain::policy::Actor {
        user_id: u.id,
        username: u.username,
        full_name: u.full_name,
        roles: u.roles,
    }
}

/// The table: every route of the router, with what each kind of visitor gets. Adding a route
/// to the router without a row here fails `authorisation_matrix`.
///
/// The columns: anon, admin, unit admin A, officer A, editor A, verifier, leader, unit admin
/// B, officer B, API client (all scopes), API client (no fitting scope). 303 is the
/// redirect to the login page; the API answers 401 to anything without a bearer token.
// one row per line, so the table reads as a table and a new route is one new line
#[rustfmt::skip]
fn table(f: &Fixture) -> Vec<Case> {
    use Body::*;
    let get = |route: &'static str, path: String, expect: [u16; 11]| Case {
        method: Method::GET,
        route,
        path,
        body: None,
        expect,
    };
    let post = |route: &'static str, path: String, body: Body, expect: [u16; 11]| Case {
        method: Method::POST,
        route,
        path,
        body,
        expect,
    };
    // a route that answers every method the same way (`any`)
    let with = |method: Method, route: &'static str, path: &str, expect: [u16; 11]| Case {
        method,
        route,
        path: path.into(),
        body: None,
        expect,
    };
    let (unit, user, svc) = (f.unit_a, f.officer_a_user, f.service_a);
    let (req, code, token) = (f.request_id, &f.code, &f.token);
    let (item, prog, ind) = (f.content_a, f.programme_a, f.indicator_a);
    let (event, reg, client, spare) = (f.event, f.registration_a, f.client_a, f.client_spare);
    // an internal comment: a step the request's handlers and the desk may take, nobody else
    let comment = |ids: Option<i64>| {
        let mut v = vec![("action", "comment".to_string()), ("note", "dicek".to_string())];
        v.extend(ids.map(|id| ("ids", id.to_string())));
        Fields(v)
    };
    let evaluation = Fields(
        ["content", "trainer", "usefulness"]
            .into_iter()
            .map(|k| (k, "5".to_string()))
            .chain([("comment", String::new())])
            .collect(),
    );
    let slug = &f.unit_a_slug;
    let follow = format!("/laporan/{code}/ikuti/{token}");
    let erase = format!("/laporan/{}/ikuti/{}", f.erase_code, f.erase_token);
    // pages only the signed-in may see, and the login redirect for everyone else
    let page = |s: &str| codes(&format!("303 {s} 303 303"));
    vec![
        // --- public pages
        get("/", "/".into(), all(200)),
        get("/bahasa/{lang}", "/bahasa/en".into(), all(303)),
        get("/healthz", "/healthz".into(), all(200)),
        get("/readyz", "/readyz".into(), all(200)),
        get("/login", "/login".into(), codes("200 303 303 303 303 303 303 303 303 200 200")),
        post("/login", "/login".into(), Form, all(422)),
        // logging out is taken last, below: it ends the session
        get("/lapor", "/lapor".into(), all(200)),
        post("/lapor", "/lapor".into(), Multipart, all(422)),
        get("/laporan", "/laporan".into(), all(200)),
        get("/laporan/{code}", format!("/laporan/{code}"), all(200)),
        post("/laporan/{code}/dukung", format!("/laporan/{code}/dukung"), Form, all(303)),
        get("/laporan/{code}/ikuti/{token}", follow.clone(), all(200)),
        post("/laporan/{code}/ikuti/{token}/konfirmasi", format!("{follow}/konfirmasi"), Form, all(409)),
        post("/laporan/{code}/ikuti/{token}/buka-kembali", format!("{follow}/buka-kembali"), Form, all(422)),
        post("/laporan/{code}/ikuti/{token}/survei", format!("{follow}/survei"), Form, all(422)),
        post("/laporan/{code}/ikuti/{token}/data", format!("{follow}/data"), Form, all(303)),
        post("/laporan/{code}/ikuti/{token}/hapus-data", format!("{erase}/hapus-data"), Form, all(303)),
        // the reporter's answer on the thread: an empty message is named
        post("/laporan/{code}/ikuti/{token}/balas", format!("{follow}/balas"), Form, all(422)),
        get("/foto/{name}", format!("/foto/{}", f.photo), all(200)),
        // area alerts: anyone subscribes (an empty form is named); a subscription opens only
        // with its link's secret, for staff as for anyone
        get("/langganan", "/langganan".into(), all(200)),
        post("/langganan", "/langganan".into(), Form, all(422)),
        get("/langganan/{token}", format!("/langganan/{}", "ab".repeat(32)), all(404)),
        post("/langganan/{token}/konfirmasi", format!("/langganan/{}/konfirmasi", "ab".repeat(32)), Form, all(404)),
        post("/langganan/{token}/berhenti", format!("/langganan/{}/berhenti", "ab".repeat(32)), Form, all(404)),
        get("/wilayah/{code}/laporan.atom", "/wilayah/51.03.01/laporan.atom".into(), all(200)),
        get("/kinerja", "/kinerja".into(), all(200)),
        get("/kinerja/{slug}", format!("/kinerja/{slug}"), all(200)),
        get("/layanan", "/layanan".into(), all(200)),
        get("/berita", "/berita".into(), all(200)),
        get("/berita.atom", "/berita.atom".into(), all(200)),
        get("/berita/{slug}", format!("/berita/{}", f.news_slug), all(200)),
        get("/agenda", "/agenda".into(), all(200)),
        get("/agenda.atom", "/agenda.atom".into(), all(200)),
        get("/agenda.ics", "/agenda.ics".into(), all(200)),
        get("/agenda/{slug}", format!("/agenda/{}", f.agenda_slug), all(200)),
        get("/proyek", "/proyek".into(), all(200)),
        get("/proyek.atom", "/proyek.atom".into(), all(200)),
        get("/proyek/{slug}", format!("/proyek/{}", f.project_slug), all(200)),
        get("/unit/{slug}", format!("/unit/{slug}"), all(200)),
        get("/unit/{slug}/{file}", format!("/unit/{slug}/berita.atom"), all(200)),
        get("/cari", "/cari?q=sampah".into(), all(200)),
        get("/sitemap.xml", "/sitemap.xml".into(), all(200)),
        // content images and attachments have random names; the demo has none, and an
        // unknown name is 404 for everybody (portal.rs serves real ones)
        get("/gambar/{name}", format!("/gambar/{}", f.image), all(404)),
        get("/lampiran/{name}", format!("/lampiran/{}", f.attachment), all(404)),
        get("/masterplan", "/masterplan".into(), all(200)),
        get("/masterplan/program/{id}", format!("/masterplan/program/{prog}"), all(200)),
        get("/masterplan/bukti/{key}", format!("/masterplan/bukti/{}", f.evidence), all(200)),
        get("/masterplan/laporan", "/masterplan/laporan".into(), all(200)),
        get("/masterplan/laporan.pdf", "/masterplan/laporan.pdf".into(), all(200)),
        get("/masterplan/laporan.xlsx", "/masterplan/laporan.xlsx".into(), all(200)),
        get("/sertifikat", "/sertifikat".into(), all(200)),
        get("/sertifikat/{code}", format!("/sertifikat/{}", f.certificate), all(200)),
        get("/sertifikat/{code}/pdf", format!("/sertifikat/{}/pdf", f.certificate), all(200)),
        // --- open data: the catalogue, CKAN API, DataStore, DCAT (public, read-only)
        get("/data", "/data".into(), all(200)),
        get("/data/{name}", format!("/data/{}", f.published_dataset), all(200)),
        get("/dataset/{id}/resource/{rid}/download", format!("/dataset/{}/resource/{}/download", f.published_uuid, f.published_resource), all(200)),
        get("/dataset/{id}/resource/{rid}/download/{file}", format!("/dataset/{}/resource/{}/download/x.csv", f.published_uuid, f.published_resource), all(200)),
        get("/datastore/dump/{rid}", format!("/datastore/dump/{}", f.published_resource), all(200)),
        get("/api/3", "/api/3".into(), all(200)),
        get("/api/3/action/{name}", "/api/3/action/package_list".into(), all(200)),
        post("/api/3/action/{name}", "/api/3/action/package_list".into(), Json, all(200)),
        get("/api/action/{name}", "/api/action/package_list".into(), all(200)),
        post("/api/action/{name}", "/api/action/package_list".into(), Json, all(200)),
        // chat providers' webhooks: off (404 for everyone) until a provider is configured
        post("/channels/telegram", "/channels/telegram".into(), Json, all(404)),
        get("/channels/whatsapp", "/channels/whatsapp".into(), all(404)),
        post("/channels/whatsapp", "/channels/whatsapp".into(), Json, all(404)),
        post("/channels/sms", "/channels/sms".into(), Json, all(404)),
        get("/data.json", "/data.json".into(), all(200)),
        // DCAT IRIs by content negotiation: no Accept (a browser) is sent to the portal page
        get("/dcat/catalog", "/dcat/catalog".into(), all(303)),
        get("/dataset/{id}/resource/{rid}", format!("/dataset/{}/resource/{}", f.published_uuid, f.published_resource), all(303)),
        get("/dcat/catalog.ttl", "/dcat/catalog.ttl".into(), all(200)),
        get("/dcat/catalog.jsonld", "/dcat/catalog.jsonld".into(), all(200)),
        get("/catalog.ttl", "/catalog.ttl".into(), all(200)),
        get("/catalog.jsonld", "/catalog.jsonld".into(), all(200)),
        get("/dataset/{file}", format!("/dataset/{}.ttl", f.published_uuid), all(200)),
        // --- assets
        get("/assets/app.css", "/assets/app.css".into(), all(200)),
        get("/assets/app.js", "/assets/app.js".into(), all(200)),
        get("/assets/checkin.js", "/assets/checkin.js".into(), all(200)),
        get("/assets/icon.svg", "/assets/icon.svg".into(), all(200)),
        get("/favicon.ico", "/favicon.ico".into(), all(200)),
        get("/assets/map.js", "/assets/map.js".into(), all(200)),
        get("/assets/offline.js", "/assets/offline.js".into(), all(200)),
        get("/assets/leaflet.js", "/assets/leaflet.js".into(), all(200)),
        get("/assets/leaflet.css", "/assets/leaflet.css".into(), all(200)),
        get("/assets/icon-192.png", "/assets/icon-192.png".into(), all(200)),
        get("/assets/icon-512.png", "/assets/icon-512.png".into(), all(200)),
        get("/manifest.webmanifest", "/manifest.webmanifest".into(), all(200)),
        get("/sw.js", "/sw.js".into(), all(200)),
        // --- the staff area
        //                                    adm uad off edi ver lea oad oof
        get("/staf", "/staf".into(), page("200 200 200 200 200 200 200 200")),
        get("/staf/audit", "/staf/audit".into(), page("200 403 403 403 403 200 403 403")),
        get("/staf/unit", "/staf/unit".into(), page("200 200 200 200 200 200 200 200")),
        get("/staf/unit/baru", "/staf/unit/baru".into(), page("200 403 403 403 403 403 403 403")),
        post("/staf/unit/baru", "/staf/unit/baru".into(), Form, page("422 403 403 403 403 403 403 403")),
        get("/staf/unit/{id}", format!("/staf/unit/{unit}"), page("200 403 403 403 403 403 403 403")),
        post("/staf/unit/{id}", format!("/staf/unit/{unit}"), Form, page("422 403 403 403 403 403 403 403")),
        get("/staf/pengguna", "/staf/pengguna".into(), page("200 200 403 403 403 403 200 403")),
        get("/staf/pengguna/baru", "/staf/pengguna/baru".into(), page("200 200 403 403 403 403 200 403")),
        post("/staf/pengguna/baru", "/staf/pengguna/baru".into(), Form, page("422 422 403 403 403 403 422 403")),
        get("/staf/pengguna/{id}", format!("/staf/pengguna/{user}"), page("200 200 403 403 403 403 403 403")),
        post("/staf/pengguna/{id}", format!("/staf/pengguna/{user}"), Form, page("422 422 403 403 403 403 403 403")),
        get("/staf/laporan", "/staf/laporan".into(), page("200 200 200 200 200 200 200 200")),
        get("/staf/laporan.csv", "/staf/laporan.csv".into(), page("200 200 200 200 200 200 200 200")),
        // the bulk form always returns to the inbox; each request is checked on its own
        // (`act_many`, the same rule as the row after next)
        post("/staf/laporan/massal", "/staf/laporan/massal".into(), comment(Some(req)), page("303 303 303 303 303 303 303 303")),
        get("/staf/laporan/{id}", format!("/staf/laporan/{req}"), page("200 200 200 403 200 200 403 403")),
        post("/staf/laporan/{id}/aksi", format!("/staf/laporan/{req}/aksi"), comment(Option::None), page("303 303 303 403 303 403 403 403")),
        // resolving with photos (desk, issue 24): no response sent, so those who may resolve are told so
        post("/staf/laporan/{id}/selesai", format!("/staf/laporan/{req}/selesai"), Multipart, page("422 422 422 403 403 403 403 403")),
        // writing to the reporter: the desk and the handling unit (this reporter left no
        // contact: 422 names it); the thread's photos: staff who see the request (none here)
        // photos of the result (validated closure): the handling unit; this empty form names
        // the missing photo (422)
        post("/staf/laporan/{id}/foto-hasil", format!("/staf/laporan/{req}/foto-hasil"), Multipart, page("422 422 422 403 403 403 403 403")),
        post("/staf/laporan/{id}/balas", format!("/staf/laporan/{req}/balas"), Fields(vec![("message", "Mohon info tambahan".into())]), page("422 422 422 403 422 403 403 403")),
        // merged cases: the desk and the handling unit; this empty form names the missing
        // code (422), and the request is merged into nothing (409)
        post("/staf/laporan/{id}/gabung", format!("/staf/laporan/{req}/gabung"), Form, page("422 422 422 403 422 403 403 403")),
        post("/staf/laporan/{id}/pisahkan", format!("/staf/laporan/{req}/pisahkan"), Form, page("409 409 409 403 409 403 403 403")),
        get("/staf/laporan/{id}/utas/foto/{name}", format!("/staf/laporan/{req}/utas/foto/999999"), page("404 404 404 404 404 404 404 404")),
        get("/staf/pimpinan", "/staf/pimpinan".into(), page("200 403 403 403 403 200 403 403")),
        get("/staf/pimpinan/ringkasan", "/staf/pimpinan/ringkasan".into(), page("200 403 403 403 403 200 403 403")),
        get("/staf/rute", "/staf/rute".into(), page("200 403 403 403 200 200 403 403")),
        post("/staf/rute/latih", "/staf/rute/latih".into(), Form, page("303 403 403 403 403 403 403 403")),
        get("/staf/rute/aturan", "/staf/rute/aturan".into(), page("200 403 403 403 200 200 403 403")),
        post("/staf/rute/aturan", "/staf/rute/aturan".into(), Form, page("422 403 403 403 403 403 403 403")),
        get("/staf/rute/aturan/{id}", "/staf/rute/aturan/999999".into(), page("404 403 403 403 403 403 403 403")),
        post("/staf/rute/aturan/{id}", "/staf/rute/aturan/999999".into(), Form, page("404 403 403 403 403 403 403 403")),
        get("/staf/instansi-luar", "/staf/instansi-luar".into(), page("200 403 403 403 403 403 403 403")),
        post("/staf/instansi-luar", "/staf/instansi-luar".into(), Form, page("422 403 403 403 403 403 403 403")),
        get("/staf/instansi-luar/{id}", "/staf/instansi-luar/999999".into(), page("404 403 403 403 403 403 403 403")),
        post("/staf/instansi-luar/{id}", "/staf/instansi-luar/999999".into(), Form, page("404 403 403 403 403 403 403 403")),
        get("/staf/konten", "/staf/konten".into(), page("200 200 403 200 403 403 200 403")),
        get("/staf/konten/baru", "/staf/konten/baru".into(), page("200 200 403 200 403 403 200 403")),
        post("/staf/konten/baru", "/staf/konten/baru".into(), Multipart, page("422 422 403 422 403 403 422 403")),
        get("/staf/konten/{id}", format!("/staf/konten/{item}"), page("200 200 403 200 403 403 403 403")),
        post("/staf/konten/{id}", format!("/staf/konten/{item}"), Multipart, page("422 422 403 422 403 403 403 403")),
        post("/staf/konten/{id}/langkah", format!("/staf/konten/{item}/langkah"), Fields(vec![("step", "submit".into())]), page("409 409 403 409 403 403 403 403")),
        post("/staf/konten/{id}/kemajuan", format!("/staf/konten/{item}/kemajuan"), Multipart, page("422 422 403 422 403 403 403 403")),
        get("/staf/layanan", "/staf/layanan".into(), page("200 200 403 403 403 403 200 403")),
        get("/staf/layanan/baru", "/staf/layanan/baru".into(), page("200 200 403 403 403 403 200 403")),
        post("/staf/layanan/baru", "/staf/layanan/baru".into(), Form, page("422 422 403 403 403 403 422 403")),
        get("/staf/layanan/{id}", format!("/staf/layanan/{svc}"), page("200 200 403 403 403 403 403 403")),
        post("/staf/layanan/{id}", format!("/staf/layanan/{svc}"), Form, page("422 422 403 403 403 403 403 403")),
        // validated closure per service: Kominfo only (an empty form turns both off)
        post("/staf/layanan/{id}/penutupan", format!("/staf/layanan/{svc}/penutupan"), Form, page("303 403 403 403 403 403 403 403")),
        get("/staf/libur", "/staf/libur".into(), page("200 403 403 403 403 403 403 403")),
        post("/staf/libur", "/staf/libur".into(), Form, page("422 403 403 403 403 403 403 403")),
        post("/staf/libur/hapus", "/staf/libur/hapus".into(), Fields(vec![("date", "2099-01-01".into())]), page("303 403 403 403 403 403 403 403")),
        get("/staf/ikm", "/staf/ikm".into(), page("200 200 403 403 200 200 200 403")),
        get("/staf/templat", "/staf/templat".into(), page("200 200 403 403 403 403 200 403")),
        post("/staf/templat", "/staf/templat".into(), Form, page("422 422 403 403 403 403 422 403")),
        get("/staf/klien", "/staf/klien".into(), page("200 403 403 403 403 403 403 403")),
        post("/staf/klien", "/staf/klien".into(), Form, page("422 403 403 403 403 403 403 403")),
        post("/staf/klien/rotasi", "/staf/klien/rotasi".into(), Fields(vec![("id", spare.to_string())]), page("200 403 403 403 403 403 403 403")),
        post("/staf/klien/cabut", "/staf/klien/cabut".into(), Fields(vec![("id", spare.to_string())]), page("303 403 403 403 403 403 403 403")),
        get("/staf/klien/{id}", format!("/staf/klien/{client}"), page("200 403 403 403 403 403 403 403")),
        post("/staf/klien/{id}/webhook", format!("/staf/klien/{client}/webhook"), Form, page("422 403 403 403 403 403 403 403")),
        post("/staf/klien/{id}/ulang", format!("/staf/klien/{client}/ulang"), Fields(vec![("delivery", "999999".into())]), page("404 403 403 403 403 403 403 403")),
        get("/staf/aplikasi", "/staf/aplikasi".into(), page("200 403 403 403 403 200 403 403")),
        post("/staf/aplikasi", "/staf/aplikasi".into(), Form, page("422 403 403 403 403 403 403 403")),
        get("/staf/masterplan", "/staf/masterplan".into(), page("200 200 200 200 200 200 200 200")),
        get("/staf/masterplan/program/baru", "/staf/masterplan/program/baru".into(), page("200 403 403 403 403 403 403 403")),
        post("/staf/masterplan/program/baru", "/staf/masterplan/program/baru".into(), Form, page("422 403 403 403 403 403 403 403")),
        get("/staf/masterplan/program/{id}", format!("/staf/masterplan/program/{prog}"), page("200 200 200 200 200 200 200 200")),
        get("/staf/masterplan/program/{id}/ubah", format!("/staf/masterplan/program/{prog}/ubah"), page("200 403 403 403 403 403 403 403")),
        post("/staf/masterplan/program/{id}/ubah", format!("/staf/masterplan/program/{prog}/ubah"), Form, page("422 403 403 403 403 403 403 403")),
        post("/staf/masterplan/program/{id}/indikator", format!("/staf/masterplan/program/{prog}/indikator"), Form, page("422 403 403 403 403 403 403 403")),
        post("/staf/masterplan/program/{id}/kemajuan", format!("/staf/masterplan/program/{prog}/kemajuan"), Multipart, page("422 422 422 403 403 403 403 403")),
        post("/staf/masterplan/indikator/{id}/nilai", format!("/staf/masterplan/indikator/{ind}/nilai"), Form, page("422 422 422 403 403 403 403 403")),
        get("/staf/masterplan/dimensi", "/staf/masterplan/dimensi".into(), page("200 403 403 403 403 403 403 403")),
        post("/staf/masterplan/dimensi", "/staf/masterplan/dimensi".into(), Form, page("422 403 403 403 403 403 403 403")),
        post("/staf/masterplan/dimensi/{kind}/{id}", format!("/staf/masterplan/dimensi/dimensi/{}", f.dimension), Form, page("422 403 403 403 403 403 403 403")),
        // the readiness history is public on /masterplan anyway
        get("/staf/masterplan/kesiapan", "/staf/masterplan/kesiapan".into(), page("200 200 200 200 200 200 200 200")),
        post("/staf/masterplan/kesiapan", "/staf/masterplan/kesiapan".into(), Form, page("422 403 403 403 403 403 403 403")),
        get("/staf/bimtek", "/staf/bimtek".into(), page("200 200 200 200 200 200 200 200")),
        // --- open data: producers (a unit's editors and admins) and the walidata (Kominfo)
        //                                    adm uad off edi ver lea oad oof
        get("/staf/data", "/staf/data".into(), page("200 200 403 200 403 403 200 403")),
        get("/staf/data/baru", "/staf/data/baru".into(), page("200 200 403 200 403 403 200 403")),
        post("/staf/data/baru", "/staf/data/baru".into(), Form, page("422 422 403 422 403 403 422 403")),
        get("/staf/data/{id}", format!("/staf/data/{}", f.dataset_a), page("200 200 403 200 403 403 403 403")),
        post("/staf/data/{id}", format!("/staf/data/{}", f.dataset_a), Form, page("422 422 403 422 403 403 403 403")),
        // only the walidata may withdraw; a draft cannot be withdrawn (409)
        post("/staf/data/{id}/langkah", format!("/staf/data/{}/langkah", f.dataset_a), Fields(vec![("step", "unpublish".into())]), page("409 403 403 403 403 403 403 403")),
        post("/staf/data/{id}/sumber", format!("/staf/data/{}/sumber", f.dataset_a), Multipart, page("422 422 403 422 403 403 403 403")),
        post("/staf/data/{id}/sumber/{rid}/hapus", format!("/staf/data/{}/sumber/999999/hapus", f.dataset_a), Form, page("404 404 403 404 403 403 403 403")),
        get("/staf/bimtek/baru", "/staf/bimtek/baru".into(), page("200 403 403 403 403 403 403 403")),
        post("/staf/bimtek/baru", "/staf/bimtek/baru".into(), Form, page("422 403 403 403 403 403 403 403")),
        get("/staf/bimtek/rekap", "/staf/bimtek/rekap".into(), page("200 200 403 403 403 200 200 403")),
        get("/staf/bimtek/{id}", format!("/staf/bimtek/{event}"), page("200 200 200 200 200 200 200 200")),
        get("/staf/bimtek/{id}/ubah", format!("/staf/bimtek/{event}/ubah"), page("200 403 403 403 403 403 403 403")),
        post("/staf/bimtek/{id}/ubah", format!("/staf/bimtek/{event}/ubah"), Form, page("422 403 403 403 403 403 403 403")),
        post("/staf/bimtek/{id}/undang", format!("/staf/bimtek/{event}/undang"), Form, page("422 403 403 403 403 403 403 403")),
        // Kominfo registers first; the unit admin then finds the seat taken
        post("/staf/bimtek/{id}/daftar", format!("/staf/bimtek/{event}/daftar"), Fields(vec![("participant", format!("{}:{unit}", f.unregistered_a))]), page("303 422 403 403 403 403 403 403")),
        post("/staf/bimtek/{id}/materi", format!("/staf/bimtek/{event}/materi"), Form, page("422 403 403 403 403 403 403 403")),
        get("/staf/bimtek/{id}/hadir", format!("/staf/bimtek/{event}/hadir"), page("200 403 403 403 403 403 403 403")),
        post("/staf/bimtek/{id}/hadir", format!("/staf/bimtek/{event}/hadir"), Form, page("422 403 403 403 403 403 403 403")),
        // only the participant evaluates; for anyone else the registration does not exist
        post("/staf/bimtek/pendaftaran/{id}/evaluasi", format!("/staf/bimtek/pendaftaran/{reg}/evaluasi"), evaluation, page("404 404 303 404 404 404 404 404")),
        // --- the API: bearer tokens only; a session cookie counts for nothing here
        //                                                         anon adm uad off edi ver lea oad oof cli cln
        get("/api/v1/openapi.json", "/api/v1/openapi.json".into(), all(200)),
        get("/api/v1/docs", "/api/v1/docs".into(), all(200)),
        get("/api/v1/events", "/api/v1/events".into(), codes("401 401 401 401 401 401 401 401 401 200 403")),
        get("/api/v1/units", "/api/v1/units".into(), codes("401 401 401 401 401 401 401 401 401 200 200")),
        get("/api/v1/regions", "/api/v1/regions".into(), codes("401 401 401 401 401 401 401 401 401 200 200")),
        get("/api/v1/services", "/api/v1/services".into(), codes("401 401 401 401 401 401 401 401 401 200 200")),
        get("/api/v1/requests", "/api/v1/requests".into(), codes("401 401 401 401 401 401 401 401 401 200 403")),
        post("/api/v1/requests", "/api/v1/requests".into(), Json, codes("401 401 401 401 401 401 401 401 401 422 403")),
        get("/api/v1/requests/{code}", format!("/api/v1/requests/{code}"), codes("401 401 401 401 401 401 401 401 401 200 403")),
        post("/api/v1/requests/{code}/photos", format!("/api/v1/requests/{code}/photos"), Multipart, codes("401 401 401 401 401 401 401 401 401 422 403")),
        post("/api/v1/requests/{code}/steps", format!("/api/v1/requests/{code}/steps"), JsonValue(serde_json::json!({"action": "comment", "note": "dicek"})), codes("401 401 401 401 401 401 401 401 401 200 403")),
        get("/api/v1/webhooks", "/api/v1/webhooks".into(), codes("401 401 401 401 401 401 401 401 401 200 403")),
        post("/api/v1/webhooks", "/api/v1/webhooks".into(), JsonValue(serde_json::json!({"url": "https://simjalan.badungkab.go.id/kait"})), codes("401 401 401 401 401 401 401 401 401 201 403")),
        Case {
            method: Method::DELETE,
            route: "/api/v1/webhooks/{id}",
            path: "/api/v1/webhooks/999999".into(),
            body: None,
            expect: codes("401 401 401 401 401 401 401 401 401 404 403"),
        },
        get("/api/v1/content", "/api/v1/content".into(), codes("401 401 401 401 401 401 401 401 401 200 403")),
        post("/api/v1/content", "/api/v1/content".into(), Json, codes("401 401 401 401 401 401 401 401 401 422 403")),
        post("/api/v1/content/{id}/progress", format!("/api/v1/content/{item}/progress"), JsonValue(serde_json::json!({"reported_on": "2020-01-01", "physical_pct": 0.0, "budget_pct": 0.0})), codes("401 401 401 401 401 401 401 401 401 422 403")),
        get("/api/v1/problems", "/api/v1/problems".into(), all(200)),
        get("/api/v1/problems/{name}", "/api/v1/problems/not-found".into(), all(200)),
        // any other path under /api/v1: a problem+json 404 for every method
        with(Method::GET, "/api/v1", "/api/v1", all(404)),
        with(Method::POST, "/api/v1", "/api/v1", all(404)),
        with(Method::PUT, "/api/v1", "/api/v1", all(404)),
        with(Method::PATCH, "/api/v1", "/api/v1", all(404)),
        with(Method::DELETE, "/api/v1", "/api/v1", all(404)),
        with(Method::GET, "/api/v1/", "/api/v1/", all(404)),
        with(Method::POST, "/api/v1/", "/api/v1/", all(404)),
        with(Method::PUT, "/api/v1/", "/api/v1/", all(404)),
        with(Method::PATCH, "/api/v1/", "/api/v1/", all(404)),
        with(Method::DELETE, "/api/v1/", "/api/v1/", all(404)),
        with(Method::GET, "/api/v1/{*rest}", "/api/v1/tidak-ada", all(404)),
        with(Method::POST, "/api/v1/{*rest}", "/api/v1/tidak-ada", all(404)),
        with(Method::PUT, "/api/v1/{*rest}", "/api/v1/tidak-ada", all(404)),
        with(Method::PATCH, "/api/v1/{*rest}", "/api/v1/tidak-ada", all(404)),
        with(Method::DELETE, "/api/v1/{*rest}", "/api/v1/tidak-ada", all(404)),
        // --- Open311: reading is public, filing needs an api_key (not sent here)
        get("/open311/v2/{file}", "/open311/v2/services.json".into(), all(200)),
        post("/open311/v2/{file}", "/open311/v2/requests.json".into(), Form, all(403)),
        get("/open311/v2/services/{file}", "/open311/v2/services/sampah.json".into(), all(200)),
        get("/open311/v2/requests/{file}", format!("/open311/v2/requests/{code}.json"), all(200)),
        get("/open311/v2/tokens/{file}", "/open311/v2/tokens/x.json".into(), all(404)),
        // --- last: logging out ends each session
        post("/logout", "/logout".into(), Form, page("303 303 303 303 303 303 303 303")),
    ]
}

/// Every path the running router serves, read from the router itself (axum prints its
/// routes in its `Debug` output), so a route added anywhere, in any module, is seen.
async fn registered_routes(app: &TestApp) -> BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    let search = std::sync::Arc::new(kotapintar_search::SearchIndex::open(dir.path()).unwrap());
    let config = kotapintar_web::WebConfig {
        secure_cookies: false,
        session_ttl: chrono::Duration::hours(1),
        regency: app.settings.regency.clone(),
        rules: app.settings.rules.clone(),
        uploads: dir.path().join("uploads"),
        map_tile_url: None,
        trusted_proxies: vec![],
        webhook_allow_private: false,
    };
    let router = kotapintar_web::router(kotapintar_web::AppState::new(
        app.store.clone(),
        config,
        search,
    ));
    let debug = format!("{router:?}");
    let mut paths = BTreeSet::new();
    for piece in debug.split("RouteId(").skip(1) {
        // `RouteId(12): "/staf/unit/{id}"` in the path table; endpoints print differently
        let Some(rest) = piece.split_once("): \"").map(|(_, r)| r) else {
            continue;
        };
        let Some((path, _)) = rest.split_once('"') else {
            continue;
        };
        if path.starts_with('/') && !path.contains("__private__axum") {
            paths.insert(path.to_string());
        }
    }
    assert!(
        paths.len() > 100 && paths.contains("/") && paths.contains("/staf/unit/{id}"),
        "could not read the routes from the router's Debug output (did axum change it?): {paths:?}"
    );
    paths
}

/// A client per column: signed in as its person, or carrying its bearer token, and every
/// one holding a CSRF cookie.
async fn clients(app: &TestApp) -> Vec<(reqwest::Client, std::sync::Arc<reqwest::cookie::Jar>)> {
    let mut out = Vec::new();
    for who in WHO {
        let (c, jar) = app.new_visitor();
        c.get(app.url("/")).send().await.unwrap();
        let login = match who {
            Who::Admin => Some(("admin", ADMIN_PASSWORD)),
            Who::UnitAdmin => Some(("admin.dlhk", DEMO_STAFF_PASSWORD)),
            Who::Officer => Some(("petugas.dlhk", DEMO_STAFF_PASSWORD)),
            Who::Editor => Some(("editor.dlhk", DEMO_STAFF_PASSWORD)),
            Who::Verifier => Some(("verifikator", DEMO_STAFF_PASSWORD)),
            Who::Leader => Some(("bupati", DEMO_STAFF_PASSWORD)),
            Who::OtherUnitAdmin => Some(("admin.dishub", DEMO_STAFF_PASSWORD)),
            Who::OtherOfficer => Some(("petugas.dishub", DEMO_STAFF_PASSWORD)),
            Who::Anon | Who::Client | Who::ClientNoScope => None,
        };
        if let Some((username, password)) = login {
            let csrf = cookie_of(&jar, &app.base, "kp_csrf").unwrap();
            let r = c
                .post(app.url("/login"))
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("username", username),
                    ("password", password),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status(),
                StatusCode::SEE_OTHER,
                "{who:?} logs in as {username}"
            );
        }
        out.push((c, jar));
    }
    out
}

async fn ask(
    app: &TestApp,
    f: &Fixture,
    who: Who,
    client: &reqwest::Client,
    jar: &reqwest::cookie::Jar,
    case: &Case,
) -> reqwest::Response {
    let csrf = cookie_of(jar, &app.base, "kp_csrf").unwrap_or_default();
    let mut req = client.request(case.method.clone(), app.url(&case.path));
    match who {
        Who::Client => req = req.bearer_auth(&f.client_token),
        Who::ClientNoScope => req = req.bearer_auth(&f.client_no_scope_token),
        _ => {}
    }
    req = match &case.body {
        Body::None => req,
        Body::Form => req.form(&[("_csrf", csrf.as_str())]),
        Body::Fields(fields) => {
            let mut all = vec![("_csrf", csrf.clone())];
            all.extend(fields.iter().cloned());
            req.form(&all)
        }
        Body::Multipart => req.multipart(reqwest::multipart::Form::new().text("_csrf", csrf)),
        Body::Json => req.json(&serde_json::json!({})),
        Body::JsonValue(v) => req.json(v),
    };
    req.send().await.unwrap()
}

async fn authorisation_matrix(app: TestApp) {
    let f = fixture(&app).await;
    let cases = table(&f);

    // the table lists every route of the router, and nothing else
    let registered = registered_routes(&app).await;
    let listed: BTreeSet<String> = cases.iter().map(|c| c.route.to_string()).collect();
    let missing: Vec<_> = registered.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&registered).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "routes the authorisation table does not list: {missing:?}; rows for routes that do not exist: {stale:?}"
    );

    // a method a route does not list is refused before any handler runs
    let mut methods: BTreeMap<&str, HashSet<Method>> = BTreeMap::new();
    for c in &cases {
        methods.entry(c.route).or_default().insert(c.method.clone());
    }
    let (anon, _) = app.new_visitor();
    let mut wrong = Vec::new();
    let mut probed = HashSet::new();
    for c in cases.iter().filter(|c| probed.insert(c.route)) {
        let listed = &methods[c.route];
        for m in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            if listed.contains(&m) {
                continue;
            }
            let s = anon
                .request(m.clone(), app.url(&c.path))
                .send()
                .await
                .unwrap()
                .status();
            if s != StatusCode::METHOD_NOT_ALLOWED {
                wrong.push(format!("{m} {} -> {s}", c.path));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "methods the table does not list are answered: {wrong:#?}"
    );

    // every row, for every kind of visitor
    let visitors = clients(&app).await;
    let mut mismatches = Vec::new();
    for case in &cases {
        for (i, who) in WHO.into_iter().enumerate() {
            let (client, jar) = &visitors[i];
            let r = ask(&app, &f, who, client, jar, case).await;
            let got = r.status().as_u16();
            let want = case.expect[i];
            let login_redirect = got == 303 && location(&r).starts_with("/login");
            if got != want
                || (want == 303
                    && case.route.starts_with("/staf")
                    && !login_redirect
                    && matches!(who, Who::Anon | Who::Client | Who::ClientNoScope))
            {
                mismatches.push(format!(
                    "{} {} as {who:?}: got {got}, want {want}",
                    case.method, case.path
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} answers differ from the table:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// Headers

fn assert_security_headers(what: &str, r: &reqwest::Response) {
    let h = r.headers();
    let get = |name: &str| {
        h.get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{what}: no {name} header"))
            .to_string()
    };
    let csp = get("content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: CSP lacks {directive}: {csp}"
        );
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: CSP allows inline code: {csp}"
    );
    assert_eq!(get("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(get("x-frame-options"), "DENY", "{what}");
    let referrer = get("referrer-policy");
    assert!(
        [
            "no-referrer",
            "same-origin",
            "strict-origin",
            "strict-origin-when-cross-origin"
        ]
        .contains(&referrer.as_str()),
        "{what}: referrer policy {referrer}"
    );
    assert_eq!(get("cross-origin-opener-policy"), "same-origin", "{what}");
    let permissions = get("permissions-policy");
    assert!(
        permissions.contains("microphone=()"),
        "{what}: {permissions}"
    );
}

async fn security_headers_on_every_kind_of_response(app: TestApp) {
    app.import_areas().await;
    let (code, _) = TestApp::filed(
        &file_with(
            &app,
            &app.client,
            &sample_request("Got mampet di gang", &[("service_code", "")]),
            false,
        )
        .await,
    );
    let app_ref = &app;
    let check = |path: String, want: u16| async move {
        let r = app_ref.get(&path).await;
        assert_eq!(r.status().as_u16(), want, "{path}");
        assert_security_headers(&path, &r);
        r
    };
    // pages, a request, feeds, machine lists, files, errors
    for (path, want) in [
        ("/".to_string(), 200),
        (format!("/laporan/{code}"), 200),
        ("/berita.atom".into(), 200),
        ("/agenda.ics".into(), 200),
        ("/sitemap.xml".into(), 200),
        ("/open311/v2/services.json".into(), 200),
        ("/open311/v2/requests.xml".into(), 200),
        ("/api/v1/openapi.json".into(), 200),
        ("/api/v1/requests".into(), 401),
        ("/assets/app.css".into(), 200),
        ("/masterplan/laporan.pdf".into(), 200),
        ("/masterplan/laporan.xlsx".into(), 200),
        ("/kinerja?csv=ringkasan".into(), 200),
        ("/tidak-ada-di-sini".into(), 404),
        ("/laporan/BDG-26-ZZZZZ".into(), 404),
        ("/staf".into(), 303),
    ] {
        check(path, want).await;
    }
    // a refused form, and a login
    let r = app
        .client
        .post(app.url("/login"))
        .form(&[("username", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_security_headers("POST /login without token", &r);
    let r = app.login("admin", ADMIN_PASSWORD).await;
    assert_security_headers("login", &r);
    // the camera only where the trainer scans QR codes, location only on the request form
    let r = check("/lapor".into(), 200).await;
    assert!(r.headers()["permissions-policy"]
        .to_str()
        .unwrap()
        .contains("geolocation=(self)"));
    assert!(r.headers()["permissions-policy"]
        .to_str()
        .unwrap()
        .contains("camera=()"));
    let r = check("/".into(), 200).await;
    assert!(r.headers()["permissions-policy"]
        .to_str()
        .unwrap()
        .contains("geolocation=()"));
    // no inline script or style in what the pages send, so the CSP costs nothing
    for path in [
        "/",
        "/lapor",
        "/laporan",
        &format!("/laporan/{code}"),
        "/staf",
        "/masterplan",
        "/kinerja",
    ] {
        let (_, html) = app.get_html(path).await;
        let doc = scraper::Html::parse_document(&html);
        let inline_scripts = doc
            .select(&scraper::Selector::parse("script:not([src])").unwrap())
            .count();
        assert_eq!(inline_scripts, 0, "{path} has an inline script");
        assert!(
            !html.contains(" onclick=") && !html.contains(" onload="),
            "{path}: inline handler"
        );
        assert!(!html.contains(" style=\""), "{path}: inline style");
    }
}

// ---------------------------------------------------------------------------------------
// Login throttling and sessions

async fn login_with(
    app: &TestApp,
    client: &reqwest::Client,
    jar: &reqwest::cookie::Jar,
    username: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    if cookie_of(jar, &app.base, "kp_csrf").is_none() {
        client.get(app.url("/login")).send().await.unwrap();
    }
    let csrf = cookie_of(jar, &app.base, "kp_csrf").unwrap();
    let mut req = client.post(app.url("/login")).form(&[
        ("_csrf", csrf.as_str()),
        ("username", username),
        ("password", password),
    ]);
    if let Some(f) = forwarded_for {
        req = req.header("x-forwarded-for", f);
    }
    req.send().await.unwrap()
}

async fn login_is_throttled_per_username_and_per_address(app: TestApp) {
    let (c, jar) = app.new_visitor();
    for i in 0..4 {
        let r = login_with(&app, &c, &jar, "admin", "salah-lagi-123", None).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "failure {i}");
    }
    // the fifth failure reaches the limit
    let r = login_with(&app, &c, &jar, "admin", "salah-lagi-123", None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&wait), "Retry-After {wait}");
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Terlalu banyak percobaan masuk yang gagal"),
        "{html}"
    );
    assert!(html.contains("value=\"admin\""), "the form is shown again");
    // now even the right password waits, from any client, on any node (the count is in the
    // database)
    let (other, other_jar) = app.new_visitor();
    let r = login_with(&app, &other, &other_jar, "admin", ADMIN_PASSWORD, None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("Terlalu banyak percobaan"));
    // the English form says it in English
    other.get(app.url("/bahasa/en")).send().await.unwrap();
    let r = login_with(&app, &other, &other_jar, "admin", ADMIN_PASSWORD, None).await;
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Too many failed login attempts"));
    // failures are audited, and so is the throttle
    let log = kotapintar_storage::audit::recent(&app.store, None, 50)
        .await
        .unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "login.failed").count(), 5);
    assert_eq!(
        log.iter().filter(|e| e.action == "login.throttled").count(),
        1
    );
    // the window passing lifts it: age the counters as if 15 minutes had gone by
    age_throttle_counters(&app, 16).await;
    let (c, jar) = app.new_visitor();
    let r = login_with(&app, &c, &jar, "admin", ADMIN_PASSWORD, None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the window has passed");

    // per address: many usernames from one address. The test server sees 127.0.0.1 and
    // trusts no proxy, so a made-up X-Forwarded-For changes nothing.
    let limit = kotapintar_domain::login::PER_ADDRESS.max_failures;
    let (c, jar) = app.new_visitor();
    let mut statuses = Vec::new();
    for i in 0..limit {
        let r = login_with(
            &app,
            &c,
            &jar,
            &format!("tebak{i}"),
            "apa-saja-123",
            Some(&format!("198.51.100.{i}")),
        )
        .await;
        statuses.push(r.status());
    }
    assert!(
        statuses[..(limit as usize - 1)]
            .iter()
            .all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY),
        "{statuses:?}"
    );
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // and from that address even a real account with the right password must wait
    let r = login_with(&app, &c, &jar, "admin", ADMIN_PASSWORD, None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // the hourly purge removes nothing still in force, and everything once stale
    assert_eq!(
        kotapintar_storage::login_throttle::purge(&app.store)
            .await
            .unwrap(),
        0
    );
    age_throttle_counters(&app, 16).await;
    assert!(
        kotapintar_storage::login_throttle::purge(&app.store)
            .await
            .unwrap()
            >= 1
    );
    let r = login_with(&app, &c, &jar, "admin", ADMIN_PASSWORD, None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// Moves every throttle window `minutes` into the past.
async fn age_throttle_counters(app: &TestApp, minutes: i64) {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};
    let rows = entity::login_throttle::Entity::find()
        .all(&app.store.writer)
        .await
        .unwrap();
    for row in rows {
        let start = row.window_start - chrono::Duration::minutes(minutes);
        let mut m = row.into_active_model();
        m.window_start = Set(start);
        m.update(&app.store.writer).await.unwrap();
    }
}

async fn throttling_says_nothing_about_whether_an_account_exists(app: TestApp) {
    let (c, jar) = app.new_visitor();
    let mut answers = Vec::new();
    for name in ["admin", "tidak-ada-sama-sekali"] {
        let mut seen = Vec::new();
        for _ in 0..6 {
            let r = login_with(&app, &c, &jar, name, "salah-salah-123", None).await;
            let status = r.status();
            let body = r
                .text()
                .await
                .unwrap()
                .replace(&format!("value=\"{name}\""), "value=\"NAME\"");
            let problem = scraper::Html::parse_document(&body)
                .select(&scraper::Selector::parse("#login-problem").unwrap())
                .next()
                .map(|e| e.text().collect::<String>())
                .unwrap_or_default();
            seen.push((status, problem));
        }
        answers.push(seen);
    }
    assert_eq!(
        answers[0], answers[1],
        "a real and an invented name are answered alike"
    );
    assert_eq!(answers[0][5].0, StatusCode::TOO_MANY_REQUESTS);
    // the counters keep no typed name, only its hash
    let keys: Vec<String> = entity::login_throttle::Entity::find()
        .all(&app.store.reader)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.key)
        .collect();
    assert!(
        keys.iter()
            .all(|k| !k.contains("admin") && !k.contains("tidak-ada")),
        "{keys:?}"
    );
    // an admin's password reset lifts the throttle on that name
    kotapintar_storage::users::reset_password(
        &app.store,
        &AuditActor::System("test".into()),
        &kotapintar_domain::user::Username::parse("admin").unwrap(),
        &kotapintar_domain::user::NewPassword::parse("sandi-baru-12345").unwrap(),
    )
    .await
    .unwrap();
    let (c, jar) = app.new_visitor();
    let r = login_with(&app, &c, &jar, "admin", "sandi-baru-12345", None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

async fn sessions_rotate_on_login_and_end_on_logout(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DLHK", "Dinas Lingkungan Hidup dan Kebersihan")
        .await;
    app.create_user("petugas.dlhk", "officer", "DLHK", "petugas-password")
        .await;
    app.logout().await;

    // a session id planted before login (fixation) is never adopted
    let (c, jar) = app.new_visitor();
    c.get(app.url("/login")).send().await.unwrap();
    let planted = "a".repeat(64);
    jar.add_cookie_str(
        &format!("kp_session={planted}; Path=/"),
        &reqwest::Url::parse(&app.base).unwrap(),
    );
    let csrf_before = cookie_of(&jar, &app.base, "kp_csrf").unwrap();
    let r = login_with(&app, &c, &jar, "admin", ADMIN_PASSWORD, None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let first = cookie_of(&jar, &app.base, "kp_session").unwrap();
    assert_ne!(first, planted);
    assert!(
        set_cookie(&r, "kp_csrf").is_some(),
        "the CSRF token is renewed at login"
    );
    assert_ne!(cookie_of(&jar, &app.base, "kp_csrf").unwrap(), csrf_before);
    let staff_with = |token: String| {
        let app = &app;
        async move {
            let (fresh, _) = app.new_visitor();
            fresh
                .get(app.url("/staf"))
                .header("cookie", format!("kp_session={token}"))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(staff_with(planted.clone()).await, StatusCode::SEE_OTHER);
    assert_eq!(staff_with(first.clone()).await, StatusCode::OK);

    // logging in again (as someone else, on the same browser) starts a new session and
    // ends the one the browser came with, on the server
    let r = login_with(&app, &c, &jar, "petugas.dlhk", "petugas-password", None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let second = cookie_of(&jar, &app.base, "kp_session").unwrap();
    assert_ne!(second, first);
    assert_eq!(
        staff_with(first.clone()).await,
        StatusCode::SEE_OTHER,
        "the pre-login id no longer works"
    );
    assert_eq!(staff_with(second.clone()).await, StatusCode::OK);
    let (_, html) = {
        let r = c.get(app.url("/staf")).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    };
    assert!(
        html.contains("petugas.dlhk"),
        "signed in as the second person"
    );

    // logout ends it on the server: the token is dead even if someone kept a copy
    let csrf = cookie_of(&jar, &app.base, "kp_csrf").unwrap();
    let r = c
        .post(app.url("/logout"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cleared = set_cookie(&r, "kp_session").unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(staff_with(second).await, StatusCode::SEE_OTHER);
    let sessions = entity::session::Entity::find()
        .all(&app.store.reader)
        .await
        .unwrap();
    assert!(sessions.is_empty(), "every session has ended: {sessions:?}");
}

async fn cookies_are_secure_over_https(app: TestApp) {
    // plain http (the test server): HttpOnly and SameSite, but not Secure, or the browser
    // would drop them
    let r = app.get("/").await;
    let csrf = set_cookie(&r, "kp_csrf").unwrap();
    assert!(
        csrf.contains("HttpOnly") && csrf.contains("SameSite=Strict") && !csrf.contains("Secure"),
        "{csrf}"
    );
    let r = app.login("admin", ADMIN_PASSWORD).await;
    let session = set_cookie(&r, "kp_session").unwrap();
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
            && !session.contains("Secure"),
        "{session}"
    );
    assert!(r.headers().get("strict-transport-security").is_none());

    // the same database served under an https public address
    let mut settings = app.settings.clone();
    settings.public_url = Some("https://kotapintar.badungkab.go.id".into());
    // a node of its own: its own search index
    let search_dir = tempfile::tempdir().unwrap();
    settings.search_dir = search_dir.path().to_path_buf();
    let secure =
        kotapintar::app::Application::build(&settings, kotapintar_storage::OpenMode::MustExist)
            .await
            .unwrap();
    let base = format!("http://127.0.0.1:{}", secure.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(secure.run_until(async {
        let _ = stopped.await;
    }));
    // no cookie store: a client keeps no Secure cookie over plain http, so they are sent
    // by hand
    let c = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = c.get(format!("{base}/")).send().await.unwrap();
    let csrf = set_cookie(&r, "kp_csrf").unwrap();
    assert!(csrf.contains("; Secure"), "{csrf}");
    assert_eq!(r.headers()["strict-transport-security"], "max-age=31536000");
    let token = csrf
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("kp_csrf=")
        .to_string();
    let r = c
        .post(format!("{base}/login"))
        .header("cookie", format!("kp_csrf={token}"))
        .form(&[
            ("_csrf", token.as_str()),
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let session = set_cookie(&r, "kp_session").unwrap();
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
            && session.contains("; Secure"),
        "{session}"
    );
    assert!(set_cookie(&r, "kp_csrf").unwrap().contains("; Secure"));
    let r = c.get(format!("{base}/bahasa/en")).send().await.unwrap();
    assert!(set_cookie(&r, "kp_lang").unwrap().contains("; Secure"));
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

// ---------------------------------------------------------------------------------------
// Personal data never leaves through a public door

fn sample_request<'a>(title: &'a str, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v: Vec<(&str, &str)> = vec![
        ("kind", "pengaduan"),
        ("service_code", "sampah"),
        ("title", title),
        (
            "description",
            "Sampah rumah tangga belum diangkut sejak minggu lalu dan mulai berbau.",
        ),
        ("district_code", "51.03.01"),
        ("village_code", "51.03.01.1002"),
        ("latitude", "-8.7201"),
        ("longitude", "115.1689"),
        ("location_address", "Jl. Raya Kuta"),
        ("confirm_new", "1"),
    ];
    v.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    v.extend_from_slice(extra);
    v
}

/// Files a request through the public form from `client` (multipart, with a photo if asked).
async fn file_with(
    app: &TestApp,
    client: &reqwest::Client,
    fields: &[(&str, &str)],
    photo: bool,
) -> reqwest::Response {
    let r = client.get(app.url("/lapor")).send().await.unwrap();
    let html = r.text().await.unwrap();
    let csrf = html
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let mut form = reqwest::multipart::Form::new().text("_csrf", csrf);
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if photo {
        let part = reqwest::multipart::Part::bytes(crate::harness::jpeg_with_gps(32, 24))
            .file_name("foto.jpg");
        form = form.part("photos", part);
    }
    client
        .post(app.url("/lapor"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// Personal data typed into the instance; none of it may appear in any public response.
const SECRETS: &[&str] = &[
    // the public request's reporter, in the contact fields and in the text
    "Markerputri",
    "5103014405900017",
    "081299887766",
    "0812-9988-7766",
    "markerputri@contoh.id",
    // the anonymous reporter
    "Markeranonim",
    "087712340099",
    // the rahasia request: its title, words of its text, its reporter, a home address
    "Markerrahasia",
    "Markerpungli",
    "Markerkerabat",
    "Jalan Cempaka Markeralamat",
    "markerkerabat@contoh.id",
    // staff notes that are not for the public
    "Markercatatan",
    "Markerkomentar",
];

/// Addresses no link leads to, which the scan asks anyway: the machine-readable doors.
const MACHINE_ENDPOINTS: &[&str] = &[
    "/sitemap.xml",
    "/berita.atom",
    "/agenda.atom",
    "/proyek.atom",
    "/agenda.ics",
    "/open311/v2/services.json",
    "/open311/v2/services.xml",
    "/open311/v2/requests.json",
    "/open311/v2/requests.xml",
    "/open311/v2/requests.json?status=open",
    "/open311/v2/discovery.json",
    "/api/v1/openapi.json",
    "/api/v1/docs",
    "/api/v1/requests",
    "/api/v1/units",
    "/api/v1/services",
    "/api/v1/events",
    "/masterplan/laporan.pdf",
    "/masterplan/laporan.xlsx",
    "/kinerja",
];

/// The text of a response, whatever its kind: PDFs through poppler, spreadsheets
/// through calamine, everything else as UTF-8 (lossy).
fn readable(content_type: &str, bytes: &[u8]) -> String {
    if content_type.starts_with("application/pdf") {
        // the words as a person reads them, plus the raw bytes (metadata, uncompressed text)
        let (_, text) = crate::masterplan::read_pdf(bytes);
        return text + &String::from_utf8_lossy(bytes);
    }
    if content_type.contains("spreadsheetml") {
        use calamine::Reader;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let mut text = String::new();
        for name in book.sheet_names() {
            if let Ok(range) = book.worksheet_range(&name) {
                for row in range.rows() {
                    for cell in row {
                        text.push_str(&cell.to_string());
                        text.push('\t');
                    }
                    text.push('\n');
                }
            }
        }
        return text;
    }
    String::from_utf8_lossy(bytes).into_owned()
}

/// Same-origin links in a page or feed: `href`, `src`, and `<loc>`/`<link>` in XML.
fn links_in(base: &str, body: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\"", "<loc>", "href='"] {
        for piece in body.split(attr).skip(1) {
            let end = piece.find(['"', '\'', '<']).unwrap_or(piece.len());
            // the entities templates and feeds write for `&`
            let raw = piece[..end]
                .replace("&#38;", "&")
                .replace("&#x26;", "&")
                .replace("&amp;", "&");
            let path = if let Some(rest) = raw.strip_prefix(base) {
                rest.to_string()
            } else if let Some(rest) = raw
                .strip_prefix("http://")
                .or_else(|| raw.strip_prefix("https://"))
            {
                // the public URL of the test server is http://127.0.0.1:0 (its listen
                // setting); a path on it is still ours
                match rest.split_once('/') {
                    Some((host, p)) if host.starts_with("127.0.0.1") => format!("/{p}"),
                    _ => continue,
                }
            } else if raw.starts_with('/') && !raw.starts_with("//") {
                raw
            } else {
                continue;
            };
            let path = path.split('#').next().unwrap_or("").to_string();
            if !path.is_empty() {
                out.push(path);
            }
        }
    }
    out
}

async fn public_output_privacy_scan(app: TestApp) {
    kotapintar::demo::load(&app.store, &app.settings)
        .await
        .expect("demo data");
    // a public request whose reporter typed their data into the form and the text
    let (resident, _) = app.new_visitor();
    let r = file_with(
        &app,
        &resident,
        &sample_request(
            "Sampah Markerjudul menumpuk",
            &[
                ("description", "Saya Ni Luh Markerputri, NIK 5103014405900017, telepon 0812-9988-7766, email markerputri@contoh.id. Sampah menumpuk tiga hari."),
                ("name", "Ni Luh Markerputri"),
                ("email", "markerputri@contoh.id"),
                ("phone", "081299887766"),
            ],
        ),
        true,
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (public_code, _) = TestApp::filed(&r);
    // an anonymous one
    let r = file_with(
        &app,
        &resident,
        &sample_request(
            "Lampu taman Markerlampu mati",
            &[
                ("name", "Made Markeranonim"),
                ("phone", "087712340099"),
                ("anonymous", "on"),
            ],
        ),
        false,
    )
    .await;
    let (anonymous_code, _) = TestApp::filed(&r);
    // a rahasia one, with a photo
    let r = file_with(
        &app,
        &resident,
        &sample_request(
            "Markerrahasia dugaan Markerpungli di kantor desa",
            &[
                ("description", "Petugas Markerkerabat meminta uang. Rumah saya di Jalan Cempaka Markeralamat 12, hubungi markerkerabat@contoh.id."),
                ("name", "Wayan Markerkerabat"),
                ("email", "markerkerabat@contoh.id"),
                ("confidential", "on"),
            ],
        ),
        true,
    )
    .await;
    let (secret_code, _) = TestApp::filed(&r);
    // staff work on them, with notes not meant for the public
    app.login_admin().await;
    for code in [&public_code, &anonymous_code, &secret_code] {
        let id = app.request_id(code).await;
        let r = app
            .post_form(
                &format!("/staf/laporan/{id}/aksi"),
                &[
                    ("action", "verify"),
                    ("note", "Markercatatan: pelapor kerabat pejabat"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "verify {code}");
        let r = app
            .post_form(
                &format!("/staf/laporan/{id}/aksi"),
                &[
                    ("action", "comment"),
                    (
                        "note",
                        "Markerkomentar: rumah pelapor di Jalan Cempaka Markeralamat",
                    ),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "comment {code}");
        app.dispatch(id, "DLHK").await;
    }
    // the markers are really in the instance: the staff view shows them
    let mut staff_view = String::new();
    for code in [&public_code, &anonymous_code, &secret_code] {
        let id = app.request_id(code).await;
        staff_view.push_str(&app.get_html(&format!("/staf/laporan/{id}")).await.1);
    }
    for marker in [
        "Markerputri",
        "081299887766",
        "markerputri@contoh.id",
        "Markerrahasia",
        "Markerkerabat",
        "Markercatatan",
        "Markerkomentar",
    ] {
        assert!(
            staff_view.contains(marker),
            "{marker} should be in the staff view"
        );
    }
    app.logout().await;
    app.run_jobs().await;
    app.search_caught_up().await;

    // crawl as an anonymous visitor: from the home page and the sitemap, plus the machine
    // doors, a search for each marker, and the public pages of each request
    let (visitor, _) = app.new_visitor();
    let mut queue: VecDeque<String> = VecDeque::new();
    queue.push_back("/".into());
    for p in MACHINE_ENDPOINTS {
        queue.push_back(p.to_string());
    }
    for s in SECRETS.iter().chain(["Markerjudul"].iter()) {
        queue.push_back(format!("/cari?q={s}"));
        queue.push_back(format!("/open311/v2/requests.json?q={s}"));
    }
    for code in [&public_code, &anonymous_code, &secret_code] {
        queue.push_back(format!("/laporan/{code}"));
        queue.push_back(format!("/open311/v2/requests/{code}.json"));
        queue.push_back(format!("/open311/v2/requests/{code}.xml"));
    }
    let secret_photo = entity::request_photo::Entity::find()
        .filter(entity::request_photo::Column::RequestId.eq(app.request_id(&secret_code).await))
        .one(&app.store.reader)
        .await
        .unwrap()
        .expect("the rahasia request's photo")
        .id;
    queue.push_back(format!("/foto/{secret_photo}"));
    queue.push_back(format!("/foto/{secret_photo}-kecil"));

    let mut seen: HashSet<String> = HashSet::new();
    let mut visited_ok = 0;
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut leaks = Vec::new();
    let mut public_page_text = String::new();
    const MAX_PAGES: usize = 1500;
    while let Some(path) = queue.pop_front() {
        if seen.len() >= MAX_PAGES {
            break;
        }
        // the staff area and the forms' own doors are not public output
        if path.starts_with("/staf")
            || path.starts_with("/login")
            || path.starts_with("/logout")
            || !seen.insert(path.clone())
        {
            continue;
        }
        let r = visitor.get(app.url(&path)).send().await.unwrap();
        let status = r.status();
        if status.is_redirection() {
            let to = location(&r);
            if to.starts_with('/') {
                queue.push_back(to);
            }
            continue;
        }
        let content_type = r
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = r.bytes().await.unwrap();
        if !status.is_success() {
            continue;
        }
        visited_ok += 1;
        *kinds
            .entry(content_type.split(';').next().unwrap_or("").to_string())
            .or_default() += 1;
        let mut text = readable(&content_type, &bytes);
        // a search page repeats what was searched for; that is not a leak
        if let Some(q) = path
            .split_once("q=")
            .map(|(_, q)| q.split('&').next().unwrap_or(""))
        {
            text = text.replace(q, "");
        }
        for secret in SECRETS {
            if text.contains(secret) {
                leaks.push(format!("{secret} in {path}"));
            }
        }
        public_page_text.push_str(&text);
        if content_type.starts_with("text/html")
            || content_type.contains("xml")
            || content_type.contains("atom")
        {
            for link in links_in(&app.base, &text) {
                // filter combinations of the public list multiply without end; the pages
                // behind them are the same requests
                let is_list_variant = (link.starts_with("/laporan?") && link.matches('=').count() > 1)
                    // a unit's figures for other periods: the same counters; their CSVs are read
                    || (link.starts_with("/kinerja/") && link.contains('?') && !link.contains("csv="));
                if !seen.contains(&link) && !is_list_variant && !link.starts_with("/bahasa/") {
                    queue.push_back(link);
                }
            }
        }
    }
    assert!(
        leaks.is_empty(),
        "personal data in public output: {leaks:#?}"
    );
    // the crawl saw enough to mean something: pages of every kind
    assert!(
        visited_ok >= 80,
        "only {visited_ok} public responses were read: {kinds:?}"
    );
    for kind in [
        "text/html",
        "application/atom+xml",
        "text/calendar",
        "application/json",
        "application/pdf",
        "text/csv",
    ] {
        assert!(
            kinds.keys().any(|k| k.starts_with(kind)),
            "no {kind} among {kinds:?}"
        );
    }
    assert!(
        kinds.keys().any(|k| k.contains("xml")),
        "no XML among {kinds:?}"
    );
    assert!(
        kinds.keys().any(|k| k.contains("spreadsheetml")),
        "no XLSX among {kinds:?}"
    );
    // it did reach the requests: their public parts are there
    assert!(
        public_page_text.contains("Markerjudul"),
        "the public request's title was not crawled"
    );
    assert!(
        public_page_text.contains("Markerlampu"),
        "the anonymous request's title was not crawled"
    );
    assert!(seen.contains(&format!("/laporan/{public_code}")));
    // the rahasia request and its photo exist for nobody outside
    for path in [
        format!("/laporan/{secret_code}"),
        format!("/foto/{secret_photo}"),
        format!("/open311/v2/requests/{secret_code}.json"),
    ] {
        assert_eq!(
            visitor.get(app.url(&path)).send().await.unwrap().status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
}
