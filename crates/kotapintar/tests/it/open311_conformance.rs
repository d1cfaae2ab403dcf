//! Open311 GeoReport v2, the defects of issue 18: `media_url` kept as an outside link, a
//! request without any location refused, `attribute[title]` as the title, `jurisdiction_id`
//! checked, `media_url` on every update (kept when posted with one), and the extended
//! statuses per client.

use crate::harness::TestApp;
use crate::open311::{
    errors, file_over_open311, get, get_json, get_xml, good, post, setup, staff_steps, unit_id,
    update_fields, updates_of,
};
use kotapintar_storage::audit::AuditActor;
use reqwest::StatusCode;
use serde_json::Value;

both_backends!(
    media_url_is_kept_as_an_outside_link_and_returned,
    a_request_without_any_location_is_refused,
    a_title_attribute_becomes_the_title,
    another_jurisdiction_is_not_found,
    updates_carry_media_url_and_statuses_follow_the_client_setting,
    a_posted_update_keeps_its_media_url,
);

const PHOTO: &str = "https://fixmystreet.example/photo/7.full.jpeg?v=2&s=1";

/// How many requests the public list holds (to show nothing was filed).
async fn filed(app: &TestApp) -> usize {
    let (s, v) = get_json(app, "requests.json").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v.as_array().unwrap().len()
}

async fn media_url_is_kept_as_an_outside_link_and_returned(app: TestApp) {
    let key = setup(&app).await;
    let mut fields = good(&key);
    fields.push(("media_url", PHOTO));
    let (s, body) = post(&app, "requests.json", &fields).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let code = v[0]["service_request_id"].as_str().unwrap().to_string();

    // returned in both formats, and among the extension's media_urls
    let (_, v) = get_json(&app, &format!("requests/{code}.json?extensions=true")).await;
    assert_eq!(v[0]["media_url"], PHOTO, "{v}");
    assert_eq!(
        v[0]["extended_attributes"]["media_urls"],
        serde_json::json!([PHOTO])
    );
    let (_, v) = get_json(&app, "requests.json").await;
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|r| r["media_url"] == PHOTO),
        "{v}"
    );
    let (_, x) = get_xml(&app, &format!("requests/{code}.xml"), "service_requests").await;
    assert!(
        x.contains(
            "<media_url>https://fixmystreet.example/photo/7.full.jpeg?v=2&amp;s=1</media_url>"
        ),
        "{x}"
    );
    // shown on the request's page as a plain outside link, never as an image we load
    let (s, page) = app.get_html(&format!("/laporan/{code}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        page.contains(
            r#"<a href="https://fixmystreet.example/photo/7.full.jpeg?v=2&#38;s=1" rel="nofollow noopener ugc""#
        ),
        "{page}"
    );
    assert!(!page.contains(r#"<img src="https://fixmystreet.example"#));
    // staff see it too
    app.login_admin().await;
    let id = app.request_id(&code).await;
    let (_, staff) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert!(staff.contains("rel=\"nofollow noopener ugc\""), "{staff}");
    app.logout().await;

    // anything but a plain http(s) link is refused, naming the field, and nothing is filed
    let before = filed(&app).await;
    let long = format!("https://example.org/{}", "a".repeat(2100));
    for bad in [
        "javascript:alert(1)",
        "ftp://example.org/a.jpg",
        "https://user:secret@example.org/a.jpg",
        "foto.jpg",
        long.as_str(),
    ] {
        let mut fields = good(&key);
        fields.push(("media_url", bad));
        let (s, body) = post(&app, "requests.json", &fields).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}: {body}");
        let e = errors(&body);
        assert!(e.iter().all(|(c, _)| *c == 400), "{body}");
        assert!(
            e.iter().any(|(_, d)| d.starts_with("media_url ")),
            "{bad}: {body}"
        );
    }
    assert_eq!(filed(&app).await, before);
}

async fn a_request_without_any_location_is_refused(app: TestApp) {
    let key = setup(&app).await;
    let before = filed(&app).await;
    let no_location: Vec<(&str, &str)> = good(&key)
        .into_iter()
        .filter(|(k, _)| !matches!(*k, "lat" | "long" | "address_string"))
        .collect();
    for format in ["json", "xml"] {
        let (s, body) = post(&app, &format!("requests.{format}"), &no_location).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        if format == "json" {
            let e = errors(&body);
            assert!(
                e.iter()
                    .any(|(c, d)| *c == 400 && d.contains("lat/long, address_string or address_id")),
                "{body}"
            );
        } else {
            assert!(
                body.contains("<errors><error><code>400</code>")
                    && body.contains("lat/long, address_string or address_id"),
                "{body}"
            );
        }
    }
    // an empty value counts as absent, as the spec says
    let mut empty = no_location.clone();
    empty.extend([("lat", " "), ("long", ""), ("address_string", "")]);
    let (s, body) = post(&app, "requests.json", &empty).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(filed(&app).await, before);
    // any one of them is enough: an address alone, or FixMyStreet's address_id
    for (k, v) in [
        ("address_string", "Jl. Raya Kuta, Badung"),
        ("address_id", "#NOTPINPOINTED#"),
    ] {
        let mut fields = no_location.clone();
        fields.push((k, v));
        let (s, body) = post(&app, "requests.json", &fields).await;
        assert_eq!(s, StatusCode::OK, "{k}: {body}");
    }
    assert_eq!(filed(&app).await, before + 2);
}

async fn a_title_attribute_becomes_the_title(app: TestApp) {
    let key = setup(&app).await;
    let mut fields = good(&key);
    fields.push(("attribute[title]", "Lubang di depan SD 3 Kuta"));
    let (s, body) = post(&app, "requests.json", &fields).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let code = v[0]["service_request_id"].as_str().unwrap().to_string();
    let (_, v) = get_json(&app, &format!("requests/{code}.json?extensions=true")).await;
    assert_eq!(
        v[0]["extended_attributes"]["title"], "Lubang di depan SD 3 Kuta",
        "{v}"
    );
    let (_, page) = app.get_html(&format!("/laporan/{code}")).await;
    assert!(page.contains("Lubang di depan SD 3 Kuta"));
    // without it, the description's first line, as before
    let (_, body) = post(&app, "requests.json", &good(&key)).await;
    let v: Value = serde_json::from_str(&body).unwrap();
    let other = v[0]["service_request_id"].as_str().unwrap().to_string();
    let (_, v) = get_json(&app, &format!("requests/{other}.json?extensions=true")).await;
    assert_eq!(
        v[0]["extended_attributes"]["title"],
        "Lubang besar di tengah jalan"
    );
    // a title too long is the attribute's error, not the description's
    let long = "x".repeat(200);
    let mut fields = good(&key);
    fields.push(("attribute[title]", long.as_str()));
    let (s, body) = post(&app, "requests.json", &fields).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        errors(&body)
            .iter()
            .any(|(_, d)| d == "attribute[title] is too long"),
        "{body}"
    );
}

async fn another_jurisdiction_is_not_found(app: TestApp) {
    let key = setup(&app).await;
    let code = file_over_open311(&app, &key).await;
    // ours, in the Kemendagri and the BPS form
    for ours in ["51.03", "5103"] {
        for path in [
            format!("services.json?jurisdiction_id={ours}"),
            format!("services/jalan-rusak.json?jurisdiction_id={ours}"),
            format!("requests.json?jurisdiction_id={ours}"),
            format!("requests/{code}.json?jurisdiction_id={ours}"),
            format!("tokens/{code}.json?jurisdiction_id={ours}"),
            format!("servicerequestupdates.json?jurisdiction_id={ours}"),
        ] {
            let (s, _, body) = get(&app, &path).await;
            assert_eq!(s, StatusCode::OK, "{path}: {body}");
        }
    }
    // another regency (Bandung, 32.04): 404 in the spec's error format, everywhere
    for path in [
        "services.json?jurisdiction_id=32.04".to_string(),
        "services/jalan-rusak.json?jurisdiction_id=32.04".into(),
        "requests.json?jurisdiction_id=32.04".into(),
        format!("requests/{code}.json?jurisdiction_id=32.04"),
        format!("tokens/{code}.json?jurisdiction_id=32.04"),
        "servicerequestupdates.json?jurisdiction_id=bandungkab.go.id".into(),
    ] {
        let (s, _, body) = get(&app, &path).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {body}");
        let e = errors(&body);
        assert_eq!(e[0].0, 404, "{body}");
        assert!(e[0].1.contains("jurisdiction_id"), "{body}");
    }
    let (s, x) = get_xml(&app, "services.xml?jurisdiction_id=32.04", "errors").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{x}");
    // a POST to another jurisdiction files nothing
    let before = filed(&app).await;
    let mut fields = good(&key);
    fields.push(("jurisdiction_id", "32.04"));
    let (s, body) = post(&app, "requests.json", &fields).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(filed(&app).await, before);
    let mut fields = good(&key);
    fields.push(("jurisdiction_id", "51.03"));
    let (s, body) = post(&app, "requests.json", &fields).await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

async fn updates_carry_media_url_and_statuses_follow_the_client_setting(app: TestApp) {
    let key = setup(&app).await;
    let extended = kotapintar_storage::clients::create(
        &app.store,
        &AuditActor::System("test".into()),
        "FixMyStreet (extended statuses)",
        "DPUPR",
        "open311:write open311:extended",
        600,
    )
    .await
    .unwrap()
    .token;
    let code = file_over_open311(&app, &key).await;
    // rejected: closed, but never "fixed"
    staff_steps(
        &app,
        &code,
        &[&[
            ("action", "reject"),
            ("reason", "outside_authority"),
            ("note", "Jalan nasional, bukan kewenangan kabupaten."),
        ]],
    )
    .await;

    // no key: the spec's statuses; every update carries media_url (empty: no photo)
    let plain = updates_of(&app, "", &code).await;
    let last = plain.last().unwrap();
    assert_eq!(last["status"], "closed", "{plain:?}");
    assert!(
        last.as_object().unwrap().contains_key("media_url"),
        "{last}"
    );
    let (_, x) = get_xml(&app, "servicerequestupdates.xml", "service_request_updates").await;
    assert!(x.contains("<media_url/>"), "{x}");
    // a client without the setting: the same
    let with_key = updates_of(&app, &format!("?api_key={key}"), &code).await;
    assert_eq!(with_key.last().unwrap()["status"], "closed");
    // a client with it: mySociety's extended statuses, without extensions=true
    let ext = updates_of(&app, &format!("?api_key={extended}"), &code).await;
    assert_eq!(
        ext.last().unwrap()["status"],
        "NO_FURTHER_ACTION",
        "{ext:?}"
    );
    assert!(ext.last().unwrap().get("external_status_code").is_none());
    let (_, v) = get_json(&app, &format!("requests/{code}.json?api_key={extended}")).await;
    assert_eq!(v[0]["status"], "NO_FURTHER_ACTION", "{v}");
    let (_, v) = get_json(&app, &format!("requests/{code}.json?api_key={key}")).await;
    assert_eq!(v[0]["status"], "closed", "{v}");
    let (_, v) = get_json(&app, &format!("requests.json?api_key={extended}")).await;
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .any(|r| r["service_request_id"] == code.as_str() && r["status"] == "NO_FURTHER_ACTION"),
        "{v}"
    );
    // a key that is not valid is refused, not silently read as no key
    let (s, _, body) = get(&app, "servicerequestupdates.json?api_key=kp_1_nope").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    assert!(errors(&body)[0].1.contains("api_key"), "{body}");
}

async fn a_posted_update_keeps_its_media_url(app: TestApp) {
    let key = setup(&app).await;
    let code = file_over_open311(&app, &key).await;
    let dpupr = unit_id(&app, "DPUPR").await;
    staff_steps(&app, &code, &[&[("action", "dispatch"), ("units", &dpupr)]]).await;
    // a bad link refuses the whole update: nothing applied
    let mut fields = update_fields(
        &key,
        &code,
        "fms-photo-0",
        "IN_PROGRESS",
        "Tim menuju lokasi.",
    );
    fields.push(("media_url", "javascript:alert(1)"));
    let (s, body) = post(&app, "servicerequestupdates.json", &fields).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
    assert!(errors(&body)[0].1.starts_with("media_url "), "{body}");
    let (_, v) = get_json(&app, &format!("requests/{code}.json?extensions=true")).await;
    assert_eq!(
        v[0]["extended_attributes"]["detailed_status"], "didisposisikan",
        "{v}"
    );

    let link = "https://fixmystreet.example/photo/u/9.jpeg";
    let mut fields = update_fields(
        &key,
        &code,
        "fms-photo-1",
        "IN_PROGRESS",
        "Tim menuju lokasi.",
    );
    fields.push(("media_url", link));
    let (s, body) = post(&app, "servicerequestupdates.json", &fields).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let update_id = v[0]["update_id"].as_str().unwrap().to_string();
    let updates = updates_of(&app, "", &code).await;
    let mine = updates
        .iter()
        .find(|u| u["update_id"] == update_id.as_str())
        .unwrap_or_else(|| panic!("{update_id} not in {updates:?}"));
    assert_eq!(mine["media_url"], link, "{mine}");
    assert_eq!(mine["status"], "open");
    // the other updates carry the element, empty
    assert!(updates
        .iter()
        .filter(|u| u["update_id"] != update_id.as_str())
        .all(|u| u["media_url"].is_null()));
    let (_, x) = get_xml(&app, "servicerequestupdates.xml", "service_request_updates").await;
    assert!(x.contains(&format!("<media_url>{link}</media_url>")), "{x}");
    // shown on the request's page, in its timeline, as a plain outside link
    let (_, page) = app.get_html(&format!("/laporan/{code}")).await;
    assert!(
        page.contains(&format!(r#"<a href="{link}" rel="nofollow noopener ugc""#)),
        "{page}"
    );
    // the same update_id again is answered without applying twice
    let (s, again) = post(&app, "servicerequestupdates.json", &fields).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(updates_of(&app, "", &code).await.len(), updates.len());
}
