//! SMS end to end: a fake Android SMS gateway (started here) records the messages the worker
//! sends through its API (`POST /message`, basic auth); the webhook gets the payloads kept in
//! `fixtures/sms/`, signed as the gateway signs them (HMAC-SHA256 of the body and
//! `X-Timestamp`).

use crate::harness::{settings_with_smtp, TestApp, TestDb};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxumStatus, Uri};
use axum::response::IntoResponse;
use kotapintar_domain::conversation::sms;
use kotapintar_storage::entity::{channel_update, request, request_message};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::sync::{Arc, Mutex};

const KEY: &str = "kunci-tanda-tangan-uji";
const USER: &str = "gateway-uji";
const PASSWORD: &str = "sandi-gateway-uji";
const FROM: &str = "+6281234500077";

#[derive(Default)]
struct FakeGateway {
    /// (path, authorization, body)
    calls: Mutex<Vec<(String, String, String)>>,
}

impl FakeGateway {
    async fn start() -> (Arc<Self>, String) {
        let fake = Arc::new(Self::default());
        let state = fake.clone();
        let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let state = state.clone();
            async move {
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                state.calls.lock().unwrap().push((
                    uri.path().to_string(),
                    auth.clone(),
                    String::from_utf8_lossy(&body).into_owned(),
                ));
                let expected = format!("Basic {}", base64(format!("{USER}:{PASSWORD}").as_bytes()));
                if auth != expected {
                    return (AxumStatus::UNAUTHORIZED, "{}").into_response();
                }
                if uri.path() != "/message" {
                    return (AxumStatus::NOT_FOUND, "{}").into_response();
                }
                let ok = r#"{"id":"PyDmBQZZXYmyxMwED8Fzy","state":"Pending","recipients":[{"phoneNumber":"x","state":"Pending"}]}"#;
                (AxumStatus::ACCEPTED, [("content-type", "application/json")], ok).into_response()
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (fake, base)
    }

    fn sent(&self) -> Vec<serde_json::Value> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .map(|(_, _, b)| serde_json::from_str(b).unwrap())
            .collect()
    }

    fn last_text(&self) -> String {
        let sent = self.sent();
        let last = sent.last().expect("a message was sent");
        assert_eq!(last["phoneNumbers"][0], FROM, "to the number it came from");
        last["textMessage"]["text"].as_str().unwrap().to_string()
    }
}

/// Standard base64 with padding (the `Authorization: Basic` value), written out here so the
/// tests need no crate for it.
pub(crate) fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

async fn start(backend: kotapintar_storage::Backend) -> (TestApp, Arc<FakeGateway>) {
    let (fake, base) = FakeGateway::start().await;
    let db = Arc::new(TestDb::create(backend).await);
    let mail = Arc::new(crate::smtp_sink::SmtpSink::start().await);
    let mut settings = settings_with_smtp(&db, Some(mail.port));
    settings.sms.api_url = Some(base);
    settings.sms.username = Some(USER.into());
    settings.sms.password = Some(PASSWORD.into());
    settings.channels.sms_signing_key = Some(KEY.into());
    (TestApp::start(db, mail, settings).await, fake)
}

fn payload(file: &str, id: &str, text: &str) -> String {
    let raw = match file {
        "received" => include_str!("fixtures/sms/received.json"),
        _ => include_str!("fixtures/sms/delivered.json"),
    };
    let text = serde_json::to_string(text).unwrap();
    raw.replace("__ID__", id)
        .replace("__FROM__", FROM)
        .replace("\"__TEXT__\"", &text)
}

async fn deliver(app: &TestApp, body: &str, timestamp: &str, signature: &str) -> StatusCode {
    app.client
        .post(app.url("/channels/sms"))
        .header("content-type", "application/json")
        .header("x-timestamp", timestamp)
        .header("x-signature", signature)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
}

fn now() -> String {
    chrono::Utc::now().timestamp().to_string()
}

async fn say(app: &TestApp, id: &str, text: &str) {
    let body = payload("received", id, text);
    let ts = now();
    let sig = sms::sign(KEY.as_bytes(), body.as_bytes(), &ts);
    assert_eq!(deliver(app, &body, &ts, &sig).await, StatusCode::OK, "{id}");
    app.run_jobs().await;
}

async fn count<E: EntityTrait>(app: &TestApp, _e: E) -> u64
where
    E::Model: Sync,
{
    E::find().count(&app.store.reader).await.unwrap()
}

const DESCRIPTION: &str = "Pohon tumbang menutup jalan di depan sekolah dasar sejak pagi";

async fn an_sms_conversation_becomes_a_request_and_the_thread_works_by_sms(
    app_fake: (TestApp, Arc<FakeGateway>),
) {
    let (app, fake) = app_fake;
    app.import_areas().await;
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.create_user("petugas.pupr", "officer", "DPUPR", "petugas-pupr-1")
        .await;
    app.logout().await;

    // an SMS has no buttons: every choice by its number, the place by kecamatan then desa
    say(&app, "sms-1", "halo").await;
    assert!(
        fake.last_text().starts_with("Halo!"),
        "{}",
        fake.last_text()
    );
    say(&app, "sms-2", "1").await;
    say(&app, "sms-3", DESCRIPTION).await;
    say(&app, "sms-4", "1").await;
    say(&app, "sms-5", "1").await;
    assert!(
        fake.last_text().starts_with("Ringkasan"),
        "{}",
        fake.last_text()
    );
    say(&app, "sms-6", "1").await;
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
    assert_eq!(row.description, DESCRIPTION);
    assert!(row.district_code.is_some() && row.village_code.is_some());
    assert_eq!(row.reporter_chat_channel.as_deref(), Some("sms"));
    assert_eq!(row.reporter_chat_id.as_deref(), Some(FROM));

    // the gateway retries an event: processed once
    let before = fake.sent().len();
    say(&app, "sms-6", "1").await;
    assert_eq!(count(&app, request::Entity).await, 1);
    assert_eq!(fake.sent().len(), before, "no second answer");
    assert_eq!(count(&app, channel_update::Entity).await, 6);
    // other events are acknowledged and not stored
    let body = payload("delivered", "sms-7", "");
    let ts = now();
    let sig = sms::sign(KEY.as_bytes(), body.as_bytes(), &ts);
    assert_eq!(deliver(&app, &body, &ts, &sig).await, StatusCode::OK);
    assert_eq!(count(&app, channel_update::Entity).await, 6);

    // a staff step and a staff message reach the phone; the answer lands on the thread
    app.login_admin().await;
    app.dispatch(row.id, "DPUPR").await;
    app.logout().await;
    app.run_jobs().await;
    assert!(
        fake.last_text().contains("diteruskan"),
        "{}",
        fake.last_text()
    );
    app.login("petugas.pupr", "petugas-pupr-1").await;
    let question = "Apakah pohonnya masih menutup seluruh jalan?";
    let r = app
        .post_form(
            &format!("/staf/laporan/{}/balas", row.id),
            &[("message", question)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.logout().await;
    app.run_jobs().await;
    assert!(fake.last_text().contains(question));
    say(&app, "sms-8", "Masih, mobil tidak bisa lewat").await;
    let thread = request_message::Entity::find()
        .filter(request_message::Column::RequestId.eq(row.id))
        .all(&app.store.reader)
        .await
        .unwrap();
    let lines: Vec<(&str, &str)> = thread
        .iter()
        .map(|m| (m.direction.as_str(), m.body.as_str()))
        .collect();
    assert_eq!(
        lines,
        vec![
            ("to_reporter", question),
            ("from_reporter", "Masih, mobil tidak bisa lewat"),
        ]
    );
}

async fn sms_webhooks_must_be_signed_and_fresh(app_fake: (TestApp, Arc<FakeGateway>)) {
    let (app, fake) = app_fake;
    let body = payload("received", "sms-x", "halo");
    let ts = now();
    let wrong = sms::sign(b"kunci-lain", body.as_bytes(), &ts);
    assert_eq!(
        deliver(&app, &body, &ts, &wrong).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(deliver(&app, &body, "", "").await, StatusCode::UNAUTHORIZED);
    // signed, then changed on the way
    let good = sms::sign(KEY.as_bytes(), body.as_bytes(), &ts);
    let changed = body.replace("halo", "hal0");
    assert_eq!(
        deliver(&app, &changed, &ts, &good).await,
        StatusCode::UNAUTHORIZED
    );
    // a delivery captured an hour ago, played again
    let old = (chrono::Utc::now().timestamp() - 3600).to_string();
    let old_sig = sms::sign(KEY.as_bytes(), body.as_bytes(), &old);
    assert_eq!(
        deliver(&app, &body, &old, &old_sig).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        count(&app, channel_update::Entity).await,
        0,
        "nothing stored"
    );
    app.run_jobs().await;
    assert!(fake.sent().is_empty());
    // signed but not a gateway webhook
    let junk = "{\"x\":1}";
    let sig = sms::sign(KEY.as_bytes(), junk.as_bytes(), &ts);
    assert_eq!(
        deliver(&app, junk, &ts, &sig).await,
        StatusCode::BAD_REQUEST
    );
}

async fn the_sms_channel_is_off_until_configured(app: TestApp) {
    let body = payload("received", "sms-y", "halo");
    let ts = now();
    let sig = sms::sign(KEY.as_bytes(), body.as_bytes(), &ts);
    assert_eq!(deliver(&app, &body, &ts, &sig).await, StatusCode::NOT_FOUND);
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
    an_sms_conversation_becomes_a_request_and_the_thread_works_by_sms,
    sms_webhooks_must_be_signed_and_fresh,
);

both_backends!(the_sms_channel_is_off_until_configured);
