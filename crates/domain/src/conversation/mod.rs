//! A request filed by chat (Telegram, WhatsApp, SMS): the conversation as a state machine, one
//! inbound message at a time, without I/O. The caller keeps the state between messages (one
//! conversation per sender), carries out the effects (replies, filing through the same intake
//! path as the web form, a status look-up) and hands photos in as references it already
//! checked and kept.
//!
//! A simple complaint takes six messages from greeting to code: a greeting, the kind, the
//! service (or "tidak tahu"), the description, the place, and the answer to the summary, which
//! is also the anonim/rahasia choice. Photos may be sent at any step (at most five).

pub mod sms;
pub mod telegram;
mod texts;
pub mod whatsapp;

#[cfg(test)]
mod tests;

use crate::intake::{BoundingBox, NewRequest};
use crate::privacy::ReporterContact;
use crate::region::RegionCode;
use crate::request::{normalise_tracking_code, RequestKind, Status};
use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

pub use texts::{filed, not_filed, status_reply};

/// Photos one request may carry, as on the web form.
pub const MAX_PHOTOS: usize = 5;
/// A conversation nobody answered for this long starts again from the greeting.
pub const EXPIRES_AFTER: Duration = Duration::hours(24);
/// The longest description taken, as on the web form.
const MAX_DESCRIPTION: usize = 5000;
const MIN_DESCRIPTION: usize = 10;
const MAX_ADDRESS: usize = 300;
const MIN_ADDRESS: usize = 5;
/// Titles made from the description are cut at a word near this length.
const TITLE_CHARS: usize = 80;

/// The chat services residents write from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Telegram,
    WhatsApp,
    /// Through an Android SMS gateway (`sms.rs`).
    Sms,
}

impl Channel {
    pub const ALL: [Self; 3] = [Self::Telegram, Self::WhatsApp, Self::Sms];

    /// The name stored with updates, conversations and requests; never changes.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Telegram => "telegram",
            Self::WhatsApp => "whatsapp",
            Self::Sms => "sms",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// The chat a request came from: the reporter's contact on that channel (personal data, like
/// a phone number: never public, erased with the other contact fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatContact {
    pub channel: Channel,
    /// The provider's id of the chat (Telegram chat id, WhatsApp number).
    pub id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Id,
    En,
}

/// What the conversation waits for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "step")]
pub enum Step {
    Kind,
    Service,
    Description,
    Place,
    /// A kecamatan was chosen by number; now its desa.
    Village {
        district: String,
    },
    /// The summary was shown: 1 send, 2 send anonymously, 3 send as rahasia; photos welcome.
    Confirm,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "by")]
pub enum Place {
    Pin {
        lat: f64,
        lon: f64,
    },
    Area {
        district: String,
        village: Option<String>,
    },
    Address {
        text: String,
    },
}

/// One sender's conversation between two messages (stored as JSON by the caller).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub lang: Lang,
    pub step: Step,
    pub kind: Option<RequestKind>,
    /// The chosen service's code; `None` for "tidak tahu".
    pub service: Option<String>,
    pub description: Option<String>,
    pub place: Option<Place>,
    /// The caller's references to the photos it kept (checked already), in order.
    pub photos: Vec<String>,
    pub last_at: DateTime<Utc>,
}

/// One message from the resident, as the channel adapter understood it.
#[derive(Debug, Clone, PartialEq)]
pub enum Inbound {
    Text(String),
    /// A shared location pin.
    Location {
        lat: f64,
        lon: f64,
    },
    /// A photo the caller downloaded, checked and kept, by its reference.
    Photo(String),
}

/// A service residents may choose, from the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceChoice {
    pub code: String,
    pub name: String,
    pub kind: RequestKind,
}

/// A kecamatan and its desa/kelurahan (code, name), in the order they are listed.
#[derive(Debug, Clone, PartialEq)]
pub struct DistrictChoice {
    pub code: String,
    pub name: String,
    pub villages: Vec<(String, String)>,
}

/// What the conversation offers, read from the database by the caller.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Catalogue {
    pub services: Vec<ServiceChoice>,
    pub districts: Vec<DistrictChoice>,
    pub bounds: Option<BoundingBox>,
}

impl Catalogue {
    fn services_of(&self, kind: RequestKind) -> Vec<&ServiceChoice> {
        self.services.iter().filter(|s| s.kind == kind).collect()
    }

    fn district(&self, code: &str) -> Option<&DistrictChoice> {
        self.districts.iter().find(|d| d.code == code)
    }
}

/// A message to the resident; `choices` become buttons where the channel has them (the text
/// names them too, so a channel without buttons loses nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    pub choices: Vec<String>,
}

/// What the caller does after a message, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Reply(Reply),
    /// File the request with these photos through the intake path, then answer with
    /// [`filed`] (or [`not_filed`]) in `lang`.
    File {
        request: Box<NewRequest>,
        photos: Vec<String>,
        lang: Lang,
    },
    /// Answer the public status of this request with [`status_reply`] in `lang`.
    Status {
        code: String,
        lang: Lang,
    },
    /// These kept photos are no longer needed.
    Discard(Vec<String>),
}

/// The state after a message, and what to do.
#[derive(Debug, Clone, PartialEq)]
pub struct Turn {
    /// `None`: no conversation now (cancelled, filed, or none was started).
    pub state: Option<Conversation>,
    pub effects: Vec<Effect>,
}

/// A resident's public-status question: `status BDG-26-7K3Q9` (any case, spaces or dashes).
fn status_code(text: &str) -> Option<String> {
    let t = text.trim();
    let lower = t.to_lowercase();
    let rest = lower.strip_prefix("status").or(lower.strip_prefix("cek"))?;
    normalise_tracking_code(rest.trim())
}

/// The number a choice starts with ("2", "2 Aspirasi", "2."), as buttons send the label.
fn number(text: &str) -> Option<usize> {
    let digits: String = text
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    if digits.is_empty() || digits.len() > 4 {
        return None;
    }
    digits.parse().ok()
}

/// The words that start a new conversation (also when a message would otherwise answer a
/// request's thread).
const RESTART_WORDS: [&str; 7] = [
    "ulang", "restart", "mulai", "start", "/start", "lapor", "baru",
];
const CANCEL_WORDS: [&str; 3] = ["batal", "cancel", "stop"];
const ENGLISH_WORDS: [&str; 3] = ["english", "inggris", "en"];
const INDONESIAN_WORDS: [&str; 3] = ["indonesia", "bahasa", "id"];

/// Whether a text is a word the conversation takes at any time (status, batal, ulang, lapor,
/// the language): such a text is never taken as an answer on a request's thread.
pub fn is_command(text: &str) -> bool {
    status_code(text).is_some()
        || [
            &RESTART_WORDS[..],
            &CANCEL_WORDS[..],
            &ENGLISH_WORDS[..],
            &INDONESIAN_WORDS[..],
        ]
        .iter()
        .any(|w| is_word(text, w))
}

fn is_word(text: &str, words: &[&str]) -> bool {
    let t = text.trim().to_lowercase();
    words.contains(&t.as_str())
}

pub(crate) fn title_from(description: &str) -> String {
    let first = description.lines().next().unwrap_or(description).trim();
    if first.chars().count() <= TITLE_CHARS {
        return first.to_string();
    }
    let cut: String = first.chars().take(TITLE_CHARS).collect();
    let at_word = cut.rfind(' ').filter(|i| *i > TITLE_CHARS / 2);
    format!(
        "{}…",
        at_word.map_or(cut.as_str(), |i| &cut[..i]).trim_end()
    )
}

impl Conversation {
    fn new(lang: Lang, now: DateTime<Utc>) -> Self {
        Self {
            lang,
            step: Step::Kind,
            kind: None,
            service: None,
            description: None,
            place: None,
            photos: Vec::new(),
            last_at: now,
        }
    }

    /// The question of the current step, with its choices.
    fn prompt(&self, cat: &Catalogue) -> Reply {
        texts::prompt(self, cat)
    }

    fn to_request(&self, cat: &Catalogue, anonymous: bool, confidential: bool) -> NewRequest {
        let description = self.description.clone().unwrap_or_default();
        let service_name = self
            .service
            .as_ref()
            .and_then(|c| cat.services.iter().find(|s| &s.code == c))
            .map(|s| s.name.clone());
        let (mut lat, mut lon, mut address, mut district, mut village) =
            (None, None, None, None, None);
        match &self.place {
            Some(Place::Pin { lat: a, lon: o }) => (lat, lon) = (Some(*a), Some(*o)),
            Some(Place::Area {
                district: d,
                village: v,
            }) => {
                district = RegionCode::parse(d).ok();
                village = v.as_deref().and_then(|v| RegionCode::parse(v).ok());
            }
            Some(Place::Address { text }) => address = Some(text.clone()),
            None => {}
        }
        NewRequest {
            kind: self.kind.unwrap_or(RequestKind::Pengaduan),
            service_code: self.service.clone(),
            title: service_name.unwrap_or_else(|| title_from(&description)),
            description,
            latitude: lat,
            longitude: lon,
            location_address: address,
            district_code: district,
            village_code: village,
            contact: ReporterContact::default(),
            chat: None,
            anonymous,
            confidential,
            answers: Vec::new(),
        }
    }
}

/// Takes one message. `state` is the sender's conversation as last stored, if any.
pub fn advance(
    state: Option<Conversation>,
    msg: Inbound,
    cat: &Catalogue,
    now: DateTime<Utc>,
) -> Turn {
    let mut effects = Vec::new();
    let state = match state {
        Some(c) if now - c.last_at > EXPIRES_AFTER => {
            effects.push(Effect::Discard(c.photos.clone()));
            effects.push(Effect::Reply(texts::expired(c.lang)));
            None
        }
        s => s,
    };
    if let Inbound::Text(t) = &msg {
        if let Some(turn) = command(state.as_ref(), t, cat, now, &mut effects) {
            return turn;
        }
    }
    let Some(mut conv) = state else {
        // Any first message starts a conversation; a photo sent first is kept.
        let mut conv = Conversation::new(Lang::Id, now);
        if let Inbound::Photo(p) = msg {
            conv.photos.push(p);
        }
        effects.push(Effect::Reply(texts::greeting(conv.lang)));
        return Turn {
            state: Some(conv),
            effects,
        };
    };
    conv.last_at = now;
    match msg {
        Inbound::Photo(p) => photo(conv, p, cat, effects),
        Inbound::Location { lat, lon } => location(conv, lat, lon, cat, effects),
        Inbound::Text(t) => text(conv, &t, cat, effects),
    }
}

/// The words that work at any step: batal, ulang, status, and the language.
fn command(
    state: Option<&Conversation>,
    t: &str,
    cat: &Catalogue,
    now: DateTime<Utc>,
    effects: &mut Vec<Effect>,
) -> Option<Turn> {
    let lang = state.map_or(Lang::Id, |c| c.lang);
    if let Some(code) = status_code(t) {
        effects.push(Effect::Status { code, lang });
        let state = state.cloned().map(|mut c| {
            c.last_at = now;
            c
        });
        return Some(Turn {
            state,
            effects: std::mem::take(effects),
        });
    }
    if is_word(t, &CANCEL_WORDS) {
        if let Some(c) = state {
            effects.push(Effect::Discard(c.photos.clone()));
        }
        effects.push(Effect::Reply(texts::cancelled(lang)));
        return Some(Turn {
            state: None,
            effects: std::mem::take(effects),
        });
    }
    let switch = if is_word(t, &ENGLISH_WORDS) {
        Some(Lang::En)
    } else if is_word(t, &INDONESIAN_WORDS) {
        Some(Lang::Id)
    } else {
        None
    };
    let restart = is_word(t, &RESTART_WORDS);
    if !restart && switch.is_none() {
        return None;
    }
    let lang = switch.unwrap_or(lang);
    let conv = match state {
        // a language switch keeps what was answered and asks the same question again
        Some(c) if !restart => {
            let mut c = c.clone();
            c.lang = lang;
            c.last_at = now;
            effects.push(Effect::Reply(c.prompt(cat)));
            c
        }
        old => {
            if let Some(c) = old {
                effects.push(Effect::Discard(c.photos.clone()));
            }
            effects.push(Effect::Reply(texts::greeting(lang)));
            Conversation::new(lang, now)
        }
    };
    Some(Turn {
        state: Some(conv),
        effects: std::mem::take(effects),
    })
}

fn ask(conv: Conversation, cat: &Catalogue, mut effects: Vec<Effect>) -> Turn {
    effects.push(Effect::Reply(conv.prompt(cat)));
    Turn {
        state: Some(conv),
        effects,
    }
}

/// A wrong answer: what was expected, then the same question again.
fn again(conv: Conversation, why: texts::Why, cat: &Catalogue, mut effects: Vec<Effect>) -> Turn {
    let mut reply = conv.prompt(cat);
    reply.text = format!("{}\n\n{}", texts::why(conv.lang, why), reply.text);
    effects.push(Effect::Reply(reply));
    Turn {
        state: Some(conv),
        effects,
    }
}

fn photo(mut conv: Conversation, p: String, cat: &Catalogue, mut effects: Vec<Effect>) -> Turn {
    if conv.photos.len() >= MAX_PHOTOS {
        effects.push(Effect::Discard(vec![p]));
        return again(conv, texts::Why::TooManyPhotos, cat, effects);
    }
    conv.photos.push(p);
    let mut reply = conv.prompt(cat);
    reply.text = format!(
        "{}\n\n{}",
        texts::photo_kept(conv.lang, conv.photos.len()),
        reply.text
    );
    effects.push(Effect::Reply(reply));
    Turn {
        state: Some(conv),
        effects,
    }
}

fn location(
    mut conv: Conversation,
    lat: f64,
    lon: f64,
    cat: &Catalogue,
    effects: Vec<Effect>,
) -> Turn {
    if !matches!(conv.step, Step::Place | Step::Village { .. }) {
        return again(conv, texts::Why::NotNow, cat, effects);
    }
    let inside =
        lat.is_finite() && lon.is_finite() && cat.bounds.is_none_or(|b| b.contains(lat, lon));
    if !inside {
        return again(conv, texts::Why::OutsideRegency, cat, effects);
    }
    conv.place = Some(Place::Pin { lat, lon });
    conv.step = Step::Confirm;
    ask(conv, cat, effects)
}

fn text(mut conv: Conversation, t: &str, cat: &Catalogue, effects: Vec<Effect>) -> Turn {
    let t = t.trim();
    match conv.step.clone() {
        Step::Kind => match number(t).and_then(|n| RequestKind::ALL.get(n.wrapping_sub(1))) {
            Some(kind) => {
                conv.kind = Some(*kind);
                conv.step = if cat.services_of(*kind).is_empty() {
                    Step::Description
                } else {
                    Step::Service
                };
                ask(conv, cat, effects)
            }
            None => again(
                conv,
                texts::Why::Number(RequestKind::ALL.len()),
                cat,
                effects,
            ),
        },
        Step::Service => {
            let services = cat.services_of(conv.kind.unwrap_or(RequestKind::Pengaduan));
            let unknown = is_word(t, &["tidak tahu", "tidak tau", "don't know", "dont know"]);
            match number(t) {
                Some(0) => conv.service = None,
                Some(n) if n <= services.len() => conv.service = Some(services[n - 1].code.clone()),
                _ if unknown => conv.service = None,
                _ => return again(conv, texts::Why::Number(services.len()), cat, effects),
            }
            conv.step = Step::Description;
            ask(conv, cat, effects)
        }
        Step::Description => {
            let n = t.chars().count();
            if n < MIN_DESCRIPTION {
                return again(conv, texts::Why::TooShort(MIN_DESCRIPTION), cat, effects);
            }
            conv.description = Some(t.chars().take(MAX_DESCRIPTION).collect());
            conv.step = Step::Place;
            ask(conv, cat, effects)
        }
        Step::Place => match number(t) {
            Some(n) if (1..=cat.districts.len()).contains(&n) => {
                let d = &cat.districts[n - 1];
                conv.step = Step::Village {
                    district: d.code.clone(),
                };
                ask(conv, cat, effects)
            }
            Some(_) => again(conv, texts::Why::Number(cat.districts.len()), cat, effects),
            None if t.chars().count() < MIN_ADDRESS => {
                again(conv, texts::Why::TooShort(MIN_ADDRESS), cat, effects)
            }
            None => {
                conv.place = Some(Place::Address {
                    text: t.chars().take(MAX_ADDRESS).collect(),
                });
                conv.step = Step::Confirm;
                ask(conv, cat, effects)
            }
        },
        Step::Village { district } => {
            let villages = cat.district(&district).map_or(0, |d| d.villages.len());
            let village = match number(t) {
                Some(0) => None,
                Some(n) if n <= villages => {
                    cat.district(&district).map(|d| d.villages[n - 1].0.clone())
                }
                _ => return again(conv, texts::Why::Number(villages), cat, effects),
            };
            conv.place = Some(Place::Area { district, village });
            conv.step = Step::Confirm;
            ask(conv, cat, effects)
        }
        Step::Confirm => {
            let (anonymous, confidential) = match number(t) {
                Some(1) => (false, false),
                Some(2) => (true, false),
                Some(3) => (false, true),
                _ => return again(conv, texts::Why::Number(3), cat, effects),
            };
            let mut effects = effects;
            effects.push(Effect::File {
                request: Box::new(conv.to_request(cat, anonymous, confidential)),
                photos: conv.photos.clone(),
                lang: conv.lang,
            });
            Turn {
                state: None,
                effects,
            }
        }
    }
}

/// A request's public status, as the status answer needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicStatus {
    pub status: Status,
    /// The current stage's deadline, if it has one.
    pub due_at: Option<DateTime<Utc>>,
}

/// Local time for deadlines in replies.
pub(crate) fn local(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset)
        .format("%d-%m-%Y %H:%M")
        .to_string()
}
