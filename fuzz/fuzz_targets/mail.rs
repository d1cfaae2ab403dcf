//! An email as the MTA pipes it to `kotapintar intake email` (anyone can send one). Whatever
//! the bytes, reading it must not panic, and what it yields stays within intake's bounds: at
//! most five images of at most 10 MB, a title and description of intake's lengths, a thread
//! message of the thread's length, and codes that are tracking codes.
#![no_main]

use kotapintar_domain::mail::{self, MAX_IMAGES, MAX_IMAGE_BYTES};
use kotapintar_domain::request::normalise_tracking_code;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = mail::parse(data) else {
        return;
    };
    assert!(m.images.len() <= MAX_IMAGES);
    assert!(m.images.iter().all(|i| i.len() <= MAX_IMAGE_BYTES));
    assert!(!m.message_id.is_empty() && m.message_id.chars().count() <= 200);
    for c in &m.codes {
        assert_eq!(normalise_tracking_code(c).as_deref(), Some(c.as_str()));
    }
    assert!(
        mail::thread_text(&m).chars().count()
            <= kotapintar_domain::request::thread::MAX_MESSAGE_CHARS
    );
    if let Ok(r) = mail::new_request(&m) {
        assert!(r.title.chars().count() <= 150 && !r.title.is_empty());
        let d = r.description.chars().count();
        assert!((10..=5000).contains(&d), "{d}");
        assert_eq!(r.contact.email.as_deref(), Some(m.from.as_str()));
    }
});
