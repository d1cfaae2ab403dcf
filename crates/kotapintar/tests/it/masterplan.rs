//! The smart-city masterplan: programmes, indicators and their values, progress updates with
//! evidence, the readiness history, the taxonomy, and the progress report as a page, a PDF
//! (read back with poppler's pdfinfo, pdftotext and pdftoppm) and a spreadsheet (calamine).

use crate::harness::{location, TestApp};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

both_backends!(
    a_programme_with_indicators_and_progress_is_public,
    bad_values_are_field_errors_and_nothing_is_recorded_twice,
    the_report_as_page_pdf_and_spreadsheet,
    readiness_history_shows_improvement,
    the_taxonomy_is_data_and_editable,
    only_kominfo_keeps_the_masterplan_and_owners_report,
);

pub const YEAR: i32 = 2026;

/// Units, an application in the registry, and a programme with one percent indicator,
/// made through the staff pages. Returns the programme's and the indicator's ids.
pub async fn programme_with_indicator(app: &TestApp) -> (i64, i64) {
    app.login_admin().await;
    app.create_unit("DISKOMINFO", "Dinas Komunikasi dan Informatika")
        .await;
    app.create_unit("BAPPEDA", "Badan Perencanaan Pembangunan Daerah")
        .await;
    let r = app
        .post_form(
            "/staf/aplikasi",
            &[
                ("unit_code", "DISKOMINFO"),
                ("name", "Kontak Bupati"),
                ("status", "integrated"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "application added");
    let app_id = kotapintar_storage::applications::list(&app.store)
        .await
        .unwrap()[0]
        .id
        .to_string();
    let dims = kotapintar_storage::masterplan::dimensions(&app.store)
        .await
        .unwrap();
    assert_eq!(dims.len(), 6, "Kominfo's six dimensions are seeded");
    let element = dims[0].elements[0].id.to_string(); // governance: layanan publik
    let r = app
        .post_form(
            "/staf/masterplan/program/baru",
            &[
                ("name", "Layanan pengaduan terpadu Kontak Bupati"),
                (
                    "description",
                    "Satu kanal pengaduan untuk semua perangkat daerah.",
                ),
                ("element_id", &element),
                ("horizon", "quick_win"),
                ("owner_code", "DISKOMINFO"),
                ("partner", "BAPPEDA"),
                ("rpjmd_code", "2.16.03"),
                ("start_year", &YEAR.to_string()),
                ("end_year", &(YEAR + 1).to_string()),
                ("budgets", "2026: 250.000.000\n2027: 300.000.000"),
                ("application", &app_id),
                ("status", "running"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "programme saved");
    let loc = location(&r);
    let id: i64 = loc
        .trim_start_matches("/staf/masterplan/program/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let r = app
        .post_form(
            &format!("/staf/masterplan/program/{id}/indikator"),
            &[
                ("name", "Pengaduan ditindaklanjuti tepat waktu"),
                ("kind", "percent"),
                ("direction", "increase"),
                ("baseline", "40"),
                ("baseline_year", "2025"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "indicator saved");
    let p = kotapintar_storage::masterplan::get(&app.store, id)
        .await
        .unwrap();
    (id, p.indicators[0].id)
}

pub async fn set_values(
    app: &TestApp,
    indicator: i64,
    year: &str,
    target: &str,
    actual: &str,
) -> reqwest::Response {
    app.post_form(
        &format!("/staf/masterplan/indikator/{indicator}/nilai"),
        &[("year", year), ("target", target), ("actual", actual)],
    )
    .await
}

/// Posts a progress update as the browser does (multipart, with files).
pub async fn add_update(
    app: &TestApp,
    id: i64,
    fields: &[(&str, &str)],
    files: &[(&str, Vec<u8>)],
) -> reqwest::Response {
    if app.cookie("kp_csrf").is_none() {
        app.get("/").await;
    }
    let mut form = reqwest::multipart::Form::new().text("_csrf", app.cookie("kp_csrf").unwrap());
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    for (name, bytes) in files {
        form = form.part(
            "files",
            reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
        );
    }
    app.client
        .post(app.url(&format!("/staf/masterplan/program/{id}/kemajuan")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// A tiny valid PDF, as evidence.
pub fn small_pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec()
}

async fn a_programme_with_indicators_and_progress_is_public(app: TestApp) {
    let (id, ind) = programme_with_indicator(&app).await;
    for (year, target, actual) in [("2026", "60", "65,5"), ("2027", "80%", "")] {
        let r = set_values(&app, ind, year, target, actual).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "values for {year}");
    }
    let r = add_update(
        &app,
        id,
        &[
            ("reported_on", "2026-03-15"),
            (
                "summary",
                "Kanal Kontak Bupati diluncurkan untuk semua perangkat daerah.",
            ),
            ("status", "running"),
            ("links", "https://badungkab.go.id/berita/kontak-bupati"),
        ],
        &[("peluncuran.pdf", small_pdf())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "first update");
    let r = add_update(
        &app,
        id,
        &[
            ("reported_on", "2026-06-30"),
            (
                "summary",
                "Tim reaksi cepat terbentuk di 20 perangkat daerah.",
            ),
            ("links", ""),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "second update");
    app.logout().await;

    // the public sees it all, without signing in
    let (s, html) = app.get_html("/masterplan").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Smart Governance") && html.contains("Smart Environment"));
    assert!(html.contains("Layanan pengaduan terpadu Kontak Bupati"));
    let (s, html) = app.get_html(&format!("/masterplan/program/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    for text in [
        "Pengaduan ditindaklanjuti tepat waktu",
        "65.5%",
        "80%",
        "Tercapai",
        "Belum dilaporkan",
        "Rp 250.000.000",
        "Rp 550.000.000",
        "Badan Perencanaan Pembangunan Daerah",
        "Kontak Bupati",
        "2.16.03",
        "Tim reaksi cepat",
        "peluncuran.pdf",
        "role=\"img\"",
    ] {
        assert!(html.contains(text), "programme page shows {text}");
    }
    // the newest update first
    assert!(html.find("Tim reaksi cepat").unwrap() < html.find("Kanal Kontak Bupati").unwrap());
    // the evidence file downloads as an attachment, byte for byte
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("a[href^='/masterplan/bukti/']").unwrap();
    let href = doc
        .select(&sel)
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap();
    let r = app.get(href).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(r.bytes().await.unwrap().to_vec(), small_pdf());
    // every change is in the audit log
    let audited = kotapintar_storage::entity::audit_log::Entity::find()
        .filter(kotapintar_storage::entity::audit_log::Column::Action.starts_with("masterplan."))
        .count(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(
        audited,
        1 + 1 + 2 + 2,
        "programme, indicator, two values, two updates"
    );
}

async fn bad_values_are_field_errors_and_nothing_is_recorded_twice(app: TestApp) {
    let (id, pct) = programme_with_indicator(&app).await;
    let r = app
        .post_form(
            &format!("/staf/masterplan/program/{id}/indikator"),
            &[
                ("name", "Aplikasi perangkat daerah terintegrasi"),
                ("kind", "count"),
                ("unit", "aplikasi"),
                ("baseline", "3"),
                ("baseline_year", "2025"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let p = kotapintar_storage::masterplan::get(&app.store, id)
        .await
        .unwrap();
    let count = p.indicators[1].id;

    for (ind, year, target, message) in [
        (count, "2026", "80%", "Satuan tidak sesuai indikator ini."),
        (
            count,
            "2026",
            "12 desa",
            "Satuan tidak sesuai indikator ini.",
        ),
        (
            count,
            "2026",
            "12,5",
            "Indikator jumlah hanya menerima bilangan bulat.",
        ),
        (
            count,
            "2026",
            "banyak",
            "Nilai tidak sesuai jenis indikator",
        ),
        (pct, "2026", "120", "Persen harus 0 sampai 100."),
        (pct, "2031", "50", "Tahun ini di luar masa program."),
        (pct, "2026", "", "Isi target, capaian, atau keduanya."),
    ] {
        let r = set_values(&app, ind, year, target, "").await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{target} for {year}"
        );
        let html = r.text().await.unwrap();
        assert!(html.contains(message), "{target}: {message}");
        // what was typed is still there
        if !target.is_empty() {
            assert!(
                html.contains(&format!("value=\"{target}\"")),
                "keeps {target}"
            );
        }
    }
    let rows = || async {
        kotapintar_storage::entity::mp_indicator_value::Entity::find()
            .count(&app.store.reader)
            .await
            .unwrap()
    };
    assert_eq!(rows().await, 0, "nothing recorded");

    // the same year twice: one row, the second call changes only what it gives
    assert_eq!(
        set_values(&app, count, "2026", "12 aplikasi", "")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        set_values(&app, count, "2026", "", "9").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(rows().await, 1);
    let p = kotapintar_storage::masterplan::get(&app.store, id)
        .await
        .unwrap();
    let v = &p.indicators[1].values[0];
    assert_eq!(
        (v.year, v.target.map(|c| c.0), v.actual.map(|c| c.0)),
        (2026, Some(1200), Some(900))
    );
    // racing twins of the same year still make one row
    let store = app.store.clone();
    let actor = kotapintar_storage::audit::AuditActor::System("test".into());
    let input = kotapintar_domain::masterplan::ValueInput {
        year: "2027".into(),
        target: "15".into(),
        actual: String::new(),
    };
    let (a, b) = tokio::join!(
        kotapintar_storage::masterplan::set_values(&store, &actor, count, &input),
        kotapintar_storage::masterplan::set_values(&store, &actor, count, &input)
    );
    a.unwrap();
    b.unwrap();
    assert_eq!(rows().await, 2);

    // an update dated in the future, or a file that is not evidence, is refused whole
    let r = add_update(
        &app,
        id,
        &[("reported_on", "2999-01-01"), ("summary", "Nanti")],
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Tanggal tidak boleh di masa depan."));
    let r = add_update(
        &app,
        id,
        &[
            ("reported_on", "2026-05-01"),
            ("summary", "Dengan berkas salah"),
        ],
        &[("virus.exe", b"MZ\x90\x00binary".to_vec())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Berkas harus PDF, JPG, PNG atau dokumen Office."));
    assert!(html.contains("Dengan berkas salah"), "the summary is kept");
    let updates = kotapintar_storage::entity::mp_update::Entity::find()
        .count(&app.store.reader)
        .await
        .unwrap();
    assert_eq!(updates, 0);
    let evidence_dir = app.settings.data_dir.join("uploads").join("evidence");
    let files = std::fs::read_dir(&evidence_dir)
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(files, 0, "no file left behind");

    // a programme's form: the owner cannot also be a partner; unknown units are named
    let element = p.element.id.to_string();
    let r = app
        .post_form(
            "/staf/masterplan/program/baru",
            &[
                ("name", "Program uji"),
                ("element_id", &element),
                ("horizon", "short_term"),
                ("owner_code", "DISKOMINFO"),
                ("partner_codes", "DISKOMINFO"),
                ("start_year", "2026"),
                ("end_year", "2025"),
                ("budgets", "2026: banyak"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for m in [
        "Penanggung jawab tidak perlu dicantumkan lagi sebagai mitra.",
        "Akhir tidak boleh sebelum awal.",
        "Tulis satu baris per tahun",
    ] {
        assert!(html.contains(m), "{m}");
    }
    assert!(html.contains("value=\"Program uji\""));
    let r = app
        .post_form(
            "/staf/masterplan/program/baru",
            &[
                ("name", "Program uji"),
                ("element_id", &element),
                ("horizon", "short_term"),
                ("owner_code", "DINASHANTU"),
                ("start_year", "2026"),
                ("end_year", "2026"),
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
        kotapintar_storage::masterplan::list(&app.store)
            .await
            .unwrap()
            .len(),
        1
    );
}

fn tool(name: &str) -> std::process::Command {
    let path = format!("/usr/bin/{name}");
    assert!(
        std::path::Path::new(&path).exists(),
        "{name} is needed: ./scripts/test installs Debian's poppler-utils"
    );
    std::process::Command::new(path)
}

/// Reads a PDF the way a person would: how many pages, the text on them, and each page
/// rendered to a picture that is not blank.
pub fn read_pdf(bytes: &[u8]) -> (usize, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("doc.pdf");
    std::fs::write(&file, bytes).unwrap();
    let info = tool("pdfinfo").arg(&file).output().unwrap();
    assert!(
        info.status.success(),
        "pdfinfo: {}",
        String::from_utf8_lossy(&info.stderr)
    );
    let info = String::from_utf8_lossy(&info.stdout).to_string();
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let text = tool("pdftotext")
        .args(["-layout"])
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout).to_string();
    let out = dir.path().join("page");
    let png = tool("pdftoppm")
        .args(["-png", "-r", "40"])
        .arg(&file)
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        png.status.success(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&png.stderr)
    );
    let mut rendered = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "png") {
            let img = image::open(&p).unwrap().to_luma8();
            let dark = img.pixels().filter(|px| px.0[0] < 128).count();
            assert!(dark > 50, "page {} has something on it", p.display());
            rendered += 1;
        }
    }
    assert_eq!(rendered, pages, "every page renders");
    (pages, text)
}

async fn the_report_as_page_pdf_and_spreadsheet(app: TestApp) {
    let (id, ind) = programme_with_indicator(&app).await;
    set_values(&app, ind, "2026", "60", "55").await;
    set_values(&app, ind, "2027", "80", "").await;
    add_update(
        &app,
        id,
        &[
            ("reported_on", "2026-02-10"),
            ("summary", "Uji coba di tiga kecamatan."),
            ("status", "delayed"),
        ],
        &[],
    )
    .await;
    add_update(
        &app,
        id,
        &[
            ("reported_on", "2025-12-01"),
            ("summary", "Kajian awal bersama universitas."),
        ],
        &[],
    )
    .await;
    app.logout().await;
    let q = "dari=2026-01-01&sampai=2026-12-31";
    let (s, html) = app.get_html(&format!("/masterplan/laporan?{q}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("Uji coba di tiga kecamatan."));
    assert!(
        !html.contains("Kajian awal"),
        "an update outside the period is not a change in it"
    );
    assert!(html.contains("Yang terlambat"));
    let doc = scraper::Html::parse_document(&html);
    let pdf_link = scraper::Selector::parse("a[href^='/masterplan/laporan.pdf']").unwrap();
    let href = doc
        .select(&pdf_link)
        .next()
        .unwrap()
        .value()
        .attr("href")
        .unwrap();
    assert_eq!(href, format!("/masterplan/laporan.pdf?{q}"));

    let r = app.get(&format!("/masterplan/laporan.pdf?{q}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let (pages, text) = read_pdf(&r.bytes().await.unwrap());
    assert!(
        pages >= 2,
        "a summary and the six dimensions: {pages} pages"
    );
    for t in [
        "Laporan kemajuan masterplan smart city",
        "01-01-2026 - 31-12-2026",
        "Smart Governance",
        "Smart Environment",
        "Layanan pengaduan terpadu Kontak Bupati",
        "Pengaduan ditindaklanjuti tepat waktu",
        "55%",
        "Belum tercapai",
        "Uji coba di tiga kecamatan.",
        "Rp 250.000.000",
        &format!("Halaman {pages} dari {pages}"),
    ] {
        assert!(text.contains(t), "the PDF says {t}:\n{text}");
    }
    assert!(!text.contains("Kajian awal"));

    // the English report, for the ministry's foreign partners
    let r = app
        .client
        .get(app.url(&format!("/masterplan/laporan.pdf?{q}")))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let (_, text) = read_pdf(&r.bytes().await.unwrap());
    assert!(text.contains("Smart-city masterplan progress report") && text.contains("Behind"));

    let r = app.get(&format!("/masterplan/laporan.xlsx?{q}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap().to_vec();
    use calamine::{Data, Reader};
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        wb.sheet_names(),
        vec!["Indikator".to_string(), "Program".to_string()]
    );
    let sheet = wb.worksheet_range("Indikator").unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows[0][0], Data::String("Dimensi".into()));
    assert_eq!(rows.len(), 3, "a header and one row per year");
    assert_eq!(
        rows[1][4],
        Data::String("Pengaduan ditindaklanjuti tepat waktu".into())
    );
    assert_eq!(rows[1][8], Data::Float(2026.0));
    assert_eq!(rows[1][9], Data::Float(60.0));
    assert_eq!(rows[1][10], Data::Float(55.0));
    assert_eq!(rows[1][11], Data::String("Belum tercapai".into()));
    assert_eq!(rows[2][10], Data::Empty, "no actual for 2027 yet");
    let programmes = wb.worksheet_range("Program").unwrap();
    let row: Vec<Data> = programmes.rows().nth(1).unwrap().to_vec();
    assert_eq!(row[3], Data::String("Terlambat".into()));
    assert_eq!(row[7], Data::Float(550_000_000.0));

    // a period that ends before it starts is a bad request, not a report
    let r = app
        .get("/masterplan/laporan.pdf?dari=2026-12-31&sampai=2026-01-01")
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

async fn readiness_history_shows_improvement(app: TestApp) {
    app.login_admin().await;
    let mut first: Vec<(String, String)> = vec![
        ("assessed_on".into(), "2025-06-01".into()),
        ("notes".into(), "Penilaian awal".into()),
    ];
    let mut second = vec![("assessed_on".to_string(), "2026-06-01".to_string())];
    for (i, item) in kotapintar_domain::masterplan::readiness_items().enumerate() {
        first.push((item.clone(), "2".into()));
        second.push((item, if i < 3 { "4" } else { "3" }.into()));
    }
    // a missing score is named, the rest kept
    let partial: Vec<(&str, &str)> = first
        .iter()
        .filter(|(k, _)| k != "superstructure.policy")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = app.post_form("/staf/masterplan/kesiapan", &partial).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("aria-invalid=\"true\" aria-describedby=\"e-superstructure.policy\""));
    for form in [&first, &second] {
        let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = app.post_form("/staf/masterplan/kesiapan", &f).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
    }
    let history = kotapintar_storage::masterplan::assessments(&app.store)
        .await
        .unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].overall.0, 200);
    // structure 4, the others 3: (4 + 3 + 3) / 3
    assert_eq!(history[1].overall.0, 333);
    let (_, html) = app.get_html("/staf/masterplan/kesiapan").await;
    assert!(html.contains("+1.33"), "the improvement shows");
    app.logout().await;
    let (_, html) = app.get_html("/masterplan").await;
    assert!(html.contains("3.33") && html.contains("role=\"img\""));
}

async fn the_taxonomy_is_data_and_editable(app: TestApp) {
    app.login_admin().await;
    let r = app
        .post_form(
            "/staf/masterplan/dimensi",
            &[
                ("code", "mobility"),
                ("name", "Smart Mobility"),
                ("name_en", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let dims = kotapintar_storage::masterplan::dimensions(&app.store)
        .await
        .unwrap();
    let mobility = dims.iter().find(|d| d.code == "mobility").unwrap();
    assert_eq!(mobility.name_en, "Smart Mobility");
    let r = app
        .post_form(
            "/staf/masterplan/dimensi",
            &[
                ("dimension_id", &mobility.id.to_string()),
                ("code", "multimodal"),
                ("name", "Akses multimoda"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // a taken code is a field error
    let r = app
        .post_form(
            "/staf/masterplan/dimensi",
            &[("code", "governance"), ("name", "Lagi")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Kode ini sudah dipakai."));
    // renaming an element
    let el = dims[0].elements[0].id;
    let r = app
        .post_form(
            &format!("/staf/masterplan/dimensi/elemen/{el}"),
            &[
                ("dimension_id", &dims[0].id.to_string()),
                ("code", "public_service"),
                ("name", "Pelayanan publik"),
                ("name_en", "Public services"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let dims = kotapintar_storage::masterplan::dimensions(&app.store)
        .await
        .unwrap();
    assert_eq!(dims[0].elements[0].name, "Pelayanan publik");
    assert_eq!(dims.len(), 7);
    let (_, html) = app.get_html("/masterplan").await;
    assert!(html.contains("Smart Mobility") && html.contains("Akses multimoda"));
}

async fn only_kominfo_keeps_the_masterplan_and_owners_report(app: TestApp) {
    let (id, ind) = programme_with_indicator(&app).await;
    app.create_unit("DLHK", "Dinas Lingkungan Hidup dan Kebersihan")
        .await;
    app.create_user(
        "petugas.kominfo",
        "officer",
        "DISKOMINFO",
        "petugas-kominfo-1",
    )
    .await;
    app.create_user("petugas.dlhk", "officer", "DLHK", "petugas-dlhk-123")
        .await;
    app.logout().await;

    // an officer of another unit neither keeps nor reports on it
    app.login("petugas.dlhk", "petugas-dlhk-123").await;
    assert_eq!(
        app.get("/staf/masterplan/program/baru").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        set_values(&app, ind, "2026", "50", "").await.status(),
        StatusCode::FORBIDDEN
    );
    let r = add_update(
        &app,
        id,
        &[
            ("reported_on", "2026-01-05"),
            ("summary", "Bukan unit saya"),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, html) = app
        .get_html(&format!("/staf/masterplan/program/{id}"))
        .await;
    assert!(
        !html.contains("/nilai\"") && !html.contains("/kemajuan\""),
        "no forms shown"
    );
    app.logout().await;

    // the owner unit's officer reports progress and actual values
    app.login("petugas.kominfo", "petugas-kominfo-1").await;
    assert_eq!(
        set_values(&app, ind, "2026", "", "70").await.status(),
        StatusCode::SEE_OTHER
    );
    let r = add_update(
        &app,
        id,
        &[
            ("reported_on", "2026-01-05"),
            ("summary", "Laporan unit pemilik"),
        ],
        &[],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // ... but does not add indicators or edit the programme
    let r = app
        .post_form(
            &format!("/staf/masterplan/program/{id}/indikator"),
            &[("name", "x"), ("kind", "count"), ("baseline_year", "2025")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(&format!("/staf/masterplan/program/{id}/ubah"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/staf/masterplan/dimensi").await.status(),
        StatusCode::FORBIDDEN
    );
}

/// The browser journey: Kominfo records a programme with an indicator and two progress
/// updates, opens the public report and downloads its PDF, whose pages are rendered and read.
mod journey {
    use crate::browser::{body_text, click_and_wait, fill, login, select, submit, Browser};
    use crate::harness::{TestApp, ADMIN_PASSWORD};
    use fantoccini::Locator;

    both_backends!(kominfo_records_a_programme_and_downloads_the_report);

    async fn kominfo_records_a_programme_and_downloads_the_report(app: TestApp) {
        app.login_admin().await;
        app.create_unit("DISKOMINFO", "Dinas Komunikasi dan Informatika")
            .await;
        app.create_unit("BAPPEDA", "Badan Perencanaan Pembangunan Daerah")
            .await;
        app.logout().await;
        let dims = kotapintar_storage::masterplan::dimensions(&app.store)
            .await
            .unwrap();
        let element = dims[0].elements[0].id.to_string();
        let evidence = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
        std::fs::write(evidence.path(), super::small_pdf()).unwrap();
        use chrono::Datelike;
        let year = chrono::Utc::now().year();

        let b = Browser::start().await;
        let c = &b.client;
        login(c, &app, "admin", ADMIN_PASSWORD).await;
        click_and_wait(c, Locator::LinkText("Masterplan smart city")).await;
        click_and_wait(c, Locator::LinkText("Tambah program")).await;
        fill(
            c,
            "f-name",
            "Badung Smart Service: layanan daring satu pintu",
        )
        .await;
        select(c, "f-element_id", &element).await;
        select(c, "f-owner_code", "DISKOMINFO").await;
        fill(c, "f-partner_codes", "BAPPEDA").await;
        fill(c, "f-rpjmd_code", "2.16.03").await;
        fill(c, "f-start_year", &year.to_string()).await;
        fill(c, "f-end_year", &(year + 2).to_string()).await;
        fill(c, "f-budgets", &format!("{year}: 250.000.000")).await;
        // the horizon is forgotten: the form says so and keeps the rest
        submit(c).await;
        let text = body_text(c).await;
        assert!(text.contains("Ada isian yang perlu diperbaiki"), "{text}");
        let kept = c
            .find(Locator::Id("f-name"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(
            kept.as_deref(),
            Some("Badung Smart Service: layanan daring satu pintu")
        );
        select(c, "f-horizon", "quick_win").await;
        submit(c).await;
        assert!(body_text(c).await.contains("Program tersimpan."));

        // an indicator, its target and actual for this year
        fill(c, "f-name", "Layanan perizinan yang dapat diajukan daring").await;
        select(c, "f-kind", "percent").await;
        fill(c, "f-baseline", "20").await;
        fill(c, "f-baseline_year", &(year - 1).to_string()).await;
        click_and_wait(c, Locator::Css("form[action$='/indikator'] button")).await;
        assert!(body_text(c).await.contains("Indikator tersimpan."));
        let p = kotapintar_storage::masterplan::list(&app.store)
            .await
            .unwrap();
        let ind = p[0].indicators[0].id;
        fill(c, &format!("v{ind}-year"), &year.to_string()).await;
        fill(c, &format!("v{ind}-target"), "50").await;
        fill(c, &format!("v{ind}-actual"), "62,5").await;
        click_and_wait(
            c,
            Locator::Css(&format!("form[action$='/{ind}/nilai'] button")),
        )
        .await;
        let text = body_text(c).await;
        assert!(
            text.contains("Target/capaian tersimpan.") && text.contains("62.5%"),
            "{text}"
        );

        // two progress updates, the first with a file as evidence
        for (summary, with_file) in [
            ("Portal perizinan daring diluncurkan oleh Bupati.", true),
            ("Dua belas layanan baru dapat diajukan daring.", false),
        ] {
            fill(c, "f-summary", summary).await;
            if with_file {
                fill(
                    c,
                    "f-links",
                    "https://badungkab.go.id/berita/portal-perizinan",
                )
                .await;
                c.find(Locator::Id("f-files"))
                    .await
                    .unwrap()
                    .send_keys(&evidence.path().display().to_string())
                    .await
                    .unwrap();
            }
            click_and_wait(c, Locator::Css("form[action$='/kemajuan'] button")).await;
            assert!(body_text(c).await.contains("Kemajuan tercatat."));
        }

        // the public page and the report, as anyone sees them
        click_and_wait(c, Locator::LinkText("Masterplan")).await;
        let text = body_text(c).await;
        assert!(text.contains("Badung Smart Service"), "{text}");
        click_and_wait(c, Locator::Css("form[action='/masterplan/laporan'] button")).await;
        let text = body_text(c).await;
        assert!(
            text.contains("Portal perizinan daring diluncurkan")
                && text.contains("Dua belas layanan baru")
        );
        let href = c
            .find(Locator::LinkText("Unduh PDF"))
            .await
            .unwrap()
            .attr("href")
            .await
            .unwrap()
            .unwrap();
        let r = app.client.get(app.url(&href)).send().await.unwrap();
        assert_eq!(r.status(), reqwest::StatusCode::OK);
        let (pages, pdf) = super::read_pdf(&r.bytes().await.unwrap());
        assert!(pages >= 2, "{pages} pages");
        for t in [
            "Badung Smart Service: layanan daring satu pintu",
            "Layanan perizinan yang dapat diajukan daring",
            "62.5%",
            "Tercapai",
            "Portal perizinan daring diluncurkan oleh Bupati.",
            "Dua belas layanan baru dapat diajukan daring.",
            "Perangkat daerah mitra: Badan Perencanaan",
        ] {
            assert!(pdf.contains(t), "the PDF says {t}:\n{pdf}");
        }
        b.stop().await;
    }
}
