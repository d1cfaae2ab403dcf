//! Accounts and outbound traffic as a hostile outsider tries them (issue 17): redirects that
//! leave the site, password resets that leave sessions and lock-outs behind, login guesses
//! sent in parallel or used to lock someone out, webhooks aimed at the server's own network,
//! formulas in CSV exports, and evidence files served with their metadata.

use crate::harness::{cookie_of, jpeg_with_gps, location, TestApp, ADMIN_PASSWORD};
use kotapintar_storage::audit::AuditActor;
use reqwest::StatusCode;
use std::sync::Arc;

both_backends!(
    next_never_leads_off_site,
    a_password_reset_ends_sessions_and_lifts_the_lock_out,
    guesses_sent_together_are_not_all_checked,
    a_stranger_cannot_lock_the_owner_out,
    webhooks_never_reach_the_servers_own_network,
    csv_exports_never_carry_formulas,
    evidence_photos_lose_their_metadata_and_files_their_names,
);

// ---------------------------------------------------------------------------------------
// Redirects

/// `next` values as they appear in a query string (percent-encoded once), each of which a
/// browser would follow off the site, or which made the server answer 500.
const EVIL_NEXT: &[&str] = &[
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%0d/evil.example",
    "/%0d%0a/evil.example",
    "/%00/evil.example",
    "/%7f/evil.example",
    "%09//evil.example",
    "//evil.example",
    "/%5Cevil.example",
    "/%5C%5Cevil.example",
    "https%3A%2F%2Fevil.example",
    "/%252F/evil.example",
    "/%2509/evil.example",
    "/%C2%85/evil.example",
    "/%E2%80%A8/evil.example",
];

/// A `Location` a browser keeps on this site: one slash, then no second one or backslash
/// even after it drops tabs and newlines.
fn stays_on_site(loc: &str) -> bool {
    let seen: String = loc
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    seen.starts_with('/')
        && !seen.starts_with("//")
        && !seen.starts_with("/\\")
        && loc.bytes().all(|b| b.is_ascii_graphic())
}

async fn next_never_leads_off_site(app: TestApp) {
    // the language switch
    for evil in EVIL_NEXT {
        let r = app.get(&format!("/bahasa/en?next={evil}")).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "/bahasa/en?next={evil}");
        assert_eq!(location(&r), "/", "/bahasa/en?next={evil}");
    }
    // a page on the site is still where the visitor returns to
    let r = app
        .get("/bahasa/id?next=%2Flaporan%3Fq%3Djalan%2520rusak")
        .await;
    assert_eq!(location(&r), "/laporan?q=jalan%20rusak");

    // the login form carries `next` in a hidden field: the form shown never holds an evil one
    for evil in EVIL_NEXT {
        let r = app.get(&format!("/login?next={evil}")).await;
        assert_eq!(r.status(), StatusCode::OK, "/login?next={evil}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains("name=\"next\" value=\"/staf\""),
            "/login?next={evil}"
        );
    }
    // posting it anyway: after the login, the browser lands on the staff area
    let (c, jar) = app.new_visitor();
    c.get(app.url("/login")).send().await.unwrap();
    for evil in EVIL_NEXT {
        let decoded = percent_decode(evil);
        let csrf = cookie_of(&jar, &app.base, "kp_csrf").unwrap();
        let r = c
            .post(app.url("/login"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
                ("next", decoded.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "POST next={evil}");
        let loc = location(&r);
        assert!(stays_on_site(&loc), "POST next={evil}: {loc:?}");
        assert_eq!(loc, "/staf", "POST next={evil}");
    }
    // and signed in, `/login?next=` redirects at once: still on the site
    for evil in EVIL_NEXT {
        let r = c
            .get(app.url(&format!("/login?next={evil}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "GET /login?next={evil}");
        assert_eq!(location(&r), "/staf", "GET /login?next={evil}");
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------
// Password resets

/// A browser signed in as `username`.
async fn signed_in(app: &TestApp, username: &str, password: &str) -> reqwest::Client {
    let (c, jar) = app.new_visitor();
    let r = login_with(app, &c, &jar, username, password, None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{username} logs in");
    assert_eq!(staff_status(app, &c).await, StatusCode::OK);
    c
}

async fn staff_status(app: &TestApp, c: &reqwest::Client) -> StatusCode {
    c.get(app.url("/staf")).send().await.unwrap().status()
}

async fn login_with(
    app: &TestApp,
    client: &reqwest::Client,
    jar: &reqwest::cookie::Jar,
    username: &str,
    password: &str,
    forwarded_for: Option<&str>,
) -> reqwest::Response {
    if cookie_of(jar, &app.base, "kp_csrf").is_none() {
        client.get(app.url("/login")).send().await.unwrap();
    }
    let csrf = cookie_of(jar, &app.base, "kp_csrf").unwrap();
    let mut req = client.post(app.url("/login")).form(&[
        ("_csrf", csrf.as_str()),
        ("username", username),
        ("password", password),
    ]);
    if let Some(f) = forwarded_for {
        req = req.header("x-forwarded-for", f);
    }
    req.send().await.unwrap()
}

/// Five wrong passwords for `username` from this machine: it is locked out here.
async fn lock_out(app: &TestApp, username: &str, password: &str) {
    let (c, jar) = app.new_visitor();
    for _ in 0..5 {
        login_with(app, &c, &jar, username, "salah-salah-123", None).await;
    }
    let r = login_with(app, &c, &jar, username, password, None).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "{username} locked out"
    );
}

fn cli(app: &TestApp, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_kotapintar"))
        .args(args)
        .current_dir(app._db.dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KOTAPINTAR_DATABASE_URL", &app._db.url)
        .env("KOTAPINTAR_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kotapintar");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().expect("kotapintar finishes")
}

async fn a_password_reset_ends_sessions_and_lifts_the_lock_out(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DLHK", "Dinas Lingkungan Hidup dan Kebersihan")
        .await;
    app.create_user("petugas.a", "officer", "DLHK", "sandi-lama-12345")
        .await;
    let id = kotapintar_storage::users::list(&app.store, None)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username.as_str() == "petugas.a")
        .unwrap()
        .id;

    // 1. the storage function (the one the CLI calls)
    let officer = signed_in(&app, "petugas.a", "sandi-lama-12345").await;
    lock_out(&app, "petugas.a", "sandi-lama-12345").await;
    kotapintar_storage::users::reset_password(
        &app.store,
        &AuditActor::System("test".into()),
        &kotapintar_domain::user::Username::parse("petugas.a").unwrap(),
        &kotapintar_domain::user::NewPassword::parse("sandi-baru-11111").unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(
        staff_status(&app, &officer).await,
        StatusCode::SEE_OTHER,
        "the session held before the reset has ended"
    );
    let officer = signed_in(&app, "petugas.a", "sandi-baru-11111").await;

    // 2. the command line
    lock_out(&app, "petugas.a", "sandi-baru-11111").await;
    let o = cli(
        &app,
        &["user", "reset-password", "petugas.a", "--password-stdin"],
        "sandi-baru-22222\n",
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(staff_status(&app, &officer).await, StatusCode::SEE_OTHER);
    let officer = signed_in(&app, "petugas.a", "sandi-baru-22222").await;

    // 3. an admin setting a new password on the user's page
    lock_out(&app, "petugas.a", "sandi-baru-22222").await;
    let r = app
        .post_form(
            &format!("/staf/pengguna/{id}"),
            &[
                ("username", "petugas.a"),
                ("full_name", "Petugas A"),
                ("role", "officer"),
                ("unit_code", "DLHK"),
                ("password", "sandi-baru-33333"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        staff_status(&app, &officer).await,
        StatusCode::SEE_OTHER,
        "an admin's new password ends the sessions held with the old one"
    );
    signed_in(&app, "petugas.a", "sandi-baru-33333").await;
    // editing without a new password leaves sessions alone
    let officer = signed_in(&app, "petugas.a", "sandi-baru-33333").await;
    let r = app
        .post_form(
            &format!("/staf/pengguna/{id}"),
            &[
                ("username", "petugas.a"),
                ("full_name", "Petugas A."),
                ("role", "officer"),
                ("unit_code", "DLHK"),
                ("password", ""),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(staff_status(&app, &officer).await, StatusCode::OK);
}

// ---------------------------------------------------------------------------------------
// Login throttling

async fn guesses_sent_together_are_not_all_checked(app: TestApp) {
    // `login::PER_USERNAME_AND_ADDRESS`
    let limit = 5;
    let (c, jar) = app.new_visitor();
    c.get(app.url("/login")).send().await.unwrap();
    let csrf = cookie_of(&jar, &app.base, "kp_csrf").unwrap();
    let guesses = (0..30).map(|i| {
        let c = c.clone();
        let url = app.url("/login");
        let csrf = csrf.clone();
        async move {
            c.post(url)
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("username", "admin"),
                    ("password", format!("tebakan-{i}-123").as_str()),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    // each checked guess is audited as a failed login: only as many as the limit
    let checked = kotapintar_storage::audit::recent(&app.store, None, 100)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "login.failed")
        .count();
    assert_eq!(checked, limit as usize, "{statuses:?}");
    let wrong = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    assert_eq!(wrong, limit as usize - 1, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY || *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    // the throttle holds for the right password too, from here
    let r = login_with(&app, &c, &jar, "admin", ADMIN_PASSWORD, None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

/// A second node on the same database behind a trusted reverse proxy (127.0.0.1), so the
/// client address comes from `X-Forwarded-For`.
async fn behind_proxy(app: &TestApp) -> TestApp {
    let mut s = app.settings.clone();
    s.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
    s.search_dir = app._db.dir.path().join("search-proxy");
    TestApp::start(app._db.clone(), Arc::clone(&app.mail), s).await
}

async fn a_stranger_cannot_lock_the_owner_out(app: TestApp) {
    let node = behind_proxy(&app).await;
    let stranger = Some("198.51.100.7");
    let owner = Some("203.0.113.9");
    let (c, jar) = node.new_visitor();
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let r = login_with(&node, &c, &jar, "admin", "coba-coba-123", stranger).await;
        statuses.push(r.status().as_u16());
    }
    assert_eq!(
        statuses,
        [422, 422, 422, 422, 429, 429, 429, 429, 429, 429, 429, 429],
        "the stranger is throttled"
    );
    // even with the right password, from the stranger's address
    let r = login_with(&node, &c, &jar, "admin", ADMIN_PASSWORD, stranger).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // the owner, elsewhere, is not
    let (o, ojar) = node.new_visitor();
    let r = login_with(&node, &o, &ojar, "admin", ADMIN_PASSWORD, owner).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "the owner logs in");
    // a stranger trying many names from one address is stopped by the address's limit
    let per_address = kotapintar_domain::login::PER_ADDRESS.max_failures;
    let sweeper = Some("198.51.100.8");
    let (s, sjar) = node.new_visitor();
    let mut last = 0;
    for i in 0..per_address {
        let r = login_with(&node, &s, &sjar, &format!("nama{i}"), "coba-123", sweeper).await;
        last = r.status().as_u16();
    }
    assert_eq!(last, 429);
    let r = login_with(&node, &s, &sjar, "nama-lain", "coba-123", sweeper).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // and the owner still gets in
    let (o, ojar) = node.new_visitor();
    let r = login_with(&node, &o, &ojar, "admin", ADMIN_PASSWORD, owner).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

// ---------------------------------------------------------------------------------------
// Webhooks (SSRF)

/// A receiver on this machine that counts what reaches it.
async fn local_receiver() -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let h = hits.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let h = h.clone();
            async move {
                h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                axum::http::StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (port, hits)
}

async fn webhooks_never_reach_the_servers_own_network(app: TestApp) {
    // a node as deployed: private targets not allowed (the harness allows them for the other
    // suites' receivers on 127.0.0.1)
    let mut s = app.settings.clone();
    s.webhook_allow_private = false;
    s.search_dir = app._db.dir.path().join("search-ssrf");
    let node = TestApp::start(app._db.clone(), Arc::clone(&app.mail), s).await;
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    let created = kotapintar_storage::clients::create(
        &app.store,
        &AuditActor::System("test".into()),
        "SIMJALAN",
        "DPUPR",
        "events:read",
        600,
    )
    .await
    .unwrap();
    let token = created.token.clone();
    let client = kotapintar_storage::clients::authenticate(&app.store, &token)
        .await
        .unwrap()
        .unwrap();
    let (port, hits) = local_receiver().await;
    let node_port = node.base.rsplit(':').next().unwrap().to_string();

    // refused when subscribing, naming the field
    let evil = [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://127.0.0.1:{node_port}/api/v1/requests"),
        format!("http://localhost:{port}/hook"),
        format!("http://LOCALHOST.:{port}/hook"),
        format!("http://[::1]:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
        format!("http://127.1:{port}/hook"),
        format!("http://2130706433:{port}/hook"),
        format!("http://0.0.0.0:{port}/hook"),
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/".to_string(),
        "http://[::ffff:a9fe:a9fe]/latest/meta-data/".to_string(),
        "http://10.0.0.1/hook".to_string(),
        "http://172.16.5.4/hook".to_string(),
        "http://192.168.1.1/hook".to_string(),
        "http://100.64.0.1/hook".to_string(),
        "http://[fd00::1]/hook".to_string(),
        "http://[fe80::1]/hook".to_string(),
        "http://user:pw@127.0.0.1/hook".to_string(),
    ];
    let (c, _) = node.new_visitor();
    for url in &evil {
        let r = c
            .post(node.url("/api/v1/webhooks"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "url": url }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json"));
        let p: serde_json::Value = r.json().await.unwrap();
        assert_eq!(p["errors"][0]["field"], "url", "{url}: {p}");
    }
    // the staff page refuses it too, with the message
    let (staff, staff_jar) = node.new_visitor();
    login_with(&node, &staff, &staff_jar, "admin", ADMIN_PASSWORD, None).await;
    let csrf = cookie_of(&staff_jar, &node.base, "kp_csrf").unwrap();
    let r = staff
        .post(node.url(&format!("/staf/klien/{}/webhook", client.id)))
        .form(&[("_csrf", csrf.as_str()), ("url", evil[0].as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Webhook tidak dapat dikirim ke server ini"));
    let subs = kotapintar_storage::webhooks::all(&app.store).await.unwrap();
    assert!(subs.is_empty(), "nothing subscribed: {subs:?}");

    // refused again when sending: a subscription to an address that is private now (made
    // while allowed, or a name that resolves elsewhere by now)
    let (sub, _) = kotapintar_storage::webhooks::subscribe(
        &app.store,
        &kotapintar_storage::audit::AuditActor::System("test".into()),
        &client,
        &format!("http://localhost:{port}/hook"),
        &[],
    )
    .await
    .unwrap();
    let (sub2, _) = kotapintar_storage::webhooks::subscribe(
        &app.store,
        &kotapintar_storage::audit::AuditActor::System("test".into()),
        &client,
        &format!("http://127.0.0.1:{port}/hook"),
        &[],
    )
    .await
    .unwrap();
    {
        use sea_orm::TransactionTrait;
        let tx = app.store.writer.begin().await.unwrap();
        kotapintar_storage::events::append_event(
            &tx,
            &kotapintar_domain::event::DomainEvent::Request(
                kotapintar_domain::event::RequestStepEvent {
                    tracking_code: "BDG-26-SSRF1".into(),
                    kind: "pengaduan".into(),
                    step: kotapintar_domain::event::RequestStep::Comment,
                    from_status: Some("didisposisikan".into()),
                    status: "didisposisikan".into(),
                    note: None,
                    units: vec![client.unit_id.0],
                    confidential: false,
                },
            ),
            &[client.unit_id],
            false,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let worker = |allow: bool| {
        kotapintar_jobs::Worker::new(
            app.store.clone(),
            app.settings.rules.clone(),
            app.settings.data_dir.join("uploads"),
        )
        .allow_private_webhooks(allow)
    };
    let deployed = worker(false);
    assert_eq!(deployed.deliver_webhooks().await.unwrap(), 2);
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "nothing reached the local receiver"
    );
    for id in [sub.id, sub2.id] {
        let log = kotapintar_storage::webhooks::log(&app.store, id, 5)
            .await
            .unwrap();
        let err = log[0].last_error.clone().unwrap_or_default();
        assert!(err.contains("refused"), "{err}");
        assert_eq!(log[0].last_status_code, None);
    }
    // the same deliveries, where private targets are allowed, arrive: the events were real
    {
        use kotapintar_storage::entity::webhook_delivery as wd;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        wd::Entity::update_many()
            .col_expr(
                wd::Column::NextAttemptAt,
                sea_orm::sea_query::Expr::value(chrono::Utc::now()),
            )
            .filter(wd::Column::Status.eq("pending"))
            .exec(&app.store.writer)
            .await
            .unwrap();
    }
    assert_eq!(worker(true).deliver_webhooks().await.unwrap(), 2);
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);
}

// ---------------------------------------------------------------------------------------
// CSV exports

const FORMULAS: &str = "nama;selisih;catatan\n=1+2;-5;@SUM(1+1)\nKuta;-12.5;+62 812\n";

async fn csv_exports_never_carry_formulas(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DISPERINDAG", "=cmd|' /C calc'!A0").await;
    let unit = kotapintar_storage::units::find_by_code(&app.store.reader, "DISPERINDAG")
        .await
        .unwrap()
        .unwrap()
        .id
        .0
        .to_string();
    let r = app
        .post_form(
            "/staf/data/baru",
            &[
                ("unit_id", unit.as_str()),
                ("title", "Data dengan rumus"),
                ("name", "data-rumus"),
                ("notes", "Sel yang diawali tanda sama dengan."),
                ("tags", "uji"),
                ("topic", "ekonomi"),
                ("licence", "cc-by"),
                ("frequency", "annual"),
                ("temporal_start", "2024-01-01"),
                ("temporal_end", "2025-12-31"),
                ("spatial", "Kabupaten Badung"),
                ("contact_name", "Bidang Data"),
                ("contact_email", "data@disperindag.example.go.id"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id: i64 = location(&r)
        .trim_start_matches("/staf/data/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let r = app
        .post_multipart(
            &format!("/staf/data/{id}/sumber"),
            &[("resource_name", "Rumus")],
            &[("file", "rumus.csv", FORMULAS.as_bytes().to_vec())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_multipart(
            &format!("/staf/data/{id}/sumber"),
            &[("live_source", "units")],
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for step in ["submit", "publish"] {
        let r = app
            .post_form(&format!("/staf/data/{id}/langkah"), &[("step", step)])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{step}");
    }
    let v: serde_json::Value = app
        .get("/api/3/action/package_show?id=data-rumus")
        .await
        .json()
        .await
        .unwrap();
    let resources = v["result"]["resources"].as_array().unwrap().clone();
    assert_eq!(resources.len(), 2, "{v}");

    // the DataStore dump of the uploaded table
    let rid = resources[0]["id"].as_str().unwrap();
    let dump = app
        .get(&format!("/datastore/dump/{rid}"))
        .await
        .text()
        .await
        .unwrap();
    let rows = cells(&dump);
    assert!(
        rows.contains(&vec![
            "1".to_string(),
            "'=1+2".to_string(),
            "-5".to_string(),
            "'@SUM(1+1)".to_string()
        ]),
        "{dump}"
    );
    assert!(
        rows.contains(&vec![
            "2".to_string(),
            "Kuta".to_string(),
            "-12.5".to_string(),
            "'+62 812".to_string()
        ]),
        "a negative number stays a number: {dump}"
    );
    let tsv = app
        .get(&format!("/datastore/dump/{rid}?format=tsv"))
        .await
        .text()
        .await
        .unwrap();
    assert!(tsv.contains("\t'=1+2\t-5\t"), "{tsv}");
    // the live table of units, made from what staff typed
    let live = resources[1]["url"].as_str().unwrap();
    let live = app.url(&live[live.find("/dataset/").unwrap()..]);
    let units = app
        .client
        .get(&live)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows = cells(&units);
    assert!(
        rows.iter()
            .any(|r| r.iter().any(|c| c == "'=cmd|' /C calc'!A0")),
        "{units}"
    );
    for (what, body) in [("dump", &dump), ("tsv", &tsv), ("units", &units)] {
        for row in cells(body) {
            for cell in row {
                assert!(
                    !cell.starts_with(['=', '@', '+']),
                    "{what}: a cell a spreadsheet would run: {cell:?}"
                );
            }
        }
    }
}

/// The cells of a CSV or TSV.
fn cells(body: &str) -> Vec<Vec<String>> {
    let delimiter = if body.lines().next().unwrap_or("").contains('\t') {
        b'\t'
    } else {
        b','
    };
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Masterplan evidence files

async fn evidence_photos_lose_their_metadata_and_files_their_names(app: TestApp) {
    let (id, _) = crate::masterplan::programme_with_indicator(&app).await;
    let photo = jpeg_with_gps(32, 24);
    assert!(photo.windows(11).any(|w| w == b"GPSLatitude"));
    let r = crate::masterplan::add_update(
        &app,
        id,
        &[
            ("reported_on", "2026-03-15"),
            (
                "summary",
                "Pemasangan CCTV di depan rumah Pak Wayan selesai.",
            ),
            ("links", ""),
        ],
        &[
            ("rumah-pak-wayan.jpg", photo),
            ("berita-acara-wayan.pdf", crate::masterplan::small_pdf()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "update with evidence");
    let (_, html) = app.get_html(&format!("/masterplan/program/{id}")).await;
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("a[href^='/masterplan/bukti/']").unwrap();
    let hrefs: Vec<String> = doc
        .select(&sel)
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(hrefs.len(), 2, "{html}");
    let mut seen_photo = false;
    for href in &hrefs {
        let key = href.trim_start_matches("/masterplan/bukti/");
        assert!(
            key.len() == 32 && key.chars().all(|c| c.is_ascii_hexdigit()),
            "an unguessable name, not a number: {href}"
        );
        let r = app.get(href).await;
        assert_eq!(r.status(), StatusCode::OK, "{href}");
        let h = r.headers().clone();
        let disposition = h["content-disposition"].to_str().unwrap().to_string();
        assert!(disposition.starts_with("attachment"), "{disposition}");
        assert!(
            !disposition.to_lowercase().contains("wayan"),
            "the uploaded name is not sent: {disposition}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff");
        let bytes = r.bytes().await.unwrap().to_vec();
        if h["content-type"] == "image/jpeg" {
            seen_photo = true;
            assert!(bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
            assert!(
                !bytes.windows(11).any(|w| w == b"GPSLatitude"),
                "the GPS position is gone"
            );
            assert!(
                !bytes.windows(6).any(|w| w == b"Exif\0\0"),
                "no EXIF block at all"
            );
            image::load_from_memory(&bytes).expect("still a picture");
        } else {
            assert_eq!(h["content-type"], "application/pdf");
            assert_eq!(bytes, crate::masterplan::small_pdf());
        }
    }
    assert!(seen_photo);
    // the sequential ids of the files lead nowhere
    let ids: Vec<i64> = {
        use sea_orm::EntityTrait;
        kotapintar_storage::entity::mp_evidence::Entity::find()
            .all(&app.store.reader)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect()
    };
    for n in ids {
        let r = app.get(&format!("/masterplan/bukti/{n}")).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "/masterplan/bukti/{n}");
    }
}
