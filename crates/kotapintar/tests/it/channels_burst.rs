//! Chat webhooks arriving together (issue 20): they share one write, and what they were
//! answered still holds. Replays delivered at the same moment as the original are stored and
//! processed once; the per-sender and daily limits count every delivery of a burst as if they
//! had come one after the other.

use crate::channels::{count, SECRET};
use crate::harness::{settings_with_smtp, TestApp, TestDb};
use kotapintar_storage::entity::{channel_update, job};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::sync::Arc;

/// An app with the Telegram webhook on and these limits (0: none).
async fn start(backend: kotapintar_storage::Backend, per_minute: u32, daily_cap: u32) -> TestApp {
    let db = Arc::new(TestDb::create(backend).await);
    let mail = Arc::new(crate::smtp_sink::SmtpSink::start().await);
    let mut settings = settings_with_smtp(&db, Some(mail.port));
    settings.channels.telegram_secret = Some(SECRET.into());
    settings.channels.per_sender_per_minute = per_minute;
    settings.channels.daily_cap = daily_cap;
    TestApp::start(db, mail, settings).await
}

/// A text update `update` from chat `chat`.
fn update(update: i64, chat: i64) -> String {
    serde_json::json!({
        "update_id": update,
        "message": {
            "message_id": update + 500,
            "date": 1_765_180_800u64,
            "chat": { "id": chat, "type": "private", "first_name": "Warga" },
            "from": { "id": chat, "is_bot": false, "first_name": "Warga" },
            "text": "halo"
        }
    })
    .to_string()
}

/// Delivers every body at once and returns the statuses, in order.
async fn burst(app: &TestApp, bodies: Vec<String>) -> Vec<StatusCode> {
    let url = app.url("/channels/telegram");
    let sends = bodies.into_iter().map(|body| {
        let (client, url) = (app.client.clone(), url.clone());
        async move {
            client
                .post(url)
                .header("content-type", "application/json")
                .header("x-telegram-bot-api-secret-token", SECRET)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    futures::future::join_all(sends).await
}

async fn queued_updates(app: &TestApp) -> u64 {
    job::Entity::find()
        .filter(job::Column::Kind.eq(kotapintar_domain::job::CHANNEL_UPDATE))
        .count(&app.store.reader)
        .await
        .unwrap()
}

async fn a_burst_with_replays_in_it_is_stored_and_queued_once_per_update(app: TestApp) {
    // 60 updates from 60 chats, each delivered twice at the same moment, and 20 of them a
    // third time: the replays land in the same batches as their originals
    let mut bodies: Vec<String> = (0..60).map(|n| update(1000 + n, 5000 + n)).collect();
    bodies.extend((0..60).map(|n| update(1000 + n, 5000 + n)));
    bodies.extend((0..20).map(|n| update(1000 + n * 3, 5000 + n * 3)));
    let statuses = burst(&app, bodies).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(count(&app, channel_update::Entity).await, 60);
    assert_eq!(queued_updates(&app).await, 60, "one job per stored update");
    // and again, after the burst: nothing new
    let again = burst(&app, (0..10).map(|n| update(1000 + n, 5000 + n)).collect()).await;
    assert!(again.iter().all(|s| *s == StatusCode::OK));
    assert_eq!(count(&app, channel_update::Entity).await, 60);
    assert_eq!(queued_updates(&app).await, 60);
}

async fn a_burst_from_one_sender_is_limited_per_minute(app: TestApp) {
    // limits: 3 a minute per sender; one chat sends 8 at once, another 2. The counters' windows
    // are fixed minutes: start the burst well inside one
    let second = chrono::Utc::now().timestamp().rem_euclid(60);
    if second >= 55 {
        tokio::time::sleep(std::time::Duration::from_secs((61 - second) as u64)).await;
    }
    let mut bodies: Vec<String> = (0..8).map(|n| update(2000 + n, 61)).collect();
    bodies.extend((0..2).map(|n| update(3000 + n, 62)));
    let statuses = burst(&app, bodies).await;
    // acknowledged all the same: a refused update would be delivered again and again
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let stored = |chat: i64| {
        let store = app.store.clone();
        async move {
            channel_update::Entity::find()
                .filter(channel_update::Column::Payload.contains(format!("\"id\":{chat},")))
                .count(&store.reader)
                .await
                .unwrap()
        }
    };
    assert_eq!(stored(61).await, 3, "the first 3 of the sender's minute");
    assert_eq!(stored(62).await, 2, "another sender is not held back");
    assert_eq!(queued_updates(&app).await, 5);
}

async fn a_burst_past_the_daily_cap_stores_only_the_cap(app: TestApp) {
    // the channel takes 5 a day: 9 chats at once, then one more later
    let statuses = burst(&app, (0..9).map(|n| update(4000 + n, 7000 + n)).collect()).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    assert_eq!(count(&app, channel_update::Entity).await, 5);
    let later = burst(&app, vec![update(4100, 7100)]).await;
    assert_eq!(later, [StatusCode::OK]);
    assert_eq!(count(&app, channel_update::Entity).await, 5);
    assert_eq!(queued_updates(&app).await, 5);
}

/// One `#[tokio::test]` per backend, each app with the limits the test needs.
macro_rules! with_limits {
    ($($name:ident: $per_minute:expr, $cap:expr;)*) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = super::start(kotapintar_storage::Backend::Sqlite, $per_minute, $cap);
                    super::$name(app.await).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let app = super::start(kotapintar_storage::Backend::Postgres, $per_minute, $cap);
                    super::$name(app.await).await
                }
            )*
        }
    };
}

with_limits! {
    a_burst_with_replays_in_it_is_stored_and_queued_once_per_update: 0, 0;
    a_burst_from_one_sender_is_limited_per_minute: 3, 0;
    a_burst_past_the_daily_cap_stores_only_the_cap: 0, 5;
}
