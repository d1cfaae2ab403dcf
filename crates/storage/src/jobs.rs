//! The job queue's table: enqueue (inside the caller's transaction), claim, finish, retry.
//! The worker that runs jobs lives in the `kotapintar-jobs` crate.

use crate::entity::job;
use crate::{Result, Store};
use chrono::{DateTime, Duration, Utc};
use kotapintar_domain::job::RetryPolicy;
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

pub use job::Model as Job;

/// Adds a job. Pass the transaction that makes the change the job follows from, so the job
/// exists exactly when the change does. How often it is tried is its kind's
/// [`RetryPolicy`], the same one `fail` reads.
pub async fn enqueue(
    db: &impl ConnectionTrait,
    kind: &str,
    payload: &serde_json::Value,
    run_at: DateTime<Utc>,
) -> Result<i64> {
    let max_attempts = RetryPolicy::for_kind(kind).max_attempts;
    let m = job::ActiveModel {
        kind: Set(kind.to_string()),
        payload: Set(payload.to_string()),
        run_at: Set(run_at),
        attempts: Set(0),
        max_attempts: Set(max_attempts),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(m.id)
}

/// Takes the oldest due job and leases it for `lease`. Several workers (on several nodes)
/// never take the same job: PostgreSQL skips rows another worker has locked, and SQLite has
/// one writer. A job whose worker died becomes due again when its lease runs out.
pub async fn claim(store: &Store, lease: Duration) -> Result<Option<Job>> {
    let now = Utc::now();
    let tx = store.writer.begin().await?;
    let found = job::Entity::find()
        .filter(job::Column::RunAt.lte(now))
        .filter(Expr::col(job::Column::Attempts).lt(Expr::col(job::Column::MaxAttempts)))
        .filter(
            Condition::any()
                .add(job::Column::LockedUntil.is_null())
                .add(job::Column::LockedUntil.lt(now)),
        )
        .order_by_asc(job::Column::RunAt)
        .order_by_asc(job::Column::Id)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .one(&tx)
        .await?;
    let Some(j) = found else {
        tx.commit().await?;
        return Ok(None);
    };
    let mut m: job::ActiveModel = j.into();
    m.locked_until = Set(Some(now + lease));
    m.attempts = Set(m.attempts.as_ref() + 1);
    let j = m.update(&tx).await?;
    tx.commit().await?;
    Ok(Some(j))
}

pub async fn complete(store: &Store, id: i64) -> Result<()> {
    job::Entity::delete_by_id(id).exec(&store.writer).await?;
    Ok(())
}

/// Records a failure and schedules the next try after its kind's back-off. After the last
/// attempt the job stays in the table, visible, with its error: it is never silently dropped.
pub async fn fail(store: &Store, job: &Job, error: &str) -> Result<()> {
    let backoff = RetryPolicy::for_kind(&job.kind).delay_after(job.attempts);
    let mut m: job::ActiveModel = job.clone().into();
    m.locked_until = Set(None);
    m.run_at = Set(Utc::now() + backoff);
    m.last_error = Set(Some(error.chars().take(2000).collect()));
    m.update(&store.writer).await?;
    Ok(())
}

/// Whether a job will still be tried (it has attempts left).
pub fn is_live(job: &Job) -> bool {
    job.attempts < job.max_attempts
}

/// Jobs that are waiting or failing (for tests and the admin view).
pub async fn pending(store: &Store) -> Result<Vec<Job>> {
    Ok(job::Entity::find()
        .order_by_asc(job::Column::Id)
        .all(&store.reader)
        .await?)
}
