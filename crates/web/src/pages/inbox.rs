//! The staff side of requests: the inbox (per unit, with filters and bulk actions) and one
//! request with its full timeline and the steps the viewer may take.

use crate::csrf::CsrfForm;
use crate::session::Staff;
use crate::view::{render, Page};
use crate::{AppState, WebError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, TimeZone, Utc};
use kotapintar_domain::ids::{RequestId, UnitId, UserId};
use kotapintar_domain::policy::{Actor, Permission};
use kotapintar_domain::request::workflow::no_wrong_door::MAX_DEFER_DAYS;
use kotapintar_domain::request::{RejectReason, Status};
use kotapintar_domain::unit::Unit;
use kotapintar_domain::working_days::{Calendar, Countdown};
use kotapintar_domain::FieldErrors;
use kotapintar_storage::requests::{self, InboxFilter, InboxRow, StaffAction, StaffView};
use kotapintar_storage::{regions, routing, services, units, StorageError};
use serde::Deserialize;

const PER_PAGE: u64 = 50;

#[derive(Deserialize, Default, Clone)]
pub struct InboxQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub terlambat: String,
    #[serde(default)]
    pub layanan: String,
    #[serde(default)]
    pub kecamatan: String,
    #[serde(default)]
    pub dari: String,
    #[serde(default)]
    pub sampai: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub saya: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub hal: u64,
    /// A bulk step's result: `done-selected`.
    #[serde(default)]
    pub hasil: String,
    /// A bulk step's failures: `id.reason` separated by spaces (reasons from [`FAILURES`]).
    #[serde(default)]
    pub gagal: String,
    /// `terbaru` for newest first; the default is open work by deadline.
    #[serde(default)]
    pub urut: String,
}

impl InboxQuery {
    /// Whether any filter is set (the filter panel then shows open).
    pub fn narrows(&self) -> bool {
        [
            &self.status,
            &self.terlambat,
            &self.layanan,
            &self.kecamatan,
            &self.dari,
            &self.sampai,
            &self.q,
            &self.saya,
            &self.unit,
            &self.urut,
        ]
        .iter()
        .any(|v| !v.trim().is_empty())
    }
}

/// At most this many requests in one bulk step (a page of the queue and then some).
const MAX_BULK: usize = 100;

/// Why a request of a bulk step was left as it was: the keys of `bulk_failed.*`.
const FAILURES: [&str; 6] = [
    "forbidden",
    "conflict",
    "no_unit",
    "invalid",
    "not_found",
    "unavailable",
];

fn failure_of(e: &StorageError) -> &'static str {
    match e {
        StorageError::Forbidden => "forbidden",
        StorageError::Conflict(_) => "conflict",
        StorageError::Invalid(f) if f.for_field("units").or(f.for_field("to_unit")).is_some() => {
            "no_unit"
        }
        StorageError::Invalid(_) => "invalid",
        StorageError::NotFound => "not_found",
        // a database or disk fault: nothing was stored for it, another try may succeed
        _ => "unavailable",
    }
}

/// The filters of a queue as a query string: the pager's links and the way back after a
/// bulk step keep them.
pub(super) fn filter_query(f: &InboxQuery) -> String {
    let set: Vec<(&str, &String)> = [
        ("status", &f.status),
        ("terlambat", &f.terlambat),
        ("layanan", &f.layanan),
        ("kecamatan", &f.kecamatan),
        ("dari", &f.dari),
        ("sampai", &f.sampai),
        ("q", &f.q),
        ("saya", &f.saya),
        ("unit", &f.unit),
        ("urut", &f.urut),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    serde_urlencoded::to_string(set).unwrap_or_default()
}

/// A bulk step's result as the queue shows it: how many of how many, and each failure with
/// its request's code and the reason in words.
struct BulkResult {
    done: usize,
    selected: usize,
    failed: Vec<(RequestId, String, &'static str)>,
}

async fn bulk_result(state: &AppState, f: &InboxQuery) -> Result<Option<BulkResult>, WebError> {
    let Some((done, selected)) = f
        .hasil
        .split_once('-')
        .and_then(|(d, s)| Some((d.parse().ok()?, s.parse().ok()?)))
    else {
        return Ok(None);
    };
    let failed: Vec<(RequestId, &'static str)> = f
        .gagal
        .split_whitespace()
        .take(MAX_BULK)
        .filter_map(|p| {
            let (id, why) = p.split_once('.')?;
            let why = FAILURES.iter().find(|k| **k == why)?;
            Some((RequestId(id.parse().ok()?), *why))
        })
        .collect();
    let ids: Vec<RequestId> = failed.iter().map(|(id, _)| *id).collect();
    let codes = requests::codes_of(&state.store, &ids).await?;
    Ok(Some(BulkResult {
        done,
        selected,
        failed: failed
            .into_iter()
            .filter_map(|(id, why)| Some((id, codes.get(&id)?.clone(), why)))
            .collect(),
    }))
}

/// A deadline as the queue shows it.
pub struct Due {
    text: String,
    /// `late`, `soon` or `ok` (the colour; the text says the same in words).
    urgency: &'static str,
}

fn due_of(page: &Page, cal: &Calendar, row: &InboxRow, offset: chrono::FixedOffset) -> Option<Due> {
    let r = &row.record;
    let due = r.due_at.filter(|_| r.status.is_open())?;
    let c = Countdown::of(cal, due, Utc::now(), offset);
    let text = match c {
        Countdown::Late(0) => page.t("inbox.late").to_string(),
        Countdown::Late(n) => format!(
            "{} {n} {}",
            page.t("inbox.late_by"),
            page.t("inbox.working_days")
        ),
        Countdown::Today => page.t("inbox.due_today").to_string(),
        Countdown::Left(n) => format!("{n} {}", page.t("inbox.working_days_left")),
    };
    Some(Due {
        text,
        urgency: c.urgency(),
    })
}

#[derive(Template)]
#[template(path = "staff/inbox.html")]
struct InboxTemplate {
    page: Page,
    /// Each row, its countdown, and what its latest forward said (for the receiving unit).
    rows: Vec<(InboxRow, Option<Due>, Option<requests::Forwarded>)>,
    by_deadline: bool,
    total: u64,
    f: InboxQuery,
    statuses: &'static [Status],
    services: Vec<(i64, String)>,
    districts: Vec<(String, String)>,
    units: Vec<Unit>,
    can_triage: bool,
    can_work: bool,
    page_no: u64,
    pages: u64,
    filter_query: String,
    bulk: Option<BulkResult>,
}

/// The queue's filters as the storage query takes them (the list and its CSV share them).
pub(super) fn inbox_filter(
    f: &InboxQuery,
    actor: &Actor,
    offset: chrono::FixedOffset,
) -> InboxFilter {
    InboxFilter {
        status: Status::parse(&f.status).ok(),
        overdue: f.terlambat == "1",
        service_id: f.layanan.parse().ok(),
        district_code: (!f.kecamatan.is_empty()).then(|| f.kecamatan.clone()),
        from: local_date(&f.dari, offset, false),
        to: local_date(&f.sampai, offset, true),
        text: (!f.q.trim().is_empty()).then(|| f.q.clone()),
        assigned_to: (f.saya == "1").then_some(actor.user_id.0),
        unit_id: f.unit.parse().ok(),
        before_id: None,
        by_deadline: f.urut != "terbaru",
    }
}

fn local_date(raw: &str, offset: chrono::FixedOffset, end: bool) -> Option<chrono::DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").ok()?;
    let d = if end { d.succ_opt()? } else { d };
    offset
        .from_local_datetime(&d.and_hms_opt(0, 0, 0)?)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

pub async fn list(
    State(state): State<AppState>,
    Staff(actor): Staff,
    page: Page,
    Query(f): Query<InboxQuery>,
) -> Result<Response, WebError> {
    let offset = state.config.rules.utc_offset;
    let filter = inbox_filter(&f, &actor, offset);
    let (rows, total) = requests::inbox(&state.store, &actor, &filter, f.hal, PER_PAGE).await?;
    let cal = state.calendar().await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.record.id.0).collect();
    let mut forwarded = requests::forwards(&state.store, &ids).await?;
    let rows = rows
        .into_iter()
        .map(|row| {
            let due = due_of(&page, &cal, &row, offset);
            let fw = forwarded.remove(&row.record.id.0);
            (row, due, fw)
        })
        .collect();
    let services = services::list(&state.store, false)
        .await?
        .into_iter()
        .map(|s| (s.id, s.draft.name))
        .collect();
    let districts = regions::children(&state.store, &state.config.regency)
        .await?
        .into_iter()
        .map(|d| (d.code, d.name))
        .collect();
    let fq = filter_query(&f);
    let bulk = bulk_result(&state, &f).await?;
    let page_no = f.hal;
    render(&InboxTemplate {
        page,
        rows,
        by_deadline: filter.by_deadline,
        total,
        f,
        statuses: &Status::ALL,
        services,
        districts,
        units: units::list(&state.store).await?,
        can_triage: actor.can_triage(),
        can_work: actor.units().next().is_some(),
        page_no,
        pages: total.div_ceil(PER_PAGE),
        filter_query: fq,
        bulk,
    })
    .map(IntoResponse::into_response)
}

#[derive(Template)]
#[template(path = "staff/request.html")]
struct DetailTemplate {
    page: Page,
    v: StaffView,
    errors: FieldErrors,
    can_triage: bool,
    can_work: bool,
    units: Vec<Unit>,
    officers: Vec<(i64, String)>,
    reasons: [RejectReason; 4],
    templates: Vec<(String, String)>,
    /// What was typed in the form sent back (its action and fields), shown again.
    typed: Vec<(String, String)>,
    /// The step could not be stored now (disk full, database away): say so, keep the form.
    unavailable: bool,
    /// The units the model suggests (id, name, confidence %), best first: desk only.
    suggestions: Vec<(i64, String, u8)>,
    /// The desk's recorded choices among suggestions: the unit chosen, its rank if suggested.
    choices: Vec<(String, Option<u8>)>,
    /// The request to take up after this one (id, code): the head of the viewer's queue.
    next: Option<(RequestId, String)>,
    /// The messages between staff and the reporter, and where a new one would go.
    thread: requests::Thread,
    /// Whether this viewer may write to the reporter.
    can_reply: bool,
    /// The active outside agencies a request may be referred to (no wrong door).
    agencies: Vec<kotapintar_storage::agencies::Agency>,
    /// The earliest and latest dates a request may be deferred to (the date input's bounds).
    defer_min: String,
    defer_max: String,
    /// The case this request is merged into, and those merged into it.
    merges: requests::Merges,
    /// Likely duplicates with their evidence (the desk only).
    duplicates: Vec<requests::DuplicateSuggestion>,
}

impl DetailTemplate {
    /// Whether the form sent back was the `action` form: its problems show there only.
    fn sent(&self, action: &str) -> bool {
        self.typed.iter().any(|(n, v)| n == "action" && v == action)
    }

    fn sent_error(&self, action: &str, field: &str) -> bool {
        self.sent(action) && self.errors.for_field(field).is_some()
    }

    /// The value typed in `field` of the `action` form, if that form was sent back.
    fn typed(&self, action: &str, field: &str) -> &str {
        let sent = |k: &str| {
            self.typed
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.as_str())
        };
        match sent("action") {
            Some(a) if a == action => sent(field).unwrap_or(""),
            _ => "",
        }
    }
}

/// Why a step's form is shown again: its fields were wrong, or it could not be stored now.
pub(super) enum SentBack {
    Nothing,
    Invalid(FieldErrors),
    Unavailable,
}

pub(super) async fn detail_page(
    state: &AppState,
    actor: &Actor,
    page: Page,
    id: RequestId,
    sent_back: SentBack,
    typed: Vec<(String, String)>,
) -> Result<Response, WebError> {
    let (errors, unavailable) = match sent_back {
        SentBack::Nothing => (FieldErrors::new(), false),
        SentBack::Invalid(e) => (e, false),
        SentBack::Unavailable => (FieldErrors::new(), true),
    };
    let v = requests::staff_view(&state.store, actor, id).await?;
    let handling: Vec<UnitId> = v.handling.iter().map(|(u, _, _)| *u).collect();
    let mut officers = Vec::new();
    for u in &handling {
        officers.extend(requests::officers_of(&state.store, *u).await?);
    }
    let templates = kotapintar_storage::templates::for_units(&state.store, &handling).await?;
    let all_units = units::list(&state.store).await?;
    let name_of = |id: i64| {
        all_units
            .iter()
            .find(|u| u.id.0 == id)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    let mut suggestions = Vec::new();
    let mut choices = Vec::new();
    if actor.can(Permission::ViewRouting) {
        if actor.can_triage() {
            if let Some((_, s)) = routing::suggest(&state.store, &state.routing, id).await? {
                suggestions = s
                    .iter()
                    .map(|s| (s.unit.0, name_of(s.unit.0), s.percent()))
                    .collect();
            }
        }
        choices = routing::choices_of(&state.store, id)
            .await?
            .into_iter()
            .map(|c| (name_of(c.chosen.0), c.rank))
            .collect();
    }
    let next = next_in_queue(state, actor, id).await?;
    let thread = requests::thread(&state.store, actor, id).await?;
    let can_reply = kotapintar_domain::request::thread::may_reply(actor, &handling);
    let agencies = if actor.can_triage() || actor.can_work_on(&handling) {
        kotapintar_storage::agencies::active(&state.store.reader).await?
    } else {
        Vec::new()
    };
    let today = kotapintar_domain::working_days::local_date(
        chrono::Utc::now(),
        state.config.rules.utc_offset,
    );
    let (merges, duplicates) = super::merge::view(state, actor, id).await?;
    let status = if unavailable {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        crate::view::form_status(&errors)
    };
    let body = render(&DetailTemplate {
        page,
        can_triage: actor.can_triage(),
        can_work: actor.can_work_on(&handling),
        v,
        errors,
        units: all_units.into_iter().filter(|u| u.active).collect(),
        officers,
        reasons: RejectReason::ALL,
        templates,
        typed,
        unavailable,
        suggestions,
        choices,
        next,
        thread,
        can_reply,
        agencies,
        defer_min: (today + chrono::Duration::days(1)).to_string(),
        defer_max: (today + chrono::Duration::days(MAX_DEFER_DAYS)).to_string(),
        merges,
        duplicates,
    })?;
    let mut res = (status, body).into_response();
    if unavailable {
        res.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(crate::error::RETRY_AFTER_SECS),
        );
    }
    Ok(res)
}

/// The request to work on after this one: the first of the viewer's queue, by deadline, that
/// is not this one. An officer goes from one to the next without returning to the list.
async fn next_in_queue(
    state: &AppState,
    actor: &Actor,
    id: RequestId,
) -> Result<Option<(RequestId, String)>, WebError> {
    let filter = InboxFilter {
        by_deadline: true,
        ..Default::default()
    };
    let (rows, _) = requests::inbox(&state.store, actor, &filter, 0, 2).await?;
    Ok(rows
        .into_iter()
        .map(|r| r.record)
        .find(|r| r.id != id)
        .map(|r| (r.id, r.tracking_code)))
}

pub async fn detail(
    State(state): State<AppState>,
    Staff(actor): Staff,
    page: Page,
    Path(id): Path<RequestId>,
) -> Result<Response, WebError> {
    detail_page(&state, &actor, page, id, SentBack::Nothing, Vec::new()).await
}

/// Turns the action form's fields into a step. Field errors name the form field.
fn parse_action(fields: &[(String, String)]) -> Result<StaffAction, FieldErrors> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let opt = |k: &str| Some(get(k)).filter(|v| !v.is_empty());
    Ok(match get("action").as_str() {
        "verify" => StaffAction::Verify { note: opt("note") },
        "reject" => StaffAction::Reject {
            reason: RejectReason::parse(&get("reason"))
                .map_err(|c| FieldErrors::single("reason", c))?,
            note: get("note"),
            duplicate_of: opt("duplicate_of"),
        },
        "dispatch" => StaffAction::Dispatch {
            units: fields
                .iter()
                .filter(|(k, _)| k == "units")
                .filter_map(|(_, v)| v.parse().ok().map(UnitId))
                .collect(),
            note: opt("note"),
        },
        "forward" => StaffAction::Forward {
            to: get("to_unit")
                .parse()
                .map(UnitId)
                .map_err(|_| FieldErrors::single("to_unit", "required"))?,
            reason: get("reason"),
        },
        "start" => StaffAction::StartWork { note: opt("note") },
        "resolve" => StaffAction::Resolve {
            response: get("response"),
        },
        "comment" => StaffAction::Comment {
            note: get("note"),
            public: get("public") == "on",
        },
        "assign" => StaffAction::Assign {
            officer: get("officer")
                .parse()
                .map(UserId)
                .map_err(|_| FieldErrors::single("officer", "required"))?,
        },
        // validated closure: the desk's two answers to a unit's follow-up
        "validate" => StaffAction::AcceptFollowUp { note: opt("note") },
        "return_follow_up" => StaffAction::ReturnFollowUp {
            reason: get("reason"),
        },
        // no wrong door: bukan wewenang to an outside agency, and deferral to a date
        "refer" => StaffAction::Refer {
            agency: get("agency")
                .parse()
                .map_err(|_| FieldErrors::single("agency", "required"))?,
            reason: get("reason"),
        },
        "defer" => StaffAction::Defer {
            until: get("until"),
            reason: get("reason"),
        },
        "resume" => StaffAction::Resume { note: opt("note") },
        _ => return Err(FieldErrors::single("action", "invalid_choice")),
    })
}

pub async fn act(
    State(state): State<AppState>,
    Staff(actor): Staff,
    page: Page,
    Path(id): Path<RequestId>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let action = match parse_action(&fields) {
        Ok(a) => a,
        Err(e) => return detail_page(&state, &actor, page, id, SentBack::Invalid(e), fields).await,
    };
    let cal = state.calendar().await?;
    // after forwarding, the request is another unit's work: back to the queue, with a message
    let next = match action {
        StaffAction::Forward { .. } => "/staf/laporan?ok=forwarded".to_string(),
        _ => format!("/staf/laporan/{id}?ok=step_done"),
    };
    let done = match action {
        // a dispatch from the desk is recorded against the suggestions it was shown
        StaffAction::Dispatch { .. } if actor.can_triage() => {
            let shown = routing::suggest(&state.store, &state.routing, id).await?;
            let rules = &state.config.rules;
            routing::dispatch(&state.store, rules, &cal, &actor, id, action, shown).await
        }
        _ => requests::act(&state.store, &state.config.rules, &cal, &actor, id, action).await,
    };
    match done {
        Ok(_) => Ok(Redirect::to(&next).into_response()),
        Err(StorageError::Invalid(e)) => {
            detail_page(&state, &actor, page, id, SentBack::Invalid(e), fields).await
        }
        // nothing was stored: the same form again, with what was typed
        Err(StorageError::Unavailable { .. }) => {
            detail_page(&state, &actor, page, id, SentBack::Unavailable, fields).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Bulk: the same step on every ticked request; says how many succeeded.
pub async fn bulk(
    State(state): State<AppState>,
    Staff(actor): Staff,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let ids: Vec<RequestId> = fields
        .iter()
        .filter(|(k, _)| k == "ids")
        .filter_map(|(_, v)| v.parse().ok())
        .take(MAX_BULK)
        .collect();
    let results = match parse_action(&fields) {
        Ok(action) => {
            let cal = state.calendar().await?;
            let rules = &state.config.rules;
            requests::act_many(&state.store, rules, &cal, &actor, &ids, action).await
        }
        // a bulk forward without its unit: every ticked request is named, "no unit chosen"
        Err(e) if e.for_field("to_unit").is_some() => ids
            .iter()
            .map(|id| (*id, Err(StorageError::Invalid(e.clone()))))
            .collect(),
        Err(e) => return Err(WebError::BadRequest(e.to_string())),
    };
    let done = results.iter().filter(|(_, r)| r.is_ok()).count();
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(id, r)| {
            r.as_ref()
                .err()
                .map(|e| format!("{}.{}", id.0, failure_of(e)))
        })
        .collect();
    // back to the queue the officer was looking at, with its filters
    let back: InboxQuery = fields
        .iter()
        .find(|(k, _)| k == "kembali")
        .and_then(|(_, q)| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    let mut result = vec![("hasil", format!("{done}-{}", results.len()))];
    if !failed.is_empty() {
        result.push(("gagal", failed.join(" ")));
    }
    let result = serde_urlencoded::to_string(result).unwrap_or_default();
    let filters = filter_query(&back);
    let query = if filters.is_empty() {
        result
    } else {
        format!("{filters}&{result}")
    };
    Ok(Redirect::to(&format!("/staf/laporan?{query}")).into_response())
}
