//! Personal data in free text, tried as a hostile outsider would (issue 17): the public
//! keyword filter, the similar-request offer and the search must not be oracles on what a
//! resident typed; correcting or erasing contact data must not bring a masked name back
//! anywhere public; outside parties (events, webhooks) get the masked text; a `rahasia` code
//! answers exactly as an unknown one; editors see no reporter's contact; the public reason
//! of a referral (bukan wewenang) is masked like every public text, and a referred `rahasia`
//! request stays hidden.

use crate::harness::{location, TestApp};
use kotapintar_storage::audit::AuditActor;
use kotapintar_storage::{clients, entity, requests};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

both_backends!(
    the_public_keyword_filter_is_no_oracle,
    correcting_or_erasing_contact_brings_no_name_back,
    outside_parties_get_masked_notes,
    a_rahasia_code_answers_as_an_unknown_code,
    editors_see_no_requests_or_contact_data,
    the_thread_never_reaches_public_output,
    a_referral_reaches_the_public_masked,
    a_merged_case_shows_nothing_personal_of_either_reporter,
);

const NIK: &str = "5103011204850001";

fn form<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("kind", "pengaduan"),
        ("district_code", "51.03.01"),
        ("village_code", "51.03.01.1002"),
        ("latitude", "-8.7201"),
        ("longitude", "115.1689"),
        ("location_address", "Jl. Raya Kuta depan pura"),
        ("confirm_new", "1"),
    ];
    v.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    v.extend_from_slice(extra);
    v
}

async fn file(app: &TestApp, fields: &[(&str, &str)]) -> (String, String) {
    let r = app.file_request(&form(fields), &[]).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    TestApp::filed(&r)
}

/// How many requests the public list shows for `q` (the count a stranger reads).
async fn listed(app: &TestApp, q: &str, code: &str) -> bool {
    let (s, html) = app.get_html(&format!("/laporan?q={}", urlencode(q))).await;
    assert_eq!(s, StatusCode::OK);
    html.contains(code)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

async fn api_token(app: &TestApp, unit: &str, scopes: &str) -> String {
    if kotapintar_storage::units::find_by_code(&app.store.reader, unit)
        .await
        .unwrap()
        .is_none()
    {
        app.login_admin().await;
        app.create_unit(unit, &format!("Dinas {unit}")).await;
        app.logout().await;
    }
    clients::create(
        &app.store,
        &AuditActor::System("test".into()),
        &format!("APP-{unit}"),
        unit,
        scopes,
        1000,
    )
    .await
    .unwrap()
    .token
}

async fn the_public_keyword_filter_is_no_oracle(app: TestApp) {
    app.import_areas().await;
    let (code, _) = file(
        &app,
        &[
            ("title", "Lampu jalan mati di depan pura"),
            (
                "description",
                &format!(
                    "Hubungi saya Wayan Sudira, NIK {NIK}, telepon 081234567890. Lampu mati \
                     sejak minggu lalu."
                ),
            ),
            ("name", "Wayan Sudira"),
        ],
    )
    .await;
    // the filter works on what the public reads...
    assert!(listed(&app, "lampu jalan", &code).await);
    assert!(listed(&app, "disembunyikan", &code).await);
    // ...and tells nothing of what was masked: each prefix of the NIK, the name, the phone
    for q in [
        "NIK 5",
        "NIK 51",
        "5103",
        NIK,
        "Sudira",
        "Wayan",
        "0812",
        "081234567890",
    ] {
        assert!(
            !listed(&app, q, &code).await,
            "q={q} matched the raw text of a masked request"
        );
    }
    // the similar-request offer on /lapor is not an oracle either
    let similar = requests::similar_open(
        &app.store,
        &format!("Wayan Sudira {NIK} 081234567890"),
        None,
        None,
        None,
    )
    .await
    .unwrap();
    assert!(
        similar.is_empty(),
        "similar requests offered on masked words: {similar:?}"
    );
    // nor is the search
    app.search_caught_up().await;
    for q in [NIK, "Sudira"] {
        let (_, html) = app.get_html(&format!("/cari?q={}", urlencode(q))).await;
        assert!(!html.contains(&code), "search for {q} found the request");
    }
    // nor the machine-readable lists
    let token = api_token(&app, "DLHK", "requests:read").await;
    for q in ["Sudira", NIK] {
        let (c, _) = app.new_visitor();
        let body = c
            .get(app.url(&format!("/api/v1/requests?q={}", urlencode(q))))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!body.contains(&code), "api q={q}: {body}");
    }
}

/// Every public place a request's text shows, as one string.
async fn public_everywhere(app: &TestApp, code: &str, token: &str) -> String {
    let mut out = String::new();
    for path in [
        format!("/laporan/{code}"),
        "/laporan".to_string(),
        format!("/open311/v2/requests/{code}.json"),
        "/open311/v2/requests.json".to_string(),
        "/open311/v2/servicerequestupdates.json".to_string(),
    ] {
        let (_, body) = app.get_html(&path).await;
        out.push_str(&body);
    }
    let (c, _) = app.new_visitor();
    out.push_str(
        &c.get(app.url(&format!("/api/v1/requests/{code}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    // what a search index rebuilt from the database would hold
    let docs = requests::searchable_by_codes(&app.store.reader, &[code.to_string()])
        .await
        .unwrap();
    assert_eq!(docs.len(), 1);
    out.push_str(&serde_json::to_string(&docs[0].public).unwrap());
    out
}

async fn correcting_or_erasing_contact_brings_no_name_back(app: TestApp) {
    app.import_areas().await;
    let (code, token) = file(
        &app,
        &[
            ("title", "Laporan Ketut Arsawan: lampu jalan mati"),
            (
                "description",
                "Saya Ketut   Arsawan melapor, lampu jalan mati di depan rumah sejak lama.",
            ),
            ("name", "Ketut Arsawan"),
        ],
    )
    .await;
    // staff answer in public, naming the reporter
    app.login_admin().await;
    let id = app.request_id(&code).await;
    let r = app
        .post_form(
            &format!("/staf/laporan/{id}/aksi"),
            &[
                ("action", "comment"),
                ("note", "Terima kasih Bapak Ketut Arsawan, akan kami cek."),
                ("public", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", location(&r));
    app.logout().await;
    let api = api_token(&app, "DLHK", "requests:read").await;

    let public = public_everywhere(&app, &code, &api).await;
    assert!(public.contains(&code), "the request is public");
    assert!(!public.contains("Arsawan"), "name shown before any change");

    let follow = format!("/laporan/{code}/ikuti/{token}");
    let r = app
        .post_form(
            &format!("{follow}/data"),
            &[("name", "Kadek Lestari"), ("email", ""), ("phone", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.search_caught_up().await;
    let public = public_everywhere(&app, &code, &api).await;
    assert!(
        !public.contains("Arsawan"),
        "a corrected contact brought the name back"
    );
    let (_, found) = app.get_html("/cari?q=Arsawan").await;
    assert!(!found.contains(&code), "the index holds the old name");

    let r = app.post_form(&format!("{follow}/hapus-data"), &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.search_caught_up().await;
    let public = public_everywhere(&app, &code, &api).await;
    assert!(
        !public.contains("Arsawan") && !public.contains("Lestari"),
        "erasure brought a name back"
    );
    assert!(!listed(&app, "Arsawan", &code).await);
    // the raw text is kept for staff: nothing was lost
    let row = entity::request::Entity::find()
        .filter(entity::request::Column::TrackingCode.eq(code.as_str()))
        .one(&app.store.reader)
        .await
        .unwrap()
        .unwrap();
    assert!(row.title.contains("Arsawan"));
    assert_eq!(row.reporter_name, None);
}

async fn outside_parties_get_masked_notes(app: TestApp) {
    app.import_areas().await;
    let (code, _) = file(
        &app,
        &[
            ("title", "Sampah menumpuk di pinggir jalan"),
            (
                "description",
                "Sampah menumpuk di pinggir jalan sejak seminggu, bau sekali.",
            ),
            ("name", "Nyoman Sukerta"),
            ("anonymous", "on"),
        ],
    )
    .await;
    app.login_admin().await;
    let id = app.request_id(&code).await;
    let r = app
        .post_form(
            &format!("/staf/laporan/{id}/aksi"),
            &[
                ("action", "comment"),
                (
                    "note",
                    &format!("Pelapor Nyoman Sukerta (NIK {NIK}, 0812-3456-7890) sudah dihubungi."),
                ),
                ("public", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let payloads: Vec<String> = entity::event::Entity::find()
        .filter(entity::event::Column::SubjectId.eq(code.as_str()))
        .all(&app.store.reader)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.payload)
        .collect();
    let all = payloads.join("\n");
    assert!(all.contains("sudah dihubungi"), "the note is in the outbox");
    for secret in ["Sukerta", NIK, "0812-3456-7890"] {
        assert!(!all.contains(secret), "{secret} in the outbox: {all}");
    }
}

async fn a_rahasia_code_answers_as_an_unknown_code(app: TestApp) {
    app.import_areas().await;
    let (code, _) = file(
        &app,
        &[
            ("title", "Dugaan pungutan liar di kantor desa"),
            (
                "description",
                "Ada pungutan liar saat mengurus surat keterangan di kantor desa.",
            ),
            ("confidential", "on"),
        ],
    )
    .await;
    // a unit's application that does not handle it
    let token = api_token(&app, "DISHUB", "requests:read requests:write").await;
    let unknown = "BDG-26-ZZZZZ";
    let ask = |method: reqwest::Method, path: String, body: Option<serde_json::Value>| {
        let (c, _) = app.new_visitor();
        let mut r = c.request(method, app.url(&path)).bearer_auth(&token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        async move {
            let r = r.send().await.unwrap();
            let status = r.status();
            let mut v: serde_json::Value = r.json().await.unwrap_or_default();
            // the instance names the address asked; everything else must be the same
            if let Some(o) = v.as_object_mut() {
                o.remove("instance");
            }
            (status, v)
        }
    };
    for (method, suffix, body) in [
        (reqwest::Method::GET, "", None),
        (
            reqwest::Method::POST,
            "/steps",
            Some(serde_json::json!({"action": "comment", "note": "cek", "public": false})),
        ),
    ] {
        let secret = ask(
            method.clone(),
            format!("/api/v1/requests/{code}{suffix}"),
            body.clone(),
        )
        .await;
        let none = ask(method, format!("/api/v1/requests/{unknown}{suffix}"), body).await;
        assert_eq!(secret.0, StatusCode::NOT_FOUND, "{suffix}: {:?}", secret.1);
        assert_eq!(secret, none, "{suffix}: a rahasia code answers differently");
    }
    // and on the public pages
    assert_eq!(
        app.get(&format!("/laporan/{code}")).await.status(),
        app.get(&format!("/laporan/{unknown}")).await.status()
    );
}

async fn editors_see_no_requests_or_contact_data(app: TestApp) {
    app.import_areas().await;
    app.login_admin().await;
    app.create_unit("DLHK", "Dinas Lingkungan Hidup").await;
    app.create_user("editor.dlhk", "editor", "DLHK", "kata-sandi-editor-1")
        .await;
    let (code, _) = file(
        &app,
        &[
            ("title", "Sampah menumpuk di pinggir jalan"),
            (
                "description",
                "Sampah menumpuk di pinggir jalan sejak seminggu, bau sekali.",
            ),
            ("name", "Made Wirawan"),
            ("phone", "081299998888"),
        ],
    )
    .await;
    let id = app.request_id(&code).await;
    let r = app
        .post_form(&format!("/staf/laporan/{id}/aksi"), &[("action", "verify")])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.dispatch(id, "DLHK").await;
    app.logout().await;
    let r = app.login("editor.dlhk", "kata-sandi-editor-1").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (s, html) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(!html.contains("081299998888") && !html.contains("Wirawan"));
    let (_, inbox) = app.get_html("/staf/laporan").await;
    assert!(
        !inbox.contains(&code),
        "an editor's inbox lists the unit's requests"
    );
}

/// The messages between staff and the reporter (issue 20) are staff only: no public page,
/// list, search, feed, API, Open311, open data or outside event carries a word of them.
async fn the_thread_never_reaches_public_output(app: TestApp) {
    const STAFF: &str = "Utasstaf Kuningrahasia mohon foto";
    const REPORTER: &str = "Utaswarga Birurahasia sudah dikirim";
    app.import_areas().await;
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.logout().await;
    let (code, token) = file(
        &app,
        &[
            ("title", "Got tersumbat di depan pura"),
            (
                "description",
                "Got tersumbat sampah, air meluap ke jalan setiap hujan deras.",
            ),
            ("email", "warga.utas@contoh.id"),
        ],
    )
    .await;
    let id = app.request_id(&code).await;
    app.login_admin().await;
    app.dispatch(id, "DPUPR").await;
    let r = app
        .post_form(&format!("/staf/laporan/{id}/balas"), &[("message", STAFF)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // a public comment too, so the public pages have something of the request to show
    let r = app
        .post_form(
            &format!("/staf/laporan/{id}/aksi"),
            &[
                ("action", "comment"),
                ("note", "Tim dijadwalkan"),
                ("public", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.logout().await;
    let r = app
        .post_form(
            &format!("/laporan/{code}/ikuti/{token}/balas"),
            &[("message", REPORTER)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.run_jobs().await;
    app.search_caught_up().await;

    let api = api_token(&app, "DPUPR", "requests:read").await;
    let mut out = public_everywhere(&app, &code, &api).await;
    assert!(out.contains("Tim dijadwalkan"), "the public note is there");
    for path in [
        "/".to_string(),
        "/sitemap.xml".to_string(),
        "/data.json".to_string(),
        "/open311/v2/requests.json?extensions=true".to_string(),
    ] {
        let (_, body) = app.get_html(&path).await;
        out.push_str(&body);
    }
    // the search and the public filter find nothing by the thread's words (they echo the
    // query, so the answer is read for the request, not for the word)
    for q in ["Utasstaf", "Utaswarga"] {
        assert!(!listed(&app, q, &code).await, "the list found {q}");
        let (_, html) = app.get_html(&format!("/cari?q={q}")).await;
        assert!(!html.contains(&code), "the search found {q}");
    }
    assert!(
        listed(&app, "Got tersumbat", &code).await,
        "the filter works"
    );
    let (c, _) = app.new_visitor();
    for path in ["/api/v1/requests", "/api/v1/events"] {
        out.push_str(
            &c.get(app.url(path))
                .bearer_auth(&api)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
    }
    // what outside parties are sent (the outbox of events, the webhooks' deliveries)
    let events = entity::event::Entity::find()
        .all(&app.store.reader)
        .await
        .unwrap();
    out.push_str(&format!("{events:?}"));
    for word in ["Utasstaf", "Kuningrahasia", "Utaswarga", "Birurahasia"] {
        assert!(!out.contains(word), "{word} reached public output");
    }
    // the reporter reads their own thread on the private link
    let (_, mine) = app
        .get_html(&format!("/laporan/{code}/ikuti/{token}"))
        .await;
    assert!(mine.contains(STAFF) && mine.contains(REPORTER));
}

async fn a_referral_reaches_the_public_masked(app: TestApp) {
    app.import_areas().await;
    let token = api_token(&app, "DPUPR", "requests:read requests:write").await;
    let agency = kotapintar_storage::agencies::create(
        &app.store,
        &AuditActor::System("test".into()),
        kotapintar_domain::agency::AgencyDraft {
            name: "PLN UP3 Bali Selatan".into(),
            kind: kotapintar_domain::agency::AgencyKind::Bumn,
            email: Some("up3balisel@pln.co.id".into()),
            phone: None,
            website: None,
            active: true,
        },
    )
    .await
    .unwrap();
    let name = "Ketut Suwitra";
    let mut codes = Vec::new();
    for confidential in ["", "on"] {
        let mut fields = vec![
            ("title", "Kabel listrik menjuntai"),
            (
                "description",
                "Kabel listrik menjuntai rendah di atas jalan desa.",
            ),
            ("name", name),
            ("email", "ketut@contoh.id"),
        ];
        if !confidential.is_empty() {
            fields.push(("confidential", confidential));
        }
        let (code, _) = file(&app, &fields).await;
        let id = app.request_id(&code).await;
        app.login_admin().await;
        app.dispatch(id, "DPUPR").await;
        let reason = format!("Wewenang PLN; pelapor {name}, NIK {NIK}, telepon 0812-3456-7890");
        let r = app
            .post_form(
                &format!("/staf/laporan/{id}/aksi"),
                &[
                    ("action", "refer"),
                    ("agency", &agency.id.to_string()),
                    ("reason", &reason),
                ],
            )
            .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        app.logout().await;
        codes.push(code);
    }
    let public = public_everywhere(&app, &codes[0], &token).await;
    assert!(
        public.contains("PLN UP3 Bali Selatan"),
        "the agency is public"
    );
    for secret in [name, NIK, "0812-3456-7890", "ketut@contoh.id"] {
        assert!(!public.contains(secret), "{secret} reached public output");
    }
    // a referred rahasia request is nowhere public
    assert_eq!(
        app.get(&format!("/laporan/{}", codes[1])).await.status(),
        StatusCode::NOT_FOUND
    );
    let (_, list) = app.get_html("/open311/v2/requests.json").await;
    assert!(!list.contains(&codes[1]));
}

/// Merged cases (issue 21): the duplicate's public copies everywhere show its primary's code
/// and status, and nothing personal of either reporter; a public note on the primary reaches
/// the duplicate's reporter masked.
async fn a_merged_case_shows_nothing_personal_of_either_reporter(app: TestApp) {
    app.import_areas().await;
    let (primary, _) = file(
        &app,
        &[
            ("title", "Jalan berlubang di depan pura"),
            (
                "description",
                "Lubang besar di jalan depan pura, motor sering jatuh.",
            ),
            ("name", "Nyoman Sukerta"),
            ("email", "nyoman@contoh.id"),
            ("phone", "081234567890"),
        ],
    )
    .await;
    let (dup, _) = file(
        &app,
        &[
            ("title", "Lubang jalan depan pura"),
            (
                "description",
                &format!("Lubang jalan dalam, saya Ketut Arsana NIK {NIK}."),
            ),
            ("name", "Ketut Arsana"),
            ("email", "ketut@contoh.id"),
        ],
    )
    .await;
    let api = api_token(&app, "DPUPR", "requests:read").await;
    app.login_admin().await;
    let (p_id, d_id) = (app.request_id(&primary).await, app.request_id(&dup).await);
    app.dispatch(d_id, "DPUPR").await;
    app.dispatch(p_id, "DPUPR").await;
    let r = app
        .post_form(
            &format!("/staf/laporan/{d_id}/gabung"),
            &[("primary", &primary)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app
        .post_form(
            &format!("/staf/laporan/{p_id}/aksi"),
            &[
                ("action", "comment"),
                (
                    "note",
                    "Terima kasih Nyoman Sukerta, petugas segera datang.",
                ),
                ("public", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.logout().await;
    let out =
        public_everywhere(&app, &dup, &api).await + &public_everywhere(&app, &primary, &api).await;
    assert!(
        out.contains(&format!("\"merged_into\":\"{primary}\"")),
        "the API says where it went"
    );
    for secret in [
        "Sukerta",
        "Arsana",
        NIK,
        "nyoman@contoh.id",
        "ketut@contoh.id",
        "081234567890",
    ] {
        assert!(!out.contains(secret), "{secret} in public output");
    }
    // the duplicate's reporter hears of the primary's public note, with the name masked
    app.run_jobs().await;
    let mails = app
        .mail
        .wait_for(1, std::time::Duration::from_secs(10))
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut to_ketut: Vec<String> = Vec::new();
    while std::time::Instant::now() < deadline {
        to_ketut = app
            .mail
            .messages()
            .iter()
            .filter(|m| m.to == vec!["ketut@contoh.id".to_string()])
            .map(|m| m.body())
            .collect();
        if to_ketut.iter().any(|b| b.contains("petugas segera datang")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!mails.is_empty());
    assert!(
        to_ketut.iter().any(|b| b.contains("petugas segera datang")),
        "{to_ketut:?}"
    );
    assert!(
        to_ketut.iter().all(|b| !b.contains("Sukerta")),
        "{to_ketut:?}"
    );
}
