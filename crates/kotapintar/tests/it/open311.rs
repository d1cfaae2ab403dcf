//! Open311 GeoReport v2 (`/open311/v2`): every method in XML and JSON, filing with an
//! integration client's key (as FixMyStreet sends it), the errors, and privacy: no `rahasia`
//! request and no personal data ever leave through it.

use crate::harness::{jpeg_with_gps, TestApp};
use kotapintar_storage::audit::AuditActor;
use reqwest::StatusCode;
use serde_json::Value;

both_backends!(
    discovery_services_and_definitions_in_both_formats,
    a_client_files_a_request_that_staff_and_public_see,
    keys_are_required_and_checked,
    bad_input_is_named_precisely,
    a_fixmystreet_form_post_is_accepted,
    rahasia_requests_and_personal_data_never_leave,
    extensions_page_filter_and_show_notes,
    photos_come_as_multipart_media_and_leave_as_media_url,
    updates_show_public_notes_and_status_changes_only,
    a_client_moves_its_units_request_with_updates,
    updates_are_refused_as_the_spec_says,
);

const QUESTIONS: &str = "jenis | Jenis kerusakan | singlevaluelist | required | Berlubang; Retak\n\
panjang | Panjang (m) | number | optional\n\
sisi | Sisi jalan | multivaluelist | optional | Kiri; Kanan";

/// Areas, the DPUPR unit with the `jalan-rusak` service, and an integration client. Returns
/// its token.
pub(crate) async fn setup(app: &TestApp) -> String {
    app.import_areas().await;
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    let r = app
        .post_form(
            "/staf/layanan/baru",
            &[
                ("unit_code", "DPUPR"),
                ("code", "jalan-rusak"),
                ("name", "Jalan rusak"),
                ("kind", "pengaduan"),
                ("group_name", "Jalan & Jembatan"),
                ("keywords", "jalan, lubang"),
                ("description", "Jalan kabupaten yang berlubang <atau> retak"),
                ("time_limit_days", "10"),
                ("questions", QUESTIONS),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    app.logout().await;
    kotapintar_storage::clients::create(
        &app.store,
        &AuditActor::System("test".into()),
        "FixMyStreet",
        "DPUPR",
        "open311:write",
        600,
    )
    .await
    .unwrap()
    .token
}

pub(crate) async fn get(app: &TestApp, path: &str) -> (StatusCode, String, String) {
    let r = app
        .client
        .get(app.url(&format!("/open311/v2/{path}")))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let ctype = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, ctype, r.text().await.unwrap())
}

pub(crate) async fn get_json(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let (s, ctype, body) = get(app, path).await;
    assert!(ctype.starts_with("application/json"), "{path}: {ctype}");
    (
        s,
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}")),
    )
}

/// Checks the document is well-formed XML with the spec's declaration and root element, and
/// returns it.
pub(crate) async fn get_xml(app: &TestApp, path: &str, root: &str) -> (StatusCode, String) {
    let (s, ctype, body) = get(app, path).await;
    assert!(ctype.starts_with("text/xml"), "{path}: {ctype}");
    assert_well_formed(&body, root);
    (s, body)
}

pub(crate) fn assert_well_formed(body: &str, root: &str) {
    assert!(
        body.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
        "{body}"
    );
    let doc = roxmltree::Document::parse(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(doc.root_element().tag_name().name(), root, "{body}");
}

pub(crate) async fn post(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let r = app
        .client
        .post(app.url(&format!("/open311/v2/{path}")))
        .form(fields)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.text().await.unwrap())
}

pub(crate) fn errors(body: &str) -> Vec<(i64, String)> {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    v.as_array()
        .unwrap_or_else(|| panic!("not an errors array: {body}"))
        .iter()
        .map(|e| {
            (
                e["code"].as_i64().unwrap(),
                e["description"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

const DESCRIPTION: &str = "Lubang besar di tengah jalan\nSudah dua minggu, berbahaya bagi motor.";

pub(crate) fn good(key: &str) -> Vec<(&str, &str)> {
    vec![
        ("api_key", key),
        ("service_code", "jalan-rusak"),
        ("lat", "-8.7201"),
        ("long", "115.1689"),
        ("address_string", "Jl. Raya Kuta, Kuta, Badung"),
        ("description", DESCRIPTION),
        ("attribute[jenis]", "Berlubang"),
    ]
}

async fn discovery_services_and_definitions_in_both_formats(app: TestApp) {
    setup(&app).await;
    let (s, d) = get_json(&app, "discovery.json").await;
    assert_eq!(s, StatusCode::OK);
    assert!(!d["contact"].as_str().unwrap().is_empty());
    assert!(!d["key_service"].as_str().unwrap().is_empty());
    let ep = &d["endpoints"][0];
    assert_eq!(ep["specification"], "http://wiki.open311.org/GeoReport_v2");
    assert!(ep["url"].as_str().unwrap().ends_with("/open311/v2"));
    assert_eq!(
        ep["formats"],
        serde_json::json!(["text/xml", "application/json"])
    );
    chrono::DateTime::parse_from_rfc3339(d["changeset"].as_str().unwrap()).unwrap();
    let (_, x) = get_xml(&app, "discovery.xml", "discovery").await;
    assert!(x.contains(
        "<endpoints><endpoint><specification>http://wiki.open311.org/GeoReport_v2</specification>"
    ));
    assert!(
        x.contains("<formats><format>text/xml</format><format>application/json</format></formats>")
    );

    let (s, list) = get_json(&app, "services.json").await;
    assert_eq!(s, StatusCode::OK);
    let svc = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service_code"] == "jalan-rusak")
        .expect("the service is listed");
    assert_eq!(svc["service_name"], "Jalan rusak");
    assert_eq!(svc["metadata"], true);
    assert_eq!(svc["type"], "realtime");
    assert_eq!(svc["group"], "Jalan & Jembatan");
    assert_eq!(svc["keywords"], "jalan, lubang");
    let (_, x) = get_xml(&app, "services.xml", "services").await;
    assert!(x.contains("<service><service_code>jalan-rusak</service_code>"));
    assert!(x.contains("<group>Jalan &amp; Jembatan</group>"));
    assert!(x.contains("&lt;atau&gt;"), "text is escaped");

    let (s, def) = get_json(&app, "services/jalan-rusak.json").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(def["service_code"], "jalan-rusak");
    let attrs = def["attributes"].as_array().unwrap();
    assert_eq!(attrs.len(), 3);
    assert_eq!(attrs[0]["code"], "jenis");
    assert_eq!(attrs[0]["datatype"], "singlevaluelist");
    assert_eq!(attrs[0]["required"], true);
    assert_eq!(attrs[0]["variable"], true);
    assert_eq!(attrs[0]["order"], 1);
    assert_eq!(attrs[0]["description"], "Jenis kerusakan");
    assert_eq!(
        attrs[0]["values"],
        serde_json::json!([{"key": "Berlubang", "name": "Berlubang"}, {"key": "Retak", "name": "Retak"}])
    );
    assert_eq!(attrs[1]["datatype"], "number");
    assert_eq!(attrs[1]["required"], false);
    assert_eq!(attrs[2]["datatype"], "multivaluelist");
    assert_eq!(attrs[2]["order"], 3);
    let (_, x) = get_xml(&app, "services/jalan-rusak.xml", "service_definition").await;
    assert!(x.contains("<attributes><attribute><variable>true</variable><code>jenis</code><datatype>singlevaluelist</datatype><required>true</required>"));
    assert!(x.contains("<values><value><key>Berlubang</key><name>Berlubang</name></value>"));

    let (s, body) = get_xml(&app, "services/tidak-ada.xml", "errors").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(body.contains("<code>404</code>") && body.contains("tidak-ada"));
    let (s, e) = get_json(&app, "services/tidak-ada.json").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(e[0]["description"].as_str().unwrap().contains("tidak-ada"));
}

async fn a_client_files_a_request_that_staff_and_public_see(app: TestApp) {
    let key = setup(&app).await;
    let mut fields = good(&key);
    fields.push(("attribute[sisi][]", "Kiri"));
    fields.push(("attribute[sisi][]", "Kanan"));
    fields.push(("attribute[panjang]", "2,5"));
    let (s, body) = post(&app, "requests.json", &fields).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let code = v[0]["service_request_id"].as_str().unwrap().to_string();
    assert!(code.starts_with("BDG-"), "{code}");
    assert!(v[0].get("token").is_none(), "an id or a token, never both");

    // the public list and page, the staff inbox
    let (_, list) = app.get_html("/laporan").await;
    assert!(list.contains("Lubang besar di tengah jalan"), "public list");
    app.login_admin().await;
    let (_, inbox) = app.get_html("/staf/laporan").await;
    assert!(
        inbox.contains("Lubang besar di tengah jalan"),
        "staff inbox"
    );
    app.logout().await;

    // and Open311's own reads
    let (s, one) = get_json(&app, &format!("requests/{code}.json")).await;
    assert_eq!(s, StatusCode::OK);
    let arr = one.as_array().expect("a one-element array");
    assert_eq!(arr.len(), 1);
    let r = &arr[0];
    assert_eq!(r["service_request_id"], code.as_str());
    assert_eq!(r["status"], "open");
    assert_eq!(r["service_code"], "jalan-rusak");
    assert_eq!(r["service_name"], "Jalan rusak");
    assert_eq!(r["address"], "Jl. Raya Kuta, Kuta, Badung");
    assert_eq!(r["lat"], -8.7201);
    assert_eq!(r["long"], 115.1689);
    assert!(r["description"]
        .as_str()
        .unwrap()
        .starts_with("Lubang besar"));
    let requested = r["requested_datetime"].as_str().unwrap();
    assert!(requested.ends_with("+08:00"), "{requested}");
    chrono::DateTime::parse_from_rfc3339(requested).unwrap();
    chrono::DateTime::parse_from_rfc3339(r["updated_datetime"].as_str().unwrap()).unwrap();

    let (_, list) = get_json(&app, "requests.json").await;
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["service_request_id"] == code.as_str()));
    let (_, x) = get_xml(&app, "requests.xml", "service_requests").await;
    assert!(x.contains(&format!(
        "<request><service_request_id>{code}</service_request_id><status>open</status>"
    )));
    let (_, x) = get_xml(&app, &format!("requests/{code}.xml"), "service_requests").await;
    assert!(x.contains(&code));
    for (q, found) in [
        (
            format!("requests.json?service_request_id={code},BDG-26-ZZZZZ"),
            true,
        ),
        ("requests.json?service_code=jalan-rusak".to_string(), true),
        ("requests.json?service_code=lain".to_string(), false),
        ("requests.json?status=open".to_string(), true),
        ("requests.json?status=closed".to_string(), false),
        ("requests.json?status=open,closed".to_string(), true),
        (
            "requests.json?start_date=2001-01-01T00:00:00Z&end_date=2001-02-01T00:00:00Z"
                .to_string(),
            false,
        ),
        // empty parameters count as absent
        ("requests.json?service_code=&status=".to_string(), true),
    ] {
        let (s, l) = get_json(&app, &q).await;
        assert_eq!(s, StatusCode::OK, "{q}");
        assert_eq!(
            l.as_array()
                .unwrap()
                .iter()
                .any(|r| r["service_request_id"] == code.as_str()),
            found,
            "{q}"
        );
    }
    // we create at once: a token is the code
    let (s, t) = get_json(&app, &format!("tokens/{code}.json")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(t[0]["service_request_id"], code.as_str());
    let (s, _) = get_xml(&app, "tokens/BDG-26-ZZZZZ.xml", "errors").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // the answers were stored as the form would have stored them
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let row = kotapintar_storage::entity::request::Entity::find()
        .filter(kotapintar_storage::entity::request::Column::TrackingCode.eq(code.as_str()))
        .one(&app.store.reader)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.title, "Lubang besar di tengah jalan");
    assert!(
        row.answers_json.contains("Kiri;Kanan"),
        "{}",
        row.answers_json
    );
    assert!(row.answers_json.contains("2,5"), "{}", row.answers_json);
}

async fn keys_are_required_and_checked(app: TestApp) {
    let key = setup(&app).await;
    let no_key: Vec<_> = good(&key)
        .into_iter()
        .filter(|(k, _)| *k != "api_key")
        .collect();
    let (s, body) = post(&app, "requests.json", &no_key).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(errors(&body), vec![(403, "api_key is missing".to_string())]);

    let bad = format!("kp_1_{}", "0".repeat(64));
    let mut fields = no_key.clone();
    fields.push(("api_key", &bad));
    let (s, body) = post(&app, "requests.json", &fields).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(errors(&body)[0].1.contains("not valid"), "{body}");
    let (s, body) = post(&app, "requests.xml", &fields).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_well_formed(&body, "errors");
    assert!(body.contains(
        "<error><code>403</code><description>api_key is not valid</description></error>"
    ));

    // a key without the open311:write scope
    let other = kotapintar_storage::clients::create(
        &app.store,
        &AuditActor::System("test".into()),
        "Aplikasi dinas",
        "DPUPR",
        "requests:read",
        600,
    )
    .await
    .unwrap()
    .token;
    let mut fields = no_key.clone();
    fields.push(("api_key", &other));
    let (s, body) = post(&app, "requests.json", &fields).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(errors(&body)[0].1.contains("open311:write"), "{body}");

    // the key may also come in the query string
    let r = app
        .client
        .post(app.url(&format!("/open311/v2/requests.json?api_key={key}")))
        .form(&no_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    use sea_orm::{EntityTrait, PaginatorTrait};
    let n = kotapintar_storage::entity::request::Entity::find()
        .count(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(n, 1, "only the request with a good key was filed");
}

async fn bad_input_is_named_precisely(app: TestApp) {
    let key = setup(&app).await;
    let with = |k: &'static str, v: &'static str| {
        let mut f: Vec<(&str, &str)> = good(&key).into_iter().filter(|(x, _)| *x != k).collect();
        if !v.is_empty() {
            f.push((k, v));
        }
        f
    };
    let (s, body) = post(&app, "requests.json", &with("service_code", "tidak-ada")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(&body),
        vec![(
            400,
            "service_code 'tidak-ada' is not a known service".to_string()
        )]
    );
    let (s, body) = post(&app, "requests.json", &with("service_code", "")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(errors(&body)[0].1, "service_code is required");

    let (s, body) = post(&app, "requests.json", &with("attribute[jenis]", "")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(errors(&body)[0].1, "attribute[jenis] is required");
    let (s, body) = post(&app, "requests.xml", &with("attribute[jenis]", "Ambles")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_well_formed(&body, "errors");
    assert!(body.contains("attribute[jenis] is not one of the attribute&apos;s values"));

    let (s, body) = post(&app, "requests.json", &with("lat", "91")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(errors(&body)
        .iter()
        .any(|(_, d)| d == "lat is not a valid WGS84 coordinate"));
    let (s, body) = post(&app, "requests.json", &with("lat", "-6.2")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "Jakarta is outside Badung");
    assert_eq!(errors(&body)[0].1, "lat lies outside the regency");
    let (s, body) = post(&app, "requests.json", &with("description", "")).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(errors(&body)
        .iter()
        .any(|(_, d)| d == "description is required"));

    // reads
    let (s, e) = get_json(&app, "requests.json?start_date=kemarin").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e[0]["description"]
        .as_str()
        .unwrap()
        .starts_with("start_date 'kemarin' is not a valid datetime"));
    let (s, e) = get_json(&app, "requests.json?end_date=2026-13-01").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e[0]["description"].as_str().unwrap().contains("end_date"));
    let (s, e) = get_json(&app, "requests.json?status=pending").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e[0]["description"].as_str().unwrap().contains("pending"));
    let (s, _) = get_json(&app, "requests/BDG-26-ZZZZZ.json").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = get_xml(&app, "requests/bukan-kode.xml", "errors").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = get_xml(&app, "apa.xml", "errors").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    use sea_orm::{EntityTrait, PaginatorTrait};
    let n = kotapintar_storage::entity::request::Entity::find()
        .count(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(n, 0, "nothing invalid was stored");
}

async fn a_fixmystreet_form_post_is_accepted(app: TestApp) {
    let key = setup(&app).await;
    // As FixMyStreet's perllib/Open311.pm sends it: XML only, the reporter's details, no
    // pin, repeated media_url, attributes we do not ask about (uprn).
    let fields = [
        ("api_key", key.as_str()),
        ("service_code", "jalan-rusak"),
        (
            "description",
            "Retak memanjang di bahu jalan\n\nDilaporkan melalui FixMyStreet.",
        ),
        ("first_name", "Kadek"),
        ("last_name", "Wirawan"),
        ("email", "kadek.wirawan@contoh.id"),
        ("phone", "081337001122"),
        ("account_id", "42"),
        ("address_id", "#NOTPINPOINTED#"),
        ("media_url", "https://fixmystreet.example/photo/1.jpeg"),
        ("media_url", "https://fixmystreet.example/photo/2.jpeg"),
        ("attribute[jenis]", "Retak"),
        ("attribute[uprn]", "10023456"),
        ("jurisdiction_id", "51.03"),
    ];
    let (s, body) = post(&app, "requests.xml", &fields).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_well_formed(&body, "service_requests");
    let doc = roxmltree::Document::parse(&body).unwrap();
    let code = doc
        .descendants()
        .find(|n| n.has_tag_name("service_request_id"))
        .and_then(|n| n.text())
        .unwrap()
        .to_string();
    assert!(code.starts_with("BDG-"), "{body}");

    let (_, list) = app.get_html("/laporan").await;
    assert!(
        list.contains("Retak memanjang di bahu jalan"),
        "public list"
    );
    app.login_admin().await;
    let (_, inbox) = app.get_html("/staf/laporan").await;
    assert!(
        inbox.contains("Retak memanjang di bahu jalan"),
        "staff inbox"
    );
    let id = app.request_id(&code).await;
    let (_, detail) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert!(
        detail.contains("Kadek Wirawan"),
        "the reporter's contact is kept for staff"
    );
    app.logout().await;
    let (_, x) = get_xml(&app, &format!("requests/{code}.xml"), "service_requests").await;
    assert!(x.contains("<service_code>jalan-rusak</service_code>"));
    assert!(!x.contains("Kadek") && !x.contains("kadek.wirawan"));
}

async fn rahasia_requests_and_personal_data_never_leave(app: TestApp) {
    let key = setup(&app).await;
    // a rahasia request through the public form
    let r = app
        .file_request(
            &[
                ("kind", "pengaduan"),
                ("service_code", "jalan-rusak"),
                ("q_jenis", "Berlubang"),
                ("title", "Pungutan liar proyek jalan"),
                (
                    "description",
                    "Pengawas proyek meminta uang kepada warga sekitar.",
                ),
                ("latitude", "-8.7201"),
                ("longitude", "115.1689"),
                ("confidential", "on"),
                ("confirm_new", "1"),
            ],
            &[],
        )
        .await;
    let (secret_code, _) = TestApp::filed(&r);
    // an ordinary one whose reporter typed contact details
    let r = app
        .file_request(
            &[
                ("kind", "pengaduan"),
                ("service_code", "jalan-rusak"),
                ("q_jenis", "Retak"),
                ("title", "Jalan retak dekat sekolah"),
                (
                    "description",
                    "Saya Ni Luh Sekar, telepon 0812-3456-7890, email sekar@contoh.id. Jalan retak.",
                ),
                ("name", "Ni Luh Sekar"),
                ("email", "sekar@contoh.id"),
                ("phone", "081234567890"),
                ("confirm_new", "1"),
            ],
            &[],
        )
        .await;
    let (open_code, _) = TestApp::filed(&r);
    // and one over Open311 with contact fields
    let mut fields = good(&key);
    fields.extend([
        ("first_name", "Gede"),
        ("last_name", "Pramana"),
        ("email", "gede.pramana@contoh.id"),
        ("phone", "081999888777"),
    ]);
    let (s, body) = post(&app, "requests.json", &fields).await;
    assert_eq!(s, StatusCode::OK, "{body}");

    let mut all = String::new();
    for path in [
        "requests.json".to_string(),
        "requests.xml".to_string(),
        "requests.json?extensions=true".to_string(),
        "requests.xml?extensions=true".to_string(),
        format!("requests.json?service_request_id={secret_code},{open_code}"),
        format!("requests/{open_code}.json?extensions=true"),
        format!("requests/{open_code}.xml"),
        "requests.json?status=open&service_code=jalan-rusak".to_string(),
    ] {
        let (s, _, body) = get(&app, &path).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        all.push_str(&body);
    }
    assert!(all.contains(&open_code) && all.contains("Jalan retak"));
    assert!(!all.contains(&secret_code), "the rahasia code leaked");
    assert!(!all.contains("Pungutan liar"), "the rahasia title leaked");
    assert!(!all.contains("Pengawas proyek"), "the rahasia text leaked");
    for secret in [
        "Ni Luh Sekar",
        "0812-3456-7890",
        "081234567890",
        "sekar@contoh.id",
        "Gede",
        "Pramana",
        "gede.pramana@contoh.id",
        "081999888777",
    ] {
        assert!(!all.contains(secret), "{secret} left through Open311");
    }
    for path in [
        format!("requests/{secret_code}.json"),
        format!("requests/{secret_code}.xml"),
        format!("tokens/{secret_code}.json"),
    ] {
        let (s, _, body) = get(&app, &path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert!(!body.contains("Pungutan"));
    }
}

async fn extensions_page_filter_and_show_notes(app: TestApp) {
    let key = setup(&app).await;
    let mut codes = Vec::new();
    for i in 0..3 {
        let d = format!("Lubang nomor {i} di jalan desa, dalam sekali.");
        let mut f = good(&key);
        f.retain(|(k, _)| *k != "description");
        f.push(("description", &d));
        let (s, body) = post(&app, "requests.json", &f).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        codes.push(v[0]["service_request_id"].as_str().unwrap().to_string());
    }
    // paging, newest first
    let (_, p1) = get_json(&app, "requests.json?extensions=true&page_size=2").await;
    let (_, p2) = get_json(&app, "requests.json?extensions=true&page_size=2&page=2").await;
    assert_eq!(p1.as_array().unwrap().len(), 2);
    assert_eq!(p2.as_array().unwrap().len(), 1);
    assert_eq!(p2[0]["service_request_id"], codes[0].as_str());
    // without extensions paging is ignored and the plain shape kept
    let (_, plain) = get_json(&app, "requests.json?page_size=2").await;
    assert_eq!(plain.as_array().unwrap().len(), 3);
    assert!(plain[0].get("notes").is_none());
    let (s, e) = get_json(&app, "requests.json?extensions=true&page_size=5000").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e[0]["description"].as_str().unwrap().contains("page_size"));
    let (_, none) = get_json(
        &app,
        "requests.json?extensions=true&updated_after=2100-01-01T00:00:00Z",
    )
    .await;
    assert!(none.as_array().unwrap().is_empty());
    let (_, some) = get_json(
        &app,
        "requests.json?extensions=true&updated_after=2001-01-01T00:00:00%2B08:00",
    )
    .await;
    assert_eq!(some.as_array().unwrap().len(), 3);

    // a public note from staff becomes status_notes and a note
    app.login_admin().await;
    let id = app.request_id(&codes[0]).await;
    for fields in [
        &[
            ("action", "verify"),
            ("note", "catatan internal: cek ke lokasi"),
        ][..],
        &[
            ("action", "comment"),
            ("note", "Laporan sudah kami terima dan periksa."),
            ("public", "on"),
        ][..],
    ] {
        let r = app
            .post_form(&format!("/staf/laporan/{id}/aksi"), fields)
            .await;
        assert!(r.status().is_redirection(), "{fields:?}: {}", r.status());
    }
    app.logout().await;
    let (_, one) = get_json(&app, &format!("requests/{}.json?extensions=true", codes[0])).await;
    let r = &one[0];
    let notes = r["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 3, "{r}");
    assert_eq!(notes[0]["type"], "opened");
    assert_eq!(
        notes[2]["description"],
        "Laporan sudah kami terima dan periksa."
    );
    assert_eq!(r["status_notes"], "Laporan sudah kami terima dan periksa.");
    assert!(
        !one.to_string().contains("catatan internal"),
        "internal notes stay inside"
    );
    assert_eq!(r["extended_attributes"]["detailed_status"], "diverifikasi");
    assert_eq!(r["status"], "open");
    let (_, x) = get_xml(
        &app,
        &format!("requests/{}.xml?extensions=true", codes[0]),
        "service_requests",
    )
    .await;
    assert!(x.contains("<notes><note><datetime>"));
}

/// A real Open311 client, the PyPI package `georeport`, reads every method it has in JSON and
/// in XML from a demo server (`scripts/open311-georeport-check`). Needs python3 and, the first
/// time, PyPI; like the browser journeys, a missing piece fails the test instead of skipping.
#[test]
fn the_georeport_client_reads_every_method() {
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/open311-georeport-check");
    let out = std::process::Command::new(script)
        .env("KOTAPINTAR_BIN", env!("CARGO_BIN_EXE_kotapintar"))
        .output()
        .expect("run scripts/open311-georeport-check");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("every read method works in JSON and XML"),
        "{stdout}"
    );
}

async fn photos_come_as_multipart_media_and_leave_as_media_url(app: TestApp) {
    let key = setup(&app).await;
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in good(&key) {
        form = form.text(k.to_string(), v.to_string());
    }
    let photo = reqwest::multipart::Part::bytes(jpeg_with_gps(32, 24)).file_name("lubang.jpg");
    form = form.part("media", photo);
    let r = app
        .client
        .post(app.url("/open311/v2/requests.json"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let code = v[0]["service_request_id"].as_str().unwrap();
    let (_, one) = get_json(&app, &format!("requests/{code}.json")).await;
    let url = one[0]["media_url"]
        .as_str()
        .expect("a media_url")
        .to_string();
    let path = url
        .split_once("/foto/")
        .map(|(_, id)| format!("/foto/{id}"))
        .unwrap();
    assert!(url.starts_with("http"), "{url}");
    let (c, _) = app.new_visitor();
    let r = c.get(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
}

// ---------------------------------------------------------------------------------------
// mySociety's servicerequestupdates

/// Takes staff steps on a request as the admin (who may take every step), through the form.
pub(crate) async fn staff_steps(app: &TestApp, code: &str, steps: &[&[(&str, &str)]]) {
    app.login_admin().await;
    let id = app.request_id(code).await;
    for fields in steps {
        let r = app
            .post_form(&format!("/staf/laporan/{id}/aksi"), fields)
            .await;
        assert!(r.status().is_redirection(), "{fields:?}: {}", r.status());
    }
    app.logout().await;
}

pub(crate) async fn unit_id(app: &TestApp, code: &str) -> String {
    kotapintar_storage::units::find_by_code(&app.store.reader, code)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

/// Files a request over Open311 (with the reporter's contact) and returns its code.
pub(crate) async fn file_over_open311(app: &TestApp, key: &str) -> String {
    let mut fields = good(key);
    fields.extend([
        ("first_name", "Gede"),
        ("last_name", "Pramana"),
        ("email", "gede.pramana@contoh.id"),
        ("phone", "081999888777"),
    ]);
    let (s, body) = post(app, "requests.json", &fields).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    v[0]["service_request_id"].as_str().unwrap().to_string()
}

/// The updates of one request, in order.
pub(crate) async fn updates_of(app: &TestApp, query: &str, code: &str) -> Vec<Value> {
    let (s, v) = get_json(app, &format!("servicerequestupdates.json{query}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .filter(|u| u["service_request_id"] == code)
        .cloned()
        .collect()
}

pub(crate) fn update_fields<'a>(
    key: &'a str,
    code: &'a str,
    update_id: &'a str,
    status: &'a str,
    description: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("api_key", key),
        ("jurisdiction_id", "51.03"),
        ("service_request_id", code),
        ("update_id", update_id),
        ("updated_datetime", "2026-11-28T10:00:00+08:00"),
        ("status", status),
        ("description", description),
    ]
}

async fn updates_show_public_notes_and_status_changes_only(app: TestApp) {
    let key = setup(&app).await;
    let code = file_over_open311(&app, &key).await;
    let dpupr = unit_id(&app, "DPUPR").await;
    staff_steps(
        &app,
        &code,
        &[
            &[
                ("action", "verify"),
                ("note", "catatan internal: pelapor kerabat kadis"),
            ],
            &[("action", "dispatch"), ("units", &dpupr)],
            &[("action", "comment"), ("note", "rapat internal besok pagi")],
            &[
                ("action", "comment"),
                (
                    "note",
                    "Sudah kami periksa. Info: Gede Pramana 081999888777.",
                ),
                ("public", "on"),
            ],
            &[("action", "start"), ("note", "Tim berangkat ke lokasi.")],
            &[
                ("action", "resolve"),
                ("response", "Lubang sudah ditambal dengan aspal."),
            ],
        ],
    )
    .await;
    // a rahasia request moved along too, with a public note
    let r = app
        .file_request(
            &[
                ("kind", "pengaduan"),
                ("service_code", "jalan-rusak"),
                ("q_jenis", "Berlubang"),
                ("title", "Pungutan liar proyek jalan"),
                (
                    "description",
                    "Pengawas proyek meminta uang kepada warga sekitar.",
                ),
                ("confidential", "on"),
                ("confirm_new", "1"),
            ],
            &[],
        )
        .await;
    let (secret_code, _) = TestApp::filed(&r);
    staff_steps(
        &app,
        &secret_code,
        &[
            &[("action", "dispatch"), ("units", &dpupr)],
            &[
                ("action", "comment"),
                ("note", "Pungutan sedang diselidiki inspektorat."),
                ("public", "on"),
            ],
        ],
    )
    .await;

    let updates = updates_of(&app, "", &code).await;
    let got: Vec<(&str, &str)> = updates
        .iter()
        .map(|u| {
            (
                u["status"].as_str().unwrap(),
                u["description"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("open", ""),
            ("open", ""),
            (
                "open",
                // masks separated only by spaces become one (how many words is not told)
                "Sudah kami periksa. Info: [disembunyikan]."
            ),
            ("open", "Tim berangkat ke lokasi."),
            ("closed", "Lubang sudah ditambal dengan aspal."),
        ],
        "verify, dispatch, the public comment, start, resolve; not the internal comment"
    );
    for u in &updates {
        assert!(!u["update_id"].as_str().unwrap().is_empty());
        let t = u["updated_datetime"].as_str().unwrap();
        assert!(t.ends_with("+08:00"), "{t}");
    }
    // ids are stable
    let again = updates_of(&app, "", &code).await;
    assert_eq!(updates, again);
    let ids: std::collections::HashSet<_> =
        updates.iter().map(|u| u["update_id"].clone()).collect();
    assert_eq!(ids.len(), updates.len(), "ids are unique");

    // the extended statuses
    let ext = updates_of(&app, "?extensions=true", &code).await;
    let statuses: Vec<&str> = ext.iter().map(|u| u["status"].as_str().unwrap()).collect();
    assert_eq!(
        statuses,
        vec![
            "INVESTIGATING",
            "ACTION_SCHEDULED",
            "ACTION_SCHEDULED",
            "IN_PROGRESS",
            "FIXED"
        ]
    );
    assert_eq!(ext[4]["external_status_code"], "selesai");
    assert_eq!(ext[4]["update_id"], updates[4]["update_id"]);

    // the window, as FixMyStreet asks for it
    let now = chrono::Utc::now();
    let window = format!(
        "?start_date={}&end_date={}&api_key={key}&jurisdiction_id=51.03",
        (now - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        (now + chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
    );
    assert_eq!(updates_of(&app, &window, &code).await.len(), 5);
    let old = "?start_date=2001-01-01T00:00:00Z&end_date=2001-02-01T00:00:00Z";
    assert!(updates_of(&app, old, &code).await.is_empty());
    let (s, e) = get_json(&app, "servicerequestupdates.json?start_date=kemarin").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e[0]["description"].as_str().unwrap().contains("start_date"));

    // XML, and nothing private in either format
    let (s, x) = get_xml(&app, "servicerequestupdates.xml", "service_request_updates").await;
    assert_eq!(s, StatusCode::OK);
    assert!(x.contains("<request_update><update_id>"), "{x}");
    assert!(x.contains("<description>Lubang sudah ditambal dengan aspal.</description>"));
    let (_, x_ext) = get_xml(
        &app,
        "servicerequestupdates.xml?extensions=true",
        "service_request_updates",
    )
    .await;
    assert!(x_ext.contains("<status>FIXED</status>"));
    let (_, _, json) = get(&app, "servicerequestupdates.json?extensions=true").await;
    let all = format!("{json}{x}{x_ext}");
    assert!(all.contains(&code));
    for secret in [
        secret_code.as_str(),
        "Pungutan",
        "catatan internal",
        "kerabat kadis",
        "rapat internal",
        "Gede",
        "Pramana",
        "081999888777",
        "gede.pramana@contoh.id",
    ] {
        assert!(
            !all.contains(secret),
            "{secret} left through servicerequestupdates"
        );
    }
}

async fn a_client_moves_its_units_request_with_updates(app: TestApp) {
    let key = setup(&app).await;
    let code = file_over_open311(&app, &key).await;
    let dpupr = unit_id(&app, "DPUPR").await;
    staff_steps(&app, &code, &[&[("action", "dispatch"), ("units", &dpupr)]]).await;

    // work starts
    let fields = update_fields(
        &key,
        &code,
        "fms-1",
        "IN_PROGRESS",
        "Tim kami menuju lokasi.",
    );
    let (s, body) = post(&app, "servicerequestupdates.json", &fields).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let first = v[0]["update_id"].as_str().unwrap().to_string();
    let (_, one) = get_json(&app, &format!("requests/{code}.json?extensions=true")).await;
    assert_eq!(
        one[0]["extended_attributes"]["detailed_status"],
        "ditindaklanjuti"
    );

    // a public comment, sent twice (a retry): applied once, answered alike
    let fields = update_fields(&key, &code, "fms-2", "OPEN", "Aspal sudah kami pesan.");
    let (s, body) = post(&app, "servicerequestupdates.json", &fields).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, again) = post(&app, "servicerequestupdates.json", &fields).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(body, again);
    let (s, x) = post(&app, "servicerequestupdates.xml", &fields).await;
    assert_eq!(s, StatusCode::OK, "{x}");
    assert_well_formed(&x, "service_request_updates");
    let second: Value = serde_json::from_str(&body).unwrap();
    let second = second[0]["update_id"].as_str().unwrap().to_string();
    assert!(
        x.contains(&format!("<request_update><update_id>{second}</update_id>")),
        "{x}"
    );

    // resolved, in XML
    let fields = update_fields(
        &key,
        &code,
        "fms-3",
        "FIXED",
        "Lubang sudah ditambal hari ini.",
    );
    let (s, x) = post(&app, "servicerequestupdates.xml", &fields).await;
    assert_eq!(s, StatusCode::OK, "{x}");
    assert_well_formed(&x, "service_request_updates");
    let (_, one) = get_json(&app, &format!("requests/{code}.json?extensions=true")).await;
    assert_eq!(one[0]["status"], "closed");
    assert_eq!(one[0]["extended_attributes"]["detailed_status"], "selesai");
    let notes: Vec<&str> = one[0]["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["description"].as_str())
        .collect();
    assert_eq!(
        notes
            .iter()
            .filter(|n| **n == "Aspal sudah kami pesan.")
            .count(),
        1,
        "the replayed update was applied once: {notes:?}"
    );
    assert!(notes.contains(&"Lubang sudah ditambal hari ini."));

    // the updates feed names them with the ids the POSTs answered
    let updates = updates_of(&app, "?extensions=true", &code).await;
    let by_id = |id: &str| {
        updates
            .iter()
            .find(|u| u["update_id"] == id)
            .unwrap_or_else(|| panic!("{id} not in {updates:?}"))
            .clone()
    };
    assert_eq!(by_id(&first)["status"], "IN_PROGRESS");
    assert_eq!(by_id(&first)["description"], "Tim kami menuju lokasi.");
    assert_eq!(by_id(&second)["description"], "Aspal sudah kami pesan.");
    assert_eq!(updates.last().unwrap()["status"], "FIXED");

    // staff see the steps in the request's page, by the client's name
    app.login_admin().await;
    let id = app.request_id(&code).await;
    let (_, detail) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert!(detail.contains("Aspal sudah kami pesan."), "staff view");
    assert!(
        detail.contains("Lubang sudah ditambal hari ini."),
        "staff view"
    );
    app.logout().await;
    // and the public page
    let (_, page) = app.get_html(&format!("/laporan/{code}")).await;
    assert!(page.contains("Aspal sudah kami pesan."), "public timeline");

    // a step the workflow does not allow now: 400 (the spec has no 409)
    let fields = update_fields(&key, &code, "fms-4", "IN_PROGRESS", "Dikerjakan lagi.");
    let (s, body) = post(&app, "servicerequestupdates.json", &fields).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        errors(&body)[0].1.contains("cannot be applied now"),
        "{body}"
    );
    let fields = update_fields(&key, &code, "fms-5", "OPEN", "Dibuka lagi.");
    let (s, body) = post(&app, "servicerequestupdates.json", &fields).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(errors(&body)[0].1.contains("reporter"), "{body}");
}

async fn updates_are_refused_as_the_spec_says(app: TestApp) {
    let key = setup(&app).await;
    app.login_admin().await;
    app.create_unit("DLH", "Dinas Lingkungan Hidup").await;
    app.logout().await;
    let ours = file_over_open311(&app, &key).await;
    let theirs = file_over_open311(&app, &key).await;
    let (dpupr, dlh) = (unit_id(&app, "DPUPR").await, unit_id(&app, "DLH").await);
    staff_steps(&app, &ours, &[&[("action", "dispatch"), ("units", &dpupr)]]).await;
    staff_steps(&app, &theirs, &[&[("action", "dispatch"), ("units", &dlh)]]).await;
    let text = "Lubang sudah ditambal hari ini.";

    // another unit's request
    let fields = update_fields(&key, &theirs, "u-1", "FIXED", text);
    let (s, body) = post(&app, "servicerequestupdates.json", &fields).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(
        errors(&body)[0]
            .1
            .contains("not handled by this client's unit"),
        "{body}"
    );
    let (s, body) = post(&app, "servicerequestupdates.xml", &fields).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_well_formed(&body, "errors");
    assert!(body.contains("<code>403</code>"));
    // rejecting is the central desk's
    let fields = update_fields(&key, &ours, "u-2", "NOT_COUNCILS_RESPONSIBILITY", text);
    let (s, body) = post(&app, "servicerequestupdates.json", &fields).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(errors(&body)[0].1.contains("central desk"), "{body}");

    // keys
    let bad = format!("kp_1_{}", "0".repeat(64));
    let fields = update_fields(&bad, &ours, "u-3", "FIXED", text);
    let (s, body) = post(&app, "servicerequestupdates.json", &fields).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        errors(&body),
        vec![(403, "api_key is not valid".to_string())]
    );
    let no_key: Vec<_> = update_fields(&key, &ours, "u-3", "FIXED", text)
        .into_iter()
        .filter(|(k, _)| *k != "api_key")
        .collect();
    let (s, body) = post(&app, "servicerequestupdates.xml", &no_key).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(body.contains("api_key is missing"));

    // unknown requests
    for unknown in ["BDG-26-ZZZZZ", "bukan-kode"] {
        let fields = update_fields(&key, unknown, "u-4", "FIXED", text);
        let (s, body) = post(&app, "servicerequestupdates.json", &fields).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
        assert!(errors(&body)[0].1.contains(unknown), "{body}");
    }
    // a rahasia request of another unit is unknown, not forbidden
    let r = app
        .file_request(
            &[
                ("kind", "pengaduan"),
                ("service_code", "jalan-rusak"),
                ("q_jenis", "Berlubang"),
                ("title", "Pungutan liar proyek jalan"),
                ("description", "Pengawas proyek meminta uang kepada warga."),
                ("confidential", "on"),
                ("confirm_new", "1"),
            ],
            &[],
        )
        .await;
    let (secret_code, _) = TestApp::filed(&r);
    staff_steps(
        &app,
        &secret_code,
        &[&[("action", "dispatch"), ("units", &dlh)]],
    )
    .await;
    let fields = update_fields(&key, &secret_code, "u-5", "FIXED", text);
    let (s, body) = post(&app, "servicerequestupdates.json", &fields).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");

    // missing fields, each named; an unknown status
    let (s, body) = post(
        &app,
        "servicerequestupdates.json",
        &[("api_key", key.as_str())],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let named: Vec<String> = errors(&body).into_iter().map(|(_, d)| d).collect();
    assert_eq!(
        named,
        [
            "service_request_id",
            "update_id",
            "updated_datetime",
            "status",
            "description"
        ]
        .map(|f| format!("{f} is required"))
    );
    let fields = update_fields(&key, &ours, "u-6", "SELESAI", text);
    let (s, body) = post(&app, "servicerequestupdates.json", &fields).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(errors(&body)[0].1.contains("is not one of OPEN"), "{body}");
    let mut fields = update_fields(&key, &ours, "u-6", "FIXED", text);
    fields.retain(|(k, _)| *k != "updated_datetime");
    fields.push(("updated_datetime", "kemarin"));
    let (s, body) = post(&app, "servicerequestupdates.json", &fields).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(errors(&body)[0].1.contains("updated_datetime"), "{body}");

    // a refused update changed nothing, so it may be corrected and sent again
    let fields = update_fields(&key, &ours, "u-7", "FIXED", "Beres.");
    let (s, body) = post(&app, "servicerequestupdates.json", &fields).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(
        errors(&body)[0].1.starts_with("description is too short"),
        "{body}"
    );
    let fields = update_fields(&key, &ours, "u-7", "FIXED", text);
    let (s, body) = post(&app, "servicerequestupdates.json", &fields).await;
    assert_eq!(s, StatusCode::OK, "{body}");

    // nothing happened to the other unit's request
    let (_, one) = get_json(&app, &format!("requests/{theirs}.json?extensions=true")).await;
    assert_eq!(
        one[0]["extended_attributes"]["detailed_status"],
        "didisposisikan"
    );
}
