//! Bimtek: events, invitations, registration within the capacity, check-in codes that work
//! once and for one event, evaluations, certificates verified in public, and the per-unit
//! recap of who was trained.

use crate::harness::{location, TestApp};
use reqwest::StatusCode;
use sea_orm::{EntityTrait, PaginatorTrait};

both_backends!(
    an_event_from_invitation_to_a_verified_certificate,
    capacity_holds_when_registrations_race,
    who_may_run_and_register,
);

/// A local `datetime-local` value `minutes` from now, in the deployment's zone (WITA).
pub fn local(minutes: i64) -> String {
    let t = chrono::Utc::now() + chrono::Duration::minutes(minutes);
    t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

/// Creates an event through the form; returns its id.
pub async fn create_event(app: &TestApp, title: &str, capacity: &str) -> i64 {
    let r = app
        .post_form(
            "/staf/bimtek/baru",
            &[
                ("title", title),
                ("topic", "Menindaklanjuti laporan warga di kotapintar"),
                ("starts_at", &local(-10)),
                ("ends_at", &local(240)),
                ("place", "Ruang Rapat Diskominfo, Puspem Badung"),
                ("trainers", "Tim Diskominfo Badung"),
                ("capacity", capacity),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "event saved");
    location(&r)
        .trim_start_matches("/staf/bimtek/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn user_id(app: &TestApp, username: &str) -> i64 {
    kotapintar_storage::users::list(&app.store, None)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username.as_str() == username)
        .unwrap()
        .id
        .0
}

async fn unit_id(app: &TestApp, code: &str) -> i64 {
    kotapintar_storage::units::find_by_code(&app.store.reader, code)
        .await
        .unwrap()
        .unwrap()
        .id
        .0
}

pub async fn staff(app: &TestApp) {
    app.login_admin().await;
    app.create_unit("DLHK", "Dinas Lingkungan Hidup dan Kebersihan")
        .await;
    app.create_unit("DISDUKCAPIL", "Dinas Kependudukan dan Pencatatan Sipil")
        .await;
    app.create_user("admin.dlhk", "unit_admin", "DLHK", "admin-dlhk-123")
        .await;
    for u in ["petugas.satu", "petugas.dua", "petugas.tiga"] {
        app.create_user(u, "officer", "DLHK", "petugas-dlhk-123")
            .await;
    }
    app.create_user("petugas.capil", "officer", "DISDUKCAPIL", "petugas-capil-1")
        .await;
}

async fn register(app: &TestApp, event: i64, username: &str, unit: &str) -> reqwest::Response {
    let participant = format!(
        "{}:{}",
        user_id(app, username).await,
        unit_id(app, unit).await
    );
    app.post_form(
        &format!("/staf/bimtek/{event}/daftar"),
        &[("participant", &participant)],
    )
    .await
}

async fn code_of(app: &TestApp, event: i64, username: &str) -> String {
    let uid = user_id(app, username).await;
    kotapintar_storage::training::get(&app.store, event)
        .await
        .unwrap()
        .registrations
        .into_iter()
        .find(|r| r.user_id == uid)
        .unwrap()
        .checkin_code
}

async fn check_in(app: &TestApp, event: i64, code: &str) -> (StatusCode, String) {
    let r = app
        .post_form(&format!("/staf/bimtek/{event}/hadir"), &[("code", code)])
        .await;
    let s = r.status();
    (s, r.text().await.unwrap())
}

async fn an_event_from_invitation_to_a_verified_certificate(app: TestApp) {
    staff(&app).await;
    let event = create_event(&app, "Bimtek Kontak Bupati untuk DLHK", "2").await;
    let other = create_event(&app, "Bimtek SIDUMAS", "10").await;
    // registering before the unit is invited is refused
    let r = register(&app, event, "petugas.satu", "DLHK").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("belum diundang"));
    for e in [event, other] {
        let r = app
            .post_form(
                &format!("/staf/bimtek/{e}/undang"),
                &[("unit_code", "DLHK")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let r = app
        .post_form(
            &format!("/staf/bimtek/{event}/undang"),
            &[("unit_code", "DLHK")],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "invited twice"
    );
    let r = app
        .post_form(
            &format!("/staf/bimtek/{event}/materi"),
            &[
                ("title", "Panduan petugas (PDF)"),
                ("url", "https://badungkab.go.id/panduan.pdf"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.logout().await;

    // the unit admin registers their staff, up to the capacity
    app.login("admin.dlhk", "admin-dlhk-123").await;
    for u in ["petugas.satu", "petugas.dua"] {
        assert_eq!(
            register(&app, event, u, "DLHK").await.status(),
            StatusCode::SEE_OTHER
        );
    }
    let r = register(&app, event, "petugas.satu", "DLHK").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Staf ini sudah terdaftar."));
    let r = register(&app, event, "petugas.tiga", "DLHK").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Acara sudah penuh."));
    assert_eq!(
        register(&app, other, "petugas.tiga", "DLHK").await.status(),
        StatusCode::SEE_OTHER
    );
    let regs = kotapintar_storage::entity::training_registration::Entity::find()
        .count(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(regs, 3, "nothing recorded twice, nobody over capacity");
    app.logout().await;

    // the trainer checks people in at the venue, by typed code
    app.login_admin().await;
    let satu = code_of(&app, event, "petugas.satu").await;
    let dua = code_of(&app, event, "petugas.dua").await;
    let tiga = code_of(&app, other, "petugas.tiga").await;
    let (s, html) = check_in(&app, event, &satu.to_lowercase().replace('-', " ")).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("Tercatat hadir") && html.contains("Test User"));
    let (s, html) = check_in(&app, event, &satu).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Kode hadir ini sudah dipakai"));
    let (s, html) = check_in(&app, event, &tiga).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Kode hadir ini untuk acara lain."));
    assert!(
        html.contains(&format!("value=\"{tiga}\"")),
        "the typed code is kept"
    );
    let (s, html) = check_in(&app, event, "ZZZZ-ZZZZ").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Kode hadir ini tidak dikenal."));
    let (s, _) = check_in(&app, event, &dua).await;
    assert_eq!(s, StatusCode::OK);
    let d = kotapintar_storage::training::get(&app.store, event)
        .await
        .unwrap();
    assert_eq!(d.event.attended, 2);
    let certs: Vec<String> = d
        .registrations
        .iter()
        .filter_map(|r| r.certificate_code.clone())
        .collect();
    assert_eq!(certs.len(), 2);
    let tiga_reg = kotapintar_storage::training::get(&app.store, other)
        .await
        .unwrap();
    assert!(
        tiga_reg.registrations[0].checked_in_at.is_none(),
        "the other event's code stayed unused"
    );
    app.logout().await;

    // the participant sees it, evaluates once, and gets the certificate
    app.login("petugas.satu", "petugas-dlhk-123").await;
    let (_, html) = app.get_html("/staf/bimtek").await;
    assert!(html.contains("Anda tercatat hadir"));
    let uid = user_id(&app, "petugas.satu").await;
    let reg = d.registrations.iter().find(|r| r.user_id == uid).unwrap();
    let cert = reg.certificate_code.clone().unwrap();
    assert!(html.contains(&cert));
    let path = format!("/staf/bimtek/pendaftaran/{}/evaluasi", reg.id);
    let r = app
        .post_form(&path, &[("content", "5"), ("trainer", "9")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Pilih nilai 1 sampai 5.") && html.contains("Wajib diisi."));
    let ok = [
        ("content", "5"),
        ("trainer", "4"),
        ("usefulness", "5"),
        ("comment", "Sangat membantu"),
    ];
    assert_eq!(
        app.post_form(&path, &ok).await.status(),
        StatusCode::SEE_OTHER
    );
    let r = app.post_form(&path, &ok).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Evaluasi sudah diisi."));
    // someone else's registration is not theirs to evaluate
    let other_reg = d.registrations.iter().find(|r| r.user_id != uid).unwrap();
    let r = app
        .post_form(
            &format!("/staf/bimtek/pendaftaran/{}/evaluasi", other_reg.id),
            &ok,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.logout().await;

    // anyone verifies the certificate by its code, typed loosely
    let (s, html) = app
        .get_html(&format!("/sertifikat/{}", cert.to_lowercase()))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Sertifikat ini sah"));
    assert!(
        html.contains("Bimtek Kontak Bupati untuk DLHK") && html.contains("Dinas Lingkungan Hidup")
    );
    let r = app
        .get(&format!("/sertifikat?kode={}", cert.replace('-', "")))
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("/sertifikat/{cert}"));
    let r = app.get("/sertifikat/SRT-2222-3333-4444").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(r.headers()["x-robots-tag"], "noindex");
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Tidak ada sertifikat dengan kode ini."));
    // the certificate itself, as a PDF with its code and where to check it
    let r = app.get(&format!("/sertifikat/{cert}/pdf")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (pages, text) = crate::masterplan::read_pdf(&r.bytes().await.unwrap());
    assert_eq!(pages, 1);
    for t in [
        "SERTIFIKAT",
        "Test User",
        "Bimtek Kontak Bupati untuk DLHK",
        cert.as_str(),
        "/sertifikat/",
    ] {
        assert!(text.contains(t), "certificate says {t}:\n{text}");
    }

    // the recap: who was trained, who still needs it
    app.login("admin.dlhk", "admin-dlhk-123").await;
    let (s, html) = app.get_html("/staf/bimtek/rekap").await;
    assert_eq!(s, StatusCode::OK);
    let doc = scraper::Html::parse_document(&html);
    let row = scraper::Selector::parse("tbody tr").unwrap();
    let rows: Vec<String> = doc
        .select(&row)
        .map(|r| r.text().collect::<String>())
        .collect();
    assert_eq!(rows.len(), 1, "a unit admin sees their own unit: {rows:?}");
    assert!(rows[0].contains("Dinas Lingkungan Hidup"));
    let summary = kotapintar_storage::training::per_unit(&app.store, None)
        .await
        .unwrap();
    let dlhk = summary
        .iter()
        .find(|u| u.unit_name.starts_with("Dinas Lingkungan"))
        .unwrap();
    assert_eq!((dlhk.staff, dlhk.trained), (4, 2));
    assert_eq!(dlhk.untrained.len(), 2, "the unit admin and petugas.tiga");
    // every step audited
    let audited = kotapintar_storage::audit::verify(&app.store).await.unwrap();
    assert!(audited.is_ok());
}

async fn capacity_holds_when_registrations_race(app: TestApp) {
    staff(&app).await;
    let event = create_event(&app, "Bimtek kapasitas satu", "1").await;
    app.post_form(
        &format!("/staf/bimtek/{event}/undang"),
        &[("unit_code", "DLHK")],
    )
    .await;
    let unit = unit_id(&app, "DLHK").await;
    let actor = kotapintar_storage::audit::AuditActor::System("test".into());
    let mut tasks = Vec::new();
    for u in ["petugas.satu", "petugas.dua", "petugas.tiga"] {
        let store = app.store.clone();
        let actor = actor.clone();
        let uid = user_id(&app, u).await;
        tasks.push(tokio::spawn(async move {
            kotapintar_storage::training::register(&store, &actor, event, unit, uid).await
        }));
    }
    let mut ok = 0;
    let mut full = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(kotapintar_storage::StorageError::Invalid(e)) => {
                assert_eq!(e.for_field("user_id"), Some("bimtek.full"));
                full += 1
            }
            Err(e) => panic!("unexpected: {e}"),
        }
    }
    assert_eq!((ok, full), (1, 2));
    let d = kotapintar_storage::training::get(&app.store, event)
        .await
        .unwrap();
    assert_eq!(d.registrations.len(), 1);
    // a checked-in code raced twice is used once
    let code = d.registrations[0].checkin_code.clone();
    let now = chrono::Utc::now();
    let (a, b) = tokio::join!(
        kotapintar_storage::training::check_in(&app.store, &actor, event, &code, now),
        kotapintar_storage::training::check_in(&app.store, &actor, event, &code, now)
    );
    assert_eq!([a.is_ok(), b.is_ok()].iter().filter(|x| **x).count(), 1);
}

async fn who_may_run_and_register(app: TestApp) {
    staff(&app).await;
    let event = create_event(&app, "Bimtek hak akses", "10").await;
    for unit in ["DLHK", "DISDUKCAPIL"] {
        app.post_form(
            &format!("/staf/bimtek/{event}/undang"),
            &[("unit_code", unit)],
        )
        .await;
    }
    app.logout().await;
    app.login("admin.dlhk", "admin-dlhk-123").await;
    assert_eq!(
        app.get("/staf/bimtek/baru").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("/staf/bimtek/{event}/hadir"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // another unit's staff are not theirs to register
    let r = register(&app, event, "petugas.capil", "DISDUKCAPIL").await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // nor can their own unit be claimed for someone outside it
    let r = register(&app, event, "petugas.capil", "DLHK").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("bukan staf aktif"));
    // the event page offers only their own staff
    let (_, html) = app.get_html(&format!("/staf/bimtek/{event}")).await;
    assert!(html.contains("petugas") || html.contains("Test User"));
    let capil = user_id(&app, "petugas.capil").await;
    assert!(!html.contains(&format!("value=\"{capil}:")));
    app.logout().await;
    app.login("petugas.satu", "petugas-dlhk-123").await;
    let r = register(&app, event, "petugas.satu", "DLHK").await;
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "officers do not register"
    );
    assert_eq!(
        app.get("/staf/bimtek/rekap").await.status(),
        StatusCode::FORBIDDEN
    );
    // the public sees no participant list anywhere
    app.logout().await;
    assert_ne!(
        app.get(&format!("/staf/bimtek/{event}")).await.status(),
        StatusCode::OK
    );
}

/// The browser journey: Kominfo runs an event, a unit admin registers two staff, the staff
/// show their codes, the trainer checks them in, and a certificate verifies in public.
mod journey {
    use crate::browser::{body_text, click_and_wait, fill, login, logout, select, submit, Browser};
    use crate::harness::{TestApp, ADMIN_PASSWORD};
    use fantoccini::{Client, Locator};

    both_backends!(a_trainer_runs_an_event_and_a_certificate_verifies);

    async fn set_value(c: &Client, id: &str, value: &str) {
        c.execute(
            "document.getElementById(arguments[0]).value = arguments[1]",
            vec![id.into(), value.into()],
        )
        .await
        .unwrap();
    }

    async fn my_code(c: &Client, app: &TestApp, username: &str) -> String {
        login(c, app, username, "petugas-dlhk-123").await;
        c.goto(&app.url("/staf/bimtek")).await.unwrap();
        assert!(
            c.find(Locator::Css(".qr-box svg[role='img']"))
                .await
                .is_ok(),
            "a QR code"
        );
        let code = c
            .find(Locator::Css("strong.code-big"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        logout(c).await;
        code
    }

    async fn a_trainer_runs_an_event_and_a_certificate_verifies(app: TestApp) {
        super::staff(&app).await;
        app.logout().await;
        let b = Browser::start().await;
        let c = &b.client;
        login(c, &app, "admin", ADMIN_PASSWORD).await;
        click_and_wait(c, Locator::LinkText("Bimtek")).await;
        click_and_wait(c, Locator::LinkText("Tambah acara bimtek")).await;
        fill(c, "f-title", "Bimtek Kontak Bupati angkatan I").await;
        set_value(c, "f-starts_at", &super::local(-5)).await;
        set_value(c, "f-ends_at", &super::local(180)).await;
        fill(c, "f-place", "Ruang Kertha Gosana, Puspem Badung").await;
        fill(c, "f-trainers", "I Made Wirawan (Diskominfo)").await;
        fill(c, "f-capacity", "25").await;
        submit(c).await;
        assert!(body_text(c).await.contains("Acara bimtek tersimpan."));
        let event_url = c.current_url().await.unwrap();
        select(c, "f-unit_code", "DLHK").await;
        click_and_wait(c, Locator::Css("form[action$='/undang'] button")).await;
        assert!(body_text(c).await.contains("Perangkat daerah diundang."));
        logout(c).await;

        // the unit admin registers two of their staff
        login(c, &app, "admin.dlhk", "admin-dlhk-123").await;
        c.goto(event_url.as_str()).await.unwrap();
        let unit = super::unit_id(&app, "DLHK").await;
        for u in ["petugas.satu", "petugas.dua"] {
            let uid = super::user_id(&app, u).await;
            select(c, "f-participant", &format!("{uid}:{unit}")).await;
            click_and_wait(c, Locator::Css("form[action$='/daftar'] button")).await;
            assert!(body_text(c).await.contains("Peserta terdaftar."));
        }
        logout(c).await;

        // each shows their code at the venue; the trainer types it
        let satu = my_code(c, &app, "petugas.satu").await;
        let dua = my_code(c, &app, "petugas.dua").await;
        assert_ne!(satu, dua);
        login(c, &app, "admin", ADMIN_PASSWORD).await;
        c.goto(event_url.as_str()).await.unwrap();
        click_and_wait(c, Locator::LinkText("Presensi peserta")).await;
        for code in [&satu, &dua] {
            fill(c, "f-code", code).await;
            click_and_wait(c, Locator::Css("#checkin-form button")).await;
            let text = body_text(c).await;
            assert!(text.contains("Tercatat hadir"), "{text}");
        }
        fill(c, "f-code", &satu).await;
        click_and_wait(c, Locator::Css("#checkin-form button")).await;
        assert!(body_text(c).await.contains("sudah dipakai"));
        assert!(body_text(c).await.contains("2 / 2 hadir"));
        logout(c).await;

        // the participant finds the certificate; anyone verifies it
        login(c, &app, "petugas.satu", "petugas-dlhk-123").await;
        c.goto(&app.url("/staf/bimtek")).await.unwrap();
        assert!(body_text(c).await.contains("Anda tercatat hadir"));
        let link = c
            .find(Locator::Css("a[href^='/sertifikat/SRT-']"))
            .await
            .unwrap();
        let href = link.attr("href").await.unwrap().unwrap();
        let cert = href.trim_start_matches("/sertifikat/").to_string();
        logout(c).await;
        c.goto(&app.url("/sertifikat")).await.unwrap();
        fill(c, "f-kode", &cert.to_lowercase()).await;
        click_and_wait(c, Locator::Css("form[action='/sertifikat'] button")).await;
        let text = body_text(c).await;
        assert!(text.contains("Sertifikat ini sah"), "{text}");
        assert!(text.contains("Bimtek Kontak Bupati angkatan I") && text.contains(&cert));
        b.stop().await;
    }
}
