//! The kinds of background job and how each is retried: one definition, read both where a
//! job is queued (its number of attempts) and where a failed attempt is rescheduled (its
//! back-off), so the two cannot drift apart again.
//!
//! A notification must survive a provider that is down for a whole weekend (Friday 17:00 to
//! Monday 09:00 is 64 hours): its back-off doubles from 30 s to a cap of one hour, and it has
//! enough attempts to keep trying for at least 72 hours. The housekeeping jobs run again on
//! their own schedule, so a few quick retries are enough for them.

use chrono::Duration;

/// One plain-text email (payload: `to`, `subject`, `body_text`).
pub const SEND_EMAIL: &str = "notify.email";
/// One WhatsApp/SMS message through the gateway (payload: `to`, `body_text`).
pub const SEND_MESSAGE: &str = "notify.message";
/// Removes expired sessions and stale login throttle counters (hourly).
pub const PURGE_SESSIONS: &str = "sessions.purge";
/// Escalates, closes, erases (every ten minutes).
pub const SWEEP_REQUESTS: &str = "requests.sweep";
/// Derives the performance counters again (once, after an upgrade).
pub const REBUILD_PERFORMANCE: &str = "performance.rebuild";
/// The weekly summary to the leadership (Mondays).
pub const WEEKLY_SUMMARY: &str = "performance.weekly_summary";

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

    /// The policy of a job kind (unknown kinds get the housekeeping one).
    pub fn for_kind(kind: &str) -> Self {
        match kind {
            SEND_EMAIL | SEND_MESSAGE => Self::NOTIFICATION,
            _ => Self::HOUSEKEEPING,
        }
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
}
