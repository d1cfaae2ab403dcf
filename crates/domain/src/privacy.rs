//! What of a request the public may see: the one place privacy is enforced.
//!
//! Public pages, feeds and APIs render only `PublicRequest` / `PublicEvent`, and those can
//! only be made by `publish`, which returns nothing for a `rahasia` request, never copies a
//! reporter's contact fields and keeps internal notes out.
//!
//! Free text (title, description, address, response, public notes) reaches the public only
//! as its `PublicText`: masked of what looks like personal data (NIK, phone numbers, email
//! addresses, the reporter's name) when the text is written, and stored beside the raw text.
//! Every public read, filter, count, suggestion, feed and search index uses the stored public
//! text, so nothing public ever compares against what a resident typed (a result count for
//! `q=NIK 51` would otherwise tell a stranger the next digit). The masking is monotone: a
//! name corrected or erased later is masked out of the stored text first, never brought back.

use crate::ids::RequestId;
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
    pub id: RequestId,
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
    /// The free text as the public may read it (stored, masked when written).
    pub public: PublicText,
    pub support_count: i64,
    pub unit_names: Vec<String>,
    pub photo_ids: Vec<i64>,
    /// An outside link to a photo, sent as Open311 `media_url` (checked by
    /// `intake::media_url`; shown, never fetched). Not serialised: the API's schemas stay
    /// as they are.
    #[serde(skip)]
    pub media_url: Option<String>,
    /// Why it is `dialihkan` (the agency) or `ditunda` (until when); none otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<crate::agency::StatusReason>,
    /// The primary case this duplicate was merged into (merged cases, issue 21).
    #[serde(skip)]
    pub merged_into: Option<MergedInto>,
}

/// The primary case a duplicate was merged into: what its public copy shows instead of its
/// own status. Codes only: nothing of the primary's reporter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedInto {
    pub code: String,
    pub status: Status,
    pub confidential: bool,
}

/// A request's free text with personal data masked: what the public reads, searches and
/// filters on. Stored beside the raw text and written in the same transaction.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PublicText {
    pub title: String,
    pub description: String,
    pub location_address: Option<String>,
    pub response: Option<String>,
}

impl PublicText {
    /// Masks the raw text, with `names` (the reporter's, and any name it had before) masked
    /// too.
    pub fn of(
        title: &str,
        description: &str,
        location_address: Option<&str>,
        response: Option<&str>,
        names: &[&str],
    ) -> Self {
        Self {
            title: mask_names(title, names),
            description: mask_names(description, names),
            location_address: location_address.map(|t| mask_names(t, names)),
            response: response.map(|t| mask_names(t, names)),
        }
    }

    /// This text with more names masked (a corrected name, before the contact changes).
    /// Never unmasks anything: it works on the already public text.
    pub fn remask(&self, names: &[&str]) -> Self {
        Self::of(
            &self.title,
            &self.description,
            self.location_address.as_deref(),
            self.response.as_deref(),
            names,
        )
    }
}

/// The public copy of a timeline note: `None` unless the note was written for the public.
pub fn public_note(note: Option<&str>, note_public: bool, names: &[&str]) -> Option<String> {
    note.filter(|_| note_public).map(|n| mask_names(n, names))
}

/// Masks personal data in `text`, with every one of `names` masked too.
pub fn mask_names(text: &str, names: &[&str]) -> String {
    crate::masking::mask(text, names)
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
    /// The note as the public may read it (stored, masked when written); `None` for an
    /// internal note.
    pub public_note: Option<String>,
    pub unit_name: Option<String>,
    /// An outside photo link sent with an Open311 update (public, as the request's is). Not
    /// serialised: the API's schemas stay as they are.
    #[serde(skip)]
    pub media_url: Option<String>,
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
    /// The outside photo link (Open311 `media_url`). Not serialised, so every existing
    /// public output (the API's schemas among them) stays exactly as it was.
    #[serde(skip)]
    pub media_url: Option<String>,
    /// Where a "bukan wewenang" request went and why, or until when it is deferred and why
    /// (absent otherwise, so other outputs stay as they were).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<crate::agency::StatusReason>,
    pub timeline: Vec<PublicEvent>,
    /// The tracking code of the case this request was merged into; its status is then that
    /// case's. Absent (not `null`) otherwise, so every other request's output is unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
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
    /// An outside photo link sent with an Open311 update. Not serialised: existing public
    /// outputs stay as they are.
    #[serde(skip)]
    pub media_url: Option<String>,
}

pub const MASK: &str = "[disembunyikan]";

/// The public view of a request, or `None` if the public may not see it at all.
pub fn publish(r: &RequestRecord, events: &[EventRecord]) -> Option<PublicRequest> {
    if r.confidential {
        return None;
    }
    // a rahasia primary is never linked from a public page (merging refuses it; this holds
    // even if a row says otherwise): the duplicate then shows its own status
    let merged = r.merged_into.as_ref().filter(|m| !m.confidential);
    Some(PublicRequest {
        tracking_code: r.tracking_code.clone(),
        kind: r.kind,
        service_code: r.service_code.clone(),
        service_name: r.service_name.clone(),
        title: r.public.title.clone(),
        description: r.public.description.clone(),
        status: merged.map_or(r.status, |m| m.status),
        location_address: r.public.location_address.clone(),
        latitude: r.latitude,
        longitude: r.longitude,
        district_name: r.district_name.clone(),
        village_name: r.village_name.clone(),
        received_at: r.received_at,
        due_at: r.due_at,
        resolved_at: r.resolved_at,
        closed_at: r.closed_at,
        updated_at: r.updated_at,
        response: r.public.response.clone(),
        support_count: r.support_count,
        unit_names: r.unit_names.clone(),
        photo_ids: r.photo_ids.clone(),
        media_url: r.media_url.clone(),
        status_reason: r.status_reason.clone(),
        timeline: events
            .iter()
            .map(|e| PublicEvent {
                id: e.id,
                at: e.at,
                step: e.step.clone(),
                to_status: e.to_status,
                note: e.public_note.clone().filter(|_| e.note_public),
                unit_name: e.unit_name.clone(),
                media_url: e.media_url.clone(),
            })
            .collect(),
        merged_into: merged.map(|m| m.code.clone()),
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
        let mut r = raw_record();
        r.public = PublicText::of(
            &r.title,
            &r.description,
            r.location_address.as_deref(),
            r.response.as_deref(),
            &["Wayan Sudira"],
        );
        r
    }

    fn raw_record() -> RequestRecord {
        RequestRecord {
            id: RequestId(1),
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
            public: PublicText::default(),
            support_count: 0,
            unit_names: vec![],
            photo_ids: vec![],
            media_url: None,
            status_reason: None,
            merged_into: None,
        }
    }

    #[test]
    fn a_merged_duplicate_shows_its_primary_never_a_rahasia_one() {
        let mut r = raw_record();
        r.merged_into = Some(MergedInto {
            code: "BDG-26-AAAAA".into(),
            status: Status::Ditindaklanjuti,
            confidential: false,
        });
        let p = publish(&r, &[]).unwrap();
        assert_eq!(p.status, Status::Ditindaklanjuti);
        assert_eq!(p.merged_into.as_deref(), Some("BDG-26-AAAAA"));
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains("\"merged_into\":\"BDG-26-AAAAA\""));
        if let Some(m) = r.merged_into.as_mut() {
            m.confidential = true;
        }
        let p = publish(&r, &[]).unwrap();
        assert_eq!((p.status, p.merged_into), (Status::Diterima, None));
        // a request merged nowhere has no such field at all
        r.merged_into = None;
        let json = serde_json::to_string(&publish(&r, &[]).unwrap()).unwrap();
        assert!(!json.contains("merged_into"));
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
                // even a stored copy is not shown when the note is internal
                public_note: Some("cek ke lokasi, pelapor kerabat kadis".into()),
                unit_name: None,
                media_url: None,
            },
            EventRecord {
                id: 2,
                at: Utc::now(),
                step: "resolve".into(),
                to_status: Status::Selesai,
                note: Some("Jalan sudah ditambal oleh Wayan Sudira.".into()),
                note_public: true,
                public_note: public_note(
                    Some("Jalan sudah ditambal oleh Wayan Sudira."),
                    true,
                    &["Wayan Sudira"],
                ),
                unit_name: Some("DPUPR".into()),
                media_url: None,
            },
        ];
        let p = publish(&record(), &events).unwrap();
        assert_eq!(p.timeline[0].note, None);
        assert_eq!(
            p.timeline[1].note.as_deref(),
            Some("Jalan sudah ditambal oleh [disembunyikan].")
        );
        assert_eq!(
            p.timeline.iter().map(|e| e.id).collect::<Vec<_>>(),
            [1, 2],
            "entries keep their ids"
        );
    }

    #[test]
    fn the_public_reads_only_the_stored_public_text() {
        // raw text with personal data, public text never made: nothing of the raw shows
        let p = publish(&raw_record(), &[]).unwrap();
        assert_eq!(p.title, "");
        assert_eq!(p.description, "");
        assert_eq!(p.location_address, None);
    }

    #[test]
    fn remasking_adds_names_and_never_unmasks() {
        let first = PublicText::of(
            "Laporan dari Made Sudarma",
            "NIK 5103011204850001",
            None,
            None,
            &["Made Sudarma"],
        );
        assert_eq!(first.title, "Laporan dari [disembunyikan]");
        let corrected = first.remask(&["Ketut Arsa"]);
        assert_eq!(corrected.title, "Laporan dari [disembunyikan]");
        assert_eq!(corrected.description, "NIK [disembunyikan]");
        let other =
            PublicText::of("Ketut Arsa melapor", "", None, None, &[]).remask(&["Ketut Arsa"]);
        assert_eq!(other.title, "[disembunyikan] melapor");
        assert_eq!(public_note(Some("catatan"), false, &[]), None);
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
