//! The WhatsApp Business Cloud API's wire format, as far as the conversation needs it: the
//! `messages` webhook (https://developers.facebook.com/docs/whatsapp/cloud-api/webhooks/payload-examples:
//! text, location, image, interactive `button_reply` / `list_reply`), its signature
//! (`X-Hub-Signature-256`: `sha256=` and the hex HMAC-SHA256 of the raw body with the app
//! secret), and the body of a message sent through the Graph API's `/{phone-number-id}/messages`
//! (https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages).

use super::telegram::Content;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;

/// Interactive lists take at most 10 rows, 24 characters a title, a body of 1024.
const MAX_ROWS: usize = 10;
const MAX_ROW_TITLE: usize = 24;
const MAX_INTERACTIVE_BODY: usize = 1024;
/// A text message's body.
const MAX_TEXT_BODY: usize = 4096;

/// The `X-Hub-Signature-256` value Meta sends with `body` (for tests and load generators).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `header` (`sha256=<hex>`) signs `body` with `secret`; compared in constant time.
pub fn signed(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// One message of a webhook delivery, kept as its own JSON so it is stored and processed on
/// its own (a delivery may carry several).
#[derive(Debug, Clone, PartialEq)]
pub struct Delivered {
    /// The message id (`wamid...`): the same message delivered again has the same one.
    pub id: String,
    /// The sender's WhatsApp number (`wa_id`).
    pub from: String,
    pub raw: String,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    entry: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(default)]
    changes: Vec<Change>,
}

#[derive(Deserialize)]
struct Change {
    #[serde(default)]
    field: String,
    #[serde(default)]
    value: ChangeValue,
}

#[derive(Deserialize, Default)]
struct ChangeValue {
    /// Status updates (sent, delivered, read) come without messages.
    #[serde(default)]
    messages: Vec<Value>,
}

/// The messages of a webhook body (none for status updates); `Err` when it is not a
/// WhatsApp webhook at all.
pub fn messages(body: &[u8]) -> Result<Vec<Delivered>, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if v["object"] != "whatsapp_business_account" {
        return Err("not a whatsapp_business_account webhook".into());
    }
    let env: Envelope = serde_json::from_value(v).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for m in env
        .entry
        .into_iter()
        .flat_map(|e| e.changes)
        .filter(|c| c.field == "messages")
        .flat_map(|c| c.value.messages)
    {
        let (Some(id), Some(from)) = (m["id"].as_str(), m["from"].as_str()) else {
            continue;
        };
        out.push(Delivered {
            id: id.to_string(),
            from: from.to_string(),
            raw: m.to_string(),
        });
    }
    Ok(out)
}

/// What one stored message says.
pub fn content(raw: &str) -> Result<(String, Content), String> {
    let m: Value = serde_json::from_str(raw).map_err(|e| e.to_string())?;
    let from = m["from"].as_str().ok_or("no sender")?.to_string();
    let text = |v: &Value| v.as_str().map(str::to_string);
    let content = match m["type"].as_str().unwrap_or_default() {
        "text" => text(&m["text"]["body"]).map(Content::Text),
        "location" => match (
            m["location"]["latitude"].as_f64(),
            m["location"]["longitude"].as_f64(),
        ) {
            (Some(lat), Some(lon)) => Some(Content::Location { lat, lon }),
            _ => None,
        },
        "image" => text(&m["image"]["id"]).map(|id| Content::Photo {
            file_id: id,
            caption: text(&m["image"]["caption"]).filter(|c| !c.trim().is_empty()),
        }),
        // the reply's id is the whole choice ("2 Kirim tanpa nama (anonim)"); its title may be cut
        "interactive" => {
            let i = &m["interactive"];
            text(&i["list_reply"]["id"])
                .or_else(|| text(&i["button_reply"]["id"]))
                .map(Content::Text)
        }
        // a button of a template message
        "button" => text(&m["button"]["text"]).map(Content::Text),
        _ => None,
    };
    Ok((from, content.unwrap_or(Content::Other)))
}

/// The `messages` body: the choices as an interactive list when they fit, else plain text
/// (which names the choices too).
pub fn send_message(to: &str, text: &str, choices: &[String], button: &str) -> Value {
    let fits = !choices.is_empty()
        && choices.len() <= MAX_ROWS
        && text.chars().count() <= MAX_INTERACTIVE_BODY
        && choices.iter().all(|c| c.len() <= 200);
    if !fits {
        let body: String = text.chars().take(MAX_TEXT_BODY).collect();
        return json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": to,
            "type": "text",
            "text": { "body": body, "preview_url": false },
        });
    }
    let rows: Vec<Value> = choices
        .iter()
        .map(|c| json!({ "id": c, "title": c.chars().take(MAX_ROW_TITLE).collect::<String>() }))
        .collect();
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": { "text": text },
            "action": { "button": button, "sections": [{ "title": button, "rows": rows }] },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELIVERY: &str = r#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398",
      "changes":[{"value":{"messaging_product":"whatsapp",
        "metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
        "contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],
        "messages":[
          {"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
           "timestamp":"1749416383","type":"text","text":{"body":"halo"}},
          {"from":"16505551234","id":"wamid.loc","timestamp":"1749416384","type":"location",
           "location":{"address":"Jl. Raya Kuta","latitude":-8.72,"longitude":115.17,"name":"Pasar"}},
          {"from":"16505551234","id":"wamid.img","timestamp":"1749416385","type":"image",
           "image":{"caption":"lubang","mime_type":"image/jpeg","sha256":"abc","id":"1003383421387256"}},
          {"from":"16505551234","id":"wamid.list","timestamp":"1749416386","type":"interactive",
           "interactive":{"type":"list_reply","list_reply":{"id":"2 Kirim tanpa nama (anonim)","title":"2 Kirim tanpa nama (ano"}}}
        ]},"field":"messages"}]}]}"#;

    #[test]
    fn a_delivery_splits_into_its_messages() {
        let m = messages(DELIVERY.as_bytes()).unwrap();
        assert_eq!(m.len(), 4);
        assert_eq!(m[0].from, "16505551234");
        assert!(m[0].id.starts_with("wamid."));
        let all: Vec<Content> = m.iter().map(|d| content(&d.raw).unwrap().1).collect();
        assert_eq!(all[0], Content::Text("halo".into()));
        assert_eq!(
            all[1],
            Content::Location {
                lat: -8.72,
                lon: 115.17
            }
        );
        assert_eq!(
            all[2],
            Content::Photo {
                file_id: "1003383421387256".into(),
                caption: Some("lubang".into())
            }
        );
        assert_eq!(all[3], Content::Text("2 Kirim tanpa nama (anonim)".into()));
        let statuses = r#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",
            "value":{"messaging_product":"whatsapp","statuses":[{"id":"wamid.x","status":"delivered"}]}}]}]}"#;
        assert!(messages(statuses.as_bytes()).unwrap().is_empty());
        assert!(messages(br#"{"object":"page","entry":[]}"#).is_err());
    }

    #[test]
    fn signatures_are_checked_over_the_raw_body() {
        let body = DELIVERY.as_bytes();
        let mut mac = Hmac::<Sha256>::new_from_slice(b"app-secret").unwrap();
        mac.update(body);
        let good = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert!(signed(b"app-secret", body, &good));
        assert!(!signed(b"other-secret", body, &good));
        assert!(!signed(b"app-secret", b"{}", &good));
        assert!(!signed(
            b"app-secret",
            body,
            &good.replace("sha256=", "sha1=")
        ));
        assert!(!signed(b"app-secret", body, "sha256=zz"));
    }

    #[test]
    fn choices_go_as_a_list_when_they_fit() {
        let v = send_message(
            "628123",
            "Pilih",
            &["1 Kirim".into(), "2 Kirim tanpa nama (anonim)".into()],
            "Pilih",
        );
        assert_eq!(v["type"], "interactive");
        let row = &v["interactive"]["action"]["sections"][0]["rows"][1];
        assert_eq!(row["id"], "2 Kirim tanpa nama (anonim)");
        assert_eq!(
            row["title"].as_str().unwrap().chars().count(),
            MAX_ROW_TITLE
        );
        let long = "x".repeat(2000);
        let v = send_message("628123", &long, &["1 Kirim".into()], "Pilih");
        assert_eq!(v["type"], "text");
        let v = send_message("628123", "Terima kasih", &[], "Pilih");
        assert_eq!(v["text"]["body"], "Terima kasih");
    }
}
