//! Area alerts: anyone may follow the new public requests of a desa/kelurahan or a kecamatan by
//! email. The rules without I/O: what a subscription names, which subscriptions a new request
//! reaches, and the texts (only a request's public text, `privacy::PublicRequest`, goes out;
//! every message carries the link that ends the subscription).

use crate::privacy::PublicRequest;
use crate::region::{RegionCode, RegionLevel};
use crate::validation::{optional_email, FieldErrors};

/// A subscription as the form gives it, checked: the address and the area.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSubscription {
    pub email: String,
    pub area: RegionCode,
}

/// Checks the form: a valid address, and a kecamatan or desa of `regency`.
pub fn subscription(
    email: &str,
    area: &str,
    regency: &RegionCode,
) -> Result<NewSubscription, FieldErrors> {
    let mut e = FieldErrors::new();
    let email = match optional_email(email) {
        Ok(Some(a)) => Some(a),
        Ok(None) => {
            e.add("email", "required");
            None
        }
        Err(code) => {
            e.add("email", code);
            None
        }
    };
    let area = match RegionCode::parse(area) {
        Ok(c)
            if c.is_within(regency)
                && matches!(c.level(), RegionLevel::District | RegionLevel::Village) =>
        {
            Some(c)
        }
        _ => {
            e.add("area", "unknown_region");
            None
        }
    };
    match (email, area) {
        (Some(email), Some(area)) if e.is_empty() => Ok(NewSubscription { email, area }),
        _ => Err(e),
    }
}

/// How many areas one address may follow (confirmed or waiting): a household's desa, its
/// kecamatan and a few more, not a list that makes the form a way to flood one mailbox with
/// confirmation requests.
pub const MAX_SUBSCRIPTIONS_PER_EMAIL: u64 = 10;

/// Whether an address that follows `current` areas may follow one more.
pub fn may_follow_another(current: u64) -> Result<(), FieldErrors> {
    let mut e = FieldErrors::new();
    if current >= MAX_SUBSCRIPTIONS_PER_EMAIL {
        e.add("email", "too_many_subscriptions");
        return Err(e);
    }
    Ok(())
}

/// The areas whose subscribers hear of a request in `village` of `district`: the desa and its
/// kecamatan. A request with no area reaches nobody (it is in no one's neighbourhood yet).
pub fn areas_of(district: Option<&str>, village: Option<&str>) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    if let Some(d) = village
        .and_then(|c| RegionCode::parse(c).ok())
        .and_then(|c| c.parent())
    {
        v.push(d.as_str().to_string());
    }
    for c in [district, village].into_iter().flatten() {
        if !v.iter().any(|x| x == c) {
            v.push(c.to_string());
        }
    }
    v
}

/// The confirmation request: subject and body. Nothing else is sent until the link is used.
/// The email to an address that asked to follow one area more than it may: the owner of the
/// address learns it (the form answers as it always does, so a stranger typing that address
/// learns nothing of what it follows).
pub fn limit_text(area_name: &str) -> (String, String) {
    (
        format!("Langganan laporan {area_name} tidak ditambahkan / Alerts not added"),
        format!(
            "Seseorang (semoga Anda) meminta kabar laporan warga baru di {area_name} ke alamat \
             ini, tetapi alamat ini sudah mengikuti {MAX_SUBSCRIPTIONS_PER_EMAIL} wilayah, \
             batasnya. Berhentikan salah satu langganan (tautannya ada di setiap email) untuk \
             mengikuti wilayah lain.\n\n\
             Someone (we hope you) asked for alerts of new public requests in {area_name} at \
             this address, but it already follows {MAX_SUBSCRIPTIONS_PER_EMAIL} areas, the \
             limit. End one (the link is in every alert) to follow another.\n"
        ),
    )
}

pub fn confirm_text(area_name: &str, confirm_link: &str) -> (String, String) {
    (
        format!("Konfirmasi langganan laporan {area_name} / Confirm your alerts"),
        format!(
            "Seseorang (semoga Anda) meminta kabar laporan warga baru di {area_name} ke alamat \
             ini. Untuk mulai menerima, buka tautan ini dan tekan \"Konfirmasi\":\n{confirm_link}\n\n\
             Jika bukan Anda, abaikan email ini: tanpa konfirmasi tidak ada yang dikirim.\n\n\
             Someone (we hope you) asked for alerts of new public requests in {area_name} at \
             this address. To start, open the link above and press \"Confirm\". If it was not \
             you, ignore this email: nothing is sent without confirmation.\n"
        ),
    )
}

/// One alert: the request's public text only, its public page, and the link that ends it.
pub fn alert_text(
    area_name: &str,
    r: &PublicRequest,
    public_link: &str,
    stop_link: &str,
) -> (String, String) {
    let place = [r.village_name.as_deref(), r.district_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    let description: String = r.description.chars().take(600).collect();
    (
        format!("Laporan baru di {area_name}: {}", r.title),
        format!(
            "{title}\n{place}\n\n{description}\n\nSelengkapnya / details: {public_link}\n\n\
             Anda menerima ini karena berlangganan laporan baru di {area_name}. Berhenti \
             berlangganan / unsubscribe: {stop_link}\n",
            title = r.title,
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_follows_at_most_ten_areas() {
        assert!(may_follow_another(0).is_ok());
        assert!(may_follow_another(MAX_SUBSCRIPTIONS_PER_EMAIL - 1).is_ok());
        let e = may_follow_another(MAX_SUBSCRIPTIONS_PER_EMAIL).unwrap_err();
        let fields: Vec<(&str, &str)> = e.0.iter().map(|f| (f.field.as_str(), f.code)).collect();
        assert_eq!(fields, vec![("email", "too_many_subscriptions")]);
        assert!(may_follow_another(MAX_SUBSCRIPTIONS_PER_EMAIL + 5).is_err());
    }

    fn badung() -> RegionCode {
        RegionCode::parse("51.03").unwrap()
    }

    #[test]
    fn a_subscription_names_an_address_and_an_area_of_the_regency() {
        let s = subscription(" Warga@Contoh.id ", "51.03.01.1002", &badung()).unwrap();
        assert_eq!(s.email, "warga@contoh.id");
        assert_eq!(s.area.as_str(), "51.03.01.1002");
        assert!(subscription("warga@contoh.id", "51.03.01", &badung()).is_ok());
        let e = subscription("", "51.71.01", &badung()).unwrap_err();
        let fields: Vec<(&str, &str)> = e.0.iter().map(|f| (f.field.as_str(), f.code)).collect();
        assert_eq!(
            fields,
            vec![("email", "required"), ("area", "unknown_region")]
        );
        assert!(subscription("warga@contoh.id", "51.03", &badung()).is_err());
        assert!(subscription("bukan-alamat", "51.03.01", &badung()).is_err());
    }

    #[test]
    fn a_request_reaches_its_desa_and_its_kecamatan() {
        assert_eq!(
            areas_of(Some("51.03.01"), Some("51.03.01.1002")),
            vec!["51.03.01".to_string(), "51.03.01.1002".to_string()]
        );
        assert_eq!(
            areas_of(Some("51.03.02"), None),
            vec!["51.03.02".to_string()]
        );
        assert!(areas_of(None, None).is_empty());
    }
}
