//! Request bodies of the unit API (/api/v1), read exactly as the handlers read them (the
//! first byte picks the body), then checked by the domain where that needs no database.
#![no_main]

#[path = "common.rs"]
mod common;

use chrono::FixedOffset;
use kotapintar_domain::ids::UnitId;
use kotapintar_web::api::content::{ContentBody, ProgressBody};
use kotapintar_web::api::{parse_json, NewRequestBody, StepBody, WebhookBody};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let accepted = match which % 5 {
        0 => parse_json::<NewRequestBody>(body)
            .map(|b| {
                if let Ok(r) = b.into_request() {
                    common::check_request(&r);
                }
            })
            .is_ok(),
        1 => parse_json::<ContentBody>(body)
            .map(|b| {
                let offset = FixedOffset::east_opt(8 * 3600).expect("WITA");
                if let Ok(draft) = b.input(offset).parse(UnitId(1), offset) {
                    assert!(!draft.title.trim().is_empty());
                    let html = kotapintar_domain::markdown::render(&draft.body_md);
                    assert!(!html.to_ascii_lowercase().contains("<script"));
                }
            })
            .is_ok(),
        2 => parse_json::<StepBody>(body).is_ok(),
        3 => parse_json::<WebhookBody>(body).is_ok(),
        _ => parse_json::<ProgressBody>(body).is_ok(),
    };
    // Only well-formed JSON is ever accepted.
    if accepted {
        assert!(serde_json::from_slice::<serde_json::Value>(body).is_ok());
    }
});
