//! The smart-city masterplan (rencana induk smart city): dimensions and their elements,
//! programmes with horizons and indicators, yearly targets against actual values, progress
//! updates, and the readiness self-assessment (struktur, infrastruktur, suprastruktur).
//!
//! The dimensions are data (Kominfo's six are seeded; other programmes use other wheels), so
//! this module only checks their shape. Numbers are kept as hundredths in an `i64` (`Centi`):
//! exact on both databases, and two decimals is what a report shows.

use crate::validation::{optional_text, optional_url, required_text};
use crate::FieldErrors;
use serde::{Deserialize, Serialize};

/// A code, an Indonesian and an English name.
pub type TaxonSeed = (&'static str, &'static str, &'static str);
/// A dimension with its three elements.
pub type DimensionSeed = (&'static str, &'static str, &'static str, [TaxonSeed; 3]);

/// Kominfo's Gerakan Menuju 100 Smart City: six dimensions, three elements each. Seeded by the
/// migration; admins may rename, add or replace them.
pub const KOMINFO_DIMENSIONS: [DimensionSeed; 6] = [
    (
        "governance",
        "Smart Governance",
        "Smart Governance",
        [
            ("public_service", "Layanan publik", "Public service"),
            (
                "bureaucracy",
                "Manajemen birokrasi yang efisien",
                "Efficient bureaucracy",
            ),
            (
                "policy",
                "Efisiensi kebijakan publik",
                "Public policy efficiency",
            ),
        ],
    ),
    (
        "branding",
        "Smart Branding",
        "Smart Branding",
        [
            ("tourism", "Ekosistem pariwisata", "Tourism branding"),
            (
                "business",
                "Platform dan ekosistem bisnis daerah",
                "Business branding",
            ),
            ("appearance", "Penataan wajah kota", "City appearance"),
        ],
    ),
    (
        "economy",
        "Smart Economy",
        "Smart Economy",
        [
            (
                "industry",
                "Ekosistem industri berdaya saing",
                "Competitive industry",
            ),
            ("welfare", "Kesejahteraan rakyat", "Welfare"),
            (
                "transaction",
                "Ekosistem transaksi keuangan",
                "Financial transactions",
            ),
        ],
    ),
    (
        "living",
        "Smart Living",
        "Smart Living",
        [
            (
                "harmony",
                "Lingkungan layak huni dan harmonis",
                "Liveable harmony",
            ),
            ("health", "Kesehatan", "Health"),
            ("mobility", "Transportasi dan mobilitas", "Mobility"),
        ],
    ),
    (
        "society",
        "Smart Society",
        "Smart Society",
        [
            (
                "community",
                "Interaksi masyarakat dan komunitas",
                "Community",
            ),
            ("learning", "Ekosistem belajar", "Learning"),
            ("security", "Keamanan masyarakat", "Public safety"),
        ],
    ),
    (
        "environment",
        "Smart Environment",
        "Smart Environment",
        [
            (
                "protection",
                "Proteksi lingkungan",
                "Environmental protection",
            ),
            ("waste", "Tata kelola sampah dan limbah", "Waste management"),
            ("energy", "Tata kelola energi", "Energy management"),
        ],
    ),
];

/// A code for a dimension or an element: lower-case letters, digits and `_`, 2 to 40.
pub fn parse_code(raw: &str) -> Result<String, &'static str> {
    let t = raw.trim().to_lowercase();
    if t.is_empty() {
        return Err("required");
    }
    if !(2..=40).contains(&t.len())
        || !t
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err("masterplan.invalid_code");
    }
    Ok(t)
}

/// A dimension or an element, as a form submits it.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct TaxonInput {
    /// The dimension an element belongs to (empty for a dimension).
    pub dimension_id: String,
    pub code: String,
    pub name: String,
    pub name_en: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaxonDraft {
    pub dimension_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub name_en: String,
}

impl TaxonInput {
    pub fn parse(&self) -> Result<TaxonDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let dimension_id = if self.dimension_id.trim().is_empty() {
            None
        } else {
            e.check(
                "dimension_id",
                self.dimension_id
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| "invalid_choice"),
            )
        };
        let code = e.check("code", parse_code(&self.code));
        let name = e.check("name", required_text(&self.name, 200));
        let name_en = e.check("name_en", optional_text(&self.name_en, 200));
        e.into_result(|| {
            let name = name.unwrap_or_default();
            TaxonDraft {
                dimension_id,
                code: code.unwrap_or_default(),
                name_en: name_en.flatten().unwrap_or_else(|| name.clone()),
                name,
            }
        })
    }
}

/// The one of `all` whose stored name (`name`) is `s`, spaces around it ignored.
fn choice<T: Copy>(all: &[T], s: &str, name: fn(T) -> &'static str) -> Result<T, &'static str> {
    all.iter()
        .copied()
        .find(|c| name(*c) == s.trim())
        .ok_or("invalid_choice")
}

/// How far ahead a programme looks (the 2017/2021 guidebooks: quick wins inside a 5–10-year
/// plan; the year boundaries differ between editions, so they are not fixed here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Horizon {
    QuickWin,
    ShortTerm,
    MediumTerm,
}

impl Horizon {
    pub const ALL: [Horizon; 3] = [Self::QuickWin, Self::ShortTerm, Self::MediumTerm];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::QuickWin => "quick_win",
            Self::ShortTerm => "short_term",
            Self::MediumTerm => "medium_term",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        choice(&Self::ALL, s, Self::as_str)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgrammeStatus {
    Planned,
    Running,
    Delayed,
    Completed,
    Cancelled,
}

impl ProgrammeStatus {
    pub const ALL: [ProgrammeStatus; 5] = [
        Self::Planned,
        Self::Running,
        Self::Delayed,
        Self::Completed,
        Self::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Running => "running",
            Self::Delayed => "delayed",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        choice(&Self::ALL, s, Self::as_str)
    }
}

/// The years a masterplan programme may name.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

pub fn parse_year(raw: &str) -> Result<i32, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("required");
    }
    t.parse::<i32>()
        .ok()
        .filter(|y| YEARS.contains(y))
        .ok_or("masterplan.invalid_year")
}

/// An amount of rupiah as people type it: `1500000`, `1.500.000`, `Rp 1.500.000`.
pub fn parse_rupiah(raw: &str) -> Result<i64, &'static str> {
    let t = raw.trim();
    let t = t
        .strip_prefix("Rp")
        .or_else(|| t.strip_prefix("rp"))
        .unwrap_or(t)
        .trim();
    let digits: String = t.chars().filter(|c| *c != '.' && *c != ' ').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) || digits.len() > 15 {
        return Err("masterplan.invalid_amount");
    }
    digits.parse().map_err(|_| "masterplan.invalid_amount")
}

/// One line of the "budget per year" box: `2026: 250.000.000`.
pub fn parse_budgets(raw: &str) -> Result<Vec<(i32, i64)>, &'static str> {
    let mut out: Vec<(i32, i64)> = Vec::new();
    for line in raw.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (y, amount) = line
            .split_once(':')
            .or_else(|| line.split_once('='))
            .ok_or("masterplan.invalid_budget")?;
        let year = parse_year(y).map_err(|_| "masterplan.invalid_budget")?;
        let amount = parse_rupiah(amount).map_err(|_| "masterplan.invalid_budget")?;
        if out.iter().any(|(y2, _)| *y2 == year) {
            return Err("masterplan.duplicate_year");
        }
        out.push((year, amount));
    }
    out.sort_unstable();
    Ok(out)
}

pub fn format_budgets(budgets: &[(i32, i64)]) -> String {
    budgets
        .iter()
        .map(|(y, a)| format!("{y}: {a}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Rupiah with Indonesian thousands separators: `Rp 1.500.000`.
pub fn format_rupiah(amount: i64) -> String {
    let digits = amount.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    format!("Rp {}{}", if amount < 0 { "-" } else { "" }, out)
}

/// What a form submits for a programme.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ProgrammeInput {
    pub name: String,
    pub description: String,
    pub element_id: String,
    pub horizon: String,
    pub owner_code: String,
    /// Unit codes, separated by commas or spaces (or several fields of the same name).
    pub partner_codes: String,
    pub rpjmd_code: String,
    pub start_year: String,
    pub end_year: String,
    /// One `year: amount` per line.
    pub budgets: String,
    /// Application ids from the registry, comma-separated.
    pub application_ids: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgrammeDraft {
    pub name: String,
    pub description: Option<String>,
    pub element_id: i64,
    pub horizon: Horizon,
    /// Resolved to ids by storage, which rejects unknown codes.
    pub owner_code: String,
    pub partner_codes: Vec<String>,
    pub rpjmd_code: Option<String>,
    pub start_year: i32,
    pub end_year: i32,
    pub budgets: Vec<(i32, i64)>,
    pub application_ids: Vec<i64>,
    pub status: ProgrammeStatus,
}

/// An RPJMD programme code as Permendagri 90/2019 writes them, e.g. `2.16.03` (digits and
/// dots, or letters for a local numbering: kept loose on purpose).
pub fn parse_rpjmd_code(raw: &str) -> Result<Option<String>, &'static str> {
    let Some(t) = optional_text(raw, 40)? else {
        return Ok(None);
    };
    if !t
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    {
        return Err("masterplan.invalid_rpjmd_code");
    }
    Ok(Some(t.to_uppercase()))
}

fn split_list(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl ProgrammeInput {
    pub fn parse(&self) -> Result<ProgrammeDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = e.check("name", required_text(&self.name, 200));
        let description = e
            .check("description", optional_text(&self.description, 4000))
            .flatten();
        let element_id = e.check(
            "element_id",
            if self.element_id.trim().is_empty() {
                Err("required")
            } else {
                self.element_id
                    .trim()
                    .parse::<i64>()
                    .map_err(|_| "invalid_choice")
            },
        );
        let horizon = e.check("horizon", Horizon::parse(&self.horizon));
        let owner = e.check("owner_code", required_text(&self.owner_code, 32));
        let partners: Vec<String> = split_list(&self.partner_codes)
            .map(str::to_uppercase)
            .collect();
        if let Some(o) = &owner {
            if partners.iter().any(|p| p.eq_ignore_ascii_case(o)) {
                e.add("partner_codes", "masterplan.owner_is_partner");
            }
        }
        let rpjmd = e
            .check("rpjmd_code", parse_rpjmd_code(&self.rpjmd_code))
            .flatten();
        let start = e.check("start_year", parse_year(&self.start_year));
        let end = e.check("end_year", parse_year(&self.end_year));
        if let (Some(s), Some(en)) = (start, end) {
            if en < s {
                e.add("end_year", "masterplan.end_before_start");
            }
        }
        let budgets = e.check("budgets", parse_budgets(&self.budgets));
        if let (Some(b), Some(s), Some(en)) = (&budgets, start, end) {
            if b.iter().any(|(y, _)| *y < s || *y > en) {
                e.add("budgets", "masterplan.budget_outside_years");
            }
        }
        let mut apps = Vec::new();
        for a in split_list(&self.application_ids) {
            match a.parse::<i64>() {
                Ok(id) if !apps.contains(&id) => apps.push(id),
                Ok(_) => {}
                Err(_) => {
                    e.add("application_ids", "invalid_choice");
                    break;
                }
            }
        }
        let status = if self.status.trim().is_empty() {
            Some(ProgrammeStatus::Planned)
        } else {
            e.check("status", ProgrammeStatus::parse(&self.status))
        };
        let (
            Some(name),
            Some(element_id),
            Some(horizon),
            Some(owner),
            Some(start),
            Some(end),
            Some(budgets),
            Some(status),
        ) = (
            name, element_id, horizon, owner, start, end, budgets, status,
        )
        else {
            return Err(e);
        };
        e.into_result(|| ProgrammeDraft {
            name,
            description,
            element_id,
            horizon,
            owner_code: owner.to_uppercase(),
            partner_codes: partners,
            rpjmd_code: rpjmd,
            start_year: start,
            end_year: end,
            budgets,
            application_ids: apps,
            status,
        })
    }
}

/// A decimal with two places, kept as hundredths: `12.5` is `Centi(1250)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Centi(pub i64);

impl Centi {
    /// Reads `12`, `12.5`, `12,5` (the Indonesian comma), `-3.25`. More than two decimals
    /// is refused rather than rounded: a target is what was written in the plan.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let t = raw.trim().replace(',', ".");
        let (neg, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest.to_string()),
            None => (false, t),
        };
        let (int, frac) = t.split_once('.').unwrap_or((t.as_str(), ""));
        if int.is_empty()
            || !int.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || int.len() > 13
        {
            return Err("masterplan.not_a_number");
        }
        if frac.len() > 2 {
            return Err("masterplan.too_many_decimals");
        }
        let int: i64 = int.parse().map_err(|_| "masterplan.not_a_number")?;
        let frac: i64 = format!("{frac:0<2}")
            .parse()
            .map_err(|_| "masterplan.not_a_number")?;
        let v = int * 100 + frac;
        Ok(Self(if neg { -v } else { v }))
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl std::fmt::Display for Centi {
    /// `12`, `12.5`, `12.25`: no trailing zeros.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        let (int, frac) = (a / 100, a % 100);
        if frac == 0 {
            write!(f, "{sign}{int}")
        } else if frac % 10 == 0 {
            write!(f, "{sign}{int}.{}", frac / 10)
        } else {
            write!(f, "{sign}{int}.{frac:02}")
        }
    }
}

/// What an indicator counts, which decides the values it accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// Whole things: applications, villages, people. Never negative, never fractional.
    Count,
    /// 0 to 100.
    Percent,
    /// Any decimal with up to two places (rupiah per capita, minutes, tonnes).
    Number,
    /// Done or not: 1 (ya) or 0 (tidak).
    YesNo,
}

impl ValueKind {
    pub const ALL: [ValueKind; 4] = [Self::Count, Self::Percent, Self::Number, Self::YesNo];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Count => "count",
            Self::Percent => "percent",
            Self::Number => "number",
            Self::YesNo => "yes_no",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        choice(&Self::ALL, s, Self::as_str)
    }
}

/// Whether a higher value is better (coverage) or a lower one (waiting time, waste).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Increase,
    Decrease,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Increase => "increase",
            Self::Decrease => "decrease",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        match s.trim() {
            "increase" | "" => Ok(Self::Increase),
            "decrease" => Ok(Self::Decrease),
            _ => Err("invalid_choice"),
        }
    }
}

/// An indicator's kind and measure, against which every target and actual is checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Measure {
    pub kind: ValueKind,
    /// What one of it is called: `aplikasi`, `desa`, `menit` (empty for percent and yes/no).
    pub unit: String,
}

impl Measure {
    /// Reads a target or an actual as staff type it, checking it fits this indicator: its
    /// type (a count is a whole number, a percentage is 0–100, yes/no is ya/tidak) and its
    /// unit (`80%` is refused for an indicator counted in applications, `12 desa` for one in
    /// percent). Empty means "no value".
    pub fn parse_value(&self, raw: &str) -> Result<Option<Centi>, &'static str> {
        let t = raw.trim();
        if t.is_empty() {
            return Ok(None);
        }
        if self.kind == ValueKind::YesNo {
            return match t.to_lowercase().as_str() {
                "ya" | "yes" | "1" | "sudah" => Ok(Some(Centi(100))),
                "tidak" | "no" | "0" | "belum" => Ok(Some(Centi(0))),
                _ => Err("masterplan.wrong_type"),
            };
        }
        // a unit written after the number must be this indicator's
        let number_end = t
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '-')))
            .map(|(i, _)| i)
            .unwrap_or(t.len());
        let (number, suffix) = t.split_at(number_end);
        let suffix = suffix.trim();
        if !suffix.is_empty() {
            let fits = match self.kind {
                ValueKind::Percent => suffix == "%" || suffix.eq_ignore_ascii_case("persen"),
                _ => !self.unit.is_empty() && suffix.eq_ignore_ascii_case(self.unit.trim()),
            };
            if !fits {
                return Err(if number.trim().is_empty() {
                    "masterplan.wrong_type"
                } else {
                    "masterplan.wrong_unit"
                });
            }
        }
        let v = Centi::parse(number).map_err(|code| {
            if code == "masterplan.not_a_number" {
                "masterplan.wrong_type"
            } else {
                code
            }
        })?;
        match self.kind {
            ValueKind::Count if v.0 % 100 != 0 => Err("masterplan.count_not_whole"),
            ValueKind::Count if v.0 < 0 => Err("masterplan.negative"),
            ValueKind::Percent if !(0..=10_000).contains(&v.0) => Err("masterplan.percent_range"),
            _ => Ok(Some(v)),
        }
    }

    /// A value with its unit, for pages and reports: `12 aplikasi`, `85.5%`, `ya`.
    pub fn show(&self, v: Centi, yes: &str, no: &str) -> String {
        match self.kind {
            ValueKind::Percent => format!("{v}%"),
            ValueKind::YesNo => (if v.0 > 0 { yes } else { no }).to_string(),
            _ if self.unit.is_empty() => v.to_string(),
            _ => format!("{v} {}", self.unit),
        }
    }
}

/// What a form submits for an indicator.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct IndicatorInput {
    pub name: String,
    pub kind: String,
    pub unit: String,
    pub direction: String,
    pub baseline: String,
    pub baseline_year: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorDraft {
    pub name: String,
    pub measure: Measure,
    pub direction: Direction,
    pub baseline: Centi,
    pub baseline_year: i32,
}

impl IndicatorInput {
    pub fn parse(&self) -> Result<IndicatorDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let name = e.check("name", required_text(&self.name, 300));
        let kind = e.check("kind", ValueKind::parse(&self.kind));
        let unit = e
            .check("unit", optional_text(&self.unit, 40))
            .flatten()
            .unwrap_or_default();
        let direction = e.check("direction", Direction::parse(&self.direction));
        let year = e.check("baseline_year", parse_year(&self.baseline_year));
        let measure = kind.map(|kind| Measure {
            kind,
            unit: match kind {
                ValueKind::Percent | ValueKind::YesNo => String::new(),
                _ => unit,
            },
        });
        let baseline = match &measure {
            Some(m) => e
                .check("baseline", m.parse_value(&self.baseline))
                .map(|v| v.unwrap_or(Centi(0))),
            None => None,
        };
        let (Some(name), Some(measure), Some(direction), Some(baseline), Some(year)) =
            (name, measure, direction, baseline, year)
        else {
            return Err(e);
        };
        e.into_result(|| IndicatorDraft {
            name,
            measure,
            direction,
            baseline,
            baseline_year: year,
        })
    }
}

/// A target or an actual for one indicator and year, as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ValueInput {
    pub year: String,
    pub target: String,
    pub actual: String,
}

/// Checks a year's target and actual against the indicator's measure and the programme's
/// years. At least one of the two must be given.
pub fn parse_values(
    input: &ValueInput,
    measure: &Measure,
    years: (i32, i32),
) -> Result<(i32, Option<Centi>, Option<Centi>), FieldErrors> {
    let mut e = FieldErrors::new();
    let year = e.check("year", parse_year(&input.year));
    if let Some(y) = year {
        if y < years.0 || y > years.1 {
            e.add("year", "masterplan.year_outside_programme");
        }
    }
    let target = e.check("target", measure.parse_value(&input.target));
    let actual = e.check("actual", measure.parse_value(&input.actual));
    if let (Some(None), Some(None)) = (target, actual) {
        e.add("target", "masterplan.value_required");
    }
    let (Some(year), Some(target), Some(actual)) = (year, target, actual) else {
        return Err(e);
    };
    e.into_result(|| (year, target, actual))
}

/// How an indicator stands in a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Attainment {
    /// No target set for the year.
    NoTarget,
    /// A target but no actual yet.
    NotReported,
    Achieved,
    Behind,
}

impl Attainment {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoTarget => "no_target",
            Self::NotReported => "not_reported",
            Self::Achieved => "achieved",
            Self::Behind => "behind",
        }
    }
}

pub fn attainment(
    direction: Direction,
    target: Option<Centi>,
    actual: Option<Centi>,
) -> Attainment {
    match (target, actual) {
        (None, _) => Attainment::NoTarget,
        (Some(_), None) => Attainment::NotReported,
        (Some(t), Some(a)) => {
            let ok = match direction {
                Direction::Increase => a >= t,
                Direction::Decrease => a <= t,
            };
            if ok {
                Attainment::Achieved
            } else {
                Attainment::Behind
            }
        }
    }
}

/// Progress towards a target from the baseline, in whole percent (capped at 0..=100).
pub fn progress_percent(baseline: Centi, target: Centi, actual: Centi) -> i64 {
    let span = target.0 - baseline.0;
    if span == 0 {
        return if actual == target { 100 } else { 0 };
    }
    let done = (actual.0 - baseline.0) * 100 / span;
    done.clamp(0, 100)
}

/// A programme is late when its status says so, or when its last year has passed and it is
/// not completed or cancelled, or when an indicator with a target for a past year is behind
/// or unreported.
pub fn is_late(
    status: ProgrammeStatus,
    end_year: i32,
    current_year: i32,
    past_attainments: &[Attainment],
) -> bool {
    match status {
        ProgrammeStatus::Delayed => true,
        ProgrammeStatus::Completed | ProgrammeStatus::Cancelled => false,
        _ => {
            end_year < current_year
                || past_attainments
                    .iter()
                    .any(|a| matches!(a, Attainment::Behind | Attainment::NotReported))
        }
    }
}

/// A dated progress update, as a form submits it. Evidence: links, one per line (files are
/// uploaded alongside).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct UpdateInput {
    pub reported_on: String,
    pub summary: String,
    pub status: String,
    pub links: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateDraft {
    pub reported_on: chrono::NaiveDate,
    pub summary: String,
    /// The programme's status from now on, if the update changes it.
    pub status: Option<ProgrammeStatus>,
    pub links: Vec<String>,
}

pub fn parse_date(raw: &str) -> Result<chrono::NaiveDate, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("required");
    }
    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| "invalid_date")
}

impl UpdateInput {
    pub fn parse(&self, today: chrono::NaiveDate) -> Result<UpdateDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let date = e.check("reported_on", parse_date(&self.reported_on));
        if date.is_some_and(|d| d > today) {
            e.add("reported_on", "masterplan.date_in_future");
        }
        let summary = e.check("summary", required_text(&self.summary, 4000));
        let status = if self.status.trim().is_empty() {
            None
        } else {
            e.check("status", ProgrammeStatus::parse(&self.status))
        };
        let mut links = Vec::new();
        for l in self.links.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match optional_url(l) {
                Ok(Some(u)) if !links.contains(&u) => links.push(u),
                Ok(_) => {}
                Err(code) => {
                    e.add("links", code);
                    break;
                }
            }
        }
        if links.len() > 10 {
            e.add("links", "masterplan.too_many_links");
        }
        let (Some(date), Some(summary)) = (date, summary) else {
            return Err(e);
        };
        e.into_result(|| UpdateDraft {
            reported_on: date,
            summary,
            status,
            links,
        })
    }
}

/// A report period: from and to, inclusive.
pub fn parse_period(
    from: &str,
    to: &str,
    today: chrono::NaiveDate,
) -> Result<(chrono::NaiveDate, chrono::NaiveDate), FieldErrors> {
    use chrono::Datelike;
    let mut e = FieldErrors::new();
    let from = if from.trim().is_empty() {
        chrono::NaiveDate::from_ymd_opt(today.year(), 1, 1)
    } else {
        e.check("from", parse_date(from))
    };
    let to = if to.trim().is_empty() {
        Some(today)
    } else {
        e.check("to", parse_date(to))
    };
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            e.add("to", "masterplan.end_before_start");
        }
    }
    let (Some(from), Some(to)) = (from, to) else {
        return Err(e);
    };
    e.into_result(|| (from, to))
}

/// The three readiness aspects of the masterplan guidebooks, each with its three items.
pub const READINESS: [(&str, [&str; 3]); 3] = [
    ("structure", ["people", "budget", "governance"]),
    ("infrastructure", ["physical", "digital", "social"]),
    ("superstructure", ["policy", "institution", "procedure"]),
];

/// Every item code, `aspect.item`, in order.
pub fn readiness_items() -> impl Iterator<Item = String> {
    READINESS
        .iter()
        .flat_map(|(a, items)| items.iter().map(move |i| format!("{a}.{i}")))
}

/// Scores 1 (rintisan) to 5 (optimum), per item, as a form submits them (`structure.people`).
pub fn parse_readiness(
    scores: &std::collections::HashMap<String, String>,
) -> Result<Vec<(String, u8)>, FieldErrors> {
    let mut e = FieldErrors::new();
    let mut out = Vec::new();
    for item in readiness_items() {
        let raw = scores.get(&item).map(|s| s.trim()).unwrap_or("");
        match raw.parse::<u8>() {
            Ok(v) if (1..=5).contains(&v) => out.push((item, v)),
            _ if raw.is_empty() => e.add(item, "required"),
            _ => e.add(item, "masterplan.invalid_score"),
        }
    }
    e.into_result(|| out)
}

/// An assessment's scores: per aspect the mean of its items, overall the mean of the
/// aspects, both on the 1–5 scale, in hundredths.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadinessScore {
    pub aspects: Vec<(&'static str, Centi)>,
    pub overall: Centi,
}

pub fn readiness_score(items: &[(String, u8)]) -> ReadinessScore {
    let mut aspects = Vec::new();
    for (aspect, _) in READINESS {
        let prefix = format!("{aspect}.");
        let vals: Vec<i64> = items
            .iter()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|(_, v)| i64::from(*v))
            .collect();
        let mean = if vals.is_empty() {
            0
        } else {
            // rounded half up to hundredths
            (vals.iter().sum::<i64>() * 100 * 2 + vals.len() as i64) / (2 * vals.len() as i64)
        };
        aspects.push((aspect, Centi(mean)));
    }
    let overall = (aspects.iter().map(|(_, c)| c.0).sum::<i64>() * 2 + aspects.len() as i64)
        / (2 * aspects.len() as i64);
    ReadinessScore {
        aspects,
        overall: Centi(overall),
    }
}

/// The maturity level an overall score reaches: 1 rintisan … 5 optimum (the SPBE names).
pub fn readiness_level(overall: Centi) -> u8 {
    match overall.0 {
        i64::MIN..=149 => 1,
        150..=249 => 2,
        250..=349 => 3,
        350..=449 => 4,
        _ => 5,
    }
}

#[cfg(test)]
mod tests;
