//! The decision of one workflow step. `decide` says whether the step may be taken (by whom, from
//! which status, with what input) and everything it changes: the new status and deadlines, the
//! units that handle the request, the timeline entry, the audit change and the notices. It does
//! no I/O: storage loads the request and the facts the step names, calls `decide`, and saves the
//! `Outcome` as it is, in one transaction.
//!
//! Three kinds of people take steps, and the type says which steps each may take: staff
//! (`StaffAction`, checked against the policy), the reporter through their secret link
//! (`ReporterAction`) and the periodic sweep (`SweepAction`).

use super::{next_status, RejectReason, RequestRules, Status, Step, TransitionError};
use crate::agency::AgencyContact;
use crate::event::RequestStep;
use crate::ids::{RequestId, UnitId, UserId};
use crate::policy::Actor;
use crate::privacy;
use crate::working_days::Calendar;
use chrono::{DateTime, Utc};
use serde_json::json;

/// A step taken by staff.
#[derive(Debug, Clone)]
pub enum StaffAction {
    Verify {
        note: Option<String>,
    },
    Reject {
        reason: RejectReason,
        note: String,
        /// The tracking code of the request this one repeats (reason `duplicate`).
        duplicate_of: Option<String>,
    },
    /// Disposisi: the desk sends the request to the units that will handle it.
    Dispatch {
        units: Vec<UnitId>,
        note: Option<String>,
    },
    Forward {
        to: UnitId,
        reason: String,
    },
    StartWork {
        note: Option<String>,
    },
    Resolve {
        response: String,
    },
    Comment {
        note: String,
        public: bool,
    },
    Assign {
        officer: UserId,
    },
    /// Validated closure: the desk accepts a unit's follow-up; the reporter is asked to confirm.
    AcceptFollowUp {
        note: Option<String>,
    },
    /// Validated closure: the desk returns the follow-up to the unit (tindak lanjut ditolak).
    ReturnFollowUp {
        reason: String,
    },
    /// Bukan wewenang: referred to a registered outside agency, with a public reason.
    Refer {
        agency: i64,
        reason: String,
    },
    /// Deferred to a date (a `date` input's value, checked by `decide`), with a public reason.
    Defer {
        until: String,
        reason: String,
    },
    /// A deferred request goes back to work before its date.
    Resume {
        note: Option<String>,
    },
}

impl StaffAction {
    pub fn step(&self) -> Step {
        match self {
            Self::Verify { .. } => Step::Verify,
            Self::Reject { .. } => Step::Reject,
            Self::Dispatch { .. } => Step::Dispatch,
            Self::Forward { .. } => Step::Forward,
            Self::StartWork { .. } => Step::StartWork,
            Self::Resolve { .. } => Step::Resolve,
            Self::Comment { .. } | Self::Assign { .. } => Step::Comment,
            Self::AcceptFollowUp { .. } => Step::Validate,
            Self::ReturnFollowUp { .. } => Step::ReturnFollowUp,
            Self::Refer { .. } => Step::Refer,
            Self::Defer { .. } => Step::Defer,
            Self::Resume { .. } => Step::Resume,
        }
    }

    /// The step as the timeline, the audit log and the event feed record it.
    pub fn recorded_as(&self) -> RequestStep {
        match self {
            Self::Assign { .. } => RequestStep::Assign,
            a => a.step().into(),
        }
    }
}

/// A step the reporter takes through their secret link.
#[derive(Debug, Clone)]
pub enum ReporterAction {
    Confirm,
    Reopen { reason: String },
}

/// A step the periodic sweep takes.
#[derive(Debug, Clone, Copy)]
pub enum SweepAction {
    /// Nobody objected within the window.
    AutoClose,
    /// The request is overdue: tell the next level up (1: the units' admins, 2: the desk).
    Escalate { level: i32, late_working_days: i64 },
    /// No unit has taken the request within `hours` of its arrival: the leadership hears.
    Untaken { hours: u32 },
    /// A deferred request's date has come: back to the status it had.
    Resume,
}

impl SweepAction {
    /// The escalation an overdue request is due now, if any: the units' admins once it is
    /// late, the desk once it is `escalate_to_desk_after_days` working days late.
    pub fn escalation(current: &Current<'_>, ctx: &Context<'_>) -> Option<Self> {
        let due = current.stage_due_at?;
        let late = ctx
            .calendar
            .overdue_working_days(due, ctx.now, ctx.rules.utc_offset);
        let level = if late >= i64::from(ctx.rules.escalate_to_desk_after_days) {
            2
        } else {
            1
        };
        (current.status.can_be_late() && due < ctx.now && level > current.escalation_level)
            .then_some(Self::Escalate {
                level,
                late_working_days: late,
            })
    }
}

/// Who takes a step, and which.
#[derive(Debug, Clone, Copy)]
pub enum Taken<'a> {
    Staff(&'a Actor, &'a StaffAction),
    Reporter(&'a ReporterAction),
    Sweep(SweepAction),
    /// A routing rule at intake (see [`RuleAction`]).
    Rule(RuleAction),
}

/// The request as it is before the step.
#[derive(Debug, Clone)]
pub struct Current<'a> {
    pub id: RequestId,
    pub status: Status,
    pub confidential: bool,
    /// The units handling it now (active disposisi).
    pub handling: &'a [UnitId],
    pub stage_due_at: Option<DateTime<Utc>>,
    pub resolve_due_at: Option<DateTime<Utc>>,
    pub escalation_level: i32,
    /// Masked out of the public copy of a response.
    pub reporter_name: Option<&'a str>,
    /// The status a deferred request had before (`ditunda` only).
    pub deferred_from: Option<Status>,
}

/// What storage looked up for the step before deciding; a name the step refers to that does
/// not exist is simply absent, and `decide` refuses it in its turn.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The units the step names that exist, with their names.
    pub units: Vec<(UnitId, String)>,
    /// The request that `duplicate_of` names, if it exists.
    pub duplicate: Option<RequestId>,
    /// The service's time limit in working days, if the request has a service.
    pub service_days: Option<u32>,
    /// The units in which the officer being assigned works.
    pub officer_units: Vec<UnitId>,
    /// The officer's name, for the timeline.
    pub officer_name: Option<String>,
    /// The service's validated-closure settings and the photos of the result so far.
    pub closure: ClosureFacts,
    /// The outside agency a referral names, if it exists and is active.
    pub agency: Option<AgencyContact>,
}

/// What validated closure needs to know: whether the request's service requires the desk to
/// validate a resolution, whether photos of the result are required (complaints about
/// physical things), and how many the handling unit has added since the follow-up was last
/// returned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClosureFacts {
    pub validate: bool,
    pub photos_required: bool,
    pub result_photos: u32,
}

impl Facts {
    fn unit_name(&self, id: UnitId) -> Option<&str> {
        self.units
            .iter()
            .find(|(u, _)| *u == id)
            .map(|(_, n)| n.as_str())
    }
}

/// The deployment's rules and the time of the step.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    pub now: DateTime<Utc>,
    pub rules: &'a RequestRules,
    pub calendar: &'a Calendar,
}

impl Context<'_> {
    fn due_in(&self, working_days: u32) -> DateTime<Utc> {
        self.calendar
            .due_at(self.now, working_days, self.rules.utc_offset)
    }
}

/// Why a step may not be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("not permitted")]
    Forbidden,
    /// A `rahasia` request that is none of the actor's business: answered exactly as an unknown
    /// request, so a refusal never confirms that it exists.
    #[error("not found")]
    Hidden,
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("{field}: {code}")]
    Field {
        field: &'static str,
        code: &'static str,
    },
    #[error("{0}")]
    Conflict(&'static str),
}

fn field(field: &'static str, code: &'static str) -> Refusal {
    Refusal::Field { field, code }
}

/// A column of the request that the step sets (`None`: left as it is).
type Set<T> = Option<T>;

/// The request's columns the step changes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changes {
    /// The status and `updated_at` are written (every step but an escalation).
    pub touched: bool,
    pub closed_at: Set<Option<DateTime<Utc>>>,
    pub stage_due_at: Set<Option<DateTime<Utc>>>,
    pub resolve_due_at: Set<DateTime<Utc>>,
    pub resolved_at: Set<Option<DateTime<Utc>>>,
    pub escalation_level: Set<i32>,
    pub reject_reason: Set<RejectReason>,
    pub duplicate_of: Set<RequestId>,
    /// The response as written, and its public copy with the reporter's name masked.
    pub response: Set<(String, String)>,
    /// The outside agency a request was referred to.
    pub referred_to: Set<Option<i64>>,
    /// The public reason of a referral or a deferral.
    pub status_reason: Set<Option<String>>,
    /// Deferred: the status it had and when the deferral ends.
    pub deferred: Set<Option<(Status, DateTime<Utc>)>>,
}

/// How the units handling the request change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitChange {
    None,
    /// Disposisi to these units.
    Dispatch(Vec<UnitId>),
    /// `from` hand over to `to` (`from` empty: every unit does; the platform admin forwards
    /// for all); the other units, if several handle it, keep theirs.
    Forward {
        from: Vec<UnitId>,
        to: UnitId,
    },
    Assign {
        unit: UnitId,
        officer: UserId,
    },
}

/// Who the timeline and the audit log name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum By {
    Staff {
        username: String,
        user_id: UserId,
    },
    Reporter,
    Sweep,
    /// A routing rule; `name` is what the timeline shows (`system:rule:<id>`).
    Rule {
        rule: i64,
        name: String,
    },
}

impl By {
    /// The name on the timeline.
    pub fn timeline_name(&self) -> &str {
        match self {
            Self::Staff { username, .. } => username,
            Self::Reporter => "pelapor",
            Self::Sweep => "system:sweep",
            Self::Rule { name, .. } => name,
        }
    }

    /// The staff member's id, for the timeline (system users have none).
    pub fn user_id(&self) -> Option<UserId> {
        match self {
            Self::Staff { user_id, .. } if user_id.0 > 0 => Some(*user_id),
            _ => None,
        }
    }
}

/// The timeline entry the step writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub note: Option<String>,
    /// Whether the note is shown to the public (masked) or kept internal.
    pub public: bool,
    /// The unit on whose behalf the step was taken.
    pub unit: Option<UnitId>,
}

/// A notice the step sends once it is committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The reporter's email: the new status, with the public note if any.
    ReporterEmail { note: Option<String> },
    /// The reporter's phone: a short message with the new status.
    ReporterMessage,
    /// A unit's mailbox: what happened, in Indonesian and English.
    Unit {
        unit: UnitId,
        what_id: String,
        what_en: String,
    },
    /// The handling units' mailboxes, and the people of the escalation level.
    Escalation { level: i32, late_working_days: i64 },
    /// The leadership: a request no unit took within `hours`.
    Untaken { hours: u32 },
}

/// Everything a step changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The step as the timeline, audit log and event feed record it.
    pub step: RequestStep,
    pub by: By,
    pub from: Status,
    pub to: Status,
    pub changes: Changes,
    pub units: UnitChange,
    pub entry: Entry,
    /// The audit entry's state before and after.
    pub audit_before: serde_json::Value,
    pub audit_after: serde_json::Value,
    /// The performance figures of the request are computed again.
    pub refresh_figures: bool,
    pub notices: Vec<Notice>,
    /// What the reporter is told when it differs from the public note (a referral gives the
    /// agency's contact, which the public page shows from the agency itself, never through
    /// the masked timeline text).
    pub reporter_note: Option<String>,
}

impl Outcome {
    fn new(by: By, step: RequestStep, from: Status, to: Status) -> Self {
        Self {
            step,
            by,
            from,
            to,
            changes: Changes {
                touched: true,
                ..Changes::default()
            },
            units: UnitChange::None,
            entry: Entry {
                note: None,
                public: true,
                unit: None,
            },
            audit_before: json!({ "status": from.as_str() }),
            audit_after: json!({ "status": to.as_str() }),
            refresh_figures: false,
            notices: Vec::new(),
            reporter_note: None,
        }
    }
}

/// Decides a step on a request.
pub fn decide(
    current: &Current<'_>,
    taken: Taken<'_>,
    facts: &Facts,
    ctx: &Context<'_>,
) -> Result<Outcome, Refusal> {
    match taken {
        Taken::Staff(actor, action) => staff(current, actor, action, facts, ctx),
        Taken::Reporter(action) => reporter(current, action, ctx),
        Taken::Sweep(action) => sweep(current, action, facts, ctx),
        Taken::Rule(action) => by_rule(current, action, facts, ctx),
    }
}

/// Who may take a staff step: the desk verifies, rejects and dispatches; the handling units'
/// staff work on it; both may comment.
fn may_take(actor: &Actor, action: &StaffAction, current: &Current<'_>) -> bool {
    let handling = current.handling;
    match action {
        StaffAction::Verify { .. } | StaffAction::Reject { .. } | StaffAction::Dispatch { .. } => {
            actor.can_triage()
        }
        StaffAction::Comment { .. } => actor.can_triage() || actor.can_work_on(handling),
        StaffAction::Forward { .. }
        | StaffAction::StartWork { .. }
        | StaffAction::Resolve { .. }
        | StaffAction::Assign { .. } => actor.can_work_on(handling),
        // the central desk (verifiers, Kominfo) checks a unit's follow-up
        StaffAction::AcceptFollowUp { .. } | StaffAction::ReturnFollowUp { .. } => {
            actor.can_triage()
        }
        // the desk, or the unit it went to before it starts work (then it has judged it its own)
        StaffAction::Refer { .. } => {
            actor.can_triage()
                || (current.status == Status::Didisposisikan && actor.can_work_on(handling))
        }
        // the units' own time: they defer and resume
        StaffAction::Defer { .. } | StaffAction::Resume { .. } => actor.can_work_on(handling),
    }
}

fn staff(
    current: &Current<'_>,
    actor: &Actor,
    action: &StaffAction,
    facts: &Facts,
    ctx: &Context<'_>,
) -> Result<Outcome, Refusal> {
    let handling = current.handling;
    if !may_take(actor, action, current) {
        return Err(
            if current.confidential && !actor.can_view_request(handling) {
                Refusal::Hidden
            } else {
                Refusal::Forbidden
            },
        );
    }
    let from = current.status;
    let mut to = closure::target(next_status(from, action.step())?, action, facts);
    if matches!(action, StaffAction::Resume { .. }) {
        to = no_wrong_door::resumed_to(current, to);
    }
    let by = By::Staff {
        username: actor.username.as_str().to_string(),
        user_id: actor.user_id,
    };
    let mut o = Outcome::new(by, action.recorded_as(), from, to);
    o.entry.unit = actor.units().find(|u| handling.contains(u));
    match action {
        StaffAction::Verify { note } => {
            o.entry.note = note.clone();
            o.entry.public = false;
        }
        StaffAction::Reject {
            reason,
            note,
            duplicate_of: _,
        } => reject(&mut o, current, *reason, note, facts, ctx)?,
        StaffAction::Dispatch { units, note } => dispatch(&mut o, units, note, facts, ctx)?,
        StaffAction::Forward { to, reason } => {
            forward(&mut o, actor, current, *to, reason, facts, ctx)?
        }
        StaffAction::StartWork { note } => {
            let due = current
                .resolve_due_at
                .unwrap_or_else(|| ctx.due_in(ctx.rules.default_resolve_days));
            o.changes.stage_due_at = Some(Some(due));
            o.entry.note = note.clone();
        }
        StaffAction::Resolve { response } => {
            resolve(&mut o, current, response, ctx)?;
            closure::on_resolve(&mut o, facts, ctx)?;
        }
        StaffAction::Comment { note, public } => {
            if note.trim().is_empty() {
                return Err(field("note", "required"));
            }
            o.entry.note = Some(note.trim().to_string());
            o.entry.public = *public;
        }
        StaffAction::Assign { officer } => {
            let Some(unit) = facts
                .officer_units
                .iter()
                .copied()
                .find(|u| handling.contains(u))
            else {
                return Err(field("officer", "officer_not_in_unit"));
            };
            o.units = UnitChange::Assign {
                unit,
                officer: *officer,
            };
            // the staff's own words on the timeline, not an internal id
            o.entry.note = Some(match &facts.officer_name {
                Some(name) => format!("ditugaskan kepada {name}"),
                None => format!("ditugaskan kepada pengguna {}", officer.0),
            });
            o.entry.public = false;
            o.entry.unit = Some(unit);
        }
        StaffAction::AcceptFollowUp { note } => closure::accept(&mut o, current, note, facts, ctx)?,
        StaffAction::ReturnFollowUp { reason } => closure::give_back(&mut o, current, reason, ctx)?,
        StaffAction::Refer { agency, reason } => {
            no_wrong_door::refer(&mut o, current, *agency, reason, facts, ctx)?
        }
        StaffAction::Defer { until, reason } => {
            no_wrong_door::defer(&mut o, current, until, reason, ctx)?
        }
        StaffAction::Resume { note } => {
            let note = note.as_deref().map(str::trim).filter(|n| !n.is_empty());
            no_wrong_door::resume(&mut o, current, note.map(str::to_string), facts, ctx)
        }
    }
    o.refresh_figures = matches!(
        action,
        StaffAction::Verify { .. }
            | StaffAction::Reject { .. }
            | StaffAction::Dispatch { .. }
            | StaffAction::Forward { .. }
            | StaffAction::Resolve { .. }
            | StaffAction::AcceptFollowUp { .. }
            | StaffAction::ReturnFollowUp { .. }
            | StaffAction::Refer { .. }
    );
    o.audit_after = json!({ "status": to.as_str(), "note": o.entry.note });
    // the reporter hears of a new status, and of a public comment
    if to != from || matches!(action, StaffAction::Comment { public: true, .. }) {
        let public = o.entry.note.clone().filter(|_| o.entry.public);
        let note = o.reporter_note.take().or(public);
        o.notices.insert(0, Notice::ReporterEmail { note });
        if to != from {
            o.notices.insert(1, Notice::ReporterMessage);
        }
    }
    Ok(o)
}

fn reject(
    o: &mut Outcome,
    current: &Current<'_>,
    reason: RejectReason,
    note: &str,
    facts: &Facts,
    ctx: &Context<'_>,
) -> Result<(), Refusal> {
    if note.trim().is_empty() {
        return Err(field("note", "required"));
    }
    let c = &mut o.changes;
    c.reject_reason = Some(reason);
    c.closed_at = Some(Some(ctx.now));
    c.stage_due_at = Some(None);
    if reason == RejectReason::Duplicate {
        match facts.duplicate {
            Some(other) if other != current.id => c.duplicate_of = Some(other),
            _ => return Err(field("duplicate_of", "unknown_request")),
        }
    }
    o.entry.note = Some(note.to_string());
    Ok(())
}

fn dispatch(
    o: &mut Outcome,
    units: &[UnitId],
    note: &Option<String>,
    facts: &Facts,
    ctx: &Context<'_>,
) -> Result<(), Refusal> {
    if units.is_empty() {
        return Err(field("units", "required"));
    }
    for u in units {
        if facts.unit_name(*u).is_none() {
            return Err(field("units", "unknown_unit"));
        }
        o.notices.push(Notice::Unit {
            unit: *u,
            what_id: "Laporan baru untuk unit Anda".into(),
            what_en: "New request for your unit".into(),
        });
    }
    let resolve_days = facts.service_days.unwrap_or(ctx.rules.default_resolve_days);
    let c = &mut o.changes;
    c.stage_due_at = Some(Some(ctx.due_in(ctx.rules.follow_up_days)));
    c.resolve_due_at = Some(ctx.due_in(resolve_days));
    c.escalation_level = Some(0);
    o.units = UnitChange::Dispatch(units.to_vec());
    o.entry.note = note.clone();
    o.entry.unit = units.first().copied();
    Ok(())
}

fn forward(
    o: &mut Outcome,
    actor: &Actor,
    current: &Current<'_>,
    target: UnitId,
    reason: &str,
    facts: &Facts,
    ctx: &Context<'_>,
) -> Result<(), Refusal> {
    let handling = current.handling;
    if reason.trim().is_empty() {
        return Err(field("reason", "required"));
    }
    if handling.contains(&target) {
        return Err(field("to_unit", "already_handling"));
    }
    let Some(name) = facts.unit_name(target) else {
        return Err(field("units", "unknown_unit"));
    };
    o.changes.stage_due_at = Some(Some(ctx.due_in(ctx.rules.follow_up_days)));
    o.changes.escalation_level = Some(0);
    o.units = UnitChange::Forward {
        from: actor.units().filter(|u| handling.contains(u)).collect(),
        to: target,
    };
    o.entry.note = Some(format!("diteruskan → {name}: {reason}"));
    o.notices.push(Notice::Unit {
        unit: target,
        what_id: "Laporan diteruskan ke unit Anda".into(),
        what_en: "Request forwarded to your unit".into(),
    });
    Ok(())
}

fn resolve(
    o: &mut Outcome,
    current: &Current<'_>,
    response: &str,
    ctx: &Context<'_>,
) -> Result<(), Refusal> {
    let response = response.trim();
    if response.chars().count() < 10 {
        return Err(field("response", "response_too_short"));
    }
    let names: Vec<&str> = current.reporter_name.into_iter().collect();
    let c = &mut o.changes;
    c.response = Some((response.to_string(), privacy::mask_names(response, &names)));
    c.resolved_at = Some(Some(ctx.now));
    c.stage_due_at = Some(Some(ctx.due_in(ctx.rules.objection_days)));
    o.entry.note = Some(response.to_string());
    Ok(())
}

fn reporter(
    current: &Current<'_>,
    action: &ReporterAction,
    ctx: &Context<'_>,
) -> Result<Outcome, Refusal> {
    let (step, note) = match action {
        ReporterAction::Confirm => (Step::Confirm, None),
        ReporterAction::Reopen { reason } => {
            if reason.trim().chars().count() < 5 {
                return Err(field("reason", "required"));
            }
            (Step::Reopen, Some(reason.trim().to_string()))
        }
    };
    let from = current.status;
    let to = next_status(from, step)?;
    if step == Step::Reopen && current.stage_due_at.is_some_and(|d| d < ctx.now) {
        return Err(Refusal::Conflict("the time to object has passed"));
    }
    let mut o = Outcome::new(By::Reporter, step.into(), from, to);
    // The reason is the reporter's own words (the timeline keeps them); the log, which is
    // never erased, records only the step.
    o.entry.note = note;
    let c = &mut o.changes;
    if step == Step::Confirm {
        c.closed_at = Some(Some(ctx.now));
        c.stage_due_at = Some(None);
    } else {
        c.resolved_at = Some(None);
        c.stage_due_at = Some(Some(ctx.due_in(ctx.rules.follow_up_days)));
        c.escalation_level = Some(0);
        o.refresh_figures = true;
        o.notices = current
            .handling
            .iter()
            .map(|u| Notice::Unit {
                unit: *u,
                what_id: "Pelapor membuka kembali laporan".into(),
                what_en: "The reporter reopened the request".into(),
            })
            .collect();
    }
    Ok(o)
}

fn sweep(
    current: &Current<'_>,
    action: SweepAction,
    facts: &Facts,
    ctx: &Context<'_>,
) -> Result<Outcome, Refusal> {
    let from = current.status;
    match action {
        SweepAction::AutoClose => {
            let to = next_status(from, Step::AutoClose)?;
            let mut o = Outcome::new(By::Sweep, RequestStep::AutoClose, from, to);
            o.changes.closed_at = Some(Some(ctx.now));
            o.changes.stage_due_at = Some(None);
            o.notices.push(Notice::ReporterEmail { note: None });
            Ok(o)
        }
        SweepAction::Escalate {
            level,
            late_working_days,
        } => {
            next_status(from, Step::Comment)?;
            if !from.can_be_late() || level <= current.escalation_level {
                return Err(Refusal::Conflict("nothing to escalate"));
            }
            let mut o = Outcome::new(By::Sweep, RequestStep::Escalate, from, from);
            o.changes.touched = false;
            o.changes.escalation_level = Some(level);
            o.entry.note = Some(format!("eskalasi tingkat {level}"));
            o.entry.public = false;
            o.audit_before = json!({ "escalation_level": current.escalation_level });
            o.audit_after = json!({
                "escalation_level": level,
                "late_working_days": late_working_days,
            });
            o.notices.push(Notice::Escalation {
                level,
                late_working_days,
            });
            Ok(o)
        }
        SweepAction::Untaken { hours } => untaken(current, hours),
        SweepAction::Resume => {
            let to = no_wrong_door::resumed_to(current, next_status(from, Step::Resume)?);
            let mut o = Outcome::new(By::Sweep, RequestStep::Resume, from, to);
            no_wrong_door::resume(&mut o, current, None, facts, ctx);
            o.notices.insert(
                0,
                Notice::ReporterEmail {
                    note: o.entry.note.clone(),
                },
            );
            o.notices.insert(1, Notice::ReporterMessage);
            Ok(o)
        }
    }
}

mod closure;
pub mod no_wrong_door;
// --- routing rules ------------------------------------------------------------------------

/// A step a routing rule takes at intake: the rule verifies the request, then dispatches it to
/// its unit, as two entries naming the rule, so the timeline and the audit log say who decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleAction {
    Verify { rule: i64 },
    Dispatch { rule: i64, unit: UnitId },
}

fn by_rule(
    current: &Current<'_>,
    action: RuleAction,
    facts: &Facts,
    ctx: &Context<'_>,
) -> Result<Outcome, Refusal> {
    let (step, rule) = match action {
        RuleAction::Verify { rule } => (Step::Verify, rule),
        RuleAction::Dispatch { rule, .. } => (Step::Dispatch, rule),
    };
    let from = current.status;
    let to = next_status(from, step)?;
    let by = By::Rule {
        rule,
        name: format!("system:rule:{rule}"),
    };
    let mut o = Outcome::new(by, step.into(), from, to);
    match action {
        RuleAction::Verify { .. } => {
            o.entry.note = Some(format!("diverifikasi oleh aturan rute #{rule}"));
        }
        RuleAction::Dispatch { unit, .. } => {
            let note = Some(format!("disposisi oleh aturan rute #{rule}"));
            dispatch(&mut o, &[unit], &note, facts, ctx)?;
            // the reporter hears once, of where the request went, not of each half
            o.notices.insert(0, Notice::ReporterEmail { note: None });
            o.notices.insert(1, Notice::ReporterMessage);
        }
    }
    // the rule's number means nothing to the public: the step shows, the note does not
    o.entry.public = false;
    o.refresh_figures = true;
    o.audit_after = json!({ "status": to.as_str(), "rule_id": rule, "note": o.entry.note });
    Ok(o)
}

// --- requests no unit has taken -------------------------------------------------------------

/// Whether a request has waited for a unit to take it (start work) longer than `hours`: it
/// is still with the desk, or dispatched but not started.
pub fn is_untaken(status: Status, received_at: DateTime<Utc>, ctx: &Context<'_>) -> bool {
    let waited = ctx.now - received_at;
    matches!(
        status,
        Status::Diterima | Status::Diverifikasi | Status::Didisposisikan
    ) && waited >= chrono::Duration::hours(i64::from(ctx.rules.untaken_hours))
}

fn untaken(current: &Current<'_>, hours: u32) -> Result<Outcome, Refusal> {
    let from = current.status;
    if !matches!(
        from,
        Status::Diterima | Status::Diverifikasi | Status::Didisposisikan
    ) {
        return Err(Refusal::Conflict("a unit has taken the request"));
    }
    let mut o = Outcome::new(By::Sweep, RequestStep::Escalate, from, from);
    o.changes.touched = false;
    o.entry.note = Some(format!(
        "eskalasi ke pimpinan: belum diambil unit dalam {hours} jam"
    ));
    o.entry.public = false;
    o.audit_before = json!({ "status": from.as_str() });
    o.audit_after = json!({ "untaken_hours": hours });
    o.notices.push(Notice::Untaken { hours });
    Ok(o)
}

#[cfg(test)]
mod tests;
