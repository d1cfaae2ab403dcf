//! Several nodes on one PostgreSQL: two instances of the real application (each with its own
//! search index and its job worker on, sharing the database and the uploads directory, as
//! behind a reverse proxy) must behave as one platform. PostgreSQL only: that is the
//! multi-node deployment (a SQLite file belongs to one process).
//!
//! Every test starts both nodes at the same moment on a fresh database, so the first start
//! (migrations, the first admin, the holiday calendar, the periodic jobs) races as it does when
//! an orchestrator starts a deployment.

use crate::harness::{location, settings_with_smtp, TestApp, TestDb, ADMIN_PASSWORD};
use crate::smtp_sink::SmtpSink;
use kotapintar_storage::entity::{job, webhook_delivery as wd};
use kotapintar_storage::Backend;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Two nodes on one fresh PostgreSQL database.
struct Cluster {
    a: TestApp,
    b: TestApp,
    mail: Arc<SmtpSink>,
}

impl Cluster {
    async fn start() -> Self {
        let db = Arc::new(TestDb::create(Backend::Postgres).await);
        let mail = Arc::new(SmtpSink::start().await);
        let node = |name: &str| {
            let mut s = settings_with_smtp(&db, Some(mail.port));
            // what `kotapintar serve` does by default; the single-node tests turn it off
            s.worker = true;
            // one search index per node; the uploads directory (data_dir) is shared
            s.search_dir = db.dir.path().join(format!("search-{name}"));
            s
        };
        let (a, b) = tokio::join!(
            TestApp::start(db.clone(), mail.clone(), node("a")),
            TestApp::start(db.clone(), mail.clone(), node("b")),
        );
        Self { a, b, mail }
    }
}

mod postgres_two_nodes {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_session_started_on_one_node_works_on_the_other() {
        super::sessions(super::Cluster::start().await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn background_jobs_run_once() {
        super::jobs_run_once(super::Cluster::start().await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn webhooks_are_delivered_once_per_subscription() {
        super::webhooks_once(super::Cluster::start().await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn holidays_added_on_one_node_count_on_the_other() {
        super::holidays_everywhere(super::Cluster::start().await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_kept_public_page_changes_on_the_other_node_within_one_second() {
        let c = super::Cluster::start().await;
        crate::page_cache::follows_changes(&c.a, &c.b).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn search_shows_new_content_on_the_other_node_within_two_seconds() {
        super::search_everywhere(super::Cluster::start().await).await
    }
}

fn base_url(app: &TestApp) -> reqwest::Url {
    reqwest::Url::parse(&app.base).unwrap()
}

/// Gives node `to`'s visitor the cookie `name` that node `from`'s visitor holds, as a browser
/// does when a proxy sends its next request to the other node.
fn carry_cookie(from: &TestApp, to: &TestApp, name: &str) -> String {
    let value = from
        .cookie(name)
        .unwrap_or_else(|| panic!("no {name} cookie"));
    to.jar
        .add_cookie_str(&format!("{name}={value}; Path=/"), &base_url(to));
    value
}

async fn sessions(c: Cluster) {
    let (a, b) = (&c.a, &c.b);
    // exactly one first admin, whichever node created it
    let admins = kotapintar_storage::users::list(&a.store, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|u| u.username.as_str() == "admin")
        .count();
    assert_eq!(admins, 1);
    // node b does not know this visitor yet
    let r = b.get("/staf").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/login"), "{}", location(&r));
    // log in on node a
    let r = a.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "login on node a");
    carry_cookie(a, b, "kp_session");
    carry_cookie(a, b, "kp_csrf");
    // the same browser on node b is signed in, for reading and for a form (CSRF token too)
    let (s, html) = b.get_html("/staf").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("admin"), "{html}");
    b.create_unit("DPUPR", "Dinas PUPR").await;
    let (s, html) = a.get_html("/staf/unit").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Dinas PUPR"), "node a sees what node b saved");
    // logging out on node b ends the session on node a too
    let r = b.logout().await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = a.get("/staf").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the session ended");
    assert!(location(&r).starts_with("/login"));
    // and the other way round: log in on b, out on a
    let r = b.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "login on node b");
    carry_cookie(b, a, "kp_session");
    assert_eq!(a.get("/staf").await.status(), StatusCode::OK);
    assert_eq!(a.logout().await.status(), StatusCode::SEE_OTHER);
    assert_eq!(b.get("/staf").await.status(), StatusCode::SEE_OTHER);
}

/// Polls `check` every 50 ms until it returns `Some`, or panics with `what` after `timeout`.
async fn wait_for<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "{what} within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn jobs_of_kind(app: &TestApp, kind: &str) -> usize {
    job::Entity::find()
        .filter(job::Column::Kind.eq(kind))
        .all(&app.store.reader)
        .await
        .unwrap()
        .len()
}

/// Files a request with the reporter's email address through `node`'s public form.
async fn file(node: &TestApp, title: &str, email: &str) -> String {
    let r = node
        .file_request(
            &[
                ("kind", "pengaduan"),
                ("title", title),
                (
                    "description",
                    "Air selokan meluap ke jalan setiap kali hujan turun deras.",
                ),
                ("email", email),
                ("confirm_new", "1"),
            ],
            &[],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    TestApp::filed(&r).0
}

async fn jobs_run_once(c: Cluster) {
    let (a, b) = (&c.a, &c.b);
    // both workers scheduled the periodic jobs at start: each is queued once
    for kind in [
        kotapintar_jobs::PURGE_SESSIONS,
        kotapintar_jobs::SWEEP_REQUESTS,
        kotapintar_jobs::WEEKLY_SUMMARY,
    ] {
        wait_for(
            Duration::from_secs(10),
            &format!("{kind} queued"),
            || async { (jobs_of_kind(a, kind).await > 0).then_some(()) },
        )
        .await;
    }
    // give the slower node's worker its turn at scheduling too
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for kind in [
        kotapintar_jobs::PURGE_SESSIONS,
        kotapintar_jobs::SWEEP_REQUESTS,
        kotapintar_jobs::WEEKLY_SUMMARY,
    ] {
        assert_eq!(jobs_of_kind(a, kind).await, 1, "{kind} queued once");
    }

    // 24 requests with an email address, filed at once on both nodes: 24 email jobs, which
    // both workers race to run
    a.import_areas().await;
    let n = 24;
    let filings = (0..n).map(|i| {
        let node = if i % 2 == 0 { a } else { b };
        async move {
            let email = format!("warga{i}@contoh.id");
            let code = file(node, &format!("Selokan meluap nomor {i}"), &email).await;
            (email, code)
        }
    });
    let expected: BTreeMap<String, String> = futures::future::join_all(filings)
        .await
        .into_iter()
        .collect();
    assert_eq!(expected.len(), n);
    c.mail.wait_for(n, Duration::from_secs(30)).await;
    wait_for(
        Duration::from_secs(10),
        "the email jobs are done",
        || async {
            (jobs_of_kind(a, kotapintar_storage::notices::SEND_EMAIL).await == 0).then_some(())
        },
    )
    .await;
    // a second run of any of them would arrive within a worker's idle wait (1 s)
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let mails = c.mail.messages();
    let mut per_recipient: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in &mails {
        assert_eq!(m.to.len(), 1);
        per_recipient
            .entry(m.to[0].clone())
            .or_default()
            .push(m.subject().unwrap_or_default());
    }
    assert_eq!(
        mails.len(),
        n,
        "each email job ran exactly once: {per_recipient:?}"
    );
    // and the queue shows no job that was taken twice or failed
    let left = job::Entity::find().all(&a.store.reader).await.unwrap();
    assert!(
        left.iter()
            .all(|j| j.attempts == 0 && j.last_error.is_none()),
        "{left:?}"
    );
    for (email, code) in &expected {
        let subjects = &per_recipient[email];
        assert_eq!(subjects.len(), 1, "{email}: {subjects:?}");
        assert!(subjects[0].contains(code.as_str()), "{email}: {subjects:?}");
    }
}

/// A webhook receiver that counts deliveries per subscription (its path) and message id.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(String, String)>>>,
}

impl Receiver {
    async fn start() -> (String, Self) {
        use axum::extract::Path;
        use axum::routing::post;
        let rec = Self::default();
        let r2 = rec.clone();
        let app = axum::Router::new().route(
            "/hook/{name}",
            post(
                move |Path(name): Path<String>, headers: axum::http::HeaderMap| {
                    let r = r2.clone();
                    async move {
                        let id = headers
                            .get("webhook-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string();
                        r.got.lock().unwrap().push((name, id));
                        axum::http::StatusCode::NO_CONTENT
                    }
                },
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (base, rec)
    }

    /// How often each (subscription, message id) arrived.
    fn counts(&self) -> BTreeMap<(String, String), usize> {
        let mut out = BTreeMap::new();
        for k in self.got.lock().unwrap().iter() {
            *out.entry(k.clone()).or_insert(0) += 1;
        }
        out
    }
}

async fn subscribe(node: &TestApp, token: &str, url: &str) {
    let r = reqwest::Client::new()
        .post(node.url("/api/v1/webhooks"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "url": url }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

async fn webhooks_once(c: Cluster) {
    use kotapintar_storage::audit::AuditActor;
    let (a, b) = (&c.a, &c.b);
    a.import_areas().await;
    a.login_admin().await;
    b.login_admin().await;
    a.create_unit("DPUPR", "Dinas PUPR").await;
    let token = |name: &'static str| async move {
        kotapintar_storage::clients::create(
            &a.store,
            &AuditActor::System("test".into()),
            name,
            "DPUPR",
            "events:read",
            600,
        )
        .await
        .unwrap()
        .token
    };
    let (one, two) = (token("SIMJALAN").await, token("SIMDRAINASE").await);
    // three subscriptions, made on either node; every event of the unit goes to each
    let (hooks, rec) = Receiver::start().await;
    subscribe(a, &one, &format!("{hooks}/s1")).await;
    subscribe(b, &one, &format!("{hooks}/s2")).await;
    subscribe(b, &two, &format!("{hooks}/s3")).await;
    let from = kotapintar_storage::events::head(&a.store.reader)
        .await
        .unwrap();
    // eight requests reach the unit, dispatched on alternate nodes while both workers run
    let mut codes = Vec::new();
    for i in 0..8 {
        let node = if i % 2 == 0 { a } else { b };
        let code = file(node, &format!("Saluran tersumbat nomor {i}"), "w@contoh.id").await;
        let id = node.request_id(&code).await;
        node.dispatch(id, "DPUPR").await;
        codes.push(code);
    }
    let unit = kotapintar_storage::units::find_by_code(&a.store.reader, "DPUPR")
        .await
        .unwrap()
        .unwrap()
        .id;
    let events = kotapintar_storage::events::after(&a.store.reader, from, Some(unit), 1000)
        .await
        .unwrap();
    assert_eq!(events.len(), 8, "one dispatch event per request");
    let mut expected = BTreeSet::new();
    for s in ["s1", "s2", "s3"] {
        for e in &events {
            expected.insert((s.to_string(), format!("evt_{}", e.seq)));
        }
    }
    wait_for(Duration::from_secs(30), "all deliveries arrive", || async {
        (rec.counts().len() >= expected.len()).then_some(())
    })
    .await;
    // a second delivery of any of them would come within a worker's idle wait (1 s)
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let counts = rec.counts();
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(
        counts.keys().cloned().collect::<BTreeSet<_>>(),
        expected,
        "every event once to every subscription, nothing else"
    );
    // the delivery log agrees: one row per event and subscription, delivered at first try
    let rows = wd::Entity::find().all(&a.store.reader).await.unwrap();
    assert_eq!(rows.len(), expected.len());
    assert!(
        rows.iter()
            .all(|d| d.status == "delivered" && d.attempts == 1),
        "{rows:?}"
    );
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("q", s)]).unwrap()
}

/// Polls node's `/cari` until the page links `href`; returns how long that took.
async fn found_within(node: &TestApp, query: &str, href: &str, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        let (s, html) = node.get_html(&format!("/cari?{}", urlencode(query))).await;
        assert_eq!(s, StatusCode::OK);
        if html.contains(href) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "'{query}' did not find {href} on the other node within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn search_everywhere(c: Cluster) {
    let (a, b) = (&c.a, &c.b);
    a.import_areas().await;
    a.login_admin().await;
    a.create_unit("DPUPR", "Dinas Pekerjaan Umum").await;
    // news written and published on node a
    let id = crate::portal::draft(
        a,
        &[
            ("kind", "berita"),
            ("title", "Jembatan Tukad Ayung diresmikan"),
            ("summary", "Jembatan baru menghubungkan dua desa."),
            (
                "body",
                "Bupati meresmikan jembatan gantung sepanjang 80 meter.",
            ),
        ],
    )
    .await;
    let item = kotapintar_storage::content::get(&a.store, kotapintar_domain::ids::ContentId(id))
        .await
        .unwrap();
    let href = format!("/berita/{}", item.slug.as_str());
    b.search_caught_up().await;
    let (_, html) = b.get_html("/cari?q=jembatan").await;
    assert!(!html.contains(&href), "a draft is not public");
    assert_eq!(
        crate::portal::step(a, id, "publish").await,
        StatusCode::SEE_OTHER
    );
    let took = found_within(b, "jembatan gantung", &href, Duration::from_secs(2)).await;
    println!("published on node a, found on node b after {took:?}");
    // a request filed on node b, found on node a
    let code = file(b, "Lampu penerangan Tukad Ayung padam", "x@contoh.id").await;
    let took = found_within(
        a,
        "lampu penerangan padam",
        &format!("/laporan/{code}"),
        Duration::from_secs(2),
    )
    .await;
    println!("filed on node b, found on node a after {took:?}");
    // unpublished on node b: gone from node a's results as quickly
    b.login_admin().await;
    assert_eq!(
        crate::portal::step(b, id, "unpublish").await,
        StatusCode::SEE_OTHER
    );
    let start = Instant::now();
    loop {
        let (_, html) = a.get_html("/cari?q=jembatan+gantung").await;
        if !html.contains(&href) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "unpublished news still found on node a"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// When the current stage of the request `code` is due.
async fn stage_due(node: &TestApp, code: &str) -> chrono::DateTime<chrono::Utc> {
    use kotapintar_storage::entity::request;
    request::Entity::find()
        .filter(request::Column::TrackingCode.eq(code))
        .one(&node.store.reader)
        .await
        .unwrap()
        .unwrap()
        .stage_due_at
        .unwrap()
}

/// Deadlines count working days; a holiday an admin adds on one node counts on every node
/// (each node keeps the calendar for a few seconds, see `CALENDAR_MAX_AGE` in the web crate).
async fn holidays_everywhere(c: Cluster) {
    use chrono::{Duration as Days, Utc};
    let (a, b) = (&c.a, &c.b);
    // node b has loaded the calendar to compute a deadline
    let code = file(b, "Trotoar rusak di depan sekolah", "y@contoh.id").await;
    assert!(stage_due(b, &code).await < Utc::now() + Days::days(7));
    // an admin on node a declares the next two weeks holidays (a disaster, say)
    a.login_admin().await;
    let today = (Utc::now() + Days::hours(8)).date_naive();
    for d in 0..14 {
        let date = (today + Days::days(d)).format("%Y-%m-%d").to_string();
        let r = a
            .post_form(
                "/staf/libur",
                &[
                    ("date", &date),
                    ("name_id", "Tanggap darurat bencana"),
                    ("name_en", "Disaster emergency"),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{date}");
    }
    let code = file(a, "Trotoar rusak di depan pasar", "y@contoh.id").await;
    assert!(
        stage_due(a, &code).await > Utc::now() + Days::days(14),
        "node a counts the holidays at once"
    );
    let start = Instant::now();
    loop {
        let code = file(b, "Trotoar rusak di depan balai", "y@contoh.id").await;
        if stage_due(b, &code).await > Utc::now() + Days::days(14) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "node b still ignores the holidays"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    println!("node b counted the holidays after {:?}", start.elapsed());
}
