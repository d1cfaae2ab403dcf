//! The counters behind login throttling (`kotapintar_domain::login`), kept in the database so
//! that every node of a deployment counts the same failures: a guesser spreading attempts
//! over several nodes gets no more tries than one hitting a single node.

use crate::audit::{self, AuditActor, Change};
use crate::entity::login_throttle;
use crate::{Result, Store};
use chrono::{DateTime, Utc};
use kotapintar_domain::ids::UserId;
use kotapintar_domain::login::{self, Failures, Subject};
use sea_orm::sea_query::{Expr, LockType, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QuerySelect, Set, TransactionTrait,
};

fn failures_of(m: &login_throttle::Model) -> Failures {
    Failures {
        count: m.failures,
        window_start: m.window_start,
    }
}

/// A login attempt's place in every counter, taken before its password is checked.
#[derive(Debug)]
pub struct Reservation {
    keys: Vec<String>,
    /// Set when this attempt, failing, reaches a limit: attempts may start again then.
    reached: Option<DateTime<Utc>>,
}

/// Takes a place for one login attempt in the counter of every subject, or refuses it if any
/// of them is at its limit (`Err` holds when attempts may start again). One transaction with
/// the rows locked, so attempts arriving together on any node are counted one after another
/// and no more of them reach the password check than the limits allow. A refused attempt
/// takes no place anywhere: hammering a refused pair does not eat into the owner's ceiling.
pub async fn reserve(
    store: &Store,
    subjects: &[Subject<'_>],
) -> Result<std::result::Result<Reservation, DateTime<Utc>>> {
    let now = Utc::now();
    let mut keyed: Vec<(String, &Subject<'_>)> = subjects.iter().map(|s| (s.key(), s)).collect();
    // always locked in the same order, so two attempts never wait on each other crosswise
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    let tx = store.writer.begin().await?;
    for (key, _) in &keyed {
        // make sure the row exists (a racing node inserts nothing), then count under its lock
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
    }
    let mut updates = Vec::new();
    let mut refused: Option<DateTime<Utc>> = None;
    let mut reached: Option<DateTime<Utc>> = None;
    for (key, subject) in &keyed {
        let Some(row) = login_throttle::Entity::find_by_id(key.clone())
            .lock(LockType::Update)
            .one(&tx)
            .await?
        else {
            continue;
        };
        match failures_of(&row).reserve(subject.limit(), now) {
            Err(until) => refused = refused.max(Some(until)),
            Ok(after) => {
                reached = reached.max(after.reached(subject.limit(), now));
                updates.push((row, after));
            }
        }
    }
    if let Some(until) = refused {
        tx.rollback().await?;
        return Ok(Err(until));
    }
    for (row, after) in updates {
        let mut m = row.into_active_model();
        m.failures = Set(after.count);
        m.window_start = Set(after.window_start);
        m.update(&tx).await?;
    }
    tx.commit().await?;
    Ok(Ok(Reservation {
        keys: keyed.into_iter().map(|(k, _)| k).collect(),
        reached,
    }))
}

/// Who failed to log in, for the audit log: the account if the name belongs to one (staff
/// reading the log may see that), and the address. An unknown name is not recorded: it is
/// sometimes a password typed into the wrong field.
pub struct FailedLogin {
    pub account: Option<UserId>,
    pub address: Option<String>,
}

/// The attempt failed: it stays counted (its place was taken by `reserve`) and is audited.
/// Returns when attempts may start again if this failure reached a limit.
pub async fn record_failure(
    store: &Store,
    attempt: Reservation,
    who: FailedLogin,
) -> Result<Option<DateTime<Utc>>> {
    let tx = store.writer.begin().await?;
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
    if let Some(until) = attempt.reached {
        audit::append(
            &tx,
            &system,
            Change::new("login.throttled", "user", &entity_id).after(&serde_json::json!({
                "address": who.address,
                "until": until,
            })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(attempt.reached)
}

/// The password was right: the attempt gives its place back everywhere, and the username's
/// count from this address starts afresh (the person knows the password). The address's and
/// the username's overall counts keep their failures: one good account must not reset a
/// guesser's tally.
pub async fn record_success(store: &Store, attempt: Reservation, username: &str) -> Result<()> {
    let tx = store.writer.begin().await?;
    login_throttle::Entity::update_many()
        .col_expr(
            login_throttle::Column::Failures,
            Expr::col(login_throttle::Column::Failures).sub(1),
        )
        .filter(login_throttle::Column::Key.is_in(attempt.keys.clone()))
        .filter(login_throttle::Column::Failures.gt(0))
        .exec(&tx)
        .await?;
    let prefix = login::pair_prefix(username);
    login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::Key.is_in(attempt.keys))
        .filter(login_throttle::Column::Key.starts_with(&prefix))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Lifts every throttle on a username, from every address (a password reset: the owner may
/// log in with the new password at once). The addresses keep their counts.
pub async fn clear_username(db: &impl ConnectionTrait, username: &str) -> Result<()> {
    login_throttle::Entity::delete_many()
        .filter(
            Condition::any()
                .add(login_throttle::Column::Key.eq(Subject::Username(username).key()))
                .add(login_throttle::Column::Key.starts_with(login::pair_prefix(username))),
        )
        .exec(db)
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
