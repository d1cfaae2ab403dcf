//! Issue 21, "no wrong door": "bukan wewenang" refers a request to a registered outside agency
//! (shown publicly with where and why, the reporter told, counted apart), and "ditunda" defers
//! it to a date (checked, never late meanwhile, resumed by the sweep or by staff).

use crate::harness::TestApp;
use kotapintar_domain::performance::{Dim, Period};
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::entity::request;
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use std::time::Duration;

both_backends!(referral_to_an_outside_agency, deferral_to_a_date);

const REPORTER: &str = "Wayan Sudira";

fn request_fields(title: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("kind", "pengaduan"),
        ("title", title),
        (
            "description",
            "Kabel listrik menjuntai rendah di atas jalan dekat sekolah, berbahaya bagi anak-anak.",
        ),
        ("district_code", "51.03.01"),
        ("village_code", "51.03.01.1002"),
        ("latitude", "-8.7201"),
        ("longitude", "115.1689"),
        ("location_address", "Jl. Raya Kuta dekat sekolah"),
        ("email", "warga@contoh.id"),
        ("name", REPORTER),
        ("confirm_new", "1"),
    ]
}

/// A unit with a mailbox, the desk and an officer of the unit.
async fn setup(app: &TestApp) {
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
    app.logout().await;
}

async fn file(app: &TestApp, title: &'static str) -> (String, i64) {
    let r = app.file_request(&request_fields(title), &[]).await;
    let (code, _) = TestApp::filed(&r);
    let id = app.request_id(&code).await;
    (code, id)
}

async fn act(app: &TestApp, id: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    app.post_form(&format!("/staf/laporan/{id}/aksi"), fields)
        .await
}

async fn row(app: &TestApp, id: i64) -> request::Model {
    request::Entity::find_by_id(id)
        .one(&app.store.reader)
        .await
        .unwrap()
        .unwrap()
}

async fn figures(
    app: &TestApp,
    scope: i64,
    period: Period,
) -> kotapintar_domain::performance::Figures {
    kotapintar_storage::performance::breakdown(&app.store, scope, Dim::All, period)
        .await
        .unwrap()
        .remove("")
        .unwrap_or_default()
}

async fn referral_to_an_outside_agency(app: TestApp) {
    setup(&app).await;

    // Kominfo keeps the list: checked, typed values kept, audited, deactivated not deleted
    app.login_admin().await;
    let r = app
        .post_form(
            "/staf/instansi-luar",
            &[("name", "PLN UP3 Bali Selatan"), ("kind", "bumn")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("value=\"PLN UP3 Bali Selatan\""),
        "typed name kept"
    );
    assert!(
        page.contains("email atau telepon"),
        "the contact is required"
    );
    let pln = [
        ("name", "PLN UP3 Bali Selatan"),
        ("kind", "bumn"),
        ("email", "up3balisel@pln.co.id"),
        ("phone", "0361 227 000"),
        ("website", "https://web.pln.co.id"),
        ("active", "on"),
    ];
    let r = app.post_form("/staf/instansi-luar", &pln).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let old = [
        ("name", "Dinas Lama Provinsi"),
        ("kind", "provinsi"),
        ("email", "lama@baliprov.go.id"),
        ("active", "on"),
    ];
    assert_eq!(
        app.post_form("/staf/instansi-luar", &old).await.status(),
        StatusCode::SEE_OTHER
    );
    let all = kotapintar_storage::agencies::all(&app.store.reader)
        .await
        .unwrap();
    let id_of = |name: &str| all.iter().find(|a| a.name == name).unwrap().id;
    let (pln_id, old_id) = (id_of("PLN UP3 Bali Selatan"), id_of("Dinas Lama Provinsi"));
    let deactivate = [
        ("name", "Dinas Lama Provinsi"),
        ("kind", "provinsi"),
        ("email", "lama@baliprov.go.id"),
    ];
    let r = app
        .post_form(&format!("/staf/instansi-luar/{old_id}"), &deactivate)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get_html("/staf/instansi-luar").await;
    assert!(list.contains("PLN UP3 Bali Selatan") && list.contains("Nonaktif"));
    app.logout().await;

    // the desk refers a request before dispatch; a reason is required, what was typed stays
    let (code, id) = file(&app, "Kabel listrik PLN menjuntai").await;
    app.login("verifikator", "verifikator-123").await;
    let (_, detail) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert!(detail.contains("PLN UP3 Bali Selatan"));
    assert!(
        !detail.contains(&format!("value=\"{old_id}\">Dinas Lama")),
        "an inactive agency is not offered"
    );
    let pln_s = pln_id.to_string();
    let r = act(
        &app,
        id,
        &[("action", "refer"), ("agency", &pln_s), ("reason", " ")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains(&format!("value=\"{pln_s}\" selected")));
    let old_s = old_id.to_string();
    let reason_text =
        "Jaringan listrik adalah wewenang PLN, dilaporkan Wayan Sudira 0812-3456-7890";
    let r = act(
        &app,
        id,
        &[
            ("action", "refer"),
            ("agency", &old_s),
            ("reason", reason_text),
        ],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "inactive agency"
    );
    let r = act(
        &app,
        id,
        &[
            ("action", "refer"),
            ("agency", &pln_s),
            ("reason", reason_text),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let stored = row(&app, id).await;
    assert_eq!(stored.status, "dialihkan");
    assert!(stored.closed_at.is_some() && stored.resolved_at.is_none());
    // a final state: nothing more to verify or dispatch
    assert_eq!(
        act(&app, id, &[("action", "verify")]).await.status(),
        StatusCode::CONFLICT
    );
    app.logout().await;

    // the public page says where it went and why, with the agency's contact, no personal data
    let (s, public) = app.get_html(&format!("/laporan/{code}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        public.contains("Dialihkan ke PLN UP3 Bali Selatan"),
        "{public}"
    );
    assert!(public.contains("Jaringan listrik adalah wewenang PLN"));
    assert!(public.contains("up3balisel@pln.co.id"));
    // the timeline's note names the agency without its contact, so nothing shows masked
    assert!(!public.contains("kontak: [disembunyikan]"), "{public}");
    for secret in [REPORTER, "0812-3456-7890", "warga@contoh.id"] {
        assert!(!public.contains(secret), "{secret} on the public page");
    }
    // Open311: closed, with the reason in status_notes (extended: not the council's)
    let r = app.get(&format!("/open311/v2/requests/{code}.json")).await;
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v[0]["status"], "closed");
    let notes = v[0]["status_notes"].as_str().unwrap_or_default();
    assert!(notes.contains("PLN UP3 Bali Selatan"), "{notes}");
    assert!(!notes.contains(REPORTER) && !notes.contains("3456-7890"));

    // the unit the desk dispatched to may refer back out before it starts work
    let (code2, id2) = file(&app, "Tiang listrik miring").await;
    app.login("verifikator", "verifikator-123").await;
    app.dispatch(id2, "DPUPR").await;
    app.logout().await;
    app.login("petugas.pupr", "petugas-pupr-1").await;
    let r = act(
        &app,
        id2,
        &[
            ("action", "refer"),
            ("agency", &pln_s),
            ("reason", "Tiang milik PLN, bukan pemkab"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.logout().await;

    // /api/v1 shows it to the unit's application, with the agency and the reason
    let token = kotapintar_storage::clients::create(
        &app.store,
        &AuditActor::System("test".into()),
        "SIMJALAN",
        "DPUPR",
        "requests:read requests:write",
        100_000,
    )
    .await
    .unwrap()
    .token;
    let v: serde_json::Value = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/requests/{code2}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["status"], "dialihkan", "{v}");
    assert_eq!(v["status_reason"]["agency"]["name"], "PLN UP3 Bali Selatan");
    assert_eq!(
        v["status_reason"]["reason"],
        "Tiang milik PLN, bukan pemkab"
    );

    // the figures: referred apart, never resolved nor late; the unit counts the one it referred
    let unit = kotapintar_storage::units::find_by_code(&app.store.reader, "DPUPR")
        .await
        .unwrap()
        .unwrap();
    let period = Period::last_days(app.local_today(), 30);
    let regency = figures(&app, 0, period).await;
    assert_eq!(
        (regency.referred, regency.resolved, regency.late),
        (2, 0, 0)
    );
    let of_unit = figures(&app, unit.id.0, period).await;
    assert_eq!((of_unit.referred, of_unit.resolved), (1, 0));
    let (_, kinerja) = app.get_html("/kinerja").await;
    assert!(kinerja.contains("Dialihkan ke instansi lain"));

    // the reporter is told where, and how to reach the agency
    app.run_jobs().await;
    let mails = app.mail.wait_for(3, Duration::from_secs(10)).await;
    let reporter: Vec<String> = mails
        .iter()
        .filter(|m| m.to == vec!["warga@contoh.id".to_string()])
        .map(|m| m.body())
        .collect();
    assert!(
        reporter
            .iter()
            .any(|b| b.contains("PLN UP3 Bali Selatan") && b.contains("up3balisel@pln.co.id")),
        "{reporter:?}"
    );

    // audited, and the chain holds
    let log = kotapintar_storage::audit::recent(&app.store, None, 100)
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    for a in ["agency.create", "agency.update", "request.refer"] {
        assert!(actions.contains(&a), "{a}: {actions:?}");
    }
    assert!(kotapintar_storage::audit::verify(&app.store)
        .await
        .unwrap()
        .is_ok());
}

async fn deferral_to_a_date(app: TestApp) {
    setup(&app).await;
    let (code, id) = file(&app, "Jalan perlu pelebaran").await;
    app.login("verifikator", "verifikator-123").await;
    app.dispatch(id, "DPUPR").await;
    app.logout().await;
    app.login("petugas.pupr", "petugas-pupr-1").await;
    assert_eq!(
        act(&app, id, &[("action", "start")]).await.status(),
        StatusCode::SEE_OTHER
    );
    // the request is already late when it is deferred
    let mut m: request::ActiveModel = row(&app, id).await.into();
    m.stage_due_at = Set(Some(chrono::Utc::now() - chrono::Duration::days(2)));
    m.update(&app.store.writer).await.unwrap();

    let today = app.local_today();
    let reason = "Menunggu anggaran perubahan tahun ini";
    for (date, message) in [
        (today.to_string(), "setelah hari ini"),
        (
            (today + chrono::Duration::days(400)).to_string(),
            "satu tahun",
        ),
        ("besok".to_string(), "Tanggal tidak valid"),
    ] {
        let r = act(
            &app,
            id,
            &[("action", "defer"), ("until", &date), ("reason", reason)],
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{date}");
        let page = r.text().await.unwrap();
        assert!(page.contains(message), "{date}: {message}");
        assert!(page.contains(reason), "the typed reason stays");
    }
    assert_eq!(row(&app, id).await.status, "ditindaklanjuti");
    let until = today + chrono::Duration::days(3);
    let r = act(
        &app,
        id,
        &[
            ("action", "defer"),
            ("until", &until.to_string()),
            ("reason", reason),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(row(&app, id).await.status, "ditunda");
    app.logout().await;

    // the public page says until when and why
    let (_, public) = app.get_html(&format!("/laporan/{code}")).await;
    assert!(public.contains("Ditunda sampai"), "{public}");
    assert!(public.contains(reason));
    assert!(!public.contains("Terlambat"), "not late while deferred");

    // not late while deferred: neither overdue nor escalated by the sweep
    let rules = &app.settings.rules;
    let cal = kotapintar_storage::holidays::calendar(&app.store)
        .await
        .unwrap();
    let now = chrono::Utc::now();
    let s = kotapintar_storage::requests::sweep(
        &app.store,
        rules,
        &cal,
        now + chrono::Duration::days(1),
    )
    .await
    .unwrap();
    assert_eq!((s.escalated, s.resumed), (0, 0));
    let (overdue, _) = kotapintar_storage::performance::overdue_now(&app.store, now)
        .await
        .unwrap();
    assert_eq!(overdue, 0);
    assert_eq!(row(&app, id).await.escalation_level, 0);

    // on the date the sweep resumes it, back to work with a fresh deadline
    let on_the_date = now + chrono::Duration::days(4);
    let s = kotapintar_storage::requests::sweep(&app.store, rules, &cal, on_the_date)
        .await
        .unwrap();
    assert_eq!(s.resumed, 1);
    let back = row(&app, id).await;
    assert_eq!(back.status, "ditindaklanjuti");
    assert!(back.stage_due_at.unwrap() > on_the_date, "a fresh deadline");
    let (_, public) = app.get_html(&format!("/laporan/{code}")).await;
    // the deferral stays in the timeline, but the request no longer says it waits
    assert!(!public.contains("id=\"status-reason\""));
    // nothing left to resume
    let s = kotapintar_storage::requests::sweep(&app.store, rules, &cal, on_the_date)
        .await
        .unwrap();
    assert_eq!(s.resumed, 0);

    // staff resume early: back to the status it had
    app.login("petugas.pupr", "petugas-pupr-1").await;
    let r = act(
        &app,
        id,
        &[
            ("action", "defer"),
            ("until", &until.to_string()),
            ("reason", reason),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, detail) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert!(detail.contains("Proses kembali sekarang"));
    let r = act(
        &app,
        id,
        &[("action", "resume"), ("note", "Anggaran sudah tersedia")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(row(&app, id).await.status, "ditindaklanjuti");
    app.logout().await;

    // the reporter hears of the deferral, with the date and the reason
    app.run_jobs().await;
    let mails = app.mail.wait_for(4, Duration::from_secs(10)).await;
    let reporter: Vec<String> = mails
        .iter()
        .filter(|m| m.to == vec!["warga@contoh.id".to_string()])
        .map(|m| m.body())
        .collect();
    assert!(
        reporter
            .iter()
            .any(|b| b.contains("Ditunda sampai") && b.contains(reason)),
        "{reporter:?}"
    );
}
