//! Area alerts (issue 20): an email subscription to a desa, confirmed by its link (double
//! opt-in), receives a new public request of that desa and not one elsewhere, never a
//! `rahasia` one, and only public text; an unconfirmed subscription receives nothing; every
//! alert carries the link that ends it; the area's Atom feed lists the same requests; an alert
//! job run twice sends one alert; an address follows at most ten areas.

use crate::harness::TestApp;
use kotapintar_storage::entity::{area_subscription, region, request};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use std::time::Duration;

both_backends!(
    an_area_subscription_receives_new_requests_of_its_desa_only,
    an_address_follows_at_most_ten_areas,
);

const DESA: &str = "51.03.01.1002";
const FOLLOWER: &str = "pengikut.kuta@contoh.id";
const UNCONFIRMED: &str = "belum.konfirmasi@contoh.id";

async fn file(
    app: &TestApp,
    title: &str,
    district: &str,
    village: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut fields = vec![
        ("kind", "pengaduan"),
        ("title", title),
        (
            "description",
            "Sampah menumpuk di pinggir jalan sejak seminggu, baunya sampai ke rumah warga.",
        ),
        ("district_code", district),
        ("village_code", village),
        ("name", "Budi Santoso"),
        ("email", "budi.pelapor@contoh.id"),
        ("confirm_new", "1"),
    ];
    fields.extend_from_slice(extra);
    let r = app.file_request(&fields, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{title}");
    TestApp::filed(&r).0
}

fn to(app: &TestApp, address: &str) -> Vec<crate::smtp_sink::ReceivedMail> {
    app.mail
        .messages()
        .into_iter()
        .filter(|m| m.to == vec![address.to_string()])
        .collect()
}

async fn an_area_subscription_receives_new_requests_of_its_desa_only(app: TestApp) {
    app.import_areas().await;
    let (s, form) = app.get_html(&format!("/langganan?wilayah={DESA}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(form.contains(&format!("value=\"{DESA}\" selected")));
    // a bad form names its fields and keeps what was typed
    let r = app
        .post_form(
            "/langganan",
            &[("email", "bukan-alamat"), ("area", "51.71.01")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-email\"") && html.contains("id=\"e-area\""));
    assert!(html.contains("bukan-alamat"));
    for who in [FOLLOWER, UNCONFIRMED] {
        let r = app
            .post_form("/langganan", &[("email", who), ("area", DESA)])
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.text().await.unwrap().contains("id=\"alert-sent\""));
    }
    app.run_jobs().await;
    app.mail.wait_for(2, Duration::from_secs(10)).await;
    let asked = to(&app, FOLLOWER);
    assert_eq!(asked.len(), 1, "one confirmation request");
    let body = asked[0].body();
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/langganan/"))
        .expect("a confirmation link");
    let path = &link[link.find("/langganan/").unwrap()..];
    // opening the link changes nothing (mail scanners open links); the button confirms
    let (s, page) = app.get_html(path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("belum dikonfirmasi"));
    let r = app.post_form(&format!("{path}/konfirmasi"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get_html(path).await;
    assert!(page.contains("Langganan ini aktif"));
    // asking again does not send another confirmation
    app.post_form("/langganan", &[("email", FOLLOWER), ("area", DESA)])
        .await;
    app.run_jobs().await;
    assert_eq!(to(&app, FOLLOWER).len(), 1);

    let here = file(&app, "Sampah di Jalan Kartika Plaza", "51.03.01", DESA, &[]).await;
    let elsewhere = file(&app, "Sampah di pasar Mengwi", "51.03.02", "", &[]).await;
    let secret = file(
        &app,
        "Pungutan liar di kantor desa",
        "51.03.01",
        DESA,
        &[("confidential", "on")],
    )
    .await;
    app.run_jobs().await;
    app.run_jobs().await;
    let mails = app.mail.wait_for(3, Duration::from_secs(10)).await;
    let alerts: Vec<_> = to(&app, FOLLOWER).into_iter().skip(1).collect();
    assert_eq!(
        alerts.len(),
        1,
        "one alert: {:?}",
        mails.iter().map(|m| m.subject()).collect::<Vec<_>>()
    );
    let alert = alerts[0].body();
    assert!(alerts[0]
        .subject()
        .unwrap()
        .contains("Sampah di Jalan Kartika Plaza"));
    assert!(alert.contains(&format!("/laporan/{here}")));
    assert!(!alert.contains(&elsewhere) && !alert.contains(&secret));
    assert!(
        !alert.contains("Budi") && !alert.contains("budi.pelapor"),
        "only public text: {alert}"
    );
    assert!(alert.contains(path), "the unsubscribe link");
    assert_eq!(
        to(&app, UNCONFIRMED).len(),
        1,
        "only its confirmation request"
    );

    // the alert job run again (its worker stopped after queuing the emails, before the job
    // was marked done): no second alert
    let id = request::Entity::find()
        .filter(request::Column::TrackingCode.eq(here.as_str()))
        .one(&app.store.reader)
        .await
        .unwrap()
        .expect("the request")
        .id;
    let again = kotapintar_storage::alerts::fan_out(&app.store, &app.settings.rules, id)
        .await
        .unwrap();
    assert_eq!(again, 0, "nothing queued the second time");
    app.run_jobs().await;
    assert_eq!(to(&app, FOLLOWER).len(), 2, "one alert, even after a retry");

    // the area's feed lists the same public requests
    let (s, feed) = app.get_html(&format!("/wilayah/{DESA}/laporan.atom")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(feed.contains(&here) && !feed.contains(&elsewhere) && !feed.contains(&secret));
    let (_, district_feed) = app.get_html("/wilayah/51.03.02/laporan.atom").await;
    assert!(district_feed.contains(&elsewhere) && !district_feed.contains(&here));
    let (s, _) = app.get_html("/wilayah/51.71.01/laporan.atom").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "not this regency");

    // the link ends it: the address is deleted and nothing more is sent
    let r = app.post_form(&format!("{path}/berhenti"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let left = area_subscription::Entity::find()
        .count(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(left, 1, "only the unconfirmed one is left");
    let (s, _) = app.get_html(path).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    file(&app, "Got mampet di Jalan Legian", "51.03.01", DESA, &[]).await;
    app.run_jobs().await;
    app.run_jobs().await;
    assert_eq!(to(&app, FOLLOWER).len(), 2, "nothing after unsubscribing");
}

async fn an_address_follows_at_most_ten_areas(app: TestApp) {
    app.import_areas().await;
    // eleven kecamatan and desa of the regency
    let areas: Vec<String> = region::Entity::find()
        .filter(region::Column::Code.starts_with("51.03."))
        .order_by_asc(region::Column::Code)
        .limit(11)
        .all(&app.store.reader)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.code)
        .collect();
    assert_eq!(areas.len(), 11);
    let ask = |who: &'static str, area: String| {
        let app = &app;
        async move {
            let r = app
                .post_form("/langganan", &[("email", who), ("area", area.as_str())])
                .await;
            (r.status(), r.text().await.unwrap())
        }
    };
    for area in &areas[..10] {
        let (s, html) = ask(FOLLOWER, area.clone()).await;
        assert_eq!(s, StatusCode::OK, "{area}");
        assert!(html.contains("id=\"alert-sent\""), "{area}");
    }
    // the eleventh is not added; the form answers as always (a stranger typing the address
    // learns nothing of what it follows), and the address's owner is told why by email
    let (s, html) = ask(FOLLOWER, areas[10].clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("id=\"alert-sent\""), "{html}");
    assert!(!html.contains("sudah mengikuti 10 wilayah"), "{html}");
    app.run_jobs().await;
    app.mail.wait_for(11, Duration::from_secs(10)).await;
    let told = to(&app, FOLLOWER);
    assert_eq!(told.len(), 11);
    assert!(
        told.iter()
            .any(|m| m.subject().is_some_and(|s| s.contains("tidak ditambahkan"))),
        "the owner is told"
    );
    // asking again for one it follows still answers as before; another address is not held back
    let (s, _) = ask(FOLLOWER, areas[0].clone()).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = ask(UNCONFIRMED, areas[10].clone()).await;
    assert_eq!(s, StatusCode::OK);
    let rows = area_subscription::Entity::find()
        .filter(area_subscription::Column::Email.eq(FOLLOWER))
        .count(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(rows, 10);
}
