//! Outside agencies (instansi luar): the bodies a request that is not the regency's authority
//! ("bukan wewenang") is referred to, e.g. the province, PLN, the PDAM, BPN or the police.
//! Kominfo keeps the list with each agency's public contact; an agency is deactivated, never
//! deleted, so a request referred to it keeps saying where it went.

use crate::validation::{optional_email, optional_phone, optional_url, required, required_text};
use crate::FieldErrors;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyKind {
    /// The provincial government (Pemprov) and its offices.
    Provinsi,
    /// A ministry or national agency.
    Kementerian,
    /// A central government office in the regency (instansi vertikal: BPN, Polres, balai).
    InstansiVertikal,
    /// A state-owned enterprise (PLN, Telkom, ...).
    Bumn,
    /// A regionally owned enterprise (the PDAM, ...).
    Bumd,
    Lainnya,
}

impl AgencyKind {
    pub const ALL: [AgencyKind; 6] = [
        Self::Provinsi,
        Self::Kementerian,
        Self::InstansiVertikal,
        Self::Bumn,
        Self::Bumd,
        Self::Lainnya,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Provinsi => "provinsi",
            Self::Kementerian => "kementerian",
            Self::InstansiVertikal => "instansi_vertikal",
            Self::Bumn => "bumn",
            Self::Bumd => "bumd",
            Self::Lainnya => "lainnya",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or("invalid_choice")
    }
}

/// What the form submits for an agency, before any checking.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AgencyInput {
    pub name: String,
    pub kind: String,
    pub email: String,
    pub phone: String,
    pub website: String,
    /// A checkbox: present ("on") when ticked.
    pub active: Option<String>,
}

/// A checked agency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyDraft {
    pub name: String,
    pub kind: AgencyKind,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub active: bool,
}

impl AgencyInput {
    /// Checks every field; the reporter is told how to reach the agency, so it needs at least
    /// one way: an email address or a phone number.
    pub fn parse(&self) -> Result<AgencyDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = e.check("name", required_text(&self.name, 200));
        let kind = e.check("kind", required(&self.kind, AgencyKind::parse));
        let email = e.check("email", optional_email(&self.email));
        let phone = e.check("phone", optional_phone(&self.phone));
        let website = e.check("website", optional_url(&self.website));
        if let (Some(None), Some(None)) = (&email, &phone) {
            e.add("email", "contact_required");
        }
        e.into_result(|| AgencyDraft {
            name: name.unwrap_or_default(),
            kind: kind.unwrap_or(AgencyKind::Lainnya),
            email: email.flatten(),
            phone: phone.flatten(),
            website: website.flatten(),
            active: self.active.is_some(),
        })
    }
}

/// An agency as the workflow and the public pages see it: its name and public contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyContact {
    pub id: i64,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
}

impl AgencyContact {
    /// The contact in one line, for the reporter's notice and the public timeline.
    pub fn contact_line(&self) -> String {
        [&self.email, &self.phone, &self.website]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Why a request is `dialihkan` or `ditunda`, as the public reads it: the reason (masked of
/// personal data when written), the agency it went to with its public contact, or the date a
/// deferral ends. Public by design: it names an institution, never a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusReason {
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agency: Option<AgencyContact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deferred_until: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AgencyInput {
        AgencyInput {
            name: "PLN UP3 Bali Selatan".into(),
            kind: "bumn".into(),
            email: "".into(),
            phone: "123".into(),
            website: "".into(),
            active: Some("on".into()),
        }
    }

    #[test]
    fn an_agency_needs_a_name_a_kind_and_a_contact() {
        let e = AgencyInput::default().parse().unwrap_err();
        assert_eq!(e.for_field("name"), Some("required"));
        assert_eq!(e.for_field("kind"), Some("required"));
        assert_eq!(e.for_field("email"), Some("contact_required"));
        let e = input().parse().unwrap_err();
        assert_eq!(e.for_field("phone"), Some("invalid_phone"));
        let ok = AgencyInput {
            phone: "123".into(),
            email: "Pengaduan@PLN.co.id".into(),
            ..input()
        };
        assert!(
            ok.parse().is_err(),
            "a bad phone is refused even with an email"
        );
        let ok = AgencyInput {
            phone: "123".into(),
            ..input()
        };
        let ok = AgencyInput {
            phone: "0361 123456".into(),
            website: "https://web.pln.co.id".into(),
            ..ok
        }
        .parse()
        .unwrap();
        assert_eq!(ok.kind, AgencyKind::Bumn);
        assert!(ok.active);
        assert_eq!(
            AgencyInput {
                website: "javascript:alert(1)".into(),
                ..input()
            }
            .parse()
            .unwrap_err()
            .for_field("website"),
            Some("invalid_url")
        );
    }

    #[test]
    fn the_contact_line_lists_what_is_known() {
        let c = AgencyContact {
            id: 1,
            name: "PDAM".into(),
            email: Some("a@b.id".into()),
            phone: None,
            website: Some("https://x.id".into()),
        };
        assert_eq!(c.contact_line(), "a@b.id, https://x.id");
    }
}
