//! Managing staff accounts and roles.

use crate::harness::TestApp;
use reqwest::StatusCode;

both_backends!(
    admin_creates_a_user_who_can_log_in,
    duplicate_username_and_weak_password_are_field_errors,
    unit_admin_staffs_only_their_own_unit,
    admin_cannot_demote_themselves,
    editing_without_a_password_keeps_it,
);

async fn admin_creates_a_user_who_can_log_in(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DLHK", "Dinas Lingkungan Hidup dan Kebersihan")
        .await;
    app.create_user("Made.Sudarma", "unit_admin", "dlhk", "sudarma-password")
        .await;
    let (_, html) = app.get_html("/staf/pengguna").await;
    assert!(html.contains("made.sudarma"), "username normalised");
    assert!(html.contains("Admin unit"));
    assert!(html.contains("Dinas Lingkungan Hidup dan Kebersihan"));
    app.logout().await;
    assert_eq!(
        app.login("made.sudarma", "sudarma-password").await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, html) = app.get_html("/staf").await;
    assert!(html.contains("Test User"));
    let entries = kotapintar_storage::audit::recent(&app.store, Some(("user", "2")), 10)
        .await
        .unwrap();
    let created = entries
        .iter()
        .find(|e| e.action == "user.create")
        .expect("audited");
    let after = created.after.as_deref().unwrap();
    assert!(after.contains("made.sudarma"));
    assert!(
        !after.contains("argon2"),
        "no password hash in the audit log"
    );
}

async fn duplicate_username_and_weak_password_are_field_errors(app: TestApp) {
    app.login_admin().await;
    let r = app
        .post_form(
            "/staf/pengguna/baru",
            &[
                ("username", "admin"),
                ("full_name", "Lain"),
                ("role", "leader"),
                ("password", "pendek"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Kata sandi minimal 10 karakter."));
    assert!(html.contains("value=\"Lain\""));
    assert!(!html.contains("value=\"pendek\""), "password not sent back");
    let r = app
        .post_form(
            "/staf/pengguna/baru",
            &[
                ("username", "ADMIN"),
                ("full_name", "Lain"),
                ("role", "leader"),
                ("password", "cukup-panjang-1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Nama pengguna ini sudah dipakai."));
    let r = app
        .post_form(
            "/staf/pengguna/baru",
            &[
                ("username", "petugas"),
                ("full_name", "Petugas"),
                ("role", "officer"),
                ("unit_code", "TIDAKADA"),
                ("password", "cukup-panjang-1"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Perangkat daerah dengan kode ini tidak ada."));
    assert_eq!(
        kotapintar_storage::users::list(&app.store, None)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn unit_admin_staffs_only_their_own_unit(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DLHK", "Dinas Lingkungan Hidup dan Kebersihan")
        .await;
    app.create_unit("DISHUB", "Dinas Perhubungan").await;
    app.create_user("admin.dlhk", "unit_admin", "DLHK", "admin-dlhk-pass")
        .await;
    app.create_user("petugas.dishub", "officer", "DISHUB", "petugas-dishub")
        .await;
    app.logout().await;
    app.login("admin.dlhk", "admin-dlhk-pass").await;
    app.create_user("petugas.dlhk", "officer", "DLHK", "petugas-dlhk-1")
        .await;
    let (_, html) = app.get_html("/staf/pengguna").await;
    assert!(html.contains("petugas.dlhk"));
    assert!(
        !html.contains("petugas.dishub"),
        "other units' staff are not listed"
    );
    for (role, unit) in [("officer", "DISHUB"), ("verifier", "DLHK"), ("admin", "")] {
        let r = app
            .post_form(
                "/staf/pengguna/baru",
                &[
                    ("username", "x.y"),
                    ("full_name", "X"),
                    ("role", role),
                    ("unit_code", unit),
                    ("password", "cukup-panjang-1"),
                ],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{role} in {unit}"
        );
        assert!(
            r.text().await.unwrap().contains("tidak berwenang"),
            "{role}"
        );
    }
    let other = kotapintar_storage::users::list(&app.store, None)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username.as_str() == "petugas.dishub")
        .unwrap();
    assert_eq!(
        app.get(&format!("/staf/pengguna/{}", other.id))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}

async fn admin_cannot_demote_themselves(app: TestApp) {
    app.login_admin().await;
    let r = app
        .post_form(
            "/staf/pengguna/1",
            &[
                ("username", "admin"),
                ("full_name", "Administrator"),
                ("role", "leader"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("tidak dapat mencabut"));
    assert_eq!(
        kotapintar_storage::users::count_admins(&app.store)
            .await
            .unwrap(),
        1
    );
}

async fn editing_without_a_password_keeps_it(app: TestApp) {
    app.login_admin().await;
    app.create_user("sekda", "leader", "", "sekda-password-1")
        .await;
    let user = kotapintar_storage::users::list(&app.store, None)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username.as_str() == "sekda")
        .unwrap();
    let r = app
        .post_form(
            &format!("/staf/pengguna/{}", user.id),
            &[
                ("username", "sekda"),
                ("full_name", "Sekretaris Daerah"),
                ("role", "leader"),
                ("password", ""),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.logout().await;
    assert_eq!(
        app.login("sekda", "sekda-password-1").await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, html) = app.get_html("/staf").await;
    assert!(html.contains("Sekretaris Daerah"));
}
