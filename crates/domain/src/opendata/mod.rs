//! Open data (Satu Data): datasets that units publish and Kominfo, the *walidata* (the
//! regency's data steward under Perpres 39/2019), approves before they become public.
//!
//! A unit is the *produsen data* (data producer). Its editors and admins describe datasets
//! and attach resources (uploaded files, or *live* tables that kotapintar computes from its own
//! records); only the walidata publishes, returns or withdraws them. The metadata follows
//! what CKAN harvesters re-validate (names, tags, licences) so that a national CKAN can harvest
//! the catalogue unchanged.

pub mod query;
pub mod table;

use crate::content::EditorialStatus;
use crate::ids::UnitId;
use crate::FieldErrors;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A dataset's name in addresses and in the CKAN API: 2 to 100 characters of lower-case ASCII
/// letters, digits, `-` and `_` (CKAN's `name_validator`), never one of CKAN's reserved words.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct DatasetName(String);

impl DatasetName {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let t = raw.trim();
        if t.len() < 2 || t.len() > 100 {
            return Err("dataset_name_length");
        }
        if !t
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err("dataset_name_chars");
        }
        if matches!(t, "new" | "edit" | "search") {
            return Err("dataset_name_reserved");
        }
        Ok(Self(t.to_string()))
    }

    /// A name made from a title, for a dataset whose editor typed none.
    pub fn from_title(title: &str) -> Self {
        let slug = crate::content::Slug::from_title(title);
        let s = slug.as_str();
        if s.len() >= 2 {
            Self(s.chars().take(100).collect())
        } else {
            Self(format!("data-{s}"))
        }
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The same name numbered, when a made-up name is already taken.
    pub fn numbered(&self, n: u32) -> Self {
        let suffix = format!("-{n}");
        let base: String = self.0.chars().take(100 - suffix.len()).collect();
        Self(format!("{base}{suffix}"))
    }
}

impl std::fmt::Display for DatasetName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One keyword: what CKAN accepts (`[\w .-]`, 2 to 100 characters), kept as typed but trimmed.
pub fn parse_tag(raw: &str) -> Result<String, &'static str> {
    let t = raw.trim();
    let n = t.chars().count();
    if !(2..=100).contains(&n) {
        return Err("tag_length");
    }
    if !t
        .chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == ' ' || c == '-' || c == '.')
    {
        return Err("tag_chars");
    }
    Ok(t.to_string())
}

/// The licences a regency's data may carry: CKAN's ids, so a harvesting CKAN knows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Licence {
    CcBy,
    CcBySa,
    CcZero,
    OdcBy,
    OdcOdbl,
    OtherOpen,
    NotSpecified,
}

impl Licence {
    pub const ALL: [Licence; 7] = [
        Self::CcBy,
        Self::CcBySa,
        Self::CcZero,
        Self::OdcBy,
        Self::OdcOdbl,
        Self::OtherOpen,
        Self::NotSpecified,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Self::CcBy => "cc-by",
            Self::CcBySa => "cc-by-sa",
            Self::CcZero => "cc-zero",
            Self::OdcBy => "odc-by",
            Self::OdcOdbl => "odc-odbl",
            Self::OtherOpen => "other-open",
            Self::NotSpecified => "notspecified",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|l| l.id() == s)
            .ok_or("unknown_licence")
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::CcBy => "Creative Commons Attribution 4.0",
            Self::CcBySa => "Creative Commons Attribution Share-Alike 4.0",
            Self::CcZero => "Creative Commons CCZero",
            Self::OdcBy => "Open Data Commons Attribution License",
            Self::OdcOdbl => "Open Data Commons Open Database License (ODbL)",
            Self::OtherOpen => "Other (Open)",
            Self::NotSpecified => "License not specified",
        }
    }

    /// A URI for the licence (DCAT wants one); `None` where there is no such document.
    pub fn url(self) -> Option<&'static str> {
        match self {
            Self::CcBy => Some("https://creativecommons.org/licenses/by/4.0/"),
            Self::CcBySa => Some("https://creativecommons.org/licenses/by-sa/4.0/"),
            Self::CcZero => Some("https://creativecommons.org/publicdomain/zero/1.0/"),
            Self::OdcBy => Some("https://opendatacommons.org/licenses/by/1-0/"),
            Self::OdcOdbl => Some("https://opendatacommons.org/licenses/odbl/1-0/"),
            Self::OtherOpen | Self::NotSpecified => None,
        }
    }

    pub fn is_open(self) -> bool {
        !matches!(self, Self::NotSpecified)
    }
}

/// How often a dataset is updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Frequency {
    Continuous,
    Daily,
    Weekly,
    Monthly,
    Quarterly,
    Annual,
    Irregular,
}

impl Frequency {
    pub const ALL: [Frequency; 7] = [
        Self::Continuous,
        Self::Daily,
        Self::Weekly,
        Self::Monthly,
        Self::Quarterly,
        Self::Annual,
        Self::Irregular,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Continuous => "continuous",
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
            Self::Quarterly => "quarterly",
            Self::Annual => "annual",
            Self::Irregular => "irregular",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or("unknown_frequency")
    }

    /// DCAT-US `accrualPeriodicity` (ISO 8601 repeating duration, or `irregular`).
    pub fn iso8601(self) -> &'static str {
        match self {
            Self::Continuous => "R/PT1S",
            Self::Daily => "R/P1D",
            Self::Weekly => "R/P1W",
            Self::Monthly => "R/P1M",
            Self::Quarterly => "R/P3M",
            Self::Annual => "R/P1Y",
            Self::Irregular => "irregular",
        }
    }

    /// DCAT-AP `dct:accrualPeriodicity`: the EU Frequency vocabulary.
    pub fn eu_uri(self) -> &'static str {
        match self {
            Self::Continuous => {
                "http://publications.europa.eu/resource/authority/frequency/UPDATE_CONT"
            }
            Self::Daily => "http://publications.europa.eu/resource/authority/frequency/DAILY",
            Self::Weekly => "http://publications.europa.eu/resource/authority/frequency/WEEKLY",
            Self::Monthly => "http://publications.europa.eu/resource/authority/frequency/MONTHLY",
            Self::Quarterly => {
                "http://publications.europa.eu/resource/authority/frequency/QUARTERLY"
            }
            Self::Annual => "http://publications.europa.eu/resource/authority/frequency/ANNUAL",
            Self::Irregular => "http://publications.europa.eu/resource/authority/frequency/IRREG",
        }
    }
}

/// The catalogue's topics: CKAN groups, and `dcat:theme` (with the EU data theme each maps to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Topic {
    Pemerintahan,
    Keuangan,
    Ekonomi,
    Kesehatan,
    Pendidikan,
    Infrastruktur,
    Kependudukan,
    Sosial,
    Lingkungan,
    Pariwisata,
}

impl Topic {
    pub const ALL: [Topic; 10] = [
        Self::Pemerintahan,
        Self::Keuangan,
        Self::Ekonomi,
        Self::Kesehatan,
        Self::Pendidikan,
        Self::Infrastruktur,
        Self::Kependudukan,
        Self::Sosial,
        Self::Lingkungan,
        Self::Pariwisata,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pemerintahan => "pemerintahan",
            Self::Keuangan => "keuangan",
            Self::Ekonomi => "ekonomi",
            Self::Kesehatan => "kesehatan",
            Self::Pendidikan => "pendidikan",
            Self::Infrastruktur => "infrastruktur",
            Self::Kependudukan => "kependudukan",
            Self::Sosial => "sosial",
            Self::Lingkungan => "lingkungan",
            Self::Pariwisata => "pariwisata",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or("unknown_topic")
    }

    /// The title shown to people and in CKAN's `title` (Indonesian: the catalogue's language).
    pub fn title(self) -> &'static str {
        match self {
            Self::Pemerintahan => "Pemerintahan",
            Self::Keuangan => "Keuangan Daerah",
            Self::Ekonomi => "Ekonomi",
            Self::Kesehatan => "Kesehatan",
            Self::Pendidikan => "Pendidikan",
            Self::Infrastruktur => "Infrastruktur",
            Self::Kependudukan => "Kependudukan",
            Self::Sosial => "Sosial",
            Self::Lingkungan => "Lingkungan Hidup",
            Self::Pariwisata => "Pariwisata",
        }
    }

    /// The EU data theme (DCAT-AP `dcat:theme`).
    pub fn eu_theme(self) -> &'static str {
        let code = match self {
            Self::Pemerintahan => "GOVE",
            Self::Keuangan | Self::Ekonomi | Self::Pariwisata => "ECON",
            Self::Kesehatan => "HEAL",
            Self::Pendidikan => "EDUC",
            Self::Infrastruktur => "TRAN",
            Self::Kependudukan | Self::Sosial => "SOCI",
            Self::Lingkungan => "ENVI",
        };
        match code {
            "GOVE" => "http://publications.europa.eu/resource/authority/data-theme/GOVE",
            "ECON" => "http://publications.europa.eu/resource/authority/data-theme/ECON",
            "HEAL" => "http://publications.europa.eu/resource/authority/data-theme/HEAL",
            "EDUC" => "http://publications.europa.eu/resource/authority/data-theme/EDUC",
            "TRAN" => "http://publications.europa.eu/resource/authority/data-theme/TRAN",
            "SOCI" => "http://publications.europa.eu/resource/authority/data-theme/SOCI",
            _ => "http://publications.europa.eu/resource/authority/data-theme/ENVI",
        }
    }

    /// The English label the EU Data Theme vocabulary gives the theme of [`Self::eu_theme`]
    /// (DCAT-AP wants every `skos:Concept` it meets to carry a `skos:prefLabel`).
    pub fn eu_theme_label(self) -> &'static str {
        match self {
            Self::Pemerintahan => "Government and public sector",
            Self::Keuangan | Self::Ekonomi | Self::Pariwisata => "Economy and finance",
            Self::Kesehatan => "Health",
            Self::Pendidikan => "Education, culture and sport",
            Self::Infrastruktur => "Transport",
            Self::Kependudukan | Self::Sosial => "Population and society",
            Self::Lingkungan => "Environment",
        }
    }
}

/// The tables kotapintar produces from its own records and keeps current: a resource of this
/// kind has no file; every download computes it (through a short cache).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LiveSource {
    /// Requests received and resolved per unit per month.
    RequestsMonthly,
    /// Per unit: resolved requests, median and p90 working days, share resolved on time.
    ResolutionTimes,
    /// The satisfaction index (IKM) per unit.
    Ikm,
    /// Development projects with budget and progress.
    Projects,
    /// The units (perangkat daerah) and their contacts.
    Units,
    /// The services and their time limits.
    Services,
}

impl LiveSource {
    pub const ALL: [LiveSource; 6] = [
        Self::RequestsMonthly,
        Self::ResolutionTimes,
        Self::Ikm,
        Self::Projects,
        Self::Units,
        Self::Services,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RequestsMonthly => "requests_monthly",
            Self::ResolutionTimes => "resolution_times",
            Self::Ikm => "ikm",
            Self::Projects => "projects",
            Self::Units => "units",
            Self::Services => "services",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or("unknown_live_source")
    }
}

/// What a resource's file is. Uploads are checked by content, not by their name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ResourceFormat {
    Csv,
    Xlsx,
    Json,
    Pdf,
}

impl ResourceFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "CSV",
            Self::Xlsx => "XLSX",
            Self::Json => "JSON",
            Self::Pdf => "PDF",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        match s.to_ascii_uppercase().as_str() {
            "CSV" => Ok(Self::Csv),
            "XLSX" => Ok(Self::Xlsx),
            "JSON" => Ok(Self::Json),
            "PDF" => Ok(Self::Pdf),
            _ => Err("unknown_format"),
        }
    }

    pub fn mimetype(self) -> &'static str {
        match self {
            Self::Csv => "text/csv",
            Self::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Self::Json => "application/json",
            Self::Pdf => "application/pdf",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Json => "json",
            Self::Pdf => "pdf",
        }
    }

    /// The EU file type (DCAT-AP `dct:format`).
    pub fn eu_uri(self) -> &'static str {
        match self {
            Self::Csv => "http://publications.europa.eu/resource/authority/file-type/CSV",
            Self::Xlsx => "http://publications.europa.eu/resource/authority/file-type/XLSX",
            Self::Json => "http://publications.europa.eu/resource/authority/file-type/JSON",
            Self::Pdf => "http://publications.europa.eu/resource/authority/file-type/PDF",
        }
    }

    pub fn is_tabular(self) -> bool {
        matches!(self, Self::Csv)
    }
}

/// Largest file a unit may upload as a resource.
pub const RESOURCE_MAX_BYTES: usize = 20 * 1024 * 1024;

/// Why an uploaded file was refused: a message key, and for CSV the line it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub code: &'static str,
    pub line: Option<u64>,
}

impl FileProblem {
    fn new(code: &'static str) -> Self {
        Self { code, line: None }
    }
}

/// Checks an uploaded resource by its content (the name only says which format was meant):
/// a CSV must be UTF-8 with every row as long as its header, an XLSX a zip package, JSON must
/// parse, a PDF start like one. Returns the format and, for a CSV, its table.
pub fn check_upload(
    file_name: &str,
    bytes: &[u8],
) -> Result<(ResourceFormat, Option<table::Table>), FileProblem> {
    if bytes.is_empty() {
        return Err(FileProblem::new("file_empty"));
    }
    if bytes.len() > RESOURCE_MAX_BYTES {
        return Err(FileProblem::new("file_too_large"));
    }
    let ext = file_name
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if bytes.starts_with(b"%PDF-") {
        return Ok((ResourceFormat::Pdf, None));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        if ext == "xlsx" {
            return Ok((ResourceFormat::Xlsx, None));
        }
        return Err(FileProblem::new("file_unknown_format"));
    }
    match ext.as_str() {
        "json" | "geojson" => serde_json::from_slice::<serde_json::Value>(bytes)
            .map(|_| (ResourceFormat::Json, None))
            .map_err(|e| FileProblem {
                code: "json_invalid",
                line: Some(e.line() as u64),
            }),
        "csv" | "txt" => table::Table::from_csv(bytes)
            .map(|t| (ResourceFormat::Csv, Some(t)))
            .map_err(|e| FileProblem {
                code: e.code,
                line: e.line,
            }),
        _ => Err(FileProblem::new("file_unknown_format")),
    }
}

/// A file name safe to put in a `Content-Disposition` header and a download URL.
pub fn download_name(raw: &str, format: ResourceFormat) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = base.rsplit_once('.').map(|(s, _)| s).unwrap_or(base);
    let mut clean = String::new();
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            clean.push(c.to_ascii_lowercase());
        } else if !clean.ends_with('-') {
            clean.push('-');
        }
    }
    let clean: String = clean.trim_matches('-').chars().take(80).collect();
    let clean = if clean.is_empty() {
        "data".into()
    } else {
        clean
    };
    format!("{clean}.{}", format.extension())
}

/// A dataset's time span as DCAT-US 1.1 (`temporal` in /data.json) accepts it: an ISO 8601
/// interval `start/end`. The Project Open Data schema's patterns refuse the open end `start/..`,
/// so a span still running is stated up to `today` (the regency's date when the catalogue is
/// read), which is what it covers so far. A span with no start cannot be said in that schema
/// and is left out; DCAT-AP's RDF keeps both forms as they are.
pub fn pod_temporal(
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<String> {
    let start = start?;
    let end = end.unwrap_or(today).max(start);
    Some(format!("{start}/{end}"))
}

/// The metadata a unit fills in, as typed (forms and the API send strings).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct DatasetInput {
    pub name: String,
    pub title: String,
    pub notes: String,
    pub tags: String,
    pub topic: String,
    pub licence: String,
    pub frequency: String,
    pub temporal_start: String,
    pub temporal_end: String,
    pub spatial: String,
    pub contact_name: String,
    pub contact_email: String,
}

/// A checked dataset description, ready to store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetDraft {
    pub unit_id: UnitId,
    /// `None`: make one from the title.
    pub name: Option<DatasetName>,
    pub title: String,
    pub notes: String,
    pub tags: Vec<String>,
    pub topic: Topic,
    pub licence: Licence,
    pub frequency: Frequency,
    pub temporal_start: Option<NaiveDate>,
    pub temporal_end: Option<NaiveDate>,
    pub spatial: String,
    pub contact_name: String,
    pub contact_email: String,
}

pub const TITLE_MAX: usize = 200;
pub const NOTES_MAX: usize = 10_000;

fn parse_date(raw: &str) -> Result<Option<NaiveDate>, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| "invalid_date")
}

fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(|c| c.is_whitespace() || c == '<' || c == '>')
        }
        None => false,
    }
}

impl DatasetInput {
    pub fn parse(&self, unit_id: UnitId) -> Result<DatasetDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let title = self.title.trim().to_string();
        if title.is_empty() {
            e.add("title", "required");
        } else if title.chars().count() > TITLE_MAX {
            e.add("title", "too_long");
        }
        let name = if self.name.trim().is_empty() {
            None
        } else {
            e.check("name", DatasetName::parse(&self.name))
        };
        let notes = self.notes.trim().to_string();
        if notes.is_empty() {
            // DCAT-AP makes a description mandatory; a harvester would refuse without one
            e.add("notes", "required");
        } else if notes.chars().count() > NOTES_MAX {
            e.add("notes", "too_long");
        }
        let mut tags: Vec<String> = Vec::new();
        for raw in self.tags.split(',').filter(|t| !t.trim().is_empty()) {
            if let Some(t) = e.check("tags", parse_tag(raw)) {
                if !tags.iter().any(|x| x.eq_ignore_ascii_case(&t)) {
                    tags.push(t);
                }
            }
        }
        if tags.len() > 20 {
            e.add("tags", "too_many_tags");
        }
        let topic = e.check("topic", Topic::parse(self.topic.trim()));
        let licence = e.check("licence", Licence::parse(self.licence.trim()));
        let frequency = e.check("frequency", Frequency::parse(self.frequency.trim()));
        let start = e.check("temporal_start", parse_date(&self.temporal_start));
        let end = e.check("temporal_end", parse_date(&self.temporal_end));
        if let (Some(Some(s)), Some(Some(t))) = (start, end) {
            if t < s {
                e.add("temporal_end", "ends_before_start");
            }
        }
        let contact_email = self.contact_email.trim().to_string();
        if contact_email.is_empty() {
            e.add("contact_email", "required");
        } else if !looks_like_email(&contact_email) {
            e.add("contact_email", "invalid_email");
        }
        let contact_name = self.contact_name.trim().to_string();
        if contact_name.is_empty() {
            e.add("contact_name", "required");
        }
        let spatial = self.spatial.trim().chars().take(200).collect();
        if !e.is_empty() {
            return Err(e);
        }
        Ok(DatasetDraft {
            unit_id,
            name,
            title,
            notes,
            tags,
            topic: topic.unwrap_or(Topic::Pemerintahan),
            licence: licence.unwrap_or(Licence::CcBy),
            frequency: frequency.unwrap_or(Frequency::Irregular),
            temporal_start: start.flatten(),
            temporal_end: end.flatten(),
            spatial,
            contact_name,
            contact_email,
        })
    }
}

/// A dataset is public only once the walidata approved it.
pub fn is_public(status: EditorialStatus) -> bool {
    status == EditorialStatus::Published
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_temporal_closes_an_open_span_at_today() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let today = d("2026-12-07");
        assert_eq!(
            pod_temporal(Some(d("2024-01-01")), Some(d("2025-12-31")), today).as_deref(),
            Some("2024-01-01/2025-12-31")
        );
        assert_eq!(
            pod_temporal(Some(d("2024-01-01")), None, today).as_deref(),
            Some("2024-01-01/2026-12-07")
        );
        // a span starting after today still reads as an interval, never end before start
        assert_eq!(
            pod_temporal(Some(d("2027-01-01")), None, today).as_deref(),
            Some("2027-01-01/2027-01-01")
        );
        assert_eq!(pod_temporal(None, Some(d("2025-12-31")), today), None);
        assert_eq!(pod_temporal(None, None, today), None);
    }

    #[test]
    fn every_topic_has_the_label_of_its_eu_theme() {
        for t in Topic::ALL {
            let code = t.eu_theme().rsplit('/').next().unwrap();
            let label = t.eu_theme_label();
            let expected = match code {
                "GOVE" => "Government and public sector",
                "ECON" => "Economy and finance",
                "HEAL" => "Health",
                "EDUC" => "Education, culture and sport",
                "TRAN" => "Transport",
                "SOCI" => "Population and society",
                "ENVI" => "Environment",
                other => panic!("unexpected theme {other}"),
            };
            assert_eq!(label, expected, "{t:?}");
        }
    }
    use crate::content::EditorialStep;
    use crate::ids::UserId;
    use crate::policy::{Actor, Permission};
    use crate::user::{Role, RoleAssignment, Username};

    fn actor(role: Role, unit: Option<i64>) -> Actor {
        Actor {
            user_id: UserId(1),
            username: Username::from_stored("x".into()),
            full_name: "X".into(),
            roles: vec![RoleAssignment {
                role,
                unit_id: unit.map(UnitId),
            }],
        }
    }

    #[test]
    fn names_follow_ckan_rules() {
        assert!(DatasetName::parse("apbd-2025").is_ok());
        assert!(DatasetName::parse("data_pasar_1").is_ok());
        assert_eq!(DatasetName::parse("a"), Err("dataset_name_length"));
        assert_eq!(
            DatasetName::parse(&"a".repeat(101)),
            Err("dataset_name_length")
        );
        assert_eq!(DatasetName::parse("APBD"), Err("dataset_name_chars"));
        assert_eq!(DatasetName::parse("apbd 2025"), Err("dataset_name_chars"));
        assert_eq!(DatasetName::parse("new"), Err("dataset_name_reserved"));
        assert_eq!(
            DatasetName::from_title("Jumlah Penduduk Per Desa 2025").as_str(),
            "jumlah-penduduk-per-desa-2025"
        );
        assert_eq!(DatasetName::from_title("A").as_str(), "data-a");
        assert_eq!(
            DatasetName::parse("apbd").unwrap().numbered(2).as_str(),
            "apbd-2"
        );
    }

    #[test]
    fn tags_follow_ckan_rules() {
        assert_eq!(parse_tag(" anggaran "), Ok("anggaran".into()));
        assert_eq!(parse_tag("APBD 2025"), Ok("APBD 2025".into()));
        assert_eq!(parse_tag("kesehatan.ibu"), Ok("kesehatan.ibu".into()));
        assert_eq!(parse_tag("x"), Err("tag_length"));
        assert_eq!(parse_tag("a/b"), Err("tag_chars"));
        assert_eq!(parse_tag("harga<script>"), Err("tag_chars"));
    }

    #[test]
    fn input_names_every_wrong_field() {
        let input = DatasetInput {
            name: "Bad Name".into(),
            title: String::new(),
            notes: String::new(),
            tags: "ok, x".into(),
            topic: "astrologi".into(),
            licence: "gpl".into(),
            frequency: "hourly".into(),
            temporal_start: "2025-02-01".into(),
            temporal_end: "2025-01-01".into(),
            spatial: String::new(),
            contact_name: String::new(),
            contact_email: "not-an-email".into(),
        };
        let e = input.parse(UnitId(1)).unwrap_err();
        for (field, code) in [
            ("name", "dataset_name_chars"),
            ("title", "required"),
            ("notes", "required"),
            ("tags", "tag_length"),
            ("topic", "unknown_topic"),
            ("licence", "unknown_licence"),
            ("frequency", "unknown_frequency"),
            ("temporal_end", "ends_before_start"),
            ("contact_name", "required"),
            ("contact_email", "invalid_email"),
        ] {
            assert_eq!(e.for_field(field), Some(code), "{field}");
        }
    }

    #[test]
    fn a_good_input_parses() {
        let input = DatasetInput {
            name: String::new(),
            title: "Jumlah Pasar".into(),
            notes: "Pasar tradisional per kecamatan.".into(),
            tags: "pasar, ekonomi, pasar".into(),
            topic: "ekonomi".into(),
            licence: "cc-by".into(),
            frequency: "annual".into(),
            temporal_start: "2025-01-01".into(),
            temporal_end: String::new(),
            spatial: "Kabupaten Badung".into(),
            contact_name: "Disperindag".into(),
            contact_email: "data@badungkab.go.id".into(),
        };
        let d = input.parse(UnitId(3)).unwrap();
        assert_eq!(d.name, None);
        assert_eq!(d.tags, vec!["pasar".to_string(), "ekonomi".to_string()]);
        assert_eq!(d.topic, Topic::Ekonomi);
        assert_eq!(d.frequency.iso8601(), "R/P1Y");
        assert_eq!(d.temporal_start, NaiveDate::from_ymd_opt(2025, 1, 1));
    }

    #[test]
    fn producers_submit_only_the_walidata_publishes() {
        let editor = actor(Role::Editor, Some(3));
        let unit_admin = actor(Role::UnitAdmin, Some(3));
        let other = actor(Role::Editor, Some(4));
        let officer = actor(Role::Officer, Some(3));
        let kominfo = actor(Role::Admin, None);
        let u = UnitId(3);
        assert!(editor.can(Permission::DatasetStep {
            unit: u,
            step: EditorialStep::Submit
        }));
        assert!(unit_admin.can(Permission::DatasetStep {
            unit: u,
            step: EditorialStep::Submit
        }));
        assert!(!other.can(Permission::DatasetStep {
            unit: u,
            step: EditorialStep::Submit
        }));
        assert!(!officer.can(Permission::ProduceData { unit: u }));
        for step in [
            EditorialStep::Publish,
            EditorialStep::Return,
            EditorialStep::Unpublish,
        ] {
            assert!(!editor.can(Permission::DatasetStep { unit: u, step }));
            assert!(!unit_admin.can(Permission::DatasetStep { unit: u, step }));
            assert!(kominfo.can(Permission::DatasetStep { unit: u, step }));
        }
    }

    #[test]
    fn uploads_are_checked_by_content() {
        assert_eq!(
            check_upload("a.csv", b"tahun,jumlah\n2024,5\n").unwrap().0,
            ResourceFormat::Csv
        );
        assert_eq!(
            check_upload("a.pdf", b"%PDF-1.7 ...").unwrap().0,
            ResourceFormat::Pdf
        );
        assert_eq!(
            check_upload("a.json", b"{\"a\": [1, 2]}").unwrap().0,
            ResourceFormat::Json
        );
        assert_eq!(
            check_upload("a.json", b"{\"a\": \n[1, 2}").unwrap_err(),
            FileProblem {
                code: "json_invalid",
                line: Some(2)
            }
        );
        assert_eq!(
            check_upload("a.xlsx", b"PK\x03\x04rest").unwrap().0,
            ResourceFormat::Xlsx
        );
        assert_eq!(
            check_upload("a.exe", b"MZ").unwrap_err().code,
            "file_unknown_format"
        );
        assert_eq!(check_upload("a.csv", b"").unwrap_err().code, "file_empty");
        let big = vec![b'a'; RESOURCE_MAX_BYTES + 1];
        assert_eq!(
            check_upload("a.csv", &big).unwrap_err().code,
            "file_too_large"
        );
        let ragged = check_upload("a.csv", b"a,b\n1,2\n3\n").unwrap_err();
        assert_eq!((ragged.code, ragged.line), ("csv_ragged_row", Some(3)));
        let latin1 = check_upload("a.csv", b"nama\nDenpasar\nPeng\xe9\n").unwrap_err();
        assert_eq!((latin1.code, latin1.line), ("csv_not_utf8", Some(3)));
    }

    #[test]
    fn download_names_are_safe() {
        assert_eq!(
            download_name("../Data Pasar 2025.CSV", ResourceFormat::Csv),
            "data-pasar-2025.csv"
        );
        assert_eq!(download_name("\"<>.pdf", ResourceFormat::Pdf), "data.pdf");
    }
}
