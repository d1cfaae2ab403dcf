//! Managing units (perangkat daerah) through the staff pages.

use crate::harness::{location, TestApp};
use reqwest::StatusCode;

both_backends!(
    admin_creates_and_edits_a_unit,
    bad_unit_input_names_each_field_and_keeps_what_was_typed,
    duplicate_code_is_a_field_error_and_nothing_changes,
    parent_must_exist_and_not_loop,
    only_admins_manage_units,
);

async fn admin_creates_and_edits_a_unit(app: TestApp) {
    app.login_admin().await;
    let r = app
        .post_form(
            "/staf/unit/baru",
            &[
                ("code", "diskominfo"),
                ("name", "Dinas Komunikasi dan Informatika"),
                ("kind", "dinas"),
                ("head_name", "Kepala Dinas"),
                ("phone", "0361 123456"),
                ("email", "Kominfo@Badungkab.go.id"),
                ("website", "https://kominfo.badungkab.go.id"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/staf/unit?ok=unit_saved");
    let (_, html) = app.get_html("/staf/unit?ok=unit_saved").await;
    assert!(html.contains("Perangkat daerah tersimpan."));
    assert!(
        html.contains("<code>DISKOMINFO</code>"),
        "code normalised to upper case"
    );
    let unit = kotapintar_storage::units::find_by_code(&app.store.reader, "DISKOMINFO")
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(unit.email.as_deref(), Some("kominfo@badungkab.go.id"));
    assert_eq!(unit.slug, "diskominfo");

    let (s, form) = app.get_html(&format!("/staf/unit/{}", unit.id)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(form.contains("value=\"Dinas Komunikasi dan Informatika\""));
    let r = app
        .post_form(
            &format!("/staf/unit/{}", unit.id),
            &[
                ("code", "DISKOMINFO"),
                ("name", "Dinas Kominfo"),
                ("kind", "dinas"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let unit = kotapintar_storage::units::get(&app.store, unit.id)
        .await
        .unwrap();
    assert_eq!(unit.name, "Dinas Kominfo");
    assert!(!unit.active, "unchecked box means inactive");
    let log =
        kotapintar_storage::audit::recent(&app.store, Some(("unit", &unit.id.to_string())), 10)
            .await
            .unwrap();
    let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["unit.update", "unit.create"]);
    assert!(log[0]
        .before
        .as_deref()
        .unwrap()
        .contains("Dinas Komunikasi dan Informatika"));
    assert!(log[0].after.as_deref().unwrap().contains("Dinas Kominfo"));
    assert_eq!(log[0].actor, "admin");
}

async fn bad_unit_input_names_each_field_and_keeps_what_was_typed(app: TestApp) {
    app.login_admin().await;
    let r = app
        .post_form(
            "/staf/unit/baru",
            &[
                ("code", "dinas kominfo!"),
                ("name", "Dinas <Kominfo>"),
                ("kind", ""),
                ("email", "bukan-email"),
                ("phone", "12"),
                ("website", "kominfo.go.id"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Ada isian yang perlu diperbaiki"));
    assert!(html.contains("id=\"e-code\""));
    assert!(html.contains("id=\"e-kind\""));
    assert!(html.contains("Alamat email tidak valid"));
    assert!(html.contains("Nomor telepon tidak valid"));
    assert!(html.contains("harus diawali http"));
    assert!(html.contains("aria-invalid=\"true\""));
    // what was typed comes back, escaped
    assert!(html.contains("value=\"dinas kominfo!\""));
    assert!(
        html.contains("value=\"Dinas &#60;Kominfo&#62;\"")
            || html.contains("value=\"Dinas &lt;Kominfo&gt;\""),
        "escaped"
    );
    assert!(!html.contains("Dinas <Kominfo>"));
    assert!(html.contains("value=\"bukan-email\""));
    assert!(kotapintar_storage::units::list(&app.store)
        .await
        .unwrap()
        .is_empty());
}

async fn duplicate_code_is_a_field_error_and_nothing_changes(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DLHK", "Dinas Lingkungan Hidup dan Kebersihan")
        .await;
    let entries_before = kotapintar_storage::audit::recent(&app.store, None, 100)
        .await
        .unwrap()
        .len();
    let r = app
        .post_form(
            "/staf/unit/baru",
            &[("code", "dlhk"), ("name", "Dinas Lain"), ("kind", "dinas")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Kode ini sudah dipakai perangkat daerah lain."));
    assert!(html.contains("value=\"Dinas Lain\""));
    let units = kotapintar_storage::units::list(&app.store).await.unwrap();
    assert_eq!(units.len(), 1);
    assert_eq!(units[0].name, "Dinas Lingkungan Hidup dan Kebersihan");
    let entries_after = kotapintar_storage::audit::recent(&app.store, None, 100)
        .await
        .unwrap()
        .len();
    assert_eq!(
        entries_before, entries_after,
        "a refused change leaves no audit entry"
    );
}

async fn parent_must_exist_and_not_loop(app: TestApp) {
    app.login_admin().await;
    let r = app
        .post_form(
            "/staf/unit/baru",
            &[
                ("code", "HUMAS"),
                ("name", "Bagian Humas"),
                ("kind", "bagian"),
                ("parent_code", "SETDA"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Perangkat daerah dengan kode ini tidak ada."));
    app.create_unit("SETDA", "Sekretariat Daerah").await;
    let r = app
        .post_form(
            "/staf/unit/baru",
            &[
                ("code", "HUMAS"),
                ("name", "Bagian Humas"),
                ("kind", "bagian"),
                ("parent_code", "SETDA"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let setda = kotapintar_storage::units::find_by_code(&app.store.reader, "SETDA")
        .await
        .unwrap()
        .unwrap();
    let r = app
        .post_form(
            &format!("/staf/unit/{}", setda.id),
            &[
                ("code", "SETDA"),
                ("name", "Sekretariat Daerah"),
                ("kind", "other"),
                ("parent_code", "HUMAS"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("lingkaran"));
}

async fn only_admins_manage_units(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DLHK", "Dinas Lingkungan Hidup dan Kebersihan")
        .await;
    app.create_user("petugas.dlhk", "officer", "DLHK", "petugas-password")
        .await;
    app.logout().await;
    let r = app.login("petugas.dlhk", "petugas-password").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, html) = app.get_html("/staf/unit").await;
    assert_eq!(s, StatusCode::OK, "officers may read the list");
    assert!(!html.contains("/staf/unit/baru"));
    assert_eq!(
        app.get("/staf/unit/baru").await.status(),
        StatusCode::FORBIDDEN
    );
    let r = app
        .post_form(
            "/staf/unit/baru",
            &[("code", "X1"), ("name", "X"), ("kind", "dinas")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/staf/pengguna").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(app.get("/staf/audit").await.status(), StatusCode::FORBIDDEN);
}
