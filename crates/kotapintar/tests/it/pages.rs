//! Public pages, health checks, languages, and what every response carries.

use crate::harness::TestApp;
use reqwest::StatusCode;

both_backends!(
    health_and_readiness,
    readiness_fails_when_the_database_is_gone,
    home_shows_the_regency_and_its_areas,
    english_on_every_page,
    security_headers_and_request_id,
    unknown_page_is_404,
    assets_are_embedded,
);

async fn health_and_readiness(app: TestApp) {
    let (s, body) = app.get_html("/healthz").await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "ok"));
    let (s, body) = app.get_html("/readyz").await;
    assert_eq!((s, body.as_str()), (StatusCode::OK, "ready"));
}

async fn readiness_fails_when_the_database_is_gone(app: TestApp) {
    app.store.reader.clone().close().await.expect("close pool");
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    // liveness does not depend on the database
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
}

async fn home_shows_the_regency_and_its_areas(app: TestApp) {
    let (_, before) = app.get_html("/").await;
    assert!(
        before.contains("kotapintar areas import"),
        "tells how to import areas"
    );
    app.import_areas().await;
    let (s, html) = app.get_html("/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Kabupaten Badung"));
    for kecamatan in [
        "Kuta",
        "Mengwi",
        "Abiansemal",
        "Petang",
        "Kuta Selatan",
        "Kuta Utara",
    ] {
        assert!(
            html.contains(&format!("<th scope=\"row\">{kecamatan}</th>")),
            "{kecamatan}"
        );
    }
    // Mengwi has 20 desa/kelurahan
    assert!(html.contains("<th scope=\"row\">Mengwi</th><td class=\"num\">20</td>"));
    assert!(html.contains("ODbL"), "area data attribution in the footer");
    assert!(html.contains("<html lang=\"id\">"));
}

async fn english_on_every_page(app: TestApp) {
    let r = app.get("/bahasa/en?next=/login").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(crate::harness::location(&r), "/login");
    let (_, html) = app.get_html("/login").await;
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Log in to the staff area"));
    assert!(
        html.contains("href=\"/bahasa/id?next=/login\""),
        "a way back to Indonesian"
    );
    // a redirect target elsewhere is refused
    let r = app.get("/bahasa/id?next=//evil.example/").await;
    assert_eq!(crate::harness::location(&r), "/");
    // the browser's preference counts when no choice was made
    let (c, _) = app.new_visitor();
    let html = c
        .get(app.url("/"))
        .header("accept-language", "en-US,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("One door to public services"));
}

async fn security_headers_and_request_id(app: TestApp) {
    let r = app.get("/").await;
    let h = r.headers();
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["x-frame-options"], "DENY");
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'self'"));
    assert_eq!(h["x-request-id"].to_str().unwrap().len(), 36);
    let csrf = h
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("kp_csrf="))
        .expect("csrf cookie on first visit");
    assert!(
        csrf.contains("HttpOnly") && csrf.contains("SameSite=Strict"),
        "{csrf}"
    );
}

async fn unknown_page_is_404(app: TestApp) {
    let (s, html) = app.get_html("/tidak-ada").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(html.contains("Halaman tidak ditemukan"));
    assert!(html.contains("Page not found"));
}

async fn assets_are_embedded(app: TestApp) {
    for (path, ty) in [
        ("/assets/app.css", "text/css"),
        ("/assets/app.js", "text/javascript"),
        ("/assets/icon.svg", "image/svg+xml"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(ty));
    }
    // no page refers to anything off the site
    let (_, html) = app.get_html("/").await;
    for needle in ["src=\"http", "href=\"//", "cdn"] {
        assert!(!html.contains(needle), "{needle}");
    }
}
