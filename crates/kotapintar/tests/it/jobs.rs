//! The database job queue and its worker.

use crate::harness::TestApp;
use chrono::{Duration, Utc};
use kotapintar_jobs::{Turn, Worker, PURGE_SESSIONS};
use kotapintar_storage::jobs;
use sea_orm::TransactionTrait;

both_backends!(
    a_job_enqueued_in_a_rolled_back_transaction_never_exists,
    failing_jobs_are_retried_later_and_kept,
    a_job_is_leased_to_one_worker_at_a_time,
    purge_job_removes_expired_sessions,
);

async fn a_job_enqueued_in_a_rolled_back_transaction_never_exists(app: TestApp) {
    let tx = app.store.writer.begin().await.unwrap();
    jobs::enqueue(&tx, "test.kind", &serde_json::json!({"n": 1}), Utc::now())
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert!(jobs::pending(&app.store).await.unwrap().is_empty());
    let tx = app.store.writer.begin().await.unwrap();
    jobs::enqueue(&tx, "test.kind", &serde_json::json!({"n": 2}), Utc::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(jobs::pending(&app.store).await.unwrap().len(), 1);
}

async fn failing_jobs_are_retried_later_and_kept(app: TestApp) {
    jobs::enqueue(
        &app.store.writer,
        "no.such.kind",
        &serde_json::Value::Null,
        Utc::now(),
    )
    .await
    .unwrap();
    let worker = Worker::new(
        app.store.clone(),
        app.settings.rules.clone(),
        app.settings.data_dir.join("uploads"),
    );
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
    assert!(j.run_at > Utc::now());
    assert!(j.last_error.as_deref().unwrap().contains("no handler"));
}

async fn a_job_is_leased_to_one_worker_at_a_time(app: TestApp) {
    jobs::enqueue(&app.store.writer, "x", &serde_json::Value::Null, Utc::now())
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
    jobs::enqueue(
        &app.store.writer,
        PURGE_SESSIONS,
        &serde_json::Value::Null,
        Utc::now(),
    )
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
