//! Performance pages (kinerja) end to end: requests move through the real workflow, and the
//! figures on the public pages, their CSV and the lists they link to are checked against
//! numbers worked out by hand. Also the leadership dashboard and its weekly email.

use crate::harness::{TestApp, TestDb, ADMIN_PASSWORD};
use chrono::{DateTime, NaiveDateTime, Utc};
use kotapintar_domain::performance::{CounterKey, Dim, Metric, Span};
use kotapintar_storage::entity::perf_counter;
use kotapintar_storage::entity::{request, request_event};
use kotapintar_storage::{performance, Backend, DatabaseUrl, OpenMode, Store};
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

both_backends!(
    figures_follow_the_workflow_and_equal_hand_computed_examples,
    csv_matches_the_table_and_links_list_public_requests_only,
    leadership_dashboard_is_for_leaders_and_the_weekly_summary_is_emailed,
);

#[tokio::test]
async fn month_rows_are_summed_from_earlier_day_rows_sqlite() {
    month_rows_are_summed_from_earlier_day_rows(Backend::Sqlite).await
}

#[tokio::test]
async fn month_rows_are_summed_from_earlier_day_rows_postgres() {
    month_rows_are_summed_from_earlier_day_rows(Backend::Postgres).await
}

const FIELDS: &[(&str, &str)] = &[
    ("kind", "pengaduan"),
    (
        "description",
        "Lubang besar di badan jalan membahayakan pengendara motor pada malam hari.",
    ),
    ("district_code", "51.03.01"),
    ("village_code", "51.03.01.1002"),
    ("latitude", "-8.7201"),
    ("longitude", "115.1689"),
    ("confirm_new", "1"),
];

/// A deployment upgraded to month rows (migration 10) gets them summed from the day rows it
/// already had; after that, every change writes both.
async fn month_rows_are_summed_from_earlier_day_rows(backend: Backend) {
    use sea_orm_migration::MigratorTrait;
    let db = TestDb::create(backend).await;
    let store = Store::connect(
        &DatabaseUrl::parse(&db.url).unwrap(),
        OpenMode::CreateIfMissing,
    )
    .await
    .unwrap();
    kotapintar_storage::migration::Migrator::up(&store.writer, Some(9))
        .await
        .unwrap();
    let row = |scope: i64, dim: &str, day: &str, key: &str, metric: &str, bucket: i32, n: i64| {
        perf_counter::ActiveModel {
            scope: sea_orm::Set(scope),
            dim: sea_orm::Set(dim.into()),
            day: sea_orm::Set(day.into()),
            dim_key: sea_orm::Set(key.into()),
            metric: sea_orm::Set(metric.into()),
            bucket: sea_orm::Set(bucket),
            n: sea_orm::Set(n),
        }
    };
    perf_counter::Entity::insert_many([
        row(0, "all", "2026-07-31", "", "received", 0, 4),
        row(0, "all", "2026-08-01", "", "received", 0, 2),
        row(0, "all", "2026-08-31", "", "received", 0, 3),
        row(0, "kec", "2026-08-05", "51.03.01", "received", 0, 5),
        row(7, "all", "2026-08-14", "", "resolve_days", 4, 1),
        row(7, "all", "2026-08-20", "", "resolve_days", 4, 1),
        row(7, "all", "2026-08-20", "", "resolve_days", 9, 1),
    ])
    .exec(&store.writer)
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let month = |scope: i64, dim, day: &str, key: &str, metric, bucket| {
        (
            Span::Month,
            CounterKey {
                day: chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap(),
                scope,
                dim,
                key: key.into(),
                metric,
                bucket,
            },
        )
    };
    let months: Vec<_> = performance::all_counters(&store)
        .await
        .unwrap()
        .into_iter()
        .filter(|((span, _), _)| *span == Span::Month)
        .collect();
    assert_eq!(
        months,
        [
            (month(0, Dim::All, "2026-07-01", "", Metric::Received, 0), 4),
            (month(0, Dim::All, "2026-08-01", "", Metric::Received, 0), 5),
            (
                month(
                    0,
                    Dim::District,
                    "2026-08-01",
                    "51.03.01",
                    Metric::Received,
                    0
                ),
                5
            ),
            (
                month(7, Dim::All, "2026-08-01", "", Metric::ResolveDays, 4),
                2
            ),
            (
                month(7, Dim::All, "2026-08-01", "", Metric::ResolveDays, 9),
                1
            ),
        ]
    );
    store.close().await;
}

/// Files a request and returns (id, code, token).
async fn file(app: &TestApp, title: &str, confidential: bool) -> (i64, String, String) {
    let mut f: Vec<(&str, &str)> = FIELDS.to_vec();
    f.push(("title", title));
    f.push(("email", "warga@contoh.id"));
    if confidential {
        f.push(("confidential", "on"));
    }
    let r = app.file_request(&f, &[]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "filing {title}");
    let (code, token) = TestApp::filed(&r);
    (app.request_id(&code).await, code, token)
}

async fn act(app: &TestApp, id: i64, fields: &[(&str, &str)]) {
    let r = app
        .post_form(&format!("/staf/laporan/{id}/aksi"), fields)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "step {fields:?} on {id}");
}

const RESPONSE: &str = "Lubang sudah ditambal oleh tim pemeliharaan jalan.";

struct Story {
    r1: i64,
    r2: i64,
    r3: i64,
    r4: i64,
    r5: i64,
    codes: Vec<String>,
}

/// Five requests through the workflow (as the admin, who may take every step):
/// - R1 dispatched to DPUPR and resolved;
/// - R2 rejected at the desk;
/// - R3 dispatched to DPUPR, forwarded to DISHUB, resolved there;
/// - R4 dispatched to DPUPR, resolved, reopened by the reporter, resolved again;
/// - R5 (rahasia) dispatched to DPUPR and left open.
async fn story(app: &TestApp) -> Story {
    app.import_areas().await;
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.create_unit("DISHUB", "Dinas Perhubungan").await;
    let dishub = kotapintar_storage::units::find_by_code(&app.store.reader, "DISHUB")
        .await
        .unwrap()
        .unwrap();
    let (r1, c1, _) = file(app, "Jalan berlubang satu", false).await;
    let (r2, c2, _) = file(app, "Laporan bukan kewenangan", false).await;
    let (r3, c3, _) = file(app, "Rambu lalu lintas roboh", false).await;
    let (r4, c4, t4) = file(app, "Jalan berlubang empat", false).await;
    let (r5, c5, _) = file(app, "Laporan rahasia jalan", true).await;
    for id in [r1, r3, r4, r5] {
        app.dispatch(id, "DPUPR").await;
    }
    act(app, r1, &[("action", "resolve"), ("response", RESPONSE)]).await;
    act(
        app,
        r2,
        &[
            ("action", "reject"),
            ("reason", "outside_authority"),
            ("note", "Bukan kewenangan pemerintah kabupaten."),
        ],
    )
    .await;
    act(
        app,
        r3,
        &[
            ("action", "forward"),
            ("to_unit", &dishub.id.to_string()),
            ("reason", "Rambu adalah urusan Dinas Perhubungan."),
        ],
    )
    .await;
    act(app, r3, &[("action", "resolve"), ("response", RESPONSE)]).await;
    act(app, r4, &[("action", "resolve"), ("response", RESPONSE)]).await;
    let r = app
        .post_form(
            &format!("/laporan/{c4}/ikuti/{t4}/buka-kembali"),
            &[("reason", "Lubang muncul lagi setelah hujan.")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "reopen");
    act(app, r4, &[("action", "resolve"), ("response", RESPONSE)]).await;
    Story {
        r1,
        r2,
        r3,
        r4,
        r5,
        codes: vec![c1, c2, c3, c4, c5],
    }
}

/// The summary figures of a page, from its CSV: the values in row order (received,
/// verified, resolved, rejected, verify median, verify p90, resolve median, resolve p90,
/// on-time %, overdue now, IKM, respondents, returned follow-ups, referred to an outside
/// agency).
async fn summary(app: &TestApp, path: &str, query: &str) -> Vec<String> {
    let r = app.get(&format!("{path}?{query}&csv=ringkasan")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let body = r.text().await.unwrap();
    body.lines()
        .skip(1)
        .map(|l| l.rsplit(',').next().unwrap().to_string())
        .collect()
}

fn wita(s: &str) -> DateTime<Utc> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .unwrap()
        .and_local_timezone(chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

/// Moves a request's history to fixed dates (WITA), as if it had happened then.
async fn set_dates(
    app: &TestApp,
    id: i64,
    received: &str,
    dispatched: &str,
    resolved: Option<&str>,
    resolve_due: &str,
) {
    request::Entity::update_many()
        .col_expr(request::Column::ReceivedAt, Expr::value(wita(received)))
        .col_expr(request::Column::ResolvedAt, Expr::value(resolved.map(wita)))
        .col_expr(
            request::Column::ResolveDueAt,
            Expr::value(wita(resolve_due)),
        )
        .filter(request::Column::Id.eq(id))
        .exec(&app.store.writer)
        .await
        .unwrap();
    request_event::Entity::update_many()
        .col_expr(request_event::Column::At, Expr::value(wita(dispatched)))
        .filter(request_event::Column::RequestId.eq(id))
        .filter(request_event::Column::Step.eq("dispatch"))
        .exec(&app.store.writer)
        .await
        .unwrap();
}

async fn rebuild(app: &TestApp) {
    let calendar = kotapintar_storage::holidays::calendar(&app.store)
        .await
        .unwrap();
    performance::rebuild(&app.store, &calendar, app.settings.rules.utc_offset)
        .await
        .unwrap();
}

async fn figures_follow_the_workflow_and_equal_hand_computed_examples(app: TestApp) {
    let s = story(&app).await;

    // Today, everything happened today: 0 working days each, all resolved within the limit.
    // DPUPR holds R1, R4 and R5 (R3 was forwarded away; R2 never reached a unit).
    let q = "hari=30";
    assert_eq!(
        summary(&app, "/kinerja/dpupr", q).await,
        ["3", "3", "2", "0", "0.0", "0", "0.0", "0", "100.0", "0", "-", "0", "0", "0"]
    );
    assert_eq!(
        summary(&app, "/kinerja/dishub", q).await,
        ["1", "1", "1", "0", "0.0", "0", "0.0", "0", "100.0", "0", "-", "0", "0", "0"]
    );
    assert_eq!(
        summary(&app, "/kinerja", q).await,
        ["5", "4", "3", "1", "0.0", "0", "0.0", "0", "100.0", "0", "-", "0", "0", "0"]
    );
    // The counters kept step by step equal those derived again from the stored requests.
    let incremental = performance::all_counters(&app.store).await.unwrap();
    rebuild(&app).await;
    assert_eq!(
        performance::all_counters(&app.store).await.unwrap(),
        incremental
    );

    // Now the same history on fixed dates in August 2026 (WITA). Holidays in the built-in
    // calendar: Mon 17 (Independence Day) and Tue 25 (Maulid Nabi).
    // R1: received Fri 14, dispatched Tue 18 (1 working day: the 17th is a holiday),
    //     resolved Fri 21 (18, 19, 20, 21 = 4), due 28th: on time.
    set_dates(
        &app,
        s.r1,
        "2026-08-14 10:00",
        "2026-08-18 09:00",
        Some("2026-08-21 10:00"),
        "2026-08-28 23:59",
    )
    .await;
    // R3: received Wed 12, dispatched Thu 13 (1), resolved at DISHUB Wed 26 (13, 14, 18-21,
    //     24, 26 = 8), due 31st: on time.
    set_dates(
        &app,
        s.r3,
        "2026-08-12 10:00",
        "2026-08-13 09:00",
        Some("2026-08-26 10:00"),
        "2026-08-31 23:59",
    )
    .await;
    // R4: received Mon 10, dispatched the same day (0), resolved the second time Mon 24
    //     (11-14, 18-21, 24 = 9), due 20th: late.
    set_dates(
        &app,
        s.r4,
        "2026-08-10 10:00",
        "2026-08-10 15:00",
        Some("2026-08-24 10:00"),
        "2026-08-20 23:59",
    )
    .await;
    // R5: received Thu 20, dispatched Fri 21 (1), still open, and overdue now.
    set_dates(
        &app,
        s.r5,
        "2026-08-20 10:00",
        "2026-08-21 09:00",
        None,
        "2026-09-30 23:59",
    )
    .await;
    request::Entity::update_many()
        .col_expr(
            request::Column::StageDueAt,
            Expr::value(wita("2026-08-28 23:59")),
        )
        .filter(request::Column::Id.eq(s.r5))
        .exec(&app.store.writer)
        .await
        .unwrap();
    // R2: received and rejected Wed 19.
    request::Entity::update_many()
        .col_expr(
            request::Column::ReceivedAt,
            Expr::value(wita("2026-08-19 10:00")),
        )
        .col_expr(
            request::Column::ClosedAt,
            Expr::value(Some(wita("2026-08-19 14:00"))),
        )
        .filter(request::Column::Id.eq(s.r2))
        .exec(&app.store.writer)
        .await
        .unwrap();
    rebuild(&app).await;

    let aug = "dari=2026-08-01&sampai=2026-08-31";
    // DPUPR: R1, R4, R5. Verify days 1, 0, 1: median 1, p90 (rank ⌈2.7⌉ = 3) 1.
    // Resolve days 4 and 9: median 6.5, p90 (rank ⌈1.8⌉ = 2) 9. On time 1 of 2 = 50 %.
    assert_eq!(
        summary(&app, "/kinerja/dpupr", aug).await,
        ["3", "3", "2", "0", "1.0", "1", "6.5", "9", "50.0", "1", "-", "0", "0", "0"]
    );
    // DISHUB: R3 (forwarded to it, resolved there): 1 day, 8 days, on time.
    assert_eq!(
        summary(&app, "/kinerja/dishub", aug).await,
        ["1", "1", "1", "0", "1.0", "1", "8.0", "8", "100.0", "0", "-", "0", "0", "0"]
    );
    // Regency: five received, four verified (1, 0, 1, 1: median 1, p90 rank 4 → 1), three
    // resolved (4, 8, 9: median 8, p90 rank 3 → 9), two of three on time (66.7 %), one
    // rejected, one overdue.
    assert_eq!(
        summary(&app, "/kinerja", aug).await,
        ["5", "4", "3", "1", "1.0", "1", "8.0", "9", "66.7", "1", "-", "0", "0", "0"]
    );
    // August read as a whole month (the month rows) equals August inside longer periods,
    // read from day rows at their ends and month rows between (`Period::spans`).
    for (path, expected) in [
        ("/kinerja/dpupr", summary(&app, "/kinerja/dpupr", aug).await),
        (
            "/kinerja/dishub",
            summary(&app, "/kinerja/dishub", aug).await,
        ),
        ("/kinerja", summary(&app, "/kinerja", aug).await),
    ] {
        for around in [
            "dari=2026-07-15&sampai=2026-09-10",
            "dari=2026-08-10&sampai=2026-10-31",
            "dari=2025-11-01&sampai=2026-10-31",
            "dari=2026-08-01&sampai=2026-09-01",
        ] {
            assert_eq!(
                summary(&app, path, around).await,
                expected,
                "{path}?{around}"
            );
        }
    }
    // and a period that cuts August is read from day rows only, and sees only its days:
    // DPUPR from the 15th: R5 received (the 20th), R1 and R5 verified (18th, 21st), R1 and
    // R4 resolved (21st, 24th)
    let late_aug = summary(&app, "/kinerja/dpupr", "dari=2026-08-15&sampai=2026-08-31").await;
    assert_eq!(&late_aug[..4], ["1", "2", "2", "0"]);
    // By week at DPUPR: week of 10 Aug received R4 and R1; week of 17 Aug R5 and resolved
    // R1; week of 24 Aug resolved R4.
    let week_csv = app
        .get(&format!("/kinerja/dpupr?{aug}&csv=mingguan"))
        .await
        .text()
        .await
        .unwrap();
    let weeks: Vec<&str> = week_csv.lines().skip(1).collect();
    assert_eq!(
        weeks,
        [
            "2026-07-27,0,0,0,0",
            "2026-08-03,0,0,0,0",
            "2026-08-10,2,1,0,0",
            "2026-08-17,1,2,1,0",
            "2026-08-24,0,0,1,0",
            "2026-08-31,0,0,0,0",
        ]
    );
    // The page says which unit a forwarded request counts for.
    let (status, html) = app.get_html(&format!("/kinerja/dishub?{aug}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("unit penerusan terakhir"), "{html}");
    assert!(html.contains("role=\"img\""));
    assert!(!s.codes.is_empty());
}

/// The cells of a table on a page, row by row (tags stripped).
fn table_cells(html: &str, id: &str) -> Vec<Vec<String>> {
    let start = html
        .find(&format!("<table id=\"{id}\">"))
        .unwrap_or_else(|| panic!("table {id}"));
    let rest = &html[start..];
    let table = &rest[..rest.find("</table>").unwrap()];
    let body = &table[table.find("<tbody>").unwrap()..];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split(['<'])
                .filter_map(|part| {
                    let (tag, text) = part.split_once('>')?;
                    (tag.starts_with("td")
                        || tag.starts_with("th")
                        || tag.starts_with("a ")
                        || tag == "code")
                        .then(|| text.trim().to_string())
                })
                .filter(|t| !t.is_empty())
                .collect()
        })
        .collect()
}

async fn csv_matches_the_table_and_links_list_public_requests_only(app: TestApp) {
    let s = story(&app).await;
    for table in ["ringkasan", "mingguan", "bulanan", "layanan", "kecamatan"] {
        let (_, html) = app.get_html("/kinerja/dpupr?hari=30").await;
        let csv = app
            .get(&format!("/kinerja/dpupr?hari=30&csv={table}"))
            .await
            .text()
            .await
            .unwrap();
        let from_csv: Vec<Vec<String>> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        assert_eq!(
            table_cells(&html, &format!("t-{table}")),
            from_csv,
            "{table}"
        );
    }
    // The ranking lists both units, DISHUB (100 % on time, fewer days) as well as DPUPR.
    let (_, html) = app.get_html("/kinerja?hari=30").await;
    let ranking = table_cells(&html, "t-peringkat");
    assert!(ranking.iter().any(|r| r[0] == "Dinas PUPR"), "{ranking:?}");
    assert!(ranking.iter().any(|r| r[0] == "Dinas Perhubungan"));

    // "Received" at DPUPR counts R1, R4 and the rahasia R5; its link lists the public two.
    let (_, page) = app.get_html("/kinerja/dpupr?hari=30").await;
    let href = page
        .split("href=\"")
        .map(|h| {
            h.split('"')
                .next()
                .unwrap()
                .replace("&amp;", "&")
                .replace("&#38;", "&")
        })
        .find(|h| h.starts_with("/laporan?unit=dpupr&tahap=diterima"))
        .unwrap_or_else(|| {
            let i = page.find("unit=dpupr").unwrap_or(0);
            panic!(
                "a link from the figure: {}",
                &page[i.saturating_sub(200)..i + 100]
            )
        });
    let (status, list) = app.get_html(&href).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list.contains(&s.codes[0]) && list.contains(&s.codes[3]),
        "{list}"
    );
    assert!(!list.contains(&s.codes[4]), "rahasia never listed");
    assert!(!list.contains(&s.codes[2]), "forwarded away from DPUPR");
    assert!(list.contains(">2 "), "two found: {list}");
    // Resolved at DISHUB: R3.
    let (_, list) = app
        .get_html(&format!(
            "/laporan?unit=dishub&tahap=selesai&dari={}&sampai={}",
            (Utc::now() - chrono::Duration::days(2)).format("%Y-%m-%d"),
            (Utc::now() + chrono::Duration::days(2)).format("%Y-%m-%d")
        ))
        .await;
    assert!(list.contains(&s.codes[2]));
    assert!(!list.contains(&s.codes[0]));
    let (_, list) = app
        .get_html("/laporan?unit=dishub&tahap=selesai&dari=2020-01-01&sampai=2020-12-31")
        .await;
    assert!(!list.contains(&s.codes[2]), "resolved today, not in 2020");
    let _ = (s.r1, s.r2, s.r3, s.r4, s.r5);
    // An unknown unit is a 404; a silly period falls back to the default.
    assert_eq!(
        app.get("/kinerja/tidak-ada").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/kinerja?dari=kemarin&sampai=besok").await.status(),
        StatusCode::OK
    );
}

async fn leadership_dashboard_is_for_leaders_and_the_weekly_summary_is_emailed(app: TestApp) {
    let s = story(&app).await;
    // An overdue request with an assigned officer shows who holds it.
    app.create_user("petugas.pupr", "officer", "DPUPR", "petugas-pupr-1")
        .await;
    let r = app
        .post_form(
            "/staf/pengguna/baru",
            &[
                ("username", "bupati"),
                ("full_name", "Bupati Badung"),
                ("role", "leader"),
                ("unit_code", ""),
                ("email", "bupati@badungkab.go.id"),
                ("password", "bupati-badung-1"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    request::Entity::update_many()
        .col_expr(
            request::Column::StageDueAt,
            Expr::value(Utc::now() - chrono::Duration::days(3)),
        )
        .filter(request::Column::Id.eq(s.r5))
        .exec(&app.store.writer)
        .await
        .unwrap();
    app.logout().await;

    app.login("petugas.pupr", "petugas-pupr-1").await;
    assert_eq!(
        app.get("/staf/pimpinan").await.status(),
        StatusCode::FORBIDDEN
    );
    app.logout().await;

    app.login("bupati", "bupati-badung-1").await;
    let (status, html) = app.get_html("/staf/pimpinan?hari=30").await;
    assert_eq!(status, StatusCode::OK);
    let overdue = table_cells(&html, "t-overdue-units");
    assert_eq!(overdue, [["Dinas PUPR", "1"]]);
    let stuck = table_cells(&html, "t-stuck");
    assert!(stuck[0].contains(&s.codes[4]), "{stuck:?}");
    assert!(stuck[0].iter().any(|c| c.contains("Dinas PUPR")));
    // hot spots: all five requests are in Kuta Selatan (51.03.01) and on the map
    assert_eq!(table_cells(&html, "t-hot-districts")[0][1], "5");
    assert_eq!(html.matches("<circle").count(), 5);
    assert!(html.contains("id=\"silent-units\"") && html.contains("id=\"projects-behind\""));
    // without a tile server, no tiles and the CSP stays 'self'
    assert!(!html.contains("<image"));
    let csp = app.get("/staf/pimpinan").await;
    assert!(csp
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("img-src 'self' data:;"));
    let (status, weekly) = app.get_html("/staf/pimpinan/ringkasan").await;
    assert_eq!(status, StatusCode::OK);
    assert!(weekly.contains("data-print"));
    assert!(
        weekly.contains(&s.codes[4]),
        "overdue request in the summary"
    );
    app.logout().await;

    // The Monday job emails the leaders (and admins with an address) once per week.
    kotapintar_storage::jobs::enqueue(
        &app.store.writer,
        &kotapintar_jobs::Job::WeeklySummary,
        Utc::now(),
    )
    .await
    .unwrap();
    app.run_jobs().await;
    let to_bupati = mails_to(&app, "bupati@badungkab.go.id", 1).await;
    assert_eq!(to_bupati.len(), 1);
    let subject = to_bupati[0].subject().unwrap_or_default();
    assert!(subject.contains("Ringkasan kinerja mingguan"), "{subject}");
    let body = to_bupati[0].body();
    assert!(body.contains("Dinas PUPR: 1"), "{body}");
    // run again: nothing more is sent for the same week
    kotapintar_storage::jobs::enqueue(
        &app.store.writer,
        &kotapintar_jobs::Job::WeeklySummary,
        Utc::now(),
    )
    .await
    .unwrap();
    app.run_jobs().await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(mails_to(&app, "bupati@badungkab.go.id", 0).await.len(), 1);
    let _ = ADMIN_PASSWORD;
}

/// The messages that reached `to`, waiting up to ten seconds for at least `n`.
async fn mails_to(app: &TestApp, to: &str, n: usize) -> Vec<crate::smtp_sink::ReceivedMail> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let got: Vec<_> = app
            .mail
            .messages()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.contains(to)))
            .collect();
        if got.len() >= n || std::time::Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
