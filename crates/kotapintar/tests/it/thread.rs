//! The request's thread by email and on the private link (issue 20, "two ways"): staff write
//! to a reporter who gave an email, the message reaches the SMTP sink, the reporter answers
//! on their private link, and staff read both in order; who may write, and a reporter who
//! left no contact. The chat halves are in channels.rs and channels_whatsapp.rs.

use crate::harness::TestApp;
use kotapintar_storage::entity::request_message;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::time::Duration;

both_backends!(
    a_staff_reply_reaches_the_email_and_the_answer_comes_back_by_the_private_link,
    a_reporter_without_contact_cannot_be_written_to,
);

const FORM: &[(&str, &str)] = &[
    ("kind", "pengaduan"),
    ("title", "Saluran air tersumbat"),
    (
        "description",
        "Saluran air di depan balai banjar tersumbat sampah, air meluap ke jalan.",
    ),
    ("district_code", "51.03.01"),
    ("village_code", "51.03.01.1002"),
    ("location_address", "Jl. Raya Kuta depan balai banjar"),
    ("confirm_new", "1"),
];

async fn file(app: &TestApp, extra: &[(&str, &str)]) -> (String, String) {
    let mut fields = FORM.to_vec();
    fields.extend_from_slice(extra);
    let r = app.file_request(&fields, &[]).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    TestApp::filed(&r)
}

async fn thread_of(app: &TestApp, id: i64) -> Vec<request_message::Model> {
    request_message::Entity::find()
        .filter(request_message::Column::RequestId.eq(id))
        .all(&app.store.reader)
        .await
        .unwrap()
}

async fn units_and_officers(app: &TestApp) {
    app.import_areas().await;
    app.login_admin().await;
    app.create_unit("DPUPR", "Dinas PUPR").await;
    app.create_unit("DISHUB", "Dinas Perhubungan").await;
    app.create_user("petugas.pupr", "officer", "DPUPR", "petugas-pupr-1")
        .await;
    app.create_user("petugas.dishub", "officer", "DISHUB", "petugas-dishub-1")
        .await;
    app.logout().await;
}

async fn a_staff_reply_reaches_the_email_and_the_answer_comes_back_by_the_private_link(
    app: TestApp,
) {
    units_and_officers(&app).await;
    let (code, token) = file(&app, &[("email", "warga.banjar@contoh.id")]).await;
    let id = app.request_id(&code).await;
    app.login_admin().await;
    app.dispatch(id, "DPUPR").await;
    app.logout().await;
    app.run_jobs().await;
    let before = app.mail.wait_for(2, Duration::from_secs(10)).await.len();

    // an officer of another unit may not write, and learns nothing
    app.login("petugas.dishub", "petugas-dishub-1").await;
    let path = format!("/staf/laporan/{id}/balas");
    let r = app.post_form(&path, &[("message", "Halo")]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.logout().await;

    app.login("petugas.pupr", "petugas-pupr-1").await;
    let (_, page) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert!(page.contains("Dikirim lewat email"), "the way it will go");
    // too long: the field is named, what was typed is kept, nothing is stored or sent
    let long = "panjang ".repeat(300);
    let r = app.post_form(&path, &[("message", &long)]).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"e-message\"") && html.contains("panjang panjang"));
    assert!(thread_of(&app, id).await.is_empty());
    let question = "Apakah sampahnya masih menumpuk hari ini? Tim kami datang Kamis pagi.";
    let r = app.post_form(&path, &[("message", question)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    app.logout().await;
    app.run_jobs().await;
    let mails = app.mail.wait_for(before + 1, Duration::from_secs(10)).await;
    assert_eq!(mails.len(), before + 1, "one email");
    let mail = mails.last().unwrap();
    assert_eq!(mail.to, vec!["warga.banjar@contoh.id".to_string()]);
    assert!(mail.subject().unwrap().contains(&code));
    let body = mail.body();
    assert!(body.contains(question), "{body}");
    assert!(
        !body.contains("petugas.pupr"),
        "the officer's account stays internal"
    );

    // the reporter reads it on the private link and answers there
    let follow = format!("/laporan/{code}/ikuti/{token}");
    let (_, mine) = app.get_html(&follow).await;
    assert!(mine.contains(question));
    let r = app
        .post_form(&format!("{follow}/balas"), &[("message", "  ")])
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "empty");
    let answer = "Masih menumpuk, makin tinggi setelah hujan semalam.";
    let r = app
        .post_form(&format!("{follow}/balas"), &[("message", answer)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // a wrong token writes nothing
    let r = app
        .post_form(
            &format!("/laporan/{code}/ikuti/{}/balas", "0".repeat(token.len())),
            &[("message", "palsu")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let thread = thread_of(&app, id).await;
    let lines: Vec<(&str, &str, &str, &str)> = thread
        .iter()
        .map(|m| {
            (
                m.direction.as_str(),
                m.via.as_str(),
                m.author_name.as_str(),
                m.body.as_str(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            ("to_reporter", "email", "petugas.pupr", question),
            ("from_reporter", "web", "pelapor", answer),
        ]
    );
    app.login("petugas.pupr", "petugas-pupr-1").await;
    let (_, page) = app.get_html(&format!("/staf/laporan/{id}")).await;
    let (q, a) = (page.find(question).unwrap(), page.find(answer).unwrap());
    assert!(q < a, "in order");
    app.logout().await;
    // the desk of another unit's officer does not see the request, nor its thread
    app.login("petugas.dishub", "petugas-dishub-1").await;
    let (s, page) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(!page.contains(answer));
    app.logout().await;
    let (_, public) = app.get_html(&format!("/laporan/{code}")).await;
    assert!(!public.contains(question) && !public.contains(answer));
}

async fn a_reporter_without_contact_cannot_be_written_to(app: TestApp) {
    units_and_officers(&app).await;
    let (code, _) = file(&app, &[("anonymous", "on")]).await;
    let id = app.request_id(&code).await;
    app.login_admin().await;
    let (_, page) = app.get_html(&format!("/staf/laporan/{id}")).await;
    assert!(page.contains("Pelapor tidak meninggalkan kontak"));
    let r = app
        .post_form(
            &format!("/staf/laporan/{id}/balas"),
            &[("message", "Mohon info tambahan")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Pelapor tidak meninggalkan kontak: pesan tidak dapat dikirim."));
    assert!(
        html.contains("Mohon info tambahan"),
        "what was typed is kept"
    );
    assert!(thread_of(&app, id).await.is_empty());
    let queued = kotapintar_storage::jobs::pending(&app.store).await.unwrap();
    assert!(
        !queued
            .iter()
            .any(|j| j.payload.contains("Mohon info tambahan")),
        "nothing queued"
    );
}
