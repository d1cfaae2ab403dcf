//! Issue 23: public pages kept rendered. An anonymous visitor's request page comes from the
//! cache (the same page twice, with an `ETag` answered 304), yet a staff step shows on the
//! next read, on this node at once and on another node within a second; and no visitor is
//! ever given another's CSRF token from a kept page.

use crate::harness::TestApp;
use reqwest::header::{ETAG, IF_NONE_MATCH};
use reqwest::StatusCode;
use std::time::{Duration, Instant};

both_backends!(a_kept_page_changes_with_the_step_that_changed_it);

async fn a_kept_page_changes_with_the_step_that_changed_it(app: TestApp) {
    follows_changes(&app, &app).await;
}

const UNIT: &str = "Dinas Pekerjaan Umum";

/// A page read (and kept) on `reader`, a staff step on `staff`: `reader`'s page shows it
/// within a second. `staff` and `reader` may be the same node.
pub async fn follows_changes(staff: &TestApp, reader: &TestApp) {
    staff.import_areas().await;
    staff.login_admin().await;
    staff.create_unit("DPUPR", UNIT).await;
    // filed by an anonymous visitor of the reading node, who then reads it
    let (visitor, _) = reader.new_visitor();
    let filed = reader
        .file_request(
            &[
                ("kind", "pengaduan"),
                ("title", "Selokan meluap di Jalan Gajah Mada"),
                (
                    "description",
                    "Air selokan meluap ke jalan setiap kali hujan turun deras.",
                ),
                ("email", "warga@contoh.id"),
                ("confirm_new", "1"),
            ],
            &[],
        )
        .await;
    assert_eq!(filed.status(), StatusCode::SEE_OTHER);
    let (code, _) = TestApp::filed(&filed);
    let url = reader.url(&format!("/laporan/{code}"));
    let get = |tag: Option<String>| {
        let mut r = visitor.get(&url);
        if let Some(t) = tag {
            r = r.header(IF_NONE_MATCH, t);
        }
        async move {
            let r = r.send().await.unwrap();
            let status = r.status();
            let tag = r
                .headers()
                .get(ETAG)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            (status, tag, r.text().await.unwrap())
        }
    };
    let (s1, tag1, body1) = get(None).await;
    let (s2, tag2, body2) = get(None).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert_eq!(body1, body2, "the same page twice");
    let tag1 = tag1.expect("an ETag on a public page");
    assert_eq!(Some(tag1.clone()), tag2);
    assert!(!body1.contains(UNIT));
    // the visitor's own token is in the "saya juga" form, and another visitor gets theirs
    let (other, other_jar) = reader.new_visitor();
    let other_body = other.get(&url).send().await.unwrap().text().await.unwrap();
    let other_token = crate::harness::cookie_of(&other_jar, &reader.base, "kp_csrf").unwrap();
    assert!(other_body.contains(&format!("value=\"{other_token}\"")));
    let visitor_token = form_token(&body1);
    assert_ne!(visitor_token, other_token);
    assert!(!other_body.contains(&visitor_token), "a token kept for all");
    // the client's copy is current: 304, nothing rendered or sent
    let (s, tag, body) = get(Some(tag1.clone())).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    assert_eq!(tag.as_deref(), Some(tag1.as_str()));
    assert!(body.is_empty());
    // the staff step on the other node
    let id = staff.request_id(&code).await;
    staff.dispatch(id, "DPUPR").await;
    let start = Instant::now();
    let (tag2, body2) = loop {
        let (s, tag, body) = get(None).await;
        assert_eq!(s, StatusCode::OK);
        if body.contains(UNIT) {
            break (tag.expect("an ETag"), body);
        }
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "the kept page did not change within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    println!("changed after {:?}", start.elapsed());
    assert_ne!(tag1, tag2);
    // a signed-in staff member's page (their name, the staff links) is never kept for all
    let (_, staff_page) = staff.get_html(&format!("/laporan/{code}")).await;
    assert!(staff_page.contains("action=\"/logout\""));
    let (_, _, anonymous) = get(None).await;
    assert!(!anonymous.contains("action=\"/logout\"") && !anonymous.contains("href=\"/staf\""));
    // the old tag gets the new page, the new one a 304
    let (s, tag, body) = get(Some(tag1)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(tag.as_deref(), Some(tag2.as_str()));
    assert_eq!(body, body2);
    let (s, _, _) = get(Some(tag2)).await;
    assert_eq!(s, StatusCode::NOT_MODIFIED);
    // the kept page's form works for the visitor who got it
    let r = visitor
        .post(reader.url(&format!("/laporan/{code}/dukung")))
        .form(&[("_csrf", form_token(&body2).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

fn form_token(body: &str) -> String {
    let (_, rest) = body
        .split_once("name=\"_csrf\" value=\"")
        .expect("a form with a token");
    rest.chars().take_while(|c| *c != '"').collect()
}
