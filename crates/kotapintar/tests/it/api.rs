//! The API for the units' applications: client tokens, scopes, rate limits, problem+json, and
//! the event feed that every request step writes to.

use crate::harness::TestApp;
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::clients;
use reqwest::StatusCode;
use serde_json::Value;

both_backends!(
    a_unit_application_publishes_to_the_portal,
    clients_are_registered_in_the_staff_area_and_the_token_shown_once,
    bad_tokens_scopes_and_cursors_get_problem_json,
    the_event_feed_follows_a_request_through_the_workflow,
    rate_limits_answer_429_with_retry_after,
    rotated_and_revoked_tokens_stop_working,
    a_unit_application_files_reads_and_resolves_requests,
    webhooks_are_signed_retried_and_logged,
    cached_public_lists_change_with_the_first_new_event,
    the_example_unit_application_works_end_to_end,
    the_api_is_described_and_documented,
    reference_data_for_applications,
    the_application_registry_shows_integration_health,
    applications_assign_attach_and_page_by_cursor,
);

async fn get_json(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let (c, _) = app.new_visitor();
    let mut req = c.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let (s, h) = (r.status(), r.headers().clone());
    (s, h, r.json().await.unwrap_or(Value::Null))
}

async fn unit_and_client(app: &TestApp, scopes: &str, rate: i32) -> String {
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.logout().await;
    clients::create(
        &app.store,
        &AuditActor::System("test".into()),
        "SIMJALAN",
        "DPUPR",
        scopes,
        rate,
    )
    .await
    .unwrap()
    .token
}

async fn clients_are_registered_in_the_staff_area_and_the_token_shown_once(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    let r = app
        .post_form(
            "/staf/klien",
            &[
                ("name", "SIMJALAN"),
                ("unit_code", "DPUPR"),
                ("scopes", "requests:delete"),
                ("rate_limit_per_minute", "600"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Cakupan tidak dikenal"));
    let r = app
        .post_form(
            "/staf/klien",
            &[
                ("name", "SIMJALAN"),
                ("unit_code", "DPUPR"),
                ("scopes", "events:read"),
                ("scopes", "requests:read"),
                ("rate_limit_per_minute", "600"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    let token = html
        .split("id=\"issued-token\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .to_string();
    assert!(token.starts_with("kp_"));
    let (_, list) = app.get_html("/staf/klien").await;
    assert!(
        list.contains("SIMJALAN") && !list.contains(&token),
        "the secret is shown once only"
    );
    let (s, _, body) = get_json(&app, Some(&token), "/api/v1/events").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // the secret is stored only as a hash
    let stored = kotapintar_storage::entity::integration_client::Entity::find()
        .all(&app.store.reader)
        .await
        .unwrap();
    assert!(!stored[0]
        .secret_hash
        .contains(token.rsplit('_').next().unwrap()));
}

use sea_orm::EntityTrait;

async fn bad_tokens_scopes_and_cursors_get_problem_json(app: TestApp) {
    let token = unit_and_client(&app, "requests:read", 600).await;
    let (s, h, body) = get_json(&app, None, "/api/v1/events").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(h["content-type"], "application/problem+json");
    assert_eq!(h["www-authenticate"], "Bearer");
    assert_eq!(body["status"], 401);
    // the same token with its last character changed (to something it was not)
    let last = if token.ends_with('0') { '1' } else { '0' };
    let wrong = format!("{}{last}", &token[..token.len() - 1]);
    let (s, _, _) = get_json(&app, Some(&wrong), "/api/v1/events").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "a wrong secret");
    let (s, _, body) = get_json(&app, Some(&token), "/api/v1/events").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(body["detail"].as_str().unwrap().contains("events:read"));
    let good = clients::create(
        &app.store,
        &AuditActor::System("test".into()),
        "feed",
        "DPUPR",
        "events:read",
        600,
    )
    .await
    .unwrap()
    .token;
    let (s, _, body) = get_json(&app, Some(&good), "/api/v1/events?after=abc&limit=5000").await;
    // a bad query parameter is 400 invalid-parameter, as every parameter of the API
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["after", "limit"]);
    assert!(body["errors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("cursor"));
}

async fn the_event_feed_follows_a_request_through_the_workflow(app: TestApp) {
    let token = unit_and_client(&app, "events:read", 600).await;
    app.import_areas().await;
    app.login_admin().await;
    app.create_user("verifikator", "verifier", "", "verifikator-123")
        .await;
    app.logout().await;
    let r = app
        .file_request(
            &[
                ("kind", "pengaduan"),
                ("title", "Jalan retak"),
                (
                    "description",
                    "Retak panjang di badan jalan dekat jembatan.",
                ),
                ("name", "Putu Rahasia"),
                ("email", "putu@contoh.id"),
                ("confidential", "on"),
                ("confirm_new", "1"),
            ],
            &[],
        )
        .await;
    let (code, _) = TestApp::filed(&r);
    let id = app.request_id(&code).await;
    // not dispatched yet: nothing for the unit
    let (_, _, body) = get_json(&app, Some(&token), "/api/v1/events").await;
    assert_eq!(body["events"].as_array().unwrap().len(), 0);
    let cursor = body["next_cursor"].as_i64().unwrap();
    app.login("verifikator", "verifikator-123").await;
    let unit = kotapintar_storage::units::find_by_code(&app.store.reader, "DPUPR")
        .await
        .unwrap()
        .unwrap();
    app.post_form(
        &format!("/staf/laporan/{id}/aksi"),
        &[
            ("action", "dispatch"),
            ("units", &unit.id.to_string()),
            ("note", "untuk PUPR"),
        ],
    )
    .await;
    app.post_form(
        &format!("/staf/laporan/{id}/aksi"),
        &[
            ("action", "comment"),
            ("note", "catatan internal saja"),
            ("public", ""),
        ],
    )
    .await;
    let (s, _, body) = get_json(
        &app,
        Some(&token),
        &format!("/api/v1/events?after={cursor}"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let events = body["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["request.dispatch", "request.comment"]);
    assert_eq!(events[0]["subject_id"], code.as_str());
    assert_eq!(events[0]["data"]["status"], "didisposisikan");
    assert_eq!(events[0]["data"]["note"], "untuk PUPR");
    assert_eq!(
        events[1]["data"]["note"],
        Value::Null,
        "internal notes stay out of the feed"
    );
    let text = body.to_string();
    for secret in ["Putu Rahasia", "putu@contoh.id"] {
        assert!(!text.contains(secret), "{secret} in the feed");
    }
    let next = body["next_cursor"].as_i64().unwrap();
    assert!(next > cursor);
    // long-polling: nothing new, the call waits and then answers with the same cursor
    let started = std::time::Instant::now();
    let (_, _, body) = get_json(
        &app,
        Some(&token),
        &format!("/api/v1/events?after={next}&wait=1"),
    )
    .await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
    assert_eq!(body["next_cursor"].as_i64(), Some(next));
    // cursors grow with every event, in order
    let all = kotapintar_storage::events::after(&app.store.reader, 0, None, 100)
        .await
        .unwrap();
    assert!(all.windows(2).all(|w| w[1].seq == w[0].seq + 1));
    // (the platform's own events, such as a unit's profile saved, come before it)
    let first_request = all.iter().find(|e| e.subject_type == "request").unwrap();
    assert_eq!(first_request.kind, "request.created");
    assert!(all
        .iter()
        .filter(|e| e.subject_type == "unit")
        .all(|e| e.kind == "unit.saved"));
}

async fn rate_limits_answer_429_with_retry_after(app: TestApp) {
    let token = unit_and_client(&app, "events:read", 3).await;
    for _ in 0..3 {
        assert_eq!(
            get_json(&app, Some(&token), "/api/v1/events").await.0,
            StatusCode::OK
        );
    }
    let (s, h, body) = get_json(&app, Some(&token), "/api/v1/events").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait));
    assert!(body["detail"]
        .as_str()
        .unwrap()
        .contains("3 calls a minute"));
    // every call is on record, the refused one included
    let id: i64 = token.split('_').nth(1).unwrap().parse().unwrap();
    let calls = clients::calls(&app.store, id, 10).await.unwrap();
    let statuses: Vec<i32> = calls.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [429, 200, 200, 200]);
    assert!(calls
        .iter()
        .all(|c| c.path == "/api/v1/events" && c.method == "GET"));
}

async fn rotated_and_revoked_tokens_stop_working(app: TestApp) {
    let old = unit_and_client(&app, "events:read", 600).await;
    let id: i64 = old.split('_').nth(1).unwrap().parse().unwrap();
    let new = clients::rotate(&app.store, &AuditActor::System("test".into()), id)
        .await
        .unwrap()
        .token;
    assert_eq!(
        get_json(&app, Some(&old), "/api/v1/events").await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get_json(&app, Some(&new), "/api/v1/events").await.0,
        StatusCode::OK
    );
    clients::revoke(&app.store, &AuditActor::System("test".into()), id)
        .await
        .unwrap();
    assert_eq!(
        get_json(&app, Some(&new), "/api/v1/events").await.0,
        StatusCode::UNAUTHORIZED
    );
    let log = kotapintar_storage::audit::recent(&app.store, Some(("client", &id.to_string())), 10)
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["client.revoke", "client.rotate", "client.create"]);
}

async fn post_json(
    app: &TestApp,
    token: &str,
    path: &str,
    key: Option<&str>,
    body: Value,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let (c, _) = app.new_visitor();
    let mut req = c.post(app.url(path)).bearer_auth(token).json(&body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let r = req.send().await.unwrap();
    let (s, h) = (r.status(), r.headers().clone());
    (s, h, r.json().await.unwrap_or(Value::Null))
}

async fn a_unit_application_files_reads_and_resolves_requests(app: TestApp) {
    let token = unit_and_client(&app, "requests:read requests:write", 600).await;
    let reader = clients::create(
        &app.store,
        &AuditActor::System("test".into()),
        "dashboard",
        "DPUPR",
        "requests:read",
        600,
    )
    .await
    .unwrap()
    .token;
    app.import_areas().await;
    let body = serde_json::json!({
        "kind": "pengaduan",
        "title": "Jalan berlubang (telepon)",
        "description": "Warga menelepon: lubang besar di depan balai banjar.",
        "district_code": "51.03.01",
        "contact": { "name": "Komang Penelpon", "phone": "081234500000" },
        "confidential": true
    });
    // no write scope
    assert_eq!(
        post_json(&app, &reader, "/api/v1/requests", None, body.clone())
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    // an unknown field is named
    let (s, h, p) = post_json(
        &app,
        &token,
        "/api/v1/requests",
        None,
        serde_json::json!({"kind": "pengaduan", "titel": "x"}),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(h["content-type"], "application/problem+json");
    assert!(p["detail"].as_str().unwrap().contains("titel"), "{p}");
    // invalid values: one entry per field
    let (s, _, p) = post_json(
        &app,
        &token,
        "/api/v1/requests",
        None,
        serde_json::json!({"kind": "protes", "title": "", "description": "pendek"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["kind", "title", "description"]);
    // created once, however often it is retried
    let (s, _, first) = post_json(
        &app,
        &token,
        "/api/v1/requests",
        Some("call-1"),
        body.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    let code = first["tracking_code"].as_str().unwrap().to_string();
    assert_eq!(first["confidential"], true);
    assert!(first["follow_url"]
        .as_str()
        .unwrap()
        .contains(&format!("/laporan/{code}/ikuti/")));
    let (s, h, again) = post_json(
        &app,
        &token,
        "/api/v1/requests",
        Some("call-1"),
        body.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(h["idempotent-replay"], "true");
    assert_eq!(again["tracking_code"], first["tracking_code"]);
    use sea_orm::PaginatorTrait;
    assert_eq!(
        kotapintar_storage::entity::request::Entity::find()
            .count(&app.store.reader)
            .await
            .unwrap(),
        1
    );
    for secret in ["Komang Penelpon", "081234500000"] {
        assert!(!first.to_string().contains(secret));
    }
    // not yet the unit's: confidential and not dispatched, so the client cannot see it
    let (s, _, _) = get_json(&app, Some(&token), &format!("/api/v1/requests/{code}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // dispatched to the unit by the desk, the application works on it
    app.login_admin().await;
    let id = app.request_id(&code).await;
    app.dispatch(id, "DPUPR").await;
    let (s, _, list) = get_json(&app, Some(&token), "/api/v1/requests").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["total"], 1);
    assert_eq!(list["requests"][0]["tracking_code"], code.as_str());
    let (s, _, p) = post_json(
        &app,
        &token,
        &format!("/api/v1/requests/{code}/steps"),
        None,
        serde_json::json!({"action": "resolve", "response": "pendek"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "response");
    let (s, _, done) = post_json(&app, &token, &format!("/api/v1/requests/{code}/steps"), Some("resolve-1"), serde_json::json!({"action": "resolve", "response": "Lubang sudah ditambal tim pemeliharaan."})).await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "selesai");
    let (s, _, _) = post_json(&app, &token, &format!("/api/v1/requests/{code}/steps"), Some("resolve-1"), serde_json::json!({"action": "resolve", "response": "Lubang sudah ditambal tim pemeliharaan."})).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "a retried step replays its answer instead of failing"
    );
    let (_, _, one) = get_json(&app, Some(&token), &format!("/api/v1/requests/{code}")).await;
    assert_eq!(one["status"], "selesai");
    let log = kotapintar_storage::audit::recent(&app.store, Some(("request", &id.to_string())), 10)
        .await
        .unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "request.resolve" && e.actor.starts_with("client-")));
}

/// A webhook receiver: records what arrives, answers with the status it is told to.
#[derive(Clone, Default)]
struct Receiver {
    got: std::sync::Arc<std::sync::Mutex<Vec<(reqwest::header::HeaderMap, String)>>>,
    status: std::sync::Arc<std::sync::atomic::AtomicU16>,
}

async fn start_receiver() -> (String, Receiver) {
    use axum::routing::post;
    let rec = Receiver::default();
    rec.status.store(500, std::sync::atomic::Ordering::SeqCst);
    let r2 = rec.clone();
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: axum::http::HeaderMap, body: String| {
            let r = r2.clone();
            async move {
                let mut h = reqwest::header::HeaderMap::new();
                for (k, v) in headers.iter() {
                    if let (Ok(name), Ok(val)) = (
                        reqwest::header::HeaderName::from_bytes(k.as_str().as_bytes()),
                        reqwest::header::HeaderValue::from_bytes(v.as_bytes()),
                    ) {
                        h.insert(name, val);
                    }
                }
                r.got.lock().unwrap().push((h, body));
                axum::http::StatusCode::from_u16(r.status.load(std::sync::atomic::Ordering::SeqCst))
                    .unwrap()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, rec)
}

async fn webhooks_are_signed_retried_and_logged(app: TestApp) {
    let token = unit_and_client(&app, "events:read", 600).await;
    let (url, rec) = start_receiver().await;
    let (s, _, p) = post_json(
        &app,
        &token,
        "/api/v1/webhooks",
        None,
        serde_json::json!({"url": "ftp://x/y"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "url");
    let (s, _, sub) = post_json(
        &app,
        &token,
        "/api/v1/webhooks",
        Some("hook-1"),
        serde_json::json!({"url": url, "event_types": ["request.dispatch"]}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{sub}");
    let secret = sub["secret"].as_str().unwrap().to_string();
    // a retried subscription call does not subscribe twice
    let (_, h, again) = post_json(
        &app,
        &token,
        "/api/v1/webhooks",
        Some("hook-1"),
        serde_json::json!({"url": url, "event_types": ["request.dispatch"]}),
    )
    .await;
    assert_eq!(h["idempotent-replay"], "true");
    assert_eq!(again["id"], sub["id"]);
    assert!(secret.starts_with("whsec_"));
    // a request is dispatched to the unit
    app.import_areas().await;
    let r = app
        .file_request(
            &[
                ("kind", "pengaduan"),
                ("title", "Drainase mampet"),
                ("description", "Air meluap ke jalan setiap hujan deras."),
                ("confirm_new", "1"),
            ],
            &[],
        )
        .await;
    let (code, _) = TestApp::filed(&r);
    app.login_admin().await;
    let id = app.request_id(&code).await;
    app.dispatch(id, "DPUPR").await;
    app.post_form(
        &format!("/staf/laporan/{id}/aksi"),
        &[
            ("action", "comment"),
            ("note", "bukan jenis yang dilanggan"),
        ],
    )
    .await;
    let worker = kotapintar_jobs::Worker::new(
        app.store.clone(),
        app.settings.rules.clone(),
        app.settings.data_dir.join("uploads"),
    )
    .allow_private_webhooks(app.settings.webhook_allow_private);
    // first attempt: the receiver fails; the delivery waits for a retry
    assert_eq!(
        worker.deliver_webhooks().await.unwrap(),
        1,
        "one subscribed event"
    );
    let (_, _, list) = get_json(&app, Some(&token), "/api/v1/webhooks").await;
    assert_eq!(list[0]["deliveries"][0]["status"], "pending");
    assert_eq!(list[0]["deliveries"][0]["last_status_code"], 500);
    assert_eq!(
        worker.deliver_webhooks().await.unwrap(),
        0,
        "not due yet: backing off"
    );
    // later, the receiver is back
    rec.status.store(204, std::sync::atomic::Ordering::SeqCst);
    use kotapintar_storage::entity::webhook_delivery as wd;
    use sea_orm::QueryFilter;
    wd::Entity::update_many()
        .col_expr(
            wd::Column::NextAttemptAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now()),
        )
        .filter(sea_orm::ColumnTrait::eq(&wd::Column::Status, "pending"))
        .exec(&app.store.writer)
        .await
        .unwrap();
    assert_eq!(worker.deliver_webhooks().await.unwrap(), 1);
    let (_, _, list) = get_json(&app, Some(&token), "/api/v1/webhooks").await;
    assert_eq!(list[0]["deliveries"][0]["status"], "delivered");
    assert_eq!(list[0]["deliveries"][0]["attempts"], 2);
    // what arrived is signed as Standard Webhooks says, and carries no personal data
    let got = rec.got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    let (headers, body) = &got[1];
    let msg_id = headers["webhook-id"].to_str().unwrap();
    let ts: i64 = headers["webhook-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let expected = kotapintar_domain::webhook::sign(&secret, msg_id, ts, body).unwrap();
    assert_eq!(headers["webhook-signature"].to_str().unwrap(), expected);
    assert_eq!(
        got[0].0["webhook-id"], got[1].0["webhook-id"],
        "a retry keeps its message id"
    );
    let v: Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["type"], "request.dispatch");
    assert_eq!(v["data"]["tracking_code"], code.as_str());
    // unsubscribing stops it
    let sub_id = sub["id"].as_i64().unwrap();
    let (c, _) = app.new_visitor();
    let r = c
        .delete(app.url(&format!("/api/v1/webhooks/{sub_id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (_, _, list) = get_json(&app, Some(&token), "/api/v1/webhooks").await;
    assert_eq!(list.as_array().unwrap().len(), 0);
}

/// The Open311 list is cached for speed; any change that writes an event shows at once.
async fn cached_public_lists_change_with_the_first_new_event(app: TestApp) {
    app.import_areas().await;
    let count = |v: &Value| v.as_array().map(|a| a.len()).unwrap_or(0);
    let (s, _, first) = get_json(&app, None, "/open311/v2/requests.json").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(count(&first), 0);
    app.file_request(
        &[
            ("kind", "aspirasi"),
            ("title", "Taman kota"),
            ("description", "Mohon taman kota diperbanyak pohonnya."),
            ("confirm_new", "1"),
        ],
        &[],
    )
    .await;
    let (_, _, second) = get_json(&app, None, "/open311/v2/requests.json").await;
    assert_eq!(count(&second), 1, "not served from the stale cache");
    let (c, _) = app.new_visitor();
    let r = c
        .get(app.url("/open311/v2/requests.json"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
}

/// `examples/unit_app.rs` against a real server: it subscribes a webhook, sees the dispatch in
/// its event feed, resolves the request, and verifies the signed webhook about it.
async fn the_example_unit_application_works_end_to_end(app: TestApp) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let token = unit_and_client(&app, "events:read requests:read requests:write", 600).await;
    // examples are built next to the test binaries: target/<profile>/examples/
    let exe = std::env::current_exe().unwrap();
    let example = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join("unit_app");
    assert!(
        example.exists(),
        "{} (cargo test builds examples)",
        example.display()
    );
    let mut child = tokio::process::Command::new(&example)
        .args(["--base", &app.base, "--token", &token, "--once"])
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(first.starts_with("subscribed "), "{first}");
    // a request reaches the unit
    app.import_areas().await;
    let r = app
        .file_request(
            &[
                ("kind", "pengaduan"),
                ("title", "Pohon tumbang"),
                ("description", "Pohon tumbang menutup separuh jalan desa."),
                ("confirm_new", "1"),
            ],
            &[],
        )
        .await;
    let (code, _) = TestApp::filed(&r);
    app.login_admin().await;
    let id = app.request_id(&code).await;
    app.dispatch(id, "DPUPR").await;
    // the worker delivers webhooks while the application works
    let worker = kotapintar_jobs::Worker::new(
        app.store.clone(),
        app.settings.rules.clone(),
        app.settings.data_dir.join("uploads"),
    )
    .allow_private_webhooks(app.settings.webhook_allow_private);
    let mut out = vec![first];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        worker.deliver_webhooks().await.unwrap();
        match tokio::time::timeout(std::time::Duration::from_millis(200), lines.next_line()).await {
            Ok(Ok(Some(line))) => out.push(line),
            Ok(_) => break,
            Err(_) => {}
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the example did not finish: {out:?}"
        );
    }
    let status = child.wait().await.unwrap();
    assert!(status.success(), "{out:?}");
    let text = out.join("\n");
    assert!(
        text.contains(&format!("{code}: \"resolve\" -> 200")),
        "{text}"
    );
    assert!(text.contains("verified"), "{text}");
    let p = kotapintar_storage::requests::public_by_code(&app.store, &code)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.status, kotapintar_domain::request::Status::Selesai);
}

async fn the_api_is_described_and_documented(app: TestApp) {
    let (s, h, doc) = get_json(&app, None, "/api/v1/openapi.json").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h["content-type"], "application/json");
    assert_eq!(doc["openapi"], "3.1.0");
    let committed: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/openapi.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(
        doc, committed,
        "served and committed documents are the same"
    );
    let (s, html) = app.get_html("/api/v1/docs").await;
    assert_eq!(s, StatusCode::OK);
    for op in [
        "GET /api/v1/events",
        "POST /api/v1/requests",
        "POST /api/v1/requests/{code}/steps",
        "DELETE /api/v1/webhooks/{id}",
    ] {
        assert!(html.contains(op), "{op}");
    }
    assert!(html.contains("Idempotency-Key"));
}

/// The committed OpenAPI document validates as OpenAPI 3.1 with an independent validator
/// (PyPI `openapi-spec-validator`, installed by the script into a virtual environment).
#[test]
fn the_openapi_document_validates_as_openapi_3_1() {
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/openapi-validate");
    let out = std::process::Command::new(script)
        .output()
        .expect("run scripts/openapi-validate");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("valid OpenAPI 3.1.0"), "{text}");
}

async fn reference_data_for_applications(app: TestApp) {
    let token = unit_and_client(&app, "events:read", 600).await;
    app.import_areas().await;
    assert_eq!(
        get_json(&app, None, "/api/v1/units").await.0,
        StatusCode::UNAUTHORIZED
    );
    let (s, _, units) = get_json(&app, Some(&token), "/api/v1/units").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(units[0]["code"], "DPUPR");
    let (_, _, regions) = get_json(&app, Some(&token), "/api/v1/regions").await;
    let regions = regions.as_array().unwrap();
    assert_eq!(regions.len(), 6);
    let villages: usize = regions
        .iter()
        .map(|r| r["villages"].as_array().unwrap().len())
        .sum();
    assert_eq!(villages, 62, "Badung's 62 desa/kelurahan");
    let (s, _, services) = get_json(&app, Some(&token), "/api/v1/services").await;
    assert_eq!(s, StatusCode::OK);
    assert!(services.as_array().unwrap().is_empty());
}

async fn the_application_registry_shows_integration_health(app: TestApp) {
    let token = unit_and_client(&app, "events:read", 600).await;
    app.login_admin().await;
    let r = app
        .post_form(
            "/staf/aplikasi",
            &[
                ("unit_code", "DPUPR"),
                ("name", ""),
                ("status", "integrated"),
                ("url", "bukan-url"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-name\"") && html.contains("harus diawali http"));
    let client_id = token.split('_').nth(1).unwrap();
    let r = app
        .post_form(
            "/staf/aplikasi",
            &[
                ("unit_code", "DPUPR"),
                ("name", "SIMJALAN"),
                ("purpose", "Pemeliharaan jalan"),
                ("url", "https://simjalan.badungkab.go.id"),
                ("status", "integrated"),
                ("client_id", client_id),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.post_form(
        "/staf/aplikasi",
        &[
            ("unit_code", "DPUPR"),
            ("name", "e-Arsip lama"),
            ("status", "not_integrated"),
        ],
    )
    .await;
    // the client reads its feed; the registry shows the call
    app.import_areas().await;
    let r = app
        .file_request(
            &[
                ("kind", "pengaduan"),
                ("title", "Jalan licin"),
                ("description", "Oli tumpah di tikungan, jalan licin."),
                ("confirm_new", "1"),
            ],
            &[],
        )
        .await;
    let (code, _) = TestApp::filed(&r);
    let id = app.request_id(&code).await;
    app.dispatch(id, "DPUPR").await;
    let (_, _, feed) = get_json(&app, Some(&token), "/api/v1/events").await;
    let cursor = feed["next_cursor"].as_i64().unwrap();
    let entries = kotapintar_storage::applications::list(&app.store)
        .await
        .unwrap();
    let sim = entries.iter().find(|e| e.name == "SIMJALAN").unwrap();
    assert!(sim.last_call.is_some());
    assert_eq!(sim.last_event, Some(cursor));
    let (_, html) = app.get_html("/staf/aplikasi").await;
    assert!(
        html.contains("SIMJALAN")
            && html.contains("Terintegrasi")
            && html.contains("Belum terintegrasi")
    );
}

async fn applications_assign_attach_and_page_by_cursor(app: TestApp) {
    let token = unit_and_client(&app, "requests:read requests:write", 600).await;
    app.import_areas().await;
    app.login_admin().await;
    app.create_user("petugas.pupr", "officer", "DPUPR", "petugas-pupr-1")
        .await;
    let unit = kotapintar_storage::units::find_by_code(&app.store.reader, "DPUPR")
        .await
        .unwrap()
        .unwrap();
    let mut codes = Vec::new();
    for i in 0..52 {
        let title = format!("Laporan nomor {i}");
        let r = app
            .file_request(
                &[
                    ("kind", "pengaduan"),
                    ("title", &title),
                    ("description", "Uraian yang cukup panjang untuk diterima."),
                    ("confirm_new", "1"),
                ],
                &[],
            )
            .await;
        let (code, _) = TestApp::filed(&r);
        let id = app.request_id(&code).await;
        app.post_form(
            &format!("/staf/laporan/{id}/aksi"),
            &[("action", "dispatch"), ("units", &unit.id.to_string())],
        )
        .await;
        codes.push(code);
    }
    // two pages by cursor: 50, then 2, no overlap
    let (_, _, first) = get_json(&app, Some(&token), "/api/v1/requests").await;
    assert_eq!(first["requests"].as_array().unwrap().len(), 50);
    let cursor = first["next_cursor"].as_i64().expect("a next page");
    let (_, _, second) = get_json(
        &app,
        Some(&token),
        &format!("/api/v1/requests?cursor={cursor}"),
    )
    .await;
    let rest: Vec<&str> = second["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tracking_code"].as_str().unwrap())
        .collect();
    assert_eq!(rest.len(), 2);
    assert_eq!(second["next_cursor"], Value::Null);
    let firsts: Vec<&str> = first["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["tracking_code"].as_str().unwrap())
        .collect();
    assert!(rest.iter().all(|c| !firsts.contains(c)));
    // assign an officer, then attach a photo of the work done
    let code = &codes[0];
    let (s, _, p) = post_json(
        &app,
        &token,
        &format!("/api/v1/requests/{code}/steps"),
        None,
        serde_json::json!({"action": "assign", "officer": "nobody"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "officer");
    let (s, _, _) = post_json(
        &app,
        &token,
        &format!("/api/v1/requests/{code}/steps"),
        None,
        serde_json::json!({"action": "assign", "officer": "petugas.pupr"}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (c, _) = app.new_visitor();
    let form = reqwest::multipart::Form::new()
        .part(
            "photo",
            reqwest::multipart::Part::bytes(crate::harness::jpeg_with_gps(40, 30))
                .file_name("hasil.jpg"),
        )
        .part(
            "photo",
            reqwest::multipart::Part::bytes(b"bukan foto".to_vec()).file_name("x.jpg"),
        );
    let r = c
        .post(app.url(&format!("/api/v1/requests/{code}/photos")))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["errors"][0]["field"], "photo[1]");
    assert_eq!(p["errors"][0]["code"], "photo_not_image");
    let form = reqwest::multipart::Form::new().part(
        "photo",
        reqwest::multipart::Part::bytes(crate::harness::jpeg_with_gps(40, 30))
            .file_name("hasil.jpg"),
    );
    let r = c
        .post(app.url(&format!("/api/v1/requests/{code}/photos")))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let public = kotapintar_storage::requests::public_by_code(&app.store, code)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(public.photo_ids.len(), 1);
    assert!(public
        .timeline
        .iter()
        .any(|e| e.note.as_deref() == Some("1 foto ditambahkan")));
}

/// A unit's own application writes news and projects through the API: drafts it may submit,
/// publishing stays with the unit's admins; progress reports are checked like the form's.
async fn a_unit_application_publishes_to_the_portal(app: TestApp) {
    let token = unit_and_client(&app, "content:write", 600).await;
    let (s, _, news) = post_json(
        &app,
        &token,
        "/api/v1/content",
        Some("berita-1"),
        serde_json::json!({
            "kind": "berita",
            "title": "Jembatan Tukad Badung diperbaiki",
            "body": "Perbaikan **selesai** bulan depan. <script>x()</script>",
            "tags": ["jembatan"],
            "submit": true
        }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{news}");
    assert_eq!(news["status"], "review");
    assert_eq!(news["slug"], "jembatan-tukad-badung-diperbaiki");
    // the same key with the same body gives the same answer, and stores nothing twice (with
    // another body it is refused: api_contract.rs)
    let (s, _, again) = post_json(
        &app,
        &token,
        "/api/v1/content",
        Some("berita-1"),
        serde_json::json!({
            "kind": "berita",
            "title": "Jembatan Tukad Badung diperbaiki",
            "body": "Perbaikan **selesai** bulan depan. <script>x()</script>",
            "tags": ["jembatan"],
            "submit": true
        }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(again["id"], news["id"]);
    // not public until a person publishes it
    let url = news["url"].as_str().unwrap();
    let path = &url[url.find("/berita/").unwrap()..];
    assert_eq!(app.get(path).await.status(), StatusCode::NOT_FOUND);
    let id = news["id"].as_i64().unwrap();
    let actor = AuditActor::System("unit-admin".into());
    kotapintar_storage::content::step(
        &app.store,
        &actor,
        kotapintar_domain::ids::ContentId(id),
        kotapintar_domain::content::EditorialStep::Publish,
    )
    .await
    .unwrap();
    let (s, page) = app.get_html(path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("<strong>selesai</strong>"));
    assert!(!page.contains("<script>x()"));

    // every bad field named
    let (s, _, problem) = post_json(
        &app,
        &token,
        "/api/v1/content",
        None,
        serde_json::json!({
            "kind": "agenda",
            "title": "Rapat",
            "starts_at": "2026-12-10T10:00:00+08:00",
            "ends_at": "2026-12-10T09:00:00+08:00",
            "place": ""
        }),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"ends_at"), "{problem}");
    assert!(fields.contains(&"place"), "{problem}");
    let (s, _, _) = post_json(
        &app,
        &token,
        "/api/v1/content",
        None,
        serde_json::json!({ "kind": "berita", "title": "x", "unknown_field": 1 }),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "unknown fields are refused");

    // a project and its progress
    let today = app.local_today();
    let (s, _, project) = post_json(
        &app,
        &token,
        "/api/v1/content",
        None,
        serde_json::json!({
            "kind": "proyek",
            "title": "Drainase Jalan Raya Sesetan",
            "sector": "Drainase",
            "fund_source": "apbd",
            "budget_ceiling": 2_400_000_000_i64,
            "planned_start": (today - chrono::Duration::days(30)).to_string(),
            "planned_end": (today + chrono::Duration::days(60)).to_string(),
            "project_status": "running"
        }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{project}");
    let pid = project["id"].as_i64().unwrap();
    let progress = |day: i64, physical: f64| {
        serde_json::json!({
            "reported_on": (today - chrono::Duration::days(day)).to_string(),
            "physical_pct": physical,
            "budget_pct": 10.0
        })
    };
    let (s, _, _) = post_json(
        &app,
        &token,
        &format!("/api/v1/content/{pid}/progress"),
        None,
        progress(7, 25.0),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _, p) = post_json(
        &app,
        &token,
        &format!("/api/v1/content/{pid}/progress"),
        None,
        progress(1, 20.0),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "physical_pct");
    let (_, _, list) = get_json(&app, Some(&token), "/api/v1/content?kind=proyek").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["physical_pct"], 25.0);

    // another unit's client cannot see or touch this unit's items
    let other = {
        app.login_admin().await;
        app.create_unit("DISPAR", "Dinas Pariwisata").await;
        app.logout().await;
        clients::create(
            &app.store,
            &AuditActor::System("test".into()),
            "Aplikasi Dispar",
            "DISPAR",
            "content:write",
            600,
        )
        .await
        .unwrap()
        .token
    };
    let (s, _, _) = post_json(
        &app,
        &other,
        &format!("/api/v1/content/{pid}/progress"),
        None,
        progress(0, 30.0),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, _, theirs) = get_json(&app, Some(&other), "/api/v1/content").await;
    assert_eq!(theirs.as_array().unwrap().len(), 0);
}
