//! The Telegram Bot API's wire format, as far as the conversation needs it: an `Update`
//! delivered to the webhook (https://core.telegram.org/bots/api#update, `Message`,
//! `Location`, `PhotoSize`), and the `sendMessage` body with a reply keyboard
//! (https://core.telegram.org/bots/api#sendmessage, `ReplyKeyboardMarkup`).

use serde::Deserialize;
use serde_json::{json, Value};

/// Photos larger than this are not downloaded (the web form's limit).
pub const MAX_PHOTO_BYTES: i64 = 10 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Text(String),
    Location {
        lat: f64,
        lon: f64,
    },
    /// The largest size within the limit, by its `file_id`, and the caption, if any.
    Photo {
        file_id: String,
        caption: Option<String>,
    },
    /// Anything else (a sticker, a voice note, an edited message, a group): answered with
    /// the current question again.
    Other,
}

/// What the conversation takes from one update.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    pub update_id: i64,
    /// The private chat it came from; `None` for updates that are not a private message.
    pub chat_id: Option<i64>,
    pub content: Content,
    /// The text (or caption) of the message this one replies to (`reply_to_message`), which
    /// names the request when the reporter answers a staff message.
    pub quoted: Option<String>,
}

#[derive(Deserialize)]
struct RawUpdate {
    update_id: i64,
    message: Option<RawMessage>,
}

#[derive(Deserialize)]
struct RawMessage {
    chat: RawChat,
    text: Option<String>,
    caption: Option<String>,
    location: Option<RawLocation>,
    photo: Option<Vec<RawPhotoSize>>,
    reply_to_message: Option<Box<RawQuoted>>,
}

#[derive(Deserialize)]
struct RawQuoted {
    text: Option<String>,
    caption: Option<String>,
}

#[derive(Deserialize)]
struct RawChat {
    id: i64,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct RawLocation {
    latitude: f64,
    longitude: f64,
}

#[derive(Deserialize)]
struct RawPhotoSize {
    file_id: String,
    file_size: Option<i64>,
    width: i64,
    height: i64,
}

/// Reads an update; `Err` when it is not an update at all.
pub fn parse(body: &[u8]) -> Result<Update, String> {
    let raw: RawUpdate = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let Some(m) = raw.message.filter(|m| m.chat.kind == "private") else {
        return Ok(Update {
            update_id: raw.update_id,
            chat_id: None,
            content: Content::Other,
            quoted: None,
        });
    };
    let quoted = m.reply_to_message.and_then(|q| q.text.or(q.caption));
    let content = if let Some(l) = m.location {
        Content::Location {
            lat: l.latitude,
            lon: l.longitude,
        }
    } else if let Some(sizes) = m.photo {
        sizes
            .into_iter()
            .filter(|s| s.file_size.is_none_or(|n| n <= MAX_PHOTO_BYTES))
            .max_by_key(|s| s.width.saturating_mul(s.height))
            .map_or(Content::Other, |s| Content::Photo {
                file_id: s.file_id,
                caption: m.caption.filter(|c| !c.trim().is_empty()),
            })
    } else if let Some(t) = m.text {
        Content::Text(t)
    } else {
        Content::Other
    };
    Ok(Update {
        update_id: raw.update_id,
        chat_id: Some(m.chat.id),
        content,
        quoted,
    })
}

/// The `sendMessage` body: the choices as a one-time reply keyboard, one button a row, or
/// the keyboard removed when there are none.
pub fn send_message(chat_id: &str, text: &str, choices: &[String]) -> Value {
    let markup = if choices.is_empty() {
        json!({ "remove_keyboard": true })
    } else {
        let rows: Vec<Value> = choices.iter().map(|c| json!([{ "text": c }])).collect();
        json!({ "keyboard": rows, "one_time_keyboard": true, "resize_keyboard": true })
    };
    json!({ "chat_id": chat_id, "text": text, "reply_markup": markup })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_location_and_photo_updates() {
        let text = br#"{"update_id":10000,"message":{"message_id":1365,"date":1441645532,
            "chat":{"id":1111111,"type":"private","first_name":"Test"},
            "from":{"id":1111111,"is_bot":false,"first_name":"Test"},"text":"halo"}}"#;
        let u = parse(text).unwrap();
        assert_eq!((u.update_id, u.chat_id), (10000, Some(1111111)));
        assert_eq!(u.content, Content::Text("halo".into()));
        assert_eq!(u.quoted, None);
        let reply = br#"{"update_id":10001,"message":{"message_id":1366,"date":1441645533,
            "chat":{"id":1111111,"type":"private"},"text":"Sudah saya kirim",
            "reply_to_message":{"message_id":1300,"date":1441645500,"chat":{"id":1111111,"type":"private"},
              "from":{"id":42,"is_bot":true,"first_name":"Bot"},"text":"Pesan petugas tentang laporan BDG-26-7K3Q9:"}}}"#;
        let u = parse(reply).unwrap();
        assert_eq!(u.content, Content::Text("Sudah saya kirim".into()));
        assert_eq!(
            u.quoted.as_deref(),
            Some("Pesan petugas tentang laporan BDG-26-7K3Q9:")
        );
        let loc =
            br#"{"update_id":2,"message":{"message_id":3,"date":1,"chat":{"id":5,"type":"private"},
            "location":{"latitude":-8.72,"longitude":115.17}}}"#;
        assert_eq!(
            parse(loc).unwrap().content,
            Content::Location {
                lat: -8.72,
                lon: 115.17
            }
        );
        let photo = br#"{"update_id":3,"message":{"message_id":4,"date":1,"chat":{"id":5,"type":"private"},
            "caption":"jalan","photo":[
              {"file_id":"small","file_unique_id":"a","width":90,"height":67,"file_size":1200},
              {"file_id":"big","file_unique_id":"b","width":1280,"height":960,"file_size":99000},
              {"file_id":"huge","file_unique_id":"c","width":9000,"height":9000,"file_size":99000000}]}}"#;
        assert_eq!(
            parse(photo).unwrap().content,
            Content::Photo {
                file_id: "big".into(),
                caption: Some("jalan".into())
            }
        );
    }

    #[test]
    fn groups_and_other_updates_are_not_conversations() {
        let group = br#"{"update_id":4,"message":{"message_id":4,"date":1,"chat":{"id":-5,"type":"group"},"text":"1"}}"#;
        assert_eq!(parse(group).unwrap().chat_id, None);
        let edited = br#"{"update_id":5,"edited_message":{"message_id":4,"date":1,"chat":{"id":5,"type":"private"},"text":"1"}}"#;
        assert_eq!(parse(edited).unwrap().content, Content::Other);
        assert!(parse(b"not json").is_err());
        assert!(parse(br#"{"message":{}}"#).is_err());
    }

    #[test]
    fn the_keyboard_offers_the_choices_or_goes_away() {
        let v = send_message("5", "Pilih", &["1 Kirim".into(), "2 Batal".into()]);
        assert_eq!(v["reply_markup"]["keyboard"][1][0]["text"], "2 Batal");
        assert_eq!(v["chat_id"], "5");
        let v = send_message("5", "Terima kasih", &[]);
        assert_eq!(v["reply_markup"]["remove_keyboard"], true);
    }
}
