//! Lock-out after repeated failed logins, so a password cannot be guessed online.

use chrono::{DateTime, Duration, Utc};

pub const MAX_FAILED_LOGINS: i32 = 5;
pub const LOCKOUT_MINUTES: i64 = 15;

/// The state of an account's login attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginAttempts {
    pub failed: i32,
    pub locked_until: Option<DateTime<Utc>>,
}

impl LoginAttempts {
    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }

    /// After a wrong password: count it, and lock the account at the limit. The count restarts
    /// once a lock has run out, so an expired lock does not leave a hair trigger.
    pub fn after_failure(self, now: DateTime<Utc>) -> Self {
        let previous = if self.locked_until.is_some_and(|t| t <= now) {
            0
        } else {
            self.failed
        };
        let failed = previous + 1;
        if failed >= MAX_FAILED_LOGINS {
            Self {
                failed,
                locked_until: Some(now + Duration::minutes(LOCKOUT_MINUTES)),
            }
        } else {
            Self {
                failed,
                locked_until: None,
            }
        }
    }

    pub fn after_success() -> Self {
        Self {
            failed: 0,
            locked_until: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_at_the_fifth_failure_and_unlocks_later() {
        let now = Utc::now();
        let mut a = LoginAttempts {
            failed: 0,
            locked_until: None,
        };
        for _ in 0..4 {
            a = a.after_failure(now);
            assert!(!a.is_locked(now));
        }
        a = a.after_failure(now);
        assert!(a.is_locked(now));
        assert!(a.is_locked(now + Duration::minutes(14)));
        let later = now + Duration::minutes(16);
        assert!(!a.is_locked(later));
        let again = a.after_failure(later);
        assert_eq!(again.failed, 1);
        assert!(!again.is_locked(later));
    }
}
