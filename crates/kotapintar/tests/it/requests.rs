//! Requests end to end over HTTP: filing (with photos), the workflow from desk to unit to
//! resident, notifications, the survey, personal data, and the privacy of public output.

use crate::harness::{jpeg_with_gps, location, TestApp};
use kotapintar_storage::requests;
use reqwest::StatusCode;
use std::time::Duration;

both_backends!(
    resident_files_with_a_photo_and_follows_it,
    bad_input_names_each_field_keeps_what_was_typed_and_stores_nothing,
    the_whole_workflow_with_notifications_survey_and_ikm,
    rahasia_requests_never_reach_the_public,
    public_output_never_carries_personal_data,
    anonymous_reporters_are_hidden_from_the_desk_and_views_are_audited,
    similar_open_requests_are_offered_and_supported_once_per_device,
    reporter_sees_corrects_and_erases_their_data,
    resolved_requests_close_by_themselves_and_overdue_ones_escalate,
    rejecting_needs_a_reason_and_duplicates_point_to_the_original,
    unit_admins_edit_their_services_and_questions_are_asked,
    templates_bulk_steps_and_holidays_in_the_staff_area,
    forwarding_returns_to_the_queue_and_the_unit_keeps_reading_it,
    the_queue_puts_the_nearest_deadline_first_with_a_countdown,
);

const GOOD: &[(&str, &str)] = &[
    ("kind", "pengaduan"),
    ("title", "Lampu jalan mati di depan pura"),
    (
        "description",
        "Tiga lampu penerangan jalan mati sejak minggu lalu, jalan gelap di malam hari.",
    ),
    ("district_code", "51.03.01"),
    ("village_code", "51.03.01.1002"),
    ("latitude", "-8.7201"),
    ("longitude", "115.1689"),
    ("location_address", "Jl. Raya Kuta depan pura"),
];

fn with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v: Vec<(&'a str, &'a str)> = GOOD
        .iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .cloned()
        .collect();
    v.extend_from_slice(extra);
    v
}

async fn count_requests(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    kotapintar_storage::entity::request::Entity::find()
        .count(&app.store.reader)
        .await
        .unwrap()
}

async fn resident_files_with_a_photo_and_follows_it(app: TestApp) {
    app.import_areas().await;
    let r = app
        .file_request(
            &with(&[("email", "warga@contoh.id"), ("confirm_new", "1")]),
            &[("lampu.jpg", jpeg_with_gps(64, 48))],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let (code, token) = TestApp::filed(&r);
    assert!(code.starts_with("BDG-"), "{code}");
    assert_eq!(code.len(), "BDG-26-7K3Q9".len());
    let (s, html) = app.get_html(&location(&r)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Laporan terkirim") && html.contains(&code));
    // the public page
    let (s, html) = app.get_html(&format!("/laporan/{code}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Lampu jalan mati di depan pura"));
    assert!(html.contains("Diterima"));
    assert!(html.contains("Kuta"));
    let photo_id = html
        .split("/foto/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("photo link")
        .to_string();
    let photo = app.get(&format!("/foto/{photo_id}")).await;
    assert_eq!(photo.status(), StatusCode::OK);
    assert_eq!(photo.headers()["content-type"], "image/jpeg");
    let bytes = photo.bytes().await.unwrap();
    assert!(!bytes.windows(4).any(|w| w == b"Exif"), "EXIF stripped");
    assert!(
        !bytes.windows(11).any(|w| w == b"GPSLatitude"),
        "location stripped"
    );
    let thumb = app.get(&format!("/foto/{photo_id}-kecil")).await;
    assert_eq!(thumb.status(), StatusCode::OK);
    // look it up as typed over the phone
    let r = app
        .get(&format!(
            "/laporan?kode={}",
            code.to_lowercase().replace('-', " ")
        ))
        .await;
    assert_eq!(location(&r), format!("/laporan/{code}"));
    // the reporter is told the code and the private link by email
    app.run_jobs().await;
    let mails = app.mail.wait_for(1, Duration::from_secs(10)).await;
    assert!(mails[0].subject().unwrap_or_default().contains(&code));
    assert!(mails[0]
        .body()
        .contains(&format!("/laporan/{code}/ikuti/{token}")));
    assert_eq!(mails[0].to, vec!["warga@contoh.id".to_string()]);
    // a wrong token shows nothing
    assert_eq!(
        app.get(&format!("/laporan/{code}/ikuti/{}", "0".repeat(48)))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn bad_input_names_each_field_keeps_what_was_typed_and_stores_nothing(app: TestApp) {
    app.import_areas().await;
    let fake = b"ini bukan foto, hanya teks".to_vec();
    let r = app
        .file_request(
            &with(&[
                ("title", ""),
                ("latitude", "-6.2000"),
                ("longitude", "106.8166"),
                ("email", "bukan-email"),
                (
                    "description",
                    "Jalan rusak parah dekat sekolah <b>tolong</b>",
                ),
            ]),
            &[("jalan.jpg", jpeg_with_gps(32, 32)), ("palsu.jpg", fake)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Ada isian yang perlu diperbaiki"));
    assert!(html.contains("id=\"e-title\""));
    assert!(html.contains("Alamat email tidak valid"));
    assert!(
        html.contains("palsu.jpg: Berkas ini bukan foto"),
        "the fake photo is named"
    );
    assert!(html.contains("jalan.jpg"), "the good photo is kept");
    assert!(
        html.contains("Jalan rusak parah dekat sekolah &#60;b&#62;tolong&#60;/b&#62;")
            || html.contains("&lt;b&gt;"),
        "typed text kept, escaped"
    );
    assert!(html.contains("value=\"bukan-email\""));
    assert_eq!(count_requests(&app).await, 0);
    let draft = html
        .split("name=\"draft_id\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    assert_eq!(draft.len(), 32);
    // Jakarta is outside the regency: only the database check can tell, and it says so
    let r = app
        .file_request(
            &with(&[
                ("latitude", "-6.2000"),
                ("longitude", "106.8166"),
                ("draft_id", draft.as_str()),
                ("confirm_new", "1"),
            ]),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("di luar wilayah kabupaten"));
    assert!(html.contains("jalan.jpg"), "photo still kept");
    assert_eq!(count_requests(&app).await, 0);
    let draft = html
        .split("name=\"draft_id\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    // corrected: the kept photo goes with it
    let r = app
        .file_request(
            &with(&[("draft_id", draft.as_str()), ("confirm_new", "1")]),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (code, _) = TestApp::filed(&r);
    let public = requests::public_by_code(&app.store, &code)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(public.photo_ids.len(), 1);
    // unknown service and unknown kind
    let r = app
        .file_request(
            &with(&[("service_code", "tidak-ada"), ("kind", "protes")]),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Pilihan tidak dikenal"));
    let r = app
        .file_request(&with(&[("service_code", "tidak-ada")]), &[])
        .await;
    assert!(r.text().await.unwrap().contains("Layanan ini tidak ada"));
    // more than five photos
    let six: Vec<(&str, Vec<u8>)> = (0..6).map(|_| ("f.jpg", jpeg_with_gps(8, 8))).collect();
    let r = app.file_request(&with(&[("confirm_new", "1")]), &six).await;
    assert!(r.text().await.unwrap().contains("Paling banyak 5 foto"));
    assert_eq!(count_requests(&app).await, 1);
}

/// Units, staff and a service, created as an admin would.
async fn setup_units(app: &TestApp) {
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
    app.create_unit("DISHUB", "Dinas Perhubungan").await;
    app.create_user("verifikator", "verifier", "", "verifikator-123")
        .await;
    app.create_user("petugas.pupr", "officer", "DPUPR", "petugas-pupr-1")
        .await;
    app.create_user("admin.pupr", "unit_admin", "DPUPR", "admin-pupr-12")
        .await;
    app.logout().await;
}

async fn act(app: &TestApp, id: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    app.post_form(&format!("/staf/laporan/{id}/aksi"), fields)
        .await
}

async fn the_whole_workflow_with_notifications_survey_and_ikm(app: TestApp) {
    setup_units(&app).await;
    let (resident, _) = app.new_visitor();
    let _ = resident;
    let r = app
        .file_request(
            &with(&[
                ("email", "warga@contoh.id"),
                ("name", "Wayan Sudira"),
                ("confirm_new", "1"),
            ]),
            &[],
        )
        .await;
    let (code, token) = TestApp::filed(&r);
    let id = app.request_id(&code).await;

    // the central desk verifies and dispatches
    app.login("verifikator", "verifikator-123").await;
    let (_, inbox) = app.get_html("/staf/laporan").await;
    assert!(inbox.contains(&code));
    let (_, detail) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert!(
        detail.contains("Wayan Sudira"),
        "not anonymous: the desk may call back"
    );
    assert_eq!(
        act(&app, id, &[("action", "verify"), ("note", "lokasi jelas")])
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let dpupr = kotapintar_storage::units::find_by_code(&app.store.reader, "DPUPR")
        .await
        .unwrap()
        .unwrap();
    let r = act(
        &app,
        id,
        &[
            ("action", "dispatch"),
            ("units", &dpupr.id.to_string()),
            ("note", "Diteruskan ke Dinas PUPR"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // a step that no longer fits is refused, not applied twice
    assert_eq!(
        act(&app, id, &[("action", "verify")]).await.status(),
        StatusCode::CONFLICT
    );
    // the desk cannot resolve: that is the unit's work
    assert_eq!(
        act(
            &app,
            id,
            &[
                ("action", "resolve"),
                ("response", "Sudah diperbaiki semua.")
            ]
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    app.logout().await;

    // the unit's officer follows up and resolves
    app.login("petugas.pupr", "petugas-pupr-1").await;
    let (_, inbox) = app.get_html("/staf/laporan").await;
    assert!(inbox.contains(&code), "in the unit's queue");
    assert_eq!(
        act(
            &app,
            id,
            &[("action", "start"), ("note", "Tim dijadwalkan besok")]
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    let r = act(&app, id, &[("action", "resolve"), ("response", "pendek")]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("paling sedikit 10 karakter"));
    let r = act(
        &app,
        id,
        &[
            ("action", "resolve"),
            ("response", "Lampu sudah diganti oleh tim lapangan."),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.logout().await;

    // the public sees the steps and the response, not the internal note
    let (_, public) = app.get_html(&format!("/laporan/{code}")).await;
    assert!(public.contains("Lampu sudah diganti oleh tim lapangan."));
    assert!(public.contains("Diteruskan ke Dinas PUPR"));
    assert!(!public.contains("lokasi jelas"), "internal note");
    assert!(public.contains("Dinas PUPR"));

    // the resident confirms and answers the survey
    let follow = format!("/laporan/{code}/ikuti/{token}");
    let (_, page) = app.get_html(&follow).await;
    assert!(page.contains("Ya, sudah selesai"));
    let r = app.post_form(&format!("{follow}/konfirmasi"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let mut answers: Vec<(String, String)> = (1..=9)
        .map(|i| (format!("U{i}"), "4".to_string()))
        .collect();
    answers[3].1 = "3".into();
    answers.pop();
    let refs: Vec<(&str, &str)> = answers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = app.post_form(&format!("{follow}/survei"), &refs).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "U9 missing");
    let mut full = refs.clone();
    full.push(("U9", "4"));
    let r = app.post_form(&format!("{follow}/survei"), &full).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app.post_form(&format!("{follow}/survei"), &full).await;
    assert_ne!(r.status(), StatusCode::SEE_OTHER, "one survey per request");
    let (_, page) = app.get_html(&follow).await;
    assert!(page.contains("Ditutup"));
    assert!(page.contains("penilaian Anda sudah tercatat"));

    // IKM: eight 4s and one 3 -> (8*4+3)/9*25 = 97.22, grade A
    app.login_admin().await;
    let (_, ikm) = app.get_html("/staf/ikm").await;
    assert!(ikm.contains("Dinas PUPR"));
    assert!(ikm.contains("97.22"), "{ikm}");

    // notifications: the reporter at each public change, the unit on dispatch
    app.run_jobs().await;
    let mails = app.mail.wait_for(6, Duration::from_secs(10)).await;
    let to_reporter: Vec<_> = mails
        .iter()
        .filter(|m| m.to == vec!["warga@contoh.id".to_string()])
        .collect();
    let subjects: Vec<String> = to_reporter.iter().filter_map(|m| m.subject()).collect();
    for word in [
        "diterima",
        "diverifikasi",
        "diteruskan",
        "ditindaklanjuti",
        "selesai",
    ] {
        assert!(
            subjects.iter().any(|s| s.contains(word)),
            "{word}: {subjects:?}"
        );
    }
    assert!(mails
        .iter()
        .any(|m| m.to == vec!["pupr@badungkab.go.id".to_string()] && m.body().contains(&code)));
    // every staff step is in the audit log, and the chain holds
    let log = kotapintar_storage::audit::recent(&app.store, Some(("request", &id.to_string())), 20)
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "request.verify",
        "request.dispatch",
        "request.start_work",
        "request.resolve",
    ] {
        assert!(actions.contains(&a), "{a}: {actions:?}");
    }
    assert!(kotapintar_storage::audit::verify(&app.store)
        .await
        .unwrap()
        .is_ok());
}

/// Every public page a crawler could reach, joined.
async fn public_output(app: &TestApp, code: &str) -> String {
    let (c, _) = app.new_visitor();
    let mut all = String::new();
    for path in [
        "/",
        "/laporan",
        "/laporan?status=diterima",
        "/layanan",
        "/lapor",
        &format!("/laporan/{code}"),
        &format!("/laporan?q={code}"),
    ] {
        let body = c
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        all.push_str(&body);
    }
    all
}

async fn rahasia_requests_never_reach_the_public(app: TestApp) {
    app.import_areas().await;
    let r = app
        .file_request(
            &with(&[
                ("title", "Pungutan liar di kantor desa"),
                (
                    "description",
                    "Petugas meminta uang tambahan untuk surat keterangan.",
                ),
                ("confidential", "on"),
                ("confirm_new", "1"),
            ]),
            &[("bukti.jpg", jpeg_with_gps(16, 16))],
        )
        .await;
    let (code, token) = TestApp::filed(&r);
    let all = public_output(&app, &code).await;
    assert!(!all.contains("Pungutan liar"), "title leaked");
    assert!(
        !all.contains(&format!("href=\"/laporan/{code}")),
        "code leaked"
    );
    let (c, _) = app.new_visitor();
    assert_eq!(
        c.get(app.url(&format!("/laporan/{code}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let r = c
        .get(app.url(&format!("/laporan?kode={code}")))
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Kode tidak ditemukan"));
    let photo = requests::reporter_view(&app.store, &code, &token)
        .await
        .unwrap()
        .record
        .photo_ids[0];
    assert_eq!(
        c.get(app.url(&format!("/foto/{photo}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    // the reporter still follows it privately
    let (s, page) = app
        .get_html(&format!("/laporan/{code}/ikuti/{token}"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Pungutan liar"));
}

async fn public_output_never_carries_personal_data(app: TestApp) {
    app.import_areas().await;
    let r = app
        .file_request(
            &with(&[
                ("title", "Saluran air tersumbat"),
                ("description", "Saya Ni Luh Sekar, NIK 5103014405900002, telepon 0812-3456-7890, email sekar@contoh.id. Got tersumbat."),
                ("name", "Ni Luh Sekar"),
                ("email", "sekar@contoh.id"),
                ("phone", "081234567890"),
                ("confirm_new", "1"),
            ]),
            &[],
        )
        .await;
    let (code, _) = TestApp::filed(&r);
    let all = public_output(&app, &code).await;
    assert!(
        all.contains("Saluran air tersumbat"),
        "the request itself is public"
    );
    for secret in [
        "Ni Luh Sekar",
        "5103014405900002",
        "0812-3456-7890",
        "081234567890",
        "sekar@contoh.id",
    ] {
        assert!(!all.contains(secret), "{secret} reached a public page");
    }
}

async fn anonymous_reporters_are_hidden_from_the_desk_and_views_are_audited(app: TestApp) {
    setup_units(&app).await;
    let r = app
        .file_request(
            &with(&[
                ("name", "Made Anonim"),
                ("phone", "081299998888"),
                ("anonymous", "on"),
                ("confirm_new", "1"),
            ]),
            &[],
        )
        .await;
    let (code, _) = TestApp::filed(&r);
    let id = app.request_id(&code).await;
    app.login("verifikator", "verifikator-123").await;
    let (_, detail) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert!(!detail.contains("Made Anonim") && !detail.contains("081299998888"));
    assert!(detail.contains("Disembunyikan"));
    let dpupr = kotapintar_storage::units::find_by_code(&app.store.reader, "DPUPR")
        .await
        .unwrap()
        .unwrap();
    act(
        &app,
        id,
        &[("action", "dispatch"), ("units", &dpupr.id.to_string())],
    )
    .await;
    app.logout().await;
    app.login("petugas.pupr", "petugas-pupr-1").await;
    let (_, detail) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert!(
        detail.contains("Made Anonim"),
        "the handling unit sees who to call back"
    );
    let log = kotapintar_storage::audit::recent(&app.store, Some(("request", &id.to_string())), 20)
        .await
        .unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "request.view_contact" && e.actor == "petugas.pupr"));
    app.logout().await;
    // staff of another unit see nothing of it
    app.login_admin().await;
    app.create_user("petugas.dishub", "officer", "DISHUB", "petugas-dishub1")
        .await;
    app.logout().await;
    app.login("petugas.dishub", "petugas-dishub1").await;
    assert_eq!(
        app.get(&format!("/staf/laporan/{id}")).await.status(),
        StatusCode::FORBIDDEN
    );
    let (_, inbox) = app.get_html("/staf/laporan").await;
    assert!(!inbox.contains(&code));
}

async fn similar_open_requests_are_offered_and_supported_once_per_device(app: TestApp) {
    app.import_areas().await;
    let r = app.file_request(&with(&[("confirm_new", "1")]), &[]).await;
    let (first, _) = TestApp::filed(&r);
    // same place, similar words: offered before a duplicate is filed
    let r = app
        .file_request(
            &with(&[
                ("title", "Lampu jalan mati lagi"),
                (
                    "description",
                    "Lampu penerangan jalan depan pura mati, jalan gelap.",
                ),
            ]),
            &[("x.jpg", jpeg_with_gps(8, 8))],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Laporan serupa yang masih terbuka"));
    assert!(html.contains(&first));
    assert!(html.contains("name=\"confirm_new\" value=\"1\""));
    assert!(html.contains("x.jpg"), "the photo waits for the decision");
    assert_eq!(count_requests(&app).await, 1);
    // "saya juga", twice from this device, once from another
    for _ in 0..2 {
        let r = app
            .post_form(&format!("/laporan/{first}/dukung"), &[])
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let (c, jar) = app.new_visitor();
    c.get(app.url("/")).send().await.unwrap();
    let token = crate::harness::cookie_of(&jar, &app.base, "kp_csrf").unwrap();
    c.post(app.url(&format!("/laporan/{first}/dukung")))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    let public = requests::public_by_code(&app.store, &first)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(public.support_count, 2);
}

async fn reporter_sees_corrects_and_erases_their_data(app: TestApp) {
    app.import_areas().await;
    let r = app
        .file_request(
            &with(&[
                ("name", "Kadek Ayu"),
                ("email", "kadek@contoh.id"),
                ("confirm_new", "1"),
            ]),
            &[],
        )
        .await;
    let (code, token) = TestApp::filed(&r);
    let follow = format!("/laporan/{code}/ikuti/{token}");
    let (_, page) = app.get_html(&follow).await;
    assert!(page.contains("value=\"Kadek Ayu\"") && page.contains("value=\"kadek@contoh.id\""));
    let r = app
        .post_form(
            &format!("{follow}/data"),
            &[
                ("name", "Kadek Ayu Lestari"),
                ("email", "salah"),
                ("phone", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(
            &format!("{follow}/data"),
            &[
                ("name", "Kadek Ayu Lestari"),
                ("email", "ayu@contoh.id"),
                ("phone", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let v = requests::reporter_view(&app.store, &code, &token)
        .await
        .unwrap();
    assert_eq!(v.record.contact.name.as_deref(), Some("Kadek Ayu Lestari"));
    let r = app.post_form(&format!("{follow}/hapus-data"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let v = requests::reporter_view(&app.store, &code, &token)
        .await
        .unwrap();
    assert_eq!(v.record.contact, Default::default());
    assert!(v.erased);
    // the public record stays
    assert!(requests::public_by_code(&app.store, &code)
        .await
        .unwrap()
        .is_some());
}

async fn resolved_requests_close_by_themselves_and_overdue_ones_escalate(app: TestApp) {
    setup_units(&app).await;
    let dpupr = kotapintar_storage::units::find_by_code(&app.store.reader, "DPUPR")
        .await
        .unwrap()
        .unwrap();
    let r = app
        .file_request(
            &with(&[("email", "warga@contoh.id"), ("confirm_new", "1")]),
            &[],
        )
        .await;
    let (resolved, _) = TestApp::filed(&r);
    let r = app
        .file_request(
            &with(&[
                ("title", "Trotoar rusak parah"),
                (
                    "description",
                    "Trotoar pecah-pecah berbahaya bagi pejalan kaki lansia.",
                ),
                ("confirm_new", "1"),
            ]),
            &[],
        )
        .await;
    let (late, _) = TestApp::filed(&r);
    let (rid, lid) = (app.request_id(&resolved).await, app.request_id(&late).await);
    app.login("verifikator", "verifikator-123").await;
    for id in [rid, lid] {
        act(
            &app,
            id,
            &[("action", "dispatch"), ("units", &dpupr.id.to_string())],
        )
        .await;
    }
    app.logout().await;
    app.login("petugas.pupr", "petugas-pupr-1").await;
    act(
        &app,
        rid,
        &[
            ("action", "resolve"),
            ("response", "Sudah diperbaiki oleh tim."),
        ],
    )
    .await;
    app.logout().await;
    let rules = &app.settings.rules;
    let cal = kotapintar_storage::holidays::calendar(&app.store)
        .await
        .unwrap();
    // a month later: the resolved one closed itself; the late one went up twice
    let later = chrono::Utc::now() + chrono::Duration::days(30);
    let s = requests::sweep(&app.store, rules, &cal, later)
        .await
        .unwrap();
    assert_eq!((s.closed, s.escalated), (1, 1));
    let closed = requests::public_by_code(&app.store, &resolved)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(closed.status, kotapintar_domain::request::Status::Ditutup);
    let escalated = requests::public_by_code(&app.store, &late)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        escalated.status,
        kotapintar_domain::request::Status::Didisposisikan
    );
    // long after closing, the reporter's personal data is erased (retention)
    let much_later =
        chrono::Utc::now() + chrono::Duration::days(i64::from(rules.retention_days) + 40);
    let s = requests::sweep(&app.store, rules, &cal, much_later)
        .await
        .unwrap();
    assert_eq!(s.erased, 1, "the closed request's contact");
    let v = kotapintar_storage::entity::request::Entity::find_by_id(rid)
        .one(&app.store.reader)
        .await
        .unwrap()
        .unwrap();
    assert!(v.reporter_email.is_none() && v.personal_data_erased_at.is_some());
    // running again changes nothing: escalation happens once per level
    let again = requests::sweep(&app.store, rules, &cal, later)
        .await
        .unwrap();
    assert_eq!((again.closed, again.escalated), (0, 0));
    // the late request appears as overdue in the unit's inbox
    app.login("petugas.pupr", "petugas-pupr-1").await;
    use kotapintar_storage::entity::request as req;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    req::Entity::update_many()
        .col_expr(
            req::Column::StageDueAt,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::days(3)),
        )
        .filter(req::Column::Id.eq(lid))
        .exec(&app.store.writer)
        .await
        .unwrap();
    let (_, inbox) = app.get_html("/staf/laporan?terlambat=1").await;
    assert!(inbox.contains(&late) && !inbox.contains(&resolved));
    assert!(inbox.contains("Terlambat"));
}

async fn rejecting_needs_a_reason_and_duplicates_point_to_the_original(app: TestApp) {
    setup_units(&app).await;
    let r = app.file_request(&with(&[("confirm_new", "1")]), &[]).await;
    let (original, _) = TestApp::filed(&r);
    let r = app.file_request(&with(&[("confirm_new", "1")]), &[]).await;
    let (dup, _) = TestApp::filed(&r);
    let id = app.request_id(&dup).await;
    app.login("verifikator", "verifikator-123").await;
    let r = act(
        &app,
        id,
        &[("action", "reject"), ("reason", "duplicate"), ("note", "")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = act(
        &app,
        id,
        &[
            ("action", "reject"),
            ("reason", "duplicate"),
            ("note", "Sudah dilaporkan"),
            ("duplicate_of", "BDG-26-ZZZZZ"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("Laporan dengan kode ini tidak ada"));
    // the form keeps what was typed, in the form that was sent only
    assert!(
        body.contains(r#"value="BDG-26-ZZZZZ""#),
        "the code typed is kept"
    );
    assert!(
        body.contains(">Sudah dilaporkan</textarea>"),
        "the note typed is kept"
    );
    assert_eq!(body.matches(">Sudah dilaporkan</textarea>").count(), 1);
    let r = act(
        &app,
        id,
        &[
            ("action", "reject"),
            ("reason", "duplicate"),
            ("note", "Sudah dilaporkan sebelumnya"),
            ("duplicate_of", &original),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let p = requests::public_by_code(&app.store, &dup)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.status, kotapintar_domain::request::Status::Ditolak);
    assert!(p
        .timeline
        .iter()
        .any(|e| e.note.as_deref() == Some("Sudah dilaporkan sebelumnya")));
}

async fn unit_admins_edit_their_services_and_questions_are_asked(app: TestApp) {
    setup_units(&app).await;
    app.login("admin.pupr", "admin-pupr-12").await;
    let base = [
        ("unit_code", "DPUPR"),
        ("code", "jalan-rusak"),
        ("name", "Jalan rusak"),
        ("kind", "pengaduan"),
        ("time_limit_days", "10"),
        ("active", "on"),
    ];
    let mut bad = base.to_vec();
    bad.push(("questions", "jenis | Jenis kerusakan | boolean | required"));
    let r = app.post_form("/staf/layanan/baru", &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("line 1: datatype") && html.contains("boolean"),
        "the line and the problem are named"
    );
    let mut other_unit = base.to_vec();
    other_unit[0] = ("unit_code", "DISHUB");
    let r = app.post_form("/staf/layanan/baru", &other_unit).await;
    assert!(r.text().await.unwrap().contains("tidak berwenang"));
    let mut good = base.to_vec();
    good.push(("questions", "jenis | Jenis kerusakan | singlevaluelist | required | Berlubang; Retak\npanjang | Panjang (m) | number | optional"));
    good.push(("requirements", "Foto lokasi"));
    let r = app.post_form("/staf/layanan/baru", &good).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.logout().await;
    let (_, catalog) = app.get_html("/layanan").await;
    assert!(
        catalog.contains("Jalan rusak")
            && catalog.contains("Foto lokasi")
            && catalog.contains("10 hari kerja")
    );
    let (_, form) = app.get_html("/lapor?layanan=jalan-rusak").await;
    assert!(form.contains("Jenis kerusakan") && form.contains("value=\"Berlubang\""));
    let r = app
        .file_request(
            &with(&[
                ("service_code", "jalan-rusak"),
                ("q_panjang", "dua"),
                ("confirm_new", "1"),
            ]),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Wajib diisi.") && html.contains("Jawaban tidak sesuai"));
    let r = app
        .file_request(
            &with(&[
                ("service_code", "jalan-rusak"),
                ("q_jenis", "Retak"),
                ("q_panjang", "2,5"),
                ("confirm_new", "1"),
            ]),
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let log = kotapintar_storage::audit::recent(&app.store, None, 50)
        .await
        .unwrap();
    assert!(log
        .iter()
        .any(|e| e.action == "service.create" && e.actor == "admin.pupr"));
}

async fn templates_bulk_steps_and_holidays_in_the_staff_area(app: TestApp) {
    setup_units(&app).await;
    // a unit admin writes a response template for the unit
    app.login("admin.pupr", "admin-pupr-12").await;
    let r = app
        .post_form(
            "/staf/templat",
            &[("unit_code", "DPUPR"), ("title", ""), ("body", "x")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(
            "/staf/templat",
            &[
                ("unit_code", "DPUPR"),
                ("title", "Jalan sudah ditambal"),
                ("body", "Terima kasih, kerusakan sudah diperbaiki tim kami."),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            "/staf/templat",
            &[
                ("unit_code", "DISHUB"),
                ("title", "Bukan unit saya"),
                ("body", "Tidak boleh."),
            ],
        )
        .await;
    assert!(r.text().await.unwrap().contains("tidak berwenang"));
    app.logout().await;

    // two requests verified at once by the desk
    let mut ids = Vec::new();
    for title in ["Jembatan retak di banjar", "Gorong-gorong tersumbat sampah"] {
        let r = app
            .file_request(
                &with(&[
                    ("title", title),
                    (
                        "description",
                        "Mohon segera diperiksa petugas karena membahayakan warga sekitar.",
                    ),
                    ("confirm_new", "1"),
                ]),
                &[],
            )
            .await;
        let (code, _) = TestApp::filed(&r);
        ids.push(app.request_id(&code).await);
    }
    app.login("verifikator", "verifikator-123").await;
    let a = ids[0].to_string();
    let b = ids[1].to_string();
    let r = app
        .post_form(
            "/staf/laporan/massal",
            &[("action", "verify"), ("ids", &a), ("ids", &b)],
        )
        .await;
    assert_eq!(location(&r), "/staf/laporan?hasil=2-2");
    let (_, inbox) = app.get_html("/staf/laporan?status=diverifikasi").await;
    assert!(inbox.contains("Jembatan retak") && inbox.contains("Gorong-gorong"));
    let dpupr = kotapintar_storage::units::find_by_code(&app.store.reader, "DPUPR")
        .await
        .unwrap()
        .unwrap();
    act(
        &app,
        ids[0],
        &[("action", "dispatch"), ("units", &dpupr.id.to_string())],
    )
    .await;
    app.logout().await;
    // the officer sees the unit's template on the request
    app.login("petugas.pupr", "petugas-pupr-1").await;
    let (_, detail) = app.get_html(&format!("/staf/laporan/{}", ids[0])).await;
    assert!(
        detail.contains("Jalan sudah ditambal")
            && detail.contains("Terima kasih, kerusakan sudah diperbaiki tim kami.")
    );
    app.logout().await;

    // an admin adds a local holiday; new deadlines skip it (5 March 2030 is Nyepi already)
    app.login_admin().await;
    let r = app
        .post_form(
            "/staf/libur",
            &[("date", "2030-02-30"), ("name_id", "Galungan")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Tanggal tidak valid"));
    let r = app
        .post_form(
            "/staf/libur",
            &[
                ("date", "2030-03-04"),
                ("name_id", "Galungan (contoh)"),
                ("name_en", "Galungan (example)"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get_html("/staf/libur?tahun=2030").await;
    assert!(list.contains("Galungan (contoh)") && list.contains("local"));
    let cal = kotapintar_storage::holidays::calendar(&app.store)
        .await
        .unwrap();
    let monday = chrono::NaiveDate::from_ymd_opt(2030, 3, 4).unwrap();
    assert!(!cal.is_working_day(monday));
    assert_eq!(
        cal.add_working_days(chrono::NaiveDate::from_ymd_opt(2030, 3, 1).unwrap(), 1),
        chrono::NaiveDate::from_ymd_opt(2030, 3, 6).unwrap()
    );
    let r = app
        .post_form("/staf/libur/hapus", &[("date", "2030-03-04")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let cal = kotapintar_storage::holidays::calendar(&app.store)
        .await
        .unwrap();
    assert!(cal.is_working_day(monday));
}

/// An officer who forwards a request lands on the queue with a message (not a 403 page: the
/// request is no longer theirs to work on), may still read it, and may no longer act on it;
/// the assignment reads as words on the timeline.
async fn forwarding_returns_to_the_queue_and_the_unit_keeps_reading_it(app: TestApp) {
    setup_units(&app).await;
    let r = app.file_request(&with(&[("confirm_new", "1")]), &[]).await;
    let (code, _) = TestApp::filed(&r);
    let id = app.request_id(&code).await;
    app.login_admin().await;
    app.dispatch(id, "DPUPR").await;
    app.logout().await;
    let dishub = kotapintar_storage::units::find_by_code(&app.store.reader, "DISHUB")
        .await
        .unwrap()
        .unwrap();
    app.login("admin.pupr", "admin-pupr-12").await;
    let officer = kotapintar_storage::users::list(&app.store, None)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username.as_str() == "petugas.pupr")
        .unwrap()
        .id;
    let r = act(
        &app,
        id,
        &[("action", "assign"), ("officer", &officer.to_string())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, detail) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert!(
        detail.contains("ditugaskan kepada"),
        "the assignment in words"
    );
    assert!(!detail.contains("assigned to user"));
    let r = act(
        &app,
        id,
        &[
            ("action", "forward"),
            ("to_unit", &dishub.id.to_string()),
            ("reason", "Rambu adalah urusan Dinas Perhubungan."),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(to, "/staf/laporan?ok=forwarded");
    let (status, queue) = app.get_html(&to).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        queue.contains("Laporan diteruskan ke unit tujuan"),
        "the message is shown"
    );
    // the forwarding unit still reads it, and sees where it went
    let (status, detail) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(detail.contains("Dinas Perhubungan"));
    // but no longer works on it
    let r = act(&app, id, &[("action", "start")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// The staff queue shows open work by deadline (late first, then the nearest), each with a
/// countdown in working days; newest first stays available.
async fn the_queue_puts_the_nearest_deadline_first_with_a_countdown(app: TestApp) {
    use kotapintar_storage::entity::request;
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    setup_units(&app).await;
    let mut codes = Vec::new();
    for title in [
        "Lampu jalan mati di depan pura",
        "Saluran air tersumbat di gang",
        "Pohon tumbang menutup jalan",
    ] {
        let r = app
            .file_request(&with(&[("title", title), ("confirm_new", "1")]), &[])
            .await;
        codes.push(TestApp::filed(&r).0);
    }
    // the oldest is due in ten days, the newest is three weeks late, the middle one closed
    let now = chrono::Utc::now();
    for (code, due, status) in [
        (&codes[0], now + chrono::Duration::days(10), "diterima"),
        (&codes[1], now + chrono::Duration::days(1), "ditutup"),
        (&codes[2], now - chrono::Duration::days(21), "diterima"),
    ] {
        let id = app.request_id(code).await;
        let row = request::Entity::find_by_id(id)
            .one(&app.store.writer)
            .await
            .unwrap()
            .unwrap();
        let mut m: request::ActiveModel = row.into();
        m.stage_due_at = Set(Some(due));
        m.status = Set(status.into());
        m.update(&app.store.writer).await.unwrap();
    }
    app.login("verifikator", "verifikator-123").await;
    let (_, queue) = app.get_html("/staf/laporan").await;
    let at = |html: &str, code: &str| html.find(code).unwrap();
    assert!(
        at(&queue, &codes[2]) < at(&queue, &codes[0]),
        "the late one first"
    );
    assert!(
        at(&queue, &codes[0]) < at(&queue, &codes[1]),
        "closed ones last"
    );
    assert!(queue.contains("due due-late"), "late in colour");
    assert!(
        queue.contains("hari kerja</span>"),
        "late, in words: {queue}"
    );
    assert!(
        queue.contains("hari kerja lagi</span>"),
        "time left, in words"
    );
    let (_, newest) = app.get_html("/staf/laporan?urut=terbaru").await;
    assert!(at(&newest, &codes[2]) < at(&newest, &codes[1]));
    assert!(at(&newest, &codes[1]) < at(&newest, &codes[0]));
}
