//! The counters behind login throttling (`kotapintar_domain::login`), kept in the database so
//! that every node of a deployment counts the same failures: a guesser spreading attempts
//! over several nodes gets no more tries than one hitting a single node.

use crate::audit::{self, AuditActor, Change};
use crate::entity::login_throttle;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use kotapintar_domain::ids::UserId;
use kotapintar_domain::login::{self, Failures, Subject};
use sea_orm::sea_query::{LockType, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect, Set,
    TransactionTrait,
};

fn failures_of(m: &login_throttle::Model) -> Failures {
    Failures {
        count: m.failures,
        window_start: m.window_start,
    }
}

/// When login attempts for these subjects may start again, if any of them is refused now.
pub async fn refused_until(
    store: &Store,
    subjects: &[Subject<'_>],
) -> Result<Option<DateTime<Utc>>> {
    let now = Utc::now();
    let keys: Vec<String> = subjects.iter().map(Subject::key).collect();
    let rows = login_throttle::Entity::find()
        .filter(login_throttle::Column::Key.is_in(keys.clone()))
        .all(&store.reader)
        .await?;
    Ok(subjects
        .iter()
        .zip(&keys)
        .filter_map(|(s, k)| {
            let row = rows.iter().find(|r| &r.key == k)?;
            failures_of(row).refused_until(s.limit(), now)
        })
        .max())
}

/// Who failed to log in, for the audit log: the account if the name belongs to one (staff
/// reading the log may see that), and the address. An unknown name is not recorded: it is
/// sometimes a password typed into the wrong field.
pub struct FailedLogin {
    pub account: Option<UserId>,
    pub address: Option<String>,
}

/// Counts one failed login against every subject, in one transaction with its audit entry.
/// Returns when attempts may start again if this failure reached a limit.
pub async fn record_failure(
    store: &Store,
    subjects: &[Subject<'_>],
    who: FailedLogin,
) -> Result<Option<DateTime<Utc>>> {
    let now = Utc::now();
    let tx = store.writer.begin().await?;
    let mut refused: Option<DateTime<Utc>> = None;
    let mut newly_refused = false;
    for s in subjects {
        let key = s.key();
        // make sure the row exists (a racing node inserts nothing), then count under its lock,
        // so concurrent failures on several nodes are all counted
        login_throttle::Entity::insert(login_throttle::ActiveModel {
            key: Set(key.clone()),
            failures: Set(0),
            window_start: Set(now),
        })
        .on_conflict(
            OnConflict::column(login_throttle::Column::Key)
                .do_nothing()
                .to_owned(),
        )
        .do_nothing()
        .exec(&tx)
        .await?;
        let Some(row) = login_throttle::Entity::find_by_id(key)
            .lock(LockType::Update)
            .one(&tx)
            .await?
        else {
            continue;
        };
        let before = failures_of(&row);
        let after = before.after_failure(s.limit(), now);
        let mut m = row.into_active_model();
        m.failures = Set(after.count);
        m.window_start = Set(after.window_start);
        m.update(&tx).await?;
        if let Some(until) = after.refused_until(s.limit(), now) {
            newly_refused |= before.refused_until(s.limit(), now).is_none();
            refused = refused.max(Some(until));
        }
    }
    let system = AuditActor::System("login".into());
    let entity_id = who
        .account
        .map(|id| id.0.to_string())
        .unwrap_or_else(|| "-".into());
    let details = serde_json::json!({ "address": who.address });
    audit::append(
        &tx,
        &system,
        Change::new("login.failed", "user", &entity_id).after(&details),
    )
    .await?;
    if newly_refused {
        audit::append(
            &tx,
            &system,
            Change::new("login.throttled", "user", &entity_id).after(&serde_json::json!({
                "address": who.address,
                "until": refused,
            })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(refused)
}

/// After a successful login: the person knows the password, so their username starts
/// afresh. The address keeps its count: one good account must not reset a guesser's tally.
pub async fn clear_username(store: &Store, username: &str) -> Result<()> {
    login_throttle::Entity::delete_by_id(Subject::Username(username).key())
        .exec(&store.writer)
        .await?;
    Ok(())
}

/// Deletes counters whose window has ended; scheduled with the session purge.
pub async fn purge(store: &Store) -> Result<u64> {
    let cutoff = Utc::now() - login::longest_window();
    Ok(login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::WindowStart.lte(cutoff))
        .exec(&store.writer)
        .await?
        .rows_affected)
}
