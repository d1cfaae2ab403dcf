//! The database job queue and its worker.

use crate::harness::TestApp;
use chrono::{Duration, Utc};
use kotapintar_jobs::{Job, Turn, Worker, PURGE_SESSIONS};
use kotapintar_storage::entity::job;
use kotapintar_storage::jobs;
use sea_orm::{ActiveModelTrait, Set, TransactionTrait};

both_backends!(
    a_job_enqueued_in_a_rolled_back_transaction_never_exists,
    failing_jobs_are_retried_later_and_kept,
    a_job_is_leased_to_one_worker_at_a_time,
    purge_job_removes_expired_sessions,
    a_job_whose_payload_does_not_parse_fails_for_good,
    notification_payloads_keep_their_stored_shape,
);

/// A row as an older or newer version (or a damaged table) may hold it.
async fn store_raw(app: &TestApp, kind: &str, payload: &str) {
    job::ActiveModel {
        kind: Set(kind.into()),
        payload: Set(payload.into()),
        run_at: Set(Utc::now()),
        attempts: Set(0),
        max_attempts: Set(5),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.store.writer)
    .await
    .unwrap();
}

fn worker(app: &TestApp) -> Worker {
    Worker::new(
        app.store.clone(),
        app.settings.rules.clone(),
        app.settings.data_dir.join("uploads"),
    )
}

async fn a_job_enqueued_in_a_rolled_back_transaction_never_exists(app: TestApp) {
    let tx = app.store.writer.begin().await.unwrap();
    jobs::enqueue(&tx, &Job::RebuildPerformance, Utc::now())
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert!(jobs::pending(&app.store).await.unwrap().is_empty());
    let tx = app.store.writer.begin().await.unwrap();
    jobs::enqueue(&tx, &Job::RebuildPerformance, Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(jobs::pending(&app.store).await.unwrap().len(), 1);
}

async fn failing_jobs_are_retried_later_and_kept(app: TestApp) {
    // notifications without a sender configured: retried, with the kind's back-off
    kotapintar_storage::notices::email(&app.store.writer, "warga@example.com", "S", "B")
        .await
        .unwrap();
    let worker = worker(&app);
    assert_eq!(
        worker.turn().await.unwrap(),
        Turn::Ran {
            kind: kotapintar_storage::notices::SEND_EMAIL.into(),
            ok: false
        }
    );
    assert_eq!(worker.turn().await.unwrap(), Turn::Idle);
    let j = &jobs::pending(&app.store).await.unwrap()[0];
    assert_eq!(j.attempts, 1);
    assert!(jobs::is_live(j), "still to be tried: {j:?}");
    assert!(j.run_at > Utc::now());
    assert!(j.last_error.as_deref().unwrap().contains("no handler"));
    jobs::complete(&app.store, j.id).await.unwrap();

    // a kind this version does not know: kept, visible, never tried again
    store_raw(&app, "no.such.kind", "null").await;
    assert_eq!(
        worker.turn().await.unwrap(),
        Turn::Ran {
            kind: "no.such.kind".into(),
            ok: false
        }
    );
    // backed off: not due again yet
    assert_eq!(worker.turn().await.unwrap(), Turn::Idle);
    let j = &jobs::pending(&app.store).await.unwrap()[0];
    assert_eq!(j.attempts, 1);
    assert!(!jobs::is_live(j), "given up: {j:?}");
    assert!(j.last_error.as_deref().unwrap().contains("no handler"));
}

async fn a_job_whose_payload_does_not_parse_fails_for_good(app: TestApp) {
    store_raw(
        &app,
        kotapintar_storage::notices::SEND_EMAIL,
        r#"{"to": 5}"#,
    )
    .await;
    let worker = worker(&app);
    assert_eq!(
        worker.turn().await.unwrap(),
        Turn::Ran {
            kind: kotapintar_storage::notices::SEND_EMAIL.into(),
            ok: false
        }
    );
    let j = &jobs::pending(&app.store).await.unwrap()[0];
    assert!(!jobs::is_live(j), "not retried: {j:?}");
    let error = j.last_error.as_deref().unwrap();
    assert!(error.contains("does not parse"), "{error}");
    assert_eq!(worker.turn().await.unwrap(), Turn::Idle);
}

/// Rows queued by earlier versions must still run: the stored form is the contract.
async fn notification_payloads_keep_their_stored_shape(app: TestApp) {
    kotapintar_storage::notices::email(&app.store.writer, "warga@example.com", "Subjek", "Isi")
        .await
        .unwrap();
    kotapintar_storage::notices::message(&app.store.writer, "0812 3456 7890", "Pesan")
        .await
        .unwrap();
    let pending = jobs::pending(&app.store).await.unwrap();
    let stored: Vec<(String, serde_json::Value, i32)> = pending
        .iter()
        .map(|j| {
            (
                j.kind.clone(),
                serde_json::from_str(&j.payload).unwrap(),
                j.max_attempts,
            )
        })
        .collect();
    let attempts = kotapintar_domain::job::RetryPolicy::NOTIFICATION.max_attempts;
    assert_eq!(
        stored,
        vec![
            (
                "notify.email".to_string(),
                serde_json::json!({"to": "warga@example.com", "subject": "Subjek", "body_text": "Isi"}),
                attempts
            ),
            (
                "notify.message".to_string(),
                serde_json::json!({"to": "0812 3456 7890", "body_text": "Pesan"}),
                attempts
            ),
        ]
    );
}

async fn a_job_is_leased_to_one_worker_at_a_time(app: TestApp) {
    jobs::enqueue(&app.store.writer, &Job::SweepRequests, Utc::now())
        .await
        .unwrap();
    // a worker takes it and dies: its lease runs out
    let first = jobs::claim(&app.store, Duration::minutes(-1))
        .await
        .unwrap()
        .expect("claimed");
    // so another worker may take it again
    let second = jobs::claim(&app.store, Duration::minutes(5))
        .await
        .unwrap()
        .expect("re-claimed");
    assert_eq!(first.id, second.id);
    assert_eq!(second.attempts, 2);
    // while that lease holds, nobody else gets it
    assert!(jobs::claim(&app.store, Duration::minutes(5))
        .await
        .unwrap()
        .is_none());
}

async fn purge_job_removes_expired_sessions(app: TestApp) {
    app.login_admin().await;
    let actor = match kotapintar_storage::users::authenticate(
        &app.store,
        "admin",
        crate::harness::ADMIN_PASSWORD,
    )
    .await
    .unwrap()
    {
        kotapintar_storage::users::LoginOutcome::Ok(a) => a,
        other => panic!("{other:?}"),
    };
    kotapintar_storage::sessions::create(&app.store, &actor, Duration::seconds(-1))
        .await
        .unwrap();
    jobs::enqueue(&app.store.writer, &Job::PurgeSessions, Utc::now())
        .await
        .unwrap();
    let turns = app.run_jobs().await;
    assert!(turns.contains(&Turn::Ran {
        kind: PURGE_SESSIONS.into(),
        ok: true
    }));
    // the live session (from login_admin) survives
    assert_eq!(app.get("/staf").await.status(), reqwest::StatusCode::OK);
}
