//! Logging in and out, sessions, lock-out and CSRF.

use crate::harness::{cookie_of, location, TestApp, ADMIN_PASSWORD};
use reqwest::StatusCode;

both_backends!(
    staff_area_needs_login_and_returns_there,
    wrong_password_keeps_the_username_and_says_why,
    lockout_after_five_failures,
    logout_ends_the_session_on_the_server,
    forms_without_the_csrf_token_are_refused,
    disabled_account_loses_its_session,
    session_cookie_is_http_only,
);

async fn staff_area_needs_login_and_returns_there(app: TestApp) {
    let r = app.get("/staf/unit").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/login?next=%2Fstaf%2Funit");
    let (_, html) = app.get_html("/login?next=%2Fstaf%2Funit").await;
    assert!(html.contains("name=\"next\" value=\"/staf/unit\""));
    let r = app
        .post_form(
            "/login",
            &[
                ("username", "admin"),
                ("password", ADMIN_PASSWORD),
                ("next", "/staf/unit"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/staf/unit");
    let (s, html) = app.get_html("/staf/unit").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Tambah perangkat daerah"));
}

async fn wrong_password_keeps_the_username_and_says_why(app: TestApp) {
    let r = app.login("Admin", "salah-sekali").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Nama pengguna atau kata sandi salah."));
    assert!(html.contains("value=\"Admin\""), "typed username kept");
    assert!(!html.contains("salah-sekali"), "password never echoed");
    // an unknown user gets the very same answer
    let html = app
        .login("tidak-ada", "apa-saja-123")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Nama pengguna atau kata sandi salah."));
    // and the right password still works (four failures are below the limit)
    assert_eq!(
        app.login("admin", ADMIN_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
}

async fn lockout_after_five_failures(app: TestApp) {
    for _ in 0..4 {
        let html = app
            .login("admin", "bukan-ini-123")
            .await
            .text()
            .await
            .unwrap();
        assert!(html.contains("kata sandi salah"));
    }
    let r = app.login("admin", "bukan-ini-123").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "fifth failure");
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Terlalu banyak percobaan masuk yang gagal"));
    let r = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    assert!(r.text().await.unwrap().contains("Terlalu banyak percobaan"));
    let entries = kotapintar_storage::audit::recent(&app.store, None, 50)
        .await
        .unwrap();
    assert!(
        entries.iter().any(|e| e.action == "login.throttled"),
        "the throttle is audited"
    );
}

async fn logout_ends_the_session_on_the_server(app: TestApp) {
    app.login_admin().await;
    let token = app.cookie("kp_session").expect("session cookie");
    assert_eq!(app.get("/staf").await.status(), StatusCode::OK);
    let r = app.logout().await;
    assert_eq!(location(&r), "/login?ok=logged_out");
    // replaying the old cookie from another client gets nowhere
    let (c, _) = app.new_visitor();
    let r = c
        .get(app.url("/staf"))
        .header("cookie", format!("kp_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/login"));
}

async fn forms_without_the_csrf_token_are_refused(app: TestApp) {
    app.login_admin().await;
    let r = app
        .client
        .post(app.url("/staf/unit/baru"))
        .form(&[
            ("code", "DISHUB"),
            ("name", "Dinas Perhubungan"),
            ("kind", "dinas"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .client
        .post(app.url("/staf/unit/baru"))
        .form(&[
            ("_csrf", "0".repeat(64).as_str()),
            ("code", "DISHUB"),
            ("name", "Dinas Perhubungan"),
            ("kind", "dinas"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        kotapintar_storage::units::find_by_code(&app.store.reader, "DISHUB")
            .await
            .unwrap()
            .is_none()
    );
    // login itself is protected too
    let (c, jar) = app.new_visitor();
    c.get(app.url("/login")).send().await.unwrap();
    assert!(cookie_of(&jar, &app.base, "kp_csrf").is_some());
    let r = c
        .post(app.url("/login"))
        .form(&[("username", "admin"), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn disabled_account_loses_its_session(app: TestApp) {
    app.login_admin().await;
    app.create_unit("DLHK", "Dinas Lingkungan Hidup dan Kebersihan")
        .await;
    app.create_user("petugas.dlhk", "officer", "DLHK", "petugas-password")
        .await;
    let (c, jar) = app.new_visitor();
    c.get(app.url("/login")).send().await.unwrap();
    let token = cookie_of(&jar, &app.base, "kp_csrf").unwrap();
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("_csrf", token.as_str()),
            ("username", "petugas.dlhk"),
            ("password", "petugas-password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        c.get(app.url("/staf")).send().await.unwrap().status(),
        StatusCode::OK
    );
    let username = kotapintar_domain::user::Username::parse("petugas.dlhk").unwrap();
    kotapintar_storage::users::disable(
        &app.store,
        &kotapintar_storage::audit::AuditActor::System("test".into()),
        &username,
    )
    .await
    .unwrap();
    assert_eq!(
        c.get(app.url("/staf")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    // the login renewed the CSRF token
    let token = cookie_of(&jar, &app.base, "kp_csrf").unwrap();
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("_csrf", token.as_str()),
            ("username", "petugas.dlhk"),
            ("password", "petugas-password"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("Akun ini dinonaktifkan"));
}

async fn session_cookie_is_http_only(app: TestApp) {
    let r = app.login("admin", ADMIN_PASSWORD).await;
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("kp_session="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    // not Secure on plain-http localhost; `public_url = "https://..."` turns it on
    assert!(!cookie.contains("Secure"));
    let stored: Vec<_> = kotapintar_storage::audit::recent(&app.store, None, 10)
        .await
        .unwrap();
    assert!(stored.iter().any(|e| e.action == "session.login"));
}
