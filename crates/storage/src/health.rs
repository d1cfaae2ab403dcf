//! Outages: a stretch of time in which storage could not be written (disk full, read-only,
//! failing, or the database unreachable). Administrators hear of an outage once, not once per
//! refused request: one email, and no other for an hour however often a nearly full disk
//! flaps between "full" and "a little room".
//!
//! The notice is queued when writing works again, in the first transaction that can commit:
//! while the outage lasts the job queue is in the database that cannot be written, and sending
//! mail from the web process would be a second notification path beside the worker's, with
//! its own retries. During the outage `/readyz` fails with the reason (what monitoring
//! watches) and the log has one error line when it starts.

use crate::entity::{user, user_role};
use crate::{notices, Store};
use chrono::{DateTime, Utc};
use kotapintar_domain::user::Role;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, TransactionTrait};
use std::sync::Mutex;

#[derive(Debug, Clone)]
pub struct Outage {
    pub reason: String,
    pub since: DateTime<Utc>,
    /// Writes refused because of it (requests not accepted, steps not taken).
    pub refused: u64,
}

/// At most one notice per this long.
const NOTICE_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

#[derive(Debug, Default)]
pub struct Outages {
    current: Mutex<Option<Outage>>,
    /// When the last notice was queued.
    noticed: Mutex<Option<std::time::Instant>>,
}

impl Outages {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Outage>> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Storage was found unwritable (by `/readyz`): starts an outage unless one is going on.
    pub fn begin(&self, reason: &str) {
        self.note(reason, 0);
    }

    /// A write was refused because storage cannot be written: starts an outage, or counts
    /// one more refusal in the current one.
    pub fn refused(&self, reason: &str) {
        self.note(reason, 1);
    }

    fn note(&self, reason: &str, refused: u64) {
        let mut current = self.lock();
        match current.as_mut() {
            Some(o) => o.refused += refused,
            None => {
                tracing::error!(
                    reason,
                    "storage cannot be written: refusing writes (503) until it can"
                );
                *current = Some(Outage {
                    reason: reason.to_string(),
                    since: Utc::now(),
                    refused,
                });
            }
        }
    }

    /// The outage going on, if any.
    pub fn current(&self) -> Option<Outage> {
        self.lock().clone()
    }

    fn take(&self) -> Option<Outage> {
        self.lock().take()
    }
}

/// Storage was written again: ends the current outage, if any, and queues one email about it
/// to every active administrator with an address. If that cannot be queued, the outage stays
/// current and the next successful write tries again.
pub(crate) async fn ended(store: &Store) {
    let Some(outage) = store.outage.take() else {
        return;
    };
    let now = Utc::now();
    tracing::warn!(
        reason = %outage.reason,
        since = %outage.since,
        refused = outage.refused,
        "storage can be written again"
    );
    {
        let noticed = store
            .outage
            .noticed
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if noticed.is_some_and(|at| at.elapsed() < NOTICE_EVERY) {
            return;
        }
    }
    let subject = "kotapintar: penyimpanan sempat tidak dapat ditulisi / storage was unavailable";
    let body = format!(
        "Penyimpanan kotapintar tidak dapat ditulisi dari {since} sampai {now} (UTC).\n\
         Alasan: {reason}\nPermintaan yang ditolak (503): {refused}\n\n\
         kotapintar's storage could not be written from {since} to {now} (UTC).\n\
         Reason: {reason}\nWrites refused (503): {refused}\n\
         Further interruptions within the hour are not mailed: /readyz and the log have them.\n\
         Check the free space and the health of the data directory and the database.\n",
        since = outage.since.format("%Y-%m-%d %H:%M:%S"),
        now = now.format("%Y-%m-%d %H:%M:%S"),
        reason = outage.reason,
        refused = outage.refused,
    );
    let queued: crate::Result<()> = async {
        let ids: Vec<i64> = user_role::Entity::find()
            .filter(user_role::Column::Role.eq(Role::Admin.as_str()))
            .all(&store.reader)
            .await?
            .into_iter()
            .map(|r| r.user_id)
            .collect();
        let admins: Vec<String> = user::Entity::find()
            .filter(user::Column::Id.is_in(ids))
            .filter(user::Column::Active.eq(true))
            .order_by_asc(user::Column::Id)
            .all(&store.reader)
            .await?
            .into_iter()
            .filter_map(|u| u.email)
            .collect();
        let tx = store.writer.begin().await?;
        let mut seen = std::collections::BTreeSet::new();
        for email in admins.iter().filter(|e| seen.insert(e.as_str())) {
            notices::email(&tx, email, subject, &body).await?;
        }
        tx.commit().await?;
        Ok(())
    }
    .await;
    if queued.is_ok() {
        *store
            .outage
            .noticed
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(std::time::Instant::now());
    }
    if let Err(e) = queued {
        tracing::warn!(error = %e, "the outage notice could not be queued yet");
        let mut current = store.outage.lock();
        if current.is_none() {
            *current = Some(outage);
        }
    }
}
