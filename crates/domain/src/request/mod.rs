//! A resident's request (laporan) and its life: the workflow of SP4N-LAPOR!, as a state
//! machine that says which step is allowed from which status, and by whom.
//!
//! ```text
//! diterima ──verify──> diverifikasi ──dispatch──> didisposisikan ──> ditindaklanjuti ──> selesai ──> ditutup
//!     └─> ditolak (reason)        reopen by the reporter returns a selesai request to its units
//!     └─> dialihkan (bukan wewenang: referred to a registered outside agency, with a reason)
//! didisposisikan / ditindaklanjuti ──defer──> ditunda (until a date) ──resume──> back again
//! ```

use serde::{Deserialize, Serialize};

pub mod duplicates;
pub mod merge;
pub mod thread;
pub mod workflow;

pub use workflow::{decide, ReporterAction, RuleAction, StaffAction, SweepAction};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestKind {
    /// A complaint about a public service or a problem in the regency.
    Pengaduan,
    /// A suggestion.
    Aspirasi,
    /// A request for public information (UU 14/2008).
    PermintaanInformasi,
    /// An application for a service (a permit, a document).
    Permohonan,
}

impl RequestKind {
    pub const ALL: [RequestKind; 4] = [
        Self::Pengaduan,
        Self::Aspirasi,
        Self::PermintaanInformasi,
        Self::Permohonan,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pengaduan => "pengaduan",
            Self::Aspirasi => "aspirasi",
            Self::PermintaanInformasi => "permintaan_informasi",
            Self::Permohonan => "permohonan",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or("invalid_choice")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Diterima,
    Diverifikasi,
    Ditolak,
    Didisposisikan,
    Ditindaklanjuti,
    Selesai,
    Ditutup,
    /// Resolved by the unit, waiting for the central desk to validate the follow-up before the
    /// reporter is asked to confirm (services that require it).
    MenungguValidasi,
    /// Not the regency's authority (bukan wewenang): referred to a registered outside agency,
    /// with a public reason. Final for the regency; counted apart from resolved requests.
    Dialihkan,
    /// Deferred by the handling unit until a date, with a public reason; the stage's clock is
    /// suspended and the sweep resumes it on the date.
    Ditunda,
}

impl Status {
    pub const ALL: [Status; 10] = [
        Self::Diterima,
        Self::Diverifikasi,
        Self::Ditolak,
        Self::Didisposisikan,
        Self::Ditindaklanjuti,
        Self::Selesai,
        Self::Ditutup,
        Self::MenungguValidasi,
        Self::Dialihkan,
        Self::Ditunda,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Diterima => "diterima",
            Self::Diverifikasi => "diverifikasi",
            Self::Ditolak => "ditolak",
            Self::Didisposisikan => "didisposisikan",
            Self::Ditindaklanjuti => "ditindaklanjuti",
            Self::Selesai => "selesai",
            Self::Ditutup => "ditutup",
            Self::MenungguValidasi => "menunggu_validasi",
            Self::Dialihkan => "dialihkan",
            Self::Ditunda => "ditunda",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or("invalid_choice")
    }

    /// Still waiting for the government to act (counts towards "open" and can be overdue).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Self::Diterima
                | Self::Diverifikasi
                | Self::Didisposisikan
                | Self::Ditindaklanjuti
                | Self::MenungguValidasi
                | Self::Ditunda
        )
    }

    /// Open and running against a deadline: a deferred request is still open, but its clock
    /// is suspended until the date it was deferred to, so it is never late nor escalated.
    pub fn can_be_late(self) -> bool {
        self.is_open() && self != Self::Ditunda
    }

    /// Which stage's time limit applies while in this status.
    pub fn stage(self) -> Option<Stage> {
        match self {
            Self::Diterima | Self::Diverifikasi => Some(Stage::Verify),
            Self::Didisposisikan => Some(Stage::FollowUp),
            Self::Ditindaklanjuti => Some(Stage::Resolve),
            Self::Selesai => Some(Stage::Objection),
            Self::Ditolak | Self::Ditutup | Self::Dialihkan => None,
            Self::MenungguValidasi => Some(Stage::Validate),
            // its own deadline is the date it was deferred to, not a stage's limit
            Self::Ditunda => None,
        }
    }
}

/// The time-limited stages, each with its limit in working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The central desk verifies and dispatches (SP4N-LAPOR!: 3 working days).
    Verify,
    /// The unit starts following up (SP4N-LAPOR!: 5 working days).
    FollowUp,
    /// The unit resolves, within the service's own time limit.
    Resolve,
    /// The reporter may object (reopen) before the request closes by itself.
    Objection,
    /// The central desk validates a unit's follow-up (services that require it).
    Validate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// Not within the regency's authority (bukan wewenang).
    OutsideAuthority,
    Incomplete,
    Duplicate,
    Spam,
}

impl RejectReason {
    pub const ALL: [RejectReason; 4] = [
        Self::OutsideAuthority,
        Self::Incomplete,
        Self::Duplicate,
        Self::Spam,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::OutsideAuthority => "outside_authority",
            Self::Incomplete => "incomplete",
            Self::Duplicate => "duplicate",
            Self::Spam => "spam",
        }
    }

    pub fn parse(s: &str) -> Result<Self, &'static str> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or("invalid_choice")
    }
}

/// A step in a request's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Verify,
    Reject,
    Dispatch,
    Forward,
    StartWork,
    Resolve,
    /// The reporter accepts the resolution.
    Confirm,
    /// The reporter objects within the window; the request returns to its units.
    Reopen,
    /// Nobody objected within the window.
    AutoClose,
    Comment,
    /// The desk accepts a unit's follow-up: the reporter is asked to confirm.
    Validate,
    /// The desk returns a unit's follow-up with a reason (tindak lanjut ditolak).
    ReturnFollowUp,
    /// Bukan wewenang: referred to an outside agency.
    Refer,
    /// Deferred until a date.
    Defer,
    /// A deferred request goes back to the status it had (staff early, or the sweep on the
    /// date).
    Resume,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verify => "verify",
            Self::Reject => "reject",
            Self::Dispatch => "dispatch",
            Self::Forward => "forward",
            Self::StartWork => "start_work",
            Self::Resolve => "resolve",
            Self::Confirm => "confirm",
            Self::Reopen => "reopen",
            Self::AutoClose => "auto_close",
            Self::Comment => "comment",
            Self::Validate => "validate",
            Self::ReturnFollowUp => "return_follow_up",
            Self::Refer => "refer",
            Self::Defer => "defer",
            Self::Resume => "resume",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("'{step}' is not possible while the request is '{status}'")]
pub struct TransitionError {
    pub step: &'static str,
    pub status: &'static str,
}

/// The status after `step`, or why the step is not possible now.
pub fn next_status(current: Status, step: Step) -> Result<Status, TransitionError> {
    use Status::*;
    let next = match (current, step) {
        (Diterima, Step::Verify) => Diverifikasi,
        (Diterima | Diverifikasi, Step::Reject) => Ditolak,
        // The desk may verify and dispatch in one go.
        (Diterima | Diverifikasi, Step::Dispatch) => Didisposisikan,
        (Didisposisikan | Ditindaklanjuti, Step::Forward) => Didisposisikan,
        (Didisposisikan, Step::StartWork) => Ditindaklanjuti,
        (Didisposisikan | Ditindaklanjuti, Step::Resolve) => Selesai,
        (Selesai, Step::Confirm | Step::AutoClose) => Ditutup,
        (Selesai, Step::Reopen) => Ditindaklanjuti,
        (s, Step::Comment) if s != Ditutup => s,
        (MenungguValidasi, Step::Validate) => Selesai,
        (MenungguValidasi, Step::ReturnFollowUp) => Ditindaklanjuti,
        // the desk before dispatch; the unit (or the desk) before work starts
        (Diterima | Diverifikasi | Didisposisikan, Step::Refer) => Dialihkan,
        (Didisposisikan | Ditindaklanjuti, Step::Defer) => Ditunda,
        // back to the status it had; `decide` reads which from the request (this is the usual)
        (Ditunda, Step::Resume) => Ditindaklanjuti,
        _ => {
            return Err(TransitionError {
                step: step.as_str(),
                status: current.as_str(),
            })
        }
    };
    Ok(next)
}

/// The deployment's rules for requests: time limits per stage (in working days), the
/// objection window, retention of personal data, and where the regency is.
#[derive(Debug, Clone)]
pub struct RequestRules {
    pub verify_days: u32,
    pub follow_up_days: u32,
    /// Used when a request has no service, or its service sets no limit.
    pub default_resolve_days: u32,
    /// Working days after resolution during which the reporter may reopen; then it closes.
    pub objection_days: u32,
    /// Working days past a deadline before an overdue request goes up to the central desk.
    pub escalate_to_desk_after_days: u32,
    /// Days after closing after which the reporter's personal data is erased.
    pub retention_days: u32,
    /// Working days for the central desk to validate a unit's follow-up.
    pub validate_days: u32,
    pub utc_offset: chrono::FixedOffset,
    pub tracking_prefix: String,
    /// The public address, for links in notifications.
    pub public_url: String,
    pub bounds: Option<crate::intake::BoundingBox>,
    /// The regency or city; districts and villages of a request must lie within it.
    pub regency: crate::region::RegionCode,
    /// Hours after which a request no unit has taken (started work on) goes up to the
    /// leadership page.
    pub untaken_hours: u32,
}

impl RequestRules {
    /// SP4N-LAPOR!'s limits: 3 working days to verify, 5 to follow up, 10 to object.
    pub fn lapor_defaults() -> Self {
        Self {
            verify_days: 3,
            follow_up_days: 5,
            default_resolve_days: 14,
            objection_days: 10,
            escalate_to_desk_after_days: 2,
            retention_days: 730,
            validate_days: 3,
            utc_offset: chrono::FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| unreachable!()),
            tracking_prefix: "BDG".into(),
            public_url: "http://127.0.0.1:8080".into(),
            bounds: Some(crate::intake::BoundingBox::BADUNG),
            regency: crate::region::RegionCode::parse("51.03").unwrap_or_else(|_| unreachable!()),
            untaken_hours: 24,
        }
    }
}

/// A short code a resident can read over the phone, e.g. `BDG-26-7K3Q9`: the deployment's
/// prefix, the year, and five characters from an alphabet without look-alikes (no 0/O, 1/I/L,
/// U). 28^5 ≈ 17 million codes a year; collisions are retried by the caller.
pub const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";

pub fn tracking_code(prefix: &str, year: i32, random: [u8; 5]) -> String {
    let tail: String = random
        .iter()
        .map(|b| CODE_ALPHABET[*b as usize % CODE_ALPHABET.len()] as char)
        .collect();
    format!("{}-{:02}-{}", prefix, year.rem_euclid(100), tail)
}

/// Reads a code as people type it: any case, with spaces or dashes anywhere.
pub fn normalise_tracking_code(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    // PREFIX (2-5 letters) + 2 digits + 5 code characters
    if cleaned.len() < 9 || cleaned.len() > 12 {
        return None;
    }
    let (head, tail) = cleaned.split_at(cleaned.len() - 5);
    let (prefix, year) = head.split_at(head.len() - 2);
    if !prefix.chars().all(|c| c.is_ascii_alphabetic()) || !year.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    if !tail.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
        return None;
    }
    Some(format!("{prefix}-{year}-{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path() {
        let mut s = Status::Diterima;
        for step in [
            Step::Verify,
            Step::Dispatch,
            Step::StartWork,
            Step::Resolve,
            Step::Confirm,
        ] {
            s = next_status(s, step).unwrap();
        }
        assert_eq!(s, Status::Ditutup);
    }

    #[test]
    fn reopen_returns_to_the_unit_and_close_is_final() {
        assert_eq!(
            next_status(Status::Selesai, Step::Reopen),
            Ok(Status::Ditindaklanjuti)
        );
        assert_eq!(
            next_status(Status::Selesai, Step::AutoClose),
            Ok(Status::Ditutup)
        );
        for step in [Step::Reopen, Step::Comment, Step::Resolve, Step::Verify] {
            assert!(next_status(Status::Ditutup, step).is_err(), "{step:?}");
        }
    }

    #[test]
    fn rejected_requests_go_nowhere() {
        assert_eq!(
            next_status(Status::Diterima, Step::Reject),
            Ok(Status::Ditolak)
        );
        for step in [Step::Verify, Step::Dispatch, Step::Resolve, Step::Reopen] {
            assert!(next_status(Status::Ditolak, step).is_err());
        }
    }

    #[test]
    fn no_resolving_before_dispatch_and_no_reopening_open_requests() {
        assert!(next_status(Status::Diterima, Step::Resolve).is_err());
        assert!(next_status(Status::Diverifikasi, Step::StartWork).is_err());
        assert!(next_status(Status::Ditindaklanjuti, Step::Reopen).is_err());
        assert!(next_status(Status::Ditindaklanjuti, Step::Confirm).is_err());
        let e = next_status(Status::Diterima, Step::Resolve).unwrap_err();
        assert_eq!(
            e.to_string(),
            "'resolve' is not possible while the request is 'diterima'"
        );
    }

    #[test]
    fn forward_keeps_it_with_units() {
        assert_eq!(
            next_status(Status::Ditindaklanjuti, Step::Forward),
            Ok(Status::Didisposisikan)
        );
        assert!(next_status(Status::Diterima, Step::Forward).is_err());
    }

    #[test]
    fn tracking_codes() {
        let c = tracking_code("BDG", 2026, [0, 1, 2, 29, 30]);
        assert_eq!(c, "BDG-26-234Z2");
        assert_eq!(
            normalise_tracking_code(" bdg 26 234z 2 ").as_deref(),
            Some("BDG-26-234Z2")
        );
        assert_eq!(
            normalise_tracking_code("bdg-26-7k3q9").as_deref(),
            Some("BDG-26-7K3Q9")
        );
        assert_eq!(normalise_tracking_code("BDG-26-7K3Q"), None);
        assert_eq!(normalise_tracking_code("'; drop table"), None);
    }
}
