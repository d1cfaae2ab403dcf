//! Faults: a disk that fills up, a database that drops its connections, providers that never
//! answer. The promise checked everywhere: an answer that says "accepted" (303 with a tracking
//! code, 201) means the request is stored with its timeline entry and its outbox event (and a
//! staff step with its audit entry); everything else is a plain 503 with `Retry-After` and,
//! on the public form, the form again with what was typed.
//!
//! A full disk is made on SQLite with `PRAGMA max_page_count` on the writer connection (and on
//! every connection that replaces it): the database is "full" at that size, and SQLite answers
//! SQLITE_FULL exactly as on a full file system, rolling back the statement or the whole
//! transaction. It needs no privileges, so it runs on a clean clone.

use crate::harness::{settings_with_smtp, TestApp, TestDb};
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::entity::{audit_log, event, job, request, request_event};
use kotapintar_storage::{clients, Backend, DatabaseUrl, OpenMode, Store};
use rand::Rng;
use reqwest::StatusCode;
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DbBackend, EntityTrait, PaginatorTrait, QueryFilter,
    Statement,
};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

macro_rules! on_backend {
    ($module:ident, $backend:ident: $($name:ident),* $(,)?) => {
        mod $module { $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                super::$name($crate::harness::TestApp::spawn(kotapintar_storage::Backend::$backend).await).await
            }
        )* }
    };
}

// a full disk is a SQLite matter here (PostgreSQL's disk is the database server's)
on_backend!(full_disk_sqlite, Sqlite:
    requests_answered_while_the_disk_fills_are_all_stored_and_the_server_recovers,
    every_step_of_intake_and_of_a_staff_step_meets_a_full_disk,
    staff_steps_on_a_full_disk_are_refused_whole_and_taken_once_space_returns,
);

// A step refused for a full disk shows the request's page again, 503 with Retry-After, the
// message, and the note the officer typed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbox_step_refused_for_a_full_disk_keeps_what_was_typed_sqlite() {
    an_inbox_step_refused_for_a_full_disk_keeps_what_was_typed(
        TestApp::spawn(Backend::Sqlite).await,
    )
    .await
}
on_backend!(restart_postgres, Postgres:
    dropped_database_connections_lose_nothing_and_answer_no_500,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_free_space_refuses_new_requests_before_the_disk_is_full_sqlite() {
    low_free_space_refuses_new_requests_before_the_disk_is_full(Backend::Sqlite).await
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_free_space_refuses_new_requests_before_the_disk_is_full_postgres() {
    low_free_space_refuses_new_requests_before_the_disk_is_full(Backend::Postgres).await
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_that_never_answer_do_not_hold_intake_sqlite() {
    providers_that_never_answer_do_not_hold_intake(Backend::Sqlite).await
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn providers_that_never_answer_do_not_hold_intake_postgres() {
    providers_that_never_answer_do_not_hold_intake(Backend::Postgres).await
}

const FORM: &[(&str, &str)] = &[
    ("kind", "pengaduan"),
    ("district_code", "51.03.01"),
    ("village_code", "51.03.01.1002"),
    ("latitude", "-8.7201"),
    ("longitude", "115.1689"),
    ("location_address", "Jl. Raya Kuta depan pura"),
    ("name", "Wayan Uji"),
    ("email", "warga@contoh.id"),
    ("phone", "081234567890"),
    // no "similar requests" step: every post files
    ("confirm_new", "1"),
];

/// What one filing got.
#[derive(Debug, Clone)]
struct Filed {
    via: &'static str,
    title: String,
    status: StatusCode,
    /// The tracking code, when the answer said "accepted".
    code: Option<String>,
    /// Why the answer breaks the rules, if it does.
    problem: Option<String>,
}

/// A resident with a browser of their own (cookies, CSRF token).
struct Resident {
    client: reqwest::Client,
    base: String,
    csrf: String,
}

impl Resident {
    async fn new(app: &TestApp) -> Self {
        let (client, jar) = app.new_visitor();
        client.get(app.url("/lapor")).send().await.unwrap();
        let csrf = crate::harness::cookie_of(&jar, &app.base, "kp_csrf").expect("csrf cookie");
        Self {
            client,
            base: app.base.clone(),
            csrf,
        }
    }

    /// Files through `/lapor` and checks the answer's form: a 303 to the follow-up page, or a
    /// 503 with `Retry-After`, the message, and the form again with the title typed.
    async fn file(&self, title: &str) -> Filed {
        let mut form = reqwest::multipart::Form::new()
            .text("_csrf", self.csrf.clone())
            .text("title", title.to_string())
            .text(
                "description",
                format!("{title}: tiga lampu penerangan jalan mati sejak minggu lalu."),
            );
        for (k, v) in FORM {
            form = form.text(k.to_string(), v.to_string());
        }
        let mut filed = Filed {
            via: "form",
            title: title.to_string(),
            status: StatusCode::IM_A_TEAPOT,
            code: None,
            problem: None,
        };
        let r = match self
            .client
            .post(format!("{}/lapor", self.base))
            .multipart(form)
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => {
                filed.problem = Some(format!("no answer: {e}"));
                return filed;
            }
        };
        filed.status = r.status();
        match r.status() {
            StatusCode::SEE_OTHER => {
                let loc = crate::harness::location(&r);
                filed.code = loc
                    .strip_prefix("/laporan/")
                    .and_then(|rest| rest.split_once("/ikuti/"))
                    .map(|(code, _)| code.to_string());
                if filed.code.is_none() {
                    filed.problem = Some(format!("303 to {loc}"));
                }
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                let retry = r.headers().contains_key("retry-after");
                let body = r.text().await.unwrap_or_default();
                if !retry {
                    filed.problem = Some("503 without Retry-After".into());
                } else if !body.contains("id=\"unavailable\"") {
                    filed.problem = Some("503 without the message".into());
                } else if !body.contains(&format!("value=\"{title}\"")) {
                    filed.problem = Some("503 without the typed title".into());
                } else if !body.contains("tiga lampu penerangan jalan mati") {
                    filed.problem = Some("503 without the typed description".into());
                }
            }
            s => {
                let body = r.text().await.unwrap_or_default();
                filed.problem = Some(format!("{s}: {}", &body[..body.len().min(300)]));
            }
        }
        filed
    }
}

/// Files through the API; a 201 with a code, or a 503 problem with `Retry-After`.
async fn file_by_api(app_base: &str, token: &str, title: &str, key: Option<String>) -> Filed {
    let client = reqwest::Client::new();
    let mut req = client
        .post(format!("{app_base}/api/v1/requests"))
        .bearer_auth(token)
        .json(&serde_json::json!({
            "kind": "pengaduan",
            "title": title,
            "description": format!("{title}: warga menelepon, lubang besar di depan balai banjar."),
            "district_code": "51.03.01",
            "contact": { "name": "Komang Penelpon", "phone": "081234500000" },
        }));
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let mut filed = Filed {
        via: "api",
        title: title.to_string(),
        status: StatusCode::IM_A_TEAPOT,
        code: None,
        problem: None,
    };
    let r = match req.send().await {
        Ok(r) => r,
        Err(e) => {
            filed.problem = Some(format!("no answer: {e}"));
            return filed;
        }
    };
    filed.status = r.status();
    let retry = r.headers().contains_key("retry-after");
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let body: serde_json::Value = r.json().await.unwrap_or(serde_json::Value::Null);
    match filed.status {
        StatusCode::CREATED => {
            filed.code = body["tracking_code"].as_str().map(str::to_string);
            if filed.code.is_none() {
                filed.problem = Some(format!("201 without a code: {body}"));
            }
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            if !retry || ct != "application/problem+json" || body["status"] != 503 {
                filed.problem = Some(format!("503 retry-after={retry} {ct} {body}"));
            }
        }
        s => filed.problem = Some(format!("{s}: {body}")),
    }
    filed
}

/// A second, independent look at the database (new connections), as after a restart.
async fn fresh_store(app: &TestApp) -> Store {
    Store::connect(
        &DatabaseUrl::parse(&app._db.url).unwrap(),
        OpenMode::MustExist,
    )
    .await
    .unwrap()
}

/// What is missing of an accepted request: its row, its timeline entry, its outbox event.
async fn missing_parts(db: &impl ConnectionTrait, code: &str) -> Option<String> {
    let Some(row) = request::Entity::find()
        .filter(request::Column::TrackingCode.eq(code))
        .one(db)
        .await
        .unwrap()
    else {
        return Some("the request".into());
    };
    let timeline = request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(row.id))
        .filter(request_event::Column::Step.eq("submit"))
        .count(db)
        .await
        .unwrap();
    if timeline != 1 {
        return Some(format!("{timeline} timeline entries"));
    }
    let events = event::Entity::find()
        .filter(event::Column::SubjectId.eq(code))
        .filter(event::Column::Kind.eq("request.created"))
        .count(db)
        .await
        .unwrap();
    if events != 1 {
        return Some(format!("{events} outbox events"));
    }
    None
}

async fn page_count(app: &TestApp) -> i64 {
    let row = app
        .store
        .writer
        .query_one(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA page_count",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

/// Leaves `slack` pages of room in the database.
async fn fill(app: &TestApp, slack: i64) {
    let n = page_count(app).await;
    app.store
        .limit_pages_for_tests(Some(n + slack))
        .await
        .unwrap();
}

async fn client_token(app: &TestApp) -> String {
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.logout().await;
    clients::create(
        &app.store,
        &AuditActor::System("test".into()),
        "SIMJALAN",
        "DPUPR",
        "requests:read requests:write",
        100_000,
    )
    .await
    .unwrap()
    .token
}

/// Checks every answer: no rule broken, every accepted request stored whole (read through new
/// connections). Returns (accepted, refused).
async fn check_answers(app: &TestApp, all: &[Filed]) -> (usize, usize) {
    let problems: Vec<String> = all
        .iter()
        .filter_map(|f| {
            f.problem
                .as_ref()
                .map(|p| format!("{} {}: {p}", f.via, f.title))
        })
        .collect();
    let fresh = fresh_store(app).await;
    let mut lost = Vec::new();
    let accepted: Vec<&Filed> = all.iter().filter(|f| f.code.is_some()).collect();
    for f in &accepted {
        let code = f.code.as_deref().unwrap_or_default();
        if let Some(what) = missing_parts(&fresh.reader, code).await {
            lost.push(format!("{} {code} ({}): missing {what}", f.via, f.title));
        }
    }
    let refused = all
        .iter()
        .filter(|f| f.status == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    eprintln!(
        "faults: {} answers, {} accepted, {} of them found whole, {} refused with 503, {} other problems",
        all.len(),
        accepted.len(),
        accepted.len() - lost.len(),
        refused,
        problems.len()
    );
    fresh.close().await;
    assert!(
        lost.is_empty(),
        "{} of {} accepted requests are not stored whole: {:?}",
        lost.len(),
        accepted.len(),
        &lost[..lost.len().min(10)]
    );
    assert!(
        problems.is_empty(),
        "{:?}",
        &problems[..problems.len().min(10)]
    );
    (accepted.len(), refused)
}

/// The disk fills up while residents file through the form and an application through the
/// API; now and then a little room comes back (as when a log is rotated), so the writer
/// meets SQLITE_FULL at every point of its transactions. Then space returns for good and the
/// same server accepts requests again, and the administrators get one notice of the outage.
async fn requests_answered_while_the_disk_fills_are_all_stored_and_the_server_recovers(
    app: TestApp,
) {
    app.import_areas().await;
    let token = client_token(&app).await;
    app.store
        .writer
        .execute(Statement::from_string(
            DbBackend::Sqlite,
            "UPDATE users SET email = 'admin@contoh.id' WHERE username = 'admin'",
        ))
        .await
        .unwrap();
    let mut residents = Vec::new();
    for _ in 0..6 {
        residents.push(Arc::new(Resident::new(&app).await));
    }
    // room for a few requests, then none
    fill(&app, 3).await;
    let stop = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(Mutex::new(Vec::<Filed>::new()));
    let mut tasks = Vec::new();
    for (k, resident) in residents.iter().enumerate() {
        let (resident, stop, answers) = (resident.clone(), stop.clone(), answers.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let f = resident.file(&format!("Lampu mati {k}-{i}")).await;
                answers.lock().unwrap().push(f);
                i += 1;
            }
        }));
    }
    for k in 0..2 {
        let (base, token, stop, answers) = (
            app.base.clone(),
            token.clone(),
            stop.clone(),
            answers.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                // every other call with an Idempotency-Key, whose claim is a write of its own
                let key = (i % 2 == 0).then(|| format!("call-{k}-{i}"));
                let f = file_by_api(&base, &token, &format!("Jalan berlubang {k}-{i}"), key).await;
                answers.lock().unwrap().push(f);
                i += 1;
            }
        }));
    }
    // the "disk": full, with a few pages freed now and then
    let deadline = Instant::now() + Duration::from_secs(4);
    let mut not_ready = None;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let slack = rand::thread_rng().gen_range(0..4);
        fill(&app, slack).await;
        if not_ready.is_none() {
            fill(&app, 0).await;
            let r = app.get("/readyz").await;
            not_ready = Some((r.status(), r.text().await.unwrap_or_default()));
        }
    }
    fill(&app, 0).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let all = answers.lock().unwrap().clone();
    let (accepted, refused) = check_answers(&app, &all).await;
    assert!(refused > 0, "the disk never was full: {accepted} accepted");
    assert!(
        accepted > 0,
        "nothing was accepted while a little room came back"
    );
    let (status, body) = not_ready.unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert!(body.contains("full"), "{body}");
    // reads are still served while full
    assert_eq!(app.get("/laporan").await.status(), StatusCode::OK);

    // space returns: the same server accepts again, without a restart
    app.store.limit_pages_for_tests(None).await.unwrap();
    let r = app.get("/readyz").await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let after = residents[0].file("Lampu mati setelah pulih").await;
    let api_after = file_by_api(&app.base, &token, "Jalan berlubang setelah pulih", None).await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "{after:?}");
    assert_eq!(api_after.status, StatusCode::CREATED, "{api_after:?}");
    check_answers(&app, &[after, api_after]).await;
    // one notice of the outage for the administrator, however many requests were refused
    let notices = job::Entity::find()
        .filter(job::Column::Kind.eq("notify.email"))
        .filter(job::Column::Payload.contains("admin@contoh.id"))
        .all(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert!(
        notices[0].payload.contains("Writes refused (503)"),
        "{}",
        notices[0].payload
    );
}

/// One request at a time, with the database full after 0, 1, 2 or 3 more pages, so that the
/// disk fills at a different statement of the intake transaction and of a staff step each
/// time. Each answer is all or nothing: stored whole with a 303, or nothing stored and a 503.
async fn every_step_of_intake_and_of_a_staff_step_meets_a_full_disk(app: TestApp) {
    app.import_areas().await;
    app.login_admin().await;
    let resident = Resident::new(&app).await;
    // requests for the desk to verify, filed while there is room
    let mut waiting = Vec::new();
    for i in 0..16 {
        let f = resident.file(&format!("Menunggu verifikasi {i}")).await;
        let code = f.code.expect("filed");
        waiting.push((app.request_id(&code).await, code));
    }
    let mut filed = Vec::new();
    let mut steps = (0, 0);
    for (i, (id, code)) in waiting.iter().enumerate() {
        fill(&app, (i % 4) as i64).await;
        filed.push(resident.file(&format!("Lampu mati langkah {i}")).await);

        fill(&app, (i % 4) as i64).await;
        let r = app
            .post_form(
                &format!("/staf/laporan/{id}/aksi"),
                &[("action", "verify"), ("note", "lokasi jelas")],
            )
            .await;
        let status = r.status();
        let retry = r.headers().contains_key("retry-after");
        let row = request::Entity::find_by_id(*id)
            .one(&app.store.reader)
            .await
            .unwrap()
            .unwrap();
        let audited = audit_log::Entity::find()
            .filter(audit_log::Column::Action.eq("request.verify"))
            .filter(audit_log::Column::EntityId.eq(id.to_string()))
            .count(&app.store.reader)
            .await
            .unwrap();
        let events = event::Entity::find()
            .filter(event::Column::SubjectId.eq(code.as_str()))
            .filter(event::Column::Kind.eq("request.verify"))
            .count(&app.store.reader)
            .await
            .unwrap();
        let timeline = request_event::Entity::find()
            .filter(request_event::Column::RequestId.eq(*id))
            .filter(request_event::Column::Step.eq("verify"))
            .count(&app.store.reader)
            .await
            .unwrap();
        match status {
            StatusCode::SEE_OTHER => {
                steps.0 += 1;
                assert_ne!(row.status, "diterima", "step {i} answered 303, not taken");
                assert_eq!((audited, events, timeline), (1, 1, 1), "step {i}");
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                steps.1 += 1;
                assert!(retry, "step {i}: 503 without Retry-After");
                assert_eq!(row.status, "diterima", "step {i} refused, yet taken");
                assert_eq!((audited, events, timeline), (0, 0, 0), "step {i}");
            }
            s => panic!("step {i}: {s}: {}", r.text().await.unwrap_or_default()),
        }
    }
    app.store.limit_pages_for_tests(None).await.unwrap();
    let (accepted, refused) = check_answers(&app, &filed).await;
    eprintln!(
        "faults: staff steps: {} taken, {} refused with 503",
        steps.0, steps.1
    );
    // the refused requests left nothing behind
    for f in filed.iter().filter(|f| f.code.is_none()) {
        let n = request::Entity::find()
            .filter(request::Column::Title.eq(f.title.as_str()))
            .count(&app.store.reader)
            .await
            .unwrap();
        assert_eq!(n, 0, "{} was refused but stored", f.title);
    }
    assert!(refused > 0 && steps.1 > 0, "the disk never was full");
    assert!(accepted > 0 || steps.0 > 0);
}

/// What a step left behind on one request: timeline entries, outbox events, audit entries.
async fn step_parts(db: &impl ConnectionTrait, id: i64, code: &str) -> (u64, u64, u64) {
    let timeline = request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(id))
        .count(db)
        .await
        .unwrap();
    let events = event::Entity::find()
        .filter(event::Column::SubjectId.eq(code))
        .count(db)
        .await
        .unwrap();
    let audited = audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq("request"))
        .filter(audit_log::Column::EntityId.eq(id.to_string()))
        // showing the request's page again (a refused step keeps the form) is a view of the
        // reporter's contact, audited on its own: not part of the step
        .filter(audit_log::Column::Action.ne("request.view_contact"))
        .count(db)
        .await
        .unwrap();
    (timeline, events, audited)
}

/// One staff step's answer checked against what it left behind (read through new
/// connections): an acknowledgement (303 from the inbox, 200 from the API) has its timeline
/// entry, outbox event and audit entry; a refusal is a 503 with `Retry-After` and left nothing.
/// `true` if it was taken.
fn check_step(
    what: &str,
    status: StatusCode,
    retry: bool,
    before: (u64, u64, u64),
    after: (u64, u64, u64),
) -> bool {
    match status {
        StatusCode::SEE_OTHER | StatusCode::OK => {
            assert_eq!(
                after,
                (before.0 + 1, before.1 + 1, before.2 + 1),
                "{what}: acknowledged, but not stored whole"
            );
            true
        }
        StatusCode::SERVICE_UNAVAILABLE => {
            assert!(retry, "{what}: 503 without Retry-After");
            assert_eq!(after, before, "{what}: refused, yet partly stored");
            false
        }
        s => panic!("{what}: {s}"),
    }
}

/// A staff step through the API: a comment on a request the client's unit handles.
async fn api_comment(
    app: &TestApp,
    token: &str,
    code: &str,
    note: &str,
    key: &str,
) -> (StatusCode, bool, serde_json::Value) {
    let r = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/requests/{code}/steps")))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&serde_json::json!({ "action": "comment", "note": note, "public": true }))
        .send()
        .await
        .unwrap();
    let (status, retry) = (r.status(), r.headers().contains_key("retry-after"));
    (status, retry, r.json().await.unwrap_or_default())
}

/// The disk is full while the desk comments on requests in the inbox and a unit's application
/// comments through the API. Every step is either taken whole (timeline, outbox event, audit
/// entry) and acknowledged, or refused with a 503 that says so and leaves nothing; the inbox's
/// refusal is a page, not a bare error. When space returns, the same server (no restart) takes
/// every refused step, and an API call retried with its Idempotency-Key is carried out, not
/// answered with the earlier 503 again.
async fn staff_steps_on_a_full_disk_are_refused_whole_and_taken_once_space_returns(app: TestApp) {
    app.import_areas().await;
    let token = client_token(&app).await;
    app.login_admin().await;
    let resident = Resident::new(&app).await;
    let mut held = Vec::new();
    for i in 0..8 {
        let code = resident
            .file(&format!("Trotoar rusak {i}"))
            .await
            .code
            .expect("filed while there is room");
        let id = app.request_id(&code).await;
        app.dispatch(id, "DPUPR").await;
        held.push((id, code));
    }
    let fresh = fresh_store(&app).await;
    let (mut taken, mut refused) = (Vec::new(), Vec::new());
    for (i, (id, code)) in held.iter().enumerate() {
        // no page to spare: the step's rows go wherever the pages it has still have room
        fill(&app, 0).await;
        let note = format!("Tim sudah meninjau lokasi nomor {i}");
        let before = step_parts(&fresh.reader, *id, code).await;
        let r = app
            .post_form(
                &format!("/staf/laporan/{id}/aksi"),
                &[("action", "comment"), ("note", &note), ("public", "on")],
            )
            .await;
        let (status, retry) = (r.status(), r.headers().contains_key("retry-after"));
        let body = r.text().await.unwrap_or_default();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            // a page that says what happened, not an empty answer
            assert!(body.contains("<html"), "inbox step {i}: {body}");
        }
        let after = step_parts(&fresh.reader, *id, code).await;
        let what = format!("inbox step {i}");
        if check_step(&what, status, retry, before, after) {
            taken.push(what);
        } else {
            refused.push(("inbox", *id, code.clone(), note));
        }

        fill(&app, 0).await;
        let note = format!("Aplikasi: petugas dijadwalkan {i}");
        let before = step_parts(&fresh.reader, *id, code).await;
        let key = format!("komentar-{i}");
        let (status, retry, body) = api_comment(&app, &token, code, &note, &key).await;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(body["status"], 503, "api step {i}: {body}");
        }
        let after = step_parts(&fresh.reader, *id, code).await;
        let what = format!("api step {i}");
        if check_step(&what, status, retry, before, after) {
            taken.push(what);
        } else {
            refused.push(("api", *id, code.clone(), key));
        }
    }
    eprintln!(
        "faults: staff steps on a full disk: {} taken, {} refused with 503",
        taken.len(),
        refused.len()
    );
    assert!(!refused.is_empty(), "the disk never was full");

    // space returns: the same server takes every refused step, once
    app.store.limit_pages_for_tests(None).await.unwrap();
    for (via, id, code, note_or_key) in &refused {
        let before = step_parts(&fresh.reader, *id, code).await;
        let (status, retry) = if *via == "inbox" {
            let r = app
                .post_form(
                    &format!("/staf/laporan/{id}/aksi"),
                    &[
                        ("action", "comment"),
                        ("note", note_or_key),
                        ("public", "on"),
                    ],
                )
                .await;
            (r.status(), r.headers().contains_key("retry-after"))
        } else {
            let (s, retry, body) =
                api_comment(&app, &token, code, "Aplikasi: dicoba lagi", note_or_key).await;
            assert_eq!(
                s,
                StatusCode::OK,
                "{via} {code} retried with its key: {body}"
            );
            (s, retry)
        };
        let after = step_parts(&fresh.reader, *id, code).await;
        assert!(
            check_step(&format!("{via} {code} again"), status, retry, before, after),
            "{via} {code}: still refused after space returned"
        );
    }
    // and the comments the refused steps carried are there now, each once
    for (via, id, _, note) in refused.iter().filter(|r| r.0 == "inbox") {
        let n = request_event::Entity::find()
            .filter(request_event::Column::RequestId.eq(*id))
            .filter(request_event::Column::Note.eq(note.as_str()))
            .count(&fresh.reader)
            .await
            .unwrap();
        assert_eq!(n, 1, "{via} {id}: {note}");
    }
    fresh.close().await;
}

/// The officer's note, refused for a full disk, comes back in the form with the message that
/// nothing was stored, as the public form does for a resident.
async fn an_inbox_step_refused_for_a_full_disk_keeps_what_was_typed(app: TestApp) {
    app.import_areas().await;
    app.login_admin().await;
    let code = Resident::new(&app)
        .await
        .file("Trotoar rusak, catatan panjang")
        .await
        .code
        .expect("filed while there is room");
    let id = app.request_id(&code).await;
    let note = "Tim sudah meninjau lokasi; paving lepas di tiga titik, perlu alat berat.";
    for attempt in 0..20 {
        fill(&app, 0).await;
        let r = app
            .post_form(
                &format!("/staf/laporan/{id}/aksi"),
                &[("action", "comment"), ("note", note), ("public", "on")],
            )
            .await;
        if r.status() != StatusCode::SERVICE_UNAVAILABLE {
            // it still fitted: take the room it used and try again
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "attempt {attempt}");
            continue;
        }
        assert!(r.headers().contains_key("retry-after"));
        let body = r.text().await.unwrap();
        assert!(body.contains("id=\"unavailable\""), "no message: {body}");
        assert!(body.contains(note), "the typed note is lost: {body}");
        app.store.limit_pages_for_tests(None).await.unwrap();
        return;
    }
    panic!("the disk never was full");
}

/// PostgreSQL restarted under load, as far as the server can tell: every connection to the
/// database is terminated, once a second, five times, while residents file. Nothing answered as
/// accepted is lost, and nobody gets a bare 500.
async fn dropped_database_connections_lose_nothing_and_answer_no_500(app: TestApp) {
    app.import_areas().await;
    let mut residents = Vec::new();
    for _ in 0..8 {
        residents.push(Arc::new(Resident::new(&app).await));
    }
    let killer = Database::connect(&app._db.url).await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let answers = Arc::new(Mutex::new(Vec::<Filed>::new()));
    let mut tasks = Vec::new();
    for (k, resident) in residents.iter().enumerate() {
        let (resident, stop, answers) = (resident.clone(), stop.clone(), answers.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                let f = resident.file(&format!("Lampu mati {k}-{i}")).await;
                answers.lock().unwrap().push(f);
                i += 1;
            }
        }));
    }
    // a restart a second, five times over
    let terminated = AtomicUsize::new(0);
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let rows = killer
            .query_all(Statement::from_string(
                DbBackend::Postgres,
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = current_database() AND pid <> pg_backend_pid()",
            ))
            .await
            .unwrap();
        terminated.fetch_add(rows.len(), Ordering::Relaxed);
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let _ = killer.close().await;
    let all = answers.lock().unwrap().clone();
    eprintln!(
        "faults: {} connections terminated",
        terminated.load(Ordering::Relaxed)
    );
    let (accepted, _) = check_answers(&app, &all).await;
    assert!(accepted > 0);
    // and the server goes on
    let f = residents[0].file("Lampu mati sesudahnya").await;
    assert_eq!(f.status, StatusCode::SEE_OTHER, "{f:?}");
}

/// With less free space than the threshold, new requests are refused before anything is
/// written (the form kept, 503), `/readyz` says why, and reading goes on.
async fn low_free_space_refuses_new_requests_before_the_disk_is_full(backend: Backend) {
    let db = Arc::new(TestDb::create(backend).await);
    let mail = Arc::new(crate::smtp_sink::SmtpSink::start().await);
    let mut settings = settings_with_smtp(&db, Some(mail.port));
    // more than any disk has
    settings.min_free_mb = 1 << 40;
    let app = TestApp::start(db, mail, settings).await;
    app.import_areas().await;
    let token = client_token(&app).await;
    let resident = Resident::new(&app).await;
    let f = resident.file("Lampu mati, disk hampir penuh").await;
    assert_eq!(f.status, StatusCode::SERVICE_UNAVAILABLE, "{f:?}");
    assert_eq!(f.problem, None);
    let f = file_by_api(
        &app.base,
        &token,
        "Jalan berlubang, disk hampir penuh",
        None,
    )
    .await;
    assert_eq!(f.status, StatusCode::SERVICE_UNAVAILABLE, "{f:?}");
    assert_eq!(f.problem, None);
    assert_eq!(
        request::Entity::find()
            .count(&app.store.reader)
            .await
            .unwrap(),
        0
    );
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    let body = r.text().await.unwrap();
    assert!(body.contains("low disk space"), "{body}");
    assert!(
        !body.contains(&app._db.dir.path().display().to_string()),
        "{body}"
    );
    assert_eq!(app.get("/lapor").await.status(), StatusCode::OK);
    assert_eq!(app.get("/laporan").await.status(), StatusCode::OK);

    // staff uploads too: a news item's cover is refused before a byte is written, and the
    // editor is told the service cannot store now (before, a full disk here was a bare 500)
    app.login_admin().await;
    let unit = kotapintar_storage::units::find_by_code(&app.store.reader, "DPUPR")
        .await
        .unwrap()
        .unwrap()
        .id
        .0
        .to_string();
    let r = app
        .post_multipart(
            "/staf/konten/baru",
            &[
                ("unit_id", &unit),
                ("kind", "berita"),
                ("title", "Berita bergambar saat disk hampir penuh"),
            ],
            &[("cover", "foto.jpg", crate::harness::jpeg_with_gps(64, 48))],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    let images = app.settings.data_dir.join("uploads").join("gambar");
    let written = std::fs::read_dir(&images).map(|d| d.count()).unwrap_or(0);
    assert_eq!(written, 0, "files under {}", images.display());
}

/// SMTP and the message gateway accept connections and never answer, and the worker is
/// running: filing is as quick as ever, and every notice waits in the queue.
async fn providers_that_never_answer_do_not_hold_intake(backend: Backend) {
    let hole = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = hole.local_addr().unwrap().port();
    let held = Arc::new(Mutex::new(Vec::new()));
    let keep = held.clone();
    let black_hole = tokio::spawn(async move {
        while let Ok((socket, _)) = hole.accept().await {
            keep.lock().unwrap().push(socket);
        }
    });
    let db = Arc::new(TestDb::create(backend).await);
    let mail = Arc::new(crate::smtp_sink::SmtpSink::start().await);
    let mut settings = settings_with_smtp(&db, Some(port));
    settings.smtp.timeout_secs = 60;
    settings.message_gateway.url = Some(format!("http://127.0.0.1:{port}/kirim"));
    settings.message_gateway.timeout_secs = 60;
    settings.worker = true;
    let app = TestApp::start(db, mail, settings).await;
    app.import_areas().await;
    let resident = Resident::new(&app).await;
    let mut slowest = Duration::ZERO;
    for i in 0..10 {
        let started = Instant::now();
        let f = resident.file(&format!("Lampu mati {i}")).await;
        slowest = slowest.max(started.elapsed());
        assert_eq!(f.status, StatusCode::SEE_OTHER, "{f:?}");
        // give the worker time to pick the notices up and hang on them
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!("faults: slowest filing with providers hanging: {slowest:?}");
    assert!(slowest < Duration::from_secs(2), "{slowest:?}");
    assert!(
        !held.lock().unwrap().is_empty(),
        "the worker never tried the providers"
    );
    // nothing is lost: every notice is still queued (being tried, or waiting for its retry)
    for kind in ["notify.email", "notify.message"] {
        let n = job::Entity::find()
            .filter(job::Column::Kind.eq(kind))
            .count(&app.store.reader)
            .await
            .unwrap();
        assert_eq!(n, 10, "{kind}");
    }
    black_hole.abort();
}
