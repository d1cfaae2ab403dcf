//! The desk and the inbox at volume: bulk steps whose result names each failure and keeps the
//! queue's filters, twenty requests verified and dispatched in one action each in a browser,
//! and an officer working through the queue with the keyboard alone ("next request").

use crate::browser::{body_text, login, Browser};
use crate::harness::{location, TestApp};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use kotapintar_domain::intake::NewRequest;
use kotapintar_domain::request::RequestKind;
use kotapintar_storage::entity::request;
use kotapintar_storage::requests;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::time::Duration;

both_backends!(
    a_bulk_step_names_what_failed_and_keeps_the_filters,
    the_desk_verifies_and_dispatches_twenty_requests_in_one_action_each,
    an_officer_works_through_the_queue_with_the_keyboard_alone,
);

/// Files `n` requests the way the public form does; their ids, oldest first.
async fn file(app: &TestApp, n: usize) -> Vec<i64> {
    let calendar = kotapintar_storage::holidays::calendar(&app.store)
        .await
        .unwrap();
    let uploads = app.settings.data_dir.join("uploads");
    let mut ids = Vec::new();
    for i in 0..n {
        let req = NewRequest {
            kind: RequestKind::Pengaduan,
            service_code: None,
            title: format!("Lampu jalan mati nomor {i}"),
            description: format!(
                "Lampu jalan tiang nomor {i} di Jalan Raya Kuta mati sejak minggu lalu."
            ),
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

async fn in_status(app: &TestApp, status: &str) -> u64 {
    request::Entity::find()
        .filter(request::Column::Status.eq(status))
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

async fn a_bulk_step_names_what_failed_and_keeps_the_filters(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    let ids = file(&app, 3).await;
    let [a, b, c] = [ids[0].to_string(), ids[1].to_string(), ids[2].to_string()];
    let r = app
        .post_form(
            "/staf/laporan/massal",
            &[("action", "verify"), ("ids", &a), ("ids", &b)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // dispatch without a unit: nothing moves, and each request says why
    let r = app
        .post_form(
            "/staf/laporan/massal",
            &[
                ("action", "dispatch"),
                ("units", ""),
                ("ids", &a),
                ("kembali", "status=diverifikasi&q=lampu"),
            ],
        )
        .await;
    let back = location(&r);
    assert!(
        back.starts_with("/staf/laporan?")
            && back.contains("status=diverifikasi")
            && back.contains("q=lampu"),
        "the filters survive: {back}"
    );
    let (_, html) = app.get_html(&back).await;
    assert!(html.contains("0 dari 1 laporan"), "{html}");
    assert!(html.contains("Pilih perangkat daerah tujuan."), "{html}");
    assert_eq!(in_status(&app, "didisposisikan").await, 0);

    // two can be dispatched; the third is already closed and is named with the reason
    let r = app
        .post_form(
            &format!("/staf/laporan/{c}/aksi"),
            &[
                ("action", "reject"),
                ("reason", "incomplete"),
                ("note", "Lokasi tidak jelas."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "rejected");
    let dpupr = unit_id(&app, "DPUPR").await;
    let r = app
        .post_form(
            "/staf/laporan/massal",
            &[
                ("action", "dispatch"),
                ("units", &dpupr),
                ("ids", &a),
                ("ids", &b),
                ("ids", &c),
            ],
        )
        .await;
    let (_, html) = app.get_html(&location(&r)).await;
    assert!(html.contains("2 dari 3 laporan"), "{html}");
    let code_c = request::Entity::find_by_id(ids[2])
        .one(&app.store.reader)
        .await
        .unwrap()
        .unwrap()
        .tracking_code;
    let failed = html.split("id=\"bulk-result\"").nth(1).unwrap_or_default();
    assert!(failed.contains(&code_c), "the failure is named: {failed}");
    assert!(
        failed.contains("tidak memungkinkan langkah ini"),
        "with its reason: {failed}"
    );
    assert_eq!(in_status(&app, "didisposisikan").await, 2);

    // a forged failure list cannot put arbitrary text on the page
    let (_, html) = app
        .get_html("/staf/laporan?hasil=0-1&gagal=1.%3Cscript%3E+999999.forbidden")
        .await;
    let shown = html
        .split("id=\"bulk-result\"")
        .nth(1)
        .and_then(|b| b.split("</div>").next())
        .expect("the result block");
    assert!(shown.contains("0 dari 1 laporan"), "{shown}");
    assert!(
        !shown.contains("script") && !shown.contains("999999") && !shown.contains("<li>"),
        "unknown reasons and requests are left out: {shown}"
    );
}

/// Ticks every row with "select all", chooses `action` (and the unit) and applies it: one
/// action, as a desk member would with twenty requests.
async fn bulk_in_browser(c: &Client, action: &str, unit: Option<&str>) {
    c.find(Locator::Id("sel-all"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    crate::browser::select(c, "f-bulk-action", action).await;
    if let Some(u) = unit {
        crate::browser::select(c, "f-bulk-unit", u).await;
    }
    crate::browser::click_and_wait(c, Locator::Css("fieldset.bulk button[type=submit]")).await;
}

async fn the_desk_verifies_and_dispatches_twenty_requests_in_one_action_each(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.create_user("verifikator", "verifier", "", "verifikator-123")
        .await;
    let dpupr = unit_id(&app, "DPUPR").await;
    file(&app, 20).await;

    let b = Browser::start().await;
    let c = &b.client;
    login(c, &app, "verifikator", "verifikator-123").await;
    c.goto(&app.url("/staf/laporan?status=diterima"))
        .await
        .unwrap();
    bulk_in_browser(c, "verify", None).await;
    let text = body_text(c).await;
    assert!(text.contains("20 dari 20 laporan"), "{text}");
    assert_eq!(in_status(&app, "diverifikasi").await, 20);
    // back on the same filtered queue: the verified ones left it
    let url = c.current_url().await.unwrap();
    assert!(
        url.query().unwrap_or_default().contains("status=diterima"),
        "{url}"
    );

    c.goto(&app.url("/staf/laporan?status=diverifikasi"))
        .await
        .unwrap();
    bulk_in_browser(c, "dispatch", Some(&dpupr)).await;
    let text = body_text(c).await;
    assert!(text.contains("20 dari 20 laporan"), "{text}");
    assert_eq!(in_status(&app, "didisposisikan").await, 20);
    b.stop().await;
}

/// Sends keys to whatever has the focus, as a person typing would.
async fn press(c: &Client, keys: &str) {
    let focused = c.active_element().await.unwrap();
    focused.send_keys(keys).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
}

async fn focused_row_code(c: &Client) -> String {
    c.execute("return document.activeElement.textContent", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .trim()
        .to_string()
}

async fn an_officer_works_through_the_queue_with_the_keyboard_alone(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.create_user("petugas.pupr", "officer", "DPUPR", "petugas-pupr-1")
        .await;
    for id in file(&app, 4).await {
        app.dispatch(id, "DPUPR").await;
    }
    app.logout().await;

    let b = Browser::start().await;
    let c = &b.client;
    login(c, &app, "petugas.pupr", "petugas-pupr-1").await;
    c.goto(&app.url("/staf/laporan")).await.unwrap();
    // j j: the second row; k: back to the first; x selects it; j x selects the second
    press(c, "jj").await;
    let second = focused_row_code(c).await;
    press(c, "k").await;
    let first = focused_row_code(c).await;
    assert!(first.starts_with("BDG-") && second.starts_with("BDG-") && first != second);
    press(c, "xjx").await;
    // s chooses "start work" for the selection and moves to the button; Enter applies it
    press(c, "s").await;
    let old = c.find(Locator::Css("html")).await.unwrap();
    press(c, &Key::Enter.to_string()).await;
    crate::browser::wait_for_new_page(c, old).await;
    let text = body_text(c).await;
    assert!(text.contains("2 dari 2 laporan"), "{text}");
    assert_eq!(in_status(&app, "ditindaklanjuti").await, 2);

    // o opens the focused request; n goes on to the next one in the queue
    press(c, "j").await;
    let opened = focused_row_code(c).await;
    let old = c.find(Locator::Css("html")).await.unwrap();
    press(c, "o").await;
    crate::browser::wait_for_new_page(c, old).await;
    assert!(body_text(c).await.contains(&opened));
    let old = c.find(Locator::Css("html")).await.unwrap();
    press(c, "n").await;
    crate::browser::wait_for_new_page(c, old).await;
    let h1 = c
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let path = c.current_url().await.unwrap().path().to_string();
    assert!(path.starts_with("/staf/laporan/"), "{path}");
    assert!(
        !body_text(c).await.contains(&format!("› {opened}")),
        "another request: {h1}"
    );
    b.stop().await;
}
