//! Chat providers' webhooks (`/channels/...`: Telegram, WhatsApp, the SMS gateway). A webhook only checks that the provider sent
//! it, then stores the update with its processing job in one write shared by the webhooks
//! that arrive together (`storage::channels::receive`), and answers once that committed: the
//! provider is answered in milliseconds, and the conversation runs in the job worker.

use crate::{AppState, WebError};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use kotapintar_domain::conversation::{sms, telegram, whatsapp, Channel};
use kotapintar_storage::channels::{self, ChatLimits, Delivery};
use sha2::{Digest, Sha256};

/// An update is a few kilobytes (a photo arrives as an id, not as bytes).
const MAX_UPDATE_BYTES: usize = 256 * 1024;

/// What the webhooks need of the settings; every channel is off until configured.
#[derive(Clone, Default)]
pub struct ChannelIntake {
    /// `KOTAPINTAR_TELEGRAM_SECRET`: the `secret_token` given to `setWebhook`.
    pub telegram_secret: Option<String>,
    /// `KOTAPINTAR_WHATSAPP_VERIFY_TOKEN`: the token Meta's verification request must carry.
    pub whatsapp_verify_token: Option<String>,
    /// `KOTAPINTAR_WHATSAPP_APP_SECRET`: the app secret that signs every webhook body.
    pub whatsapp_app_secret: Option<String>,
    /// `KOTAPINTAR_SMS_SIGNING_KEY`: the Android SMS gateway's webhook signing key.
    pub sms_signing_key: Option<String>,
    /// Messages one sender may send per minute; more are acknowledged and dropped. 0: no limit.
    pub per_sender_per_minute: u32,
    /// Messages a channel takes per day, all senders together; 0: no limit.
    pub daily_cap: u32,
}

impl std::fmt::Debug for ChannelIntake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChannelIntake")
            .field(
                "telegram_secret",
                &self.telegram_secret.as_ref().map(|_| "***"),
            )
            .field(
                "whatsapp_verify_token",
                &self.whatsapp_verify_token.as_ref().map(|_| "***"),
            )
            .field(
                "whatsapp_app_secret",
                &self.whatsapp_app_secret.as_ref().map(|_| "***"),
            )
            .field(
                "sms_signing_key",
                &self.sms_signing_key.as_ref().map(|_| "***"),
            )
            .field("per_sender_per_minute", &self.per_sender_per_minute)
            .field("daily_cap", &self.daily_cap)
            .finish()
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/channels/telegram", post(telegram_update))
        .route(
            "/channels/whatsapp",
            get(whatsapp_verify).post(whatsapp_update),
        )
        .route("/channels/sms", post(sms_update))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_UPDATE_BYTES))
}

/// Compares secrets in time that does not depend on where they differ.
fn same_secret(given: &[u8], expected: &[u8]) -> bool {
    // hashing first makes the lengths equal, so the length of the secret does not leak either
    let (a, b) = (Sha256::digest(given), Sha256::digest(expected));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// The limits the storage counts each message against.
fn chat_limits(state: &AppState) -> ChatLimits {
    ChatLimits {
        per_sender_per_minute: state.channels.per_sender_per_minute,
        daily_cap: state.channels.daily_cap,
    }
}

/// The sender's counter subject: a keyed hash, so the counter table holds no chat ids.
async fn sender_subject(
    state: &AppState,
    channel: Channel,
    sender: &str,
) -> Result<String, WebError> {
    let key = crate::pages::lapor::form_key(state).await?;
    Ok(kotapintar_domain::intake::form_stamp::phone_subject(
        key,
        &format!("{}:{sender}", channel.as_str()),
    ))
}

/// Stores what a webhook delivered: one durable write, shared with the webhooks that arrive
/// with it (`channels::receive`). Messages past a limit, and repeated ones, are acknowledged
/// all the same: a refused webhook would be delivered again and again.
async fn store(state: &AppState, deliveries: Vec<Delivery>) -> Result<Response, WebError> {
    channels::receive(&state.store, deliveries, chat_limits(state)).await?;
    Ok(StatusCode::OK.into_response())
}

/// `POST /channels/telegram`: an update from the Bot API (`setWebhook` with `secret_token`).
async fn telegram_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let Some(secret) = state.channels.telegram_secret.as_deref() else {
        return Err(WebError::NotFound);
    };
    let given = headers
        .get("x-telegram-bot-api-secret-token")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !same_secret(given, secret.as_bytes()) {
        return Ok(StatusCode::UNAUTHORIZED.into_response());
    }
    let update =
        telegram::parse(&body).map_err(|_| WebError::BadRequest("not a Telegram update".into()))?;
    let payload =
        std::str::from_utf8(&body).map_err(|_| WebError::BadRequest("not UTF-8".into()))?;
    let sender = match update.chat_id {
        Some(chat) => Some(sender_subject(&state, Channel::Telegram, &chat.to_string()).await?),
        None => None,
    };
    let delivery = Delivery {
        channel: Channel::Telegram,
        provider_id: update.update_id.to_string(),
        payload: payload.into(),
        sender,
    };
    store(&state, vec![delivery]).await
}

/// Meta's verification of the webhook's address.
#[derive(serde::Deserialize)]
struct Verification {
    #[serde(rename = "hub.mode", default)]
    mode: String,
    #[serde(rename = "hub.verify_token", default)]
    verify_token: String,
    #[serde(rename = "hub.challenge", default)]
    challenge: String,
}

/// `GET /channels/whatsapp`: answers the challenge when the verify token matches.
async fn whatsapp_verify(
    State(state): State<AppState>,
    Query(v): Query<Verification>,
) -> Result<Response, WebError> {
    let Some(token) = state.channels.whatsapp_verify_token.as_deref() else {
        return Err(WebError::NotFound);
    };
    let challenge_ok = !v.challenge.is_empty()
        && v.challenge.len() <= 200
        && v.challenge
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if v.mode != "subscribe"
        || !same_secret(v.verify_token.as_bytes(), token.as_bytes())
        || !challenge_ok
    {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    Ok((
        [(axum::http::header::CONTENT_TYPE, "text/plain")],
        v.challenge,
    )
        .into_response())
}

/// `POST /channels/whatsapp`: a `messages` webhook, signed with the app secret. Each message
/// is stored on its own, by its id.
async fn whatsapp_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let Some(secret) = state.channels.whatsapp_app_secret.as_deref() else {
        return Err(WebError::NotFound);
    };
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !whatsapp::signed(secret.as_bytes(), &body, signature) {
        return Ok(StatusCode::UNAUTHORIZED.into_response());
    }
    let delivered = whatsapp::messages(&body)
        .map_err(|_| WebError::BadRequest("not a WhatsApp webhook".into()))?;
    let mut deliveries = Vec::with_capacity(delivered.len());
    for m in delivered {
        deliveries.push(Delivery {
            channel: Channel::WhatsApp,
            sender: Some(sender_subject(&state, Channel::WhatsApp, &m.from).await?),
            provider_id: m.id,
            payload: m.raw,
        });
    }
    store(&state, deliveries).await
}

/// `POST /channels/sms`: a webhook of the Android SMS gateway, signed with its signing key
/// over the body and `X-Timestamp`. Only `sms:received` is stored (by the event's id); the
/// other events are acknowledged.
async fn sms_update(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, WebError> {
    let Some(key) = state.channels.sms_signing_key.as_deref() else {
        return Err(WebError::NotFound);
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let (timestamp, signature) = (header("x-timestamp"), header("x-signature"));
    let now = Utc::now();
    if !sms::signed(key.as_bytes(), &body, timestamp, signature, now.timestamp()) {
        return Ok(StatusCode::UNAUTHORIZED.into_response());
    }
    let received = sms::received(&body)
        .map_err(|_| WebError::BadRequest("not an SMS gateway webhook".into()))?;
    let Some(m) = received else {
        return Ok(StatusCode::OK.into_response());
    };
    let payload =
        std::str::from_utf8(&body).map_err(|_| WebError::BadRequest("not UTF-8".into()))?;
    let delivery = Delivery {
        channel: Channel::Sms,
        sender: Some(sender_subject(&state, Channel::Sms, &m.from).await?),
        provider_id: m.id,
        payload: payload.into(),
    };
    store(&state, vec![delivery]).await
}

#[cfg(test)]
mod tests {
    use super::same_secret;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"rahasia-123", b"rahasia-123"));
        assert!(!same_secret(b"rahasia-124", b"rahasia-123"));
        assert!(!same_secret(b"", b"rahasia-123"));
        assert!(!same_secret(b"rahasia-1234", b"rahasia-123"));
    }
}
