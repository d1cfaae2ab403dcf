//! Issue 21, second half: validated closure (the desk accepts or returns a unit's follow-up
//! before the reporter is asked to confirm) over HTTP, with its notices and figures; and
//! merged cases (duplicates merged into a primary case, unmerged, suggested).

use crate::harness::{jpeg_with_gps, TestApp};
use kotapintar_domain::performance::{Dim, Period};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::time::Duration;

both_backends!(
    validation_accepted_and_returned,
    merge_and_unmerge_with_notifications,
    merge_refusals
);

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

// --- merged cases ---------------------------------------------------------------------------

/// Files a road-damage request with these title, description, point and reporter.
async fn file_case(
    app: &TestApp,
    text: (&str, &str),
    at: (&str, &str),
    who: (&str, &str),
) -> (String, i64) {
    let mut fields: Vec<(&str, &str)> = REQUEST
        .iter()
        .copied()
        .filter(|(k, _)| {
            ![
                "title",
                "description",
                "latitude",
                "longitude",
                "email",
                "name",
            ]
            .contains(k)
        })
        .collect();
    fields.extend([
        ("title", text.0),
        ("description", text.1),
        ("latitude", at.0),
        ("longitude", at.1),
        ("email", who.0),
        ("name", who.1),
    ]);
    let r = app.file_request(&fields, &[]).await;
    let (code, _) = TestApp::filed(&r);
    let id = app.request_id(&code).await;
    (code, id)
}

/// The mails to `who` (subject and body) once `done` holds for them, or after 10 s.
async fn mail_to(app: &TestApp, who: &str, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let mails: Vec<String> = app
            .mail
            .messages()
            .iter()
            .filter(|m| m.to == vec![who.to_string()])
            .map(|m| format!("{} {}", m.subject().unwrap_or_default(), m.body()))
            .collect();
        if done(&mails) || std::time::Instant::now() > deadline {
            return mails;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn merged_into(app: &TestApp, id: i64) -> Option<i64> {
    kotapintar_storage::entity::request::Entity::find_by_id(id)
        .one(&app.store.reader)
        .await
        .unwrap()
        .unwrap()
        .merged_into
}

async fn received(app: &TestApp) -> i64 {
    let period = Period::last_days(app.local_today(), 30);
    kotapintar_storage::performance::breakdown(&app.store, 0, Dim::All, period)
        .await
        .unwrap()
        .remove("")
        .unwrap_or_default()
        .received
}

async fn support_count(app: &TestApp, code: &str) -> i64 {
    kotapintar_storage::requests::public_by_code(&app.store, code)
        .await
        .unwrap()
        .unwrap()
        .support_count
}

const PRIMARY: (&str, &str) = (
    "Jalan berlubang di depan pasar Kuta",
    "Lubang besar di tengah jalan depan pasar Kuta, motor sering jatuh.",
);
const DUPLICATE: (&str, &str) = (
    "Lubang jalan depan pasar Kuta",
    "Ada lubang jalan yang dalam di depan pasar, berbahaya bagi motor.",
);
const UNRELATED: (&str, &str) = (
    "Lampu penerangan mati di gang",
    "Lampu penerangan di gang sebelah banjar mati sejak seminggu.",
);
const HERE: (&str, &str) = ("-8.7201", "115.1689");
/// About 100 m north of `HERE`.
const NEAR: (&str, &str) = ("-8.7192", "115.1689");

async fn merge_and_unmerge_with_notifications(app: TestApp) {
    setup(&app).await;
    let (a, a_id) = file_case(&app, PRIMARY, HERE, ("a@contoh.id", "Wayan Sudira")).await;
    let (c, _) = file_case(
        &app,
        UNRELATED,
        ("-8.7201", "115.1700"),
        ("c@contoh.id", "Made Oka"),
    )
    .await;
    let (b, b_id) = file_case(&app, DUPLICATE, NEAR, ("b@contoh.id", "Ketut Arsana")).await;
    kotapintar_storage::requests::support(&app.store, &b, "p1")
        .await
        .unwrap();
    kotapintar_storage::requests::support(&app.store, &a, "p1")
        .await
        .unwrap();
    kotapintar_storage::requests::support(&app.store, &a, "p2")
        .await
        .unwrap();
    assert_eq!(received(&app).await, 3);

    // the desk sees the planted duplicate first, with its evidence, above the unrelated one
    app.login("verifikator", "verifikator-123").await;
    let (_, inbox) = app.get_html("/staf/laporan").await;
    assert!(inbox.contains(&b));
    let (_, page) = app.get_html(&format!("/staf/laporan/{b_id}")).await;
    let list = &page[page.find("id=\"duplicates\"").expect("the suggestions")..];
    let first = list.find(&a).expect("the duplicate is suggested");
    assert!(list.find(&c).is_none_or(|i| i > first), "{list}");
    assert!(list[first..].contains("lubang") && list[first..].contains(" m</dd>"));
    // one click merges
    let r = app
        .post_form(&format!("/staf/laporan/{b_id}/gabung"), &[("primary", &a)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(merged_into(&app, b_id).await, Some(a_id));
    // it leaves the queue and the figures; it takes no step of its own
    let (_, inbox) = app.get_html("/staf/laporan").await;
    assert!(!inbox.contains(&b), "merged: out of the queue");
    assert_eq!(received(&app).await, 2);
    assert_eq!(
        act(&app, b_id, &[("action", "verify")]).await.status(),
        StatusCode::CONFLICT
    );
    let (_, page) = app.get_html(&format!("/staf/laporan/{a_id}")).await;
    assert!(page.contains("id=\"merged-here\"") && page.contains(&b));

    // a step on the primary reaches both reporters
    app.dispatch(a_id, "DPUPR").await;
    app.logout().await;

    // the duplicate's public page and Open311: the primary's status, its link, nothing personal
    let (_, public) = app.get_html(&format!("/laporan/{b}")).await;
    assert!(
        public.contains(&format!("href=\"/laporan/{a}\"")),
        "{public}"
    );
    assert!(public.contains("Digabung ke"));
    let (_, o311) = app
        .get_html(&format!("/open311/v2/requests/{b}.json"))
        .await;
    assert!(o311.contains(&format!("Digabung ke {a}")), "{o311}");
    let (_, api_a) = app
        .get_html(&format!("/open311/v2/requests/{a}.json"))
        .await;
    let status_of_a = |j: &str| j.split("\"status\":").nth(1).map(|s| s[..8].to_string());
    assert_eq!(status_of_a(&o311), status_of_a(&api_a));
    for personal in ["Wayan", "Ketut", "a@contoh.id", "b@contoh.id", "Made Oka"] {
        assert!(!public.contains(personal), "{personal} on the public page");
        assert!(!o311.contains(personal), "{personal} over Open311");
    }

    // supporters: once per person across the case; support for the duplicate goes to the case
    assert_eq!(support_count(&app, &a).await, 2);
    kotapintar_storage::requests::support(&app.store, &b, "p3")
        .await
        .unwrap();
    assert_eq!(support_count(&app, &a).await, 3);
    assert_eq!(support_count(&app, &b).await, 3);

    app.run_jobs().await;
    let dispatched = |m: &String| m.contains(&a) && m.contains("diteruskan ke perangkat daerah");
    let to_b = mail_to(&app, "b@contoh.id", |ms| {
        ms.iter().any(dispatched) && ms.iter().any(|m| m.contains("digabung ke"))
    })
    .await;
    assert!(to_b.iter().any(dispatched), "{to_b:?}");
    let to_a = mail_to(&app, "a@contoh.id", |ms| ms.iter().any(dispatched)).await;
    assert!(to_a.iter().any(dispatched), "{to_a:?}");
    assert!(!app
        .mail
        .messages()
        .iter()
        .any(|m| m.to == vec!["c@contoh.id".to_string()] && m.body().contains(&a)));

    // unmerge: its own status, deadline and queue place again; its reporter is told
    app.login("verifikator", "verifikator-123").await;
    let r = app
        .post_form(&format!("/staf/laporan/{b_id}/pisahkan"), &[])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(merged_into(&app, b_id).await, None);
    assert_eq!(status_of(&app, b_id).await, ("diterima".into(), false));
    let (_, inbox) = app.get_html("/staf/laporan").await;
    assert!(inbox.contains(&b), "back in the queue");
    assert_eq!(received(&app).await, 3);
    app.logout().await;
    let (_, public) = app.get_html(&format!("/laporan/{b}")).await;
    assert!(!public.contains("id=\"merged-into\""));
    app.run_jobs().await;
    let told = |m: &String| m.contains("tidak lagi digabung");
    let to_b = mail_to(&app, "b@contoh.id", |ms| ms.iter().any(told)).await;
    assert!(to_b.iter().any(told), "{to_b:?}");

    // both are audited, and the chain holds
    let log = kotapintar_storage::audit::recent(&app.store, None, 100)
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"request.merge") && actions.contains(&"request.unmerge"));
    assert!(kotapintar_storage::audit::verify(&app.store)
        .await
        .unwrap()
        .is_ok());
}

async fn merge_refusals(app: TestApp) {
    setup(&app).await;
    let (a, a_id) = file_case(&app, PRIMARY, HERE, ("a@contoh.id", "Wayan Sudira")).await;
    let (b, b_id) = file_case(&app, DUPLICATE, NEAR, ("b@contoh.id", "Ketut Arsana")).await;
    let (c, c_id) = file_case(&app, UNRELATED, HERE, ("c@contoh.id", "Made Oka")).await;
    let mut secret: Vec<(&str, &str)> = REQUEST.to_vec();
    secret.push(("confidential", "on"));
    let r = app.file_request(&secret, &[]).await;
    let (d, _) = TestApp::filed(&r);
    let d_id = app.request_id(&d).await;
    let merge = |id: i64, into: String| {
        let app = &app;
        async move {
            let r = app
                .post_form(&format!("/staf/laporan/{id}/gabung"), &[("primary", &into)])
                .await;
            (r.status(), r.text().await.unwrap())
        }
    };

    // an officer of no unit handling the primary may not merge
    app.login("petugas.pupr", "petugas-pupr-1").await;
    assert_eq!(merge(b_id, a.clone()).await.0, StatusCode::FORBIDDEN);
    app.logout().await;
    assert_eq!(merged_into(&app, b_id).await, None);

    app.login("verifikator", "verifikator-123").await;
    // the rahasia request is never suggested for a public one, nor linked to one
    let (_, page) = app.get_html(&format!("/staf/laporan/{b_id}")).await;
    let suggested = &page[page.find("id=\"duplicates\"").expect("the suggestions")..];
    assert!(
        suggested.contains(&a) && !suggested.contains(&d),
        "{suggested}"
    );
    let (s, body) = merge(d_id, a.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Laporan rahasia hanya"), "{body}");
    assert_eq!(
        merge(b_id, d.clone()).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // not into itself, nor an unknown code
    let (s, body) = merge(b_id, b.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("dirinya sendiri"), "{body}");
    assert_eq!(
        merge(b_id, "BDG-26-ZZZZZ".into()).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // no chains: into a merged request, nor merging a primary
    assert_eq!(merge(b_id, a.clone()).await.0, StatusCode::SEE_OTHER);
    let (s, body) = merge(c_id, b.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("sudah digabung ke laporan lain"), "{body}");
    let (s, body) = merge(a_id, c.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("pisahkan dulu"), "{body}");
    // merged twice: a conflict; unmerged twice too
    assert_eq!(merge(b_id, c.clone()).await.0, StatusCode::CONFLICT);
    let unmerge = format!("/staf/laporan/{b_id}/pisahkan");
    assert_eq!(
        app.post_form(&unmerge, &[]).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.post_form(&unmerge, &[]).await.status(),
        StatusCode::CONFLICT
    );
    // not into a rejected request
    let r = act(
        &app,
        c_id,
        &[
            ("action", "reject"),
            ("reason", "spam"),
            ("note", "bukan laporan"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, body) = merge(b_id, c.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("ditolak"), "{body}");
    // nor a rejected one into another
    assert_eq!(merge(c_id, a.clone()).await.0, StatusCode::CONFLICT);
    assert_eq!(merged_into(&app, b_id).await, None);
    assert_eq!(merged_into(&app, c_id).await, None);
}
