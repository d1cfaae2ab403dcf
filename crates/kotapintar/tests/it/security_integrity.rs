//! Issue 17, integrity: an audit chain that whoever can write the database cannot recompute,
//! an audit entry for every write that changes what staff or the public see, and
//! notifications that outlast a mail server that is down for a whole weekend.

use crate::harness::{settings_with_smtp, TestApp, TestDb};
use chrono::{Duration, Utc};
use kotapintar::app::Application;
use kotapintar::config::{AuditKeySource, Secret};
use kotapintar_domain::audit::{entry_hash, AuditContent, AuditKey, ChainError, GENESIS_HASH};
use kotapintar_jobs::{Turn, Worker};
use kotapintar_storage::audit::{self, AuditActor};
use kotapintar_storage::entity::{audit_head, audit_log, job};
use kotapintar_storage::{jobs, requests, units, DatabaseUrl, OpenMode, Store};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement};
use std::process::{Command, Output};
use std::sync::Arc;

both_backends!(
    an_attacker_who_recomputes_the_chain_without_the_key_is_caught,
    audit_verify_names_the_key_and_fails_with_a_wrong_one_or_an_edit,
    entries_from_before_the_key_keep_verifying_as_plain_sha256,
    a_node_with_another_key_or_none_refuses_to_start,
    the_weekly_summary_carries_the_chain_head,
    reporter_steps_and_the_survey_are_audited,
    the_sweep_closing_and_escalating_is_audited,
    imported_requests_are_audited,
    webhook_subscriptions_and_replays_are_audited,
    a_notice_survives_a_weekend_long_mail_outage,
);

fn draft(code: &str) -> kotapintar_domain::unit::UnitDraft {
    kotapintar_domain::unit::UnitInput {
        code: code.into(),
        name: format!("Unit {code}"),
        kind: "dinas".into(),
        ..Default::default()
    }
    .parse()
    .unwrap()
}

fn system() -> AuditActor {
    AuditActor::System("test".into())
}

async fn exec(store: &Store, sql: &str) {
    let backend = store.writer.get_database_backend();
    store
        .writer
        .execute(Statement::from_string(backend, sql))
        .await
        .unwrap();
}

/// The deployment's key, as the application found or made it.
fn key_of(app: &TestApp) -> AuditKey {
    kotapintar::audit_key::read(&app.settings)
        .unwrap()
        .expect("the application made its audit key")
}

/// What an attacker with write access to the database does: changes entry `from` (its
/// `after` to `forged`, if given) and recomputes the plain SHA-256 chain from there to the
/// head, head row included.
async fn rewrite_plain(store: &Store, from: i64, forged: Option<&str>) {
    let rows = audit_log::Entity::find()
        .order_by_asc(audit_log::Column::Seq)
        .all(&store.reader)
        .await
        .unwrap();
    let mut prev = rows
        .iter()
        .find(|r| r.seq == from - 1)
        .map(|r| r.hash.clone())
        .unwrap_or_else(|| GENESIS_HASH.to_string());
    for r in rows.iter().filter(|r| r.seq >= from) {
        let after = match (r.seq == from, forged) {
            (true, Some(f)) => Some(f.to_string()),
            _ => r.after_json.clone(),
        };
        let content = AuditContent {
            seq: r.seq,
            at_micros: r.at_micros,
            actor: r.actor.clone(),
            action: r.action.clone(),
            entity_type: r.entity_type.clone(),
            entity_id: r.entity_id.clone(),
            before: r.before_json.clone(),
            after: after.clone(),
        };
        let hash = entry_hash(&prev, &content);
        audit_log::Entity::update_many()
            .col_expr(audit_log::Column::AfterJson, Expr::value(after))
            .col_expr(audit_log::Column::PrevHash, Expr::value(prev.clone()))
            .col_expr(audit_log::Column::Hash, Expr::value(hash.clone()))
            .filter(audit_log::Column::Seq.eq(r.seq))
            .exec(&store.writer)
            .await
            .unwrap();
        prev = hash;
    }
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::Hash, Expr::value(prev))
        .filter(audit_head::Column::Id.eq(1))
        .exec(&store.writer)
        .await
        .unwrap();
}

async fn an_attacker_who_recomputes_the_chain_without_the_key_is_caught(app: TestApp) {
    for code in ["K1", "K2", "K3"] {
        units::create(&app.store, &system(), draft(code))
            .await
            .unwrap();
    }
    let n = audit::verify(&app.store).await.unwrap().unwrap();
    // with the right key the chain passes, keyed from its first entry
    let key = key_of(&app);
    let v = audit::verify_with(&app.store, Some(&key), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(v.entries, n);
    let since = v.keyed_since.expect("keyed");
    assert_eq!((since.seq, since.key_id.as_str()), (1, key.id()));
    let (head_seq, head_hash) = (v.entries, v.head_hash.clone());

    // the attacker edits an entry and recomputes the plain SHA-256 chain to the head
    let target = n - 1;
    rewrite_plain(&app.store, target, Some(r#"{"name":"forged"}"#)).await;
    assert_eq!(
        audit::verify(&app.store).await.unwrap(),
        Err(ChainError::Tampered { seq: target })
    );
    // ...and also clears the key ids from there on: a plain entry after keyed ones
    exec(
        &app.store,
        &format!("UPDATE audit_log SET key_id = NULL WHERE seq >= {target}"),
    )
    .await;
    assert_eq!(
        audit::verify_with(&app.store, Some(&key), None)
            .await
            .unwrap()
            .map(|v| v.entries),
        Err(ChainError::Downgraded { seq: target })
    );
    // ...or rewrites the whole chain as plain, head row included: the verifier then reports
    // it as not keyed at all, and the head copied outside the database no longer matches
    exec(&app.store, "UPDATE audit_log SET key_id = NULL").await;
    exec(&app.store, "UPDATE audit_head SET key_id = NULL").await;
    rewrite_plain(&app.store, 1, None).await;
    let downgraded = audit::verify_with(&app.store, Some(&key), None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(downgraded.keyed_since, None);
    assert_eq!(
        audit::verify_with(&app.store, Some(&key), Some((head_seq, head_hash.as_str())))
            .await
            .unwrap()
            .map(|v| v.entries),
        Err(ChainError::NotAsRecorded {
            seq: head_seq,
            detail: "its hash differs".into()
        })
    );
}

/// `kotapintar audit verify` against the test's database, as an operator runs it on the
/// server (its data directory holds the key file).
fn audit_verify(app: &TestApp, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kotapintar"));
    cmd.args(["audit", "verify"])
        .args(args)
        .current_dir(app._db.dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env(
            "KOTAPINTAR_DATABASE_URL",
            app.settings.database_url.expose(),
        )
        .env("KOTAPINTAR_DATA_DIR", &app.settings.data_dir)
        .env("KOTAPINTAR_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run kotapintar audit verify")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

async fn audit_verify_names_the_key_and_fails_with_a_wrong_one_or_an_edit(app: TestApp) {
    units::create(&app.store, &system(), draft("V1"))
        .await
        .unwrap();
    let key = key_of(&app);
    let o = audit_verify(&app, &[], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("keyed with key {} since entry 1 (", key.id())),
        "{}",
        text(&o)
    );
    // the key file is its owner's alone
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(app.settings.data_dir.join("audit.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // the head as the weekly summary records it
    let (seq, hash, _) = audit::head(&app.store.reader).await.unwrap().unwrap();
    let o = audit_verify(&app, &[], &["--recorded-head", &format!("{seq}:{hash}")]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // another key: refused
    let other = "ab".repeat(32);
    let o = audit_verify(&app, &[("KOTAPINTAR_AUDIT_KEY", &other)], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(&format!(
            "keyed with key {}, but the audit key given is",
            key.id()
        )),
        "{}",
        text(&o)
    );
    // an entry edited and the chain recomputed without the key: refused
    rewrite_plain(&app.store, seq, Some(r#"{"name":"forged"}"#)).await;
    let o = audit_verify(&app, &[], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains(&format!("AUDIT LOG BROKEN: entry {seq}:")),
        "{}",
        text(&o)
    );
}

async fn entries_from_before_the_key_keep_verifying_as_plain_sha256(app: TestApp) {
    // a deployment from before the key: its entries are plain SHA-256
    let db = Arc::new(TestDb::create(app.store.backend()).await);
    let old = Store::connect(
        &DatabaseUrl::parse(&db.url).unwrap(),
        OpenMode::CreateIfMissing,
    )
    .await
    .unwrap();
    old.migrate().await.unwrap();
    for code in ["L1", "L2"] {
        units::create(&old, &system(), draft(code)).await.unwrap();
    }
    old.close().await;
    // upgraded: the first start makes a key and keys the chain from the next entry on
    let settings = settings_with_smtp(&db, Some(app.mail.port));
    let node = TestApp::start(db, app.mail.clone(), settings).await;
    units::create(&node.store, &system(), draft("L3"))
        .await
        .unwrap();
    let key = key_of(&node);
    let v = audit::verify_with(&node.store, Some(&key), None)
        .await
        .unwrap()
        .unwrap();
    assert!(v.entries >= 4);
    assert_eq!(v.keyed_since.unwrap().seq, 3, "entries 1 and 2 stay plain");
    // the plain part cannot be rewritten either: the first keyed entry covers its last hash
    rewrite_plain(&node.store, 1, Some(r#"{"name":"forged"}"#)).await;
    assert_eq!(
        audit::verify(&node.store).await.unwrap(),
        Err(ChainError::Tampered { seq: 3 })
    );
}

fn secret(s: &str) -> Secret {
    serde_json::from_value(serde_json::json!(s)).unwrap()
}

async fn a_node_with_another_key_or_none_refuses_to_start(app: TestApp) {
    let key = key_of(&app);
    // another key
    let mut s = settings_with_smtp(&app._db, None);
    s.audit_key = AuditKeySource::Value(secret(&"cd".repeat(32)));
    let e = match Application::build(&s, OpenMode::MustExist).await {
        Ok(_) => panic!("a node with another audit key started"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains(&format!("keyed with key {}", key.id())), "{e}");
    // no key at all (another data directory): nothing is made up, the node stops
    let elsewhere = tempfile::tempdir().unwrap();
    let mut s = settings_with_smtp(&app._db, None);
    s.audit_key = AuditKeySource::DefaultFile(elsewhere.path().join("audit.key"));
    let e = match Application::build(&s, OpenMode::MustExist).await {
        Ok(_) => panic!("a node without the audit key started"),
        Err(e) => e.to_string(),
    };
    assert!(e.contains("this node has no key"), "{e}");
    assert!(!elsewhere.path().join("audit.key").exists());
    // the same key given in the environment's form works
    let hex = std::fs::read_to_string(app.settings.data_dir.join("audit.key")).unwrap();
    let mut s = settings_with_smtp(&app._db, None);
    s.audit_key = AuditKeySource::Value(secret(hex.trim()));
    // (a node of its own: the running one holds its search index)
    s.search_dir = elsewhere.path().join("search");
    if let Err(e) = Application::build(&s, OpenMode::MustExist).await {
        panic!("a node with the deployment's key did not start: {e}");
    }
    assert!(audit::verify(&app.store).await.unwrap().is_ok());
}

async fn the_weekly_summary_carries_the_chain_head(app: TestApp) {
    app.login_admin().await;
    let r = app
        .post_form(
            "/staf/pengguna/baru",
            &[
                ("username", "bupati"),
                ("full_name", "Bupati Badung"),
                ("role", "leader"),
                ("unit_code", ""),
                ("email", "bupati@badungkab.go.id"),
                ("password", "bupati-badung-1"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.logout().await;
    let (seq, hash, _) = audit::head(&app.store.reader).await.unwrap().unwrap();
    jobs::enqueue(
        &app.store.writer,
        &kotapintar_jobs::Job::WeeklySummary,
        Utc::now(),
    )
    .await
    .unwrap();
    app.run_jobs().await;
    let mails = app
        .mail
        .wait_for(1, std::time::Duration::from_secs(10))
        .await;
    let summary = mails
        .iter()
        .find(|m| m.to.iter().any(|t| t == "bupati@badungkab.go.id"))
        .expect("the summary");
    let body = summary.body();
    assert!(body.contains(&format!("{seq}:{hash}")), "{body}");
    assert!(
        body.contains(&format!(
            "kotapintar audit verify --recorded-head {seq}:{hash}"
        )),
        "{body}"
    );
}

/// The areas, a unit DPUPR, and the admin logged in (who may take every staff step).
async fn setup_unit(app: &TestApp) {
    app.import_areas().await;
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
}

const REQUEST: &[(&str, &str)] = &[
    ("kind", "pengaduan"),
    ("title", "Lampu jalan mati di depan pura"),
    (
        "description",
        "Tiga lampu penerangan jalan mati sejak minggu lalu, jalan gelap di malam hari.",
    ),
    ("district_code", "51.03.01"),
    ("village_code", "51.03.01.1002"),
    ("email", "warga@contoh.id"),
    ("confirm_new", "1"),
];

fn request_with(title: &str) -> Vec<(&str, &str)> {
    let mut v: Vec<(&str, &str)> = REQUEST
        .iter()
        .filter(|(k, _)| *k != "title")
        .cloned()
        .collect();
    v.push(("title", title));
    v
}

/// The audit log's entries about one request, oldest first: (action, actor).
async fn audited(app: &TestApp, entity: &str, id: i64) -> Vec<(String, String)> {
    let mut log = audit::recent(&app.store, Some((entity, &id.to_string())), 100)
        .await
        .unwrap();
    log.reverse();
    log.into_iter().map(|e| (e.action, e.actor)).collect()
}

async fn resolve(app: &TestApp, id: i64) {
    let r = app
        .post_form(
            &format!("/staf/laporan/{id}/aksi"),
            &[
                ("action", "resolve"),
                ("response", "Lampu sudah diganti oleh tim lapangan."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn reporter_steps_and_the_survey_are_audited(app: TestApp) {
    setup_unit(&app).await;
    let r = app.file_request(REQUEST, &[]).await;
    let (code, token) = TestApp::filed(&r);
    let id = app.request_id(&code).await;
    app.dispatch(id, "DPUPR").await;
    resolve(&app, id).await;
    let follow = format!("/laporan/{code}/ikuti/{token}");
    let r = app
        .post_form(
            &format!("{follow}/buka-kembali"),
            &[("reason", "Lampu mati lagi malam ini")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    resolve(&app, id).await;
    let r = app.post_form(&format!("{follow}/konfirmasi"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let answers: Vec<(String, String)> = (1..=9)
        .map(|i| (format!("U{i}"), "4".to_string()))
        .collect();
    let refs: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = app.post_form(&format!("{follow}/survei"), &refs).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let log = audited(&app, "request", id).await;
    for action in ["request.reopen", "request.confirm", "request.survey"] {
        assert!(
            log.iter()
                .any(|(a, who)| a == action && who == "system:reporter"),
            "{action}: {log:?}"
        );
    }
    // the reporter's own words stay in the timeline, out of the log that is never erased
    let entries = audit::recent(&app.store, Some(("request", &id.to_string())), 100)
        .await
        .unwrap();
    assert!(entries
        .iter()
        .all(|e| !e.after.as_deref().unwrap_or("").contains("Lampu mati lagi")));
    assert!(audit::verify(&app.store).await.unwrap().is_ok());
}

async fn the_sweep_closing_and_escalating_is_audited(app: TestApp) {
    setup_unit(&app).await;
    let r = app.file_request(REQUEST, &[]).await;
    let resolved = app.request_id(&TestApp::filed(&r).0).await;
    let r = app
        .file_request(&request_with("Trotoar rusak parah di banjar"), &[])
        .await;
    let late = app.request_id(&TestApp::filed(&r).0).await;
    app.dispatch(resolved, "DPUPR").await;
    app.dispatch(late, "DPUPR").await;
    resolve(&app, resolved).await;
    let cal = kotapintar_storage::holidays::calendar(&app.store)
        .await
        .unwrap();
    let later = Utc::now() + Duration::days(30);
    let s = requests::sweep(&app.store, &app.settings.rules, &cal, later)
        .await
        .unwrap();
    assert_eq!((s.closed, s.escalated), (1, 1));
    let closed = audited(&app, "request", resolved).await;
    assert!(
        closed
            .iter()
            .any(|(a, who)| a == "request.auto_close" && who == "system:sweep"),
        "{closed:?}"
    );
    let escalated = audited(&app, "request", late).await;
    assert!(
        escalated
            .iter()
            .any(|(a, who)| a == "request.escalate" && who == "system:sweep"),
        "{escalated:?}"
    );
    assert!(audit::verify(&app.store).await.unwrap().is_ok());
}

async fn imported_requests_are_audited(app: TestApp) {
    setup_unit(&app).await;
    let file = app._db.dir.path().join("requests.csv");
    std::fs::write(
        &file,
        "source_id,kind,service_code,title,description,status,received_at,resolved_at,response,district_code,answers\n\
         SIM-3,aspirasi,,Taman,Mohon taman kota diperbanyak pohonnya.,ditindaklanjuti,2025-04-01T09:00:00+08:00,,,,\n\
         SIM-5,aspirasi,,Taman bermain,Mohon taman bermain anak diperbaiki.,selesai,2025-03-02,2025-03-10,Sudah diperbaiki oleh dinas.,51.03.01,\n",
    )
    .unwrap();
    let code = kotapintar::commands::import::requests_file(
        &app.store,
        &app.settings,
        "DPUPR",
        &file,
        false,
    )
    .await
    .unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let imported: Vec<i64> = kotapintar_storage::entity::import_source::Entity::find()
        .all(&app.store.reader)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.request_id)
        .collect();
    assert_eq!(imported.len(), 2);
    for id in imported {
        let log = audited(&app, "request", id).await;
        assert!(
            log.iter()
                .any(|(a, who)| a == "request.import" && who == "system:import"),
            "{log:?}"
        );
    }
    assert!(audit::verify(&app.store).await.unwrap().is_ok());
}

/// Subscribes through the API; returns the subscription's id.
async fn subscribe(app: &TestApp, c: &reqwest::Client, token: &str) -> i64 {
    let r = c
        .post(app.url("/api/v1/webhooks"))
        .bearer_auth(token)
        .json(&serde_json::json!({"url": "https://hooks.example.org/kotapintar"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn webhook_subscriptions_and_replays_are_audited(app: TestApp) {
    setup_unit(&app).await;
    let issued = kotapintar_storage::clients::create(
        &app.store,
        &system(),
        "SIMJALAN",
        "DPUPR",
        "events:read",
        600,
    )
    .await
    .unwrap();
    let client_id = issued.client.id;
    let (c, _) = app.new_visitor();
    let first = subscribe(&app, &c, &issued.token).await;
    let r = c
        .delete(app.url(&format!("/api/v1/webhooks/{first}")))
        .bearer_auth(&issued.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let log = audited(&app, "client", client_id).await;
    let by_client = format!("client-{client_id}");
    for action in ["webhook.subscribe", "webhook.unsubscribe"] {
        assert!(
            log.iter().any(|(a, who)| a == action && *who == by_client),
            "{action}: {log:?}"
        );
    }
    // the secret never enters the log
    let entries = audit::recent(&app.store, Some(("client", &client_id.to_string())), 100)
        .await
        .unwrap();
    assert!(entries
        .iter()
        .all(|e| !e.after.as_deref().unwrap_or("").contains("whsec_")));

    // a delivery, and the admin sends it again
    subscribe(&app, &c, &issued.token).await;
    let r = app.file_request(REQUEST, &[]).await;
    let id = app.request_id(&TestApp::filed(&r).0).await;
    app.dispatch(id, "DPUPR").await;
    kotapintar_storage::webhooks::fan_out(&app.store)
        .await
        .unwrap();
    let delivery = kotapintar_storage::entity::webhook_delivery::Entity::find()
        .one(&app.store.reader)
        .await
        .unwrap()
        .expect("a delivery")
        .id;
    let r = app
        .post_form(
            &format!("/staf/klien/{client_id}/ulang"),
            &[("delivery", &delivery.to_string())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let log = audited(&app, "webhook_delivery", delivery).await;
    assert!(
        log.iter()
            .any(|(a, who)| a == "webhook.replay" && who == "admin"),
        "{log:?}"
    );
    assert!(audit::verify(&app.store).await.unwrap().is_ok());
}

/// The mail server is down from Friday 17:00 to Monday 09:00 (64 hours). Time is simulated:
/// after each failed try the job's next try is brought forward to now, and the back-off it
/// was given is added to the outage so far.
async fn a_notice_survives_a_weekend_long_mail_outage(app: TestApp) {
    app.import_areas().await;
    let r = app.file_request(REQUEST, &[]).await;
    let (code, _) = TestApp::filed(&r);
    let notice = jobs::pending(&app.store)
        .await
        .unwrap()
        .into_iter()
        .find(|j| j.kind == kotapintar_storage::notices::SEND_EMAIL)
        .expect("the reporter's notice is queued")
        .id;
    // nothing listens on this port: every connection is refused
    let down_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut smtp = app.settings.smtp.clone();
    smtp.port = down_port;
    let down = Worker::new(
        app.store.clone(),
        app.settings.rules.clone(),
        app.settings.data_dir.join("uploads"),
    )
    .with_notifications(&smtp, &app.settings.message_gateway)
    .unwrap();
    let mut outage = Duration::zero();
    while outage < Duration::hours(64) {
        let turns = down.drain().await.unwrap();
        assert!(
            turns
                .iter()
                .any(|t| matches!(t, Turn::Ran { ok: false, .. })),
            "{turns:?}"
        );
        let j = job::Entity::find_by_id(notice)
            .one(&app.store.reader)
            .await
            .unwrap()
            .expect("the notice is kept");
        assert!(
            j.attempts < j.max_attempts,
            "the notice gave up after {} attempts, {} hours into the outage",
            j.attempts,
            outage.num_hours()
        );
        outage += j.run_at - Utc::now();
        job::Entity::update_many()
            .col_expr(job::Column::RunAt, Expr::value(Utc::now()))
            .filter(job::Column::Id.eq(notice))
            .exec(&app.store.writer)
            .await
            .unwrap();
    }
    assert!(app.mail.messages().is_empty());
    // Monday 09:00: the mail server is back, and the notice goes out
    app.run_jobs().await;
    let mails = app
        .mail
        .wait_for(1, std::time::Duration::from_secs(10))
        .await;
    assert!(
        mails
            .iter()
            .any(|m| m.to == ["warga@contoh.id"] && m.subject().unwrap_or_default().contains(&code)),
        "{mails:?}"
    );
    assert!(job::Entity::find_by_id(notice)
        .one(&app.store.reader)
        .await
        .unwrap()
        .is_none());
}
