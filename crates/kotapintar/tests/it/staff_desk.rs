//! The desk and the inbox at volume, second part (issue 24): an officer resolves a request with
//! a photo of the result that then shows on its public page; a forward lands on the other
//! unit's inbox with its message; the leadership's headline figures fit on the first screen;
//! and the measured comparison of docs/staff.md (clicks and seconds, before and after).
//!
//! With `KOTAPINTAR_SHOTS=<dir>` set, the journeys also save the screenshots of
//! docs/screenshots/ there.

use crate::browser::{body_text, click_and_wait, fill, login, select, Browser};
use crate::harness::{jpeg_with_gps, TestApp};
use fantoccini::{Client, Locator};
use kotapintar_domain::intake::NewRequest;
use kotapintar_domain::request::RequestKind;
use kotapintar_storage::entity::{request, request_photo};
use kotapintar_storage::requests;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::io::Write;
use std::time::{Duration, Instant};

both_backends!(
    an_officer_resolves_with_a_photo_that_shows_publicly,
    a_photo_that_cannot_be_used_sends_the_form_back_and_keeps_nothing,
    a_forward_lands_on_the_other_units_inbox_with_its_message,
    the_leadership_headline_figures_are_on_the_first_screen,
    the_desk_and_an_officer_timed_before_and_after,
    a_view_of_the_queue_downloads_as_csv_with_formulas_as_text,
    the_desk_finds_the_unit_by_typing_and_dispatches,
    an_officer_forwards_several_requests_in_one_bulk_step,
);

/// Files `n` requests titled `what i` the way the public form does; their ids, oldest first.
async fn file(app: &TestApp, what: &str, n: usize) -> Vec<i64> {
    let calendar = kotapintar_storage::holidays::calendar(&app.store)
        .await
        .unwrap();
    let uploads = app.settings.data_dir.join("uploads");
    let mut ids = Vec::new();
    for i in 0..n {
        let req = NewRequest {
            kind: RequestKind::Pengaduan,
            service_code: None,
            title: format!("{what} nomor {i}"),
            description: format!("{what} nomor {i} di Jalan Raya Kuta, mohon segera ditangani."),
            latitude: None,
            longitude: None,
            location_address: Some("Jalan Raya Kuta".into()),
            district_code: None,
            village_code: None,
            contact: Default::default(),
            anonymous: true,
            confidential: false,
            answers: Vec::new(),
            chat: None,
        };
        let done = requests::submit(
            &app.store,
            &app.settings.rules,
            &calendar,
            &uploads,
            req,
            Vec::new(),
        )
        .await
        .unwrap();
        ids.push(done.id.0);
    }
    ids
}

async fn row(app: &TestApp, id: i64) -> request::Model {
    request::Entity::find_by_id(id)
        .one(&app.store.reader)
        .await
        .unwrap()
        .unwrap()
}

async fn photos_of(app: &TestApp, id: i64) -> u64 {
    request_photo::Entity::find()
        .filter(request_photo::Column::RequestId.eq(id))
        .count(&app.store.reader)
        .await
        .unwrap()
}

async fn unit_id(app: &TestApp, code: &str) -> String {
    kotapintar_storage::units::find_by_code(&app.store.reader, code)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

/// Makes the page area (not the window) `w` × `h` CSS pixels: a headless window keeps some
/// height for the browser's own bars.
async fn viewport(c: &Client, w: u32, h: u32) {
    c.set_window_size(w, h).await.unwrap();
    let v: serde_json::Value = c
        .execute(
            "return [window.outerWidth - window.innerWidth, window.outerHeight - window.innerHeight]",
            vec![],
        )
        .await
        .unwrap();
    let extra = |i: usize| u32::try_from(v[i].as_i64().unwrap_or(0).max(0)).unwrap_or(0);
    c.set_window_size(w + extra(0), h + extra(1)).await.unwrap();
}

/// Saves a screenshot of the page as `name` when `KOTAPINTAR_SHOTS` names a directory.
async fn shot(c: &Client, name: &str) {
    let Ok(dir) = std::env::var("KOTAPINTAR_SHOTS") else {
        return;
    };
    let png = c.screenshot().await.unwrap();
    std::fs::write(std::path::Path::new(&dir).join(name), png).unwrap();
}

/// Waits until the image has loaded (thumbnails load lazily); its natural width.
async fn loaded_width(c: &Client, img: &fantoccini::elements::Element) -> Option<u64> {
    for _ in 0..100 {
        let w = c
            .execute(
                "arguments[0].scrollIntoView(); return arguments[0].complete ? arguments[0].naturalWidth : null",
                vec![serde_json::to_value(img).unwrap()],
            )
            .await
            .unwrap();
        if w.as_u64().is_some_and(|w| w > 0) {
            return w.as_u64();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

async fn an_officer_resolves_with_a_photo_that_shows_publicly(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.create_user("petugas.pupr", "officer", "DPUPR", "petugas-pupr-1")
        .await;
    let id = file(&app, "Lampu jalan mati", 1).await[0];
    app.dispatch(id, "DPUPR").await;
    app.logout().await;
    let code = row(&app, id).await.tracking_code;
    let mut photo = tempfile::Builder::new().suffix(".jpg").tempfile().unwrap();
    photo.write_all(&jpeg_with_gps(160, 120)).unwrap();

    let b = Browser::start().await;
    let c = &b.client;
    viewport(c, 1280, 900).await;
    login(c, &app, "petugas.pupr", "petugas-pupr-1").await;
    c.goto(&app.url(&format!("/staf/laporan/{id}")))
        .await
        .unwrap();
    fill(
        c,
        "f-response",
        "Lampu sudah diganti dengan lampu LED baru oleh tim PJU.",
    )
    .await;
    c.find(Locator::Id("f-resolve-photos"))
        .await
        .unwrap()
        .send_keys(&photo.path().display().to_string())
        .await
        .unwrap();
    shot(c, "staf-selesai-foto-1280.png").await;
    click_and_wait(c, Locator::Css("#resolve-form button[type=submit]")).await;
    let text = body_text(c).await;
    assert!(text.contains("Selesai"), "{text}");
    assert_eq!(row(&app, id).await.status, "selesai");
    assert_eq!(
        photos_of(&app, id).await,
        1,
        "the photo is kept with the step"
    );

    // the public page shows it, to a visitor who is not signed in
    c.delete_all_cookies().await.unwrap();
    c.goto(&app.url(&format!("/laporan/{code}"))).await.unwrap();
    let text = body_text(c).await;
    assert!(
        text.contains("Lampu sudah diganti dengan lampu LED baru"),
        "{text}"
    );
    let img = c.find(Locator::Css(".photos img")).await.unwrap();
    assert_eq!(
        loaded_width(c, &img).await,
        Some(160),
        "the result photo is served publicly"
    );
    shot(c, "laporan-foto-hasil-1280.png").await;
    b.stop().await;
}

async fn a_photo_that_cannot_be_used_sends_the_form_back_and_keeps_nothing(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    let id = file(&app, "Lampu jalan mati", 1).await[0];
    app.dispatch(id, "DPUPR").await;
    let response = "Lampu sudah diganti dengan lampu LED baru.";
    let r = app
        .post_multipart(
            &format!("/staf/laporan/{id}/selesai"),
            &[("response", response)],
            &[("photos", "bukan-foto.jpg", b"%PDF-1.4 not a photo".to_vec())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("bukan foto JPEG, PNG atau WebP"),
        "the reason: {html}"
    );
    assert!(html.contains(response), "the response typed comes back");
    assert_eq!(row(&app, id).await.status, "didisposisikan");
    assert_eq!(photos_of(&app, id).await, 0);

    // a response too short is refused by the workflow: the good photo is not kept either
    let r = app
        .post_multipart(
            &format!("/staf/laporan/{id}/selesai"),
            &[("response", "ok")],
            &[("photos", "hasil.jpg", jpeg_with_gps(80, 60))],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(row(&app, id).await.status, "didisposisikan");
    assert_eq!(photos_of(&app, id).await, 0, "no photo without the step");
    let uploads = app.settings.data_dir.join("uploads").join("requests");
    let files = walk(&uploads);
    assert!(files.is_empty(), "no file left behind: {files:?}");

    // six photos are more than one step takes
    let six: Vec<(&str, &str, Vec<u8>)> = (0..6)
        .map(|_| ("photos", "hasil.jpg", jpeg_with_gps(40, 30)))
        .collect();
    let r = app
        .post_multipart(
            &format!("/staf/laporan/{id}/selesai"),
            &[("response", response)],
            &six,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Paling banyak 5 foto"));

    // without a photo the step is the plain resolve
    let r = app
        .post_multipart(
            &format!("/staf/laporan/{id}/selesai"),
            &[("response", response)],
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(row(&app, id).await.status, "selesai");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|e| {
            let p = e.path();
            if p.is_dir() {
                walk(&p)
            } else {
                vec![p]
            }
        })
        .collect()
}

async fn a_forward_lands_on_the_other_units_inbox_with_its_message(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.create_unit("DISHUB", "Dinas Perhubungan").await;
    app.create_user("petugas.pupr", "officer", "DPUPR", "petugas-pupr-1")
        .await;
    app.create_user("petugas.dishub", "officer", "DISHUB", "petugas-dishub-1")
        .await;
    let ids = file(&app, "Rambu lalu lintas roboh", 2).await;
    for id in &ids {
        app.dispatch(*id, "DPUPR").await;
    }
    app.logout().await;
    let dishub = unit_id(&app, "DISHUB").await;
    let reason = "Rambu lalu lintas adalah wewenang Dinas Perhubungan.";

    let b = Browser::start().await;
    let c = &b.client;
    viewport(c, 1280, 900).await;
    login(c, &app, "petugas.pupr", "petugas-pupr-1").await;
    c.goto(&app.url(&format!("/staf/laporan/{}", ids[0])))
        .await
        .unwrap();
    select(c, "f-to_unit", &dishub).await;
    fill(c, "f-forward-reason", reason).await;
    click_and_wait(
        c,
        Locator::Css("form:has(input[name=action][value=forward]) button[type=submit]"),
    )
    .await;
    // back on the forwarding unit's own inbox, with a message
    let url = c.current_url().await.unwrap();
    assert_eq!(url.path(), "/staf/laporan", "{url}");
    assert!(body_text(c).await.contains("Laporan diteruskan"));

    // the other unit's officer finds it on their inbox with the message, without opening it
    c.delete_all_cookies().await.unwrap();
    login(c, &app, "petugas.dishub", "petugas-dishub-1").await;
    c.goto(&app.url("/staf/laporan")).await.unwrap();
    let code = row(&app, ids[0]).await.tracking_code;
    let rows = c
        .find_all(Locator::Css("table.queue tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "only the forwarded request is Dishub's");
    let text = rows[0].text().await.unwrap();
    assert!(text.contains(&code), "{text}");
    assert!(
        text.contains("Diteruskan dari Dinas PUPR") && text.contains(reason),
        "the message shows on the receiving inbox: {text}"
    );
    shot(c, "staf-diteruskan-1280.png").await;
    // the request that was not forwarded carries no such note on the sender's side
    c.delete_all_cookies().await.unwrap();
    login(c, &app, "petugas.pupr", "petugas-pupr-1").await;
    c.goto(&app.url("/staf/laporan")).await.unwrap();
    let html = c.source().await.unwrap();
    assert!(!html.contains("forwarded-note\">"), "{html}");
    b.stop().await;
}

/// Whether every headline figure lies within the first screen; the rectangles for the message.
async fn headline_above_the_fold(c: &Client) -> (bool, String) {
    let v = c
        .execute(
            "const h = window.innerHeight, w = window.innerWidth;
             const items = [...document.querySelectorAll('#headline li')];
             const r = items.map(li => li.getBoundingClientRect());
             return [items.length, r.every(b => b.top >= 0 && b.bottom <= h && b.right <= w && b.width > 0),
                     JSON.stringify({h, w, boxes: r.map(b => [Math.round(b.left), Math.round(b.top), Math.round(b.right), Math.round(b.bottom)])})];",
            vec![],
        )
        .await
        .unwrap();
    let n = v[0].as_u64().unwrap_or(0);
    let inside = v[1].as_bool().unwrap_or(false);
    (
        n == 6 && inside,
        v[2].as_str().unwrap_or_default().to_string(),
    )
}

async fn the_leadership_headline_figures_are_on_the_first_screen(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.create_user("bupati", "leader", "", "pimpinan-123")
        .await;
    let ids = file(&app, "Jalan berlubang", 3).await;
    app.dispatch(ids[0], "DPUPR").await;
    app.logout().await;

    // the figures, as the page says them
    let (status, _) = app.get_html("/staf/pimpinan").await;
    assert_ne!(status, StatusCode::OK, "staff only");
    app.login("bupati", "pimpinan-123").await;
    let (status, html) = app.get_html("/staf/pimpinan").await;
    assert_eq!(status, StatusCode::OK);
    let head = html
        .split("id=\"headline\"")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .expect("the headline block");
    assert!(
        head.contains("href=\"/staf/laporan\"><span class=\"f-value\">3</span>"),
        "three open: {head}"
    );
    assert!(head.contains("Laporan masuk") && head.contains("href=\"/staf/laporan?terlambat=1\""));
    let headline_at = html.find("id=\"headline\"").unwrap();
    let stuck_at = html.find("id=\"h-stuck\"").unwrap();
    assert!(headline_at < stuck_at, "the headline comes first");

    for (label, phone) in [("1280", false), ("390", true)] {
        let b = if phone {
            Browser::phone().await
        } else {
            Browser::start().await
        };
        let c = &b.client;
        if !phone {
            viewport(c, 1280, 900).await;
        }
        login(c, &app, "bupati", "pimpinan-123").await;
        c.goto(&app.url("/staf/pimpinan")).await.unwrap();
        let (inside, boxes) = headline_above_the_fold(c).await;
        println!("leadership headline at {label}: {boxes}");
        let size: serde_json::Value = c
            .execute("return [window.innerWidth, window.innerHeight]", vec![])
            .await
            .unwrap();
        let (w, h) = (size[0].as_u64().unwrap(), size[1].as_u64().unwrap());
        if phone {
            assert_eq!((w, h), (390, 844));
        } else {
            assert_eq!((w, h), (1280, 900));
        }
        assert!(
            inside,
            "every headline figure above the fold at {label}: {boxes}"
        );
        shot(c, &format!("staf-pimpinan-{label}.png")).await;
        b.stop().await;
    }
}

/// Counts the clicks and key presses of a journey as a person makes them.
#[derive(Default)]
struct Clicks(u32);

impl Clicks {
    async fn click(&mut self, c: &Client, css: &str) {
        self.0 += 1;
        c.find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("{css}"))
            .click()
            .await
            .unwrap();
    }

    async fn click_and_wait(&mut self, c: &Client, css: &str) {
        self.0 += 1;
        click_and_wait(c, Locator::Css(css)).await;
    }

    async fn choose(&mut self, c: &Client, id: &str, value: &str) {
        self.0 += 1;
        select(c, id, value).await;
    }

    async fn type_in(&mut self, c: &Client, id: &str, text: &str) {
        self.0 += 1;
        fill(c, id, text).await;
    }

    /// "Back" or a bookmark to the queue: one action.
    async fn go(&mut self, c: &Client, url: &str) {
        self.0 += 1;
        c.goto(url).await.unwrap();
    }

    async fn key(&mut self, c: &Client, key: &str) {
        self.0 += 1;
        let old = c.find(Locator::Css("html")).await.unwrap();
        c.active_element()
            .await
            .unwrap()
            .send_keys(key)
            .await
            .unwrap();
        crate::browser::wait_for_new_page(c, old).await;
    }
}

async fn in_status(app: &TestApp, status: &str, title: &str) -> u64 {
    request::Entity::find()
        .filter(request::Column::Status.eq(status))
        .filter(request::Column::Title.starts_with(title))
        .count(&app.store.reader)
        .await
        .unwrap()
}

const RESPONSE: &str = "Sudah ditangani oleh tim lapangan hari ini.";

/// The desk routes 20 new requests and an officer resolves 10, first the way the pages allowed
/// before this round (ticks one by one, dispatch from each request's page, back to the list to
/// find the next), then with select all, bulk dispatch and "next request". Prints the clicks
/// and the seconds of each, with the machine's load, for docs/staff.md.
async fn the_desk_and_an_officer_timed_before_and_after(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.create_user("verifikator", "verifier", "", "verifikator-123")
        .await;
    app.create_user("petugas.pupr", "officer", "DPUPR", "petugas-pupr-1")
        .await;
    let dpupr = unit_id(&app, "DPUPR").await;
    file(&app, "Lampu jalan mati", 20).await;
    file(&app, "Pohon tumbang", 20).await;
    app.logout().await;
    let b = Browser::start().await;
    let c = &b.client;
    viewport(c, 1280, 900).await;
    login(c, &app, "verifikator", "verifikator-123").await;

    // the desk, before: tick 20, verify; then each request from its own page
    let mut before = Clicks::default();
    let t = Instant::now();
    before
        .go(c, &app.url("/staf/laporan?status=diterima&q=Lampu"))
        .await;
    for cb in c.find_all(Locator::Css("input[name=ids]")).await.unwrap() {
        before.0 += 1;
        cb.click().await.unwrap();
    }
    before.choose(c, "f-bulk-action", "verify").await;
    before
        .click_and_wait(c, "fieldset.bulk button[type=submit]")
        .await;
    let list = app.url("/staf/laporan?status=diverifikasi&q=Lampu");
    before.go(c, &list).await;
    for i in 0..20 {
        before
            .click_and_wait(c, "table.queue tbody tr a[href^='/staf/laporan/']")
            .await;
        if i == 0 {
            shot(c, "staf-sebelum-disposisi-1280.png").await;
        }
        before.click(c, &format!("#unit-{dpupr}")).await;
        before
            .click_and_wait(
                c,
                "form.panel:has(input[name=action][value=dispatch]) button[type=submit]",
            )
            .await;
        before.go(c, &list).await;
    }
    let desk_before = (before.0, t.elapsed());
    assert_eq!(in_status(&app, "didisposisikan", "Lampu").await, 20);

    // the desk, after: select all, verify; select all, dispatch to the unit
    let mut after = Clicks::default();
    let t = Instant::now();
    after
        .go(c, &app.url("/staf/laporan?status=diterima&q=Pohon"))
        .await;
    after.click(c, "#sel-all").await;
    after.choose(c, "f-bulk-action", "verify").await;
    after
        .click_and_wait(c, "fieldset.bulk button[type=submit]")
        .await;
    after
        .go(c, &app.url("/staf/laporan?status=diverifikasi&q=Pohon"))
        .await;
    after.click(c, "#sel-all").await;
    after.choose(c, "f-bulk-action", "dispatch").await;
    after.choose(c, "f-bulk-unit", &dpupr).await;
    shot(c, "staf-sesudah-massal-1280.png").await;
    after
        .click_and_wait(c, "fieldset.bulk button[type=submit]")
        .await;
    let desk_after = (after.0, t.elapsed());
    assert_eq!(in_status(&app, "didisposisikan", "Pohon").await, 20);

    // the officer, before: open from the list, respond, resolve, back to the list
    c.delete_all_cookies().await.unwrap();
    login(c, &app, "petugas.pupr", "petugas-pupr-1").await;
    let mut before = Clicks::default();
    let t = Instant::now();
    let list = app.url("/staf/laporan?status=didisposisikan&q=Lampu");
    before.go(c, &list).await;
    for _ in 0..10 {
        before
            .click_and_wait(c, "table.queue tbody tr a[href^='/staf/laporan/']")
            .await;
        before.type_in(c, "f-response", RESPONSE).await;
        before
            .click_and_wait(c, "#resolve-form button[type=submit]")
            .await;
        before.go(c, &list).await;
    }
    let officer_before = (before.0, t.elapsed());
    assert_eq!(in_status(&app, "selesai", "Lampu").await, 10);

    // the officer, after: respond, resolve, `n` for the next request
    let mut after = Clicks::default();
    let t = Instant::now();
    after.go(c, &app.url("/staf/laporan")).await;
    after
        .click_and_wait(c, "table.queue tbody tr a[href^='/staf/laporan/']")
        .await;
    for i in 0..10 {
        after.type_in(c, "f-response", RESPONSE).await;
        after
            .click_and_wait(c, "#resolve-form button[type=submit]")
            .await;
        if i < 9 {
            after.key(c, "n").await;
        }
    }
    let officer_after = (after.0, t.elapsed());
    assert_eq!(
        in_status(&app, "selesai", "Pohon").await + in_status(&app, "selesai", "Lampu").await,
        20
    );
    b.stop().await;

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "desk timing ({}; {cpus} CPUs, load average {}):",
        if app._db.url.starts_with("sqlite") {
            "SQLite"
        } else {
            "PostgreSQL"
        },
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    for (what, (cb, tb), (ca, ta)) in [
        ("the desk routes 20 new requests", desk_before, desk_after),
        ("an officer resolves 10", officer_before, officer_after),
    ] {
        println!(
            "  {what}: before {cb} clicks, {:.1} s; after {ca} clicks, {:.1} s",
            tb.as_secs_f64(),
            ta.as_secs_f64()
        );
    }
    assert!(desk_after.0 < desk_before.0 && officer_after.0 < officer_before.0);
}

/// The records of a CSV answer, the header first.
async fn csv_of(app: &TestApp, path: &str) -> Vec<Vec<String>> {
    let r = app.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    let ctype = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ctype.starts_with("text/csv"), "{ctype}");
    let body = r.text().await.unwrap();
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes())
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect()
}

async fn a_view_of_the_queue_downloads_as_csv_with_formulas_as_text(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.create_unit("DISHUB", "Dinas Perhubungan").await;
    app.create_user("petugas.pupr", "officer", "DPUPR", "petugas-pupr-1")
        .await;
    let lamps = file(&app, "Lampu jalan mati", 2).await;
    let formula = file(&app, "=HYPERLINK(\"http://contoh.invalid\") lampu", 1).await[0];
    let other = file(&app, "Sampah menumpuk", 1).await[0];
    app.dispatch(lamps[0], "DPUPR").await;
    app.dispatch(formula, "DPUPR").await;
    app.dispatch(lamps[1], "DISHUB").await;
    let code = |id: i64| {
        let app = &app;
        async move { row(app, id).await.tracking_code }
    };

    // the desk's view, filtered: the filter holds, and the formula is text
    let (_, html) = app.get_html("/staf/laporan?q=lampu").await;
    assert!(
        html.contains("href=\"/staf/laporan.csv?q=lampu\""),
        "the view links its CSV"
    );
    let rows = csv_of(&app, "/staf/laporan.csv?q=lampu").await;
    assert_eq!(rows[0][0], "Kode");
    assert_eq!(rows.len(), 4, "the header and three lamps: {rows:?}");
    let codes: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert!(!codes.contains(&code(other).await.as_str()));
    let cell = rows
        .iter()
        .find(|r| r[1].contains("HYPERLINK"))
        .map(|r| r[1].clone())
        .unwrap();
    assert!(
        cell.starts_with("'=HYPERLINK"),
        "a formula stays text: {cell}"
    );

    // an officer's CSV holds their unit's requests only
    app.logout().await;
    app.login("petugas.pupr", "petugas-pupr-1").await;
    let rows = csv_of(&app, "/staf/laporan.csv").await;
    let mut codes: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
    codes.sort();
    let mut want = vec![code(lamps[0]).await, code(formula).await];
    want.sort();
    assert_eq!(codes, want);
    assert!(rows[1..].iter().all(|r| r[7] == "Dinas PUPR"), "{rows:?}");

    // signed out: the login page, not the data
    app.logout().await;
    let r = app.get("/staf/laporan.csv").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn the_desk_finds_the_unit_by_typing_and_dispatches(app: TestApp) {
    app.login_admin().await;
    for (code, name) in [
        ("DPUPR", "Dinas Pekerjaan Umum dan Penataan Ruang"),
        ("DISHUB", "Dinas Perhubungan"),
        ("DLHK", "Dinas Lingkungan Hidup dan Kebersihan"),
    ] {
        app.create_unit(code, name).await;
    }
    app.create_user("verifikator", "verifier", "", "verifikator-123")
        .await;
    let id = file(&app, "Rambu lalu lintas roboh", 1).await[0];
    app.logout().await;
    let dishub = unit_id(&app, "DISHUB").await;

    let b = Browser::start().await;
    let c = &b.client;
    login(c, &app, "verifikator", "verifikator-123").await;
    c.goto(&app.url(&format!("/staf/laporan/{id}")))
        .await
        .unwrap();
    let visible = |c: &Client| {
        let c = c.clone();
        async move {
            c.execute(
                "return [...document.querySelectorAll('#unit-list .choice')].filter(e => !e.hidden).map(e => e.textContent.trim())",
                vec![],
            )
            .await
            .unwrap()
        }
    };
    assert_eq!(visible(c).await.as_array().unwrap().len(), 3);
    let find = c.find(Locator::Id("f-unit-find")).await.unwrap();
    find.send_keys("perhub").await.unwrap();
    assert_eq!(visible(c).await, serde_json::json!(["Dinas Perhubungan"]));
    // Enter ticks the one match and does not send the form
    find.send_keys(&fantoccini::key::Key::Enter.to_string())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ticked = c
        .find(Locator::Id(&format!("unit-{dishub}")))
        .await
        .unwrap()
        .prop("checked")
        .await
        .unwrap();
    assert_eq!(ticked.as_deref(), Some("true"));
    assert_eq!(row(&app, id).await.status, "diterima", "not sent yet");
    click_and_wait(
        c,
        Locator::Css("form.panel:has(input[name=action][value=dispatch]) button[type=submit]"),
    )
    .await;
    assert_eq!(row(&app, id).await.status, "didisposisikan");
    let units: Vec<String> = kotapintar_storage::entity::request_unit::Entity::find()
        .filter(kotapintar_storage::entity::request_unit::Column::RequestId.eq(id))
        .all(&app.store.reader)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.unit_id.to_string())
        .collect();
    assert_eq!(units, vec![dishub], "sent to the unit found by typing");
    b.stop().await;
}

async fn an_officer_forwards_several_requests_in_one_bulk_step(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.create_unit("DISHUB", "Dinas Perhubungan").await;
    app.create_user("petugas.pupr", "officer", "DPUPR", "petugas-pupr-1")
        .await;
    app.create_user("petugas.dishub", "officer", "DISHUB", "petugas-dishub-1")
        .await;
    let ids = file(&app, "Rambu lalu lintas roboh", 3).await;
    for id in &ids {
        app.dispatch(*id, "DPUPR").await;
    }
    app.logout().await;
    app.login("petugas.pupr", "petugas-pupr-1").await;
    let (_, html) = app.get_html("/staf/laporan").await;
    assert!(
        html.contains("<option value=\"forward\">"),
        "offered in bulk"
    );
    let dishub = unit_id(&app, "DISHUB").await;
    let [a, b] = [ids[0].to_string(), ids[1].to_string()];
    let reason = "Rambu adalah wewenang Dinas Perhubungan.";

    // without the unit nothing moves, and each request says why
    let r = app
        .post_form(
            "/staf/laporan/massal",
            &[
                ("action", "forward"),
                ("to_unit", ""),
                ("reason", reason),
                ("ids", &a),
                ("ids", &b),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html(&crate::harness::location(&r)).await;
    assert!(html.contains("0 dari 2 laporan"), "{html}");
    assert!(html.contains("Pilih perangkat daerah tujuan."), "{html}");

    let r = app
        .post_form(
            "/staf/laporan/massal",
            &[
                ("action", "forward"),
                ("to_unit", &dishub),
                ("reason", reason),
                ("ids", &a),
                ("ids", &b),
            ],
        )
        .await;
    let (_, html) = app.get_html(&crate::harness::location(&r)).await;
    assert!(html.contains("2 dari 2 laporan"), "{html}");

    // both land on Dishub's inbox with the reason; the third stays with PUPR
    app.logout().await;
    app.login("petugas.dishub", "petugas-dishub-1").await;
    let (_, html) = app.get_html("/staf/laporan").await;
    for id in &ids[..2] {
        assert!(html.contains(&row(&app, *id).await.tracking_code));
    }
    assert!(!html.contains(&row(&app, ids[2]).await.tracking_code));
    assert_eq!(html.matches(reason).count(), 2, "{html}");
    assert_eq!(html.matches("Diteruskan dari Dinas PUPR").count(), 2);
}
