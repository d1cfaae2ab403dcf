//! The hash-chained audit log.

use crate::harness::TestApp;
use kotapintar_domain::audit::ChainError;
use kotapintar_domain::unit::UnitInput;
use kotapintar_storage::audit::{self, AuditActor};
use kotapintar_storage::units;
use sea_orm::{ConnectionTrait, Statement};

both_backends!(
    chain_verifies_and_detects_edits,
    deleting_entries_is_detected,
    concurrent_changes_keep_the_chain_intact,
);

fn draft(code: &str) -> kotapintar_domain::unit::UnitDraft {
    UnitInput {
        code: code.into(),
        name: format!("Unit {code}"),
        kind: "dinas".into(),
        ..Default::default()
    }
    .parse()
    .unwrap()
}

async fn exec(app: &TestApp, sql: &str) {
    let backend = app.store.writer.get_database_backend();
    app.store
        .writer
        .execute(Statement::from_string(backend, sql))
        .await
        .unwrap();
}

async fn chain_verifies_and_detects_edits(app: TestApp) {
    let actor = AuditActor::System("test".into());
    for code in ["A1", "A2", "A3"] {
        units::create(&app.store, &actor, draft(code))
            .await
            .unwrap();
    }
    // the first admin's creation is entry 1
    assert_eq!(audit::verify(&app.store).await.unwrap(), Ok(4));
    exec(
        &app,
        "UPDATE audit_log SET after_json = '{\"name\":\"forged\"}' WHERE seq = 3",
    )
    .await;
    assert_eq!(
        audit::verify(&app.store).await.unwrap(),
        Err(ChainError::Tampered { seq: 3 })
    );
}

async fn deleting_entries_is_detected(app: TestApp) {
    let actor = AuditActor::System("test".into());
    for code in ["B1", "B2", "B3"] {
        units::create(&app.store, &actor, draft(code))
            .await
            .unwrap();
    }
    exec(&app, "DELETE FROM audit_log WHERE seq = 4").await;
    assert_eq!(
        audit::verify(&app.store).await.unwrap(),
        Err(ChainError::Truncated { last: 3, head: 4 })
    );
    exec(&app, "DELETE FROM audit_log WHERE seq = 2").await;
    assert_eq!(
        audit::verify(&app.store).await.unwrap(),
        Err(ChainError::Gap { after: 1, next: 3 })
    );
}

async fn concurrent_changes_keep_the_chain_intact(app: TestApp) {
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = app.store.clone();
        tasks.push(tokio::spawn(async move {
            units::create(
                &store,
                &AuditActor::System("test".into()),
                draft(&format!("C{i}")),
            )
            .await
            .unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(audit::verify(&app.store).await.unwrap(), Ok(21));
}
