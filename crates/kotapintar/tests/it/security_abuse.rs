//! Abuse of the public surface (issue 17): inputs that keep a core busy, work done for
//! strangers before they are authenticated, reads without bound, floods from one address,
//! a table anyone can fill, and the public form turned into a free SMS gateway. Each attack
//! is played against the real server, on both databases; each is answered quickly with
//! 400/403/422/429.

use crate::harness::{location, TestApp};
use kotapintar::config::Settings;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, PaginatorTrait, Set};
use serde_json::Value;
use std::time::{Duration, Instant};

both_backends!(
    ckan_queries_without_bound_are_refused_quickly,
    open311_photos_are_not_decoded_before_the_key_is_checked,
    servicerequestupdates_answers_a_bounded_window,
    public_endpoints_answer_429_past_the_per_address_limit,
    anonymous_api_calls_are_not_recorded_and_old_ones_are_purged,
    the_public_form_refuses_bots_and_foreign_or_overused_numbers,
);

/// The same database and mail sink, restarted with changed settings (the harness turns the
/// abuse limits off, so that other tests can post forms at once; these tests set them).
async fn restart_with(app: TestApp, change: impl FnOnce(&mut Settings)) -> TestApp {
    let (db, mail) = (app._db.clone(), app.mail.clone());
    let mut settings = app.settings.clone();
    drop(app);
    change(&mut settings);
    // the stopped node's index writer may not have let go of its lock yet
    settings.search_dir = settings.data_dir.join("search-restarted");
    TestApp::start(db, mail, settings).await
}

/// A second node on the same database with the same settings.
async fn another_node(app: &TestApp) -> TestApp {
    let mut s = app.settings.clone();
    s.search_dir = app._db.dir.path().join("search-second-node");
    TestApp::start(app._db.clone(), app.mail.clone(), s).await
}

const QUICK: Duration = Duration::from_secs(3);

async fn ckan_queries_without_bound_are_refused_quickly(app: TestApp) {
    // a million words do not fit a URL; a JSON body carries them
    let huge = "anggaran ".repeat(200_000);
    for body in [
        serde_json::json!({ "q": huge }),
        serde_json::json!({ "fq": huge }),
        serde_json::json!({ "q": vec!["kata"; 33].join(" ") }),
        serde_json::json!({ "fq_list": vec!["organization:a"; 50] }),
    ] {
        let started = Instant::now();
        let r = app
            .client
            .post(app.url("/api/3/action/package_search"))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{v}");
        assert!(started.elapsed() < QUICK, "took {:?}", started.elapsed());
        assert_eq!(v["success"], false);
        assert_eq!(v["error"]["__type"], "Search Query Error", "{v}");
    }
    // what harvesters send is still answered
    let r = app
        .get("/api/3/action/package_search?q=anggaran%20belanja&fq=organization:bappeda")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .client
        .post(app.url("/api/3/action/datastore_search"))
        .json(&serde_json::json!({ "resource_id": "x", "q": huge }))
        .send()
        .await
        .unwrap();
    // an unknown resource is named first; the bound holds for known ones (unit tests)
    assert!(
        matches!(r.status(), StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND),
        "{}",
        r.status()
    );
}

async fn open311_photos_are_not_decoded_before_the_key_is_checked(app: TestApp) {
    // Not a photo at all: decoding it would fail with 400 "media was refused". Nobody
    // without a key may make the server decode anything, so the answer is the key's 403.
    // A decompression bomb's header (a PNG claiming 100000 x 100000 pixels) likewise.
    let mut bomb = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bomb.extend_from_slice(&100_000u32.to_be_bytes());
    bomb.extend_from_slice(&100_000u32.to_be_bytes());
    bomb.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    for (photo, key) in [
        (b"not a photo at all".to_vec(), None),
        (bomb.clone(), None),
        (bomb, Some("kp_nobody_0000000000000000")),
    ] {
        let mut form = reqwest::multipart::Form::new()
            .text("service_code", "jalan-rusak")
            .text(
                "description",
                "Lubang besar di jalan, membahayakan pengendara.",
            )
            .text("lat", "-8.7201")
            .text("long", "115.1689");
        if let Some(k) = key {
            form = form.text("api_key", k.to_string());
        }
        form = form.part(
            "media",
            reqwest::multipart::Part::bytes(photo).file_name("lubang.png"),
        );
        let started = Instant::now();
        let r = app
            .client
            .post(app.url("/open311/v2/requests.json"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(body.contains("api_key"), "{body}");
        assert!(started.elapsed() < QUICK);
    }
    // an update's photos are never kept, so never decoded either
    let form = reqwest::multipart::Form::new()
        .text("service_request_id", "BDG-26-XXXXX")
        .part(
            "media",
            reqwest::multipart::Part::bytes(b"junk".to_vec()).file_name("a.jpg"),
        );
    let r = app
        .client
        .post(app.url("/open311/v2/servicerequestupdates.json"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn servicerequestupdates_answers_a_bounded_window(app: TestApp) {
    // "everything since 1970" used to read every public request into memory
    for query in [
        "?start_date=1970-01-01",
        "?start_date=1970-01-01T00:00:00Z&end_date=2026-12-01T00:00:00Z",
        "?end_date=2026-12-01T00:00:00Z&start_date=2000-01-01",
    ] {
        let started = Instant::now();
        let r = app
            .get(&format!("/open311/v2/servicerequestupdates.json{query}"))
            .await;
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {v}");
        assert!(started.elapsed() < QUICK);
        assert!(
            v[0]["description"].as_str().unwrap().contains("90 days"),
            "{v}"
        );
    }
    // FixMyStreet's window (the last hour) and the default (90 days) are answered
    let now = chrono::Utc::now();
    let window = format!(
        "/open311/v2/servicerequestupdates.json?start_date={}&end_date={}",
        (now - chrono::Duration::hours(1)).format("%Y-%m-%dT%H:%M:%SZ"),
        now.format("%Y-%m-%dT%H:%M:%SZ"),
    );
    assert_eq!(app.get(&window).await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/open311/v2/servicerequestupdates.xml")
            .await
            .status(),
        StatusCode::OK
    );
}

async fn public_endpoints_answer_429_past_the_per_address_limit(app: TestApp) {
    let app = restart_with(app, |s| {
        s.limits.reads_per_minute = 4;
        s.limits.filings_per_hour = 2;
    })
    .await;
    // the counts run in fixed windows of a minute: start well inside one, so that the
    // checks below all fall in the same window
    let into_minute = chrono::Utc::now().timestamp().rem_euclid(60);
    if into_minute > 35 {
        tokio::time::sleep(Duration::from_secs((61 - into_minute) as u64)).await;
    }
    let mut refused = None;
    for _ in 0..5 {
        let r = app.get("/cari?q=jalan").await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(r);
            break;
        }
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = refused.expect("the search was refused past 4 a minute");
    let wait: i64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Terlalu banyak permintaan"));

    // every costly public read counts against the same allowance, answered in its own shape
    let r = app.get("/laporan").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let r = app.get("/open311/v2/requests.json").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    let v: Value = r.json().await.unwrap();
    assert_eq!(v[0]["code"], 429);
    let r = app.get("/open311/v2/requests.xml").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().await.unwrap().contains("<code>429</code>"));
    let r = app.get("/api/3/action/package_search?q=x").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["success"], false);
    let r = app.get("/data.json").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // pages that cost little are not counted
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    assert_eq!(app.get("/lapor").await.status(), StatusCode::OK);

    // the count is kept in the database: another node refuses the same address at once
    let other = another_node(&app).await;
    assert_eq!(
        other.get("/cari?q=jalan").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // the public form: two an hour from one address
    app.import_areas().await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        let title = format!("Sampah menumpuk di pasar nomor {i}");
        let r = app
            .file_request(
                &[
                    ("kind", "pengaduan"),
                    ("title", title.as_str()),
                    (
                        "description",
                        "Sampah tidak diangkut sejak seminggu, bau menyengat.",
                    ),
                    ("confirm_new", "1"),
                ],
                &[],
            )
            .await;
        statuses.push(r.status());
    }
    assert_eq!(
        statuses,
        [
            StatusCode::SEE_OTHER,
            StatusCode::SEE_OTHER,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
}

async fn anonymous_api_calls_are_not_recorded_and_old_ones_are_purged(app: TestApp) {
    use kotapintar_storage::entity::api_call;
    let count = || async {
        api_call::Entity::find()
            .count(&app.store.reader)
            .await
            .unwrap()
    };
    let before = count().await;
    for i in 0..50 {
        let path = if i % 2 == 0 {
            "/api/v1/requests"
        } else {
            "/api/v1/events"
        };
        let r = app
            .client
            .get(app.url(path))
            .bearer_auth("kp_not_a_key")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        app.get(path).await;
    }
    assert_eq!(count().await, before, "anonymous calls filled api_calls");

    // an authenticated client's calls are recorded, and kept for the retention period only
    let now = chrono::Utc::now();
    for (days, path) in [(120, "/old"), (1, "/recent")] {
        api_call::ActiveModel {
            at: Set(now - chrono::Duration::days(days)),
            client_id: Set(None),
            method: Set("GET".into()),
            path: Set(path.into()),
            status: Set(200),
            ..Default::default()
        }
        .insert(&app.store.writer)
        .await
        .unwrap();
    }
    kotapintar_storage::jobs::enqueue(
        &app.store.writer,
        &kotapintar_jobs::Job::PurgeSessions,
        now - chrono::Duration::seconds(1),
    )
    .await
    .unwrap();
    app.run_jobs().await;
    let paths: Vec<String> = api_call::Entity::find()
        .all(&app.store.reader)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.path)
        .collect();
    assert!(paths.contains(&"/recent".to_string()), "{paths:?}");
    assert!(!paths.contains(&"/old".to_string()), "{paths:?}");
}

/// The form's signed start time, as the page gives it to the browser.
fn started_of(html: &str) -> String {
    let at = html
        .find("name=\"started\" value=\"")
        .expect("the form carries its start time")
        + "name=\"started\" value=\"".len();
    html[at..].split('"').next().unwrap().to_string()
}

fn form_fields<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("kind", "pengaduan"),
        ("title", "Pohon tumbang menutup jalan desa"),
        (
            "description",
            "Pohon besar tumbang setelah hujan deras dan menutup seluruh badan jalan.",
        ),
        ("confirm_new", "1"),
    ];
    v.extend_from_slice(extra);
    v
}

async fn the_public_form_refuses_bots_and_foreign_or_overused_numbers(app: TestApp) {
    let app = restart_with(app, |s| {
        s.limits.form_min_fill_seconds = 2;
        s.limits.messages_per_phone_per_day = 2;
    })
    .await;
    app.import_areas().await;
    let (status, html) = app.get_html("/lapor").await;
    assert_eq!(status, StatusCode::OK);
    // the trap: out of sight, out of the tab order, never autofilled, and labelled for
    // screen readers to leave empty
    let trap = html
        .split("id=\"f-website\"")
        .nth(1)
        .and_then(|t| t.split('>').next())
        .expect("a honeypot field");
    assert!(trap.contains("tabindex=\"-1\"") && trap.contains("autocomplete=\"off\""));
    assert!(html.contains("<label for=\"f-website\">"));
    let started = started_of(&html);

    let with_started = form_fields(&[("started", started.as_str())]);

    // sent at once, as a bot does: refused, with everything typed kept
    let r = app.file_request(&with_started, &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("terlalu cepat"), "{body}");
    assert!(body.contains("Pohon tumbang menutup jalan desa"));
    // no start time, or a forged one
    for forged in ["", "0.00", "1.deadbeef"] {
        let f = form_fields(&[("started", forged)]);
        let r = app.file_request(&f, &[]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{forged}");
    }

    tokio::time::sleep(Duration::from_millis(2_200)).await;
    // the trap filled in: refused, and told how to go on
    let mut f = with_started.clone();
    f.push(("website", "http://spam.example"));
    let r = app.file_request(&f, &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Kolom tersembunyi"));

    // messages only to Indonesian mobile numbers
    for foreign in ["+61 412 345 678", "+1 900 555 0100", "0361 712345"] {
        let mut f = with_started.clone();
        f.push(("phone", foreign));
        let r = app.file_request(&f, &[]).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{foreign}");
        let body = r.text().await.unwrap();
        assert!(body.contains("nomor ponsel Indonesia"), "{foreign}");
        assert!(body.contains("Pohon tumbang menutup jalan desa"));
    }

    // a person who took their time files; one number gets messages for two requests a day
    for phone in ["0812 1111 2222", "+62 812-1111-2222"] {
        let mut f = with_started.clone();
        f.push(("phone", phone));
        let r = app.file_request(&f, &[]).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{phone}");
        assert!(location(&r).starts_with("/laporan/"));
    }
    let mut f = with_started.clone();
    f.push(("phone", "6281211112222"));
    let r = app.file_request(&f, &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("sudah dipakai untuk beberapa laporan hari ini"));
    assert!(body.contains("Pohon tumbang menutup jalan desa"));
    // without the number the same resident still files
    let r = app.file_request(&with_started, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
