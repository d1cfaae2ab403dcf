//! Issue 21, second half: validated closure (the desk accepts or returns a unit's follow-up
//! before the reporter is asked to confirm) over HTTP, with its notices and figures.

use crate::harness::{jpeg_with_gps, TestApp};
use kotapintar_domain::performance::{Dim, Period};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::time::Duration;

both_backends!(validation_accepted_and_returned);

const REQUEST: &[(&str, &str)] = &[
    ("kind", "pengaduan"),
    ("service_code", "jalan-rusak"),
    ("title", "Jalan berlubang di depan pasar"),
    (
        "description",
        "Lubang besar di tengah jalan depan pasar, sudah dua motor jatuh minggu ini.",
    ),
    ("district_code", "51.03.01"),
    ("village_code", "51.03.01.1002"),
    ("latitude", "-8.7201"),
    ("longitude", "115.1689"),
    ("location_address", "Jl. Raya Kuta depan pasar"),
    ("email", "warga@contoh.id"),
    ("name", "Wayan Sudira"),
    ("confirm_new", "1"),
];

/// A unit with a mailbox, the desk, an officer of the unit, and a road-damage service.
async fn setup(app: &TestApp) -> i64 {
    app.import_areas().await;
    app.login_admin().await;
    let r = app
        .post_form(
            "/staf/unit/baru",
            &[
                ("code", "DPUPR"),
                ("name", "Dinas PUPR"),
                ("kind", "dinas"),
                ("email", "pupr@badungkab.go.id"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.create_user("verifikator", "verifier", "", "verifikator-123")
        .await;
    app.create_user("petugas.pupr", "officer", "DPUPR", "petugas-pupr-1")
        .await;
    app.create_user("admin.pupr", "unit_admin", "DPUPR", "admin-pupr-12")
        .await;
    let r = app
        .post_form(
            "/staf/layanan/baru",
            &[
                ("unit_code", "DPUPR"),
                ("code", "jalan-rusak"),
                ("name", "Jalan rusak"),
                ("kind", "pengaduan"),
                ("time_limit_days", "10"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.logout().await;
    use kotapintar_storage::entity::service;
    service::Entity::find()
        .filter(service::Column::Code.eq("jalan-rusak"))
        .one(&app.store.reader)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn act(app: &TestApp, id: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    app.post_form(&format!("/staf/laporan/{id}/aksi"), fields)
        .await
}

async fn status_of(app: &TestApp, id: i64) -> (String, bool) {
    let r = kotapintar_storage::entity::request::Entity::find_by_id(id)
        .one(&app.store.reader)
        .await
        .unwrap()
        .unwrap();
    (r.status, r.resolved_at.is_some())
}

async fn add_result_photo(app: &TestApp, id: i64) -> reqwest::Response {
    app.post_multipart(
        &format!("/staf/laporan/{id}/foto-hasil"),
        &[],
        &[("photo", "hasil.jpg", jpeg_with_gps(64, 48))],
    )
    .await
}

async fn validation_accepted_and_returned(app: TestApp) {
    let service = setup(&app).await;
    let settings = format!("/staf/layanan/{service}/penutupan");
    let on = [("validate", "on"), ("photos_required", "on")];

    // only Kominfo sets it: not the unit's own admin, who edits the rest of the service
    app.login("admin.pupr", "admin-pupr-12").await;
    assert_eq!(
        app.post_form(&settings, &on).await.status(),
        StatusCode::FORBIDDEN
    );
    let (_, form) = app.get_html(&format!("/staf/layanan/{service}")).await;
    assert!(
        !form.contains("penutupan"),
        "the unit admin sees no closure form"
    );
    app.logout().await;
    app.login_admin().await;
    assert_eq!(
        app.post_form("/staf/layanan/999999/penutupan", &on)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let r = app.post_form(&settings, &on).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, form) = app.get_html(&format!("/staf/layanan/{service}")).await;
    assert!(form.contains("id=\"f-validate\" name=\"validate\" type=\"checkbox\" checked"));
    assert!(form
        .contains("id=\"f-photos_required\" name=\"photos_required\" type=\"checkbox\" checked"));
    app.logout().await;

    // a resident files; the desk dispatches; the unit starts
    let r = app.file_request(REQUEST, &[]).await;
    let (code, token) = TestApp::filed(&r);
    let id = app.request_id(&code).await;
    app.login("verifikator", "verifikator-123").await;
    app.dispatch(id, "DPUPR").await;
    app.logout().await;
    app.login("petugas.pupr", "petugas-pupr-1").await;
    assert_eq!(
        act(&app, id, &[("action", "start")]).await.status(),
        StatusCode::SEE_OTHER
    );
    let resolve = [
        ("action", "resolve"),
        ("response", "Lubang sudah ditambal dengan aspal panas."),
    ];

    // no photos of the result yet: refused, with the reason in words, nothing stored
    let r = act(&app, id, &resolve).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("mewajibkan foto hasil"));
    assert_eq!(status_of(&app, id).await, ("ditindaklanjuti".into(), false));
    // a file that is no photo is refused too
    let r = app
        .post_multipart(
            &format!("/staf/laporan/{id}/foto-hasil"),
            &[],
            &[("photo", "hasil.jpg", b"not a jpeg".to_vec())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        add_result_photo(&app, id).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        act(&app, id, &resolve).await.status(),
        StatusCode::SEE_OTHER
    );
    // the resolution waits for the desk: the reporter is not asked to confirm yet
    assert_eq!(
        status_of(&app, id).await,
        ("menunggu_validasi".into(), true)
    );
    let follow = format!("/laporan/{code}/ikuti/{token}");
    let (_, page) = app.get_html(&follow).await;
    assert!(!page.contains("Ya, sudah selesai"), "no confirmation yet");
    assert_eq!(
        app.post_form(&format!("{follow}/konfirmasi"), &[])
            .await
            .status(),
        StatusCode::CONFLICT
    );
    // the unit cannot validate its own work
    assert_eq!(
        act(&app, id, &[("action", "validate")]).await.status(),
        StatusCode::FORBIDDEN
    );
    app.logout().await;

    // the desk returns it, with a reason
    app.login("verifikator", "verifikator-123").await;
    let (_, detail) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert!(detail.contains("Terima tindak lanjut") && detail.contains("Tolak tindak lanjut"));
    let r = act(
        &app,
        id,
        &[("action", "return_follow_up"), ("reason", "  ")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        status_of(&app, id).await,
        ("menunggu_validasi".into(), true)
    );
    let reason = "Foto tidak menunjukkan lubang yang ditambal";
    let r = act(
        &app,
        id,
        &[("action", "return_follow_up"), ("reason", reason)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, id).await, ("ditindaklanjuti".into(), false));
    // a step that no longer fits is refused, not applied twice
    assert_eq!(
        act(&app, id, &[("action", "validate")]).await.status(),
        StatusCode::CONFLICT
    );
    app.logout().await;
    // the reason is the desk's word to the unit, not public
    let (_, public) = app.get_html(&format!("/laporan/{code}")).await;
    assert!(!public.contains(reason));

    // the unit must add new photos: those of the returned attempt do not count again
    app.login("petugas.pupr", "petugas-pupr-1").await;
    let (_, detail) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert!(detail.contains(reason), "the unit reads why");
    assert_eq!(
        act(&app, id, &resolve).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        add_result_photo(&app, id).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        act(&app, id, &resolve).await.status(),
        StatusCode::SEE_OTHER
    );
    app.logout().await;

    // the desk accepts: the reporter is asked to confirm, as without validation
    app.login("verifikator", "verifikator-123").await;
    assert_eq!(
        act(&app, id, &[("action", "validate"), ("note", "Foto jelas")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    app.logout().await;
    assert_eq!(status_of(&app, id).await, ("selesai".into(), true));
    let (_, page) = app.get_html(&follow).await;
    assert!(page.contains("Ya, sudah selesai"));
    let (_, public) = app.get_html(&format!("/laporan/{code}")).await;
    assert!(
        public.contains("Foto jelas"),
        "the validation is a public step"
    );

    // the figures: the return counts for the unit and the regency, the resolution once
    let unit = kotapintar_storage::units::find_by_code(&app.store.reader, "DPUPR")
        .await
        .unwrap()
        .unwrap();
    let period = Period::last_days(app.local_today(), 30);
    for scope in [0, unit.id.0] {
        let f = kotapintar_storage::performance::breakdown(&app.store, scope, Dim::All, period)
            .await
            .unwrap()
            .remove("")
            .unwrap_or_default();
        assert_eq!((f.returned, f.resolved), (1, 1), "scope {scope}");
    }
    // and a rebuild from the history gives the same counters
    let calendar = kotapintar_storage::holidays::calendar(&app.store)
        .await
        .unwrap();
    let before =
        kotapintar_storage::performance::breakdown(&app.store, unit.id.0, Dim::All, period)
            .await
            .unwrap();
    kotapintar_storage::performance::rebuild(&app.store, &calendar, app.settings.rules.utc_offset)
        .await
        .unwrap();
    let after = kotapintar_storage::performance::breakdown(&app.store, unit.id.0, Dim::All, period)
        .await
        .unwrap();
    assert_eq!(before, after);

    // notices: the reporter hears each status, the unit the desk's reason and its acceptance
    app.run_jobs().await;
    let mails = app.mail.wait_for(8, Duration::from_secs(10)).await;
    let to = |who: &str| -> Vec<String> {
        mails
            .iter()
            .filter(|m| m.to == vec![who.to_string()])
            .map(|m| format!("{} {}", m.subject().unwrap_or_default(), m.body()))
            .collect()
    };
    let reporter = to("warga@contoh.id");
    assert!(
        reporter.iter().any(|m| m.contains("menunggu validasi")),
        "{reporter:?}"
    );
    assert!(reporter
        .iter()
        .any(|m| m.contains("selesai") && !m.contains("menunggu")));
    assert!(
        reporter.iter().all(|m| !m.contains(reason)),
        "the desk's reason is internal"
    );
    let unit_mail = to("pupr@badungkab.go.id");
    assert!(unit_mail
        .iter()
        .any(|m| m.contains("Tindak lanjut ditolak") && m.contains(reason)));
    assert!(unit_mail
        .iter()
        .any(|m| m.contains("Tindak lanjut divalidasi")));

    // every step and the setting are audited, and the chain holds
    let log = kotapintar_storage::audit::recent(&app.store, None, 100)
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "service.closure",
        "request.return_follow_up",
        "request.validate",
    ] {
        assert!(actions.contains(&a), "{a}: {actions:?}");
    }
    assert!(kotapintar_storage::audit::verify(&app.store)
        .await
        .unwrap()
        .is_ok());
}
