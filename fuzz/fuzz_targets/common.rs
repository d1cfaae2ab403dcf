//! What several targets check about a request that passed the domain's checks, whichever
//! door it came through (Open311 form, API JSON, CSV import).
#![allow(dead_code)] // each target uses part of it

use kotapintar_domain::intake::NewRequest;
use kotapintar_domain::service::{Service, ServiceInput};

pub fn check_request(r: &NewRequest) {
    let title = r.title.chars().count();
    assert!(title > 0 && title <= 150, "title of {title} characters");
    assert_eq!(r.title, r.title.trim(), "title not trimmed");
    let description = r.description.chars().count();
    assert!(
        (10..=5000).contains(&description),
        "description of {description} characters"
    );
    assert_eq!(
        r.latitude.is_some(),
        r.longitude.is_some(),
        "half a coordinate"
    );
    if let (Some(lat), Some(lon)) = (r.latitude, r.longitude) {
        assert!(
            lat.is_finite() && (-90.0..=90.0).contains(&lat),
            "latitude {lat}"
        );
        assert!(
            lon.is_finite() && (-180.0..=180.0).contains(&lon),
            "longitude {lon}"
        );
    }
    if let (Some(d), Some(v)) = (&r.district_code, &r.village_code) {
        assert!(v.is_within(d), "village {v} outside district {d}");
    }
    if let Some(email) = &r.contact.email {
        assert!(email.contains('@'), "email {email:?}");
    }
    for text in [
        &r.contact.name,
        &r.contact.email,
        &r.contact.phone,
        &r.location_address,
    ]
    .into_iter()
    .flatten()
    {
        assert!(
            !text.trim().is_empty(),
            "an empty optional text kept as Some"
        );
    }
}

/// A service that asks one question of every kind.
pub fn service() -> Service {
    let draft = ServiceInput {
        unit_code: "DPUPR".into(),
        code: "jalan-rusak".into(),
        name: "Jalan rusak".into(),
        kind: "pengaduan".into(),
        time_limit_days: "5".into(),
        questions:
            "jenis | Jenis kerusakan | singlevaluelist | required | Berlubang; Retak; Ambles\n\
                    panjang | Perkiraan panjang (m) | number | optional\n\
                    sejak | Sejak kapan | datetime | optional\n\
                    catatan | Catatan | text | optional\n\
                    dampak | Dampak | multivaluelist | optional | Macet; Kecelakaan; Banjir"
                .into(),
        active: Some("on".into()),
        ..Default::default()
    }
    .parse()
    .expect("the fixed service is valid");
    Service {
        id: 1,
        unit_id: 1,
        unit_name: "Dinas PUPR".into(),
        draft,
    }
}
