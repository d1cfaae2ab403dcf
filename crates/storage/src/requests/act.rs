//! Staff steps: load the request and the facts the step names, `decide`, save the outcome.

use super::*;
use crate::audit::{self, AuditActor, Change};
use crate::entity::{request, request_unit, service, unit, user_role};
use crate::{notices, Result, StorageError, Store};
use chrono::{DateTime, Utc};
use kotapintar_domain::ids::{RequestId, UnitId};
use kotapintar_domain::policy::Actor;
use kotapintar_domain::request::{RequestRules, Status};
use kotapintar_domain::working_days::Calendar;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

/// The facts a staff step names, looked up before deciding: the units it names (with their
/// names), the request a duplicate points to, the service's time limit, the officer's units.
async fn facts_for(
    tx: &DatabaseTransaction,
    row: &request::Model,
    action: &StaffAction,
) -> Result<Facts> {
    let mut facts = Facts::default();
    let named: Vec<UnitId> = match action {
        StaffAction::Dispatch { units, .. } => units.clone(),
        StaffAction::Forward { to, .. } => vec![*to],
        _ => Vec::new(),
    };
    if !named.is_empty() {
        facts.units = unit::Entity::find()
            .filter(unit::Column::Id.is_in(named.iter().map(|u| u.0)))
            .all(tx)
            .await?
            .into_iter()
            .map(|u| (UnitId(u.id), u.name))
            .collect();
    }
    match action {
        StaffAction::Reject {
            duplicate_of: Some(code),
            ..
        } if !code.trim().is_empty() => {
            facts.duplicate = find_row_by_code(tx, &code.trim().to_uppercase())
                .await
                .ok()
                .map(|o| RequestId(o.id));
        }
        StaffAction::Refer { agency, .. } => {
            facts.agency = crate::agencies::active_contact(tx, *agency).await?;
        }
        StaffAction::Dispatch { .. } | StaffAction::Resume { .. } => {
            if let Some(s) = row.service_id {
                facts.service_days = service::Entity::find_by_id(s)
                    .one(tx)
                    .await?
                    .map(|s| s.time_limit_days.max(0) as u32);
            }
        }
        StaffAction::Assign { officer } => {
            facts.officer_name = crate::entity::user::Entity::find_by_id(officer.0)
                .one(tx)
                .await?
                .map(|u| u.full_name);
            facts.officer_units = user_role::Entity::find()
                .filter(user_role::Column::UserId.eq(officer.0))
                .all(tx)
                .await?
                .into_iter()
                .filter_map(|r| r.unit_id.map(UnitId))
                .collect();
        }
        _ => {}
    }
    // validated closure: the service's settings and the photos of the result
    if matches!(
        action,
        StaffAction::Resolve { .. } | StaffAction::AcceptFollowUp { .. }
    ) {
        facts.closure = crate::closure::facts(tx, row).await?;
    }
    Ok(facts)
}

/// Applies a staff step: loads the request, asks the workflow (`decide`) and saves what it
/// decided, all in one transaction.
pub async fn act(
    store: &Store,
    rules: &RequestRules,
    calendar: &Calendar,
    actor: &Actor,
    id: RequestId,
    action: StaffAction,
) -> Result<Status> {
    let tx = store.writer.begin().await?;
    let status = act_in(&tx, rules, calendar, actor, id, &action).await?;
    tx.commit().await?;
    Ok(status)
}

/// [`act`] with an outside photo link (Open311 `media_url` on a posted update, already
/// checked by `intake::media_url`) kept on the timeline entry the step writes, in the same
/// transaction. Returns the new status and the entry's id.
pub async fn act_with_link(
    store: &Store,
    rules: &RequestRules,
    calendar: &Calendar,
    actor: &Actor,
    id: RequestId,
    action: StaffAction,
    media_url: Option<String>,
) -> Result<(Status, i64)> {
    use crate::entity::request_event;
    let tx = store.writer.begin().await?;
    let status = act_in(&tx, rules, calendar, actor, id, &action).await?;
    // the step's own entry: the newest of this request, written just now in this transaction
    let entry = request_event::Entity::find()
        .filter(request_event::Column::RequestId.eq(id.0))
        .order_by_desc(request_event::Column::Id)
        .one(&tx)
        .await?
        .ok_or_else(|| StorageError::Other("the step wrote no timeline entry".into()))?;
    let entry_id = entry.id;
    if media_url.is_some() {
        let mut m: request_event::ActiveModel = entry.into();
        m.media_url = Set(media_url);
        m.update(&tx).await?;
    }
    tx.commit().await?;
    Ok((status, entry_id))
}

/// A staff step in the caller's transaction, not committed: for a step saved together with
/// what else it means (the desk's choice among routing suggestions).
pub(crate) async fn act_in(
    tx: &DatabaseTransaction,
    rules: &RequestRules,
    calendar: &Calendar,
    actor: &Actor,
    id: RequestId,
    action: &StaffAction,
) -> Result<Status> {
    let row = request::Entity::find_by_id(id.0)
        .one(tx)
        .await?
        .ok_or(StorageError::NotFound)?;
    kotapintar_domain::request::merge::refuse_if_merged(row.merged_into.map(RequestId))
        .map_err(refused)?;
    let facts = facts_for(tx, &row, action).await?;
    let ctx = Context {
        now: Utc::now(),
        rules,
        calendar,
    };
    let handling = handling_units(tx, row.id).await?;
    let taken = Taken::Staff(actor, action);
    let mut current = current_of(&row, &handling)?;
    current.deferred_from = deferred_from(tx, &row).await?;
    let outcome = decide(&current, taken, &facts, &ctx).map_err(refused)?;
    save(tx, &row, &outcome, &ctx).await?;
    Ok(outcome.to)
}

/// Decides a step on a loaded request, saves it and commits; the new status.
pub(super) async fn take_step(
    tx: DatabaseTransaction,
    row: &request::Model,
    taken: Taken<'_>,
    facts: &Facts,
    ctx: &Context<'_>,
) -> Result<Status> {
    kotapintar_domain::request::merge::refuse_if_merged(row.merged_into.map(RequestId))
        .map_err(refused)?;
    let handling = handling_units(&tx, row.id).await?;
    let outcome = decide(&current_of(row, &handling)?, taken, facts, ctx).map_err(refused)?;
    save(&tx, row, &outcome, ctx).await?;
    tx.commit().await?;
    Ok(outcome.to)
}

/// A batch step on several requests; each is applied on its own, and the result says which
/// succeeded, so one stale request does not undo the others.
pub async fn act_many(
    store: &Store,
    rules: &RequestRules,
    calendar: &Calendar,
    actor: &Actor,
    ids: &[RequestId],
    action: StaffAction,
) -> Vec<(RequestId, Result<Status>)> {
    let mut out = Vec::new();
    for id in ids {
        out.push((
            *id,
            act(store, rules, calendar, actor, *id, action.clone()).await,
        ));
    }
    out
}

/// The status a deferred request had before (none unless it is `ditunda`).
pub(super) async fn deferred_from(
    tx: &DatabaseTransaction,
    row: &request::Model,
) -> Result<Option<Status>> {
    if row.status != Status::Ditunda.as_str() {
        return Ok(None);
    }
    crate::agencies::deferred_from(tx, row.id).await
}

/// The request as the workflow sees it.
pub(super) fn current_of<'a>(
    row: &'a request::Model,
    handling: &'a [UnitId],
) -> Result<Current<'a>> {
    Ok(Current {
        id: RequestId(row.id),
        status: status_of(&row.status)?,
        confidential: row.confidential,
        handling,
        stage_due_at: row.stage_due_at,
        resolve_due_at: row.resolve_due_at,
        escalation_level: row.escalation_level,
        reporter_name: row.reporter_name.as_deref(),
        deferred_from: None,
    })
}

/// A refusal of the workflow, as a storage error.
pub(super) fn refused(r: Refusal) -> StorageError {
    match r {
        Refusal::Forbidden => StorageError::Forbidden,
        Refusal::Hidden => StorageError::NotFound,
        Refusal::Transition(e) => StorageError::Conflict(e.to_string()),
        Refusal::Field { field, code } => StorageError::field(field, code),
        Refusal::Conflict(why) => StorageError::Conflict(why.into()),
    }
}

/// Saves what `decide` decided: the request's columns, its units, the timeline entry and the
/// outbox event, the performance figures, the audit entry and the notices.
pub(super) async fn save(
    tx: &DatabaseTransaction,
    row: &request::Model,
    o: &Outcome,
    ctx: &Context<'_>,
) -> Result<()> {
    save_columns(tx, row, o, ctx.now).await?;
    save_units(tx, row.id, &o.units, ctx.now).await?;
    add_event(
        tx,
        row,
        o.by.timeline_name(),
        o.by.user_id().map(|u| u.0),
        o.step,
        Some(o.from),
        o.to,
        o.entry.note.as_deref(),
        o.entry.public,
        o.entry.unit.map(|u| u.0),
    )
    .await?;
    if o.refresh_figures {
        crate::performance::refresh(tx, row.id, ctx.calendar, ctx.rules.utc_offset).await?;
    }
    let by = match &o.by {
        By::Staff { username, user_id } => AuditActor::Staff {
            user_id: user_id.0,
            username: username.clone(),
        },
        By::Reporter => AuditActor::System("reporter".into()),
        By::Sweep => AuditActor::System("sweep".into()),
        By::Rule { rule, .. } => AuditActor::System(format!("rule:{rule}")),
    };
    audit::append(
        tx,
        &by,
        Change::new(&format!("request.{}", o.step.name()), "request", row.id)
            .before(&o.audit_before)
            .after(&o.audit_after),
    )
    .await?;
    for notice in &o.notices {
        send(tx, row, o, notice, ctx.rules).await?;
    }
    Ok(())
}

async fn save_columns(
    tx: &DatabaseTransaction,
    row: &request::Model,
    o: &Outcome,
    now: DateTime<Utc>,
) -> Result<()> {
    let c = &o.changes;
    let mut m: request::ActiveModel = row.clone().into();
    if c.touched {
        m.status = Set(o.to.as_str().into());
        m.updated_at = Set(now);
    }
    if let Some(v) = c.closed_at {
        m.closed_at = Set(v);
    }
    if let Some(v) = c.stage_due_at {
        m.stage_due_at = Set(v);
    }
    if let Some(v) = c.resolve_due_at {
        m.resolve_due_at = Set(Some(v));
    }
    if let Some(v) = c.resolved_at {
        m.resolved_at = Set(v);
    }
    if let Some(v) = c.escalation_level {
        m.escalation_level = Set(v);
    }
    if let Some(v) = c.reject_reason {
        m.reject_reason = Set(Some(v.as_str().into()));
    }
    if let Some(v) = c.duplicate_of {
        m.duplicate_of = Set(Some(v.0));
    }
    if let Some((raw, public)) = &c.response {
        m.response = Set(Some(raw.clone()));
        m.public_response = Set(Some(public.clone()));
    }
    if m.is_changed() {
        m.update(tx).await?;
    }
    // a referral or a deferral writes its public reason; a resumption clears it
    if let Some(reason) = &c.status_reason {
        let deferred = c.deferred.flatten();
        let agency = c.referred_to.flatten();
        crate::agencies::save_reason(tx, row.id, reason.as_deref(), agency, deferred).await?;
    }
    Ok(())
}

async fn save_units(
    tx: &DatabaseTransaction,
    id: i64,
    change: &UnitChange,
    now: DateTime<Utc>,
) -> Result<()> {
    let add = |unit: UnitId| request_unit::ActiveModel {
        request_id: Set(id),
        unit_id: Set(unit.0),
        officer_id: Set(None),
        active: Set(true),
        dispatched_at: Set(now),
        ..Default::default()
    };
    match change {
        UnitChange::None => {}
        UnitChange::Dispatch(units) => {
            for u in units {
                add(*u).insert(tx).await?;
            }
        }
        UnitChange::Forward { from, to } => {
            let mut upd = request_unit::Entity::update_many()
                .col_expr(request_unit::Column::Active, Expr::value(false))
                .filter(request_unit::Column::RequestId.eq(id));
            if !from.is_empty() {
                upd = upd.filter(request_unit::Column::UnitId.is_in(from.iter().map(|u| u.0)));
            }
            upd.exec(tx).await?;
            add(*to).insert(tx).await?;
        }
        UnitChange::Assign { unit, officer } => {
            request_unit::Entity::update_many()
                .col_expr(request_unit::Column::OfficerId, Expr::value(officer.0))
                .filter(request_unit::Column::RequestId.eq(id))
                .filter(request_unit::Column::UnitId.eq(unit.0))
                .filter(request_unit::Column::Active.eq(true))
                .exec(tx)
                .await?;
        }
    }
    Ok(())
}

/// Queues one notice (sent by the job worker once the step is committed).
async fn send(
    tx: &DatabaseTransaction,
    row: &request::Model,
    o: &Outcome,
    notice: &Notice,
    rules: &RequestRules,
) -> Result<()> {
    let code = &row.tracking_code;
    match notice {
        Notice::ReporterEmail { note } => {
            let link = public_link(rules, code);
            // the reporters of the requests merged into this one hear of it as its own does,
            // with the note as the public reads it (the primary's reporter's name masked)
            for r in reporters(tx, row).await? {
                let note = match note {
                    Some(n) if r.id != row.id => Some(kotapintar_domain::privacy::mask_names(
                        n,
                        &names_of(row.reporter_name.as_deref()),
                    )),
                    n => n.clone(),
                };
                let (subject, body) = notices::status_changed(code, o.to, note.as_deref(), &link);
                if let Some(email) = &r.reporter_email {
                    notices::email(tx, email, &subject, &body).await?;
                }
                // the chat the request came from hears of every step the email does
                if let Some(contact) = notices::chat_of(&r) {
                    notices::chat(tx, contact, &body).await?;
                }
            }
        }
        Notice::ReporterMessage => {
            let text = format!(
                "kotapintar: laporan {code} {}.",
                notices::status_label_id(o.to)
            );
            for r in reporters(tx, row).await? {
                if let Some(phone) = &r.reporter_phone {
                    notices::message(tx, phone, &text).await?;
                }
            }
        }
        Notice::Unit {
            unit,
            what_id,
            what_en,
        } => {
            if let Some(email) = unit_row(tx, *unit).await?.email {
                let (subject, body) = notices::to_unit(
                    code,
                    what_id,
                    what_en,
                    &row.title,
                    &staff_link(rules, row.id),
                );
                notices::email(tx, &email, &subject, &body).await?;
            }
        }
        Notice::Escalation {
            level,
            late_working_days: late,
        } => {
            // a late validation is the desk's delay, not the unit's: it hears first
            let who = if row.status == Status::MenungguValidasi.as_str() {
                2
            } else {
                *level
            };
            for to in escalation_recipients(tx, row.id, who).await? {
                let (subject, body) = notices::to_unit(
                    code,
                    &format!("Laporan terlambat {late} hari kerja (eskalasi tingkat {level})"),
                    &format!("Request overdue by {late} working days (escalation level {level})"),
                    &row.title,
                    &staff_link(rules, row.id),
                );
                notices::email(tx, &to, &subject, &body).await?;
            }
        }
        Notice::Untaken { hours } => {
            for to in leaders(tx).await? {
                let (subject, body) = notices::to_unit(
                    code,
                    &format!("Laporan belum diambil unit mana pun dalam {hours} jam"),
                    &format!("No unit has taken this request within {hours} hours"),
                    &row.title,
                    &staff_link(rules, row.id),
                );
                notices::email(tx, &to, &subject, &body).await?;
            }
        }
    }
    Ok(())
}

/// The request and those merged into it: whose reporters hear of its steps.
async fn reporters(tx: &DatabaseTransaction, row: &request::Model) -> Result<Vec<request::Model>> {
    let mut out = vec![row.clone()];
    out.extend(super::merge::merged_rows(tx, row.id).await?);
    Ok(out)
}

/// The leadership's addresses (active users with the `leader` role).
async fn leaders(tx: &DatabaseTransaction) -> Result<Vec<String>> {
    let ids: Vec<i64> = user_role::Entity::find()
        .filter(user_role::Column::Role.eq("leader"))
        .all(tx)
        .await?
        .into_iter()
        .map(|r| r.user_id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<String> = crate::entity::user::Entity::find()
        .filter(crate::entity::user::Column::Id.is_in(ids))
        .filter(crate::entity::user::Column::Active.eq(true))
        .all(tx)
        .await?
        .into_iter()
        .filter_map(|u| u.email)
        .collect();
    out.sort();
    out.dedup();
    Ok(out)
}

/// Who hears of an escalation: at level 1 the handling units' admins (before dispatch, the
/// desk), at level 2 the desk and the admins; and the handling units' own mailboxes.
async fn escalation_recipients(
    tx: &DatabaseTransaction,
    id: i64,
    level: i32,
) -> Result<Vec<String>> {
    let handling = handling_units(tx, id).await?;
    let roles = if level == 1 && !handling.is_empty() {
        user_role::Entity::find()
            .filter(user_role::Column::Role.eq("unit_admin"))
            .filter(user_role::Column::UnitId.is_in(handling.iter().map(|u| u.0)))
            .all(tx)
            .await?
    } else {
        user_role::Entity::find()
            .filter(user_role::Column::Role.is_in(["verifier", "admin"]))
            .all(tx)
            .await?
    };
    let mut recipients: Vec<String> = Vec::new();
    let user_ids: Vec<i64> = roles.iter().map(|r| r.user_id).collect();
    if !user_ids.is_empty() {
        for u in crate::entity::user::Entity::find()
            .filter(crate::entity::user::Column::Id.is_in(user_ids))
            .filter(crate::entity::user::Column::Active.eq(true))
            .all(tx)
            .await?
        {
            recipients.extend(u.email);
        }
    }
    for u in &handling {
        recipients.extend(unit_row(tx, *u).await?.email);
    }
    recipients.sort();
    recipients.dedup();
    Ok(recipients)
}
