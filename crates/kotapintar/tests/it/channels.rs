//! Requests by chat, end to end: a fake Telegram Bot API (started here) records every call
//! the worker makes and serves `getFile` and the photo; the webhook gets the payloads kept in
//! `fixtures/telegram/`.

use crate::harness::{jpeg_with_gps, settings_with_smtp, TestApp, TestDb};
use axum::body::Bytes;
use axum::http::{StatusCode as AxumStatus, Uri};
use axum::response::IntoResponse;
use kotapintar_storage::entity::{
    channel_conversation, channel_update, request, request_message, request_photo,
};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

const TOKEN: &str = "123456:ABC-uji";
pub(crate) const SECRET: &str = "rahasia-webhook-uji";
pub(crate) const CHAT: i64 = 777_000_111;

/// The calls the fake provider received: (path, body).
#[derive(Default)]
pub(crate) struct FakeTelegram {
    calls: Mutex<Vec<(String, String)>>,
    down: AtomicBool,
}

impl FakeTelegram {
    async fn start() -> (Arc<Self>, String) {
        let fake = Arc::new(Self::default());
        let state = fake.clone();
        let app = axum::Router::new().fallback(move |uri: Uri, body: Bytes| {
            let state = state.clone();
            async move { state.answer(uri.path(), &body) }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (fake, base)
    }

    fn answer(&self, path: &str, body: &[u8]) -> axum::response::Response {
        self.calls
            .lock()
            .unwrap()
            .push((path.to_string(), String::from_utf8_lossy(body).into_owned()));
        if self.down.load(Ordering::SeqCst) {
            return (AxumStatus::BAD_GATEWAY, "down").into_response();
        }
        let bot = format!("/bot{TOKEN}/");
        if path == format!("{bot}sendMessage") {
            let ok = r#"{"ok":true,"result":{"message_id":1,"date":1765180800,"chat":{"id":1,"type":"private"}}}"#;
            return ([("content-type", "application/json")], ok).into_response();
        }
        if path == format!("{bot}getFile") {
            let file = include_str!("fixtures/telegram/getfile.json");
            return ([("content-type", "application/json")], file).into_response();
        }
        if path == format!("/file/bot{TOKEN}/photos/file_7.jpg") {
            return ([("content-type", "image/jpeg")], jpeg_with_gps(64, 48)).into_response();
        }
        (AxumStatus::NOT_FOUND, "{\"ok\":false}").into_response()
    }

    pub(crate) fn sent(&self) -> Vec<serde_json::Value> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p.ends_with("/sendMessage"))
            .map(|(_, b)| serde_json::from_str(b).unwrap())
            .collect()
    }

    pub(crate) fn last_text(&self) -> String {
        let sent = self.sent();
        let last = sent.last().expect("a message was sent");
        assert_eq!(
            last["chat_id"],
            CHAT.to_string(),
            "to the chat it came from"
        );
        last["text"].as_str().unwrap().to_string()
    }
}

pub(crate) async fn start(backend: kotapintar_storage::Backend) -> (TestApp, Arc<FakeTelegram>) {
    let (fake, base) = FakeTelegram::start().await;
    let db = Arc::new(TestDb::create(backend).await);
    let mail = Arc::new(crate::smtp_sink::SmtpSink::start().await);
    let mut settings = settings_with_smtp(&db, Some(mail.port));
    settings.telegram.bot_token = Some(TOKEN.into());
    settings.telegram.api_url = base;
    settings.channels.telegram_secret = Some(SECRET.into());
    (TestApp::start(db, mail, settings).await, fake)
}

pub(crate) fn payload(file: &str, update: i64, text: &str) -> String {
    let raw = match file {
        "text" => include_str!("fixtures/telegram/text.json"),
        "location" => include_str!("fixtures/telegram/location.json"),
        _ => include_str!("fixtures/telegram/photo.json"),
    };
    let text = serde_json::to_string(text).unwrap();
    raw.replace("__UPDATE_ID__", &update.to_string())
        .replace("__MESSAGE_ID__", &(update + 500).to_string())
        .replace("__CHAT_ID__", &CHAT.to_string())
        .replace("\"__TEXT__\"", &text)
}

pub(crate) async fn deliver(app: &TestApp, body: &str, secret: &str) -> StatusCode {
    app.client
        .post(app.url("/channels/telegram"))
        .header("content-type", "application/json")
        .header("x-telegram-bot-api-secret-token", secret)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
}

/// Delivers a message and lets the worker take it, as Telegram and the worker would.
pub(crate) async fn say(app: &TestApp, file: &str, update: i64, text: &str) {
    let status = deliver(app, &payload(file, update, text), SECRET).await;
    assert_eq!(status, StatusCode::OK, "update {update} acknowledged");
    app.run_jobs().await;
}

pub(crate) async fn count<E>(app: &TestApp, _e: E) -> u64
where
    E: EntityTrait,
    E::Model: Sync,
{
    E::find().count(&app.store.reader).await.unwrap()
}

pub(crate) async fn setup(app: &TestApp) {
    app.import_areas().await;
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.create_unit("DISHUB", "Dinas Perhubungan").await;
    let r = app
        .post_form(
            "/staf/layanan/baru",
            &[
                ("unit_code", "DPUPR"),
                ("code", "jalan-rusak"),
                ("name", "Jalan rusak"),
                ("kind", "pengaduan"),
                ("time_limit_days", "10"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "service created");
    app.create_user("petugas.pupr", "officer", "DPUPR", "petugas-pupr-1")
        .await;
    app.logout().await;
}

pub(crate) const DESCRIPTION: &str =
    "Jalan berlubang besar di depan Pasar Kuta, motor sering jatuh";

async fn a_telegram_conversation_becomes_a_request_and_its_steps_reach_the_chat(
    app_fake: (TestApp, Arc<FakeTelegram>),
) {
    let (app, fake) = app_fake;
    setup(&app).await;

    say(&app, "text", 1001, "halo").await;
    let greeting = fake.sent();
    assert_eq!(greeting.len(), 1);
    assert!(greeting[0]["text"].as_str().unwrap().starts_with("Halo!"));
    assert_eq!(
        greeting[0]["reply_markup"]["keyboard"]
            .as_array()
            .unwrap()
            .len(),
        4,
        "the kinds as buttons"
    );
    say(&app, "text", 1002, "1 Pengaduan (keluhan, masalah)").await;
    assert!(fake.last_text().contains("1 Jalan rusak"));
    say(&app, "text", 1003, "1 Jalan rusak").await;
    say(&app, "text", 1004, DESCRIPTION).await;
    say(&app, "location", 1005, "").await;
    assert!(fake.last_text().starts_with("Ringkasan"));
    say(&app, "photo", 1006, "").await;
    assert!(
        fake.last_text().starts_with("Foto 1 dari"),
        "{}",
        fake.last_text()
    );
    assert!(
        fake.calls
            .lock()
            .unwrap()
            .iter()
            .any(|(p, b)| p.ends_with("/getFile") && b.contains("LargeSize")),
        "the largest size is fetched"
    );
    assert_eq!(count(&app, request::Entity).await, 0, "nothing filed yet");
    say(&app, "text", 1007, "1 Kirim").await;

    // the code and the private link come back in the chat
    let filed = fake.last_text();
    let code = filed
        .split_whitespace()
        .find(|w| w.starts_with("BDG-"))
        .expect("a code")
        .trim_end_matches(['.', ','])
        .to_string();
    assert!(
        filed.contains(&format!("/laporan/{code}/ikuti/")),
        "{filed}"
    );
    let row = request::Entity::find()
        .filter(request::Column::TrackingCode.eq(code.as_str()))
        .one(&app.store.reader)
        .await
        .unwrap()
        .expect("filed");
    assert_eq!(row.description, DESCRIPTION);
    assert_eq!(row.title, "Jalan rusak");
    assert_eq!(row.latitude, Some(-8.718432));
    assert_eq!(row.reporter_chat_channel.as_deref(), Some("telegram"));
    assert_eq!(row.reporter_chat_id, Some(CHAT.to_string()));
    let photos = request_photo::Entity::find()
        .filter(request_photo::Column::RequestId.eq(row.id))
        .count(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(photos, 1, "the photo went with it");
    assert_eq!(count(&app, channel_conversation::Entity).await, 0, "ended");

    // a delivery repeated by the provider is processed once
    let before = fake.sent().len();
    say(&app, "text", 1007, "1 Kirim").await;
    assert_eq!(count(&app, request::Entity).await, 1);
    assert_eq!(fake.sent().len(), before, "no second answer");
    assert_eq!(count(&app, channel_update::Entity).await, 7);

    // the desk dispatches to the service's unit: it is in that unit's inbox, and the chat hears
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
    assert!(inbox.contains(&code), "in the unit's inbox");
    app.logout().await;

    // "status CODE" at any time: the public step and its deadline
    say(&app, "text", 1008, &format!("status {code}")).await;
    let status = fake.last_text();
    assert!(
        status.contains("diteruskan ke perangkat daerah"),
        "{status}"
    );
    assert!(status.contains("Batas waktu"), "{status}");

    // the chat id is the reporter's contact: never on a public page
    let (_, public) = app.get_html(&format!("/laporan/{code}")).await;
    assert!(public.contains(&code));
    assert!(!public.contains(&CHAT.to_string()));

    // the chat id is erased with the other contact fields, from the private link
    let follow = filed
        .split_whitespace()
        .find(|w| w.contains("/ikuti/"))
        .unwrap()
        .trim_end_matches(['.', ','])
        .to_string();
    let path = follow.split_once("/laporan/").map(|(_, p)| p).unwrap();
    let r = app
        .post_form(&format!("/laporan/{path}/hapus-data"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let erased = request::Entity::find_by_id(row.id)
        .one(&app.store.reader)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (erased.reporter_chat_channel, erased.reporter_chat_id),
        (None, None)
    );

    // the provider down: the reply waits in the queue, nothing is lost
    fake.down.store(true, Ordering::SeqCst);
    say(&app, "text", 1009, "halo").await;
    let pending = kotapintar_storage::jobs::pending(&app.store).await.unwrap();
    let waiting = pending
        .iter()
        .find(|j| j.kind == "channel.send")
        .expect("the reply is kept for later");
    assert_eq!(waiting.attempts, 1);
    assert!(waiting.payload.contains("Halo!"));
}

/// Files a request by chat (kind, service, description, pin, send) from update `first` on;
/// its code.
async fn file_by_chat(app: &TestApp, fake: &FakeTelegram, first: i64) -> String {
    say(app, "text", first, "halo").await;
    say(app, "text", first + 1, "1 Pengaduan (keluhan, masalah)").await;
    say(app, "text", first + 2, "1 Jalan rusak").await;
    say(app, "text", first + 3, DESCRIPTION).await;
    say(app, "location", first + 4, "").await;
    say(app, "text", first + 5, "1 Kirim").await;
    fake.last_text()
        .split_whitespace()
        .find(|w| w.starts_with("BDG-"))
        .expect("a code")
        .trim_end_matches(['.', ','])
        .to_string()
}

/// A text message that replies to (quotes) an earlier message, as Telegram delivers it.
fn quoting(update: i64, text: &str, quoted: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&payload("text", update, text)).unwrap();
    v["message"]["reply_to_message"] = serde_json::json!({
        "message_id": 1,
        "date": 1765180700,
        "from": { "id": 42, "is_bot": true, "first_name": "Kotapintar" },
        "chat": { "id": CHAT, "type": "private" },
        "text": quoted,
    });
    v.to_string()
}

async fn thread_of(app: &TestApp, id: i64) -> Vec<request_message::Model> {
    request_message::Entity::find()
        .filter(request_message::Column::RequestId.eq(id))
        .all(&app.store.reader)
        .await
        .unwrap()
}

async fn a_staff_reply_reaches_the_chat_and_the_answer_lands_on_the_thread(
    app_fake: (TestApp, Arc<FakeTelegram>),
) {
    let (app, fake) = app_fake;
    setup(&app).await;
    app.login_admin().await;
    app.create_user("petugas.dishub", "officer", "DISHUB", "petugas-dishub-1")
        .await;
    app.logout().await;
    let code = file_by_chat(&app, &fake, 2001).await;
    let id = app.request_id(&code).await;
    app.login_admin().await;
    app.dispatch(id, "DPUPR").await;
    app.logout().await;
    app.run_jobs().await;

    // an officer of another unit may not write to the reporter
    app.login("petugas.dishub", "petugas-dishub-1").await;
    let path = format!("/staf/laporan/{id}/balas");
    let r = app
        .post_form(&path, &[("message", "Halo dari unit lain")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.logout().await;
    assert!(thread_of(&app, id).await.is_empty(), "nothing stored");

    // the handling unit's officer writes; it reaches the chat the request came from
    app.login("petugas.pupr", "petugas-pupr-1").await;
    let (_, page) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert!(page.contains("Balas pelapor") && page.contains("Dikirim lewat Telegram"));
    let question = "Mohon kirim foto lubangnya dari dekat, Pak.";
    let r = app.post_form(&path, &[("message", question)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // without the form's CSRF token: refused
    let r = app
        .client
        .post(app.url(&path))
        .form(&[("message", "tanpa token")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "CSRF-protected");
    app.run_jobs().await;
    let sent = fake.last_text();
    assert!(sent.contains(question) && sent.contains(&code), "{sent}");
    let audit = kotapintar_storage::entity::audit_log::Entity::find()
        .filter(kotapintar_storage::entity::audit_log::Column::Action.eq("request.reply"))
        .count(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(audit, 1, "audited");

    // the resident answers with a photo and a line: both land on the thread, not in a new
    // conversation, and the chat says so
    say(&app, "photo", 2101, "").await;
    assert!(
        fake.last_text().contains("teruskan ke petugas"),
        "{}",
        fake.last_text()
    );
    let answer = "Sudah saya kirim fotonya, lubangnya makin besar";
    say(&app, "text", 2102, answer).await;
    assert_eq!(
        count(&app, channel_conversation::Entity).await,
        0,
        "no conversation"
    );
    assert_eq!(count(&app, request::Entity).await, 1, "no new request");
    let thread = thread_of(&app, id).await;
    let lines: Vec<(&str, &str, &str)> = thread
        .iter()
        .map(|m| {
            (
                m.direction.as_str(),
                m.author_name.as_str(),
                m.body.as_str(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            ("to_reporter", "petugas.pupr", question),
            ("from_reporter", "pelapor", ""),
            ("from_reporter", "pelapor", answer),
        ]
    );
    let photos = kotapintar_storage::entity::request_message_photo::Entity::find()
        .all(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(photos.len(), 1);
    assert_eq!(photos[0].message_id, thread[1].id);
    assert_eq!(
        request_photo::Entity::find()
            .count(&app.store.reader)
            .await
            .unwrap(),
        0,
        "the thread's photo is not one of the request's public photos"
    );

    // staff see the thread in order, who wrote what, and the photo (staff only)
    let (_, page) = app.get_html(&format!("/staf/laporan/{id}")).await;
    let (q, a) = (page.find(question).unwrap(), page.find(answer).unwrap());
    assert!(q < a, "in order");
    assert!(page.contains("petugas.pupr → Pelapor"));
    let photo = format!("/staf/laporan/{id}/utas/foto/{}", photos[0].id);
    assert!(page.contains(&photo));
    let r = app.get(&photo).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    let bytes = r.bytes().await.unwrap();
    assert!(!bytes.windows(11).any(|w| w == b"GPSLatitude"), "cleaned");
    app.logout().await;
    let (c, _) = app.new_visitor();
    let r = c.get(app.url(&photo)).send().await.unwrap();
    assert_ne!(r.status(), StatusCode::OK, "not for the public");
    for public in [format!("/laporan/{code}"), "/laporan".to_string()] {
        let (_, html) = app.get_html(&public).await;
        assert!(
            !html.contains(question) && !html.contains(answer),
            "{public}"
        );
    }

    // the conversation's words keep their meaning; a reply quoting the code answers it
    say(&app, "text", 2103, &format!("status {code}")).await;
    assert!(
        fake.last_text().contains("Batas waktu"),
        "{}",
        fake.last_text()
    );
    let staff_message = format!("Pesan petugas tentang laporan {code}:\n\n{question}");
    let quoted = quoting(2104, "Satu lagi: ada dua lubang", &staff_message);
    assert_eq!(deliver(&app, &quoted, SECRET).await, StatusCode::OK);
    app.run_jobs().await;
    assert_eq!(thread_of(&app, id).await.len(), 4);
    say(&app, "text", 2105, "lapor").await;
    assert!(fake.last_text().starts_with("Halo!"), "a new conversation");
    assert_eq!(thread_of(&app, id).await.len(), 4);
    say(&app, "text", 2106, "batal").await;

    // erasure from the private link reaches the thread: the reporter's words and photo are
    // gone (row and file), and the chat updates it was filed from keep only their ids
    let photo_file = app
        .settings
        .data_dir
        .join("uploads")
        .join(&photos[0].file_name);
    assert!(photo_file.exists(), "{}", photo_file.display());
    let marker = format!("/laporan/{code}/ikuti/");
    let link = fake
        .sent()
        .iter()
        .find_map(|v| {
            let b = v["text"].as_str()?;
            let at = b.find(&marker)?;
            let rest = &b[at + "/laporan/".len()..];
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            Some(rest[..end].trim_end_matches(['.', ',']).to_string())
        })
        .expect("the private link was sent");
    let r = app
        .post_form(&format!("/laporan/{link}/hapus-data"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let after = thread_of(&app, id).await;
    assert_eq!(after.len(), 4, "the thread's order stays");
    for m in after.iter().filter(|m| m.direction == "from_reporter") {
        assert_eq!(m.body, "", "{m:?}");
    }
    assert_eq!(after[0].body, question, "the officer's words stay");
    assert_eq!(
        count(
            &app,
            kotapintar_storage::entity::request_message_photo::Entity
        )
        .await,
        0
    );
    assert!(!photo_file.exists(), "the photo file is removed");
    let filed_from = channel_update::Entity::find()
        .filter(channel_update::Column::FiledRequestId.eq(id))
        .all(&app.store.reader)
        .await
        .unwrap();
    assert!(!filed_from.is_empty());
    assert!(
        filed_from.iter().all(|u| u.payload == "{}"),
        "{filed_from:?}"
    );
    let (_, staff) = {
        app.login("petugas.pupr", "petugas-pupr-1").await;
        app.get_html(&format!("/staf/laporan/{id}")).await
    };
    assert!(!staff.contains(answer), "not on the staff page either");
    app.logout().await;

    // processed updates past their retention keep only their ids; a late redelivery of one is
    // still recognised and processed once
    let updates = count(&app, channel_update::Entity).await;
    let forgotten = kotapintar_storage::channels::forget_payloads(
        &app.store,
        chrono::Utc::now() + chrono::Duration::minutes(1),
    )
    .await
    .unwrap();
    assert!(forgotten > 0);
    let kept = channel_update::Entity::find()
        .all(&app.store.reader)
        .await
        .unwrap();
    assert!(
        kept.iter()
            .filter(|u| u.processed_at.is_some())
            .all(|u| u.payload == "{}"),
        "{kept:?}"
    );
    let before = fake.sent().len();
    say(&app, "text", 2102, answer).await;
    assert_eq!(count(&app, channel_update::Entity).await, updates);
    assert_eq!(
        fake.sent().len(),
        before,
        "a redelivery is not answered again"
    );
}

async fn webhooks_without_the_secret_are_refused_and_store_nothing(
    app_fake: (TestApp, Arc<FakeTelegram>),
) {
    let (app, fake) = app_fake;
    let body = payload("text", 5, "halo");
    assert_eq!(
        deliver(&app, &body, "salah").await,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .client
        .post(app.url("/channels/telegram"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "no header at all");
    assert_eq!(count(&app, channel_update::Entity).await, 0);
    // not an update: refused, nothing stored
    assert_eq!(
        deliver(&app, "{\"x\":1}", SECRET).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(count(&app, channel_update::Entity).await, 0);
    app.run_jobs().await;
    assert!(fake.sent().is_empty());
}

async fn a_channel_that_is_not_configured_answers_not_found(app: TestApp) {
    let r = app
        .client
        .post(app.url("/channels/telegram"))
        .header("x-telegram-bot-api-secret-token", "")
        .body(payload("text", 5, "halo"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(count(&app, channel_update::Entity).await, 0);
}

/// One `#[tokio::test]` per backend, each with its own fake provider.
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

pub(crate) use with_fake;

with_fake!(
    a_telegram_conversation_becomes_a_request_and_its_steps_reach_the_chat,
    webhooks_without_the_secret_are_refused_and_store_nothing,
    a_staff_reply_reaches_the_chat_and_the_answer_lands_on_the_thread,
);

both_backends!(a_channel_that_is_not_configured_answers_not_found);
