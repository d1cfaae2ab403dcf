//! Login throttling, so a password cannot be guessed online: after too many failed logins for
//! one username, or from one client address, within a window, further attempts are refused
//! until that window has passed.
//!
//! Usernames are counted as typed, whether an account has that name or not, so a refusal
//! looks the same for a real account and an invented one and tells nobody which names exist.
//! The counters live in the database (`storage::login_throttle`), shared by every node; this
//! module holds only the rules.

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// How many failures a subject may have within a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max_failures: i32,
    pub window_minutes: i64,
}

impl Limit {
    pub fn window(&self) -> Duration {
        Duration::minutes(self.window_minutes)
    }
}

/// One username: enough for a person who mistypes, far too few to guess a password.
pub const PER_USERNAME: Limit = Limit {
    max_failures: 5,
    window_minutes: 15,
};

/// One client address: higher, because a whole office can sit behind one address, but it
/// stops a single machine from trying password after password across many usernames.
pub const PER_ADDRESS: Limit = Limit {
    max_failures: 30,
    window_minutes: 15,
};

/// What failures are counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    /// The username as typed (trimmed and lower-cased, like `Username::parse`).
    Username(&'a str),
    /// The client's address; IPv6 counts per /64, the block one household or phone gets, so
    /// rotating through one's own addresses does not reset the count.
    Address(IpAddr),
}

impl Subject<'_> {
    pub fn limit(&self) -> Limit {
        match self {
            Self::Username(_) => PER_USERNAME,
            Self::Address(_) => PER_ADDRESS,
        }
    }

    /// The counter's key. A username is stored only as a hash: people type their password
    /// into the username field now and then, and the table must not keep it.
    pub fn key(&self) -> String {
        match self {
            Self::Username(u) => {
                let normal = u.trim().to_lowercase();
                format!("u:{}", hex::encode(Sha256::digest(normal.as_bytes())))
            }
            Self::Address(ip) => match ip.to_canonical() {
                IpAddr::V4(v4) => format!("a:{v4}"),
                IpAddr::V6(v6) => {
                    let s = v6.segments();
                    format!("a:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
        }
    }
}

/// A subject's failures in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: i32,
    pub window_start: DateTime<Utc>,
}

impl Failures {
    /// No failures yet: what a fresh counter holds.
    pub fn none(now: DateTime<Utc>) -> Self {
        Self {
            count: 0,
            window_start: now,
        }
    }

    fn window_over(&self, limit: Limit, now: DateTime<Utc>) -> bool {
        now >= self.window_start + limit.window()
    }

    /// When attempts may start again, if they are refused now: the limit was reached and its
    /// window has not ended.
    pub fn refused_until(&self, limit: Limit, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (self.count >= limit.max_failures && !self.window_over(limit, now))
            .then(|| self.window_start + limit.window())
    }

    /// Counts one more failure. A window that has ended starts afresh with this failure, so
    /// failures spread thinly over a day never add up to a refusal.
    pub fn after_failure(self, limit: Limit, now: DateTime<Utc>) -> Self {
        if self.window_over(limit, now) {
            Self {
                count: 1,
                window_start: now,
            }
        } else {
            Self {
                count: self.count.saturating_add(1),
                window_start: self.window_start,
            }
        }
    }

    /// A counter whose window has ended holds nothing that matters and may be deleted.
    pub fn is_stale(&self, limit: Limit, now: DateTime<Utc>) -> bool {
        self.window_over(limit, now)
    }
}

/// The longest window of any limit: counters older than this can all be purged.
pub fn longest_window() -> Duration {
    PER_USERNAME.window().max(PER_ADDRESS.window())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn fail_n(limit: Limit, n: i32, now: DateTime<Utc>) -> Failures {
        (0..n).fold(Failures::none(now), |f, _| f.after_failure(limit, now))
    }

    #[test]
    fn refuses_at_the_limit_until_the_window_ends() {
        let now = Utc::now();
        let limit = PER_USERNAME;
        let f = fail_n(limit, 4, now);
        assert_eq!(f.refused_until(limit, now), None, "four is below the limit");
        let f = f.after_failure(limit, now + Duration::minutes(1));
        let until = f
            .refused_until(limit, now + Duration::minutes(1))
            .expect("the fifth failure reaches the limit");
        assert_eq!(until, now + Duration::minutes(15), "counted from the first");
        assert!(f
            .refused_until(limit, now + Duration::minutes(14))
            .is_some());
        assert_eq!(f.refused_until(limit, now + Duration::minutes(15)), None);
    }

    #[test]
    fn a_failure_after_the_window_starts_a_new_count() {
        let now = Utc::now();
        let limit = PER_USERNAME;
        let f = fail_n(limit, 5, now);
        let later = now + Duration::minutes(16);
        assert!(f.is_stale(limit, later));
        let again = f.after_failure(limit, later);
        assert_eq!(
            again,
            Failures {
                count: 1,
                window_start: later
            }
        );
        assert_eq!(again.refused_until(limit, later), None);
        // failures spread over a day, one every 20 minutes, never reach the limit
        let mut slow = Failures::none(now);
        for i in 0..72 {
            let t = now + Duration::minutes(20 * i);
            slow = slow.after_failure(limit, t);
            assert_eq!(slow.refused_until(limit, t), None);
        }
    }

    #[test]
    fn addresses_allow_more_than_usernames() {
        let now = Utc::now();
        let ip = Subject::Address(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)));
        let user = Subject::Username("admin");
        let f = fail_n(ip.limit(), 5, now);
        assert_eq!(f.refused_until(ip.limit(), now), None);
        assert!(f.refused_until(user.limit(), now).is_some());
        let f = fail_n(ip.limit(), PER_ADDRESS.max_failures, now);
        assert!(f.refused_until(ip.limit(), now).is_some());
    }

    #[test]
    fn keys_hide_usernames_and_group_ipv6_per_64() {
        let a = Subject::Username(" Admin ").key();
        assert_eq!(
            a,
            Subject::Username("admin").key(),
            "same as the login compares"
        );
        assert!(a.starts_with("u:") && !a.contains("admin"));
        assert_ne!(a, Subject::Username("admin2").key());
        let v6 = |last: u16| {
            Subject::Address(IpAddr::V6(Ipv6Addr::new(
                0x2001, 0xdb8, 0x1, 0x2, 0, 0, 0, last,
            )))
            .key()
        };
        assert_eq!(v6(1), v6(0xffff));
        assert_eq!(v6(1), "a:2001:db8:1:2::/64");
        let other = Subject::Address(IpAddr::V6(Ipv6Addr::new(
            0x2001, 0xdb8, 0x1, 0x3, 0, 0, 0, 1,
        )));
        assert_ne!(v6(1), other.key());
        // an IPv4 client seen through a dual-stack socket counts as itself
        let mapped = Subject::Address(IpAddr::V6(Ipv4Addr::new(203, 0, 113, 7).to_ipv6_mapped()));
        assert_eq!(mapped.key(), "a:203.0.113.7");
    }
}
