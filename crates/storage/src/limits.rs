//! Counters behind the per-address rate limits of the public surface and the per-number quota
//! of the public form's messages, and the server's own keys.
//!
//! The counters live in the database, not in each node's memory: behind a load balancer a
//! client spreading its requests over every node must get no more than from one. One upsert
//! statement counts a hit and returns the count, so concurrent hits on several nodes are all
//! counted without a lock. On SQLite (one node) the same statement runs through the single
//! writer; one code path for both is worth that small write.

use crate::entity::{rate_counter, server_key};
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use rand::RngCore;
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// A hit counted: how many the subject made in this window, and when the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hits {
    pub count: i64,
    pub window_end: DateTime<Utc>,
}

/// The longest window any counter uses (the per-number day); older rows are purged.
pub const LONGEST_WINDOW_SECS: i64 = 86_400;

/// Counts one hit of `subject` in `bucket`'s fixed window of `window_secs` seconds.
pub async fn hit(
    store: &Store,
    bucket: &str,
    subject: &str,
    window_secs: i64,
    now: DateTime<Utc>,
) -> Result<Hits> {
    let subject = subject.to_string();
    let counts = hit_many(
        &store.writer,
        bucket,
        &[(subject.clone(), 1)],
        window_secs,
        now,
    )
    .await?;
    let window_secs = window_secs.max(1);
    let start = now.timestamp().div_euclid(window_secs) * window_secs;
    Ok(Hits {
        count: counts.get(&subject).copied().unwrap_or(1),
        window_end: DateTime::<Utc>::from_timestamp(start + window_secs, 0).unwrap_or(now),
    })
}

/// Counts `n` hits for each `(subject, n)` in `bucket`'s current window with one statement,
/// in the caller's transaction, and returns each subject's count after them (keyed as given).
/// A subject given twice counts both (PostgreSQL refuses an upsert that changes one row twice,
/// so they are summed first).
pub async fn hit_many(
    db: &impl ConnectionTrait,
    bucket: &str,
    hits: &[(String, i64)],
    window_secs: i64,
    now: DateTime<Utc>,
) -> Result<std::collections::HashMap<String, i64>> {
    let stored = |s: &str| s.chars().take(100).collect::<String>();
    let mut summed: Vec<(String, i64)> = Vec::with_capacity(hits.len());
    for (subject, n) in hits {
        let subject = stored(subject);
        match summed.iter_mut().find(|(s, _)| *s == subject) {
            Some((_, total)) => *total += n,
            None => summed.push((subject, *n)),
        }
    }
    let mut counts = std::collections::HashMap::with_capacity(hits.len());
    if summed.is_empty() {
        return Ok(counts);
    }
    let window_secs = window_secs.max(1);
    let start = now.timestamp().div_euclid(window_secs) * window_secs;
    let mut insert = Query::insert();
    insert.into_table(rate_counter::Entity).columns([
        rate_counter::Column::Bucket,
        rate_counter::Column::Subject,
        rate_counter::Column::WindowStart,
        rate_counter::Column::Hits,
    ]);
    for (subject, n) in &summed {
        insert
            .values([
                bucket.into(),
                subject.clone().into(),
                start.into(),
                (*n).into(),
            ])
            .map_err(|e| crate::StorageError::Other(e.to_string()))?;
    }
    insert
        .on_conflict(
            OnConflict::columns([
                rate_counter::Column::Bucket,
                rate_counter::Column::Subject,
                rate_counter::Column::WindowStart,
            ])
            .value(
                rate_counter::Column::Hits,
                Expr::col((rate_counter::Entity, rate_counter::Column::Hits)).add(Expr::col((
                    sea_orm::sea_query::Alias::new("excluded"),
                    rate_counter::Column::Hits,
                ))),
            )
            .to_owned(),
        )
        .returning(
            Query::returning().columns([rate_counter::Column::Subject, rate_counter::Column::Hits]),
        );
    let backend = db.get_database_backend();
    let mut after = std::collections::HashMap::with_capacity(summed.len());
    for row in db.query_all(backend.build(&insert)).await? {
        after.insert(
            row.try_get::<String>("", "subject")?,
            row.try_get::<i64>("", "hits")?,
        );
    }
    for (subject, _) in hits {
        if let Some(n) = after.get(&stored(subject)) {
            counts.insert(subject.clone(), *n);
        }
    }
    Ok(counts)
}

/// Deletes counters whose window ended more than a day ago; scheduled with the session purge.
pub async fn purge(store: &Store, now: DateTime<Utc>) -> Result<u64> {
    let cutoff = now.timestamp() - 2 * LONGEST_WINDOW_SECS;
    Ok(rate_counter::Entity::delete_many()
        .filter(rate_counter::Column::WindowStart.lt(cutoff))
        .exec(&store.writer)
        .await?
        .rows_affected)
}

/// The server's secret called `name` (32 random bytes), made on first use. Every node reads
/// the same one, so what one node signs another accepts.
pub async fn server_key(store: &Store, name: &str) -> Result<Vec<u8>> {
    if let Some(k) = server_key::Entity::find_by_id(name.to_string())
        .one(&store.reader)
        .await?
    {
        if let Ok(bytes) = hex::decode(&k.secret) {
            return Ok(bytes);
        }
    }
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    // two nodes making it at once: the first one written wins, and both read it back
    server_key::Entity::insert(server_key::ActiveModel {
        name: sea_orm::Set(name.to_string()),
        secret: sea_orm::Set(hex::encode(bytes)),
    })
    .on_conflict(
        OnConflict::column(server_key::Column::Name)
            .do_nothing()
            .to_owned(),
    )
    .do_nothing()
    .exec(&store.writer)
    .await?;
    let k = server_key::Entity::find_by_id(name.to_string())
        .one(&store.writer)
        .await?
        .ok_or(crate::StorageError::NotFound)?;
    hex::decode(&k.secret).map_err(|_| crate::StorageError::NotFound)
}
