//! The kinds of background job and how each is retried: one definition, read both where a
//! job is queued (its number of attempts) and where a failed attempt is rescheduled (its
//! back-off), so the two cannot drift apart again.
//!
//! A notification must survive a provider that is down for a whole weekend (Friday 17:00 to
//! Monday 09:00 is 64 hours): its back-off doubles from 30 s to a cap of one hour, and it has
//! enough attempts to keep trying for at least 72 hours. The housekeeping jobs run again on
//! their own schedule, so a few quick retries are enough for them.

use chrono::Duration;
use serde::{Deserialize, Serialize};

/// The kinds of job. Each kind's stored name and its retry policy are written here and
/// nowhere else: queueing, scheduling, retrying and running all go through this enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobKind {
    /// One plain-text email ([`Email`]).
    SendEmail,
    /// One WhatsApp/SMS message through the gateway ([`Message`]).
    SendMessage,
    /// Removes expired sessions and stale login throttle counters (hourly).
    PurgeSessions,
    /// Escalates, closes, erases (every ten minutes).
    SweepRequests,
    /// Derives the performance counters again (once, after an upgrade).
    RebuildPerformance,
    /// The weekly summary to the leadership (Mondays).
    WeeklySummary,
    /// One update a chat provider delivered, taken into its sender's conversation
    /// ([`ChannelUpdate`]).
    ChannelUpdate,
    /// One message to a resident's chat ([`ChatMessage`]).
    SendChat,
    /// Trains the routing suggestions' model on the dispatched history ([`TrainRouting`];
    /// nightly, and when a Kominfo admin asks).
    TrainRouting,
    /// Tells the confirmed subscribers of a new public request's area ([`AreaAlert`]).
    AreaAlert,
}

impl JobKind {
    pub const ALL: [Self; 10] = [
        Self::SendEmail,
        Self::SendMessage,
        Self::PurgeSessions,
        Self::SweepRequests,
        Self::RebuildPerformance,
        Self::WeeklySummary,
        Self::ChannelUpdate,
        Self::SendChat,
        Self::TrainRouting,
        Self::AreaAlert,
    ];

    /// The name stored in the job table. Rows already queued carry these names, so they never
    /// change.
    pub const fn name(self) -> &'static str {
        match self {
            Self::SendEmail => "notify.email",
            Self::SendMessage => "notify.message",
            Self::PurgeSessions => "sessions.purge",
            Self::SweepRequests => "requests.sweep",
            Self::RebuildPerformance => "performance.rebuild",
            Self::WeeklySummary => "performance.weekly_summary",
            Self::ChannelUpdate => "channel.update",
            Self::SendChat => "channel.send",
            Self::TrainRouting => "routing.train",
            Self::AreaAlert => "alerts.area",
        }
    }

    /// The kind a stored name names, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// How this kind is retried.
    pub const fn retry(self) -> RetryPolicy {
        match self {
            // a resident's message waits out a provider (or database) outage like a notice
            Self::SendEmail
            | Self::SendMessage
            | Self::ChannelUpdate
            | Self::SendChat
            | Self::AreaAlert => RetryPolicy::NOTIFICATION,
            Self::PurgeSessions
            | Self::SweepRequests
            | Self::RebuildPerformance
            | Self::WeeklySummary
            | Self::TrainRouting => RetryPolicy::HOUSEKEEPING,
        }
    }
}

impl std::fmt::Display for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The stored names, for comparing with stored rows (tests, the admin view, migrations).
pub const SEND_EMAIL: &str = JobKind::SendEmail.name();
pub const SEND_MESSAGE: &str = JobKind::SendMessage.name();
pub const PURGE_SESSIONS: &str = JobKind::PurgeSessions.name();
pub const SWEEP_REQUESTS: &str = JobKind::SweepRequests.name();
pub const REBUILD_PERFORMANCE: &str = JobKind::RebuildPerformance.name();
pub const WEEKLY_SUMMARY: &str = JobKind::WeeklySummary.name();
pub const CHANNEL_UPDATE: &str = JobKind::ChannelUpdate.name();
pub const SEND_CHAT: &str = JobKind::SendChat.name();
pub const TRAIN_ROUTING: &str = JobKind::TrainRouting.name();

/// One email to one recipient (the payload of [`JobKind::SendEmail`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    /// An address (`warga@example.com`) or a mailbox (`Nama Warga <warga@example.com>`).
    pub to: String,
    pub subject: String,
    /// Plain UTF-8 text; line breaks may be `\n` or `\r\n`.
    pub body_text: String,
}

/// One WhatsApp/SMS message to one phone number (the payload of [`JobKind::SendMessage`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The number as the person typed it (`0812 3456 7890`, `+62 812-3456-7890`); the sender
    /// normalises it to E.164.
    pub to: String,
    pub body_text: String,
}

/// A stored provider update to process (the payload of [`JobKind::ChannelUpdate`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelUpdate {
    /// The row in `channel_updates`.
    pub update_id: i64,
}

/// One message to a chat (the payload of [`JobKind::SendChat`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub contact: crate::conversation::ChatContact,
    pub text: String,
    /// Buttons offered with it (a reply keyboard); empty: none, and any shown before go.
    #[serde(default)]
    pub choices: Vec<String>,
}

/// A training of the routing model (the payload of [`JobKind::TrainRouting`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainRouting {
    /// "nightly", or the username of the admin who asked.
    pub requested_by: String,
}

impl TrainRouting {
    pub fn nightly() -> Self {
        Self {
            requested_by: "nightly".into(),
        }
    }
}

/// The new public request whose area's subscribers are told (the payload of
/// [`JobKind::AreaAlert`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaAlert {
    pub request_id: i64,
}

/// A job with its payload. Stored as its kind's name and the payload as JSON (`null` for the
/// kinds that need none), the shape rows queued by earlier versions already have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    SendEmail(Email),
    SendMessage(Message),
    PurgeSessions,
    SweepRequests,
    RebuildPerformance,
    WeeklySummary,
    ChannelUpdate(ChannelUpdate),
    SendChat(ChatMessage),
    TrainRouting(TrainRouting),
    AreaAlert(AreaAlert),
}

/// A stored job that cannot be run by this version: retrying cannot help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadJob {
    #[error("no handler for job kind '{0}'")]
    UnknownKind(String),
    #[error("the payload of a '{kind}' job does not parse: {reason}")]
    Payload { kind: JobKind, reason: String },
}

impl Job {
    pub fn kind(&self) -> JobKind {
        match self {
            Self::SendEmail(_) => JobKind::SendEmail,
            Self::SendMessage(_) => JobKind::SendMessage,
            Self::PurgeSessions => JobKind::PurgeSessions,
            Self::SweepRequests => JobKind::SweepRequests,
            Self::RebuildPerformance => JobKind::RebuildPerformance,
            Self::WeeklySummary => JobKind::WeeklySummary,
            Self::ChannelUpdate(_) => JobKind::ChannelUpdate,
            Self::SendChat(_) => JobKind::SendChat,
            Self::TrainRouting(_) => JobKind::TrainRouting,
            Self::AreaAlert(_) => JobKind::AreaAlert,
        }
    }

    /// The payload as stored.
    pub fn payload(&self) -> serde_json::Value {
        // plain structs of strings: serialising them cannot fail
        match self {
            Self::SendEmail(p) => serde_json::to_value(p).unwrap_or_default(),
            Self::SendMessage(p) => serde_json::to_value(p).unwrap_or_default(),
            Self::ChannelUpdate(p) => serde_json::to_value(p).unwrap_or_default(),
            Self::SendChat(p) => serde_json::to_value(p).unwrap_or_default(),
            Self::TrainRouting(p) => serde_json::to_value(p).unwrap_or_default(),
            Self::AreaAlert(p) => serde_json::to_value(p).unwrap_or_default(),
            Self::PurgeSessions
            | Self::SweepRequests
            | Self::RebuildPerformance
            | Self::WeeklySummary => serde_json::Value::Null,
        }
    }

    /// A stored job read back: its kind's name and its payload text.
    pub fn parse(kind: &str, payload: &str) -> Result<Self, BadJob> {
        let kind = JobKind::from_name(kind).ok_or_else(|| BadJob::UnknownKind(kind.into()))?;
        let bad = |e: serde_json::Error| BadJob::Payload {
            kind,
            reason: e.to_string(),
        };
        Ok(match kind {
            JobKind::SendEmail => Self::SendEmail(serde_json::from_str(payload).map_err(bad)?),
            JobKind::SendMessage => Self::SendMessage(serde_json::from_str(payload).map_err(bad)?),
            JobKind::ChannelUpdate => {
                Self::ChannelUpdate(serde_json::from_str(payload).map_err(bad)?)
            }
            JobKind::SendChat => Self::SendChat(serde_json::from_str(payload).map_err(bad)?),
            JobKind::AreaAlert => Self::AreaAlert(serde_json::from_str(payload).map_err(bad)?),
            JobKind::TrainRouting => {
                Self::TrainRouting(serde_json::from_str(payload).map_err(bad)?)
            }
            // these carry nothing; what is stored (`null`) is not read
            JobKind::PurgeSessions => Self::PurgeSessions,
            JobKind::SweepRequests => Self::SweepRequests,
            JobKind::RebuildPerformance => Self::RebuildPerformance,
            JobKind::WeeklySummary => Self::WeeklySummary,
        })
    }
}

/// Why a job's attempt failed, and so what the queue does next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Worth trying again later (a server that is down, a database that is busy): the job is
    /// rescheduled after its kind's back-off.
    #[error("{0}")]
    Retry(String),
    /// Trying again cannot help (a payload this version cannot read): the job is kept, with
    /// its error, for an operator to see, and never tried again.
    #[error("{0}")]
    Permanent(String),
}

impl From<BadJob> for JobError {
    fn from(e: BadJob) -> Self {
        Self::Permanent(e.to_string())
    }
}

/// How often a job is tried and how long it waits between tries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included. After the last, the job is kept (failed, with its
    /// error) for an operator to see; it is never dropped silently.
    pub max_attempts: i32,
    /// The wait after the first failed try; it doubles after each further one...
    pub first_delay_secs: i64,
    /// ...up to this.
    pub max_delay_secs: i64,
}

impl RetryPolicy {
    /// Notifications: a weekend-long outage of the mail server or gateway loses nothing.
    pub const NOTIFICATION: Self = Self {
        max_attempts: 80,
        first_delay_secs: 30,
        max_delay_secs: 3600,
    };
    /// Periodic housekeeping and one-off maintenance jobs.
    pub const HOUSEKEEPING: Self = Self {
        max_attempts: 5,
        first_delay_secs: 15,
        max_delay_secs: 3600,
    };

    /// The policy of a stored kind name (unknown kinds get the housekeeping one).
    pub fn for_kind(kind: &str) -> Self {
        JobKind::from_name(kind).map_or(Self::HOUSEKEEPING, JobKind::retry)
    }

    /// The wait after the `attempt`-th try failed (1 for the first).
    pub fn delay_after(&self, attempt: i32) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        let secs = self
            .first_delay_secs
            .saturating_mul(1i64 << doublings)
            .min(self.max_delay_secs);
        Duration::seconds(secs)
    }

    /// From the first try to the last: how long a provider may be down before the job
    /// gives up.
    pub fn span(&self) -> Duration {
        (1..self.max_attempts)
            .map(|a| self.delay_after(a))
            .fold(Duration::zero(), |t, d| t + d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_outlast_a_weekend_with_room_to_spare() {
        let p = RetryPolicy::for_kind(SEND_EMAIL);
        assert_eq!(p, RetryPolicy::for_kind(SEND_MESSAGE));
        // Friday 17:00 to Monday 09:00 is 64 h; the schedule must cover at least 72 h
        assert!(p.span() >= Duration::hours(72), "{}", p.span());
        // and the provider's return is noticed within the hour
        assert!((1..p.max_attempts).all(|a| p.delay_after(a) <= Duration::hours(1)));
    }

    #[test]
    fn back_off_doubles_then_caps() {
        let p = RetryPolicy::NOTIFICATION;
        assert_eq!(p.delay_after(1), Duration::seconds(30));
        assert_eq!(p.delay_after(2), Duration::seconds(60));
        assert_eq!(p.delay_after(7), Duration::seconds(1920));
        assert_eq!(p.delay_after(8), Duration::hours(1));
        assert_eq!(p.delay_after(1000), Duration::hours(1));
        assert_eq!(p.delay_after(0), Duration::seconds(30));
    }

    #[test]
    fn housekeeping_retries_briefly() {
        let p = RetryPolicy::for_kind(SWEEP_REQUESTS);
        assert_eq!(p, RetryPolicy::HOUSEKEEPING);
        assert!(p.span() < Duration::hours(1));
        assert_eq!(
            RetryPolicy::for_kind("no.such.kind"),
            RetryPolicy::HOUSEKEEPING
        );
    }

    #[test]
    fn every_kind_round_trips_through_its_stored_form() {
        let jobs = [
            Job::SendEmail(Email {
                to: "warga@example.com".into(),
                subject: "Laporan".into(),
                body_text: "Isi".into(),
            }),
            Job::SendMessage(Message {
                to: "0812".into(),
                body_text: "Isi".into(),
            }),
            Job::PurgeSessions,
            Job::SweepRequests,
            Job::RebuildPerformance,
            Job::WeeklySummary,
            Job::ChannelUpdate(ChannelUpdate { update_id: 7 }),
            Job::SendChat(ChatMessage {
                contact: crate::conversation::ChatContact {
                    channel: crate::conversation::Channel::Telegram,
                    id: "42".into(),
                },
                text: "Halo".into(),
                choices: vec!["1 Kirim".into()],
            }),
            Job::TrainRouting(TrainRouting::nightly()),
            Job::AreaAlert(AreaAlert { request_id: 9 }),
        ];
        assert_eq!(jobs.len(), JobKind::ALL.len());
        for job in jobs {
            let stored = job.payload().to_string();
            assert_eq!(Job::parse(job.kind().name(), &stored), Ok(job.clone()));
            assert_eq!(JobKind::from_name(job.kind().name()), Some(job.kind()));
        }
    }

    #[test]
    fn payloads_keep_the_shape_of_rows_already_queued() {
        let mail = Job::parse(
            SEND_EMAIL,
            r#"{"to":"a@b.id","subject":"S","body_text":"B"}"#,
        )
        .unwrap();
        assert_eq!(
            mail.payload(),
            serde_json::json!({"to": "a@b.id", "subject": "S", "body_text": "B"})
        );
        let msg = Job::parse(SEND_MESSAGE, r#"{"to":"0812","body_text":"B"}"#).unwrap();
        assert_eq!(
            msg.payload(),
            serde_json::json!({"to": "0812", "body_text": "B"})
        );
        assert_eq!(Job::WeeklySummary.payload(), serde_json::Value::Null);
        assert_eq!(Job::parse(PURGE_SESSIONS, "null"), Ok(Job::PurgeSessions));
    }

    #[test]
    fn unreadable_jobs_are_permanent_failures() {
        assert_eq!(
            Job::parse("no.such.kind", "null"),
            Err(BadJob::UnknownKind("no.such.kind".into()))
        );
        let e = Job::parse(SEND_EMAIL, r#"{"to":"a@b.id"}"#).unwrap_err();
        assert!(
            matches!(
                e,
                BadJob::Payload {
                    kind: JobKind::SendEmail,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(matches!(JobError::from(e), JobError::Permanent(_)));
        assert!(Job::parse(SEND_MESSAGE, "not json").is_err());
    }

    #[test]
    fn names_are_distinct() {
        let mut names: Vec<_> = JobKind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), JobKind::ALL.len());
    }
}
