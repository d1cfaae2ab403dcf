//! Reports on a phone without a connection (issue 19): the request form's map, drafts kept in
//! the browser while offline and sent when the connection returns, and the form key that
//! makes a draft sent twice file one request.

use crate::browser::{body_text, click, fill, Browser};
use crate::harness::TestApp;
use axum::http::StatusCode;
use fantoccini::{Client, Locator};
use kotapintar_storage::entity::{request, request_photo};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use std::time::Duration;

both_backends!(
    a_report_filed_offline_by_tapping_the_map_arrives_once_with_its_point_and_photo,
    a_form_sent_twice_with_one_key_files_one_request,
    a_malformed_form_key_is_refused_and_keeps_what_was_typed,
);

/// A DevTools command, through chromedriver's `goog/cdp/execute`: the network emulation
/// DevTools' own "Offline" switch uses.
#[derive(Debug)]
struct Cdp(serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &reqwest::Url,
        session_id: Option<&str>,
    ) -> Result<reqwest::Url, url_parse::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &reqwest::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(self.0.to_string()))
    }
}

mod url_parse {
    pub use reqwest::Url;
    pub type ParseError = <Url as std::str::FromStr>::Err;
}

async fn network(c: &Client, offline: bool) {
    let cmd = Cdp(serde_json::json!({
        "cmd": "Network.emulateNetworkConditions",
        "params": {
            "offline": offline,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": -1
        }
    }));
    c.issue_cmd(cmd).await.expect("network emulation");
    // the page hears of it (navigator.onLine, the online/offline events)
    for _ in 0..100 {
        let on = c
            .execute("return navigator.onLine", vec![])
            .await
            .expect("onLine");
        if on.as_bool() == Some(!offline) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the page never saw the network go {}",
        if offline { "offline" } else { "online" }
    );
}

async fn value(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("field {id}"))
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default()
}

/// Waits until `script` returns true in the page.
async fn wait_until(c: &Client, script: &str, what: &str) {
    for _ in 0..300 {
        let v = c.execute(script, vec![]).await.unwrap_or_default();
        if v.as_bool() == Some(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{what}: never happened; the page shows:\n{}",
        body_text(c).await
    );
}

async fn filed_titled(app: &TestApp, title: &str) -> Vec<request::Model> {
    request::Entity::find()
        .filter(request::Column::Title.eq(title))
        .all(&app.store.reader)
        .await
        .unwrap()
}

async fn a_report_filed_offline_by_tapping_the_map_arrives_once_with_its_point_and_photo(
    app: TestApp,
) {
    app.import_areas().await;
    let title = "Lampu jalan padam di Jalan Raya Kerobokan";
    let photo = tempfile::Builder::new().suffix(".jpg").tempfile().unwrap();
    std::fs::write(photo.path(), crate::harness::jpeg_with_gps(160, 120)).unwrap();

    let b = Browser::phone().await;
    let c = &b.client;
    c.goto(&app.url("/lapor")).await.unwrap();
    // the map appears only with JavaScript, after the fields it stands in for
    wait_until(
        c,
        "var w = document.getElementById('pick-map-wrap'); return !!w && !w.hidden && !!document.querySelector('#pick-map .leaflet-tile-container, #pick-map canvas');",
        "the map is drawn",
    )
    .await;
    let width = c
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap();
    assert!(
        width.as_u64().unwrap() <= 390,
        "the page fits the phone: {width}"
    );
    assert_eq!(value(c, "f-latitude").await, "", "no point before the tap");

    click(c, "kind-pengaduan").await;
    fill(c, "f-title", title).await;
    fill(
        c,
        "f-description",
        "Tiga lampu jalan padam sejak seminggu, jalan gelap sekali pada malam hari.",
    )
    .await;
    // a tap on the map sets the point
    c.find(Locator::Id("pick-map"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(
        c,
        "return document.getElementById('f-latitude').value !== '' && !!document.querySelector('#pick-map .map-dot');",
        "the tap sets the point",
    )
    .await;
    let lat: f64 = value(c, "f-latitude").await.parse().unwrap();
    let lon: f64 = value(c, "f-longitude").await.parse().unwrap();
    let badung = kotapintar_domain::intake::BoundingBox::BADUNG;
    assert!(
        badung.contains(lat, lon),
        "the tap lands in Badung: {lat}, {lon}"
    );
    c.find(Locator::Id("f-photo-input"))
        .await
        .unwrap()
        .send_keys(&photo.path().display().to_string())
        .await
        .unwrap();
    let key = value(c, "f-form_key").await;
    assert!(
        key.len() >= 16,
        "the page made a key for the draft: {key:?}"
    );

    // offline: sending keeps the draft in the browser and says it waits
    network(c, true).await;
    c.find(Locator::Css("#lapor-form button.primary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_until(
        c,
        "var d = document.getElementById('drafts'); return !!d && !d.hidden && !!document.querySelector('#drafts-list li[data-state=waiting]');",
        "the draft is kept and waits",
    )
    .await;
    let text = body_text(c).await;
    assert!(text.contains("Menunggu koneksi"), "{text}");
    assert_eq!(
        c.current_url().await.unwrap().path(),
        "/lapor",
        "still on the form"
    );
    assert_eq!(
        value(c, "f-title").await,
        "",
        "the form is free for the next one"
    );
    assert_ne!(
        value(c, "f-form_key").await,
        key,
        "the next draft has its own key"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        filed_titled(&app, title).await.is_empty(),
        "nothing filed while offline"
    );

    // online again: the draft goes by itself, and the page gives its follow-up link
    network(c, false).await;
    wait_until(
        c,
        "return !!document.querySelector('#drafts-list li[data-state=sent] a');",
        "the kept draft is sent",
    )
    .await;
    let link = c
        .find(Locator::Css("#drafts-list li[data-state=sent] a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(link.contains("/ikuti/"), "{link}");

    // exactly once, with its point and its photo
    let filed = filed_titled(&app, title).await;
    assert_eq!(filed.len(), 1, "filed exactly once");
    let r = &filed[0];
    assert!((r.latitude.unwrap() - lat).abs() < 1e-6, "{:?}", r.latitude);
    assert!(
        (r.longitude.unwrap() - lon).abs() < 1e-6,
        "{:?}",
        r.longitude
    );
    let photos = request_photo::Entity::find()
        .filter(request_photo::Column::RequestId.eq(r.id))
        .count(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(photos, 1, "with its photo");
    assert!(link.contains(&r.tracking_code));

    // a reload sends nothing again
    c.goto(&app.url("/lapor")).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(filed_titled(&app, title).await.len(), 1, "still once");

    // the public page shows the point on a map, and the photo
    c.goto(&app.url(&format!("/laporan/{}", r.tracking_code)))
        .await
        .unwrap();
    wait_until(
        c,
        "var w = document.getElementById('point-map-wrap'); return !!w && !w.hidden && !!document.querySelector('#point-map .map-dot');",
        "the request's page shows its point",
    )
    .await;
    let point = c
        .find(Locator::Id("point-map"))
        .await
        .unwrap()
        .attr("data-point")
        .await
        .unwrap()
        .unwrap();
    let (plat, plon) = point.split_once(',').unwrap();
    assert!((plat.parse::<f64>().unwrap() - lat).abs() < 1e-5, "{point}");
    assert!((plon.parse::<f64>().unwrap() - lon).abs() < 1e-5, "{point}");
    c.find(Locator::Css(".photos img"))
        .await
        .expect("the photo");
    b.stop().await;
}

fn report(title: &str, key: &str) -> Vec<(&'static str, String)> {
    vec![
        ("kind", "pengaduan".into()),
        ("title", title.into()),
        (
            "description",
            "Saluran air tersumbat sampah, air meluap ke jalan saat hujan.".into(),
        ),
        ("latitude", "-8.6500".into()),
        ("longitude", "115.1700".into()),
        ("confirm_new", "1".into()),
        ("form_key", key.into()),
    ]
}

/// The browser sent a draft, the server filed it, and the answer was lost: the browser sends
/// it again. The second sending finds the first request (its code, in the page and in a
/// header for the page's script) instead of filing another.
async fn a_form_sent_twice_with_one_key_files_one_request(app: TestApp) {
    let title = "Saluran tersumbat di Jalan Gatot Subroto";
    let key = "5f0c8a6e-3b1d-4c2a-9e7f-0a1b2c3d4e5f";
    let fields = report(title, key);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let photo = crate::harness::jpeg_with_gps(80, 60);
    let files = [("photos", "saluran.jpg", photo)];

    let first = app.post_multipart("/lapor", &fields, &files).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let to = first.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("/ikuti/"), "{to}");
    let code = to.split('/').nth(2).unwrap().to_string();

    let again = app.post_multipart("/lapor", &fields, &files).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(
        again.headers()["x-kotapintar-filed"].to_str().unwrap(),
        code
    );
    let page = again.text().await.unwrap();
    assert!(
        page.contains("sudah terkirim") && page.contains(&code),
        "{page}"
    );
    assert!(
        !page.contains("/ikuti/"),
        "the private link is not given again"
    );

    // the same key, as another visitor: still the one request
    let (other, _) = app.new_visitor();
    let form = other
        .get(app.url("/lapor"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = scraper::Html::parse_document(&form)
        .select(&scraper::Selector::parse("input[name=_csrf]").unwrap())
        .next()
        .and_then(|e| e.value().attr("value").map(str::to_string))
        .unwrap();
    let mut multipart = reqwest::multipart::Form::new().text("_csrf", token);
    for (k, v) in &fields {
        multipart = multipart.text(k.to_string(), v.to_string());
    }
    let third = other
        .post(app.url("/lapor"))
        .multipart(multipart)
        .send()
        .await
        .unwrap();
    assert_eq!(third.status(), StatusCode::OK);
    assert_eq!(
        third.headers()["x-kotapintar-filed"].to_str().unwrap(),
        code
    );

    let filed = filed_titled(&app, title).await;
    assert_eq!(filed.len(), 1, "one request for one key");
    let photos = request_photo::Entity::find()
        .filter(request_photo::Column::RequestId.eq(filed[0].id))
        .count(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(
        photos, 1,
        "and one photo: the second sending's was not added"
    );

    // another key is another report
    let fields2 = report(title, "0e9d8c7b-6a5f-4e3d-2c1b-a09f8e7d6c5b");
    let fields2: Vec<(&str, &str)> = fields2.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post_multipart("/lapor", &fields2, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(filed_titled(&app, title).await.len(), 2);
}

async fn a_malformed_form_key_is_refused_and_keeps_what_was_typed(app: TestApp) {
    let title = "Trotoar rusak dekat pasar";
    let fields = report(title, "<script>x</script>");
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = app.post_multipart("/lapor", &fields, &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("Formulir ini tidak dapat dikenali"), "{page}");
    assert!(page.contains(title), "what was typed is kept");
    assert!(!page.contains("<script>x</script>"));
    assert!(filed_titled(&app, title).await.is_empty());
}
