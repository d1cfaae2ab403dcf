//! Routing rules kept by Kominfo: "this service (or this kind of request) in this kecamatan or
//! desa goes to that unit". They are evaluated in order at intake, before any learned
//! suggestion: the first active rule that matches dispatches the request at once, and the
//! verification step is recorded as done by that rule.
//!
//! A rule names either a service or a kind, never both (a service already has a kind, and two
//! conditions that can contradict each other would make a rule that silently never matches),
//! and optionally an area: a kecamatan, a desa, or none for the whole regency.

use crate::ids::UnitId;
use crate::region::{RegionCode, RegionLevel};
use crate::request::RequestKind;
use crate::validation::optional_text;
use crate::FieldErrors;

/// The longest note a rule may carry (why it exists, for the next admin).
pub const NOTE_MAX: usize = 200;

/// How many rules a deployment may keep: they are all read at every intake.
pub const MAX_RULES: u64 = 500;

/// What a rule matches on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matches {
    Service(i64),
    Kind(RequestKind),
}

/// A routing rule as it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: i64,
    /// Rules are tried by ascending position, then by id.
    pub position: i32,
    pub matches: Matches,
    /// A kecamatan or a desa; `None`: anywhere in the regency.
    pub area: Option<RegionCode>,
    pub unit: UnitId,
    pub note: Option<String>,
    pub active: bool,
}

/// What a rule reads of a request: what the reporter chose at intake.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub service: Option<i64>,
    pub kind: RequestKind,
    pub district: Option<&'a str>,
    pub village: Option<&'a str>,
}

impl Rule {
    /// Whether the rule routes this request. A rule with an area needs the request to name a
    /// place inside it: a request without a place matches only rules for the whole regency.
    pub fn matches(&self, s: &Subject<'_>) -> bool {
        if !self.active {
            return false;
        }
        let what = match &self.matches {
            Matches::Service(id) => s.service == Some(*id),
            Matches::Kind(k) => s.kind == *k,
        };
        let place = match &self.area {
            None => true,
            Some(area) => [s.village, s.district].into_iter().flatten().any(|code| {
                code == area.as_str() || RegionCode::parse(code).is_ok_and(|c| c.is_within(area))
            }),
        };
        what && place
    }
}

/// The rule that routes a request: the first active match in the rules' order.
pub fn first_match<'a>(rules: &'a [Rule], s: &Subject<'_>) -> Option<&'a Rule> {
    let mut ordered: Vec<&Rule> = rules.iter().collect();
    ordered.sort_by_key(|r| (r.position, r.id));
    ordered.into_iter().find(|r| r.matches(s))
}

/// A rule as the admin typed it, every field a string from the form.
#[derive(Debug, Clone, Default)]
pub struct RuleForm<'a> {
    pub position: &'a str,
    pub service: &'a str,
    pub kind: &'a str,
    pub district: &'a str,
    pub village: &'a str,
    pub unit: &'a str,
    pub note: &'a str,
    pub active: bool,
}

/// A checked rule, before storage confirms that the service, the areas and the unit exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleDraft {
    pub position: i32,
    pub matches: Matches,
    pub area: Option<RegionCode>,
    pub unit: UnitId,
    pub note: Option<String>,
    pub active: bool,
}

fn optional_id(raw: &str) -> Result<Option<i64>, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .map(Some)
        .ok_or("invalid_choice")
}

fn area_code(raw: &str, level: RegionLevel) -> Result<Option<RegionCode>, &'static str> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let code = RegionCode::parse(raw)?;
    if code.level() != level {
        return Err("invalid_region_code");
    }
    Ok(Some(code))
}

impl RuleForm<'_> {
    /// Checks the form; every problem is reported at once.
    pub fn parse(&self) -> Result<RuleDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let position = self.position.trim();
        let position = if position.is_empty() {
            Some(100)
        } else {
            e.check(
                "position",
                position
                    .parse::<i32>()
                    .ok()
                    .filter(|p| (0..=9999).contains(p))
                    .ok_or("invalid_position"),
            )
        };
        let service = e.check("service_id", optional_id(self.service)).flatten();
        let kind = if self.kind.trim().is_empty() {
            None
        } else {
            e.check("kind", RequestKind::parse(self.kind))
        };
        let matches = match (service, kind) {
            (Some(s), None) => Some(Matches::Service(s)),
            (None, Some(k)) => Some(Matches::Kind(k)),
            (Some(_), Some(_)) => {
                e.add("kind", "service_or_kind");
                None
            }
            // an unparsable field already said why
            (None, None)
                if e.for_field("service_id").is_none() && e.for_field("kind").is_none() =>
            {
                e.add("service_id", "service_or_kind");
                None
            }
            (None, None) => None,
        };
        let district = e
            .check(
                "district_code",
                area_code(self.district, RegionLevel::District),
            )
            .flatten();
        let village = e
            .check(
                "village_code",
                area_code(self.village, RegionLevel::Village),
            )
            .flatten();
        let area = match (district, village) {
            (Some(d), Some(v)) if !v.is_within(&d) => {
                e.add("village_code", "village_not_in_district");
                None
            }
            (_, Some(v)) => Some(v),
            (d, None) => d,
        };
        let unit = match optional_id(self.unit) {
            Ok(Some(u)) => Some(UnitId(u)),
            Ok(None) => {
                e.add("unit_id", "required");
                None
            }
            Err(code) => {
                e.add("unit_id", code);
                None
            }
        };
        let note = e
            .check("note", optional_text(self.note, NOTE_MAX))
            .flatten();
        match (position, matches, unit) {
            (Some(position), Some(matches), Some(unit)) if e.is_empty() => Ok(RuleDraft {
                position,
                matches,
                area,
                unit,
                note,
                active: self.active,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: i64, position: i32, matches: Matches, area: Option<&str>, unit: i64) -> Rule {
        Rule {
            id,
            position,
            matches,
            area: area.map(|a| RegionCode::parse(a).unwrap()),
            unit: UnitId(unit),
            note: None,
            active: true,
        }
    }

    fn subject<'a>(
        service: Option<i64>,
        district: Option<&'a str>,
        village: Option<&'a str>,
    ) -> Subject<'a> {
        Subject {
            service,
            kind: RequestKind::Pengaduan,
            district,
            village,
        }
    }

    #[test]
    fn the_first_rule_in_order_wins_and_an_inactive_one_never_matches() {
        let mut rules = vec![
            rule(1, 20, Matches::Kind(RequestKind::Pengaduan), None, 10),
            rule(2, 10, Matches::Service(7), Some("51.03.02"), 20),
            rule(3, 5, Matches::Service(7), Some("51.03.01"), 30),
        ];
        let s = subject(Some(7), Some("51.03.02"), None);
        assert_eq!(first_match(&rules, &s).map(|r| r.id), Some(2));
        rules[1].active = false;
        assert_eq!(first_match(&rules, &s).map(|r| r.id), Some(1));
        // same position: the older rule first
        rules[0].position = 5;
        rules[2].area = None;
        assert_eq!(first_match(&rules, &s).map(|r| r.id), Some(1));
    }

    #[test]
    fn an_area_rule_needs_a_place_inside_it() {
        let kec = rule(1, 1, Matches::Service(7), Some("51.03.02"), 10);
        let desa = rule(2, 1, Matches::Service(7), Some("51.03.02.2001"), 10);
        assert!(kec.matches(&subject(Some(7), Some("51.03.02"), None)));
        assert!(kec.matches(&subject(Some(7), None, Some("51.03.02.2001"))));
        assert!(!kec.matches(&subject(Some(7), Some("51.03.01"), None)));
        assert!(!kec.matches(&subject(Some(7), None, None)));
        assert!(desa.matches(&subject(Some(7), Some("51.03.02"), Some("51.03.02.2001"))));
        assert!(!desa.matches(&subject(Some(7), Some("51.03.02"), Some("51.03.02.2002"))));
        assert!(!desa.matches(&subject(Some(7), Some("51.03.02"), None)));
        assert!(!desa.matches(&subject(Some(8), Some("51.03.02"), Some("51.03.02.2001"))));
    }

    #[test]
    fn a_kind_rule_matches_the_kind_only() {
        let r = rule(1, 1, Matches::Kind(RequestKind::Aspirasi), None, 10);
        assert!(!r.matches(&subject(None, None, None)));
        let mut s = subject(Some(3), None, None);
        s.kind = RequestKind::Aspirasi;
        assert!(r.matches(&s));
    }

    fn form<'a>() -> RuleForm<'a> {
        RuleForm {
            position: "10",
            service: "",
            kind: "pengaduan",
            district: "51.03.02",
            village: "",
            unit: "4",
            note: " jalan rusak ",
            active: true,
        }
    }

    #[test]
    fn a_good_form_parses() {
        let d = form().parse().unwrap();
        assert_eq!(d.position, 10);
        assert_eq!(d.matches, Matches::Kind(RequestKind::Pengaduan));
        assert_eq!(d.area.unwrap().as_str(), "51.03.02");
        assert_eq!(d.unit, UnitId(4));
        assert_eq!(d.note.as_deref(), Some("jalan rusak"));
        let d = RuleForm {
            service: "9",
            kind: "",
            village: "51.03.02.2001",
            position: "",
            ..form()
        }
        .parse()
        .unwrap();
        assert_eq!(d.matches, Matches::Service(9));
        assert_eq!(d.area.unwrap().as_str(), "51.03.02.2001");
        assert_eq!(d.position, 100);
    }

    #[test]
    fn every_problem_of_a_bad_form_is_named() {
        let e = RuleForm {
            position: "-3",
            service: "x",
            kind: "banjir",
            district: "51.03",
            village: "51.03.01.2001x",
            unit: "",
            note: &"a".repeat(NOTE_MAX + 1),
            active: true,
        }
        .parse()
        .unwrap_err();
        for (field, code) in [
            ("position", "invalid_position"),
            ("service_id", "invalid_choice"),
            ("kind", "invalid_choice"),
            ("district_code", "invalid_region_code"),
            ("village_code", "invalid_region_code"),
            ("unit_id", "required"),
            ("note", "too_long"),
        ] {
            assert_eq!(e.for_field(field), Some(code), "{field}: {e:?}");
        }
        let both = RuleForm {
            service: "2",
            ..form()
        }
        .parse()
        .unwrap_err();
        assert_eq!(both.for_field("kind"), Some("service_or_kind"));
        let neither = RuleForm { kind: "", ..form() }.parse().unwrap_err();
        assert_eq!(neither.for_field("service_id"), Some("service_or_kind"));
        let outside = RuleForm {
            village: "51.03.01.2001",
            ..form()
        }
        .parse()
        .unwrap_err();
        assert_eq!(
            outside.for_field("village_code"),
            Some("village_not_in_district")
        );
    }
}
