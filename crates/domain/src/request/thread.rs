//! The request's thread: what staff wrote to the reporter and what the reporter answered.
//! Staff only, never public (the reporter reads it on their private link): no public page,
//! feed, API, Open311 or export reads it.
//!
//! Two rules live here, without I/O: who may write to the reporter, where the message goes
//! (the chat the request came from, else the email, else the phone), and which request a
//! reporter's chat message answers when no new conversation is in progress.

use crate::conversation::Channel;
use crate::ids::{RequestId, UnitId};
use crate::policy::Actor;
use crate::request::normalise_tracking_code;
use chrono::{DateTime, Duration, Utc};

/// The longest message either way (a chat message is at most 4096 characters on Telegram and
/// WhatsApp, with room for the words around it).
pub const MAX_MESSAGE_CHARS: usize = 2000;
/// A reporter's chat message lands on the request staff last wrote to them about for this
/// long after staff wrote; later, a message starts a new conversation again.
pub const REPLY_WINDOW: Duration = Duration::days(7);
/// Messages a reporter may add through their private link in a day, on one request.
pub const MAX_WEB_REPLIES_PER_DAY: u64 = 20;

/// Which way a message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    ToReporter,
    FromReporter,
}

impl Direction {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ToReporter => "to_reporter",
            Self::FromReporter => "from_reporter",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::ToReporter, Self::FromReporter]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// How a message travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Chat(Channel),
    Email,
    /// The WhatsApp/SMS gateway for a phone given on the web form (one way: the reporter
    /// answers through the private link).
    Phone,
    /// The reporter's private link.
    Web,
}

impl Via {
    /// The stored name; never changes.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Chat(c) => c.as_str(),
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Web => "web",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "email" => Some(Self::Email),
            "phone" => Some(Self::Phone),
            "web" => Some(Self::Web),
            other => Channel::parse(other).map(Self::Chat),
        }
    }
}

/// What the request has that a message can reach (present or not; the addresses stay in
/// storage).
#[derive(Debug, Clone, Copy, Default)]
pub struct Reach {
    pub chat: Option<Channel>,
    pub email: bool,
    pub phone: bool,
}

impl Reach {
    /// Where a staff message goes: the chat the request came from (the reporter can answer
    /// there), else the email, else the phone; `None` when the reporter left no contact.
    pub fn route(self) -> Option<Via> {
        match (self.chat, self.email, self.phone) {
            (Some(c), _, _) => Some(Via::Chat(c)),
            (None, true, _) => Some(Via::Email),
            (None, false, true) => Some(Via::Phone),
            _ => None,
        }
    }
}

/// Why a staff message may not be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyRefusal {
    #[error("not permitted")]
    Forbidden,
    /// A `rahasia` request that is none of the actor's business: answered as unknown.
    #[error("not found")]
    Hidden,
    #[error("{field}: {code}")]
    Field {
        field: &'static str,
        code: &'static str,
    },
}

/// Whether `actor` may write to the reporter of a request handled by `handling`: the desk
/// (it asks before verifying) and the handling units' staff, as for comments.
pub fn may_reply(actor: &Actor, handling: &[UnitId]) -> bool {
    actor.can_triage() || actor.can_work_on(handling)
}

/// Decides a staff message: who, what and where. The text is returned trimmed.
pub fn staff_reply(
    actor: &Actor,
    handling: &[UnitId],
    confidential: bool,
    reach: Reach,
    text: &str,
) -> Result<(String, Via), ReplyRefusal> {
    if !may_reply(actor, handling) {
        return Err(if confidential && !actor.can_view_request(handling) {
            ReplyRefusal::Hidden
        } else {
            ReplyRefusal::Forbidden
        });
    }
    let text = checked_text(text).map_err(|code| ReplyRefusal::Field {
        field: "message",
        code,
    })?;
    let via = reach.route().ok_or(ReplyRefusal::Field {
        field: "message",
        code: "no_contact",
    })?;
    Ok((text, via))
}

/// A message's text, trimmed; `required` when empty, `too_long` past the limit.
pub fn checked_text(text: &str) -> Result<String, &'static str> {
    let t = text.trim();
    if t.is_empty() {
        return Err("required");
    }
    if t.chars().count() > MAX_MESSAGE_CHARS {
        return Err("too_long");
    }
    Ok(t.to_string())
}

/// A request staff wrote to this chat about, as the chat rule needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub request: RequestId,
    pub code: String,
    /// When staff last wrote to the chat about it; `None`: never (the request came from this
    /// chat, nobody wrote yet).
    pub last_at: Option<DateTime<Utc>>,
}

/// Which request a reporter's chat message answers, if any. The caller asks only when no
/// conversation is in progress for the sender and the message is not a word the
/// conversation takes at any time (`conversation::is_command`: "status", "lapor", ...).
///
/// 1. A reply to a message (Telegram's `reply_to_message`) that names a tracking code of a
///    request from this chat answers that request.
/// 2. Otherwise, the request staff wrote to this chat about most recently, if within
///    [`REPLY_WINDOW`].
///
/// Anything else starts a new conversation, as before.
pub fn answers(
    quoted: Option<&str>,
    from_this_chat: &[Written],
    now: DateTime<Utc>,
) -> Option<RequestId> {
    if let Some(code) = quoted.and_then(code_in) {
        if let Some(w) = from_this_chat.iter().find(|w| w.code == code) {
            return Some(w.request);
        }
    }
    from_this_chat
        .iter()
        .filter_map(|w| w.last_at.map(|at| (at, w.request)))
        .filter(|(at, _)| now - *at <= REPLY_WINDOW && *at <= now + Duration::minutes(5))
        .max_by_key(|(at, _)| *at)
        .map(|(_, r)| r)
}

/// The first tracking code in a text (`BDG-26-7K3Q9`), normalised.
pub(crate) fn code_in(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.matches('-').count() == 2)
        .find_map(normalise_tracking_code)
}

/// The staff message as the chat shows it: the code, so the reporter (and a reply quoting
/// it) knows which request it is about, and how to answer.
pub fn chat_text(code: &str, text: &str) -> String {
    format!(
        "Pesan petugas tentang laporan {code}:\n\n{text}\n\n\
         Balas pesan ini untuk menjawab petugas. / Reply to this message to answer the officer."
    )
}

/// The staff message as an email: subject and body.
pub fn email_text(code: &str, text: &str, public_link: &str) -> (String, String) {
    (
        format!("Laporan {code}: pesan petugas / a message from the officer"),
        format!(
            "Petugas menulis tentang laporan {code}:\n\n{text}\n\n\
             Untuk menjawab, buka tautan pribadi yang Anda terima saat melapor (bagian \
             \"Pesan dengan petugas\").\nLaporan: {public_link}\n\n\
             The officer wrote about request {code} (above). To answer, open the private link \
             you received when you filed it.\n"
        ),
    )
}

/// The staff message as a short phone message.
pub fn phone_text(code: &str, text: &str) -> String {
    format!("kotapintar, laporan {code}: {text}")
}

/// Stands for a photo the reporter sent on the thread that could not be used (not a photo,
/// too large).
pub const PHOTO_REFUSED: &str = "[foto tidak dapat dipakai]";

/// The chat's answer once a reporter's message is on the thread.
pub fn passed_on(code: &str) -> String {
    format!(
        "Pesan Anda sudah kami teruskan ke petugas laporan {code}. Ketik \"lapor\" untuk \
         membuat laporan baru.\n\nYour message was passed on to the officer of request {code}. \
         Type \"lapor\" to file a new request."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::UserId;
    use crate::user::{Role, RoleAssignment, Username};

    fn actor(role: Role, unit: Option<i64>) -> Actor {
        Actor {
            user_id: UserId(1),
            username: Username::parse("petugas").unwrap(),
            full_name: "Petugas".into(),
            roles: vec![RoleAssignment {
                role,
                unit_id: unit.map(UnitId),
            }],
        }
    }

    const CHAT: Reach = Reach {
        chat: Some(Channel::Telegram),
        email: true,
        phone: true,
    };

    #[test]
    fn the_desk_and_the_handling_units_write_others_do_not() {
        let handling = [UnitId(3)];
        for a in [
            actor(Role::Verifier, None),
            actor(Role::Officer, Some(3)),
            actor(Role::UnitAdmin, Some(3)),
            actor(Role::Admin, None),
        ] {
            assert!(staff_reply(&a, &handling, false, CHAT, "Mohon kirim foto").is_ok());
        }
        let other = actor(Role::Officer, Some(4));
        assert_eq!(
            staff_reply(&other, &handling, false, CHAT, "x"),
            Err(ReplyRefusal::Forbidden)
        );
        assert_eq!(
            staff_reply(&other, &handling, true, CHAT, "x"),
            Err(ReplyRefusal::Hidden),
            "a rahasia request of another unit answers as unknown"
        );
        let leader = actor(Role::Leader, None);
        assert_eq!(
            staff_reply(&leader, &handling, true, CHAT, "x"),
            Err(ReplyRefusal::Forbidden),
            "leaders read, they do not write"
        );
        let editor = actor(Role::Editor, Some(3));
        assert!(staff_reply(&editor, &handling, false, CHAT, "x").is_err());
    }

    #[test]
    fn the_text_is_bounded_and_a_reporter_without_contact_is_named() {
        let a = actor(Role::Officer, Some(3));
        let h = [UnitId(3)];
        let field = |code| ReplyRefusal::Field {
            field: "message",
            code,
        };
        assert_eq!(
            staff_reply(&a, &h, false, CHAT, "  \n "),
            Err(field("required"))
        );
        let long = "a".repeat(MAX_MESSAGE_CHARS + 1);
        assert_eq!(
            staff_reply(&a, &h, false, CHAT, &long),
            Err(field("too_long"))
        );
        assert!(staff_reply(&a, &h, false, CHAT, &"é".repeat(MAX_MESSAGE_CHARS)).is_ok());
        assert_eq!(
            staff_reply(&a, &h, false, Reach::default(), "Halo"),
            Err(field("no_contact"))
        );
        assert_eq!(
            staff_reply(&a, &h, false, CHAT, "  Halo  "),
            Ok(("Halo".into(), Via::Chat(Channel::Telegram)))
        );
    }

    #[test]
    fn a_message_goes_where_the_request_came_from() {
        let email_phone = Reach {
            chat: None,
            email: true,
            phone: true,
        };
        assert_eq!(email_phone.route(), Some(Via::Email));
        let phone = Reach {
            phone: true,
            ..Reach::default()
        };
        assert_eq!(phone.route(), Some(Via::Phone));
        assert_eq!(CHAT.route(), Some(Via::Chat(Channel::Telegram)));
        for v in [
            Via::Email,
            Via::Phone,
            Via::Web,
            Via::Chat(Channel::WhatsApp),
            Via::Chat(Channel::Telegram),
        ] {
            assert_eq!(Via::parse(v.as_str()), Some(v));
        }
    }

    #[test]
    fn a_chat_message_answers_the_request_staff_wrote_about_lately() {
        let now = Utc::now();
        let w = |id, code: &str, days: Option<i64>| Written {
            request: RequestId(id),
            code: code.into(),
            last_at: days.map(|d| now - Duration::days(d)),
        };
        let written = [
            w(1, "BDG-26-AAAAA", Some(2)),
            w(2, "BDG-26-BBBBB", Some(1)),
            w(3, "BDG-26-CCCCC", None),
            w(4, "BDG-26-DDDDD", Some(30)),
        ];
        assert_eq!(answers(None, &written, now), Some(RequestId(2)), "latest");
        // a reply quoting a request's code answers that one, even if nobody wrote about it
        let quoted = "Laporan Anda diterima dengan kode BDG-26-CCCCC. Simpan.";
        assert_eq!(answers(Some(quoted), &written, now), Some(RequestId(3)));
        let quoted = "Pesan petugas tentang laporan bdg-26-aaaaa:";
        assert_eq!(answers(Some(quoted), &written, now), Some(RequestId(1)));
        // a code of a request from another chat is not followed
        let other = "kode BDG-26-ZZZZZ";
        assert_eq!(answers(Some(other), &written, now), Some(RequestId(2)));
        // past the window, a new conversation
        assert_eq!(answers(None, &written[3..], now), None);
        assert_eq!(answers(None, &written[2..3], now), None);
        assert_eq!(answers(None, &[], now), None);
    }
}
