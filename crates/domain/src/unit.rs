//! Perangkat daerah (SKPD/OPD): the government work units that serve the public.

use crate::ids::UnitId;
use crate::validation::{
    optional_email, optional_phone, optional_text, optional_url, required_text,
};
use crate::FieldErrors;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    Dinas,
    Badan,
    Kecamatan,
    /// A kelurahan or desa office.
    Kelurahan,
    /// A bagian of the Sekretariat Daerah.
    Bagian,
    Inspektorat,
    Other,
}

impl UnitKind {
    pub const ALL: [UnitKind; 7] = [
        Self::Dinas,
        Self::Badan,
        Self::Kecamatan,
        Self::Kelurahan,
        Self::Bagian,
        Self::Inspektorat,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dinas => "dinas",
            Self::Badan => "badan",
            Self::Kecamatan => "kecamatan",
            Self::Kelurahan => "kelurahan",
            Self::Bagian => "bagian",
            Self::Inspektorat => "inspektorat",
            Self::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or("invalid_choice")
    }
}

/// A unit's short code, e.g. `DISKOMINFO`: upper-case letters, digits, `-` and `.`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UnitCode(String);

impl UnitCode {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let t = raw.trim().to_uppercase();
        if t.is_empty() {
            return Err("required");
        }
        if t.len() < 2 || t.len() > 32 {
            return Err("invalid_unit_code");
        }
        if !t
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '.')
        {
            return Err("invalid_unit_code");
        }
        Ok(Self(t))
    }

    /// For codes read back from storage, which were parsed on the way in.
    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The unit's address segment (`/unit/{slug}`): the code, lower-cased.
    pub fn slug(&self) -> String {
        self.0.to_lowercase().replace('.', "-")
    }
}

impl TryFrom<String> for UnitCode {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<UnitCode> for String {
    fn from(c: UnitCode) -> Self {
        c.0
    }
}

impl std::fmt::Display for UnitCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a form or API call submits for a unit, before any checking.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct UnitInput {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub parent_code: String,
    pub head_name: String,
    pub address: String,
    pub phone: String,
    pub email: String,
    pub website: String,
    pub opening_hours: String,
    pub active: Option<String>,
}

/// A unit's fields after every rule has been checked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitDraft {
    pub code: UnitCode,
    pub name: String,
    pub kind: UnitKind,
    /// Resolved to an id by storage, which also rejects unknown codes.
    pub parent_code: Option<UnitCode>,
    pub head_name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    /// As the unit writes it: "Senin-Kamis 08.00-15.30, Jumat 08.00-13.00".
    pub opening_hours: Option<String>,
    pub active: bool,
}

impl UnitInput {
    pub fn parse(&self) -> Result<UnitDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let code = e.check("code", UnitCode::parse(&self.code));
        let name = e.check("name", required_text(&self.name, 200));
        let kind = e.check(
            "kind",
            crate::validation::required(&self.kind, UnitKind::parse),
        );
        let parent_code = e.check(
            "parent_code",
            match optional_text(&self.parent_code, 32) {
                Ok(Some(p)) => UnitCode::parse(&p).map(Some),
                Ok(None) => Ok(None),
                Err(c) => Err(c),
            },
        );
        if let (Some(c), Some(Some(p))) = (&code, &parent_code) {
            if c == p {
                e.add("parent_code", "parent_is_self");
            }
        }
        let head_name = e.check("head_name", optional_text(&self.head_name, 200));
        let address = e.check("address", optional_text(&self.address, 500));
        let phone = e.check("phone", optional_phone(&self.phone));
        let email = e.check("email", optional_email(&self.email));
        let website = e.check("website", optional_url(&self.website));
        let opening_hours = e.check("opening_hours", optional_text(&self.opening_hours, 300));
        let active = matches!(self.active.as_deref(), Some("on" | "true" | "1"));
        match (code, name, kind) {
            (Some(code), Some(name), Some(kind)) if e.is_empty() => Ok(UnitDraft {
                code,
                name,
                kind,
                parent_code: parent_code.flatten(),
                head_name: head_name.flatten(),
                address: address.flatten(),
                phone: phone.flatten(),
                email: email.flatten(),
                website: website.flatten(),
                opening_hours: opening_hours.flatten(),
                active,
            }),
            _ => Err(e),
        }
    }
}

/// A stored unit, as every layer above storage sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unit {
    pub id: UnitId,
    pub code: UnitCode,
    pub slug: String,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
    pub head_name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub opening_hours: Option<String>,
    pub active: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> UnitInput {
        UnitInput {
            code: " diskominfo ".into(),
            name: "Dinas Komunikasi dan Informatika".into(),
            kind: "dinas".into(),
            active: Some("on".into()),
            ..Default::default()
        }
    }

    #[test]
    fn parses_a_valid_unit() {
        let d = input().parse().unwrap();
        assert_eq!(d.code.as_str(), "DISKOMINFO");
        assert_eq!(d.code.slug(), "diskominfo");
        assert!(d.active);
        assert_eq!(d.kind, UnitKind::Dinas);
    }

    #[test]
    fn names_every_wrong_field() {
        let mut i = input();
        i.code = "dinas kominfo!".into();
        i.name = "  ".into();
        i.kind = "kementerian".into();
        i.email = "nope".into();
        let e = i.parse().unwrap_err();
        assert_eq!(e.for_field("code"), Some("invalid_unit_code"));
        assert_eq!(e.for_field("name"), Some("required"));
        assert_eq!(e.for_field("kind"), Some("invalid_choice"));
        assert_eq!(e.for_field("email"), Some("invalid_email"));
        assert_eq!(e.0.len(), 4);
    }

    #[test]
    fn a_unit_is_not_its_own_parent() {
        let mut i = input();
        i.parent_code = "DISKOMINFO".into();
        assert_eq!(
            i.parse().unwrap_err().for_field("parent_code"),
            Some("parent_is_self")
        );
    }
}
