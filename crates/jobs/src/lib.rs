//! Background work. Jobs are rows in the database (see `kotapintar_storage::jobs`), enqueued
//! in the same transaction as the change they follow from; this crate runs them. Any node
//! may run a worker: a job is leased to one worker at a time, and a job whose worker died is
//! picked up again when its lease runs out.

pub mod channels;
pub mod notify;
pub mod performance;
pub mod webhook_http;

pub use kotapintar_domain::job::{
    Job, JobError, JobKind, PURGE_SESSIONS, REBUILD_PERFORMANCE, SWEEP_REQUESTS, TRAIN_ROUTING,
    WEEKLY_SUMMARY,
};

use chrono::{Duration, Utc};
use kotapintar_domain::request::RequestRules;
use kotapintar_storage::{jobs, StorageError, Store};
use std::sync::Arc;
use tokio::sync::watch;

/// A storage error met while running a job: the database may be busy or down, so the job is
/// tried again later.
pub(crate) fn retry(e: StorageError) -> JobError {
    JobError::Retry(e.to_string())
}

/// Removes expired sessions, stale login throttle and rate-limit counters, and recorded API
/// calls older than their retention; scheduled every hour.
pub struct PurgeSessions {
    pub api_call_retention: Duration,
}

/// How long recorded API calls are kept unless the settings say otherwise.
pub const DEFAULT_API_CALL_RETENTION_DAYS: i64 = 90;

impl PurgeSessions {
    pub async fn run(&self, store: &Store) -> Result<(), JobError> {
        let n = kotapintar_storage::sessions::purge_expired(store)
            .await
            .map_err(retry)?;
        tracing::info!(removed = n, "expired sessions purged");
        let n = kotapintar_storage::login_throttle::purge(store)
            .await
            .map_err(retry)?;
        tracing::info!(removed = n, "stale login throttle counters purged");
        let n = kotapintar_storage::limits::purge(store, Utc::now())
            .await
            .map_err(retry)?;
        tracing::info!(removed = n, "stale rate-limit counters purged");
        let n = kotapintar_storage::clients::purge_calls(store, self.api_call_retention)
            .await
            .map_err(retry)?;
        tracing::info!(
            removed = n,
            "recorded API calls past their retention purged"
        );
        Ok(())
    }
}

/// How long a processed chat update keeps what the provider sent (the sender's number, the
/// text, media ids): long enough to look into a fault, not kept for ever. The request holds
/// what was filed.
const CHAT_PAYLOAD_RETENTION_DAYS: i64 = 30;

/// Escalates overdue requests, closes resolved ones nobody objected to, erases personal data
/// past retention, forgets processed chat updates' contents, and clears abandoned photo
/// drafts; scheduled every ten minutes.
pub struct SweepRequests {
    rules: RequestRules,
    uploads: std::path::PathBuf,
}

impl SweepRequests {
    pub async fn run(&self, store: &Store) -> Result<(), JobError> {
        let calendar = kotapintar_storage::holidays::calendar(store)
            .await
            .map_err(retry)?;
        let mut s = kotapintar_storage::requests::sweep(store, &self.rules, &calendar, Utc::now())
            .await
            .map_err(retry)?;
        let photos = std::mem::take(&mut s.erased_photos).remove(&self.uploads);
        let chat_payloads = kotapintar_storage::channels::forget_payloads(
            store,
            Utc::now() - chrono::Duration::days(CHAT_PAYLOAD_RETENTION_DAYS),
        )
        .await
        .map_err(retry)?;
        let drafts = kotapintar_storage::drafts::purge(
            &self.uploads,
            std::time::Duration::from_secs(86_400),
        );
        tracing::info!(
            escalated = s.escalated,
            closed = s.closed,
            erased = s.erased,
            photos,
            chat_payloads,
            drafts,
            "requests swept"
        );
        Ok(())
    }
}

/// What runs each kind of job. Shared between clones of the worker; configured once, at start.
struct Handlers {
    purge: PurgeSessions,
    sweep: SweepRequests,
    rebuild: performance::Rebuild,
    weekly: performance::WeeklySummary,
    /// `None` until `with_notifications`: notification jobs then wait in the queue (and show
    /// up as failing) rather than disappear.
    email: Option<Arc<notify::EmailSender>>,
    message: Option<Arc<notify::MessageSender>>,
    /// `None` until `with_channels`: chat jobs then wait in the queue.
    channels: Option<Arc<channels::Channels>>,
}

#[derive(Clone)]
pub struct Worker {
    store: Store,
    utc_offset: chrono::FixedOffset,
    handlers: Arc<Handlers>,
    idle_wait: std::time::Duration,
    /// Sends webhooks; `None` if it could not be built (deliveries then fail and are retried).
    http: Option<reqwest::Client>,
    allow_private_webhooks: bool,
}

fn webhook_client(allow_private: bool) -> Option<reqwest::Client> {
    match webhook_http::client(allow_private) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::error!(error = %e, "the webhook HTTP client cannot be built");
            None
        }
    }
}

/// What one turn of the worker did.
#[derive(Debug, PartialEq, Eq)]
pub enum Turn {
    Ran { kind: String, ok: bool },
    Idle,
}

impl Worker {
    pub fn new(store: Store, rules: RequestRules, uploads: std::path::PathBuf) -> Self {
        let handlers = Handlers {
            purge: PurgeSessions {
                api_call_retention: Duration::days(DEFAULT_API_CALL_RETENTION_DAYS),
            },
            rebuild: performance::Rebuild {
                rules: rules.clone(),
            },
            weekly: performance::WeeklySummary {
                rules: rules.clone(),
            },
            sweep: SweepRequests {
                rules: rules.clone(),
                uploads,
            },
            email: None,
            message: None,
            channels: None,
        };
        Self {
            store,
            utc_offset: rules.utc_offset,
            handlers: Arc::new(handlers),
            idle_wait: std::time::Duration::from_secs(1),
            http: webhook_client(false),
            allow_private_webhooks: false,
        }
    }

    /// Lets webhooks go to private, loopback and link-local addresses
    /// (`KOTAPINTAR_WEBHOOK_ALLOW_PRIVATE`); off unless called.
    pub fn allow_private_webhooks(mut self, allow: bool) -> Self {
        self.http = webhook_client(allow);
        self.allow_private_webhooks = allow;
        self
    }

    /// Keeps recorded API calls this many days (at least one) instead of the default.
    pub fn with_api_call_retention(mut self, days: u32) -> Self {
        // The handlers are shared between clones of the worker; it is configured once, at start.
        if let Some(handlers) = Arc::get_mut(&mut self.handlers) {
            handlers.purge.api_call_retention = Duration::days(i64::from(days.max(1)));
        }
        self
    }

    /// Adds the email and WhatsApp/SMS senders. Without them, notification jobs wait in the
    /// queue (and show up as failing) rather than disappear. Both are built before either is
    /// set, so an error leaves the worker as it was.
    pub fn with_notifications(
        mut self,
        smtp: &notify::SmtpConfig,
        gateway: &notify::MessageGatewayConfig,
    ) -> Result<Self, notify::NotifyConfigError> {
        let email = notify::EmailSender::new(smtp)?;
        let message = notify::MessageSender::new(gateway)?;
        if let Some(handlers) = Arc::get_mut(&mut self.handlers) {
            handlers.email = Some(Arc::new(email));
            handlers.message = Some(Arc::new(message));
        }
        Ok(self)
    }

    /// Adds the chat channels (Telegram, WhatsApp). Without them, chat jobs wait in the queue.
    pub fn with_channels(
        mut self,
        telegram: &channels::TelegramConfig,
        whatsapp: &channels::WhatsAppConfig,
    ) -> Result<Self, notify::NotifyConfigError> {
        if let Some(handlers) = Arc::get_mut(&mut self.handlers) {
            let (rules, uploads) = (handlers.sweep.rules.clone(), handlers.sweep.uploads.clone());
            let channels = channels::Channels::new(telegram, whatsapp, rules, uploads)?;
            handlers.channels = Some(Arc::new(channels));
        }
        Ok(self)
    }

    /// Adds the chat channels with the SMS gateway too (`with_channels` and the gateway's
    /// send API).
    pub fn with_chat_channels(
        mut self,
        telegram: &channels::TelegramConfig,
        whatsapp: &channels::WhatsAppConfig,
        sms: &channels::SmsConfig,
    ) -> Result<Self, notify::NotifyConfigError> {
        if let Some(handlers) = Arc::get_mut(&mut self.handlers) {
            let (rules, uploads) = (handlers.sweep.rules.clone(), handlers.sweep.uploads.clone());
            let channels =
                channels::Channels::new(telegram, whatsapp, rules, uploads)?.with_sms(sms)?;
            handlers.channels = Some(Arc::new(channels));
        }
        Ok(self)
    }

    /// Runs one job. The match is exhaustive: a new kind does not compile until it has a
    /// handler.
    async fn run_job(&self, job: &Job) -> Result<(), JobError> {
        let h = &*self.handlers;
        let store = &self.store;
        let unconfigured =
            |kind: JobKind| JobError::Retry(format!("no handler for job kind '{kind}' configured"));
        match job {
            Job::SendEmail(mail) => match &h.email {
                Some(sender) => sender.send(mail).await,
                None => Err(unconfigured(job.kind())),
            },
            Job::SendMessage(message) => match &h.message {
                Some(sender) => sender.send(message).await,
                None => Err(unconfigured(job.kind())),
            },
            Job::PurgeSessions => h.purge.run(store).await,
            Job::SweepRequests => h.sweep.run(store).await,
            Job::RebuildPerformance => h.rebuild.run(store).await,
            Job::WeeklySummary => h.weekly.run(store).await,
            Job::ChannelUpdate(u) => match &h.channels {
                Some(c) => c.process(store, u.update_id).await,
                None => Err(unconfigured(job.kind())),
            },
            Job::SendChat(m) => match &h.channels {
                Some(c) => c.send(m).await,
                None => Err(unconfigured(job.kind())),
            },
            Job::AreaAlert(a) => {
                let rules = &h.sweep.rules;
                let n = kotapintar_storage::alerts::fan_out(store, rules, a.request_id)
                    .await
                    .map_err(retry)?;
                tracing::info!(request = a.request_id, sent = n, "area alerts queued");
                Ok(())
            }
            Job::TrainRouting(p) => {
                let m = kotapintar_storage::routing::train(store, &p.requested_by)
                    .await
                    .map_err(retry)?;
                tracing::info!(
                    model = m.id,
                    examples = m.examples,
                    units = m.units,
                    took_ms = m.took_ms,
                    "routing model trained"
                );
                Ok(())
            }
        }
    }

    /// Claims and runs one due job, if there is one. A row this version cannot read (an
    /// unknown kind, a payload that does not parse) fails permanently: it stays, with its
    /// error, for an operator to see.
    pub async fn turn(&self) -> Result<Turn, StorageError> {
        let Some(queued) = jobs::claim(&self.store, Duration::minutes(5)).await? else {
            return Ok(Turn::Idle);
        };
        let outcome = match queued.job() {
            Ok(job) => self.run_job(&job).await,
            Err(bad) => Err(JobError::from(bad)),
        };
        // a job may change what public pages show: this node's caches see it at once
        let _ = self.store.head.refresh(&self.store.reader).await;
        self.store.head.touch();
        match &outcome {
            Ok(()) => jobs::complete(&self.store, queued.id).await?,
            Err(JobError::Retry(e)) => {
                tracing::warn!(job = queued.id, kind = %queued.kind, attempt = queued.attempts, error = %e, "job failed; it will be tried again");
                jobs::fail(&self.store, &queued, e).await?;
            }
            Err(JobError::Permanent(e)) => {
                tracing::error!(job = queued.id, kind = %queued.kind, error = %e, "job failed for good; it is kept for an operator");
                jobs::fail_permanently(&self.store, &queued, e).await?;
            }
        }
        Ok(Turn::Ran {
            kind: queued.kind,
            ok: outcome.is_ok(),
        })
    }

    /// Turns new events into webhook deliveries and sends those that are due, signed as the
    /// Standard Webhooks specification says. Returns how many were attempted.
    pub async fn deliver_webhooks(&self) -> Result<usize, StorageError> {
        use kotapintar_storage::webhooks;
        webhooks::fan_out(&self.store).await?;
        let due = webhooks::claim_due(&self.store, 50).await?;
        let n = due.len();
        let allow_private = self.allow_private_webhooks;
        let sends = due.into_iter().map(|d| {
            let http = self.http.clone();
            async move {
                let ts = Utc::now().timestamp();
                let signed = kotapintar_domain::webhook::sign(&d.secret, &d.msg_id, ts, &d.body);
                let outcome = match (signed, http) {
                    (None, _) => Err("the subscription's secret is damaged".to_string()),
                    (_, None) => Err("no HTTP client for webhooks".to_string()),
                    (Some(sig), Some(http)) => {
                        match webhook_http::check_literal(&d.url, allow_private) {
                            Err(refused) => Err(refused),
                            Ok(()) => http
                                .post(&d.url)
                                .header("content-type", "application/json")
                                .header("webhook-id", &d.msg_id)
                                .header("webhook-timestamp", ts.to_string())
                                .header("webhook-signature", sig)
                                .body(d.body.clone())
                                .send()
                                .await
                                .map(|r| r.status().as_u16())
                                .map_err(|e| webhook_http::describe(&e.without_url())),
                        }
                    }
                };
                (d.delivery_id, outcome)
            }
        });
        for (id, outcome) in futures::future::join_all(sends).await {
            webhooks::record_attempt(&self.store, id, outcome).await?;
        }
        Ok(n)
    }

    /// Runs every job that is due now; for tests and the CLI.
    pub async fn drain(&self) -> Result<Vec<Turn>, StorageError> {
        let mut turns = Vec::new();
        loop {
            match self.turn().await? {
                Turn::Idle => return Ok(turns),
                t => turns.push(t),
            }
        }
    }

    /// Makes sure the periodic jobs are queued (once, even with several nodes starting).
    pub async fn schedule_periodic(&self) -> Result<(), StorageError> {
        // Without the lock, two nodes starting together both find nothing queued and both
        // queue every periodic job.
        let lock = self
            .store
            .lock_across_nodes(kotapintar_storage::NodeLockKey::PeriodicJobs)
            .await?;
        // A job that used up its attempts stays in the table for an operator to see; it must
        // not keep its kind from being queued again.
        let pending: Vec<_> = jobs::pending(&self.store)
            .await?
            .into_iter()
            .filter(jobs::is_live)
            .collect();
        let now = Utc::now();
        for (job, at) in [
            (Job::PurgeSessions, now + Duration::hours(1)),
            (Job::SweepRequests, now + Duration::minutes(10)),
            (
                Job::WeeklySummary,
                performance::next_monday_morning(now, self.utc_offset),
            ),
            (
                Job::TrainRouting(kotapintar_domain::job::TrainRouting::nightly()),
                performance::next_night(now, self.utc_offset),
            ),
        ] {
            let name = job.kind().name();
            if !pending.iter().any(|j| j.kind == name) {
                jobs::enqueue(&self.store.writer, &job, at).await?;
            }
        }
        lock.release().await?;
        Ok(())
    }

    /// Works until `shutdown` turns true, finishing the job in hand first.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut last_schedule = Utc::now() - Duration::hours(2);
        loop {
            if *shutdown.borrow() {
                return;
            }
            if Utc::now() - last_schedule > Duration::minutes(10) {
                if let Err(e) = self.schedule_periodic().await {
                    tracing::warn!(error = %e, "could not schedule periodic jobs");
                }
                last_schedule = Utc::now();
            }
            let wait = match self.turn().await {
                Ok(Turn::Ran { .. }) => None,
                Ok(Turn::Idle) => match self.deliver_webhooks().await {
                    Ok(n) if n > 0 => None,
                    Ok(_) => Some(self.idle_wait),
                    Err(e) => {
                        tracing::warn!(error = %e, "webhook delivery failed");
                        Some(self.idle_wait)
                    }
                },
                Err(e) => {
                    tracing::warn!(error = %e, "job queue unavailable");
                    Some(self.idle_wait * 5)
                }
            };
            if let Some(w) = wait {
                tokio::select! {
                    _ = tokio::time::sleep(w) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
}
