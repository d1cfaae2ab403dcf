//! Routing rules kept by Kominfo: a matching request is verified and dispatched at intake by
//! the rule (named on the timeline and in the audit log), rules are tried in order, counted,
//! checked, audited and testable on their page.

use crate::harness::{location, TestApp};
use kotapintar_domain::routing::rules::{Matches, Rule};
use kotapintar_storage::entity::{request, request_event, request_unit};
use kotapintar_storage::{routing_rules, units};
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

both_backends!(
    a_matching_rule_dispatches_at_intake_in_order_and_names_itself,
    rules_are_checked_audited_and_answer_which_unit_gets_a_request,
    a_request_no_unit_took_in_24_hours_goes_to_the_leadership_page,
);

/// Areas, two units and a service (of the first unit); the units' ids.
async fn setup(app: &TestApp) -> (i64, i64) {
    app.login_admin().await;
    app.import_areas().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.create_unit("DISHUB", "Dinas Perhubungan").await;
    let r = app
        .post_form(
            "/staf/layanan/baru",
            &[
                ("unit_code", "DPUPR"),
                ("code", "lampu-jalan"),
                ("name", "Lampu jalan mati"),
                ("kind", "pengaduan"),
                ("time_limit_days", "7"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = |code: &'static str| async move {
        units::find_by_code(&app.store.reader, code)
            .await
            .unwrap()
            .unwrap()
            .id
            .0
    };
    (id("DPUPR").await, id("DISHUB").await)
}

async fn add_rule(app: &TestApp, fields: &[(&str, &str)]) {
    let r = app.post_form("/staf/rute/aturan", fields).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    assert_eq!(location(&r), "/staf/rute/aturan?ok=rule_saved");
}

async fn rules(app: &TestApp) -> Vec<Rule> {
    routing_rules::all(&app.store.reader).await.unwrap()
}

/// Files a request through the public form; its id.
async fn file(app: &TestApp, extra: &[(&str, &str)]) -> i64 {
    let mut fields = vec![
        ("title", "Lampu jalan mati"),
        (
            "description",
            "Lampu jalan di depan balai banjar mati sejak seminggu",
        ),
        ("email", "warga@contoh.id"),
        ("confirm_new", "1"),
    ];
    fields.extend_from_slice(extra);
    let r = app.file_request(&fields, &[]).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let (code, _) = TestApp::filed(&r);
    app.request_id(&code).await
}

async fn row(app: &TestApp, id: i64) -> request::Model {
    request::Entity::find_by_id(id)
        .one(&app.store.reader)
        .await
        .unwrap()
        .unwrap()
}

async fn events(app: &TestApp, id: i64) -> Vec<request_event::Model> {
    request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(id))
        .order_by_asc(request_event::Column::Id)
        .all(&app.store.reader)
        .await
        .unwrap()
}

async fn handling(app: &TestApp, id: i64) -> Vec<i64> {
    request_unit::Entity::find()
        .filter(request_unit::Column::RequestId.eq(id))
        .filter(request_unit::Column::Active.eq(true))
        .all(&app.store.reader)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.unit_id)
        .collect()
}

/// The cell of a rule's "routed" count on the rules page.
fn routed_on_page(html: &str, rule: i64) -> String {
    let row = html
        .split(&format!("id=\"rule-{rule}\""))
        .nth(1)
        .and_then(|r| r.split("</tr>").next())
        .unwrap_or_else(|| panic!("rule {rule} listed: {html}"));
    row.split("<td class=\"num\">")
        .nth(1)
        .and_then(|c| c.split("</td>").next())
        .unwrap_or_default()
        .to_string()
}

async fn a_matching_rule_dispatches_at_intake_in_order_and_names_itself(app: TestApp) {
    let (pupr, dishub) = setup(&app).await;
    let service = kotapintar_storage::services::find_by_code(&app.store, "lampu-jalan")
        .await
        .unwrap()
        .unwrap()
        .id;
    let service = service.to_string();
    let (pupr_s, dishub_s) = (pupr.to_string(), dishub.to_string());
    // street lights in Mengwi go to the transport office; other complaints to public works;
    // an inactive rule tried first never routes anything
    add_rule(
        &app,
        &[
            ("position", "20"),
            ("kind", "pengaduan"),
            ("unit_id", &pupr_s),
            ("active", "on"),
        ],
    )
    .await;
    add_rule(
        &app,
        &[
            ("position", "10"),
            ("service_id", &service),
            ("district_code", "51.03.02"),
            ("unit_id", &dishub_s),
            ("note", "PJU Mengwi dikelola Dishub"),
            ("active", "on"),
        ],
    )
    .await;
    add_rule(
        &app,
        &[
            ("position", "1"),
            ("kind", "aspirasi"),
            ("unit_id", &dishub_s),
        ],
    )
    .await;
    let all = rules(&app).await;
    let mut created = all.clone();
    created.sort_by_key(|r| r.id);
    let (general, lights, inactive) = (created[0].clone(), created[1].clone(), created[2].clone());
    assert_eq!(lights.matches, Matches::Service(service.parse().unwrap()));
    assert!(!inactive.active);
    assert_eq!(
        all.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![inactive.id, lights.id, general.id],
        "listed in the order they are tried"
    );
    app.logout().await;

    // a street light in Mengwi: the lights rule (10) comes before the general one (20)
    let a = file(
        &app,
        &[
            ("kind", "pengaduan"),
            ("service_code", "lampu-jalan"),
            ("district_code", "51.03.02"),
        ],
    )
    .await;
    let ra = row(&app, a).await;
    assert_eq!(ra.status, "didisposisikan");
    assert_eq!(handling(&app, a).await, vec![dishub]);
    assert!(ra.resolve_due_at.is_some() && ra.stage_due_at.is_some());
    let ev = events(&app, a).await;
    let steps: Vec<(&str, &str, &str)> = ev
        .iter()
        .map(|e| (e.step.as_str(), e.to_status.as_str(), e.actor.as_str()))
        .collect();
    let by = format!("system:rule:{}", lights.id);
    assert_eq!(
        steps,
        vec![
            ("submit", "diterima", "pelapor"),
            ("verify", "diverifikasi", by.as_str()),
            ("dispatch", "didisposisikan", by.as_str()),
        ]
    );
    assert_eq!(ev[2].unit_id, Some(dishub));
    assert!(ev[1..]
        .iter()
        .all(|e| !e.note_public && e.public_note.is_none()));

    // the audit log names the rule for both steps
    let audit =
        kotapintar_storage::audit::recent(&app.store, Some(("request", &a.to_string())), 20)
            .await
            .unwrap();
    for step in ["request.verify", "request.dispatch"] {
        let e = audit
            .iter()
            .find(|e| e.action == step)
            .unwrap_or_else(|| panic!("{step} audited: {audit:?}"));
        assert_eq!(e.actor, by);
        let after: serde_json::Value = serde_json::from_str(e.after.as_deref().unwrap()).unwrap();
        assert_eq!(after["rule_id"], lights.id);
    }

    // the reporter is told it was received, then where it went: two emails, no more
    let jobs = kotapintar_storage::jobs::pending(&app.store).await.unwrap();
    let to_reporter = jobs
        .iter()
        .filter(|j| j.kind == "notify.email" && j.payload.contains("warga@contoh.id"))
        .count();
    assert_eq!(to_reporter, 2, "{jobs:?}");

    // the same service elsewhere, and a complaint without one: the general rule
    let b = file(
        &app,
        &[("kind", "pengaduan"), ("district_code", "51.03.01")],
    )
    .await;
    assert_eq!(row(&app, b).await.status, "didisposisikan");
    assert_eq!(handling(&app, b).await, vec![pupr]);
    let c = file(
        &app,
        &[("kind", "pengaduan"), ("service_code", "lampu-jalan")],
    )
    .await;
    assert_eq!(
        handling(&app, c).await,
        vec![pupr],
        "no place: not Mengwi's rule"
    );
    assert_eq!(
        routing_rules::routed_by(&app.store, c).await.unwrap(),
        Some(general.id)
    );

    // a suggestion matched only by the inactive rule waits for the desk, untouched
    let d = file(&app, &[("kind", "aspirasi"), ("district_code", "51.03.02")]).await;
    let rd = row(&app, d).await;
    assert_eq!(rd.status, "diterima");
    assert!(handling(&app, d).await.is_empty());
    assert_eq!(events(&app, d).await.len(), 1);
    assert_eq!(routing_rules::routed_by(&app.store, d).await.unwrap(), None);

    // the rules page counts each rule's requests over 90 days
    app.login_admin().await;
    let (status, html) = app.get_html("/staf/rute/aturan").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(routed_on_page(&html, lights.id), "1");
    assert_eq!(routed_on_page(&html, general.id), "2");
    assert_eq!(routed_on_page(&html, inactive.id), "0");
    assert!(html.contains("PJU Mengwi dikelola Dishub"));

    // the staff queue shows the request as dispatched, with its unit
    let (_, staff) = app.get_html(&format!("/staf/laporan/{a}")).await;
    assert!(staff.contains("Dinas Perhubungan"), "{staff}");

    // the public sees the status, never the rule
    let public = reqwest::get(app.url(&format!("/laporan/{}", ra.tracking_code)))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(public.contains(&ra.tracking_code));
    assert!(
        !public.contains("system:rule") && !public.contains("aturan rute"),
        "{public}"
    );
}

async fn rules_are_checked_audited_and_answer_which_unit_gets_a_request(app: TestApp) {
    let (pupr, dishub) = setup(&app).await;
    let (pupr_s, dishub_s) = (pupr.to_string(), dishub.to_string());

    // every problem at once, the input kept, nothing stored
    let r = app
        .post_form(
            "/staf/rute/aturan",
            &[
                ("position", "satu"),
                ("kind", "pengaduan"),
                ("service_id", "1"),
                ("district_code", "51.03.02"),
                ("village_code", "51.03.01.2001"),
                ("note", "catatan yang disimpan"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    for text in [
        "Urutan harus bilangan bulat",
        "salah satu saja",
        "tidak berada di kecamatan",
        "catatan yang disimpan",
        "id=\"error-summary\"",
    ] {
        assert!(html.contains(text), "{text}: {html}");
    }
    // what only the database knows: the area exists in this regency, the unit exists
    let r = app
        .post_form(
            "/staf/rute/aturan",
            &[
                ("kind", "pengaduan"),
                ("district_code", "51.71.01"),
                ("unit_id", "99999"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Wilayah ini tidak ada di kabupaten ini."),
        "{html}"
    );
    assert!(rules(&app).await.is_empty());

    // a good rule: stored and audited by the admin
    add_rule(
        &app,
        &[
            ("position", "5"),
            ("kind", "pengaduan"),
            ("district_code", "51.03.02"),
            ("village_code", "51.03.02.2001"),
            ("unit_id", &pupr_s),
            ("active", "on"),
        ],
    )
    .await;
    let rule = rules(&app).await.remove(0);
    assert_eq!(rule.area.as_ref().unwrap().as_str(), "51.03.02.2001");
    let audit = kotapintar_storage::audit::recent(
        &app.store,
        Some(("routing_rule", &rule.id.to_string())),
        10,
    )
    .await
    .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].action.as_str(), audit[0].actor.as_str()),
        ("routing_rule.create", "admin")
    );

    // which unit gets a complaint in that desa? in another one?
    let ask = |q: &'static str| {
        let app = &app;
        async move {
            let (status, html) = app.get_html(&format!("/staf/rute/aturan?uji=1&{q}")).await;
            assert_eq!(status, StatusCode::OK);
            html.split("id=\"rule-answer\"")
                .nth(1)
                .and_then(|a| a.split("</p>").next())
                .map(str::to_string)
        }
    };
    let yes = ask("jenis=pengaduan&kecamatan=51.03.02&desa=51.03.02.2001")
        .await
        .expect("an answer");
    assert!(
        yes.contains("Dinas PUPR") && yes.contains(&format!("#{}", rule.id)),
        "{yes}"
    );
    let no = ask("jenis=pengaduan&kecamatan=51.03.02&desa=51.03.02.2002")
        .await
        .expect("an answer");
    assert!(no.contains("menunggu meja verifikasi"), "{no}");
    let no = ask("jenis=aspirasi&kecamatan=51.03.02&desa=51.03.02.2001")
        .await
        .unwrap();
    assert!(no.contains("menunggu meja verifikasi"), "{no}");
    // a bad question is answered with its problem, not with a guess
    assert!(ask("jenis=banjir").await.is_none());
    let (_, html) = app.get_html("/staf/rute/aturan?uji=1&jenis=banjir").await;
    assert!(html.contains("Pilihan tidak dikenal."), "{html}");

    // editing: the form shows the rule; a change is audited with before and after
    let (status, html) = app
        .get_html(&format!("/staf/rute/aturan/{}", rule.id))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("value=\"51.03.02.2001\""), "{html}");
    let r = app
        .post_form(
            &format!("/staf/rute/aturan/{}", rule.id),
            &[("position", "7"), ("kind", "pengaduan"), ("unit_id", "")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_form(
            &format!("/staf/rute/aturan/{}", rule.id),
            &[
                ("position", "7"),
                ("kind", "pengaduan"),
                ("district_code", "51.03.02"),
                ("unit_id", &dishub_s),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/staf/rute/aturan?ok=rule_saved");
    let changed = routing_rules::get(&app.store, rule.id).await.unwrap();
    assert_eq!((changed.position, changed.unit.0), (7, dishub));
    assert_eq!(changed.area.unwrap().as_str(), "51.03.02");
    let audit = kotapintar_storage::audit::recent(
        &app.store,
        Some(("routing_rule", &rule.id.to_string())),
        10,
    )
    .await
    .unwrap();
    let update = &audit[0];
    assert_eq!(update.action, "routing_rule.update");
    assert!(update
        .before
        .as_deref()
        .unwrap()
        .contains(&format!("\"unit_id\":{pupr}")));
    assert!(update
        .after
        .as_deref()
        .unwrap()
        .contains(&format!("\"unit_id\":{dishub}")));
    let yes = ask("jenis=pengaduan&kecamatan=51.03.02&desa=51.03.02.2002")
        .await
        .unwrap();
    assert!(yes.contains("Dinas Perhubungan"), "{yes}");

    // an unknown rule is not found
    let (status, _) = app.get_html("/staf/rute/aturan/424242").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// The sweep as it runs `hours` from now.
async fn sweep_in(app: &TestApp, hours: i64) -> kotapintar_storage::requests::SweepSummary {
    let calendar = kotapintar_storage::holidays::calendar(&app.store)
        .await
        .unwrap();
    kotapintar_storage::requests::sweep(
        &app.store,
        &app.settings.rules,
        &calendar,
        chrono::Utc::now() + chrono::Duration::hours(hours),
    )
    .await
    .unwrap()
}

async fn a_request_no_unit_took_in_24_hours_goes_to_the_leadership_page(app: TestApp) {
    let (_, _) = setup(&app).await;
    assert_eq!(app.settings.rules.untaken_hours, 24, "the default");
    app.logout().await;
    let waiting = file(
        &app,
        &[("kind", "pengaduan"), ("district_code", "51.03.02")],
    )
    .await;
    let taken = file(
        &app,
        &[("kind", "pengaduan"), ("district_code", "51.03.01")],
    )
    .await;
    app.login_admin().await;
    // one is dispatched but not started, the other is taken (work started)
    app.dispatch(waiting, "DPUPR").await;
    app.dispatch(taken, "DPUPR").await;
    let r = app
        .post_form(
            &format!("/staf/laporan/{taken}/aksi"),
            &[("action", "start")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // 23 hours on: nothing yet
    assert_eq!(sweep_in(&app, 23).await.untaken, 0);
    let (_, html) = app.get_html("/staf/pimpinan").await;
    assert!(!html.contains("id=\"t-untaken\""), "{html}");

    // 25 hours on: the waiting one goes up, once
    assert_eq!(sweep_in(&app, 25).await.untaken, 1);
    assert_eq!(sweep_in(&app, 26).await.untaken, 0, "escalated once");
    let code = row(&app, waiting).await.tracking_code;
    let (status, html) = app.get_html("/staf/pimpinan").await;
    assert_eq!(status, StatusCode::OK);
    let table = html
        .split("id=\"t-untaken\"")
        .nth(1)
        .and_then(|t| t.split("</table>").next())
        .expect("the untaken table");
    assert!(table.contains(&code), "{table}");
    assert!(!table.contains(&row(&app, taken).await.tracking_code));
    let ev = events(&app, waiting).await;
    let last = ev.last().unwrap();
    assert_eq!(
        (last.step.as_str(), last.actor.as_str()),
        ("escalate", "system:sweep")
    );
    assert_eq!(last.to_status, "didisposisikan", "the status stays");
    assert!(!last.note_public);
    let audit =
        kotapintar_storage::audit::recent(&app.store, Some(("request", &waiting.to_string())), 5)
            .await
            .unwrap();
    assert!(audit[0]
        .after
        .as_deref()
        .unwrap()
        .contains("\"untaken_hours\":24"));

    // once a unit takes it, it leaves the page
    let r = app
        .post_form(
            &format!("/staf/laporan/{waiting}/aksi"),
            &[("action", "start")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, html) = app.get_html("/staf/pimpinan").await;
    assert!(!html.contains("id=\"t-untaken\""));
    assert!(html.contains("Tidak ada laporan yang menunggu unit"));
}
