//! The staff inbox and a request's staff view.

use super::*;
use crate::audit::{self, Change};
use crate::entity::{request, request_unit, unit};
use crate::{Result, StorageError, Store};
use chrono::{DateTime, Utc};
use kotapintar_domain::ids::{RequestId, UnitId};
use kotapintar_domain::policy::Actor;
use kotapintar_domain::privacy::{ReporterContact, RequestRecord};
use kotapintar_domain::request::Status;
use sea_orm::sea_query::{Expr, Func, NullOrdering, SimpleExpr};
use sea_orm::{
    ColumnTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    pub status: Option<Status>,
    pub overdue: bool,
    pub service_id: Option<i64>,
    pub district_code: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub text: Option<String>,
    /// Only the ones assigned to this officer.
    pub assigned_to: Option<i64>,
    /// Restrict to one unit (a desk member or admin looking at a unit's queue).
    pub unit_id: Option<i64>,
    /// Cursor paging (newest first): only requests with a smaller id.
    pub before_id: Option<i64>,
    /// Open work first, by deadline (the late ones first, then the nearest due), instead of
    /// newest first. Not with cursor paging, which is by id.
    pub by_deadline: bool,
}

pub struct InboxRow {
    pub record: RequestRecord,
    pub overdue: bool,
}

/// From how many requests a unit's list is paged along the date index (see `inbox`).
pub(super) const WALK_DATE_INDEX_FROM: u64 = 2_000;

/// The requests this staff member may work on or watch, newest first, with filters.
pub async fn inbox(
    store: &Store,
    actor: &Actor,
    f: &InboxFilter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<InboxRow>, u64)> {
    let now = Utc::now();
    let dispositions = dispositions_in_scope(actor, f);
    let (mut q, narrowed) = filtered(f, now);
    let held = |sub: &sea_orm::Select<request_unit::Entity>| {
        sea_orm::QueryTrait::into_query(
            sub.clone()
                .select_only()
                .column(request_unit::Column::RequestId),
        )
    };
    // A unit's whole inbox (what its application pages through) is counted from the
    // dispositions' index alone, without reading each request's row.
    let total = match &dispositions {
        Some(sub) if !narrowed => sub
            .clone()
            .select_only()
            .column_as(
                SimpleExpr::from(Func::count_distinct(Expr::col(
                    request_unit::Column::RequestId,
                ))),
                "n",
            )
            .into_tuple::<i64>()
            .one(&store.reader)
            .await?
            .map_or(0, |n| u64::try_from(n).unwrap_or(0)),
        Some(sub) => {
            q.clone()
                .filter(request::Column::Id.in_subquery(held(sub)))
                .count(&store.reader)
                .await?
        }
        None => q.clone().count(&store.reader).await?,
    };
    if let Some(sub) = &dispositions {
        // Two ways to find a page of a unit's requests, newest first: from its dispositions
        // (each request's row read for its date, then sorted), or along the date index,
        // keeping the unit's. The first suits a unit holding a few requests, the second one
        // holding thousands. The unary `+` (an expression, no longer the bare id column)
        // keeps both SQLite and PostgreSQL from driving the search from the dispositions.
        let id = if total > WALK_DATE_INDEX_FROM && f.before_id.is_none() {
            Expr::expr(Expr::cust("+requests.id"))
        } else {
            Expr::col((request::Entity, request::Column::Id))
        };
        q = q.filter(id.in_subquery(held(sub)));
    }
    // The page is chosen by sorting ids and dates only, then only its rows are read: sorting
    // whole rows (descriptions, answers) cost ten times more.
    let page_ids = match f.before_id {
        // cursor paging: stable under new arrivals, by id
        Some(before) => q
            .filter(request::Column::Id.lt(before))
            .order_by_desc(request::Column::Id),
        None if f.by_deadline => q
            .order_by(open_first(), Order::Asc)
            .order_by_with_nulls(request::Column::StageDueAt, Order::Asc, NullOrdering::Last)
            .order_by_desc(request::Column::Id)
            .offset(page.saturating_mul(per_page)),
        None => q
            .order_by_desc(request::Column::ReceivedAt)
            .order_by_desc(request::Column::Id)
            .offset(page.saturating_mul(per_page)),
    };
    let ids: Vec<i64> = page_ids
        .select_only()
        .column(request::Column::Id)
        .limit(per_page)
        .into_tuple()
        .all(&store.reader)
        .await?;
    let mut rows: HashMap<i64, request::Model> = request::Entity::find()
        .filter(request::Column::Id.is_in(ids.clone()))
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let rows: Vec<request::Model> = ids.iter().filter_map(|id| rows.remove(id)).collect();
    let recs = records(&store.reader, rows).await?;
    Ok((
        recs.into_iter()
            .map(|record| {
                let overdue = record.status.can_be_late() && record.due_at.is_some_and(|d| d < now);
                InboxRow { record, overdue }
            })
            .collect(),
        total,
    ))
}

/// The dispositions whose requests this person sees, when not all: their units' (or the one
/// unit asked for), the officer's own.
fn dispositions_in_scope(
    actor: &Actor,
    f: &InboxFilter,
) -> Option<sea_orm::Select<request_unit::Entity>> {
    let mut unit_scope: Option<Vec<i64>> = if actor.sees_every_request() {
        None
    } else {
        Some(actor.request_units().map(|u| u.0).collect())
    };
    if let Some(u) = f.unit_id {
        unit_scope = Some(match unit_scope {
            Some(s) if !s.contains(&u) => vec![],
            _ => vec![u],
        });
    }
    if unit_scope.is_none() && f.assigned_to.is_none() {
        return None;
    }
    let mut sub = request_unit::Entity::find().filter(request_unit::Column::Active.eq(true));
    if let Some(units) = unit_scope {
        sub = sub.filter(request_unit::Column::UnitId.is_in(units));
    }
    if let Some(officer) = f.assigned_to {
        sub = sub.filter(request_unit::Column::OfficerId.eq(officer));
    }
    Some(sub)
}

/// 0 for a request someone still has to work on, 1 for the others (one expression, written
/// once for both databases).
fn open_first() -> SimpleExpr {
    let open: Vec<String> = open_statuses()
        .into_iter()
        .map(|s| format!("'{s}'"))
        .collect();
    Expr::cust(format!(
        "CASE WHEN requests.status IN ({}) THEN 0 ELSE 1 END",
        open.join(", ")
    ))
}

/// The requests the filter asks for, and whether it narrows them at all.
fn filtered(f: &InboxFilter, now: DateTime<Utc>) -> (sea_orm::Select<request::Entity>, bool) {
    // merged duplicates leave the queues: their primary carries the case
    let mut q = request::Entity::find().filter(request::Column::MergedInto.is_null());
    let mut narrowed = false;
    if let Some(s) = f.status {
        q = q.filter(request::Column::Status.eq(s.as_str()));
        narrowed = true;
    }
    if f.overdue {
        q = q.filter(overdue_at(now));
        narrowed = true;
    }
    if let Some(s) = f.service_id {
        q = q.filter(request::Column::ServiceId.eq(s));
        narrowed = true;
    }
    if let Some(d) = &f.district_code {
        q = q.filter(request::Column::DistrictCode.eq(d.as_str()));
        narrowed = true;
    }
    if let Some(t) = f.from {
        q = q.filter(request::Column::ReceivedAt.gte(t));
        narrowed = true;
    }
    if let Some(t) = f.to {
        q = q.filter(request::Column::ReceivedAt.lt(t));
        narrowed = true;
    }
    if let Some(t) = f.text.as_deref().filter(|t| !t.trim().is_empty()) {
        q = q.filter(text_condition(t));
        narrowed = true;
    }
    (q, narrowed)
}

/// A timeline entry as staff see it: who did it, internal notes included.
#[derive(Debug, Clone)]
pub struct StaffEvent {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub step: String,
    pub to_status: Status,
    pub note: Option<String>,
    pub note_public: bool,
    pub unit_name: Option<String>,
}

pub struct StaffView {
    pub record: RequestRecord,
    pub events: Vec<StaffEvent>,
    pub handling: Vec<(UnitId, String, Option<i64>)>,
    pub answers: Vec<(String, String)>,
    /// Whether this viewer may see the contact (the record's contact is blanked otherwise).
    pub contact_visible: bool,
    pub reject_reason: Option<String>,
}

/// One request for a staff member, if they may see it. The reporter's contact is included
/// only if they may see it, and that view is audited.
pub async fn staff_view(store: &Store, actor: &Actor, id: RequestId) -> Result<StaffView> {
    let id = id.0;
    let row = request::Entity::find_by_id(id)
        .one(&store.reader)
        .await?
        .ok_or(StorageError::NotFound)?;
    let (handling_rows, past): (Vec<_>, Vec<_>) = request_unit::Entity::find()
        .filter(request_unit::Column::RequestId.eq(id))
        .all(&store.reader)
        .await?
        .into_iter()
        .partition(|d| d.active);
    let handling_ids: Vec<UnitId> = handling_rows.iter().map(|d| UnitId(d.unit_id)).collect();
    // a unit that handled the request once (and forwarded it) still reads it: it may be
    // asked about it, and it should see where it went
    let ever: Vec<UnitId> = handling_ids
        .iter()
        .copied()
        .chain(past.iter().map(|d| UnitId(d.unit_id)))
        .collect();
    if !actor.can_view_request(&ever) {
        return Err(refusal(&row, actor, &handling_ids));
    }
    let unit_names: HashMap<i64, String> = unit::Entity::find()
        .all(&store.reader)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let handling = handling_rows
        .iter()
        .map(|d| {
            (
                UnitId(d.unit_id),
                unit_names.get(&d.unit_id).cloned().unwrap_or_default(),
                d.officer_id,
            )
        })
        .collect();
    let answers: Vec<(String, String)> = serde_json::from_str(&row.answers_json)
        .map_err(|e| StorageError::Other(format!("corrupt answers of request {}: {e}", row.id)))?;
    let reject_reason = row.reject_reason.clone();
    let anonymous = row.anonymous;
    let has_contact =
        row.reporter_name.is_some() || row.reporter_email.is_some() || row.reporter_phone.is_some();
    let events = events_of(&store.reader, id).await?;
    let mut record = records(&store.reader, vec![row]).await?.remove(0);
    let contact_visible = actor.can_see_contact(&handling_ids, anonymous);
    if contact_visible && has_contact {
        audit::append(
            &store.writer,
            &actor.into(),
            Change::new("request.view_contact", "request", id),
        )
        .await?;
    } else {
        record.contact = ReporterContact::default();
    }
    Ok(StaffView {
        record,
        events: events
            .into_iter()
            .map(|(e, unit_name)| {
                Ok(StaffEvent {
                    at: e.at,
                    actor: e.actor,
                    step: e.step,
                    to_status: status_of(&e.to_status)?,
                    note: e.note,
                    note_public: e.note_public,
                    unit_name,
                })
            })
            .collect::<Result<_>>()?,
        handling,
        answers,
        contact_visible,
        reject_reason,
    })
}
