//! Chat requests where something goes wrong: a worker stopped between filing a request and
//! saving the conversation, and "status CODE" asked of a `rahasia` request.

use crate::channels::{
    count, deliver, payload, say, setup, start, with_fake, FakeTelegram, CHAT, DESCRIPTION, SECRET,
};
use crate::harness::TestApp;
use kotapintar_domain::conversation::{Channel, ChatContact};
use kotapintar_storage::entity::{channel_conversation, channel_update, request};
use kotapintar_storage::requests;
use reqwest::StatusCode;
use sea_orm::{EntityTrait, QueryOrder};
use std::sync::Arc;

with_fake!(
    a_run_stopped_after_filing_is_processed_again_without_filing_twice,
    a_rahasia_request_answers_status_only_to_its_own_chat,
);

/// The conversation up to its summary: kind, service, description, a location pin.
async fn up_to_the_summary(app: &TestApp, fake: &FakeTelegram, first: i64) {
    say(app, "text", first, "halo").await;
    say(app, "text", first + 1, "1 Pengaduan (keluhan, masalah)").await;
    say(app, "text", first + 2, "1 Jalan rusak").await;
    say(app, "text", first + 3, DESCRIPTION).await;
    say(app, "location", first + 4, "").await;
    assert!(
        fake.last_text().starts_with("Ringkasan"),
        "{}",
        fake.last_text()
    );
}

/// The first word of a chat text that is a tracking code, and the private link in it.
fn code_and_link(text: &str) -> (String, String) {
    let word = |p: &dyn Fn(&str) -> bool| {
        text.split_whitespace()
            .find(|w| p(w))
            .map(|w| w.trim_end_matches(['.', ',']).to_string())
    };
    let code = word(&|w| w.starts_with("BDG-")).expect("a code");
    let link = word(&|w| w.contains("/ikuti/")).expect("a private link");
    (code, link)
}

async fn a_run_stopped_after_filing_is_processed_again_without_filing_twice(
    app_fake: (TestApp, Arc<FakeTelegram>),
) {
    let (app, fake) = app_fake;
    setup(&app).await;
    up_to_the_summary(&app, &fake, 2001).await;
    assert_eq!(
        deliver(&app, &payload("text", 2006, "1 Kirim"), SECRET).await,
        StatusCode::OK
    );
    let update = channel_update::Entity::find()
        .order_by_desc(channel_update::Column::Id)
        .one(&app.store.reader)
        .await
        .unwrap()
        .unwrap();
    assert!(update.processed_at.is_none(), "queued, not yet processed");

    // The worker's first run filed the request (what it does for "1 Kirim") and stopped
    // before the conversation, its reply and the processed mark were saved.
    let calendar = kotapintar_storage::holidays::calendar(&app.store)
        .await
        .unwrap();
    let mut req = kotapintar_domain::intake::NewRequest {
        kind: kotapintar_domain::request::RequestKind::Pengaduan,
        service_code: None,
        title: "Jalan rusak".into(),
        description: DESCRIPTION.into(),
        latitude: None,
        longitude: None,
        location_address: Some("Jalan Raya Kuta".into()),
        district_code: None,
        village_code: None,
        contact: Default::default(),
        anonymous: false,
        confidential: false,
        answers: Vec::new(),
        chat: None,
    };
    req.chat = Some(ChatContact {
        channel: Channel::Telegram,
        id: CHAT.to_string(),
    });
    let uploads = app.settings.data_dir.join("uploads");
    let first = requests::submit_from_chat(
        &app.store,
        &app.settings.rules,
        &calendar,
        &uploads,
        req,
        Vec::new(),
        update.id,
    )
    .await
    .unwrap();
    let before = fake.sent().len();

    // the job runs again: the same request, one reply with its code and a working link
    app.run_jobs().await;
    assert_eq!(count(&app, request::Entity).await, 1, "filed once");
    assert_eq!(fake.sent().len(), before + 1, "one reply");
    let (code, link) = code_and_link(&fake.last_text());
    assert_eq!(code, first.code, "the request the first run filed");
    let path = link.split_once("/laporan/").map(|(_, p)| p).unwrap();
    let (status, page) = app.get_html(&format!("/laporan/{path}")).await;
    assert_eq!(status, StatusCode::OK, "the new private link works");
    assert!(page.contains(&code));
    // the first link never reached anyone; it stops working
    let old = app
        .client
        .get(app.url(&format!("/laporan/{code}/ikuti/{}", first.token)))
        .send()
        .await
        .unwrap();
    assert_ne!(old.status(), StatusCode::OK, "the unsent link is void");
    assert_eq!(
        count(&app, channel_conversation::Entity).await,
        0,
        "the conversation ended"
    );
    let update = channel_update::Entity::find_by_id(update.id)
        .one(&app.store.reader)
        .await
        .unwrap()
        .unwrap();
    assert!(update.processed_at.is_some());
}

async fn a_rahasia_request_answers_status_only_to_its_own_chat(
    app_fake: (TestApp, Arc<FakeTelegram>),
) {
    let (app, fake) = app_fake;
    setup(&app).await;
    up_to_the_summary(&app, &fake, 3001).await;
    say(&app, "text", 3006, "3").await;
    let (code, _) = code_and_link(&fake.last_text());
    let filed = requests::id_by_code(&app.store, &code).await;
    assert!(filed.is_ok(), "filed: {filed:?}");

    // another chat: the same answer as for a code that does not exist
    let stranger = |update: i64, text: &str| {
        payload("text", update, text).replace(&CHAT.to_string(), "555000222")
    };
    for (update, asked) in [(3101, code.as_str()), (3102, "BDG-26-ZZZZZ")] {
        let body = stranger(update, &format!("status {asked}"));
        assert_eq!(deliver(&app, &body, SECRET).await, StatusCode::OK);
        app.run_jobs().await;
        let sent = fake.sent();
        let last = sent.last().unwrap();
        assert_eq!(last["chat_id"], "555000222");
        assert_eq!(
            last["text"].as_str().unwrap(),
            format!("Laporan {asked} tidak ditemukan."),
            "a rahasia request is not even said to exist"
        );
    }

    // its own chat hears the step and the deadline
    say(&app, "text", 3007, &format!("status {code}")).await;
    let own = fake.last_text();
    assert!(own.starts_with(&format!("Laporan {code}: ")), "{own}");
    assert!(own.contains("Batas waktu"), "{own}");
}
