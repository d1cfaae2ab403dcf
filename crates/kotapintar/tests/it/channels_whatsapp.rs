//! WhatsApp end to end: a fake Graph API (started here) records the messages the worker
//! sends and serves the media endpoint and the file; the webhook gets the payloads kept in
//! `fixtures/whatsapp/`, signed as Meta signs them.

use crate::harness::{jpeg_with_gps, settings_with_smtp, TestApp, TestDb};
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode as AxumStatus, Uri};
use axum::response::IntoResponse;
use kotapintar_domain::conversation::whatsapp;
use kotapintar_storage::entity::{channel_update, request, request_message, request_photo};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::sync::{Arc, Mutex};

const ACCESS_TOKEN: &str = "EAAuji-token";
const APP_SECRET: &str = "app-secret-uji";
const VERIFY_TOKEN: &str = "verifikasi-uji";
const PHONE_ID: &str = "106540352242922";
const FROM: &str = "6281234567890";

#[derive(Default)]
struct FakeGraph {
    /// (method, path, authorization, body)
    calls: Mutex<Vec<(String, String, String, String)>>,
    base: Mutex<String>,
}

impl FakeGraph {
    async fn start() -> (Arc<Self>, String) {
        let fake = Arc::new(Self::default());
        let state = fake.clone();
        let app = axum::Router::new().fallback(
            move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move { state.answer(&method, uri.path(), &headers, &body) }
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        *fake.base.lock().unwrap() = base.clone();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (fake, base)
    }

    fn answer(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        body: &[u8],
    ) -> axum::response::Response {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        self.calls.lock().unwrap().push((
            method.to_string(),
            path.to_string(),
            auth.clone(),
            String::from_utf8_lossy(body).into_owned(),
        ));
        if auth != format!("Bearer {ACCESS_TOKEN}") {
            return (AxumStatus::UNAUTHORIZED, "{}").into_response();
        }
        let json = [("content-type", "application/json")];
        if path == format!("/v21.0/{PHONE_ID}/messages") {
            let ok = r#"{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.out"}]}"#;
            return (json, ok).into_response();
        }
        if path == "/v21.0/1003383421387256" {
            let url = format!("{}/v21.0/media/file.jpg", self.base.lock().unwrap());
            let media = include_str!("fixtures/whatsapp/media.json").replace("__MEDIA_URL__", &url);
            return (json, media).into_response();
        }
        if path == "/v21.0/media/file.jpg" {
            return ([("content-type", "image/jpeg")], jpeg_with_gps(64, 48)).into_response();
        }
        (AxumStatus::NOT_FOUND, "{}").into_response()
    }

    fn sent(&self) -> Vec<serde_json::Value> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(m, p, _, _)| m == "POST" && p.ends_with("/messages"))
            .map(|(_, _, _, b)| serde_json::from_str(b).unwrap())
            .collect()
    }

    fn last_text(&self) -> String {
        let sent = self.sent();
        let last = sent.last().expect("a message was sent");
        assert_eq!(last["to"], FROM, "to the number it came from");
        last["text"]["body"]
            .as_str()
            .or(last["interactive"]["body"]["text"].as_str())
            .unwrap()
            .to_string()
    }
}

async fn start(backend: kotapintar_storage::Backend) -> (TestApp, Arc<FakeGraph>) {
    let (fake, base) = FakeGraph::start().await;
    let db = Arc::new(TestDb::create(backend).await);
    let mail = Arc::new(crate::smtp_sink::SmtpSink::start().await);
    let mut settings = settings_with_smtp(&db, Some(mail.port));
    settings.whatsapp.access_token = Some(ACCESS_TOKEN.into());
    settings.whatsapp.phone_number_id = Some(PHONE_ID.into());
    settings.whatsapp.api_url = format!("{base}/v21.0");
    settings.channels.whatsapp_app_secret = Some(APP_SECRET.into());
    settings.channels.whatsapp_verify_token = Some(VERIFY_TOKEN.into());
    (TestApp::start(db, mail, settings).await, fake)
}

fn payload(file: &str, id: &str, text: &str) -> String {
    let raw = match file {
        "text" => include_str!("fixtures/whatsapp/text.json"),
        "interactive" => include_str!("fixtures/whatsapp/interactive.json"),
        "location" => include_str!("fixtures/whatsapp/location.json"),
        _ => include_str!("fixtures/whatsapp/image.json"),
    };
    let text = serde_json::to_string(text).unwrap();
    raw.replace("__ID__", id)
        .replace("__FROM__", FROM)
        .replace("\"__TEXT__\"", &text)
}

async fn deliver(app: &TestApp, body: &str, signature: &str) -> StatusCode {
    app.client
        .post(app.url("/channels/whatsapp"))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
}

async fn say(app: &TestApp, file: &str, id: &str, text: &str) {
    let body = payload(file, id, text);
    let sig = whatsapp::sign(APP_SECRET.as_bytes(), body.as_bytes());
    assert_eq!(deliver(app, &body, &sig).await, StatusCode::OK, "{id}");
    app.run_jobs().await;
}

async fn requests(app: &TestApp) -> u64 {
    request::Entity::find()
        .count(&app.store.reader)
        .await
        .unwrap()
}

async fn updates(app: &TestApp) -> u64 {
    channel_update::Entity::find()
        .count(&app.store.reader)
        .await
        .unwrap()
}

const DESCRIPTION: &str = "Lampu jalan mati di depan Pasar Kuta sejak seminggu, gelap sekali";

async fn a_whatsapp_conversation_becomes_a_request_and_its_steps_reach_the_chat(
    app_fake: (TestApp, Arc<FakeGraph>),
) {
    let (app, fake) = app_fake;
    app.import_areas().await;
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    let r = app
        .post_form(
            "/staf/layanan/baru",
            &[
                ("unit_code", "DPUPR"),
                ("code", "lampu-jalan"),
                ("name", "Lampu jalan"),
                ("kind", "pengaduan"),
                ("time_limit_days", "5"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.create_user("petugas.pupr", "officer", "DPUPR", "petugas-pupr-1")
        .await;
    app.logout().await;

    say(&app, "text", "wamid.A1", "halo").await;
    let first = &fake.sent()[0];
    assert_eq!(first["type"], "interactive", "the kinds as a list");
    assert_eq!(
        first["interactive"]["action"]["sections"][0]["rows"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    say(
        &app,
        "interactive",
        "wamid.A2",
        "1 Pengaduan (keluhan, masalah)",
    )
    .await;
    say(&app, "interactive", "wamid.A3", "1 Lampu jalan").await;
    say(&app, "text", "wamid.A4", DESCRIPTION).await;
    say(&app, "location", "wamid.A5", "").await;
    say(&app, "image", "wamid.A6", "").await;
    assert!(
        fake.last_text().starts_with("Foto 1 dari"),
        "{}",
        fake.last_text()
    );
    let media_calls = fake
        .calls
        .lock()
        .unwrap()
        .iter()
        .filter(|(m, p, a, _)| m == "GET" && p.starts_with("/v21.0/") && a.contains(ACCESS_TOKEN))
        .count();
    assert_eq!(
        media_calls, 2,
        "the media URL, then the file, with the token"
    );
    say(&app, "interactive", "wamid.A7", "1 Kirim").await;

    let filed = fake.last_text();
    let code = filed
        .split_whitespace()
        .find(|w| w.starts_with("BDG-"))
        .expect("a code")
        .trim_end_matches(['.', ','])
        .to_string();
    let row = request::Entity::find()
        .filter(request::Column::TrackingCode.eq(code.as_str()))
        .one(&app.store.reader)
        .await
        .unwrap()
        .expect("filed");
    assert_eq!(row.title, "Lampu jalan");
    assert_eq!(row.longitude, Some(115.168654));
    assert_eq!(row.reporter_chat_channel.as_deref(), Some("whatsapp"));
    assert_eq!(row.reporter_chat_id.as_deref(), Some(FROM));
    let photos = request_photo::Entity::find()
        .filter(request_photo::Column::RequestId.eq(row.id))
        .count(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(photos, 1);

    // the same message delivered again: processed once
    let before = fake.sent().len();
    say(&app, "interactive", "wamid.A7", "1 Kirim").await;
    assert_eq!(requests(&app).await, 1);
    assert_eq!(fake.sent().len(), before);
    assert_eq!(updates(&app).await, 7);

    // a staff step reaches the chat; the request is in the unit's inbox
    app.login_admin().await;
    app.dispatch(row.id, "DPUPR").await;
    app.logout().await;
    app.run_jobs().await;
    let step = fake.last_text();
    assert!(
        step.contains(&code) && step.contains("diteruskan"),
        "{step}"
    );
    app.login("petugas.pupr", "petugas-pupr-1").await;
    let (_, inbox) = app.get_html("/staf/laporan").await;
    assert!(inbox.contains(&code));
    app.logout().await;
    let (_, public) = app.get_html(&format!("/laporan/{code}")).await;
    assert!(public.contains(&code) && !public.contains(FROM));
}

async fn a_staff_reply_reaches_whatsapp_and_the_answer_lands_on_the_thread(
    app_fake: (TestApp, Arc<FakeGraph>),
) {
    let (app, fake) = app_fake;
    app.import_areas().await;
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.create_user("petugas.pupr", "officer", "DPUPR", "petugas-pupr-1")
        .await;
    app.logout().await;
    // no service for this kind: the conversation skips the service question
    say(&app, "text", "wamid.T1", "halo").await;
    say(
        &app,
        "interactive",
        "wamid.T2",
        "1 Pengaduan (keluhan, masalah)",
    )
    .await;
    say(&app, "text", "wamid.T3", DESCRIPTION).await;
    say(&app, "location", "wamid.T4", "").await;
    say(&app, "interactive", "wamid.T5", "1 Kirim").await;
    let code = fake
        .last_text()
        .split_whitespace()
        .find(|w| w.starts_with("BDG-"))
        .expect("a code")
        .trim_end_matches(['.', ','])
        .to_string();
    let id = app.request_id(&code).await;
    app.login_admin().await;
    app.dispatch(id, "DPUPR").await;
    app.logout().await;
    app.run_jobs().await;

    app.login("petugas.pupr", "petugas-pupr-1").await;
    let question = "Tiang lampu nomor berapa, Bu? Ada nomornya di tiang.";
    let r = app
        .post_form(
            &format!("/staf/laporan/{id}/balas"),
            &[("message", question)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.logout().await;
    app.run_jobs().await;
    let sent = fake.last_text();
    assert!(sent.contains(question) && sent.contains(&code), "{sent}");

    let answer = "Nomor tiangnya PJU-0417, dekat warung";
    say(&app, "text", "wamid.T6", answer).await;
    assert!(fake.last_text().contains("teruskan ke petugas"));
    say(&app, "image", "wamid.T7", "").await;
    assert_eq!(requests(&app).await, 1, "no new request");
    let thread = request_message::Entity::find()
        .filter(request_message::Column::RequestId.eq(id))
        .all(&app.store.reader)
        .await
        .unwrap();
    let lines: Vec<(&str, &str, &str)> = thread
        .iter()
        .map(|m| (m.direction.as_str(), m.via.as_str(), m.body.as_str()))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("to_reporter", "whatsapp", question),
            ("from_reporter", "whatsapp", answer),
            ("from_reporter", "whatsapp", ""),
        ]
    );
    let photos = kotapintar_storage::entity::request_message_photo::Entity::find()
        .filter(
            kotapintar_storage::entity::request_message_photo::Column::MessageId.eq(thread[2].id),
        )
        .count(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(photos, 1);
    app.login("petugas.pupr", "petugas-pupr-1").await;
    let (_, page) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert!(page.contains(answer) && page.contains("Dikirim lewat WhatsApp"));
    app.logout().await;
    let (_, public) = app.get_html(&format!("/laporan/{code}")).await;
    assert!(!public.contains(answer) && !public.contains(question));
}

async fn whatsapp_verification_and_signatures(app_fake: (TestApp, Arc<FakeGraph>)) {
    let (app, fake) = app_fake;
    let q = |token: &str| {
        format!("/channels/whatsapp?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444")
    };
    let r = app.get(&q(VERIFY_TOKEN)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), "1158201444");
    assert_eq!(app.get(&q("salah")).await.status(), StatusCode::FORBIDDEN);

    let body = payload("text", "wamid.B1", "halo");
    let wrong = whatsapp::sign(b"another-secret", body.as_bytes());
    assert_eq!(deliver(&app, &body, &wrong).await, StatusCode::UNAUTHORIZED);
    assert_eq!(deliver(&app, &body, "").await, StatusCode::UNAUTHORIZED);
    // signed, then changed on the way
    let good = whatsapp::sign(APP_SECRET.as_bytes(), body.as_bytes());
    let changed = body.replace("halo", "hal0");
    assert_eq!(
        deliver(&app, &changed, &good).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(updates(&app).await, 0, "nothing stored");
    app.run_jobs().await;
    assert!(fake.sent().is_empty());
}

macro_rules! with_fake {
    ($($name:ident),* $(,)?) => {
        mod with_fake_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::start(kotapintar_storage::Backend::Sqlite).await).await
                }
            )*
        }
        mod with_fake_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::start(kotapintar_storage::Backend::Postgres).await).await
                }
            )*
        }
    };
}

with_fake!(
    a_whatsapp_conversation_becomes_a_request_and_its_steps_reach_the_chat,
    whatsapp_verification_and_signatures,
    a_staff_reply_reaches_whatsapp_and_the_answer_lands_on_the_thread,
);
