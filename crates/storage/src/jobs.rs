//! The job queue's table: enqueue (inside the caller's transaction), claim, finish, retry.
//! The worker that runs jobs lives in the `kotapintar-jobs` crate.

use crate::entity::job;
use crate::{Result, Store};
use chrono::{DateTime, Duration, Utc};
use kotapintar_domain::job::{Job, RetryPolicy};
use sea_orm::sea_query::{Expr, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

/// A job as it stands in the queue. `kind` and `payload` are kept as stored: the worker
/// reads them into a [`Job`], and a row it cannot read is a visible failure, not a panic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedJob {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub run_at: DateTime<Utc>,
    /// Tries so far (the one in hand included, once claimed).
    pub attempts: i32,
    pub max_attempts: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<job::Model> for QueuedJob {
    fn from(m: job::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            payload: m.payload,
            run_at: m.run_at,
            attempts: m.attempts,
            max_attempts: m.max_attempts,
            locked_until: m.locked_until,
            last_error: m.last_error,
            created_at: m.created_at,
        }
    }
}

impl QueuedJob {
    /// The job to run, or why this version cannot run it.
    pub fn job(&self) -> std::result::Result<Job, kotapintar_domain::job::BadJob> {
        Job::parse(&self.kind, &self.payload)
    }
}

/// Adds a job. Pass the transaction that makes the change the job follows from, so the job
/// exists exactly when the change does. How often it is tried is its kind's
/// [`RetryPolicy`], the same one `fail` reads.
pub async fn enqueue(db: &impl ConnectionTrait, job: &Job, run_at: DateTime<Utc>) -> Result<i64> {
    Ok(row(job, run_at, Utc::now()).insert(db).await?.id)
}

/// Adds several jobs in one statement (the chat webhooks' batches: one insert, not one per
/// update), in the caller's transaction like [`enqueue`].
pub async fn enqueue_many(
    db: &impl ConnectionTrait,
    jobs: &[Job],
    run_at: DateTime<Utc>,
) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let created_at = Utc::now();
    job::Entity::insert_many(jobs.iter().map(|job| row(job, run_at, created_at)))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// A new job's row: its kind's name and retry policy, never attempted.
fn row(job: &Job, run_at: DateTime<Utc>, created_at: DateTime<Utc>) -> job::ActiveModel {
    let kind = job.kind();
    job::ActiveModel {
        kind: Set(kind.name().to_string()),
        payload: Set(job.payload().to_string()),
        run_at: Set(run_at),
        attempts: Set(0),
        max_attempts: Set(kind.retry().max_attempts),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(created_at),
        ..Default::default()
    }
}

/// Takes the oldest due job and leases it for `lease`. Several workers (on several nodes)
/// never take the same job: PostgreSQL skips rows another worker has locked, and SQLite has
/// one writer. A job whose worker died becomes due again when its lease runs out.
pub async fn claim(store: &Store, lease: Duration) -> Result<Option<QueuedJob>> {
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
    Ok(Some(j.into()))
}

pub async fn complete(store: &Store, id: i64) -> Result<()> {
    job::Entity::delete_by_id(id).exec(&store.writer).await?;
    Ok(())
}

/// Records a failure and schedules the next try after its kind's back-off. After the last
/// attempt the job stays in the table, visible, with its error: it is never silently dropped.
pub async fn fail(store: &Store, job: &QueuedJob, error: &str) -> Result<()> {
    record_failure(store, job, error, job.max_attempts).await
}

/// Records a failure that retrying cannot mend (a kind or payload this version cannot read):
/// the job keeps its error for an operator to see and is not tried again.
pub async fn fail_permanently(store: &Store, job: &QueuedJob, error: &str) -> Result<()> {
    record_failure(store, job, error, job.attempts).await
}

async fn record_failure(
    store: &Store,
    job: &QueuedJob,
    error: &str,
    max_attempts: i32,
) -> Result<()> {
    let backoff = RetryPolicy::for_kind(&job.kind).delay_after(job.attempts);
    job::Entity::update_many()
        .col_expr(job::Column::LockedUntil, Expr::value(None::<DateTime<Utc>>))
        .col_expr(job::Column::RunAt, Expr::value(Utc::now() + backoff))
        .col_expr(job::Column::MaxAttempts, Expr::value(max_attempts))
        .col_expr(
            job::Column::LastError,
            Expr::value(Some(error.chars().take(2000).collect::<String>())),
        )
        .filter(job::Column::Id.eq(job.id))
        .exec(&store.writer)
        .await?;
    Ok(())
}

/// Whether a job will still be tried (it has attempts left).
pub fn is_live(job: &QueuedJob) -> bool {
    job.attempts < job.max_attempts
}

/// Jobs that are waiting or failing (for tests and the admin view).
pub async fn pending(store: &Store) -> Result<Vec<QueuedJob>> {
    Ok(job::Entity::find()
        .order_by_asc(job::Column::Id)
        .all(&store.reader)
        .await?
        .into_iter()
        .map(QueuedJob::from)
        .collect())
}
