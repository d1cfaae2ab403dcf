//! The events of the outbox, as one enum: every change the outside world (search indexes,
//! units' applications through `/api/v1/events` and webhooks, page caches) learns about.
//!
//! Each event's kind name (`request.created`, `content.published`, ...) is written here once,
//! in [`EventKind::name`], and each payload is a struct whose JSON is exactly what the API and
//! webhooks have always carried: the stored form is a contract with units' applications, so a
//! field is never renamed or dropped here.

use crate::content::EditorialStatus;
use crate::editorial::EditorialChange;
use crate::ids::{ContentId, DatasetId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A step in a request's life as the outbox (and the timeline's `step` column) names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestStep {
    /// Filed (the timeline's `submit`; the event `request.created`).
    Created,
    Verify,
    Reject,
    Dispatch,
    Forward,
    StartWork,
    Resolve,
    Comment,
    /// An officer of a unit takes the request on.
    Assign,
    Confirm,
    Reopen,
    AutoClose,
    Escalate,
    /// Photos added after filing.
    Attach,
    /// The desk accepts a unit's follow-up (validated closure).
    Validate,
    /// The desk returns a unit's follow-up with a reason (tindak lanjut ditolak).
    ReturnFollowUp,
    /// Bukan wewenang: referred to an outside agency.
    Refer,
    /// Deferred until a date.
    Defer,
    /// A deferred request resumed.
    Resume,
    /// A duplicate is merged into a primary case (both requests' timelines record it).
    Merge,
    /// A merged duplicate is given back its own life.
    Unmerge,
}

impl RequestStep {
    pub const ALL: [Self; 21] = [
        Self::Created,
        Self::Verify,
        Self::Reject,
        Self::Dispatch,
        Self::Forward,
        Self::StartWork,
        Self::Resolve,
        Self::Comment,
        Self::Assign,
        Self::Confirm,
        Self::Reopen,
        Self::AutoClose,
        Self::Escalate,
        Self::Attach,
        Self::Validate,
        Self::ReturnFollowUp,
        Self::Refer,
        Self::Defer,
        Self::Resume,
        Self::Merge,
        Self::Unmerge,
    ];

    /// The step's name in the timeline and in the event's `step` field.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Created => "submit",
            Self::Verify => "verify",
            Self::Reject => "reject",
            Self::Dispatch => "dispatch",
            Self::Forward => "forward",
            Self::StartWork => "start_work",
            Self::Resolve => "resolve",
            Self::Comment => "comment",
            Self::Assign => "assign",
            Self::Confirm => "confirm",
            Self::Reopen => "reopen",
            Self::AutoClose => "auto_close",
            Self::Escalate => "escalate",
            Self::Attach => "attach",
            Self::Validate => "validate",
            Self::ReturnFollowUp => "return_follow_up",
            Self::Refer => "refer",
            Self::Defer => "defer",
            Self::Resume => "resume",
            Self::Merge => "merge",
            Self::Unmerge => "unmerge",
        }
    }

    /// The event's kind.
    pub const fn event_kind(self) -> &'static str {
        match self {
            Self::Created => "request.created",
            Self::Verify => "request.verify",
            Self::Reject => "request.reject",
            Self::Dispatch => "request.dispatch",
            Self::Forward => "request.forward",
            Self::StartWork => "request.start_work",
            Self::Resolve => "request.resolve",
            Self::Comment => "request.comment",
            Self::Assign => "request.assign",
            Self::Confirm => "request.confirm",
            Self::Reopen => "request.reopen",
            Self::AutoClose => "request.auto_close",
            Self::Escalate => "request.escalate",
            Self::Attach => "request.attach",
            Self::Validate => "request.validate",
            Self::ReturnFollowUp => "request.return_follow_up",
            Self::Refer => "request.refer",
            Self::Defer => "request.defer",
            Self::Resume => "request.resume",
            Self::Merge => "request.merge",
            Self::Unmerge => "request.unmerge",
        }
    }

    /// The step a timeline name names.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl From<crate::request::Step> for RequestStep {
    fn from(s: crate::request::Step) -> Self {
        use crate::request::Step;
        match s {
            Step::Verify => Self::Verify,
            Step::Reject => Self::Reject,
            Step::Dispatch => Self::Dispatch,
            Step::Forward => Self::Forward,
            Step::StartWork => Self::StartWork,
            Step::Resolve => Self::Resolve,
            Step::Confirm => Self::Confirm,
            Step::Reopen => Self::Reopen,
            Step::AutoClose => Self::AutoClose,
            Step::Comment => Self::Comment,
            Step::Validate => Self::Validate,
            Step::ReturnFollowUp => Self::ReturnFollowUp,
            Step::Refer => Self::Refer,
            Step::Defer => Self::Defer,
            Step::Resume => Self::Resume,
        }
    }
}

impl Serialize for RequestStep {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for RequestStep {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Self::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown request step '{name}'")))
    }
}

/// The request events a webhook subscription may name (besides `*`).
pub const SUBSCRIBABLE_REQUEST_EVENTS: &[&str] = &[
    RequestStep::Created.event_kind(),
    RequestStep::Verify.event_kind(),
    RequestStep::Reject.event_kind(),
    RequestStep::Dispatch.event_kind(),
    RequestStep::Forward.event_kind(),
    RequestStep::StartWork.event_kind(),
    RequestStep::Resolve.event_kind(),
    RequestStep::Comment.event_kind(),
    RequestStep::Assign.event_kind(),
    RequestStep::Confirm.event_kind(),
    RequestStep::Reopen.event_kind(),
    RequestStep::AutoClose.event_kind(),
    RequestStep::Escalate.event_kind(),
    RequestStep::Validate.event_kind(),
    RequestStep::ReturnFollowUp.event_kind(),
    RequestStep::Refer.event_kind(),
    RequestStep::Defer.event_kind(),
    RequestStep::Resume.event_kind(),
    RequestStep::Merge.event_kind(),
    RequestStep::Unmerge.event_kind(),
];

/// `request.<step>`: a step in a request's workflow. Carries no personal data, and only the
/// public copy of the note: units' applications and webhook receivers are outside parties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestStepEvent {
    pub tracking_code: String,
    /// The request's kind as stored (`pengaduan`, `aspirasi`, ...).
    pub kind: String,
    pub step: RequestStep,
    /// The status before, as stored (`None` when filed).
    pub from_status: Option<String>,
    pub status: String,
    /// The public note, if any.
    pub note: Option<String>,
    pub units: Vec<i64>,
    pub confidential: bool,
}

/// `request.public_text_changed`: the request's public wording was edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestTextChanged {
    pub tracking_code: String,
}

/// `content.*`: an item of content changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentEvent {
    pub id: ContentId,
    /// The content kind as stored (`berita`, `agenda`, ...).
    pub kind: String,
    pub slug: String,
    pub status: EditorialStatus,
    pub revision: i32,
}

/// What happened to an item of content: an editorial change, or a project's progress report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentChange {
    Editorial(EditorialChange),
    Progress,
}

/// `dataset.*`: an open dataset changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetEvent {
    pub id: DatasetId,
    pub name: String,
    pub status: EditorialStatus,
    pub revision: i32,
}

/// `service.saved`, `unit.saved`: the record with this id changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    pub id: i64,
}

/// `performance.rebuilt`: every figure may have changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerformanceRebuilt {
    pub requests: u64,
}

/// `regions.imported`: the areas of a regency were loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionsImported {
    /// The subject, not part of the payload.
    #[serde(skip)]
    pub regency_code: String,
    pub districts: usize,
    pub villages: usize,
}

/// One event of the outbox with its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainEvent {
    Request(RequestStepEvent),
    RequestTextChanged(RequestTextChanged),
    Content(ContentChange, ContentEvent),
    Dataset(EditorialChange, DatasetEvent),
    ServiceSaved(Saved),
    UnitSaved(Saved),
    PerformanceRebuilt(PerformanceRebuilt),
    RegionsImported(RegionsImported),
}

/// The kind of an event, without its payload: what readers of the outbox match on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    Request(RequestStep),
    RequestTextChanged,
    Content(ContentChange),
    Dataset(EditorialChange),
    ServiceSaved,
    UnitSaved,
    PerformanceRebuilt,
    RegionsImported,
}

/// What an event is about: where readers go to read its subject again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SubjectType {
    Request,
    Content,
    Dataset,
    Service,
    Unit,
    Performance,
    Region,
}

impl SubjectType {
    /// As stored in the outbox's `subject_type` column and shown by the API.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Request => "request",
            Self::Content => "content",
            Self::Dataset => "dataset",
            Self::Service => "service",
            Self::Unit => "unit",
            Self::Performance => "performance",
            Self::Region => "region",
        }
    }
}

impl EventKind {
    /// Every kind there is.
    pub fn all() -> Vec<Self> {
        let mut all: Vec<Self> = RequestStep::ALL.into_iter().map(Self::Request).collect();
        all.push(Self::RequestTextChanged);
        all.extend(
            EditorialChange::ALL
                .into_iter()
                .map(|c| Self::Content(ContentChange::Editorial(c))),
        );
        all.push(Self::Content(ContentChange::Progress));
        all.extend(EditorialChange::ALL.into_iter().map(Self::Dataset));
        all.extend([
            Self::ServiceSaved,
            Self::UnitSaved,
            Self::PerformanceRebuilt,
            Self::RegionsImported,
        ]);
        all
    }

    /// The kind's name, as stored and as the API and webhooks show it.
    pub const fn name(self) -> &'static str {
        use EditorialChange as E;
        match self {
            Self::Request(step) => step.event_kind(),
            Self::RequestTextChanged => "request.public_text_changed",
            Self::Content(ContentChange::Progress) => "content.progress",
            Self::Content(ContentChange::Editorial(c)) => match c {
                E::Saved => "content.saved",
                E::Submitted => "content.submitted",
                E::Published => "content.published",
                E::Returned => "content.returned",
                E::Unpublished => "content.unpublished",
            },
            Self::Dataset(c) => match c {
                E::Saved => "dataset.saved",
                E::Submitted => "dataset.submitted",
                E::Published => "dataset.published",
                E::Returned => "dataset.returned",
                E::Unpublished => "dataset.unpublished",
            },
            Self::ServiceSaved => "service.saved",
            Self::UnitSaved => "unit.saved",
            Self::PerformanceRebuilt => "performance.rebuilt",
            Self::RegionsImported => "regions.imported",
        }
    }

    /// The kind a stored name names; `None` for a kind this version does not know.
    pub fn parse(name: &str) -> Option<Self> {
        Self::all().into_iter().find(|k| k.name() == name)
    }

    pub const fn subject_type(self) -> SubjectType {
        match self {
            Self::Request(_) | Self::RequestTextChanged => SubjectType::Request,
            Self::Content(_) => SubjectType::Content,
            Self::Dataset(_) => SubjectType::Dataset,
            Self::ServiceSaved => SubjectType::Service,
            Self::UnitSaved => SubjectType::Unit,
            Self::PerformanceRebuilt => SubjectType::Performance,
            Self::RegionsImported => SubjectType::Region,
        }
    }
}

impl DomainEvent {
    pub fn kind(&self) -> EventKind {
        match self {
            Self::Request(e) => EventKind::Request(e.step),
            Self::RequestTextChanged(_) => EventKind::RequestTextChanged,
            Self::Content(c, _) => EventKind::Content(*c),
            Self::Dataset(c, _) => EventKind::Dataset(*c),
            Self::ServiceSaved(_) => EventKind::ServiceSaved,
            Self::UnitSaved(_) => EventKind::UnitSaved,
            Self::PerformanceRebuilt(_) => EventKind::PerformanceRebuilt,
            Self::RegionsImported(_) => EventKind::RegionsImported,
        }
    }

    /// The subject's id as stored (`subject_id`): a tracking code, a record id, a regency
    /// code, or `all`.
    pub fn subject_id(&self) -> String {
        match self {
            Self::Request(e) => e.tracking_code.clone(),
            Self::RequestTextChanged(e) => e.tracking_code.clone(),
            Self::Content(_, e) => e.id.to_string(),
            Self::Dataset(_, e) => e.id.to_string(),
            Self::ServiceSaved(e) | Self::UnitSaved(e) => e.id.to_string(),
            Self::PerformanceRebuilt(_) => "all".into(),
            Self::RegionsImported(e) => e.regency_code.clone(),
        }
    }

    /// The payload, exactly as stored and published.
    pub fn data(&self) -> serde_json::Value {
        // structs of strings, numbers and options: serialising them cannot fail
        let v = match self {
            Self::Request(e) => serde_json::to_value(e),
            Self::RequestTextChanged(e) => serde_json::to_value(e),
            Self::Content(_, e) => serde_json::to_value(e),
            Self::Dataset(_, e) => serde_json::to_value(e),
            Self::ServiceSaved(e) | Self::UnitSaved(e) => serde_json::to_value(e),
            Self::PerformanceRebuilt(e) => serde_json::to_value(e),
            Self::RegionsImported(e) => serde_json::to_value(e),
        };
        v.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_are_distinct_and_parse_back() {
        let all = EventKind::all();
        let mut names: Vec<_> = all.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all.len());
        for k in all {
            assert_eq!(EventKind::parse(k.name()), Some(k));
        }
        assert_eq!(EventKind::parse("no.such"), None);
    }

    #[test]
    fn request_events_keep_their_published_shape() {
        let e = DomainEvent::Request(RequestStepEvent {
            tracking_code: "BDG-25-0001".into(),
            kind: "pengaduan".into(),
            step: RequestStep::Created,
            from_status: None,
            status: "diterima".into(),
            note: None,
            units: vec![],
            confidential: false,
        });
        assert_eq!(e.kind().name(), "request.created");
        assert_eq!(e.kind().subject_type().name(), "request");
        assert_eq!(e.subject_id(), "BDG-25-0001");
        assert_eq!(
            e.data(),
            json!({
                "tracking_code": "BDG-25-0001",
                "kind": "pengaduan",
                "step": "submit",
                "from_status": null,
                "status": "diterima",
                "note": null,
                "units": [],
                "confidential": false,
            })
        );
        let e = DomainEvent::Request(RequestStepEvent {
            step: RequestStep::StartWork,
            from_status: Some("didisposisikan".into()),
            status: "ditindaklanjuti".into(),
            note: Some("Tim berangkat".into()),
            units: vec![3, 4],
            confidential: true,
            ..match e {
                DomainEvent::Request(r) => r,
                _ => unreachable!(),
            }
        });
        assert_eq!(e.kind().name(), "request.start_work");
        assert_eq!(e.data()["step"], "start_work");
        assert_eq!(e.data()["units"], json!([3, 4]));
        assert_eq!(
            RequestStep::from(crate::request::Step::AutoClose).name(),
            "auto_close"
        );
    }

    #[test]
    fn other_payloads_keep_their_published_shape() {
        let content = DomainEvent::Content(
            ContentChange::Editorial(EditorialChange::Published),
            ContentEvent {
                id: ContentId(7),
                kind: "berita".into(),
                slug: "jalan-baru".into(),
                status: EditorialStatus::Published,
                revision: 3,
            },
        );
        assert_eq!(content.kind().name(), "content.published");
        assert_eq!(content.subject_id(), "7");
        assert_eq!(
            content.data(),
            json!({"id": 7, "kind": "berita", "slug": "jalan-baru", "status": "published", "revision": 3})
        );
        let dataset = DomainEvent::Dataset(
            EditorialChange::Returned,
            DatasetEvent {
                id: DatasetId(2),
                name: "apbd".into(),
                status: EditorialStatus::Draft,
                revision: 1,
            },
        );
        assert_eq!(dataset.kind().name(), "dataset.returned");
        assert_eq!(
            dataset.data(),
            json!({"id": 2, "name": "apbd", "status": "draft", "revision": 1})
        );
        let regions = DomainEvent::RegionsImported(RegionsImported {
            regency_code: "51.03".into(),
            districts: 6,
            villages: 62,
        });
        assert_eq!(regions.subject_id(), "51.03");
        assert_eq!(regions.data(), json!({"districts": 6, "villages": 62}));
        assert_eq!(
            DomainEvent::PerformanceRebuilt(PerformanceRebuilt { requests: 5 }).data(),
            json!({"requests": 5})
        );
        assert_eq!(
            DomainEvent::UnitSaved(Saved { id: 4 })
                .kind()
                .subject_type(),
            SubjectType::Unit
        );
        assert_eq!(
            SUBSCRIBABLE_REQUEST_EVENTS.first(),
            Some(&"request.created")
        );
    }
}
