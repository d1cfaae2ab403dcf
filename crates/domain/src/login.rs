//! Login throttling, so a password cannot be guessed online: after too many failed logins for
//! one username from one client address, from one address for any username, or for one
//! username from everywhere together, within a window, further attempts are refused until
//! that window has passed.
//!
//! An attempt takes its place in every counter *before* the password is checked
//! (`Failures::reserve`), in one transaction, so thirty guesses sent at once are not all
//! checked: only as many as the limits allow, the rest are refused without hashing. A right
//! password gives its place back.
//!
//! The tight limit is per username *and* address, so a stranger who knows someone's username
//! cannot lock that person out from the stranger's own address. The per-username limit over
//! all addresses is only a generous ceiling against guessing spread over many addresses (an
//! IPv6 /48 holds 65,536 /64s, each with its own address count); reaching it needs more
//! addresses than one stranger has, since each address is capped well below it.
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

/// One username from one address: enough for a person who mistypes, far too few to guess
/// a password.
pub const PER_USERNAME_AND_ADDRESS: Limit = Limit {
    max_failures: 5,
    window_minutes: 15,
};

/// One username from every address together: a ceiling against guessing spread over many
/// addresses, higher than any one address may reach (`PER_ADDRESS`), so no single stranger
/// can lock its owner out.
pub const PER_USERNAME: Limit = Limit {
    max_failures: 100,
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
    /// The username as typed (trimmed and lower-cased, like `Username::parse`), from every
    /// address together.
    Username(&'a str),
    /// The username as typed, from one client address (grouped like `Address`).
    UsernameFrom(&'a str, IpAddr),
    /// The client's address; IPv6 counts per /64, the block one household or phone gets, so
    /// rotating through one's own addresses does not reset the count.
    Address(IpAddr),
}

impl<'a> Subject<'a> {
    /// The three subjects one login attempt counts against.
    pub fn of_attempt(username: &'a str, address: IpAddr) -> [Self; 3] {
        [
            Self::UsernameFrom(username, address),
            Self::Address(address),
            Self::Username(username),
        ]
    }

    pub fn limit(&self) -> Limit {
        match self {
            Self::Username(_) => PER_USERNAME,
            Self::UsernameFrom(..) => PER_USERNAME_AND_ADDRESS,
            Self::Address(_) => PER_ADDRESS,
        }
    }

    /// The counter's key (at most 100 characters, the column's size). A username is stored
    /// only as a hash: people type their password into the username field now and then, and
    /// the table must not keep it.
    pub fn key(&self) -> String {
        match self {
            Self::Username(u) => format!("u:{}", username_hash(u)),
            Self::UsernameFrom(u, ip) => format!("{}{}", pair_prefix(u), address_key(*ip)),
            Self::Address(ip) => format!("a:{}", address_key(*ip)),
        }
    }
}

/// The start of the key of every `UsernameFrom` counter of one username, whatever the
/// address: a password reset clears them all.
pub fn pair_prefix(username: &str) -> String {
    // 160 bits of the hash: plenty against collisions, and the key stays within its column
    format!("p:{}@", &username_hash(username)[..40])
}

fn username_hash(u: &str) -> String {
    let normal = u.trim().to_lowercase();
    hex::encode(Sha256::digest(normal.as_bytes()))
}

fn address_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
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

    /// Takes a place for one attempt before its password is checked: the counter with this
    /// attempt counted, or, when the limit is already reached, when attempts may start again.
    /// A window that has ended starts afresh with this attempt.
    pub fn reserve(self, limit: Limit, now: DateTime<Utc>) -> Result<Self, DateTime<Utc>> {
        match self.refused_until(limit, now) {
            Some(until) => Err(until),
            None => Ok(self.after_failure(limit, now)),
        }
    }

    /// This attempt, if it fails, is the one that reaches the limit (or one past it): when
    /// attempts may start again.
    pub fn reached(&self, limit: Limit, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.refused_until(limit, now)
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
    PER_USERNAME
        .window()
        .max(PER_ADDRESS.window())
        .max(PER_USERNAME_AND_ADDRESS.window())
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
        let limit = PER_USERNAME_AND_ADDRESS;
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
        let limit = PER_USERNAME_AND_ADDRESS;
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
        let user = Subject::UsernameFrom("admin", IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)));
        let f = fail_n(ip.limit(), 5, now);
        assert_eq!(f.refused_until(ip.limit(), now), None);
        assert!(f.refused_until(user.limit(), now).is_some());
        let f = fail_n(ip.limit(), PER_ADDRESS.max_failures, now);
        assert!(f.refused_until(ip.limit(), now).is_some());
    }

    #[test]
    fn reserving_counts_before_checking_and_refuses_past_the_limit() {
        let now = Utc::now();
        let limit = PER_USERNAME_AND_ADDRESS;
        let mut f = Failures::none(now);
        let mut reached = Vec::new();
        for _ in 0..limit.max_failures {
            f = f.reserve(limit, now).expect("within the limit");
            reached.push(f.reached(limit, now).is_some());
        }
        // only the last place taken is the one that, failing, reaches the limit
        assert_eq!(reached.iter().filter(|r| **r).count(), 1);
        assert_eq!(reached.last(), Some(&true));
        assert_eq!(f.reserve(limit, now), Err(now + limit.window()));
        // after the window, a place again
        let later = now + limit.window();
        assert_eq!(f.reserve(limit, later).map(|f| f.count), Ok(1));
    }

    #[test]
    fn one_address_can_never_reach_the_ceiling_for_a_username() {
        const { assert!(PER_ADDRESS.max_failures < PER_USERNAME.max_failures) };
        const { assert!(PER_USERNAME_AND_ADDRESS.max_failures < PER_ADDRESS.max_failures) };
        assert_eq!(longest_window(), Duration::minutes(15));
    }

    #[test]
    fn keys_fit_their_column_and_pairs_share_a_prefix() {
        let far = IpAddr::V6(Ipv6Addr::new(
            0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
        ));
        let name = "x".repeat(500);
        for s in Subject::of_attempt(&name, far) {
            assert!(s.key().len() <= 100, "{}", s.key());
        }
        let a = Subject::UsernameFrom(" Admin ", IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7)));
        let b = Subject::UsernameFrom("admin", far);
        assert!(a.key().starts_with(&pair_prefix("admin")));
        assert!(b.key().starts_with(&pair_prefix("ADMIN")));
        assert_ne!(a.key(), b.key());
        assert!(!a.key().contains("admin"));
        assert!(!a.key().starts_with(&pair_prefix("admin2")));
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
