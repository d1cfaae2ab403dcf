//! Routing suggestions: learned from a generated history of dispatched requests (texts with
//! shared words, typos and vague ones), evaluated on a held-out newer part, shown on the desk,
//! accepted or overridden with the choice recorded, and counted on the leadership page.

use crate::harness::{location, TestApp};
use chrono::{Duration, Utc};
use kotapintar_domain::ids::{RequestId, UnitId};
use kotapintar_domain::intake::NewRequest;
use kotapintar_domain::privacy::ReporterContact;
use kotapintar_domain::region::RegionCode;
use kotapintar_domain::request::{RequestKind, Status};
use kotapintar_domain::routing::synthetic::{history, UNITS};
use kotapintar_storage::requests::{self, HistoricalRequest};
use kotapintar_storage::{routing, units};
use reqwest::StatusCode;

both_backends!(
    a_held_out_newer_part_is_routed_far_better_than_the_majority_baseline,
    the_desk_accepts_or_overrides_a_suggestion_and_both_are_recorded,
);

/// Creates the generated regency's units; their ids, in the order of `UNITS`.
async fn units_of(app: &TestApp) -> Vec<UnitId> {
    let mut ids = Vec::new();
    for u in &UNITS {
        app.create_unit(u.code, u.name).await;
        let found = units::find_by_code(&app.store.reader, u.code)
            .await
            .unwrap()
            .unwrap();
        ids.push(found.id);
    }
    ids
}

/// Imports `n` generated dispatched requests, one every 3 hours up to now: the newest 30 days
/// hold the last 240 of them.
async fn import_history(app: &TestApp, ids: &[UnitId], n: usize) {
    let every = Duration::hours(3);
    let start = Utc::now() - every * n as i32;
    for (i, e) in history(n, 42, start, every, ids).into_iter().enumerate() {
        let h = HistoricalRequest {
            source_id: format!("gen-{i}"),
            request: NewRequest {
                kind: RequestKind::Pengaduan,
                service_code: None,
                title: e.title,
                description: e.description,
                latitude: None,
                longitude: None,
                location_address: None,
                district_code: e.district.as_deref().map(|d| RegionCode::parse(d).unwrap()),
                village_code: None,
                contact: ReporterContact::default(),
                anonymous: true,
                confidential: false,
                answers: Vec::new(),
                chat: None,
            },
            status: Status::Ditutup,
            received_at: e.at,
            resolved_at: Some(e.at),
            response: None,
        };
        let imported =
            requests::import_historical(&app.store, &app.settings.rules, e.unit, h).await;
        assert!(imported.as_ref().is_ok_and(|new| *new), "{imported:?}");
    }
}

async fn a_held_out_newer_part_is_routed_far_better_than_the_majority_baseline(app: TestApp) {
    app.login_admin().await;
    app.import_areas().await;
    let ids = units_of(&app).await;
    import_history(&app, &ids, 1_200).await;
    // what `kotapintar routing evaluate --days 30` computes and prints
    let ev = kotapintar::commands::routing::evaluation(&app.store, 30)
        .await
        .unwrap()
        .expect("a history to train on");
    assert_eq!(ev.trained + ev.tested, 1_200);
    assert!((230..=250).contains(&ev.tested), "tested {}", ev.tested);
    let (top1, top3, base) = (ev.top1_share(), ev.top3_share(), ev.baseline_share());
    assert_eq!(ev.majority, Some(ids[0]), "the busiest unit");
    assert!(top1 > base + 0.25, "top-1 {top1} vs baseline {base}");
    assert!(top3 > top1 && top3 > 0.8, "top-3 {top3}");
    assert!(
        top1 < 0.98,
        "top-1 {top1}: the generated history is too easy"
    );
}

async fn the_desk_accepts_or_overrides_a_suggestion_and_both_are_recorded(app: TestApp) {
    app.login_admin().await;
    app.import_areas().await;
    let ids = units_of(&app).await;
    import_history(&app, &ids, 600).await;
    // no model yet: the desk sees no suggestion, and the page says there is none
    let (_, html) = app.get_html("/staf/rute").await;
    assert!(html.contains("Belum ada model"), "{html}");

    // Kominfo asks for a training; it runs in the job queue, is audited and stored
    let r = app.post_form("/staf/rute/latih", &[]).await;
    assert_eq!(location(&r), "/staf/rute?ok=training_queued");
    let (_, html) = app.get_html("/staf/rute").await;
    assert!(html.contains("Pelatihan sedang dijadwalkan"), "{html}");
    let turns = app.run_jobs().await;
    let failed = kotapintar_storage::jobs::pending(&app.store).await.unwrap();
    assert!(
        turns.iter().any(|t| matches!(t, kotapintar_jobs::Turn::Ran { kind, ok: true } if kind == "routing.train")),
        "{turns:?} {:?}",
        failed.iter().map(|j| &j.last_error).collect::<Vec<_>>()
    );
    let info = routing::latest_info(&app.store).await.unwrap().unwrap();
    assert_eq!(info.examples, 600);
    assert_eq!(info.units, UNITS.len() as i32);
    assert_eq!(info.requested_by, "admin");
    let (_, html) = app.get_html("/staf/rute").await;
    assert!(
        html.contains("id=\"routing-model\"") && html.contains(">600<"),
        "{html}"
    );

    // a new complaint about rubbish: the desk is shown the environment office first
    let dlh = ids[2];
    let id = file(
        &app,
        "Sampah menumpuk",
        "Sampah di TPS dekat rumah menumpuk dan bau",
    )
    .await;
    let (status, html) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let shown = routing::suggest(&app.store, &routing::ModelCache::default(), RequestId(id))
        .await
        .unwrap()
        .expect("suggestions")
        .1;
    assert_eq!(shown.len(), 3);
    assert_eq!(shown[0].unit, dlh, "{shown:?}");
    let panel = html.split("id=\"suggestions\"").nth(1).expect("the panel");
    let first = panel.find(UNITS[2].name).expect("DLH shown");
    let second = panel
        .find(&name_of(&shown[1].unit, &ids))
        .expect("second shown");
    assert!(first < second, "best first");
    assert!(panel.contains(&format!("{}%", shown[0].percent())));

    // one click on the first suggestion dispatches there, and the choice is recorded
    let r = app
        .post_form(
            &format!("/staf/laporan/{id}/aksi"),
            &[("action", "dispatch"), ("units", &dlh.0.to_string())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let choices = routing::choices_of(&app.store, RequestId(id))
        .await
        .unwrap();
    assert_eq!(choices.len(), 1);
    assert_eq!((choices[0].chosen, choices[0].rank), (dlh, Some(1)));
    assert_eq!(choices[0].model_id, info.id);
    assert_eq!(choices[0].shown, shown);
    let (_, html) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert!(html.contains("Saran dipilih, urutan 1"), "{html}");
    assert!(
        !html.contains("id=\"suggestions\""),
        "dispatched: no more suggestions"
    );

    // another: the desk knows better and sends it to a unit that was not suggested
    let id2 = file(
        &app,
        "Sampah menumpuk",
        "Sampah menumpuk di halaman sekolah",
    )
    .await;
    let shown2 = routing::suggest(&app.store, &routing::ModelCache::default(), RequestId(id2))
        .await
        .unwrap()
        .unwrap()
        .1;
    let other = *ids
        .iter()
        .find(|u| shown2.iter().all(|s| s.unit != **u))
        .unwrap();
    let r = app
        .post_form(
            &format!("/staf/laporan/{id2}/aksi"),
            &[("action", "dispatch"), ("units", &other.0.to_string())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let c = routing::choices_of(&app.store, RequestId(id2))
        .await
        .unwrap();
    assert_eq!((c[0].chosen, c[0].rank), (other, None));
    let (_, html) = app.get_html(&format!("/staf/laporan/{id2}")).await;
    assert!(html.contains("Saran tidak dipakai"), "{html}");

    // both are in the audit log, by the admin
    let audit = kotapintar_storage::audit::recent(&app.store, None, 50)
        .await
        .unwrap();
    let has = |what: &str, rid: i64| {
        audit
            .iter()
            .any(|e| e.action == what && e.entity_id == rid.to_string() && e.actor == "admin")
    };
    assert!(has("routing.suggestion_accepted", id) && has("routing.suggestion_overridden", id2));

    // the accuracy over 90 days: 1 of 2 first, 1 of 2 among three
    let acc = routing::accuracy(&app.store, Utc::now() - Duration::days(90))
        .await
        .unwrap();
    assert_eq!((acc.decided, acc.top1, acc.top3), (2, 1, 1));
    let (_, lead) = app.get_html("/staf/pimpinan").await;
    let section = lead
        .split("id=\"routing-accuracy\"")
        .nth(1)
        .expect("on the leadership page");
    assert!(section.contains("50%"), "{section}");

    // the public never sees any of it
    use sea_orm::EntityTrait;
    let row = kotapintar_storage::entity::request::Entity::find_by_id(id)
        .one(&app.store.reader)
        .await
        .unwrap()
        .unwrap();
    let public = reqwest::get(app.url(&format!("/laporan/{}", row.tracking_code)))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(public.contains(&row.tracking_code));
    assert!(
        !public.contains("Saran unit") && !public.contains("suggestion"),
        "{public}"
    );
}

fn name_of(unit: &UnitId, ids: &[UnitId]) -> String {
    let i = ids.iter().position(|u| u == unit).unwrap();
    UNITS[i].name.to_string()
}

/// Files a complaint in Kuta through the public form; its id.
async fn file(app: &TestApp, title: &str, description: &str) -> i64 {
    let r = app
        .file_request(
            &[
                ("kind", "pengaduan"),
                ("title", title),
                ("description", description),
                ("district_code", "51.03.02"),
                ("anonymous", "on"),
                ("confirm_new", "1"),
            ],
            &[],
        )
        .await;
    if r.status() != StatusCode::SEE_OTHER {
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        let h1 = body
            .split("<h1")
            .nth(1)
            .unwrap_or("")
            .chars()
            .take(300)
            .collect::<String>();
        let errors: Vec<&str> = body
            .match_indices("class=\"error")
            .map(|(i, _)| &body[i..(i + 300).min(body.len())])
            .collect();
        panic!("filing refused: {status} {h1} {errors:?}");
    }
    let (code, _) = TestApp::filed(&r);
    app.request_id(&code).await
}

/// The desk's journey in a real browser: a verifier opens a new request, sees the three
/// suggested units with their confidence, and dispatches with one click on the first.
mod journey {
    use crate::browser::{body_text, click_and_wait, login, Browser};
    use crate::harness::TestApp;
    use fantoccini::Locator;
    use kotapintar_domain::routing::synthetic::UNITS;
    use kotapintar_storage::routing;

    both_backends!(the_desk_sees_and_accepts_a_suggestion);

    async fn the_desk_sees_and_accepts_a_suggestion(app: TestApp) {
        app.login_admin().await;
        app.import_areas().await;
        let ids = super::units_of(&app).await;
        super::import_history(&app, &ids, 400).await;
        routing::train(&app.store, "test").await.unwrap();
        app.create_user("verifikator", "verifier", "", "verifikator-123")
            .await;
        let id = super::file(&app, "Sampah menumpuk", "Sampah di TPS menumpuk dan bau").await;
        app.logout().await;

        let b = Browser::start().await;
        let c = &b.client;
        login(c, &app, "verifikator", "verifikator-123").await;
        c.goto(&app.url(&format!("/staf/laporan/{id}")))
            .await
            .unwrap();
        let items = c.find_all(Locator::Css("#suggestions li")).await.unwrap();
        assert_eq!(items.len(), 3);
        let first = items[0].text().await.unwrap();
        assert!(
            first.contains(UNITS[2].name) && first.contains('%'),
            "{first}"
        );
        click_and_wait(c, Locator::Css("#suggestions li:first-child button")).await;
        let text = body_text(c).await;
        assert!(text.contains("Langkah tersimpan"), "{text}");
        assert!(text.contains("Saran dipilih, urutan 1"), "{text}");
        let choice = &routing::choices_of(&app.store, kotapintar_domain::ids::RequestId(id))
            .await
            .unwrap()[0];
        assert_eq!((choice.chosen, choice.rank), (ids[2], Some(1)));
        // the request landed in that unit: dispatched, and the unit's handling it
        use kotapintar_storage::entity::{request, request_unit};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let row = request::Entity::find_by_id(id)
            .one(&app.store.reader)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.status, "didisposisikan");
        let handling: Vec<i64> = request_unit::Entity::find()
            .filter(request_unit::Column::RequestId.eq(id))
            .filter(request_unit::Column::Active.eq(true))
            .all(&app.store.reader)
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.unit_id)
            .collect();
        assert_eq!(handling, vec![ids[2].0]);
        let users = kotapintar_storage::users::list(&app.store, None)
            .await
            .unwrap();
        let verifier = users
            .iter()
            .find(|u| u.username.as_str() == "verifikator")
            .unwrap();
        assert_eq!(choice.decided_by, verifier.id.0);
    }
}
