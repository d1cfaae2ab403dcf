//! Open311 input: a POSTed `requests` form (URL-encoded fields, `attribute[CODE]` answers)
//! read as a request and its answers checked against the service's questions, and a
//! `GET requests` query string read as a filter and page.
#![no_main]

#[path = "common.rs"]
mod common;

use chrono::{DateTime, FixedOffset, Utc};
use kotapintar_domain::service::{check_answers, Datatype};
use kotapintar_web::open311::{list_query, request_from_form};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    static SERVICE: OnceLock<kotapintar_domain::service::Service> = OnceLock::new();
    let service = SERVICE.get_or_init(common::service);

    if let Ok(request) = request_from_form(text, service) {
        common::check_request(&request);
        assert_eq!(
            request.service_code.as_deref(),
            Some(service.draft.code.as_str())
        );
        // an Open311 title is the description's first line cut to 100 characters, or the
        // client's own `attribute[title]` (FixMyStreet), held to a request title's 150
        assert!(request.title.chars().count() <= 150, "{}", request.title);
        if let Ok(answers) = check_answers(&service.draft.questions, &request.answers) {
            for (code, value) in answers {
                let q = service
                    .draft
                    .questions
                    .iter()
                    .find(|q| q.code == code)
                    .expect("an answer to a question that was not asked");
                if q.datatype.is_list() {
                    for v in value.split(';') {
                        assert!(
                            q.options.iter().any(|o| o == v),
                            "{v:?} not an option of {code}"
                        );
                    }
                }
                if q.datatype == Datatype::Singlevaluelist {
                    assert!(!value.contains(';'), "two values for one choice");
                }
            }
        }
    }

    let offset = FixedOffset::east_opt(8 * 3600).expect("WITA");
    let now = DateTime::<Utc>::from_timestamp(1_795_000_000, 0).expect("a fixed now");
    match list_query(text, offset, now) {
        Ok(Some(q)) => {
            assert!(
                (1..=1000).contains(&q.page_size),
                "page size {}",
                q.page_size
            );
            if let (Some(from), Some(to)) = (q.filter.received_from, q.filter.received_to) {
                assert!(from <= to, "an empty window {from} > {to}");
            }
            if q.filter.codes.is_empty() {
                // without codes, the window is always bounded below (the last 90 days)
                assert!(q.filter.received_from.is_some());
            }
            for c in &q.filter.codes {
                assert_eq!(
                    kotapintar_domain::request::normalise_tracking_code(c).as_deref(),
                    Some(c.as_str()),
                    "a code that is not normal"
                );
            }
        }
        Ok(None) => {}
        Err(descriptions) => assert!(!descriptions.is_empty(), "an error that says nothing"),
    }
});
