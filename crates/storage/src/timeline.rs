//! The public timeline read by time, for feeds of updates (Open311 `servicerequestupdates`):
//! entries walked in `(at, id)` order with a limit, so an answer reads at most that many
//! entries and the requests they belong to, however wide the window or busy the city.

use crate::entity::{request, request_event};
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
};

/// A timeline entry that may be a public update: its id, when, and its request's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateRef {
    pub event_id: i64,
    pub at: DateTime<Utc>,
    pub tracking_code: String,
}

/// The first `limit` entries at or after `from` (and at or before `to`) of requests that are
/// not confidential, oldest first, that change the status or carry a note (candidates: the
/// caller keeps those the public projection shows as updates). The filing itself, which has
/// no status before it, is not an update.
pub async fn public_update_candidates(
    store: &Store,
    from: DateTime<Utc>,
    to: Option<DateTime<Utc>>,
    limit: u64,
) -> Result<Vec<UpdateRef>> {
    let mut q = request_event::Entity::find()
        .select_only()
        .column(request_event::Column::Id)
        .column(request_event::Column::At)
        .column(request::Column::TrackingCode)
        .join(
            JoinType::InnerJoin,
            request_event::Entity::belongs_to(request::Entity)
                .from(request_event::Column::RequestId)
                .to(request::Column::Id)
                .into(),
        )
        .filter(request::Column::Confidential.eq(false))
        .filter(request_event::Column::At.gte(from))
        .filter(request_event::Column::FromStatus.is_not_null())
        .filter(
            Condition::any()
                .add(
                    Expr::col((request_event::Entity, request_event::Column::FromStatus)).ne(
                        Expr::col((request_event::Entity, request_event::Column::ToStatus)),
                    ),
                )
                .add(
                    Condition::all()
                        .add(request_event::Column::NotePublic.eq(true))
                        .add(request_event::Column::Note.is_not_null()),
                ),
        );
    if let Some(to) = to {
        q = q.filter(request_event::Column::At.lte(to));
    }
    let rows: Vec<(i64, DateTime<Utc>, String)> = q
        .order_by_asc(request_event::Column::At)
        .order_by_asc(request_event::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(&store.reader)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(event_id, at, tracking_code)| UpdateRef {
            event_id,
            at,
            tracking_code,
        })
        .collect())
}
