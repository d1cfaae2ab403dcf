//! The CKAN Action API, the defects of issue 18: `datastore_search` paging links that keep
//! every argument, `q` as JSON, `distinct`, `include_total`; `package_search` field queries,
//! date math, `num_resources`, `fl`, bad sorts and facets refused in CKAN's error shape;
//! `tag_show`, `package_autocomplete`, `recently_changed_packages_activity_list`; units'
//! real creation dates.

use crate::harness::TestApp;
use crate::opendata::{ckan, published_markets};
use reqwest::StatusCode;
use serde_json::{json, Value};

both_backends!(
    datastore_search_keeps_arguments_and_reads_json_queries,
    package_search_field_queries_date_math_and_fl,
    bad_sorts_and_facets_are_refused_in_ckans_shape,
    tags_autocomplete_and_recent_activity,
    organizations_carry_their_real_creation_date,
);

/// The published CSV resource's id.
async fn resource_id(app: &TestApp) -> String {
    let (_, v) = ckan(app, "/api/3/action/package_show?id=pasar-tradisional").await;
    v["result"]["resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_string()
}

async fn ok(app: &TestApp, path: &str) -> Value {
    let (s, v) = ckan(app, path).await;
    assert_eq!(s, StatusCode::OK, "{path}: {v}");
    assert_eq!(v["success"], true, "{path}: {v}");
    v["result"].clone()
}

async fn datastore_search_keeps_arguments_and_reads_json_queries(app: TestApp) {
    published_markets(&app).await;
    app.logout().await;
    let rid = resource_id(&app).await;
    // MARKETS: Kuta 2024 3, Mengwi 2024 9, Kuta 2025 4, Mengwi 2025 10, Petang 2025 2
    let filters = enc(r#"{"tahun": "2025"}"#);
    let first = ok(
        &app,
        &format!("/api/3/action/datastore_search?resource_id={rid}&filters={filters}&q=2025&limit=1&fields=kecamatan,jumlah&sort=jumlah%20desc"),
    )
    .await;
    assert_eq!(first["total"], 3, "{first}");
    assert_eq!(
        first["records"],
        json!([{"kecamatan": "Mengwi", "jumlah": 10}])
    );
    // the next link keeps every argument and changes only offset
    let next = first["_links"]["next"].as_str().unwrap().to_string();
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(next.split_once('?').unwrap().1).unwrap();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("{k} missing from {next}"))
    };
    assert_eq!(get("resource_id"), rid);
    assert_eq!(get("filters"), r#"{"tahun": "2025"}"#);
    assert_eq!(get("q"), "2025");
    assert_eq!(get("limit"), "1");
    assert_eq!(get("fields"), "kecamatan,jumlah");
    assert_eq!(get("sort"), "jumlah desc");
    assert_eq!(get("offset"), "1");
    // following it gives the second row of the same query
    let second = ok(&app, &next).await;
    assert_eq!(
        second["records"],
        json!([{"kecamatan": "Kuta", "jumlah": 4}])
    );
    let prev = second["_links"]["prev"].as_str().unwrap();
    assert!(
        prev.contains("offset=0") && prev.contains("sort=jumlah+desc"),
        "{prev}"
    );
    assert_eq!(ok(&app, prev).await["records"], first["records"]);

    // q as a JSON object in a GET query: per column
    let q = enc(r#"{"kecamatan": "kuta"}"#);
    let v = ok(
        &app,
        &format!("/api/3/action/datastore_search?resource_id={rid}&q={q}"),
    )
    .await;
    assert_eq!(v["total"], 2, "{v}");
    let q = enc(r#"{"tahun": "kuta"}"#);
    let v = ok(
        &app,
        &format!("/api/3/action/datastore_search?resource_id={rid}&q={q}"),
    )
    .await;
    assert_eq!(v["total"], 0, "{v}");
    // and in a POSTed body
    let r = app
        .client
        .post(app.url("/api/3/action/datastore_search"))
        .json(&json!({"resource_id": rid, "q": {"kecamatan": "mengwi"}}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["result"]["total"], 2, "{v}");
    let q = enc(r#"{"desa": "kuta"}"#);
    let (s, v) = ckan(
        &app,
        &format!("/api/3/action/datastore_search?resource_id={rid}&q={q}"),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    assert!(v["error"]["q"].is_array(), "{v}");

    // distinct: no row twice
    let v = ok(
        &app,
        &format!("/api/3/action/datastore_search?resource_id={rid}&fields=kecamatan&distinct=true&sort=kecamatan"),
    )
    .await;
    assert_eq!(
        v["records"],
        json!([{"kecamatan": "Kuta"}, {"kecamatan": "Mengwi"}, {"kecamatan": "Petang"}])
    );
    assert_eq!(v["total"], 3);
    let v = ok(
        &app,
        &format!("/api/3/action/datastore_search?resource_id={rid}&fields=kecamatan"),
    )
    .await;
    assert_eq!(v["records"].as_array().unwrap().len(), 5);
    // include_total=false: no total at all
    let v = ok(
        &app,
        &format!("/api/3/action/datastore_search?resource_id={rid}&include_total=false"),
    )
    .await;
    assert!(v.get("total").is_none(), "{v}");
    assert_eq!(v["include_total"], false);
    assert_eq!(v["records"].as_array().unwrap().len(), 5);
    let v = ok(
        &app,
        &format!("/api/3/action/datastore_search?resource_id={rid}"),
    )
    .await;
    assert_eq!(v["total"], 5);
}

/// `package_search` with `q` (and the same as `fq`): the number of matches.
async fn count(app: &TestApp, q: &str) -> i64 {
    let mut n = None;
    for param in ["q", "fq"] {
        let v = ok(
            app,
            &format!("/api/3/action/package_search?{param}={}", enc(q)),
        )
        .await;
        let c = v["count"].as_i64().unwrap();
        assert!(n.is_none_or(|m| m == c), "{q}: q and fq disagree");
        n = Some(c);
    }
    n.unwrap()
}

async fn package_search_field_queries_date_math_and_fl(app: TestApp) {
    published_markets(&app).await;
    app.logout().await;
    // title "Pasar tradisional per kecamatan", notes "Jumlah pasar tradisional."
    for (q, want) in [
        ("title:pasar", 1),
        ("title:Tradisional", 1),
        ("title:\"per kecamatan\"", 1),
        ("title:kesehatan", 0),
        ("notes:jumlah", 1),
        ("notes:anggaran", 0),
        ("text:pasar", 1),
        ("text:perdagangan", 1),
        ("-title:pasar", 0),
        ("name:pasar", 0),
        ("name:pasar-tradisional", 1),
        ("metadata_modified:[NOW-1DAY TO *]", 1),
        ("metadata_modified:[NOW-1DAY TO NOW+1HOUR]", 1),
        ("metadata_modified:[* TO NOW-1DAY]", 0),
        ("metadata_created:[NOW/DAY TO *]", 1),
        ("metadata_created:[NOW/DAY+1DAY TO *]", 0),
        ("metadata_modified:[NOW/YEAR-1YEAR TO NOW/DAY+1DAY]", 1),
        ("num_resources:1", 1),
        ("num_resources:2", 0),
        ("num_resources:[1 TO *]", 1),
        ("num_resources:[2 TO *]", 0),
        ("num_tags:[2 TO 2]", 1),
    ] {
        assert_eq!(count(&app, q).await, want, "{q}");
    }
    // bad date math and undefined fields are errors, never an empty answer
    for q in ["metadata_modified:[NOW-1WEEK TO *]", "judul:pasar"] {
        let (s, v) = ckan(&app, &format!("/api/3/action/package_search?q={}", enc(q))).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {v}");
        assert_eq!(v["success"], false);
        assert_eq!(v["error"]["__type"], "Search Query Error", "{v}");
    }
    // fl: only the named index fields
    let v = ok(&app, "/api/3/action/package_search?fl=id,name").await;
    let r = v["results"][0].as_object().unwrap();
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(r["name"], "pasar-tradisional");
    let (_, pkg) = ckan(&app, "/api/3/action/package_show?id=pasar-tradisional").await;
    assert_eq!(r["id"], pkg["result"]["id"]);
    let r = app
        .client
        .post(app.url("/api/3/action/package_search"))
        .json(&json!({"fl": ["name", "num_resources", "tags"]}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        v["result"]["results"][0],
        json!({"name": "pasar-tradisional", "num_resources": 1, "tags": ["pasar", "perdagangan"]})
    );
    // without fl, the full dicts
    let v = ok(&app, "/api/3/action/package_search").await;
    assert!(v["results"][0]["resources"].is_array());
}

async fn bad_sorts_and_facets_are_refused_in_ckans_shape(app: TestApp) {
    published_markets(&app).await;
    app.logout().await;
    let rid = resource_id(&app).await;
    for (path, field) in [
        (
            "/api/3/action/package_search?sort=name%20sideways".to_string(),
            "sort",
        ),
        (
            "/api/3/action/package_search?sort=name%20desc%20asc".into(),
            "sort",
        ),
        (
            format!("/api/3/action/datastore_search?resource_id={rid}&sort=jumlah%20upward"),
            "sort",
        ),
        (
            "/api/3/action/organization_list?sort=name%20sideways".into(),
            "sort",
        ),
        (
            format!(
                "/api/3/action/package_search?facet.field={}",
                enc(r#"["organization", "colour"]"#)
            ),
            "facet.field",
        ),
        (
            "/api/3/action/package_search?facet.field=nope".into(),
            "facet.field",
        ),
    ] {
        let (s, v) = ckan(&app, &path).await;
        assert_eq!(s, StatusCode::CONFLICT, "{path}: {v}");
        assert_eq!(v["success"], false);
        assert_eq!(v["error"]["__type"], "Validation Error", "{v}");
        let msgs = v["error"][field]
            .as_array()
            .unwrap_or_else(|| panic!("{v}"));
        assert!(msgs[0].is_string(), "{v}");
    }
    // the good ones still work, directions in either case
    let v = ok(
        &app,
        "/api/3/action/package_search?sort=name%20DESC,%20metadata_modified%20asc&facet.field=%5B%22num_resources%22%5D",
    )
    .await;
    assert_eq!(v["count"], 1);
    assert_eq!(v["facets"]["num_resources"]["1"], 1, "{v}");
}

async fn tags_autocomplete_and_recent_activity(app: TestApp) {
    published_markets(&app).await;
    app.logout().await;
    let (_, pkg) = ckan(&app, "/api/3/action/package_show?id=pasar-tradisional").await;
    let pkg = &pkg["result"];

    let tag = ok(&app, "/api/3/action/tag_show?id=pasar").await;
    assert_eq!(tag["name"], "pasar");
    assert_eq!(tag["display_name"], "pasar");
    assert!(tag["vocabulary_id"].is_null());
    assert!(tag.get("packages").is_none());
    let tag = ok(
        &app,
        "/api/3/action/tag_show?id=pasar&include_datasets=true",
    )
    .await;
    assert_eq!(tag["packages"][0]["name"], "pasar-tradisional");
    let (s, v) = ckan(&app, "/api/3/action/tag_show?id=kesehatan").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    assert_eq!(v["error"]["__type"], "Not Found Error");
    let (s, v) = ckan(&app, "/api/3/action/tag_show").await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(v["error"]["id"][0], "Missing value");

    let v = ok(&app, "/api/3/action/package_autocomplete?q=TRADI").await;
    assert_eq!(
        v,
        json!([{"name": "pasar-tradisional", "title": "Pasar tradisional per kecamatan", "match_field": "name", "match_displayed": "pasar-tradisional"}])
    );
    let v = ok(&app, "/api/3/action/package_autocomplete?q=per%20kecamatan").await;
    assert_eq!(v[0]["match_field"], "title");
    assert_eq!(
        v[0]["match_displayed"],
        "Pasar tradisional per kecamatan (pasar-tradisional)"
    );
    assert_eq!(
        ok(&app, "/api/3/action/package_autocomplete?q=kesehatan").await,
        json!([])
    );
    assert_eq!(
        ok(&app, "/api/3/action/package_autocomplete?q=pasar&limit=0").await,
        json!([])
    );

    let v = ok(
        &app,
        "/api/3/action/recently_changed_packages_activity_list",
    )
    .await;
    let a = v.as_array().unwrap();
    assert_eq!(a.len(), 1, "{v}");
    assert_eq!(a[0]["object_id"], pkg["id"]);
    assert_eq!(a[0]["data"]["package"]["name"], "pasar-tradisional");
    assert!(
        ["new package", "changed package"].contains(&a[0]["activity_type"].as_str().unwrap()),
        "{v}"
    );
    assert_eq!(a[0]["timestamp"].as_str().unwrap().len(), 26);
    assert!(a[0]["user_id"].is_null());
    assert_eq!(
        ok(
            &app,
            "/api/3/action/recently_changed_packages_activity_list?offset=1"
        )
        .await,
        json!([])
    );
    for action in [
        "tag_show",
        "package_autocomplete",
        "recently_changed_packages_activity_list",
    ] {
        let help = ok(&app, &format!("/api/3/action/help_show?name={action}")).await;
        assert!(help.is_string());
    }
}

async fn organizations_carry_their_real_creation_date(app: TestApp) {
    published_markets(&app).await;
    // a unit without any dataset too
    app.create_unit("DINKES", "Dinas Kesehatan").await;
    app.logout().await;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let v = ok(
        &app,
        "/api/3/action/organization_list?all_fields=true&limit=100",
    )
    .await;
    let orgs = v.as_array().unwrap();
    assert!(orgs.len() >= 2, "{v}");
    for o in orgs {
        let created = o["created"].as_str().unwrap();
        assert!(!created.starts_with("1970"), "{o}");
    }
    for slug in ["disperindag", "dinkes"] {
        let o = ok(&app, &format!("/api/3/action/organization_show?id={slug}")).await;
        assert!(
            o["created"].as_str().unwrap().starts_with(&today),
            "{slug}: {o}"
        );
    }
}
