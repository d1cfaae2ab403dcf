//! What of a request the public may see: the one place privacy is enforced.
//!
//! Public pages, feeds and APIs render only `PublicRequest` / `PublicEvent`, and those can
//! only be made by `publish`, which returns nothing for a `rahasia` request, never copies a
//! reporter's contact fields, keeps internal notes out, and masks personal data that people
//! type into free text (NIK, phone numbers, email addresses, the reporter's own name).

use crate::request::{RequestKind, Status};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The reporter's contact details: personal data (UU 27/2022).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReporterContact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// A request as stored, with everything (only staff-side code sees this).
#[derive(Debug, Clone, Serialize)]
pub struct RequestRecord {
    pub id: i64,
    pub tracking_code: String,
    pub kind: RequestKind,
    pub service_code: Option<String>,
    pub service_name: Option<String>,
    pub title: String,
    pub description: String,
    pub status: Status,
    pub location_address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub district_name: Option<String>,
    pub village_name: Option<String>,
    pub anonymous: bool,
    /// Rahasia: hidden from the public entirely.
    pub confidential: bool,
    pub contact: ReporterContact,
    pub received_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub response: Option<String>,
    pub support_count: i64,
    pub unit_names: Vec<String>,
    pub photo_ids: Vec<i64>,
}

/// One step of the timeline as stored.
#[derive(Debug, Clone, Serialize)]
pub struct EventRecord {
    /// The timeline entry's id: stable, so feeds can name an entry (Open311 `update_id`).
    pub id: i64,
    pub at: DateTime<Utc>,
    pub step: String,
    pub to_status: Status,
    pub note: Option<String>,
    pub note_public: bool,
    pub unit_name: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PublicRequest {
    pub tracking_code: String,
    pub kind: RequestKind,
    pub service_code: Option<String>,
    pub service_name: Option<String>,
    pub title: String,
    pub description: String,
    pub status: Status,
    pub location_address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub district_name: Option<String>,
    pub village_name: Option<String>,
    pub received_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub response: Option<String>,
    pub support_count: i64,
    pub unit_names: Vec<String>,
    pub photo_ids: Vec<i64>,
    pub timeline: Vec<PublicEvent>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PublicEvent {
    /// The timeline entry's id (Open311 `update_id`). Not serialised, so every existing
    /// public output stays exactly as it was.
    #[serde(skip)]
    pub id: i64,
    pub at: DateTime<Utc>,
    pub step: String,
    pub to_status: Status,
    /// Present only when the note was written for the public.
    pub note: Option<String>,
    pub unit_name: Option<String>,
}

pub const MASK: &str = "[disembunyikan]";

/// The public view of a request, or `None` if the public may not see it at all.
pub fn publish(r: &RequestRecord, events: &[EventRecord]) -> Option<PublicRequest> {
    if r.confidential {
        return None;
    }
    let name = r.contact.name.as_deref();
    let clean = |t: &str| mask_personal_data(t, name);
    Some(PublicRequest {
        tracking_code: r.tracking_code.clone(),
        kind: r.kind,
        service_code: r.service_code.clone(),
        service_name: r.service_name.clone(),
        title: clean(&r.title),
        description: clean(&r.description),
        status: r.status,
        location_address: r.location_address.as_deref().map(clean),
        latitude: r.latitude,
        longitude: r.longitude,
        district_name: r.district_name.clone(),
        village_name: r.village_name.clone(),
        received_at: r.received_at,
        due_at: r.due_at,
        resolved_at: r.resolved_at,
        closed_at: r.closed_at,
        updated_at: r.updated_at,
        response: r.response.as_deref().map(clean),
        support_count: r.support_count,
        unit_names: r.unit_names.clone(),
        photo_ids: r.photo_ids.clone(),
        timeline: events
            .iter()
            .map(|e| PublicEvent {
                id: e.id,
                at: e.at,
                step: e.step.clone(),
                to_status: e.to_status,
                note: e.note.as_deref().filter(|_| e.note_public).map(clean),
                unit_name: e.unit_name.clone(),
            })
            .collect(),
    })
}

/// Masks personal data in free text, the reporter's own name included: the rules are
/// [`crate::masking`]'s.
pub fn mask_personal_data(text: &str, reporter_name: Option<&str>) -> String {
    crate::masking::mask(text, reporter_name.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> RequestRecord {
        RequestRecord {
            id: 1,
            tracking_code: "BDG-26-7K3Q9".into(),
            kind: RequestKind::Pengaduan,
            service_code: None,
            service_name: None,
            title: "Jalan berlubang di Jl. Raya Kuta".into(),
            description: "Hubungi saya, Wayan Sudira, di 0812-3456-7890 atau wayan@contoh.id. NIK 5103011204850001.".into(),
            status: Status::Diterima,
            location_address: Some("Jl. Raya Kuta No. 12".into()),
            latitude: Some(-8.72),
            longitude: Some(115.17),
            district_name: Some("Kuta".into()),
            village_name: Some("Kuta".into()),
            anonymous: false,
            confidential: false,
            contact: ReporterContact {
                name: Some("Wayan Sudira".into()),
                email: Some("wayan@contoh.id".into()),
                phone: Some("081234567890".into()),
            },
            received_at: Utc::now(),
            due_at: None,
            resolved_at: None,
            closed_at: None,
            updated_at: Utc::now(),
            response: None,
            support_count: 0,
            unit_names: vec![],
            photo_ids: vec![],
        }
    }

    #[test]
    fn rahasia_is_never_published() {
        let mut r = record();
        r.confidential = true;
        assert!(publish(&r, &[]).is_none());
    }

    #[test]
    fn personal_data_is_masked_and_contact_never_copied() {
        let p = publish(&record(), &[]).unwrap();
        let json = serde_json::to_string(&p).unwrap();
        for secret in [
            "Wayan Sudira",
            "0812-3456-7890",
            "wayan@contoh.id",
            "5103011204850001",
            "081234567890",
        ] {
            assert!(!json.contains(secret), "{secret} leaked: {json}");
        }
        assert!(p.description.starts_with(
            "Hubungi saya, [disembunyikan], di [disembunyikan] atau [disembunyikan]."
        ));
        // ordinary numbers stay
        assert_eq!(p.location_address.as_deref(), Some("Jl. Raya Kuta No. 12"));
        assert_eq!(
            mask_personal_data("RT 05 RW 12, tahun 2026", None),
            "RT 05 RW 12, tahun 2026"
        );
        assert_eq!(mask_personal_data("+62 812 3456 789", None), MASK);
    }

    #[test]
    fn internal_notes_stay_internal() {
        let events = vec![
            EventRecord {
                id: 1,
                at: Utc::now(),
                step: "verify".into(),
                to_status: Status::Diverifikasi,
                note: Some("cek ke lokasi, pelapor kerabat kadis".into()),
                note_public: false,
                unit_name: None,
            },
            EventRecord {
                id: 2,
                at: Utc::now(),
                step: "resolve".into(),
                to_status: Status::Selesai,
                note: Some("Jalan sudah ditambal.".into()),
                note_public: true,
                unit_name: Some("DPUPR".into()),
            },
        ];
        let p = publish(&record(), &events).unwrap();
        assert_eq!(p.timeline[0].note, None);
        assert_eq!(p.timeline[1].note.as_deref(), Some("Jalan sudah ditambal."));
        assert_eq!(
            p.timeline.iter().map(|e| e.id).collect::<Vec<_>>(),
            [1, 2],
            "entries keep their ids"
        );
    }

    #[test]
    fn name_masking_ignores_case() {
        assert_eq!(
            mask_personal_data("saya WAYAN SUDIRA melapor", Some("Wayan Sudira")),
            "saya [disembunyikan] melapor"
        );
        assert_eq!(mask_personal_data("ok", Some("Al")), "ok");
    }
}
