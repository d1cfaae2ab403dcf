//! The event outbox. Every domain change appends an event in its own transaction; readers
//! follow the sequence number (the cursor). The head row's lock makes sequence numbers grow in
//! commit order, so a reader that saw event N never later finds a new event below N.

use crate::entity::{event, events_head};
use crate::{Result, StorageError};
use chrono::Utc;
use kotapintar_domain::event::DomainEvent;
use kotapintar_domain::ids::UnitId;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Event {
    pub seq: i64,
    pub at: chrono::DateTime<Utc>,
    pub kind: String,
    pub subject_type: String,
    pub subject_id: String,
    pub data: serde_json::Value,
}

fn units_field(units: &[UnitId]) -> String {
    let mut s = String::from(",");
    for u in units {
        s.push_str(&u.0.to_string());
        s.push(',');
    }
    s
}

/// Appends an event. `units` are the units it concerns (a client of one of them may read it);
/// a confidential event is only ever shown to those units' clients. Its kind, subject and
/// payload come from the event itself (see `kotapintar_domain::event`).
pub async fn append_event(
    db: &impl ConnectionTrait,
    event: &DomainEvent,
    units: &[UnitId],
    confidential: bool,
) -> Result<i64> {
    let kind = event.kind();
    write(
        db,
        kind.name(),
        kind.subject_type().name(),
        &event.subject_id(),
        units,
        confidential,
        &event.data(),
    )
    .await
}

async fn write(
    db: &impl ConnectionTrait,
    kind: &str,
    subject_type: &str,
    subject_id: &str,
    units: &[UnitId],
    confidential: bool,
    data: &serde_json::Value,
) -> Result<i64> {
    // one statement takes the next number and holds the head row until the commit, so events
    // become visible in order (on PostgreSQL the row lock queues concurrent writers)
    let seq = events_head::Entity::update_many()
        .col_expr(
            events_head::Column::Seq,
            Expr::col(events_head::Column::Seq).add(1),
        )
        .filter(events_head::Column::Id.eq(1))
        .exec_with_returning(db)
        .await?
        .first()
        .map(|h| h.seq)
        .ok_or_else(|| StorageError::Other("events head row is missing".into()))?;
    event::Entity::insert(event::ActiveModel {
        seq: Set(seq),
        at: Set(Utc::now()),
        kind: Set(kind.into()),
        subject_type: Set(subject_type.into()),
        subject_id: Set(subject_id.into()),
        unit_ids: Set(units_field(units)),
        confidential: Set(confidential),
        payload: Set(data.to_string()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(seq)
}

/// Events after `cursor`, oldest first: all of them (`unit` None, for the platform itself) or
/// those concerning one unit.
pub async fn after(
    db: &impl ConnectionTrait,
    cursor: i64,
    unit: Option<UnitId>,
    limit: u64,
) -> Result<Vec<Event>> {
    let mut q = event::Entity::find().filter(event::Column::Seq.gt(cursor));
    if let Some(u) = unit {
        q = q.filter(Condition::all().add(event::Column::UnitIds.contains(format!(",{},", u.0))));
    }
    Ok(q.order_by_asc(event::Column::Seq)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|e| Event {
            seq: e.seq,
            at: e.at,
            kind: e.kind,
            subject_type: e.subject_type,
            subject_id: e.subject_id,
            data: serde_json::from_str(&e.payload).unwrap_or(serde_json::Value::Null),
        })
        .collect())
}

/// The newest cursor.
pub async fn head(db: &impl ConnectionTrait) -> Result<i64> {
    Ok(events_head::Entity::find_by_id(1)
        .one(db)
        .await?
        .map(|h| h.seq)
        .unwrap_or(0))
}
