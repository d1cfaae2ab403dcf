//! What a resident submits on the public form, and the rules it must meet before anything
//! is stored. Checks that need the database (the service exists, the village lies in the
//! regency) happen in storage, reported the same way.

use crate::privacy::ReporterContact;
use crate::region::RegionCode;
use crate::request::RequestKind;
use crate::validation::{optional_email, optional_phone, optional_text, required_text};
use crate::FieldErrors;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct RequestInput {
    pub kind: String,
    pub service_code: String,
    pub title: String,
    pub description: String,
    pub latitude: String,
    pub longitude: String,
    pub location_address: String,
    pub district_code: String,
    pub village_code: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub anonymous: Option<String>,
    pub confidential: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewRequest {
    pub kind: RequestKind,
    pub service_code: Option<String>,
    pub title: String,
    pub description: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub location_address: Option<String>,
    pub district_code: Option<RegionCode>,
    pub village_code: Option<RegionCode>,
    pub contact: ReporterContact,
    /// The chat the request was filed from, which gets every step too.
    pub chat: Option<crate::conversation::ChatContact>,
    pub anonymous: bool,
    pub confidential: bool,
    /// Raw `q_<code>` answers, checked against the service's questions by storage.
    pub answers: Vec<(String, String)>,
}

fn coordinate(raw: &str, min: f64, max: f64) -> Result<Option<f64>, &'static str> {
    let t = raw.trim().replace(',', ".");
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && (min..=max).contains(&v) => Ok(Some(v)),
        _ => Err("invalid_coordinate"),
    }
}

fn flag(v: &Option<String>) -> bool {
    matches!(v.as_deref(), Some("on" | "true" | "1" | "ya"))
}

impl RequestInput {
    pub fn parse(&self, answers: Vec<(String, String)>) -> Result<NewRequest, FieldErrors> {
        let mut e = FieldErrors::new();
        let kind = e.check(
            "kind",
            crate::validation::required(&self.kind, RequestKind::parse),
        );
        let service_code = optional_text(&self.service_code, 40)
            .ok()
            .flatten()
            .map(|s| s.to_lowercase());
        let title = e.check("title", required_text(&self.title, 150));
        let description = e.check(
            "description",
            required_text(&self.description, 5000).and_then(|d| {
                if d.chars().count() < 10 {
                    Err("description_too_short")
                } else {
                    Ok(d)
                }
            }),
        );
        let lat = e
            .check("latitude", coordinate(&self.latitude, -90.0, 90.0))
            .flatten();
        let lon = e
            .check("longitude", coordinate(&self.longitude, -180.0, 180.0))
            .flatten();
        if lat.is_some() != lon.is_some()
            && !e
                .0
                .iter()
                .any(|f| f.field == "latitude" || f.field == "longitude")
        {
            e.add(
                if lat.is_none() {
                    "latitude"
                } else {
                    "longitude"
                },
                "coordinate_pair",
            );
        }
        let location_address = e
            .check(
                "location_address",
                optional_text(&self.location_address, 300),
            )
            .flatten();
        let region = |raw: &str| -> Result<Option<RegionCode>, &'static str> {
            match raw.trim() {
                "" => Ok(None),
                t => RegionCode::parse(t).map(Some),
            }
        };
        let district_code = e
            .check("district_code", region(&self.district_code))
            .flatten();
        let village_code = e
            .check("village_code", region(&self.village_code))
            .flatten();
        if let (Some(d), Some(v)) = (&district_code, &village_code) {
            if !v.is_within(d) {
                e.add("village_code", "village_not_in_district");
            }
        }
        let name = e.check("name", optional_text(&self.name, 100)).flatten();
        let email = e.check("email", optional_email(&self.email)).flatten();
        let phone = e.check("phone", optional_phone(&self.phone)).flatten();
        match (kind, title, description) {
            (Some(kind), Some(title), Some(description)) if e.is_empty() => Ok(NewRequest {
                kind,
                service_code,
                title,
                description,
                latitude: lat,
                longitude: lon,
                location_address,
                district_code,
                village_code,
                contact: ReporterContact { name, email, phone },
                chat: None,
                anonymous: flag(&self.anonymous),
                confidential: flag(&self.confidential),
                answers,
            }),
            _ => Err(e),
        }
    }
}

/// The regency's extent, to refuse coordinates far outside it. A rectangle is coarse on
/// purpose: boundary polygons are not in the official code list, and a point slightly
/// outside a border is better accepted than a resident turned away.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BoundingBox {
    pub min_lat: f64,
    pub min_lon: f64,
    pub max_lat: f64,
    pub max_lon: f64,
}

impl BoundingBox {
    /// Kabupaten Badung, from Pecatu in the south to Petang in the north, with a margin.
    pub const BADUNG: BoundingBox = BoundingBox {
        min_lat: -8.87,
        min_lon: 115.05,
        max_lat: -8.20,
        max_lon: 115.32,
    };

    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        (self.min_lat..=self.max_lat).contains(&lat) && (self.min_lon..=self.max_lon).contains(&lon)
    }
}

/// The number WhatsApp/SMS messages about a request filed on the public form may go to: an
/// Indonesian mobile number (`08…`, `+628…`, `628…`; spaces, dashes, dots and brackets
/// allowed), 10 to 13 digits written nationally, returned as E.164 (`+628…`). The public
/// form sends messages with no account behind it, so any other number (abroad, premium
/// rate, a landline) would let a stranger spend the regency's money or spam a third party.
pub fn message_phone(raw: &str) -> Result<Option<String>, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let (plus, rest) = match t.strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, t),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return Err("phone_not_indonesian_mobile"),
        }
    }
    let subscriber = if plus {
        digits.strip_prefix("62")
    } else if let Some(n) = digits.strip_prefix('0') {
        Some(n)
    } else {
        digits.strip_prefix("62")
    };
    // `+62 (0)812…`: the trunk zero people add after the country code
    let subscriber = subscriber.map(|n| {
        if plus || digits.starts_with("62") {
            n.strip_prefix('0').unwrap_or(n)
        } else {
            n
        }
    });
    match subscriber {
        Some(n) if n.starts_with('8') && (9..=12).contains(&n.len()) => Ok(Some(format!("+62{n}"))),
        _ => Err("phone_not_indonesian_mobile"),
    }
}

/// The public form's start time, signed so a client cannot claim it opened the form earlier
/// than it did: `{unix seconds}.{hex HMAC-SHA256 of them}`. A person takes more than a few
/// seconds to describe a problem; a bot posting the form at once does not.
pub mod form_stamp {
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    fn mac(key: &[u8], secs: i64) -> Option<Hmac<Sha256>> {
        let mut m = Hmac::<Sha256>::new_from_slice(key).ok()?;
        m.update(b"lapor-form:");
        m.update(secs.to_string().as_bytes());
        Some(m)
    }

    pub fn sign(key: &[u8], now_secs: i64) -> String {
        let tag = mac(key, now_secs)
            .map(|m| hex::encode(m.finalize().into_bytes()))
            .unwrap_or_default();
        format!("{now_secs}.{tag}")
    }

    /// Who a phone number's quota counts, without keeping the number: a keyed hash of it.
    pub fn phone_subject(key: &[u8], phone: &str) -> String {
        let Ok(mut m) = Hmac::<Sha256>::new_from_slice(key) else {
            return String::new();
        };
        m.update(b"phone:");
        m.update(phone.as_bytes());
        hex::encode(&m.finalize().into_bytes()[..16])
    }

    /// `Ok` when `stamp` was made with `key` at least `min_secs` and at most a day ago.
    pub fn check(
        key: &[u8],
        stamp: &str,
        now_secs: i64,
        min_secs: i64,
    ) -> Result<(), &'static str> {
        let (secs, tag) = stamp.trim().split_once('.').ok_or("form_too_fast")?;
        let secs: i64 = secs.parse().map_err(|_| "form_too_fast")?;
        let tag = hex::decode(tag).map_err(|_| "form_too_fast")?;
        mac(key, secs)
            .ok_or("form_too_fast")?
            .verify_slice(&tag)
            .map_err(|_| "form_too_fast")?;
        let age = now_secs - secs;
        if age < min_secs || age > 86_400 {
            return Err("form_too_fast");
        }
        Ok(())
    }
}

/// The longest outside link (`media_url`) kept with a request.
pub const MAX_MEDIA_URL: usize = 2000;

/// An outside link to a request's photo, as Open311 clients send it (`media_url`): an
/// absolute http or https address with a host, no credentials, no spaces or control
/// characters, `MAX_MEDIA_URL` characters at most. It is only shown as a link (never
/// fetched by the server, so it cannot make the server call anything); anything else is
/// refused rather than kept half-usable.
pub fn media_url(raw: &str) -> Result<Option<String>, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if t.chars().count() > MAX_MEDIA_URL {
        return Err("too_long");
    }
    let lower = t.to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &t[8..]
    } else if lower.starts_with("http://") {
        &t[7..]
    } else {
        return Err("invalid_url");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let bad_char =
        |c: char| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '\\' | '`');
    if authority.is_empty()
        || authority.contains('@')
        || authority.starts_with(':')
        || t.chars().any(bad_char)
    {
        return Err("invalid_url");
    }
    let scheme_len = t.len() - rest.len();
    Ok(Some(format!("{}{rest}", &lower[..scheme_len])))
}

/// The key a resident's browser makes for one draft of the request form
/// (`crypto.randomUUID()`), sent so that a draft sent again after a lost connection is not
/// filed twice. Empty (a browser without JavaScript, or an older page): no key. Otherwise 16
/// to 64 letters, digits and hyphens; anything else is refused rather than stored.
pub fn form_key(raw: &str) -> Result<Option<String>, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let fits =
        (16..=64).contains(&t.len()) && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if fits {
        Ok(Some(t.to_ascii_lowercase()))
    } else {
        Err("invalid_form_key")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> RequestInput {
        RequestInput {
            kind: "pengaduan".into(),
            title: "Lampu jalan mati".into(),
            description: "Lampu jalan di depan pura mati sejak seminggu.".into(),
            latitude: "-8,7201".into(),
            longitude: "115.1689".into(),
            district_code: "51.03.01".into(),
            village_code: "51.03.01.1001".into(),
            email: "Warga@Contoh.id".into(),
            confidential: Some("on".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_good_request_parses() {
        let r = input().parse(vec![]).unwrap();
        assert_eq!(r.latitude, Some(-8.7201));
        assert!(r.confidential && !r.anonymous);
        assert_eq!(r.contact.email.as_deref(), Some("warga@contoh.id"));
        assert!(BoundingBox::BADUNG.contains(-8.7201, 115.1689));
        assert!(!BoundingBox::BADUNG.contains(-6.2, 106.8), "Jakarta");
    }

    #[test]
    fn every_wrong_field_is_named() {
        let mut i = input();
        i.kind = "".into();
        i.title = "".into();
        i.description = "pendek".into();
        i.latitude = "abc".into();
        i.village_code = "51.03.02.2001".into();
        i.phone = "12ab".into();
        let e = i.parse(vec![]).unwrap_err();
        assert_eq!(e.for_field("kind"), Some("required"));
        assert_eq!(e.for_field("title"), Some("required"));
        assert_eq!(e.for_field("description"), Some("description_too_short"));
        assert_eq!(e.for_field("latitude"), Some("invalid_coordinate"));
        assert_eq!(e.for_field("village_code"), Some("village_not_in_district"));
        assert_eq!(e.for_field("phone"), Some("invalid_phone"));
    }

    #[test]
    fn coordinates_come_in_pairs() {
        let mut i = input();
        i.longitude = "".into();
        assert_eq!(
            i.parse(vec![]).unwrap_err().for_field("longitude"),
            Some("coordinate_pair")
        );
    }

    #[test]
    fn only_indonesian_mobile_numbers_get_messages() {
        for (raw, want) in [
            ("081234567890", "+6281234567890"),
            ("0812-3456-789", "+628123456789"),
            ("+62 812 3456 7890", "+6281234567890"),
            ("6281234567890", "+6281234567890"),
            ("+62 (0)812 3456 7890", "+6281234567890"),
            ("0812 3456 78", "+62812345678"),
        ] {
            assert_eq!(message_phone(raw), Ok(Some(want.to_string())), "{raw}");
        }
        assert_eq!(message_phone(" "), Ok(None));
        for raw in [
            "+61 412 345 678",
            "+1 900 555 0100",
            "0361 712345",
            "021 5551234",
            "08123",
            "08123456789012",
            "+44 7700 900123",
            "0812abc4567",
            "00881234567890",
        ] {
            assert_eq!(
                message_phone(raw),
                Err("phone_not_indonesian_mobile"),
                "{raw}"
            );
        }
    }

    #[test]
    fn the_form_stamp_needs_the_key_and_time() {
        let key = b"0123456789abcdef0123456789abcdef";
        let stamp = form_stamp::sign(key, 1_000);
        assert_eq!(form_stamp::check(key, &stamp, 1_003, 3), Ok(()));
        assert!(form_stamp::check(key, &stamp, 1_002, 3).is_err());
        assert!(form_stamp::check(b"another key", &stamp, 1_010, 3).is_err());
        // an earlier time with the old tag does not verify
        let forged = stamp.replacen("1000", "900", 1);
        assert!(form_stamp::check(key, &forged, 1_001, 3).is_err());
        assert!(form_stamp::check(key, "", 1_001, 3).is_err());
        assert!(form_stamp::check(key, &stamp, 1_000 + 90_000, 3).is_err());
    }

    #[test]
    fn media_urls_are_plain_outside_links() {
        assert_eq!(media_url("  "), Ok(None));
        assert_eq!(
            media_url(" HTTPS://foto.example.org/a.jpg?x=1 "),
            Ok(Some("https://foto.example.org/a.jpg?x=1".into()))
        );
        assert_eq!(
            media_url("http://example.org"),
            Ok(Some("http://example.org".into()))
        );
        for bad in [
            "javascript:alert(1)",
            "ftp://example.org/a.jpg",
            "//example.org/a.jpg",
            "https://",
            "https:///path",
            "https://user:pw@example.org/a.jpg",
            "https://example.org/a b.jpg",
            "https://example.org/\"<script>",
            "data:image/png;base64,AAAA",
        ] {
            assert_eq!(media_url(bad), Err("invalid_url"), "{bad}");
        }
        let long = format!("https://example.org/{}", "a".repeat(MAX_MEDIA_URL));
        assert_eq!(media_url(&long), Err("too_long"));
    }

    #[test]
    fn a_form_key_is_a_bounded_token_or_nothing() {
        assert_eq!(form_key(""), Ok(None));
        assert_eq!(form_key("  "), Ok(None));
        let uuid = "1B4E28BA-2FA1-11D2-883F-0016D3CCA427";
        assert_eq!(
            form_key(uuid),
            Ok(Some("1b4e28ba-2fa1-11d2-883f-0016d3cca427".into()))
        );
        for bad in [
            "short-key",
            "a b c d e f g h i j",
            "'; DROP TABLE x; --------",
            &"a".repeat(65),
        ] {
            assert_eq!(form_key(bad), Err("invalid_form_key"), "{bad}");
        }
    }
}
