//! The public information portal: the editorial workflow, the public pages and feeds, the
//! search (Indonesian stemming, typos, facets, privacy), projects' progress.

use crate::harness::{location, TestApp};
use chrono::{Duration, Utc};
use reqwest::StatusCode;

both_backends!(
    an_editor_drafts_and_a_unit_admin_publishes,
    bad_input_is_explained_and_nothing_typed_is_lost,
    project_progress_and_the_behind_schedule_flag,
    search_finds_inflected_words_and_respects_privacy,
    feeds_validate_as_atom_and_icalendar,
    scheduled_items_appear_at_their_moment,
    search_rebuild_gives_the_same_results,
    a_node_whose_build_process_fails_builds_its_index_itself,
    unit_profile_and_home_page_show_published_content,
    attachments_are_pdfs_and_survive_a_form_sent_back,
    a_new_item_form_names_a_known_kind_or_none,
);

pub const EDITOR_PASSWORD: &str = "editor-password-1";
pub const PUBLISHER_PASSWORD: &str = "publisher-password-1";

/// A unit (DPUPR) with an editor and a unit admin; leaves the admin logged out.
pub async fn newsroom(app: &TestApp) {
    app.login_admin().await;
    app.import_areas().await;
    app.create_unit("DPUPR", "Dinas Pekerjaan Umum dan Penataan Ruang")
        .await;
    app.create_unit("DISKOMINFO", "Dinas Komunikasi dan Informatika")
        .await;
    app.create_user("editor.pupr", "editor", "DPUPR", EDITOR_PASSWORD)
        .await;
    app.create_user("admin.pupr", "unit_admin", "DPUPR", PUBLISHER_PASSWORD)
        .await;
    app.logout().await;
}

async fn unit_id(app: &TestApp, code: &str) -> String {
    kotapintar_storage::units::find_by_code(&app.store.reader, code)
        .await
        .unwrap()
        .unwrap()
        .id
        .0
        .to_string()
}

/// Creates an item through the editor's form and returns its staff id.
pub async fn draft(app: &TestApp, fields: &[(&str, &str)]) -> i64 {
    let unit = unit_id(app, "DPUPR").await;
    let mut all = vec![("unit_id", unit.as_str())];
    all.extend_from_slice(fields);
    let r = app.post_multipart("/staf/konten/baru", &all, &[]).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let loc = location(&r);
    loc.trim_start_matches("/staf/konten/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

pub async fn step(app: &TestApp, id: i64, step: &str) -> StatusCode {
    app.post_form(&format!("/staf/konten/{id}/langkah"), &[("step", step)])
        .await
        .status()
}

/// Searches and returns the page.
async fn search(app: &TestApp, q: &str) -> String {
    app.search_caught_up().await;
    let (status, body) = app.get_html(&format!("/cari?q={}", urlencode(q))).await;
    assert_eq!(status, StatusCode::OK);
    body
}

fn urlencode(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_string()
}

fn news_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("kind", "berita"),
        ("title", "Jalan Raya Kerobokan diperbaiki"),
        ("summary", "Dinas PUPR memperbaiki 2 km jalan berlubang."),
        (
            "body",
            "Pekerjaan **pengaspalan** dimulai Senin.\n\n<script>alert('x')</script>\n\n[tautan](javascript:alert(1))",
        ),
        ("tags", "jalan, infrastruktur"),
        ("kecamatan", "51.03.02"),
    ]
}

async fn an_editor_drafts_and_a_unit_admin_publishes(app: TestApp) {
    newsroom(&app).await;
    app.login("editor.pupr", super::portal::EDITOR_PASSWORD)
        .await;
    let id = draft(&app, &news_fields()).await;
    let item = kotapintar_storage::content::get(&app.store, kotapintar_domain::ids::ContentId(id))
        .await
        .unwrap();
    assert_eq!(item.slug.as_str(), "jalan-raya-kerobokan-diperbaiki");
    let public = format!("/berita/{}", item.slug.as_str());

    // a draft is nobody's business but the unit's
    assert_eq!(app.get(&public).await.status(), StatusCode::NOT_FOUND);
    assert!(!search(&app, "perbaikan").await.contains("Kerobokan"));
    // an editor may not publish, only submit
    assert_eq!(step(&app, id, "publish").await, StatusCode::FORBIDDEN);
    assert_eq!(step(&app, id, "submit").await, StatusCode::SEE_OTHER);
    // submitting twice is not a possible step
    assert_eq!(step(&app, id, "submit").await, StatusCode::CONFLICT);
    assert_eq!(app.get(&public).await.status(), StatusCode::NOT_FOUND);
    app.logout().await;

    app.login("admin.pupr", PUBLISHER_PASSWORD).await;
    let (_, review) = app.get_html("/staf/konten?status=review").await;
    assert!(review.contains("Jalan Raya Kerobokan diperbaiki"));
    assert_eq!(step(&app, id, "publish").await, StatusCode::SEE_OTHER);
    app.logout().await;

    let (status, page) = app.get_html(&public).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<strong>pengaspalan</strong>"), "{page}");
    assert!(
        !page.contains("<script>alert"),
        "script must be neutralised"
    );
    assert!(!page.contains("javascript:"), "javascript: links must go");
    assert!(page.contains(r#"property="og:title" content="Jalan Raya Kerobokan diperbaiki""#));
    assert!(page.contains("Dinas Pekerjaan Umum dan Penataan Ruang"));

    // found by an inflected form of a word it does not contain literally
    let found = search(&app, "perbaikan").await;
    assert!(found.contains(&public), "{found}");
    assert!(found.contains("<b>diperbaiki</b>"), "highlighted: {found}");
    // and with a typo
    assert!(search(&app, "kerobokkan").await.contains(&public));
    // facets name the kind, the unit and the kecamatan
    assert!(found.contains("/cari?q=perbaikan&amp;jenis=berita") || found.contains("jenis=berita"));
    assert!(
        found.contains("Kuta Utara") || found.contains("51.03.02"),
        "{found}"
    );

    // every revision kept: created, submitted, published
    let revs =
        kotapintar_storage::content::revisions(&app.store, kotapintar_domain::ids::ContentId(id))
            .await
            .unwrap();
    assert_eq!(revs.len(), 3);
    assert_eq!(revs[0].status, "published");
    assert_eq!(revs[0].actor, "admin.pupr");
    assert_eq!(revs[2].actor, "editor.pupr");
    // and audited
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let audited = kotapintar_storage::entity::audit_log::Entity::find()
        .filter(kotapintar_storage::entity::audit_log::Column::Action.like("content.%"))
        .all(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(audited.len(), 3, "create, submit, publish");

    // unpublishing takes it off the site and out of search
    app.login("admin.pupr", PUBLISHER_PASSWORD).await;
    assert_eq!(step(&app, id, "unpublish").await, StatusCode::SEE_OTHER);
    assert_eq!(app.get(&public).await.status(), StatusCode::NOT_FOUND);
    assert!(!search(&app, "perbaikan").await.contains(&public));

    // another unit's admin cannot touch it
    app.logout().await;
    app.login_admin().await;
    app.create_user(
        "admin.kominfo",
        "unit_admin",
        "DISKOMINFO",
        PUBLISHER_PASSWORD,
    )
    .await;
    app.logout().await;
    app.login("admin.kominfo", PUBLISHER_PASSWORD).await;
    assert_eq!(step(&app, id, "publish").await, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&format!("/staf/konten/{id}")).await.status(),
        StatusCode::FORBIDDEN
    );
}

async fn bad_input_is_explained_and_nothing_typed_is_lost(app: TestApp) {
    newsroom(&app).await;
    app.login("editor.pupr", EDITOR_PASSWORD).await;
    // the same title twice: the second slug is numbered
    let a = draft(&app, &[("kind", "pengumuman"), ("title", "Pemadaman air")]).await;
    let b = draft(&app, &[("kind", "pengumuman"), ("title", "Pemadaman air")]).await;
    let sa = kotapintar_storage::content::get(&app.store, kotapintar_domain::ids::ContentId(a))
        .await
        .unwrap()
        .slug;
    let sb = kotapintar_storage::content::get(&app.store, kotapintar_domain::ids::ContentId(b))
        .await
        .unwrap()
        .slug;
    assert_eq!(sa.as_str(), "pemadaman-air");
    assert_eq!(sb.as_str(), "pemadaman-air-2");

    let unit = unit_id(&app, "DPUPR").await;
    // a typed slug that is taken is explained, and the form keeps what was typed
    let r = app
        .post_multipart(
            "/staf/konten/baru",
            &[
                ("unit_id", &unit),
                ("kind", "berita"),
                ("title", "Judul yang diketik dengan susah payah"),
                ("slug", "pemadaman-air"),
                ("body", "Isi panjang yang tidak boleh hilang."),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("sudah dipakai"), "{page}");
    assert!(page.contains("Judul yang diketik dengan susah payah"));
    assert!(page.contains("Isi panjang yang tidak boleh hilang."));

    // an agenda that ends before it starts
    let r = app
        .post_multipart(
            "/staf/konten/baru",
            &[
                ("unit_id", &unit),
                ("kind", "agenda"),
                ("title", "Rapat koordinasi"),
                ("starts_at", "2026-12-10T10:00"),
                ("ends_at", "2026-12-10T09:00"),
                ("place", "Puspem Badung"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("Waktu selesai tidak boleh sebelum waktu mulai"),
        "{page}"
    );
    assert!(page.contains("Puspem Badung"));
    assert!(page.contains("2026-12-10T10:00"));

    // a fake image is refused with the reason; the text stays
    let r = app
        .post_multipart(
            "/staf/konten/baru",
            &[
                ("unit_id", &unit),
                ("kind", "berita"),
                ("title", "Berita bergambar"),
            ],
            &[("cover", "foto.jpg", b"ini bukan gambar".to_vec())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("bukan foto JPEG, PNG atau WebP"), "{page}");
    assert!(page.contains("Berita bergambar"));

    // a real image is accepted, kept when the form is sent back for another field, and stored
    let r = app
        .post_multipart(
            "/staf/konten/baru",
            &[("unit_id", &unit), ("kind", "berita"), ("title", "")],
            &[("cover", "foto.jpg", crate::harness::jpeg_with_gps(64, 48))],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    let kept = page
        .split(r#"name="cover_photo" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    assert!(kept.ends_with(".jpg"), "{kept}");
    let id = draft(
        &app,
        &[
            ("kind", "berita"),
            ("title", "Berita bergambar"),
            ("cover_photo", &kept),
        ],
    )
    .await;
    let item = kotapintar_storage::content::get(&app.store, kotapintar_domain::ids::ContentId(id))
        .await
        .unwrap();
    assert_eq!(item.cover_photo.as_deref(), Some(kept.as_str()));
    let img = app.get(&format!("/gambar/{kept}")).await;
    assert_eq!(img.status(), StatusCode::OK);
    let bytes = img.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xFF, 0xD8]));
    assert!(
        !bytes.windows(4).any(|w| w == b"Exif"),
        "metadata (GPS) must be stripped"
    );
    assert_eq!(
        app.get("/gambar/..%2F..%2Fkotapintar.db").await.status(),
        StatusCode::NOT_FOUND
    );
    // nothing half-written: the three refused forms stored nothing
    let all = kotapintar_storage::content::staff_list(&app.store, None, None, None, 100)
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
}

async fn project_progress_and_the_behind_schedule_flag(app: TestApp) {
    newsroom(&app).await;
    app.login("admin.pupr", PUBLISHER_PASSWORD).await;
    let today = app.local_today();
    let start = (today - Duration::days(200)).to_string();
    let end = (today + Duration::days(100)).to_string();
    let id = draft(
        &app,
        &[
            ("kind", "proyek"),
            ("title", "Pelebaran Jalan Raya Canggu"),
            ("sector", "Jalan dan jembatan"),
            ("fund_source", "apbd"),
            ("budget_ceiling", "12.500.000.000"),
            ("contract_value", "11.900.000.000"),
            ("contractor", "PT Karya Bali"),
            ("planned_start", &start),
            ("planned_end", &end),
            ("project_status", "running"),
            ("kecamatan", "51.03.02"),
        ],
    )
    .await;
    assert_eq!(step(&app, id, "publish").await, StatusCode::SEE_OTHER);
    let first = (today - Duration::days(60)).to_string();
    let second = (today - Duration::days(10)).to_string();
    for (date, physical, budget) in [
        (first.as_str(), "30", "25"),
        (second.as_str(), "40,5", "35"),
    ] {
        let r = app
            .post_multipart(
                &format!("/staf/konten/{id}/kemajuan"),
                &[
                    ("reported_on", date),
                    ("physical_pct", physical),
                    ("budget_pct", budget),
                    ("note", "Pengaspalan ruas utara"),
                ],
                &[],
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::SEE_OTHER,
            "{}",
            r.text().await.unwrap()
        );
    }
    // progress does not go backwards, and a day is reported once
    let r = app
        .post_multipart(
            &format!("/staf/konten/{id}/kemajuan"),
            &[
                ("reported_on", &second),
                ("physical_pct", "20"),
                ("budget_pct", "20"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("tidak boleh turun"), "{page}");
    let r = app
        .post_multipart(
            &format!("/staf/konten/{id}/kemajuan"),
            &[
                ("reported_on", &second),
                ("physical_pct", "45"),
                ("budget_pct", "40"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Sudah ada laporan kemajuan untuk tanggal ini"));
    app.logout().await;

    // planned today: 200 of 300 days = 66.7 %; reported 40.5 %: far behind
    let (status, page) = app.get_html("/proyek/pelebaran-jalan-raya-canggu").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Terlambat dari jadwal"), "{page}");
    assert!(page.contains("40,5 %"));
    assert!(page.contains("66,7 %"), "planned progress today");
    assert!(page.contains("Rp 12.500.000.000"));
    assert!(page.contains("Rp 11.900.000.000"));
    assert!(page.contains("PT Karya Bali"));
    // the chart and its table
    assert!(page.contains(r#"role="img""#));
    assert!(page.contains("line-physical"));
    assert_eq!(page.matches("Pengaspalan ruas utara").count(), 2);
    // the list flags it too
    let (_, list) = app.get_html("/proyek?status=running").await;
    assert!(list.contains("Pelebaran Jalan Raya Canggu"));
    assert!(list.contains("Terlambat dari jadwal"));

    // a project on plan is not flagged
    app.login("admin.pupr", PUBLISHER_PASSWORD).await;
    let on_plan = draft(
        &app,
        &[
            ("kind", "proyek"),
            ("title", "Rehabilitasi Pasar Mengwi"),
            ("sector", "Pasar"),
            ("fund_source", "dak"),
            ("budget_ceiling", "3000000000"),
            ("planned_start", &start),
            ("planned_end", &end),
            ("project_status", "running"),
        ],
    )
    .await;
    assert_eq!(step(&app, on_plan, "publish").await, StatusCode::SEE_OTHER);
    let r = app
        .post_multipart(
            &format!("/staf/konten/{on_plan}/kemajuan"),
            &[
                ("reported_on", &second),
                ("physical_pct", "62"),
                ("budget_pct", "55"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = app.get_html("/proyek/rehabilitasi-pasar-mengwi").await;
    assert!(
        !page.contains("Terlambat dari jadwal"),
        "62 % against 66.7 % is within tolerance"
    );

    // the leadership dashboard lists the late project and the units that went quiet
    app.logout().await;
    app.login_admin().await;
    let (status, lead) = app.get_html("/staf/pimpinan").await;
    assert_eq!(status, StatusCode::OK);
    let late = lead
        .split(r#"id="projects-behind""#)
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .unwrap();
    assert!(late.contains("Pelebaran Jalan Raya Canggu"), "{late}");
    assert!(!late.contains("Rehabilitasi Pasar Mengwi"));
    let quiet = lead
        .split(r#"id="silent-units""#)
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .unwrap();
    assert!(
        quiet.contains("Dinas Komunikasi dan Informatika"),
        "{quiet}"
    );
    assert!(
        !quiet.contains("Dinas Pekerjaan Umum"),
        "DPUPR published today"
    );
}

async fn search_finds_inflected_words_and_respects_privacy(app: TestApp) {
    newsroom(&app).await;
    // a public request with personal data in its text, and a confidential one
    let r = app
        .file_request(
            &[
                ("kind", "pengaduan"),
                ("title", "Saluran air tersumbat di Jalan Sunset"),
                (
                    "description",
                    "Saluran tersumbat sampah, mohon dibersihkan. Hubungi saya 081234567890.",
                ),
                ("name", "Made Wirawan"),
                ("phone", "081234567890"),
                ("district_code", "51.03.02"),
                ("confirm_new", "1"),
            ],
            &[],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let r = app
        .file_request(
            &[
                ("kind", "pengaduan"),
                ("title", "Pungutan liar di kantor desa"),
                (
                    "description",
                    "Petugas meminta uang pembersihan berkas secara tidak resmi.",
                ),
                ("confidential", "on"),
                ("confirm_new", "1"),
                ("name", "Ketut Rahasia"),
                ("email", "ketut@example.com"),
            ],
            &[],
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );

    // "pembersihan" finds "dibersihkan" in the public request, never the confidential one
    let found = search(&app, "pembersihan").await;
    assert!(found.contains("Saluran air tersumbat"), "{found}");
    assert!(
        !found.contains("Pungutan liar"),
        "rahasia leaked into search"
    );
    assert!(!found.contains("081234567890"), "phone leaked into search");
    assert!(!found.contains("Made Wirawan"));
    for q in [
        "pungutan",
        "Ketut",
        "ketut@example.com",
        "081234567890",
        "Wirawan",
    ] {
        let page = search(&app, q).await;
        // the search box repeats what was typed; the results come after it
        let results = page
            .split(r#"id="search-count""#)
            .nth(1)
            .unwrap_or_default();
        assert!(!results.contains("Pungutan liar"), "{q}");
        assert!(!results.contains("Ketut"), "{q}");
        assert!(
            page.contains(r#"id="search-count">0 "#),
            "{q} must find nothing: {page}"
        );
    }
    // services and units are found too, and facets filter
    let units = search(&app, "penataan").await;
    assert!(units.contains("/unit/dpupr"), "{units}");
    let (_, filtered) = app.get_html("/cari?q=saluran&jenis=berita").await;
    assert!(filtered.contains(r#"id="search-count">0 "#));
    let (_, filtered) = app.get_html("/cari?q=saluran&jenis=laporan").await;
    assert!(filtered.contains(r#"id="search-count">1 "#));
}

async fn feeds_validate_as_atom_and_icalendar(app: TestApp) {
    newsroom(&app).await;
    app.login("admin.pupr", PUBLISHER_PASSWORD).await;
    let news = draft(&app, &news_fields()).await;
    let start = (Utc::now() + Duration::days(3))
        .format("%Y-%m-%dT09:00")
        .to_string();
    let end = (Utc::now() + Duration::days(3))
        .format("%Y-%m-%dT12:30")
        .to_string();
    let agenda = draft(
        &app,
        &[
            ("kind", "agenda"),
            ("title", "Musrenbang Kecamatan Kuta; tahap 1, \"terbuka\""),
            (
                "summary",
                "Musyawarah perencanaan pembangunan, terbuka untuk warga.",
            ),
            ("starts_at", &start),
            ("ends_at", &end),
            ("place", "Kantor Camat Kuta, Jl. Raya Kuta No. 1"),
            ("audience", "Warga, tokoh masyarakat"),
        ],
    )
    .await;
    let internal = draft(
        &app,
        &[
            ("kind", "agenda"),
            ("title", "Rapat internal staf"),
            ("starts_at", &start),
            ("ends_at", &end),
            ("place", "Ruang rapat"),
            ("internal", "on"),
        ],
    )
    .await;
    for id in [news, agenda, internal] {
        assert_eq!(step(&app, id, "publish").await, StatusCode::SEE_OTHER);
    }
    app.logout().await;

    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (path, file) in [
        ("/berita.atom", "berita.atom"),
        ("/agenda.atom", "agenda.atom"),
        ("/proyek.atom", "proyek.atom"),
        ("/unit/dpupr/berita.atom", "unit-berita.atom"),
        ("/agenda.ics", "agenda.ics"),
        ("/unit/dpupr/agenda.ics", "unit-agenda.ics"),
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let ct = r.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_string();
        let body = r.text().await.unwrap();
        if file.ends_with(".ics") {
            assert!(ct.starts_with("text/calendar"), "{ct}");
            assert!(
                !body.contains("Rapat internal"),
                "internal activity in a public feed"
            );
        } else {
            assert!(ct.starts_with("application/atom+xml"), "{ct}");
        }
        let p = dir.path().join(file);
        std::fs::write(&p, &body).unwrap();
        files.push(p);
    }
    let ics = std::fs::read_to_string(dir.path().join("agenda.ics")).unwrap();
    assert!(ics.contains("Musrenbang Kecamatan Kuta"));
    // 09:00 WITA is 01:00 UTC
    assert!(ics.contains("T010000Z"), "{ics}");
    let atom = std::fs::read_to_string(dir.path().join("berita.atom")).unwrap();
    assert!(atom.contains("Jalan Raya Kerobokan diperbaiki"));
    assert!(!atom.contains("<script>"));

    let (status, sitemap) = app.get_html("/sitemap.xml").await;
    assert_eq!(status, StatusCode::OK);
    assert!(sitemap.contains("/berita/jalan-raya-kerobokan-diperbaiki</loc>"));
    assert!(sitemap.contains("/unit/dpupr</loc>"));
    assert!(!sitemap.contains("rapat-internal"));
    std::fs::write(dir.path().join("sitemap.xml"), &sitemap).unwrap();
    files.push(dir.path().join("sitemap.xml"));

    // independent validators from PyPI (scripts/feed-validate)
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/feed-validate");
    let out = std::process::Command::new(script)
        .args(&files)
        .output()
        .expect("run scripts/feed-validate");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.matches(": valid").count(), files.len(), "{stdout}");
}

async fn scheduled_items_appear_at_their_moment(app: TestApp) {
    use kotapintar_domain::content::{ContentInput, EditorialStep};
    use kotapintar_storage::audit::AuditActor;
    newsroom(&app).await;
    let unit = kotapintar_storage::units::find_by_code(&app.store.reader, "DPUPR")
        .await
        .unwrap()
        .unwrap();
    let offset = app.settings.rules.utc_offset;
    let mut draft = ContentInput {
        kind: "pengumuman".into(),
        title: "Penutupan jalan sementara".into(),
        ..Default::default()
    }
    .parse(unit.id, offset)
    .unwrap();
    // the form has minutes; the storage takes any moment
    draft.publish_at = Some(Utc::now() + Duration::milliseconds(1500));
    let actor = AuditActor::System("test".into());
    let item = kotapintar_storage::content::create(&app.store, &actor, 1, draft, None)
        .await
        .unwrap();
    kotapintar_storage::content::step(&app.store, &actor, item.id, EditorialStep::Publish)
        .await
        .unwrap();
    let public = "/berita/penutupan-jalan-sementara";
    assert_eq!(app.get(public).await.status(), StatusCode::NOT_FOUND);
    assert!(!search(&app, "penutupan").await.contains(public));
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    assert_eq!(app.get(public).await.status(), StatusCode::OK);
    // the index adds it when its moment comes, without a new event
    let mut found = false;
    for _ in 0..50 {
        if app.get_html("/cari?q=penutupan").await.1.contains(public) {
            found = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(found, "a scheduled item must become findable");
}

async fn search_rebuild_gives_the_same_results(app: TestApp) {
    newsroom(&app).await;
    app.login("admin.pupr", PUBLISHER_PASSWORD).await;
    let id = draft(&app, &news_fields()).await;
    assert_eq!(step(&app, id, "publish").await, StatusCode::SEE_OTHER);
    let before = search(&app, "perbaikan").await;
    assert!(before.contains("/berita/jalan-raya-kerobokan-diperbaiki"));

    // `kotapintar search rebuild` into a fresh directory (a node's index is its own)
    let dir = tempfile::tempdir().unwrap();
    let mut settings = app.settings.clone();
    settings.search_dir = dir.path().to_path_buf();
    let n = kotapintar::commands::search::rebuild(&settings)
        .await
        .unwrap();
    assert_eq!(n, 3, "2 units + 1 news item");
    let index = kotapintar_search::SearchIndex::open(dir.path()).unwrap();
    let q = kotapintar_search::SearchQuery {
        text: "perbaikan".into(),
        limit: 10,
        ..Default::default()
    };
    let rebuilt = index.search(&q).unwrap();
    assert_eq!(rebuilt.total, 1);
    assert_eq!(
        rebuilt.hits[0].url,
        "/berita/jalan-raya-kerobokan-diperbaiki"
    );
    assert_eq!(
        index.cursor().unwrap(),
        Some(
            kotapintar_storage::events::head(&app.store.reader)
                .await
                .unwrap()
        )
    );
}

/// A server hands a new index's build to a child process (`crash.rs` runs the real one); if
/// that process cannot run, the node builds the index itself and keeps following.
async fn a_node_whose_build_process_fails_builds_its_index_itself(app: TestApp) {
    use kotapintar_search::sync::{follow, Builder, ChildBuild};
    newsroom(&app).await;
    app.login("admin.pupr", PUBLISHER_PASSWORD).await;
    let id = draft(&app, &news_fields()).await;
    assert_eq!(step(&app, id, "publish").await, StatusCode::SEE_OTHER);
    let dir = tempfile::tempdir().unwrap();
    let index = std::sync::Arc::new(kotapintar_search::SearchIndex::open(dir.path()).unwrap());
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let failing = ChildBuild {
        program: "/bin/false".into(),
        args: vec![],
        envs: vec![],
    };
    let follower = tokio::spawn(follow(
        app.store.clone(),
        index.clone(),
        Builder::Child(failing),
        stopped,
    ));
    let head = kotapintar_storage::events::head(&app.store.reader)
        .await
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while index.cursor().unwrap() < Some(head) {
        assert!(std::time::Instant::now() < deadline, "no index was built");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let q = kotapintar_search::SearchQuery {
        text: "perbaikan".into(),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(index.search(&q).unwrap().total, 1);
    // and it follows what happens next with its own writer
    let mut fields = news_fields();
    fields[1].1 = "Jembatan Tukad Mati selesai dibangun";
    let second = draft(&app, &fields).await;
    assert_eq!(step(&app, second, "publish").await, StatusCode::SEE_OTHER);
    let q = kotapintar_search::SearchQuery {
        text: "jembatan".into(),
        limit: 10,
        ..Default::default()
    };
    while index.search(&q).unwrap().total == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the new item was not indexed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    stop.send(true).unwrap();
    follower.await.unwrap();
}

async fn unit_profile_and_home_page_show_published_content(app: TestApp) {
    newsroom(&app).await;
    app.login("admin.pupr", PUBLISHER_PASSWORD).await;
    let id = draft(&app, &news_fields()).await;
    assert_eq!(step(&app, id, "publish").await, StatusCode::SEE_OTHER);
    let draft_only = draft(
        &app,
        &[("kind", "berita"), ("title", "Masih draf rahasia redaksi")],
    )
    .await;
    assert!(draft_only > 0);
    app.logout().await;

    let (status, page) = app.get_html("/unit/dpupr").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Dinas Pekerjaan Umum dan Penataan Ruang"));
    assert!(page.contains("/berita/jalan-raya-kerobokan-diperbaiki"));
    assert!(!page.contains("Masih draf"));
    assert_eq!(
        app.get("/unit/tidak-ada").await.status(),
        StatusCode::NOT_FOUND
    );

    let (_, home) = app.get_html("/").await;
    assert!(
        home.contains("/berita/jalan-raya-kerobokan-diperbaiki"),
        "{home}"
    );
    assert!(!home.contains("Masih draf"));
    assert!(home.len() < 150 * 1024, "home page is {} bytes", home.len());
    let (_, list) = app.get_html("/berita").await;
    assert!(list.contains("Jalan Raya Kerobokan diperbaiki"));
    assert!(!list.contains("Masih draf"));
    let (_, tagged) = app.get_html("/berita?tag=infrastruktur").await;
    assert!(tagged.contains("Jalan Raya Kerobokan diperbaiki"));
    let (_, other) = app.get_html("/berita?tag=pariwisata").await;
    assert!(!other.contains("Jalan Raya Kerobokan diperbaiki"));
}

async fn attachments_are_pdfs_and_survive_a_form_sent_back(app: TestApp) {
    newsroom(&app).await;
    app.login("admin.pupr", PUBLISHER_PASSWORD).await;
    let unit = unit_id(&app, "DPUPR").await;
    let pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
        .to_vec();
    // a program disguised as a PDF is refused by its content
    let r = app
        .post_multipart(
            "/staf/konten/baru",
            &[
                ("unit_id", &unit),
                ("kind", "pengumuman"),
                ("title", "Jadwal pemadaman"),
            ],
            &[(
                "attachments",
                "jadwal.pdf",
                b"MZ\x90\x00 not a pdf".to_vec(),
            )],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Lampiran harus berkas PDF"));
    // a real PDF is kept when the form comes back for another reason
    let r = app
        .post_multipart(
            "/staf/konten/baru",
            &[("unit_id", &unit), ("kind", "pengumuman"), ("title", "")],
            &[("attachments", "Jadwal Pemadaman Desember.pdf", pdf.clone())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    let kept = page
        .split(r#"name="keep_attachment" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    assert!(kept.ends_with("|Jadwal Pemadaman Desember.pdf"), "{kept}");
    let id = draft(
        &app,
        &[
            ("kind", "pengumuman"),
            ("title", "Jadwal pemadaman listrik"),
            ("keep_attachment", &kept),
        ],
    )
    .await;
    assert_eq!(step(&app, id, "publish").await, StatusCode::SEE_OTHER);
    let (_, public) = app.get_html("/berita/jadwal-pemadaman-listrik").await;
    assert!(public.contains("Jadwal Pemadaman Desember.pdf"), "{public}");
    let file = kept.split('|').next().unwrap();
    let r = app.get(&format!("/lampiran/{file}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()[reqwest::header::CONTENT_TYPE],
        "application/pdf"
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), pdf.as_slice());
    // unticking removes it from the item
    let r = app
        .post_multipart(
            &format!("/staf/konten/{id}"),
            &[
                ("kind", "pengumuman"),
                ("title", "Jadwal pemadaman listrik"),
            ],
            &[],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let item = kotapintar_storage::content::get(&app.store, kotapintar_domain::ids::ContentId(id))
        .await
        .unwrap();
    assert!(item.attachments.is_empty());
}

/// No `jenis` is news (the documented default); one that names no kind is a bad link, not
/// silently news.
async fn a_new_item_form_names_a_known_kind_or_none(app: TestApp) {
    newsroom(&app).await;
    app.login_admin().await;
    assert_eq!(app.get("/staf/konten/baru").await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/staf/konten/baru?jenis=proyek").await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/staf/konten/baru?jenis=bogus").await.status(),
        StatusCode::BAD_REQUEST
    );
}
