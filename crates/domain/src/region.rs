//! Administrative areas (wilayah) with their Kemendagri codes.
//!
//! Codes nest by prefix: `51` Bali, `51.03` Kabupaten Badung, `51.03.05` Kecamatan Kuta
//! Selatan, `51.03.05.1002` a village. In the village part `1xxx` is a kelurahan (an urban
//! village run by the regency) and `2xxx` a desa (a self-governing village).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    Province,
    Regency,
    District,
    Village,
}

impl RegionLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Province => "province",
            Self::Regency => "regency",
            Self::District => "district",
            Self::Village => "village",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "province" => Self::Province,
            "regency" => Self::Regency,
            "district" => Self::District,
            "village" => Self::Village,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

impl RegionCode {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        let parts: Vec<&str> = raw.split('.').collect();
        let widths: &[usize] = &[2, 2, 2, 4];
        if parts.is_empty() || parts.len() > 4 {
            return Err("invalid_region_code");
        }
        for (part, width) in parts.iter().zip(widths) {
            if part.len() != *width || !part.chars().all(|c| c.is_ascii_digit()) {
                return Err("invalid_region_code");
            }
        }
        Ok(Self(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> RegionLevel {
        match self.0.split('.').count() {
            1 => RegionLevel::Province,
            2 => RegionLevel::Regency,
            3 => RegionLevel::District,
            _ => RegionLevel::Village,
        }
    }

    /// The code of the area this one lies in (`None` for a province).
    pub fn parent(&self) -> Option<RegionCode> {
        self.0
            .rsplit_once('.')
            .map(|(p, _)| RegionCode(p.to_string()))
    }

    pub fn is_within(&self, ancestor: &RegionCode) -> bool {
        self.0.len() > ancestor.0.len()
            && self.0.starts_with(&ancestor.0)
            && self.0.as_bytes()[ancestor.0.len()] == b'.'
    }

    /// For a village: kelurahan or desa, read off the code.
    pub fn village_kind(&self) -> Option<VillageKind> {
        if self.level() != RegionLevel::Village {
            return None;
        }
        match self.0.rsplit('.').next()?.as_bytes().first()? {
            b'1' => Some(VillageKind::Kelurahan),
            b'2' => Some(VillageKind::Desa),
            _ => None,
        }
    }
}

impl std::fmt::Display for RegionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = &'static str;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> Self {
        c.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VillageKind {
    Kelurahan,
    Desa,
}

impl VillageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Kelurahan => "kelurahan",
            Self::Desa => "desa",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_level() {
        let badung = RegionCode::parse("51.03").unwrap();
        assert_eq!(badung.level(), RegionLevel::Regency);
        assert_eq!(badung.parent().unwrap().as_str(), "51");
        let village = RegionCode::parse("51.03.05.1002").unwrap();
        assert_eq!(village.level(), RegionLevel::Village);
        assert_eq!(village.village_kind(), Some(VillageKind::Kelurahan));
        assert!(village.is_within(&badung));
        assert!(!RegionCode::parse("51.3")
            .unwrap_or(badung.clone())
            .is_within(&village));
        assert_eq!(
            RegionCode::parse("51.03.04.2001").unwrap().village_kind(),
            Some(VillageKind::Desa)
        );
    }

    #[test]
    fn rejects_malformed_codes() {
        for bad in [
            "",
            "5",
            "51.3",
            "51.03.5",
            "51.03.05.12",
            "51.03.05.1002.1",
            "ab.cd",
        ] {
            assert_eq!(RegionCode::parse(bad), Err("invalid_region_code"), "{bad}");
        }
    }

    #[test]
    fn prefix_is_not_containment() {
        let a = RegionCode::parse("51.03").unwrap();
        let b = RegionCode::parse("51.03.01").unwrap();
        assert!(b.is_within(&a));
        assert!(!a.is_within(&a));
        assert!(!RegionCode::parse("51.04.01").unwrap().is_within(&a));
    }
}
