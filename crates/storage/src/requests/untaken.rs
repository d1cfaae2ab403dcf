//! Requests no unit has taken within the configured hours (`RequestRules::untaken_hours`):
//! the sweep escalates each once to the leadership (timeline, audit, email to the leaders)
//! and the leadership page lists those still waiting.

use super::*;
use crate::entity::{request, request_untaken};
use crate::Store;
use chrono::{DateTime, Duration, Utc};
use kotapintar_domain::ids::RequestId;
use kotapintar_domain::request::workflow::is_untaken;
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

/// The statuses in which no unit has taken a request yet.
fn waiting() -> [&'static str; 3] {
    [
        Status::Diterima.as_str(),
        Status::Diverifikasi.as_str(),
        Status::Didisposisikan.as_str(),
    ]
}

fn not_escalated() -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(request_untaken::Column::RequestId)
        .from(request_untaken::Entity)
        .to_owned()
}

/// Escalates the requests that waited too long and were not escalated before, each in its
/// own transaction; how many.
pub(super) async fn escalate(store: &Store, ctx: &Context<'_>) -> Result<usize> {
    let cutoff = ctx.now - Duration::hours(i64::from(ctx.rules.untaken_hours));
    let due = request::Entity::find()
        .filter(request::Column::Status.is_in(waiting()))
        .filter(request::Column::MergedInto.is_null())
        .filter(request::Column::ReceivedAt.lte(cutoff))
        .filter(request::Column::Id.not_in_subquery(not_escalated()))
        .order_by_asc(request::Column::Id)
        .limit(500)
        .all(&store.reader)
        .await?;
    let mut n = 0;
    for listed in due {
        let tx = store.writer.begin().await?;
        // read again in the transaction: a unit may have taken it since it was listed
        let row = crate::rows::locked::<request::Entity>(&tx, listed.id).await?;
        let status = status_of(&row.status)?;
        let done = request_untaken::Entity::find_by_id(row.id)
            .one(&tx)
            .await?
            .is_some();
        if done || !is_untaken(status, row.received_at, ctx) {
            continue;
        }
        let handling = handling_units(&tx, row.id).await?;
        let action = SweepAction::Untaken {
            hours: ctx.rules.untaken_hours,
        };
        let current = current_of(&row, &handling)?;
        let Ok(outcome) = decide(&current, Taken::Sweep(action), &Facts::default(), ctx) else {
            continue;
        };
        save(&tx, &row, &outcome, ctx).await?;
        request_untaken::ActiveModel {
            request_id: sea_orm::Set(row.id),
            escalated_at: sea_orm::Set(ctx.now),
            hours: sea_orm::Set(i32::try_from(ctx.rules.untaken_hours).unwrap_or(i32::MAX)),
        }
        .insert(&tx)
        .await?;
        tx.commit().await?;
        n += 1;
    }
    Ok(n)
}

/// A request on the leadership page because no unit took it in time.
#[derive(Debug, Clone)]
pub struct Untaken {
    pub id: RequestId,
    pub tracking_code: String,
    /// The public (masked) title: the leadership page is staff-only, but needs no more.
    pub title: String,
    pub status: Status,
    pub received_at: DateTime<Utc>,
    pub escalated_at: DateTime<Utc>,
}

/// The escalated requests still waiting for a unit, oldest first.
pub async fn untaken(store: &Store, limit: u64) -> Result<Vec<Untaken>> {
    let marks = request_untaken::Entity::find()
        .order_by_asc(request_untaken::Column::EscalatedAt)
        .all(&store.reader)
        .await?;
    if marks.is_empty() {
        return Ok(Vec::new());
    }
    let at: std::collections::HashMap<i64, DateTime<Utc>> = marks
        .iter()
        .map(|m| (m.request_id, m.escalated_at))
        .collect();
    let rows = request::Entity::find()
        .filter(request::Column::Status.is_in(waiting()))
        .filter(request::Column::MergedInto.is_null())
        .filter(
            request::Column::Id.in_subquery(
                Query::select()
                    .column(request_untaken::Column::RequestId)
                    .from(request_untaken::Entity)
                    .to_owned(),
            ),
        )
        .order_by_asc(request::Column::ReceivedAt)
        .limit(limit)
        .all(&store.reader)
        .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Untaken {
                id: RequestId(r.id),
                status: status_of(&r.status)?,
                escalated_at: at.get(&r.id).copied().unwrap_or(r.received_at),
                title: r.public_title.clone(),
                tracking_code: r.tracking_code,
                received_at: r.received_at,
            })
        })
        .collect()
}
