//! SMS through the open-source SMS Gateway for Android (capcom6/android-sms-gateway), as far
//! as the conversation needs it: its `sms:received` webhook
//! (https://docs.sms-gate.app/features/webhooks/: `{"deviceId", "event", "id", "payload":
//! {"messageId", "message", "phoneNumber", "simNumber", "receivedAt"}, "webhookId"}`), its
//! signature (`X-Signature`: the hex HMAC-SHA256 of the raw body followed by the
//! `X-Timestamp` value, with the signing key set in the app), and the body of its send API
//! (`POST /message` on the device, `/3rdparty/v1/message` on the cloud or a private server:
//! `{"textMessage": {"text"}, "phoneNumbers": [...]}`).

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

/// A webhook signed longer ago than this (or this far in the future) is refused: a captured
/// delivery cannot be played again later.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;
/// One SMS is 160 GSM characters; the gateway splits longer texts, up to this many.
const MAX_TEXT: usize = 1600;

/// The `X-Signature` the gateway sends with `body` at `timestamp` (for tests).
pub fn sign(key: &[u8], body: &[u8], timestamp: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(body);
    mac.update(timestamp.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `signature` (hex) signs `body` and `timestamp` with `key`, and the timestamp is
/// within [`MAX_CLOCK_SKEW_SECS`] of `now` (Unix seconds); compared in constant time.
pub fn signed(key: &[u8], body: &[u8], timestamp: &str, signature: &str, now: i64) -> bool {
    let Ok(at) = timestamp.trim().parse::<i64>() else {
        return false;
    };
    if (now - at).abs() > MAX_CLOCK_SKEW_SECS {
        return false;
    }
    let Ok(sig) = hex::decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return false;
    };
    mac.update(body);
    mac.update(timestamp.trim().as_bytes());
    mac.verify_slice(&sig).is_ok()
}

/// An SMS the gateway received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The webhook event's `id`: the same event delivered again (the gateway retries) has the
    /// same one. (`payload.messageId` is derived from the content and not unique.)
    pub id: String,
    /// The sender's number, as the gateway gives it.
    pub from: String,
    pub text: String,
}

/// Reads a webhook body: `Some` for `sms:received`, `None` for the other events (sent,
/// delivered, failed, ping: acknowledged and ignored); `Err` when it is not a gateway webhook.
pub fn received(body: &[u8]) -> Result<Option<Received>, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    let event = v["event"].as_str().ok_or("no event")?;
    if event != "sms:received" {
        return Ok(None);
    }
    let s = |x: &Value| x.as_str().map(str::to_string);
    let id = s(&v["id"]).filter(|i| !i.is_empty()).ok_or("no id")?;
    let from = s(&v["payload"]["phoneNumber"])
        .filter(|p| !p.trim().is_empty())
        .ok_or("no phoneNumber")?;
    let text = s(&v["payload"]["message"]).unwrap_or_default();
    Ok(Some(Received { id, from, text }))
}

/// The send API's body. An SMS has no buttons: the text names the choices already.
pub fn send_message(to: &str, text: &str) -> Value {
    let text: String = text.chars().take(MAX_TEXT).collect();
    json!({ "textMessage": { "text": text }, "phoneNumbers": [to] })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the gateway's documentation.
    const RECEIVED: &str = r#"{
  "deviceId": "ffffffffceb0b1db0000018e937c815b",
  "event": "sms:received",
  "id": "Ey6ECgOkVVFjz3CL48B8C",
  "payload": {
    "messageId": "abc123",
    "message": "Android is always a sweet treat!",
    "phoneNumber": "6505551212",
    "simNumber": 1,
    "receivedAt": "2024-06-22T15:46:11.000+07:00"
  },
  "webhookId": "<unique-id>"
}"#;

    #[test]
    fn a_received_sms_is_read_and_other_events_are_not() {
        let r = received(RECEIVED.as_bytes()).unwrap().unwrap();
        assert_eq!(r.id, "Ey6ECgOkVVFjz3CL48B8C");
        assert_eq!(r.from, "6505551212");
        assert_eq!(r.text, "Android is always a sweet treat!");
        let sent = RECEIVED.replace("sms:received", "sms:delivered");
        assert_eq!(received(sent.as_bytes()).unwrap(), None);
        assert!(received(b"{}").is_err());
        assert!(received(b"not json").is_err());
        let no_sender = RECEIVED.replace("\"6505551212\"", "\"\"");
        assert!(received(no_sender.as_bytes()).is_err());
    }

    #[test]
    fn the_signature_covers_the_body_and_the_timestamp_and_expires() {
        let key = b"kunci-tanda-tangan";
        let body = RECEIVED.as_bytes();
        let now = 1_765_180_800;
        let ts = now.to_string();
        let sig = sign(key, body, &ts);
        assert_eq!(sig.len(), 64);
        assert!(signed(key, body, &ts, &sig, now));
        assert!(signed(key, body, &ts, &sig, now + MAX_CLOCK_SKEW_SECS));
        assert!(
            !signed(key, body, &ts, &sig, now + MAX_CLOCK_SKEW_SECS + 1),
            "too old"
        );
        assert!(!signed(b"kunci-lain", body, &ts, &sig, now));
        assert!(!signed(key, b"{}", &ts, &sig, now));
        assert!(
            !signed(key, body, &(now + 1).to_string(), &sig, now + 1),
            "timestamp signed"
        );
        assert!(!signed(key, body, "kemarin", &sig, now));
        assert!(!signed(key, body, &ts, "zz", now));
    }

    #[test]
    fn the_send_body_names_the_number() {
        let v = send_message("+6281234567890", "Halo");
        assert_eq!(v["textMessage"]["text"], "Halo");
        assert_eq!(v["phoneNumbers"][0], "+6281234567890");
        let long = send_message("1", &"x".repeat(5000));
        assert_eq!(
            long["textMessage"]["text"].as_str().unwrap().len(),
            MAX_TEXT
        );
    }
}
