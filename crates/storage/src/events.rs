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
    // in the same transaction: PostgreSQL delivers it at the commit (and never if it rolls
    // back), waking every node's `follow` to refresh its caches at once
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute(sea_orm::Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), seq.to_string().into()],
        ))
        .await?;
    }
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

/// The name PostgreSQL notifies on, with the new sequence number, when an event is committed.
pub const CHANNEL: &str = "kp_events";

/// This process's idea of the newest event, kept in memory so that caches can be checked on
/// every request without a query. It is refreshed after this node's own writes (every write
/// request and every job), woken by PostgreSQL's `NOTIFY` for other nodes' writes, and polled
/// as the fallback (`follow`). `local` counts this node's own writes, including those that
/// write no event (a "saya juga"), so a visitor always reads their own change here at once.
#[derive(Debug, Default)]
pub struct Head {
    seq: std::sync::atomic::AtomicI64,
    local: std::sync::atomic::AtomicI64,
    /// Polls in a row that found the database behind memory: a restore from a backup (seen
    /// twice), not a slower read racing a newer one (seen once).
    behind: std::sync::atomic::AtomicU32,
}

impl Head {
    /// The newest event seen, without a query.
    pub fn seq(&self) -> i64 {
        self.seq.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The newest event seen and this node's own writes: any change to either may change a
    /// public page.
    pub fn version(&self) -> (i64, i64) {
        (
            self.seq(),
            self.local.load(std::sync::atomic::Ordering::Acquire),
        )
    }

    /// Notes that this node has just committed a write (read after the commit).
    pub fn touch(&self) {
        self.local.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    /// Raises the head to `seq` (never lowers it: a read that started earlier must not undo
    /// a newer one).
    pub fn saw(&self, seq: i64) {
        self.seq.fetch_max(seq, std::sync::atomic::Ordering::AcqRel);
    }

    /// Reads the head from the database and raises the one in memory to it.
    pub async fn refresh(&self, db: &impl ConnectionTrait) -> Result<i64> {
        let seq = head(db).await?;
        self.saw(seq);
        Ok(seq)
    }

    /// A poll's reading: as `saw`, except that a database found behind memory on two polls in
    /// a row (restored from a backup) is believed, so caches do not wait for the old numbers.
    fn polled(&self, seq: i64) {
        use std::sync::atomic::Ordering;
        if seq < self.seq() {
            if self.behind.fetch_add(1, Ordering::AcqRel) >= 1 {
                self.seq.store(seq, Ordering::Release);
                self.behind.store(0, Ordering::Release);
            }
        } else {
            self.behind.store(0, Ordering::Release);
            self.saw(seq);
        }
    }
}

/// How often `follow` reads the head when nothing wakes it: the bound on how late another
/// node's change reaches this node's caches should a notification be lost (or on SQLite,
/// where other processes, such as a command run beside the server, write no notification).
pub const POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// Keeps `head` current until `stop` turns true: polls every `POLL`, and on PostgreSQL also
/// listens for the notification each event sends, so a change on another node reaches this
/// one's caches in milliseconds.
pub async fn follow(
    store: crate::Store,
    head: std::sync::Arc<Head>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut listener = match store.writer.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => listen(&store).await,
        _ => None,
    };
    loop {
        if let Ok(seq) = head_now(&store).await {
            head.polled(seq);
        }
        let woken = async {
            match listener.as_mut() {
                Some(l) => match l.recv().await {
                    Ok(n) => n.payload().parse::<i64>().ok(),
                    // the connection is re-made by sqlx on the next recv; poll meanwhile
                    Err(_) => {
                        tokio::time::sleep(POLL).await;
                        None
                    }
                },
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            n = woken => if let Some(n) = n { head.saw(n) },
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

async fn head_now(store: &crate::Store) -> Result<i64> {
    head(&store.reader).await
}

async fn listen(store: &crate::Store) -> Option<sea_orm::sqlx::postgres::PgListener> {
    let pool = store.writer.get_postgres_connection_pool();
    let mut l = match sea_orm::sqlx::postgres::PgListener::connect_with(pool).await {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for events; polling only");
            return None;
        }
    };
    if let Err(e) = l.listen(CHANNEL).await {
        tracing::warn!(error = %e, "cannot listen for events; polling only");
        return None;
    }
    Some(l)
}

#[cfg(test)]
mod head_tests {
    use super::Head;

    #[test]
    fn the_head_never_goes_back_but_for_a_restore_seen_twice() {
        let h = Head::default();
        h.saw(5);
        h.saw(3); // a slower read that started earlier
        assert_eq!(h.seq(), 5);
        h.polled(4); // one poll behind: a race, not believed
        assert_eq!(h.seq(), 5);
        h.polled(6);
        assert_eq!(h.seq(), 6);
        h.polled(2);
        h.polled(2); // twice in a row: the database was restored
        assert_eq!(h.seq(), 2);
        let before = h.version();
        h.touch();
        assert_ne!(h.version(), before, "a write without an event still counts");
    }
}
