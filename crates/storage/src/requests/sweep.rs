//! The periodic sweep: automatic closing, escalation of overdue requests, retention.

use super::*;
use crate::entity::request;
use crate::{Result, Store};
use chrono::{DateTime, Duration, Utc};
use kotapintar_domain::request::{RequestRules, Status};
use kotapintar_domain::working_days::Calendar;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, TransactionTrait};

#[derive(Debug, Default, PartialEq, Eq)]
pub struct SweepSummary {
    pub escalated: usize,
    pub closed: usize,
    pub erased: usize,
    /// The erased requests' thread photos, for the caller to remove from disk.
    pub erased_photos: super::erasure::ErasedPhotos,
    /// Escalated to the leadership: no unit took them in time.
    pub untaken: usize,
    /// Deferred requests whose date came: back to the status they had.
    pub resumed: usize,
}

/// Runs periodically: escalates overdue requests (first to the unit's admins, later to the
/// central desk), closes resolved requests nobody objected to, and erases personal data past
/// the retention period. Each request is handled in its own transaction.
pub async fn sweep(
    store: &Store,
    rules: &RequestRules,
    calendar: &Calendar,
    now: DateTime<Utc>,
) -> Result<SweepSummary> {
    let ctx = Context {
        now,
        rules,
        calendar,
    };
    let mut summary = SweepSummary::default();

    // 1. close resolved requests whose objection window ended
    let due_to_close = request::Entity::find()
        .filter(request::Column::Status.eq(Status::Selesai.as_str()))
        .filter(request::Column::StageDueAt.lt(now))
        // a merged duplicate takes no step of its own (it closes with an unmerge, if ever)
        .filter(request::Column::MergedInto.is_null())
        .limit(500)
        .all(&store.reader)
        .await?;
    for row in due_to_close {
        if step(store, row.id, &ctx, |_| Some(SweepAction::AutoClose)).await? {
            summary.closed += 1;
        }
    }

    // 1b. resume deferred requests whose date has come (before escalating: a resumed request
    // starts a fresh deadline, it is not late)
    for id in crate::agencies::deferrals_due(&store.reader, now, 500).await? {
        if resume(store, id, &ctx).await? {
            summary.resumed += 1;
        }
    }

    // 2. escalate overdue open requests
    let overdue = request::Entity::find()
        .filter(overdue_at(now))
        .filter(request::Column::EscalationLevel.lt(2))
        .limit(500)
        .all(&store.reader)
        .await?;
    for row in overdue {
        let escalation = |current: &Current<'_>| SweepAction::escalation(current, &ctx);
        if step(store, row.id, &ctx, escalation).await? {
            summary.escalated += 1;
        }
    }

    // 2b. requests no unit has taken within the configured hours: once, to the leadership
    summary.untaken = super::untaken::escalate(store, &ctx).await?;

    // 3. retention: erase personal data long after closing
    let cutoff = now - Duration::days(i64::from(rules.retention_days));
    let expired = request::Entity::find()
        .filter(request::Column::ClosedAt.lt(cutoff))
        .filter(request::Column::PersonalDataErasedAt.is_null())
        .limit(500)
        .all(&store.reader)
        .await?;
    for row in expired {
        let tx = store.writer.begin().await?;
        let photos = erase(&tx, row, "retention").await?;
        tx.commit().await?;
        summary.erased += 1;
        summary.erased_photos.add(photos);
    }
    Ok(summary)
}

/// Takes the sweep's step on one request in its own transaction, reading the request again
/// there: someone may have acted on it since it was listed. `choose` picks the step from the
/// request as it is now (none: nothing to do); a step the workflow refuses now is skipped.
async fn step(
    store: &Store,
    id: i64,
    ctx: &Context<'_>,
    choose: impl Fn(&Current<'_>) -> Option<SweepAction>,
) -> Result<bool> {
    let tx = store.writer.begin().await?;
    let Some(row) = request::Entity::find_by_id(id).one(&tx).await? else {
        return Ok(false);
    };
    let handling = handling_units(&tx, id).await?;
    let current = current_of(&row, &handling)?;
    let Some(action) = choose(&current) else {
        return Ok(false);
    };
    let Ok(outcome) = decide(&current, Taken::Sweep(action), &Facts::default(), ctx) else {
        return Ok(false);
    };
    save(&tx, &row, &outcome, ctx).await?;
    tx.commit().await?;
    Ok(true)
}

/// Resumes one deferred request in its own transaction, with the facts a resumption needs
/// (the status it had, the service's limit); a request staff resumed since is skipped.
async fn resume(store: &Store, id: i64, ctx: &Context<'_>) -> Result<bool> {
    let tx = store.writer.begin().await?;
    let Some(row) = request::Entity::find_by_id(id).one(&tx).await? else {
        return Ok(false);
    };
    let handling = handling_units(&tx, id).await?;
    let mut current = current_of(&row, &handling)?;
    current.deferred_from = super::act::deferred_from(&tx, &row).await?;
    let mut facts = Facts::default();
    if let Some(s) = row.service_id {
        facts.service_days = crate::entity::service::Entity::find_by_id(s)
            .one(&tx)
            .await?
            .map(|s| s.time_limit_days.max(0) as u32);
    }
    let Ok(outcome) = decide(&current, Taken::Sweep(SweepAction::Resume), &facts, ctx) else {
        return Ok(false);
    };
    save(&tx, &row, &outcome, ctx).await?;
    tx.commit().await?;
    Ok(true)
}
