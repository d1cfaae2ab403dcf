//! Residents on phones (390 × 844 in headless Chromium): choosing a service on the request
//! form and answering its questions without losing anything typed, with and without
//! JavaScript; an error summary that names each field; the performance page's charts legible
//! on a phone (text at least 12 px, nothing overlapping, no name cut off); wide staff tables
//! scroll inside their own box, never the whole page.

use crate::browser::{body_text, click, click_and_wait, fill, select, Browser};
use crate::harness::TestApp;
use fantoccini::{Client, Locator};
use reqwest::StatusCode;

both_backends!(
    a_resident_chooses_a_service_and_answers_its_questions_with_javascript,
    a_resident_chooses_a_service_and_answers_its_questions_without_javascript,
    the_error_summary_names_each_field,
    the_performance_page_reads_on_a_phone,
    staff_tables_scroll_in_their_box_not_the_page,
);

const TITLE: &str = "Jalan retak di depan pasar";
const DESCRIPTION: &str = "Retakan panjang di badan jalan depan pasar, makin lebar setiap hujan.";

async fn service_with_questions(app: &TestApp) {
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas Pekerjaan Umum dan Penataan Ruang")
        .await;
    let r = app
        .post_form(
            "/staf/layanan/baru",
            &[
                ("unit_code", "DPUPR"),
                ("code", "jalan-rusak"),
                ("name", "Jalan rusak"),
                ("kind", "pengaduan"),
                ("time_limit_days", "10"),
                ("active", "on"),
                ("questions", "jenis | Jenis kerusakan | singlevaluelist | required | Berlubang; Retak\npanjang | Panjang (m) | number | optional"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.logout().await;
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

async fn checked(c: &Client, id: &str) -> bool {
    c.find(Locator::Id(id))
        .await
        .unwrap_or_else(|_| panic!("field {id}"))
        .prop("checked")
        .await
        .unwrap()
        .as_deref()
        == Some("true")
}

async fn script(c: &Client, js: &str) -> serde_json::Value {
    c.execute(js, vec![]).await.unwrap()
}

/// The staff view of the request the browser just filed shows the answers.
async fn answers_were_stored(app: &TestApp, c: &Client, expected: &[&str]) {
    let text = body_text(c).await;
    assert!(text.contains("Laporan terkirim"), "{text}");
    let code = c
        .current_url()
        .await
        .unwrap()
        .path()
        .split('/')
        .nth(2)
        .unwrap()
        .to_string();
    let id = app.request_id(&code).await;
    app.login_admin().await;
    let (_, staff) = app.get_html(&format!("/staf/laporan/{id}")).await;
    for e in expected {
        assert!(staff.contains(e), "{e} in {staff}");
    }
    app.logout().await;
}

async fn a_resident_chooses_a_service_and_answers_its_questions_with_javascript(app: TestApp) {
    service_with_questions(&app).await;
    let b = Browser::phone().await;
    let c = &b.client;
    c.goto(&app.url("/lapor")).await.unwrap();
    assert_eq!(script(c, "return window.innerWidth").await, 390);
    // with JavaScript the button that sends the form back is not needed
    let button = c.find(Locator::Id("show-questions")).await.unwrap();
    assert!(!button.is_displayed().await.unwrap());
    fill(c, "f-title", TITLE).await;
    fill(c, "f-description", DESCRIPTION).await;
    let page = c.find(Locator::Css("html")).await.unwrap();
    select(c, "f-service_code", "jalan-rusak").await;
    // the questions are there at once, on the same page: nothing reloaded
    click(c, "q_jenis-2").await;
    fill(c, "f-q_panjang", "2,5").await;
    assert!(page.tag_name().await.is_ok(), "the page was reloaded");
    // the service's kind is chosen for the resident who had not chosen one
    assert!(checked(c, "kind-pengaduan").await);
    // another choice hides them; choosing the service again brings the answers back
    select(c, "f-service_code", "").await;
    assert!(c.find(Locator::Id("f-q_panjang")).await.is_err());
    select(c, "f-service_code", "jalan-rusak").await;
    assert_eq!(value(c, "f-q_panjang").await, "2,5");
    assert!(checked(c, "q_jenis-2").await);
    assert_eq!(value(c, "f-title").await, TITLE);
    assert_eq!(value(c, "f-description").await, DESCRIPTION);
    click_and_wait(c, Locator::Css("form.form button.primary")).await;
    answers_were_stored(&app, c, &["Retak"]).await;
    b.stop().await;
}

/// Without JavaScript (the form as a browser without scripts sends it; a headless browser
/// with scripts off cannot be driven by WebDriver's clicks): "show the questions" posts the
/// form back with everything kept, and a form sent before the questions were shown comes back
/// with them and one message, no error on a question never seen.
async fn a_resident_chooses_a_service_and_answers_its_questions_without_javascript(app: TestApp) {
    service_with_questions(&app).await;
    let typed = [
        ("kind", "pengaduan"),
        ("title", TITLE),
        ("description", DESCRIPTION),
        ("location_address", "Pasar Mengwi"),
        ("service_code", "jalan-rusak"),
        ("questions_for", ""),
        ("confirm_new", "1"),
    ];
    let mut choose = typed.to_vec();
    choose.push(("pilih", "1"));
    let r = app.file_request(&choose, &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    for kept in [
        format!("value=\"{TITLE}\""),
        format!(">{DESCRIPTION}</textarea>"),
        "value=\"Pasar Mengwi\"".to_string(),
        "value=\"jalan-rusak\" selected".to_string(),
        "value=\"pengaduan\" checked".to_string(),
        "name=\"questions_for\" id=\"f-questions_for\" value=\"jalan-rusak\"".to_string(),
        "id=\"f-q_panjang\"".to_string(),
    ] {
        assert!(html.contains(&kept), "{kept} in {html}");
    }
    assert!(!html.contains("class=\"error\""), "no error yet: {html}");
    // sent without the questions shown: they come back, with one message and no error on them
    let r = app.file_request(&typed, &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    let summary = html.split("id=\"error-summary\"").nth(1).unwrap();
    let summary = summary.split("</ul>").next().unwrap();
    assert_eq!(summary.matches("<li>").count(), 1, "{summary}");
    assert!(
        summary.contains("href=\"#f-questions\"")
            && summary.contains("Layanan ini punya pertanyaan"),
        "{summary}"
    );
    assert!(!html.contains("Wajib diisi"), "{html}");
    assert!(html.contains(&format!("value=\"{TITLE}\"")));
    // answered, with the questions shown: filed
    let mut answered = typed.to_vec();
    answered[5] = ("questions_for", "jalan-rusak");
    answered.push(("q_jenis", "Berlubang"));
    answered.push(("q_panjang", "3"));
    let r = app.file_request(&answered, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn the_error_summary_names_each_field(app: TestApp) {
    let r = app.file_request(&[("confirm_new", "1")], &[]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    let summary = html.split("id=\"error-summary\"").nth(1).unwrap();
    let summary = summary.split("</ul>").next().unwrap();
    for line in [
        "Pilih jenis laporan",
        "Isi judul laporan",
        "Isi uraian laporan",
    ] {
        assert!(summary.contains(line), "{line} in {summary}");
    }
    assert!(!summary.contains("Wajib diisi"), "{summary}");
    // and in English
    let token = app.cookie("kp_csrf").unwrap();
    let form = reqwest::multipart::Form::new()
        .text("_csrf", token)
        .text("confirm_new", "1")
        .text("email", "not-an-address");
    let r = app
        .client
        .post(app.url("/lapor"))
        .header("accept-language", "en")
        .multipart(form)
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    let summary = html.split("id=\"error-summary\"").nth(1).unwrap();
    let summary = summary.split("</ul>").next().unwrap();
    for line in [
        "Choose the kind of request",
        "Enter the title of your request",
        "Describe what you are reporting",
        "Email: Not a valid email address",
    ] {
        assert!(summary.contains(line), "{line} in {summary}");
    }
}

/// What the browser measures on `/kinerja`: chart text smaller than 12 px, chart texts that
/// overlap or leave their chart, bar labels cut off, figures whose label and value share a
/// line, and a page wider than the screen.
const MEASURE: &str = r#"
const problems = [];
for (const svg of document.querySelectorAll("svg.chart")) {
  const box = svg.getBoundingClientRect();
  const texts = [...svg.querySelectorAll("text")].map(t => ({
    t: t.textContent,
    r: t.getBoundingClientRect(),
    px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
  }));
  for (const a of texts) {
    if (a.px < 12) problems.push(`${a.t}: ${a.px.toFixed(1)} px`);
    if (a.r.left < box.left - 0.5 || a.r.right > box.right + 0.5) problems.push(`${a.t} leaves its chart`);
  }
  for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
    const a = texts[i].r, b = texts[j].r;
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom)
      problems.push(`${texts[i].t} overlaps ${texts[j].t}`);
  }
}
for (const l of document.querySelectorAll(".hb-label")) {
  if (l.scrollWidth > l.clientWidth + 1) problems.push(`${l.textContent} is cut off`);
  if (parseFloat(getComputedStyle(l).fontSize) < 12) problems.push(`${l.textContent} too small`);
}
for (const f of document.querySelectorAll(".figure")) {
  const label = f.querySelector(".f-label").getBoundingClientRect();
  const value = f.querySelector(".f-value").getBoundingClientRect();
  if (value.top < label.bottom - 0.5) problems.push(`${f.textContent} on one line`);
}
if (document.documentElement.scrollWidth > window.innerWidth) problems.push("the page scrolls sideways");
return { problems, charts: document.querySelectorAll("svg.chart text").length, bars: document.querySelectorAll(".hb-label").length };
"#;

async fn the_performance_page_reads_on_a_phone(app: TestApp) {
    app.import_areas().await;
    app.login_admin().await;
    app.create_unit(
        "DP3AP2KB",
        "Dinas Pemberdayaan Perempuan, Perlindungan Anak, Pengendalian Penduduk dan Keluarga Berencana",
    )
    .await;
    let mut ids = Vec::new();
    for (title, district) in [
        ("Lampu jalan mati di Kuta", "51.03.01"),
        ("Sampah menumpuk di Mengwi", "51.03.02"),
        ("Taman bermain rusak di Abiansemal", "51.03.03"),
    ] {
        let r = app
            .file_request(
                &[
                    ("kind", "pengaduan"),
                    ("title", title),
                    (
                        "description",
                        "Mohon segera ditangani, sudah lebih dari seminggu.",
                    ),
                    ("district_code", district),
                    ("confirm_new", "1"),
                ],
                &[],
            )
            .await;
        let (code, _) = TestApp::filed(&r);
        let id = app.request_id(&code).await;
        app.dispatch(id, "DP3AP2KB").await;
        ids.push(id);
    }
    // one resolved, so the unit is in the ranking (by share resolved in time)
    let r = app
        .post_form(
            &format!("/staf/laporan/{}/aksi", ids[0]),
            &[("action", "resolve"), ("response", "Lampu sudah diganti.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.logout().await;
    let b = Browser::phone().await;
    let c = &b.client;
    // a quarter (13 weeks) and a year (52 weeks) of week labels
    for path in [
        "/kinerja?hari=90",
        "/kinerja?hari=365",
        "/kinerja/dp3ap2kb?hari=90",
    ] {
        c.goto(&app.url(path)).await.unwrap();
        let m = script(c, MEASURE).await;
        assert_eq!(m["problems"], serde_json::json!([]), "{path}: {m}");
        assert!(m["charts"].as_u64().unwrap() >= 4, "{path}: {m}");
        assert!(m["bars"].as_u64().unwrap() >= 1, "{path}: {m}");
    }
    // the long unit name is shown whole, on a phone too
    c.goto(&app.url("/kinerja")).await.unwrap();
    let labels = c.find_all(Locator::Css(".hb-label")).await.unwrap();
    let mut whole = false;
    for l in labels {
        whole |= l.text().await.unwrap().ends_with("dan Keluarga Berencana");
    }
    assert!(whole, "the unit's whole name is shown");
    b.stop().await;
}

/// A table wider than the phone scrolls in its `.table-wrap`; a visually hidden label in a
/// column out of view (the "edit" links' names) once widened the whole page to 622 px.
async fn staff_tables_scroll_in_their_box_not_the_page(app: TestApp) {
    let actor = kotapintar_storage::audit::AuditActor::System("test".into());
    kotapintar_storage::agencies::create(
        &app.store,
        &actor,
        kotapintar_domain::agency::AgencyDraft {
            name: "Balai Pelaksanaan Jalan Nasional (BPJN) Bali".into(),
            kind: kotapintar_domain::agency::AgencyKind::InstansiVertikal,
            email: Some("pengaduan.balai-jalan-nasional-bali@binamarga.pu.go.id".into()),
            phone: Some("0361 000000".into()),
            website: Some("https://binamarga.pu.go.id/balai-jalan-nasional-bali".into()),
            active: true,
        },
    )
    .await
    .unwrap();
    let b = Browser::phone().await;
    let c = &b.client;
    c.goto(&app.url("/login")).await.unwrap();
    fill(c, "f-username", "admin").await;
    fill(c, "f-password", crate::harness::ADMIN_PASSWORD).await;
    click_and_wait(c, Locator::Css("form.form button[type=submit]")).await;
    for path in ["/staf/instansi-luar", "/staf/unit", "/staf/pengguna"] {
        c.goto(&app.url(path)).await.unwrap();
        let widths = script(
            c,
            "return [document.documentElement.scrollWidth, window.innerWidth, document.querySelectorAll('.table-wrap').length];",
        )
        .await;
        let (page, screen) = (widths[0].as_u64().unwrap(), widths[1].as_u64().unwrap());
        assert!(widths[2].as_u64().unwrap() >= 1, "{path}: a table is shown");
        assert!(
            page <= screen,
            "{path}: the page scrolls sideways ({page} > {screen} px)"
        );
    }
    b.stop().await;
}
