//! Journeys in a real browser: headless Chromium driven over WebDriver (chromedriver), against
//! the real server. `./scripts/test` installs Debian's `chromium` and `chromium-driver`; a
//! missing browser fails these tests rather than skipping them.

use crate::harness::{TestApp, ADMIN_PASSWORD};
use fantoccini::{Client, ClientBuilder, Locator};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Browser {
    pub client: Client,
    driver: Child,
}

fn find(candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
}

impl Browser {
    /// A plain window, phone-sized (412 × 915), without touch emulation.
    pub async fn start() -> Self {
        Self::launch("412,915", false).await
    }

    /// A phone's screen (390 × 844 CSS pixels).
    pub async fn phone() -> Self {
        Self::launch("390,844", true).await
    }

    /// `emulate`: Chrome's mobile emulation (touch). Only the phone journeys take it: with it,
    /// a `<select>` chosen by WebDriver can keep its picker open and swallow the next click.
    async fn launch(window: &str, emulate: bool) -> Self {
        // a headless window is at least 500 px wide: a phone's width needs its emulation
        let (width, height) = window.split_once(',').unwrap_or(("412", "915"));
        let metrics = serde_json::json!({
            "width": width.parse::<u32>().unwrap(),
            "height": height.parse::<u32>().unwrap(),
            "pixelRatio": 1,
            "touch": true,
        });
        // reqwest and sqlx bring different TLS backends; WebDriver over TLS needs one chosen.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let chrome = std::env::var("CHROME_BIN").ok().or_else(|| find(&["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]))
            .expect("Chromium is needed for the browser tests: run ./scripts/test (installs Debian's chromium and chromium-driver), or set CHROME_BIN");
        let driver_bin = std::env::var("CHROMEDRIVER").ok().or_else(|| find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]))
            .expect("chromedriver is needed for the browser tests: run ./scripts/test, or set CHROMEDRIVER");
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        // Its own process group: the browsers it starts die with it, even when a test fails
        // half-way (see Drop).
        use std::os::unix::process::CommandExt;
        let driver = Command::new(driver_bin)
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().unwrap().keep();
        let mut caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chrome,
                // as a resident in Badung would have it: Indonesian first
                "prefs": { "intl.accept_languages": "id,en" },
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", format!("--window-size={window}"), "--lang=id",
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        });
        if emulate {
            caps["goog:chromeOptions"]["mobileEmulation"] =
                serde_json::json!({ "deviceMetrics": metrics });
        }
        let caps = match caps {
            serde_json::Value::Object(m) => m,
            _ => unreachable!(),
        };
        let mut last_err = None;
        for _ in 0..50 {
            match ClientBuilder::rustls()
                .expect("tls")
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => return Self { client, driver },
                Err(e) => {
                    last_err = Some(e);
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
        }
        panic!("could not start a browser session: {last_err:?}");
    }

    pub async fn stop(self) {
        let _ = self.client.clone().close().await;
        // Drop ends the driver and its browsers
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

pub(crate) async fn fill(c: &Client, id: &str, value: &str) {
    let e = c
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("field {id}"));
    e.clear().await.unwrap();
    e.send_keys(value).await.unwrap();
}

pub(crate) async fn select(c: &Client, id: &str, value: &str) {
    let e = c.find(Locator::Id(id)).await.unwrap();
    e.select_by_value(value).await.unwrap();
}

/// Clicks and waits for the next page: the old page's root goes stale, the new one loads.
pub(crate) async fn click_and_wait(c: &Client, locator: Locator<'_>) {
    let old = c.find(Locator::Css("html")).await.unwrap();
    c.find(locator).await.unwrap().click().await.unwrap();
    wait_for_new_page(c, old).await;
}

pub(crate) async fn wait_for_new_page(c: &Client, old: fantoccini::elements::Element) {
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            let ready = c
                .execute("return document.readyState", vec![])
                .await
                .ok()
                .and_then(|v| v.as_str().map(str::to_string));
            if ready.as_deref() == Some("complete") {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let url = c
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default();
    let text = body_text(c).await;
    panic!("the next page did not load: still at {url}, showing:\n{text}");
}

pub(crate) async fn submit(c: &Client) {
    click_and_wait(c, Locator::Css("form.form button[type=submit]")).await;
}

pub(crate) async fn body_text(c: &Client) -> String {
    c.find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

both_backends!(
    an_editor_drafts_a_unit_admin_publishes_and_the_public_finds_it,
    a_project_s_progress_shows_with_the_behind_schedule_flag,
    admin_creates_a_unit_and_a_user_then_logs_out,
    a_request_from_filing_to_survey,
    an_admin_registers_a_client_and_sees_a_webhook_delivered,
    a_units_performance_page_after_requests_move_through_the_workflow,
    a_unit_uploads_a_csv_the_walidata_approves_and_the_public_previews_it,
);

async fn admin_creates_a_unit_and_a_user_then_logs_out(app: TestApp) {
    let b = Browser::start().await;
    let c = &b.client;
    c.goto(&app.url("/")).await.unwrap();
    click_and_wait(c, Locator::LinkText("Masuk")).await;
    fill(c, "f-username", "admin").await;
    fill(c, "f-password", ADMIN_PASSWORD).await;
    submit(c).await;
    assert!(c.current_url().await.unwrap().path().ends_with("/staf"));
    assert!(body_text(c).await.contains("Selamat datang"));

    click_and_wait(c, Locator::LinkText("Perangkat daerah")).await;
    click_and_wait(c, Locator::LinkText("Tambah perangkat daerah")).await;
    // a mistake first: the form says what is wrong and keeps what was typed
    fill(c, "f-code", "DISHUB").await;
    fill(c, "f-name", "Dinas Perhubungan").await;
    fill(c, "f-email", "dishub-at-badung").await;
    submit(c).await;
    let text = body_text(c).await;
    assert!(text.contains("Ada isian yang perlu diperbaiki"), "{text}");
    assert!(text.contains("Wajib diisi."), "kind is missing");
    let focused = c.active_element().await.unwrap().attr("id").await.unwrap();
    assert_eq!(
        focused.as_deref(),
        Some("error-summary"),
        "focus moves to the summary"
    );
    let kept = c
        .find(Locator::Id("f-name"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap();
    assert_eq!(kept.as_deref(), Some("Dinas Perhubungan"));
    select(c, "f-kind", "dinas").await;
    fill(c, "f-email", "dishub@badungkab.go.id").await;
    submit(c).await;
    let text = body_text(c).await;
    assert!(text.contains("Perangkat daerah tersimpan."), "{text}");
    assert!(text.contains("Dinas Perhubungan"));

    c.goto(&app.url("/staf/pengguna")).await.unwrap();
    click_and_wait(c, Locator::LinkText("Tambah pengguna")).await;
    fill(c, "f-username", "petugas.dishub").await;
    fill(c, "f-full_name", "Ni Luh Putu Ayu").await;
    select(c, "f-role", "officer").await;
    select(c, "f-unit_code", "DISHUB").await;
    fill(c, "f-password", "petugas-dishub-1").await;
    submit(c).await;
    let text = body_text(c).await;
    assert!(text.contains("Pengguna tersimpan."), "{text}");
    assert!(text.contains("petugas.dishub"));

    click_and_wait(c, Locator::Css("form[action='/logout'] button")).await;
    assert!(body_text(c).await.contains("Anda sudah keluar."));
    c.goto(&app.url("/staf")).await.unwrap();
    assert_eq!(c.current_url().await.unwrap().path(), "/login");

    // the new officer can log in with the keyboard alone
    fill(c, "f-username", "petugas.dishub").await;
    let old = c.find(Locator::Css("html")).await.unwrap();
    fill(c, "f-password", "petugas-dishub-1\n").await;
    wait_for_new_page(c, old).await;
    assert!(body_text(c).await.contains("Ni Luh Putu Ayu"));
    b.stop().await;
}

pub(crate) async fn click(c: &Client, id: &str) {
    c.find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("element {id}"))
        .click()
        .await
        .unwrap();
}

pub(crate) async fn login(c: &Client, app: &TestApp, username: &str, password: &str) {
    c.goto(&app.url("/login")).await.unwrap();
    fill(c, "f-username", username).await;
    fill(c, "f-password", password).await;
    submit(c).await;
}

pub(crate) async fn logout(c: &Client) {
    click_and_wait(c, Locator::Css("form[action='/logout'] button")).await;
}

/// The journey of SP4N-LAPOR!: a resident files a request with a photo and follows it; the
/// central desk dispatches it; an officer resolves it; the resident confirms and rates the
/// service. A rahasia request filed alongside never shows publicly.
async fn a_request_from_filing_to_survey(app: TestApp) {
    app.import_areas().await;
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas Pekerjaan Umum").await;
    app.create_user("verifikator", "verifier", "", "verifikator-123")
        .await;
    app.create_user("petugas.pupr", "officer", "DPUPR", "petugas-pupr-1")
        .await;
    app.logout().await;
    let dpupr = kotapintar_storage::units::find_by_code(&app.store.reader, "DPUPR")
        .await
        .unwrap()
        .unwrap();
    let photo = tempfile::Builder::new().suffix(".jpg").tempfile().unwrap();
    std::fs::write(photo.path(), crate::harness::jpeg_with_gps(120, 90)).unwrap();

    let b = Browser::start().await;
    let c = &b.client;
    // 1. the resident files a request with a photo
    c.goto(&app.url("/")).await.unwrap();
    click_and_wait(c, Locator::LinkText("Lapor")).await;
    click(c, "kind-pengaduan").await;
    fill(c, "f-title", "Jalan berlubang dekat sekolah").await;
    fill(
        c,
        "f-description",
        "Lubang besar di jalan depan SD, membahayakan anak-anak yang menyeberang.",
    )
    .await;
    select(c, "f-district_code", "51.03.02").await;
    select(c, "f-village_code", "51.03.02.2001").await;
    fill(c, "f-location_address", "Jl. Raya Munggu").await;
    c.find(Locator::Id("f-photo-input"))
        .await
        .unwrap()
        .send_keys(&photo.path().display().to_string())
        .await
        .unwrap();
    fill(c, "f-email", "warga@contoh.id").await;
    click_and_wait(c, Locator::Css("form.form button.primary")).await;
    let text = body_text(c).await;
    assert!(text.contains("Laporan terkirim"), "{text}");
    let follow = c.current_url().await.unwrap();
    let code = follow.path().split('/').nth(2).unwrap().to_string();
    assert!(text.contains(&code));
    // ... and sees it in public, with its photo
    c.goto(&app.url(&format!("/laporan/{code}"))).await.unwrap();
    let text = body_text(c).await;
    assert!(text.contains("Jalan berlubang dekat sekolah") && text.contains("Diterima"));
    let img = c.find(Locator::Css(".photos img")).await.unwrap();
    // the thumbnail loads lazily; wait for it rather than racing it
    let mut loaded = serde_json::Value::Null;
    for _ in 0..100 {
        loaded = c
            .execute(
                "return arguments[0].complete ? arguments[0].naturalWidth : null",
                vec![serde_json::to_value(&img).unwrap()],
            )
            .await
            .unwrap();
        if loaded.as_u64().is_some_and(|w| w > 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(loaded.as_u64(), Some(120), "the photo is served");

    // a rahasia request, filed in the same way, is nowhere in public
    c.goto(&app.url("/lapor")).await.unwrap();
    click(c, "kind-pengaduan").await;
    fill(c, "f-title", "Pungutan liar di loket").await;
    fill(
        c,
        "f-description",
        "Petugas loket meminta uang tambahan di luar ketentuan.",
    )
    .await;
    click(c, "f-confidential").await;
    click_and_wait(c, Locator::Css("form.form button.primary")).await;
    let secret_code = c
        .current_url()
        .await
        .unwrap()
        .path()
        .split('/')
        .nth(2)
        .unwrap()
        .to_string();
    c.goto(&app.url("/laporan")).await.unwrap();
    let text = body_text(c).await;
    assert!(text.contains("Jalan berlubang dekat sekolah"));
    assert!(!text.contains("Pungutan liar") && !text.contains(&secret_code));
    c.goto(&app.url(&format!("/laporan/{secret_code}")))
        .await
        .unwrap();
    assert!(body_text(c).await.contains("Halaman tidak ditemukan"));

    // 2. the central desk dispatches it to the unit
    login(c, &app, "verifikator", "verifikator-123").await;
    c.goto(&app.url("/staf/laporan")).await.unwrap();
    click_and_wait(c, Locator::LinkText(&code)).await;
    click(c, &format!("unit-{}", dpupr.id)).await;
    fill(c, "f-dispatch-note", "Diteruskan ke Dinas Pekerjaan Umum").await;
    click_and_wait(
        c,
        Locator::Css("form input[value='dispatch'] ~ button.primary"),
    )
    .await;
    assert!(body_text(c).await.contains("Didisposisikan"));
    logout(c).await;

    // 3. the officer follows it up and resolves it
    login(c, &app, "petugas.pupr", "petugas-pupr-1").await;
    c.goto(&app.url("/staf/laporan")).await.unwrap();
    click_and_wait(c, Locator::LinkText(&code)).await;
    click_and_wait(
        c,
        Locator::Css("form input[value='start'] ~ button.primary"),
    )
    .await;
    fill(
        c,
        "f-response",
        "Lubang sudah ditambal oleh tim pemeliharaan jalan.",
    )
    .await;
    click_and_wait(
        c,
        Locator::Css("form input[value='resolve'] ~ button.primary"),
    )
    .await;
    assert!(body_text(c).await.contains("Selesai"));
    logout(c).await;

    // 4. the resident confirms and answers the survey
    c.goto(follow.as_str()).await.unwrap();
    let text = body_text(c).await;
    assert!(text.contains("Lubang sudah ditambal"));
    click_and_wait(c, Locator::Css("form[action$='/konfirmasi'] button")).await;
    assert!(body_text(c).await.contains("laporan ditutup"));
    for u in 1..=9 {
        click(c, &format!("U{u}-{}", if u == 3 { 3 } else { 4 })).await;
    }
    click_and_wait(c, Locator::Css("form[action$='/survei'] button.primary")).await;
    assert!(body_text(c)
        .await
        .contains("Terima kasih atas penilaian Anda"));
    b.stop().await;
}

/// Integration: an admin registers a unit's application, subscribes a webhook for it, and sees
/// the delivery in the log once an event happens.
async fn an_admin_registers_a_client_and_sees_a_webhook_delivered(app: TestApp) {
    use axum::routing::post;
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let h2 = hits.clone();
    let receiver = axum::Router::new().route(
        "/hook",
        post(move || {
            let h = h2.clone();
            async move {
                h.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, receiver).await;
    });
    app.import_areas().await;
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas Pekerjaan Umum").await;
    app.logout().await;

    let b = Browser::start().await;
    let c = &b.client;
    login(c, &app, "admin", ADMIN_PASSWORD).await;
    click_and_wait(c, Locator::LinkText("Klien integrasi")).await;
    fill(c, "f-name", "SIMJALAN").await;
    select(c, "f-unit_code", "DPUPR").await;
    click(c, "scope-4").await; // events:read
    click_and_wait(c, Locator::Css("form.form button.primary")).await;
    let token = c
        .find(Locator::Id("issued-token"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(token.starts_with("kp_"), "{token}");
    click_and_wait(c, Locator::LinkText("SIMJALAN")).await;
    fill(c, "f-url", &hook_url).await;
    click_and_wait(c, Locator::Css("form.form button.primary")).await;
    let secret = c
        .find(Locator::Id("webhook-secret"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(secret.starts_with("whsec_"));
    let page_url = c.current_url().await.unwrap();

    // something happens in the unit: a request is dispatched to it
    let r = app
        .file_request(
            &[
                ("kind", "pengaduan"),
                ("title", "Jembatan retak"),
                (
                    "description",
                    "Retakan lebar di jembatan banjar, mohon diperiksa.",
                ),
                ("confirm_new", "1"),
            ],
            &[],
        )
        .await;
    let (code, _) = TestApp::filed(&r);
    app.login_admin().await;
    let id = app.request_id(&code).await;
    app.dispatch(id, "DPUPR").await;
    let worker = kotapintar_jobs::Worker::new(
        app.store.clone(),
        app.settings.rules.clone(),
        app.settings.data_dir.join("uploads"),
    )
    .allow_private_webhooks(app.settings.webhook_allow_private);
    assert_eq!(worker.deliver_webhooks().await.unwrap(), 1);
    assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 1);

    // the client page shows it as delivered (the path without the secret, which was shown once)
    let client_page = page_url.as_str().trim_end_matches("/webhook").to_string();
    c.goto(&client_page).await.unwrap();
    let text = body_text(c).await;
    assert!(text.contains("terkirim"), "{text}");
    assert!(!text.contains(&secret), "the secret is not shown again");
    b.stop().await;
}

/// Sets a date or date-time field by script: typing into `<input type=date>` depends on the
/// browser's locale, the value the form sends does not.
async fn set_value(c: &Client, id: &str, value: &str) {
    c.execute(
        "document.getElementById(arguments[0]).value = arguments[1];",
        vec![serde_json::json!(id), serde_json::json!(value)],
    )
    .await
    .unwrap();
}

async fn take_step(c: &Client, step: &str) {
    click_and_wait(
        c,
        Locator::Css(&format!(
            "form[action$='/langkah']:has(input[name=step][value={step}]) button"
        )),
    )
    .await;
}

/// The portal's editorial journey: an editor writes a news item and submits it, the unit's
/// admin publishes it, and a resident finds it from the home page by another form of a word
/// in it ("perbaikan" for "diperbaiki").
async fn an_editor_drafts_a_unit_admin_publishes_and_the_public_finds_it(app: TestApp) {
    use crate::portal::{newsroom, EDITOR_PASSWORD, PUBLISHER_PASSWORD};
    newsroom(&app).await;
    let b = Browser::start().await;
    let c = &b.client;
    login(c, &app, "editor.pupr", EDITOR_PASSWORD).await;
    c.goto(&app.url("/staf")).await.unwrap();
    click_and_wait(c, Locator::Css("a[href='/staf/konten']")).await;
    click_and_wait(c, Locator::Css("a[href='/staf/konten/baru?jenis=berita']")).await;
    fill(c, "f-title", "Jembatan Tukad Yeh Poh diperbaiki").await;
    fill(
        c,
        "f-summary",
        "Lantai jembatan diganti, lalu lintas dialihkan sementara.",
    )
    .await;
    fill(
        c,
        "f-body",
        "Perbaikan **lantai jembatan** berlangsung dua minggu.",
    )
    .await;
    select(c, "f-kecamatan", "51.03.02").await;
    submit(c).await;
    let text = body_text(c).await;
    assert!(text.contains("Konten disimpan."), "{text}");
    assert!(text.contains("Draf"), "{text}");
    take_step(c, "submit").await;
    let text = body_text(c).await;
    assert!(text.contains("Menunggu tinjauan"), "{text}");
    // the editor cannot publish: there is no such button
    assert!(c
        .find(Locator::Css("form:has(input[name=step][value=publish])"))
        .await
        .is_err());
    logout(c).await;

    login(c, &app, "admin.pupr", PUBLISHER_PASSWORD).await;
    c.goto(&app.url("/staf/konten?status=review"))
        .await
        .unwrap();
    click_and_wait(c, Locator::LinkText("Jembatan Tukad Yeh Poh diperbaiki")).await;
    take_step(c, "publish").await;
    let text = body_text(c).await;
    assert!(text.contains("Konten diterbitkan."), "{text}");
    logout(c).await;

    // a resident, on the home page, searches with another form of the word
    c.goto(&app.url("/")).await.unwrap();
    app.search_caught_up().await;
    fill(c, "f-q", "perbaikan jembatan").await;
    click_and_wait(c, Locator::Css("form[role=search] button")).await;
    let text = body_text(c).await;
    assert!(text.contains("Jembatan Tukad Yeh Poh diperbaiki"), "{text}");
    let highlighted = c
        .find(Locator::Css(".result b"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        ["Jembatan", "diperbaiki", "jembatan", "Perbaikan"].contains(&highlighted.as_str()),
        "{highlighted}"
    );
    click_and_wait(c, Locator::LinkText("Jembatan Tukad Yeh Poh diperbaiki")).await;
    assert!(c
        .current_url()
        .await
        .unwrap()
        .as_str()
        .ends_with("/berita/jembatan-tukad-yeh-poh-diperbaiki"));
    let text = body_text(c).await;
    assert!(
        text.contains("Perbaikan lantai jembatan berlangsung dua minggu."),
        "{text}"
    );
    b.stop().await;
}

/// A unit admin records a project and two progress reports; the public page shows the
/// reports, the chart's table and the behind-schedule flag.
async fn a_project_s_progress_shows_with_the_behind_schedule_flag(app: TestApp) {
    use crate::portal::{newsroom, PUBLISHER_PASSWORD};
    newsroom(&app).await;
    let today = app.local_today();
    let b = Browser::start().await;
    let c = &b.client;
    login(c, &app, "admin.pupr", PUBLISHER_PASSWORD).await;
    c.goto(&app.url("/staf/konten/baru?jenis=proyek"))
        .await
        .unwrap();
    fill(c, "f-title", "Penataan Pantai Kuta tahap II").await;
    fill(c, "f-sector", "Pariwisata").await;
    select(c, "f-fund_source", "apbd").await;
    fill(c, "f-budget_ceiling", "8.750.000.000").await;
    fill(c, "f-contractor", "CV Segara Jaya").await;
    set_value(
        c,
        "f-planned_start",
        &(today - chrono::Duration::days(120)).to_string(),
    )
    .await;
    set_value(
        c,
        "f-planned_end",
        &(today + chrono::Duration::days(60)).to_string(),
    )
    .await;
    select(c, "f-project_status", "running").await;
    submit(c).await;
    take_step(c, "publish").await;
    for (days_ago, physical, budget) in [(45, "20", "15"), (5, "35", "30")] {
        set_value(
            c,
            "f-reported_on",
            &(today - chrono::Duration::days(days_ago)).to_string(),
        )
        .await;
        fill(c, "f-physical_pct", physical).await;
        fill(c, "f-budget_pct", budget).await;
        fill(c, "f-note", &format!("Laporan minggu ke-{days_ago}")).await;
        click_and_wait(
            c,
            Locator::Css("form[action$='/kemajuan'] button[type=submit]"),
        )
        .await;
        let text = body_text(c).await;
        assert!(text.contains("Laporan kemajuan disimpan."), "{text}");
    }
    logout(c).await;

    c.goto(&app.url("/proyek")).await.unwrap();
    click_and_wait(c, Locator::LinkText("Penataan Pantai Kuta tahap II")).await;
    let text = body_text(c).await;
    // planned today: 120 of 180 days = 66.7 %; reported 35 %
    assert!(text.contains("Terlambat dari jadwal"), "{text}");
    assert!(text.contains("66,7 %"), "{text}");
    assert!(text.contains("Laporan minggu ke-45"), "{text}");
    assert!(text.contains("Laporan minggu ke-5"), "{text}");
    let rows = c
        .find_all(Locator::Css("table tbody tr"))
        .await
        .unwrap()
        .len();
    assert_eq!(rows, 2);
    let chart = c
        .find(Locator::Css("figure.chart svg[role=img]"))
        .await
        .unwrap();
    assert!(chart.is_displayed().await.unwrap());
    b.stop().await;
}

/// Three requests move through the workflow (over HTTP, as staff would); then a resident
/// opens the performance pages in the browser and reads figures worked out by hand: DPUPR
/// holds R1 (resolved) and R2 (open); R3 was forwarded to DISHUB and counts there.
async fn a_units_performance_page_after_requests_move_through_the_workflow(app: TestApp) {
    app.import_areas().await;
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.create_unit("DISHUB", "Dinas Perhubungan").await;
    let dishub = kotapintar_storage::units::find_by_code(&app.store.reader, "DISHUB")
        .await
        .unwrap()
        .unwrap();
    let mut ids = Vec::new();
    for title in [
        "Jalan berlubang di Kuta",
        "Got mampet di Legian",
        "Rambu roboh di Jimbaran",
    ] {
        let r = app
            .file_request(
                &[
                    ("kind", "pengaduan"),
                    ("title", title),
                    (
                        "description",
                        "Mohon segera ditangani, membahayakan warga yang lewat setiap hari.",
                    ),
                    ("district_code", "51.03.01"),
                    ("confirm_new", "1"),
                ],
                &[],
            )
            .await;
        let (code, _) = TestApp::filed(&r);
        let id = app.request_id(&code).await;
        app.dispatch(id, "DPUPR").await;
        ids.push((id, code));
    }
    let step = |id: i64, fields: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = app.post_form(&format!("/staf/laporan/{id}/aksi"), &f).await;
            assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
        }
    };
    step(
        ids[0].0,
        vec![
            ("action", "resolve".into()),
            ("response", "Sudah ditambal oleh tim jalan.".into()),
        ],
    )
    .await;
    step(
        ids[2].0,
        vec![
            ("action", "forward".into()),
            ("to_unit", dishub.id.to_string()),
            ("reason", "Rambu adalah urusan perhubungan.".into()),
        ],
    )
    .await;
    app.logout().await;

    let b = Browser::start().await;
    let c = &b.client;
    c.goto(&app.url("/")).await.unwrap();
    click_and_wait(c, Locator::LinkText("Kinerja")).await;
    let text = body_text(c).await;
    assert!(text.contains("Kinerja pelayanan"), "{text}");
    // the ranking links to the unit's page
    click_and_wait(c, Locator::LinkText("Dinas PUPR")).await;
    assert!(c
        .current_url()
        .await
        .unwrap()
        .path()
        .ends_with("/kinerja/dpupr"));
    let figure = |label: &'static str| async move {
        let xpath = format!(
            "//li[@class='figure'][span[@class='f-label' and text()='{label}']]/*[contains(@class,'f-value')]"
        );
        c.find(Locator::XPath(&xpath))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    // by hand: received 2 (R1, R2; R3 went to DISHUB), verified 2, resolved 1, rejected 0,
    // everything on the same day (0 working days), R1 within its limit (100 %)
    assert_eq!(figure("Diterima").await, "2");
    assert_eq!(figure("Diverifikasi").await, "2");
    assert_eq!(figure("Selesai").await, "1");
    assert_eq!(figure("Ditolak").await, "0");
    assert_eq!(figure("Median hari kerja sampai selesai").await, "0.0");
    assert_eq!(
        figure("Selesai dalam batas waktu layanan (%)").await,
        "100.0"
    );
    // every drawn chart is an image with a name, every bar chart a named list; each has a table
    let charts = c
        .find_all(Locator::Css("svg.chart[role=img] title"))
        .await
        .unwrap();
    assert!(charts.len() >= 2);
    let bar_lists = c
        .find_all(Locator::Css("ol.hbars[aria-label]"))
        .await
        .unwrap();
    assert!(!bar_lists.is_empty());
    // the CSV of the weekly table holds the same numbers as the table on the page
    let rows = c
        .find_all(Locator::Css("#t-mingguan tbody tr"))
        .await
        .unwrap();
    let mut shown = Vec::new();
    for r in rows {
        shown.push(
            r.text()
                .await
                .unwrap()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    let href = c
        .find(Locator::Css("#t-mingguan caption a.csv"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let csv = app.get(&href).await.text().await.unwrap();
    let from_csv: Vec<String> = csv.lines().skip(1).map(str::to_string).collect();
    assert_eq!(shown, from_csv);
    // the figure leads to the requests behind it
    click_and_wait(
        c,
        Locator::XPath("//li[@class='figure'][span[text()='Diterima']]/a"),
    )
    .await;
    let text = body_text(c).await;
    assert!(
        text.contains(&ids[0].1) && text.contains(&ids[1].1),
        "{text}"
    );
    assert!(!text.contains(&ids[2].1), "forwarded to DISHUB: {text}");
    // DISHUB's page counts the forwarded request
    c.goto(&app.url("/kinerja/dishub")).await.unwrap();
    assert_eq!(figure("Diterima").await, "1");
    assert_eq!(figure("Selesai").await, "0");
    b.stop().await;
}

/// Open data: a unit's editor describes a dataset and uploads a CSV, the walidata (Kominfo)
/// approves it, and a resident finds it in the catalogue, pages through its preview and
/// downloads it from the link on the page.
async fn a_unit_uploads_a_csv_the_walidata_approves_and_the_public_previews_it(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DISPERINDAG", "Dinas Perindustrian dan Perdagangan")
        .await;
    app.create_user(
        "editor.pasar",
        "editor",
        "DISPERINDAG",
        "editor-password-123",
    )
    .await;
    app.logout().await;
    let mut csv = String::from("kecamatan,bulan,harga_beras\n");
    for i in 1..=30 {
        let k = ["Kuta", "Mengwi", "Petang"][i % 3];
        csv.push_str(&format!(
            "{k},2025-{:02},{}\n",
            (i % 12) + 1,
            12_000 + i * 50
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("harga-beras.csv");
    std::fs::write(&file, &csv).unwrap();

    let b = Browser::start().await;
    let c = &b.client;
    login(c, &app, "editor.pasar", "editor-password-123").await;
    c.goto(&app.url("/staf")).await.unwrap();
    click_and_wait(c, Locator::Css("a[href='/staf/data']")).await;
    click_and_wait(c, Locator::Css("a[href='/staf/data/baru']")).await;
    fill(c, "f-title", "Harga beras di pasar").await;
    fill(
        c,
        "f-notes",
        "Harga beras medium per kilogram, pantauan bulanan.",
    )
    .await;
    fill(c, "f-tags", "harga, beras").await;
    select(c, "f-topic", "ekonomi").await;
    select(c, "f-frequency", "monthly").await;
    fill(c, "f-contact_name", "Bidang Perdagangan").await;
    fill(c, "f-contact_email", "data@disperindag.example.go.id").await;
    submit(c).await;
    let text = body_text(c).await;
    assert!(text.contains("Dataset disimpan."), "{text}");
    fill(c, "f-resource_name", "Harga beras 2025").await;
    c.find(Locator::Id("f-file"))
        .await
        .unwrap()
        .send_keys(file.to_str().unwrap())
        .await
        .unwrap();
    click_and_wait(
        c,
        Locator::Css("form[action$='/sumber'] button[type=submit]"),
    )
    .await;
    let text = body_text(c).await;
    assert!(text.contains("Sumber data ditambahkan."), "{text}");
    assert!(text.contains("30 baris"), "{text}");
    take_step(c, "submit").await;
    let text = body_text(c).await;
    assert!(text.contains("Dataset diajukan ke walidata"), "{text}");
    assert!(c
        .find(Locator::Css("form:has(input[name=step][value=publish])"))
        .await
        .is_err());
    logout(c).await;

    login(c, &app, "admin", ADMIN_PASSWORD).await;
    c.goto(&app.url("/staf/data")).await.unwrap();
    click_and_wait(c, Locator::LinkText("Harga beras di pasar")).await;
    take_step(c, "publish").await;
    let text = body_text(c).await;
    assert!(
        text.contains("Dataset disetujui dan diterbitkan."),
        "{text}"
    );
    logout(c).await;

    // a resident finds it in the catalogue, by a facet, and pages through the preview
    c.goto(&app.url("/data")).await.unwrap();
    click_and_wait(c, Locator::LinkText("Ekonomi")).await;
    click_and_wait(c, Locator::LinkText("Harga beras di pasar")).await;
    let text = body_text(c).await;
    assert!(text.contains("Baris 1–25 / 30"), "{text}");
    assert!(text.contains("12050"), "{text}");
    click_and_wait(c, Locator::Css("section nav.pager a[rel=next]")).await;
    let text = body_text(c).await;
    assert!(text.contains("Baris 26–30 / 30"), "{text}");
    assert!(text.contains("13500"), "{text}");
    let href = c
        .find(Locator::Css("a[download]"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    // the link is absolute, on the configured public address (which in tests has no port)
    let path = &href[href.find("/dataset/").unwrap()..];
    assert!(path.ends_with("/download/harga-beras.csv"), "{href}");
    let downloaded = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(downloaded.status(), reqwest::StatusCode::OK);
    assert_eq!(downloaded.text().await.unwrap(), csv);
    b.stop().await;
}
