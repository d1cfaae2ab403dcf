//! What units publish on the portal: news (berita), announcements (pengumuman), agenda items
//! (agenda kegiatan) and development projects (proyek pembangunan), and the editorial workflow
//! they share.
//!
//! One aggregate, the *content item*, carries what every kind has (unit, title, slug, summary,
//! body, tags, place, workflow state); `ContentDetails` carries what only one kind has. The
//! workflow is the same for all: an editor drafts and submits for review, a unit admin (or
//! Kominfo) publishes, optionally at a later moment (scheduled publishing).

use crate::ids::{ContentId, UnitId};
use crate::region::RegionCode;
use crate::validation::{optional_text, required_text};
use crate::FieldErrors;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentKind {
    Berita,
    Pengumuman,
    Agenda,
    Proyek,
}

impl ContentKind {
    pub const ALL: [ContentKind; 4] = [Self::Berita, Self::Pengumuman, Self::Agenda, Self::Proyek];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Berita => "berita",
            Self::Pengumuman => "pengumuman",
            Self::Agenda => "agenda",
            Self::Proyek => "proyek",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or("invalid_choice")
    }

    /// The public list this kind is published under. Announcements share the news list.
    pub fn public_path(self) -> &'static str {
        match self {
            Self::Berita | Self::Pengumuman => "berita",
            Self::Agenda => "agenda",
            Self::Proyek => "proyek",
        }
    }
}

/// The editorial workflow is shared with open data: see [`crate::editorial`].
pub use crate::editorial::{next_status, EditorialStatus, EditorialStep, ImpossibleStep};

/// A URL segment: lower-case ASCII letters, digits and single hyphens, 1 to 80 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Slug(String);

pub const SLUG_MAX: usize = 80;

impl Slug {
    /// A slug as typed by an editor: must already be in slug form.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let t = raw.trim();
        if t.is_empty() || t.len() > SLUG_MAX {
            return Err("invalid_slug");
        }
        let ok = t
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !t.starts_with('-')
            && !t.ends_with('-')
            && !t.contains("--");
        if ok {
            Ok(Self(t.to_string()))
        } else {
            Err("invalid_slug")
        }
    }

    /// A slug made from a title: accents folded, everything else turned into hyphens, cut at a
    /// word boundary so it stays readable.
    pub fn from_title(title: &str) -> Self {
        let mut s = String::new();
        for c in title.chars().flat_map(char::to_lowercase) {
            let c = fold_accent(c);
            if c.is_ascii_alphanumeric() {
                s.push(c);
            } else if !s.is_empty() && !s.ends_with('-') {
                s.push('-');
            }
        }
        while s.ends_with('-') {
            s.pop();
        }
        if s.len() > SLUG_MAX {
            let cut = s[..SLUG_MAX].rfind('-').unwrap_or(SLUG_MAX);
            s.truncate(cut);
        }
        if s.is_empty() {
            s.push_str("item");
        }
        Self(s)
    }

    /// The `n`-th alternative when the slug is taken: `jalan-rusak-2`, `-3`, ...
    pub fn numbered(&self, n: u32) -> Self {
        let suffix = format!("-{n}");
        let mut base = self.0.clone();
        if base.len() + suffix.len() > SLUG_MAX {
            base.truncate(SLUG_MAX - suffix.len());
            while base.ends_with('-') {
                base.pop();
            }
        }
        Self(base + &suffix)
    }

    pub fn from_stored(s: String) -> Self {
        Self(s)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn fold_accent(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ñ' => 'n',
        'ç' => 'c',
        other => other,
    }
}

/// Source of a project's funds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FundSource {
    Apbd,
    Apbn,
    Dak,
    Other,
}

impl FundSource {
    pub const ALL: [FundSource; 4] = [Self::Apbd, Self::Apbn, Self::Dak, Self::Other];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Apbd => "apbd",
            Self::Apbn => "apbn",
            Self::Dak => "dak",
            Self::Other => "lainnya",
        }
    }
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or("invalid_choice")
    }
}

/// Where a project stands (as opposed to where its page stands editorially).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProjectStatus {
    Planned,
    Tender,
    Running,
    Done,
    Stopped,
}

impl ProjectStatus {
    pub const ALL: [ProjectStatus; 5] = [
        Self::Planned,
        Self::Tender,
        Self::Running,
        Self::Done,
        Self::Stopped,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Tender => "tender",
            Self::Running => "running",
            Self::Done => "done",
            Self::Stopped => "stopped",
        }
    }
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or("invalid_choice")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AgendaDetails {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub audience: Option<String>,
    /// Internal activities (a staff meeting) are listed for staff only.
    pub internal: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectDetails {
    pub sector: String,
    pub fund_source: FundSource,
    /// Pagu, in whole rupiah.
    pub budget_ceiling: i64,
    pub contract_value: Option<i64>,
    pub contractor: Option<String>,
    pub planned_start: NaiveDate,
    pub planned_end: NaiveDate,
    pub status: ProjectStatus,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ContentDetails {
    Article,
    Agenda(AgendaDetails),
    Project(ProjectDetails),
}

/// A document attached to an item (a PDF: the announcement itself, a decree, a schedule).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    /// The name shown to readers (the uploaded file's name, cleaned).
    pub name: String,
    /// The stored file's random name, served at `/lampiran/{file}`.
    pub file: String,
    pub bytes: u64,
}

/// At most this many documents per item, each at most `ATTACHMENT_MAX_BYTES`.
pub const MAX_ATTACHMENTS: usize = 5;
pub const ATTACHMENT_MAX_BYTES: usize = 10 * 1024 * 1024;

/// Checks an uploaded document by its content (a PDF starts with `%PDF-`, whatever its name
/// says) and size; returns the display name to keep.
pub fn check_attachment(file_name: &str, bytes: &[u8]) -> Result<String, &'static str> {
    if bytes.is_empty() {
        return Err("photo_empty");
    }
    if bytes.len() > ATTACHMENT_MAX_BYTES {
        return Err("attachment_too_large");
    }
    if !bytes.starts_with(b"%PDF-") {
        return Err("attachment_not_pdf");
    }
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>'))
        .take(120)
        .collect();
    let clean = clean.trim().to_string();
    Ok(if clean.is_empty() {
        "dokumen.pdf".into()
    } else {
        clean
    })
}

/// A checked content item, ready to store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContentDraft {
    pub kind: ContentKind,
    pub unit_id: UnitId,
    pub title: String,
    /// `None`: made from the title when the item is first stored.
    pub slug: Option<Slug>,
    pub summary: String,
    pub body_md: String,
    pub tags: Vec<String>,
    pub kecamatan: Option<RegionCode>,
    pub desa: Option<RegionCode>,
    pub publish_at: Option<DateTime<Utc>>,
    pub details: ContentDetails,
    /// Set by the caller from the uploads (never typed).
    pub attachments: Vec<Attachment>,
}

/// The form (or API body) as typed. Dates and times are local to the deployment (WITA in
/// Bali): `YYYY-MM-DDTHH:MM` from `<input type="datetime-local">`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ContentInput {
    pub kind: String,
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub body: String,
    pub tags: String,
    pub kecamatan: String,
    pub desa: String,
    pub publish_at: String,
    // agenda
    pub starts_at: String,
    pub ends_at: String,
    pub place: String,
    pub audience: String,
    pub internal: Option<String>,
    // project
    pub sector: String,
    pub fund_source: String,
    pub budget_ceiling: String,
    pub contract_value: String,
    pub contractor: String,
    pub planned_start: String,
    pub planned_end: String,
    pub project_status: String,
    pub lat: String,
    pub lon: String,
}

pub const TITLE_MAX: usize = 200;
pub const SUMMARY_MAX: usize = 500;
pub const BODY_MAX: usize = 100_000;

/// Local date-time as typed (`2026-12-01T09:00`, seconds optional) to an instant.
pub fn parse_local_datetime(raw: &str, offset: FixedOffset) -> Result<DateTime<Utc>, &'static str> {
    crate::validation::local_datetime(raw, offset, "invalid_datetime")
}

fn parse_date(raw: &str) -> Result<NaiveDate, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("required");
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| "invalid_date")
}

/// Rupiah as typed: digits with optional thousands dots, spaces or commas (`1.250.000.000`).
pub fn parse_rupiah(raw: &str) -> Result<Option<i64>, &'static str> {
    let t = raw.trim().trim_start_matches("Rp").trim();
    if t.is_empty() {
        return Ok(None);
    }
    let digits: String = t
        .chars()
        .filter(|c| !matches!(c, '.' | ',' | ' ' | '_'))
        .collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) || digits.len() > 15 {
        return Err("invalid_amount");
    }
    digits.parse().map(Some).map_err(|_| "invalid_amount")
}

fn parse_tags(raw: &str) -> Result<Vec<String>, &'static str> {
    let mut tags: Vec<String> = Vec::new();
    for t in raw.split(',') {
        let t = t.trim().to_lowercase();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > 40 {
            return Err("too_long");
        }
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    if tags.len() > 12 {
        return Err("too_many_tags");
    }
    Ok(tags)
}

fn optional_coordinate(raw: &str, min: f64, max: f64) -> Result<Option<f64>, &'static str> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let v: f64 = t.parse().map_err(|_| "invalid_coordinate")?;
    if !(min..=max).contains(&v) || !v.is_finite() {
        return Err("invalid_coordinate");
    }
    Ok(Some(v))
}

impl ContentInput {
    /// Checks everything and reports every problem at once. `unit_id` comes from the signed-in
    /// editor's unit (or the URL), never from the form.
    pub fn parse(&self, unit_id: UnitId, offset: FixedOffset) -> Result<ContentDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let kind = e.check("kind", ContentKind::parse(&self.kind));
        let title = e.check("title", required_text(&self.title, TITLE_MAX));
        let slug = if self.slug.trim().is_empty() {
            None
        } else {
            e.check("slug", Slug::parse(&self.slug))
        };
        let summary = e
            .check("summary", optional_text(&self.summary, SUMMARY_MAX))
            .flatten()
            .unwrap_or_default();
        let body_md = e
            .check("body", optional_text(&self.body, BODY_MAX))
            .flatten()
            .unwrap_or_default();
        let tags = e.check("tags", parse_tags(&self.tags)).unwrap_or_default();
        let kecamatan = if self.kecamatan.trim().is_empty() {
            None
        } else {
            e.check("kecamatan", RegionCode::parse(&self.kecamatan))
        };
        let desa = if self.desa.trim().is_empty() {
            None
        } else {
            e.check("desa", RegionCode::parse(&self.desa))
        };
        let publish_at = if self.publish_at.trim().is_empty() {
            None
        } else {
            e.check("publish_at", parse_local_datetime(&self.publish_at, offset))
        };
        let details = match kind {
            Some(ContentKind::Berita | ContentKind::Pengumuman) => Some(ContentDetails::Article),
            Some(ContentKind::Agenda) => self.agenda(&mut e, offset).map(ContentDetails::Agenda),
            Some(ContentKind::Proyek) => self.project(&mut e).map(ContentDetails::Project),
            None => None,
        };
        match (kind, title, details) {
            (Some(kind), Some(title), Some(details)) if e.is_empty() => Ok(ContentDraft {
                kind,
                unit_id,
                title,
                slug,
                summary,
                body_md,
                tags,
                kecamatan,
                desa,
                publish_at,
                details,
                attachments: Vec::new(),
            }),
            _ => Err(e),
        }
    }

    fn agenda(&self, e: &mut FieldErrors, offset: FixedOffset) -> Option<AgendaDetails> {
        let starts_at = e.check("starts_at", parse_local_datetime(&self.starts_at, offset));
        let ends_at = e.check("ends_at", parse_local_datetime(&self.ends_at, offset));
        let place = e.check("place", required_text(&self.place, 200));
        let audience = e.check("audience", optional_text(&self.audience, 200));
        if let (Some(s), Some(end)) = (starts_at, ends_at) {
            if end < s {
                e.add("ends_at", "ends_before_start");
                return None;
            }
        }
        Some(AgendaDetails {
            starts_at: starts_at?,
            ends_at: ends_at?,
            place: place?,
            audience: audience?,
            internal: self.internal.is_some(),
        })
    }

    fn project(&self, e: &mut FieldErrors) -> Option<ProjectDetails> {
        let sector = e.check("sector", required_text(&self.sector, 100));
        let fund_source = e.check("fund_source", FundSource::parse(&self.fund_source));
        let budget_ceiling = e.check(
            "budget_ceiling",
            parse_rupiah(&self.budget_ceiling).and_then(|v| v.ok_or("required")),
        );
        let contract_value = e.check("contract_value", parse_rupiah(&self.contract_value));
        let contractor = e.check("contractor", optional_text(&self.contractor, 200));
        let planned_start = e.check("planned_start", parse_date(&self.planned_start));
        let planned_end = e.check("planned_end", parse_date(&self.planned_end));
        let status = e.check("project_status", ProjectStatus::parse(&self.project_status));
        let lat = e.check("lat", optional_coordinate(&self.lat, -90.0, 90.0));
        let lon = e.check("lon", optional_coordinate(&self.lon, -180.0, 180.0));
        if let (Some(Some(_)), Some(None)) | (Some(None), Some(Some(_))) = (lat, lon) {
            e.add("lon", "coordinate_pair");
            return None;
        }
        if let (Some(s), Some(end)) = (planned_start, planned_end) {
            if end < s {
                e.add("planned_end", "ends_before_start");
                return None;
            }
        }
        if let (Some(Some(cv)), Some(pagu)) = (contract_value, budget_ceiling) {
            if cv > pagu {
                e.add("contract_value", "contract_over_ceiling");
                return None;
            }
        }
        Some(ProjectDetails {
            sector: sector?,
            fund_source: fund_source?,
            budget_ceiling: budget_ceiling?,
            contract_value: contract_value?,
            contractor: contractor?,
            planned_start: planned_start?,
            planned_end: planned_end?,
            status: status?,
            lat: lat?,
            lon: lon?,
        })
    }
}

/// A stored content item, as the layers above storage see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContentItem {
    pub id: ContentId,
    pub kind: ContentKind,
    pub unit_id: UnitId,
    pub unit_slug: String,
    pub unit_name: String,
    pub slug: Slug,
    pub title: String,
    pub summary: String,
    pub body_md: String,
    /// Rendered and sanitised (see `markdown::render`): safe to insert as is.
    pub body_html: String,
    pub tags: Vec<String>,
    pub kecamatan: Option<RegionCode>,
    pub desa: Option<RegionCode>,
    pub cover_photo: Option<String>,
    pub attachments: Vec<Attachment>,
    pub status: EditorialStatus,
    pub publish_at: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub revision: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub details: ContentDetails,
    /// The latest progress report of a project.
    pub progress: Option<ProgressUpdate>,
}

impl ContentItem {
    /// Whether the public may see it now: published, its moment reached, and not an internal
    /// activity.
    pub fn is_public(&self, now: DateTime<Utc>) -> bool {
        self.status == EditorialStatus::Published
            && self.published_at.is_some_and(|p| p <= now)
            && !matches!(&self.details, ContentDetails::Agenda(a) if a.internal)
    }

    /// Its public address, e.g. `/berita/perbaikan-jalan-kuta`.
    pub fn path(&self) -> String {
        format!("/{}/{}", self.kind.public_path(), self.slug.as_str())
    }

    pub fn agenda(&self) -> Option<&AgendaDetails> {
        match &self.details {
            ContentDetails::Agenda(a) => Some(a),
            _ => None,
        }
    }

    pub fn project(&self) -> Option<&ProjectDetails> {
        match &self.details {
            ContentDetails::Project(p) => Some(p),
            _ => None,
        }
    }

    pub fn behind_schedule(&self, today: NaiveDate) -> bool {
        self.project().is_some_and(|p| {
            behind_schedule(p, self.progress.as_ref().map(|u| u.physical_pct), today)
        })
    }

    /// The form as it would be typed to produce this item (for the edit form).
    pub fn to_input(&self, offset: FixedOffset) -> ContentInput {
        let local = |d: DateTime<Utc>| {
            d.with_timezone(&offset)
                .format("%Y-%m-%dT%H:%M")
                .to_string()
        };
        let mut i = ContentInput {
            kind: self.kind.as_str().into(),
            title: self.title.clone(),
            slug: self.slug.as_str().into(),
            summary: self.summary.clone(),
            body: self.body_md.clone(),
            tags: self.tags.join(", "),
            kecamatan: self
                .kecamatan
                .as_ref()
                .map(|r| r.to_string())
                .unwrap_or_default(),
            desa: self
                .desa
                .as_ref()
                .map(|r| r.to_string())
                .unwrap_or_default(),
            publish_at: self.publish_at.map(local).unwrap_or_default(),
            ..Default::default()
        };
        match &self.details {
            ContentDetails::Article => {}
            ContentDetails::Agenda(a) => {
                i.starts_at = local(a.starts_at);
                i.ends_at = local(a.ends_at);
                i.place = a.place.clone();
                i.audience = a.audience.clone().unwrap_or_default();
                i.internal = a.internal.then(|| "on".into());
            }
            ContentDetails::Project(p) => {
                i.sector = p.sector.clone();
                i.fund_source = p.fund_source.as_str().into();
                i.budget_ceiling = p.budget_ceiling.to_string();
                i.contract_value = p.contract_value.map(|v| v.to_string()).unwrap_or_default();
                i.contractor = p.contractor.clone().unwrap_or_default();
                i.planned_start = p.planned_start.to_string();
                i.planned_end = p.planned_end.to_string();
                i.project_status = p.status.as_str().into();
                i.lat = p.lat.map(|v| v.to_string()).unwrap_or_default();
                i.lon = p.lon.map(|v| v.to_string()).unwrap_or_default();
            }
        }
        i
    }
}

/// One dated report on a project's progress.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProgressUpdate {
    pub reported_on: NaiveDate,
    /// Physical progress, percent of the work done (0 to 100).
    pub physical_pct: f64,
    /// Budget realisation, percent of the contract (or ceiling) paid out (0 to 100).
    pub budget_pct: f64,
    pub note: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ProgressInput {
    pub reported_on: String,
    pub physical_pct: String,
    pub budget_pct: String,
    pub note: String,
}

fn parse_percent(raw: &str) -> Result<f64, &'static str> {
    let t = raw.trim().trim_end_matches('%').trim().replace(',', ".");
    if t.is_empty() {
        return Err("required");
    }
    let v: f64 = t.parse().map_err(|_| "invalid_percent")?;
    if !v.is_finite() || !(0.0..=100.0).contains(&v) {
        return Err("invalid_percent");
    }
    Ok(v)
}

impl ProgressInput {
    /// `previous`: the latest earlier report; physical progress does not go backwards and a
    /// report is not dated before the one it follows.
    pub fn parse(
        &self,
        previous: Option<&ProgressUpdate>,
        today: NaiveDate,
    ) -> Result<ProgressUpdate, FieldErrors> {
        let mut e = FieldErrors::new();
        let reported_on = e.check("reported_on", parse_date(&self.reported_on));
        let physical_pct = e.check("physical_pct", parse_percent(&self.physical_pct));
        let budget_pct = e.check("budget_pct", parse_percent(&self.budget_pct));
        let note = e
            .check("note", optional_text(&self.note, 2000))
            .flatten()
            .unwrap_or_default();
        if let Some(d) = reported_on {
            if d > today {
                e.add("reported_on", "date_in_future");
            }
            if let Some(p) = previous {
                if d < p.reported_on {
                    e.add("reported_on", "before_previous_report");
                }
            }
        }
        if let (Some(v), Some(p)) = (physical_pct, previous) {
            if v < p.physical_pct {
                e.add("physical_pct", "progress_backwards");
            }
        }
        match (reported_on, physical_pct, budget_pct) {
            (Some(reported_on), Some(physical_pct), Some(budget_pct)) if e.is_empty() => {
                Ok(ProgressUpdate {
                    reported_on,
                    physical_pct,
                    budget_pct,
                    note,
                })
            }
            _ => Err(e),
        }
    }
}

/// How far behind plan a project may be before it is flagged, in percentage points.
pub const BEHIND_SCHEDULE_TOLERANCE: f64 = 10.0;

/// The physical progress the plan expects on `on`: linear from 0 % at the planned start to
/// 100 % at the planned end (a plain S-curve needs the contract's schedule, which units rarely
/// publish).
pub fn planned_progress(start: NaiveDate, end: NaiveDate, on: NaiveDate) -> f64 {
    if on <= start {
        return 0.0;
    }
    if on >= end {
        return 100.0;
    }
    let total = (end - start).num_days() as f64;
    let done = (on - start).num_days() as f64;
    (done / total * 100.0).clamp(0.0, 100.0)
}

/// A running project is behind schedule when its latest physical progress trails the planned
/// progress by more than the tolerance, or its planned end has passed unfinished. Finished,
/// stopped and not-yet-started projects are never flagged.
pub fn behind_schedule(p: &ProjectDetails, latest_physical: Option<f64>, today: NaiveDate) -> bool {
    if p.status != ProjectStatus::Running {
        return false;
    }
    let actual = latest_physical.unwrap_or(0.0);
    if today > p.planned_end && actual < 100.0 {
        return true;
    }
    planned_progress(p.planned_start, p.planned_end, today) - actual > BEHIND_SCHEDULE_TOLERANCE
}

#[cfg(test)]
mod tests;
