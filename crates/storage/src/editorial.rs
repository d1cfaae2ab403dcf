//! The storage side of the editorial workflow that content and open data share: the stored
//! status read back, the step decided by `kotapintar_domain::editorial::step` and saved with
//! its audit entry, with the same errors for both. What differs (content keeps revisions and
//! may be scheduled; a dataset needs a resource before review) stays with each caller.

use crate::audit::{self, AuditActor, Change};
use crate::entity::{content_item, dataset};
use crate::{Result, StorageError};
use chrono::{DateTime, Utc};
use kotapintar_domain::editorial::{self, EditorialStatus, EditorialStep, Transition};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait,
    IntoActiveModel,
};

/// Decides `step` for a row whose stored status is `stored` (in `column`, for the error).
/// A status that does not parse is corrupt (never taken for a draft); a step the status does
/// not allow is a conflict ("cannot publish a dataset that is published"), since someone may
/// have taken a step a moment ago. `what` names the subject: "an item", "a dataset".
fn decide(column: &str, stored: &str, step: EditorialStep, what: &str) -> Result<Transition> {
    let from = EditorialStatus::parse(stored).map_err(|_| StorageError::corrupt(column, stored))?;
    editorial::step(from, step).map_err(|_| {
        StorageError::Conflict(format!(
            "cannot {} {what} that is {}",
            step.as_str(),
            from.as_str()
        ))
    })
}

/// A row that moves through the editorial workflow.
pub(crate) trait EditorialRow: Sized + Send + IntoActiveModel<Self::Active> {
    type Active: ActiveModelTrait<Entity = Self::Entity> + ActiveModelBehavior + Send;
    type Entity: EntityTrait<Model = Self>;
    /// The status column, for a corrupt value ("datasets.status").
    const COLUMN: &'static str;
    /// The subject in audit entries ("content", "dataset") and in conflicts ("an item").
    const AUDIT: &'static str;
    const WHAT: &'static str;
    fn id(&self) -> i64;
    fn status(&self) -> &str;
    fn revision(&self) -> i32;
    /// When it was scheduled to become public, if it can be scheduled.
    fn scheduled(&self) -> Option<DateTime<Utc>>;
    fn set_step(
        am: &mut Self::Active,
        to: EditorialStatus,
        revision: i32,
        now: DateTime<Utc>,
        published_at: Option<DateTime<Utc>>,
    );
}

/// Decides `step` for `m` without taking it: for a caller with a check of its own that must
/// come after the workflow's (a dataset needs a resource before review).
pub(crate) fn check<M: EditorialRow>(m: &M, step: EditorialStep) -> Result<Transition> {
    decide(M::COLUMN, m.status(), step, M::WHAT)
}

/// Takes `step` on the locked row `m`: its status, revision and publication time change and
/// the audit log records the move. The caller announces the change and commits.
pub(crate) async fn step<M: EditorialRow>(
    tx: &impl ConnectionTrait,
    actor: &AuditActor,
    m: M,
    step: EditorialStep,
) -> Result<(Transition, M)> {
    let t = check(&m, step)?;
    let id = m.id();
    let now = Utc::now();
    let revision = m.revision() + 1;
    let published_at = t.published_at(m.scheduled(), now);
    let mut am = m.into_active_model();
    M::set_step(&mut am, t.to, revision, now, published_at);
    let m = am.update(tx).await?;
    audit::append(
        tx,
        actor,
        Change::new(&format!("{}.{}", M::AUDIT, step.as_str()), M::AUDIT, id)
            .before(&serde_json::json!({ "status": t.from.as_str() }))
            .after(&serde_json::json!({ "status": t.to.as_str(), "published_at": published_at })),
    )
    .await?;
    Ok((t, m))
}

/// The two tables have the same editorial columns; only the scheduling differs.
macro_rules! editorial_row {
    ($entity:ident, $column:literal, $audit:literal, $what:literal, |$m:ident| $scheduled:expr) => {
        impl EditorialRow for $entity::Model {
            type Active = $entity::ActiveModel;
            type Entity = $entity::Entity;
            const COLUMN: &'static str = $column;
            const AUDIT: &'static str = $audit;
            const WHAT: &'static str = $what;
            fn id(&self) -> i64 {
                self.id
            }
            fn status(&self) -> &str {
                &self.status
            }
            fn revision(&self) -> i32 {
                self.revision
            }
            fn scheduled(&self) -> Option<DateTime<Utc>> {
                let $m = self;
                $scheduled
            }
            fn set_step(
                am: &mut Self::Active,
                to: EditorialStatus,
                revision: i32,
                now: DateTime<Utc>,
                published_at: Option<DateTime<Utc>>,
            ) {
                am.status = Set(to.as_str().into());
                am.revision = Set(revision);
                am.updated_at = Set(now);
                am.published_at = Set(published_at);
            }
        }
    };
}

editorial_row!(
    content_item,
    "content_items.status",
    "content",
    "an item",
    |m| m.publish_at
);
// a dataset is never scheduled: published is public now
editorial_row!(dataset, "datasets.status", "dataset", "a dataset", |_m| {
    None
});
