//! The API's contract as an outside client meets it (issue 18, /api/v1): bounded parameters,
//! Idempotency-Key bound to its request, problem+json for every error with documented types,
//! the scope checked before the body, every wrong field reported, integral floats accepted,
//! and who holds a request a unit's application filed. Each test was written against the
//! defect first.

use crate::harness::TestApp;
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::clients;
use reqwest::StatusCode;
use serde_json::{json, Value};

both_backends!(
    numeric_parameters_are_bounded_and_never_overflow,
    an_idempotency_key_is_bound_to_its_request,
    every_error_is_problem_json_with_a_documented_type,
    the_scope_is_checked_before_the_body_is_read,
    every_field_of_the_wrong_type_is_reported,
    an_integral_float_is_accepted_for_an_integer,
    a_request_filed_by_an_application_is_the_desks_until_dispatched,
    a_photo_upload_refuses_parts_other_than_photo,
    tags_are_a_checked_list_never_split_or_merged,
    the_served_document_states_the_body_rules,
    a_claim_whose_answer_was_never_recorded_lapses,
);

async fn client(app: &TestApp, name: &str, scopes: &str) -> String {
    clients::create(
        &app.store,
        &AuditActor::System("test".into()),
        name,
        "DPUPR",
        scopes,
        6000,
    )
    .await
    .unwrap()
    .token
}

async fn unit(app: &TestApp) {
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.logout().await;
}

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    /// A problem+json answer with this status; its body.
    fn problem(&self, status: StatusCode) -> Value {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.headers["content-type"], "application/problem+json",
            "{}",
            self.text
        );
        let p = self.json();
        assert_eq!(p["status"], status.as_u16(), "{p}");
        assert!(
            p["type"].as_str().unwrap().starts_with("/api/v1/problems/"),
            "{p}"
        );
        p
    }

    fn fields(&self) -> Vec<String> {
        let mut f: Vec<String> = self.json()["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["field"].as_str().unwrap_or_default().to_string())
                    .collect()
            })
            .unwrap_or_default();
        f.sort();
        f
    }
}

async fn send(req: reqwest::RequestBuilder) -> Answer {
    let r = req.send().await.unwrap();
    let (status, headers) = (r.status(), r.headers().clone());
    Answer {
        status,
        headers,
        text: r.text().await.unwrap_or_default(),
    }
}

async fn get(app: &TestApp, token: &str, path: &str) -> Answer {
    let (c, _) = app.new_visitor();
    send(c.get(app.url(path)).bearer_auth(token)).await
}

async fn post(app: &TestApp, token: &str, path: &str, key: Option<&str>, body: &str) -> Answer {
    let (c, _) = app.new_visitor();
    let mut req = c
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    send(req).await
}

async fn numeric_parameters_are_bounded_and_never_overflow(app: TestApp) {
    unit(&app).await;
    let token = client(&app, "sim", "requests:read events:read").await;
    // the first panicked in the SQLite binder and dropped the connection; the second
    // wrapped around to page 0
    for page in [
        "184467440737095517",
        "9223372036854775808",
        "-1",
        "abc",
        "1000001",
    ] {
        let a = get(&app, &token, &format!("/api/v1/requests?page={page}")).await;
        a.problem(StatusCode::BAD_REQUEST);
        assert_eq!(a.fields(), ["page"], "{page}: {}", a.text);
    }
    let a = get(&app, &token, "/api/v1/requests?page=1000000").await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "the last page is a page: {}",
        a.text
    );
    let a = get(
        &app,
        &token,
        "/api/v1/requests?cursor=99999999999999999999&page=x",
    )
    .await;
    a.problem(StatusCode::BAD_REQUEST);
    assert_eq!(a.fields(), ["cursor", "page"]);
    let a = get(&app, &token, "/api/v1/events?after=-1&limit=0&wait=31").await;
    a.problem(StatusCode::BAD_REQUEST);
    assert_eq!(a.fields(), ["after", "limit", "wait"]);
    let a = get(&app, &token, "/api/v1/events?limit=1001").await;
    assert_eq!(a.fields(), ["limit"]);
    // and the server still answers
    let a = get(&app, &token, "/api/v1/requests").await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
}

async fn an_idempotency_key_is_bound_to_its_request(app: TestApp) {
    unit(&app).await;
    app.import_areas().await;
    let token = client(
        &app,
        "sim",
        "requests:read requests:write events:read content:write",
    )
    .await;
    let filing = |title: &str| {
        json!({
            "kind": "pengaduan",
            "title": title,
            "description": "Lubang besar di depan balai banjar, berbahaya malam hari.",
            "district_code": "51.03.01",
            "contact": { "name": "Komang", "phone": "081234500000" }
        })
        .to_string()
    };
    let first = post(
        &app,
        &token,
        "/api/v1/requests",
        Some("k-1"),
        &filing("Jalan berlubang"),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    // the same key with another body: refused, and the new request is not silently dropped
    // behind a replayed 201
    let other = post(
        &app,
        &token,
        "/api/v1/requests",
        Some("k-1"),
        &filing("Lampu jalan mati"),
    )
    .await;
    let p = other.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["type"], "/api/v1/problems/idempotency-key-mismatch");
    // the same key on another endpoint: no replay of the first answer (a webhook's secret
    // came back from POST /content)
    let hook = post(
        &app,
        &token,
        "/api/v1/webhooks",
        Some("w-1"),
        &json!({"url": "https://example.org/hook"}).to_string(),
    )
    .await;
    assert!(
        hook.status == StatusCode::CREATED || hook.status == StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        hook.text
    );
    let content = post(
        &app,
        &token,
        "/api/v1/content",
        Some("w-1"),
        &json!({"kind": "berita", "title": "Kerja bakti"}).to_string(),
    )
    .await;
    let p = content.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["type"], "/api/v1/problems/idempotency-key-mismatch");
    assert!(!content.text.contains("secret"), "{}", content.text);
    let content = post(
        &app,
        &token,
        "/api/v1/requests",
        Some("k-1"),
        &filing("Jalan berlubang"),
    )
    .await;
    // the same request again: the first answer
    assert_eq!(content.status, StatusCode::CREATED);
    assert_eq!(content.headers["idempotent-replay"], "true");
    assert_eq!(
        content.json()["tracking_code"],
        first.json()["tracking_code"]
    );
    use sea_orm::{EntityTrait, PaginatorTrait};
    assert_eq!(
        kotapintar_storage::entity::request::Entity::find()
            .count(&app.store.reader)
            .await
            .unwrap(),
        1
    );
}

async fn every_error_is_problem_json_with_a_documented_type(app: TestApp) {
    unit(&app).await;
    let token = client(&app, "sim", "requests:read requests:write events:read").await;
    // an unknown path under /api/v1: JSON, not the site's HTML page
    for path in ["/api/v1/nope", "/api/v1/requests/X/unknown", "/api/v1"] {
        let a = get(&app, &token, path).await;
        let p = a.problem(StatusCode::NOT_FOUND);
        assert_eq!(p["type"], "/api/v1/problems/not-found", "{path}");
    }
    // a method the path does not have: 405 with a body and Allow
    let (c, _) = app.new_visitor();
    let a = send(c.delete(app.url("/api/v1/units")).bearer_auth(&token)).await;
    let p = a.problem(StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(p["type"], "/api/v1/problems/method-not-allowed");
    assert!(a.headers["allow"].to_str().unwrap().contains("GET"));
    // a path value that is not a number
    let a = send(
        c.delete(app.url("/api/v1/webhooks/abc"))
            .bearer_auth(&token),
    )
    .await;
    a.problem(StatusCode::BAD_REQUEST);
    assert_eq!(a.fields(), ["id"]);
    // a photo upload that is not multipart
    let a = post(
        &app,
        &token,
        "/api/v1/requests/BDG-26-AAAAA/photos",
        None,
        "{}",
    )
    .await;
    let p = a.problem(StatusCode::BAD_REQUEST);
    assert_eq!(p["type"], "/api/v1/problems/malformed");
    // a query string that does not parse
    let a = get(&app, &token, "/api/v1/requests?page=abc").await;
    a.problem(StatusCode::BAD_REQUEST);
    // every type URI leads to its documentation, and the index lists them all
    let (c, _) = app.new_visitor();
    let index = send(c.get(app.url("/api/v1/problems"))).await;
    assert_eq!(index.status, StatusCode::OK);
    for t in [
        "unauthorized",
        "scope",
        "not-found",
        "method-not-allowed",
        "malformed",
        "invalid-parameter",
        "invalid",
        "idempotency-key-mismatch",
        "rate-limit",
        "unavailable",
    ] {
        assert!(index.text.contains(&format!("/api/v1/problems/{t}")), "{t}");
        let one = send(c.get(app.url(&format!("/api/v1/problems/{t}")))).await;
        assert_eq!(one.status, StatusCode::OK, "{t}");
        assert!(one.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert!(one.text.contains(t));
    }
    let a = send(c.get(app.url("/api/v1/problems/nothing-like-this"))).await;
    a.problem(StatusCode::NOT_FOUND);
}

async fn the_scope_is_checked_before_the_body_is_read(app: TestApp) {
    unit(&app).await;
    let reader = client(&app, "dashboard", "requests:read").await;
    for (path, body) in [
        ("/api/v1/requests", "{not json"),
        ("/api/v1/requests", r#"{"title": 5}"#),
        ("/api/v1/requests/BDG-26-AAAAA/steps", "[]"),
        ("/api/v1/requests/BDG-26-AAAAA/photos", "not multipart"),
        ("/api/v1/webhooks", "{}"),
        ("/api/v1/content", "{"),
        ("/api/v1/content/abc/progress", "{"),
    ] {
        let a = post(&app, &reader, path, None, body).await;
        let p = a.problem(StatusCode::FORBIDDEN);
        assert_eq!(p["type"], "/api/v1/problems/scope", "{path}");
    }
}

async fn every_field_of_the_wrong_type_is_reported(app: TestApp) {
    unit(&app).await;
    let token = client(&app, "sim", "requests:write").await;
    let a = post(
        &app,
        &token,
        "/api/v1/requests",
        None,
        r#"{"kind": "pengaduan", "title": 5, "latitude": "x", "contact": {"email": 3}, "anonymous": "yes"}"#,
    )
    .await;
    let p = a.problem(StatusCode::BAD_REQUEST);
    assert_eq!(
        a.fields(),
        ["anonymous", "contact.email", "latitude", "title"],
        "{p}"
    );
    assert!(p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["code"] == "invalid_type" && e["message"].is_string()));
}

async fn an_integral_float_is_accepted_for_an_integer(app: TestApp) {
    unit(&app).await;
    let token = client(&app, "sim", "content:write").await;
    let today = app.local_today();
    let body = |ceiling: &str| {
        format!(
            r#"{{"kind": "proyek", "title": "Drainase Jalan Raya Sesetan", "sector": "Drainase", "fund_source": "apbd", "budget_ceiling": {ceiling}, "planned_start": "{}", "planned_end": "{}", "project_status": "running"}}"#,
            today - chrono::Duration::days(30),
            today + chrono::Duration::days(60)
        )
    };
    let a = post(&app, &token, "/api/v1/content", None, &body("5075731.0")).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let a = post(&app, &token, "/api/v1/content", None, &body("5075731.5")).await;
    a.problem(StatusCode::BAD_REQUEST);
    assert_eq!(a.fields(), ["budget_ceiling"]);
}

/// Decided and documented (the API's description): a request a unit's application files is
/// verified and dispatched by the central desk like every other; the filing client sees its
/// answer (with the resident's follow-up link) but acts on it only once it is dispatched to
/// its unit. Until then a step is 403 problem+json, not a silent failure.
async fn a_request_filed_by_an_application_is_the_desks_until_dispatched(app: TestApp) {
    unit(&app).await;
    app.import_areas().await;
    let token = client(&app, "sim", "requests:read requests:write").await;
    let filed = post(
        &app,
        &token,
        "/api/v1/requests",
        None,
        &json!({
            "kind": "pengaduan",
            "title": "Jalan berlubang",
            "description": "Lubang besar di depan balai banjar, berbahaya malam hari.",
            "district_code": "51.03.01",
            "contact": { "name": "Komang", "phone": "081234500000" }
        })
        .to_string(),
    )
    .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.text);
    let code = filed.json()["tracking_code"].as_str().unwrap().to_string();
    let step =
        json!({"action": "comment", "note": "Tim kami sudah mencatat laporan ini."}).to_string();
    let a = post(
        &app,
        &token,
        &format!("/api/v1/requests/{code}/steps"),
        None,
        &step,
    )
    .await;
    let p = a.problem(StatusCode::FORBIDDEN);
    assert_eq!(p["type"], "/api/v1/problems/forbidden");
    app.login_admin().await;
    let id = app.request_id(&code).await;
    app.dispatch(id, "DPUPR").await;
    let a = post(
        &app,
        &token,
        &format!("/api/v1/requests/{code}/steps"),
        None,
        &step,
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
}

/// Found by schemathesis: a part other than `photo` was silently ignored (so a client's
/// misspelt `photos` part was dropped without a word). It is refused like an unknown JSON
/// field, 422 naming the part, and nothing is added.
async fn a_photo_upload_refuses_parts_other_than_photo(app: TestApp) {
    unit(&app).await;
    let token = client(&app, "sim", "requests:read requests:write").await;
    let filed = post(
        &app,
        &token,
        "/api/v1/requests",
        None,
        &json!({
            "kind": "pengaduan",
            "title": "Lampu jalan mati",
            "description": "Tiga lampu jalan mati sejak minggu lalu."
        })
        .to_string(),
    )
    .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.text);
    let code = filed.json()["tracking_code"].as_str().unwrap().to_string();
    let (c, _) = app.new_visitor();
    let form = reqwest::multipart::Form::new()
        .part(
            "photos",
            reqwest::multipart::Part::bytes(b"not an image".to_vec()).file_name("a.jpg"),
        )
        .text("caption", "depan balai banjar");
    let a = send(
        c.post(app.url(&format!("/api/v1/requests/{code}/photos")))
            .bearer_auth(&token)
            .multipart(form),
    )
    .await;
    let p = a.problem(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(a.fields(), ["caption", "photo", "photos"], "{p}");
    let codes: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"unknown_field") && codes.contains(&"required"),
        "{p}"
    );
    let r = get(&app, &token, &format!("/api/v1/requests/{code}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(
        !r.text.contains("/media/"),
        "no photo was added: {}",
        r.text
    );
}

/// Found by schemathesis: `tags` is a list in the API but was joined with commas and split
/// again as the staff form's text, so `["a,b"]` became two tags and a 13th tag or a 41-character
/// one was refused with a field name the client never sent. The list is now checked as the
/// document says, each error naming its item, and nothing is stored.
async fn tags_are_a_checked_list_never_split_or_merged(app: TestApp) {
    unit(&app).await;
    let token = client(&app, "sim", "content:write").await;
    let body = |tags: Value| {
        json!({ "kind": "berita", "title": "Jalan baru dibuka", "body": "Isi.", "tags": tags })
            .to_string()
    };
    let many: Vec<String> = (0..13).map(|i| format!("tag{i}")).collect();
    let cases = [
        (json!(["pasar,jalan"]), vec!["tags[0]"], "invalid_tag"),
        (json!(["ok", "x".repeat(41)]), vec!["tags[1]"], "too_long"),
        (json!(many), vec!["tags"], "too_many_tags"),
    ];
    for (tags, fields, code) in cases {
        let a = post(&app, &token, "/api/v1/content", None, &body(tags.clone())).await;
        let p = a.problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(a.fields(), fields, "{tags}: {p}");
        assert_eq!(p["errors"][0]["code"], code, "{p}");
    }
    let listed = get(&app, &token, "/api/v1/content").await;
    assert_eq!(listed.json(), json!([]), "nothing stored: {}", listed.text);
    let twelve: Vec<String> = (0..12).map(|i| format!("tag{i}")).collect();
    let a = post(&app, &token, "/api/v1/content", None, &body(json!(twelve))).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
}

/// The rules schemathesis found unstated are in the document the server serves: blank text,
/// formats, what each kind of item requires, coordinate pairs, event kinds, and only `photo`
/// parts; and each stated rule is one the server enforces (a body breaking it is refused).
async fn the_served_document_states_the_body_rules(app: TestApp) {
    unit(&app).await;
    let (c, _) = app.new_visitor();
    let doc = send(c.get(app.url("/api/v1/openapi.json"))).await.json();
    let s = &doc["components"]["schemas"];
    assert!(s["NewRequestBody"]["properties"]["title"]["pattern"].is_string());
    assert!(s["ContactBody"]["properties"]["email"]["pattern"].is_string());
    assert_eq!(s["PhotoUpload"]["additionalProperties"], false);
    // an article ignores a project's fields, whatever their value: the base schema must not
    // refuse them (schemathesis found an article's out-of-range `lon` refused by the schema
    // and accepted by the server)
    for f in ["lat", "lon", "budget_ceiling", "contract_value"] {
        assert!(
            s["ContentBody"]["properties"][f]["minimum"].is_null(),
            "{f}"
        );
    }
    assert!(s["ContentBody"]["properties"]["fund_source"]["enum"].is_null());
    let content_rules = s["ContentBody"]["allOf"].to_string();
    assert!(content_rules.contains("agenda") && content_rules.contains("proyek"));
    let kinds = s["WebhookBody"]["properties"]["event_types"]["items"]["enum"].to_string();
    assert!(kinds.contains("request.dispatch"), "{kinds}");
    let token = client(&app, "sim", "requests:write content:write").await;
    for (path, body, field) in [
        (
            "/api/v1/requests",
            json!({"kind": "aspirasi", "title": " \u{3000}", "description": "Taman kota perlu lampu."}),
            "title",
        ),
        (
            "/api/v1/requests",
            json!({"kind": "aspirasi", "title": "Taman", "description": "  pendek   "}),
            "description",
        ),
        (
            "/api/v1/requests",
            json!({"kind": "aspirasi", "title": "Taman", "description": "Taman kota perlu lampu.", "latitude": -8.6}),
            "longitude",
        ),
        (
            "/api/v1/content",
            json!({"kind": "agenda", "title": "Rapat"}),
            "place",
        ),
        (
            "/api/v1/content",
            json!({"kind": "proyek", "title": "Jalan", "sector": "Jalan", "fund_source": "apbd", "budget_ceiling": 5, "planned_start": "2026-01-01", "planned_end": "2026-02-01", "project_status": "running", "lat": -8.6}),
            "lon",
        ),
    ] {
        let a = post(&app, &token, path, None, &body.to_string()).await;
        a.problem(StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            a.fields().contains(&field.to_string()),
            "{body}: {}",
            a.text
        );
    }
    let article =
        json!({"kind": "berita", "title": "Pasar dibuka", "lon": -1e300, "fund_source": "x"});
    let a = post(&app, &token, "/api/v1/content", None, &article.to_string()).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
}

/// schemathesis (PyPI, 4.32.5) over every operation of /api/v1 against a live demo server on
/// this database, with a client token (all checks: negative data, response schema
/// conformance, and the narrowing check in scripts/schemathesis/hooks.py) and without one:
/// 0 failures (`scripts/api-schemathesis`). A missing Python or PyPI fails the test.
async fn schemathesis_finds_nothing(backend: kotapintar_storage::Backend) {
    let db = crate::harness::TestDb::create(backend).await;
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/api-schemathesis");
    let out = tokio::process::Command::new(script)
        .env("KOTAPINTAR_BIN", env!("CARGO_BIN_EXE_kotapintar"))
        .env("KOTAPINTAR_DATABASE_URL", &db.url)
        .output()
        .await
        .expect("run scripts/api-schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("schemathesis: 0 failures with and without a token"),
        "{stdout}"
    );
    // both runs reached every operation
    assert_eq!(
        stderr.matches("Tested: 15").count() + stdout.matches("Tested: 15").count(),
        2,
        "{stdout}\n{stderr}"
    );
}

#[tokio::test]
async fn schemathesis_over_every_operation_finds_nothing_sqlite() {
    schemathesis_finds_nothing(kotapintar_storage::Backend::Sqlite).await;
}

#[tokio::test]
async fn schemathesis_over_every_operation_finds_nothing_postgres() {
    schemathesis_finds_nothing(kotapintar_storage::Backend::Postgres).await;
}

/// A call whose answer could not be recorded (a 503 on a full disk whose release failed too, or
/// a process stopped mid-call) leaves its key claimed with no answer. The client was told to
/// send the same call again with the same key: it gets "in progress" while the claim may still
/// be running, and once the claim's lease is over the call runs, once.
async fn a_claim_whose_answer_was_never_recorded_lapses(app: TestApp) {
    use kotapintar_storage::entity::{idempotency_key as ik, integration_client, request};
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
    unit(&app).await;
    app.import_areas().await;
    let token = client(&app, "sim", "requests:read requests:write").await;
    let client_id = integration_client::Entity::find()
        .filter(integration_client::Column::Name.eq("sim"))
        .one(&app.store.reader)
        .await
        .unwrap()
        .unwrap()
        .id;
    let claim = ik::ActiveModel {
        client_id: Set(client_id),
        key: Set("k-abandoned".into()),
        status: Set(0),
        body: Set(String::new()),
        request: Set(None),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.store.writer)
    .await
    .unwrap();
    let body = json!({
        "kind": "pengaduan",
        "title": "Saluran air tersumbat di gang",
        "description": "Air meluap ke jalan setiap hujan sejak minggu lalu.",
        "district_code": "51.03.01",
    })
    .to_string();
    let filed = || async {
        request::Entity::find()
            .filter(request::Column::Title.eq("Saluran air tersumbat di gang"))
            .count(&app.store.reader)
            .await
            .unwrap()
    };
    // a claim of a minute ago may still be running
    let mut stale: ik::ActiveModel = claim.into();
    stale.created_at = Set(chrono::Utc::now() - chrono::Duration::seconds(60));
    let claim = stale.update(&app.store.writer).await.unwrap();
    let a = post(&app, &token, "/api/v1/requests", Some("k-abandoned"), &body).await;
    let p = a.problem(StatusCode::CONFLICT);
    assert_eq!(p["type"], "/api/v1/problems/in-progress", "{}", a.text);
    assert_eq!(filed().await, 0);
    // past the lease it is abandoned: the retry runs, and is then replayed, not run again
    let mut stale: ik::ActiveModel = claim.into();
    stale.created_at = Set(chrono::Utc::now() - chrono::Duration::seconds(600));
    stale.update(&app.store.writer).await.unwrap();
    let a = post(&app, &token, "/api/v1/requests", Some("k-abandoned"), &body).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let again = post(&app, &token, "/api/v1/requests", Some("k-abandoned"), &body).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text);
    assert_eq!(again.headers["idempotent-replay"], "true");
    assert_eq!(again.text, a.text);
    assert_eq!(filed().await, 1, "filed once");
}
