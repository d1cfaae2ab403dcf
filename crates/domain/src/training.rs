//! Bimtek (bimbingan teknis): training events for the units' staff, registration within a
//! capacity, attendance checked in with a personal code (shown as a QR code), a short
//! evaluation, and certificates anyone can verify by their code.

use crate::request::CODE_ALPHABET;
use crate::validation::{optional_text, optional_url, required_text};
use crate::FieldErrors;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a form submits for an event. Times are local (`datetime-local` fields).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct EventInput {
    pub title: String,
    pub topic: String,
    pub application_id: String,
    pub starts_at: String,
    pub ends_at: String,
    pub place: String,
    pub trainers: String,
    pub capacity: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventDraft {
    pub title: String,
    pub topic: Option<String>,
    pub application_id: Option<i64>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub trainers: String,
    pub capacity: i32,
}

pub const MAX_CAPACITY: i32 = 1000;

/// Reads a `datetime-local` value (`2026-12-03T09:00`, seconds optional) in the deployment's
/// zone.
pub fn parse_local_time(
    raw: &str,
    offset: chrono::FixedOffset,
) -> Result<DateTime<Utc>, &'static str> {
    crate::validation::local_datetime(raw, offset, "bimtek.invalid_time")
}

impl EventInput {
    pub fn parse(&self, offset: chrono::FixedOffset) -> Result<EventDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let title = e.check("title", required_text(&self.title, 200));
        let topic = e.check("topic", optional_text(&self.topic, 2000)).flatten();
        let application_id = if self.application_id.trim().is_empty() {
            Some(None)
        } else {
            e.check(
                "application_id",
                self.application_id
                    .trim()
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| "invalid_choice"),
            )
        };
        let starts = e.check("starts_at", parse_local_time(&self.starts_at, offset));
        let ends = e.check("ends_at", parse_local_time(&self.ends_at, offset));
        if let (Some(s), Some(en)) = (starts, ends) {
            if en <= s {
                e.add("ends_at", "bimtek.ends_before_start");
            }
        }
        let place = e.check("place", required_text(&self.place, 300));
        let trainers = e.check("trainers", required_text(&self.trainers, 500));
        let capacity = e.check(
            "capacity",
            match self.capacity.trim().parse::<i32>() {
                _ if self.capacity.trim().is_empty() => Err("required"),
                Ok(c) if (1..=MAX_CAPACITY).contains(&c) => Ok(c),
                _ => Err("bimtek.invalid_capacity"),
            },
        );
        let (
            Some(title),
            Some(application_id),
            Some(starts_at),
            Some(ends_at),
            Some(place),
            Some(trainers),
            Some(capacity),
        ) = (
            title,
            application_id,
            starts,
            ends,
            place,
            trainers,
            capacity,
        )
        else {
            return Err(e);
        };
        e.into_result(|| EventDraft {
            title,
            topic,
            application_id,
            starts_at,
            ends_at,
            place,
            trainers,
            capacity,
        })
    }
}

/// Whether one more person fits.
pub fn has_room(registered: u64, capacity: i32) -> bool {
    registered < u64::try_from(capacity).unwrap_or(0)
}

/// A participant's check-in code, e.g. `K7QM-3XPA`: eight characters from the alphabet
/// without look-alikes (28^8 ≈ 3.8 · 10^11), unique across all events.
pub fn checkin_code(random: [u8; 8]) -> String {
    let s: String = random
        .iter()
        .map(|b| CODE_ALPHABET[*b as usize % CODE_ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &s[..4], &s[4..])
}

/// A certificate's verification code, e.g. `SRT-7K3Q-9XMP-AT4H`: twelve characters
/// (28^12 ≈ 2.3 · 10^17), so that codes cannot be guessed by trying.
pub fn certificate_code(random: [u8; 12]) -> String {
    let s: String = random
        .iter()
        .map(|b| CODE_ALPHABET[*b as usize % CODE_ALPHABET.len()] as char)
        .collect();
    format!("SRT-{}-{}-{}", &s[..4], &s[4..8], &s[8..])
}

fn clean(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Reads a check-in code as typed or scanned: any case, with or without the dash.
pub fn normalise_checkin_code(raw: &str) -> Option<String> {
    let c = clean(raw);
    if c.len() != 8 || !c.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("{}-{}", &c[..4], &c[4..]))
}

/// Reads a certificate code as typed: any case, with or without `SRT` and the dashes.
pub fn normalise_certificate_code(raw: &str) -> Option<String> {
    let c = clean(raw);
    let c = match c.strip_prefix("SRT") {
        Some(rest) if c.len() == 15 => rest,
        _ => &c,
    };
    if c.len() != 12 || !c.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("SRT-{}-{}-{}", &c[..4], &c[4..8], &c[8..]))
}

/// Why a check-in is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CheckinRefusal {
    /// No registration has this code.
    Unknown,
    /// The code belongs to a registration for another event.
    OtherEvent,
    /// This participant has already checked in.
    AlreadyUsed,
    /// Check-in opens an hour before the start and closes at the end of the day it ends.
    Closed,
}

impl CheckinRefusal {
    pub fn code(self) -> &'static str {
        match self {
            Self::Unknown => "bimtek.code_unknown",
            Self::OtherEvent => "bimtek.code_other_event",
            Self::AlreadyUsed => "bimtek.code_used",
            Self::Closed => "bimtek.checkin_closed",
        }
    }
}

/// Checks one check-in against the registration the code found.
pub fn check_in(
    event_id: i64,
    registration_event_id: i64,
    already_checked_in: bool,
    now: DateTime<Utc>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> Result<(), CheckinRefusal> {
    if registration_event_id != event_id {
        return Err(CheckinRefusal::OtherEvent);
    }
    if already_checked_in {
        return Err(CheckinRefusal::AlreadyUsed);
    }
    let opens = starts_at - chrono::Duration::hours(1);
    let closes = ends_at + chrono::Duration::hours(12);
    if now < opens || now > closes {
        return Err(CheckinRefusal::Closed);
    }
    Ok(())
}

/// The short evaluation: three ratings 1–5 and an optional comment.
pub const EVALUATION_QUESTIONS: [&str; 3] = ["content", "trainer", "usefulness"];

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct EvaluationInput {
    pub content: String,
    pub trainer: String,
    pub usefulness: String,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    pub content: u8,
    pub trainer: u8,
    pub usefulness: u8,
    pub comment: Option<String>,
}

impl EvaluationInput {
    pub fn parse(&self) -> Result<Evaluation, FieldErrors> {
        let mut e = FieldErrors::new();
        let mut rate = |field: &str, raw: &str| {
            e.check(
                field,
                match raw.trim().parse::<u8>() {
                    Ok(v) if (1..=5).contains(&v) => Ok(v),
                    _ if raw.trim().is_empty() => Err("required"),
                    _ => Err("bimtek.invalid_rating"),
                },
            )
        };
        let content = rate("content", &self.content);
        let trainer = rate("trainer", &self.trainer);
        let usefulness = rate("usefulness", &self.usefulness);
        let comment = e
            .check("comment", optional_text(&self.comment, 2000))
            .flatten();
        let (Some(content), Some(trainer), Some(usefulness)) = (content, trainer, usefulness)
        else {
            return Err(e);
        };
        e.into_result(|| Evaluation {
            content,
            trainer,
            usefulness,
            comment,
        })
    }
}

/// A training material: a title and a link (files are uploaded as links to the unit's
/// shared drive or the application's manual).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct MaterialInput {
    pub title: String,
    pub url: String,
}

impl MaterialInput {
    pub fn parse(&self) -> Result<(String, String), FieldErrors> {
        let mut e = FieldErrors::new();
        let title = e.check("title", required_text(&self.title, 200));
        let url = e
            .check("url", optional_url(&self.url))
            .and_then(|u| match u {
                Some(u) => Some(u),
                None => {
                    e.add("url", "required");
                    None
                }
            });
        let (Some(title), Some(url)) = (title, url) else {
            return Err(e);
        };
        e.into_result(|| (title, url))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn wita() -> chrono::FixedOffset {
        chrono::FixedOffset::east_opt(8 * 3600).unwrap()
    }

    #[test]
    fn events_are_checked() {
        let good = EventInput {
            title: "Bimtek Kontak Bupati".into(),
            starts_at: "2026-12-03T09:00".into(),
            ends_at: "2026-12-03T15:00".into(),
            place: "Ruang Rapat Diskominfo".into(),
            trainers: "Tim Diskominfo".into(),
            capacity: "30".into(),
            ..Default::default()
        };
        let d = good.parse(wita()).unwrap();
        assert_eq!(d.starts_at.to_rfc3339(), "2026-12-03T01:00:00+00:00");
        assert_eq!(d.capacity, 30);
        let bad = EventInput {
            ends_at: "2026-12-03T08:00".into(),
            capacity: "0".into(),
            ..good
        };
        let e = bad.parse(wita()).unwrap_err();
        assert_eq!(e.for_field("ends_at"), Some("bimtek.ends_before_start"));
        assert_eq!(e.for_field("capacity"), Some("bimtek.invalid_capacity"));
    }

    #[test]
    fn capacity() {
        assert!(has_room(29, 30));
        assert!(!has_room(30, 30));
        assert!(!has_room(0, 0));
    }

    #[test]
    fn codes_use_the_unambiguous_alphabet() {
        let c = checkin_code([0, 1, 2, 3, 4, 5, 6, 255]);
        assert_eq!(c.len(), 9);
        assert_eq!(
            normalise_checkin_code(&c.to_lowercase().replace('-', "")),
            Some(c.clone())
        );
        assert_eq!(normalise_checkin_code("ABCD-EF"), None);
        let s = certificate_code([9; 12]);
        assert!(s.starts_with("SRT-"));
        assert_eq!(
            normalise_certificate_code(&s.replace('-', " ")),
            Some(s.clone())
        );
        assert_eq!(normalise_certificate_code(&s[4..]), Some(s.clone()));
        assert_eq!(normalise_certificate_code("SRT-0000-0000-0000"), None);
        for b in certificate_code([7; 12]).bytes().filter(|b| *b != b'-') {
            assert!(b"SRT".contains(&b) || CODE_ALPHABET.contains(&b));
        }
    }

    #[test]
    fn check_in_rules() {
        let start = Utc.with_ymd_and_hms(2026, 12, 3, 1, 0, 0).unwrap();
        let end = start + chrono::Duration::hours(6);
        let now = start + chrono::Duration::minutes(10);
        assert_eq!(check_in(1, 1, false, now, start, end), Ok(()));
        assert_eq!(
            check_in(1, 2, false, now, start, end),
            Err(CheckinRefusal::OtherEvent)
        );
        assert_eq!(
            check_in(1, 1, true, now, start, end),
            Err(CheckinRefusal::AlreadyUsed)
        );
        assert_eq!(
            check_in(1, 1, false, start - chrono::Duration::hours(2), start, end),
            Err(CheckinRefusal::Closed)
        );
    }

    #[test]
    fn evaluation_ratings() {
        let e = EvaluationInput {
            content: "5".into(),
            trainer: "6".into(),
            usefulness: "".into(),
            comment: "".into(),
        }
        .parse()
        .unwrap_err();
        assert_eq!(e.for_field("trainer"), Some("bimtek.invalid_rating"));
        assert_eq!(e.for_field("usefulness"), Some("required"));
    }
}
