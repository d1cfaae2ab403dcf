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
    // start-up already wrote some entries (the holiday calendar, the first admin)
    let base = audit::verify(&app.store).await.unwrap().unwrap();
    assert!(base >= 1);
    for code in ["A1", "A2", "A3"] {
        units::create(&app.store, &actor, draft(code))
            .await
            .unwrap();
    }
    assert_eq!(audit::verify(&app.store).await.unwrap(), Ok(base + 3));
    let sql = format!(
        "UPDATE audit_log SET after_json = '{{\"name\":\"forged\"}}' WHERE seq = {}",
        base + 2
    );
    exec(&app, &sql).await;
    assert_eq!(
        audit::verify(&app.store).await.unwrap(),
        Err(ChainError::Tampered { seq: base + 2 })
    );
}

async fn deleting_entries_is_detected(app: TestApp) {
    let actor = AuditActor::System("test".into());
    let base = audit::verify(&app.store).await.unwrap().unwrap();
    for code in ["B1", "B2", "B3"] {
        units::create(&app.store, &actor, draft(code))
            .await
            .unwrap();
    }
    let last = base + 3;
    exec(&app, &format!("DELETE FROM audit_log WHERE seq = {last}")).await;
    assert_eq!(
        audit::verify(&app.store).await.unwrap(),
        Err(ChainError::Truncated {
            last: last - 1,
            head: last
        })
    );
    exec(&app, "DELETE FROM audit_log WHERE seq = 2").await;
    assert_eq!(
        audit::verify(&app.store).await.unwrap(),
        Err(ChainError::Gap { after: 1, next: 3 })
    );
}

async fn concurrent_changes_keep_the_chain_intact(app: TestApp) {
    let base = audit::verify(&app.store).await.unwrap().unwrap();
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
    assert_eq!(audit::verify(&app.store).await.unwrap(), Ok(base + 20));
}
